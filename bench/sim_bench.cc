// Simulator speed: M/M/50 at utilisation 0.9, one core.
//
// BM_Sim_MMc_RealFifo runs helpdesk::RunSimulation() - the scenario machinery,
// the event loop, statistics, and the real FIFO RoutingPolicy (which the
// simulator asks for no reasons: RoutingPolicy::SetReasons) - on 1,000,000
// tickets. BM_Sim_MMc_MinimalLoop is the
// baseline, in the same binary: a minimal special-purpose M/M/c event loop
// (a heap of completion times, a FIFO of waiting arrivals, the same random
// draws) written for this benchmark. Both report tickets/s (items per
// second); BM_Sim_MMc_RealVsMinimal runs them (and the bare policy below) in
// turn and reports the ratios, and the ratio to SimPy 2.3.1's ~160,000
// tickets/s for the same queue (the measurement on this kind of
// machine; bench/sim_vs_simpy.sh measures SimPy on this machine first and
// passes its rate in $HELPDESK_SIMPY_TICKETS_PER_S).
//
// BM_Sim_MMc_BarePolicy runs the same simulator with a bare FIFO written for
// this benchmark (a deque of tickets, a deque of free agents; right only for
// this scenario) in place of the real policy: what the simulator's own
// machinery costs. RealVsMinimal reports it as bare_over_minimal, so the
// policy's share of the gap can be read off one run.
//
// Target (issue 4): the real simulator at least half as fast as the minimal
// loop.
//
//   ./build/release/bench/sim_bench
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "helpdesk/sim.h"

namespace helpdesk {
namespace {

constexpr int kAgents = 50;
constexpr double kUtilisation = 0.9;
constexpr double kHandlingSeconds = 60;
constexpr double kTickets = 1'000'000;
constexpr double kSimPyTicketsPerSecond = 160'000;

v1::SimScenario Scenario(double tickets) {
  const double rate = kUtilisation * kAgents / kHandlingSeconds;  // per second
  v1::SimScenario s;
  s.set_name("M/M/50 at 0.9");
  s.set_seed(1);
  s.set_replications(1);
  s.set_duration_seconds(tickets / rate);
  s.set_warmup_seconds(tickets / rate / 10);
  v1::SimTicketType* type = s.add_ticket_types();
  type->set_name("call");
  type->set_channel(v1::CHANNEL_PHONE);
  type->mutable_handling_time()->mutable_exponential()->set_mean_seconds(
      kHandlingSeconds);
  v1::SimArrivals* arrivals = s.add_arrivals();
  arrivals->set_ticket_type("call");
  arrivals->set_rate_per_hour(rate * 3600);
  v1::SimAgents* agents = s.add_agents();
  agents->set_name("agent");
  agents->set_count(kAgents);
  v1::ChannelCapacity* capacity = agents->add_capacity();
  capacity->set_channel(v1::CHANNEL_PHONE);
  capacity->set_max_items(1);
  s.add_policies()->mutable_policy()->mutable_fifo();
  return s;
}

// FIFO for this scenario only (one channel, every agent online with room for
// one ticket): the oldest ticket to the agent free longest. With identical
// agents and a handling time drawn per ticket it gives the real FIFO's waits.
class BarePolicy : public RoutingPolicy {
 public:
  absl::string_view Name() const override { return "bench.bare_fifo"; }
  absl::Status UpdateAgent(const AgentState& agent, absl::Time) override {
    if (agent.presence == v1::PRESENCE_ONLINE) free_.push_back(agent.agent_id);
    return absl::OkStatus();
  }
  absl::Status Enqueue(const WorkItem& item) override {
    queue_.push_back(item.ticket_id);
    return absl::OkStatus();
  }
  absl::Status Update(const WorkItem&) override { return absl::OkStatus(); }
  absl::Status Remove(int64_t ticket_id) override {
    // Only assigned tickets are removed here (nobody abandons).
    const size_t id = static_cast<size_t>(ticket_id);
    if (id < agent_of_.size() && agent_of_[id] != 0) {
      free_.push_back(agent_of_[id]);
      agent_of_[id] = 0;
    }
    return absl::OkStatus();
  }
  absl::Status RecordAssignment(const WorkItem&, int64_t) override {
    return absl::UnimplementedError("bare policy");
  }
  absl::Status Decline(int64_t, int64_t, OfferOutcome, absl::Time) override {
    return absl::UnimplementedError("bare policy");
  }
  bool MayAssign(absl::Time) const override {
    return !queue_.empty() && !free_.empty();
  }
  absl::StatusOr<Assignment> Next(absl::Time) override {
    if (!MayAssign(absl::Time())) return absl::NotFoundError("nothing");
    Assignment a;
    a.ticket_id = queue_.front();
    queue_.pop_front();
    a.agent_id = free_.front();
    free_.pop_front();
    const size_t id = static_cast<size_t>(a.ticket_id);
    if (id >= agent_of_.size()) agent_of_.resize(2 * id + 1, 0);
    agent_of_[id] = a.agent_id;
    return a;
  }
  absl::StatusOr<Assignment> NextFor(int64_t, absl::Time) override {
    return absl::UnimplementedError("bare policy");
  }

