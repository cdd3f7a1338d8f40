// BusinessCalendar: validation of a CalendarConfig and the arithmetic of open
// time.
//
// The model. Civil (wall-clock) time is counted in seconds `x` from Monday
// 1970-01-05 00:00:00, so that day FloorDiv(x, kDay) has weekday
// FloorMod(day, 7) (0 = Monday). The calendar's open set in civil time is a
// union of disjoint half-open spans; G(x) ("civil measure") is the amount of
// it before x:
//   - regular weeks: G = weeks * week_open + the prefix within the week,
//     found by binary search over the week's spans;
//   - holidays and exceptions ("special days"): each changes G only in the
//     two days starting at its date (an overnight shift spills into the next
//     day); G is precomputed at the start of each special day and at its end,
//     and anything between special days is a regular stretch.
//
// Real (absolute) time `t` in Unix seconds relates to civil time through the
// zone's UTC offset, constant between transitions. The transitions up to the
// end of the supported range are tabulated at Create into "segments". In a
// segment the offset is constant, so the open measure F(t) ("business
// seconds before t") is k + G(t + offset): linear in G. After a backward
// transition (fall back) comes a "second pass" through the repeated civil
// hour; there the furthest civil time reached stays at the transition's
// `from`, so the calendar stays open or closed as it was just before, and F
// grows at rate 1 or 0. F is precomputed at the start of each segment.
//
// Then BusinessDuration is F(to) - F(from), and AddBusinessDuration inverts F
// with binary searches: the segment whose start value is below the target,
// then the special day, then the week, then the span. Nothing walks minutes,
// days or weeks.
//
// Sub-second inputs: openness is constant within each whole Unix second (all
// endpoints are whole seconds), so F is computed on whole seconds and the
// fraction is added when that second is open.
#include "helpdesk/calendar.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace helpdesk {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kWeek = 7 * kDay;
// Civil seconds count from Monday 1970-01-05; 1970-01-01 was a Thursday.
constexpr int64_t kAnchorShift = 4 * kDay;
// The supported range: 1900-01-01T00:00:00Z to 2300-01-01T00:00:00Z.
constexpr int64_t kMinSec = -2208988800;
constexpr int64_t kMaxSec = 10413792000;
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2299;
constexpr int64_t kNegInf = std::numeric_limits<int64_t>::min();

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// An opening span of one date, in civil seconds from that date's 00:00;
// 0 <= begin < end <= 2 * kDay.
struct Span {
  int64_t begin;
  int64_t end;
};

std::string FormatClock(int64_t seconds_of_day) {
  int64_t minutes = seconds_of_day / 60;
  return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60);
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

absl::CivilDay DayToCivil(int64_t day) {
  return absl::CivilDay(1970, 1, 5) + day;
}

std::string FormatDay(int64_t day) {
  return absl::FormatCivilTime(DayToCivil(day));
}

// Parses "H:MM" or "HH:MM" into seconds of the day. "24:00" only if
// `allow_end_of_day`.
std::optional<int64_t> ParseClock(absl::string_view s, bool allow_end_of_day) {
  size_t colon = s.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon > 2 ||
      s.size() != colon + 3) {
    return std::nullopt;
  }
  int64_t hours = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
      return std::nullopt;
    }
    hours = hours * 10 + (s[i] - '0');
  }
  if (!absl::ascii_isdigit(static_cast<unsigned char>(s[colon + 1])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(s[colon + 2]))) {
    return std::nullopt;
  }
  int64_t minutes = (s[colon + 1] - '0') * 10 + (s[colon + 2] - '0');
  if (minutes > 59) return std::nullopt;
  if (hours > 24 || (hours == 24 && (minutes != 0 || !allow_end_of_day))) {
    return std::nullopt;
  }
  return (hours * 60 + minutes) * 60;
}

