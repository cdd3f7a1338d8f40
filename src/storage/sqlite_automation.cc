// SqliteStore's automation state (issue 14): the next automation due time
// per ticket, indexed for Tick, and the automations' firings.
#include "storage/sqlite_transaction.h"

#include "absl/strings/str_cat.h"

namespace helpdesk::internal {

absl::Status SqliteTransaction::CheckTicketExists(int64_t id) {
  if (pending_tickets_.contains(id)) return absl::OkStatus();
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("SELECT 1 FROM tickets WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("ticket", id);
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoSetTicketAutomationDue(int64_t id,
                                                         std::optional<absl::Time> due) {
  HELPDESK_RETURN_IF_ERROR(CheckTicketExists(id));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO automation_state (ticket_id, due_us) VALUES (?1, ?2) "
              "ON CONFLICT(ticket_id) DO UPDATE SET due_us = ?2"));
  stmt.BindInt(1, id);
  if (due) {
    stmt.BindInt(2, absl::ToUnixMicros(*due));
  } else {
    stmt.BindNull(2);
  }
  return stmt.Run();
}

absl::StatusOr<std::optional<absl::Time>> SqliteTransaction::DoGetTicketAutomationDue(
    int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT due_us FROM automation_state WHERE ticket_id = ? AND due_us IS NOT NULL"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<absl::Time>();
  return std::optional<absl::Time>(absl::FromUnixMicros(stmt.ColumnInt(0)));
}

absl::StatusOr<std::vector<int64_t>> SqliteTransaction::DoListDueAutomations(absl::Time now,
                                                                           int limit) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT ticket_id FROM automation_state "
              "WHERE due_us IS NOT NULL AND due_us <= ? ORDER BY due_us, ticket_id LIMIT ?"));
  stmt.BindInt(1, absl::ToUnixMicros(now));
  stmt.BindInt(2, limit);
  std::vector<int64_t> out;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.ColumnInt(0));
  }
  return out;
}

absl::StatusOr<v1::RuleFirings> SqliteTransaction::DoGetRuleFirings(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt, Prepare("SELECT firings FROM automation_state WHERE ticket_id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  v1::RuleFirings f;
  if (!row) return f;
  if (!f.ParseFromString(std::string(stmt.ColumnBlob(0)))) {
    return absl::DataLossError(absl::StrCat("automation_state ", id, ": firings do not parse"));
  }
  return f;
}

absl::Status SqliteTransaction::DoSetRuleFirings(int64_t id, const v1::RuleFirings& firings) {
  HELPDESK_RETURN_IF_ERROR(CheckTicketExists(id));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO automation_state (ticket_id, firings) VALUES (?1, ?2) "
              "ON CONFLICT(ticket_id) DO UPDATE SET firings = ?2"));
  stmt.BindInt(1, id);
  stmt.BindBlob(2, firings.SerializeAsString());
  return stmt.Run();
}

}  // namespace helpdesk::internal
