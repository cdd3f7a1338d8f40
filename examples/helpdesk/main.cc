// helpdesk: a command-line host for libhelpdesk on an embedded SQLite file.
//
//   helpdesk demo                      # a guided tour on a fresh database
//   helpdesk init --db desk.db
//   helpdesk group add Support --db desk.db
//   helpdesk agent add --name Bob --email bob@example.com --group Support
//   helpdesk create --requester ada@example.com --subject "VPN drops" --body "..."
//   helpdesk reply 1 --agent bob@example.com --body "Which version?"
//   helpdesk note 1 --agent bob@example.com --body "Known issue"
//   helpdesk update 1 --status pending --priority high --add-tag vpn
//   helpdesk list --status open --sort queue
//   helpdesk show 1 [--as ada@example.com]
//   helpdesk log 1
//   helpdesk tracklink 1 --as ada@example.com   # prints a tracking token
//   helpdesk track TOKEN
//
// The database is --store URL|FILE or --db FILE, else $HELPDESK_STORE, else
// $HELPDESK_DB, else ./helpdesk.db; a postgresql:// URL is a PostgreSQL store.
//
// Each command lives in the file of its group (tickets.cc, people.cc,
// channels.cc, sla.cc, routing.cc, sim.cc, demo.cc, session.cc) with its help
// text, in the command table of commands.h; this file joins the groups, prints
// the help, opens the desk and runs the command. flags.h parses the command
// line, session.h opens the desk, print.h prints what it holds.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

// Every command, grouped as `helpdesk --help` lists them.
const std::vector<CommandGroup>& CommandTable() {
  static const std::vector<CommandGroup>* const table = new std::vector<CommandGroup>{
      SetupCommands(), TicketCommands(),  PeopleCommands(), SlaCommands(),
      RoutingCommands(), ChannelCommands(), QuarantineCommands(), SimCommands(),
      // Tracking links (issue 15).
      TrackingCommands(),
      ReportCommands(),
      KbCommands(),
#ifdef HELPDESK_CLI_WITH_SERVE
      ServeCommands(),
#endif
      AutomationCommands(),  // automation (issue 14)
      PrivacyCommands(),  // personal data (issue 16)
  };
  return *table;
}

const Command* FindCommand(const std::string& name) {
  for (const CommandGroup& group : CommandTable()) {
    for (const Command& c : group.commands) {
      if (c.name == name) return &c;
    }
  }
  return nullptr;
}

constexpr char kDeskFlags[] = R"(
Every command that works on a desk also takes:
  --db FILE           the database (default $HELPDESK_DB, else ./helpdesk.db)
  --store URL|FILE    a PostgreSQL store (postgresql://...) or an SQLite file;
                      default $HELPDESK_STORE (before --db and $HELPDESK_DB)
  --sla FILE          an SLA configuration in proto text format (default
                      $HELPDESK_SLA; see examples/helpdesk/sla.textproto)
  --routing FILE      a routing policy in proto text format (default
                      $HELPDESK_ROUTING; see examples/helpdesk/routing.textproto)
  --rules FILE        triggers and automations (helpdesk.v1.RuleSetConfig text;
                      default $HELPDESK_RULES)
  --calendars FILE    named calendars for business-hours rules: `calendars`
                      of a helpdesk.v1.SlaConfig text (default
                      $HELPDESK_CALENDARS); the --sla file's calendars count too
  --templates FILE    templates and macros (default $HELPDESK_TEMPLATES; see
                      examples/helpdesk/automation.cc)
$HELPDESK_NOW="YYYY-MM-DD HH:MM" (UTC) runs the command with the desk's clock
stopped at that time (replaying a history, tests); unset, the real clock.
)";

// `helpdesk --help`: every command and what it does.
void PrintUsage(std::ostream& out) {
  out << "usage: helpdesk COMMAND [ARGS] [--db FILE]\n"
         "       helpdesk COMMAND --help     the command's arguments and flags\n";
  for (const CommandGroup& group : CommandTable()) {
    out << "\n" << group.heading << ":\n";
    for (const Command& c : group.commands) {
      out << absl::StrFormat("  %-9s %s\n", c.name, c.summary);
    }
  }
  out << kDeskFlags;
}

