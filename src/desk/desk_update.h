// Internal: the checks and changes of a ticket update, in memory, shared by
// DeskCore::Update (desk_tickets.cc) and the rules' actions, which stage the
// changes of several rules on one copy of a ticket and write it once
// (desk_automation.cc). Only the desk_*.cc files include it.
#ifndef HELPDESK_SRC_DESK_DESK_UPDATE_H_
#define HELPDESK_SRC_DESK_DESK_UPDATE_H_

#include "desk/desk_impl.h"

namespace helpdesk::desk_internal {

// Update's checks and changes, in memory: applies `u` to `*t` (which the
// caller may then store), recording each change in `e`. Reads the store only
// to check what `u` refers to (agents, groups, contacts). Errors
// (InvalidArgument, NotFound, FailedPrecondition, naming the field) leave
// `*t` and `*e` partly changed: the caller discards them. Neither authorizes
// nor checks that the ticket may change (the caller does).
absl::Status ApplyTicketUpdate(DeskCore& core, Transaction& tx, const TicketUpdate& u,
                               absl::Time now, v1::Ticket* t, v1::Event* e);

}  // namespace helpdesk::desk_internal

#endif  // HELPDESK_SRC_DESK_DESK_UPDATE_H_
