// helpdesk rules check, rules explain, macro apply (issue 14), and the
// loading of --rules FILE (helpdesk.v1.RuleSetConfig in text format) and
// --templates FILE for every command that opens the desk, with the named
// calendars business-hours rules count in: those of the SLA file (--sla,
// $HELPDESK_SLA) and of --calendars FILE ($HELPDESK_CALENDARS), a
// helpdesk.v1.SlaConfig in text format of which only `calendars` is read
// (examples/helpdesk/sla.textproto is one).
//
// The templates file: each template starts at a line "@template NAME" and
// runs to the next "@" line; each macro is one line
//   @macro NAME [status=S] [priority=P] [type=T] [group=ID] [assignee=ID]
//          [add-tag=TAG]... [remove-tag=TAG]... [reply=TEMPLATE | note=TEMPLATE]
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "commands.h"
#include "flags.h"
#include "google/protobuf/text_format.h"
#include "helpdesk/calendar.h"
#include "helpdesk/rules.h"
#include "helpdesk/v1/sla.pb.h"
#include "helpdesk/templates.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("--", flag, ": cannot read '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::string> FlagOrEnv(const Args& a, const std::string& flag,
                                     const char* env) {
  if (std::optional<std::string> v = a.Get(flag)) return v;
  if (const char* e = std::getenv(env)) return std::string(e);
  return std::nullopt;
}

absl::Status ParseMacro(absl::string_view line, int line_no, Macro* m) {
  std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
  if (words.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": @macro needs a name"));
  }
  m->name = words[1];
  for (size_t i = 2; i < words.size(); ++i) {
    std::pair<std::string, std::string> kv = absl::StrSplit(words[i], absl::MaxSplits('=', 1));
    const std::string& k = kv.first;
    const std::string& v = kv.second;
    auto id = [&]() -> absl::StatusOr<int64_t> {
      int64_t n = 0;
      if (!absl::SimpleAtoi(v, &n)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_no, ": ", k, " '", v, "' is not a number"));
      }
      return n;
    };
    if (k == "status") {
      m->status = v;
    } else if (k == "priority") {
      absl::StatusOr<v1::Priority> p = ParsePriority(v, "priority");
      if (!p.ok()) return p.status();
      m->priority = *p;
    } else if (k == "type") {
      absl::StatusOr<v1::TicketType> t = ParseTicketType(v, "type");
      if (!t.ok()) return t.status();
      m->type = *t;
    } else if (k == "group" || k == "assignee") {
      absl::StatusOr<int64_t> n = id();
      if (!n.ok()) return n.status();
      (k == "group" ? m->group_id : m->assignee_id) = *n;
    } else if (k == "add-tag") {
      m->add_tags.push_back(v);
    } else if (k == "remove-tag") {
      m->remove_tags.push_back(v);
    } else if (k == "reply" || k == "note") {
      m->template_name = v;
      m->message = k == "reply" ? Macro::Message::kPublicReply : Macro::Message::kInternalNote;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": unknown macro setting '", k, "'"));
    }
  }
  return absl::OkStatus();
}

