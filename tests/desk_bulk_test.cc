// Tickets::BulkUpdate (issue 16): one change on many tickets in one command,
// a result per ticket (stale versions and tickets the actor may not change
// reported, the rest applied), one operation id on the events. Runs on the
// memory store and on SQLite.
#include <memory>
#include <set>
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

class DeskBulkTest : public DeskPeopleTest {
 protected:
  v1::Ticket Make(NewTicket t) { return MakeTicket(people_.bob, std::move(t)); }

  std::vector<v1::Event> Changes(int64_t ticket_id) {
    absl::StatusOr<std::vector<v1::Event>> log =
        desk_->tickets().AuditLog(SystemActor(), ticket_id);
    EXPECT_OK(log.status());
    std::vector<v1::Event> out;
    if (!log.ok()) return out;
    for (const v1::Event& e : *log) {
      if (e.kind() == v1::Event::FIELDS_CHANGED) out.push_back(e);
    }
    return out;
  }
};

TEST_P(DeskBulkTest, AppliesToCurrentTicketsAndReportsStaleOnes) {
  v1::Ticket a = Make({.subject = "a"});
  v1::Ticket b = Make({.subject = "b"});
  v1::Ticket c = Make({.subject = "c"});
  // Someone changes b after the caller read it.
  ASSERT_OK_AND_ASSIGN(v1::Ticket b2,
                       desk_->tickets().Update(people_.bob, b.id(), {.add_tags = {"x"}}));
  ASSERT_OK_AND_ASSIGN(
      BulkUpdateResult r,
      desk_->tickets().BulkUpdate(
          people_.bob, {{a.id(), a.version()}, {b.id(), b.version()}, {c.id(), std::nullopt}},
          {.priority = v1::PRIORITY_URGENT, .add_tags = {"bulk"}}));
  ASSERT_THAT(r.results, SizeIs(3));
  EXPECT_EQ(r.changed, 2);
  EXPECT_THAT(r.results[0].status, IsOk());
  EXPECT_THAT(r.results[1].status,
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr(absl::StrCat("expected version ", b.version()))));
  EXPECT_FALSE(r.results[1].ticket.has_value());
  EXPECT_THAT(r.results[2].status, IsOk());
  ASSERT_TRUE(r.results[0].ticket.has_value());
  EXPECT_EQ(r.results[0].ticket->priority(), v1::PRIORITY_URGENT);
  EXPECT_EQ(r.results[0].ticket->version(), a.version() + 1);
  ASSERT_OK_AND_ASSIGN(v1::Ticket b_now, desk_->tickets().Get(people_.bob, b.id()));
  EXPECT_EQ(b_now.version(), b2.version());
  EXPECT_EQ(b_now.priority(), b.priority());
  // One operation: both events carry the same id, the other events none.
  EXPECT_THAT(r.operation_id, ::testing::StartsWith("bulk-"));
  std::vector<v1::Event> ea = Changes(a.id());
  std::vector<v1::Event> ec = Changes(c.id());
  ASSERT_THAT(ea, SizeIs(1));
  ASSERT_THAT(ec, SizeIs(1));
  EXPECT_EQ(ea[0].operation_id(), r.operation_id);
  EXPECT_EQ(ec[0].operation_id(), r.operation_id);
  std::vector<v1::Event> eb = Changes(b.id());
  ASSERT_THAT(eb, SizeIs(1));
  EXPECT_EQ(eb[0].operation_id(), "");
}

TEST_P(DeskBulkTest, TicketsTheActorMayNotChangeAreReportedPerTicket) {
  v1::Ticket mine = Make({.subject = "billing", .group_id = people_.billing});
  v1::Ticket other = Make({.subject = "support", .group_id = people_.support});
  ASSERT_OK_AND_ASSIGN(v1::Ticket merged_src,
                       desk_->tickets().Create(people_.bob, {.subject = "dup",
                                                             .requester_id = people_.ada.id(),
                                                             .group_id = people_.billing}));
  ASSERT_OK(desk_->tickets().Merge(people_.bob, merged_src.id(), mine.id()).status());
  ASSERT_OK_AND_ASSIGN(mine, desk_->tickets().Get(people_.bob, mine.id()));
  ASSERT_OK_AND_ASSIGN(BulkUpdateResult r,
                       desk_->tickets().BulkUpdate(people_.carla,
                                                   {{mine.id(), mine.version()},
                                                    {other.id(), other.version()},
                                                    {merged_src.id(), std::nullopt},
                                                    {999999, std::nullopt}},
                                                   {.type = v1::TICKET_TYPE_INCIDENT}));
  ASSERT_THAT(r.results, SizeIs(4));
  EXPECT_THAT(r.results[0].status, IsOk());
  // Another group's ticket looks missing, as a missing one does.
  EXPECT_THAT(r.results[1].status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(r.results[2].status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(r.results[3].status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(r.changed, 1);
  ASSERT_OK_AND_ASSIGN(v1::Ticket other_now, desk_->tickets().Get(people_.bob, other.id()));
  EXPECT_EQ(other_now.type(), other.type());
}

TEST_P(DeskBulkTest, WholeCommandRefusals) {
  v1::Ticket a = Make({.subject = "a"});
  EXPECT_THAT(
      desk_->tickets().BulkUpdate(people_.lee, {{a.id(), {}}}, {.priority = v1::PRIORITY_LOW}),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("light agent")));
  EXPECT_THAT(
      desk_->tickets().BulkUpdate(people_.ada, {{a.id(), {}}}, {.priority = v1::PRIORITY_LOW}),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tickets().BulkUpdate(people_.bob, {}, {.priority = v1::PRIORITY_LOW}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("targets")));
  EXPECT_THAT(desk_->tickets().BulkUpdate(people_.bob, {{a.id(), {}}, {a.id(), {}}},
                                          {.priority = v1::PRIORITY_LOW}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
  EXPECT_THAT(desk_->tickets().BulkUpdate(people_.bob, {{a.id(), {}}},
                                          {.priority = v1::PRIORITY_LOW, .expected_version = 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected_version")));
  // A bad change is refused for every ticket; nothing is written.
  ASSERT_OK_AND_ASSIGN(BulkUpdateResult bad,
                       desk_->tickets().BulkUpdate(people_.bob, {{a.id(), {}}, {-4, {}}},
                                                   {.priority = static_cast<v1::Priority>(42)}));
  EXPECT_THAT(bad.results[0].status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("priority 42")));
  EXPECT_THAT(bad.results[1].status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(bad.changed, 0);
  ASSERT_OK_AND_ASSIGN(v1::Ticket a_now, desk_->tickets().Get(people_.bob, a.id()));
  EXPECT_EQ(a_now.version(), a.version());
}

TEST_P(DeskBulkTest, OperationIdsAreUniqueEvenAtTheSameInstant) {
  v1::Ticket a = Make({.subject = "a"});
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(BulkUpdateResult r,
                         desk_->tickets().BulkUpdate(people_.bob, {{a.id(), std::nullopt}},
                                                     {.add_tags = {absl::StrCat("t", i)}}));
    EXPECT_EQ(r.changed, 1);
    ids.insert(r.operation_id);
  }
  EXPECT_THAT(ids, SizeIs(3));
  std::vector<v1::Event> events = Changes(a.id());
  ASSERT_THAT(events, SizeIs(3));
  std::set<std::string> on_events;
  for (const v1::Event& e : events) on_events.insert(e.operation_id());
  EXPECT_EQ(on_events, ids);
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskBulkTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace helpdesk
