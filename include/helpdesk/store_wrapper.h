// StoreWrapper and TransactionWrapper: a Store and a Transaction that
// forward every call to another one. Derive from them to change one call,
// e.g. to inject a failure in a test, to count reads, or to record what a
// transaction wrote, without restating the whole port. Kept apart from
// store.h (the port itself): a store implementation never needs them, and
// every call the port gains is forwarded here too.
//
// Thread safety: as the wrapped store and transaction.
#ifndef HELPDESK_STORE_WRAPPER_H_
#define HELPDESK_STORE_WRAPPER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"

namespace helpdesk {

// Forwards every call to another transaction. Derive from it to change one
// call, e.g. to inject a failure in a test. Owns the wrapped transaction.
class HELPDESK_EXPORT TransactionWrapper : public Transaction {
 public:
  explicit TransactionWrapper(std::unique_ptr<Transaction> base)
      : base_(std::move(base)) {}
  Transaction* base() const { return base_.get(); }

  absl::Status Commit() override {
    return base_->Commit();
  }
  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
    return base_->GetTicket(id);
  }
  absl::Status InsertTicket(v1::Ticket* ticket) override {
    return base_->InsertTicket(ticket);
  }
  absl::Status UpdateTicket(v1::Ticket* ticket, int64_t expected_version) override {
    return base_->UpdateTicket(ticket, expected_version);
  }
  absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& query) override {
    return base_->QueryTickets(query);
  }
  absl::Status SetTicketSlaDeadline(int64_t id,
                                    std::optional<absl::Time> deadline) override {
    return base_->SetTicketSlaDeadline(id, deadline);
  }
  absl::Status InsertMessage(v1::Message* message) override {
    return base_->InsertMessage(message);
  }
  absl::StatusOr<v1::Message> GetMessage(int64_t id) override {
    return base_->GetMessage(id);
  }
  absl::StatusOr<std::vector<v1::Message>> ListMessages( int64_t ticket_id) override {
    return base_->ListMessages(ticket_id);
  }
  absl::StatusOr<int64_t> MoveMessages(int64_t from_ticket, int64_t to_ticket) override {
    return base_->MoveMessages(from_ticket, to_ticket);
  }
  // Automation (issue 14).
  absl::Status SetTicketAutomationDue(int64_t id, std::optional<absl::Time> due) override {
    return base_->SetTicketAutomationDue(id, due);
  }
  absl::StatusOr<std::optional<absl::Time>> GetTicketAutomationDue(int64_t id) override {
    return base_->GetTicketAutomationDue(id);
  }
  absl::StatusOr<std::vector<int64_t>> ListDueAutomations(absl::Time now,
                                                          int limit) override {
    return base_->ListDueAutomations(now, limit);
  }
  absl::StatusOr<v1::RuleFirings> GetRuleFirings(int64_t id) override {
    return base_->GetRuleFirings(id);
  }
  absl::Status SetRuleFirings(int64_t id, const v1::RuleFirings& firings) override {
    return base_->SetRuleFirings(id, firings);
  }
  absl::Status AppendEvent(v1::Event* event) override {
    return base_->AppendEvent(event);
  }
  absl::StatusOr<std::vector<v1::Event>> ListTicketEvents( int64_t ticket_id, int64_t after_id, int limit) override {
    return base_->ListTicketEvents(ticket_id, after_id, limit);
  }
  absl::StatusOr<int> VisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) override {
    return base_->VisitEncodedTickets(after_id, last_id, limit, visit);
  }
  absl::StatusOr<std::vector<v1::Event>> ListEventsSince( int64_t after_id, int limit) override {
    return base_->ListEventsSince(after_id, limit);
  }
  absl::StatusOr<int64_t> LastEventId() override { return base_->LastEventId(); }
  absl::StatusOr<std::vector<v1::Event>> ListEventsBetween(absl::Time from, absl::Time to,
                                                           int64_t after_id,
                                                           int limit) override {
    return base_->ListEventsBetween(from, to, after_id, limit);
  }
  absl::StatusOr<int> VisitEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(const v1::Event&)> visit) override {
    return base_->VisitEventsBetween(from, to, after_id, limit, visit);
  }
  absl::StatusOr<int> VisitEncodedEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, int64_t, absl::string_view)> visit) override {
    return base_->VisitEncodedEventsBetween(from, to, after_id, limit, visit);
  }
  absl::Status InsertContact(v1::Contact* contact) override {
    return base_->InsertContact(contact);
  }
  absl::Status UpdateContact(v1::Contact* contact, int64_t expected_version) override {
    return base_->UpdateContact(contact, expected_version);
  }
  absl::StatusOr<v1::Contact> GetContact(int64_t id) override {
    return base_->GetContact(id);
  }
  absl::StatusOr<v1::Contact> FindContactByIdentity( v1::ContactIdentity::Kind kind, absl::string_view value) override {
    return base_->FindContactByIdentity(kind, value);
  }
  absl::Status InsertOrganization(v1::Organization* organization) override {
    return base_->InsertOrganization(organization);
  }
  absl::StatusOr<v1::Organization> GetOrganization(int64_t id) override {
    return base_->GetOrganization(id);
  }
  absl::Status InsertAgent(v1::Agent* agent) override {
    return base_->InsertAgent(agent);
  }
  absl::Status UpdateAgent(v1::Agent* agent, int64_t expected_version) override {
    return base_->UpdateAgent(agent, expected_version);
  }
  absl::StatusOr<v1::Agent> GetAgent(int64_t id) override {
    return base_->GetAgent(id);
  }
  absl::StatusOr<std::vector<v1::Agent>> ListAgents() override {
    return base_->ListAgents();
  }
  absl::Status AppendAgentEvent(v1::AgentEvent* event) override {
    return base_->AppendAgentEvent(event);
  }
  absl::StatusOr<std::vector<v1::AgentEvent>> ListAgentEvents(
      int64_t agent_id, int64_t after_id, int limit) override {
    return base_->ListAgentEvents(agent_id, after_id, limit);
  }
  absl::Status InsertGroup(v1::Group* group) override {
    return base_->InsertGroup(group);
  }
  absl::StatusOr<v1::Group> GetGroup(int64_t id) override {
    return base_->GetGroup(id);
  }
  absl::StatusOr<std::vector<v1::Group>> ListGroups() override {
    return base_->ListGroups();
  }
  absl::Status PutAttachmentContent(absl::string_view sha256, absl::string_view content) override {
    return base_->PutAttachmentContent(sha256, content);
  }
  absl::StatusOr<std::string> GetAttachmentContent( absl::string_view sha256) override {
    return base_->GetAttachmentContent(sha256);
  }
  absl::Status PutThreadKey(absl::string_view key, int64_t ticket_id) override {
    return base_->PutThreadKey(key, ticket_id);
  }
  absl::StatusOr<int64_t> FindThreadKey(absl::string_view key) override {
    return base_->FindThreadKey(key);
  }
  absl::Status InsertOutbox(v1::OutboxEntry* entry) override {
    return base_->InsertOutbox(entry);
  }
  absl::StatusOr<v1::OutboxEntry> GetOutbox(int64_t id) override {
    return base_->GetOutbox(id);
  }
  absl::Status UpdateOutbox(const v1::OutboxEntry& entry) override {
    return base_->UpdateOutbox(entry);
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListDueOutbox(absl::Time now,
                                                             int limit) override {
    return base_->ListDueOutbox(now, limit);
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutbox(
      std::optional<v1::OutboxEntry::State> state, int64_t after_id,
      int limit) override {
    return base_->ListOutbox(state, after_id, limit);
  }
  absl::Status InsertQuarantine(v1::QuarantineEntry* entry) override {
    return base_->InsertQuarantine(entry);
  }
  absl::StatusOr<v1::QuarantineEntry> GetQuarantine(int64_t id) override {
    return base_->GetQuarantine(id);
  }
  absl::Status UpdateQuarantine(const v1::QuarantineEntry& entry) override {
    return base_->UpdateQuarantine(entry);
  }
  absl::StatusOr<std::vector<v1::QuarantineEntry>> ListQuarantine(
      std::optional<v1::QuarantineEntry::State> state, int64_t after_id,
      int limit) override {
    return base_->ListQuarantine(state, after_id, limit);
  }
  absl::StatusOr<std::string> GetIdempotencyRecord( absl::string_view scope, absl::string_view key) override {
    return base_->GetIdempotencyRecord(scope, key);
  }
  absl::Status PutIdempotencyRecord(absl::string_view scope, absl::string_view key, absl::string_view value, absl::Time recorded_at) override {
    return base_->PutIdempotencyRecord(scope, key, value, recorded_at);
  }
  absl::Status PutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                absl::Time created_at) override {
    return base_->PutTrackingToken(ticket_id, token_sha256, created_at);
  }
  absl::StatusOr<TrackingTokenRecord> LookupTrackingToken(
      absl::string_view token_sha256) override {
    return base_->LookupTrackingToken(token_sha256);
  }
  absl::StatusOr<std::optional<TrackingTokenRecord>> GetTrackingTokenOfTicket(
      int64_t ticket_id) override {
    return base_->GetTrackingTokenOfTicket(ticket_id);
  }
  absl::StatusOr<bool> RevokeTrackingToken(int64_t ticket_id) override {
    return base_->RevokeTrackingToken(ticket_id);
  }
  // --- Saved views and counts (issue 16) ---
  absl::StatusOr<int64_t> CountTickets(const TicketQuery& query) override {
    return base_->CountTickets(query);
  }
  absl::Status InsertView(v1::SavedView* view) override {
    return base_->InsertView(view);
  }
  absl::Status UpdateView(v1::SavedView* view, int64_t expected_version) override {
    return base_->UpdateView(view, expected_version);
  }
  absl::StatusOr<v1::SavedView> GetView(int64_t id) override {
    return base_->GetView(id);
  }
  absl::Status DeleteView(int64_t id) override { return base_->DeleteView(id); }
  absl::StatusOr<std::vector<v1::SavedView>> ListViews(
      std::optional<int64_t> owner_agent_id) override {
    return base_->ListViews(owner_agent_id);
  }
  // --- Time tracking (issue 16) ---
  absl::Status InsertTimeEntry(v1::TimeEntry* entry) override {
    return base_->InsertTimeEntry(entry);
  }
  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntries(int64_t ticket_id) override {
    return base_->ListTimeEntries(ticket_id);
  }
  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntriesLogged(
      const TimeRange& range) override {
    return base_->ListTimeEntriesLogged(range);
  }

  // --- Personal data (issue 16) ---
  absl::Status RedactMessage(const v1::Message& message) override {
    return base_->RedactMessage(message);
  }
  absl::Status RedactEvent(const v1::Event& event) override {
    return base_->RedactEvent(event);
  }
  absl::Status DeleteTicket(int64_t id) override { return base_->DeleteTicket(id); }
  absl::StatusOr<std::vector<std::string>> ListOrphanAttachments(absl::string_view after,
                                                                 int limit) override {
    return base_->ListOrphanAttachments(after, limit);
  }
  absl::StatusOr<bool> DeleteAttachmentContent(absl::string_view sha256) override {
    return base_->DeleteAttachmentContent(sha256);
  }

  // Knowledge base.
  absl::Status InsertKbArticle(v1::KbArticle* article) override {
    return base_->InsertKbArticle(article);
  }
  absl::Status UpdateKbArticle(v1::KbArticle* article, int64_t expected_version) override {
    return base_->UpdateKbArticle(article, expected_version);
  }
  absl::StatusOr<v1::KbArticle> GetKbArticle(int64_t id) override {
    return base_->GetKbArticle(id);
  }
  absl::StatusOr<std::vector<v1::KbArticle>> ListKbArticles(int64_t after_id,
                                                            int limit) override {
    return base_->ListKbArticles(after_id, limit);
  }
  absl::StatusOr<std::vector<KbSearchHit>> SearchKbArticles(
      const KbSearchRequest& request) override {
    return base_->SearchKbArticles(request);
  }
  absl::Status InsertKbSuggestionSession(v1::KbSuggestionSession* session) override {
    return base_->InsertKbSuggestionSession(session);
  }
  absl::Status UpdateKbSuggestionSession(const v1::KbSuggestionSession& session) override {
    return base_->UpdateKbSuggestionSession(session);
  }
  absl::StatusOr<v1::KbSuggestionSession> GetKbSuggestionSession(int64_t id) override {
    return base_->GetKbSuggestionSession(id);
  }
  absl::StatusOr<std::vector<v1::KbSuggestionSession>> ListKbSuggestionSessions(
      int64_t after_id, int limit) override {
    return base_->ListKbSuggestionSessions(after_id, limit);
  }
  // Lease fencing (issue 17).
  absl::Status CheckLease(absl::string_view name, absl::string_view holder,
                          int64_t token) override {
    return base_->CheckLease(name, holder, token);
  }

 private:
  std::unique_ptr<Transaction> base_;
};

// Forwards every call to another store; derive from it to wrap transactions
// (see TransactionWrapper) or to fail Begin(). `base` must outlive it.
class HELPDESK_EXPORT StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store* base) : base_(base) {}
  Store* base() const { return base_; }
  absl::string_view Name() const override { return base_->Name(); }
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    return base_->Begin(options);
  }
  absl::StatusOr<Lease> AcquireLease(absl::string_view name, absl::string_view holder,
                                     absl::Duration ttl, absl::Time now) override {
    return base_->AcquireLease(name, holder, ttl, now);
  }
  absl::Status ReleaseLease(absl::string_view name, absl::string_view holder) override {
    return base_->ReleaseLease(name, holder);
  }
  absl::StatusOr<v1::Ticket> ClaimNextTicket(const TicketClaim& claim) override {
    return base_->ClaimNextTicket(claim);
  }

 private:
  Store* base_;
};

}  // namespace helpdesk

#endif  // HELPDESK_STORE_WRAPPER_H_
