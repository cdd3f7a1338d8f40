// Property test: SlaEngine agrees exactly with a brute-force reference that
// steps through each random ticket's life one minute at a time, deciding for
// every minute whether a clock counts (the status, and for business-hours
// targets BusinessCalendar::IsOpen at that minute), on random calendars,
// policies and tickets. Every metric's state, used time, due, warning and
// breach times, cycle counts, and the next deadline must be identical.
//
// Tickets change status, priority and get messages on minute boundaries,
// sometimes several at the same minute; calendars are in zones with DST and
// 30/45-minute offsets, with overnight shifts, holidays and exceptions, and
// tickets often span a DST change. Seeded; no time or randomness from the
// environment.
#include <algorithm>
#include <array>
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
#include "helpdesk/audit.h"
#include "helpdesk/calendar.h"
#include "helpdesk/sla.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

constexpr uint64_t kSeed = 0x51a5eed2026ULL;
constexpr int kCalendars = 300;
constexpr int kTicketsPerCalendar = 4;
constexpr int kNowsPerTicket = 3;
constexpr int kMetrics = 8;
constexpr int kMaxWeeks = 26;  // The reference searches due times this far.

const char* const kZones[] = {
    "Europe/Madrid",  "America/New_York",    "Asia/Kolkata",
    "Asia/Kathmandu", "Australia/Lord_Howe", "UTC",
    "Europe/London",  "America/Sao_Paulo",
};

// Days around DST changes in 2026 (and plain days).
const char* const kWindowStarts[] = {
    "2026-03-25", "2026-03-05", "2026-10-21", "2026-10-28", "2026-04-01",
    "2026-09-30", "2026-01-08", "2026-06-15", "2026-12-20",
};

// The default workflow's statuses, in category order.
const char* const kStatuses[] = {"new",     "open",   "pending",
                                 "on_hold", "solved", "closed"};
constexpr int kNew = 0, kOpen = 1, kPending = 2, kSolved = 4, kClosed = 5;

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  int64_t Int(int64_t lo, int64_t hi) {
    return lo +
           static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool OneIn(int n) { return Int(0, n - 1) == 0; }

 private:
  std::mt19937_64 rng_;
};

std::string Clock(int64_t minute_of_day) {
  return absl::StrFormat("%02d:%02d", minute_of_day / 60, minute_of_day % 60);
}

void AddInterval(v1::OpeningInterval* interval, int64_t open, int64_t close) {
  interval->set_open(Clock(open));
  if (close <= 1440) {
    interval->set_close(close == 1440 ? "24:00" : Clock(close));
  } else {
    interval->set_close(Clock(close - 1440));
    interval->set_ends_next_day(true);
  }
}

