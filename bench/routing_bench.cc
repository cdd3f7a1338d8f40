// Routing decisions on a saturated desk: 10,000 agents, 100,000 queued
// tickets (and a tenth of that, to show the scaling).
//
// Every agent works email in one of 20 groups with capacity 10 and is full, so
// 100,000 tickets are in hand and another 100,000 wait. Each iteration, the
// oldest ticket in hand is done (Remove), a new one arrives (Enqueue), and the
// policy decides who gets what (Next) - the timed part. Each decision is
// timed on its own; the histogram of those times is reported as counters
// p50_us, p90_us, p99_us, p999_us (p99.9) and max_us, and the benchmark's
// time is the mean decision time (manual time). With
// HELPDESK_ROUTING_BENCH_SLOW_US=<us> set, every decision slower than that
// is printed to stderr with its step and whether time-based stage changes
// (relaxation) were due, to find what a slow decision did.
//
// At step 600 (ten minutes in) the skills policy's relaxation step comes due
// for the ~100,000 tickets queued together at the start: the policy applies
// such a burst a few hundred tickets per decision (queue_router.h), which
// max_us shows.
//
// Skills-based routing uses 50 skills: each agent has 5 (levels 1-10), each
// ticket needs one or two of them at a minimum level.
//
// The baseline, in the same binary, is a naive policy that scans every agent
// and every queued ticket for each decision (BM_Routing_NaiveScan*).
//
// Targets (issue 4): p99 under 5 us for round robin, least-loaded and
// priority; under 20 us for skills-based with 50 skills.
//
//   ./build/release/bench/routing_bench
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "helpdesk/routing.h"

namespace helpdesk {
namespace {

constexpr int kGroups = 20;
constexpr int kCapacity = 10;
constexpr int kSkills = 50;

absl::Time Start() { return absl::FromUnixSeconds(1767600000); }

std::string SkillName(int i) { return absl::StrCat("skill", i); }

// A naive policy: remembers agents and tickets in vectors and scans them all
// for every decision (oldest eligible ticket, then the first agent with room).
class NaiveScanPolicy final : public RoutingPolicy {
 public:
  absl::string_view Name() const override { return "bench.naive_scan"; }

