// Table-driven tests of SlaEngine with hand-computed expectations, the peers'
// known SLA bugs as regression tests, a test driven by a real Desk (so the
// engine reads the events Desk really writes), and bad input.
//
// Times are civil times in the calendar's zone; January 2026 starts on a
// Thursday (Fri 9, Mon 12, Tue 13, Wed 14, Thu 15, Fri 16).
#include "helpdesk/sla.h"

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/audit.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::TimeZone Zone(const char* name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

// A civil time in Madrid.
absl::Time Mad(int y, int mo, int d, int h, int mi = 0) {
  static const absl::TimeZone tz = Zone("Europe/Madrid");
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), tz);
}

// A civil time in New York.
absl::Time Nyc(int y, int mo, int d, int h, int mi = 0) {
  static const absl::TimeZone tz = Zone("America/New_York");
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), tz);
}

// Monday 12 January 2026 in Madrid at h:mi; Jan(13, 10) is Tuesday 10:00.
absl::Time Jan(int day, int h, int mi = 0) { return Mad(2026, 1, day, h, mi); }

// A ticket's audit log, written the way Desk writes it (see desk.cc):
// TICKET_CREATED with field changes from "" and the first message's kind;
// MESSAGE_ADDED with the message's kind (a customer's message on a pending or
// solved ticket reopens it to "open", as the default workflow does);
// FIELDS_CHANGED for status and priority; MERGED_INTO closing the ticket.
class Log {
 public:
  explicit Log(absl::Time created, std::string priority = "normal",
               v1::Message::Kind first = v1::Message::CUSTOMER_MESSAGE,
               std::string status = "new")
      : status_(status) {
    v1::Event& e = Add(v1::Event::TICKET_CREATED, created);
    if (first != v1::Message::KIND_UNSPECIFIED) {
      e.set_message_id(++message_id_);
      e.set_message_kind(first);
    }
    AddChange(e.mutable_changes(), v1::FieldChange::SUBJECT, std::nullopt,
              TextValue("VPN drops every hour"));
    AddChange(e.mutable_changes(), v1::FieldChange::STATUS, std::nullopt,
              StatusValue(status));
    AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY, std::nullopt,
              PriorityNamed(priority));
    AddChange(e.mutable_changes(), v1::FieldChange::REQUESTER, std::nullopt,
              ContactValue(7));
  }

  Log& Customer(absl::Time t) {
    v1::Event& e = Message(t, v1::Message::CUSTOMER_MESSAGE);
    if (status_ == "pending" || status_ == "solved") {
      StatusChange(e, status_, "open");
      status_ = "open";
    }
    return *this;
  }
  Log& Reply(absl::Time t) {
    Message(t, v1::Message::PUBLIC_REPLY);
    return *this;
  }
  Log& Note(absl::Time t) {
    Message(t, v1::Message::INTERNAL_NOTE);
    return *this;
  }
  Log& Status(absl::Time t, const std::string& status) {
    v1::Event& e = Add(v1::Event::FIELDS_CHANGED, t);
    StatusChange(e, status_, status);
    status_ = status;
    return *this;
  }
  Log& Priority(absl::Time t, const std::string& priority) {
    v1::Event& e = Add(v1::Event::FIELDS_CHANGED, t);
    AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY, PriorityNamed(priority_),
              PriorityNamed(priority));
    priority_ = priority;
    return *this;
  }
  Log& Merge(absl::Time t) {
    v1::Event& e = Add(v1::Event::MERGED_INTO, t);
    e.set_related_ticket_id(99);
    AddChange(e.mutable_changes(), v1::FieldChange::MERGED_INTO, TicketValue(0),
              TicketValue(99));
    StatusChange(e, status_, "closed");
    status_ = "closed";
    return *this;
  }
  Log& Link(absl::Time t) {
    v1::Event& e = Add(v1::Event::LINKED, t);
    e.set_related_ticket_id(98);
    v1::TicketLink link;
    link.set_kind(v1::TicketLink::RELATED);
    link.set_ticket_id(98);
    AddChange(e.mutable_changes(), v1::FieldChange::LINKS,
              LinksValue(std::vector<v1::TicketLink>{}),
              LinksValue(std::vector<v1::TicketLink>{link}));
    return *this;
  }

  const std::vector<v1::Event>& events() const { return events_; }

 private:
  v1::Event& Add(v1::Event::Kind kind, absl::Time t) {
    v1::Event& e = events_.emplace_back();
    e.set_id(static_cast<int64_t>(events_.size()));
    e.set_ticket_id(1);
    e.set_kind(kind);
    *e.mutable_time() = ToTimestamp(t);
    e.set_ticket_version(static_cast<int64_t>(events_.size()));
    return e;
  }
  v1::Event& Message(absl::Time t, v1::Message::Kind kind) {
    v1::Event& e = Add(v1::Event::MESSAGE_ADDED, t);
    e.set_message_id(++message_id_);
    e.set_message_kind(kind);
    return e;
  }
  static void StatusChange(v1::Event& e, const std::string& before,
                           const std::string& after) {
    AddChange(e.mutable_changes(), v1::FieldChange::STATUS, StatusValue(before),
              StatusValue(after));
  }
  // A priority by name; a name that is no priority ("mega") becomes the
  // legacy_text an old file's unreadable value is kept as.
  static v1::FieldValue PriorityNamed(const std::string& name) {
    absl::StatusOr<v1::Priority> p = ParsePriority(name);
    if (p.ok()) return PriorityValue(*p);
    v1::FieldValue v;
    v.set_legacy_text(name);
    return v;
  }

  std::vector<v1::Event> events_;
  std::string status_;
  std::string priority_ = "normal";
  int64_t message_id_ = 0;
};

// Calendars every table case may use.
constexpr char kWeekdays[] =
    "days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, "
    "WEEKDAY_THURSDAY, WEEKDAY_FRIDAY]";
constexpr char kAllDays[] =
    "days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, "
    "WEEKDAY_THURSDAY, WEEKDAY_FRIDAY, WEEKDAY_SATURDAY, WEEKDAY_SUNDAY]";

