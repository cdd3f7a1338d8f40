// helpdesk sla show, tick.
#include <iostream>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "commands.h"
#include "flags.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

absl::Status CmdSla(Desk& desk, const Args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "show") {
    return absl::InvalidArgumentError("usage: helpdesk sla show TICKET");
  }
  absl::StatusOr<int64_t> id = TicketArg(a, 2);
  if (!id.ok()) return id.status();
  absl::StatusOr<SlaStatus> sla = desk.sla().Status(SystemActor(), *id);
  if (!sla.ok()) return sla.status();
  PrintSla(*sla);
  return absl::OkStatus();
}

absl::Status CmdTick(Desk& desk, const Args& a, Clock& clock) {
  absl::Time at = clock.Now();
  if (std::optional<std::string> when = a.Get("at")) {
    std::string err;
    if (!absl::ParseTime("%Y-%m-%d %H:%M", *when, absl::UTCTimeZone(), &at, &err)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--at '", *when, "' is not 'YYYY-MM-DD HH:MM': ", err));
    }
  }
  absl::StatusOr<TickReport> r = desk.Tick(at);
  if (!r.ok()) return r.status();
  if (desk.options().lease) {  // issue 17: another process holds the desk lease
    std::string skipped = LeaseSkipLine(*r, *desk.options().lease);
    if (!skipped.empty()) {
      std::cout << "tick " << skipped << "\n";
      return absl::OkStatus();
    }
  }
  std::cout << "evaluated " << r->tickets_evaluated << " tickets: " << r->warnings
            << " warnings, " << r->breaches << " breaches\n";
  if (desk.options().routing) {
    std::cout << "routed " << r->routed << " tickets; " << r->offers_expired
              << " offers ran out\n";
  }
  if (desk.options().rules) {
    std::cout << "automations: " << r->automations_evaluated << " tickets evaluated, "
              << r->automations_fired << " rules fired\n";
  }
  return absl::OkStatus();
}

}  // namespace

CommandGroup SlaCommands() {
  return {
      "SLA (needs --sla FILE or $HELPDESK_SLA)",
      {
          {.name = "sla",
           .summary = "a ticket's SLA clocks",
           .usage = "sla show TICKET [--sla FILE]",
           .flags = "  TICKET              the ticket number (12 or #12)\n"
                    "  --sla FILE          the SLA configuration (default $HELPDESK_SLA)\n",
           .run = [](const CommandContext& c) { return CmdSla(c.desk(), c.args); }},
          {.name = "tick",
           .summary = "raise the SLA warnings and breaches due now; run routing's timers and "
                      "the automations due",
           .usage = "tick [--at \"YYYY-MM-DD HH:MM\"] [--sla FILE] [--routing FILE] "
                    "[--rules FILE] [--lease-holder NAME]",
           .flags = absl::StrCat(
               "  --at TIME           act as at this UTC time (default: now)\n"
               "  --sla FILE          the SLA configuration (default $HELPDESK_SLA)\n"
               "  --routing FILE      the routing policy (default $HELPDESK_ROUTING)\n",
               kLeaseFlags,
               "Takes the desk lease (released on exit): when another process (a\n"
               "`helpdesk serve` on the same store) holds it, prints who and does nothing.\n"),
           .takes_lease = true,
           .run = [](const CommandContext& c) {
             return CmdTick(c.desk(), c.args, c.clock());
           }},
      }};
}
}  // namespace helpdesk::cli
