// Outbox: the e-mails (and other outbound messages) the desk wrote, delivered at least once through outbound adapters with retries.
//
// Returned by Desk::outbox(); desk.h says who may do what and the error codes
// every call shares. Thread safety: as the Desk (thread-safe when the store is);
// owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_OUTBOX_H_
#define HELPDESK_DESK_OUTBOX_H_

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
#include "helpdesk/channel.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk {

class DeskCore;


// What one Outbox::Dispatch did.
struct DispatchReport {
  int delivered = 0;
  int retried = 0;
  int dead = 0;
  // Failed deliveries whose claim ran out (OutboxOptions::lease) and that
  // another dispatcher claimed before this one finished: left to that one
  // (issue 17).
  int superseded = 0;
};

class HELPDESK_EXPORT Outbox {
 public:
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;


  // Delivers outbox entries due at `now`, at least once each: an entry is
  // claimed (its next attempt moves by OutboxOptions::lease), delivered
  // through the adapter of its channel, then marked DELIVERED; a retryable
  // failure schedules the next attempt with exponential back-off, a permanent
  // one (or the last attempt) makes it DEAD. At most `limit` entries. Entries
  // of a channel without an adapter stay pending. Several dispatchers (threads
  // or processes on one store) may run at once: each claims its own entries,
  // so none is delivered twice while its claim lasts; a dispatcher slower
  // than the lease may see its entry claimed again (at-least-once), and then
  // its failure does not disturb the new claim (DispatchReport::superseded).
  // Errors: from the store.
  absl::StatusOr<DispatchReport> Dispatch(
      const std::map<v1::Channel, OutboundAdapter*>& adapters, absl::Time now,
      int limit = 100);

  // When the earliest PENDING entry is next due for an attempt (it may be in
  // the past); InfiniteFuture when none is pending. Errors: from the store.
  absl::StatusOr<absl::Time> NextDue();


  // Outbox entries for inspection (staff who see every ticket only), by id
  // after `after_id`. Errors: PermissionDenied for customers and for agents
  // restricted to their groups or assignments.
  absl::StatusOr<std::vector<v1::OutboxEntry>> List(
      const v1::Actor& viewer, std::optional<v1::OutboxEntry::State> state,
      int64_t after_id = 0, int limit = 100);

  // Makes a DEAD entry PENDING again, due now, with its attempts reset
  // (admins and the system). Errors: NotFound; FailedPrecondition unless DEAD.
  absl::StatusOr<v1::OutboxEntry> Replay(const v1::Actor& actor,
                                               int64_t entry_id);

 private:
  friend class Desk;
  explicit Outbox(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_OUTBOX_H_
