// helpdesk group, agent, agents.
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "commands.h"
#include "flags.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

absl::Status CmdGroup(Desk& desk, const Args& a) {
  if (a.positional.size() < 3 || a.positional[1] != "add") {
    return absl::InvalidArgumentError("usage: helpdesk group add NAME");
  }
  absl::StatusOr<v1::Group> g = desk.people().CreateGroup(SystemActor(), a.positional[2]);
  if (!g.ok()) return g.status();
  std::cout << "group " << g->id() << " " << Visible(g->name()) << "\n";
  return absl::OkStatus();
}

absl::StatusOr<v1::Channel> ParseChannel(absl::string_view name) {
  v1::Channel c;
  if (!v1::Channel_Parse(absl::StrCat("CHANNEL_", absl::AsciiStrToUpper(name)), &c) ||
      c == v1::CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", name, "' is not a channel (email, chat, api, web_form, phone)"));
  }
  return c;
}

absl::Status CmdAgentPresence(Desk& desk, const Args& a) {
  if (a.positional.size() < 4) {
    return absl::InvalidArgumentError(
        "usage: helpdesk agent presence EMAIL online|away|offline");
  }
  absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, a.positional[2]);
  if (!agent.ok()) return agent.status();
  absl::StatusOr<v1::Presence> p = ParsePresence(a.positional[3], "PRESENCE");
  if (!p.ok()) return p.status();
  absl::StatusOr<v1::Agent> changed = desk.people().SetAgentPresence(SystemActor(), agent->id(), *p);
  if (!changed.ok()) return changed.status();
  std::cout << Visible(changed->name()) << " is " << PresenceName(changed->presence()) << "\n";
  absl::StatusOr<std::vector<v1::AgentEvent>> log =
      desk.people().AgentLog(SystemActor(), agent->id());
  if (log.ok() && !log->empty() && !log->back().note().empty() &&
      log->back().kind() == v1::AgentEvent::PRESENCE_CHANGED) {
    std::cout << Visible(log->back().note()) << "\n";
  }
  return absl::OkStatus();
}

absl::Status CmdAgent(Desk& desk, const Args& a) {
  if (a.positional.size() >= 2 && a.positional[1] == "presence") {
    return CmdAgentPresence(desk, a);
  }
  if (a.positional.size() >= 2 && a.positional[1] == "log") {
    if (a.positional.size() < 3) {
      return absl::InvalidArgumentError("usage: helpdesk agent log EMAIL");
    }
    absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, a.positional[2]);
    if (!agent.ok()) return agent.status();
    absl::StatusOr<std::vector<v1::AgentEvent>> log =
        desk.people().AgentLog(SystemActor(), agent->id());
    if (!log.ok()) return log.status();
    PrintAgentLog(desk, *log);
    return absl::OkStatus();
  }
  if (a.positional.size() < 2 || a.positional[1] != "add") {
    return absl::InvalidArgumentError(
        "usage: helpdesk agent add --name N --email E [--group G]... | "
        "agent presence EMAIL STATE | agent log EMAIL");
  }
  NewAgent n;
  absl::StatusOr<std::string> name = Required(a, "name");
  if (!name.ok()) return name.status();
  absl::StatusOr<std::string> email = Required(a, "email");
  if (!email.ok()) return email.status();
  n.name = *name;
  n.email = *email;
  if (a.Has("admin")) n.role = v1::Agent::ADMIN;
  if (a.Has("light")) n.role = v1::Agent::LIGHT_AGENT;
  if (std::optional<std::string> access = a.Get("access")) {
    if (*access == "all") {
      n.ticket_access = v1::Agent::ALL;
    } else if (*access == "groups") {
      n.ticket_access = v1::Agent::GROUPS;
    } else if (*access == "assigned") {
      n.ticket_access = v1::Agent::ASSIGNED;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--access '", *access, "' is not one of all, groups, assigned"));
    }
  }
  for (const std::string& g : a.All("group")) {
    absl::StatusOr<int64_t> id = GroupByName(desk, g);
    if (!id.ok()) return id.status();
    n.group_ids.push_back(*id);
  }
  for (const std::string& sk : a.All("skill")) {
    absl::StatusOr<std::pair<std::string, int>> level =
        NameAndNumber("skill", sk, "NAME:LEVEL (e.g. spanish:4)", 1, 10);
    if (!level.ok()) return level.status();
    v1::Skill skill;
    skill.set_name(level->first);
    skill.set_level(level->second);
    n.skills.push_back(skill);
  }
  for (const std::string& cap : a.All("capacity")) {
    absl::StatusOr<std::pair<std::string, int>> limit =
        NameAndNumber("capacity", cap, "CHANNEL:N (e.g. email:10)", 0, 10000);
    if (!limit.ok()) return limit.status();
    absl::StatusOr<v1::Channel> channel = ParseChannel(limit->first);
    if (!channel.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--capacity: ", channel.status().message()));
    }
    v1::ChannelCapacity c;
    c.set_channel(*channel);
    c.set_max_items(limit->second);
    n.capacity.push_back(c);
  }
  if (std::optional<std::string> backup = a.Get("backup")) {
    absl::StatusOr<v1::Agent> b = AgentByEmail(desk, *backup);
    if (!b.ok()) return b.status();
    n.backup_agent_id = b->id();
  }
  absl::StatusOr<v1::Agent> agent = desk.people().CreateAgent(SystemActor(), n);
  if (!agent.ok()) return agent.status();
  std::cout << "agent " << agent->id() << " " << Visible(agent->name()) << " <"
            << Visible(agent->email()) << ">\n";
  return absl::OkStatus();
}

