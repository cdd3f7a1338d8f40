// What the routing policy tests share (routing_test.cc,
// routing_shared_test.cc): times in minutes, agents and work items, draining
// a policy, and parsing a policy's config.
#ifndef HELPDESK_TESTS_ROUTING_TEST_SUPPORT_H_
#define HELPDESK_TESTS_ROUTING_TEST_SUPPORT_H_

#include "helpdesk/routing.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {

inline absl::Time At(int64_t minutes) {
  return absl::FromUnixSeconds(1767600000) + absl::Minutes(minutes);
}

inline AgentState Agent(int64_t id, std::vector<int64_t> groups, int32_t email,
                        std::vector<SkillLevel> skills = {},
                        v1::Presence presence = v1::PRESENCE_ONLINE) {
  AgentState a;
  a.agent_id = id;
  a.presence = presence;
  a.group_ids = std::move(groups);
  a.skills = std::move(skills);
  a.capacity = {{v1::CHANNEL_EMAIL, email}};
  return a;
}

inline WorkItem Ticket(int64_t id, int64_t minute, int64_t group = 0) {
  WorkItem item;
  item.ticket_id = id;
  item.channel = v1::CHANNEL_EMAIL;
  item.group_id = group;
  item.enqueued_at = At(minute);
  return item;
}

// Next(now) until NotFound, as (ticket, agent) pairs.
inline std::vector<std::pair<int64_t, int64_t>> Drain(RoutingPolicy& p,
                                                      absl::Time now) {
  std::vector<std::pair<int64_t, int64_t>> out;
  while (true) {
    absl::StatusOr<Assignment> a = p.Next(now);
    if (!a.ok()) {
      EXPECT_THAT(a, testing::StatusIs(absl::StatusCode::kNotFound));
      return out;
    }
    out.emplace_back(a->ticket_id, a->agent_id);
  }
}

template <typename Config>
inline Config Parse(const std::string& text) {
  Config config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config))
      << text;
  return config;
}

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_ROUTING_TEST_SUPPORT_H_
