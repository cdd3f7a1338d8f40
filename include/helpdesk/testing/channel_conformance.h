// The channel conformance suites: the contract of helpdesk/channel.h as tests.
//
// Every channel adapter, built-in or a host's own, must pass them. There are
// two value-parameterised GoogleTest suites:
//
//   InboundAdapterConformanceTest, over an InboundAdapterFactory: Parse
//   never throws or crashes on any bytes (a seeded generator makes empty,
//   huge, binary, invalid UTF-8, NUL-ridden, truncated and corrupted inputs
//   from the host's samples) and fails only with the documented codes; the
//   same bytes give the same idempotency key and threading keys every time,
//   on one adapter and on a new one (and the same idempotency key at another
//   time of arrival); different messages give different keys;
//   input over the size limit is ResourceExhausted; damaged but readable
//   input is read with warnings rather than refused; every message has an
//   idempotency key and text that is valid UTF-8; Parse is safe on several
//   threads at once; Name() is stable and outside the reserved "helpdesk."
//   namespace for a host's adapter.
//
//   OutboundAdapterConformanceTest, over an OutboundAdapterHarness: the
//   adapter is driven against a fake far side the host wires up (a fake
//   server, a failure injector in its transport) and the suite checks the
//   classification of failures (retryable: Unavailable, DeadlineExceeded,
//   ResourceExhausted, so that IsRetryableDeliveryError is true; permanent:
//   every other code), that a failure spends nothing (the retry delivers
//   once), that redelivering one idempotency key (again, after a failure, or
//   from a new adapter after a restart) carries the same identity so the far
//   side can tell it is the same message, that messages the channel cannot
//   carry are refused for good, that deliveries from several threads are
//   safe, that odd messages never crash the adapter, and Name().
//
// The tests live in the library helpdesk::channel_conformance (CMake target
// helpdesk_channel_conformance). A host instantiates a suite in one of its
// test files and links that library and GTest::gtest_main:
//
//   #include "helpdesk/testing/channel_conformance.h"
//
//   using helpdesk::testing::InboundAdapterConformanceTest;
//   using helpdesk::testing::InboundAdapterFactory;
//   using helpdesk::testing::InboundAdapterFactoryName;
//
//   INSTANTIATE_TEST_SUITE_P(
//       MyChannels, InboundAdapterConformanceTest,
//       ::testing::Values(InboundAdapterFactory{
//           .name = "sms",  // becomes part of the test names: [A-Za-z0-9_]
//           .make = [] { return myapp::NewSmsInbound(); },
//           .samples = {"from=+34600111222&text=hello&id=g-1",
//                       "from=+34600111333&text=help&id=g-2"},
//           .max_bytes = 64 << 10}),
//       InboundAdapterFactoryName());
//
// and for an outbound adapter, a rig (OutboundTestRig) that owns the adapter
// and its fake far side; FakeFarSide does the bookkeeping. The examples
// examples/custom_channel.cc and tests/channel_conformance_test.cc show both;
// docs/conformance.md explains each check. Tests are named
// <Prefix>/<Suite>.<Test>/<name>.
//
// The suites are deterministic: the hostile inputs come from a fixed seed and
// the host's samples. They take a few seconds per adapter in a debug build.
#ifndef HELPDESK_TESTING_CHANNEL_CONFORMANCE_H_
#define HELPDESK_TESTING_CHANNEL_CONFORMANCE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk::testing {

// ---------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------

