// store_bench's PostgreSQL section (linked into store_bench when
// HELPDESK_WITH_POSTGRES): ticket creates per second with 1, 2 and 4 clients
// and pull claims per second with 2 and 4, the clients once as threads (each
// with its own store and connection) and once as forked processes
// (`..._Processes/processes:N`, as the issue measures them), each beside its baseline: raw libpq doing the same inserts
// (ticket row + two tag rows, prepared, one transaction each) and the same
// FOR UPDATE SKIP LOCKED claims on the same server in the same run.
//
// The server is $HELPDESK_BENCH_POSTGRES, else $HELPDESK_TEST_POSTGRES
// (scripts/pg-test-cluster.sh start DIR prints one); without either these
// benchmarks report an error and skip. They use one fresh schema, dropped at
// exit.
#include <libpq-fe.h>
#include <endian.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "helpdesk/storage/postgres_store.h"
#include "helpdesk/store.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

std::string BenchUrl() {
  for (const char* name : {"HELPDESK_BENCH_POSTGRES", "HELPDESK_TEST_POSTGRES"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return "";
}

// The schema every PostgreSQL benchmark of this run shares; created (by
// opening a store on it) once, dropped at exit.
class BenchSchema {
 public:
  static BenchSchema& Get() {
    static BenchSchema* schema = new BenchSchema();
    return *schema;
  }
  const std::string& name() const { return name_; }
  const std::string& error() const { return error_; }
  // Runs SQL on a connection of its own; "" or the error.
  std::string Run(const std::string& sql) const {
    PGconn* c = PQconnectdb(BenchUrl().c_str());
    std::string error;
    if (PQstatus(c) != CONNECTION_OK) {
      error = PQerrorMessage(c);
    } else {
      PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        error = PQresultErrorMessage(r);
      }
      PQclear(r);
    }
    PQfinish(c);
    return error;
  }

 private:
  BenchSchema() : name_(absl::StrCat("bench_", getpid())) {
    if (BenchUrl().empty()) {
      error_ = "no server: set HELPDESK_BENCH_POSTGRES or HELPDESK_TEST_POSTGRES";
      return;
    }
    PostgresStoreOptions options;
    options.schema = name_;
    absl::StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore(BenchUrl(), options);
    if (!store.ok()) {
      error_ = store.status().ToString();
      return;
    }
    std::atexit([] {
      BenchSchema& s = Get();
      s.Run(absl::StrCat("DROP SCHEMA IF EXISTS ", s.name_, " CASCADE"));
    });
  }
  std::string name_;
  std::string error_;
};

v1::Ticket BenchTicket(int64_t n) {
  v1::Ticket t;
  t.set_subject(absl::StrCat("Printer ", n, " jams on the 3rd floor"));
  t.set_status("open");
  t.set_status_category(v1::STATUS_CATEGORY_OPEN);
  t.set_priority(v1::PRIORITY_NORMAL);
  t.set_requester_id(1 + n % 100);
  t.add_tags("printer");
  t.add_tags("floor-3");
  *t.mutable_created_at() = ToTimestamp(absl::FromUnixSeconds(1767600000 + n));
  *t.mutable_updated_at() = t.created_at();
  return t;
}

absl::StatusOr<std::unique_ptr<Store>> OpenBenchStore() {
  BenchSchema& schema = BenchSchema::Get();
  if (!schema.error().empty()) return absl::UnavailableError(schema.error());
  PostgresStoreOptions options;
  options.schema = schema.name();
  options.max_connections = 1;
  return OpenPostgresStore(BenchUrl(), options);
}

std::unique_ptr<Store> OpenBenchStore(benchmark::State& state) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenBenchStore();
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(store);
}

// One raw connection with search_path on the bench schema, or the error.
absl::StatusOr<PGconn*> OpenRaw() {
  BenchSchema& schema = BenchSchema::Get();
  if (!schema.error().empty()) return absl::UnavailableError(schema.error());
  PGconn* c = PQconnectdb(BenchUrl().c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    absl::Status error = absl::UnavailableError(PQerrorMessage(c));
    PQfinish(c);
    return error;
  }
  PQclear(PQexec(c, absl::StrCat("SET search_path TO ", schema.name()).c_str()));
  return c;
}

