// RuleSet: validation (each kind of bad input, with the rule's name and
// position), conditions, actions, ordering, visibility of earlier changes,
// self-change, the cascade bound, one creation event, the dry run, the
// indexed engine against a scan of every rule, and mangled rule text.
#include "helpdesk/rules.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"
#include "rules_test_util.h"

namespace helpdesk {
namespace {

using ::helpdesk::rules_test::ChangeEvent;
using ::helpdesk::rules_test::EventOf;
using ::helpdesk::rules_test::Jan;
using ::helpdesk::rules_test::MessageEvent;
using ::helpdesk::rules_test::OpenTicket;
using ::helpdesk::rules_test::Rules;
using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A rule set with one bad part; the error must name the rule and where.
struct BadCase {
  const char* what;
  std::string text;
  std::vector<std::string> expected;  // substrings of the message
};

TEST(RulesValidation, EachKindOfBadInputNamesTheRuleAndPosition) {
  const std::string ok_head =
      "rules { name: \"fine\" on { kind: TICKET_CREATED } actions { set_group: "
      "1 } }\n";
  const std::vector<BadCase> cases = {
      {"unknown field",
       ok_head + "rules {\n  name: \"bad\"\n  on { kind: TICKET_CREATED }\n  "
                 "all { field: \"priorty\" op: \"is\" value: \"high\" }\n  "
                 "actions { set_group: 1 } }",
       {"rule \"bad\" (line 5, column 3): all[0].field",
        "unknown field \"priorty\""}},
      {"unknown operator",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED }\n any { "
                 "field: \"priority\" op: \"above\" value: \"high\" }\n "
                 "actions { set_group: 1 } }",
       {"rule \"bad\" (line 3, column 2): any[0].op",
        "unknown operator \"above\""}},
      {"operator the field does not take",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED }\n all { "
                 "field: \"priority\" op: \"matches\" value: \"h.*\" }\n "
                 "actions { set_group: 1 } }",
       {"rule \"bad\" (line 3, column 2)",
        "does not take operator \"matches\""}},
      {"bad regex",
       ok_head + "rules { name: \"bad\" on { kind: CUSTOMER_MESSAGE }\n all { "
                 "field: \"message.text\" op: \"matches\" value: \"(unclosed\" "
                 "}\n actions { set_group: 1 } }",
       {"rule \"bad\" (line 3, column 2): all[0].value",
        "RE2 refuses \"(unclosed\""}},
      {"regex over RE2's memory limit",
       ok_head + "rules { name: \"bad\" on { kind: CUSTOMER_MESSAGE }\n all { "
                 "field: \"message.text\" op: \"matches\" value: "
                 "\"\\\\pL{1000}\" }\n actions { set_group: 1 } }",
       {"rule \"bad\" (line 3, column 2): all[0].value", "RE2's memory limit"}},
      {"unknown status in a condition",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED }\n all { "
                 "field: \"status\" op: \"in\" values: [\"open\", \"waiting\"] "
                 "}\n actions { set_group: 1 } }",
       {"rule \"bad\" (line 3, column 2)", "unknown status \"waiting\""}},
      {"unknown status in an action",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED }\n actions "
                 "{ set_group: 1 }\n actions { set_status: \"waiting\" } }",
       {"rule \"bad\" (line 4, column 2): actions[1].set_status",
        "unknown status \"waiting\""}},
      {"unknown priority in an action",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED }\n actions "
                 "{ set_priority: \"critical\" } }",
       {"rule \"bad\" (line 3, column 2): actions[0].set_priority",
        "critical"}},
      {"unknown calendar in an automation",
       ok_head + "rules { name: \"bad\"\n automation { since: PENDING hours: "
                 "48 calendar: \"weekend\" }\n actions { set_group: 1 } }",
       {"rule \"bad\" (line 3, column 2): automation.calendar",
        "unknown calendar \"weekend\""}},
      {"unknown calendar in a time condition",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED }\n all { "
                 "field: \"time\" op: \"open_in\" value: \"weekend\" }\n "
                 "actions { set_group: 1 } }",
       {"rule \"bad\" (line 3, column 2)", "unknown calendar \"weekend\""}},
      {"unknown action (malformed text)",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED }\n actions "
                 "{ set_colour: \"red\" } }",
       {"line 3, column", "set_colour", "(in rule \"bad\")"}},
      {"empty action",
       ok_head +
           "rules { name: \"bad\" on { kind: TICKET_CREATED }\n actions { } }",
       {"rule \"bad\" (line 3, column 2): actions[0]", "empty action"}},
      {"no actions",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED } }",
       {"rule \"bad\" (line 2, column 1)",
        "actions: a rule needs at least one"}},
      {"both trigger and automation",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED } automation "
                 "{ since: CREATED hours: 1 } actions { set_group: 1 } }",
       {"rule \"bad\"", "not both"}},
      {"neither trigger nor automation",
       ok_head + "rules { name: \"bad\" actions { set_group: 1 } }",
       {"rule \"bad\"", "has neither"}},
      {"duplicate name",
       ok_head + "rules { name: \"fine\" on { kind: TICKET_CREATED } actions { "
                 "set_group: 2 } }",
       {"rule \"fine\" (line 2, column 1)", "a second rule named \"fine\""}},
      {"field on a non-field trigger",
       ok_head + "rules { name: \"bad\" on { kind: CUSTOMER_MESSAGE field: "
                 "STATUS } actions { set_group: 1 } }",
       {"rule \"bad\" (line 2, column 21): on[0].field"}},
      {"zero hours",
       ok_head + "rules { name: \"bad\" automation { since: CREATED hours: 0 } "
                 "actions { set_group: 1 } }",
       {"rule \"bad\"", "automation.hours: 0"}},
      {"bad tag",
       ok_head + "rules { name: \"bad\" on { kind: TICKET_CREATED } actions { "
                 "add_tags { tags: [\"two words\"] } } }",
       {"rule \"bad\"", "actions[0].add_tags.tags"}},
      {"unknown SLA state",
       ok_head + "rules { name: \"bad\" on { kind: SLA_WARNING } all { field: "
                 "\"sla.first_reply\" op: \"is\" value: \"late\" } actions { "
                 "set_group: 1 } }",
       {"rule \"bad\"", "unknown SLA state \"late\""}},
      {"a rule set that would loop",
       "rules { name: \"A\" on { kind: FIELD_CHANGED field: GROUP } actions { "
       "set_priority: \"high\" } }\n"
       "rules { name: \"B\" on { kind: FIELD_CHANGED field: PRIORITY } actions "
       "{ set_group: 2 } actions { set_priority: \"low\" } }",
       {"rule \"A\" (line 1, column 1)", "rule \"B\"", "priority",
        "would loop"}},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<RuleSet> rules = Rules(c.text);
    ASSERT_THAT(rules.status(), StatusIs(absl::StatusCode::kInvalidArgument));
    // Messages quote values as internal::Quote does: 'value'.
    for (std::string s : c.expected) {
      std::replace(s.begin(), s.end(), '"', '\'');
      EXPECT_THAT(std::string(rules.status().message()), HasSubstr(s));
    }
  }
}