  absl::Status UpdateAgent(const AgentState& agent, absl::Time) override {
    for (Agent& a : agents_) {
      if (a.state.agent_id == agent.agent_id) {
        a.state = agent;
        return absl::OkStatus();
      }
    }
    agents_.push_back({agent, 0});
    return absl::OkStatus();
  }
  absl::Status Enqueue(const WorkItem& item) override {
    queued_.push_back(item);
    return absl::OkStatus();
  }
  absl::Status Update(const WorkItem& item) override {
    return absl::UnimplementedError("not in the benchmark");
  }
  absl::Status Remove(int64_t ticket_id) override {
    for (size_t i = 0; i < queued_.size(); ++i) {
      if (queued_[i].ticket_id == ticket_id) {
        queued_.erase(queued_.begin() + static_cast<std::ptrdiff_t>(i));
        return absl::OkStatus();
      }
    }
    for (auto it = assigned_.begin(); it != assigned_.end(); ++it) {
      if (it->first == ticket_id) {
        --agents_[it->second].load;
        assigned_.erase(it);
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError("unknown ticket");
  }
  absl::Status RecordAssignment(const WorkItem&, int64_t) override {
    return absl::UnimplementedError("not in the benchmark");
  }
  absl::Status Decline(int64_t, int64_t, OfferOutcome, absl::Time) override {
    return absl::UnimplementedError("not in the benchmark");
  }
  absl::StatusOr<Assignment> Next(absl::Time now) override {
    // Tickets are appended in arrival order, so the first fit is the oldest.
    for (size_t i = 0; i < queued_.size(); ++i) {
      const WorkItem& item = queued_[i];
      for (size_t a = 0; a < agents_.size(); ++a) {
        if (!Fits(agents_[a], item)) continue;
        Assignment out{item.ticket_id, agents_[a].state.agent_id,
                       "first agent with room for the oldest ticket"};
        ++agents_[a].load;
        assigned_.emplace_back(item.ticket_id, a);
        queued_.erase(queued_.begin() + static_cast<std::ptrdiff_t>(i));
        return out;
      }
    }
    return absl::NotFoundError("nothing to assign");
  }
  absl::StatusOr<Assignment> NextFor(int64_t, absl::Time) override {
    return absl::UnimplementedError("not in the benchmark");
  }

 private:
  struct Agent {
    AgentState state;
    int load;
  };
  bool Fits(const Agent& a, const WorkItem& item) const {
    if (a.state.presence != v1::PRESENCE_ONLINE || a.load >= kCapacity) {
      return false;
    }
    if (item.group_id != 0 &&
        std::find(a.state.group_ids.begin(), a.state.group_ids.end(),
                  item.group_id) == a.state.group_ids.end()) {
      return false;
    }
    for (const SkillRequirement& r : item.required_skills) {
      bool has = false;
      for (const SkillLevel& s : a.state.skills) {
        has |= s.skill == r.skill && s.level >= r.min_level;
      }
      if (!has) return false;
    }
    return true;
  }
  std::vector<Agent> agents_;
  std::vector<WorkItem> queued_;
  std::deque<std::pair<int64_t, size_t>> assigned_;
};

// The desk the benchmark drives.
class Desk {
 public:
  Desk(std::unique_ptr<RoutingPolicy> policy, int agents, bool skills)
      : policy_(std::move(policy)), agents_(agents), skills_(skills), rng_(42) {}

  // Registers the agents, fills them up and queues as many tickets again.
  bool Fill(int queued) {
    for (int a = 1; a <= agents_; ++a) {
      AgentState s;
      s.agent_id = a;
      s.presence = v1::PRESENCE_ONLINE;
      s.group_ids = {1 + a % kGroups};
      s.capacity = {{v1::CHANNEL_EMAIL, kCapacity}};
      if (skills_) {
        std::vector<int> mine;
        while (mine.size() < 5) {
          const int k = static_cast<int>(rng_() % kSkills);
          if (std::find(mine.begin(), mine.end(), k) == mine.end()) mine.push_back(k);
        }
        for (int k : mine) {
          s.skills.push_back({SkillName(k), static_cast<int32_t>(1 + rng_() % 10)});
        }
        agent_skills_.push_back(s.skills);
      }
      if (!policy_->UpdateAgent(s, Start()).ok()) return false;
    }
    const int64_t slots = static_cast<int64_t>(agents_) * kCapacity;
    for (int64_t i = 0; i < slots + queued; ++i) {
      if (!policy_->Enqueue(NewTicket()).ok()) return false;
    }
    // Fill every agent; with skills some tickets wait for the few who fit.
    for (int64_t i = 0; i < slots; ++i) {
      absl::StatusOr<Assignment> a = policy_->Next(now_);
      if (!a.ok()) break;
      in_hand_.push_back(a->ticket_id);
    }
    return true;
  }

  // One arrival and one completion, untimed; then the timed decision.
  // Returns the decision's time in seconds, or a negative value on failure.
  double Step() {
    now_ += absl::Seconds(1);
    if (!in_hand_.empty()) {
      if (!policy_->Remove(in_hand_.front()).ok()) return -1;
      in_hand_.pop_front();
    }
    if (!policy_->Enqueue(NewTicket()).ok()) return -1;
    const bool stages_due = slow_us_ > 0 && policy_->NextWakeup() <= now_;
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<Assignment> a = policy_->Next(now_);
    const auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(a);
    ++steps_;
    const double seconds = std::chrono::duration<double>(end - start).count();
    if (slow_us_ > 0 && seconds * 1e6 > slow_us_) {
      std::fprintf(stderr, "slow decision: step %lld took %.0f us; stage changes due: %s\n",
                   static_cast<long long>(steps_), seconds * 1e6,
                   stages_due ? "yes" : "no");
    }
    if (a.ok()) {
      in_hand_.push_back(a->ticket_id);
    } else if (!absl::IsNotFound(a.status())) {
      return -1;
    }
    return seconds;
  }

 private:
  WorkItem NewTicket() {
    WorkItem item;
    item.ticket_id = ++tickets_;
    item.channel = v1::CHANNEL_EMAIL;
    item.group_id = 1 + static_cast<int64_t>(rng_() % kGroups);
    item.enqueued_at = now_;
    item.priority = static_cast<v1::Priority>(1 + rng_() % 4);
    item.vip = rng_() % 20 == 0;
    if (skills_) {
      // One or two skills that some agent of the group has, at a level at
      // most theirs; any group.
      item.group_id = 0;
      const std::vector<SkillLevel>& from =
          agent_skills_[rng_() % agent_skills_.size()];
      const int n = 1 + static_cast<int>(rng_() % 2);
      for (int i = 0; i < n; ++i) {
        const SkillLevel& s = from[(i * 2 + rng_()) % from.size()];
        if (!item.required_skills.empty() &&
            item.required_skills[0].skill == s.skill) {
          continue;
        }
        // Levels are coarse (3, 6, 9) as in real configurations.
        item.required_skills.push_back(
            {s.skill, std::max(1, s.level / 3 * 3)});
      }
    }
    return item;
  }

  std::unique_ptr<RoutingPolicy> policy_;
  int agents_;
  bool skills_;
  std::mt19937_64 rng_;
  std::vector<std::vector<SkillLevel>> agent_skills_;
  std::deque<int64_t> in_hand_;
  int64_t tickets_ = 0;
  int64_t steps_ = 0;
  absl::Time now_ = Start();
  // HELPDESK_ROUTING_BENCH_SLOW_US; 0: off.
  double slow_us_ = [] {
    const char* v = std::getenv("HELPDESK_ROUTING_BENCH_SLOW_US");
    return v == nullptr ? 0.0 : std::atof(v);
  }();
};

void RunDecisions(benchmark::State& state, std::unique_ptr<RoutingPolicy> policy,
                  bool skills) {
  const int agents = static_cast<int>(state.range(0));
  const int queued = static_cast<int>(state.range(1));
  Desk desk(std::move(policy), agents, skills);
  if (!desk.Fill(queued)) {
    state.SkipWithError("setting up the desk failed");
    return;
  }
  std::vector<double> times;
  times.reserve(static_cast<size_t>(state.max_iterations));
  for (auto _ : state) {
    const double t = desk.Step();
    if (t < 0) {
      state.SkipWithError("a routing call failed");
      return;
    }
    state.SetIterationTime(t);
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  auto at = [&times](double q) {
    return times[std::min(times.size() - 1,
                          static_cast<size_t>(q * static_cast<double>(times.size())))] *
           1e6;
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p90_us"] = at(0.90);
  state.counters["p99_us"] = at(0.99);
  state.counters["p999_us"] = at(0.999);
  state.counters["max_us"] = times.back() * 1e6;
  state.SetItemsProcessed(state.iterations());
}

void BM_Routing_NextRoundRobin(benchmark::State& state) {
  RunDecisions(state, NewRoundRobinPolicy(), false);
}
void BM_Routing_NextLeastLoaded(benchmark::State& state) {
  RunDecisions(state, NewLeastLoadedPolicy(), false);
}
void BM_Routing_NextPriorityAging(benchmark::State& state) {
  RunDecisions(state, *NewPriorityAgingPolicy({}), false);
}
void BM_Routing_NextFifo(benchmark::State& state) {
  RunDecisions(state, NewFifoPolicy(), false);
}
void BM_Routing_NextSkills50(benchmark::State& state) {
  v1::SkillsRoutingConfig config;
  auto* step = config.add_relaxations();
  step->set_after_seconds(600);
  step->set_lower_levels_by(3);
  RunDecisions(state, *NewSkillsPolicy(config), true);
}
void BM_Routing_NaiveScan(benchmark::State& state) {
  RunDecisions(state, std::make_unique<NaiveScanPolicy>(), false);
}
void BM_Routing_NaiveScanSkills50(benchmark::State& state) {
  RunDecisions(state, std::make_unique<NaiveScanPolicy>(), true);
}

// {agents, queued tickets}.
#define HELPDESK_SIZES ->Args({1000, 10000})->Args({10000, 100000})
BENCHMARK(BM_Routing_NextRoundRobin) HELPDESK_SIZES->UseManualTime()->Iterations(200000);
BENCHMARK(BM_Routing_NextLeastLoaded) HELPDESK_SIZES->UseManualTime()->Iterations(200000);
BENCHMARK(BM_Routing_NextPriorityAging) HELPDESK_SIZES->UseManualTime()->Iterations(200000);
BENCHMARK(BM_Routing_NextFifo) HELPDESK_SIZES->UseManualTime()->Iterations(200000);
BENCHMARK(BM_Routing_NextSkills50) HELPDESK_SIZES->UseManualTime()->Iterations(200000);
BENCHMARK(BM_Routing_NaiveScan) HELPDESK_SIZES->UseManualTime()->Iterations(500);
BENCHMARK(BM_Routing_NaiveScanSkills50) HELPDESK_SIZES->UseManualTime()->Iterations(500);

}  // namespace
}  // namespace helpdesk

BENCHMARK_MAIN();
