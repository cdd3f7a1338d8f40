// SqliteTransaction's tickets and what hangs off them: the tickets rows (with
// their tag and CC side tables and the SLA deadline column) and ticket
// queries, messages (whose ticket is a column, so a merge moves them without
// rewriting them), attachment content by SHA-256, and e-mail thread keys. The
// class and its plumbing are in sqlite_transaction.h.
#include "storage/sqlite_transaction.h"

#include <array>
#include <climits>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "internal/sha256.h"
#include "storage/sqlite_ticket_query.h"
#include "storage/ticket_query.h"

namespace helpdesk::internal {

namespace {

absl::Status CheckSha256(absl::string_view sha256) {
  if (internal::IsSha256Hex(sha256)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("sha256 '", absl::CHexEscape(sha256.substr(0, 80)),
                   "' is not 64 lower-case hexadecimal digits"));
}

}  // namespace

// --- Tickets ---

absl::StatusOr<v1::Ticket> SqliteTransaction::DoGetTicket(int64_t id) {
  if (auto it = pending_tickets_.find(id); it != pending_tickets_.end()) return it->second;
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT version, proto FROM tickets WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("ticket", id);
  v1::Ticket ticket;
  HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(1), "tickets", id, &ticket));
  ticket.set_id(id);
  ticket.set_version(stmt.ColumnInt(0));
  return ticket;
}

// The rows' bytes as stored (without id and version: columns), a rowid
// range scan.
absl::StatusOr<int> SqliteTransaction::DoVisitEncodedTickets(
    int64_t after_id, int64_t last_id, int limit,
    absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) {
  // The rows this transaction holds back are read like any other.
  HELPDESK_RETURN_IF_ERROR(FlushPendingTickets());
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Watch(Prepare("SELECT id, proto FROM tickets WHERE id > ? AND id <= ? "
                    "ORDER BY id LIMIT ?")));
  stmt.BindInt(1, after_id);
  stmt.BindInt(2, last_id);
  stmt.BindInt(3, limit);
  int visited = 0;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, Watch(stmt.Step()));
    if (!row) break;
    ++visited;
    HELPDESK_RETURN_IF_ERROR(visit(stmt.ColumnInt(0), stmt.ColumnBlob(1)));
  }
  return visited;
}

int64_t SqliteTransaction::SlaDeadlineColumn(const v1::Ticket& ticket) {
  return ticket.has_sla_next_deadline()
             ? TimestampToMicros(ticket.sla_next_deadline())
             : std::numeric_limits<int64_t>::max();
}

namespace {

// The columns of a tickets row beside id, version and proto (the indexed
// ones), in this order: BindTicketColumns binds them to parameters 3..14 and
// DoUpdateTicket reads them back to write only those that changed.
constexpr int kTicketColumnCount = 12;
constexpr const char* kTicketColumns[kTicketColumnCount] = {
    "status",         "status_category", "priority",   "assignee_id",
    "group_id",       "requester_id",    "organization_id", "subject",
    "created_us",     "updated_us",      "merged_into", "sla_deadline_us"};

// One column's value: text (status, subject) or an integer.
struct TicketColumnValue {
  bool is_text = false;
  int64_t number = 0;
  absl::string_view text;
  bool operator==(const TicketColumnValue& o) const {
    return is_text == o.is_text && (is_text ? text == o.text : number == o.number);
  }
};

using TicketColumnValues = std::array<TicketColumnValue, kTicketColumnCount>;

TicketColumnValue Number(int64_t v) { return {.number = v}; }
TicketColumnValue Text(absl::string_view v) { return {.is_text = true, .text = v}; }

// `ticket`'s column values (the texts point into `ticket`).
TicketColumnValues ColumnsOf(const v1::Ticket& ticket, int64_t sla_deadline) {
  return {Text(ticket.status()),
          Number(ticket.status_category()),
          Number(ticket.priority()),
          Number(ticket.assignee_id()),
          Number(ticket.group_id()),
          Number(ticket.requester_id()),
          Number(ticket.organization_id()),
          Text(ticket.subject()),
          Number(TimestampToMicros(ticket.created_at())),
          Number(TimestampToMicros(ticket.updated_at())),
          Number(ticket.merged_into()),
          Number(sla_deadline)};
}

void BindColumn(SqliteStatement& stmt, int index, const TicketColumnValue& v) {
  if (v.is_text) {
    stmt.BindText(index, v.text);
  } else {
    stmt.BindInt(index, v.number);
  }
}

// The proto bytes of `ticket` as stored: without id and version (the columns
// hold them). They are cleared on `ticket` itself while it is serialized, not
// on a copy.
absl::StatusOr<std::string> StoredTicketBytes(v1::Ticket* ticket) {
  const int64_t id = ticket->id();
  const int64_t version = ticket->version();
  ticket->clear_id();
  ticket->clear_version();
  std::string bytes;
  const bool ok = ticket->SerializeToString(&bytes);
  ticket->set_id(id);
  ticket->set_version(version);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat("ticket ", id, " is too large to store"));
  }
  return bytes;
}

