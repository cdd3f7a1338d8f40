// SlaEngine: warning times and the next deadline, pauses, policy and target
// selection, and a test driven by a real Desk (so the engine reads the
// events Desk really writes).
#include "helpdesk/sla.h"

#include "sla_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---------------------------------------------------------------------------
// Warnings and the next deadline.

TEST(SlaEngineTest, WarningTimesAndNextDeadline) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true, H(1))));
  // Created Friday 16:30 (09:00-18:00): due Monday 11:30, warned an hour
  // before (real time): 10:30.
  const Log log(Jan(9, 16, 30));
  struct Step {
    absl::Time now;
    SlaState state;
    std::optional<absl::Time> next_deadline;
  };
  const Step steps[] = {
      {Jan(9, 17), SlaState::kRunning, Jan(12, 10, 30)},
      {Jan(12, 10, 30), SlaState::kRunning,
       Jan(12, 11, 30)},  // Strictly after.
      {Jan(12, 11), SlaState::kRunning, Jan(12, 11, 30)},
      {Jan(12, 11, 30), SlaState::kBreached, std::nullopt},
      {Jan(12, 12), SlaState::kBreached, std::nullopt},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.now);
    ASSERT_OK_AND_ASSIGN(
        SlaStatus status,
        engine.Evaluate(NormalTicket(), log.events(), step.now));
    const SlaMetricStatus* m = Find(status, kFirstReply);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->state, step.state);
    EXPECT_EQ(m->warn_before, H(1));
    EXPECT_EQ(m->due_at, Jan(12, 11, 30));
    EXPECT_EQ(m->warn_at, Jan(12, 10, 30));
    EXPECT_EQ(status.next_deadline, step.next_deadline);
  }
}

TEST(SlaEngineTest, NextDeadlineIsTheEarliestAmongRunningMetrics) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(4), false, H(1)) +
                     Target("PERIODIC_UPDATE", H(2), false, absl::Minutes(30)) +
                     Target("FULL_RESOLUTION", H(24)) +
                     "pause_statuses: [\"pending\"]"));
  Log log(Jan(12, 9));
  // 09:10: first reply warns 12:00, periodic update warns 10:30.
  ASSERT_OK_AND_ASSIGN(
      SlaStatus s,
      engine.Evaluate(NormalTicket(), log.events(), Jan(12, 9, 10)));
  EXPECT_EQ(s.next_deadline, Jan(12, 10, 30));
  // A note at 10:00 restarts the periodic update (warns 11:30).
  log.Note(Jan(12, 10));
  ASSERT_OK_AND_ASSIGN(
      s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 10)));
  EXPECT_EQ(s.next_deadline, Jan(12, 11, 30));
  // Pending: every clock paused, nothing to tick.
  log.Status(Jan(12, 10, 15), "pending");
  ASSERT_OK_AND_ASSIGN(
      s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 11)));
  EXPECT_EQ(s.next_deadline, std::nullopt);
  for (const SlaMetricStatus& m : s.metrics) {
    EXPECT_EQ(m.state, SlaState::kPaused) << SlaMetricName(m.metric);
    EXPECT_EQ(m.due_at, std::nullopt);
    EXPECT_EQ(m.warn_at, std::nullopt);
  }
}

TEST(SlaEngineTest, PauseAndResumeMovesDueByThePausedBusinessTime) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true) +
                           "pause_statuses: [\"pending\", \"on_hold\"]"));
  // Created Monday 10:00: due 14:00. On hold 11:00 to Tuesday 11:00 pauses
  // 9 business hours (Mon 11-18, Tue 9-11): due Tuesday 14:00 - which is
  // Monday 14:00 plus 9 business hours (Mon 14-18, Tue 9-14).
  Log log(Jan(12, 10));
  ASSERT_OK_AND_ASSIGN(
      SlaStatus before,
      engine.Evaluate(NormalTicket(), log.events(), Jan(12, 10, 30)));
  EXPECT_EQ(Find(before, kFirstReply)->due_at, Jan(12, 14));
  log.Status(Jan(12, 11), "on_hold").Status(Jan(13, 11), "open");
  ASSERT_OK_AND_ASSIGN(
      SlaStatus after,
      engine.Evaluate(NormalTicket(), log.events(), Jan(13, 11)));
  const SlaMetricStatus* m = Find(after, kFirstReply);
  EXPECT_EQ(m->used, H(1));
  EXPECT_EQ(m->due_at, Jan(13, 14));
  EXPECT_EQ(m->state, SlaState::kRunning);
}

