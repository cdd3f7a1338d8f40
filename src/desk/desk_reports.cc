// Reports through the Desk: reads the tickets a period's report needs and
// hands their logs to the pure report component (helpdesk/reports.h).
#include <algorithm>
#include <set>

#include "desk/desk_impl.h"
#include "helpdesk/desk/reports.h"
#include "helpdesk/reports.h"

namespace helpdesk {

namespace {
constexpr int kEventsPage = 10000;
}  // namespace

absl::StatusOr<Report> Reports::Compute(const v1::Actor& viewer, const ReportSpec& spec,
                                        const ReportCalendars& calendars) {
  ReportConfig config;
  config.workflow = impl_->options().workflow;
  config.sla = impl_->options().sla;
  config.calendar = calendars.calendar;
  config.group_calendars = calendars.group_calendars;
  return impl_->Run(TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<Report> {
    HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kViewReports));
    HELPDESK_RETURN_IF_ERROR(ValidateReportSpec(spec, config));
    HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator acc, ReportAccumulator::Create(config));
    // The tickets the period can see: those with events from its start on,
    // and those open now (unchanged since, so open throughout).
    // The store's narrow read when it has one (no copy of each event), else
    // the events page by page.
    std::set<int64_t> tickets;
    bool visit = true;
    for (int64_t after = 0;;) {
      if (visit) {
        absl::StatusOr<int> n = tx.VisitEventsBetween(
            spec.from, absl::InfiniteFuture(), after, kEventsPage,
            [&](const v1::Event& e) {
              tickets.insert(e.ticket_id());
              after = e.id();
              return absl::OkStatus();
            });
        if (absl::IsUnimplemented(n.status())) {
          visit = false;
          continue;
        }
        HELPDESK_RETURN_IF_ERROR(n.status());
        if (*n < kEventsPage) break;
        continue;
      }
      HELPDESK_ASSIGN_OR_RETURN(
          std::vector<v1::Event> page,
          tx.ListEventsBetween(spec.from, absl::InfiniteFuture(), after, kEventsPage));
      for (const v1::Event& e : page) tickets.insert(e.ticket_id());
      if (static_cast<int>(page.size()) < kEventsPage) break;
      after = page.back().id();
    }
    TicketQuery open;
    open.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                              v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD};
    open.created.to = spec.to;
    open.limit = kMaxQueryLimit;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx.QueryTickets(open));
      for (const v1::Ticket& t : page.tickets) tickets.insert(t.id());
      if (page.next_cursor.empty()) break;
      open.cursor = page.next_cursor;
    }
    for (int64_t id : tickets) {
      absl::Time now = spec.to;
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                                DeskCore::SlaEvents(tx, id, &now));
      for (const v1::Event& e : events) HELPDESK_RETURN_IF_ERROR(acc.Add(e));
      absl::StatusOr<v1::Ticket> t = tx.GetTicket(id);
      if (t.ok()) {
        acc.AddTicket(*t);
      } else if (!absl::IsNotFound(t.status())) {
        return t.status();
      }
    }
    return acc.Compute(spec);
  });
}

}  // namespace helpdesk