TEST(RulesValidation, CreateWithoutTextNamesTheRuleAndPart) {
  v1::RuleSetConfig config;
  v1::Rule* r = config.add_rules();
  r->set_name("vip");
  r->add_on()->set_kind(v1::RuleTrigger::TICKET_CREATED);
  v1::RuleCondition* c = r->add_all();
  c->set_field("tags");
  c->set_op("is_fun");
  r->add_actions()->set_set_group(1);
  absl::StatusOr<RuleSet> rules =
      RuleSet::Create(config, Workflow::Default(), {});
  EXPECT_THAT(rules.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       AllOf(HasSubstr("rule 'vip': all[0].op"),
                                             HasSubstr("'is_fun'"))));
}

TEST(RulesValidation, ChainsThatAgreeAreNoLoop) {
  // A and B trigger each other but write no field with different values.
  EXPECT_THAT(Rules("rules { name: \"A\" on { kind: FIELD_CHANGED field: GROUP "
                    "} actions { set_priority: \"high\" } }\n"
                    "rules { name: \"B\" on { kind: FIELD_CHANGED field: "
                    "PRIORITY } actions { set_group: 2 } }")
                  .status(),
              IsOk());
}

TEST(RulesValidation, LoopsThroughCustomFieldsAndAnyFieldTriggers) {
  // A reacts to custom field x and writes y; B reacts to any custom field and
  // writes x: they trigger each other and disagree on the priority.
  EXPECT_THAT(
      Rules("rules { name: \"A\" on { kind: FIELD_CHANGED field: CUSTOM_FIELD "
            "custom_field: \"x\" } actions { set_custom_field { name: \"y\" } } "
            "actions { set_priority: \"low\" } }\n"
            "rules { name: \"B\" on { kind: FIELD_CHANGED field: CUSTOM_FIELD } "
            "actions { set_custom_field { name: \"x\" } } actions { set_priority: "
            "\"high\" } }")
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("rule 'A'"), HasSubstr("rule 'B'"), HasSubstr("would loop"))));
  // C reacts to any field change; D writes z, which only E reacts to: D
  // triggers C and E, but nothing triggers D back. No loop.
  EXPECT_THAT(Rules("rules { name: \"C\" on { kind: FIELD_CHANGED } actions { "
                    "set_priority: \"low\" } }\n"
                    "rules { name: \"D\" on { kind: TICKET_CREATED } actions { "
                    "set_custom_field { name: \"z\" } } actions { set_priority: \"high\" } }\n"
                    "rules { name: \"E\" on { kind: FIELD_CHANGED field: CUSTOM_FIELD "
                    "custom_field: \"z\" } actions { set_priority: \"urgent\" } }")
                  .status(),
              IsOk());
}

