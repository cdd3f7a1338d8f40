// Routing: which agent gets which ticket, and when.
//
// A RoutingPolicy keeps its own picture of the desk, built from routing events
// the host (normally Desk) reports as they happen: work queued (Enqueue),
// changed (Update), done or withdrawn (Remove), assigned by hand
// (RecordAssignment), offers declined or timed out (Decline), and agents'
// presence, groups, skills and capacity per channel (UpdateAgent). From that
// picture it answers two questions:
//
//   push:  Next(now)            -> which queued ticket goes to which agent now
//   pull:  NextFor(agent, now)  -> "give me my next ticket"
//
// Each answer is an Assignment with a human-readable reason (unless the host
// turned reasons off with SetReasons(false)). A policy counts
// the work it assigned against the agent's capacity until it is removed or
// declined; it never assigns above an agent's capacity on a channel and never
// to an agent who is away or offline. An agent who declined a ticket, or let
// its offer time out, is never offered that ticket again. Work nobody can take
// stays queued and is assigned as soon as someone becomes eligible.
//
// Built-ins come from the New...Policy() factories below (or, from a
// v1::RoutingPolicyConfig, NewRoutingPolicy()). They keep incremental state —
// ordered sets of queued tickets per routing class (channel, group, skills)
// and of available agents per class — so one decision costs O(k log n) for n
// queued tickets and agents, where k is the number of routing classes the
// chosen agent belongs to: no call scans all agents or all tickets.
//
// Hosts may write their own policy: derive from RoutingPolicy (or from
// RoutingPolicyWrapper to change one call of another policy) and run the
// conformance suite in helpdesk/testing/routing_conformance.h over it.
// examples/custom_routing_policy.cc shows one.
//
//   std::unique_ptr<helpdesk::RoutingPolicy> policy = helpdesk::NewLeastLoadedPolicy();
//   helpdesk::AgentState ana{.agent_id = 7, .presence = v1::PRESENCE_ONLINE,
//                            .group_ids = {3},
//                            .capacity = {{v1::CHANNEL_EMAIL, 10}}};
//   policy->UpdateAgent(ana, now);
//   policy->Enqueue({.ticket_id = 42, .channel = v1::CHANNEL_EMAIL,
//                    .group_id = 3, .enqueued_at = now});
//   absl::StatusOr<helpdesk::Assignment> a = policy->Next(now);
//   // a->agent_id == 7, a->reason == "oldest queued ticket (waited 0s); least
//   //   loaded eligible agent 7 (0/10 email) in group 3"
#ifndef HELPDESK_ROUTING_H_
#define HELPDESK_ROUTING_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/routing.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

// A skill a ticket needs, at least at `min_level` (1 to 10, as v1::Skill).
struct SkillRequirement {
  std::string skill;
  int32_t min_level = 1;
};

// A ticket waiting for an agent, as routing sees it. Desk builds one from a
// v1::Ticket; the simulator from its scenario.
struct WorkItem {
  // The ticket's id (v1::Ticket::id); must be > 0.
  int64_t ticket_id = 0;
  // The channel whose capacity the work uses; must not be UNSPECIFIED.
  v1::Channel channel = v1::CHANNEL_EMAIL;
  // The group that should work it; 0 for any agent. Built-ins route within
  // it (the tiered policy uses its tiers' groups instead).
  int64_t group_id = 0;
  // PRIORITY_UNSPECIFIED counts as normal.
  v1::Priority priority = v1::PRIORITY_NORMAL;
  // Skills the ticket needs; at most one requirement per skill. Only the
  // skills-based policy reads them; the others route by channel and group.
  std::vector<SkillRequirement> required_skills;
  // The requester's paid tier: 0 standard, larger is more valuable; >= 0.
  int32_t customer_tier = 0;
  bool vip = false;
  // The agent who answered this requester before (sticky owner); 0 for none.
  int64_t preferred_agent_id = 0;
  // When the ticket's SLA target falls due, if it has one.
  std::optional<absl::Time> sla_due;
  // When the ticket started waiting. Kept across Decline; finite.
  absl::Time enqueued_at = absl::UnixEpoch();
  // Support tier for tiered escalation: 1 is first line; >= 1.
  int32_t support_tier = 1;
};

