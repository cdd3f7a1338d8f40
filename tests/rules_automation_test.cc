// Time-based automations: windows and idempotent ticks, the next due time
// against a minute-by-minute reference on seeded random tickets and
// calendars, and regular expressions that stay linear on long input.
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/rules.h"
#include "helpdesk/testing/status_matchers.h"
#include "rules_test_util.h"

namespace helpdesk {
namespace {

using ::helpdesk::rules_test::Jan;
using ::helpdesk::rules_test::MessageEvent;
using ::helpdesk::rules_test::OpenTicket;
using ::helpdesk::rules_test::Rules;
using ::helpdesk::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

v1::Ticket PendingSince(absl::Time t) {
  v1::Ticket ticket = OpenTicket();
  ticket.set_status("pending");
  ticket.set_status_category(v1::STATUS_CATEGORY_PENDING);
  *ticket.mutable_updated_at() = ToTimestamp(t);
  return ticket;
}

TEST(RulesAutomation, PendingReminderFiresOncePerWindowInBusinessHours) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "remind"
      automation { since: PENDING hours: 16 calendar: "support" }
      actions {
        notify {
          template: "pending"
          recipients: [ ASSIGNEE ]
        }
      }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  // Pending from Friday 16 January 15:00: 2 business hours on Friday, 8 on
  // Monday, 6 on Tuesday: due Tuesday 20 January 15:00.
  v1::Ticket ticket = PendingSince(Jan(16, 15));
  RuleContext context{.ticket = &ticket, .now = Jan(16, 15)};
  context.timeline.status_changed_at = Jan(16, 15);
  absl::StatusOr<std::optional<absl::Time>> due = rules->NextDue(context, {});
  ASSERT_THAT(due.status(), IsOk());
  EXPECT_EQ(*due, Jan(20, 15));

  context.now = Jan(20, 14, 59);
  absl::StatusOr<RuleOutcome> early = rules->RunAutomations(context, {});
  ASSERT_THAT(early.status(), IsOk());
  EXPECT_THAT(early->fired_rules, IsEmpty());

  context.now = Jan(20, 15);
  absl::StatusOr<RuleOutcome> fired = rules->RunAutomations(context, {});
  ASSERT_THAT(fired.status(), IsOk());
  EXPECT_THAT(fired->fired_rules, ElementsAre("remind"));
  ASSERT_EQ(fired->firings.firings_size(), 1);
  EXPECT_EQ(FromTimestamp(fired->firings.firings(0).window_start()),
            Jan(16, 15));

  // Ticks at the same and later times fire nothing more in this window, and
  // the next due time is gone.
  for (absl::Time later : {Jan(20, 15), Jan(21, 9), Jan(30, 12)}) {
    context.now = later;
    absl::StatusOr<RuleOutcome> again =
        rules->RunAutomations(context, fired->firings);
    ASSERT_THAT(again.status(), IsOk());
    EXPECT_THAT(again->fired_rules, IsEmpty());
    EXPECT_EQ(again->firings.SerializeAsString(),
              fired->firings.SerializeAsString());
    EXPECT_EQ(*rules->NextDue(context, fired->firings), std::nullopt);
  }
  absl::StatusOr<std::vector<RuleExplanation>> why =
      rules->Explain(context, {}, fired->firings);
  ASSERT_THAT(why.status(), IsOk());
  EXPECT_THAT(
      (*why)[0].reason,
      HasSubstr("fired already in the window from 2026-01-16T14:00:00"));

  // Pending again later: a new window, which fires again when due.
  context.timeline.status_changed_at = Jan(22, 9);
  context.now = Jan(23, 17);
  absl::StatusOr<RuleOutcome> second =
      rules->RunAutomations(context, fired->firings);
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_THAT(second->fired_rules, ElementsAre("remind"));
  // The old window's firing is dropped: the memory stays small.
  ASSERT_EQ(second->firings.firings_size(), 1);
  EXPECT_EQ(FromTimestamp(second->firings.firings(0).window_start()),
            Jan(22, 9));

