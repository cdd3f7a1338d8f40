// The Desk's routing state: a RoutingPolicy kept in step with the store.
//
// The store is the truth; the policy is a projection of it. RoutingMirror
// remembers what it has told the policy about each ticket (queued, or assigned
// to an agent, as of which ticket version) and turns any later stored state of
// the ticket into the policy calls that bring the policy in step. It never
// touches the store; desk.cc runs the transactions and reports what they
// committed.
//
// Thread safety: not thread-safe; desk.cc serialises every call under its
// routing mutex.
#ifndef HELPDESK_SRC_DESK_DESK_ROUTING_H_
#define HELPDESK_SRC_DESK_DESK_ROUTING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "helpdesk/routing.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk::internal {

// Whether routing looks at the ticket at all: new or open, not merged.
bool IsRoutableStatus(const v1::Ticket& ticket);

using WorkItemFn = std::function<std::optional<WorkItem>(const v1::Ticket&)>;

// The routing view of `ticket`: nullopt when it is not routed (not new or
// open, merged, or left out by `work_item`); DefaultWorkItem when
// `work_item` is empty. The item's ticket_id is the ticket's.
std::optional<WorkItem> RoutingItemOf(const WorkItemFn& work_item,
                                      const v1::Ticket& ticket);

class RoutingMirror {
 public:
  RoutingMirror(std::unique_ptr<RoutingPolicy> policy, WorkItemFn work_item);

  RoutingPolicy& policy() { return *policy_; }

  // Tells the policy about an agent as stored.
  absl::Status SyncAgent(const v1::Agent& agent, absl::Time now);
  // Whether SyncAgent last told the policy about `agent` at its version.
  bool HasAgentAt(const v1::Agent& agent) const;

  // The ticket is gone from the store (deleted): the policy forgets it.
  absl::Status SyncDeleted(int64_t ticket_id) { return Drop(ticket_id); }

  // Brings the policy in step with `ticket` as stored. A version older than
  // the one last synced is ignored (a slower thread reporting an older
  // commit).
  absl::Status SyncTicket(const v1::Ticket& ticket, absl::Time now);

  // Undoes what the policy holds about the ticket and the agent and loads
  // them again as stored (after a decision the store no longer supported).
  absl::Status Resync(const v1::Ticket& ticket, const v1::Agent& agent,
                      absl::Time now);

  // The caller committed a decline of `ticket` (now queued, with `agent`
  // among its decliners): tells the policy.
  absl::Status Declined(const v1::Ticket& ticket, int64_t agent,
                        OfferOutcome outcome, absl::Time now);

  // Queued tickets and since when, oldest first.
  std::vector<std::pair<int64_t, absl::Time>> Queued() const;

  // Tickets counted against each agent's capacity, per channel:
  // (agent id, channel) -> count.
  std::map<std::pair<int64_t, v1::Channel>, int64_t> Load() const;

  // Records a decision the caller committed (the ticket now assigned to the
  // agent at `version`); the policy counted it already in Next/NextFor.
  void NoteAssigned(const v1::Ticket& ticket);

  // Offers running out by `now`: (ticket id, agent id), earliest first.
  std::vector<std::pair<int64_t, int64_t>> ExpiredOffers(absl::Time now) const;
  // The earliest time an offer runs out; InfiniteFuture when none.
  absl::Time NextOfferExpiry() const;

  // Ticket ids the mirror holds as queued, for inspection.
  size_t queued() const { return queued_; }
  size_t assigned() const { return tickets_.size() - queued_; }

 private:
  struct Known {
    int64_t version = 0;
    int64_t agent_id = 0;  // 0: queued
    absl::Time offer_expires = absl::InfiniteFuture();
    absl::Time queued_since = absl::InfinitePast();
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  };

  // Queues `item` with the agents who declined it excluded again.
  absl::Status EnqueueWithDeclines(const WorkItem& item,
                                   const v1::Ticket& ticket, absl::Time now);
  // Takes the ticket out of the policy (if it holds it) and the mirror.
  absl::Status Drop(int64_t ticket_id);
  void Forget(int64_t ticket_id);
  void Remember(const v1::Ticket& ticket,
                v1::Channel channel = v1::CHANNEL_UNSPECIFIED);

  std::unique_ptr<RoutingPolicy> policy_;
  WorkItemFn work_item_;
  absl::flat_hash_map<int64_t, Known> tickets_;
  // Agent id -> the version SyncAgent last gave the policy.
  absl::flat_hash_map<int64_t, int64_t> agent_versions_;
  size_t queued_ = 0;
  // (expiry, ticket id, agent id) of pending offers.
  std::set<std::tuple<absl::Time, int64_t, int64_t>> offers_;
};

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_DESK_DESK_ROUTING_H_
