// Internals of the RoutingPolicy conformance suite
// (helpdesk::routing_conformance): test data and the reference model of the
// random run. Not installed; hosts see only
// helpdesk/testing/routing_conformance.h.
#ifndef HELPDESK_TESTING_ROUTING_CONFORMANCE_INTERNAL_H_
#define HELPDESK_TESTING_ROUTING_CONFORMANCE_INTERNAL_H_


#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/routing.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::testing {

namespace routing_conformance_internal {

// 2026-01-05 08:00:00 UTC, a Monday.
inline absl::Time BaseTime() { return absl::FromUnixSeconds(1767600000); }
inline absl::Time Minute(int64_t m) { return BaseTime() + absl::Minutes(m); }

inline AgentState Agent(int64_t id, v1::Presence presence, int32_t email,
                        int32_t chat = 0) {
  AgentState a;
  a.agent_id = id;
  a.presence = presence;
  a.group_ids = {kConformanceGroup};
  if (email > 0) a.capacity.push_back({v1::CHANNEL_EMAIL, email});
  if (chat > 0) a.capacity.push_back({v1::CHANNEL_CHAT, chat});
  return a;
}

inline AgentState Online(int64_t id, int32_t email, int32_t chat = 0) {
  return Agent(id, v1::PRESENCE_ONLINE, email, chat);
}

inline WorkItem Ticket(int64_t id, int64_t minute = 0,
                       v1::Channel channel = v1::CHANNEL_EMAIL) {
  WorkItem item;
  item.ticket_id = id;
  item.channel = channel;
  item.group_id = kConformanceGroup;
  item.enqueued_at = Minute(minute);
  return item;
}

// The reference model of the random run.
struct ModelAgent {
  v1::Presence presence = v1::PRESENCE_OFFLINE;
  std::map<v1::Channel, int32_t> capacity;
  std::map<v1::Channel, int32_t> load;
  int32_t Room(v1::Channel ch) const {
    auto c = capacity.find(ch);
    auto l = load.find(ch);
    return (c == capacity.end() ? 0 : c->second) -
           (l == load.end() ? 0 : l->second);
  }
};

struct ModelTicket {
  WorkItem item;
  bool assigned = false;
  int64_t agent_id = 0;
  std::set<int64_t> declined;
};

struct Model {
  std::map<int64_t, ModelAgent> agents;
  std::map<int64_t, ModelTicket> tickets;

  bool CanTake(int64_t agent_id, const ModelTicket& t) const {
    const ModelAgent& a = agents.at(agent_id);
    return !t.assigned && a.presence == v1::PRESENCE_ONLINE &&
           a.Room(t.item.channel) > 0 && t.declined.count(agent_id) == 0;
  }
};

// One decision of a run, for comparing runs.
struct Decision {
  int64_t ticket_id;
  int64_t agent_id;
  std::string reason;
  bool operator==(const Decision&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Decision& d) {
  return os << "{ticket " << d.ticket_id << " -> agent " << d.agent_id << ": "
            << d.reason << "}";
}

}  // namespace routing_conformance_internal

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTING_ROUTING_CONFORMANCE_INTERNAL_H_
