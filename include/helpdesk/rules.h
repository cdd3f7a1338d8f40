// Rules: triggers that act on what just happened to a ticket, and time-based
// automations that act when it has waited long enough. A pure component: no
// I/O and no clock; the Desk gives it a snapshot of the ticket and applies the
// actions it returns, inside the command's transaction.
//
//   absl::StatusOr<RuleSet> rules =
//       RuleSet::FromText(text, workflow, {support_calendar});
//   if (!rules.ok()) return rules.status();  // names the rule and position
//   RuleContext context{.ticket = &ticket, .contact = &contact, .now = now};
//   absl::StatusOr<RuleOutcome> outcome = rules->Run(context, events);
//   for (const FiredAction& a : outcome->actions) { ... apply *a.action ... }
//
// The rule language (helpdesk/v1/rules.proto) in brief:
//  - Fields for conditions: "subject", "status", "status_category", "priority",
//    "type", "group", "assignee", "requester", "organization", "tags",
//    "channel", "followers", "message_count", "public_reply_count",
//    "custom.<name>", "contact.name", "contact.email", "contact.locale",
//    "contact.time_zone", "contact.blocked", "contact.external_id",
//    "organization.name", "organization.domains", "message.text",
//    "message.kind", "message.channel", "time" (against a calendar),
//    "sla.state" (any metric) and "sla.<metric>" (first_reply, next_reply, ...;
//    states running, paused, met, breached, warning), "csat.rating".
//  - Operators: "is", "is_not", "in", "not_in" (every field but lists);
//    "less_than", "greater_than", "at_least", "at_most" (ids, counts, ratings,
//    numeric custom fields, and priority, type, status category and channel
//    by their order); "contains", "not_contains" (text, ASCII case folded;
//    tags, domains, followers, choices);
//    "matches", "not_matches" (text; RE2 syntax, compiled once when the set is
//    validated, linear in the text); "is_set", "is_not_set"; "open_in",
//    "closed_in" for "time" with a calendar's name as the value.
//  - Order: rules run in the order written. The actions of a rule that fires
//    change the snapshot at once, so the next rule's conditions see them.
//    A rule reacts to the command's events and to changes earlier rules made
//    (a rule later in the order sees them in the same pass, an earlier one in
//    the next); another pass runs while the last one fired anything. Each rule
//    fires at most once per command, and never on its own change. The passes stop at
//    RuleSetConfig.max_passes with RuleOutcome::cascade_limit_reached.
//  - Notes, replies, notifications and webhooks that rules ask for change no
//    field and trigger no rule (no loops through mail). Automations' changes
//    do not run the triggers here; the Desk decides whether to.
//  - Automations fire once per window: a window is the time their `since`
//    names (e.g. when the ticket became pending); the Desk keeps the
//    RuleFirings that the engine returns and gives them back on the next tick.
#ifndef HELPDESK_RULES_H_
#define HELPDESK_RULES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/calendar.h"
#include "helpdesk/export.h"
#include "helpdesk/sla.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/rules.pb.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/workflow.h"

