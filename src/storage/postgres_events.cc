// PostgresTransaction's append-only logs and work queues: ticket events,
// agent events, the outbox and the quarantine, and idempotency records.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "storage/entry_state.h"
#include "storage/postgres_transaction.h"

namespace helpdesk::internal {
namespace {

constexpr int kMaxEventsPage = 10000;

void SetTicketOf(v1::Event& e, int64_t ticket_id) { e.set_ticket_id(ticket_id); }
void SetAgentOf(v1::AgentEvent& e, int64_t agent_id) { e.set_agent_id(agent_id); }

}  // namespace

// An append-only row of an owner: `sql` inserts (owner, proto) and returns
// the id; the proto is stored without its id.
template <typename Proto>
absl::Status PostgresTransaction::AppendOwned(absl::string_view sql, int64_t owner,
                                              absl::string_view what, Proto* row) {
  Proto stored = *row;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, what));
  HELPDESK_ASSIGN_OR_RETURN(PgResult r,
                            Run(sql, {PgParam::Int(owner), PgParam::Bytes(bytes)}));
  row->set_id(r.Int(0, 0));
  return absl::OkStatus();
}

// Rows of (id, owner, proto).
template <typename Proto, typename SetOwner>
absl::StatusOr<std::vector<Proto>> PostgresTransaction::ReadOwned(
    const PgResult& r, absl::string_view table, SetOwner set_owner) {
  std::vector<Proto> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const int64_t id = r.Int(i, 0);
    HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(i, 2), table, id, &out[i]));
    out[i].set_id(id);
    set_owner(out[i], r.Int(i, 1));
  }
  return out;
}

// --- Events ---

absl::Status PostgresTransaction::DoAppendEvent(v1::Event* event) {
  if (event->ticket_id() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.ticket_id ", event->ticket_id(), " must be positive"));
  }
  // time_micros (schema version 5) lets reports read a period by its index.
  v1::Event stored = *event;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "event"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("INSERT INTO events (ticket_id, proto, time_micros) VALUES ($1, $2, $3) "
          "RETURNING id",
          {PgParam::Int(event->ticket_id()), PgParam::Bytes(bytes),
           PgParam::Int(TimestampToMicros(event->time()))}));
  event->set_id(r.Int(0, 0));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Event>> PostgresTransaction::DoListEventsBetween(
    absl::Time from, absl::Time to, int64_t after_id, int limit) {
  if (limit < 1 || limit > kMaxEventsPage) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, ", kMaxEventsPage, "]"));
  }
  if (to < from) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to ", absl::FormatTime(to), " is before from ", absl::FormatTime(from)));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT id, ticket_id, proto FROM events "
          "WHERE time_micros >= $1 AND time_micros < $2 AND id > $3 "
          "ORDER BY id LIMIT $4",
          {PgParam::Int(absl::ToUnixMicros(from)), PgParam::Int(absl::ToUnixMicros(to)),
           PgParam::Int(after_id), PgParam::Int(limit)}));
  return ReadOwned<v1::Event>(r, "events", SetTicketOf);
}

absl::StatusOr<std::vector<v1::Event>> PostgresTransaction::DoListTicketEvents(
    int64_t ticket_id, int64_t after_id, int limit) {
  if (limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat("limit ", limit, " must not be negative"));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT id, ticket_id, proto FROM events WHERE ticket_id = $1 AND id > $2 "
          "ORDER BY id LIMIT $3",
          {PgParam::Int(ticket_id), PgParam::Int(after_id),
           PgParam::Int(limit == 0 ? std::numeric_limits<int64_t>::max() : limit)}));
  return ReadOwned<v1::Event>(r, "events", SetTicketOf);
}

absl::StatusOr<std::vector<v1::Event>> PostgresTransaction::DoListEventsSince(
    int64_t after_id, int limit) {
  if (limit < 1 || limit > kMaxEventsPage) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, ", kMaxEventsPage, "]"));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT id, ticket_id, proto FROM events WHERE id > $1 "
                      "ORDER BY id LIMIT $2",
                      {PgParam::Int(after_id), PgParam::Int(limit)}));
  return ReadOwned<v1::Event>(r, "events", SetTicketOf);
}

// Events are appended under the schema's writer lock (CheckOpen), which
// holds until the commit, so their ids (bigserial: never reused) commit in
// id order; max(id) reads the end of the primary key's index.
absl::StatusOr<int64_t> PostgresTransaction::DoLastEventId() {
  HELPDESK_ASSIGN_OR_RETURN(PgResult r, Run("SELECT coalesce(max(id), 0) FROM events", {}));
  return r.Int(0, 0);
}

