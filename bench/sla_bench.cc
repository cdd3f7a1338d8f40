// Benchmarks of BusinessCalendar against the minute-stepping reference
// (src/sla/calendar_reference.h), in the same binary.
//
// The calendar is a Madrid office, Mon-Fri 09:00-13:00 and 14:00-18:00, with
// the 2026 and 2027 national holidays and one Saturday opening: DST, a lunch
// break, holidays and an exception all on the path. The argument is the span
// in minutes of wall time: 60 (1 hour), 10080 (1 week), 525600 (1 year).
// Starts rotate over 64 instants spread over 2026.
//
// Targets (issue 3): >= 1,000,000 evaluations/s for a one-week span on one
// core; a one-year span within 10x of a one-hour span.
//
// BM_SlaClock_Recompute50Events: SlaEngine::Evaluate of a ticket with 50
// audit events (messages, pending/open, a priority change) over two weeks,
// every metric in business hours on the office calendar; its baseline
// BM_SlaClock_Recompute50EventsCalendarTime has the same targets in calendar
// time (no calendar arithmetic). Target (issue 3): under 5 us.
//
//   ./build/release/bench/sla_bench
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/text_format.h"
#include "helpdesk/audit.h"
#include "helpdesk/calendar.h"
#include "helpdesk/sla.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/workflow.h"
#include "sla/calendar_reference.h"

