// Internal: CheckedTransaction, the port methods that SqliteTransaction and
// PostgresTransaction implement alike: each checks the transaction's state
// (CheckOpen for a read, CheckWritable for a write) and forwards to the
// store's Do... member, passing the result through Watch, which notes a
// failure that ended the transaction on the database's side.
//
// A store's transaction derives from CheckedTransaction<ItsClass>, makes it a
// friend, and declares CheckOpen(), CheckWritable(), Watch(absl::Status),
// Watch(absl::StatusOr<T>) and the Do... members below; it overrides here
// only the port methods whose shape is its own (see sqlite_transaction.h and
// postgres_transaction.h).
//
// Thread safety: as the derived transaction; used by one thread at a time.
#ifndef HELPDESK_SRC_STORAGE_CHECKED_TRANSACTION_H_
#define HELPDESK_SRC_STORAGE_CHECKED_TRANSACTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/store.h"
#include "internal/status_macros.h"

namespace helpdesk::internal {

// The state check and forwarding shared by the SQL stores' transactions.
//
// Thread safety: used by one thread at a time, as store.h requires.
template <typename Impl>
class CheckedTransaction : public Transaction {
 public:
  // --- Tickets ---
  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetTicket(id));
  }
  absl::Status InsertTicket(v1::Ticket* ticket) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertTicket(ticket));
  }
  absl::Status UpdateTicket(v1::Ticket* ticket, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateTicket(ticket, expected_version));
  }
  absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& query) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoQueryTickets(query));
  }
  absl::Status SetTicketSlaDeadline(int64_t id, std::optional<absl::Time> deadline) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoSetTicketSlaDeadline(id, deadline));
  }
  // The visitor's errors come back as they are, not noted as the store's
  // (DoVisitEncodedTickets watches its own calls).
  absl::StatusOr<int> VisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckEncodedTicketsRange(after_id, last_id, limit));
    return self().DoVisitEncodedTickets(after_id, last_id, limit, visit);
  }
  absl::StatusOr<int64_t> CountTickets(const TicketQuery& query) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoCountTickets(query));
  }

  // --- Messages, attachment content and thread keys ---
  absl::Status InsertMessage(v1::Message* message) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertMessage(message));
  }
  absl::StatusOr<v1::Message> GetMessage(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetMessage(id));
  }
  absl::StatusOr<std::vector<v1::Message>> ListMessages(int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListMessages(ticket_id));
  }
  absl::StatusOr<int64_t> MoveMessages(int64_t from_ticket, int64_t to_ticket) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoMoveMessages(from_ticket, to_ticket));
  }
  absl::Status PutAttachmentContent(absl::string_view sha256, absl::string_view content) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoPutAttachmentContent(sha256, content));
  }
  absl::StatusOr<std::string> GetAttachmentContent(absl::string_view sha256) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetAttachmentContent(sha256));
  }
  absl::Status PutThreadKey(absl::string_view key, int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoPutThreadKey(key, ticket_id));
  }
  absl::StatusOr<int64_t> FindThreadKey(absl::string_view key) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoFindThreadKey(key));
  }

  // --- Ticket and agent events ---
  absl::Status AppendEvent(v1::Event* event) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoAppendEvent(event));
  }
  absl::StatusOr<std::vector<v1::Event>> ListTicketEvents(int64_t ticket_id, int64_t after_id,
                                                          int limit) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListTicketEvents(ticket_id, after_id, limit));
  }
  absl::StatusOr<std::vector<v1::Event>> ListEventsSince(int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListEventsSince(after_id, limit));
  }
  absl::StatusOr<int64_t> LastEventId() override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoLastEventId());
  }
  absl::StatusOr<std::vector<v1::Event>> ListEventsBetween(absl::Time from, absl::Time to,
                                                           int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListEventsBetween(from, to, after_id, limit));
  }
  absl::Status AppendAgentEvent(v1::AgentEvent* event) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoAppendAgentEvent(event));
  }
  absl::StatusOr<std::vector<v1::AgentEvent>> ListAgentEvents(int64_t agent_id, int64_t after_id,
                                                              int limit) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListAgentEvents(agent_id, after_id, limit));
  }

  // --- Contacts, organizations, agents and groups ---
  absl::Status InsertContact(v1::Contact* contact) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertContact(contact));
  }
  absl::Status UpdateContact(v1::Contact* contact, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateContact(contact, expected_version));
  }
  absl::StatusOr<v1::Contact> GetContact(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetContact(id));
  }
  absl::StatusOr<v1::Contact> FindContactByIdentity(v1::ContactIdentity::Kind kind,
                                                    absl::string_view value) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoFindContactByIdentity(kind, value));
  }
  absl::Status InsertOrganization(v1::Organization* organization) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertOrganization(organization));
  }
  absl::StatusOr<v1::Organization> GetOrganization(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetOrganization(id));
  }
  absl::Status InsertAgent(v1::Agent* agent) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertAgent(agent));
  }
  absl::Status UpdateAgent(v1::Agent* agent, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateAgent(agent, expected_version));
  }
  absl::StatusOr<v1::Agent> GetAgent(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetAgent(id));
  }
  absl::StatusOr<std::vector<v1::Agent>> ListAgents() override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListAgents());
  }
  absl::Status InsertGroup(v1::Group* group) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertGroup(group));
  }
  absl::StatusOr<v1::Group> GetGroup(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetGroup(id));
  }
  absl::StatusOr<std::vector<v1::Group>> ListGroups() override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListGroups());
  }

  // --- Outbox, quarantine and idempotency records ---
  absl::Status InsertOutbox(v1::OutboxEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertOutbox(entry));
  }
  absl::Status UpdateOutbox(const v1::OutboxEntry& entry) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateOutbox(entry));
  }
  absl::Status InsertQuarantine(v1::QuarantineEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertQuarantine(entry));
  }
  absl::Status UpdateQuarantine(const v1::QuarantineEntry& entry) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateQuarantine(entry));
  }
  absl::StatusOr<std::string> GetIdempotencyRecord(absl::string_view scope,
                                                   absl::string_view key) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetIdempotencyRecord(scope, key));
  }
  absl::Status PutIdempotencyRecord(absl::string_view scope, absl::string_view key,
                                    absl::string_view value, absl::Time recorded_at) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoPutIdempotencyRecord(scope, key, value, recorded_at));
  }

  // --- Automation (issue 14) ---
  absl::Status SetTicketAutomationDue(int64_t id, std::optional<absl::Time> due) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoSetTicketAutomationDue(id, due));
  }
  absl::StatusOr<std::optional<absl::Time>> GetTicketAutomationDue(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetTicketAutomationDue(id));
  }
  absl::StatusOr<v1::RuleFirings> GetRuleFirings(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetRuleFirings(id));
  }
  absl::Status SetRuleFirings(int64_t id, const v1::RuleFirings& firings) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoSetRuleFirings(id, firings));
  }

  // --- Tracking links ---
  absl::Status PutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                absl::Time created_at) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoPutTrackingToken(ticket_id, token_sha256, created_at));
  }
  absl::StatusOr<TrackingTokenRecord> LookupTrackingToken(absl::string_view token_sha256) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoLookupTrackingToken(token_sha256));
  }
  absl::StatusOr<std::optional<TrackingTokenRecord>> GetTrackingTokenOfTicket(
      int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetTrackingTokenOfTicket(ticket_id));
  }
  absl::StatusOr<bool> RevokeTrackingToken(int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoRevokeTrackingToken(ticket_id));
  }

  // --- Saved views and time entries (issue 16) ---
  absl::Status InsertView(v1::SavedView* view) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertView(view));
  }
  absl::Status UpdateView(v1::SavedView* view, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateView(view, expected_version));
  }
  absl::StatusOr<v1::SavedView> GetView(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoGetView(id));
  }
  absl::Status DeleteView(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoDeleteView(id));
  }
  absl::StatusOr<std::vector<v1::SavedView>> ListViews(
      std::optional<int64_t> owner_agent_id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListViews(owner_agent_id));
  }
  absl::Status InsertTimeEntry(v1::TimeEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertTimeEntry(entry));
  }
  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntries(int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListTimeEntries(ticket_id));
  }
  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntriesLogged(
      const TimeRange& range) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListTimeEntriesLogged(range));
  }

  // --- Personal data (issue 16) ---
  absl::Status RedactMessage(const v1::Message& message) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoRedactMessage(message));
  }
  absl::Status RedactEvent(const v1::Event& event) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoRedactEvent(event));
  }
  absl::Status DeleteTicket(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoDeleteTicket(id));
  }
  absl::StatusOr<std::vector<std::string>> ListOrphanAttachments(absl::string_view after,
                                                                 int limit) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoListOrphanAttachments(after, limit));
  }
  absl::StatusOr<bool> DeleteAttachmentContent(absl::string_view sha256) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoDeleteAttachmentContent(sha256));
  }

  // --- Knowledge base ---
  absl::Status InsertKbArticle(v1::KbArticle* article) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertKbArticle(article));
  }
  absl::Status UpdateKbArticle(v1::KbArticle* article, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateKbArticle(article, expected_version));
  }
  absl::StatusOr<std::vector<KbSearchHit>> SearchKbArticles(
      const KbSearchRequest& request) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckOpen());
    return self().Watch(self().DoSearchKbArticles(request));
  }
  absl::Status InsertKbSuggestionSession(v1::KbSuggestionSession* session) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoInsertKbSuggestionSession(session));
  }
  absl::Status UpdateKbSuggestionSession(const v1::KbSuggestionSession& session) override {
    HELPDESK_RETURN_IF_ERROR(self().CheckWritable());
    return self().Watch(self().DoUpdateKbSuggestionSession(session));
  }

 private:
  Impl& self() { return static_cast<Impl&>(*this); }
};

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_CHECKED_TRANSACTION_H_
