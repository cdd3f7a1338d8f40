// SlaEngine on bad input: exact codes, messages naming the field and the
// value, in the configuration and in the events.
#include "helpdesk/sla.h"

#include "sla_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Bad input: exact codes, messages naming the field and the value.

absl::Status CreateError(const std::string& text) {
  return SlaEngine::FromText(text, Workflow::Default()).status();
}

TEST(SlaConfigTest, BadTimeZoneInACalendar) {
  EXPECT_THAT(
      CreateError("calendars { name: \"mars\" time_zone: \"Mars/Olympus\" }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("calendars[0]"), HasSubstr("mars"),
                     HasSubstr("time_zone"), HasSubstr("Mars/Olympus"))));
}

TEST(SlaConfigTest, OverlappingIntervalsInACalendar) {
  EXPECT_THAT(
      CreateError(
          "calendars { name: \"x\" time_zone: \"UTC\" weekly_hours { "
          "days: [WEEKDAY_MONDAY] intervals { open: \"09:00\" close: "
          "\"12:00\" } intervals { open: \"11:00\" close: \"13:00\" } } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("calendars[0] 'x'"), HasSubstr("overlaps"))));
}

TEST(SlaConfigTest, CalendarNames) {
  EXPECT_THAT(CreateError("calendars { time_zone: \"UTC\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("calendars[0].name is empty")));
  EXPECT_THAT(CreateError("calendars { name: \"a\" time_zone: \"UTC\" } "
                          "calendars { name: \"a\" time_zone: \"UTC\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("calendars[1].name 'a'"),
                             HasSubstr("calendars[0]"))));
  EXPECT_THAT(CreateError("calendars { name: \"a\" time_zone: \"UTC\" } "
                          "policies { name: \"p\" calendar: \"b\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("policies[0].calendar 'b'"),
                             HasSubstr("known: 'a'"))));
}

TEST(SlaConfigTest, UnknownPauseStatus) {
  EXPECT_THAT(CreateError("policies { name: \"p\" pause_statuses: "
                          "[\"pending\", \"waiting\"] }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("policies[0].pause_statuses[1]"),
                             HasSubstr("waiting"))));
}

TEST(SlaConfigTest, SolvedOrClosedPauseStatus) {
  EXPECT_THAT(
      CreateError("policies { name: \"p\" pause_statuses: [\"solved\"] }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("policies[0].pause_statuses[0] 'solved'"),
                     HasSubstr("STATUS_CATEGORY_SOLVED"))));
  EXPECT_THAT(
      CreateError("policies { name: \"p\" pause_statuses: [\"closed\"] }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("policies[0].pause_statuses[0] 'closed'")));
}

TEST(SlaConfigTest, ZeroOrNegativeTarget) {
  EXPECT_THAT(
      CreateError("policies { name: \"p\" targets { metric: "
                  "SLA_METRIC_FIRST_REPLY } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("policies[0].targets[0].target 0 must be positive")));
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" targets { metric: SLA_METRIC_FIRST_REPLY "
          "target { seconds: 60 } } targets { metric: "
          "SLA_METRIC_NEXT_REPLY target { seconds: -90 } } }"),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("policies[0].targets[1].target -1m30s must be positive")));
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" targets { metric: SLA_METRIC_FIRST_REPLY "
          "target { seconds: 1 nanos: -5 } } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("policies[0].targets[0].target {seconds: 1 nanos: -5} "
                         "is not a valid duration")));
}

TEST(SlaConfigTest, WarningNotShorterThanTarget) {
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" targets { metric: SLA_METRIC_FIRST_REPLY "
          "target { seconds: 3600 } warn_before { seconds: 3600 } } }"),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("policies[0].targets[0].warn_before 1h must be shorter "
                    "than the target 1h")));
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" targets { metric: SLA_METRIC_FIRST_REPLY "
          "target { seconds: 3600 } warn_before { seconds: -60 } } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("policies[0].targets[0].warn_before -1m must not be "
                         "negative")));
}

TEST(SlaConfigTest, BusinessHoursTargetWithoutCalendar) {
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" targets { metric: SLA_METRIC_FIRST_REPLY "
          "target { seconds: 3600 } business_hours: true } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("policies[0].targets[0].business_hours"),
                     HasSubstr("policies[0].calendar is empty"))));
}

TEST(SlaConfigTest, BusinessHoursTargetWithNeverOpenCalendar) {
  EXPECT_THAT(
      CreateError(
          "calendars { name: \"never\" time_zone: \"UTC\" } "
          "policies { name: \"p\" calendar: \"never\" targets { metric: "
          "SLA_METRIC_FIRST_REPLY target { seconds: 3600 } "
          "business_hours: true } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("policies[0].targets[0].business_hours"),
                     HasSubstr("'never' is never open"))));
  // Calendar time with that calendar is fine.
  EXPECT_THAT(
      CreateError(
          "calendars { name: \"never\" time_zone: \"UTC\" } "
          "policies { name: \"p\" calendar: \"never\" targets { metric: "
          "SLA_METRIC_FIRST_REPLY target { seconds: 3600 } } }"),
      IsOk());
}

