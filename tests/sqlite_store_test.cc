// SQLite-specific behaviour of SqliteStore: files, schema versions, refusal
// of foreign or damaged files, WAL, locking between threads and processes,
// query plans, and agreement with the memory store on ticket queries. The
// generic Store contract is covered by the conformance suite.
#include "helpdesk/storage/sqlite_store.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_schema.h"
#include "storage/sqlite_ticket_query.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::string_view kSha =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

// A path in a fresh temporary directory, unique to the test and process.
std::string TempPath(absl::string_view name) {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path =
      absl::StrCat(::testing::TempDir(), "/sqlite_store_test_", info->name(),
                   "_", getpid(), "_", name);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove(absl::StrCat(path, suffix).c_str());
  }
  return path;
}

bool FileExists(const std::string& path) {
  return std::ifstream(path).good();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A raw connection for setting up and inspecting files behind the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK) << path;
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error),
              SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  // Every row of a query, columns joined with '|'.
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> cols;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        cols.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      rows.push_back(absl::StrJoin(cols, "|"));
    }
    sqlite3_finalize(stmt);
    return rows;
  }
  std::string One(const std::string& sql) {
    std::vector<std::string> rows = Rows(sql);
    return rows.empty() ? "" : rows[0];
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

v1::Ticket MakeTicket(absl::string_view subject, absl::string_view status,
                      v1::Priority priority, int64_t group, int64_t created_us) {
  v1::Ticket t;
  t.set_subject(std::string(subject));
  t.set_status(std::string(status));
  t.set_status_category(status == "open" ? v1::STATUS_CATEGORY_OPEN
                                         : v1::STATUS_CATEGORY_NEW);
  t.set_priority(priority);
  t.set_group_id(group);
  t.set_requester_id(1);
  *t.mutable_created_at() = MicrosToTimestamp(created_us);
  *t.mutable_updated_at() = MicrosToTimestamp(created_us);
  return t;
}

absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path) {
  return OpenSqliteStore(path);
}

// --- Files and schema --------------------------------------------------------

TEST(SqliteStoreTest, NameIsHelpdeskSqlite) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  EXPECT_EQ(store->Name(), "helpdesk.sqlite");
}

TEST(SqliteStoreTest, ReopenPersistsEverything) {
  const std::string path = TempPath("db");
  v1::Ticket ticket = MakeTicket("Printer on fire", "open",
                                 v1::PRIORITY_URGENT, 3, 1'000'000);
  ticket.add_tags("hardware");
  ticket.add_cc_contact_ids(7);
  v1::Message message;
  v1::Event event;
  v1::Contact contact;
  v1::Organization organization;
  v1::Agent agent;
  v1::Group group;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(tx->InsertTicket(&ticket));
    message.set_ticket_id(ticket.id());
    message.set_body_text("It is still burning.");
    ASSERT_OK(tx->InsertMessage(&message));
    event.set_ticket_id(ticket.id());
    event.set_kind(v1::Event::TICKET_CREATED);
    ASSERT_OK(tx->AppendEvent(&event));
    organization.set_name("Acme");
    ASSERT_OK(tx->InsertOrganization(&organization));
    contact.set_name("Ana");
    contact.set_organization_id(organization.id());
    auto* identity = contact.add_identities();
    identity->set_kind(v1::ContactIdentity::EMAIL);
    identity->set_value("ana@example.com");
    ASSERT_OK(tx->InsertContact(&contact));
    group.set_name("Support");
    ASSERT_OK(tx->InsertGroup(&group));
    agent.set_name("Bo");
    agent.set_email("bo@example.com");
    agent.add_group_ids(group.id());
    ASSERT_OK(tx->InsertAgent(&agent));
    ASSERT_OK(tx->PutAttachmentContent(kSha, "test"));
    ASSERT_OK(tx->PutIdempotencyRecord("email", "<m1@x>", "ticket 1",
                                       absl::FromUnixSeconds(5)));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(v1::Ticket got_ticket, tx->GetTicket(ticket.id()));
  EXPECT_EQ(got_ticket.DebugString(), ticket.DebugString());
  ASSERT_OK_AND_ASSIGN(v1::Message got_message, tx->GetMessage(message.id()));
  EXPECT_EQ(got_message.DebugString(), message.DebugString());
  ASSERT_OK_AND_ASSIGN(auto events, tx->ListTicketEvents(ticket.id(), 0, 0));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].DebugString(), event.DebugString());
  ASSERT_OK_AND_ASSIGN(v1::Contact got_contact,
                       tx->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                                 "ana@example.com"));
  EXPECT_EQ(got_contact.DebugString(), contact.DebugString());
  ASSERT_OK_AND_ASSIGN(v1::Organization got_org,
                       tx->GetOrganization(organization.id()));
  EXPECT_EQ(got_org.DebugString(), organization.DebugString());
  ASSERT_OK_AND_ASSIGN(auto agents, tx->ListAgents());
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0].DebugString(), agent.DebugString());
  ASSERT_OK_AND_ASSIGN(auto groups, tx->ListGroups());
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].DebugString(), group.DebugString());
  EXPECT_THAT(tx->GetAttachmentContent(kSha),
              ::testing::Eq(absl::StatusOr<std::string>("test")));
  EXPECT_THAT(tx->GetIdempotencyRecord("email", "<m1@x>"),
              ::testing::Eq(absl::StatusOr<std::string>("ticket 1")));
  TicketQuery query;
  query.tags = {"hardware"};
  query.visible_to = TicketVisibility{.contact_id = 7};
  ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(query));
  ASSERT_EQ(page.tickets.size(), 1u);
  EXPECT_EQ(page.tickets[0].id(), ticket.id());
}

