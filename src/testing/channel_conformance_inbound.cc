// The inbound channel conformance suite: InboundAdapter::Parse against the
// contract of helpdesk/channel.h (see helpdesk/testing/channel_conformance.h).
#include <algorithm>
#include <cstddef>
#include <map>
#include <ostream>
#include <memory>
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
#include "internal/text_checks.h"

namespace helpdesk::testing {
namespace {

constexpr uint64_t kSeed = 20261206;

// What the suite compares between two parses of the same bytes.
struct Keys {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string idempotency_key;
  std::string external_id;
  std::string threading;  // ThreadingKeys, serialised deterministically

  bool operator==(const Keys& other) const {
    return code == other.code && idempotency_key == other.idempotency_key &&
           external_id == other.external_id && threading == other.threading;
  }
};

Keys KeysOf(const absl::StatusOr<v1::InboundMessage>& parsed) {
  Keys keys;
  keys.code = parsed.status().code();
  if (!parsed.ok()) return keys;
  keys.idempotency_key = EffectiveIdempotencyKey(*parsed);
  keys.external_id = parsed->external_id();
  keys.threading = parsed->threading().ShortDebugString();
  return keys;
}

std::ostream& operator<<(std::ostream& os, const Keys& keys) {
  return os << absl::StatusCodeToString(keys.code) << " key="
            << internal::Quote(keys.idempotency_key)
            << " external_id=" << internal::Quote(keys.external_id)
            << " threading={" << keys.threading << "}";
}

// The sample padded with spaces to `size` bytes (or cut, if longer).
std::string PaddedTo(const std::string& sample, size_t size) {
  std::string out = sample.substr(0, size);
  out.resize(size, ' ');
  return out;
}

}  // namespace

TEST_P(InboundAdapterConformanceTest, NameIsStableAndOutsideTheReservedNamespace) {
  const std::string name(adapter().Name());
  EXPECT_FALSE(name.empty());
  EXPECT_EQ(adapter().Name(), name) << "Name() changed between calls";
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<InboundAdapter> other, NewAdapter());
  EXPECT_EQ(other->Name(), name) << "another instance has another name";
  if (GetParam().builtin) {
    EXPECT_TRUE(absl::StartsWith(name, "helpdesk.")) << name;
  } else {
    EXPECT_FALSE(absl::StartsWith(name, "helpdesk."))
        << "'" << name << "': the \"helpdesk.\" namespace is reserved for "
        << "libhelpdesk's own adapters; use your own, e.g. \"com.example.sms\"";
  }
}

TEST_P(InboundAdapterConformanceTest, EverySampleParsesIntoAWellFormedMessage) {
  ASSERT_GE(GetParam().samples.size(), 2u)
      << "the factory must give at least two samples";
  for (size_t i = 0; i < GetParam().samples.size(); ++i) {
    absl::StatusOr<v1::InboundMessage> m =
        ParseNoThrow(adapter(), GetParam().samples[i], ReceivedAt());
    ASSERT_THAT(m, IsOk()) << "sample " << i;
    ExpectWellFormed(*m, absl::StrCat("sample ", i));
  }
}

TEST_P(InboundAdapterConformanceTest, SameBytesGiveTheSameKeysOnEveryCallAndInstance) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<InboundAdapter> other, NewAdapter());
  for (size_t i = 0; i < GetParam().samples.size(); ++i) {
    const std::string& raw = GetParam().samples[i];
    const Keys first = KeysOf(ParseNoThrow(adapter(), raw, ReceivedAt()));
    EXPECT_EQ(KeysOf(ParseNoThrow(adapter(), raw, ReceivedAt())), first)
        << "sample " << i << " parsed twice by one adapter";
    EXPECT_EQ(KeysOf(ParseNoThrow(*other, raw, ReceivedAt())), first)
        << "sample " << i << " parsed by another instance";
    // The idempotency key comes from the bytes, not from the time of
    // arrival: a message fetched again a day later is still the same message.
    // (Threading keys may depend on the time: a session per day.)
    Keys later = KeysOf(ParseNoThrow(adapter(), raw, ReceivedAt() + absl::Hours(25)));
    EXPECT_EQ(later.code, first.code) << "sample " << i << " parsed a day later";
    EXPECT_EQ(later.idempotency_key, first.idempotency_key)
        << "sample " << i << " parsed again a day later";
  }
}

TEST_P(InboundAdapterConformanceTest, DifferentMessagesGetDifferentKeys) {
  std::map<std::string, size_t> seen;  // idempotency key -> sample
  std::map<std::string, size_t> message_ids;
  for (size_t i = 0; i < GetParam().samples.size(); ++i) {
    HELPDESK_ASSERT_OK_AND_ASSIGN(
        v1::InboundMessage m,
        ParseNoThrow(adapter(), GetParam().samples[i], ReceivedAt()));
    const std::string key = EffectiveIdempotencyKey(m);
    auto [it, added] = seen.emplace(key, i);
    EXPECT_TRUE(added) << "samples " << it->second << " and " << i
                       << " have the same idempotency key " << internal::Quote(key);
    if (!m.threading().message_id().empty()) {
      auto [id_it, id_added] = message_ids.emplace(m.threading().message_id(), i);
      EXPECT_TRUE(id_added) << "samples " << id_it->second << " and " << i
                            << " have the same threading.message_id";
    }
  }
}

