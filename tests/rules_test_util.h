// Shared by rules_test.cc and rules_automation_test.cc: a calendar, a rule
// set from text, tickets and events.
#ifndef HELPDESK_TESTS_RULES_TEST_UTIL_H_
#define HELPDESK_TESTS_RULES_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "helpdesk/calendar.h"
#include "helpdesk/rules.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/workflow.h"

namespace helpdesk::rules_test {

// "support": Europe/Madrid, Monday to Friday 09:00-17:00.
inline BusinessCalendar Support() {
  v1::CalendarConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        name: "support"
        time_zone: "Europe/Madrid"
        weekly_hours {
          days: [
            WEEKDAY_MONDAY,
            WEEKDAY_TUESDAY,
            WEEKDAY_WEDNESDAY,
            WEEKDAY_THURSDAY,
            WEEKDAY_FRIDAY
          ]
          intervals { open: "09:00" close: "17:00" }
        })pb",
      &config));
  return *BusinessCalendar::Create(config);
}

inline absl::StatusOr<RuleSet> Rules(const std::string& text) {
  return RuleSet::FromText(text, Workflow::Default(), {Support()});
}

// Monday 12 January 2026 in Madrid is Jan(12, h).
inline absl::Time Jan(int day, int h, int mi = 0) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Madrid", &tz));
  return absl::FromCivil(absl::CivilMinute(2026, 1, day, h, mi), tz);
}

inline v1::Ticket OpenTicket() {
  v1::Ticket t;
  t.set_id(1);
  t.set_subject("Printer on fire");
  t.set_status("open");
  t.set_status_category(v1::STATUS_CATEGORY_OPEN);
  t.set_priority(v1::PRIORITY_NORMAL);
  t.set_requester_id(10);
  t.set_channel(v1::CHANNEL_EMAIL);
  *t.mutable_created_at() = ToTimestamp(Jan(12, 10));
  *t.mutable_updated_at() = ToTimestamp(Jan(12, 10));
  return t;
}

inline v1::Event EventOf(v1::Event::Kind kind) {
  v1::Event e;
  e.set_kind(kind);
  return e;
}

inline v1::Event MessageEvent(v1::Message::Kind kind) {
  v1::Event e = EventOf(v1::Event::MESSAGE_ADDED);
  e.set_message_kind(kind);
  return e;
}

inline v1::Event ChangeEvent(v1::FieldChange::Field field,
                             const std::string& custom = "") {
  v1::Event e = EventOf(v1::Event::FIELDS_CHANGED);
  v1::FieldChange* c = e.add_changes();
  c->set_field(field);
  c->set_custom_field(custom);
  return e;
}

}  // namespace helpdesk::rules_test

#endif  // HELPDESK_TESTS_RULES_TEST_UTIL_H_
