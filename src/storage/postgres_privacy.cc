// PostgresTransaction's personal-data calls (issue 16), as sqlite_privacy.cc:
// redacting a message or an event in place, deleting a ticket with its side
// rows, and finding and deleting attachment contents no message references.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/postgres_transaction.h"

namespace helpdesk::internal {

absl::Status PostgresTransaction::DoRedactMessage(const v1::Message& message) {
  // The row's proto is rewritten in the form it was stored in (its id and
  // ticket live in the columns).
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT proto FROM messages WHERE id = $1 FOR UPDATE",
                      {PgParam::Int(message.id())}));
  if (r.rows() == 0) return NotFound("message", message.id());
  v1::Message stored;
  HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(0, 0), "messages", message.id(), &stored));
  stored.set_body_text(message.body_text());
  stored.set_body_html(message.body_html());
  *stored.mutable_attachments() = message.attachments();
  *stored.mutable_author() = message.author();
  stored.set_external_id(message.external_id());
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "message"));
  return Run("UPDATE messages SET proto = $1 WHERE id = $2",
             {PgParam::Bytes(bytes), PgParam::Int(message.id())})
      .status();
}

absl::Status PostgresTransaction::DoRedactEvent(const v1::Event& event) {
  HELPDESK_ASSIGN_OR_RETURN(PgResult r,
                            Run("SELECT proto FROM events WHERE id = $1 FOR UPDATE",
                                {PgParam::Int(event.id())}));
  if (r.rows() == 0) return NotFound("event", event.id());
  v1::Event stored;
  HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(0, 0), "events", event.id(), &stored));
  *stored.mutable_changes() = event.changes();
  stored.set_note(event.note());
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "event"));
  return Run("UPDATE events SET proto = $1 WHERE id = $2",
             {PgParam::Bytes(bytes), PgParam::Int(event.id())})
      .status();
}

absl::Status PostgresTransaction::DoDeleteTicket(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("DELETE FROM tickets WHERE id = $1 RETURNING id", {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("ticket", id);
  static constexpr const char* kSideRows[] = {
      "DELETE FROM ticket_tags WHERE ticket_id = $1",
      "DELETE FROM ticket_ccs WHERE ticket_id = $1",
      "DELETE FROM messages WHERE ticket_id = $1",
      "DELETE FROM events WHERE ticket_id = $1",
      "DELETE FROM thread_keys WHERE ticket_id = $1",
      "DELETE FROM tracking_tokens WHERE ticket_id = $1",
      "DELETE FROM automation_state WHERE ticket_id = $1",
      "DELETE FROM time_entries WHERE ticket_id = $1",
  };
  for (const char* sql : kSideRows) {
    HELPDESK_RETURN_IF_ERROR(Run(sql, {PgParam::Int(id)}).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PostgresTransaction::DoListOrphanAttachments(
    absl::string_view after, int limit) {
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " must be between 1 and 10000"));
  }
  // Messages keep their attachments inside the proto, so every message is
  // read once.
  std::set<std::string> used;
  HELPDESK_ASSIGN_OR_RETURN(PgResult messages, Run("SELECT id, proto FROM messages", {}));
  for (int i = 0; i < messages.rows(); ++i) {
    v1::Message message;
    HELPDESK_RETURN_IF_ERROR(
        Parse(messages.Bytes(i, 1), "messages", messages.Int(i, 0), &message));
    for (const v1::Attachment& a : message.attachments()) used.insert(a.sha256());
  }
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT sha256 FROM attachments WHERE sha256 > $1 ORDER BY sha256",
                      {PgParam::Bytes(after)}));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows() && static_cast<int>(out.size()) < limit; ++i) {
    std::string sha(r.Bytes(i, 0));
    if (!used.contains(sha)) out.push_back(std::move(sha));
  }
  return out;
}

absl::StatusOr<bool> PostgresTransaction::DoDeleteAttachmentContent(
    absl::string_view sha256) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("DELETE FROM attachments WHERE sha256 = $1 RETURNING sha256",
                      {PgParam::Bytes(sha256)}));
  return r.rows() > 0;
}

}  // namespace helpdesk::internal
