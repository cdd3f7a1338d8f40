// Fuzzes SplitMbox (helpdesk/channels/email.h) on raw mbox bytes. Besides not
// crashing: an input that splits has no more messages than separator lines
// and no message longer than the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "absl/strings/string_view.h"
#include "helpdesk/channels/email.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view mbox(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<helpdesk::MboxMessage>> messages =
      helpdesk::SplitMbox(mbox);
  if (!messages.ok()) return 0;
  if (messages->size() > size / 5 + 1) std::abort();  // each needs "From "
  for (const helpdesk::MboxMessage& m : *messages) {
    if (m.raw.size() > size || m.envelope.size() > size) std::abort();
  }
  return 0;
}