TEST(SqliteStoreTest, FreshDatabaseHasCurrentSchemaVersionAndApplicationId) {
  const std::string path = TempPath("db");
  { ASSERT_OK(Open(path).status()); }
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
  EXPECT_EQ(raw.One("PRAGMA application_id"),
            absl::StrCat(internal::kSqliteApplicationId));
}

TEST(SqliteStoreTest, WalModeIsOn) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA journal_mode"), "wal");
}

TEST(SqliteStoreTest, ReopeningDoesNotMigrateAgain) {
  const std::string path = TempPath("db");
  { ASSERT_OK(Open(path).status()); }
  { ASSERT_OK(Open(path).status()); }
  RawDb raw(path);
  EXPECT_EQ(raw.One("SELECT count(*) FROM sqlite_schema WHERE name = 'tickets'"),
            "1");
}

TEST(SqliteStoreTest, VersionZeroHelpdeskFileIsMigratedForward) {
  // A file that a crash left after stamping it ours but before any step.
  const std::string path = TempPath("db");
  {
    RawDb raw(path);
    raw.Exec(absl::StrCat("PRAGMA application_id = ",
                          internal::kSqliteApplicationId));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  v1::Ticket t = MakeTicket("x", "open", v1::PRIORITY_LOW, 0, 1);
  EXPECT_OK(tx->InsertTicket(&t));
  EXPECT_OK(tx->Commit());
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
}

// Writes a file with one ticket, turns it back into an older schema with
// `downgrade` (dropping what the newer versions added), opens it again (which
// migrates it) and returns the store and the ticket's id.
// What schema versions 5 and later added (tracking links, saved views and
// time entries, the events' time column, the knowledge base, automation
// state), dropped so that a test can make a file of version 4 or older.
constexpr absl::string_view kDropAfterVersion4 =
    "DROP INDEX events_by_time; ALTER TABLE events DROP COLUMN time_micros; "
    "DROP TABLE tracking_tokens; DROP TABLE views; DROP TABLE time_entries; "
    "DROP TABLE kb_fts; DROP TABLE kb_docs; DROP TABLE kb_audience; "
    "DROP TABLE kb_articles; DROP TABLE kb_sessions; DROP TABLE automation_state; ";

void OpenDowngradedFile(const std::string& path, absl::string_view downgrade,
                        std::unique_ptr<Store>* store, int64_t* ticket_id) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> fresh, Open(path));
    ASSERT_OK_AND_ASSIGN(auto tx, fresh->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("kept", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
    *ticket_id = t.id();
    ASSERT_OK(tx->Commit());
  }
  RawDb(path).Exec(std::string(downgrade));
  ASSERT_OK_AND_ASSIGN(*store, Open(path));
}

TEST(SqliteStoreTest, VersionOneFileIsMigratedToVersionTwoKeepingItsData) {
  // A version-1 file: the schema before the agents' audit log.
  const std::string path = TempPath("db");
  std::unique_ptr<Store> store;
  int64_t ticket_id = 0;
  ASSERT_NO_FATAL_FAILURE(OpenDowngradedFile(
      path,
      absl::StrCat(kDropAfterVersion4,
                   "DROP TABLE quarantine; DROP TABLE agent_events; PRAGMA user_version = 1;"),
      &store, &ticket_id));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  EXPECT_OK(tx->GetTicket(ticket_id).status());
  v1::AgentEvent e;
  e.set_agent_id(3);
  e.set_kind(v1::AgentEvent::PRESENCE_CHANGED);
  ASSERT_OK(tx->AppendAgentEvent(&e));
  ASSERT_OK(tx->Commit());
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
  EXPECT_EQ(raw.One("SELECT count(*) FROM agent_events WHERE agent_id = 3"), "1");
}

