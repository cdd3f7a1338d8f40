// helpdesk ingest, outbox.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/channels/email.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

std::string OutcomeName(const IngestResult& r) {
  if (r.duplicate) return "duplicate (already ingested)";
  switch (r.outcome) {
    case IngestResult::Outcome::kCreatedTicket:
      return r.follow_up_of != 0 ? absl::StrCat("follow-up of closed #", r.follow_up_of)
                                 : "new ticket";
    case IngestResult::Outcome::kAppended:
      return "added to ticket";
    case IngestResult::Outcome::kRecordedAutomatic:
      return "automatic mail recorded, not answered";
    case IngestResult::Outcome::kQuarantined:
      return absl::StrCat("QUARANTINED as entry ", r.quarantine_id, ": ",
                          r.quarantine_reason);
  }
  return "?";
}

// Messages per Inbox::IngestBatch call (one store transaction each).
constexpr size_t kIngestBatch = 100;

// One message to ingest: its name for the report and its bytes (or why they
// could not be read).
struct MailToIngest {
  std::string name;
  absl::StatusOr<std::string> raw;
};

// What became of one message. A source marks a message done only when the
// desk holds it: stored, quarantined, or refused on purpose (a blocked
// sender, whose refusal the desk remembers).
enum class Fate { kStored, kQuarantined, kRefused, kLeft };

bool Done(Fate f) { return f != Fate::kLeft; }

// Parses `mail` and ingests it with one Inbox::IngestBatch, printing a line per
// message. What the desk cannot take is quarantined with the reason: bytes
// the adapter cannot parse, a file over the read limit (its entry names the
// file, which stays in the mailbox). Store failures leave the message for the
// next run.
absl::StatusOr<std::vector<Fate>> IngestMail(Desk& desk, const InboundAdapter& email,
                                             const std::vector<MailToIngest>& mail,
                                             absl::Time now) {
  std::vector<Fate> fates(mail.size(), Fate::kLeft);
  std::vector<v1::InboundMessage> parsed;
  std::vector<size_t> parsed_from;  // index into `mail` of each parsed message
  auto quarantine_raw = [&](size_t i, absl::string_view raw, const absl::Status& why) {
    absl::StatusOr<v1::QuarantineEntry> e =
        desk.inbox().QuarantineRaw(v1::CHANNEL_EMAIL, mail[i].name, raw, why.ToString());
    if (!e.ok()) {
      std::cout << Visible(mail[i].name) << ": left for the next run: "
                << Visible(e.status().message()) << "\n";
      return;
    }
    std::cout << Visible(mail[i].name) << ": QUARANTINED as entry " << e->id() << ": "
              << Visible(why.message()) << "\n";
    fates[i] = Fate::kQuarantined;
  };
  for (size_t i = 0; i < mail.size(); ++i) {
    if (!mail[i].raw.ok()) {
      if (absl::IsResourceExhausted(mail[i].raw.status())) {
        quarantine_raw(i, "", mail[i].raw.status());  // too large to read
      } else {
        std::cout << Visible(mail[i].name) << ": cannot read: "
                  << Visible(mail[i].raw.status().message()) << "\n";
      }
      continue;
    }
    absl::StatusOr<v1::InboundMessage> m = email.Parse(*mail[i].raw, now);
    if (!m.ok()) {
      quarantine_raw(i, *mail[i].raw, m.status());
      continue;
    }
    m->set_source(mail[i].name);
    parsed.push_back(*std::move(m));
    parsed_from.push_back(i);
  }
  absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> results =
      desk.inbox().IngestBatch(parsed);
  if (!results.ok()) return results.status();
  for (size_t k = 0; k < parsed.size(); ++k) {
    const size_t i = parsed_from[k];
    const absl::StatusOr<IngestResult>& r = (*results)[k];
    if (!r.ok()) {
      if (absl::IsPermissionDenied(r.status())) {
        fates[i] = Fate::kRefused;
        std::cout << Visible(mail[i].name) << ": refused: " << Visible(r.status().message())
                  << "\n";
      } else {
        std::cout << Visible(mail[i].name)
                  << ": left for the next run: " << Visible(r.status().message()) << "\n";
      }
      continue;
    }
    fates[i] = r->outcome == IngestResult::Outcome::kQuarantined && !r->duplicate
                   ? Fate::kQuarantined
                   : Fate::kStored;
    std::cout << Visible(mail[i].name) << ": " << Visible(OutcomeName(*r));
    if (r->ticket_id != 0) std::cout << " #" << r->ticket_id;
    for (const std::string& d : r->degraded) std::cout << "\n    shortened: " << Visible(d);
    for (const std::string& w : parsed[k].warnings()) {
      std::cout << "\n    warning: " << Visible(w);
    }
    std::cout << "\n";
  }
  return fates;
}