std::string Calendars() {
  return absl::StrCat(
      // Mon-Fri 09:00-18:00.
      "calendars { name: \"madrid\" time_zone: \"Europe/Madrid\" weekly_hours "
      "{ ",
      kWeekdays, " intervals { open: \"09:00\" close: \"18:00\" } } }\n",
      // Mon-Fri 09:00-17:00.
      "calendars { name: \"madrid_9_17\" time_zone: \"Europe/Madrid\" "
      "weekly_hours { ",
      kWeekdays, " intervals { open: \"09:00\" close: \"17:00\" } } }\n",
      // Mon-Fri 09:00-18:00, closed on Wednesday 14 January 2026.
      "calendars { name: \"madrid_holiday\" time_zone: \"Europe/Madrid\" "
      "weekly_hours { ",
      kWeekdays,
      " intervals { open: \"09:00\" close: \"18:00\" } } "
      "holidays { date: \"2026-01-14\" name: \"Staff day\" } }\n",
      // A night desk: Mon-Fri 22:00 to 06:00 the next morning.
      "calendars { name: \"night\" time_zone: \"Europe/Madrid\" weekly_hours "
      "{ ",
      kWeekdays,
      " intervals { open: \"22:00\" close: \"06:00\" ends_next_day: true } } "
      "}\n",
      "calendars { name: \"madrid_24_7\" time_zone: \"Europe/Madrid\" "
      "weekly_hours { ",
      kAllDays, " intervals { open: \"00:00\" close: \"24:00\" } } }\n",
      "calendars { name: \"new_york_24_7\" time_zone: \"America/New_York\" "
      "weekly_hours { ",
      kAllDays, " intervals { open: \"00:00\" close: \"24:00\" } } }\n");
}

// One target in text format.
std::string Target(const std::string& metric, absl::Duration target,
                   bool business = false,
                   absl::Duration warn = absl::ZeroDuration(),
                   const std::string& priorities = "") {
  return absl::StrCat(
      "targets { metric: SLA_METRIC_", metric,
      " target { seconds: ", absl::ToInt64Seconds(target), " }",
      business ? " business_hours: true" : "",
      warn > absl::ZeroDuration()
          ? absl::StrCat(" warn_before { seconds: ", absl::ToInt64Seconds(warn),
                         " }")
          : "",
      priorities.empty() ? "" : absl::StrCat(" priorities: [", priorities, "]"),
      " }\n");
}

absl::StatusOr<SlaEngine> Engine(const std::string& calendar,
                                 const std::string& body) {
  return SlaEngine::FromText(
      absl::StrCat(
          Calendars(), "policies { name: \"standard\" ",
          calendar.empty() ? "" : absl::StrCat("calendar: \"", calendar, "\" "),
          body, " }"),
      Workflow::Default());
}

v1::Ticket NormalTicket() {
  v1::Ticket t;
  t.set_id(1);
  t.set_priority(v1::PRIORITY_NORMAL);
  t.set_channel(v1::CHANNEL_EMAIL);
  return t;
}

