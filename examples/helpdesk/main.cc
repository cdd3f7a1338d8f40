// helpdesk: a command-line host for libhelpdesk on an embedded SQLite file.
//
//   helpdesk demo                      # a guided tour on a fresh database
//   helpdesk init --db desk.db
//   helpdesk group add Support --db desk.db
//   helpdesk agent add --name Bob --email bob@example.com --group Support
//   helpdesk create --requester ada@example.com --subject "VPN drops" --body "..."
//   helpdesk reply 1 --agent bob@example.com --body "Which version?"
//   helpdesk note 1 --agent bob@example.com --body "Known issue"
//   helpdesk update 1 --status pending --priority high --add-tag vpn
//   helpdesk list --status open --sort queue
//   helpdesk show 1 [--as ada@example.com]
//   helpdesk log 1
//
// The database is --db FILE, else $HELPDESK_DB, else ./helpdesk.db.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/sim.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/timestamp.h"

namespace helpdesk::cli {
namespace {

constexpr char kUsage[] = R"(usage: helpdesk COMMAND [ARGS] [--db FILE]

Commands:
  demo [--db FILE]              run a guided tour on a fresh database
                                (default: a new file in the temp directory)
  init                          create the database file
  group add NAME                add a group
  agent add --name N --email E [--group G]... [--admin|--light]
                                [--access all|groups|assigned]
         [--skill NAME:LEVEL]... [--capacity CHANNEL:N]... [--backup EMAIL]
                                (CHANNEL: email, chat, api, web_form, phone ...)
  agent presence EMAIL online|away|offline
                                set presence (routing: gets work, or re-queues it)
  agent log EMAIL               the agent's audit log
  agents                        list agents, their presence, and groups
  create --requester EMAIL --subject S [--body B] [--priority P] [--type T]
         [--group G] [--assignee EMAIL] [--tag T]... [--cc EMAIL]...
                                open a ticket (the requester is created if new)
  reply TICKET --agent EMAIL --body B [--version N]
  note TICKET --agent EMAIL --body B [--version N]
  comment TICKET --requester EMAIL --body B
                                a customer's message on their ticket
  update TICKET [--agent EMAIL] [--status S] [--priority P] [--type T]
         [--assignee EMAIL|none] [--group G|none] [--add-tag T]...
         [--remove-tag T]... [--version N]
  merge SOURCE TARGET [--agent EMAIL]
  list [--status S]... [--group G] [--assignee EMAIL|none] [--tag T]...
       [--requester EMAIL] [--search TEXT] [--sort queue|created|updated]
       [--limit N] [--all]
  show TICKET [--as EMAIL]      a ticket and its thread (as a customer with --as)
  log TICKET                    the ticket's audit log
  sla show TICKET               the ticket's SLA clocks
  tick [--at "YYYY-MM-DD HH:MM"] raise the SLA warnings and breaches due now
                                (or at the given UTC time)

  queue                         routing: the tickets waiting for an agent
  next --agent EMAIL            routing: pull the agent's next ticket
  accept TICKET --agent EMAIL   routing: accept a ticket offered to the agent
  decline TICKET --agent EMAIL  routing: give a ticket back (never offered again)

  sim SCENARIO [--csv FILE] [--svg FILE]
                                run routing policies side by side on a simulated
                                load (see examples/helpdesk/scenario.textproto)
  erlang --rate R --aht SECONDS --agents N [--target SECONDS]
                                Erlang C: waiting probability, mean wait,
                                service level for an M/M/N queue
  ingest --eml FILE... | --maildir DIR | --mbox FILE [--desk-email ADDR] [--ack]
                                take e-mail in: each message threads into a
                                ticket or opens one (--ack: acknowledge new
                                tickets by e-mail, through the outbox); 100
                                messages per store transaction
  outbox [--dead]               list outbox entries
  outbox send --maildir DIR | --smtp URL [--desk-email ADDR]
                                deliver due outbox entries (Maildir drop or SMTP)
  outbox replay ENTRY           send a dead entry again

SLA commands and SLA deadlines need an SLA configuration in proto text format:
--sla FILE, else $HELPDESK_SLA (see examples/helpdesk/sla.textproto).
Routing (tickets placed with agents as they come and go) needs a policy in
proto text format: --routing FILE, else $HELPDESK_ROUTING (see
examples/helpdesk/routing.textproto); tick then also runs routing's timers.
)";

// --- Arguments -----------------------------------------------------------------

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;

  bool Has(const std::string& f) const { return flags.contains(f); }
  std::optional<std::string> Get(const std::string& f) const {
    auto it = flags.find(f);
    if (it == flags.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  std::vector<std::string> All(const std::string& f) const {
    auto it = flags.find(f);
    return it == flags.end() ? std::vector<std::string>{} : it->second;
  }
};

// Flags that take no value.
bool IsSwitch(const std::string& f) {
  return f == "admin" || f == "light" || f == "all" || f == "help" || f == "ack" ||
         f == "dead";
}

absl::StatusOr<Args> Parse(int argc, char** argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      std::string name = s.substr(2);
      std::string value;
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (!IsSwitch(name)) {
        if (i + 1 >= argc) {
          return absl::InvalidArgumentError(
              absl::StrCat("flag --", name, " needs a value"));
        }
        value = argv[++i];
      }
      a.flags[name].push_back(value);
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

absl::StatusOr<std::string> Required(const Args& a, const std::string& flag) {
  std::optional<std::string> v = a.Get(flag);
  if (!v) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
  return *v;
}

absl::StatusOr<int64_t> TicketArg(const Args& a, size_t index,
                                  absl::string_view what = "TICKET") {
  if (a.positional.size() <= index) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  }
  int64_t id = 0;
  std::string s = a.positional[index];
  if (!s.empty() && s[0] == '#') s = s.substr(1);
  if (!absl::SimpleAtoi(s, &id) || id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " '", a.positional[index], "' is not a ticket number"));
  }
  return id;
}

absl::StatusOr<std::optional<int64_t>> VersionArg(const Args& a) {
  std::optional<std::string> v = a.Get("version");
  if (!v) return std::optional<int64_t>();
  int64_t n = 0;
  if (!absl::SimpleAtoi(*v, &n) || n <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--version '", *v, "' is not a version number"));
  }
  return std::optional<int64_t>(n);
}

// --- The desk --------------------------------------------------------------------

std::string DatabasePath(const Args& a) {
  if (std::optional<std::string> db = a.Get("db")) return *db;
  if (const char* env = std::getenv("HELPDESK_DB")) return env;
  return "helpdesk.db";
}

struct Session {
  std::unique_ptr<Store> store;
  RealClock real_clock;
  Clock* clock = &real_clock;
  std::unique_ptr<Desk> desk;
};

