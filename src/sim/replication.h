// Internal: one replication of the discrete-event simulation (RunSimulation,
// simulator.cc) and the state it runs on: the event encoding and queue, the
// per-ticket and per-agent bookkeeping, and the figures a replication yields.
//
// The hot path (the event loop and the arrival, dispatch, start, completion
// and abandonment of tickets) is defined in simulator.cc, one translation
// unit, with the small functions it calls on every event inline here; offers
// and pull, paths off the push-and-accept default, are in
// replication_offers_pull.cc, and the figures of a replication and their
// aggregation over replications in replication_figures.cc.
//
// Thread safety: a Replication is used by one thread.
#ifndef HELPDESK_SRC_SIM_REPLICATION_H_
#define HELPDESK_SRC_SIM_REPLICATION_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/routing.h"
#include "helpdesk/sim.h"
#include "sim/scenario.h"

namespace helpdesk::sim_internal {
inline constexpr double kInfinity = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

inline constexpr int kIndexBits = 29;
inline constexpr uint32_t kIndexMask = (uint32_t{1} << kIndexBits) - 1;

inline Event MakeEvent(double time, uint32_t kind, uint32_t index, uint32_t ticket) {
  uint64_t bits;
  time += 0.0;  // -0 becomes +0
  std::memcpy(&bits, &time, sizeof bits);
  const uint64_t low = uint64_t{kind} << 61 |
                       uint64_t{index & kIndexMask} << 32 | ticket;
  return Event{bits} << 64 | low;
}
inline double TimeOf(Event e) {
  const uint64_t bits = static_cast<uint64_t>(e >> 64);
  double time;
  std::memcpy(&time, &bits, sizeof time);
  return time;
}
inline uint32_t KindOf(Event e) { return static_cast<uint32_t>(e >> 61) & 7; }
inline int32_t IndexOf(Event e) {
  return static_cast<int32_t>(static_cast<uint32_t>(e >> 32) & kIndexMask);
}
inline int32_t TicketOf(Event e) { return static_cast<int32_t>(static_cast<uint32_t>(e)); }

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

// What happened in a replication, for SimulateHistory (sim_history.h): one
// entry per arrival, start of handling, completion, abandonment and shift
// change. `ticket` is the ticket's serial number (1, 2, ... in arrival
// order), `agent` the agent's index (-1 for arrivals and abandonments).
struct LogEntry {
  enum Kind : uint8_t { kArrived, kStarted, kDone, kAbandoned, kOnShift, kOffShift };
  double time = 0;
  Kind kind = kArrived;
  int32_t type = 0;
  int32_t agent = -1;
  int64_t ticket = 0;
};

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
  // Before Run(): record what happens into `log` (not owned; null: no log).
  void set_log(std::vector<LogEntry>* log) { log_ = log; }

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
  // Accept, Dispatch, Done and Abandon are called only by Run() and folded
  // into it, as the compiler did by itself while the class was local to
  // simulator.cc (a function called once); defined there, used nowhere else.
  [[gnu::always_inline]] inline bool Accept(const ArrivalStream& stream,
                                            double t, std::mt19937_64& rng);
  absl::Status Arrive(int32_t type, double now, std::mt19937_64& rng,
                      const TraceTicket* row);
  [[gnu::always_inline]] inline absl::Status Dispatch(double now);
  absl::Status Start(const Assignment& a, double now);
  [[gnu::always_inline]] inline absl::Status Done(int64_t slot, int32_t agent,
                                                 double now);
  [[gnu::always_inline]] inline absl::Status Abandon(int64_t slot,
                                                    int32_t generation,
                                                    double now);
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

  void Log(double time, LogEntry::Kind kind, int32_t type, int32_t agent,
           int64_t slot) {
    if (static_cast<size_t>(slot) >= log_serial_.size()) {
      log_serial_.resize(slot + 1);
    }
    if (kind == LogEntry::kArrived) log_serial_[slot] = created_;
    log_->push_back({time, kind, type, agent,
                     slot < 0 ? 0 : log_serial_[slot]});
  }

  const Scenario& s_;
  RoutingPolicy& policy_;
  std::vector<LogEntry>* log_ = nullptr;
  std::vector<int64_t> log_serial_;  // per ticket slot, with a log
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

// The mean of `values` (NaN ones skipped) and its 95% confidence half-width
// over replications (Student's t); NaN where there are too few values.
Estimate Aggregate(const std::vector<double>& values);

}  // namespace helpdesk::sim_internal

#endif  // HELPDESK_SRC_SIM_REPLICATION_H_
