// How a host writes its own routing policy, tries it by hand, and compares it
// with a built-in in the simulator.
//
// VipFirstPolicy ("com.example.vip-first") serves VIP requesters before
// everyone else, oldest first within each, and gives each ticket to the agent
// with the fewest tickets on its channel. It implements every call of the
// RoutingPolicy port (helpdesk/routing.h) with small incremental structures:
// per channel an ordered set of queued tickets and one of agents with room,
// so a decision costs O(log n), never a scan. It keeps the contract every
// policy must keep (never above capacity, never to an agent who is away, never
// twice to an agent who declined), and proves it the way a host should: by
// running the routing conformance suite on itself. Linked with
// helpdesk::routing_conformance, this file instantiates the suite
//
//   INSTANTIATE_TEST_SUITE_P(Example, RoutingConformanceTest,
//       ::testing::Values(RoutingPolicyFactory{"vip_first", [] { ... }}),
//       RoutingPolicyFactoryName());
//
// and runs it when started with --conformance (ctest does:
// example_custom_routing_policy_conformance). A host puts those lines in one
// of its own tests instead.
//
// (Unlike the built-ins it ignores groups and skills, to stay short.)
//
//   ./build/dev/examples/custom_routing_policy                  # the demo
//   ./build/dev/examples/custom_routing_policy --conformance    # the suite
#include <array>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "helpdesk/routing.h"
#include "helpdesk/sim.h"
#include "helpdesk/testing/routing_conformance.h"

namespace example {

using helpdesk::AgentState;
using helpdesk::Assignment;
using helpdesk::OfferOutcome;
using helpdesk::WorkItem;
namespace v1 = helpdesk::v1;

constexpr int kChannels = v1::Channel_ARRAYSIZE;

// Thread safety: not thread-safe, like every policy; the host serialises calls.
class VipFirstPolicy final : public helpdesk::RoutingPolicy {
 public:
  absl::string_view Name() const override { return "com.example.vip-first"; }

  absl::Status UpdateAgent(const AgentState& agent, absl::Time now) override {
    if (absl::Status s = helpdesk::ValidateAgentState(agent); !s.ok()) return s;
    Agent& a = agents_[agent.agent_id];
    a.online = agent.presence == v1::PRESENCE_ONLINE;
    a.capacity.fill(0);
    for (const helpdesk::ChannelLimit& c : agent.capacity) {
      a.capacity[c.channel] = c.max_items;
    }
    for (int ch = 0; ch < kChannels; ++ch) Relist(agent.agent_id, ch);
    return absl::OkStatus();
  }

  absl::Status Enqueue(const WorkItem& item) override {
    if (absl::Status s = helpdesk::ValidateWorkItem(item); !s.ok()) return s;
    if (tickets_.contains(item.ticket_id)) {
      return absl::AlreadyExistsError(
          absl::StrCat("ticket ", item.ticket_id, " is already known"));
    }
    Ticket& t = tickets_[item.ticket_id];
    t.item = item;
    Queue(t);
    return absl::OkStatus();
  }

  absl::Status Update(const WorkItem& item) override {
    if (absl::Status s = helpdesk::ValidateWorkItem(item); !s.ok()) return s;
    auto it = tickets_.find(item.ticket_id);
    if (it == tickets_.end()) {
      return absl::NotFoundError(absl::StrCat("ticket ", item.ticket_id, " is unknown"));
    }
    Ticket& t = it->second;
    if (t.agent_id == 0) Unqueue(t);
    const v1::Channel assigned_on = t.item.channel;
    t.item = item;
    if (t.agent_id == 0) {
      Queue(t);
    } else {
      t.item.channel = assigned_on;  // its load stays where it was counted
    }
    return absl::OkStatus();
  }

  absl::Status Remove(int64_t ticket_id) override {
    auto it = tickets_.find(ticket_id);
    if (it == tickets_.end()) {
      return absl::NotFoundError(absl::StrCat("ticket ", ticket_id, " is unknown"));
    }
    Ticket& t = it->second;
    if (t.agent_id == 0) {
      Unqueue(t);
    } else {
      AddLoad(t.agent_id, t.item.channel, -1);
    }
    tickets_.erase(it);
    return absl::OkStatus();
  }

  absl::Status RecordAssignment(const WorkItem& item, int64_t agent_id) override {
    if (absl::Status s = helpdesk::ValidateWorkItem(item); !s.ok()) return s;
    if (!agents_.contains(agent_id)) {
      return absl::NotFoundError(absl::StrCat("agent ", agent_id, " is unknown"));
    }
    Ticket& t = tickets_[item.ticket_id];
    if (t.agent_id != 0) {
      AddLoad(t.agent_id, t.item.channel, -1);
    } else if (t.queued) {
      Unqueue(t);
    }
    t.item = item;
    t.agent_id = agent_id;
    AddLoad(agent_id, item.channel, +1);
    return absl::OkStatus();
  }

