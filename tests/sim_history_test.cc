// DeriveSimScenario checked on histories the simulator generated itself
// (SimulateHistory): the derived rates, multipliers, handling times,
// patience and shifts fall within 99% confidence intervals of the ones that
// generated the history, and the derived scenario's waits within the
// simulator's confidence intervals of the original's.
#include "helpdesk/sim_history.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/sim.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kZ = 2.576;  // 99%
constexpr double kWeek = 7 * 86400;

const double kHourly[24] = {0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 1.6, 1.6, 1.6, 1.6,
                            1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7};
const double kWeekday[7] = {1.2, 1.2, 1, 1, 1, 0.5, 0.5};

std::string Multipliers(const char* field, const double* v, int n) {
  std::string out = absl::StrCat(field, ": [");
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, i ? ", " : "", v[i]);
  return absl::StrCat(out, "]");
}

v1::SimScenario Generator() {
  const std::string text = absl::StrCat(R"pb(
    name: "generator" seed: 11 replications: 6 duration_seconds: )pb", 4 * kWeek, R"pb(
    service_level_seconds: 120
    ticket_types {
      name: "question" channel: CHANNEL_EMAIL
      handling_time { exponential { mean_seconds: 600 } }
      handling_by_skill { skill: "billing" min_level: 5
                          handling_time { exponential { mean_seconds: 300 } } }
      patience { exponential { mean_seconds: 1800 } }
    }
    ticket_types {
      name: "incident" channel: CHANNEL_CHAT
      handling_time { log_normal { mean_seconds: 400 stddev_seconds: 200 } }
      patience { exponential { mean_seconds: 300 } }
    }
    arrivals { ticket_type: "question" rate_per_hour: 12 )pb",
                                        Multipliers("hourly_multipliers", kHourly, 24), " ",
                                        Multipliers("weekday_multipliers", kWeekday, 7), R"pb( }
    arrivals { ticket_type: "incident" rate_per_hour: 6 )pb",
                                        Multipliers("hourly_multipliers", kHourly, 24), R"pb( }
    agents { name: "day" count: 3 skills { name: "billing" level: 5 }
             capacity { channel: CHANNEL_EMAIL max_items: 1 }
             capacity { channel: CHANNEL_CHAT max_items: 1 }
             shifts { days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY,
                             WEEKDAY_THURSDAY, WEEKDAY_FRIDAY]
                      intervals { open: "08:00" close: "18:00" } } }
    agents { name: "night" count: 2
             capacity { channel: CHANNEL_EMAIL max_items: 1 }
             capacity { channel: CHANNEL_CHAT max_items: 1 } }
    policies { label: "fifo" policy { fifo {} } }
  )pb");
  absl::StatusOr<v1::SimScenario> s = ParseSimScenario(text);
  EXPECT_OK(s.status());
  return *s;
}

HistorySpec Spec(const v1::SimScenario& g) {
  HistorySpec spec;
  absl::Time start;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, "2026-01-05T00:00:00Z", &start, &err));
  spec.since = start;
  spec.until = start + absl::Seconds(g.duration_seconds());
  spec.replications = 6;
  spec.service_level_seconds = 120;
  spec.policies = {g.policies(0)};
  return spec;
}

const v1::SimTicketType& TypeOf(const v1::SimScenario& s, const std::string& name) {
  for (const v1::SimTicketType& t : s.ticket_types()) {
    if (t.name() == name) return t;
  }
  ADD_FAILURE() << "no ticket type " << name;
  return s.ticket_types(0);
}
const v1::SimArrivals& ArrivalsOf(const v1::SimScenario& s, const std::string& name) {
  for (const v1::SimArrivals& a : s.arrivals()) {
    if (a.ticket_type() == name) return a;
  }
  ADD_FAILURE() << "no arrivals of " << name;
  return s.arrivals(0);
}

// Counts of the generated history, for the intervals' widths.
struct Counts {
  std::map<std::string, double> handled_by_team;  // "<type>/<team>"
  std::map<std::string, double> abandoned;
};

Counts Count(const SimHistory& h) {
  Counts c;
  std::map<int64_t, std::string> type;
  std::map<int64_t, int64_t> agent;
  for (const v1::Event& e : h.events) {
    if (e.kind() == v1::Event::TICKET_CREATED) {
      type[e.ticket_id()] = e.changes(0).after().type() == v1::TICKET_TYPE_QUESTION
                                ? "question-email"
                                : "incident-chat";
    } else if (e.kind() == v1::Event::ROUTED) {
      agent[e.ticket_id()] = e.related_agent_id();
    } else if (e.changes(0).after().status() == "solved") {
      const std::string team = agent[e.ticket_id()] <= 3 ? "day" : "night";
      ++c.handled_by_team[absl::StrCat(type[e.ticket_id()], "/", team)];
    } else if (e.changes(0).after().status() == "closed") {
      ++c.abandoned[type[e.ticket_id()]];
    }
  }
  return c;
}

