// Internal: the wrappers a Desk command's transaction runs through.
// WriteTracker records the tickets and agents a command wrote (for routing);
// EventTracker records the events it appended (for the rules' triggers) and
// keeps what the transaction itself wrote (tickets, contacts, messages, a new
// ticket's log), so that reading them back costs no store call. Only the
// desk's own files include it (through desk_impl.h).
#ifndef HELPDESK_SRC_DESK_TRANSACTION_TRACKERS_H_
#define HELPDESK_SRC_DESK_TRANSACTION_TRACKERS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "helpdesk/store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"

namespace helpdesk {
namespace desk_internal {

// What a transaction wrote that routing follows: the last stored state of
// each ticket and agent.
struct WrittenObjects {
  std::map<int64_t, v1::Ticket> tickets;
  std::map<int64_t, v1::Agent> agents;
  bool empty() const { return tickets.empty() && agents.empty(); }
};

// Records the tickets and agents written through it (when the write
// succeeded, as stored: with ids and versions).
class WriteTracker final : public TransactionWrapper {
 public:
  explicit WriteTracker(std::unique_ptr<Transaction> base)
      : TransactionWrapper(std::move(base)) {}

  absl::Status InsertTicket(v1::Ticket* ticket) override {
    return Keep(TransactionWrapper::InsertTicket(ticket), *ticket);
  }
  absl::Status UpdateTicket(v1::Ticket* ticket, int64_t expected_version) override {
    return Keep(TransactionWrapper::UpdateTicket(ticket, expected_version), *ticket);
  }
  absl::Status InsertAgent(v1::Agent* agent) override {
    return Keep(TransactionWrapper::InsertAgent(agent), *agent);
  }
  absl::Status UpdateAgent(v1::Agent* agent, int64_t expected_version) override {
    return Keep(TransactionWrapper::UpdateAgent(agent, expected_version), *agent);
  }

  // The SLA deadline feeds WorkItem::sla_due: a ticket whose deadline moved
  // is reported too (it keeps its version).
  absl::Status SetTicketSlaDeadline(int64_t id,
                                    std::optional<absl::Time> deadline) override {
    HELPDESK_RETURN_IF_ERROR(TransactionWrapper::SetTicketSlaDeadline(id, deadline));
    auto it = written_.tickets.find(id);
    if (it == written_.tickets.end()) {
      HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, base()->GetTicket(id));
      written_.tickets[id] = std::move(t);
      return absl::OkStatus();
    }
    if (deadline) {
      *it->second.mutable_sla_next_deadline() = ToTimestamp(*deadline);
    } else {
      it->second.clear_sla_next_deadline();
    }
    return absl::OkStatus();
  }

  WrittenObjects Take() { return std::move(written_); }

 private:
  absl::Status Keep(absl::Status s, const v1::Ticket& t) {
    if (s.ok()) written_.tickets[t.id()] = t;
    return s;
  }
  absl::Status Keep(absl::Status s, const v1::Agent& a) {
    if (s.ok()) written_.agents[a.id()] = a;
    return s;
  }
  WrittenObjects written_;
};

// Automation (issue 14): records the events a command appends, for the
// triggers, and stamps the rule being applied on the events its actions
// write. Events stamped with a rule are the rules' own writes: never a
// trigger's input (the engine has run their cascade already).
//
// It also keeps the whole log of each ticket this transaction created
// (InsertTicket with a store-assigned id: no event of it predates the
// transaction), as appended, so that the SLA recompute after the rules'
// changes reads a new ticket's log from here instead of the store
// (NewTicketEvents).
//
// And it keeps each ticket, contact and message this transaction wrote, as
// the write left it (the store sets ids and versions on the object it is
// given), and answers the next GetTicket, GetContact or GetMessage of one
// of them from there: the rules' snapshot of the ticket a command just
// created, its requester and its message cost no store read. A row the transaction wrote
// is its own until it commits (SQLite and the memory store have one writer;
// PostgreSQL holds the row lock), so the copy is what the store would read.
// A failed write of an object drops its copy; a write that can change rows
// without handing the object over (RedactEvent, RedactMessage, MoveMessages,
// DeleteTicket) ends all of this for the rest of the transaction. Debug
// builds (every test) read the store as well and fail with Internal when the
// copy differs.
class EventTracker final : public TransactionWrapper {
 public:
  explicit EventTracker(std::unique_ptr<Transaction> base)
      : TransactionWrapper(std::move(base)) {}

  absl::Status InsertTicket(v1::Ticket* ticket) override {
    const bool store_assigned_id = ticket->id() == 0;
    absl::Status s = TransactionWrapper::InsertTicket(ticket);
    Keep(s, *ticket, &written_tickets_);
    HELPDESK_RETURN_IF_ERROR(s);
    if (store_assigned_id && keeping_) new_ticket_events_[ticket->id()];
    return absl::OkStatus();
  }
  absl::Status UpdateTicket(v1::Ticket* ticket, int64_t expected_version) override {
    absl::Status s = TransactionWrapper::UpdateTicket(ticket, expected_version);
    Keep(s, *ticket, &written_tickets_);
    return s;
  }
  absl::Status SetTicketSlaDeadline(int64_t id,
                                    std::optional<absl::Time> deadline) override {
    absl::Status s = TransactionWrapper::SetTicketSlaDeadline(id, deadline);
    auto it = written_tickets_.find(id);
    if (it == written_tickets_.end()) return s;
    if (!s.ok()) {
      written_tickets_.erase(it);
    } else if (deadline) {
      *it->second.mutable_sla_next_deadline() = ToTimestamp(*deadline);
    } else {
      it->second.clear_sla_next_deadline();
    }
    return s;
  }
  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
    return ReadBack(written_tickets_, id, "ticket",
                    [&] { return TransactionWrapper::GetTicket(id); });
  }

