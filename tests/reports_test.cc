// Reports on hand-built audit logs with answers worked out by hand: business
// time from the first business minute, a reopened ticket, a merged ticket, a
// ticket moved between groups with different calendars, a DST week, SLA
// achievement, groupings and top tags; and bad input.
#include "helpdesk/reports.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/report_charts.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#include "report_history_builder.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::HistoryBuilder;
using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::EndsWith;
using ::testing::Not;
using ::testing::StartsWith;

absl::TimeZone Zone(const char* name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

// January 2026 in UTC: Sunday 11, Monday 12, Tuesday 13.
absl::Time Utc(int d, int h, int mi = 0, int mo = 1) {
  return absl::FromCivil(absl::CivilMinute(2026, mo, d, h, mi), absl::UTCTimeZone());
}
absl::Time Madrid(int mo, int d, int h, int mi = 0) {
  static const absl::TimeZone tz = Zone("Europe/Madrid");
  return absl::FromCivil(absl::CivilMinute(2026, mo, d, h, mi), tz);
}

BusinessCalendar Weekdays(const char* zone, const char* open = "09:00",
                          const char* close = "17:00") {
  v1::CalendarConfig c;
  c.set_time_zone(zone);
  v1::WeeklyHours* w = c.add_weekly_hours();
  for (int d = v1::WEEKDAY_MONDAY; d <= v1::WEEKDAY_FRIDAY; ++d) {
    w->add_days(static_cast<v1::Weekday>(d));
  }
  v1::OpeningInterval* i = w->add_intervals();
  i->set_open(open);
  i->set_close(close);
  absl::StatusOr<BusinessCalendar> cal = BusinessCalendar::Create(c);
  EXPECT_THAT(cal.status(), IsOk());
  return *cal;
}

ReportConfig UtcConfig() {
  ReportConfig config;
  config.calendar = Weekdays("UTC");
  return config;
}

ReportSpec Week(bool business = false) {
  ReportSpec spec;
  spec.from = Utc(11, 0);
  spec.to = Utc(18, 0);
  spec.business_time = business;
  return spec;
}

std::vector<v1::Event> Join(const std::vector<HistoryBuilder>& hs) {
  std::vector<v1::Event> all;
  for (const HistoryBuilder& h : hs) all.insert(all.end(), h.events().begin(), h.events().end());
  std::sort(all.begin(), all.end(),
            [](const v1::Event& a, const v1::Event& b) { return a.id() < b.id(); });
  return all;
}

Report MustCompute(const ReportSpec& spec, const ReportConfig& config,
                   const std::vector<v1::Event>& events) {
  absl::StatusOr<Report> r = ComputeReport(spec, config, events, {});
  EXPECT_THAT(r.status(), IsOk());
  return r.ok() ? *r : Report{};
}

TEST(ReportsTest, FirstReplyCountsFromTheFirstBusinessMinute) {
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  t.Create(Utc(11, 15)).Reply(Utc(12, 9, 5));  // Sunday 15:00, Monday 09:05
  Report business = MustCompute(Week(true), UtcConfig(), t.events());
  EXPECT_EQ(business.total.first_reply.count, 1);
  EXPECT_EQ(business.total.first_reply.p50, absl::Minutes(5));
  Report calendar = MustCompute(Week(false), UtcConfig(), t.events());
  EXPECT_EQ(calendar.total.first_reply.p50, absl::Hours(18) + absl::Minutes(5));
}

TEST(ReportsTest, ReopenedTicketCountsTwoSolvesAndFullResolution) {
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  t.Create(Utc(12, 10))
      .Reply(Utc(12, 11), 1, "pending")
      .Status(Utc(12, 12), "solved")
      .Message(Utc(13, 10), v1::Message::CUSTOMER_MESSAGE, 0, "open")
      .Reply(Utc(13, 10, 30), 2)
      .Status(Utc(13, 11), "solved");
  Report r = MustCompute(Week(false), UtcConfig(), t.events());
  EXPECT_EQ(r.total.created, 1);
  EXPECT_EQ(r.total.solved, 2);
  EXPECT_EQ(r.total.reopened, 1);
  EXPECT_EQ(r.total.first_reply.p50, absl::Hours(1));
  ASSERT_EQ(r.total.resolution.count, 1);
  EXPECT_EQ(r.total.resolution.p50, absl::Hours(25));
  EXPECT_EQ(r.total.replies_to_resolve.p50, 2);
  // New 10-11, open... : new 10:00-11:00, pending 11-12, open 10:00-11:00 on Tuesday.
  EXPECT_EQ(r.total.requester_wait.p50, absl::Hours(2));
  EXPECT_EQ(r.total.agent_work.p50, absl::Hours(2));
  Report b = MustCompute(Week(true), UtcConfig(), t.events());
  // Monday 10:00-17:00 and Tuesday 09:00-11:00.
  EXPECT_EQ(b.total.resolution.p50, absl::Hours(9));
  // Backlog at midnight: Monday 0 (not created), Tuesday 0 (solved), Wednesday 0.
  EXPECT_THAT(r.total.backlog, ElementsAre(0, 0, 0, 0, 0, 0, 0));
  ReportSpec hourly = Week(false);
  hourly.from = Utc(12, 9);
  hourly.to = Utc(12, 13);
  hourly.backlog_step = absl::Hours(1);
  Report h = MustCompute(hourly, UtcConfig(), t.events());
  EXPECT_THAT(h.total.backlog, ElementsAre(0, 1, 1, 0));
  // A period holding only the first solve: it is not the last one, so no
  // resolution figure, but the solve counts.
  ReportSpec monday = Week(false);
  monday.to = Utc(13, 0);
  Report m = MustCompute(monday, UtcConfig(), t.events());
  EXPECT_EQ(m.total.solved, 1);
  EXPECT_EQ(m.total.resolution.count, 1);  // solved as of Monday's end
  EXPECT_EQ(m.total.resolution.p50, absl::Hours(2));
}

TEST(ReportsTest, MergedTicketLeavesTheBacklogWithoutASolve) {
  int64_t ids = 1;
  HistoryBuilder a(1, &ids), b(2, &ids);
  a.Create(Utc(12, 10));
  b.Create(Utc(12, 10, 30)).MergeInto(Utc(12, 11), 1);
  a.Reply(Utc(12, 12)).Status(Utc(12, 13), "solved");
  ReportSpec spec = Week(false);
  spec.backlog_step = absl::Hours(1);
  spec.from = Utc(12, 10);
  spec.to = Utc(12, 14);
  Report r = MustCompute(spec, UtcConfig(), Join({a, b}));
  EXPECT_EQ(r.total.created, 2);
  EXPECT_EQ(r.total.solved, 1);
  EXPECT_EQ(r.total.resolution.count, 1);
  EXPECT_THAT(r.total.backlog, ElementsAre(1, 1, 1, 0));  // 10, 11, 12, 13 o'clock
  spec.backlog_step = absl::Minutes(30);
  Report half = MustCompute(spec, UtcConfig(), Join({a, b}));
  EXPECT_THAT(half.total.backlog, ElementsAre(1, 2, 1, 1, 1, 1, 0, 0));
}

TEST(ReportsTest, TicketMovedBetweenCalendarsIsMeasuredOnEach) {
  ReportConfig config = UtcConfig();
  config.group_calendars.emplace(1, Weekdays("UTC"));
  config.group_calendars.emplace(2, Weekdays("America/New_York"));  // 14:00-22:00 UTC
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  t.Create(Utc(12, 8), "new", 1).Group(Utc(12, 12), 2).Reply(Utc(12, 15));
  Report r = MustCompute(Week(true), config, t.events());
  // Group 1 from 08:00 to 12:00: 3 open hours; group 2 from 12:00 to 15:00:
  // 1 open hour. Only the latest calendar would say 1 hour, only the first 6.
  EXPECT_EQ(r.total.first_reply.p50, absl::Hours(4));
}

TEST(ReportsTest, DstWeekInMadrid) {
  ReportConfig config;
  config.calendar = Weekdays("Europe/Madrid");
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  // Friday 27 March 16:00 to Monday 30 March 10:00; clocks go forward on
  // Sunday 29 March.
  t.Create(Madrid(3, 27, 16)).Reply(Madrid(3, 30, 10));
  ReportSpec spec;
  spec.from = Madrid(3, 23, 0);
  spec.to = Madrid(4, 6, 0);
  spec.business_time = true;
  EXPECT_EQ(MustCompute(spec, config, t.events()).total.first_reply.p50, absl::Hours(2));
  spec.business_time = false;
  EXPECT_EQ(MustCompute(spec, config, t.events()).total.first_reply.p50, absl::Hours(65));
}

TEST(ReportsTest, OutboundTicketHasNoFirstReply) {
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  t.Create(Utc(12, 10), "pending", 0, v1::Message::PUBLIC_REPLY, 3).Reply(Utc(12, 11), 3);
  Report r = MustCompute(Week(false), UtcConfig(), t.events());
  EXPECT_EQ(r.total.first_reply.count, 0);
}

TEST(ReportsTest, PercentilesAreNearestRank) {
  int64_t ids = 1;
  std::vector<HistoryBuilder> hs;
  for (int i = 1; i <= 10; ++i) {
    HistoryBuilder& h = hs.emplace_back(i, &ids);
    h.Create(Utc(12, 8)).Reply(Utc(12, 8) + absl::Minutes(i));
  }
  Report r = MustCompute(Week(false), UtcConfig(), Join(hs));
  EXPECT_EQ(r.total.first_reply.count, 10);
  EXPECT_EQ(r.total.first_reply.p50, absl::Minutes(5));
  EXPECT_EQ(r.total.first_reply.p90, absl::Minutes(9));
  EXPECT_EQ(r.total.first_reply.p99, absl::Minutes(10));
  EXPECT_EQ(r.total.first_reply.mean, absl::Seconds(330));
}

// Thousands of figures (sorted by radix past a few thousand values) come
// out sorted as std::sort sorts them, with their nearest-rank percentiles.
TEST(ReportsTest, ManyFiguresAreSorted) {
  int64_t ids = 1;
  std::vector<HistoryBuilder> hs;
  std::vector<absl::Duration> first_replies;
  std::vector<int64_t> replies;
  for (int64_t i = 1; i <= 6000; ++i) {
    const absl::Time created = Utc(12, 0) + absl::Seconds(i % 1000);
    const absl::Duration wait = absl::Seconds((i * 7919) % 300000) + absl::Microseconds(i % 3);
    HistoryBuilder& h = hs.emplace_back(i, &ids);
    h.Create(created).Reply(created + wait);
    for (int64_t k = 0; k < i % 4; ++k) h.Reply(created + wait + absl::Minutes(k + 1));
    h.Status(created + wait + absl::Hours(1), "solved");
    first_replies.push_back(wait);
    replies.push_back(1 + i % 4);
  }
  Report r = MustCompute(Week(false), UtcConfig(), Join(hs));
  std::sort(first_replies.begin(), first_replies.end());
  std::sort(replies.begin(), replies.end());
  EXPECT_EQ(r.total.first_reply.values, first_replies);
  EXPECT_EQ(r.total.first_reply.p90, first_replies[5399]);
  EXPECT_EQ(r.total.replies_to_resolve.values, replies);
  EXPECT_EQ(r.total.replies_to_resolve.p50, replies[2999]);
}

TEST(ReportsTest, GroupsAndTags) {
  int64_t ids = 1;
  HistoryBuilder a(1, &ids), b(2, &ids), c(3, &ids);
  a.Create(Utc(12, 8), "new", 10).Tags(Utc(12, 9), {"billing", "vip"});
  b.Create(Utc(12, 8), "new", 2).Tags(Utc(12, 9), {"billing"});
  c.Create(Utc(12, 8));
  ReportSpec spec = Week(false);
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("group"));
  Report r = MustCompute(spec, UtcConfig(), Join({a, b, c}));
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].key, "2");
  EXPECT_EQ(r.rows[1].key, "10");
  EXPECT_EQ(r.rows[2].key, "none");
  EXPECT_EQ(r.total.created, 3);
  EXPECT_THAT(r.total.top_tags, ElementsAre(Pair("billing", 2), Pair("vip", 1)));
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("tag"));
  Report t = MustCompute(spec, UtcConfig(), Join({a, b, c}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].key, "billing");
  EXPECT_EQ(t.rows[0].created, 2);
  EXPECT_EQ(t.rows[1].key, "none");
  EXPECT_EQ(t.rows[2].key, "vip");
  // The current ticket's channel groups it.
  v1::Ticket current;
  current.set_id(1);
  current.set_channel(v1::CHANNEL_EMAIL);
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("channel"));
  ASSERT_OK_AND_ASSIGN(Report ch, ComputeReport(spec, UtcConfig(), Join({a, b, c}), {current}));
  ASSERT_EQ(ch.rows.size(), 2u);
  EXPECT_EQ(ch.rows[0].key, "email");
  EXPECT_EQ(ch.rows[1].key, "none");
  EXPECT_EQ(ch.rows[1].created, 2);
}

