// Four processes (postgres_multiprocess_driver) hammer one PostgresStore
// schema at once: idempotent ingest with an outbox entry each, version-checked
// updates, pull claims and solves, outbox dispatch, and SLA ticks under a
// lease. One is killed with SIGKILL midway and restarted. Then the store and
// the workers' logs must show: no acknowledged ticket lost, none duplicated,
// no lost update, every claim unique, no agent above capacity, every SLA
// breach written once, every outbox entry delivered once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "helpdesk/storage/postgres_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "postgres_test_support.h"

namespace helpdesk::testing {
namespace {

constexpr int kWorkers = 4;
constexpr int kCapacity = 5;  // as in the driver

pid_t StartWorker(const std::string& schema, int worker, int seconds, const std::string& dir,
                  int64_t agent) {
  const std::vector<std::string> args = {HELPDESK_MULTIPROCESS_DRIVER,
                                         TestPostgresUrl(),
                                         schema,
                                         absl::StrCat(worker),
                                         absl::StrCat(seconds),
                                         dir,
                                         absl::StrCat(agent),
                                         absl::StrCat(1000 + worker)};
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

TEST(PostgresMultiprocessTest, FourProcessesOneKilledNothingLostOrDoubled) {
  if (!RequireTestPostgres()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("multi");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> owned,
                       OpenPostgresStore(TestPostgresUrl(), options));
  TemporarySchemaStore store(std::move(owned), options.schema);
  std::vector<int64_t> agents;
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store.Begin(TransactionMode::kReadWrite));
    for (int i = 0; i < kWorkers; ++i) {
      v1::Agent a;
      a.set_name(absl::StrCat("agent ", i));
      a.set_email(absl::StrCat("agent", i, "@example.com"));
      ASSERT_OK(tx->InsertAgent(&a));
      agents.push_back(a.id());
    }
    ASSERT_OK(tx->Commit());
  }
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / options.schema).string();
  std::filesystem::create_directories(dir);

  constexpr int kSeconds = 8;
  std::vector<pid_t> pids;
  for (int i = 0; i < kWorkers; ++i) {
    pids.push_back(StartWorker(options.schema, i, kSeconds, dir, agents[i]));
  }
  absl::SleepFor(absl::Seconds(3));
  ASSERT_EQ(kill(pids[2], SIGKILL), 0);
  EXPECT_EQ(Wait(pids[2]), 128 + SIGKILL);
  pids[2] = StartWorker(options.schema, 2, kSeconds - 3, dir, agents[2]);
  for (pid_t pid : pids) EXPECT_EQ(Wait(pid), 0);

