// The discrete-event simulation (RunSimulation).
//
// Events (arrivals, completions, abandonments, shift changes and policy
// wake-ups) sit in a binary heap ordered by (time, sequence number), so equal
// times are handled in the order they were scheduled and runs are
// deterministic. Sim time is seconds since the scenario's start as a double;
// policies see absl::Time. Every policy of a replication sees the same tickets:
// arrival streams and ticket attributes come from random streams seeded per
// replication and stream, and each ticket's handling time is the same
// quantile of whichever distribution applies to the agent who takes it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helpdesk/sim.h"
#include "internal/status_macros.h"
#include "routing/queue_router.h"
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
};

// 24 bytes, so the heap moves little: the sequence number and the kind
// share a word (the sequence number, unique, decides ties on its own).
struct Event {
  double time;
  uint64_t seq_kind;  // seq << 3 | kind
  int32_t index;
  int32_t ticket;     // a slot
  uint32_t kind() const { return static_cast<uint32_t>(seq_kind & 7); }
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    if (a.time != b.time) return a.time > b.time;
    return a.seq_kind > b.seq_kind;
  }
};

enum class TicketState : uint8_t { kFree, kWaiting, kInService };

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
  size_t next_shift = 0;  // index into the team's shifts of the next change
  bool shift_open = false;
  std::array<int32_t, routing_internal::kChannels> capacity{};
  std::array<int32_t, routing_internal::kChannels> load{};
  int busy = 0;
  double busy_since = 0;
  double busy_time = 0;  // within [warmup, duration]
  int64_t handled = 0;
};

// Measured tickets of one kind (a ticket type, VIP or not).
struct Segment {
  int64_t offered = 0, within_sl = 0;
  std::vector<double> waits;
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
  std::vector<double> agent_utilisation;
  // Per ticket type, then VIP and non-VIP.
  std::vector<SegmentFigures> segments;
};

