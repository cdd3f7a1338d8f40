// Internal: the e-mail adapter's parse with its fast path chosen, for the
// differential tests and fuzzer that hold the fast path to GMime's output.
// Parse() of NewEmailInbound() is ParseEmail(..., FastPath::kOn).
#ifndef HELPDESK_SRC_CHANNELS_EMAIL_PARSE_MODES_H_
#define HELPDESK_SRC_CHANNELS_EMAIL_PARSE_MODES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk::email_internal {

enum class FastPath {
  kOff,   // GMime parses every message
  kOn,    // the fast path where it is sure, else GMime (what Parse does)
  kOnly,  // the fast path only: Unimplemented when it is not sure
};

// Thread-safe; errors as InboundAdapter::Parse, plus Unimplemented (kOnly).
absl::StatusOr<v1::InboundMessage> ParseEmail(absl::string_view raw, absl::Time received_at,
                                              const EmailInboundOptions& options,
                                              FastPath fast_path);

}  // namespace helpdesk::email_internal

#endif  // HELPDESK_SRC_CHANNELS_EMAIL_PARSE_MODES_H_
