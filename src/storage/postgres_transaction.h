// Internal: PostgresTransaction, the Transaction port over one pooled libpq
// connection, shared by the files that implement it.
//
// Most port methods check the transaction's state and forward to a Do...
// member (the forwarding, the same as SqliteTransaction's, is
// CheckedTransaction's in checked_transaction.h), defined in the file for its
// entity: postgres_tickets.cc (tickets,
// messages, attachment content, thread keys), postgres_people.cc (contacts,
// organizations, agents, groups) and postgres_events.cc (ticket and agent
// events, outbox, quarantine, idempotency records), postgres_views.cc (saved
// views, time entries), postgres_tracking.cc (tracking links),
// postgres_automation.cc (automation due times, rule firings) and
// postgres_kb.cc (knowledge base). Begin, Commit and the pool are in
// postgres_store.cc.
//
// The schema's writer lock (see postgres_store.cc) is taken by a read-write
// transaction just before its first call that reads or writes shared state
// (CheckOpen), so every such call, and every read of it, runs serialised with
// the read-write transactions of every process, as when the lock was taken at
// BEGIN. The one call that runs before it without waiting is InsertTicket of
// a new ticket (id 0): its rows (the ticket, its tags and CCs, under a fresh
// id from the sequence) are unseen by, and lock nothing of, any other
// transaction until the commit, so concurrent creates need not queue; a later
// call of the same transaction takes the lock then.
//
// Any error the server reports aborts a PostgreSQL transaction; such an error
// (or a lost connection) marks this transaction failed, so every later call
// and Commit() are refused and nothing of it is committed. Errors the store
// finds before it sends anything (a bad argument, a missing row, a stale
// version, a taken name) leave the transaction usable: writes check what
// could conflict before they write (read-write transactions hold the schema's
// writer lock, so nothing changes between the check and the write).
//
// Thread safety: used by one thread at a time, as store.h requires.
#ifndef HELPDESK_SRC_STORAGE_POSTGRES_TRANSACTION_H_
#define HELPDESK_SRC_STORAGE_POSTGRES_TRANSACTION_H_

#include <climits>
#include <cstdint>
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
#include "storage/postgres_connection.h"

namespace helpdesk::internal {

class PostgresStoreImpl;

// One transaction on one pooled connection; BEGIN has already run on it.
//
// Thread safety: used by one thread at a time, as store.h requires.
class PostgresTransaction final : public CheckedTransaction<PostgresTransaction> {
 public:
  PostgresTransaction(PostgresStoreImpl* store,
                      std::unique_ptr<PgConnection> connection,
                      TransactionMode mode)
      : store_(store), connection_(std::move(connection)), mode_(mode) {}
  ~PostgresTransaction() override;

  absl::Status Commit() override;

