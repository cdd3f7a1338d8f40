// helpdesk sim, erlang.
#include <memory>
#include <iostream>
#include <optional>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/desk.h"
#include "helpdesk/sim.h"
#include "helpdesk/sim_history.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

// "YYYY-MM-DD" or "YYYY-MM-DD HH:MM", UTC.
absl::StatusOr<absl::Time> TimeFlag(const std::string& flag, const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err) &&
      !absl::ParseTime("%Y-%m-%d %H:%M", text, absl::UTCTimeZone(), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", text, "' is not 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM'"));
  }
  return t;
}

// Replay (issue 16): the scenario of the desk's own history.
absl::StatusOr<v1::SimScenario> HistoryScenario(const Args& a) {
  absl::StatusOr<std::string> since_text = Required(a, "since");
  if (!since_text.ok()) return since_text.status();
  HistorySpec spec;
  absl::StatusOr<absl::Time> since = TimeFlag("since", *since_text);
  if (!since.ok()) return since.status();
  spec.since = *since;
  spec.until = absl::Now();
  if (std::optional<std::string> until_text = a.Get("until")) {
    absl::StatusOr<absl::Time> until = TimeFlag("until", *until_text);
    if (!until.ok()) return until.status();
    spec.until = *until;
  }
  if (std::optional<std::string> zone = a.Get("zone")) {
    if (!absl::LoadTimeZone(*zone, &spec.zone)) {
      return absl::InvalidArgumentError(absl::StrCat("--zone '", *zone, "' is not a time zone"));
    }
  }
  absl::StatusOr<std::optional<int64_t>> replications =
      WholeNumberFlag(a, "replications", 1, 1000);
  if (!replications.ok()) return replications.status();
  if (*replications) spec.replications = static_cast<int>(**replications);
  for (const std::string& name : a.All("policy")) {
    v1::SimPolicy p;
    v1::RoutingPolicyConfig& c = *p.mutable_policy();
    if (name == "fifo") {
      c.mutable_fifo();
    } else if (name == "round_robin") {
      c.mutable_round_robin();
    } else if (name == "least_loaded") {
      c.mutable_least_loaded();
    } else if (name == "skills") {
      c.mutable_skills();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--policy '", name, "' is not a policy (fifo, round_robin, least_loaded, skills)"));
    }
    p.set_label(name);
    spec.policies.push_back(p);
  }
  absl::StatusOr<std::unique_ptr<Session>> session = OpenSession(DatabasePath(a), false);
  if (!session.ok()) return session.status();
  return (*session)->desk->reports().SimScenarioFromHistory(SystemActor(), spec);
}

