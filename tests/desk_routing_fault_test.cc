// Routing inside the Desk when the store fails: decisions and commands stay
// one transaction, and what failed leaves no routing state behind.
#include "desk_routing_fixture.h"
#include "helpdesk/store_wrapper.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Fails the commit of the n-th read-write transaction begun after arming.
class FlakyStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  void FailCommitAfter(int transactions) { countdown_ = transactions; }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok() || options.mode != TransactionMode::kReadWrite || countdown_ < 0) return tx;
    if (countdown_-- > 0) return tx;
    class Failing : public TransactionWrapper {
     public:
      using TransactionWrapper::TransactionWrapper;
      absl::Status Commit() override {
        return absl::UnavailableError("injected: disk went away");
      }
    };
    return std::unique_ptr<Transaction>(new Failing(*std::move(tx)));
  }

 private:
  int countdown_ = -1;
};

// Counts the transactions begun and committed through it.
class CountingStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  int read_write = 0, read_only = 0, commits = 0;

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx;
    ++(options.mode == TransactionMode::kReadWrite ? read_write : read_only);
    class Counted : public TransactionWrapper {
     public:
      Counted(std::unique_ptr<Transaction> base, int* commits)
          : TransactionWrapper(std::move(base)), commits_(commits) {}
      absl::Status Commit() override {
        ++*commits_;
        return TransactionWrapper::Commit();
      }

     private:
      int* commits_;
    };
    return std::unique_ptr<Transaction>(new Counted(*std::move(tx), &commits));
  }
  void Reset() { read_write = read_only = commits = 0; }
};

// Fails, once armed, every UpdateTicket that assigns a ticket to an agent:
// the write of a routing decision.
class FailingAssignmentStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  bool armed = false;

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx;
    class Failing : public TransactionWrapper {
     public:
      Failing(std::unique_ptr<Transaction> base, const bool* armed)
          : TransactionWrapper(std::move(base)), armed_(armed) {}
      absl::Status UpdateTicket(v1::Ticket* ticket, int64_t expected_version) override {
        if (*armed_ && ticket->assignee_id() != 0) {
          return absl::UnavailableError("injected: disk went away");
        }
        return TransactionWrapper::UpdateTicket(ticket, expected_version);
      }

     private:
      const bool* armed_;
    };
    return std::unique_ptr<Transaction>(new Failing(*std::move(tx), &armed));
  }
};

class DeskRoutingFaultTest : public DeskRoutingTest {
 protected:
  // Opens the desk over `store` (a wrapper of store_) with Ana online,
  // taking up to 5 API tickets, and the customer Cy.
  void OpenOver(Store* store) {
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store,
                                            .clock = &clock_,
                                            .routing = RoutingOptions()}));
    ana_ = AddOnlineAgent("Ana", "ana@x.example");
    ASSERT_OK_AND_ASSIGN(v1::Contact cy, desk_->people().CreateContact(
                                             SystemActor(), {.name = "Cy",
                                                             .emails = {"cy@x.example"}}));
    customer_ = cy.id();
  }

  int64_t AddOnlineAgent(const std::string& name, const std::string& email) {
    v1::ChannelCapacity api;
    api.set_channel(v1::CHANNEL_API);
    api.set_max_items(5);
    absl::StatusOr<v1::Agent> a = desk_->people().CreateAgent(
        SystemActor(), {.name = name, .email = email, .capacity = {api}});
    EXPECT_OK(a.status());
    if (!a.ok()) return 0;
    EXPECT_OK(desk_->people()
                  .SetAgentPresence(SystemActor(), a->id(), v1::PRESENCE_ONLINE)
                  .status());
    return a->id();
  }

  absl::StatusOr<v1::Ticket> Create(const std::string& subject) {
    clock_.Advance(absl::Seconds(1));
    return desk_->tickets().Create(SystemActor(),
                                   {.subject = subject, .requester_id = customer_});
  }

  // Every ticket in the store, read past the desk.
  std::vector<v1::Ticket> Stored() {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = store_->Begin(TransactionMode::kReadOnly);
    EXPECT_OK(tx.status());
    if (!tx.ok()) return {};
    absl::StatusOr<TicketPage> page = (*tx)->QueryTickets(TicketQuery());
    EXPECT_OK(page.status());
    return page.ok() ? page->tickets : std::vector<v1::Ticket>();
  }

  // The routing state holds no ticket: nothing queued, assigned or loaded.
  void ExpectNoRoutingState() {
    ASSERT_OK_AND_ASSIGN(RoutingSnapshot snap, desk_->routing().State(SystemActor()));
    EXPECT_THAT(snap.queued, IsEmpty());
    EXPECT_EQ(snap.assigned, 0);
    EXPECT_THAT(snap.load, IsEmpty());
  }

  // A ticket created now goes to Ana, once, and the state says so.
  void ExpectNextCreateGoesToAna() {
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, Create("again"));
    EXPECT_EQ(t.assignee_id(), ana_);
    EXPECT_EQ(Get(t.id()).assignee_id(), ana_);
    EXPECT_THAT(OfKind(Log(t.id()), v1::Event::ROUTED), SizeIs(1));
    ASSERT_OK_AND_ASSIGN(RoutingSnapshot snap, desk_->routing().State(SystemActor()));
    EXPECT_EQ(snap.assigned, 1);
    ASSERT_THAT(snap.load, SizeIs(1));
    EXPECT_EQ(snap.load[0].agent_id, ana_);
    EXPECT_EQ(snap.load[0].items, 1);
  }
};

