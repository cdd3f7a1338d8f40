// Simulator runs: budgets, arrivals, shifts, abandonment, trace replay,
// determinism, host policies and the report formats.
#include "helpdesk/sim.h"

#include "sim_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------
// Running.


TEST(SimBudgetTest, EstimateCountsRatesDurationReplicationsAndPolicies) {
  // 20 an hour for a day, 2 replications, one policy (FIFO by default).
  ASSERT_OK_AND_ASSIGN(v1::SimScenario scenario, ParseSimScenario(WithArrivals()));
  ASSERT_OK_AND_ASSIGN(SimCost cost, EstimateSimulation(scenario));
  EXPECT_NEAR(cost.tickets_per_replication, 480, 1e-6);
  EXPECT_EQ(cost.replications, 2);
  EXPECT_EQ(cost.policies, 1);
  EXPECT_NEAR(cost.tickets, 960, 1e-6);
  EXPECT_GT(cost.memory_bytes, 480 * 100);

  // Over whole weeks, the multipliers' mean: 8 hours at 3 a day = 1 on
  // average, weekends off = 5/7.
  ASSERT_OK_AND_ASSIGN(
      scenario,
      ParseSimScenario(absl::StrCat(
          "duration_seconds: 1209600 seed: 3 replications: 1\n", kTypes, kAgents,
          "arrivals { ticket_type: \"question\" rate_per_hour: 7 "
          "hourly_multipliers: [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, "
          "0, 0, 0, 0, 0, 0, 0] weekday_multipliers: [1, 1, 1, 1, 1, 0, 0] }\n",
          "policies { policy { fifo {} } } policies { policy { round_robin {} } }")));
  ASSERT_OK_AND_ASSIGN(cost, EstimateSimulation(scenario));
  EXPECT_NEAR(cost.tickets_per_replication, 7 * (5.0 / 7) * 24 * 14, 1e-6);
  EXPECT_NEAR(cost.tickets, 2 * 7 * (5.0 / 7) * 24 * 14, 1e-6);
}

TEST(SimBudgetTest, ARunAboveItsTicketBudgetIsRefusedWithTheEstimate) {
  ASSERT_OK_AND_ASSIGN(v1::SimScenario scenario, ParseSimScenario(WithArrivals()));
  EXPECT_THAT(
      RunSimulation(scenario, {.max_tickets = 900}),
      StatusIs(absl::StatusCode::kResourceExhausted,
               AllOf(HasSubstr("about 960 tickets (480 per replication x 2 "
                               "replications x 1 policies)"),
                     HasSubstr("above the budget of 900 tickets"))));
  ASSERT_OK_AND_ASSIGN(SimReport report,
                       RunSimulation(scenario, {.max_tickets = 1000}));
  EXPECT_GT(report.tickets_simulated, 0);
}

// Regression: the largest rates ran until memory ran out; now the default
// budget refuses them at once.
TEST(SimBudgetTest, AHugeRunIsRefusedBeforeItStarts) {
  ASSERT_OK_AND_ASSIGN(
      v1::SimScenario scenario,
      ParseSimScenario(absl::StrCat(
          "duration_seconds: 315360000 seed: 3 replications: 1000\n", kTypes,
          kAgents, "arrivals { ticket_type: \"question\" rate_per_hour: 1e7 }")));
  EXPECT_THAT(RunSimulation(scenario),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("about 8.76e+14 tickets"),
                             HasSubstr("above the budget of 100000000 tickets"))));
  // Within the ticket budget, above the memory budget.
  scenario.set_replications(1);
  EXPECT_THAT(
      RunSimulation(scenario, {.max_tickets = int64_t{1} << 62}),
      StatusIs(absl::StatusCode::kResourceExhausted,
               AllOf(HasSubstr("MiB of memory (8.76e+11 tickets per replication"),
                     HasSubstr("above the budget of 4096 MiB"))));
}

