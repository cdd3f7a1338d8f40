// The Store conformance suite: calls for several processes (leases and pull
// claims). A store that does not support a call (Unimplemented) skips its
// tests. Part of helpdesk::store_conformance; the fixture and how to run the
// suite are in helpdesk/testing/store_conformance.h.
#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {
namespace {

namespace sci = store_conformance_internal;

#define HELPDESK_SKIP_IF_UNIMPLEMENTED(expr)                               \
  do {                                                                     \
    const absl::Status helpdesk_s_ = (expr);                               \
    if (helpdesk_s_.code() == absl::StatusCode::kUnimplemented) {          \
      GTEST_SKIP() << "the store does not support this: " << helpdesk_s_; \
    }                                                                      \
  } while (0)

// Agents and `n` open tickets (priority normal, one minute apart).
std::vector<int64_t> AddAgents(Store& store, int n) {
  std::vector<int64_t> ids;
  auto tx = store.Begin(TransactionMode::kReadWrite);
  EXPECT_TRUE(tx.ok()) << tx.status();
  for (int i = 0; i < n; ++i) {
    v1::Agent a = sci::MakeAgent(absl::StrCat("agent ", i), absl::StrCat("a", i, "@example.com"));
    EXPECT_TRUE((*tx)->InsertAgent(&a).ok());
    ids.push_back(a.id());
  }
  EXPECT_TRUE((*tx)->Commit().ok());
  return ids;
}

TicketClaim ClaimFor(int64_t agent, int capacity) {
  TicketClaim c;
  c.agent_id = agent;
  c.capacity = capacity;
  c.statuses = {"new", "open"};
  c.now = sci::Minute(100);
  return c;
}

}  // namespace

TEST_P(StoreConformanceTest, LeaseGoesToOneHolderAndMovesWhenItExpiresOrIsReleased) {
  const absl::Time t0 = sci::Minute(0);
  absl::StatusOr<Lease> a = store().AcquireLease("tick", "process-a", absl::Seconds(30), t0);
  HELPDESK_SKIP_IF_UNIMPLEMENTED(a.status());
  HELPDESK_ASSERT_OK(a.status());
  EXPECT_EQ(a->holder, "process-a");
  EXPECT_EQ(a->expires_at, t0 + absl::Seconds(30));
  const int64_t token = a->token;

  HELPDESK_ASSERT_OK_AND_ASSIGN(
      Lease b, store().AcquireLease("tick", "process-b", absl::Seconds(30), t0 + absl::Seconds(10)));
  EXPECT_EQ(b.holder, "process-a");
  EXPECT_EQ(b.token, token);

  // A renewal keeps the token and moves the expiry.
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      a, store().AcquireLease("tick", "process-a", absl::Seconds(30), t0 + absl::Seconds(20)));
  EXPECT_EQ(a->holder, "process-a");
  EXPECT_EQ(a->token, token);
  EXPECT_EQ(a->expires_at, t0 + absl::Seconds(50));

  // Another lease name is independent.
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      Lease other, store().AcquireLease("routing", "process-b", absl::Seconds(5), t0));
  EXPECT_EQ(other.holder, "process-b");

  // Expired: b takes it, with a new token.
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      b, store().AcquireLease("tick", "process-b", absl::Seconds(30), t0 + absl::Seconds(50)));
  EXPECT_EQ(b.holder, "process-b");
  EXPECT_GT(b.token, token);

  // Releasing a lease one does not hold changes nothing; the holder's
  // release frees it at once.
  HELPDESK_ASSERT_OK(store().ReleaseLease("tick", "process-a"));
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      a, store().AcquireLease("tick", "process-a", absl::Seconds(30), t0 + absl::Seconds(51)));
  EXPECT_EQ(a->holder, "process-b");
  HELPDESK_ASSERT_OK(store().ReleaseLease("tick", "process-b"));
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      a, store().AcquireLease("tick", "process-a", absl::Seconds(30), t0 + absl::Seconds(52)));
  EXPECT_EQ(a->holder, "process-a");

  EXPECT_EQ(store().AcquireLease("", "x", absl::Seconds(1), t0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().AcquireLease("tick", "x", absl::ZeroDuration(), t0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, LeaseRaceHasOneWinner) {
  HELPDESK_SKIP_IF_UNIMPLEMENTED(
      store().AcquireLease("probe", "p", absl::Seconds(1), sci::Minute(0)).status());
  constexpr int kThreads = 8;
  std::vector<std::string> seen(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Lease> l = store().AcquireLease(
          "routing", absl::StrCat("holder-", i), absl::Minutes(1), sci::Minute(0));
      seen[i] = l.ok() ? l->holder : l.status().ToString();
    });
  }
  for (std::thread& t : threads) t.join();
  // Everyone was told the same holder, one of them.
  std::set<std::string> holders(seen.begin(), seen.end());
  ASSERT_EQ(holders.size(), 1u) << ::testing::PrintToString(seen);
  EXPECT_EQ(holders.begin()->rfind("holder-", 0), 0u);
}