TEST(SimHistoryTest, DerivedScenarioMatchesTheGenerator) {
  const v1::SimScenario g = Generator();
  ASSERT_OK_AND_ASSIGN(SimHistory h, SimulateHistory(g));
  const HistorySpec spec = Spec(g);
  ASSERT_OK_AND_ASSIGN(v1::SimScenario d, DeriveSimScenario(h, spec));
  ASSERT_EQ(d.ticket_types_size(), 2);
  const Counts counts = Count(h);

  // Arrivals: the mean rate over the period, and the multipliers.
  struct Stream {
    std::string name;
    double rate;
    bool weekly;
  };
  for (const Stream& st : {Stream{"question-email", 12, true}, Stream{"incident-chat", 6, false}}) {
    SCOPED_TRACE(st.name);
    const v1::SimArrivals& a = ArrivalsOf(d, st.name);
    double hourly_mean = 0, weekday_mean = 0;
    for (double m : kHourly) hourly_mean += m / 24;
    for (double m : kWeekday) weekday_mean += m / 7;
    if (!st.weekly) weekday_mean = 1;
    const double hours = g.duration_seconds() / 3600;
    const double rate = st.rate * hourly_mean * weekday_mean;  // 4 whole weeks
    EXPECT_NEAR(a.rate_per_hour(), rate, kZ * std::sqrt(rate * hours) / hours);
    ASSERT_EQ(a.hourly_multipliers_size(), 24);
    ASSERT_EQ(a.weekday_multipliers_size(), 7);
    for (int hour = 0; hour < 24; ++hour) {
      const double expected = kHourly[hour] / hourly_mean;
      const double count = rate * hours / 24 * expected;  // tickets at that hour
      EXPECT_NEAR(a.hourly_multipliers(hour), expected, kZ * expected / std::sqrt(count))
          << "hour " << hour;
    }
    for (int day = 0; day < 7; ++day) {
      const double expected = st.weekly ? kWeekday[day] / weekday_mean : 1;
      const double count = rate * hours / 7 * expected;
      EXPECT_NEAR(a.weekday_multipliers(day), expected, kZ * expected / std::sqrt(count))
          << "day " << day;
    }
  }

  // Handling: by skill for the day team's billing, the rest from the night team.
  const v1::SimTicketType& q = TypeOf(d, "question-email");
  EXPECT_EQ(q.channel(), v1::CHANNEL_EMAIL);
  const double night_q = counts.handled_by_team.at("question-email/night");
  const double day_q = counts.handled_by_team.at("question-email/day");
  ASSERT_GT(night_q, 100);
  ASSERT_GT(day_q, 100);
  EXPECT_NEAR(q.handling_time().log_normal().mean_seconds(), 600, kZ * 600 / std::sqrt(night_q));
  EXPECT_NEAR(q.handling_time().log_normal().stddev_seconds(), 600,
              kZ * 600 * std::sqrt(8 / night_q));  // sd of an exponential's sd
  ASSERT_EQ(q.handling_by_skill_size(), 1);
  EXPECT_EQ(q.handling_by_skill(0).skill(), "billing");
  EXPECT_EQ(q.handling_by_skill(0).min_level(), 5);
  EXPECT_NEAR(q.handling_by_skill(0).handling_time().log_normal().mean_seconds(), 300,
              kZ * 300 / std::sqrt(day_q));
  const v1::SimTicketType& inc = TypeOf(d, "incident-chat");
  EXPECT_EQ(inc.channel(), v1::CHANNEL_CHAT);
  const double night_i = counts.handled_by_team.at("incident-chat/night");
  EXPECT_NEAR(inc.handling_time().log_normal().mean_seconds(), 400, kZ * 200 / std::sqrt(night_i));

  // Patience: the censored exponential estimate.
  for (const auto& [name, mean] :
       std::map<std::string, double>{{"question-email", 1800}, {"incident-chat", 300}}) {
    const double k = counts.abandoned.at(name);
    ASSERT_GT(k, 30) << name;
    EXPECT_NEAR(TypeOf(d, name).patience().exponential().mean_seconds(), mean,
                kZ * mean / std::sqrt(k))
        << name;
  }

  // Shifts: the day team Monday to Friday 08:00-18:00, the night team always.
  ASSERT_EQ(d.agents_size(), 2);
  EXPECT_EQ(d.agents(0).count(), 3);
  ASSERT_EQ(d.agents(0).shifts_size(), 5);
  for (int i = 0; i < 5; ++i) {
    const v1::WeeklyHours& w = d.agents(0).shifts(i);
    EXPECT_EQ(w.days(0), static_cast<v1::Weekday>(i + 1));
    ASSERT_EQ(w.intervals_size(), 1);
    EXPECT_EQ(w.intervals(0).open(), "08:00");
    EXPECT_EQ(w.intervals(0).close(), "18:00");
  }
  ASSERT_EQ(d.agents(0).skills_size(), 1);
  EXPECT_EQ(d.agents(0).skills(0).name(), "billing");
  EXPECT_EQ(d.agents(1).count(), 2);
  EXPECT_EQ(d.agents(1).shifts_size(), 0);

  // The derived scenario's figures within the simulator's intervals of the
  // generator's (the two intervals overlap).
  ASSERT_OK_AND_ASSIGN(SimReport original, RunSimulation(g));
  ASSERT_OK_AND_ASSIGN(SimReport derived, RunSimulation(d));
  const SimPolicyResult& o = original.policies[0];
  const SimPolicyResult& r = derived.policies[0];
  EXPECT_NEAR(r.tickets, o.tickets, kZ * std::sqrt(o.tickets));
  EXPECT_NEAR(r.wait_mean.mean, o.wait_mean.mean, o.wait_mean.ci95 + r.wait_mean.ci95);
  EXPECT_NEAR(r.abandonment_rate.mean, o.abandonment_rate.mean,
              o.abandonment_rate.ci95 + r.abandonment_rate.ci95);
  EXPECT_NEAR(r.utilisation.mean, o.utilisation.mean, o.utilisation.ci95 + r.utilisation.ci95);
}

