// Table-driven tests of BusinessCalendar with hand-computed expectations.
// Times are written with their UTC offsets so that each expectation is
// unambiguous on DST days.
#include "helpdesk/calendar.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kWeekdays[] =
    "days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, "
    "WEEKDAY_THURSDAY, WEEKDAY_FRIDAY]";
constexpr char kAllDays[] =
    "days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, "
    "WEEKDAY_THURSDAY, WEEKDAY_FRIDAY, WEEKDAY_SATURDAY, WEEKDAY_SUNDAY]";

// "Europe/Madrid", Mon-Fri 09:00-18:00.
std::string Office(const std::string& zone, const std::string& open = "09:00",
                   const std::string& close = "18:00") {
  return absl::StrCat("time_zone: \"", zone, "\" weekly_hours { ", kWeekdays,
                      " intervals { open: \"", open, "\" close: \"", close,
                      "\" } }");
}

std::string TwentyFourSeven(const std::string& zone) {
  return absl::StrCat("time_zone: \"", zone, "\" weekly_hours { ", kAllDays,
                      " intervals { open: \"00:00\" close: \"24:00\" } }");
}

std::string OneDay(const std::string& zone, const std::string& day,
                   const std::string& open, const std::string& close,
                   bool next_day = false) {
  return absl::StrCat("time_zone: \"", zone, "\" weekly_hours { days: [", day,
                      "] intervals { open: \"", open, "\" close: \"", close,
                      "\"", next_day ? " ends_next_day: true" : "", " } }");
}

const std::string kMadrid = Office("Europe/Madrid");
const std::string kMadridNineToFive = Office("Europe/Madrid", "09:00", "17:00");
const std::string kMadrid247 = TwentyFourSeven("Europe/Madrid");
const std::string kLunchBreak =
    absl::StrCat("time_zone: \"Europe/Madrid\" weekly_hours { ", kWeekdays,
                 " intervals { open: \"09:00\" close: \"13:00\" }"
                 " intervals { open: \"14:00\" close: \"18:00\" } }");
const std::string kMondayWednesdayFriday =
    "time_zone: \"Europe/Madrid\" weekly_hours { days: [WEEKDAY_MONDAY, "
    "WEEKDAY_WEDNESDAY, WEEKDAY_FRIDAY] intervals { open: \"09:00\" close: "
    "\"17:00\" } }";
const std::string kWeekendOnly =
    "time_zone: \"Europe/Madrid\" weekly_hours { days: [WEEKDAY_SATURDAY, "
    "WEEKDAY_SUNDAY] intervals { open: \"10:00\" close: \"14:00\" } }";
const std::string kNightDesk = absl::StrCat(
    "time_zone: \"Europe/Madrid\" weekly_hours { ", kWeekdays,
    " intervals { open: \"22:00\" close: \"06:00\" ends_next_day: true } }");
const std::string kMadridSaturdayNight =
    OneDay("Europe/Madrid", "WEEKDAY_SATURDAY", "22:00", "06:00", true);
const std::string kNewYorkSaturdayNight =
    OneDay("America/New_York", "WEEKDAY_SATURDAY", "22:00", "06:00", true);
const std::string kMadridSunday0230To0500 =
    OneDay("Europe/Madrid", "WEEKDAY_SUNDAY", "02:30", "05:00");
const std::string kMadridSunday0230To0400 =
    OneDay("Europe/Madrid", "WEEKDAY_SUNDAY", "02:30", "04:00");
const std::string kMadridSunday0100To0230 =
    OneDay("Europe/Madrid", "WEEKDAY_SUNDAY", "01:00", "02:30");
const std::string kMadridSunday0200To0245 =
    OneDay("Europe/Madrid", "WEEKDAY_SUNDAY", "02:00", "02:45");
const std::string kNewYorkSunday =
    OneDay("America/New_York", "WEEKDAY_SUNDAY", "00:00", "24:00");

v1::CalendarConfig ParseConfig(const std::string& text) {
  v1::CalendarConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config))
      << text;
  return config;
}

absl::StatusOr<BusinessCalendar> Create(const std::string& text) {
  return BusinessCalendar::Create(ParseConfig(text));
}

// A StatusOr that is OK and holds `expected`.
MATCHER_P(HasValue, expected,
          "is OK and holds " + ::testing::PrintToString(expected)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  *result_listener << "holds " << ::testing::PrintToString(*arg);
  return *arg == expected;
}

// Parses "2026-01-16T16:30:00+01:00" (fractional seconds allowed).
absl::Time T(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error))
      << rfc3339 << ": " << error;
  return t;
}

std::string Show(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------
// AddBusinessDuration

struct AddCase {
  std::string name;
  std::string config;
  std::string start;
  absl::Duration duration;
  std::string due;
};

void PrintTo(const AddCase& c, std::ostream* os) { *os << c.name; }

class AddBusinessDurationTest : public ::testing::TestWithParam<AddCase> {};

TEST_P(AddBusinessDurationTest, LandsOnHandComputedDueTime) {
  const AddCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar, Create(c.config));
  absl::StatusOr<absl::Time> due =
      calendar.AddBusinessDuration(T(c.start), c.duration);
  ASSERT_THAT(due, IsOk());
  EXPECT_EQ(*due, T(c.due)) << "got " << Show(*due) << ", want " << c.due;
  // And back: the business time between start and due is the duration.
  EXPECT_THAT(calendar.BusinessDuration(T(c.start), *due),
              HasValue(c.duration));
}

