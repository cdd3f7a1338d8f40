// The Desk consults the access component (helpdesk/access.h) in its
// sub-facades: a few answers of the spec in access_test.cc, seen through the
// commands and queries that ask them.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class DeskAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryStore();
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
    const v1::Actor system = SystemActor();
    ASSERT_OK_AND_ASSIGN(v1::Group support, desk_->people().CreateGroup(system, "Support"));
    ASSERT_OK_AND_ASSIGN(v1::Group billing, desk_->people().CreateGroup(system, "Billing"));
    support_ = support.id();
    billing_ = billing.id();
    ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(
                                            system, {.name = "Bob",
                                                     .email = "bob@desk.example",
                                                     .group_ids = {support_}}));
    bob_ = AgentActor(bob.id());
    ASSERT_OK_AND_ASSIGN(v1::Agent carla,
                         desk_->people().CreateAgent(system,
                                                     {.name = "Carla",
                                                      .email = "carla@desk.example",
                                                      .ticket_access = v1::Agent::GROUPS,
                                                      .group_ids = {billing_}}));
    carla_ = AgentActor(carla.id());
    ASSERT_OK_AND_ASSIGN(v1::Agent lee,
                         desk_->people().CreateAgent(system,
                                                     {.name = "Lee",
                                                      .email = "lee@desk.example",
                                                      .role = v1::Agent::LIGHT_AGENT}));
    lee_ = AgentActor(lee.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact ada, desk_->people().CreateContact(
                                              system, {.name = "Ada",
                                                       .emails = {"ada@example.com"}}));
    ada_ = ContactActor(ada.id());
  }

  v1::Ticket Make(NewTicket t) {
    if (t.requester_id == 0) t.requester_id = ada_.id();
    if (t.description.empty()) t.description = "Since Monday.";
    absl::StatusOr<v1::Ticket> r = desk_->tickets().Create(bob_, t);
    EXPECT_OK(r.status());
    return r.ok() ? *r : v1::Ticket();
  }

  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  int64_t support_ = 0;
  int64_t billing_ = 0;
  v1::Actor bob_, carla_, lee_, ada_;
};

