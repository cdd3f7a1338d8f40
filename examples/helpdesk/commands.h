// The helpdesk CLI's commands, one function per command; main.cc dispatches.
#ifndef HELPDESK_EXAMPLES_HELPDESK_COMMANDS_H_
#define HELPDESK_EXAMPLES_HELPDESK_COMMANDS_H_

#include <string>

#include "absl/status/status.h"
#include "flags.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"

namespace helpdesk::cli {

// session.cc
absl::Status CmdInit(const Args& a);

// tickets.cc
absl::Status CmdCreate(Desk& desk, const Args& a);
// reply, note and comment.
absl::Status CmdMessage(Desk& desk, const Args& a, v1::Message::Kind kind);
absl::Status CmdUpdate(Desk& desk, const Args& a);
absl::Status CmdMerge(Desk& desk, const Args& a);
absl::Status CmdList(Desk& desk, const Args& a);
absl::Status CmdShow(Desk& desk, const Args& a);
absl::Status CmdLog(Desk& desk, const Args& a);

// people.cc
absl::Status CmdGroup(Desk& desk, const Args& a);
absl::Status CmdAgent(Desk& desk, const Args& a);
absl::Status CmdAgents(Desk& desk);

// channels.cc
absl::Status CmdIngest(Desk& desk, const Args& a, Clock& clock);
absl::Status CmdOutbox(Desk& desk, const Args& a, Clock& clock,
                       const std::string& desk_email);

// sla.cc
absl::Status CmdSla(Desk& desk, const Args& a);
absl::Status CmdTick(Desk& desk, const Args& a, Clock& clock);

// routing.cc
absl::Status CmdQueue(Desk& desk);
// next / accept / decline: routing seen from one agent.
absl::Status CmdRoutingAgent(Desk& desk, const Args& a, const std::string& command);

// sim.cc
absl::Status CmdSim(const Args& a);
absl::Status CmdErlang(const Args& a);

// demo.cc
absl::Status CmdDemo(const Args& a);

}  // namespace helpdesk::cli

#endif  // HELPDESK_EXAMPLES_HELPDESK_COMMANDS_H_
