// Desk::reports() on a memory and a SQLite store: the report reads the
// events the Desk really writes (a ticket from before the period answered in
// it, a merged ticket, an old open ticket with no event in the period), in
// business time; access and bad input.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/reports.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::Time Madrid(int m, int d, int hh, int mm = 0) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Madrid", &tz));
  return absl::FromCivil(absl::CivilMinute(2026, m, d, hh, mm), tz);
}

BusinessCalendar MadridHours() {
  v1::CalendarConfig c;
  c.set_time_zone("Europe/Madrid");
  v1::WeeklyHours* w = c.add_weekly_hours();
  for (int d = v1::WEEKDAY_MONDAY; d <= v1::WEEKDAY_FRIDAY; ++d) {
    w->add_days(static_cast<v1::Weekday>(d));
  }
  w->add_intervals()->set_open("09:00");
  w->mutable_intervals(0)->set_close("18:00");
  return *BusinessCalendar::Create(c);
}

class DeskReportsTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(":memory:"));
    } else {
      store_ = NewMemoryStore();
    }
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
    ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(
                                            SystemActor(), {.name = "Bob", .email = "bob@x.example"}));
    bob_ = AgentActor(bob.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                         desk_->people().CreateContact(
                             SystemActor(), {.name = "Ada", .emails = {"ada@x.example"}}));
    ada_ = ContactActor(ada.id());
  }

  ManualClock clock_{Madrid(2, 20, 10)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  v1::Actor bob_, ada_;
};

TEST_P(DeskReportsTest, WeekReportFromTheDesksOwnLog) {
  // An old ticket, open and untouched through the period.
  ASSERT_OK_AND_ASSIGN(v1::Ticket old, desk_->tickets().Create(ada_, {.subject = "Old",
                                                                     .description = "x"}));
  // Friday 16:30, before the period; answered Monday 09:05, solved 10:00.
  clock_.Set(Madrid(3, 6, 16, 30));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Create(ada_, {.subject = "Invoice",
                                                                   .description = "x"}));
  clock_.Set(Madrid(3, 9, 9, 0));
  ASSERT_OK_AND_ASSIGN(v1::Ticket dup,
                       desk_->tickets().Create(ada_, {.subject = "Invoice again",
                                                      .description = "y",
                                                      .channel = v1::CHANNEL_EMAIL}));
  clock_.Set(Madrid(3, 9, 9, 5));
  ASSERT_THAT(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = "On it"}).status(), IsOk());
  clock_.Set(Madrid(3, 9, 9, 30));
  ASSERT_THAT(desk_->tickets().Merge(bob_, dup.id(), t.id()).status(), IsOk());
  clock_.Set(Madrid(3, 9, 10, 0));
  ASSERT_THAT(desk_->tickets().Update(bob_, t.id(), {.status = "solved", .assignee_id = bob_.id()}).status(), IsOk());
  clock_.Set(Madrid(3, 20, 12, 0));

  ReportSpec spec;
  spec.from = Madrid(3, 9, 0);
  spec.to = Madrid(3, 16, 0);
  spec.business_time = true;
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("channel"));
  ReportCalendars calendars;
  calendars.calendar = MadridHours();
  ASSERT_OK_AND_ASSIGN(Report r, desk_->reports().Compute(bob_, spec, calendars));
  EXPECT_EQ(r.total.created, 1);
  EXPECT_EQ(r.total.solved, 1);
  ASSERT_EQ(r.total.first_reply.count, 1);
  // Friday 16:30-18:00 and Monday 09:00-09:05.
  EXPECT_EQ(r.total.first_reply.p50, absl::Minutes(95));
  ASSERT_EQ(r.total.resolution.count, 1);
  EXPECT_EQ(r.total.resolution.p50, absl::Minutes(150));
  // Monday 00:00: the old ticket and the Friday one; then only the old one.
  EXPECT_THAT(r.total.backlog, ElementsAre(2, 1, 1, 1, 1, 1, 1));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].key, "api");
  EXPECT_EQ(r.rows[1].key, "email");
  EXPECT_EQ(r.rows[1].created, 1);
  (void)old;
}

