// The runner: SLA warnings and breaches and offer timeouts happen at the
// right simulated times with nothing but the clock moving; the outbox is
// dispatched and retried when due; mail sources are polled at their interval
// and backed off after failures; Stop waits for the step under way, and what
// fell due while stopped runs on the next Start.
#include "helpdesk/runner.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// First reply within one calendar hour, warned ten minutes before.
constexpr char kSla[] = R"pb(
  calendars {
    name: "utc"
    time_zone: "UTC"
    weekly_hours {
      days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, WEEKDAY_THURSDAY,
              WEEKDAY_FRIDAY, WEEKDAY_SATURDAY, WEEKDAY_SUNDAY ]
      intervals { open: "00:00" close: "24:00" }
    }
  }
  policies {
    name: "standard"
    calendar: "utc"
    targets {
      metric: SLA_METRIC_FIRST_REPLY
      target { seconds: 3600 }
      warn_before { seconds: 600 }
    }
  }
)pb";

const absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0),
                                          absl::UTCTimeZone());

std::vector<v1::Event> OfKind(const std::vector<v1::Event>& events, v1::Event::Kind kind) {
  std::vector<v1::Event> out;
  for (const v1::Event& e : events) {
    if (e.kind() == kind) out.push_back(e);
  }
  return out;
}

// Waits (in real time, bounded) until `done` holds.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// Records deliveries; fails the first `failures` with Unavailable.
class RecordingAdapter final : public OutboundAdapter {
 public:
  explicit RecordingAdapter(int failures) : failures_(failures) {}
  absl::string_view Name() const override { return "test.recording"; }
  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& m) override {
    if (failures_ > 0) {
      --failures_;
      return absl::UnavailableError("smtp: connection refused");
    }
    delivered.push_back(m.ticket_id());
    return DeliveryReceipt{};
  }
  std::vector<int64_t> delivered;

 private:
  int failures_;
};

class RunnerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(":memory:"));
    } else {
      store_ = NewMemoryStore();
    }
  }

  void OpenDesk(bool with_sla, std::optional<RoutingOptions> routing = std::nullopt) {
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    if (with_sla) {
      ASSERT_OK_AND_ASSIGN(SlaEngine engine, SlaEngine::FromText(kSla, Workflow::Default()));
      o.sla = engine;
    }
    o.routing = routing;
    o.ingest.desk_email = "support@desk.example";
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(o));
    ASSERT_OK_AND_ASSIGN(v1::Group g, desk_->people().CreateGroup(SystemActor(), "Support"));
    group_ = g.id();
    ana_ = MakeAgent("Ana", "ana@x.example");
    bo_ = MakeAgent("Bo", "bo@x.example");
    ASSERT_OK_AND_ASSIGN(v1::Contact c, desk_->people().CreateContact(
                                            SystemActor(), {.name = "Cy",
                                                            .emails = {"cy@x.example"}}));
    customer_ = c.id();
  }

  int64_t MakeAgent(const std::string& name, const std::string& email) {
    NewAgent a{.name = name, .email = email, .group_ids = {group_}};
    v1::ChannelCapacity cap;
    cap.set_channel(v1::CHANNEL_EMAIL);
    cap.set_max_items(2);
    a.capacity = {cap};
    absl::StatusOr<v1::Agent> agent = desk_->people().CreateAgent(SystemActor(), a);
    EXPECT_OK(agent.status());
    return agent.ok() ? agent->id() : 0;
  }

  v1::Ticket NewTicket() {
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(
        SystemActor(), {.subject = "VPN drops",
                        .requester_id = customer_,
                        .description = "every hour",
                        .group_id = group_,
                        .channel = v1::CHANNEL_EMAIL});
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  std::vector<v1::Event> Log(int64_t id) {
    absl::StatusOr<std::vector<v1::Event>> log = desk_->tickets().AuditLog(SystemActor(), id);
    EXPECT_OK(log.status());
    return log.ok() ? *log : std::vector<v1::Event>{};
  }

  // Steps the runner the way its thread would, moving the clock to each
  // step's `next`, until `until` (each step's time recorded).
  std::vector<RunnerStep> StepUntil(Runner& runner, absl::Time until) {
    std::vector<RunnerStep> steps;
    for (int i = 0; i < 1000; ++i) {
      RunnerStep s = runner.RunOnce(clock_.Now());
      steps.push_back(s);
      if (s.next > until) break;
      clock_.Set(std::max(s.next, clock_.Now()));
    }
    return steps;
  }

  ManualClock clock_{kStart};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  int64_t group_ = 0, ana_ = 0, bo_ = 0, customer_ = 0;
};