// A file written by a build with schema version 2 (before the quarantine) is
// migrated forward on open and keeps what it held.
TEST(SqliteStoreTest, MigratesVersion4FileGivingEventsTheirTimes) {
  // A version-4 file: events without the time column reports read by.
  const std::string path = TempPath("v4.db");
  const absl::Time at = absl::FromUnixSeconds(1767225600);
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> fresh, Open(path));
    ASSERT_OK_AND_ASSIGN(auto tx, fresh->Begin(TransactionMode::kReadWrite));
    v1::Event e;
    e.set_ticket_id(1);
    e.set_kind(v1::Event::TICKET_CREATED);
    *e.mutable_time() = ToTimestamp(at);
    ASSERT_OK(tx->AppendEvent(&e));
    ASSERT_OK(tx->Commit());
  }
  RawDb(path).Exec(
      absl::StrCat(kDropAfterVersion4, "PRAGMA user_version = 4;"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> in,
                       tx->ListEventsBetween(at, at + absl::Seconds(1), 0, 10));
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].kind(), v1::Event::TICKET_CREATED);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> before,
                       tx->ListEventsBetween(at - absl::Hours(1), at, 0, 10));
  EXPECT_TRUE(before.empty());
  tx.reset();
  store.reset();
  EXPECT_EQ(RawDb(path).One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
}

TEST(SqliteStoreTest, MigratesVersion2FileToTheQuarantineSchema) {
  const std::string path = TempPath("v2.db");
  std::unique_ptr<Store> store;
  int64_t ticket_id = 0;
  ASSERT_NO_FATAL_FAILURE(OpenDowngradedFile(
      path, absl::StrCat(kDropAfterVersion4, "DROP TABLE quarantine; PRAGMA user_version = 2;"),
      &store, &ticket_id));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  EXPECT_OK(tx->GetTicket(ticket_id).status());
  v1::QuarantineEntry q;
  q.set_state(v1::QuarantineEntry::HELD);
  q.set_reason("subject is over the limit");
  ASSERT_OK(tx->InsertQuarantine(&q));
  ASSERT_OK(tx->Commit());
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
  EXPECT_EQ(raw.One("SELECT count(*) FROM quarantine"), "1");
}

// A file of schema version 4 (before tracking links) gets the tracking-token
// table on open and keeps what it held.
TEST(SqliteStoreTest, MigratesVersion4FileToTheTrackingLinkSchema) {
  const std::string path = TempPath("v4.db");
  std::unique_ptr<Store> store;
  int64_t ticket_id = 0;
  ASSERT_NO_FATAL_FAILURE(OpenDowngradedFile(
      path, absl::StrCat(kDropAfterVersion4, "PRAGMA user_version = 4;"), &store, &ticket_id));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  EXPECT_OK(tx->GetTicket(ticket_id).status());
  ASSERT_OK(tx->PutTrackingToken(ticket_id, std::string(64, 'e'), absl::UnixEpoch()));
  ASSERT_OK(tx->Commit());
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
  EXPECT_EQ(raw.One("SELECT count(*) FROM tracking_tokens"), "1");
}

TEST(SqliteStoreTest, NotADatabaseFileIsInvalidArgumentAndUnchanged) {
  const std::string path = TempPath("notes.txt");
  const std::string bytes =
      "Dear diary, today I passed a text file to a help desk.\n" +
      std::string(5000, 'x');
  WriteFile(path, bytes);
  EXPECT_THAT(Open(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr(path),
                                         HasSubstr("not a SQLite database"))));
  EXPECT_EQ(ReadFile(path), bytes);
  EXPECT_FALSE(FileExists(path + "-wal"));
}

TEST(SqliteStoreTest, ShortNonDatabaseFileIsInvalidArgumentAndUnchanged) {
  const std::string path = TempPath("short");
  WriteFile(path, "hello");
  EXPECT_THAT(Open(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path)));
  EXPECT_EQ(ReadFile(path), "hello");
}

TEST(SqliteStoreTest, OtherApplicationsDatabaseIsFailedPreconditionAndUnchanged) {
  const std::string path = TempPath("other.db");
  {
    RawDb raw(path);
    raw.Exec("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)");
    raw.Exec("INSERT INTO recipes (name) VALUES ('bread')");
  }
  const std::string before = ReadFile(path);
  EXPECT_THAT(Open(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path),
                             HasSubstr("is not a helpdesk database"))));
  EXPECT_EQ(ReadFile(path), before);
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA journal_mode"), "delete");
}

