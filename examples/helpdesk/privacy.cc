// helpdesk contact export|erase, retention run: personal data (issue 16).
// The CLI acts as the system (an operator's tool), so access allows these.
#include <fstream>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "flags.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

// CONTACT: an e-mail address (has '@') or a contact id.
absl::StatusOr<int64_t> ContactArg(Desk& desk, const Args& a, size_t index) {
  if (a.positional.size() <= index) {
    return absl::InvalidArgumentError("CONTACT: missing (an e-mail address or a contact id)");
  }
  const std::string& text = a.positional[index];
  if (absl::StrContains(text, "@")) {
    absl::StatusOr<v1::Contact> c = desk.people().FindContactByEmail(SystemActor(), text);
    if (!c.ok()) return c.status();
    return c->id();
  }
  return ParseWholeNumber("CONTACT", text, 1, INT64_MAX);
}

absl::Status CmdContact(Desk& desk, const Args& a) {
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
  if (sub == "export") {
    absl::StatusOr<int64_t> id = ContactArg(desk, a, 2);
    if (!id.ok()) return id.status();
    absl::StatusOr<std::string> out = Required(a, "out");
    if (!out.ok()) return out.status();
    absl::StatusOr<std::string> archive = desk.privacy().ExportContact(SystemActor(), *id);
    if (!archive.ok()) return archive.status();
    std::ofstream file(*out, std::ios::binary | std::ios::trunc);
    file.write(archive->data(), static_cast<std::streamsize>(archive->size()));
    file.close();
    if (!file) return absl::UnavailableError(absl::StrCat("--out ", *out, ": cannot write"));
    std::cout << "exported contact " << *id << " to " << *out << " (" << archive->size()
              << " bytes; `tar -tf " << *out << "` lists it)\n";
    return absl::OkStatus();
  }
  if (sub == "import") {
    if (a.positional.size() < 3) return absl::InvalidArgumentError("FILE: missing");
    std::ifstream file(a.positional[2], std::ios::binary);
    if (!file) return absl::NotFoundError(absl::StrCat("FILE ", a.positional[2], ": cannot open"));
    std::string archive((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    absl::StatusOr<ImportResult> r = desk.privacy().ImportContact(SystemActor(), archive);
    if (!r.ok()) return r.status();
    std::cout << "imported contact " << r->contact.id() << " with " << r->ticket_ids.size()
              << " tickets\n";
    return absl::OkStatus();
  }
  if (sub == "erase") {
    absl::StatusOr<int64_t> id = ContactArg(desk, a, 2);
    if (!id.ok()) return id.status();
    absl::StatusOr<EraseResult> r = desk.privacy().EraseContact(SystemActor(), *id);
    if (!r.ok()) return r.status();
    std::cout << "erased contact " << *id << ": " << r->ticket_ids.size() << " tickets, "
              << r->messages_redacted << " messages, " << r->attachments_deleted
              << " attachments\n";
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "contact: unknown subcommand '", Visible(sub),
      "' (usage: helpdesk contact export|erase CONTACT, contact import FILE)"));
}

absl::Status CmdRetention(Desk& desk, const Args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "run") {
    return absl::InvalidArgumentError("usage: helpdesk retention run --days N");
  }
  absl::StatusOr<std::optional<int64_t>> days = WholeNumberFlag(a, "days", 1, 36500);
  if (!days.ok()) return days.status();
  if (!days->has_value()) return absl::InvalidArgumentError("--days: missing");
  absl::StatusOr<RetentionResult> r = desk.privacy().RunRetention(
      SystemActor(), {.closed_ticket_days = static_cast<int>(**days)});
  if (!r.ok()) return r.status();
  std::cout << "retention run " << r->record_key << ": purged "
            << r->run.purged_ticket_ids_size() << " closed tickets, "
            << r->run.purged_attachment_sha256_size() << " orphaned attachments; kept "
            << r->run.held_ticket_ids_size() << " under legal hold\n";
  for (int64_t id : r->run.purged_ticket_ids()) std::cout << "  purged #" << id << "\n";
  return absl::OkStatus();
}

}  // namespace

CommandGroup PrivacyCommands() {
  return {
      "Personal data (export, erase, retention)",
      {
          {.name = "contact",
           .summary = "export, import or erase everything held about a contact",
           .usage = "contact export CONTACT --out FILE\n"
                    "contact import FILE\n"
                    "contact erase CONTACT",
           .flags = "  CONTACT             an e-mail address or a contact id\n"
                    "  --out FILE          where the archive goes (a tar file: contact.json\n"
                    "                      and attachments/<sha256>)\n",
           .run = [](const CommandContext& c) { return CmdContact(c.desk(), c.args); }},
          {.name = "retention",
           .summary = "purge closed tickets older than N days and orphaned attachments",
           .usage = "retention run --days N",
           .flags = "  --days N            closed tickets last updated more than N days ago\n"
                    "                      (1 to 36500); legal holds are kept\n",
           .run = [](const CommandContext& c) { return CmdRetention(c.desk(), c.args); }},
      }};
}

}  // namespace helpdesk::cli