const SlaMetricStatus* Find(const SlaStatus& status, v1::SlaMetric metric) {
  for (const SlaMetricStatus& m : status.metrics) {
    if (m.metric == metric) return &m;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// The table.

struct Case {
  std::string name;
  std::string calendar;  // Empty: none.
  std::string policy;    // Targets, pause statuses, reopen rule.
  std::function<Log()> log;
  absl::Time now;
  v1::SlaMetric metric;
  SlaState state;
  absl::Duration used;
  std::optional<absl::Time> due;
  std::optional<absl::Time> breached_at = std::nullopt;
  std::optional<absl::Time> stopped_at = std::nullopt;
  int cycles = 1;
  int breached_cycles = 0;
  std::optional<absl::Duration> target = std::nullopt;  // Checked when set.
  std::optional<absl::Time> started_at = std::nullopt;  // Checked when set.
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

constexpr auto kFirstReply = v1::SLA_METRIC_FIRST_REPLY;
constexpr auto kNextReply = v1::SLA_METRIC_NEXT_REPLY;
constexpr auto kPeriodic = v1::SLA_METRIC_PERIODIC_UPDATE;
constexpr auto kRequesterWait = v1::SLA_METRIC_REQUESTER_WAIT;
constexpr auto kAgentWork = v1::SLA_METRIC_AGENT_WORK;
constexpr auto kFirstResolution = v1::SLA_METRIC_FIRST_RESOLUTION;
constexpr auto kFullResolution = v1::SLA_METRIC_FULL_RESOLUTION;

absl::Duration H(double hours) { return absl::Minutes(hours * 60); }

const std::string kFirstReply4Bh = Target("FIRST_REPLY", H(4), true);
const std::string kFirstReplyByPriority =
    Target("FIRST_REPLY", H(1), false, absl::ZeroDuration(),
           "PRIORITY_URGENT") +
    Target("FIRST_REPLY", H(4));
const std::string kResolution8h =
    Target("FULL_RESOLUTION", H(8)) + Target("FIRST_RESOLUTION", H(8)) +
    Target("REQUESTER_WAIT", H(8)) + Target("AGENT_WORK", H(8));

// A ticket solved at 11:00 and reopened by the customer at 15:00 (Monday).
Log SolvedAndReopened() {
  return std::move(
      Log(Jan(12, 9)).Status(Jan(12, 11), "solved").Customer(Jan(12, 15)));
}

// new 09-10, open 10-11, pending 11-12, on_hold 12-13, open from 13:00.
Log ThroughEveryStatus() {
  return std::move(Log(Jan(12, 9))
                       .Status(Jan(12, 10), "open")
                       .Status(Jan(12, 11), "pending")
                       .Status(Jan(12, 12), "on_hold")
                       .Status(Jan(12, 13), "open"));
}

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      // Created Friday 16:30, 4 business hours: Friday 16:30-17:00 (0.5h),
      // then Monday 09:00-12:30 (3.5h).
      {.name = "FridayAfternoonNineToFiveDueMonday1230",
       .calendar = "madrid_9_17",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(9, 16, 30)); },
       .now = Jan(9, 16, 45),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(15),
       .due = Jan(12, 12, 30)},
      // With 09:00-18:00: Friday 16:30-18:00 (1.5h), Monday 09:00-11:30.
      {.name = "FridayAfternoonNineToSixDueMonday1130",
       .calendar = "madrid",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(9, 16, 30)); },
       .now = Jan(9, 16, 45),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(15),
       .due = Jan(12, 11, 30)},
      // Read on Monday 10:00: 0.5h on Friday, 1h on Monday.
      {.name = "FridayTicketReadOnMonday",
       .calendar = "madrid_9_17",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(9, 16, 30)); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(1.5),
       .due = Jan(12, 12, 30)},
      // Pending from Monday 11:00 to Tuesday 10:00 pauses 8 business hours
      // (Mon 11-18, Tue 9-10): due Tuesday 17:00 instead of Monday 18:00.
      {.name = "PendingPausesBusinessClock",
       .calendar = "madrid",
       .policy = Target("FULL_RESOLUTION", H(8), true) +
                 "pause_statuses: [\"pending\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 10))
                                  .Status(Jan(12, 11), "pending")
                                  .Customer(Jan(13, 10)));
           },
       .now = Jan(13, 12),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(13, 17)},
      {.name = "PausedClockHasNoDueTime",
       .calendar = "madrid",
       .policy = Target("FULL_RESOLUTION", H(8), true) +
                 "pause_statuses: [\"pending\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 10)).Status(Jan(12, 11), "pending"));
           },
       .now = Jan(12, 15),
       .metric = kFullResolution,
       .state = SlaState::kPaused,
       .used = H(1),
       .due = std::nullopt},
      // Calendar time: pending 11:00-13:00 moves the due time from 18:00 to
      // 20:00.
      {.name = "PendingPausesCalendarClock",
       .calendar = "",
       .policy =
           Target("FULL_RESOLUTION", H(8)) + "pause_statuses: [\"pending\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 10))
                                  .Status(Jan(12, 11), "pending")
                                  .Status(Jan(12, 13), "open"));
           },
       .now = Jan(12, 14),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(2),
       .due = Jan(12, 20)},
      // Solved 11:00 (2h used), reopened 15:00; resume: 3h used at 16:00,
      // 6h left from 15:00.
      {.name = "ReopenResumesFullResolution",
       .calendar = "",
       .policy = kResolution8h + "reopen: REOPEN_RESUME",
       .log = SolvedAndReopened,
       .now = Jan(12, 16),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(12, 21),
       .started_at = Jan(12, 9)},
      // Restart: a second cycle from the reopen at 15:00.
      {.name = "ReopenRestartsFullResolution",
       .calendar = "",
       .policy = kResolution8h + "reopen: REOPEN_RESTART",
       .log = SolvedAndReopened,
       .now = Jan(12, 16),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 23),
       .cycles = 2,
       .started_at = Jan(12, 15)},
      // First resolution stops at the first solve for good; it was due at
      // 17:00 (it counted from 09:00 without a pause).
      {.name = "FirstResolutionMetAtFirstSolve",
       .calendar = "",
       .policy = kResolution8h + "reopen: REOPEN_RESTART",
       .log = SolvedAndReopened,
       .now = Jan(12, 16),
       .metric = kFirstResolution,
       .state = SlaState::kMet,
       .used = H(2),
       .due = Jan(12, 17),
       .stopped_at = Jan(12, 11)},
      // Requester wait stops at the last solve (16:00): 2h + 1h.
      {.name = "RequesterWaitStopsAtLastSolve",
       .calendar = "",
       .policy = kResolution8h,
       .log =
           [] {
             return std::move(
                 SolvedAndReopened().Status(Jan(12, 16), "solved"));
           },
       .now = Jan(12, 18),
       .metric = kRequesterWait,
       .state = SlaState::kMet,
       .used = H(3),
       .due = Jan(12, 21),
       .stopped_at = Jan(12, 16)},
      // Urgent from 10:30: the running cycle's target becomes 1h from its
      // start at 09:00, so it was breached at 10:00.
      {.name = "PriorityRaisedRecomputesFromStart",
       .calendar = "",
       .policy = kFirstReplyByPriority,
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9)).Priority(Jan(12, 10, 30), "urgent"));
           },
       .now = Jan(12, 10, 30),
       .metric = kFirstReply,
       .state = SlaState::kBreached,
       .used = H(1.5),
       .due = Jan(12, 10),
       .breached_at = Jan(12, 10),
       .breached_cycles = 1,
       .target = H(1)},
      {.name = "PriorityLoweredRecomputesFromStart",
       .calendar = "",
       .policy = kFirstReplyByPriority,
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9), "urgent").Priority(Jan(12, 9, 30), "normal"));
           },
       .now = Jan(12, 9, 45),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(45),
       .due = Jan(12, 13),
       .target = H(4)},
      // Replied at 11:00 under normal (4h); urgent from 12:00 does not
      // change the finished cycle.
      {.name = "FinishedCycleKeepsItsPriority",
       .calendar = "",
       .policy = kFirstReplyByPriority,
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Reply(Jan(12, 11))
                                  .Priority(Jan(12, 12), "urgent"));
           },
       .now = Jan(12, 13),
       .metric = kFirstReply,
       .state = SlaState::kMet,
       .used = H(2),
       .due = Jan(12, 13),
       .stopped_at = Jan(12, 11),
       .target = H(4)},
      // Night desk: Friday 05:00-06:00 is Thursday's shift (1h); Friday's
      // shift opens 22:00 and the other 3h end Saturday 01:00.
      {.name = "OvernightShiftRunsIntoSaturday",
       .calendar = "night",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(16, 5)); },
       .now = Jan(16, 5, 30),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(30),
       .due = Mad(2026, 1, 17, 1)},
      {.name = "OvernightShiftOpensInTheEvening",
       .calendar = "night",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(13, 20)); },
       .now = Jan(13, 21),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Jan(14, 2)},
      // Spring forward (Madrid, Sunday 29 March 2026): business hours do not
      // care; Friday 16:00-18:00, then Monday 09:00-11:00 (now UTC+2).
      {.name = "SpringForwardWeekendBusinessHours",
       .calendar = "madrid",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Mad(2026, 3, 27, 16)); },
       .now = Mad(2026, 3, 27, 16),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Mad(2026, 3, 30, 11)},
      // 72 real hours from Friday 16:00 UTC+1 end Monday 17:00 UTC+2.
      {.name = "SpringForwardWeekendCalendarTime",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(72)),
       .log = [] { return Log(Mad(2026, 3, 27, 16)); },
       .now = Mad(2026, 3, 27, 16),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Mad(2026, 3, 30, 17)},
      // A 24/7 calendar: Sunday has 23 hours, so 48 business hours from
      // Saturday 12:00 end Monday 13:00 wall time.
      {.name = "SpringForward24x7Madrid",
       .calendar = "madrid_24_7",
       .policy = Target("FIRST_REPLY", H(48), true),
       .log = [] { return Log(Mad(2026, 3, 28, 12)); },
       .now = Mad(2026, 3, 28, 12),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Mad(2026, 3, 30, 13)},
      // Fall back (New York, Sunday 1 November 2026): a 25-hour Sunday, so
      // 24 business hours from Saturday 12:00 EDT end Sunday 11:00 EST.
      {.name = "FallBack24x7NewYork",
       .calendar = "new_york_24_7",
       .policy = Target("FIRST_REPLY", H(24), true),
       .log = [] { return Log(Nyc(2026, 10, 31, 12)); },
       .now = Nyc(2026, 11, 1, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(23),
       .due = Nyc(2026, 11, 1, 11)},
      // Fall back (Madrid, Sunday 25 October 2026): Friday 17:00-18:00, then
      // Monday 09:00-12:00 UTC+1.
      {.name = "FallBackWeekendBusinessHours",
       .calendar = "madrid",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Mad(2026, 10, 23, 17)); },
       .now = Mad(2026, 10, 26, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(2),
       .due = Mad(2026, 10, 26, 12)},
      // Tuesday 14:00-18:00 (4h), Wednesday a holiday, Thursday 09:00-14:00.
      {.name = "HolidayInTheMiddle",
       .calendar = "madrid_holiday",
       .policy = Target("FIRST_REPLY", H(9), true),
       .log = [] { return Log(Jan(13, 14)); },
       .now = Jan(14, 12),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(4),
       .due = Jan(15, 14)},
      // Two customer messages (10:00, 10:30) before the reply at 11:00 are
      // one cycle.
      {.name = "NextReplyTwoCustomerMessagesOneCycle",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(2)),
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Reply(Jan(12, 9, 30))
                                  .Customer(Jan(12, 10))
                                  .Customer(Jan(12, 10, 30))
                                  .Reply(Jan(12, 11)));
           },
       .now = Jan(12, 11, 30),
       .metric = kNextReply,
       .state = SlaState::kMet,
       .used = H(1),
       .due = Jan(12, 12),
       .stopped_at = Jan(12, 11),
       .started_at = Jan(12, 10)},
      // A second cycle from 12:00, unanswered at 15:00: breached at 14:00.
      {.name = "NextReplySecondCycleBreached",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(2)),
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Reply(Jan(12, 9, 30))
                                  .Customer(Jan(12, 10))
                                  .Customer(Jan(12, 10, 30))
                                  .Reply(Jan(12, 11))
                                  .Customer(Jan(12, 12)));
           },
       .now = Jan(12, 15),
       .metric = kNextReply,
       .state = SlaState::kBreached,
       .used = H(3),
       .due = Jan(12, 14),
       .breached_at = Jan(12, 14),
       .cycles = 2,
       .breached_cycles = 1,
       .started_at = Jan(12, 12)},
      // Updates at 10:00 (note), 13:00 (reply: 3h, breached), 14:00 (note).
      {.name = "PeriodicUpdateWithInternalNotes",
       .calendar = "",
       .policy = Target("PERIODIC_UPDATE", H(2)),
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Note(Jan(12, 10))
                                  .Reply(Jan(12, 13))
                                  .Note(Jan(12, 14)));
           },
       .now = Jan(12, 15),
       .metric = kPeriodic,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 16),
       .cycles = 4,
       .breached_cycles = 1,
       .started_at = Jan(12, 14)},
      {.name = "BreachedThenMetStaysBreached",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)),
       .log = [] { return std::move(Log(Jan(12, 9)).Reply(Jan(12, 11))); },
       .now = Jan(12, 12),
       .metric = kFirstReply,
       .state = SlaState::kBreached,
       .used = H(2),
       .due = Jan(12, 10),
       .breached_at = Jan(12, 10),
       .stopped_at = Jan(12, 11),
       .breached_cycles = 1},
      // A target used up exactly at closing time is due at closing time;
      // replying after it is a breach even though no business time passed.
      {.name = "DueAtClosingRepliedInTheEvening",
       .calendar = "madrid",
       .policy = Target("FIRST_REPLY", H(2), true),
       .log = [] { return std::move(Log(Jan(12, 16)).Reply(Jan(12, 20))); },
       .now = Jan(12, 21),
       .metric = kFirstReply,
       .state = SlaState::kBreached,
       .used = H(2),
       .due = Jan(12, 18),
       .breached_at = Jan(12, 18),
       .stopped_at = Jan(12, 20),
       .breached_cycles = 1},
      // Agent work counts in new and open only: 09-11 and 13-14.
      {.name = "AgentWorkCountsNewAndOpenOnly",
       .calendar = "",
       .policy = kResolution8h,
       .log = ThroughEveryStatus,
       .now = Jan(12, 14),
       .metric = kAgentWork,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(12, 19)},
      // Agent work while pending: paused, even with no pause statuses.
      {.name = "AgentWorkPausedWhilePending",
       .calendar = "",
       .policy = kResolution8h,
       .log = ThroughEveryStatus,
       .now = Jan(12, 11, 30),
       .metric = kAgentWork,
       .state = SlaState::kPaused,
       .used = H(2),
       .due = std::nullopt},
      // Requester wait counts pending and on-hold unless they are paused.
      {.name = "RequesterWaitCountsUnpausedStatuses",
       .calendar = "",
       .policy = kResolution8h,
       .log = ThroughEveryStatus,
       .now = Jan(12, 14),
       .metric = kRequesterWait,
       .state = SlaState::kRunning,
       .used = H(5),
       .due = Jan(12, 17)},
      {.name = "RequesterWaitWithPauseStatuses",
       .calendar = "",
       .policy = kResolution8h + "pause_statuses: [\"pending\", \"on_hold\"]",
       .log = ThroughEveryStatus,
       .now = Jan(12, 14),
       .metric = kRequesterWait,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(12, 19)},
      // An agent's outbound ticket starts with its public reply.
      {.name = "OutboundTicketRepliedAtCreation",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)),
       .log =
           [] { return Log(Jan(12, 9), "normal", v1::Message::PUBLIC_REPLY); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kMet,
       .used = absl::ZeroDuration(),
       .due = Jan(12, 10),
       .stopped_at = Jan(12, 9)},
      // ... so the customer's first message starts a next-reply cycle.
      {.name = "OutboundTicketCustomerAnswerStartsNextReply",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(2)),
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9), "normal", v1::Message::PUBLIC_REPLY)
                     .Customer(Jan(12, 10)));
           },
       .now = Jan(12, 11),
       .metric = kNextReply,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 12),
       .started_at = Jan(12, 10)},
      // A merge closes the source: its resolution clock stops there.
      {.name = "MergeClosesTheTicket",
       .calendar = "",
       .policy = kResolution8h,
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9)).Link(Jan(12, 9, 30)).Merge(Jan(12, 10)));
           },
       .now = Jan(12, 12),
       .metric = kFirstResolution,
       .state = SlaState::kMet,
       .used = H(1),
       .due = Jan(12, 17),
       .stopped_at = Jan(12, 10)},
      // Events after `now` are ignored: the reply at 11:00 has not happened.
      {.name = "EventsAfterNowIgnored",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(4)),
       .log = [] { return std::move(Log(Jan(12, 9)).Reply(Jan(12, 11))); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 13)},
      // Zammad #188: a ticket that waited in pending and then on-hold must
      // not escalate at once when reopened: neither status counts.
      {.name = "Zammad188BothPauseStatusesHonoured",
       .calendar = "",
       .policy = Target("FULL_RESOLUTION", H(8)) +
                 "pause_statuses: [\"pending\", \"on_hold\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Status(Jan(12, 10), "pending")
                                  .Status(Jan(12, 12), "on_hold")
                                  .Status(Jan(12, 15), "open"));
           },
       .now = Jan(12, 16),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(2),
       .due = Jan(12, 22)},
      // Zammad #5177: a 1h update target does not override the 4h first
      // reply target.
      {.name = "Zammad5177UpdateTargetDoesNotOverrideFirstReply",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(4)) + Target("PERIODIC_UPDATE", H(1)),
       .log = [] { return std::move(Log(Jan(12, 9)).Note(Jan(12, 9, 30))); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 13),
       .target = H(4)},
      {.name = "Zammad5177PeriodicUpdateRunsOnItsOwn",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(4)) + Target("PERIODIC_UPDATE", H(1)),
       .log = [] { return std::move(Log(Jan(12, 9)).Note(Jan(12, 9, 30))); },
       .now = Jan(12, 10),
       .metric = kPeriodic,
       .state = SlaState::kRunning,
       .used = absl::Minutes(30),
       .due = Jan(12, 10, 30),
       .cycles = 2,
       .target = H(1)},
  };
  return *cases;
}

class SlaTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(SlaTableTest, Metric) {
  const Case& c = GetParam();
  ASSERT_OK_AND_ASSIGN(SlaEngine engine, Engine(c.calendar, c.policy));
  const Log log = c.log();
  ASSERT_OK_AND_ASSIGN(SlaStatus status,
                       engine.Evaluate(NormalTicket(), log.events(), c.now));
  EXPECT_EQ(status.policy, "standard");
  const SlaMetricStatus* m = Find(status, c.metric);
  ASSERT_NE(m, nullptr) << SlaMetricName(c.metric) << " missing";
  EXPECT_EQ(SlaStateName(m->state), SlaStateName(c.state));
  EXPECT_EQ(m->used, c.used);
  EXPECT_EQ(m->left, m->target - m->used);
  EXPECT_EQ(m->due_at, c.due);
  EXPECT_EQ(m->breached_at, c.breached_at);
  EXPECT_EQ(m->stopped_at, c.stopped_at);
  EXPECT_EQ(m->cycle, c.cycles);
  EXPECT_EQ(m->cycles, c.cycles);
  EXPECT_EQ(m->breached_cycles, c.breached_cycles);
  if (c.target) {
    EXPECT_EQ(m->target, *c.target);
  }
  if (c.started_at) {
    EXPECT_EQ(m->started_at, *c.started_at);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SlaTableTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

// ---------------------------------------------------------------------------
// Warnings and the next deadline.

TEST(SlaEngineTest, WarningTimesAndNextDeadline) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true, H(1))));
  // Created Friday 16:30 (09:00-18:00): due Monday 11:30, warned an hour
  // before (real time): 10:30.
  const Log log(Jan(9, 16, 30));
  struct Step {
    absl::Time now;
    SlaState state;
    std::optional<absl::Time> next_deadline;
  };
  const Step steps[] = {
      {Jan(9, 17), SlaState::kRunning, Jan(12, 10, 30)},
      {Jan(12, 10, 30), SlaState::kRunning,
       Jan(12, 11, 30)},  // Strictly after.
      {Jan(12, 11), SlaState::kRunning, Jan(12, 11, 30)},
      {Jan(12, 11, 30), SlaState::kBreached, std::nullopt},
      {Jan(12, 12), SlaState::kBreached, std::nullopt},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.now);
    ASSERT_OK_AND_ASSIGN(
        SlaStatus status,
        engine.Evaluate(NormalTicket(), log.events(), step.now));
    const SlaMetricStatus* m = Find(status, kFirstReply);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->state, step.state);
    EXPECT_EQ(m->warn_before, H(1));
    EXPECT_EQ(m->due_at, Jan(12, 11, 30));
    EXPECT_EQ(m->warn_at, Jan(12, 10, 30));
    EXPECT_EQ(status.next_deadline, step.next_deadline);
  }
}