// Parses "YYYY-MM-DD" into a day number (days since 1970-01-05); the date
// must exist and lie within the supported years.
std::optional<int64_t> ParseDate(absl::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int64_t fields[3] = {0, 0, 0};
  const std::pair<size_t, size_t> ranges[3] = {{0, 4}, {5, 7}, {8, 10}};
  for (int f = 0; f < 3; ++f) {
    for (size_t i = ranges[f].first; i < ranges[f].second; ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
        return std::nullopt;
      }
      fields[f] = fields[f] * 10 + (s[i] - '0');
    }
  }
  absl::CivilDay day(fields[0], static_cast<int>(fields[1]),
                     static_cast<int>(fields[2]));
  if (day.year() != fields[0] || day.month() != fields[1] ||
      day.day() != fields[2] || fields[0] < kMinYear || fields[0] > kMaxYear) {
    return std::nullopt;
  }
  return day - absl::CivilDay(1970, 1, 5);
}

std::string DescribeInterval(const v1::OpeningInterval& interval) {
  return absl::StrCat("\"", interval.open(), "\"-\"", interval.close(), "\"",
                      interval.ends_next_day() ? " next day" : "");
}

// Parses and checks one interval; `field` names it in errors.
absl::StatusOr<Span> ParseInterval(const v1::OpeningInterval& interval,
                                   const std::string& field) {
  std::optional<int64_t> open = ParseClock(interval.open(), false);
  if (!open) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".open \"", interval.open(),
        "\" is not a time of day \"HH:MM\" from \"00:00\" to \"23:59\""));
  }
  std::optional<int64_t> close = ParseClock(interval.close(), true);
  if (!close) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".close \"", interval.close(),
        "\" is not a time of day \"HH:MM\" from \"00:00\" to \"24:00\""));
  }
  if (interval.ends_next_day()) {
    if (*close > *open) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " ", DescribeInterval(interval),
          " lasts more than 24 hours; an overnight shift must close the next "
          "day no later than the time it opened"));
    }
    return Span{*open, kDay + *close};
  }
  if (*close <= *open) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", DescribeInterval(interval), " closes at \"",
        interval.close(), "\", not after it opens at \"", interval.open(),
        "\"; set ends_next_day for an overnight shift"));
  }
  return Span{*open, *close};
}

absl::Status CheckTimeZoneName(absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "time_zone is empty; set an IANA time zone name such as "
        "\"Europe/Madrid\" or \"UTC\"");
  }
  bool shaped = name != "localtime" && name.front() != '/' &&
                name.back() != '/' &&
                name.find("//") == absl::string_view::npos;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' &&
        c != '_' && c != '-' && c != '+') {
      shaped = false;
    }
  }
  if (!shaped) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone \"", name,
                     "\" is not an IANA time zone name such as "
                     "\"Europe/Madrid\""));
  }
  return absl::OkStatus();
}

// One stretch of constant UTC offset, from `begin` to the next segment's
// begin. See the file comment.
struct Segment {
  int64_t begin;     // Unix seconds; kNegInf for the first segment.
  int64_t pass_end;  // End of the second pass after a fall back; == begin
                     // when there is none.
  int64_t offset;    // UTC offset in seconds.
  bool pass_open;    // Open during the second pass.
  int64_t f_begin;   // F(begin); kNegInf for the first segment.
  int64_t k;         // F(t) = k + G(t + offset - kAnchorShift) after pass_end.
};

}  // namespace

struct BusinessCalendar::Rep {
  // One week's open spans, in civil seconds from Monday 00:00, sorted and
  // disjoint, wrapped into [0, kWeek).
  struct WeekSpan {
    int64_t begin;
    int64_t end;
    int64_t prefix;  // Open seconds of the week before `begin`.
  };
  struct SpecialDay {
    int64_t day;
    std::string field;  // "holidays[2]" or "exceptions[0]", for errors.
    std::vector<Span> spans;
    int64_t g_start = 0;  // G at the day's 00:00.
    int64_t g_end = 0;    // G two days later (after any spill).
  };

  std::string name;
  absl::TimeZone tz;
  std::array<std::vector<Span>, 7> weekly;
  std::vector<int64_t> week_begins;       // WeekSpan::begin, for searches.
  std::vector<int64_t> week_prefix_ends;  // prefix + length.
  std::vector<WeekSpan> week_spans;
  int64_t week_open = 0;
  std::vector<int64_t> special_days;     // Sorted.
  std::vector<int64_t> special_g_start;  // Parallel; non-decreasing.
  std::vector<SpecialDay> specials;
  std::vector<int64_t> segment_begins;    // Sorted; [0] == kNegInf.
  std::vector<int64_t> segment_f_begins;  // Parallel; non-decreasing.
  std::vector<Segment> segments;
  bool has_opening_hours = false;

