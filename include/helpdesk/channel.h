// Channels: the ports through which messages enter and leave a desk.
//
// An InboundAdapter turns raw input (RFC 5322 bytes, a web form's JSON, a chat
// frame) into a v1::InboundMessage that Inbox::Ingest threads into a ticket.
// An OutboundAdapter delivers a v1::OutboundMessage and says whether a failure
// is worth retrying. Built-in adapters live in helpdesk/channels/; a host adds
// its own by implementing these classes (see examples/custom_channel.cc and
// docs/channels.md) and checks it with the channel conformance suites
// (helpdesk/testing/channel_conformance.h, docs/conformance.md).
//
//   std::unique_ptr<helpdesk::InboundAdapter> email = helpdesk::NewEmailInbound();
//   absl::StatusOr<v1::InboundMessage> message = email->Parse(raw_bytes, now);
//   absl::StatusOr<helpdesk::IngestResult> r = desk->inbox().Ingest(*message);
#ifndef HELPDESK_CHANNEL_H_
#define HELPDESK_CHANNEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk {

// Parses one unit of raw input of a channel. Implementations must not throw.
//
// The contract, checked by the inbound suite of
// helpdesk/testing/channel_conformance.h (run it on your adapter):
//   - Parse is a function of its arguments: the same `raw` gives the same
//     idempotency key, external_id and threading keys on every call and on
//     every instance of the adapter; the idempotency key does not depend on
//     `received_at` either (threading keys may: a session per day), so a
//     message fetched twice (a replayed mailbox, a resent webhook) is
//     recognised by Inbox::Ingest. Different messages give different keys.
//   - Every message it returns can be deduplicated: idempotency_key is set,
//     or external_id is (Ingest derives "<CHANNEL>:<external_id>").
//   - Every string field of the result is valid UTF-8 (bytes fields, such as
//     attachment contents, may hold anything).
//   - It never crashes on any bytes, and answers only the codes below.
//
// Thread safety: implementations must be safe to call from several threads at
// once (the built-ins keep no mutable state).
class HELPDESK_EXPORT InboundAdapter {
 public:
  virtual ~InboundAdapter() = default;
  // A stable identifier, the same on every call and instance, e.g.
  // "helpdesk.email"; "helpdesk." is reserved for libhelpdesk's adapters, a
  // host uses its own ("com.example.sms").
  virtual absl::string_view Name() const = 0;
  // Turns `raw` into a message received at `received_at`. Damaged input is
  // degraded rather than refused where a person could still read it (the
  // problems are listed in InboundMessage.warnings). Errors: InvalidArgument
  // when nothing usable can be recovered (the message says why);
  // ResourceExhausted when `raw` exceeds the adapter's size limit (input up
  // to the limit is never refused for its size). An adapter that documents
  // another code (a signature check's PermissionDenied) says so.
  virtual absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                                   absl::Time received_at) const = 0;
};

// Options of ParseBatch.
struct ParseBatchOptions {
  // Threads that parse at once, the calling thread among them: 0 = the
  // machine's hardware concurrency (at least 1); 1 = every message on the
  // calling thread, one after another (what a loop over Parse does).
  // Never more threads than messages.
  int threads = 0;
};

// Parses a polled batch: result i is adapter.Parse(raws[i], received_at),
// whatever the number of threads, in the order of `raws` (Parse is a
// function of its arguments), so Inbox::IngestBatch of the parsed messages,
// which writes on one thread in one transaction in that order, stores the
// same tickets, events and outbox entries as after a sequential parse. Each
// result carries its own error (as Parse's); the call itself does not fail.
// Ownership: `adapter` and `raws` are only read, during the call.
//
// Thread safety: calls adapter.Parse from several threads at once, as the
// InboundAdapter contract allows; safe to call from several threads.
HELPDESK_EXPORT std::vector<absl::StatusOr<v1::InboundMessage>> ParseBatch(
    const InboundAdapter& adapter, absl::Span<const std::string> raws, absl::Time received_at,
    const ParseBatchOptions& options = {});

