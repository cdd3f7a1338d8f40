// SimulateHistory (helpdesk/sim_history.h): one replication of the simulator
// written out as a desk's audit log, to check DeriveSimScenario against the
// scenario that generated the history.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/routing.h"
#include "helpdesk/sim.h"
#include "helpdesk/sim_history.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "sim/distributions.h"
#include "sim/replication.h"
#include "sim/scenario.h"

namespace helpdesk {
namespace {

v1::TicketType TypeNamed(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (v1::TicketType t : {v1::TICKET_TYPE_QUESTION, v1::TICKET_TYPE_INCIDENT,
                           v1::TICKET_TYPE_PROBLEM, v1::TICKET_TYPE_TASK}) {
    if (lower == absl::AsciiStrToLower(v1::TicketType_Name(t).substr(12))) return t;
  }
  return v1::TICKET_TYPE_UNSPECIFIED;
}

void SetStatus(v1::Event& e, const std::string& before, const std::string& after) {
  v1::FieldChange* c = e.add_changes();
  c->set_field(v1::FieldChange::STATUS);
  c->mutable_before()->set_status(before);
  c->mutable_after()->set_status(after);
}

}  // namespace

absl::StatusOr<SimHistory> SimulateHistory(const v1::SimScenario& scenario, int policy,
                                           int replication) {
  HELPDESK_ASSIGN_OR_RETURN(const sim_internal::Scenario s, sim_internal::Compile(scenario));
  if (policy < 0 || (policy > 0 && policy >= static_cast<int>(s.policies.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy: ", policy, " is out of range (the scenario has ",
                     s.policies.size(), ")"));
  }
  if (replication < 0 || replication >= s.replications) {
    return absl::InvalidArgumentError(
        absl::StrCat("replication: ", replication, " is out of range (the scenario has ",
                     s.replications, ")"));
  }
  v1::RoutingPolicyConfig config;
  std::string label = "fifo";
  if (!s.policies.empty()) {
    config = s.policies[policy].policy();
    label = s.policies[policy].label();
  } else {
    config.mutable_fifo();
  }
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<RoutingPolicy> routing, NewRoutingPolicy(config));
  routing->SetReasons(false);
  std::vector<sim_internal::LogEntry> log;
  sim_internal::Replication run(
      s, *routing,
      sim_internal::MixSeed(s.seed ^ sim_internal::MixSeed(1000003u + replication)), label);
  run.set_log(&log);
  HELPDESK_RETURN_IF_ERROR(run.Run());

  SimHistory h;
  std::vector<v1::TicketType> types;
  for (const sim_internal::TicketType& t : s.types) types.push_back(TypeNamed(t.name));
  for (const v1::SimAgents& team : scenario.agents()) {
    for (int k = 1; k <= team.count(); ++k) {
      v1::Agent& a = h.agents.emplace_back();
      a.set_id(static_cast<int64_t>(h.agents.size()));
      a.set_name(absl::StrCat(team.name(), "-", k));
      a.set_role(v1::Agent::AGENT);
      *a.mutable_group_ids() = team.group_ids();
      *a.mutable_skills() = team.skills();
      *a.mutable_capacity() = team.capacity();
    }
  }
  std::vector<bool> online(h.agents.size(), false);
  int64_t event_id = 0, agent_event_id = 0;
  for (const sim_internal::LogEntry& entry : log) {
    const google::protobuf::Timestamp time =
        ToTimestamp(s.start + absl::Nanoseconds(static_cast<int64_t>(entry.time * 1e9)));
    if (entry.kind == sim_internal::LogEntry::kOnShift ||
        entry.kind == sim_internal::LogEntry::kOffShift) {
      const bool on = entry.kind == sim_internal::LogEntry::kOnShift;
      if (online[entry.agent] == on) continue;
      online[entry.agent] = on;
      v1::AgentEvent& e = h.agent_events.emplace_back();
      e.set_id(++agent_event_id);
      e.set_agent_id(entry.agent + 1);
      e.set_kind(v1::AgentEvent::PRESENCE_CHANGED);
      *e.mutable_time() = time;
      v1::FieldChange* c = e.add_changes();
      c->set_field(v1::FieldChange::AGENT_PRESENCE);
      c->mutable_before()->set_presence(on ? v1::PRESENCE_OFFLINE : v1::PRESENCE_ONLINE);
      c->mutable_after()->set_presence(on ? v1::PRESENCE_ONLINE : v1::PRESENCE_OFFLINE);
      continue;
    }
    v1::Event& e = h.events.emplace_back();
    e.set_id(++event_id);
    e.set_ticket_id(entry.ticket);
    *e.mutable_time() = time;
    switch (entry.kind) {
      case sim_internal::LogEntry::kArrived: {
        e.set_kind(v1::Event::TICKET_CREATED);
        v1::FieldChange* c = e.add_changes();
        c->set_field(v1::FieldChange::TYPE);
        c->mutable_after()->set_type(types[entry.type]);
        c = e.add_changes();
        c->set_field(v1::FieldChange::STATUS);
        c->mutable_after()->set_status("new");
        h.channels[entry.ticket] = s.types[entry.type].channel;
        break;
      }
      case sim_internal::LogEntry::kStarted: {
        e.set_kind(v1::Event::ROUTED);
        e.set_related_agent_id(entry.agent + 1);
        v1::FieldChange* c = e.add_changes();
        c->set_field(v1::FieldChange::ASSIGNEE);
        c->mutable_before()->set_agent_id(0);
        c->mutable_after()->set_agent_id(entry.agent + 1);
        break;
      }
      case sim_internal::LogEntry::kDone:
        e.set_kind(v1::Event::FIELDS_CHANGED);
        SetStatus(e, "open", "solved");
        break;
      case sim_internal::LogEntry::kAbandoned:
        e.set_kind(v1::Event::FIELDS_CHANGED);
        e.set_note("abandoned");
        SetStatus(e, "new", "closed");
        break;
      default:
        break;
    }
  }
  return h;
}

}  // namespace helpdesk