TEST(SqliteStoreTest, OtherApplicationsWalDatabaseIsRefusedAndUnchanged) {
  const std::string path = TempPath("other.db");
  {
    RawDb raw(path);
    raw.Exec("PRAGMA journal_mode = WAL");
    raw.Exec("PRAGMA application_id = 1234");
    raw.Exec("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)");
  }
  const std::string before = ReadFile(path);
  EXPECT_THAT(Open(path), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("is not a helpdesk database")));
  EXPECT_EQ(ReadFile(path), before);
}

TEST(SqliteStoreTest, NewerSchemaIsFailedPreconditionNamingBothVersions) {
  const std::string path = TempPath("db");
  { ASSERT_OK(Open(path).status()); }
  {
    RawDb raw(path);
    raw.Exec("PRAGMA user_version = 99");
  }
  const std::string before = ReadFile(path);
  EXPECT_THAT(
      Open(path),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(path), HasSubstr("schema version 99"),
                     HasSubstr(absl::StrCat("version ", kSqliteSchemaVersion)))));
  EXPECT_EQ(ReadFile(path), before);
}

TEST(SqliteStoreTest, MissingFileWithoutCreateIsNotFound) {
  const std::string path = TempPath("missing.db");
  SqliteStoreOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(OpenSqliteStore(path, options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
  EXPECT_FALSE(FileExists(path));
}

// Regression: `helpdesk list --db EMPTYFILE` turned any empty file into a
// helpdesk database; only creating (init) may.
TEST(SqliteStoreTest, EmptyFileWithoutCreateIsRefusedAndLeftEmpty) {
  const std::string path = TempPath("empty.db");
  WriteFile(path, "");
  SqliteStoreOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(OpenSqliteStore(path, options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path),
                             HasSubstr("not a helpdesk database"),
                             HasSubstr("helpdesk init"))));
  EXPECT_TRUE(FileExists(path));
  EXPECT_EQ(std::filesystem::file_size(path), 0u);
  EXPECT_FALSE(FileExists(path + "-wal"));
}

TEST(SqliteStoreTest, EmptySqliteDatabaseWithoutCreateIsRefusedUnchanged) {
  const std::string path = TempPath("empty.db");
  { RawDb raw(path); raw.Exec("PRAGMA user_version = 0; VACUUM"); }
  const std::string before = ReadFile(path);
  SqliteStoreOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(OpenSqliteStore(path, options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a helpdesk database")));
  EXPECT_EQ(ReadFile(path), before);
}

TEST(SqliteStoreTest, EmptyFileWithCreateBecomesADatabase) {
  const std::string path = TempPath("empty.db");
  WriteFile(path, "");
  { ASSERT_OK(OpenSqliteStore(path).status()); }
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
  SqliteStoreOptions options;
  options.create_if_missing = false;
  EXPECT_OK(OpenSqliteStore(path, options).status());
}

TEST(SqliteStoreTest, ExistingFileWithoutCreateOpens) {
  const std::string path = TempPath("db");
  { ASSERT_OK(Open(path).status()); }
  SqliteStoreOptions options;
  options.create_if_missing = false;
  EXPECT_OK(OpenSqliteStore(path, options).status());
}

TEST(SqliteStoreTest, BadSynchronousOptionIsInvalidArgument) {
  const std::string path = TempPath("db");
  SqliteStoreOptions options;
  options.synchronous = "OFF";
  EXPECT_THAT(OpenSqliteStore(path, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("synchronous"), HasSubstr("'OFF'"))));
  EXPECT_FALSE(FileExists(path));
  options.synchronous = "FULL";
  EXPECT_OK(OpenSqliteStore(path, options).status());
}

TEST(SqliteStoreTest, WalAutocheckpointOutOfRangeIsInvalidArgument) {
  const std::string path = TempPath("db");
  SqliteStoreOptions options;
  for (int pages : {0, -5, 1000001}) {
    options.wal_autocheckpoint_pages = pages;
    EXPECT_THAT(OpenSqliteStore(path, options),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("wal_autocheckpoint_pages"),
                               HasSubstr(absl::StrCat(pages)))));
  }
  EXPECT_FALSE(FileExists(path));
  options.wal_autocheckpoint_pages = 1;
  EXPECT_OK(OpenSqliteStore(path, options).status());
}

TEST(SqliteStoreTest, NegativeBusyTimeoutIsInvalidArgument) {
  SqliteStoreOptions options;
  options.busy_timeout = absl::Seconds(-1);
  EXPECT_THAT(OpenSqliteStore(":memory:", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("busy_timeout")));
}