// A large rule set is checked for loops in time linear in its writes: 1,000
// rules adding or removing the same 100 tags (no rule reacts to tags) took
// minutes when every pair of writes was compared (fuzzing found it).
TEST(RulesValidation, LoopCheckOfALargeRuleSetIsQuick) {
  std::string tags;
  for (int k = 0; k < 100; ++k) absl::StrAppend(&tags, k > 0 ? ", " : "", "\"t", k, "\"");
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&text, "rules { name: \"r", i,
                    "\" on { kind: FIELD_CHANGED field: STATUS } actions { ",
                    i % 2 == 0 ? "add_tags" : "remove_tags", " { tags: [", tags, "] } } }\n");
  }
  const absl::Time start = absl::Now();
  EXPECT_THAT(Rules(text).status(), IsOk());
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));
  // The same set with every rule reacting to tags loops, and says so at once
  // (rules 0 and 1, on their first tag).
  absl::StatusOr<RuleSet> loops = Rules(absl::StrReplaceAll(text, {{"field: STATUS", "field: TAGS"}}));
  EXPECT_THAT(loops.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       AllOf(HasSubstr("rule 'r0'"), HasSubstr("rule 'r1'"),
                                             HasSubstr("tag t0"), HasSubstr("would loop"))));
}

// Runs `rules` on a ticket with `events`; fails the test on an error.
RuleOutcome RunOn(const RuleSet& rules, const v1::Ticket& ticket,
                  std::vector<v1::Event> events,
                  const v1::Contact* contact = nullptr,
                  const v1::Message* message = nullptr) {
  RuleContext context;
  context.ticket = &ticket;
  context.contact = contact;
  context.message = message;
  context.now = Jan(12, 11);
  absl::StatusOr<RuleOutcome> out = rules.Run(context, events);
  EXPECT_THAT(out.status(), IsOk());
  // The engine without its index gives the same outcome.
  absl::StatusOr<RuleOutcome> scanned =
      rules.Run(context, events, {.scan_all_rules = true});
  EXPECT_THAT(scanned.status(), IsOk());
  if (out.ok() && scanned.ok()) {
    EXPECT_EQ(out->fired_rules, scanned->fired_rules);
    EXPECT_EQ(out->ticket.SerializeAsString(),
              scanned->ticket.SerializeAsString());
  }
  return out.ok() ? *std::move(out) : RuleOutcome{};
}

