// Routing through the desk (DeskOptions::routing): pulling the next ticket, accepting and declining offers, why a ticket went where, what routing holds now.
//
// Returned by Desk::routing(); desk.h says who may do what and the error codes
// every call shares. Thread safety: as the Desk (thread-safe when the store is);
// owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_ROUTING_H_
#define HELPDESK_DESK_ROUTING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/desk_options.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

class DeskCore;


// What the desk's routing holds now (Routing::State).
struct RoutingSnapshot {
  std::string policy;
  // Routed tickets waiting for an agent, oldest first, and since when.
  std::vector<std::pair<int64_t, absl::Time>> queued;
  // Tickets counted against agents' capacity (including pending offers).
  int64_t assigned = 0;
  // The same per agent and channel: each agent's current load.
  struct Load {
    int64_t agent_id = 0;
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
    int64_t items = 0;
  };
  std::vector<Load> load;
  // When Tick() next has time-based routing work; InfiniteFuture for none.
  absl::Time next_wakeup = absl::InfiniteFuture();
};

class HELPDESK_EXPORT Routing {
 public:
  Routing(const Routing&) = delete;
  Routing& operator=(const Routing&) = delete;


  // Pull: routes the next queued ticket that fits the agent ("give me my next
  // ticket"), assigns it to them (accepted: no offer) and writes a ROUTED
  // event. The acting agent pulls for themself; admins and the system for any
  // agent. Errors: FailedPrecondition without routing or when the agent is
  // away, offline or deactivated; NotFound when no queued ticket fits their
  // groups, skills and free capacity; PermissionDenied for others.
  absl::StatusOr<v1::Ticket> NextTicketFor(const v1::Actor& actor,
                                           int64_t agent_id);


  // The assignee accepts a ticket routed to them as an offer; writes
  // OFFER_ACCEPTED. Errors: FailedPrecondition without routing or when the
  // ticket holds no offer for its assignee; PermissionDenied unless the actor
  // is the assignee, an admin or the system.
  absl::StatusOr<v1::Ticket> Accept(const v1::Actor& actor,
                                          int64_t ticket_id);


  // The assignee gives back a ticket routed or assigned to them (declines an
  // offer): the ticket is unassigned, keeps its place in the queue and is
  // never offered to them again; writes OFFER_DECLINED and routes it anew.
  // Errors: FailedPrecondition without routing, or when the ticket is not
  // new or open or has no assignee; PermissionDenied unless the actor is the
  // assignee, an admin or the system.
  absl::StatusOr<v1::Ticket> Decline(const v1::Actor& actor,
                                           int64_t ticket_id);


  // The latest ROUTED event of the ticket: who got it, when and why (its
  // note). Staff only. Errors: NotFound when routing never placed it.
  absl::StatusOr<v1::Event> LastDecision(const v1::Actor& viewer,
                                                int64_t ticket_id);


  // What routing holds now. Staff only. Errors: FailedPrecondition without
  // routing.
  absl::StatusOr<RoutingSnapshot> State(const v1::Actor& viewer);

 private:
  friend class Desk;
  explicit Routing(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_ROUTING_H_