TEST_P(RunnerTest, SlaWarningAndBreachHappenAtTheirTimesByTheClockAlone) {
  OpenDesk(/*with_sla=*/true);
  v1::Ticket t = NewTicket();
  Runner runner({.desk = desk_.get(), .clock = &clock_, .max_sleep = absl::Hours(24)});
  ASSERT_OK_AND_ASSIGN(absl::Time due, desk_->NextDue());
  EXPECT_EQ(due, kStart + absl::Minutes(50));

  std::vector<RunnerStep> steps = StepUntil(runner, kStart + absl::Hours(3));
  // Steps at 09:00 (nothing due), 09:50 (warning), 10:00 (breach); then
  // nothing is due for a day (max_sleep).
  ASSERT_THAT(steps, SizeIs(3));
  EXPECT_EQ(steps[0].at, kStart);
  EXPECT_FALSE(steps[0].ticked);
  EXPECT_EQ(steps[1].at, kStart + absl::Minutes(50));
  EXPECT_TRUE(steps[1].ticked);
  EXPECT_EQ(steps[1].tick.warnings, 1);
  EXPECT_EQ(steps[2].at, kStart + absl::Hours(1));
  EXPECT_EQ(steps[2].tick.breaches, 1);
  EXPECT_EQ(steps[2].next, kStart + absl::Hours(25));

  std::vector<v1::Event> warnings = OfKind(Log(t.id()), v1::Event::SLA_WARNING);
  std::vector<v1::Event> breaches = OfKind(Log(t.id()), v1::Event::SLA_BREACHED);
  ASSERT_THAT(warnings, SizeIs(1));
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(FromTimestamp(warnings[0].time()), kStart + absl::Minutes(50));
  EXPECT_EQ(FromTimestamp(breaches[0].time()), kStart + absl::Hours(1));
}

TEST_P(RunnerTest, OfferRunsOutAtItsTimeAndGoesToTheNextAgent) {
  RoutingOptions r;
  r.offer_timeout = absl::Minutes(2);
  OpenDesk(/*with_sla=*/false, r);
  ASSERT_OK(desk_->people().SetAgentPresence(AgentActor(ana_), ana_, v1::PRESENCE_ONLINE)
                .status());
  v1::Ticket t = NewTicket();
  ASSERT_EQ(t.assignee_id(), ana_);
  ASSERT_OK(
      desk_->people().SetAgentPresence(AgentActor(bo_), bo_, v1::PRESENCE_ONLINE).status());
  Runner runner({.desk = desk_.get(), .clock = &clock_, .max_sleep = absl::Hours(1)});
  RunnerStep first = runner.RunOnce(clock_.Now());
  EXPECT_FALSE(first.ticked);
  EXPECT_EQ(first.next, kStart + absl::Minutes(2));
  clock_.Set(first.next);
  RunnerStep second = runner.RunOnce(clock_.Now());
  EXPECT_TRUE(second.ticked);
  EXPECT_EQ(second.tick.offers_expired, 1);
  ASSERT_OK_AND_ASSIGN(v1::Ticket now, desk_->tickets().Get(SystemActor(), t.id()));
  EXPECT_EQ(now.assignee_id(), bo_);
  // Bo's offer runs out two minutes later in turn.
  EXPECT_EQ(second.next, kStart + absl::Minutes(4));
}

