// Triggers through the Desk (issue 14): rules run inside the command's
// transaction, on its events; a failed command fires nothing; every event a
// rule wrote names it; a cascade stops at its bound and says so; replies,
// notifications and webhooks go through the outbox.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/rules.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/templates.h"
#include "helpdesk/testing/status_matchers.h"
#include "internal/sha256.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kRules[] = R"pb(
  rules {
    name: "route billing"
    on { kind: TICKET_CREATED }
    all { field: "subject" op: "contains" value: "invoice" }
    actions { add_tags { tags: [ "billing" ] } }
  }
  rules {
    name: "billing to finance"
    on { kind: FIELD_CHANGED field: TAGS }
    all { field: "tags" op: "contains" value: "billing" }
    actions { set_group: 1 }
    actions { set_priority: "high" }
  }
  rules {
    name: "acknowledge"
    on { kind: TICKET_CREATED }
    all { field: "channel" op: "is" value: "email" }
    actions { reply { template: "ack" } }
  }
  rules {
    name: "tell assignee"
    on { kind: CUSTOMER_MESSAGE }
    all { field: "assignee" op: "is_set" }
    actions { notify { template: "customer_wrote" recipients: [ ASSIGNEE ] } }
    actions { call_webhook: "crm" }
  }
  rules {
    name: "vip note"
    on { kind: FIELD_CHANGED field: PRIORITY }
    all { field: "priority" op: "is" value: "urgent" }
    actions { add_internal_note: "Urgent: page the on-call lead." }
  }
)pb";

constexpr char kCrmSecret[] = "0123456789abcdef-crm";

class DeskAutomationTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(":memory:"));
    } else {
      store_ = NewMemoryStore();
    }
    Open(kRules);
    ASSERT_OK_AND_ASSIGN(v1::Group g, desk_->people().CreateGroup(SystemActor(), "finance"));
    ASSERT_EQ(g.id(), 1);
    ASSERT_OK_AND_ASSIGN(v1::Agent bob,
                         desk_->people().CreateAgent(
                             SystemActor(), {.name = "Bob", .email = "bob@x.example"}));
    bob_ = bob.id();
    ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                         desk_->people().CreateContact(
                             SystemActor(), {.name = "Ada", .emails = {"ada@x.example"}}));
    ada_ = ada.id();
  }

  void Open(const std::string& rules_text) {
    desk_.reset();
    ASSERT_OK_AND_ASSIGN(RuleSet rules, RuleSet::FromText(rules_text, Workflow::Default(), {}));
    TemplateSetConfig tc;
    tc.templates.push_back(
        {.name = "ack", .text = "Hi {{contact.name | default: \"there\"}}, got #{{ticket.id}}."});
    tc.templates.push_back(
        {.name = "customer_wrote", .text = "Ticket #{{ticket.id}} has a new message."});
    tc.templates.push_back(
        {.name = "thanks",
         .text = "Thanks {{contact.name | default: \"there\"}}, it is now {{ticket.priority}}."});
    ASSERT_OK_AND_ASSIGN(TemplateSet templates, TemplateSet::Create(tc));
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    o.ingest.desk_email = "help@desk.example";
    o.rules = std::make_shared<const RuleSet>(std::move(rules));
    o.templates = std::make_shared<const TemplateSet>(std::move(templates));
    o.webhooks["crm"] = {.url = "https://crm.example/hook", .secret = kCrmSecret};
    Macro escalate;
    escalate.name = "escalate";
    escalate.template_name = "thanks";
    escalate.message = Macro::Message::kPublicReply;
    escalate.priority = v1::PRIORITY_URGENT;
    escalate.add_tags = {"escalated"};
    o.macros.push_back(escalate);
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
  }

  std::vector<v1::Event> Log(int64_t id) {
    auto log = desk_->tickets().AuditLog(SystemActor(), id);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *log : std::vector<v1::Event>{};
  }

  std::vector<v1::OutboxEntry> Outbox() {
    auto tx = store_->Begin(TransactionMode::kReadOnly);
    EXPECT_TRUE(tx.ok());
    auto out = (*tx)->ListOutbox(std::nullopt, 0, 1000);
    EXPECT_TRUE(out.ok());
    return out.ok() ? *out : std::vector<v1::OutboxEntry>{};
  }

  v1::Ticket Get(int64_t id) {
    auto t = desk_->tickets().Get(SystemActor(), id);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : v1::Ticket();
  }

  ManualClock clock_{absl::FromUnixSeconds(1767945600)};  // 2026-01-09
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  int64_t bob_ = 0;
  int64_t ada_ = 0;
};