// Zammad #4353: deactivating a policy takes its tickets out of SLA at once.
TEST(SlaEngineTest, Zammad4353InactivePolicyCoversNothing) {
  const std::string policy =
      Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(1));
  const Log log =
      std::move(Log(Jan(12, 9)).Reply(Jan(12, 9, 30)).Customer(Jan(12, 10)));
  ASSERT_OK_AND_ASSIGN(SlaEngine active, Engine("", policy));
  ASSERT_OK_AND_ASSIGN(
      SlaStatus covered,
      active.Evaluate(NormalTicket(), log.events(), Jan(12, 10, 30)));
  EXPECT_EQ(covered.policy, "standard");
  EXPECT_EQ(covered.next_deadline, Jan(12, 11));
  ASSERT_OK_AND_ASSIGN(SlaEngine inactive,
                       Engine("", policy + "inactive: true"));
  EXPECT_EQ(inactive.PolicyFor(NormalTicket()), nullptr);
  ASSERT_OK_AND_ASSIGN(
      SlaStatus none,
      inactive.Evaluate(NormalTicket(), log.events(), Jan(12, 12)));
  EXPECT_EQ(none.policy, "");
  EXPECT_THAT(none.metrics, IsEmpty());
  EXPECT_EQ(none.next_deadline, std::nullopt);
}

TEST(SlaEngineTest, PolicySelectionUsesCurrentFieldsFirstActiveWins) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      SlaEngine::FromText(R"pb(
                            policies {
                              name: "retired"
                              inactive: true
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 60 }
                              }
                            }
                            policies {
                              name: "vip"
                              applies_when { tags_any: [ "vip", "gold" ] }
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 900 }
                              }
                            }
                            policies {
                              name: "urgent-billing"
                              applies_when {
                                priorities: [ PRIORITY_URGENT, PRIORITY_HIGH ]
                                group_ids: [ 5 ]
                              }
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 1800 }
                              }
                            }
                            policies {
                              name: "acme-chat"
                              applies_when {
                                organization_ids: [ 42 ]
                                channels: [ CHANNEL_CHAT ]
                              }
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 300 }
                              }
                            }
                            policies {
                              name: "default"
                              targets {
                                metric: SLA_METRIC_FIRST_REPLY
                                target { seconds: 3600 }
                              }
                            }
                          )pb",
                          Workflow::Default()));
  auto name = [&](const v1::Ticket& t) -> std::string {
    const v1::SlaPolicyConfig* p = engine.PolicyFor(t);
    return p == nullptr ? "" : p->name();
  };
  v1::Ticket t = NormalTicket();
  EXPECT_EQ(name(t), "default");
  t.add_tags("gold");
  EXPECT_EQ(name(t), "vip");
  t.clear_tags();
  t.set_priority(v1::PRIORITY_URGENT);
  EXPECT_EQ(name(t), "default");  // Needs group 5 as well.
  t.set_group_id(5);
  EXPECT_EQ(name(t), "urgent-billing");
  t.set_priority(v1::PRIORITY_LOW);
  EXPECT_EQ(name(t), "default");
  t.set_organization_id(42);
  EXPECT_EQ(name(t), "default");  // Email, not chat.
  t.set_channel(v1::CHANNEL_CHAT);
  EXPECT_EQ(name(t), "acme-chat");
  // Evaluate uses the selected policy's targets.
  const Log log(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(SlaStatus s,
                       engine.Evaluate(t, log.events(), Jan(12, 9)));
  EXPECT_EQ(s.policy, "acme-chat");
  ASSERT_EQ(s.metrics.size(), 1u);
  EXPECT_EQ(s.metrics[0].due_at, Jan(12, 9, 5));
}

