// Behaviour of each built-in routing policy beyond the shared contract (which
// routing_conformance_test checks): orders, rotations, loads, skills and
// relaxation, aging and deadlines, sticky owners, tiers, configs, reasons.
#include "helpdesk/routing.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Time At(int64_t minutes) {
  return absl::FromUnixSeconds(1767600000) + absl::Minutes(minutes);
}

AgentState Agent(int64_t id, std::vector<int64_t> groups, int32_t email,
                 std::vector<SkillLevel> skills = {},
                 v1::Presence presence = v1::PRESENCE_ONLINE) {
  AgentState a;
  a.agent_id = id;
  a.presence = presence;
  a.group_ids = std::move(groups);
  a.skills = std::move(skills);
  a.capacity = {{v1::CHANNEL_EMAIL, email}};
  return a;
}

WorkItem Ticket(int64_t id, int64_t minute, int64_t group = 0) {
  WorkItem item;
  item.ticket_id = id;
  item.channel = v1::CHANNEL_EMAIL;
  item.group_id = group;
  item.enqueued_at = At(minute);
  return item;
}

// Next(now) until NotFound, as (ticket, agent) pairs.
std::vector<std::pair<int64_t, int64_t>> Drain(RoutingPolicy& p,
                                               absl::Time now) {
  std::vector<std::pair<int64_t, int64_t>> out;
  while (true) {
    absl::StatusOr<Assignment> a = p.Next(now);
    if (!a.ok()) {
      EXPECT_THAT(a, StatusIs(absl::StatusCode::kNotFound));
      return out;
    }
    out.emplace_back(a->ticket_id, a->agent_id);
  }
}

template <typename Config>
Config Parse(const std::string& text) {
  Config config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config))
      << text;
  return config;
}

// ---------------------------------------------------------------------------
// Orders.

TEST(FifoPolicyTest, OldestFirstToTheAgentLongestWithoutAssignment) {
  std::unique_ptr<RoutingPolicy> p = NewFifoPolicy();
  EXPECT_EQ(p->Name(), "helpdesk.fifo");
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 5), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(2, {}, 5), At(0)));
  ASSERT_OK(p->Enqueue(Ticket(30, 3)));
  ASSERT_OK(p->Enqueue(Ticket(10, 1)));
  ASSERT_OK(p->Enqueue(Ticket(20, 2)));
  ASSERT_OK_AND_ASSIGN(Assignment first, p->Next(At(5)));
  EXPECT_EQ(first.ticket_id, 10);
  EXPECT_EQ(first.agent_id, 1);  // nobody assigned yet: lower id
  EXPECT_EQ(first.reason,
            "oldest queued ticket (waited 4m); eligible agent longest without "
            "a new assignment: agent 1 (0/5 email) in any group");
  EXPECT_THAT(Drain(*p, At(5)), ElementsAre(std::pair<int64_t, int64_t>{20, 2},
                                            std::pair<int64_t, int64_t>{30, 1}));
}

TEST(NewestFirstPolicyTest, NewestFirst) {
  std::unique_ptr<RoutingPolicy> p = NewNewestFirstPolicy();
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 5), At(0)));
  for (int i = 1; i <= 3; ++i) ASSERT_OK(p->Enqueue(Ticket(i, i)));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(5)));
  EXPECT_EQ(a.ticket_id, 3);
  EXPECT_THAT(a.reason, HasSubstr("newest queued ticket (waited 2m)"));
  EXPECT_THAT(Drain(*p, At(5)), ElementsAre(std::pair<int64_t, int64_t>{2, 1},
                                            std::pair<int64_t, int64_t>{1, 1}));
}

TEST(RoundRobinPolicyTest, RotatesThroughTheGroupSkippingAwayAndFullAgents) {
  std::unique_ptr<RoutingPolicy> p = NewRoundRobinPolicy();
  ASSERT_OK(p->UpdateAgent(Agent(9, {1}, 10), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(3, {1}, 10), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(5, {1}, 1), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(4, {2}, 10), At(0)));  // another group
  for (int i = 1; i <= 6; ++i) ASSERT_OK(p->Enqueue(Ticket(i, i, 1)));
  std::vector<int64_t> agents;
  for (const auto& [ticket, agent] : Drain(*p, At(10))) agents.push_back(agent);
  // 5 is full after one ticket; 4 is not in group 1.
  EXPECT_THAT(agents, ElementsAre(3, 5, 9, 3, 9, 3));

  // Agent 9 goes away: the rotation skips them.
  ASSERT_OK(p->UpdateAgent(Agent(9, {1}, 10, {}, v1::PRESENCE_AWAY), At(11)));
  for (int i = 7; i <= 8; ++i) ASSERT_OK(p->Enqueue(Ticket(i, i, 1)));
  agents.clear();
  for (const auto& [ticket, agent] : Drain(*p, At(12))) agents.push_back(agent);
  EXPECT_THAT(agents, ElementsAre(3, 3));
}

TEST(RoundRobinPolicyTest, EachGroupHasItsOwnRotation) {
  std::unique_ptr<RoutingPolicy> p = NewRoundRobinPolicy();
  ASSERT_OK(p->UpdateAgent(Agent(1, {1, 2}, 10), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(2, {1, 2}, 10), At(0)));
  ASSERT_OK(p->Enqueue(Ticket(1, 1, 1)));
  ASSERT_OK(p->Enqueue(Ticket(2, 2, 2)));
  ASSERT_OK(p->Enqueue(Ticket(3, 3, 1)));
  ASSERT_OK(p->Enqueue(Ticket(4, 4, 2)));
  EXPECT_THAT(Drain(*p, At(5)),
              ElementsAre(std::pair<int64_t, int64_t>{1, 1},
                          std::pair<int64_t, int64_t>{2, 1},
                          std::pair<int64_t, int64_t>{3, 2},
                          std::pair<int64_t, int64_t>{4, 2}));
}

TEST(LeastLoadedPolicyTest, PicksTheSmallestShareOfCapacity) {
  std::unique_ptr<RoutingPolicy> p = NewLeastLoadedPolicy();
  ASSERT_OK(p->UpdateAgent(Agent(1, {3}, 10), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(2, {3}, 2), At(0)));
  // Agent 1 already works 2 of 10, agent 2 none of 2.
  ASSERT_OK(p->RecordAssignment(Ticket(100, 0, 3), 1));
  ASSERT_OK(p->RecordAssignment(Ticket(101, 0, 3), 1));
  for (int i = 1; i <= 4; ++i) ASSERT_OK(p->Enqueue(Ticket(i, i, 3)));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(5)));
  EXPECT_EQ(a.agent_id, 2);  // 0/2 < 2/10
  EXPECT_EQ(a.reason,
            "oldest queued ticket (waited 4m); least loaded eligible agent 2 "
            "(0/2 email) in group 3");
  ASSERT_OK_AND_ASSIGN(Assignment b, p->Next(At(5)));
  EXPECT_EQ(b.agent_id, 1);  // 2/10 < 1/2
  EXPECT_THAT(b.reason, HasSubstr("least loaded eligible agent 1 (2/10 email)"));
  ASSERT_OK_AND_ASSIGN(Assignment c, p->Next(At(5)));
  EXPECT_EQ(c.agent_id, 1);  // 3/10 < 1/2
  ASSERT_OK_AND_ASSIGN(Assignment d, p->Next(At(5)));
  EXPECT_EQ(d.agent_id, 1);  // 4/10 < 1/2
}