absl::Status CmdIngest(Desk& desk, const Args& a, Clock& clock) {
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  // Messages larger than this are not read: they are quarantined by name
  // (the file stays where it is) for someone to look at.
  size_t max_bytes = size_t{50} << 20;
  if (std::optional<std::string> m = a.Get("max-bytes")) {
    absl::StatusOr<int64_t> n = ParseWholeNumber("--max-bytes", *m, 1, int64_t{1} << 40);
    if (!n.ok()) return n.status();
    max_bytes = static_cast<size_t>(*n);
  }
  int counts[4] = {0, 0, 0, 0};  // by Fate
  // Ingests one batch in one transaction, as a poll does, and counts it.
  auto ingest = [&](const std::vector<MailToIngest>& mail)
      -> absl::StatusOr<std::vector<Fate>> {
    absl::StatusOr<std::vector<Fate>> fates = IngestMail(desk, *email, mail, clock.Now());
    if (!fates.ok()) return fates;
    for (Fate f : *fates) ++counts[static_cast<int>(f)];
    return fates;
  };
  if (std::optional<std::string> dir = a.Get("maildir")) {
    absl::StatusOr<std::vector<MaildirMessage>> list = ReadMaildir(*dir);
    if (!list.ok()) return list.status();
    std::vector<const MaildirMessage*> unseen;
    for (const MaildirMessage& m : *list) {
      if (!m.seen) unseen.push_back(&m);
    }
    // As a poll does: a batch of messages per transaction; a message is
    // marked seen only after the commit that holds it (durable, see
    // IngestOptions).
    for (size_t start = 0; start < unseen.size(); start += kIngestBatch) {
      const size_t end = std::min(unseen.size(), start + kIngestBatch);
      std::vector<MailToIngest> mail;
      for (size_t k = start; k < end; ++k) {
        mail.push_back({unseen[k]->path, LoadMaildirMessage(*unseen[k], max_bytes)});
      }
      absl::StatusOr<std::vector<Fate>> fates = ingest(mail);
      if (!fates.ok()) return fates.status();
      for (size_t k = start; k < end; ++k) {
        if (!Done((*fates)[k - start])) continue;  // stays for the next run
        absl::Status marked = MarkMaildirMessageProcessed(*dir, *unseen[k]);
        if (!marked.ok()) return marked;
      }
    }
  } else if (std::optional<std::string> path = a.Get("mbox")) {
    std::ifstream in(*path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("mbox ", *path, ": cannot read"));
    std::stringstream bytes;
    bytes << in.rdbuf();
    absl::StatusOr<std::vector<MboxMessage>> messages = SplitMbox(bytes.str());
    if (!messages.ok()) return messages.status();
    for (size_t start = 0; start < messages->size(); start += kIngestBatch) {
      const size_t end = std::min(messages->size(), start + kIngestBatch);
      std::vector<MailToIngest> mail;
      for (size_t k = start; k < end; ++k) {
        mail.push_back({absl::StrCat(*path, "#", k + 1), std::move((*messages)[k].raw)});
      }
      absl::Status batch = ingest(mail).status();
      if (!batch.ok()) return batch;
    }
  } else {
    std::vector<std::string> files = a.All("eml");
    for (size_t i = 1; i < a.positional.size(); ++i) files.push_back(a.positional[i]);
    if (files.empty()) {
      return absl::InvalidArgumentError(
          "usage: helpdesk ingest --eml FILE... | --maildir DIR | --mbox FILE");
    }
    for (size_t start = 0; start < files.size(); start += kIngestBatch) {
      const size_t end = std::min(files.size(), start + kIngestBatch);
      std::vector<MailToIngest> mail;
      for (size_t k = start; k < end; ++k) {
        std::ifstream in(files[k], std::ios::binary);
        if (!in) {
          mail.push_back({files[k], absl::NotFoundError("cannot open the file")});
          continue;
        }
        in.seekg(0, std::ios::end);
        const auto size = static_cast<size_t>(std::max<std::streamoff>(0, in.tellg()));
        if (size > max_bytes) {
          mail.push_back({files[k], absl::ResourceExhaustedError(absl::StrCat(
                                        files[k], " is ", size, " bytes, over the limit of ",
                                        max_bytes, " bytes (--max-bytes)"))});
          continue;
        }
        in.seekg(0);
        std::stringstream raw;
        raw << in.rdbuf();
        mail.push_back({files[k], raw.str()});
      }
      absl::Status batch = ingest(mail).status();
      if (!batch.ok()) return batch;
    }
  }
  const int stored = counts[static_cast<int>(Fate::kStored)];
  const int quarantined = counts[static_cast<int>(Fate::kQuarantined)];
  const int refused = counts[static_cast<int>(Fate::kRefused)];
  const int left = counts[static_cast<int>(Fate::kLeft)];
  const int total = stored + quarantined + refused + left;
  std::cout << stored << " of " << total << " messages ingested";
  if (quarantined > 0) std::cout << ", " << quarantined << " quarantined";
  if (refused > 0) std::cout << ", " << refused << " refused (blocked senders)";
  if (left > 0) std::cout << ", " << left << " not taken";
  std::cout << "\n";
  if (quarantined > 0 || left > 0) {
    // Exit non-zero: someone has to look ('helpdesk quarantine').
    return absl::FailedPreconditionError(absl::StrCat(
        quarantined, " quarantined and ", left,
        " not taken; see 'helpdesk quarantine' (quarantined messages are kept)"));
  }
  return absl::OkStatus();
}

