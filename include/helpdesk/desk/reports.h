// Reports through the desk: a report (helpdesk/reports.h) over the desk's
// audit log for a period, with the desk's workflow and SLA policies.
//
//   ReportSpec spec;
//   spec.from = month_start; spec.to = month_end;
//   spec.group_by = *ParseReportGrouping("group");
//   ReportCalendars calendars;
//   calendars.calendar = *BusinessCalendar::Create(office_hours);
//   spec.business_time = true;
//   absl::StatusOr<Report> r = desk->reports().Compute(manager, spec, calendars);
//
// Returned by Desk::reports(); desk.h says who may do what and the error codes
// every call shares. Thread safety: as the Desk (thread-safe when the store is);
// owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_REPORTS_H_
#define HELPDESK_DESK_REPORTS_H_

#include <cstdint>
#include <map>
#include <optional>

#include "absl/status/statusor.h"
#include "helpdesk/calendar.h"
#include "helpdesk/export.h"
#include "helpdesk/reports.h"
#include "helpdesk/sim_history.h"
#include "helpdesk/v1/common.pb.h"

namespace helpdesk {

class DeskCore;

// The calendars business time is counted on (see ReportConfig).
struct ReportCalendars {
  std::optional<BusinessCalendar> calendar;
  std::map<int64_t, BusinessCalendar> group_calendars;
};

class HELPDESK_EXPORT Reports {
 public:
  Reports(const Reports&) = delete;
  Reports& operator=(const Reports&) = delete;

  // Computes `spec` over the desk's audit log in one read-only transaction:
  // the tickets with events at or after spec.from and those not solved or
  // closed now (which were open throughout), each with its whole log and its
  // current state. A ticket's event stamped earlier than the one before it
  // (a host clock that stepped back) is read at the earlier event's time, as
  // the SLA clocks do. The SLA figures use DeskOptions::sla (none without).
  // How it reads: with Transaction::VisitEncodedEventsBetween, one scan of
  // the log from the period's first event, decoded on the machine's cores
  // (ReportReader); the current states of the tickets created in the
  // period from Transaction::VisitEncodedTickets over their id range,
  // decoded on the same cores; the open tickets by the workflow's open
  // status names (QueryTickets); each older ticket's log apart
  // (ListTicketEvents). Stores without the encoded event read are read
  // ticket by ticket (the same figures, slower).
  // Errors: PermissionDenied unless the viewer sees every ticket
  // (Action::kViewReports); InvalidArgument from ValidateReportSpec (a
  // period that ends before it starts, business time without a calendar ...)
  // or for a group calendar keyed by an id <= 0; FailedPrecondition when
  // business time leaves the calendar's range; Unimplemented when the store
  // cannot list events by time (Transaction::ListEventsBetween); the store's
  // errors.
  absl::StatusOr<Report> Compute(const v1::Actor& viewer, const ReportSpec& spec,
                                 const ReportCalendars& calendars = {});

  // Issue 16, replay: the scenario of the desk's history in [spec.since,
  // spec.until) (helpdesk/sim_history.h), read in one read-only
  // transaction: the events of that period, every agent with their presence
  // changes, and the channel of each ticket. spec.done_statuses is replaced
  // by the workflow's solved and closed statuses. Run it with
  // RunSimulation(). Errors: PermissionDenied unless the viewer sees every
  // ticket (Action::kViewReports); DeriveSimScenario's errors; Unimplemented
  // when the store cannot list events by time; the store's errors.
  absl::StatusOr<v1::SimScenario> SimScenarioFromHistory(const v1::Actor& viewer,
                                                         HistorySpec spec);

 private:
  friend class Desk;
  explicit Reports(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_REPORTS_H_
