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
  }
  return "?";
}

// Messages per Desk::IngestBatch call (one store transaction each).
constexpr size_t kIngestBatch = 100;

// One message to ingest: its name for the report and its bytes (or why they
// could not be read).
struct MailToIngest {
  std::string name;
  absl::StatusOr<std::string> raw;
};

// Parses `mail` and ingests it with one Desk::IngestBatch, printing a line per
// message; returns each message's status (a read failure is returned, not
// printed).
absl::StatusOr<std::vector<absl::Status>> IngestMail(Desk& desk, const InboundAdapter& email,
                                                     const std::vector<MailToIngest>& mail,
                                                     absl::Time now) {
  std::vector<absl::Status> statuses(mail.size());
  std::vector<v1::InboundMessage> parsed;
  std::vector<size_t> parsed_from;  // index into `mail` of each parsed message
  for (size_t i = 0; i < mail.size(); ++i) {
    if (!mail[i].raw.ok()) {
      statuses[i] = mail[i].raw.status();
      continue;
    }
    absl::StatusOr<v1::InboundMessage> m = email.Parse(*mail[i].raw, now);
    if (!m.ok()) {
      statuses[i] = m.status();
      continue;
    }
    parsed.push_back(*std::move(m));
    parsed_from.push_back(i);
  }
  absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> results =
      desk.IngestBatch(parsed);
  if (!results.ok()) return results.status();
  size_t next = 0;  // the next parsed message
  for (size_t i = 0; i < mail.size(); ++i) {
    const bool was_parsed = next < parsed_from.size() && parsed_from[next] == i;
    if (!was_parsed) {
      if (mail[i].raw.ok()) {
        std::cout << Visible(mail[i].name) << ": refused: " << Visible(statuses[i].message())
                  << "\n";
      }
      continue;
    }
    const v1::InboundMessage& m = parsed[next];
    const absl::StatusOr<IngestResult>& r = (*results)[next];
    ++next;
    if (!r.ok()) {
      std::cout << Visible(mail[i].name) << ": refused: " << Visible(r.status().message())
                << "\n";
      statuses[i] = r.status();
      continue;
    }
    std::cout << Visible(mail[i].name) << ": " << OutcomeName(*r);
    if (r->ticket_id != 0) std::cout << " #" << r->ticket_id;
    for (const std::string& w : m.warnings()) std::cout << "\n    warning: " << Visible(w);
    std::cout << "\n";
  }
  return statuses;
}

absl::Status CmdIngest(Desk& desk, const Args& a, Clock& clock) {
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  int failed = 0;
  int total = 0;
  // Ingests one batch in one transaction, as a poll does, and counts it.
  auto ingest = [&](const std::vector<MailToIngest>& mail)
      -> absl::StatusOr<std::vector<absl::Status>> {
    absl::StatusOr<std::vector<absl::Status>> statuses =
        IngestMail(desk, *email, mail, clock.Now());
    if (!statuses.ok()) return statuses;
    for (const absl::Status& s : *statuses) {
      ++total;
      if (!s.ok()) ++failed;
    }
    return statuses;
  };
  if (std::optional<std::string> dir = a.Get("maildir")) {
    absl::StatusOr<std::vector<MaildirMessage>> list = ReadMaildir(*dir);
    if (!list.ok()) return list.status();
    std::vector<const MaildirMessage*> unseen;
    for (const MaildirMessage& m : *list) {
      if (!m.seen) unseen.push_back(&m);
    }
    // As a poll does: a batch of messages per transaction.
    for (size_t start = 0; start < unseen.size(); start += kIngestBatch) {
      const size_t end = std::min(unseen.size(), start + kIngestBatch);
      std::vector<MailToIngest> mail;
      for (size_t k = start; k < end; ++k) {
        mail.push_back({unseen[k]->id, LoadMaildirMessage(*unseen[k])});
      }
      absl::StatusOr<std::vector<absl::Status>> statuses = ingest(mail);
      if (!statuses.ok()) return statuses.status();
      for (size_t k = start; k < end; ++k) {
        const absl::Status& s = (*statuses)[k - start];
        // A message the desk accepted, or one that can never be accepted (bad
        // input, blocked sender), is done; others stay for the next run.
        if (s.ok() || absl::IsInvalidArgument(s) || absl::IsPermissionDenied(s) ||
            absl::IsResourceExhausted(s)) {
          absl::Status marked = MarkMaildirMessageProcessed(*dir, *unseen[k]);
          if (!marked.ok()) return marked;
        }
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
          std::cout << Visible(files[k]) << ": cannot read\n";
          mail.push_back({files[k], absl::NotFoundError("cannot read")});
          continue;
        }
        std::stringstream raw;
        raw << in.rdbuf();
        mail.push_back({files[k], raw.str()});
      }
      absl::Status batch = ingest(mail).status();
      if (!batch.ok()) return batch;
    }
  }
  std::cout << total - failed << " of " << total << " messages ingested\n";
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
        desk.DispatchOutbox({{v1::CHANNEL_EMAIL, email.get()}}, clock.Now());
    if (!r.ok()) return r.status();
    std::cout << r->delivered << " delivered, " << r->retried << " to retry, " << r->dead
              << " dead\n";
    return absl::OkStatus();
  }
  if (a.positional.size() >= 3 && a.positional[1] == "replay") {
    absl::StatusOr<int64_t> id = ParseWholeNumber("ENTRY", a.positional[2], 1,
                                                  std::numeric_limits<int64_t>::max());
    if (!id.ok()) return id.status();
    absl::StatusOr<v1::OutboxEntry> e = desk.ReplayOutbox(SystemActor(), *id);
    if (!e.ok()) return e.status();
    std::cout << "outbox entry " << *id << " is pending again\n";
    return absl::OkStatus();
  }
  std::optional<v1::OutboxEntry::State> state;
  if (a.Has("dead")) state = v1::OutboxEntry::DEAD;
  absl::StatusOr<std::vector<v1::OutboxEntry>> entries =
      desk.ListOutbox(SystemActor(), state, 0, 1000);
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
                    "       [--desk-email ADDR] [--ack]\n"
                    "ingest FILE... [--desk-email ADDR] [--ack]",
           .flags = "  --eml FILE          an RFC 5322 message file; repeat, or name files\n"
                    "                      as arguments\n"
                    "  --maildir DIR       the unseen messages of a Maildir (marked seen\n"
                    "                      once done)\n"
                    "  --mbox FILE         every message of an mbox file\n"
                    "  --desk-email ADDR   the desk's own address (default $HELPDESK_EMAIL)\n"
                    "  --ack               acknowledge new tickets by e-mail (through the\n"
                    "                      outbox)\n"
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