TEST(SlaEngineTest, NextDeadlineIsTheEarliestAmongRunningMetrics) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(4), false, H(1)) +
                     Target("PERIODIC_UPDATE", H(2), false, absl::Minutes(30)) +
                     Target("FULL_RESOLUTION", H(24)) +
                     "pause_statuses: [\"pending\"]"));
  Log log(Jan(12, 9));
  // 09:10: first reply warns 12:00, periodic update warns 10:30.
  ASSERT_OK_AND_ASSIGN(
      SlaStatus s,
      engine.Evaluate(NormalTicket(), log.events(), Jan(12, 9, 10)));
  EXPECT_EQ(s.next_deadline, Jan(12, 10, 30));
  // A note at 10:00 restarts the periodic update (warns 11:30).
  log.Note(Jan(12, 10));
  ASSERT_OK_AND_ASSIGN(
      s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 10)));
  EXPECT_EQ(s.next_deadline, Jan(12, 11, 30));
  // Pending: every clock paused, nothing to tick.
  log.Status(Jan(12, 10, 15), "pending");
  ASSERT_OK_AND_ASSIGN(
      s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 11)));
  EXPECT_EQ(s.next_deadline, std::nullopt);
  for (const SlaMetricStatus& m : s.metrics) {
    EXPECT_EQ(m.state, SlaState::kPaused) << SlaMetricName(m.metric);
    EXPECT_EQ(m.due_at, std::nullopt);
    EXPECT_EQ(m.warn_at, std::nullopt);
  }
}