// A skill an agent has, at `level` 1 (basic) to 10 (expert).
struct SkillLevel {
  std::string skill;
  int32_t level = 1;
};

// How many items of a channel an agent works on at once (0 to 10000).
struct ChannelLimit {
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int32_t max_items = 0;
};

// An agent, as routing sees them. AgentStateFromProto() builds one from a
// v1::Agent.
struct AgentState {
  // The agent's id (v1::Agent::id); must be > 0.
  int64_t agent_id = 0;
  // Only ONLINE agents receive work; UNSPECIFIED counts as offline.
  v1::Presence presence = v1::PRESENCE_OFFLINE;
  // Groups the agent works in (ids > 0).
  std::vector<int64_t> group_ids;
  // At most one entry per skill.
  std::vector<SkillLevel> skills;
  // At most one entry per channel; a channel without an entry has capacity 0.
  std::vector<ChannelLimit> capacity;
};

// The routing view of a stored agent: deactivated agents are offline.
HELPDESK_EXPORT AgentState AgentStateFromProto(const v1::Agent& agent);

// Checks the fields every policy relies on, as documented above. Errors:
// InvalidArgument naming the field and the value, e.g.
// "work item 42: required_skills[1].min_level: 11 is not in [1, 10]".
HELPDESK_EXPORT absl::Status ValidateWorkItem(const WorkItem& item);
HELPDESK_EXPORT absl::Status ValidateAgentState(const AgentState& agent);

// One routing decision: `ticket_id` goes to `agent_id`, because `reason`.
struct Assignment {
  int64_t ticket_id = 0;
  int64_t agent_id = 0;
  // Why this ticket and this agent, for people: "oldest queued ticket (waited
  // 2m); least loaded eligible agent 7 (2/10 email) in group 3 with skill
  // spanish>=3".
  std::string reason;
};

// Why an offer came back.
enum class OfferOutcome {
  kDeclined,  // the agent said no
  kTimedOut,  // the agent did not answer in time
};

// The RoutingPolicy port. See the file comment for the model.
//
// Ownership: a policy owns its state; it borrows nothing unless its factory
// says so. Calls must not throw.
//
// Thread safety: not thread-safe; the caller (Desk, or the simulator)
// serialises every call.
class HELPDESK_EXPORT RoutingPolicy {
 public:
  virtual ~RoutingPolicy() = default;

  // A stable identifier, e.g. "com.example.vip-first"; "helpdesk." is
  // reserved for the built-ins.
  virtual absl::string_view Name() const = 0;

  // Adds an agent or replaces everything known about them (presence, groups,
  // skills, capacity). Work already assigned to them stays counted, even above
  // a lowered capacity, and stays assigned when they go away (the host
  // re-queues it with Remove and Enqueue if it wants to). Errors:
  // InvalidArgument (see ValidateAgentState).
  virtual absl::Status UpdateAgent(const AgentState& agent, absl::Time now) = 0;

  // Records that `item` waits for an agent. Errors: InvalidArgument (see
  // ValidateWorkItem); AlreadyExists if the ticket is queued or assigned.
  virtual absl::Status Enqueue(const WorkItem& item) = 0;

  // Replaces what is known about a queued or assigned ticket (its priority,
  // group, tier ... changed); a queued ticket keeps the agents who declined
  // it. An assigned ticket stays counted on the channel it was assigned on.
  // Errors: InvalidArgument; NotFound if the ticket is neither queued nor
  // assigned.
  virtual absl::Status Update(const WorkItem& item) = 0;

  // Forgets a ticket: a queued one leaves the queue (solved, merged, abandoned
  // ...), an assigned one frees its place in the agent's capacity (work done).
  // Errors: NotFound if the ticket is neither queued nor assigned.
  virtual absl::Status Remove(int64_t ticket_id) = 0;

