// DeskCore::EnqueueAgentNotification, the internal entry point rules use to
// tell agents about a ticket: one automatic e-mail per agent, never to a
// deactivated agent or the agent who acted, from the ticket's desk address.
// Drives the Desk's internal core directly (a static build only).
#include <memory>
#include <string>
#include <vector>

#include "desk/desk_impl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class AgentNotificationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    o.ingest.desk_email = "support@desk.example";
    o.ingest.desk_addresses = {{.email = "billing@desk.example", .name = "Billing"}};
    core_ = std::make_unique<DeskCore>(std::move(o));
    ASSERT_OK(core_->Init());
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
    for (const char* name : {"Ana", "Bob", "Cy"}) {
      ASSERT_OK_AND_ASSIGN(
          v1::Agent a,
          desk_->people().CreateAgent(
              SystemActor(), {.name = name, .email = absl::StrCat(name, "@desk.example")}));
      agents_.push_back(a.id());
    }
    ASSERT_OK_AND_ASSIGN(v1::Agent gone,
                         desk_->people().CreateAgent(
                             SystemActor(), {.name = "Gone", .email = "gone@desk.example"}));
    ASSERT_OK(desk_->people().UpdateAgent(SystemActor(), gone.id(), {.deactivated = true}).status());
    gone_ = gone.id();
    ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                         desk_->tickets().Create(SystemActor(),
                                                 {.subject = "Printer on fire",
                                                  .requester_email = "ada@example.com",
                                                  .description = "Help"}));
    ticket_ = t;
  }

  absl::StatusOr<int> Notify(const std::vector<int64_t>& ids, const v1::Actor& actor,
                             DeskCore::RenderedParts parts) {
    return core_->Run(TransactionMode::kReadWrite,
                      [&](Transaction& tx) -> absl::StatusOr<int> {
                        HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_.id()));
                        return core_->EnqueueAgentNotification(tx, t, ids, actor, parts,
                                                               clock_.Now());
                      });
  }

  std::vector<v1::OutboundMessage> Sent() {
    std::vector<v1::OutboundMessage> out;
    absl::StatusOr<std::vector<v1::OutboxEntry>> all =
        desk_->outbox().List(SystemActor(), std::nullopt, 0, 100);
    EXPECT_THAT(all, testing::IsOk());
    if (all.ok()) {
      for (const v1::OutboxEntry& e : *all) out.push_back(e.message());
    }
    return out;
  }

  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Store> store_ = NewMemoryStore();
  std::unique_ptr<DeskCore> core_;
  std::unique_ptr<Desk> desk_;
  std::vector<int64_t> agents_;
  int64_t gone_ = 0;
  v1::Ticket ticket_;
};

TEST_F(AgentNotificationTest, EachAgentGetsOneMailButNotTheActorNorTheDeactivated) {
  ASSERT_OK_AND_ASSIGN(
      int written,
      Notify({agents_[0], agents_[1], agents_[1], gone_, agents_[2]}, AgentActor(agents_[2]),
             {.text = "The customer answered.", .html = "<p>The customer answered.</p>"}));
  EXPECT_EQ(written, 2);
  std::vector<v1::OutboundMessage> sent = Sent();
  ASSERT_THAT(sent, SizeIs(2));
  std::vector<std::string> to;
  for (const v1::OutboundMessage& m : sent) {
    ASSERT_THAT(m.to(), SizeIs(1));
    to.push_back(m.to(0).email());
    EXPECT_EQ(m.channel(), v1::CHANNEL_EMAIL);
    EXPECT_TRUE(m.automatic());
    EXPECT_EQ(m.from().email(), "support@desk.example");
    EXPECT_EQ(m.subject(), absl::StrCat("[#", ticket_.id(), "] Printer on fire"));
    EXPECT_EQ(m.body_text(), "The customer answered.");
    EXPECT_EQ(m.body_html(), "<p>The customer answered.</p>");
    EXPECT_EQ(m.ticket_id(), ticket_.id());
    EXPECT_THAT(m.cc(), IsEmpty());  // nobody learns who else was told
  }
  EXPECT_THAT(to, ElementsAre("ana@desk.example", "bob@desk.example"));
  EXPECT_NE(sent[0].idempotency_key(), sent[1].idempotency_key());
}

TEST_F(AgentNotificationTest, TheSystemActorIsNobodyToSkip) {
  ASSERT_OK_AND_ASSIGN(int written,
                       Notify({agents_[0]}, SystemActor(), {.subject = "Pending 2 days"}));
  EXPECT_EQ(written, 1);
  ASSERT_THAT(Sent(), SizeIs(1));
  EXPECT_EQ(Sent()[0].subject(), "Pending 2 days");
}

TEST_F(AgentNotificationTest, DifferentNotificationsHaveDifferentKeys) {
  ASSERT_OK(Notify({agents_[0]}, SystemActor(), {.text = "one"}).status());
  ASSERT_OK(Notify({agents_[0]}, SystemActor(), {.text = "two"}).status());
  std::vector<v1::OutboundMessage> sent = Sent();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_NE(sent[0].idempotency_key(), sent[1].idempotency_key());
}

TEST_F(AgentNotificationTest, AnUnknownAgentIsNotFoundAndWritesNothing) {
  EXPECT_THAT(Notify({agents_[0], 9999}, SystemActor(), {.text = "x"}),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("9999")));
  EXPECT_THAT(Sent(), IsEmpty());  // the transaction rolled back
}

TEST_F(AgentNotificationTest, ADeskWithoutAddressesWritesNothing) {
  core_ = std::make_unique<DeskCore>(DeskOptions{.store = store_.get(), .clock = &clock_});
  ASSERT_OK(core_->Init());
  ASSERT_OK_AND_ASSIGN(int written, Notify({agents_[0]}, SystemActor(), {.text = "x"}));
  EXPECT_EQ(written, 0);
  EXPECT_THAT(Sent(), IsEmpty());
}

}  // namespace
}  // namespace helpdesk
