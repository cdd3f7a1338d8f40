// Desk behaviour, run over every built-in store: the ticket lifecycle,
// permissions and visibility, merges and links, versions, and bad input.
#include "helpdesk/desk.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/audit.h"
#include "helpdesk/clock.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;
};

void PrintTo(const StoreKind& kind, std::ostream* os) { *os << kind.name; }

class DeskTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
    auto desk = Desk::Open({.store = store_.get(), .clock = &clock_});
    ASSERT_OK(desk.status());
    desk_ = *std::move(desk);
    ASSERT_OK_AND_ASSIGN(v1::Group support,
                         desk_->people().CreateGroup(SystemActor(), "Support"));
    support_ = support.id();
    ASSERT_OK_AND_ASSIGN(v1::Group billing,
                         desk_->people().CreateGroup(SystemActor(), "Billing"));
    billing_ = billing.id();
    ASSERT_OK_AND_ASSIGN(v1::Agent admin,
                         desk_->people().CreateAgent(SystemActor(),
                                            {.name = "Ana Admin",
                                             .email = "ana@desk.example",
                                             .role = v1::Agent::ADMIN}));
    admin_ = AgentActor(admin.id());
    ASSERT_OK_AND_ASSIGN(v1::Agent bob,
                         desk_->people().CreateAgent(admin_, {.name = "Bob",
                                                     .email = "bob@desk.example",
                                                     .group_ids = {support_}}));
    bob_ = AgentActor(bob.id());
    ASSERT_OK_AND_ASSIGN(
        v1::Agent carla,
        desk_->people().CreateAgent(admin_, {.name = "Carla",
                                    .email = "carla@desk.example",
                                    .ticket_access = v1::Agent::GROUPS,
                                    .group_ids = {billing_}}));
    carla_ = AgentActor(carla.id());
    ASSERT_OK_AND_ASSIGN(
        v1::Agent light,
        desk_->people().CreateAgent(admin_, {.name = "Lee", .email = "lee@desk.example",
                                    .role = v1::Agent::LIGHT_AGENT}));
    light_ = AgentActor(light.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                         desk_->people().CreateContact(bob_, {.name = "Ada",
                                                     .emails = {"Ada@Example.com"}}));
    ada_ = ContactActor(ada.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact eve,
                         desk_->people().CreateContact(bob_, {.name = "Eve",
                                                     .emails = {"eve@example.org"}}));
    eve_ = ContactActor(eve.id());
  }

  v1::Ticket MakeTicket(const v1::Actor& actor, NewTicket t) {
    absl::StatusOr<v1::Ticket> r = desk_->tickets().Create(actor, t);
    EXPECT_OK(r.status());
    return r.ok() ? *r : v1::Ticket();
  }

  v1::Ticket AdaTicket(absl::string_view subject = "VPN drops every hour") {
    return MakeTicket(ada_, {.subject = std::string(subject),
                             .description = "Since Monday the VPN drops."});
  }

  // Everything stored, for "nothing changed" checks.
  std::string Snapshot() {
    std::string out;
    TicketQuery q;
    q.include_merged = true;
    q.limit = kMaxQueryLimit;
    q.sort = TicketSort::kIdAsc;
    auto tx = store_->Begin(TransactionMode::kReadOnly);
    EXPECT_OK(tx.status());
    auto page = (*tx)->QueryTickets(q);
    EXPECT_OK(page.status());
    for (const v1::Ticket& t : page->tickets) {
      absl::StrAppend(&out, t.SerializeAsString());
      absl::StatusOr<std::vector<v1::Message>> messages =
          (*tx)->ListMessages(t.id());
      EXPECT_OK(messages.status());
      for (const v1::Message& m : *messages) {
        absl::StrAppend(&out, m.SerializeAsString());
      }
    }
    auto events = (*tx)->ListEventsSince(0, 10000);
    EXPECT_OK(events.status());
    for (const v1::Event& e : *events) absl::StrAppend(&out, e.SerializeAsString());
    for (const v1::Contact& c :
         {*(*tx)->GetContact(ada_.id()), *(*tx)->GetContact(eve_.id())}) {
      absl::StrAppend(&out, c.SerializeAsString());
    }
    return out;
  }

  ManualClock clock_{absl::FromUnixSeconds(1767600000)};  // 2026-01-05
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  int64_t support_ = 0, billing_ = 0;
  v1::Actor admin_, bob_, carla_, light_, ada_, eve_;
};

// --- Lifecycle ----------------------------------------------------------------

TEST_P(DeskTest, CreateTicketStoresTicketMessageAndEvent) {
  v1::Ticket t = AdaTicket();
  EXPECT_GT(t.id(), 0);
  EXPECT_EQ(t.version(), 1);
  EXPECT_EQ(t.status(), "new");
  EXPECT_EQ(t.status_category(), v1::STATUS_CATEGORY_NEW);
  EXPECT_EQ(t.priority(), v1::PRIORITY_NORMAL);
  EXPECT_EQ(t.requester_id(), ada_.id());
  EXPECT_EQ(t.message_count(), 1);

  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(bob_, t.id()));
  ASSERT_THAT(view.messages, SizeIs(1));
  EXPECT_EQ(view.messages[0].kind(), v1::Message::CUSTOMER_MESSAGE);
  EXPECT_EQ(view.messages[0].author().kind(), v1::Actor::CONTACT);
  EXPECT_EQ(view.messages[0].author().id(), ada_.id());
  EXPECT_EQ(view.messages[0].body_text(), "Since Monday the VPN drops.");

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> log, desk_->tickets().AuditLog(bob_, t.id()));
  ASSERT_THAT(log, SizeIs(1));
  EXPECT_EQ(log[0].kind(), v1::Event::TICKET_CREATED);
  EXPECT_EQ(log[0].actor().id(), ada_.id());
  EXPECT_EQ(log[0].message_id(), view.messages[0].id());
  EXPECT_EQ(log[0].ticket_version(), 1);
}

