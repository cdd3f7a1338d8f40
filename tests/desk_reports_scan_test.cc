// Desk::reports() reads the log in one scan (desk_reports.cc): its reports
// equal, bit for bit, those of the per-ticket reading it replaced (kept here
// as the reference: each ticket's whole log through ListTicketEvents with
// backward times read as the event before's, and its state through
// GetTicket), over randomized histories the Desk writes on a memory and a
// SQLite store: tickets created before the period and active in it, open
// tickets untouched in it, reopened and merged tickets, refused commands, a
// clock stepping back (across the period's start too), several groupings,
// calendar and business time, SLA metrics. The stores' fallback (no encoded
// read) gives the same reports too, and so does a store with the encoded
// event read but the port's default ticket read (Transaction::
// VisitEncodedTickets by GetTicket).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/reports.h"
#include "helpdesk/sla.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;

// Madrid office hours; first reply within 4 business hours, resolution
// within 3 days; paused while pending or on hold.
constexpr char kScanSla[] = R"pb(
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
    }
    targets { metric: SLA_METRIC_FULL_RESOLUTION target { seconds: 259200 } }
    pause_statuses: [ "pending", "on_hold" ]
  }
)pb";

absl::Time At(int m, int d, int hh, int mm = 0) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Madrid", &tz));
  return absl::FromCivil(absl::CivilMinute(2026, m, d, hh, mm), tz);
}

BusinessCalendar OfficeHours() {
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

// Every figure of a report, as text (durations in nanoseconds).
std::string Dump(const Report& r) {
  std::string out;
  auto durations = [&](const char* name, const DurationFigures& f) {
    absl::StrAppend(&out, " ", name, "=", f.count, "/", absl::ToInt64Nanoseconds(f.mean), "/",
                    absl::ToInt64Nanoseconds(f.p50), "/", absl::ToInt64Nanoseconds(f.p90), "/",
                    absl::ToInt64Nanoseconds(f.p99), "[");
    for (absl::Duration d : f.values) absl::StrAppend(&out, absl::ToInt64Nanoseconds(d), ",");
    out += "]";
  };
  auto row = [&](const ReportRow& w) {
    absl::StrAppend(&out, w.key, ": created=", w.created, " solved=", w.solved,
                    " reopened=", w.reopened, " backlog=", absl::StrJoin(w.backlog, ","));
    durations("first_reply", w.first_reply);
    durations("resolution", w.resolution);
    durations("requester_wait", w.requester_wait);
    durations("agent_work", w.agent_work);
    absl::StrAppend(&out, " replies=", w.replies_to_resolve.count, "/",
                    w.replies_to_resolve.mean, "/", w.replies_to_resolve.p50, "/",
                    w.replies_to_resolve.p90, "/", w.replies_to_resolve.p99, "[",
                    absl::StrJoin(w.replies_to_resolve.values, ","), "]");
    for (const SlaFigures& s : w.sla) {
      absl::StrAppend(&out, " sla", static_cast<int>(s.metric), "=", s.met, "/", s.breached);
    }
    for (const auto& [tag, n] : w.top_tags) absl::StrAppend(&out, " #", tag, "=", n);
    out += "\n";
  };
  for (absl::Time t : r.backlog_times) absl::StrAppend(&out, absl::ToUnixMicros(t), " ");
  out += "\n";
  row(r.total);
  for (const ReportRow& w : r.rows) row(w);
  return out;
}

// The Desk's per-ticket reading before the scan: the tickets with an event
// stamped from the period's start on and those open now, each with its whole
// log (times stepping back read as the previous event's) and its state.
absl::StatusOr<Report> ReferenceReport(Store& store, const ReportSpec& spec,
                                       ReportConfig config) {
  config.clamp_backward_times = false;  // the reference clamps itself
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                            store.Begin(TransactionMode::kReadOnly));
  HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator acc, ReportAccumulator::Create(config));
  std::set<int64_t> tickets;
  for (int64_t after = 0;;) {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> page,
                              tx->ListEventsBetween(spec.from, absl::InfiniteFuture(), after, 100));
    for (const v1::Event& e : page) tickets.insert(e.ticket_id());
    if (page.size() < 100) break;
    after = page.back().id();
  }
  TicketQuery open;
  open.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                            v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD};
  open.created.to = spec.to;
  open.limit = kMaxQueryLimit;
  for (;;) {
    HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx->QueryTickets(open));
    for (const v1::Ticket& t : page.tickets) tickets.insert(t.id());
    if (page.next_cursor.empty()) break;
    open.cursor = page.next_cursor;
  }
  for (int64_t id : tickets) {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events, tx->ListTicketEvents(id, 0, 0));
    int64_t last = std::numeric_limits<int64_t>::min();
    for (v1::Event& e : events) {
      const int64_t t = TimestampToMicros(e.time());
      if (t < last) {
        *e.mutable_time() = MicrosToTimestamp(last);
      } else {
        last = t;
      }
      HELPDESK_RETURN_IF_ERROR(acc.Add(e));
    }
    absl::StatusOr<v1::Ticket> t = tx->GetTicket(id);
    if (t.ok()) {
      acc.AddTicket(*t);
    } else if (!absl::IsNotFound(t.status())) {
      return t.status();
    }
  }
  return acc.Compute(spec);
}