// What the inbound suite needs to test one InboundAdapter.
//
// Thread safety: `make` is called from the test's main thread only.
struct InboundAdapterFactory {
  // Appended to every test name; letters, digits and underscores only.
  std::string name;
  // Makes a new adapter. Called once or twice per test (the stability tests
  // compare two instances).
  std::function<absl::StatusOr<std::unique_ptr<InboundAdapter>>()> make;
  // Raw inputs the adapter reads as messages, each a different message (at
  // least two; vary them: replies, attachments, odd but valid forms). The
  // hostile inputs are made from them.
  std::vector<std::string> samples;
  // Damaged but readable inputs (a wrong charset label, a broken MIME
  // boundary, ...): each must parse, with at least one warning. Leave empty
  // when the adapter has no such repairs (a JSON channel refuses bad JSON).
  std::vector<std::string> damaged_samples;
  // The adapter's size limit: raw input longer than this many bytes must be
  // ResourceExhausted, and input up to it must not be. 0: the adapter has no
  // limit (then the suite feeds it at most 1 MiB).
  size_t max_bytes = 0;
  // The codes Parse may return besides OK. channel.h documents these two; an
  // adapter that documents more lists them.
  std::vector<absl::StatusCode> error_codes = {
      absl::StatusCode::kInvalidArgument, absl::StatusCode::kResourceExhausted};
  // True only for libhelpdesk's own adapters, whose names start with the
  // reserved "helpdesk."; a host's adapter must not use that prefix.
  bool builtin = false;
};

inline void PrintTo(const InboundAdapterFactory& factory, std::ostream* os) {
  *os << factory.name;
}

// Names each instantiation after InboundAdapterFactory::name.
struct InboundAdapterFactoryName {
  std::string operator()(
      const ::testing::TestParamInfo<InboundAdapterFactory>& info) const {
    return info.param.name;
  }
};

// Hostile inputs for an inbound adapter, the same for the same arguments:
// the empty input, every single byte, runs of NUL and 0xFF, random binary,
// invalid UTF-8 (lone continuation bytes, overlong forms, surrogates, code
// points past U+10FFFF, truncated sequences) alone and spliced into the
// samples, each sample truncated at many points, with random bytes flipped,
// with NULs inserted, with its line ends changed, deeply nested brackets,
// a long line and a long header-like block, and one input of `huge_bytes`
// made from the samples. Used by the suite; a host may also feed them to a
// fuzzer as seeds. Thread-safe.
std::vector<std::string> HostileInputs(const std::vector<std::string>& samples,
                                       uint64_t seed, size_t huge_bytes);

// The key Inbox::Ingest deduplicates `message` by: its idempotency_key, else
// "<CHANNEL>:<external_id>", else empty (Ingest quarantines such a message).
std::string EffectiveIdempotencyKey(const v1::InboundMessage& message);

// The fixture of the inbound suite: a fresh adapter per test.
//
// Thread safety: the helpers may be called from several threads at once
// (the adapter must allow it); SetUp and NewAdapter only from the main one.
class InboundAdapterConformanceTest
    : public ::testing::TestWithParam<InboundAdapterFactory> {
 protected:
  // Makes the adapter with GetParam().make(); a factory error fails the test.
  void SetUp() override;

  InboundAdapter& adapter() { return *adapter_; }
  // Another adapter from the factory, for comparing instances.
  absl::StatusOr<std::unique_ptr<InboundAdapter>> NewAdapter();

  // Calls adapter.Parse(raw, at); records a failure, and returns Internal,
  // if it throws.
  static absl::StatusOr<v1::InboundMessage> ParseNoThrow(
      const InboundAdapter& adapter, absl::string_view raw, absl::Time at);

  // Records a failure for every broken promise of a parsed message: no
  // idempotency key, a string field that is not valid UTF-8. `what` names
  // the input in the failure.
  static void ExpectWellFormed(const v1::InboundMessage& message,
                               absl::string_view what);

  // The time the suite passes to Parse: 2026-01-05 08:00:00 UTC.
  static absl::Time ReceivedAt();

 private:
  std::unique_ptr<InboundAdapter> adapter_;
};

// ---------------------------------------------------------------------------
// Outbound
// ---------------------------------------------------------------------------

// How the far side fails a delivery, as FailNextDelivery asks for it.
enum class DeliveryFailure {
  // Fails for now: connection refused, a timeout, a 4xx SMTP reply, a rate
  // limit. The adapter must answer a code IsRetryableDeliveryError accepts.
  kRetryable,
  // Refuses for good: a 5xx SMTP reply, an unknown recipient, content the
  // far side rejects. The adapter must answer any other error code.
  kPermanent,
};

