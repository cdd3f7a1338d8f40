// The RoutingPolicy conformance suite's fixture: RoutingConformanceTest's
// seeded random run against the reference model
// (helpdesk/testing/routing_conformance.h).
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "helpdesk/testing/routing_conformance.h"
#include "testing/routing_conformance_internal.h"

namespace helpdesk::testing {

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RoutingConformanceTest);

namespace rci = routing_conformance_internal;

std::vector<rci::Decision> RoutingConformanceTest::RandomRun(
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

}  // namespace helpdesk::testing
