// The channel conformance suites' support: the hostile input generator, the
// fixtures' helpers and FakeFarSide (helpdesk/testing/channel_conformance.h).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/testing/channel_conformance.h"
#include "helpdesk/v1/channel.pb.h"
#include "internal/text_checks.h"

namespace helpdesk::testing {
namespace {

// Byte sequences that are not UTF-8: a lone continuation byte, an overlong
// "/", a surrogate, a code point past U+10FFFF, sequences cut short, bytes
// that never occur.
constexpr absl::string_view kInvalidUtf8[] = {
    "\x80",         "\xBF",         "\xC0\xAF",         "\xE0\x80\xAF",
    "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3",         "\xE2\x82",
    "\xF0\x9F\x98", "\xFE",         "\xFF",             "\xC3\x28",
};

// Appends a copy of `sample` with `count` bytes replaced by random ones.
std::string FlipBytes(std::string sample, int count, std::mt19937_64& rng) {
  if (sample.empty()) return sample;
  std::uniform_int_distribution<size_t> at(0, sample.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < count; ++i) sample[at(rng)] = static_cast<char>(byte(rng));
  return sample;
}

// `sample` with `piece` inserted at a random place.
std::string Splice(std::string sample, absl::string_view piece,
                   std::mt19937_64& rng) {
  size_t at = std::uniform_int_distribution<size_t>(0, sample.size())(rng);
  sample.insert(at, piece.data(), piece.size());
  return sample;
}

// Records a failure for every string (not bytes) field of `message`, nested
// ones included, that is not valid UTF-8.
void ExpectUtf8Strings(const google::protobuf::Message& message,
                       const std::string& path, absl::string_view what) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    const std::string name = absl::StrCat(path, field->name());
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      auto check = [&](const std::string& text, const std::string& where) {
        EXPECT_EQ(internal::FindInvalidUtf8(text), absl::string_view::npos)
            << where << " is not valid UTF-8 (" << internal::Quote(text)
            << ") in the message parsed from " << what;
      };
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          check(reflection.GetRepeatedString(message, field, i),
                absl::StrCat(name, "[", i, "]"));
        }
      } else {
        check(reflection.GetString(message, field), name);
      }
    } else if (field->cpp_type() ==
               google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
          ExpectUtf8Strings(reflection.GetRepeatedMessage(message, field, i),
                            absl::StrCat(name, "[", i, "]."), what);
        }
      } else {
        ExpectUtf8Strings(reflection.GetMessage(message, field),
                          absl::StrCat(name, "."), what);
      }
    }
  }
}

}  // namespace

std::vector<std::string> HostileInputs(const std::vector<std::string>& samples,
                                       uint64_t seed, size_t huge_bytes) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  out.push_back("");
  for (int b = 0; b < 256; ++b) out.push_back(std::string(1, static_cast<char>(b)));
  out.push_back(std::string(1000, '\0'));
  out.push_back(std::string(1000, '\xFF'));
  out.push_back(std::string(4096, '\n'));
  out.push_back(std::string(4096, '\r'));
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t size : {2, 7, 64, 512, 4096, 65536}) {
    std::string binary(size, '\0');
    for (char& c : binary) c = static_cast<char>(byte(rng));
    out.push_back(std::move(binary));
  }
  for (absl::string_view bad : kInvalidUtf8) out.push_back(std::string(bad));
  // Tiny inputs that are almost valid in some format: an empty object or
  // header, a bare value.
  for (absl::string_view tiny : {"{}", "[]", "null", "\"\"", "0", "{\"\":\"\"}", "=",
                                 "a=b", "&&", "From: a\r\n\r\n", "\r\n\r\n", "--\r\n",
                                 "<html></html>", "\xEF\xBB\xBF"}) {
    out.push_back(std::string(tiny));
  }
  // Deep nesting and long lines: what recursive parsers trip over.
  for (absl::string_view open : {"[", "{", "{\"a\":", "(", "<", "--"}) {
    std::string nested;
    for (int i = 0; i < 20000; ++i) nested.append(open.data(), open.size());
    out.push_back(std::move(nested));
  }
  out.push_back(std::string(size_t{1} << 20, 'a'));
  std::string fields;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&fields, "X-Field-", i, ": value\r\n");
  out.push_back(fields + "\r\nbody\r\n");

  for (const std::string& sample : samples) {
    // Truncated at 64 points spread over the sample, and at random ones.
    const size_t n = sample.size();
    for (size_t k = 1; k < 64 && n > 1; ++k) out.push_back(sample.substr(0, n * k / 64));
    for (int k = 0; k < 16 && n > 0; ++k) {
      out.push_back(sample.substr(0, std::uniform_int_distribution<size_t>(0, n - 1)(rng)));
    }
    // Corrupted.
    for (int flips : {1, 1, 2, 3, 5, 8, 13, 40}) out.push_back(FlipBytes(sample, flips, rng));
    for (absl::string_view bad : kInvalidUtf8) out.push_back(Splice(sample, bad, rng));
    out.push_back(Splice(sample, absl::string_view("\0", 1), rng));
    out.push_back(Splice(sample, absl::string_view("\0\0\0\0", 4), rng));
    out.push_back(absl::StrReplaceAll(sample, {{absl::string_view("\n"),
                                                absl::string_view("\0\n", 2)}}));
    // Line ends: LF only, CR only, doubled.
    out.push_back(absl::StrReplaceAll(sample, {{"\r\n", "\n"}}));
    out.push_back(absl::StrReplaceAll(absl::StrReplaceAll(sample, {{"\r\n", "\n"}}),
                                      {{"\n", "\r"}}));
    out.push_back(absl::StrReplaceAll(sample, {{"\n", "\r\n\r\n"}}));
    // Doubled, and cut in the middle of the second copy.
    out.push_back(sample + sample);
    out.push_back(sample + sample.substr(0, n / 2));
    // A byte-order mark in front.
    out.push_back("\xEF\xBB\xBF" + sample);
  }
  // One huge input: the samples over and over, up to huge_bytes.
  if (huge_bytes > 0) {
    std::string huge;
    huge.reserve(huge_bytes);
    std::string filler = samples.empty() ? std::string("x") : samples[0];
    if (filler.empty()) filler = "x";
    while (huge.size() < huge_bytes) huge.append(filler, 0, huge_bytes - huge.size());
    out.push_back(std::move(huge));
  }
  return out;
}

