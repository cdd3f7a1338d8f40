// The trigger engine: what the command's events mean to triggers, the passes
// over the indexed rules (each rule at most once, never on its own change,
// earlier rules' changes visible to later ones), the cascade bound, and the
// dry run.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "helpdesk/names.h"
#include "helpdesk/timestamp.h"
#include "rules/rules_internal.h"

namespace helpdesk {
namespace rules_internal {
namespace {

void AddChangeHappening(std::vector<Happening>* out,
                        v1::FieldChange::Field field, absl::string_view custom,
                        int rule) {
  Happening h;
  h.kind = v1::RuleTrigger::FIELD_CHANGED;
  h.field = field;
  h.custom_field = std::string(custom);
  h.by_rule = rule;
  out->push_back(std::move(h));
}

void SetTags(v1::Ticket* t, std::vector<std::string> tags, int rule,
             std::vector<Happening>* happened) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  if (std::equal(tags.begin(), tags.end(), t->tags().begin(), t->tags().end()))
    return;
  t->clear_tags();
  for (std::string& tag : tags) t->add_tags(std::move(tag));
  AddChangeHappening(happened, v1::FieldChange::TAGS, "", rule);
}

}  // namespace

void ApplyAction(const v1::RuleAction& a, const RuleSet::Rep& rep,
                 absl::Time now, int rule, v1::Ticket* t,
                 TicketTimeline* timeline, std::vector<Happening>* happened,
                 const Snapshot* snapshot) {
  const size_t before = happened->size();
  switch (a.action_case()) {
    case v1::RuleAction::kSetStatus:
      if (t->status() != a.set_status()) {
        t->set_status(a.set_status());
        const v1::StatusCategory was = t->status_category();
        const auto it = rep.status_categories.find(a.set_status());
        t->set_status_category(it == rep.status_categories.end()
                                   ? v1::STATUS_CATEGORY_UNSPECIFIED
                                   : it->second);
        if (t->status_category() == v1::STATUS_CATEGORY_SOLVED &&
            was != v1::STATUS_CATEGORY_SOLVED) {
          *t->mutable_solved_at() = ToTimestamp(now);
        } else if (t->status_category() != v1::STATUS_CATEGORY_SOLVED &&
                   t->status_category() != v1::STATUS_CATEGORY_CLOSED) {
          t->clear_solved_at();
        }
        timeline->status_changed_at = now;
        AddChangeHappening(happened, v1::FieldChange::STATUS, "", rule);
      }
      break;
    case v1::RuleAction::kSetPriority: {
      const v1::Priority p =
          ParsePriority(a.set_priority()).value_or(v1::PRIORITY_UNSPECIFIED);
      if (t->priority() != p) {
        t->set_priority(p);
        AddChangeHappening(happened, v1::FieldChange::PRIORITY, "", rule);
      }
      break;
    }
    case v1::RuleAction::kSetType: {
      const v1::TicketType type =
          ParseTicketType(a.set_type()).value_or(v1::TICKET_TYPE_UNSPECIFIED);
      if (t->type() != type) {
        t->set_type(type);
        AddChangeHappening(happened, v1::FieldChange::TYPE, "", rule);
      }
      break;
    }
    case v1::RuleAction::kSetGroup:
      if (t->group_id() != a.set_group()) {
        t->set_group_id(a.set_group());
        AddChangeHappening(happened, v1::FieldChange::GROUP, "", rule);
      }
      break;
    case v1::RuleAction::kSetAssignee:
      if (t->assignee_id() != a.set_assignee()) {
        t->set_assignee_id(a.set_assignee());
        AddChangeHappening(happened, v1::FieldChange::ASSIGNEE, "", rule);
      }
      break;
    case v1::RuleAction::kAddTags: {
      // Both lists are sorted: insert each missing tag in place.
      int added = 0;
      size_t hash = 0;
      for (const std::string& tag : a.add_tags().tags()) {
        auto* tags = t->mutable_tags();
        auto at = std::lower_bound(tags->begin(), tags->end(), tag);
        if (at != tags->end() && *at == tag) continue;
        const int pos = static_cast<int>(at - tags->begin());
        t->add_tags(tag);
        for (int k = tags->size() - 1; k > pos; --k)
          tags->SwapElements(k, k - 1);
        ++added;
        hash = TagHash(tag);
        // The snapshot's tag hashes follow the tags (same positions).
        if (snapshot != nullptr && snapshot->tag_hashes_valid) {
          snapshot->tag_hashes.insert(snapshot->tag_hashes.begin() + pos, hash);
        }
      }
      if (added > 0) {
        AddChangeHappening(happened, v1::FieldChange::TAGS, "", rule);
        if (added == 1) happened->back().tag_hash = hash;
      }
      break;
    }
    case v1::RuleAction::kRemoveTags: {
      std::vector<std::string> tags;
      const auto& gone = a.remove_tags().tags();
      for (const std::string& tag : t->tags()) {
        if (std::find(gone.begin(), gone.end(), tag) == gone.end())
          tags.push_back(tag);
      }
      SetTags(t, std::move(tags), rule, happened);
      break;
    }
    case v1::RuleAction::kSetTags:
      SetTags(t,
              std::vector<std::string>(a.set_tags().tags().begin(),
                                       a.set_tags().tags().end()),
              rule, happened);
      break;
    case v1::RuleAction::kSetCustomField: {
      const v1::RuleCustomFieldValue& f = a.set_custom_field();
      auto* fields = t->mutable_custom_fields();
      auto it = fields->find(f.name());
      if (!f.has_value()) {
        if (it == fields->end()) break;
        fields->erase(it);
      } else {
        if (it != fields->end() &&
            it->second.SerializeAsString() == f.value().SerializeAsString()) {
          break;
        }
        (*fields)[f.name()] = f.value();
      }
      AddChangeHappening(happened, v1::FieldChange::CUSTOM_FIELD, f.name(),
                         rule);
      break;
    }
    case v1::RuleAction::kAddFollower: {
      const auto& ids = t->follower_agent_ids();
      if (std::find(ids.begin(), ids.end(), a.add_follower()) == ids.end()) {
        t->add_follower_agent_ids(a.add_follower());
        AddChangeHappening(happened, v1::FieldChange::FOLLOWERS, "", rule);
      }
      break;
    }
    default:
      // Notes, replies, notifications and webhooks change no field; the Desk
      // writes them, and they trigger no rule (no mail loops through rules).
      break;
  }
  if (happened->size() != before) {
    *t->mutable_updated_at() = ToTimestamp(now);
    // Tags removed or replaced: the hashes are made again on next use.
    if (snapshot != nullptr && (a.action_case() == v1::RuleAction::kRemoveTags ||
                                a.action_case() == v1::RuleAction::kSetTags)) {
      snapshot->tag_hashes_valid = false;
    }
  }
}

namespace {

// The command's events as triggers see them. A TICKET_CREATED makes the
// batch one creation: its field changes are part of it, not changes.
void HappeningsOf(absl::Span<const v1::Event> events, bool csat,
                  std::vector<Happening>* happenings) {
  std::vector<Happening>& out = *happenings;
  bool created = false;
  for (const v1::Event& e : events)
    created = created || e.kind() == v1::Event::TICKET_CREATED;
  auto add = [&out](v1::RuleTrigger::Kind kind) {
    Happening h;
    h.kind = kind;
    out.push_back(std::move(h));
  };
  if (created) add(v1::RuleTrigger::TICKET_CREATED);
  for (const v1::Event& e : events) {
    switch (e.kind()) {
      case v1::Event::MESSAGE_ADDED:
        switch (e.message_kind()) {
          case v1::Message::CUSTOMER_MESSAGE:
            add(v1::RuleTrigger::CUSTOMER_MESSAGE);
            break;
          case v1::Message::PUBLIC_REPLY:
            add(v1::RuleTrigger::AGENT_REPLY);
            break;
          case v1::Message::INTERNAL_NOTE:
            add(v1::RuleTrigger::INTERNAL_NOTE);
            break;
          default:
            break;
        }
        break;
      case v1::Event::SLA_WARNING:
        add(v1::RuleTrigger::SLA_WARNING);
        break;
      case v1::Event::SLA_BREACHED:
        add(v1::RuleTrigger::SLA_BREACHED);
        break;
      case v1::Event::OFFER_DECLINED:
        add(v1::RuleTrigger::OFFER_DECLINED);
        break;
      default:
        break;
    }
    if (created) continue;
    for (const v1::FieldChange& c : e.changes()) {
      if (c.field() == v1::FieldChange::FIELD_UNSPECIFIED ||
          c.field() > v1::FieldChange::STICKY_AGENT)
        continue;
      AddChangeHappening(&out, c.field(), c.custom_field(), -1);
    }
  }
  if (csat) add(v1::RuleTrigger::CSAT_RECEIVED);
}

bool TriggerMatches(const v1::RuleTrigger& t, const Happening& h) {
  if (t.kind() != h.kind) return false;
  if (t.kind() != v1::RuleTrigger::FIELD_CHANGED ||
      t.field() == v1::FieldChange::FIELD_UNSPECIFIED) {
    return true;
  }
  return t.field() == h.field &&
         (t.custom_field().empty() || t.custom_field() == h.custom_field);
}

// Whether a happening other than the rule's own changes matches its triggers.
bool Triggered(const CompiledRule& r, int index,
               const std::vector<Happening>& happened) {
  for (const Happening& h : happened) {
    if (h.by_rule == index || ((r.trigger_kinds >> static_cast<int>(h.kind)) & 1) == 0)
      continue;
    for (const v1::RuleTrigger& t : r.triggers) {
      if (TriggerMatches(t, h)) return true;
    }
  }
  return false;
}

// A rule the run looks at, with what it knew when it last evaluated it.
struct Candidate {
  int rule = 0;
  bool fired = false;
  // Its trigger matched (it stays matched: happenings only accumulate).
  bool triggered = false;
  // How many happenings there were at its last evaluation (npos: never).
  size_t seen = std::string::npos;
  // The fields whose change could turn its failed conditions true.
  FailedOn failed_on;
};

// A run's working lists, reused by the runs of one thread (their capacity:
// each run starts them empty).
struct RunBuffers {
  bool in_use = false;
  std::vector<Happening> happened;
  std::vector<Candidate> cands;
  std::vector<Candidate> scratch;
  std::vector<const std::vector<int>*> merged;
};

// Hands out a thread's buffers for one run, emptied, and takes them back at
// its end; a run nested in another (none today) gets lists of its own.
class BufferLease {
 public:
  explicit BufferLease(RunBuffers& shared)
      : b_(shared.in_use ? own_ : shared) {
    b_.in_use = true;
    b_.happened.clear();
    b_.cands.clear();
    b_.scratch.clear();
    b_.merged.clear();
  }
  ~BufferLease() { b_.in_use = false; }
  BufferLease(const BufferLease&) = delete;
  BufferLease& operator=(const BufferLease&) = delete;
  RunBuffers& buffers() { return b_; }