// Rows credit each figure to the value the ticket had at its moment: a
// ticket moved between groups, re-prioritised and re-tagged mid-period.
TEST(ReportsTest, RowsFollowTheValueAtEachMoment) {
  int64_t ids = 1;
  HistoryBuilder a(1, &ids), b(2, &ids);
  a.Create(Utc(12, 8), "new", 1)
      .Tags(Utc(12, 9), {"billing"})
      .Reply(Utc(12, 10))                            // first reply in group 1
      .Group(Utc(13, 12), 2)                         // moved to 2
      .Priority(Utc(13, 13), v1::PRIORITY_URGENT)    // re-prioritised
      .Status(Utc(14, 9), "solved")                  // solved in 2, urgent, billing
      .Message(Utc(15, 9), v1::Message::CUSTOMER_MESSAGE, 0, "open")  // reopened in 2
      .Tags(Utc(15, 10), {"refund"})                 // re-tagged
      .Group(Utc(15, 11), 1)                         // back to 1
      .Status(Utc(16, 9), "solved");                 // solved in 1, urgent, refund
  b.Create(Utc(12, 8), "new", 2);
  const std::vector<v1::Event> events = Join({a, b});
  ReportSpec spec = Week(false);  // samples at 00:00 from Sunday 11 to Saturday 17

  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("group"));
  Report g = MustCompute(spec, UtcConfig(), events);
  ASSERT_EQ(g.rows.size(), 2u);
  const ReportRow &g1 = g.rows[0], &g2 = g.rows[1];
  EXPECT_EQ(g1.key, "1");
  EXPECT_EQ(g2.key, "2");
  EXPECT_THAT(g.total.backlog, ElementsAre(0, 0, 2, 2, 1, 2, 1));
  EXPECT_THAT(g1.backlog, ElementsAre(0, 0, 1, 0, 0, 1, 0));
  EXPECT_THAT(g2.backlog, ElementsAre(0, 0, 1, 2, 1, 1, 1));
  EXPECT_EQ(g1.solved, 1);
  EXPECT_EQ(g2.solved, 1);
  EXPECT_EQ(g1.reopened, 0);
  EXPECT_EQ(g2.reopened, 1);
  EXPECT_EQ(g1.created, 1);  // both by their group at the period's end
  EXPECT_EQ(g2.created, 1);
  ASSERT_EQ(g1.first_reply.count, 1);
  EXPECT_EQ(g1.first_reply.p50, absl::Hours(2));
  EXPECT_EQ(g2.first_reply.count, 0);
  ASSERT_EQ(g1.resolution.count, 1);  // measured to the last solve, in 1
  EXPECT_EQ(g1.resolution.p50, absl::Hours(4 * 24 + 1));
  EXPECT_EQ(g1.replies_to_resolve.count, 1);
  EXPECT_EQ(g2.resolution.count, 0);
  EXPECT_EQ(g.total.solved, 2);

  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("priority"));
  Report p = MustCompute(spec, UtcConfig(), events);
  ASSERT_EQ(p.rows.size(), 2u);
  const ReportRow &normal = p.rows[0], &urgent = p.rows[1];
  EXPECT_EQ(normal.key, "normal");
  EXPECT_EQ(urgent.key, "urgent");
  EXPECT_EQ(normal.solved, 0);
  EXPECT_EQ(urgent.solved, 2);
  EXPECT_EQ(normal.created, 1);
  EXPECT_EQ(urgent.created, 1);
  EXPECT_EQ(normal.first_reply.count, 1);
  EXPECT_THAT(normal.backlog, ElementsAre(0, 0, 2, 1, 1, 1, 1));
  EXPECT_THAT(urgent.backlog, ElementsAre(0, 0, 0, 1, 0, 1, 0));

  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("tag"));
  Report t = MustCompute(spec, UtcConfig(), events);
  ASSERT_EQ(t.rows.size(), 3u);
  const ReportRow &billing = t.rows[0], &none = t.rows[1], &refund = t.rows[2];
  EXPECT_EQ(billing.key, "billing");
  EXPECT_EQ(none.key, "none");
  EXPECT_EQ(refund.key, "refund");
  EXPECT_EQ(billing.solved, 1);
  EXPECT_EQ(billing.reopened, 1);
  EXPECT_EQ(refund.solved, 1);
  EXPECT_EQ(billing.created, 0);  // the tags at the period's end
  EXPECT_EQ(refund.created, 1);
  EXPECT_EQ(none.created, 1);
  EXPECT_EQ(billing.first_reply.count, 1);
  EXPECT_THAT(billing.backlog, ElementsAre(0, 0, 1, 1, 0, 0, 0));
  EXPECT_THAT(refund.backlog, ElementsAre(0, 0, 0, 0, 0, 1, 0));
  EXPECT_THAT(none.backlog, ElementsAre(0, 0, 1, 1, 1, 1, 1));
  EXPECT_THAT(t.total.top_tags, ElementsAre(Pair("refund", 1)));
  EXPECT_THAT(refund.top_tags, ElementsAre(Pair("refund", 1)));

  // A period that ends before the move back: the last solve is not in it,
  // and creations go to the group the ticket was in at its end.
  spec.to = Utc(15, 10, 30);
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("group"));
  Report early = MustCompute(spec, UtcConfig(), events);
  ASSERT_EQ(early.rows.size(), 2u);
  EXPECT_EQ(early.rows[0].created, 0);
  EXPECT_EQ(early.rows[1].created, 2);
  EXPECT_EQ(early.rows[1].solved, 1);
  EXPECT_EQ(early.rows[1].reopened, 1);
}