TEST(SlaConfigTest, DuplicatePolicyNames) {
  EXPECT_THAT(
      CreateError("policies { name: \"standard\" } policies { name: \"vip\" } "
                  "policies { name: \"standard\" }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("policies[2].name 'standard'"),
                     HasSubstr("policies[0]"))));
  EXPECT_THAT(CreateError("policies { }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("policies[0].name is empty")));
}

TEST(SlaConfigTest, UnspecifiedMetricPriorityOrChannel) {
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" targets { target { seconds: 60 } } }"),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("policies[0].targets[0].metric SLA_METRIC_UNSPECIFIED")));
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" targets { metric: SLA_METRIC_FIRST_REPLY "
          "target { seconds: 60 } priorities: [PRIORITY_UNSPECIFIED] } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("policies[0].targets[0].priorities[0] "
                         "PRIORITY_UNSPECIFIED")));
  EXPECT_THAT(
      CreateError(
          "policies { name: \"p\" applies_when { priorities: [PRIORITY_LOW, "
          "PRIORITY_UNSPECIFIED] } }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("policies[0].applies_when.priorities[1]")));
  EXPECT_THAT(
      CreateError("policies { name: \"p\" applies_when { channels: "
                  "[CHANNEL_UNSPECIFIED] } }"),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr(
              "policies[0].applies_when.channels[0] CHANNEL_UNSPECIFIED")));
}

TEST(SlaConfigTest, MalformedText) {
  EXPECT_THAT(
      CreateError("policies { name: \"p\" colour: \"red\" }"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
}

TEST(SlaConfigTest, StatusOfAnotherWorkflow) {
  ASSERT_OK_AND_ASSIGN(
      Workflow workflow, Workflow::FromText(R"pb(
        statuses { name: "todo" category: STATUS_CATEGORY_NEW }
        statuses { name: "waiting" category: STATUS_CATEGORY_PENDING }
        statuses { name: "done" category: STATUS_CATEGORY_CLOSED }
        initial_status: "todo"
        transitions {
          from: [ "todo" ]
          to: "waiting"
        }
        transitions {
          from: [ "todo", "waiting" ]
          to: "done"
        }
        transitions {
          from: [ "waiting" ]
          to: "todo"
        }
        merged_status: "done"
      )pb"));
  EXPECT_THAT(
      SlaEngine::FromText(
          "policies { name: \"p\" pause_statuses: [\"waiting\"] }", workflow),
      IsOk());
  EXPECT_THAT(
      SlaEngine::FromText(
          "policies { name: \"p\" pause_statuses: [\"pending\"] }", workflow)
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("policies[0].pause_statuses[0]"),
                     HasSubstr("pending"))));
}

class SlaEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine("", Target("FIRST_REPLY", H(1)));
    ASSERT_OK(engine.status());
    engine_ = std::make_unique<SlaEngine>(*std::move(engine));
  }
  absl::Status Evaluate(const std::vector<v1::Event>& events,
                        absl::Time now = Jan(12, 12)) {
    return engine_->Evaluate(NormalTicket(), events, now).status();
  }
  std::unique_ptr<SlaEngine> engine_;
};

TEST_F(SlaEventsTest, OutOfOrderEvents) {
  std::vector<v1::Event> events =
      Log(Jan(12, 9)).Reply(Jan(12, 10)).Note(Jan(12, 9, 30)).events();
  EXPECT_THAT(Evaluate(events),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("events[2].time 2026-01-12T08:30:00Z"),
                             HasSubstr("before events[1].time"))));
  // Also when the misplaced event lies after `now`.
  EXPECT_THAT(Evaluate(events, Jan(12, 9, 45)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[2].time")));
}

TEST_F(SlaEventsTest, LogMustStartWithCreation) {
  std::vector<v1::Event> events = Log(Jan(12, 9)).Reply(Jan(12, 10)).events();
  EXPECT_THAT(Evaluate({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("events is empty")));
  EXPECT_THAT(Evaluate({events[1]}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].kind MESSAGE_ADDED")));
  EXPECT_THAT(Evaluate({events[0], events[0]}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].kind TICKET_CREATED")));
  EXPECT_THAT(Evaluate(events, Jan(12, 8)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("now 2026-01-12T07:00:00Z is before")));
}

TEST_F(SlaEventsTest, InvalidTimestamp) {
  std::vector<v1::Event> events = Log(Jan(12, 9)).Reply(Jan(12, 10)).events();
  events[1].mutable_time()->set_seconds(std::numeric_limits<int64_t>::max());
  EXPECT_THAT(
      Evaluate(events),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("events[1].time {seconds: 9223372036854775807")));
  events[1].mutable_time()->set_seconds(1768208400);
  events[1].mutable_time()->set_nanos(-1);
  EXPECT_THAT(Evaluate(events), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("nanos: -1}")));
}

TEST_F(SlaEventsTest, UnknownStatusOrPriorityInEvents) {
  EXPECT_THAT(Evaluate(Log(Jan(12, 9)).Status(Jan(12, 10), "limbo").events()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("events[1].changes.status 'limbo'"))));
  EXPECT_THAT(Evaluate(Log(Jan(12, 9)).Priority(Jan(12, 10), "mega").events()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].changes.priority 'mega'")));
}

TEST(SlaEngineTest, TimesBeyondTheCalendarRangeAreFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(SlaEngine engine,
                       Engine("madrid", Target("FIRST_REPLY", H(4), true)));
  const absl::Time created = absl::FromCivil(
      absl::CivilSecond(2299, 12, 31, 12, 0, 0), absl::UTCTimeZone());
  const Log log(created);
  EXPECT_THAT(
      engine.Evaluate(NormalTicket(), log.events(), created + absl::Hours(48))
          .status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("supported range")));
}

}  // namespace
}  // namespace helpdesk