TEST(SimulationTest, ReplaysATraceExactly) {
  // One agent; three tickets at once, each 60 s of work: waits 0, 60, 120.
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(R"pb(
        duration_seconds: 3600 replications: 1 service_level_seconds: 60
        ticket_types {
          name: "q" channel: CHANNEL_EMAIL
          handling_time { exponential { mean_seconds: 999 } }
        }
        agents { name: "solo" count: 1 capacity { channel: CHANNEL_EMAIL max_items: 1 } }
        trace { csv: "arrival_seconds,ticket_type,handling_seconds\n0,q,60\n0,q,60\n0,q,60\n" }
      )pb"));
  ASSERT_EQ(r.policies.size(), 1u);
  const SimPolicyResult& p = r.policies[0];
  EXPECT_EQ(p.label, "fifo");
  EXPECT_EQ(p.policy_name, "helpdesk.fifo");
  EXPECT_EQ(p.tickets, 3);
  EXPECT_DOUBLE_EQ(p.wait_mean.mean, 60);
  EXPECT_DOUBLE_EQ(p.wait_p50.mean, 60);
  EXPECT_NEAR(p.probability_of_waiting.mean, 2.0 / 3, 1e-12);
  EXPECT_NEAR(p.service_level.mean, 2.0 / 3, 1e-12);
  EXPECT_NEAR(p.sla_breach_rate.mean, 1.0 / 3, 1e-12);
  // Busy 180 s of the 3600 s hour.
  EXPECT_NEAR(p.utilisation.mean, 180.0 / 3600, 1e-12);
  EXPECT_TRUE(std::isnan(p.wait_mean.ci95));  // one replication
  EXPECT_EQ(r.tickets_simulated, 3);
}

TEST(SimulationTest, RequestersWhoRunOutOfPatienceAbandon) {
  // Agents work 09:00-10:00 only; tickets arrive at 08:00 and wait 30 min at
  // most, or until 11:00: the first abandon, the others are answered.
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(R"pb(
        duration_seconds: 43200 replications: 1
        ticket_types {
          name: "q" channel: CHANNEL_EMAIL
          handling_time { constant_seconds: 60 }
        }
        agents {
          name: "morning" count: 1
          capacity { channel: CHANNEL_EMAIL max_items: 5 }
          shifts { days: [WEEKDAY_MONDAY] intervals { open: "09:00" close: "10:00" } }
        }
        trace {
          csv: "arrival_seconds,ticket_type,patience_seconds\n28800,q,1800\n28800,q,7200\n32000,q,\n"
        }
      )pb"));
  const SimPolicyResult& p = r.policies[0];
  EXPECT_EQ(p.tickets, 3);
  EXPECT_NEAR(p.abandonment_rate.mean, 1.0 / 3, 1e-12);
  EXPECT_NEAR(p.unanswered_rate.mean, 0, 1e-12);
  // Answered at 09:00: waits 3600 and 400 s.
  EXPECT_DOUBLE_EQ(p.wait_mean.mean, (3600 + 400) / 2.0);
  // On shift one hour, busy for 60 s (both at once).
  EXPECT_NEAR(p.utilisation.mean, 60.0 / 3600, 1e-12);
}

TEST(SimulationTest, RatesFollowTheHourAndWeekday) {
  // 60 per hour, but only 09:00-10:00 on weekdays: 5 hours a week.
  std::string hourly;
  for (int h = 0; h < 24; ++h) absl::StrAppend(&hourly, h ? ", " : "", h == 9 ? 1 : 0);
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(absl::StrCat(R"pb(
        duration_seconds: 604800 replications: 4 seed: 11
        ticket_types { name: "q" channel: CHANNEL_EMAIL handling_time { constant_seconds: 1 } }
        agents { name: "a" count: 2 capacity { channel: CHANNEL_EMAIL max_items: 1 } }
        arrivals { ticket_type: "q" rate_per_hour: 60
                   weekday_multipliers: [1, 1, 1, 1, 1, 0, 0]
                   hourly_multipliers: [)pb",
                       hourly, "] }")));
  // Poisson with mean 300: well within 250..350 for each of 4 replications'
  // mean.
  EXPECT_GT(r.policies[0].tickets, 250);
  EXPECT_LT(r.policies[0].tickets, 350);
}

TEST(SimulationTest, SameScenarioSameReportAndPoliciesSeeTheSameTickets) {
  const std::string text = Scenario(R"pb(
    ticket_types {
      name: "billing" channel: CHANNEL_EMAIL vip_share: 0.2
      required_skills { name: "billing" level: 3 }
      handling_time { log_normal { mean_seconds: 600 stddev_seconds: 400 } }
      handling_by_skill { skill: "billing" min_level: 5
                          handling_time { empirical { seconds: [100, 200, 300] } } }
      patience { exponential { mean_seconds: 1800 } }
    }
    arrivals { ticket_type: "question" rate_per_hour: 12 }
    arrivals { ticket_type: "billing" rate_per_hour: 8 }
    agents { name: "generalist" count: 2 capacity { channel: CHANNEL_EMAIL max_items: 2 } }
    policies { policy { fifo {} } }
    policies { policy { round_robin {} } }
    policies { policy { least_loaded {} } }
    policies { policy { skills { relaxations { after_seconds: 300 drop_skills: true } } } }
    policies { policy { priority_aging {} } }
    policies { label: "sticky" policy { newest_first {} sticky_owner {} } }
  )pb");
  ASSERT_OK_AND_ASSIGN(SimReport a, Simulate(text));
  ASSERT_OK_AND_ASSIGN(SimReport b, Simulate(text));
  EXPECT_EQ(SimReportCsv(a), SimReportCsv(b));
  EXPECT_EQ(SimReportSvg(a), SimReportSvg(b));
  ASSERT_EQ(a.policies.size(), 6u);
  for (const SimPolicyResult& p : a.policies) {
    EXPECT_EQ(p.tickets, a.policies[0].tickets) << p.label;
    EXPECT_EQ(p.agent_names.size(), 5u);
    EXPECT_GT(p.utilisation.mean, 0.1) << p.label;
  }
  EXPECT_EQ(a.policies[3].label, "helpdesk.skills");
  EXPECT_EQ(a.policies[5].policy_name, "helpdesk.sticky_owner(helpdesk.newest_first)");
}