// Custom fields and the organization follow the value at each moment too.
// The creation event lists neither (the Desk copies the organization from
// the requester and takes custom fields without listing them), so until a
// value's first change the ticket had what that change's `before` says.
TEST(ReportsTest, CustomFieldAndOrganizationRowsFollowTheValueAtEachMoment) {
  int64_t ids = 1;
  HistoryBuilder a(1, &ids), b(2, &ids), c(3, &ids);
  // Created with plan "gold" in organization 5 (neither in the creation).
  a.Create(Utc(12, 8))
      .Reply(Utc(12, 10))                                          // first reply: gold, 5
      .CustomField(Utc(13, 12), "plan", "gold", "silver")          // gold -> silver
      .Organization(Utc(13, 13), 5, 6)                             // 5 -> 6
      .Status(Utc(14, 9), "solved")                                // solved: silver, 6
      .Message(Utc(15, 9), v1::Message::CUSTOMER_MESSAGE, 0, "open")  // reopened: silver
      .CustomField(Utc(15, 10), "plan", "silver", std::nullopt)    // removed
      .Status(Utc(16, 9), "solved");                               // solved: no plan
  b.Create(Utc(12, 8));  // plan "gold" now (its events never set it)
  c.Create(Utc(12, 8));  // no plan
  v1::Ticket a_now, b_now;
  a_now.set_id(1);  // the timeline, not the current ticket, groups ticket 1
  a_now.set_organization_id(6);
  b_now.set_id(2);
  (*b_now.mutable_custom_fields())["plan"].set_text("gold");
  const std::vector<v1::Event> events = Join({a, b, c});
  ReportSpec spec = Week(false);  // samples at 00:00 from Sunday 11 to Saturday 17

  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("custom_field.plan"));
  ASSERT_OK_AND_ASSIGN(Report p, ComputeReport(spec, UtcConfig(), events, {a_now, b_now}));
  ASSERT_EQ(p.rows.size(), 3u);
  const ReportRow &gold = p.rows[0], &none = p.rows[1], &silver = p.rows[2];
  EXPECT_EQ(gold.key, "gold");
  EXPECT_EQ(none.key, "none");
  EXPECT_EQ(silver.key, "silver");
  EXPECT_EQ(gold.first_reply.count, 1);
  EXPECT_EQ(gold.first_reply.p50, absl::Hours(2));
  EXPECT_EQ(silver.first_reply.count, 0);
  EXPECT_EQ(gold.solved, 0);
  EXPECT_EQ(silver.solved, 1);
  EXPECT_EQ(silver.reopened, 1);
  EXPECT_EQ(none.solved, 1);
  EXPECT_EQ(none.reopened, 0);
  ASSERT_EQ(none.resolution.count, 1);  // measured to the last solve, without a plan
  EXPECT_EQ(none.resolution.p50, absl::Hours(4 * 24 + 1));
  EXPECT_EQ(silver.resolution.count, 0);
  EXPECT_EQ(gold.created, 1);  // ticket 2; ticket 1 ended without a plan
  EXPECT_EQ(none.created, 2);
  EXPECT_EQ(silver.created, 0);
  EXPECT_THAT(gold.backlog, ElementsAre(0, 0, 2, 1, 1, 1, 1));
  EXPECT_THAT(silver.backlog, ElementsAre(0, 0, 0, 1, 0, 0, 0));
  EXPECT_THAT(none.backlog, ElementsAre(0, 0, 1, 1, 1, 2, 1));
  EXPECT_EQ(p.total.solved, 2);

  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("organization"));
  ASSERT_OK_AND_ASSIGN(Report o, ComputeReport(spec, UtcConfig(), events, {a_now, b_now}));
  ASSERT_EQ(o.rows.size(), 3u);
  EXPECT_EQ(o.rows[0].key, "5");
  EXPECT_EQ(o.rows[1].key, "6");
  EXPECT_EQ(o.rows[2].key, "none");
  EXPECT_EQ(o.rows[0].first_reply.count, 1);
  EXPECT_EQ(o.rows[0].solved, 0);
  EXPECT_THAT(o.rows[0].backlog, ElementsAre(0, 0, 1, 0, 0, 0, 0));
  EXPECT_EQ(o.rows[1].solved, 2);
  EXPECT_EQ(o.rows[1].created, 1);
  EXPECT_THAT(o.rows[1].backlog, ElementsAre(0, 0, 0, 1, 0, 1, 0));
  EXPECT_EQ(o.rows[2].created, 2);

  // Taken encoded (as a store holds the events), the same report.
  ASSERT_OK_AND_ASSIGN(ReportAccumulator acc, ReportAccumulator::Create(UtcConfig()));
  for (const v1::Event& e : events) {
    v1::Event stored = e;
    stored.clear_id();
    ASSERT_THAT(acc.AddEncoded(e.id(), e.ticket_id(), stored.SerializeAsString()), IsOk());
  }
  acc.AddTicket(a_now);
  acc.AddTicket(b_now);
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("custom_field.plan"));
  ASSERT_OK_AND_ASSIGN(Report encoded, acc.Compute(spec));
  ASSERT_EQ(encoded.rows.size(), 3u);
  EXPECT_EQ(encoded.rows[0].first_reply.count, 1);
  EXPECT_EQ(encoded.rows[2].solved, 1);
  EXPECT_THAT(encoded.rows[1].backlog, ElementsAre(0, 0, 1, 1, 1, 2, 1));
}

