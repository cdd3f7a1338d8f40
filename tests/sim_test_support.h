// What the simulator tests share (sim_test.cc, sim_run_test.cc,
// sim_offers_test.cc): a small scenario's ticket types and agents, the
// scenario text built from them, and Simulate (parse, then run).
#ifndef HELPDESK_TESTS_SIM_TEST_SUPPORT_H_
#define HELPDESK_TESTS_SIM_TEST_SUPPORT_H_

#include "helpdesk/sim.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/routing.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {

inline constexpr char kAgents[] = R"pb(
  agents {
    name: "desk" count: 3
    skills { name: "billing" level: 5 }
    capacity { channel: CHANNEL_EMAIL max_items: 1 }
  }
)pb";

inline constexpr char kTypes[] = R"pb(
  ticket_types {
    name: "question" channel: CHANNEL_EMAIL
    handling_time { exponential { mean_seconds: 300 } }
  }
)pb";

inline std::string Scenario(absl::string_view extra) {
  return absl::StrCat("duration_seconds: 86400 seed: 3 replications: 2\n",
                      kTypes, kAgents, extra);
}

inline std::string WithArrivals(absl::string_view extra = "") {
  return Scenario(absl::StrCat(
      "arrivals { ticket_type: \"question\" rate_per_hour: 20 }\n", extra));
}

inline absl::StatusOr<SimReport> Simulate(const std::string& text,
                                     const SimOptions& options = {}) {
  absl::StatusOr<v1::SimScenario> s = ParseSimScenario(text);
  if (!s.ok()) return s.status();
  return RunSimulation(*s, options);
}

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_SIM_TEST_SUPPORT_H_
