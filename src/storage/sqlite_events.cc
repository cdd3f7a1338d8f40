// SqliteTransaction's append-only logs and work queues: ticket events (the
// audit log), agent events, the outbox and the quarantine (rows with a state
// column), and idempotency records. The class and its plumbing are in
// sqlite_transaction.h.
#include "storage/sqlite_transaction.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "storage/entry_state.h"

namespace helpdesk::internal {

namespace {

constexpr int kMaxEventsPage = 10000;

}  // namespace

// --- Events ---

absl::Status SqliteTransaction::DoAppendEvent(v1::Event* event) {
  if (event->ticket_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event.ticket_id ", event->ticket_id(), " must be positive"));
  }
  // time_micros (schema version 5) lets reports read a period by its index.
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, SerializeWithoutId(event, "event"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO events (ticket_id, proto, time_micros) VALUES (?, ?, ?)"));
  stmt.BindInt(1, event->ticket_id());
  stmt.BindBlob(2, bytes);
  stmt.BindInt(3, TimestampToMicros(event->time()));
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  event->set_id(LastRowId());
  return absl::OkStatus();
}

// An append-only row of an owner (a ticket's or an agent's event): `sql`
// inserts (owner, proto); the proto is stored without its id, which the
// row's key assigns.
template <typename Proto>
absl::Status SqliteTransaction::AppendOwned(absl::string_view sql,
                                            int64_t owner,
                                            absl::string_view what,
                                            Proto* row) {
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, SerializeWithoutId(row, what));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
  stmt.BindInt(1, owner);
  stmt.BindBlob(2, bytes);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  row->set_id(LastRowId());
  return absl::OkStatus();
}

// Reads (id, owner, proto) rows of `table`; `set_owner` puts the owner back.
template <typename Proto, typename SetOwner>
absl::StatusOr<std::vector<Proto>> SqliteTransaction::ReadOwned(
    SqliteStatement& stmt, absl::string_view table, SetOwner set_owner) {
  std::vector<Proto> out;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const int64_t id = stmt.ColumnInt(0);
    Proto& proto = out.emplace_back();
    HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(2), table, id, &proto));
    proto.set_id(id);
    set_owner(proto, stmt.ColumnInt(1));
  }
  return out;
}

// The rows of one owner with id > after_id, in id order, at most `limit`
// (0 = no limit); `sql` selects (id, owner, proto) with the owner, after_id
// and limit bound in that order.
template <typename Proto, typename SetOwner>
absl::StatusOr<std::vector<Proto>> SqliteTransaction::ListOwned(
    absl::string_view sql, absl::string_view table, SetOwner set_owner,
    int64_t owner, int64_t after_id, int limit) {
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " must not be negative"));
  }
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
  stmt.BindInt(1, owner);
  stmt.BindInt(2, after_id);
  stmt.BindInt(3, limit == 0 ? -1 : limit);  // a negative LIMIT is none
  return ReadOwned<Proto>(stmt, table, set_owner);
}

void SqliteTransaction::SetTicketOf(v1::Event& e, int64_t ticket_id) {
  e.set_ticket_id(ticket_id);
}
void SqliteTransaction::SetAgentOf(v1::AgentEvent& e, int64_t agent_id) {
  e.set_agent_id(agent_id);
}

absl::StatusOr<std::vector<v1::Event>> SqliteTransaction::DoListTicketEvents(
    int64_t ticket_id, int64_t after_id, int limit) {
  return ListOwned<v1::Event>(
      "SELECT id, ticket_id, proto FROM events "
      "WHERE ticket_id = ? AND id > ? ORDER BY id LIMIT ?",
      "events", SetTicketOf, ticket_id, after_id, limit);
}

