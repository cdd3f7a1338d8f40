// SqliteStore: ticket query plans, agreement with the memory store on ticket
// queries, SLA deadlines, and the connection's statement cache.
#include "helpdesk/storage/sqlite_store.h"

#include "sqlite_store_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// --- Queries -----------------------------------------------------------------

// The plan SQLite picks for `query` on the store's schema at `path`.
std::vector<std::string> PlanOf(const std::string& path,
                                const TicketQuery& query) {
  absl::StatusOr<internal::TicketSql> sql = internal::BuildTicketQuerySql(query);
  EXPECT_OK(sql.status());
  if (!sql.ok()) return {};
  RawDb raw(path);
  sqlite3_stmt* stmt = nullptr;
  std::string explain = "EXPLAIN QUERY PLAN " + sql->sql;
  EXPECT_EQ(sqlite3_prepare_v2(raw.get(), explain.c_str(), -1, &stmt, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(raw.get());
  for (size_t i = 0; i < sql->params.size(); ++i) {
    const internal::SqlParam& p = sql->params[i];
    if (p.kind == internal::SqlParam::Kind::kInt) {
      sqlite3_bind_int64(stmt, static_cast<int>(i) + 1, p.int_value);
    } else {
      sqlite3_bind_text(stmt, static_cast<int>(i) + 1, p.bytes.data(),
                        static_cast<int>(p.bytes.size()), SQLITE_TRANSIENT);
    }
  }
  std::vector<std::string> plan;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan.push_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)));
  }
  sqlite3_finalize(stmt);
  return plan;
}

TEST(SqliteStoreTest, WorkQueueQueryOfAGroupUsesItsIndexWithoutSorting) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    for (int i = 0; i < 200; ++i) {
      v1::Ticket t = MakeTicket("t", i % 3 ? "open" : "new",
                                static_cast<v1::Priority>(i % 5), i % 7, i);
      ASSERT_OK(tx->InsertTicket(&t));
    }
    ASSERT_OK(tx->Commit());
  }
  TicketQuery query;
  query.statuses = {"open"};
  query.group_id = 3;
  query.sort = TicketSort::kPriorityThenOldest;
  query.limit = 50;
  std::vector<std::string> plan = PlanOf(path, query);
  std::string text = absl::StrJoin(plan, "\n");
  EXPECT_THAT(text, HasSubstr("USING INDEX tickets_by_group_queue"));
  EXPECT_THAT(text, Not(HasSubstr("SCAN tickets")));
  EXPECT_THAT(text, Not(HasSubstr("TEMP B-TREE")));

  // A later page is two index ranges merged in order: a seek, not a scan
  // from the start of the group's queue.
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  query.limit = 5;
  ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(query));
  ASSERT_FALSE(page.next_cursor.empty());
  query.cursor = page.next_cursor;
  text = absl::StrJoin(PlanOf(path, query), "\n");
  EXPECT_THAT(text, HasSubstr("MERGE (UNION ALL)"));
  EXPECT_THAT(text, HasSubstr("tickets_by_group_queue (group_id=? AND "
                              "status=? AND priority=?"));
  EXPECT_THAT(text, HasSubstr("tickets_by_group_queue (group_id=? AND "
                              "status=? AND priority<?)"));
  EXPECT_THAT(text, Not(HasSubstr("SCAN tickets")));
  EXPECT_THAT(text, Not(HasSubstr("TEMP B-TREE")));

  // And the same queue for one agent.
  TicketQuery mine;
  mine.statuses = {"open"};
  mine.assignee_id = 4;
  mine.sort = TicketSort::kPriorityThenOldest;
  text = absl::StrJoin(PlanOf(path, mine), "\n");
  EXPECT_THAT(text, HasSubstr("USING INDEX tickets_by_assignee_queue"));
  EXPECT_THAT(text, Not(HasSubstr("TEMP B-TREE")));
}