  // Records that the ticket was assigned to `agent_id` outside the policy (by
  // hand, or when the host restores its state after a restart). The ticket
  // leaves the queue, or moves from its previous agent; it counts against the
  // agent's capacity even above it. Errors: InvalidArgument; NotFound if the
  // agent is unknown (call UpdateAgent first).
  virtual absl::Status RecordAssignment(const WorkItem& item,
                                        int64_t agent_id) = 0;

  // The agent declined the offer of an assigned ticket or let it time out:
  // the ticket goes back to the queue (keeping its enqueued_at) and is never
  // offered to that agent again; their capacity is freed. Errors: NotFound if
  // the ticket is neither queued nor assigned; FailedPrecondition if it is
  // queued or assigned to another agent (the message names both).
  virtual absl::Status Decline(int64_t ticket_id, int64_t agent_id,
                               OfferOutcome outcome, absl::Time now) = 0;

  // Push: picks the next queued ticket and the agent who gets it, and counts
  // it as assigned to them. Call again until NotFound to place every ticket
  // that can be placed. Errors: NotFound when no queued ticket has an
  // eligible agent with room now (the work stays queued).
  virtual absl::StatusOr<Assignment> Next(absl::Time now) = 0;

  // Pull: picks the next queued ticket for `agent_id` ("give me my next
  // ticket") and counts it as assigned to them. Errors: NotFound if the agent
  // is unknown or no queued ticket fits their groups, skills and free
  // capacity; FailedPrecondition if they are away or offline.
  virtual absl::StatusOr<Assignment> NextFor(int64_t agent_id,
                                             absl::Time now) = 0;

  // Whether Next(now) may assign something: false only when it would return
  // NotFound. A cheap check for hosts that ask for decisions after every
  // event (the simulator does, millions of times), sparing them the error
  // status of an empty answer. Must not change the policy's state. The
  // default always says true; the built-ins answer from their state in O(1).
  virtual bool MayAssign(absl::Time now) const { return true; }

  // The earliest time at which a decision may change without any other event
  // (a relaxation or escalation step, a hold running out), so the host knows
  // when to call Next again; InfiniteFuture when nothing is pending. It may be
  // early (a step of a ticket since removed), never late. The built-ins apply
  // at most a few hundred steps per Next or NextFor call, earliest first, so
  // that thousands of tickets relaxing or escalating in the same second do
  // not stall one decision; until such a burst is through, NextWakeup() is at
  // or before `now` (call Next again, even after a NotFound). The default has
  // no time-based behaviour.
  virtual absl::Time NextWakeup() const { return absl::InfiniteFuture(); }

  // Whether Next() and NextFor() explain their decisions in
  // Assignment::reason; on until a host turns it off. A host that never shows
  // reasons (the simulator, which makes millions of decisions) turns them off
  // to spare formatting them, and may then get an empty reason. Decisions are
  // the same either way. The default ignores the call and keeps giving
  // reasons; the built-ins honour it.
  virtual void SetReasons(bool on) {}
};

// Forwards every call to another policy; derive from it to change one call
// (a decorator, or fault injection in tests). `base` must outlive the wrapper.
//
// Thread safety: as the base policy.
class HELPDESK_EXPORT RoutingPolicyWrapper : public RoutingPolicy {
 public:
  explicit RoutingPolicyWrapper(RoutingPolicy* base) : base_(base) {}

  absl::string_view Name() const override { return base_->Name(); }
  absl::Status UpdateAgent(const AgentState& agent, absl::Time now) override {
    return base_->UpdateAgent(agent, now);
  }
  absl::Status Enqueue(const WorkItem& item) override {
    return base_->Enqueue(item);
  }
  absl::Status Update(const WorkItem& item) override {
    return base_->Update(item);
  }
  absl::Status Remove(int64_t ticket_id) override {
    return base_->Remove(ticket_id);
  }
  absl::Status RecordAssignment(const WorkItem& item,
                                int64_t agent_id) override {
    return base_->RecordAssignment(item, agent_id);
  }
  absl::Status Decline(int64_t ticket_id, int64_t agent_id,
                       OfferOutcome outcome, absl::Time now) override {
    return base_->Decline(ticket_id, agent_id, outcome, now);
  }
  absl::StatusOr<Assignment> Next(absl::Time now) override {
    return base_->Next(now);
  }
  absl::StatusOr<Assignment> NextFor(int64_t agent_id,
                                     absl::Time now) override {
    return base_->NextFor(agent_id, now);
  }
  bool MayAssign(absl::Time now) const override {
    return base_->MayAssign(now);
  }
  absl::Time NextWakeup() const override { return base_->NextWakeup(); }
  void SetReasons(bool on) override { base_->SetReasons(on); }

