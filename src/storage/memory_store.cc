// MemoryStore: the Store contract over ordered maps in memory.
//
// One unit for now (~1,340 lines): every method of MemoryTransaction writes
// through the same undo log (Remember) into the same State under the same
// lock, so the class and its state are read together. It has outgrown that:
// the split is due (the next change to this file does it first): State, the
// undo log and the transaction class into an internal header, and the
// knowledge base, saved views, tracking links, automation and personal-data
// parts into memory_store_*.cc files beside it, as sqlite_*.cc are.
//
// Concurrency: a std::shared_mutex. A read-write transaction holds it
// exclusively for its whole life, read-only ones share it, so every
// transaction sees a stable state.
//
// Not annotated for clang's -Wthread-safety, on purpose: the lock is taken in
// Begin and held by the MemoryTransaction object across many virtual calls of
// the Transaction interface, and the analysis only follows locks held within
// one function (a capability cannot be "held by this object between calls").
// Annotating would mean ABSL_NO_THREAD_SAFETY_ANALYSIS on Begin, Release and
// every transaction method, which checks nothing. The lock stays a
// std::shared_mutex (pthread_rwlock) rather than absl::Mutex because
// ThreadSanitizer sees pthread locks, while Debian's Abseil is built without
// TSan's annotations (see tests/tsan_absl_mutex.cc). Rollback replays an undo log: before a
// key of any map changes, the transaction records how to restore it.
#include "helpdesk/storage/memory_store.h"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/escaping.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "storage/entry_state.h"
#include "storage/kb_index.h"
#include "storage/ticket_claim.h"
#include "storage/ticket_query.h"

namespace helpdesk {
namespace {

struct Counters {
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

struct State {
  Counters last;  // the last id assigned or given, per kind
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

class MemoryTransaction final : public Transaction {
 public:
  // Takes ownership of the lock for its lifetime.
  MemoryTransaction(State* state, TransactionMode mode,
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

  // --- Tickets ---

  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->tickets.find(id);
    if (it == state_->tickets.end()) return NotFound("ticket", id);
    return it->second;
  }

  absl::Status InsertTicket(v1::Ticket* ticket) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (ticket->id() < 0) return NegativeId("ticket", ticket->id());
    if (ticket->id() == 0) {
      ticket->set_id(state_->last.ticket + 1);
    } else if (state_->tickets.contains(ticket->id())) {
      return absl::AlreadyExistsError(
          absl::StrCat("ticket ", ticket->id(), " already exists"));
    }
    state_->last.ticket = std::max(state_->last.ticket, ticket->id());
    ticket->set_version(1);
    Remember(state_->tickets, ticket->id());
    state_->tickets[ticket->id()] = *ticket;
    return absl::OkStatus();
  }

  absl::Status UpdateTicket(v1::Ticket* ticket,
                            int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->tickets.find(ticket->id());
    if (it == state_->tickets.end()) return NotFound("ticket", ticket->id());
    HELPDESK_RETURN_IF_ERROR(
        CheckVersion("ticket", ticket->id(), it->second.version(),
                     expected_version));
    ticket->set_version(expected_version + 1);
    Remember(state_->tickets, ticket->id());
    it->second = *ticket;
    return absl::OkStatus();
  }

  absl::Status SetTicketSlaDeadline(int64_t id,
                                    std::optional<absl::Time> deadline) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->tickets.find(id);
    if (it == state_->tickets.end()) return NotFound("ticket", id);
    Remember(state_->tickets, id);
    if (deadline) {
      *it->second.mutable_sla_next_deadline() = ToTimestamp(*deadline);
    } else {
      it->second.clear_sla_next_deadline();
    }
    return absl::OkStatus();
  }

  // --- Automation (issue 14) ---

  absl::Status SetTicketAutomationDue(int64_t id, std::optional<absl::Time> due) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (!state_->tickets.contains(id)) return NotFound("ticket", id);
    std::optional<int64_t> before;
    if (auto it = state_->automation_due.find(id); it != state_->automation_due.end()) {
      before = it->second;
    }
    std::optional<int64_t> after;
    if (due) after = absl::ToUnixMicros(*due);
    if (before == after) return absl::OkStatus();
    SetDue(id, after);
    undo_.push_back([this, id, before] { SetDue(id, before); });
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<absl::Time>> GetTicketAutomationDue(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->automation_due.find(id);
    if (it == state_->automation_due.end()) return std::optional<absl::Time>();
    return std::optional<absl::Time>(absl::FromUnixMicros(it->second));
  }

  absl::StatusOr<std::vector<int64_t>> ListDueAutomations(absl::Time now,
                                                          int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    if (limit < 1 || limit > 10000) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
    }
    std::vector<int64_t> out;
    const int64_t until = absl::ToUnixMicros(now);
    for (const auto& [due, id] : state_->automation_queue) {
      if (due > until || static_cast<int>(out.size()) >= limit) break;
      out.push_back(id);
    }
    return out;
  }

