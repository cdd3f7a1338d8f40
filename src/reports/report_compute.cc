// Computing a report from the accumulator's per-ticket timelines: each
// ticket's figures for the period, then rows by grouping, percentiles.
#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/container/node_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/audit.h"
#include "helpdesk/names.h"
#include "helpdesk/reports.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/timestamp.h"
#include "internal/parallel.h"
#include "reports/report_history.h"
#include "reports/report_rows.h"
#include "reports/report_sort.h"

namespace helpdesk::reports_internal {
namespace {

bool IsDone(v1::StatusCategory c) {
  return c == v1::STATUS_CATEGORY_SOLVED || c == v1::STATUS_CATEGORY_CLOSED;
}

// A stretch of the ticket's life with one status category and group.
struct Stretch {
  absl::Time start;
  v1::StatusCategory category = v1::STATUS_CATEGORY_UNSPECIFIED;
  int64_t group = 0;
  // Solved, closed or merged: out of the backlog.
  bool out = false;
};



// A ticket's rows at a moment: interned keys (one string per distinct key,
// so that rows are found by address), sorted.
using KeyList = std::vector<const std::string*>;

// From `start` on (until the next span), the ticket is in the rows `keys`.
struct KeySpan {
  absl::Time start;
  const KeyList* keys;
};

class Computer {
 public:
  Computer(const AccumulatorState& state, const ReportSpec& spec);

  // Fills `f` (cleared first; its vectors keep their capacity) with what `t`
  // contributes.
  absl::Status Figures(const TicketHistory& t, TicketFigures* f) const;
  v1::Ticket TicketOf(const TicketHistory& t, int32_t status) const;
  // The rows of `t`'s current value (the ticket given with AddTicket, else
  // none), for a value its events never set.
  const KeyList& Keys(const TicketHistory& t) const;
  // The rows `t` is in over time (spans from its creation; events at or
  // after the period's end do not count): the grouping's value as the events
  // set it, or, for a value the events never set, Keys(t) throughout.
  void KeySpans(const TicketHistory& t, std::vector<KeySpan>* spans) const;
  // The tags `t` had at the period's end (the current ticket's, or the
  // latest the events gave, when the events never set them).
  const std::vector<std::string>& TagsAtEnd(const TicketHistory& t,
                                            std::vector<std::string>* scratch) const;
  const Wanted& wanted() const { return wanted_; }

 private:
  // The time in [a, b) spent in stretches that `count` accepts, in calendar
  // or business time (on each stretch's group calendar).
  template <typename Pred>
  absl::StatusOr<absl::Duration> Measure(const std::vector<Stretch>& stretches, absl::Time a,
                                         absl::Time b, Pred count) const;
  absl::Status Sla(const TicketHistory& t, int32_t status, TicketFigures* f) const;
  // Whether `m` sets the grouping's value.
  bool SetsValue(const Mark& m) const {
    return timeline_kind_.has_value() && m.kind == *timeline_kind_ &&
           (m.kind != Mark::kCustomField || m.custom_field() == custom_field_);
  }
  // The rows of the grouping's value `code` (what ValueCode gives).
  const KeyList& KeysOfCode(int64_t code) const;
  // The grouping's value as a code: an id, an enum's number, an index in
  // the accumulator's tag sets or custom values (or, past them, in this
  // computer's own, for current tickets' values the events never gave).
  int64_t CodeOfMark(const Mark* m) const;
  int64_t CodeOfTags(std::vector<std::string> tags) const;
  int64_t CodeOfCustomValue(const std::string& value) const;
  const std::string* Intern(absl::string_view key) const;

