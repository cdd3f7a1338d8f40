// Internal: SqliteTransaction, the Transaction port over one SQLite
// connection, shared by the files that implement it.
//
// The class is declared here with its plumbing inline (the state checks that
// every port method runs, savepoints, statement and row helpers); most port
// methods check the transaction's state and forward to a Do... member (the
// forwarding, the same as PostgresTransaction's, is CheckedTransaction's in
// checked_transaction.h), defined in the file for its entity:
// sqlite_tickets.cc (tickets, messages, attachment content, thread keys),
// sqlite_people.cc (contacts, organizations, agents, groups) and
// sqlite_events.cc (ticket and agent events, outbox, quarantine, idempotency
// records). The store that hands out connections, and the
// transaction's begin and end, are in sqlite_store.cc, whose opening comment
// describes the layout, concurrency and durability design.
//
// Thread safety: a transaction is used by one thread at a time, as store.h
// requires.
#ifndef HELPDESK_SRC_STORAGE_SQLITE_TRANSACTION_H_
#define HELPDESK_SRC_STORAGE_SQLITE_TRANSACTION_H_

#include <climits>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/store.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "storage/checked_transaction.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_kb_cache.h"
#include "storage/ticket_claim.h"

namespace helpdesk::internal {

class SqliteStore;

// The store's knowledge base index in memory (sqlite_store.cc).
SqliteKbSearchCache& KbSearchCacheOf(SqliteStore& store);

// One transaction on one connection: the store's writer (read-write, and
// every transaction of an in-memory store) or an owned reader.
//
// Thread safety: used by one thread at a time, as store.h requires.
class SqliteTransaction final : public CheckedTransaction<SqliteTransaction> {
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