TEST(RulesEngine, ANewTicketIsOneEventAndFiresCreateTriggersOnce) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "on create"
      on { kind: TICKET_CREATED }
      actions { add_tags { tags: [ "new" ] } }
    }
    rules {
      name: "on any change"
      on { kind: FIELD_CHANGED }
      actions { add_tags { tags: [ "changed" ] } }
    }
    rules {
      name: "on message"
      on { kind: CUSTOMER_MESSAGE }
      actions { add_tags { tags: [ "asked" ] } }
    }
  )pb");
  ASSERT_THAT(rules.status(), IsOk());
  // The creation as Desk writes it: TICKET_CREATED with its fields, the first
  // message, and a change in the same command.
  v1::Event created = EventOf(v1::Event::TICKET_CREATED);
  created.add_changes()->set_field(v1::FieldChange::STATUS);
  RuleOutcome out = RunOn(*rules, OpenTicket(),
                          {created, MessageEvent(v1::Message::CUSTOMER_MESSAGE),
                           ChangeEvent(v1::FieldChange::GROUP)});
  // "on any change" reacts to the tags "on create" added, not to the creation.
  EXPECT_THAT(out.fired_rules,
              ElementsAre("on create", "on any change", "on message"));
  EXPECT_THAT(out.ticket.tags(), ElementsAre("asked", "changed", "new"));
  EXPECT_FALSE(out.cascade_limit_reached);
}

TEST(RulesEngine, EachConditionKind) {
  v1::Ticket ticket = OpenTicket();
  ticket.add_tags("vip");
  ticket.add_follower_agent_ids(5);
  (*ticket.mutable_custom_fields())["plan"].set_text("Gold");
  (*ticket.mutable_custom_fields())["seats"].set_integer(25);
  (*ticket.mutable_custom_fields())["modules"].mutable_choices()->add_values(
      "billing");
  v1::Contact contact;
  contact.set_name("Ana");
  contact.set_locale("es-ES");
  v1::ContactIdentity* email = contact.add_identities();
  email->set_kind(v1::ContactIdentity::EMAIL);
  email->set_value("ana@bigco.example");
  v1::Organization org;
  org.set_name("BigCo");
  org.add_domains("bigco.example");
  v1::Message message;
  message.set_kind(v1::Message::CUSTOMER_MESSAGE);
  message.set_channel(v1::CHANNEL_EMAIL);
  message.set_body_text("Hello, our SERVER is down! Order #12345.");
  SlaStatus sla;
  sla.policy = "standard";
  SlaMetricStatus first;
  first.metric = v1::SLA_METRIC_FIRST_REPLY;
  first.state = SlaState::kRunning;
  first.warn_at = Jan(12, 10, 30);
  sla.metrics.push_back(first);
  struct Case {
    std::string condition;
    bool holds;
  };
  const std::vector<Case> cases = {
      {R"c(field: "subject" op: "contains" value: "ON FIRE")c", true},
      {R"c(field: "subject" op: "is" value: "Printer")c", false},
      {R"c(field: "status" op: "in" values: ["open", "pending"])c", true},
      {R"c(field: "status_category" op: "is" value: "open")c", true},
      {R"c(field: "priority" op: "at_least" value: "high")c", false},
      {R"c(field: "priority" op: "less_than" value: "urgent")c", true},
      {R"c(field: "type" op: "is_not_set")c", true},
      {R"c(field: "assignee" op: "is_not_set")c", true},
      {R"c(field: "requester" op: "is" value: "10")c", true},
      {R"c(field: "tags" op: "contains" value: "vip")c", true},
      {R"c(field: "tags" op: "not_contains" value: "spam")c", true},
      {R"c(field: "channel" op: "is" value: "email")c", true},
      {R"c(field: "followers" op: "contains" value: "5")c", true},
      {R"c(field: "message_count" op: "greater_than" value: "0")c", false},
      {R"c(field: "custom.plan" op: "is" value: "Gold")c", true},
      {R"c(field: "custom.plan" op: "contains" value: "gol")c", true},
      {R"c(field: "custom.seats" op: "greater_than" value: "10")c", true},
      {R"c(field: "custom.modules" op: "contains" value: "billing")c", true},
      {R"c(field: "custom.missing" op: "is_not_set")c", true},
      {R"c(field: "contact.email" op: "contains" value: "@BIGCO.example")c",
       true},
      {R"c(field: "contact.locale" op: "matches" value: "^es(-|$)")c", true},
      {R"c(field: "contact.blocked" op: "is" value: "false")c", true},
      {R"c(field: "organization.name" op: "is" value: "BigCo")c", true},
      {R"c(field: "organization.domains" op: "contains" value: "bigco.example")c",
       true},
      {R"c(field: "message.text" op: "contains" value: "server is down")c",
       true},
      {R"c(field: "message.text" op: "matches" value: "(?i)order #\\d{5}")c",
       true},
      {R"c(field: "message.text" op: "not_matches" value: "refund")c", true},
      {R"c(field: "message.kind" op: "is" value: "customer_message")c", true},
      {R"c(field: "message.channel" op: "is" value: "chat")c", false},
      {R"c(field: "time" op: "open_in" value: "support")c",
       true},  // Monday 11:00
      {R"c(field: "time" op: "closed_in" value: "support")c", false},
      {R"c(field: "sla.first_reply" op: "is" value: "warning")c", true},
      {R"c(field: "sla.state" op: "is" value: "breached")c", false},
      {R"c(field: "sla.next_reply" op: "is_not_set")c", true},
      {R"c(field: "csat.rating" op: "at_most" value: "2")c", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.condition);
    absl::StatusOr<RuleSet> rules = Rules(absl::StrCat(
        "rules { name: \"r\" on { kind: CUSTOMER_MESSAGE } all { ", c.condition,
        " } actions { add_tags { tags: [\"hit\"] } } }"));
    ASSERT_THAT(rules.status(), IsOk());
    RuleContext context;
    context.ticket = &ticket;
    context.contact = &contact;
    context.organization = &org;
    context.message = &message;
    context.sla = &sla;
    context.now = Jan(12, 11);
    absl::StatusOr<RuleOutcome> out =
        rules->Run(context, {MessageEvent(v1::Message::CUSTOMER_MESSAGE)});
    ASSERT_THAT(out.status(), IsOk());
    EXPECT_EQ(out->fired_rules.size() == 1, c.holds);
  }
}

