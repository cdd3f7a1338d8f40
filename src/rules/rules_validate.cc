// Validation and compilation of a rule set: every rule checked with its name
// and the position of the part at fault, conditions compiled (regular
// expressions once), the static loop check, and the index of trigger rules by
// what they react to. An invalid set yields an error and nothing else.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "helpdesk/audit.h"
#include "helpdesk/names.h"
#include "internal/status_macros.h"
#include "internal/text_checks.h"
#include "internal/text_proto.h"
#include "rules/rules_internal.h"

namespace helpdesk {
namespace {

using google::protobuf::TextFormat;
using internal::Quote;
using rules_internal::CompiledRule;
using rules_internal::Condition;

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxTextBytes = 64 * 1024;

// Says where a part of a rule is: its name and, for text, line and column.
class Locator {
 public:
  explicit Locator(const TextFormat::ParseInfoTree* tree) : tree_(tree) {}

  // `rule "name" (line L, column C): part[index]`, the position being that of
  // the part when known, else the rule's.
  std::string Where(const v1::RuleSetConfig& config, int rule,
                    absl::string_view part, int index) const {
    const v1::Rule& r = config.rules(rule);
    std::string out = r.name().empty() ? absl::StrCat("rule #", rule + 1)
                                       : absl::StrCat("rule ", Quote(r.name()));
    if (tree_ != nullptr) {
      const auto* rules_field =
          v1::RuleSetConfig::descriptor()->FindFieldByName("rules");
      TextFormat::ParseLocation at = tree_->GetLocation(rules_field, rule);
      const TextFormat::ParseInfoTree* nested =
          tree_->GetTreeForNested(rules_field, rule);
      if (nested != nullptr && !part.empty()) {
        const auto* f =
            v1::Rule::descriptor()->FindFieldByName(std::string(part));
        if (f != nullptr) {
          TextFormat::ParseLocation p =
              nested->GetLocation(f, f->is_repeated() ? index : -1);
          if (p.line >= 0) at = p;
        }
      }
      if (at.line >= 0)
        absl::StrAppend(&out, " (line ", at.line + 1, ", column ",
                        at.column + 1, ")");
    }
    absl::StrAppend(&out, ":");
    if (!part.empty()) {
      absl::StrAppend(&out, " ", part);
      if (index >= 0) absl::StrAppend(&out, "[", index, "]");
    }
    return out;
  }

 private:
  const TextFormat::ParseInfoTree* tree_;
};

// The name of the top-level rule whose text holds line `line` (from 0), found
// by a light scan (strings and comments skipped); empty when none.
std::string RuleNameAtLine(absl::string_view text, int line) {
  int depth = 0, at_line = 0;
  size_t rule_start = std::string::npos;
  for (size_t i = 0; i < text.size() && at_line <= line; ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++at_line;
      continue;
    }
    if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c && text[i] != '\n'; ++i) {
        if (text[i] == '\\') ++i;
      }
      continue;
    }
    if (c == '{' || c == '<') ++depth;
    if (c == '}' || c == '>') --depth;
    if (depth == 0 && text.substr(i, 5) == "rules" &&
        (i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) ||
                     text[i - 1] == '_'))) {
      rule_start = i;
    }
  }
  if (rule_start == std::string::npos) return "";
  // The rule's `name: "..."` at depth 1, wherever it is in the rule.
  depth = 0;
  for (size_t i = rule_start; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' || c == '<') ++depth;
    if (c == '}' || c == '>') {
      if (--depth <= 0) break;
    }
    if (depth == 1 && text.substr(i, 4) == "name" &&
        !std::isalnum(static_cast<unsigned char>(text[i - 1])) &&
        text[i - 1] != '_') {
      size_t j = i + 4;
      while (j < text.size() &&
             (text[j] == ' ' || text[j] == ':' || text[j] == '\t'))
        ++j;
      if (j < text.size() && text[j] == '"') {
        size_t end = text.find('"', j + 1);
        if (end != std::string::npos)
          return std::string(text.substr(j + 1, end - j - 1));
      }
    }
  }
  return "";
}