 private:
  std::deque<int64_t> queue_;
  std::deque<int64_t> free_;
  std::vector<int64_t> agent_of_;  // by ticket id; 0: not assigned
};

SimOptions BareOptions() {
  SimOptions options;
  options.policies.push_back(
      {"bare", []() -> absl::StatusOr<std::unique_ptr<RoutingPolicy>> {
         return std::make_unique<BarePolicy>();
       }});
  return options;
}

// SimPy's rate: $HELPDESK_SIMPY_TICKETS_PER_S when set (bench/sim_vs_simpy.sh
// measures it with bench/simpy_mmc.py first), else the figure.
double SimPyTicketsPerSecond() {
  const char* env = std::getenv("HELPDESK_SIMPY_TICKETS_PER_S");
  if (env != nullptr) {
    char* end = nullptr;
    const double rate = std::strtod(env, &end);
    if (end != env && *end == '\0' && rate > 0) return rate;
    std::fprintf(stderr,
                 "sim_bench: HELPDESK_SIMPY_TICKETS_PER_S: '%s' is not a "
                 "positive number; using %.0f\n",
                 env, kSimPyTicketsPerSecond);
  }
  return kSimPyTicketsPerSecond;
}

// Runs the real simulator once; returns tickets simulated, or -1. Sets
// *wait_mean to the policy's mean wait when given.
double RunReal(const v1::SimScenario& scenario, const SimOptions& options = {},
               double* wait_mean = nullptr) {
  absl::StatusOr<SimReport> report = RunSimulation(scenario, options);
  if (!report.ok()) return -1;
  benchmark::DoNotOptimize(report->policies[0].wait_mean.mean);
  if (wait_mean != nullptr) *wait_mean = report->policies[0].wait_mean.mean;
  return static_cast<double>(report->tickets_simulated);
}

// The minimal M/M/c event loop. Returns tickets simulated.
double RunMinimal(double tickets, uint64_t seed) {
  const double lambda = kUtilisation * kAgents / kHandlingSeconds;
  std::mt19937_64 rng(seed);
  auto uniform = [&rng] {
    return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
  };
  const double duration = tickets / lambda;
  std::priority_queue<double, std::vector<double>, std::greater<double>> busy;
  std::vector<double> waiting;  // a FIFO of arrival times
  size_t head = 0;
  double next_arrival = -std::log(uniform()) / lambda;
  double wait_sum = 0;
  int64_t arrived = 0, waited = 0;
  while (next_arrival < duration || !busy.empty()) {
    if (next_arrival < duration &&
        (busy.empty() || next_arrival <= busy.top())) {
      const double now = next_arrival;
      ++arrived;
      if (static_cast<int>(busy.size()) < kAgents) {
        busy.push(now - kHandlingSeconds * std::log(uniform()));
      } else {
        waiting.push_back(now);
      }
      next_arrival = now - std::log(uniform()) / lambda;
    } else {
      const double now = busy.top();
      busy.pop();
      if (head < waiting.size()) {
        const double w = now - waiting[head++];
        wait_sum += w;
        ++waited;
        busy.push(now - kHandlingSeconds * std::log(uniform()));
      }
    }
  }
  benchmark::DoNotOptimize(wait_sum);
  benchmark::DoNotOptimize(waited);
  return static_cast<double>(arrived);
}

void BM_Sim_MMc_RealFifo(benchmark::State& state) {
  const v1::SimScenario scenario = Scenario(kTickets);
  double tickets = 0;
  for (auto _ : state) {
    const double n = RunReal(scenario);
    if (n < 0) {
      state.SkipWithError("RunSimulation failed");
      return;
    }
    tickets += n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(tickets));
}

void BM_Sim_MMc_BarePolicy(benchmark::State& state) {
  const v1::SimScenario scenario = Scenario(kTickets);
  const SimOptions bare = BareOptions();
  double tickets = 0;
  for (auto _ : state) {
    const double n = RunReal(scenario, bare);
    if (n < 0) {
      state.SkipWithError("RunSimulation failed");
      return;
    }
    tickets += n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(tickets));
}

void BM_Sim_MMc_MinimalLoop(benchmark::State& state) {
  double tickets = 0;
  uint64_t seed = 1;
  for (auto _ : state) tickets += RunMinimal(kTickets, seed++);
  state.SetItemsProcessed(static_cast<int64_t>(tickets));
}

// The three, alternately, timed by hand; the ratios as counters. Fails if
// the bare policy's waits differ from the real FIFO's (it would not be
// simulating the same desk).
void BM_Sim_MMc_RealVsMinimal(benchmark::State& state) {
  const v1::SimScenario scenario = Scenario(kTickets);
  const SimOptions bare = BareOptions();
  double real_tickets = 0, real_seconds = 0;
  double bare_tickets = 0, bare_seconds = 0;
  double minimal_tickets = 0, minimal_seconds = 0;
  uint64_t seed = 1;
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point from) {
    return std::chrono::duration<double>(Clock::now() - from).count();
  };
  for (auto _ : state) {
    double real_wait = 0, bare_wait = 0;
    Clock::time_point t0 = Clock::now();
    const double n = RunReal(scenario, {}, &real_wait);
    real_seconds += seconds(t0);
    t0 = Clock::now();
    const double b = RunReal(scenario, bare, &bare_wait);
    bare_seconds += seconds(t0);
    if (n < 0 || b < 0) {
      state.SkipWithError("RunSimulation failed");
      return;
    }
    if (real_wait != bare_wait) {
      state.SkipWithError("the bare policy's waits differ from FIFO's");
      return;
    }
    real_tickets += n;
    bare_tickets += b;
    t0 = Clock::now();
    minimal_tickets += RunMinimal(kTickets, seed++);
    minimal_seconds += seconds(t0);
  }
  const double real_rate = real_tickets / real_seconds;
  const double bare_rate = bare_tickets / bare_seconds;
  const double minimal_rate = minimal_tickets / minimal_seconds;
  state.counters["real_tickets_per_s"] = real_rate;
  state.counters["minimal_tickets_per_s"] = minimal_rate;
  state.counters["real_over_minimal"] = real_rate / minimal_rate;
  state.counters["bare_over_minimal"] = bare_rate / minimal_rate;
  state.counters["real_over_simpy"] = real_rate / SimPyTicketsPerSecond();
}

BENCHMARK(BM_Sim_MMc_RealFifo)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_Sim_MMc_BarePolicy)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_Sim_MMc_MinimalLoop)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_Sim_MMc_RealVsMinimal)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace helpdesk

BENCHMARK_MAIN();
