// The discrete-event simulation (RunSimulation).
//
// This file holds the event loop of one replication with the arrival,
// dispatch, start, completion and abandonment of tickets, and RunSimulation,
// which runs the replications of every policy and aggregates their figures.
// The loop and its per-ticket bookkeeping are one hot path whose speed (about
// half of a minimal M/M/c loop, see bench/sim_bench) depends on the compiler
// seeing them together, so they stay in this one translation unit, with the
// event queue and the small helpers inline in replication.h. Offers and pull
// (replication_offers_pull.cc), the figures of a replication
// (replication_figures.cc), scenario compilation (scenario.cc) and reporting
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
#include "sim/replication.h"
#include "sim/scenario.h"

namespace helpdesk {
namespace sim_internal {

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
  if (log_ != nullptr) {
    log_->push_back({now, a.on ? LogEntry::kOnShift : LogEntry::kOffShift, 0,
                     index, 0});
  }
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
  if (log_ != nullptr) Log(now, LogEntry::kArrived, type_index, -1, slot);
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
  if (log_ != nullptr) {
    Log(now, LogEntry::kStarted, t.type, static_cast<int32_t>(agent_index), slot);
  }
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
  if (log_ != nullptr) Log(now, LogEntry::kDone, t.type, agent_index, slot);
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
  if (log_ != nullptr) Log(now, LogEntry::kAbandoned, t.type, -1, slot);
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
      if (log_ != nullptr && a.on) {
        log_->push_back({0, LogEntry::kOnShift, 0, index, 0});
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
