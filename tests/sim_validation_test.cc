// Validation of the simulator against queueing theory: FIFO on M/M/c must
// agree with Erlang C (probability of waiting, mean wait, service level)
// within the simulator's own 95% confidence intervals, for c in {1, 5, 20,
// 50, 200} and utilisation in {0.5, 0.8, 0.95}.
//
// Each case runs `kReplications` independent replications (fixed seeds, so
// the test is deterministic) through the public RunSimulation() with the real
// FIFO policy; the first 10% of each run (at least many relaxation times of
// the queue) is warm-up and not measured. The confidence intervals are
// Student's t over replication means.
//
// How "agree" is checked. With 15 cases x 3 figures = 45 intervals at 95%, a
// correct simulator misses about 2 of them by chance, so demanding all 45
// would make the test a lottery on the seed. The test therefore asserts what
// a correct simulator satisfies reliably and a wrong one does not:
//   1. every figure lies within its own 99.9% interval (a Bonferroni bound:
//      all 45 hold with probability >= 95% for a correct simulator);
//   2. at least 40 of the 45 lie within their 95% intervals (a correct
//      simulator averages 42.75);
// and it prints the whole table, so the coverage is visible in the log.
//
// Rare events. Where waiting is rare (P(wait) from 1e-18 to 0.004 at c = 20,
// 50, 200 with utilisation 0.5, and c = 200 at 0.8) the few waits come in
// bursts, so over feasible run lengths the replication means are far from
// normal and the t interval is not trustworthy (it may even be 0 wide when no
// ticket waited). Differences below kProbabilityFloor (probabilities) and
// kWaitFloor x the mean handling time (waits) therefore count as agreement:
// they are below anything a staffing decision could notice.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "helpdesk/sim.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr double kScale = 0.25;  // sanitizers are ~4x slower
#else
constexpr double kScale = 1.0;
#endif

constexpr int kReplications = 10;
constexpr double kHandlingSeconds = 60;

struct Case {
  int agents;
  double utilisation;
  // Tickets per replication (before scaling), warm-up included.
  double tickets;
};

struct Check {
  std::string what;
  double theory;
  Estimate sim;
  double floor;
};

// The two-sided 99.9% t quantile for 9 degrees of freedom.
constexpr double kT9_999 = 4.781;
constexpr double kProbabilityFloor = 0.002;
constexpr double kWaitFloor = 0.002;

TEST(SimValidationTest, FifoOnMMcAgreesWithErlangC) {
  // Run lengths: long enough that the warm-up spans several relaxation times
  // of the queue (about h / (c (1 - sqrt(rho))^2): 1600 handling times for
  // M/M/1 at 0.95) and the intervals are useful; about 3.4 million tickets
  // in all, some 35 s of CPU in a debug build.
  const Case cases[] = {
      {1, 0.5, 8000},   {1, 0.8, 20000},   {1, 0.95, 70000},
      {5, 0.5, 8000},   {5, 0.8, 20000},   {5, 0.95, 40000},
      {20, 0.5, 8000},  {20, 0.8, 20000},  {20, 0.95, 30000},
      {50, 0.5, 8000},  {50, 0.8, 20000},  {50, 0.95, 30000},
      {200, 0.5, 8000}, {200, 0.8, 20000}, {200, 0.95, 30000},
  };
  std::vector<Check> checks;
  for (const Case& c : cases) {
    const double rate_per_second = c.utilisation * c.agents / kHandlingSeconds;
    const double duration = c.tickets * kScale / rate_per_second;
    // Service level at a quarter of the mean handling time.
    const double target = kHandlingSeconds / 4;
    v1::SimScenario s;
    s.set_name(absl::StrCat("M/M/", c.agents, " at ", c.utilisation));
    s.set_seed(20260105 + c.agents * 100 + static_cast<int>(c.utilisation * 100));
    s.set_replications(kReplications);
    s.set_duration_seconds(duration);
    s.set_warmup_seconds(duration / 10);
    s.set_service_level_seconds(target);
    v1::SimTicketType* type = s.add_ticket_types();
    type->set_name("call");
    type->set_channel(v1::CHANNEL_PHONE);
    type->mutable_handling_time()->mutable_exponential()->set_mean_seconds(
        kHandlingSeconds);
    v1::SimArrivals* arrivals = s.add_arrivals();
    arrivals->set_ticket_type("call");
    arrivals->set_rate_per_hour(rate_per_second * 3600);
    v1::SimAgents* agents = s.add_agents();
    agents->set_name("agent");
    agents->set_count(c.agents);
    v1::ChannelCapacity* capacity = agents->add_capacity();
    capacity->set_channel(v1::CHANNEL_PHONE);
    capacity->set_max_items(1);
    s.add_policies()->mutable_policy()->mutable_fifo();

    ASSERT_OK_AND_ASSIGN(SimReport report, RunSimulation(s));
    ASSERT_EQ(report.policies.size(), 1u);
    const SimPolicyResult& sim = report.policies[0];
    const ErlangCQueue queue{.arrivals_per_hour = rate_per_second * 3600,
                             .mean_handling_time = absl::Seconds(kHandlingSeconds),
                             .agents = c.agents};
    ASSERT_OK_AND_ASSIGN(ErlangCResult theory, ErlangC(queue));
    ASSERT_OK_AND_ASSIGN(double sl,
                         ErlangCServiceLevel(queue, absl::Seconds(target)));
    const std::string name = absl::StrCat("c=", c.agents, " rho=", c.utilisation);
    checks.push_back({name + " P(wait)", theory.probability_of_waiting,
                      sim.probability_of_waiting, kProbabilityFloor});
    checks.push_back({name + " mean wait", absl::ToDoubleSeconds(theory.mean_wait),
                      sim.wait_mean, kWaitFloor * kHandlingSeconds});
    checks.push_back({name + " service level", sl, sim.service_level,
                      kProbabilityFloor});
    // Sanity: the simulated utilisation is the offered one.
    EXPECT_NEAR(sim.utilisation.mean, c.utilisation,
                std::max(0.02, 3 * sim.utilisation.ci95))
        << name;
  }

  const double t95 = StudentT975(kReplications - 1);
  int within95 = 0;
  std::string table = absl::StrFormat("%-28s %14s %14s %12s %7s\n", "figure",
                                      "Erlang C", "simulated", "95% +-", "t");
  for (const Check& k : checks) {
    const double error = std::fabs(k.sim.mean - k.theory);
    const double ci = std::isnan(k.sim.ci95) ? 0 : k.sim.ci95;
    const bool in95 = error <= std::max(ci, k.floor);
    within95 += in95;
    const double t = ci > 0 ? error / (ci / t95) : 0;
    absl::StrAppendFormat(&table, "%-28s %14.6g %14.6g %12.3g %7.2f%s\n",
                          k.what, k.theory, k.sim.mean, ci, t,
                          in95 ? (error <= ci ? "" : "  (within the floor)")
                               : "  outside 95%");
    EXPECT_LE(error, std::max(ci * kT9_999 / t95, k.floor))
        << k.what << ": outside even the 99.9% interval";
  }
  absl::StrAppendFormat(&table, "%d of %zu within their 95%% intervals\n",
                        within95, checks.size());
  std::printf("%s", table.c_str());
  EXPECT_GE(within95, 40) << table;
}

}  // namespace
}  // namespace helpdesk
