// The outbound channel conformance suite: OutboundAdapter::Deliver against
// the contract of helpdesk/channel.h, driven through a host's OutboundTestRig
// (see helpdesk/testing/channel_conformance.h).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/testing/channel_conformance.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr uint64_t kSeed = 20261206;

// The identity the far side recorded for delivering `message` on a fresh rig.
std::string IdentityOnAFreshRig(OutboundTestRig& rig, const v1::OutboundMessage& message) {
  absl::StatusOr<DeliveryReceipt> receipt = rig.adapter().Deliver(message);
  EXPECT_THAT(receipt, IsOk()) << message.idempotency_key();
  std::vector<std::string> received = rig.Received();
  EXPECT_THAT(received, SizeIs(1)) << message.idempotency_key();
  return received.empty() ? "" : received.back();
}

// Odd versions of `message`: fields emptied, made huge, given CR/LF, NUL and
// invalid UTF-8, recipients multiplied.
std::vector<v1::OutboundMessage> OddVersionsOf(const v1::OutboundMessage& message,
                                               std::mt19937_64& rng) {
  std::vector<v1::OutboundMessage> out;
  auto add = [&](auto change) {
    v1::OutboundMessage m = message;
    m.set_idempotency_key(absl::StrCat(message.idempotency_key(), ":odd", out.size()));
    change(m);
    out.push_back(std::move(m));
  };
  add([](v1::OutboundMessage& m) { m.clear_subject(); m.clear_body_text(); });
  add([](v1::OutboundMessage& m) { m.clear_to(); m.clear_cc(); m.clear_destination(); });
  add([](v1::OutboundMessage& m) { m.clear_from(); });
  add([](v1::OutboundMessage& m) { m.clear_idempotency_key(); });
  add([](v1::OutboundMessage& m) { m.set_subject("line one\r\nBcc: victim@example.com"); });
  add([](v1::OutboundMessage& m) { m.set_body_text(std::string(1 << 20, 'x')); });
  add([](v1::OutboundMessage& m) { m.set_subject(std::string(100000, 's')); });
  add([](v1::OutboundMessage& m) { m.set_body_text(std::string("a\0b\r.\r\nc", 8)); });
  add([](v1::OutboundMessage& m) { m.set_body_html("<p>\xC3\x28 \xFF</p>"); });
  add([](v1::OutboundMessage& m) { m.set_subject("\xED\xA0\x80 surrogate"); });
  add([](v1::OutboundMessage& m) {
    for (v1::Party& to : *m.mutable_to()) to.set_email("no-at-sign\r\n");
  });
  add([](v1::OutboundMessage& m) {
    for (int i = 0; i < 200; ++i) *m.add_cc() = m.to_size() > 0 ? m.to(0) : v1::Party();
  });
  add([](v1::OutboundMessage& m) { m.set_destination(std::string(5000, '/')); });
  add([&rng](v1::OutboundMessage& m) {
    std::string junk(256, '\0');
    for (char& c : junk) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    m.set_body_text(junk);
    m.mutable_threading()->set_in_reply_to(junk.substr(0, 40));
  });
  add([](v1::OutboundMessage& m) {
    v1::InboundAttachment* a = m.add_attachments();
    a->set_file_name("../../etc/passwd\r\n");
    a->set_media_type("not a type");
    a->set_content(std::string(70000, '\0'));
  });
  return out;
}

}  // namespace

TEST_P(OutboundAdapterConformanceTest, NameIsStableAndOutsideTheReservedNamespace) {
  const std::string name(rig().adapter().Name());
  EXPECT_FALSE(name.empty());
  EXPECT_EQ(rig().adapter().Name(), name) << "Name() changed between calls";
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<OutboundTestRig> other, NewRig());
  EXPECT_EQ(other->adapter().Name(), name) << "another instance has another name";
  if (GetParam().builtin) {
    EXPECT_TRUE(absl::StartsWith(name, "helpdesk.")) << name;
  } else {
    EXPECT_FALSE(absl::StartsWith(name, "helpdesk."))
        << "'" << name << "': the \"helpdesk.\" namespace is reserved for "
        << "libhelpdesk's own adapters; use your own, e.g. \"com.example.sms\"";
  }
}

TEST_P(OutboundAdapterConformanceTest, EverySampleIsDeliveredOnce) {
  const std::vector<v1::OutboundMessage>& samples = GetParam().samples;
  ASSERT_GE(samples.size(), 2u) << "the harness must give at least two samples";
  for (const v1::OutboundMessage& m : samples) {
    EXPECT_THAT(DeliverNoThrow(rig().adapter(), m), IsOk()) << m.idempotency_key();
  }
  std::vector<std::string> received = rig().Received();
  ASSERT_THAT(received, SizeIs(samples.size()));
  EXPECT_THAT(std::set<std::string>(received.begin(), received.end()),
              SizeIs(samples.size()))
      << "two samples with different idempotency keys arrived as one identity";
}

TEST_P(OutboundAdapterConformanceTest, RedeliveringAKeyCarriesTheSameIdentity) {
  const v1::OutboundMessage& first = GetParam().samples.at(0);
  const v1::OutboundMessage& second = GetParam().samples.at(1);
  EXPECT_THAT(DeliverNoThrow(rig().adapter(), first), IsOk());
  EXPECT_THAT(DeliverNoThrow(rig().adapter(), second), IsOk());
  EXPECT_THAT(DeliverNoThrow(rig().adapter(), first), IsOk())
      << "delivering an idempotency key again must succeed (the outbox may "
         "retry a delivery whose success it never recorded)";
  std::vector<std::string> received = rig().Received();
  ASSERT_GE(received.size(), 2u);
  // Either the far side took the second delivery as a duplicate, or both
  // arrived under one identity the recipient can deduplicate by.
  if (received.size() == 3) {
    EXPECT_EQ(received[2], received[0]) << "the redelivery has another identity";
  }
  EXPECT_NE(received[1], received[0]);
}