std::string EffectiveIdempotencyKey(const v1::InboundMessage& message) {
  if (!message.idempotency_key().empty()) return message.idempotency_key();
  if (message.external_id().empty()) return "";
  return absl::StrCat(v1::Channel_Name(message.channel()), ":",
                      message.external_id());
}

// --- InboundAdapterConformanceTest -----------------------------------------

void InboundAdapterConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<InboundAdapter>> made = NewAdapter();
  ASSERT_TRUE(made.ok()) << "the factory for '" << GetParam().name
                         << "' failed: " << made.status();
  adapter_ = std::move(*made);
}

absl::StatusOr<std::unique_ptr<InboundAdapter>>
InboundAdapterConformanceTest::NewAdapter() {
  absl::StatusOr<std::unique_ptr<InboundAdapter>> made = GetParam().make();
  if (made.ok() && *made == nullptr) {
    return absl::InternalError("the factory returned a null adapter");
  }
  return made;
}

absl::StatusOr<v1::InboundMessage> InboundAdapterConformanceTest::ParseNoThrow(
    const InboundAdapter& adapter, absl::string_view raw, absl::Time at) {
  try {
    return adapter.Parse(raw, at);
  } catch (const std::exception& e) {
    ADD_FAILURE() << adapter.Name() << " Parse threw (" << e.what() << ") on "
                  << internal::Quote(raw);
  } catch (...) {
    ADD_FAILURE() << adapter.Name() << " Parse threw on " << internal::Quote(raw);
  }
  return absl::InternalError("Parse threw");
}

void InboundAdapterConformanceTest::ExpectWellFormed(
    const v1::InboundMessage& message, absl::string_view what) {
  EXPECT_NE(EffectiveIdempotencyKey(message), "")
      << "neither an idempotency_key nor an external_id in the message parsed "
         "from "
      << what << ": Inbox::Ingest could not deduplicate it";
  ExpectUtf8Strings(message, "", what);
}

absl::Time InboundAdapterConformanceTest::ReceivedAt() {
  return absl::FromUnixSeconds(1767600000);
}

// --- FakeFarSide -------------------------------------------------------------

void FakeFarSide::FailNext(absl::Status failure) {
  absl::MutexLock lock(&mu_);
  next_failure_ = std::move(failure);
}

absl::Status FakeFarSide::Arrive(absl::string_view identity) {
  absl::MutexLock lock(&mu_);
  if (!next_failure_.ok()) return std::exchange(next_failure_, absl::OkStatus());
  received_.emplace_back(identity);
  return absl::OkStatus();
}

std::vector<std::string> FakeFarSide::Received() const {
  absl::MutexLock lock(&mu_);
  return received_;
}

// --- OutboundAdapterConformanceTest ----------------------------------------

void OutboundAdapterConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<OutboundTestRig>> made = NewRig();
  ASSERT_TRUE(made.ok()) << "the harness for '" << GetParam().name
                         << "' failed: " << made.status();
  rig_ = std::move(*made);
}

absl::StatusOr<std::unique_ptr<OutboundTestRig>>
OutboundAdapterConformanceTest::NewRig() {
  absl::StatusOr<std::unique_ptr<OutboundTestRig>> made = GetParam().make();
  if (made.ok() && *made == nullptr) {
    return absl::InternalError("the harness returned a null rig");
  }
  return made;
}

absl::StatusOr<DeliveryReceipt> OutboundAdapterConformanceTest::DeliverNoThrow(
    OutboundAdapter& adapter, const v1::OutboundMessage& message) {
  try {
    return adapter.Deliver(message);
  } catch (const std::exception& e) {
    ADD_FAILURE() << adapter.Name() << " Deliver threw (" << e.what()
                  << ") on " << message.ShortDebugString();
  } catch (...) {
    ADD_FAILURE() << adapter.Name() << " Deliver threw on "
                  << message.ShortDebugString();
  }
  return absl::InternalError("Deliver threw");
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(InboundAdapterConformanceTest);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OutboundAdapterConformanceTest);

}  // namespace helpdesk::testing
