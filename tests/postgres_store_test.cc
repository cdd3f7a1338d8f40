// PostgresStore: the store conformance suite on a real server (a fresh schema
// per test), and the bad inputs of OpenPostgresStore and of a server that
// goes away. The server comes from $HELPDESK_TEST_POSTGRES; without it every
// test skips with the reason (and fails when $CI is set).
#include "helpdesk/storage/postgres_store.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/testing/store_conformance.h"
#include "postgres_test_support.h"

namespace helpdesk::testing {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::unique_ptr<Store>> MakePostgresStore() {
  // Without a server the test is skipped in SetUp; the memory store returned
  // then is never used.
  if (!RequireTestPostgres()) {
    if (TestPostgresUrl().empty() && std::getenv("CI") == nullptr) return NewMemoryStore();
    return absl::FailedPreconditionError("HELPDESK_TEST_POSTGRES is not set");
  }
  return OpenFreshPostgresStore();
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"postgres", MakePostgresStore}),
                         StoreFactoryName());

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RequireTestPostgres()) return;
    url_ = TestPostgresUrl();
  }
  std::string url_;
};

v1::Ticket NewTicket(absl::string_view subject) {
  v1::Ticket t;
  t.set_subject(std::string(subject));
  t.set_status("open");
  t.set_status_category(v1::STATUS_CATEGORY_OPEN);
  return t;
}

