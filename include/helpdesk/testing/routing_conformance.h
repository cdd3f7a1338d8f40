// The RoutingPolicy conformance suite: the contract of helpdesk/routing.h as
// tests.
//
// Every routing policy, built-in or a host's own, must pass this suite. It is a
// value-parameterised GoogleTest suite: each test asks a RoutingPolicyFactory
// for a fresh policy and checks one part of the contract through the public
// RoutingPolicy API only: never above capacity on a channel; never to away or
// offline agents; a declined or timed-out offer is never made to that agent
// again; queued work is routed as soon as an agent becomes eligible (agents
// come online, capacity frees up or grows) and nothing is left queued while
// an eligible agent has room; removed work is gone; push and pull agree with
// the rules; errors have the documented codes; and equal call sequences give
// equal decisions. A seeded random run checks all of it against a reference
// model over thousands of events.
//
// The suite's world is simple on purpose: every agent is a member of group 1
// (kConformanceGroup), every ticket is for group 1 on the email or chat
// channel, and tickets require no skills (their priority, VIP flag, customer
// tier, SLA due time and preferred agent vary). A policy that needs settings
// (tiers, relaxations, a hold time) must be configured so that such agents may
// take such tickets at once.
//
// To run it against your own policy, include this header in exactly one test
// file (it defines the tests, so a second inclusion fails to link) and
// instantiate the suite there:
//
//   #include "helpdesk/testing/routing_conformance.h"
//   #include "myapp/vip_first_policy.h"
//
//   using helpdesk::testing::RoutingConformanceTest;
//   using helpdesk::testing::RoutingPolicyFactory;
//   using helpdesk::testing::RoutingPolicyFactoryName;
//
//   INSTANTIATE_TEST_SUITE_P(
//       MyPolicies, RoutingConformanceTest,
//       ::testing::Values(RoutingPolicyFactory{
//           "vip_first",  // becomes part of the test names: [A-Za-z0-9_]
//           [] { return myapp::NewVipFirstPolicy(); }}),
//       RoutingPolicyFactoryName());
//
// and link the test with helpdesk::helpdesk and GTest::gmock_main (or
// GTest::gtest_main plus GTest::gmock). The factory is called once per policy
// a test needs (the determinism test needs two) and must return a new, empty
// policy. Tests are named <Prefix>/RoutingConformanceTest.<Test>/<name>.
//
// The suite is deterministic (fixed seeds, fixed times) and takes under a
// second per policy in a debug build.
#ifndef HELPDESK_TESTING_ROUTING_CONFORMANCE_H_
#define HELPDESK_TESTING_ROUTING_CONFORMANCE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/routing.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::testing {

// Makes a fresh, empty policy.
//
// Thread safety: `make` is called from the test's main thread only.
struct RoutingPolicyFactory {
  // Appended to every test name; letters, digits and underscores only.
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<RoutingPolicy>>()> make;
};

inline void PrintTo(const RoutingPolicyFactory& factory, std::ostream* os) {
  *os << factory.name;
}

// Names each instantiation after RoutingPolicyFactory::name.
struct RoutingPolicyFactoryName {
  std::string operator()(
      const ::testing::TestParamInfo<RoutingPolicyFactory>& info) const {
    return info.param.name;
  }
};

// The group every agent and ticket of the suite belongs to.
inline constexpr int64_t kConformanceGroup = 1;

namespace routing_conformance_internal {

// Defined (not just declared) here so that including this header in a second
// test file fails to link with a name that says why.
int this_header_must_be_included_in_exactly_one_test_file = 0;

// 2026-01-05 08:00:00 UTC, a Monday.
inline absl::Time BaseTime() { return absl::FromUnixSeconds(1767600000); }
inline absl::Time Minute(int64_t m) { return BaseTime() + absl::Minutes(m); }

inline AgentState Agent(int64_t id, v1::Presence presence, int32_t email,
                        int32_t chat = 0) {
  AgentState a;
  a.agent_id = id;
  a.presence = presence;
  a.group_ids = {kConformanceGroup};
  if (email > 0) a.capacity.push_back({v1::CHANNEL_EMAIL, email});
  if (chat > 0) a.capacity.push_back({v1::CHANNEL_CHAT, chat});
  return a;
}

inline AgentState Online(int64_t id, int32_t email, int32_t chat = 0) {
  return Agent(id, v1::PRESENCE_ONLINE, email, chat);
}

inline WorkItem Ticket(int64_t id, int64_t minute = 0,
                       v1::Channel channel = v1::CHANNEL_EMAIL) {
  WorkItem item;
  item.ticket_id = id;
  item.channel = channel;
  item.group_id = kConformanceGroup;
  item.enqueued_at = Minute(minute);
  return item;
}

// The reference model of the random run.
struct ModelAgent {
  v1::Presence presence = v1::PRESENCE_OFFLINE;
  std::map<v1::Channel, int32_t> capacity;
  std::map<v1::Channel, int32_t> load;
  int32_t Room(v1::Channel ch) const {
    auto c = capacity.find(ch);
    auto l = load.find(ch);
    return (c == capacity.end() ? 0 : c->second) -
           (l == load.end() ? 0 : l->second);
  }
};

struct ModelTicket {
  WorkItem item;
  bool assigned = false;
  int64_t agent_id = 0;
  std::set<int64_t> declined;
};

struct Model {
  std::map<int64_t, ModelAgent> agents;
  std::map<int64_t, ModelTicket> tickets;

