// SqliteStore's migration of the audit log to typed changes (schema version
// 4): a database written by the release before (tests/data/audit_v3.db, with
// every kind of field change the desk wrote as text) opens, migrates, and
// reads back the same history (tests/data/audit_v3_history.txt), now typed;
// opening again changes nothing; a version-2 file migrates all the way; the
// desk's SLA clocks read the migrated log. And the conversion's rules for
// what it cannot read (storage/legacy_field_change.h).
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/audit.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "storage/legacy_field_change.h"

namespace helpdesk {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

const std::string kData = HELPDESK_TEST_DATA_DIR;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A private copy of the fixture (opening migrates it in place).
std::string CopyOfFixture() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = absl::StrCat(::testing::TempDir(), "/audit_migration_", info->name(),
                                  "_", getpid(), ".db");
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove(absl::StrCat(path, suffix).c_str());
  }
  std::ofstream(path, std::ios::binary) << ReadFile(kData + "/audit_v3.db");
  return path;
}

// Runs SQL on the file directly; returns the first column of each row.
std::vector<std::string> RawRows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::vector<std::string> rows;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    const void* blob = sqlite3_column_blob(stmt, 0);
    rows.emplace_back(static_cast<const char*>(blob),
                      static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

// The history in the fixture's dump format (write_audit_v3_db.cc): one line
// per event, one per change, values rendered by helpdesk/audit.h.
template <typename E>
void Dump(const std::string& what, const E& e, int64_t version, const std::string& kind,
          std::ostringstream& out) {
  out << what << " " << e.id() << " " << kind << "(" << e.kind() << ") actor "
      << e.actor().kind() << ":" << e.actor().id() << " at " << e.time().seconds() << " v"
      << version << " note [" << e.note() << "]\n";
  for (const v1::FieldChange& c : e.changes()) {
    out << "  " << FieldName(c) << " [" << RenderValue(c.before()) << "] -> ["
        << RenderValue(c.after()) << "]\n";
  }
}

std::string History(Store& store) {
  std::ostringstream out;
  absl::StatusOr<std::unique_ptr<Transaction>> tx = store.Begin(TransactionMode::kReadOnly);
  EXPECT_OK(tx.status());
  for (int64_t ticket = 1; ticket <= 5; ++ticket) {
    absl::StatusOr<std::vector<v1::Event>> events = (*tx)->ListTicketEvents(ticket, 0, 0);
    EXPECT_OK(events.status());
    for (const v1::Event& e : *events) {
      Dump(absl::StrCat("ticket ", e.ticket_id(), " event"), e, e.ticket_version(),
           v1::Event::Kind_Name(e.kind()), out);
    }
  }
  for (int64_t agent = 1; agent <= 3; ++agent) {
    absl::StatusOr<std::vector<v1::AgentEvent>> events = (*tx)->ListAgentEvents(agent, 0, 0);
    EXPECT_OK(events.status());
    for (const v1::AgentEvent& e : *events) {
      Dump(absl::StrCat("agent ", e.agent_id(), " event"), e, e.agent_version(),
           v1::AgentEvent::Kind_Name(e.kind()), out);
    }
  }
  return out.str();
}

std::vector<v1::Event> TicketLog(Store& store, int64_t ticket) {
  absl::StatusOr<std::unique_ptr<Transaction>> tx = store.Begin(TransactionMode::kReadOnly);
  EXPECT_OK(tx.status());
  absl::StatusOr<std::vector<v1::Event>> events = (*tx)->ListTicketEvents(ticket, 0, 0);
  EXPECT_OK(events.status());
  return events.ok() ? *events : std::vector<v1::Event>{};
}

// The change of `field` (and custom field `name`) in `e`.
const v1::FieldChange& ChangeOf(const v1::Event& e, v1::FieldChange::Field field,
                                const std::string& name = "") {
  for (const v1::FieldChange& c : e.changes()) {
    if (c.field() == field && c.custom_field() == name) return c;
  }
  ADD_FAILURE() << "no change of " << v1::FieldChange::Field_Name(field) << " " << name;
  static const v1::FieldChange none;
  return none;
}

TEST(SqliteAuditMigrationTest, Version3FixtureMigratesAndReadsBackTheSameHistory) {
  const std::string path = CopyOfFixture();
  ASSERT_THAT(RawRows(path, "PRAGMA user_version"), ElementsAre("3"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  EXPECT_EQ(History(*store), ReadFile(kData + "/audit_v3_history.txt"));

  // The same values, now typed.
  std::vector<v1::Event> log = TicketLog(*store, 1);
  ASSERT_THAT(log, SizeIs(15));
  const v1::Event& created = log[0];
  EXPECT_FALSE(ChangeOf(created, v1::FieldChange::STATUS).has_before());
  EXPECT_EQ(ChangeOf(created, v1::FieldChange::STATUS).after().status(), "new");
  EXPECT_EQ(ChangeOf(created, v1::FieldChange::PRIORITY).after().priority(),
            v1::PRIORITY_HIGH);
  EXPECT_EQ(ChangeOf(created, v1::FieldChange::TYPE).after().type(),
            v1::TICKET_TYPE_INCIDENT);
  EXPECT_THAT(ChangeOf(created, v1::FieldChange::TAGS).after().tags().values(),
              ElementsAre("fire", "printer"));
  EXPECT_THAT(ChangeOf(created, v1::FieldChange::CC_CONTACTS).after().contact_ids().ids(),
              ElementsAre(2));
  const v1::Event& update = log[1];
  EXPECT_EQ(ChangeOf(update, v1::FieldChange::ASSIGNEE).before().agent_id(), 3);
  EXPECT_EQ(ChangeOf(update, v1::FieldChange::ASSIGNEE).after().agent_id(), 0);
  EXPECT_EQ(ChangeOf(update, v1::FieldChange::GROUP).after().group_id(), 1);
  EXPECT_THAT(ChangeOf(update, v1::FieldChange::FOLLOWERS).after().agent_ids().ids(),
              ElementsAre(1, 3));
  // Custom fields take the kind of the ticket's value; a choice holding a
  // comma survives because the ticket still holds that value.
  const v1::FieldChange& vip = ChangeOf(update, v1::FieldChange::CUSTOM_FIELD, "vip");
  EXPECT_FALSE(vip.has_before());
  EXPECT_TRUE(vip.after().custom_field().flag());
  EXPECT_EQ(ChangeOf(update, v1::FieldChange::CUSTOM_FIELD, "cost")
                .after().custom_field().decimal(), 12.5);
  EXPECT_EQ(ChangeOf(update, v1::FieldChange::CUSTOM_FIELD, "due")
                .after().custom_field().time().seconds(), 1767300000);
  EXPECT_THAT(ChangeOf(update, v1::FieldChange::CUSTOM_FIELD, "areas")
                  .after().custom_field().choices().values(),
              ElementsAre("hardware", "urgent,really"));
  // A field the ticket no longer has: its kind is unknown, the text is kept.
  const v1::FieldChange& tier =
      ChangeOf(update, v1::FieldChange::CUSTOM_FIELD, "support_tier");
  EXPECT_EQ(tier.before().legacy_text(), "2");
  EXPECT_FALSE(tier.has_after());
  EXPECT_EQ(ChangeOf(log[2], v1::FieldChange::REQUESTER).after().contact_id(), 2);
  EXPECT_EQ(ChangeOf(log[2], v1::FieldChange::ORGANIZATION).before().organization_id(), 1);
  EXPECT_THAT(ChangeOf(log[2], v1::FieldChange::TAGS).after().tags().values(), SizeIs(0));
  EXPECT_TRUE(ChangeOf(log[2], v1::FieldChange::TAGS).after().has_tags());
  const v1::FieldValue& links = ChangeOf(log[6], v1::FieldChange::LINKS).after();
  ASSERT_THAT(links.links().links(), SizeIs(2));
  EXPECT_EQ(links.links().links(1).kind(), v1::TicketLink::RELATED);
  EXPECT_EQ(links.links().links(1).ticket_id(), 3);
  EXPECT_EQ(log[7].kind(), v1::Event::ROUTED);
  EXPECT_EQ(ChangeOf(log[7], v1::FieldChange::ASSIGNEE).after().agent_id(), 1);
  std::vector<v1::Event> merged = TicketLog(*store, 3);
  EXPECT_EQ(ChangeOf(merged[4], v1::FieldChange::MERGED_INTO).after().ticket_id(), 2);
  EXPECT_EQ(ChangeOf(merged[4], v1::FieldChange::MESSAGE_COUNT).before().count(), 1);

  // Agents' changes.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx,
                       store->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AgentEvent> bo, tx->ListAgentEvents(2, 0, 0));
  ASSERT_THAT(bo, SizeIs(5));
  const v1::FieldChange* skills = nullptr;
  for (const v1::FieldChange& c : bo[1].changes()) {
    if (c.field() == v1::FieldChange::AGENT_SKILLS) skills = &c;
    EXPECT_NE(c.field(), v1::FieldChange::FIELD_UNSPECIFIED) << FieldName(c);
  }
  ASSERT_NE(skills, nullptr);
  ASSERT_THAT(skills->after().skills().skills(), SizeIs(2));
  EXPECT_EQ(skills->after().skills().skills(1).name(), "french");
  EXPECT_EQ(skills->after().skills().skills(1).level(), 7);
  EXPECT_EQ(bo[1].changes(2).after().role(), v1::Agent::LIGHT_AGENT);
  EXPECT_EQ(bo[4].changes(0).after().presence(), v1::PRESENCE_OFFLINE);
  ASSERT_THAT(bo[0].changes(), SizeIs(7));
  EXPECT_FALSE(bo[0].changes(0).has_before());
  tx.reset();
  store.reset();
  EXPECT_THAT(RawRows(path, "PRAGMA user_version"),
              ElementsAre(absl::StrCat(kSqliteSchemaVersion)));
}

TEST(SqliteAuditMigrationTest, EveryStoredChangeIsTypedUnlessKeptAsLegacyText) {
  const std::string path = CopyOfFixture();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  int typed = 0, legacy = 0;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx,
                       store->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> all, tx->ListEventsSince(0, 1000));
  ASSERT_THAT(all, SizeIs(43));
  for (const v1::Event& e : all) {
    for (const v1::FieldChange& c : e.changes()) {
      EXPECT_NE(c.field(), v1::FieldChange::FIELD_UNSPECIFIED);
      EXPECT_TRUE(c.GetReflection()->GetUnknownFields(c).empty());
      for (const v1::FieldValue* v : {&c.before(), &c.after()}) {
        if (v->has_legacy_text()) {
          ++legacy;
        } else if (v->value_case() != v1::FieldValue::VALUE_NOT_SET) {
          ++typed;
        }
      }
    }
  }
  EXPECT_EQ(legacy, 1);  // the removed custom field's old value
  EXPECT_GT(typed, 60);
}

TEST(SqliteAuditMigrationTest, OpeningTheMigratedFileAgainChangesNothing) {
  const std::string path = CopyOfFixture();
  { ASSERT_OK(OpenSqliteStore(path).status()); }
  const std::vector<std::string> events = RawRows(path, "SELECT proto FROM events ORDER BY id");
  const std::vector<std::string> agent_events =
      RawRows(path, "SELECT proto FROM agent_events ORDER BY id");
  ASSERT_THAT(events, SizeIs(43));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  EXPECT_EQ(History(*store), ReadFile(kData + "/audit_v3_history.txt"));
  store.reset();
  EXPECT_EQ(RawRows(path, "SELECT proto FROM events ORDER BY id"), events);
  EXPECT_EQ(RawRows(path, "SELECT proto FROM agent_events ORDER BY id"), agent_events);
}

TEST(SqliteAuditMigrationTest, Version2FileMigratesAllTheWay) {
  // The fixture as the release before the quarantine left it.
  const std::string path = CopyOfFixture();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE quarantine; PRAGMA user_version = 2;", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  EXPECT_EQ(History(*store), ReadFile(kData + "/audit_v3_history.txt"));
  store.reset();
  EXPECT_THAT(RawRows(path, "PRAGMA user_version"),
              ElementsAre(absl::StrCat(kSqliteSchemaVersion)));
  EXPECT_THAT(RawRows(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'quarantine'"),
              SizeIs(1));
}

// The SLA clocks of a migrated ticket come from its typed log: ticket 1 was
// paused while pending and solved at the end.
TEST(SqliteAuditMigrationTest, SlaClocksReadTheMigratedLog) {
  const std::string path = CopyOfFixture();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  ASSERT_OK_AND_ASSIGN(SlaEngine sla, SlaEngine::FromText(R"pb(
    policies {
      name: "standard"
      targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 3600 } warn_before { seconds: 600 } }
      targets { metric: SLA_METRIC_FULL_RESOLUTION target { seconds: 86400 } }
      pause_statuses: [ "pending", "on_hold" ]
    }
  )pb", Workflow::Default()));
  ManualClock clock(absl::FromUnixSeconds(1767370620));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk,
                       Desk::Open({.store = store.get(), .clock = &clock, .sla = sla}));
  ASSERT_OK_AND_ASSIGN(SlaStatus status, desk->sla().Status(SystemActor(), 1));
  EXPECT_EQ(status.policy, "standard");
  bool resolution = false;
  for (const SlaMetricStatus& m : status.metrics) {
    if (m.metric != v1::SLA_METRIC_FULL_RESOLUTION) continue;
    resolution = true;
    EXPECT_EQ(m.state, SlaState::kBreached);
  }
  EXPECT_TRUE(resolution);
  // New changes are written typed next to the migrated ones.
  ASSERT_OK(desk->tickets().Update(SystemActor(), 2, {.priority = v1::PRIORITY_LOW}).status());
  std::vector<v1::Event> log = TicketLog(*store, 2);
  EXPECT_EQ(ChangeOf(log.back(), v1::FieldChange::PRIORITY).before().priority(),
            v1::PRIORITY_NORMAL);
}