TEST(SimHistoryTest, DerivedScenarioRunsEveryDefaultPolicy) {
  // The question the replay answers: the same derived month under two
  // policies, on the same tickets.
  const v1::SimScenario g = Generator();
  ASSERT_OK_AND_ASSIGN(SimHistory h, SimulateHistory(g));
  HistorySpec spec = Spec(g);
  spec.policies.clear();
  spec.replications = 2;
  ASSERT_OK_AND_ASSIGN(v1::SimScenario d, DeriveSimScenario(h, spec));
  ASSERT_EQ(d.policies_size(), 4);
  ASSERT_OK_AND_ASSIGN(SimReport report, RunSimulation(d));
  ASSERT_EQ(report.policies.size(), 4u);
  for (const SimPolicyResult& p : report.policies) {
    EXPECT_GT(p.tickets, 1000) << p.label;
  }
}

TEST(SimHistoryTest, PartialPeriodLeavesOutMultipliersItCannotSee) {
  const v1::SimScenario g = Generator();
  ASSERT_OK_AND_ASSIGN(SimHistory h, SimulateHistory(g));
  HistorySpec spec = Spec(g);
  spec.until = spec.since + absl::Hours(12);  // half a Monday
  ASSERT_OK_AND_ASSIGN(v1::SimScenario d, DeriveSimScenario(h, spec));
  EXPECT_EQ(d.duration_seconds(), 12 * 3600);
  for (const v1::SimArrivals& a : d.arrivals()) {
    EXPECT_EQ(a.hourly_multipliers_size(), 0);
    EXPECT_EQ(a.weekday_multipliers_size(), 0);
  }
}

TEST(SimHistoryTest, BadInput) {
  const v1::SimScenario g = Generator();
  ASSERT_OK_AND_ASSIGN(SimHistory h, SimulateHistory(g));
  HistorySpec spec = Spec(g);
  HistorySpec backwards = spec;
  backwards.until = spec.since - absl::Hours(1);
  EXPECT_THAT(DeriveSimScenario(h, backwards).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("until")));
  HistorySpec empty = spec;
  empty.since = spec.until + absl::Hours(1);
  empty.until = empty.since + absl::Hours(1);
  EXPECT_THAT(DeriveSimScenario(h, empty).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no ticket")));
  HistorySpec bad = spec;
  bad.min_skill_samples = 0;
  EXPECT_THAT(DeriveSimScenario(h, bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_skill_samples")));
  SimHistory nobody = h;
  nobody.agent_events.clear();
  for (v1::Agent& a : nobody.agents) a.set_presence(v1::PRESENCE_OFFLINE);
  EXPECT_THAT(DeriveSimScenario(nobody, spec).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no agent")));
  EXPECT_THAT(SimulateHistory(g, 3).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy")));
  EXPECT_THAT(SimulateHistory(g, 0, 99).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replication")));
}

}  // namespace
}  // namespace helpdesk