// ---------------------------------------------------------------------------
// Skills.

TEST(SkillsPolicyTest, RequiredSkillsAtTheirLevelsFirst) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p, NewSkillsPolicy({}));
  ASSERT_OK(p->UpdateAgent(Agent(1, {3}, 10, {{"spanish", 2}}), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(2, {3}, 10, {{"spanish", 5}, {"billing", 1}}),
                           At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(3, {3}, 10), At(0)));
  WorkItem t = Ticket(1, 0, 3);
  t.required_skills = {{"spanish", 3}};
  ASSERT_OK(p->Enqueue(t));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(1)));
  EXPECT_EQ(a.agent_id, 2);
  EXPECT_EQ(a.reason,
            "oldest queued ticket (waited 1m; required skills as asked); least "
            "loaded eligible agent 2 (0/10 email) in group 3 with skill "
            "spanish>=3");
  // Nobody speaks German: the ticket waits, visibly, and others still flow.
  WorkItem german = Ticket(2, 1, 3);
  german.required_skills = {{"german", 1}};
  ASSERT_OK(p->Enqueue(german));
  ASSERT_OK(p->Enqueue(Ticket(3, 2, 3)));
  EXPECT_THAT(Drain(*p, At(3)), ElementsAre(std::pair<int64_t, int64_t>{3, 1}));
  EXPECT_THAT(p->NextFor(3, At(3)), StatusIs(absl::StatusCode::kNotFound));
  // A German speaker logs in and gets it at once.
  ASSERT_OK(p->UpdateAgent(Agent(3, {3}, 10, {{"german", 4}}), At(4)));
  EXPECT_THAT(Drain(*p, At(4)), ElementsAre(std::pair<int64_t, int64_t>{2, 3}));
}

// 1,000 tickets queued in the same minute relax in the same second. The
// policy applies such a burst a few hundred per decision (a decision that
// applied all 100,000 of routing_bench's burst took 108 ms), earliest due
// first, and never before it is due; while it is not through, NextWakeup()
// stays due, so a host asks again.
TEST(SkillsPolicyTest, ARelaxationBurstIsAppliedOverSeveralDecisionsInOrder) {
  constexpr int kTickets = 1000;
  const auto config = Parse<v1::SkillsRoutingConfig>(
      "relaxations { after_seconds: 120 lower_levels_by: 3 }");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p, NewSkillsPolicy(config));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, kTickets, {{"spanish", 6}}), At(0)));
  for (int t = 1; t <= kTickets; ++t) {
    WorkItem item = Ticket(t, 0);
    item.required_skills = {{"spanish", 9}};
    ASSERT_OK(p->Enqueue(item));
  }
  EXPECT_EQ(p->NextWakeup(), At(2));
  EXPECT_THAT(p->Next(At(2) - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kNotFound));

  // Every decision finds a relaxed ticket, oldest first: the same decisions
  // as applying the whole burst at once.
  std::vector<int64_t> got;
  int calls = 0;
  while (p->MayAssign(At(2))) {
    absl::StatusOr<Assignment> a = p->Next(At(2));
    ++calls;
    if (calls == 1) {
      // The burst is not through after one decision.
      EXPECT_LE(p->NextWakeup(), At(2));
    }
    if (!a.ok()) {
      EXPECT_THAT(a, StatusIs(absl::StatusCode::kNotFound));
      break;
    }
    EXPECT_EQ(a->agent_id, 1);
    got.push_back(a->ticket_id);
  }
  std::vector<int64_t> want(kTickets);
  for (int t = 0; t < kTickets; ++t) want[t] = t + 1;
  EXPECT_EQ(got, want);
  EXPECT_EQ(calls, kTickets);
  EXPECT_EQ(p->NextWakeup(), absl::InfiniteFuture());
}

TEST(SkillsPolicyTest, ARelaxationBurstNobodyCanTakeIsAppliedAcrossCalls) {
  constexpr int kTickets = 1000;
  const auto config = Parse<v1::SkillsRoutingConfig>(
      "relaxations { after_seconds: 120 lower_levels_by: 3 }");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p, NewSkillsPolicy(config));
  for (int t = 1; t <= kTickets; ++t) {
    WorkItem item = Ticket(t, 0);
    item.required_skills = {{"spanish", 9}};
    ASSERT_OK(p->Enqueue(item));
  }
  // Nobody to take them: each call applies a slice of the burst and answers
  // NotFound; NextWakeup() stays due until the burst is through.
  int calls = 0;
  while (p->NextWakeup() <= At(2)) {
    ASSERT_LT(calls, 100) << "the burst is never through";
    EXPECT_THAT(p->Next(At(2)), StatusIs(absl::StatusCode::kNotFound));
    ++calls;
  }
  EXPECT_GT(calls, 1);
  EXPECT_LE(calls, 10);
  EXPECT_EQ(p->NextWakeup(), absl::InfiniteFuture());
  // Every ticket is in its relaxed class: an agent at spanish 6 gets them
  // all, oldest first.
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, kTickets, {{"spanish", 6}}), At(2)));
  const std::vector<std::pair<int64_t, int64_t>> drained = Drain(*p, At(2));
  ASSERT_EQ(drained.size(), static_cast<size_t>(kTickets));
  for (int t = 0; t < kTickets; ++t) {
    EXPECT_EQ(drained[t], std::make_pair(int64_t{t + 1}, int64_t{1}));
  }
}

// Pull decisions apply a burst the same way.
TEST(SkillsPolicyTest, NextForAppliesARelaxationBurstOverSeveralCalls) {
  constexpr int kTickets = 1000;
  const auto config = Parse<v1::SkillsRoutingConfig>(
      "relaxations { after_seconds: 120 lower_levels_by: 3 }");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p, NewSkillsPolicy(config));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, kTickets, {{"spanish", 6}}), At(0)));
  for (int t = 1; t <= kTickets; ++t) {
    WorkItem item = Ticket(t, 0);
    item.required_skills = {{"spanish", 9}};
    ASSERT_OK(p->Enqueue(item));
  }
  for (int t = 1; t <= kTickets; ++t) {
    ASSERT_OK_AND_ASSIGN(Assignment a, p->NextFor(1, At(2)));
    ASSERT_EQ(a.ticket_id, t);
  }
  EXPECT_EQ(p->NextWakeup(), absl::InfiniteFuture());
}