  std::string Describe() const {
    return name.empty() ? std::string("calendar")
                        : absl::StrCat("calendar \"", name, "\"");
  }

  // The opening spans of a date: an exception's, none on a holiday, else the
  // weekday's.
  const std::vector<Span>& SpansOf(int64_t day) const {
    if (!special_days.empty()) {
      auto it = std::lower_bound(special_days.begin(), special_days.end(), day);
      if (it != special_days.end() && *it == day) {
        return specials[it - special_days.begin()].spans;
      }
    }
    return weekly[FloorMod(day, 7)];
  }

  // True if civil second [x, x + 1) is open.
  bool CivilOpen(int64_t x) const {
    const int64_t day = FloorDiv(x, kDay);
    const int64_t rel = x - day * kDay;
    for (const Span& s : SpansOf(day)) {
      if (s.begin > rel) break;
      if (rel < s.end) return true;
    }
    const std::vector<Span>& before = SpansOf(day - 1);
    return !before.empty() && before.back().end > rel + kDay;
  }

  // Open civil seconds in [day 00:00, day 00:00 + rel_end), rel_end <= 2 days.
  int64_t LocalMeasure(int64_t day, int64_t rel_end) const {
    int64_t sum = 0;
    for (int64_t d = -1; d <= 1; ++d) {
      for (const Span& s : SpansOf(day + d)) {
        const int64_t a = std::max<int64_t>(s.begin + d * kDay, 0);
        const int64_t b = std::min<int64_t>(s.end + d * kDay, rel_end);
        if (b > a) sum += b - a;
      }
    }
    return sum;
  }

  // The smallest x in [day 00:00, +2 days] with G(x) >= target, given
  // G(day 00:00) == g0 < target; nullopt if G stays below target there.
  std::optional<int64_t> LocalInverse(int64_t day, int64_t g0,
                                      int64_t target) const {
    int64_t acc = g0;
    for (int64_t d = -1; d <= 1; ++d) {
      for (const Span& s : SpansOf(day + d)) {
        const int64_t a = std::max<int64_t>(s.begin + d * kDay, 0);
        const int64_t b = std::min<int64_t>(s.end + d * kDay, 2 * kDay);
        if (b <= a) continue;
        if (target - acc <= b - a) return day * kDay + a + (target - acc);
        acc += b - a;
      }
    }
    return std::nullopt;
  }

  // Open seconds of the regular week in [Monday 00:00, r), 0 <= r <= kWeek.
  int64_t WeekMeasure(int64_t r) const {
    auto it = std::upper_bound(week_begins.begin(), week_begins.end(), r);
    if (it == week_begins.begin()) return 0;
    const WeekSpan& s = week_spans[(it - week_begins.begin()) - 1];
    return s.prefix + std::min(r, s.end) - s.begin;
  }

  // G for the regular weeks alone (no special days).
  int64_t RegularMeasure(int64_t x) const {
    const int64_t w = FloorDiv(x, kWeek);
    return w * week_open + WeekMeasure(x - w * kWeek);
  }

  // The smallest x with RegularMeasure(x) >= target; nullopt if the week has
  // no opening hours.
  std::optional<int64_t> RegularInverse(int64_t target) const {
    if (week_open == 0) return std::nullopt;
    const int64_t w = CeilDiv(target, week_open) - 1;
    const int64_t rem = target - w * week_open;  // In (0, week_open].
    auto it =
        std::lower_bound(week_prefix_ends.begin(), week_prefix_ends.end(), rem);
    const WeekSpan& s = week_spans[it - week_prefix_ends.begin()];
    return w * kWeek + s.begin + (rem - s.prefix);
  }