TEST(SqliteStoreTest, SubjectContainsFoldsAsciiOnlyAndHasNoWildcards) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  for (const char* subject :
       {"VPN is down", "100% broken", "a_b", "axb", "\xC3\x89" "clair",
        "\xC3\xA9" "clair", "plain"}) {
    v1::Ticket t = MakeTicket(subject, "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
  }
  auto subjects = [&](absl::string_view needle) {
    TicketQuery query;
    query.subject_contains = std::string(needle);
    query.sort = TicketSort::kIdAsc;
    std::vector<std::string> out;
    absl::StatusOr<TicketPage> page = tx->QueryTickets(query);
    EXPECT_OK(page.status());
    if (page.ok()) {
      for (const v1::Ticket& t : page->tickets) out.push_back(t.subject());
    }
    return out;
  };
  EXPECT_THAT(subjects("vpn"), ElementsAre("VPN is down"));
  EXPECT_THAT(subjects("%"), ElementsAre("100% broken"));
  EXPECT_THAT(subjects("_"), ElementsAre("a_b"));
  EXPECT_THAT(subjects("\xC3\x89"), ElementsAre("\xC3\x89" "clair"));
  EXPECT_THAT(subjects("\xC3\xA9" "CLAIR"), ElementsAre("\xC3\xA9" "clair"));
}

