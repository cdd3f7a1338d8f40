// What the SlaEngine tests share (sla_test.cc, sla_engine_test.cc,
// sla_config_test.cc): civil times in Madrid and New York, a ticket's audit
// log written the way Desk writes it, the calendars and policy text the
// tests build engines from, and the metric names.
//
// Times are civil times in the calendar's zone; January 2026 starts on a
// Thursday (Fri 9, Mon 12, Tue 13, Wed 14, Thu 15, Fri 16).
#ifndef HELPDESK_TESTS_SLA_TEST_SUPPORT_H_
#define HELPDESK_TESTS_SLA_TEST_SUPPORT_H_

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

inline absl::TimeZone Zone(const char* name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

// A civil time in Madrid.
inline absl::Time Mad(int y, int mo, int d, int h, int mi = 0) {
  static const absl::TimeZone tz = Zone("Europe/Madrid");
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), tz);
}

// A civil time in New York.
inline absl::Time Nyc(int y, int mo, int d, int h, int mi = 0) {
  static const absl::TimeZone tz = Zone("America/New_York");
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), tz);
}

// Monday 12 January 2026 in Madrid at h:mi; Jan(13, 10) is Tuesday 10:00.
inline absl::Time Jan(int day, int h, int mi = 0) { return Mad(2026, 1, day, h, mi); }

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
inline constexpr char kWeekdays[] =
    "days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, "
    "WEEKDAY_THURSDAY, WEEKDAY_FRIDAY]";
inline constexpr char kAllDays[] =
    "days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, "
    "WEEKDAY_THURSDAY, WEEKDAY_FRIDAY, WEEKDAY_SATURDAY, WEEKDAY_SUNDAY]";

inline std::string Calendars() {
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
inline std::string Target(const std::string& metric, absl::Duration target,
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

inline absl::StatusOr<SlaEngine> Engine(const std::string& calendar,
                                        const std::string& body) {
  return SlaEngine::FromText(
      absl::StrCat(
          Calendars(), "policies { name: \"standard\" ",
          calendar.empty() ? "" : absl::StrCat("calendar: \"", calendar, "\" "),
          body, " }"),
      Workflow::Default());
}

inline v1::Ticket NormalTicket() {
  v1::Ticket t;
  t.set_id(1);
  t.set_priority(v1::PRIORITY_NORMAL);
  t.set_channel(v1::CHANNEL_EMAIL);
  return t;
}

inline const SlaMetricStatus* Find(const SlaStatus& status, v1::SlaMetric metric) {
  for (const SlaMetricStatus& m : status.metrics) {
    if (m.metric == metric) return &m;
  }
  return nullptr;
}

inline constexpr auto kFirstReply = v1::SLA_METRIC_FIRST_REPLY;
inline constexpr auto kNextReply = v1::SLA_METRIC_NEXT_REPLY;
inline constexpr auto kPeriodic = v1::SLA_METRIC_PERIODIC_UPDATE;
inline constexpr auto kRequesterWait = v1::SLA_METRIC_REQUESTER_WAIT;
inline constexpr auto kAgentWork = v1::SLA_METRIC_AGENT_WORK;
inline constexpr auto kFirstResolution = v1::SLA_METRIC_FIRST_RESOLUTION;
inline constexpr auto kFullResolution = v1::SLA_METRIC_FULL_RESOLUTION;

inline absl::Duration H(double hours) { return absl::Minutes(hours * 60); }

inline const std::string kFirstReply4Bh = Target("FIRST_REPLY", H(4), true);
inline const std::string kFirstReplyByPriority =
    Target("FIRST_REPLY", H(1), false, absl::ZeroDuration(),
           "PRIORITY_URGENT") +
    Target("FIRST_REPLY", H(4));
inline const std::string kResolution8h =
    Target("FULL_RESOLUTION", H(8)) + Target("FIRST_RESOLUTION", H(8)) +
    Target("REQUESTER_WAIT", H(8)) + Target("AGENT_WORK", H(8));

// A ticket solved at 11:00 and reopened by the customer at 15:00 (Monday).

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_SLA_TEST_SUPPORT_H_