  bool CanTake(int64_t agent_id, const ModelTicket& t) const {
    const ModelAgent& a = agents.at(agent_id);
    return !t.assigned && a.presence == v1::PRESENCE_ONLINE &&
           a.Room(t.item.channel) > 0 && t.declined.count(agent_id) == 0;
  }
};

// One decision of a run, for comparing runs.
struct Decision {
  int64_t ticket_id;
  int64_t agent_id;
  std::string reason;
  bool operator==(const Decision&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Decision& d) {
  return os << "{ticket " << d.ticket_id << " -> agent " << d.agent_id << ": "
            << d.reason << "}";
}

}  // namespace routing_conformance_internal

// The fixture: a fresh policy per test, and helpers that drive it.
//
// Thread safety: each test runs on the test's main thread only.
class RoutingConformanceTest
    : public ::testing::TestWithParam<RoutingPolicyFactory> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RoutingPolicy>> policy = GetParam().make();
    ASSERT_TRUE(policy.ok()) << "the factory for '" << GetParam().name
                             << "' failed: " << policy.status();
    ASSERT_NE(*policy, nullptr);
    policy_ = std::move(*policy);
  }

  RoutingPolicy& policy() { return *policy_; }

  // Calls Next(now) until NotFound and returns the assignments; records a
  // failure on any other error.
  std::vector<Assignment> Drain(absl::Time now) { return Drain(policy(), now); }

  static std::vector<Assignment> Drain(RoutingPolicy& policy, absl::Time now) {
    std::vector<Assignment> out;
    for (int guard = 0; guard < 100000; ++guard) {
      absl::StatusOr<Assignment> a = policy.Next(now);
      if (!a.ok()) {
        EXPECT_THAT(a, StatusIs(absl::StatusCode::kNotFound));
        return out;
      }
      out.push_back(*a);
    }
    ADD_FAILURE() << "Next() never ran out of work";
    return out;
  }

  // Runs a seeded random sequence of events on `p`, checking every decision
  // against the reference model; returns the decisions.
  static std::vector<routing_conformance_internal::Decision> RandomRun(
      RoutingPolicy& p, uint64_t seed, int steps);

 private:
  std::unique_ptr<RoutingPolicy> policy_;
};

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RoutingConformanceTest);

namespace rci = routing_conformance_internal;

