// Behaviour of each built-in routing policy beyond the shared contract (which
// routing_conformance_test checks): orders, rotations, loads, skills and
// relaxation, aging and deadlines, sticky owners, tiers and their configs.
// The parts the policies share (validation, the wrapper, reasons, agreement
// with a brute-force reference) are in routing_shared_test.cc.
#include "helpdesk/routing.h"

#include "routing_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

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

}  // namespace
}  // namespace helpdesk
