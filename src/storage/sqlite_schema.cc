#include "storage/sqlite_schema.h"

#include <optional>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/ticket.pb.h"
#include "internal/status_macros.h"
#include "storage/legacy_field_change.h"

namespace helpdesk::internal {
namespace {

// Version 1: every entity as a serialized proto plus the columns that lookups
// and queries use.
//
// Ticket queue indexes: equality on (group|assignee, status) followed by the
// work-queue order, so "the 50 oldest open tickets of group G by priority"
// is an index range read of 51 entries, no sort. The trailing `id` makes the
// order total (it is also the rowid; listing it lets row-value cursors
// `(created_us, id) > (?, ?)` use the index).
constexpr absl::string_view kSchemaVersion1 = R"sql(
CREATE TABLE tickets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  status_category INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  assignee_id INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  requester_id INTEGER NOT NULL,
  organization_id INTEGER NOT NULL,
  subject TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  merged_into INTEGER NOT NULL,
  -- sla_next_deadline in microseconds; 9223372036854775807 (INT64_MAX) when
  -- unset, so that "ORDER BY sla_deadline_us, id" puts those last.
  sla_deadline_us INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX tickets_by_group_queue
  ON tickets(group_id, status, priority DESC, created_us, id);
CREATE INDEX tickets_by_assignee_queue
  ON tickets(assignee_id, status, priority DESC, created_us, id);
CREATE INDEX tickets_by_status_queue
  ON tickets(status, priority DESC, created_us, id);
CREATE INDEX tickets_by_requester ON tickets(requester_id, created_us, id);
CREATE INDEX tickets_by_organization
  ON tickets(organization_id, created_us, id);
CREATE INDEX tickets_by_created ON tickets(created_us, id);
CREATE INDEX tickets_by_updated ON tickets(updated_us, id);
CREATE INDEX tickets_by_sla_deadline ON tickets(sla_deadline_us, id);

CREATE TABLE ticket_tags (
  ticket_id INTEGER NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (ticket_id, tag)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_by_tag ON ticket_tags(tag, ticket_id);

CREATE TABLE ticket_ccs (
  ticket_id INTEGER NOT NULL,
  contact_id INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX ticket_ccs_by_contact ON ticket_ccs(contact_id, ticket_id);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX messages_by_ticket ON messages(ticket_id, id);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX events_by_ticket ON events(ticket_id, id);

CREATE TABLE contacts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version INTEGER NOT NULL,
  organization_id INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX contacts_by_organization ON contacts(organization_id);

CREATE TABLE contact_identities (
  kind INTEGER NOT NULL,
  value TEXT NOT NULL,
  contact_id INTEGER NOT NULL,
  PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX contact_identities_by_contact
  ON contact_identities(contact_id);

CREATE TABLE organizations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  proto BLOB NOT NULL
);

CREATE TABLE agents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version INTEGER NOT NULL,
  email TEXT NOT NULL,
  proto BLOB NOT NULL
);
CREATE UNIQUE INDEX agents_by_email ON agents(email) WHERE email <> '';

CREATE TABLE groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  proto BLOB NOT NULL
);

CREATE TABLE attachments (
  sha256 TEXT PRIMARY KEY NOT NULL,
  content BLOB NOT NULL
);

CREATE TABLE idempotency (
  scope BLOB NOT NULL,
  key BLOB NOT NULL,
  value BLOB NOT NULL,
  recorded_us INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE TABLE thread_keys (
  key BLOB PRIMARY KEY,
  ticket_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  state INTEGER NOT NULL,
  next_attempt_us INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_us, id);
)sql";

// Version 2: the agents' audit log (presence and profile changes).
constexpr absl::string_view kSchemaVersion2 = R"sql(
CREATE TABLE agent_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  agent_id INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX agent_events_by_agent ON agent_events(agent_id, id);
)sql";

// Version 3: the quarantine of inbound messages the desk could not take.
constexpr absl::string_view kSchemaVersion3 = R"sql(
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  state INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX quarantine_by_state ON quarantine(state, id);
)sql";

// Version 4: the audit logs' field changes are typed (event.proto's
// FieldChange); no table changes, ConvertAuditLogs converts the stored ones.
constexpr absl::string_view kSchemaVersion4 = "";