TEST_F(PostgresStoreTest, MalformedConnectionStringIsInvalidArgument) {
  EXPECT_THAT(OpenPostgresStore("host='unterminated").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("connection string")));
  EXPECT_THAT(OpenPostgresStore("nosuchkey=1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PostgresStoreTest, BadOptionsAreInvalidArgumentNamingTheField) {
  PostgresStoreOptions options;
  options.schema = "bad-name; DROP TABLE x";
  EXPECT_THAT(OpenPostgresStore("host=127.0.0.1", options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("schema")));
  options = {};
  options.max_connections = 0;
  EXPECT_THAT(OpenPostgresStore("host=127.0.0.1", options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_connections")));
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailable) {
  PostgresStoreOptions options;
  options.connect_timeout = absl::Seconds(2);
  // Port 1 on the loopback: nothing listens there.
  EXPECT_THAT(OpenPostgresStore("postgresql://helpdesk@127.0.0.1:1/helpdesk", options)
                  .status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("unreachable")));
}

TEST_F(PostgresStoreTest, UnknownDatabaseOrRoleIsInvalidArgument) {
  if (url_.empty()) return;
  // The same server, a database and a role that do not exist.
  const std::string base = url_.substr(0, url_.rfind('/'));
  EXPECT_THAT(OpenPostgresStore(absl::StrCat(base, "/no_such_database_here")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not exist")));
  std::string other_role = base;
  const size_t at = other_role.find('@');
  ASSERT_NE(at, std::string::npos);
  other_role = absl::StrCat("postgresql://no_such_role:secret-password",
                            other_role.substr(at), "/helpdesk");
  absl::Status status = OpenPostgresStore(other_role).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("secret-password")));
}

TEST_F(PostgresStoreTest, SchemaOfAnotherApplicationIsFailedPrecondition) {
  if (url_.empty()) return;
  const std::string schema = FreshSchemaName("other_app");
  ASSERT_EQ(RunOnTestServer(absl::StrCat("CREATE SCHEMA ", schema, "; CREATE TABLE ",
                                         schema, ".invoices (id int)")),
            "");
  PostgresStoreOptions options;
  options.schema = schema;
  EXPECT_THAT(OpenPostgresStore(url_, options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another application")));
  // Left as it was.
  EXPECT_EQ(RunOnTestServer(absl::StrCat("SELECT * FROM ", schema, ".invoices")), "");
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", schema, " CASCADE"));
}

TEST_F(PostgresStoreTest, NewerSchemaVersionIsFailedPreconditionNamingBoth) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("newer");
  ASSERT_OK(OpenPostgresStore(url_, options).status());
  ASSERT_EQ(RunOnTestServer(absl::StrCat("UPDATE ", options.schema,
                                         ".helpdesk_meta SET value = '99' WHERE key = "
                                         "'schema_version'")),
            "");
  EXPECT_THAT(OpenPostgresStore(url_, options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("99"),
                             HasSubstr(absl::StrCat("version ", kPostgresSchemaVersion)))));
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", options.schema, " CASCADE"));
}

TEST_F(PostgresStoreTest, MissingSchemaWithoutCreateIsFailedPrecondition) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("missing");
  options.create_if_missing = false;
  EXPECT_THAT(OpenPostgresStore(url_, options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not exist")));
}

TEST_F(PostgresStoreTest, ConcurrentOpensMigrateOnce) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("race");
  std::vector<absl::Status> results(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = OpenPostgresStore(url_, options).status(); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", options.schema, " CASCADE"));
}

TEST_F(PostgresStoreTest, VersionChecksHoldAcrossStores) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("two");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> a, OpenPostgresStore(url_, options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> b, OpenPostgresStore(url_, options));
  v1::Ticket t = NewTicket("shared");
  {
    ASSERT_OK_AND_ASSIGN(auto tx, a->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  v1::Ticket from_a = t, from_b = t;
  from_a.set_subject("a");
  from_b.set_subject("b");
  {
    ASSERT_OK_AND_ASSIGN(auto tx, a->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(tx->UpdateTicket(&from_a, 1));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, b->Begin(TransactionMode::kReadWrite));
    EXPECT_THAT(tx->UpdateTicket(&from_b, 1), StatusIs(absl::StatusCode::kAborted));
  }
  a.reset();
  b.reset();
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", options.schema, " CASCADE"));
}

// Type, channel and custom-field filters have no column: PostgresStore
// scans the rows in order a batch at a time (kPgProtoFilterBatch, 500) and
// filters the protos. Matches spread over several batches, or only past the
// first ones, come out exactly once, in order, in pages of the asked size.
TEST_F(PostgresStoreTest, ProtoFilterScansPageAcrossBatches) {
  if (url_.empty()) return;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenFreshPostgresStore());
  constexpr int kTickets = 1300;
  std::vector<int64_t> incidents, tail_tasks;
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    for (int i = 0; i < kTickets; ++i) {
      v1::Ticket t = NewTicket(absl::StrCat("t", i));
      // Every seventh an incident; three tasks only at the very end.
      t.set_type(i % 7 == 3 ? v1::TICKET_TYPE_INCIDENT
                 : i >= kTickets - 3 ? v1::TICKET_TYPE_TASK
                                     : v1::TICKET_TYPE_QUESTION);
      ASSERT_OK(tx->InsertTicket(&t));
      if (t.type() == v1::TICKET_TYPE_INCIDENT) incidents.push_back(t.id());
      if (t.type() == v1::TICKET_TYPE_TASK) tail_tasks.push_back(t.id());
    }
    ASSERT_OK(tx->Commit());
  }
  auto all_pages = [&](TicketQuery q) -> std::vector<int64_t> {
    std::vector<int64_t> ids;
    for (int pages = 0; pages < 1000; ++pages) {
      auto tx = store->Begin(TransactionMode::kReadOnly);
      EXPECT_OK(tx.status());
      if (!tx.ok()) break;
      absl::StatusOr<TicketPage> page = (*tx)->QueryTickets(q);
      EXPECT_OK(page.status());
      if (!page.ok()) break;
      EXPECT_LE(page->tickets.size(), static_cast<size_t>(q.limit));
      for (const v1::Ticket& t : page->tickets) ids.push_back(t.id());
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    return ids;
  };
  TicketQuery q;
  q.types = {v1::TICKET_TYPE_INCIDENT};
  q.limit = 37;
  EXPECT_EQ(all_pages(q), incidents);
  q.limit = 1000;
  EXPECT_EQ(all_pages(q), incidents);
  q.types = {v1::TICKET_TYPE_TASK};
  q.limit = 2;
  EXPECT_EQ(all_pages(q), tail_tasks);
  // Newest first, by the priority queue order too.
  q.sort = TicketSort::kCreatedDesc;
  EXPECT_EQ(all_pages(q), std::vector<int64_t>(tail_tasks.rbegin(), tail_tasks.rend()));
  q.sort = TicketSort::kPriorityThenOldest;
  EXPECT_EQ(all_pages(q), tail_tasks);
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  TicketQuery count;
  count.types = {v1::TICKET_TYPE_INCIDENT};
  ASSERT_OK_AND_ASSIGN(int64_t counted, tx->CountTickets(count));
  EXPECT_EQ(counted, static_cast<int64_t>(incidents.size()));
}

// A schema written by the version-2 build (tickets, events, leases; no
// views, tracking links, event times, automation state or knowledge base)
// is migrated to the current version on open: the new tables work and the
// events already stored get their time column from their protos.
TEST_F(PostgresStoreTest, VersionTwoSchemaMigratesAndFillsEventTimes) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("v2");
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  std::vector<int64_t> event_ids;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenPostgresStore(url_, options));
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = NewTicket("old");
    ASSERT_OK(tx->InsertTicket(&t));
    for (int i = 0; i < 3; ++i) {
      v1::Event e;
      e.set_ticket_id(t.id());
      *e.mutable_time() = ToTimestamp(t0 + absl::Hours(i));
      ASSERT_OK(tx->AppendEvent(&e));
      event_ids.push_back(e.id());
    }
    ASSERT_OK(tx->Commit());
  }
  // Back to what the version-2 build wrote.
  const std::string& s = options.schema;
  ASSERT_EQ(RunOnTestServer(absl::StrCat(
                "DROP TABLE ", s, ".views, ", s, ".time_entries, ", s, ".tracking_tokens, ",
                s, ".automation_state, ", s, ".kb_articles, ", s, ".kb_sessions; ",
                "ALTER TABLE ", s, ".events DROP COLUMN time_micros; UPDATE ", s,
                ".helpdesk_meta SET value = '2' WHERE key = 'schema_version'")),
            "");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenPostgresStore(url_, options));
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    // [t0 + 1h, t0 + 3h): the second and third events, by their stored times.
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> between,
                         tx->ListEventsBetween(t0 + absl::Hours(1), t0 + absl::Hours(3),
                                               0, 100));
    ASSERT_EQ(between.size(), 2u);
    EXPECT_EQ(between[0].id(), event_ids[1]);
    EXPECT_EQ(between[1].id(), event_ids[2]);
    v1::SavedView view;
    view.set_name("mine");
    EXPECT_OK(tx->InsertView(&view));
    EXPECT_OK(tx->Commit());
  }
  EXPECT_EQ(RunOnTestServer(absl::StrCat(
                "DO $$ BEGIN IF (SELECT value FROM ", s,
                ".helpdesk_meta WHERE key = 'schema_version') <> '", kPostgresSchemaVersion,
                "' THEN RAISE EXCEPTION 'schema version not updated'; END IF; END $$")),
            "");
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", s, " CASCADE"));
}