TEST_P(DeskAutomationTest, CreationFiresOnceAndCascadesWithRulesNamed) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "My invoice is wrong",
                                                .requester_id = ada_,
                                                .description = "Please fix"}));
  v1::Ticket now = Get(t.id());
  EXPECT_THAT(now.tags(), ::testing::ElementsAre("billing"));
  EXPECT_EQ(now.group_id(), 1);
  EXPECT_EQ(now.priority(), v1::PRIORITY_HIGH);
  std::vector<v1::Event> log = Log(t.id());
  ASSERT_GE(log.size(), 3u);
  EXPECT_EQ(log[0].kind(), v1::Event::TICKET_CREATED);
  EXPECT_EQ(log[0].rule(), "");
  int by_route = 0, by_finance = 0;
  for (const v1::Event& e : log) {
    if (e.rule() == "route billing") ++by_route;
    if (e.rule() == "billing to finance") ++by_finance;
  }
  EXPECT_EQ(by_route, 1);    // the creation is one event: the rule fires once
  EXPECT_EQ(by_finance, 1);  // and sees the tag the first rule added
}

TEST_P(DeskAutomationTest, EmailTicketGetsAcknowledgedThroughOutbox) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "Hello",
                                                .requester_id = ada_,
                                                .description = "Hi",
                                                .channel = v1::CHANNEL_EMAIL}));
  TicketView view;
  ASSERT_OK_AND_ASSIGN(view, desk_->tickets().View(SystemActor(), t.id()));
  ASSERT_EQ(view.messages.size(), 2u);
  EXPECT_EQ(view.messages[1].kind(), v1::Message::PUBLIC_REPLY);
  EXPECT_THAT(view.messages[1].body_text(), HasSubstr("Hi Ada, got #"));
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message().to(0).email(), "ada@x.example");
  EXPECT_TRUE(out[0].message().automatic());
  bool named = false;
  for (const v1::Event& e : Log(t.id())) {
    if (e.kind() == v1::Event::MESSAGE_ADDED && e.rule() == "acknowledge") named = true;
  }
  EXPECT_TRUE(named);
}

TEST_P(DeskAutomationTest, FailedCommandFiresNothing) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "Printer", .requester_id = ada_,
                                                .description = "Broken"}));
  const size_t events = Log(t.id()).size();
  const size_t outbox = Outbox().size();
  // A stale version: the update fails, so no trigger runs.
  EXPECT_THAT(desk_->tickets()
                  .Update(SystemActor(), t.id(),
                          {.add_tags = {"billing"}, .expected_version = t.version() + 5})
                  .status(),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Log(t.id()).size(), events);
  EXPECT_EQ(Outbox().size(), outbox);
  EXPECT_EQ(Get(t.id()).group_id(), 0);
  // The same change that succeeds fires the routing rule.
  ASSERT_OK(desk_->tickets()
                .Update(SystemActor(), t.id(), {.add_tags = {"billing"}})
                .status());
  EXPECT_EQ(Get(t.id()).group_id(), 1);
}