  RoutingPolicy* base() const { return base_; }

 private:
  RoutingPolicy* base_;
};

// The built-ins. Each returns a new, empty policy owned by the caller. Unless
// said otherwise a built-in routes a ticket within its group (any agent for
// group 0) on its channel, and breaks every tie by the earlier queued ticket
// and the lower agent id, so equal inputs give equal decisions.

// "helpdesk.fifo": oldest ticket first, to the eligible agent who has gone
// longest without a new assignment.
HELPDESK_EXPORT std::unique_ptr<RoutingPolicy> NewFifoPolicy();

// "helpdesk.newest_first": newest ticket first, otherwise as FIFO.
HELPDESK_EXPORT std::unique_ptr<RoutingPolicy> NewNewestFirstPolicy();

// "helpdesk.round_robin": oldest ticket first, to the next agent of the
// group's rotation (by agent id) who is online and has room.
HELPDESK_EXPORT std::unique_ptr<RoutingPolicy> NewRoundRobinPolicy();

// "helpdesk.least_loaded": oldest ticket first, to the eligible agent whose
// load on the ticket's channel is the smallest share of their capacity there
// (then the one longest without a new assignment).
HELPDESK_EXPORT std::unique_ptr<RoutingPolicy> NewLeastLoadedPolicy();

// "helpdesk.skills": oldest ticket first, only to agents with every required
// skill at its level, least loaded first; the config's relaxation steps widen
// that as the ticket waits, ending with overflow groups. Errors:
// InvalidArgument naming the config field and value (negative or unordered
// after_seconds, lower_levels_by outside [0, 10], a negative group).
HELPDESK_EXPORT absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewSkillsPolicy(
    const v1::SkillsRoutingConfig& config);

// "helpdesk.priority_aging": earliest virtual deadline first (see
// v1::PriorityAgingConfig), least loaded agent. Errors: InvalidArgument
// naming the config field and value.
HELPDESK_EXPORT absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewPriorityAgingPolicy(
    const v1::PriorityAgingConfig& config);

// "helpdesk.tiered_escalation": see v1::TieredEscalationConfig. A ticket whose
// support_tier exceeds the tiers goes to the last tier. Errors:
// InvalidArgument for no tiers, a group id <= 0 or a negative wait.
HELPDESK_EXPORT absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewTieredEscalationPolicy(
    const v1::TieredEscalationConfig& config);

// "helpdesk.sticky_owner(<base name>)": a decorator that sends a ticket with a
// preferred agent to that agent when they are online with room on its
// channel, ahead of the base policy's work; otherwise (owner away, offline,
// unknown, or declined it) the base policy routes it. With
// wait_for_busy_owner_seconds, a ticket whose owner is online but full is held
// for them that long before the base policy may route it. Takes ownership of
// `base`. Errors: InvalidArgument for a null base or a negative wait.
HELPDESK_EXPORT absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewStickyOwnerPolicy(
    std::unique_ptr<RoutingPolicy> base,
    const v1::StickyOwnerConfig& config = {});

// Builds the built-in `config` names (wrapped in the sticky-owner decorator
// when config.sticky_owner is present). Errors: InvalidArgument when no policy
// is set or its settings are invalid.
HELPDESK_EXPORT absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewRoutingPolicy(
    const v1::RoutingPolicyConfig& config);

}  // namespace helpdesk

#endif  // HELPDESK_ROUTING_H_
