// Saved views through the Desk (helpdesk/desk/views.h; issue 16): filters on
// priority, type, channel and custom fields, personal and shared views, the
// viewer's visibility when running them, counts, access and bad input. Runs
// on the memory store and on SQLite.
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

v1::CustomFieldValue Text(const std::string& s) {
  v1::CustomFieldValue v;
  v.set_text(s);
  return v;
}

std::vector<int64_t> Ids(const TicketPage& page) {
  std::vector<int64_t> out;
  for (const v1::Ticket& t : page.tickets) out.push_back(t.id());
  return out;
}

class DeskViewsTest : public DeskPeopleTest {
 protected:
  DeskPeopleOptions PeopleOptions() override { return {.with_admin = true}; }

  // Created by Ann, one minute apart (views sort by creation time).
  v1::Ticket Make(NewTicket t) {
    v1::Ticket created = MakeTicket(people_.admin, std::move(t));
    clock_.Advance(absl::Minutes(1));
    return created;
  }
};

TEST_P(DeskViewsTest, QueryFiltersOnPriorityTypeChannelAndCustomFields) {
  v1::Ticket a = Make({.subject = "a", .priority = v1::PRIORITY_URGENT,
                       .type = v1::TICKET_TYPE_INCIDENT,
                       .custom_fields = {{"region", Text("eu")}},
                       .channel = v1::CHANNEL_EMAIL});
  v1::Ticket b = Make({.subject = "b", .priority = v1::PRIORITY_LOW,
                       .type = v1::TICKET_TYPE_QUESTION,
                       .custom_fields = {{"region", Text("us")}},
                       .channel = v1::CHANNEL_CHAT});
  v1::Ticket c = Make({.subject = "c", .priority = v1::PRIORITY_URGENT,
                       .type = v1::TICKET_TYPE_QUESTION, .channel = v1::CHANNEL_CHAT});
  auto ids = [&](TicketQuery q) -> std::vector<int64_t> {
    absl::StatusOr<TicketPage> p = desk_->tickets().Query(people_.bob, q);
    EXPECT_OK(p.status());
    return p.ok() ? Ids(*p) : std::vector<int64_t>{-1};
  };
  EXPECT_THAT(ids({.priorities = {v1::PRIORITY_URGENT}}), ElementsAre(a.id(), c.id()));
  EXPECT_THAT(ids({.types = {v1::TICKET_TYPE_QUESTION}}), ElementsAre(b.id(), c.id()));
  EXPECT_THAT(ids({.channels = {v1::CHANNEL_CHAT}}), ElementsAre(b.id(), c.id()));
  EXPECT_THAT(ids({.custom_fields = {{"region", {Text("eu"), Text("us")}}}}),
              ElementsAre(a.id(), b.id()));
  EXPECT_THAT(ids({.priorities = {v1::PRIORITY_URGENT},
                   .channels = {v1::CHANNEL_CHAT}}),
              ElementsAre(c.id()));
}