  absl::Status InsertContact(v1::Contact* contact) override {
    absl::Status s = TransactionWrapper::InsertContact(contact);
    Keep(s, *contact, &written_contacts_);
    return s;
  }
  absl::Status UpdateContact(v1::Contact* contact, int64_t expected_version) override {
    absl::Status s = TransactionWrapper::UpdateContact(contact, expected_version);
    Keep(s, *contact, &written_contacts_);
    return s;
  }
  absl::StatusOr<v1::Contact> GetContact(int64_t id) override {
    return ReadBack(written_contacts_, id, "contact",
                    [&] { return TransactionWrapper::GetContact(id); });
  }

  absl::Status InsertMessage(v1::Message* message) override {
    absl::Status s = TransactionWrapper::InsertMessage(message);
    Keep(s, *message, &written_messages_);
    return s;
  }
  absl::StatusOr<v1::Message> GetMessage(int64_t id) override {
    return ReadBack(written_messages_, id, "message",
                    [&] { return TransactionWrapper::GetMessage(id); });
  }
  absl::StatusOr<int64_t> MoveMessages(int64_t from_ticket, int64_t to_ticket) override {
    StopKeeping();
    return TransactionWrapper::MoveMessages(from_ticket, to_ticket);
  }
  absl::Status RedactMessage(const v1::Message& message) override {
    StopKeeping();
    return TransactionWrapper::RedactMessage(message);
  }

  absl::Status AppendEvent(v1::Event* event) override {
    if (!rule_.empty()) event->set_rule(rule_);
    HELPDESK_RETURN_IF_ERROR(TransactionWrapper::AppendEvent(event));
    if (event->ticket_id() > 0) {
      if (event->rule().empty()) {
        events_.push_back(*event);
      } else {
        touched_.push_back(event->ticket_id());
      }
      auto it = new_ticket_events_.find(event->ticket_id());
      if (it != new_ticket_events_.end()) it->second.push_back(*event);
    }
    return absl::OkStatus();
  }

  absl::Status RedactEvent(const v1::Event& event) override {
    StopKeeping();
    return TransactionWrapper::RedactEvent(event);
  }
  absl::Status DeleteTicket(int64_t id) override {
    StopKeeping();
    return TransactionWrapper::DeleteTicket(id);
  }

  // Every event of ticket `id`, in the order appended (id order), when this
  // transaction created it: what ListTicketEvents(id, 0, 0) would read. Else
  // nullptr. Valid until the next write through this transaction.
  const std::vector<v1::Event>* NewTicketEvents(int64_t id) const {
    auto it = new_ticket_events_.find(id);
    return it == new_ticket_events_.end() ? nullptr : &it->second;
  }

  // The events recorded since the last call (rules' writes excluded).
  std::vector<v1::Event> TakeEvents() { return std::move(events_); }
  // Tickets the rules' writes touched since the last call.
  std::vector<int64_t> TakeTouched() { return std::move(touched_); }
  // The rule whose actions are being applied; empty for none.
  void set_rule(std::string rule) { rule_ = std::move(rule); }

  // The tracker under `tx` (through any wrappers), or null.
  static EventTracker* Find(Transaction& tx) {
    Transaction* t = &tx;
    while (t != nullptr) {
      if (auto* e = dynamic_cast<EventTracker*>(t)) return e;
      auto* w = dynamic_cast<TransactionWrapper*>(t);
      t = w != nullptr ? w->base() : nullptr;
    }
    return nullptr;
  }

 private:
  void StopKeeping() {
    keeping_ = false;
    new_ticket_events_.clear();
    written_tickets_.clear();
    written_contacts_.clear();
    written_messages_.clear();
  }

  // After a write of `object` that returned `s`: its copy as written, or
  // none when the write failed.
  template <typename T>
  void Keep(const absl::Status& s, const T& object, absl::flat_hash_map<int64_t, T>* kept) {
    if (s.ok() && keeping_) {
      (*kept)[object.id()] = object;
    } else {
      kept->erase(object.id());
    }
  }

  // Object `id` as this transaction wrote it, else as `read` reads it. The
  // copy is handed over (moved out, not copied again): a command reads back
  // what it wrote about once, and a second read goes to the store.
  template <typename T, typename Read>
  static absl::StatusOr<T> ReadBack(absl::flat_hash_map<int64_t, T>& kept, int64_t id,
                                    const char* what, Read read) {
    auto it = kept.find(id);
    if (it == kept.end()) return read();
    T object = std::move(it->second);
    kept.erase(it);
#ifndef NDEBUG
    absl::StatusOr<T> stored = read();
    if (!stored.ok()) return stored.status();
    if (!google::protobuf::util::MessageDifferencer::Equals(*stored, object)) {
      return absl::InternalError(absl::StrCat("EventTracker: the ", what, " ", id,
                                              " kept as written differs from the stored"));
    }
#else
    (void)what;
#endif
    return object;
  }

  std::string rule_;
  std::vector<v1::Event> events_;
  std::vector<int64_t> touched_;
  bool keeping_ = true;
  absl::flat_hash_map<int64_t, std::vector<v1::Event>> new_ticket_events_;
  absl::flat_hash_map<int64_t, v1::Ticket> written_tickets_;
  absl::flat_hash_map<int64_t, v1::Contact> written_contacts_;
  absl::flat_hash_map<int64_t, v1::Message> written_messages_;
};

}  // namespace desk_internal
}  // namespace helpdesk

#endif  // HELPDESK_SRC_DESK_TRANSACTION_TRACKERS_H_
