// Reports: figures computed from the audit log (v1::Event) for any period and
// grouping, as a pure function of the events (and, where the events do not
// say it, the tickets' current state). Nothing is stored: a report can be
// recomputed at any time, or kept up to date incrementally with a
// ReportAccumulator that takes the events as they are written.
//
//   ReportConfig config;                         // workflow, calendars, SLA
//   absl::StatusOr<ReportAccumulator> acc = ReportAccumulator::Create(config);
//   for (const v1::Event& e : events) HELPDESK_RETURN_IF_ERROR(acc->Add(e));
//   ReportSpec spec;
//   spec.from = month_start; spec.to = month_end;
//   HELPDESK_ASSIGN_OR_RETURN(spec.group_by, ParseReportGrouping("group"));
//   spec.business_time = true;
//   HELPDESK_ASSIGN_OR_RETURN(Report r, acc->Compute(spec));
//   // r.total.first_reply.p90, r.rows[i].solved ...
//
// What each figure means, for a period [from, to) (events at or after `to`
// are ignored, so a past period's report does not change when the log grows):
//  - created: tickets created in the period.
//  - solved: moves into a solved- or closed-category status in the period
//    (a reopened ticket solved again counts again); a merge, which closes the
//    merged ticket, is no solve.
//  - reopened: moves out of a solved- or closed-category status in the period.
//  - backlog: at each sample time from, from + backlog_step, ... (before
//    `to`), the tickets created by then that are not solved, closed or merged.
//  - first_reply: for tickets whose first public reply by an agent falls in
//    the period, the time from creation to it. Tickets an agent opened with a
//    public reply (outbound) have no first reply time.
//  - resolution (full resolution), replies_to_resolve, requester_wait,
//    agent_work: for tickets whose last solve before `to` falls in the period
//    and that are still solved or closed at `to` (not merged): the time from
//    creation to that solve; the agents' public replies up to it; the time in
//    new-, open- and on-hold-category statuses up to it (requester wait); the
//    time in new- and open-category statuses up to it (agent work).
//  - sla: per metric, the latest cycle of each ticket (SlaEngine::Evaluate as
//    of `to`) that was met in the period (stopped in time) or breached in the
//    period; achievement = met / (met + breached).
//  - top_tags: the tags of the tickets created in the period (as of the
//    period's end), most used first.
//  - CSAT: the audit log carries no satisfaction ratings yet; there is no
//    CSAT figure until it does.
// Durations are calendar time, or with `business_time` the time the calendar
// is open: a ticket opened on Sunday and answered on Monday at 09:05 with
// opening hours from 09:00 has a first reply of 5 minutes. A ticket that
// moved between groups is measured on each group's calendar
// (ReportConfig::group_calendars, else the default calendar) for the span it
// spent in that group.
//
// Grouping credits each figure to the value the ticket had when the figure
// happened ("the value at a moment" is the one after every event at or
// before it; events at or after `to` never count):
//  - solved, reopened: the value at that solve or reopening (a ticket solved
//    in group 1, reopened, moved to group 2 and solved again counts one
//    solve in each row);
//  - backlog: at each sample time, the value then (a ticket moved from group
//    1 to 2 mid-period leaves 1's backlog and joins 2's at the move);
//  - first_reply: the value at the first reply;
//  - resolution, replies_to_resolve, requester_wait, agent_work: the value
//    at the (last) solve they are measured to;
//  - sla: the value when the cycle was met or breached;
//  - created and top_tags: the value at the period's end (the latest before
//    `to`): what the ticket became, so a ticket tagged or routed after it
//    arrived counts as such.
// This holds for the values the events set: agent (assignee), group,
// priority, type, organization, tags and custom fields. Until a value's
// first change after the creation, the ticket had what that change's
// `before` says (the creation event does not list every value: not the
// organization, nor the custom fields). A ticket whose events never set the
// value is grouped by the current value throughout: the ticket given with
// AddTicket, else none. The channel is set when a ticket is created and no
// command changes it (the Desk has none, and no event records a change of
// it), so the current ticket's channel is its channel at every moment. By
// tag a figure
// counts once in the row of each tag the ticket had at its moment. "none" is
// the row of the figures of tickets without a value; a ticket that had a
// value during the period has that row even when no figure fell in it. The
// total row counts each ticket once.
#ifndef HELPDESK_REPORTS_H_
#define HELPDESK_REPORTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/calendar.h"
#include "helpdesk/export.h"
#include "helpdesk/sla.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/workflow.h"

