// PostgresTransaction's tickets and what hangs off them: ticket rows (with
// their tag and CC side tables, written in one pipeline), ticket queries,
// messages, attachment content by SHA-256, and thread keys.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "storage/postgres_ticket_query.h"
#include "storage/postgres_transaction.h"
#include "storage/ticket_query.h"

namespace helpdesk::internal {
namespace {

absl::Status CheckSha256(absl::string_view sha256) {
  if (IsSha256Hex(sha256)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("sha256 '", absl::CHexEscape(sha256.substr(0, 80)),
                   "' is not 64 lower-case hexadecimal digits"));
}

int64_t SlaDeadlineColumn(const v1::Ticket& ticket) {
  return ticket.has_sla_next_deadline()
             ? TimestampToMicros(ticket.sla_next_deadline())
             : std::numeric_limits<int64_t>::max();
}

constexpr absl::string_view kTicketColumns =
    "version, status, status_category, priority, assignee_id, group_id, "
    "requester_id, organization_id, subject_folded, created_us, updated_us, "
    "merged_into, sla_deadline_us, proto";

}  // namespace

// --- Tickets ---

absl::StatusOr<v1::Ticket> PostgresTransaction::DoGetTicket(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT version, proto FROM tickets WHERE id = $1",
                      {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("ticket", id);
  v1::Ticket ticket;
  HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(0, 1), "tickets", id, &ticket));
  ticket.set_id(id);
  ticket.set_version(r.Int(0, 0));
  return ticket;
}

// The page's rows' bytes as stored (without id and version: columns), a
// primary key range scan; the page comes back in one result.
absl::StatusOr<int> PostgresTransaction::DoVisitEncodedTickets(
    int64_t after_id, int64_t last_id, int limit,
    absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Watch(Run("SELECT id, proto FROM tickets WHERE id > $1 AND id <= $2 "
                            "ORDER BY id LIMIT $3",
                            {PgParam::Int(after_id), PgParam::Int(last_id),
                             PgParam::Int(limit)})));
  const int rows = r.rows();
  for (int i = 0; i < rows; ++i) HELPDESK_RETURN_IF_ERROR(visit(r.Int(i, 0), r.Bytes(i, 1)));
  return rows;
}

// The 14 parameters of kTicketColumns, in order; the strings they view are
// written to the out-parameters, which must outlive the statement.
absl::Status PostgresTransaction::TicketColumns(const v1::Ticket& ticket,
                                                int64_t version,
                                                std::string* proto,
                                                std::string* status,
                                                std::string* subject_folded,
                                                std::vector<PgParam>* params) {
  v1::Ticket stored = ticket;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(*proto,
                            Serialize(stored, absl::StrCat("ticket ", ticket.id())));
  *status = ticket.status();
  *subject_folded = absl::AsciiStrToLower(ticket.subject());
  params->push_back(PgParam::Int(version));
  params->push_back(PgParam::Bytes(*status));
  params->push_back(PgParam::Int(ticket.status_category()));
  params->push_back(PgParam::Int(ticket.priority()));
  params->push_back(PgParam::Int(ticket.assignee_id()));
  params->push_back(PgParam::Int(ticket.group_id()));
  params->push_back(PgParam::Int(ticket.requester_id()));
  params->push_back(PgParam::Int(ticket.organization_id()));
  params->push_back(PgParam::Bytes(*subject_folded));
  params->push_back(PgParam::Int(TimestampToMicros(ticket.created_at())));
  params->push_back(PgParam::Int(TimestampToMicros(ticket.updated_at())));
  params->push_back(PgParam::Int(ticket.merged_into()));
  params->push_back(PgParam::Int(SlaDeadlineColumn(ticket)));
  params->push_back(PgParam::Bytes(*proto));
  return absl::OkStatus();
}

