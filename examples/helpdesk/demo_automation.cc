// helpdesk demo, second part: automation (issue 14) and the knowledge base
// (issue 15) on the demo's store and simulated clock. The rules, templates and
// calendar are loaded through DeskOptions as any host loads them; the demo
// only moves its clock, acts as customers and agents, calls Desk::Tick and
// prints what the rules did (each event names its rule, Event.rule). It never
// calls a rule's action itself.
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/substitute.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "commands.h"
#include "google/protobuf/text_format.h"
#include "helpdesk/audit.h"
#include "helpdesk/calendar.h"
#include "helpdesk/rules.h"
#include "helpdesk/templates.h"
#include "helpdesk/v1/sla.pb.h"
#include "print.h"

namespace helpdesk::cli {
namespace {

// The demo's rules ($0: the Billing group's id). "london" is the SLA
// configuration's calendar (Mon-Fri 09:00-17:00, Europe/London).
constexpr char kDemoRules[] = R"pb(
rules {
  name: "acknowledge in hours"
  on { kind: TICKET_CREATED }
  all { field: "time" op: "open_in" value: "london" }
  actions { reply { template: "ack_in_hours" } }
}
rules {
  name: "acknowledge out of hours"
  on { kind: TICKET_CREATED }
  all { field: "time" op: "closed_in" value: "london" }
  actions { reply { template: "ack_out_of_hours" } }
}
rules {
  name: "billing words go to Billing"
  on { kind: TICKET_CREATED }
  on { kind: CUSTOMER_MESSAGE }
  any { field: "message.text" op: "matches" value: "(?i)\\bfactura|\\binvoice|\\breembolso|\\brefund" }
  any { field: "subject" op: "matches" value: "(?i)\\bfactura|\\binvoice" }
  actions { add_tags { tags: ["billing"] } }
  actions { set_group: $0 }
}
rules {
  name: "remind after 48 business hours pending"
  automation { since: PENDING hours: 48 calendar: "london" }
  actions { notify { template: "pending_reminder" recipients: [ASSIGNEE] } }
}
rules {
  name: "close 7 days after solved"
  automation { since: SOLVED hours: 168 }
  actions { set_status: "closed" }
}
rules {
  name: "low rating to the team lead"
  on { kind: CSAT_RECEIVED }
  all { field: "csat.rating" op: "at_most" value: "2" }
  actions { add_tags { tags: ["csat-low"] } }
  actions { add_internal_note: "Low satisfaction rating: a team lead calls the customer." }
  actions { notify { template: "csat_low" recipients: [ASSIGNEE, GROUP] } }
}
)pb";

TemplateSetConfig DemoTemplates() {
  TemplateSetConfig c;
  c.templates = {
      {.name = "ack_in_hours",
       .text = "Hello {{contact.name | default: \"there\"}}, we received \"{{ticket.subject}}\" "
               "(ticket #{{ticket.id}}) and will answer within two business hours."},
      {.name = "ack_out_of_hours",
       .text = "Hello {{contact.name | default: \"there\"}}, we received \"{{ticket.subject}}\" "
               "(ticket #{{ticket.id}}). Our team works Monday to Friday, 09:00-17:00 "
               "London time: we answer on the next working day."},
      {.name = "pending_reminder",
       .text = "Ticket #{{ticket.id}} \"{{ticket.subject}}\" has waited 48 business hours "
               "for the customer: follow up or solve it."},
      {.name = "csat_low",
       .text = "Ticket #{{ticket.id}} \"{{ticket.subject}}\" was rated low."},
  };
  return c;
}

std::string At(absl::Time t) {
  return absl::FormatTime("%a %Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

// Prints what happened to the demo's tickets since the last call: the rules
// that fired (by name, with the time and what they did), routing and ratings.
class Narrator {
 public:
  explicit Narrator(Desk& desk) : desk_(desk), names_(desk) {}

  void Watch(int64_t ticket_id) { last_event_[ticket_id] = 0; }

  absl::Status Report() {
    for (auto& [ticket_id, last] : last_event_) {
      absl::StatusOr<std::vector<v1::Event>> log =
          desk_.tickets().AuditLog(SystemActor(), ticket_id);
      if (!log.ok()) return log.status();
      for (const v1::Event& e : *log) {
        if (e.id() <= last) continue;
        last = e.id();
        absl::Status s = Print(e);
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Print(const v1::Event& e) {
    const std::string when = At(absl::FromUnixSeconds(e.time().seconds()));
    if (!e.rule().empty()) {
      std::cout << "  [" << when << "] rule \"" << Visible(e.rule()) << "\" fired on #"
                << e.ticket_id() << ": ";
      switch (e.kind()) {
        case v1::Event::MESSAGE_ADDED: {
          absl::StatusOr<std::string> body = MessageText(e.ticket_id(), e.message_id());
          if (!body.ok()) return body.status();
          std::cout << (e.message_kind() == v1::Message::INTERNAL_NOTE ? "internal note"
                                                                        : "reply to the customer")
                    << " \"" << Visible(Cut(*body, 220)) << "\"";
          break;
        }
        case v1::Event::FIELDS_CHANGED: {
          std::vector<std::string> parts;
          for (const v1::FieldChange& c : e.changes()) parts.push_back(Change(c));
          std::cout << absl::StrJoin(parts, "; ");
          break;
        }
        default:
          std::cout << absl::AsciiStrToLower(v1::Event::Kind_Name(e.kind())) << ": "
                    << Visible(e.note());
      }
      std::cout << "\n";
      return absl::OkStatus();
    }
    switch (e.kind()) {
      case v1::Event::ROUTED:
        std::cout << "  [" << when << "] routing offered #" << e.ticket_id() << " to "
                  << names_.Agent(e.related_agent_id()) << " (why: " << Visible(e.note())
                  << ")\n";
        break;
      case v1::Event::OFFER_ACCEPTED:
        std::cout << "  [" << when << "] " << names_.Agent(e.related_agent_id())
                  << " accepted #" << e.ticket_id() << "\n";
        break;
      case v1::Event::CSAT_RECEIVED:
        std::cout << "  [" << when << "] #" << e.ticket_id() << " rated by the customer: "
                  << Visible(e.note()) << "\n";
        break;
      default:
        break;
    }
    return absl::OkStatus();
  }

  std::string Change(const v1::FieldChange& c) {
    auto value = [&](const v1::FieldValue& v) -> std::string {
      if (v.has_group_id()) return names_.Group(v.group_id());
      if (v.has_agent_id()) return names_.Agent(v.agent_id());
      std::string text = Visible(RenderValue(v));
      return text.empty() ? "(none)" : text;
    };
    return absl::StrCat(Visible(FieldName(c)), " ", value(c.before()), " -> ",
                        value(c.after()));
  }

  absl::StatusOr<std::string> MessageText(int64_t ticket_id, int64_t message_id) {
    absl::StatusOr<TicketView> view = desk_.tickets().View(SystemActor(), ticket_id);
    if (!view.ok()) return view.status();
    for (const v1::Message& m : view->messages) {
      if (m.id() == message_id) return m.body_text();
    }
    return std::string("(message not found)");
  }

  Desk& desk_;
  Names names_;
  std::map<int64_t, int64_t> last_event_;
};

}  // namespace

absl::Status DemoAutomation(Store& store, ManualClock& clock, const DemoCast& cast) {
  std::cout << "\n== Automation: rules, templates and a calendar loaded through "
               "DeskOptions; the clock moves and Desk::Tick runs\n";
  // The rules count business hours in the SLA configuration's calendars.
  v1::SlaConfig sla_config;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(cast.sla_text),
                                                     &sla_config)) {
    return absl::InternalError("demo: the SLA configuration does not parse");
  }
  std::vector<BusinessCalendar> calendars;
  for (const v1::CalendarConfig& c : sla_config.calendars()) {
    absl::StatusOr<BusinessCalendar> cal = BusinessCalendar::Create(c);
    if (!cal.ok()) return cal.status();
    calendars.push_back(*std::move(cal));
  }
  DeskOptions o{.store = &store, .clock = &clock};
  absl::StatusOr<SlaEngine> sla = SlaEngine::FromText(cast.sla_text, o.workflow);
  if (!sla.ok()) return sla.status();
  o.sla = *std::move(sla);
  absl::StatusOr<RuleSet> rules =
      RuleSet::FromText(absl::Substitute(kDemoRules, cast.billing_group), o.workflow, calendars);
  if (!rules.ok()) return rules.status();
  o.rules = std::make_shared<const RuleSet>(*std::move(rules));
  absl::StatusOr<TemplateSet> templates = TemplateSet::Create(DemoTemplates());
  if (!templates.ok()) return templates.status();
  o.templates = std::make_shared<const TemplateSet>(*std::move(templates));
  // Billing's tickets are offered to its online agents (10 minutes to accept).
  RoutingOptions routing;
  routing.policy.mutable_least_loaded();
  routing.offer_timeout = absl::Minutes(10);
  const int64_t billing = cast.billing_group;
  routing.work_item = [billing](const v1::Ticket& t) -> std::optional<WorkItem> {
    if (t.group_id() != billing) return std::nullopt;
    return DefaultWorkItem(t);
  };
  o.routing = std::move(routing);
  o.csat.survey_on_solve = true;
  o.csat.secret = "demo-csat-secret-not-for-production";
  o.csat.scale = v1::SatisfactionRating::FIVE_POINT;
  o.ingest.desk_email = "support@desk.example";
  absl::StatusOr<std::unique_ptr<Desk>> opened = Desk::Open(std::move(o));
  if (!opened.ok()) return opened.status();
  Desk& desk = **opened;
  Narrator narrator(desk);
  const v1::Actor sys = SystemActor(), carla = AgentActor(cast.carla), ana = AgentActor(cast.ana);
  const absl::TimeZone utc = absl::UTCTimeZone();
  auto set_clock = [&](int month, int day, int hour, int minute) {
    clock.Set(absl::FromCivil(absl::CivilMinute(2026, month, day, hour, minute), utc));
  };
  // Moves the clock, runs Tick and prints what it did.
  auto tick = [&](int month, int day, int hour, int minute,
                  absl::string_view why) -> absl::Status {
    set_clock(month, day, hour, minute);
    absl::StatusOr<TickReport> r = desk.Tick(clock.Now());
    if (!r.ok()) return r.status();
    std::cout << "Tick at " << At(clock.Now()) << " (" << why << "): "
              << r->automations_fired << " automation(s) fired\n";
    return narrator.Report();
  };
  std::vector<v1::ChannelCapacity> capacity(2);
  capacity[0].set_channel(v1::CHANNEL_EMAIL);
  capacity[0].set_max_items(5);
  capacity[1].set_channel(v1::CHANNEL_WEB_FORM);
  capacity[1].set_max_items(5);
  if (absl::StatusOr<v1::Agent> c =
          desk.people().UpdateAgent(sys, cast.carla, {.capacity = capacity});
      !c.ok()) {
    return c.status();
  }
  if (absl::StatusOr<v1::Agent> online =
          desk.people().SetAgentPresence(carla, cast.carla, v1::PRESENCE_ONLINE);
      !online.ok()) {
    return online.status();
  }
  std::cout << "Rules: acknowledge in hours / out of hours (calendar london), billing words "
               "go to Billing, remind after 48 business hours pending, close 7 days after "
               "solved, low rating to the team lead. Carla (Billing) is online for e-mail and web "
               "form tickets.\n";

  // 1. A customer writes in hours about an invoice: acknowledged, tagged,
  //    grouped and offered to a Billing agent, all by rules and routing.
  set_clock(11, 23, 11, 0);
  std::cout << "\n-- Mon 11:00: Grace e-mails about a duplicate invoice (in hours)\n";
  absl::StatusOr<v1::Ticket> factura = desk.tickets().Create(
      ContactActor(cast.grace),
      {.subject = "Factura duplicada",
       .description = "Me habéis cobrado dos veces la factura de noviembre.",
       .channel = v1::CHANNEL_EMAIL});
  if (!factura.ok()) return factura.status();
  narrator.Watch(factura->id());
  if (absl::Status s = tick(11, 23, 11, 1, "the triggers and routing acted in the customer's command"); !s.ok()) return s;
  if (absl::StatusOr<v1::Ticket> t = desk.routing().Accept(carla, factura->id()); !t.ok()) {
    return t.status();
  }
  if (absl::Status s = narrator.Report(); !s.ok()) return s;

  // 2. Carla answers and waits for the customer: the reminder counts 48
  //    business hours of the london calendar (8 a day, no weekends).
  set_clock(11, 23, 11, 30);
  absl::StatusOr<v1::Message> refund = desk.tickets().AddMessage(
      carla, factura->id(),
      {.kind = v1::Message::PUBLIC_REPLY,
       .body_text = "Hemos devuelto el cargo duplicado de la factura. El reembolso tarda "
                    "hasta 5 días hábiles en aparecer en tu extracto."});
  if (!refund.ok()) return refund.status();
  if (absl::StatusOr<v1::Ticket> t =
          desk.tickets().Update(carla, factura->id(), {.status = "pending"});
      !t.ok()) {
    return t.status();
  }
  std::cout << "Mon 11:30: Carla replied on #" << factura->id()
            << " and set it pending (waiting for Grace).\n";

  // 3. The knowledge base: Carla's reply becomes a FAQ article.
  set_clock(11, 23, 11, 40);
  std::cout << "\n-- Knowledge base: an agent's reply becomes a FAQ article\n";
  absl::StatusOr<v1::KbArticle> faq = desk.kb().DraftFromReply(
      carla, {.ticket_id = factura->id(), .message_id = refund->id(), .locale = "es"});
  if (!faq.ok()) return faq.status();
  std::cout << "Answer to FAQ: Carla's reply on #" << factura->id() << " is now draft article "
            << faq->id() << " \"" << Visible(faq->translations(0).title())
            << "\" (from ticket #" << faq->source_ticket_id() << ", message "
            << faq->source_message_id() << ")\n";
  if (absl::StatusOr<v1::KbArticle> p = desk.kb().Publish(ana, faq->id(), "es"); !p.ok()) {
    return p.status();
  }
  absl::StatusOr<KbSearchPage> found =
      desk.kb().Search(AnonymousVisitor(), {.query = "cargo duplicado", .locale = "es"});
  if (!found.ok()) return found.status();
  std::cout << "Ana published it; a visitor's search for \"cargo duplicado\" finds "
            << found->results.size() << " article(s)"
            << (found->results.empty() ? "" : absl::StrCat(": \"", Visible(found->results[0].title),
                                                          "\""))
            << "\n";
  absl::StatusOr<v1::KbArticle> howto = desk.kb().Create(
      ana, {.locale = "es",
            .title = "Cómo descargar tus facturas",
            .body_markdown = "Entra en **Mi cuenta > Facturación** y pulsa *Descargar PDF* "
                             "junto a cada factura. Las facturas de los últimos 24 meses "
                             "están disponibles.",
            .category = "Facturación"});
  if (!howto.ok()) return howto.status();
  if (absl::StatusOr<v1::KbArticle> p = desk.kb().Publish(ana, howto->id(), "es"); !p.ok()) {
    return p.status();
  }
  std::cout << "Ana published article " << howto->id() << " \"Cómo descargar tus facturas\".\n";

  // 4. A customer's question answered from the knowledge base.
  set_clock(11, 23, 14, 0);
  std::cout << "\n-- Mon 14:00: Ada asks how to download her invoices\n";
  const std::string question = "¿Dónde puedo descargar mis facturas en PDF?";
  absl::StatusOr<v1::KbSuggestionSession> asked = desk.kb().Suggest(
      ContactActor(cast.ada), {.question = question, .locale = "es"});
  if (!asked.ok()) return asked.status();
  for (const v1::KbSuggestion& s : asked->suggestions()) {
    std::cout << "KB suggests to the web form: article " << s.article_id() << " \""
              << Visible(s.title()) << "\" (" << Visible(s.reason()) << ")\n";
  }
  absl::StatusOr<v1::Ticket> pdf = desk.tickets().Create(
      ContactActor(cast.ada),
      {.subject = "Descargar facturas", .description = question,
       .channel = v1::CHANNEL_WEB_FORM});
  if (!pdf.ok()) return pdf.status();
  narrator.Watch(pdf->id());
  if (absl::Status s = desk.kb().RecordOutcome(ContactActor(cast.ada), asked->id(), pdf->id());
      !s.ok()) {
    return s;
  }
  std::cout << "Ada opened #" << pdf->id() << " anyway.\n";
  if (absl::Status s = tick(11, 23, 14, 1, "the triggers and routing acted in the customer's command"); !s.ok()) return s;
  if (absl::StatusOr<v1::Ticket> t = desk.routing().Accept(carla, pdf->id()); !t.ok()) {
    return t.status();
  }
  if (absl::Status s = narrator.Report(); !s.ok()) return s;
  set_clock(11, 23, 14, 20);
  absl::StatusOr<v1::KbSuggestionSession> for_ticket =
      desk.kb().Suggest(carla, {.ticket_id = pdf->id(), .locale = "es"});
  if (!for_ticket.ok()) return for_ticket.status();
  if (for_ticket->suggestions().empty()) {
    return absl::InternalError("demo: the knowledge base suggested nothing for the ticket");
  }
  const v1::KbSuggestion& best = for_ticket->suggestions(0);
  const std::string link =
      absl::StrCat("https://support.example.com/kb/", best.article_id());
  if (absl::StatusOr<v1::Message> m = desk.tickets().AddMessage(
          carla, pdf->id(),
          {.kind = v1::Message::PUBLIC_REPLY,
           .body_text = absl::StrCat("Hola Ada, aquí lo explicamos paso a paso: ",
                                     best.title(), " <", link, ">")});
      !m.ok()) {
    return m.status();
  }
  std::cout << "KB answers the question: Carla's Suggest for #" << pdf->id() << " gives \""
            << Visible(best.title()) << "\" (" << Visible(best.reason())
            << "); her reply carries " << link << "\n";

  // 5. Solved: the survey goes out; a low rating fires a rule.
  set_clock(11, 23, 14, 30);
  absl::StatusOr<std::vector<v1::OutboxEntry>> before = desk.outbox().List(sys, std::nullopt);
  if (!before.ok()) return before.status();
  const int64_t outbox_mark = before->empty() ? 0 : before->back().id();
  if (absl::StatusOr<v1::Ticket> t = desk.tickets().Update(carla, pdf->id(), {.status = "solved"});
      !t.ok()) {
    return t.status();
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> sent =
      desk.outbox().List(sys, std::nullopt, outbox_mark);
  if (!sent.ok()) return sent.status();
  std::string token;
  for (const v1::OutboxEntry& e : *sent) {
    const std::string& body = e.message().body_text();
    size_t at = body.find("token=");
    if (e.message().ticket_id() != pdf->id() || at == std::string::npos) continue;
    token = body.substr(at + 6, body.find_first_of(" \n", at) - at - 6);
    std::cout << "Mon 14:30: Carla solved #" << pdf->id() << "; CSAT survey sent to "
              << (e.message().to_size() > 0 ? Visible(e.message().to(0).email()) : "-")
              << ": \""
              << Visible(e.message().subject()) << "\"\n";
  }
  if (token.empty()) return absl::InternalError("demo: no CSAT survey was sent on solve");
  set_clock(11, 23, 15, 0);
  absl::StatusOr<v1::Ticket> rated = desk.tickets().RateSatisfaction(
      IntegrationActor("rating-page"),
      {.token = token, .score = 2, .comment = "Quería el PDF adjunto, no un enlace."});
  if (!rated.ok()) return rated.status();
  std::cout << "Mon 15:00: Ada follows the survey link and rates #" << pdf->id() << " "
            << rated->satisfaction().score() << "/5:\n";
  if (absl::Status s = narrator.Report(); !s.ok()) return s;

  // 6. Time passes: Tick runs the automations at their exact time.
  std::cout << "\n-- Time passes; Tick runs the automations when they are due\n";
  if (absl::Status s = tick(11, 25, 11, 30, "#" + std::to_string(factura->id()) +
                                                " pending 48 wall-clock hours: not yet");
      !s.ok()) {
    return s;
  }
  // 7. A customer writes on a Saturday night.
  set_clock(11, 28, 22, 30);
  std::cout << "\n-- Sat 22:30: Linus e-mails on a Saturday night (out of hours)\n";
  absl::StatusOr<v1::Ticket> night = desk.tickets().Create(
      ContactActor(cast.linus),
      {.subject = "Cannot log in since the update",
       .description = "The login page spins forever.",
       .channel = v1::CHANNEL_EMAIL});
  if (!night.ok()) return night.status();
  narrator.Watch(night->id());
  if (absl::Status s = tick(11, 28, 22, 31, "the triggers and routing acted in the customer's command"); !s.ok()) return s;

  std::cout << "\n";
  if (absl::Status s = tick(11, 30, 14, 29, "#" + std::to_string(pdf->id()) +
                                                " solved 6 days 23:59 ago");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = tick(11, 30, 14, 30, "#" + std::to_string(pdf->id()) +
                                                " solved 168 hours ago");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = tick(12, 1, 11, 29, "#" + std::to_string(factura->id()) +
                                               " pending 47:59 business hours");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = tick(12, 1, 11, 30, "#" + std::to_string(factura->id()) +
                                               " pending 48 business hours, over the weekend");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = tick(12, 1, 11, 30, "again: nothing fires twice"); !s.ok()) return s;
  return absl::OkStatus();
}

}  // namespace helpdesk::cli
