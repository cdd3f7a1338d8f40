// SqliteStore: the Store contract over one SQLite file.
//
// One unit (about 1,700 lines): SqliteTransaction implements every method of
// the Transaction port over one connection and its statement cache, and the
// store hands out connections; the schema (sqlite_schema.cc), the connection
// wrapper (sqlite_connection.cc) and ticket queries (sqlite_ticket_query.cc)
// are their own files. The next split, by entity, is noted in the project's
// open work.
//
// Layout: every entity is stored as its serialized proto plus the columns that
// lookups and queries use (storage/sqlite_schema.cc). Columns that the store
// owns (ids, versions, a message's current ticket) are authoritative: they are
// cleared in the stored proto and set from the columns on read.
//
// Concurrency: one read-write connection, used by at most one transaction at
// a time; Begin(kReadWrite) waits (up to busy_timeout) for the previous
// read-write transaction of this store to end, then runs BEGIN IMMEDIATE,
// whose busy handler waits (again up to busy_timeout) for other processes.
// Read-only transactions run on a small pool of further connections, each in
// its own WAL snapshot, so they neither wait for nor block writers. An
// in-memory database (":memory:") has a single connection, which read-only
// transactions share with writers, one transaction at a time.
//
// Every write that takes several statements runs inside a SAVEPOINT, so a
// failed call changes nothing and the transaction stays usable.
//
// Durability: a transaction begun with TransactionOptions::durable runs on a
// writer set to synchronous = FULL (its commit fsyncs the WAL); the setting
// can only change outside a transaction, so Begin sets it, and puts the
// configured value back for the next transaction that does not ask.
//
// Opening never writes to a file it refuses: the header (application_id,
// user_version) and the catalogue are read first, in one read transaction;
// only an empty file or a helpdesk database of this or an older version is
// switched to WAL and migrated. Damage is reported as DataLoss: by Open when
// the schema pages are hit, otherwise by the first call that reads a damaged
// page (Open does not scan the whole file).
#include "helpdesk/storage/sqlite_store.h"

#include <sys/stat.h>

#include <climits>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "internal/status_macros.h"
#include "storage/sqlite_connection.h"
#include "storage/entry_state.h"
#include "storage/sqlite_schema.h"
#include "storage/sqlite_ticket_query.h"
#include "storage/ticket_query.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using internal::SqliteCodeOf;
using internal::SqliteConnection;
using internal::SqliteStatement;

constexpr absl::string_view kInMemoryPath = ":memory:";
// Idle read-only connections kept for reuse.
constexpr size_t kMaxIdleReaders = 4;
constexpr int kMaxEventsPage = 10000;

bool IsConstraint(const absl::Status& status) {
  return (SqliteCodeOf(status) & 0xff) == SQLITE_CONSTRAINT;
}

absl::Status NotFound(absl::string_view what, int64_t id) {
  return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
}

absl::Status Taken(absl::string_view what, absl::string_view value) {
  return absl::AlreadyExistsError(
      absl::StrCat(what, " '", value, "' is already taken"));
}

absl::Status StaleVersion(absl::string_view what, int64_t id, int64_t expected,
                          int64_t stored) {
  return absl::AbortedError(absl::StrCat(what, " ", id, ": expected version ",
                                         expected, ", stored version ", stored));
}

absl::Status CheckSha256(absl::string_view sha256) {
  if (internal::IsSha256Hex(sha256)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("sha256 '", absl::CHexEscape(sha256.substr(0, 80)),
                   "' is not 64 lower-case hexadecimal digits"));
}

template <typename Proto>
absl::StatusOr<std::string> Serialize(const Proto& proto,
                                      absl::string_view what) {
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is too large to store"));
  }
  return bytes;
}

// The name passed to sqlite3_open_v2: Debian's SQLite (built with
// SQLITE_USE_URI) would read "file:..." as a URI; such a relative file name
// gets "./" so it stays a plain file name.
std::string OpenName(const std::string& path) {
  if (absl::StartsWith(path, "file:")) return absl::StrCat("./", path);
  return path;
}

int BusyTimeoutMillis(absl::Duration timeout) {
  if (timeout >= absl::Milliseconds(INT_MAX)) return INT_MAX;
  return static_cast<int>(absl::ToInt64Milliseconds(timeout));
}

class SqliteStore;

// One transaction on one connection: the store's writer (read-write, and
// every transaction of an in-memory store) or an owned reader.
//
// Thread safety: used by one thread at a time, as store.h requires.
class SqliteTransaction final : public Transaction {
 public:
  // `connection` is either the store's writer (reader == nullptr) or the
  // owned `reader`. BEGIN has already run on it.
  SqliteTransaction(SqliteStore* store, SqliteConnection* connection,
                    std::unique_ptr<SqliteConnection> reader,
                    TransactionMode mode)
      : store_(store),
        connection_(connection),
        reader_(std::move(reader)),
        mode_(mode) {}
  ~SqliteTransaction() override;

