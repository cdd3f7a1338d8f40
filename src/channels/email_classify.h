// Internal: what kind of sender wrote an e-mail (a person, an auto-responder,
// a mail system reporting a failed delivery, a list) and, for bounces, which
// recipients failed. Pure functions over facts the parser collected; all
// thread-safe.
#ifndef HELPDESK_SRC_CHANNELS_EMAIL_CLASSIFY_H_
#define HELPDESK_SRC_CHANNELS_EMAIL_CLASSIFY_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk::email_internal {

// What the parser saw in a message's top-level header and MIME structure.
struct MessageFacts {
  // Header fields (values unfolded; the ones marked lower-cased are).
  bool has_auto_submitted = false;
  std::string auto_submitted;  // first token, lower-cased
  bool has_autoreply_header = false;  // X-Autoreply, X-Autorespond, ...
  std::string precedence;             // lower-cased, trimmed
  bool has_list_id = false;
  bool null_return_path = false;      // "Return-Path: <>"
  std::string x_apple_action;         // lower-cased
  std::string from_email;             // lower-cased
  std::string from_name;
  std::string subject;                // decoded
  // Structure (outside embedded messages).
  std::string report_type;            // of a multipart/report, lower-cased
  bool has_report = false;
  bool has_delivery_status = false;   // a message/delivery-status part
  bool has_returned_message = false;  // message/rfc822 or text/rfc822-headers
  // Exim's X-Failed-Recipients, lower-cased addresses.
  std::vector<std::string> x_failed_recipients;
  // The text body (outside embedded messages).
  bool has_inline_returned_headers = false;  // see HasInlineReturnedHeaders
  bool has_failure_notice = false;           // see HasDeliveryFailureNotice
};

// BOUNCE, AUTO_REPLY, BULK or HUMAN, by the rules documented at
// NewEmailInbound in helpdesk/channels/email.h.
v1::InboundMessage::AutoKind ClassifyMessage(const MessageFacts& facts);

// True for a subject that starts like an auto-reply ("Automatic reply:",
// "Out of Office:", "AutoReply:", ...).
bool HasAutoReplySubject(absl::string_view subject);

// True for a subject of a delivery failure or delay notice.
bool HasDeliveryFailureSubject(absl::string_view subject);

// True when `text` (LF line ends) holds a copy of a message's header, as a
// bounce quotes the message it returns: a run of header fields with a
// Received, Return-Path or Message-ID field and a From, To, Subject or Date
// field, at least three fields in all. A person's forward ("From: / Sent: /
// To: / Subject:") has no Received, Return-Path or Message-ID.
bool HasInlineReturnedHeaders(absl::string_view text);

// True when the notice part of a bounce (`text` before any returned message)
// says that delivery failed: the delivery-failure subject markers, or the
// wording of common MTAs ("failed permanently", "permanent error", "User
// unknown", "Recipient address rejected", ...).
bool HasDeliveryFailureNotice(absl::string_view text);

// The addresses of an X-Failed-Recipients value, lower-cased, unique.
std::vector<std::string> AddressesOfList(absl::string_view value);

// True for a subject that marks a forward ("Fwd:", "Fw:", "WG:", "TR:", ...),
// after any "Re:" prefixes.
bool HasForwardSubject(absl::string_view subject);

// The recipients of a message/delivery-status body (RFC 3464) with Action:
// failed (or, without Action, a 5.x.x Status): Final-Recipient, else
// Original-Recipient, without the address type, lower-cased, unique.
std::vector<std::string> FailedRecipientsFromDeliveryStatus(absl::string_view text);

// For a bounce without a delivery-status part: the addresses that stand alone
// on a line of the notice ("<user@example.com>:", "  user@example.com") or
// follow "wasn't delivered to" / "could not be delivered to", before the
// returned message starts.
std::vector<std::string> FailedRecipientsFromNotice(absl::string_view text);

}  // namespace helpdesk::email_internal

#endif  // HELPDESK_SRC_CHANNELS_EMAIL_CLASSIFY_H_
