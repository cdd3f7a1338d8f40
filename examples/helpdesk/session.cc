// The desk the helpdesk CLI works on, and `helpdesk init`.
#include "session.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "flags.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "absl/strings/match.h"
#include "helpdesk/storage/sqlite_store.h"
#ifdef HELPDESK_CLI_WITH_POSTGRES
#include "helpdesk/storage/postgres_store.h"
#endif

namespace helpdesk::cli {

std::string DatabasePath(const Args& a) {
  if (std::optional<std::string> store = a.Get("store")) return *store;
  if (std::optional<std::string> db = a.Get("db")) return *db;
  if (const char* env = std::getenv("HELPDESK_STORE")) return env;
  if (const char* env = std::getenv("HELPDESK_DB")) return env;
  return "helpdesk.db";
}

absl::StatusOr<std::unique_ptr<Store>> OpenStoreNamed(const std::string& name, bool create) {
#ifdef HELPDESK_CLI_WITH_POSTGRES
  if (IsPostgresConnectionString(name)) {
    PostgresStoreOptions options;
    options.create_if_missing = create;
    return OpenPostgresStore(name, options);
  }
#else
  if (absl::StartsWith(name, "postgresql://") || absl::StartsWith(name, "postgres://")) {
    return absl::UnimplementedError(
        "this helpdesk was built without PostgreSQL (HELPDESK_WITH_POSTGRES)");
  }
#endif
  SqliteStoreOptions options;
  options.create_if_missing = create;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(name, options);
  if (absl::IsNotFound(store.status())) {
    return absl::NotFoundError(absl::StrCat(
        store.status().message(), " (run 'helpdesk init --db ", name, "' first)"));
  }
  return store;
}

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
    const std::string& path, bool create, Clock* clock,
    const std::optional<std::string>& sla_text, const std::string& desk_email,
    bool acknowledge, std::optional<RoutingOptions> routing,
    std::function<absl::Status(DeskOptions&)> configure) {
  auto s = std::make_unique<Session>();
  if (clock != nullptr) s->clock = clock;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStoreNamed(path, create);
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
  if (configure) {
    absl::Status configured = configure(desk_options);
    if (!configured.ok()) return configured;
  }
  absl::StatusOr<std::unique_ptr<Desk>> desk = Desk::Open(std::move(desk_options));
  if (!desk.ok()) return desk.status();
  s->desk = *std::move(desk);
  return s;
}

const char kLeaseFlags[] =
    "  --lease-holder NAME this process's name for the desk lease (default\n"
    "                      HOST:PID); with a store shared by several processes only\n"
    "                      the lease holder ticks and push-routes\n"
    "  --lease-ttl SECONDS how long the lease lasts unrenewed (default 30)\n";

absl::StatusOr<DeskLeaseOptions> DeskLeaseFromArgs(const Args& a) {
  DeskLeaseOptions lease;
  if (std::optional<std::string> holder = a.Get("lease-holder")) {
    if (holder->empty()) return absl::InvalidArgumentError("--lease-holder '' is empty");
    lease.holder = *holder;
  } else {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
      std::snprintf(host, sizeof(host), "localhost");
    }
    lease.holder = absl::StrCat(host, ":", getpid());
  }
  absl::StatusOr<std::optional<int64_t>> ttl = WholeNumberFlag(a, "lease-ttl", 1, 86400);
  if (!ttl.ok()) return ttl.status();
  if (*ttl) lease.ttl = absl::Seconds(**ttl);
  return lease;
}

std::string LeaseSkipLine(const TickReport& report, const DeskLeaseOptions& lease) {
  if (report.lease_held) return "";
  return absl::StrCat("skipped: the desk lease '", lease.name, "' is held by ",
                      report.lease_holder.empty() ? "another process" : report.lease_holder,
                      " (this process is ", lease.holder, ")");
}

absl::StatusOr<v1::Agent> AgentByEmail(Desk& desk, const std::string& email) {
  absl::StatusOr<std::vector<v1::Agent>> agents = desk.people().ListAgents(SystemActor());
  if (!agents.ok()) return agents.status();
  std::string wanted = absl::AsciiStrToLower(email);
  for (const v1::Agent& a : *agents) {
    if (a.email() == wanted) return a;
  }
  return absl::NotFoundError(absl::StrCat("no agent has e-mail '", email, "'"));
}

absl::StatusOr<int64_t> GroupByName(Desk& desk, const std::string& name) {
  absl::StatusOr<std::vector<v1::Group>> groups = desk.people().ListGroups(SystemActor());
  if (!groups.ok()) return groups.status();
  for (const v1::Group& g : *groups) {
    if (g.name() == name) return g.id();
  }
  return absl::NotFoundError(absl::StrCat("no group is named '", name, "'"));
}

absl::StatusOr<v1::Actor> ActingAgent(Desk& desk, const Args& a) {
  std::optional<std::string> email = a.Get("agent");
  if (!email) return SystemActor();
  absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *email);
  if (!agent.ok()) return agent.status();
  return AgentActor(agent->id());
}

namespace {

absl::Status CmdInit(const Args& a) {
  std::string path = DatabasePath(a);
  absl::StatusOr<std::unique_ptr<Session>> s = OpenSession(path, true);
  if (!s.ok()) return s.status();
  std::cout << "helpdesk database ready at "
            << (absl::StrContains(path, "://") ? "the PostgreSQL store" : path) << "\n";
  return absl::OkStatus();
}

}  // namespace

CommandGroup SetupCommands() {
  return {
      "Getting started",
      {
          {.name = "demo",
           .summary = "run a guided tour on a fresh database",
           .usage = "demo [--db FILE]",
           .flags = "  --db FILE           the new database (default: a new file in the\n"
                    "                      temp directory); must not exist\n",
           .opens_desk = false,
           .run = [](const CommandContext& c) { return CmdDemo(c.args); }},
          {.name = "init",
           .summary = "create the database file",
           .usage = "init [--db FILE | --store postgresql://...]",
           .flags = "  --db FILE           the database (default $HELPDESK_STORE, else\n"
                    "                      $HELPDESK_DB, else ./helpdesk.db)\n"
                    "  --store URL|FILE    a PostgreSQL connection string or a file\n",
           .opens_desk = false,
           .run = [](const CommandContext& c) { return CmdInit(c.args); }},
          {.name = "migrate",
           .summary = "copy a store (SQLite or PostgreSQL) into an empty one",
           .usage = "migrate --from FILE|URL --to FILE|URL [--allow-non-empty]",
           .flags = "  --from FILE|URL     the store to copy (left unchanged)\n"
                    "  --to FILE|URL       the target (created if missing); must be empty\n"
                    "  --allow-non-empty   try a non-empty target anyway (fails, writing\n"
                    "                      nothing, at the first id it already uses)\n"
                    "Copies everything, ids kept, in one transaction (a failure writes\n"
                    "nothing): people, agents and their events, tickets, messages, events,\n"
                    "attachments, tracking links, automation state, time entries, views,\n"
                    "KB articles (revisions, votes, views) and suggestion sessions, outbox,\n"
                    "quarantine; thread keys and idempotency records from an SQLite source.\n"
                    "Not copied: versions (restart at 1), leases (live processes take them\n"
                    "afresh), attachment contents no message references.\n",
           .opens_desk = false,
           .run = [](const CommandContext& c) { return CmdMigrate(c.args); }},
      }};
}

}  // namespace helpdesk::cli