// A random calendar near `around`: an office, a night desk, 24/7, or random
// spans; holidays and exceptions.
v1::CalendarConfig RandomCalendar(Random& r, absl::CivilDay around) {
  v1::CalendarConfig config;
  config.set_name("cal");
  config.set_time_zone(kZones[r.Int(0, std::size(kZones) - 1)]);
  const int kind = static_cast<int>(r.Int(0, 4));
  if (kind == 0) {  // 24/7.
    auto* hours = config.add_weekly_hours();
    for (int d = 1; d <= 7; ++d) hours->add_days(static_cast<v1::Weekday>(d));
    AddInterval(hours->add_intervals(), 0, 1440);
  } else if (kind == 1) {  // An office with a random lunch break.
    auto* hours = config.add_weekly_hours();
    for (int d = 1; d <= 5; ++d) hours->add_days(static_cast<v1::Weekday>(d));
    const int64_t open = r.Int(6 * 60, 10 * 60);
    const int64_t lunch = open + r.Int(120, 300);
    const int64_t back = lunch + r.Int(0, 90);
    const int64_t close = back + r.Int(60, 300);
    if (back == lunch) {
      AddInterval(hours->add_intervals(), open, close);
    } else {
      AddInterval(hours->add_intervals(), open, lunch);
      AddInterval(hours->add_intervals(), back, close);
    }
  } else if (kind == 2) {  // A night desk, around DST hours.
    auto* hours = config.add_weekly_hours();
    for (int d = 1; d <= 7; ++d) {
      if (!r.OneIn(4)) hours->add_days(static_cast<v1::Weekday>(d));
    }
    if (hours->days_size() == 0) hours->add_days(v1::WEEKDAY_SATURDAY);
    const int64_t open = r.Int(20 * 60, 23 * 60 + 59);
    AddInterval(hours->add_intervals(), open, 1440 + r.Int(0, 4 * 60));
  } else {  // Random disjoint spans over the week.
    const int spans = static_cast<int>(r.Int(2, 8));
    std::vector<int64_t> cuts;
    while (static_cast<int>(cuts.size()) < 2 * spans) {
      const int64_t cut = r.Int(0, 7 * 1440 - 1);
      if (std::find(cuts.begin(), cuts.end(), cut) == cuts.end()) {
        cuts.push_back(cut);
      }
    }
    std::sort(cuts.begin(), cuts.end());
    for (int i = 0; i < spans; ++i) {
      const int64_t begin = cuts[2 * i];
      const int64_t end = std::min(cuts[2 * i + 1], begin + 1440);
      const int64_t day = begin / 1440;
      auto* hours = config.add_weekly_hours();
      hours->add_days(static_cast<v1::Weekday>(day + 1));
      AddInterval(hours->add_intervals(), begin - day * 1440, end - day * 1440);
    }
  }
  std::vector<absl::CivilDay> used;
  for (int64_t n = r.Int(0, 4); n > 0; --n) {
    const absl::CivilDay day = around + r.Int(0, 20);
    if (std::find(used.begin(), used.end(), day) != used.end()) continue;
    used.push_back(day);
    if (r.OneIn(3)) {
      auto* exception = config.add_exceptions();
      exception->set_date(absl::FormatCivilTime(day));
      if (r.OneIn(2)) {
        exception->set_closed(true);
      } else {
        const int64_t a = r.Int(0, 1200);
        AddInterval(exception->add_intervals(), a, a + r.Int(1, 600));
      }
    } else {
      config.add_holidays()->set_date(absl::FormatCivilTime(day));
    }
  }
  return config;
}

// --- The ticket, as the reference sees it -----------------------------------

enum class Op { kCustomer, kReply, kNote, kStatus, kPriority, kMerge, kLink };

struct RefEvent {
  int64_t minute;  // From the creation.
  Op op;
  int status = -1;   // The status after the event, when it changes.
  int priority = 0;  // The priority after the event, when it changes.
};

struct RefTicket {
  int first_message = 0;  // v1::Message::Kind of the first message, or 0.
  int status = kNew;
  int priority = 2;
  std::vector<RefEvent> events;
};

RefTicket RandomTicket(Random& r) {
  RefTicket t;
  t.first_message = static_cast<int>(r.Int(0, 3));
  t.status = r.OneIn(4) ? static_cast<int>(r.Int(0, 4)) : kNew;
  t.priority = static_cast<int>(r.Int(1, 4));
  int status = t.status;
  int priority = t.priority;
  int64_t minute = 0;
  const int n = static_cast<int>(r.Int(0, 30));
  for (int i = 0; i < n && status != kClosed; ++i) {
    minute += r.OneIn(5) ? 0 : r.Int(1, r.OneIn(3) ? 1500 : 240);
    RefEvent e{minute, Op::kLink};
    const int64_t pick = r.Int(0, 99);
    if (pick < 22) {
      e.op = Op::kCustomer;
      // A customer's message reopens pending and solved tickets.
      if (status == kPending || status == kSolved) e.status = kOpen;
    } else if (pick < 40) {
      e.op = Op::kReply;
    } else if (pick < 52) {
      e.op = Op::kNote;
    } else if (pick < 84) {
      e.op = Op::kStatus;
      do {
        e.status = static_cast<int>(r.Int(0, 5));
      } while (e.status == status || (e.status == kClosed && !r.OneIn(3)));
    } else if (pick < 95) {
      e.op = Op::kPriority;
      do {
        e.priority = static_cast<int>(r.Int(1, 4));
      } while (e.priority == priority);
    } else if (pick < 97) {
      e.op = Op::kMerge;
      e.status = kClosed;
    }
    if (e.status >= 0) status = e.status;
    if (e.priority > 0) priority = e.priority;
    t.events.push_back(e);
  }
  return t;
}

v1::TicketLink RelatedTo(int64_t ticket) {
  v1::TicketLink link;
  link.set_kind(v1::TicketLink::RELATED);
  link.set_ticket_id(ticket);
  return link;
}

