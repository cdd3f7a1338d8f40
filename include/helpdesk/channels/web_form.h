// Web form, chat and generic webhook channels: JSON in, InboundMessage out.
//
//   auto form = helpdesk::NewWebFormInbound();
//   absl::StatusOr<v1::InboundMessage> m = form->Parse(request_body, now);
//   if (absl::IsInvalidArgument(m.status())) { /* show m.status().message() */ }
//
// The web form reports every bad field at once ("email: 'ada@' is not an
// e-mail address: empty domain; subject: must not be empty"), so a form can
// show them all. The webhook verifies an HMAC-SHA256 signature before it
// reads anything.
#ifndef HELPDESK_CHANNELS_WEB_FORM_H_
#define HELPDESK_CHANNELS_WEB_FORM_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/channel.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/channel.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

struct WebFormOptions {
  // Limits; larger input is refused (ResourceExhausted for the body,
  // InvalidArgument naming the field otherwise).
  size_t max_body_bytes = 30 << 20;
  size_t max_subject_bytes = 1000;
  size_t max_message_bytes = 1 << 20;
  size_t max_attachments = 10;
  size_t max_attachment_bytes = 10 << 20;
};

// JSON of v1::WebFormSubmission -> InboundMessage (channel WEB_FORM). Errors:
// InvalidArgument listing every bad field (malformed JSON or an unknown field
// names the parser's complaint); ResourceExhausted over max_body_bytes.
// Thread-safe.
HELPDESK_EXPORT std::unique_ptr<InboundAdapter> NewWebFormInbound(WebFormOptions options = {});

// JSON of v1::ChatFrame -> InboundMessage (channel CHAT), threaded by
// session: every message of a session joins one ticket. Errors:
// InvalidArgument naming the field. Thread-safe.
HELPDESK_EXPORT std::unique_ptr<InboundAdapter> NewChatInbound();

// Renders a chat ticket's messages as a plain-text transcript, one line per
// message: "[HH:MM] Name: text", times in `zone`.
HELPDESK_EXPORT std::string ChatTranscript(const std::vector<v1::Message>& messages,
                           const std::function<std::string(const v1::Actor&)>& name_of,
                           absl::TimeZone zone = absl::UTCTimeZone());

// Delivers chat replies through a host callback (the host's websocket, say).
// The callback's error is the delivery's (Unavailable retries). Thread safety:
// as the callback's.
HELPDESK_EXPORT std::unique_ptr<OutboundAdapter> NewChatOutbound(
    std::function<absl::Status(const v1::OutboundMessage&)> send);

// --- Webhooks -------------------------------------------------------------

// "sha256=" + lower-case hex HMAC-SHA256 of `body` under `secret`: the value
// of the signature header on both directions.
HELPDESK_EXPORT std::string WebhookSignature(absl::string_view secret, absl::string_view body);

// Checks `signature` (the header's value) against the body in constant time.
// Errors: PermissionDenied for a missing or wrong signature (the message does
// not reveal the expected one); InvalidArgument for a malformed header.
HELPDESK_EXPORT absl::Status VerifyWebhookSignature(absl::string_view secret,
                                    absl::string_view body,
                                    absl::string_view signature);

// A generic inbound webhook: the body is a v1::InboundMessage in JSON, signed
// with the shared secret. Parse() cannot see headers, so use ParseSigned().
class HELPDESK_EXPORT WebhookInbound {
 public:
  explicit WebhookInbound(std::string secret) : secret_(std::move(secret)) {}
  // Verifies the signature, then parses. Errors: PermissionDenied for a bad
  // signature (nothing is parsed); InvalidArgument for malformed JSON or
  // fields, or a message with neither idempotencyKey nor externalId (Ingest
  // could not recognise it when resent); ResourceExhausted over 30 MiB.
  absl::StatusOr<v1::InboundMessage> ParseSigned(absl::string_view body,
                                                 absl::string_view signature,
                                                 absl::Time received_at) const;

 private:
  std::string secret_;
};

// The body and signature header of an outbound webhook call for `message`
// (JSON of v1::OutboundMessage). A host posts them with its HTTP client; the
// receiver checks them with VerifyWebhookSignature.
struct SignedWebhook {
  std::string body;
  std::string signature;
};
HELPDESK_EXPORT absl::StatusOr<SignedWebhook> SignWebhook(absl::string_view secret,
                                          const v1::OutboundMessage& message);

}  // namespace helpdesk

#endif  // HELPDESK_CHANNELS_WEB_FORM_H_
