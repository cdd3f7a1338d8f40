// Internal: the state check every store makes on outbox and quarantine
// entries (their State enums share the shape: STATE_UNSPECIFIED = 0).
#ifndef HELPDESK_SRC_STORAGE_ENTRY_STATE_H_
#define HELPDESK_SRC_STORAGE_ENTRY_STATE_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace helpdesk::internal {

// InvalidArgument naming `what` unless `entry`'s state is a value of its enum
// other than STATE_UNSPECIFIED.
template <typename Entry>
absl::Status CheckEntryState(const Entry& entry, absl::string_view what) {
  if (Entry::State_IsValid(entry.state()) && static_cast<int>(entry.state()) != 0) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, " state ", static_cast<int>(entry.state()), " is not a state"));
}

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_ENTRY_STATE_H_