TEST(SlaEngineTest, PauseAndResumeMovesDueByThePausedBusinessTime) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true) +
                           "pause_statuses: [\"pending\", \"on_hold\"]"));
  // Created Monday 10:00: due 14:00. On hold 11:00 to Tuesday 11:00 pauses
  // 9 business hours (Mon 11-18, Tue 9-11): due Tuesday 14:00 - which is
  // Monday 14:00 plus 9 business hours (Mon 14-18, Tue 9-14).
  Log log(Jan(12, 10));
  ASSERT_OK_AND_ASSIGN(
      SlaStatus before,
      engine.Evaluate(NormalTicket(), log.events(), Jan(12, 10, 30)));
  EXPECT_EQ(Find(before, kFirstReply)->due_at, Jan(12, 14));
  log.Status(Jan(12, 11), "on_hold").Status(Jan(13, 11), "open");
  ASSERT_OK_AND_ASSIGN(
      SlaStatus after,
      engine.Evaluate(NormalTicket(), log.events(), Jan(13, 11)));
  const SlaMetricStatus* m = Find(after, kFirstReply);
  EXPECT_EQ(m->used, H(1));
  EXPECT_EQ(m->due_at, Jan(13, 14));
  EXPECT_EQ(m->state, SlaState::kRunning);
}

// Zammad #4353: deactivating a policy takes its tickets out of SLA at once.
TEST(SlaEngineTest, Zammad4353InactivePolicyCoversNothing) {
  const std::string policy =
      Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(1));
  const Log log =
      std::move(Log(Jan(12, 9)).Reply(Jan(12, 9, 30)).Customer(Jan(12, 10)));
  ASSERT_OK_AND_ASSIGN(SlaEngine active, Engine("", policy));
  ASSERT_OK_AND_ASSIGN(
      SlaStatus covered,
      active.Evaluate(NormalTicket(), log.events(), Jan(12, 10, 30)));
  EXPECT_EQ(covered.policy, "standard");
  EXPECT_EQ(covered.next_deadline, Jan(12, 11));
  ASSERT_OK_AND_ASSIGN(SlaEngine inactive,
                       Engine("", policy + "inactive: true"));
  EXPECT_EQ(inactive.PolicyFor(NormalTicket()), nullptr);
  ASSERT_OK_AND_ASSIGN(
      SlaStatus none,
      inactive.Evaluate(NormalTicket(), log.events(), Jan(12, 12)));
  EXPECT_EQ(none.policy, "");
  EXPECT_THAT(none.metrics, IsEmpty());
  EXPECT_EQ(none.next_deadline, std::nullopt);
}

TEST(SlaEngineTest, PolicySelectionUsesCurrentFieldsFirstActiveWins) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      SlaEngine::FromText(R"pb(
                            policies {
                              name: "retired"
                              inactive: true
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 60 }
                              }
                            }
                            policies {
                              name: "vip"
                              applies_when { tags_any: [ "vip", "gold" ] }
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 900 }
                              }
                            }
                            policies {
                              name: "urgent-billing"
                              applies_when {
                                priorities: [ PRIORITY_URGENT, PRIORITY_HIGH ]
                                group_ids: [ 5 ]
                              }
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 1800 }
                              }
                            }
                            policies {
                              name: "acme-chat"
                              applies_when {
                                organization_ids: [ 42 ]
                                channels: [ CHANNEL_CHAT ]
                              }
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 300 }
                              }
                            }
                            policies {
                              name: "default"
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 3600 }
                              }
                            }
                          )pb",
                          Workflow::Default()));
  auto name = [&](const v1::Ticket& t) -> std::string {
    const v1::SlaPolicyConfig* p = engine.PolicyFor(t);
    return p == nullptr ? "" : p->name();
  };
  v1::Ticket t = NormalTicket();
  EXPECT_EQ(name(t), "default");
  t.add_tags("gold");
  EXPECT_EQ(name(t), "vip");
  t.clear_tags();
  t.set_priority(v1::PRIORITY_URGENT);
  EXPECT_EQ(name(t), "default");  // Needs group 5 as well.
  t.set_group_id(5);
  EXPECT_EQ(name(t), "urgent-billing");
  t.set_priority(v1::PRIORITY_LOW);
  EXPECT_EQ(name(t), "default");
  t.set_organization_id(42);
  EXPECT_EQ(name(t), "default");  // Email, not chat.
  t.set_channel(v1::CHANNEL_CHAT);
  EXPECT_EQ(name(t), "acme-chat");
  // Evaluate uses the selected policy's targets.
  const Log log(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(SlaStatus s,
                       engine.Evaluate(t, log.events(), Jan(12, 9)));
  EXPECT_EQ(s.policy, "acme-chat");
  ASSERT_EQ(s.metrics.size(), 1u);
  EXPECT_EQ(s.metrics[0].due_at, Jan(12, 9, 5));
}