TEST(ReportsTest, SlaAchievementPerMetric) {
  absl::StatusOr<SlaEngine> engine = SlaEngine::FromText(R"pb(
    policies {
      name: "all"
      targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 3600 } }
    }
  )pb", Workflow::Default());
  ASSERT_THAT(engine.status(), IsOk());
  ReportConfig config = UtcConfig();
  config.sla = *engine;
  int64_t ids = 1;
  HistoryBuilder a(1, &ids), b(2, &ids), c(3, &ids);
  a.Create(Utc(12, 8)).Reply(Utc(12, 8, 30));
  b.Create(Utc(12, 8)).Reply(Utc(12, 10));
  c.Create(Utc(12, 8));  // breached at 09:00, still unanswered
  Report r = MustCompute(Week(false), config, Join({a, b, c}));
  ASSERT_EQ(r.total.sla.size(), 1u);
  EXPECT_EQ(r.total.sla[0].metric, v1::SLA_METRIC_FIRST_REPLY);
  EXPECT_EQ(r.total.sla[0].met, 1);
  EXPECT_EQ(r.total.sla[0].breached, 2);
  EXPECT_DOUBLE_EQ(r.total.sla[0].achievement, 1.0 / 3);
}

TEST(ReportsTest, OnlyTheAskedMetrics) {
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  t.Create(Utc(12, 8)).Reply(Utc(12, 9)).Status(Utc(12, 10), "solved");
  ReportSpec spec = Week(false);
  spec.metrics = {ReportMetric::kSolved};
  Report r = MustCompute(spec, UtcConfig(), t.events());
  EXPECT_EQ(r.total.solved, 1);
  EXPECT_EQ(r.total.created, 0);
  EXPECT_EQ(r.total.first_reply.count, 0);
  EXPECT_TRUE(r.backlog_times.empty());
}