TEST(SimulationTest, SkillsRoutingUsesTheFasterSpecialists) {
  // Specialists handle "billing" in 2 minutes, generalists in 20; requests
  // come in faster than generalists alone could keep up with.
  const std::string scenario = R"pb(
    duration_seconds: 86400 warmup_seconds: 3600 replications: 3 seed: 5
    ticket_types {
      name: "billing" channel: CHANNEL_EMAIL
      required_skills { name: "billing" level: 5 }
      handling_time { exponential { mean_seconds: 1200 } }
      handling_by_skill { skill: "billing" min_level: 5
                          handling_time { exponential { mean_seconds: 120 } } }
    }
    arrivals { ticket_type: "billing" rate_per_hour: 20 }
    agents { name: "specialist" count: 1 skills { name: "billing" level: 8 }
             capacity { channel: CHANNEL_EMAIL max_items: 1 } }
    agents { name: "generalist" count: 8 skills { name: "billing" level: 1 }
             capacity { channel: CHANNEL_EMAIL max_items: 1 } }
    policies { policy { least_loaded {} } }
    policies { policy { skills {} } }
  )pb";
  ASSERT_OK_AND_ASSIGN(SimReport r, Simulate(scenario));
  const SimPolicyResult& spread = r.policies[0];
  const SimPolicyResult& skills = r.policies[1];
  // Only the specialist works under skills routing; everyone under
  // least-loaded.
  EXPECT_GT(skills.agent_utilisation[0].mean, 0.5);
  EXPECT_EQ(skills.agent_utilisation[1].mean, 0);
  EXPECT_GT(spread.agent_utilisation[1].mean, 0.05);
  EXPECT_LT(skills.fairness.mean, spread.fairness.mean);
}

TEST(SimulationTest, FiguresByTicketTypeAndVip) {
  // Priority aging serves urgent and VIP tickets first, which shows in their
  // own figures; the segments add up to the whole.
  const std::string scenario = R"pb(
    duration_seconds: 172800 warmup_seconds: 3600 replications: 2 seed: 11
    service_level_seconds: 600
    ticket_types {
      name: "urgent" channel: CHANNEL_EMAIL priority: PRIORITY_URGENT
      vip_share: 0.3
      handling_time { exponential { mean_seconds: 300 } }
    }
    ticket_types {
      name: "routine" channel: CHANNEL_EMAIL priority: PRIORITY_LOW
      vip_share: 0.3
      handling_time { exponential { mean_seconds: 300 } }
    }
    arrivals { ticket_type: "urgent" rate_per_hour: 10 }
    arrivals { ticket_type: "routine" rate_per_hour: 22 }
    agents { name: "desk" count: 3
             capacity { channel: CHANNEL_EMAIL max_items: 1 } }
    policies { label: "aging" policy { priority_aging {} } }
  )pb";
  ASSERT_OK_AND_ASSIGN(SimReport r, Simulate(scenario));
  const SimPolicyResult& p = r.policies[0];
  ASSERT_EQ(p.by_ticket_type.size(), 2u);
  ASSERT_EQ(p.by_vip.size(), 2u);
  const SimSegmentResult& urgent = p.by_ticket_type[0];
  const SimSegmentResult& routine = p.by_ticket_type[1];
  const SimSegmentResult& vip = p.by_vip[0];
  const SimSegmentResult& other = p.by_vip[1];
  EXPECT_EQ(urgent.name, "urgent");
  EXPECT_EQ(routine.name, "routine");
  EXPECT_EQ(vip.name, "vip");
  EXPECT_EQ(other.name, "non-vip");
  EXPECT_NEAR(urgent.tickets + routine.tickets, p.tickets, 1e-6);
  EXPECT_NEAR(vip.tickets + other.tickets, p.tickets, 1e-6);
  EXPECT_GT(urgent.tickets, 300);
  EXPECT_GT(vip.tickets, 300);
  EXPECT_LT(urgent.wait_mean.mean, routine.wait_mean.mean);
  EXPECT_LT(urgent.wait_p90.mean, routine.wait_p90.mean);
  EXPECT_GT(urgent.service_level.mean, routine.service_level.mean);
  EXPECT_LT(vip.wait_mean.mean, other.wait_mean.mean);
  EXPECT_GT(vip.service_level.mean, other.service_level.mean);
  // The whole lies between its parts.
  EXPECT_GE(p.wait_mean.mean, urgent.wait_mean.mean);
  EXPECT_LE(p.wait_mean.mean, routine.wait_mean.mean);
  EXPECT_GE(p.service_level.mean, routine.service_level.mean);
  EXPECT_LE(p.service_level.mean, urgent.service_level.mean);

  const std::string table = SimReportTable(r);
  EXPECT_THAT(table, HasSubstr("by ticket type and VIP:"));
  EXPECT_THAT(table, HasSubstr("type:urgent"));
  EXPECT_THAT(table, HasSubstr("non-vip"));
  const std::string csv = SimReportCsv(r);
  EXPECT_THAT(csv, HasSubstr("aging,wait_p90_seconds:type:routine,"));
  EXPECT_THAT(csv, HasSubstr("aging,service_level:vip,"));
  EXPECT_THAT(csv, HasSubstr("aging,tickets_per_replication:non-vip,"));
}