// Version 5 (tracking links): the SHA-256 of each ticket's tracking-link
// token (never the token), keyed by the hash, at most one per ticket.
constexpr absl::string_view kSchemaVersionTracking = R"sql(
CREATE TABLE tracking_tokens (
  token_sha256 TEXT PRIMARY KEY,
  ticket_id INTEGER NOT NULL UNIQUE,
  created_us INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 6 (saved views, time tracking): saved views and time entries.
constexpr absl::string_view kSchemaVersionViews = R"sql(
CREATE TABLE views (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version INTEGER NOT NULL,
  owner_agent_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  proto BLOB NOT NULL,
  UNIQUE (owner_agent_id, name)
);
-- Time tracking (issue 16).
CREATE TABLE time_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id INTEGER NOT NULL,
  logged_us INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE INDEX time_entries_by_ticket ON time_entries(ticket_id, id);
CREATE INDEX time_entries_by_logged ON time_entries(logged_us, id);
)sql";

// Version 7 (reports): each event's time as a column, so that a report reads
// a period through an index; FillEventTimes sets it on the rows already there.
constexpr absl::string_view kSchemaVersionReports = R"sql(
ALTER TABLE events ADD COLUMN time_micros INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_by_time ON events(time_micros, id);
)sql";

// Version 8 (knowledge base): articles as protos; one kb_docs row per
// translation (its rowid is the kb_fts row) with the columns search filters
// on before ranking (language, published, visibility); kb_audience lists a
// RESTRICTED article's groups (kind 1) and organizations (kind 2); kb_fts
// holds the index form of title and body (helpdesk/kb.h: folded, stemmed per
// language) under unicode61 with diacritics removed; suggestion sessions.
// IF NOT EXISTS: a file downgraded by hand (tests drop older tables and lower
// user_version) keeps these and migrates again.
constexpr absl::string_view kSchemaVersionKb = R"sql(
CREATE TABLE IF NOT EXISTS kb_articles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version INTEGER NOT NULL,
  proto BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS kb_docs (
  id INTEGER PRIMARY KEY,
  article_id INTEGER NOT NULL,
  locale TEXT NOT NULL,
  language TEXT NOT NULL,
  published INTEGER NOT NULL,
  visibility INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kb_docs_by_article ON kb_docs(article_id, locale);
CREATE TABLE IF NOT EXISTS kb_audience (
  article_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  member_id INTEGER NOT NULL,
  PRIMARY KEY (article_id, kind, member_id)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5(
  title, body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS kb_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  proto BLOB NOT NULL
);
)sql";

// Version 9 (automation, issue 14): each ticket's next automation due time,
// indexed for Tick, and the automations' firings (a RuleFirings proto).
constexpr absl::string_view kSchemaVersionAutomation = R"sql(
CREATE TABLE IF NOT EXISTS automation_state (
  ticket_id INTEGER PRIMARY KEY,
  due_us INTEGER,
  firings BLOB NOT NULL DEFAULT x''
);
CREATE INDEX IF NOT EXISTS automation_by_due ON automation_state(due_us, ticket_id)
  WHERE due_us IS NOT NULL;
)sql";

// Version 10 (knowledge base search speed): what a search hit shows, per
// kb_docs row, so that search loads no article (store.h, KbSearchHit's
// display fields). Rows indexed before this step have none; search then
// leaves has_display unset and the Desk loads those articles as before.
constexpr absl::string_view kSchemaVersionKbDisplay = R"sql(
CREATE TABLE IF NOT EXISTS kb_doc_display (
  doc_id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  category TEXT NOT NULL,
  section TEXT NOT NULL,
  plain TEXT NOT NULL
);
)sql";

// Version 11 (knowledge base ranking speed): each kb_docs row's token count
// (title and body as kb_fts holds them), which search's ranking function
// kb_bm25 reads from the join it makes anyway instead of FTS5's per-row read
// of kb_fts_docsize (storage/sqlite_kb_rank.h). Rows indexed before this step
// have NULL and are ranked with FTS5's count, to the same value.
constexpr absl::string_view kSchemaVersionKbRank = R"sql(
ALTER TABLE kb_docs ADD COLUMN tokens INTEGER;
)sql";

// Version 12 (leases, issue 17): named leases (Store::AcquireLease) shared
// by every process on the file: holder (empty when free), expiry in micros,
// fencing token.
constexpr absl::string_view kSchemaVersionLease = R"sql(
CREATE TABLE IF NOT EXISTS leases (
  name BLOB PRIMARY KEY,
  holder BLOB NOT NULL,
  expires_us INTEGER NOT NULL,
  token INTEGER NOT NULL
);
)sql";

