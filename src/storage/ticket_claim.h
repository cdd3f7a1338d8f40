// Internal: what every built-in store shares for Store::ClaimNextTicket and
// Store::AcquireLease: argument checks, the ROUTED event of a pull, and the
// claim as plain transactions (for stores whose read-write transactions run
// one at a time: memory, SQLite). Exported for helpdesk's other components;
// not part of the public API.
#ifndef HELPDESK_SRC_STORAGE_TICKET_CLAIM_H_
#define HELPDESK_SRC_STORAGE_TICKET_CLAIM_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"

namespace helpdesk::internal {

// InvalidArgument naming the field of a bad claim.
HELPDESK_EXPORT absl::Status ValidateClaim(const TicketClaim& claim);
// InvalidArgument for an empty name or holder, or a ttl <= 0.
HELPDESK_EXPORT absl::Status ValidateLease(absl::string_view name, absl::string_view holder,
                                           absl::Duration ttl);

// Transaction::CheckLease's verdict given the lease as stored (`stored`
// null when the lease was never taken): OK when `holder` holds it with
// `token`, else FailedPrecondition naming the lease, its holder and token.
HELPDESK_EXPORT absl::Status LeaseVerdict(absl::string_view name, absl::string_view holder,
                                          int64_t token, const Lease* stored);

// Gives `ticket` (loaded, unassigned) to the claiming agent: assignee,
// updated_at; returns the ROUTED event to append (ticket_version set to
// `new_version`).
HELPDESK_EXPORT v1::Event ApplyClaim(const TicketClaim& claim, int64_t new_version,
                                     v1::Ticket* ticket);

// ClaimNextTicket through store.Begin(kReadWrite), QueryTickets, UpdateTicket
// and AppendEvent; correct for a store whose read-write transactions are
// serialised.
HELPDESK_EXPORT absl::StatusOr<v1::Ticket> ClaimNextTicketSerialised(Store& store,
                                                                     const TicketClaim& claim);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_TICKET_CLAIM_H_