namespace helpdesk {

// The figures a report can hold. Names (ReportMetricName): "created",
// "solved", "reopened", "backlog", "first_reply", "resolution",
// "replies_to_resolve", "requester_wait", "agent_work", "sla", "top_tags".
enum class ReportMetric {
  kCreated,
  kSolved,
  kReopened,
  kBacklog,
  kFirstReply,
  kResolution,
  kRepliesToResolve,
  kRequesterWait,
  kAgentWork,
  kSla,
  kTopTags,
};

// Every metric, in the order above.
HELPDESK_EXPORT const std::vector<ReportMetric>& AllReportMetrics();
HELPDESK_EXPORT std::string ReportMetricName(ReportMetric metric);
// Errors: InvalidArgument naming the metric and listing the known ones.
HELPDESK_EXPORT absl::StatusOr<ReportMetric> ParseReportMetric(absl::string_view name);

// What rows a report has.
struct ReportGrouping {
  enum class Kind {
    kNone,  // only the total
    kAgent,
    kGroup,
    kTag,
    kChannel,
    kPriority,
    kType,
    kOrganization,
    kCustomField,  // `custom_field` names it
  };
  Kind kind = Kind::kNone;
  std::string custom_field;
};

// Parses "" or "none", "agent", "group", "tag", "channel", "priority",
// "type", "organization", "custom_field.<name>". Errors: InvalidArgument
// naming the grouping and listing the known ones.
HELPDESK_EXPORT absl::StatusOr<ReportGrouping> ParseReportGrouping(absl::string_view name);
HELPDESK_EXPORT std::string ReportGroupingName(const ReportGrouping& grouping);

// What to compute.
struct ReportSpec {
  // The period [from, to).
  absl::Time from;
  absl::Time to;
  ReportGrouping group_by;
  // The metrics to compute; empty means all of them. The others stay empty.
  std::vector<ReportMetric> metrics;
  // Durations in business time (needs ReportConfig::calendar) instead of
  // calendar time.
  bool business_time = false;
  // The backlog's sampling step (positive); at most 100,000 samples.
  absl::Duration backlog_step = absl::Hours(24);
  // How many tags top_tags keeps (positive).
  int top_tags = 10;
};

// What the events are read with.
struct ReportConfig {
  // Maps status names to categories.
  Workflow workflow = Workflow::Default();
  // The calendar for business time; required when a spec asks for it.
  std::optional<BusinessCalendar> calendar;
  // A group's own calendar, for the spans a ticket spends in that group.
  std::map<int64_t, BusinessCalendar> group_calendars;
  // For the "sla" metric; without it that metric has no rows.
  std::optional<SlaEngine> sla;
  // How many threads ReportReader decodes events with and
  // ReportAccumulator::Compute computes tickets' figures with: 0 (the
  // default) for std::thread::hardware_concurrency(), 1 for none (all on the
  // calling thread, as before; negative values count as 1). The figures are
  // the same, bit for bit, whatever the count. What more threads cost: each
  // is started per Compute call (and per ReportReader) and joined before it
  // returns; ReportReader copies each event's bytes once into a batch (at
  // most a few MB queued per thread); Compute keeps per thread its own
  // scratch and rows, merged at the end. Compute uses one thread per 16,384
  // tickets at most, so small reports stay on the calling thread.
  int threads = 0;
  // How an event stamped earlier than its ticket's previous event is taken
  // (a clock that stepped back). False (the default): refused
  // (ReportAccumulator::Add's InvalidArgument). True: read as at the latest
  // time of the ticket's events before it, REFUSED events included, as the
  // Desk reads a ticket's events for its SLA clocks (so the Desk's reports
  // tolerate skewed histories and give the same figures whatever the read).
  bool clamp_backward_times = false;
};

// A distribution of durations: count, mean and nearest-rank percentiles
// (zero when count is 0), and the values themselves, sorted (for charts).
struct DurationFigures {
  int64_t count = 0;
  absl::Duration mean;
  absl::Duration p50;
  absl::Duration p90;
  absl::Duration p99;
  std::vector<absl::Duration> values;
};

// A distribution of counts (replies to resolve).
struct CountFigures {
  int64_t count = 0;
  double mean = 0;
  int64_t p50 = 0;
  int64_t p90 = 0;
  int64_t p99 = 0;
  std::vector<int64_t> values;
};

struct SlaFigures {
  v1::SlaMetric metric = v1::SLA_METRIC_UNSPECIFIED;
  int64_t met = 0;
  int64_t breached = 0;
  // met / (met + breached); 0 when both are 0.
  double achievement = 0;
};

struct ReportRow {
  // The grouping's value: an id in decimal, a priority/type/channel name, a
  // tag, a custom field's value as text; "none" for no value; "total" for
  // the total row.
  std::string key;
  int64_t created = 0;
  int64_t solved = 0;
  int64_t reopened = 0;
  // One count per Report::backlog_times.
  std::vector<int64_t> backlog;
  DurationFigures first_reply;
  DurationFigures resolution;
  CountFigures replies_to_resolve;
  DurationFigures requester_wait;
  DurationFigures agent_work;
  // One per SLA metric that has a met or breached cycle, by metric.
  std::vector<SlaFigures> sla;
  // (tag, tickets), most tickets first, then by tag.
  std::vector<std::pair<std::string, int64_t>> top_tags;
};

struct Report {
  ReportSpec spec;
  // The backlog's sample times (when "backlog" was asked for).
  std::vector<absl::Time> backlog_times;
  ReportRow total;
  // One per grouping value, sorted by key (numerically for ids); empty
  // without a grouping.
  std::vector<ReportRow> rows;
};

// Checks a spec against a config. Errors, InvalidArgument naming the field
// and value: `to` before `from`; a non-positive backlog_step or one giving
// more than 100,000 samples; top_tags below 1; business_time without a
// calendar; a custom-field grouping without a name.
HELPDESK_EXPORT absl::Status ValidateReportSpec(const ReportSpec& spec,
                                                const ReportConfig& config);

// Takes the audit log event by event (in each ticket's order; tickets may
// interleave) and computes reports over what it has taken. Adding events one
// at a time and computing gives exactly the report computed from scratch
// over the same events; accumulators fed disjoint sets of tickets can be
// merged into the same result.
//
// Memory: a few dozen bytes per status, group, assignee, priority, type,
// organization, tags and custom field change and message of each ticket
// (each distinct tag set and custom field value is kept once), plus its
// current attributes.
//
// Thread safety: not thread-safe; Compute is const and may run concurrently
// with other const calls. Compute itself may use config.threads threads
// (see ReportConfig::threads), joined before it returns.
class HELPDESK_EXPORT ReportAccumulator {
 public:
  // Errors: InvalidArgument for a group calendar keyed by an id <= 0.
  static absl::StatusOr<ReportAccumulator> Create(ReportConfig config);