  // Not pending: no window, nothing due.
  v1::Ticket open = OpenTicket();
  context.ticket = &open;
  EXPECT_EQ(*rules->NextDue(context, {}), std::nullopt);
}

TEST(RulesAutomation, CloseSevenDaysAfterSolvedAndExplain) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "close"
      automation { since: SOLVED hours: 168 }
      all { field: "tags" op: "not_contains" value: "keep" }
      actions { set_status: "closed" }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  v1::Ticket ticket = OpenTicket();
  ticket.set_status("solved");
  ticket.set_status_category(v1::STATUS_CATEGORY_SOLVED);
  *ticket.mutable_solved_at() = ToTimestamp(Jan(12, 12));
  RuleContext context{.ticket = &ticket, .now = Jan(19, 11)};
  absl::StatusOr<std::vector<RuleExplanation>> why =
      rules->Explain(context, {}, {});
  ASSERT_THAT(why.status(), IsOk());
  EXPECT_FALSE((*why)[0].would_fire);
  EXPECT_THAT((*why)[0].reason, HasSubstr("due at 2026-01-19T11:00:00"));
  context.now = Jan(19, 12);
  absl::StatusOr<RuleOutcome> out = rules->RunAutomations(context, {});
  ASSERT_THAT(out.status(), IsOk());
  EXPECT_EQ(out->ticket.status(), "closed");
  // Closed, the solved window is over: the memory is empty and nothing is due.
  EXPECT_EQ(out->firings.firings_size(), 0);
  context.ticket = &out->ticket;
  EXPECT_EQ(*rules->NextDue(context, out->firings), std::nullopt);

  ticket.add_tags("keep");
  context.ticket = &ticket;
  why = rules->Explain(context, {}, {});
  ASSERT_THAT(why.status(), IsOk());
  EXPECT_THAT((*why)[0].reason, HasSubstr("failed: tags is [keep]"));
  EXPECT_EQ(*rules->NextDue(context, {}), std::nullopt);
}

TEST(RulesAutomation, TimelineFromEvents) {
  std::vector<v1::Event> events;
  v1::Event m = MessageEvent(v1::Message::CUSTOMER_MESSAGE);
  *m.mutable_time() = ToTimestamp(Jan(12, 9));
  events.push_back(m);
  v1::Event r = MessageEvent(v1::Message::PUBLIC_REPLY);
  *r.mutable_time() = ToTimestamp(Jan(12, 10));
  r.add_changes()->set_field(v1::FieldChange::STATUS);
  events.push_back(r);
  TicketTimeline t = TimelineFromEvents(events);
  EXPECT_EQ(t.last_customer_message_at, Jan(12, 9));
  EXPECT_EQ(t.last_agent_reply_at, Jan(12, 10));
  EXPECT_EQ(t.status_changed_at, Jan(12, 10));
}

// A random calendar on whole minutes, in a random zone.
v1::CalendarConfig RandomCalendar(std::mt19937& rng) {
  const char* zones[] = {"Europe/Madrid", "America/New_York", "UTC",
                         "Asia/Kolkata"};
  v1::CalendarConfig c;
  c.set_name("cal");
  c.set_time_zone(zones[rng() % 4]);
  v1::WeeklyHours* w = c.add_weekly_hours();
  for (int d = 1; d <= 7; ++d) {
    if (rng() % 3 != 0) w->add_days(static_cast<v1::Weekday>(d));
  }
  if (w->days_size() == 0) w->add_days(v1::WEEKDAY_MONDAY);
  const int open = static_cast<int>(rng() % (20 * 60));
  const int close = open + 15 + static_cast<int>(rng() % (24 * 60 - open - 15));
  v1::OpeningInterval* i = w->add_intervals();
  i->set_open(absl::StrFormat("%02d:%02d", open / 60, open % 60));
  i->set_close(absl::StrFormat("%02d:%02d", close / 60, close % 60));
  return c;
}

