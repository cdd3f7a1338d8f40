// Fuzzes business calendars (helpdesk/calendar.h): the input is a
// CalendarConfig in text format or, when it is not one, a calendar built from
// its bytes (a zone with DST or odd offsets, weekly hours, holidays and
// exceptions: overnight shifts, "24:00", dates at the ends of the range).
// BusinessCalendar::Create may refuse either; a calendar it accepts is asked
// about instants drawn from the input (near 2026, around the zone's
// transitions, at the ends of the supported range, with nanoseconds) and
// durations (zero to years, negative, infinite). Any status is fine; a crash,
// leak or hang is not, and neither is a broken promise:
//  - BusinessDuration(a, b) is within [0, b - a] and adds up over a <= b <= c;
//  - AddBusinessDuration(a, d) = due: due >= a, BusinessDuration(a, due) == d,
//    and no earlier instant has d (BusinessDuration(a, due - 1ns) < d);
//  - IsOpen(t) exactly when [t, t + 1ns) is open; NextOpen(t) is open, at or
//    after t, with nothing open in between; never open without opening hours;
//  - errors are InvalidArgument or FailedPrecondition;
//  - for a calendar built from bytes, over spans up to three days from 1972
//    on: the same answers as the minute-stepping ReferenceCalendar.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "helpdesk/calendar.h"
#include "sla/calendar_reference.h"

namespace {

using helpdesk::BusinessCalendar;
namespace v1 = helpdesk::v1;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Keeps the text parser quiet about the (many) malformed inputs.
class IgnoreErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

// The input's bytes in turn, then zeros.
class Bytes {
 public:
  explicit Bytes(absl::string_view data) : data_(data) {}
  uint8_t Byte() { return at_ < data_.size() ? static_cast<uint8_t>(data_[at_++]) : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | Byte();
    return v;
  }
  uint64_t U64() { return (uint64_t{U32()} << 32) | U32(); }

 private:
  absl::string_view data_;
  size_t at_ = 0;
};

constexpr const char* kZones[] = {
    "Europe/Madrid",    "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
    "Asia/Kathmandu",   "UTC",              "America/Santiago",    "America/Havana",
    "Pacific/Chatham",  "Africa/Casablanca", "Europe/London",      "Asia/Beirut",
    "America/Sao_Paulo", "Pacific/Apia",     "Antarctica/Troll",   "America/St_Johns"};

std::string HhMm(int minutes) { return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60); }

void AddInterval(Bytes& in, google::protobuf::RepeatedPtrField<v1::OpeningInterval>* out) {
  v1::OpeningInterval* i = out->Add();
  const int open = static_cast<int>((in.Byte() * 256 + in.Byte()) % 1440);
  const int close = static_cast<int>((in.Byte() * 256 + in.Byte()) % 1441);
  i->set_open(HhMm(open));
  i->set_close(HhMm(close));
  i->set_ends_next_day(close <= open || in.Byte() % 8 == 0);
}

std::string Date(Bytes& in) {
  const uint8_t b = in.Byte();
  const int year = b % 16 == 0 ? 1900 : b % 16 == 1 ? 2299 : 2025 + b % 3;
  return absl::StrFormat("%04d-%02d-%02d", year, 1 + in.Byte() % 12, 1 + in.Byte() % 28);
}

v1::CalendarConfig FromBytes(Bytes& in) {
  v1::CalendarConfig c;
  c.set_name("fuzz");
  c.set_time_zone(kZones[in.Byte() % 16]);
  for (int w = in.Byte() % 4; w > 0; --w) {
    v1::WeeklyHours* h = c.add_weekly_hours();
    const uint8_t days = in.Byte();
    for (int d = 0; d < 7; ++d) {
      if (days & (1 << d)) h->add_days(static_cast<v1::Weekday>(d + 1));
    }
    for (int k = 1 + in.Byte() % 2; k > 0; --k) AddInterval(in, h->mutable_intervals());
  }
  for (int k = in.Byte() % 3; k > 0; --k) c.add_holidays()->set_date(Date(in));
  for (int k = in.Byte() % 3; k > 0; --k) {
    v1::CalendarException* e = c.add_exceptions();
    e->set_date(Date(in));
    if (in.Byte() % 3 == 0) {
      e->set_closed(true);
    } else {
      AddInterval(in, e->mutable_intervals());
    }
  }
  return c;
}