// A side table's value (ticket_tags.tag, ticket_ccs.contact_id) bound or read.
void BindSideValue(SqliteStatement& stmt, int index, const std::string& tag) {
  stmt.BindText(index, tag);
}
void BindSideValue(SqliteStatement& stmt, int index, int64_t contact) {
  stmt.BindInt(index, contact);
}
void ReadSideValue(const SqliteStatement& stmt, std::string* tag) {
  *tag = std::string(stmt.ColumnText(0));
}
void ReadSideValue(const SqliteStatement& stmt, int64_t* contact) { *contact = stmt.ColumnInt(0); }

// The statements of one side table (parameters: ticket id, then the value).
struct SideTableSql {
  const char* select;
  const char* remove;
  const char* insert;
};
constexpr SideTableSql kTicketTagsSql = {
    "SELECT tag FROM ticket_tags WHERE ticket_id = ?",
    "DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?",
    "INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)"};
constexpr SideTableSql kTicketCcsSql = {
    "SELECT contact_id FROM ticket_ccs WHERE ticket_id = ?",
    "DELETE FROM ticket_ccs WHERE ticket_id = ? AND contact_id = ?",
    "INSERT OR IGNORE INTO ticket_ccs (ticket_id, contact_id) VALUES (?, ?)"};

// Brings the rows of ticket `id` in a side table to `wanted`: a new ticket's
// (not `replace`) are inserted; an existing ticket's rows are read and only
// those that differ are deleted or inserted, so an update that leaves them
// alone writes none. `prepare` is the transaction's Prepare.
template <typename Value, typename Wanted, typename PrepareFn>
absl::Status SyncTicketSideRows(PrepareFn prepare, const SideTableSql& sql, int64_t id,
                                const Wanted& wanted, bool replace) {
  std::set<Value> stored;
  if (replace) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement read,
        prepare(sql.select));
    read.BindInt(1, id);
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, read.Step());
      if (!row) break;
      Value value;
      ReadSideValue(read, &value);
      stored.insert(std::move(value));
    }
  }
  // What stays is taken out of `stored`; what is left in it is gone from the
  // ticket.
  std::vector<const Value*> added;
  for (const Value& value : wanted) {
    if (stored.erase(value) == 0) added.push_back(&value);
  }
  if (!stored.empty()) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement del,
        prepare(sql.remove));
    for (const Value& value : stored) {
      del.BindInt(1, id);
      BindSideValue(del, 2, value);
      HELPDESK_RETURN_IF_ERROR(del.Run());
      del.Reset();
    }
  }
  if (!added.empty()) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        prepare(sql.insert));
    for (const Value* value : added) {
      insert.BindInt(1, id);
      BindSideValue(insert, 2, *value);
      HELPDESK_RETURN_IF_ERROR(insert.Run());
      insert.Reset();
    }
  }
  return absl::OkStatus();
}

}  // namespace

// The tag and CC rows of ticket `id` brought to those of `ticket`
// (SyncTicketSideRows).
absl::Status SqliteTransaction::WriteTicketSideTables(int64_t id,
                                                      const v1::Ticket& ticket,
                                                      bool replace) {
  auto prepare = [this](absl::string_view sql) { return Prepare(sql); };
  HELPDESK_RETURN_IF_ERROR(
      SyncTicketSideRows<std::string>(prepare, kTicketTagsSql, id, ticket.tags(), replace));
  return SyncTicketSideRows<int64_t>(prepare, kTicketCcsSql, id, ticket.cc_contact_ids(),
                                     replace);
}

// Binds the indexed columns of `ticket` to parameters 2..15 (1 is the id).
absl::Status SqliteTransaction::BindTicketColumns(SqliteStatement& stmt,
                                                  v1::Ticket* ticket,
                                                  int64_t version) {
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, StoredTicketBytes(ticket));
  stmt.BindInt(2, version);
  const TicketColumnValues columns = ColumnsOf(*ticket, SlaDeadlineColumn(*ticket));
  for (int i = 0; i < kTicketColumnCount; ++i) BindColumn(stmt, 3 + i, columns[i]);
  stmt.BindBlob(3 + kTicketColumnCount, bytes);
  return absl::OkStatus();
}