INSTANTIATE_TEST_SUITE_P(
    Calendar, AddBusinessDurationTest,
    ::testing::ValuesIn(std::vector<AddCase>{
        // The example. With 09:00-18:00: Friday 16:30-18:00 (1h30),
        // then Monday 09:00 + 2h30.
        {"FridayAfternoonFourHoursMadrid", kMadrid, "2026-01-16T16:30:00+01:00",
         absl::Hours(4), "2026-01-19T11:30:00+01:00"},
        // The "Monday 12:30" holds for 09:00-17:00: Friday 30 min,
        // Monday 09:00 + 3h30.
        {"FridayAfternoonFourHoursMadridNineToFive", kMadridNineToFive,
         "2026-01-16T16:30:00+01:00", absl::Hours(4),
         "2026-01-19T12:30:00+01:00"},
        {"DueExactlyAtClosing", kMadrid, "2026-01-19T14:00:00+01:00",
         absl::Hours(4), "2026-01-19T18:00:00+01:00"},
        {"FullDayDueAtFridayClosing", kMadrid, "2026-01-23T09:00:00+01:00",
         absl::Hours(9), "2026-01-23T18:00:00+01:00"},
        {"OneMinutePastClosingGoesToNextMorning", kMadrid,
         "2026-01-19T14:00:00+01:00", absl::Hours(4) + absl::Minutes(1),
         "2026-01-20T09:01:00+01:00"},
        {"StartWhileClosedCountsFromOpening", kMadrid,
         "2026-01-17T12:00:00+01:00", absl::Hours(1),
         "2026-01-19T10:00:00+01:00"},
        // osTicket #6847: a lunch break must not break the due date.
        {"OsTicket6847LunchBreakIsSkipped", kLunchBreak,
         "2026-01-19T12:00:00+01:00", absl::Hours(2),
         "2026-01-19T15:00:00+01:00"},
        {"OsTicket6847DueWhenLunchStarts", kLunchBreak,
         "2026-01-19T11:00:00+01:00", absl::Hours(2),
         "2026-01-19T13:00:00+01:00"},
        {"OsTicket6847StartDuringLunch", kLunchBreak,
         "2026-01-19T13:30:00+01:00", absl::Minutes(30),
         "2026-01-19T14:30:00+01:00"},
        // osTicket #6739: a schedule lacking some weekdays. 8h Monday, 8h
        // Wednesday, 4h Friday.
        {"OsTicket6739MissingWeekdays", kMondayWednesdayFriday,
         "2026-01-19T09:00:00+01:00", absl::Hours(20),
         "2026-01-23T13:00:00+01:00"},
        {"WeekendOnlySchedule", kWeekendOnly, "2026-01-19T09:00:00+01:00",
         absl::Hours(6), "2026-01-25T12:00:00+01:00"},
        // Zammad #3180: a 24/7 calendar must not close at midnight.
        {"Zammad3180TwentyFourSevenAcrossMidnight", kMadrid247,
         "2026-01-19T23:59:00+01:00", absl::Minutes(2),
         "2026-01-20T00:01:00+01:00"},
        {"TwentyFourSevenAcrossSpringForward", kMadrid247,
         "2026-03-29T01:30:00+01:00", absl::Hours(1),
         "2026-03-29T03:30:00+02:00"},
        {"TwentyFourSevenAcrossFallBackEndsInRepeatedHour", kMadrid247,
         "2026-10-25T02:30:00+02:00", absl::Hours(1),
         "2026-10-25T02:30:00+01:00"},
        // Saturday 22:00 CET to Sunday 06:00 CEST is 7 real hours.
        {"OvernightShiftAcrossSpringForwardMadrid", kMadridSaturdayNight,
         "2026-03-28T22:00:00+01:00", absl::Hours(7),
         "2026-03-29T06:00:00+02:00"},
        {"OvernightShiftAcrossSpringForwardToNextWeekMadrid",
         kMadridSaturdayNight, "2026-03-28T22:00:00+01:00",
         absl::Hours(7) + absl::Minutes(30), "2026-04-04T22:30:00+02:00"},
        // Saturday 22:00 CEST to Sunday 06:00 CET is 9 real hours.
        {"OvernightShiftAcrossFallBackMadrid", kMadridSaturdayNight,
         "2026-10-24T22:00:00+02:00", absl::Hours(9),
         "2026-10-25T06:00:00+01:00"},
        {"OvernightShiftAcrossSpringForwardNewYork", kNewYorkSaturdayNight,
         "2026-03-07T22:00:00-05:00", absl::Hours(7),
         "2026-03-08T06:00:00-04:00"},
        {"OvernightShiftAcrossFallBackNewYork", kNewYorkSaturdayNight,
         "2026-10-31T22:00:00-04:00", absl::Hours(9),
         "2026-11-01T06:00:00-05:00"},
        // 02:30 does not exist on 2026-03-29 in Madrid: the interval opens
        // when the clocks jump to 03:00 CEST.
        {"SkippedOpeningTimeOpensAtTheJump", kMadridSunday0230To0500,
         "2026-03-29T00:00:00+01:00", absl::Hours(1),
         "2026-03-29T04:00:00+02:00"},
        // 02:30 happens twice on 2026-10-25: the interval opens at the first
        // and stays open through the repeated hour until 04:00 CET.
        {"RepeatedOpeningTimeOpensAtFirstOccurrence", kMadridSunday0230To0400,
         "2026-10-25T00:00:00+02:00", absl::Hours(2) + absl::Minutes(30),
         "2026-10-25T04:00:00+01:00"},
        {"NewYorkWeekdaysAcrossSpringForward", Office("America/New_York"),
         "2026-03-06T16:00:00-05:00", absl::Hours(3),
         "2026-03-09T10:00:00-04:00"},
        {"NewYorkWeekdaysAcrossFallBack", Office("America/New_York"),
         "2026-10-30T16:00:00-04:00", absl::Hours(3),
         "2026-11-02T10:00:00-05:00"},
        // Tuesday 14:00-18:00, Wednesday holiday, Thursday 09:00-14:00.
        {"HolidayInTheMiddle",
         kMadrid + " holidays { date: \"2026-01-21\" name: \"Local\" }",
         "2026-01-20T14:00:00+01:00", absl::Hours(9),
         "2026-01-22T14:00:00+01:00"},
        {"ClosedExceptionInTheMiddle",
         kMadrid + " exceptions { date: \"2026-01-21\" closed: true }",
         "2026-01-20T14:00:00+01:00", absl::Hours(9),
         "2026-01-22T14:00:00+01:00"},
        {"ExceptionOpensSaturday",
         kMadrid +
             " exceptions { date: \"2026-01-24\" intervals { open: \"10:00\" "
             "close: \"13:00\" } }",
         "2026-01-23T17:00:00+01:00", absl::Hours(2),
         "2026-01-24T11:00:00+01:00"},
        {"ExceptionShortensThursday",
         kMadrid +
             " exceptions { date: \"2026-01-22\" intervals { open: \"09:00\" "
             "close: \"12:00\" } }",
         "2026-01-22T11:00:00+01:00", absl::Hours(2),
         "2026-01-23T10:00:00+01:00"},
        // Night desk Mon-Fri 22:00-06:00: Friday 23:00 to Saturday 06:00 is
        // 7h; Monday 22:00 + 1h.
        {"NightDeskOverWeekend", kNightDesk, "2026-01-23T23:00:00+01:00",
         absl::Hours(8), "2026-01-26T23:00:00+01:00"},
        {"NightDeskDueAtShiftEnd", kNightDesk, "2026-01-23T23:00:00+01:00",
         absl::Hours(7), "2026-01-24T06:00:00+01:00"},
        {"HolidayRemovesTheShiftOpeningThatDay",
         kNightDesk + " holidays { date: \"2026-01-23\" }",
         "2026-01-23T20:00:00+01:00", absl::Hours(1),
         "2026-01-26T23:00:00+01:00"},
        {"HolidayKeepsTheShiftFromTheDayBefore",
         kNightDesk + " holidays { date: \"2026-01-20\" }",
         "2026-01-19T23:00:00+01:00", absl::Hours(7),
         "2026-01-20T06:00:00+01:00"},
        {"HolidaySkipsToTheFollowingShift",
         kNightDesk + " holidays { date: \"2026-01-20\" }",
         "2026-01-19T23:00:00+01:00", absl::Hours(8),
         "2026-01-21T23:00:00+01:00"},
        {"KolkataHalfHourOffset", Office("Asia/Kolkata", "09:30", "18:00"),
         "2026-01-19T17:00:00+05:30", absl::Hours(2),
         "2026-01-20T10:30:00+05:30"},
        {"KathmanduFortyFiveMinuteOffset",
         Office("Asia/Kathmandu", "09:00", "17:00"),
         "2026-01-23T16:45:00+05:45", absl::Hours(1),
         "2026-01-26T09:45:00+05:45"},
        // 52 weeks of 45 hours end at the 52nd Friday's closing.
        {"YearOfWeeksEndsAtClosing", kMadrid, "2026-01-05T09:00:00+01:00",
         absl::Hours(52 * 45), "2027-01-01T18:00:00+01:00"},
        // Request Tracker gives up beyond 30 days; ten weeks here.
        {"RequestTrackerBeyondThirtyDays", kMadrid, "2026-01-05T09:00:00+01:00",
         absl::Hours(10 * 45), "2026-03-13T18:00:00+01:00"},
        {"TwentyFourSevenOverElevenYears", TwentyFourSeven("UTC"),
         "2026-01-01T00:00:00Z", absl::Hours(100000), "2037-05-29T16:00:00Z"},
        {"FractionalSeconds", kMadrid, "2026-01-19T09:00:00.5+01:00",
         absl::Milliseconds(1250), "2026-01-19T09:00:01.75+01:00"},
        {"FractionalSecondsAcrossClosing", kMadrid,
         "2026-01-19T17:59:59.5+01:00", absl::Seconds(1),
         "2026-01-20T09:00:00.5+01:00"},
        {"ZeroDurationReturnsStartEvenWhenClosed", kMadrid,
         "2026-01-17T12:00:00.25+01:00", absl::ZeroDuration(),
         "2026-01-17T12:00:00.25+01:00"},
    }),
    [](const ::testing::TestParamInfo<AddCase>& case_info) {
      return case_info.param.name;
    });

