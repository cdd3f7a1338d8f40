#include "helpdesk/workflow.h"

#include <cstdlib>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "internal/status_macros.h"
#include "internal/text_proto.h"

namespace helpdesk {

struct Workflow::Tables {
  v1::WorkflowConfig config;
  absl::flat_hash_map<std::string, int> index;
  std::vector<v1::StatusCategory> category;
  // guards[from][to]: for each transition allowing the move, its guards.
  std::vector<std::vector<std::vector<std::vector<v1::TransitionGuard>>>> moves;
  std::vector<int> reopen_to;  // per status: target index or -1
  int initial = 0;
  int merged = 0;
};

namespace {

constexpr absl::string_view kAnyStatus = "*";

absl::Status CheckName(absl::string_view field, absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", name, "' must be 1 to 64 bytes"));
  }
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' ||
          c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " '", absl::CHexEscape(name),
          "' may hold only lower-case letters, digits, '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

std::string GuardText(v1::TransitionGuard g) {
  switch (g) {
    case v1::GUARD_ASSIGNEE:
      return "an assignee";
    case v1::GUARD_GROUP:
      return "a group";
    case v1::GUARD_PUBLIC_REPLY:
      return "a public reply by an agent";
    case v1::GUARD_TYPE:
      return "a ticket type";
    default:
      return v1::TransitionGuard_Name(g);
  }
}

bool GuardHolds(v1::TransitionGuard g, const v1::Ticket& t) {
  switch (g) {
    case v1::GUARD_ASSIGNEE:
      return t.assignee_id() != 0;
    case v1::GUARD_GROUP:
      return t.group_id() != 0;
    case v1::GUARD_PUBLIC_REPLY:
      return t.public_reply_count() > 0;
    case v1::GUARD_TYPE:
      return t.type() != v1::TICKET_TYPE_UNSPECIFIED;
    default:
      return false;
  }
}

}  // namespace

Workflow::Workflow(std::shared_ptr<const Tables> tables)
    : tables_(std::move(tables)) {}

const v1::WorkflowConfig& Workflow::DefaultConfig() {
  static const v1::WorkflowConfig* config = [] {
    auto* c = new v1::WorkflowConfig;
    bool ok = google::protobuf::TextFormat::ParseFromString(R"pb(
      statuses { name: "new" category: STATUS_CATEGORY_NEW
                 description: "Not yet looked at" }
      statuses { name: "open" category: STATUS_CATEGORY_OPEN
                 description: "Being worked on" }
      statuses { name: "pending" category: STATUS_CATEGORY_PENDING
                 description: "Waiting on the customer" }
      statuses { name: "on_hold" category: STATUS_CATEGORY_ON_HOLD
                 description: "Waiting on a third party" }
      statuses { name: "solved" category: STATUS_CATEGORY_SOLVED
                 description: "Answered; reopens if the customer writes" }
      statuses { name: "closed" category: STATUS_CATEGORY_CLOSED
                 description: "Final" }
      initial_status: "new"
      transitions { from: [ "new", "pending", "on_hold", "solved" ] to: "open" }
      transitions { from: [ "new", "open", "on_hold" ] to: "pending" }
      transitions { from: [ "new", "open", "pending" ] to: "on_hold" }
      transitions {
        from: [ "new", "open", "pending", "on_hold" ]
        to: "solved"
        guards: [ GUARD_ASSIGNEE ]
      }
      transitions { from: [ "solved" ] to: "closed" }
      reopen_from: [ "pending", "solved" ]
      reopen_to: "open"
      merged_status: "closed"
    )pb", c);
    if (!ok) std::abort();  // a programmer error in the literal above
    return c;
  }();
  return *config;
}

const Workflow& Workflow::Default() {
  static const Workflow* workflow = [] {
    absl::StatusOr<Workflow> w = Create(DefaultConfig());
    if (!w.ok()) std::abort();  // a programmer error in the default config
    return new Workflow(*std::move(w));
  }();
  return *workflow;
}

absl::StatusOr<Workflow> Workflow::FromText(absl::string_view text) {
  v1::WorkflowConfig config;
  HELPDESK_RETURN_IF_ERROR(internal::ParseTextProto(text, "workflow", &config));
  return Create(config);
}

absl::StatusOr<Workflow> Workflow::Create(const v1::WorkflowConfig& config) {
  auto t = std::make_shared<Tables>();
  t->config = config;
  const int n = config.statuses_size();
  if (n == 0) return absl::InvalidArgumentError("statuses: the workflow has none");
  for (int i = 0; i < n; ++i) {
    const auto& s = config.statuses(i);
    std::string field = absl::StrCat("statuses[", i, "].name");
    HELPDESK_RETURN_IF_ERROR(CheckName(field, s.name()));
    if (!t->index.emplace(s.name(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " '", s.name(), "' is listed twice"));
    }
    if (!v1::StatusCategory_IsValid(s.category()) ||
        s.category() == v1::STATUS_CATEGORY_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("statuses[", i, "].category of '", s.name(),
                       "' is missing or unknown (", static_cast<int>(s.category()),
                       ")"));
    }
    t->category.push_back(s.category());
  }
  auto is_closed = [&](int i) { return t->category[i] == v1::STATUS_CATEGORY_CLOSED; };
  auto lookup = [&](absl::string_view field,
                    absl::string_view name) -> absl::StatusOr<int> {
    auto it = t->index.find(name);
    if (it == t->index.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " '", absl::CHexEscape(name), "' is not a status"));
    }
    return it->second;
  };

  HELPDESK_ASSIGN_OR_RETURN(t->initial,
                            lookup("initial_status", config.initial_status()));
  if (is_closed(t->initial)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "initial_status '", config.initial_status(), "' is of the closed category"));
  }

  t->moves.assign(n, std::vector<std::vector<std::vector<v1::TransitionGuard>>>(n));
  std::vector<std::vector<int>> edges(n);  // for reachability
  for (int i = 0; i < config.transitions_size(); ++i) {
    const auto& tr = config.transitions(i);
    std::string at = absl::StrCat("transitions[", i, "]");
    HELPDESK_ASSIGN_OR_RETURN(int to, lookup(absl::StrCat(at, ".to"), tr.to()));
    std::vector<v1::TransitionGuard> guards;
    for (int g : tr.guards()) {
      if (!v1::TransitionGuard_IsValid(g) || g == v1::GUARD_UNSPECIFIED) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".guards: ", g, " is not a guard"));
      }
      guards.push_back(static_cast<v1::TransitionGuard>(g));
    }
    if (tr.from_size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".from is empty"));
    }
    std::vector<int> froms;
    for (int k = 0; k < tr.from_size(); ++k) {
      if (tr.from(k) == kAnyStatus) {
        for (int s = 0; s < n; ++s) {
          if (!is_closed(s)) froms.push_back(s);
        }
        continue;
      }
      HELPDESK_ASSIGN_OR_RETURN(
          int from, lookup(absl::StrCat(at, ".from[", k, "]"), tr.from(k)));
      if (is_closed(from)) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".from[", k, "] '", tr.from(k),
            "' is of the closed category; closed is final"));
      }
      froms.push_back(from);
    }
    for (int from : froms) {
      if (from == to) continue;
      t->moves[from][to].push_back(guards);
      edges[from].push_back(to);
    }
  }

  t->reopen_to.assign(n, -1);
  if (config.reopen_from_size() > 0 || !config.reopen_to().empty()) {
    HELPDESK_ASSIGN_OR_RETURN(int to, lookup("reopen_to", config.reopen_to()));
    if (is_closed(to)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reopen_to '", config.reopen_to(), "' is of the closed category"));
    }
    for (int k = 0; k < config.reopen_from_size(); ++k) {
      HELPDESK_ASSIGN_OR_RETURN(
          int from, lookup(absl::StrCat("reopen_from[", k, "]"), config.reopen_from(k)));
      if (is_closed(from)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "reopen_from[", k, "] '", config.reopen_from(k),
            "' is of the closed category; closed is final"));
      }
      t->reopen_to[from] = to;
      edges[from].push_back(to);
    }
  }

  int first_closed = -1;
  for (int s = 0; s < n && first_closed < 0; ++s) {
    if (is_closed(s)) first_closed = s;
  }
  if (first_closed < 0) {
    return absl::InvalidArgumentError(
        "statuses: no status is of the closed category (STATUS_CATEGORY_CLOSED)");
  }
  if (config.merged_status().empty()) {
    t->merged = first_closed;
    t->config.set_merged_status(config.statuses(first_closed).name());
  } else {
    HELPDESK_ASSIGN_OR_RETURN(t->merged,
                              lookup("merged_status", config.merged_status()));
    if (!is_closed(t->merged)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "merged_status '", config.merged_status(),
          "' must be of the closed category"));
    }
  }

  // Every status is reachable from the initial one (the merged status may be
  // reached by merging alone).
  std::vector<bool> seen(n, false);
  std::deque<int> todo = {t->initial};
  seen[t->initial] = true;
  while (!todo.empty()) {
    int s = todo.front();
    todo.pop_front();
    for (int next : edges[s]) {
      if (!seen[next]) {
        seen[next] = true;
        todo.push_back(next);
      }
    }
  }
  for (int s = 0; s < n; ++s) {
    if (!seen[s] && s != t->merged) {
      return absl::InvalidArgumentError(absl::StrCat(
          "statuses[", s, "].name '", config.statuses(s).name(),
          "' is unreachable from the initial status '", config.initial_status(),
          "'"));
    }
  }
  // From every status some closed status can be reached.
  std::vector<std::vector<int>> reverse(n);
  for (int s = 0; s < n; ++s) {
    for (int next : edges[s]) reverse[next].push_back(s);
  }
  std::vector<bool> ends(n, false);
  for (int s = 0; s < n; ++s) {
    if (is_closed(s)) {
      ends[s] = true;
      todo.push_back(s);
    }
  }
  while (!todo.empty()) {
    int s = todo.front();
    todo.pop_front();
    for (int prev : reverse[s]) {
      if (!ends[prev]) {
        ends[prev] = true;
        todo.push_back(prev);
      }
    }
  }
  for (int s = 0; s < n; ++s) {
    if (!ends[s]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "statuses[", s, "].name '", config.statuses(s).name(),
          "' has no path to a status of the closed category"));
    }
  }
  return Workflow(std::move(t));
}