absl::Time Instant(Bytes& in, const absl::TimeZone& zone) {
  const absl::Time min = BusinessCalendar::MinSupportedTime();
  const absl::Time max = BusinessCalendar::MaxSupportedTime();
  const uint8_t mode = in.Byte();
  const absl::Duration jitter =
      absl::Seconds(static_cast<int64_t>(in.U32() % (3 * 86400))) +
      (mode & 0x10 ? absl::Nanoseconds(in.U32() % 1000000000) : absl::ZeroDuration());
  switch (mode % 6) {
    case 0:
      return min + jitter - absl::Hours(1);  // some before the range
    case 1:
      return max - jitter + absl::Hours(1);
    case 2:
      return min + absl::Seconds(static_cast<int64_t>(in.U64() % 12'623'040'000ull)) + jitter;
    case 3: {  // around a transition of the zone
      absl::TimeZone::CivilTransition t;
      const absl::Time from = absl::FromUnixSeconds(1'700'000'000 + in.U32() % 400'000'000);
      if (zone.NextTransition(from, &t)) return absl::FromCivil(t.to, zone) - jitter / 2;
      return from;
    }
    default:
      return absl::FromUnixSeconds(1'750'000'000) + jitter * 30;
  }
}

absl::Duration Span(Bytes& in) {
  const uint8_t mode = in.Byte();
  switch (mode % 8) {
    case 0:
      return absl::ZeroDuration();
    case 1:
      return absl::Nanoseconds(1 + in.Byte());
    case 2:
      return -absl::Seconds(1 + in.Byte());
    case 3:
      return absl::InfiniteDuration();
    case 4:
      return absl::Hours(24 * 365 * (1 + in.Byte() % 300));
    default:
      return absl::Seconds(in.U32() % (30 * 86400)) + absl::Nanoseconds(in.U32() % 1000000000);
  }
}

void CheckError(const absl::Status& s) {
  Check(s.code() == absl::StatusCode::kInvalidArgument ||
        s.code() == absl::StatusCode::kFailedPrecondition);
}

bool InRange(absl::Time t) {
  return t >= BusinessCalendar::MinSupportedTime() && t <= BusinessCalendar::MaxSupportedTime();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  v1::CalendarConfig config;
  IgnoreErrors errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  Bytes in(text);
  const bool from_text = parser.ParseFromString(std::string(text), &config);
  if (!from_text) config = FromBytes(in);
  absl::StatusOr<BusinessCalendar> made = BusinessCalendar::Create(config);
  if (!made.ok()) {
    Check(made.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const BusinessCalendar& cal = *made;
  const absl::TimeZone zone = cal.time_zone();
  std::optional<helpdesk::sla_internal::ReferenceCalendar> ref;
  if (!from_text) ref.emplace(config);

  for (int query = 0; query < 4; ++query) {
    absl::Time a = Instant(in, zone);
    absl::Time b = a + Span(in);
    if (b < a) std::swap(a, b);
    const absl::Time c = b + absl::Seconds(in.U32() % (3 * 86400));

    absl::StatusOr<absl::Duration> ab = cal.BusinessDuration(a, b);
    Check(ab.ok() == (InRange(a) && InRange(b)));
    if (!ab.ok()) CheckError(ab.status());
    if (ab.ok()) {
      Check(*ab >= absl::ZeroDuration() && *ab <= b - a);
      if (!cal.HasOpeningHours()) Check(*ab == absl::ZeroDuration());
      absl::StatusOr<absl::Duration> bc = cal.BusinessDuration(b, c);
      absl::StatusOr<absl::Duration> ac = cal.BusinessDuration(a, c);
      Check(bc.ok() == ac.ok());
      if (bc.ok()) Check(*ab + *bc == *ac);
    }
    if (b > a) CheckError(cal.BusinessDuration(b, a).status());

    const bool open = cal.IsOpen(a);
    if (!cal.HasOpeningHours()) Check(!open);
    if (InRange(a) && InRange(a + absl::Nanoseconds(1))) {
      Check(open == (*cal.BusinessDuration(a, a + absl::Nanoseconds(1)) == absl::Nanoseconds(1)));
    }
    absl::StatusOr<absl::Time> next = cal.NextOpen(a);
    if (next.ok()) {
      Check(*next >= a && cal.IsOpen(*next));
      Check(*cal.BusinessDuration(a, *next) == absl::ZeroDuration());
      Check(*next == a || !open);
    } else {
      CheckError(next.status());
    }

    const absl::Duration d = Span(in);
    absl::StatusOr<absl::Time> due = cal.AddBusinessDuration(a, d);
    if (due.ok()) {
      Check(*due >= a && InRange(*due));
      Check(*cal.BusinessDuration(a, *due) == d);
      if (*due > a) Check(*cal.BusinessDuration(a, *due - absl::Nanoseconds(1)) < d);
    } else {
      CheckError(due.status());
      Check(d != absl::ZeroDuration() || !InRange(a));
    }

    // The reference steps minute by minute: short spans, from 1972 (whole
    // minute offsets), well inside the range.
    if (ref.has_value() && ab.ok() && a >= absl::FromUnixSeconds(63072000) &&
        b < BusinessCalendar::MaxSupportedTime() - absl::Hours(24 * 8) &&
        b - a <= absl::Hours(72)) {
      Check(ref->BusinessDuration(a, b) == *ab);
      Check(ref->IsOpen(a) == open);
      if (d >= absl::ZeroDuration() && d <= absl::Hours(72)) {
        std::optional<absl::Time> want = ref->AddBusinessDuration(a, d, absl::Hours(24 * 7));
        if (want.has_value()) Check(due.ok() && *due == *want);
      }
    }
  }
  return 0;
}