// --- The conversion's rules ----------------------------------------------------

using internal::LegacyLog;
using internal::TypedChangeFromText;

TEST(LegacyFieldChangeTest, ValuesThatDoNotParseAreKeptAsLegacyText) {
  v1::FieldChange c =
      TypedChangeFromText(LegacyLog::kTicket, false, nullptr, "priority", "normal", "mega");
  EXPECT_EQ(c.field(), v1::FieldChange::PRIORITY);
  EXPECT_EQ(c.before().priority(), v1::PRIORITY_NORMAL);
  EXPECT_EQ(c.after().legacy_text(), "mega");
  // Parses, but would render differently ("007" is 7): kept as written.
  c = TypedChangeFromText(LegacyLog::kTicket, false, nullptr, "assignee_id", "007", "x");
  EXPECT_EQ(c.before().legacy_text(), "007");
  EXPECT_EQ(c.after().legacy_text(), "x");
  c = TypedChangeFromText(LegacyLog::kTicket, false, nullptr, "links", "", "sibling:4");
  EXPECT_TRUE(c.before().has_links());
  EXPECT_EQ(c.after().legacy_text(), "sibling:4");
}

TEST(LegacyFieldChangeTest, UnknownNamesAndTheOtherLogsFieldsAreKeptByName) {
  v1::FieldChange c =
      TypedChangeFromText(LegacyLog::kTicket, false, nullptr, "mood", "", "happy");
  EXPECT_EQ(c.field(), v1::FieldChange::FIELD_UNSPECIFIED);
  EXPECT_EQ(FieldName(c), "mood");
  EXPECT_FALSE(c.has_before());
  EXPECT_EQ(c.after().legacy_text(), "happy");
  // "presence" is an agent field; in a ticket's log it is just a name.
  c = TypedChangeFromText(LegacyLog::kTicket, false, nullptr, "presence", "away", "online");
  EXPECT_EQ(c.field(), v1::FieldChange::FIELD_UNSPECIFIED);
  EXPECT_EQ(RenderValue(c.before()), "away");
  c = TypedChangeFromText(LegacyLog::kAgent, false, nullptr, "presence", "away", "online");
  EXPECT_EQ(c.field(), v1::FieldChange::AGENT_PRESENCE);
  EXPECT_EQ(c.after().presence(), v1::PRESENCE_ONLINE);
  // Custom fields are ticket fields only.
  c = TypedChangeFromText(LegacyLog::kAgent, false, nullptr, "custom_fields.x", "", "1");
  EXPECT_EQ(c.field(), v1::FieldChange::FIELD_UNSPECIFIED);
}

