#include "storage/ticket_claim.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"

namespace helpdesk::internal {

absl::Status ValidateClaim(const TicketClaim& claim) {
  if (claim.agent_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("claim.agent_id ", claim.agent_id, " must be positive"));
  }
  if (claim.capacity < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("claim.capacity ", claim.capacity, " must be at least 1"));
  }
  if (claim.statuses.empty()) {
    return absl::InvalidArgumentError("claim.statuses must name at least one status");
  }
  return absl::OkStatus();
}

absl::Status LeaseVerdict(absl::string_view name, absl::string_view holder, int64_t token,
                          const Lease* stored) {
  if (stored != nullptr && stored->holder == holder && stored->token == token) {
    return absl::OkStatus();
  }
  if (stored == nullptr || stored->holder.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lease '", name, "' is held by nobody, not by '", holder, "' with token ", token));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "lease '", name, "' is held by '", stored->holder, "' with token ", stored->token,
      ", not by '", holder, "' with token ", token));
}

absl::Status ValidateLease(absl::string_view name, absl::string_view holder,
                           absl::Duration ttl) {
  if (name.empty() || holder.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("lease name '", name, "' and holder '",
                                                   holder, "' must not be empty"));
  }
  if (ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease ttl ", absl::FormatDuration(ttl), " must be positive"));
  }
  return absl::OkStatus();
}

v1::Event ApplyClaim(const TicketClaim& claim, int64_t new_version, v1::Ticket* ticket) {
  v1::Event e;
  e.set_ticket_id(ticket->id());
  e.set_kind(v1::Event::ROUTED);
  *e.mutable_time() = ToTimestamp(claim.now);
  v1::FieldChange* c = e.add_changes();
  c->set_field(v1::FieldChange::ASSIGNEE);
  c->mutable_before()->set_agent_id(0);
  c->mutable_after()->set_agent_id(claim.agent_id);
  e.set_related_agent_id(claim.agent_id);
  e.set_note("pulled");
  e.set_ticket_version(new_version);
  ticket->set_assignee_id(claim.agent_id);
  *ticket->mutable_updated_at() = ToTimestamp(claim.now);
  return e;
}

absl::StatusOr<v1::Ticket> ClaimNextTicketSerialised(Store& store, const TicketClaim& claim) {
  HELPDESK_RETURN_IF_ERROR(ValidateClaim(claim));
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                            store.Begin(TransactionMode::kReadWrite));
  HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, tx->GetAgent(claim.agent_id));
  (void)agent;
  TicketQuery load;
  load.statuses = claim.statuses;
  load.assignee_id = claim.agent_id;
  load.limit = std::min(claim.capacity, kMaxQueryLimit);
  HELPDESK_ASSIGN_OR_RETURN(TicketPage held, tx->QueryTickets(load));
  if (static_cast<int>(held.tickets.size()) >= claim.capacity) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent ", claim.agent_id, " holds ", claim.capacity, " tickets, its capacity"));
  }
  TicketQuery next;
  next.statuses = claim.statuses;
  next.assignee_id = 0;
  next.group_id = claim.group_id;
  next.sort = TicketSort::kPriorityThenOldest;
  next.limit = 1;
  HELPDESK_ASSIGN_OR_RETURN(TicketPage free, tx->QueryTickets(next));
  if (free.tickets.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no unassigned ticket to claim for agent ", claim.agent_id));
  }
  v1::Ticket t = std::move(free.tickets[0]);
  const int64_t loaded = t.version();
  v1::Event e = ApplyClaim(claim, loaded + 1, &t);
  HELPDESK_RETURN_IF_ERROR(tx->UpdateTicket(&t, loaded));
  HELPDESK_RETURN_IF_ERROR(tx->AppendEvent(&e));
  HELPDESK_RETURN_IF_ERROR(tx->Commit());
  return t;
}

}  // namespace helpdesk::internal