TEST(ReportsTest, CsvAndCharts) {
  absl::StatusOr<SlaEngine> engine = SlaEngine::FromText(R"pb(
    policies {
      name: "all"
      targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 3600 } }
    }
  )pb", Workflow::Default());
  ASSERT_THAT(engine.status(), IsOk());
  ReportConfig config = UtcConfig();
  config.sla = *engine;
  int64_t ids = 1;
  HistoryBuilder a(1, &ids), b(2, &ids);
  a.Create(Utc(12, 8)).Tags(Utc(12, 8, 1), {"a<b", "x,y"}).Reply(Utc(12, 8, 30));
  a.Status(Utc(12, 10), "solved");
  b.Create(Utc(12, 8)).Reply(Utc(12, 10));
  ReportSpec spec = Week(false);
  ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping("tag"));
  Report r = MustCompute(spec, config, Join({a, b}));
  const std::string csv = ReportCsv(r);
  EXPECT_THAT(csv, StartsWith("row,metric,statistic,value\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,created,count,2\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,first_reply,p50,1800\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,first_reply,p90,7200\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,resolution,p50,7200\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,sla.first_reply,achievement,0.5\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,backlog,2026-01-12T00:00:00Z,0\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,backlog,2026-01-13T00:00:00Z,1\n"));
  EXPECT_THAT(csv, HasSubstr("\n\"x,y\",created,count,1\n"));
  EXPECT_THAT(csv, HasSubstr("\ntotal,top_tags,\"x,y\",1\n"));

  for (const std::string& svg :
       {ReportBacklogSvg(r), *ReportDistributionSvg(r, ReportMetric::kFirstReply),
        *ReportDistributionSvg(r, ReportMetric::kResolution), ReportSlaWeeklySvg({r, r})}) {
    EXPECT_THAT(svg, StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    EXPECT_THAT(svg, EndsWith("</svg>\n"));
    EXPECT_THAT(svg, Not(HasSubstr("<script")));
    EXPECT_THAT(svg, Not(HasSubstr("a<b")));
  }
  EXPECT_THAT(ReportBacklogSvg(r), HasSubstr("a&lt;b"));
  EXPECT_THAT(ReportSlaWeeklySvg({r}), HasSubstr("first_reply: 50.0% (1 met, 1 breached)"));
  EXPECT_THAT(ReportDistributionSvg(r, ReportMetric::kCreated).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"created\"")));
}

