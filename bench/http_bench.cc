// Ticket creates through `helpdesk serve`'s HTTP API (8 concurrent clients,
// keep-alive, on 127.0.0.1) against the same creates as in-process Desk
// calls from 8 threads, on the same SQLite store in the same run. Reports
// creates per second (items_per_second) and the p99 latency of one create.
//
//   ./build/release/bench/http_bench --benchmark_min_time=2
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/names.h"
#include "helpdesk/storage/sqlite_store.h"
#include "server.h"

namespace helpdesk::serve {
namespace {

// One desk on one SQLite file, its server and an agent's token, shared by
// both benchmarks.
struct Fixture {
  RealClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<Desk> desk;
  std::unique_ptr<Credentials> creds;
  std::unique_ptr<ApiServer> api;
  httplib::Server http;
  std::thread thread;
  int port = 0;
  int64_t agent = 0, contact = 0;
  std::string token;

  Fixture() {
    if (!InitCrypto().ok()) std::abort();
    std::string path = "/tmp/helpdesk_http_bench.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    store = *OpenSqliteStore(path);
    desk = *Desk::Open({.store = store.get(), .clock = &clock});
    creds = *Credentials::Open(":memory:", PasswordCost::Minimum());
    agent = desk->people().CreateAgent(SystemActor(), {.name = "A", .email = "a@x.example"})->id();
    contact = desk->people()
                  .CreateContact(SystemActor(), {.name = "C", .emails = {"c@x.example"}})
                  ->id();
    token = *creds->CreateToken(agent, "bench", clock.Now());
    api = std::make_unique<ApiServer>(ServerOptions{
        .desk = desk.get(), .clock = &clock, .credentials = creds.get()});
    api->Install(http);
    port = http.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { http.listen_after_bind(); });
    while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Fixture() {
    http.stop();
    thread.join();
  }
};

Fixture& Shared() {
  static Fixture* f = new Fixture();
  return *f;
}

// Each client's p50 and p99, averaged over the 8 clients.
void Record(benchmark::State& state, std::vector<double>& mine) {
  state.SetItemsProcessed(state.iterations());
  if (mine.empty()) return;
  std::sort(mine.begin(), mine.end());
  state.counters["p99_us"] = benchmark::Counter(
      mine[static_cast<size_t>(0.99 * static_cast<double>(mine.size() - 1))],
      benchmark::Counter::kAvgThreads);
  state.counters["p50_us"] =
      benchmark::Counter(mine[mine.size() / 2], benchmark::Counter::kAvgThreads);
}

void BM_InProcess_CreateTicket(benchmark::State& state) {
  Fixture& f = Shared();
  std::vector<double> mine;
  const v1::Actor actor = AgentActor(f.agent);
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<v1::Ticket> t = f.desk->tickets().Create(
        actor, {.subject = "Printer on fire", .requester_id = f.contact,
                .description = "Since this morning."});
    mine.push_back(std::chrono::duration<double, std::micro>(
                       std::chrono::steady_clock::now() - start).count());
    if (!t.ok()) state.SkipWithError(std::string(t.status().message()).c_str());
    benchmark::DoNotOptimize(t);
  }
  Record(state, mine);
}

void BM_Http_CreateTicket(benchmark::State& state) {
  Fixture& f = Shared();
  httplib::Client client("127.0.0.1", f.port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  const httplib::Headers headers{{"Authorization", "Bearer " + f.token}};
  const std::string body = absl::StrCat(
      R"({"subject":"Printer on fire","description":"Since this morning.","requesterId":)",
      f.contact, "}");
  std::vector<double> mine;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    httplib::Result r = client.Post("/api/v1/tickets", headers, body, "application/json");
    mine.push_back(std::chrono::duration<double, std::micro>(
                       std::chrono::steady_clock::now() - start).count());
    if (!r || r->status != 201) {
      state.SkipWithError(r ? r->body.c_str() : "no response");
      break;
    }
  }
  Record(state, mine);
}

BENCHMARK(BM_InProcess_CreateTicket)->Threads(8)->UseRealTime();
BENCHMARK(BM_Http_CreateTicket)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace helpdesk::serve

BENCHMARK_MAIN();