TEST(SlaEngineTest, TargetForPriorityListedTargetWinsOverEarlierCatchAll) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(8)) +
                     Target("FIRST_REPLY", H(2), false, absl::ZeroDuration(),
                            "PRIORITY_HIGH") +
                     Target("FIRST_REPLY", H(1), false, absl::ZeroDuration(),
                            "PRIORITY_HIGH, PRIORITY_URGENT") +
                     Target("FIRST_REPLY", H(16))));
  for (auto [priority, target] :
       std::vector<std::pair<std::string, absl::Duration>>{
           {"low", H(8)}, {"normal", H(8)}, {"high", H(2)}, {"urgent", H(1)}}) {
    const Log log(Jan(12, 9), priority);
    ASSERT_OK_AND_ASSIGN(
        SlaStatus s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 9)));
    ASSERT_EQ(s.metrics.size(), 1u);
    EXPECT_EQ(s.metrics[0].target, target) << priority;
  }
}

TEST(SlaEngineTest, MetricWithoutTargetForThePriorityIsNotReported) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(1), false, absl::ZeroDuration(),
                        "PRIORITY_URGENT") +
                     Target("FULL_RESOLUTION", H(8))));
  const Log log(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(
      SlaStatus s, engine.Evaluate(NormalTicket(), log.events(), Jan(12, 10)));
  ASSERT_EQ(s.metrics.size(), 1u);
  EXPECT_EQ(s.metrics[0].metric, kFullResolution);
  // Metrics come in SlaMetric order.
  ASSERT_OK_AND_ASSIGN(SlaEngine all,
                       Engine("", kResolution8h + Target("FIRST_REPLY", H(1))));
  ASSERT_OK_AND_ASSIGN(s,
                       all.Evaluate(NormalTicket(), log.events(), Jan(12, 10)));
  std::vector<std::string> names;
  for (const SlaMetricStatus& m : s.metrics)
    names.push_back(SlaMetricName(m.metric));
  EXPECT_THAT(names, ::testing::ElementsAre("first_reply", "requester_wait",
                                            "agent_work", "first_resolution",
                                            "full_resolution"));
}

// Links, refusals, and the SLA events Desk::Tick writes (kinds 8 and 9) do
// not move any clock.
TEST(SlaEngineTest, EventsThatTouchNoClockAreIgnored) {
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true) +
                           Target("PERIODIC_UPDATE", H(2), true)));
  Log plain(Jan(12, 9));
  Log busy = std::move(Log(Jan(12, 9)).Link(Jan(12, 9, 30)));
  std::vector<v1::Event> events = busy.events();
  for (int kind : {7, 8, 9}) {
    v1::Event& e = events.emplace_back();
    e.set_kind(static_cast<v1::Event::Kind>(kind));
    *e.mutable_time() = ToTimestamp(Jan(12, 10 + kind - 7));
    e.set_note("not a clock event");
  }
  ASSERT_OK_AND_ASSIGN(
      SlaStatus want,
      engine.Evaluate(NormalTicket(), plain.events(), Jan(12, 13)));
  ASSERT_OK_AND_ASSIGN(SlaStatus got,
                       engine.Evaluate(NormalTicket(), events, Jan(12, 13)));
  ASSERT_EQ(got.metrics.size(), want.metrics.size());
  for (size_t i = 0; i < want.metrics.size(); ++i) {
    EXPECT_EQ(got.metrics[i].used, want.metrics[i].used);
    EXPECT_EQ(got.metrics[i].due_at, want.metrics[i].due_at);
    EXPECT_EQ(got.metrics[i].state, want.metrics[i].state);
    EXPECT_EQ(got.metrics[i].cycles, want.metrics[i].cycles);
  }
  EXPECT_EQ(got.next_deadline, want.next_deadline);
  EXPECT_EQ(Find(got, kPeriodic)->breached_at, Jan(12, 11));
}