  // The logs.
  std::map<std::string, std::set<int64_t>> created;  // key -> ticket ids
  std::vector<std::pair<int64_t, std::string>> tagged;
  std::map<int64_t, std::vector<int64_t>> claimed;  // ticket -> agents
  std::map<int64_t, int> delivered, breached_logged;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(file.path());
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string kind, a;
      int64_t b = 0;
      words >> kind;
      if (kind == "created") {
        words >> a >> b;
        created[a].insert(b);
      } else if (kind == "tagged") {
        words >> b >> a;
        tagged.emplace_back(b, a);
      } else if (kind == "claimed") {
        int64_t agent = 0;
        words >> b >> agent;
        claimed[b].push_back(agent);
      } else if (kind == "delivered") {
        words >> b;
        ++delivered[b];
      } else if (kind == "breached") {
        words >> b;
        ++breached_logged[b];
      }
    }
  }
  ASSERT_GT(created.size(), 20u) << "the workers did too little to tell anything";
  ASSERT_FALSE(claimed.empty());
  ASSERT_FALSE(delivered.empty());

  ASSERT_OK_AND_ASSIGN(auto tx, store.Begin(TransactionMode::kReadOnly));
  // Every ticket, by subject (the ingest key).
  std::map<std::string, std::vector<v1::Ticket>> by_key;
  std::map<int64_t, v1::Ticket> by_id;
  TicketQuery q;
  q.sort = TicketSort::kIdAsc;
  q.limit = 500;
  while (true) {
    ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(q));
    for (v1::Ticket& t : page.tickets) {
      by_key[t.subject()].push_back(t);
      by_id[t.id()] = t;
    }
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  // No ticket duplicated; none acknowledged lost.
  for (const auto& [key, tickets] : by_key) EXPECT_EQ(tickets.size(), 1u) << key;
  for (const auto& [key, ids] : created) {
    ASSERT_EQ(ids.size(), 1u) << key << " was acknowledged as several tickets";
    ASSERT_TRUE(by_id.count(*ids.begin())) << key << " lost";
    EXPECT_EQ(by_id[*ids.begin()].subject(), key);
  }
  // No lost update: every acknowledged tag is on its ticket.
  for (const auto& [id, tag] : tagged) {
    const auto& tags = by_id[id].tags();
    EXPECT_TRUE(std::find(tags.begin(), tags.end(), tag) != tags.end())
        << "ticket " << id << " lost tag " << tag;
  }
  // The audit log, in commit order.
  std::vector<v1::Event> events;
  for (int64_t after = 0;;) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> page, tx->ListEventsSince(after, 1000));
    if (page.empty()) break;
    after = page.back().id();
    for (v1::Event& e : page) events.push_back(std::move(e));
  }
  std::map<int64_t, int> routed, breaches;
  std::map<int64_t, int> load, max_load;  // per agent
  for (const v1::Event& e : events) {
    if (e.kind() == v1::Event::ROUTED) {
      ++routed[e.ticket_id()];
      max_load[e.related_agent_id()] =
          std::max(max_load[e.related_agent_id()], ++load[e.related_agent_id()]);
    } else if (e.kind() == v1::Event::FIELDS_CHANGED && e.note() == "solved") {
      --load[e.related_agent_id()];
    } else if (e.kind() == v1::Event::SLA_BREACHED) {
      ++breaches[e.ticket_id()];
    }
  }
  // Every claim unique, and the claimed ticket is the claimer's.
  for (const auto& [id, n] : routed) EXPECT_EQ(n, 1) << "ticket " << id << " routed twice";
  for (const auto& [id, who] : claimed) {
    ASSERT_EQ(who.size(), 1u) << "ticket " << id << " claimed twice";
    EXPECT_EQ(by_id[id].assignee_id(), who[0]);
    EXPECT_EQ(routed[id], 1);
  }
  // No agent above capacity at any point.
  for (const auto& [agent, n] : max_load) EXPECT_LE(n, kCapacity) << "agent " << agent;
  // SLA breaches exactly once: one event per breached ticket, whose deadline
  // is then cleared; the logged ones are among them, once each.
  for (const auto& [id, n] : breaches) {
    EXPECT_EQ(n, 1) << "ticket " << id;
    EXPECT_FALSE(by_id[id].has_sla_next_deadline()) << "ticket " << id;
  }
  ASSERT_FALSE(breaches.empty());
  for (const auto& [id, n] : breached_logged) {
    EXPECT_EQ(n, 1) << "ticket " << id << " breached twice";
    EXPECT_EQ(breaches[id], 1);
  }
  // Outbox: every delivery once; every entry marked delivered was delivered.
  for (const auto& [id, n] : delivered) EXPECT_EQ(n, 1) << "outbox entry " << id;
  for (int64_t after = 0;;) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> page,
                         tx->ListOutbox(v1::OutboxEntry::DELIVERED, after, 1000));
    if (page.empty()) break;
    after = page.back().id();
    for (const v1::OutboxEntry& e : page) {
      EXPECT_EQ(delivered[e.id()], 1) << "outbox entry " << e.id();
    }
  }
  std::cout << "tickets " << by_id.size() << ", acknowledged creates " << created.size()
            << ", tag updates " << tagged.size() << ", claims " << claimed.size()
            << ", events " << events.size() << ", SLA breaches " << breaches.size()
            << ", deliveries " << delivered.size() << "\n";
  tx.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace helpdesk::testing