TEST(RulesEngine, AnyGroupNeedsOneAndAllGroupNeedsEvery) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "r"
      on { kind: TICKET_CREATED }
      all { field: "channel" op: "is" value: "email" }
      any { field: "priority" op: "is" value: "urgent" }
      any { field: "subject" op: "contains" value: "fire" }
      actions { set_group: 3 }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  EXPECT_THAT(RunOn(*rules, OpenTicket(), {EventOf(v1::Event::TICKET_CREATED)})
                  .fired_rules,
              ElementsAre("r"));
  v1::Ticket calm = OpenTicket();
  calm.set_subject("Question");
  EXPECT_THAT(
      RunOn(*rules, calm, {EventOf(v1::Event::TICKET_CREATED)}).fired_rules,
      IsEmpty());
}

TEST(RulesEngine, EachActionAppliesInOrder) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "all of them"
      on { kind: TICKET_CREATED }
      actions { set_status: "pending" }
      actions { set_priority: "URGENT" }
      actions { set_type: "incident" }
      actions { set_group: 4 }
      actions { set_assignee: 9 }
      actions { add_tags: { tags: [ "b", "A" ] } }
      actions { remove_tags: { tags: [ "old" ] } }
      actions {
        set_custom_field {
          name: "plan"
          value { text: "gold" }
        }
      }
      actions { add_internal_note: "escalated by rule" }
      actions { reply { template: "ack" } }
      actions {
        notify {
          template: "assigned"
          recipients: [ ASSIGNEE, AGENT ]
          agent_id: 3
        }
      }
      actions { add_follower: 7 }
      actions { call_webhook: "crm" }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  v1::Ticket ticket = OpenTicket();
  ticket.add_tags("old");
  RuleOutcome out = RunOn(*rules, ticket, {EventOf(v1::Event::TICKET_CREATED)});
  ASSERT_EQ(out.actions.size(), 13u);
  EXPECT_EQ(out.actions[1].action->set_priority(), "urgent");  // normalised
  EXPECT_EQ(out.actions[9].action->reply().template_(), "ack");
  EXPECT_EQ(out.actions[12].action->call_webhook(), "crm");
  EXPECT_EQ(out.ticket.status(), "pending");
  EXPECT_EQ(out.ticket.status_category(), v1::STATUS_CATEGORY_PENDING);
  EXPECT_EQ(out.ticket.priority(), v1::PRIORITY_URGENT);
  EXPECT_EQ(out.ticket.type(), v1::TICKET_TYPE_INCIDENT);
  EXPECT_EQ(out.ticket.group_id(), 4);
  EXPECT_EQ(out.ticket.assignee_id(), 9);
  EXPECT_THAT(out.ticket.tags(), ElementsAre("a", "b"));
  EXPECT_EQ(out.ticket.custom_fields().at("plan").text(), "gold");
  EXPECT_THAT(out.ticket.follower_agent_ids(), ElementsAre(7));
  EXPECT_EQ(FromTimestamp(out.ticket.updated_at()), Jan(12, 11));
}

