// Simulator runs with offers (decline, timeout) and pull agents.
#include "helpdesk/sim.h"

#include "sim_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

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

}  // namespace
}  // namespace helpdesk