namespace {

// A tickets row: the id (NULL for AUTOINCREMENT's), then what
// BindTicketColumns binds.
constexpr char kInsertTicketRow[] =
    "INSERT INTO tickets (id, version, status, status_category, priority, assignee_id, "
    "group_id, requester_id, organization_id, subject, created_us, updated_us, "
    "merged_into, sla_deadline_us, proto) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// What StoredTicketBytes refuses, checked without serializing.
absl::Status CheckStorable(const v1::Ticket& ticket) {
  if (ticket.ByteSizeLong() <= static_cast<size_t>(INT_MAX)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("ticket ", ticket.id(), " is too large to store"));
}

}  // namespace

absl::StatusOr<int64_t> SqliteTransaction::NextTicketId() {
  if (next_ticket_id_ > 0) return next_ticket_id_;
  // AUTOINCREMENT's choice: above the largest id the table ever had
  // (sqlite_sequence) and above every id it has now.
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tickets'), 0), "
              "COALESCE((SELECT max(id) FROM tickets), 0))"));
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  const int64_t last = row ? stmt.ColumnInt(0) : 0;
  if (last == std::numeric_limits<int64_t>::max()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "sqlite database '", connection_->path(), "': no ticket id is left"));
  }
  next_ticket_id_ = last + 1;
  return next_ticket_id_;
}

absl::Status SqliteTransaction::FlushPendingTickets() {
  if (pending_tickets_.empty()) return absl::OkStatus();
  std::map<int64_t, v1::Ticket> pending;
  pending.swap(pending_tickets_);
  for (auto& [id, ticket] : pending) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare(kInsertTicketRow));
    stmt.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(
        FailAfterPartialWrite(BindTicketColumns(stmt, &ticket, ticket.version())));
    HELPDESK_RETURN_IF_ERROR(FailAfterPartialWrite(stmt.Run()));
    HELPDESK_RETURN_IF_ERROR(
        FailAfterPartialWrite(WriteTicketSideTables(id, ticket, /*replace=*/false)));
  }
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoInsertTicket(v1::Ticket* ticket) {
  if (ticket->id() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ticket.id ", ticket->id(), " must not be negative"));
  }
  if (ticket->id() == 0) {
    // Held back, with the id AUTOINCREMENT would give it: written once,
    // as it stands when FlushPendingTickets runs (at Commit at the latest).
    HELPDESK_RETURN_IF_ERROR(CheckStorable(*ticket));
    HELPDESK_ASSIGN_OR_RETURN(const int64_t id, NextTicketId());
    ++next_ticket_id_;
    ticket->set_id(id);
    ticket->set_version(1);
    pending_tickets_[id] = *ticket;
    return absl::OkStatus();
  }
  // An id of its own: the rows held back first (it may be one of theirs),
  // and AUTOINCREMENT's next id is read again after it.
  HELPDESK_RETURN_IF_ERROR(FlushPendingTickets());
  next_ticket_id_ = 0;
  // The tickets row first: a taken id fails here, before anything is
  // written, and leaves the transaction usable.
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare(kInsertTicketRow));
  if (ticket->id() == 0) {
    stmt.BindNull(1);  // AUTOINCREMENT: above every id ever used
  } else {
    stmt.BindInt(1, ticket->id());
  }
  HELPDESK_RETURN_IF_ERROR(BindTicketColumns(stmt, ticket, 1));
  absl::Status status = stmt.Run();
  if (IsConstraint(status)) {
    return absl::AlreadyExistsError(
        absl::StrCat("ticket ", ticket->id(), " already exists"));
  }
  HELPDESK_RETURN_IF_ERROR(status);
  const int64_t id = LastRowId();
  HELPDESK_RETURN_IF_ERROR(FailAfterPartialWrite(
      WriteTicketSideTables(id, *ticket, /*replace=*/false)));
  ticket->set_id(id);
  ticket->set_version(1);
  return absl::OkStatus();
}