// Forwards every call to another inbound adapter; derive from it to change
// one call (to record inputs, or to refuse some in a test). `base` must
// outlive the wrapper.
//
// Thread safety: as the wrapped adapter.
class InboundAdapterWrapper : public InboundAdapter {
 public:
  explicit InboundAdapterWrapper(const InboundAdapter* base) : base_(base) {}
  absl::string_view Name() const override { return base_->Name(); }
  absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                           absl::Time received_at) const override {
    return base_->Parse(raw, received_at);
  }
  const InboundAdapter* base() const { return base_; }

 private:
  const InboundAdapter* base_;
};

// What a delivery attempt came to.
struct DeliveryReceipt {
  // The provider's id for the delivered message (e.g. the SMTP server's
  // queue id, or the Message-ID), for the audit trail.
  std::string provider_id;
};

// Delivers messages of one channel. Implementations must not throw.
//
// Outbox::Dispatch calls Deliver at least once per message and retries, with
// exponential back-off, the failures IsRetryableDeliveryError accepts; any
// other failure is final (the outbox entry becomes DEAD, not retried). The contract,
// checked by the outbound suite of helpdesk/testing/channel_conformance.h:
//   - A failure delivers nothing; a retryable failure is answered with
//     Unavailable, DeadlineExceeded or ResourceExhausted, a permanent one
//     with any other code, and the status message says why.
//   - Delivering one idempotency_key again (a retry, a redelivery after a
//     crash, from another instance) carries the same identity, so the far
//     side can tell it is the same message (e-mail: the same Message-ID).
//   - It never crashes on any message.
//
// Thread safety: implementations must be safe to call from several threads at
// once, or say otherwise in their factory's comment.
class HELPDESK_EXPORT OutboundAdapter {
 public:
  virtual ~OutboundAdapter() = default;
  // A stable identifier, as InboundAdapter::Name ("helpdesk." is reserved).
  virtual absl::string_view Name() const = 0;
  // Delivers `message`. Delivering the same idempotency_key twice must not
  // deliver twice where the channel allows it, and where it does not the
  // copies carry one identity (e-mail: same Message-ID). Errors, retryable
  // (IsRetryableDeliveryError): Unavailable for a failure worth retrying
  // later (connection refused, 4xx SMTP reply), DeadlineExceeded for a
  // timeout, ResourceExhausted for a rate limit or a full mailbox that may
  // drain; any other code is permanent (InvalidArgument for a message the
  // channel cannot carry, FailedPrecondition for a recipient the server
  // refuses with 5xx, NotFound for a chat session that ended).
  virtual absl::StatusOr<DeliveryReceipt> Deliver(
      const v1::OutboundMessage& message) = 0;
};

// Forwards every call to another outbound adapter; derive from it to change
// one call (to fail a delivery in a test, to count deliveries). `base` must
// outlive the wrapper.
//
// Thread safety: as the wrapped adapter.
class OutboundAdapterWrapper : public OutboundAdapter {
 public:
  explicit OutboundAdapterWrapper(OutboundAdapter* base) : base_(base) {}
  absl::string_view Name() const override { return base_->Name(); }
  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& message) override {
    return base_->Deliver(message);
  }
  OutboundAdapter* base() const { return base_; }

 private:
  OutboundAdapter* base_;
};

// True when `text` is valid UTF-8 (overlong forms, surrogates and code points
// past U+10FFFF are not), as every string field of an InboundMessage must be:
// for adapters that pass text through from their input. Thread-safe.
HELPDESK_EXPORT bool IsValidUtf8(absl::string_view text);

// True when a delivery failure should be retried: Unavailable,
// DeadlineExceeded or ResourceExhausted.
inline bool IsRetryableDeliveryError(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status);
}

}  // namespace helpdesk

#endif  // HELPDESK_CHANNEL_H_
