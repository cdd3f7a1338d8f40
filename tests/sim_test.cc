// The Erlang C calculator (exact values, bad input) and the simulator's
// scenarios and their errors, each with a clear status. Runs are in
// sim_run_test.cc, offers and pull in sim_offers_test.cc; agreement with
// queueing theory is in sim_validation_test.cc.
#include "helpdesk/sim.h"

#include "sim_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

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

}  // namespace
}  // namespace helpdesk
