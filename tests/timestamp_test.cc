#include "helpdesk/timestamp.h"

#include "gtest/gtest.h"
#include "helpdesk/clock.h"

namespace helpdesk {
namespace {

TEST(TimestampTest, RoundTripKeepsMicroseconds) {
  absl::Time t = absl::FromUnixMicros(1767225600123456);
  EXPECT_EQ(FromTimestamp(ToTimestamp(t)), t);
  EXPECT_EQ(TimestampToMicros(ToTimestamp(t)), 1767225600123456);
}

TEST(TimestampTest, NegativeMicrosNormaliseNanos) {
  google::protobuf::Timestamp ts = MicrosToTimestamp(-1);
  EXPECT_EQ(ts.seconds(), -1);
  EXPECT_EQ(ts.nanos(), 999999000);
  EXPECT_EQ(TimestampToMicros(ts), -1);
}

TEST(TimestampTest, SubMicrosecondTruncatesTowardsPast) {
  absl::Time t = absl::FromUnixNanos(1500);
  EXPECT_EQ(TimestampToMicros(ToTimestamp(t)), 1);
}

TEST(TimestampTest, InfinitiesClampToTimestampRange) {
  EXPECT_EQ(ToTimestamp(absl::InfiniteFuture()).seconds(), 253402300799);
  EXPECT_EQ(ToTimestamp(absl::InfinitePast()).seconds(), -62135596800);
}

TEST(ManualClockTest, MovesOnlyWhenTold) {
  ManualClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(105));
  clock.Set(absl::FromUnixSeconds(50));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(50));
}

}  // namespace
}  // namespace helpdesk
