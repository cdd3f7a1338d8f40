// The routing simulator and the Erlang C calculator, for tuning routing
// policies and staffing.
//
// RunSimulation() is a discrete-event simulation of a help desk described by
// a v1::SimScenario (sim.proto): tickets arrive (Poisson streams with rates by
// hour and weekday, or a replayed CSV trace), wait, are routed by the real
// RoutingPolicy implementations of routing.h (not copies), are worked for a
// random handling time that depends on the ticket type and the agent's
// skills, or are abandoned when the requester runs out of patience; agents
// come and go with their shifts. Every policy runs on the same tickets (common
// random numbers), `replications` times with independent seeds, and the report
// gives each figure as the mean over replications with a 95% confidence
// interval (Student's t over the replication means):
//
//   absl::StatusOr<v1::SimScenario> scenario =
//       helpdesk::LoadSimScenario("desk.textproto");
//   absl::StatusOr<helpdesk::SimReport> report = helpdesk::RunSimulation(*scenario);
//   std::cout << helpdesk::SimReportTable(*report);
//   WriteFile("desk.svg", helpdesk::SimReportSvg(*report));
//
// Agents are pushed work by default: the simulator asks the policy's Next()
// and the agent accepts at once. A team may instead answer offers
// (SimAgents.offers): an agent accepts with some probability after a random
// response time, or lets the offer time out; a declined or timed-out ticket
// goes back to the queue through RoutingPolicy::Decline and waits on (its
// wait ends at acceptance, so time on offer counts as waiting). Or a team may
// pull (SimAgents.pull): its agents ask with NextFor() when they come on
// shift or finish a ticket, and idle pull agents, the one idle longest
// first, ask again whenever a ticket may have become available to them.
// Push and pull teams mix. sim.proto describes both in full.
//
// Runs are deterministic: the same scenario (seed included) gives the same
// report, bit for bit. Randomness is std::mt19937_64 seeded from the
// scenario's seed, one stream per replication and arrival stream; an offer's
// draws come from a small stream seeded by its ticket's draws and the number
// of earlier offers of the ticket, so every policy sees the same answers to
// the k-th offer of a ticket.
//
// The Erlang C functions answer the same questions in closed form for the
// M/M/c queue (Poisson arrivals, exponential handling, c agents, FIFO, nobody
// abandons); the simulator is validated against them
// (tests/sim_validation_test.cc). They use the Erlang B recurrence, so they
// are exact and stable for hundreds or thousands of agents.
//
//   helpdesk::ErlangCQueue q{.arrivals_per_hour = 100,
//                            .mean_handling_time = absl::Minutes(6),
//                            .agents = 12};
//   helpdesk::ErlangC(q)->probability_of_waiting;             // 0.45...
//   helpdesk::ErlangCAgentsFor(100, absl::Minutes(6), absl::Seconds(20), 0.8);
#ifndef HELPDESK_SIM_H_
#define HELPDESK_SIM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/routing.h"
#include "helpdesk/v1/sim.pb.h"

