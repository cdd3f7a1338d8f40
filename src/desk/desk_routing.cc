#include "desk/desk_routing.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "helpdesk/desk.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"

namespace helpdesk {

namespace {

// An integer custom field in [lo, hi], or `fallback`.
int32_t IntField(const v1::Ticket& t, const std::string& name, int32_t lo,
                 int32_t hi, int32_t fallback) {
  auto it = t.custom_fields().find(name);
  if (it == t.custom_fields().end() ||
      it->second.value_case() != v1::CustomFieldValue::kInteger) {
    return fallback;
  }
  return static_cast<int32_t>(
      std::clamp<int64_t>(it->second.integer(), lo, hi));
}

}  // namespace

std::optional<WorkItem> DefaultWorkItem(const v1::Ticket& ticket) {
  WorkItem item;
  item.ticket_id = ticket.id();
  item.channel = ticket.channel() == v1::CHANNEL_UNSPECIFIED ||
                         !v1::Channel_IsValid(ticket.channel())
                     ? v1::CHANNEL_API
                     : ticket.channel();
  item.group_id = ticket.group_id();
  item.priority = ticket.priority() == v1::PRIORITY_UNSPECIFIED
                      ? v1::PRIORITY_NORMAL
                      : ticket.priority();
  for (const std::string& tag : ticket.tags()) {
    if (tag == "vip") {
      item.vip = true;
      continue;
    }
    if (!absl::StartsWith(tag, "skill:")) continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(absl::string_view(tag).substr(6), ':');
    if (parts.empty() || parts[0].empty() || parts.size() > 2) continue;
    int32_t level = 1;
    if (parts.size() == 2 &&
        (!absl::SimpleAtoi(parts[1], &level) || level < 1 || level > 10)) {
      continue;  // not a skill tag after all: "skill:x:high"
    }
    auto same = [&](const SkillRequirement& r) { return r.skill == parts[0]; };
    auto it = std::find_if(item.required_skills.begin(),
                           item.required_skills.end(), same);
    if (it == item.required_skills.end()) {
      item.required_skills.push_back({std::string(parts[0]), level});
    } else {
      it->min_level = std::max(it->min_level, level);
    }
  }
  item.customer_tier = IntField(ticket, "customer_tier", 0, 1000, 0);
  // The agent who last answered the requester (a sticky-owner policy sends
  // the ticket back to them); a negative id is no agent.
  item.preferred_agent_id = std::max<int64_t>(ticket.sticky_agent_id(), 0);
  item.support_tier = IntField(ticket, "support_tier", 1, 1000, 1);
  if (ticket.has_sla_next_deadline()) {
    item.sla_due = FromTimestamp(ticket.sla_next_deadline());
  }
  item.enqueued_at = FromTimestamp(ticket.has_routing_queued_at()
                                       ? ticket.routing_queued_at()
                                       : ticket.created_at());
  return item;
}

namespace internal {

bool IsRoutableStatus(const v1::Ticket& ticket) {
  return ticket.merged_into() == 0 &&
         (ticket.status_category() == v1::STATUS_CATEGORY_NEW ||
          ticket.status_category() == v1::STATUS_CATEGORY_OPEN);
}

RoutingMirror::RoutingMirror(std::unique_ptr<RoutingPolicy> policy,
                             WorkItemFn work_item)
    : policy_(std::move(policy)), work_item_(std::move(work_item)) {}

std::optional<WorkItem> RoutingItemOf(const WorkItemFn& work_item,
                                      const v1::Ticket& ticket) {
  if (!IsRoutableStatus(ticket)) return std::nullopt;
  std::optional<WorkItem> item =
      work_item ? work_item(ticket) : DefaultWorkItem(ticket);
  if (item) item->ticket_id = ticket.id();
  return item;
}

absl::Status RoutingMirror::Drop(int64_t ticket_id) {
  absl::Status s = policy_->Remove(ticket_id);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  Forget(ticket_id);
  return absl::OkStatus();
}

absl::Status RoutingMirror::SyncAgent(const v1::Agent& agent, absl::Time now) {
  absl::Status s = policy_->UpdateAgent(AgentStateFromProto(agent), now);
  if (s.ok()) {
    agent_versions_[agent.id()] = agent.version();
  } else {
    agent_versions_.erase(agent.id());
  }
  return s;
}

bool RoutingMirror::HasAgentAt(const v1::Agent& agent) const {
  auto it = agent_versions_.find(agent.id());
  return it != agent_versions_.end() && it->second == agent.version();
}

absl::Status RoutingMirror::EnqueueWithDeclines(const WorkItem& item,
                                                const v1::Ticket& ticket,
                                                absl::Time now) {
  HELPDESK_RETURN_IF_ERROR(policy_->Enqueue(item));
  // The port has no "exclude" call: replaying each decline is how a policy
  // learns them, and every policy honours it (conformance suite).
  for (int64_t agent : ticket.routing_declined_agent_ids()) {
    absl::Status s = policy_->RecordAssignment(item, agent);
    if (absl::IsNotFound(s)) continue;  // an agent the policy never saw
    HELPDESK_RETURN_IF_ERROR(s);
    HELPDESK_RETURN_IF_ERROR(
        policy_->Decline(item.ticket_id, agent, OfferOutcome::kDeclined, now));
  }
  return absl::OkStatus();
}

absl::Status RoutingMirror::SyncTicket(const v1::Ticket& ticket,
                                       absl::Time now) {
  auto it = tickets_.find(ticket.id());
  const bool known = it != tickets_.end();
  if (known && ticket.version() < it->second.version) return absl::OkStatus();
  std::optional<WorkItem> item = RoutingItemOf(work_item_, ticket);
  if (!item) return known ? Drop(ticket.id()) : absl::OkStatus();
  HELPDESK_RETURN_IF_ERROR(ValidateWorkItem(*item));
  const int64_t agent = ticket.assignee_id();
  if (known && it->second.agent_id == agent) {
    HELPDESK_RETURN_IF_ERROR(policy_->Update(*item));
  } else if (agent == 0) {
    if (known) HELPDESK_RETURN_IF_ERROR(Drop(ticket.id()));
    HELPDESK_RETURN_IF_ERROR(EnqueueWithDeclines(*item, ticket, now));
  } else {
    HELPDESK_RETURN_IF_ERROR(policy_->RecordAssignment(*item, agent));
  }
  Remember(ticket, item->channel);
  return absl::OkStatus();
}

absl::Status RoutingMirror::Resync(const v1::Ticket& ticket,
                                   const v1::Agent& agent, absl::Time now) {
  HELPDESK_RETURN_IF_ERROR(Drop(ticket.id()));
  HELPDESK_RETURN_IF_ERROR(SyncAgent(agent, now));
  return SyncTicket(ticket, now);
}

absl::Status RoutingMirror::Declined(const v1::Ticket& ticket, int64_t agent,
                                     OfferOutcome outcome, absl::Time now) {
  absl::Status s = policy_->Decline(ticket.id(), agent, outcome, now);
  if (s.ok()) {
    Remember(ticket);
    return absl::OkStatus();
  }
  // The policy did not hold it as that agent's: load it as stored.
  HELPDESK_RETURN_IF_ERROR(Drop(ticket.id()));
  return SyncTicket(ticket, now);
}

std::vector<std::pair<int64_t, absl::Time>> RoutingMirror::Queued() const {
  std::vector<std::pair<int64_t, absl::Time>> out;
  for (const auto& [id, k] : tickets_) {
    if (k.agent_id == 0) out.emplace_back(id, k.queued_since);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  return out;
}

std::map<std::pair<int64_t, v1::Channel>, int64_t> RoutingMirror::Load() const {
  std::map<std::pair<int64_t, v1::Channel>, int64_t> out;
  for (const auto& [id, k] : tickets_) {
    if (k.agent_id != 0) ++out[{k.agent_id, k.channel}];
  }
  return out;
}

void RoutingMirror::NoteAssigned(const v1::Ticket& ticket) { Remember(ticket); }

void RoutingMirror::Forget(int64_t ticket_id) {
  auto it = tickets_.find(ticket_id);
  if (it == tickets_.end()) return;
  if (it->second.agent_id == 0) --queued_;
  offers_.erase({it->second.offer_expires, ticket_id, it->second.agent_id});
  tickets_.erase(it);
}

void RoutingMirror::Remember(const v1::Ticket& ticket, v1::Channel channel) {
  if (channel == v1::CHANNEL_UNSPECIFIED) {
    // Kept from before (a decision or decline of a ticket synced earlier).
    auto it = tickets_.find(ticket.id());
    if (it != tickets_.end()) {
      channel = it->second.channel;
    } else if (std::optional<WorkItem> item = RoutingItemOf(work_item_, ticket)) {
      channel = item->channel;
    }
  }
  Forget(ticket.id());
  Known k;
  k.channel = channel;
  k.version = ticket.version();
  k.agent_id = ticket.assignee_id();
  if (ticket.has_routing_queued_at()) {
    k.queued_since = FromTimestamp(ticket.routing_queued_at());
  }
  if (k.agent_id == 0) {
    ++queued_;
  } else if (ticket.has_routing_offer_expires_at()) {
    k.offer_expires = FromTimestamp(ticket.routing_offer_expires_at());
    offers_.insert({k.offer_expires, ticket.id(), k.agent_id});
  }
  tickets_[ticket.id()] = k;
}

std::vector<std::pair<int64_t, int64_t>> RoutingMirror::ExpiredOffers(
    absl::Time now) const {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& [at, ticket, agent] : offers_) {
    if (at > now) break;
    out.emplace_back(ticket, agent);
  }
  return out;
}

absl::Time RoutingMirror::NextOfferExpiry() const {
  return offers_.empty() ? absl::InfiniteFuture() : std::get<0>(*offers_.begin());
}

}  // namespace internal
}  // namespace helpdesk