// The SLA configuration named by --sla or $HELPDESK_SLA, if any.
absl::StatusOr<std::optional<std::string>> SlaConfigText(const Args& a) {
  std::optional<std::string> path = a.Get("sla");
  if (!path) {
    if (const char* env = std::getenv("HELPDESK_SLA")) path = env;
  }
  if (!path) return std::optional<std::string>();
  std::ifstream in(*path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("--sla: cannot read '", *path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return std::optional<std::string>(text.str());
}

// The routing policy named by --routing or $HELPDESK_ROUTING, if any.
absl::StatusOr<std::optional<RoutingOptions>> RoutingConfig(const Args& a) {
  std::optional<std::string> path = a.Get("routing");
  if (!path) {
    if (const char* env = std::getenv("HELPDESK_ROUTING")) path = env;
  }
  if (!path) return std::optional<RoutingOptions>();
  std::ifstream in(*path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("--routing: cannot read '", *path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  // The first syntax error, with its place.
  class FirstError : public google::protobuf::io::ErrorCollector {
   public:
    void AddError(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
      if (error.empty()) error = absl::StrCat(line + 1, ":", column + 1, ": ", message);
    }
    std::string error;
  } errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  RoutingOptions r;
  if (!parser.ParseFromString(text.str(), &r.policy)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--routing: ", *path, ":", errors.error,
        " (want a helpdesk.v1.RoutingPolicyConfig in text format)"));
  }
  return std::optional<RoutingOptions>(std::move(r));
}

absl::StatusOr<std::unique_ptr<Session>> OpenSession(
    const std::string& path, bool create, Clock* clock = nullptr,
    const std::optional<std::string>& sla_text = std::nullopt,
    const std::string& desk_email = "", bool acknowledge = false,
    std::optional<RoutingOptions> routing = std::nullopt) {
  auto s = std::make_unique<Session>();
  if (clock != nullptr) s->clock = clock;
  SqliteStoreOptions options;
  options.create_if_missing = create;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path, options);
  if (absl::IsNotFound(store.status())) {
    return absl::NotFoundError(absl::StrCat(
        store.status().message(), " (run 'helpdesk init --db ", path, "' first)"));
  }
  if (!store.ok()) return store.status();
  s->store = *std::move(store);
  DeskOptions desk_options{.store = s->store.get(), .clock = s->clock};
  desk_options.ingest.desk_email = desk_email;
  desk_options.ingest.acknowledge_new_tickets = acknowledge;
  desk_options.routing = std::move(routing);
  if (sla_text) {
    absl::StatusOr<SlaEngine> sla =
        SlaEngine::FromText(*sla_text, desk_options.workflow);
    if (!sla.ok()) return sla.status();
    desk_options.sla = *std::move(sla);
  }
  absl::StatusOr<std::unique_ptr<Desk>> desk = Desk::Open(std::move(desk_options));
  if (!desk.ok()) return desk.status();
  s->desk = *std::move(desk);
  return s;
}

absl::StatusOr<v1::Agent> AgentByEmail(Desk& desk, const std::string& email) {
  absl::StatusOr<std::vector<v1::Agent>> agents = desk.ListAgents(SystemActor());
  if (!agents.ok()) return agents.status();
  std::string wanted = absl::AsciiStrToLower(email);
  for (const v1::Agent& a : *agents) {
    if (a.email() == wanted) return a;
  }
  return absl::NotFoundError(absl::StrCat("no agent has e-mail '", email, "'"));
}

absl::StatusOr<int64_t> GroupByName(Desk& desk, const std::string& name) {
  absl::StatusOr<std::vector<v1::Group>> groups = desk.ListGroups(SystemActor());
  if (!groups.ok()) return groups.status();
  for (const v1::Group& g : *groups) {
    if (g.name() == name) return g.id();
  }
  return absl::NotFoundError(absl::StrCat("no group is named '", name, "'"));
}

// The contact with this e-mail, created when missing.
absl::StatusOr<v1::Contact> ContactByEmail(Desk& desk, const std::string& email,
                                           bool create) {
  absl::StatusOr<v1::Contact> c = desk.FindContactByEmail(SystemActor(), email);
  if (c.ok() || !absl::IsNotFound(c.status()) || !create) return c;
  std::string name = email.substr(0, email.find('@'));
  return desk.CreateContact(SystemActor(), {.name = name, .emails = {email}});
}

absl::StatusOr<v1::Actor> ActingAgent(Desk& desk, const Args& a) {
  std::optional<std::string> email = a.Get("agent");
  if (!email) return SystemActor();
  absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *email);
  if (!agent.ok()) return agent.status();
  return AgentActor(agent->id());
}

// --- Printing ----------------------------------------------------------------------

std::string When(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M", FromTimestamp(ts), absl::UTCTimeZone());
}

std::string Cut(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t end = n - 3;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "...";
}

class Names {
 public:
  explicit Names(Desk& desk) {
    if (auto agents = desk.ListAgents(SystemActor()); agents.ok()) {
      for (const v1::Agent& a : *agents) agents_[a.id()] = a.name();
    }
    if (auto groups = desk.ListGroups(SystemActor()); groups.ok()) {
      for (const v1::Group& g : *groups) groups_[g.id()] = g.name();
    }
    desk_ = &desk;
  }
  std::string Agent(int64_t id) const {
    if (id == 0) return "-";
    auto it = agents_.find(id);
    return it == agents_.end() ? absl::StrCat("agent#", id) : it->second;
  }
  std::string Group(int64_t id) const {
    if (id == 0) return "-";
    auto it = groups_.find(id);
    return it == groups_.end() ? absl::StrCat("group#", id) : it->second;
  }
  std::string Contact(int64_t id) {
    auto it = contacts_.find(id);
    if (it != contacts_.end()) return it->second;
    std::string name = absl::StrCat("contact#", id);
    if (auto c = desk_->GetContact(SystemActor(), id); c.ok()) {
      name = c->name();
      for (const v1::ContactIdentity& i : c->identities()) {
        if (i.kind() == v1::ContactIdentity::EMAIL) {
          name = absl::StrCat(c->name(), " <", i.value(), ">");
          break;
        }
      }
    }
    contacts_[id] = name;
    return name;
  }
  std::string Actor(const v1::Actor& a) {
    switch (a.kind()) {
      case v1::Actor::AGENT:
        return Agent(a.id());
      case v1::Actor::CONTACT:
        return Contact(a.id());
      case v1::Actor::INTEGRATION:
        return absl::StrCat("integration ", a.name());
      default:
        return "system";
    }
  }

 private:
  Desk* desk_;
  std::map<int64_t, std::string> agents_, groups_, contacts_;
};

void PrintQueue(Desk& desk, const std::vector<v1::Ticket>& tickets) {
  Names names(desk);
  std::cout << absl::StrFormat("%-6s %-8s %-8s %-10s %-10s %-17s %s\n", "#", "STATUS",
                               "PRIORITY", "GROUP", "ASSIGNEE", "UPDATED (UTC)",
                               "SUBJECT");
  for (const v1::Ticket& t : tickets) {
    std::cout << absl::StrFormat(
        "%-6s %-8s %-8s %-10s %-10s %-17s %s\n", absl::StrCat("#", t.id()),
        t.status(), PriorityName(t.priority()), Cut(names.Group(t.group_id()), 10),
        Cut(names.Agent(t.assignee_id()), 10), When(t.updated_at()),
        Cut(t.subject(), 60));
  }
  if (tickets.empty()) std::cout << "(no tickets)\n";
}

void PrintTicket(Desk& desk, const TicketView& view) {
  Names names(desk);
  const v1::Ticket& t = view.ticket;
  std::cout << "#" << t.id() << " " << t.subject() << "\n";
  std::cout << "  status " << t.status() << ", priority " << PriorityName(t.priority())
            << ", type " << TicketTypeName(t.type()) << ", version " << t.version()
            << "\n";
  std::cout << "  requester " << names.Contact(t.requester_id()) << "; group "
            << names.Group(t.group_id()) << "; assignee "
            << names.Agent(t.assignee_id());
  if (t.sticky_agent_id() != 0) {
    std::cout << "; sticky agent " << names.Agent(t.sticky_agent_id());
  }
  std::cout << "\n";
  if (t.tags_size() > 0) {
    std::cout << "  tags " << absl::StrJoin(t.tags(), ", ") << "\n";
  }
  if (t.cc_contact_ids_size() > 0) {
    std::vector<std::string> ccs;
    for (int64_t id : t.cc_contact_ids()) ccs.push_back(names.Contact(id));
    std::cout << "  cc " << absl::StrJoin(ccs, ", ") << "\n";
  }
  for (const v1::TicketLink& l : t.links()) {
    std::cout << "  link " << absl::AsciiStrToLower(v1::TicketLink::Kind_Name(l.kind()))
              << " #" << l.ticket_id() << "\n";
  }
  if (t.merged_into() != 0) std::cout << "  merged into #" << t.merged_into() << "\n";
  for (const v1::Message& m : view.messages) {
    const char* kind = m.kind() == v1::Message::INTERNAL_NOTE  ? "internal note"
                       : m.kind() == v1::Message::PUBLIC_REPLY ? "reply"
                                                               : "message";
    std::cout << "\n  [" << When(m.created_at()) << "] " << kind << " from "
              << names.Actor(m.author());
    if (m.origin_ticket_id() != t.id()) {
      std::cout << " (from #" << m.origin_ticket_id() << ")";
    }
    std::cout << "\n";
    std::cout << "    " << absl::StrReplaceAll(m.body_text(), {{"\n", "\n    "}})
              << "\n";
    for (const v1::Attachment& a : m.attachments()) {
      std::cout << "    attachment " << a.file_name() << " (" << a.media_type() << ", "
                << a.size() << " bytes, sha256 " << a.sha256().substr(0, 12) << ")\n";
    }
  }
}

