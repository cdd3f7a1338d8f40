#include "storage/postgres_schema.h"

#include <climits>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/storage/postgres_store.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/v1/event.pb.h"
#include "internal/status_macros.h"

namespace helpdesk::internal {
namespace {

constexpr absl::string_view kApplication = "libhelpdesk";

// Version 1: every entity as a serialized proto (bytea) plus the columns that
// lookups and queries use, as in SqliteStore's schema. Text columns are bytea:
// stored bytes are compared exactly, whatever the database's encoding and
// collation. The queue indexes put equality columns first and the work-queue
// order after, so a queue page is an index range read.
constexpr absl::string_view kSchemaVersion1 = R"sql(
CREATE TABLE helpdesk_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);
CREATE SEQUENCE tickets_id_seq;
CREATE TABLE tickets (
  id bigint PRIMARY KEY,
  version bigint NOT NULL,
  status bytea NOT NULL,
  status_category bigint NOT NULL,
  priority bigint NOT NULL,
  assignee_id bigint NOT NULL,
  group_id bigint NOT NULL,
  requester_id bigint NOT NULL,
  organization_id bigint NOT NULL,
  -- the subject with ASCII letters lower-cased (subject_contains)
  subject_folded bytea NOT NULL,
  created_us bigint NOT NULL,
  updated_us bigint NOT NULL,
  merged_into bigint NOT NULL,
  -- INT64_MAX when unset, so "ORDER BY sla_deadline_us, id" puts those last
  sla_deadline_us bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX tickets_by_group_queue
  ON tickets(group_id, status, priority DESC, created_us, id);
CREATE INDEX tickets_by_assignee_queue
  ON tickets(assignee_id, status, priority DESC, created_us, id);
CREATE INDEX tickets_by_status_queue
  ON tickets(status, priority DESC, created_us, id);
CREATE INDEX tickets_by_priority ON tickets(priority DESC, created_us, id);
CREATE INDEX tickets_by_requester ON tickets(requester_id, created_us, id);
CREATE INDEX tickets_by_organization ON tickets(organization_id, created_us, id);
CREATE INDEX tickets_by_created ON tickets(created_us, id);
CREATE INDEX tickets_by_updated ON tickets(updated_us, id);
CREATE INDEX tickets_by_sla_deadline ON tickets(sla_deadline_us, id);

CREATE TABLE ticket_tags (
  ticket_id bigint NOT NULL,
  tag bytea NOT NULL,
  PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_by_tag ON ticket_tags(tag, ticket_id);
CREATE TABLE ticket_ccs (
  ticket_id bigint NOT NULL,
  contact_id bigint NOT NULL,
  PRIMARY KEY (ticket_id, contact_id)
);
CREATE INDEX ticket_ccs_by_contact ON ticket_ccs(contact_id, ticket_id);

CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  ticket_id bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX messages_by_ticket ON messages(ticket_id, id);

CREATE TABLE events (
  id bigserial PRIMARY KEY,
  ticket_id bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX events_by_ticket ON events(ticket_id, id);

CREATE TABLE contacts (
  id bigserial PRIMARY KEY,
  version bigint NOT NULL,
  organization_id bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX contacts_by_organization ON contacts(organization_id);
CREATE TABLE contact_identities (
  kind bigint NOT NULL,
  value bytea NOT NULL,
  contact_id bigint NOT NULL,
  PRIMARY KEY (kind, value)
);
CREATE INDEX contact_identities_by_contact ON contact_identities(contact_id);

CREATE TABLE organizations (
  id bigserial PRIMARY KEY,
  name bytea NOT NULL UNIQUE,
  proto bytea NOT NULL
);

CREATE TABLE agents (
  id bigserial PRIMARY KEY,
  version bigint NOT NULL,
  email bytea NOT NULL,
  proto bytea NOT NULL
);
CREATE UNIQUE INDEX agents_by_email ON agents(email) WHERE email <> ''::bytea;
CREATE TABLE agent_events (
  id bigserial PRIMARY KEY,
  agent_id bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX agent_events_by_agent ON agent_events(agent_id, id);

CREATE TABLE agent_groups (
  id bigserial PRIMARY KEY,
  name bytea NOT NULL UNIQUE,
  proto bytea NOT NULL
);

CREATE TABLE attachments (
  sha256 bytea PRIMARY KEY,
  content bytea NOT NULL
);
CREATE TABLE idempotency (
  scope bytea NOT NULL,
  key bytea NOT NULL,
  value bytea NOT NULL,
  recorded_us bigint NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE TABLE thread_keys (
  key bytea PRIMARY KEY,
  ticket_id bigint NOT NULL
);
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  state bigint NOT NULL,
  next_attempt_us bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_us, id);
CREATE TABLE quarantine (
  id bigserial PRIMARY KEY,
  state bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX quarantine_by_state ON quarantine(state, id);
)sql";

// Version 2: named leases (Store::AcquireLease): which process runs the work
// that must run in one place at a time. A free lease has holder '' and
// expires_us INT64_MIN.
constexpr absl::string_view kSchemaVersionLeases = R"sql(
CREATE TABLE leases (
  name bytea PRIMARY KEY,
  holder bytea NOT NULL,
  expires_us bigint NOT NULL,
  token bigint NOT NULL
);
)sql";

// Version 3 (saved views, time tracking; SqliteStore's kSchemaVersionViews):
// a view's name is unique per owner (0: the shared views).
constexpr absl::string_view kSchemaVersionViews = R"sql(
CREATE TABLE views (
  id bigserial PRIMARY KEY,
  version bigint NOT NULL,
  owner_agent_id bigint NOT NULL,
  name bytea NOT NULL,
  proto bytea NOT NULL,
  UNIQUE (owner_agent_id, name)
);
CREATE TABLE time_entries (
  id bigserial PRIMARY KEY,
  ticket_id bigint NOT NULL,
  logged_us bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE INDEX time_entries_by_ticket ON time_entries(ticket_id, id);
CREATE INDEX time_entries_by_logged ON time_entries(logged_us, id);
)sql";

// Version 4 (tracking links; SqliteStore's kSchemaVersionTracking): the
// SHA-256 of each ticket's tracking-link token, at most one per ticket.
constexpr absl::string_view kSchemaVersionTracking = R"sql(
CREATE TABLE tracking_tokens (
  token_sha256 bytea PRIMARY KEY,
  ticket_id bigint NOT NULL UNIQUE,
  created_us bigint NOT NULL
);
)sql";

// Version 5 (reports; SqliteStore's kSchemaVersionReports): each event's
// time as a column, so that a report reads a period through an index;
// FillEventTimes sets it on the rows already there.
constexpr absl::string_view kSchemaVersionReports = R"sql(
ALTER TABLE events ADD COLUMN time_micros bigint NOT NULL DEFAULT 0;
CREATE INDEX events_by_time ON events(time_micros, id);
)sql";

// Version 6 (automation, issue 14; SqliteStore's kSchemaVersionAutomation):
// each ticket's next automation due time, indexed for Tick, and the
// automations' firings (a RuleFirings proto).
constexpr absl::string_view kSchemaVersionAutomation = R"sql(
CREATE TABLE automation_state (
  ticket_id bigint PRIMARY KEY,
  due_us bigint,
  firings bytea NOT NULL DEFAULT ''::bytea
);
CREATE INDEX automation_by_due ON automation_state(due_us, ticket_id)
  WHERE due_us IS NOT NULL;
)sql";

// Version 7 (knowledge base; SqliteStore's kSchemaVersionKb): articles and
// suggestion sessions as protos (the article's version is in its proto too,
// as SqliteStore keeps it). Search indexes the articles in memory (see
// postgres_kb.cc), so no index tables yet.
constexpr absl::string_view kSchemaVersionKb = R"sql(
CREATE TABLE kb_articles (
  id bigserial PRIMARY KEY,
  version bigint NOT NULL,
  proto bytea NOT NULL
);
CREATE TABLE kb_sessions (
  id bigserial PRIMARY KEY,
  proto bytea NOT NULL
);
)sql";

// Sets events.time_micros from each row's proto, a page of rows at a time
// (rows that do not parse keep 0: reads report them as before).
absl::Status FillEventTimes(PgConnection& c) {
  constexpr int kPage = 1000;
  int64_t after = 0;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult r, c.Run("SELECT id, proto FROM events WHERE id > $1 ORDER BY id LIMIT $2",
                          {PgParam::Int(after), PgParam::Int(kPage)}));
    for (int i = 0; i < r.rows(); ++i) {
      after = r.Int(i, 0);
      const absl::string_view bytes = r.Bytes(i, 1);
      v1::Event event;
      if (bytes.size() > static_cast<size_t>(INT_MAX) ||
          !event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        continue;
      }
      HELPDESK_RETURN_IF_ERROR(
          c.Run("UPDATE events SET time_micros = $1 WHERE id = $2",
                {PgParam::Int(TimestampToMicros(event.time())), PgParam::Int(after)})
              .status());
    }
    if (r.rows() < kPage) return absl::OkStatus();
  }
}