TEST(SqliteStoreTest, EmptyPathAndDirectoryAreInvalidArgument) {
  EXPECT_THAT(OpenSqliteStore(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenSqliteStore(::testing::TempDir()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("directory")));
}

TEST(SqliteStoreTest, FileNameStartingWithFileColonIsAFileNotAUri) {
  const std::string dir = TempPath("dir");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(std::filesystem::create_directory(dir));
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir(dir.c_str()), 0);
  absl::Status status = Open("file:helpdesk.db?mode=memory").status();
  bool exists = FileExists("file:helpdesk.db?mode=memory");
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_OK(status);
  EXPECT_TRUE(exists);
}

// Damage to the schema (page 1) is found by Open.
TEST(SqliteStoreTest, CorruptSchemaPageIsDataLossOnOpen) {
  const std::string path = TempPath("db");
  { ASSERT_OK(Open(path).status()); }
  std::string bytes = ReadFile(path);
  ASSERT_GE(bytes.size(), 4096u);
  for (size_t i = 100; i < 4096; ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  WriteFile(path, bytes);
  EXPECT_THAT(Open(path), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
}

// Damage to a table is found by the first call that reads it.
TEST(SqliteStoreTest, CorruptTablePageIsDataLossOnRead) {
  const std::string path = TempPath("db");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    for (int i = 0; i < 500; ++i) {
      v1::Ticket t = MakeTicket(std::string(200, 'a' + i % 26), "open",
                                v1::PRIORITY_NORMAL, 1, i);
      ASSERT_OK(tx->InsertTicket(&t));
    }
    ASSERT_OK(tx->Commit());
  }
  int64_t root = 0;
  {
    RawDb raw(path);
    root = std::stoll(
        raw.One("SELECT rootpage FROM sqlite_schema WHERE name = 'tickets'"));
  }
  ASSERT_GT(root, 1);
  std::string bytes = ReadFile(path);
  const size_t page = 4096;
  ASSERT_GE(bytes.size(), root * page);
  for (size_t i = (root - 1) * page; i < root * page; ++i) {
    bytes[i] = static_cast<char>(0xA5 ^ i);
  }
  WriteFile(path, bytes);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  EXPECT_THAT(tx->GetTicket(250),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
  TicketQuery query;
  query.sort = TicketSort::kIdAsc;
  EXPECT_THAT(tx->QueryTickets(query), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SqliteStoreTest, UnparsableStoredProtoIsDataLossNamingTableAndId) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("x", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  {
    RawDb raw(path);
    raw.Exec("UPDATE tickets SET proto = x'ffffffff' WHERE id = 1");
  }
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  EXPECT_THAT(tx->GetTicket(1),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("tickets row 1"), HasSubstr(path))));
}

// --- Transactions and locking ------------------------------------------------

TEST(SqliteStoreTest, SecondWriterFromAnotherThreadWaitsThenSucceeds) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto first, store->Begin(TransactionMode::kReadWrite));
  v1::Ticket a = MakeTicket("first", "open", v1::PRIORITY_LOW, 0, 1);
  ASSERT_OK(first->InsertTicket(&a));

  std::atomic<bool> second_began{false};
  absl::Status second_status;
  int64_t second_id = 0;
  std::thread other([&] {
    absl::StatusOr<std::unique_ptr<Transaction>> second =
        store->Begin(TransactionMode::kReadWrite);
    second_began = true;
    if (!second.ok()) {
      second_status = second.status();
      return;
    }
    v1::Ticket b = MakeTicket("second", "open", v1::PRIORITY_LOW, 0, 2);
    second_status = (*second)->InsertTicket(&b);
    second_id = b.id();
    if (second_status.ok()) second_status = (*second)->Commit();
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(second_began);  // waiting for the first
  ASSERT_OK(first->Commit());
  other.join();
  EXPECT_OK(second_status);
  EXPECT_EQ(second_id, a.id() + 1);
}

TEST(SqliteStoreTest, WriterOfThisStoreBusyBeyondTimeoutIsUnavailable) {
  SqliteStoreOptions options;
  options.busy_timeout = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(TempPath("db"), options));
  ASSERT_OK_AND_ASSIGN(auto first, store->Begin(TransactionMode::kReadWrite));
  absl::StatusOr<std::unique_ptr<Transaction>> second;
  std::thread other([&] { second = store->Begin(TransactionMode::kReadWrite); });
  other.join();
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("busy_timeout")));
}

