// The smallest host: opens a desk on a private in-memory SQLite database,
// opens a ticket for a customer, answers it and prints the thread.
#include <iostream>

#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/sqlite_store.h"

int main() {
  auto store = helpdesk::OpenSqliteStore(":memory:");
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  helpdesk::RealClock clock;
  auto desk = helpdesk::Desk::Open({.store = store->get(), .clock = &clock});
  if (!desk.ok()) {
    std::cerr << desk.status() << "\n";
    return 1;
  }
  helpdesk::Desk& d = **desk;
  auto agent = d.people().CreateAgent(helpdesk::SystemActor(),
                             {.name = "Sam", .email = "sam@host.example"});
  auto customer = d.people().CreateContact(helpdesk::SystemActor(),
                                  {.name = "Kim", .emails = {"kim@example.com"}});
  if (!agent.ok() || !customer.ok()) {
    std::cerr << agent.status() << " " << customer.status() << "\n";
    return 1;
  }
  auto ticket = d.tickets().Create(helpdesk::ContactActor(customer->id()),
                               {.subject = "Password reset link expired",
                                .description = "The link in the mail says expired."});
  if (!ticket.ok()) {
    std::cerr << ticket.status() << "\n";
    return 1;
  }
  auto reply = d.tickets().AddMessage(helpdesk::AgentActor(agent->id()), ticket->id(),
                            {.body_text = "Sent you a fresh link."});
  auto view = d.tickets().View(helpdesk::ContactActor(customer->id()), ticket->id());
  if (!reply.ok() || !view.ok()) {
    std::cerr << reply.status() << " " << view.status() << "\n";
    return 1;
  }
  std::cout << "#" << view->ticket.id() << " " << view->ticket.subject() << " ("
            << view->messages.size() << " messages)\n";
  for (const auto& m : view->messages) std::cout << "  " << m.body_text() << "\n";
  return view->messages.size() == 2 ? 0 : 1;
}