struct Migration {
  absl::string_view script;
  // Run after the script, in the same transaction; may be null.
  absl::Status (*convert)(PgConnection&) = nullptr;
};

// Ordered; entry i turns version i into version i + 1.
constexpr Migration kMigrations[] = {
    {kSchemaVersion1},
    {kSchemaVersionLeases},
    {kSchemaVersionViews},
    {kSchemaVersionTracking},
    {kSchemaVersionReports, &FillEventTimes},
    {kSchemaVersionAutomation},
    {kSchemaVersionKb},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) ==
                  static_cast<size_t>(kPostgresSchemaVersion),
              "one migration step per schema version");

// What the schema holds now.
struct SchemaState {
  bool exists = false;
  int64_t tables = 0;
  bool has_meta = false;
  std::string application;
  int64_t version = 0;
};

absl::StatusOr<SchemaState> ReadState(PgConnection& c, const std::string& schema) {
  SchemaState s;
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      c.Run("SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = "
            "convert_from($1, 'UTF8')), "
            "(SELECT count(*) FROM pg_tables WHERE schemaname = convert_from($1, 'UTF8')), "
            "(SELECT count(*) FROM pg_tables WHERE schemaname = convert_from($1, 'UTF8') "
            "AND tablename = 'helpdesk_meta')",
            {PgParam::Bytes(schema)}));
  s.exists = r.Int(0, 0) > 0;
  s.tables = r.Int(0, 1);
  s.has_meta = r.Int(0, 2) > 0;
  if (!s.has_meta) return s;
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult meta, c.Run("SELECT convert_to(key, 'UTF8'), convert_to(value, 'UTF8') "
                           "FROM helpdesk_meta",
                           {}));
  for (int i = 0; i < meta.rows(); ++i) {
    const absl::string_view key = meta.Bytes(i, 0);
    const absl::string_view value = meta.Bytes(i, 1);
    if (key == "application") s.application = std::string(value);
    if (key == "schema_version" && !absl::SimpleAtoi(value, &s.version)) s.version = -1;
  }
  return s;
}