  const AccumulatorState& state_;
  const ReportSpec& spec_;
  Wanted wanted_;
  // Scratch of Figures, kept between tickets to spare allocations.
  mutable std::vector<Stretch> stretches_;
  mutable std::vector<absl::Time> replies_;
  // The mark kind that sets the grouping's value, if the events carry it,
  // and for a custom field its name's index (-1: no event names it).
  std::optional<Mark::Kind> timeline_kind_;
  int32_t custom_field_ = -1;
  // Interned keys and each value code's rows.
  mutable absl::node_hash_set<std::string> key_strings_;
  mutable absl::node_hash_map<int64_t, KeyList> code_keys_;
  // Values of current tickets that no event gave (codes past the
  // accumulator's tables).
  mutable std::vector<std::vector<std::string>> more_tag_sets_;
  mutable absl::flat_hash_map<std::string, int64_t> more_tag_set_codes_;
  mutable std::vector<std::string> more_custom_values_;
  mutable absl::flat_hash_map<std::string, int64_t> more_custom_codes_;
};

template <typename Pred>
absl::StatusOr<absl::Duration> Computer::Measure(const std::vector<Stretch>& stretches,
                                                 absl::Time a, absl::Time b,
                                                 Pred count) const {
  absl::Duration total;
  for (size_t i = 0; i < stretches.size(); ++i) {
    absl::Time s = std::max(a, stretches[i].start);
    absl::Time e = i + 1 < stretches.size() ? std::min(b, stretches[i + 1].start) : b;
    if (s >= e || !count(stretches[i])) continue;
    if (!spec_.business_time) {
      total += e - s;
      continue;
    }
    const BusinessCalendar* calendar = &*state_.config.calendar;
    auto it = state_.config.group_calendars.find(stretches[i].group);
    if (it != state_.config.group_calendars.end()) calendar = &it->second;
    absl::StatusOr<absl::Duration> d = calendar->BusinessDuration(s, e);
    if (!d.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("business time: ", d.status().message()));
    }
    total += *d;
  }
  return total;
}

absl::Status Computer::Figures(const TicketHistory& t, TicketFigures* figures) const {
  TicketFigures& f = *figures;
  f.created_in = false;
  f.solves.clear();
  f.reopens.clear();
  f.first_reply.reset();
  f.resolution.reset();
  f.replies.reset();
  f.requester_wait.reset();
  f.agent_work.reset();
  f.backlog.clear();
  f.sla.clear();
  const absl::Time from = spec_.from, to = spec_.to;
  auto in_period = [&](absl::Time x) { return x >= from && x < to; };
  f.created_in = in_period(t.created);
  std::vector<Stretch>& stretches = stretches_;
  stretches.clear();
  int32_t status = -1;
  int64_t group = 0;
  bool merged = false;
  std::optional<absl::Time> first_reply;
  bool outbound = false;
  std::optional<absl::Time> last_solve;
  std::vector<absl::Time>& replies = replies_;
  replies.clear();
  size_t i = 0;
  const std::vector<Mark>& marks = t.marks;
  while (i < marks.size() && marks[i].time() < to) {
    const uint32_t seq = marks[i].seq;
    const absl::Time time = marks[i].time();
    const bool was_out =
        seq != 0 && (merged || (status >= 0 && IsDone(state_.status_categories[status])));
    bool merge_event = false;
    for (; i < marks.size() && marks[i].seq == seq; ++i) {
      const Mark& m = marks[i];
      switch (m.kind) {
        case Mark::kStatus: status = m.small(); break;
        case Mark::kGroup: group = m.value; break;
        case Mark::kMerged: merge_event = true; break;
        case Mark::kPriority:
        case Mark::kAssignee:
        case Mark::kType:
        case Mark::kOrganization:
        case Mark::kTags:
        case Mark::kCustomField:
          break;
        case Mark::kMessage:
          if (m.small() == v1::Message::PUBLIC_REPLY && m.agent) {
            replies.push_back(time);
            if (seq == 0) outbound = true;
            if (!first_reply.has_value() && !outbound) first_reply = time;
          }
          break;
      }
    }
    merged = merged || merge_event;
    const v1::StatusCategory category =
        status >= 0 ? state_.status_categories[status] : v1::STATUS_CATEGORY_NEW;
    const bool out = merged || IsDone(category);
    if (!was_out && out && !merge_event) {
      last_solve = time;
      if (in_period(time)) f.solves.push_back(time);
    }
    if (was_out && !out && in_period(time)) f.reopens.push_back(time);
    Stretch s{time, category, group, out};
    if (!stretches.empty() && stretches.back().start == time) {
      stretches.back() = s;
    } else if (stretches.empty() || stretches.back().category != s.category ||
               stretches.back().group != s.group || stretches.back().out != s.out) {
      stretches.push_back(s);
    }
  }
  if (stretches.empty()) return absl::OkStatus();  // created at or after `to`
  if (wanted_.backlog) {
    for (size_t k = 0; k < stretches.size(); ++k) {
      if (stretches[k].out) continue;
      absl::Time end =
          k + 1 < stretches.size() ? stretches[k + 1].start : absl::InfiniteFuture();
      if (!f.backlog.empty() && f.backlog.back().second == stretches[k].start) {
        f.backlog.back().second = end;
      } else {
        f.backlog.emplace_back(stretches[k].start, end);
      }
    }
  }
  auto any = [](const Stretch&) { return true; };
  if (wanted_.first_reply && first_reply.has_value() && in_period(*first_reply)) {
    HELPDESK_ASSIGN_OR_RETURN(f.first_reply, Measure(stretches, t.created, *first_reply, any));
    f.first_reply_at = *first_reply;
  }
  const bool resolved = last_solve.has_value() && in_period(*last_solve) && !merged &&
                        stretches.back().out;
  if (resolved) {
    f.resolved_at = *last_solve;
    if (wanted_.resolution) {
      HELPDESK_ASSIGN_OR_RETURN(f.resolution, Measure(stretches, t.created, *last_solve, any));
    }
    if (wanted_.replies) {
      f.replies = std::count_if(replies.begin(), replies.end(),
                                [&](absl::Time r) { return r <= *last_solve; });
    }
    if (wanted_.requester_wait) {
      HELPDESK_ASSIGN_OR_RETURN(
          f.requester_wait, Measure(stretches, t.created, *last_solve, [](const Stretch& s) {
            return s.category == v1::STATUS_CATEGORY_NEW ||
                   s.category == v1::STATUS_CATEGORY_OPEN ||
                   s.category == v1::STATUS_CATEGORY_ON_HOLD;
          }));
    }
    if (wanted_.agent_work) {
      HELPDESK_ASSIGN_OR_RETURN(
          f.agent_work, Measure(stretches, t.created, *last_solve, [](const Stretch& s) {
            return s.category == v1::STATUS_CATEGORY_NEW ||
                   s.category == v1::STATUS_CATEGORY_OPEN;
          }));
    }
  }
  if (wanted_.sla && state_.config.sla.has_value()) {
    HELPDESK_RETURN_IF_ERROR(Sla(t, status, &f));
  }
  return absl::OkStatus();
}

// The ticket as SLA policies and groupings see it: the current ticket when
// given, else what the events said; its status as of the period's end.
v1::Ticket Computer::TicketOf(const TicketHistory& t, int32_t status) const {
  v1::Ticket ticket;
  if (t.current != nullptr) {
    ticket = *t.current;
  } else {
    ticket.set_id(t.id);
    ticket.set_assignee_id(t.assignee);
    ticket.set_group_id(t.group);
    ticket.set_organization_id(t.organization);
    ticket.set_priority(t.priority);
    ticket.set_type(t.type);
    if (t.tags >= 0) {
      for (const std::string& tag : state_.tag_sets[t.tags]) ticket.add_tags(tag);
    }
  }
  if (status >= 0) {
    ticket.set_status(state_.status_names[status]);
    ticket.set_status_category(state_.status_categories[status]);
  }
  *ticket.mutable_created_at() = ToTimestamp(t.created);
  return ticket;
}

absl::Status Computer::Sla(const TicketHistory& t, int32_t status, TicketFigures* f) const {
  // The ticket's SLA-relevant history as events, one per source event.
  std::vector<v1::Event> events;
  for (size_t i = 0; i < t.marks.size() && t.marks[i].time() < spec_.to;) {
    const uint32_t seq = t.marks[i].seq;
    v1::Event& e = events.emplace_back();
    e.set_ticket_id(t.id);
    *e.mutable_time() = ToTimestamp(t.marks[i].time());
    e.set_kind(seq == 0 ? v1::Event::TICKET_CREATED : v1::Event::FIELDS_CHANGED);
    for (; i < t.marks.size() && t.marks[i].seq == seq; ++i) {
      const Mark& m = t.marks[i];
      switch (m.kind) {
        case Mark::kStatus:
          AddChange(e.mutable_changes(), v1::FieldChange::STATUS, std::nullopt,
                    StatusValue(state_.status_names[m.small()]));
          break;
        case Mark::kPriority:
          AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY, std::nullopt,
                    PriorityValue(static_cast<v1::Priority>(m.small())));
          break;
        case Mark::kMessage:
          if (seq != 0) e.set_kind(v1::Event::MESSAGE_ADDED);
          e.set_message_kind(m.small());
          e.mutable_actor()->set_kind(m.agent ? v1::Actor::AGENT : v1::Actor::CONTACT);
          break;
        case Mark::kMerged:
          e.set_kind(v1::Event::MERGED_INTO);
          break;
        case Mark::kGroup:
        case Mark::kAssignee:
        case Mark::kType:
        case Mark::kOrganization:
        case Mark::kTags:
        case Mark::kCustomField:
          break;
      }
    }
  }
  if (events.empty()) return absl::OkStatus();
  v1::Ticket ticket = TicketOf(t, status);
  absl::StatusOr<SlaStatus> sla = state_.config.sla->Evaluate(ticket, events, spec_.to);
  if (!sla.ok()) {
    return absl::Status(sla.status().code(),
                        absl::StrCat("sla of ticket ", t.id, ": ", sla.status().message()));
  }
  auto in_period = [&](absl::Time x) { return x >= spec_.from && x < spec_.to; };
  for (const SlaMetricStatus& m : sla->metrics) {
    if (m.state == SlaState::kBreached && m.breached_at.has_value() &&
        in_period(*m.breached_at)) {
      f->sla.push_back({m.metric, false, *m.breached_at});
    } else if (m.state == SlaState::kMet && m.stopped_at.has_value() &&
               in_period(*m.stopped_at)) {
      f->sla.push_back({m.metric, true, *m.stopped_at});
    }
  }
  return absl::OkStatus();
}

