// The simulator and the Erlang C calculator: exact values, bad input (each
// with a clear status), arrivals, shifts, abandonment, trace replay,
// determinism, host policies and the report formats. Agreement with queueing
// theory is in sim_validation_test.cc.
#include "helpdesk/sim.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/routing.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::DoubleNear;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------
// Erlang C. Expected values were computed independently with exact rational
// arithmetic (factorials), not with the recurrence under test.

TEST(ErlangCTest, MatchesExactValues) {
  ASSERT_OK_AND_ASSIGN(
      ErlangCResult r,
      ErlangC({.arrivals_per_hour = 100,
               .mean_handling_time = absl::Minutes(6),
               .agents = 12}));
  EXPECT_DOUBLE_EQ(r.offered_load, 10);
  EXPECT_NEAR(r.utilisation, 10.0 / 12, 1e-15);
  EXPECT_NEAR(r.probability_of_waiting, 0.449388224298271, 1e-12);
  EXPECT_NEAR(absl::ToDoubleSeconds(r.mean_wait), 0.224694112149135 * 360,
              1e-9);

  // M/M/1: P(wait) = rho, mean wait = rho h / (1 - rho).
  ASSERT_OK_AND_ASSIGN(r, ErlangC({.arrivals_per_hour = 30,
                                   .mean_handling_time = absl::Minutes(1),
                                   .agents = 1}));
  EXPECT_NEAR(r.probability_of_waiting, 0.5, 1e-15);
  EXPECT_NEAR(absl::ToDoubleSeconds(r.mean_wait), 60, 1e-9);

  ASSERT_OK_AND_ASSIGN(r, ErlangC({.arrivals_per_hour = 190 * 3600.0,
                                   .mean_handling_time = absl::Seconds(1),
                                   .agents = 200}));
  EXPECT_NEAR(r.probability_of_waiting, 0.365263856562546, 1e-12);
  ASSERT_OK_AND_ASSIGN(r, ErlangC({.arrivals_per_hour = 100 * 3600.0,
                                   .mean_handling_time = absl::Seconds(1),
                                   .agents = 200}));
  EXPECT_NEAR(r.probability_of_waiting / 9.43394120558523e-19, 1, 1e-9);
}

TEST(ErlangCTest, StaysFiniteForThousandsOfAgents) {
  for (int c : {200, 1000, 5000}) {
    ASSERT_OK_AND_ASSIGN(
        ErlangCResult r,
        ErlangC({.arrivals_per_hour = 0.97 * c * 3600,
                 .mean_handling_time = absl::Seconds(1),
                 .agents = c}));
    EXPECT_TRUE(std::isfinite(r.probability_of_waiting)) << c;
    EXPECT_GT(r.probability_of_waiting, 0) << c;
    EXPECT_LT(r.probability_of_waiting, 1) << c;
  }
}