// Rows follow a custom field through the Desk's own log: a ticket created
// with plan "gold" (the creation event does not list custom fields) and
// moved to "silver" counts its first reply under gold and its solve under
// silver. The channel is set at creation and no command changes it: the
// ticket counts under the channel it came from, after every update.
TEST_P(DeskReportsTest, CustomFieldRowsFollowTheLogAndTheChannelIsTheCreations) {
  clock_.Set(Madrid(3, 9, 9, 0));
  v1::CustomFieldValue gold, silver;
  gold.set_text("gold");
  silver.set_text("silver");
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ada_, {.subject = "Plan",
                                                      .description = "x",
                                                      .custom_fields = {{"plan", gold}},
                                                      .channel = v1::CHANNEL_WEB_FORM}));
  clock_.Set(Madrid(3, 9, 10, 0));
  ASSERT_THAT(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = "On it"}).status(), IsOk());
  clock_.Set(Madrid(3, 10, 10, 0));
  ASSERT_THAT(desk_->tickets()
                  .Update(bob_, t.id(), {.set_custom_fields = {{"plan", silver}}})
                  .status(),
              IsOk());
  clock_.Set(Madrid(3, 11, 10, 0));
  ASSERT_THAT(
      desk_->tickets().Update(bob_, t.id(), {.status = "solved", .assignee_id = bob_.id()}).status(),
      IsOk());
  clock_.Set(Madrid(3, 20, 12, 0));

  ReportSpec spec;
  spec.from = Madrid(3, 9, 0);
  spec.to = Madrid(3, 16, 0);
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("custom_field.plan"));
  ASSERT_OK_AND_ASSIGN(Report r, desk_->reports().Compute(bob_, spec));
  ASSERT_EQ(r.rows.size(), 2u);
  const ReportRow &g = r.rows[0], &s = r.rows[1];
  EXPECT_EQ(g.key, "gold");
  EXPECT_EQ(s.key, "silver");
  EXPECT_EQ(g.first_reply.count, 1);
  EXPECT_EQ(g.first_reply.p50, absl::Hours(1));
  EXPECT_EQ(g.solved, 0);
  EXPECT_EQ(s.first_reply.count, 0);
  EXPECT_EQ(s.solved, 1);
  EXPECT_EQ(s.resolution.count, 1);
  EXPECT_EQ(s.created, 1);  // by the value at the period's end
  EXPECT_EQ(g.created, 0);
  // Monday 00:00 before the ticket; Tuesday 00:00 in gold; Wednesday 00:00
  // in silver; solved from Wednesday 10:00.
  EXPECT_THAT(g.backlog, ElementsAre(0, 1, 0, 0, 0, 0, 0));
  EXPECT_THAT(s.backlog, ElementsAre(0, 0, 1, 0, 0, 0, 0));

  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("channel"));
  ASSERT_OK_AND_ASSIGN(Report c, desk_->reports().Compute(bob_, spec));
  const ReportRow* web = nullptr;
  for (const ReportRow& row : c.rows) {
    if (row.key == "web_form") web = &row;
  }
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->created, 1);
  EXPECT_EQ(web->first_reply.count, 1);
  EXPECT_EQ(web->solved, 1);
  EXPECT_THAT(web->backlog, ElementsAre(0, 1, 1, 0, 0, 0, 0));
  ASSERT_OK_AND_ASSIGN(v1::Ticket now, desk_->tickets().Get(bob_, t.id()));
  EXPECT_EQ(now.channel(), v1::CHANNEL_WEB_FORM);
}

TEST_P(DeskReportsTest, AccessAndBadInput) {
  ReportSpec spec;
  spec.from = Madrid(3, 9, 0);
  spec.to = Madrid(3, 16, 0);
  EXPECT_THAT(desk_->reports().Compute(ada_, spec).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->reports().Compute(bob_, spec).status(), IsOk());
  spec.to = spec.from - absl::Hours(1);
  EXPECT_THAT(desk_->reports().Compute(bob_, spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("before from")));
  spec.to = spec.from + absl::Hours(1);
  spec.business_time = true;
  EXPECT_THAT(desk_->reports().Compute(bob_, spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calendar")));
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskReportsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace helpdesk