absl::Status PostgresTransaction::DoAppendAgentEvent(v1::AgentEvent* event) {
  if (event->agent_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent_event.agent_id ", event->agent_id(), " must be positive"));
  }
  return AppendOwned(
      "INSERT INTO agent_events (agent_id, proto) VALUES ($1, $2) RETURNING id",
      event->agent_id(), "agent event", event);
}

absl::StatusOr<std::vector<v1::AgentEvent>> PostgresTransaction::DoListAgentEvents(
    int64_t agent_id, int64_t after_id, int limit) {
  if (limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat("limit ", limit, " must not be negative"));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT id, agent_id, proto FROM agent_events WHERE agent_id = $1 AND id > $2 "
          "ORDER BY id LIMIT $3",
          {PgParam::Int(agent_id), PgParam::Int(after_id),
           PgParam::Int(limit == 0 ? std::numeric_limits<int64_t>::max() : limit)}));
  return ReadOwned<v1::AgentEvent>(r, "agent_events", SetAgentOf);
}

// --- Idempotency ---

absl::StatusOr<std::string> PostgresTransaction::DoGetIdempotencyRecord(
    absl::string_view scope, absl::string_view key) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT value FROM idempotency WHERE scope = $1 AND key = $2",
                      {PgParam::Bytes(scope), PgParam::Bytes(key)}));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("no idempotency record for scope '", scope,
                                            "' key '", key, "'"));
  }
  return std::string(r.Bytes(0, 0));
}

absl::Status PostgresTransaction::DoPutIdempotencyRecord(absl::string_view scope,
                                                         absl::string_view key,
                                                         absl::string_view value,
                                                         absl::Time recorded_at) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("INSERT INTO idempotency (scope, key, value, recorded_us) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
          {PgParam::Bytes(scope), PgParam::Bytes(key), PgParam::Bytes(value),
           PgParam::Int(ToUnixMicrosFloor(recorded_at))}));
  if (r.Affected() == 0) {
    return absl::AlreadyExistsError(absl::StrCat("idempotency record for scope '", scope,
                                                 "' key '", key, "' already exists"));
  }
  return absl::OkStatus();
}

// --- Outbox and quarantine ---

absl::Status PostgresTransaction::DoInsertOutbox(v1::OutboxEntry* entry) {
  HELPDESK_RETURN_IF_ERROR(CheckEntryState(*entry, "outbox entry"));
  v1::OutboxEntry stored = *entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "outbox entry"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("INSERT INTO outbox (state, next_attempt_us, proto) VALUES ($1, $2, $3) "
          "RETURNING id",
          {PgParam::Int(stored.state()),
           PgParam::Int(TimestampToMicros(stored.next_attempt_at())),
           PgParam::Bytes(bytes)}));
  entry->set_id(r.Int(0, 0));
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateOutbox(const v1::OutboxEntry& entry) {
  HELPDESK_RETURN_IF_ERROR(CheckEntryState(entry, "outbox entry"));
  v1::OutboxEntry stored = entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "outbox entry"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("UPDATE outbox SET state = $1, next_attempt_us = $2, proto = $3 WHERE id = $4",
          {PgParam::Int(stored.state()),
           PgParam::Int(TimestampToMicros(stored.next_attempt_at())),
           PgParam::Bytes(bytes), PgParam::Int(entry.id())}));
  if (r.Affected() == 0) return NotFound("outbox entry", entry.id());
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoInsertQuarantine(v1::QuarantineEntry* entry) {
  HELPDESK_RETURN_IF_ERROR(CheckEntryState(*entry, "quarantine entry"));
  v1::QuarantineEntry stored = *entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "quarantine entry"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("INSERT INTO quarantine (state, proto) VALUES ($1, $2) RETURNING id",
                      {PgParam::Int(stored.state()), PgParam::Bytes(bytes)}));
  entry->set_id(r.Int(0, 0));
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateQuarantine(const v1::QuarantineEntry& entry) {
  HELPDESK_RETURN_IF_ERROR(CheckEntryState(entry, "quarantine entry"));
  v1::QuarantineEntry stored = entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "quarantine entry"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("UPDATE quarantine SET state = $1, proto = $2 WHERE id = $3",
                      {PgParam::Int(stored.state()), PgParam::Bytes(bytes),
                       PgParam::Int(entry.id())}));
  if (r.Affected() == 0) return NotFound("quarantine entry", entry.id());
  return absl::OkStatus();
}

}  // namespace helpdesk::internal