// The statements that replace the tag and CC rows of ticket `id` (views into
// `ticket`, which must outlive them).
void PostgresTransaction::AddSideTableWrites(int64_t id, const v1::Ticket& ticket,
                                             bool replace,
                                             std::vector<PgStatement>* statements) {
  if (replace) {
    statements->push_back(
        {"DELETE FROM ticket_tags WHERE ticket_id = $1", {PgParam::Int(id)}});
    statements->push_back(
        {"DELETE FROM ticket_ccs WHERE ticket_id = $1", {PgParam::Int(id)}});
  }
  for (const std::string& tag : ticket.tags()) {
    statements->push_back({"INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING",
                           {PgParam::Int(id), PgParam::Bytes(tag)}});
  }
  for (int64_t contact : ticket.cc_contact_ids()) {
    statements->push_back({"INSERT INTO ticket_ccs (ticket_id, contact_id) "
                           "VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           {PgParam::Int(id), PgParam::Int(contact)}});
  }
}

absl::Status PostgresTransaction::DoInsertTicket(v1::Ticket* ticket) {
  if (ticket->id() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ticket.id ", ticket->id(), " must not be negative"));
  }
  std::string proto, status, subject;
  std::vector<PgParam> params;
  HELPDESK_RETURN_IF_ERROR(TicketColumns(*ticket, 1, &proto, &status, &subject, &params));
  int64_t id = ticket->id();
  if (id == 0) {
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult r,
        Run(absl::StrCat("INSERT INTO tickets (id, ", kTicketColumns,
                         ") VALUES (nextval('tickets_id_seq'), $1, $2, $3, $4, $5, "
                         "$6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id"),
            params));
    id = r.Int(0, 0);
  } else {
    params.push_back(PgParam::Int(id));
    // A taken id changes nothing (no error, so the transaction stays usable).
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult r,
        Run(absl::StrCat("INSERT INTO tickets (id, ", kTicketColumns,
                         ") VALUES ($15, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                         "$11, $12, $13, $14) ON CONFLICT (id) DO NOTHING"),
            params));
    if (r.Affected() == 0) {
      return absl::AlreadyExistsError(absl::StrCat("ticket ", id, " already exists"));
    }
  }
  std::vector<PgStatement> writes;
  if (ticket->id() != 0) {
    // Later ids assigned by the store stay above every id given.
    writes.push_back(
        {"SELECT setval('tickets_id_seq', GREATEST($1, (SELECT CASE WHEN is_called "
         "THEN last_value ELSE 0 END FROM tickets_id_seq)))",
         {PgParam::Int(id)}});
  }
  AddSideTableWrites(id, *ticket, /*replace=*/false, &writes);
  HELPDESK_RETURN_IF_ERROR(connection_->RunPipeline(writes));
  ticket->set_id(id);
  ticket->set_version(1);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateTicket(v1::Ticket* ticket,
                                                 int64_t expected_version) {
  const int64_t id = ticket->id();
  std::string proto, status, subject;
  std::vector<PgParam> params;
  HELPDESK_RETURN_IF_ERROR(
      TicketColumns(*ticket, expected_version + 1, &proto, &status, &subject, &params));
  params.push_back(PgParam::Int(id));
  params.push_back(PgParam::Int(expected_version));
  std::vector<PgStatement> writes;
  writes.push_back(
      {"UPDATE tickets SET version = $1, status = $2, status_category = $3, "
       "priority = $4, assignee_id = $5, group_id = $6, requester_id = $7, "
       "organization_id = $8, subject_folded = $9, created_us = $10, "
       "updated_us = $11, merged_into = $12, sla_deadline_us = $13, proto = $14 "
       "WHERE id = $15 AND version = $16",
       params});
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run(writes[0].sql, writes[0].params));
  if (r.Affected() == 0) {
    return VersionMismatch("SELECT version FROM tickets WHERE id = $1", "ticket", id,
                           expected_version);
  }
  writes.clear();
  AddSideTableWrites(id, *ticket, /*replace=*/true, &writes);
  HELPDESK_RETURN_IF_ERROR(connection_->RunPipeline(writes));
  ticket->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoSetTicketSlaDeadline(
    int64_t id, std::optional<absl::Time> deadline) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult read, Run("SELECT proto FROM tickets WHERE id = $1", {PgParam::Int(id)}));
  if (read.rows() == 0) return NotFound("ticket", id);
  v1::Ticket stored;
  HELPDESK_RETURN_IF_ERROR(Parse(read.Bytes(0, 0), "tickets", id, &stored));
  if (deadline.has_value()) {
    *stored.mutable_sla_next_deadline() = ToTimestamp(*deadline);
  } else {
    stored.clear_sla_next_deadline();
  }
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes,
                            Serialize(stored, absl::StrCat("ticket ", id)));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult ignored,
      Run("UPDATE tickets SET sla_deadline_us = $1, proto = $2 WHERE id = $3",
          {PgParam::Int(SlaDeadlineColumn(stored)), PgParam::Bytes(bytes),
           PgParam::Int(id)}));
  (void)ignored;
  return absl::OkStatus();
}

absl::StatusOr<TicketPage> PostgresTransaction::DoQueryTickets(
    const TicketQuery& query) {
  TicketPage page;
  bool more = false;
  // With proto filters the statements scan the rows passing the column
  // filters a batch at a time, continuing from the last row scanned; the
  // rows the proto filters reject are skipped here. Otherwise one statement.
  TicketQuery scan = query;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(PgTicketSql sql, BuildPgTicketQuerySql(scan));
    HELPDESK_ASSIGN_OR_RETURN(PgResult r, Run(sql.sql, sql.Params()));
    v1::Ticket last;
    for (int i = 0; i < r.rows() && !more; ++i) {
      const int64_t id = r.Int(i, 0);
      v1::Ticket ticket;
      HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(i, 2), "tickets", id, &ticket));
      ticket.set_id(id);
      ticket.set_version(r.Int(i, 1));
      if (sql.proto_filters) {
        last = ticket;
        if (!TicketMatchesProtoFilters(query, ticket)) continue;
      }
      if (static_cast<int>(page.tickets.size()) == query.limit) {
        more = true;
      } else {
        page.tickets.push_back(std::move(ticket));
      }
    }
    if (more || !sql.proto_filters || r.rows() < sql.fetch) break;
    scan.cursor = EncodeCursor(query.sort, last);
  }
  if (more) page.next_cursor = EncodeCursor(query.sort, page.tickets.back());
  return page;
}