const v1::WorkflowConfig& Workflow::config() const { return tables_->config; }

const std::string& Workflow::initial_status() const {
  return tables_->config.statuses(tables_->initial).name();
}

const std::string& Workflow::merged_status() const {
  return tables_->config.statuses(tables_->merged).name();
}

std::vector<std::string> Workflow::StatusNames() const {
  std::vector<std::string> out;
  for (const auto& s : tables_->config.statuses()) out.push_back(s.name());
  return out;
}

absl::StatusOr<v1::StatusCategory> Workflow::CategoryOf(
    absl::string_view field, absl::string_view status) const {
  auto it = tables_->index.find(status);
  if (it == tables_->index.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " '", absl::CHexEscape(status.substr(0, 64)), "' is not a status (",
        absl::StrJoin(StatusNames(), ", "), ")"));
  }
  return tables_->category[it->second];
}

absl::Status Workflow::CheckTransition(const v1::Ticket& ticket,
                                       absl::string_view to) const {
  HELPDESK_RETURN_IF_ERROR(CategoryOf("status", to).status());
  if (ticket.status() == to) return absl::OkStatus();
  auto from_it = tables_->index.find(ticket.status());
  if (from_it == tables_->index.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ticket ", ticket.id(), " has status '", ticket.status(),
        "', which this workflow does not know"));
  }
  int from = from_it->second;
  int dest = tables_->index.at(to);
  const auto& options = tables_->moves[from][dest];
  if (options.empty()) {
    std::vector<std::string> reachable;
    for (int s = 0; s < static_cast<int>(tables_->moves[from].size()); ++s) {
      if (!tables_->moves[from][s].empty()) {
        reachable.push_back(tables_->config.statuses(s).name());
      }
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "status: ticket ", ticket.id(), " cannot move from '", ticket.status(),
        "' to '", to, "'",
        reachable.empty() ? std::string(" (it is final)")
                          : absl::StrCat(" (allowed: ", absl::StrJoin(reachable, ", "),
                                         ")")));
  }
  v1::TransitionGuard failed = v1::GUARD_UNSPECIFIED;
  for (const std::vector<v1::TransitionGuard>& guards : options) {
    bool all = true;
    for (v1::TransitionGuard g : guards) {
      if (!GuardHolds(g, ticket)) {
        all = false;
        if (failed == v1::GUARD_UNSPECIFIED) failed = g;
        break;
      }
    }
    if (all) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "status: moving ticket ", ticket.id(), " from '", ticket.status(), "' to '",
      to, "' requires ", GuardText(failed)));
}

std::optional<std::string> Workflow::ReopenTarget(absl::string_view status) const {
  auto it = tables_->index.find(status);
  if (it == tables_->index.end()) return std::nullopt;
  int to = tables_->reopen_to[it->second];
  if (to < 0) return std::nullopt;
  return tables_->config.statuses(to).name();
}

}  // namespace helpdesk
