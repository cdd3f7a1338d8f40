// SQLite-specific behaviour of SqliteStore: files, schema versions and
// migrations, refusal of foreign or damaged files. Locking and durable
// commits are in sqlite_store_locking_test.cc; query plans, agreement with
// the memory store and the statement cache in sqlite_store_query_test.cc.
// The generic Store contract is covered by the conformance suite.
#include "helpdesk/storage/sqlite_store.h"

#include "sqlite_store_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

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

// The writes serialize the caller's proto in place, its id cleared while
// they do (not on a copy): what the caller holds afterwards is what it gave
// plus the assigned id, and what is read back is the same.
TEST(SqliteStoreTest, InsertsLeaveTheCallersProtoAsGivenBesideItsId) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  v1::Ticket ticket = MakeTicket("Printer on fire", "open", v1::PRIORITY_URGENT, 3, 1'000'000);
  ticket.add_tags("hardware");
  v1::Ticket ticket_given = ticket;
  ASSERT_OK(tx->InsertTicket(&ticket));
  ticket_given.set_id(ticket.id());
  ticket_given.set_version(1);
  EXPECT_EQ(ticket.DebugString(), ticket_given.DebugString());
  ASSERT_OK_AND_ASSIGN(v1::Ticket got_ticket, tx->GetTicket(ticket.id()));
  EXPECT_EQ(got_ticket.DebugString(), ticket_given.DebugString());

  v1::Event event;
  event.set_ticket_id(ticket.id());
  event.set_kind(v1::Event::FIELDS_CHANGED);
  event.set_note("moved");
  event.set_rule("route");
  *event.mutable_time() = ToTimestamp(absl::FromUnixSeconds(7));
  v1::FieldChange* change = event.add_changes();
  change->set_field(v1::FieldChange::STATUS);
  change->mutable_before()->set_status("new");
  change->mutable_after()->set_status("open");
  v1::Event event_given = event;
  ASSERT_OK(tx->AppendEvent(&event));
  EXPECT_GT(event.id(), 0);
  event_given.set_id(event.id());
  EXPECT_EQ(event.DebugString(), event_given.DebugString());
  ASSERT_OK_AND_ASSIGN(auto events, tx->ListTicketEvents(ticket.id(), 0, 0));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].DebugString(), event_given.DebugString());

  v1::OutboxEntry entry;
  entry.set_state(v1::OutboxEntry::PENDING);
  *entry.mutable_next_attempt_at() = ToTimestamp(absl::FromUnixSeconds(9));
  entry.mutable_message()->set_ticket_id(ticket.id());
  entry.mutable_message()->set_body_text("We got your message.");
  v1::OutboxEntry entry_given = entry;
  ASSERT_OK(tx->InsertOutbox(&entry));
  EXPECT_GT(entry.id(), 0);
  entry_given.set_id(entry.id());
  EXPECT_EQ(entry.DebugString(), entry_given.DebugString());
  ASSERT_OK_AND_ASSIGN(v1::OutboxEntry got_entry, tx->GetOutbox(entry.id()));
  EXPECT_EQ(got_entry.DebugString(), entry_given.DebugString());

  v1::Contact contact;
  contact.set_name("Ana");
  v1::ContactIdentity* identity = contact.add_identities();
  identity->set_kind(v1::ContactIdentity::EMAIL);
  identity->set_value("ana@example.com");
  v1::Contact contact_given = contact;
  ASSERT_OK(tx->InsertContact(&contact));
  contact_given.set_id(contact.id());
  contact_given.set_version(1);
  EXPECT_EQ(contact.DebugString(), contact_given.DebugString());
  contact.set_name("Ana B.");
  contact_given.set_name("Ana B.");
  ASSERT_OK(tx->UpdateContact(&contact, 1));
  contact_given.set_version(2);
  EXPECT_EQ(contact.DebugString(), contact_given.DebugString());
  ASSERT_OK_AND_ASSIGN(v1::Contact got_contact, tx->GetContact(contact.id()));
  EXPECT_EQ(got_contact.DebugString(), contact_given.DebugString());

  // A refused insert leaves the proto as given, id and all.
  v1::Event bad = event_given;
  bad.set_id(42);
  bad.set_ticket_id(0);
  const std::string bad_given = bad.DebugString();
  EXPECT_THAT(tx->AppendEvent(&bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(bad.DebugString(), bad_given);
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

}  // namespace
}  // namespace helpdesk
