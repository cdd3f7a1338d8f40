// Channels: the ports through which messages enter and leave a desk.
//
// An InboundAdapter turns raw input (RFC 5322 bytes, a web form's JSON, a chat
// frame) into a v1::InboundMessage that Inbox::Ingest threads into a ticket.
// An OutboundAdapter delivers a v1::OutboundMessage and says whether a failure
// is worth retrying. Built-in adapters live in helpdesk/channels/; a host adds
// its own by implementing these classes (see examples/custom_channel.cc and
// docs/channels.md).
//
//   std::unique_ptr<helpdesk::InboundAdapter> email = helpdesk::NewEmailInbound();
//   absl::StatusOr<v1::InboundMessage> message = email->Parse(raw_bytes, now);
//   absl::StatusOr<helpdesk::IngestResult> r = desk->inbox().Ingest(*message);
#ifndef HELPDESK_CHANNEL_H_
#define HELPDESK_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk {

// Parses one unit of raw input of a channel. Implementations must not throw.
//
// Thread safety: implementations must be safe to call from several threads at
// once (the built-ins keep no mutable state).
class HELPDESK_EXPORT InboundAdapter {
 public:
  virtual ~InboundAdapter() = default;
  // A stable identifier, e.g. "helpdesk.email"; "helpdesk." is reserved.
  virtual absl::string_view Name() const = 0;
  // Turns `raw` into a message received at `received_at`. Damaged input is
  // degraded rather than refused where a person could still read it (the
  // problems are listed in InboundMessage.warnings). Errors: InvalidArgument
  // when nothing usable can be recovered (the message says why); ResourceExhausted
  // when `raw` exceeds the adapter's size limit.
  virtual absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                                   absl::Time received_at) const = 0;
};

// What a delivery attempt came to.
struct DeliveryReceipt {
  // The provider's id for the delivered message (e.g. the SMTP server's
  // queue id, or the Message-ID), for the audit trail.
  std::string provider_id;
};

// Delivers messages of one channel. Implementations must not throw.
//
// Thread safety: implementations must be safe to call from several threads at
// once, or say otherwise in their factory's comment.
class HELPDESK_EXPORT OutboundAdapter {
 public:
  virtual ~OutboundAdapter() = default;
  virtual absl::string_view Name() const = 0;
  // Delivers `message`. Delivering the same idempotency_key twice must not
  // deliver twice where the channel allows it (e-mail: same Message-ID).
  // Errors: Unavailable (or DeadlineExceeded) for a failure worth retrying
  // later (connection refused, 4xx SMTP reply); any other code is permanent
  // (InvalidArgument for a message the channel cannot carry, FailedPrecondition
  // for a recipient the server refuses with 5xx).
  virtual absl::StatusOr<DeliveryReceipt> Deliver(
      const v1::OutboundMessage& message) = 0;
};

// True when a delivery failure should be retried.
inline bool IsRetryableDeliveryError(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status);
}

}  // namespace helpdesk

#endif  // HELPDESK_CHANNEL_H_