void PrintLog(Desk& desk, const std::vector<v1::Event>& events) {
  Names names(desk);
  for (const v1::Event& e : events) {
    std::string kind = absl::AsciiStrToLower(v1::Event::Kind_Name(e.kind()));
    std::cout << "[" << When(e.time()) << "] v" << e.ticket_version() << " " << kind
              << " by " << names.Actor(e.actor());
    if (e.related_ticket_id() != 0) std::cout << " (#" << e.related_ticket_id() << ")";
    if (e.message_id() != 0) {
      std::cout << " (message " << e.message_id() << ", "
                << absl::AsciiStrToLower(v1::Message::Kind_Name(
                       static_cast<v1::Message::Kind>(e.message_kind())))
                << ")";
    }
    std::cout << "\n";
    if (e.kind() >= v1::Event::ROUTED && !e.note().empty()) {
      std::cout << "    why: " << e.note() << "\n";
    }
    for (const v1::FieldChange& c : e.changes()) {
      std::cout << "    " << c.field() << ": "
                << (c.before().empty() ? "(none)" : Cut(c.before(), 50)) << " -> "
                << (c.after().empty() ? "(none)" : Cut(c.after(), 50)) << "\n";
    }
  }
}

// --- Commands ------------------------------------------------------------------------

absl::Status CmdInit(const Args& a) {
  std::string path = DatabasePath(a);
  absl::StatusOr<std::unique_ptr<Session>> s = OpenSession(path, true);
  if (!s.ok()) return s.status();
  std::cout << "helpdesk database ready at " << path << "\n";
  return absl::OkStatus();
}

absl::Status CmdGroup(Desk& desk, const Args& a) {
  if (a.positional.size() < 3 || a.positional[1] != "add") {
    return absl::InvalidArgumentError("usage: helpdesk group add NAME");
  }
  absl::StatusOr<v1::Group> g = desk.CreateGroup(SystemActor(), a.positional[2]);
  if (!g.ok()) return g.status();
  std::cout << "group " << g->id() << " " << g->name() << "\n";
  return absl::OkStatus();
}

absl::StatusOr<v1::Channel> ParseChannel(absl::string_view name) {
  v1::Channel c;
  if (!v1::Channel_Parse(absl::StrCat("CHANNEL_", absl::AsciiStrToUpper(name)), &c) ||
      c == v1::CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", name, "' is not a channel (email, chat, api, web_form, phone)"));
  }
  return c;
}

// "NAME:N" of --flag; the error shows `form`.
absl::StatusOr<std::pair<std::string, int>> NameAndNumber(absl::string_view flag,
                                                          const std::string& value,
                                                          absl::string_view form) {
  std::vector<std::string> parts = absl::StrSplit(value, ':');
  int n = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", value, "' is not ", form));
  }
  return std::make_pair(parts[0], n);
}

void PrintAgentLog(Desk& desk, const std::vector<v1::AgentEvent>& events) {
  Names names(desk);
  for (const v1::AgentEvent& e : events) {
    std::cout << "[" << When(e.time()) << "] v" << e.agent_version() << " "
              << absl::AsciiStrToLower(v1::AgentEvent::Kind_Name(e.kind())) << " by "
              << names.Actor(e.actor()) << "\n";
    for (const v1::FieldChange& c : e.changes()) {
      std::cout << "    " << c.field() << ": "
                << (c.before().empty() ? "(none)" : c.before()) << " -> "
                << (c.after().empty() ? "(none)" : c.after()) << "\n";
    }
    if (!e.note().empty()) std::cout << "    " << e.note() << "\n";
  }
}

absl::Status CmdAgentPresence(Desk& desk, const Args& a) {
  if (a.positional.size() < 4) {
    return absl::InvalidArgumentError(
        "usage: helpdesk agent presence EMAIL online|away|offline");
  }
  absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, a.positional[2]);
  if (!agent.ok()) return agent.status();
  absl::StatusOr<v1::Presence> p = ParsePresence(a.positional[3], "PRESENCE");
  if (!p.ok()) return p.status();
  absl::StatusOr<v1::Agent> changed = desk.SetAgentPresence(SystemActor(), agent->id(), *p);
  if (!changed.ok()) return changed.status();
  std::cout << changed->name() << " is " << PresenceName(changed->presence()) << "\n";
  absl::StatusOr<std::vector<v1::AgentEvent>> log =
      desk.AgentLog(SystemActor(), agent->id());
  if (log.ok() && !log->empty() && !log->back().note().empty() &&
      log->back().kind() == v1::AgentEvent::PRESENCE_CHANGED) {
    std::cout << log->back().note() << "\n";
  }
  return absl::OkStatus();
}

absl::Status CmdAgent(Desk& desk, const Args& a) {
  if (a.positional.size() >= 2 && a.positional[1] == "presence") {
    return CmdAgentPresence(desk, a);
  }
  if (a.positional.size() >= 2 && a.positional[1] == "log") {
    if (a.positional.size() < 3) {
      return absl::InvalidArgumentError("usage: helpdesk agent log EMAIL");
    }
    absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, a.positional[2]);
    if (!agent.ok()) return agent.status();
    absl::StatusOr<std::vector<v1::AgentEvent>> log =
        desk.AgentLog(SystemActor(), agent->id());
    if (!log.ok()) return log.status();
    PrintAgentLog(desk, *log);
    return absl::OkStatus();
  }
  if (a.positional.size() < 2 || a.positional[1] != "add") {
    return absl::InvalidArgumentError(
        "usage: helpdesk agent add --name N --email E [--group G]... | "
        "agent presence EMAIL STATE | agent log EMAIL");
  }
  NewAgent n;
  absl::StatusOr<std::string> name = Required(a, "name");
  if (!name.ok()) return name.status();
  absl::StatusOr<std::string> email = Required(a, "email");
  if (!email.ok()) return email.status();
  n.name = *name;
  n.email = *email;
  if (a.Has("admin")) n.role = v1::Agent::ADMIN;
  if (a.Has("light")) n.role = v1::Agent::LIGHT_AGENT;
  if (std::optional<std::string> access = a.Get("access")) {
    if (*access == "all") {
      n.ticket_access = v1::Agent::ALL;
    } else if (*access == "groups") {
      n.ticket_access = v1::Agent::GROUPS;
    } else if (*access == "assigned") {
      n.ticket_access = v1::Agent::ASSIGNED;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--access '", *access, "' is not one of all, groups, assigned"));
    }
  }
  for (const std::string& g : a.All("group")) {
    absl::StatusOr<int64_t> id = GroupByName(desk, g);
    if (!id.ok()) return id.status();
    n.group_ids.push_back(*id);
  }
  for (const std::string& sk : a.All("skill")) {
    absl::StatusOr<std::pair<std::string, int>> level =
        NameAndNumber("skill", sk, "NAME:LEVEL (e.g. spanish:4)");
    if (!level.ok()) return level.status();
    v1::Skill skill;
    skill.set_name(level->first);
    skill.set_level(level->second);
    n.skills.push_back(skill);
  }
  for (const std::string& cap : a.All("capacity")) {
    absl::StatusOr<std::pair<std::string, int>> limit =
        NameAndNumber("capacity", cap, "CHANNEL:N (e.g. email:10)");
    if (!limit.ok()) return limit.status();
    absl::StatusOr<v1::Channel> channel = ParseChannel(limit->first);
    if (!channel.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--capacity: ", channel.status().message()));
    }
    v1::ChannelCapacity c;
    c.set_channel(*channel);
    c.set_max_items(limit->second);
    n.capacity.push_back(c);
  }
  if (std::optional<std::string> backup = a.Get("backup")) {
    absl::StatusOr<v1::Agent> b = AgentByEmail(desk, *backup);
    if (!b.ok()) return b.status();
    n.backup_agent_id = b->id();
  }
  absl::StatusOr<v1::Agent> agent = desk.CreateAgent(SystemActor(), n);
  if (!agent.ok()) return agent.status();
  std::cout << "agent " << agent->id() << " " << agent->name() << " <"
            << agent->email() << ">\n";
  return absl::OkStatus();
}

absl::Status CmdAgents(Desk& desk) {
  Names names(desk);
  absl::StatusOr<std::vector<v1::Agent>> agents = desk.ListAgents(SystemActor());
  if (!agents.ok()) return agents.status();
  for (const v1::Agent& a : *agents) {
    std::vector<std::string> groups;
    for (int64_t g : a.group_ids()) groups.push_back(names.Group(g));
    std::cout << absl::StrFormat(
        "%-4d %-12s %-28s %-11s %-8s %s\n", a.id(), a.name(), a.email(),
        absl::AsciiStrToLower(v1::Agent::Role_Name(a.role())),
        a.deactivated() ? "inactive" : PresenceName(a.presence()),
        absl::StrJoin(groups, ","));
  }
  return absl::OkStatus();
}

