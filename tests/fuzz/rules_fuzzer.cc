// Fuzzes the rule set text format (helpdesk/rules.h): RuleSet::FromText with
// the default workflow and two calendars ("support": Madrid, Monday to Friday
// 09:00-17:00; "always": UTC, around the clock). A set that validates is run
// on a ticket, contact, organization, message and SLA status whose fields,
// times and timeline come from a hash of the input, and whose subject, message
// text and contact name are the input itself (so its own regular expressions
// meet it: RE2, linear in the text). Each run is timed by libFuzzer (-timeout).
//
// Any status is fine; a crash, leak or hang is not, and neither is a broken
// promise of rules.h:
//  - Run with and without scan_all_rules gives the same outcome, for every
//    kind of event (each alone, and a creation with a customer message);
//  - Explain answers for every rule, in order;
//  - RunAutomations called again at the same time with the firings it returned
//    fires nothing new when its actions left the ticket as it was;
//  - NextDue is at or after now, and when it is now, RunAutomations fires.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "helpdesk/calendar.h"
#include "helpdesk/rules.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/workflow.h"

namespace {

using helpdesk::BusinessCalendar;
using helpdesk::RuleOutcome;
using helpdesk::RuleSet;
namespace v1 = helpdesk::v1;

// A stream of numbers drawn from the input's bytes (FNV-1a, then splitmix).
class Draw {
 public:
  explicit Draw(absl::string_view bytes) {
    for (unsigned char c : bytes) state_ = (state_ ^ c) * 1099511628211ull;
  }
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_ = 14695981039346656037ull;
};

BusinessCalendar Calendar(const char* text) {
  v1::CalendarConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(text, &config)) __builtin_trap();
  absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(config);
  if (!calendar.ok()) __builtin_trap();
  return *calendar;
}

const std::vector<BusinessCalendar>& Calendars() {
  static const auto* calendars = new std::vector<BusinessCalendar>{
      Calendar(R"pb(name: "support" time_zone: "Europe/Madrid"
                    weekly_hours {
                      days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY,
                              WEEKDAY_THURSDAY, WEEKDAY_FRIDAY ]
                      intervals { open: "09:00" close: "17:00" }
                    })pb"),
      Calendar(R"pb(name: "always" time_zone: "UTC"
                    weekly_hours {
                      days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY,
                              WEEKDAY_THURSDAY, WEEKDAY_FRIDAY, WEEKDAY_SATURDAY,
                              WEEKDAY_SUNDAY ]
                      intervals { open: "00:00" close: "24:00" }
                    })pb")};
  return *calendars;
}

// An instant in 2026, or (one time in 64) near the end of the calendars'
// range, where business time runs out.
absl::Time Instant(Draw& d) {
  if (d.Below(64) == 0) {
    return BusinessCalendar::MaxSupportedTime() - absl::Seconds(d.Below(86400 * 3));
  }
  return absl::FromCivil(absl::CivilSecond(2026, 1, 1), absl::UTCTimeZone()) +
         absl::Seconds(d.Below(365 * 86400));
}

std::string Key(const RuleOutcome& o) {
  std::string key;
  for (const std::string& r : o.fired_rules) key += r + '\n';
  for (const helpdesk::FiredAction& a : o.actions) {
    key += a.rule + '\t' + a.action->ShortDebugString() + '\n';
  }
  key += o.cascade_limit_reached ? "limit\n" : "\n";
  key += o.stopped ? "stopped\n" : "\n";
  key += o.ticket.ShortDebugString();  // text: map entries in order
  key += o.firings.ShortDebugString();
  return key;
}