namespace helpdesk {

// The times an automation counts from that the ticket itself does not hold
// (created_at, updated_at and solved_at come from the ticket). Unset: never.
struct TicketTimeline {
  std::optional<absl::Time> status_changed_at;
  std::optional<absl::Time> last_customer_message_at;
  std::optional<absl::Time> last_agent_reply_at;
};

// Derives the timeline from a ticket's audit events (in order): the last
// STATUS change, customer message and public reply.
HELPDESK_EXPORT TicketTimeline
TimelineFromEvents(absl::Span<const v1::Event> events);

// What the rules see: a snapshot of the ticket and its surroundings. Nothing
// is owned; every pointer must outlive the call it is passed to. Only
// `ticket` is required; its tags must be normalised (unique and sorted), as
// the Desk keeps them.
struct RuleContext {
  const v1::Ticket* ticket = nullptr;
  const v1::Contact* contact = nullptr;
  const v1::Organization* organization = nullptr;
  // The message the events added, if any ("message.*" fields).
  const v1::Message* message = nullptr;
  const SlaStatus* sla = nullptr;
  TicketTimeline timeline;
  // Until the CSAT component adds its event: a rating that just arrived fires
  // CSAT_RECEIVED triggers; the latest rating (1-5, 0 for none) is
  // "csat.rating".
  bool csat_received = false;
  int csat_rating = 0;
  absl::Time now;
};

// One action to apply, and the rule it comes from. `action` points into the
// RuleSet's config (normalised: canonical names, sorted tags); the RuleSet, or
// a copy of it, must outlive the outcome.
struct FiredAction {
  std::string rule;
  const v1::RuleAction* action = nullptr;
};

struct RuleOutcome {
  // In the order they are to be applied.
  std::vector<FiredAction> actions;
  // The rules that fired, in order.
  std::vector<std::string> fired_rules;
  // A cascade needed more passes than max_passes; it stopped there.
  bool cascade_limit_reached = false;
  // A rule's stop_processing action ended the run.
  bool stopped = false;
  // The ticket after the actions (as far as the engine applies them: fields,
  // tags, custom fields and followers).
  v1::Ticket ticket;
  // For automations: the firings to keep for this ticket (those given, less
  // windows that have closed, plus the new ones).
  v1::RuleFirings firings;
};

// Why a rule would or would not fire.
struct RuleExplanation {
  std::string rule;
  bool would_fire = false;
  // E.g. "no CUSTOMER_MESSAGE event", "all[1] (priority at_least high)
  // failed: priority is normal", "due at 2026-12-08T09:00:00Z".
  std::string reason;
};

// Options for Run.
struct RuleRunOptions {
  // For benchmarks and the equivalence test: evaluate every rule's trigger
  // and every condition, as an engine without an index would. The outcome is
  // the same.
  bool scan_all_rules = false;
};

// A validated, compiled rule set. Cheap to copy (it shares its immutable
// tables). Thread safety: immutable after creation; safe to share across
// threads and to call concurrently.
class HELPDESK_EXPORT RuleSet {
 public:
  // Validates and compiles `config` against the desk's workflow (statuses)
  // and its calendars (found by BusinessCalendar::name()). Errors, all
  // InvalidArgument naming the rule (by name, or by number when it has none)
  // and the field and value: a missing, too long or duplicate name; a rule
  // with neither triggers nor automation, or both; an unspecified trigger
  // kind, a field on a trigger other than FIELD_CHANGED, an agent field; an
  // unspecified `since`, non-positive or sub-second hours, an unknown
  // calendar; an unknown condition field or operator, an operator the field
  // does not take, a value the field cannot hold (unknown status, priority,
  // type, channel, SLA metric or state, calendar; a number that is not one),
  // a regular expression RE2 refuses or that exceeds its memory limit; a rule
  // without actions, an unset action, an unknown status, priority or type, a
  // negative id, a bad tag, an empty template or webhook name; rules that
  // change the same field to different values and trigger each other (a
  // loop); a duplicate calendar name in `calendars`.
  static absl::StatusOr<RuleSet> Create(
      const v1::RuleSetConfig& config, const Workflow& workflow,
      absl::Span<const BusinessCalendar> calendars);

  // Parses text format, then Create(). Each error also gives the line and
  // column of the rule part at fault ("rule \"vip\" (line 4, column 5): ...");
  // malformed text (an unknown field or action included) names the line and
  // column and, where it can tell, the rule.
  static absl::StatusOr<RuleSet> FromText(
      absl::string_view text, const Workflow& workflow,
      absl::Span<const BusinessCalendar> calendars);

  const v1::RuleSetConfig& config() const;

  // The triggers: runs every trigger rule that reacts to `events` (what the
  // command just wrote, in order; a TICKET_CREATED among them makes them one
  // creation) against `context`. Errors: InvalidArgument when
  // context.ticket is null.
  absl::StatusOr<RuleOutcome> Run(const RuleContext& context,
                                  absl::Span<const v1::Event> events,
                                  const RuleRunOptions& options = {}) const;

  // The automations due at context.now that have not fired in their current
  // window (per `fired`), in order; their actions apply one after the other
  // as for triggers. Returns the firings to keep. Calling it again at the
  // same or a later time with the returned firings fires nothing new until a
  // window changes. Errors: InvalidArgument when context.ticket is null;
  // FailedPrecondition when business time cannot be computed (a calendar's
  // range).
  absl::StatusOr<RuleOutcome> RunAutomations(
      const RuleContext& context, const v1::RuleFirings& fired) const;

  // The earliest time at or after context.now at which an automation could
  // fire for this ticket as it is (its conditions that do not depend on time
  // holding now), or nullopt when none can without a change to the ticket.
  // The Desk indexes it as it does SLA deadlines and recomputes it after each
  // change. Errors: as RunAutomations.
  absl::StatusOr<std::optional<absl::Time>> NextDue(
      const RuleContext& context, const v1::RuleFirings& fired) const;

  // The dry run: for every rule in order, whether it would fire now on
  // `events` (triggers) or at context.now (automations) and why, or why not.
  // Errors: as Run.
  absl::StatusOr<std::vector<RuleExplanation>> Explain(
      const RuleContext& context, absl::Span<const v1::Event> events,
      const v1::RuleFirings& fired) const;

  struct Rep;  // Defined in src/rules/.

 private:
  explicit RuleSet(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

}  // namespace helpdesk

#endif  // HELPDESK_RULES_H_
