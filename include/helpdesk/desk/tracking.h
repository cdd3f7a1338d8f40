// Tracking links: a secret link that lets a customer follow one ticket (its
// public thread and status) without signing in.
//
//   auto link = desk->tracking().Issue(helpdesk::ContactActor(ada_id), ticket_id);
//   // mail https://help.example.com/track/<link->token> to the customer
//   auto view = desk->tracking().Track(token_from_the_url);  // no actor
//
// A link is an unguessable token: 256 bits from the operating system's
// CSPRNG (getrandom(2)), written as 43 URL-safe base64 characters
// ([A-Za-z0-9_-], no padding; never starting with '-', so no command line
// takes it for an option). The token is returned once, by Issue or
// Rotate; the store keeps only its SHA-256 (Transaction::PutTrackingToken),
// so a copy of the database opens no ticket. Track hashes the token it is
// given, finds the record by that hash (an index lookup) and compares the
// stored hash with it in constant time; whoever holds the token is the
// access component's "tracking link" viewer (helpdesk/access.h), which may
// view that one ticket's public thread and status and nothing else.
//
// A ticket has at most one link. Rotate replaces the token (the old one stops
// working in the same transaction); Revoke removes it. Issue, Rotate and a
// Revoke that removed a link each write an event on the ticket's audit log
// (TRACKING_LINK_ISSUED, _ROTATED, _REVOKED; the actor is who did it), in the
// same transaction; the event holds neither the token nor its hash. A token that is
// unknown, revoked, rotated away, older than DeskOptions::tracking_link_lifetime,
// malformed (empty, too long, not URL-safe base64, truncated) or whose ticket
// is gone is refused with the same NotFound and the same message ("tracking
// link not found"), through the same steps (one hash, one store lookup, one
// constant-time compare), so answers and timing do not tell them apart.
//
// Returned by Desk::tracking(); desk.h says who may do what and the error
// codes every call shares. Thread safety: as the Desk (thread-safe when the
// store is); owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_TRACKING_H_
#define HELPDESK_DESK_TRACKING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

class DeskCore;

// The length of a tracking token: 32 random bytes in URL-safe base64.
inline constexpr size_t kTrackingTokenLength = 43;

// A link just issued or rotated. `token` is the secret: show or send it to
// the customer; the desk cannot tell it again.
struct TrackingLink {
  int64_t ticket_id = 0;
  std::string token;
  absl::Time created_at = absl::UnixEpoch();
};

// One message of the public thread as a tracking link shows it.
struct TrackedMessage {
  int64_t id = 0;
  // CUSTOMER_MESSAGE or PUBLIC_REPLY (internal notes are never shown).
  v1::Message::Kind kind = v1::Message::KIND_UNSPECIFIED;
  std::string body_text;
  std::string body_html;
  // The attachments' descriptions (name, media type, size, SHA-256); their
  // contents are not part of the view.
  std::vector<v1::Attachment> attachments;
  absl::Time created_at = absl::UnixEpoch();
};

// What a tracking link shows of its ticket: subject, status and the public
// thread, nothing about requester, assignee, group, tags or fields.
struct TrackedTicket {
  int64_t ticket_id = 0;
  std::string subject;
  std::string status;
  v1::StatusCategory status_category = v1::STATUS_CATEGORY_UNSPECIFIED;
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();
  std::vector<TrackedMessage> messages;
};

class HELPDESK_EXPORT TrackingLinks {
 public:
  TrackingLinks(const TrackingLinks&) = delete;
  TrackingLinks& operator=(const TrackingLinks&) = delete;

  // Gives ticket `ticket_id` a tracking link and returns its token. Who:
  // staff who may change the ticket (system, integration, admins, agents who
  // see it) and its requester (Action::kManageTrackingLink). Errors:
  // AlreadyExists when the ticket has a link (Rotate it for a new token, or
  // Revoke it); FailedPrecondition for a merged ticket (the message names
  // the ticket it was merged into); NotFound for a missing ticket or one the
  // actor may not see; PermissionDenied for other customers, light agents
  // and blocked contacts; Internal when the CSPRNG fails.
  absl::StatusOr<TrackingLink> Issue(const v1::Actor& actor, int64_t ticket_id);

  // Replaces the ticket's token with a new one; the old token stops working
  // when this returns. Who and errors as Issue, but FailedPrecondition
  // when the ticket has no link (Issue one).
  absl::StatusOr<TrackingLink> Rotate(const v1::Actor& actor, int64_t ticket_id);

  // Removes the ticket's link; the token stops working when this returns.
  // Returns whether there was one. Who and errors as Issue (a merged ticket's
  // link may be revoked).
  absl::StatusOr<bool> Revoke(const v1::Actor& actor, int64_t ticket_id);

  // When the ticket's link was issued or last rotated, or nullopt when it
  // has none. Who and errors as Issue.
  absl::StatusOr<std::optional<absl::Time>> IssuedAt(const v1::Actor& actor,
                                                     int64_t ticket_id);

  // The ticket `token` opens, as the customer may see it: subject, status
  // and the public thread (customer messages and public replies, with their
  // attachments' descriptions; never internal notes). A ticket merged into
  // another shows the ticket it was merged into (where its messages went).
  // Errors: NotFound "tracking link not found" for any token that opens
  // nothing (see the top of this file); Unavailable etc. from the store.
  absl::StatusOr<TrackedTicket> Track(absl::string_view token);

 private:
  friend class Desk;
  explicit TrackingLinks(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_TRACKING_H_