absl::Status CheckTrigger(const v1::RuleTrigger& t, const std::string& where) {
  if (!v1::RuleTrigger::Kind_IsValid(t.kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".kind: unknown kind ", static_cast<int>(t.kind())));
  }
  if (t.kind() == v1::RuleTrigger::KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".kind: unspecified"));
  }
  if (t.kind() != v1::RuleTrigger::FIELD_CHANGED) {
    if (t.field() != v1::FieldChange::FIELD_UNSPECIFIED ||
        !t.custom_field().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".field: only a FIELD_CHANGED trigger names a field, not ",
          v1::RuleTrigger::Kind_Name(t.kind())));
    }
    return absl::OkStatus();
  }
  if (t.field() > v1::FieldChange::STICKY_AGENT) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".field: ", v1::FieldChange::Field_Name(t.field()),
                     " is no ticket field"));
  }
  if (!t.custom_field().empty() && t.field() != v1::FieldChange::CUSTOM_FIELD) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".custom_field: ", Quote(t.custom_field()),
                     " needs field: CUSTOM_FIELD"));
  }
  return absl::OkStatus();
}

absl::Status NormalizeTags(v1::RuleTags* tags, const std::string& where,
                           bool allow_empty) {
  if (tags->tags_size() == 0 && !allow_empty) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".tags: empty"));
  }
  std::vector<std::string> out;
  for (const std::string& tag : tags->tags()) {
    HELPDESK_ASSIGN_OR_RETURN(
        std::string t,
        internal::NormalizeTag(absl::StrCat(where, ".tags"), tag, 100));
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  tags->clear_tags();
  for (std::string& t : out) tags->add_tags(std::move(t));
  return absl::OkStatus();
}

absl::Status CheckTemplateMessage(const v1::RuleTemplateMessage& m,
                                  const std::string& where, bool notify) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckRequiredText(
      absl::StrCat(where, ".template"), m.template_(), kMaxNameBytes));
  if (!notify) {
    if (m.recipients_size() > 0 || m.agent_id() != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".recipients: a reply goes to the requester; use notify"));
    }
    return absl::OkStatus();
  }
  if (m.recipients_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".recipients: empty"));
  }
  bool agent = false;
  for (int r : m.recipients()) {
    if (r == v1::RuleTemplateMessage::RECIPIENT_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".recipients: unspecified"));
    }
    agent = agent || r == v1::RuleTemplateMessage::AGENT;
  }
  if (agent != (m.agent_id() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".agent_id: ", m.agent_id(),
                     " (positive exactly when AGENT is a recipient)"));
  }
  return absl::OkStatus();
}