// One outbound adapter wired to a fake far side the suite watches and breaks
// (a fake transport, a fake server, a callback). The host implements it for
// its adapter; FakeFarSide does the bookkeeping.
//
// Thread safety: adapter() and Received() may be called from several
// threads at once; FailNextDelivery only when no delivery is under way.
class OutboundTestRig {
 public:
  virtual ~OutboundTestRig() = default;
  // The adapter under test, owned by the rig.
  virtual OutboundAdapter& adapter() = 0;
  // Makes the far side fail the next delivery that reaches it, as `failure`
  // says; the deliveries after it succeed again.
  virtual void FailNextDelivery(DeliveryFailure failure) = 0;
  // What the far side accepted, one entry per accepted delivery, in order:
  // the identity it deduplicates by (e-mail: the Message-ID; a gateway: the
  // id the adapter sent with the message). A failed delivery adds nothing.
  virtual std::vector<std::string> Received() = 0;
};

// The bookkeeping of a fake far side for an OutboundTestRig: what arrived,
// and a scripted failure. A rig's fake transport calls Arrive() for each
// delivery; FailNextDelivery calls FailNext() with the channel's own error.
//
// Thread safety: thread-safe.
class FakeFarSide {
 public:
  // The next Arrive() returns `failure` (not OK) and records nothing.
  void FailNext(absl::Status failure);
  // Records `identity` and returns OK, or returns the scripted failure.
  absl::Status Arrive(absl::string_view identity);
  std::vector<std::string> Received() const;

 private:
  mutable absl::Mutex mu_;
  absl::Status next_failure_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> received_ ABSL_GUARDED_BY(mu_);
};

// What the outbound suite needs to test one OutboundAdapter.
//
// Thread safety: `make` is called from the test's main thread only.
struct OutboundAdapterHarness {
  // Appended to every test name; letters, digits and underscores only.
  std::string name;
  // Makes a new rig: a fresh far side that has received nothing. Called once
  // or twice per test (the restart test compares two).
  std::function<absl::StatusOr<std::unique_ptr<OutboundTestRig>>()> make;
  // Messages the channel can deliver, with different idempotency keys (at
  // least two).
  std::vector<v1::OutboundMessage> samples;
  // Messages the channel cannot carry (no recipient, say): Deliver must
  // refuse each with a permanent error, and nothing may reach the far side.
  std::vector<v1::OutboundMessage> undeliverable;
  // False when the adapter's factory says it is not safe to call from
  // several threads at once; the suite then delivers from one thread only.
  bool thread_safe = true;
  // True only for libhelpdesk's own adapters ("helpdesk." names).
  bool builtin = false;
};

inline void PrintTo(const OutboundAdapterHarness& harness, std::ostream* os) {
  *os << harness.name;
}

// Names each instantiation after OutboundAdapterHarness::name.
struct OutboundAdapterHarnessName {
  std::string operator()(
      const ::testing::TestParamInfo<OutboundAdapterHarness>& info) const {
    return info.param.name;
  }
};

// The fixture of the outbound suite: a fresh rig per test.
//
// Thread safety: Deliver may be called from several threads at once when the
// harness says the adapter allows it; the rest from the main thread only.
class OutboundAdapterConformanceTest
    : public ::testing::TestWithParam<OutboundAdapterHarness> {
 protected:
  // Makes the rig with GetParam().make(); a factory error fails the test.
  void SetUp() override;

  OutboundTestRig& rig() { return *rig_; }
  // Another rig from the harness: a restarted process.
  absl::StatusOr<std::unique_ptr<OutboundTestRig>> NewRig();

  // Calls adapter.Deliver(message); records a failure, and returns Internal,
  // if it throws.
  static absl::StatusOr<DeliveryReceipt> DeliverNoThrow(
      OutboundAdapter& adapter, const v1::OutboundMessage& message);

 private:
  std::unique_ptr<OutboundTestRig> rig_;
};

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTING_CHANNEL_CONFORMANCE_H_