absl::Status CheckSchemaIsOurs(const SchemaState& s, const PgConnection& c,
                               const std::string& schema, bool create_if_missing) {
  if (!s.has_meta) {
    if (s.tables > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          c.describe(), ": schema '", schema, "' holds ", s.tables,
          " tables of another application and no helpdesk_meta table; use an "
          "empty schema (PostgresStoreOptions.schema)"));
    }
    if (!create_if_missing) {
      return absl::FailedPreconditionError(absl::StrCat(
          c.describe(), ": schema '", schema, "' ",
          s.exists ? "is empty" : "does not exist",
          " and create_if_missing is false"));
    }
    return absl::OkStatus();
  }
  if (s.application != kApplication) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.describe(), ": schema '", schema, "' belongs to application '",
        s.application, "', not ", kApplication));
  }
  if (s.version > kPostgresSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.describe(), ": helpdesk schema '", schema, "' has schema version ",
        s.version, ", newer than version ", kPostgresSchemaVersion,
        " that this build of libhelpdesk supports; open it with a newer "
        "libhelpdesk"));
  }
  if (s.version < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.describe(), ": helpdesk schema '", schema, "' has an invalid schema version"));
  }
  return absl::OkStatus();
}

absl::Status MigrateLocked(PgConnection& c, const std::string& schema,
                           bool create_if_missing) {
  HELPDESK_ASSIGN_OR_RETURN(SchemaState s, ReadState(c, schema));
  HELPDESK_RETURN_IF_ERROR(CheckSchemaIsOurs(s, c, schema, create_if_missing));
  if (s.has_meta && s.version == kPostgresSchemaVersion) return absl::OkStatus();
  HELPDESK_RETURN_IF_ERROR(c.Execute("BEGIN"));
  absl::Status status = [&]() -> absl::Status {
    if (!s.exists) {
      // The name was checked by OpenPostgresStore: [A-Za-z0-9_] only.
      HELPDESK_RETURN_IF_ERROR(
          c.Execute(absl::StrCat("CREATE SCHEMA IF NOT EXISTS \"", schema, "\"")));
    }
    for (int64_t v = s.has_meta ? s.version : 0; v < kPostgresSchemaVersion; ++v) {
      HELPDESK_RETURN_IF_ERROR(c.Execute(kMigrations[v].script));
      if (kMigrations[v].convert != nullptr) {
        HELPDESK_RETURN_IF_ERROR(kMigrations[v].convert(c));
      }
    }
    HELPDESK_RETURN_IF_ERROR(c.Execute(absl::StrCat(
        "INSERT INTO helpdesk_meta (key, value) VALUES ('application', '",
        kApplication, "'), ('schema_version', '", kPostgresSchemaVersion,
        "') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")));
    return c.Execute("COMMIT");
  }();
  if (!status.ok() && !c.broken()) (void)c.Execute("ROLLBACK");
  return status;
}

}  // namespace