// Version 13 (knowledge base search in memory, issue 15): the knowledge
// base's generation, bumped by every write of its index, so that a store's
// index in memory knows when another store or process changed the file
// (storage/sqlite_kb_cache.h).
constexpr absl::string_view kSchemaVersionKbGeneration = R"sql(
CREATE TABLE IF NOT EXISTS kb_generation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT OR IGNORE INTO kb_generation (id, value) VALUES (1, 0);
)sql";

// Rewrites every event and agent event whose changes hold the text form of
// version 3 in the typed form (see storage/legacy_field_change.h), in id
// order; rows already typed, and blobs that do not parse (reads report those
// as before), are left alone.
absl::Status ConvertAuditLogs(SqliteConnection& connection);

// Sets events.time_micros from each row's proto (rows that do not parse keep
// 0: reads report them as before).
absl::Status FillEventTimes(SqliteConnection& connection);

struct Migration {
  int to_version;
  absl::string_view script;
  // Run after the script, in the same transaction; may be null.
  absl::Status (*convert)(SqliteConnection&) = nullptr;
};

// Ordered; entry i turns version i into version i + 1.
constexpr Migration kMigrations[] = {
    {1, kSchemaVersion1},
    {2, kSchemaVersion2},
    {3, kSchemaVersion3},
    {4, kSchemaVersion4, &ConvertAuditLogs},
    {5, kSchemaVersionTracking},
    {6, kSchemaVersionViews},
    {7, kSchemaVersionReports, &FillEventTimes},
    {8, kSchemaVersionKb},
    {9, kSchemaVersionAutomation},
    {10, kSchemaVersionKbDisplay},
    {11, kSchemaVersionKbRank},
    {12, kSchemaVersionLease},  // issue 17
    {13, kSchemaVersionKbGeneration},  // issue 15: search in memory
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) ==
                  static_cast<size_t>(kSqliteSchemaVersion),
              "one migration step per schema version");

absl::StatusOr<int64_t> QueryInt(SqliteConnection& connection,
                                 absl::string_view sql) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, connection.Prepare(sql));
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::InternalError(absl::StrCat("sqlite database '",
                                            connection.path(), "': \"", sql,
                                            "\" returned no row"));
  }
  return stmt.ColumnInt(0);
}

// The stored ticket `id`, for custom fields' kinds; nullopt when it is gone
// or does not parse.
absl::StatusOr<std::optional<v1::Ticket>> StoredTicket(SqliteConnection& connection,
                                                       int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            connection.Prepare("SELECT proto FROM tickets WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  v1::Ticket t;
  if (!row || !t.ParseFromString(std::string(stmt.ColumnBlob(0)))) return std::nullopt;
  return t;
}

// Converts the rows of `table` (events or agent_events), one event type `E`.
template <typename E>
absl::Status ConvertTable(SqliteConnection& connection, absl::string_view table,
                          LegacyLog log) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement update,
      connection.Prepare(absl::StrCat("UPDATE ", table, " SET proto = ? WHERE id = ?")));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement rows,
      connection.Prepare(absl::StrCat("SELECT id, proto FROM ", table, " ORDER BY id")));
  // The last ticket loaded for custom fields' kinds (events come by id,
  // mostly in runs per ticket).
  int64_t ticket_id = 0;
  std::optional<v1::Ticket> ticket;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    E e;
    if (!e.ParseFromString(std::string(rows.ColumnBlob(1)))) continue;
    bool creation;
    const v1::Ticket* kinds = nullptr;
    if constexpr (std::is_same_v<E, v1::Event>) {
      creation = e.kind() == v1::Event::TICKET_CREATED;
      // Only an event with text changes to convert needs its ticket.
      bool text = false;
      for (const v1::FieldChange& c : e.changes()) {
        text = text || !c.GetReflection()->GetUnknownFields(c).empty();
      }
      if (text && e.ticket_id() != ticket_id) {
        ticket_id = e.ticket_id();
        HELPDESK_ASSIGN_OR_RETURN(ticket, StoredTicket(connection, ticket_id));
      }
      if (e.ticket_id() == ticket_id && ticket) kinds = &*ticket;
    } else {
      creation = e.kind() == v1::AgentEvent::AGENT_CREATED;
    }
    if (!ConvertLegacyChanges(log, creation, kinds, e.mutable_changes())) continue;
    update.Reset();
    update.BindBlob(1, e.SerializeAsString());
    update.BindInt(2, rows.ColumnInt(0));
    HELPDESK_RETURN_IF_ERROR(update.Run());
  }
  return absl::OkStatus();
}