std::string IdKey(int64_t id) { return id == 0 ? "none" : absl::StrCat(id); }

std::string EnumKey(absl::string_view name, absl::string_view prefix) {
  std::string s = absl::AsciiStrToLower(name);
  if (absl::StartsWith(s, prefix)) s = s.substr(prefix.size());
  return s == "unspecified" ? "none" : s;
}

// The mark kind that sets the grouping's value, if the events carry it.
std::optional<Mark::Kind> TimelineKind(ReportGrouping::Kind kind) {
  using Kind = ReportGrouping::Kind;
  switch (kind) {
    case Kind::kAgent: return Mark::kAssignee;
    case Kind::kGroup: return Mark::kGroup;
    case Kind::kOrganization: return Mark::kOrganization;
    case Kind::kPriority: return Mark::kPriority;
    case Kind::kType: return Mark::kType;
    case Kind::kTag: return Mark::kTags;
    case Kind::kCustomField: return Mark::kCustomField;
    // The channel: set at the creation, never changed (see reports.h).
    case Kind::kNone:
    case Kind::kChannel:
      return std::nullopt;
  }
  return std::nullopt;
}

Computer::Computer(const AccumulatorState& state, const ReportSpec& spec)
    : state_(state), spec_(spec), wanted_(WantedOf(spec)) {
  timeline_kind_ = TimelineKind(spec.group_by.kind);
  if (timeline_kind_ == Mark::kCustomField) {
    auto it = state.custom_name_index.find(spec.group_by.custom_field);
    if (it == state.custom_name_index.end()) {
      timeline_kind_.reset();
    } else {
      custom_field_ = it->second;
    }
  }
}

