// SLA clocks through the desk (DeskOptions::sla): a ticket's clocks now, and recomputing deadlines after the configuration changed. Desk::Tick raises warnings and breaches.
//
// Returned by Desk::sla(); desk.h says who may do what and the error codes
// every call shares. Thread safety: as the Desk (thread-safe when the store is);
// owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_SLA_H_
#define HELPDESK_DESK_SLA_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/desk_options.h"
#include "helpdesk/export.h"
#include "helpdesk/sla.h"

namespace helpdesk {

class DeskCore;

class HELPDESK_EXPORT SlaClocks {
 public:
  SlaClocks(const SlaClocks&) = delete;
  SlaClocks& operator=(const SlaClocks&) = delete;

  // The ticket's SLA clocks as of the desk's clock. Errors:
  // FailedPrecondition when the desk has no SLAs; PermissionDenied for
  // customers; NotFound.
  absl::StatusOr<SlaStatus> Status(const v1::Actor& viewer, int64_t ticket_id);


  // Recomputes the SLA deadline of every ticket that is not closed, e.g. after
  // the host changed its SLA configuration. Returns how many tickets it
  // visited. Errors: from the store.
  absl::StatusOr<int64_t> RefreshDeadlines();

 private:
  friend class Desk;
  explicit SlaClocks(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_SLA_H_
