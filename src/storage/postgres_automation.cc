// PostgresStore's automation state (issue 14), as sqlite_automation.cc: the
// next automation due time per ticket, indexed for Tick, and the
// automations' firings (schema version 6).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/postgres_transaction.h"

namespace helpdesk::internal {

absl::Status PostgresTransaction::CheckTicketExists(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(PgResult r,
                            Run("SELECT 1 FROM tickets WHERE id = $1", {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("ticket", id);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoSetTicketAutomationDue(int64_t id,
                                                           std::optional<absl::Time> due) {
  HELPDESK_RETURN_IF_ERROR(CheckTicketExists(id));
  if (!due) {
    return Run("INSERT INTO automation_state (ticket_id, due_us) VALUES ($1, NULL) "
               "ON CONFLICT (ticket_id) DO UPDATE SET due_us = NULL",
               {PgParam::Int(id)})
        .status();
  }
  return Run("INSERT INTO automation_state (ticket_id, due_us) VALUES ($1, $2) "
             "ON CONFLICT (ticket_id) DO UPDATE SET due_us = EXCLUDED.due_us",
             {PgParam::Int(id), PgParam::Int(absl::ToUnixMicros(*due))})
      .status();
}

absl::StatusOr<std::optional<absl::Time>> PostgresTransaction::DoGetTicketAutomationDue(
    int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT due_us FROM automation_state WHERE ticket_id = $1 AND due_us IS NOT NULL",
          {PgParam::Int(id)}));
  if (r.rows() == 0) return std::optional<absl::Time>();
  return std::optional<absl::Time>(absl::FromUnixMicros(r.Int(0, 0)));
}

absl::StatusOr<std::vector<int64_t>> PostgresTransaction::DoListDueAutomations(
    absl::Time now, int limit) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT ticket_id FROM automation_state "
          "WHERE due_us IS NOT NULL AND due_us <= $1 ORDER BY due_us, ticket_id LIMIT $2",
          {PgParam::Int(absl::ToUnixMicros(now)), PgParam::Int(limit)}));
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.Int(i, 0));
  return out;
}

absl::StatusOr<v1::RuleFirings> PostgresTransaction::DoGetRuleFirings(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT firings FROM automation_state WHERE ticket_id = $1",
                      {PgParam::Int(id)}));
  v1::RuleFirings firings;
  if (r.rows() == 0) return firings;
  HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(0, 0), "automation_state", id, &firings));
  return firings;
}

absl::Status PostgresTransaction::DoSetRuleFirings(int64_t id,
                                                   const v1::RuleFirings& firings) {
  HELPDESK_RETURN_IF_ERROR(CheckTicketExists(id));
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(firings, "rule firings"));
  return Run("INSERT INTO automation_state (ticket_id, firings) VALUES ($1, $2) "
             "ON CONFLICT (ticket_id) DO UPDATE SET firings = EXCLUDED.firings",
             {PgParam::Int(id), PgParam::Bytes(bytes)})
      .status();
}

}  // namespace helpdesk::internal