  ReportAccumulator(ReportAccumulator&&) noexcept;
  ReportAccumulator& operator=(ReportAccumulator&&) noexcept;
  ~ReportAccumulator();

  // Takes one event. Events of other kinds than those reports read (agent
  // events, routing offers) are accepted and ignored. Errors, all
  // InvalidArgument naming the event id: a ticket_id <= 0; a ticket whose
  // first event is not TICKET_CREATED, or a second TICKET_CREATED; an event
  // earlier than the ticket's previous one; a STATUS change to a status the
  // workflow does not know. A refused event changes nothing. With
  // ReportConfig::clamp_backward_times an earlier event is not refused but
  // taken at the ticket's latest time so far.
  absl::Status Add(const v1::Event& event);

  // Takes one event given encoded (a serialized v1::Event, as stores keep
  // it; its id and ticket_id apart, overriding any in the bytes), as Add
  // would take the parsed event, without building the message: the fields
  // reports read are read from the bytes in place. Errors: those of Add;
  // DataLoss naming the event id for bytes that are not an encoded event.
  absl::Status AddEncoded(int64_t event_id, int64_t ticket_id, absl::string_view serialized);

  // Records a ticket's current state: its channel and custom fields group
  // the ticket, and so do the attributes its events never set (see the
  // grouping rules at the top); the SLA metric reads it. May come before or
  // after its events.
  void AddTicket(const v1::Ticket& ticket);

  // Records ticket `ticket_id`'s current state given encoded (a serialized
  // v1::Ticket, as Transaction::VisitEncodedTickets hands it over; its id
  // apart, overriding any in the bytes), as AddTicket would take the parsed
  // ticket. Errors: DataLoss naming the ticket id for bytes that are not an
  // encoded ticket (nothing changes); InvalidArgument for a ticket_id <= 0.
  absl::Status AddEncodedTicket(int64_t ticket_id, absl::string_view serialized);