TEST(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersCommits) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> one, Open(path));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> two, Open(path));
  v1::Ticket t = MakeTicket("shared", "open", v1::PRIORITY_LOW, 0, 1);
  {
    ASSERT_OK_AND_ASSIGN(auto tx, one->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, two->Begin(TransactionMode::kReadWrite));
    ASSERT_OK_AND_ASSIGN(v1::Ticket got, tx->GetTicket(t.id()));
    EXPECT_EQ(got.subject(), "shared");
    got.set_subject("changed by two");
    ASSERT_OK(tx->UpdateTicket(&got, 1));
    v1::Ticket u = MakeTicket("second", "open", v1::PRIORITY_LOW, 0, 2);
    ASSERT_OK(tx->InsertTicket(&u));
    EXPECT_EQ(u.id(), t.id() + 1);
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto tx, one->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(v1::Ticket got, tx->GetTicket(t.id()));
  EXPECT_EQ(got.subject(), "changed by two");
  EXPECT_EQ(got.version(), 2);
  // A stale write from the first store is refused, naming both versions.
  ASSERT_OK_AND_ASSIGN(auto w, one->Begin(TransactionMode::kReadWrite));
  EXPECT_THAT(w->UpdateTicket(&t, 1),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("ticket 1: expected version 1, stored "
                                 "version 2")));
}

TEST(SqliteStoreTest, OtherProcessHoldingTheLockBeyondTimeoutIsUnavailable) {
  const std::string path = TempPath("db");
  SqliteStoreOptions options;
  options.busy_timeout = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(path, options));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("before", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  RawDb other(path);
  sqlite3_busy_timeout(other.get(), 1);
  other.Exec("BEGIN EXCLUSIVE");
  absl::Time start = absl::Now();
  EXPECT_THAT(store->Begin(TransactionMode::kReadWrite),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(path)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // Readers are not blocked by a writer under WAL.
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
    EXPECT_OK(tx->GetTicket(1).status());
  }
  other.Exec("COMMIT");
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  EXPECT_OK(tx->Commit());
}

TEST(SqliteStoreTest, ReadOnlyTransactionSeesTheDatabaseAsOfBegin) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto reader, store->Begin(TransactionMode::kReadOnly));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("later", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  EXPECT_THAT(reader->GetTicket(1), StatusIs(absl::StatusCode::kNotFound));
  v1::Ticket t = MakeTicket("nope", "open", v1::PRIORITY_LOW, 0, 1);
  EXPECT_THAT(reader->InsertTicket(&t),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(reader->Commit());
  ASSERT_OK_AND_ASSIGN(auto fresh, store->Begin(TransactionMode::kReadOnly));
  EXPECT_OK(fresh->GetTicket(1).status());
}

TEST(SqliteStoreTest, CallsAfterCommitAreFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  ASSERT_OK(tx->Commit());
  EXPECT_THAT(tx->GetTicket(1), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The writer was released by Commit, not by destruction.
  ASSERT_OK_AND_ASSIGN(auto next, store->Begin(TransactionMode::kReadWrite));
  EXPECT_OK(next->Commit());
}

TEST(SqliteStoreTest, DestroyingUncommittedTransactionRollsBack) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(TempPath("db")));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("gone", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  EXPECT_THAT(tx->GetTicket(1), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SqliteStoreTest, FailedCallChangesNothingAndTransactionGoesOn) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  v1::Contact ana;
  auto* e1 = ana.add_identities();
  e1->set_kind(v1::ContactIdentity::EMAIL);
  e1->set_value("ana@example.com");
  ASSERT_OK(tx->InsertContact(&ana));
  v1::Contact bo;
  auto* e2 = bo.add_identities();
  e2->set_kind(v1::ContactIdentity::EMAIL);
  e2->set_value("bo@example.com");
  *bo.add_identities() = *e1;  // taken by ana
  EXPECT_THAT(tx->InsertContact(&bo),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("'ana@example.com'"),
                             HasSubstr(absl::StrCat("contact ", ana.id())))));
  EXPECT_EQ(bo.id(), 0);
  // bo's first identity was rolled back with the rest of the call.
  EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                        "bo@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Contact cy;
  ASSERT_OK(tx->InsertContact(&cy));
  EXPECT_EQ(cy.id(), ana.id() + 1);
  EXPECT_OK(tx->Commit());
}

TEST(SqliteStoreTest, TicketIdsAreAboveEveryIdGiven) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  v1::Ticket given = MakeTicket("given", "open", v1::PRIORITY_LOW, 0, 1);
  given.set_id(100);
  ASSERT_OK(tx->InsertTicket(&given));
  v1::Ticket low = MakeTicket("low", "open", v1::PRIORITY_LOW, 0, 1);
  low.set_id(7);
  ASSERT_OK(tx->InsertTicket(&low));
  v1::Ticket next = MakeTicket("next", "open", v1::PRIORITY_LOW, 0, 1);
  ASSERT_OK(tx->InsertTicket(&next));
  EXPECT_EQ(next.id(), 101);
  v1::Ticket dup = MakeTicket("dup", "open", v1::PRIORITY_LOW, 0, 1);
  dup.set_id(7);
  EXPECT_THAT(tx->InsertTicket(&dup),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("7")));
}

