// What personal data of one contact lives outside the tickets it requested
// (issue 16, part 5): its messages on tickets of others where it is copied
// (CC), and the outbox's copies of mail and chat replies sent to it or about
// its tickets. Used by Privacy's export, erase and retention
// (desk_privacy.cc); internal to the Desk.
#ifndef HELPDESK_SRC_DESK_PRIVACY_COPIES_H_
#define HELPDESK_SRC_DESK_PRIVACY_COPIES_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/store.h"
#include "helpdesk/v1/channel.pb.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/privacy.pb.h"

namespace helpdesk::internal {

// Whom an outbox copy concerns: entries about `ticket_ids`, or addressed
// (to or cc) to one of `identities` (e-mail addresses lower-cased, phone
// numbers and chat handles as the contact stores them).
struct OutboxSubject {
  std::set<int64_t> ticket_ids;
  std::set<std::string> identities;
  // Redaction: entries about ticket_ids lose every recipient's name and
  // address, not only those among identities (retention: the ticket is
  // gone, with whoever it concerned).
  bool all_recipients_of_tickets = false;

  // The identities of `contact`.
  void AddIdentities(const v1::Contact& contact);
};

// True when `entry` is about one of who.ticket_ids or addressed to one of
// who.identities.
bool OutboxEntryConcerns(const v1::OutboxEntry& entry, const OutboxSubject& who);

// Every outbox entry (any state) that concerns `who`, by id. Reads the whole
// outbox in pages of 1,000 (the store keeps no index by recipient; erase and
// export are rare).
absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutboxCopies(Transaction& tx,
                                                              const OutboxSubject& who);

// Redacts every outbox entry that concerns `who`: subject and text become
// `erased_text`, HTML, attachments and signature go; recipients among
// who.identities (all of them on entries about who.ticket_ids, with
// all_recipients_of_tickets) lose their name and address (`erased_text`);
// entries about who.ticket_ids lose their destination. A PENDING entry becomes DEAD with
// `reason` as its last error, so nothing is sent after an erase. Entries
// already redacted are left alone. Returns how many entries changed.
absl::StatusOr<int> RedactOutboxCopies(Transaction& tx, const OutboxSubject& who,
                                       absl::string_view erased_text, absl::string_view reason);

// The tickets that copy (CC) contact `contact_id` and that it did not
// request, by id.
absl::StatusOr<std::vector<v1::Ticket>> CopiedTickets(Transaction& tx, int64_t contact_id);

// True when contact `contact_id` wrote `message`.
bool WrittenBy(const v1::Message& message, int64_t contact_id);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_DESK_PRIVACY_COPIES_H_