TEST(RulesEngine, LaterRulesSeeEarlierChangesAndOrderIsAsWritten) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "urgent words"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "message.text" op: "matches" value: "(?i)outage" }
      actions { set_priority: "urgent" }
    }
    rules {
      name: "urgent to tier 2"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "priority" op: "is" value: "urgent" }
      actions { set_group: 2 }
    }
    rules {
      name: "tier 2 tag"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "group" op: "is" value: "2" }
      actions { add_tags { tags: [ "tier2" ] } }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  v1::Message message;
  message.set_body_text("Total OUTAGE since 9am");
  RuleOutcome out =
      RunOn(*rules, OpenTicket(), {MessageEvent(v1::Message::CUSTOMER_MESSAGE)},
            nullptr, &message);
  EXPECT_THAT(out.fired_rules,
              ElementsAre("urgent words", "urgent to tier 2", "tier 2 tag"));
  EXPECT_THAT(out.ticket.tags(), ElementsAre("tier2"));
}

TEST(RulesEngine, AnEarlierRuleFiresInTheNextPassOnALaterRulesChange) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "notify on vip"
      on { kind: FIELD_CHANGED field: TAGS }
      all { field: "tags" op: "contains" value: "vip" }
      actions {
        notify {
          template: "vip"
          recipients: [ GROUP ]
        }
      }
    }
    rules {
      name: "tag vip"
      on { kind: TICKET_CREATED }
      actions { add_tags { tags: [ "vip" ] } }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  RuleOutcome out =
      RunOn(*rules, OpenTicket(), {EventOf(v1::Event::TICKET_CREATED)});
  EXPECT_THAT(out.fired_rules, ElementsAre("tag vip", "notify on vip"));
}

TEST(RulesEngine, ARuleNeverFiresOnItsOwnChange) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "bump"
      on { kind: FIELD_CHANGED field: TAGS }
      actions { add_tags { tags: [ "seen" ] } }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  // No event it reacts to except its own change: it does not fire.
  EXPECT_THAT(
      RunOn(*rules, OpenTicket(), {MessageEvent(v1::Message::CUSTOMER_MESSAGE)})
          .fired_rules,
      IsEmpty());
  // The command's tag change fires it once; its own change fires nothing.
  RuleOutcome out =
      RunOn(*rules, OpenTicket(), {ChangeEvent(v1::FieldChange::TAGS)});
  EXPECT_THAT(out.fired_rules, ElementsAre("bump"));
  EXPECT_FALSE(out.cascade_limit_reached);
}

TEST(RulesEngine, ACascadeStopsAtTheBoundAndSaysSo) {
  // r11 fires on creation and tags t10; r10 reacts to t10 and tags t9; ...
  // Written in reverse, each needs a pass of its own.
  std::string text = "max_passes: 4\n";
  for (int i = 1; i <= 10; ++i) {
    absl::StrAppend(&text, "rules { name: \"r", i,
                    "\" on { kind: FIELD_CHANGED field: TAGS } ",
                    "all { field: \"tags\" op: \"contains\" value: \"t", i,
                    "\" } ", "actions { add_tags { tags: [\"t", i - 1,
                    "\"] } } }\n");
  }
  absl::StrAppend(&text,
                  "rules { name: \"r11\" on { kind: TICKET_CREATED } actions { "
                  "add_tags { tags: [\"t10\"] } } }\n");
  absl::StatusOr<RuleSet> rules = Rules(text);
  ASSERT_THAT(rules.status(), IsOk());
  RuleOutcome out =
      RunOn(*rules, OpenTicket(), {EventOf(v1::Event::TICKET_CREATED)});
  EXPECT_TRUE(out.cascade_limit_reached);
  EXPECT_THAT(out.fired_rules, ElementsAre("r11", "r10", "r9", "r8"));

  // With room for every pass, the cascade runs to its end.
  absl::StatusOr<RuleSet> roomy =
      Rules(absl::StrReplaceAll(text, {{"max_passes: 4", "max_passes: 20"}}));
  ASSERT_THAT(roomy.status(), IsOk());
  RuleOutcome all =
      RunOn(*roomy, OpenTicket(), {EventOf(v1::Event::TICKET_CREATED)});
  EXPECT_FALSE(all.cascade_limit_reached);
  EXPECT_EQ(all.fired_rules.size(), 11u);
}