TEST(RulesAutomation, NextDueMatchesAMinuteByMinuteReference) {
  std::mt19937 rng(1406);
  const char* sinces[] = {"CREATED",
                          "UPDATED",
                          "STATUS_CHANGED",
                          "PENDING",
                          "LAST_CUSTOMER_MESSAGE",
                          "LAST_AGENT_REPLY"};
  const absl::Time base = absl::FromCivil(absl::CivilMinute(2026, 3, 20, 0, 0),
                                          absl::UTCTimeZone());
  int checked_due = 0;
  for (int seed = 0; seed < 40; ++seed) {
    SCOPED_TRACE(seed);
    v1::CalendarConfig config = RandomCalendar(rng);
    absl::StatusOr<BusinessCalendar> calendar =
        BusinessCalendar::Create(config);
    ASSERT_THAT(calendar.status(), IsOk());
    const bool business = rng() % 2 == 0;
    std::string rule = absl::StrCat(
        "rules { name: \"a\" automation { since: ", sinces[rng() % 6],
        " hours: ", (1 + rng() % 200) * 0.25,
        business ? " calendar: \"cal\"" : "", " }");
    switch (rng() % 3) {
      case 0:
        absl::StrAppend(
            &rule, " all { field: \"time\" op: \"open_in\" value: \"cal\" }");
        break;
      case 1:
        absl::StrAppend(
            &rule, " all { field: \"time\" op: \"closed_in\" value: \"cal\" }");
        break;
      default:
        break;
    }
    absl::StrAppend(&rule, " actions { add_tags { tags: [\"due\"] } } }");
    absl::StatusOr<RuleSet> rules =
        RuleSet::FromText(rule, Workflow::Default(), {*calendar});
    ASSERT_THAT(rules.status(), IsOk()) << rule;
    auto minute = [&](int max) {
      return base + absl::Minutes(static_cast<int>(rng() % max));
    };
    v1::Ticket ticket = rng() % 2 ? PendingSince(minute(3000)) : OpenTicket();
    *ticket.mutable_created_at() = ToTimestamp(minute(3000));
    *ticket.mutable_updated_at() = ToTimestamp(minute(3000));
    RuleContext context{.ticket = &ticket};
    context.timeline.status_changed_at = minute(3000);
    context.timeline.last_customer_message_at = minute(3000);
    if (rng() % 2) context.timeline.last_agent_reply_at = minute(3000);
    context.now = minute(4000);
    absl::StatusOr<std::optional<absl::Time>> next =
        rules->NextDue(context, {});
    ASSERT_THAT(next.status(), IsOk()) << rule;
    // The reference: the first whole minute at which a tick fires the rule.
    const absl::Time horizon = context.now + absl::Hours(24 * 8);
    std::optional<absl::Time> reference;
    RuleContext tick = context;
    for (absl::Time t = context.now; t < horizon; t += absl::Minutes(1)) {
      tick.now = t;
      absl::StatusOr<RuleOutcome> out = rules->RunAutomations(tick, {});
      ASSERT_THAT(out.status(), IsOk());
      if (!out->fired_rules.empty()) {
        reference = t;
        break;
      }
    }
    if (reference.has_value()) {
      ++checked_due;
      EXPECT_EQ(*next, reference) << rule << " now " << context.now;
    } else {
      EXPECT_TRUE(!next->has_value() || **next >= horizon)
          << rule << " next " << **next;
    }
  }
  EXPECT_GT(checked_due, 10);
}

TEST(RulesAutomation, RegexStaysLinearOnAPathologicalPattern) {
  // (a+)+$ takes exponential time in backtracking engines on "aaa...ab".
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "redos"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "message.text" op: "matches" value: "^(a+)+$" }
      actions { add_tags { tags: [ "matched" ] } }
    })pb");
  ASSERT_THAT(rules.status(), IsOk());
  v1::Message message;
  message.set_body_text(std::string(200000, 'a') + "b");
  v1::Ticket ticket = OpenTicket();
  RuleContext context{
      .ticket = &ticket, .message = &message, .now = Jan(12, 11)};
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<RuleOutcome> out =
      rules->Run(context, {MessageEvent(v1::Message::CUSTOMER_MESSAGE)});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_THAT(out.status(), IsOk());
  EXPECT_THAT(out->fired_rules, IsEmpty());
  // Linear: well under a second for 200 KB even on a loaded machine.
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

}  // namespace
}  // namespace helpdesk