TEST(SkillsPolicyTest, RelaxesAfterWaitsThenOverflows) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<RoutingPolicy> p,
      NewSkillsPolicy(Parse<v1::SkillsRoutingConfig>(R"pb(
        relaxations { after_seconds: 120 lower_levels_by: 3 }
        relaxations { after_seconds: 600 drop_skills: true }
        relaxations { after_seconds: 1200 overflow_group_id: 9 }
      )pb")));
  ASSERT_OK(p->UpdateAgent(Agent(9, {9}, 10), At(0)));  // overflow group
  WorkItem t = Ticket(1, 0, 3);
  t.required_skills = {{"spanish", 5}};
  ASSERT_OK(p->Enqueue(t));
  EXPECT_EQ(p->NextWakeup(), At(2));

  // Step 1: spanish>=2 after 2 minutes.
  ASSERT_OK(p->UpdateAgent(Agent(1, {3}, 10, {{"spanish", 2}}), At(0)));
  EXPECT_THAT(p->Next(At(1)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(2)));
  EXPECT_EQ(a.agent_id, 1);
  EXPECT_THAT(a.reason, HasSubstr("relaxation step 1 of 3 since 2m"));
  EXPECT_THAT(a.reason, HasSubstr("with skill spanish>=2"));

  // Declined: the next agent is someone without Spanish, after 10 minutes.
  ASSERT_OK(p->Decline(1, 1, OfferOutcome::kDeclined, At(3)));
  ASSERT_OK(p->UpdateAgent(Agent(2, {3}, 10), At(3)));
  EXPECT_THAT(p->Next(At(9)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(Assignment b, p->Next(At(10)));
  EXPECT_EQ(b.agent_id, 2);
  EXPECT_THAT(b.reason, HasSubstr("in group 3"));
  EXPECT_THAT(b.reason, Not(HasSubstr("spanish")));

  // Declined again: after 20 minutes the overflow group takes it.
  ASSERT_OK(p->Decline(1, 2, OfferOutcome::kTimedOut, At(11)));
  EXPECT_THAT(p->Next(At(19)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(Assignment c, p->Next(At(20)));
  EXPECT_EQ(c.agent_id, 9);
  EXPECT_THAT(c.reason, HasSubstr("in group 9"));
  EXPECT_EQ(p->NextWakeup(), absl::InfiniteFuture());
}

TEST(SkillsPolicyTest, PullHonoursSkillsToo) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p, NewSkillsPolicy({}));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 10, {{"billing", 3}}), At(0)));
  WorkItem refund = Ticket(1, 0);
  refund.required_skills = {{"billing", 5}};
  WorkItem simple = Ticket(2, 1);
  simple.required_skills = {{"billing", 2}};
  ASSERT_OK(p->Enqueue(refund));
  ASSERT_OK(p->Enqueue(simple));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->NextFor(1, At(2)));
  EXPECT_EQ(a.ticket_id, 2);
  EXPECT_THAT(a.reason, HasSubstr("requested by agent 1"));
  EXPECT_THAT(p->NextFor(1, At(2)), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SkillsPolicyTest, BadConfigNamesTheField) {
  EXPECT_THAT(NewSkillsPolicy(Parse<v1::SkillsRoutingConfig>(
                  "relaxations { after_seconds: -1 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("relaxations[0].after_seconds: -1")));
  EXPECT_THAT(NewSkillsPolicy(Parse<v1::SkillsRoutingConfig>(
                  "relaxations { after_seconds: 60 } "
                  "relaxations { after_seconds: 30 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("relaxations[1].after_seconds: 30")));
  EXPECT_THAT(NewSkillsPolicy(Parse<v1::SkillsRoutingConfig>(
                  "relaxations { lower_levels_by: 11 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lower_levels_by: 11")));
  EXPECT_THAT(NewSkillsPolicy(Parse<v1::SkillsRoutingConfig>(
                  "relaxations { overflow_group_id: -4 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("overflow_group_id: -4")));
}

// ---------------------------------------------------------------------------
// Priority with aging.

TEST(PriorityAgingPolicyTest, VipFirstButNobodyStarves) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewPriorityAgingPolicy(Parse<v1::PriorityAgingConfig>(
                           "vip_boost_seconds: 1800")));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 1), At(0)));
  WorkItem old_normal = Ticket(1, 0);
  WorkItem new_normal = Ticket(2, 50);
  WorkItem vip = Ticket(3, 55);
  vip.vip = true;
  ASSERT_OK(p->Enqueue(old_normal));
  ASSERT_OK(p->Enqueue(new_normal));
  ASSERT_OK(p->Enqueue(vip));
  // Ticket 1 waited 56 minutes, more than the VIP's 30-minute boost.
  std::vector<int64_t> order;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(56)));
    order.push_back(a.ticket_id);
    if (a.ticket_id == 3) {
      EXPECT_THAT(a.reason, HasSubstr("moved 30m earlier for VIP"));
    }
    ASSERT_OK(p->Remove(a.ticket_id));
  }
  EXPECT_THAT(order, ElementsAre(1, 3, 2));
}

TEST(PriorityAgingPolicyTest, UrgentAndTiersMoveAhead) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewPriorityAgingPolicy({}));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 1), At(0)));
  WorkItem normal = Ticket(1, 0);
  WorkItem gold = Ticket(2, 5);
  gold.customer_tier = 2;  // 2 x 10 minutes
  WorkItem urgent = Ticket(3, 30);
  urgent.priority = v1::PRIORITY_URGENT;  // 1 hour
  ASSERT_OK(p->Enqueue(normal));
  ASSERT_OK(p->Enqueue(gold));
  ASSERT_OK(p->Enqueue(urgent));
  std::vector<int64_t> order;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(31)));
    order.push_back(a.ticket_id);
    ASSERT_OK(p->Remove(a.ticket_id));
  }
  EXPECT_THAT(order, ElementsAre(3, 2, 1));
}

TEST(PriorityAgingPolicyTest, EarliestSlaDeadlineFirst) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewPriorityAgingPolicy({}));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 1), At(0)));
  WorkItem relaxed = Ticket(1, 0);
  relaxed.sla_due = At(240);
  WorkItem tight = Ticket(2, 10);
  tight.sla_due = At(40);
  WorkItem none = Ticket(3, 0);  // virtual deadline: a day
  ASSERT_OK(p->Enqueue(relaxed));
  ASSERT_OK(p->Enqueue(tight));
  ASSERT_OK(p->Enqueue(none));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(11)));
  EXPECT_EQ(a.ticket_id, 2);
  EXPECT_THAT(a.reason, HasSubstr("SLA due 2026-01-05 08:40:00 UTC"));
  ASSERT_OK(p->Remove(2));
  ASSERT_OK_AND_ASSIGN(Assignment b, p->Next(At(12)));
  EXPECT_EQ(b.ticket_id, 1);

  // Without SLA deadlines it is plain aging: oldest first.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> plain,
                       NewPriorityAgingPolicy(Parse<v1::PriorityAgingConfig>(
                           "use_sla_deadlines: false")));
  ASSERT_OK(plain->UpdateAgent(Agent(1, {}, 3), At(0)));
  ASSERT_OK(plain->Enqueue(tight));
  ASSERT_OK(plain->Enqueue(relaxed));
  ASSERT_OK_AND_ASSIGN(Assignment c, plain->Next(At(11)));
  EXPECT_EQ(c.ticket_id, 1);
}

