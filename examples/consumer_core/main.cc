// A host that links only helpdesk::core: opens a desk with a one-hour first
// reply target on the in-memory store, opens a ticket for a customer, lets 90
// minutes pass and reads the ticket's SLA clocks. Prints
//   #1 Printer on fire: first_reply breached
// and exits 0 when that is what the desk says.
#include <iostream>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/workflow.h"

namespace {
constexpr char kSla[] = R"pb(
  policies {
    name: "standard"
    targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 3600 } }
  }
)pb";
}  // namespace

int main() {
  std::unique_ptr<helpdesk::Store> store = helpdesk::NewMemoryStore();
  helpdesk::ManualClock clock(
      absl::FromCivil(absl::CivilMinute(2026, 1, 5, 9, 0), absl::UTCTimeZone()));
  helpdesk::Workflow workflow = helpdesk::Workflow::Default();
  auto sla = helpdesk::SlaEngine::FromText(kSla, workflow);
  if (!sla.ok()) {
    std::cerr << sla.status() << "\n";
    return 1;
  }
  auto desk = helpdesk::Desk::Open(
      {.store = store.get(), .clock = &clock, .workflow = workflow, .sla = *sla});
  if (!desk.ok()) {
    std::cerr << desk.status() << "\n";
    return 1;
  }
  helpdesk::Desk& d = **desk;
  auto customer = d.people().CreateContact(helpdesk::SystemActor(),
                                           {.name = "Kim", .emails = {"kim@example.com"}});
  if (!customer.ok()) {
    std::cerr << customer.status() << "\n";
    return 1;
  }
  auto ticket = d.tickets().Create(helpdesk::ContactActor(customer->id()),
                                   {.subject = "Printer on fire",
                                    .description = "Smoke from tray 2."});
  if (!ticket.ok()) {
    std::cerr << ticket.status() << "\n";
    return 1;
  }
  clock.Advance(absl::Minutes(90));
  auto status = d.sla().Status(helpdesk::SystemActor(), ticket->id());
  if (!status.ok()) {
    std::cerr << status.status() << "\n";
    return 1;
  }
  bool breached = false;
  for (const helpdesk::SlaMetricStatus& m : status->metrics) {
    std::cout << "#" << ticket->id() << " " << ticket->subject() << ": "
              << helpdesk::SlaMetricName(m.metric) << " "
              << helpdesk::SlaStateName(m.state) << "\n";
    breached |= m.metric == helpdesk::v1::SLA_METRIC_FIRST_REPLY &&
                m.state == helpdesk::SlaState::kBreached;
  }
  return breached ? 0 : 1;
}
