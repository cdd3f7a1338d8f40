// SLA clocks inside the Desk: deadlines kept on every change, Tick raising
// warnings and breaches exactly once, reads, queries by deadline, and the
// peers' known failures (Zammad #4353: a deactivated SLA keeps escalating).
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// Madrid office, 09:00-18:00 on weekdays. First reply within 4 business hours
// (warning 30 minutes before); full resolution within 3 calendar days; the
// clocks pause while pending or on hold.
constexpr char kSla[] = R"pb(
  calendars {
    name: "madrid"
    time_zone: "Europe/Madrid"
    weekly_hours {
      days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, WEEKDAY_THURSDAY,
              WEEKDAY_FRIDAY ]
      intervals { open: "09:00" close: "18:00" }
    }
  }
  policies {
    name: "standard"
    calendar: "madrid"
    targets {
      metric: SLA_METRIC_FIRST_REPLY
      target { seconds: 14400 }
      business_hours: true
      warn_before { seconds: 1800 }
    }
    targets { metric: SLA_METRIC_FULL_RESOLUTION target { seconds: 259200 } }
    pause_statuses: [ "pending", "on_hold" ]
  }
)pb";

absl::Time Madrid(int y, int m, int d, int hh, int mm) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Madrid", &tz));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tz);
}

const SlaMetricStatus* Metric(const SlaStatus& s, v1::SlaMetric metric) {
  for (const SlaMetricStatus& m : s.metrics) {
    if (m.metric == metric) return &m;
  }
  return nullptr;
}

class DeskSlaTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      auto s = OpenSqliteStore(":memory:");
      ASSERT_OK(s.status());
      store_ = *std::move(s);
    } else {
      store_ = NewMemoryStore();
    }
    ASSERT_OK_AND_ASSIGN(SlaEngine engine,
                         SlaEngine::FromText(kSla, Workflow::Default()));
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                            .clock = &clock_,
                                            .sla = engine}));
    ASSERT_OK_AND_ASSIGN(v1::Agent bob,
                         desk_->people().CreateAgent(SystemActor(),
                                            {.name = "Bob", .email = "bob@x.example"}));
    bob_ = AgentActor(bob.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                         desk_->people().CreateContact(SystemActor(),
                                              {.name = "Ada",
                                               .emails = {"ada@x.example"}}));
    ada_ = ContactActor(ada.id());
  }

  std::vector<v1::Event> SlaEvents(int64_t ticket_id) {
    std::vector<v1::Event> out;
    auto log = desk_->tickets().AuditLog(bob_, ticket_id);
    EXPECT_OK(log.status());
    for (const v1::Event& e : *log) {
      if (e.kind() == v1::Event::SLA_WARNING || e.kind() == v1::Event::SLA_BREACHED) {
        out.push_back(e);
      }
    }
    return out;
  }

  // Friday 2026-03-06 16:30 in Madrid.
  ManualClock clock_{Madrid(2026, 3, 6, 16, 30)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  v1::Actor bob_, ada_;
};