namespace helpdesk {

// ---------------------------------------------------------------------------
// Erlang C.

// An M/M/c queue.
struct ErlangCQueue {
  // > 0.
  double arrivals_per_hour = 0;
  // > 0.
  absl::Duration mean_handling_time = absl::ZeroDuration();
  // >= 1.
  int agents = 0;
};

struct ErlangCResult {
  // Offered load in erlangs: arrival rate x mean handling time.
  double offered_load = 0;
  // offered_load / agents.
  double utilisation = 0;
  // The probability that a ticket waits at all (Erlang's C formula).
  double probability_of_waiting = 0;
  // The mean wait over all tickets (those that do not wait count as 0).
  absl::Duration mean_wait = absl::ZeroDuration();
};

// Errors: InvalidArgument naming a non-positive or non-finite field;
// FailedPrecondition when the queue is unstable (offered load >= agents), so
// waits grow without bound.
HELPDESK_EXPORT absl::StatusOr<ErlangCResult> ErlangC(const ErlangCQueue& queue);

// The share of tickets answered within `target` (>= 0):
// 1 - C * exp(-(agents - load) * target / mean handling time). Errors: as
// ErlangC, and InvalidArgument for a negative target.
HELPDESK_EXPORT absl::StatusOr<double> ErlangCServiceLevel(const ErlangCQueue& queue,
                                           absl::Duration target);

// The fewest agents for which at least `service_level` (in (0, 1)) of tickets
// are answered within `target`. Errors: InvalidArgument for bad arguments;
// OutOfRange if more than `max_agents` would be needed.
HELPDESK_EXPORT absl::StatusOr<int> ErlangCAgentsFor(double arrivals_per_hour,
                                     absl::Duration mean_handling_time,
                                     absl::Duration target,
                                     double service_level,
                                     int max_agents = 100000);

// ---------------------------------------------------------------------------
// Scenarios.

// Parses a scenario in proto text format and validates it. `what` names the
// text in errors (e.g. a file name). Errors: InvalidArgument with line and
// column for malformed text or unknown fields; see ValidateSimScenario.
HELPDESK_EXPORT absl::StatusOr<v1::SimScenario> ParseSimScenario(
    absl::string_view text, absl::string_view what = "scenario");

// Reads a scenario file and the trace file it names (relative to the
// scenario's directory), whose text replaces trace.path with trace.csv, then
// validates it. Errors: NotFound or PermissionDenied for files that cannot be
// read (naming them); as ParseSimScenario.
HELPDESK_EXPORT absl::StatusOr<v1::SimScenario> LoadSimScenario(const std::string& path);

// Checks a scenario; every error is InvalidArgument naming the field and the
// value: unknown ticket types, negative or non-finite rates and times, rates
// above 10,000,000 tickets per hour or multipliers above 1,000, more than
// 100,000 agents in all, more than 10,000,000 shift intervals in all (each
// team's shifts over the run's days),
// multiplier lists of the wrong length, no arrivals, no agents or a count of
// 0, a capacity of 0 or none, bad skill levels or shift times, duplicate
// names or labels, invalid policy settings, unparsable trace rows ("trace
// line 7: column arrival_seconds: 'x1' is not a number"), a trace given by
// path (load it with LoadSimScenario), and ticket types that no agent can
// ever take (missing skills, group or channel capacity), listing the trace
// tickets that can never be routed.
HELPDESK_EXPORT absl::Status ValidateSimScenario(const v1::SimScenario& scenario);

// ---------------------------------------------------------------------------
// Running.

// A policy for the simulator to run: `make` returns a new, empty policy for
// each replication. Use it to run a host's own policy.
struct SimPolicyFactory {
  std::string label;
  std::function<absl::StatusOr<std::unique_ptr<RoutingPolicy>>()> make;
};

struct SimOptions {
  // When not empty, these run instead of the scenario's policies.
  std::vector<SimPolicyFactory> policies;
  // The budget of a run. RunSimulation refuses a scenario whose
  // EstimateSimulation() is above either (ResourceExhausted, with the
  // estimate and the budget), before it simulates anything; raise them for
  // a run known to be big. `max_tickets` counts every policy's and
  // replication's tickets; `max_memory_bytes` is one replication's peak.
  int64_t max_tickets = 100'000'000;
  int64_t max_memory_bytes = int64_t{4} << 30;  // 4 GiB
};

// What a run will cost, estimated from the scenario before it runs.
struct SimCost {
  // Tickets one replication creates: every arrival stream's rate x the mean
  // of its hourly and weekday multipliers over whole weeks, at its peak rate
  // for the rest of a week, plus the trace's rows.
  double tickets_per_replication = 0;
  int replications = 0;
  // Policies run (SimOptions::policies, else the scenario's).
  int policies = 0;
  // tickets_per_replication x replications x policies: the work.
  double tickets = 0;
  // An upper bound on one replication's memory in bytes: the agents (with
  // their skills, groups and shifts), the trace, and every ticket of the
  // replication in the desk at once (a desk that cannot keep up).
  double memory_bytes = 0;
};

// Validates the scenario and estimates its run. Errors: as
// ValidateSimScenario.
HELPDESK_EXPORT absl::StatusOr<SimCost> EstimateSimulation(const v1::SimScenario& scenario,
                                           const SimOptions& options = {});

// A figure over the replications: mean and the half-width of its 95%
// confidence interval (NaN with a single replication).
struct Estimate {
  double mean = 0;
  double ci95 = 0;
};

// The figures of one kind of ticket: a ticket type, or VIP or non-VIP
// tickets. Defined as the policy's figures of the same name, over those
// tickets only.
struct SimSegmentResult {
  // The ticket type's name, or "vip" / "non-vip".
  std::string name;
  // Measured tickets per replication (mean).
  double tickets = 0;
  Estimate wait_mean;
  Estimate wait_p90;
  Estimate service_level;
};

// One team's offers under a policy (SimPolicyResult's offer figures, over
// the team's agents).
struct SimTeamOffers {
  // SimAgents.name.
  std::string name;
  Estimate offers;
  Estimate decline_rate;
  Estimate timeout_rate;
};

// One policy's figures. Waits are from arrival until an agent takes the
// ticket (accepts its offer, for teams with offers), in seconds, over
// answered tickets; rates are shares of the tickets that arrived after the
// warm-up, except the offer rates, which are shares of offers. Utilisation is
// the share of an agent's on-shift time with at least one ticket in hand
// (accepted: an open offer holds a place but is not work in hand).
struct SimPolicyResult {
  std::string label;
  // RoutingPolicy::Name() of the policy that ran.
  std::string policy_name;
  // Measured tickets per replication (mean).
  double tickets = 0;
  Estimate wait_mean;
  Estimate wait_p50;
  Estimate wait_p90;
  Estimate wait_p99;
  // Share of answered tickets that waited at all.
  Estimate probability_of_waiting;
  // Share answered within service_level_seconds.
  Estimate service_level;
  // Share not answered within their SLA target (answered late, abandoned
  // after the target, or never answered).
  Estimate sla_breach_rate;
  Estimate abandonment_rate;
  // Share still unanswered when the simulation ended.
  Estimate unanswered_rate;
  // Mean utilisation over agents, weighted by on-shift time.
  Estimate utilisation;
  // Jain's fairness index of per-agent utilisation: 1 when equal, 1/n when
  // one agent does everything.
  Estimate fairness;
  // Coefficient of variation of tickets handled per agent.
  Estimate handled_cv;
  // Offers of measured tickets made per replication: every push assignment
  // is an offer (to a team without SimAgents.offers, one accepted at once);
  // a ticket declined twice and then accepted made three. Pulled tickets are
  // not offers.
  Estimate offers;
  // Shares of those offers the agents declined, and let time out; NaN for a
  // replication without offers (every team pulls).
  Estimate decline_rate;
  Estimate timeout_rate;
  // The offer figures per team, in scenario order; the teams' offers add up
  // to `offers`.
  std::vector<SimTeamOffers> by_team;
  // Per agent, in scenario order.
  std::vector<std::string> agent_names;
  std::vector<Estimate> agent_utilisation;
  // Per ticket type, in scenario order.
  std::vector<SimSegmentResult> by_ticket_type;
  // VIP tickets, then the others.
  std::vector<SimSegmentResult> by_vip;
};

struct SimReport {
  std::string scenario;
  int replications = 0;
  double service_level_seconds = 0;
  // Tickets simulated in all runs (every policy and replication).
  int64_t tickets_simulated = 0;
  std::vector<SimPolicyResult> policies;
};

// Runs the scenario (validating it first) for each policy and replication.
// Errors: as ValidateSimScenario; ResourceExhausted when the run's
// EstimateSimulation() is above SimOptions::max_tickets or
// max_memory_bytes, naming the estimate and the budget; a policy's own
// errors (an Internal error naming the policy and the call if a policy
// breaks its contract).
HELPDESK_EXPORT absl::StatusOr<SimReport> RunSimulation(const v1::SimScenario& scenario,
                                        const SimOptions& options = {});

// The report as an aligned text table, policies side by side, then a table
// of the figures by ticket type and for VIP and non-VIP tickets, and, when
// some policy's agents declined or let offers time out, a table of offers
// made, declined and timed out (per policy, and per team when there are
// several).
HELPDESK_EXPORT std::string SimReportTable(const SimReport& report);
// As CSV with a header: policy,metric,mean,ci95,replications; one row per
// policy and figure, per agent ("utilisation:<agent name>"), and per ticket
// type and VIP or not ("wait_p90_seconds:type:<type name>",
// "service_level:vip", "tickets_per_replication:non-vip" ...). The offer
// figures are "offers_per_replication", "offer_decline_rate" and
// "offer_timeout_rate", and the same per team ("offer_decline_rate:team:<team
// name>" ...).
HELPDESK_EXPORT std::string SimReportCsv(const SimReport& report);
// As a self-contained SVG image: bar charts with confidence intervals of wait
// mean and p90, service level, SLA breach, abandonment and utilisation, and,
// when the table shows offers, of the decline and timeout rates.
HELPDESK_EXPORT std::string SimReportSvg(const SimReport& report);

// Student's t quantile for a two-sided 95% interval with `df` (>= 1) degrees
// of freedom, e.g. 2.262 for 9.
HELPDESK_EXPORT double StudentT975(int df);

}  // namespace helpdesk

// Thread safety: every function here is thread-safe; concurrent calls share no
// state.

#endif  // HELPDESK_SIM_H_