  // G(x), using only the first `limit` special days (all by default).
  int64_t CivilMeasure(int64_t x,
                       size_t limit = static_cast<size_t>(-1)) const {
    limit = std::min(limit, special_days.size());
    if (limit == 0) return RegularMeasure(x);
    const int64_t day = FloorDiv(x, kDay);
    auto it = std::upper_bound(special_days.begin(),
                               special_days.begin() + limit, day);
    if (it == special_days.begin()) return RegularMeasure(x);
    const SpecialDay& sp = specials[(it - special_days.begin()) - 1];
    const int64_t start = sp.day * kDay;
    if (x - start < 2 * kDay) {
      return sp.g_start + LocalMeasure(sp.day, x - start);
    }
    return sp.g_end + RegularMeasure(x) - RegularMeasure(start + 2 * kDay);
  }

  // The smallest x with G(x) >= target, for a target above G somewhere;
  // nullopt if G never reaches it.
  std::optional<int64_t> CivilInverse(int64_t target) const {
    if (special_days.empty()) return RegularInverse(target);
    // The last special day whose start is below the target: the answer lies
    // after its start and no later than the next special day's start.
    auto it = std::lower_bound(special_g_start.begin(), special_g_start.end(),
                               target);
    if (it == special_g_start.begin()) return RegularInverse(target);
    const SpecialDay& sp = specials[(it - special_g_start.begin()) - 1];
    if (std::optional<int64_t> x = LocalInverse(sp.day, sp.g_start, target)) {
      return x;
    }
    return RegularInverse(target - sp.g_end +
                          RegularMeasure(sp.day * kDay + 2 * kDay));
  }

  size_t SegmentIndex(int64_t t) const {
    auto it = std::upper_bound(segment_begins.begin(), segment_begins.end(), t);
    return static_cast<size_t>(it - segment_begins.begin()) - 1;
  }

  // F(t) for t in (or at the end of) segment `seg`.
  int64_t MeasureIn(const Segment& seg, int64_t t) const {
    if (t < seg.pass_end) {
      return seg.f_begin + (seg.pass_open ? t - seg.begin : 0);
    }
    return seg.k + CivilMeasure(t + seg.offset - kAnchorShift);
  }

  struct Point {
    int64_t f;  // Business seconds before t.
    bool open;  // Whether [t, t + 1) is open.
  };
  Point Eval(int64_t t) const {
    const Segment& seg = segments[SegmentIndex(t)];
    if (t < seg.pass_end) {
      return {seg.f_begin + (seg.pass_open ? t - seg.begin : 0), seg.pass_open};
    }
    const int64_t x = t + seg.offset - kAnchorShift;
    return {seg.k + CivilMeasure(x), CivilOpen(x)};
  }

  // The smallest t with F(t) >= target, for a target above F somewhere;
  // nullopt if F never reaches it.
  std::optional<int64_t> Inverse(int64_t target) const {
    auto it = std::lower_bound(segment_f_begins.begin(), segment_f_begins.end(),
                               target);
    const Segment& seg = segments[(it - segment_f_begins.begin()) - 1];
    if (seg.pass_open && target - seg.f_begin <= seg.pass_end - seg.begin) {
      return seg.begin + (target - seg.f_begin);
    }
    std::optional<int64_t> x = CivilInverse(target - seg.k);
    if (!x) return std::nullopt;
    return *x - seg.offset + kAnchorShift;
  }

  absl::Status BuildWeekly(const v1::CalendarConfig& config);
  absl::Status BuildSpecials(const v1::CalendarConfig& config);
  absl::Status CheckSpecialNeighbours() const;
  absl::Status BuildSegments();
};