// ---------------------------------------------------------------------------
// BusinessDuration

struct DurationCase {
  std::string name;
  std::string config;
  std::string from;
  std::string to;
  absl::Duration expected;
};

void PrintTo(const DurationCase& c, std::ostream* os) { *os << c.name; }

class BusinessDurationTest : public ::testing::TestWithParam<DurationCase> {};

TEST_P(BusinessDurationTest, MatchesHandComputedDuration) {
  const DurationCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar, Create(c.config));
  absl::StatusOr<absl::Duration> d =
      calendar.BusinessDuration(T(c.from), T(c.to));
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(*d, c.expected) << "got " << absl::FormatDuration(*d);
}

INSTANTIATE_TEST_SUITE_P(
    Calendar, BusinessDurationTest,
    ::testing::ValuesIn(std::vector<DurationCase>{
        {"OfficeWeek", kMadrid, "2026-01-19T00:00:00+01:00",
         "2026-01-26T00:00:00+01:00", absl::Hours(45)},
        {"OfficeWeekWithHoliday",
         kMadrid + " holidays { date: \"2026-01-21\" }",
         "2026-01-19T00:00:00+01:00", "2026-01-26T00:00:00+01:00",
         absl::Hours(36)},
        {"OsTicket6739MissingWeekdaysWeek", kMondayWednesdayFriday,
         "2026-01-19T09:00:00+01:00", "2026-01-26T09:00:00+01:00",
         absl::Hours(24)},
        {"OsTicket6847LunchBreakDay", kLunchBreak, "2026-01-19T00:00:00+01:00",
         "2026-01-20T00:00:00+01:00", absl::Hours(8)},
        {"Zammad3180TwentyFourSevenAcrossMidnight", kMadrid247,
         "2026-01-19T23:00:00+01:00", "2026-01-20T01:00:00+01:00",
         absl::Hours(2)},
        {"TwentyFourSevenSpringForwardWeekMadrid", kMadrid247,
         "2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
         absl::Hours(167)},
        {"TwentyFourSevenFallBackWeekMadrid", kMadrid247,
         "2026-10-19T00:00:00+02:00", "2026-10-26T00:00:00+01:00",
         absl::Hours(169)},
        {"SpringForwardSundayIs23HoursMadrid", kMadrid247,
         "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
         absl::Hours(23)},
        {"FallBackSundayIs25HoursMadrid", kMadrid247,
         "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00",
         absl::Hours(25)},
        {"SpringForwardSundayIs23HoursNewYork", kNewYorkSunday,
         "2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00",
         absl::Hours(23)},
        {"FallBackSundayIs25HoursNewYork", kNewYorkSunday,
         "2026-10-26T00:00:00-04:00", "2026-11-02T00:00:00-05:00",
         absl::Hours(25)},
        {"SkippedHourShortensInterval", kMadridSunday0230To0500,
         "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
         absl::Hours(2)},
        {"IntervalInsideSkippedHourIsEmpty", kMadridSunday0200To0245,
         "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
         absl::ZeroDuration()},
        {"IntervalEndingInRepeatedHourEndsAtFirstOccurrence",
         kMadridSunday0100To0230, "2026-10-25T00:00:00+02:00",
         "2026-10-26T00:00:00+01:00", absl::Minutes(90)},
        {"IntervalStartingInRepeatedHourIncludesIt", kMadridSunday0230To0400,
         "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00",
         absl::Minutes(150)},
        {"NightDeskWeek", kNightDesk, "2026-01-19T00:00:00+01:00",
         "2026-01-26T00:00:00+01:00", absl::Hours(40)},
        {"YearOfOfficeWeeks", kMadrid, "2026-01-05T00:00:00+01:00",
         "2027-01-04T00:00:00+01:00", absl::Hours(52 * 45)},
        {"DecadeTwentyFourSevenIsRealTime", kMadrid247,
         "2026-01-01T00:00:00+01:00", "2036-01-01T00:00:00+01:00",
         absl::Hours(3652 * 24)},
        // Kathmandu moved from +05:30 to +05:45 at 1986-01-01 00:00.
        {"KathmanduOffsetChange1986", TwentyFourSeven("Asia/Kathmandu"),
         "1985-12-31T00:00:00+05:30", "1986-01-02T00:00:00+05:45",
         absl::Hours(47) + absl::Minutes(45)},
        {"FractionalSecondsOverWeekend", kMadrid, "2026-01-23T17:59:59.5+01:00",
         "2026-01-26T09:00:00.25+01:00", absl::Milliseconds(750)},
        {"EmptySpan", kMadrid, "2026-01-19T10:00:00+01:00",
         "2026-01-19T10:00:00+01:00", absl::ZeroDuration()},
    }),
    [](const ::testing::TestParamInfo<DurationCase>& case_info) {
      return case_info.param.name;
    });

