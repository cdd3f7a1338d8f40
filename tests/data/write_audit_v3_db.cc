// The program that wrote audit_v3.db and audit_v3_history.txt (see README.md):
// a desk on SQLite (schema version 3) with SLAs and routing with offers, whose
// commands leave every kind of field change the desk recorded as text before
// the audit log was typed. It is kept as a record of how the fixture was made
// and is not built: it used the FieldChange strings (field/before/after) that
// schema version 4 replaced.
//
// Built by hand against the library of that commit:
//   write_audit_v3_db OUT.db > audit_v3_history.txt
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

constexpr char kSla[] = R"pb(
  policies {
    name: "standard"
    targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 3600 } warn_before { seconds: 600 } }
    targets { metric: SLA_METRIC_FULL_RESOLUTION target { seconds: 86400 } }
    pause_statuses: [ "pending", "on_hold" ]
  }
)pb";

absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

#define CHECK_OK(expr)                                              \
  do {                                                              \
    absl::Status _s = ::helpdesk::StatusOf(expr);                   \
    if (!_s.ok()) {                                                 \
      std::cerr << #expr << ": " << _s << "\n";                     \
      std::exit(1);                                                 \
    }                                                               \
  } while (0)

template <typename T>
T Must(absl::StatusOr<T> v) {
  if (!v.ok()) {
    std::cerr << v.status() << "\n";
    std::exit(1);
  }
  return *std::move(v);
}

// One line per event, then one per change: "  field [before] -> [after]".
void Dump(const std::string& what, int64_t id, int64_t version, int kind,
          const std::string& kind_name, const v1::Actor& actor,
          const google::protobuf::Timestamp& time, const std::string& note,
          const google::protobuf::RepeatedPtrField<v1::FieldChange>& changes) {
  std::cout << what << " " << id << " " << kind_name << "(" << kind << ") actor "
            << actor.kind() << ":" << actor.id() << " at " << time.seconds() << " v"
            << version << " note [" << note << "]\n";
  for (const v1::FieldChange& c : changes) {
    std::cout << "  " << c.field() << " [" << c.before() << "] -> [" << c.after() << "]\n";
  }
}

