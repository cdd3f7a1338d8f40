// The routing engine's OrderedSet (a sorted array that turns into a B-tree
// when it grows) against std::set, under random operations that push it back
// and forth across both thresholds; and the engine's inline UnixMicros
// against absl::ToUnixMicros.
#include "routing/ordered_set.h"

#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "routing/queue_router.h"

namespace helpdesk::routing_internal {
namespace {

using Set = OrderedSet<int64_t>;

void ExpectSame(const Set& got, const std::set<int64_t>& want) {
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got.empty(), want.empty());
  std::vector<int64_t> items(got.begin(), got.end());
  ASSERT_EQ(items, std::vector<int64_t>(want.begin(), want.end()));
  if (!want.empty()) {
    EXPECT_EQ(got.front(), *want.begin());
  }
}

TEST(OrderedSetTest, EmptySet) {
  Set s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.begin() == s.end());
  EXPECT_FALSE(s.erase(7));
  EXPECT_TRUE(s.upper_bound(7) == s.end());
}

TEST(OrderedSetTest, FifoUseStaysSmallAndOrdered) {
  // A queue that never empties: push at the back, take the front.
  Set s;
  std::set<int64_t> want;
  for (int64_t i = 0; i < 10; ++i) {
    s.insert(i);
    want.insert(i);
  }
  for (int64_t i = 10; i < 100000; ++i) {
    s.insert(i);
    want.insert(i);
    ASSERT_TRUE(s.erase(*want.begin()));
    want.erase(want.begin());
  }
  ExpectSame(s, want);
}

TEST(OrderedSetTest, QueueOfSteadySizeKeepsItsBuffer) {
  // A FIFO queue of 40 to 90 elements for 100,000 steps: the array moves
  // back to the front of its buffer instead of growing it.
  Set s;
  std::set<int64_t> want;
  std::mt19937_64 rng(7);
  int64_t next = 0;
  for (; next < 40; ++next) {
    s.insert(next);
    want.insert(next);
  }
  for (int step = 0; step < 100000; ++step) {
    if (want.size() < 90 && (want.size() <= 40 || rng() % 2 == 0)) {
      s.insert(next);
      want.insert(next++);
    } else {
      ASSERT_TRUE(s.erase(*want.begin()));
      want.erase(want.begin());
    }
  }
  ExpectSame(s, want);
  EXPECT_LE(s.buffer_size(), 4u * 90);
}

TEST(OrderedSetTest, UpperBound) {
  Set s;
  for (int64_t v : {10, 20, 30}) s.insert(v);
  EXPECT_EQ(*s.upper_bound(5), 10);
  EXPECT_EQ(*s.upper_bound(10), 20);
  EXPECT_EQ(*s.upper_bound(25), 30);
  EXPECT_TRUE(s.upper_bound(30) == s.end());
}

// Random inserts and erases at the front, the back and in between, with the
// size drifting across both thresholds many times; checked after every step.
TEST(OrderedSetTest, MatchesStdSetUnderRandomOperations) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    Set s;
    std::set<int64_t> want;
    int64_t low = 0, high = 0;  // fresh values below and above all others
    size_t target = 0;
    for (int step = 0; step < 4000; ++step) {
      if (step % 500 == 0) {
        target = rng() % (3 * Set::kToTree);
      }
      const bool grow = want.size() < target ? rng() % 10 < 8 : rng() % 10 < 2;
      if (grow || want.empty()) {
        int64_t v;
        switch (rng() % 3) {
          case 0:
            v = ++high * 1000;
            break;
          case 1:
            v = --low * 1000;
            break;
          default:
            v = static_cast<int64_t>(rng() % 2000000) - 1000000;
            if (want.count(v)) continue;
            break;
        }
        s.insert(v);
        want.insert(v);
      } else {
        int64_t v;
        switch (rng() % 4) {
          case 0:
            v = *want.begin();
            break;
          case 1:
            v = *want.rbegin();
            break;
          case 2:
            v = static_cast<int64_t>(rng() % 2000000) - 1000000;  // maybe absent
            break;
          default: {
            auto it = want.begin();
            std::advance(it, static_cast<long>(rng() % want.size()));
            v = *it;
            break;
          }
        }
        EXPECT_EQ(s.erase(v), want.erase(v) > 0) << "seed " << seed;
      }
      ASSERT_NO_FATAL_FAILURE(ExpectSame(s, want)) << "seed " << seed
                                                   << " step " << step;
      const int64_t probe = static_cast<int64_t>(rng() % 2000000) - 1000000;
      auto got = s.upper_bound(probe);
      auto expected = want.upper_bound(probe);
      if (expected == want.end()) {
        EXPECT_TRUE(got == s.end());
      } else {
        ASSERT_FALSE(got == s.end());
        EXPECT_EQ(*got, *expected);
      }
    }
  }
}

TEST(UnixMicrosTest, AgreesWithAbsl) {
  // Whole seconds, sub-microsecond fractions on both sides of the epoch,
  // and random times over the whole range work items may carry.
  std::vector<absl::Time> times = {
      absl::UnixEpoch(),
      absl::UnixEpoch() + absl::Nanoseconds(1),
      absl::UnixEpoch() - absl::Nanoseconds(1),
      absl::UnixEpoch() - absl::Nanoseconds(999),
      absl::UnixEpoch() - absl::Microseconds(1),
      absl::UnixEpoch() - absl::Nanoseconds(1001),
      absl::FromUnixSeconds(-2208988800),              // 1900
      absl::FromUnixSeconds(253402300799),             // 9999
      absl::FromUnixSeconds(-2208988800) - absl::Nanoseconds(250),
  };
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100000; ++i) {
    const int64_t seconds =
        static_cast<int64_t>(rng() % (253402300799 + 2208988800)) - 2208988800;
    times.push_back(absl::FromUnixSeconds(seconds) +
                    absl::Nanoseconds(static_cast<int64_t>(rng() % 1000000000)) +
                    absl::Nanoseconds(1) / 4 * static_cast<int64_t>(rng() % 4));
  }
  for (absl::Time t : times) {
    ASSERT_EQ(UnixMicros(t), absl::ToUnixMicros(t)) << t;
  }
}

}  // namespace
}  // namespace helpdesk::routing_internal