// ---------------------------------------------------------------------------
// IsOpen and NextOpen

struct OpenCase {
  std::string name;
  std::string config;
  std::string t;
  bool open;
  std::string next_open;
};

void PrintTo(const OpenCase& c, std::ostream* os) { *os << c.name; }

class OpenTest : public ::testing::TestWithParam<OpenCase> {};

TEST_P(OpenTest, IsOpenAndNextOpen) {
  const OpenCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar, Create(c.config));
  EXPECT_EQ(calendar.IsOpen(T(c.t)), c.open);
  absl::StatusOr<absl::Time> next = calendar.NextOpen(T(c.t));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(*next, T(c.next_open)) << "got " << Show(*next);
}

INSTANTIATE_TEST_SUITE_P(
    Calendar, OpenTest,
    ::testing::ValuesIn(std::vector<OpenCase>{
        {"AtOpening", kMadrid, "2026-01-19T09:00:00+01:00", true,
         "2026-01-19T09:00:00+01:00"},
        {"JustBeforeOpening", kMadrid, "2026-01-19T08:59:59.999+01:00", false,
         "2026-01-19T09:00:00+01:00"},
        {"LastSecondOpen", kMadrid, "2026-01-19T17:59:59+01:00", true,
         "2026-01-19T17:59:59+01:00"},
        {"AtClosing", kMadrid, "2026-01-19T18:00:00+01:00", false,
         "2026-01-20T09:00:00+01:00"},
        {"SaturdayToMonday", kMadrid, "2026-01-24T12:00:00+01:00", false,
         "2026-01-26T09:00:00+01:00"},
        {"Zammad3180MidnightIsOpen", kMadrid247, "2026-01-20T00:00:00+01:00",
         true, "2026-01-20T00:00:00+01:00"},
        {"LunchBreakIsClosed", kLunchBreak, "2026-01-19T13:00:00+01:00", false,
         "2026-01-19T14:00:00+01:00"},
        {"SkippedOpeningOpensAtTheJump", kMadridSunday0230To0500,
         "2026-03-29T00:00:00+01:00", false, "2026-03-29T03:00:00+02:00"},
        {"JustBeforeTheJumpIsClosed", kMadridSunday0230To0500,
         "2026-03-29T01:59:59+01:00", false, "2026-03-29T03:00:00+02:00"},
        {"FirstPassOfRepeatedHourOpen", kMadridSunday0100To0230,
         "2026-10-25T02:15:00+02:00", true, "2026-10-25T02:15:00+02:00"},
        {"SecondPassOfRepeatedHourStaysClosed", kMadridSunday0100To0230,
         "2026-10-25T02:15:00+01:00", false, "2026-11-01T01:00:00+01:00"},
        {"SecondPassOfRepeatedHourStaysOpen", kMadridSunday0230To0400,
         "2026-10-25T02:15:00+01:00", true, "2026-10-25T02:15:00+01:00"},
        {"NightDeskSaturdayMorningFromFriday", kNightDesk,
         "2026-01-24T03:00:00+01:00", true, "2026-01-24T03:00:00+01:00"},
        {"NightDeskSundayMorningClosed", kNightDesk,
         "2026-01-25T03:00:00+01:00", false, "2026-01-26T22:00:00+01:00"},
        {"NightDeskMondayMorningClosed", kNightDesk,
         "2026-01-19T03:00:00+01:00", false, "2026-01-19T22:00:00+01:00"},
        {"KathmanduOpening", Office("Asia/Kathmandu", "09:00", "17:00"),
         "2026-01-19T03:14:59Z", false, "2026-01-19T03:15:00Z"},
    }),
    [](const ::testing::TestParamInfo<OpenCase>& case_info) {
      return case_info.param.name;
    });