TEST_P(DeskTest, ReplyNoteAndUpdateWriteOneEventEach) {
  v1::Ticket t = AdaTicket();
  clock_.Advance(absl::Minutes(10));
  ASSERT_OK(desk_->tickets().AddMessage(bob_, t.id(),
                              {.kind = v1::Message::PUBLIC_REPLY,
                               .body_text = "Which client version?"})
                .status());
  ASSERT_OK(desk_->tickets().AddMessage(bob_, t.id(),
                              {.kind = v1::Message::INTERNAL_NOTE,
                               .body_text = "Known issue with 4.2"})
                .status());
  ASSERT_OK_AND_ASSIGN(
      v1::Ticket updated,
      desk_->tickets().Update(bob_, t.id(),
                          {.status = "pending",
                           .priority = v1::PRIORITY_HIGH,
                           .assignee_id = bob_.id(),
                           .group_id = support_,
                           .add_tags = {"VPN", "windows"}}));
  EXPECT_EQ(updated.version(), 4);
  EXPECT_EQ(updated.status(), "pending");
  EXPECT_EQ(updated.status_category(), v1::STATUS_CATEGORY_PENDING);
  EXPECT_THAT(updated.tags(), ElementsAre("vpn", "windows"));
  EXPECT_EQ(updated.message_count(), 3);
  EXPECT_EQ(FromTimestamp(updated.updated_at()), clock_.Now());

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> log, desk_->tickets().AuditLog(admin_, t.id()));
  ASSERT_THAT(log, SizeIs(4));
  EXPECT_EQ(log[3].kind(), v1::Event::FIELDS_CHANGED);
  std::vector<std::string> fields;
  for (const v1::FieldChange& c : log[3].changes()) {
    fields.push_back(absl::StrCat(FieldName(c), ":", RenderValue(c.before()), "->",
                                  RenderValue(c.after())));
  }
  EXPECT_THAT(fields,
              ElementsAre("priority:normal->high",
                          absl::StrCat("assignee_id:0->", bob_.id()),
                          absl::StrCat("group_id:0->", support_),
                          "tags:->vpn,windows", "status:new->pending"));
}