TEST_F(PostgresStoreTest, ConnectionLostMidTransactionIsUnavailableAndWritesNothing) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("lost");
  // Its own application_name, so only this test's connections are killed.
  const std::string app = options.schema;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> store,
      OpenPostgresStore(absl::StrCat(url_, "?application_name=", app), options));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = NewTicket("lost");
    ASSERT_OK(tx->InsertTicket(&t));
    // What a server restart does to this transaction's backend.
    ASSERT_EQ(RunOnTestServer(
                  absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE application_name = '", app,
                               "' AND state = 'idle in transaction'")),
              "");
    v1::Ticket u = NewTicket("after");
    EXPECT_THAT(tx->InsertTicket(&u), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  // Every pooled connection dies too (a restart): the next Begin reconnects.
  ASSERT_EQ(RunOnTestServer(absl::StrCat("SELECT pg_terminate_backend(pid) FROM "
                                         "pg_stat_activity WHERE application_name = '",
                                         app, "'")),
            "");
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(TicketQuery{}));
  EXPECT_TRUE(page.tickets.empty());
  tx.reset();
  store.reset();
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", options.schema, " CASCADE"));
}

// A new ticket is inserted without the writer lock: another process's
// creates go on while a read-write transaction holds the lock, and that
// process's next call that reads shared state waits for it (Unavailable past
// busy_timeout, the transaction failed, nothing of it committed).
TEST_F(PostgresStoreTest, CreatesDoNotWaitForTheWriterLock) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("creates");
  options.busy_timeout = absl::Milliseconds(300);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> a, OpenPostgresStore(url_, options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> b, OpenPostgresStore(url_, options));
  {
    ASSERT_OK_AND_ASSIGN(auto holder, a->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(holder->QueryTickets(TicketQuery{}).status());  // takes the lock
    v1::Ticket t = NewTicket("created beside the lock");
    t.add_tags("beside");
    {
      ASSERT_OK_AND_ASSIGN(auto tx, b->Begin(TransactionMode::kReadWrite));
      ASSERT_OK(tx->InsertTicket(&t));
      ASSERT_OK(tx->Commit());
    }
    v1::Ticket waits = NewTicket("waits");
    ASSERT_OK_AND_ASSIGN(auto tx, b->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(tx->InsertTicket(&waits));
    EXPECT_THAT(tx->GetTicket(t.id()),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("writer lock")));
    EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
    // A ticket with its id given checks that id under the lock.
    v1::Ticket given = NewTicket("given");
    given.set_id(1000);
    ASSERT_OK_AND_ASSIGN(auto tx2, b->Begin(TransactionMode::kReadWrite));
    EXPECT_THAT(tx2->InsertTicket(&given), StatusIs(absl::StatusCode::kUnavailable));
    ASSERT_OK(holder->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto tx, a->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(TicketQuery{}));
  ASSERT_EQ(page.tickets.size(), 1u);
  EXPECT_EQ(page.tickets[0].subject(), "created beside the lock");
  EXPECT_THAT(page.tickets[0].tags(), ::testing::ElementsAre("beside"));
  tx.reset();
  a.reset();
  b.reset();
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", options.schema, " CASCADE"));
}

// A claim holds its ticket's row while it waits for the writer lock; a
// writer holding the lock and waiting for that row must not deadlock with
// it: the claim gives way (rolls back and runs again), the writer's update
// commits, and the claim then takes the ticket at its new version, keeping
// the writer's change.
TEST_F(PostgresStoreTest, ClaimGivesWayToAWriterWaitingForItsTicket) {
  if (url_.empty()) return;
  PostgresStoreOptions options;
  options.schema = FreshSchemaName("claimwait");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> a, OpenPostgresStore(url_, options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> b, OpenPostgresStore(url_, options));
  v1::Ticket t = NewTicket("claim me");
  v1::Agent agent;
  agent.set_name("puller");
  {
    ASSERT_OK_AND_ASSIGN(auto tx, a->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->InsertAgent(&agent));
    ASSERT_OK(tx->Commit());
  }
  TicketClaim claim;
  claim.agent_id = agent.id();
  claim.capacity = 5;
  claim.statuses = {"open"};
  claim.now = absl::FromUnixSeconds(1767700000);
  for (int round = 0; round < 3; ++round) {
    // Unassigned again for the next round.
    if (round > 0) {
      ASSERT_OK_AND_ASSIGN(auto tx, a->Begin(TransactionMode::kReadWrite));
      ASSERT_OK_AND_ASSIGN(v1::Ticket loaded, tx->GetTicket(t.id()));
      loaded.set_assignee_id(0);
      ASSERT_OK(tx->UpdateTicket(&loaded, loaded.version()));
      ASSERT_OK(tx->Commit());
    }
    ASSERT_OK_AND_ASSIGN(auto writer, a->Begin(TransactionMode::kReadWrite));
    ASSERT_OK_AND_ASSIGN(v1::Ticket mine, writer->GetTicket(t.id()));  // the lock
    absl::StatusOr<v1::Ticket> claimed = absl::UnknownError("not run");
    std::thread puller([&] { claimed = b->ClaimNextTicket(claim); });
    absl::SleepFor(absl::Milliseconds(30 * round));  // the claim's row lock, maybe
    mine.set_subject(absl::StrCat("edited ", round));
    const absl::Time start = absl::Now();
    ASSERT_OK(writer->UpdateTicket(&mine, mine.version()));
    ASSERT_OK(writer->Commit());
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));  // never PostgreSQL's deadlock check
    puller.join();
    ASSERT_OK(claimed.status());
    EXPECT_EQ(claimed->id(), t.id());
    EXPECT_EQ(claimed->version(), mine.version() + 1);
    EXPECT_EQ(claimed->subject(), absl::StrCat("edited ", round));
    EXPECT_EQ(claimed->assignee_id(), agent.id());
  }
  a.reset();
  b.reset();
  RunOnTestServer(absl::StrCat("DROP SCHEMA ", options.schema, " CASCADE"));
}

}  // namespace
}  // namespace helpdesk::testing
