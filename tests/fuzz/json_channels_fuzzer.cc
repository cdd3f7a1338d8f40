// Fuzzes the JSON channel adapters (helpdesk/channels/web_form.h) on the same
// bytes: the web form (v1::WebFormSubmission), the chat adapter (v1::ChatFrame)
// and the generic webhook (v1::InboundMessage, signed correctly so the body is
// parsed), and the webhook signature check with the input's first line as the
// signature header. Any status is fine; a crash, leak or hang is not.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/channel.h"
#include "helpdesk/channels/web_form.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* const form = helpdesk::NewWebFormInbound().release();
  static const auto* const chat = helpdesk::NewChatInbound().release();
  static const auto* const hook = new helpdesk::WebhookInbound("s3cret");
  const absl::Time now = absl::FromUnixSeconds(1767225600);
  absl::string_view body(reinterpret_cast<const char*>(data), size);

  (void)form->Parse(body, now);
  (void)chat->Parse(body, now);
  (void)hook->ParseSigned(body, helpdesk::WebhookSignature("s3cret", body), now);

  size_t newline = body.find('\n');
  if (newline != absl::string_view::npos) {
    absl::string_view signature = body.substr(0, newline);
    absl::string_view rest = body.substr(newline + 1);
    (void)helpdesk::VerifyWebhookSignature("s3cret", rest, signature);
    (void)hook->ParseSigned(rest, signature, now);
  }
  return 0;
}