// A store whose transactions have no VisitEventsBetween (nor the encoded
// read built on it): the Desk falls back to reading ticket by ticket.
class NoVisitTransaction : public TransactionWrapper {
 public:
  using TransactionWrapper::TransactionWrapper;
  absl::StatusOr<int> VisitEventsBetween(
      absl::Time, absl::Time, int64_t, int,
      absl::FunctionRef<absl::Status(const v1::Event&)>) override {
    return absl::UnimplementedError("no visit");
  }
  absl::StatusOr<int> VisitEncodedEventsBetween(
      absl::Time, absl::Time, int64_t, int,
      absl::FunctionRef<absl::Status(int64_t, int64_t, absl::string_view)>) override {
    return absl::UnimplementedError("no visit");
  }
};
class NoVisitStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(const TransactionOptions& o) override {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx, base()->Begin(o));
    return std::unique_ptr<Transaction>(new NoVisitTransaction(std::move(tx)));
  }
};

// A store with the encoded event read whose transactions take the port's
// default ticket read (Transaction::VisitEncodedTickets: a GetTicket per
// id), as a host's own store without a native one; it counts GetTicket calls.
class DefaultTicketReadTransaction : public TransactionWrapper {
 public:
  DefaultTicketReadTransaction(std::unique_ptr<Transaction> base, bool use_default, int* gets)
      : TransactionWrapper(std::move(base)), use_default_(use_default), gets_(gets) {}
  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
    ++*gets_;
    return TransactionWrapper::GetTicket(id);
  }
  absl::StatusOr<int> VisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) override {
    if (use_default_) return Transaction::VisitEncodedTickets(after_id, last_id, limit, visit);
    return TransactionWrapper::VisitEncodedTickets(after_id, last_id, limit, visit);
  }

 private:
  bool use_default_;
  int* gets_;
};
class DefaultTicketReadStore : public StoreWrapper {
 public:
  DefaultTicketReadStore(Store* base, bool use_default)
      : StoreWrapper(base), use_default_(use_default) {}
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(const TransactionOptions& o) override {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx, base()->Begin(o));
    return std::unique_ptr<Transaction>(
        new DefaultTicketReadTransaction(std::move(tx), use_default_, &gets_));
  }
  int gets() const { return gets_; }

 private:
  bool use_default_;
  int gets_ = 0;
};

class DeskReportsScanTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    desk_.reset();
    agents_.clear();
    groups_.clear();
    contacts_.clear();
    clock_.Set(At(3, 1, 10));
    if (GetParam()) {
      ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(":memory:"));
    } else {
      store_ = NewMemoryStore();
    }
    ASSERT_OK_AND_ASSIGN(SlaEngine engine, SlaEngine::FromText(kScanSla, Workflow::Default()));
    options_ = {.store = store_.get(), .clock = &clock_, .sla = engine};
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(options_));
    for (const char* name : {"Bob", "Carol", "Dan"}) {
      ASSERT_OK_AND_ASSIGN(v1::Agent a,
                           desk_->people().CreateAgent(
                               SystemActor(), {.name = name,
                                               .email = absl::StrCat(name, "@x.example")}));
      agents_.push_back(AgentActor(a.id()));
    }
    for (const char* name : {"Tier1", "Tier2"}) {
      ASSERT_OK_AND_ASSIGN(v1::Group g, desk_->people().CreateGroup(SystemActor(), name));
      groups_.push_back(g.id());
    }
    for (const char* name : {"Ada", "Eve"}) {
      ASSERT_OK_AND_ASSIGN(v1::Contact c, desk_->people().CreateContact(
                                              SystemActor(),
                                              {.name = name,
                                               .emails = {absl::StrCat(name, "@y.example")}}));
      contacts_.push_back(c.id());
    }
  }

  // A random history from March 2 to March 20 (the period is March 9-16),
  // the clock now and then stepping back; and, at fixed points, a ticket
  // created in the period whose next event is stamped before the period (a
  // clock stepped back across its start), and an old ticket left open.
  void MakeHistory(uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    std::vector<int64_t> tickets;
    const char* statuses[] = {"open", "pending", "solved", "solved", "on_hold", "closed"};
    const v1::Channel channels[] = {v1::CHANNEL_API, v1::CHANNEL_EMAIL, v1::CHANNEL_WEB_FORM};
    absl::Time t = At(3, 2, 8);
    auto create = [&]() {
      NewTicket in{.subject = "s", .description = "d"};
      in.requester_id = contacts_[pick(2)];
      in.channel = channels[pick(3)];
      in.priority = pick(2) ? v1::PRIORITY_NORMAL : v1::PRIORITY_HIGH;
      if (pick(2)) in.group_id = groups_[pick(2)];
      if (pick(2)) in.tags = {absl::StrCat("tag", pick(4))};
      if (pick(3) == 0) {
        v1::CustomFieldValue v;
        v.set_text(pick(2) ? "gold" : "silver");
        in.custom_fields["plan"] = v;
      }
      const v1::Actor by = pick(4) == 0 ? agents_[pick(3)] : ContactActor(in.requester_id);
      if (by.kind() == v1::Actor::CONTACT) {
        in.group_id = 0;
        in.tags.clear();
        in.custom_fields.clear();
        in.priority = v1::PRIORITY_NORMAL;
      }
      absl::StatusOr<v1::Ticket> made = desk_->tickets().Create(by, in);
      ASSERT_THAT(made.status(), IsOk());
      tickets.push_back(made->id());
    };
    create();
    old_open_ = tickets.back();  // never touched again
    for (int step = 0; step < 250; ++step) {
      t += absl::Minutes(static_cast<int64_t>(rng() % 300));
      if (pick(12) == 0) t -= absl::Minutes(static_cast<int64_t>(rng() % 1500));  // steps back
      clock_.Set(t);
      if (step == 60) {
        // Created in the period; its next event stamped before the period.
        clock_.Set(From() + absl::Minutes(30));
        create();
        clock_.Set(From() - absl::Hours(5));
        ASSERT_THAT(desk_->tickets().AddMessage(agents_[0], tickets.back(), {.body_text = "r"})
                        .status(),
                    IsOk());
        // Created before the period, after that one (its id among the new
        // tickets' ids), and left open: an old open ticket in the new
        // tickets' id range.
        clock_.Set(From() - absl::Hours(2));
        create();
        old_open_in_range_ = tickets.back();
        tickets.pop_back();  // never touched again
        clock_.Set(t);
      }
      const size_t op = pick(14);
      if (op <= 1 || tickets.size() < 3) {
        create();
        continue;
      }
      // Mostly the latest tickets (never the old open one, the first).
      const size_t recent = std::min<size_t>(8, tickets.size() - 1);
      const int64_t id = tickets[tickets.size() - 1 - pick(recent)];
      const v1::Actor agent = agents_[pick(3)];
      absl::Status s;
      switch (op) {
        case 2:
          s = desk_->tickets().AddMessage(agent, id, {.body_text = "reply"}).status();
          break;
        case 3: {
          absl::StatusOr<v1::Ticket> cur = desk_->tickets().Get(agent, id);
          if (!cur.ok()) break;
          s = desk_->tickets()
                  .AddMessage(ContactActor(cur->requester_id()), id,
                              {.kind = v1::Message::CUSTOMER_MESSAGE, .body_text = "more"})
                  .status();
          break;
        }
        case 4:
        case 5:
        case 10:
        case 11:
          s = desk_->tickets().Update(agent, id, {.status = statuses[pick(6)]}).status();
          break;
        case 12:
          s = desk_->tickets()
                  .Update(agent, id, {.status = "solved", .assignee_id = agent.id()})
                  .status();
          break;
        case 13:
          s = desk_->tickets().AddMessage(agent, id, {.body_text = "reply"}).status();
          break;
        case 6:
          s = desk_->tickets().Update(agent, id, {.assignee_id = agent.id()}).status();
          break;
        case 7:
          s = desk_->tickets()
                  .Update(agent, id, {.group_id = groups_[pick(2)],
                                      .add_tags = {absl::StrCat("tag", pick(4))}})
                  .status();
          break;
        case 8: {
          v1::CustomFieldValue v;
          v.set_text(pick(2) ? "gold" : "silver");
          s = desk_->tickets()
                  .Update(agent, id, {.priority = pick(2) ? v1::PRIORITY_LOW : v1::PRIORITY_URGENT,
                                      .set_custom_fields = {{"plan", v}}})
                  .status();
          break;
        }
        case 9: {
          const int64_t into = tickets[tickets.size() - 1 - pick(recent)];
          if (into != id && pick(3) == 0) s = desk_->tickets().Merge(agent, id, into).status();
          break;
        }
      }
      (void)s;  // refused commands are part of the history
    }
  }

  absl::Time From() const { return At(3, 9, 0); }

  // Compares the Desk's report with the reference for several specs.
  void ExpectSameReports(Desk& desk) {
    ReportConfig config;
    config.workflow = Workflow::Default();
    config.sla = options_.sla;
    config.calendar = OfficeHours();
    ReportCalendars calendars;
    calendars.calendar = OfficeHours();
    int compared = 0;
    for (const char* grouping :
         {"none", "agent", "group", "tag", "channel", "priority", "custom_field.plan"}) {
      for (bool business : {false, true}) {
        for (auto [from, to] : {std::pair{From(), At(3, 16, 0)},
                                std::pair{At(3, 1, 0), At(3, 25, 0)},
                                std::pair{At(3, 12, 13), At(3, 13, 0)}}) {
          SCOPED_TRACE(absl::StrCat(grouping, business ? " business " : " calendar ",
                                    absl::FormatTime(from)));
          ReportSpec spec;
          spec.from = from;
          spec.to = to;
          spec.business_time = business;
          spec.backlog_step = absl::Hours(12);
          ASSERT_OK_AND_ASSIGN(spec.group_by, ParseReportGrouping(grouping));
          ASSERT_OK_AND_ASSIGN(Report want, ReferenceReport(*store_, spec, config));
          ASSERT_OK_AND_ASSIGN(Report got, desk.reports().Compute(agents_[0], spec, calendars));
          EXPECT_EQ(Dump(got), Dump(want));
          ++compared;
        }
      }
    }
    EXPECT_EQ(compared, 42);
  }

  ManualClock clock_{At(3, 1, 10)};
  std::unique_ptr<Store> store_;
  DeskOptions options_;
  std::unique_ptr<Desk> desk_;
  std::vector<v1::Actor> agents_;
  std::vector<int64_t> groups_;
  std::vector<int64_t> contacts_;
  int64_t old_open_ = 0;
  int64_t old_open_in_range_ = 0;
};