TEST_P(DeskViewsTest, PersonalViewRunsWithItsFiltersSortAndPages) {
  v1::Ticket a = Make({.subject = "a", .priority = v1::PRIORITY_HIGH,
                       .custom_fields = {{"region", Text("eu")}}});
  Make({.subject = "b", .priority = v1::PRIORITY_HIGH,
        .custom_fields = {{"region", Text("us")}}});
  v1::Ticket c = Make({.subject = "c", .priority = v1::PRIORITY_URGENT,
                       .custom_fields = {{"region", Text("eu")}}});
  Make({.subject = "d", .priority = v1::PRIORITY_LOW,
        .custom_fields = {{"region", Text("eu")}}});
  ViewSpec spec{.name = "EU, high and up"};
  spec.filter.add_priorities(v1::PRIORITY_HIGH);
  spec.filter.add_priorities(v1::PRIORITY_URGENT);
  v1::CustomFieldFilter* cf = spec.filter.add_custom_fields();
  cf->set_name("region");
  *cf->add_any_of() = Text("eu");
  spec.sort = "priority";
  spec.columns = {"id", "subject", "custom_fields.region"};
  ASSERT_OK_AND_ASSIGN(v1::SavedView view, desk_->views().Create(people_.bob, spec));
  EXPECT_EQ(view.owner_agent_id(), people_.bob.id());
  EXPECT_EQ(view.version(), 1);
  ASSERT_OK_AND_ASSIGN(ViewPage first, desk_->views().Run(people_.bob, view.id(), "", 1));
  EXPECT_THAT(Ids(first.page), ElementsAre(c.id()));  // most urgent first
  ASSERT_FALSE(first.page.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(ViewPage second,
                       desk_->views().Run(people_.bob, view.id(), first.page.next_cursor, 1));
  EXPECT_THAT(Ids(second.page), ElementsAre(a.id()));
  EXPECT_TRUE(second.page.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(std::vector<ViewCount> counts, desk_->views().Counts(people_.bob));
  ASSERT_THAT(counts, SizeIs(1));
  EXPECT_EQ(counts[0].count, 2);

  // Update: a new version, the new filters apply.
  spec.sort = "-created_at";
  spec.filter.clear_priorities();
  ASSERT_OK_AND_ASSIGN(v1::SavedView updated,
                       desk_->views().Update(people_.bob, view.id(), spec, view.version()));
  EXPECT_EQ(updated.version(), 2);
  EXPECT_THAT(desk_->views().Update(people_.bob, view.id(), spec, 1),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("expected version 1")));
  ASSERT_OK_AND_ASSIGN(ViewPage all, desk_->views().Run(people_.bob, view.id()));
  EXPECT_THAT(all.page.tickets, SizeIs(3));
  EXPECT_OK(desk_->views().Delete(people_.bob, view.id()));
  EXPECT_THAT(desk_->views().Get(people_.bob, view.id()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(DeskViewsTest, SharedViewShowsEachRunnerOnlyWhatTheyMaySee) {
  v1::Ticket s1 = Make({.subject = "s1", .group_id = people_.support});
  v1::Ticket b1 = Make({.subject = "b1", .group_id = people_.billing});
  v1::Ticket b2 =
      Make({.subject = "b2", .assignee_id = people_.carla.id(), .group_id = people_.billing});
  ViewSpec spec{.name = "Everything open", .shared = true};
  spec.filter.add_statuses("open");
  spec.filter.add_statuses("new");
  ASSERT_OK_AND_ASSIGN(v1::SavedView shared, desk_->views().Create(people_.admin, spec));
  EXPECT_EQ(shared.owner_agent_id(), 0);
  ASSERT_OK_AND_ASSIGN(ViewPage as_bob, desk_->views().Run(people_.bob, shared.id()));
  EXPECT_THAT(Ids(as_bob.page), ElementsAre(s1.id(), b1.id(), b2.id()));  // sees all
  ASSERT_OK_AND_ASSIGN(ViewPage as_carla, desk_->views().Run(people_.carla, shared.id()));
  EXPECT_THAT(Ids(as_carla.page), ElementsAre(b1.id(), b2.id()));  // her group only
  ASSERT_OK_AND_ASSIGN(std::vector<ViewCount> bob_counts, desk_->views().Counts(people_.bob));
  ASSERT_OK_AND_ASSIGN(std::vector<ViewCount> carla_counts, desk_->views().Counts(people_.carla));
  ASSERT_THAT(bob_counts, SizeIs(1));
  ASSERT_THAT(carla_counts, SizeIs(1));
  EXPECT_EQ(bob_counts[0].count, 3);
  EXPECT_EQ(carla_counts[0].count, 2);

  // "Mine": one shared view, each runner's own tickets.
  ViewSpec mine{.name = "Mine", .shared = true};
  mine.filter.set_assignee_is_viewer(true);
  ASSERT_OK_AND_ASSIGN(v1::SavedView mine_view, desk_->views().Create(people_.admin, mine));
  ASSERT_OK_AND_ASSIGN(ViewPage carla_mine, desk_->views().Run(people_.carla, mine_view.id()));
  EXPECT_THAT(Ids(carla_mine.page), ElementsAre(b2.id()));
  ASSERT_OK_AND_ASSIGN(ViewPage bob_mine, desk_->views().Run(people_.bob, mine_view.id()));
  EXPECT_THAT(bob_mine.page.tickets, IsEmpty());
  EXPECT_THAT(desk_->views().Run(SystemActor(), mine_view.id()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an agent")));
  ASSERT_OK_AND_ASSIGN(std::vector<ViewCount> system_counts,
                       desk_->views().Counts(SystemActor()));
  ASSERT_THAT(system_counts, SizeIs(2));
  EXPECT_EQ(system_counts[1].count, 0);
}

TEST_P(DeskViewsTest, AccessOwnViewsSharedViewsAndCustomers) {
  ASSERT_OK_AND_ASSIGN(v1::SavedView bobs, desk_->views().Create(people_.bob, {.name = "Bob's"}));
  ASSERT_OK_AND_ASSIGN(v1::SavedView shared,
                       desk_->views().Create(people_.admin, {.name = "Team", .shared = true}));
  // Another agent's personal view does not exist for them.
  EXPECT_THAT(desk_->views().Get(people_.carla, bobs.id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->views().Run(people_.carla, bobs.id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->views().Delete(people_.carla, bobs.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->views().Update(people_.admin, bobs.id(), {.name = "x"}),
              StatusIs(absl::StatusCode::kNotFound));
  // Shared views: every staff viewer runs them, only admins change them.
  EXPECT_THAT(desk_->views().Run(people_.carla, shared.id()), IsOk());
  EXPECT_THAT(desk_->views().Run(people_.lee, shared.id()), IsOk());
  EXPECT_THAT(desk_->views().Update(people_.bob, shared.id(), {.name = "Mine now", .shared = true}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("shared views")));
  EXPECT_THAT(desk_->views().Delete(people_.lee, shared.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->views().Create(people_.bob, {.name = "Team 2", .shared = true}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->views().Create(IntegrationActor("crm"), {.name = "Team 3", .shared = true}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A light agent keeps views of their own.
  ASSERT_OK_AND_ASSIGN(v1::SavedView lees, desk_->views().Create(people_.lee, {.name = "Lee's"}));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> lee_list, desk_->views().List(people_.lee));
  ASSERT_THAT(lee_list, SizeIs(2));
  EXPECT_EQ(lee_list[0].id(), lees.id());
  EXPECT_EQ(lee_list[1].id(), shared.id());
  // Customers: nothing.
  EXPECT_THAT(desk_->views().List(people_.ada), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->views().Run(people_.ada, shared.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->views().Create(people_.ada, {.name = "mine"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->views().Counts(people_.ada), StatusIs(absl::StatusCode::kPermissionDenied));
  // Only agents own personal views; a shared view stays shared.
  EXPECT_THAT(desk_->views().Create(SystemActor(), {.name = "sys"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shared")));
  EXPECT_THAT(desk_->views().Update(people_.admin, shared.id(), {.name = "Team"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shared")));
  // Names are unique per owner, not across owners.
  EXPECT_THAT(desk_->views().Create(people_.bob, {.name = "Bob's"}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(desk_->views().Create(people_.carla, {.name = "Bob's"}), IsOk());
}

TEST_P(DeskViewsTest, BadSpecsAreRefusedNamingTheField) {
  auto create = [&](ViewSpec s) { return desk_->views().Create(people_.bob, s).status(); };
  EXPECT_THAT(create({.name = "x", .columns = {"id", "sujbect"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("columns[1]"), HasSubstr("sujbect"))));
  EXPECT_THAT(create({.name = "x", .sort = "age"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("sort"), HasSubstr("age"))));
  EXPECT_THAT(create({.name = "x", .columns = {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("columns")));
  EXPECT_THAT(create({.name = "x", .columns = {"id", "id"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(create({.name = "x", .columns = {"custom_fields.bad name"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad name")));
  EXPECT_THAT(create({.name = ""}), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("name")));
  EXPECT_THAT(create({.name = std::string(201, 'n')}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(create({.name = "bad \xff utf8"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  ViewSpec s{.name = "x"};
  s.filter.add_statuses("no such status");
  EXPECT_THAT(create(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("filter.statuses[0]")));
  s = {.name = "x"};
  s.filter.add_priorities(v1::PRIORITY_HIGH);
  s.filter.add_priorities(static_cast<v1::Priority>(99));
  EXPECT_THAT(create(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("filter.priorities[1] 99")));
  s = {.name = "x"};
  s.filter.add_types(static_cast<v1::TicketType>(-3));
  EXPECT_THAT(create(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("filter.types[0]")));
  s = {.name = "x"};
  s.filter.add_channels(static_cast<v1::Channel>(1000));
  EXPECT_THAT(create(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("filter.channels[0]")));
  s = {.name = "x"};
  s.filter.add_custom_fields()->set_name("drop table;");
  EXPECT_THAT(create(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("filter.custom_fields[0]")));
  s = {.name = "x"};
  s.filter.set_group_id(9999);
  EXPECT_THAT(create(s), StatusIs(absl::StatusCode::kNotFound, HasSubstr("filter.group_id")));
  s = {.name = "x"};
  s.filter.set_assignee_id(people_.bob.id());
  s.filter.set_assignee_is_viewer(true);
  EXPECT_THAT(create(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("assignee_is_viewer")));
  // Nothing was stored.
  ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> list, desk_->views().List(people_.bob));
  EXPECT_THAT(list, IsEmpty());
  // A bad page of a good view.
  ASSERT_OK_AND_ASSIGN(v1::SavedView good, desk_->views().Create(people_.bob, {.name = "ok"}));
  EXPECT_THAT(desk_->views().Run(people_.bob, good.id(), "not a cursor"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor")));
  EXPECT_THAT(desk_->views().Run(people_.bob, good.id(), "", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(desk_->views().Run(people_.bob, -5), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(DeskViewsTest, FilterTagsAreNormalisedLikeTicketTags) {
  v1::Ticket t = Make({.subject = "vpn", .tags = {"VPN"}});
  ViewSpec s{.name = "vpn"};
  s.filter.add_tags("  Vpn ");
  ASSERT_OK_AND_ASSIGN(v1::SavedView v, desk_->views().Create(people_.bob, s));
  EXPECT_THAT(v.filter().tags(), ElementsAre("vpn"));
  ASSERT_OK_AND_ASSIGN(ViewPage page, desk_->views().Run(people_.bob, v.id()));
  EXPECT_THAT(Ids(page.page), ElementsAre(t.id()));
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskViewsTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace helpdesk