// `now` is taken at the data model's precision, the microsecond.
TEST(SlaEngineTest, NowWithNanosecondsIsFlooredToTheMicrosecond) {
  ASSERT_OK_AND_ASSIGN(SlaEngine engine,
                       Engine("", Target("FIRST_REPLY", H(1))));
  const Log log(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(SlaStatus s,
                       engine.Evaluate(NormalTicket(), log.events(),
                                       Jan(12, 9, 30) + absl::Microseconds(5) +
                                           absl::Nanoseconds(999)));
  EXPECT_EQ(s.metrics[0].used, absl::Minutes(30) + absl::Microseconds(5));
  EXPECT_EQ(s.metrics[0].due_at, Jan(12, 10));
  EXPECT_THAT(
      engine.Evaluate(NormalTicket(), log.events(), absl::InfiniteFuture())
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("now")));
}

TEST(SlaEngineTest, NamesForText) {
  EXPECT_EQ(SlaMetricName(v1::SLA_METRIC_PERIODIC_UPDATE), "periodic_update");
  EXPECT_EQ(SlaMetricName(v1::SLA_METRIC_FULL_RESOLUTION), "full_resolution");
  EXPECT_EQ(SlaStateName(SlaState::kPaused), "paused");
  EXPECT_EQ(SlaStateName(SlaState::kBreached), "breached");
}

// ---------------------------------------------------------------------------
// Driven by a real Desk: the engine reads the events Desk writes.

TEST(SlaDeskTest, ReadsTheEventsDeskWrites) {
  std::unique_ptr<Store> store = NewMemoryStore();
  ManualClock clock(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk,
                       Desk::Open({.store = store.get(), .clock = &clock}));
  ASSERT_OK_AND_ASSIGN(
      v1::Agent bob,
      desk->people().CreateAgent(SystemActor(),
                        {.name = "Bob", .email = "bob@desk.example"}));
  ASSERT_OK_AND_ASSIGN(
      v1::Contact ada,
      desk->people().CreateContact(SystemActor(),
                          {.name = "Ada", .emails = {"ada@example.com"}}));
  const v1::Actor agent = AgentActor(bob.id());
  const v1::Actor customer = ContactActor(ada.id());
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("madrid", Target("FIRST_REPLY", H(4), true) +
                           Target("NEXT_REPLY", H(2), true) +
                           Target("NEXT_REPLY", absl::Minutes(30), true,
                                  absl::ZeroDuration(), "PRIORITY_URGENT") +
                           Target("FULL_RESOLUTION", H(16), true) +
                           "pause_statuses: [\"pending\"]"));

  // Monday 09:00: Ada writes in.
  ASSERT_OK_AND_ASSIGN(
      v1::Ticket t,
      desk->tickets().Create(
          customer, {.subject = "VPN drops", .description = "Since Monday"}));
  // 10:00: Bob replies and waits on Ada.
  clock.Set(Jan(12, 10));
  ASSERT_OK(
      desk->tickets().AddMessage(agent, t.id(), {.body_text = "Which client?"}).status());
  ASSERT_OK(desk->tickets().Update(agent, t.id(), {.status = "pending"}).status());
  // Tuesday 10:00: Ada answers; the ticket reopens and a next-reply cycle
  // starts.
  clock.Set(Jan(13, 10));
  ASSERT_OK(desk->tickets().AddMessage(customer, t.id(),
                             {.kind = v1::Message::CUSTOMER_MESSAGE,
                              .body_text = "The Linux one"})
                .status());
  // 11:00: urgent. The running next reply now has 30 minutes from 10:00.
  clock.Set(Jan(13, 11));
  ASSERT_OK_AND_ASSIGN(
      t, desk->tickets().Update(agent, t.id(), {.priority = v1::PRIORITY_URGENT}));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                       desk->tickets().AuditLog(agent, t.id()));
  ASSERT_OK_AND_ASSIGN(SlaStatus s, engine.Evaluate(t, events, Jan(13, 11)));
  EXPECT_EQ(Find(s, kNextReply)->state, SlaState::kBreached);
  EXPECT_EQ(Find(s, kNextReply)->breached_at, Jan(13, 10, 30));
  // Full resolution runs: Monday 09-10, Tuesday 10-11; due 14 business hours
  // from Tuesday 11:00: Tue 11-18 (7h), Wed 09-16 (7h).
  EXPECT_EQ(Find(s, kFullResolution)->state, SlaState::kRunning);
  EXPECT_EQ(Find(s, kFullResolution)->used, H(2));
  EXPECT_EQ(Find(s, kFullResolution)->due_at, Jan(14, 16));
  EXPECT_EQ(s.next_deadline, Jan(14, 16));
  // 12:00: Bob replies; 13:00: assigns and solves.
  clock.Set(Jan(13, 12));
  ASSERT_OK(desk->tickets().AddMessage(agent, t.id(), {.body_text = "Fixed"}).status());
  clock.Set(Jan(13, 13));
  ASSERT_OK_AND_ASSIGN(
      t, desk->tickets().Update(agent, t.id(),
                            {.status = "solved", .assignee_id = bob.id()}));

  ASSERT_OK_AND_ASSIGN(events, desk->tickets().AuditLog(agent, t.id()));
  ASSERT_OK_AND_ASSIGN(s, engine.Evaluate(t, events, Jan(13, 14)));
  EXPECT_EQ(s.policy, "standard");
  const SlaMetricStatus* first = Find(s, kFirstReply);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->state, SlaState::kMet);
  EXPECT_EQ(first->used, H(1));
  EXPECT_EQ(first->stopped_at, Jan(12, 10));
  EXPECT_EQ(first->due_at, Jan(12, 13));
  const SlaMetricStatus* next = Find(s, kNextReply);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->state, SlaState::kBreached);
  EXPECT_EQ(next->target, absl::Minutes(30));
  EXPECT_EQ(next->started_at, Jan(13, 10));
  EXPECT_EQ(next->stopped_at, Jan(13, 12));
  EXPECT_EQ(next->used, H(2));
  EXPECT_EQ(next->breached_at, Jan(13, 10, 30));
  EXPECT_EQ(next->breached_cycles, 1);
  const SlaMetricStatus* resolution = Find(s, kFullResolution);
  ASSERT_NE(resolution, nullptr);
  EXPECT_EQ(resolution->state, SlaState::kMet);
  EXPECT_EQ(resolution->used, H(4));  // Mon 09-10, Tue 10-13.
  EXPECT_EQ(resolution->stopped_at, Jan(13, 13));
  EXPECT_EQ(s.next_deadline, std::nullopt);
}