absl::Status CmdSim(const Args& a) {
  absl::StatusOr<v1::SimScenario> scenario;
  if (a.Has("from-history")) {
    scenario = HistoryScenario(a);
  } else if (a.positional.size() < 2) {
    return absl::InvalidArgumentError(
        "usage: helpdesk sim SCENARIO [--csv FILE] [--svg FILE], or helpdesk sim "
        "--from-history --since DATE [--until DATE] [--policy P]...");
  } else {
    scenario = LoadSimScenario(a.positional[1]);
  }
  if (!scenario.ok()) return scenario.status();
  if (std::optional<std::string> out = a.Get("scenario-out")) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(*scenario, &text);
    absl::Status s = WriteOutputFile(*out, text);
    if (!s.ok()) return s;
  }
  SimOptions options;
  absl::StatusOr<std::optional<int64_t>> max_tickets =
      WholeNumberFlag(a, "max-tickets", 1, std::numeric_limits<int64_t>::max());
  if (!max_tickets.ok()) return max_tickets.status();
  if (*max_tickets) options.max_tickets = **max_tickets;
  absl::StatusOr<std::optional<int64_t>> max_memory_mb = WholeNumberFlag(
      a, "max-memory-mb", 1, std::numeric_limits<int64_t>::max() >> 20);
  if (!max_memory_mb.ok()) return max_memory_mb.status();
  if (*max_memory_mb) options.max_memory_bytes = **max_memory_mb << 20;
  absl::StatusOr<SimReport> report = RunSimulation(*scenario, options);
  if (!report.ok()) return report.status();
  std::cout << SimReportTable(*report);
  if (std::optional<std::string> csv = a.Get("csv")) {
    absl::Status s = WriteOutputFile(*csv, SimReportCsv(*report));
    if (!s.ok()) return s;
  }
  if (std::optional<std::string> svg = a.Get("svg")) {
    absl::Status s = WriteOutputFile(*svg, SimReportSvg(*report));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Bounds of erlang's flags: beyond them the answers mean nothing (and the
// Erlang B recurrence runs once per agent).
constexpr double kMaxRatePerHour = 1e9;
constexpr double kMaxSeconds = 1e7;  // about 115 days
constexpr int64_t kMaxAgents = 100000;

absl::Status CmdErlang(const Args& a) {
  // A flag that must be given.
  auto required = [](auto value, absl::string_view flag) -> decltype(value) {
    if (value.ok() && !*value) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
    }
    return value;
  };
  absl::StatusOr<std::optional<double>> rate =
      required(DecimalNumberFlag(a, "rate", 0, kMaxRatePerHour), "rate");
  if (!rate.ok()) return rate.status();
  absl::StatusOr<std::optional<double>> aht =
      required(DecimalNumberFlag(a, "aht", 0, kMaxSeconds), "aht");
  if (!aht.ok()) return aht.status();
  absl::StatusOr<std::optional<int64_t>> agents =
      required(WholeNumberFlag(a, "agents", 1, kMaxAgents), "agents");
  if (!agents.ok()) return agents.status();
  absl::StatusOr<std::optional<double>> target_flag =
      DecimalNumberFlag(a, "target", 0, kMaxSeconds);
  if (!target_flag.ok()) return target_flag.status();
  const double target = target_flag->value_or(20);
  ErlangCQueue q{.arrivals_per_hour = **rate,
                 .mean_handling_time = absl::Seconds(**aht),
                 .agents = static_cast<int>(**agents)};
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

}  // namespace

CommandGroup SimCommands() {
  return {
      "Staffing and routing policies",
      {
          {.name = "sim",
           .summary = "run routing policies side by side on a simulated load",
           .usage = "sim SCENARIO [--csv FILE] [--svg FILE] [--max-tickets N]\n"
                    "    [--max-memory-mb N]\n"
                    "sim --from-history --since DATE [--until DATE] [--policy P]...\n"
                    "    [--zone ZONE] [--replications N] [--scenario-out FILE] [...]",
           .flags = "  SCENARIO            a helpdesk.v1.SimScenario in text format\n"
                    "                      (see examples/helpdesk/scenario.textproto)\n"
                    "  --csv FILE          also write the figures as CSV\n"
                    "  --svg FILE          also write bar charts as SVG\n"
                    "  --max-tickets N     refuse a run expected to simulate more tickets\n"
                    "                      (all policies and replications; default\n"
                    "                      100000000)\n"
                    "  --max-memory-mb N   refuse a run that could need more memory (one\n"
                    "                      replication; default 4096)\n"
                    "  --from-history      replay the desk's own history (--db): derive the\n"
                    "                      scenario from its audit log from --since to\n"
                    "                      --until (default now), 'YYYY-MM-DD [HH:MM]' UTC\n"
                    "  --policy P          fifo, round_robin, least_loaded or skills; repeat\n"
                    "                      to compare (default all four)\n"
                    "  --zone ZONE         zone of the hourly rates and shifts (default UTC)\n"
                    "  --replications N    runs per policy (default 5)\n"
                    "  --scenario-out FILE also write the scenario as text\n",
           .opens_desk = false,
           .run = [](const CommandContext& c) { return CmdSim(c.args); }},
          {.name = "erlang",
           .summary = "Erlang C: waiting probability, mean wait, service level of M/M/N",
           .usage = "erlang --rate R --aht SECONDS --agents N [--target SECONDS]",
           .flags = "  --rate R            tickets arriving per hour (up to 1000000000)\n"
                    "  --aht SECONDS       mean handling time (up to 10000000)\n"
                    "  --agents N          agents working (1 to 100000)\n"
                    "  --target SECONDS    the service level's answer time (default 20)\n",
           .opens_desk = false,
           .run = [](const CommandContext& c) { return CmdErlang(c.args); }},
      }};
}
}  // namespace helpdesk::cli