absl::Status ConvertAuditLogs(SqliteConnection& connection) {
  HELPDESK_RETURN_IF_ERROR(ConvertTable<v1::Event>(connection, "events", LegacyLog::kTicket));
  return ConvertTable<v1::AgentEvent>(connection, "agent_events", LegacyLog::kAgent);
}

absl::Status FillEventTimes(SqliteConnection& connection) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement update,
      connection.Prepare("UPDATE events SET time_micros = ? WHERE id = ?"));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement rows,
                            connection.Prepare("SELECT id, proto FROM events ORDER BY id"));
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    v1::Event e;
    if (!e.ParseFromString(std::string(rows.ColumnBlob(1)))) continue;
    update.Reset();
    update.BindInt(1, TimestampToMicros(e.time()));
    update.BindInt(2, rows.ColumnInt(0));
    HELPDESK_RETURN_IF_ERROR(update.Run());
  }
  return absl::OkStatus();
}

}  // namespace

bool IsEmpty(const SqliteFileState& state) {
  return state.application_id == 0 && state.user_version == 0 &&
         state.schema_objects == 0;
}

absl::StatusOr<SqliteFileState> ReadFileState(SqliteConnection& connection) {
  // The three reads must see one snapshot: another process may be creating
  // the schema right now. Outside a transaction, open a read-only one (a
  // deferred BEGIN writes nothing, even to a file that is not a database).
  const bool own_transaction = !connection.InTransaction();
  if (own_transaction) HELPDESK_RETURN_IF_ERROR(connection.Execute("BEGIN"));
  absl::StatusOr<SqliteFileState> state =
      [&]() -> absl::StatusOr<SqliteFileState> {
    SqliteFileState s;
    HELPDESK_ASSIGN_OR_RETURN(s.application_id,
                              QueryInt(connection, "PRAGMA application_id"));
    HELPDESK_ASSIGN_OR_RETURN(s.user_version,
                              QueryInt(connection, "PRAGMA user_version"));
    HELPDESK_ASSIGN_OR_RETURN(
        s.schema_objects,
        QueryInt(connection, "SELECT count(*) FROM sqlite_schema"));
    return s;
  }();
  if (own_transaction && connection.InTransaction()) {
    (void)connection.Execute("ROLLBACK");
  }
  return state;
}

absl::Status CheckFileIsOurs(const SqliteFileState& state,
                             absl::string_view path) {
  if (IsEmpty(state)) return absl::OkStatus();
  if (state.application_id != kSqliteApplicationId) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "'%s' is not a helpdesk database: it is a SQLite database of another "
        "application (application_id 0x%08x, %d schema objects)",
        path, static_cast<uint32_t>(state.application_id),
        state.schema_objects));
  }
  if (state.user_version > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "helpdesk database '", path, "' has schema version ",
        state.user_version, ", newer than version ", kSqliteSchemaVersion,
        " that this build of libhelpdesk supports; open it with a newer "
        "libhelpdesk"));
  }
  if (state.user_version < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("helpdesk database '", path, "' has an invalid schema "
                     "version ", state.user_version));
  }
  return absl::OkStatus();
}

absl::Status MigrateToCurrentVersion(SqliteConnection& connection) {
  while (true) {
    HELPDESK_RETURN_IF_ERROR(connection.Execute("BEGIN IMMEDIATE"));
    // True when the schema is current (nothing was written), false after one
    // committed step.
    absl::StatusOr<bool> current = [&]() -> absl::StatusOr<bool> {
      HELPDESK_ASSIGN_OR_RETURN(SqliteFileState state,
                                ReadFileState(connection));
      HELPDESK_RETURN_IF_ERROR(CheckFileIsOurs(state, connection.path()));
      if (state.user_version == kSqliteSchemaVersion) return true;
      const Migration& step = kMigrations[state.user_version];
      if (!step.script.empty()) {
        HELPDESK_RETURN_IF_ERROR(connection.ExecuteScript(step.script));
      }
      if (step.convert != nullptr) HELPDESK_RETURN_IF_ERROR(step.convert(connection));
      // Integers from this file, not values from a caller: PRAGMAs take no
      // parameters.
      HELPDESK_RETURN_IF_ERROR(connection.ExecuteScript(
          absl::StrCat("PRAGMA application_id = ", kSqliteApplicationId,
                       "; PRAGMA user_version = ", step.to_version, ";")));
      HELPDESK_RETURN_IF_ERROR(connection.Execute("COMMIT"));
      return false;
    }();
    if (!current.ok() || *current) {
      if (connection.InTransaction()) (void)connection.Execute("ROLLBACK");
      return current.status();
    }
  }
}

}  // namespace helpdesk::internal