TEST_P(DeskReportsScanTest, EqualsThePerTicketReadingOverRandomHistories) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    SetUp();
    MakeHistory(seed);
    // The history holds what the scan must route: a ticket created before
    // the period with an event in it, an old open one untouched in it, a
    // merged one, and events stamped before their predecessors.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, store_->Begin(TransactionMode::kReadOnly));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> all, tx->ListEventsSince(0, 10000));
    ASSERT_LT(all.size(), 10000u);
    std::map<int64_t, absl::Time> created, last;
    int backward = 0, merged = 0, old_active = 0, reopened = 0;
    std::set<int64_t> counted;
    for (const v1::Event& e : all) {
      const absl::Time at = FromTimestamp(e.time());
      if (e.kind() == v1::Event::TICKET_CREATED) created[e.ticket_id()] = at;
      if (last.count(e.ticket_id()) && at < last[e.ticket_id()]) ++backward;
      last[e.ticket_id()] = std::max(at, last[e.ticket_id()]);
      if (e.kind() == v1::Event::MERGED_INTO) ++merged;
      if (at >= From() && created.count(e.ticket_id()) && created[e.ticket_id()] < From() &&
          counted.insert(e.ticket_id()).second) {
        ++old_active;
      }
      if (std::getenv("SCAN_DEBUG")) std::fprintf(stderr, "%s\n", e.ShortDebugString().c_str());
      for (const v1::FieldChange& c : e.changes()) {
        if (c.field() == v1::FieldChange::STATUS && c.before().status() == "solved" &&
            c.after().status() != "closed") {
          ++reopened;
        }
      }
    }
    tx.reset();
    EXPECT_GT(backward, 0);
    EXPECT_GT(merged, 0);
    EXPECT_GT(old_active, 0);
    EXPECT_GT(reopened, 0);
    ASSERT_OK_AND_ASSIGN(v1::Ticket old, desk_->tickets().Get(agents_[0], old_open_));
    EXPECT_EQ(old.status(), "new");
    EXPECT_LT(FromTimestamp(old.updated_at()), From());
    ASSERT_OK_AND_ASSIGN(v1::Ticket in_range, desk_->tickets().Get(agents_[0], old_open_in_range_));
    EXPECT_EQ(in_range.status(), "new");
    EXPECT_LT(FromTimestamp(in_range.created_at()), From());
    ExpectSameReports(*desk_);
    // The new tickets' states come from the ticket read, not from GetTicket
    // one by one: the default read (a GetTicket per id of the new tickets'
    // range) costs at least one GetTicket more per new ticket.
    auto gets = [&](bool use_default) -> int {
      DefaultTicketReadStore counting(store_.get(), use_default);
      DeskOptions o = options_;
      o.store = &counting;
      absl::StatusOr<std::unique_ptr<Desk>> desk = Desk::Open(o);
      EXPECT_THAT(desk.status(), IsOk());
      if (!desk.ok()) return -1;
      ReportSpec spec;
      spec.from = From();
      spec.to = At(3, 16, 0);
      const int before = counting.gets();
      EXPECT_THAT((*desk)->reports().Compute(agents_[0], spec).status(), IsOk());
      return counting.gets() - before;
    };
    const int64_t new_tickets = static_cast<int64_t>(std::count_if(
        created.begin(), created.end(),
        [&](const auto& c) { return c.second >= From() && c.second < At(3, 16, 0); }));
    EXPECT_GT(new_tickets, 5);
    const int native_gets = gets(false), default_gets = gets(true);
    EXPECT_GE(default_gets, native_gets + new_tickets)
        << "native " << native_gets << ", default " << default_gets;
    // The store's encoded event read with the port's default ticket read
    // (GetTicket per id of the range): the same figures.
    DefaultTicketReadStore by_default(store_.get(), /*use_default=*/true);
    DeskOptions d = options_;
    d.store = &by_default;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> default_read, Desk::Open(d));
    ExpectSameReports(*default_read);
    // Without the store's encoded read: ticket by ticket, the same figures.
    NoVisitStore plain(store_.get());
    DeskOptions o = options_;
    o.store = &plain;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> fallback, Desk::Open(o));
    ExpectSameReports(*fallback);
  }
}

TEST_P(DeskReportsScanTest, AccessIsCheckedBeforeReading) {
  MakeHistory(7);
  ReportSpec spec;
  spec.from = From();
  spec.to = At(3, 16, 0);
  EXPECT_THAT(desk_->reports().Compute(ContactActor(contacts_[0]), spec).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->reports().Compute(AgentActor(999), spec).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskReportsScanTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace helpdesk