absl::Status CmdOutbox(Desk& desk, const Args& a, Clock& clock,
                       const std::string& desk_email) {
  if (a.positional.size() >= 2 && a.positional[1] == "send") {
    std::unique_ptr<MailTransport> transport;
    if (std::optional<std::string> dir = a.Get("maildir")) {
      transport = NewMaildirTransport(*dir);
    } else if (std::optional<std::string> url = a.Get("smtp")) {
      transport = NewSmtpTransport({.url = *url});
    } else {
      return absl::InvalidArgumentError(
          "usage: helpdesk outbox send --maildir DIR | --smtp URL");
    }
    EmailOutboundOptions options;
    options.sending_domain = desk_email.empty() ? "localhost"
                                                : desk_email.substr(desk_email.find('@') + 1);
    options.default_from.set_email(desk_email);
    options.clock = &clock;
    std::unique_ptr<OutboundAdapter> email = NewEmailOutbound(std::move(transport), options);
    absl::StatusOr<DispatchReport> r =
        desk.outbox().Dispatch({{v1::CHANNEL_EMAIL, email.get()}}, clock.Now());
    if (!r.ok()) return r.status();
    std::cout << r->delivered << " delivered, " << r->retried << " to retry, " << r->dead
              << " dead\n";
    return absl::OkStatus();
  }
  if (a.positional.size() >= 3 && a.positional[1] == "replay") {
    absl::StatusOr<int64_t> id = ParseWholeNumber("ENTRY", a.positional[2], 1,
                                                  std::numeric_limits<int64_t>::max());
    if (!id.ok()) return id.status();
    absl::StatusOr<v1::OutboxEntry> e = desk.outbox().Replay(SystemActor(), *id);
    if (!e.ok()) return e.status();
    std::cout << "outbox entry " << *id << " is pending again\n";
    return absl::OkStatus();
  }
  std::optional<v1::OutboxEntry::State> state;
  if (a.Has("dead")) state = v1::OutboxEntry::DEAD;
  absl::StatusOr<std::vector<v1::OutboxEntry>> entries =
      desk.outbox().List(SystemActor(), state, 0, 1000);
  if (!entries.ok()) return entries.status();
  for (const v1::OutboxEntry& e : *entries) {
    std::vector<std::string> to;
    for (const v1::Party& p : e.message().to()) to.push_back(Visible(p.email()));
    std::cout << absl::StrFormat(
        "%-4d %-9s attempts %d  #%d  to %s  %s%s\n", e.id(),
        absl::AsciiStrToLower(v1::OutboxEntry::State_Name(e.state())), e.attempts(),
        e.message().ticket_id(), absl::StrJoin(to, ","), Cut(Visible(e.message().subject()), 50),
        e.last_error().empty() ? "" : absl::StrCat("  (", Visible(e.last_error()), ")"));
  }
  if (entries->empty()) std::cout << "(outbox is empty)\n";
  return absl::OkStatus();
}

}  // namespace

