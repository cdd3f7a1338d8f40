// The desk lease holder's Tick (issue 17): other processes sharing the store
// write without routing, so the holder brings its routing mirror in step at
// each Tick. It reads on from the event feed (Transaction::LastEventId, the
// watermark; ListEventsSince, what was written since) instead of rebuilding
// the mirror from every new and open ticket as it did before.
//
//   BM_LeaseTick_CatchUp/n/k   the holder's Tick over an SQLite file holding
//                              n queued tickets, after another process (a
//                              second Desk on the same file) created k
//                              tickets (outside the timing)
//   BM_LeaseTick_Rebuild/n/k   the baseline in the same run: the same Desk
//                              over a store without LastEventId, so every
//                              Tick rebuilds the mirror (the behaviour
//                              before the watermark)
//
// Tickets are queued (50 agents, all offline), so the mirror holds all n.
// Read CPU time (the machine may be shared).
//
// Figures (RelWithDebInfo, 2 cores shared with other builds, load 6.4-6.8;
// CPU time per Tick, wall in brackets; same run):
//                      n = 10,000 queued         n = 100,000 queued
//   CatchUp, k = 0        60 us (119 us)            82 us (174 us)
//   CatchUp, k = 10      258 us (664 us)           223 us (575 us)
//   Rebuild, k = 0        85 ms (181 ms)           343 ms (762 ms)
//   Rebuild, k = 10       97 ms (216 ms)           298 ms (580 ms)
// A quiet Tick costs the same at 10,000 and 100,000 tickets (two reads:
// the feed past the watermark, the agents); k new tickets cost ~15-20 us
// each (read, synced, routed). The rebuild grows with the tickets held.
//
//   cmake --preset release -DHELPDESK_BUILD_BENCHMARKS=ON
//   cmake --build build/release --target lease_tick_bench
//   ./build/release/bench/lease_tick_bench
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/names.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1767600000);

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "lease_tick_bench: %s\n", s.ToString().c_str());
    std::abort();
  }
}

template <typename T>
T Take(absl::StatusOr<T> v) {
  Check(v.status());
  return *std::move(v);
}

// Transactions without LastEventId: the holder rebuilds at every Tick.
class NoWatermarkTransaction : public TransactionWrapper {
 public:
  using TransactionWrapper::TransactionWrapper;
  absl::StatusOr<int64_t> LastEventId() override {
    return absl::UnimplementedError("LastEventId: hidden by the benchmark");
  }
};

class NoWatermarkStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx;
    return std::unique_ptr<Transaction>(std::make_unique<NoWatermarkTransaction>(*std::move(tx)));
  }
};

struct File {
  std::string dir;
  std::string path;
  int64_t group = 0;
  int64_t requester = 0;
};