// The events Desk would write for the ticket.
std::vector<v1::Event> ToEvents(const RefTicket& t, absl::Time created) {
  std::vector<v1::Event> out;
  auto status = [](int i) { return StatusValue(kStatuses[i]); };
  auto priority = [](int i) { return PriorityValue(static_cast<v1::Priority>(i)); };
  v1::Event& c = out.emplace_back();
  c.set_kind(v1::Event::TICKET_CREATED);
  *c.mutable_time() = ToTimestamp(created);
  if (t.first_message != 0) {
    c.set_message_id(1);
    c.set_message_kind(t.first_message);
  }
  AddChange(c.mutable_changes(), v1::FieldChange::SUBJECT, std::nullopt, TextValue("Random"));
  AddChange(c.mutable_changes(), v1::FieldChange::STATUS, std::nullopt, status(t.status));
  AddChange(c.mutable_changes(), v1::FieldChange::PRIORITY, std::nullopt,
            priority(t.priority));
  int current_status = t.status;
  int current_priority = t.priority;
  for (const RefEvent& re : t.events) {
    v1::Event& e = out.emplace_back();
    *e.mutable_time() = ToTimestamp(created + absl::Minutes(re.minute));
    switch (re.op) {
      case Op::kCustomer:
      case Op::kReply:
      case Op::kNote:
        e.set_kind(v1::Event::MESSAGE_ADDED);
        e.set_message_id(static_cast<int64_t>(out.size()));
        e.set_message_kind(re.op == Op::kCustomer
                               ? v1::Message::CUSTOMER_MESSAGE
                           : re.op == Op::kReply ? v1::Message::PUBLIC_REPLY
                                                 : v1::Message::INTERNAL_NOTE);
        break;
      case Op::kStatus:
      case Op::kPriority:
        e.set_kind(v1::Event::FIELDS_CHANGED);
        break;
      case Op::kMerge:
        e.set_kind(v1::Event::MERGED_INTO);
        AddChange(e.mutable_changes(), v1::FieldChange::MERGED_INTO, TicketValue(0),
                  TicketValue(77));
        break;
      case Op::kLink:
        e.set_kind(v1::Event::LINKED);
        AddChange(e.mutable_changes(), v1::FieldChange::LINKS,
                  LinksValue(std::vector<v1::TicketLink>{}),
                  LinksValue(std::vector<v1::TicketLink>{RelatedTo(77)}));
        break;
    }
    if (re.priority > 0) {
      AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY, priority(current_priority),
                priority(re.priority));
      current_priority = re.priority;
    }
    if (re.status >= 0) {
      AddChange(e.mutable_changes(), v1::FieldChange::STATUS, status(current_status),
                status(re.status));
      current_status = re.status;
    }
  }
  return out;
}

// --- The policy
// ---------------------------------------------------------------

struct RefTarget {
  int64_t minutes = 0;
  bool business = false;
  int64_t warn = 0;
};

struct RefPolicy {
  // target[metric][priority], unset when none applies.
  std::array<std::array<std::optional<RefTarget>, 5>, kMetrics> target;
  std::array<bool, 6> paused{};
  bool restart = false;
};