// Decisions made apart from a command (after a decline, by Tick) commit on
// their own: when that commit fails, the decline stands and Tick places the
// ticket from the store.
TEST_P(DeskRoutingFaultTest, AFailedDecisionWriteIsRetriedFromTheStoreByTick) {
  FlakyStore flaky(store_.get());
  OpenOver(&flaky);
  bo_ = AddOnlineAgent("Bo", "bo@x.example");
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, Create("s"));
  const int64_t first = t.assignee_id();
  ASSERT_NE(first, 0);
  const int64_t other = first == ana_ ? bo_ : ana_;
  // The decline commits; the decision giving the ticket to the other agent
  // (its own transaction, the next one) fails.
  flaky.FailCommitAfter(1);
  ASSERT_OK_AND_ASSIGN(v1::Ticket declined,
                       desk_->routing().Decline(AgentActor(first), t.id()));
  EXPECT_EQ(declined.assignee_id(), 0);
  EXPECT_EQ(Get(t.id()).assignee_id(), 0);
  // The policy had counted the ticket as the other agent's; Tick rebuilds
  // from the store and places it for real.
  ASSERT_OK_AND_ASSIGN(TickReport report, desk_->Tick(clock_.Now()));
  EXPECT_EQ(report.routed, 1);
  EXPECT_EQ(Get(t.id()).assignee_id(), other);
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::ROUTED), SizeIs(2));
}

// A create on a routing desk is placed in its own transaction: one
// read-write transaction, one commit, and no read to show the assignee.
TEST_P(DeskRoutingFaultTest, ARoutedCreateIsOneTransaction) {
  CountingStore counting(store_.get());
  OpenOver(&counting);
  counting.Reset();
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, Create("s"));
  EXPECT_EQ(counting.read_write, 1);
  EXPECT_EQ(counting.commits, 1);
  EXPECT_EQ(counting.read_only, 0);
  EXPECT_EQ(t.assignee_id(), ana_);
  // What Create returned is what the store holds.
  v1::Ticket stored = Get(t.id());
  EXPECT_EQ(t.SerializeAsString(), stored.SerializeAsString())
      << "returned:\n" << t.DebugString() << "stored:\n" << stored.DebugString();
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::ROUTED), SizeIs(1));
  // An agent coming online takes the queued work in the same transaction.
  ASSERT_OK(desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_OFFLINE).status());
  ASSERT_OK_AND_ASSIGN(v1::Ticket u, Create("u"));
  ASSERT_EQ(u.assignee_id(), 0);
  counting.Reset();
  ASSERT_OK(desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_ONLINE).status());
  EXPECT_EQ(counting.read_write, 1);
  EXPECT_EQ(counting.commits, 1);
  EXPECT_EQ(Get(u.id()).assignee_id(), ana_);
}

// The commit of a create fails after routing placed the ticket inside it:
// nothing is stored, and the routing state (rebuilt from the store) claims
// no assignment; the next ticket is placed as if nothing had happened.
TEST_P(DeskRoutingFaultTest, ARoutedCreateWhoseCommitFailsLeavesNoAssignment) {
  FlakyStore flaky(store_.get());
  OpenOver(&flaky);
  flaky.FailCommitAfter(0);
  EXPECT_THAT(Create("lost"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Stored(), IsEmpty());
  ExpectNoRoutingState();
  ExpectNextCreateGoesToAna();
}

// A command that fails (here the second ticket of a batch) routes nothing,
// though the policy would have placed its first ticket.
TEST_P(DeskRoutingFaultTest, AFailedCommandRoutesNothing) {
  OpenOver(store_.get());
  std::vector<helpdesk::NewTicket> batch = {
      {.subject = "fine", .requester_id = customer_},
      {.subject = "", .requester_id = customer_}};
  EXPECT_THAT(desk_->tickets().CreateMany(SystemActor(), batch),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Stored(), IsEmpty());
  ExpectNoRoutingState();
  ExpectNextCreateGoesToAna();
}

// The store fails writing the assignment inside the command's transaction:
// the command fails as a whole (as it would for any of its writes) and the
// routing state claims nothing.
TEST_P(DeskRoutingFaultTest, AFailedAssignmentWriteFailsTheCommandAndLeavesNoState) {
  FailingAssignmentStore failing(store_.get());
  OpenOver(&failing);
  failing.armed = true;
  EXPECT_THAT(Create("lost"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Stored(), IsEmpty());
  ExpectNoRoutingState();
  failing.armed = false;
  ExpectNextCreateGoesToAna();
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskRoutingFaultTest, ::testing::Bool(), StoreParamName);

}  // namespace
}  // namespace helpdesk