  absl::Status Commit() override;

  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetTicket(id));
  }
  absl::Status InsertTicket(v1::Ticket* ticket) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertTicket(ticket));
  }
  absl::Status UpdateTicket(v1::Ticket* ticket,
                            int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoUpdateTicket(ticket, expected_version));
  }
  absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& query) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoQueryTickets(query));
  }
  absl::Status SetTicketSlaDeadline(
      int64_t id, std::optional<absl::Time> deadline) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoSetTicketSlaDeadline(id, deadline));
  }

  absl::Status InsertMessage(v1::Message* message) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertMessage(message));
  }
  absl::StatusOr<v1::Message> GetMessage(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetMessage(id));
  }
  absl::StatusOr<std::vector<v1::Message>> ListMessages(
      int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoListMessages(ticket_id));
  }
  absl::StatusOr<int64_t> MoveMessages(int64_t from_ticket,
                                       int64_t to_ticket) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoMoveMessages(from_ticket, to_ticket));
  }

  absl::Status AppendEvent(v1::Event* event) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoAppendEvent(event));
  }
  absl::StatusOr<std::vector<v1::Event>> ListTicketEvents(
      int64_t ticket_id, int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoListTicketEvents(ticket_id, after_id, limit));
  }
  absl::StatusOr<std::vector<v1::Event>> ListEventsSince(int64_t after_id,
                                                         int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoListEventsSince(after_id, limit));
  }

  absl::Status InsertContact(v1::Contact* contact) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertContact(contact));
  }
  absl::Status UpdateContact(v1::Contact* contact,
                             int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoUpdateContact(contact, expected_version));
  }
  absl::StatusOr<v1::Contact> GetContact(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetContact(id));
  }
  absl::StatusOr<v1::Contact> FindContactByIdentity(
      v1::ContactIdentity::Kind kind, absl::string_view value) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoFindContactByIdentity(kind, value));
  }
  absl::Status InsertOrganization(v1::Organization* organization) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertOrganization(organization));
  }
  absl::StatusOr<v1::Organization> GetOrganization(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetOrganization(id));
  }

  absl::Status InsertAgent(v1::Agent* agent) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertAgent(agent));
  }
  absl::Status UpdateAgent(v1::Agent* agent, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoUpdateAgent(agent, expected_version));
  }
  absl::StatusOr<v1::Agent> GetAgent(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetAgent(id));
  }
  absl::StatusOr<std::vector<v1::Agent>> ListAgents() override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoListAgents());
  }
  absl::Status AppendAgentEvent(v1::AgentEvent* event) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoAppendAgentEvent(event));
  }
  absl::StatusOr<std::vector<v1::AgentEvent>> ListAgentEvents(
      int64_t agent_id, int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoListAgentEvents(agent_id, after_id, limit));
  }
  absl::Status InsertGroup(v1::Group* group) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertGroup(group));
  }
  absl::StatusOr<v1::Group> GetGroup(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetGroup(id));
  }
  absl::StatusOr<std::vector<v1::Group>> ListGroups() override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoListGroups());
  }

  absl::Status PutAttachmentContent(absl::string_view sha256,
                                    absl::string_view content) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoPutAttachmentContent(sha256, content));
  }
  absl::StatusOr<std::string> GetAttachmentContent(
      absl::string_view sha256) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetAttachmentContent(sha256));
  }

  absl::Status PutThreadKey(absl::string_view key, int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoPutThreadKey(key, ticket_id));
  }
  absl::StatusOr<int64_t> FindThreadKey(absl::string_view key) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoFindThreadKey(key));
  }
  absl::Status InsertOutbox(v1::OutboxEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertOutbox(entry));
  }
  absl::StatusOr<v1::OutboxEntry> GetOutbox(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::OutboxEntry>("SELECT proto FROM outbox WHERE id = ?",
                                          "outbox", "outbox entry", id));
  }
  absl::Status UpdateOutbox(const v1::OutboxEntry& entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoUpdateOutbox(entry));
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListDueOutbox(absl::Time now,
                                                             int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(ListRows<v1::OutboxEntry>(
        "SELECT id, proto FROM outbox WHERE state = ? AND next_attempt_us <= ? "
        "ORDER BY next_attempt_us, id LIMIT ?", "outbox",
        {v1::OutboxEntry::PENDING, ToUnixMicrosFloor(now), limit}));
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutbox(
      std::optional<v1::OutboxEntry::State> state, int64_t after_id,
      int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    if (state) {
      return Watch(ListRows<v1::OutboxEntry>(
          "SELECT id, proto FROM outbox WHERE state = ? AND id > ? ORDER BY id LIMIT ?",
          "outbox",
          {static_cast<int64_t>(*state), after_id, limit}));
    }
    return Watch(ListRows<v1::OutboxEntry>(
        "SELECT id, proto FROM outbox WHERE id > ? ORDER BY id LIMIT ?", "outbox",
        {after_id, limit}));
  }

  absl::Status InsertQuarantine(v1::QuarantineEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertQuarantine(entry));
  }
  absl::StatusOr<v1::QuarantineEntry> GetQuarantine(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::QuarantineEntry>("SELECT proto FROM quarantine WHERE id = ?",
                                              "quarantine", "quarantine entry", id));
  }
  absl::Status UpdateQuarantine(const v1::QuarantineEntry& entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoUpdateQuarantine(entry));
  }
  absl::StatusOr<std::vector<v1::QuarantineEntry>> ListQuarantine(
      std::optional<v1::QuarantineEntry::State> state, int64_t after_id,
      int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    if (state) {
      return Watch(ListRows<v1::QuarantineEntry>(
          "SELECT id, proto FROM quarantine WHERE state = ? AND id > ? ORDER BY id LIMIT ?",
          "quarantine", {static_cast<int64_t>(*state), after_id, limit}));
    }
    return Watch(ListRows<v1::QuarantineEntry>(
        "SELECT id, proto FROM quarantine WHERE id > ? ORDER BY id LIMIT ?", "quarantine",
        {after_id, limit}));
  }

  absl::StatusOr<std::string> GetIdempotencyRecord(
      absl::string_view scope, absl::string_view key) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoGetIdempotencyRecord(scope, key));
  }
  absl::Status PutIdempotencyRecord(absl::string_view scope,
                                    absl::string_view key,
                                    absl::string_view value,
                                    absl::Time recorded_at) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoPutIdempotencyRecord(scope, key, value, recorded_at));
  }

 private:
  enum class State { kOpen, kCommitted, kFailed };

  absl::Status CheckOpen() const {
    switch (state_) {
      case State::kOpen:
        return absl::OkStatus();
      case State::kCommitted:
        return absl::FailedPreconditionError(absl::StrCat(
            "sqlite database '", connection_->path(),
            "': the transaction has already been committed"));
      case State::kFailed:
        return absl::FailedPreconditionError(absl::StrCat(
            "sqlite database '", connection_->path(),
            "': the transaction was rolled back by an earlier error (",
            failure_.ToString(), "); begin a new one"));
    }
    return absl::InternalError("unknown transaction state");
  }

  absl::Status CheckWritable() const {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    if (mode_ != TransactionMode::kReadWrite) {
      return absl::FailedPreconditionError(
          absl::StrCat("sqlite database '", connection_->path(),
                       "': write in a read-only transaction"));
    }
    return absl::OkStatus();
  }

  // SQLite rolls a whole transaction back on some errors (I/O, a full disk,
  // out of memory). Later calls must not then run outside any transaction.
  void NoteFailure(const absl::Status& status) {
    if (!status.ok() && !connection_->InTransaction()) {
      state_ = State::kFailed;
      failure_ = status;
    }
  }
  absl::Status Watch(absl::Status status) {
    NoteFailure(status);
    return status;
  }
  template <typename T>
  absl::StatusOr<T> Watch(absl::StatusOr<T> result) {
    NoteFailure(result.status());
    return result;
  }

  // For writes on the hot path that skip the savepoint: once a call has
  // written part of its change, a later failure (only I/O, memory or a full
  // disk can cause one) cannot be undone alone, so the whole transaction is
  // marked failed: every later call, Commit included, is refused and the
  // destructor rolls it back. A savepoint per ticket would cost a sub-journal
  // copy of every touched page (3x slower batches; see bench/store_bench).
  absl::Status FailAfterPartialWrite(absl::Status status) {
    if (!status.ok() && state_ == State::kOpen) {
      state_ = State::kFailed;
      failure_ = status;
    }
    return status;
  }

  // Runs `body` inside a savepoint: on error everything it did is undone.
  template <typename Body>
  absl::Status InSavepoint(Body body) {
    HELPDESK_RETURN_IF_ERROR(connection_->Execute("SAVEPOINT helpdesk_call"));
    absl::Status status = body();
    if (status.ok()) return connection_->Execute("RELEASE helpdesk_call");
    if (connection_->InTransaction()) {
      (void)connection_->Execute("ROLLBACK TO helpdesk_call");
      (void)connection_->Execute("RELEASE helpdesk_call");
    }
    return status;
  }

  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql) {
    return connection_->Prepare(sql);
  }

  int64_t Changes() const { return sqlite3_changes64(connection_->db()); }
  int64_t LastRowId() const {
    return sqlite3_last_insert_rowid(connection_->db());
  }

  template <typename Proto>
  absl::Status Parse(absl::string_view bytes, absl::string_view table,
                     int64_t id, Proto* out) const {
    if (bytes.size() > static_cast<size_t>(INT_MAX) ||
        !out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError(absl::StrCat(
          "sqlite database '", connection_->path(), "': the stored ", table,
          " row ", id, " does not parse as ", out->GetTypeName()));
    }
    return absl::OkStatus();
  }

  // Reads the stored version of a row after an optimistic UPDATE changed
  // nothing, to tell NotFound from Aborted.
  absl::Status VersionMismatch(absl::string_view sql, absl::string_view what,
                               int64_t id, int64_t expected) {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    stmt.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFound(what, id);
    return StaleVersion(what, id, expected, stmt.ColumnInt(0));
  }

  // --- Tickets ---

  absl::StatusOr<v1::Ticket> DoGetTicket(int64_t id) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT version, proto FROM tickets WHERE id = ?"));
    stmt.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFound("ticket", id);
    v1::Ticket ticket;
    HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(1), "tickets", id, &ticket));
    ticket.set_id(id);
    ticket.set_version(stmt.ColumnInt(0));
    return ticket;
  }

  static int64_t SlaDeadlineColumn(const v1::Ticket& ticket) {
    return ticket.has_sla_next_deadline()
               ? TimestampToMicros(ticket.sla_next_deadline())
               : std::numeric_limits<int64_t>::max();
  }

  // Binds the indexed columns of `ticket` to parameters 2..15 (1 is the id).
  absl::Status BindTicketColumns(SqliteStatement& stmt,
                                 const v1::Ticket& ticket, int64_t version) {
    // The proto is stored without id and version (the columns hold them).
    v1::Ticket stored = ticket;
    stored.clear_id();
    stored.clear_version();
    HELPDESK_ASSIGN_OR_RETURN(
        std::string bytes,
        Serialize(stored, absl::StrCat("ticket ", ticket.id())));
    stmt.BindInt(2, version);
    stmt.BindText(3, ticket.status());
    stmt.BindInt(4, ticket.status_category());
    stmt.BindInt(5, ticket.priority());
    stmt.BindInt(6, ticket.assignee_id());
    stmt.BindInt(7, ticket.group_id());
    stmt.BindInt(8, ticket.requester_id());
    stmt.BindInt(9, ticket.organization_id());
    stmt.BindText(10, ticket.subject());
    stmt.BindInt(11, TimestampToMicros(ticket.created_at()));
    stmt.BindInt(12, TimestampToMicros(ticket.updated_at()));
    stmt.BindInt(13, ticket.merged_into());
    stmt.BindBlob(14, bytes);
    stmt.BindInt(15, SlaDeadlineColumn(ticket));
    return absl::OkStatus();
  }

  // Replaces the tag and CC rows of ticket `id`.
  absl::Status WriteTicketSideTables(int64_t id, const v1::Ticket& ticket,
                                     bool replace) {
    if (replace) {
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement del_tags,
          Prepare("DELETE FROM ticket_tags WHERE ticket_id = ?"));
      del_tags.BindInt(1, id);
      HELPDESK_RETURN_IF_ERROR(del_tags.Run());
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement del_ccs,
          Prepare("DELETE FROM ticket_ccs WHERE ticket_id = ?"));
      del_ccs.BindInt(1, id);
      HELPDESK_RETURN_IF_ERROR(del_ccs.Run());
    }
    if (ticket.tags_size() > 0) {
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement stmt,
          Prepare("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) "
                  "VALUES (?, ?)"));
      for (const std::string& tag : ticket.tags()) {
        stmt.BindInt(1, id);
        stmt.BindText(2, tag);
        HELPDESK_RETURN_IF_ERROR(stmt.Run());
        stmt.Reset();
      }
    }
    if (ticket.cc_contact_ids_size() > 0) {
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement stmt,
          Prepare("INSERT OR IGNORE INTO ticket_ccs (ticket_id, contact_id) "
                  "VALUES (?, ?)"));
      for (int64_t contact : ticket.cc_contact_ids()) {
        stmt.BindInt(1, id);
        stmt.BindInt(2, contact);
        HELPDESK_RETURN_IF_ERROR(stmt.Run());
        stmt.Reset();
      }
    }
    return absl::OkStatus();
  }

  absl::Status DoInsertTicket(v1::Ticket* ticket) {
    if (ticket->id() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("ticket.id ", ticket->id(), " must not be negative"));
    }
    // The tickets row first: a taken id fails here, before anything is
    // written, and leaves the transaction usable.
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT INTO tickets (id, version, status, status_category, "
                "priority, assignee_id, group_id, requester_id, "
                "organization_id, subject, created_us, updated_us, "
                "merged_into, proto, sla_deadline_us) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    if (ticket->id() == 0) {
      stmt.BindNull(1);  // AUTOINCREMENT: above every id ever used
    } else {
      stmt.BindInt(1, ticket->id());
    }
    HELPDESK_RETURN_IF_ERROR(BindTicketColumns(stmt, *ticket, 1));
    absl::Status status = stmt.Run();
    if (IsConstraint(status)) {
      return absl::AlreadyExistsError(
          absl::StrCat("ticket ", ticket->id(), " already exists"));
    }
    HELPDESK_RETURN_IF_ERROR(status);
    const int64_t id = LastRowId();
    HELPDESK_RETURN_IF_ERROR(FailAfterPartialWrite(
        WriteTicketSideTables(id, *ticket, /*replace=*/false)));
    ticket->set_id(id);
    ticket->set_version(1);
    return absl::OkStatus();
  }

  absl::Status DoUpdateTicket(v1::Ticket* ticket, int64_t expected_version) {
    const int64_t id = ticket->id();
    // The version-checked row update first: a stale version or a missing
    // ticket changes nothing and leaves the transaction usable.
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("UPDATE tickets SET version = ?2, status = ?3, "
                "status_category = ?4, priority = ?5, assignee_id = ?6, "
                "group_id = ?7, requester_id = ?8, organization_id = ?9, "
                "subject = ?10, created_us = ?11, updated_us = ?12, "
                "merged_into = ?13, proto = ?14, sla_deadline_us = ?15 "
                "WHERE id = ?1 AND version = ?16"));
    stmt.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(BindTicketColumns(stmt, *ticket, expected_version + 1));
    stmt.BindInt(16, expected_version);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    if (Changes() == 0) {
      return VersionMismatch("SELECT version FROM tickets WHERE id = ?", "ticket",
                             id, expected_version);
    }
    HELPDESK_RETURN_IF_ERROR(FailAfterPartialWrite(
        WriteTicketSideTables(id, *ticket, /*replace=*/true)));
    ticket->set_version(expected_version + 1);
    return absl::OkStatus();
  }

  // The deadline lives in the stored proto and in its column: rewrite both,
  // leaving the version (and every other field) alone.
  absl::Status DoSetTicketSlaDeadline(int64_t id,
                                      std::optional<absl::Time> deadline) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement read,
        Prepare("SELECT proto FROM tickets WHERE id = ?"));
    read.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, read.Step());
    if (!row) return NotFound("ticket", id);
    v1::Ticket stored;
    HELPDESK_RETURN_IF_ERROR(Parse(read.ColumnBlob(0), "tickets", id, &stored));
    if (deadline.has_value()) {
      *stored.mutable_sla_next_deadline() = ToTimestamp(*deadline);
    } else {
      stored.clear_sla_next_deadline();
    }
    HELPDESK_ASSIGN_OR_RETURN(
        std::string bytes, Serialize(stored, absl::StrCat("ticket ", id)));
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement write,
        Prepare("UPDATE tickets SET sla_deadline_us = ?, proto = ? "
                "WHERE id = ?"));
    write.BindInt(1, SlaDeadlineColumn(stored));
    write.BindBlob(2, bytes);
    write.BindInt(3, id);
    return write.Run();
  }

  absl::StatusOr<TicketPage> DoQueryTickets(const TicketQuery& query) {
    HELPDESK_ASSIGN_OR_RETURN(internal::TicketSql sql,
                              internal::BuildTicketQuerySql(query));
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql.sql));
    for (size_t i = 0; i < sql.params.size(); ++i) {
      const internal::SqlParam& p = sql.params[i];
      int index = static_cast<int>(i) + 1;
      switch (p.kind) {
        case internal::SqlParam::Kind::kInt:
          stmt.BindInt(index, p.int_value);
          break;
        case internal::SqlParam::Kind::kText:
          stmt.BindText(index, p.bytes);
          break;
        case internal::SqlParam::Kind::kBlob:
          stmt.BindBlob(index, p.bytes);
          break;
      }
    }
    TicketPage page;
    page.tickets.reserve(static_cast<size_t>(query.limit));
    bool more = false;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (static_cast<int>(page.tickets.size()) == query.limit) {
        more = true;
        break;
      }
      const int64_t id = stmt.ColumnInt(0);
      v1::Ticket& ticket = page.tickets.emplace_back();
      HELPDESK_RETURN_IF_ERROR(
          Parse(stmt.ColumnBlob(2), "tickets", id, &ticket));
      ticket.set_id(id);
      ticket.set_version(stmt.ColumnInt(1));
    }
    if (more) {
      page.next_cursor = internal::EncodeCursor(query.sort, page.tickets.back());
    }
    return page;
  }

  // --- Messages ---

  absl::Status DoInsertMessage(v1::Message* message) {
    if (message->ticket_id() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "message.ticket_id ", message->ticket_id(), " must be positive"));
    }
    // Stored without id and ticket_id: the columns hold them (a merge moves
    // messages by changing the column only). They are cleared on `message`
    // itself while it is serialized, not on a copy: a copy would copy the
    // bodies too.
    const int64_t ticket_id = message->ticket_id();
    const int64_t given_id = message->id();
    const int64_t given_origin = message->origin_ticket_id();
    if (given_origin == 0) message->set_origin_ticket_id(ticket_id);
    message->clear_id();
    message->clear_ticket_id();
    absl::StatusOr<std::string> bytes = Serialize(*message, "message");
    message->set_ticket_id(ticket_id);
    if (!bytes.ok()) {
      message->set_id(given_id);
      message->set_origin_ticket_id(given_origin);
      return bytes.status();
    }
    absl::StatusOr<SqliteStatement> stmt =
        Prepare("INSERT INTO messages (ticket_id, proto) VALUES (?, ?)");
    absl::Status status = stmt.status();
    if (status.ok()) {
      stmt->BindInt(1, ticket_id);
      stmt->BindBlob(2, *bytes);
      status = stmt->Run();
    }
    if (!status.ok()) {
      message->set_id(given_id);
      message->set_origin_ticket_id(given_origin);
      return status;
    }
    message->set_id(LastRowId());
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Message> DoGetMessage(int64_t id) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT ticket_id, proto FROM messages WHERE id = ?"));
    stmt.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFound("message", id);
    v1::Message message;
    HELPDESK_RETURN_IF_ERROR(
        Parse(stmt.ColumnBlob(1), "messages", id, &message));
    message.set_id(id);
    message.set_ticket_id(stmt.ColumnInt(0));
    return message;
  }

  absl::StatusOr<std::vector<v1::Message>> DoListMessages(int64_t ticket_id) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT id, proto FROM messages WHERE ticket_id = ? "
                "ORDER BY id"));
    stmt.BindInt(1, ticket_id);
    std::vector<v1::Message> out;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      const int64_t id = stmt.ColumnInt(0);
      v1::Message& message = out.emplace_back();
      HELPDESK_RETURN_IF_ERROR(
          Parse(stmt.ColumnBlob(1), "messages", id, &message));
      message.set_id(id);
      message.set_ticket_id(ticket_id);
    }
    return out;
  }

  absl::StatusOr<int64_t> DoMoveMessages(int64_t from_ticket,
                                         int64_t to_ticket) {
    if (from_ticket == to_ticket) return 0;
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("UPDATE messages SET ticket_id = ? WHERE ticket_id = ?"));
    stmt.BindInt(1, to_ticket);
    stmt.BindInt(2, from_ticket);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    return Changes();
  }

  // --- Events ---

  absl::Status DoAppendEvent(v1::Event* event) {
    if (event->ticket_id() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event.ticket_id ", event->ticket_id(), " must be positive"));
    }
    return AppendOwned("INSERT INTO events (ticket_id, proto) VALUES (?, ?)",
                       event->ticket_id(), "event", event);
  }

  // An append-only row of an owner (a ticket's or an agent's event): `sql`
  // inserts (owner, proto); the proto is stored without its id, which the
  // row's key assigns.
  template <typename Proto>
  absl::Status AppendOwned(absl::string_view sql, int64_t owner,
                           absl::string_view what, Proto* row) {
    Proto stored = *row;
    stored.clear_id();
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, what));
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    stmt.BindInt(1, owner);
    stmt.BindBlob(2, bytes);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    row->set_id(LastRowId());
    return absl::OkStatus();
  }

  // Reads (id, owner, proto) rows of `table`; `set_owner` puts the owner back.
  template <typename Proto, typename SetOwner>
  absl::StatusOr<std::vector<Proto>> ReadOwned(SqliteStatement& stmt,
                                               absl::string_view table,
                                               SetOwner set_owner) {
    std::vector<Proto> out;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      const int64_t id = stmt.ColumnInt(0);
      Proto& proto = out.emplace_back();
      HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(2), table, id, &proto));
      proto.set_id(id);
      set_owner(proto, stmt.ColumnInt(1));
    }
    return out;
  }

  // The rows of one owner with id > after_id, in id order, at most `limit`
  // (0 = no limit); `sql` selects (id, owner, proto) with the owner, after_id
  // and limit bound in that order.
  template <typename Proto, typename SetOwner>
  absl::StatusOr<std::vector<Proto>> ListOwned(absl::string_view sql,
                                               absl::string_view table,
                                               SetOwner set_owner, int64_t owner,
                                               int64_t after_id, int limit) {
    if (limit < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", limit, " must not be negative"));
    }
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    stmt.BindInt(1, owner);
    stmt.BindInt(2, after_id);
    stmt.BindInt(3, limit == 0 ? -1 : limit);  // a negative LIMIT is none
    return ReadOwned<Proto>(stmt, table, set_owner);
  }

  static void SetTicketOf(v1::Event& e, int64_t ticket_id) {
    e.set_ticket_id(ticket_id);
  }
  static void SetAgentOf(v1::AgentEvent& e, int64_t agent_id) {
    e.set_agent_id(agent_id);
  }

  absl::StatusOr<std::vector<v1::Event>> DoListTicketEvents(int64_t ticket_id,
                                                            int64_t after_id,
                                                            int limit) {
    return ListOwned<v1::Event>(
        "SELECT id, ticket_id, proto FROM events "
        "WHERE ticket_id = ? AND id > ? ORDER BY id LIMIT ?",
        "events", SetTicketOf, ticket_id, after_id, limit);
  }

  absl::StatusOr<std::vector<v1::Event>> DoListEventsSince(int64_t after_id,
                                                           int limit) {
    if (limit < 1 || limit > kMaxEventsPage) {
      return absl::InvalidArgumentError(absl::StrCat(
          "limit ", limit, " is out of range [1, ", kMaxEventsPage, "]"));
    }
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT id, ticket_id, proto FROM events WHERE id > ? "
                "ORDER BY id LIMIT ?"));
    stmt.BindInt(1, after_id);
    stmt.BindInt(2, limit);
    return ReadOwned<v1::Event>(stmt, "events", SetTicketOf);
  }

  // --- Contacts and organizations ---

  // Inserts the identity rows of `contact` (whose id is `id`). Errors:
  // AlreadyExists naming the identity when another contact has it, or when
  // the contact lists it twice.
  absl::Status WriteIdentities(int64_t id, const v1::Contact& contact) {
    std::set<std::pair<int, std::string>> seen;
    for (const v1::ContactIdentity& identity : contact.identities()) {
      if (!seen.emplace(identity.kind(), identity.value()).second) {
        return Taken(absl::StrCat(
                         v1::ContactIdentity::Kind_Name(identity.kind()),
                         " identity"),
                     identity.value());
      }
    }
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT INTO contact_identities (kind, value, contact_id) "
                "VALUES (?, ?, ?)"));
    for (const v1::ContactIdentity& identity : contact.identities()) {
      stmt.BindInt(1, identity.kind());
      stmt.BindText(2, identity.value());
      stmt.BindInt(3, id);
      absl::Status status = stmt.Run();
      stmt.Reset();
      if (IsConstraint(status)) {
        HELPDESK_ASSIGN_OR_RETURN(
            SqliteStatement owner,
            Prepare("SELECT contact_id FROM contact_identities "
                    "WHERE kind = ? AND value = ?"));
        owner.BindInt(1, identity.kind());
        owner.BindText(2, identity.value());
        HELPDESK_ASSIGN_OR_RETURN(bool row, owner.Step());
        return absl::AlreadyExistsError(absl::StrCat(
            v1::ContactIdentity::Kind_Name(identity.kind()), " identity '",
            identity.value(), "' is already taken",
            row ? absl::StrCat(" by contact ", owner.ColumnInt(0)) : ""));
      }
      HELPDESK_RETURN_IF_ERROR(status);
    }
    return absl::OkStatus();
  }

  absl::Status DoInsertContact(v1::Contact* contact) {
    v1::Contact stored = *contact;
    stored.clear_id();
    stored.clear_version();
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "contact"));
    int64_t id = 0;
    absl::Status written = InSavepoint([&]() -> absl::Status {
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement stmt,
          Prepare("INSERT INTO contacts (version, organization_id, proto) "
                  "VALUES (1, ?, ?)"));
      stmt.BindInt(1, contact->organization_id());
      stmt.BindBlob(2, bytes);
      HELPDESK_RETURN_IF_ERROR(stmt.Run());
      id = LastRowId();
      return WriteIdentities(id, *contact);
    });
    HELPDESK_RETURN_IF_ERROR(written);
    contact->set_id(id);
    contact->set_version(1);
    return absl::OkStatus();
  }

  absl::Status DoUpdateContact(v1::Contact* contact, int64_t expected_version) {
    const int64_t id = contact->id();
    v1::Contact stored = *contact;
    stored.clear_id();
    stored.clear_version();
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "contact"));
    absl::Status written = InSavepoint([&]() -> absl::Status {
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement stmt,
          Prepare("UPDATE contacts SET version = ?, organization_id = ?, "
                  "proto = ? WHERE id = ? AND version = ?"));
      stmt.BindInt(1, expected_version + 1);
      stmt.BindInt(2, contact->organization_id());
      stmt.BindBlob(3, bytes);
      stmt.BindInt(4, id);
      stmt.BindInt(5, expected_version);
      HELPDESK_RETURN_IF_ERROR(stmt.Run());
      if (Changes() == 0) {
        return VersionMismatch("SELECT version FROM contacts WHERE id = ?",
                               "contact", id, expected_version);
      }
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement del,
          Prepare("DELETE FROM contact_identities WHERE contact_id = ?"));
      del.BindInt(1, id);
      HELPDESK_RETURN_IF_ERROR(del.Run());
      return WriteIdentities(id, *contact);
    });
    HELPDESK_RETURN_IF_ERROR(written);
    contact->set_version(expected_version + 1);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Contact> ReadContact(SqliteStatement& stmt,
                                          int first_column) {
    const int64_t id = stmt.ColumnInt(first_column);
    v1::Contact contact;
    HELPDESK_RETURN_IF_ERROR(
        Parse(stmt.ColumnBlob(first_column + 2), "contacts", id, &contact));
    contact.set_id(id);
    contact.set_version(stmt.ColumnInt(first_column + 1));
    return contact;
  }

  absl::StatusOr<v1::Contact> DoGetContact(int64_t id) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT id, version, proto FROM contacts WHERE id = ?"));
    stmt.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFound("contact", id);
    return ReadContact(stmt, 0);
  }

  absl::StatusOr<v1::Contact> DoFindContactByIdentity(
      v1::ContactIdentity::Kind kind, absl::string_view value) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT c.id, c.version, c.proto FROM contact_identities i "
                "JOIN contacts c ON c.id = i.contact_id "
                "WHERE i.kind = ? AND i.value = ?"));
    stmt.BindInt(1, kind);
    stmt.BindText(2, value);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(
          absl::StrCat("no contact has ", v1::ContactIdentity::Kind_Name(kind),
                       " identity '", value, "'"));
    }
    return ReadContact(stmt, 0);
  }

  // Inserts into a (name UNIQUE, proto) table and returns the new id.
  template <typename Proto>
  absl::StatusOr<int64_t> InsertNamed(absl::string_view sql,
                                      absl::string_view what,
                                      const Proto& proto) {
    Proto stored = proto;
    stored.clear_id();
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, what));
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    stmt.BindText(1, proto.name());
    stmt.BindBlob(2, bytes);
    absl::Status status = stmt.Run();
    if (IsConstraint(status)) {
      return Taken(absl::StrCat(what, " name"), proto.name());
    }
    HELPDESK_RETURN_IF_ERROR(status);
    return LastRowId();
  }

  template <typename Proto>
  absl::StatusOr<Proto> GetById(absl::string_view sql, absl::string_view table,
                                absl::string_view what, int64_t id) {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    stmt.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFound(what, id);
    Proto proto;
    HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(0), table, id, &proto));
    proto.set_id(id);
    return proto;
  }

  absl::Status DoInsertOrganization(v1::Organization* organization) {
    HELPDESK_ASSIGN_OR_RETURN(
        int64_t id,
        InsertNamed("INSERT INTO organizations (name, proto) VALUES (?, ?)",
                    "organization", *organization));
    organization->set_id(id);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Organization> DoGetOrganization(int64_t id) {
    return GetById<v1::Organization>(
        "SELECT proto FROM organizations WHERE id = ?", "organizations",
        "organization", id);
  }

  // --- Agents and groups ---

  absl::Status DoInsertAgent(v1::Agent* agent) {
    v1::Agent stored = *agent;
    stored.clear_id();
    stored.clear_version();
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "agent"));
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT INTO agents (version, email, proto) VALUES (1, ?, ?)"));
    stmt.BindText(1, agent->email());
    stmt.BindBlob(2, bytes);
    absl::Status status = stmt.Run();
    if (IsConstraint(status)) return Taken("agent email", agent->email());
    HELPDESK_RETURN_IF_ERROR(status);
    agent->set_id(LastRowId());
    agent->set_version(1);
    return absl::OkStatus();
  }

  absl::Status DoUpdateAgent(v1::Agent* agent, int64_t expected_version) {
    const int64_t id = agent->id();
    v1::Agent stored = *agent;
    stored.clear_id();
    stored.clear_version();
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "agent"));
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("UPDATE agents SET version = ?, email = ?, proto = ? "
                "WHERE id = ? AND version = ?"));
    stmt.BindInt(1, expected_version + 1);
    stmt.BindText(2, agent->email());
    stmt.BindBlob(3, bytes);
    stmt.BindInt(4, id);
    stmt.BindInt(5, expected_version);
    absl::Status status = stmt.Run();
    if (IsConstraint(status)) return Taken("agent email", agent->email());
    HELPDESK_RETURN_IF_ERROR(status);
    if (Changes() == 0) {
      return VersionMismatch("SELECT version FROM agents WHERE id = ?", "agent",
                             id, expected_version);
    }
    agent->set_version(expected_version + 1);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Agent> ReadAgent(SqliteStatement& stmt) {
    const int64_t id = stmt.ColumnInt(0);
    v1::Agent agent;
    HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(2), "agents", id, &agent));
    agent.set_id(id);
    agent.set_version(stmt.ColumnInt(1));
    return agent;
  }

  absl::StatusOr<v1::Agent> DoGetAgent(int64_t id) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT id, version, proto FROM agents WHERE id = ?"));
    stmt.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFound("agent", id);
    return ReadAgent(stmt);
  }

  absl::StatusOr<std::vector<v1::Agent>> DoListAgents() {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT id, version, proto FROM agents ORDER BY id"));
    std::vector<v1::Agent> out;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, ReadAgent(stmt));
      out.push_back(std::move(agent));
    }
    return out;
  }

  absl::Status DoAppendAgentEvent(v1::AgentEvent* event) {
    if (event->agent_id() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agent_event.agent_id ", event->agent_id(), " must be positive"));
    }
    return AppendOwned("INSERT INTO agent_events (agent_id, proto) VALUES (?, ?)",
                       event->agent_id(), "agent event", event);
  }

  absl::StatusOr<std::vector<v1::AgentEvent>> DoListAgentEvents(
      int64_t agent_id, int64_t after_id, int limit) {
    return ListOwned<v1::AgentEvent>(
        "SELECT id, agent_id, proto FROM agent_events "
        "WHERE agent_id = ? AND id > ? ORDER BY id LIMIT ?",
        "agent_events", SetAgentOf, agent_id, after_id, limit);
  }

  absl::Status DoInsertGroup(v1::Group* group) {
    HELPDESK_ASSIGN_OR_RETURN(
        int64_t id, InsertNamed("INSERT INTO groups (name, proto) VALUES (?, ?)",
                                "group", *group));
    group->set_id(id);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Group> DoGetGroup(int64_t id) {
    return GetById<v1::Group>("SELECT proto FROM groups WHERE id = ?",
                              "groups", "group", id);
  }

  absl::StatusOr<std::vector<v1::Group>> DoListGroups() {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT id, proto FROM groups ORDER BY id"));
    std::vector<v1::Group> out;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      const int64_t id = stmt.ColumnInt(0);
      v1::Group& group = out.emplace_back();
      HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(1), "groups", id, &group));
      group.set_id(id);
    }
    return out;
  }

  // --- Attachments ---

  absl::Status DoPutAttachmentContent(absl::string_view sha256,
                                      absl::string_view content) {
    HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT OR IGNORE INTO attachments (sha256, content) "
                "VALUES (?, ?)"));
    stmt.BindText(1, sha256);
    stmt.BindBlob(2, content);
    return stmt.Run();
  }

  absl::StatusOr<std::string> DoGetAttachmentContent(absl::string_view sha256) {
    HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT content FROM attachments WHERE sha256 = ?"));
    stmt.BindText(1, sha256);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(
          absl::StrCat("no attachment content with sha256 ", sha256));
    }
    return std::string(stmt.ColumnBlob(0));
  }

  // --- Idempotency ---

  absl::StatusOr<std::string> DoGetIdempotencyRecord(absl::string_view scope,
                                                     absl::string_view key) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT value FROM idempotency WHERE scope = ? AND key = ?"));
    stmt.BindBlob(1, scope);
    stmt.BindBlob(2, key);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("no idempotency record for scope '",
                                              scope, "' key '", key, "'"));
    }
    return std::string(stmt.ColumnBlob(0));
  }

  absl::Status DoPutIdempotencyRecord(absl::string_view scope,
                                      absl::string_view key,
                                      absl::string_view value,
                                      absl::Time recorded_at) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT INTO idempotency (scope, key, value, recorded_us) "
                "VALUES (?, ?, ?, ?)"));
    stmt.BindBlob(1, scope);
    stmt.BindBlob(2, key);
    stmt.BindBlob(3, value);
    stmt.BindInt(4, ToUnixMicrosFloor(recorded_at));
    absl::Status status = stmt.Run();
    if (IsConstraint(status)) {
      return absl::AlreadyExistsError(
          absl::StrCat("idempotency record for scope '", scope, "' key '", key,
                       "' already exists"));
    }
    return status;
  }

  // --- Thread keys and outbox ---

  absl::Status DoPutThreadKey(absl::string_view key, int64_t ticket_id) {
    if (key.empty() || ticket_id <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "thread key '", key, "' for ticket ", ticket_id,
          ": the key must not be empty and the ticket id must be positive"));
    }
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT OR IGNORE INTO thread_keys (key, ticket_id) VALUES (?, ?)"));
    stmt.BindBlob(1, key);
    stmt.BindInt(2, ticket_id);
    return stmt.Run();
  }

  absl::StatusOr<int64_t> DoFindThreadKey(absl::string_view key) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT ticket_id FROM thread_keys WHERE key = ?"));
    stmt.BindBlob(1, key);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("no ticket has thread key '", key, "'"));
    }
    return stmt.ColumnInt(0);
  }



  static absl::Status CheckOutboxLimit(int limit) {
    if (limit >= 1 && limit <= 10000) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }

  absl::Status DoInsertOutbox(v1::OutboxEntry* entry) {
    HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "outbox entry"));
    v1::OutboxEntry stored = *entry;
    stored.clear_id();
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT INTO outbox (state, next_attempt_us, proto) VALUES (?, ?, ?)"));
    stmt.BindInt(1, stored.state());
    stmt.BindInt(2, TimestampToMicros(stored.next_attempt_at()));
    std::string blob = stored.SerializeAsString();
    stmt.BindBlob(3, blob);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    entry->set_id(LastRowId());
    return absl::OkStatus();
  }

  absl::Status DoUpdateOutbox(const v1::OutboxEntry& entry) {
    HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(entry, "outbox entry"));
    v1::OutboxEntry stored = entry;
    stored.clear_id();
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("UPDATE outbox SET state = ?, next_attempt_us = ?, proto = ? "
                "WHERE id = ?"));
    stmt.BindInt(1, stored.state());
    stmt.BindInt(2, TimestampToMicros(stored.next_attempt_at()));
    std::string blob = stored.SerializeAsString();
    stmt.BindBlob(3, blob);
    stmt.BindInt(4, entry.id());
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    if (Changes() == 0) return NotFound("outbox entry", entry.id());
    return absl::OkStatus();
  }



  absl::Status DoInsertQuarantine(v1::QuarantineEntry* entry) {
    HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "quarantine entry"));
    v1::QuarantineEntry stored = *entry;
    stored.clear_id();
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt, Prepare("INSERT INTO quarantine (state, proto) VALUES (?, ?)"));
    stmt.BindInt(1, stored.state());
    std::string blob = stored.SerializeAsString();
    stmt.BindBlob(2, blob);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    entry->set_id(LastRowId());
    return absl::OkStatus();
  }

  absl::Status DoUpdateQuarantine(const v1::QuarantineEntry& entry) {
    HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(entry, "quarantine entry"));
    v1::QuarantineEntry stored = entry;
    stored.clear_id();
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("UPDATE quarantine SET state = ?, proto = ? WHERE id = ?"));
    stmt.BindInt(1, stored.state());
    std::string blob = stored.SerializeAsString();
    stmt.BindBlob(2, blob);
    stmt.BindInt(3, entry.id());
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    if (Changes() == 0) return NotFound("quarantine entry", entry.id());
    return absl::OkStatus();
  }

  // Rows of (id, proto) of one table, each proto parsed and given its id.
  template <typename Proto>
  absl::StatusOr<std::vector<Proto>> ListRows(absl::string_view sql,
                                              absl::string_view table,
                                              std::initializer_list<int64_t> args) {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    int i = 1;
    for (int64_t a : args) stmt.BindInt(i++, a);
    std::vector<Proto> out;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      const int64_t id = stmt.ColumnInt(0);
      Proto& e = out.emplace_back();
      HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(1), table, id, &e));
      e.set_id(id);
    }
    return out;
  }

  // Ends the transaction on the connection and hands the connection back.
  void Release();

  SqliteStore* store_;
  SqliteConnection* connection_;
  std::unique_ptr<SqliteConnection> reader_;  // null when on the writer
  const TransactionMode mode_;
  State state_ = State::kOpen;
  absl::Status failure_;
  bool released_ = false;
};