absl::Status CmdCreate(Desk& desk, const Args& a) {
  absl::StatusOr<std::string> requester = Required(a, "requester");
  if (!requester.ok()) return requester.status();
  absl::StatusOr<std::string> subject = Required(a, "subject");
  if (!subject.ok()) return subject.status();
  absl::StatusOr<v1::Contact> contact = ContactByEmail(desk, *requester, true);
  if (!contact.ok()) return contact.status();
  NewTicket t;
  t.subject = *subject;
  t.requester_id = contact->id();
  t.description = a.Get("body").value_or("");
  if (std::optional<std::string> p = a.Get("priority")) {
    absl::StatusOr<v1::Priority> priority = ParsePriority(*p, "--priority");
    if (!priority.ok()) return priority.status();
    t.priority = *priority;
  }
  if (std::optional<std::string> ty = a.Get("type")) {
    absl::StatusOr<v1::TicketType> type = ParseTicketType(*ty, "--type");
    if (!type.ok()) return type.status();
    t.type = *type;
  }
  if (std::optional<std::string> g = a.Get("group")) {
    absl::StatusOr<int64_t> id = GroupByName(desk, *g);
    if (!id.ok()) return id.status();
    t.group_id = *id;
  }
  if (std::optional<std::string> as = a.Get("assignee")) {
    absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *as);
    if (!agent.ok()) return agent.status();
    t.assignee_id = agent->id();
  }
  t.tags = a.All("tag");
  for (const std::string& cc : a.All("cc")) {
    absl::StatusOr<v1::Contact> c = ContactByEmail(desk, cc, true);
    if (!c.ok()) return c.status();
    t.cc_contact_ids.push_back(c->id());
  }
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  absl::StatusOr<v1::Ticket> made = desk.CreateTicket(*actor, t);
  if (!made.ok()) return made.status();
  std::cout << "created ticket #" << made->id() << " (version " << made->version()
            << ")\n";
  return absl::OkStatus();
}

absl::Status CmdMessage(Desk& desk, const Args& a, v1::Message::Kind kind) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> body = Required(a, "body");
  if (!body.ok()) return body.status();
  absl::StatusOr<std::optional<int64_t>> version = VersionArg(a);
  if (!version.ok()) return version.status();
  v1::Actor actor;
  if (kind == v1::Message::CUSTOMER_MESSAGE) {
    absl::StatusOr<std::string> email = Required(a, "requester");
    if (!email.ok()) return email.status();
    absl::StatusOr<v1::Contact> c = ContactByEmail(desk, *email, false);
    if (!c.ok()) return c.status();
    actor = ContactActor(c->id());
  } else {
    absl::StatusOr<std::string> email = Required(a, "agent");
    if (!email.ok()) return email.status();
    absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *email);
    if (!agent.ok()) return agent.status();
    actor = AgentActor(agent->id());
  }
  absl::StatusOr<v1::Message> m = desk.AddMessage(
      actor, *id,
      {.kind = kind, .body_text = *body, .channel = v1::CHANNEL_AGENT,
       .expected_version = *version});
  if (!m.ok()) return m.status();
  std::cout << "added message " << m->id() << " to ticket #" << *id << "\n";
  return absl::OkStatus();
}

absl::Status CmdUpdate(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  TicketUpdate u;
  absl::StatusOr<std::optional<int64_t>> version = VersionArg(a);
  if (!version.ok()) return version.status();
  u.expected_version = *version;
  if (std::optional<std::string> s = a.Get("status")) u.status = *s;
  if (std::optional<std::string> s = a.Get("subject")) u.subject = *s;
  if (std::optional<std::string> p = a.Get("priority")) {
    absl::StatusOr<v1::Priority> priority = ParsePriority(*p, "--priority");
    if (!priority.ok()) return priority.status();
    u.priority = *priority;
  }
  if (std::optional<std::string> ty = a.Get("type")) {
    absl::StatusOr<v1::TicketType> type = ParseTicketType(*ty, "--type");
    if (!type.ok()) return type.status();
    u.type = *type;
  }
  if (std::optional<std::string> as = a.Get("assignee")) {
    if (*as == "none") {
      u.assignee_id = 0;
    } else {
      absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *as);
      if (!agent.ok()) return agent.status();
      u.assignee_id = agent->id();
    }
  }
  if (std::optional<std::string> g = a.Get("group")) {
    if (*g == "none") {
      u.group_id = 0;
    } else {
      absl::StatusOr<int64_t> gid = GroupByName(desk, *g);
      if (!gid.ok()) return gid.status();
      u.group_id = *gid;
    }
  }
  u.add_tags = a.All("add-tag");
  u.remove_tags = a.All("remove-tag");
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  absl::StatusOr<v1::Ticket> t = desk.UpdateTicket(*actor, *id, u);
  if (!t.ok()) return t.status();
  std::cout << "ticket #" << t->id() << " is at version " << t->version() << "\n";
  return absl::OkStatus();
}

absl::Status CmdMerge(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> source = TicketArg(a, 1, "SOURCE");
  if (!source.ok()) return source.status();
  absl::StatusOr<int64_t> target = TicketArg(a, 2, "TARGET");
  if (!target.ok()) return target.status();
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  absl::StatusOr<v1::Ticket> t = desk.MergeTickets(*actor, *source, *target);
  if (!t.ok()) return t.status();
  std::cout << "merged #" << *source << " into #" << *target << "\n";
  return absl::OkStatus();
}

absl::Status CmdList(Desk& desk, const Args& a) {
  TicketQuery q;
  q.statuses = a.All("status");
  if (q.statuses.empty() && !a.Has("all")) {
    q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                           v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD};
  }
  q.tags = a.All("tag");
  if (std::optional<std::string> g = a.Get("group")) {
    if (*g == "none") {
      q.group_id = 0;
    } else {
      absl::StatusOr<int64_t> id = GroupByName(desk, *g);
      if (!id.ok()) return id.status();
      q.group_id = *id;
    }
  }
  if (std::optional<std::string> as = a.Get("assignee")) {
    if (*as == "none") {
      q.assignee_id = 0;
    } else {
      absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *as);
      if (!agent.ok()) return agent.status();
      q.assignee_id = agent->id();
    }
  }
  if (std::optional<std::string> r = a.Get("requester")) {
    absl::StatusOr<v1::Contact> c = ContactByEmail(desk, *r, false);
    if (!c.ok()) return c.status();
    q.requester_id = c->id();
  }
  q.subject_contains = a.Get("search").value_or("");
  std::string sort = a.Get("sort").value_or("queue");
  if (sort == "queue") {
    q.sort = TicketSort::kPriorityThenOldest;
  } else if (sort == "created") {
    q.sort = TicketSort::kCreatedDesc;
  } else if (sort == "updated") {
    q.sort = TicketSort::kUpdatedDesc;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--sort '", sort, "' is not one of queue, created, updated"));
  }
  if (std::optional<std::string> l = a.Get("limit")) {
    if (!absl::SimpleAtoi(*l, &q.limit)) {
      return absl::InvalidArgumentError(absl::StrCat("--limit '", *l, "' is not a number"));
    }
  }
  absl::StatusOr<TicketPage> page = desk.QueryTickets(SystemActor(), q);
  if (!page.ok()) return page.status();
  PrintQueue(desk, page->tickets);
  if (!page->next_cursor.empty()) std::cout << "(more: raise --limit)\n";
  return absl::OkStatus();
}

absl::Status CmdShow(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  v1::Actor viewer = SystemActor();
  if (std::optional<std::string> as = a.Get("as")) {
    absl::StatusOr<v1::Contact> c = ContactByEmail(desk, *as, false);
    if (!c.ok()) return c.status();
    viewer = ContactActor(c->id());
  }
  absl::StatusOr<TicketView> view = desk.ViewTicket(viewer, *id);
  if (!view.ok()) return view.status();
  PrintTicket(desk, *view);
  return absl::OkStatus();
}

absl::Status CmdLog(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::vector<v1::Event>> log = desk.AuditLog(SystemActor(), *id);
  if (!log.ok()) return log.status();
  PrintLog(desk, *log);
  return absl::OkStatus();
}