// Checks and normalises one action (names to their canonical spelling, tags
// normalised and sorted).
absl::Status CheckAction(v1::RuleAction* a, const RuleSet::Rep& rep,
                         const std::string& where) {
  switch (a->action_case()) {
    case v1::RuleAction::ACTION_NOT_SET:
      return absl::InvalidArgumentError(absl::StrCat(where, ": empty action"));
    case v1::RuleAction::kSetStatus:
      if (!rep.status_categories.contains(a->set_status())) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".set_status: unknown status ", Quote(a->set_status())));
      }
      return absl::OkStatus();
    case v1::RuleAction::kSetPriority: {
      HELPDESK_ASSIGN_OR_RETURN(
          v1::Priority p, ParsePriority(a->set_priority(),
                                        absl::StrCat(where, ".set_priority")));
      a->set_set_priority(PriorityName(p));
      return absl::OkStatus();
    }
    case v1::RuleAction::kSetType: {
      HELPDESK_ASSIGN_OR_RETURN(
          v1::TicketType t,
          ParseTicketType(a->set_type(), absl::StrCat(where, ".set_type")));
      a->set_set_type(TicketTypeName(t));
      return absl::OkStatus();
    }
    case v1::RuleAction::kSetGroup:
    case v1::RuleAction::kSetAssignee:
    case v1::RuleAction::kAddFollower: {
      const int64_t id = a->action_case() == v1::RuleAction::kSetGroup
                             ? a->set_group()
                         : a->action_case() == v1::RuleAction::kSetAssignee
                             ? a->set_assignee()
                             : a->add_follower();
      if (id < 0 ||
          (id == 0 && a->action_case() == v1::RuleAction::kAddFollower)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": id ", id, " is not a valid id"));
      }
      return absl::OkStatus();
    }
    case v1::RuleAction::kAddTags:
      return NormalizeTags(a->mutable_add_tags(),
                           absl::StrCat(where, ".add_tags"), false);
    case v1::RuleAction::kRemoveTags:
      return NormalizeTags(a->mutable_remove_tags(),
                           absl::StrCat(where, ".remove_tags"), false);
    case v1::RuleAction::kSetTags:
      return NormalizeTags(a->mutable_set_tags(),
                           absl::StrCat(where, ".set_tags"), true);
    case v1::RuleAction::kSetCustomField:
      return internal::CheckRequiredText(
          absl::StrCat(where, ".set_custom_field.name"),
          a->set_custom_field().name(), kMaxNameBytes);
    case v1::RuleAction::kAddInternalNote:
      return internal::CheckRequiredText(
          absl::StrCat(where, ".add_internal_note"), a->add_internal_note(),
          kMaxTextBytes);
    case v1::RuleAction::kReply:
      return CheckTemplateMessage(a->reply(), absl::StrCat(where, ".reply"),
                                  false);
    case v1::RuleAction::kNotify:
      return CheckTemplateMessage(a->notify(), absl::StrCat(where, ".notify"),
                                  true);
    case v1::RuleAction::kCallWebhook:
      return internal::CheckRequiredText(absl::StrCat(where, ".call_webhook"),
                                         a->call_webhook(), kMaxNameBytes);
    case v1::RuleAction::kStopProcessing:
      if (!a->stop_processing()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".stop_processing: false (write stop_processing: true)"));
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(where, ": unknown action"));
}

// What an action writes, for the loop check: (field, custom field) it changes,
// and per key ("priority", "tag:vip", "custom:x") the value it writes.
struct Write {
  v1::FieldChange::Field field;
  std::string custom_field;
  std::string key;
  std::string value;
};

std::vector<Write> WritesOf(const v1::RuleAction& a) {
  std::vector<Write> w;
  switch (a.action_case()) {
    case v1::RuleAction::kSetStatus:
      w.push_back({v1::FieldChange::STATUS, "", "status", a.set_status()});
      break;
    case v1::RuleAction::kSetPriority:
      w.push_back(
          {v1::FieldChange::PRIORITY, "", "priority", a.set_priority()});
      break;
    case v1::RuleAction::kSetType:
      w.push_back({v1::FieldChange::TYPE, "", "type", a.set_type()});
      break;
    case v1::RuleAction::kSetGroup:
      w.push_back(
          {v1::FieldChange::GROUP, "", "group", absl::StrCat(a.set_group())});
      break;
    case v1::RuleAction::kSetAssignee:
      w.push_back({v1::FieldChange::ASSIGNEE, "", "assignee",
                   absl::StrCat(a.set_assignee())});
      break;
    case v1::RuleAction::kAddTags:
    case v1::RuleAction::kSetTags:
      for (const std::string& t :
           (a.has_add_tags() ? a.add_tags() : a.set_tags()).tags()) {
        w.push_back(
            {v1::FieldChange::TAGS, "", absl::StrCat("tag ", t), "added"});
      }
      if (a.has_set_tags() && a.set_tags().tags_size() == 0) {
        w.push_back({v1::FieldChange::TAGS, "", "tags", "cleared"});
      }
      break;
    case v1::RuleAction::kRemoveTags:
      for (const std::string& t : a.remove_tags().tags()) {
        w.push_back(
            {v1::FieldChange::TAGS, "", absl::StrCat("tag ", t), "removed"});
      }
      break;
    case v1::RuleAction::kSetCustomField:
      w.push_back({v1::FieldChange::CUSTOM_FIELD, a.set_custom_field().name(),
                   absl::StrCat("custom field ", a.set_custom_field().name()),
                   a.set_custom_field().value().ShortDebugString()});
      break;
    case v1::RuleAction::kAddFollower:
      w.push_back({v1::FieldChange::FOLLOWERS, "",
                   absl::StrCat("follower ", a.add_follower()), "added"});
      break;
    default:
      break;
  }
  return w;
}