TEST_P(DeskAutomationTest, NotifyAndWebhookOnCustomerMessage) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(SystemActor(),
                                               {.subject = "Printer", .requester_id = ada_,
                                                .description = "Broken",
                                                .assignee_id = bob_}));
  ASSERT_OK(desk_->tickets()
                .AddMessage(ContactActor(ada_), t.id(),
                            {.kind = v1::Message::CUSTOMER_MESSAGE, .body_text = "Still broken"})
                .status());
  std::vector<v1::OutboxEntry> out = Outbox();
  int to_bob = 0, hooks = 0;
  for (const v1::OutboxEntry& e : out) {
    if (e.message().channel() == v1::CHANNEL_EMAIL && e.message().to_size() == 1 &&
        e.message().to(0).email() == "bob@x.example") {
      ++to_bob;
      EXPECT_THAT(e.message().body_text(), HasSubstr("has a new message"));
    }
    if (e.message().channel() == v1::CHANNEL_WEBHOOK) {
      ++hooks;
      EXPECT_EQ(e.message().destination(), "https://crm.example/hook");
      EXPECT_THAT(e.message().body_text(), HasSubstr("\"rule\":\"tell assignee\""));
      EXPECT_EQ(e.message().signature(),
                "sha256=" + internal::HmacSha256Hex(kCrmSecret, e.message().body_text()));
    }
  }
  EXPECT_EQ(to_bob, 1);
  EXPECT_EQ(hooks, 1);
  int sent = 0;
  for (const v1::Event& e : Log(t.id())) {
    if (e.kind() == v1::Event::RULE_MESSAGE_SENT) {
      EXPECT_EQ(e.rule(), "tell assignee");
      ++sent;
    }
  }
  EXPECT_EQ(sent, 2);
}

TEST_P(DeskAutomationTest, RuleNeverFiresOnItsOwnChange) {
  Open(R"pb(
    rules {
      name: "bump"
      on { kind: FIELD_CHANGED field: PRIORITY }
      actions { set_priority: "urgent" }
      actions { add_internal_note: "bumped" }
    }
  )pb");
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "x", .requester_id = ada_,
                                                .description = "y"}));
  ASSERT_OK(desk_->tickets()
                .Update(SystemActor(), t.id(), {.priority = v1::PRIORITY_HIGH})
                .status());
  EXPECT_EQ(Get(t.id()).priority(), v1::PRIORITY_URGENT);
  int notes = 0;
  for (const v1::Event& e : Log(t.id())) {
    if (e.kind() == v1::Event::MESSAGE_ADDED && e.rule() == "bump") ++notes;
  }
  EXPECT_EQ(notes, 1);
}

TEST_P(DeskAutomationTest, CascadeBoundWritesAnEvent) {
  // r5 fires on creation and tags t4; r4 reacts to t4 and tags t3; ...
  // written in reverse, each needs a pass of its own: 3 passes are too few.
  std::string text = "max_passes: 3\n";
  for (int i = 1; i <= 4; ++i) {
    absl::StrAppend(&text, "rules { name: \"r", i,
                    "\" on { kind: FIELD_CHANGED field: TAGS } all { field: \"tags\" "
                    "op: \"contains\" value: \"t", i, "\" } actions { add_tags { tags: [\"t",
                    i - 1, "\"] } } }\n");
  }
  absl::StrAppend(&text,
                  "rules { name: \"r5\" on { kind: TICKET_CREATED } actions { "
                  "add_tags { tags: [\"t4\"] } } }\n");
  Open(text);
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "x", .requester_id = ada_,
                                                .description = "y"}));
  EXPECT_THAT(Get(t.id()).tags(), ::testing::ElementsAre("t2", "t3", "t4"));
  bool bound = false;
  for (const v1::Event& e : Log(t.id())) {
    if (e.kind() == v1::Event::RULES_CASCADE_LIMIT) {
      bound = true;
      EXPECT_THAT(e.note(), HasSubstr("fired"));
      EXPECT_EQ(e.rule(), "r3");
    }
  }
  EXPECT_TRUE(bound);
}

