// helpdesk demo: a guided tour on a fresh database.
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/storage/sqlite_store.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

// Returns from the demo on the first failed step.
#define DEMO_CONCAT_INNER_(a, b) a##b
#define DEMO_CONCAT_(a, b) DEMO_CONCAT_INNER_(a, b)
#define DEMO_ASSIGN(lhs, expr) DEMO_ASSIGN_IMPL_(DEMO_CONCAT_(demo_, __LINE__), lhs, expr)
#define DEMO_ASSIGN_IMPL_(tmp, lhs, expr)   \
  auto tmp = (expr);                        \
  if (!tmp.ok()) return tmp.status();       \
  lhs = *std::move(tmp)
absl::Status StatusOf(absl::Status s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
#define DEMO_CHECK(expr)                                        \
  do {                                                          \
    if (absl::Status demo_s_ = StatusOf(expr); !demo_s_.ok()) { \
      return demo_s_;                                           \
    }                                                           \
  } while (0)

// The demo's SLAs: the same as examples/helpdesk/sla.textproto.
constexpr char kDemoSla[] = R"pb(
# An SLA configuration for the helpdesk CLI (--sla FILE or $HELPDESK_SLA) and
# the demo: a London team open 09:00-17:00 on weekdays.
calendars {
  name: "london"
  time_zone: "Europe/London"
  weekly_hours {
    days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, WEEKDAY_THURSDAY,
            WEEKDAY_FRIDAY ]
    intervals { open: "09:00" close: "17:00" }
  }
  holidays { date: "2026-12-25" name: "Christmas Day" }
  holidays { date: "2026-12-28" name: "Boxing Day (substitute)" }
}
policies {
  name: "standard"
  calendar: "london"
  # First reply: 30 minutes for urgent tickets, 2 business hours otherwise.
  targets {
    metric: SLA_METRIC_FIRST_REPLY
    priorities: [ PRIORITY_URGENT ]
    target { seconds: 1800 }
    business_hours: true
    warn_before { seconds: 600 }
  }
  targets {
    metric: SLA_METRIC_FIRST_REPLY
    target { seconds: 7200 }
    business_hours: true
    warn_before { seconds: 1800 }
  }
  # Next reply: 4 business hours after each customer message.
  targets {
    metric: SLA_METRIC_NEXT_REPLY
    target { seconds: 14400 }
    business_hours: true
  }
  # Resolution: 2 business days (16 business hours).
  targets {
    metric: SLA_METRIC_FULL_RESOLUTION
    target { seconds: 57600 }
    business_hours: true
    warn_before { seconds: 7200 }
  }
  pause_statuses: [ "pending", "on_hold" ]
}
)pb";