  absl::Status Decline(int64_t ticket_id, int64_t agent_id, OfferOutcome,
                       absl::Time) override {
    auto it = tickets_.find(ticket_id);
    if (it == tickets_.end()) {
      return absl::NotFoundError(absl::StrCat("ticket ", ticket_id, " is unknown"));
    }
    Ticket& t = it->second;
    if (t.agent_id != agent_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ticket ", ticket_id, " is not offered to agent ", agent_id));
    }
    AddLoad(agent_id, t.item.channel, -1);
    t.agent_id = 0;
    t.declined.insert(agent_id);
    Queue(t);
    return absl::OkStatus();
  }

  absl::StatusOr<Assignment> Next(absl::Time now) override {
    // The best queued ticket over all channels that some agent can take.
    const TicketKey* best = nullptr;
    int64_t best_agent = 0;
    for (int ch = 0; ch < kChannels; ++ch) {
      for (const TicketKey& key : queued_[ch]) {
        if (best != nullptr && !(key < *best)) break;
        const int64_t agent = PickAgent(ch, tickets_.at(std::get<2>(key)));
        if (agent == 0) continue;  // everyone with room declined it
        best = &key;
        best_agent = agent;
        break;
      }
    }
    if (best == nullptr) {
      return absl::NotFoundError("no queued ticket has an agent with room");
    }
    return Assign(tickets_.at(std::get<2>(*best)), best_agent, now, "");
  }

  absl::StatusOr<Assignment> NextFor(int64_t agent_id, absl::Time now) override {
    auto it = agents_.find(agent_id);
    if (it == agents_.end()) {
      return absl::NotFoundError(absl::StrCat("agent ", agent_id, " is unknown"));
    }
    const Agent& a = it->second;
    if (!a.online) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent ", agent_id, " is not online"));
    }
    const TicketKey* best = nullptr;
    for (int ch = 0; ch < kChannels; ++ch) {
      if (a.load[ch] >= a.capacity[ch]) continue;
      for (const TicketKey& key : queued_[ch]) {
        if (best != nullptr && !(key < *best)) break;
        if (tickets_.at(std::get<2>(key)).declined.contains(agent_id)) continue;
        best = &key;
        break;
      }
    }
    if (best == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("nothing queued fits agent ", agent_id));
    }
    return Assign(tickets_.at(std::get<2>(*best)), agent_id, now,
                  "; requested by the agent");
  }

 private:
  // (not VIP, queued at, ticket id): VIPs first, then the oldest.
  using TicketKey = std::tuple<bool, int64_t, int64_t>;
  // (load, agent id): the agent with the fewest tickets first.
  using AgentKey = std::pair<int32_t, int64_t>;

  struct Ticket {
    WorkItem item;
    int64_t agent_id = 0;  // 0 while queued
    bool queued = false;
    std::set<int64_t> declined;
  };
  struct Agent {
    bool online = false;
    std::array<int32_t, kChannels> capacity{};
    std::array<int32_t, kChannels> load{};
    std::array<bool, kChannels> listed{};
  };

  static TicketKey KeyOf(const WorkItem& item) {
    return {!item.vip, absl::ToUnixMicros(item.enqueued_at), item.ticket_id};
  }
  void Queue(Ticket& t) {
    queued_[t.item.channel].insert(KeyOf(t.item));
    t.queued = true;
  }
  void Unqueue(Ticket& t) {
    queued_[t.item.channel].erase(KeyOf(t.item));
    t.queued = false;
  }
  // Keeps agents_with_room_[ch] in step with the agent's state.
  void Relist(int64_t id, int ch) {
    Agent& a = agents_[id];
    const bool room = a.online && a.load[ch] < a.capacity[ch];
    if (a.listed[ch]) with_room_[ch].erase({a.load[ch], id});
    if (room) with_room_[ch].insert({a.load[ch], id});
    a.listed[ch] = room;
  }
  void AddLoad(int64_t id, v1::Channel ch, int delta) {
    Agent& a = agents_[id];
    if (a.listed[ch]) with_room_[ch].erase({a.load[ch], id});
    a.listed[ch] = false;
    a.load[ch] += delta;
    Relist(id, ch);
  }
  int64_t PickAgent(int ch, const Ticket& t) const {
    for (const AgentKey& a : with_room_[ch]) {
      if (!t.declined.contains(a.second)) return a.second;
    }
    return 0;
  }
  Assignment Assign(Ticket& t, int64_t agent_id, absl::Time now,
                    absl::string_view how) {
    const Agent& a = agents_.at(agent_id);
    const int ch = t.item.channel;
    Assignment out{t.item.ticket_id, agent_id,
                   absl::StrCat(t.item.vip ? "oldest VIP ticket" : "oldest ticket",
                                " (waited ", absl::FormatDuration(absl::Trunc(
                                                 now - t.item.enqueued_at,
                                                 absl::Seconds(1))),
                                "); agent with the fewest tickets (", a.load[ch],
                                "/", a.capacity[ch], ")", how)};
    Unqueue(t);
    t.agent_id = agent_id;
    AddLoad(agent_id, t.item.channel, +1);
    return out;
  }

  absl::flat_hash_map<int64_t, Ticket> tickets_;
  absl::flat_hash_map<int64_t, Agent> agents_;
  std::array<std::set<TicketKey>, kChannels> queued_;
  std::array<std::set<AgentKey>, kChannels> with_room_;
};