TEST_P(DeskAutomationTest, RefusedActionIsRecordedAndCommandStands) {
  Open(R"pb(
    rules {
      name: "to ghost"
      on { kind: TICKET_CREATED }
      actions { set_assignee: 999 }
    }
  )pb");
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "x", .requester_id = ada_,
                                                .description = "y"}));
  EXPECT_EQ(Get(t.id()).assignee_id(), 0);
  bool failed = false;
  for (const v1::Event& e : Log(t.id())) {
    if (e.kind() == v1::Event::RULE_ACTION_FAILED) {
      failed = true;
      EXPECT_EQ(e.rule(), "to ghost");
      EXPECT_THAT(e.note(), HasSubstr("999"));
    }
  }
  EXPECT_TRUE(failed);
}

TEST_P(DeskAutomationTest, OpenRefusesUnknownTemplateOrWebhookNamingTheRule) {
  ASSERT_OK_AND_ASSIGN(RuleSet rules, RuleSet::FromText(R"pb(
                         rules {
                           name: "hook it"
                           on { kind: TICKET_CREATED }
                           actions { call_webhook: "nowhere" }
                         }
                       )pb",
                                                        Workflow::Default(), {}));
  DeskOptions o{.store = store_.get(), .clock = &clock_};
  o.rules = std::make_shared<const RuleSet>(rules);
  EXPECT_THAT(Desk::Open(o).status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("rule 'hook it'")));
  ASSERT_OK_AND_ASSIGN(RuleSet ack, RuleSet::FromText(R"pb(
                         rules {
                           name: "ack"
                           on { kind: TICKET_CREATED }
                           actions { reply { template: "missing" } }
                         }
                       )pb",
                                                      Workflow::Default(), {}));
  o.rules = std::make_shared<const RuleSet>(ack);
  EXPECT_THAT(Desk::Open(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rule 'ack'")));
}

TEST_P(DeskAutomationTest, MacroAppliesFieldsAndReplyInOneCommand) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(SystemActor(),
                                               {.subject = "Printer", .requester_id = ada_,
                                                .description = "Broken",
                                                .assignee_id = bob_}));
  t = Get(t.id());
  const size_t before = Log(t.id()).size();
  // A stale version: nothing of the macro happens.
  EXPECT_THAT(desk_->automation()
                  .ApplyMacro(AgentActor(bob_), t.id(), "escalate", t.version() - 1)
                  .status(),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Log(t.id()).size(), before);
  EXPECT_THAT(desk_->automation().ApplyMacro(AgentActor(bob_), t.id(), "nope").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(desk_->automation().ApplyMacro(ContactActor(ada_), t.id(), "escalate").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_OK_AND_ASSIGN(v1::Ticket after, desk_->automation().ApplyMacro(
                                             AgentActor(bob_), t.id(), "escalate", t.version()));
  EXPECT_EQ(after.priority(), v1::PRIORITY_URGENT);
  EXPECT_THAT(after.tags(), ::testing::Contains("escalated"));
  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(SystemActor(), t.id()));
  // The reply, then the note of "vip note", the trigger the macro's urgent
  // priority fired in the same command.
  ASSERT_GE(view.messages.size(), 3u);
  const v1::Message& reply = view.messages[view.messages.size() - 2];
  ASSERT_EQ(reply.kind(), v1::Message::PUBLIC_REPLY);
  EXPECT_EQ(reply.body_text(), "Thanks Ada, it is now urgent.");
  EXPECT_EQ(reply.author().id(), bob_);
  EXPECT_EQ(view.messages.back().kind(), v1::Message::INTERNAL_NOTE);
  EXPECT_EQ(view.messages.back().body_text(), "Urgent: page the on-call lead.");
  std::vector<v1::Event> log = Log(t.id());
  ASSERT_GE(log.size(), before + 2);
  // Audited as the agent's: the typed changes, then the reply.
  EXPECT_EQ(log[before].kind(), v1::Event::FIELDS_CHANGED);
  EXPECT_EQ(log[before].actor().id(), bob_);
  EXPECT_EQ(log[before + 1].kind(), v1::Event::MESSAGE_ADDED);
  EXPECT_EQ(log[before + 1].actor().id(), bob_);
}