// Writes the version, the proto and only the columns whose values changed:
// SQLite rewrites the entries of every index over a column the UPDATE sets,
// changed or not, and a ticket has eight such indexes.
absl::Status SqliteTransaction::DoUpdateTicket(v1::Ticket* ticket,
                                               int64_t expected_version) {
  const int64_t id = ticket->id();
  if (auto it = pending_tickets_.find(id); it != pending_tickets_.end()) {
    if (it->second.version() != expected_version) {
      return StaleVersion("ticket", id, expected_version, it->second.version());
    }
    HELPDESK_RETURN_IF_ERROR(CheckStorable(*ticket));
    ticket->set_version(expected_version + 1);
    it->second = *ticket;
    return absl::OkStatus();
  }
  // The stored row first: a stale version or a missing ticket changes
  // nothing and leaves the transaction usable.
  std::string sql = "UPDATE tickets SET version = ?, proto = ?";
  std::vector<int> changed;
  const TicketColumnValues columns = ColumnsOf(*ticket, SlaDeadlineColumn(*ticket));
  {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement read,
        Prepare("SELECT version, status, status_category, priority, assignee_id, "
                "group_id, requester_id, organization_id, subject, created_us, "
                "updated_us, merged_into, sla_deadline_us FROM tickets WHERE id = ?"));
    read.BindInt(1, id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, read.Step());
    if (!row) return NotFound("ticket", id);
    if (read.ColumnInt(0) != expected_version) {
      return StaleVersion("ticket", id, expected_version, read.ColumnInt(0));
    }
    for (int i = 0; i < kTicketColumnCount; ++i) {
      const TicketColumnValue stored = columns[i].is_text
                                           ? Text(read.ColumnText(1 + i))
                                           : Number(read.ColumnInt(1 + i));
      if (stored == columns[i]) continue;
      changed.push_back(i);
      absl::StrAppend(&sql, ", ", kTicketColumns[i], " = ?");
    }
  }
  absl::StrAppend(&sql, " WHERE id = ? AND version = ?");
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, StoredTicketBytes(ticket));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
  int index = 1;
  stmt.BindInt(index++, expected_version + 1);
  stmt.BindBlob(index++, bytes);
  for (int i : changed) BindColumn(stmt, index++, columns[i]);
  stmt.BindInt(index++, id);
  stmt.BindInt(index++, expected_version);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  if (Changes() == 0) {
    return VersionMismatch("SELECT version FROM tickets WHERE id = ?", "ticket",
                           id, expected_version);
  }
  HELPDESK_RETURN_IF_ERROR(FailAfterPartialWrite(
      WriteTicketSideTables(id, *ticket, /*replace=*/true)));
  ticket->set_version(expected_version + 1);
  return absl::OkStatus();
}

// The deadline lives in the stored proto and in its column: rewrite both,
// leaving the version (and every other field) alone.
absl::Status SqliteTransaction::DoSetTicketSlaDeadline(
    int64_t id, std::optional<absl::Time> deadline) {
  if (auto it = pending_tickets_.find(id); it != pending_tickets_.end()) {
    if (deadline.has_value()) {
      *it->second.mutable_sla_next_deadline() = ToTimestamp(*deadline);
    } else {
      it->second.clear_sla_next_deadline();
    }
    return absl::OkStatus();
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement read,
      Prepare("SELECT proto FROM tickets WHERE id = ?"));
  read.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return NotFound("ticket", id);
  v1::Ticket stored;
  HELPDESK_RETURN_IF_ERROR(Parse(read.ColumnBlob(0), "tickets", id, &stored));
  if (deadline.has_value()) {
    *stored.mutable_sla_next_deadline() = ToTimestamp(*deadline);
  } else {
    stored.clear_sla_next_deadline();
  }
  HELPDESK_ASSIGN_OR_RETURN(
      std::string bytes, Serialize(stored, absl::StrCat("ticket ", id)));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement write,
      Prepare("UPDATE tickets SET sla_deadline_us = ?, proto = ? "
              "WHERE id = ?"));
  write.BindInt(1, SlaDeadlineColumn(stored));
  write.BindBlob(2, bytes);
  write.BindInt(3, id);
  return write.Run();
}

absl::StatusOr<TicketPage> SqliteTransaction::DoQueryTickets(
    const TicketQuery& query) {
  HELPDESK_RETURN_IF_ERROR(FlushPendingTickets());
  HELPDESK_ASSIGN_OR_RETURN(internal::TicketSql sql,
                            internal::BuildTicketQuerySql(query));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql.sql));
  internal::BindTicketSqlParams(sql.params, stmt);
  TicketPage page;
  page.tickets.reserve(static_cast<size_t>(query.limit));
  bool more = false;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (static_cast<int>(page.tickets.size()) == query.limit) {
      more = true;
      break;
    }
    const int64_t id = stmt.ColumnInt(0);
    v1::Ticket& ticket = page.tickets.emplace_back();
    HELPDESK_RETURN_IF_ERROR(
        Parse(stmt.ColumnBlob(2), "tickets", id, &ticket));
    ticket.set_id(id);
    ticket.set_version(stmt.ColumnInt(1));
  }
  if (more) {
    page.next_cursor = internal::EncodeCursor(query.sort, page.tickets.back());
  }
  return page;
}

