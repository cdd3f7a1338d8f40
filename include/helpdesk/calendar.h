// BusinessCalendar: when a team is open, and how much business time lies
// between two instants. SLA targets in business time (e.g. "first reply within
// 4 business hours") are computed with it.
//
// A calendar is built from a helpdesk.v1.CalendarConfig (see
// helpdesk/v1/calendar.proto): weekly opening hours in an IANA time zone,
// holidays and one-off exceptions.
//
//   v1::CalendarConfig config;  // Europe/Madrid, Mon-Fri 09:00-17:00.
//   absl::StatusOr<BusinessCalendar> calendar =
//       BusinessCalendar::Create(config);
//   if (!calendar.ok()) return calendar.status();
//   // Created Friday 16:30, first reply due within 4 business hours: Friday
//   // 16:30-17:00, then Monday 09:00-12:30. Due Monday 12:30.
//   absl::StatusOr<absl::Time> due =
//       calendar->AddBusinessDuration(created, absl::Hours(4));
//
// Semantics, exact to the second (and to the nanosecond for inputs):
//  - Business time is real elapsed time while the calendar is open. A day open
//    "00:00"-"24:00" is 23 real hours on a spring-forward day and 25 on a
//    fall-back day; a 24/7 calendar has no gap at midnight.
//  - Opening intervals are in local civil time. Each "HH:MM" of a given date
//    maps to the first instant at which the wall clock has reached it: a time
//    skipped by a forward DST jump (02:30 when clocks go from 02:00 to 03:00)
//    maps to the instant of the jump, and a time repeated by a backward jump
//    maps to its first occurrence. Equivalently, an instant is open when the
//    furthest the wall clock has ever read (up to that instant) lies inside an
//    opening interval; during a repeated hour the calendar therefore stays as
//    it was just before the clocks went back. An interval lying wholly inside
//    a skipped hour is empty that day.
//  - An interval belongs to the date on which it opens: a holiday or exception
//    on a date replaces the intervals that open on that date; an overnight
//    shift that opened the evening before runs to its end.
//  - A target used up exactly at closing time is due at closing time, not at
//    the next opening.
//  - Times must lie in [1900-01-01T00:00:00Z, 2300-01-01T00:00:00Z], the
//    range over which time zone rules are tabulated; there is no other horizon.
//  - Cost does not depend on the length of the span: each call is a few binary
//    searches, whether it covers an hour or a century.
#ifndef HELPDESK_CALENDAR_H_
#define HELPDESK_CALENDAR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/calendar.pb.h"

namespace helpdesk {

// A validated business calendar; a value type (copies share the precomputed
// state). Every query is exact and costs a few binary searches, whatever the
// span. Thread safety: immutable after Create; safe to share across threads
// and to call concurrently.
class HELPDESK_EXPORT BusinessCalendar {
 public:
  // Validates `config` and precomputes the calendar. Errors, all
  // InvalidArgument with a message naming the field and the value:
  // an empty, unknown or non-IANA `time_zone` (such as "localtime" or a file
  // path); a WeeklyHours without days or intervals, an unspecified or unknown
  // weekday, a weekday listed twice in one WeeklyHours; a time that is not
  // "HH:MM" within "00:00"-"23:59" ("24:00" for `close` only); an interval
  // that closes at or before it opens without `ends_next_day`, or an overnight
  // shift longer than 24 hours; intervals that overlap (on the same day or
  // across midnight, including Sunday into Monday and around holidays and
  // exceptions); a date that is not "YYYY-MM-DD" or lies outside 1900-2299; a
  // date listed twice among holidays and exceptions; an exception that is
  // both `closed` and has intervals, or neither.
  // A calendar with no opening hours at all may be created; it is never open.
  static absl::StatusOr<BusinessCalendar> Create(
      const v1::CalendarConfig& config);

  // Copies share the immutable precomputed state.
  BusinessCalendar(const BusinessCalendar&) = default;
  BusinessCalendar& operator=(const BusinessCalendar&) = default;
  BusinessCalendar(BusinessCalendar&&) = default;
  BusinessCalendar& operator=(BusinessCalendar&&) = default;
  ~BusinessCalendar();

  // The config's `name` (may be empty) and its time zone.
  const std::string& name() const;
  const absl::TimeZone& time_zone() const;

  // True if the calendar has any opening hours: weekly, or in an exception.
  bool HasOpeningHours() const;

  // True if the calendar is open at `t`. False outside the supported range.
  bool IsOpen(absl::Time t) const;

  // Returns `t` if the calendar is open at `t`, otherwise the next instant at
  // which it opens. Errors: InvalidArgument if `t` is outside the supported
  // range or the next opening lies beyond it; FailedPrecondition if the
  // calendar is never open at or after `t`.
  absl::StatusOr<absl::Time> NextOpen(absl::Time t) const;

  // The business time (open time) in [from, to); zero when from == to.
  // Errors: InvalidArgument if `to` is before `from` or either is outside the
  // supported range.
  absl::StatusOr<absl::Duration> BusinessDuration(absl::Time from,
                                                  absl::Time to) const;

  // The earliest instant `due` >= `start` such that BusinessDuration(start,
  // due) == `d`: a target used up exactly at closing time is due at closing
  // time. Returns `start` when `d` is zero, even if the calendar is closed
  // then. Errors: InvalidArgument if `d` is negative or infinite, if `start`
  // is outside the supported range, or if the due time lies beyond it;
  // FailedPrecondition if `d` is positive and the calendar is not open long
  // enough at or after `start` (e.g. a calendar with no opening hours).
  absl::StatusOr<absl::Time> AddBusinessDuration(absl::Time start,
                                                 absl::Duration d) const;

  // The supported range of times, inclusive.
  static absl::Time MinSupportedTime();
  static absl::Time MaxSupportedTime();

 private:
  struct Rep;  // Defined in calendar.cc.
  explicit BusinessCalendar(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

}  // namespace helpdesk

#endif  // HELPDESK_CALENDAR_H_