TEST_F(DeskAccessTest, LightAgentReadsAndNotesButChangesNothing) {
  v1::Ticket t = Make({.subject = "VPN"});
  v1::Ticket other = Make({.subject = "Mail"});
  EXPECT_THAT(desk_->tickets().Get(lee_, t.id()), IsOk());
  EXPECT_THAT(desk_->tickets().AuditLog(lee_, t.id()), IsOk());
  EXPECT_THAT(desk_->tickets().AddMessage(
                  lee_, t.id(), {.kind = v1::Message::INTERNAL_NOTE, .body_text = "FYI"}),
              IsOk());
  EXPECT_THAT(desk_->tickets().Update(lee_, t.id(), {.add_tags = {"vpn"}}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("light agent")));
  EXPECT_THAT(desk_->tickets().Update(lee_, t.id(), {.assignee_id = lee_.id()}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Link(lee_, t.id(), v1::TicketLink::RELATED, other.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Merge(lee_, t.id(), other.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().CreateContact(lee_, {.name = "Zed"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Create(lee_, {.subject = "x", .requester_id = ada_.id()}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(DeskAccessTest, CustomerViewHasNoInternalNotesNorTheirAttachments) {
  v1::Ticket t = Make({.subject = "VPN"});
  ASSERT_OK_AND_ASSIGN(
      v1::Message note,
      desk_->tickets().AddMessage(
          bob_, t.id(),
          {.kind = v1::Message::INTERNAL_NOTE,
           .body_text = "see the log",
           .attachments = {{.file_name = "log.txt", .content = "secret"}}}));
  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(ada_, t.id()));
  for (const v1::Message& m : view.messages) {
    EXPECT_NE(m.kind(), v1::Message::INTERNAL_NOTE);
  }
  ASSERT_OK_AND_ASSIGN(TicketView staff_view, desk_->tickets().View(bob_, t.id()));
  EXPECT_THAT(staff_view.messages, SizeIs(view.messages.size() + 1));
  const std::string sha = note.attachments(0).sha256();
  EXPECT_THAT(desk_->tickets().AttachmentContent(ada_, note.id(), sha),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().AttachmentContent(lee_, note.id(), sha), IsOk());
}

TEST_F(DeskAccessTest, GroupScopedAgentQueriesOnlyWhatTheyMaySee) {
  v1::Ticket billing = Make({.subject = "Refund", .group_id = billing_});
  v1::Ticket support = Make({.subject = "Crash", .group_id = support_});
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(carla_, {}));
  ASSERT_THAT(page.tickets, SizeIs(1));
  EXPECT_EQ(page.tickets[0].id(), billing.id());
  // The contact's history is filtered by the same rule.
  ASSERT_OK_AND_ASSIGN(page, desk_->tickets().ContactHistory(carla_, ada_.id()));
  ASSERT_THAT(page.tickets, SizeIs(1));
  EXPECT_EQ(page.tickets[0].id(), billing.id());
  EXPECT_THAT(desk_->tickets().AuditLog(carla_, support.id()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not found")));
  // Setting visible_to would widen what the desk restricts.
  TicketQuery widen;
  widen.visible_to = TicketVisibility{.group_ids = {support_}};
  EXPECT_THAT(desk_->tickets().Query(carla_, widen),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("visible_to")));
}

// Before access.h, an agent restricted to their groups (or their assigned
// tickets) read every ticket's mail through the outbox and the quarantine.
TEST_F(DeskAccessTest, RestrictedAgentsDoNotReadTheOutboxOrTheQuarantine) {
  EXPECT_THAT(desk_->outbox().List(carla_, std::nullopt),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("outbox")));
  EXPECT_THAT(desk_->inbox().ListQuarantine(carla_, std::nullopt),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("quarantine")));
  EXPECT_THAT(desk_->outbox().List(bob_, std::nullopt), IsOk());
  EXPECT_THAT(desk_->inbox().ListQuarantine(lee_, std::nullopt), IsOk());
}

// An integration works tickets and people like an agent who sees every
// ticket, but does not administer agents (before access.h it could do
// everything the system could).
TEST_F(DeskAccessTest, IntegrationIsStaffButNotAdmin) {
  const v1::Actor crm = IntegrationActor("crm");
  v1::Ticket t = Make({.subject = "VPN", .group_id = billing_});
  EXPECT_THAT(desk_->tickets().Update(crm, t.id(), {.priority = v1::PRIORITY_HIGH}), IsOk());
  EXPECT_THAT(desk_->people().CreateContact(crm, {.name = "Zed"}), IsOk());
  EXPECT_THAT(desk_->people().ListAgents(crm), IsOk());
  EXPECT_THAT(desk_->people().CreateAgent(crm, {.name = "Mallory",
                                                .email = "m@desk.example"}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("integration 'crm' may not manage agents")));
  EXPECT_THAT(desk_->people().CreateGroup(crm, "Shadow"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().SetAgentPresence(crm, bob_.id(), v1::PRESENCE_ONLINE),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().SetContactBlocked(crm, ada_.id(), true),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(DeskAccessTest, ContactsReadAndEditOnlyThemselves) {
  ASSERT_OK_AND_ASSIGN(v1::Contact eve, desk_->people().CreateContact(
                                            bob_, {.name = "Eve",
                                                   .emails = {"eve@example.org"}}));
  EXPECT_THAT(desk_->people().GetContact(ada_, ada_.id()), IsOk());
  EXPECT_THAT(desk_->people().GetContact(ada_, eve.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().UpdateContact(ada_, ada_.id(), {.locale = "es-ES"}), IsOk());
  EXPECT_THAT(desk_->people().UpdateContact(ada_, ada_.id(), {.external_id = "x"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().FindContactByEmail(ada_, "eve@example.org"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace helpdesk
