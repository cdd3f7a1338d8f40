// Time-based automations: each automation's window (the time its `since`
// names), when it is due (calendar or business hours), firing once per window,
// the ticket's next due time for the Desk's index, and the dry run.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "internal/text_checks.h"
#include "rules/rules_internal.h"

namespace helpdesk {
namespace rules_internal {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

bool HasFired(const v1::RuleFirings& fired, absl::string_view rule,
              absl::Time start) {
  const google::protobuf::Timestamp ts = ToTimestamp(start);
  for (const v1::RuleFiring& f : fired.firings()) {
    if (f.rule() == rule && f.window_start().seconds() == ts.seconds() &&
        f.window_start().nanos() == ts.nanos()) {
      return true;
    }
  }
  return false;
}

// The first instant at or after `t` at which `calendar` is closed, or nullopt
// within a year (a calendar open around the clock). Exact to the second.
std::optional<absl::Time> NextClosed(const BusinessCalendar& calendar,
                                     absl::Time t) {
  if (!calendar.IsOpen(t)) return t;
  auto open_throughout = [&](int64_t seconds) {
    absl::StatusOr<absl::Duration> d =
        calendar.BusinessDuration(t, t + absl::Seconds(seconds));
    return d.ok() && *d == absl::Seconds(seconds);
  };
  int64_t lo = 0, hi = 3600;
  while (open_throughout(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > int64_t{400} * 86400) return std::nullopt;
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (open_throughout(mid) ? lo : hi) = mid;
  }
  return t + absl::Seconds(lo);
}

}  // namespace

std::optional<absl::Time> WindowStart(const CompiledRule& r,
                                      const v1::Ticket& t,
                                      const TicketTimeline& timeline,
                                      const RuleSet::Rep&) {
  auto stamp = [](const google::protobuf::Timestamp& ts,
                  bool has) -> std::optional<absl::Time> {
    if (!has) return std::nullopt;
    return FromTimestamp(ts);
  };
  const std::optional<absl::Time> created =
      stamp(t.created_at(), t.has_created_at());
  const std::optional<absl::Time> status_changed =
      timeline.status_changed_at.has_value() ? timeline.status_changed_at
                                             : created;
  switch (r.since) {
    case v1::RuleAutomation::CREATED:
      return created;
    case v1::RuleAutomation::UPDATED:
      return stamp(t.updated_at(), t.has_updated_at());
    case v1::RuleAutomation::STATUS_CHANGED:
      return status_changed;
    case v1::RuleAutomation::PENDING:
      if (t.status_category() != v1::STATUS_CATEGORY_PENDING)
        return std::nullopt;
      return status_changed;
    case v1::RuleAutomation::SOLVED:
      if (t.status_category() != v1::STATUS_CATEGORY_SOLVED)
        return std::nullopt;
      return t.has_solved_at() ? stamp(t.solved_at(), true) : status_changed;
    case v1::RuleAutomation::LAST_CUSTOMER_MESSAGE:
      return timeline.last_customer_message_at;
    case v1::RuleAutomation::LAST_AGENT_REPLY:
      return timeline.last_agent_reply_at;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<absl::Time> DueAt(const CompiledRule& r, absl::Time start,
                                 const RuleSet::Rep& rep) {
  if (r.calendar < 0) return start + r.after;
  absl::StatusOr<absl::Time> due =
      rep.calendars[r.calendar].AddBusinessDuration(start, r.after);
  if (!due.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("rule ", internal::Quote(r.name),
                     ": business time: ", due.status().message()));
  }
  return due;
}

namespace {

// One automation at `now` on the snapshot: nullopt when it fires, else why
// not.
absl::StatusOr<std::optional<std::string>> WhyNot(
    const CompiledRule& r, const Snapshot& snap, const TicketTimeline& timeline,
    const v1::RuleFirings& fired, const RuleSet::Rep& rep,
    std::optional<absl::Time>* window) {
  *window = WindowStart(r, *snap.ticket, timeline, rep);
  if (!window->has_value()) {
    return std::optional<std::string>(
        absl::StrCat("no window: ", v1::RuleAutomation::Since_Name(r.since),
                     " does not apply to the ticket now"));
  }
  if (HasFired(fired, r.name, **window)) {
    return std::optional<std::string>(
        absl::StrCat("fired already in the window from ", Rfc3339(**window)));
  }
  HELPDESK_ASSIGN_OR_RETURN(absl::Time due, DueAt(r, **window, rep));
  if (snap.now < due) {
    return std::optional<std::string>(absl::StrCat(
        "due at ", Rfc3339(due), " (window from ", Rfc3339(**window), ")"));
  }
  std::string why;
  if (!ConditionsHold(r, snap, rep, &why))
    return std::optional<std::string>(std::move(why));
  return std::optional<std::string>();
}

// The automations' run; `reasons` as for RunTriggers.
absl::StatusOr<RuleOutcome> RunDue(const RuleSet::Rep& rep,
                                   const RuleContext& context,
                                   const v1::RuleFirings& fired,
                                   std::vector<std::string>* reasons) {
  RuleOutcome out;
  out.ticket = *context.ticket;
  TicketTimeline timeline = context.timeline;
  Snapshot snap{&context, &out.ticket, context.now};
  std::vector<Happening> happened;
  v1::RuleFirings memory = fired;
  for (int i : rep.automations) {
    const CompiledRule& r = rep.rules[i];
    if (out.stopped) {
      if (reasons != nullptr) {
        (*reasons)[i] =
            absl::StrCat("processing stopped by rule ", out.fired_rules.back());
      }
      continue;
    }
    std::optional<absl::Time> window;
    HELPDESK_ASSIGN_OR_RETURN(std::optional<std::string> why,
                              WhyNot(r, snap, timeline, memory, rep, &window));
    if (why.has_value()) {
      if (reasons != nullptr) (*reasons)[i] = std::move(*why);
      continue;
    }
    if (reasons != nullptr)
      (*reasons)[i] =
          absl::StrCat("fires (window from ", Rfc3339(*window), ")");
    out.fired_rules.push_back(r.name);
    v1::RuleFiring* f = memory.add_firings();
    f->set_rule(r.name);
    *f->mutable_window_start() = ToTimestamp(*window);
    for (const v1::RuleAction* a : r.actions) {
      out.actions.push_back(FiredAction{r.name, a});
      if (a->has_stop_processing()) {
        out.stopped = true;
        break;
      }
      ApplyAction(*a, rep, context.now, i, &out.ticket, &timeline, &happened);
    }
    snap.tag_hashes_valid = false;
  }
  // Keep the firings whose window is still the automation's window.
  for (const v1::RuleFiring& f : memory.firings()) {
    for (int i : rep.automations) {
      const CompiledRule& r = rep.rules[i];
      if (r.name != f.rule()) continue;
      std::optional<absl::Time> window =
          WindowStart(r, out.ticket, timeline, rep);
      if (window.has_value() && ToTimestamp(*window).SerializeAsString() ==
                                    f.window_start().SerializeAsString()) {
        *out.firings.add_firings() = f;
      }
    }
  }
  return out;
}

}  // namespace
}  // namespace rules_internal

TicketTimeline TimelineFromEvents(absl::Span<const v1::Event> events) {
  TicketTimeline timeline;
  for (const v1::Event& e : events) {
    const absl::Time t = FromTimestamp(e.time());
    if (e.kind() == v1::Event::MESSAGE_ADDED) {
      if (e.message_kind() == v1::Message::CUSTOMER_MESSAGE)
        timeline.last_customer_message_at = t;
      if (e.message_kind() == v1::Message::PUBLIC_REPLY)
        timeline.last_agent_reply_at = t;
    }
    for (const v1::FieldChange& c : e.changes()) {
      if (c.field() == v1::FieldChange::STATUS) timeline.status_changed_at = t;
    }
  }
  return timeline;
}

absl::StatusOr<RuleOutcome> RuleSet::RunAutomations(
    const RuleContext& context, const v1::RuleFirings& fired) const {
  if (context.ticket == nullptr)
    return absl::InvalidArgumentError("context.ticket: null");
  return rules_internal::RunDue(*rep_, context, fired, nullptr);
}

absl::StatusOr<std::optional<absl::Time>> RuleSet::NextDue(
    const RuleContext& context, const v1::RuleFirings& fired) const {
  using rules_internal::CompiledRule;
  if (context.ticket == nullptr)
    return absl::InvalidArgumentError("context.ticket: null");
  std::optional<absl::Time> next;
  for (int i : rep_->automations) {
    const CompiledRule& r = rep_->rules[i];
    const std::optional<absl::Time> window = rules_internal::WindowStart(
        r, *context.ticket, context.timeline, *rep_);
    if (!window.has_value() || rules_internal::HasFired(fired, r.name, *window))
      continue;
    HELPDESK_ASSIGN_OR_RETURN(absl::Time due,
                              rules_internal::DueAt(r, *window, *rep_));
    absl::Time t = std::max(due, context.now);
    if (next.has_value() && t >= *next) continue;
    // Conditions that do not depend on time change only with the ticket; the
    // time conditions change when their calendars open or close.
    std::optional<absl::Time> fires_at;
    for (int step = 0; step < 64; ++step) {
      rules_internal::Snapshot snap{&context, context.ticket, t};
      if (rules_internal::ConditionsHold(r, snap, *rep_, nullptr)) {
        fires_at = t;
        break;
      }
      if (r.time_calendars.empty()) break;
      std::optional<absl::Time> change;
      for (int c : r.time_calendars) {
        const BusinessCalendar& calendar = rep_->calendars[c];
        std::optional<absl::Time> at;
        if (calendar.IsOpen(t)) {
          at = rules_internal::NextClosed(calendar, t);
        } else if (absl::StatusOr<absl::Time> open = calendar.NextOpen(t);
                   open.ok()) {
          at = *open;
        }
        if (at.has_value() && *at > t && (!change || *at < *change))
          change = at;
      }
      if (!change.has_value()) break;
      t = *change;
      // Past 64 changes, the Desk looks again then.
      if (step == 63) fires_at = t;
    }
    if (fires_at.has_value() && (!next.has_value() || *fires_at < *next))
      next = fires_at;
  }
  return next;
}

absl::StatusOr<std::vector<RuleExplanation>> RuleSet::Explain(
    const RuleContext& context, absl::Span<const v1::Event> events,
    const v1::RuleFirings& fired) const {
  if (context.ticket == nullptr)
    return absl::InvalidArgumentError("context.ticket: null");
  std::vector<std::string> reasons(rep_->rules.size());
  rules_internal::RunTriggers(*rep_, context, events, false, &reasons);
  HELPDESK_RETURN_IF_ERROR(
      rules_internal::RunDue(*rep_, context, fired, &reasons).status());
  std::vector<RuleExplanation> out;
  for (size_t i = 0; i < rep_->rules.size(); ++i) {
    const rules_internal::CompiledRule& r = rep_->rules[i];
    RuleExplanation e;
    e.rule = r.name;
    if (r.disabled) {
      e.reason = "disabled";
    } else if (reasons[i].empty()) {
      e.reason = "no event it reacts to";
    } else {
      e.reason = reasons[i];
      e.would_fire = absl::StartsWith(e.reason, "fires");
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace helpdesk
