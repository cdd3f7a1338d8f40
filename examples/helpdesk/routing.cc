// helpdesk queue, next, accept, decline.
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "commands.h"
#include "flags.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

absl::Status CmdQueue(Desk& desk) {
  absl::StatusOr<RoutingSnapshot> snap = desk.routing().State(SystemActor());
  if (!snap.ok()) return snap.status();
  std::cout << "policy " << snap->policy << ": " << snap->queued.size()
            << " waiting, " << snap->assigned << " with agents\n";
  Names names(desk);
  for (const RoutingSnapshot::Load& l : snap->load) {
    std::cout << "  " << names.Agent(l.agent_id) << ": " << l.items << " "
              << absl::AsciiStrToLower(
                     absl::StripPrefix(v1::Channel_Name(l.channel), "CHANNEL_"))
              << "\n";
  }
  for (const auto& [id, since] : snap->queued) {
    absl::StatusOr<v1::Ticket> t = desk.tickets().Get(SystemActor(), id);
    std::cout << absl::StrFormat(
        "  #%-5d waiting since %s  %s\n", id,
        absl::FormatTime("%Y-%m-%d %H:%M", since, absl::UTCTimeZone()),
        t.ok() ? Cut(Visible(t->subject()), 60) : std::string("?"));
  }
  if (snap->next_wakeup != absl::InfiniteFuture()) {
    std::cout << "next time-based step at "
              << absl::FormatTime("%Y-%m-%d %H:%M:%S", snap->next_wakeup,
                                  absl::UTCTimeZone())
              << " (run tick)\n";
  }
  return absl::OkStatus();
}

// next / accept / decline: routing seen from one agent.
absl::Status CmdRoutingAgent(Desk& desk, const Args& a, const std::string& command) {
  absl::StatusOr<std::string> email = Required(a, "agent");
  if (!email.ok()) return email.status();
  absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *email);
  if (!agent.ok()) return agent.status();
  const v1::Actor actor = AgentActor(agent->id());
  absl::StatusOr<v1::Ticket> t;
  if (command == "next") {
    t = desk.routing().NextTicketFor(actor, agent->id());
  } else {
    absl::StatusOr<int64_t> id = TicketArg(a, 1);
    if (!id.ok()) return id.status();
    t = command == "accept" ? desk.routing().Accept(actor, *id) : desk.routing().Decline(actor, *id);
  }
  if (!t.ok()) return t.status();
  if (command == "decline") {
    Names names(desk);
    std::cout << Visible(agent->name()) << " gave back #" << t->id() << "; now with "
              << names.Agent(desk.tickets().Get(SystemActor(), t->id())->assignee_id())
              << "\n";
    return absl::OkStatus();
  }
  std::cout << "#" << t->id() << " " << Visible(t->subject()) << " is " << Visible(agent->name())
            << "'s";
  if (command == "next") {
    absl::StatusOr<v1::Event> why = desk.routing().LastDecision(SystemActor(), t->id());
    if (why.ok()) std::cout << ": " << Visible(why->note());
  }
  std::cout << "\n";
  return absl::OkStatus();
}

constexpr char kRoutingFlag[] =
    "  --routing FILE      the routing policy (default $HELPDESK_ROUTING)\n";

}  // namespace

CommandGroup RoutingCommands() {
  return {
      "Routing (needs --routing FILE or $HELPDESK_ROUTING)",
      {
          {.name = "queue",
           .summary = "the tickets waiting for an agent, and each agent's load",
           .usage = "queue [--routing FILE]",
           .flags = kRoutingFlag,
           .run = [](const CommandContext& c) { return CmdQueue(c.desk()); }},
          {.name = "next",
           .summary = "pull the agent's next ticket",
           .usage = "next --agent EMAIL [--routing FILE]",
           .flags = absl::StrCat("  --agent EMAIL       the agent asking for work\n", kRoutingFlag),
           .run = [](const CommandContext& c) {
             return CmdRoutingAgent(c.desk(), c.args, c.name);
           }},
          {.name = "accept",
           .summary = "accept a ticket offered to the agent",
           .usage = "accept TICKET --agent EMAIL [--routing FILE]",
           .flags = absl::StrCat("  TICKET              the ticket number (12 or #12)\n"
                    "  --agent EMAIL       the agent it was offered to\n", kRoutingFlag),
           .run = [](const CommandContext& c) {
             return CmdRoutingAgent(c.desk(), c.args, c.name);
           }},
          {.name = "decline",
           .summary = "give a ticket back (never offered to the agent again)",
           .usage = "decline TICKET --agent EMAIL [--routing FILE]",
           .flags = absl::StrCat("  TICKET              the ticket number (12 or #12)\n"
                    "  --agent EMAIL       the agent giving it back\n", kRoutingFlag),
           .run = [](const CommandContext& c) {
             return CmdRoutingAgent(c.desk(), c.args, c.name);
           }},
      }};
}
}  // namespace helpdesk::cli