void PrintSla(const SlaStatus& sla) {
  if (sla.policy.empty()) {
    std::cout << "no SLA policy applies\n";
    return;
  }
  std::cout << "policy " << sla.policy << "\n";
  std::cout << absl::StrFormat("  %-18s %-9s %-6s %-17s %-12s %s\n", "METRIC", "STATE",
                               "CYCLE", "DUE (UTC)", "LEFT", "TARGET");
  for (const SlaMetricStatus& m : sla.metrics) {
    std::cout << absl::StrFormat(
        "  %-18s %-9s %-6s %-17s %-12s %s%s\n", SlaMetricName(m.metric),
        SlaStateName(m.state), absl::StrCat(m.cycle, "/", m.cycles),
        m.due_at ? absl::FormatTime("%Y-%m-%d %H:%M", *m.due_at, absl::UTCTimeZone())
                 : "-",
        absl::FormatDuration(absl::Trunc(m.left, absl::Minutes(1))),
        absl::FormatDuration(m.target), m.business_hours ? " business" : "");
  }
  if (sla.next_deadline) {
    std::cout << "  next deadline "
              << absl::FormatTime("%Y-%m-%d %H:%M", *sla.next_deadline,
                                  absl::UTCTimeZone())
              << " UTC\n";
  }
}

absl::Status CmdSla(Desk& desk, const Args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "show") {
    return absl::InvalidArgumentError("usage: helpdesk sla show TICKET");
  }
  absl::StatusOr<int64_t> id = TicketArg(a, 2);
  if (!id.ok()) return id.status();
  absl::StatusOr<SlaStatus> sla = desk.TicketSla(SystemActor(), *id);
  if (!sla.ok()) return sla.status();
  PrintSla(*sla);
  return absl::OkStatus();
}

absl::Status CmdTick(Desk& desk, const Args& a, Clock& clock) {
  absl::Time at = clock.Now();
  if (std::optional<std::string> when = a.Get("at")) {
    std::string err;
    if (!absl::ParseTime("%Y-%m-%d %H:%M", *when, absl::UTCTimeZone(), &at, &err)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--at '", *when, "' is not 'YYYY-MM-DD HH:MM': ", err));
    }
  }
  absl::StatusOr<TickReport> r = desk.Tick(at);
  if (!r.ok()) return r.status();
  std::cout << "evaluated " << r->tickets_evaluated << " tickets: " << r->warnings
            << " warnings, " << r->breaches << " breaches\n";
  if (desk.options().routing) {
    std::cout << "routed " << r->routed << " tickets; " << r->offers_expired
              << " offers ran out\n";
  }
  return absl::OkStatus();
}

absl::Status CmdQueue(Desk& desk) {
  absl::StatusOr<RoutingSnapshot> snap = desk.RoutingState(SystemActor());
  if (!snap.ok()) return snap.status();
  std::cout << "policy " << snap->policy << ": " << snap->queued.size()
            << " waiting, " << snap->assigned << " with agents\n";
  Names names(desk);
  for (const RoutingSnapshot::Load& l : snap->load) {
    std::cout << "  " << names.Agent(l.agent_id) << ": " << l.items << " "
              << absl::AsciiStrToLower(
                     absl::StripPrefix(v1::Channel_Name(l.channel), "CHANNEL_"))
              << "\n";
  }
  for (const auto& [id, since] : snap->queued) {
    absl::StatusOr<v1::Ticket> t = desk.GetTicket(SystemActor(), id);
    std::cout << absl::StrFormat(
        "  #%-5d waiting since %s  %s\n", id,
        absl::FormatTime("%Y-%m-%d %H:%M", since, absl::UTCTimeZone()),
        t.ok() ? Cut(t->subject(), 60) : std::string("?"));
  }
  if (snap->next_wakeup != absl::InfiniteFuture()) {
    std::cout << "next time-based step at "
              << absl::FormatTime("%Y-%m-%d %H:%M:%S", snap->next_wakeup,
                                  absl::UTCTimeZone())
              << " (run tick)\n";
  }
  return absl::OkStatus();
}

// next / accept / decline: routing seen from one agent.
absl::Status CmdRoutingAgent(Desk& desk, const Args& a, const std::string& command) {
  absl::StatusOr<std::string> email = Required(a, "agent");
  if (!email.ok()) return email.status();
  absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *email);
  if (!agent.ok()) return agent.status();
  const v1::Actor actor = AgentActor(agent->id());
  absl::StatusOr<v1::Ticket> t;
  if (command == "next") {
    t = desk.NextTicketFor(actor, agent->id());
  } else {
    absl::StatusOr<int64_t> id = TicketArg(a, 1);
    if (!id.ok()) return id.status();
    t = command == "accept" ? desk.AcceptTicket(actor, *id) : desk.DeclineTicket(actor, *id);
  }
  if (!t.ok()) return t.status();
  if (command == "decline") {
    Names names(desk);
    std::cout << agent->name() << " gave back #" << t->id() << "; now with "
              << names.Agent(desk.GetTicket(SystemActor(), t->id())->assignee_id())
              << "\n";
    return absl::OkStatus();
  }
  std::cout << "#" << t->id() << " " << t->subject() << " is " << agent->name()
            << "'s";
  if (command == "next") {
    absl::StatusOr<v1::Event> why = desk.LastRoutingDecision(SystemActor(), t->id());
    if (why.ok()) std::cout << ": " << why->note();
  }
  std::cout << "\n";
  return absl::OkStatus();
}

std::string OutcomeName(const IngestResult& r) {
  if (r.duplicate) return "duplicate (already ingested)";
  switch (r.outcome) {
    case IngestResult::Outcome::kCreatedTicket:
      return r.follow_up_of != 0 ? absl::StrCat("follow-up of closed #", r.follow_up_of)
                                 : "new ticket";
    case IngestResult::Outcome::kAppended:
      return "added to ticket";
    case IngestResult::Outcome::kRecordedAutomatic:
      return "automatic mail recorded, not answered";
    case IngestResult::Outcome::kQuarantined:
      return absl::StrCat("QUARANTINED as entry ", r.quarantine_id, ": ", r.quarantine_reason);
  }
  return "?";
}

// Messages per Desk::IngestBatch call (one store transaction each).
constexpr size_t kIngestBatch = 100;

// One message to ingest: its name for the report and its bytes (or why they
// could not be read).
struct MailToIngest {
  std::string name;
  absl::StatusOr<std::string> raw;
};

// Parses `mail` and ingests it with one Desk::IngestBatch, printing a line per
// message; returns each message's status (a read failure is returned, not
// printed).
absl::StatusOr<std::vector<absl::Status>> IngestMail(Desk& desk, const InboundAdapter& email,
                                                     const std::vector<MailToIngest>& mail,
                                                     absl::Time now) {
  std::vector<absl::Status> statuses(mail.size());
  std::vector<v1::InboundMessage> parsed;
  std::vector<size_t> parsed_from;  // index into `mail` of each parsed message
  for (size_t i = 0; i < mail.size(); ++i) {
    if (!mail[i].raw.ok()) {
      statuses[i] = mail[i].raw.status();
      continue;
    }
    absl::StatusOr<v1::InboundMessage> m = email.Parse(*mail[i].raw, now);
    if (!m.ok()) {
      statuses[i] = m.status();
      continue;
    }
    parsed.push_back(*std::move(m));
    parsed_from.push_back(i);
  }
  absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> results =
      desk.IngestBatch(parsed);
  if (!results.ok()) return results.status();
  size_t next = 0;  // the next parsed message
  for (size_t i = 0; i < mail.size(); ++i) {
    const bool was_parsed = next < parsed_from.size() && parsed_from[next] == i;
    if (!was_parsed) {
      if (mail[i].raw.ok()) {
        std::cout << mail[i].name << ": refused: " << statuses[i].message() << "\n";
      }
      continue;
    }
    const v1::InboundMessage& m = parsed[next];
    const absl::StatusOr<IngestResult>& r = (*results)[next];
    ++next;
    if (!r.ok()) {
      std::cout << mail[i].name << ": refused: " << r.status().message() << "\n";
      statuses[i] = r.status();
      continue;
    }
    std::cout << mail[i].name << ": " << OutcomeName(*r);
    if (r->ticket_id != 0) std::cout << " #" << r->ticket_id;
    for (const std::string& w : m.warnings()) std::cout << "\n    warning: " << w;
    std::cout << "\n";
  }
  return statuses;
}