 private:
  RunBuffers own_;
  RunBuffers& b_;
};

// Merges into `cands` (sorted by rule) the rules the index says react to `h`;
// `merged` lists the index's lists merged so far, `scratch` is reused. The
// rules of a `sure` list have a trigger that matches `h` (by kind, by field,
// any field): unless `h` is their own change, they are marked triggered (and
// one evaluated before is evaluated again).
void Reacting(const RuleSet::Rep& rep, const Happening& h,
              std::vector<Candidate>* cands,
              std::vector<const std::vector<int>*>* merged,
              std::vector<Candidate>* scratch) {
  auto merge = [&](const std::vector<int>& list, bool sure) {
    if (list.empty()) return;
    if (std::find(merged->begin(), merged->end(), &list) != merged->end())
      return;
    merged->push_back(&list);
    scratch->clear();
    scratch->reserve(cands->size() + list.size());
    auto a = cands->begin();
    auto b = list.begin();
    while (a != cands->end() || b != list.end()) {
      if (b == list.end() || (a != cands->end() && a->rule < *b)) {
        scratch->push_back(*a++);
      } else if (a == cands->end() || *b < a->rule) {
        Candidate c;
        c.rule = *b++;
        c.triggered = sure && c.rule != h.by_rule;
        scratch->push_back(c);
      } else {
        Candidate c = *a++;
        if (sure && c.rule != h.by_rule && !c.triggered) {
          c.triggered = true;
          c.seen = std::string::npos;
        }
        scratch->push_back(c);
        ++b;
      }
    }
    cands->swap(*scratch);
  };
  if (h.kind != v1::RuleTrigger::FIELD_CHANGED) {
    merge(rep.by_kind[h.kind], /*sure=*/true);
    return;
  }
  merge(rep.by_any_field, /*sure=*/true);
  if (auto it = rep.by_field.find(h.field); it != rep.by_field.end())
    merge(it->second, /*sure=*/true);
  if (!h.custom_field.empty()) {
    if (auto it = rep.by_custom_field.find(h.custom_field);
        it != rep.by_custom_field.end()) {
      merge(it->second, /*sure=*/false);
    }
  }
}

// Evaluates every condition (no short cut), as an engine without an index.
bool AllConditionsScanned(const CompiledRule& r, const Snapshot& s,
                          const RuleSet::Rep& rep) {
  bool all = true, any = r.any.empty();
  for (const Condition& c : r.all) all = Holds(c, s, rep) && all;
  for (const Condition& c : r.any) any = Holds(c, s, rep) || any;
  return all && any;
}

}  // namespace

// The trigger run, shared by Run and Explain: `reasons` (when not null, one
// per rule) receives why each rule did or did not fire.
RuleOutcome RunTriggers(const RuleSet::Rep& rep, const RuleContext& context,
                        absl::Span<const v1::Event> events, bool scan_all,
                        std::vector<std::string>* reasons) {
  RuleOutcome out;
  out.ticket = *context.ticket;
  TicketTimeline timeline = context.timeline;
  Snapshot snap{&context, &out.ticket, context.now};
  // The run's working lists, kept per thread from run to run (their capacity
  // only: each run starts them empty).
  thread_local RunBuffers buffers;
  BufferLease lease(buffers);
  std::vector<Happening>& happened = lease.buffers().happened;
  HappeningsOf(events, context.csat_received, &happened);
  const int n = static_cast<int>(rep.rules.size());
  // The rules that may fire, in rule order: with the index, those reacting
  // to what happened so far; scanning, every rule.
  std::vector<Candidate>& cands = lease.buffers().cands;
  std::vector<Candidate>& scratch = lease.buffers().scratch;
  out.actions.reserve(8);
  out.fired_rules.reserve(8);
  std::vector<const std::vector<int>*>& merged = lease.buffers().merged;
  if (scan_all) {
    cands.resize(n);
    for (int i = 0; i < n; ++i) cands[i].rule = i;
  }
  // Whether candidate c, which did not fire when last evaluated, is sure to
  // give the same answer: no new happening triggers it or changes a field
  // that made its conditions fail.
  auto unchanged = [&](const Candidate& c) {
    if (c.seen == std::string::npos) return false;
    const CompiledRule& r = rep.rules[c.rule];
    for (size_t k = c.seen; k < happened.size(); ++k) {
      const Happening& h = happened[k];
      if (h.kind == v1::RuleTrigger::FIELD_CHANGED &&
          (c.failed_on.fields >> static_cast<int>(h.field)) & 1) {
        // A change of one other tag leaves a failed tags condition failed.
        const bool other_tag = h.field == v1::FieldChange::TAGS &&
                               h.tag_hash != 0 && c.failed_on.tag_hash != 0 &&
                               h.tag_hash != c.failed_on.tag_hash;
        if (!other_tag) return false;
      }
      if (c.triggered || h.by_rule == c.rule ||
          ((r.trigger_kinds >> static_cast<int>(h.kind)) & 1) == 0) {
        continue;
      }
      for (const v1::RuleTrigger& t : r.triggers) {
        if (TriggerMatches(t, h)) return false;
      }
    }
    return true;
  };
  // Which happenings have been looked up in the index.
  size_t indexed = 0;
  auto refresh = [&] {
    if (scan_all) return;
    for (; indexed < happened.size(); ++indexed)
      Reacting(rep, happened[indexed], &cands, &merged, &scratch);
  };
  // Whether candidate c fires now (trigger and conditions).
  auto fires = [&](Candidate& c, std::string* why) {
    const CompiledRule& r = rep.rules[c.rule];
    if (scan_all) {
      const bool conditions = AllConditionsScanned(r, snap, rep);
      const bool triggered = Triggered(r, c.rule, happened);
      if (!(conditions && triggered) && why != nullptr) {
        if (!triggered)
          *why = "no event it reacts to";
        else
          ConditionsHold(r, snap, rep, why);
      }
      return conditions && triggered;
    }
    if (!c.triggered && !Triggered(r, c.rule, happened)) {
      if (why != nullptr) *why = "no event it reacts to (only its own change)";
      c.failed_on = FailedOn{};
      return false;
    }
    c.triggered = true;
    return ConditionsHold(r, snap, rep, why, &c.failed_on);
  };
  // The index holds no automation and no disabled rule.
  auto skipped = [&](const Candidate& c) {
    if (c.fired) return true;
    if (!scan_all) return false;
    const CompiledRule& r = rep.rules[c.rule];
    return r.automation || r.disabled;
  };
  int pass = 0;
  bool any_fired = true;
  while (any_fired && !out.stopped) {
    refresh();
    if (pass == rep.max_passes) {
      // One more pass would be needed if anything would still fire.
      for (Candidate& c : cands) {
        if (skipped(c) || !fires(c, nullptr)) continue;
        out.cascade_limit_reached = true;
        if (reasons != nullptr) {
          (*reasons)[c.rule] =
              absl::StrCat("would fire, but the cascade stopped after ",
                           rep.max_passes, " passes");
        }
      }
      break;
    }
    ++pass;
    any_fired = false;
    for (size_t pos = 0; pos < cands.size() && !out.stopped; ++pos) {
      Candidate& c = cands[pos];
      if (skipped(c)) continue;
      if (!scan_all && reasons == nullptr && unchanged(c)) continue;
      c.seen = happened.size();
      std::string why;
      if (!fires(c, reasons != nullptr ? &why : nullptr)) {
        if (reasons != nullptr) (*reasons)[c.rule] = std::move(why);
        continue;
      }
      c.fired = true;
      any_fired = true;
      const int i = c.rule;
      const CompiledRule& r = rep.rules[i];
      out.fired_rules.push_back(r.name);
      if (reasons != nullptr)
        (*reasons)[i] = absl::StrCat("fires (pass ", pass, ")");
      for (const v1::RuleAction* a : r.actions) {
        out.actions.push_back(FiredAction{r.name, a});
        if (a->has_stop_processing()) {
          out.stopped = true;
          break;
        }
        ApplyAction(*a, rep, context.now, i, &out.ticket, &timeline, &happened,
                    &snap);
      }
      // Rules after this one that react to its changes run in this pass.
      refresh();
      pos = std::lower_bound(
                cands.begin(), cands.end(), i,
                [](const Candidate& x, int rule) { return x.rule < rule; }) -
            cands.begin();
    }
  }
  if (out.stopped && reasons != nullptr) {
    for (int i = 0; i < n; ++i) {
      if ((*reasons)[i].empty() && !rep.rules[i].automation &&
          !rep.rules[i].disabled) {
        (*reasons)[i] =
            absl::StrCat("processing stopped by rule ", out.fired_rules.back());
      }
    }
  }
  return out;
}

}  // namespace rules_internal

absl::StatusOr<RuleOutcome> RuleSet::Run(const RuleContext& context,
                                         absl::Span<const v1::Event> events,
                                         const RuleRunOptions& options) const {
  if (context.ticket == nullptr)
    return absl::InvalidArgumentError("context.ticket: null");
  return rules_internal::RunTriggers(*rep_, context, events,
                                     options.scan_all_rules, nullptr);
}

}  // namespace helpdesk