const std::string* Computer::Intern(absl::string_view key) const {
  return &*key_strings_.emplace(key).first;
}

int64_t Computer::CodeOfTags(std::vector<std::string> tags) const {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  if (tags.empty()) return -1;
  std::string key;
  for (const std::string& tag : tags) {
    key.append(tag);
    key.push_back('\0');
  }
  auto known = state_.tag_set_index.find(key);
  if (known != state_.tag_set_index.end()) return known->second;
  auto [it, added] = more_tag_set_codes_.try_emplace(
      std::move(key), static_cast<int64_t>(state_.tag_sets.size() + more_tag_sets_.size()));
  if (added) more_tag_sets_.push_back(std::move(tags));
  return it->second;
}

int64_t Computer::CodeOfCustomValue(const std::string& value) const {
  auto known = state_.custom_value_index.find(value);
  if (known != state_.custom_value_index.end()) return known->second;
  auto [it, added] = more_custom_codes_.try_emplace(
      value, static_cast<int64_t>(state_.custom_values.size() + more_custom_values_.size()));
  if (added) more_custom_values_.push_back(value);
  return it->second;
}

int64_t Computer::CodeOfMark(const Mark* m) const {
  switch (*timeline_kind_) {
    case Mark::kGroup:
    case Mark::kAssignee:
    case Mark::kOrganization:
      return m != nullptr ? m->value : 0;
    case Mark::kCustomField:
      return m != nullptr ? m->custom_value() : 0;
    case Mark::kPriority:
    case Mark::kType:
      return m != nullptr ? m->small() : 0;
    case Mark::kTags:
      return m == nullptr || state_.tag_sets[m->small()].empty() ? -1 : m->small();
    case Mark::kStatus:
    case Mark::kMessage:
    case Mark::kMerged:
      break;
  }
  return 0;
}

