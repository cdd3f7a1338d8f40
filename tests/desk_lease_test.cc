// The desk lease (issue 17, DeskOptions::lease): two Desks on one store play
// two processes (SQLite: two SqliteStores on one file, as two processes
// would open it; PostgreSQL, with $HELPDESK_TEST_POSTGRES: two PostgresStores
// on one fresh schema; memory: one store). Only the holder routes and ticks; the
// other says so; the lease moves when its holder stops renewing and the new
// holder rebuilds from the store; a holder paused past its ttl whose lease
// was taken has its routing write refused (fencing); a desk without a lease
// configured keeps working alone.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/testing/status_matchers.h"
#ifdef HELPDESK_TEST_WITH_POSTGRES
#include "postgres_test_support.h"
#endif

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;

constexpr absl::Duration kTtl = absl::Seconds(30);

// Counts the ticket queries that read every new or open ticket (what a
// rebuild of the routing mirror runs).
class CountingTransaction : public TransactionWrapper {
 public:
  CountingTransaction(std::unique_ptr<Transaction> base, int* rebuild_reads)
      : TransactionWrapper(std::move(base)), rebuild_reads_(rebuild_reads) {}
  absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& query) override {
    if (query.status_categories.size() == 2) ++*rebuild_reads_;
    return TransactionWrapper::QueryTickets(query);
  }

 private:
  int* rebuild_reads_;
};

// Runs `hook` once, at the first read-write Begin after it was armed: the
// process "pauses" there while another takes the lease. Counts the reads of
// a routing rebuild.
class PausingStore : public StoreWrapper {
 public:
  explicit PausingStore(Store* base) : StoreWrapper(base) {}
  void Arm(std::function<void()> hook) { hook_ = std::move(hook); }
  int rebuild_reads() const { return rebuild_reads_; }
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    if (options.mode == TransactionMode::kReadWrite && hook_) {
      std::function<void()> hook = std::move(hook_);
      hook_ = nullptr;
      hook();
    }
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx;
    return std::make_unique<CountingTransaction>(*std::move(tx), &rebuild_reads_);
  }

 private:
  std::function<void()> hook_;
  int rebuild_reads_ = 0;
};

class DeskLeaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "Postgres") {
#ifdef HELPDESK_TEST_WITH_POSTGRES
      if (!testing::RequireTestPostgres()) {
        if (HasFailure()) FAIL() << "no PostgreSQL server in CI";
        return;
      }
      PostgresStoreOptions options;
      options.schema = testing::FreshSchemaName("hdlease");
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> a,
                           OpenPostgresStore(testing::TestPostgresUrl(), options));
      store_a_ = std::make_unique<testing::TemporarySchemaStore>(std::move(a), options.schema);
      ASSERT_OK_AND_ASSIGN(store_b_, OpenPostgresStore(testing::TestPostgresUrl(), options));
#else
      GTEST_SKIP() << "built without PostgreSQL (HELPDESK_WITH_POSTGRES)";
#endif
    } else if (GetParam() == "Sqlite") {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      path_ = ::testing::TempDir() + "/desk_lease_" + name + ".db";
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
      ASSERT_OK_AND_ASSIGN(store_a_, OpenSqliteStore(path_));
      ASSERT_OK_AND_ASSIGN(store_b_, OpenSqliteStore(path_));
    } else {
      store_a_ = NewMemoryStore();
    }
    pausing_ = std::make_unique<PausingStore>(store_a_.get());
  }

  Store* StoreB() { return store_b_ ? store_b_.get() : store_a_.get(); }

  std::unique_ptr<Desk> OpenDesk(Store* store, const std::string& holder) {
    DeskOptions o{.store = store, .clock = &clock_, .routing = RoutingOptions{}};
    if (!holder.empty()) o.lease = DeskLeaseOptions{.holder = holder, .ttl = kTtl};
    absl::StatusOr<std::unique_ptr<Desk>> d = Desk::Open(std::move(o));
    EXPECT_OK(d.status());
    return d.ok() ? *std::move(d) : nullptr;
  }

  // Desk a (through the pausing store) and desk b; a group, agent Ana
  // (offline, two e-mails at once) and a customer, made through b.
  void OpenBoth() {
    a_ = OpenDesk(pausing_.get(), "process-a");
    ASSERT_NE(a_, nullptr);
    // a takes the lease first.
    ASSERT_OK_AND_ASSIGN(TickReport first, a_->Tick(clock_.Now()));
    ASSERT_TRUE(first.lease_held);
    b_ = OpenDesk(StoreB(), "process-b");
    ASSERT_NE(b_, nullptr);
    ASSERT_OK_AND_ASSIGN(v1::Group g, b_->people().CreateGroup(SystemActor(), "Support"));
    group_ = g.id();
    v1::ChannelCapacity cap;
    cap.set_channel(v1::CHANNEL_EMAIL);
    cap.set_max_items(2);
    ASSERT_OK_AND_ASSIGN(v1::Agent ana,
                         b_->people().CreateAgent(SystemActor(), {.name = "Ana",
                                                                  .email = "ana@x.example",
                                                                  .group_ids = {group_},
                                                                  .capacity = {cap}}));
    ana_ = ana.id();
    ASSERT_OK_AND_ASSIGN(v1::Contact c, b_->people().CreateContact(
                                            SystemActor(), {.name = "Cy",
                                                            .emails = {"cy@x.example"}}));
    customer_ = c.id();
  }

  v1::Ticket NewTicket(Desk& desk, const std::string& subject) {
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<v1::Ticket> t =
        desk.tickets().Create(SystemActor(), {.subject = subject,
                                              .requester_id = customer_,
                                              .description = "please help",
                                              .group_id = group_,
                                              .channel = v1::CHANNEL_EMAIL});
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  int64_t AssigneeOf(int64_t id) {
    absl::StatusOr<v1::Ticket> t = b_->tickets().Get(SystemActor(), id);
    EXPECT_OK(t.status());
    return t.ok() ? t->assignee_id() : -1;
  }

  std::string path_;
  std::unique_ptr<Store> store_a_, store_b_;
  std::unique_ptr<PausingStore> pausing_;
  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Desk> a_, b_;
  int64_t group_ = 0, ana_ = 0, customer_ = 0;
};

