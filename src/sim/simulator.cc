// The discrete-event simulation (RunSimulation).
//
// One unit (about 1,200 lines) on purpose: the event loop, the replication
// state and the per-ticket bookkeeping are one hot path whose speed (about
// half of a minimal M/M/c loop, see bench/sim_bench) depends on the compiler
// seeing them together; scenario compilation (scenario.cc) and reporting
// (report.cc) are their own files.
//
// Events (arrivals, completions, abandonments, shift changes and policy
// wake-ups) sit in a binary heap ordered by (time, sequence number), so equal
// times are handled in the order they were scheduled and runs are
// deterministic. Sim time is seconds since the scenario's start as a double;
// policies see absl::Time. Every policy of a replication sees the same tickets:
// arrival streams and ticket attributes come from random streams seeded per
// replication and stream, and each ticket's handling time is the same
// quantile of whichever distribution applies to the agent who takes it.
//
// Offers and pull (SimAgents.offers, SimAgents.pull) are extra paths off the
// push-and-accept default: a team without an offers message is offered
// nothing (Start() checks one flag per assignment), and without pull teams no
// agent is ever asked; the default path then runs as before.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "helpdesk/sim.h"
#include "internal/status_macros.h"
#include "sim/distributions.h"
#include "sim/scenario.h"

namespace helpdesk {
namespace sim_internal {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum EventKind : uint32_t {
  kArrival,  // index: stream
  kTrace,    // index: trace row
  kDone,     // index: agent, ticket: slot
  kAbandon,  // index: generation, ticket: slot
  kShift,    // index: agent
  kWakeup,
  kOffer,    // index: generation, ticket: slot; an offer is answered
};

// An event is one 128-bit number, so the heap compares with one unsigned
// comparison: the time's bits above (times are >= 0, and non-negative
// doubles order as their bit patterns), the kind, an index and a ticket slot
// below. Equal times are thus handled by kind, then index, then slot: an
// order that depends on the events only, so runs are deterministic.
__extension__ using Event = unsigned __int128;

constexpr int kIndexBits = 29;
constexpr uint32_t kIndexMask = (uint32_t{1} << kIndexBits) - 1;

Event MakeEvent(double time, uint32_t kind, uint32_t index, uint32_t ticket) {
  uint64_t bits;
  time += 0.0;  // -0 becomes +0
  std::memcpy(&bits, &time, sizeof bits);
  const uint64_t low = uint64_t{kind} << 61 |
                       uint64_t{index & kIndexMask} << 32 | ticket;
  return Event{bits} << 64 | low;
}
double TimeOf(Event e) {
  const uint64_t bits = static_cast<uint64_t>(e >> 64);
  double time;
  std::memcpy(&time, &bits, sizeof time);
  return time;
}
uint32_t KindOf(Event e) { return static_cast<uint32_t>(e >> 61) & 7; }
int32_t IndexOf(Event e) {
  return static_cast<int32_t>(static_cast<uint32_t>(e >> 32) & kIndexMask);
}
int32_t TicketOf(Event e) { return static_cast<int32_t>(static_cast<uint32_t>(e)); }

// A 4-ary min-heap of events: half the levels of a binary heap, and the four
// children of a node share a cache line.
class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  Event top() const { return heap_.front(); }
  // Inline: a call's prologue and epilogue cost as much as a push into a
  // heap of a few dozen events.
  [[gnu::always_inline]] void push(Event e) {
    size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      const size_t parent = (i - 1) / 4;
      if (heap_[parent] <= e) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  void pop() {
    const Event last = heap_.back();
    heap_.pop_back();
    const size_t n = heap_.size();
    if (n == 0) return;
    size_t i = 0;
    while (true) {
      const size_t first = 4 * i + 1;
      if (first >= n) break;
      // The smallest child, without branches (which child wins is a coin
      // toss a branch predictor loses).
      size_t best = first;
      Event best_event = heap_[first];
      const size_t end = std::min(first + 4, n);
      for (size_t c = first + 1; c < end; ++c) {
        const Event e = heap_[c];
        const bool less = e < best_event;
        best = less ? c : best;
        best_event = less ? e : best_event;
      }
      if (last <= best_event) break;
      heap_[i] = best_event;
      i = best;
    }
    heap_[i] = last;
  }

 private:
  std::vector<Event> heap_;
};

// kOffered: offered to an agent who has not answered yet (still waiting).
enum class TicketState : uint8_t { kFree, kWaiting, kInService, kOffered };

struct Ticket {
  double arrival = 0;
  double u_handle = 0.5;
  double handling = -1;  // >= 0: fixed by the trace
  int32_t type = 0;
  int32_t generation = 0;
  TicketState state = TicketState::kFree;
  bool measured = false;
  bool vip = false;
};

struct Agent {
  int team = 0;
  AgentState state;
  bool on = false;
  // The team's SimAgents.offers is set / the team pulls.
  bool offers = false;
  bool pull = false;
  // A pull agent in idle_pullers_ or pullers_to_ask_.
  bool pull_listed = false;
  size_t next_shift = 0;  // index into the team's shifts of the next change
  bool shift_open = false;
  std::array<int32_t, v1::Channel_ARRAYSIZE> capacity{};
  std::array<int32_t, v1::Channel_ARRAYSIZE> load{};
  int busy = 0;
  double busy_since = 0;
  double busy_time = 0;  // within [warmup, duration]
  int64_t handled = 0;
  // Of measured tickets: offers made to the agent (teams with offers), and
  // accepted, declined, let time out; tickets the agent pulled.
  int64_t offered = 0, accepted = 0, declined = 0, timed_out = 0, pulled = 0;
};

// Measured tickets of one kind (a ticket type, VIP or not); their waits are
// among Replication::waits_.
struct Segment {
  int64_t offered = 0, answered = 0, within_sl = 0;
};

struct SegmentFigures {
  double tickets = 0;
  double wait_mean = kNaN, wait_p90 = kNaN, service_level = kNaN;
};

// The figures of one replication.
struct Figures {
  double tickets = 0;
  double wait_mean = kNaN, wait_p50 = kNaN, wait_p90 = kNaN, wait_p99 = kNaN;
  double p_wait = kNaN, service_level = kNaN, breach = kNaN;
  double abandonment = kNaN, unanswered = kNaN;
  double utilisation = kNaN, fairness = kNaN, handled_cv = kNaN;
  // Offers of measured tickets, and the shares declined and timed out (NaN
  // without offers): over all agents, and per team in scenario order.
  struct Offers {
    double offers = 0, decline_rate = kNaN, timeout_rate = kNaN;
  };
  Offers offers;
  std::vector<Offers> team_offers;
  std::vector<double> agent_utilisation;
  // Per ticket type, then VIP and non-VIP.
  std::vector<SegmentFigures> segments;
};

// The quantiles `qs` (ascending) of `values`, which it reorders: linear
// interpolation between order statistics (R's type 7). Selection rather than
// a sort: O(n), and a sort of the million waits of a long run costs more
// than routing them. Each selection works on what lies above the previous
// one.
std::vector<double> Quantiles(std::vector<double>& values,
                              std::initializer_list<double> qs) {
  std::vector<double> out;
  const size_t n = values.size();
  size_t from = 0;
  for (double q : qs) {
    if (n == 0) {
      out.push_back(kNaN);
      continue;
    }
    const double h = (static_cast<double>(n) - 1) * q;
    const size_t lo = std::max(from, static_cast<size_t>(std::floor(h)));
    const auto at_lo = values.begin() + static_cast<std::ptrdiff_t>(lo);
    std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(from), at_lo,
                     values.end());
    from = lo;
    const double low = *at_lo;
    if (lo + 1 >= n) {
      out.push_back(low);
      continue;
    }
    // The next order statistic is the smallest value above position lo.
    const double high = *std::min_element(at_lo + 1, values.end());
    out.push_back(low + (h - static_cast<double>(lo)) * (high - low));
  }
  return out;
}

class Replication {
 public:
  Replication(const Scenario& s, RoutingPolicy& policy, uint64_t seed,
              absl::string_view label)
      : s_(s), policy_(policy), seed_(seed), label_(label) {
    // Sim times stay within the horizon, twice the duration of at most ten
    // years (scenario.cc), 6.3e8 s: with 7 << 30 s on either side they stay
    // inside int64 nanoseconds (9.2e9 s), so the sum in At() cannot overflow.
    const absl::Time low = absl::FromUnixSeconds(-(int64_t{7} << 30));
    const absl::Time high = absl::FromUnixSeconds(int64_t{7} << 30);
    start_in_ns_range_ = s_.start >= low && s_.start <= high;
    if (start_in_ns_range_) start_unix_ns_ = absl::ToUnixNanos(s_.start);
  }

