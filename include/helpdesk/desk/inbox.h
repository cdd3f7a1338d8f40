// Inbox: messages from channel adapters into tickets (threading, who may join a thread, shortening what is merely large), and the quarantine of what cannot be taken.
//
// Returned by Desk::inbox(); desk.h says who may do what and the error codes
// every call shares. Thread safety: as the Desk (thread-safe when the store is);
// owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_INBOX_H_
#define HELPDESK_DESK_INBOX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/desk_options.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk {

class DeskCore;


// What Inbox::Ingest did with a message.
struct IngestResult {
  enum class Outcome {
    // A new ticket was opened.
    kCreatedTicket,
    // The message joined an existing ticket.
    kAppended,
    // An automatic reply or bounce was recorded on its ticket (as an internal
    // note) or, with no ticket to join, only remembered; nothing answers it.
    kRecordedAutomatic,
    // The desk could not take the message even after shortening what can be
    // shortened (see Inbox::Ingest): it is held in the quarantine
    // (quarantine_id, quarantine_reason) for staff to retry or discard. The
    // message is safe: a source may acknowledge it.
    kQuarantined,
  };
  Outcome outcome = Outcome::kCreatedTicket;
  int64_t ticket_id = 0;
  int64_t message_id = 0;
  int64_t contact_id = 0;
  // Set when this exact message had been ingested before: nothing was done
  // now and the fields are the first result.
  bool duplicate = false;
  // For a follow-up of a closed ticket: the closed ticket.
  int64_t follow_up_of = 0;
  // For a message that replied to a ticket its sender may not join
  // (IngestOptions::stranger_reply): that ticket.
  int64_t stranger_reply_to = 0;
  // For kQuarantined: the entry and why.
  int64_t quarantine_id = 0;
  std::string quarantine_reason;
  // What was shortened to take the message (a subject or body over its limit,
  // attachments beyond the per-message limit), one line each; empty when it
  // was taken as it came. The same lines are in the stored message's text.
  std::vector<std::string> degraded;
};

class Inbox {
 public:
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;


  // Takes one message from a channel adapter, in one transaction:
  //  1. the same idempotency key again returns the first result (duplicate);
  //  2. the sender is found by e-mail, phone or chat handle, or created; a
  //     blocked sender is refused (PermissionDenied) and only the refusal is
  //     remembered, so a replay is refused the same way;
  //  3. the message is threaded: by message ids (In-Reply-To, then every
  //     References entry, newest first), then by the ticket token if the sender
  //     takes part in that ticket, then by chat session; merged tickets lead to
  //     the ticket they were merged into; a reply to a closed ticket follows
  //     IngestOptions::closed_ticket_reply;
  //  4. a human message creates a ticket or joins one as a customer message
  //     (reopening per workflow); CCs of a new e-mail ticket become its CCs; a
  //     CC replying joins the ticket;
  //  5. an automatic reply or bounce is never answered: it is recorded as an
  //     internal note on its ticket (or nowhere), and a bounce marks the failed
  //     addresses of their contacts as bouncing;
  //  6. with acknowledge_new_tickets, a new ticket from a person gets an
  //     automatic acknowledgement, written to the outbox in the same
  //     transaction.
  // E-mail with no usable sender address at all (real mail has such) is kept,
  // from a shared "Unknown sender" contact whose reserved address
  // (unknown-sender@invalid) is marked bouncing, so it is never written to.
  //
  // Nothing a channel delivered is lost. What is merely large is shortened:
  // a subject over DeskLimits::max_subject_bytes is cut (on a UTF-8
  // boundary, ending in "...") and the whole subject attached as
  // subject.txt; a text or HTML body over max_body_bytes is attached whole
  // (message.txt, message.html) and the text cut with a note saying so;
  // attachments beyond max_attachments_per_message follow in further
  // messages of the same sender on the same ticket. Each such change is
  // listed in IngestResult::degraded. What still cannot be taken (an
  // attachment over max_attachment_bytes, no sender identity on a channel
  // that needs one, a malformed field, no idempotency key) is held in the
  // quarantine with the reason (IngestResult::Outcome::kQuarantined, OK
  // status); the same message again finds the same entry. Senders join
  // existing tickets only as IngestOptions::stranger_reply describes.
  //
  // When IngestOptions::durable_commits is set (the default), the commit
  // that stored or quarantined the message is durable when this returns, so
  // a source may acknowledge the message (move the Maildir file, flag the
  // IMAP message).
  //
  // Errors: PermissionDenied for a blocked sender (only the refusal is
  // remembered); Unavailable, DataLoss, Internal from the store (nothing
  // stored: ingest the message again later).
  absl::StatusOr<IngestResult> Ingest(const v1::InboundMessage& message);