bool Ok(PGresult* r) {
  const bool ok =
      PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  return ok;
}

// A benchmark client: made once per client thread or process (its own store
// or connection, its prepared statements), then `op` once per operation.
// `client` numbers the clients of one run from 0.
using Op = std::function<absl::Status()>;
using MakeClient = std::function<absl::StatusOr<Op>(int client)>;

// A raw connection closed when the last copy of the op holding it goes.
using RawConnection = std::shared_ptr<PGconn>;
absl::StatusOr<RawConnection> OpenRawShared() {
  HELPDESK_ASSIGN_OR_RETURN(PGconn * c, OpenRaw());
  return RawConnection(c, PQfinish);
}

absl::StatusOr<Op> StoreCreateClient(int client) {
  HELPDESK_ASSIGN_OR_RETURN(std::shared_ptr<Store> store, OpenBenchStore());
  auto n = std::make_shared<int64_t>(client * 100000000LL);
  return Op([store, n]() -> absl::Status {
    v1::Ticket t = BenchTicket((*n)++);
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                              store->Begin(TransactionMode::kReadWrite));
    HELPDESK_RETURN_IF_ERROR(tx->InsertTicket(&t));
    return tx->Commit();
  });
}

// The same rows through raw libpq: prepared INSERTs of the ticket (same
// columns, the serialized proto) and its two tags, one transaction each.
absl::StatusOr<Op> RawCreateClient(int client) {
  HELPDESK_ASSIGN_OR_RETURN(RawConnection conn, OpenRawShared());
  {
    PGconn* c = conn.get();
    PQclear(PQprepare(c, "t",
                      "INSERT INTO tickets (id, version, status, status_category, priority, "
                      "assignee_id, group_id, requester_id, organization_id, subject_folded, "
                      "created_us, updated_us, merged_into, sla_deadline_us, proto) VALUES "
                      "(nextval('tickets_id_seq'), 1, 'open', 2, 2, 0, 0, $1::int8, 0, "
                      "$2::bytea, $3::int8, $3::int8, 0, 9223372036854775807, $4::bytea) "
                      "RETURNING id",
                      0, nullptr));
    PQclear(PQprepare(c, "g", "INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1::int8, $2::bytea)",
                      0, nullptr));
  }
  auto n = std::make_shared<int64_t>(client * 100000000LL + 50000000LL);
  return Op([conn, n]() -> absl::Status {
    PGconn* c = conn.get();
    v1::Ticket t = BenchTicket((*n)++);
    const std::string proto = t.SerializeAsString();
    const std::string requester = absl::StrCat(t.requester_id());
    const std::string created = absl::StrCat(TimestampToMicros(t.created_at()));
    const char* values[] = {requester.c_str(), t.subject().c_str(), created.c_str(),
                            proto.data()};
    const int lengths[] = {0, static_cast<int>(t.subject().size()), 0,
                           static_cast<int>(proto.size())};
    const int formats[] = {0, 1, 0, 1};
    bool ok = Ok(PQexec(c, "BEGIN"));
    PGresult* r = PQexecPrepared(c, "t", 4, values, lengths, formats, 0);
    ok = ok && PQresultStatus(r) == PGRES_TUPLES_OK;
    const std::string id = ok ? PQgetvalue(r, 0, 0) : "0";
    PQclear(r);
    for (const std::string& tag : t.tags()) {
      const char* tv[] = {id.c_str(), tag.c_str()};
      const int tl[] = {0, static_cast<int>(tag.size())};
      const int tf[] = {0, 1};
      ok = ok && Ok(PQexecPrepared(c, "g", 2, tv, tl, tf, 0));
    }
    ok = ok && Ok(PQexec(c, "COMMIT"));
    if (!ok) return absl::InternalError(PQerrorMessage(c));
    return absl::OkStatus();
  });
}

