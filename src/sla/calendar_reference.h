// Internal: a brute-force business calendar that steps through real time one
// minute at a time. It is the oracle for tests/calendar_property_test.cc and
// the baseline of bench/sla_bench.cc; it shares no code with calendar.cc.
//
//   ReferenceCalendar ref(config);  // `config` accepted by BusinessCalendar
//   absl::Duration open = ref.BusinessDuration(from, to);
//
// It implements the documented semantics directly: an instant is open when
// the furthest the wall clock has read so far (the "high-water" civil time)
// lies in an opening interval of its date or of the date before (an overnight
// shift). It only converts absolute time to civil time (TimeZone::At), never
// the other way, and never looks at transitions.
//
// Assumptions, true of the zones' rules since 1970: UTC offsets and
// transitions fall on whole minutes (so each UTC minute is wholly open or
// wholly closed), and the clocks never go back by more than 3 hours.
#ifndef HELPDESK_SLA_CALENDAR_REFERENCE_H_
#define HELPDESK_SLA_CALENDAR_REFERENCE_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "helpdesk/v1/calendar.pb.h"

namespace helpdesk::sla_internal {

class ReferenceCalendar {
 public:
  explicit ReferenceCalendar(const v1::CalendarConfig& config) {
    absl::LoadTimeZone(config.time_zone(), &tz_);
    for (const v1::WeeklyHours& hours : config.weekly_hours()) {
      for (int day : hours.days()) {
        for (const v1::OpeningInterval& interval : hours.intervals()) {
          // absl::Weekday: kMonday == 0.
          weekly_[day - 1].push_back(Minutes(interval));
        }
      }
    }
    for (const v1::Holiday& holiday : config.holidays()) {
      special_[Date(holiday.date())];  // Closed.
    }
    for (const v1::CalendarException& exception : config.exceptions()) {
      std::vector<std::pair<int, int>>& intervals =
          special_[Date(exception.date())];
      for (const v1::OpeningInterval& interval : exception.intervals()) {
        intervals.push_back(Minutes(interval));
      }
    }
  }

  bool IsOpen(absl::Time t) const {
    Walker w(*this, t);
    return w.open();
  }

  // The first open instant at or after `t`, searching up to t + horizon.
  std::optional<absl::Time> NextOpen(absl::Time t,
                                     absl::Duration horizon) const {
    const absl::Time limit = t + horizon;
    for (Walker w(*this, t); w.minute() < limit; w.Next()) {
      if (w.open()) return std::max(t, w.minute());
    }
    return std::nullopt;
  }

  // Open time in [from, to), from <= to.
  absl::Duration BusinessDuration(absl::Time from, absl::Time to) const {
    absl::Duration sum;
    for (Walker w(*this, from); w.minute() < to; w.Next()) {
      if (!w.open()) continue;
      sum += std::min(to, w.minute() + absl::Minutes(1)) -
             std::max(from, w.minute());
    }
    return sum;
  }

  // The earliest instant at which `d` of open time has elapsed since
  // `start`, searching up to start + horizon.
  std::optional<absl::Time> AddBusinessDuration(absl::Time start,
                                                absl::Duration d,
                                                absl::Duration horizon) const {
    if (d == absl::ZeroDuration()) return start;
    const absl::Time limit = start + horizon;
    for (Walker w(*this, start); w.minute() < limit; w.Next()) {
      if (!w.open()) continue;
      const absl::Time from = std::max(start, w.minute());
      const absl::Duration available = w.minute() + absl::Minutes(1) - from;
      if (d <= available) return from + d;
      d -= available;
    }
    return std::nullopt;
  }

 private:
  // Steps through UTC minutes, tracking the high-water civil time.
  class Walker {
   public:
    Walker(const ReferenceCalendar& cal, absl::Time t) : cal_(cal) {
      minute_ = absl::FromUnixSeconds(
          absl::ToUnixSeconds(t) - ((absl::ToUnixSeconds(t) % 60) + 60) % 60);
      high_ = cal_.tz_.At(minute_).cs;
      for (int back = 1; back <= 180; ++back) {
        high_ = std::max(high_, cal_.tz_.At(minute_ - absl::Minutes(back)).cs);
      }
    }
    absl::Time minute() const { return minute_; }
    bool open() const { return cal_.CivilOpen(high_); }
    void Next() {
      minute_ += absl::Minutes(1);
      high_ = std::max(high_, cal_.tz_.At(minute_).cs);
    }

   private:
    const ReferenceCalendar& cal_;
    absl::Time minute_;
    absl::CivilSecond high_;
  };

  static std::pair<int, int> Minutes(const v1::OpeningInterval& interval) {
    auto parse = [](const std::string& s) {
      const size_t colon = s.find(':');
      return std::stoi(s.substr(0, colon)) * 60 +
             std::stoi(s.substr(colon + 1));
    };
    const int open = parse(interval.open());
    int close = parse(interval.close());
    if (interval.ends_next_day()) close += 24 * 60;
    return {open, close};
  }

  static absl::CivilDay Date(const std::string& s) {
    absl::CivilDay day;
    absl::ParseCivilTime(s, &day);
    return day;
  }

  const std::vector<std::pair<int, int>>& IntervalsOf(
      absl::CivilDay day) const {
    auto it = special_.find(day);
    if (it != special_.end()) return it->second;
    return weekly_[static_cast<int>(absl::GetWeekday(day))];
  }

  // Whether civil time `c` lies in an interval that opens on its date or on
  // the date before.
  bool CivilOpen(absl::CivilSecond c) const {
    const absl::CivilDay day(c);
    const int minute = c.hour() * 60 + c.minute();
    for (const auto& [open, close] : IntervalsOf(day)) {
      if (open <= minute && minute < close) return true;
    }
    for (const auto& [open, close] : IntervalsOf(day - 1)) {
      if (open <= minute + 24 * 60 && minute + 24 * 60 < close) return true;
    }
    return false;
  }

  absl::TimeZone tz_;
  std::array<std::vector<std::pair<int, int>>, 7> weekly_;
  std::map<absl::CivilDay, std::vector<std::pair<int, int>>> special_;
};

}  // namespace helpdesk::sla_internal

#endif  // HELPDESK_SLA_CALENDAR_REFERENCE_H_
