#include "helpdesk/timestamp.h"

#include <limits>

namespace helpdesk {

namespace {
// google.protobuf.Timestamp's valid range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;
}  // namespace

int64_t ToUnixMicrosFloor(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);  // rounds towards negative infinity
}

google::protobuf::Timestamp MicrosToTimestamp(int64_t micros) {
  google::protobuf::Timestamp ts;
  int64_t seconds = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    seconds -= 1;
  }
  if (seconds < kMinSeconds) {
    seconds = kMinSeconds;
    rem = 0;
  } else if (seconds > kMaxSeconds) {
    seconds = kMaxSeconds;
    rem = 999999;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rem * 1000));
  return ts;
}

int64_t TimestampToMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return MicrosToTimestamp(ToUnixMicrosFloor(t));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixMicros(TimestampToMicros(ts));
}

}  // namespace helpdesk
