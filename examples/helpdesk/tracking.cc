// helpdesk tracklink, track: a ticket's tracking link (issue, rotate, revoke)
// and what its token shows a customer.
#include <iostream>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/timestamp.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

// --as EMAIL (a contact), else --agent EMAIL, else the system.
absl::StatusOr<v1::Actor> LinkActor(Desk& desk, const Args& a) {
  if (std::optional<std::string> as = a.Get("as")) {
    absl::StatusOr<v1::Contact> c = desk.people().FindContactByEmail(SystemActor(), *as);
    if (!c.ok()) return c.status();
    return ContactActor(c->id());
  }
  if (std::optional<std::string> email = a.Get("agent")) {
    absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *email);
    if (!agent.ok()) return agent.status();
    return AgentActor(agent->id());
  }
  return SystemActor();
}

absl::Status CmdTrackLink(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  if (a.Has("rotate") && a.Has("revoke")) {
    return absl::InvalidArgumentError("--rotate and --revoke: give one of them");
  }
  absl::StatusOr<v1::Actor> actor = LinkActor(desk, a);
  if (!actor.ok()) return actor.status();
  if (a.Has("revoke")) {
    absl::StatusOr<bool> had = desk.tracking().Revoke(*actor, *id);
    if (!had.ok()) return had.status();
    std::cout << (*had ? "revoked the tracking link of ticket #"
                       : "ticket had no tracking link: #")
              << *id << "\n";
    return absl::OkStatus();
  }
  absl::StatusOr<TrackingLink> link = a.Has("rotate") ? desk.tracking().Rotate(*actor, *id)
                                                      : desk.tracking().Issue(*actor, *id);
  if (!link.ok()) return link.status();
  std::cout << "tracking link of ticket #" << link->ticket_id << ": " << link->token << "\n"
            << "(shown once: the desk keeps only its SHA-256; open it with "
               "`helpdesk track TOKEN`)\n";
  return absl::OkStatus();
}

absl::Status CmdTrack(Desk& desk, const Args& a) {
  if (a.positional.size() < 2) {
    return absl::InvalidArgumentError("TOKEN: missing (usage: helpdesk track TOKEN)");
  }
  absl::StatusOr<TrackedTicket> view = desk.tracking().Track(a.positional[1]);
  if (!view.ok()) return view.status();
  std::cout << "#" << view->ticket_id << " " << Visible(view->subject) << "\n"
            << "  status " << Visible(view->status) << "\n";
  for (const TrackedMessage& m : view->messages) {
    const char* kind = m.kind == v1::Message::PUBLIC_REPLY ? "reply from the help desk"
                                                           : "your message";
    std::cout << "\n  [" << When(ToTimestamp(m.created_at)) << "] " << kind << "\n"
              << "    "
              << absl::StrReplaceAll(Visible(m.body_text, /*multiline=*/true),
                                     {{"\n", "\n    "}})
              << "\n";
    for (const v1::Attachment& att : m.attachments) {
      std::cout << "    attachment " << Visible(att.file_name()) << " ("
                << Visible(att.media_type()) << ", " << att.size() << " bytes)\n";
    }
  }
  return absl::OkStatus();
}

}  // namespace

CommandGroup TrackingCommands() {
  return {
      "Tracking links (a customer follows a ticket without signing in)",
      {
          {.name = "tracklink",
           .summary = "give a ticket a tracking link (or rotate or revoke it)",
           .usage = "tracklink TICKET [--as EMAIL | --agent EMAIL] [--rotate | --revoke]",
           .flags = "  TICKET              the ticket number (12 or #12)\n"
                    "  --as EMAIL          act as this customer (the ticket's requester)\n"
                    "  --agent EMAIL       act as this agent (default: the system)\n"
                    "  --rotate            replace the token; the old one stops working\n"
                    "  --revoke            remove the link; the token stops working\n",
           .run = [](const CommandContext& c) { return CmdTrackLink(c.desk(), c.args); }},
          {.name = "track",
           .summary = "what a tracking token shows: subject, status, the public thread",
           .usage = "track TOKEN",
           .flags = "  TOKEN               the token `helpdesk tracklink` printed\n",
           .run = [](const CommandContext& c) { return CmdTrack(c.desk(), c.args); }},
      }};
}

}  // namespace helpdesk::cli
