// Four processes (postgres_multiprocess_driver) run a Desk each on one
// PostgresStore schema with the desk lease (DeskOptions::lease, issue 17):
// idempotent ingest with an acknowledgement in the outbox, version-checked
// updates, pulls and solves, outbox dispatch in every process; push routing
// and SLA ticks only in the lease holder. The holder is killed with SIGKILL
// midway and restarted; the lease moves to another process after its ttl.
// Then the store and the workers' logs must show: no acknowledged ticket
// lost, none duplicated, no lost update, every claim unique, no agent above
// capacity, every SLA event written once, every outbox entry delivered once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/names.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/postgres_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/workflow.h"
#include "postgres_test_support.h"

namespace helpdesk::testing {
namespace {

constexpr int kWorkers = 4;
constexpr int kCapacity = 5;  // each agent's e-mail capacity
// As in the driver: the desk lease's ttl, the SLA's first-reply target.
constexpr absl::Duration kLeaseTtl = absl::Seconds(1);
constexpr absl::Duration kFirstReply = absl::Milliseconds(800);
constexpr char kSla[] = R"pb(
  policies {
    name: "fast"
    targets {
      metric: SLA_METRIC_FIRST_REPLY
      target { nanos: 800000000 }
      warn_before { nanos: 400000000 }
    }
  }
)pb";

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

// One line of a worker's log, with the worker's pid (from the file name
// worker-<n>-<pid>.log).
struct LogLine {
  pid_t pid = 0;
  std::string kind, a, b;
};

std::vector<LogLine> ReadLogs(const std::string& dir) {
  std::vector<LogLine> out;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    const std::string name = file.path().stem().string();  // worker-N-PID
    pid_t pid = 0;
    if (!absl::SimpleAtoi(name.substr(name.rfind('-') + 1), &pid)) continue;
    std::ifstream in(file.path());
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      LogLine l;
      l.pid = pid;
      words >> l.kind >> l.a >> l.b;
      out.push_back(std::move(l));
    }
  }
  return out;
}

// The process that ran the latest Tick as the lease holder, and when.
std::pair<pid_t, int64_t> LatestHolder(const std::vector<LogLine>& lines) {
  std::pair<pid_t, int64_t> latest = {0, 0};
  for (const LogLine& l : lines) {
    int64_t us = 0;
    if (l.kind == "held" && absl::SimpleAtoi(l.a, &us) && us > latest.second) {
      latest = {l.pid, us};
    }
  }
  return latest;
}

