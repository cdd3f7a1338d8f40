// Runs the RoutingPolicy conformance suite
// (helpdesk/testing/routing_conformance.h) on every built-in policy, and on
// the sticky-owner decorator over two of them.
#include "helpdesk/testing/routing_conformance.h"

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "helpdesk/routing.h"

namespace helpdesk::testing {
namespace {

using Made = absl::StatusOr<std::unique_ptr<RoutingPolicy>>;

Made Skills() {
  v1::SkillsRoutingConfig config;
  auto* step = config.add_relaxations();
  step->set_after_seconds(120);
  step->set_lower_levels_by(2);
  step = config.add_relaxations();
  step->set_after_seconds(600);
  step->set_drop_skills(true);
  step->set_overflow_group_id(9);
  return NewSkillsPolicy(config);
}

Made Tiered() {
  // Both tiers are worked by the suite's group, so escalation never strands
  // a ticket.
  v1::TieredEscalationConfig config;
  auto* tier = config.add_tiers();
  tier->set_group_id(kConformanceGroup);
  tier->set_escalate_after_seconds(600);
  config.add_tiers()->set_group_id(kConformanceGroup);
  return NewTieredEscalationPolicy(config);
}

Made StickyOver(std::unique_ptr<RoutingPolicy> base) {
  return NewStickyOwnerPolicy(std::move(base));
}

INSTANTIATE_TEST_SUITE_P(
    Builtin, RoutingConformanceTest,
    ::testing::Values(
        RoutingPolicyFactory{"fifo", []() -> Made { return NewFifoPolicy(); }},
        RoutingPolicyFactory{"newest_first",
                             []() -> Made { return NewNewestFirstPolicy(); }},
        RoutingPolicyFactory{"round_robin",
                             []() -> Made { return NewRoundRobinPolicy(); }},
        RoutingPolicyFactory{"least_loaded",
                             []() -> Made { return NewLeastLoadedPolicy(); }},
        RoutingPolicyFactory{"skills", Skills},
        RoutingPolicyFactory{
            "priority_aging",
            []() -> Made { return NewPriorityAgingPolicy({}); }},
        RoutingPolicyFactory{"tiered_escalation", Tiered},
        RoutingPolicyFactory{
            "sticky_owner_fifo",
            []() -> Made { return StickyOver(NewFifoPolicy()); }},
        RoutingPolicyFactory{
            "sticky_owner_least_loaded",
            []() -> Made { return StickyOver(NewLeastLoadedPolicy()); }},
        RoutingPolicyFactory{"from_config", []() -> Made {
                               v1::RoutingPolicyConfig config;
                               config.mutable_round_robin();
                               config.mutable_sticky_owner();
                               return NewRoutingPolicy(config);
                             }}),
    RoutingPolicyFactoryName());

}  // namespace
}  // namespace helpdesk::testing
