// SLA clocks through the Desk: recomputing deadlines, Tick raising warnings and breaches.
#include "desk/desk_impl.h"

namespace helpdesk {


// A ticket's events for the SLA engine, in the order they were recorded.
// A host clock that steps back (or processes with skewed clocks) can stamp
// a later event with an earlier time; such a time is read as the time of the
// event before it, so the clocks stay defined and the ticket stays usable.
// `now` is lifted the same way.
absl::StatusOr<std::vector<v1::Event>> DeskCore::SlaEvents(Transaction& tx,
                                                             int64_t ticket_id,
                                                             absl::Time* now) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                            tx.ListTicketEvents(ticket_id, 0, 0));
  int64_t last = std::numeric_limits<int64_t>::min();
  for (v1::Event& e : events) {
    int64_t t = TimestampToMicros(e.time());
    if (t < last) {
      *e.mutable_time() = MicrosToTimestamp(last);
    } else {
      last = t;
    }
  }
  if (!events.empty() && *now < absl::FromUnixMicros(last)) {
    *now = absl::FromUnixMicros(last);
  }
  return events;
}

// With SLAs: evaluates `t`'s clocks from its stored events as of `now` and
// stores its next deadline when it changed. Returns the evaluation (nullopt
// without SLAs).
absl::StatusOr<std::optional<SlaStatus>> DeskCore::RefreshSla(Transaction& tx,
                                                                v1::Ticket* t,
                                                                absl::Time now) {
  if (!options_.sla) return std::optional<SlaStatus>();
  // A ticket this transaction created: its log as the tracker kept it (what
  // SlaEvents would read), unless an event's time went back (SlaEvents then
  // moves it forward on a copy).
  const desk_internal::EventTracker* tracker = desk_internal::EventTracker::Find(tx);
  const std::vector<v1::Event>* kept =
      tracker != nullptr ? tracker->NewTicketEvents(t->id()) : nullptr;
  if (kept != nullptr) {
    int64_t last = std::numeric_limits<int64_t>::min();
    for (const v1::Event& e : *kept) {
      const int64_t micros = TimestampToMicros(e.time());
      if (micros < last) {
        kept = nullptr;
        break;
      }
      last = micros;
    }
    if (kept != nullptr && !kept->empty() && now < absl::FromUnixMicros(last)) {
      now = absl::FromUnixMicros(last);
    }
  }
#ifndef NDEBUG
  // Debug builds (every test) check the kept log against the store's.
  if (kept != nullptr) {
    absl::Time at = now;
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> stored, SlaEvents(tx, t->id(), &at));
    bool same = stored.size() == kept->size() && at == now;
    for (size_t i = 0; same && i < stored.size(); ++i) {
      same = stored[i].SerializeAsString() == (*kept)[i].SerializeAsString();
    }
    if (!same) {
      return absl::InternalError(absl::StrCat(
          "RefreshSla: the events kept for new ticket ", t->id(), " differ from the stored"));
    }
  }
#endif
  std::vector<v1::Event> read;
  if (kept == nullptr) {
    HELPDESK_ASSIGN_OR_RETURN(read, SlaEvents(tx, t->id(), &now));
  }
  HELPDESK_ASSIGN_OR_RETURN(SlaStatus status,
                            options_.sla->Evaluate(*t, kept != nullptr ? *kept : read, now));
  std::optional<absl::Time> old;
  if (t->has_sla_next_deadline()) old = FromTimestamp(t->sla_next_deadline());
  // A deadline already passed means Tick still owes this ticket its warning
  // or breach: keep it, or a change between the deadline and the next Tick
  // (likely with several processes, where only the lease holder ticks)
  // would move it past and the event would never be written. Tick writes
  // what is due and moves the deadline on.
  if (old && *old <= now) return std::optional<SlaStatus>(std::move(status));
  if (old != status.next_deadline) {
    HELPDESK_RETURN_IF_ERROR(tx.SetTicketSlaDeadline(t->id(), status.next_deadline));
    if (status.next_deadline) {
      *t->mutable_sla_next_deadline() = ToTimestamp(*status.next_deadline);
    } else {
      t->clear_sla_next_deadline();
    }
  }
  return std::optional<SlaStatus>(std::move(status));
}