// Claims need free tickets: 20,000 more open unassigned ones before each run
// (thread 0; the others wait at the loop's start), then ANALYZE, so neither
// side plans its claim on statistics of a table 20,000 rows smaller.
void AddClaimableTickets(benchmark::State& state) {
  if (state.thread_index() != 0) return;
  const std::string error = BenchSchema::Get().Run(absl::StrCat(
      "INSERT INTO ", BenchSchema::Get().name(),
      ".tickets (id, version, status, status_category, priority, assignee_id, group_id, "
      "requester_id, organization_id, subject_folded, created_us, updated_us, merged_into, "
      "sla_deadline_us, proto) SELECT nextval('", BenchSchema::Get().name(),
      ".tickets_id_seq'), 1, 'open', 2, 2, 0, 0, 1, 0, 'x', g, g, 0, "
      "9223372036854775807, ''::bytea FROM generate_series(1, 20000) g; ANALYZE ",
      BenchSchema::Get().name(), ".tickets"));
  if (!error.empty()) state.SkipWithError(error.c_str());
}

// Agents for the claim benchmarks, one per thread (made once).
int64_t BenchAgent(Store& store, int thread) {
  static std::mutex mu;
  static std::vector<int64_t> agents;
  std::lock_guard<std::mutex> lock(mu);
  while (static_cast<int>(agents.size()) <= thread) {
    v1::Agent a;
    a.set_name(absl::StrCat("bench agent ", agents.size()));
    auto tx = store.Begin(TransactionMode::kReadWrite);
    if (!tx.ok() || !(*tx)->InsertAgent(&a).ok() || !(*tx)->Commit().ok()) return 0;
    agents.push_back(a.id());
  }
  return agents[thread];
}

absl::StatusOr<Op> StoreClaimClient(int client) {
  HELPDESK_ASSIGN_OR_RETURN(std::shared_ptr<Store> store, OpenBenchStore());
  TicketClaim claim;
  claim.agent_id = BenchAgent(*store, client);
  claim.capacity = 1000000000;
  claim.statuses = {"open"};
  claim.now = absl::FromUnixSeconds(1767700000);
  return Op([store, claim]() -> absl::Status {
    return store->ClaimNextTicket(claim).status();
  });
}