TEST_P(DeskTest, CustomerReplyReopensPendingAndSolvedTickets) {
  v1::Ticket t = AdaTicket();
  ASSERT_OK(desk_->tickets().Update(bob_, t.id(), {.status = "pending"}).status());
  ASSERT_OK(desk_->tickets().AddMessage(ada_, t.id(),
                              {.kind = v1::Message::CUSTOMER_MESSAGE,
                               .body_text = "Version 4.2"})
                .status());
  ASSERT_OK_AND_ASSIGN(v1::Ticket reopened, desk_->tickets().Get(bob_, t.id()));
  EXPECT_EQ(reopened.status(), "open");

  EXPECT_THAT(desk_->tickets().Update(bob_, t.id(), {.status = "solved"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("requires an assignee")));
  // Assigning and solving in one update meets the guard.
  ASSERT_OK_AND_ASSIGN(v1::Ticket solved,
                       desk_->tickets().Update(bob_, t.id(),
                                           {.status = "solved",
                                            .assignee_id = bob_.id()}));
  EXPECT_EQ(FromTimestamp(solved.solved_at()), clock_.Now());
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(desk_->tickets().AddMessage(ada_, t.id(),
                              {.kind = v1::Message::CUSTOMER_MESSAGE,
                               .body_text = "It is back"})
                .status());
  ASSERT_OK_AND_ASSIGN(reopened, desk_->tickets().Get(bob_, t.id()));
  EXPECT_EQ(reopened.status(), "open");
  EXPECT_FALSE(reopened.has_solved_at());
}

TEST_P(DeskTest, ClosedTicketIsFinal) {
  v1::Ticket t = AdaTicket();
  EXPECT_THAT(desk_->tickets().Update(bob_, t.id(), {.status = "closed"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot move from 'new' to 'closed'")));
  ASSERT_OK(desk_->tickets().Update(bob_, t.id(),
                                {.status = "solved", .assignee_id = bob_.id()})
                .status());
  ASSERT_OK(desk_->tickets().Update(bob_, t.id(), {.status = "closed"}).status());
  std::string before = Snapshot();
  EXPECT_THAT(desk_->tickets().AddMessage(ada_, t.id(),
                                {.kind = v1::Message::CUSTOMER_MESSAGE,
                                 .body_text = "hello?"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
  EXPECT_THAT(desk_->tickets().Update(bob_, t.id(), {.status = "open"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(DeskTest, CustomWorkflowIsEnforced) {
  ASSERT_OK_AND_ASSIGN(Workflow wf, Workflow::FromText(R"pb(
    statuses { name: "triage" category: STATUS_CATEGORY_NEW }
    statuses { name: "working" category: STATUS_CATEGORY_OPEN }
    statuses { name: "waiting" category: STATUS_CATEGORY_PENDING }
    statuses { name: "done" category: STATUS_CATEGORY_SOLVED }
    statuses { name: "archived" category: STATUS_CATEGORY_CLOSED }
    initial_status: "triage"
    transitions { from: "triage" to: "working" guards: GUARD_GROUP }
    transitions { from: [ "working", "done" ] to: "waiting" }
    transitions { from: "waiting" to: "working" }
    transitions { from: [ "working", "waiting" ] to: "done"
                  guards: [ GUARD_PUBLIC_REPLY, GUARD_ASSIGNEE ] }
    transitions { from: "done" to: "archived" }
    reopen_from: [ "waiting" ]
    reopen_to: "working"
  )pb"));
  ASSERT_OK_AND_ASSIGN(auto desk, Desk::Open({.store = store_.get(),
                                              .clock = &clock_,
                                              .workflow = wf}));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk->tickets().Create(ada_, {.subject = "Custom flow"}));
  EXPECT_EQ(t.status(), "triage");
  EXPECT_EQ(t.status_category(), v1::STATUS_CATEGORY_NEW);
  EXPECT_THAT(desk->tickets().Update(bob_, t.id(), {.status = "working"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("a group")));
  EXPECT_THAT(desk->tickets().Update(bob_, t.id(), {.status = "open"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("status 'open' is not a status (triage, working")));
  ASSERT_OK(desk->tickets().Update(bob_, t.id(), {.status = "working", .group_id = support_})
                .status());
  EXPECT_THAT(desk->tickets().Update(bob_, t.id(),
                                 {.status = "done", .assignee_id = bob_.id()}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("requires a public reply by an agent")));
  ASSERT_OK(desk->tickets().AddMessage(bob_, t.id(), {.body_text = "Fixed it"}).status());
  ASSERT_OK(desk->tickets().Update(bob_, t.id(), {.status = "waiting"}).status());
  ASSERT_OK(desk->tickets().AddMessage(ada_, t.id(), {.kind = v1::Message::CUSTOMER_MESSAGE,
                                           .body_text = "thanks, one more thing"})
                .status());
  ASSERT_OK_AND_ASSIGN(t, desk->tickets().Get(bob_, t.id()));
  EXPECT_EQ(t.status(), "working");
  ASSERT_OK_AND_ASSIGN(t, desk->tickets().Update(bob_, t.id(),
                                             {.status = "done",
                                              .assignee_id = bob_.id()}));
  EXPECT_EQ(t.status_category(), v1::STATUS_CATEGORY_SOLVED);
  EXPECT_TRUE(t.has_solved_at());
  // A ticket may be born in a later status only through an allowed move.
  EXPECT_THAT(desk->tickets().Create(bob_, {.subject = "x", .requester_id = ada_.id(),
                                        .status = "working"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("a group")));
  EXPECT_THAT(desk->tickets().Create(bob_, {.subject = "x", .requester_id = ada_.id(),
                                        .status = "working", .group_id = support_}),
              IsOk());
}

TEST_P(DeskTest, UpdateThatChangesNothingKeepsVersion) {
  v1::Ticket t = AdaTicket();
  ASSERT_OK_AND_ASSIGN(v1::Ticket same,
                       desk_->tickets().Update(bob_, t.id(),
                                           {.status = "new",
                                            .priority = v1::PRIORITY_NORMAL,
                                            .remove_tags = {"absent"}}));
  EXPECT_EQ(same.version(), 1);
  EXPECT_THAT(*desk_->tickets().AuditLog(bob_, t.id()), SizeIs(1));
}

TEST_P(DeskTest, CustomFieldsAreTypedAndAudited) {
  v1::Ticket t = AdaTicket();
  v1::CustomFieldValue order;
  order.set_integer(1234);
  v1::CustomFieldValue vip;
  vip.set_flag(true);
  ASSERT_OK_AND_ASSIGN(
      v1::Ticket u,
      desk_->tickets().Update(bob_, t.id(),
                          {.set_custom_fields = {{"order_id", order}, {"vip", vip}}}));
  EXPECT_EQ(u.custom_fields().at("order_id").integer(), 1234);
  ASSERT_OK_AND_ASSIGN(u, desk_->tickets().Update(bob_, t.id(),
                                              {.remove_custom_fields = {"vip"}}));
  EXPECT_FALSE(u.custom_fields().contains("vip"));
  auto log = *desk_->tickets().AuditLog(bob_, t.id());
  ASSERT_THAT(log, SizeIs(3));
  EXPECT_EQ(FieldName(log[2].changes(0)), "custom_fields.vip");
  EXPECT_EQ(RenderValue(log[2].changes(0).before()), "true");
  // Typed: the custom field's value as it was, none after its removal.
  EXPECT_EQ(log[2].changes(0).field(), v1::FieldChange::CUSTOM_FIELD);
  EXPECT_EQ(log[2].changes(0).custom_field(), "vip");
  EXPECT_TRUE(log[2].changes(0).before().custom_field().flag());
  EXPECT_FALSE(log[2].changes(0).has_after());
}

TEST_P(DeskTest, AttachmentsAreStoredOnceByContent) {
  std::string pdf = "%PDF-1.4 fake invoice";
  v1::Ticket t = MakeTicket(
      ada_, {.subject = "Invoice", .description = "see attached",
             .attachments = {{.file_name = "invoice.pdf",
                              .media_type = "application/pdf",
                              .content = pdf}}});
  ASSERT_OK_AND_ASSIGN(v1::Message m,
                       desk_->tickets().AddMessage(bob_, t.id(),
                                         {.body_text = "same file back",
                                          .attachments = {{.file_name = "copy.pdf",
                                                           .content = pdf}}}));
  ASSERT_THAT(m.attachments(), SizeIs(1));
  EXPECT_EQ(m.attachments(0).size(), static_cast<int64_t>(pdf.size()));
  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(ada_, t.id()));
  EXPECT_EQ(view.messages[0].attachments(0).sha256(), m.attachments(0).sha256());
  EXPECT_THAT(desk_->tickets().AttachmentContent(ada_, m.id(), m.attachments(0).sha256()),
              IsOk());
  EXPECT_EQ(*desk_->tickets().AttachmentContent(ada_, m.id(), m.attachments(0).sha256()), pdf);
  // Eve cannot fetch it through a ticket she cannot see.
  EXPECT_THAT(desk_->tickets().AttachmentContent(eve_, m.id(), m.attachments(0).sha256()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(DeskTest, KnownSha256OfAttachment) {
  v1::Ticket t = MakeTicket(ada_, {.subject = "abc",
                                   .attachments = {{.file_name = "abc.txt",
                                                    .content = "abc"}}});
  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(bob_, t.id()));
  EXPECT_EQ(view.messages[0].attachments(0).sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// --- Versions -------------------------------------------------------------------

TEST_P(DeskTest, StaleVersionIsAbortedNamingBothVersions) {
  v1::Ticket t = AdaTicket();
  ASSERT_OK(desk_->tickets().Update(bob_, t.id(),
                                {.priority = v1::PRIORITY_HIGH,
                                 .expected_version = 1})
                .status());
  std::string before = Snapshot();
  EXPECT_THAT(
      desk_->tickets().Update(admin_, t.id(),
                          {.priority = v1::PRIORITY_LOW, .expected_version = 1}),
      StatusIs(absl::StatusCode::kAborted,
               HasSubstr("expected version 1, stored version 2")));
  EXPECT_THAT(desk_->tickets().AddMessage(admin_, t.id(),
                                {.body_text = "x", .expected_version = 1}),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Snapshot(), before);
}

// --- Merge and link ------------------------------------------------------------

TEST_P(DeskTest, MergeMovesMessagesAndPointsToTarget) {
  v1::Ticket target = AdaTicket("Printer on fire");
  v1::Ticket source = MakeTicket(eve_, {.subject = "Printer smoking",
                                        .description = "Smoke on floor 2"});
  ASSERT_OK(desk_->tickets().AddMessage(bob_, source.id(),
                              {.kind = v1::Message::INTERNAL_NOTE,
                               .body_text = "same as the other one"})
                .status());
  ASSERT_OK_AND_ASSIGN(v1::Ticket merged,
                       desk_->tickets().Merge(bob_, source.id(), target.id()));
  EXPECT_EQ(merged.message_count(), 3);
  EXPECT_THAT(merged.cc_contact_ids(), ElementsAre(eve_.id()));

  ASSERT_OK_AND_ASSIGN(v1::Ticket old, desk_->tickets().Get(bob_, source.id()));
  EXPECT_EQ(old.merged_into(), target.id());
  EXPECT_EQ(old.status_category(), v1::STATUS_CATEGORY_CLOSED);
  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(bob_, target.id()));
  ASSERT_THAT(view.messages, SizeIs(3));
  EXPECT_EQ(view.messages[1].origin_ticket_id(), source.id());
  ASSERT_OK_AND_ASSIGN(TicketView empty, desk_->tickets().View(bob_, source.id()));
  EXPECT_THAT(empty.messages, IsEmpty());

  // Eve, now a CC of the target, sees it but not the internal note.
  ASSERT_OK_AND_ASSIGN(TicketView eve_view, desk_->tickets().View(eve_, target.id()));
  EXPECT_THAT(eve_view.messages, SizeIs(2));

  auto source_log = *desk_->tickets().AuditLog(bob_, source.id());
  EXPECT_EQ(source_log.back().kind(), v1::Event::MERGED_INTO);
  EXPECT_EQ(source_log.back().related_ticket_id(), target.id());
  auto target_log = *desk_->tickets().AuditLog(bob_, target.id());
  EXPECT_EQ(target_log.back().kind(), v1::Event::MERGED_FROM);

  // Merged tickets take no more messages, and are hidden from queries.
  EXPECT_THAT(desk_->tickets().AddMessage(eve_, source.id(),
                                {.kind = v1::Message::CUSTOMER_MESSAGE,
                                 .body_text = "more smoke"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("merged into ticket ", target.id()))));
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(bob_, {}));
  ASSERT_THAT(page.tickets, SizeIs(1));
  EXPECT_EQ(page.tickets[0].id(), target.id());
}

TEST_P(DeskTest, MergeRefusals) {
  v1::Ticket a = AdaTicket("one");
  v1::Ticket b = AdaTicket("two");
  v1::Ticket c = AdaTicket("three");
  EXPECT_THAT(desk_->tickets().Merge(bob_, a.id(), a.id()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("itself")));
  ASSERT_OK(desk_->tickets().Merge(bob_, a.id(), b.id()).status());
  std::string before = Snapshot();
  EXPECT_THAT(desk_->tickets().Merge(bob_, c.id(), a.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("target_id: ticket ", a.id(),
                                              " was merged into ticket ", b.id()))));
  EXPECT_THAT(desk_->tickets().Merge(bob_, a.id(), c.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(desk_->tickets().Merge(ada_, c.id(), b.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Merge(bob_, c.id(), 999999),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("999999")));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(DeskTest, LinksAreMirroredAndIdempotent) {
  v1::Ticket parent = AdaTicket("Outage");
  v1::Ticket child = AdaTicket("Cannot log in");
  ASSERT_OK(desk_->tickets().Link(bob_, parent.id(), v1::TicketLink::PARENT_OF,
                               child.id()));
  ASSERT_OK(desk_->tickets().Link(bob_, parent.id(), v1::TicketLink::PARENT_OF,
                               child.id()));
  ASSERT_OK_AND_ASSIGN(v1::Ticket p, desk_->tickets().Get(bob_, parent.id()));
  ASSERT_OK_AND_ASSIGN(v1::Ticket c, desk_->tickets().Get(bob_, child.id()));
  ASSERT_THAT(p.links(), SizeIs(1));
  EXPECT_EQ(p.links(0).kind(), v1::TicketLink::PARENT_OF);
  ASSERT_THAT(c.links(), SizeIs(1));
  EXPECT_EQ(c.links(0).kind(), v1::TicketLink::CHILD_OF);
  EXPECT_EQ(c.links(0).ticket_id(), parent.id());
  EXPECT_EQ(p.version(), 2);
  EXPECT_THAT(desk_->tickets().Link(bob_, p.id(), v1::TicketLink::RELATED, p.id()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(desk_->tickets().Link(bob_, p.id(),
                                 static_cast<v1::TicketLink::Kind>(42), c.id()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("42")));
}

// --- Visibility and permissions -------------------------------------------------

TEST_P(DeskTest, CustomersSeeOnlyTheirTicketsAndNoInternalNotes) {
  v1::Ticket mine = AdaTicket();
  v1::Ticket theirs = MakeTicket(eve_, {.subject = "Eve's", .description = "x"});
  ASSERT_OK(desk_->tickets().AddMessage(bob_, mine.id(),
                              {.kind = v1::Message::INTERNAL_NOTE,
                               .body_text = "customer is on old client"})
                .status());
  ASSERT_OK(desk_->tickets().AddMessage(bob_, mine.id(), {.body_text = "Please update"})
                .status());

  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(ada_, mine.id()));
  ASSERT_THAT(view.messages, SizeIs(2));
  for (const v1::Message& m : view.messages) {
    EXPECT_NE(m.kind(), v1::Message::INTERNAL_NOTE);
  }
  EXPECT_THAT(desk_->tickets().Get(ada_, theirs.id()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(ada_, {}));
  ASSERT_THAT(page.tickets, SizeIs(1));
  EXPECT_EQ(page.tickets[0].id(), mine.id());
  EXPECT_THAT(desk_->tickets().AuditLog(ada_, mine.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().AddMessage(ada_, mine.id(),
                                {.kind = v1::Message::INTERNAL_NOTE,
                                 .body_text = "sneaky"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Update(ada_, mine.id(), {.status = "solved"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Create(ada_, {.subject = "for eve",
                                         .requester_id = eve_.id()}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().ContactHistory(ada_, eve_.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(DeskTest, CcContactSeesTicket) {
  v1::Ticket t = MakeTicket(bob_, {.subject = "Shared",
                                   .requester_id = ada_.id(),
                                   .description = "hi",
                                   .cc_contact_ids = {eve_.id()}});
  EXPECT_THAT(desk_->tickets().Get(eve_, t.id()), IsOk());
  ASSERT_OK(desk_->tickets().AddMessage(eve_, t.id(),
                              {.kind = v1::Message::CUSTOMER_MESSAGE,
                               .body_text = "me too"})
                .status());
}

TEST_P(DeskTest, GroupRestrictedAgentSeesOwnGroupsAndAssignments) {
  v1::Ticket billing = MakeTicket(bob_, {.subject = "Refund",
                                         .requester_id = ada_.id(),
                                         .group_id = billing_});
  v1::Ticket support = MakeTicket(bob_, {.subject = "Crash",
                                         .requester_id = ada_.id(),
                                         .group_id = support_});
  v1::Ticket assigned = MakeTicket(bob_, {.subject = "Escalated",
                                          .requester_id = ada_.id(),
                                          .assignee_id = carla_.id(),
                                          .group_id = support_});
  EXPECT_THAT(desk_->tickets().Get(carla_, billing.id()), IsOk());
  EXPECT_THAT(desk_->tickets().Get(carla_, support.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().Get(carla_, assigned.id()), IsOk());
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(carla_, {}));
  EXPECT_THAT(page.tickets, SizeIs(2));
  // An unrestricted agent sees all three.
  ASSERT_OK_AND_ASSIGN(page, desk_->tickets().Query(bob_, {}));
  EXPECT_THAT(page.tickets, SizeIs(3));
}

TEST_P(DeskTest, LightAgentWritesInternalNotesOnly) {
  v1::Ticket t = AdaTicket();
  EXPECT_THAT(desk_->tickets().AddMessage(light_, t.id(),
                                {.kind = v1::Message::INTERNAL_NOTE,
                                 .body_text = "FYI"}),
              IsOk());
  EXPECT_THAT(desk_->tickets().AddMessage(light_, t.id(),
                                {.kind = v1::Message::PUBLIC_REPLY,
                                 .body_text = "Hi"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Update(light_, t.id(), {.priority = v1::PRIORITY_LOW}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(DeskTest, BlockedContactIsRefused) {
  ASSERT_OK(desk_->people().SetContactBlocked(admin_, eve_.id(), true).status());
  EXPECT_THAT(desk_->tickets().Create(eve_, {.subject = "spam"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("blocked")));
  EXPECT_THAT(desk_->people().SetContactBlocked(bob_, eve_.id(), false),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(DeskTest, UnknownOrDeactivatedActorsMayDoNothing) {
  EXPECT_THAT(desk_->tickets().Get(AgentActor(424242), 1),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("424242")));
  EXPECT_THAT(desk_->tickets().Create(ContactActor(434343), {.subject = "x"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("434343")));
  EXPECT_THAT(desk_->people().CreateAgent(bob_, {.name = "Mallory"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(DeskTest, ContactHistoryNewestFirstWithCursor) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(AdaTicket(absl::StrCat("ticket ", i)).id());
    clock_.Advance(absl::Minutes(1));
  }
  ASSERT_OK_AND_ASSIGN(TicketPage first, desk_->tickets().ContactHistory(bob_, ada_.id(), "", 3));
  ASSERT_THAT(first.tickets, SizeIs(3));
  EXPECT_EQ(first.tickets[0].id(), ids[4]);
  ASSERT_FALSE(first.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(TicketPage second,
                       desk_->tickets().ContactHistory(bob_, ada_.id(), first.next_cursor, 3));
  ASSERT_THAT(second.tickets, SizeIs(2));
  EXPECT_EQ(second.tickets[1].id(), ids[0]);
  EXPECT_TRUE(second.next_cursor.empty());
}

TEST_P(DeskTest, QueueOrderIsPriorityThenOldest) {
  v1::Ticket low = MakeTicket(bob_, {.subject = "low", .requester_id = ada_.id(),
                                     .priority = v1::PRIORITY_LOW,
                                     .group_id = support_});
  clock_.Advance(absl::Minutes(1));
  v1::Ticket urgent1 = MakeTicket(bob_, {.subject = "u1", .requester_id = ada_.id(),
                                         .priority = v1::PRIORITY_URGENT,
                                         .group_id = support_});
  clock_.Advance(absl::Minutes(1));
  v1::Ticket urgent2 = MakeTicket(bob_, {.subject = "u2", .requester_id = ada_.id(),
                                         .priority = v1::PRIORITY_URGENT,
                                         .group_id = support_});
  TicketQuery q;
  q.group_id = support_;
  q.statuses = {"new"};
  q.sort = TicketSort::kPriorityThenOldest;
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(bob_, q));
  ASSERT_THAT(page.tickets, SizeIs(3));
  EXPECT_EQ(page.tickets[0].id(), urgent1.id());
  EXPECT_EQ(page.tickets[1].id(), urgent2.id());
  EXPECT_EQ(page.tickets[2].id(), low.id());
}

TEST_P(DeskTest, BatchCreateIsAllOrNothing) {
  std::vector<NewTicket> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back({.subject = absl::StrCat("bulk ", i), .requester_id = ada_.id()});
  }
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> made,
                       desk_->tickets().CreateMany(SystemActor(), batch));
  EXPECT_THAT(made, SizeIs(20));
  std::string before = Snapshot();
  batch[7].subject = "";
  EXPECT_THAT(desk_->tickets().CreateMany(SystemActor(), batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tickets[7].subject must not be empty")));
  EXPECT_EQ(Snapshot(), before);
}

// --- Bad input: each names the field and value, and changes nothing ---------

TEST_P(DeskTest, BadTicketInputIsRefusedWithFieldAndValue) {
  v1::Ticket t = AdaTicket();
  std::string before = Snapshot();
  struct Case {
    std::string name;
    NewTicket ticket;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"empty subject", {.subject = "  ", .requester_id = ada_.id()},
       absl::StatusCode::kInvalidArgument, "subject must not be empty"},
      {"invalid utf8", {.subject = "caf\xC3", .requester_id = ada_.id()},
       absl::StatusCode::kInvalidArgument, "subject is not valid UTF-8 (at byte 3)"},
      {"overlong utf8", {.subject = "a\xC0\xAF", .requester_id = ada_.id()},
       absl::StatusCode::kInvalidArgument, "subject is not valid UTF-8"},
      {"surrogate", {.subject = "\xED\xA0\x80", .requester_id = ada_.id()},
       absl::StatusCode::kInvalidArgument, "subject is not valid UTF-8"},
      {"oversize subject",
       {.subject = std::string(1001, 'x'), .requester_id = ada_.id()},
       absl::StatusCode::kInvalidArgument, "subject is 1001 bytes, over the limit of 1000"},
      {"unknown status",
       {.subject = "s", .requester_id = ada_.id(), .status = "frozen"},
       absl::StatusCode::kInvalidArgument, "status 'frozen' is not a status"},
      {"bad priority",
       {.subject = "s", .requester_id = ada_.id(),
        .priority = static_cast<v1::Priority>(9)},
       absl::StatusCode::kInvalidArgument, "priority 9 is not a priority"},
      {"bad tag", {.subject = "s", .requester_id = ada_.id(), .tags = {"two words"}},
       absl::StatusCode::kInvalidArgument, "tags[0] must not contain spaces"},
      {"missing requester", {.subject = "s", .requester_id = 987654},
       absl::StatusCode::kNotFound, "requester_id 987654"},
      {"missing group", {.subject = "s", .requester_id = ada_.id(), .group_id = 555},
       absl::StatusCode::kNotFound, "group_id 555"},
      {"missing assignee",
       {.subject = "s", .requester_id = ada_.id(), .assignee_id = 556},
       absl::StatusCode::kNotFound, "assignee_id 556"},
      {"oversize body",
       {.subject = "s", .requester_id = ada_.id(),
        .description = std::string((4 << 20) + 1, 'b')},
       absl::StatusCode::kInvalidArgument, "description_text is 4194305 bytes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(desk_->tickets().Create(bob_, c.ticket),
                StatusIs(c.code, HasSubstr(c.message)));
  }
  EXPECT_THAT(desk_->tickets().Update(bob_, t.id(), {.status = "Open!"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("status 'Open!' is not a status")));
  EXPECT_THAT(desk_->tickets().AddMessage(bob_, 31337, {.body_text = "hello"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("ticket 31337")));
  EXPECT_THAT(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = " "}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = "\xFF\xFE"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("body_text is not valid UTF-8")));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(DeskTest, PriorityAndTypeNamesParse) {
  EXPECT_EQ(*ParsePriority("URGENT"), v1::PRIORITY_URGENT);
  EXPECT_THAT(ParsePriority("critical"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("priority 'critical' is not a priority")));
  EXPECT_EQ(*ParseTicketType("incident"), v1::TICKET_TYPE_INCIDENT);
  EXPECT_THAT(ParseTicketType("bug"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(PriorityName(v1::PRIORITY_HIGH), "high");
}

TEST_P(DeskTest, ContactIdentitiesAreNormalisedAndUnique) {
  ASSERT_OK_AND_ASSIGN(v1::Contact found,
                       desk_->people().FindContactByEmail(bob_, "  ADA@example.COM "));
  EXPECT_EQ(found.id(), ada_.id());
  EXPECT_THAT(desk_->people().CreateContact(bob_, {.name = "Ada 2",
                                          .emails = {"ada@EXAMPLE.com"}}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("ada@example.com")));
  EXPECT_THAT(desk_->people().CreateContact(bob_, {.name = "X", .emails = {"not-an-address"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("emails[0] 'not-an-address'")));
  EXPECT_THAT(desk_->people().CreateContact(bob_, {.name = "X", .time_zone = "Mars/Olympus"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Mars/Olympus")));
  ASSERT_OK_AND_ASSIGN(v1::Contact phone,
                       desk_->people().CreateContact(bob_, {.name = "P",
                                                   .phones = {"+34 (91) 123-45-67"}}));
  EXPECT_EQ(phone.identities(0).value(), "+34911234567");
  EXPECT_THAT(desk_->people().CreateContact(bob_, {.name = "Q", .phones = {"call me"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("phones[0]")));
}

TEST_P(DeskTest, OrganizationIsCopiedFromRequester) {
  ASSERT_OK_AND_ASSIGN(v1::Organization acme,
                       desk_->people().CreateOrganization(bob_, "Acme", {"Acme.example"}));
  EXPECT_EQ(acme.domains(0), "acme.example");
  ASSERT_OK_AND_ASSIGN(v1::Contact wile,
                       desk_->people().CreateContact(bob_, {.name = "Wile",
                                                   .emails = {"wile@acme.example"},
                                                   .organization_id = acme.id()}));
  v1::Ticket t = MakeTicket(ContactActor(wile.id()), {.subject = "Rocket skates"});
  EXPECT_EQ(t.organization_id(), acme.id());
  TicketQuery q;
  q.organization_id = acme.id();
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(bob_, q));
  EXPECT_THAT(page.tickets, SizeIs(1));
  EXPECT_THAT(desk_->people().CreateOrganization(bob_, "Acme"),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(DeskTest, UpdateContactEditsIdentitiesAndKeepsThemUnique) {
  ASSERT_OK_AND_ASSIGN(
      v1::Contact c,
      desk_->people().UpdateContact(bob_, ada_.id(),
                           {.name = "Ada King",
                            .add_emails = {"ADA@work.example"},
                            .add_phones = {"+44 20 7946 0000"},
                            .time_zone = "Europe/London",
                            .expected_version = 1}));
  EXPECT_EQ(c.name(), "Ada King");
  EXPECT_EQ(c.version(), 2);
  ASSERT_OK_AND_ASSIGN(v1::Contact by_phone,
                       desk_->people().FindContactByIdentity(bob_, v1::ContactIdentity::PHONE,
                                                    "+44 (20) 7946-0000"));
  EXPECT_EQ(by_phone.id(), ada_.id());
  ASSERT_OK_AND_ASSIGN(v1::Contact by_work,
                       desk_->people().FindContactByEmail(bob_, "ada@work.example"));
  EXPECT_EQ(by_work.id(), ada_.id());
  // The address now belongs to Ada: Eve cannot take it.
  EXPECT_THAT(desk_->people().UpdateContact(bob_, eve_.id(), {.add_emails = {"ada@work.example"}}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("ada@work.example")));
  EXPECT_THAT(desk_->people().UpdateContact(bob_, ada_.id(), {.name = "x", .expected_version = 1}),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("expected version 1, stored version 2")));
  EXPECT_THAT(desk_->people().UpdateContact(bob_, ada_.id(), {.remove_emails = {"no@where.example"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("remove_emails[0] 'no@where.example'")));
  ASSERT_OK(desk_->people().UpdateContact(bob_, ada_.id(), {.remove_emails = {"ada@work.example"}})
                .status());
  EXPECT_THAT(desk_->people().FindContactByEmail(bob_, "ada@work.example"),
              StatusIs(absl::StatusCode::kNotFound));
  // A customer may rename themself but not take addresses or rename others.
  EXPECT_THAT(desk_->people().UpdateContact(ada_, ada_.id(), {.name = "Ada L."}), IsOk());
  EXPECT_THAT(desk_->people().UpdateContact(ada_, ada_.id(), {.add_emails = {"x@y.example"}}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().UpdateContact(ada_, eve_.id(), {.name = "Evil"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(DeskTest, DeactivatedAgentCanNoLongerActOrBeAssigned) {
  ASSERT_OK_AND_ASSIGN(v1::Agent bob,
                       desk_->people().UpdateAgent(admin_, bob_.id(),
                                          {.group_ids = std::vector<int64_t>{billing_},
                                           .deactivated = true}));
  EXPECT_TRUE(bob.deactivated());
  EXPECT_THAT(bob.group_ids(), ElementsAre(billing_));
  v1::Ticket t = AdaTicket();
  EXPECT_THAT(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = "hi"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deactivated")));
  EXPECT_THAT(desk_->tickets().Update(admin_, t.id(), {.assignee_id = bob_.id()}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("deactivated")));
  EXPECT_THAT(desk_->people().UpdateAgent(admin_, admin_.id(), {.deactivated = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("themselves")));
  EXPECT_THAT(desk_->people().UpdateAgent(carla_, bob_.id(), {.deactivated = false}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  std::vector<v1::Skill> bad_skills(1);
  bad_skills[0].set_name("spanish");
  bad_skills[0].set_level(11);
  EXPECT_THAT(desk_->people().UpdateAgent(admin_, carla_.id(), {.skills = bad_skills}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("skills[0].level 11 of skill 'spanish'")));
}

TEST(DeskOpenTest, BadOptionsAreNamed) {
  std::unique_ptr<Store> store = NewMemoryStore();
  ManualClock clock(absl::UnixEpoch());
  EXPECT_THAT(Desk::Open({.clock = &clock}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("options.store")));
  EXPECT_THAT(Desk::Open({.store = store.get()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("options.clock")));
}

// A store whose commit fails: the command reports it and nothing is visible.
class FailingCommitStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  bool fail = false;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    auto tx = StoreWrapper::Begin(options);
    if (!tx.ok() || !fail) return tx;
    class Tx : public TransactionWrapper {
     public:
      using TransactionWrapper::TransactionWrapper;
      absl::Status Commit() override {
        return absl::UnavailableError("injected: disk went away");
      }
    };
    return std::unique_ptr<Transaction>(new Tx(*std::move(tx)));
  }
};

TEST_P(DeskTest, FailedCommitLeavesNothingBehind) {
  FailingCommitStore failing(store_.get());
  ManualClock clock(absl::UnixEpoch());
  ASSERT_OK_AND_ASSIGN(auto desk, Desk::Open({.store = &failing, .clock = &clock}));
  std::string before = Snapshot();
  failing.fail = true;
  EXPECT_THAT(desk->tickets().Create(ada_, {.subject = "lost?"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected")));
  failing.fail = false;
  EXPECT_EQ(Snapshot(), before);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, DeskTest,
    ::testing::Values(StoreKind{"Memory", [] { return NewMemoryStore(); }},
                      StoreKind{"Sqlite",
                                [] {
                                  auto s = OpenSqliteStore(":memory:");
                                  return s.ok() ? *std::move(s) : nullptr;
                                }}),
    [](const ::testing::TestParamInfo<StoreKind>& param_info) {
      return param_info.param.name;
    });

}  // namespace
}  // namespace helpdesk