// ---------------------------------------------------------------------------
// Bad input

struct BadConfigCase {
  std::string name;
  std::string config;
  std::string message;  // A substring naming the field and value.
};

void PrintTo(const BadConfigCase& c, std::ostream* os) { *os << c.name; }

class BadConfigTest : public ::testing::TestWithParam<BadConfigCase> {};

TEST_P(BadConfigTest, IsInvalidArgumentNamingFieldAndValue) {
  const BadConfigCase& c = GetParam();
  EXPECT_THAT(Create(c.config), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr(c.message)));
}

std::string WithInterval(const std::string& interval) {
  return absl::StrCat(
      "time_zone: \"Europe/Madrid\" weekly_hours { days: [WEEKDAY_MONDAY] "
      "intervals { ",
      interval, " } }");
}

INSTANTIATE_TEST_SUITE_P(
    Calendar, BadConfigTest,
    ::testing::ValuesIn(std::vector<BadConfigCase>{
        {"UnknownTimeZone", Office("Mars/Olympus_Mons"),
         "time_zone \"Mars/Olympus_Mons\" is not a known IANA time zone"},
        {"EmptyTimeZone",
         "weekly_hours { days: [WEEKDAY_MONDAY] intervals { "
         "open: \"09:00\" close: \"17:00\" } }",
         "time_zone is empty"},
        {"LocaltimeIsNotAZoneName", Office("localtime"),
         "time_zone \"localtime\" is not an IANA time zone name"},
        {"FilePathIsNotAZoneName", Office("/usr/share/zoneinfo/UTC"),
         "time_zone \"/usr/share/zoneinfo/UTC\" is not an IANA"},
        {"RelativePathIsNotAZoneName", Office("Europe/../UTC"),
         "time_zone \"Europe/../UTC\" is not an IANA"},
        {"HourOutOfRange", WithInterval("open: \"09:00\" close: \"25:00\""),
         "weekly_hours[0].intervals[0].close \"25:00\" is not a time of day"},
        {"MinuteOutOfRange", WithInterval("open: \"09:60\" close: \"17:00\""),
         "weekly_hours[0].intervals[0].open \"09:60\""},
        {"OpenAtEndOfDay", WithInterval("open: \"24:00\" close: \"24:00\""),
         "weekly_hours[0].intervals[0].open \"24:00\""},
        {"CloseAfterEndOfDay", WithInterval("open: \"09:00\" close: \"24:01\""),
         "weekly_hours[0].intervals[0].close \"24:01\""},
        {"NotATime", WithInterval("open: \"nine\" close: \"17:00\""),
         "weekly_hours[0].intervals[0].open \"nine\""},
        {"EmptyTime", WithInterval("close: \"17:00\""),
         "weekly_hours[0].intervals[0].open \"\""},
        {"ReversedInterval", WithInterval("open: \"18:00\" close: \"09:00\""),
         "weekly_hours[0].intervals[0] \"18:00\"-\"09:00\" closes at "
         "\"09:00\", not after it opens at \"18:00\""},
        {"EmptyInterval", WithInterval("open: \"09:00\" close: \"09:00\""),
         "weekly_hours[0].intervals[0] \"09:00\"-\"09:00\" closes at"},
        {"OvernightShiftLongerThanADay",
         WithInterval("open: \"22:00\" close: \"23:00\" ends_next_day: true"),
         "weekly_hours[0].intervals[0] \"22:00\"-\"23:00\" next day lasts "
         "more than 24 hours"},
        {"OverlapSameDay",
         "time_zone: \"Europe/Madrid\" weekly_hours { days: [WEEKDAY_MONDAY] "
         "intervals { open: \"09:00\" close: \"13:00\" } intervals { open: "
         "\"12:00\" close: \"18:00\" } }",
         "weekly_hours[0].intervals[1] (\"12:00\"-\"18:00\" on "
         "WEEKDAY_MONDAY) overlaps weekly_hours[0].intervals[0] "
         "(\"09:00\"-\"13:00\" on WEEKDAY_MONDAY)"},
        {"OverlapAcrossEntries",
         Office("Europe/Madrid") +
             " weekly_hours { days: [WEEKDAY_TUESDAY] intervals { open: "
             "\"17:00\" close: \"20:00\" } }",
         "weekly_hours[1].intervals[0] (\"17:00\"-\"20:00\" on "
         "WEEKDAY_TUESDAY) overlaps weekly_hours[0].intervals[0] "
         "(\"09:00\"-\"18:00\" on WEEKDAY_TUESDAY)"},
        {"OverlapAcrossMidnight",
         "time_zone: \"Europe/Madrid\" weekly_hours { days: [WEEKDAY_MONDAY] "
         "intervals { open: \"22:00\" close: \"06:00\" ends_next_day: true } "
         "} weekly_hours { days: [WEEKDAY_TUESDAY] intervals { open: "
         "\"05:00\" close: \"10:00\" } }",
         "weekly_hours[1].intervals[0] (\"05:00\"-\"10:00\" on "
         "WEEKDAY_TUESDAY) overlaps weekly_hours[0].intervals[0] "
         "(\"22:00\"-\"06:00\" next day on WEEKDAY_MONDAY)"},
        {"OverlapSundayIntoMonday",
         "time_zone: \"Europe/Madrid\" weekly_hours { days: [WEEKDAY_SUNDAY] "
         "intervals { open: \"22:00\" close: \"06:00\" ends_next_day: true } "
         "} weekly_hours { days: [WEEKDAY_MONDAY] intervals { open: "
         "\"05:00\" close: \"10:00\" } }",
         "weekly_hours[0].intervals[0] (\"22:00\"-\"06:00\" next day on "
         "WEEKDAY_SUNDAY) overlaps weekly_hours[1].intervals[0] "
         "(\"05:00\"-\"10:00\" on WEEKDAY_MONDAY) of the following week"},
        {"NoDays",
         "time_zone: \"UTC\" weekly_hours { intervals { open: \"09:00\" close: "
         "\"17:00\" } }",
         "weekly_hours[0].days is empty"},
        {"NoIntervals",
         "time_zone: \"UTC\" weekly_hours { days: [WEEKDAY_MONDAY] }",
         "weekly_hours[0].intervals is empty"},
        {"UnspecifiedWeekday",
         "time_zone: \"UTC\" weekly_hours { days: [WEEKDAY_UNSPECIFIED] "
         "intervals { open: \"09:00\" close: \"17:00\" } }",
         "weekly_hours[0].days[0] is WEEKDAY_UNSPECIFIED"},
        {"UnknownWeekday",
         "time_zone: \"UTC\" weekly_hours { days: [WEEKDAY_MONDAY, 9] "
         "intervals { open: \"09:00\" close: \"17:00\" } }",
         "weekly_hours[0].days[1] is unknown value 9"},
        {"WeekdayTwice",
         "time_zone: \"UTC\" weekly_hours { days: [WEEKDAY_MONDAY, "
         "WEEKDAY_MONDAY] intervals { open: \"09:00\" close: \"17:00\" } }",
         "weekly_hours[0].days lists WEEKDAY_MONDAY twice"},
        {"ImpossibleDate", kMadrid + " holidays { date: \"2026-02-30\" }",
         "holidays[0].date \"2026-02-30\" is not a date"},
        {"MalformedDate", kMadrid + " holidays { date: \"2026/12/25\" }",
         "holidays[0].date \"2026/12/25\" is not a date"},
        {"DateOutOfRange",
         kMadrid + " exceptions { date: \"2400-01-03\" "
                   "closed: true }",
         "exceptions[0].date \"2400-01-03\" is not a date"},
        {"DuplicateHoliday",
         kMadrid + " holidays { date: \"2026-12-25\" } holidays { date: "
                   "\"2026-12-25\" }",
         "holidays[1].date \"2026-12-25\" is already listed in holidays[0]"},
        {"HolidayAndExceptionOnSameDate",
         kMadrid + " holidays { date: \"2026-12-24\" } exceptions { date: "
                   "\"2026-12-24\" intervals { open: \"09:00\" close: "
                   "\"12:00\" } }",
         "exceptions[0].date \"2026-12-24\" is already listed in holidays[0]"},
        {"ExceptionClosedWithIntervals",
         kMadrid + " exceptions { date: \"2026-12-24\" closed: true intervals "
                   "{ open: \"09:00\" close: \"12:00\" } }",
         "exceptions[0] (date \"2026-12-24\") is closed but has 1 intervals"},
        {"ExceptionWithoutHours",
         kMadrid + " exceptions { date: \"2026-12-24\" }",
         "exceptions[0] (date \"2026-12-24\") has no intervals"},
        {"ExceptionReversedInterval",
         kMadrid + " exceptions { date: \"2026-12-24\" intervals { open: "
                   "\"12:00\" close: \"10:00\" } }",
         "exceptions[0].intervals[0] \"12:00\"-\"10:00\" closes at"},
        {"ExceptionIntervalsOverlap",
         kMadrid + " exceptions { date: \"2026-12-24\" intervals { open: "
                   "\"09:00\" close: \"12:00\" } intervals { open: \"11:00\" "
                   "close: \"13:00\" } }",
         "exceptions[0].intervals[1] (\"11:00\"-\"13:00\") overlaps "
         "exceptions[0].intervals[0] (\"09:00\"-\"12:00\")"},
        // Friday 2026-01-23's night shift runs to Saturday 06:00.
        {"ExceptionOverlapsShiftFromDayBefore",
         kNightDesk + " exceptions { date: \"2026-01-24\" intervals { open: "
                      "\"05:00\" close: \"09:00\" } }",
         "exceptions[0] on 2026-01-24 opens at 05:00, before the overnight "
         "shift of the weekly hours of 2026-01-23 (WEEKDAY_FRIDAY) closes at "
         "06:00"},
        {"ExceptionShiftOverlapsNextDay",
         kMadrid + " exceptions { date: \"2026-01-18\" intervals { open: "
                   "\"20:00\" close: \"10:00\" ends_next_day: true } }",
         "the weekly hours of 2026-01-19 (WEEKDAY_MONDAY) opens at 09:00, "
         "before the overnight shift of exceptions[0] on 2026-01-18 closes at "
         "10:00"},
    }),
    [](const ::testing::TestParamInfo<BadConfigCase>& case_info) {
      return case_info.param.name;
    });