// Adds the calendars of `text` (a helpdesk.v1.SlaConfig) to `out`; a name
// already there must come with the same configuration.
absl::Status AddCalendars(const std::string& flag, const std::string& text,
                          std::vector<v1::CalendarConfig>& out) {
  v1::SlaConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, ": not a helpdesk.v1.SlaConfig in text format (calendars { ... })"));
  }
  for (const v1::CalendarConfig& c : config.calendars()) {
    bool known = false;
    for (const v1::CalendarConfig& seen : out) {
      if (seen.name() != c.name()) continue;
      if (seen.SerializeAsString() != c.SerializeAsString()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, ": calendar '", c.name(),
            "' is defined differently elsewhere (--sla / --calendars)"));
      }
      known = true;
    }
    if (!known) out.push_back(c);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<BusinessCalendar>> RuleCalendars(const Args& a) {
  std::vector<v1::CalendarConfig> configs;
  absl::StatusOr<std::optional<std::string>> sla = SlaConfigText(a);
  if (!sla.ok()) return sla.status();
  if (*sla) {
    absl::Status s = AddCalendars("sla", **sla, configs);
    if (!s.ok()) return s;
  }
  if (std::optional<std::string> path = FlagOrEnv(a, "calendars", "HELPDESK_CALENDARS")) {
    absl::StatusOr<std::string> text = ReadFile("calendars", *path);
    if (!text.ok()) return text.status();
    absl::Status s = AddCalendars("calendars", *text, configs);
    if (!s.ok()) return s;
  }
  std::vector<BusinessCalendar> calendars;
  for (const v1::CalendarConfig& c : configs) {
    absl::StatusOr<BusinessCalendar> cal = BusinessCalendar::Create(c);
    if (!cal.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("calendar '", c.name(), "': ", cal.status().message()));
    }
    calendars.push_back(*std::move(cal));
  }
  return calendars;
}

absl::Status ConfigureAutomation(const Args& a, DeskOptions& options) {
  if (std::optional<std::string> path = FlagOrEnv(a, "templates", "HELPDESK_TEMPLATES")) {
    absl::StatusOr<std::string> text = ReadFile("templates", *path);
    if (!text.ok()) return text.status();
    TemplateSetConfig config;
    TemplateSource* current = nullptr;
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      ++line_no;
      if (absl::StartsWith(line, "@template ")) {
        config.templates.push_back({.name = std::string(absl::StripAsciiWhitespace(
                                        line.substr(10)))});
        current = &config.templates.back();
      } else if (absl::StartsWith(line, "@macro ")) {
        current = nullptr;
        Macro m;
        absl::Status s = ParseMacro(line, line_no, &m);
        if (!s.ok()) return s;
        options.macros.push_back(std::move(m));
      } else if (current != nullptr) {
        absl::StrAppend(&current->text, current->text.empty() ? "" : "\n", line);
      } else if (!absl::StripAsciiWhitespace(line).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--templates: line ", line_no, ": text outside a @template"));
      }
    }
    for (TemplateSource& t : config.templates) {
      while (absl::EndsWith(t.text, "\n")) t.text.pop_back();
    }
    absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
    if (!set.ok()) return set.status();
    options.templates = std::make_shared<const TemplateSet>(*std::move(set));
  }
  if (std::optional<std::string> path = FlagOrEnv(a, "rules", "HELPDESK_RULES")) {
    absl::StatusOr<std::string> text = ReadFile("rules", *path);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<BusinessCalendar>> calendars = RuleCalendars(a);
    if (!calendars.ok()) return calendars.status();
    absl::StatusOr<RuleSet> rules = RuleSet::FromText(*text, options.workflow, *calendars);
    if (!rules.ok()) return rules.status();
    options.rules = std::make_shared<const RuleSet>(*std::move(rules));
  }
  return absl::OkStatus();
}