// --- Messages ---

absl::Status SqliteTransaction::DoInsertMessage(v1::Message* message) {
  if (message->ticket_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message.ticket_id ", message->ticket_id(), " must be positive"));
  }
  // Stored without id and ticket_id: the columns hold them (a merge moves
  // messages by changing the column only). They are cleared on `message`
  // itself while it is serialized, not on a copy: a copy would copy the
  // bodies too.
  const int64_t ticket_id = message->ticket_id();
  const int64_t given_id = message->id();
  const int64_t given_origin = message->origin_ticket_id();
  if (given_origin == 0) message->set_origin_ticket_id(ticket_id);
  message->clear_id();
  message->clear_ticket_id();
  absl::StatusOr<std::string> bytes = Serialize(*message, "message");
  message->set_ticket_id(ticket_id);
  if (!bytes.ok()) {
    message->set_id(given_id);
    message->set_origin_ticket_id(given_origin);
    return bytes.status();
  }
  absl::StatusOr<SqliteStatement> stmt =
      Prepare("INSERT INTO messages (ticket_id, proto) VALUES (?, ?)");
  absl::Status status = stmt.status();
  if (status.ok()) {
    stmt->BindInt(1, ticket_id);
    stmt->BindBlob(2, *bytes);
    status = stmt->Run();
  }
  if (!status.ok()) {
    message->set_id(given_id);
    message->set_origin_ticket_id(given_origin);
    return status;
  }
  message->set_id(LastRowId());
  return absl::OkStatus();
}

absl::StatusOr<v1::Message> SqliteTransaction::DoGetMessage(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT ticket_id, proto FROM messages WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("message", id);
  v1::Message message;
  HELPDESK_RETURN_IF_ERROR(
      Parse(stmt.ColumnBlob(1), "messages", id, &message));
  message.set_id(id);
  message.set_ticket_id(stmt.ColumnInt(0));
  return message;
}

absl::StatusOr<std::vector<v1::Message>> SqliteTransaction::DoListMessages(
    int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, proto FROM messages WHERE ticket_id = ? "
              "ORDER BY id"));
  stmt.BindInt(1, ticket_id);
  std::vector<v1::Message> out;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const int64_t id = stmt.ColumnInt(0);
    v1::Message& message = out.emplace_back();
    HELPDESK_RETURN_IF_ERROR(
        Parse(stmt.ColumnBlob(1), "messages", id, &message));
    message.set_id(id);
    message.set_ticket_id(ticket_id);
  }
  return out;
}

absl::StatusOr<int64_t> SqliteTransaction::DoMoveMessages(int64_t from_ticket,
                                                          int64_t to_ticket) {
  if (from_ticket == to_ticket) return 0;
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE messages SET ticket_id = ? WHERE ticket_id = ?"));
  stmt.BindInt(1, to_ticket);
  stmt.BindInt(2, from_ticket);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  return Changes();
}

// --- Attachments ---

absl::Status SqliteTransaction::DoPutAttachmentContent(
    absl::string_view sha256, absl::string_view content) {
  HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT OR IGNORE INTO attachments (sha256, content) "
              "VALUES (?, ?)"));
  stmt.BindText(1, sha256);
  stmt.BindBlob(2, content);
  return stmt.Run();
}

absl::StatusOr<std::string> SqliteTransaction::DoGetAttachmentContent(
    absl::string_view sha256) {
  HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT content FROM attachments WHERE sha256 = ?"));
  stmt.BindText(1, sha256);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("no attachment content with sha256 ", sha256));
  }
  return std::string(stmt.ColumnBlob(0));
}

// --- Thread keys ---

absl::Status SqliteTransaction::DoPutThreadKey(absl::string_view key,
                                               int64_t ticket_id) {
  if (key.empty() || ticket_id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "thread key '", key, "' for ticket ", ticket_id,
        ": the key must not be empty and the ticket id must be positive"));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT OR IGNORE INTO thread_keys (key, ticket_id) VALUES (?, ?)"));
  stmt.BindBlob(1, key);
  stmt.BindInt(2, ticket_id);
  return stmt.Run();
}

absl::StatusOr<int64_t> SqliteTransaction::DoFindThreadKey(
    absl::string_view key) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT ticket_id FROM thread_keys WHERE key = ?"));
  stmt.BindBlob(1, key);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("no ticket has thread key '", key, "'"));
  }
  return stmt.ColumnInt(0);
}

}  // namespace helpdesk::internal