absl::Status BusinessCalendar::Rep::BuildWeekly(
    const v1::CalendarConfig& config) {
  struct Labeled {
    int64_t begin;  // Week seconds from Monday 00:00.
    int64_t end;
    std::string label;
  };
  std::vector<Labeled> all;
  for (int i = 0; i < config.weekly_hours_size(); ++i) {
    const v1::WeeklyHours& hours = config.weekly_hours(i);
    const std::string field = absl::StrCat("weekly_hours[", i, "]");
    if (hours.days().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".days is empty; list the weekdays it covers"));
    }
    if (hours.intervals().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".intervals is empty; omit a closed weekday instead"));
    }
    std::vector<Span> spans;
    for (int j = 0; j < hours.intervals_size(); ++j) {
      auto span = ParseInterval(hours.intervals(j),
                                absl::StrCat(field, ".intervals[", j, "]"));
      if (!span.ok()) return span.status();
      spans.push_back(*span);
    }
    bool seen[7] = {};
    for (int j = 0; j < hours.days_size(); ++j) {
      const int value = hours.days(j);
      if (value < v1::WEEKDAY_MONDAY || value > v1::WEEKDAY_SUNDAY) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".days[", j, "] is ",
                         value == v1::WEEKDAY_UNSPECIFIED
                             ? "WEEKDAY_UNSPECIFIED"
                             : absl::StrCat("unknown value ", value),
                         "; use WEEKDAY_MONDAY to WEEKDAY_SUNDAY"));
      }
      const int wd = value - v1::WEEKDAY_MONDAY;
      if (seen[wd]) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".days lists ", v1::Weekday_Name(hours.days(j)), " twice"));
      }
      seen[wd] = true;
      for (int k = 0; k < hours.intervals_size(); ++k) {
        weekly[wd].push_back(spans[k]);
        all.push_back(
            {wd * kDay + spans[k].begin, wd * kDay + spans[k].end,
             absl::StrCat(field, ".intervals[", k, "] (",
                          DescribeInterval(hours.intervals(k)), " on ",
                          v1::Weekday_Name(hours.days(j)), ")")});
      }
    }
  }
  std::sort(all.begin(), all.end(), [](const Labeled& a, const Labeled& b) {
    return a.begin < b.begin;
  });
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].begin < all[i - 1].end) {
      return absl::InvalidArgumentError(
          absl::StrCat(all[i].label, " overlaps ", all[i - 1].label));
    }
  }
  if (all.size() > 1 && all.back().end - kWeek > all.front().begin) {
    return absl::InvalidArgumentError(
        absl::StrCat(all.back().label, " overlaps ", all.front().label,
                     " of the following week"));
  }
  for (std::vector<Span>& spans : weekly) {
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.begin < b.begin; });
  }
  // The week, wrapped into [0, kWeek).
  std::vector<Span> wrapped;
  for (const Labeled& l : all) {
    if (l.end <= kWeek) {
      wrapped.push_back({l.begin, l.end});
    } else {
      wrapped.push_back({l.begin, kWeek});
      wrapped.push_back({0, l.end - kWeek});
    }
  }
  std::sort(wrapped.begin(), wrapped.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (const Span& s : wrapped) {
    if (!week_spans.empty() && week_spans.back().end == s.begin) {
      week_spans.back().end = s.end;  // Touching spans merge.
    } else {
      week_spans.push_back({s.begin, s.end, week_open});
    }
    week_open += s.end - s.begin;
  }
  for (const WeekSpan& s : week_spans) {
    week_begins.push_back(s.begin);
    week_prefix_ends.push_back(s.prefix + s.end - s.begin);
  }
  return absl::OkStatus();
}