absl::StatusOr<std::vector<v1::Event>> SqliteTransaction::DoListEventsSince(
    int64_t after_id, int limit) {
  if (limit < 1 || limit > kMaxEventsPage) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit ", limit, " is out of range [1, ", kMaxEventsPage, "]"));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, ticket_id, proto FROM events WHERE id > ? "
              "ORDER BY id LIMIT ?"));
  stmt.BindInt(1, after_id);
  stmt.BindInt(2, limit);
  return ReadOwned<v1::Event>(stmt, "events", SetTicketOf);
}

// max(id) reads the last row of the rowid b-tree. One writer at a time
// assigns ids (AUTOINCREMENT: never reused), so they commit in id order.
absl::StatusOr<int64_t> SqliteTransaction::DoLastEventId() {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("SELECT coalesce(max(id), 0) FROM events"));
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError("events: max(id) returned no row");
  return stmt.ColumnInt(0);
}

// The statement both reads of a period run: the events of [from, to) after
// `after_id`, in id order, at most `limit`. InvalidArgument for a limit out of
// range or a period that ends before it starts.
absl::StatusOr<SqliteStatement> SqliteTransaction::PrepareEventsBetween(absl::Time from,
                                                                        absl::Time to,
                                                                        int64_t after_id,
                                                                        int limit) {
  if (limit < 1 || limit > kMaxEventsPage) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit ", limit, " is out of range [1, ", kMaxEventsPage, "]"));
  }
  if (to < from) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to ", absl::FormatTime(to), " is before from ", absl::FormatTime(from)));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, ticket_id, proto FROM events "
              "WHERE time_micros >= ? AND time_micros < ? AND id > ? "
              "ORDER BY id LIMIT ?"));
  stmt.BindInt(1, absl::ToUnixMicros(from));
  stmt.BindInt(2, absl::ToUnixMicros(to));
  stmt.BindInt(3, after_id);
  stmt.BindInt(4, limit);
  return stmt;
}

absl::StatusOr<std::vector<v1::Event>> SqliteTransaction::DoListEventsBetween(
    absl::Time from, absl::Time to, int64_t after_id, int limit) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            PrepareEventsBetween(from, to, after_id, limit));
  return ReadOwned<v1::Event>(stmt, "events", SetTicketOf);
}

// Each row is parsed into one reused message (its strings, sub-messages and
// repeated fields keep their memory from row to row), so reading a period
// allocates per page, not per event.
absl::StatusOr<int> SqliteTransaction::VisitEventsBetween(
    absl::Time from, absl::Time to, int64_t after_id, int limit,
    absl::FunctionRef<absl::Status(const v1::Event&)> visit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Watch(PrepareEventsBetween(from, to, after_id, limit)));
  v1::Event event;
  int visited = 0;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, Watch(stmt.Step()));
    if (!row) break;
    const int64_t id = stmt.ColumnInt(0);
    HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(2), "events", id, &event));
    event.set_id(id);
    event.set_ticket_id(stmt.ColumnInt(1));
    ++visited;
    HELPDESK_RETURN_IF_ERROR(visit(event));
  }
  return visited;
}

// The rows' bytes as stored (the id and ticket id are columns).
absl::StatusOr<int> SqliteTransaction::VisitEncodedEventsBetween(
    absl::Time from, absl::Time to, int64_t after_id, int limit,
    absl::FunctionRef<absl::Status(int64_t, int64_t, absl::string_view)> visit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Watch(PrepareEventsBetween(from, to, after_id, limit)));
  int visited = 0;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, Watch(stmt.Step()));
    if (!row) break;
    ++visited;
    HELPDESK_RETURN_IF_ERROR(visit(stmt.ColumnInt(0), stmt.ColumnInt(1), stmt.ColumnBlob(2)));
  }
  return visited;
}

absl::Status SqliteTransaction::DoAppendAgentEvent(v1::AgentEvent* event) {
  if (event->agent_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent_event.agent_id ", event->agent_id(), " must be positive"));
  }
  return AppendOwned("INSERT INTO agent_events (agent_id, proto) VALUES (?, ?)",
                     event->agent_id(), "agent event", event);
}