const KeyList& Computer::KeysOfCode(int64_t code) const {
  auto [it, added] = code_keys_.try_emplace(code);
  KeyList& keys = it->second;
  if (!added) return keys;
  using Kind = ReportGrouping::Kind;
  switch (spec_.group_by.kind) {
    case Kind::kNone:
      break;
    case Kind::kAgent:
    case Kind::kGroup:
    case Kind::kOrganization:
      keys.push_back(Intern(IdKey(code)));
      break;
    case Kind::kPriority:
      keys.push_back(
          Intern(EnumKey(v1::Priority_Name(static_cast<v1::Priority>(code)), "priority_")));
      break;
    case Kind::kType:
      keys.push_back(Intern(
          EnumKey(v1::TicketType_Name(static_cast<v1::TicketType>(code)), "ticket_type_")));
      break;
    case Kind::kChannel:
      keys.push_back(
          Intern(EnumKey(v1::Channel_Name(static_cast<v1::Channel>(code)), "channel_")));
      break;
    case Kind::kTag: {
      const size_t known = state_.tag_sets.size();
      const std::vector<std::string>* tags =
          code < 0 ? nullptr
                   : static_cast<size_t>(code) < known ? &state_.tag_sets[code]
                                                       : &more_tag_sets_[code - known];
      if (tags == nullptr || tags->empty()) {
        keys.push_back(Intern("none"));
      } else {
        for (const std::string& tag : *tags) keys.push_back(Intern(tag));
      }
      break;
    }
    case Kind::kCustomField: {
      const size_t known = state_.custom_values.size();
      const std::string& v = static_cast<size_t>(code) < known
                                 ? state_.custom_values[code]
                                 : more_custom_values_[code - known];
      keys.push_back(Intern(v.empty() ? "none" : v));
      break;
    }
  }
  return keys;
}

const KeyList& Computer::Keys(const TicketHistory& t) const {
  using Kind = ReportGrouping::Kind;
  const v1::Ticket* c = t.current.get();
  switch (spec_.group_by.kind) {
    case Kind::kNone: return KeysOfCode(0);
    case Kind::kAgent: return KeysOfCode(c ? c->assignee_id() : t.assignee);
    case Kind::kGroup: return KeysOfCode(c ? c->group_id() : t.group);
    case Kind::kOrganization: return KeysOfCode(c ? c->organization_id() : t.organization);
    case Kind::kPriority: return KeysOfCode(c ? c->priority() : t.priority);
    case Kind::kType: return KeysOfCode(c ? c->type() : t.type);
    case Kind::kChannel: return KeysOfCode(c ? c->channel() : v1::CHANNEL_UNSPECIFIED);
    case Kind::kTag:
      if (c != nullptr) {
        return KeysOfCode(CodeOfTags(std::vector<std::string>(c->tags().begin(), c->tags().end())));
      }
      return KeysOfCode(t.tags);
    case Kind::kCustomField: {
      if (c == nullptr) return KeysOfCode(0);
      auto it = c->custom_fields().find(spec_.group_by.custom_field);
      if (it == c->custom_fields().end()) return KeysOfCode(0);
      return KeysOfCode(CodeOfCustomValue(RenderValue(CustomFieldValueOf(it->second))));
    }
  }
  return KeysOfCode(0);
}

