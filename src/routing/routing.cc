// Validation of routing inputs, and building built-ins from their configs.
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "helpdesk/routing.h"
#include "routing/queue_router.h"

namespace helpdesk {
namespace {

// Times outside these years do not fit the microsecond keys policies use.
constexpr int64_t kEarliestSecond = -2208988800;  // 1900-01-01T00:00:00Z
constexpr int64_t kLatestSecond = 253402300799;   // 9999-12-31T23:59:59Z
absl::Time EarliestTime() { return absl::FromUnixSeconds(kEarliestSecond); }
absl::Time LatestTime() { return absl::FromUnixSeconds(kLatestSecond); }

std::string ChannelText(v1::Channel channel) {
  if (v1::Channel_IsValid(channel)) return v1::Channel_Name(channel);
  return absl::StrCat(static_cast<int>(channel));
}

bool InRange(absl::Time t) { return t >= EarliestTime() && t <= LatestTime(); }

absl::Status CheckWorkItem(const WorkItem& item);

// InRange for the fast path, on whole seconds (one comparison each way
// instead of absl::Time's two-part ones): true only inside the range; the
// last second of 9999 is left to InRange.
bool InsideRange(absl::Time t) {
  const int64_t seconds = routing_internal::UnixSeconds(t);
  return seconds >= kEarliestSecond && seconds < kLatestSecond;
}

}  // namespace

AgentState AgentStateFromProto(const v1::Agent& agent) {
  AgentState state;
  state.agent_id = agent.id();
  state.presence = agent.deactivated() ? v1::PRESENCE_OFFLINE : agent.presence();
  state.group_ids.assign(agent.group_ids().begin(), agent.group_ids().end());
  for (const v1::Skill& s : agent.skills()) {
    state.skills.push_back({s.name(), s.level()});
  }
  for (const v1::ChannelCapacity& c : agent.capacity()) {
    state.capacity.push_back({c.channel(), c.max_items()});
  }
  return state;
}

absl::Status ValidateWorkItem(const WorkItem& item) {
  // The common valid item in one pass of plain comparisons (every queued
  // ticket comes through here); anything else takes the checks below, which
  // name what is wrong. The range checks stand for Channel_IsValid and
  // Priority_IsValid because both enums have no gaps (routing_test checks).
  static_assert(v1::CHANNEL_UNSPECIFIED == 0 && v1::Channel_MIN == 0);
  static_assert(v1::Priority_MIN == 0);
  if (item.ticket_id > 0 && item.channel > 0 &&
      item.channel <= v1::Channel_MAX && item.group_id >= 0 &&
      item.priority >= 0 && item.priority <= v1::Priority_MAX &&
      item.required_skills.empty() && item.customer_tier >= 0 &&
      item.preferred_agent_id >= 0 && item.support_tier >= 1 &&
      !item.sla_due.has_value() && InsideRange(item.enqueued_at)) {
    return absl::OkStatus();
  }
  return CheckWorkItem(item);
}

namespace {

// ValidateWorkItem's checks one by one, out of line, so that the common
// case above needs no stack frame.
[[gnu::noinline]] absl::Status CheckWorkItem(const WorkItem& item) {
  if (item.ticket_id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "work item: ticket_id: ", item.ticket_id, " must be > 0"));
  }
  // Called for every queued ticket: nothing is allocated unless it fails.
  auto fail = [&item](auto&&... parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("work item ", item.ticket_id, ": ", parts...));
  };
  if (!v1::Channel_IsValid(item.channel) ||
      item.channel == v1::CHANNEL_UNSPECIFIED) {
    return fail("channel: ", ChannelText(item.channel),
                " is not a channel work can arrive on");
  }
  if (item.group_id < 0) {
    return fail("group_id: ", item.group_id, " must be >= 0");
  }
  if (!v1::Priority_IsValid(item.priority)) {
    return fail("priority: ", static_cast<int>(item.priority),
                " is not a priority");
  }
  for (size_t i = 0; i < item.required_skills.size(); ++i) {
    const SkillRequirement& r = item.required_skills[i];
    if (r.skill.empty()) {
      return fail("required_skills[", i, "].skill: must not be empty");
    }
    if (r.min_level < 1 || r.min_level > 10) {
      return fail("required_skills[", i, "].min_level: ", r.min_level,
                  " is not in [1, 10]");
    }
    for (size_t j = 0; j < i; ++j) {
      if (item.required_skills[j].skill == r.skill) {
        return fail("required_skills[", i, "].skill: '", r.skill,
                    "' is required twice");
      }
    }
  }
  if (item.customer_tier < 0) {
    return fail("customer_tier: ", item.customer_tier, " must be >= 0");
  }
  if (item.preferred_agent_id < 0) {
    return fail("preferred_agent_id: ", item.preferred_agent_id,
                " must be >= 0");
  }
  if (!InRange(item.enqueued_at)) {
    return fail("enqueued_at: ", absl::FormatTime(item.enqueued_at),
                " is not between the years 1900 and 9999");
  }
  if (item.sla_due.has_value() && !InRange(*item.sla_due)) {
    return fail("sla_due: ", absl::FormatTime(*item.sla_due),
                " is not between the years 1900 and 9999");
  }
  if (item.support_tier < 1) {
    return fail("support_tier: ", item.support_tier, " must be >= 1");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAgentState(const AgentState& agent) {
  if (agent.agent_id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent state: agent_id: ", agent.agent_id, " must be > 0"));
  }
  const std::string prefix = absl::StrCat("agent ", agent.agent_id, ": ");
  if (!v1::Presence_IsValid(agent.presence)) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "presence: ", static_cast<int>(agent.presence),
                     " is not a presence"));
  }
  for (size_t i = 0; i < agent.group_ids.size(); ++i) {
    if (agent.group_ids[i] <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "group_ids[", i, "]: ", agent.group_ids[i], " must be > 0"));
    }
  }
  absl::flat_hash_set<absl::string_view> skills;
  for (size_t i = 0; i < agent.skills.size(); ++i) {
    const SkillLevel& s = agent.skills[i];
    if (s.skill.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "skills[", i, "].skill: must not be empty"));
    }
    if (s.level < 1 || s.level > 10) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "skills[", i, "].level: ", s.level, " is not in [1, 10]"));
    }
    if (!skills.insert(s.skill).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "skills[", i, "].skill: '", s.skill, "' is listed twice"));
    }
  }
  absl::flat_hash_set<int> channels;
  for (size_t i = 0; i < agent.capacity.size(); ++i) {
    const ChannelLimit& c = agent.capacity[i];
    if (!v1::Channel_IsValid(c.channel) ||
        c.channel == v1::CHANNEL_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "capacity[", i, "].channel: ",
                       ChannelText(c.channel), " is not a channel"));
    }
    if (c.max_items < 0 || c.max_items > 10000) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "capacity[", i, "].max_items: ", c.max_items,
                       " is not in [0, 10000]"));
    }
    if (!channels.insert(c.channel).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "capacity[", i, "].channel: ",
                       ChannelText(c.channel), " is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewRoutingPolicy(
    const v1::RoutingPolicyConfig& config) {
  absl::StatusOr<std::unique_ptr<RoutingPolicy>> policy;
  switch (config.policy_case()) {
    case v1::RoutingPolicyConfig::kFifo:
      policy = NewFifoPolicy();
      break;
    case v1::RoutingPolicyConfig::kNewestFirst:
      policy = NewNewestFirstPolicy();
      break;
    case v1::RoutingPolicyConfig::kRoundRobin:
      policy = NewRoundRobinPolicy();
      break;
    case v1::RoutingPolicyConfig::kLeastLoaded:
      policy = NewLeastLoadedPolicy();
      break;
    case v1::RoutingPolicyConfig::kSkills:
      policy = NewSkillsPolicy(config.skills());
      break;
    case v1::RoutingPolicyConfig::kPriorityAging:
      policy = NewPriorityAgingPolicy(config.priority_aging());
      break;
    case v1::RoutingPolicyConfig::kTieredEscalation:
      policy = NewTieredEscalationPolicy(config.tiered_escalation());
      break;
    case v1::RoutingPolicyConfig::POLICY_NOT_SET:
      return absl::InvalidArgumentError(
          "routing policy config: policy: none is set; set one of fifo, "
          "newest_first, round_robin, least_loaded, skills, priority_aging, "
          "tiered_escalation");
  }
  if (!policy.ok()) return policy.status();
  if (!config.has_sticky_owner()) return policy;
  return NewStickyOwnerPolicy(std::move(*policy), config.sticky_owner());
}

}  // namespace helpdesk