TEST(LegacyFieldChangeTest, EmptyTextIsNoValueInACreationAndForCustomFieldsOnly) {
  v1::FieldChange c =
      TypedChangeFromText(LegacyLog::kTicket, true, nullptr, "tags", "", "a,b");
  EXPECT_FALSE(c.has_before());
  EXPECT_THAT(c.after().tags().values(), ElementsAre("a", "b"));
  c = TypedChangeFromText(LegacyLog::kTicket, false, nullptr, "tags", "a", "");
  EXPECT_TRUE(c.after().has_tags());
  EXPECT_THAT(c.after().tags().values(), SizeIs(0));
  v1::Ticket t;
  (*t.mutable_custom_fields())["n"].set_integer(5);
  c = TypedChangeFromText(LegacyLog::kTicket, false, &t, "custom_fields.n", "", "12");
  EXPECT_EQ(c.custom_field(), "n");
  EXPECT_FALSE(c.has_before());
  EXPECT_EQ(c.after().custom_field().integer(), 12);
  c = TypedChangeFromText(LegacyLog::kTicket, false, &t, "custom_fields.n", "12", "");
  EXPECT_FALSE(c.has_after());
  // A text that is no integer, for an integer field: kept as written.
  c = TypedChangeFromText(LegacyLog::kTicket, false, &t, "custom_fields.n", "", "twelve");
  EXPECT_EQ(c.after().legacy_text(), "twelve");
}

}  // namespace
}  // namespace helpdesk
