// Time tracking through the Desk (issue 16): agents log time on tickets,
// entries per ticket, totals per agent, group and organization for a period,
// access and bad input. Runs on the memory store and on SQLite.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class TimeTrackingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = NewMemoryStore();
    } else {
      ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(":memory:"));
    }
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
    t.description = "Since Monday.";
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

TEST_P(TimeTrackingTest, LoggedTimeIsListedPerTicketAndTotalledForAPeriod) {
  v1::Ticket s = Make({.subject = "support", .group_id = support_});
  v1::Ticket b = Make({.subject = "billing", .group_id = billing_});
  const absl::Time start = clock_.Now();
  ASSERT_OK_AND_ASSIGN(v1::TimeEntry e1, desk_->tickets().LogTime(
                                             bob_, s.id(), {.minutes = 30, .activity = "call"}));
  EXPECT_EQ(e1.agent_id(), bob_.id());
  EXPECT_EQ(e1.group_id(), support_);
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(desk_->tickets().LogTime(bob_, b.id(), {.minutes = 15, .note = "refund"}).status());
  ASSERT_OK(desk_->tickets().LogTime(carla_, b.id(), {.minutes = 45}).status());
  ASSERT_OK(desk_->tickets().LogTime(lee_, s.id(), {.minutes = 5}).status());  // light agents too
  clock_.Advance(absl::Hours(1));
  // The ticket moves: its earlier entries stay with the group they were in.
  ASSERT_OK(desk_->tickets().Update(bob_, s.id(), {.group_id = billing_}).status());
  ASSERT_OK(desk_->tickets().LogTime(bob_, s.id(), {.minutes = 10}).status());
  const absl::Time end = clock_.Now() + absl::Seconds(1);

  ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> on_s, desk_->tickets().TimeEntries(bob_, s.id()));
  ASSERT_THAT(on_s, SizeIs(3));
  EXPECT_EQ(on_s[0].activity(), "call");
  EXPECT_EQ(on_s[2].group_id(), billing_);

  ASSERT_OK_AND_ASSIGN(std::vector<TimeTotal> per_agent,
                       desk_->tickets().TimeSummary(bob_, {.from = start, .to = end},
                                                    TimeGrouping::kAgent));
  ASSERT_THAT(per_agent, SizeIs(3));
  EXPECT_EQ(per_agent[0].key, bob_.id());
  EXPECT_EQ(per_agent[0].minutes, 55);
  EXPECT_EQ(per_agent[0].entries, 3);
  EXPECT_EQ(per_agent[0].tickets, 2);
  EXPECT_EQ(per_agent[1].minutes, 45);
  EXPECT_EQ(per_agent[2].minutes, 5);
  ASSERT_OK_AND_ASSIGN(std::vector<TimeTotal> per_group,
                       desk_->tickets().TimeSummary(bob_, {.from = start, .to = end},
                                                    TimeGrouping::kGroup));
  ASSERT_THAT(per_group, SizeIs(2));
  EXPECT_EQ(per_group[0].key, support_);
  EXPECT_EQ(per_group[0].minutes, 35);
  EXPECT_EQ(per_group[1].key, billing_);
  EXPECT_EQ(per_group[1].minutes, 70);
  ASSERT_OK_AND_ASSIGN(std::vector<TimeTotal> per_org,
                       desk_->tickets().TimeSummary(bob_, {}, TimeGrouping::kOrganization));
  ASSERT_THAT(per_org, SizeIs(1));
  EXPECT_EQ(per_org[0].key, 0);
  EXPECT_EQ(per_org[0].minutes, 105);
  // The period is half-open and selects by the time of logging.
  ASSERT_OK_AND_ASSIGN(std::vector<TimeTotal> first_hour,
                       desk_->tickets().TimeSummary(
                           bob_, {.from = start, .to = start + absl::Hours(1)},
                           TimeGrouping::kAgent));
  ASSERT_THAT(first_hour, SizeIs(1));
  EXPECT_EQ(first_hour[0].minutes, 30);
}

TEST_P(TimeTrackingTest, AccessAndBadInput) {
  v1::Ticket s = Make({.subject = "support", .group_id = support_});
  // Carla sees only billing: the support ticket is missing for her.
  EXPECT_THAT(desk_->tickets().LogTime(carla_, s.id(), {.minutes = 5}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().TimeEntries(carla_, s.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().LogTime(ada_, s.id(), {.minutes = 5}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().TimeEntries(ada_, s.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().LogTime(bob_, s.id(), {.minutes = 5, .agent_id = carla_.id()}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("for agent")));
  EXPECT_THAT(desk_->tickets().LogTime(SystemActor(), s.id(), {.minutes = 5}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_id")));
  EXPECT_THAT(desk_->tickets().LogTime(SystemActor(), s.id(),
                                       {.minutes = 5, .agent_id = carla_.id()}),
              IsOk());
  EXPECT_THAT(desk_->tickets().LogTime(SystemActor(), s.id(), {.minutes = 5, .agent_id = 999}),
              StatusIs(absl::StatusCode::kNotFound));
  for (int bad : {0, -5, 10081}) {
    EXPECT_THAT(desk_->tickets().LogTime(bob_, s.id(), {.minutes = bad}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("minutes ", bad))));
  }
  EXPECT_THAT(desk_->tickets().LogTime(bob_, s.id(), {.minutes = 5, .activity = "\xff"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activity")));
  EXPECT_THAT(desk_->tickets().LogTime(bob_, s.id(),
                                       {.minutes = 5, .activity = std::string(101, 'a')}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activity")));
  EXPECT_THAT(desk_->tickets().LogTime(bob_, 12345, {.minutes = 5}),
              StatusIs(absl::StatusCode::kNotFound));
  // Summaries: whole-desk figures.
  EXPECT_THAT(desk_->tickets().TimeSummary(carla_, {}, TimeGrouping::kAgent),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().TimeSummary(lee_, {}, TimeGrouping::kAgent), IsOk());
  EXPECT_THAT(desk_->tickets().TimeSummary(ada_, {}, TimeGrouping::kAgent),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const absl::Time now = clock_.Now();
  EXPECT_THAT(desk_->tickets().TimeSummary(bob_, {.from = now, .to = now - absl::Hours(1)},
                                           TimeGrouping::kAgent),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("period")));
  EXPECT_THAT(desk_->tickets().TimeSummary(bob_, {}, static_cast<TimeGrouping>(7)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grouping 7")));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> entries,
                       desk_->tickets().TimeEntries(bob_, s.id()));
  EXPECT_THAT(entries, SizeIs(1));  // only the system's entry for Carla
}

INSTANTIATE_TEST_SUITE_P(Stores, TimeTrackingTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace helpdesk
