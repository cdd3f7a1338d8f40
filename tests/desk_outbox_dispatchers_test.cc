// Several outbox dispatchers at once (issue 17): Desks in several threads
// (SQLite: each with its own SqliteStore on one file, as separate processes
// would open it; memory: one store) drain one outbox; each entry is
// delivered exactly once while its claim lasts. A dispatcher slower than the
// claim (OutboxOptions::lease) whose entry another dispatcher claimed again
// does not move the new claim with its own failure.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

constexpr absl::Duration kClaim = absl::Minutes(5);

// Counts deliveries per idempotency key; `hook`, when set, runs inside
// Deliver and decides its result.
class CountingAdapter final : public OutboundAdapter {
 public:
  absl::string_view Name() const override { return "test.counting"; }
  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& m) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++count_[m.idempotency_key()];
    }
    if (hook) return hook(m);
    return DeliveryReceipt{.provider_id = m.idempotency_key()};
  }
  std::map<std::string, int> counts() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  std::function<absl::StatusOr<DeliveryReceipt>(const v1::OutboundMessage&)> hook;

 private:
  std::mutex mu_;
  std::map<std::string, int> count_;
};

class DeskOutboxDispatchersTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      path_ = ::testing::TempDir() + "/desk_outbox_dispatchers_" + name + ".db";
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
    } else {
      shared_ = NewMemoryStore();
    }
  }
  void TearDown() override {
    desks_.clear();
    stores_.clear();
    if (!path_.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
    }
  }

  // A Desk of its own "process".
  Desk& OpenDesk() {
    Store* store = shared_.get();
    if (!path_.empty()) {
      absl::StatusOr<std::unique_ptr<Store>> s = OpenSqliteStore(path_);
      EXPECT_OK(s.status());
      stores_.push_back(*std::move(s));
      store = stores_.back().get();
    }
    DeskOptions o{.store = store, .clock = &clock_};
    o.outbox.lease = kClaim;
    absl::StatusOr<std::unique_ptr<Desk>> d = Desk::Open(std::move(o));
    EXPECT_OK(d.status());
    desks_.push_back(*std::move(d));
    return *desks_.back();
  }

  void Enqueue(Desk& desk, int n) {
    Store* store = desk.options().store;
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    for (int i = 0; i < n; ++i) {
      v1::OutboxEntry e;
      e.set_state(v1::OutboxEntry::PENDING);
      e.mutable_message()->set_channel(v1::CHANNEL_EMAIL);
      e.mutable_message()->set_idempotency_key(absl::StrCat("m", i));
      e.mutable_message()->set_subject(absl::StrCat("message ", i));
      *e.mutable_next_attempt_at() = ToTimestamp(clock_.Now());
      ASSERT_OK(tx->InsertOutbox(&e));
    }
    ASSERT_OK(tx->Commit());
  }

  std::vector<v1::OutboxEntry> All(Desk& desk) {
    absl::StatusOr<std::vector<v1::OutboxEntry>> all =
        desk.outbox().List(SystemActor(), std::nullopt, 0, 1000);
    EXPECT_OK(all.status());
    return all.ok() ? *all : std::vector<v1::OutboxEntry>();
  }

  std::string path_;
  std::unique_ptr<Store> shared_;
  std::vector<std::unique_ptr<Store>> stores_;
  std::vector<std::unique_ptr<Desk>> desks_;
  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
};