// Fencing (issue 17): a write checks, in its own transaction, that its
// writer still holds the lease with the token it was given.
TEST_P(StoreConformanceTest, CheckLeaseRefusesAFormerHolderAfterATakeover) {
  const absl::Time t0 = sci::Minute(0);
  absl::StatusOr<Lease> a = store().AcquireLease("desk", "process-a", absl::Seconds(30), t0);
  HELPDESK_SKIP_IF_UNIMPLEMENTED(a.status());
  HELPDESK_ASSERT_OK(a.status());
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
    HELPDESK_ASSERT_OK(tx->CheckLease("desk", "process-a", a->token));
    EXPECT_EQ(tx->CheckLease("desk", "process-b", a->token).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(tx->CheckLease("desk", "process-a", a->token + 1).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(tx->CheckLease("never-taken", "process-a", 1).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(tx->CheckLease("", "process-a", 1).code(), absl::StatusCode::kInvalidArgument);
    // A refused check does not spoil the transaction.
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  // process-a pauses past its TTL; process-b takes over with a new token.
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      Lease b, store().AcquireLease("desk", "process-b", absl::Seconds(30), t0 + absl::Seconds(31)));
  ASSERT_EQ(b.holder, "process-b");
  EXPECT_GT(b.token, a->token);
  HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
  const absl::Status stale = tx->CheckLease("desk", "process-a", a->token);
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition) << stale;
  EXPECT_NE(stale.message().find("process-b"), absl::string_view::npos) << stale;
  HELPDESK_ASSERT_OK(tx->CheckLease("desk", "process-b", b.token));
  HELPDESK_ASSERT_OK(tx->Commit());
  // Released: nobody holds it, so no token passes.
  HELPDESK_ASSERT_OK(store().ReleaseLease("desk", "process-b"));
  HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx2, store().Begin(TransactionMode::kReadOnly));
  EXPECT_EQ(tx2->CheckLease("desk", "process-b", b.token).code(),
            absl::StatusCode::kFailedPrecondition);
}

