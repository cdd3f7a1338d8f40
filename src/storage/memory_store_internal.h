// Internal: MemoryState and MemoryTransaction, the Transaction port over
// ordered maps in memory, shared by the files that implement it.
//
// The class is declared here with its plumbing inline (the state checks every
// port method runs, the undo log, commit and rollback); each port method is
// defined in the file for its part, as the section headings below say:
// memory_store.cc (the store itself; tickets, messages, attachment content,
// thread keys), memory_store_events.cc (ticket and agent events, outbox,
// quarantine, idempotency records), memory_store_people.cc (contacts,
// organizations, agents, groups), memory_store_views.cc (saved views, ticket
// counts, time entries), memory_store_tracking.cc (tracking links),
// memory_store_privacy.cc (redaction and deletion of personal data),
// memory_store_kb.cc (knowledge base) and memory_store_automation.cc (rule
// due times and firings). memory_store.cc's opening comment describes the
// locking and rollback design.
//
// Thread safety: a transaction is used by one thread at a time, as store.h
// requires; it holds the store's lock for its whole life.
#ifndef HELPDESK_SRC_STORAGE_MEMORY_STORE_INTERNAL_H_
#define HELPDESK_SRC_STORAGE_MEMORY_STORE_INTERNAL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/store.h"
#include "internal/status_macros.h"
#include "storage/kb_index.h"
#include "storage/ticket_query.h"

namespace helpdesk::internal {

// The last id assigned or given, per kind of row.
struct MemoryCounters {
  int64_t ticket = 0;
  int64_t message = 0;
  int64_t event = 0;
  int64_t agent_event = 0;
  int64_t contact = 0;
  int64_t organization = 0;
  int64_t agent = 0;
  int64_t group = 0;
  int64_t outbox = 0;
  int64_t quarantine = 0;
  int64_t view = 0;
  int64_t time_entry = 0;
  int64_t kb_article = 0;
  int64_t kb_session = 0;
};

// Every map of one store; see memory_store.cc for the design.
struct MemoryState {
  MemoryCounters last;  // the last id assigned or given, per kind
  std::map<int64_t, v1::Ticket> tickets;
  // Named leases (Store::AcquireLease), changed only under the write lock so
  // Transaction::CheckLease holds for a whole transaction.
  std::map<std::string, Lease> leases;
  std::map<int64_t, v1::Message> messages;
  std::map<int64_t, std::set<int64_t>> messages_by_ticket;
  std::map<int64_t, v1::Event> events;
  std::map<int64_t, std::set<int64_t>> events_by_ticket;
  std::map<int64_t, v1::Contact> contacts;
  std::map<std::pair<int, std::string>, int64_t> identities;
  std::map<int64_t, v1::Organization> organizations;
  std::map<std::string, int64_t> organization_names;
  std::map<int64_t, v1::Agent> agents;
  std::map<int64_t, v1::AgentEvent> agent_events;
  std::map<int64_t, std::set<int64_t>> agent_events_by_agent;
  std::map<std::string, int64_t> agent_emails;
  std::map<int64_t, v1::Group> groups;
  std::map<std::string, int64_t> group_names;
  std::map<std::string, std::string> attachments;
  std::map<std::pair<std::string, std::string>, std::string> idempotency;
  std::map<std::string, int64_t> thread_keys;
  // Tracking links: by token hash, and each ticket's hash.
  std::map<std::string, TrackingTokenRecord> tracking_by_hash;
  std::map<int64_t, std::string> tracking_by_ticket;
  std::map<int64_t, v1::OutboxEntry> outbox;
  std::map<int64_t, v1::QuarantineEntry> quarantine;
  // Saved views, and (owner, name) -> id.
  std::map<int64_t, v1::SavedView> views;
  std::map<std::pair<int64_t, std::string>, int64_t> view_names;
  std::map<int64_t, v1::TimeEntry> time_entries;
  // Knowledge base: the articles, their index form, suggestion sessions.
  std::map<int64_t, v1::KbArticle> kb_articles;
  std::map<int64_t, internal::KbIndexedArticle> kb_index;
  std::map<int64_t, v1::KbSuggestionSession> kb_sessions;
  // Automation (issue 14): each ticket's due time (micros) and the index by
  // it; the firings, serialized.
  std::map<int64_t, int64_t> automation_due;
  std::set<std::pair<int64_t, int64_t>> automation_queue;  // (due, ticket)
  std::map<int64_t, std::string> rule_firings;
};

// One transaction over a MemoryState: a read-write one holds the store's lock
// exclusively, a read-only one shares it, until it commits or rolls back.
//
// Thread safety: used by one thread at a time, as store.h requires.
class MemoryTransaction final : public Transaction {
 public:
  // Takes ownership of the lock for its lifetime.
  MemoryTransaction(MemoryState* state, TransactionMode mode,
                    std::unique_lock<std::shared_mutex> write_lock,
                    std::shared_lock<std::shared_mutex> read_lock)
      : state_(state),
        mode_(mode),
        write_lock_(std::move(write_lock)),
        read_lock_(std::move(read_lock)),
        saved_counters_(state->last) {}