inline std::vector<rci::Decision> RoutingConformanceTest::RandomRun(
    RoutingPolicy& p, uint64_t seed, int steps) {
  using rci::Model;
  using rci::ModelTicket;
  std::mt19937_64 rng(seed);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const v1::Channel kChannels[] = {v1::CHANNEL_EMAIL, v1::CHANNEL_CHAT};
  const v1::Presence kPresences[] = {v1::PRESENCE_ONLINE, v1::PRESENCE_ONLINE,
                                     v1::PRESENCE_AWAY, v1::PRESENCE_OFFLINE};
  Model model;
  std::vector<rci::Decision> decisions;
  absl::Time now = rci::Minute(0);
  int64_t next_ticket = 1;
  constexpr int kAgents = 6;

  auto set_agent = [&](int64_t id) {
    AgentState a = rci::Agent(id, kPresences[uniform(0, 3)],
                              static_cast<int32_t>(uniform(0, 3)),
                              static_cast<int32_t>(uniform(0, 2)));
    HELPDESK_EXPECT_OK(p.UpdateAgent(a, now));
    rci::ModelAgent& m = model.agents[id];
    m.presence = a.presence;
    m.capacity.clear();
    for (const ChannelLimit& c : a.capacity) m.capacity[c.channel] = c.max_items;
  };
  // Checks a decision against the model and applies it.
  auto check = [&](const Assignment& a, int64_t pulled_by) -> bool {
    auto t = model.tickets.find(a.ticket_id);
    if (t == model.tickets.end() || t->second.assigned) {
      ADD_FAILURE() << "assigned ticket " << a.ticket_id
                    << ", which is not queued";
      return false;
    }
    if (model.agents.count(a.agent_id) == 0) {
      ADD_FAILURE() << "assigned to unknown agent " << a.agent_id;
      return false;
    }
    if (pulled_by != 0) {
      EXPECT_EQ(a.agent_id, pulled_by) << "NextFor gave work to someone else";
    }
    const rci::ModelAgent& agent = model.agents.at(a.agent_id);
    EXPECT_EQ(agent.presence, v1::PRESENCE_ONLINE)
        << "ticket " << a.ticket_id << " went to agent " << a.agent_id
        << ", who is not online";
    EXPECT_GT(agent.Room(t->second.item.channel), 0)
        << "ticket " << a.ticket_id << " put agent " << a.agent_id
        << " above capacity";
    EXPECT_EQ(t->second.declined.count(a.agent_id), 0u)
        << "ticket " << a.ticket_id << " was offered again to agent "
        << a.agent_id << ", who declined it";
    EXPECT_FALSE(a.reason.empty()) << "a decision without a reason";
    t->second.assigned = true;
    t->second.agent_id = a.agent_id;
    ++model.agents[a.agent_id].load[t->second.item.channel];
    decisions.push_back({a.ticket_id, a.agent_id, a.reason});
    return true;
  };
  auto pick = [&](bool assigned) -> int64_t {
    std::vector<int64_t> ids;
    for (const auto& [id, t] : model.tickets) {
      if (t.assigned == assigned) ids.push_back(id);
    }
    if (ids.empty()) return 0;
    return ids[uniform(0, static_cast<int64_t>(ids.size()) - 1)];
  };

  for (int64_t id = 1; id <= kAgents; ++id) set_agent(id);
  for (int step = 0; step < steps && !::testing::Test::HasFailure(); ++step) {
    const int64_t op = uniform(0, 99);
    if (op < 30) {  // new work
      WorkItem item = rci::Ticket(next_ticket++, 0, kChannels[uniform(0, 1)]);
      item.enqueued_at = now - absl::Seconds(uniform(0, 600));
      item.priority = static_cast<v1::Priority>(uniform(0, 4));
      item.vip = uniform(0, 9) == 0;
      item.customer_tier = static_cast<int32_t>(uniform(0, 2));
      if (uniform(0, 2) == 0) {
        item.sla_due = item.enqueued_at + absl::Minutes(uniform(1, 240));
      }
      if (uniform(0, 3) == 0) item.preferred_agent_id = uniform(1, kAgents + 1);
      HELPDESK_EXPECT_OK(p.Enqueue(item));
      model.tickets[item.ticket_id].item = item;
    } else if (op < 50) {  // push
      const bool may = p.MayAssign(now);
      absl::StatusOr<Assignment> a = p.Next(now);
      if (a.ok()) {
        EXPECT_TRUE(may) << "MayAssign() said no, then Next() assigned ticket "
                         << a->ticket_id;
        check(*a, 0);
      } else {
        EXPECT_THAT(a, StatusIs(absl::StatusCode::kNotFound));
        for (const auto& [tid, t] : model.tickets) {
          for (const auto& [aid, agent] : model.agents) {
            EXPECT_FALSE(model.CanTake(aid, t))
                << "Next() found nothing although agent " << aid
                << " could take ticket " << tid;
          }
        }
      }
    } else if (op < 60) {  // pull
      const int64_t aid = uniform(1, kAgents);
      absl::StatusOr<Assignment> a = p.NextFor(aid, now);
      if (model.agents[aid].presence != v1::PRESENCE_ONLINE) {
        EXPECT_THAT(a, StatusIs(absl::StatusCode::kFailedPrecondition))
            << "agent " << aid << " is not online";
      } else if (a.ok()) {
        check(*a, aid);
      } else {
        EXPECT_THAT(a, StatusIs(absl::StatusCode::kNotFound));
        for (const auto& [tid, t] : model.tickets) {
          EXPECT_FALSE(model.CanTake(aid, t))
              << "NextFor(" << aid << ") found nothing although it could "
              << "take ticket " << tid;
        }
      }
    } else if (op < 70) {  // work done
      if (int64_t tid = pick(true)) {
        HELPDESK_EXPECT_OK(p.Remove(tid));
        ModelTicket& t = model.tickets[tid];
        --model.agents[t.agent_id].load[t.item.channel];
        model.tickets.erase(tid);
      }
    } else if (op < 75) {  // queued work withdrawn
      if (int64_t tid = pick(false)) {
        HELPDESK_EXPECT_OK(p.Remove(tid));
        model.tickets.erase(tid);
      }
    } else if (op < 83) {  // offer declined or timed out
      if (int64_t tid = pick(true)) {
        ModelTicket& t = model.tickets[tid];
        HELPDESK_EXPECT_OK(p.Decline(tid, t.agent_id,
                            uniform(0, 1) ? OfferOutcome::kDeclined
                                          : OfferOutcome::kTimedOut,
                            now));
        --model.agents[t.agent_id].load[t.item.channel];
        t.declined.insert(t.agent_id);
        t.assigned = false;
        t.agent_id = 0;
      }
    } else if (op < 95) {  // presence or capacity changed
      set_agent(uniform(1, kAgents));
    } else {  // time passes
      now += absl::Seconds(uniform(1, 900));
    }
  }
  return decisions;
}

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

#endif  // HELPDESK_TESTING_ROUTING_CONFORMANCE_H_
