// Replaying a desk's own history in the simulator (helpdesk/sim.h): derive a
// v1::SimScenario from a period of the audit log, then run the routing
// policies on it ("what would our waits have been last month under skills
// routing instead of round robin?").
//
//   helpdesk::SimHistory history = ...;  // events, agent events, agents
//   helpdesk::HistorySpec spec{.since = month_start, .until = month_end};
//   absl::StatusOr<v1::SimScenario> scenario =
//       helpdesk::DeriveSimScenario(history, spec);
//   absl::StatusOr<helpdesk::SimReport> report =
//       helpdesk::RunSimulation(*scenario);
//
// Desk::reports().SimScenarioFromHistory() reads the history from the
// desk's store; CLI `helpdesk sim --from-history --since ...`.
//
// What is derived, from the tickets created in [since, until):
// - ticket types: one per (ticket type, channel), named "question-email",
//   "incident-chat", ... ("other" for no type);
// - arrivals: per type, the rate over the period and 24 hourly and 7 weekday
//   multipliers (the rate in each local hour of the day, and day of the week,
//   over the mean rate; each needs the period to cover that hour or day,
//   else the multipliers are left out);
// - handling time: from the start of work (the last routing, acceptance or
//   assignment before the ticket is done) to the first status in
//   `done_statuses`; per type, log-normal with the observed mean and
//   standard deviation, and per skill (a SimSkillHandling rule for each skill
//   held by agents who handled at least `min_skill_samples` tickets of the
//   type, its min_level the lowest level among them, most samples first;
//   the type's default from agents with none of those skills);
// - abandonment: a ticket done before anybody took it was abandoned;
//   patience is exponential with the censored maximum-likelihood mean (the
//   total time tickets waited, whether answered, abandoned or still waiting
//   at `until`, over the number abandoned); none when nobody abandoned;
// - agents' presence as shifts: each agent's online time (any presence but
//   offline, from the agent events' PRESENCE_CHANGED) on a 15-minute grid
//   per weekday, a slot on shift when the agent was online for more than
//   half of that slot's occurrences in the period; agents with the same
//   skills, groups, capacity and shifts become one SimAgents team; an agent
//   online throughout has no shifts; an agent never online is left out.
//
// Handling time in a real desk includes time the agent spent waiting for the
// customer; the derivation measures the span, not the effort.
#ifndef HELPDESK_SIM_HISTORY_H_
#define HELPDESK_SIM_HISTORY_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/sim.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

// A period of a desk's history: what DeriveSimScenario reads.
struct SimHistory {
  // The tickets' audit log (any order; events outside the tickets created in
  // the period are ignored).
  std::vector<v1::Event> events;
  // The agents' audit log (presence changes), any order.
  std::vector<v1::AgentEvent> agent_events;
  // The agents (skills, groups, capacity).
  std::vector<v1::Agent> agents;
  // Each ticket's channel; tickets not listed count as CHANNEL_EMAIL.
  std::map<int64_t, v1::Channel> channels;
};

struct HistorySpec {
  // The period; since < until, at most ten years.
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  // The zone of the hourly and weekday multipliers and of the shifts.
  absl::TimeZone zone = absl::UTCTimeZone();
  // Statuses that end the work on a ticket.
  std::set<std::string> done_statuses = {"solved", "closed"};
  // Per derived ticket type name: the skills its tickets require (the audit
  // log does not say).
  std::map<std::string, std::vector<v1::Skill>> required_skills;
  // A skill's handling rule needs this many tickets.
  int min_skill_samples = 30;
  // The scenario's settings.
  std::string name = "history";
  uint64_t seed = 1;
  int replications = 5;
  double warmup_seconds = 0;
  double service_level_seconds = 60;
  // None: FIFO, round robin, least loaded and skills.
  std::vector<v1::SimPolicy> policies;
};

// Derives the scenario (see the top of this file) and validates it.
// Errors: InvalidArgument for a period that ends before it starts or is
// longer than ten years, for min_skill_samples < 1, or replications outside
// 1 to 1000; FailedPrecondition when no ticket was created in the period or
// no agent was ever online; ValidateSimScenario's errors (e.g. a ticket
// type no derived agent can take).
HELPDESK_EXPORT absl::StatusOr<v1::SimScenario> DeriveSimScenario(
    const SimHistory& history, const HistorySpec& spec);

// Runs one replication of `scenario` under its policy number `policy` (0
// when it has none: FIFO) and writes what happened as a desk's history:
// agents 1..n ("<team>-<k>", with the team's skills, groups and capacity),
// each ticket's TICKET_CREATED (its type: the ticket type whose name
// matches the scenario type's name, "question", "incident", "problem" or
// "task", else none), ROUTED when an agent takes it, a STATUS change to
// "solved" when done or to "closed" when abandoned, and each agent's
// PRESENCE_CHANGED at shift changes (and at the start for agents on
// shift). Times from the scenario's start. For checking DeriveSimScenario
// and for demos. Errors: as RunSimulation; InvalidArgument for a policy or
// replication out of range.
HELPDESK_EXPORT absl::StatusOr<SimHistory> SimulateHistory(
    const v1::SimScenario& scenario, int policy = 0, int replication = 0);

}  // namespace helpdesk

// Thread safety: both functions are thread-safe; calls share no state.

#endif  // HELPDESK_SIM_HISTORY_H_
