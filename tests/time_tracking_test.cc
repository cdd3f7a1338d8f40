// Time tracking through the Desk (issue 16): agents log time on tickets,
// entries per ticket, totals per agent, group and organization for a period,
// access and bad input. Runs on the memory store and on SQLite.
#include <memory>
#include <string>
#include <vector>

#include "desk_people_fixture.h"
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

class TimeTrackingTest : public DeskPeopleTest {
 protected:
  v1::Ticket Make(NewTicket t) { return MakeTicket(people_.bob, std::move(t)); }
};

TEST_P(TimeTrackingTest, LoggedTimeIsListedPerTicketAndTotalledForAPeriod) {
  v1::Ticket s = Make({.subject = "support", .group_id = people_.support});
  v1::Ticket b = Make({.subject = "billing", .group_id = people_.billing});
  const absl::Time start = clock_.Now();
  ASSERT_OK_AND_ASSIGN(
      v1::TimeEntry e1,
      desk_->tickets().LogTime(people_.bob, s.id(), {.minutes = 30, .activity = "call"}));
  EXPECT_EQ(e1.agent_id(), people_.bob.id());
  EXPECT_EQ(e1.group_id(), people_.support);
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(
      desk_->tickets().LogTime(people_.bob, b.id(), {.minutes = 15, .note = "refund"}).status());
  ASSERT_OK(desk_->tickets().LogTime(people_.carla, b.id(), {.minutes = 45}).status());
  ASSERT_OK(
      desk_->tickets().LogTime(people_.lee, s.id(), {.minutes = 5}).status());  // light agents too
  clock_.Advance(absl::Hours(1));
  // The ticket moves: its earlier entries stay with the group they were in.
  ASSERT_OK(desk_->tickets().Update(people_.bob, s.id(), {.group_id = people_.billing}).status());
  ASSERT_OK(desk_->tickets().LogTime(people_.bob, s.id(), {.minutes = 10}).status());
  const absl::Time end = clock_.Now() + absl::Seconds(1);

  ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> on_s,
                       desk_->tickets().TimeEntries(people_.bob, s.id()));
  ASSERT_THAT(on_s, SizeIs(3));
  EXPECT_EQ(on_s[0].activity(), "call");
  EXPECT_EQ(on_s[2].group_id(), people_.billing);

  ASSERT_OK_AND_ASSIGN(
      std::vector<TimeTotal> per_agent,
      desk_->tickets().TimeSummary(people_.bob, {.from = start, .to = end}, TimeGrouping::kAgent));
  ASSERT_THAT(per_agent, SizeIs(3));
  EXPECT_EQ(per_agent[0].key, people_.bob.id());
  EXPECT_EQ(per_agent[0].minutes, 55);
  EXPECT_EQ(per_agent[0].entries, 3);
  EXPECT_EQ(per_agent[0].tickets, 2);
  EXPECT_EQ(per_agent[1].minutes, 45);
  EXPECT_EQ(per_agent[2].minutes, 5);
  ASSERT_OK_AND_ASSIGN(
      std::vector<TimeTotal> per_group,
      desk_->tickets().TimeSummary(people_.bob, {.from = start, .to = end}, TimeGrouping::kGroup));
  ASSERT_THAT(per_group, SizeIs(2));
  EXPECT_EQ(per_group[0].key, people_.support);
  EXPECT_EQ(per_group[0].minutes, 35);
  EXPECT_EQ(per_group[1].key, people_.billing);
  EXPECT_EQ(per_group[1].minutes, 70);
  ASSERT_OK_AND_ASSIGN(std::vector<TimeTotal> per_org,
                       desk_->tickets().TimeSummary(people_.bob, {}, TimeGrouping::kOrganization));
  ASSERT_THAT(per_org, SizeIs(1));
  EXPECT_EQ(per_org[0].key, 0);
  EXPECT_EQ(per_org[0].minutes, 105);
  // The period is half-open and selects by the time of logging.
  ASSERT_OK_AND_ASSIGN(
      std::vector<TimeTotal> first_hour,
      desk_->tickets().TimeSummary(people_.bob, {.from = start, .to = start + absl::Hours(1)},
                                   TimeGrouping::kAgent));
  ASSERT_THAT(first_hour, SizeIs(1));
  EXPECT_EQ(first_hour[0].minutes, 30);
}

TEST_P(TimeTrackingTest, AccessAndBadInput) {
  v1::Ticket s = Make({.subject = "support", .group_id = people_.support});
  // Carla sees only billing: the support ticket is missing for her.
  EXPECT_THAT(desk_->tickets().LogTime(people_.carla, s.id(), {.minutes = 5}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().TimeEntries(people_.carla, s.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().LogTime(people_.ada, s.id(), {.minutes = 5}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().TimeEntries(people_.ada, s.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      desk_->tickets().LogTime(people_.bob, s.id(), {.minutes = 5, .agent_id = people_.carla.id()}),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("for agent")));
  EXPECT_THAT(desk_->tickets().LogTime(SystemActor(), s.id(), {.minutes = 5}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_id")));
  EXPECT_THAT(desk_->tickets().LogTime(SystemActor(), s.id(),
                                       {.minutes = 5, .agent_id = people_.carla.id()}),
              IsOk());
  EXPECT_THAT(desk_->tickets().LogTime(SystemActor(), s.id(), {.minutes = 5, .agent_id = 999}),
              StatusIs(absl::StatusCode::kNotFound));
  for (int bad : {0, -5, 10081}) {
    EXPECT_THAT(
        desk_->tickets().LogTime(people_.bob, s.id(), {.minutes = bad}),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(absl::StrCat("minutes ", bad))));
  }
  EXPECT_THAT(desk_->tickets().LogTime(people_.bob, s.id(), {.minutes = 5, .activity = "\xff"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activity")));
  EXPECT_THAT(desk_->tickets().LogTime(people_.bob, s.id(),
                                       {.minutes = 5, .activity = std::string(101, 'a')}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activity")));
  EXPECT_THAT(desk_->tickets().LogTime(people_.bob, 12345, {.minutes = 5}),
              StatusIs(absl::StatusCode::kNotFound));
  // Summaries: whole-desk figures.
  EXPECT_THAT(desk_->tickets().TimeSummary(people_.carla, {}, TimeGrouping::kAgent),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().TimeSummary(people_.lee, {}, TimeGrouping::kAgent), IsOk());
  EXPECT_THAT(desk_->tickets().TimeSummary(people_.ada, {}, TimeGrouping::kAgent),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const absl::Time now = clock_.Now();
  EXPECT_THAT(desk_->tickets().TimeSummary(people_.bob, {.from = now, .to = now - absl::Hours(1)},
                                           TimeGrouping::kAgent),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("period")));
  EXPECT_THAT(desk_->tickets().TimeSummary(people_.bob, {}, static_cast<TimeGrouping>(7)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grouping 7")));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> entries,
                       desk_->tickets().TimeEntries(people_.bob, s.id()));
  EXPECT_THAT(entries, SizeIs(1));  // only the system's entry for Carla
}

INSTANTIATE_TEST_SUITE_P(Stores, TimeTrackingTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace helpdesk