TEST_P(DeskSlaTest, FridayAfternoonTicketIsDueMondayAndTicksOnce) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ada_, {.subject = "Invoice wrong",
                                                  .description = "Please fix"}));
  // 16:30-18:00 Friday is 1.5 h; 2.5 h more on Monday from 09:00: 11:30 due,
  // warning at 11:00.
  ASSERT_TRUE(t.has_sla_next_deadline());
  EXPECT_EQ(FromTimestamp(t.sla_next_deadline()), Madrid(2026, 3, 9, 11, 0));
  ASSERT_OK_AND_ASSIGN(SlaStatus sla, desk_->sla().Status(bob_, t.id()));
  EXPECT_EQ(sla.policy, "standard");
  const SlaMetricStatus* first = Metric(sla, v1::SLA_METRIC_FIRST_REPLY);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->state, SlaState::kRunning);
  ASSERT_TRUE(first->due_at.has_value());
  EXPECT_EQ(*first->due_at, Madrid(2026, 3, 9, 11, 30));

  // Nothing is due over the weekend.
  ASSERT_OK_AND_ASSIGN(TickReport r, desk_->Tick(Madrid(2026, 3, 8, 12, 0)));
  EXPECT_EQ(r.warnings + r.breaches, 0);
  // The warning, once.
  clock_.Set(Madrid(2026, 3, 9, 11, 0));
  ASSERT_OK_AND_ASSIGN(r, desk_->Tick(clock_.Now()));
  EXPECT_EQ(r.warnings, 1);
  EXPECT_EQ(r.breaches, 0);
  ASSERT_OK_AND_ASSIGN(r, desk_->Tick(clock_.Now()));
  EXPECT_EQ(r.warnings + r.breaches, 0);
  // The breach, once, even when Tick runs twice and late.
  clock_.Set(Madrid(2026, 3, 9, 11, 45));
  ASSERT_OK_AND_ASSIGN(r, desk_->Tick(clock_.Now()));
  EXPECT_EQ(r.breaches, 1);
  ASSERT_OK_AND_ASSIGN(r, desk_->Tick(clock_.Now()));
  EXPECT_EQ(r.warnings + r.breaches, 0);
  std::vector<v1::Event> events = SlaEvents(t.id());
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].kind(), v1::Event::SLA_WARNING);
  EXPECT_EQ(events[1].kind(), v1::Event::SLA_BREACHED);
  EXPECT_EQ(events[1].sla_metric(), v1::SLA_METRIC_FIRST_REPLY);
  EXPECT_EQ(events[1].sla_policy(), "standard");
  EXPECT_EQ(FromTimestamp(events[1].sla_due_at()), Madrid(2026, 3, 9, 11, 30));

  // A late reply ends the cycle; it stays breached.
  ASSERT_OK(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = "Fixed"}).status());
  ASSERT_OK_AND_ASSIGN(sla, desk_->sla().Status(bob_, t.id()));
  first = Metric(sla, v1::SLA_METRIC_FIRST_REPLY);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->state, SlaState::kBreached);
  EXPECT_TRUE(first->stopped_at.has_value());
}

TEST_P(DeskSlaTest, PendingPausesAndTheDeadlineMoves) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ada_, {.subject = "Login fails",
                                                  .description = "401"}));
  clock_.Advance(absl::Minutes(10));
  ASSERT_OK(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = "Which browser?"}).status());
  ASSERT_OK_AND_ASSIGN(t, desk_->tickets().Update(bob_, t.id(), {.status = "pending"}));
  // Only resolution runs, and it is paused: no deadline.
  EXPECT_FALSE(t.has_sla_next_deadline());
  ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(bob_, t.id()));
  ASSERT_TRUE(view.sla.has_value());
  const SlaMetricStatus* res = Metric(*view.sla, v1::SLA_METRIC_FULL_RESOLUTION);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->state, SlaState::kPaused);
  EXPECT_FALSE(res->due_at.has_value());
  // Two days later the customer answers: the clock resumes where it stopped.
  clock_.Advance(absl::Hours(48));
  ASSERT_OK(desk_->tickets().AddMessage(ada_, t.id(), {.kind = v1::Message::CUSTOMER_MESSAGE,
                                             .body_text = "Firefox"})
                .status());
  ASSERT_OK_AND_ASSIGN(t, desk_->tickets().Get(bob_, t.id()));
  EXPECT_EQ(t.status(), "open");
  ASSERT_TRUE(t.has_sla_next_deadline());
  // 10 minutes were used before the pause: 72 h - 10 min remain from now.
  EXPECT_EQ(FromTimestamp(t.sla_next_deadline()),
            clock_.Now() + absl::Hours(72) - absl::Minutes(10));
  // Customers do not see SLA clocks.
  EXPECT_THAT(desk_->sla().Status(ada_, t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(view, desk_->tickets().View(ada_, t.id()));
  EXPECT_FALSE(view.sla.has_value());
}

TEST_P(DeskSlaTest, QueryByNextDeadline) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket a,
                       desk_->tickets().Create(ada_, {.subject = "a", .description = "x"}));
  clock_.Advance(absl::Minutes(20));
  ASSERT_OK_AND_ASSIGN(v1::Ticket b,
                       desk_->tickets().Create(ada_, {.subject = "b", .description = "x"}));
  ASSERT_OK_AND_ASSIGN(v1::Ticket c,
                       desk_->tickets().Create(ada_, {.subject = "c", .description = "x"}));
  ASSERT_OK(desk_->tickets().Update(bob_, c.id(), {.status = "pending"}).status());
  TicketQuery q;
  q.sort = TicketSort::kSlaDeadlineAsc;
  ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(bob_, q));
  ASSERT_THAT(page.tickets, SizeIs(3));
  EXPECT_EQ(page.tickets[0].id(), a.id());
  EXPECT_EQ(page.tickets[1].id(), b.id());
  EXPECT_EQ(page.tickets[2].id(), c.id());  // paused: no deadline, last
  q.sla_deadline = TimeRange{absl::InfinitePast(), Madrid(2026, 3, 9, 11, 10)};
  ASSERT_OK_AND_ASSIGN(page, desk_->tickets().Query(bob_, q));
  ASSERT_THAT(page.tickets, SizeIs(1));
  EXPECT_EQ(page.tickets[0].id(), a.id());
}