TEST(SlaDeskTest, OutboundTicketByAnAgent) {
  std::unique_ptr<Store> store = NewMemoryStore();
  ManualClock clock(Jan(12, 9));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk,
                       Desk::Open({.store = store.get(), .clock = &clock}));
  ASSERT_OK_AND_ASSIGN(
      v1::Agent bob,
      desk->people().CreateAgent(SystemActor(),
                        {.name = "Bob", .email = "bob@desk.example"}));
  ASSERT_OK_AND_ASSIGN(
      v1::Contact ada,
      desk->people().CreateContact(SystemActor(),
                          {.name = "Ada", .emails = {"ada@example.com"}}));
  ASSERT_OK_AND_ASSIGN(
      v1::Ticket t,
      desk->tickets().Create(AgentActor(bob.id()),
                         {.subject = "Your renewal",
                          .requester_id = ada.id(),
                          .description = "Your licence expires soon",
                          .description_kind = v1::Message::PUBLIC_REPLY,
                          .priority = v1::PRIORITY_HIGH}));
  ASSERT_OK_AND_ASSIGN(
      SlaEngine engine,
      Engine("", Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(1))));
  clock.Set(Jan(12, 11));
  ASSERT_OK(desk->tickets().AddMessage(ContactActor(ada.id()), t.id(),
                             {.kind = v1::Message::CUSTOMER_MESSAGE,
                              .body_text = "Renew it, please"})
                .status());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                       desk->tickets().AuditLog(AgentActor(bob.id()), t.id()));
  ASSERT_OK_AND_ASSIGN(SlaStatus s,
                       engine.Evaluate(t, events, Jan(12, 11, 15)));
  EXPECT_EQ(Find(s, kFirstReply)->state, SlaState::kMet);
  EXPECT_EQ(Find(s, kFirstReply)->used, absl::ZeroDuration());
  EXPECT_EQ(Find(s, kNextReply)->state, SlaState::kRunning);
  EXPECT_EQ(Find(s, kNextReply)->due_at, Jan(12, 12));
}

}  // namespace
}  // namespace helpdesk