// A random policy, as config and as the reference's table.
RefPolicy RandomPolicy(Random& r, bool has_calendar, v1::SlaPolicyConfig* p) {
  RefPolicy ref;
  p->set_name("random");
  p->set_calendar(has_calendar ? "cal" : "");
  for (int s = 0; s < 4; ++s) {
    if (r.OneIn(3)) {
      ref.paused[s] = true;
      p->add_pause_statuses(kStatuses[s]);
    }
  }
  ref.restart = r.OneIn(2);
  p->set_reopen(ref.restart ? v1::SlaPolicyConfig::REOPEN_RESTART
                            : v1::SlaPolicyConfig::REOPEN_RESUME);
  for (int m = 1; m < kMetrics; ++m) {
    if (r.OneIn(5)) continue;
    // Zero to two targets for some priorities, then usually a catch-all.
    const int listed = static_cast<int>(r.Int(0, 2));
    for (int k = 0; k <= listed; ++k) {
      const bool catch_all = k == listed;
      if (catch_all && r.OneIn(4)) break;
      RefTarget t;
      t.minutes = r.OneIn(3) ? r.Int(1, 60) : r.Int(1, 900);
      t.business = has_calendar && !r.OneIn(3);
      t.warn = r.OneIn(2) ? 0 : r.Int(0, t.minutes - 1);
      v1::SlaTarget* target = p->add_targets();
      target->set_metric(static_cast<v1::SlaMetric>(m));
      target->mutable_target()->set_seconds(t.minutes * 60);
      target->set_business_hours(t.business);
      target->mutable_warn_before()->set_seconds(t.warn * 60);
      if (catch_all) {
        for (int pr = 1; pr <= 4; ++pr) {
          if (!ref.target[m][pr]) ref.target[m][pr] = t;
        }
      } else {
        for (int pr = 1; pr <= 4; ++pr) {
          if (!r.OneIn(2)) continue;
          target->add_priorities(static_cast<v1::Priority>(pr));
          if (!ref.target[m][pr]) ref.target[m][pr] = t;
        }
        if (target->priorities_size() == 0) {
          target->add_priorities(v1::PRIORITY_URGENT);
          if (!ref.target[m][4]) ref.target[m][4] = t;
        }
      }
    }
  }
  return ref;
}

// --- The reference
// ---------------------------------------------------------------

// Whether the calendar is open during each minute from `start`, computed with
// IsOpen at the minute and extended on demand.
class OpenMinutes {
 public:
  OpenMinutes(const BusinessCalendar* calendar, absl::Time start)
      : calendar_(calendar), start_(start) {}
  bool operator()(int64_t minute) {
    while (static_cast<int64_t>(open_.size()) <= minute) {
      open_.push_back(calendar_->IsOpen(
          start_ + absl::Minutes(static_cast<int64_t>(open_.size()))));
    }
    return open_[minute];
  }

 private:
  const BusinessCalendar* calendar_;
  absl::Time start_;
  std::vector<bool> open_;
};

struct RefCycle {
  int64_t start = 0;
  std::optional<int64_t> stop;
  int stop_priority = 0;
  int tail_status = 0;  // The status just before the stopping event.
};

struct Expected {
  v1::SlaMetric metric;
  SlaState state;
  absl::Duration target;
  bool business;
  absl::Duration warn_before;
  absl::Time started_at;
  std::optional<absl::Time> stopped_at;
  absl::Duration used;
  absl::Duration left;
  std::optional<absl::Time> due_at;
  std::optional<absl::Time> warn_at;
  std::optional<absl::Time> breached_at;
  int cycles;
  int breached_cycles;
};

struct ExpectedStatus {
  std::vector<Expected> metrics;
  std::optional<absl::Time> next_deadline;
};

bool Solved(int status) { return status >= kSolved; }

bool Counts(const RefPolicy& p, int metric, int status) {
  if (p.paused[status] || Solved(status)) return false;
  if (metric == v1::SLA_METRIC_AGENT_WORK) return status <= kOpen;
  return true;
}