  ~MemoryTransaction() override {
    if (!done_) Rollback();
  }

  absl::Status Commit() override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    done_ = true;
    undo_.clear();
    Release();
    return absl::OkStatus();
  }

  // --- Tickets (memory_store.cc) ---

  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override;
  absl::StatusOr<int> VisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) override;
  absl::Status InsertTicket(v1::Ticket* ticket) override;
  absl::Status UpdateTicket(v1::Ticket* ticket,
                            int64_t expected_version) override;
  absl::Status SetTicketSlaDeadline(int64_t id,
                                    std::optional<absl::Time> deadline) override;
  absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& query) override;

  // --- Automation (issue 14) (memory_store_automation.cc) ---

  absl::Status SetTicketAutomationDue(int64_t id, std::optional<absl::Time> due) override;
  absl::StatusOr<std::optional<absl::Time>> GetTicketAutomationDue(int64_t id) override;
  absl::StatusOr<std::vector<int64_t>> ListDueAutomations(absl::Time now,
                                                          int limit) override;
  absl::StatusOr<v1::RuleFirings> GetRuleFirings(int64_t id) override;
  absl::Status SetRuleFirings(int64_t id, const v1::RuleFirings& firings) override;

  // --- Leases (issue 17) (memory_store.cc) ---

  absl::Status CheckLease(absl::string_view name, absl::string_view holder,
                          int64_t token) override;

  // --- Messages (memory_store.cc) ---

  absl::Status InsertMessage(v1::Message* message) override;
  absl::StatusOr<v1::Message> GetMessage(int64_t id) override;
  absl::StatusOr<std::vector<v1::Message>> ListMessages(
      int64_t ticket_id) override;
  absl::StatusOr<int64_t> MoveMessages(int64_t from_ticket,
                                       int64_t to_ticket) override;

  // --- Events (memory_store_events.cc) ---

  absl::Status AppendEvent(v1::Event* event) override;
  absl::Status AppendAgentEvent(v1::AgentEvent* event) override;
  absl::StatusOr<std::vector<v1::AgentEvent>> ListAgentEvents(
      int64_t agent_id, int64_t after_id, int limit) override;
  absl::StatusOr<std::vector<v1::Event>> ListTicketEvents(
      int64_t ticket_id, int64_t after_id, int limit) override;
  absl::StatusOr<std::vector<v1::Event>> ListEventsSince(int64_t after_id,
                                                         int limit) override;
  absl::StatusOr<int64_t> LastEventId() override;
  absl::StatusOr<std::vector<v1::Event>> ListEventsBetween(absl::Time from, absl::Time to,
                                                           int64_t after_id,
                                                           int limit) override;
  absl::StatusOr<int> VisitEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(const v1::Event&)> visit) override;

  // --- Contacts and organizations (memory_store_people.cc) ---

  absl::Status InsertContact(v1::Contact* contact) override;
  absl::Status UpdateContact(v1::Contact* contact,
                             int64_t expected_version) override;
  absl::StatusOr<v1::Contact> GetContact(int64_t id) override;
  absl::StatusOr<v1::Contact> FindContactByIdentity(
      v1::ContactIdentity::Kind kind, absl::string_view value) override;
  absl::Status InsertOrganization(v1::Organization* organization) override;
  absl::StatusOr<v1::Organization> GetOrganization(int64_t id) override;

  // --- Agents and groups (memory_store_people.cc) ---

  absl::Status InsertAgent(v1::Agent* agent) override;
  absl::Status UpdateAgent(v1::Agent* agent, int64_t expected_version) override;
  absl::StatusOr<v1::Agent> GetAgent(int64_t id) override;
  absl::StatusOr<std::vector<v1::Agent>> ListAgents() override;
  absl::Status InsertGroup(v1::Group* group) override;
  absl::StatusOr<v1::Group> GetGroup(int64_t id) override;
  absl::StatusOr<std::vector<v1::Group>> ListGroups() override;

  // --- Saved views and counts (memory_store_views.cc) ---

  absl::StatusOr<int64_t> CountTickets(const TicketQuery& query) override;
  absl::Status InsertView(v1::SavedView* view) override;
  absl::Status UpdateView(v1::SavedView* view, int64_t expected_version) override;
  absl::StatusOr<v1::SavedView> GetView(int64_t id) override;
  absl::Status DeleteView(int64_t id) override;
  absl::StatusOr<std::vector<v1::SavedView>> ListViews(
      std::optional<int64_t> owner_agent_id) override;

  // --- Time tracking (memory_store_views.cc) ---

  absl::Status InsertTimeEntry(v1::TimeEntry* entry) override;
  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntries(int64_t ticket_id) override;
  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntriesLogged(
      const TimeRange& range) override;

  // --- Attachments (memory_store.cc) ---

  absl::Status PutAttachmentContent(absl::string_view sha256,
                                    absl::string_view content) override;
  absl::StatusOr<std::string> GetAttachmentContent(
      absl::string_view sha256) override;

  // --- Thread keys (memory_store.cc) ---

  absl::Status PutThreadKey(absl::string_view key, int64_t ticket_id) override;
  absl::StatusOr<int64_t> FindThreadKey(absl::string_view key) override;

  // --- Outbox (memory_store_events.cc) ---

  absl::Status InsertOutbox(v1::OutboxEntry* entry) override;
  absl::StatusOr<v1::OutboxEntry> GetOutbox(int64_t id) override;
  absl::Status UpdateOutbox(const v1::OutboxEntry& entry) override;
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListDueOutbox(absl::Time now,
                                                             int limit) override;
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutbox(
      std::optional<v1::OutboxEntry::State> state, int64_t after_id,
      int limit) override;

  // --- Quarantine (memory_store_events.cc) ---

  absl::Status InsertQuarantine(v1::QuarantineEntry* entry) override;
  absl::StatusOr<v1::QuarantineEntry> GetQuarantine(int64_t id) override;
  absl::Status UpdateQuarantine(const v1::QuarantineEntry& entry) override;
  absl::StatusOr<std::vector<v1::QuarantineEntry>> ListQuarantine(
      std::optional<v1::QuarantineEntry::State> state, int64_t after_id,
      int limit) override;

  // --- Idempotency (memory_store_events.cc) ---

  absl::StatusOr<std::string> GetIdempotencyRecord(
      absl::string_view scope, absl::string_view key) override;
  absl::Status PutIdempotencyRecord(absl::string_view scope,
                                    absl::string_view key,
                                    absl::string_view value,
                                    absl::Time recorded_at) override;

  // --- Tracking links (memory_store_tracking.cc) ---

  absl::Status PutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                absl::Time created_at) override;
  absl::StatusOr<TrackingTokenRecord> LookupTrackingToken(
      absl::string_view token_sha256) override;
  absl::StatusOr<std::optional<TrackingTokenRecord>> GetTrackingTokenOfTicket(
      int64_t ticket_id) override;
  absl::StatusOr<bool> RevokeTrackingToken(int64_t ticket_id) override;

  // --- Personal data (issue 16) (memory_store_privacy.cc) ---

  absl::Status RedactMessage(const v1::Message& message) override;
  absl::Status RedactEvent(const v1::Event& event) override;
  absl::Status DeleteTicket(int64_t id) override;
  absl::StatusOr<std::vector<std::string>> ListOrphanAttachments(absl::string_view after,
                                                                 int limit) override;
  absl::StatusOr<bool> DeleteAttachmentContent(absl::string_view sha256) override;

  // --- Knowledge base (memory_store_kb.cc) ---

  absl::Status InsertKbArticle(v1::KbArticle* article) override;
  absl::Status UpdateKbArticle(v1::KbArticle* article, int64_t expected_version) override;
  absl::StatusOr<v1::KbArticle> GetKbArticle(int64_t id) override;
  absl::StatusOr<std::vector<v1::KbArticle>> ListKbArticles(int64_t after_id,
                                                            int limit) override;
  absl::StatusOr<std::vector<KbSearchHit>> SearchKbArticles(
      const KbSearchRequest& request) override;
  absl::Status InsertKbSuggestionSession(v1::KbSuggestionSession* session) override;
  absl::Status UpdateKbSuggestionSession(const v1::KbSuggestionSession& session) override;
  absl::StatusOr<v1::KbSuggestionSession> GetKbSuggestionSession(int64_t id) override;
  absl::StatusOr<std::vector<v1::KbSuggestionSession>> ListKbSuggestionSessions(
      int64_t after_id, int limit) override;

 private:
  static absl::Status NotFound(absl::string_view what, int64_t id) {
    return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
  }
  static absl::Status NegativeId(absl::string_view what, int64_t id) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".id ", id, " must not be negative"));
  }
  static absl::Status Taken(absl::string_view what, absl::string_view value) {
    return absl::AlreadyExistsError(
        absl::StrCat(what, " '", value, "' is already taken"));
  }
  static absl::Status CheckVersion(absl::string_view what, int64_t id,
                                   int64_t stored, int64_t expected) {
    if (stored == expected) return absl::OkStatus();
    return absl::AbortedError(absl::StrCat(what, " ", id, ": expected version ",
                                           expected, ", stored version ",
                                           stored));
  }
  static absl::Status CheckListLimit(int limit) {
    if (limit >= 1 && limit <= 10000) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }
  static absl::Status CheckSha256(absl::string_view sha256) {
    if (internal::IsSha256Hex(sha256)) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("sha256 '", sha256.substr(0, 80),
                     "' is not 64 lower-case hexadecimal digits"));
  }

  absl::Status CheckOpen() const {
    if (done_) {
      return absl::FailedPreconditionError(
          "the transaction has already been committed");
    }
    return absl::OkStatus();
  }
  absl::Status CheckWritable() const {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    if (mode_ != TransactionMode::kReadWrite) {
      return absl::FailedPreconditionError(
          "write in a read-only transaction");
    }
    return absl::OkStatus();
  }

  // Entity helpers, each defined in the file of its entity.

  absl::Status CheckIdentitiesFree(const v1::Contact& contact,
                                   int64_t self) const;

  // Writes `contact` and re-indexes its identities (dropping `old`'s).
  void StoreContact(const v1::Contact& contact, const v1::Contact* old);

  absl::Status CheckAgentEmailFree(const std::string& email,
                                   int64_t self) const;

  absl::Status CheckViewNameFree(const v1::SavedView& view, int64_t self);

  void StoreView(const v1::SavedView& view, const v1::SavedView* old);

  void StoreAgent(const v1::Agent& agent, const std::string& old_email);

  static absl::Status CheckKbListLimit(int limit);

  // Sets ticket `id`'s due time in the map and the queue (nullopt: none).
  void SetDue(int64_t id, std::optional<int64_t> due);

  // Records how to restore `map[key]` to its current state (value or absence).
  template <typename Map>
  void Remember(Map& map, const typename Map::key_type& key) {
    auto it = map.find(key);
    if (it == map.end()) {
      undo_.push_back([&map, key] { map.erase(key); });
    } else {
      undo_.push_back([&map, key, value = it->second] { map[key] = value; });
    }
  }

  // The rows `index` lists for `owner` with id > after_id, in id order, at
  // most `limit` (0 = no limit): a ticket's or an agent's events.
  template <typename Row>
  static absl::StatusOr<std::vector<Row>> ListOwned(
      const std::map<int64_t, std::set<int64_t>>& index,
      const std::map<int64_t, Row>& rows, int64_t owner, int64_t after_id,
      int limit) {
    if (limit < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", limit, " must not be negative"));
    }
    std::vector<Row> out;
    auto it = index.find(owner);
    if (it == index.end()) return out;
    for (auto id = it->second.upper_bound(after_id); id != it->second.end();
         ++id) {
      if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
      out.push_back(rows.at(*id));
    }
    return out;
  }

  void Rollback() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
    undo_.clear();
    if (mode_ == TransactionMode::kReadWrite) state_->last = saved_counters_;
    done_ = true;
    Release();
  }

  void Release() {
    if (write_lock_.owns_lock()) write_lock_.unlock();
    if (read_lock_.owns_lock()) read_lock_.unlock();
  }

  MemoryState* state_;
  TransactionMode mode_;
  std::unique_lock<std::shared_mutex> write_lock_;
  std::shared_lock<std::shared_mutex> read_lock_;
  MemoryCounters saved_counters_;
  std::vector<std::function<void()>> undo_;
  bool done_ = false;
};

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_MEMORY_STORE_INTERNAL_H_