TEST(PriorityAgingPolicyTest, PullTakesTheMostUrgentWorkOfTheAgent) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewPriorityAgingPolicy({}));
  ASSERT_OK(p->UpdateAgent(Agent(1, {1, 2}, 5), At(0)));
  WorkItem a = Ticket(1, 0, 1);
  WorkItem b = Ticket(2, 5, 2);
  b.priority = v1::PRIORITY_HIGH;
  ASSERT_OK(p->Enqueue(a));
  ASSERT_OK(p->Enqueue(b));
  ASSERT_OK_AND_ASSIGN(Assignment first, p->NextFor(1, At(6)));
  EXPECT_EQ(first.ticket_id, 2);
}

TEST(PriorityAgingPolicyTest, BadConfigNamesTheField) {
  EXPECT_THAT(NewPriorityAgingPolicy(Parse<v1::PriorityAgingConfig>(
                  "vip_boost_seconds: 99999999999")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("vip_boost_seconds: 99999999999")));
  EXPECT_THAT(NewPriorityAgingPolicy(Parse<v1::PriorityAgingConfig>(
                  "default_target_seconds: 0")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("default_target_seconds: 0")));
}

// ---------------------------------------------------------------------------
// Sticky owner.

TEST(StickyOwnerPolicyTest, RepliesGoBackToTheOwnerUnlessAway) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewStickyOwnerPolicy(NewLeastLoadedPolicy()));
  EXPECT_EQ(p->Name(), "helpdesk.sticky_owner(helpdesk.least_loaded)");
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 5), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(2, {}, 5), At(0)));
  ASSERT_OK(p->RecordAssignment(Ticket(50, 0), 2));  // 2 is busier
  WorkItem reply = Ticket(1, 1);
  reply.preferred_agent_id = 2;
  ASSERT_OK(p->Enqueue(Ticket(7, 0)));  // older, no owner
  ASSERT_OK(p->Enqueue(reply));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(2)));
  EXPECT_EQ(a.ticket_id, 1);
  EXPECT_EQ(a.agent_id, 2);
  EXPECT_THAT(a.reason,
              HasSubstr("sticky owner: agent 2 answered this requester before "
                        "and is online with room (1/5 email)"));
  ASSERT_OK_AND_ASSIGN(Assignment b, p->Next(At(2)));
  EXPECT_EQ(b.ticket_id, 7);
  EXPECT_EQ(b.agent_id, 1);

  // The owner is away: the base routes the reply to someone else.
  ASSERT_OK(p->UpdateAgent(Agent(2, {}, 5, {}, v1::PRESENCE_AWAY), At(3)));
  WorkItem second = Ticket(2, 3);
  second.preferred_agent_id = 2;
  ASSERT_OK(p->Enqueue(second));
  ASSERT_OK_AND_ASSIGN(Assignment c, p->Next(At(3)));
  EXPECT_EQ(c.ticket_id, 2);
  EXPECT_EQ(c.agent_id, 1);
  EXPECT_THAT(c.reason, Not(HasSubstr("sticky")));
}

TEST(StickyOwnerPolicyTest, OwnerWhoDeclinedIsNotTheOwnerAnyMore) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewStickyOwnerPolicy(NewFifoPolicy()));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 5), At(0)));
  WorkItem reply = Ticket(1, 0);
  reply.preferred_agent_id = 1;
  ASSERT_OK(p->Enqueue(reply));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(1)));
  EXPECT_EQ(a.agent_id, 1);
  ASSERT_OK(p->Decline(1, 1, OfferOutcome::kDeclined, At(1)));
  EXPECT_THAT(p->Next(At(2)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(p->UpdateAgent(Agent(2, {}, 5), At(3)));
  ASSERT_OK_AND_ASSIGN(Assignment b, p->Next(At(3)));
  EXPECT_EQ(b.agent_id, 2);
}

TEST(StickyOwnerPolicyTest, HoldsForABusyOwnerUntilTheWaitEnds) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<RoutingPolicy> p,
      NewStickyOwnerPolicy(NewFifoPolicy(), Parse<v1::StickyOwnerConfig>(
                                                "wait_for_busy_owner_seconds: 300")));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 1), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(2, {}, 1), At(0)));
  ASSERT_OK(p->RecordAssignment(Ticket(50, 0), 1));  // owner is full
  WorkItem reply = Ticket(1, 0);
  reply.preferred_agent_id = 1;
  ASSERT_OK(p->Enqueue(reply));
  EXPECT_EQ(p->NextWakeup(), At(5));
  // Agent 2 is free, but the reply waits for its owner...
  EXPECT_THAT(p->Next(At(1)), StatusIs(absl::StatusCode::kNotFound));
  // ...who frees up and gets it.
  ASSERT_OK(p->Remove(50));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(2)));
  EXPECT_EQ(a.ticket_id, 1);
  EXPECT_EQ(a.agent_id, 1);

  // A second reply: the owner stays busy, so after 5 minutes agent 2 gets it.
  WorkItem again = Ticket(2, 3);
  again.preferred_agent_id = 1;
  ASSERT_OK(p->Enqueue(again));
  EXPECT_THAT(p->Next(At(7)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(Assignment b, p->Next(At(8)));
  EXPECT_EQ(b.ticket_id, 2);
  EXPECT_EQ(b.agent_id, 2);

  // A third: the owner goes away, so nobody waits for them.
  ASSERT_OK(p->Remove(2));
  WorkItem third = Ticket(3, 9);
  third.preferred_agent_id = 1;
  ASSERT_OK(p->Enqueue(third));
  EXPECT_THAT(p->Next(At(9)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 1, {}, v1::PRESENCE_AWAY), At(10)));
  ASSERT_OK_AND_ASSIGN(Assignment c, p->Next(At(10)));
  EXPECT_EQ(c.ticket_id, 3);
  EXPECT_EQ(c.agent_id, 2);
  // Held tickets are known: queued-twice and removal behave.
  EXPECT_THAT(p->Enqueue(third), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(StickyOwnerPolicyTest, OwnerPullsTheirRepliesFirst) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewStickyOwnerPolicy(NewFifoPolicy()));
  ASSERT_OK(p->UpdateAgent(Agent(1, {}, 5), At(0)));
  ASSERT_OK(p->Enqueue(Ticket(1, 0)));
  WorkItem reply = Ticket(2, 5);
  reply.preferred_agent_id = 1;
  ASSERT_OK(p->Enqueue(reply));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->NextFor(1, At(6)));
  EXPECT_EQ(a.ticket_id, 2);
  EXPECT_THAT(a.reason, HasSubstr("requested by the owner"));
  ASSERT_OK_AND_ASSIGN(Assignment b, p->NextFor(1, At(6)));
  EXPECT_EQ(b.ticket_id, 1);
}