absl::Status BusinessCalendar::Rep::BuildSpecials(
    const v1::CalendarConfig& config) {
  std::vector<SpecialDay> all;
  for (int i = 0; i < config.holidays_size(); ++i) {
    const v1::Holiday& holiday = config.holidays(i);
    std::optional<int64_t> day = ParseDate(holiday.date());
    if (!day) {
      return absl::InvalidArgumentError(
          absl::StrCat("holidays[", i, "].date \"", holiday.date(),
                       "\" is not a date \"YYYY-MM-DD\" in the years ",
                       kMinYear, "-", kMaxYear));
    }
    all.push_back({*day, absl::StrCat("holidays[", i, "]"), {}});
  }
  for (int i = 0; i < config.exceptions_size(); ++i) {
    const v1::CalendarException& exception = config.exceptions(i);
    const std::string field = absl::StrCat("exceptions[", i, "]");
    std::optional<int64_t> day = ParseDate(exception.date());
    if (!day) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".date \"", exception.date(),
                       "\" is not a date \"YYYY-MM-DD\" in the years ",
                       kMinYear, "-", kMaxYear));
    }
    if (exception.closed() && !exception.intervals().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " (date \"", exception.date(), "\") is closed but has ",
          exception.intervals_size(), " intervals; use one or the other"));
    }
    if (!exception.closed() && exception.intervals().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " (date \"", exception.date(),
          "\") has no intervals; set closed: true to close the day"));
    }
    SpecialDay special{*day, field, {}};
    std::vector<std::pair<Span, int>> spans;
    for (int j = 0; j < exception.intervals_size(); ++j) {
      auto span = ParseInterval(exception.intervals(j),
                                absl::StrCat(field, ".intervals[", j, "]"));
      if (!span.ok()) return span.status();
      spans.push_back({*span, j});
    }
    std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) {
      return a.first.begin < b.first.begin;
    });
    for (size_t j = 0; j < spans.size(); ++j) {
      if (j > 0 && spans[j].first.begin < spans[j - 1].first.end) {
        const int a = spans[j].second;
        const int b = spans[j - 1].second;
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".intervals[", a, "] (",
                         DescribeInterval(exception.intervals(a)),
                         ") overlaps ", field, ".intervals[", b, "] (",
                         DescribeInterval(exception.intervals(b)), ")"));
      }
      special.spans.push_back(spans[j].first);
    }
    all.push_back(std::move(special));
  }
  std::stable_sort(
      all.begin(), all.end(),
      [](const SpecialDay& a, const SpecialDay& b) { return a.day < b.day; });
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].day == all[i - 1].day) {
      return absl::InvalidArgumentError(
          absl::StrCat(all[i].field, ".date \"", FormatDay(all[i].day),
                       "\" is already listed in ", all[i - 1].field));
    }
  }
  for (SpecialDay& s : all) {
    special_days.push_back(s.day);
    specials.push_back(std::move(s));
  }
  return CheckSpecialNeighbours();
}

