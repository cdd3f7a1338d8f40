// SqliteTransaction's personal-data calls (issue 16): redacting a message or
// an event in place, deleting a ticket with its side rows, and finding and
// deleting attachment contents no message references. The class and its
// plumbing are in sqlite_transaction.h.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/sqlite_transaction.h"

namespace helpdesk::internal {

absl::Status SqliteTransaction::DoRedactMessage(const v1::Message& message) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Message stored, DoGetMessage(message.id()));
  stored.clear_id();
  stored.clear_ticket_id();
  stored.set_body_text(message.body_text());
  stored.set_body_html(message.body_html());
  *stored.mutable_attachments() = message.attachments();
  *stored.mutable_author() = message.author();
  stored.set_external_id(message.external_id());
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "message"));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("UPDATE messages SET proto = ? WHERE id = ?"));
  stmt.BindBlob(1, bytes);
  stmt.BindInt(2, message.id());
  return stmt.Run();
}

absl::Status SqliteTransaction::DoRedactEvent(const v1::Event& event) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement read,
                            Prepare("SELECT proto FROM events WHERE id = ?"));
  read.BindInt(1, event.id());
  HELPDESK_ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return NotFound("event", event.id());
  v1::Event stored;
  HELPDESK_RETURN_IF_ERROR(Parse(read.ColumnBlob(0), "events", event.id(), &stored));
  *stored.mutable_changes() = event.changes();
  stored.set_note(event.note());
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "event"));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement write,
                            Prepare("UPDATE events SET proto = ? WHERE id = ?"));
  write.BindBlob(1, bytes);
  write.BindInt(2, event.id());
  return write.Run();
}

absl::Status SqliteTransaction::DoDeleteTicket(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(FlushPendingTickets());
  {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                              Prepare("DELETE FROM tickets WHERE id = ?"));
    stmt.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    if (Changes() == 0) return NotFound("ticket", id);
  }
  static constexpr const char* kSideRows[] = {
      "DELETE FROM ticket_tags WHERE ticket_id = ?",
      "DELETE FROM ticket_ccs WHERE ticket_id = ?",
      "DELETE FROM messages WHERE ticket_id = ?",
      "DELETE FROM events WHERE ticket_id = ?",
      "DELETE FROM thread_keys WHERE ticket_id = ?",
      "DELETE FROM tracking_tokens WHERE ticket_id = ?",
      "DELETE FROM automation_state WHERE ticket_id = ?",
      "DELETE FROM time_entries WHERE ticket_id = ?",
  };
  for (const char* sql : kSideRows) {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    stmt.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SqliteTransaction::DoListOrphanAttachments(
    absl::string_view after, int limit) {
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " must be between 1 and 10000"));
  }
  // Messages keep their attachments inside the proto, so every message is
  // read once.
  std::set<std::string> used;
  {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare("SELECT id, proto FROM messages"));
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      v1::Message message;
      HELPDESK_RETURN_IF_ERROR(
          Parse(stmt.ColumnBlob(1), "messages", stmt.ColumnInt(0), &message));
      for (const v1::Attachment& a : message.attachments()) used.insert(a.sha256());
    }
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT sha256 FROM attachments WHERE sha256 > ? ORDER BY sha256"));
  stmt.BindText(1, after);
  std::vector<std::string> out;
  while (static_cast<int>(out.size()) < limit) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::string sha(stmt.ColumnText(0));
    if (!used.contains(sha)) out.push_back(std::move(sha));
  }
  return out;
}

absl::StatusOr<bool> SqliteTransaction::DoDeleteAttachmentContent(absl::string_view sha256) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("DELETE FROM attachments WHERE sha256 = ?"));
  stmt.BindText(1, sha256);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  return Changes() > 0;
}

}  // namespace helpdesk::internal