  // Ingests many messages the way a Maildir or IMAP poll delivers them: in
  // order, in one store transaction (one commit for the whole batch, which is
  // what makes it faster than one Ingest per message). Each message is treated
  // exactly as Ingest would treat it alone after the messages before it: a
  // reply threads into a ticket opened earlier in the same batch, and a
  // message whose idempotency key came earlier in the batch is a duplicate of
  // that first one (duplicate = true, the first one's fields).
  //
  // Returns one entry per message, in order: its IngestResult (which may be
  // kQuarantined), or the status Ingest would have returned for it:
  // PermissionDenied for a blocked sender (only the refusal is remembered, as
  // by Ingest). A refused
  // or invalid message does not stop the others: the transaction is split
  // around a message that fails after it began writing, so its partial work
  // is rolled back alone. A store failure (Unavailable, DataLoss, Internal)
  // becomes the result of the messages whose transaction it hit; none of
  // them is stored, and ingesting them again is safe (idempotency keys).
  // Errors of the call itself: InvalidArgument when there are more than
  // DeskLimits::max_batch messages (then nothing is done).
  absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> IngestBatch(
      absl::Span<const v1::InboundMessage> messages);


  // Holds bytes a channel delivered that its adapter could not turn into a
  // message (or that a source could not read whole: then `raw` may be empty
  // and `reason` says why), so they are listed for staff instead of lost.
  // `source` names where they came from (a Maildir file, an IMAP UID). The
  // same channel and bytes again return the first entry. Errors:
  // InvalidArgument for an unspecified channel or an empty reason; from the
  // store.
  absl::StatusOr<v1::QuarantineEntry> QuarantineRaw(v1::Channel channel,
                                                    absl::string_view source,
                                                    absl::string_view raw,
                                                    absl::string_view reason);


  // Quarantine entries (of one state when `state` is set) with id >
  // after_id, by id, at most `limit` (1 to 10,000). Staff who see every
  // ticket only. Errors: PermissionDenied for customers and for agents
  // restricted to their groups or assignments; InvalidArgument for a bad
  // limit.
  absl::StatusOr<std::vector<v1::QuarantineEntry>> ListQuarantine(
      const v1::Actor& viewer, std::optional<v1::QuarantineEntry::State> state,
      int64_t after_id = 0, int limit = 100);

  absl::StatusOr<v1::QuarantineEntry> GetQuarantined(const v1::Actor& viewer,
                                                     int64_t entry_id);


  // Ingests a HELD entry again with the desk's current options (after a
  // limit was raised, a sender unblocked, ...). An entry that holds raw bytes
  // only is parsed with `parse` (the channel's InboundAdapter::Parse). On
  // success the entry becomes RELEASED with the result's ticket, message and
  // contact, and the result is returned; a replay of the original message
  // then returns that result too. On failure the entry stays HELD with the
  // new reason and one more retry, and the failure is returned. Staff (not
  // light agents) who see every ticket only. Errors: NotFound; FailedPrecondition unless HELD, or
  // for raw bytes without `parse`; PermissionDenied; the ingest's failure.
  absl::StatusOr<IngestResult> RetryQuarantined(
      const v1::Actor& actor, int64_t entry_id,
      const std::function<absl::StatusOr<v1::InboundMessage>(absl::string_view raw)>&
          parse = nullptr);


  // Marks a HELD entry DISCARDED, with a note (kept for the record). Staff
  // (not light agents) who see every ticket only. Errors: NotFound; FailedPrecondition unless
  // HELD; PermissionDenied; InvalidArgument for a note over 64 KiB.
  absl::StatusOr<v1::QuarantineEntry> DiscardQuarantined(const v1::Actor& actor,
                                                         int64_t entry_id,
                                                         absl::string_view note = "");

 private:
  friend class Desk;
  explicit Inbox(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_INBOX_H_
