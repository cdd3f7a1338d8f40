// Differential fuzzer of the e-mail adapter's fast path
// (src/channels/email_fast_parse.cc): whenever the fast path takes an input,
// its InboundMessage must equal, byte for byte once serialised, the one
// GMime's parse gives. A difference aborts with both messages printed. Its
// seeds are common mail the fast path takes (corpus/email_fast_parse) and the
// shared corpus, so mutations land on both sides of what it accepts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "channels/email_parse_modes.h"
#include "helpdesk/channels/email.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using helpdesk::email_internal::FastPath;
  using helpdesk::email_internal::ParseEmail;
  const absl::string_view raw(reinterpret_cast<const char*>(data), size);
  const absl::Time at = absl::FromUnixSeconds(1767225600);
  const helpdesk::EmailInboundOptions options;
  absl::StatusOr<helpdesk::v1::InboundMessage> fast =
      ParseEmail(raw, at, options, FastPath::kOnly);
  if (absl::IsUnimplemented(fast.status())) return 0;  // declined: GMime's
  absl::StatusOr<helpdesk::v1::InboundMessage> gmime =
      ParseEmail(raw, at, options, FastPath::kOff);
  if (fast.ok() != gmime.ok() ||
      (fast.ok() && fast->SerializeAsString() != gmime->SerializeAsString())) {
    std::fprintf(stderr, "fast path differs from GMime\n--- fast ---\n%s\n--- GMime ---\n%s\n",
                 fast.ok() ? fast->DebugString().c_str() : fast.status().ToString().c_str(),
                 gmime.ok() ? gmime->DebugString().c_str() : gmime.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