// The `q` quantile of `values`, which it reorders: linear interpolation
// between order statistics (R's type 7). Selection rather than a sort: O(n),
// and a sort of the million waits of a long run costs more than routing them.
double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return kNaN;
  const double h = (static_cast<double>(values.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const auto at_lo = values.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(values.begin(), at_lo, values.end());
  const double low = *at_lo;
  if (lo + 1 >= values.size()) return low;
  // The next order statistic is the smallest value above position lo.
  const double high = *std::min_element(at_lo + 1, values.end());
  return low + (h - static_cast<double>(lo)) * (high - low);
}

class Replication {
 public:
  Replication(const Scenario& s, RoutingPolicy& policy, uint64_t seed,
              absl::string_view label)
      : s_(s), policy_(policy), seed_(seed), label_(label) {}

  absl::Status Run();
  Figures Result();
  int64_t tickets_created() const { return created_; }

 private:
  void Push(double time, uint32_t kind, int32_t index, int64_t ticket = 0) {
    events_.push({time, ++seq_ << 3 | kind, index, static_cast<int32_t>(ticket)});
  }
  // Sim time as absl::Time; the last conversion is kept, as several calls of
  // one event ask for the same time.
  absl::Time At(double t) {
    if (t != at_seconds_) {
      at_seconds_ = t;
      at_ = s_.start + absl::Seconds(t);
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

  const Scenario& s_;
  RoutingPolicy& policy_;
  uint64_t seed_;
  std::string label_;

  std::priority_queue<Event, std::vector<Event>, Later> events_;
  uint64_t seq_ = 0;
  std::vector<std::mt19937_64> stream_rngs_;
  std::mt19937_64 trace_rng_;
  std::vector<Ticket> tickets_;
  std::vector<int64_t> free_;
  std::vector<Agent> agents_;
  double wakeup_ = kInfinity;
  double at_seconds_ = kNaN;
  absl::Time at_;
  int64_t in_system_ = 0;
  int64_t created_ = 0;
  int open_streams_ = 0;
  double end_ = 0;

  // Measured tickets.
  int64_t offered_ = 0, answered_ = 0, waited_ = 0, within_sl_ = 0;
  int64_t breached_ = 0, abandoned_ = 0;
  std::vector<double> waits_;
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
  a.state.presence = a.on ? v1::PRESENCE_ONLINE : v1::PRESENCE_OFFLINE;
  if (absl::Status st = policy_.UpdateAgent(a.state, At(now)); !st.ok()) {
    return Fail("UpdateAgent", st);
  }
  ScheduleShift(index);
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
  // Always the same draws per ticket, so policies see the same tickets.
  t.u_handle = UniformOpen(rng);
  const double u_vip = UniformOpen(rng);
  const double u_patience = UniformOpen(rng);
  t.vip = u_vip < type.vip_share;
  t.handling = -1;
  double patience = type.patience ? type.patience->At(u_patience) : kInfinity;
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

  WorkItem item;
  item.ticket_id = slot + 1;
  item.channel = type.channel;
  item.group_id = type.group_id;
  item.priority = type.priority;
  item.required_skills = type.skills;
  item.customer_tier = type.customer_tier;
  item.vip = t.vip;
  item.enqueued_at = At(now);
  item.support_tier = type.support_tier;
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
  while (true) {
    absl::StatusOr<Assignment> a = policy_.Next(t);
    if (!a.ok()) {
      if (absl::IsNotFound(a.status())) break;
      return Fail("Next", a.status());
    }
    HELPDESK_RETURN_IF_ERROR(Start(*a, now));
  }
  const absl::Time wakeup = policy_.NextWakeup();
  if (wakeup != absl::InfiniteFuture()) {
    // A microsecond late, so that rounding never wakes the policy early.
    const double w = std::max(now, absl::ToDoubleSeconds(wakeup - s_.start)) + 1e-6;
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
    return Fail("Next", absl::InternalError(absl::StrCat(
                            "it assigned ticket ", a.ticket_id, " to agent ",
                            a.agent_id, ", who is ",
                            agent.on ? "at capacity" : "off shift")));
  }
  t.state = TicketState::kInService;
  const double wait = now - t.arrival;
  if (t.measured) {
    ++answered_;
    waits_.push_back(wait);
    if (wait > 0) ++waited_;
    if (wait <= s_.service_level) ++within_sl_;
    for (Segment* segment : {&TypeSegment(t), &VipSegment(t)}) {
      segment->waits.push_back(wait);
      if (wait <= s_.service_level) ++segment->within_sl;
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
  return absl::OkStatus();
}

absl::Status Replication::Abandon(int64_t slot, int32_t generation,
                                  double now) {
  Ticket& t = tickets_[slot];
  if (t.generation != generation || t.state != TicketState::kWaiting) {
    return absl::OkStatus();  // answered in time
  }
  if (absl::Status st = policy_.Remove(slot + 1); !st.ok()) {
    return Fail("Remove", st);
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

absl::Status Replication::Run() {
  // Random streams: one per arrival stream, one for the trace.
  for (size_t i = 0; i < s_.streams.size(); ++i) {
    stream_rngs_.emplace_back(MixSeed(seed_ ^ MixSeed(i + 1)));
  }
  trace_rng_.seed(MixSeed(seed_ ^ 0x7261636500000000ULL));
  segments_.resize(s_.types.size() + 2);

  // Agents: ids 1..n in scenario order.
  for (size_t t = 0; t < s_.teams.size(); ++t) {
    const AgentTeam& team = s_.teams[t];
    for (int k = 0; k < team.count; ++k) {
      const int32_t index = static_cast<int32_t>(agents_.size());
      Agent& a = agents_.emplace_back();
      a.team = static_cast<int>(t);
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
      a.state.presence = a.on ? v1::PRESENCE_ONLINE : v1::PRESENCE_OFFLINE;
      if (absl::Status st = policy_.UpdateAgent(a.state, At(0)); !st.ok()) {
        return Fail("UpdateAgent", st);
      }
      if (!team.always_on) ScheduleShift(index);
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
  while (!events_.empty()) {
    const Event e = events_.top();
    if (e.time > s_.horizon) break;
    events_.pop();
    now = e.time;
    switch (e.kind()) {
      case kArrival: {
        const ArrivalStream& stream = s_.streams[e.index];
        std::mt19937_64& rng = stream_rngs_[e.index];
        const bool accepted = Accept(stream, now, rng);
        NextArrival(e.index, now);
        if (!accepted) continue;
        HELPDESK_RETURN_IF_ERROR(Arrive(stream.type, now, rng, nullptr));
        break;
      }
      case kTrace: {
        const TraceTicket& row = s_.trace[e.index];
        if (static_cast<size_t>(e.index) + 1 < s_.trace.size()) {
          Push(s_.trace[e.index + 1].arrival, kTrace, e.index + 1);
        } else {
          --open_streams_;
        }
        HELPDESK_RETURN_IF_ERROR(Arrive(row.type, now, trace_rng_, &row));
        break;
      }
      case kDone:
        HELPDESK_RETURN_IF_ERROR(Done(e.ticket, e.index, now));
        break;
      case kAbandon:
        HELPDESK_RETURN_IF_ERROR(Abandon(e.ticket, e.index, now));
        continue;  // a ticket leaving the queue frees nobody
      case kShift:
        HELPDESK_RETURN_IF_ERROR(ShiftChange(e.index, now));
        break;
      case kWakeup:
        if (e.time == wakeup_) wakeup_ = kInfinity;
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
    if (t.state == TicketState::kWaiting && t.measured) {
      ++unanswered;
      ++breached_;
    }
  }
  f.tickets = static_cast<double>(offered_);
  if (offered_ > 0) {
    const double n = static_cast<double>(offered_);
    f.service_level = within_sl_ / n;
    f.breach = breached_ / n;
    f.abandonment = abandoned_ / n;
    f.unanswered = unanswered / n;
  }
  if (answered_ > 0) {
    double sum = 0;
    for (double w : waits_) sum += w;
    f.wait_mean = sum / static_cast<double>(answered_);
    f.wait_p50 = Quantile(waits_, 0.50);
    f.wait_p90 = Quantile(waits_, 0.90);
    f.wait_p99 = Quantile(waits_, 0.99);
    f.p_wait = static_cast<double>(waited_) / static_cast<double>(answered_);
  }
  for (Segment& segment : segments_) {
    SegmentFigures& g = f.segments.emplace_back();
    g.tickets = static_cast<double>(segment.offered);
    if (segment.offered > 0) {
      g.service_level = static_cast<double>(segment.within_sl) /
                        static_cast<double>(segment.offered);
    }
    if (!segment.waits.empty()) {
      double sum = 0;
      for (double w : segment.waits) sum += w;
      g.wait_mean = sum / static_cast<double>(segment.waits.size());
      g.wait_p90 = Quantile(segment.waits, 0.90);
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
    for (const sim_internal::AgentTeam& team : s.teams) {
      for (int k = 1; k <= team.count; ++k) {
        result.agent_names.push_back(absl::StrCat(team.name, "-", k));
      }
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
