// The RoutingPolicy conformance suite: the contract of helpdesk/routing.h as
// tests.
//
// Every routing policy, built-in or a host's own, must pass this suite. It is a
// value-parameterised GoogleTest suite: each test asks a RoutingPolicyFactory
// for a fresh policy and checks one part of the contract through the public
// RoutingPolicy API only: never above capacity on a channel; never to away or
// offline agents; a declined or timed-out offer is never made to that agent
// again; queued work is routed as soon as an agent becomes eligible (agents
// come online, capacity frees up or grows) and nothing is left queued while
// an eligible agent has room; removed work is gone; push and pull agree with
// the rules; errors have the documented codes; and equal call sequences give
// equal decisions. A seeded random run checks all of it against a reference
// model over thousands of events.
//
// The suite's world is simple on purpose: every agent is a member of group 1
// (kConformanceGroup), every ticket is for group 1 on the email or chat
// channel, and tickets require no skills (their priority, VIP flag, customer
// tier, SLA due time and preferred agent vary). A policy that needs settings
// (tiers, relaxations, a hold time) must be configured so that such agents may
// take such tickets at once.
//
// The tests live in the library helpdesk::routing_conformance (CMake target
// helpdesk_routing_conformance); this header declares what a host needs to
// run them: the factory and the fixture. To run the suite against your own
// policy, instantiate it in one of your test files:
//
//   #include "helpdesk/testing/routing_conformance.h"
//   #include "myapp/vip_first_policy.h"
//
//   using helpdesk::testing::RoutingConformanceTest;
//   using helpdesk::testing::RoutingPolicyFactory;
//   using helpdesk::testing::RoutingPolicyFactoryName;
//
//   INSTANTIATE_TEST_SUITE_P(
//       MyPolicies, RoutingConformanceTest,
//       ::testing::Values(RoutingPolicyFactory{
//           "vip_first",  // becomes part of the test names: [A-Za-z0-9_]
//           [] { return myapp::NewVipFirstPolicy(); }}),
//       RoutingPolicyFactoryName());
//
// and link the test with helpdesk::routing_conformance and GTest::gtest_main
// (the library is linked whole, so its tests register themselves). The
// factory is called once per policy a test needs (the determinism test needs
// two) and must return a new, empty policy. Tests are named
// <Prefix>/RoutingConformanceTest.<Test>/<name>. examples/custom_routing_policy.cc
// runs it on a host's policy; see docs/conformance.md.
//
// The suite is deterministic (fixed seeds, fixed times) and takes under a
// second per policy in a debug build.
#ifndef HELPDESK_TESTING_ROUTING_CONFORMANCE_H_
#define HELPDESK_TESTING_ROUTING_CONFORMANCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/routing.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::testing {

// Makes a fresh, empty policy.
//
// Thread safety: `make` is called from the test's main thread only.
struct RoutingPolicyFactory {
  // Appended to every test name; letters, digits and underscores only.
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<RoutingPolicy>>()> make;
};

inline void PrintTo(const RoutingPolicyFactory& factory, std::ostream* os) {
  *os << factory.name;
}

// Names each instantiation after RoutingPolicyFactory::name.
struct RoutingPolicyFactoryName {
  std::string operator()(
      const ::testing::TestParamInfo<RoutingPolicyFactory>& info) const {
    return info.param.name;
  }
};

// The group every agent and ticket of the suite belongs to.
inline constexpr int64_t kConformanceGroup = 1;

namespace routing_conformance_internal {
// One decision of a run (defined with the suite's internals).
struct Decision;
}  // namespace routing_conformance_internal

// The fixture: a fresh policy per test, and helpers that drive it.
//
// Thread safety: each test runs on the test's main thread only.
class RoutingConformanceTest
    : public ::testing::TestWithParam<RoutingPolicyFactory> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RoutingPolicy>> policy = GetParam().make();
    ASSERT_TRUE(policy.ok()) << "the factory for '" << GetParam().name
                             << "' failed: " << policy.status();
    ASSERT_NE(*policy, nullptr);
    policy_ = std::move(*policy);
  }

  RoutingPolicy& policy() { return *policy_; }

  // Calls Next(now) until NotFound and returns the assignments; records a
  // failure on any other error.
  std::vector<Assignment> Drain(absl::Time now) { return Drain(policy(), now); }

  static std::vector<Assignment> Drain(RoutingPolicy& policy, absl::Time now) {
    std::vector<Assignment> out;
    for (int guard = 0; guard < 100000; ++guard) {
      absl::StatusOr<Assignment> a = policy.Next(now);
      if (!a.ok()) {
        EXPECT_THAT(a, StatusIs(absl::StatusCode::kNotFound));
        return out;
      }
      out.push_back(*a);
    }
    ADD_FAILURE() << "Next() never ran out of work";
    return out;
  }

  // Runs a seeded random sequence of events on `p`, checking every decision
  // against the reference model; returns the decisions.
  static std::vector<routing_conformance_internal::Decision> RandomRun(
      RoutingPolicy& p, uint64_t seed, int steps);

 private:
  std::unique_ptr<RoutingPolicy> policy_;
};

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTING_ROUTING_CONFORMANCE_H_