absl::Status CmdAgents(Desk& desk) {
  Names names(desk);
  absl::StatusOr<std::vector<v1::Agent>> agents = desk.people().ListAgents(SystemActor());
  if (!agents.ok()) return agents.status();
  for (const v1::Agent& a : *agents) {
    std::vector<std::string> groups;
    for (int64_t g : a.group_ids()) groups.push_back(names.Group(g));
    std::cout << absl::StrFormat(
        "%-4d %-12s %-28s %-11s %-8s %s\n", a.id(), Visible(a.name()), Visible(a.email()),
        absl::AsciiStrToLower(v1::Agent::Role_Name(a.role())),
        a.deactivated() ? "inactive" : PresenceName(a.presence()),
        absl::StrJoin(groups, ","));
  }
  return absl::OkStatus();
}

}  // namespace

CommandGroup PeopleCommands() {
  return {
      "Agents and groups",
      {
          {.name = "group",
           .summary = "add a group of agents",
           .usage = "group add NAME",
           .flags = "  NAME                the group's name (unique)\n",
           .run = [](const CommandContext& c) { return CmdGroup(c.desk(), c.args); }},
          {.name = "agent",
           .summary = "add an agent, set an agent's presence, or show an agent's log",
           .usage = "agent add --name N --email E [--group G]... [--admin|--light]\n"
                    "          [--access all|groups|assigned] [--skill NAME:LEVEL]...\n"
                    "          [--capacity CHANNEL:N]... [--backup EMAIL]\n"
                    "agent presence EMAIL online|away|offline\n"
                    "agent log EMAIL",
           .flags = "  add                 add an agent:\n"
                    "    --name N            the agent's name\n"
                    "    --email E           the agent's e-mail (unique)\n"
                    "    --group G           a group (by name) the agent works in; repeat\n"
                    "    --admin             an administrator\n"
                    "    --light             a light agent (notes only, no replies)\n"
                    "    --access A          tickets the agent may see: all, groups, assigned\n"
                    "    --skill NAME:LEVEL  a skill, level 1-10 (e.g. spanish:4); repeat\n"
                    "    --capacity CHANNEL:N  tickets of CHANNEL (email, chat, api,\n"
                    "                        web_form, phone ...) worked at once; repeat\n"
                    "    --backup EMAIL      who takes this agent's tickets when they go away\n"
                    "  presence EMAIL STATE  online (gets routed work), away or offline\n"
                    "                      (routing: the agent's work is re-queued)\n"
                    "  log EMAIL           the agent's audit log\n",
           .run = [](const CommandContext& c) { return CmdAgent(c.desk(), c.args); }},
          {.name = "agents",
           .summary = "list agents, their roles, presence and groups",
           .usage = "agents",
           .flags = "",
           .run = [](const CommandContext& c) { return CmdAgents(c.desk()); }},
      }};
}

}  // namespace helpdesk::cli