ExpectedStatus Reference(const RefPolicy& p, const RefTicket& t,
                         absl::Time created, int64_t now, OpenMinutes& open) {
  // The status during each minute [m, m+1) up to now.
  std::vector<int> status_at(static_cast<size_t>(now), 0);
  {
    int status = t.status;
    size_t k = 0;
    for (int64_t m = 0; m < now; ++m) {
      while (k < t.events.size() && t.events[k].minute <= m) {
        if (t.events[k].status >= 0) status = t.events[k].status;
        ++k;
      }
      status_at[m] = status;
    }
  }

  // Cycles, from the events in order.
  std::array<std::vector<RefCycle>, kMetrics> cycles;
  int status = t.status;
  int priority = t.priority;
  bool replied = false;
  auto start = [&](int m, int64_t minute) {
    cycles[m].push_back({minute, std::nullopt, 0, 0});
  };
  auto stop = [&](int m, int64_t minute, int tail) {
    if (cycles[m].empty() || cycles[m].back().stop) return;
    cycles[m].back().stop = minute;
    cycles[m].back().stop_priority = priority;
    cycles[m].back().tail_status = tail;
  };
  const int kResolutionLike[] = {
      v1::SLA_METRIC_FIRST_RESOLUTION, v1::SLA_METRIC_FULL_RESOLUTION,
      v1::SLA_METRIC_REQUESTER_WAIT, v1::SLA_METRIC_AGENT_WORK};
  for (int m = 1; m < kMetrics; ++m) {
    if (m != v1::SLA_METRIC_NEXT_REPLY) start(m, 0);
  }
  if (t.first_message == v1::Message::PUBLIC_REPLY) {
    stop(v1::SLA_METRIC_FIRST_REPLY, 0, status);
    replied = true;
  }
  if (Solved(status)) {
    for (int m : kResolutionLike) stop(m, 0, status);
  }
  for (const RefEvent& e : t.events) {
    if (e.minute > now) break;
    if (e.priority > 0) priority = e.priority;
    const int before = status;
    const int after = e.status >= 0 ? e.status : status;
    if (e.op == Op::kReply) {
      stop(v1::SLA_METRIC_FIRST_REPLY, e.minute, before);
      stop(v1::SLA_METRIC_NEXT_REPLY, e.minute, before);
    }
    if (e.op == Op::kReply || e.op == Op::kNote) {
      stop(v1::SLA_METRIC_PERIODIC_UPDATE, e.minute, before);
    }
    if (!Solved(before) && Solved(after)) {
      for (int m : kResolutionLike) stop(m, e.minute, before);
    }
    if (Solved(before) && !Solved(after)) {
      cycles[v1::SLA_METRIC_REQUESTER_WAIT].back().stop.reset();
      cycles[v1::SLA_METRIC_AGENT_WORK].back().stop.reset();
      if (p.restart) {
        start(v1::SLA_METRIC_FULL_RESOLUTION, e.minute);
      } else {
        cycles[v1::SLA_METRIC_FULL_RESOLUTION].back().stop.reset();
      }
    }
    status = after;
    if (e.op == Op::kReply || e.op == Op::kNote) {
      start(v1::SLA_METRIC_PERIODIC_UPDATE, e.minute);
    }
    if (e.op == Op::kCustomer && replied) {
      const auto& next = cycles[v1::SLA_METRIC_NEXT_REPLY];
      if (next.empty() || next.back().stop) {
        start(v1::SLA_METRIC_NEXT_REPLY, e.minute);
      }
    }
    if (e.op == Op::kReply) replied = true;
  }
  const int status_now = status;
  const int priority_now = priority;

  auto at = [&](int64_t minute) { return created + absl::Minutes(minute); };
  ExpectedStatus out;
  for (int m = 1; m < kMetrics; ++m) {
    if (cycles[m].empty()) continue;
    // Used time and due minute of one cycle, stepping minute by minute.
    struct Walked {
      int64_t used = 0;
      std::optional<int64_t> due;  // End of the minute that reached the target.
    };
    auto walk = [&](const RefCycle& c, const RefTarget& target,
                    bool last) -> Walked {
      Walked w;
      const int64_t end = c.stop ? *c.stop : now;
      for (int64_t minute = c.start; minute < end; ++minute) {
        if (!Counts(p, m, status_at[minute])) continue;
        if (target.business && !open(minute)) continue;
        ++w.used;
        if (w.used == target.minutes) w.due = minute + 1;
      }
      if (w.due || !last) return w;
      // Not reached: continue in the state the clock was left in.
      const int tail = c.stop ? c.tail_status : status_now;
      if (!Counts(p, m, tail)) return w;
      int64_t count = w.used;
      for (int64_t minute = end; minute < end + kMaxWeeks * 7 * 1440;
           ++minute) {
        if (target.business && !open(minute)) continue;
        if (++count == target.minutes) {
          w.due = minute + 1;
          break;
        }
      }
      return w;
    };
    int breached_before = 0;
    for (size_t k = 0; k + 1 < cycles[m].size(); ++k) {
      const RefCycle& c = cycles[m][k];
      const std::optional<RefTarget>& target = p.target[m][c.stop_priority];
      if (target && walk(c, *target, false).used >= target->minutes) {
        ++breached_before;
      }
    }
    const RefCycle& c = cycles[m].back();
    const std::optional<RefTarget>& target =
        p.target[m][c.stop ? c.stop_priority : priority_now];
    if (!target) continue;
    const Walked w = walk(c, *target, true);
    Expected e;
    e.metric = static_cast<v1::SlaMetric>(m);
    e.target = absl::Minutes(target->minutes);
    e.business = target->business;
    e.warn_before = absl::Minutes(target->warn);
    e.started_at = at(c.start);
    if (c.stop) e.stopped_at = at(*c.stop);
    e.used = absl::Minutes(w.used);
    e.left = e.target - e.used;
    const bool breached = w.used >= target->minutes;
    if (w.due) e.due_at = at(*w.due);
    if (breached) {
      e.state = SlaState::kBreached;
      e.breached_at = e.due_at;
    } else if (c.stop) {
      e.state = SlaState::kMet;
    } else {
      e.state =
          Counts(p, m, status_now) ? SlaState::kRunning : SlaState::kPaused;
    }
    if (e.due_at && target->warn > 0) {
      e.warn_at = *e.due_at - absl::Minutes(target->warn);
    }
    e.cycles = static_cast<int>(cycles[m].size());
    e.breached_cycles = breached_before + (breached ? 1 : 0);
    if (e.state == SlaState::kRunning) {
      for (const auto& when : {e.warn_at, e.due_at}) {
        if (when && *when > at(now) &&
            (!out.next_deadline || *when < *out.next_deadline)) {
          out.next_deadline = when;
        }
      }
    }
    out.metrics.push_back(e);
  }
  return out;
}