TEST_P(DeskOutboxDispatchersTest, FourDispatchersDeliverEachEntryOnce) {
  constexpr int kEntries = 120;
  constexpr int kDispatchers = 4;
  std::vector<Desk*> desks;
  for (int i = 0; i < kDispatchers; ++i) desks.push_back(&OpenDesk());
  Enqueue(*desks[0], kEntries);
  CountingAdapter adapter;
  std::vector<int> delivered(kDispatchers, 0);
  std::vector<std::thread> threads;
  const absl::Time now = clock_.Now();
  for (int i = 0; i < kDispatchers; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 200; ++round) {
        absl::StatusOr<DispatchReport> r =
            desks[i]->outbox().Dispatch({{v1::CHANNEL_EMAIL, &adapter}}, now, 3);
        ASSERT_OK(r.status());
        delivered[i] += r->delivered;
        if (r->delivered == 0) break;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::map<std::string, int> counts = adapter.counts();
  EXPECT_EQ(counts.size(), static_cast<size_t>(kEntries));
  for (const auto& [key, n] : counts) EXPECT_EQ(n, 1) << key;
  int total = 0;
  for (int n : delivered) total += n;
  EXPECT_EQ(total, kEntries);
  for (const v1::OutboxEntry& e : All(*desks[0])) {
    EXPECT_EQ(e.state(), v1::OutboxEntry::DELIVERED) << e.id();
    EXPECT_EQ(e.attempts(), 1) << e.id();
  }
}

TEST_P(DeskOutboxDispatchersTest, SlowDispatcherDoesNotMoveAnotherDispatchersClaim) {
  Desk& a = OpenDesk();
  Desk& b = OpenDesk();
  Enqueue(a, 1);
  const absl::Time t0 = clock_.Now();
  const absl::Time later = t0 + kClaim + absl::Seconds(1);
  // a claims the entry and is still delivering when its claim runs out: b
  // claims it again, fails (retryable) and schedules its retry; then a's
  // delivery fails too.
  CountingAdapter b_adapter;
  b_adapter.hook = [](const v1::OutboundMessage&) -> absl::StatusOr<DeliveryReceipt> {
    return absl::UnavailableError("b: server busy");
  };
  DispatchReport b_report;
  CountingAdapter a_adapter;
  a_adapter.hook = [&](const v1::OutboundMessage&) -> absl::StatusOr<DeliveryReceipt> {
    absl::StatusOr<DispatchReport> r =
        b.outbox().Dispatch({{v1::CHANNEL_EMAIL, &b_adapter}}, later);
    EXPECT_OK(r.status());
    if (r.ok()) b_report = *r;
    return absl::UnavailableError("a: connection reset");
  };
  ASSERT_OK_AND_ASSIGN(DispatchReport a_report,
                       a.outbox().Dispatch({{v1::CHANNEL_EMAIL, &a_adapter}}, t0));
  EXPECT_EQ(b_report.retried, 1);
  EXPECT_EQ(a_report.retried, 0);
  EXPECT_EQ(a_report.superseded, 1);
  std::vector<v1::OutboxEntry> all = All(a);
  ASSERT_EQ(all.size(), 1u);
  // b's retry stands: its attempt count and its back-off from `later`.
  EXPECT_EQ(all[0].state(), v1::OutboxEntry::PENDING);
  EXPECT_EQ(all[0].attempts(), 2);
  EXPECT_GT(FromTimestamp(all[0].next_attempt_at()), later);
  EXPECT_NE(all[0].last_error().find("b: server busy"), std::string::npos) << all[0].last_error();
  // Nobody takes it before b's retry is due.
  CountingAdapter c_adapter;
  ASSERT_OK_AND_ASSIGN(DispatchReport c,
                       a.outbox().Dispatch({{v1::CHANNEL_EMAIL, &c_adapter}}, later));
  EXPECT_EQ(c.delivered, 0);
  EXPECT_TRUE(c_adapter.counts().empty());
}

TEST_P(DeskOutboxDispatchersTest, ADeliveryStillCountsWhenTheClaimWasTakenAgain) {
  Desk& a = OpenDesk();
  Desk& b = OpenDesk();
  Enqueue(a, 1);
  const absl::Time t0 = clock_.Now();
  const absl::Time later = t0 + kClaim + absl::Seconds(1);
  // b re-claims after a's claim ran out and fails; a's delivery then
  // succeeds: the entry is DELIVERED, so nobody sends it a third time.
  CountingAdapter b_adapter;
  b_adapter.hook = [](const v1::OutboundMessage&) -> absl::StatusOr<DeliveryReceipt> {
    return absl::UnavailableError("b: server busy");
  };
  CountingAdapter a_adapter;
  a_adapter.hook = [&](const v1::OutboundMessage& m) -> absl::StatusOr<DeliveryReceipt> {
    EXPECT_OK(b.outbox().Dispatch({{v1::CHANNEL_EMAIL, &b_adapter}}, later).status());
    return DeliveryReceipt{.provider_id = m.idempotency_key()};
  };
  ASSERT_OK_AND_ASSIGN(DispatchReport r,
                       a.outbox().Dispatch({{v1::CHANNEL_EMAIL, &a_adapter}}, t0));
  EXPECT_EQ(r.delivered, 1);
  std::vector<v1::OutboxEntry> all = All(a);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state(), v1::OutboxEntry::DELIVERED);
  CountingAdapter c_adapter;
  ASSERT_OK(a.outbox()
                .Dispatch({{v1::CHANNEL_EMAIL, &c_adapter}}, later + absl::Hours(1))
                .status());
  EXPECT_TRUE(c_adapter.counts().empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskOutboxDispatchersTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("Sqlite") : std::string("Memory");
                         });

}  // namespace
}  // namespace helpdesk
