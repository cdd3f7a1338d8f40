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
//
// The database is --db FILE, else $HELPDESK_DB, else ./helpdesk.db.
//
// Each command lives in the file of its group (tickets.cc, people.cc,
// channels.cc, sla.cc, routing.cc, sim.cc, demo.cc); flags.h parses the
// command line, session.h opens the desk, print.h prints what it holds.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/desk.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

constexpr char kUsage[] = R"(usage: helpdesk COMMAND [ARGS] [--db FILE]

Commands:
  demo [--db FILE]              run a guided tour on a fresh database
                                (default: a new file in the temp directory)
  init                          create the database file
  group add NAME                add a group
  agent add --name N --email E [--group G]... [--admin|--light]
                                [--access all|groups|assigned]
         [--skill NAME:LEVEL]... [--capacity CHANNEL:N]... [--backup EMAIL]
                                (CHANNEL: email, chat, api, web_form, phone ...)
  agent presence EMAIL online|away|offline
                                set presence (routing: gets work, or re-queues it)
  agent log EMAIL               the agent's audit log
  agents                        list agents, their presence, and groups
  create --requester EMAIL --subject S [--body B] [--priority P] [--type T]
         [--group G] [--assignee EMAIL] [--tag T]... [--cc EMAIL]...
                                open a ticket (the requester is created if new)
  reply TICKET --agent EMAIL --body B [--version N]
  note TICKET --agent EMAIL --body B [--version N]
  comment TICKET --requester EMAIL --body B
                                a customer's message on their ticket
  update TICKET [--agent EMAIL] [--status S] [--priority P] [--type T]
         [--assignee EMAIL|none] [--group G|none] [--add-tag T]...
         [--remove-tag T]... [--version N]
  merge SOURCE TARGET [--agent EMAIL]
  list [--status S]... [--group G] [--assignee EMAIL|none] [--tag T]...
       [--requester EMAIL] [--search TEXT] [--sort queue|created|updated]
       [--limit N] [--all]
  show TICKET [--as EMAIL]      a ticket and its thread (as a customer with --as)
  log TICKET                    the ticket's audit log
  sla show TICKET               the ticket's SLA clocks
  tick [--at "YYYY-MM-DD HH:MM"] raise the SLA warnings and breaches due now
                                (or at the given UTC time)

  queue                         routing: the tickets waiting for an agent
  next --agent EMAIL            routing: pull the agent's next ticket
  accept TICKET --agent EMAIL   routing: accept a ticket offered to the agent
  decline TICKET --agent EMAIL  routing: give a ticket back (never offered again)

  sim SCENARIO [--csv FILE] [--svg FILE]
                                run routing policies side by side on a simulated
                                load (see examples/helpdesk/scenario.textproto)
  erlang --rate R --aht SECONDS --agents N [--target SECONDS]
                                Erlang C: waiting probability, mean wait,
                                service level for an M/M/N queue
  ingest --eml FILE... | --maildir DIR | --mbox FILE [--desk-email ADDR] [--ack]
                                take e-mail in: each message threads into a
                                ticket or opens one (--ack: acknowledge new
                                tickets by e-mail, through the outbox); 100
                                messages per store transaction
  outbox [--dead]               list outbox entries
  outbox send --maildir DIR | --smtp URL [--desk-email ADDR]
                                deliver due outbox entries (Maildir drop or SMTP)
  outbox replay ENTRY           send a dead entry again

SLA commands and SLA deadlines need an SLA configuration in proto text format:
--sla FILE, else $HELPDESK_SLA (see examples/helpdesk/sla.textproto).
Routing (tickets placed with agents as they come and go) needs a policy in
proto text format: --routing FILE, else $HELPDESK_ROUTING (see
examples/helpdesk/routing.textproto); tick then also runs routing's timers.
)";

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  absl::StatusOr<Args> args = Parse(argc, argv, 1);
  if (!args.ok()) {
    std::cerr << "helpdesk: " << args.status().message() << "\n";
    return 2;
  }
  absl::Status status;
  if (command == "demo") {
    status = CmdDemo(*args);
  } else if (command == "sim") {
    status = CmdSim(*args);
  } else if (command == "erlang") {
    status = CmdErlang(*args);
  } else if (command == "init") {
    status = CmdInit(*args);
  } else {
    absl::StatusOr<std::optional<std::string>> sla_text = SlaConfigText(*args);
    std::string desk_email = args->Get("desk-email").value_or("");
    if (desk_email.empty()) {
      if (const char* env = std::getenv("HELPDESK_EMAIL")) desk_email = env;
    }
    absl::StatusOr<std::optional<RoutingOptions>> routing = RoutingConfig(*args);
    absl::StatusOr<std::unique_ptr<Session>> session =
        !sla_text.ok()  ? absl::StatusOr<std::unique_ptr<Session>>(sla_text.status())
        : !routing.ok() ? absl::StatusOr<std::unique_ptr<Session>>(routing.status())
                        : OpenSession(DatabasePath(*args), false, nullptr, *sla_text,
                                      desk_email, args->Has("ack"), *routing);
    if (!session.ok()) {
      status = session.status();
    } else {
      Desk& desk = *(*session)->desk;
      if (command == "group") {
        status = CmdGroup(desk, *args);
      } else if (command == "agent") {
        status = CmdAgent(desk, *args);
      } else if (command == "agents") {
        status = CmdAgents(desk);
      } else if (command == "create") {
        status = CmdCreate(desk, *args);
      } else if (command == "reply") {
        status = CmdMessage(desk, *args, v1::Message::PUBLIC_REPLY);
      } else if (command == "note") {
        status = CmdMessage(desk, *args, v1::Message::INTERNAL_NOTE);
      } else if (command == "comment") {
        status = CmdMessage(desk, *args, v1::Message::CUSTOMER_MESSAGE);
      } else if (command == "update") {
        status = CmdUpdate(desk, *args);
      } else if (command == "merge") {
        status = CmdMerge(desk, *args);
      } else if (command == "list") {
        status = CmdList(desk, *args);
      } else if (command == "show") {
        status = CmdShow(desk, *args);
      } else if (command == "log") {
        status = CmdLog(desk, *args);
      } else if (command == "ingest") {
        status = CmdIngest(desk, *args, *(*session)->clock);
      } else if (command == "outbox") {
        status = CmdOutbox(desk, *args, *(*session)->clock, desk_email);
      } else if (command == "sla") {
        status = CmdSla(desk, *args);
      } else if (command == "queue") {
        status = CmdQueue(desk);
      } else if (command == "next" || command == "accept" || command == "decline") {
        status = CmdRoutingAgent(desk, *args, command);
      } else if (command == "tick") {
        status = CmdTick(desk, *args, *(*session)->clock);
      } else {
        std::cerr << "helpdesk: unknown command '" << command << "'\n" << kUsage;
        return 2;
      }
    }
  }
  if (!status.ok()) {
    std::cerr << "helpdesk: " << absl::StatusCodeToString(status.code()) << ": "
              << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace helpdesk::cli

int main(int argc, char** argv) { return helpdesk::cli::Main(argc, argv); }