TEST_P(RunnerTest, OutboxIsDispatchedAndRetriedWhenDue) {
  OpenDesk(/*with_sla=*/false);
  v1::Ticket t = NewTicket();
  ASSERT_OK(desk_->tickets()
                .AddMessage(AgentActor(ana_), t.id(), {.body_text = "Which version?"})
                .status());
  RecordingAdapter smtp(/*failures=*/1);
  Runner runner({.desk = desk_.get(),
                 .clock = &clock_,
                 .adapters = {{v1::CHANNEL_EMAIL, &smtp}},
                 .max_sleep = absl::Hours(1)});
  RunnerStep first = runner.RunOnce(clock_.Now());
  EXPECT_TRUE(first.dispatched);
  EXPECT_EQ(first.dispatch.retried, 1);
  // The retry is due after the outbox's initial back-off (30 s).
  EXPECT_EQ(first.next, kStart + absl::Seconds(30));
  clock_.Set(first.next);
  RunnerStep second = runner.RunOnce(clock_.Now());
  EXPECT_EQ(second.dispatch.delivered, 1);
  EXPECT_THAT(smtp.delivered, ElementsAre(t.id()));
  EXPECT_EQ(second.next, clock_.Now() + absl::Hours(1));
}

TEST_P(RunnerTest, MailSourceIsPolledAtItsIntervalAndBackedOffAfterFailures) {
  OpenDesk(/*with_sla=*/false);
  std::vector<absl::Time> polls;
  int fail = 3;
  Runner runner({.desk = desk_.get(),
                 .clock = &clock_,
                 .mail_sources = {{.name = "imap",
                                   .poll =
                                       [&](absl::Time now) {
                                         polls.push_back(now);
                                         if (fail > 0) {
                                           --fail;
                                           return absl::UnavailableError("imap: timeout");
                                         }
                                         return absl::OkStatus();
                                       }}},
                 .mail_interval = absl::Minutes(1),
                 .max_backoff = absl::Minutes(5),
                 .max_sleep = absl::Hours(1)});
  StepUntil(runner, kStart + absl::Minutes(14));
  // Fails at 0, 2 (after 2 min), 6 (4 min); then 5 min (capped): 11 succeeds,
  // then every minute.
  const absl::Time s = kStart;
  EXPECT_THAT(polls, ElementsAre(s, s + absl::Minutes(2), s + absl::Minutes(6),
                                 s + absl::Minutes(11), s + absl::Minutes(12),
                                 s + absl::Minutes(13), s + absl::Minutes(14)));
}

// Retention (RunnerOptions::retention) runs at the first step and then at
// its interval, by the clock alone: a ticket closed 31 days before a run
// with a 30-day policy is purged by that run, not before.
TEST_P(RunnerTest, RetentionRunsAtItsIntervalAndPurgesOldClosedTickets) {
  OpenDesk(/*with_sla=*/false);
  v1::Ticket t = NewTicket();
  ASSERT_THAT(desk_->tickets().Update(SystemActor(), t.id(), {.status = "solved",
                                                               .assignee_id = ana_}).status(),
              IsOk());
  ASSERT_THAT(desk_->tickets().Update(SystemActor(), t.id(), {.status = "closed"}).status(),
              IsOk());
  std::vector<RunnerStep> runs;
  Runner runner({.desk = desk_.get(),
                 .clock = &clock_,
                 .max_sleep = absl::Hours(100),
                 .retention = RetentionPolicy{.closed_ticket_days = 30},
                 .retention_interval = absl::Hours(24),
                 .on_step = [&](const RunnerStep& s) {
                   if (s.retained) runs.push_back(s);
                 }});
  StepUntil(runner, kStart + absl::Hours(24 * 31) + absl::Minutes(1));
  // Runs at day 0, 1, ..., 31: 32 runs, each at its time; only day 31's
  // purges the ticket (closed at day 0, older than 30 days then).
  ASSERT_EQ(runs.size(), 32u);
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].at, kStart + absl::Hours(24) * static_cast<int64_t>(i)) << i;
    EXPECT_THAT(runs[i].retention_status, IsOk()) << i;
    if (i < 31) {
      EXPECT_THAT(runs[i].retention.run.purged_ticket_ids(), IsEmpty()) << i;
    }
  }
  EXPECT_THAT(runs.back().retention.run.purged_ticket_ids(), ElementsAre(t.id()));
  EXPECT_THAT(desk_->tickets().Get(SystemActor(), t.id()).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RunnerTest, BadRetentionIntervalIsInvalidArgument) {
  OpenDesk(/*with_sla=*/false);
  Runner runner({.desk = desk_.get(),
                 .clock = &clock_,
                 .retention = RetentionPolicy{.closed_ticket_days = 30},
                 .retention_interval = absl::ZeroDuration()});
  EXPECT_THAT(runner.Start(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("retention_interval")));
}