TEST_P(DeskLeaseTest, OnlyTheHolderRoutesAndTicksAndTheOtherSaysSo) {
  OpenBoth();
  ASSERT_OK_AND_ASSIGN(TickReport ra, a_->Tick(clock_.Now()));
  EXPECT_TRUE(ra.lease_held);
  EXPECT_EQ(ra.lease_holder, "process-a");
  ASSERT_OK_AND_ASSIGN(TickReport rb, b_->Tick(clock_.Now()));
  EXPECT_FALSE(rb.lease_held);
  EXPECT_EQ(rb.lease_holder, "process-a");

  // Ana comes online and a ticket arrives, both through b: b does not route.
  ASSERT_OK(b_->people().SetAgentPresence(AgentActor(ana_), ana_, v1::PRESENCE_ONLINE).status());
  const v1::Ticket t = NewTicket(*b_, "VPN drops");
  EXPECT_EQ(t.assignee_id(), 0);
  // b's pulls go to the holder too.
  EXPECT_THAT(b_->routing().NextTicketFor(AgentActor(ana_), ana_),
              StatusIs(absl::StatusCode::kUnavailable));
  // The holder catches up from the store at its Tick and places it.
  ASSERT_OK_AND_ASSIGN(ra, a_->Tick(clock_.Now()));
  EXPECT_TRUE(ra.lease_held);
  EXPECT_EQ(ra.routed, 1);
  EXPECT_EQ(AssigneeOf(t.id()), ana_);
  // A ticket made through the holder is routed in its own command.
  const v1::Ticket u = NewTicket(*a_, "printer");
  EXPECT_EQ(u.assignee_id(), ana_);
}