std::string Show(const std::optional<absl::Time>& t) {
  return t ? absl::FormatTime(absl::RFC3339_full, *t, absl::UTCTimeZone())
           : "unset";
}

std::string Difference(const Expected& want, const SlaMetricStatus& got) {
  std::string d;
  auto field = [&](const char* name, const std::string& w,
                   const std::string& g) {
    if (w != g) absl::StrAppend(&d, " ", name, ": want ", w, " got ", g, ";");
  };
  field("state", SlaStateName(want.state), SlaStateName(got.state));
  field("target", absl::FormatDuration(want.target),
        absl::FormatDuration(got.target));
  field("business", want.business ? "yes" : "no",
        got.business_hours ? "yes" : "no");
  field("warn_before", absl::FormatDuration(want.warn_before),
        absl::FormatDuration(got.warn_before));
  field("started_at", Show(want.started_at), Show(got.started_at));
  field("stopped_at", Show(want.stopped_at), Show(got.stopped_at));
  field("used", absl::FormatDuration(want.used),
        absl::FormatDuration(got.used));
  field("left", absl::FormatDuration(want.left),
        absl::FormatDuration(got.left));
  field("due_at", Show(want.due_at), Show(got.due_at));
  field("warn_at", Show(want.warn_at), Show(got.warn_at));
  field("breached_at", Show(want.breached_at), Show(got.breached_at));
  field("cycle", absl::StrCat(want.cycles), absl::StrCat(got.cycle));
  field("cycles", absl::StrCat(want.cycles), absl::StrCat(got.cycles));
  field("breached_cycles", absl::StrCat(want.breached_cycles),
        absl::StrCat(got.breached_cycles));
  return d;
}

std::string Describe(const v1::SlaConfig& config,
                     const std::vector<v1::Event>& events, absl::Time now) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  absl::StrAppend(&text, "events:\n");
  for (const v1::Event& e : events) {
    std::string one;
    google::protobuf::TextFormat::PrintToString(e, &one);
    absl::StrAppend(&text, "  ", Show(FromTimestamp(e.time())), " ", one, "\n");
  }
  absl::StrAppend(&text, "now: ", Show(now), "\n");
  return text;
}