void Computer::KeySpans(const TicketHistory& t, std::vector<KeySpan>* spans) const {
  spans->clear();
  const bool timeline =
      timeline_kind_.has_value() && (t.kinds & (uint32_t{1} << *timeline_kind_)) != 0 &&
      std::any_of(t.marks.begin(), t.marks.end(), [&](const Mark& m) { return SetsValue(m); });
  if (!timeline) {
    spans->push_back({t.created, &Keys(t)});
    return;
  }
  spans->push_back({t.created, &KeysOfCode(CodeOfMark(nullptr))});
  for (const Mark& m : t.marks) {
    if (m.time() >= spec_.to) break;
    if (!SetsValue(m)) continue;
    const KeyList* keys = &KeysOfCode(CodeOfMark(&m));
    if (*keys == *spans->back().keys) continue;
    // Marks at the ticket's creation or at one moment: the last one holds.
    if (m.time() <= spans->back().start) {
      spans->back().keys = keys;
      if (spans->size() > 1 && *(*spans)[spans->size() - 2].keys == *spans->back().keys) {
        spans->pop_back();
      }
    } else {
      spans->push_back({m.time(), keys});
    }
  }
}

const std::vector<std::string>& Computer::TagsAtEnd(const TicketHistory& t,
                                                    std::vector<std::string>* scratch) const {
  const Mark* last = nullptr;
  bool any = false;
  for (const Mark& m : t.marks) {
    if (m.kind != Mark::kTags) continue;
    any = true;
    if (m.time() >= spec_.to) break;
    last = &m;
  }
  if (last != nullptr) return state_.tag_sets[last->small()];
  scratch->clear();
  if (!any) {
    if (t.current != nullptr) {
      scratch->assign(t.current->tags().begin(), t.current->tags().end());
    }
  }
  return *scratch;
}

// The rows of a slice of the tickets: the total and, by interned key (one
// address per distinct key of the slice's computer), the grouping's rows.
struct SliceRows {
  RowBuilder total;
  absl::flat_hash_map<const std::string*, RowBuilder> rows;
};