// An SQLite file with `tickets` new tickets in one group (written straight
// into the store, one transaction) and 50 offline agents in it; made once
// per size and removed at exit.
const File& FileWith(int tickets) {
  static std::map<int, File>* files = [] {
    auto* f = new std::map<int, File>;
    std::atexit([] {
      for (const auto& [n, file] : *files) {
        std::system(absl::StrCat("rm -rf '", file.dir, "'").c_str());
      }
    });
    return f;
  }();
  auto it = files->find(tickets);
  if (it != files->end()) return it->second;
  File f;
  f.dir = "/tmp/lease_tick_bench_XXXXXX";
  if (mkdtemp(f.dir.data()) == nullptr) Check(absl::InternalError("mkdtemp failed"));
  f.path = f.dir + "/desk.db";
  std::unique_ptr<Store> store = Take(OpenSqliteStore(f.path));
  ManualClock clock(kNow);
  {
    std::unique_ptr<Desk> desk =
        Take(Desk::Open(DeskOptions{.store = store.get(), .clock = &clock}));
    f.group = Take(desk->people().CreateGroup(SystemActor(), "Support")).id();
    v1::ChannelCapacity cap;
    cap.set_channel(v1::CHANNEL_EMAIL);
    cap.set_max_items(5);
    for (int i = 0; i < 50; ++i) {
      Check(desk->people()
                .CreateAgent(SystemActor(), {.name = absl::StrCat("Agent ", i),
                                             .email = absl::StrCat("agent", i, "@x.example"),
                                             .group_ids = {f.group},
                                             .capacity = {cap}})
                .status());
    }
    f.requester = Take(desk->people().CreateContact(
                           SystemActor(), {.name = "Cy", .emails = {"cy@x.example"}}))
                      .id();
  }
  std::unique_ptr<Transaction> tx = Take(store->Begin(TransactionMode::kReadWrite));
  for (int i = 0; i < tickets; ++i) {
    v1::Ticket t;
    t.set_subject(absl::StrCat("ticket ", i));
    t.set_status("new");
    t.set_status_category(v1::STATUS_CATEGORY_NEW);
    t.set_requester_id(f.requester);
    t.set_group_id(f.group);
    t.set_channel(v1::CHANNEL_EMAIL);
    *t.mutable_created_at() = MicrosToTimestamp(absl::ToUnixMicros(kNow) - tickets + i);
    *t.mutable_updated_at() = t.created_at();
    Check(tx->InsertTicket(&t));
    v1::Event e;
    e.set_ticket_id(t.id());
    e.set_kind(v1::Event::TICKET_CREATED);
    *e.mutable_time() = t.created_at();
    Check(tx->AppendEvent(&e));
  }
  Check(tx->Commit());
  return files->emplace(tickets, std::move(f)).first->second;
}

// The holder (desk a, routing, the lease) and another process (desk b, the
// same file through its own store, the lease configured so it never routes).
void RunTicks(benchmark::State& state, bool watermark) {
  const File& file = FileWith(static_cast<int>(state.range(0)));
  const int writes = static_cast<int>(state.range(1));
  ManualClock clock(kNow);
  std::unique_ptr<Store> store_a = Take(OpenSqliteStore(file.path));
  std::unique_ptr<Store> store_b = Take(OpenSqliteStore(file.path));
  NoWatermarkStore hidden(store_a.get());
  Store* a_store = watermark ? store_a.get() : static_cast<Store*>(&hidden);
  const DeskLeaseOptions lease{.holder = "a", .ttl = absl::Hours(24)};
  std::unique_ptr<Desk> a = Take(Desk::Open(DeskOptions{
      .store = a_store, .clock = &clock, .routing = RoutingOptions{}, .lease = lease}));
  Check(a->Tick(clock.Now()).status());  // takes the lease
  DeskLeaseOptions other = lease;
  other.holder = "b";
  std::unique_ptr<Desk> b = Take(Desk::Open(DeskOptions{
      .store = store_b.get(), .clock = &clock, .routing = RoutingOptions{}, .lease = other}));
  int64_t created = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < writes; ++i) {
      Check(b->tickets()
                .Create(SystemActor(), {.subject = absl::StrCat("new ", created++),
                                        .requester_id = file.requester,
                                        .description = "please help",
                                        .group_id = file.group,
                                        .channel = v1::CHANNEL_EMAIL})
                .status());
    }
    state.ResumeTiming();
    TickReport r = Take(a->Tick(clock.Now()));
    if (!r.lease_held) Check(absl::InternalError("desk a lost the lease"));
  }
  state.counters["tickets_created_by_b"] = static_cast<double>(created);
}

void BM_LeaseTick_CatchUp(benchmark::State& state) { RunTicks(state, true); }
void BM_LeaseTick_Rebuild(benchmark::State& state) { RunTicks(state, false); }

void Sizes(benchmark::internal::Benchmark* b) {
  for (int n : {10000, 100000}) {
    for (int k : {0, 10}) b->Args({n, k});
  }
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_LeaseTick_CatchUp)->Apply(Sizes);
BENCHMARK(BM_LeaseTick_Rebuild)->Apply(Sizes)->Iterations(20);

}  // namespace
}  // namespace helpdesk

BENCHMARK_MAIN();