TEST(RulesEngine, StopProcessingEndsTheRun) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "spam"
      on { kind: TICKET_CREATED }
      all { field: "subject" op: "contains" value: "fire" }
      actions { add_tags { tags: [ "spam" ] } }
      actions { stop_processing: true }
    }
    rules {
      name: "ack"
      on { kind: TICKET_CREATED }
      actions { reply { template: "ack" } }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  RuleOutcome out =
      RunOn(*rules, OpenTicket(), {EventOf(v1::Event::TICKET_CREATED)});
  EXPECT_TRUE(out.stopped);
  EXPECT_THAT(out.fired_rules, ElementsAre("spam"));
}

TEST(RulesEngine, ExplainSaysWhyAndWhyNot) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "urgent"
      on { kind: TICKET_CREATED }
      all { field: "priority" op: "at_least" value: "high" }
      actions { set_group: 2 }
    }
    rules {
      name: "email"
      on { kind: TICKET_CREATED }
      all { field: "channel" op: "is" value: "email" }
      actions { set_group: 3 }
    }
    rules {
      name: "replies"
      on { kind: AGENT_REPLY }
      actions { set_group: 4 }
    }
    rules {
      name: "old"
      disabled: true
      on { kind: TICKET_CREATED }
      actions { set_group: 5 }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  v1::Ticket ticket = OpenTicket();
  RuleContext context{.ticket = &ticket, .now = Jan(12, 11)};
  absl::StatusOr<std::vector<RuleExplanation>> why =
      rules->Explain(context, {EventOf(v1::Event::TICKET_CREATED)}, {});
  ASSERT_THAT(why.status(), IsOk());
  ASSERT_EQ(why->size(), 4u);
  EXPECT_FALSE((*why)[0].would_fire);
  EXPECT_THAT(
      (*why)[0].reason,
      HasSubstr("all[0] (priority at_least high) failed: priority is normal"));
  EXPECT_TRUE((*why)[1].would_fire);
  EXPECT_FALSE((*why)[2].would_fire);
  EXPECT_THAT((*why)[2].reason, HasSubstr("no event"));
  EXPECT_EQ((*why)[3].reason, "disabled");
}

TEST(RulesEngine, IndexedAndScannedAgreeOnSeededRandomTickets) {
  std::mt19937 rng(20261206);
  std::string text;
  const char* fields[] = {"PRIORITY", "TAGS", "GROUP", "STATUS", "ASSIGNEE"};
  const char* kinds[] = {"TICKET_CREATED", "CUSTOMER_MESSAGE", "AGENT_REPLY",
                         "FIELD_CHANGED"};
  for (int i = 0; i < 60; ++i) {
    const char* kind = kinds[rng() % 4];
    absl::StrAppend(&text, "rules { name: \"r", i, "\" on { kind: ", kind);
    if (std::string(kind) == "FIELD_CHANGED")
      absl::StrAppend(&text, " field: ", fields[rng() % 5]);
    absl::StrAppend(&text, " } all { field: \"tags\" op: \"",
                    rng() % 2 ? "contains" : "not_contains", "\" value: \"t",
                    rng() % 6, "\" } ", "actions { add_tags { tags: [\"t",
                    rng() % 6, "\"] } } }\n");
  }
  absl::StatusOr<RuleSet> rules = Rules(text);
  ASSERT_THAT(rules.status(), IsOk());
  for (int n = 0; n < 200; ++n) {
    v1::Ticket ticket = OpenTicket();
    for (int t = 0; t < 6; ++t) {
      if (rng() % 3 == 0) ticket.add_tags(absl::StrCat("t", t));
    }
    std::vector<v1::Event> events = {
        rng() % 2 ? EventOf(v1::Event::TICKET_CREATED)
                  : MessageEvent(v1::Message::CUSTOMER_MESSAGE),
        ChangeEvent(v1::FieldChange::GROUP)};
    RunOn(*rules, ticket, events);  // compares the two engines
  }
}