TEST(SlaEngineTest, TargetForPriorityListedTargetWinsOverEarlierCatchAll) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(8)) +
                     Target("FIRST_REPLY", H(2), false, absl::ZeroDuration(),
                            "PRIORITY_HIGH") +
                     Target("FIRST_REPLY", H(1), false, absl::ZeroDuration(),
                            "PRIORITY_HIGH, PRIORITY_URGENT") +
                     Target("FIRST_REPLY", H(16))));
  for (auto [priority, target] :
       std::vector<std::pair<std::string, absl::Duration>>{
           {"low", H(8)}, {"normal", H(8)}, {"high", H(2)}, {"urgent", H(1)}}) {
    const Log log(Jan(12, 9), priority);
    ASSERT_OK_AND_ASSIGN(
        SlaStatus s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 9)));
    ASSERT_EQ(s.metrics.size(), 1u);
    EXPECT_EQ(s.metrics[0].target, target) << priority;
  }
}

TEST(SlaEngineTest, MetricWithoutTargetForThePriorityIsNotReported) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(1), false, absl::ZeroDuration(),
                        "PRIORITY_URGENT") +
                     Target("FULL_RESOLUTION", H(8))));
  const Log log(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(
      SlaStatus s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 10)));
  ASSERT_EQ(s.metrics.size(), 1u);
  EXPECT_EQ(s.metrics[0].metric, kFullResolution);
  // Metrics come in SlaMetric order.
  ASSERT_OK_AND_ASSIGN(SlaEngine all,
                       Engine("", kResolution8h + Target("FIRST_REPLY", H(1))));
  ASSERT_OK_AND_ASSIGN(s,
                       all.Evaluate(NormalTicket(), log.events(), Jan(12, 10)));
  std::vector<std::string> names;
  for (const SlaMetricStatus& m : s.metrics)
    names.push_back(SlaMetricName(m.metric));
  EXPECT_THAT(names, ::testing::ElementsAre("first_reply", "requester_wait",
                                            "agent_work", "first_resolution",
                                            "full_resolution"));
}

// Links, refusals, and the SLA events Desk::Tick writes (kinds 8 and 9) do
// not move any clock.
TEST(SlaEngineTest, EventsThatTouchNoClockAreIgnored) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true) +
                           Target("PERIODIC_UPDATE", H(2), true)));
  Log plain(Jan(12, 9));
  Log busy = std::move(Log(Jan(12, 9)).Link(Jan(12, 9, 30)));
  std::vector<v1::Event> events = busy.events();
  for (int kind : {7, 8, 9}) {
    v1::Event& e = events.emplace_back();
    e.set_kind(static_cast<v1::Event::Kind>(kind));
    *e.mutable_time() = ToTimestamp(Jan(12, 10 + kind - 7));
    e.set_note("not a clock event");
  }
  ASSERT_OK_AND_ASSIGN(
      SlaStatus want,
      engine.Evaluate(NormalTicket(), plain.events(), Jan(12, 13)));
  ASSERT_OK_AND_ASSIGN(SlaStatus got,
                       engine.Evaluate(NormalTicket(), events, Jan(12, 13)));
  ASSERT_EQ(got.metrics.size(), want.metrics.size());
  for (size_t i = 0; i < want.metrics.size(); ++i) {
    EXPECT_EQ(got.metrics[i].used, want.metrics[i].used);
    EXPECT_EQ(got.metrics[i].due_at, want.metrics[i].due_at);
    EXPECT_EQ(got.metrics[i].state, want.metrics[i].state);
    EXPECT_EQ(got.metrics[i].cycles, want.metrics[i].cycles);
  }
  EXPECT_EQ(got.next_deadline, want.next_deadline);
  EXPECT_EQ(Find(got, kPeriodic)->breached_at, Jan(12, 11));
}

// `now` is taken at the data model's precision, the microsecond.
TEST(SlaEngineTest, NowWithNanosecondsIsFlooredToTheMicrosecond) {
  ASSERT_OK_AND_ASSIGN(SlaEngine engine,
                       Engine("", Target("FIRST_REPLY", H(1))));
  const Log log(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(SlaStatus s,
                       engine.Evaluate(NormalTicket(), log.events(),
                                       Jan(12, 9, 30) + absl::Microseconds(5) +
                                           absl::Nanoseconds(999)));
  EXPECT_EQ(s.metrics[0].used, absl::Minutes(30) + absl::Microseconds(5));
  EXPECT_EQ(s.metrics[0].due_at, Jan(12, 10));
  EXPECT_THAT(
      engine.Evaluate(NormalTicket(), log.events(), absl::InfiniteFuture())
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("now")));
}

TEST(SlaEngineTest, NamesForText) {
  EXPECT_EQ(SlaMetricName(v1::SLA_METRIC_PERIODIC_UPDATE), "periodic_update");
  EXPECT_EQ(SlaMetricName(v1::SLA_METRIC_FULL_RESOLUTION), "full_resolution");
  EXPECT_EQ(SlaStateName(SlaState::kPaused), "paused");
  EXPECT_EQ(SlaStateName(SlaState::kBreached), "breached");
}

// ---------------------------------------------------------------------------
// Driven by a real Desk: the engine reads the events Desk writes.

