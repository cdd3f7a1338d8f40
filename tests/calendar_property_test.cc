// Property test: BusinessCalendar agrees exactly with the brute-force
// minute-stepping ReferenceCalendar (src/sla/calendar_reference.h) on
// thousands of random calendars and queries, with a fixed seed.
//
// Calendars are random weekly spans (overnight shifts, Sunday into Monday,
// missing weekdays, 24/7, empty), holidays and exceptions near the queries, in
// zones with DST, 30- and 45-minute offsets, midnight transitions and a
// skipped day (Pacific/Apia 2011), from 1950 to 2298. Half of the queries
// start within three days of a UTC-offset transition.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "helpdesk/calendar.h"
#include "sla/calendar_reference.h"

namespace helpdesk {
namespace {

using sla_internal::ReferenceCalendar;

constexpr uint64_t kSeed = 0x5eed2026c0ffeeULL;
constexpr int kCalendars = 2000;
constexpr int kQueriesPerCalendar = 1;

const char* const kZones[] = {
    "Europe/Madrid",     "America/New_York", "Australia/Lord_Howe",
    "Asia/Kolkata",      "Asia/Kathmandu",   "UTC",
    "America/Santiago",  "America/Havana",   "Pacific/Chatham",
    "Africa/Casablanca", "Europe/London",    "Asia/Beirut",
    "America/Sao_Paulo", "Pacific/Apia",     "Antarctica/Troll",
    "America/St_Johns",
};

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  // Uniform in [lo, hi].
  int64_t Int(int64_t lo, int64_t hi) {
    return lo +
           static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool OneIn(int n) { return Int(0, n - 1) == 0; }
  // Roughly log-uniform in [1, max].
  int64_t LogInt(int64_t max) {
    int64_t bits = 0;
    while ((int64_t{1} << bits) < max) ++bits;
    const int64_t top = int64_t{1} << Int(0, bits);
    return std::min(max, Int(1, top));
  }

 private:
  std::mt19937_64 rng_;
};

std::string Clock(int64_t minute_of_day) {
  return absl::StrFormat("%02d:%02d", minute_of_day / 60, minute_of_day % 60);
}

// A minute of the day, often one that DST makes interesting.
int64_t InterestingMinute(Random& r) {
  static const int64_t kMinutes[] = {0,   30,  60,  90,   120,  150,
                                     165, 180, 210, 1380, 1410, 1425};
  if (r.OneIn(2)) return kMinutes[r.Int(0, std::size(kMinutes) - 1)];
  return r.Int(0, 1439);
}

void AddInterval(v1::OpeningInterval* interval, int64_t open, int64_t close) {
  // `close` is in minutes from the opening date's 00:00, up to 48h.
  interval->set_open(Clock(open));
  if (close <= 1440) {
    interval->set_close(close == 1440 ? "24:00" : Clock(close));
  } else {
    interval->set_close(Clock(close - 1440));
    interval->set_ends_next_day(true);
  }
}

// Random weekly hours: disjoint spans on the circular week, each at most 24h.
void RandomWeek(Random& r, v1::CalendarConfig* config) {
  const int kind = static_cast<int>(r.Int(0, 9));
  if (kind == 0) {  // 24/7, as full days or as 24-hour shifts.
    auto* hours = config->add_weekly_hours();
    for (int d = 1; d <= 7; ++d) hours->add_days(static_cast<v1::Weekday>(d));
    auto* interval = hours->add_intervals();
    AddInterval(interval, 0, 1440);
    if (r.OneIn(2)) {  // "00:00" to "00:00" the next day.
      interval->set_close("00:00");
      interval->set_ends_next_day(true);
    }
    return;
  }
  if (kind == 1) return;  // No weekly hours.
  const int spans = static_cast<int>(r.Int(1, 10));
  std::vector<int64_t> cuts;
  while (static_cast<int>(cuts.size()) < 2 * spans) {
    const int64_t cut = r.Int(0, 6) * 1440 + InterestingMinute(r);
    if (std::find(cuts.begin(), cuts.end(), cut) == cuts.end()) {
      cuts.push_back(cut);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  // Rotating by one cut makes the last span wrap from Sunday into Monday.
  const bool wrap = r.OneIn(3);
  for (int i = 0; i < spans; ++i) {
    int64_t begin = cuts[2 * i + (wrap ? 1 : 0)];
    int64_t end = wrap && i == spans - 1 ? cuts[0] + 7 * 1440
                                         : cuts[2 * i + (wrap ? 2 : 1)];
    end = std::min(end, begin + 1440);
    const int64_t day = begin / 1440;
    auto* hours = config->add_weekly_hours();
    hours->add_days(static_cast<v1::Weekday>(day + 1));
    AddInterval(hours->add_intervals(), begin - day * 1440, end - day * 1440);
  }
}

void RandomSpecialDays(Random& r, absl::CivilDay around,
                       v1::CalendarConfig* config) {
  std::vector<absl::CivilDay> used;
  auto fresh_day = [&]() -> std::optional<absl::CivilDay> {
    const absl::CivilDay day = around + r.Int(-3, 12);
    if (std::find(used.begin(), used.end(), day) != used.end()) {
      return std::nullopt;
    }
    used.push_back(day);
    return day;
  };
  for (int64_t n = r.Int(0, 2); n > 0; --n) {
    if (auto day = fresh_day()) {
      config->add_holidays()->set_date(absl::FormatCivilTime(*day));
    }
  }
  for (int64_t n = r.Int(0, 3); n > 0; --n) {
    auto day = fresh_day();
    if (!day) continue;
    auto* exception = config->add_exceptions();
    exception->set_date(absl::FormatCivilTime(*day));
    if (r.OneIn(3)) {
      exception->set_closed(true);
      continue;
    }
    const int64_t a = InterestingMinute(r);
    const int64_t b = a + r.Int(1, 600);
    AddInterval(exception->add_intervals(), a, b);
    if (b < 1440 && r.OneIn(2)) {
      const int64_t c = b + r.Int(0, 1439 - b);
      AddInterval(exception->add_intervals(), c, c + r.Int(1, 1440));
    }
  }
}

// A start time: often within three days of one of the zone's transitions.
absl::Time RandomStart(Random& r, const absl::TimeZone& tz) {
  // Mostly recent years; sometimes 1950-1994 (all these zones had left their
  // local mean time by then) or up to the end of the supported range.
  const int64_t era = r.Int(0, 9);
  const int64_t year = era == 0   ? r.Int(1950, 1994)
                       : era == 1 ? r.Int(2046, 2298)
                                  : r.Int(1995, 2045);
  absl::Time t = absl::FromCivil(absl::CivilSecond(year, 1, 1), tz) +
                 absl::Seconds(r.Int(0, 365 * 86400));
  if (r.OneIn(2)) {
    absl::TimeZone::CivilTransition trans;
    if (tz.NextTransition(t, &trans)) {
      const absl::Time when = tz.At(trans.to).trans;
      if (when < absl::FromCivil(absl::CivilSecond(2299, 6, 1), tz)) {
        t = when + absl::Seconds(r.Int(-3 * 86400, 3 * 86400));
      }
    }
  }
  // Pacific/Apia skipped 2011-12-30; visit it now and then.
  if (tz.name() == "Pacific/Apia" && r.OneIn(3)) {
    t = absl::FromCivil(absl::CivilSecond(2011, 12, 29), tz) +
        absl::Seconds(r.Int(-2 * 86400, 2 * 86400));
  }
  if (r.OneIn(3)) t += absl::Nanoseconds(r.Int(1, 999999999));
  return t;
}

std::string Describe(const v1::CalendarConfig& config) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  return text;
}

std::string Show(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

TEST(CalendarPropertyTest, AgreesWithMinuteSteppingReference) {
  Random r(kSeed);
  int created = 0;
  int rejected = 0;
  int compared = 0;
  int failures = 0;
  auto fail = [&](const v1::CalendarConfig& config, const std::string& what) {
    ADD_FAILURE() << what << "\nconfig:\n" << Describe(config);
    return ++failures >= 5;
  };
  for (int i = 0; i < kCalendars && failures < 5; ++i) {
    const char* zone = kZones[r.Int(0, std::size(kZones) - 1)];
    absl::TimeZone tz;
    ASSERT_TRUE(absl::LoadTimeZone(zone, &tz)) << zone;
    const absl::Time first_start = RandomStart(r, tz);
    v1::CalendarConfig config;
    config.set_time_zone(zone);
    RandomWeek(r, &config);
    RandomSpecialDays(r, absl::ToCivilDay(first_start, tz), &config);
    absl::StatusOr<BusinessCalendar> made = BusinessCalendar::Create(config);
    if (!made.ok()) {
      // Random exceptions may overlap a neighbouring day's shift; anything
      // else is a generator or validation bug.
      ASSERT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument)
          << made.status();
      ASSERT_TRUE(config.exceptions_size() > 0) << made.status() << "\n"
                                                << Describe(config);
      ++rejected;
      config.clear_exceptions();
      made = BusinessCalendar::Create(config);
      ASSERT_TRUE(made.ok()) << made.status() << "\n" << Describe(config);
    }
    ++created;
    const BusinessCalendar& fast = *made;
    const ReferenceCalendar ref(config);
    for (int q = 0; q < kQueriesPerCalendar && failures < 5; ++q) {
      const absl::Time t = q == 0 ? first_start : RandomStart(r, tz);
      ++compared;
      // IsOpen.
      if (fast.IsOpen(t) != ref.IsOpen(t)) {
        if (fail(config,
                 absl::StrCat("IsOpen(", Show(t), "): fast ", fast.IsOpen(t),
                              ", reference ", ref.IsOpen(t)))) {
          break;
        }
      }
      // NextOpen, searched by the reference up to 10 days ahead.
      const absl::Duration horizon = absl::Hours(24 * 10);
      const std::optional<absl::Time> want_next = ref.NextOpen(t, horizon);
      const absl::StatusOr<absl::Time> got_next = fast.NextOpen(t);
      if (want_next ? !(got_next.ok() && *got_next == *want_next)
                    : (got_next.ok() && *got_next < t + horizon)) {
        if (fail(config,
                 absl::StrCat("NextOpen(", Show(t), "): fast ",
                              got_next.ok() ? Show(*got_next)
                                            : got_next.status().ToString(),
                              ", reference ",
                              want_next ? Show(*want_next) : "none"))) {
          break;
        }
      }
      // BusinessDuration over a span of a minute to 8 days.
      const absl::Duration span =
          absl::Seconds(r.LogInt(8 * 86400)) +
          (r.OneIn(3) ? absl::Nanoseconds(r.Int(0, 999999999))
                      : absl::ZeroDuration());
      const absl::Duration want_duration = ref.BusinessDuration(t, t + span);
      const absl::StatusOr<absl::Duration> got_duration =
          fast.BusinessDuration(t, t + span);
      if (!got_duration.ok() || *got_duration != want_duration) {
        if (fail(config, absl::StrCat("BusinessDuration(", Show(t), ", ",
                                      Show(t + span), "): fast ",
                                      got_duration.ok()
                                          ? absl::FormatDuration(*got_duration)
                                          : got_duration.status().ToString(),
                                      ", reference ",
                                      absl::FormatDuration(want_duration)))) {
          break;
        }
      }
      // AddBusinessDuration of exactly the business time up to t + span: when
      // t + span is closed, the due time is the last closing before it.
      if (want_duration > absl::ZeroDuration()) {
        const std::optional<absl::Time> want_end =
            ref.AddBusinessDuration(t, want_duration, span);
        const absl::StatusOr<absl::Time> got_end =
            fast.AddBusinessDuration(t, want_duration);
        if (!want_end || !got_end.ok() || *got_end != *want_end) {
          if (fail(config,
                   absl::StrCat("AddBusinessDuration(", Show(t), ", ",
                                absl::FormatDuration(want_duration), "): fast ",
                                got_end.ok() ? Show(*got_end)
                                             : got_end.status().ToString(),
                                ", reference ",
                                want_end ? Show(*want_end) : "none"))) {
            break;
          }
        }
      }
      // AddBusinessDuration of up to 2 days of business time, searched by
      // the reference up to 12 days ahead.
      const absl::Duration d =
          r.OneIn(10) ? absl::ZeroDuration()
                      : absl::Seconds(r.LogInt(2 * 86400)) +
                            (r.OneIn(3) ? absl::Nanoseconds(r.Int(0, 999999999))
                                        : absl::ZeroDuration());
      const absl::Duration add_horizon = absl::Hours(24 * 12);
      const std::optional<absl::Time> want_due =
          ref.AddBusinessDuration(t, d, add_horizon);
      const absl::StatusOr<absl::Time> got_due = fast.AddBusinessDuration(t, d);
      if (want_due ? !(got_due.ok() && *got_due == *want_due)
                   : (got_due.ok() && *got_due < t + add_horizon)) {
        if (fail(
                config,
                absl::StrCat(
                    "AddBusinessDuration(", Show(t), ", ",
                    absl::FormatDuration(d), "): fast ",
                    got_due.ok() ? Show(*got_due) : got_due.status().ToString(),
                    ", reference ", want_due ? Show(*want_due) : "none"))) {
          break;
        }
      }
      if (!got_due.ok() &&
          got_due.status().code() != absl::StatusCode::kFailedPrecondition) {
        fail(config, absl::StrCat("unexpected ", got_due.status().ToString()));
      }
    }
  }
  EXPECT_GE(created, kCalendars);
  // Most random exception sets are valid.
  EXPECT_LT(rejected, kCalendars / 2);
  std::printf(
      "compared %d queries (x5 operations) on %d calendars; %d had "
      "their exceptions dropped as invalid\n",
      compared, created, rejected);
  RecordProperty("calendars", created);
  RecordProperty("queries", compared);
}

}  // namespace
}  // namespace helpdesk