// The holder reads on from the event feed at each Tick (what other
// processes wrote since), never rebuilding: after a seeded run of writes
// through b (tickets created, solved, reopened, reassigned, merged; agents'
// presence and capacity), its routing state equals a mirror rebuilt from
// the store, and it placed every ticket there was room for.
TEST_P(DeskLeaseTest, HolderCatchesUpWithOtherProcessesWithoutRebuilding) {
  OpenBoth();
  ASSERT_OK_AND_ASSIGN(v1::Agent bo, b_->people().CreateAgent(
                                         SystemActor(), {.name = "Bo",
                                                         .email = "bo@x.example",
                                                         .group_ids = {group_},
                                                         .capacity = {}}));
  ASSERT_OK(b_->people().SetAgentPresence(AgentActor(ana_), ana_, v1::PRESENCE_ONLINE).status());
  ASSERT_OK_AND_ASSIGN(TickReport ra, a_->Tick(clock_.Now()));
  ASSERT_TRUE(ra.lease_held);
  const int rebuilds = pausing_->rebuild_reads();

  // Routing state as a desk opened now (a rebuild from the store) sees it.
  auto state_of = [&](Desk& desk) {
    absl::StatusOr<RoutingSnapshot> s = desk.routing().State(SystemActor());
    EXPECT_OK(s.status());
    std::vector<std::string> out;
    if (!s.ok()) return out;
    for (const auto& [id, since] : s->queued) out.push_back(absl::StrCat("queued ", id));
    for (const RoutingSnapshot::Load& l : s->load) {
      if (l.items > 0) out.push_back(absl::StrCat("agent ", l.agent_id, ": ", l.items));
    }
    out.push_back(absl::StrCat("assigned ", s->assigned));
    return out;
  };
  std::mt19937 rng(20261207);
  std::vector<int64_t> tickets;
  int merges = 0;
  for (int step = 0; step < 60; ++step) {
    const int what = std::uniform_int_distribution<int>(0, 9)(rng);
    if (what <= 3 || tickets.size() < 2) {
      tickets.push_back(NewTicket(*b_, absl::StrCat("ticket ", step)).id());
    } else if (what <= 5) {
      const int64_t id = tickets[rng() % tickets.size()];
      const std::string status = what == 4 ? "solved" : "open";
      (void)b_->tickets().Update(SystemActor(), id, {.status = status});
    } else if (what == 6) {
      const int64_t id = tickets[rng() % tickets.size()];
      const int64_t to = rng() % 2 == 0 ? int64_t{0} : (rng() % 2 == 0 ? ana_ : bo.id());
      (void)b_->tickets().Update(SystemActor(), id, {.assignee_id = to});
    } else if (what == 7) {
      const v1::Presence p = rng() % 3 == 0 ? v1::PRESENCE_OFFLINE : v1::PRESENCE_ONLINE;
      const int64_t who = rng() % 2 == 0 ? ana_ : bo.id();
      ASSERT_OK(b_->people().SetAgentPresence(AgentActor(who), who, p).status());
    } else if (what == 8) {
      v1::ChannelCapacity cap;
      cap.set_channel(v1::CHANNEL_EMAIL);
      cap.set_max_items(static_cast<int32_t>(rng() % 4));
      ASSERT_OK(b_->people()
                    .UpdateAgent(SystemActor(), bo.id(),
                                 {.capacity = std::vector<v1::ChannelCapacity>{cap}})
                    .status());
    } else {
      const int64_t source = tickets[rng() % tickets.size()];
      const int64_t target = tickets[rng() % tickets.size()];
      if (source != target && b_->tickets().Merge(SystemActor(), source, target).ok()) ++merges;
    }
    if (step % 3 == 2) {
      clock_.Advance(absl::Seconds(1));
      ASSERT_OK_AND_ASSIGN(ra, a_->Tick(clock_.Now()));
      ASSERT_TRUE(ra.lease_held);
      std::unique_ptr<Desk> fresh = OpenDesk(StoreB(), "");
      ASSERT_NE(fresh, nullptr);
      EXPECT_EQ(state_of(*a_), state_of(*fresh)) << "after step " << step;
    }
  }
  EXPECT_GT(merges, 0);
  EXPECT_EQ(pausing_->rebuild_reads(), rebuilds) << "the holder rebuilt instead of reading on";
}