int Main(const char* path) {
  ManualClock clock(absl::FromUnixSeconds(1767261600));  // 2026-01-01 10:00 UTC
  std::unique_ptr<Store> store = Must(OpenSqliteStore(path));
  SlaEngine sla = Must(SlaEngine::FromText(kSla, Workflow::Default()));
  RoutingOptions routing;
  routing.offer_timeout = absl::Minutes(5);
  std::unique_ptr<Desk> desk = Must(Desk::Open(
      {.store = store.get(), .clock = &clock, .sla = sla, .routing = routing}));
  const v1::Actor sys = SystemActor();
  People& people = desk->people();
  Tickets& tickets = desk->tickets();

  v1::Group support = Must(people.CreateGroup(sys, "Support"));
  v1::Group billing = Must(people.CreateGroup(sys, "Billing"));
  v1::Organization acme = Must(people.CreateOrganization(sys, "Acme", {"acme.example"}));
  v1::Skill spanish;
  spanish.set_name("spanish");
  spanish.set_level(4);
  v1::ChannelCapacity cap;
  cap.set_channel(v1::CHANNEL_EMAIL);
  cap.set_max_items(2);
  v1::Agent ana = Must(people.CreateAgent(
      sys, {.name = "Ana", .email = "ana@desk.example", .group_ids = {support.id()},
            .skills = {spanish}, .capacity = {cap}}));
  v1::Agent bo = Must(people.CreateAgent(
      sys, {.name = "Bo", .email = "bo@desk.example", .group_ids = {support.id()},
            .capacity = {cap}}));
  v1::Agent cy = Must(people.CreateAgent(
      sys, {.name = "Cy", .email = "cy@desk.example", .role = v1::Agent::ADMIN,
            .group_ids = {billing.id()}}));
  // Agent field changes of every kind.
  v1::Skill french;
  french.set_name("french");
  french.set_level(7);
  cap.set_max_items(3);
  CHECK_OK(people.UpdateAgent(
      sys, bo.id(),
      {.name = "Bo B.", .email = "bo.b@desk.example", .role = v1::Agent::LIGHT_AGENT,
       .ticket_access = v1::Agent::GROUPS, .group_ids = std::vector<int64_t>{support.id(), billing.id()},
       .skills = std::vector<v1::Skill>{spanish, french},
       .capacity = std::vector<v1::ChannelCapacity>{cap}, .backup_agent_id = ana.id()}));
  CHECK_OK(people.UpdateAgent(sys, bo.id(), {.role = v1::Agent::AGENT}));

  v1::Contact dee = Must(people.CreateContact(
      sys, {.name = "Dee", .emails = {"dee@acme.example"}, .organization_id = acme.id()}));
  v1::Contact eli = Must(people.CreateContact(sys, {.name = "Eli", .emails = {"eli@y.example"}}));
  v1::Contact fay = Must(people.CreateContact(sys, {.name = "Fay", .emails = {"fay@y.example"}}));

  // A ticket with everything at creation; routing is off for it (no one online).
  clock.Advance(absl::Minutes(1));
  v1::CustomFieldValue tier;
  tier.set_integer(2);
  v1::Ticket t1 = Must(tickets.Create(
      sys, {.subject = "Printer on fire",
            .requester_id = dee.id(),
            .description = "It is on fire.",
            .priority = v1::PRIORITY_HIGH,
            .type = v1::TICKET_TYPE_INCIDENT,
            .tags = {"fire", "printer"},
            .custom_fields = {{"support_tier", tier}},
            .assignee_id = cy.id(),
            .group_id = billing.id(),
            .channel = v1::CHANNEL_EMAIL,
            .cc_contact_ids = {eli.id()},
            .follower_agent_ids = {ana.id()}}));
  clock.Advance(absl::Minutes(1));
  v1::CustomFieldValue vip, text, decimal, when, choices;
  vip.set_flag(true);
  text.set_text("Room 4, second floor");
  decimal.set_decimal(12.5);
  *when.mutable_time() = ToTimestamp(absl::FromUnixSeconds(1767300000));
  choices.mutable_choices()->add_values("hardware");
  choices.mutable_choices()->add_values("urgent,really");
  CHECK_OK(tickets.Update(
      AgentActor(cy.id()), t1.id(),
      {.subject = "Printer on fire (3rd floor)",
       .status = "open",
       .priority = v1::PRIORITY_URGENT,
       .type = v1::TICKET_TYPE_PROBLEM,
       .assignee_id = 0,
       .group_id = support.id(),
       .add_tags = {"hardware"},
       .remove_tags = {"printer"},
       .set_custom_fields = {{"vip", vip}, {"location", text}, {"cost", decimal},
                             {"due", when}, {"areas", choices}},
       .remove_custom_fields = {"support_tier"},
       .add_cc_contact_ids = {fay.id()},
       .remove_cc_contact_ids = {eli.id()},
       .add_follower_agent_ids = {cy.id()}}));
  clock.Advance(absl::Minutes(1));
  CHECK_OK(tickets.Update(sys, t1.id(), {.requester_id = eli.id(), .set_tags = std::vector<std::string>{}}));
  clock.Advance(absl::Minutes(1));
  CHECK_OK(tickets.Update(sys, t1.id(), {.status = "pending"}));
  clock.Advance(absl::Minutes(1));
  CHECK_OK(tickets.Update(sys, t1.id(), {.status = "open"}));

  // A second and third ticket: links, a reply (sticky owner), a merge.
  clock.Advance(absl::Minutes(1));
  v1::Ticket t2 = Must(tickets.Create(
      sys, {.subject = "Toner", .requester_id = dee.id(), .description = "Need toner",
            .group_id = billing.id()}));
  CHECK_OK(tickets.Link(sys, t1.id(), v1::TicketLink::PARENT_OF, t2.id()));
  v1::Ticket t3 = Must(tickets.Create(
      sys, {.subject = "Toner again", .requester_id = dee.id(),
            .description = "Still need toner", .group_id = billing.id()}));
  CHECK_OK(tickets.Link(sys, t3.id(), v1::TicketLink::DUPLICATE_OF, t2.id()));
  CHECK_OK(tickets.Link(sys, t3.id(), v1::TicketLink::RELATED, t1.id()));
  clock.Advance(absl::Minutes(1));
  CHECK_OK(tickets.AddMessage(AgentActor(cy.id()), t2.id(),
                              {.kind = v1::Message::PUBLIC_REPLY, .body_text = "On its way"}));
  CHECK_OK(tickets.Update(sys, t3.id(), {.add_cc_contact_ids = {fay.id()}, .add_follower_agent_ids = {cy.id()}}));
  clock.Advance(absl::Minutes(1));
  CHECK_OK(tickets.Merge(AgentActor(cy.id()), t3.id(), t2.id()));
  // A refused write: a blocked requester comments.
  CHECK_OK(people.SetContactBlocked(sys, fay.id(), true));
  (void)tickets.AddMessage(ContactActor(fay.id()), t1.id(),
                           {.kind = v1::Message::CUSTOMER_MESSAGE, .body_text = "hi"});

  // Routing: Ana and Bo come online; a new ticket is offered, declined,
  // offered again and accepted; an offer runs out; an agent leaves (requeue to
  // the backup).
  clock.Advance(absl::Minutes(1));
  CHECK_OK(people.SetAgentPresence(AgentActor(ana.id()), ana.id(), v1::PRESENCE_ONLINE));
  v1::Ticket t4 = Must(tickets.Create(
      sys, {.subject = "Routed", .requester_id = eli.id(), .description = "route me",
            .group_id = support.id(), .channel = v1::CHANNEL_EMAIL}));
  t4 = Must(tickets.Get(sys, t4.id()));
  CHECK_OK(desk->routing().Decline(AgentActor(t4.assignee_id()), t4.id()));
  CHECK_OK(people.SetAgentPresence(AgentActor(bo.id()), bo.id(), v1::PRESENCE_ONLINE));
  t4 = Must(tickets.Get(sys, t4.id()));
  if (t4.assignee_id() != 0) CHECK_OK(desk->routing().Accept(AgentActor(t4.assignee_id()), t4.id()));
  clock.Advance(absl::Minutes(1));
  v1::Ticket t5 = Must(tickets.Create(
      sys, {.subject = "Expires", .requester_id = eli.id(), .description = "wait",
            .group_id = support.id(), .channel = v1::CHANNEL_EMAIL}));
  clock.Advance(absl::Minutes(6));
  CHECK_OK(desk->Tick(clock.Now()));
  t5 = Must(tickets.Get(sys, t5.id()));
  if (t5.assignee_id() != 0) CHECK_OK(desk->routing().Accept(AgentActor(t5.assignee_id()), t5.id()));
  clock.Advance(absl::Minutes(1));
  CHECK_OK(people.SetAgentPresence(AgentActor(bo.id()), bo.id(), v1::PRESENCE_OFFLINE));
  CHECK_OK(people.UpdateAgent(sys, cy.id(), {.deactivated = true}));
  // SLA: warnings and breaches.
  clock.Advance(absl::Hours(30));
  CHECK_OK(desk->Tick(clock.Now()));
  CHECK_OK(tickets.Update(sys, t1.id(), {.status = "solved"}));

  // The history as text.
  for (int64_t id = 1; id <= t5.id(); ++id) {
    for (const v1::Event& e : Must(tickets.AuditLog(sys, id))) {
      Dump(absl::StrCat("ticket ", e.ticket_id(), " event"), e.id(), e.ticket_version(),
           e.kind(), v1::Event::Kind_Name(e.kind()), e.actor(), e.time(), e.note(),
           e.changes());
    }
  }
  for (int64_t id : {ana.id(), bo.id(), cy.id()}) {
    for (const v1::AgentEvent& e : Must(people.AgentLog(sys, id))) {
      Dump(absl::StrCat("agent ", e.agent_id(), " event"), e.id(), e.agent_version(),
           e.kind(), v1::AgentEvent::Kind_Name(e.kind()), e.actor(), e.time(), e.note(),
           e.changes());
    }
  }
  return 0;
}

}  // namespace
}  // namespace helpdesk

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_audit_v3_db OUT.db\n";
    return 2;
  }
  return helpdesk::Main(argv[1]);
}
