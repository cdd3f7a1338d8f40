// The RoutingPolicy conformance suite's tests: capacity, presence, declines,
// push and pull, errors, and the seeded random run. Part of
// helpdesk::routing_conformance (see helpdesk/testing/routing_conformance.h).
#include <memory>
#include <set>
#include <vector>

#include "helpdesk/testing/routing_conformance.h"
#include "testing/routing_conformance_internal.h"

namespace helpdesk::testing {

namespace rci = routing_conformance_internal;

TEST_P(RoutingConformanceTest, NameIsNotEmpty) {
  EXPECT_FALSE(policy().Name().empty());
}

TEST_P(RoutingConformanceTest, AnEmptyPolicyHasNothingToAssign) {
  EXPECT_THAT(policy().Next(rci::Minute(0)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy().NextFor(99, rci::Minute(0)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RoutingConformanceTest, AssignsQueuedWorkToAnOnlineAgentWithAReason) {
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(7, 2), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(42)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(1)));
  EXPECT_EQ(a.ticket_id, 42);
  EXPECT_EQ(a.agent_id, 7);
  EXPECT_FALSE(a.reason.empty());
  EXPECT_THAT(policy().Next(rci::Minute(1)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RoutingConformanceTest, MalformedInputIsInvalidArgument) {
  WorkItem no_id = rci::Ticket(0);
  EXPECT_THAT(policy().Enqueue(no_id),
              StatusIs(absl::StatusCode::kInvalidArgument));
  WorkItem no_channel = rci::Ticket(1);
  no_channel.channel = v1::CHANNEL_UNSPECIFIED;
  EXPECT_THAT(policy().Enqueue(no_channel),
              StatusIs(absl::StatusCode::kInvalidArgument));
  WorkItem bad_skill = rci::Ticket(2);
  bad_skill.required_skills = {{"spanish", 11}};
  EXPECT_THAT(policy().Enqueue(bad_skill),
              StatusIs(absl::StatusCode::kInvalidArgument));
  WorkItem infinite = rci::Ticket(3);
  infinite.enqueued_at = absl::InfiniteFuture();
  EXPECT_THAT(policy().Enqueue(infinite),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(policy().UpdateAgent(rci::Online(0, 1), rci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  AgentState negative = rci::Online(5, 1);
  negative.capacity[0].max_items = -1;
  EXPECT_THAT(policy().UpdateAgent(negative, rci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  AgentState twice = rci::Online(5, 1);
  twice.capacity.push_back({v1::CHANNEL_EMAIL, 2});
  EXPECT_THAT(policy().UpdateAgent(twice, rci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Nothing of that was recorded.
  EXPECT_THAT(policy().Next(rci::Minute(0)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy().NextFor(5, rci::Minute(0)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RoutingConformanceTest, EnqueueingTheSameTicketTwiceIsAlreadyExists) {
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(1)));
  EXPECT_THAT(policy().Enqueue(rci::Ticket(1)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(7, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(0)));
  EXPECT_EQ(a.ticket_id, 1);
  EXPECT_THAT(policy().Enqueue(rci::Ticket(1)),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(RoutingConformanceTest, RemovedWorkIsGone) {
  EXPECT_THAT(policy().Remove(5), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(1)));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(2, 1)));
  HELPDESK_ASSERT_OK(policy().Remove(1));
  EXPECT_THAT(policy().Remove(1), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(7, 5), rci::Minute(2)));
  std::vector<Assignment> assigned = Drain(rci::Minute(2));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].ticket_id, 2);
  // Removing an assigned ticket (work done) forgets it too.
  HELPDESK_ASSERT_OK(policy().Remove(2));
  EXPECT_THAT(policy().Remove(2), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy().Next(rci::Minute(3)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RoutingConformanceTest, NeverAssignsAboveCapacityOnAChannel) {
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 2, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(2, 1, 0), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(3, 3, 2), rci::Minute(0)));
  for (int i = 1; i <= 20; ++i) {
    HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(i, i)));
    HELPDESK_ASSERT_OK(
        policy().Enqueue(rci::Ticket(100 + i, i, v1::CHANNEL_CHAT)));
  }
  std::map<std::pair<int64_t, bool>, int> load;  // (agent, chat?) -> items
  std::vector<int64_t> emails_of_3;
  for (const Assignment& a : Drain(rci::Minute(30))) {
    ++load[{a.agent_id, a.ticket_id > 100}];
    if (a.agent_id == 3 && a.ticket_id <= 100) emails_of_3.push_back(a.ticket_id);
  }
  EXPECT_EQ(load[std::make_pair(int64_t{1}, false)], 2);
  EXPECT_EQ(load[std::make_pair(int64_t{2}, false)], 1);
  EXPECT_EQ(load[std::make_pair(int64_t{3}, false)], 3);
  EXPECT_EQ(load[std::make_pair(int64_t{1}, true)], 1);
  EXPECT_EQ(load[std::make_pair(int64_t{2}, true)], 0);
  EXPECT_EQ(load[std::make_pair(int64_t{3}, true)], 2);
  // Full agents get nothing by pull either.
  for (int64_t agent : {1, 2, 3}) {
    EXPECT_THAT(policy().NextFor(agent, rci::Minute(30)),
                StatusIs(absl::StatusCode::kNotFound));
  }
  // Lowering a capacity keeps the work but gives no more until the load is
  // below the new capacity.
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(3, 1, 2), rci::Minute(30)));
  ASSERT_EQ(emails_of_3.size(), 3u);
  HELPDESK_ASSERT_OK(policy().Remove(emails_of_3[0]));
  HELPDESK_ASSERT_OK(policy().Remove(emails_of_3[1]));
  EXPECT_THAT(policy().NextFor(3, rci::Minute(31)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(Drain(rci::Minute(31)).empty());
  HELPDESK_ASSERT_OK(policy().Remove(emails_of_3[2]));
  std::vector<Assignment> more = Drain(rci::Minute(32));
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].agent_id, 3);
}

TEST_P(RoutingConformanceTest, AgentsWhoAreAwayOrOfflineReceiveNoWork) {
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Agent(1, v1::PRESENCE_AWAY, 5),
                                 rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Agent(2, v1::PRESENCE_OFFLINE, 5),
                                 rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Agent(3, v1::PRESENCE_UNSPECIFIED, 5),
                                 rci::Minute(0)));
  for (int i = 1; i <= 3; ++i) HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(i, i)));
  EXPECT_THAT(policy().Next(rci::Minute(5)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy().NextFor(1, rci::Minute(5)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(policy().NextFor(2, rci::Minute(5)),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // An agent who goes away after taking work gets no more.
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 5), rci::Minute(6)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(6)));
  EXPECT_EQ(a.agent_id, 1);
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Agent(1, v1::PRESENCE_AWAY, 5),
                                 rci::Minute(7)));
  EXPECT_THAT(policy().Next(rci::Minute(7)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Agent(1, v1::PRESENCE_OFFLINE, 5),
                                 rci::Minute(8)));
  EXPECT_THAT(policy().Next(rci::Minute(8)),
              StatusIs(absl::StatusCode::kNotFound));
  // Their assigned work still counts: removing it is fine.
  HELPDESK_EXPECT_OK(policy().Remove(a.ticket_id));
}

