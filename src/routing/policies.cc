// The built-in policies: configurations of the QueueRouter engine.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "helpdesk/routing.h"
#include "routing/queue_router.h"

namespace helpdesk {
namespace {

using routing_internal::AgentOrder;
using routing_internal::QueueRouter;
using routing_internal::UnixMicros;
using routing_internal::Requirements;
using routing_internal::Stage;
using routing_internal::Stages;
using routing_internal::Target;
using routing_internal::TicketKey;

constexpr int64_t kMaxBoostSeconds = 31'536'000;  // a year

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

class FifoPolicy final : public QueueRouter {
 public:
  FifoPolicy() : QueueRouter("helpdesk.fifo", AgentOrder::kLongestWithoutAssignment,
                    Stages::kOne) {}
};

class NewestFirstPolicy final : public QueueRouter {
 public:
  NewestFirstPolicy()
      : QueueRouter("helpdesk.newest_first",
                    AgentOrder::kLongestWithoutAssignment, Stages::kOne) {}

 protected:
  TicketKey KeyOf(const WorkItem& item, int64_t seq) const override {
    return {-UnixMicros(item.enqueued_at), -seq, item.ticket_id};
  }
  void AppendTicketReason(const WorkItem& item, int stage, absl::Time now,
                          std::string* out) const override {
    absl::StrAppend(out, "newest queued ticket (", Waited(item, now), ")");
  }
};

class RoundRobinPolicy final : public QueueRouter {
 public:
  RoundRobinPolicy() : QueueRouter("helpdesk.round_robin", AgentOrder::kRotation,
                    Stages::kOne) {}
};

class LeastLoadedPolicy final : public QueueRouter {
 public:
  LeastLoadedPolicy()
      : QueueRouter("helpdesk.least_loaded", AgentOrder::kLeastLoaded,
                    Stages::kOne) {}
};

// ---------------------------------------------------------------------------
// Skills with relaxation.

class SkillsPolicy final : public QueueRouter {
 public:
  explicit SkillsPolicy(v1::SkillsRoutingConfig config)
      : QueueRouter("helpdesk.skills", AgentOrder::kLeastLoaded),
        config_(std::move(config)) {}

 protected:
  void StageOf(const WorkItem& item, const Requirements& skills, int stage,
               Stage* out) const override {
    const int steps = config_.relaxations_size();
    stage = std::min(stage, steps);
    Requirements current = skills;
    absl::InlinedVector<int64_t, 2> overflow;
    for (int i = 0; i < stage; ++i) {
      const v1::SkillsRoutingConfig::Relaxation& r = config_.relaxations(i);
      if (r.drop_skills()) {
        current.clear();
      } else if (r.lower_levels_by() > 0) {
        for (auto& requirement : current) {
          requirement.second =
              std::max(1, requirement.second - r.lower_levels_by());
        }
      }
      const int64_t g = r.overflow_group_id();
      if (g != 0 && g != item.group_id &&
          std::find(overflow.begin(), overflow.end(), g) == overflow.end()) {
        overflow.push_back(g);
      }
    }
    out->targets.clear();
    out->targets.push_back(Target{item.channel, item.group_id, current});
    for (int64_t g : overflow) {
      out->targets.push_back(Target{item.channel, g, current});
    }
    out->ends_at =
        stage < steps
            ? item.enqueued_at +
                  absl::Seconds(config_.relaxations(stage).after_seconds())
            : absl::InfiniteFuture();
  }

  void AppendTicketReason(const WorkItem& item, int stage, absl::Time now,
                          std::string* out) const override {
    absl::StrAppend(out, "oldest queued ticket (", Waited(item, now));
    const int steps = config_.relaxations_size();
    if (stage > 0 && steps > 0) {
      absl::StrAppend(out, "; relaxation step ", std::min(stage, steps), " of ",
                      steps, " since ",
                      absl::FormatDuration(absl::Seconds(
                          config_.relaxations(std::min(stage, steps) - 1)
                              .after_seconds())));
    } else if (!item.required_skills.empty()) {
      absl::StrAppend(out, "; required skills as asked");
    }
    absl::StrAppend(out, ")");
  }