TEST_P(OutboundAdapterConformanceTest, ARestartedAdapterDeliversUnderTheSameIdentity) {
  for (const v1::OutboundMessage& m : GetParam().samples) {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<OutboundTestRig> before, NewRig());
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<OutboundTestRig> after, NewRig());
    EXPECT_EQ(IdentityOnAFreshRig(*before, m), IdentityOnAFreshRig(*after, m))
        << m.idempotency_key();
  }
}

TEST_P(OutboundAdapterConformanceTest, ARetryableFailureIsRetryableAndTheRetryDeliversOnce) {
  const v1::OutboundMessage& m = GetParam().samples.at(0);
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<OutboundTestRig> clean, NewRig());
  const std::string identity = IdentityOnAFreshRig(*clean, m);

  rig().FailNextDelivery(DeliveryFailure::kRetryable);
  absl::StatusOr<DeliveryReceipt> failed = DeliverNoThrow(rig().adapter(), m);
  ASSERT_FALSE(failed.ok()) << "the far side failed, the adapter said OK";
  EXPECT_TRUE(IsRetryableDeliveryError(failed.status()))
      << "a failure worth retrying must be Unavailable, DeadlineExceeded or "
         "ResourceExhausted, not "
      << failed.status();
  EXPECT_FALSE(failed.status().message().empty());
  EXPECT_THAT(rig().Received(), IsEmpty());

  EXPECT_THAT(DeliverNoThrow(rig().adapter(), m), IsOk());
  EXPECT_THAT(rig().Received(), ElementsAre(identity))
      << "the retry must carry the identity of an undisturbed delivery";
}

TEST_P(OutboundAdapterConformanceTest, APermanentFailureIsNotRetryable) {
  const v1::OutboundMessage& m = GetParam().samples.at(0);
  rig().FailNextDelivery(DeliveryFailure::kPermanent);
  absl::StatusOr<DeliveryReceipt> failed = DeliverNoThrow(rig().adapter(), m);
  ASSERT_FALSE(failed.ok()) << "the far side refused, the adapter said OK";
  EXPECT_FALSE(IsRetryableDeliveryError(failed.status()))
      << "a refusal for good must not be retryable: " << failed.status();
  EXPECT_FALSE(failed.status().message().empty()) << "an error must say why";
  EXPECT_THAT(rig().Received(), IsEmpty());
  // One refusal does not break the adapter.
  EXPECT_THAT(DeliverNoThrow(rig().adapter(), GetParam().samples.at(1)), IsOk());
  EXPECT_THAT(rig().Received(), SizeIs(1));
}

TEST_P(OutboundAdapterConformanceTest, MessagesTheChannelCannotCarryAreRefusedForGood) {
  if (GetParam().undeliverable.empty()) {
    GTEST_SKIP() << "the harness gives no undeliverable messages";
  }
  for (size_t i = 0; i < GetParam().undeliverable.size(); ++i) {
    absl::StatusOr<DeliveryReceipt> r =
        DeliverNoThrow(rig().adapter(), GetParam().undeliverable[i]);
    ASSERT_FALSE(r.ok()) << "undeliverable message " << i << " was delivered";
    EXPECT_FALSE(IsRetryableDeliveryError(r.status()))
        << "undeliverable message " << i << ": retrying cannot help, yet "
        << r.status() << " is retryable";
    EXPECT_FALSE(r.status().message().empty());
  }
  EXPECT_THAT(rig().Received(), IsEmpty());
}

TEST_P(OutboundAdapterConformanceTest, DeliversFromSeveralThreadsAtOnce) {
  if (!GetParam().thread_safe) GTEST_SKIP() << "the adapter is not thread-safe";
  const std::vector<v1::OutboundMessage>& samples = GetParam().samples;
  constexpr int kThreads = 4;
  constexpr int kRounds = 5;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        for (const v1::OutboundMessage& m : samples) {
          if (!DeliverNoThrow(rig().adapter(), m).ok()) ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::Each(0));
  // Every delivery of one key arrived under one identity, and distinct keys
  // under distinct ones.
  std::vector<std::string> received = rig().Received();
  EXPECT_LE(received.size(), kThreads * kRounds * samples.size());
  EXPECT_THAT(std::set<std::string>(received.begin(), received.end()),
              SizeIs(samples.size()));
}

TEST_P(OutboundAdapterConformanceTest, OddMessagesNeverCrashTheAdapter) {
  std::mt19937_64 rng(kSeed);
  for (const v1::OutboundMessage& sample : GetParam().samples) {
    for (const v1::OutboundMessage& m : OddVersionsOf(sample, rng)) {
      absl::StatusOr<DeliveryReceipt> r = DeliverNoThrow(rig().adapter(), m);
      if (!r.ok()) {
        EXPECT_FALSE(r.status().message().empty())
            << "an error must say why: " << m.ShortDebugString().substr(0, 200);
        EXPECT_NE(r.status().code(), absl::StatusCode::kUnknown) << r.status();
      }
    }
  }
  // And the adapter still works.
  const size_t before = rig().Received().size();
  EXPECT_THAT(DeliverNoThrow(rig().adapter(), GetParam().samples.at(0)), IsOk());
  EXPECT_THAT(rig().Received(), SizeIs(before + 1));
}

}  // namespace helpdesk::testing