TEST(SqliteStoreTest, TwoStoresCreatingOneFileAtOnceBothSucceed) {
  const std::string path = TempPath("db");
  absl::Status a, b;
  std::thread t1([&] { a = OpenSqliteStore(path).status(); });
  std::thread t2([&] { b = OpenSqliteStore(path).status(); });
  t1.join();
  t2.join();
  EXPECT_OK(a);
  EXPECT_OK(b);
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
}

// Regression: PRAGMA journal_mode=WAL does not call the busy handler, so a
// store that switched the new file while another was still creating it failed
// with "database is locked" (Unavailable) instead of waiting.
TEST(SqliteStoreTest, EightStoresCreatingOneFileAtOnceAllSucceed) {
  constexpr int kStores = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string path = TempPath(absl::StrCat("db", round));
    std::vector<absl::Status> results(kStores);
    absl::Notification start;
    std::vector<std::thread> threads;
    for (int i = 0; i < kStores; ++i) {
      threads.emplace_back([&, i] {
        start.WaitForNotification();
        absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
        results[i] = store.status();
        if (!store.ok()) return;
        absl::StatusOr<std::unique_ptr<Transaction>> tx =
            (*store)->Begin(TransactionMode::kReadWrite);
        results[i] = tx.status();
        if (!tx.ok()) return;
        v1::Ticket t = MakeTicket("t", "open", v1::PRIORITY_LOW, 0, i);
        results[i] = (*tx)->InsertTicket(&t);
        if (results[i].ok()) results[i] = (*tx)->Commit();
      });
    }
    start.Notify();
    for (std::thread& t : threads) t.join();
    for (int i = 0; i < kStores; ++i) {
      EXPECT_OK(results[i]) << "store " << i << " of round " << round;
    }
    RawDb raw(path);
    EXPECT_EQ(raw.One("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.One("SELECT count(*) FROM tickets"), absl::StrCat(kStores));
  }
}

// The same across processes (what two `helpdesk init` at once do): forked
// children wait on a pipe, so that they open the new file together, and
// report their status through a file each.
TEST(SqliteStoreTest, EightProcessesCreatingOneFileAtOnceAllSucceed) {
  constexpr int kProcesses = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string path = TempPath(absl::StrCat("db", round));
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        char byte;
        (void)!read(gate[0], &byte, 1);  // EOF when the parent closes it
        absl::Status status = OpenSqliteStore(path).status();
        if (status.ok()) {
          absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
          status = store.status();
        }
        WriteFile(absl::StrCat(path, ".child", i), status.ToString());
        _exit(status.ok() ? 0 : 1);
      }
      children.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);  // starts the children
    for (int i = 0; i < kProcesses; ++i) {
      int wstatus = 0;
      ASSERT_EQ(waitpid(children[i], &wstatus, 0), children[i]);
      const std::string report = absl::StrCat(path, ".child", i);
      EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
          << "process " << i << " of round " << round << ": "
          << ReadFile(report);
      std::remove(report.c_str());
    }
    RawDb raw(path);
    EXPECT_EQ(raw.One("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.One("PRAGMA user_version"),
              absl::StrCat(kSqliteSchemaVersion));
  }
}

// --- Durable commits ---------------------------------------------------------