// Zammad #4353: tickets of a deactivated SLA stay escalated and keep
// notifying. Here the host turns the policy off; after RefreshSlaDeadlines the
// ticket has no deadline and Tick raises nothing more.
TEST_P(DeskSlaTest, DeactivatedPolicyStopsEscalating) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ada_, {.subject = "x", .description = "y"}));
  clock_.Set(Madrid(2026, 3, 9, 12, 0));
  ASSERT_OK_AND_ASSIGN(TickReport r, desk_->Tick(clock_.Now()));
  EXPECT_EQ(r.breaches, 1);

  std::string inactive = std::string(kSla);
  inactive.replace(inactive.find("name: \"standard\""), 17,
                   "name: \"standard\" inactive: true");
  ASSERT_OK_AND_ASSIGN(SlaEngine off, SlaEngine::FromText(inactive, Workflow::Default()));
  ASSERT_OK_AND_ASSIGN(auto desk2, Desk::Open({.store = store_.get(),
                                               .clock = &clock_,
                                               .sla = off}));
  ASSERT_OK_AND_ASSIGN(int64_t visited, desk2->sla().RefreshDeadlines());
  EXPECT_EQ(visited, 1);
  ASSERT_OK_AND_ASSIGN(t, desk2->tickets().Get(bob_, t.id()));
  EXPECT_FALSE(t.has_sla_next_deadline());
  ASSERT_OK_AND_ASSIGN(SlaStatus sla, desk2->sla().Status(bob_, t.id()));
  EXPECT_TRUE(sla.policy.empty());
  EXPECT_TRUE(sla.metrics.empty());
  clock_.Advance(absl::Hours(100));
  ASSERT_OK_AND_ASSIGN(r, desk2->Tick(clock_.Now()));
  EXPECT_EQ(r.tickets_evaluated + r.warnings + r.breaches, 0);
}

TEST_P(DeskSlaTest, DeskWithoutSlaHasNoDeadlines) {
  ASSERT_OK_AND_ASSIGN(auto plain, Desk::Open({.store = store_.get(), .clock = &clock_}));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       plain->tickets().Create(ada_, {.subject = "x", .description = "y"}));
  EXPECT_FALSE(t.has_sla_next_deadline());
  EXPECT_THAT(plain->sla().Status(bob_, t.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no SLAs")));
  ASSERT_OK_AND_ASSIGN(TickReport r, plain->Tick(clock_.Now() + absl::Hours(1000)));
  EXPECT_EQ(r.tickets_evaluated, 0);
}

// Regression: events stamped earlier than the ones before them (a host clock
// that steps back) must not make the ticket unusable.
TEST_P(DeskSlaTest, ClockSteppingBackKeepsTheTicketUsable) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(ada_, {.subject = "x", .description = "y"}));
  // A Tick far ahead writes a breach stamped three days from now...
  ASSERT_OK_AND_ASSIGN(TickReport r, desk_->Tick(clock_.Now() + absl::Hours(72)));
  EXPECT_EQ(r.breaches, 2);  // first reply, and resolution (72 h, due exactly then)
  // ...then the host's clock reads earlier again.
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(desk_->tickets().AddMessage(bob_, t.id(), {.body_text = "on it"}), IsOk());
  EXPECT_THAT(desk_->tickets().Update(bob_, t.id(), {.status = "pending"}), IsOk());
  EXPECT_THAT(desk_->sla().Status(bob_, t.id()), IsOk());
  EXPECT_THAT(desk_->Tick(clock_.Now()), IsOk());
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskSlaTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace helpdesk
