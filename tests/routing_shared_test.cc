// The parts every built-in routing policy shares: agent state, validation
// messages, building the built-ins by name, the wrapper, many routing
// classes, agreement with a brute-force reference under random events, and
// decisions without reasons.
#include "helpdesk/routing.h"

#include "routing_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