// A lease cannot change hands while a read-write transaction that checked
// it is open: the new holder's AcquireLease waits for it to end.
TEST_P(StoreConformanceTest, LeaseChangeWaitsForATransactionThatCheckedIt) {
  const absl::Time t0 = sci::Minute(0);
  absl::StatusOr<Lease> a = store().AcquireLease("desk", "process-a", absl::Seconds(30), t0);
  HELPDESK_SKIP_IF_UNIMPLEMENTED(a.status());
  HELPDESK_ASSERT_OK(a.status());
  HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
  HELPDESK_ASSERT_OK(tx->CheckLease("desk", "process-a", a->token));
  std::atomic<bool> taken{false};
  absl::StatusOr<Lease> b = absl::UnknownError("not run");
  std::thread other([&] {
    b = store().AcquireLease("desk", "process-b", absl::Seconds(30), t0 + absl::Minutes(5));
    taken = true;
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(taken.load()) << "the lease changed hands under an open checked transaction";
  v1::Agent agent = sci::MakeAgent("fenced", "fenced@example.com");
  HELPDESK_ASSERT_OK(tx->InsertAgent(&agent));
  HELPDESK_ASSERT_OK(tx->Commit());
  other.join();
  HELPDESK_ASSERT_OK(b.status());
  EXPECT_EQ(b->holder, "process-b");
  EXPECT_EQ(b->token, a->token + 1);
}

TEST_P(StoreConformanceTest, ClaimTakesTheMostUrgentOldestFreeTicketAndWritesRouted) {
  std::vector<int64_t> agents = AddAgents(store(), 1);
  std::vector<v1::Ticket> tickets = {sci::MakeTicket("old normal", 1),
                                     sci::MakeTicket("new urgent", 5),
                                     sci::MakeTicket("older urgent", 2),
                                     sci::MakeTicket("solved", 0)};
  tickets[1].set_priority(v1::PRIORITY_URGENT);
  tickets[2].set_priority(v1::PRIORITY_URGENT);
  tickets[3].set_status("solved");
  HELPDESK_ASSERT_OK(InsertCommitted(tickets));
  absl::StatusOr<v1::Ticket> first = store().ClaimNextTicket(ClaimFor(agents[0], 3));
  HELPDESK_SKIP_IF_UNIMPLEMENTED(first.status());
  HELPDESK_ASSERT_OK(first.status());
  EXPECT_EQ(first->id(), tickets[2].id());
  EXPECT_EQ(first->assignee_id(), agents[0]);
  EXPECT_EQ(first->version(), 2);
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket stored, ReadTicket(tickets[2].id()));
  EXPECT_EQ(stored.assignee_id(), agents[0]);
  EXPECT_EQ(stored.version(), 2);
  EXPECT_EQ(stored.updated_at().seconds(), sci::AtMinute(100).seconds());
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                                  tx->ListTicketEvents(tickets[2].id(), 0, 0));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind(), v1::Event::ROUTED);
    EXPECT_EQ(events[0].related_agent_id(), agents[0]);
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket second,
                                store().ClaimNextTicket(ClaimFor(agents[0], 3)));
  EXPECT_EQ(second.id(), tickets[1].id());
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket third,
                                store().ClaimNextTicket(ClaimFor(agents[0], 3)));
  EXPECT_EQ(third.id(), tickets[0].id());
  // At capacity, then (with room) nothing left: the solved ticket is not
  // claimable.
  EXPECT_EQ(store().ClaimNextTicket(ClaimFor(agents[0], 3)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store().ClaimNextTicket(ClaimFor(agents[0], 4)).status().code(),
            absl::StatusCode::kNotFound);
  // Bad claims.
  EXPECT_EQ(store().ClaimNextTicket(ClaimFor(0, 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().ClaimNextTicket(ClaimFor(agents[0], 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().ClaimNextTicket(ClaimFor(agents[0] + 100, 1)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ConcurrentClaimsGiveEachTicketToOneAgentWithinCapacity) {
  constexpr int kAgents = 4, kCapacity = 6, kTickets = 20;
  std::vector<int64_t> agents = AddAgents(store(), kAgents);
  std::vector<v1::Ticket> tickets;
  for (int i = 0; i < kTickets; ++i) tickets.push_back(sci::MakeTicket("t", i));
  HELPDESK_ASSERT_OK(InsertCommitted(tickets));
  HELPDESK_SKIP_IF_UNIMPLEMENTED(
      store().ClaimNextTicket(ClaimFor(agents[0], 0)).status().code() ==
              absl::StatusCode::kUnimplemented
          ? absl::UnimplementedError("ClaimNextTicket")
          : absl::OkStatus());
  std::vector<std::vector<int64_t>> claimed(kAgents);
  std::vector<std::thread> threads;
  for (int a = 0; a < kAgents; ++a) {
    // Two threads per agent, so claims of one agent race too.
    for (int twin = 0; twin < 2; ++twin) {
      threads.emplace_back([&, a, twin] {
        std::vector<int64_t> mine;
        while (true) {
          absl::StatusOr<v1::Ticket> t = store().ClaimNextTicket(ClaimFor(agents[a], kCapacity));
          if (!t.ok()) {
            if (t.status().code() == absl::StatusCode::kUnavailable) continue;
            break;
          }
          mine.push_back(t->id());
        }
        static std::mutex mu;
        std::lock_guard<std::mutex> lock(mu);
        (void)twin;
        claimed[a].insert(claimed[a].end(), mine.begin(), mine.end());
      });
    }
  }
  for (std::thread& t : threads) t.join();
  std::map<int64_t, int> times;
  for (int a = 0; a < kAgents; ++a) {
    EXPECT_LE(static_cast<int>(claimed[a].size()), kCapacity) << "agent " << a;
    for (int64_t id : claimed[a]) ++times[id];
  }
  EXPECT_EQ(static_cast<int>(times.size()), kTickets);
  for (const auto& [id, n] : times) EXPECT_EQ(n, 1) << "ticket " << id;
  for (int a = 0; a < kAgents; ++a) {
    for (int64_t id : claimed[a]) {
      HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket t, ReadTicket(id));
      EXPECT_EQ(t.assignee_id(), agents[a]);
      EXPECT_EQ(t.version(), 2);
    }
  }
}

}  // namespace helpdesk::testing
