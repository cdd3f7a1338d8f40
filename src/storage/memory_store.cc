// MemoryStore: the Store contract over ordered maps in memory.
//
// Every method of MemoryTransaction writes through the same undo log
// (Remember) into the same MemoryState under the same lock. The state, the
// undo log and the transaction class are declared in memory_store_internal.h;
// this file holds the store and the transactions on tickets, messages,
// attachment content and thread keys, and the other parts are in
// memory_store_*.cc beside it (events, people, views, tracking, privacy, kb,
// automation), as sqlite_*.cc are; the internal header lists them.
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
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "storage/memory_store_internal.h"
#include "storage/ticket_claim.h"
#include "storage/ticket_query.h"

namespace helpdesk {
namespace internal {

// --- Tickets ---

absl::StatusOr<v1::Ticket> MemoryTransaction::GetTicket(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->tickets.find(id);
  if (it == state_->tickets.end()) return NotFound("ticket", id);
  return it->second;
}

// The held tickets in id order, serialized one at a time (the memory store
// keeps them parsed): a map walk from after_id, not a GetTicket per id.
absl::StatusOr<int> MemoryTransaction::VisitEncodedTickets(
    int64_t after_id, int64_t last_id, int limit,
    absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  HELPDESK_RETURN_IF_ERROR(CheckEncodedTicketsRange(after_id, last_id, limit));
  std::string bytes;
  int visited = 0;
  for (auto it = state_->tickets.upper_bound(after_id);
       it != state_->tickets.end() && it->first <= last_id && visited < limit; ++it) {
    bytes.clear();
    if (!it->second.SerializeToString(&bytes)) {
      return absl::InternalError(absl::StrCat("ticket ", it->first, ": cannot be serialized"));
    }
    ++visited;
    HELPDESK_RETURN_IF_ERROR(visit(it->first, bytes));
  }
  return visited;
}

absl::Status MemoryTransaction::InsertTicket(v1::Ticket* ticket) {
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

absl::Status MemoryTransaction::UpdateTicket(v1::Ticket* ticket, int64_t expected_version) {
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

absl::Status MemoryTransaction::SetTicketSlaDeadline(int64_t id,
                                                     std::optional<absl::Time> deadline) {
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

absl::StatusOr<TicketPage> MemoryTransaction::QueryTickets(const TicketQuery& query) {
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

absl::Status MemoryTransaction::CheckLease(absl::string_view name, absl::string_view holder,
                                           int64_t token) {
  HELPDESK_RETURN_IF_ERROR(internal::ValidateLease(name, holder, absl::Seconds(1)));
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->leases.find(std::string(name));
  return internal::LeaseVerdict(name, holder, token,
                                it == state_->leases.end() ? nullptr : &it->second);
}

absl::Status MemoryTransaction::InsertMessage(v1::Message* message) {
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

absl::StatusOr<v1::Message> MemoryTransaction::GetMessage(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->messages.find(id);
  if (it == state_->messages.end()) return NotFound("message", id);
  return it->second;
}

absl::StatusOr<std::vector<v1::Message>> MemoryTransaction::ListMessages(int64_t ticket_id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  std::vector<v1::Message> out;
  auto it = state_->messages_by_ticket.find(ticket_id);
  if (it == state_->messages_by_ticket.end()) return out;
  out.reserve(it->second.size());
  for (int64_t id : it->second) out.push_back(state_->messages.at(id));
  return out;
}

absl::StatusOr<int64_t> MemoryTransaction::MoveMessages(int64_t from_ticket, int64_t to_ticket) {
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

// --- Attachments ---

absl::Status MemoryTransaction::PutAttachmentContent(absl::string_view sha256,
                                                     absl::string_view content) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
  std::string key(sha256);
  if (state_->attachments.contains(key)) return absl::OkStatus();
  Remember(state_->attachments, key);
  state_->attachments[key] = std::string(content);
  return absl::OkStatus();
}

absl::StatusOr<std::string> MemoryTransaction::GetAttachmentContent(absl::string_view sha256) {
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

absl::Status MemoryTransaction::PutThreadKey(absl::string_view key, int64_t ticket_id) {
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

absl::StatusOr<int64_t> MemoryTransaction::FindThreadKey(absl::string_view key) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->thread_keys.find(std::string(key));
  if (it == state_->thread_keys.end()) {
    return absl::NotFoundError(absl::StrCat("no ticket has thread key '", key, "'"));
  }
  return it->second;
}

}  // namespace internal

namespace {

using State = internal::MemoryState;
using internal::MemoryTransaction;

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