// The same random tickets in a MemoryStore and a SqliteStore; random queries
// paged through both must return the same tickets, pages and cursors.
TEST(SqliteStoreTest, QueriesAgreeWithTheMemoryStore) {
  std::unique_ptr<Store> memory = NewMemoryStore();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> sqlite, Open(TempPath("db")));
  std::mt19937 rng(20240601);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::vector<std::string> statuses = {"new", "open", "pending",
                                             "solved"};
  const std::vector<std::string> tags = {"billing", "vpn", "urgent"};
  const std::vector<std::string> subjects = {
      "VPN down", "vpn slow", "Billing 100%", "a_b c", "Café", "CAFÉ", "x"};
  {
    ASSERT_OK_AND_ASSIGN(auto m, memory->Begin(TransactionMode::kReadWrite));
    ASSERT_OK_AND_ASSIGN(auto s, sqlite->Begin(TransactionMode::kReadWrite));
    for (int i = 0; i < 400; ++i) {
      v1::Ticket t;
      t.set_subject(subjects[pick(subjects.size())]);
      t.set_status(statuses[pick(statuses.size())]);
      t.set_status_category(static_cast<v1::StatusCategory>(1 + pick(6)));
      t.set_priority(static_cast<v1::Priority>(pick(5)));
      t.set_assignee_id(pick(4));
      t.set_group_id(pick(4));
      t.set_requester_id(1 + pick(5));
      t.set_organization_id(pick(3));
      for (const std::string& tag : tags) {
        if (pick(3) == 0) t.add_tags(tag);
      }
      if (pick(4) == 0) t.add_cc_contact_ids(1 + pick(5));
      if (pick(10) == 0) t.set_merged_into(1 + pick(i + 1));
      // Few distinct times, so ties on the time are broken by id.
      *t.mutable_created_at() = MicrosToTimestamp(1'000'000 * pick(40));
      *t.mutable_updated_at() = MicrosToTimestamp(1'000'000 * pick(40) + 1);
      if (pick(3) == 0) {
        *t.mutable_sla_next_deadline() = MicrosToTimestamp(1'000'000 * pick(40));
      }
      v1::Ticket copy = t;
      ASSERT_OK(m->InsertTicket(&t));
      ASSERT_OK(s->InsertTicket(&copy));
      ASSERT_EQ(t.id(), copy.id());
      if (pick(5) == 0) {
        std::optional<absl::Time> deadline;
        if (pick(3) != 0) deadline = absl::FromUnixMicros(1'000'000 * pick(40));
        ASSERT_OK(m->SetTicketSlaDeadline(t.id(), deadline));
        ASSERT_OK(s->SetTicketSlaDeadline(t.id(), deadline));
      }
    }
    ASSERT_OK(m->Commit());
    ASSERT_OK(s->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto m, memory->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(auto s, sqlite->Begin(TransactionMode::kReadOnly));
  for (int round = 0; round < 300; ++round) {
    TicketQuery q;
    if (pick(3) == 0) {
      q.statuses.push_back(statuses[pick(statuses.size())]);
      if (pick(2) == 0) q.statuses.push_back(statuses[pick(statuses.size())]);
    }
    if (pick(4) == 0) {
      q.status_categories.push_back(
          static_cast<v1::StatusCategory>(1 + pick(6)));
    }
    if (pick(4) == 0) q.assignee_id = pick(4);
    if (pick(4) == 0) q.group_id = pick(4);
    if (pick(5) == 0) q.requester_id = 1 + pick(5);
    if (pick(5) == 0) q.organization_id = pick(3);
    if (pick(4) == 0) q.tags.push_back(tags[pick(tags.size())]);
    if (pick(8) == 0) q.tags.push_back(tags[pick(tags.size())]);
    if (pick(5) == 0) {
      const char* needles[] = {"vpn", "%", "_", "é", "É", "café", "B"};
      q.subject_contains = needles[pick(7)];
    }
    if (pick(4) == 0) {
      // Bounds that fall between microseconds.
      q.created.from = absl::FromUnixMicros(1'000'000 * pick(40)) +
                       absl::Nanoseconds(pick(2) * 500);
      if (pick(2) == 0) {
        q.created.to = q.created.from + absl::Seconds(pick(20)) +
                       absl::Nanoseconds(pick(2) * 300);
      }
    }
    if (pick(6) == 0) q.updated.to = absl::FromUnixMicros(1'000'000 * pick(40) + 1);
    if (pick(5) == 0) {
      TimeRange range;
      if (pick(2) == 0) range.from = absl::FromUnixMicros(1'000'000 * pick(40));
      if (pick(2) == 0) range.to = absl::FromUnixMicros(1'000'000 * pick(40));
      q.sla_deadline = range;
    }
    q.include_merged = pick(3) == 0;
    if (pick(4) == 0) {
      TicketVisibility v;
      if (pick(2) == 0) v.contact_id = 1 + pick(5);
      if (pick(2) == 0) v.group_ids = {pick(4), pick(4)};
      if (pick(3) == 0) v.assignee_id = pick(4);
      q.visible_to = v;
    }
    q.sort = static_cast<TicketSort>(
        pick(static_cast<int>(TicketSort::kSlaDeadlineAsc) + 1));
    q.limit = 1 + pick(40);
    int pages = 0;
    while (true) {
      absl::StatusOr<TicketPage> want = m->QueryTickets(q);
      absl::StatusOr<TicketPage> got = s->QueryTickets(q);
      ASSERT_OK(want.status());
      ASSERT_OK(got.status());
      std::vector<int64_t> want_ids, got_ids;
      for (const v1::Ticket& t : want->tickets) want_ids.push_back(t.id());
      for (const v1::Ticket& t : got->tickets) got_ids.push_back(t.id());
      ASSERT_EQ(got_ids, want_ids) << "round " << round << " page " << pages;
      ASSERT_EQ(got->next_cursor, want->next_cursor) << "round " << round;
      if (want->next_cursor.empty()) break;
      q.cursor = want->next_cursor;
      ++pages;
    }
  }
}

TEST(SqliteStoreTest, SlaDeadlineIsSetWithoutANewVersionAndQueried) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    for (int i = 0; i < 3; ++i) {
      v1::Ticket t = MakeTicket("t", "open", v1::PRIORITY_LOW, 0, i);
      ASSERT_OK(tx->InsertTicket(&t));
    }
    ASSERT_OK(tx->SetTicketSlaDeadline(2, absl::FromUnixSeconds(100)));
    ASSERT_OK(tx->SetTicketSlaDeadline(3, absl::FromUnixSeconds(50)));
    EXPECT_THAT(tx->SetTicketSlaDeadline(9, absl::FromUnixSeconds(1)),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("9")));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, tx->GetTicket(2));
    EXPECT_EQ(t.version(), 1);
    EXPECT_EQ(FromTimestamp(t.sla_next_deadline()), absl::FromUnixSeconds(100));
    TicketQuery query;
    query.sort = TicketSort::kSlaDeadlineAsc;
    ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(query));
    std::vector<int64_t> ids;
    for (const v1::Ticket& p : page.tickets) ids.push_back(p.id());
    EXPECT_THAT(ids, ElementsAre(3, 2, 1));  // no deadline last
    query.sla_deadline = TimeRange{.to = absl::FromUnixSeconds(100)};
    ASSERT_OK_AND_ASSIGN(page, tx->QueryTickets(query));
    ASSERT_EQ(page.tickets.size(), 1u);
    EXPECT_EQ(page.tickets[0].id(), 3);
    EXPECT_THAT(tx->SetTicketSlaDeadline(2, std::nullopt),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  ASSERT_OK(tx->SetTicketSlaDeadline(2, std::nullopt));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, tx->GetTicket(2));
  EXPECT_FALSE(t.has_sla_next_deadline());
  EXPECT_EQ(t.version(), 1);
  // "What breaches before T, soonest first" is a range of its index.
  TicketQuery next;
  next.sort = TicketSort::kSlaDeadlineAsc;
  next.sla_deadline = TimeRange{.to = absl::FromUnixSeconds(1000)};
  std::string plan = absl::StrJoin(PlanOf(path, next), "\n");
  EXPECT_THAT(plan, HasSubstr("USING INDEX tickets_by_sla_deadline"));
  EXPECT_THAT(plan, Not(HasSubstr("TEMP B-TREE")));
  next.statuses = {"open", "pending"};
  plan = absl::StrJoin(PlanOf(path, next), "\n");
  EXPECT_THAT(plan, Not(HasSubstr("SCAN tickets")));
}