namespace {

absl::Status CmdRules(const CommandContext& c) {
  const Args& a = c.args;
  const std::string sub = a.positional.size() >= 2 ? a.positional[1] : "";
  if (sub == "check") {
    if (a.positional.size() < 3) {
      return absl::InvalidArgumentError("usage: helpdesk rules check FILE");
    }
    absl::StatusOr<std::string> text = ReadFile("rules", a.positional[2]);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<BusinessCalendar>> calendars = RuleCalendars(a);
    if (!calendars.ok()) return calendars.status();
    absl::StatusOr<RuleSet> rules = RuleSet::FromText(*text, Workflow::Default(), *calendars);
    if (!rules.ok()) return rules.status();
    int triggers = 0, automations = 0;
    for (const v1::Rule& r : rules->config().rules()) {
      (r.has_automation() ? automations : triggers)++;
    }
    std::cout << a.positional[2] << ": ok: " << triggers << " triggers, " << automations
              << " automations\n";
    return absl::OkStatus();
  }
  if (sub == "explain") {
    absl::StatusOr<int64_t> id = TicketArg(a, 2);
    if (!id.ok()) return id.status();
    absl::StatusOr<std::optional<std::string>> sla = SlaConfigText(a);
    if (!sla.ok()) return sla.status();
    absl::StatusOr<std::unique_ptr<Session>> session = OpenSession(
        DatabasePath(a), false, nullptr, *sla, "", false, std::nullopt,
        [&](DeskOptions& o) { return ConfigureAutomation(a, o); });
    if (!session.ok()) return session.status();
    Desk& desk = *(*session)->desk;
    absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
    if (!actor.ok()) return actor.status();
    absl::StatusOr<std::vector<RuleExplanation>> why = desk.automation().Explain(*actor, *id);
    if (!why.ok()) return why.status();
    for (const RuleExplanation& e : *why) {
      std::cout << (e.would_fire ? "FIRES  " : "-      ") << Visible(e.rule) << ": "
                << Visible(e.reason) << "\n";
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "usage: helpdesk rules check FILE | helpdesk rules explain TICKET --rules FILE");
}

absl::Status CmdMacro(const CommandContext& c) {
  const Args& a = c.args;
  if (a.positional.size() < 4 || a.positional[1] != "apply") {
    return absl::InvalidArgumentError(
        "usage: helpdesk macro apply TICKET NAME --templates FILE [--agent EMAIL]");
  }
  absl::StatusOr<int64_t> id = TicketArg(a, 2);
  if (!id.ok()) return id.status();
  absl::StatusOr<v1::Actor> actor = ActingAgent(c.desk(), a);
  if (!actor.ok()) return actor.status();
  std::optional<int64_t> version;
  if (std::optional<std::string> v = a.Get("version")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(*v, &n)) {
      return absl::InvalidArgumentError(absl::StrCat("--version '", *v, "' is not a number"));
    }
    version = n;
  }
  absl::StatusOr<v1::Ticket> t =
      c.desk().automation().ApplyMacro(*actor, *id, a.positional[3], version);
  if (!t.ok()) return t.status();
  std::cout << "applied macro '" << Visible(a.positional[3]) << "' to #" << t->id()
            << " (version " << t->version() << ")\n";
  return absl::OkStatus();
}

}  // namespace

CommandGroup AutomationCommands() {
  return {"Automation (rules: --rules FILE; templates and macros: --templates FILE)",
          {
              {.name = "rules",
               .summary = "check a rule file; explain which rules would fire on a ticket",
               .usage = "rules check FILE [--calendars FILE]\n"
                        "rules explain TICKET --rules FILE [--agent EMAIL]",
               .flags = "  FILE                rules in helpdesk.v1.RuleSetConfig text format\n"
                        "  --calendars FILE    named calendars for business-hours rules\n"
                        "                      (SlaConfig text; default $HELPDESK_CALENDARS;\n"
                        "                      the --sla file's calendars count too)\n"
                        "  TICKET              the ticket number (12 or #12)\n"
                        "  --rules FILE        the desk's rules (default $HELPDESK_RULES)\n"
                        "  --templates FILE    templates and macros ($HELPDESK_TEMPLATES)\n",
               // `rules check` needs no desk; `rules explain` opens it itself.
               .opens_desk = false,
               .run = CmdRules},
              {.name = "macro",
               .summary = "apply a macro to a ticket (fields and message in one command)",
               .usage = "macro apply TICKET NAME --templates FILE [--agent EMAIL] [--version N]",
               .flags = "  --templates FILE    templates and macros ($HELPDESK_TEMPLATES)\n"
                        "  --agent EMAIL       who applies it (default: the system)\n"
                        "  --version N         refuse unless the ticket is at version N\n",
               .run = CmdMacro},
          }};
}

}  // namespace helpdesk::cli