int32_t MigrationLockKey(const std::string& schema) {
  return LockKeyOf(absl::StrCat("migrate:", schema));
}
int32_t WriterLockKey(const std::string& schema) {
  return LockKeyOf(absl::StrCat("write:", schema));
}

absl::Status MigratePostgresSchema(PgConnection& c, const std::string& schema,
                                   bool create_if_missing,
                                   absl::Duration busy_timeout) {
  HELPDESK_RETURN_IF_ERROR(c.Execute(absl::StrCat(
      "SET lock_timeout = ", std::max<int64_t>(1, absl::ToInt64Milliseconds(busy_timeout)))));
  absl::StatusOr<PgResult> locked =
      c.Run("SELECT pg_advisory_lock($1::int4, $2::int4)",
            {PgParam::Int(kPgLockClass), PgParam::Int(MigrationLockKey(schema))});
  if (!locked.ok()) {
    (void)c.Execute("SET lock_timeout = 0");
    if (locked.status().code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(absl::StrCat(
          c.describe(), ": another process holds the migration lock of schema '",
          schema, "' beyond the busy timeout: ", locked.status().message()));
    }
    return locked.status();
  }
  absl::Status status = MigrateLocked(c, schema, create_if_missing);
  if (!c.broken()) {
    (void)c.Run("SELECT pg_advisory_unlock($1::int4, $2::int4)",
                {PgParam::Int(kPgLockClass), PgParam::Int(MigrationLockKey(schema))});
    (void)c.Execute("SET lock_timeout = 0");
  }
  return status;
}

}  // namespace helpdesk::internal