TEST(SqliteStoreTest, QueryWithForeignCursorIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  TicketQuery query;
  query.cursor = "c1.0.5' OR 1=1 --.0.0";
  EXPECT_THAT(tx->QueryTickets(query),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor")));
  query.cursor.clear();
  query.limit = 0;
  EXPECT_THAT(tx->QueryTickets(query),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
}

// --- The statement cache ---------------------------------------------------------

TEST(SqliteConnectionTest, SameSqlTwiceAtOnceGetsTwoStatements) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<internal::SqliteConnection> connection,
      internal::SqliteConnection::Open(
          ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 100));
  ASSERT_OK(connection->ExecuteScript(
      "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);"));
  constexpr absl::string_view kSql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  ASSERT_OK_AND_ASSIGN(internal::SqliteStatement outer,
                       connection->Prepare(kSql));
  outer.BindInt(1, 1);
  ASSERT_OK_AND_ASSIGN(bool row, outer.Step());
  ASSERT_TRUE(row);
  {
    ASSERT_OK_AND_ASSIGN(internal::SqliteStatement inner,
                         connection->Prepare(kSql));
    EXPECT_NE(inner.get(), outer.get());
    inner.BindInt(1, 2);
    ASSERT_OK_AND_ASSIGN(bool inner_row, inner.Step());
    ASSERT_TRUE(inner_row);
    EXPECT_EQ(inner.ColumnInt(0), 2);
  }
  EXPECT_EQ(outer.ColumnInt(0), 1);
  ASSERT_OK_AND_ASSIGN(row, outer.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(outer.ColumnInt(0), 2);
  sqlite3_stmt* cached = outer.get();
  { internal::SqliteStatement done = std::move(outer); }
  // Released back to the cache: the same statement is handed out again.
  ASSERT_OK_AND_ASSIGN(internal::SqliteStatement again,
                       connection->Prepare(kSql));
  EXPECT_EQ(again.get(), cached);
}

TEST(SqliteConnectionTest, ErrorsMapToStatusCodesAndNameThePath) {
  EXPECT_THAT(internal::SqliteError(SQLITE_BUSY, nullptr, "/x.db", "begin"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/x.db")));
  EXPECT_THAT(internal::SqliteError(SQLITE_LOCKED, nullptr, "/x.db", "begin"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(internal::SqliteError(SQLITE_CORRUPT, nullptr, "/x.db", "read"),
              StatusIs(absl::StatusCode::kDataLoss));
  // A failed read/write/fsync is a store failure to retry, not a broken
  // invariant (as Internal, Desk::Ingest quarantined the message it hit).
  EXPECT_THAT(internal::SqliteError(SQLITE_IOERR_READ, nullptr, "/x.db", "r"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(internal::SqliteError(SQLITE_FULL, nullptr, "/x.db", "w"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("database or disk is full")));
  absl::Status constraint = internal::SqliteError(
      SQLITE_CONSTRAINT_UNIQUE, nullptr, "/x.db", "insert");
  EXPECT_THAT(constraint, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(internal::SqliteCodeOf(constraint), SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_EQ(internal::SqliteCodeOf(absl::InternalError("x")), SQLITE_OK);
}

}  // namespace
}  // namespace helpdesk