TEST(StickyOwnerPolicyTest, BadArgumentsAreInvalid) {
  EXPECT_THAT(NewStickyOwnerPolicy(nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NewStickyOwnerPolicy(NewFifoPolicy(),
                                   Parse<v1::StickyOwnerConfig>(
                                       "wait_for_busy_owner_seconds: -5")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wait_for_busy_owner_seconds: -5")));
}

// ---------------------------------------------------------------------------
// Tiered escalation.

v1::TieredEscalationConfig TwoTiers() {
  return Parse<v1::TieredEscalationConfig>(R"pb(
    tiers { group_id: 1 escalate_after_seconds: 600 }
    tiers { group_id: 2 }
  )pb");
}

TEST(TieredEscalationPolicyTest, EscalatesAfterAWait) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewTieredEscalationPolicy(TwoTiers()));
  ASSERT_OK(p->UpdateAgent(Agent(20, {2}, 5), At(0)));
  ASSERT_OK(p->Enqueue(Ticket(1, 0)));
  EXPECT_EQ(p->NextWakeup(), At(10));
  EXPECT_THAT(p->Next(At(9)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(10)));
  EXPECT_EQ(a.agent_id, 20);
  EXPECT_THAT(a.reason, HasSubstr("at tier 2 of 2, escalated from tier 1 after "
                                  "10m"));
  // Once escalated, tier 1 no longer takes it.
  ASSERT_OK(p->Decline(1, 20, OfferOutcome::kDeclined, At(11)));
  ASSERT_OK(p->UpdateAgent(Agent(10, {1}, 5), At(11)));
  EXPECT_THAT(p->Next(At(11)), StatusIs(absl::StatusCode::kNotFound));
}

TEST(TieredEscalationPolicyTest, TierOneFirstAndEscalationOnAFlag) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                       NewTieredEscalationPolicy(TwoTiers()));
  ASSERT_OK(p->UpdateAgent(Agent(10, {1}, 5), At(0)));
  ASSERT_OK(p->UpdateAgent(Agent(20, {2}, 5), At(0)));
  ASSERT_OK(p->Enqueue(Ticket(1, 0, /*group=*/7)));  // tiers replace groups
  ASSERT_OK_AND_ASSIGN(Assignment a, p->Next(At(1)));
  EXPECT_EQ(a.agent_id, 10);
  EXPECT_THAT(a.reason, HasSubstr("at tier 1 of 2"));
  // Tier 1 flags it for tier 2: the host raises the tier.
  ASSERT_OK(p->Remove(1));
  WorkItem flagged = Ticket(1, 0);
  flagged.support_tier = 2;
  ASSERT_OK(p->Enqueue(flagged));
  ASSERT_OK_AND_ASSIGN(Assignment b, p->Next(At(2)));
  EXPECT_EQ(b.agent_id, 20);
  // Update() raises the tier of a queued ticket in place.
  ASSERT_OK(p->UpdateAgent(Agent(20, {2}, 5, {}, v1::PRESENCE_AWAY), At(3)));
  ASSERT_OK(p->Enqueue(Ticket(2, 3)));
  ASSERT_OK(p->UpdateAgent(Agent(10, {1}, 5, {}, v1::PRESENCE_AWAY), At(3)));
  WorkItem raised = Ticket(2, 3);
  raised.support_tier = 5;  // beyond the tiers: the last one
  ASSERT_OK(p->Update(raised));
  ASSERT_OK(p->UpdateAgent(Agent(10, {1}, 5), At(4)));
  EXPECT_THAT(p->Next(At(4)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(p->UpdateAgent(Agent(20, {2}, 5), At(4)));
  ASSERT_OK_AND_ASSIGN(Assignment c, p->Next(At(4)));
  EXPECT_EQ(c.ticket_id, 2);
  EXPECT_EQ(c.agent_id, 20);
}

TEST(TieredEscalationPolicyTest, BadConfigNamesTheField) {
  EXPECT_THAT(NewTieredEscalationPolicy({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tiers")));
  EXPECT_THAT(NewTieredEscalationPolicy(Parse<v1::TieredEscalationConfig>(
                  "tiers { group_id: 0 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tiers[0].group_id: 0")));
  EXPECT_THAT(NewTieredEscalationPolicy(Parse<v1::TieredEscalationConfig>(
                  "tiers { group_id: 1 escalate_after_seconds: -1 }")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tiers[0].escalate_after_seconds: -1")));
}

// ---------------------------------------------------------------------------
// Shared parts.

TEST(RoutingTest, AgentStateFromProto) {
  v1::Agent agent = Parse<v1::Agent>(R"pb(
    id: 7 presence: PRESENCE_ONLINE group_ids: [3, 4]
    skills { name: "spanish" level: 3 }
    capacity { channel: CHANNEL_CHAT max_items: 3 }
    capacity { channel: CHANNEL_EMAIL max_items: 10 }
  )pb");
  AgentState state = AgentStateFromProto(agent);
  EXPECT_EQ(state.agent_id, 7);
  EXPECT_EQ(state.presence, v1::PRESENCE_ONLINE);
  EXPECT_THAT(state.group_ids, ElementsAre(3, 4));
  ASSERT_EQ(state.skills.size(), 1u);
  EXPECT_EQ(state.skills[0].skill, "spanish");
  EXPECT_EQ(state.skills[0].level, 3);
  ASSERT_EQ(state.capacity.size(), 2u);
  EXPECT_EQ(state.capacity[1].channel, v1::CHANNEL_EMAIL);
  EXPECT_EQ(state.capacity[1].max_items, 10);
  agent.set_deactivated(true);
  EXPECT_EQ(AgentStateFromProto(agent).presence, v1::PRESENCE_OFFLINE);
}

TEST(RoutingTest, ValidationMessagesNameTheFieldAndValue) {
  WorkItem item = Ticket(42, 0);
  item.required_skills = {{"spanish", 3}, {"spanish", 4}};
  EXPECT_THAT(ValidateWorkItem(item),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("work item 42: required_skills[1].skill: "
                                 "'spanish' is required twice")));
  item = Ticket(42, 0);
  item.support_tier = 0;
  EXPECT_THAT(ValidateWorkItem(item),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("support_tier: 0")));
  item = Ticket(42, 0);
  item.sla_due = absl::InfinitePast();
  EXPECT_THAT(ValidateWorkItem(item),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sla_due")));
  AgentState agent = Agent(7, {0}, 1);
  EXPECT_THAT(ValidateAgentState(agent),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("agent 7: group_ids[0]: 0 must be > 0")));
  agent = Agent(7, {}, 1, {{"billing", 0}});
  EXPECT_THAT(ValidateAgentState(agent),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("skills[0].level: 0 is not in [1, 10]")));
  agent = Agent(7, {}, 10001);
  EXPECT_THAT(ValidateAgentState(agent),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("capacity[0].max_items: 10001")));
}

// ValidateWorkItem passes the common item through one combined check; each
// field that check covers, made invalid alone, must still be refused.
TEST(RoutingTest, ValidationFastPathRefusesEachBadField) {
  // The check uses ranges for the channel and priority enums: no gaps.
  for (int c = v1::Channel_MIN; c <= v1::Channel_MAX; ++c) {
    EXPECT_TRUE(v1::Channel_IsValid(c)) << c;
  }
  for (int p = v1::Priority_MIN; p <= v1::Priority_MAX; ++p) {
    EXPECT_TRUE(v1::Priority_IsValid(p)) << p;
  }
  EXPECT_THAT(ValidateWorkItem(Ticket(42, 0)), IsOk());
  std::vector<std::pair<std::string, std::function<void(WorkItem&)>>> bad = {
      {"ticket_id", [](WorkItem& i) { i.ticket_id = 0; }},
      {"channel", [](WorkItem& i) { i.channel = v1::CHANNEL_UNSPECIFIED; }},
      {"channel", [](WorkItem& i) { i.channel = static_cast<v1::Channel>(v1::Channel_MAX + 1); }},
      {"group_id", [](WorkItem& i) { i.group_id = -1; }},
      {"priority", [](WorkItem& i) { i.priority = static_cast<v1::Priority>(-1); }},
      {"priority", [](WorkItem& i) { i.priority = static_cast<v1::Priority>(v1::Priority_MAX + 1); }},
      {"min_level", [](WorkItem& i) { i.required_skills = {{"x", 0}}; }},
      {"customer_tier", [](WorkItem& i) { i.customer_tier = -1; }},
      {"preferred_agent_id", [](WorkItem& i) { i.preferred_agent_id = -1; }},
      {"support_tier", [](WorkItem& i) { i.support_tier = 0; }},
      {"sla_due", [](WorkItem& i) { i.sla_due = absl::InfiniteFuture(); }},
      {"enqueued_at", [](WorkItem& i) { i.enqueued_at = absl::InfinitePast(); }},
      {"enqueued_at", [](WorkItem& i) { i.enqueued_at = absl::FromCivil(absl::CivilSecond(1899, 12, 31), absl::UTCTimeZone()); }},
  };
  for (const auto& [field, spoil] : bad) {
    SCOPED_TRACE(field);
    WorkItem item = Ticket(42, 0);
    spoil(item);
    EXPECT_THAT(ValidateWorkItem(item),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field)));
  }
}