  // Moves `other`'s tickets into this one. Errors: InvalidArgument naming a
  // ticket that both hold events of (merge accumulators of disjoint
  // tickets), or when the two were created with different workflows'
  // statuses. On error nothing changes.
  absl::Status Merge(ReportAccumulator other);

  // The report over the events taken so far. Errors: those of
  // ValidateReportSpec; FailedPrecondition when a business-time computation
  // leaves the calendar's supported range.
  absl::StatusOr<Report> Compute(const ReportSpec& spec) const;

  // Tickets with at least one event taken.
  int64_t ticket_count() const;

 private:
  friend class ReportReader;
  struct Rep;
  explicit ReportAccumulator(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// Reads an encoded event's kind and time (Unix microseconds, as
// ReportAccumulator reads them) without building the message, for a caller
// routing events by them (the Desk's reports tell a ticket's creation from
// its later events). Returns false for bytes it does not read narrowly
// (malformed ones, or a time given twice): the caller then parses the
// message, or takes the event's ticket another way.
HELPDESK_EXPORT bool PeekEncodedEvent(absl::string_view serialized, v1::Event::Kind* kind,
                                      int64_t* micros);

// Reads encoded events (as Transaction::VisitEncodedEventsBetween hands them
// over, in the log's order) into a ReportAccumulator on config.threads
// threads: the calling thread copies each event into a batch of the worker
// that owns its ticket (by ticket id), and each worker decodes and takes its
// tickets' events in the order given (as AddEncoded would). Finish merges
// the workers' tickets into one accumulator holding the tickets' histories
// one accumulator fed the same events with AddEncoded would hold: its
// reports are the same, bit for bit.
//
//   HELPDESK_ASSIGN_OR_RETURN(ReportReader reader, ReportReader::Create(config));
//   tx.VisitEncodedEventsBetween(from, to, after, limit,
//       [&](int64_t id, int64_t ticket, absl::string_view b) {
//         return reader.AddEncoded(id, ticket, b); });  // page by page
//   HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator acc, std::move(reader).Finish());
//
// With one thread (config.threads == 1, or a machine with one core) it is
// ReportAccumulator::AddEncoded on the calling thread.
//
// Thread safety: not thread-safe (one thread calls AddEncoded and Finish);
// the reader's own threads are started by Create and joined by Finish or
// the destructor.
class HELPDESK_EXPORT ReportReader {
 public:
  // Errors: those of ReportAccumulator::Create.
  static absl::StatusOr<ReportReader> Create(ReportConfig config);

  ReportReader(ReportReader&&) noexcept;
  ReportReader& operator=(ReportReader&&) noexcept;
  ~ReportReader();

  // Takes one encoded event (the bytes are copied). Errors: those of
  // ReportAccumulator::AddEncoded, for the first refused event in the order
  // given, reported by this call or a later one, or by Finish (a worker
  // decodes an event after this call returns). After an error the reader is
  // spent: every later call returns the same error.
  absl::Status AddEncoded(int64_t event_id, int64_t ticket_id, absl::string_view serialized);

  // Takes ticket `ticket_id`'s current state encoded (the bytes are copied),
  // decoded by the worker owning the ticket, as
  // ReportAccumulator::AddEncodedTicket. Errors: those of
  // ReportAccumulator::AddEncodedTicket, reported as AddEncoded's are (in
  // the order given, with the events').
  absl::Status AddEncodedTicket(int64_t ticket_id, absl::string_view serialized);

  // Waits for the workers and returns the accumulator. Errors: the first
  // refused event's (as AddEncoded).
  absl::StatusOr<ReportAccumulator> Finish() &&;

 private:
  struct Rep;
  explicit ReportReader(std::unique_ptr<Rep> rep);
  // Copies an event (or, when `ticket`, a ticket's state) into the batch of
  // the worker owning its ticket.
  absl::Status Queue(bool ticket, int64_t event_id, int64_t ticket_id,
                     absl::string_view serialized);
  std::unique_ptr<Rep> rep_;
};

// Computes a report from scratch: an accumulator fed `events` in order and
// `tickets`. Errors: those of ReportAccumulator::Create, Add and Compute.
HELPDESK_EXPORT absl::StatusOr<Report> ComputeReport(const ReportSpec& spec,
                                                     const ReportConfig& config,
                                                     absl::Span<const v1::Event> events,
                                                     absl::Span<const v1::Ticket> tickets);

}  // namespace helpdesk

#endif  // HELPDESK_REPORTS_H_