bool UsesTime(const RuleSet& set) {
  for (const v1::Rule& r : set.config().rules()) {
    for (const auto* group : {&r.all(), &r.any()}) {
      for (const v1::RuleCondition& c : *group) {
        if (absl::AsciiStrToLower(c.field()).find("time") != std::string::npos) return true;
      }
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const helpdesk::Workflow& workflow = helpdesk::Workflow::Default();
  absl::StatusOr<RuleSet> set = RuleSet::FromText(text, workflow, Calendars());
  if (!set.ok()) return 0;

  Draw d(text);
  const std::string input(text.substr(0, 4096));
  v1::Ticket ticket;
  ticket.set_id(1 + d.Below(3));
  ticket.set_subject(input);
  const auto& statuses = workflow.config().statuses();
  const auto& status = statuses[d.Below(statuses.size())];
  ticket.set_status(status.name());
  ticket.set_status_category(status.category());
  ticket.set_priority(static_cast<v1::Priority>(d.Below(5)));
  ticket.set_type(static_cast<v1::TicketType>(d.Below(5)));
  ticket.set_channel(static_cast<v1::Channel>(d.Below(8)));
  ticket.set_group_id(d.Below(4));
  ticket.set_assignee_id(d.Below(4));
  ticket.set_requester_id(10);
  ticket.set_organization_id(d.Below(3));
  ticket.set_message_count(d.Below(5));
  ticket.set_public_reply_count(d.Below(3));
  for (const char* tag : {"billing", "urgent", "vip"}) {  // sorted, unique
    if (d.Below(2) == 0) ticket.add_tags(tag);
  }
  if (d.Below(2) == 0) ticket.add_follower_agent_ids(1 + d.Below(3));
  (*ticket.mutable_custom_fields())["order"].set_integer(d.Below(1000) - 500);
  (*ticket.mutable_custom_fields())["note"].set_text(input.substr(0, 64));
  (*ticket.mutable_custom_fields())["amount"].set_decimal(d.Below(10000) / 7.0);
  auto* choices = (*ticket.mutable_custom_fields())["plan"].mutable_choices();
  choices->add_values("gold");
  if (d.Below(3) == 0) ticket.mutable_satisfaction()->set_score(1 + d.Below(5));
  const absl::Time now = Instant(d);
  const absl::Time created = now - absl::Seconds(d.Below(30 * 86400));
  *ticket.mutable_created_at() = helpdesk::ToTimestamp(created);
  *ticket.mutable_updated_at() = helpdesk::ToTimestamp(created + (now - created) / 2);
  if (status.category() == v1::STATUS_CATEGORY_SOLVED && d.Below(2) == 0) {
    *ticket.mutable_solved_at() = helpdesk::ToTimestamp(now - absl::Seconds(d.Below(86400)));
  }

  v1::Contact contact;
  contact.set_id(10);
  contact.set_name(input.substr(0, 200));
  v1::ContactIdentity* email = contact.add_identities();
  email->set_kind(v1::ContactIdentity::EMAIL);
  email->set_value("ana@bigco.example");
  contact.set_locale(d.Below(2) == 0 ? "es-MX" : "en");
  contact.set_time_zone("Europe/Madrid");
  contact.set_blocked(d.Below(8) == 0);
  v1::Organization organization;
  organization.set_id(1);
  organization.set_name("BigCo");
  organization.add_domains("bigco.example");
  v1::Message message;
  message.set_kind(static_cast<v1::Message::Kind>(d.Below(4)));
  message.set_body_text(input);
  message.set_channel(static_cast<v1::Channel>(d.Below(8)));
  helpdesk::SlaStatus sla;
  sla.policy = "default";
  helpdesk::SlaMetricStatus metric;
  metric.metric = static_cast<v1::SlaMetric>(1 + d.Below(3));
  metric.state = static_cast<helpdesk::SlaState>(d.Below(4));
  metric.started_at = created;
  metric.target = absl::Hours(4);
  metric.due_at = created + absl::Hours(4);
  metric.warn_at = created + absl::Hours(3);
  sla.metrics.push_back(metric);

  helpdesk::RuleContext context;
  context.ticket = &ticket;
  if (d.Below(8) != 0) context.contact = &contact;
  if (d.Below(4) != 0) context.organization = &organization;
  if (d.Below(4) != 0) context.message = &message;
  if (d.Below(4) != 0) context.sla = &sla;
  if (d.Below(2) == 0) context.timeline.status_changed_at = now - absl::Seconds(d.Below(86400 * 9));
  if (d.Below(2) == 0) context.timeline.last_customer_message_at = now - absl::Hours(d.Below(200));
  if (d.Below(2) == 0) context.timeline.last_agent_reply_at = now - absl::Hours(d.Below(200));
  context.csat_received = d.Below(4) == 0;
  context.csat_rating = d.Below(6);
  context.now = now;

  // The triggers: every event kind alone, and a creation with its message.
  std::vector<std::vector<v1::Event>> runs;
  for (int kind = 1; kind <= v1::Event::Kind_MAX; ++kind) {
    v1::Event e;
    e.set_kind(static_cast<v1::Event::Kind>(kind));
    *e.mutable_time() = helpdesk::ToTimestamp(now);
    if (kind == v1::Event::MESSAGE_ADDED) e.set_message_kind(message.kind());
    if (kind == v1::Event::FIELDS_CHANGED) {
      for (int f = 1; f <= v1::FieldChange::STICKY_AGENT; ++f) {
        if (d.Below(3) != 0) continue;
        v1::FieldChange* c = e.add_changes();
        c->set_field(static_cast<v1::FieldChange::Field>(f));
        if (f == v1::FieldChange::CUSTOM_FIELD) c->set_custom_field("order");
      }
    }
    runs.push_back({e});
  }
  runs.push_back({runs[v1::Event::TICKET_CREATED - 1][0], runs[v1::Event::MESSAGE_ADDED - 1][0]});
  runs.back()[1].set_message_kind(v1::Message::CUSTOMER_MESSAGE);

  const v1::RuleFirings none;
  for (const std::vector<v1::Event>& events : runs) {
    absl::StatusOr<RuleOutcome> indexed = set->Run(context, events);
    absl::StatusOr<RuleOutcome> scanned = set->Run(context, events, {.scan_all_rules = true});
    if (indexed.ok() != scanned.ok()) __builtin_trap();
    if (indexed.ok() && Key(*indexed) != Key(*scanned)) __builtin_trap();
    absl::StatusOr<std::vector<helpdesk::RuleExplanation>> why =
        set->Explain(context, events, none);
    if (why.ok()) {
      if (why->size() != static_cast<size_t>(set->config().rules_size())) __builtin_trap();
      for (size_t i = 0; i < why->size(); ++i) {
        if ((*why)[i].rule != set->config().rules(i).name()) __builtin_trap();
      }
    }
  }

  absl::StatusOr<RuleOutcome> first = set->RunAutomations(context, none);
  absl::StatusOr<std::optional<absl::Time>> next = set->NextDue(context, none);
  if (!first.ok() || !next.ok()) return 0;
  if (next->has_value() && **next < now) __builtin_trap();
  if (!UsesTime(*set) && next->has_value() && **next == now && first->fired_rules.empty()) {
    __builtin_trap();  // due now, conditions holding now, and nothing fired
  }
  if (first->ticket.ShortDebugString() == ticket.ShortDebugString() && !first->stopped) {
    absl::StatusOr<RuleOutcome> again = set->RunAutomations(context, first->firings);
    if (again.ok() && !again->fired_rules.empty()) __builtin_trap();
    absl::StatusOr<std::optional<absl::Time>> after = set->NextDue(context, first->firings);
    if (after.ok() && !UsesTime(*set) && after->has_value() && **after == now) __builtin_trap();
  }
  return 0;
}
