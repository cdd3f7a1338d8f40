// SqliteTransaction's tickets and what hangs off them: the tickets rows (with
// their tag and CC side tables and the SLA deadline column) and ticket
// queries, messages (whose ticket is a column, so a merge moves them without
// rewriting them), attachment content by SHA-256, and e-mail thread keys. The
// class and its plumbing are in sqlite_transaction.h.
#include "storage/sqlite_transaction.h"

#include <cstdint>
#include <limits>
#include <optional>
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

int64_t SqliteTransaction::SlaDeadlineColumn(const v1::Ticket& ticket) {
  return ticket.has_sla_next_deadline()
             ? TimestampToMicros(ticket.sla_next_deadline())
             : std::numeric_limits<int64_t>::max();
}

// Binds the indexed columns of `ticket` to parameters 2..15 (1 is the id).
absl::Status SqliteTransaction::BindTicketColumns(SqliteStatement& stmt,
                                                  const v1::Ticket& ticket,
                                                  int64_t version) {
  // The proto is stored without id and version (the columns hold them).
  v1::Ticket stored = ticket;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(
      std::string bytes,
      Serialize(stored, absl::StrCat("ticket ", ticket.id())));
  stmt.BindInt(2, version);
  stmt.BindText(3, ticket.status());
  stmt.BindInt(4, ticket.status_category());
  stmt.BindInt(5, ticket.priority());
  stmt.BindInt(6, ticket.assignee_id());
  stmt.BindInt(7, ticket.group_id());
  stmt.BindInt(8, ticket.requester_id());
  stmt.BindInt(9, ticket.organization_id());
  stmt.BindText(10, ticket.subject());
  stmt.BindInt(11, TimestampToMicros(ticket.created_at()));
  stmt.BindInt(12, TimestampToMicros(ticket.updated_at()));
  stmt.BindInt(13, ticket.merged_into());
  stmt.BindBlob(14, bytes);
  stmt.BindInt(15, SlaDeadlineColumn(ticket));
  return absl::OkStatus();
}

// Replaces the tag and CC rows of ticket `id`.
absl::Status SqliteTransaction::WriteTicketSideTables(int64_t id,
                                                      const v1::Ticket& ticket,
                                                      bool replace) {
  if (replace) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement del_tags,
        Prepare("DELETE FROM ticket_tags WHERE ticket_id = ?"));
    del_tags.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(del_tags.Run());
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement del_ccs,
        Prepare("DELETE FROM ticket_ccs WHERE ticket_id = ?"));
    del_ccs.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(del_ccs.Run());
  }
  if (ticket.tags_size() > 0) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) "
                "VALUES (?, ?)"));
    for (const std::string& tag : ticket.tags()) {
      stmt.BindInt(1, id);
      stmt.BindText(2, tag);
      HELPDESK_RETURN_IF_ERROR(stmt.Run());
      stmt.Reset();
    }
  }
  if (ticket.cc_contact_ids_size() > 0) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("INSERT OR IGNORE INTO ticket_ccs (ticket_id, contact_id) "
                "VALUES (?, ?)"));
    for (int64_t contact : ticket.cc_contact_ids()) {
      stmt.BindInt(1, id);
      stmt.BindInt(2, contact);
      HELPDESK_RETURN_IF_ERROR(stmt.Run());
      stmt.Reset();
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoInsertTicket(v1::Ticket* ticket) {
  if (ticket->id() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ticket.id ", ticket->id(), " must not be negative"));
  }
  // The tickets row first: a taken id fails here, before anything is
  // written, and leaves the transaction usable.
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO tickets (id, version, status, status_category, "
              "priority, assignee_id, group_id, requester_id, "
              "organization_id, subject, created_us, updated_us, "
              "merged_into, proto, sla_deadline_us) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  if (ticket->id() == 0) {
    stmt.BindNull(1);  // AUTOINCREMENT: above every id ever used
  } else {
    stmt.BindInt(1, ticket->id());
  }
  HELPDESK_RETURN_IF_ERROR(BindTicketColumns(stmt, *ticket, 1));
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

absl::Status SqliteTransaction::DoUpdateTicket(v1::Ticket* ticket,
                                               int64_t expected_version) {
  const int64_t id = ticket->id();
  // The version-checked row update first: a stale version or a missing
  // ticket changes nothing and leaves the transaction usable.
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE tickets SET version = ?2, status = ?3, "
              "status_category = ?4, priority = ?5, assignee_id = ?6, "
              "group_id = ?7, requester_id = ?8, organization_id = ?9, "
              "subject = ?10, created_us = ?11, updated_us = ?12, "
              "merged_into = ?13, proto = ?14, sla_deadline_us = ?15 "
              "WHERE id = ?1 AND version = ?16"));
  stmt.BindInt(1, id);
  HELPDESK_RETURN_IF_ERROR(BindTicketColumns(stmt, *ticket, expected_version + 1));
  stmt.BindInt(16, expected_version);
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
  HELPDESK_ASSIGN_OR_RETURN(internal::TicketSql sql,
                            internal::BuildTicketQuerySql(query));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql.sql));
  for (size_t i = 0; i < sql.params.size(); ++i) {
    const internal::SqlParam& p = sql.params[i];
    int index = static_cast<int>(i) + 1;
    switch (p.kind) {
      case internal::SqlParam::Kind::kInt:
        stmt.BindInt(index, p.int_value);
        break;
      case internal::SqlParam::Kind::kText:
        stmt.BindText(index, p.bytes);
        break;
      case internal::SqlParam::Kind::kBlob:
        stmt.BindBlob(index, p.bytes);
        break;
    }
  }
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
