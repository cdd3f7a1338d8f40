// The helpdesk CLI's command table: each command's name, its help text and
// the function that runs it. Each command group's file (tickets.cc,
// people.cc, channels.cc, sla.cc, routing.cc, sim.cc, demo.cc, session.cc)
// returns its commands; main.cc joins them, prints `helpdesk --help` and
// `helpdesk COMMAND --help` from them, opens the desk for the commands that
// need one and runs the command. A new command group is a new file with a
// `...Commands()` function and one line in main.cc's table.
#ifndef HELPDESK_EXAMPLES_HELPDESK_COMMANDS_H_
#define HELPDESK_EXAMPLES_HELPDESK_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "flags.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "session.h"

namespace helpdesk::cli {

// What a running command gets.
struct CommandContext {
  const Args& args;
  // The command as typed (e.g. "reply"; one function may run several).
  std::string name;
  // The open desk; null for commands with `opens_desk` false.
  Session* session = nullptr;
  // --desk-email, else $HELPDESK_EMAIL, else empty.
  std::string desk_email;

  Desk& desk() const { return *session->desk; }
  Clock& clock() const { return *session->clock; }
};

struct Command {
  // The first word on the command line.
  std::string name;
  // One line for `helpdesk --help`: what the command does.
  std::string summary;
  // The command's forms, one per line, without "helpdesk " (e.g.
  // "reply TICKET --agent EMAIL --body B [--version N]").
  std::string usage;
  // Its arguments and flags, one per line ("  --body B   the message text").
  std::string flags;
  // main.cc opens the desk (--db, --sla, --routing, --desk-email, --ack)
  // before running the command; false for commands that open their own
  // database (init, demo) or none (sim, erlang).
  bool opens_desk = true;
  // Issue 17: main.cc opens the desk with the desk lease (DeskLeaseFromArgs:
  // --lease-holder, --lease-ttl), so that with a shared store only one
  // process ticks and push-routes (tick; serve opens its own).
  bool takes_lease = false;
  std::function<absl::Status(const CommandContext&)> run;
};

// A group of commands under a heading in `helpdesk --help`.
struct CommandGroup {
  std::string heading;
  std::vector<Command> commands;
};

CommandGroup SetupCommands();     // session.cc, demo.cc: demo, init, migrate
absl::Status CmdMigrate(const Args& a);  // migrate.cc
CommandGroup TicketCommands();    // tickets.cc
CommandGroup PeopleCommands();    // people.cc
CommandGroup ChannelCommands();   // channels.cc
CommandGroup QuarantineCommands();  // quarantine.cc
CommandGroup SlaCommands();       // sla.cc
CommandGroup RoutingCommands();   // routing.cc
CommandGroup SimCommands();       // sim.cc
CommandGroup TrackingCommands();  // tracking.cc (issue 15)
CommandGroup ReportCommands();    // reports.cc
CommandGroup KbCommands();        // kb.cc
#ifdef HELPDESK_CLI_WITH_SERVE
CommandGroup ServeCommands();     // serve.cc: helpdesk serve
#endif
CommandGroup AutomationCommands();  // automation.cc (issue 14)
CommandGroup PrivacyCommands();  // privacy.cc (issue 16: personal data)

// automation.cc: --rules and --templates into `options`.
absl::Status ConfigureAutomation(const Args& a, DeskOptions& options);
// The named calendars rules may count business hours in: the --sla file's and
// those of --calendars FILE ($HELPDESK_CALENDARS). Errors: NotFound for a file
// that cannot be read; InvalidArgument for one that is not SlaConfig text, a
// calendar BusinessCalendar::Create refuses, or a name defined twice
// differently.
absl::StatusOr<std::vector<BusinessCalendar>> RuleCalendars(const Args& a);

// demo.cc
absl::Status CmdDemo(const Args& a);

// demo_automation.cc: the demo's automation and knowledge base part, on the
// demo's store and clock, with the people the first part set up.
struct DemoCast {
  std::string sla_text;  // the demo's SLA configuration (its calendars)
  int64_t billing_group = 0;
  int64_t ana = 0, carla = 0;           // agents
  int64_t ada = 0, grace = 0, linus = 0;  // contacts
};
absl::Status DemoAutomation(Store& store, ManualClock& clock, const DemoCast& cast);

}  // namespace helpdesk::cli

#endif  // HELPDESK_EXAMPLES_HELPDESK_COMMANDS_H_