  // Reports' narrow read of a period (sqlite_events.cc).
  absl::StatusOr<int> VisitEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(const v1::Event&)> visit) override;
  absl::StatusOr<int> VisitEncodedEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, int64_t, absl::string_view)> visit) override;

  // Knowledge base (sqlite_kb.cc).
  absl::StatusOr<v1::KbArticle> GetKbArticle(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::KbArticle>("SELECT proto FROM kb_articles WHERE id = ?",
                                        "kb_articles", "article", id));
  }
  absl::StatusOr<std::vector<v1::KbArticle>> ListKbArticles(int64_t after_id,
                                                            int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(ListRows<v1::KbArticle>(
        "SELECT id, proto FROM kb_articles WHERE id > ? ORDER BY id LIMIT ?", "kb_articles",
        {after_id, limit}));
  }
  absl::StatusOr<v1::KbSuggestionSession> GetKbSuggestionSession(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::KbSuggestionSession>("SELECT proto FROM kb_sessions WHERE id = ?",
                                                  "kb_sessions", "suggestion session", id));
  }
  absl::StatusOr<std::vector<v1::KbSuggestionSession>> ListKbSuggestionSessions(
      int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(ListRows<v1::KbSuggestionSession>(
        "SELECT id, proto FROM kb_sessions WHERE id > ? ORDER BY id LIMIT ?", "kb_sessions",
        {after_id, limit}));
  }

  absl::StatusOr<v1::OutboxEntry> GetOutbox(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::OutboxEntry>("SELECT proto FROM outbox WHERE id = ?",
                                          "outbox", "outbox entry", id));
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

  // Automation (issue 14; sqlite_automation.cc).
  absl::StatusOr<std::vector<int64_t>> ListDueAutomations(absl::Time now,
                                                          int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(DoListDueAutomations(now, limit));
  }

  absl::StatusOr<v1::QuarantineEntry> GetQuarantine(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::QuarantineEntry>("SELECT proto FROM quarantine WHERE id = ?",
                                              "quarantine", "quarantine entry", id));
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

 private:
  friend class CheckedTransaction<SqliteTransaction>;

  enum class State { kOpen, kCommitted, kFailed };

  // Statuses and serialization shared by the entity files.
  static bool IsConstraint(const absl::Status& status) {
    return (SqliteCodeOf(status) & 0xff) == SQLITE_CONSTRAINT;
  }

  static absl::Status NotFound(absl::string_view what, int64_t id) {
    return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
  }

  static absl::Status StaleVersion(absl::string_view what, int64_t id,
                                   int64_t expected, int64_t stored) {
    return absl::AbortedError(absl::StrCat(what, " ", id, ": expected version ",
                                           expected, ", stored version ", stored));
  }

  template <typename Proto>
  static absl::StatusOr<std::string> Serialize(const Proto& proto,
                                               absl::string_view what) {
    std::string bytes;
    if (!proto.SerializeToString(&bytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " is too large to store"));
    }
    return bytes;
  }

  // `proto`'s bytes as stored: without its id (the row's key holds it). The
  // id is cleared on `proto` itself while it is serialized and then put
  // back: a copy would copy every field (an event's changes, an outbox
  // entry's rendered bodies) only to drop one.
  template <typename Proto>
  static absl::StatusOr<std::string> SerializeWithoutId(Proto* proto,
                                                        absl::string_view what) {
    const int64_t id = proto->id();
    proto->clear_id();
    absl::StatusOr<std::string> bytes = Serialize(*proto, what);
    proto->set_id(id);
    return bytes;
  }
  // The same without the id and the version (a versioned row's columns).
  template <typename Proto>
  static absl::StatusOr<std::string> SerializeWithoutIdAndVersion(Proto* proto,
                                                                  absl::string_view what) {
    const int64_t version = proto->version();
    proto->clear_version();
    absl::StatusOr<std::string> bytes = SerializeWithoutId(proto, what);
    proto->set_version(version);
    return bytes;
  }

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

  static absl::Status CheckOutboxLimit(int limit) {
    if (limit >= 1 && limit <= 10000) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }

  // In sqlite_kb.cc.
  absl::Status DoInsertKbArticle(v1::KbArticle* article);
  absl::Status DoUpdateKbArticle(v1::KbArticle* article, int64_t expected_version);
  absl::Status WriteKbIndex(const v1::KbArticle& article, bool replace);
  absl::StatusOr<std::vector<KbSearchHit>> KbHitsWithDisplay(
      const std::vector<KbIndexHit>& hits);
  absl::StatusOr<std::vector<KbSearchHit>> DoSearchKbArticles(const KbSearchRequest& request);
  absl::Status DoInsertKbSuggestionSession(v1::KbSuggestionSession* session);
  absl::Status DoUpdateKbSuggestionSession(const v1::KbSuggestionSession& session);
  // In sqlite_automation.cc (issue 14).
  absl::Status CheckTicketExists(int64_t id);
  absl::Status DoSetTicketAutomationDue(int64_t id, std::optional<absl::Time> due);

  // Leases (sqlite_lease.cc, issue 17): the leases table of schema step 12.
 public:
  absl::Status CheckLease(absl::string_view name, absl::string_view holder,
                          int64_t token) override {
    HELPDESK_RETURN_IF_ERROR(ValidateLease(name, holder, absl::Seconds(1)));
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(DoCheckLease(name, holder, token));
  }
  // Store::AcquireLease / ReleaseLease inside this read-write transaction.
  absl::StatusOr<Lease> AcquireLeaseInTx(absl::string_view name, absl::string_view holder,
                                         absl::Duration ttl, absl::Time now);
  absl::Status ReleaseLeaseInTx(absl::string_view name, absl::string_view holder);

 private:
  absl::StatusOr<std::optional<Lease>> LoadLease(absl::string_view name);
  absl::Status DoCheckLease(absl::string_view name, absl::string_view holder, int64_t token);
  absl::StatusOr<std::optional<absl::Time>> DoGetTicketAutomationDue(int64_t id);
  absl::StatusOr<std::vector<int64_t>> DoListDueAutomations(absl::Time now, int limit);
  absl::StatusOr<v1::RuleFirings> DoGetRuleFirings(int64_t id);
  absl::Status DoSetRuleFirings(int64_t id, const v1::RuleFirings& firings);

  // In sqlite_tickets.cc.

  absl::StatusOr<v1::Ticket> DoGetTicket(int64_t id);
  // Reports' read of tickets' stored bytes (sqlite_tickets.cc).
  absl::StatusOr<int> DoVisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit);
  static int64_t SlaDeadlineColumn(const v1::Ticket& ticket);
  // Serializes `ticket` in place (StoredTicketBytes: its id and version are
  // cleared while it is, then put back).
  absl::Status BindTicketColumns(SqliteStatement& stmt, v1::Ticket* ticket,
                                 int64_t version);
  absl::Status WriteTicketSideTables(int64_t id, const v1::Ticket& ticket,
                                     bool replace);
  // Writes the tickets rows held back (pending_tickets_), each once, as it
  // stands now. Every statement that reads or writes tickets, ticket_tags or
  // ticket_ccs other than through the pending rows runs it first (Commit,
  // QueryTickets, CountTickets, VisitEncodedTickets, DeleteTicket, an insert
  // with its own id); so no reader sees the table without them. A failure
  // fails the transaction (FailAfterPartialWrite).
  absl::Status FlushPendingTickets();
  // The id AUTOINCREMENT would give the next ticket inserted now.
  absl::StatusOr<int64_t> NextTicketId();
  absl::Status DoInsertTicket(v1::Ticket* ticket);
  absl::Status DoUpdateTicket(v1::Ticket* ticket, int64_t expected_version);
  absl::Status DoSetTicketSlaDeadline(int64_t id,
                                      std::optional<absl::Time> deadline);
  absl::StatusOr<TicketPage> DoQueryTickets(const TicketQuery& query);
  absl::Status DoInsertMessage(v1::Message* message);
  absl::StatusOr<v1::Message> DoGetMessage(int64_t id);
  absl::StatusOr<std::vector<v1::Message>> DoListMessages(int64_t ticket_id);
  absl::StatusOr<int64_t> DoMoveMessages(int64_t from_ticket,
                                         int64_t to_ticket);
  absl::Status DoPutAttachmentContent(absl::string_view sha256,
                                      absl::string_view content);
  absl::StatusOr<std::string> DoGetAttachmentContent(absl::string_view sha256);
  absl::Status DoPutThreadKey(absl::string_view key, int64_t ticket_id);
  absl::StatusOr<int64_t> DoFindThreadKey(absl::string_view key);

  // In sqlite_people.cc.

  absl::Status WriteIdentities(int64_t id, const v1::Contact& contact);
  absl::Status DoInsertContact(v1::Contact* contact);
  absl::Status DoUpdateContact(v1::Contact* contact, int64_t expected_version);
  absl::StatusOr<v1::Contact> ReadContact(SqliteStatement& stmt,
                                          int first_column);
  absl::StatusOr<v1::Contact> DoGetContact(int64_t id);
  absl::StatusOr<v1::Contact> DoFindContactByIdentity(
      v1::ContactIdentity::Kind kind, absl::string_view value);
  template <typename Proto>
  absl::StatusOr<int64_t> InsertNamed(absl::string_view sql,
                                      absl::string_view what,
                                      const Proto& proto);
  absl::Status DoInsertOrganization(v1::Organization* organization);
  absl::StatusOr<v1::Organization> DoGetOrganization(int64_t id);
  absl::Status DoInsertAgent(v1::Agent* agent);
  absl::Status DoUpdateAgent(v1::Agent* agent, int64_t expected_version);
  absl::StatusOr<v1::Agent> ReadAgent(SqliteStatement& stmt);
  absl::StatusOr<v1::Agent> DoGetAgent(int64_t id);
  absl::StatusOr<std::vector<v1::Agent>> DoListAgents();
  absl::Status DoInsertGroup(v1::Group* group);
  absl::StatusOr<v1::Group> DoGetGroup(int64_t id);
  absl::StatusOr<std::vector<v1::Group>> DoListGroups();

  // In sqlite_events.cc.

  absl::Status DoAppendEvent(v1::Event* event);
  template <typename Proto>
  absl::Status AppendOwned(absl::string_view sql, int64_t owner,
                           absl::string_view what, Proto* row);
  template <typename Proto, typename SetOwner>
  absl::StatusOr<std::vector<Proto>> ReadOwned(SqliteStatement& stmt,
                                               absl::string_view table,
                                               SetOwner set_owner);
  template <typename Proto, typename SetOwner>
  absl::StatusOr<std::vector<Proto>> ListOwned(absl::string_view sql,
                                               absl::string_view table,
                                               SetOwner set_owner, int64_t owner,
                                               int64_t after_id, int limit);
  static void SetTicketOf(v1::Event& e, int64_t ticket_id);
  static void SetAgentOf(v1::AgentEvent& e, int64_t agent_id);
  absl::StatusOr<std::vector<v1::Event>> DoListTicketEvents(int64_t ticket_id,
                                                            int64_t after_id,
                                                            int limit);
  absl::StatusOr<std::vector<v1::Event>> DoListEventsSince(int64_t after_id,
                                                           int limit);
  absl::StatusOr<int64_t> DoLastEventId();
  absl::StatusOr<SqliteStatement> PrepareEventsBetween(absl::Time from, absl::Time to,
                                                       int64_t after_id, int limit);
  absl::StatusOr<std::vector<v1::Event>> DoListEventsBetween(absl::Time from, absl::Time to,
                                                             int64_t after_id, int limit);
  absl::Status DoAppendAgentEvent(v1::AgentEvent* event);
  absl::StatusOr<std::vector<v1::AgentEvent>> DoListAgentEvents(
      int64_t agent_id, int64_t after_id, int limit);
  absl::StatusOr<std::string> DoGetIdempotencyRecord(absl::string_view scope,
                                                     absl::string_view key);
  absl::Status DoPutIdempotencyRecord(absl::string_view scope,
                                      absl::string_view key,
                                      absl::string_view value,
                                      absl::Time recorded_at);
  absl::Status DoInsertOutbox(v1::OutboxEntry* entry);
  absl::Status DoUpdateOutbox(const v1::OutboxEntry& entry);
  absl::Status DoInsertQuarantine(v1::QuarantineEntry* entry);
  absl::Status DoUpdateQuarantine(const v1::QuarantineEntry& entry);

  // In sqlite_tracking.cc.

  absl::Status DoPutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                  absl::Time created_at);
  absl::StatusOr<TrackingTokenRecord> DoLookupTrackingToken(absl::string_view token_sha256);
  absl::StatusOr<std::optional<TrackingTokenRecord>> DoGetTrackingTokenOfTicket(
      int64_t ticket_id);
  absl::StatusOr<bool> DoRevokeTrackingToken(int64_t ticket_id);
  // In sqlite_views.cc (issue 16).

  absl::StatusOr<int64_t> DoCountTickets(const TicketQuery& query);
  absl::Status DoInsertView(v1::SavedView* view);
  absl::Status DoUpdateView(v1::SavedView* view, int64_t expected_version);
  absl::StatusOr<v1::SavedView> ReadView(SqliteStatement& stmt);
  absl::StatusOr<v1::SavedView> DoGetView(int64_t id);
  absl::Status DoDeleteView(int64_t id);
  absl::StatusOr<std::vector<v1::SavedView>> DoListViews(
      std::optional<int64_t> owner_agent_id);
  absl::Status DoInsertTimeEntry(v1::TimeEntry* entry);
  absl::StatusOr<std::vector<v1::TimeEntry>> DoListTimeEntries(int64_t ticket_id);
  absl::StatusOr<std::vector<v1::TimeEntry>> DoListTimeEntriesLogged(
      const TimeRange& range);
  // In sqlite_privacy.cc (issue 16).

  absl::Status DoRedactMessage(const v1::Message& message);
  absl::Status DoRedactEvent(const v1::Event& event);
  absl::Status DoDeleteTicket(int64_t id);
  absl::StatusOr<std::vector<std::string>> DoListOrphanAttachments(absl::string_view after,
                                                                   int limit);
  absl::StatusOr<bool> DoDeleteAttachmentContent(absl::string_view sha256);

  // Ends the transaction on the connection and hands the connection back.
  void Release();

  SqliteStore* store_;
  SqliteConnection* connection_;
  std::unique_ptr<SqliteConnection> reader_;  // null when on the writer
  const TransactionMode mode_;
  State state_ = State::kOpen;
  absl::Status failure_;
  bool released_ = false;
  // The knowledge base writes of this transaction, for the store's index in
  // memory at commit (sqlite_kb_cache.h): the generation before the first
  // and after the last, each article's change, and whether every write
  // recorded its change (a write that failed half way did not).
  bool kb_wrote_ = false;
  bool kb_changes_complete_ = true;
  int64_t kb_generation_before_ = 0;
  int64_t kb_generation_after_ = 0;
  std::vector<KbIndexChange> kb_changes_;
  // Tickets this transaction inserted with a store-assigned id, whose
  // tickets row (and tag and CC rows) are not written yet: each as the
  // caller last stored it (insert, updates, SLA deadline), by id. A ticket
  // inserted and then changed in one transaction (Ingest's new ticket and
  // the rules' changes to it) is so written once, as it ends, instead of
  // inserted and rewritten; what is stored, its id and version are those
  // the writes in turn would have left. See FlushPendingTickets.
  std::map<int64_t, v1::Ticket> pending_tickets_;
  // The id the next pending ticket takes (0: not read yet).
  int64_t next_ticket_id_ = 0;
};

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_SQLITE_TRANSACTION_H_