absl::Status BusinessCalendar::Rep::CheckSpecialNeighbours() const {
  auto describe_day = [this](int64_t day) {
    auto it = std::lower_bound(special_days.begin(), special_days.end(), day);
    if (it != special_days.end() && *it == day) {
      return absl::StrCat(specials[it - special_days.begin()].field, " on ",
                          FormatDay(day));
    }
    return absl::StrCat(
        "the weekly hours of ", FormatDay(day), " (",
        v1::Weekday_Name(static_cast<v1::Weekday>(FloorMod(day, 7) + 1)), ")");
  };
  // Only pairs of consecutive dates involving a special day can overlap:
  // BuildWeekly checked the regular ones.
  for (const SpecialDay& sp : specials) {
    for (int64_t first = sp.day - 1; first <= sp.day; ++first) {
      const std::vector<Span>& a = SpansOf(first);
      const std::vector<Span>& b = SpansOf(first + 1);
      if (a.empty() || b.empty()) continue;
      const int64_t spill_end = a.back().end - kDay;
      if (spill_end > b.front().begin) {
        return absl::InvalidArgumentError(absl::StrCat(
            describe_day(first + 1), " opens at ", FormatClock(b.front().begin),
            ", before the overnight shift of ", describe_day(first),
            " closes at ", FormatClock(spill_end)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status BusinessCalendar::Rep::BuildSegments() {
  const absl::CivilSecond epoch(1970, 1, 1);
  segments.push_back({kNegInf, kNegInf, 0, false, kNegInf, 0});
  absl::Time cursor = absl::InfinitePast();
  absl::TimeZone::CivilTransition ct;
  bool any = false;
  while (tz.NextTransition(cursor, &ct)) {
    const absl::Time when = tz.At(ct.to).trans;
    const int64_t tau = absl::ToUnixSeconds(when);
    if (tau > kMaxSec) break;
    if (tau <= segments.back().begin) {
      return absl::InternalError(absl::StrCat(
          "time zone \"", tz.name(), "\" reports transitions out of order at ",
          FormatUtc(when)));
    }
    const int64_t off_before = (ct.from - epoch) - tau;
    const int64_t off_after = (ct.to - epoch) - tau;
    if (!any) {
      segments[0].offset = off_before;
      any = true;
    }
    const Segment& prev = segments.back();
    Segment seg;
    seg.begin = tau;
    seg.offset = off_after;
    seg.f_begin = MeasureIn(prev, tau);
    if (off_after < off_before) {
      // Fall back: the civil time [to, from) repeats.
      const int64_t x_from = tau + off_before - kAnchorShift;
      seg.pass_end = tau + (off_before - off_after);
      seg.pass_open = CivilOpen(x_from - 1);
      seg.k = seg.f_begin + (seg.pass_open ? seg.pass_end - tau : 0) -
              CivilMeasure(x_from);
    } else {
      seg.pass_end = tau;
      seg.pass_open = false;
      seg.k = seg.f_begin - CivilMeasure(tau + off_after - kAnchorShift);
    }
    segments.push_back(seg);
    cursor = when;
  }
  if (!any) {
    segments[0].offset = tz.At(absl::UnixEpoch()).offset;
  }
  for (const Segment& s : segments) {
    segment_begins.push_back(s.begin);
    segment_f_begins.push_back(s.f_begin);
  }
  // The table must agree with the zone up to the end of the supported range
  // (it would not if the zone's rules stopped being tabulated earlier).
  for (int64_t probe = kMaxSec; probe > kMaxSec - 3 * 365 * kDay;
       probe -= 29 * kDay) {
    const Segment& seg = segments[SegmentIndex(probe)];
    if (seg.offset != tz.At(absl::FromUnixSeconds(probe)).offset) {
      return absl::InternalError(absl::StrCat(
          "time zone \"", tz.name(), "\" has no tabulated transitions near ",
          FormatUtc(absl::FromUnixSeconds(probe))));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BusinessCalendar> BusinessCalendar::Create(
    const v1::CalendarConfig& config) {
  auto rep = std::make_shared<Rep>();
  rep->name = config.name();
  absl::Status status = CheckTimeZoneName(config.time_zone());
  if (!status.ok()) return status;
  if (!absl::LoadTimeZone(config.time_zone(), &rep->tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone \"", config.time_zone(),
                     "\" is not a known IANA time zone"));
  }
  status = rep->BuildWeekly(config);
  if (!status.ok()) return status;
  status = rep->BuildSpecials(config);
  if (!status.ok()) return status;
  // G at the start and end of each special day, in date order: each uses
  // only the special days before it.
  for (size_t i = 0; i < rep->specials.size(); ++i) {
    Rep::SpecialDay& sp = rep->specials[i];
    sp.g_start = rep->CivilMeasure(sp.day * kDay, i);
    sp.g_end = sp.g_start + rep->LocalMeasure(sp.day, 2 * kDay);
    rep->special_g_start.push_back(sp.g_start);
  }
  status = rep->BuildSegments();
  if (!status.ok()) return status;
  rep->has_opening_hours = rep->week_open > 0;
  for (const Rep::SpecialDay& sp : rep->specials) {
    if (!sp.spans.empty()) rep->has_opening_hours = true;
  }
  return BusinessCalendar(std::move(rep));
}

BusinessCalendar::BusinessCalendar(std::shared_ptr<const Rep> rep)
    : rep_(std::move(rep)) {}

BusinessCalendar::~BusinessCalendar() = default;

const std::string& BusinessCalendar::name() const { return rep_->name; }

const absl::TimeZone& BusinessCalendar::time_zone() const { return rep_->tz; }

bool BusinessCalendar::HasOpeningHours() const {
  return rep_->has_opening_hours;
}

absl::Time BusinessCalendar::MinSupportedTime() {
  return absl::FromUnixSeconds(kMinSec);
}

absl::Time BusinessCalendar::MaxSupportedTime() {
  return absl::FromUnixSeconds(kMaxSec);
}

namespace {

absl::Status CheckRange(absl::string_view field, absl::Time t) {
  if (t < BusinessCalendar::MinSupportedTime() ||
      t > BusinessCalendar::MaxSupportedTime()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", FormatUtc(t), " is outside the supported range ",
        FormatUtc(BusinessCalendar::MinSupportedTime()), " to ",
        FormatUtc(BusinessCalendar::MaxSupportedTime())));
  }
  return absl::OkStatus();
}

}  // namespace

bool BusinessCalendar::IsOpen(absl::Time t) const {
  if (t < MinSupportedTime() || t > MaxSupportedTime()) return false;
  return rep_->Eval(absl::ToUnixSeconds(t)).open;
}

absl::StatusOr<absl::Time> BusinessCalendar::NextOpen(absl::Time t) const {
  absl::Status status = CheckRange("t", t);
  if (!status.ok()) return status;
  const int64_t s = absl::ToUnixSeconds(t);
  const Rep::Point p = rep_->Eval(s);
  if (p.open) return t;
  std::optional<int64_t> after = rep_->Inverse(p.f + 1);
  if (!after) {
    return absl::FailedPreconditionError(absl::StrCat(
        rep_->Describe(), " is never open at or after ", FormatUtc(t),
        rep_->has_opening_hours ? "" : "; it has no opening hours"));
  }
  const absl::Time open = absl::FromUnixSeconds(*after - 1);
  if (open > MaxSupportedTime()) {
    return absl::InvalidArgumentError(absl::StrCat(
        rep_->Describe(), " opens next at ", FormatUtc(open), " (after ",
        FormatUtc(t), "), beyond the supported range ending ",
        FormatUtc(MaxSupportedTime())));
  }
  return open;
}

absl::StatusOr<absl::Duration> BusinessCalendar::BusinessDuration(
    absl::Time from, absl::Time to) const {
  absl::Status status = CheckRange("from", from);
  if (status.ok()) status = CheckRange("to", to);
  if (!status.ok()) return status;
  if (to < from) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to ", FormatUtc(to), " is before from ", FormatUtc(from)));
  }
  const int64_t sa = absl::ToUnixSeconds(from);
  const int64_t sb = absl::ToUnixSeconds(to);
  const Rep::Point a = rep_->Eval(sa);
  const Rep::Point b = rep_->Eval(sb);
  absl::Duration d = absl::Seconds(b.f - a.f);
  if (a.open) d -= from - absl::FromUnixSeconds(sa);
  if (b.open) d += to - absl::FromUnixSeconds(sb);
  return d;
}

absl::StatusOr<absl::Time> BusinessCalendar::AddBusinessDuration(
    absl::Time start, absl::Duration d) const {
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("business duration ", absl::FormatDuration(d),
                     " must be finite and not negative"));
  }
  absl::Status status = CheckRange("start", start);
  if (!status.ok()) return status;
  if (d == absl::ZeroDuration()) return start;
  const int64_t s = absl::ToUnixSeconds(start);
  const Rep::Point p = rep_->Eval(s);
  // Business time from the start of second s: the part of it before `start`
  // counts when that second is open.
  const absl::Duration total =
      d + (p.open ? start - absl::FromUnixSeconds(s) : absl::ZeroDuration());
  auto beyond_range = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "business duration ", absl::FormatDuration(d), " from ",
        FormatUtc(start), " ends beyond the supported range ending ",
        FormatUtc(MaxSupportedTime())));
  };
  if (total > absl::Seconds(kMaxSec - kMinSec)) return beyond_range();
  absl::Duration fraction;
  const int64_t whole = absl::IDivDuration(total, absl::Seconds(1), &fraction);
  // With a fraction, find where the next whole second is reached and step
  // back into that (open) second.
  const bool has_fraction = fraction > absl::ZeroDuration();
  std::optional<int64_t> end =
      rep_->Inverse(p.f + whole + (has_fraction ? 1 : 0));
  if (!end) {
    return absl::FailedPreconditionError(absl::StrCat(
        rep_->Describe(),
        rep_->has_opening_hours ? " is not open long enough: business duration "
                                : " has no opening hours: business duration ",
        absl::FormatDuration(d), " from ", FormatUtc(start), " never elapses"));
  }
  const absl::Time due = has_fraction
                             ? absl::FromUnixSeconds(*end - 1) + fraction
                             : absl::FromUnixSeconds(*end);
  if (due > MaxSupportedTime()) return beyond_range();
  return due;
}

}  // namespace helpdesk