// `helpdesk COMMAND --help`.
void PrintCommandHelp(const Command& c, std::ostream& out) {
  std::string usage = c.usage;
  // Each form on its own "usage: helpdesk ..." line; continuation lines
  // (starting with a space) stay indented under their form.
  std::string text;
  size_t start = 0;
  while (start <= usage.size()) {
    size_t end = usage.find('\n', start);
    if (end == std::string::npos) end = usage.size();
    std::string line = usage.substr(start, end - start);
    if (!line.empty() && line[0] == ' ') {
      text += "                " + line + "\n";
    } else {
      text += (text.empty() ? "usage: helpdesk " : "       helpdesk ") + line + "\n";
    }
    start = end + 1;
  }
  out << text << "\n" << c.summary << ".\n";
  if (!c.flags.empty()) out << "\n" << c.flags;
  if (c.opens_desk) out << kDeskFlags;
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    if (command == "help" && argc >= 3) {
      const Command* c = FindCommand(argv[2]);
      if (c == nullptr) {
        std::cerr << "helpdesk: unknown command '" << Visible(argv[2]) << "'\n";
        PrintUsage(std::cerr);
        return 2;
      }
      PrintCommandHelp(*c, std::cout);
      return 0;
    }
    PrintUsage(std::cout);
    return 0;
  }
  const Command* c = FindCommand(command);
  if (c == nullptr) {
    std::cerr << "helpdesk: unknown command '" << Visible(command) << "'\n";
    PrintUsage(std::cerr);
    return 2;
  }
  if (WantsHelp(argc, argv)) {
    PrintCommandHelp(*c, std::cout);
    return 0;
  }
  absl::StatusOr<Args> args = Parse(argc, argv, 1);
  if (!args.ok()) {
    std::cerr << "helpdesk: " << Visible(args.status().message()) << "\n";
    return 2;
  }
  CommandContext context{.args = *args, .name = command};
  std::unique_ptr<Session> session;
  absl::Status status;
  // $HELPDESK_NOW: a stopped clock (issue 16, business-time reports in tests).
  std::unique_ptr<ManualClock> stopped_clock;
  if (const char* now = std::getenv("HELPDESK_NOW"); now != nullptr && *now != '\0') {
    absl::Time at;
    std::string err;
    if (!absl::ParseTime("%Y-%m-%d %H:%M", now, absl::UTCTimeZone(), &at, &err)) {
      std::cerr << "helpdesk: $HELPDESK_NOW '" << Visible(now)
                << "' is not 'YYYY-MM-DD HH:MM'\n";
      return 2;
    }
    stopped_clock = std::make_unique<ManualClock>(at);
  }
  if (c->opens_desk) {
    absl::StatusOr<std::optional<std::string>> sla_text = SlaConfigText(*args);
    context.desk_email = args->Get("desk-email").value_or("");
    if (context.desk_email.empty()) {
      if (const char* env = std::getenv("HELPDESK_EMAIL")) context.desk_email = env;
    }
    absl::StatusOr<std::optional<RoutingOptions>> routing = RoutingConfig(*args);
    absl::StatusOr<std::unique_ptr<Session>> opened =
        !sla_text.ok()  ? absl::StatusOr<std::unique_ptr<Session>>(sla_text.status())
        : !routing.ok() ? absl::StatusOr<std::unique_ptr<Session>>(routing.status())
                        : OpenSession(DatabasePath(*args), false, stopped_clock.get(), *sla_text,
                                      context.desk_email, args->Has("ack"), *routing,
                                      [&](DeskOptions& o) {  // automation (issue 14)
                                        absl::Status st = ConfigureAutomation(*args, o);
                                        if (st.ok() && c->takes_lease) {  // issue 17
                                          absl::StatusOr<DeskLeaseOptions> lease =
                                              DeskLeaseFromArgs(*args);
                                          if (!lease.ok()) return lease.status();
                                          o.lease = *std::move(lease);
                                        }
                                        return st;
                                      });
    if (opened.ok()) {
      session = *std::move(opened);
      context.session = session.get();
    } else {
      status = opened.status();
    }
  }
  if (status.ok()) status = c->run(context);
  if (!status.ok()) {
    std::cerr << "helpdesk: " << absl::StatusCodeToString(status.code()) << ": "
              << Visible(status.message()) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace helpdesk::cli

int main(int argc, char** argv) { return helpdesk::cli::Main(argc, argv); }