TEST_P(DeskAutomationTest, ExplainSaysWhichRulesWouldFireAndWhy) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "Invoice copy", .requester_id = ada_,
                                                .description = "Please"}));
  ASSERT_OK_AND_ASSIGN(std::vector<RuleExplanation> why,
                       desk_->automation().Explain(AgentActor(bob_), t.id()));
  ASSERT_EQ(why.size(), 5u);
  EXPECT_EQ(why[0].rule, "route billing");
  EXPECT_TRUE(why[0].would_fire) << why[0].reason;
  EXPECT_EQ(why[2].rule, "acknowledge");
  EXPECT_FALSE(why[2].would_fire);  // an API ticket, not e-mail
  EXPECT_FALSE(why[2].reason.empty());
  EXPECT_EQ(why[3].rule, "tell assignee");
  EXPECT_FALSE(why[3].would_fire);
  EXPECT_THAT(why[3].reason, HasSubstr("no event"));
  // Customers may see the ticket but not its rules; strangers not even that.
  EXPECT_THAT(desk_->automation().Explain(ContactActor(ada_), t.id()).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->automation().Explain(AgentActor(bob_), t.id() + 100).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

// The field changes of several rules in one command are one write of the
// ticket (one version), each rule's changes in an event of its own naming it,
// in order; a refused rule's changes are dropped and recorded between them.
TEST_P(DeskAutomationTest, RulesChangesAreOneWriteWithEachRuleNamed) {
  Open(R"pb(
    rules {
      name: "tag it"
      on { kind: TICKET_CREATED }
      actions { add_tags { tags: [ "seen" ] } }
    }
    rules {
      name: "to ghost"
      on { kind: TICKET_CREATED }
      actions { set_assignee: 999 }
    }
    rules {
      name: "route"
      on { kind: FIELD_CHANGED field: TAGS }
      all { field: "tags" op: "contains" value: "seen" }
      actions { set_group: 1 }
      actions { set_priority: "high" }
    }
  )pb");
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ContactActor(ada_),
                                               {.subject = "x", .requester_id = ada_,
                                                .description = "y"}));
  const v1::Ticket now = Get(t.id());
  EXPECT_THAT(now.tags(), ::testing::ElementsAre("seen"));
  EXPECT_EQ(now.group_id(), 1);
  EXPECT_EQ(now.priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(now.assignee_id(), 0);
  EXPECT_EQ(now.version(), 2);  // created, then one write for every rule
  std::vector<std::string> by;
  for (const v1::Event& e : Log(t.id())) {
    if (e.rule().empty()) continue;
    by.push_back(absl::StrCat(e.rule(), ":", v1::Event::Kind_Name(e.kind())));
    EXPECT_EQ(e.ticket_version(), 2) << e.rule();
    if (e.rule() == "tag it") {
      ASSERT_EQ(e.changes_size(), 1);
      EXPECT_EQ(e.changes(0).field(), v1::FieldChange::TAGS);
    }
    if (e.rule() == "route") {
      ASSERT_EQ(e.changes_size(), 2);
      EXPECT_EQ(e.changes(0).field(), v1::FieldChange::PRIORITY);
      EXPECT_EQ(e.changes(1).field(), v1::FieldChange::GROUP);
    }
  }
  EXPECT_THAT(by, ::testing::ElementsAre("tag it:FIELDS_CHANGED", "to ghost:RULE_ACTION_FAILED",
                                         "route:FIELDS_CHANGED"));
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskAutomationTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Sqlite" : "Memory"; });

}  // namespace
}  // namespace helpdesk