TEST_P(InboundAdapterConformanceTest, InputOverTheSizeLimitIsResourceExhausted) {
  const size_t limit = GetParam().max_bytes;
  if (limit == 0) GTEST_SKIP() << "the adapter has no size limit";
  const std::string& sample = GetParam().samples.at(0);
  ASSERT_LE(sample.size(), limit) << "sample 0 is over the size limit";
  EXPECT_THAT(ParseNoThrow(adapter(), PaddedTo(sample, limit + 1), ReceivedAt()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(ParseNoThrow(adapter(), std::string(limit + 4096, '\0'), ReceivedAt()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // At the limit the input is read (it may be refused, but not for its size).
  absl::StatusOr<v1::InboundMessage> at_limit =
      ParseNoThrow(adapter(), PaddedTo(sample, limit), ReceivedAt());
  EXPECT_NE(at_limit.status().code(), absl::StatusCode::kResourceExhausted)
      << at_limit.status();
}

TEST_P(InboundAdapterConformanceTest, DamagedButReadableInputIsReadWithWarnings) {
  if (GetParam().damaged_samples.empty()) {
    GTEST_SKIP() << "the factory gives no damaged samples";
  }
  for (size_t i = 0; i < GetParam().damaged_samples.size(); ++i) {
    absl::StatusOr<v1::InboundMessage> m =
        ParseNoThrow(adapter(), GetParam().damaged_samples[i], ReceivedAt());
    ASSERT_THAT(m, IsOk()) << "damaged sample " << i
                           << " was refused rather than read with a warning";
    EXPECT_THAT(m->warnings(), ::testing::Not(::testing::IsEmpty()))
        << "damaged sample " << i << " was read without a warning";
    ExpectWellFormed(*m, absl::StrCat("damaged sample ", i));
  }
}

TEST_P(InboundAdapterConformanceTest, HostileInputFailsOnlyWithDocumentedCodes) {
  const size_t huge = GetParam().max_bytes > 0
                          ? std::min<size_t>(GetParam().max_bytes, size_t{4} << 20)
                          : size_t{1} << 20;
  std::vector<std::string> samples = GetParam().samples;
  samples.insert(samples.end(), GetParam().damaged_samples.begin(),
                 GetParam().damaged_samples.end());
  const std::vector<std::string> inputs = HostileInputs(samples, kSeed, huge);
  const std::vector<absl::StatusCode>& allowed = GetParam().error_codes;
  // Stops at the first input that breaks a rule, to keep the log readable.
  for (size_t i = 0; i < inputs.size() && !HasFailure(); ++i) {
    const std::string& raw = inputs[i];
    absl::StatusOr<v1::InboundMessage> m = ParseNoThrow(adapter(), raw, ReceivedAt());
    if (m.ok()) {
      ExpectWellFormed(*m, absl::StrCat("hostile input ", i, " ", internal::Quote(raw)));
    } else {
      EXPECT_THAT(allowed, ::testing::Contains(m.status().code()))
          << "hostile input " << i << " " << internal::Quote(raw)
          << " gave an undocumented code: " << m.status();
      EXPECT_FALSE(m.status().message().empty())
          << "hostile input " << i << ": an error must say why";
    }
    // The same bytes again give the same answer.
    EXPECT_EQ(KeysOf(ParseNoThrow(adapter(), raw, ReceivedAt())), KeysOf(m))
        << "hostile input " << i << " " << internal::Quote(raw);
  }
}

TEST_P(InboundAdapterConformanceTest, ParseIsSafeOnSeveralThreadsAtOnce) {
  const std::vector<std::string>& samples = GetParam().samples;
  std::vector<Keys> expected;
  for (const std::string& raw : samples) {
    expected.push_back(KeysOf(ParseNoThrow(adapter(), raw, ReceivedAt())));
  }
  constexpr int kThreads = 4;
  constexpr int kRounds = 25;
  std::vector<std::vector<Keys>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        for (size_t i = 0; i < samples.size(); ++i) {
          seen[t].push_back(KeysOf(ParseNoThrow(adapter(), samples[(i + t) % samples.size()],
                                                ReceivedAt())));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), kRounds * samples.size());
    for (size_t k = 0; k < seen[t].size(); ++k) {
      EXPECT_EQ(seen[t][k], expected[(k % samples.size() + t) % samples.size()])
          << "thread " << t << ", parse " << k;
    }
  }
}

}  // namespace helpdesk::testing