TEST(SimulationTest, HostPoliciesRunThroughOptions) {
  int made = 0;
  SimOptions options;
  options.policies.push_back({"mine", [&made]() {
                                ++made;
                                return absl::StatusOr<std::unique_ptr<RoutingPolicy>>(
                                    NewLeastLoadedPolicy());
                              }});
  ASSERT_OK_AND_ASSIGN(SimReport r, Simulate(WithArrivals(), options));
  ASSERT_EQ(r.policies.size(), 1u);
  EXPECT_EQ(r.policies[0].label, "mine");
  EXPECT_EQ(made, 2);  // one per replication
}

// A policy that breaks the contract: it assigns to an agent who is full.
class Greedy : public RoutingPolicyWrapper {
 public:
  explicit Greedy(std::unique_ptr<RoutingPolicy> base)
      : RoutingPolicyWrapper(base.get()), base_(std::move(base)) {}
  absl::string_view Name() const override { return "test.greedy"; }
  absl::StatusOr<Assignment> Next(absl::Time now) override {
    absl::StatusOr<Assignment> a = RoutingPolicyWrapper::Next(now);
    if (a.ok()) a->agent_id = 1;
    return a;
  }

 private:
  std::unique_ptr<RoutingPolicy> base_;
};

TEST(SimulationTest, APolicyThatBreaksTheContractIsAnInternalError) {
  SimOptions options;
  options.policies.push_back({"greedy", []() {
                                return absl::StatusOr<std::unique_ptr<RoutingPolicy>>(
                                    std::make_unique<Greedy>(NewFifoPolicy()));
                              }});
  EXPECT_THAT(Simulate(WithArrivals(), options),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("policy 'greedy' (test.greedy)"),
                             HasSubstr("at capacity"))));
  options.policies[0].make = [] {
    return absl::StatusOr<std::unique_ptr<RoutingPolicy>>(
        absl::UnavailableError("no"));
  };
  EXPECT_THAT(Simulate(WithArrivals(), options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("policy 'greedy': no")));
}

TEST(SimReportTest, TableCsvAndSvg) {
  ASSERT_OK_AND_ASSIGN(SimReport r,
                       Simulate(WithArrivals("name: \"a <small> desk\" "
                                        "policies { label: \"first, in\" "
                                        "policy { fifo {} } }")));
  const std::string table = SimReportTable(r);
  EXPECT_THAT(table, HasSubstr("scenario: a <small> desk; 2 replications"));
  EXPECT_THAT(table, HasSubstr("wait mean s"));
  EXPECT_THAT(table, HasSubstr("first, in"));
  EXPECT_THAT(table, HasSubstr("±"));
  const std::string csv = SimReportCsv(r);
  EXPECT_THAT(csv, StartsWith("policy,metric,mean,ci95,replications\n"));
  EXPECT_THAT(csv, HasSubstr("\"first, in\",wait_mean_seconds,"));
  EXPECT_THAT(csv, HasSubstr("\"first, in\",utilisation:desk-3,"));
  const std::string svg = SimReportSvg(r);
  EXPECT_THAT(svg, StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, EndsWith("</svg>\n"));
  EXPECT_THAT(svg, HasSubstr("a &lt;small&gt; desk"));
  EXPECT_THAT(svg, Not(HasSubstr("<small>")));
}

}  // namespace
}  // namespace helpdesk