  // Reports' read of a period: the page ListEventsBetween reads, visited (no
  // narrower read here yet: the rows come back in one result either way).
  absl::StatusOr<int> VisitEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(const v1::Event&)> visit) override {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> page,
                              ListEventsBetween(from, to, after_id, limit));
    for (const v1::Event& e : page) HELPDESK_RETURN_IF_ERROR(visit(e));
    return static_cast<int>(page.size());
  }

  // A new ticket (id 0) is inserted without the writer lock; any other
  // ticket (an id given) takes it first (its check of the id and the
  // sequence's catch-up are check-then-write).
  absl::Status InsertTicket(v1::Ticket* ticket) override {
    HELPDESK_RETURN_IF_ERROR(CheckState());
    if (mode_ != TransactionMode::kReadWrite) return ReadOnlyWrite();
    if (ticket->id() != 0) HELPDESK_RETURN_IF_ERROR(CheckWritable());
    return Watch(DoInsertTicket(ticket));
  }

  absl::StatusOr<v1::OutboxEntry> GetOutbox(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::OutboxEntry>("SELECT proto FROM outbox WHERE id = $1",
                                          "outbox", "outbox entry", id));
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListDueOutbox(absl::Time now,
                                                             int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(ListRows<v1::OutboxEntry>(
        "SELECT id, proto FROM outbox WHERE state = $1 AND next_attempt_us <= $2 "
        "ORDER BY next_attempt_us, id LIMIT $3", "outbox",
        {static_cast<int64_t>(v1::OutboxEntry::PENDING), ToUnixMicrosFloor(now), limit}));
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutbox(
      std::optional<v1::OutboxEntry::State> state, int64_t after_id,
      int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    if (state) {
      return Watch(ListRows<v1::OutboxEntry>(
          "SELECT id, proto FROM outbox WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3",
          "outbox",
          {static_cast<int64_t>(*state), after_id, limit}));
    }
    return Watch(ListRows<v1::OutboxEntry>(
        "SELECT id, proto FROM outbox WHERE id > $1 ORDER BY id LIMIT $2", "outbox",
        {after_id, limit}));
  }

  absl::StatusOr<v1::QuarantineEntry> GetQuarantine(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::QuarantineEntry>("SELECT proto FROM quarantine WHERE id = $1",
                                              "quarantine", "quarantine entry", id));
  }
  absl::StatusOr<std::vector<v1::QuarantineEntry>> ListQuarantine(
      std::optional<v1::QuarantineEntry::State> state, int64_t after_id,
      int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    if (state) {
      return Watch(ListRows<v1::QuarantineEntry>(
          "SELECT id, proto FROM quarantine WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3",
          "quarantine", {static_cast<int64_t>(*state), after_id, limit}));
    }
    return Watch(ListRows<v1::QuarantineEntry>(
        "SELECT id, proto FROM quarantine WHERE id > $1 ORDER BY id LIMIT $2", "quarantine",
        {after_id, limit}));
  }

  // --- Knowledge base (postgres_kb.cc) ---
  absl::StatusOr<v1::KbArticle> GetKbArticle(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::KbArticle>("SELECT proto FROM kb_articles WHERE id = $1",
                                        "kb_articles", "article", id));
  }
  absl::StatusOr<std::vector<v1::KbArticle>> ListKbArticles(int64_t after_id,
                                                            int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(ListRows<v1::KbArticle>(
        "SELECT id, proto FROM kb_articles WHERE id > $1 ORDER BY id LIMIT $2", "kb_articles",
        {after_id, limit}));
  }
  absl::StatusOr<v1::KbSuggestionSession> GetKbSuggestionSession(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return Watch(GetById<v1::KbSuggestionSession>("SELECT proto FROM kb_sessions WHERE id = $1",
                                                  "kb_sessions", "suggestion session", id));
  }
  absl::StatusOr<std::vector<v1::KbSuggestionSession>> ListKbSuggestionSessions(
      int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(ListRows<v1::KbSuggestionSession>(
        "SELECT id, proto FROM kb_sessions WHERE id > $1 ORDER BY id LIMIT $2", "kb_sessions",
        {after_id, limit}));
  }

  // --- Automation state (postgres_automation.cc) ---
  absl::StatusOr<std::vector<int64_t>> ListDueAutomations(absl::Time now,
                                                          int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckOutboxLimit(limit));
    return Watch(DoListDueAutomations(now, limit));
  }

 private:
  friend class CheckedTransaction<PostgresTransaction>;

  enum class State { kOpen, kCommitted, kFailed };

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

  // The state check of every call, then (read-write transactions) the
  // writer lock, taken once.
  absl::Status CheckOpen() {
    HELPDESK_RETURN_IF_ERROR(CheckState());
    if (mode_ == TransactionMode::kReadWrite && !writer_locked_) return LockWriter();
    return absl::OkStatus();
  }
  absl::Status ReadOnlyWrite() const {
    return absl::FailedPreconditionError(
        absl::StrCat(connection_describe_, ": write in a read-only transaction"));
  }
  // Takes the schema's writer lock (postgres_store.cc); waits at most
  // busy_timeout, then Unavailable and the transaction is failed.
  absl::Status LockWriter();
  // The statement that takes it.
  const std::string& store_writer_lock() const;

  absl::Status CheckState() const {
    switch (state_) {
      case State::kOpen:
        return absl::OkStatus();
      case State::kCommitted:
        return absl::FailedPreconditionError(absl::StrCat(
            connection_describe_, ": the transaction has already been committed"));
      case State::kFailed:
        return absl::FailedPreconditionError(absl::StrCat(
            connection_describe_,
            ": the transaction was rolled back by an earlier error (",
            failure_.ToString(), "); begin a new one"));
    }
    return absl::InternalError("unknown transaction state");
  }
  absl::Status CheckWritable() {
    HELPDESK_RETURN_IF_ERROR(CheckState());
    if (mode_ != TransactionMode::kReadWrite) return ReadOnlyWrite();
    return CheckOpen();
  }

  // A server error aborts the whole transaction on the server: later calls
  // must be refused, not run outside it.
  void NoteFailure(const absl::Status& status) {
    if (!status.ok() && state_ == State::kOpen &&
        (connection_->broken() || !connection_->InTransactionBlock())) {
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

  absl::StatusOr<PgResult> Run(absl::string_view sql,
                               const std::vector<PgParam>& params) {
    return connection_->Run(sql, params);
  }

  template <typename Proto>
  absl::Status Parse(absl::string_view bytes, absl::string_view table,
                     int64_t id, Proto* out) const {
    if (bytes.size() > static_cast<size_t>(INT_MAX) ||
        !out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError(absl::StrCat(
          connection_describe_, ": the stored ", table, " row ", id,
          " does not parse as ", out->GetTypeName()));
    }
    return absl::OkStatus();
  }

  // Tells NotFound from Aborted after a version-checked UPDATE changed
  // nothing; `sql` selects the version by id ($1).
  absl::Status VersionMismatch(absl::string_view sql, absl::string_view what,
                               int64_t id, int64_t expected) {
    HELPDESK_ASSIGN_OR_RETURN(PgResult r, Run(sql, {PgParam::Int(id)}));
    if (r.rows() == 0) return NotFound(what, id);
    return StaleVersion(what, id, expected, r.Int(0, 0));
  }

  template <typename Proto>
  absl::StatusOr<Proto> GetById(absl::string_view sql, absl::string_view table,
                                absl::string_view what, int64_t id) {
    HELPDESK_ASSIGN_OR_RETURN(PgResult r, Run(sql, {PgParam::Int(id)}));
    if (r.rows() == 0) return NotFound(what, id);
    Proto proto;
    HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(0, 0), table, id, &proto));
    proto.set_id(id);
    return proto;
  }

  // Rows of (id, proto), each parsed and given its id.
  template <typename Proto>
  absl::StatusOr<std::vector<Proto>> ListRows(absl::string_view sql,
                                              absl::string_view table,
                                              std::vector<int64_t> args) {
    std::vector<PgParam> params;
    for (int64_t a : args) params.push_back(PgParam::Int(a));
    HELPDESK_ASSIGN_OR_RETURN(PgResult r, Run(sql, params));
    std::vector<Proto> out(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      const int64_t id = r.Int(i, 0);
      HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(i, 1), table, id, &out[i]));
      out[i].set_id(id);
    }
    return out;
  }

  static absl::Status CheckOutboxLimit(int limit) {
    if (limit >= 1 && limit <= 10000) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }

  // In postgres_tickets.cc.
  absl::StatusOr<v1::Ticket> DoGetTicket(int64_t id);
  // Reports' read of tickets' stored bytes (postgres_tickets.cc).
  absl::StatusOr<int> DoVisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit);
  absl::Status TicketColumns(const v1::Ticket& ticket, int64_t version,
                             std::string* proto, std::string* status,
                             std::string* subject_folded,
                             std::vector<PgParam>* params);
  void AddSideTableWrites(int64_t id, const v1::Ticket& ticket, bool replace,
                          std::vector<PgStatement>* statements);
  absl::Status DoInsertTicket(v1::Ticket* ticket);
  absl::Status DoUpdateTicket(v1::Ticket* ticket, int64_t expected_version);
  absl::Status DoSetTicketSlaDeadline(int64_t id,
                                      std::optional<absl::Time> deadline);
  absl::StatusOr<TicketPage> DoQueryTickets(const TicketQuery& query);
  absl::StatusOr<int64_t> DoCountTickets(const TicketQuery& query);
  absl::Status DoInsertMessage(v1::Message* message);
  absl::StatusOr<v1::Message> DoGetMessage(int64_t id);
  absl::StatusOr<std::vector<v1::Message>> DoListMessages(int64_t ticket_id);
  absl::StatusOr<int64_t> DoMoveMessages(int64_t from_ticket, int64_t to_ticket);
  absl::Status DoPutAttachmentContent(absl::string_view sha256,
                                      absl::string_view content);
  absl::StatusOr<std::string> DoGetAttachmentContent(absl::string_view sha256);
  absl::Status DoPutThreadKey(absl::string_view key, int64_t ticket_id);
  absl::StatusOr<int64_t> DoFindThreadKey(absl::string_view key);

  // In postgres_people.cc.
  absl::Status CheckIdentitiesFree(int64_t id, const v1::Contact& contact);
  absl::Status DoInsertContact(v1::Contact* contact);
  absl::Status DoUpdateContact(v1::Contact* contact, int64_t expected_version);
  absl::StatusOr<v1::Contact> ReadContact(const PgResult& r, int row);
  absl::StatusOr<v1::Contact> DoGetContact(int64_t id);
  absl::StatusOr<v1::Contact> DoFindContactByIdentity(
      v1::ContactIdentity::Kind kind, absl::string_view value);
  template <typename Proto>
  absl::StatusOr<int64_t> InsertNamed(absl::string_view table,
                                      absl::string_view what,
                                      const Proto& proto);
  absl::Status DoInsertOrganization(v1::Organization* organization);
  absl::StatusOr<v1::Organization> DoGetOrganization(int64_t id);
  absl::Status CheckAgentEmailFree(int64_t id, absl::string_view email);
  absl::Status DoInsertAgent(v1::Agent* agent);
  absl::Status DoUpdateAgent(v1::Agent* agent, int64_t expected_version);
  absl::StatusOr<v1::Agent> ReadAgent(const PgResult& r, int row);
  absl::StatusOr<v1::Agent> DoGetAgent(int64_t id);
  absl::StatusOr<std::vector<v1::Agent>> DoListAgents();
  absl::Status DoInsertGroup(v1::Group* group);
  absl::StatusOr<v1::Group> DoGetGroup(int64_t id);
  absl::StatusOr<std::vector<v1::Group>> DoListGroups();

  // In postgres_events.cc.
  absl::Status DoAppendEvent(v1::Event* event);
  template <typename Proto>
  absl::Status AppendOwned(absl::string_view sql, int64_t owner,
                           absl::string_view what, Proto* row);
  template <typename Proto, typename SetOwner>
  absl::StatusOr<std::vector<Proto>> ReadOwned(const PgResult& r,
                                               absl::string_view table,
                                               SetOwner set_owner);
  absl::StatusOr<std::vector<v1::Event>> DoListTicketEvents(int64_t ticket_id,
                                                            int64_t after_id,
                                                            int limit);
  absl::StatusOr<std::vector<v1::Event>> DoListEventsSince(int64_t after_id,
                                                           int limit);
  absl::StatusOr<int64_t> DoLastEventId();
  absl::StatusOr<std::vector<v1::Event>> DoListEventsBetween(absl::Time from,
                                                             absl::Time to,
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

  // In postgres_kb.cc.
  absl::Status DoInsertKbArticle(v1::KbArticle* article);
  absl::Status DoUpdateKbArticle(v1::KbArticle* article, int64_t expected_version);
  absl::StatusOr<std::vector<KbSearchHit>> DoSearchKbArticles(const KbSearchRequest& request);
  absl::Status DoInsertKbSuggestionSession(v1::KbSuggestionSession* session);
  absl::Status DoUpdateKbSuggestionSession(const v1::KbSuggestionSession& session);

  // In postgres_automation.cc.
  absl::Status CheckTicketExists(int64_t id);
  absl::Status DoSetTicketAutomationDue(int64_t id, std::optional<absl::Time> due);
  absl::StatusOr<std::optional<absl::Time>> DoGetTicketAutomationDue(int64_t id);
  absl::StatusOr<std::vector<int64_t>> DoListDueAutomations(absl::Time now, int limit);
  absl::StatusOr<v1::RuleFirings> DoGetRuleFirings(int64_t id);
  absl::Status DoSetRuleFirings(int64_t id, const v1::RuleFirings& firings);

  // In postgres_tracking.cc.
  absl::Status DoPutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                  absl::Time created_at);
  absl::StatusOr<TrackingTokenRecord> DoLookupTrackingToken(
      absl::string_view token_sha256);
  absl::StatusOr<std::optional<TrackingTokenRecord>> DoGetTrackingTokenOfTicket(
      int64_t ticket_id);
  absl::StatusOr<bool> DoRevokeTrackingToken(int64_t ticket_id);

  // In postgres_views.cc.
  absl::Status CheckViewNameFree(const v1::SavedView& view, int64_t id);
  absl::Status DoInsertView(v1::SavedView* view);
  absl::Status DoUpdateView(v1::SavedView* view, int64_t expected_version);
  absl::StatusOr<std::vector<v1::SavedView>> ReadViews(const PgResult& r);
  absl::StatusOr<v1::SavedView> DoGetView(int64_t id);
  absl::Status DoDeleteView(int64_t id);
  absl::StatusOr<std::vector<v1::SavedView>> DoListViews(
      std::optional<int64_t> owner_agent_id);
  absl::Status DoInsertTimeEntry(v1::TimeEntry* entry);
  absl::StatusOr<std::vector<v1::TimeEntry>> DoListTimeEntries(int64_t ticket_id);
  absl::StatusOr<std::vector<v1::TimeEntry>> DoListTimeEntriesLogged(
      const TimeRange& range);
  // In postgres_privacy.cc (issue 16).
  absl::Status DoRedactMessage(const v1::Message& message);
  absl::Status DoRedactEvent(const v1::Event& event);
  absl::Status DoDeleteTicket(int64_t id);
  absl::StatusOr<std::vector<std::string>> DoListOrphanAttachments(absl::string_view after,
                                                                   int limit);
  absl::StatusOr<bool> DoDeleteAttachmentContent(absl::string_view sha256);

  // In postgres_coordination.cc.
 public:
  // Store::ClaimNextTicket's work inside this (read-write, fresh)
  // transaction, committed by it when OK (postgres_coordination.cc). With
  // `lock_first` the writer lock is taken before anything; without, only for
  // the write, waiting briefly: when that wait runs out, or no ticket was
  // found (SKIP LOCKED passed the ones writers held), retry_under_lock() is
  // true and nothing was done (the caller tries again).
  absl::StatusOr<v1::Ticket> ClaimNextTicket(const TicketClaim& claim, bool lock_first);
  bool retry_under_lock() const { return retry_under_lock_; }
  // The lease row, locked FOR SHARE in a read-write transaction (a change
  // of holder waits for this transaction to end).
  absl::Status CheckLease(absl::string_view name, absl::string_view holder,
                          int64_t token) override;

 private:
  // Rolls back unless committed and hands the connection back to the pool.
  void Release();

  PostgresStoreImpl* store_;
  std::unique_ptr<PgConnection> connection_;
  const std::string connection_describe_ = connection_->describe();
  const TransactionMode mode_;
  State state_ = State::kOpen;
  absl::Status failure_;
  // True once this transaction holds the schema's writer lock.
  bool writer_locked_ = false;
  // See retry_under_lock().
  bool retry_under_lock_ = false;
};

// In postgres_coordination.cc: Store::AcquireLease and ReleaseLease as
// single statements on `connection` (outside a transaction).
absl::StatusOr<Lease> PgAcquireLease(PgConnection& connection, absl::string_view name,
                                     absl::string_view holder, absl::Duration ttl,
                                     absl::Time now);
absl::Status PgReleaseLease(PgConnection& connection, absl::string_view name,
                            absl::string_view holder);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_POSTGRES_TRANSACTION_H_