TEST(SlaPropertyTest, AgreesWithMinuteSteppingReference) {
  Random r(kSeed);
  int failures = 0;
  int compared_metrics = 0;
  int breached = 0, met = 0, paused = 0, running = 0, business = 0;
  for (int i = 0; i < kCalendars && failures < 3; ++i) {
    const absl::CivilDay window_day = [&] {
      absl::CivilDay day;
      absl::ParseCivilTime(
          kWindowStarts[r.Int(0, std::size(kWindowStarts) - 1)], &day);
      return day;
    }();
    v1::SlaConfig config;
    const bool has_calendar = !r.OneIn(5);
    std::optional<BusinessCalendar> calendar;
    if (has_calendar) {
      for (;;) {
        v1::CalendarConfig c = RandomCalendar(r, window_day);
        absl::StatusOr<BusinessCalendar> made = BusinessCalendar::Create(c);
        if (!made.ok()) continue;  // E.g. an exception overlapping a shift.
        // Open at least 10 hours a week, so that due times are near.
        absl::TimeZone tz = made->time_zone();
        const absl::Time from = absl::FromCivil(window_day, tz);
        absl::StatusOr<absl::Duration> week = made->BusinessDuration(
            from + absl::Hours(24 * 21), from + absl::Hours(24 * 28));
        if (!week.ok() || *week < absl::Hours(10)) continue;
        *config.add_calendars() = c;
        calendar = *std::move(made);
        break;
      }
    }
    const RefPolicy policy =
        RandomPolicy(r, has_calendar, config.add_policies());
    absl::StatusOr<SlaEngine> engine =
        SlaEngine::Create(config, Workflow::Default());
    ASSERT_TRUE(engine.ok()) << engine.status();
    const absl::TimeZone tz =
        calendar ? calendar->time_zone() : absl::UTCTimeZone();
    for (int k = 0; k < kTicketsPerCalendar && failures < 3; ++k) {
      const RefTicket ticket = RandomTicket(r);
      const absl::Time created =
          absl::FromCivil(window_day, tz) + absl::Minutes(r.Int(0, 7 * 1440));
      const std::vector<v1::Event> events = ToEvents(ticket, created);
      const int64_t last =
          ticket.events.empty() ? 0 : ticket.events.back().minute;
      OpenMinutes open(calendar ? &*calendar : nullptr, created);
      v1::Ticket t;
      t.set_priority(v1::PRIORITY_NORMAL);
      for (int q = 0; q < kNowsPerTicket && failures < 3; ++q) {
        const int64_t now =
            q == 0   ? last + r.Int(0, 3000)
            : q == 1 ? r.Int(0, last)
                     : (ticket.events.empty()
                            ? 0
                            : ticket.events[r.Int(0, ticket.events.size() - 1)]
                                  .minute);
        const absl::Time now_time = created + absl::Minutes(now);
        const ExpectedStatus want =
            Reference(policy, ticket, created, now, open);
        absl::StatusOr<SlaStatus> got = engine->Evaluate(t, events, now_time);
        ASSERT_TRUE(got.ok()) << got.status() << "\n"
                              << Describe(config, events, now_time);
        std::string diff;
        if (got->policy != "random")
          absl::StrAppend(&diff, "policy ", got->policy, "\n");
        if (got->metrics.size() != want.metrics.size()) {
          absl::StrAppend(&diff, "metrics: want ", want.metrics.size(), " got ",
                          got->metrics.size(), "\n");
        } else {
          for (size_t j = 0; j < want.metrics.size(); ++j) {
            const Expected& w = want.metrics[j];
            const SlaMetricStatus& g = got->metrics[j];
            ++compared_metrics;
            business += w.business ? 1 : 0;
            switch (w.state) {
              case SlaState::kBreached:
                ++breached;
                break;
              case SlaState::kMet:
                ++met;
                break;
              case SlaState::kPaused:
                ++paused;
                break;
              case SlaState::kRunning:
                ++running;
                break;
            }
            if (g.metric != w.metric) {
              absl::StrAppend(&diff, "metric ", j, ": want ",
                              SlaMetricName(w.metric), " got ",
                              SlaMetricName(g.metric), "\n");
              continue;
            }
            const std::string d = Difference(w, g);
            if (!d.empty())
              absl::StrAppend(&diff, SlaMetricName(w.metric), ":", d, "\n");
          }
        }
        if (want.next_deadline != got->next_deadline) {
          absl::StrAppend(&diff, "next_deadline: want ",
                          Show(want.next_deadline), " got ",
                          Show(got->next_deadline), "\n");
        }
        if (!diff.empty()) {
          ADD_FAILURE() << diff << Describe(config, events, now_time);
          ++failures;
        }
      }
    }
  }
  // The generator reaches every state, business and calendar time alike.
  EXPECT_GT(compared_metrics, 5000);
  EXPECT_GT(breached, 500);
  EXPECT_GT(met, 500);
  EXPECT_GT(paused, 300);
  EXPECT_GT(running, 300);
  EXPECT_GT(business, 2000);
  std::printf(
      "compared %d metrics: %d breached, %d met, %d paused, %d running; "
      "%d in business hours\n",
      compared_metrics, breached, met, paused, running, business);
}

}  // namespace
}  // namespace helpdesk
