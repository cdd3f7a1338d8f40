// Time-based automations through Desk::Tick (issue 14): each ticket's next
// due time kept in the store on every command, automations firing at their
// exact time, once per window across repeated ticks, restarts and a reopen,
// and Tick touching only the tickets that are due.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/rules.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

constexpr char kRules[] = R"pb(
  rules {
    name: "remind pending"
    automation { since: PENDING hours: 48 }
    actions { add_internal_note: "Still waiting on the customer." }
    actions { add_tags { tags: [ "reminded" ] } }
  }
  rules {
    name: "close solved"
    automation { since: SOLVED hours: 168 }
    actions { set_status: "closed" }
  }
)pb";

// Counts the ticket reads of every transaction begun through it.
class CountingStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = base()->Begin(options);
    if (!tx.ok()) return tx.status();
    return std::unique_ptr<Transaction>(new Counting(*std::move(tx), &reads));
  }
  std::atomic<int64_t> reads{0};

 private:
  class Counting final : public TransactionWrapper {
   public:
    Counting(std::unique_ptr<Transaction> base, std::atomic<int64_t>* reads)
        : TransactionWrapper(std::move(base)), reads_(reads) {}
    absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
      ++*reads_;
      return TransactionWrapper::GetTicket(id);
    }
    absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& q) override {
      ++*reads_;
      return TransactionWrapper::QueryTickets(q);
    }

   private:
    std::atomic<int64_t>* reads_;
  };
};

class DeskAutomationTickTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      ASSERT_OK_AND_ASSIGN(base_, OpenSqliteStore(":memory:"));
    } else {
      base_ = NewMemoryStore();
    }
    store_ = std::make_unique<CountingStore>(base_.get());
    Open();
    ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                         desk_->people().CreateContact(
                             SystemActor(), {.name = "Ada", .emails = {"ada@x.example"}}));
    ada_ = ada.id();
  }

  void Open() {
    desk_.reset();
    ASSERT_OK_AND_ASSIGN(RuleSet rules, RuleSet::FromText(kRules, Workflow::Default(), {}));
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    o.rules = std::make_shared<const RuleSet>(std::move(rules));
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
  }

  int64_t NewTicket() {
    auto t = desk_->tickets().Create(SystemActor(), {.subject = "Printer",
                                                     .requester_id = ada_,
                                                     .description = "Broken"});
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->id() : 0;
  }

  void SetStatus(int64_t id, const std::string& status) {
    ASSERT_OK(desk_->tickets().Update(SystemActor(), id, {.status = status}).status());
  }

  int Fired(int64_t id, const std::string& rule) {
    auto log = desk_->tickets().AuditLog(SystemActor(), id);
    EXPECT_TRUE(log.ok());
    int n = 0;
    for (const v1::Event& e : *log) {
      if (e.rule() == rule && e.kind() == v1::Event::MESSAGE_ADDED) ++n;
    }
    return n;
  }

  TickReport TickAt(absl::Time t) {
    clock_.Set(t);
    auto r = desk_->Tick(t);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : TickReport();
  }

  const absl::Time t0_ = absl::FromUnixSeconds(1767945600);  // 2026-01-09 08:00 UTC
  ManualClock clock_{t0_};
  std::unique_ptr<Store> base_;
  std::unique_ptr<CountingStore> store_;
  std::unique_ptr<Desk> desk_;
  int64_t ada_ = 0;
};

TEST_P(DeskAutomationTickTest, FiresAtItsExactTimeOncePerWindow) {
  int64_t id = NewTicket();
  SetStatus(id, "pending");
  const absl::Time due = t0_ + absl::Hours(48);
  // A second early: nothing.
  TickReport r = TickAt(due - absl::Seconds(1));
  EXPECT_EQ(r.automations_evaluated, 0);
  EXPECT_EQ(Fired(id, "remind pending"), 0);
  // At the exact time: once.
  r = TickAt(due);
  EXPECT_EQ(r.automations_evaluated, 1);
  EXPECT_EQ(r.automations_fired, 1);
  EXPECT_EQ(Fired(id, "remind pending"), 1);
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), id));
  EXPECT_THAT(t.tags(), ::testing::Contains("reminded"));
  // Repeated ticks, and a restart of the desk: never again in this window.
  TickAt(due);
  TickAt(due + absl::Hours(100));
  Open();
  r = TickAt(due + absl::Hours(200));
  EXPECT_EQ(r.automations_fired, 0);
  EXPECT_EQ(Fired(id, "remind pending"), 1);
  // The customer answers (reopens), the agent sets pending again: a new
  // window, which fires once more, 48 hours after it opened.
  const absl::Time again = due + absl::Hours(300);
  clock_.Set(again);
  ASSERT_OK(desk_->tickets()
                .AddMessage(ContactActor(ada_), id,
                            {.kind = v1::Message::CUSTOMER_MESSAGE, .body_text = "Here"})
                .status());
  SetStatus(id, "pending");
  r = TickAt(again + absl::Hours(47));
  EXPECT_EQ(r.automations_fired, 0);
  r = TickAt(again + absl::Hours(48));
  EXPECT_EQ(r.automations_fired, 1);
  EXPECT_EQ(Fired(id, "remind pending"), 2);
}

TEST_P(DeskAutomationTickTest, CloseAfterSevenDaysSolved) {
  int64_t id = NewTicket();
  ASSERT_OK_AND_ASSIGN(v1::Agent bob,
                       desk_->people().CreateAgent(
                           SystemActor(), {.name = "Bob", .email = "bob@x.example"}));
  ASSERT_OK(
      desk_->tickets().Update(SystemActor(), id, {.assignee_id = bob.id()}).status());
  SetStatus(id, "solved");
  TickAt(t0_ + absl::Hours(167));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), id));
  EXPECT_EQ(t.status(), "solved");
  TickReport r = TickAt(t0_ + absl::Hours(168));
  EXPECT_EQ(r.automations_fired, 1);
  ASSERT_OK_AND_ASSIGN(t, desk_->tickets().Get(SystemActor(), id));
  EXPECT_EQ(t.status(), "closed");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> log,
                       desk_->tickets().AuditLog(SystemActor(), id));
  EXPECT_EQ(log.back().rule(), "close solved");
  EXPECT_EQ(log.back().kind(), v1::Event::FIELDS_CHANGED);
  // A closed ticket has nothing due.
  r = TickAt(t0_ + absl::Hours(1000));
  EXPECT_EQ(r.automations_evaluated, 0);
}

TEST_P(DeskAutomationTickTest, TickTouchesOnlyDueTickets) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(NewTicket());
  // Only ticket 7 waits on the customer.
  SetStatus(ids[7], "pending");
  store_->reads = 0;
  TickReport r = TickAt(t0_ + absl::Hours(1));
  EXPECT_EQ(r.automations_evaluated, 0);
  EXPECT_EQ(store_->reads.load(), 0);  // nothing due: no ticket read at all
  r = TickAt(t0_ + absl::Hours(48));
  EXPECT_EQ(r.automations_evaluated, 1);
  EXPECT_EQ(r.automations_fired, 1);
  // A handful of reads for the one due ticket, not one per ticket held.
  EXPECT_LT(store_->reads.load(), 30);
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskAutomationTickTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace helpdesk
