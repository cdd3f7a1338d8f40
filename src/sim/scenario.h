// Internal: a validated scenario, compiled into the tables the event loop
// reads.
#ifndef HELPDESK_SRC_SIM_SCENARIO_H_
#define HELPDESK_SRC_SIM_SCENARIO_H_

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "helpdesk/routing.h"
#include "helpdesk/sim.h"
#include "helpdesk/v1/sim.pb.h"
#include "sim/distributions.h"

namespace helpdesk::sim_internal {

struct TicketType {
  std::string name;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t group_id = 0;
  v1::Priority priority = v1::PRIORITY_NORMAL;
  std::vector<SkillRequirement> skills;
  double vip_share = 0;
  int32_t customer_tier = 0;
  int32_t support_tier = 1;
  Duration handling;
  struct BySkill {
    std::string skill;
    int32_t min_level = 1;
    Duration handling;
  };
  std::vector<BySkill> handling_by_skill;
  std::optional<Duration> patience;
  double sla_target = 0;
};

struct ArrivalStream {
  int type = 0;
  // Tickets per second at multiplier 1.
  double rate = 0;
  bool varying = false;
  std::array<double, 24> hourly{};
  std::array<double, 7> weekday{};  // Monday first
  // The largest rate the stream reaches (for thinning).
  double max_rate = 0;
};

// One SimAgents block.
struct AgentTeam {
  std::string name;
  int count = 0;
  AgentState state;  // agent_id and presence are set per agent
  // Merged shift intervals, in seconds from start; empty with always_on.
  std::vector<std::pair<double, double>> shifts;
  bool always_on = true;
  // Per ticket type: the handling time when this team works it.
  std::vector<const Duration*> handling;
  // SimAgents.offers: false when absent (every offer accepted at once, and
  // the simulator skips the offer machinery for this team).
  bool offers = false;
  double accept_probability = 1;
  std::optional<Duration> response;  // none: 0
  double offer_timeout = std::numeric_limits<double>::infinity();
  // SimAgents.pull.
  bool pull = false;
};

struct TraceTicket {
  double arrival = 0;
  int type = 0;
  double handling = -1;  // < 0: the type's distribution
  double patience = -1;  // < 0: the type's distribution
  int vip = -1;          // < 0: drawn from vip_share
  int line = 0;
};

struct Scenario {
  std::string name;
  uint64_t seed = 0;
  int replications = 5;
  double duration = 0;
  double warmup = 0;
  // Tickets still in the desk at `duration` are followed until this.
  double horizon = 0;
  absl::Time start;
  absl::TimeZone zone;
  double service_level = 60;
  bool sla_to_policies = false;
  std::vector<TicketType> types;
  std::vector<ArrivalStream> streams;
  std::vector<AgentTeam> teams;
  std::vector<TraceTicket> trace;  // sorted by arrival
  std::vector<v1::SimPolicy> policies;  // labels filled in
};

// Validates and compiles. Errors: see ValidateSimScenario in sim.h.
absl::StatusOr<Scenario> Compile(const v1::SimScenario& scenario);

// The cost of running `s` with `policies` policies (see SimCost in sim.h).
SimCost EstimateCost(const Scenario& s, int policies);

}  // namespace helpdesk::sim_internal

#endif  // HELPDESK_SRC_SIM_SCENARIO_H_