absl::Status CmdIngest(Desk& desk, const Args& a, Clock& clock) {
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  int failed = 0;
  int total = 0;
  // Ingests one batch in one transaction, as a poll does, and counts it.
  auto ingest = [&](const std::vector<MailToIngest>& mail)
      -> absl::StatusOr<std::vector<absl::Status>> {
    absl::StatusOr<std::vector<absl::Status>> statuses =
        IngestMail(desk, *email, mail, clock.Now());
    if (!statuses.ok()) return statuses;
    for (const absl::Status& s : *statuses) {
      ++total;
      if (!s.ok()) ++failed;
    }
    return statuses;
  };
  if (std::optional<std::string> dir = a.Get("maildir")) {
    absl::StatusOr<std::vector<MaildirMessage>> list = ReadMaildir(*dir);
    if (!list.ok()) return list.status();
    std::vector<const MaildirMessage*> unseen;
    for (const MaildirMessage& m : *list) {
      if (!m.seen) unseen.push_back(&m);
    }
    // As a poll does: a batch of messages per transaction.
    for (size_t start = 0; start < unseen.size(); start += kIngestBatch) {
      const size_t end = std::min(unseen.size(), start + kIngestBatch);
      std::vector<MailToIngest> mail;
      for (size_t k = start; k < end; ++k) {
        mail.push_back({unseen[k]->id, LoadMaildirMessage(*unseen[k])});
      }
      absl::StatusOr<std::vector<absl::Status>> statuses = ingest(mail);
      if (!statuses.ok()) return statuses.status();
      for (size_t k = start; k < end; ++k) {
        const absl::Status& s = (*statuses)[k - start];
        // A message the desk accepted, or one that can never be accepted (bad
        // input, blocked sender), is done; others stay for the next run.
        if (s.ok() || absl::IsInvalidArgument(s) || absl::IsPermissionDenied(s) ||
            absl::IsResourceExhausted(s)) {
          absl::Status marked = MarkMaildirMessageProcessed(*dir, *unseen[k]);
          if (!marked.ok()) return marked;
        }
      }
    }
  } else if (std::optional<std::string> path = a.Get("mbox")) {
    std::ifstream in(*path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("mbox ", *path, ": cannot read"));
    std::stringstream bytes;
    bytes << in.rdbuf();
    absl::StatusOr<std::vector<MboxMessage>> messages = SplitMbox(bytes.str());
    if (!messages.ok()) return messages.status();
    for (size_t start = 0; start < messages->size(); start += kIngestBatch) {
      const size_t end = std::min(messages->size(), start + kIngestBatch);
      std::vector<MailToIngest> mail;
      for (size_t k = start; k < end; ++k) {
        mail.push_back({absl::StrCat(*path, "#", k + 1), std::move((*messages)[k].raw)});
      }
      absl::Status batch = ingest(mail).status();
      if (!batch.ok()) return batch;
    }
  } else {
    std::vector<std::string> files = a.All("eml");
    for (size_t i = 1; i < a.positional.size(); ++i) files.push_back(a.positional[i]);
    if (files.empty()) {
      return absl::InvalidArgumentError(
          "usage: helpdesk ingest --eml FILE... | --maildir DIR | --mbox FILE");
    }
    for (size_t start = 0; start < files.size(); start += kIngestBatch) {
      const size_t end = std::min(files.size(), start + kIngestBatch);
      std::vector<MailToIngest> mail;
      for (size_t k = start; k < end; ++k) {
        std::ifstream in(files[k], std::ios::binary);
        if (!in) {
          std::cout << files[k] << ": cannot read\n";
          mail.push_back({files[k], absl::NotFoundError("cannot read")});
          continue;
        }
        std::stringstream raw;
        raw << in.rdbuf();
        mail.push_back({files[k], raw.str()});
      }
      absl::Status batch = ingest(mail).status();
      if (!batch.ok()) return batch;
    }
  }
  std::cout << total - failed << " of " << total << " messages ingested\n";
  return absl::OkStatus();
}