  absl::Status Run();
  Figures Result();
  int64_t tickets_created() const { return created_; }

 private:
  [[gnu::always_inline]] void Push(double time, uint32_t kind, int32_t index,
                                   int64_t ticket = 0) {
    (kind == kArrival ? arrivals_ : events_)
        .push(MakeEvent(time, kind, static_cast<uint32_t>(index),
                        static_cast<uint32_t>(ticket)));
  }
  // Sim time as absl::Time; the last conversion is kept, as several calls of
  // one event ask for the same time.
  absl::Time At(double t) {
    if (t != at_seconds_) {
      at_seconds_ = t;
      // Whole nanoseconds, rounded (t >= 0 and at most ten years): cheaper
      // than absl::Seconds(double). From the Unix epoch when the start is
      // between 1678 and 2262 (absl::FromUnixNanos is inline; Time plus
      // Duration is a library call).
      const int64_t ns = static_cast<int64_t>(t * 1e9 + 0.5);
      at_ = start_in_ns_range_ ? absl::FromUnixNanos(start_unix_ns_ + ns)
                               : s_.start + absl::Nanoseconds(ns);
    }
    return at_;
  }
  double Clip(double from, double to) const {
    return std::max(0.0, std::min(to, s_.duration) - std::max(from, s_.warmup));
  }
  absl::Status Fail(absl::string_view call, const absl::Status& status) const {
    return absl::InternalError(absl::StrCat("policy '", label_, "' (",
                                            policy_.Name(), "): ", call,
                                            " failed: ", status.ToString()));
  }

  absl::Status ShiftChange(int32_t agent, double now);
  void ScheduleShift(int32_t agent);
  void NextArrival(int32_t stream, double after);
  bool Accept(const ArrivalStream& stream, double t, std::mt19937_64& rng);
  absl::Status Arrive(int32_t type, double now, std::mt19937_64& rng,
                      const TraceTicket* row);
  absl::Status Dispatch(double now);
  absl::Status Start(const Assignment& a, double now);
  absl::Status Done(int64_t slot, int32_t agent, double now);
  absl::Status Abandon(int64_t slot, int32_t generation, double now);
  // Offers (teams with SimAgents.offers). Out of line, so that the default
  // path through Start() and Dispatch() stays as lean as without them.
  ABSL_ATTRIBUTE_NOINLINE absl::Status Offer(int64_t slot, int32_t agent,
                                             double now);
  absl::Status OfferAnswered(int64_t slot, int32_t generation, double now);
  absl::Status Answer(int64_t slot, double now);
  // Pull (teams with SimAgents.pull).
  ABSL_ATTRIBUTE_NOINLINE absl::Status Pull(double now);
  absl::Status Ask(int32_t agent, double now, bool* idle);
  void AskSoon(int32_t agent);

  const Scenario& s_;
  RoutingPolicy& policy_;
  uint64_t seed_;
  std::string label_;

  // Arrivals wait apart (one per stream), so the heap of everything else
  // (mostly completions) is smaller; the loop takes the earlier of the two
  // tops, in the order one queue would give.
  EventQueue arrivals_;
  EventQueue events_;
  WorkItem item_;
  std::vector<std::mt19937_64> stream_rngs_;
  std::mt19937_64 trace_rng_;
  std::vector<Ticket> tickets_;
  std::vector<int64_t> free_;
  std::vector<Agent> agents_;
  double wakeup_ = kInfinity;
  double at_seconds_ = kNaN;
  absl::Time at_;
  bool start_in_ns_range_ = false;
  int64_t start_unix_ns_ = 0;
  int64_t in_system_ = 0;
  int64_t created_ = 0;
  int open_streams_ = 0;
  double end_ = 0;