 private:
  v1::SkillsRoutingConfig config_;
};

// ---------------------------------------------------------------------------
// Priority with aging (virtual deadlines).

class PriorityAgingPolicy final : public QueueRouter {
 public:
  explicit PriorityAgingPolicy(const v1::PriorityAgingConfig& c)
      : QueueRouter("helpdesk.priority_aging", AgentOrder::kLeastLoaded,
                    Stages::kOne) {
    boost_[v1::PRIORITY_UNSPECIFIED] =
        c.has_normal_boost_seconds() ? c.normal_boost_seconds() : 0;
    boost_[v1::PRIORITY_LOW] = c.has_low_boost_seconds() ? c.low_boost_seconds() : 0;
    boost_[v1::PRIORITY_NORMAL] = boost_[v1::PRIORITY_UNSPECIFIED];
    boost_[v1::PRIORITY_HIGH] =
        c.has_high_boost_seconds() ? c.high_boost_seconds() : 1200;
    boost_[v1::PRIORITY_URGENT] =
        c.has_urgent_boost_seconds() ? c.urgent_boost_seconds() : 3600;
    vip_boost_ = c.has_vip_boost_seconds() ? c.vip_boost_seconds() : 1800;
    tier_boost_ = c.has_tier_boost_seconds() ? c.tier_boost_seconds() : 600;
    default_target_ =
        c.has_default_target_seconds() ? c.default_target_seconds() : 86400;
    use_sla_ = c.has_use_sla_deadlines() ? c.use_sla_deadlines() : true;
  }

 protected:
  TicketKey KeyOf(const WorkItem& item, int64_t seq) const override {
    return {absl::ToUnixMicros(Deadline(item)) - BoostSeconds(item) * 1'000'000,
            seq, item.ticket_id};
  }

  void AppendTicketReason(const WorkItem& item, int stage, absl::Time now,
                          std::string* out) const override {
    const int64_t boost = BoostSeconds(item);
    absl::StrAppend(
        out, "earliest virtual deadline ",
        FormatUtc(Deadline(item) - absl::Seconds(boost)), " (",
        UsesSla(item) ? absl::StrCat("SLA due ", FormatUtc(*item.sla_due))
                      : absl::StrCat("queued + ",
                                     absl::FormatDuration(
                                         absl::Seconds(default_target_))));
    if (boost != 0) {
      std::vector<std::string> why;
      if (boost_[item.priority] != 0) {
        why.push_back(absl::AsciiStrToLower(
            v1::Priority_Name(item.priority).substr(sizeof("PRIORITY_") - 1)));
      }
      if (item.vip && vip_boost_ != 0) why.push_back("VIP");
      if (item.customer_tier > 0 && tier_boost_ != 0) {
        why.push_back(absl::StrCat("tier ", item.customer_tier));
      }
      absl::StrAppend(out, ", ", boost > 0 ? "moved " : "moved back ",
                      absl::FormatDuration(absl::Seconds(std::abs(boost))),
                      boost > 0 ? " earlier for " : " for ",
                      absl::StrJoin(why, ", "));
    }
    absl::StrAppend(out, "; ", Waited(item, now), ")");
  }

 private:
  bool UsesSla(const WorkItem& item) const {
    return use_sla_ && item.sla_due.has_value();
  }
  absl::Time Deadline(const WorkItem& item) const {
    return UsesSla(item) ? *item.sla_due
                         : item.enqueued_at + absl::Seconds(default_target_);
  }
  int64_t BoostSeconds(const WorkItem& item) const {
    int64_t boost = boost_[item.priority];
    if (item.vip) boost += vip_boost_;
    boost += std::min<int64_t>(item.customer_tier, 1000) * tier_boost_;
    return boost;
  }

  int64_t boost_[v1::Priority_ARRAYSIZE] = {};
  int64_t vip_boost_;
  int64_t tier_boost_;
  int64_t default_target_;
  bool use_sla_;
};

// ---------------------------------------------------------------------------
// Tiered escalation.

class TieredEscalationPolicy final : public QueueRouter {
 public:
  explicit TieredEscalationPolicy(v1::TieredEscalationConfig config)
      : QueueRouter("helpdesk.tiered_escalation", AgentOrder::kLeastLoaded),
        config_(std::move(config)) {}

 protected:
  void StageOf(const WorkItem& item, const Requirements& skills, int stage,
               Stage* out) const override {
    absl::Time entered;
    const int tier = TierAt(item, stage, &entered);
    out->targets.clear();
    out->targets.push_back(
        Target{item.channel, config_.tiers(tier).group_id(), {}});
    const int64_t after = config_.tiers(tier).escalate_after_seconds();
    out->ends_at = (tier + 1 == config_.tiers_size() || after == 0)
                       ? absl::InfiniteFuture()
                       : entered + absl::Seconds(after);
  }

  void AppendTicketReason(const WorkItem& item, int stage, absl::Time now,
                          std::string* out) const override {
    absl::Time entered;
    const int tier = TierAt(item, stage, &entered);
    const int first = FirstTier(item);
    absl::StrAppend(out, "oldest queued ticket (", Waited(item, now), ") at tier ",
                    tier + 1, " of ", config_.tiers_size());
    if (tier > first) {
      absl::StrAppend(out, ", escalated from tier ", first + 1, " after ",
                      absl::FormatDuration(entered - item.enqueued_at));
    }
  }