// The Store. See the file comment for the connection design.
//
// Thread safety: Begin() may be called from any thread; mu_ guards the writer
// slot and the idle reader pool.
class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, SqliteStoreOptions options,
              std::unique_ptr<SqliteConnection> writer)
      : path_(std::move(path)),
        options_(std::move(options)),
        in_memory_(path_ == kInMemoryPath),
        writer_(std::move(writer)),
        writer_syncs_commits_(options_.synchronous == "FULL") {}

  absl::string_view Name() const override { return "helpdesk.sqlite"; }

  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    const TransactionMode mode = options.mode;
    if (mode == TransactionMode::kReadWrite || in_memory_) {
      HELPDESK_RETURN_IF_ERROR(AcquireWriter());
      absl::Status status = SetCommitSync(mode == TransactionMode::kReadWrite &&
                                          options.durable);
      if (status.ok()) {
        status = writer_->Execute(
            mode == TransactionMode::kReadWrite ? "BEGIN IMMEDIATE" : "BEGIN");
      }
      if (status.ok() && mode == TransactionMode::kReadOnly) {
        status = StartSnapshot(*writer_);
      }
      if (!status.ok()) {
        if (writer_->InTransaction()) (void)writer_->Execute("ROLLBACK");
        ReleaseWriter();
        return status;
      }
      return std::unique_ptr<Transaction>(
          new SqliteTransaction(this, writer_.get(), nullptr, mode));
    }
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> reader,
                              TakeReader());
    absl::Status status = reader->Execute("BEGIN");
    if (status.ok()) status = StartSnapshot(*reader);
    if (!status.ok()) {
      if (reader->InTransaction()) (void)reader->Execute("ROLLBACK");
      return status;  // drops the reader
    }
    SqliteConnection* raw = reader.get();
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(this, raw, std::move(reader), mode));
  }

  void ReleaseWriter() {
    absl::MutexLock lock(&mu_);
    writer_taken_ = false;
  }

  void ReturnReader(std::unique_ptr<SqliteConnection> reader) {
    absl::MutexLock lock(&mu_);
    if (idle_readers_.size() < kMaxIdleReaders) {
      idle_readers_.push_back(std::move(reader));
    }
  }

 private:
  bool WriterFree() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !writer_taken_;
  }

  // Makes the writer's next commit sync the WAL (synchronous = FULL) when
  // `durable` or when the store is configured FULL, else sets the configured
  // NORMAL back. SQLite refuses to change the setting inside a transaction,
  // so it is set here, before BEGIN, and left until a transaction needs the
  // other value: a stream of durable commits sets it once. Called with the
  // writer slot held.
  absl::Status SetCommitSync(bool durable) {
    if (in_memory_) return absl::OkStatus();  // nothing to sync
    const bool full = durable || options_.synchronous == "FULL";
    if (full == writer_syncs_commits_) return absl::OkStatus();
    HELPDESK_RETURN_IF_ERROR(writer_->Execute(
        full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
    writer_syncs_commits_ = full;
    return absl::OkStatus();
  }

  // Waits up to busy_timeout for this store's read-write connection.
  absl::Status AcquireWriter() {
    bool free = mu_.LockWhenWithTimeout(
        absl::Condition(this, &SqliteStore::WriterFree), options_.busy_timeout);
    if (free) writer_taken_ = true;
    mu_.Unlock();
    if (free) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        "sqlite database '", path_,
        "': another transaction of this store held the database for longer "
        "than busy_timeout (",
        absl::FormatDuration(options_.busy_timeout), ")"));
  }

  absl::StatusOr<std::unique_ptr<SqliteConnection>> TakeReader() {
    {
      absl::MutexLock lock(&mu_);
      if (!idle_readers_.empty()) {
        std::unique_ptr<SqliteConnection> reader =
            std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return reader;
      }
    }
    HELPDESK_ASSIGN_OR_RETURN(
        std::unique_ptr<SqliteConnection> reader,
        SqliteConnection::Open(OpenName(path_), SQLITE_OPEN_READWRITE,
                               BusyTimeoutMillis(options_.busy_timeout),
                               options_.vfs));
    HELPDESK_RETURN_IF_ERROR(reader->Execute("PRAGMA query_only = 1"));
    return reader;
  }

  // BEGIN is deferred: the snapshot would start at the first read. Read now,
  // so the transaction sees the database as of Begin().
  static absl::Status StartSnapshot(SqliteConnection& connection) {
    return connection.Execute("SELECT 1 FROM sqlite_schema LIMIT 1");
  }

  const std::string path_;
  const SqliteStoreOptions options_;
  const bool in_memory_;
  absl::Mutex mu_;
  bool writer_taken_ ABSL_GUARDED_BY(mu_) = false;
  // Used only by the transaction that holds the writer slot (writer_taken_
  // set by AcquireWriter, cleared by ReleaseWriter). That slot is held across
  // calls by a SqliteTransaction, which the thread-safety analysis cannot
  // follow, so these two are not ABSL_GUARDED_BY anything.
  std::unique_ptr<SqliteConnection> writer_;
  // Whether the writer runs with synchronous = FULL now (see SetCommitSync).
  // Used only with the writer slot held.
  bool writer_syncs_commits_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_
      ABSL_GUARDED_BY(mu_);
};