  // Offers: the open or last offer of each ticket slot; sized on the first
  // offer, so never without offers teams.
  struct OpenOffer {
    int32_t generation = 0;  // of the ticket it belongs to
    int32_t attempts = 0;    // offers of that ticket so far
    int32_t agent = 0;
    bool accept = false;
    bool timed_out = false;
  };
  std::vector<OpenOffer> offers_;
  // Set when an abandoning ticket was on offer (its agent has room again).
  bool offer_withdrawn_ = false;
  // Set while Start() starts the handling of an accepted offer.
  bool accepting_ = false;

  // Pull: any team pulls; every idle pull agent should ask (new work may fit
  // them); idle pull agents, idle longest first; pull agents to ask now, in
  // the order they freed a place or came on shift.
  bool has_pull_ = false;
  bool pull_all_ = false;
  int64_t pull_created_ = 0;
  double pull_wakeup_ = kInfinity;
  std::vector<int32_t> idle_pullers_;
  std::vector<int32_t> pullers_to_ask_;
  std::vector<int32_t> pull_scratch_, pull_served_;

  // Measured tickets.
  int64_t offered_ = 0, answered_ = 0, waited_ = 0, within_sl_ = 0;
  int64_t breached_ = 0, abandoned_ = 0;
  // Offers made to offers teams, accepted, declined and timed out; tickets
  // pulled.
  // The waits of answered tickets, and for each its type and whether VIP
  // (type << 1 | vip).
  std::vector<double> waits_;
  std::vector<uint32_t> wait_kinds_;
  // Per ticket type, then VIP and non-VIP.
  std::vector<Segment> segments_;
  Segment& TypeSegment(const Ticket& t) { return segments_[t.type]; }
  Segment& VipSegment(const Ticket& t) {
    return segments_[s_.types.size() + (t.vip ? 0 : 1)];
  }
};

void Replication::ScheduleShift(int32_t index) {
  Agent& a = agents_[index];
  const AgentTeam& team = s_.teams[a.team];
  if (a.next_shift >= team.shifts.size()) return;
  const auto& [on, off] = team.shifts[a.next_shift];
  Push(a.shift_open ? off : on, kShift, index);
}

absl::Status Replication::ShiftChange(int32_t index, double now) {
  Agent& a = agents_[index];
  if (a.shift_open) {
    a.shift_open = false;
    ++a.next_shift;
  } else {
    a.shift_open = true;
  }
  a.on = a.shift_open;
  a.state.presence = !a.on   ? v1::PRESENCE_OFFLINE
                     : a.pull ? v1::PRESENCE_AWAY
                              : v1::PRESENCE_ONLINE;
  if (absl::Status st = policy_.UpdateAgent(a.state, At(now)); !st.ok()) {
    return Fail("UpdateAgent", st);
  }
  ScheduleShift(index);
  if (a.pull) {
    if (a.on) {
      AskSoon(index);
    } else if (a.pull_listed) {
      a.pull_listed = false;
      for (std::vector<int32_t>* list : {&idle_pullers_, &pullers_to_ask_}) {
        list->erase(std::remove(list->begin(), list->end(), index),
                    list->end());
      }
    }
  }
  return absl::OkStatus();
}

bool Replication::Accept(const ArrivalStream& stream, double t,
                         std::mt19937_64& rng) {
  if (!stream.varying) return true;
  const absl::CivilHour hour = absl::ToCivilHour(At(t), s_.zone);
  const int weekday = static_cast<int>(absl::GetWeekday(absl::CivilDay(hour)));
  const double rate =
      stream.rate * stream.hourly[hour.hour()] * stream.weekday[weekday];
  return UniformOpen(rng) * stream.max_rate <= rate;
}

void Replication::NextArrival(int32_t index, double after) {
  const ArrivalStream& stream = s_.streams[index];
  const double t =
      after - std::log(UniformOpen(stream_rngs_[index])) / stream.max_rate;
  if (t < s_.duration) {
    Push(t, kArrival, index);
  } else {
    --open_streams_;
  }
}

absl::Status Replication::Arrive(int32_t type_index, double now,
                                 std::mt19937_64& rng, const TraceTicket* row) {
  const TicketType& type = s_.types[type_index];
  int64_t slot;
  if (free_.empty()) {
    slot = static_cast<int64_t>(tickets_.size());
    tickets_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  Ticket& t = tickets_[slot];
  t.arrival = now;
  t.type = type_index;
  t.state = TicketState::kWaiting;
  ++t.generation;
  t.measured = now >= s_.warmup && now < s_.duration;
  // The same draws per ticket of a type whatever the policy, so policies
  // see the same tickets; none for what the type does not have.
  t.u_handle = UniformOpen(rng);
  t.vip = type.vip_share > 0 && UniformOpen(rng) < type.vip_share;
  t.handling = -1;
  double patience =
      type.patience ? type.patience->At(UniformOpen(rng)) : kInfinity;
  if (row != nullptr) {
    if (row->handling >= 0) t.handling = row->handling;
    if (row->patience >= 0) patience = row->patience;
    if (row->vip >= 0) t.vip = row->vip == 1;
  }
  ++created_;
  ++in_system_;
  if (t.measured) {
    ++offered_;
    ++TypeSegment(t).offered;
    ++VipSegment(t).offered;
  }

  // One WorkItem, reused: no allocation per ticket.
  WorkItem& item = item_;
  item.ticket_id = slot + 1;
  item.channel = type.channel;
  item.group_id = type.group_id;
  item.priority = type.priority;
  if (!type.skills.empty() || !item.required_skills.empty()) {
    item.required_skills = type.skills;
  }
  item.customer_tier = type.customer_tier;
  item.vip = t.vip;
  item.enqueued_at = At(now);
  item.support_tier = type.support_tier;
  item.sla_due.reset();
  if (s_.sla_to_policies) item.sla_due = At(now + type.sla_target);
  if (absl::Status st = policy_.Enqueue(item); !st.ok()) {
    return Fail("Enqueue", st);
  }
  if (patience < kInfinity) {
    Push(now + patience, kAbandon, t.generation, slot);
  }
  return absl::OkStatus();
}

absl::Status Replication::Dispatch(double now) {
  const absl::Time t = At(now);
  // Idle pull agents ask first; then the policy pushes to the others; then
  // pull agents ask for what push agents declined.
  if (has_pull_) HELPDESK_RETURN_IF_ERROR(Pull(now));
  while (policy_.MayAssign(t)) {
    absl::StatusOr<Assignment> a = policy_.Next(t);
    if (!a.ok()) {
      if (absl::IsNotFound(a.status())) break;
      return Fail("Next", a.status());
    }
    HELPDESK_RETURN_IF_ERROR(Start(*a, now));
  }
  // (pull_all_ is only ever set with pull teams.)
  if (pull_all_) HELPDESK_RETURN_IF_ERROR(Pull(now));
  const absl::Time wakeup = policy_.NextWakeup();
  if (wakeup != absl::InfiniteFuture()) {
    // A microsecond late, so that rounding never wakes the policy early.
    const double w = std::max(now, absl::ToDoubleSeconds(wakeup - s_.start)) + 1e-6;
    if (has_pull_) pull_wakeup_ = std::min(pull_wakeup_, w);
    if (w < wakeup_) {
      wakeup_ = w;
      Push(w, kWakeup, 0);
    }
  }
  return absl::OkStatus();
}

absl::Status Replication::Start(const Assignment& a, double now) {
  const int64_t slot = a.ticket_id - 1;
  const int64_t agent_index = a.agent_id - 1;
  if (slot < 0 || slot >= static_cast<int64_t>(tickets_.size()) ||
      tickets_[slot].state != TicketState::kWaiting) {
    return Fail("Next", absl::InternalError(absl::StrCat(
                            "it assigned ticket ", a.ticket_id,
                            ", which is not waiting")));
  }
  if (agent_index < 0 || agent_index >= static_cast<int64_t>(agents_.size())) {
    return Fail("Next", absl::InternalError(absl::StrCat(
                            "it assigned to unknown agent ", a.agent_id)));
  }
  Ticket& t = tickets_[slot];
  Agent& agent = agents_[agent_index];
  const TicketType& type = s_.types[t.type];
  if (!agent.on || agent.load[type.channel] >= agent.capacity[type.channel]) {
    // An accepted offer may end after the agent's shift.
    if (!accepting_) {
      return Fail("Next", absl::InternalError(absl::StrCat(
                              "it assigned ticket ", a.ticket_id, " to agent ",
                              a.agent_id, ", who is ",
                              agent.on ? "at capacity" : "off shift")));
    }
  }
  if (agent.offers && !accepting_) [[unlikely]] {
    return Offer(slot, static_cast<int32_t>(agent_index), now);
  }
  t.state = TicketState::kInService;
  const double wait = now - t.arrival;
  if (t.measured) {
    ++answered_;
    waits_.push_back(wait);
    wait_kinds_.push_back(static_cast<uint32_t>(t.type) << 1 | t.vip);
    if (wait > 0) ++waited_;
    const bool within = wait <= s_.service_level;
    within_sl_ += within;
    for (Segment* segment : {&TypeSegment(t), &VipSegment(t)}) {
      ++segment->answered;
      segment->within_sl += within;
    }
    if (wait > type.sla_target) ++breached_;
    ++agent.handled;
  }
  ++agent.load[type.channel];
  if (agent.busy++ == 0) agent.busy_since = now;
  const double handling =
      t.handling >= 0 ? t.handling
                      : s_.teams[agent.team].handling[t.type]->At(t.u_handle);
  Push(now + handling, kDone, static_cast<int32_t>(agent_index), slot);
  return absl::OkStatus();
}

absl::Status Replication::Done(int64_t slot, int32_t agent_index, double now) {
  if (absl::Status st = policy_.Remove(slot + 1); !st.ok()) {
    return Fail("Remove", st);
  }
  Ticket& t = tickets_[slot];
  Agent& agent = agents_[agent_index];
  --agent.load[s_.types[t.type].channel];
  if (--agent.busy == 0) agent.busy_time += Clip(agent.busy_since, now);
  t.state = TicketState::kFree;
  free_.push_back(slot);
  --in_system_;
  if (agent.pull) AskSoon(agent_index);
  return absl::OkStatus();
}

absl::Status Replication::Abandon(int64_t slot, int32_t generation,
                                  double now) {
  Ticket& t = tickets_[slot];
  if ((static_cast<uint32_t>(t.generation) & kIndexMask) !=
          static_cast<uint32_t>(generation) ||
      (t.state != TicketState::kWaiting && t.state != TicketState::kOffered)) {
    return absl::OkStatus();  // answered in time
  }
  if (absl::Status st = policy_.Remove(slot + 1); !st.ok()) {
    return Fail("Remove", st);
  }
  if (t.state == TicketState::kOffered) {
    // Withdrawn from the agent it was offered to (Remove freed the place in
    // the policy); its pending answer finds it gone.
    --agents_[offers_[slot].agent].load[s_.types[t.type].channel];
    offer_withdrawn_ = true;
  }
  if (t.measured) {
    ++abandoned_;
    if (now - t.arrival > s_.types[t.type].sla_target) ++breached_;
  }
  t.state = TicketState::kFree;
  free_.push_back(slot);
  --in_system_;
  return absl::OkStatus();
}

// Offers. Only teams with SimAgents.offers get here.

// A uniform number in (0, 1) from the top 53 bits of `x`.
double UniformFromBits(uint64_t x) {
  return (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53;
}
uint64_t BitsOf(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

absl::Status Replication::Offer(int64_t slot, int32_t agent_index, double now) {
  Ticket& t = tickets_[slot];
  Agent& agent = agents_[agent_index];
  const AgentTeam& team = s_.teams[agent.team];
  if (offers_.size() < tickets_.size()) offers_.resize(tickets_.size());
  OpenOffer& o = offers_[slot];
  if (o.generation != t.generation) o = {.generation = t.generation};
  // Common random numbers: the k-th offer of a ticket draws the same two
  // numbers under every policy, from a small stream seeded by the ticket's
  // own draws (its handling quantile and arrival time), so the arrival
  // streams are not touched.
  const uint64_t attempt = static_cast<uint64_t>(o.attempts);
  const uint64_t key = MixSeed(BitsOf(t.u_handle) ^ MixSeed(BitsOf(t.arrival)) ^
                               MixSeed(0x6f66666572000000ULL + attempt));
  ++o.attempts;
  o.agent = agent_index;
  o.accept = UniformFromBits(key) < team.accept_probability;
  const double response =
      team.response ? team.response->At(UniformFromBits(MixSeed(key))) : 0;
  o.timed_out = response > team.offer_timeout;
  t.state = TicketState::kOffered;
  // The open offer holds the place the policy counts as assigned.
  ++agent.load[s_.types[t.type].channel];
  if (t.measured) ++agent.offered;
  const double at = now + (o.timed_out ? team.offer_timeout : response);
  if (at <= now) return Answer(slot, now);  // answered at once
  Push(at, kOffer, t.generation, slot);
  return absl::OkStatus();
}

absl::Status Replication::OfferAnswered(int64_t slot, int32_t generation,
                                        double now) {
  const Ticket& t = tickets_[slot];
  if ((static_cast<uint32_t>(t.generation) & kIndexMask) !=
          static_cast<uint32_t>(generation) ||
      t.state != TicketState::kOffered) {
    return absl::OkStatus();  // withdrawn: the requester gave up
  }
  return Answer(slot, now);
}

absl::Status Replication::Answer(int64_t slot, double now) {
  Ticket& t = tickets_[slot];
  const OpenOffer o = offers_[slot];
  Agent& agent = agents_[o.agent];
  // Start() takes the place again, or the decline frees it.
  --agent.load[s_.types[t.type].channel];
  t.state = TicketState::kWaiting;
  if (o.accept && !o.timed_out) {
    if (t.measured) ++agent.accepted;
    Assignment accepted;
    accepted.ticket_id = slot + 1;
    accepted.agent_id = o.agent + 1;
    accepting_ = true;
    const absl::Status st = Start(accepted, now);
    accepting_ = false;
    return st;
  }
  if (t.measured) ++(o.timed_out ? agent.timed_out : agent.declined);
  if (absl::Status st = policy_.Decline(
          slot + 1, o.agent + 1,
          o.timed_out ? OfferOutcome::kTimedOut : OfferOutcome::kDeclined,
          At(now));
      !st.ok()) {
    return Fail("Decline", st);
  }
  pull_all_ = has_pull_;  // back in the queue: pull agents may take it
  return absl::OkStatus();
}

// Pull. Only scenarios with pull teams get here.

void Replication::AskSoon(int32_t index) {
  Agent& a = agents_[index];
  if (a.pull_listed) {
    idle_pullers_.erase(
        std::remove(idle_pullers_.begin(), idle_pullers_.end(), index),
        idle_pullers_.end());
    if (std::find(pullers_to_ask_.begin(), pullers_to_ask_.end(), index) !=
        pullers_to_ask_.end()) {
      return;
    }
  }
  a.pull_listed = true;
  pullers_to_ask_.push_back(index);
}

absl::Status Replication::Ask(int32_t index, double now, bool* idle) {
  Agent& a = agents_[index];
  *idle = false;
  auto has_room = [&a] {
    for (size_t ch = 0; ch < a.capacity.size(); ++ch) {
      if (a.load[ch] < a.capacity[ch]) return true;
    }
    return false;
  };
  if (!a.on || !has_room()) return absl::OkStatus();
  const absl::Time t = At(now);
  // Online only while asking, so that Next() never assigns to them.
  a.state.presence = v1::PRESENCE_ONLINE;
  if (absl::Status st = policy_.UpdateAgent(a.state, t); !st.ok()) {
    return Fail("UpdateAgent", st);
  }
  while (true) {
    absl::StatusOr<Assignment> got = policy_.NextFor(a.state.agent_id, t);
    if (!got.ok()) {
      if (!absl::IsNotFound(got.status())) return Fail("NextFor", got.status());
      *idle = true;
      break;
    }
    if (got->agent_id != a.state.agent_id) {
      return Fail("NextFor", absl::InternalError(absl::StrCat(
                                 "agent ", a.state.agent_id,
                                 " asked, but it assigned ticket ",
                                 got->ticket_id, " to agent ", got->agent_id)));
    }
    const int64_t slot = got->ticket_id - 1;
    const bool measured = slot >= 0 &&
                          slot < static_cast<int64_t>(tickets_.size()) &&
                          tickets_[slot].measured;
    HELPDESK_RETURN_IF_ERROR(Start(*got, now));
    if (measured) ++a.pulled;
    if (!has_room()) break;
  }
  a.state.presence = v1::PRESENCE_AWAY;
  if (absl::Status st = policy_.UpdateAgent(a.state, t); !st.ok()) {
    return Fail("UpdateAgent", st);
  }
  return absl::OkStatus();
}

absl::Status Replication::Pull(double now) {
  if (created_ != pull_created_) {  // tickets arrived
    pull_created_ = created_;
    pull_all_ = true;
  }
  if (now >= pull_wakeup_) {  // the policy's decisions may have changed
    pull_wakeup_ = kInfinity;
    pull_all_ = true;
  }
  bool idle = false;
  if (pull_all_ && !idle_pullers_.empty()) {
    // Idle longest first. Who finds nothing keeps their place; who got work
    // and still has room becomes idle now, at the end.
    pull_scratch_.swap(idle_pullers_);
    idle_pullers_.clear();
    pull_served_.clear();
    for (int32_t index : pull_scratch_) {
      const int busy = agents_[index].busy;
      HELPDESK_RETURN_IF_ERROR(Ask(index, now, &idle));
      if (!idle) {
        agents_[index].pull_listed = false;
      } else if (agents_[index].busy != busy) {
        pull_served_.push_back(index);
      } else {
        idle_pullers_.push_back(index);
      }
    }
    idle_pullers_.insert(idle_pullers_.end(), pull_served_.begin(),
                         pull_served_.end());
  }
  pull_all_ = false;
  // Agents who freed a place or came on shift, in that order.
  for (size_t i = 0; i < pullers_to_ask_.size(); ++i) {
    const int32_t index = pullers_to_ask_[i];
    HELPDESK_RETURN_IF_ERROR(Ask(index, now, &idle));
    if (idle) {
      idle_pullers_.push_back(index);
    } else {
      agents_[index].pull_listed = false;
    }
  }
  pullers_to_ask_.clear();
  return absl::OkStatus();
}

absl::Status Replication::Run() {
  // Random streams: one per arrival stream, one for the trace.
  for (size_t i = 0; i < s_.streams.size(); ++i) {
    stream_rngs_.emplace_back(MixSeed(seed_ ^ MixSeed(i + 1)));
  }
  trace_rng_.seed(MixSeed(seed_ ^ 0x7261636500000000ULL));
  segments_.resize(s_.types.size() + 2);
  // Room for the waits of the measured tickets expected (growing a vector
  // of a million doubles copies it twenty times); at most 2^26 ahead.
  double expected = static_cast<double>(s_.trace.size());
  for (const ArrivalStream& stream : s_.streams) {
    expected += stream.max_rate * std::max(0.0, s_.duration - s_.warmup);
  }
  const size_t reserve =
      static_cast<size_t>(std::min(expected * 1.01 + 64, 0x1.0p26));
  waits_.reserve(reserve);
  wait_kinds_.reserve(reserve);

  // Agents: ids 1..n in scenario order.
  for (size_t t = 0; t < s_.teams.size(); ++t) {
    const AgentTeam& team = s_.teams[t];
    for (int k = 0; k < team.count; ++k) {
      const int32_t index = static_cast<int32_t>(agents_.size());
      Agent& a = agents_.emplace_back();
      a.team = static_cast<int>(t);
      a.offers = team.offers;
      a.pull = team.pull;
      has_pull_ |= team.pull;
      a.state = team.state;
      a.state.agent_id = index + 1;
      for (const ChannelLimit& c : team.state.capacity) {
        a.capacity[c.channel] = c.max_items;
      }
      if (team.always_on) {
        a.on = true;
      } else if (!team.shifts.empty() && team.shifts[0].first <= 0) {
        a.on = a.shift_open = true;  // the first shift is under way
      }
      a.state.presence = !a.on   ? v1::PRESENCE_OFFLINE
                         : a.pull ? v1::PRESENCE_AWAY
                                  : v1::PRESENCE_ONLINE;
      if (absl::Status st = policy_.UpdateAgent(a.state, At(0)); !st.ok()) {
        return Fail("UpdateAgent", st);
      }
      if (!team.always_on) ScheduleShift(index);
      if (a.pull && a.on) AskSoon(index);
    }
  }

  // The first arrival of each stream and of the trace.
  for (size_t i = 0; i < s_.streams.size(); ++i) {
    if (s_.streams[i].max_rate <= 0) continue;
    ++open_streams_;
    NextArrival(static_cast<int32_t>(i), 0);
  }
  if (!s_.trace.empty()) {
    ++open_streams_;
    Push(s_.trace[0].arrival, kTrace, 0);
  }

  double now = 0;
  while (!events_.empty() || !arrivals_.empty()) {
    EventQueue& queue = !arrivals_.empty() && (events_.empty() ||
                                               arrivals_.top() < events_.top())
                            ? arrivals_
                            : events_;
    const Event e = queue.top();
    if (TimeOf(e) > s_.horizon) break;
    queue.pop();
    now = TimeOf(e);
    const int32_t index = IndexOf(e);
    switch (KindOf(e)) {
      case kArrival: {
        const ArrivalStream& stream = s_.streams[index];
        std::mt19937_64& rng = stream_rngs_[index];
        const bool accepted = Accept(stream, now, rng);
        NextArrival(index, now);
        if (!accepted) continue;
        HELPDESK_RETURN_IF_ERROR(Arrive(stream.type, now, rng, nullptr));
        break;
      }
      case kTrace: {
        const TraceTicket& row = s_.trace[index];
        if (static_cast<size_t>(index) + 1 < s_.trace.size()) {
          Push(s_.trace[index + 1].arrival, kTrace, index + 1);
        } else {
          --open_streams_;
        }
        HELPDESK_RETURN_IF_ERROR(Arrive(row.type, now, trace_rng_, &row));
        break;
      }
      case kDone:
        HELPDESK_RETURN_IF_ERROR(Done(TicketOf(e), index, now));
        break;
      case kAbandon:
        HELPDESK_RETURN_IF_ERROR(Abandon(TicketOf(e), index, now));
        // A ticket leaving the queue frees nobody, unless it was on offer.
        if (!offer_withdrawn_) continue;
        offer_withdrawn_ = false;
        break;
      case kShift:
        HELPDESK_RETURN_IF_ERROR(ShiftChange(index, now));
        break;
      case kWakeup:
        if (now == wakeup_) wakeup_ = kInfinity;
        break;
      case kOffer:
        HELPDESK_RETURN_IF_ERROR(OfferAnswered(TicketOf(e), index, now));
        break;
    }
    HELPDESK_RETURN_IF_ERROR(Dispatch(now));
    if (open_streams_ == 0 && in_system_ == 0) break;
  }
  end_ = std::max(now, s_.duration);
  return absl::OkStatus();
}

Figures Replication::Result() {
  Figures f;
  // Tickets still waiting at the end were never answered.
  int64_t unanswered = 0;
  for (const Ticket& t : tickets_) {
    if (t.measured && (t.state == TicketState::kWaiting ||
                       t.state == TicketState::kOffered)) {
      ++unanswered;
      ++breached_;
    }
  }
  f.tickets = static_cast<double>(offered_);
  // Offers, per team and in all, from the agents' counts. Push assignments
  // to teams without offers are offers accepted at once.
  struct OfferCounts {
    int64_t offers = 0, declined = 0, timed_out = 0;
  };
  std::vector<OfferCounts> teams(s_.teams.size());
  OfferCounts all;
  for (const Agent& a : agents_) {
    for (OfferCounts* c : {&teams[a.team], &all}) {
      c->offers += a.handled - a.accepted - a.pulled + a.offered;
      c->declined += a.declined;
      c->timed_out += a.timed_out;
    }
  }
  auto offer_figures = [](const OfferCounts& c) {
    Figures::Offers out;
    out.offers = static_cast<double>(c.offers);
    if (c.offers > 0) {
      out.decline_rate = static_cast<double>(c.declined) / out.offers;
      out.timeout_rate = static_cast<double>(c.timed_out) / out.offers;
    }
    return out;
  };
  f.offers = offer_figures(all);
  for (const OfferCounts& c : teams) f.team_offers.push_back(offer_figures(c));
  if (offered_ > 0) {
    const double n = static_cast<double>(offered_);
    f.service_level = within_sl_ / n;
    f.breach = breached_ / n;
    f.abandonment = abandoned_ / n;
    f.unanswered = unanswered / n;
  }
  // Per segment first: the overall quantiles reorder waits_.
  const size_t types = s_.types.size();
  std::vector<double> scratch;
  for (size_t g = 0; g < segments_.size(); ++g) {
    const Segment& segment = segments_[g];
    SegmentFigures& figures = f.segments.emplace_back();
    figures.tickets = static_cast<double>(segment.offered);
    if (segment.offered > 0) {
      figures.service_level = static_cast<double>(segment.within_sl) /
                              static_cast<double>(segment.offered);
    }
    // A segment of every answered ticket has the overall figures, below.
    if (segment.answered == 0 || segment.answered == answered_) continue;
    scratch.clear();
    for (size_t i = 0; i < waits_.size(); ++i) {
      const uint32_t kind = wait_kinds_[i];
      const bool in = g < types ? (kind >> 1) == g
                                : (kind & 1) == (g == types ? 1u : 0u);
      if (in) scratch.push_back(waits_[i]);
    }
    double sum = 0;
    for (double w : scratch) sum += w;
    figures.wait_mean = sum / static_cast<double>(scratch.size());
    figures.wait_p90 = Quantiles(scratch, {0.90})[0];
  }
  if (answered_ > 0) {
    double sum = 0;
    for (double w : waits_) sum += w;
    f.wait_mean = sum / static_cast<double>(answered_);
    const std::vector<double> q = Quantiles(waits_, {0.50, 0.90, 0.99});
    f.wait_p50 = q[0];
    f.wait_p90 = q[1];
    f.wait_p99 = q[2];
    f.p_wait = static_cast<double>(waited_) / static_cast<double>(answered_);
    for (size_t g = 0; g < segments_.size(); ++g) {
      if (segments_[g].answered != answered_) continue;
      f.segments[g].wait_mean = f.wait_mean;
      f.segments[g].wait_p90 = f.wait_p90;
    }
  }
  // Utilisation: busy time over on-shift time, both within the window.
  double busy_total = 0, on_total = 0, sum_u = 0, sum_u2 = 0;
  int on_agents = 0;
  double sum_h = 0, sum_h2 = 0;
  for (Agent& a : agents_) {
    if (a.busy > 0) {
      a.busy_time += Clip(a.busy_since, end_);
      a.busy = 0;
    }
    const AgentTeam& team = s_.teams[a.team];
    double on = 0;
    if (team.always_on) {
      on = Clip(0, s_.horizon);
    } else {
      for (const auto& [from, to] : team.shifts) on += Clip(from, to);
    }
    const double u = on > 0 ? std::min(1.0, a.busy_time / on) : kNaN;
    f.agent_utilisation.push_back(u);
    busy_total += a.busy_time;
    on_total += on;
    if (on > 0) {
      sum_u += u;
      sum_u2 += u * u;
      ++on_agents;
    }
    sum_h += static_cast<double>(a.handled);
    sum_h2 += static_cast<double>(a.handled) * static_cast<double>(a.handled);
  }
  if (on_total > 0) f.utilisation = busy_total / on_total;
  if (on_agents > 0) {
    f.fairness = sum_u2 > 0 ? sum_u * sum_u / (on_agents * sum_u2) : 1.0;
  }
  const double n = static_cast<double>(agents_.size());
  const double mean_h = sum_h / n;
  if (mean_h > 0) {
    f.handled_cv = std::sqrt(std::max(0.0, sum_h2 / n - mean_h * mean_h)) / mean_h;
  }
  return f;
}

Estimate Aggregate(const std::vector<double>& values) {
  double sum = 0;
  int n = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  Estimate e;
  if (n == 0) return {kNaN, kNaN};
  e.mean = sum / n;
  if (n < 2) {
    e.ci95 = kNaN;
    return e;
  }
  double ss = 0;
  for (double v : values) {
    if (!std::isnan(v)) ss += (v - e.mean) * (v - e.mean);
  }
  e.ci95 = StudentT975(n - 1) * std::sqrt(ss / (n - 1) / n);
  return e;
}

}  // namespace
}  // namespace sim_internal

absl::StatusOr<SimReport> RunSimulation(const v1::SimScenario& scenario,
                                        const SimOptions& options) {
  HELPDESK_ASSIGN_OR_RETURN(const sim_internal::Scenario s,
                            sim_internal::Compile(scenario));
  std::vector<SimPolicyFactory> policies = options.policies;
  if (policies.empty()) {
    for (const v1::SimPolicy& p : s.policies) {
      v1::RoutingPolicyConfig config = p.policy();
      policies.push_back({p.label(), [config] { return NewRoutingPolicy(config); }});
    }
  }
  // The budget, before anything is simulated (or allocated for it).
  const SimCost cost =
      sim_internal::EstimateCost(s, static_cast<int>(policies.size()));
  if (!(cost.tickets <= static_cast<double>(options.max_tickets))) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the run would simulate about %.4g tickets (%.4g per replication x %d "
        "replications x %d policies), above the budget of %d tickets "
        "(SimOptions::max_tickets; helpdesk sim --max-tickets)",
        cost.tickets, cost.tickets_per_replication, cost.replications,
        cost.policies, options.max_tickets));
  }
  if (!(cost.memory_bytes <= static_cast<double>(options.max_memory_bytes))) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the run could need about %.4g MiB of memory (%.4g tickets per "
        "replication, all in the desk at once, and the agents), above the "
        "budget of %.4g MiB (SimOptions::max_memory_bytes; helpdesk sim "
        "--max-memory-mb)",
        cost.memory_bytes / (1 << 20), cost.tickets_per_replication,
        static_cast<double>(options.max_memory_bytes) / (1 << 20)));
  }
  SimReport report;
  report.scenario = s.name;
  report.replications = s.replications;
  report.service_level_seconds = s.service_level;
  for (const SimPolicyFactory& factory : policies) {
    SimPolicyResult result;
    result.label = factory.label;
    std::vector<sim_internal::Figures> runs;
    for (int r = 0; r < s.replications; ++r) {
      absl::StatusOr<std::unique_ptr<RoutingPolicy>> policy = factory.make();
      if (!policy.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "policy '", factory.label, "': ", policy.status().message()));
      }
      if (*policy == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("policy '", factory.label, "': the factory gave null"));
      }
      result.policy_name = std::string((*policy)->Name());
      // Nobody reads the reasons of simulated decisions.
      (*policy)->SetReasons(false);
      // The same seed for every policy: common random numbers.
      sim_internal::Replication run(
          s, **policy,
          sim_internal::MixSeed(s.seed ^ sim_internal::MixSeed(1000003u + r)),
          factory.label);
      HELPDESK_RETURN_IF_ERROR(run.Run());
      report.tickets_simulated += run.tickets_created();
      runs.push_back(run.Result());
    }
    auto figure = [&runs](double sim_internal::Figures::*field) {
      std::vector<double> values;
      for (const sim_internal::Figures& f : runs) values.push_back(f.*field);
      return sim_internal::Aggregate(values);
    };
    result.tickets = figure(&sim_internal::Figures::tickets).mean;
    result.wait_mean = figure(&sim_internal::Figures::wait_mean);
    result.wait_p50 = figure(&sim_internal::Figures::wait_p50);
    result.wait_p90 = figure(&sim_internal::Figures::wait_p90);
    result.wait_p99 = figure(&sim_internal::Figures::wait_p99);
    result.probability_of_waiting = figure(&sim_internal::Figures::p_wait);
    result.service_level = figure(&sim_internal::Figures::service_level);
    result.sla_breach_rate = figure(&sim_internal::Figures::breach);
    result.abandonment_rate = figure(&sim_internal::Figures::abandonment);
    result.unanswered_rate = figure(&sim_internal::Figures::unanswered);
    result.utilisation = figure(&sim_internal::Figures::utilisation);
    result.fairness = figure(&sim_internal::Figures::fairness);
    result.handled_cv = figure(&sim_internal::Figures::handled_cv);
    // The offer figures of every run, picked by `offers`, as estimates.
    auto offer_estimates = [&runs](auto offers, SimTeamOffers* out) {
      using Offers = sim_internal::Figures::Offers;
      auto estimate = [&](double Offers::*field) {
        std::vector<double> values;
        for (const sim_internal::Figures& f : runs) {
          values.push_back(offers(f).*field);
        }
        return sim_internal::Aggregate(values);
      };
      out->offers = estimate(&Offers::offers);
      out->decline_rate = estimate(&Offers::decline_rate);
      out->timeout_rate = estimate(&Offers::timeout_rate);
    };
    SimTeamOffers all;
    offer_estimates([](const sim_internal::Figures& f) { return f.offers; },
                    &all);
    result.offers = all.offers;
    result.decline_rate = all.decline_rate;
    result.timeout_rate = all.timeout_rate;
    for (const sim_internal::AgentTeam& team : s.teams) {
      for (int k = 1; k <= team.count; ++k) {
        result.agent_names.push_back(absl::StrCat(team.name, "-", k));
      }
    }
    for (size_t k = 0; k < s.teams.size(); ++k) {
      SimTeamOffers& team = result.by_team.emplace_back();
      team.name = s.teams[k].name;
      offer_estimates(
          [k](const sim_internal::Figures& f) { return f.team_offers[k]; },
          &team);
    }
    for (size_t a = 0; a < result.agent_names.size(); ++a) {
      std::vector<double> values;
      for (const sim_internal::Figures& f : runs) {
        values.push_back(f.agent_utilisation[a]);
      }
      result.agent_utilisation.push_back(sim_internal::Aggregate(values));
    }
    for (size_t g = 0; g < s.types.size() + 2; ++g) {
      SimSegmentResult segment;
      segment.name = g < s.types.size()           ? s.types[g].name
                     : g == s.types.size()        ? "vip"
                                                  : "non-vip";
      auto estimate = [&runs, g](double sim_internal::SegmentFigures::*field) {
        std::vector<double> values;
        for (const sim_internal::Figures& f : runs) {
          values.push_back(f.segments[g].*field);
        }
        return sim_internal::Aggregate(values);
      };
      segment.tickets = estimate(&sim_internal::SegmentFigures::tickets).mean;
      segment.wait_mean = estimate(&sim_internal::SegmentFigures::wait_mean);
      segment.wait_p90 = estimate(&sim_internal::SegmentFigures::wait_p90);
      segment.service_level =
          estimate(&sim_internal::SegmentFigures::service_level);
      (g < s.types.size() ? result.by_ticket_type : result.by_vip)
          .push_back(std::move(segment));
    }
    report.policies.push_back(std::move(result));
  }
  return report;
}

}  // namespace helpdesk