// The strongly connected components of a graph given by its adjacency lists
// (Tarjan's, iterative: a long chain of rules must not overflow the stack).
std::vector<int> Components(const std::vector<std::vector<int>>& edges) {
  const int n = static_cast<int>(edges.size());
  std::vector<int> index(n, -1), low(n, 0), component(n, -1), stack;
  std::vector<bool> on_stack(n, false);
  std::vector<std::pair<int, size_t>> calls;  // (node, next edge)
  int next_index = 0, components = 0;
  for (int root = 0; root < n; ++root) {
    if (index[root] >= 0) continue;
    calls.push_back({root, 0});
    while (!calls.empty()) {
      auto& [v, e] = calls.back();
      if (e == 0 && index[v] < 0) {
        index[v] = low[v] = next_index++;
        stack.push_back(v);
        on_stack[v] = true;
      }
      if (e < edges[v].size()) {
        const int w = edges[v][e++];
        if (index[w] < 0) {
          calls.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      const int done = v;
      calls.pop_back();
      if (!calls.empty()) low[calls.back().first] = std::min(low[calls.back().first], low[done]);
      if (low[done] == index[done]) {
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = components;
        } while (w != done);
        ++components;
      }
    }
  }
  return component;
}

// The static loop check: two enabled trigger rules that write different
// values to the same field and can each trigger the other (through a chain of
// field-change triggers) would flip the field back and forth. Conditions are
// not considered: the check is conservative.
//
// Linear in the rules' writes and triggers, whatever their number: "rule i's
// change triggers rule j" goes through a node per field written (and per
// custom field, and one for "any field"), so the graph holds no edge per
// pair of rules; two rules trigger each other exactly when they share a
// strongly connected component. The first pair reported is the one a scan of
// the rules in order finds (rule i, its write, then the first later rule j).
absl::Status CheckLoops(const RuleSet::Rep& rep, const Locator& at) {
  const int n = static_cast<int>(rep.rules.size());
  auto active = [&](int i) { return !rep.rules[i].automation && !rep.rules[i].disabled; };
  std::vector<std::vector<Write>> writes(n);
  for (int i = 0; i < n; ++i) {
    if (!active(i)) continue;
    for (const v1::RuleAction* a : rep.rules[i].actions) {
      for (Write& w : WritesOf(*a)) writes[i].push_back(std::move(w));
    }
  }
  // Nodes: the rules, then "any field", then one per field and custom field.
  std::vector<std::vector<int>> edges(n + 1);
  const int any_field = n;
  absl::flat_hash_map<int, int> field_nodes;
  absl::flat_hash_map<std::string, int> custom_nodes;
  // A field's node leads to "any field", a custom field's to CUSTOM_FIELD's.
  auto field_node = [&](v1::FieldChange::Field f) {
    auto [it, added] = field_nodes.try_emplace(static_cast<int>(f), static_cast<int>(edges.size()));
    if (added) edges.push_back({any_field});
    return it->second;
  };
  auto custom_node = [&](const std::string& name) {
    auto it = custom_nodes.find(name);
    if (it != custom_nodes.end()) return it->second;
    const int field = field_node(v1::FieldChange::CUSTOM_FIELD);
    const int node = static_cast<int>(edges.size());
    edges.push_back({field});
    custom_nodes.emplace(name, node);
    return node;
  };
  for (int i = 0; i < n; ++i) {
    for (const Write& w : writes[i]) {
      const int node = w.field == v1::FieldChange::CUSTOM_FIELD ? custom_node(w.custom_field)
                                                                  : field_node(w.field);
      if (edges[i].empty() || edges[i].back() != node) edges[i].push_back(node);
    }
  }
  for (int j = 0; j < n; ++j) {
    if (!active(j)) continue;
    for (const v1::RuleTrigger& t : rep.rules[j].triggers) {
      if (t.kind() != v1::RuleTrigger::FIELD_CHANGED) continue;
      if (t.field() == v1::FieldChange::FIELD_UNSPECIFIED) {
        edges[any_field].push_back(j);
      } else if (!t.custom_field().empty()) {
        edges[custom_node(t.custom_field())].push_back(j);
      } else {
        edges[field_node(t.field())].push_back(j);
      }
    }
  }
  const std::vector<int> component = Components(edges);
  // Per (key, component): the writes in rule order, each with the position
  // of the next one that writes another value.
  struct Writer {
    int rule;
    const std::string* value;
  };
  absl::flat_hash_map<std::pair<std::string, int>, std::vector<Writer>> groups;
  for (int i = 0; i < n; ++i) {
    for (const Write& w : writes[i]) groups[{w.key, component[i]}].push_back({i, &w.value});
  }
  absl::flat_hash_map<std::pair<std::string, int>, std::vector<size_t>> next_other;
  for (const auto& [key, list] : groups) {
    std::vector<size_t>& next = next_other[key];
    next.assign(list.size(), list.size());
    for (size_t p = list.size() - 1; p-- > 0;) {
      next[p] = *list[p + 1].value != *list[p].value ? p + 1 : next[p + 1];
    }
  }
  for (int i = 0; i < n; ++i) {
    for (const Write& wi : writes[i]) {
      const std::pair<std::string, int> key{wi.key, component[i]};
      const std::vector<Writer>& list = groups[key];
      // The first write of a later rule; then the first with another value.
      size_t p = static_cast<size_t>(
          std::upper_bound(list.begin(), list.end(), i,
                           [](int rule, const Writer& w) { return rule < w.rule; }) -
          list.begin());
      if (p < list.size() && *list[p].value == wi.value) p = next_other[key][p];
      if (p >= list.size()) continue;
      const int j = list[p].rule;
      return absl::InvalidArgumentError(
          absl::StrCat(at.Where(rep.config, i, "", -1), " it and rule ",
                       Quote(rep.rules[j].name), " set ", wi.key,
                       " to different values (", Quote(wi.value), ", ",
                       Quote(*list[p].value),
                       ") and each one's change triggers the other: the "
                       "rule set would loop"));
    }
  }
  return absl::OkStatus();
}

void Index(RuleSet::Rep& rep) {
  for (int i = 0; i < static_cast<int>(rep.rules.size()); ++i) {
    const CompiledRule& r = rep.rules[i];
    if (r.disabled) continue;
    if (r.automation) {
      rep.automations.push_back(i);
      continue;
    }
    auto add = [i](std::vector<int>& list) {
      if (list.empty() || list.back() != i) list.push_back(i);
    };
    for (const v1::RuleTrigger& t : r.triggers) {
      if (t.kind() != v1::RuleTrigger::FIELD_CHANGED)
        add(rep.by_kind[t.kind()]);
      else if (t.field() == v1::FieldChange::FIELD_UNSPECIFIED)
        add(rep.by_any_field);
      else if (!t.custom_field().empty())
        add(rep.by_custom_field[t.custom_field()]);
      else
        add(rep.by_field[t.field()]);
    }
  }
}

absl::StatusOr<RuleSet::Rep*> Compile(RuleSet::Rep& rep, const Locator& at) {
  v1::RuleSetConfig& config = rep.config;
  if (config.max_passes() < 0 || config.max_passes() > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_passes: ", config.max_passes(), " (0-1000; 0 means 10)"));
  }
  rep.max_passes = config.max_passes() == 0 ? 10 : config.max_passes();
  absl::flat_hash_set<std::string> names;
  // The memo slots of message.text conditions, by operator kind and operand.
  absl::flat_hash_map<std::string, int> message_memo;
  auto memo_slot = [&](Condition& c) {
    const bool contains = c.op == rules_internal::Op::kContains ||
                          c.op == rules_internal::Op::kNotContains;
    const bool regex = c.op == rules_internal::Op::kMatches ||
                       c.op == rules_internal::Op::kNotMatches;
    if (c.field != rules_internal::Field::kMessageText || !(contains || regex)) return;
    const std::string key =
        absl::StrCat(contains ? "c:" : "m:", contains ? c.lowered[0] : c.texts[0]);
    auto [it, added] = message_memo.try_emplace(key, rep.message_memos);
    if (added) ++rep.message_memos;
    c.memo = it->second;
  };
  rep.rules.resize(config.rules_size());
  for (int i = 0; i < config.rules_size(); ++i) {
    v1::Rule& in = *config.mutable_rules(i);
    CompiledRule& r = rep.rules[i];
    const std::string where = at.Where(config, i, "", -1);
    HELPDESK_RETURN_IF_ERROR(internal::CheckRequiredText(
        absl::StrCat(where, " name"), in.name(), kMaxNameBytes));
    if (!names.insert(in.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " name: a second rule named ", Quote(in.name())));
    }
    r.name = in.name();
    r.disabled = in.disabled();
    r.automation = in.has_automation();
    if (r.automation == (in.on_size() > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " a rule has either triggers (`on`) or an `automation`, ",
          r.automation ? "not both" : "and this one has neither"));
    }
    for (int k = 0; k < in.on_size(); ++k) {
      HELPDESK_RETURN_IF_ERROR(
          CheckTrigger(in.on(k), at.Where(config, i, "on", k)));
      r.triggers.push_back(in.on(k));
      static_assert(v1::RuleTrigger::Kind_ARRAYSIZE <= 64);
      r.trigger_kinds |= uint64_t{1} << static_cast<int>(in.on(k).kind());
    }
    if (r.automation) {
      const v1::RuleAutomation& a = in.automation();
      const std::string aw = at.Where(config, i, "automation", -1);
      if (a.since() == v1::RuleAutomation::SINCE_UNSPECIFIED) {
        return absl::InvalidArgumentError(
            absl::StrCat(aw, ".since: unspecified"));
      }
      if (!(a.hours() > 0) || !std::isfinite(a.hours()) || a.hours() > 1e6 ||
          std::round(a.hours() * 3600) < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(aw, ".hours: ", a.hours(),
                         " (positive, at least a second, at most 1e6)"));
      }
      r.since = a.since();
      r.after = absl::Seconds(std::round(a.hours() * 3600));
      if (!a.calendar().empty()) {
        for (size_t c = 0; c < rep.calendars.size(); ++c) {
          if (rep.calendars[c].name() == a.calendar())
            r.calendar = static_cast<int>(c);
        }
        if (r.calendar < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              aw, ".calendar: unknown calendar ", Quote(a.calendar())));
        }
        if (!rep.calendars[r.calendar].HasOpeningHours()) {
          return absl::InvalidArgumentError(
              absl::StrCat(aw, ".calendar: calendar ", Quote(a.calendar()),
                           " is never open"));
        }
      }
    }
    for (int k = 0; k < in.all_size(); ++k) {
      HELPDESK_ASSIGN_OR_RETURN(
          Condition c, rules_internal::ParseCondition(
                           in.all(k), rep, at.Where(config, i, "all", k)));
      memo_slot(c);
      r.all.push_back(std::move(c));
    }
    for (int k = 0; k < in.any_size(); ++k) {
      HELPDESK_ASSIGN_OR_RETURN(
          Condition c, rules_internal::ParseCondition(
                           in.any(k), rep, at.Where(config, i, "any", k)));
      memo_slot(c);
      r.any.push_back(std::move(c));
    }
    for (const auto* group : {&r.all, &r.any}) {
      for (const Condition& c : *group) {
        if (c.calendar >= 0) r.time_calendars.push_back(c.calendar);
        r.reads |= rules_internal::FieldBit(c);
      }
    }
    std::sort(r.time_calendars.begin(), r.time_calendars.end());
    r.time_calendars.erase(
        std::unique(r.time_calendars.begin(), r.time_calendars.end()),
        r.time_calendars.end());
    if (in.actions_size() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " actions: a rule needs at least one"));
    }
    for (int k = 0; k < in.actions_size(); ++k) {
      HELPDESK_RETURN_IF_ERROR(CheckAction(in.mutable_actions(k), rep,
                                           at.Where(config, i, "actions", k)));
      r.actions.push_back(&in.actions(k));
    }
  }
  HELPDESK_RETURN_IF_ERROR(CheckLoops(rep, at));
  Index(rep);
  return &rep;
}