// While alive, the default SQLite VFS: the previous default with a count of
// the syncs of WAL files, to see which commits are flushed to the device.
// Files opened through it must be closed before it is destroyed.
class WalSyncCountingVfs {
 public:
  WalSyncCountingVfs() : base_(sqlite3_vfs_find(nullptr)) {
    vfs_ = *base_;
    vfs_.zName = "helpdesk_test_wal_sync_counting";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + base_->szOsFile;
    vfs_.pAppData = this;
    vfs_.xOpen = &Open;
    EXPECT_EQ(sqlite3_vfs_register(&vfs_, /*makeDflt=*/1), SQLITE_OK);
  }
  ~WalSyncCountingVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(base_, /*makeDflt=*/1);
  }
  int wal_syncs() const { return wal_syncs_.load(); }

 private:
  sqlite3_vfs* base_;
  sqlite3_vfs vfs_;
  std::atomic<int> wal_syncs_{0};

  // Our file, followed in memory by the base VFS's file.
  struct File {
    sqlite3_file file;
    sqlite3_file* real;
    WalSyncCountingVfs* owner;
    bool wal;
  };
  static sqlite3_file* Real(sqlite3_file* f) {
    return reinterpret_cast<File*>(f)->real;
  }
  // Defined after the class: kMethods' initializer is not a complete-class
  // context, so it cannot reach wal_syncs_ through an owner (clang refuses).
  static void CountSync(File* f);

  static int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file,
                  int flags, int* out_flags) {
    auto* self = static_cast<WalSyncCountingVfs*>(vfs->pAppData);
    File* f = reinterpret_cast<File*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->owner = self;
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    f->real->pMethods = nullptr;
    int rc = self->base_->xOpen(self->base_, name, f->real, flags, out_flags);
    file->pMethods = f->real->pMethods == nullptr ? nullptr : &kMethods;
    return rc;
  }

  static constexpr sqlite3_io_methods kMethods = {
      3,
      [](sqlite3_file* f) {
        int rc = Real(f)->pMethods->xClose(Real(f));
        f->pMethods = nullptr;
        return rc;
      },
      [](sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
        return Real(f)->pMethods->xRead(Real(f), buf, n, off);
      },
      [](sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
        return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
      },
      [](sqlite3_file* f, sqlite3_int64 size) {
        return Real(f)->pMethods->xTruncate(Real(f), size);
      },
      [](sqlite3_file* f, int flags) {
        CountSync(reinterpret_cast<File*>(f));
        return Real(f)->pMethods->xSync(Real(f), flags);
      },
      [](sqlite3_file* f, sqlite3_int64* size) {
        return Real(f)->pMethods->xFileSize(Real(f), size);
      },
      [](sqlite3_file* f, int lock) {
        return Real(f)->pMethods->xLock(Real(f), lock);
      },
      [](sqlite3_file* f, int lock) {
        return Real(f)->pMethods->xUnlock(Real(f), lock);
      },
      [](sqlite3_file* f, int* out) {
        return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
      },
      [](sqlite3_file* f, int op, void* arg) {
        return Real(f)->pMethods->xFileControl(Real(f), op, arg);
      },
      [](sqlite3_file* f) {
        return Real(f)->pMethods->xSectorSize(Real(f));
      },
      [](sqlite3_file* f) {
        return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
      },
      [](sqlite3_file* f, int page, int size, int extend, void volatile** p) {
        return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, p);
      },
      [](sqlite3_file* f, int offset, int n, int flags) {
        return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
      },
      [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); },
      [](sqlite3_file* f, int delete_flag) {
        return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
      },
      [](sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
        return Real(f)->pMethods->xFetch(Real(f), off, n, p);
      },
      [](sqlite3_file* f, sqlite3_int64 off, void* p) {
        return Real(f)->pMethods->xUnfetch(Real(f), off, p);
      },
  };

};

void WalSyncCountingVfs::CountSync(File* f) {
  if (f->wal) ++f->owner->wal_syncs_;
}

// How many times committing one ticket in a transaction begun with `options`
// synced the WAL.
int WalSyncsOfOneCommit(Store& store, const WalSyncCountingVfs& vfs,
                        const TransactionOptions& options) {
  const int before = vfs.wal_syncs();
  absl::StatusOr<std::unique_ptr<Transaction>> tx = store.Begin(options);
  EXPECT_OK(tx.status());
  if (!tx.ok()) return -1;
  v1::Ticket t = MakeTicket("t", "open", v1::PRIORITY_LOW, 0, 1);
  EXPECT_OK((*tx)->InsertTicket(&t));
  EXPECT_OK((*tx)->Commit());
  return vfs.wal_syncs() - before;
}

// A durable transaction must flush the WAL at its commit (synchronous=FULL),
// and the next ordinary one must be back to the configured NORMAL, which
// does not: the setting is restored, not left raised or lowered.
TEST(SqliteStoreTest, DurableCommitSyncsTheWalAndTheNextOrdinaryOneDoesNot) {
  WalSyncCountingVfs vfs;
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  const TransactionOptions ordinary{.mode = TransactionMode::kReadWrite};
  const TransactionOptions durable{.mode = TransactionMode::kReadWrite,
                                   .durable = true};
  WalSyncsOfOneCommit(*store, vfs, ordinary);  // the WAL exists from here on
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  {
    // A durable transaction that rolls back leaves the next one ordinary.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, store->Begin(durable));
  }
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  store.reset();
}

TEST(SqliteStoreTest, WithSynchronousFullEveryCommitSyncsTheWal) {
  WalSyncCountingVfs vfs;
  const std::string path = TempPath("db");
  SqliteStoreOptions options;
  options.synchronous = "FULL";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(path, options));
  const TransactionOptions ordinary{.mode = TransactionMode::kReadWrite};
  const TransactionOptions durable{.mode = TransactionMode::kReadWrite,
                                   .durable = true};
  WalSyncsOfOneCommit(*store, vfs, ordinary);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, ordinary), 1);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, ordinary), 1);
  store.reset();
}

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