CommandGroup ChannelCommands() {
  return {
      "E-mail",
      {
          {.name = "ingest",
           .summary = "take e-mail in: each message threads into a ticket or opens one",
           .usage = "ingest --eml FILE... | --maildir DIR | --mbox FILE\n"
                    "       [--desk-email ADDR] [--ack] [--max-bytes N]\n"
                    "ingest FILE... [--desk-email ADDR] [--ack]",
           .flags = "  --eml FILE          an RFC 5322 message file; repeat, or name files\n"
                    "                      as arguments\n"
                    "  --maildir DIR       the unseen messages of a Maildir (marked seen\n"
                    "                      once done)\n"
                    "  --mbox FILE         every message of an mbox file\n"
                    "  --desk-email ADDR   the desk's own address (default $HELPDESK_EMAIL)\n"
                    "  --ack               acknowledge new tickets by e-mail (through the\n"
                    "                      outbox)\n"
                    "  --max-bytes N       quarantine (by name, unread) messages larger\n"
                    "                      than N bytes (default 52428800)\n"
                    "Exits 1 when a message was quarantined or not taken; each line says\n"
                    "why. Quarantined messages are kept: see 'helpdesk quarantine'.\n"
                    "100 messages per store transaction.\n",
           .run = [](const CommandContext& c) {
             return CmdIngest(c.desk(), c.args, c.clock());
           }},
          {.name = "outbox",
           .summary = "list, send or replay the outbox's e-mail",
           .usage = "outbox [--dead]\n"
                    "outbox send --maildir DIR | --smtp URL [--desk-email ADDR]\n"
                    "outbox replay ENTRY",
           .flags = "  (no subcommand)     list outbox entries\n"
                    "    --dead              only dead entries (delivery gave up)\n"
                    "  send                deliver the entries that are due:\n"
                    "    --maildir DIR       into a Maildir\n"
                    "    --smtp URL          through an SMTP server (smtp://host:port)\n"
                    "    --desk-email ADDR   the From address (default $HELPDESK_EMAIL)\n"
                    "  replay ENTRY        send a dead entry again\n",
           .run = [](const CommandContext& c) {
             return CmdOutbox(c.desk(), c.args, c.clock(), c.desk_email);
           }},
      }};
}
}  // namespace helpdesk::cli