TEST_P(RunnerTest, ThreadTicksWhenWokenAfterTheClockMoved) {
  OpenDesk(/*with_sla=*/true);
  v1::Ticket t = NewTicket();
  std::atomic<int> breaches{0};
  Runner runner({.desk = desk_.get(),
                 .clock = &clock_,
                 .max_sleep = absl::Hours(24),
                 .on_step = [&](const RunnerStep& s) { breaches += s.tick.breaches; }});
  ASSERT_OK(runner.Start());
  EXPECT_THAT(runner.Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(Eventually([&] { return runner.steps() >= 1; }));
  clock_.Advance(absl::Hours(2));
  runner.Wake();
  ASSERT_TRUE(Eventually([&] { return breaches.load() == 1; }));
  runner.Stop();
  EXPECT_FALSE(runner.running());
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::SLA_BREACHED), SizeIs(1));
}

TEST_P(RunnerTest, WorkDueWhileStoppedRunsOnTheNextStart) {
  OpenDesk(/*with_sla=*/true);
  v1::Ticket t = NewTicket();
  std::atomic<int> breaches{0};
  Runner runner({.desk = desk_.get(),
                 .clock = &clock_,
                 .max_sleep = absl::Hours(24),
                 .on_step = [&](const RunnerStep& s) { breaches += s.tick.breaches; }});
  ASSERT_OK(runner.Start());
  ASSERT_TRUE(Eventually([&] { return runner.steps() >= 1; }));
  runner.Stop();
  runner.Stop();  // twice is fine
  const int64_t steps = runner.steps();
  clock_.Advance(absl::Hours(5));
  EXPECT_EQ(runner.steps(), steps);
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::SLA_BREACHED), SizeIs(0));
  ASSERT_OK(runner.Start());
  ASSERT_TRUE(Eventually([&] { return breaches.load() == 1; }));
  runner.Stop();
  std::vector<v1::Event> b = OfKind(Log(t.id()), v1::Event::SLA_BREACHED);
  ASSERT_THAT(b, SizeIs(1));
  EXPECT_EQ(FromTimestamp(b[0].time()), kStart + absl::Hours(5));
}

TEST_P(RunnerTest, StopWaitsForThePollUnderWay) {
  OpenDesk(/*with_sla=*/false);
  std::atomic<bool> in_poll{false}, release{false}, finished{false};
  Runner runner({.desk = desk_.get(),
                 .clock = &clock_,
                 .mail_sources = {{.name = "slow",
                                   .poll =
                                       [&](absl::Time) {
                                         in_poll = true;
                                         while (!release) {
                                           std::this_thread::sleep_for(
                                               std::chrono::milliseconds(1));
                                         }
                                         finished = true;
                                         return absl::OkStatus();
                                       }}}});
  ASSERT_OK(runner.Start());
  ASSERT_TRUE(Eventually([&] { return in_poll.load(); }));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    runner.Stop();
    stopped = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(stopped.load());
  release = true;
  stopper.join();
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(runner.running());
}

TEST_P(RunnerTest, MissingDeskOrClockIsInvalidArgument) {
  Runner no_desk({.clock = &clock_});
  EXPECT_THAT(no_desk.Start(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(no_desk.RunOnce(kStart).tick_status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  OpenDesk(false);
  Runner no_poll({.desk = desk_.get(), .clock = &clock_, .mail_sources = {{.name = "x"}}});
  EXPECT_THAT(no_poll.Start(), StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Stores, RunnerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace helpdesk