  absl::StatusOr<v1::RuleFirings> GetRuleFirings(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    v1::RuleFirings f;
    auto it = state_->rule_firings.find(id);
    if (it != state_->rule_firings.end() && !f.ParseFromString(it->second)) {
      return absl::DataLossError(absl::StrCat("rule firings of ticket ", id, " do not parse"));
    }
    return f;
  }

  absl::Status SetRuleFirings(int64_t id, const v1::RuleFirings& firings) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (!state_->tickets.contains(id)) return NotFound("ticket", id);
    Remember(state_->rule_firings, id);
    if (firings.firings_size() == 0) {
      state_->rule_firings.erase(id);
    } else {
      state_->rule_firings[id] = firings.SerializeAsString();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& query) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(internal::ValidateQuery(query));
    std::optional<internal::SortKey> after;
    if (!query.cursor.empty()) {
      HELPDESK_ASSIGN_OR_RETURN(after,
                                internal::DecodeCursor(query.cursor, query.sort));
    }
    std::vector<std::pair<internal::SortKey, const v1::Ticket*>> hits;
    for (const auto& [id, ticket] : state_->tickets) {
      if (!internal::TicketMatches(query, ticket)) continue;
      internal::SortKey key = internal::SortKeyOf(ticket, query.sort);
      if (after && !internal::ComesBefore(*after, key, query.sort)) continue;
      hits.emplace_back(key, &ticket);
    }
    std::sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
      return internal::ComesBefore(a.first, b.first, query.sort);
    });
    TicketPage page;
    size_t n = std::min(hits.size(), static_cast<size_t>(query.limit));
    page.tickets.reserve(n);
    for (size_t i = 0; i < n; ++i) page.tickets.push_back(*hits[i].second);
    if (hits.size() > n) {
      page.next_cursor = internal::EncodeCursor(query.sort, page.tickets.back());
    }
    return page;
  }

  // --- Messages ---

  absl::Status InsertMessage(v1::Message* message) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (message->ticket_id() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "message.ticket_id ", message->ticket_id(), " must be positive"));
    }
    message->set_id(++state_->last.message);
    if (message->origin_ticket_id() == 0) {
      message->set_origin_ticket_id(message->ticket_id());
    }
    Remember(state_->messages, message->id());
    state_->messages[message->id()] = *message;
    Remember(state_->messages_by_ticket, message->ticket_id());
    state_->messages_by_ticket[message->ticket_id()].insert(message->id());
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Message> GetMessage(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->messages.find(id);
    if (it == state_->messages.end()) return NotFound("message", id);
    return it->second;
  }

  absl::StatusOr<std::vector<v1::Message>> ListMessages(
      int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    std::vector<v1::Message> out;
    auto it = state_->messages_by_ticket.find(ticket_id);
    if (it == state_->messages_by_ticket.end()) return out;
    out.reserve(it->second.size());
    for (int64_t id : it->second) out.push_back(state_->messages.at(id));
    return out;
  }

  absl::StatusOr<int64_t> MoveMessages(int64_t from_ticket,
                                       int64_t to_ticket) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (from_ticket == to_ticket) return 0;
    auto it = state_->messages_by_ticket.find(from_ticket);
    if (it == state_->messages_by_ticket.end()) return 0;
    std::set<int64_t> ids = it->second;
    Remember(state_->messages_by_ticket, from_ticket);
    Remember(state_->messages_by_ticket, to_ticket);
    for (int64_t id : ids) {
      Remember(state_->messages, id);
      state_->messages.at(id).set_ticket_id(to_ticket);
      state_->messages_by_ticket[to_ticket].insert(id);
    }
    state_->messages_by_ticket.erase(from_ticket);
    return static_cast<int64_t>(ids.size());
  }

  // --- Events ---

  absl::Status AppendEvent(v1::Event* event) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (event->ticket_id() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event.ticket_id ", event->ticket_id(), " must be positive"));
    }
    event->set_id(++state_->last.event);
    Remember(state_->events, event->id());
    state_->events[event->id()] = *event;
    Remember(state_->events_by_ticket, event->ticket_id());
    state_->events_by_ticket[event->ticket_id()].insert(event->id());
    return absl::OkStatus();
  }

  absl::Status AppendAgentEvent(v1::AgentEvent* event) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (event->agent_id() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agent_event.agent_id ", event->agent_id(), " must be positive"));
    }
    event->set_id(++state_->last.agent_event);
    Remember(state_->agent_events, event->id());
    state_->agent_events[event->id()] = *event;
    Remember(state_->agent_events_by_agent, event->agent_id());
    state_->agent_events_by_agent[event->agent_id()].insert(event->id());
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<v1::AgentEvent>> ListAgentEvents(
      int64_t agent_id, int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return ListOwned(state_->agent_events_by_agent, state_->agent_events,
                     agent_id, after_id, limit);
  }

  absl::StatusOr<std::vector<v1::Event>> ListTicketEvents(
      int64_t ticket_id, int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    return ListOwned(state_->events_by_ticket, state_->events, ticket_id,
                     after_id, limit);
  }

  absl::StatusOr<std::vector<v1::Event>> ListEventsSince(int64_t after_id,
                                                         int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    if (limit < 1 || limit > 10000) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
    }
    std::vector<v1::Event> out;
    for (auto it = state_->events.upper_bound(after_id);
         it != state_->events.end() && static_cast<int>(out.size()) < limit;
         ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  absl::StatusOr<std::vector<v1::Event>> ListEventsBetween(absl::Time from, absl::Time to,
                                                           int64_t after_id,
                                                           int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    if (limit < 1 || limit > 10000) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
    }
    if (to < from) {
      return absl::InvalidArgumentError(absl::StrCat(
          "to ", absl::FormatTime(to), " is before from ", absl::FormatTime(from)));
    }
    const int64_t lo = absl::ToUnixMicros(from), hi = absl::ToUnixMicros(to);
    std::vector<v1::Event> out;
    for (auto it = state_->events.upper_bound(after_id);
         it != state_->events.end() && static_cast<int>(out.size()) < limit; ++it) {
      const int64_t t = TimestampToMicros(it->second.time());
      if (t >= lo && t < hi) out.push_back(it->second);
    }
    return out;
  }

  // --- Contacts and organizations ---

  absl::Status InsertContact(v1::Contact* contact) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_RETURN_IF_ERROR(CheckIdentitiesFree(*contact, 0));
    contact->set_id(++state_->last.contact);
    contact->set_version(1);
    StoreContact(*contact, nullptr);
    return absl::OkStatus();
  }

  absl::Status UpdateContact(v1::Contact* contact,
                             int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->contacts.find(contact->id());
    if (it == state_->contacts.end()) return NotFound("contact", contact->id());
    HELPDESK_RETURN_IF_ERROR(CheckVersion("contact", contact->id(),
                                          it->second.version(),
                                          expected_version));
    HELPDESK_RETURN_IF_ERROR(CheckIdentitiesFree(*contact, contact->id()));
    contact->set_version(expected_version + 1);
    v1::Contact old = it->second;
    StoreContact(*contact, &old);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Contact> GetContact(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->contacts.find(id);
    if (it == state_->contacts.end()) return NotFound("contact", id);
    return it->second;
  }

  absl::StatusOr<v1::Contact> FindContactByIdentity(
      v1::ContactIdentity::Kind kind, absl::string_view value) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->identities.find({kind, std::string(value)});
    if (it == state_->identities.end()) {
      return absl::NotFoundError(
          absl::StrCat("no contact has ", v1::ContactIdentity::Kind_Name(kind),
                       " identity '", value, "'"));
    }
    return state_->contacts.at(it->second);
  }

  absl::Status InsertOrganization(v1::Organization* organization) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (state_->organization_names.contains(organization->name())) {
      return Taken("organization name", organization->name());
    }
    organization->set_id(++state_->last.organization);
    Remember(state_->organizations, organization->id());
    state_->organizations[organization->id()] = *organization;
    Remember(state_->organization_names, organization->name());
    state_->organization_names[organization->name()] = organization->id();
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Organization> GetOrganization(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->organizations.find(id);
    if (it == state_->organizations.end()) return NotFound("organization", id);
    return it->second;
  }

  // --- Agents and groups ---

  absl::Status InsertAgent(v1::Agent* agent) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_RETURN_IF_ERROR(CheckAgentEmailFree(agent->email(), 0));
    agent->set_id(++state_->last.agent);
    agent->set_version(1);
    StoreAgent(*agent, "");
    return absl::OkStatus();
  }

  absl::Status UpdateAgent(v1::Agent* agent, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->agents.find(agent->id());
    if (it == state_->agents.end()) return NotFound("agent", agent->id());
    HELPDESK_RETURN_IF_ERROR(CheckVersion("agent", agent->id(),
                                          it->second.version(),
                                          expected_version));
    HELPDESK_RETURN_IF_ERROR(CheckAgentEmailFree(agent->email(), agent->id()));
    agent->set_version(expected_version + 1);
    StoreAgent(*agent, it->second.email());
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Agent> GetAgent(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->agents.find(id);
    if (it == state_->agents.end()) return NotFound("agent", id);
    return it->second;
  }

  absl::StatusOr<std::vector<v1::Agent>> ListAgents() override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    std::vector<v1::Agent> out;
    for (const auto& [id, agent] : state_->agents) out.push_back(agent);
    return out;
  }

  absl::Status InsertGroup(v1::Group* group) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (state_->group_names.contains(group->name())) {
      return Taken("group name", group->name());
    }
    group->set_id(++state_->last.group);
    Remember(state_->groups, group->id());
    state_->groups[group->id()] = *group;
    Remember(state_->group_names, group->name());
    state_->group_names[group->name()] = group->id();
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Group> GetGroup(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->groups.find(id);
    if (it == state_->groups.end()) return NotFound("group", id);
    return it->second;
  }

  absl::StatusOr<std::vector<v1::Group>> ListGroups() override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    std::vector<v1::Group> out;
    for (const auto& [id, group] : state_->groups) out.push_back(group);
    return out;
  }

  // --- Saved views and counts ---

  absl::StatusOr<int64_t> CountTickets(const TicketQuery& query) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    int64_t n = 0;
    for (const auto& [id, ticket] : state_->tickets) {
      if (internal::TicketMatches(query, ticket)) ++n;
    }
    return n;
  }

  absl::Status InsertView(v1::SavedView* view) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_RETURN_IF_ERROR(CheckViewNameFree(*view, 0));
    view->set_id(++state_->last.view);
    view->set_version(1);
    StoreView(*view, nullptr);
    return absl::OkStatus();
  }

  absl::Status UpdateView(v1::SavedView* view, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->views.find(view->id());
    if (it == state_->views.end()) return NotFound("view", view->id());
    HELPDESK_RETURN_IF_ERROR(
        CheckVersion("view", view->id(), it->second.version(), expected_version));
    HELPDESK_RETURN_IF_ERROR(CheckViewNameFree(*view, view->id()));
    view->set_version(expected_version + 1);
    v1::SavedView old = it->second;
    StoreView(*view, &old);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::SavedView> GetView(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->views.find(id);
    if (it == state_->views.end()) return NotFound("view", id);
    return it->second;
  }

  absl::Status DeleteView(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->views.find(id);
    if (it == state_->views.end()) return NotFound("view", id);
    std::pair<int64_t, std::string> key(it->second.owner_agent_id(), it->second.name());
    Remember(state_->view_names, key);
    state_->view_names.erase(key);
    Remember(state_->views, id);
    state_->views.erase(id);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<v1::SavedView>> ListViews(
      std::optional<int64_t> owner_agent_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    std::vector<v1::SavedView> out;
    for (const auto& [id, view] : state_->views) {
      if (!owner_agent_id || view.owner_agent_id() == *owner_agent_id) {
        out.push_back(view);
      }
    }
    return out;
  }

  // --- Time tracking ---

  absl::Status InsertTimeEntry(v1::TimeEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (entry->ticket_id() <= 0 || entry->agent_id() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "time entry: ticket_id ", entry->ticket_id(), " and agent_id ",
          entry->agent_id(), " must be positive"));
    }
    entry->set_id(++state_->last.time_entry);
    Remember(state_->time_entries, entry->id());
    state_->time_entries[entry->id()] = *entry;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntries(int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    std::vector<v1::TimeEntry> out;
    for (const auto& [id, e] : state_->time_entries) {
      if (e.ticket_id() == ticket_id) out.push_back(e);
    }
    return out;
  }

  absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntriesLogged(
      const TimeRange& range) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    std::vector<v1::TimeEntry> out;
    for (const auto& [id, e] : state_->time_entries) {
      if (range.Contains(FromTimestamp(e.logged_at()))) out.push_back(e);
    }
    std::stable_sort(out.begin(), out.end(), [](const v1::TimeEntry& a, const v1::TimeEntry& b) {
      return TimestampToMicros(a.logged_at()) < TimestampToMicros(b.logged_at());
    });
    return out;
  }

  // --- Attachments ---

  absl::Status PutAttachmentContent(absl::string_view sha256,
                                    absl::string_view content) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
    std::string key(sha256);
    if (state_->attachments.contains(key)) return absl::OkStatus();
    Remember(state_->attachments, key);
    state_->attachments[key] = std::string(content);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> GetAttachmentContent(
      absl::string_view sha256) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
    auto it = state_->attachments.find(std::string(sha256));
    if (it == state_->attachments.end()) {
      return absl::NotFoundError(
          absl::StrCat("no attachment content with sha256 ", sha256));
    }
    return it->second;
  }

  // --- Thread keys ---

  absl::Status PutThreadKey(absl::string_view key, int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (key.empty() || ticket_id <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "thread key '", key, "' for ticket ", ticket_id,
          ": the key must not be empty and the ticket id must be positive"));
    }
    std::string k(key);
    if (state_->thread_keys.contains(k)) return absl::OkStatus();
    Remember(state_->thread_keys, k);
    state_->thread_keys[k] = ticket_id;
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> FindThreadKey(absl::string_view key) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->thread_keys.find(std::string(key));
    if (it == state_->thread_keys.end()) {
      return absl::NotFoundError(absl::StrCat("no ticket has thread key '", key, "'"));
    }
    return it->second;
  }

  // --- Outbox ---

  absl::Status InsertOutbox(v1::OutboxEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "outbox entry"));
    entry->set_id(++state_->last.outbox);
    Remember(state_->outbox, entry->id());
    state_->outbox[entry->id()] = *entry;
    return absl::OkStatus();
  }

  absl::StatusOr<v1::OutboxEntry> GetOutbox(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->outbox.find(id);
    if (it == state_->outbox.end()) return NotFound("outbox entry", id);
    return it->second;
  }

  absl::Status UpdateOutbox(const v1::OutboxEntry& entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->outbox.find(entry.id());
    if (it == state_->outbox.end()) return NotFound("outbox entry", entry.id());
    Remember(state_->outbox, entry.id());
    it->second = entry;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<v1::OutboxEntry>> ListDueOutbox(absl::Time now,
                                                             int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckListLimit(limit));
    std::vector<const v1::OutboxEntry*> due;
    for (const auto& [id, e] : state_->outbox) {
      if (e.state() == v1::OutboxEntry::PENDING &&
          FromTimestamp(e.next_attempt_at()) <= now) {
        due.push_back(&e);
      }
    }
    std::sort(due.begin(), due.end(), [](const auto* a, const auto* b) {
      int64_t ta = TimestampToMicros(a->next_attempt_at());
      int64_t tb = TimestampToMicros(b->next_attempt_at());
      return ta != tb ? ta < tb : a->id() < b->id();
    });
    std::vector<v1::OutboxEntry> out;
    for (size_t i = 0; i < due.size() && static_cast<int>(i) < limit; ++i) {
      out.push_back(*due[i]);
    }
    return out;
  }

  absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutbox(
      std::optional<v1::OutboxEntry::State> state, int64_t after_id,
      int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckListLimit(limit));
    std::vector<v1::OutboxEntry> out;
    for (auto it = state_->outbox.upper_bound(after_id);
         it != state_->outbox.end() && static_cast<int>(out.size()) < limit; ++it) {
      if (!state || it->second.state() == *state) out.push_back(it->second);
    }
    return out;
  }

  // --- Quarantine ---



  absl::Status InsertQuarantine(v1::QuarantineEntry* entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "quarantine entry"));
    entry->set_id(++state_->last.quarantine);
    Remember(state_->quarantine, entry->id());
    state_->quarantine[entry->id()] = *entry;
    return absl::OkStatus();
  }

  absl::StatusOr<v1::QuarantineEntry> GetQuarantine(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->quarantine.find(id);
    if (it == state_->quarantine.end()) return NotFound("quarantine entry", id);
    return it->second;
  }

  absl::Status UpdateQuarantine(const v1::QuarantineEntry& entry) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(entry, "quarantine entry"));
    auto it = state_->quarantine.find(entry.id());
    if (it == state_->quarantine.end()) return NotFound("quarantine entry", entry.id());
    Remember(state_->quarantine, entry.id());
    it->second = entry;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<v1::QuarantineEntry>> ListQuarantine(
      std::optional<v1::QuarantineEntry::State> state, int64_t after_id,
      int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckListLimit(limit));
    std::vector<v1::QuarantineEntry> out;
    for (auto it = state_->quarantine.upper_bound(after_id);
         it != state_->quarantine.end() && static_cast<int>(out.size()) < limit; ++it) {
      if (!state || it->second.state() == *state) out.push_back(it->second);
    }
    return out;
  }

  // --- Idempotency ---

  absl::StatusOr<std::string> GetIdempotencyRecord(
      absl::string_view scope, absl::string_view key) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->idempotency.find({std::string(scope), std::string(key)});
    if (it == state_->idempotency.end()) {
      return absl::NotFoundError(absl::StrCat("no idempotency record for scope '",
                                              scope, "' key '", key, "'"));
    }
    return it->second;
  }

  absl::Status PutIdempotencyRecord(absl::string_view scope,
                                    absl::string_view key,
                                    absl::string_view value,
                                    absl::Time recorded_at) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    std::pair<std::string, std::string> k(scope, key);
    if (state_->idempotency.contains(k)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "idempotency record for scope '", scope, "' key '", key,
          "' already exists"));
    }
    Remember(state_->idempotency, k);
    state_->idempotency[k] = std::string(value);
    return absl::OkStatus();
  }

  // --- Tracking links ---

  absl::Status PutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                absl::Time created_at) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (ticket_id <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tracking link ticket_id ", ticket_id, " must be positive"));
    }
    HELPDESK_RETURN_IF_ERROR(CheckSha256(token_sha256));
    std::string hash(token_sha256);
    auto taken = state_->tracking_by_hash.find(hash);
    if (taken != state_->tracking_by_hash.end() && taken->second.ticket_id != ticket_id) {
      return absl::AlreadyExistsError(absl::StrCat(
          "tracking link token_sha256 is already the link of ticket ", taken->second.ticket_id));
    }
    auto old = state_->tracking_by_ticket.find(ticket_id);
    if (old != state_->tracking_by_ticket.end()) {
      const std::string old_hash = old->second;
      Remember(state_->tracking_by_hash, old_hash);
      state_->tracking_by_hash.erase(old_hash);
    }
    Remember(state_->tracking_by_ticket, ticket_id);
    state_->tracking_by_ticket[ticket_id] = hash;
    Remember(state_->tracking_by_hash, hash);
    state_->tracking_by_hash[hash] = TrackingTokenRecord{
        .ticket_id = ticket_id, .token_sha256 = hash, .created_at = created_at};
    return absl::OkStatus();
  }

  absl::StatusOr<TrackingTokenRecord> LookupTrackingToken(
      absl::string_view token_sha256) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->tracking_by_hash.find(std::string(token_sha256));
    if (it == state_->tracking_by_hash.end()) {
      return absl::NotFoundError("tracking link not found");
    }
    return it->second;
  }

  absl::StatusOr<std::optional<TrackingTokenRecord>> GetTrackingTokenOfTicket(
      int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->tracking_by_ticket.find(ticket_id);
    if (it == state_->tracking_by_ticket.end()) return std::optional<TrackingTokenRecord>();
    return std::optional<TrackingTokenRecord>(state_->tracking_by_hash.at(it->second));
  }

  absl::StatusOr<bool> RevokeTrackingToken(int64_t ticket_id) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->tracking_by_ticket.find(ticket_id);
    if (it == state_->tracking_by_ticket.end()) return false;
    const std::string hash = it->second;
    Remember(state_->tracking_by_hash, hash);
    state_->tracking_by_hash.erase(hash);
    Remember(state_->tracking_by_ticket, ticket_id);
    state_->tracking_by_ticket.erase(ticket_id);
    return true;
  }

  // --- Personal data (issue 16) ---

  absl::Status RedactMessage(const v1::Message& message) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->messages.find(message.id());
    if (it == state_->messages.end()) return NotFound("message", message.id());
    Remember(state_->messages, message.id());
    v1::Message& m = it->second;
    m.set_body_text(message.body_text());
    m.set_body_html(message.body_html());
    *m.mutable_attachments() = message.attachments();
    *m.mutable_author() = message.author();
    m.set_external_id(message.external_id());
    return absl::OkStatus();
  }

  absl::Status RedactEvent(const v1::Event& event) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->events.find(event.id());
    if (it == state_->events.end()) return NotFound("event", event.id());
    Remember(state_->events, event.id());
    *it->second.mutable_changes() = event.changes();
    it->second.set_note(event.note());
    return absl::OkStatus();
  }

  absl::Status DeleteTicket(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    if (!state_->tickets.contains(id)) return NotFound("ticket", id);
    Remember(state_->tickets, id);
    state_->tickets.erase(id);
    auto drop_owned = [&](auto& rows, auto& index) {
      auto it = index.find(id);
      if (it == index.end()) return;
      for (int64_t row : it->second) {
        Remember(rows, row);
        rows.erase(row);
      }
      Remember(index, id);
      index.erase(id);
    };
    drop_owned(state_->messages, state_->messages_by_ticket);
    drop_owned(state_->events, state_->events_by_ticket);
    for (auto it = state_->thread_keys.begin(); it != state_->thread_keys.end();) {
      auto next = std::next(it);
      if (it->second == id) {
        Remember(state_->thread_keys, it->first);
        state_->thread_keys.erase(it);
      }
      it = next;
    }
    HELPDESK_RETURN_IF_ERROR(RevokeTrackingToken(id).status());
    if (state_->automation_due.contains(id)) {
      std::optional<int64_t> before = state_->automation_due.at(id);
      SetDue(id, std::nullopt);
      undo_.push_back([this, id, before] { SetDue(id, before); });
    }
    Remember(state_->rule_firings, id);
    state_->rule_firings.erase(id);
    for (auto it = state_->time_entries.begin(); it != state_->time_entries.end();) {
      auto next = std::next(it);
      if (it->second.ticket_id() == id) {
        Remember(state_->time_entries, it->first);
        state_->time_entries.erase(it);
      }
      it = next;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListOrphanAttachments(absl::string_view after,
                                                                 int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    if (limit < 1 || limit > 10000) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", limit, " must be between 1 and 10000"));
    }
    std::set<std::string> used;
    for (const auto& [id, m] : state_->messages) {
      for (const v1::Attachment& a : m.attachments()) used.insert(a.sha256());
    }
    std::vector<std::string> out;
    for (auto it = state_->attachments.upper_bound(std::string(after));
         it != state_->attachments.end() && static_cast<int>(out.size()) < limit; ++it) {
      if (!used.contains(it->first)) out.push_back(it->first);
    }
    return out;
  }

  absl::StatusOr<bool> DeleteAttachmentContent(absl::string_view sha256) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    std::string key(sha256);
    if (!state_->attachments.contains(key)) return false;
    Remember(state_->attachments, key);
    state_->attachments.erase(key);
    return true;
  }

  // --- Knowledge base ---

  absl::Status InsertKbArticle(v1::KbArticle* article) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    HELPDESK_ASSIGN_OR_RETURN(internal::KbIndexedArticle indexed,
                              internal::IndexKbArticle(*article));
    article->set_id(++state_->last.kb_article);
    article->set_version(1);
    indexed.facts.id = article->id();
    Remember(state_->kb_articles, article->id());
    Remember(state_->kb_index, article->id());
    state_->kb_articles[article->id()] = *article;
    state_->kb_index[article->id()] = std::move(indexed);
    return absl::OkStatus();
  }

  absl::Status UpdateKbArticle(v1::KbArticle* article, int64_t expected_version) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->kb_articles.find(article->id());
    if (it == state_->kb_articles.end()) return NotFound("article", article->id());
    if (it->second.version() != expected_version) {
      return absl::AbortedError(absl::StrCat("article ", article->id(), ": expected version ",
                                             expected_version, ", stored version ",
                                             it->second.version()));
    }
    HELPDESK_ASSIGN_OR_RETURN(internal::KbIndexedArticle indexed,
                              internal::IndexKbArticle(*article));
    article->set_version(expected_version + 1);
    Remember(state_->kb_articles, article->id());
    Remember(state_->kb_index, article->id());
    state_->kb_articles[article->id()] = *article;
    state_->kb_index[article->id()] = std::move(indexed);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::KbArticle> GetKbArticle(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->kb_articles.find(id);
    if (it == state_->kb_articles.end()) return NotFound("article", id);
    return it->second;
  }

  absl::StatusOr<std::vector<v1::KbArticle>> ListKbArticles(int64_t after_id,
                                                            int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckKbListLimit(limit));
    std::vector<v1::KbArticle> out;
    for (auto it = state_->kb_articles.upper_bound(after_id);
         it != state_->kb_articles.end() && static_cast<int>(out.size()) < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  absl::StatusOr<std::vector<KbSearchHit>> SearchKbArticles(
      const KbSearchRequest& request) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(internal::CheckKbSearchRequest(request));
    return internal::SearchKbIndex(state_->kb_index, request);
  }

  absl::Status InsertKbSuggestionSession(v1::KbSuggestionSession* session) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    session->set_id(++state_->last.kb_session);
    Remember(state_->kb_sessions, session->id());
    state_->kb_sessions[session->id()] = *session;
    return absl::OkStatus();
  }

  absl::Status UpdateKbSuggestionSession(const v1::KbSuggestionSession& session) override {
    HELPDESK_RETURN_IF_ERROR(CheckWritable());
    auto it = state_->kb_sessions.find(session.id());
    if (it == state_->kb_sessions.end()) return NotFound("suggestion session", session.id());
    Remember(state_->kb_sessions, session.id());
    it->second = session;
    return absl::OkStatus();
  }

  absl::StatusOr<v1::KbSuggestionSession> GetKbSuggestionSession(int64_t id) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->kb_sessions.find(id);
    if (it == state_->kb_sessions.end()) return NotFound("suggestion session", id);
    return it->second;
  }

  absl::StatusOr<std::vector<v1::KbSuggestionSession>> ListKbSuggestionSessions(
      int64_t after_id, int limit) override {
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    HELPDESK_RETURN_IF_ERROR(CheckKbListLimit(limit));
    std::vector<v1::KbSuggestionSession> out;
    for (auto it = state_->kb_sessions.upper_bound(after_id);
         it != state_->kb_sessions.end() && static_cast<int>(out.size()) < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

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

  absl::Status CheckIdentitiesFree(const v1::Contact& contact,
                                   int64_t self) const {
    std::set<std::pair<int, std::string>> seen;
    for (const v1::ContactIdentity& identity : contact.identities()) {
      std::pair<int, std::string> key(identity.kind(), identity.value());
      auto it = state_->identities.find(key);
      bool taken = (it != state_->identities.end() && it->second != self) ||
                   !seen.insert(key).second;
      if (taken) {
        return Taken(absl::StrCat(v1::ContactIdentity::Kind_Name(identity.kind()),
                                  " identity"),
                     identity.value());
      }
    }
    return absl::OkStatus();
  }

  // Writes `contact` and re-indexes its identities (dropping `old`'s).
  void StoreContact(const v1::Contact& contact, const v1::Contact* old) {
    if (old != nullptr) {
      for (const v1::ContactIdentity& identity : old->identities()) {
        std::pair<int, std::string> key(identity.kind(), identity.value());
        Remember(state_->identities, key);
        state_->identities.erase(key);
      }
    }
    for (const v1::ContactIdentity& identity : contact.identities()) {
      std::pair<int, std::string> key(identity.kind(), identity.value());
      Remember(state_->identities, key);
      state_->identities[key] = contact.id();
    }
    Remember(state_->contacts, contact.id());
    state_->contacts[contact.id()] = contact;
  }

  absl::Status CheckAgentEmailFree(const std::string& email,
                                   int64_t self) const {
    if (email.empty()) return absl::OkStatus();
    auto it = state_->agent_emails.find(email);
    if (it != state_->agent_emails.end() && it->second != self) {
      return Taken("agent email", email);
    }
    return absl::OkStatus();
  }

  absl::Status CheckViewNameFree(const v1::SavedView& view, int64_t self) {
    auto it = state_->view_names.find({view.owner_agent_id(), view.name()});
    if (it != state_->view_names.end() && it->second != self) {
      return absl::AlreadyExistsError(absl::StrCat(
          "view name '", absl::CHexEscape(view.name()), "' of owner ",
          view.owner_agent_id(), " is taken by view ", it->second));
    }
    return absl::OkStatus();
  }

  void StoreView(const v1::SavedView& view, const v1::SavedView* old) {
    if (old != nullptr) {
      std::pair<int64_t, std::string> key(old->owner_agent_id(), old->name());
      Remember(state_->view_names, key);
      state_->view_names.erase(key);
    }
    std::pair<int64_t, std::string> key(view.owner_agent_id(), view.name());
    Remember(state_->view_names, key);
    state_->view_names[key] = view.id();
    Remember(state_->views, view.id());
    state_->views[view.id()] = view;
  }

  void StoreAgent(const v1::Agent& agent, const std::string& old_email) {
    if (!old_email.empty()) {
      Remember(state_->agent_emails, old_email);
      state_->agent_emails.erase(old_email);
    }
    if (!agent.email().empty()) {
      Remember(state_->agent_emails, agent.email());
      state_->agent_emails[agent.email()] = agent.id();
    }
    Remember(state_->agents, agent.id());
    state_->agents[agent.id()] = agent;
  }

  // Records how to restore `map[key]` to its current state (value or absence).
  static absl::Status CheckKbListLimit(int limit) {
    if (limit >= 1 && limit <= 10000) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }

  // Sets ticket `id`'s due time in the map and the queue (nullopt: none).
  void SetDue(int64_t id, std::optional<int64_t> due) {
    auto it = state_->automation_due.find(id);
    if (it != state_->automation_due.end()) {
      state_->automation_queue.erase({it->second, id});
      state_->automation_due.erase(it);
    }
    if (due) {
      state_->automation_due[id] = *due;
      state_->automation_queue.insert({*due, id});
    }
  }

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

  absl::Status CheckLease(absl::string_view name, absl::string_view holder,
                          int64_t token) override {
    HELPDESK_RETURN_IF_ERROR(internal::ValidateLease(name, holder, absl::Seconds(1)));
    HELPDESK_RETURN_IF_ERROR(CheckOpen());
    auto it = state_->leases.find(std::string(name));
    return internal::LeaseVerdict(name, holder, token,
                                  it == state_->leases.end() ? nullptr : &it->second);
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

  State* state_;
  TransactionMode mode_;
  std::unique_lock<std::shared_mutex> write_lock_;
  std::shared_lock<std::shared_mutex> read_lock_;
  Counters saved_counters_;
  std::vector<std::function<void()>> undo_;
  bool done_ = false;
};

class MemoryStore final : public Store {
 public:
  absl::string_view Name() const override { return "helpdesk.memory"; }

  using Store::Begin;
  // options.durable needs nothing: a memory store has nothing that outlives
  // the process, so no commit is more durable than another.
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    const TransactionMode mode = options.mode;
    if (mode == TransactionMode::kReadWrite) {
      return std::make_unique<MemoryTransaction>(
          &state_, mode, std::unique_lock<std::shared_mutex>(mu_),
          std::shared_lock<std::shared_mutex>());
    }
    return std::make_unique<MemoryTransaction>(
        &state_, mode, std::unique_lock<std::shared_mutex>(),
        std::shared_lock<std::shared_mutex>(mu_));
  }

  absl::StatusOr<v1::Ticket> ClaimNextTicket(const TicketClaim& claim) override {
    return internal::ClaimNextTicketSerialised(*this, claim);
  }

  // Leases live in the State and change under the write lock (a change
  // waits for the open read-write transaction), so Transaction::CheckLease
  // holds until its transaction ends. Do not call these while holding a
  // transaction of this store on the same thread.
  absl::StatusOr<Lease> AcquireLease(absl::string_view name, absl::string_view holder,
                                     absl::Duration ttl, absl::Time now) override {
    HELPDESK_RETURN_IF_ERROR(internal::ValidateLease(name, holder, ttl));
    std::unique_lock<std::shared_mutex> lock(mu_);
    Lease& lease = state_.leases[std::string(name)];
    if (lease.name.empty()) lease.name = std::string(name);
    if (lease.holder == holder || lease.expires_at <= now || lease.holder.empty()) {
      if (lease.holder != holder) ++lease.token;
      lease.holder = std::string(holder);
      lease.expires_at = now + ttl;
    }
    return lease;
  }
  absl::Status ReleaseLease(absl::string_view name, absl::string_view holder) override {
    HELPDESK_RETURN_IF_ERROR(internal::ValidateLease(name, holder, absl::Seconds(1)));
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto it = state_.leases.find(std::string(name));
    if (it != state_.leases.end() && it->second.holder == holder) {
      it->second.holder.clear();
      it->second.expires_at = absl::InfinitePast();
    }
    return absl::OkStatus();
  }

 private:
  std::shared_mutex mu_;
  State state_;  // guarded by mu_, held by the open transaction
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace helpdesk