// Evaluates one ticket whose deadline has come: writes each warning and
// breach due by `now` once (stamped `now`, the time it was raised; the due
// time is in sla_due_at), and moves the deadline on.
absl::Status DeskCore::TickTicket(Transaction& tx, int64_t ticket_id, absl::Time now,
                                    TickReport* report) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
  absl::Time at = now;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                            DeskCore::SlaEvents(tx, ticket_id, &at));
  HELPDESK_ASSIGN_OR_RETURN(SlaStatus status, options_.sla->Evaluate(t, events, at));
  // `at` is `now`, or the ticket's last event when that is later (a Tick
  // whose transaction waited behind a change made by another process): what
  // is due by then is written now, since the next deadline is counted from
  // it, or an event due in between would be skipped.
  auto already = [&](v1::Event::Kind kind, const SlaMetricStatus& m) {
    for (const v1::Event& e : events) {
      if (e.kind() == kind && e.sla_metric() == m.metric && e.sla_cycle() == m.cycle) {
        return true;
      }
    }
    return false;
  };
  Access system;
  system.actor = SystemActor();
  for (const SlaMetricStatus& m : status.metrics) {
    bool warn_due = m.warn_at && *m.warn_at <= at &&
                    (!m.stopped_at || *m.stopped_at > *m.warn_at) &&
                    (!m.breached_at || *m.breached_at > *m.warn_at);
    if (warn_due && !already(v1::Event::SLA_WARNING, m)) {
      v1::Event e = SlaEvent(v1::Event::SLA_WARNING, status.policy, m);
      HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, system, at, t, &e));
      ++report->warnings;
    }
    if (m.breached_at && *m.breached_at <= at && !already(v1::Event::SLA_BREACHED, m)) {
      v1::Event e = SlaEvent(v1::Event::SLA_BREACHED, status.policy, m);
      HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, system, at, t, &e));
      ++report->breaches;
    }
  }
  ++report->tickets_evaluated;
  return tx.SetTicketSlaDeadline(ticket_id, status.next_deadline);
}

v1::Event DeskCore::SlaEvent(v1::Event::Kind kind, const std::string& policy,
                               const SlaMetricStatus& m) {
  v1::Event e;
  e.set_kind(kind);
  e.set_sla_metric(m.metric);
  e.set_sla_cycle(m.cycle);
  e.set_sla_policy(policy);
  if (m.due_at) *e.mutable_sla_due_at() = ToTimestamp(*m.due_at);
  e.set_note(absl::StrCat(SlaMetricName(m.metric), " cycle ", m.cycle,
                          kind == v1::Event::SLA_WARNING ? " nears" : " passed",
                          " its target of ", absl::FormatDuration(m.target)));
  return e;
}

absl::StatusOr<SlaStatus> SlaClocks::Status(const v1::Actor& viewer, int64_t ticket_id) {
  if (!impl_->options().sla) {
    return absl::FailedPreconditionError("the desk has no SLAs (DeskOptions::sla)");
  }
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<SlaStatus> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t,
                                  impl_->LoadTicket(tx, a, ticket_id, Action::kViewSla));
        absl::Time now = impl_->Now();
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                                  DeskCore::SlaEvents(tx, ticket_id, &now));
        return impl_->options().sla->Evaluate(t, events, now);
      });
}

absl::StatusOr<TickReport> Desk::Tick(absl::Time now) {
  TickReport report;
  // The desk lease (issue 17): only its holder does a Tick's work; one that
  // loses it midway (a write refused by the fencing check) stops there.
  HELPDESK_ASSIGN_OR_RETURN(DeskCore::LeaseView lease, impl_->RenewLease(now));
  report.lease_holder = lease.holder;
  if (!lease.held) {
    report.lease_held = false;
    return report;
  }
  if (lease.taken_over && impl_->routing_enabled()) {
    // A new holder rebuilds (as a routed command does): what the last holder
    // did since this process's mirror was built may be more than the store
    // holds now.
    absl::MutexLock lock(&impl_->routing_mu());
    impl_->MarkRoutingDirtyLocked();
  }
  absl::Status s = TickHeld(now, &report);
  if (DeskCore::IsLeaseLost(s)) {
    // Ask the store who holds it now (the refusal left this process due for
    // a renewal); the work stops here either way.
    report.lease_held = false;
    absl::StatusOr<DeskCore::LeaseView> now_held = impl_->RenewLease(impl_->Now());
    report.lease_holder = now_held.ok() ? now_held->holder : impl_->CurrentLease().holder;
    return report;
  }
  HELPDESK_RETURN_IF_ERROR(s);
  return report;
}