TEST(SlaDeskTest, ReadsTheEventsDeskWrites) {
  std::unique_ptr<Store> store = NewMemoryStore();
  ManualClock clock(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk,
                       Desk::Open({.store = store.get(), .clock = &clock}));
  ASSERT_OK_AND_ASSIGN(
      v1::Agent bob,
      desk->people().CreateAgent(SystemActor(),
                        {.name = "Bob", .email = "bob@desk.example"}));
  ASSERT_OK_AND_ASSIGN(
      v1::Contact ada,
      desk->people().CreateContact(SystemActor(),
                          {.name = "Ada", .emails = {"ada@example.com"}}));
  const v1::Actor agent = AgentActor(bob.id());
  const v1::Actor customer = ContactActor(ada.id());
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true) +
                           Target("NEXT_REPLY", H(2), true) +
                           Target("NEXT_REPLY", absl::Minutes(30), true,
                                  absl::ZeroDuration(), "PRIORITY_URGENT") +
                           Target("FULL_RESOLUTION", H(16), true) +
                           "pause_statuses: [\"pending\"]"));

  // Monday 09:00: Ada writes in.
  ASSERT_OK_AND_ASSIGN(
      v1::Ticket t,
      desk->tickets().Create(
          customer, {.subject = "VPN drops", .description = "Since Monday"}));
  // 10:00: Bob replies and waits on Ada.
  clock.Set(Jan(12, 10));
  ASSERT_OK(
      desk->tickets().AddMessage(agent, t.id(), {.body_text = "Which client?"}).status());
  ASSERT_OK(desk->tickets().Update(agent, t.id(), {.status = "pending"}).status());
  // Tuesday 10:00: Ada answers; the ticket reopens and a next-reply cycle
  // starts.
  clock.Set(Jan(13, 10));
  ASSERT_OK(desk->tickets().AddMessage(customer, t.id(),
                             {.kind = v1::Message::CUSTOMER_MESSAGE,
                              .body_text = "The Linux one"})
                .status());
  // 11:00: urgent. The running next reply now has 30 minutes from 10:00.
  clock.Set(Jan(13, 11));
  ASSERT_OK_AND_ASSIGN(
      t, desk->tickets().Update(agent, t.id(), {.priority = v1::PRIORITY_URGENT}));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                       desk->tickets().AuditLog(agent, t.id()));
  ASSERT_OK_AND_ASSIGN(SlaStatus s, engine.Evaluate(t, events, Jan(13, 11)));
  EXPECT_EQ(Find(s, kNextReply)->state, SlaState::kBreached);
  EXPECT_EQ(Find(s, kNextReply)->breached_at, Jan(13, 10, 30));
  // Full resolution runs: Monday 09-10, Tuesday 10-11; due 14 business hours
  // from Tuesday 11:00: Tue 11-18 (7h), Wed 09-16 (7h).
  EXPECT_EQ(Find(s, kFullResolution)->state, SlaState::kRunning);
  EXPECT_EQ(Find(s, kFullResolution)->used, H(2));
  EXPECT_EQ(Find(s, kFullResolution)->due_at, Jan(14, 16));
  EXPECT_EQ(s.next_deadline, Jan(14, 16));
  // 12:00: Bob replies; 13:00: assigns and solves.
  clock.Set(Jan(13, 12));
  ASSERT_OK(desk->tickets().AddMessage(agent, t.id(), {.body_text = "Fixed"}).status());
  clock.Set(Jan(13, 13));
  ASSERT_OK_AND_ASSIGN(
      t, desk->tickets().Update(agent, t.id(),
                            {.status = "solved", .assignee_id = bob.id()}));

  ASSERT_OK_AND_ASSIGN(events, desk->tickets().AuditLog(agent, t.id()));
  ASSERT_OK_AND_ASSIGN(s, engine.Evaluate(t, events, Jan(13, 14)));
  EXPECT_EQ(s.policy, "standard");
  const SlaMetricStatus* first = Find(s, kFirstReply);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->state, SlaState::kMet);
  EXPECT_EQ(first->used, H(1));
  EXPECT_EQ(first->stopped_at, Jan(12, 10));
  EXPECT_EQ(first->due_at, Jan(12, 13));
  const SlaMetricStatus* next = Find(s, kNextReply);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->state, SlaState::kBreached);
  EXPECT_EQ(next->target, absl::Minutes(30));
  EXPECT_EQ(next->started_at, Jan(13, 10));
  EXPECT_EQ(next->stopped_at, Jan(13, 12));
  EXPECT_EQ(next->used, H(2));
  EXPECT_EQ(next->breached_at, Jan(13, 10, 30));
  EXPECT_EQ(next->breached_cycles, 1);
  const SlaMetricStatus* resolution = Find(s, kFullResolution);
  ASSERT_NE(resolution, nullptr);
  EXPECT_EQ(resolution->state, SlaState::kMet);
  EXPECT_EQ(resolution->used, H(4));  // Mon 09-10, Tue 10-13.
  EXPECT_EQ(resolution->stopped_at, Jan(13, 13));
  EXPECT_EQ(s.next_deadline, std::nullopt);
}

TEST(SlaDeskTest, OutboundTicketByAnAgent) {
  std::unique_ptr<Store> store = NewMemoryStore();
  ManualClock clock(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk,
                       Desk::Open({.store = store.get(), .clock = &clock}));
  ASSERT_OK_AND_ASSIGN(
      v1::Agent bob,
      desk->people().CreateAgent(SystemActor(),
                        {.name = "Bob", .email = "bob@desk.example"}));
  ASSERT_OK_AND_ASSIGN(
      v1::Contact ada,
      desk->people().CreateContact(SystemActor(),
                          {.name = "Ada", .emails = {"ada@example.com"}}));
  ASSERT_OK_AND_ASSIGN(
      v1::Ticket t,
      desk->tickets().Create(AgentActor(bob.id()),
                         {.subject = "Your renewal",
                          .requester_id = ada.id(),
                          .description = "Your licence expires soon",
                          .description_kind = v1::Message::PUBLIC_REPLY,
                          .priority = v1::PRIORITY_HIGH}));
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(1))));
  clock.Set(Jan(12, 11));
  ASSERT_OK(desk->tickets().AddMessage(ContactActor(ada.id()), t.id(),
                             {.kind = v1::Message::CUSTOMER_MESSAGE,
                              .body_text = "Renew it, please"})
                .status());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                       desk->tickets().AuditLog(AgentActor(bob.id()), t.id()));
  ASSERT_OK_AND_ASSIGN(SlaStatus s,
                       engine.Evaluate(t, events, Jan(12, 11, 15)));
  EXPECT_EQ(Find(s, kFirstReply)->state, SlaState::kMet);
  EXPECT_EQ(Find(s, kFirstReply)->used, absl::ZeroDuration());
  EXPECT_EQ(Find(s, kNextReply)->state, SlaState::kRunning);
  EXPECT_EQ(Find(s, kNextReply)->due_at, Jan(12, 12));
}

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