SqliteTransaction::~SqliteTransaction() {
  if (!released_) {
    if (connection_->InTransaction()) {
      (void)connection_->Execute("ROLLBACK");
    }
    Release();
  }
}

absl::Status SqliteTransaction::Commit() {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  absl::Status status = connection_->Execute("COMMIT");
  if (status.ok()) {
    state_ = State::kCommitted;
  } else {
    state_ = State::kFailed;
    failure_ = status;
    if (connection_->InTransaction()) (void)connection_->Execute("ROLLBACK");
  }
  Release();
  return status;
}

void SqliteTransaction::Release() {
  if (released_) return;
  released_ = true;
  if (reader_ == nullptr) {
    store_->ReleaseWriter();
  } else if (!reader_->InTransaction()) {
    store_->ReturnReader(std::move(reader_));
  }
  // A reader still in a transaction (ROLLBACK failed) is closed with us.
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    absl::string_view path_view, const SqliteStoreOptions& options) {
  const std::string path(path_view);
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "sqlite store path '' is empty; use \":memory:\" for an in-memory "
        "database");
  }
  if (options.synchronous != "NORMAL" && options.synchronous != "FULL") {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.synchronous '",
        absl::CHexEscape(options.synchronous),
        "' for '", path, "' must be \"NORMAL\" or \"FULL\""));
  }
  if (options.wal_autocheckpoint_pages < 1 ||
      options.wal_autocheckpoint_pages > 1000000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.wal_autocheckpoint_pages ",
        options.wal_autocheckpoint_pages, " for '", path,
        "' is out of range [1, 1000000]"));
  }
  if (options.busy_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.busy_timeout ",
        absl::FormatDuration(options.busy_timeout), " for '", path,
        "' must not be negative"));
  }
  if (!options.vfs.empty() && sqlite3_vfs_find(options.vfs.c_str()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.vfs '", absl::CHexEscape(options.vfs), "' for '",
        path, "' is not a registered SQLite VFS"));
  }
  const bool in_memory = path == kInMemoryPath;
  if (!in_memory) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) {
      if (!options.create_if_missing) {
        return absl::NotFoundError(absl::StrCat(
            "sqlite database '", path,
            "' does not exist (and create_if_missing is false)"));
      }
    } else if (S_ISDIR(info.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sqlite database path '", path, "' is a directory"));
    }
  }
  int flags = SQLITE_OPEN_READWRITE;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  const int busy_ms = BusyTimeoutMillis(options.busy_timeout);

  absl::StatusOr<std::unique_ptr<SqliteConnection>> opened =
      SqliteConnection::Open(in_memory ? path : OpenName(path),
                             flags, busy_ms, options.vfs);
  if (!opened.ok()) {
    struct stat info;
    if (!options.create_if_missing && ::stat(path.c_str(), &info) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "sqlite database '", path,
          "' does not exist (and create_if_missing is false)"));
    }
    return opened.status();
  }
  std::unique_ptr<SqliteConnection> connection = std::move(opened).value();

  // Refines the errors of the first reads: a file that is not SQLite at all
  // is the caller's mistake, not damage.
  auto refine = [&](absl::Status status) {
    if ((SqliteCodeOf(status) & 0xff) == SQLITE_NOTADB) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path, "' is not a SQLite database (", status.message(), ")"));
    }
    return status;
  };

  // Nothing is written before the file is known to be empty or ours. The
  // open sequence retries SQLITE_BUSY itself (RetryWhileBusy) where SQLite
  // does not call the busy handler: another process may be creating this very
  // file, and its WAL switch and schema need a moment.
  internal::SqliteFileState state;
  HELPDESK_RETURN_IF_ERROR(refine(connection->RetryWhileBusy([&] {
    absl::StatusOr<internal::SqliteFileState> read =
        internal::ReadFileState(*connection);
    if (read.ok()) state = *read;
    return read.status();
  })));
  HELPDESK_RETURN_IF_ERROR(internal::CheckFileIsOurs(state, path));
  // Opening an existing database must not create one: an empty file (a
  // mistyped path, a file truncated by accident) is refused, untouched.
  if (!in_memory && !options.create_if_missing && internal::IsEmpty(state)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sqlite database '", path,
        "' is not a helpdesk database: the file is empty (create_if_missing "
        "is false); create the database first, e.g. with 'helpdesk init --db ",
        path, "'"));
  }

  if (!in_memory) {
    // Changing the journal mode needs an exclusive lock, and SQLite returns
    // SQLITE_BUSY at once (no busy handler) while any other connection holds
    // a lock on the file, e.g. a second store opening it at the same time.
    HELPDESK_RETURN_IF_ERROR(refine(connection->RetryWhileBusy(
        [&]() -> absl::Status {
          // In a block: the statement is reset when it ends.
          HELPDESK_ASSIGN_OR_RETURN(
              SqliteStatement wal,
              connection->Prepare("PRAGMA journal_mode = WAL"));
          HELPDESK_ASSIGN_OR_RETURN(bool row, wal.Step());
          if (!row || wal.ColumnText(0) != "wal") {
            return absl::UnavailableError(absl::StrCat(
                "sqlite database '", path,
                "': could not switch to WAL mode (got '",
                row ? wal.ColumnText(0) : "", "')"));
          }
          return absl::OkStatus();
        })));
  }
  // The values were checked above: one of two fixed words, and a number in
  // range. The writer gets a
  // 32 MiB page cache (SQLite's default is 2 MiB): inserts update several
  // ticket indexes at random places, and a small cache spills them to the
  // WAL page by page (measured: 2x slower loading 300,000 tickets).
  HELPDESK_RETURN_IF_ERROR(refine(connection->ExecuteScript(absl::StrCat(
      "PRAGMA synchronous = ", options.synchronous,
      "; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = ",
      options.wal_autocheckpoint_pages, ";"))));
  // Each step re-reads the version inside BEGIN IMMEDIATE and rolls back on
  // failure, so running it again after SQLITE_BUSY is safe.
  HELPDESK_RETURN_IF_ERROR(refine(connection->RetryWhileBusy(
      [&] { return internal::MigrateToCurrentVersion(*connection); })));
  return std::unique_ptr<Store>(
      new SqliteStore(path, options, std::move(connection)));
}

}  // namespace helpdesk