namespace helpdesk {
namespace {

using sla_internal::ReferenceCalendar;

constexpr int kStarts = 64;

v1::CalendarConfig OfficeConfig() {
  std::string text =
      "name: \"Madrid office\" time_zone: \"Europe/Madrid\" "
      "weekly_hours { days: [WEEKDAY_MONDAY, WEEKDAY_TUESDAY, "
      "WEEKDAY_WEDNESDAY, WEEKDAY_THURSDAY, WEEKDAY_FRIDAY] "
      "intervals { open: \"09:00\" close: \"13:00\" } "
      "intervals { open: \"14:00\" close: \"18:00\" } } "
      "exceptions { date: \"2026-06-13\" intervals { open: \"10:00\" close: "
      "\"14:00\" } } ";
  for (const char* date :
       {"2026-01-01", "2026-01-06", "2026-04-03", "2026-05-01", "2026-08-15",
        "2026-10-12", "2026-11-01", "2026-12-08", "2026-12-25", "2027-01-01",
        "2027-01-06", "2027-03-26", "2027-05-01", "2027-10-12", "2027-11-01",
        "2027-12-06", "2027-12-08", "2027-12-25"}) {
    absl::StrAppend(&text, "holidays { date: \"", date, "\" } ");
  }
  v1::CalendarConfig config;
  google::protobuf::TextFormat::ParseFromString(text, &config);
  return config;
}

const BusinessCalendar& Calendar() {
  static const BusinessCalendar* calendar =
      new BusinessCalendar(*BusinessCalendar::Create(OfficeConfig()));
  return *calendar;
}

const ReferenceCalendar& Reference() {
  static const ReferenceCalendar* reference =
      new ReferenceCalendar(OfficeConfig());
  return *reference;
}

// Starts spread over 2026 at odd times of day.
std::vector<absl::Time> Starts() {
  std::vector<absl::Time> starts;
  const absl::Time base = absl::FromUnixSeconds(1767225600);  // 2026-01-01Z.
  for (int i = 0; i < kStarts; ++i) {
    starts.push_back(base + absl::Hours(137 * i) + absl::Seconds(4211 * i));
  }
  return starts;
}

// The business duration added for a span: the office is open 40 of the
// week's 168 hours, so on average the due time lies `span` after the start.
absl::Duration Target(absl::Duration span) { return span * 40 / 168; }

void BM_Calendar_BusinessDuration(benchmark::State& state) {
  const absl::Duration span = absl::Minutes(state.range(0));
  const std::vector<absl::Time> starts = Starts();
  const BusinessCalendar& calendar = Calendar();
  size_t i = 0;
  for (auto _ : state) {
    const absl::Time from = starts[i++ % kStarts];
    benchmark::DoNotOptimize(calendar.BusinessDuration(from, from + span));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CalendarReference_BusinessDuration(benchmark::State& state) {
  const absl::Duration span = absl::Minutes(state.range(0));
  const std::vector<absl::Time> starts = Starts();
  const ReferenceCalendar& reference = Reference();
  size_t i = 0;
  for (auto _ : state) {
    const absl::Time from = starts[i++ % kStarts];
    benchmark::DoNotOptimize(reference.BusinessDuration(from, from + span));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Calendar_AddBusinessDuration(benchmark::State& state) {
  const std::vector<absl::Time> starts = Starts();
  const absl::Duration target = Target(absl::Minutes(state.range(0)));
  const BusinessCalendar& calendar = Calendar();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        calendar.AddBusinessDuration(starts[i++ % kStarts], target));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CalendarReference_AddBusinessDuration(benchmark::State& state) {
  const std::vector<absl::Time> starts = Starts();
  const absl::Duration span = absl::Minutes(state.range(0));
  const absl::Duration target = Target(span);
  const ReferenceCalendar& reference = Reference();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(reference.AddBusinessDuration(
        starts[i++ % kStarts], target, 2 * span + absl::Hours(24 * 14)));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Calendar_IsOpen(benchmark::State& state) {
  const std::vector<absl::Time> starts = Starts();
  const BusinessCalendar& calendar = Calendar();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.IsOpen(starts[i++ % kStarts]));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Calendar_Create(benchmark::State& state) {
  const v1::CalendarConfig config = OfficeConfig();
  for (auto _ : state) {
    benchmark::DoNotOptimize(BusinessCalendar::Create(config));
  }
  state.SetItemsProcessed(state.iterations());
}

// 1 hour, 1 week, 1 year, in minutes.
void Spans(benchmark::internal::Benchmark* b) {
  b->ArgName("span_minutes")->Arg(60)->Arg(7 * 24 * 60)->Arg(365 * 24 * 60);
}

// A policy with a target for every metric, in business hours or not.
SlaEngine SlaEngineFor(bool business_hours) {
  v1::SlaConfig config;
  *config.add_calendars() = OfficeConfig();
  config.mutable_calendars(0)->set_name("office");
  v1::SlaPolicyConfig* policy = config.add_policies();
  policy->set_name("standard");
  policy->set_calendar("office");
  policy->add_pause_statuses("pending");
  policy->add_pause_statuses("on_hold");
  for (int metric = 1; metric <= 7; ++metric) {
    for (int hours : {2, 8}) {  // Urgent, then every priority.
      v1::SlaTarget* target = policy->add_targets();
      target->set_metric(static_cast<v1::SlaMetric>(metric));
      target->mutable_target()->set_seconds(hours * 3600);
      target->mutable_warn_before()->set_seconds(hours * 600);
      target->set_business_hours(business_hours);
      if (hours == 2) target->add_priorities(v1::PRIORITY_URGENT);
    }
  }
  return *SlaEngine::Create(config, Workflow::Default());
}

// A ticket's 50 events as Desk writes them: created Monday 2026-03-23 09:10,
// then every 5h13m a customer message, public reply, internal note, a move to
// pending or back to open, and once a priority change.
std::vector<v1::Event> FiftyEvents() {
  std::vector<v1::Event> events;
  const absl::Time created = absl::FromUnixSeconds(1774253400);  // 09:10 CET.
  auto add = [&](v1::Event::Kind kind, absl::Time t) -> v1::Event& {
    v1::Event& e = events.emplace_back();
    e.set_kind(kind);
    e.set_ticket_id(1);
    *e.mutable_time() = ToTimestamp(t);
    return e;
  };
  auto change = [](v1::Event& e, const char* before, const char* after) {
    AddChange(e.mutable_changes(), v1::FieldChange::STATUS, StatusValue(before),
              StatusValue(after));
  };
  v1::Event& c = add(v1::Event::TICKET_CREATED, created);
  c.set_message_id(1);
  c.set_message_kind(v1::Message::CUSTOMER_MESSAGE);
  AddChange(c.mutable_changes(), v1::FieldChange::SUBJECT, std::nullopt,
            TextValue("VPN drops"));
  AddChange(c.mutable_changes(), v1::FieldChange::STATUS, std::nullopt, StatusValue("new"));
  AddChange(c.mutable_changes(), v1::FieldChange::PRIORITY, std::nullopt,
            PriorityValue(v1::PRIORITY_NORMAL));
  AddChange(c.mutable_changes(), v1::FieldChange::REQUESTER, std::nullopt, ContactValue(7));
  const char* status = "new";
  for (int i = 1; i < 50; ++i) {
    const absl::Time t = created + absl::Minutes(313 * i);
    switch (i % 5) {
      case 0:
      case 3: {
        v1::Event& e = add(v1::Event::MESSAGE_ADDED, t);
        e.set_message_id(i + 1);
        e.set_message_kind(i % 5 == 0 ? v1::Message::CUSTOMER_MESSAGE
                                      : v1::Message::PUBLIC_REPLY);
        if (i % 5 == 0 && std::string(status) == "pending") {
          change(e, "pending", "open");
          status = "open";
        }
        break;
      }
      case 1: {
        v1::Event& e = add(v1::Event::MESSAGE_ADDED, t);
        e.set_message_id(i + 1);
        e.set_message_kind(v1::Message::INTERNAL_NOTE);
        break;
      }
      case 2:
      case 4: {
        v1::Event& e = add(v1::Event::FIELDS_CHANGED, t);
        if (i == 22) {
          AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY,
                    PriorityValue(v1::PRIORITY_NORMAL), PriorityValue(v1::PRIORITY_URGENT));
          break;
        }
        const char* to = std::string(status) == "pending" ? "open" : "pending";
        change(e, status, to);
        status = to;
        break;
      }
    }
  }
  return events;
}

void RecomputeFiftyEvents(benchmark::State& state, bool business_hours) {
  const SlaEngine engine = SlaEngineFor(business_hours);
  const std::vector<v1::Event> events = FiftyEvents();
  v1::Ticket ticket;
  ticket.set_id(1);
  ticket.set_priority(v1::PRIORITY_URGENT);
  const absl::Time now =
      FromTimestamp(events.back().time()) + absl::Minutes(30);
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine.Evaluate(ticket, events, now));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SlaClock_Recompute50Events(benchmark::State& state) {
  RecomputeFiftyEvents(state, /*business_hours=*/true);
}

void BM_SlaClock_Recompute50EventsCalendarTime(benchmark::State& state) {
  RecomputeFiftyEvents(state, /*business_hours=*/false);
}

BENCHMARK(BM_Calendar_BusinessDuration)->Apply(Spans);
BENCHMARK(BM_CalendarReference_BusinessDuration)
    ->Apply(Spans)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Calendar_AddBusinessDuration)->Apply(Spans);
BENCHMARK(BM_CalendarReference_AddBusinessDuration)
    ->Apply(Spans)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Calendar_IsOpen);
BENCHMARK(BM_Calendar_Create)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SlaClock_Recompute50Events);
BENCHMARK(BM_SlaClock_Recompute50EventsCalendarTime);

}  // namespace
}  // namespace helpdesk

BENCHMARK_MAIN();