absl::StatusOr<std::vector<v1::AgentEvent>>
SqliteTransaction::DoListAgentEvents(int64_t agent_id, int64_t after_id,
                                     int limit) {
  return ListOwned<v1::AgentEvent>(
      "SELECT id, agent_id, proto FROM agent_events "
      "WHERE agent_id = ? AND id > ? ORDER BY id LIMIT ?",
      "agent_events", SetAgentOf, agent_id, after_id, limit);
}

// --- Idempotency ---

absl::StatusOr<std::string> SqliteTransaction::DoGetIdempotencyRecord(
    absl::string_view scope, absl::string_view key) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT value FROM idempotency WHERE scope = ? AND key = ?"));
  stmt.BindBlob(1, scope);
  stmt.BindBlob(2, key);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("no idempotency record for scope '",
                                            scope, "' key '", key, "'"));
  }
  return std::string(stmt.ColumnBlob(0));
}

absl::Status SqliteTransaction::DoPutIdempotencyRecord(absl::string_view scope,
                                                       absl::string_view key,
                                                       absl::string_view value,
                                                       absl::Time recorded_at) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO idempotency (scope, key, value, recorded_us) "
              "VALUES (?, ?, ?, ?)"));
  stmt.BindBlob(1, scope);
  stmt.BindBlob(2, key);
  stmt.BindBlob(3, value);
  stmt.BindInt(4, ToUnixMicrosFloor(recorded_at));
  absl::Status status = stmt.Run();
  if (IsConstraint(status)) {
    return absl::AlreadyExistsError(
        absl::StrCat("idempotency record for scope '", scope, "' key '", key,
                     "' already exists"));
  }
  return status;
}

// --- Outbox and quarantine ---

absl::Status SqliteTransaction::DoInsertOutbox(v1::OutboxEntry* entry) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "outbox entry"));
  HELPDESK_ASSIGN_OR_RETURN(std::string blob, SerializeWithoutId(entry, "outbox entry"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO outbox (state, next_attempt_us, proto) VALUES (?, ?, ?)"));
  stmt.BindInt(1, entry->state());
  stmt.BindInt(2, TimestampToMicros(entry->next_attempt_at()));
  stmt.BindBlob(3, blob);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  entry->set_id(LastRowId());
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoUpdateOutbox(const v1::OutboxEntry& entry) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(entry, "outbox entry"));
  v1::OutboxEntry stored = entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE outbox SET state = ?, next_attempt_us = ?, proto = ? "
              "WHERE id = ?"));
  stmt.BindInt(1, stored.state());
  stmt.BindInt(2, TimestampToMicros(stored.next_attempt_at()));
  std::string blob = stored.SerializeAsString();
  stmt.BindBlob(3, blob);
  stmt.BindInt(4, entry.id());
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  if (Changes() == 0) return NotFound("outbox entry", entry.id());
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoInsertQuarantine(v1::QuarantineEntry* entry) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(*entry, "quarantine entry"));
  v1::QuarantineEntry stored = *entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt, Prepare("INSERT INTO quarantine (state, proto) VALUES (?, ?)"));
  stmt.BindInt(1, stored.state());
  std::string blob = stored.SerializeAsString();
  stmt.BindBlob(2, blob);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  entry->set_id(LastRowId());
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoUpdateQuarantine(
    const v1::QuarantineEntry& entry) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckEntryState(entry, "quarantine entry"));
  v1::QuarantineEntry stored = entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE quarantine SET state = ?, proto = ? WHERE id = ?"));
  stmt.BindInt(1, stored.state());
  std::string blob = stored.SerializeAsString();
  stmt.BindBlob(2, blob);
  stmt.BindInt(3, entry.id());
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  if (Changes() == 0) return NotFound("quarantine entry", entry.id());
  return absl::OkStatus();
}

// Rows of (id, proto) of one table, each proto parsed and given its id.

}  // namespace helpdesk::internal
