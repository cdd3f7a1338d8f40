// Fuzzes the small parsers of identifiers in untrusted text: the ticket token
// in e-mail subjects (FindTicketToken, with the default and other prefixes, or
// with the input's own prefix before a \x01 byte) and the normalisation of
// e-mail addresses, phone numbers and tags (src/internal/text_checks.h). Besides not
// crashing: a token is a number of 1 to 18 digits, and a normalised value
// normalises to itself (the desk stores it and looks it up again).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "internal/text_checks.h"
#include "helpdesk/channels/email.h"

namespace {

void CheckToken(int64_t token) {
  if (token < 0 || token > 999999999999999999) std::abort();
}

// `normalize(value)` is a fixed point when it succeeds.
template <typename Normalize>
void CheckIdempotent(absl::string_view value, Normalize normalize) {
  absl::StatusOr<std::string> once = normalize(value);
  if (!once.ok()) return;
  absl::StatusOr<std::string> twice = normalize(*once);
  if (!twice.ok() || *twice != *once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);

  size_t split = text.find('\x01');
  if (split != absl::string_view::npos) {
    absl::string_view prefix = text.substr(0, split);
    absl::string_view subject = text.substr(split + 1);
    CheckToken(helpdesk::FindTicketToken(subject, prefix, true));
    CheckToken(helpdesk::FindTicketToken(subject, prefix, false));
  } else {
    for (absl::string_view prefix : {"#", "", "TKT-", "Ticket "}) {
      CheckToken(helpdesk::FindTicketToken(text, prefix, true));
      CheckToken(helpdesk::FindTicketToken(text, prefix, false));
    }
  }

  using helpdesk::internal::NormalizeEmail;
  using helpdesk::internal::NormalizePhone;
  using helpdesk::internal::NormalizeTag;
  CheckIdempotent(text, [](absl::string_view v) { return NormalizeEmail("email", v); });
  CheckIdempotent(text, [](absl::string_view v) { return NormalizePhone("phone", v); });
  CheckIdempotent(text, [](absl::string_view v) { return NormalizeTag("tag", v, 100); });
  return 0;
}