// NextDue includes the lease, so a Runner (helpdesk serve) that has nothing
// else to do still renews it, and a waiting one tries when it runs out.
TEST_P(DeskLeaseTest, NextDueWakesTheHolderToRenewAndTheOtherToTakeOver) {
  OpenBoth();  // a took the lease now
  const absl::Time taken = clock_.Now();
  ASSERT_OK_AND_ASSIGN(absl::Time due_a, a_->NextDue());
  EXPECT_LE(due_a, taken + kTtl / 3 + absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(TickReport rb, b_->Tick(clock_.Now()));
  ASSERT_FALSE(rb.lease_held);
  ASSERT_OK_AND_ASSIGN(absl::Time due_b, b_->NextDue());
  EXPECT_LE(due_b, taken + kTtl);
  // a stops renewing; b wakes at its due time, then at the expiry, and takes it.
  for (int i = 0; i < 10 && !rb.lease_held; ++i) {
    ASSERT_OK_AND_ASSIGN(due_b, b_->NextDue());
    ASSERT_LE(due_b, taken + kTtl);
    if (due_b > clock_.Now()) clock_.Advance(due_b - clock_.Now());
    ASSERT_OK_AND_ASSIGN(rb, b_->Tick(clock_.Now()));
  }
  EXPECT_TRUE(rb.lease_held);
  EXPECT_EQ(rb.lease_holder, "process-b");
  ASSERT_OK_AND_ASSIGN(TickReport ra, a_->Tick(clock_.Now()));
  EXPECT_FALSE(ra.lease_held);
  EXPECT_EQ(ra.lease_holder, "process-b");
}

TEST_P(DeskLeaseTest, LeaseMovesWhenTheHolderStopsRenewingAndTheNewHolderRebuilds) {
  OpenBoth();
  ASSERT_OK_AND_ASSIGN(TickReport ra, a_->Tick(clock_.Now()));
  ASSERT_TRUE(ra.lease_held);
  ASSERT_OK(b_->people().SetAgentPresence(AgentActor(ana_), ana_, v1::PRESENCE_ONLINE).status());
  // a goes quiet (dead, or stuck) for longer than the ttl.
  clock_.Advance(kTtl + absl::Seconds(1));
  const v1::Ticket t = NewTicket(*b_, "VPN drops");  // b takes the lease here
  EXPECT_EQ(t.assignee_id(), ana_);
  ASSERT_OK_AND_ASSIGN(TickReport rb, b_->Tick(clock_.Now()));
  EXPECT_TRUE(rb.lease_held);
  EXPECT_EQ(rb.lease_holder, "process-b");
  // a comes back: it no longer holds the lease and routes nothing.
  ASSERT_OK_AND_ASSIGN(ra, a_->Tick(clock_.Now()));
  EXPECT_FALSE(ra.lease_held);
  EXPECT_EQ(ra.lease_holder, "process-b");
  const v1::Ticket u = NewTicket(*a_, "printer");
  EXPECT_EQ(u.assignee_id(), 0);
  ASSERT_OK_AND_ASSIGN(rb, b_->Tick(clock_.Now()));
  EXPECT_EQ(rb.routed, 1);
  EXPECT_EQ(AssigneeOf(u.id()), ana_);
  // b shuts down cleanly (its Desk is destroyed): the lease is free at once.
  b_.reset();
  ASSERT_OK_AND_ASSIGN(Lease free, store_a_->AcquireLease("helpdesk.desk", "process-c", kTtl,
                                                          clock_.Now()));
  EXPECT_EQ(free.holder, "process-c");
}

TEST_P(DeskLeaseTest, PausedHolderWhoseLeaseWasTakenCannotWrite) {
  OpenBoth();
  ASSERT_OK_AND_ASSIGN(TickReport ra, a_->Tick(clock_.Now()));
  ASSERT_TRUE(ra.lease_held);
  ASSERT_OK(b_->people().SetAgentPresence(AgentActor(ana_), ana_, v1::PRESENCE_ONLINE).status());
  const v1::Ticket t = NewTicket(*b_, "VPN drops");
  ASSERT_EQ(t.assignee_id(), 0);
  // a's next Tick holds the lease when it starts, then pauses just before
  // writing the assignment, past its ttl, while b takes the lease over.
  pausing_->Arm([&] {
    clock_.Advance(kTtl + absl::Seconds(1));
    absl::StatusOr<Lease> taken =
        StoreB()->AcquireLease("helpdesk.desk", "process-b", kTtl, clock_.Now());
    ASSERT_OK(taken.status());
    ASSERT_EQ(taken->holder, "process-b");
  });
  ASSERT_OK_AND_ASSIGN(ra, a_->Tick(clock_.Now()));
  EXPECT_FALSE(ra.lease_held);
  EXPECT_EQ(ra.lease_holder, "process-b");
  EXPECT_EQ(ra.routed, 0);
  EXPECT_EQ(AssigneeOf(t.id()), 0) << "the old holder's write went through";
  // The new holder places it.
  ASSERT_OK_AND_ASSIGN(TickReport rb, b_->Tick(clock_.Now()));
  EXPECT_TRUE(rb.lease_held);
  EXPECT_EQ(rb.routed, 1);
  EXPECT_EQ(AssigneeOf(t.id()), ana_);
}

TEST_P(DeskLeaseTest, WithoutALeaseConfiguredADeskRoutesAlone) {
  a_ = OpenDesk(store_a_.get(), "");
  b_ = OpenDesk(StoreB(), "process-b");  // for the helpers only; never ticks
  ASSERT_OK_AND_ASSIGN(v1::Group g, a_->people().CreateGroup(SystemActor(), "Support"));
  group_ = g.id();
  ASSERT_OK_AND_ASSIGN(v1::Contact c, a_->people().CreateContact(
                                          SystemActor(), {.name = "Cy",
                                                          .emails = {"cy@x.example"}}));
  customer_ = c.id();
  ASSERT_OK_AND_ASSIGN(TickReport r, a_->Tick(clock_.Now()));
  EXPECT_TRUE(r.lease_held);
  EXPECT_EQ(r.lease_holder, "");
}

TEST_P(DeskLeaseTest, BadLeaseOptionsAreRefused) {
  DeskOptions o{.store = store_a_.get(), .clock = &clock_};
  o.lease = DeskLeaseOptions{};
  EXPECT_THAT(Desk::Open(o).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  o.lease = DeskLeaseOptions{.holder = "p", .ttl = absl::ZeroDuration()};
  EXPECT_THAT(Desk::Open(o).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  o.lease = DeskLeaseOptions{.holder = "p", .name = ""};
  EXPECT_THAT(Desk::Open(o).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskLeaseTest,
                         ::testing::Values("Memory", "Sqlite", "Postgres"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace helpdesk