TEST(PostgresMultiprocessTest, FourDesksUnderTheLeaseHolderKilledNothingLostOrDoubled) {
  if (!RequireTestPostgres()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("multi");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> owned,
                       OpenPostgresStore(TestPostgresUrl(), options));
  TemporarySchemaStore store(std::move(owned), options.schema);
  RealClock clock;
  std::vector<int64_t> agents;
  {
    // The agents, online, five e-mails each.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> setup,
                         Desk::Open({.store = &store, .clock = &clock}));
    v1::ChannelCapacity cap;
    cap.set_channel(v1::CHANNEL_EMAIL);
    cap.set_max_items(kCapacity);
    for (int i = 0; i < kWorkers; ++i) {
      ASSERT_OK_AND_ASSIGN(
          v1::Agent a,
          setup->people().CreateAgent(SystemActor(),
                                      {.name = absl::StrCat("agent ", i),
                                       .email = absl::StrCat("agent", i, "@example.com"),
                                       .capacity = {cap}}));
      ASSERT_OK(setup->people()
                    .SetAgentPresence(AgentActor(a.id()), a.id(), v1::PRESENCE_ONLINE)
                    .status());
      agents.push_back(a.id());
    }
  }
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / options.schema).string();
  std::filesystem::create_directories(dir);

  constexpr int kSeconds = 8;
  std::vector<pid_t> pids;
  // Whatever happens below, no worker outlives the test.
  struct Reaper {
    std::vector<pid_t>* pids;
    ~Reaper() {
      for (pid_t& pid : *pids) {
        if (pid > 0) {
          kill(pid, SIGKILL);
          Wait(pid);
        }
      }
    }
  } reaper{&pids};
  for (int i = 0; i < kWorkers; ++i) {
    pids.push_back(StartWorker(options.schema, i, kSeconds, dir, agents[i]));
  }
  // Once the desks have run for a while, kill the lease holder, so the lease
  // has to move (a loaded machine may start them slowly).
  const absl::Time started = absl::Now();
  absl::SleepFor(absl::Milliseconds(2500));
  pid_t holder = 0;
  while ((holder = LatestHolder(ReadLogs(dir)).first) == 0 &&
         absl::Now() < started + absl::Seconds(kSeconds - 1)) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_NE(holder, 0) << "no process ticked as the lease holder";
  const int victim = static_cast<int>(std::find(pids.begin(), pids.end(), holder) - pids.begin());
  ASSERT_LT(victim, kWorkers);
  ASSERT_EQ(kill(pids[victim], SIGKILL), 0);
  const int64_t killed_at = absl::ToUnixMicros(absl::Now());
  EXPECT_EQ(Wait(pids[victim]), 128 + SIGKILL);
  pids[victim] = StartWorker(options.schema, victim, 5, dir, agents[victim]);
  for (pid_t& pid : pids) {
    EXPECT_EQ(Wait(pid), 0);
    pid = 0;
  }

  // The lease moved: another process ticked as the holder after the kill.
  const std::vector<LogLine> lines = ReadLogs(dir);
  bool moved = false;
  for (const LogLine& l : lines) {
    int64_t us = 0;
    if (l.kind == "held" && l.pid != holder && absl::SimpleAtoi(l.a, &us) && us > killed_at) {
      moved = true;
    }
  }
  EXPECT_TRUE(moved) << "nobody took the lease over from the killed holder";

  // A last Tick as a new holder once the workers' lease ran out: the SLA
  // events due by now, each once.
  absl::SleepFor(kLeaseTtl + absl::Milliseconds(200));
  absl::Time final_tick;
  {
    ASSERT_OK_AND_ASSIGN(SlaEngine sla, SlaEngine::FromText(kSla, Workflow::Default()));
    DeskOptions o{.store = &store, .clock = &clock};
    o.routing = RoutingOptions{};
    o.sla = sla;
    o.lease = DeskLeaseOptions{.holder = "checker", .ttl = kLeaseTtl};
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> last, Desk::Open(std::move(o)));
    final_tick = clock.Now();
    ASSERT_OK_AND_ASSIGN(TickReport r, last->Tick(final_tick));
    EXPECT_TRUE(r.lease_held) << r.lease_holder;
  }

  // The logs.
  std::map<std::string, std::set<int64_t>> created;  // key -> ticket ids
  std::vector<std::pair<int64_t, std::string>> tagged;
  std::map<int64_t, std::vector<int64_t>> claimed;  // ticket -> agents
  std::map<std::string, int> delivered;             // idempotency key -> deliveries
  for (const LogLine& l : lines) {
    int64_t b = 0;
    if (l.kind == "created" && absl::SimpleAtoi(l.b, &b)) {
      created[l.a].insert(b);
    } else if (l.kind == "tagged" && absl::SimpleAtoi(l.a, &b)) {
      tagged.emplace_back(b, l.b);
    } else if (l.kind == "claimed" && absl::SimpleAtoi(l.a, &b)) {
      int64_t agent = 0;
      ASSERT_TRUE(absl::SimpleAtoi(l.b, &agent));
      claimed[b].push_back(agent);
    } else if (l.kind == "delivered") {
      ++delivered[l.a];
    }
  }
  ASSERT_GT(created.size(), 20u) << "the workers did too little to tell anything";
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
  std::map<int64_t, int> routed;
  std::map<std::tuple<int64_t, int, int, int>, int> sla_events;  // ticket, kind, metric, cycle
  std::map<int64_t, int64_t> holder_of;                          // ticket -> agent
  std::map<int64_t, int> load, max_load;                         // per agent
  std::map<int64_t, std::string> history;                        // for failure messages
  for (const v1::Event& e : events) {
    history[e.ticket_id()] += absl::StrCat(" ", v1::Event::Kind_Name(e.kind()), "@",
                                           absl::FormatTime(FromTimestamp(e.time())));
    if (e.kind() == v1::Event::ROUTED) {
      ++routed[e.ticket_id()];
      holder_of[e.ticket_id()] = e.related_agent_id();
      max_load[e.related_agent_id()] =
          std::max(max_load[e.related_agent_id()], ++load[e.related_agent_id()]);
    } else if (e.kind() == v1::Event::SLA_WARNING || e.kind() == v1::Event::SLA_BREACHED) {
      ++sla_events[{e.ticket_id(), e.kind(), e.sla_metric(), e.sla_cycle()}];
    }
    for (const v1::FieldChange& c : e.changes()) {
      if (c.field() == v1::FieldChange::STATUS && c.after().status() == "solved" &&
          holder_of.count(e.ticket_id())) {
        --load[holder_of[e.ticket_id()]];
      }
    }
  }
  ASSERT_FALSE(routed.empty()) << "the lease holder routed nothing";
  // Every assignment unique (nothing re-queues in this run), and each ticket
  // with the agent routing gave it to; every pull among them.
  for (const auto& [id, n] : routed) {
    EXPECT_EQ(n, 1) << "ticket " << id << " routed twice";
    EXPECT_EQ(by_id[id].assignee_id(), holder_of[id]) << "ticket " << id;
  }
  for (const auto& [id, who] : claimed) {
    ASSERT_EQ(who.size(), 1u) << "ticket " << id << " claimed twice";
    EXPECT_EQ(by_id[id].assignee_id(), who[0]);
    EXPECT_EQ(routed[id], 1);
  }
  // No agent above capacity at any point.
  for (const auto& [agent, n] : max_load) EXPECT_LE(n, kCapacity) << "agent " << agent;
  // SLA events exactly once per ticket, kind, metric and cycle; and every
  // ticket still waiting for its first reply well past the target at the
  // last Tick has its breach.
  std::set<int64_t> breached;
  for (const auto& [key, n] : sla_events) {
    EXPECT_EQ(n, 1) << "ticket " << std::get<0>(key) << " SLA event kind " << std::get<1>(key)
                    << " cycle " << std::get<3>(key);
    if (std::get<1>(key) == v1::Event::SLA_BREACHED) breached.insert(std::get<0>(key));
  }
  ASSERT_FALSE(breached.empty());
  for (const auto& [id, t] : by_id) {
    if ((t.status() == "new" || t.status() == "open") &&
        FromTimestamp(t.created_at()) + kFirstReply < final_tick - absl::Milliseconds(100)) {
      EXPECT_TRUE(breached.count(id))
          << "ticket " << id << " was never breached; status " << t.status() << ", created "
          << FromTimestamp(t.created_at()) << ", next SLA deadline "
          << (t.has_sla_next_deadline() ? absl::FormatTime(FromTimestamp(t.sla_next_deadline()))
                                        : std::string("none"))
          << ", last tick " << final_tick << ", events" << history[id];
    }
  }
  // Outbox: one acknowledgement per ticket; every delivery once; every
  // entry marked delivered was delivered.
  for (const auto& [key, n] : delivered) EXPECT_EQ(n, 1) << "outbox message " << key;
  std::map<int64_t, int> acks;
  int delivered_entries = 0;
  for (int64_t after = 0;;) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> page,
                         tx->ListOutbox(std::nullopt, after, 1000));
    if (page.empty()) break;
    after = page.back().id();
    for (const v1::OutboxEntry& e : page) {
      ++acks[e.message().ticket_id()];
      if (e.state() == v1::OutboxEntry::DELIVERED) {
        ++delivered_entries;
        EXPECT_EQ(delivered[e.message().idempotency_key()], 1) << "outbox entry " << e.id();
      }
    }
  }
  for (const auto& [id, n] : acks) EXPECT_EQ(n, 1) << "ticket " << id;
  EXPECT_GT(delivered_entries, 0);
  std::cout << "tickets " << by_id.size() << ", acknowledged creates " << created.size()
            << ", tag updates " << tagged.size() << ", routed " << routed.size()
            << ", pulls " << claimed.size() << ", events " << events.size()
            << ", SLA events " << sla_events.size() << ", breaches " << breached.size()
            << ", deliveries " << delivered.size() << "\n";
  tx.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace helpdesk::testing
