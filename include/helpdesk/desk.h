// Desk: the facade a host application calls.
//
// A Desk composes a Store and a Clock into help desk commands. Every command
// runs as one store transaction: it loads what it needs, checks permissions
// and input, changes state, and writes the state together with its audit
// events, so a change without its event (or the reverse) is never stored.
//
//   std::unique_ptr<helpdesk::Store> store = helpdesk::NewMemoryStore();
//   helpdesk::ManualClock clock(absl::Now());
//   auto desk = helpdesk::Desk::Open({.store = store.get(), .clock = &clock});
//   v1::Actor system = helpdesk::SystemActor();
//   auto ada = (*desk)->people().CreateContact(system, {.name = "Ada",
//                                             .emails = {"ada@example.com"}});
//   auto ticket = (*desk)->tickets().Create(
//       helpdesk::ContactActor(ada->id()),
//       {.subject = "VPN drops every hour", .description = "Since Monday..."});
//
// Who may do what. Every call takes the acting (or viewing) party as a
// v1::Actor; every command and query asks the access component
// (helpdesk/access.h, whose table is in docs/access.md):
//   SYSTEM: everything.
//   INTEGRATION: works every ticket and manages contacts and organizations;
//     not an admin (does not manage agents or groups, block contacts, replay
//     the outbox or act for an agent).
//   AGENT with role ADMIN: everything, including managing agents and groups.
//   AGENT with role AGENT: reads and changes the tickets its ticket_access
//     lets it see; creates contacts and organizations; reads the outbox and
//     the quarantine only when it sees every ticket.
//   AGENT with role LIGHT_AGENT: reads those tickets; adds internal notes only.
//   CONTACT (a customer): creates tickets for itself; reads and replies to the
//     tickets it requested or is copied on (CC); never sees internal notes or
//     the audit log; reads its own record only. A blocked contact reads but
//     writes nothing.
//   A deactivated or unknown agent, or an unknown contact, may do nothing.
//   Whoever holds a ticket's tracking-link token (tracking().Track, no actor)
//     views that ticket's subject, status and public thread, nothing else.
// A reader who may not see a ticket gets NotFound, exactly as for a missing
// ticket, so ticket ids of other customers are not revealed. An action that
// the actor's role forbids on a ticket it can see gets PermissionDenied.
//
// Error codes (each message names the field and the offending value):
//   InvalidArgument: malformed input (empty subject, invalid UTF-8, a field
//     over its limit, an unknown status name, an out-of-range enum value).
//   NotFound: a referenced ticket, contact, agent, group or organization does
//     not exist (or is not visible to the reader).
//   PermissionDenied: the actor may not do this.
//   FailedPrecondition: the ticket's state forbids it (merged, closed).
//   AlreadyExists: a contact identity, agent email or group name is taken.
//   Aborted: a stale expected_version; re-read the ticket and retry.
//   Unavailable, DataLoss, Internal: from the store (see store.h).
// A failed command changes nothing.
#ifndef HELPDESK_DESK_H_
#define HELPDESK_DESK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "helpdesk/desk/inbox.h"
#include "helpdesk/desk/kb.h"
#include "helpdesk/desk/outbox.h"
#include "helpdesk/desk/people.h"
#include "helpdesk/desk/reports.h"
#include "helpdesk/desk/routing.h"
#include "helpdesk/desk/sla.h"
#include "helpdesk/desk/automation.h"  // automation (issue 14)
#include "helpdesk/desk/tickets.h"
// Tracking links (issue 15).
#include "helpdesk/desk/tracking.h"
#include "helpdesk/desk/views.h"  // issue 16
#include "helpdesk/desk/privacy.h"  // issue 16: personal data
#include "helpdesk/desk_options.h"
#include "helpdesk/export.h"

