// helpdesk quarantine: the messages the desk could not take, with the reason;
// list, show, retry (after a limit changed) or discard them.
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/channels/email.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

std::string StateName(v1::QuarantineEntry::State s) {
  return absl::AsciiStrToLower(v1::QuarantineEntry::State_Name(s));
}

absl::StatusOr<int64_t> EntryId(const Args& a) {
  if (a.positional.size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("usage: helpdesk quarantine ", a.positional[1], " ENTRY"));
  }
  return ParseWholeNumber("ENTRY", a.positional[2], 1, std::numeric_limits<int64_t>::max());
}

void PrintEntry(const v1::QuarantineEntry& e) {
  std::cout << "entry " << e.id() << " (" << StateName(e.state()) << ")\n"
            << "  received  " << When(e.quarantined_at()) << " from "
            << Visible(e.source().empty() ? "(source not named)" : e.source()) << "\n"
            << "  reason    " << Visible(e.reason()) << "\n";
  if (e.has_message()) {
    const v1::InboundMessage& m = e.message();
    std::cout << "  from      " << Visible(m.from().email().empty() ? m.from().name()
                                                                   : m.from().email())
              << "\n  subject   " << Visible(m.subject()) << "\n  size      "
              << m.body_text().size() + m.body_html().size() << " bytes of text, "
              << m.attachments_size() << " attachment(s)\n";
  } else {
    std::cout << "  raw       " << e.raw().size() << " bytes\n";
  }
  if (e.retries() > 0) std::cout << "  retries   " << e.retries() << "\n";
  if (e.state() == v1::QuarantineEntry::RELEASED) {
    std::cout << "  released  into ticket #" << e.ticket_id() << "\n";
  }
  if (!e.note().empty()) std::cout << "  note      " << Visible(e.note()) << "\n";
}

absl::Status CmdQuarantine(Desk& desk, const Args& a, Clock& clock) {
  const std::string sub = a.positional.size() >= 2 ? a.positional[1] : "list";
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  if (sub == "list") {
    std::optional<v1::QuarantineEntry::State> state = v1::QuarantineEntry::HELD;
    if (a.Has("all")) state = std::nullopt;
    absl::StatusOr<std::vector<v1::QuarantineEntry>> entries =
        desk.inbox().ListQuarantine(*actor, state, 0, 10000);
    if (!entries.ok()) return entries.status();
    for (const v1::QuarantineEntry& e : *entries) {
      std::cout << absl::StrFormat("%-4d %-9s %s  %s\n", e.id(), StateName(e.state()),
                                   Cut(Visible(e.source()), 40), Cut(Visible(e.reason()), 80));
    }
    if (entries->empty()) std::cout << "(nothing quarantined)\n";
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> id = EntryId(a);
  if (!id.ok()) return id.status();
  if (sub == "show") {
    absl::StatusOr<v1::QuarantineEntry> e = desk.inbox().GetQuarantined(*actor, *id);
    if (!e.ok()) return e.status();
    PrintEntry(*e);
    return absl::OkStatus();
  }
  if (sub == "retry") {
    // Entries holding raw bytes are parsed again with the e-mail adapter.
    std::unique_ptr<InboundAdapter> email = NewEmailInbound();
    absl::StatusOr<IngestResult> r = desk.inbox().RetryQuarantined(
        *actor, *id, [&](absl::string_view raw) { return email->Parse(raw, clock.Now()); });
    if (!r.ok()) return r.status();
    std::cout << "entry " << *id << " released";
    if (r->ticket_id != 0) std::cout << " into ticket #" << r->ticket_id;
    std::cout << "\n";
    return absl::OkStatus();
  }
  if (sub == "discard") {
    absl::StatusOr<v1::QuarantineEntry> e =
        desk.inbox().DiscardQuarantined(*actor, *id, a.Get("note").value_or(""));
    if (!e.ok()) return e.status();
    std::cout << "entry " << *id << " discarded\n";
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "quarantine ", Visible(sub), ": want list, show, retry or discard"));
}

}  // namespace

CommandGroup QuarantineCommands() {
  return {"Quarantine",
          {
              {.name = "quarantine",
               .summary = "messages the desk could not take, with the reason",
               .usage = "quarantine [list] [--all]\n"
                        "quarantine show ENTRY\n"
                        "quarantine retry ENTRY [--agent EMAIL]\n"
                        "quarantine discard ENTRY [--note TEXT] [--agent EMAIL]",
               .flags = "  list                the held entries (--all: released and\n"
                        "                      discarded too)\n"
                        "  show ENTRY          one entry: source, reason, sender, subject\n"
                        "  retry ENTRY         ingest it again with today's limits; on\n"
                        "                      success it becomes a ticket or joins one\n"
                        "  discard ENTRY       drop it (kept on record, with --note)\n"
                        "  --agent EMAIL       act as this agent (default: the system)\n",
               .run = [](const CommandContext& c) {
                 return CmdQuarantine(c.desk(), c.args, c.clock());
               }},
          }};
}

}  // namespace helpdesk::cli
