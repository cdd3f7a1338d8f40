// Issue 16, replay: reads a period of the desk's history and hands it to the
// pure derivation (helpdesk/sim_history.h).
#include <utility>

#include "desk/desk_impl.h"
#include "helpdesk/desk/reports.h"
#include "helpdesk/sim_history.h"

namespace helpdesk {

namespace {
constexpr int kPage = 10000;
}  // namespace

absl::StatusOr<v1::SimScenario> Reports::SimScenarioFromHistory(const v1::Actor& viewer,
                                                                HistorySpec spec) {
  spec.done_statuses.clear();
  for (const std::string& status : impl_->options().workflow.StatusNames()) {
    absl::StatusOr<v1::StatusCategory> c =
        impl_->options().workflow.CategoryOf("status", status);
    if (c.ok() && (*c == v1::STATUS_CATEGORY_SOLVED || *c == v1::STATUS_CATEGORY_CLOSED)) {
      spec.done_statuses.insert(status);
    }
  }
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::SimScenario> {
    HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kViewReports));
    if (!(spec.since < spec.until)) return DeriveSimScenario({}, spec);  // its error
    SimHistory history;
    for (int64_t after = 0;;) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> page,
                                tx.ListEventsBetween(spec.since, spec.until, after, kPage));
      const bool last = static_cast<int>(page.size()) < kPage;
      if (!page.empty()) after = page.back().id();
      for (v1::Event& e : page) {
        if (e.kind() == v1::Event::TICKET_CREATED) {
          absl::StatusOr<v1::Ticket> t = tx.GetTicket(e.ticket_id());
          if (t.ok()) {
            history.channels[e.ticket_id()] = t->channel();
          } else if (!absl::IsNotFound(t.status())) {
            return t.status();
          }
        }
        history.events.push_back(std::move(e));
      }
      if (last) break;
    }
    HELPDESK_ASSIGN_OR_RETURN(history.agents, tx.ListAgents());
    for (const v1::Agent& agent : history.agents) {
      for (int64_t after = 0;;) {
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::AgentEvent> page,
                                  tx.ListAgentEvents(agent.id(), after, kPage));
        const bool last = static_cast<int>(page.size()) < kPage;
        if (!page.empty()) after = page.back().id();
        for (v1::AgentEvent& e : page) history.agent_events.push_back(std::move(e));
        if (last) break;
      }
    }
    return DeriveSimScenario(history, spec);
  });
}

}  // namespace helpdesk