 private:
  int FirstTier(const WorkItem& item) const {
    return std::min(item.support_tier, config_.tiers_size()) - 1;
  }
  // The tier (0-based) of stage `stage`, and when the ticket entered it.
  int TierAt(const WorkItem& item, int stage, absl::Time* entered) const {
    int tier = FirstTier(item);
    absl::Time start = item.enqueued_at;
    for (int s = 0; s < stage; ++s) {
      const int64_t after = config_.tiers(tier).escalate_after_seconds();
      if (tier + 1 == config_.tiers_size() || after == 0) break;
      start += absl::Seconds(after);
      ++tier;
    }
    *entered = start;
    return tier;
  }

  v1::TieredEscalationConfig config_;
};

absl::Status CheckBoost(absl::string_view field, bool has, int64_t value) {
  if (has && (value < -kMaxBoostSeconds || value > kMaxBoostSeconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority aging config: ", field, ": ", value,
                     " is not in [-31536000, 31536000]"));
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<RoutingPolicy> NewFifoPolicy() {
  return std::make_unique<FifoPolicy>();
}

std::unique_ptr<RoutingPolicy> NewNewestFirstPolicy() {
  return std::make_unique<NewestFirstPolicy>();
}

std::unique_ptr<RoutingPolicy> NewRoundRobinPolicy() {
  return std::make_unique<RoundRobinPolicy>();
}

std::unique_ptr<RoutingPolicy> NewLeastLoadedPolicy() {
  return std::make_unique<LeastLoadedPolicy>();
}

absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewSkillsPolicy(
    const v1::SkillsRoutingConfig& config) {
  int64_t previous = 0;
  for (int i = 0; i < config.relaxations_size(); ++i) {
    const v1::SkillsRoutingConfig::Relaxation& r = config.relaxations(i);
    const std::string field = absl::StrCat("skills config: relaxations[", i, "]");
    if (r.after_seconds() < 0 || r.after_seconds() > kMaxBoostSeconds) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".after_seconds: ", r.after_seconds(),
                       " is not in [0, 31536000]"));
    }
    if (r.after_seconds() < previous) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".after_seconds: ", r.after_seconds(),
          " is before the previous step's ", previous,
          "; list steps in increasing order"));
    }
    previous = r.after_seconds();
    if (r.lower_levels_by() < 0 || r.lower_levels_by() > 10) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".lower_levels_by: ", r.lower_levels_by(),
                       " is not in [0, 10]"));
    }
    if (r.overflow_group_id() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".overflow_group_id: ", r.overflow_group_id(),
                       " must be >= 0"));
    }
  }
  return std::unique_ptr<RoutingPolicy>(std::make_unique<SkillsPolicy>(config));
}

absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewPriorityAgingPolicy(
    const v1::PriorityAgingConfig& c) {
  for (const absl::Status& s : {
           CheckBoost("urgent_boost_seconds", c.has_urgent_boost_seconds(),
                      c.urgent_boost_seconds()),
           CheckBoost("high_boost_seconds", c.has_high_boost_seconds(),
                      c.high_boost_seconds()),
           CheckBoost("normal_boost_seconds", c.has_normal_boost_seconds(),
                      c.normal_boost_seconds()),
           CheckBoost("low_boost_seconds", c.has_low_boost_seconds(),
                      c.low_boost_seconds()),
           CheckBoost("vip_boost_seconds", c.has_vip_boost_seconds(),
                      c.vip_boost_seconds()),
           CheckBoost("tier_boost_seconds", c.has_tier_boost_seconds(),
                      c.tier_boost_seconds()),
       }) {
    if (!s.ok()) return s;
  }
  if (c.has_default_target_seconds() &&
      (c.default_target_seconds() < 1 ||
       c.default_target_seconds() > kMaxBoostSeconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority aging config: default_target_seconds: ",
                     c.default_target_seconds(), " is not in [1, 31536000]"));
  }
  return std::unique_ptr<RoutingPolicy>(
      std::make_unique<PriorityAgingPolicy>(c));
}

absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewTieredEscalationPolicy(
    const v1::TieredEscalationConfig& config) {
  if (config.tiers_size() == 0) {
    return absl::InvalidArgumentError(
        "tiered escalation config: tiers: none given; list at least one");
  }
  for (int i = 0; i < config.tiers_size(); ++i) {
    const v1::TieredEscalationConfig::Tier& t = config.tiers(i);
    if (t.group_id() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tiered escalation config: tiers[", i, "].group_id: ",
                       t.group_id(), " must be > 0"));
    }
    if (t.escalate_after_seconds() < 0 ||
        t.escalate_after_seconds() > kMaxBoostSeconds) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tiered escalation config: tiers[", i, "].escalate_after_seconds: ",
          t.escalate_after_seconds(), " is not in [0, 31536000]"));
    }
  }
  return std::unique_ptr<RoutingPolicy>(
      std::make_unique<TieredEscalationPolicy>(config));
}

}  // namespace helpdesk
