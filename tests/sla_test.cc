// Table-driven tests of SlaEngine with hand-computed expectations and the
// peers' known SLA bugs as regression tests. The engine's warnings, policy
// choice and a test driven by a real Desk are in sla_engine_test.cc; bad
// input in sla_config_test.cc; the shared helpers in sla_test_support.h.
#include "helpdesk/sla.h"

#include "sla_test_support.h"

namespace helpdesk {
namespace {


// ---------------------------------------------------------------------------
// The table.

struct Case {
  std::string name;
  std::string calendar;  // Empty: none.
  std::string policy;    // Targets, pause statuses, reopen rule.
  std::function<Log()> log;
  absl::Time now;
  v1::SlaMetric metric;
  SlaState state;
  absl::Duration used;
  std::optional<absl::Time> due;
  std::optional<absl::Time> breached_at = std::nullopt;
  std::optional<absl::Time> stopped_at = std::nullopt;
  int cycles = 1;
  int breached_cycles = 0;
  std::optional<absl::Duration> target = std::nullopt;  // Checked when set.
  std::optional<absl::Time> started_at = std::nullopt;  // Checked when set.
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Log SolvedAndReopened() {
  return std::move(
      Log(Jan(12, 9)).Status(Jan(12, 11), "solved").Customer(Jan(12, 15)));
}

// new 09-10, open 10-11, pending 11-12, on_hold 12-13, open from 13:00.
Log ThroughEveryStatus() {
  return std::move(Log(Jan(12, 9))
                       .Status(Jan(12, 10), "open")
                       .Status(Jan(12, 11), "pending")
                       .Status(Jan(12, 12), "on_hold")
                       .Status(Jan(12, 13), "open"));
}

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      // Created Friday 16:30, 4 business hours: Friday 16:30-17:00 (0.5h),
      // then Monday 09:00-12:30 (3.5h).
      {.name = "FridayAfternoonNineToFiveDueMonday1230",
       .calendar = "madrid_9_17",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(9, 16, 30)); },
       .now = Jan(9, 16, 45),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(15),
       .due = Jan(12, 12, 30)},
      // With 09:00-18:00: Friday 16:30-18:00 (1.5h), Monday 09:00-11:30.
      {.name = "FridayAfternoonNineToSixDueMonday1130",
       .calendar = "madrid",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(9, 16, 30)); },
       .now = Jan(9, 16, 45),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(15),
       .due = Jan(12, 11, 30)},
      // Read on Monday 10:00: 0.5h on Friday, 1h on Monday.
      {.name = "FridayTicketReadOnMonday",
       .calendar = "madrid_9_17",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(9, 16, 30)); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(1.5),
       .due = Jan(12, 12, 30)},
      // Pending from Monday 11:00 to Tuesday 10:00 pauses 8 business hours
      // (Mon 11-18, Tue 9-10): due Tuesday 17:00 instead of Monday 18:00.
      {.name = "PendingPausesBusinessClock",
       .calendar = "madrid",
       .policy = Target("FULL_RESOLUTION", H(8), true) +
                 "pause_statuses: [\"pending\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 10))
                                  .Status(Jan(12, 11), "pending")
                                  .Customer(Jan(13, 10)));
           },
       .now = Jan(13, 12),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(13, 17)},
      {.name = "PausedClockHasNoDueTime",
       .calendar = "madrid",
       .policy = Target("FULL_RESOLUTION", H(8), true) +
                 "pause_statuses: [\"pending\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 10)).Status(Jan(12, 11), "pending"));
           },
       .now = Jan(12, 15),
       .metric = kFullResolution,
       .state = SlaState::kPaused,
       .used = H(1),
       .due = std::nullopt},
      // Calendar time: pending 11:00-13:00 moves the due time from 18:00 to
      // 20:00.
      {.name = "PendingPausesCalendarClock",
       .calendar = "",
       .policy =
           Target("FULL_RESOLUTION", H(8)) + "pause_statuses: [\"pending\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 10))
                                  .Status(Jan(12, 11), "pending")
                                  .Status(Jan(12, 13), "open"));
           },
       .now = Jan(12, 14),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(2),
       .due = Jan(12, 20)},
      // Solved 11:00 (2h used), reopened 15:00; resume: 3h used at 16:00,
      // 6h left from 15:00.
      {.name = "ReopenResumesFullResolution",
       .calendar = "",
       .policy = kResolution8h + "reopen: REOPEN_RESUME",
       .log = SolvedAndReopened,
       .now = Jan(12, 16),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(12, 21),
       .started_at = Jan(12, 9)},
      // Restart: a second cycle from the reopen at 15:00.
      {.name = "ReopenRestartsFullResolution",
       .calendar = "",
       .policy = kResolution8h + "reopen: REOPEN_RESTART",
       .log = SolvedAndReopened,
       .now = Jan(12, 16),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 23),
       .cycles = 2,
       .started_at = Jan(12, 15)},
      // First resolution stops at the first solve for good; it was due at
      // 17:00 (it counted from 09:00 without a pause).
      {.name = "FirstResolutionMetAtFirstSolve",
       .calendar = "",
       .policy = kResolution8h + "reopen: REOPEN_RESTART",
       .log = SolvedAndReopened,
       .now = Jan(12, 16),
       .metric = kFirstResolution,
       .state = SlaState::kMet,
       .used = H(2),
       .due = Jan(12, 17),
       .stopped_at = Jan(12, 11)},
      // Requester wait stops at the last solve (16:00): 2h + 1h.
      {.name = "RequesterWaitStopsAtLastSolve",
       .calendar = "",
       .policy = kResolution8h,
       .log =
           [] {
             return std::move(
                 SolvedAndReopened().Status(Jan(12, 16), "solved"));
           },
       .now = Jan(12, 18),
       .metric = kRequesterWait,
       .state = SlaState::kMet,
       .used = H(3),
       .due = Jan(12, 21),
       .stopped_at = Jan(12, 16)},
      // Urgent from 10:30: the running cycle's target becomes 1h from its
      // start at 09:00, so it was breached at 10:00.
      {.name = "PriorityRaisedRecomputesFromStart",
       .calendar = "",
       .policy = kFirstReplyByPriority,
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9)).Priority(Jan(12, 10, 30), "urgent"));
           },
       .now = Jan(12, 10, 30),
       .metric = kFirstReply,
       .state = SlaState::kBreached,
       .used = H(1.5),
       .due = Jan(12, 10),
       .breached_at = Jan(12, 10),
       .breached_cycles = 1,
       .target = H(1)},
      {.name = "PriorityLoweredRecomputesFromStart",
       .calendar = "",
       .policy = kFirstReplyByPriority,
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9), "urgent").Priority(Jan(12, 9, 30), "normal"));
           },
       .now = Jan(12, 9, 45),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(45),
       .due = Jan(12, 13),
       .target = H(4)},
      // Replied at 11:00 under normal (4h); urgent from 12:00 does not
      // change the finished cycle.
      {.name = "FinishedCycleKeepsItsPriority",
       .calendar = "",
       .policy = kFirstReplyByPriority,
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Reply(Jan(12, 11))
                                  .Priority(Jan(12, 12), "urgent"));
           },
       .now = Jan(12, 13),
       .metric = kFirstReply,
       .state = SlaState::kMet,
       .used = H(2),
       .due = Jan(12, 13),
       .stopped_at = Jan(12, 11),
       .target = H(4)},
      // Night desk: Friday 05:00-06:00 is Thursday's shift (1h); Friday's
      // shift opens 22:00 and the other 3h end Saturday 01:00.
      {.name = "OvernightShiftRunsIntoSaturday",
       .calendar = "night",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(16, 5)); },
       .now = Jan(16, 5, 30),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::Minutes(30),
       .due = Mad(2026, 1, 17, 1)},
      {.name = "OvernightShiftOpensInTheEvening",
       .calendar = "night",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Jan(13, 20)); },
       .now = Jan(13, 21),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Jan(14, 2)},
      // Spring forward (Madrid, Sunday 29 March 2026): business hours do not
      // care; Friday 16:00-18:00, then Monday 09:00-11:00 (now UTC+2).
      {.name = "SpringForwardWeekendBusinessHours",
       .calendar = "madrid",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Mad(2026, 3, 27, 16)); },
       .now = Mad(2026, 3, 27, 16),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Mad(2026, 3, 30, 11)},
      // 72 real hours from Friday 16:00 UTC+1 end Monday 17:00 UTC+2.
      {.name = "SpringForwardWeekendCalendarTime",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(72)),
       .log = [] { return Log(Mad(2026, 3, 27, 16)); },
       .now = Mad(2026, 3, 27, 16),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Mad(2026, 3, 30, 17)},
      // A 24/7 calendar: Sunday has 23 hours, so 48 business hours from
      // Saturday 12:00 end Monday 13:00 wall time.
      {.name = "SpringForward24x7Madrid",
       .calendar = "madrid_24_7",
       .policy = Target("FIRST_REPLY", H(48), true),
       .log = [] { return Log(Mad(2026, 3, 28, 12)); },
       .now = Mad(2026, 3, 28, 12),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = absl::ZeroDuration(),
       .due = Mad(2026, 3, 30, 13)},
      // Fall back (New York, Sunday 1 November 2026): a 25-hour Sunday, so
      // 24 business hours from Saturday 12:00 EDT end Sunday 11:00 EST.
      {.name = "FallBack24x7NewYork",
       .calendar = "new_york_24_7",
       .policy = Target("FIRST_REPLY", H(24), true),
       .log = [] { return Log(Nyc(2026, 10, 31, 12)); },
       .now = Nyc(2026, 11, 1, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(23),
       .due = Nyc(2026, 11, 1, 11)},
      // Fall back (Madrid, Sunday 25 October 2026): Friday 17:00-18:00, then
      // Monday 09:00-12:00 UTC+1.
      {.name = "FallBackWeekendBusinessHours",
       .calendar = "madrid",
       .policy = kFirstReply4Bh,
       .log = [] { return Log(Mad(2026, 10, 23, 17)); },
       .now = Mad(2026, 10, 26, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(2),
       .due = Mad(2026, 10, 26, 12)},
      // Tuesday 14:00-18:00 (4h), Wednesday a holiday, Thursday 09:00-14:00.
      {.name = "HolidayInTheMiddle",
       .calendar = "madrid_holiday",
       .policy = Target("FIRST_REPLY", H(9), true),
       .log = [] { return Log(Jan(13, 14)); },
       .now = Jan(14, 12),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(4),
       .due = Jan(15, 14)},
      // Two customer messages (10:00, 10:30) before the reply at 11:00 are
      // one cycle.
      {.name = "NextReplyTwoCustomerMessagesOneCycle",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(2)),
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Reply(Jan(12, 9, 30))
                                  .Customer(Jan(12, 10))
                                  .Customer(Jan(12, 10, 30))
                                  .Reply(Jan(12, 11)));
           },
       .now = Jan(12, 11, 30),
       .metric = kNextReply,
       .state = SlaState::kMet,
       .used = H(1),
       .due = Jan(12, 12),
       .stopped_at = Jan(12, 11),
       .started_at = Jan(12, 10)},
      // A second cycle from 12:00, unanswered at 15:00: breached at 14:00.
      {.name = "NextReplySecondCycleBreached",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(2)),
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Reply(Jan(12, 9, 30))
                                  .Customer(Jan(12, 10))
                                  .Customer(Jan(12, 10, 30))
                                  .Reply(Jan(12, 11))
                                  .Customer(Jan(12, 12)));
           },
       .now = Jan(12, 15),
       .metric = kNextReply,
       .state = SlaState::kBreached,
       .used = H(3),
       .due = Jan(12, 14),
       .breached_at = Jan(12, 14),
       .cycles = 2,
       .breached_cycles = 1,
       .started_at = Jan(12, 12)},
      // Updates at 10:00 (note), 13:00 (reply: 3h, breached), 14:00 (note).
      {.name = "PeriodicUpdateWithInternalNotes",
       .calendar = "",
       .policy = Target("PERIODIC_UPDATE", H(2)),
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Note(Jan(12, 10))
                                  .Reply(Jan(12, 13))
                                  .Note(Jan(12, 14)));
           },
       .now = Jan(12, 15),
       .metric = kPeriodic,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 16),
       .cycles = 4,
       .breached_cycles = 1,
       .started_at = Jan(12, 14)},
      {.name = "BreachedThenMetStaysBreached",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)),
       .log = [] { return std::move(Log(Jan(12, 9)).Reply(Jan(12, 11))); },
       .now = Jan(12, 12),
       .metric = kFirstReply,
       .state = SlaState::kBreached,
       .used = H(2),
       .due = Jan(12, 10),
       .breached_at = Jan(12, 10),
       .stopped_at = Jan(12, 11),
       .breached_cycles = 1},
      // A target used up exactly at closing time is due at closing time;
      // replying after it is a breach even though no business time passed.
      {.name = "DueAtClosingRepliedInTheEvening",
       .calendar = "madrid",
       .policy = Target("FIRST_REPLY", H(2), true),
       .log = [] { return std::move(Log(Jan(12, 16)).Reply(Jan(12, 20))); },
       .now = Jan(12, 21),
       .metric = kFirstReply,
       .state = SlaState::kBreached,
       .used = H(2),
       .due = Jan(12, 18),
       .breached_at = Jan(12, 18),
       .stopped_at = Jan(12, 20),
       .breached_cycles = 1},
      // Agent work counts in new and open only: 09-11 and 13-14.
      {.name = "AgentWorkCountsNewAndOpenOnly",
       .calendar = "",
       .policy = kResolution8h,
       .log = ThroughEveryStatus,
       .now = Jan(12, 14),
       .metric = kAgentWork,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(12, 19)},
      // Agent work while pending: paused, even with no pause statuses.
      {.name = "AgentWorkPausedWhilePending",
       .calendar = "",
       .policy = kResolution8h,
       .log = ThroughEveryStatus,
       .now = Jan(12, 11, 30),
       .metric = kAgentWork,
       .state = SlaState::kPaused,
       .used = H(2),
       .due = std::nullopt},
      // Requester wait counts pending and on-hold unless they are paused.
      {.name = "RequesterWaitCountsUnpausedStatuses",
       .calendar = "",
       .policy = kResolution8h,
       .log = ThroughEveryStatus,
       .now = Jan(12, 14),
       .metric = kRequesterWait,
       .state = SlaState::kRunning,
       .used = H(5),
       .due = Jan(12, 17)},
      {.name = "RequesterWaitWithPauseStatuses",
       .calendar = "",
       .policy = kResolution8h + "pause_statuses: [\"pending\", \"on_hold\"]",
       .log = ThroughEveryStatus,
       .now = Jan(12, 14),
       .metric = kRequesterWait,
       .state = SlaState::kRunning,
       .used = H(3),
       .due = Jan(12, 19)},
      // An agent's outbound ticket starts with its public reply.
      {.name = "OutboundTicketRepliedAtCreation",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)),
       .log =
           [] { return Log(Jan(12, 9), "normal", v1::Message::PUBLIC_REPLY); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kMet,
       .used = absl::ZeroDuration(),
       .due = Jan(12, 10),
       .stopped_at = Jan(12, 9)},
      // ... so the customer's first message starts a next-reply cycle.
      {.name = "OutboundTicketCustomerAnswerStartsNextReply",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(1)) + Target("NEXT_REPLY", H(2)),
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9), "normal", v1::Message::PUBLIC_REPLY)
                     .Customer(Jan(12, 10)));
           },
       .now = Jan(12, 11),
       .metric = kNextReply,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 12),
       .started_at = Jan(12, 10)},
      // A merge closes the source: its resolution clock stops there.
      {.name = "MergeClosesTheTicket",
       .calendar = "",
       .policy = kResolution8h,
       .log =
           [] {
             return std::move(
                 Log(Jan(12, 9)).Link(Jan(12, 9, 30)).Merge(Jan(12, 10)));
           },
       .now = Jan(12, 12),
       .metric = kFirstResolution,
       .state = SlaState::kMet,
       .used = H(1),
       .due = Jan(12, 17),
       .stopped_at = Jan(12, 10)},
      // Events after `now` are ignored: the reply at 11:00 has not happened.
      {.name = "EventsAfterNowIgnored",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(4)),
       .log = [] { return std::move(Log(Jan(12, 9)).Reply(Jan(12, 11))); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 13)},
      // Zammad #188: a ticket that waited in pending and then on-hold must
      // not escalate at once when reopened: neither status counts.
      {.name = "Zammad188BothPauseStatusesHonoured",
       .calendar = "",
       .policy = Target("FULL_RESOLUTION", H(8)) +
                 "pause_statuses: [\"pending\", \"on_hold\"]",
       .log =
           [] {
             return std::move(Log(Jan(12, 9))
                                  .Status(Jan(12, 10), "pending")
                                  .Status(Jan(12, 12), "on_hold")
                                  .Status(Jan(12, 15), "open"));
           },
       .now = Jan(12, 16),
       .metric = kFullResolution,
       .state = SlaState::kRunning,
       .used = H(2),
       .due = Jan(12, 22)},
      // Zammad #5177: a 1h update target does not override the 4h first
      // reply target.
      {.name = "Zammad5177UpdateTargetDoesNotOverrideFirstReply",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(4)) + Target("PERIODIC_UPDATE", H(1)),
       .log = [] { return std::move(Log(Jan(12, 9)).Note(Jan(12, 9, 30))); },
       .now = Jan(12, 10),
       .metric = kFirstReply,
       .state = SlaState::kRunning,
       .used = H(1),
       .due = Jan(12, 13),
       .target = H(4)},
      {.name = "Zammad5177PeriodicUpdateRunsOnItsOwn",
       .calendar = "",
       .policy = Target("FIRST_REPLY", H(4)) + Target("PERIODIC_UPDATE", H(1)),
       .log = [] { return std::move(Log(Jan(12, 9)).Note(Jan(12, 9, 30))); },
       .now = Jan(12, 10),
       .metric = kPeriodic,
       .state = SlaState::kRunning,
       .used = absl::Minutes(30),
       .due = Jan(12, 10, 30),
       .cycles = 2,
       .target = H(1)},
  };
  return *cases;
}

class SlaTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(SlaTableTest, Metric) {
  const Case& c = GetParam();
  ASSERT_OK_AND_ASSIGN(SlaEngine engine, Engine(c.calendar, c.policy));
  const Log log = c.log();
  ASSERT_OK_AND_ASSIGN(SlaStatus status,
                       engine.Evaluate(NormalTicket(), log.events(), c.now));
  EXPECT_EQ(status.policy, "standard");
  const SlaMetricStatus* m = Find(status, c.metric);
  ASSERT_NE(m, nullptr) << SlaMetricName(c.metric) << " missing";
  EXPECT_EQ(SlaStateName(m->state), SlaStateName(c.state));
  EXPECT_EQ(m->used, c.used);
  EXPECT_EQ(m->left, m->target - m->used);
  EXPECT_EQ(m->due_at, c.due);
  EXPECT_EQ(m->breached_at, c.breached_at);
  EXPECT_EQ(m->stopped_at, c.stopped_at);
  EXPECT_EQ(m->cycle, c.cycles);
  EXPECT_EQ(m->cycles, c.cycles);
  EXPECT_EQ(m->breached_cycles, c.breached_cycles);
  if (c.target) {
    EXPECT_EQ(m->target, *c.target);
  }
  if (c.started_at) {
    EXPECT_EQ(m->started_at, *c.started_at);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SlaTableTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace helpdesk