TEST_P(RoutingConformanceTest, QueuedWorkIsRoutedAsSoonAsAnAgentIsEligible) {
  for (int i = 1; i <= 4; ++i) HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(i, i)));
  EXPECT_THAT(policy().Next(rci::Minute(5)),
              StatusIs(absl::StatusCode::kNotFound));
  // An agent arrives.
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(7, 1), rci::Minute(6)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment first, policy().Next(rci::Minute(6)));
  EXPECT_EQ(first.agent_id, 7);
  EXPECT_THAT(policy().Next(rci::Minute(6)),
              StatusIs(absl::StatusCode::kNotFound));
  // Their work is done: room again.
  HELPDESK_ASSERT_OK(policy().Remove(first.ticket_id));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment second, policy().Next(rci::Minute(7)));
  EXPECT_EQ(second.agent_id, 7);
  // Their capacity grows.
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(7, 2), rci::Minute(8)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment third, policy().Next(rci::Minute(8)));
  EXPECT_EQ(third.agent_id, 7);
  // A second agent comes back from being away.
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Agent(8, v1::PRESENCE_AWAY, 1),
                                 rci::Minute(9)));
  EXPECT_THAT(policy().Next(rci::Minute(9)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(8, 1), rci::Minute(10)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment fourth, policy().Next(rci::Minute(10)));
  EXPECT_EQ(fourth.agent_id, 8);
  std::set<int64_t> tickets = {first.ticket_id, second.ticket_id,
                               third.ticket_id, fourth.ticket_id};
  EXPECT_EQ(tickets, (std::set<int64_t>{1, 2, 3, 4}));
}

TEST_P(RoutingConformanceTest, ChannelsHaveTheirOwnCapacity) {
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 0, 2), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(1, 0, v1::CHANNEL_EMAIL)));
  EXPECT_THAT(policy().Next(rci::Minute(1)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy().NextFor(1, rci::Minute(1)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(2, 0, v1::CHANNEL_CHAT)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(1)));
  EXPECT_EQ(a.ticket_id, 2);
}