TEST(BusinessCalendarTest, EmptyCalendarIsAllowedButNeverOpen) {
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar,
                       Create("name: \"Nobody\" time_zone: \"UTC\""));
  const absl::Time t = T("2026-01-19T09:00:00Z");
  EXPECT_FALSE(calendar.HasOpeningHours());
  EXPECT_FALSE(calendar.IsOpen(t));
  EXPECT_THAT(calendar.AddBusinessDuration(t, absl::Hours(4)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("calendar \"Nobody\" has no opening "
                                       "hours"),
                             HasSubstr("4h"))));
  EXPECT_THAT(calendar.NextOpen(t),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is never open at or after "
                                 "2026-01-19T09:00:00+00:00")));
  EXPECT_THAT(calendar.BusinessDuration(t, t + absl::Hours(100)),
              HasValue(absl::ZeroDuration()));
  EXPECT_THAT(calendar.AddBusinessDuration(t, absl::ZeroDuration()),
              HasValue(t));
}

TEST(BusinessCalendarTest, OnlyPastExceptionsIsNotOpenLongEnough) {
  ASSERT_OK_AND_ASSIGN(
      BusinessCalendar calendar,
      Create("time_zone: \"UTC\" exceptions { date: \"2026-01-19\" intervals "
             "{ open: \"09:00\" close: \"10:00\" } }"));
  EXPECT_TRUE(calendar.HasOpeningHours());
  const absl::Time start = T("2026-01-19T09:30:00Z");
  EXPECT_THAT(calendar.AddBusinessDuration(start, absl::Minutes(30)),
              HasValue(T("2026-01-19T10:00:00Z")));
  EXPECT_THAT(calendar.AddBusinessDuration(start, absl::Minutes(31)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not open long enough")));
  EXPECT_THAT(calendar.NextOpen(T("2026-01-19T08:00:00Z")),
              HasValue(T("2026-01-19T09:00:00Z")));
  EXPECT_THAT(calendar.NextOpen(T("2026-01-19T10:00:00Z")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(BusinessCalendarTest, NegativeOrInfiniteDurationIsInvalid) {
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar, Create(kMadrid));
  const absl::Time t = T("2026-01-19T09:00:00+01:00");
  EXPECT_THAT(calendar.AddBusinessDuration(t, -absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("business duration -1h")));
  EXPECT_THAT(calendar.AddBusinessDuration(t, absl::InfiniteDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("business duration inf")));
}

TEST(BusinessCalendarTest, TimesOutsideSupportedRangeAreInvalid) {
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar, Create(kMadrid));
  const absl::Time t = T("2026-01-19T09:00:00+01:00");
  EXPECT_THAT(calendar.BusinessDuration(t, absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("to infinite-future is outside")));
  EXPECT_THAT(calendar.BusinessDuration(T("1850-01-01T00:00:00Z"), t),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("from 1850-01-01T00:00:00+00:00 is outside")));
  EXPECT_THAT(
      calendar.AddBusinessDuration(T("2400-01-01T00:00:00Z"), absl::Hours(1)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("start 2400-01-01T00:00:00+00:00")));
  EXPECT_THAT(calendar.NextOpen(absl::InfinitePast()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(calendar.IsOpen(absl::InfiniteFuture()));
  // The due time itself lies beyond 2300.
  EXPECT_THAT(calendar.AddBusinessDuration(t, absl::Hours(24 * 365 * 300)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ends beyond the supported range")));
  EXPECT_THAT(calendar.AddBusinessDuration(t, absl::Hours(45 * 52 * 280)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ends beyond the supported range")));
}

TEST(BusinessCalendarTest, ReversedSpanIsInvalid) {
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar, Create(kMadrid));
  EXPECT_THAT(calendar.BusinessDuration(T("2026-01-19T10:00:00Z"),
                                        T("2026-01-19T09:00:00Z")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("to 2026-01-19T09:00:00+00:00 is before from "
                                 "2026-01-19T10:00:00+00:00")));
}

TEST(BusinessCalendarTest, WorksAtTheEdgesOfTheSupportedRange) {
  ASSERT_OK_AND_ASSIGN(BusinessCalendar calendar,
                       Create(TwentyFourSeven("America/New_York")));
  const absl::Time min = BusinessCalendar::MinSupportedTime();
  const absl::Time max = BusinessCalendar::MaxSupportedTime();
  EXPECT_THAT(calendar.BusinessDuration(min, max), HasValue(max - min));
  EXPECT_THAT(calendar.AddBusinessDuration(min, max - min), HasValue(max));
  EXPECT_THAT(calendar.AddBusinessDuration(max, absl::Nanoseconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BusinessCalendarTest, AccessorsAndCopiesShareState) {
  ASSERT_OK_AND_ASSIGN(
      BusinessCalendar calendar,
      Create("name: \"Madrid office\" " + Office("Europe/Madrid")));
  BusinessCalendar copy = calendar;
  EXPECT_EQ(copy.name(), "Madrid office");
  EXPECT_EQ(copy.time_zone().name(), "Europe/Madrid");
  EXPECT_TRUE(copy.HasOpeningHours());
  EXPECT_TRUE(copy.IsOpen(T("2026-01-19T10:00:00+01:00")));
}

// A 24-hour shift written as 00:00 to 00:00 the next day is the same as a
// 24/7 calendar.
TEST(BusinessCalendarTest, TwentyFourHourShiftsEqualTwentyFourSeven) {
  ASSERT_OK_AND_ASSIGN(
      BusinessCalendar shifts,
      Create(absl::StrCat("time_zone: \"Europe/Madrid\" weekly_hours { ",
                          kAllDays,
                          " intervals { open: \"00:00\" close: \"00:00\" "
                          "ends_next_day: true } }")));
  const absl::Time from = T("2026-03-20T00:00:00+01:00");
  const absl::Time to = T("2026-11-20T00:00:00+01:00");
  EXPECT_THAT(shifts.BusinessDuration(from, to), HasValue(to - from));
  EXPECT_TRUE(shifts.IsOpen(T("2026-10-25T02:30:00+01:00")));
}

}  // namespace
}  // namespace helpdesk