// Adds the figures of `tickets` (in id order) to `out`; stops at the first
// ticket whose figures fail.
absl::Status ComputeSlice(const Computer& computer, const ReportSpec& spec, int64_t samples,
                          absl::Span<const TicketHistory* const> tickets, SliceRows* out) {
  const Wanted& w = computer.wanted();
  RowBuilder& total = out->total;
  absl::flat_hash_map<const std::string*, RowBuilder>& rows = out->rows;
  // The total row takes about one value per ticket: its vectors are
  // reserved (memory is touched as they fill) rather than regrown.
  if (w.first_reply) total.first_reply.reserve(tickets.size());
  if (w.resolution) total.resolution.reserve(tickets.size());
  if (w.requester_wait) total.requester_wait.reserve(tickets.size());
  if (w.agent_work) total.agent_work.reserve(tickets.size());
  if (w.replies) total.replies.reserve(tickets.size());
  TicketFigures f;
  const std::vector<std::string> no_tags;
  std::vector<std::string> tags_scratch;
  std::vector<KeySpan> spans;
  std::vector<std::pair<const std::string*, Ranges>> key_ranges;
  const bool grouped = spec.group_by.kind != ReportGrouping::Kind::kNone;
  for (const TicketHistory* t : tickets) {
    HELPDESK_RETURN_IF_ERROR(computer.Figures(*t, &f));
    const std::vector<std::string>* tags = &no_tags;
    if (w.top_tags && f.created_in) tags = &computer.TagsAtEnd(*t, &tags_scratch);
    // The accumulator's tag sets are held; the scratch and no_tags are not
    // (no_tags adds nothing).
    const bool held = tags != &tags_scratch;
    AddTo(total, f, *tags, held, spec, samples, nullptr);
    if (!grouped) continue;
    computer.KeySpans(*t, &spans);
    if (spans.size() == 1) {  // one value throughout: every figure
      for (const std::string* key : *spans[0].keys) {
        AddTo(rows[key], f, *tags, held, spec, samples, nullptr);
      }
      continue;
    }
    // Each value, with the times the ticket had it.
    key_ranges.clear();
    for (size_t k = 0; k < spans.size(); ++k) {
      const absl::Time end =
          k + 1 < spans.size() ? spans[k + 1].start : absl::InfiniteFuture();
      // The first span also holds what came before the creation's moment.
      const absl::Time start = k == 0 ? absl::InfinitePast() : spans[k].start;
      for (const std::string* key : *spans[k].keys) {
        auto it = std::find_if(key_ranges.begin(), key_ranges.end(),
                               [&](const auto& kr) { return kr.first == key; });
        if (it == key_ranges.end()) {
          key_ranges.push_back({key, {}});
          it = key_ranges.end() - 1;
        }
        if (!it->second.empty() && it->second.back().second == start) {
          it->second.back().second = end;
        } else {
          it->second.emplace_back(start, end);
        }
      }
    }
    for (const auto& [key, ranges] : key_ranges) {
      AddTo(rows[key], f, *tags, held, spec, samples, &ranges);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Report> ComputeFromState(const AccumulatorState& state, const ReportSpec& spec) {
  const Wanted w = WantedOf(spec);
  Report report;
  report.spec = spec;
  int64_t samples = 0;
  if (w.backlog) {
    samples = spec.to > spec.from
                  ? FirstSampleAtOrAfter(spec.to, spec, std::numeric_limits<int64_t>::max())
                  : 0;
    for (int64_t k = 0; k < samples; ++k) {
      report.backlog_times.push_back(spec.from + k * spec.backlog_step);
    }
  }
  // Visit tickets in id order, so that results do not depend on hashing.
  std::vector<const TicketHistory*> tickets;
  tickets.reserve(state.tickets.size());
  for (const TicketHistory& t : state.tickets) {
    if (t.has_events && t.created < spec.to) tickets.push_back(&t);
  }
  auto by_id = [](const TicketHistory* a, const TicketHistory* b) { return a->id < b->id; };
  // Tickets usually come in id order already.
  if (!std::is_sorted(tickets.begin(), tickets.end(), by_id)) {
    std::sort(tickets.begin(), tickets.end(), by_id);
  }
  // Slices of consecutive tickets, one per thread; the figures of each
  // slice join in slice order, and the first failing slice's error is the
  // first failing ticket's, as on one thread.
  const size_t threads = std::max<size_t>(
      1, std::min<size_t>(ThreadsOf(state.config), tickets.size() / Tuning().tickets_per_thread));
  std::vector<std::unique_ptr<Computer>> computers;
  std::vector<SliceRows> slices(threads);
  std::vector<absl::Status> status(threads);
  for (size_t k = 0; k < threads; ++k) {
    computers.push_back(std::make_unique<Computer>(state, spec));
  }
  internal::RunOnThreads(threads, threads, [&](size_t k) {
    const size_t lo = tickets.size() * k / threads, hi = tickets.size() * (k + 1) / threads;
    status[k] = ComputeSlice(*computers[k], spec, samples,
                             absl::MakeConstSpan(tickets).subspan(lo, hi - lo), &slices[k]);
  });
  for (const absl::Status& s : status) HELPDESK_RETURN_IF_ERROR(s);
  // Each key's row (the first slice's key and figures, absorbing the
  // others'; each computer interns its own keys, so they are found by text).
  RowBuilder& total = slices[0].total;
  absl::flat_hash_map<absl::string_view, RowBuilder*> rows;
  for (SliceRows& slice : slices) {
    if (&slice != &slices[0]) Absorb(total, std::move(slice.total));
    for (auto& [key, b] : slice.rows) {
      auto [it, added] = rows.try_emplace(*key, &b);
      if (!added) Absorb(*it->second, std::move(b));
    }
  }
  // Finishing a row sorts its values: the rows are finished on the threads
  // too, the total (about as many values as all the others) first.
  std::vector<std::pair<std::string, RowBuilder*>> unfinished;
  unfinished.emplace_back("total", &total);
  for (auto& [key, b] : rows) unfinished.emplace_back(std::string(key), b);
  std::vector<ReportRow> finished(unfinished.size());
  internal::RunOnThreads(threads, unfinished.size(), [&](size_t i) {
    finished[i] = Finish(std::move(unfinished[i].first), std::move(*unfinished[i].second), w,
                         spec, samples);
  });
  report.total = std::move(finished[0]);
  report.rows.assign(std::make_move_iterator(finished.begin() + 1),
                     std::make_move_iterator(finished.end()));
  std::sort(report.rows.begin(), report.rows.end(),
            [](const ReportRow& a, const ReportRow& b) { return KeyLess(a.key, b.key); });
  if (!w.created) {
    report.total.created = 0;
    for (ReportRow& r : report.rows) r.created = 0;
  }
  if (!w.solved) {
    report.total.solved = 0;
    for (ReportRow& r : report.rows) r.solved = 0;
  }
  if (!w.reopened) {
    report.total.reopened = 0;
    for (ReportRow& r : report.rows) r.reopened = 0;
  }
  return report;
}

}  // namespace helpdesk::reports_internal