absl::Status CmdOutbox(Desk& desk, const Args& a, Clock& clock,
                       const std::string& desk_email) {
  if (a.positional.size() >= 2 && a.positional[1] == "send") {
    std::unique_ptr<MailTransport> transport;
    if (std::optional<std::string> dir = a.Get("maildir")) {
      transport = NewMaildirTransport(*dir);
    } else if (std::optional<std::string> url = a.Get("smtp")) {
      transport = NewSmtpTransport({.url = *url});
    } else {
      return absl::InvalidArgumentError(
          "usage: helpdesk outbox send --maildir DIR | --smtp URL");
    }
    EmailOutboundOptions options;
    options.sending_domain = desk_email.empty() ? "localhost"
                                                : desk_email.substr(desk_email.find('@') + 1);
    options.default_from.set_email(desk_email);
    options.clock = &clock;
    std::unique_ptr<OutboundAdapter> email = NewEmailOutbound(std::move(transport), options);
    absl::StatusOr<DispatchReport> r =
        desk.DispatchOutbox({{v1::CHANNEL_EMAIL, email.get()}}, clock.Now());
    if (!r.ok()) return r.status();
    std::cout << r->delivered << " delivered, " << r->retried << " to retry, " << r->dead
              << " dead\n";
    return absl::OkStatus();
  }
  if (a.positional.size() >= 3 && a.positional[1] == "replay") {
    int64_t id = 0;
    if (!absl::SimpleAtoi(a.positional[2], &id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("ENTRY '", a.positional[2], "' is not a number"));
    }
    absl::StatusOr<v1::OutboxEntry> e = desk.ReplayOutbox(SystemActor(), id);
    if (!e.ok()) return e.status();
    std::cout << "outbox entry " << id << " is pending again\n";
    return absl::OkStatus();
  }
  std::optional<v1::OutboxEntry::State> state;
  if (a.Has("dead")) state = v1::OutboxEntry::DEAD;
  absl::StatusOr<std::vector<v1::OutboxEntry>> entries =
      desk.ListOutbox(SystemActor(), state, 0, 1000);
  if (!entries.ok()) return entries.status();
  for (const v1::OutboxEntry& e : *entries) {
    std::vector<std::string> to;
    for (const v1::Party& p : e.message().to()) to.push_back(p.email());
    std::cout << absl::StrFormat(
        "%-4d %-9s attempts %d  #%d  to %s  %s%s\n", e.id(),
        absl::AsciiStrToLower(v1::OutboxEntry::State_Name(e.state())), e.attempts(),
        e.message().ticket_id(), absl::StrJoin(to, ","), Cut(e.message().subject(), 50),
        e.last_error().empty() ? "" : absl::StrCat("  (", e.last_error(), ")"));
  }
  if (entries->empty()) std::cout << "(outbox is empty)\n";
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

absl::Status CmdSim(const Args& a) {
  if (a.positional.size() < 2) {
    return absl::InvalidArgumentError("usage: helpdesk sim SCENARIO [--csv FILE] [--svg FILE]");
  }
  absl::StatusOr<v1::SimScenario> scenario = LoadSimScenario(a.positional[1]);
  if (!scenario.ok()) return scenario.status();
  absl::StatusOr<SimReport> report = RunSimulation(*scenario);
  if (!report.ok()) return report.status();
  std::cout << SimReportTable(*report);
  if (std::optional<std::string> csv = a.Get("csv")) {
    absl::Status s = WriteFile(*csv, SimReportCsv(*report));
    if (!s.ok()) return s;
  }
  if (std::optional<std::string> svg = a.Get("svg")) {
    absl::Status s = WriteFile(*svg, SimReportSvg(*report));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CmdErlang(const Args& a) {
  auto number = [&](const std::string& flag, double* out) -> absl::Status {
    std::optional<std::string> v = a.Get(flag);
    if (!v || !absl::SimpleAtod(*v, out)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " needs a number"));
    }
    return absl::OkStatus();
  };
  double rate = 0, aht = 0, agents = 0, target = 20;
  for (auto [flag, out] : {std::pair<const char*, double*>{"rate", &rate},
                           {"aht", &aht}, {"agents", &agents}}) {
    absl::Status s = number(flag, out);
    if (!s.ok()) return s;
  }
  if (a.Has("target")) {
    absl::Status s = number("target", &target);
    if (!s.ok()) return s;
  }
  ErlangCQueue q{.arrivals_per_hour = rate,
                 .mean_handling_time = absl::Seconds(aht),
                 .agents = static_cast<int>(agents)};
  absl::StatusOr<ErlangCResult> r = ErlangC(q);
  if (!r.ok()) return r.status();
  absl::StatusOr<double> sl = ErlangCServiceLevel(q, absl::Seconds(target));
  if (!sl.ok()) return sl.status();
  std::cout << absl::StrFormat(
      "utilisation %.3f, P(wait) %.4f, mean wait %.1f s, service level (%.0f s) %.4f\n",
      r->utilisation, r->probability_of_waiting, absl::ToDoubleSeconds(r->mean_wait),
      target, *sl);
  return absl::OkStatus();
}

// --- The demo -------------------------------------------------------------------------

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
    DEMO_ASSIGN(auto chat, plain->CreateGroup(sys, "Chat"));
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
  DEMO_ASSIGN(auto eve, desk.CreateAgent(sys, {.name = "Eve", .email = "eve@desk.example",
                                               .group_ids = {chat_group},
                                               .capacity = {two_chats}}));
  DEMO_ASSIGN(auto dee, desk.CreateAgent(sys, {.name = "Dee", .email = "dee@desk.example",
                                               .group_ids = {chat_group},
                                               .capacity = {two_chats},
                                               .backup_agent_id = eve.id()}));
  DEMO_CHECK(desk.SetAgentPresence(AgentActor(dee.id()), dee.id(), v1::PRESENCE_ONLINE));
  std::vector<v1::Ticket> chats;
  for (auto [who, subject] : {std::pair{ada, "Card declined at checkout"},
                              std::pair{grace, "Where is my invoice?"},
                              std::pair{ada, "Export to CSV fails"}}) {
    clock.Advance(absl::Seconds(20));
    DEMO_ASSIGN(v1::Ticket t,
                desk.CreateTicket(ContactActor(who),
                                  {.subject = subject, .description = "(chat)",
                                   .channel = v1::CHANNEL_CHAT}));
    // Customers cannot pick a group; the chat widget's integration does.
    DEMO_ASSIGN(t, desk.UpdateTicket(IntegrationActor("chat-widget"), t.id(),
                                     {.group_id = chat_group}));
    chats.push_back(t);
  }
  Names names(desk);
  auto owner = [&](const v1::Ticket& t) -> std::string {
    absl::StatusOr<v1::Ticket> now = desk.GetTicket(sys, t.id());
    return now.ok() ? names.Agent(now->assignee_id()) : now.status().ToString();
  };
  std::cout << "Dee is online (2 chats at once); three chats arrive: #" << chats[0].id()
            << " -> " << owner(chats[0]) << ", #" << chats[1].id() << " -> "
            << owner(chats[1]) << ", #" << chats[2].id() << " -> " << owner(chats[2])
            << " (waits: nobody has room)\n";
  DEMO_CHECK(desk.SetAgentPresence(AgentActor(eve.id()), eve.id(), v1::PRESENCE_ONLINE));
  std::cout << "Eve comes online: #" << chats[2].id() << " -> " << owner(chats[2]) << "\n";
  DEMO_CHECK(desk.AcceptTicket(AgentActor(eve.id()), chats[2].id()));
  DEMO_CHECK(desk.AcceptTicket(AgentActor(dee.id()), chats[0].id()));
  clock.Advance(absl::Minutes(3));
  DEMO_ASSIGN(TickReport tick, desk.Tick(clock.Now()));
  std::cout << "Dee accepts #" << chats[0].id() << " but lets the offer of #"
            << chats[1].id() << " run out: Tick expired " << tick.offers_expired
            << " offer(s) and routed " << tick.routed << "; #" << chats[1].id() << " -> "
            << owner(chats[1]) << "\n";
  DEMO_CHECK(desk.SetAgentPresence(AgentActor(dee.id()), dee.id(), v1::PRESENCE_OFFLINE));
  std::cout << "Dee goes offline: #" << chats[0].id() << " -> " << owner(chats[0])
            << " (her backup)\n";
  std::cout << "\n== Audit log of #" << chats[1].id() << " (routing events)\n";
  DEMO_ASSIGN(std::vector<v1::Event> log, desk.AuditLog(sys, chats[1].id()));
  PrintLog(desk, log);
  std::cout << "\n== Dee's agent log\n";
  DEMO_ASSIGN(std::vector<v1::AgentEvent> dee_log, desk.AgentLog(sys, dee.id()));
  PrintAgentLog(desk, dee_log);
  return absl::OkStatus();
}

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
  DEMO_ASSIGN(auto support, desk.CreateGroup(sys, "Support", "First line"));
  DEMO_ASSIGN(auto billing, desk.CreateGroup(sys, "Billing"));
  DEMO_ASSIGN(auto ana, desk.CreateAgent(
      sys, {.name = "Ana", .email = "ana@desk.example", .role = v1::Agent::ADMIN,
            .group_ids = {support.id(), billing.id()}}));
  DEMO_ASSIGN(auto bob, desk.CreateAgent(
      sys, {.name = "Bob", .email = "bob@desk.example", .group_ids = {support.id()}}));
  DEMO_ASSIGN(auto carla, desk.CreateAgent(
      sys, {.name = "Carla", .email = "carla@desk.example",
            .ticket_access = v1::Agent::GROUPS, .group_ids = {billing.id()}}));
  DEMO_ASSIGN(auto acme, desk.CreateOrganization(sys, "Acme Corp", {"acme.example"}));
  DEMO_ASSIGN(auto ada, desk.CreateContact(
      sys, {.name = "Ada Lovelace", .emails = {"ada@acme.example"},
            .organization_id = acme.id(), .time_zone = "Europe/London"}));
  DEMO_ASSIGN(auto grace, desk.CreateContact(
      sys, {.name = "Grace Hopper", .emails = {"grace@navy.example"}}));
  DEMO_ASSIGN(auto linus, desk.CreateContact(
      sys, {.name = "Linus", .emails = {"linus@kernel.example"},
            .phones = {"+358 40 123 4567"}}));
  std::cout << "Set up 2 groups, 3 agents (Ana admin, Bob, Carla billing-only), "
               "3 customers.\n\n";
  v1::Actor as_ana = AgentActor(ana.id()), as_bob = AgentActor(bob.id()),
            as_carla = AgentActor(carla.id());

  DEMO_ASSIGN(auto vpn, desk.CreateTicket(
      ContactActor(ada.id()),
      {.subject = "VPN disconnects every hour",
       .description = "Since Monday the VPN drops at :00 every hour.\nClient 4.2 on "
                      "Windows 11.",
       .channel = v1::CHANNEL_EMAIL}));
  clock.Advance(absl::Minutes(7));
  DEMO_ASSIGN(auto invoice, desk.CreateTicket(
      ContactActor(grace.id()),
      {.subject = "Invoice #2291 charged twice",
       .description = "My card was charged twice for November.",
       .attachments = {{.file_name = "statement.csv", .media_type = "text/csv",
                        .content = "date,amount\n2026-11-01,49.00\n2026-11-01,49.00\n"}},
       .priority = v1::PRIORITY_HIGH, .channel = v1::CHANNEL_WEB_FORM}));
  clock.Advance(absl::Minutes(3));
  DEMO_ASSIGN(auto vpn2, desk.CreateTicket(
      ContactActor(ada.id()),
      {.subject = "Re: VPN keeps dropping",
       .description = "Sorry, sent this twice: the VPN drops again.",
       .channel = v1::CHANNEL_EMAIL}));
  clock.Advance(absl::Minutes(2));
  DEMO_ASSIGN(auto outage, desk.CreateTicket(
      as_bob, {.subject = "Login page returns 502",
               .requester_id = linus.id(),
               .description = "Customer phoned: login fails with a 502.",
               .priority = v1::PRIORITY_URGENT, .type = v1::TICKET_TYPE_INCIDENT,
               .tags = {"outage", "web"}, .group_id = support.id(),
               .channel = v1::CHANNEL_PHONE}));
  std::cout << "Customers opened #" << vpn.id() << ", #" << invoice.id() << ", #"
            << vpn2.id() << "; Bob logged phone ticket #" << outage.id() << ".\n";

  clock.Advance(absl::Minutes(10));
  DEMO_CHECK(desk.UpdateTicket(as_ana, invoice.id(),
                             {.assignee_id = carla.id(), .group_id = billing.id(),
                              .add_tags = {"refund"}}));
  DEMO_CHECK(desk.UpdateTicket(as_bob, vpn.id(),
                             {.status = "open", .assignee_id = bob.id(),
                              .group_id = support.id(), .add_tags = {"vpn"}}));
  DEMO_CHECK(desk.AddMessage(as_bob, vpn.id(),
                           {.kind = v1::Message::INTERNAL_NOTE,
                            .body_text = "4.2 has the hourly re-key bug; 4.3 fixes it."}));
  DEMO_CHECK(desk.AddMessage(as_bob, vpn.id(),
                           {.kind = v1::Message::PUBLIC_REPLY,
                            .body_text = "Hi Ada, please update the client to 4.3 and "
                                         "tell us if it still drops."}));
  DEMO_CHECK(desk.UpdateTicket(as_bob, vpn.id(), {.status = "pending"}));
  std::cout << "Bob took #" << vpn.id()
            << ": internal note, public reply, status pending.\n";

  clock.Advance(absl::Minutes(4));
  DEMO_ASSIGN(auto merged, desk.MergeTickets(as_bob, vpn2.id(), vpn.id()));
  std::cout << "Bob merged duplicate #" << vpn2.id() << " into #" << vpn.id() << " (now "
            << merged.message_count() << " messages).\n";
  DEMO_CHECK(desk.LinkTickets(as_bob, outage.id(), v1::TicketLink::RELATED, vpn.id()));

  // Two agents edit #invoice at once: the second write is stale.
  clock.Advance(absl::Minutes(5));
  DEMO_ASSIGN(v1::Ticket seen_by_ana, desk.GetTicket(as_ana, invoice.id()));
  DEMO_ASSIGN(v1::Ticket seen_by_carla, desk.GetTicket(as_carla, invoice.id()));
  DEMO_CHECK(desk.UpdateTicket(as_carla, invoice.id(),
                             {.status = "open", .priority = v1::PRIORITY_URGENT,
                              .expected_version = seen_by_carla.version()}));
  absl::StatusOr<v1::Ticket> stale =
      desk.UpdateTicket(as_ana, invoice.id(),
                        {.priority = v1::PRIORITY_LOW,
                         .expected_version = seen_by_ana.version()});
  std::cout << "Carla and Ana edited #" << invoice.id()
            << " from the same version; Ana's write was refused:\n  "
            << stale.status() << "\n";
  if (stale.ok()) return absl::InternalError("demo: the stale write was accepted");
  DEMO_CHECK(desk.AddMessage(as_carla, invoice.id(),
                           {.kind = v1::Message::PUBLIC_REPLY,
                            .body_text = "Refunded the duplicate charge of 49.00."}));
  DEMO_CHECK(desk.UpdateTicket(as_carla, invoice.id(), {.status = "solved"}));

  clock.Advance(absl::Minutes(30));
  DEMO_CHECK(desk.AddMessage(ContactActor(ada.id()), vpn.id(),
                           {.kind = v1::Message::CUSTOMER_MESSAGE,
                            .body_text = "Updated to 4.3, still drops once a day.",
                            .channel = v1::CHANNEL_EMAIL}));
  std::cout << "Ada replied on #" << vpn.id() << ": pending -> open again.\n";

  // Carla sees only Billing; customers only their own tickets.
  absl::Status hidden = desk.GetTicket(as_carla, vpn.id()).status();
  absl::Status foreign = desk.GetTicket(ContactActor(grace.id()), vpn.id()).status();
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
  DEMO_ASSIGN(TicketPage page, desk.QueryTickets(as_ana, queue));
  std::cout << "== The queue (unsolved, most urgent first)\n";
  PrintQueue(desk, page.tickets);

  std::cout << "\n== Ticket #" << vpn.id() << " as Bob sees it\n";
  DEMO_ASSIGN(TicketView bob_view, desk.ViewTicket(as_bob, vpn.id()));
  PrintTicket(desk, bob_view);
  std::cout << "\n== Ticket #" << vpn.id() << " as Ada sees it (no internal notes)\n";
  DEMO_ASSIGN(TicketView ada_view, desk.ViewTicket(ContactActor(ada.id()), vpn.id()));
  PrintTicket(desk, ada_view);
  std::cout << "\n== SLA clocks of #" << outage.id() << " (breached) and #" << vpn.id()
            << " (its resolution clock paused while pending)\n";
  DEMO_ASSIGN(SlaStatus outage_sla, desk.TicketSla(as_ana, outage.id()));
  PrintSla(outage_sla);
  DEMO_ASSIGN(SlaStatus vpn_sla, desk.TicketSla(as_ana, vpn.id()));
  PrintSla(vpn_sla);
  std::cout << "\n== Audit log of #" << vpn.id() << "\n";
  DEMO_ASSIGN(std::vector<v1::Event> log, desk.AuditLog(as_ana, vpn.id()));
  PrintLog(desk, log);
  std::cout << "\n== Audit log of #" << outage.id() << " (SLA events)\n";
  DEMO_ASSIGN(std::vector<v1::Event> outage_log, desk.AuditLog(as_ana, outage.id()));
  PrintLog(desk, outage_log);
  DEMO_CHECK(DemoRouting(*session->store, clock, ada.id(), grace.id()));
  std::cout << "\nThe database stays at " << path
            << "; try: helpdesk list --db " << path << "\n";
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  absl::StatusOr<Args> args = Parse(argc, argv, 1);
  if (!args.ok()) {
    std::cerr << "helpdesk: " << args.status().message() << "\n";
    return 2;
  }
  absl::Status status;
  if (command == "demo") {
    status = CmdDemo(*args);
  } else if (command == "sim") {
    status = CmdSim(*args);
  } else if (command == "erlang") {
    status = CmdErlang(*args);
  } else if (command == "init") {
    status = CmdInit(*args);
  } else {
    absl::StatusOr<std::optional<std::string>> sla_text = SlaConfigText(*args);
    std::string desk_email = args->Get("desk-email").value_or("");
    if (desk_email.empty()) {
      if (const char* env = std::getenv("HELPDESK_EMAIL")) desk_email = env;
    }
    absl::StatusOr<std::optional<RoutingOptions>> routing = RoutingConfig(*args);
    absl::StatusOr<std::unique_ptr<Session>> session =
        !sla_text.ok()  ? absl::StatusOr<std::unique_ptr<Session>>(sla_text.status())
        : !routing.ok() ? absl::StatusOr<std::unique_ptr<Session>>(routing.status())
                        : OpenSession(DatabasePath(*args), false, nullptr, *sla_text,
                                      desk_email, args->Has("ack"), *routing);
    if (!session.ok()) {
      status = session.status();
    } else {
      Desk& desk = *(*session)->desk;
      if (command == "group") {
        status = CmdGroup(desk, *args);
      } else if (command == "agent") {
        status = CmdAgent(desk, *args);
      } else if (command == "agents") {
        status = CmdAgents(desk);
      } else if (command == "create") {
        status = CmdCreate(desk, *args);
      } else if (command == "reply") {
        status = CmdMessage(desk, *args, v1::Message::PUBLIC_REPLY);
      } else if (command == "note") {
        status = CmdMessage(desk, *args, v1::Message::INTERNAL_NOTE);
      } else if (command == "comment") {
        status = CmdMessage(desk, *args, v1::Message::CUSTOMER_MESSAGE);
      } else if (command == "update") {
        status = CmdUpdate(desk, *args);
      } else if (command == "merge") {
        status = CmdMerge(desk, *args);
      } else if (command == "list") {
        status = CmdList(desk, *args);
      } else if (command == "show") {
        status = CmdShow(desk, *args);
      } else if (command == "log") {
        status = CmdLog(desk, *args);
      } else if (command == "ingest") {
        status = CmdIngest(desk, *args, *(*session)->clock);
      } else if (command == "outbox") {
        status = CmdOutbox(desk, *args, *(*session)->clock, desk_email);
      } else if (command == "sla") {
        status = CmdSla(desk, *args);
      } else if (command == "queue") {
        status = CmdQueue(desk);
      } else if (command == "next" || command == "accept" || command == "decline") {
        status = CmdRoutingAgent(desk, *args, command);
      } else if (command == "tick") {
        status = CmdTick(desk, *args, *(*session)->clock);
      } else {
        std::cerr << "helpdesk: unknown command '" << command << "'\n" << kUsage;
        return 2;
      }
    }
  }
  if (!status.ok()) {
    std::cerr << "helpdesk: " << absl::StatusCodeToString(status.code()) << ": "
              << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace helpdesk::cli

int main(int argc, char** argv) { return helpdesk::cli::Main(argc, argv); }