absl::StatusOr<int64_t> PostgresTransaction::DoCountTickets(const TicketQuery& query) {
  PgTicketSql sql = BuildPgTicketCountSql(query);
  HELPDESK_ASSIGN_OR_RETURN(PgResult r, Run(sql.sql, sql.Params()));
  if (!sql.proto_filters) return r.Int(0, 0);
  int64_t count = 0;
  for (int i = 0; i < r.rows(); ++i) {
    const int64_t id = r.Int(i, 0);
    v1::Ticket ticket;
    HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(i, 2), "tickets", id, &ticket));
    ticket.set_id(id);
    if (TicketMatchesProtoFilters(query, ticket)) ++count;
  }
  return count;
}

// --- Messages ---

absl::Status PostgresTransaction::DoInsertMessage(v1::Message* message) {
  if (message->ticket_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message.ticket_id ", message->ticket_id(), " must be positive"));
  }
  // Stored without id and ticket_id (the columns hold them); cleared on the
  // message itself while it is serialized, to spare copying the bodies.
  const int64_t ticket_id = message->ticket_id();
  const int64_t given_id = message->id();
  const int64_t given_origin = message->origin_ticket_id();
  if (given_origin == 0) message->set_origin_ticket_id(ticket_id);
  message->clear_id();
  message->clear_ticket_id();
  absl::StatusOr<std::string> bytes = Serialize(*message, "message");
  message->set_ticket_id(ticket_id);
  absl::StatusOr<PgResult> r = absl::UnknownError("not run");
  if (!bytes.ok()) {
    r = bytes.status();
  } else {
    r = Run("INSERT INTO messages (ticket_id, proto) VALUES ($1, $2) RETURNING id",
            {PgParam::Int(ticket_id), PgParam::Bytes(*bytes)});
  }
  if (!r.ok()) {
    message->set_id(given_id);
    message->set_origin_ticket_id(given_origin);
    return r.status();
  }
  message->set_id(r->Int(0, 0));
  return absl::OkStatus();
}

absl::StatusOr<v1::Message> PostgresTransaction::DoGetMessage(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT ticket_id, proto FROM messages WHERE id = $1",
                      {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("message", id);
  v1::Message message;
  HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(0, 1), "messages", id, &message));
  message.set_id(id);
  message.set_ticket_id(r.Int(0, 0));
  return message;
}

absl::StatusOr<std::vector<v1::Message>> PostgresTransaction::DoListMessages(
    int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT id, proto FROM messages WHERE ticket_id = $1 ORDER BY id",
                      {PgParam::Int(ticket_id)}));
  std::vector<v1::Message> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const int64_t id = r.Int(i, 0);
    HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(i, 1), "messages", id, &out[i]));
    out[i].set_id(id);
    out[i].set_ticket_id(ticket_id);
  }
  return out;
}

absl::StatusOr<int64_t> PostgresTransaction::DoMoveMessages(int64_t from_ticket,
                                                            int64_t to_ticket) {
  if (from_ticket == to_ticket) return 0;
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("UPDATE messages SET ticket_id = $1 WHERE ticket_id = $2",
                      {PgParam::Int(to_ticket), PgParam::Int(from_ticket)}));
  return r.Affected();
}

// --- Attachments ---

absl::Status PostgresTransaction::DoPutAttachmentContent(absl::string_view sha256,
                                                         absl::string_view content) {
  HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("INSERT INTO attachments (sha256, content) VALUES ($1, $2) "
                      "ON CONFLICT DO NOTHING",
                      {PgParam::Bytes(sha256), PgParam::Bytes(content)}));
  (void)r;
  return absl::OkStatus();
}

absl::StatusOr<std::string> PostgresTransaction::DoGetAttachmentContent(
    absl::string_view sha256) {
  HELPDESK_RETURN_IF_ERROR(CheckSha256(sha256));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT content FROM attachments WHERE sha256 = $1",
                      {PgParam::Bytes(sha256)}));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("no attachment content with sha256 ", sha256));
  }
  return std::string(r.Bytes(0, 0));
}

// --- Thread keys ---

absl::Status PostgresTransaction::DoPutThreadKey(absl::string_view key,
                                                 int64_t ticket_id) {
  if (key.empty() || ticket_id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "thread key '", key, "' for ticket ", ticket_id,
        ": the key must not be empty and the ticket id must be positive"));
  }
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("INSERT INTO thread_keys (key, ticket_id) VALUES ($1, $2) "
                      "ON CONFLICT DO NOTHING",
                      {PgParam::Bytes(key), PgParam::Int(ticket_id)}));
  (void)r;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PostgresTransaction::DoFindThreadKey(absl::string_view key) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT ticket_id FROM thread_keys WHERE key = $1",
                      {PgParam::Bytes(key)}));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("no ticket has thread key '", key, "'"));
  }
  return r.Int(0, 0);
}

}  // namespace helpdesk::internal