int Main() {
  // 1. By hand: two agents, three tickets, one of them from a VIP.
  VipFirstPolicy policy;
  const absl::Time t0 = absl::FromUnixSeconds(1767600000);
  for (int64_t id : {1, 2}) {
    AgentState a;
    a.agent_id = id;
    a.presence = v1::PRESENCE_ONLINE;
    a.capacity = {{v1::CHANNEL_EMAIL, 2}};
    if (!policy.UpdateAgent(a, t0).ok()) return 1;
  }
  for (int i = 1; i <= 3; ++i) {
    WorkItem item;
    item.ticket_id = 100 + i;
    item.channel = v1::CHANNEL_EMAIL;
    item.enqueued_at = t0 + absl::Minutes(i);
    item.vip = i == 3;
    if (!policy.Enqueue(item).ok()) return 1;
  }
  std::cout << "Decisions of " << policy.Name() << ":\n";
  for (absl::StatusOr<Assignment> a = policy.Next(t0 + absl::Minutes(5)); a.ok();
       a = policy.Next(t0 + absl::Minutes(5))) {
    std::cout << "  ticket " << a->ticket_id << " -> agent " << a->agent_id
              << ": " << a->reason << "\n";
  }

  // 2. In the simulator, side by side with the built-in FIFO, on the same
  // tickets. (The report's figures are over all tickets; VIPs are 10%, so
  // their shorter waits move the totals only a little.)
  absl::StatusOr<v1::SimScenario> scenario = helpdesk::ParseSimScenario(R"pb(
    name: "VIP-first vs FIFO"
    seed: 1
    replications: 5
    duration_seconds: 86400
    warmup_seconds: 3600
    service_level_seconds: 120
    ticket_types {
      name: "mail" channel: CHANNEL_EMAIL vip_share: 0.1
      handling_time { log_normal { mean_seconds: 300 stddev_seconds: 200 } }
      patience { exponential { mean_seconds: 1800 } }
    }
    arrivals { ticket_type: "mail" rate_per_hour: 100 }
    agents { name: "agent" count: 10 capacity { channel: CHANNEL_EMAIL max_items: 1 } }
  )pb");
  if (!scenario.ok()) {
    std::cerr << scenario.status() << "\n";
    return 1;
  }
  helpdesk::SimOptions options;
  options.policies.push_back({"fifo", [] {
                                return absl::StatusOr<std::unique_ptr<helpdesk::RoutingPolicy>>(
                                    helpdesk::NewFifoPolicy());
                              }});
  options.policies.push_back({"vip-first", [] {
                                return absl::StatusOr<std::unique_ptr<helpdesk::RoutingPolicy>>(
                                    std::make_unique<VipFirstPolicy>());
                              }});
  absl::StatusOr<helpdesk::SimReport> report =
      helpdesk::RunSimulation(*scenario, options);
  if (!report.ok()) {
    std::cerr << report.status() << "\n";
    return 1;
  }
  std::cout << "\n" << helpdesk::SimReportTable(*report);
  return 0;
}

// The routing conformance suite on VipFirstPolicy (run with --conformance).
using helpdesk::testing::RoutingConformanceTest;
using helpdesk::testing::RoutingPolicyFactory;
using helpdesk::testing::RoutingPolicyFactoryName;

INSTANTIATE_TEST_SUITE_P(
    Example, RoutingConformanceTest,
    ::testing::Values(RoutingPolicyFactory{
        "vip_first",
        [] {
          return absl::StatusOr<std::unique_ptr<helpdesk::RoutingPolicy>>(
              std::make_unique<VipFirstPolicy>());
        }}),
    RoutingPolicyFactoryName());

}  // namespace example

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--conformance") {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
  }
  return example::Main();
}