TEST(RoutingTest, NewRoutingPolicyBuildsEachBuiltin) {
  EXPECT_THAT(NewRoutingPolicy({}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("none is set")));
  for (const char* text :
       {"fifo {}", "newest_first {}", "round_robin {}", "least_loaded {}",
        "skills {}", "priority_aging {}",
        "tiered_escalation { tiers { group_id: 1 } }",
        "fifo {} sticky_owner { wait_for_busy_owner_seconds: 60 }"}) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<RoutingPolicy> p,
        NewRoutingPolicy(Parse<v1::RoutingPolicyConfig>(text)));
    EXPECT_THAT(std::string(p->Name()), ::testing::StartsWith("helpdesk."));
  }
  EXPECT_THAT(NewRoutingPolicy(Parse<v1::RoutingPolicyConfig>(
                  "tiered_escalation {}")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A wrapper that fails one call: how tests inject faults.
class FailingNext : public RoutingPolicyWrapper {
 public:
  using RoutingPolicyWrapper::RoutingPolicyWrapper;
  absl::StatusOr<Assignment> Next(absl::Time now) override {
    return absl::UnavailableError("injected");
  }
};

TEST(RoutingTest, WrapperForwardsEverythingButWhatItOverrides) {
  std::unique_ptr<RoutingPolicy> base = NewFifoPolicy();
  FailingNext wrapper(base.get());
  EXPECT_EQ(wrapper.Name(), "helpdesk.fifo");
  ASSERT_OK(wrapper.UpdateAgent(Agent(1, {}, 1), At(0)));
  ASSERT_OK(wrapper.Enqueue(Ticket(1, 0)));
  EXPECT_THAT(wrapper.Next(At(1)), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(Assignment a, wrapper.NextFor(1, At(1)));
  EXPECT_EQ(a.ticket_id, 1);
  EXPECT_EQ(wrapper.NextWakeup(), absl::InfiniteFuture());
}

TEST(RoutingTest, ManyClassesAndAgentsStayConsistent) {
  // Agents join and leave groups while tickets wait; every ticket ends up with
  // an agent of its group.
  std::unique_ptr<RoutingPolicy> p = NewLeastLoadedPolicy();
  for (int t = 1; t <= 200; ++t) ASSERT_OK(p->Enqueue(Ticket(t, t, 1 + t % 5)));
  for (int a = 1; a <= 20; ++a) {
    ASSERT_OK(p->UpdateAgent(Agent(a, {1 + a % 5}, 3), At(0)));
  }
  for (int a = 1; a <= 20; ++a) {
    ASSERT_OK(p->UpdateAgent(Agent(a, {1 + (a + 1) % 5, 1 + (a + 2) % 5}, 10),
                             At(1)));
  }
  int assigned = 0;
  while (true) {
    absl::StatusOr<Assignment> a = p->Next(At(300));
    if (!a.ok()) break;
    const int64_t group = 1 + a->ticket_id % 5;
    EXPECT_TRUE(group == 1 + (a->agent_id + 1) % 5 ||
                group == 1 + (a->agent_id + 2) % 5)
        << "ticket " << a->ticket_id << " -> agent " << a->agent_id;
    ++assigned;
  }
  EXPECT_EQ(assigned, 200);
}

// A brute-force reference for the built-ins whose decisions are fully
// specified by the documented orders: it scans every queued ticket and every
// agent for each decision. Random events (agents changing presence, groups,
// skills and capacity; tickets queued out of order, removed, declined;
// push and pull decisions) must give exactly the reference's decisions. This
// checks the engine's incremental state (routing classes, the lazy ready
// heap, the small sorted arrays that turn into trees) against the rules.
class ReferenceRouter {
 public:
  enum class Order { kOldest, kNewest };
  ReferenceRouter(Order order, bool least_loaded, bool skills)
      : order_(order), least_loaded_(least_loaded), skills_(skills) {}

  void UpdateAgent(const AgentState& a) {
    Agent& r = agents_[a.agent_id];
    r.state = a;
  }
  void Enqueue(const WorkItem& item) {
    Ticket& t = tickets_[item.ticket_id];
    t.item = item;
    t.seq = ++enqueues_;
    t.agent = 0;
  }
  void Remove(int64_t id) {
    Ticket& t = tickets_.at(id);
    if (t.agent != 0) --agents_[t.agent].load[t.item.channel];
    tickets_.erase(id);
  }
  void Decline(int64_t id) {
    Ticket& t = tickets_.at(id);
    --agents_[t.agent].load[t.item.channel];
    t.excluded.push_back(t.agent);
    t.agent = 0;
  }
  // The expected Next(): (ticket, agent), or (0, 0) for NotFound.
  std::pair<int64_t, int64_t> Next() {
    for (int64_t id : QueuedInOrder()) {
      const Ticket& t = tickets_.at(id);
      int64_t best = 0;
      for (const auto& [agent_id, a] : agents_) {
        if (!Fits(a, t)) continue;
        if (best == 0 || AgentBefore(a, agents_.at(best), t.item.channel)) {
          best = agent_id;
        }
      }
      if (best != 0) return Take(id, best);
    }
    return {0, 0};
  }
  // The expected NextFor(agent): the ticket, 0 for NotFound, -1 for
  // FailedPrecondition (away or offline).
  int64_t NextFor(int64_t agent_id) {
    const Agent& a = agents_.at(agent_id);
    if (a.state.presence != v1::PRESENCE_ONLINE) return -1;
    for (int64_t id : QueuedInOrder()) {
      if (Fits(a, tickets_.at(id))) return Take(id, agent_id).first;
    }
    return 0;
  }
  std::vector<int64_t> Assigned() const {
    std::vector<int64_t> out;
    for (const auto& [id, t] : tickets_) {
      if (t.agent != 0) out.push_back(id);
    }
    return out;
  }
  std::vector<int64_t> Known() const {
    std::vector<int64_t> out;
    for (const auto& [id, t] : tickets_) out.push_back(id);
    return out;
  }
  int64_t AgentOf(int64_t ticket) const { return tickets_.at(ticket).agent; }

 private:
  struct Agent {
    AgentState state;
    std::map<int, int32_t> load;
    int64_t last_assigned = 0;
    int32_t Capacity(int channel) const {
      for (const ChannelLimit& c : state.capacity) {
        if (c.channel == channel) return c.max_items;
      }
      return 0;
    }
    int32_t Load(int channel) const {
      auto it = load.find(channel);
      return it == load.end() ? 0 : it->second;
    }
  };
  struct Ticket {
    WorkItem item;
    int64_t seq = 0;
    int64_t agent = 0;
    std::vector<int64_t> excluded;
  };

  std::vector<int64_t> QueuedInOrder() const {
    std::vector<std::tuple<int64_t, int64_t, int64_t>> keys;
    for (const auto& [id, t] : tickets_) {
      if (t.agent != 0) continue;
      const int64_t at = absl::ToUnixMicros(t.item.enqueued_at);
      keys.emplace_back(order_ == Order::kOldest ? at : -at,
                        order_ == Order::kOldest ? t.seq : -t.seq, id);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<int64_t> out;
    for (const auto& k : keys) out.push_back(std::get<2>(k));
    return out;
  }
  bool Fits(const Agent& a, const Ticket& t) const {
    const int ch = t.item.channel;
    if (a.state.presence != v1::PRESENCE_ONLINE) return false;
    if (a.Capacity(ch) <= 0 || a.Load(ch) >= a.Capacity(ch)) return false;
    if (t.item.group_id != 0 &&
        std::find(a.state.group_ids.begin(), a.state.group_ids.end(),
                  t.item.group_id) == a.state.group_ids.end()) {
      return false;
    }
    if (std::find(t.excluded.begin(), t.excluded.end(), a.state.agent_id) !=
        t.excluded.end()) {
      return false;
    }
    if (!skills_) return true;
    for (const SkillRequirement& r : t.item.required_skills) {
      bool has = false;
      for (const SkillLevel& s : a.state.skills) {
        has = has || (s.skill == r.skill && s.level >= r.min_level);
      }
      if (!has) return false;
    }
    return true;
  }
  bool AgentBefore(const Agent& a, const Agent& b, int ch) const {
    if (least_loaded_) {
      // load / capacity, compared exactly.
      const int64_t l = int64_t{a.Load(ch)} * b.Capacity(ch);
      const int64_t r = int64_t{b.Load(ch)} * a.Capacity(ch);
      if (l != r) return l < r;
    }
    if (a.last_assigned != b.last_assigned) {
      return a.last_assigned < b.last_assigned;
    }
    return a.state.agent_id < b.state.agent_id;
  }
  std::pair<int64_t, int64_t> Take(int64_t ticket, int64_t agent) {
    Ticket& t = tickets_.at(ticket);
    Agent& a = agents_.at(agent);
    t.agent = agent;
    ++a.load[t.item.channel];
    a.last_assigned = ++decisions_;
    return {ticket, agent};
  }

  Order order_;
  bool least_loaded_;
  bool skills_;
  std::map<int64_t, Agent> agents_;
  std::map<int64_t, Ticket> tickets_;
  int64_t enqueues_ = 0;
  int64_t decisions_ = 0;
};

TEST(RoutingTest, BuiltinsMatchABruteForceReferenceUnderRandomEvents) {
  struct Case {
    const char* config;
    ReferenceRouter::Order order;
    bool least_loaded;
    bool skills;
  };
  for (const Case& c : {
           Case{"fifo {}", ReferenceRouter::Order::kOldest, false, false},
           Case{"newest_first {}", ReferenceRouter::Order::kNewest, false, false},
           Case{"least_loaded {}", ReferenceRouter::Order::kOldest, true, false},
           Case{"skills {}", ReferenceRouter::Order::kOldest, true, true},
       }) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE(absl::StrCat(c.config, " seed ", seed));
      ASSERT_OK_AND_ASSIGN(
          std::unique_ptr<RoutingPolicy> p,
          NewRoutingPolicy(Parse<v1::RoutingPolicyConfig>(c.config)));
      if (seed % 2 == 0) p->SetReasons(false);
      ReferenceRouter ref(c.order, c.least_loaded, c.skills);
      std::mt19937_64 rng(seed);
      auto pick = [&rng](const std::vector<int64_t>& v) {
        return v[rng() % v.size()];
      };
      constexpr int kAgents = 8;
      // Many tickets (seed 1 keeps hundreds queued, past the point
      // where a class's sorted array becomes a tree) or few.
      const int enqueue_weight = seed == 1 ? 60 : 30;
      int64_t next_ticket = 1;
      int64_t minute = 1000;
      for (int a = 1; a <= kAgents; ++a) {
        AgentState s = Agent(a, {1}, 1);
        ASSERT_OK(p->UpdateAgent(s, At(0)));
        ref.UpdateAgent(s);
      }
      for (int step = 0; step < 2500; ++step) {
        ++minute;
        const int op = static_cast<int>(rng() % 100);
        if (op < 10) {
          AgentState s;
          s.agent_id = 1 + static_cast<int64_t>(rng() % kAgents);
          const int presence = static_cast<int>(rng() % 10);
          s.presence = presence < 7   ? v1::PRESENCE_ONLINE
                       : presence < 9 ? v1::PRESENCE_AWAY
                                      : v1::PRESENCE_OFFLINE;
          for (int64_t g = 1; g <= 3; ++g) {
            if (rng() % 2) s.group_ids.push_back(g);
          }
          for (const char* skill : {"de", "fr"}) {
            if (rng() % 2) {
              s.skills.push_back({skill, 1 + static_cast<int32_t>(rng() % 5)});
            }
          }
          s.capacity = {{v1::CHANNEL_EMAIL, static_cast<int32_t>(rng() % 4)},
                        {v1::CHANNEL_CHAT, static_cast<int32_t>(rng() % 3)}};
          ASSERT_OK(p->UpdateAgent(s, At(minute)));
          ref.UpdateAgent(s);
        } else if (op < enqueue_weight) {
          WorkItem item;
          item.ticket_id = next_ticket++;
          item.channel = rng() % 3 ? v1::CHANNEL_EMAIL : v1::CHANNEL_CHAT;
          item.group_id = static_cast<int64_t>(rng() % 4);
          if (rng() % 3 == 0) {
            item.required_skills.push_back(
                {rng() % 2 ? "de" : "fr", 1 + static_cast<int32_t>(rng() % 5)});
          }
          // Out of order at times: a ticket queued earlier comes in late.
          item.enqueued_at = At(minute - static_cast<int64_t>(rng() % 200));
          ASSERT_OK(p->Enqueue(item));
          ref.Enqueue(item);
        } else if (op < enqueue_weight + 8) {
          const std::vector<int64_t> known = ref.Known();
          if (known.empty()) continue;
          const int64_t id = pick(known);
          ASSERT_OK(p->Remove(id));
          ref.Remove(id);
        } else if (op < enqueue_weight + 14) {
          const std::vector<int64_t> assigned = ref.Assigned();
          if (assigned.empty()) continue;
          const int64_t id = pick(assigned);
          ASSERT_OK(p->Decline(id, ref.AgentOf(id), OfferOutcome::kDeclined,
                               At(minute)));
          ref.Decline(id);
        } else if (op < enqueue_weight + 20) {
          const int64_t agent = 1 + static_cast<int64_t>(rng() % kAgents);
          const int64_t want = ref.NextFor(agent);
          absl::StatusOr<Assignment> got = p->NextFor(agent, At(minute));
          if (want < 0) {
            ASSERT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition));
          } else if (want == 0) {
            ASSERT_THAT(got, StatusIs(absl::StatusCode::kNotFound))
                << "step " << step << " agent " << agent;
          } else {
            ASSERT_OK(got);
            ASSERT_EQ(got->ticket_id, want) << "step " << step;
          }
        } else {
          // Push: one decision, or drain everything placeable.
          const int rounds = rng() % 4 == 0 ? 1000 : 1;
          for (int r = 0; r < rounds; ++r) {
            const std::pair<int64_t, int64_t> want = ref.Next();
            if (!p->MayAssign(At(minute))) {
              ASSERT_EQ(want.first, 0) << "MayAssign() said no; step " << step;
            }
            absl::StatusOr<Assignment> got = p->Next(At(minute));
            if (want.first == 0) {
              ASSERT_THAT(got, StatusIs(absl::StatusCode::kNotFound))
                  << "step " << step;
              break;
            }
            ASSERT_OK(got);
            ASSERT_EQ(std::make_pair(got->ticket_id, got->agent_id), want)
                << "step " << step;
          }
        }
      }
    }
  }
}

