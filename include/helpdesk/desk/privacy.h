// Privacy: personal data of contacts (issue 16): export everything held
// about one contact as one portable archive, import such an archive, erase a
// contact, and retention (purging old closed tickets and orphaned
// attachments). docs/privacy.md says what each keeps and removes.
//
//   auto archive = desk->privacy().ExportContact(helpdesk::SystemActor(), 7);
//   // write *archive to "contact-7.tar"; `tar -xf contact-7.tar` gives
//   // contact.json and attachments/<sha256> files.
//   HELPDESK_RETURN_IF_ERROR(desk->privacy().EraseContact(admin, 7).status());
//   auto run = desk->privacy().RunRetention(helpdesk::SystemActor(), {.closed_ticket_days = 365});
//
// Thread safety: as the Desk (each call is its own transaction(s)).
#ifndef HELPDESK_DESK_PRIVACY_H_
#define HELPDESK_DESK_PRIVACY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/privacy.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

class DeskCore;

// The text that replaces erased content (names, subjects, message bodies).
inline constexpr absl::string_view kErasedText = "[erased]";

// What EraseContact changed.
struct EraseResult {
  v1::Contact contact;  // as stored after the erase
  std::vector<int64_t> ticket_ids;  // the tickets it requested, anonymised
  int messages_redacted = 0;
  int attachments_deleted = 0;
};

// A retention rule: purge closed tickets (status category CLOSED) last
// updated more than `closed_ticket_days` days ago, with everything kept for
// them, then every attachment content no message references.
struct RetentionPolicy {
  int closed_ticket_days = 0;  // 1 to 36,500
};

// What RunRetention purged (also kept as an audit record, see
// GetRetentionRun).
struct RetentionResult {
  // The key of the audit record (RFC 3339 time of the run, with a suffix
  // when two runs share a microsecond).
  std::string record_key;
  v1::RetentionRun run;
};

// Import's answer: the contact as stored (a new id) and its tickets' ids.
struct ImportResult {
  v1::Contact contact;
  std::vector<int64_t> ticket_ids;
};

class HELPDESK_EXPORT Privacy {
 public:
  Privacy(const Privacy&) = delete;
  Privacy& operator=(const Privacy&) = delete;

  // Everything held about contact `contact_id` as one ustar (tar) archive:
  // "contact.json" (a v1::PersonalDataExport in protobuf's JSON mapping:
  // the profile, its organization, the tickets it requested with every
  // message (internal notes too) and event) and "attachments/<sha256>"
  // files, the contents of those messages' attachments. Who: system,
  // integrations and admins (Action::kExportPersonalData). Errors:
  // InvalidArgument for contact_id <= 0; NotFound for an unknown contact;
  // PermissionDenied; DataLoss when an attachment's content is missing.
  absl::StatusOr<std::string> ExportContact(const v1::Actor& actor, int64_t contact_id);

  // Stores what an ExportContact archive holds, in one transaction: the
  // contact (a new id; its identities must be free), and its tickets with
  // their ids, messages (new ids), events and attachment contents; the
  // tickets' requester becomes the new contact and CCs of other contacts
  // are dropped (the archive holds no one else). Meant for an empty store.
  // Who: system and admins (Action::kManageRetention). Errors:
  // InvalidArgument naming the member for an archive that is not a ustar
  // archive, has no contact.json, holds JSON that is not a
  // PersonalDataExport of format 1, or an attachment whose bytes do not
  // match its SHA-256 or are missing; AlreadyExists when a ticket id or an
  // identity is taken; PermissionDenied.
  absl::StatusOr<ImportResult> ImportContact(const v1::Actor& actor, absl::string_view archive);

  // Erases contact `contact_id`: its name becomes kErasedText, its
  // identities, external id and time zone are removed (no e-mail or identity
  // lookup finds it any more) and it is blocked; on the tickets it
  // requested, the subject and every message (bodies, attachments, external
  // ids) become kErasedText, subject texts in their events are erased and a
  // PERSONAL_DATA_ERASED event is appended; its messages on other tickets
  // are erased too. Ticket rows, statuses, fields used for grouping and every
  // event's time stay, so reports are unchanged. One transaction. Who:
  // system and admins (Action::kErasePersonalData). Errors: InvalidArgument
  // for contact_id <= 0; NotFound for an unknown contact; FailedPrecondition
  // naming the reason when the contact is an agent (an identity is an
  // agent's e-mail), the contact is under legal hold, or one of its tickets
  // is under legal hold (a hold keeps the content); PermissionDenied.
  absl::StatusOr<EraseResult> EraseContact(const v1::Actor& actor, int64_t contact_id);

  // Runs `policy` now (the desk's clock): purges every closed ticket last
  // updated before now - closed_ticket_days that is not under legal hold
  // and whose requester is not, with its messages, events and side rows;
  // then every attachment content no message references. Records what it
  // purged as an audit record (GetRetentionRun). Tickets are purged in
  // batches, each its own transaction. Who: system and admins
  // (Action::kManageRetention). Errors: InvalidArgument for days outside
  // [1, 36500]; PermissionDenied; from the store.
  absl::StatusOr<RetentionResult> RunRetention(const v1::Actor& actor,
                                               const RetentionPolicy& policy);

  // Sets or lifts the legal hold of ticket `ticket_id` (v1::Ticket::
  // legal_hold) / contact `contact_id` (v1::Contact::legal_hold): a held
  // ticket is never purged and its requester cannot be erased; a held
  // contact cannot be erased and its tickets are never purged. Changes the
  // row's version, not its updated_at. Who: system and admins
  // (Action::kManageRetention). Errors: NotFound; PermissionDenied.
  absl::StatusOr<v1::Ticket> SetTicketLegalHold(const v1::Actor& actor, int64_t ticket_id,
                                                bool hold);
  absl::StatusOr<v1::Contact> SetContactLegalHold(const v1::Actor& actor, int64_t contact_id,
                                                  bool hold);

  // The audit record of the retention run `record_key`. Who: as
  // RunRetention. Errors: NotFound; DataLoss for a corrupt record.
  absl::StatusOr<v1::RetentionRun> GetRetentionRun(const v1::Actor& actor,
                                                   absl::string_view record_key);

 private:
  friend class Desk;
  explicit Privacy(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_PRIVACY_H_