TEST_P(RoutingConformanceTest, DeclinedOffersAreNeverMadeToThatAgentAgain) {
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(2, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(10)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(1)));
  ASSERT_EQ(a.ticket_id, 10);
  HELPDESK_ASSERT_OK(policy().Decline(10, a.agent_id, OfferOutcome::kDeclined,
                             rci::Minute(1)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment b, policy().Next(rci::Minute(2)));
  EXPECT_EQ(b.ticket_id, 10);
  EXPECT_NE(b.agent_id, a.agent_id);
  HELPDESK_ASSERT_OK(policy().Decline(10, b.agent_id, OfferOutcome::kTimedOut,
                             rci::Minute(3)));
  // Both have room, neither may get it: it stays queued.
  EXPECT_THAT(policy().Next(rci::Minute(4)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy().NextFor(1, rci::Minute(4)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy().NextFor(2, rci::Minute(4)),
              StatusIs(absl::StatusCode::kNotFound));
  // Other work still reaches them.
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(11, 5)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment c, policy().Next(rci::Minute(5)));
  EXPECT_EQ(c.ticket_id, 11);
  // A third agent gets the declined ticket.
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(3, 1), rci::Minute(6)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment d, policy().Next(rci::Minute(6)));
  EXPECT_EQ(d.ticket_id, 10);
  EXPECT_EQ(d.agent_id, 3);
}

TEST_P(RoutingConformanceTest, DeclineChecksWhoHasTheOffer) {
  EXPECT_THAT(policy().Decline(10, 1, OfferOutcome::kDeclined, rci::Minute(0)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(10)));
  EXPECT_THAT(policy().Decline(10, 1, OfferOutcome::kDeclined, rci::Minute(0)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(0)));
  ASSERT_EQ(a.agent_id, 1);
  EXPECT_THAT(policy().Decline(10, 2, OfferOutcome::kDeclined, rci::Minute(0)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(RoutingConformanceTest, PullGivesTheAgentWorkThatFitsThem) {
  EXPECT_THAT(policy().NextFor(1, rci::Minute(0)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 1, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(2, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(1, 0, v1::CHANNEL_CHAT)));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(2, 1, v1::CHANNEL_EMAIL)));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(3, 2, v1::CHANNEL_EMAIL)));
  std::set<int64_t> got;
  for (int i = 0; i < 2; ++i) {
    HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().NextFor(1, rci::Minute(3)));
    EXPECT_EQ(a.agent_id, 1);
    got.insert(a.ticket_id);
  }
  EXPECT_TRUE(got.count(1)) << "agent 1 never got the chat";
  EXPECT_THAT(policy().NextFor(1, rci::Minute(3)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment b, policy().NextFor(2, rci::Minute(3)));
  EXPECT_EQ(b.agent_id, 2);
  EXPECT_FALSE(got.count(b.ticket_id));
}

TEST_P(RoutingConformanceTest, RecordedAssignmentsCountAgainstCapacity) {
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 1), rci::Minute(0)));
  EXPECT_THAT(policy().RecordAssignment(rci::Ticket(5), 99),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().RecordAssignment(rci::Ticket(5), 1));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(6, 1)));
  EXPECT_THAT(policy().Next(rci::Minute(2)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().Remove(5));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(3)));
  EXPECT_EQ(a.ticket_id, 6);
  // A queued ticket assigned by hand leaves the queue.
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(7, 2)));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(2, 1), rci::Minute(3)));
  HELPDESK_ASSERT_OK(policy().RecordAssignment(rci::Ticket(7, 2), 1));
  EXPECT_THAT(policy().Next(rci::Minute(4)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RoutingConformanceTest, UpdatedWorkStaysRoutable) {
  EXPECT_THAT(policy().Update(rci::Ticket(1)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(policy().Enqueue(rci::Ticket(1)));
  WorkItem urgent = rci::Ticket(1);
  urgent.priority = v1::PRIORITY_URGENT;
  urgent.vip = true;
  HELPDESK_ASSERT_OK(policy().Update(urgent));
  EXPECT_THAT(policy().Enqueue(urgent),
              StatusIs(absl::StatusCode::kAlreadyExists));
  HELPDESK_ASSERT_OK(policy().UpdateAgent(rci::Online(1, 1), rci::Minute(0)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(Assignment a, policy().Next(rci::Minute(1)));
  EXPECT_EQ(a.ticket_id, 1);
  HELPDESK_ASSERT_OK(policy().Update(urgent));  // assigned: stays assigned
  EXPECT_THAT(policy().Next(rci::Minute(1)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RoutingConformanceTest, RandomEventsKeepEveryRule) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    absl::StatusOr<std::unique_ptr<RoutingPolicy>> p = GetParam().make();
    ASSERT_TRUE(p.ok()) << p.status();
    std::vector<rci::Decision> decisions = RandomRun(**p, seed, 3000);
    EXPECT_GT(decisions.size(), 100u);
  }
}

TEST_P(RoutingConformanceTest, EqualEventsGiveEqualDecisions) {
  absl::StatusOr<std::unique_ptr<RoutingPolicy>> other = GetParam().make();
  ASSERT_TRUE(other.ok()) << other.status();
  const std::vector<rci::Decision> first = RandomRun(policy(), 42, 2000);
  const std::vector<rci::Decision> second = RandomRun(**other, 42, 2000);
  EXPECT_EQ(first, second);
}

}  // namespace helpdesk::testing