absl::Status Desk::TickHeld(absl::Time now, TickReport* out) {
  TickReport& report = *out;
  if (impl_->routing_enabled()) {
    absl::MutexLock lock(&impl_->routing_mu());
    // Other processes sharing the store wrote without routing: the holder
    // catches up from the store (issue 17).
    if (impl_->lease_shared()) HELPDESK_RETURN_IF_ERROR(impl_->CatchUpRoutingLocked(now));
    HELPDESK_RETURN_IF_ERROR(impl_->ExpireOffersLocked(now, &report));
    HELPDESK_RETURN_IF_ERROR(impl_->RouteLocked(now, nullptr, &report));
  }
  if (impl_->automation_enabled()) {  // automation (issue 14)
    HELPDESK_RETURN_IF_ERROR(impl_->TickAutomations(now, &report));
  }
  if (!impl_->options().sla) return absl::OkStatus();
  // Each pass takes the tickets due now, most overdue first. A ticket done
  // here gets a deadline after `now` (or none), so passes shrink to nothing;
  // the bound guards against a store that fails to move deadlines.
  constexpr int kPage = 200;
  for (int pass = 0; pass < 1000000; ++pass) {
    TicketQuery q;
    q.sla_deadline = TimeRange{absl::InfinitePast(), now + absl::Microseconds(1)};
    q.include_merged = true;
    q.sort = TicketSort::kSlaDeadlineAsc;
    q.limit = kPage;
    HELPDESK_ASSIGN_OR_RETURN(
        TicketPage page, impl_->Run(TransactionMode::kReadOnly,
                                    [&](Transaction& tx) { return tx.QueryTickets(q); }));
    if (page.tickets.empty()) return absl::OkStatus();
    for (const v1::Ticket& t : page.tickets) {
      absl::Status s = impl_
                           ->Run(TransactionMode::kReadWrite,
                                 [&](Transaction& tx) -> absl::StatusOr<bool> {
                                   HELPDESK_RETURN_IF_ERROR(impl_->FenceInTx(tx));
                                   HELPDESK_RETURN_IF_ERROR(
                                       impl_->TickTicket(tx, t.id(), now, &report));
                                   return true;
                                 })
                           .status();
      if (!s.ok()) return s;
    }
  }
  return absl::InternalError("Tick: SLA deadlines did not move past now");
}

absl::StatusOr<absl::Time> Desk::NextDue() {
  // The desk lease's renewal (issue 17): a Runner ticks then, so an idle
  // holder keeps the lease and a waiting process takes it once it ran out.
  absl::Time next = impl_->NextLeaseDue();
  if (impl_->routing_enabled()) {
    absl::MutexLock lock(&impl_->routing_mu());
    HELPDESK_RETURN_IF_ERROR(impl_->EnsureFreshLocked(impl_->Now()));
    internal::RoutingMirror& r = impl_->routing();
    next = std::min({next, r.policy().NextWakeup(), r.NextOfferExpiry()});
  }
  if (impl_->options().rules != nullptr) {
    // The earliest automation due (the store's due-time index, issue 14).
    HELPDESK_ASSIGN_OR_RETURN(
        std::optional<absl::Time> due,
        impl_->RunOnce(TransactionMode::kReadOnly,
                       [&](Transaction& tx) -> absl::StatusOr<std::optional<absl::Time>> {
                         HELPDESK_ASSIGN_OR_RETURN(
                             std::vector<int64_t> first,
                             tx.ListDueAutomations(absl::InfiniteFuture(), 1));
                         if (first.empty()) return std::optional<absl::Time>();
                         return tx.GetTicketAutomationDue(first.front());
                       }));
    if (due) next = std::min(next, *due);
  }
  if (!impl_->options().sla) return next;
  TicketQuery q;
  q.sla_deadline = TimeRange{};
  q.include_merged = true;
  q.sort = TicketSort::kSlaDeadlineAsc;
  q.limit = 1;
  HELPDESK_ASSIGN_OR_RETURN(
      TicketPage page, impl_->RunOnce(TransactionMode::kReadOnly,
                                      [&](Transaction& tx) { return tx.QueryTickets(q); }));
  if (!page.tickets.empty() && page.tickets.front().has_sla_next_deadline()) {
    next = std::min(next, FromTimestamp(page.tickets.front().sla_next_deadline()));
  }
  return next;
}

absl::StatusOr<int64_t> SlaClocks::RefreshDeadlines() {
  int64_t visited = 0;
  TicketQuery q;
  q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                         v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD,
                         v1::STATUS_CATEGORY_SOLVED};
  q.sort = TicketSort::kIdAsc;
  q.limit = 500;
  absl::Time now = impl_->Now();
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(
        TicketPage page,
        impl_->Run(TransactionMode::kReadWrite,
                   [&](Transaction& tx) -> absl::StatusOr<TicketPage> {
                     HELPDESK_ASSIGN_OR_RETURN(TicketPage p, tx.QueryTickets(q));
                     for (v1::Ticket& t : p.tickets) {
                       HELPDESK_RETURN_IF_ERROR(impl_->RefreshSla(tx, &t, now).status());
                     }
                     return p;
                   }));
    visited += static_cast<int64_t>(page.tickets.size());
    if (page.next_cursor.empty()) return visited;
    q.cursor = page.next_cursor;
  }
}

}  // namespace helpdesk