namespace helpdesk {


// What one Desk::Tick did.
struct TickReport {
  // Tickets whose SLA deadline had come and that were evaluated.
  int tickets_evaluated = 0;
  int warnings = 0;
  int breaches = 0;
  // Routing: tickets placed, and offers that ran out.
  int routed = 0;
  int offers_expired = 0;
  // Automation (issue 14): tickets whose automation due time had come and
  // that were evaluated, and the rules that fired on them.
  int automations_evaluated = 0;
  int automations_fired = 0;
  // The desk lease (DeskOptions::lease, issue 17): false when another
  // process holds it, or this one lost it during the Tick (its protected
  // writes were then refused); the work was skipped, and `lease_holder`
  // names the holder as last seen (empty when unknown).
  bool lease_held = true;
  std::string lease_holder;
};

// The facade. Create with Desk::Open.
//
// Thread safety: thread-safe when the store is (all built-in stores are).
// Each command is one transaction; the only state a Desk keeps of its own is
// its routing policy (with DeskOptions::routing), behind a mutex. On a desk
// that routes, the work a command makes placeable is placed in that same
// transaction, and its read-write commands run one at a time.
class HELPDESK_EXPORT Desk {
 public:
  // Checks the options and returns a desk. Errors: InvalidArgument naming the
  // missing store or clock.
  static absl::StatusOr<std::unique_ptr<Desk>> Open(DeskOptions options);

  ~Desk();
  Desk& operator=(const Desk&) = delete;

  const DeskOptions& options() const;

  // The parts of the desk, each in its own header (helpdesk/desk/*.h).
  Tickets& tickets() { return tickets_; }
  People& people() { return people_; }
  Inbox& inbox() { return inbox_; }
  Outbox& outbox() { return outbox_; }
  Routing& routing() { return routing_; }
  SlaClocks& sla() { return sla_; }
  // Tracking links (issue 15): a customer follows one ticket by its token.
  TrackingLinks& tracking() { return tracking_; }
  // Saved views and their counts (issue 16).
  Views& views() { return views_; }
  Reports& reports() { return reports_; }
  KnowledgeBase& kb() { return kb_; }
  Automation& automation() { return automation_; }  // issue 14
  // Personal data: export, erase, retention (issue 16).
  Privacy& privacy() { return privacy_; }


  // Does the time-based work due by `now`. Routing (first): offers that ran
  // out count as declined (OFFER_DECLINED, the ticket queued again), and the
  // policy places what it can now (its relaxation and escalation steps).
  // SLAs: raises the SLA warnings and breaches due by `now`: every ticket whose
  // next SLA deadline is at or before `now` is evaluated, each warning and
  // breach of a cycle is written as an SLA_WARNING / SLA_BREACHED event
  // exactly once (a second Tick at the same time writes nothing), and the
  // ticket's next deadline moves on. Cost grows with the number of tickets
  // due, not with the number of tickets. Each ticket is its own transaction,
  // so a failure leaves the tickets before it done. A desk without SLAs does
  // nothing. With DeskOptions::lease (issue 17), Tick first takes or renews
  // the desk lease; a process that does not hold it does nothing and says so
  // (TickReport::lease_held false, lease_holder), as does one whose lease was
  // taken over during the Tick (its next write was refused by the fencing
  // check, the work done before it stands). Errors: from the store.
  absl::StatusOr<TickReport> Tick(absl::Time now);

  // When Tick next has work: the earliest of the tickets' next SLA deadlines,
  // the next automation due (with DeskOptions::rules) and the routing
  // policy's next wakeup (an offer running out, a relaxation
  // or escalation step) and, with DeskOptions::lease, when the lease is next
  // renewed (by its holder) or runs out (for the others, who may then take
  // it), so an idle runner keeps it. InfiniteFuture when nothing is scheduled; a time at
  // or before the clock's now means Tick has work now. The runner
  // (helpdesk/runner.h) sleeps until it. Errors: from the store.
  absl::StatusOr<absl::Time> NextDue();

 private:
  explicit Desk(std::unique_ptr<DeskCore> impl);
  // Tick's work once the lease is held (issue 17).
  absl::Status TickHeld(absl::Time now, TickReport* report);
  std::unique_ptr<DeskCore> impl_;
  Tickets tickets_;
  People people_;
  Inbox inbox_;
  Outbox outbox_;
  Routing routing_;
  SlaClocks sla_;
  // Tracking links (issue 15).
  TrackingLinks tracking_;
  Views views_;  // issue 16
  Reports reports_;
  KnowledgeBase kb_;
  Automation automation_;  // issue 14
  Privacy privacy_;  // issue 16: personal data
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_H_