// The same claim through raw libpq, one statement a round trip as a plain
// libpq client writes it, doing the rows' work the store does: the agent's
// row FOR UPDATE, the count of tickets it holds, the candidate FOR UPDATE
// SKIP LOCKED (its proto read), the UPDATE with the new proto (assignee,
// updated_at, version) and the ROUTED event's row, in one transaction. Its
// agents are real rows (made through a store, as the store side's), after
// the store side's (clients 0..3), so neither shares rows.
absl::StatusOr<Op> RawClaimClient(int client) {
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenBenchStore());
  HELPDESK_ASSIGN_OR_RETURN(RawConnection conn, OpenRawShared());
  {
    PGconn* c = conn.get();
    PQclear(PQprepare(c, "a", "SELECT id FROM agents WHERE id = $1::int8 FOR UPDATE", 0,
                      nullptr));
    PQclear(PQprepare(c, "h",
                      "SELECT count(*) FROM tickets WHERE assignee_id = $1::int8 AND "
                      "merged_into = 0 AND status IN ('open')",
                      0, nullptr));
    PQclear(PQprepare(c, "c",
                      "SELECT id, version, proto FROM tickets WHERE assignee_id = 0 AND "
                      "merged_into = 0 AND status IN ('open') ORDER BY priority DESC, "
                      "created_us, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                      0, nullptr));
    PQclear(PQprepare(c, "u",
                      "UPDATE tickets SET assignee_id = $1::int8, version = $2::int8, "
                      "updated_us = $3::int8, proto = $4::bytea WHERE id = $5::int8",
                      0, nullptr));
    PQclear(PQprepare(c, "e",
                      "INSERT INTO events (ticket_id, proto, time_micros) VALUES "
                      "($1::int8, $2::bytea, $3::int8)",
                      0, nullptr));
  }
  const int64_t agent_id = BenchAgent(*store, 4 + client);
  return Op([conn, agent_id]() -> absl::Status {
    PGconn* c = conn.get();
    const std::string agent = absl::StrCat(agent_id);
    const absl::Time now = absl::FromUnixSeconds(1767700000);
    const std::string now_us = absl::StrCat(absl::ToUnixMicros(now));
    bool ok = Ok(PQexec(c, "BEGIN"));
    const char* av[] = {agent.c_str()};
    PGresult* r = PQexecPrepared(c, "a", 1, av, nullptr, nullptr, 0);
    ok = ok && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    r = PQexecPrepared(c, "h", 1, av, nullptr, nullptr, 0);
    ok = ok && PQresultStatus(r) == PGRES_TUPLES_OK && std::atoll(PQgetvalue(r, 0, 0)) < 1000000000;
    PQclear(r);
    r = PQexecPrepared(c, "c", 0, nullptr, nullptr, nullptr, 1);
    ok = ok && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    v1::Ticket t;
    std::string id;
    int64_t version = 0;
    if (ok) {
      id = absl::StrCat(static_cast<int64_t>(be64toh(*reinterpret_cast<const uint64_t*>(
          PQgetvalue(r, 0, 0)))));
      version = static_cast<int64_t>(
          be64toh(*reinterpret_cast<const uint64_t*>(PQgetvalue(r, 0, 1))));
      ok = t.ParseFromArray(PQgetvalue(r, 0, 2), PQgetlength(r, 0, 2));
    }
    PQclear(r);
    t.set_assignee_id(agent_id);
    *t.mutable_updated_at() = ToTimestamp(now);
    const std::string proto = t.SerializeAsString();
    const std::string new_version = absl::StrCat(version + 1);
    const char* uv[] = {agent.c_str(), new_version.c_str(), now_us.c_str(), proto.data(),
                        id.c_str()};
    const int ul[] = {0, 0, 0, static_cast<int>(proto.size()), 0};
    const int uf[] = {0, 0, 0, 1, 0};
    ok = ok && Ok(PQexecPrepared(c, "u", 5, uv, ul, uf, 0));
    v1::Event e;
    e.set_ticket_id(std::atoll(id.c_str()));
    e.set_kind(v1::Event::ROUTED);
    *e.mutable_time() = ToTimestamp(now);
    v1::FieldChange* change = e.add_changes();
    change->set_field(v1::FieldChange::ASSIGNEE);
    change->mutable_before()->set_agent_id(0);
    change->mutable_after()->set_agent_id(agent_id);
    e.set_related_agent_id(agent_id);
    e.set_note("pulled");
    e.set_ticket_version(version + 1);
    const std::string event = e.SerializeAsString();
    const char* ev[] = {id.c_str(), event.data(), now_us.c_str()};
    const int el[] = {0, static_cast<int>(event.size()), 0};
    const int ef[] = {0, 1, 0};
    ok = ok && Ok(PQexecPrepared(c, "e", 3, ev, el, ef, 0));
    ok = ok && Ok(PQexec(c, "COMMIT"));
    if (!ok) return absl::InternalError(absl::StrCat("raw claim failed: ", PQerrorMessage(c)));
    return absl::OkStatus();
  });
}

// Clients as threads of this process (state.threads() of them, each its own
// store or connection): items per second over real time.
void RunThreads(benchmark::State& state, const MakeClient& make) {
  absl::StatusOr<Op> op = make(state.thread_index());
  if (!op.ok()) {
    state.SkipWithError(op.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    if (absl::Status s = (*op)(); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Clients as processes, as the issue asks (state.range(0) of them): each
// iteration forks them; each opens its own store or connection, says it is
// ready, waits for the start, runs kOpsPerProcess operations and exits; the
// iteration's time is from the start to the last exit. Items per second over
// that time.
constexpr int kOpsPerProcess = 1000;
void RunProcesses(benchmark::State& state, const MakeClient& make) {
  const int clients = static_cast<int>(state.range(0));
  for (auto _ : state) {
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0) {
      state.SkipWithError("pipe failed");
      return;
    }
    std::vector<pid_t> children;
    for (int i = 0; i < clients; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        absl::StatusOr<Op> op = make(i);
        char byte = op.ok() ? 1 : 0;
        if (write(ready[1], &byte, 1) != 1 || !op.ok()) _exit(2);
        if (read(go[0], &byte, 1) != 0) _exit(3);  // the parent closes it: go
        for (int k = 0; k < kOpsPerProcess; ++k) {
          if (!(*op)().ok()) _exit(1);
        }
        _exit(0);
      }
      if (pid > 0) children.push_back(pid);
    }
    close(ready[1]);
    close(go[0]);
    bool ok = static_cast<int>(children.size()) == clients;
    for (int i = 0; ok && i < clients; ++i) {
      char byte = 0;
      ok = read(ready[0], &byte, 1) == 1 && byte == 1;
    }
    const absl::Time start = absl::Now();
    close(go[1]);
    for (pid_t pid : children) {
      int status = 0;
      ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0 && ok;
    }
    const absl::Duration took = absl::Now() - start;
    close(ready[0]);
    if (!ok) {
      state.SkipWithError("a client process failed");
      return;
    }
    state.SetIterationTime(absl::ToDoubleSeconds(took));
  }
  state.SetItemsProcessed(state.iterations() * clients * kOpsPerProcess);
}

void BM_Postgres_CreateTicket(benchmark::State& state) {
  RunThreads(state, StoreCreateClient);
}
BENCHMARK(BM_Postgres_CreateTicket)->ThreadRange(1, 4)->UseRealTime();
void BM_RawLibpq_CreateTicket(benchmark::State& state) {
  RunThreads(state, RawCreateClient);
}
BENCHMARK(BM_RawLibpq_CreateTicket)->ThreadRange(1, 4)->UseRealTime();

void BM_Postgres_ClaimTicket(benchmark::State& state) {
  AddClaimableTickets(state);
  RunThreads(state, StoreClaimClient);
}
BENCHMARK(BM_Postgres_ClaimTicket)->Threads(2)->Threads(4)->UseRealTime();
void BM_RawLibpq_ClaimTicket(benchmark::State& state) {
  AddClaimableTickets(state);
  RunThreads(state, RawClaimClient);
}
BENCHMARK(BM_RawLibpq_ClaimTicket)->Threads(2)->Threads(4)->UseRealTime();

// The same four with client processes; their agents are made here first, so
// every process finds its own (BenchAgent's list is copied into each child).
void MakeAgents(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenBenchStore(state);
  if (store != nullptr) BenchAgent(*store, 7);
}
void BM_Postgres_CreateTicket_Processes(benchmark::State& state) {
  RunProcesses(state, StoreCreateClient);
}
BENCHMARK(BM_Postgres_CreateTicket_Processes)->ArgName("processes")->Arg(1)->Arg(2)->Arg(4)
    ->Iterations(3)->UseManualTime();
void BM_RawLibpq_CreateTicket_Processes(benchmark::State& state) {
  RunProcesses(state, RawCreateClient);
}
BENCHMARK(BM_RawLibpq_CreateTicket_Processes)->ArgName("processes")->Arg(1)->Arg(2)->Arg(4)
    ->Iterations(3)->UseManualTime();
// 3 iterations x 4 processes x 1,000 claims stay within AddClaimableTickets' 20,000.
void BM_Postgres_ClaimTicket_Processes(benchmark::State& state) {
  MakeAgents(state);
  AddClaimableTickets(state);
  RunProcesses(state, StoreClaimClient);
}
BENCHMARK(BM_Postgres_ClaimTicket_Processes)->ArgName("processes")->Arg(2)->Arg(4)
    ->Iterations(3)->UseManualTime();
void BM_RawLibpq_ClaimTicket_Processes(benchmark::State& state) {
  MakeAgents(state);
  AddClaimableTickets(state);
  RunProcesses(state, RawClaimClient);
}
BENCHMARK(BM_RawLibpq_ClaimTicket_Processes)->ArgName("processes")->Arg(2)->Arg(4)
    ->Iterations(3)->UseManualTime();

}  // namespace
}  // namespace helpdesk