TEST(RoutingTest, MayAssignSaysNoWhenNothingCanBePlaced) {
  for (const char* text :
       {"fifo {}", "least_loaded {}", "skills {}", "least_loaded {} sticky_owner {}"}) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> p,
                         NewRoutingPolicy(Parse<v1::RoutingPolicyConfig>(text)));
    EXPECT_FALSE(p->MayAssign(At(0)));  // nothing at all
    ASSERT_OK(p->Enqueue(Ticket(1, 0, 1)));
    EXPECT_FALSE(p->MayAssign(At(0)));  // nobody to take it
    ASSERT_OK(p->UpdateAgent(Agent(7, {2}, 1), At(0)));
    EXPECT_FALSE(p->MayAssign(At(0)));  // nobody of its group
    ASSERT_OK(p->UpdateAgent(Agent(8, {1}, 1), At(0)));
    EXPECT_TRUE(p->MayAssign(At(0)));
    EXPECT_THAT(Drain(*p, At(0)), ElementsAre(std::make_pair(1, 8)));
    EXPECT_FALSE(p->MayAssign(At(0)));  // placed
    ASSERT_OK(p->Enqueue(Ticket(2, 0, 1)));
    EXPECT_FALSE(p->MayAssign(At(0)));  // agent 8 is full
    ASSERT_OK(p->Remove(1));
    EXPECT_TRUE(p->MayAssign(At(0)));   // and has room again
  }
}

