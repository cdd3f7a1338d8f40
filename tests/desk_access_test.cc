// The Desk consults the access component (helpdesk/access.h) in its
// sub-facades: a few answers of the spec in access_test.cc, seen through the
// commands and queries that ask them.
#include <memory>
#include <string>
#include <vector>

#include "desk_people_fixture.h"
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

// A core test: the memory store only (DeskPeopleTest would also open SQLite).
class DeskAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryStore();
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
    ASSERT_OK_AND_ASSIGN(people_, DeskPeople::Create(*desk_));
  }

  v1::Ticket Make(NewTicket t) {
    return CreateTestTicket(*desk_, people_.bob, people_.ada, std::move(t));
  }

  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  DeskPeople people_;
};

TEST_F(DeskAccessTest, LightAgentReadsAndNotesButChangesNothing) {
  v1::Ticket t = Make({.subject = "VPN"});
  v1::Ticket other = Make({.subject = "Mail"});
  EXPECT_THAT(desk_->tickets().Get(people_.lee, t.id()), IsOk());
  EXPECT_THAT(desk_->tickets().AuditLog(people_.lee, t.id()), IsOk());
  EXPECT_THAT(desk_->tickets().AddMessage(people_.lee, t.id(),
                                          {.kind = v1::Message::INTERNAL_NOTE, .body_text = "FYI"}),
              IsOk());
  EXPECT_THAT(desk_->tickets().Update(people_.lee, t.id(), {.add_tags = {"vpn"}}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("light agent")));
  EXPECT_THAT(desk_->tickets().Update(people_.lee, t.id(), {.assignee_id = people_.lee.id()}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Link(people_.lee, t.id(), v1::TicketLink::RELATED, other.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().Merge(people_.lee, t.id(), other.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().CreateContact(people_.lee, {.name = "Zed"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      desk_->tickets().Create(people_.lee, {.subject = "x", .requester_id = people_.ada.id()}),
      StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(DeskAccessTest, CustomerViewHasNoInternalNotesNorTheirAttachments) {
  v1::Ticket t = Make({.subject = "VPN"});
  ASSERT_OK_AND_ASSIGN(v1::Message note,
                       desk_->tickets().AddMessage(
                           people_.bob, t.id(),
                           {.kind = v1::Message::INTERNAL_NOTE,
                            .body_text = "see the log",
                            .attachments = {{.file_name = "log.txt", .content = "secret"}}}));
  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(people_.ada, t.id()));
  for (const v1::Message& m : view.messages) {
    EXPECT_NE(m.kind(), v1::Message::INTERNAL_NOTE);
  }
  ASSERT_OK_AND_ASSIGN(TicketView staff_view, desk_->tickets().View(people_.bob, t.id()));
  EXPECT_THAT(staff_view.messages, SizeIs(view.messages.size() + 1));
  const std::string sha = note.attachments(0).sha256();
  EXPECT_THAT(desk_->tickets().AttachmentContent(people_.ada, note.id(), sha),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().AttachmentContent(people_.lee, note.id(), sha), IsOk());
}

TEST_F(DeskAccessTest, GroupScopedAgentQueriesOnlyWhatTheyMaySee) {
  v1::Ticket billing = Make({.subject = "Refund", .group_id = people_.billing});
  v1::Ticket support = Make({.subject = "Crash", .group_id = people_.support});
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(people_.carla, {}));
  ASSERT_THAT(page.tickets, SizeIs(1));
  EXPECT_EQ(page.tickets[0].id(), billing.id());
  // The contact's history is filtered by the same rule.
  ASSERT_OK_AND_ASSIGN(page, desk_->tickets().ContactHistory(people_.carla, people_.ada.id()));
  ASSERT_THAT(page.tickets, SizeIs(1));
  EXPECT_EQ(page.tickets[0].id(), billing.id());
  EXPECT_THAT(desk_->tickets().AuditLog(people_.carla, support.id()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not found")));
  // Setting visible_to would widen what the desk restricts.
  TicketQuery widen;
  widen.visible_to = TicketVisibility{.group_ids = {people_.support}};
  EXPECT_THAT(desk_->tickets().Query(people_.carla, widen),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("visible_to")));
}

// Before access.h, an agent restricted to their groups (or their assigned
// tickets) read every ticket's mail through the outbox and the quarantine.
TEST_F(DeskAccessTest, RestrictedAgentsDoNotReadTheOutboxOrTheQuarantine) {
  EXPECT_THAT(desk_->outbox().List(people_.carla, std::nullopt),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("outbox")));
  EXPECT_THAT(desk_->inbox().ListQuarantine(people_.carla, std::nullopt),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("quarantine")));
  EXPECT_THAT(desk_->outbox().List(people_.bob, std::nullopt), IsOk());
  EXPECT_THAT(desk_->inbox().ListQuarantine(people_.lee, std::nullopt), IsOk());
}

// An integration works tickets and people like an agent who sees every
// ticket, but does not administer agents (before access.h it could do
// everything the system could).
TEST_F(DeskAccessTest, IntegrationIsStaffButNotAdmin) {
  const v1::Actor crm = IntegrationActor("crm");
  v1::Ticket t = Make({.subject = "VPN", .group_id = people_.billing});
  EXPECT_THAT(desk_->tickets().Update(crm, t.id(), {.priority = v1::PRIORITY_HIGH}), IsOk());
  EXPECT_THAT(desk_->people().CreateContact(crm, {.name = "Zed"}), IsOk());
  EXPECT_THAT(desk_->people().ListAgents(crm), IsOk());
  EXPECT_THAT(desk_->people().CreateAgent(crm, {.name = "Mallory",
                                                .email = "m@desk.example"}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("integration 'crm' may not manage agents")));
  EXPECT_THAT(desk_->people().CreateGroup(crm, "Shadow"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().SetAgentPresence(crm, people_.bob.id(), v1::PRESENCE_ONLINE),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().SetContactBlocked(crm, people_.ada.id(), true),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(DeskAccessTest, ContactsReadAndEditOnlyThemselves) {
  ASSERT_OK_AND_ASSIGN(
      v1::Contact eve,
      desk_->people().CreateContact(people_.bob, {.name = "Eve", .emails = {"eve@example.org"}}));
  EXPECT_THAT(desk_->people().GetContact(people_.ada, people_.ada.id()), IsOk());
  EXPECT_THAT(desk_->people().GetContact(people_.ada, eve.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().UpdateContact(people_.ada, people_.ada.id(), {.locale = "es-ES"}),
              IsOk());
  EXPECT_THAT(desk_->people().UpdateContact(people_.ada, people_.ada.id(), {.external_id = "x"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().FindContactByEmail(people_.ada, "eve@example.org"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace helpdesk