// The demo's routing part: a chat team on the same store, with a desk that
// routes the Chat group's tickets (the rest of the demo's tickets are worked
// by hand: RoutingOptions::work_item leaves them out).
absl::Status DemoRouting(Store& store, ManualClock& clock, int64_t ada, int64_t grace) {
  std::cout << "\n== Routing: the Chat group's tickets placed with agents as they "
               "come and go\n";
  v1::Actor sys = SystemActor();
  int64_t chat_group = 0;
  {
    // Set up the team through a desk without routing, as before.
    DEMO_ASSIGN(auto plain, Desk::Open({.store = &store, .clock = &clock}));
    DEMO_ASSIGN(auto chat, plain->people().CreateGroup(sys, "Chat"));
    chat_group = chat.id();
  }
  RoutingOptions routing;
  routing.policy.mutable_least_loaded();
  routing.offer_timeout = absl::Minutes(2);
  routing.work_item = [chat_group](const v1::Ticket& t) -> std::optional<WorkItem> {
    if (t.group_id() != chat_group) return std::nullopt;
    return DefaultWorkItem(t);
  };
  DEMO_ASSIGN(auto desk_ptr, Desk::Open({.store = &store, .clock = &clock,
                                         .routing = routing}));
  Desk& desk = *desk_ptr;
  v1::ChannelCapacity two_chats;
  two_chats.set_channel(v1::CHANNEL_CHAT);
  two_chats.set_max_items(2);
  DEMO_ASSIGN(auto eve, desk.people().CreateAgent(sys, {.name = "Eve", .email = "eve@desk.example",
                                               .group_ids = {chat_group},
                                               .capacity = {two_chats}}));
  DEMO_ASSIGN(auto dee, desk.people().CreateAgent(sys, {.name = "Dee", .email = "dee@desk.example",
                                               .group_ids = {chat_group},
                                               .capacity = {two_chats},
                                               .backup_agent_id = eve.id()}));
  DEMO_CHECK(desk.people().SetAgentPresence(AgentActor(dee.id()), dee.id(), v1::PRESENCE_ONLINE));
  std::vector<v1::Ticket> chats;
  for (auto [who, subject] : {std::pair{ada, "Card declined at checkout"},
                              std::pair{grace, "Where is my invoice?"},
                              std::pair{ada, "Export to CSV fails"}}) {
    clock.Advance(absl::Seconds(20));
    DEMO_ASSIGN(v1::Ticket t,
                desk.tickets().Create(ContactActor(who),
                                  {.subject = subject, .description = "(chat)",
                                   .channel = v1::CHANNEL_CHAT}));
    // Customers cannot pick a group; the chat widget's integration does.
    DEMO_ASSIGN(t, desk.tickets().Update(IntegrationActor("chat-widget"), t.id(),
                                     {.group_id = chat_group}));
    chats.push_back(t);
  }
  Names names(desk);
  auto owner = [&](const v1::Ticket& t) -> std::string {
    absl::StatusOr<v1::Ticket> now = desk.tickets().Get(sys, t.id());
    return now.ok() ? names.Agent(now->assignee_id()) : now.status().ToString();
  };
  std::cout << "Dee is online (2 chats at once); three chats arrive: #" << chats[0].id()
            << " -> " << owner(chats[0]) << ", #" << chats[1].id() << " -> "
            << owner(chats[1]) << ", #" << chats[2].id() << " -> " << owner(chats[2])
            << " (waits: nobody has room)\n";
  DEMO_CHECK(desk.people().SetAgentPresence(AgentActor(eve.id()), eve.id(), v1::PRESENCE_ONLINE));
  std::cout << "Eve comes online: #" << chats[2].id() << " -> " << owner(chats[2]) << "\n";
  DEMO_CHECK(desk.routing().Accept(AgentActor(eve.id()), chats[2].id()));
  DEMO_CHECK(desk.routing().Accept(AgentActor(dee.id()), chats[0].id()));
  clock.Advance(absl::Minutes(3));
  DEMO_ASSIGN(TickReport tick, desk.Tick(clock.Now()));
  std::cout << "Dee accepts #" << chats[0].id() << " but lets the offer of #"
            << chats[1].id() << " run out: Tick expired " << tick.offers_expired
            << " offer(s) and routed " << tick.routed << "; #" << chats[1].id() << " -> "
            << owner(chats[1]) << "\n";
  DEMO_CHECK(desk.people().SetAgentPresence(AgentActor(dee.id()), dee.id(), v1::PRESENCE_OFFLINE));
  std::cout << "Dee goes offline: #" << chats[0].id() << " -> " << owner(chats[0])
            << " (her backup)\n";
  std::cout << "\n== Audit log of #" << chats[1].id() << " (routing events)\n";
  DEMO_ASSIGN(std::vector<v1::Event> log, desk.tickets().AuditLog(sys, chats[1].id()));
  PrintLog(desk, log);
  std::cout << "\n== Dee's agent log\n";
  DEMO_ASSIGN(std::vector<v1::AgentEvent> dee_log, desk.people().AgentLog(sys, dee.id()));
  PrintAgentLog(desk, dee_log);
  return absl::OkStatus();
}

}  // namespace