TEST(RoutingTest, ReasonsOffGiveTheSameDecisionsWithoutReasons) {
  // A host that turns reasons off (the simulator) gets the same decisions,
  // and no text; ticket ids small and huge (two ways of indexing them).
  for (const char* text :
       {"fifo {}", "newest_first {}", "round_robin {}", "least_loaded {}",
        "skills { relaxations { after_seconds: 120 lower_levels_by: 5 } }",
        "priority_aging {}", "tiered_escalation { tiers { group_id: 1 } }",
        "least_loaded {} sticky_owner {}"}) {
    SCOPED_TRACE(text);
    const auto config = Parse<v1::RoutingPolicyConfig>(text);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> explained,
                         NewRoutingPolicy(config));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RoutingPolicy> quiet,
                         NewRoutingPolicy(config));
    quiet->SetReasons(false);
    for (RoutingPolicy* p : {explained.get(), quiet.get()}) {
      for (int a = 1; a <= 6; ++a) {
        ASSERT_OK(p->UpdateAgent(
            Agent(a, {1}, 2, {{"spanish", 1 + a}}), At(0)));
      }
      for (int t = 1; t <= 20; ++t) {
        WorkItem item = Ticket(t % 2 ? t : (int64_t{1} << 40) + t, t, 1);
        item.priority = static_cast<v1::Priority>(1 + t % 4);
        if (t % 3 == 0) item.required_skills = {{"spanish", 6}};
        if (t % 5 == 0) item.preferred_agent_id = 1 + t % 6;
        ASSERT_OK(p->Enqueue(item));
      }
    }
    std::vector<std::pair<int64_t, int64_t>> want, got;
    for (absl::Time now : {At(30), At(40)}) {
      while (true) {
        absl::StatusOr<Assignment> a = explained->Next(now);
        if (!a.ok()) break;
        EXPECT_FALSE(a->reason.empty());
        want.emplace_back(a->ticket_id, a->agent_id);
      }
      while (true) {
        absl::StatusOr<Assignment> a = quiet->Next(now);
        if (!a.ok()) break;
        EXPECT_EQ(a->reason, "");
        got.emplace_back(a->ticket_id, a->agent_id);
      }
      // Work done frees room for the next round.
      for (const auto& [ticket, agent] : want) ASSERT_OK(explained->Remove(ticket));
      for (const auto& [ticket, agent] : got) ASSERT_OK(quiet->Remove(ticket));
      EXPECT_EQ(got, want);
      EXPECT_FALSE(want.empty());
      want.clear();
      got.clear();
    }
  }
}

}  // namespace
}  // namespace helpdesk
