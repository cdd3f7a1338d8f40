// SLA clocks: which service level targets apply to a ticket and where each
// stands, derived from the ticket's audit events alone.
//
// An SlaEngine is built once from a v1::SlaConfig (see sla.proto) and the
// desk's Workflow. Evaluate() is a pure function of the ticket, its events, and
// the time asked about: nothing is stored, so a changed calendar, priority or
// policy gives the right answer on the next read. Desk calls it after every
// change (to keep the ticket's next SLA deadline) and from Desk::Tick.
//
//   absl::StatusOr<SlaEngine> engine = SlaEngine::Create(config, workflow);
//   absl::StatusOr<SlaStatus> status = engine->Evaluate(ticket, events, now);
//   for (const SlaMetricStatus& m : status->metrics) { ... }
//
// Rules, for every metric:
//  - A clock counts real time (or, for business_hours targets, the time the
//    policy's calendar is open) while the ticket is in a status that is
//    neither listed in pause_statuses nor of the solved or closed category.
//  - The target that applies is chosen by the ticket's priority: for a running
//    cycle the current priority (a priority change recomputes the due time
//    from the cycle's start, as the leading help desks do); for a finished
//    cycle the priority when it finished.
//  - A cycle is breached when its counted time reaches the target; it stays
//    breached when it is later met. A cycle met in time is met.
//  - Each metric is independent: a periodic-update target never overrides a
//    first-reply target (Zammad #5177).
#ifndef HELPDESK_SLA_H_
#define HELPDESK_SLA_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/sla.pb.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/workflow.h"

namespace helpdesk {

enum class SlaState {
  // Counting; not yet due.
  kRunning,
  // In a pause status; not counting.
  kPaused,
  // Stopped in time.
  kMet,
  // Reached its target without stopping (running or not).
  kBreached,
};

// One metric's latest cycle (for next reply and periodic update, the current
// or last cycle; earlier cycles are counted in `cycles` and `breached_cycles`).
struct SlaMetricStatus {
  v1::SlaMetric metric = v1::SLA_METRIC_UNSPECIFIED;
  SlaState state = SlaState::kRunning;
  // The target that applies to this cycle, and whether it counts business
  // hours.
  absl::Duration target;
  bool business_hours = false;
  absl::Duration warn_before;
  // When this cycle started, and when it stopped (met or finished).
  absl::Time started_at;
  std::optional<absl::Time> stopped_at;
  // Counted time so far (business time for business_hours targets), and what
  // is left of the target (negative once breached).
  absl::Duration used;
  absl::Duration left;
  // When the cycle is, or was, due. While paused the due time is not known:
  // unset.
  std::optional<absl::Time> due_at;
  // due_at - warn_before when a warning applies.
  std::optional<absl::Time> warn_at;
  // When the cycle reached its target, if it did.
  std::optional<absl::Time> breached_at;
  // Numbered from 1 per metric; identifies the cycle in SLA events.
  int cycle = 1;
  int cycles = 1;
  int breached_cycles = 0;
};

struct SlaStatus {
  // The name of the policy that applies; empty when none does (then
  // `metrics` is empty).
  std::string policy;
  std::vector<SlaMetricStatus> metrics;
  // The earliest warn_at or due_at after `now` among running cycles: when
  // the ticket next needs attention from Desk::Tick. Unset when none.
  std::optional<absl::Time> next_deadline;
};

// Thread safety: immutable after Create; safe to share across threads.
class SlaEngine {
 public:
  // Validates `config` against the desk's workflow. Errors: InvalidArgument
  // naming the field and value for a calendar that BusinessCalendar::Create
  // refuses, a duplicate calendar or policy name, an unknown calendar, a
  // business-hours target without a calendar or with a calendar that is never
  // open, a target of zero or negative length, a warning not shorter than its
  // target, an unspecified metric, an unknown status in pause_statuses (or one
  // of the solved or closed category), an unknown priority or channel in a
  // condition.
  static absl::StatusOr<SlaEngine> Create(const v1::SlaConfig& config,
                                          const Workflow& workflow);
  // Parses proto text format, then Create(). Errors: InvalidArgument with
  // line and column for malformed text.
  static absl::StatusOr<SlaEngine> FromText(absl::string_view text,
                                            const Workflow& workflow);

  // The policy that applies to `ticket` now, or nullptr.
  const v1::SlaPolicyConfig* PolicyFor(const v1::Ticket& ticket) const;

  // Derives every metric of the applying policy from `events` (the ticket's
  // audit log in order: TICKET_CREATED first) as of `now`. Events after `now`
  // are ignored. It reads the events' kinds, message kinds and their STATUS
  // and PRIORITY changes (the `after` values). Errors: InvalidArgument when
  // the events do not start with TICKET_CREATED or are out of time order, or
  // a STATUS change's value is no status of the workflow or a PRIORITY
  // change's no priority (naming the event); FailedPrecondition when a
  // business-hours computation leaves the calendar's supported range.
  absl::StatusOr<SlaStatus> Evaluate(const v1::Ticket& ticket,
                                     absl::Span<const v1::Event> events,
                                     absl::Time now) const;

 private:
  struct Rep;
  explicit SlaEngine(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

// "first_reply", "next_reply", ... for text output.
std::string SlaMetricName(v1::SlaMetric metric);
std::string SlaStateName(SlaState state);

}  // namespace helpdesk

#endif  // HELPDESK_SLA_H_