TEST(ReportsTest, BadSpecsNameTheirField) {
  ReportSpec spec = Week(false);
  spec.to = spec.from - absl::Hours(1);
  EXPECT_THAT(ComputeReport(spec, UtcConfig(), {}, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is before from")));
  EXPECT_THAT(ParseReportMetric("speed").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("metric \"speed\"")));
  EXPECT_THAT(ParseReportGrouping("colour").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_by \"colour\"")));
  EXPECT_THAT(ParseReportGrouping("custom_field.").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  spec = Week(true);
  EXPECT_THAT(ComputeReport(spec, ReportConfig{}, {}, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("business_time")));
  spec = Week(false);
  spec.backlog_step = absl::Seconds(1);
  EXPECT_THAT(ComputeReport(spec, UtcConfig(), {}, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backlog_step")));
  spec.backlog_step = -absl::Hours(1);
  EXPECT_THAT(ComputeReport(spec, UtcConfig(), {}, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backlog_step")));
  for (ReportMetric m : AllReportMetrics()) {
    ASSERT_OK_AND_ASSIGN(ReportMetric back, ParseReportMetric(ReportMetricName(m)));
    EXPECT_EQ(back, m);
  }
}

TEST(ReportsTest, BadEventsAreRefusedAndChangeNothing) {
  ASSERT_OK_AND_ASSIGN(ReportAccumulator acc, ReportAccumulator::Create(UtcConfig()));
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  t.Create(Utc(12, 10)).Reply(Utc(12, 9)).Status(Utc(12, 11), "nonsense");
  EXPECT_THAT(acc.Add(t.events()[1]),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not TICKET_CREATED")));
  ASSERT_THAT(acc.Add(t.events()[0]), IsOk());
  EXPECT_THAT(acc.Add(t.events()[0]),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("created already")));
  EXPECT_THAT(acc.Add(t.events()[1]),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is before")));
  EXPECT_THAT(acc.Add(t.events()[2]),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"nonsense\"")));
  v1::Event no_ticket;
  no_ticket.set_id(99);
  no_ticket.set_kind(v1::Event::TICKET_CREATED);
  EXPECT_THAT(acc.Add(no_ticket),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ticket_id 0")));
  // Bytes that are no encoded event.
  EXPECT_THAT(acc.AddEncoded(98, 1, "\xff\xff"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("event 98")));
  ASSERT_OK_AND_ASSIGN(Report r, acc.Compute(Week(false)));
  EXPECT_EQ(r.total.created, 1);
  EXPECT_EQ(r.total.first_reply.count, 0);
  // Merging accumulators that both hold a ticket's events is refused.
  ASSERT_OK_AND_ASSIGN(ReportAccumulator other, ReportAccumulator::Create(UtcConfig()));
  ASSERT_THAT(other.Add(t.events()[0]), IsOk());
  EXPECT_THAT(acc.Merge(std::move(other)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ticket 1")));
}

// ReportConfig::clamp_backward_times: an event stamped before its ticket's
// previous one is taken at the latest time so far (a REFUSED event's too),
// as the Desk reads a ticket's events; encoded or not. Without it, refused.
TEST(ReportsTest, ClampedBackwardTimesReadAsTheLatestSoFar) {
  int64_t ids = 1;
  HistoryBuilder t(1, &ids);
  t.Create(Utc(12, 10)).Reply(Utc(12, 9)).Status(Utc(12, 10, 30), "solved");
  std::vector<v1::Event> events = t.events();
  v1::Event refused;
  refused.set_id(100);
  refused.set_ticket_id(1);
  refused.set_kind(v1::Event::REFUSED);
  *refused.mutable_time() = ToTimestamp(Utc(12, 11));
  events.insert(events.begin() + 2, refused);  // before the solve
  ReportConfig config = UtcConfig();
  ASSERT_OK_AND_ASSIGN(ReportAccumulator strict, ReportAccumulator::Create(config));
  ASSERT_THAT(strict.Add(events[0]), IsOk());
  EXPECT_THAT(strict.Add(events[1]),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is before")));
  config.clamp_backward_times = true;
  for (bool encoded : {false, true}) {
    SCOPED_TRACE(encoded ? "encoded" : "parsed");
    ASSERT_OK_AND_ASSIGN(ReportAccumulator acc, ReportAccumulator::Create(config));
    for (const v1::Event& e : events) {
      ASSERT_THAT(encoded ? acc.AddEncoded(e.id(), e.ticket_id(), e.SerializeAsString())
                          : acc.Add(e),
                  IsOk());
    }
    ASSERT_OK_AND_ASSIGN(Report r, acc.Compute(Week(false)));
    // The reply reads 10:00 (the creation's), the solve 11:00 (the refused
    // command's).
    ASSERT_EQ(r.total.first_reply.count, 1);
    EXPECT_EQ(r.total.first_reply.p50, absl::ZeroDuration());
    ASSERT_EQ(r.total.resolution.count, 1);
    EXPECT_EQ(r.total.resolution.p50, absl::Hours(1));
  }
  v1::Event::Kind kind = v1::Event::KIND_UNSPECIFIED;
  int64_t micros = 0;
  ASSERT_TRUE(PeekEncodedEvent(events[0].SerializeAsString(), &kind, &micros));
  EXPECT_EQ(kind, v1::Event::TICKET_CREATED);
  EXPECT_EQ(micros, absl::ToUnixMicros(Utc(12, 10)));
  EXPECT_FALSE(PeekEncodedEvent("\xff\xff", &kind, &micros));
}

}  // namespace
}  // namespace helpdesk