absl::Status CmdDemo(const Args& a) {
  std::string path;
  if (std::optional<std::string> db = a.Get("db")) {
    path = *db;
  } else {
    path = (std::filesystem::temp_directory_path() /
            absl::StrCat("helpdesk-demo-", absl::ToUnixMicros(absl::Now()), ".db"))
               .string();
  }
  if (std::filesystem::exists(path)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "demo: '", path, "' exists; the demo wants a fresh database file"));
  }
  // Simulated time, so the story reads like a morning at a help desk.
  ManualClock clock(absl::FromCivil(absl::CivilMinute(2026, 11, 23, 8, 55),
                                    absl::UTCTimeZone()));
  DEMO_ASSIGN(auto session, OpenSession(path, true, &clock, std::string(kDemoSla)));
  Desk& desk = *session->desk;
  std::cout << "== A help desk on an embedded SQLite file: " << path << "\n\n";

  v1::Actor sys = SystemActor();
  DEMO_ASSIGN(auto support, desk.people().CreateGroup(sys, "Support", "First line"));
  DEMO_ASSIGN(auto billing, desk.people().CreateGroup(sys, "Billing"));
  DEMO_ASSIGN(auto ana, desk.people().CreateAgent(
      sys, {.name = "Ana", .email = "ana@desk.example", .role = v1::Agent::ADMIN,
            .group_ids = {support.id(), billing.id()}}));
  DEMO_ASSIGN(auto bob, desk.people().CreateAgent(
      sys, {.name = "Bob", .email = "bob@desk.example", .group_ids = {support.id()}}));
  DEMO_ASSIGN(auto carla, desk.people().CreateAgent(
      sys, {.name = "Carla", .email = "carla@desk.example",
            .ticket_access = v1::Agent::GROUPS, .group_ids = {billing.id()}}));
  DEMO_ASSIGN(auto acme, desk.people().CreateOrganization(sys, "Acme Corp", {"acme.example"}));
  DEMO_ASSIGN(auto ada, desk.people().CreateContact(
      sys, {.name = "Ada Lovelace", .emails = {"ada@acme.example"},
            .organization_id = acme.id(), .time_zone = "Europe/London"}));
  DEMO_ASSIGN(auto grace, desk.people().CreateContact(
      sys, {.name = "Grace Hopper", .emails = {"grace@navy.example"}}));
  DEMO_ASSIGN(auto linus, desk.people().CreateContact(
      sys, {.name = "Linus", .emails = {"linus@kernel.example"},
            .phones = {"+358 40 123 4567"}}));
  std::cout << "Set up 2 groups, 3 agents (Ana admin, Bob, Carla billing-only), "
               "3 customers.\n\n";
  v1::Actor as_ana = AgentActor(ana.id()), as_bob = AgentActor(bob.id()),
            as_carla = AgentActor(carla.id());

  DEMO_ASSIGN(auto vpn, desk.tickets().Create(
      ContactActor(ada.id()),
      {.subject = "VPN disconnects every hour",
       .description = "Since Monday the VPN drops at :00 every hour.\nClient 4.2 on "
                      "Windows 11.",
       .channel = v1::CHANNEL_EMAIL}));
  clock.Advance(absl::Minutes(7));
  DEMO_ASSIGN(auto invoice, desk.tickets().Create(
      ContactActor(grace.id()),
      {.subject = "Invoice #2291 charged twice",
       .description = "My card was charged twice for November.",
       .attachments = {{.file_name = "statement.csv", .media_type = "text/csv",
                        .content = "date,amount\n2026-11-01,49.00\n2026-11-01,49.00\n"}},
       .priority = v1::PRIORITY_HIGH, .channel = v1::CHANNEL_WEB_FORM}));
  clock.Advance(absl::Minutes(3));
  DEMO_ASSIGN(auto vpn2, desk.tickets().Create(
      ContactActor(ada.id()),
      {.subject = "Re: VPN keeps dropping",
       .description = "Sorry, sent this twice: the VPN drops again.",
       .channel = v1::CHANNEL_EMAIL}));
  clock.Advance(absl::Minutes(2));
  DEMO_ASSIGN(auto outage, desk.tickets().Create(
      as_bob, {.subject = "Login page returns 502",
               .requester_id = linus.id(),
               .description = "Customer phoned: login fails with a 502.",
               .priority = v1::PRIORITY_URGENT, .type = v1::TICKET_TYPE_INCIDENT,
               .tags = {"outage", "web"}, .group_id = support.id(),
               .channel = v1::CHANNEL_PHONE}));
  std::cout << "Customers opened #" << vpn.id() << ", #" << invoice.id() << ", #"
            << vpn2.id() << "; Bob logged phone ticket #" << outage.id() << ".\n";

  clock.Advance(absl::Minutes(10));
  DEMO_CHECK(desk.tickets().Update(as_ana, invoice.id(),
                             {.assignee_id = carla.id(), .group_id = billing.id(),
                              .add_tags = {"refund"}}));
  DEMO_CHECK(desk.tickets().Update(as_bob, vpn.id(),
                             {.status = "open", .assignee_id = bob.id(),
                              .group_id = support.id(), .add_tags = {"vpn"}}));
  DEMO_CHECK(desk.tickets().AddMessage(as_bob, vpn.id(),
                           {.kind = v1::Message::INTERNAL_NOTE,
                            .body_text = "4.2 has the hourly re-key bug; 4.3 fixes it."}));
  DEMO_CHECK(desk.tickets().AddMessage(as_bob, vpn.id(),
                           {.kind = v1::Message::PUBLIC_REPLY,
                            .body_text = "Hi Ada, please update the client to 4.3 and "
                                         "tell us if it still drops."}));
  DEMO_CHECK(desk.tickets().Update(as_bob, vpn.id(), {.status = "pending"}));
  std::cout << "Bob took #" << vpn.id()
            << ": internal note, public reply, status pending.\n";

  clock.Advance(absl::Minutes(4));
  DEMO_ASSIGN(auto merged, desk.tickets().Merge(as_bob, vpn2.id(), vpn.id()));
  std::cout << "Bob merged duplicate #" << vpn2.id() << " into #" << vpn.id() << " (now "
            << merged.message_count() << " messages).\n";
  DEMO_CHECK(desk.tickets().Link(as_bob, outage.id(), v1::TicketLink::RELATED, vpn.id()));

  // Two agents edit #invoice at once: the second write is stale.
  clock.Advance(absl::Minutes(5));
  DEMO_ASSIGN(v1::Ticket seen_by_ana, desk.tickets().Get(as_ana, invoice.id()));
  DEMO_ASSIGN(v1::Ticket seen_by_carla, desk.tickets().Get(as_carla, invoice.id()));
  DEMO_CHECK(desk.tickets().Update(as_carla, invoice.id(),
                             {.status = "open", .priority = v1::PRIORITY_URGENT,
                              .expected_version = seen_by_carla.version()}));
  absl::StatusOr<v1::Ticket> stale =
      desk.tickets().Update(as_ana, invoice.id(),
                        {.priority = v1::PRIORITY_LOW,
                         .expected_version = seen_by_ana.version()});
  std::cout << "Carla and Ana edited #" << invoice.id()
            << " from the same version; Ana's write was refused:\n  "
            << stale.status() << "\n";
  if (stale.ok()) return absl::InternalError("demo: the stale write was accepted");
  DEMO_CHECK(desk.tickets().AddMessage(as_carla, invoice.id(),
                           {.kind = v1::Message::PUBLIC_REPLY,
                            .body_text = "Refunded the duplicate charge of 49.00."}));
  DEMO_CHECK(desk.tickets().Update(as_carla, invoice.id(), {.status = "solved"}));

  clock.Advance(absl::Minutes(30));
  DEMO_CHECK(desk.tickets().AddMessage(ContactActor(ada.id()), vpn.id(),
                           {.kind = v1::Message::CUSTOMER_MESSAGE,
                            .body_text = "Updated to 4.3, still drops once a day.",
                            .channel = v1::CHANNEL_EMAIL}));
  std::cout << "Ada replied on #" << vpn.id() << ": pending -> open again.\n";

  // Carla sees only Billing; customers only their own tickets.
  absl::Status hidden = desk.tickets().Get(as_carla, vpn.id()).status();
  absl::Status foreign = desk.tickets().Get(ContactActor(grace.id()), vpn.id()).status();
  std::cout << "Carla (billing only) reading #" << vpn.id() << ": " << hidden << "\n";
  std::cout << "Grace reading Ada's #" << vpn.id() << ": " << foreign << "\n\n";

  // Nobody answered the urgent outage: at 10:00 its 30-minute first-reply
  // target has passed. Tick raises the warning and the breach, once.
  clock.Set(absl::FromCivil(absl::CivilMinute(2026, 11, 23, 10, 0), absl::UTCTimeZone()));
  DEMO_ASSIGN(TickReport tick, desk.Tick(clock.Now()));
  DEMO_ASSIGN(TickReport again, desk.Tick(clock.Now()));
  std::cout << "At 10:00 Tick raised " << tick.warnings << " warning(s) and "
            << tick.breaches << " breach(es); a second Tick raised "
            << again.warnings + again.breaches << ".\n\n";

  TicketQuery queue;
  queue.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                             v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD};
  queue.sort = TicketSort::kPriorityThenOldest;
  DEMO_ASSIGN(TicketPage page, desk.tickets().Query(as_ana, queue));
  std::cout << "== The queue (unsolved, most urgent first)\n";
  PrintQueue(desk, page.tickets);

  std::cout << "\n== Ticket #" << vpn.id() << " as Bob sees it\n";
  DEMO_ASSIGN(TicketView bob_view, desk.tickets().View(as_bob, vpn.id()));
  PrintTicket(desk, bob_view);
  std::cout << "\n== Ticket #" << vpn.id() << " as Ada sees it (no internal notes)\n";
  DEMO_ASSIGN(TicketView ada_view, desk.tickets().View(ContactActor(ada.id()), vpn.id()));
  PrintTicket(desk, ada_view);
  std::cout << "\n== SLA clocks of #" << outage.id() << " (breached) and #" << vpn.id()
            << " (its resolution clock paused while pending)\n";
  DEMO_ASSIGN(SlaStatus outage_sla, desk.sla().Status(as_ana, outage.id()));
  PrintSla(outage_sla);
  DEMO_ASSIGN(SlaStatus vpn_sla, desk.sla().Status(as_ana, vpn.id()));
  PrintSla(vpn_sla);
  std::cout << "\n== Audit log of #" << vpn.id() << "\n";
  DEMO_ASSIGN(std::vector<v1::Event> log, desk.tickets().AuditLog(as_ana, vpn.id()));
  PrintLog(desk, log);
  std::cout << "\n== Audit log of #" << outage.id() << " (SLA events)\n";
  DEMO_ASSIGN(std::vector<v1::Event> outage_log, desk.tickets().AuditLog(as_ana, outage.id()));
  PrintLog(desk, outage_log);
  DEMO_CHECK(DemoRouting(*session->store, clock, ada.id(), grace.id()));
  DEMO_CHECK(DemoAutomation(*session->store, clock,
                            {.sla_text = kDemoSla, .billing_group = billing.id(),
                             .ana = ana.id(), .carla = carla.id(), .ada = ada.id(),
                             .grace = grace.id(), .linus = linus.id()}));
  std::cout << "\nThe database stays at " << path
            << "; try: helpdesk list --db " << path << "\n";
  return absl::OkStatus();
}

}  // namespace helpdesk::cli
