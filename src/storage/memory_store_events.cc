// MemoryTransaction: ticket and agent events, the outbox, the quarantine, idempotency records.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "storage/entry_state.h"
#include "storage/memory_store_internal.h"

namespace helpdesk::internal {

// --- Events ---

absl::Status MemoryTransaction::AppendEvent(v1::Event* event) {
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

absl::Status MemoryTransaction::AppendAgentEvent(v1::AgentEvent* event) {
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

absl::StatusOr<std::vector<v1::AgentEvent>> MemoryTransaction::ListAgentEvents(int64_t agent_id,
                                                                               int64_t after_id,
                                                                               int limit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  return ListOwned(state_->agent_events_by_agent, state_->agent_events,
                   agent_id, after_id, limit);
}

absl::StatusOr<std::vector<v1::Event>> MemoryTransaction::ListTicketEvents(int64_t ticket_id,
                                                                           int64_t after_id,
                                                                           int limit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  return ListOwned(state_->events_by_ticket, state_->events, ticket_id,
                   after_id, limit);
}

absl::StatusOr<std::vector<v1::Event>> MemoryTransaction::ListEventsSince(int64_t after_id,
                                                                          int limit) {
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

absl::StatusOr<int64_t> MemoryTransaction::LastEventId() {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  return state_->events.empty() ? int64_t{0} : state_->events.rbegin()->first;
}

absl::StatusOr<std::vector<v1::Event>> MemoryTransaction::ListEventsBetween(absl::Time from,
                                                                            absl::Time to,
                                                                            int64_t after_id,
                                                                            int limit) {
  std::vector<v1::Event> out;
  HELPDESK_RETURN_IF_ERROR(VisitEventsBetween(from, to, after_id, limit,
                                              [&out](const v1::Event& e) {
                                                out.push_back(e);
                                                return absl::OkStatus();
                                              })
                               .status());
  return out;
}

absl::StatusOr<int> MemoryTransaction::VisitEventsBetween(
    absl::Time from, absl::Time to, int64_t after_id, int limit,
    absl::FunctionRef<absl::Status(const v1::Event&)> visit) {
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
  int visited = 0;
  for (auto it = state_->events.upper_bound(after_id);
       it != state_->events.end() && visited < limit; ++it) {
    const int64_t t = TimestampToMicros(it->second.time());
    if (t < lo || t >= hi) continue;
    ++visited;
    HELPDESK_RETURN_IF_ERROR(visit(it->second));
  }
  return visited;
}

// --- Outbox ---

absl::Status MemoryTransaction::InsertOutbox(v1::OutboxEntry* entry) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "outbox entry"));
  entry->set_id(++state_->last.outbox);
  Remember(state_->outbox, entry->id());
  state_->outbox[entry->id()] = *entry;
  return absl::OkStatus();
}

absl::StatusOr<v1::OutboxEntry> MemoryTransaction::GetOutbox(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->outbox.find(id);
  if (it == state_->outbox.end()) return NotFound("outbox entry", id);
  return it->second;
}

absl::Status MemoryTransaction::UpdateOutbox(const v1::OutboxEntry& entry) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->outbox.find(entry.id());
  if (it == state_->outbox.end()) return NotFound("outbox entry", entry.id());
  Remember(state_->outbox, entry.id());
  it->second = entry;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::OutboxEntry>> MemoryTransaction::ListDueOutbox(absl::Time now,
                                                                              int limit) {
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

absl::StatusOr<std::vector<v1::OutboxEntry>> MemoryTransaction::ListOutbox(
    std::optional<v1::OutboxEntry::State> state, int64_t after_id, int limit) {
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

absl::Status MemoryTransaction::InsertQuarantine(v1::QuarantineEntry* entry) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "quarantine entry"));
  entry->set_id(++state_->last.quarantine);
  Remember(state_->quarantine, entry->id());
  state_->quarantine[entry->id()] = *entry;
  return absl::OkStatus();
}

absl::StatusOr<v1::QuarantineEntry> MemoryTransaction::GetQuarantine(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->quarantine.find(id);
  if (it == state_->quarantine.end()) return NotFound("quarantine entry", id);
  return it->second;
}

absl::Status MemoryTransaction::UpdateQuarantine(const v1::QuarantineEntry& entry) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(entry, "quarantine entry"));
  auto it = state_->quarantine.find(entry.id());
  if (it == state_->quarantine.end()) return NotFound("quarantine entry", entry.id());
  Remember(state_->quarantine, entry.id());
  it->second = entry;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::QuarantineEntry>> MemoryTransaction::ListQuarantine(
    std::optional<v1::QuarantineEntry::State> state, int64_t after_id, int limit) {
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

absl::StatusOr<std::string> MemoryTransaction::GetIdempotencyRecord(absl::string_view scope,
                                                                    absl::string_view key) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->idempotency.find({std::string(scope), std::string(key)});
  if (it == state_->idempotency.end()) {
    return absl::NotFoundError(absl::StrCat("no idempotency record for scope '",
                                            scope, "' key '", key, "'"));
  }
  return it->second;
}

absl::Status MemoryTransaction::PutIdempotencyRecord(absl::string_view scope, absl::string_view key,
                                                     absl::string_view value,
                                                     absl::Time recorded_at) {
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

}  // namespace helpdesk::internal