TEST(ErlangCTest, ServiceLevelAndStaffing) {
  const ErlangCQueue q{.arrivals_per_hour = 100,
                       .mean_handling_time = absl::Minutes(6),
                       .agents = 12};
  ASSERT_OK_AND_ASSIGN(double sl, ErlangCServiceLevel(q, absl::Seconds(72)));
  EXPECT_NEAR(sl, 0.698766064800509, 1e-12);
  ASSERT_OK_AND_ASSIGN(double all, ErlangCServiceLevel(q, absl::ZeroDuration()));
  EXPECT_NEAR(all, 1 - 0.449388224298271, 1e-12);
  EXPECT_THAT(ErlangCAgentsFor(100, absl::Minutes(6), absl::Seconds(20), 0.8),
              ::helpdesk::testing::IsOk());
  EXPECT_EQ(*ErlangCAgentsFor(100, absl::Minutes(6), absl::Seconds(20), 0.8),
            14);
  EXPECT_THAT(ErlangCAgentsFor(1e6, absl::Hours(1), absl::Seconds(20), 0.8, 50),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(ErlangCTest, BadArgumentsAreClearErrors) {
  EXPECT_THAT(ErlangC({.arrivals_per_hour = -1,
                       .mean_handling_time = absl::Minutes(1),
                       .agents = 1}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("arrivals_per_hour: -1")));
  EXPECT_THAT(ErlangC({.arrivals_per_hour = 10,
                       .mean_handling_time = absl::ZeroDuration(),
                       .agents = 1}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mean_handling_time")));
  EXPECT_THAT(ErlangC({.arrivals_per_hour = 10,
                       .mean_handling_time = absl::Minutes(1),
                       .agents = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("agents: 0")));
  EXPECT_THAT(ErlangC({.arrivals_per_hour = 120,
                       .mean_handling_time = absl::Minutes(1),
                       .agents = 2}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("grow without bound")));
  EXPECT_THAT(ErlangCServiceLevel({.arrivals_per_hour = 10,
                                   .mean_handling_time = absl::Minutes(1),
                                   .agents = 1},
                                  absl::Seconds(-1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target")));
  EXPECT_THAT(ErlangCAgentsFor(10, absl::Minutes(1), absl::Seconds(20), 1.5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("service_level: 1.5")));
}

TEST(StudentTTest, KnownQuantiles) {
  EXPECT_NEAR(StudentT975(1), 12.706, 1e-3);
  EXPECT_NEAR(StudentT975(9), 2.262, 1e-3);
  EXPECT_NEAR(StudentT975(30), 2.042, 1e-3);
  EXPECT_NEAR(StudentT975(40), 2.021, 1e-3);
  EXPECT_NEAR(StudentT975(120), 1.980, 1e-3);
  EXPECT_NEAR(StudentT975(100000), 1.960, 1e-3);
  EXPECT_TRUE(std::isnan(StudentT975(0)));
}

// ---------------------------------------------------------------------------
// Scenarios and their errors.

constexpr char kAgents[] = R"pb(
  agents {
    name: "desk" count: 3
    skills { name: "billing" level: 5 }
    capacity { channel: CHANNEL_EMAIL max_items: 1 }
  }
)pb";

constexpr char kTypes[] = R"pb(
  ticket_types {
    name: "question" channel: CHANNEL_EMAIL
    handling_time { exponential { mean_seconds: 300 } }
  }
)pb";

std::string Scenario(absl::string_view extra) {
  return absl::StrCat("duration_seconds: 86400 seed: 3 replications: 2\n",
                      kTypes, kAgents, extra);
}

std::string WithArrivals(absl::string_view extra = "") {
  return Scenario(absl::StrCat(
      "arrivals { ticket_type: \"question\" rate_per_hour: 20 }\n", extra));
}

TEST(SimScenarioTest, AGoodScenarioParses) {
  EXPECT_THAT(ParseSimScenario(WithArrivals()), IsOk());
}

TEST(SimScenarioTest, UnknownFieldsNameTheLine) {
  EXPECT_THAT(
      ParseSimScenario("duration_seconds: 60\nrate_per_minute: 3\n", "desk.txt"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("desk.txt: line 2, column"),
                     HasSubstr("rate_per_minute"))));
}

TEST(SimScenarioTest, NegativeRatesAreRefused) {
  EXPECT_THAT(
      ParseSimScenario(Scenario(
          "arrivals { ticket_type: \"question\" rate_per_hour: -5 }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("arrivals[0].rate_per_hour: -5 must be finite and "
                         ">= 0")));
  EXPECT_THAT(
      ParseSimScenario(Scenario(
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 "
          "hourly_multipliers: [1, 2] }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("arrivals[0].hourly_multipliers: 2 values")));
  EXPECT_THAT(
      ParseSimScenario(Scenario(
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 "
          "weekday_multipliers: [1, 1, 1, 1, 1, -1, 1] }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("weekday_multipliers[5]: -1")));
}

TEST(SimScenarioTest, ZeroAgentsAreRefused) {
  EXPECT_THAT(ParseSimScenario(absl::StrCat(
                  "duration_seconds: 600\n", kTypes,
                  "arrivals { ticket_type: \"question\" rate_per_hour: 5 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("agents: none given")));
  EXPECT_THAT(
      ParseSimScenario(absl::StrCat(
          "duration_seconds: 600\n", kTypes,
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 }",
          "agents { name: \"a\" count: 0 capacity { channel: CHANNEL_EMAIL "
          "max_items: 1 } }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("agents[0].count: 0 must be >= 1")));
}

// Regression: the agent counts were summed in an int, so 8 + 2147483647
// wrapped below the 100,000-agent limit and the run tried to make two
// billion agents.
TEST(SimScenarioTest, AgentCountsThatWouldWrapAreRefused) {
  auto team = [](absl::string_view name, int count) {
    return absl::StrCat("agents { name: \"", name, "\" count: ", count,
                        " capacity { channel: CHANNEL_EMAIL max_items: 1 } }\n");
  };
  EXPECT_THAT(
      ParseSimScenario(absl::StrCat(
          "duration_seconds: 600\n", kTypes,
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 }",
          team("a", 8), team("b", 2147483647))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("agents[1].count: 2147483647 brings the agents to "
                         "2147483655, above the limit of 100000")));
  // Many teams, each below the limit, together above it.
  std::string teams;
  for (int i = 0; i < 3; ++i) {
    absl::StrAppend(&teams, team(absl::StrCat("t", i), 2147483647 / 2));
  }
  EXPECT_THAT(ParseSimScenario(absl::StrCat(
                  "duration_seconds: 600\n", kTypes,
                  "arrivals { ticket_type: \"question\" rate_per_hour: 5 }",
                  team("small", 99999), team("one", 2))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("agents[1].count: 2 brings the agents to 100001")));
  EXPECT_THAT(ParseSimScenario(absl::StrCat(
                  "duration_seconds: 600\n", kTypes,
                  "arrivals { ticket_type: \"question\" rate_per_hour: 5 }", teams)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("agents[0].count: 1073741823")));
}

// Regression: rate_per_hour had no upper bound (1e300 ran until the kernel
// killed the process).
TEST(SimScenarioTest, UnboundedRatesAreRefused) {
  EXPECT_THAT(
      ParseSimScenario(Scenario(
          "arrivals { ticket_type: \"question\" rate_per_hour: 1e300 }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("arrivals[0].rate_per_hour: 1e+300 is above the limit "
                         "of 1e+07 tickets per hour")));
  EXPECT_THAT(
      ParseSimScenario(Scenario(absl::StrCat(
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 "
          "hourly_multipliers: [",
          absl::StrJoin(std::vector<std::string>(23, "1"), ", "), ", 1e300] }"))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("arrivals[0].hourly_multipliers[23]: 1e+300 must be "
                         "finite, >= 0 and <= 1000")));
  EXPECT_THAT(
      ParseSimScenario(Scenario(
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 "
          "weekday_multipliers: [1, 1, 1, 1, 1, 1, 1001] }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("weekday_multipliers[6]: 1001")));
  // The largest rate allowed validates; running it is the budget's call.
  EXPECT_THAT(ParseSimScenario(Scenario(
                  "arrivals { ticket_type: \"question\" rate_per_hour: 1e7 }")),
              IsOk());
}

// Shifts are compiled day by day over the run: ten years of a long list of
// intervals is refused before it is built.
TEST(SimScenarioTest, ShiftIntervalsAreBounded) {
  std::string intervals;
  for (int i = 0; i < 5000; ++i) {
    absl::StrAppend(&intervals, "intervals { open: \"09:00\" close: \"17:00\" }\n");
  }
  EXPECT_THAT(
      ParseSimScenario(absl::StrCat(
          "duration_seconds: 315000000\n", kTypes,
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 }",
          "agents { name: \"a\" count: 1 capacity { channel: CHANNEL_EMAIL "
          "max_items: 1 } shifts { days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY] ",
          intervals, "} }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("agents[0].shifts: 10000 intervals a week bring the shift "
                         "intervals over the run to 10430000, above the limit of "
                         "10000000")));
}

TEST(SimScenarioTest, CapacityZeroIsRefused) {
  EXPECT_THAT(
      ParseSimScenario(absl::StrCat(
          "duration_seconds: 600\n", kTypes,
          "arrivals { ticket_type: \"question\" rate_per_hour: 5 }",
          "agents { name: \"a\" count: 2 capacity { channel: CHANNEL_EMAIL "
          "max_items: 0 } }")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("agents[0].capacity[0].max_items: 0 is not in [1, "
                         "10000]")));
  EXPECT_THAT(ParseSimScenario(absl::StrCat(
                  "duration_seconds: 600\n", kTypes,
                  "arrivals { ticket_type: \"question\" rate_per_hour: 5 }",
                  "agents { name: \"a\" count: 2 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("agents[0].capacity: none given")));
}

TEST(SimScenarioTest, SkillsNoAgentHasAreReportedWithTheirTickets) {
  const std::string text = Scenario(R"pb(
    ticket_types {
      name: "german" channel: CHANNEL_EMAIL
      required_skills { name: "german" level: 3 }
      handling_time { constant_seconds: 60 }
    }
    arrivals { ticket_type: "question" rate_per_hour: 5 }
    arrivals { ticket_type: "german" rate_per_hour: 2 }
    trace { csv: "arrival_seconds,ticket_type\n10,question\n20,german\n30,german\n" }
  )pb");
  EXPECT_THAT(
      ParseSimScenario(text),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ticket type 'german' can never be routed: no agent "
                         "has email capacity, skill german>=3 (tickets: every "
                         "ticket of arrivals[1]; trace lines 3, 4)")));
  // A level above every agent's counts too; so does a group nobody is in.
  EXPECT_THAT(ParseSimScenario(Scenario(R"pb(
                ticket_types {
                  name: "refund" channel: CHANNEL_EMAIL group_id: 4
                  required_skills { name: "billing" level: 9 }
                  handling_time { constant_seconds: 60 }
                }
                arrivals { ticket_type: "refund" rate_per_hour: 2 }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("group 4, skill billing>=9")));
  // A chat type when nobody works chats.
  EXPECT_THAT(ParseSimScenario(Scenario(R"pb(
                ticket_types {
                  name: "chat" channel: CHANNEL_CHAT
                  handling_time { constant_seconds: 60 }
                }
                arrivals { ticket_type: "chat" rate_per_hour: 2 }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no agent has chat capacity")));
}

TEST(SimScenarioTest, UnparsableTraceRowsNameTheirLine) {
  auto trace = [](absl::string_view csv) {
    return ParseSimScenario(
        Scenario(absl::StrCat("trace { csv: \"", csv, "\" }")));
  };
  EXPECT_THAT(trace("arrival_seconds,ticket_type\\n10,question\\nx1,question\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 3: column arrival_seconds: 'x1' "
                                 "is not a number")));
  EXPECT_THAT(trace("arrival_seconds,ticket_type\\n10,question,extra\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 2: 3 fields, but the header has 2")));
  EXPECT_THAT(trace("arrival_seconds,ticket_type\\n10,nosuch\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 2: column ticket_type: 'nosuch' "
                                 "is not a ticket type")));
  EXPECT_THAT(trace("arrival_seconds,ticket_type,colour\\n10,question,red\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 1: unknown column 'colour'")));
  EXPECT_THAT(trace("ticket_type\\nquestion\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exactly one of arrival_seconds and "
                                 "arrival_time")));
  EXPECT_THAT(trace("arrival_seconds,ticket_type\\n-3,question\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 2: column arrival_seconds: -3 is "
                                 "negative")));
  EXPECT_THAT(trace("arrival_seconds,ticket_type\\n99999999,question\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not before the scenario's duration")));
  EXPECT_THAT(trace("arrival_time,ticket_type\\nyesterday,question\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 2: column arrival_time: "
                                 "'yesterday' is not an RFC 3339 time")));
  EXPECT_THAT(trace("arrival_seconds,ticket_type,vip\\n1,question,maybe\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("column vip: 'maybe'")));
  EXPECT_THAT(trace("arrival_seconds,ticket_type\\n1,\\\"question\\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 2: a quoted field is not closed")));
}

TEST(SimScenarioTest, OtherMistakesNameTheFieldAndValue) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {Scenario("arrivals { ticket_type: \"nosuch\" rate_per_hour: 1 }"),
       "arrivals[0].ticket_type: 'nosuch' is not a ticket type"},
      {Scenario(""), "the scenario has no tickets"},
      {WithArrivals("warmup_seconds: 86400"),
       "warmup_seconds: 86400 must be >= 0 and below duration_seconds"},
      {WithArrivals("time_zone: \"Mars/Olympus\""),
       "time_zone: 'Mars/Olympus' is not a known IANA time zone"},
      {WithArrivals("start_time: \"monday\""), "start_time: 'monday'"},
      {absl::StrReplaceAll(WithArrivals(), {{"replications: 2", "replications: 5000"}}),
       "replications: 5000 is not in [0, 1000]"},
      {WithArrivals("trace { path: \"t.csv\" }"),
       "trace.path: 't.csv' is not loaded"},
      {WithArrivals("policies { policy { skills { relaxations { "
                    "after_seconds: -1 } } } }"),
       "policies[0].policy: skills config: relaxations[0].after_seconds: -1"},
      {WithArrivals("policies { label: \"x\" policy { fifo {} } } policies { "
                    "label: \"x\" policy { least_loaded {} } }"),
       "policies[1].label: 'x' is used twice"},
      {WithArrivals("policies { label: \"x\" }"),
       "policies[0].policy: routing policy config: policy: none is set"},
      {WithArrivals("agents { name: \"night\" count: 1 capacity { channel: "
                    "CHANNEL_EMAIL max_items: 1 } shifts { days: "
                    "[WEEKDAY_MONDAY] intervals { open: \"22:00\" close: "
                    "\"06:00\" } } }"),
       "agents[1].shifts[0].intervals[0]: close '06:00' is not after open"},
      {WithArrivals("agents { name: \"late\" count: 1 capacity { channel: "
                    "CHANNEL_EMAIL max_items: 1 } shifts { days: "
                    "[WEEKDAY_MONDAY] intervals { open: \"25:00\" close: "
                    "\"26:00\" } } }"),
       "agents[1].shifts[0].intervals[0].open: '25:00' is not a time"},
      {Scenario("ticket_types { name: \"question\" channel: CHANNEL_CHAT "
                "handling_time { constant_seconds: 1 } }"),
       "ticket_types[1].name: 'question' is used twice"},
      {Scenario("ticket_types { name: \"x\" channel: CHANNEL_EMAIL } "
                "arrivals { ticket_type: \"x\" rate_per_hour: 1 }"),
       "ticket_types[1].handling_time: required"},
      {Scenario("ticket_types { name: \"x\" channel: CHANNEL_EMAIL "
                "handling_time { log_normal { mean_seconds: 0 } } }"),
       "ticket_types[1].handling_time.log_normal.mean_seconds: 0"},
      {Scenario("ticket_types { name: \"x\" handling_time { constant_seconds: "
                "1 } }"),
       "ticket_types[1].channel: CHANNEL_UNSPECIFIED"},
      {Scenario("ticket_types { name: \"x\" channel: CHANNEL_EMAIL vip_share: "
                "2 handling_time { constant_seconds: 1 } }"),
       "ticket_types[1].vip_share: 2"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseSimScenario(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)))
        << c.text;
  }
}

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::path(::testing::TempDir()) /
              absl::StrCat("helpdesk_sim_test_", getpid())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string Write(absl::string_view name, absl::string_view text) const {
    const std::filesystem::path p = path_ / std::string(name);
    std::ofstream(p) << text;
    return p.string();
  }
  std::string Path(absl::string_view name) const {
    return (path_ / std::string(name)).string();
  }

 private:
  std::filesystem::path path_;
};

TEST(SimScenarioTest, LoadReadsTheTraceBesideTheScenario) {
  TempDir dir;
  dir.Write("tickets.csv", "arrival_seconds,ticket_type\n5,question\n");
  const std::string path =
      dir.Write("desk.textproto", Scenario("trace { path: \"tickets.csv\" }"));
  ASSERT_OK_AND_ASSIGN(v1::SimScenario s, LoadSimScenario(path));
  EXPECT_EQ(s.trace().csv(), "arrival_seconds,ticket_type\n5,question\n");
  EXPECT_THAT(LoadSimScenario(dir.Path("missing.textproto")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.textproto")));
  const std::string bad =
      dir.Write("bad.textproto", Scenario("trace { path: \"nope.csv\" }"));
  EXPECT_THAT(LoadSimScenario(bad),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope.csv")));
  const std::string rows = dir.Write(
      "rows.textproto", Scenario("trace { path: \"rows.csv\" }"));
  dir.Write("rows.csv", "arrival_seconds,ticket_type\n1,question\n2;question\n");
  EXPECT_THAT(LoadSimScenario(rows),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace line 3: 1 fields, but the header has 2")));
}

// ---------------------------------------------------------------------------
// Running.

absl::StatusOr<SimReport> Simulate(const std::string& text,
                              const SimOptions& options = {}) {
  absl::StatusOr<v1::SimScenario> s = ParseSimScenario(text);
  if (!s.ok()) return s.status();
  return RunSimulation(*s, options);
}

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

// ---------------------------------------------------------------------------
// Offers (decline, timeout) and pull.

// Every figure of a report, doubles as hexadecimal floats: equal strings mean
// bit-identical reports.
std::string Dump(const SimReport& r) {
  std::string out = absl::StrCat(r.scenario, "|", r.replications, "|",
                                 r.tickets_simulated, "\n");
  auto e = [&out](absl::string_view name, const Estimate& x) {
    absl::StrAppendFormat(&out, "%s %a %a\n", name, x.mean, x.ci95);
  };
  for (const SimPolicyResult& p : r.policies) {
    absl::StrAppendFormat(&out, "%s %s %a\n", p.label, p.policy_name, p.tickets);
    e("wait_mean", p.wait_mean);
    e("wait_p50", p.wait_p50);
    e("wait_p90", p.wait_p90);
    e("wait_p99", p.wait_p99);
    e("p_wait", p.probability_of_waiting);
    e("sl", p.service_level);
    e("breach", p.sla_breach_rate);
    e("abandon", p.abandonment_rate);
    e("unanswered", p.unanswered_rate);
    e("utilisation", p.utilisation);
    e("fairness", p.fairness);
    e("handled_cv", p.handled_cv);
    e("offers", p.offers);
    e("declines", p.decline_rate);
    e("timeouts", p.timeout_rate);
    for (const SimTeamOffers& team : p.by_team) {
      e(absl::StrCat("offers:", team.name), team.offers);
      e(absl::StrCat("declines:", team.name), team.decline_rate);
      e(absl::StrCat("timeouts:", team.name), team.timeout_rate);
    }
    for (size_t a = 0; a < p.agent_names.size(); ++a) {
      e(p.agent_names[a], p.agent_utilisation[a]);
    }
    for (const auto* segments : {&p.by_ticket_type, &p.by_vip}) {
      for (const SimSegmentResult& g : *segments) {
        absl::StrAppendFormat(&out, "%s %a\n", g.name, g.tickets);
        e("  wait_mean", g.wait_mean);
        e("  wait_p90", g.wait_p90);
        e("  sl", g.service_level);
      }
    }
  }
  return out;
}

// Two push teams taking e-mail; `picky` and `keen` are their extra fields.
std::string TwoTeams(absl::string_view picky, absl::string_view keen = "",
                     absl::string_view extra = "") {
  return absl::StrCat(R"pb(
    duration_seconds: 86400 warmup_seconds: 3600 replications: 1 seed: 17
    ticket_types {
      name: "q" channel: CHANNEL_EMAIL
      handling_time { exponential { mean_seconds: 300 } }
    }
    arrivals { ticket_type: "q" rate_per_hour: 30 }
    agents { name: "picky" count: 2
             capacity { channel: CHANNEL_EMAIL max_items: 1 } )pb",
                      picky, R"pb( }
    agents { name: "keen" count: 4
             capacity { channel: CHANNEL_EMAIL max_items: 1 } )pb",
                      keen, R"pb( }
    policies { policy { fifo {} } }
    policies { policy { round_robin {} } }
    policies { policy { least_loaded {} } }
  )pb",
                      extra);
}

TEST(SimOffersTest, ATeamThatDeclinesEverythingLeavesTheWorkToTheOther) {
  ASSERT_OK_AND_ASSIGN(
      SimReport r, Simulate(TwoTeams("offers { accept_probability: 0 }")));
  for (const SimPolicyResult& p : r.policies) {
    // Nobody gives up and nothing is left over: every ticket is answered,
    // by the keen team, on the one offer to it that each ticket gets; all
    // other offers went to the picky team, which declined every one.
    EXPECT_EQ(p.unanswered_rate.mean, 0) << p.label;
    EXPECT_EQ(p.agent_utilisation[0].mean, 0) << p.label;
    EXPECT_EQ(p.agent_utilisation[1].mean, 0) << p.label;
    EXPECT_GT(p.agent_utilisation[2].mean, 0.1) << p.label;
    EXPECT_GT(p.decline_rate.mean, 0.05) << p.label;
    EXPECT_NEAR(p.decline_rate.mean * p.offers.mean, p.offers.mean - p.tickets,
                1e-6)
        << p.label;
    EXPECT_EQ(p.timeout_rate.mean, 0) << p.label;
    // Per team: the picky team declined every offer it had, the keen team
    // none of the one offer per ticket it had; together, every offer.
    ASSERT_EQ(p.by_team.size(), 2u) << p.label;
    const SimTeamOffers& picky = p.by_team[0];
    const SimTeamOffers& keen = p.by_team[1];
    EXPECT_EQ(picky.name, "picky");
    EXPECT_EQ(keen.name, "keen");
    EXPECT_EQ(picky.decline_rate.mean, 1) << p.label;
    EXPECT_EQ(keen.decline_rate.mean, 0) << p.label;
    EXPECT_EQ(keen.offers.mean, p.tickets) << p.label;
    EXPECT_EQ(picky.offers.mean + keen.offers.mean, p.offers.mean) << p.label;
  }
  EXPECT_THAT(SimReportTable(r), HasSubstr("  team picky"));
  EXPECT_THAT(SimReportCsv(r), HasSubstr("fifo,offer_decline_rate:team:picky,1,"));
  EXPECT_THAT(SimReportCsv(r), HasSubstr("fifo,offer_decline_rate:team:keen,0,"));
  // Declines take no time (no response time): waits as if the picky team
  // could not take e-mail at all.
  ASSERT_OK_AND_ASSIGN(
      SimReport alone,
      Simulate(absl::StrReplaceAll(
          TwoTeams(""), {{"count: 2\n             capacity { channel: CHANNEL_EMAIL",
                          "count: 2\n             capacity { channel: CHANNEL_CHAT"}})));
  ASSERT_EQ(alone.policies[0].agent_utilisation[0].mean, 0);
  EXPECT_EQ(r.policies[0].wait_mean.mean, alone.policies[0].wait_mean.mean);
  EXPECT_THAT(SimReportTable(r), HasSubstr("offers (declined and timed out"));
  EXPECT_THAT(SimReportCsv(r), HasSubstr("fifo,offer_decline_rate,"));
  EXPECT_THAT(SimReportSvg(r), HasSubstr("Offers declined"));
}

TEST(SimOffersTest, ATimeoutShorterThanTheResponseTimesEveryOfferOut) {
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(TwoTeams("offers { response_seconds { constant_seconds: 60 } "
                        "offer_timeout_seconds: 30 }")));
  ASSERT_OK_AND_ASSIGN(SimReport plain, Simulate(TwoTeams("")));
  for (size_t i = 0; i < r.policies.size(); ++i) {
    const SimPolicyResult& p = r.policies[i];
    EXPECT_EQ(p.agent_utilisation[0].mean, 0) << p.label;
    EXPECT_EQ(p.agent_utilisation[1].mean, 0) << p.label;
    EXPECT_GT(p.timeout_rate.mean, 0.05) << p.label;
    EXPECT_NEAR(p.timeout_rate.mean * p.offers.mean, p.offers.mean - p.tickets,
                1e-6)
        << p.label;
    EXPECT_EQ(p.decline_rate.mean, 0) << p.label;
    ASSERT_EQ(p.by_team.size(), 2u) << p.label;
    EXPECT_EQ(p.by_team[0].timeout_rate.mean, 1) << p.label;
    EXPECT_EQ(p.by_team[1].timeout_rate.mean, 0) << p.label;
    EXPECT_NEAR(p.by_team[0].offers.mean * p.by_team[0].timeout_rate.mean,
                p.offers.mean * p.timeout_rate.mean, 1e-6)
        << p.label;
    // Each timeout costs its ticket 30 s of waiting.
    EXPECT_GT(p.wait_mean.mean, plain.policies[i].wait_mean.mean) << p.label;
  }
  EXPECT_THAT(SimReportTable(r), HasSubstr("timed out"));
}

TEST(SimOffersTest, AcceptingEveryOfferAtOnceIsBitIdenticalToNoOffers) {
  // Patience, VIPs, shifts, several policies: everything the offer path
  // could disturb.
  auto scenario = [](absl::string_view offers) {
    return absl::StrCat(R"pb(
      duration_seconds: 172800 warmup_seconds: 3600 replications: 3 seed: 23
      ticket_types {
        name: "q" channel: CHANNEL_EMAIL vip_share: 0.2
        handling_time { log_normal { mean_seconds: 400 stddev_seconds: 300 } }
        patience { exponential { mean_seconds: 900 } }
      }
      arrivals { ticket_type: "q" rate_per_hour: 40 }
      agents { name: "day" count: 5
               capacity { channel: CHANNEL_EMAIL max_items: 2 }
               shifts { days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY]
                        intervals { open: "06:00" close: "20:00" } } )pb",
                        offers, R"pb( }
      agents { name: "night" count: 2
               capacity { channel: CHANNEL_EMAIL max_items: 1 } )pb",
                        offers, R"pb( }
      policies { policy { fifo {} } }
      policies { policy { least_loaded {} } }
      policies { policy { priority_aging {} } }
    )pb");
  };
  ASSERT_OK_AND_ASSIGN(SimReport plain, Simulate(scenario("")));
  ASSERT_OK_AND_ASSIGN(SimReport all, Simulate(scenario("offers { }")));
  ASSERT_OK_AND_ASSIGN(
      SimReport explicit_all,
      Simulate(scenario("offers { accept_probability: 1 response_seconds { "
                        "constant_seconds: 0 } offer_timeout_seconds: 5 }")));
  EXPECT_EQ(Dump(all), Dump(plain));
  EXPECT_EQ(Dump(explicit_all), Dump(plain));
  EXPECT_EQ(SimReportTable(explicit_all), SimReportTable(plain));
  EXPECT_EQ(SimReportCsv(explicit_all), SimReportCsv(plain));
  EXPECT_EQ(SimReportSvg(explicit_all), SimReportSvg(plain));
  EXPECT_THAT(SimReportTable(plain), Not(HasSubstr("offers (declined")));
  // Offers are assignments here, and none is declined.
  EXPECT_GT(plain.policies[0].offers.mean, 1000);
  EXPECT_EQ(plain.policies[0].decline_rate.mean, 0);
  // A response time alone changes the waits.
  ASSERT_OK_AND_ASSIGN(
      SimReport slow,
      Simulate(scenario("offers { response_seconds { constant_seconds: 5 } }")));
  EXPECT_NE(Dump(slow), Dump(plain));
  EXPECT_GT(slow.policies[0].wait_mean.mean, plain.policies[0].wait_mean.mean);
}

TEST(SimOffersTest, ResponseTimeCountsAsWaitingAndAbandonmentWithdrawsTheOffer) {
  // One agent who answers after 100 s. The first ticket's requester gives
  // up after 50 s, on offer; the agent is free again and is offered the
  // second ticket (at 60 s), accepts at 160 s: a wait of 100 s.
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(R"pb(
        duration_seconds: 3600 replications: 1
        ticket_types { name: "q" channel: CHANNEL_EMAIL
                       handling_time { constant_seconds: 30 } }
        agents { name: "solo" count: 1
                 capacity { channel: CHANNEL_EMAIL max_items: 1 }
                 offers { response_seconds { constant_seconds: 100 } } }
        trace { csv: "arrival_seconds,ticket_type,patience_seconds\n0,q,50\n60,q,\n" }
      )pb"));
  const SimPolicyResult& p = r.policies[0];
  EXPECT_EQ(p.tickets, 2);
  EXPECT_DOUBLE_EQ(p.abandonment_rate.mean, 0.5);
  EXPECT_DOUBLE_EQ(p.wait_mean.mean, 100);
  EXPECT_EQ(p.offers.mean, 2);
  EXPECT_EQ(p.decline_rate.mean, 0);
  // Busy only while handling: 30 s of the hour.
  EXPECT_NEAR(p.utilisation.mean, 30.0 / 3600, 1e-12);
}

TEST(SimOffersTest, AnOfferOpenAtTheEndOfTheShiftIsStillAnswered) {
  // Offered at 09:59, the shift ends at 10:00, accepted at 10:01: the agent
  // works it as other work in hand after their shift.
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(R"pb(
        duration_seconds: 43200 replications: 1
        ticket_types { name: "q" channel: CHANNEL_EMAIL
                       handling_time { constant_seconds: 60 } }
        agents {
          name: "morning" count: 1
          capacity { channel: CHANNEL_EMAIL max_items: 1 }
          shifts { days: [WEEKDAY_MONDAY] intervals { open: "09:00" close: "10:00" } }
          offers { response_seconds { constant_seconds: 120 } }
        }
        trace { csv: "arrival_seconds,ticket_type\n35940,q\n" }
      )pb"));
  const SimPolicyResult& p = r.policies[0];
  EXPECT_EQ(p.unanswered_rate.mean, 0);
  EXPECT_DOUBLE_EQ(p.wait_mean.mean, 120);
}

TEST(SimOffersTest, SomeDeclinesSomeTimeoutsSameSeedSameReport) {
  const std::string text = TwoTeams(
      "offers { accept_probability: 0.7 offer_timeout_seconds: 20 "
      "response_seconds { exponential { mean_seconds: 15 } } }",
      "pull: true",
      "agents { name: \"late\" count: 1 pull: true "
      "capacity { channel: CHANNEL_EMAIL max_items: 2 } "
      "shifts { days: [WEEKDAY_MONDAY] intervals { open: \"12:00\" close: "
      "\"18:00\" } } }");
  ASSERT_OK_AND_ASSIGN(SimReport a, Simulate(text));
  ASSERT_OK_AND_ASSIGN(SimReport b, Simulate(text));
  EXPECT_EQ(Dump(a), Dump(b));
  for (const SimPolicyResult& p : a.policies) {
    EXPECT_EQ(p.tickets, a.policies[0].tickets);
    EXPECT_GT(p.decline_rate.mean, 0.05) << p.label;
    EXPECT_GT(p.timeout_rate.mean, 0.05) << p.label;
    for (size_t i = 0; i < p.agent_names.size(); ++i) {
      EXPECT_GT(p.agent_utilisation[i].mean, 0) << p.label << " " << i;
    }
    // Only the push team had offers; the pull teams' rates are undefined.
    ASSERT_EQ(p.by_team.size(), 3u) << p.label;
    const SimTeamOffers& picky = p.by_team[0];
    EXPECT_EQ(picky.offers.mean, p.offers.mean) << p.label;
    EXPECT_EQ(picky.decline_rate.mean, p.decline_rate.mean) << p.label;
    EXPECT_EQ(picky.timeout_rate.mean, p.timeout_rate.mean) << p.label;
    for (size_t k = 1; k < 3; ++k) {
      EXPECT_EQ(p.by_team[k].offers.mean, 0) << p.label << " " << k;
      EXPECT_TRUE(std::isnan(p.by_team[k].decline_rate.mean))
          << p.label << " " << k;
    }
  }
  // A different seed, different answers.
  ASSERT_OK_AND_ASSIGN(
      SimReport c, Simulate(absl::StrReplaceAll(text, {{"seed: 17", "seed: 18"}})));
  EXPECT_NE(Dump(a), Dump(c));
}

// M/M/c: Poisson arrivals, exponential handling, identical agents.
std::string MMc(absl::string_view agents_extra) {
  return absl::StrCat(R"pb(
    duration_seconds: 604800 warmup_seconds: 86400 replications: 4 seed: 29
    ticket_types { name: "q" channel: CHANNEL_EMAIL
                   handling_time { exponential { mean_seconds: 600 } } }
    arrivals { ticket_type: "q" rate_per_hour: 40 }
    agents { name: "desk" count: 8
             capacity { channel: CHANNEL_EMAIL max_items: 1 } )pb",
                      agents_extra, R"pb( }
    policies { policy { fifo {} } }
  )pb");
}

TEST(SimPullTest, PullOnMMcWaitsAsPushFifo) {
  ASSERT_OK_AND_ASSIGN(SimReport push, Simulate(MMc("")));
  ASSERT_OK_AND_ASSIGN(SimReport pull, Simulate(MMc("pull: true")));
  const SimPolicyResult& a = push.policies[0];
  const SimPolicyResult& b = pull.policies[0];
  EXPECT_GT(a.probability_of_waiting.mean, 0.2);
  // Oldest ticket first to whichever agent is free: the same waits, ticket
  // for ticket (the handling time is the ticket's, whoever takes it), so the
  // same mean exactly, not only within the confidence interval.
  EXPECT_EQ(b.wait_mean.mean, a.wait_mean.mean);
  EXPECT_EQ(b.wait_p90.mean, a.wait_p90.mean);
  // Summed over agents in another order.
  EXPECT_DOUBLE_EQ(b.utilisation.mean, a.utilisation.mean);
  EXPECT_EQ(b.tickets, a.tickets);
  // Pulled tickets are not offers.
  EXPECT_EQ(b.offers.mean, 0);
  EXPECT_TRUE(std::isnan(b.decline_rate.mean));
  EXPECT_GT(a.offers.mean, 1000);
}

TEST(SimPullTest, PullAgentsTakeQueuedWorkWhenTheirShiftStarts) {
  // As RequestersWhoRunOutOfPatienceAbandon, pulling: the agent comes at
  // 09:00 and takes the two waiting tickets (capacity 5).
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(R"pb(
        duration_seconds: 43200 replications: 1
        ticket_types { name: "q" channel: CHANNEL_EMAIL
                       handling_time { constant_seconds: 60 } }
        agents {
          name: "morning" count: 1 pull: true
          capacity { channel: CHANNEL_EMAIL max_items: 5 }
          shifts { days: [WEEKDAY_MONDAY] intervals { open: "09:00" close: "10:00" } }
        }
        trace {
          csv: "arrival_seconds,ticket_type,patience_seconds\n28800,q,1800\n28800,q,7200\n32000,q,\n"
        }
      )pb"));
  const SimPolicyResult& p = r.policies[0];
  EXPECT_NEAR(p.abandonment_rate.mean, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(p.wait_mean.mean, (3600 + 400) / 2.0);
  EXPECT_EQ(p.offers.mean, 0);
}

TEST(SimPullTest, PushAndPullTeamsMix) {
  ASSERT_OK_AND_ASSIGN(SimReport r, Simulate(TwoTeams("pull: true")));
  for (const SimPolicyResult& p : r.policies) {
    EXPECT_EQ(p.unanswered_rate.mean, 0) << p.label;
    for (size_t i = 0; i < p.agent_names.size(); ++i) {
      EXPECT_GT(p.agent_utilisation[i].mean, 0.05)
          << p.label << " " << p.agent_names[i];
    }
    // Offers went to the keen (push) team only.
    EXPECT_GT(p.offers.mean, 0) << p.label;
    EXPECT_LT(p.offers.mean, p.tickets) << p.label;
  }
}

TEST(SimPullTest, TicketsThePushTeamDeclinesArePulled) {
  ASSERT_OK_AND_ASSIGN(
      SimReport r,
      Simulate(TwoTeams("offers { accept_probability: 0 }", "pull: true")));
  for (const SimPolicyResult& p : r.policies) {
    EXPECT_EQ(p.unanswered_rate.mean, 0) << p.label;
    EXPECT_EQ(p.agent_utilisation[0].mean, 0) << p.label;
    EXPECT_GT(p.agent_utilisation[2].mean, 0.1) << p.label;
    // Every offer went to the push team, which declined it.
    EXPECT_GT(p.offers.mean, 0) << p.label;
    EXPECT_EQ(p.decline_rate.mean, 1) << p.label;
  }
}

// A policy that answers no pull requests.
class PushOnly : public RoutingPolicyWrapper {
 public:
  explicit PushOnly(std::unique_ptr<RoutingPolicy> base)
      : RoutingPolicyWrapper(base.get()), base_(std::move(base)) {}
  absl::StatusOr<Assignment> NextFor(int64_t agent_id, absl::Time now) override {
    return absl::NotFoundError("push only");
  }

 private:
  std::unique_ptr<RoutingPolicy> base_;
};

TEST(SimPullTest, NextNeverAssignsToPullAgents) {
  // The policy sees pull agents as away except while they ask, so its Next()
  // pushes nothing to them, even when they would have room.
  SimOptions options;
  options.policies.push_back({"push-only", [] {
                                return absl::StatusOr<std::unique_ptr<RoutingPolicy>>(
                                    std::make_unique<PushOnly>(NewFifoPolicy()));
                              }});
  ASSERT_OK_AND_ASSIGN(SimReport r, Simulate(TwoTeams("", "pull: true"), options));
  const SimPolicyResult& p = r.policies[0];
  EXPECT_GT(p.agent_utilisation[0].mean, 0.1);
  for (size_t i = 2; i < p.agent_names.size(); ++i) {
    EXPECT_EQ(p.agent_utilisation[i].mean, 0) << p.agent_names[i];
  }
  EXPECT_EQ(p.offers.mean, p.tickets);
}

TEST(SimOffersTest, BadOfferSettingsNameTheFieldAndValue) {
  struct Case {
    std::string offers;
    std::string message;
  };
  const Case cases[] = {
      {"offers { accept_probability: 1.5 }",
       "agents[1].offers.accept_probability: 1.5 is not in [0, 1]"},
      {"offers { accept_probability: -0.1 }",
       "agents[1].offers.accept_probability: -0.1 is not in [0, 1]"},
      {"offers { accept_probability: nan }",
       "agents[1].offers.accept_probability: nan is not in [0, 1]"},
      {"offers { offer_timeout_seconds: -5 }",
       "agents[1].offers.offer_timeout_seconds: -5 must be > 0"},
      {"offers { offer_timeout_seconds: 0 }",
       "agents[1].offers.offer_timeout_seconds: 0 must be > 0"},
      {"offers { response_seconds { exponential { mean_seconds: -2 } } }",
       "agents[1].offers.response_seconds.exponential.mean_seconds: -2"},
      {"offers { response_seconds { } }",
       "agents[1].offers.response_seconds"},
      {"pull: true offers { accept_probability: 0.5 }",
       "agents[1].offers: set, but the team pulls"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseSimScenario(TwoTeams("", c.offers)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)))
        << c.offers;
  }
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