TEST(RulesEngine, FieldTriggersByFieldAndCustomFieldName) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "assigned"
      on { kind: FIELD_CHANGED field: ASSIGNEE }
      actions {
        notify {
          template: "assigned"
          recipients: [ ASSIGNEE ]
        }
      }
    }
    rules {
      name: "plan"
      on { kind: FIELD_CHANGED field: CUSTOM_FIELD custom_field: "plan" }
      actions { add_tags { tags: [ "plan_changed" ] } }
    }
    rules {
      name: "any custom"
      on { kind: FIELD_CHANGED field: CUSTOM_FIELD }
      actions { add_follower: 3 }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  // Routing's event carries the ASSIGNEE change.
  v1::Event routed = EventOf(v1::Event::ROUTED);
  routed.add_changes()->set_field(v1::FieldChange::ASSIGNEE);
  EXPECT_THAT(RunOn(*rules, OpenTicket(), {routed}).fired_rules,
              ElementsAre("assigned"));
  EXPECT_THAT(RunOn(*rules, OpenTicket(),
                    {ChangeEvent(v1::FieldChange::CUSTOM_FIELD, "seats")})
                  .fired_rules,
              ElementsAre("any custom"));
  EXPECT_THAT(RunOn(*rules, OpenTicket(),
                    {ChangeEvent(v1::FieldChange::CUSTOM_FIELD, "plan")})
                  .fired_rules,
              ElementsAre("plan", "any custom"));
}

TEST(RulesEngine, ANullTicketIsInvalid) {
  absl::StatusOr<RuleSet> rules = Rules("");
  ASSERT_THAT(rules.status(), IsOk());
  RuleContext context;
  EXPECT_THAT(rules->Run(context, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(rules->RunAutomations(context, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(rules->NextDue(context, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(rules->Explain(context, {}, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RulesValidation, TagsAddedAndRemovedByRulesThatTriggerEachOtherLoop) {
  EXPECT_THAT(
      Rules("rules { name: \"add\" on { kind: FIELD_CHANGED field: TAGS } "
            "actions { add_tags { tags: [\"x\"] } } }\n"
            "rules { name: \"remove\" on { kind: FIELD_CHANGED field: TAGS } "
            "actions { remove_tags { tags: [\"x\"] } } }")
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("would loop")));
}

TEST(RulesFuzz, ValidateNeverCrashesOnMangledText) {
  const std::string seed = R"pb(
    max_passes: 5
    rules {
      name: "vip"
      on { kind: TICKET_CREATED }
      on { kind: FIELD_CHANGED field: CUSTOM_FIELD custom_field: "plan" }
      all { field: "message.text" op: "matches" value: "(?i)urgent|down" }
      any {
        field: "priority"
        op: "in"
        values: [ "high", "urgent" ]
      }
      actions { add_tags { tags: [ "vip" ] } }
      actions { set_status: "open" }
      actions {
        notify {
          template: "t"
          recipients: [ ASSIGNEE ]
        }
      }
    }
    rules {
      name: "pending"
      automation { since: PENDING hours: 48 calendar: "support" }
      all { field: "time" op: "open_in" value: "support" }
      actions { reply { template: "reminder" } }
      actions { stop_processing: true }
    })pb";
  ASSERT_THAT(Rules(seed).status(), IsOk());
  const std::string alphabet =
      "{}[]:\"\\ ()*+?|.^$#\n0123456789abcdefghijklmnopqrstuvwxyz_-,";
  const std::vector<std::string> tokens = {
      "rules", "on",    "all",    "any",   "actions",          "field",
      "op",    "value", "values", "kind",  "automation",       "hours",
      "-1",    "1e999", "\"\"",   "\"(\"", "\"a{1000}{1000}\""};
  std::mt19937 rng(14);
  for (int i = 0; i < 3000; ++i) {
    std::string text = seed;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text.erase(at, 1 + rng() % 8);
          break;
        case 1:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          text.insert(at, tokens[rng() % tokens.size()]);
          break;
        case 3:
          text[at] = static_cast<char>(rng() % 256);
          break;
      }
    }
    absl::StatusOr<RuleSet> rules = Rules(text);
    if (!rules.ok()) {
      ASSERT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument)
          << rules.status();
    }
  }
}

}  // namespace
}  // namespace helpdesk