absl::StatusOr<std::shared_ptr<RuleSet::Rep>> Build(
    const v1::RuleSetConfig& config, const Workflow& workflow,
    absl::Span<const BusinessCalendar> calendars,
    const TextFormat::ParseInfoTree* tree) {
  auto rep = std::make_shared<RuleSet::Rep>();
  rep->config = config;
  for (const BusinessCalendar& c : calendars) {
    for (const BusinessCalendar& seen : rep->calendars) {
      if (seen.name() == c.name()) {
        return absl::InvalidArgumentError(
            absl::StrCat("calendars: two calendars named ", Quote(c.name())));
      }
    }
    rep->calendars.push_back(c);
  }
  for (const v1::WorkflowConfig::Status& s : workflow.config().statuses()) {
    rep->status_categories[s.name()] = s.category();
  }
  HELPDESK_RETURN_IF_ERROR(Compile(*rep, Locator(tree)).status());
  return rep;
}

}  // namespace

RuleSet::RuleSet(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

absl::StatusOr<RuleSet> RuleSet::Create(
    const v1::RuleSetConfig& config, const Workflow& workflow,
    absl::Span<const BusinessCalendar> calendars) {
  HELPDESK_ASSIGN_OR_RETURN(std::shared_ptr<Rep> rep,
                            Build(config, workflow, calendars, nullptr));
  return RuleSet(std::move(rep));
}

absl::StatusOr<RuleSet> RuleSet::FromText(
    absl::string_view text, const Workflow& workflow,
    absl::Span<const BusinessCalendar> calendars) {
  v1::RuleSetConfig config;
  TextFormat::ParseInfoTree tree;
  int line = -1, column = -1;
  absl::Status parsed =
      internal::ParseTextProto(text, "rules", &config, &tree, &line, &column);
  if (!parsed.ok()) {
    const std::string rule = line >= 0 ? RuleNameAtLine(text, line) : "";
    if (rule.empty()) return parsed;
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.message(), " (in rule ", Quote(rule), ")"));
  }
  HELPDESK_ASSIGN_OR_RETURN(std::shared_ptr<Rep> rep,
                            Build(config, workflow, calendars, &tree));
  return RuleSet(std::move(rep));
}

const v1::RuleSetConfig& RuleSet::config() const { return rep_->config; }

}  // namespace helpdesk
