// ReportAccumulator: takes the audit log event by event into a compact
// timeline per ticket; metric and grouping names; spec validation.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "helpdesk/audit.h"
#include "helpdesk/reports.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/timestamp.h"
#include "reports/report_history.h"

namespace helpdesk {
namespace {

using reports_internal::AccumulatorState;
using reports_internal::ChangeFacts;
using reports_internal::CurrentTicket;
using reports_internal::EventFacts;
using reports_internal::Mark;
using reports_internal::ValueFacts;
using reports_internal::TicketHistory;

constexpr int64_t kMaxBacklogSamples = 100000;

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

}  // namespace

const std::vector<ReportMetric>& AllReportMetrics() {
  static const std::vector<ReportMetric>* all = new std::vector<ReportMetric>{
      ReportMetric::kCreated,        ReportMetric::kSolved,
      ReportMetric::kReopened,       ReportMetric::kBacklog,
      ReportMetric::kFirstReply,     ReportMetric::kResolution,
      ReportMetric::kRepliesToResolve, ReportMetric::kRequesterWait,
      ReportMetric::kAgentWork,      ReportMetric::kSla,
      ReportMetric::kTopTags};
  return *all;
}

std::string ReportMetricName(ReportMetric metric) {
  switch (metric) {
    case ReportMetric::kCreated: return "created";
    case ReportMetric::kSolved: return "solved";
    case ReportMetric::kReopened: return "reopened";
    case ReportMetric::kBacklog: return "backlog";
    case ReportMetric::kFirstReply: return "first_reply";
    case ReportMetric::kResolution: return "resolution";
    case ReportMetric::kRepliesToResolve: return "replies_to_resolve";
    case ReportMetric::kRequesterWait: return "requester_wait";
    case ReportMetric::kAgentWork: return "agent_work";
    case ReportMetric::kSla: return "sla";
    case ReportMetric::kTopTags: return "top_tags";
  }
  return "unknown";
}

absl::StatusOr<ReportMetric> ParseReportMetric(absl::string_view name) {
  std::vector<std::string> known;
  for (ReportMetric m : AllReportMetrics()) {
    if (ReportMetricName(m) == name) return m;
    known.push_back(ReportMetricName(m));
  }
  return absl::InvalidArgumentError(absl::StrCat("metric ", Quoted(name),
                                                 " is not a report metric (known: ",
                                                 absl::StrJoin(known, ", "), ")"));
}

absl::StatusOr<ReportGrouping> ParseReportGrouping(absl::string_view name) {
  using Kind = ReportGrouping::Kind;
  static constexpr std::pair<const char*, Kind> kNames[] = {
      {"none", Kind::kNone},         {"agent", Kind::kAgent},
      {"group", Kind::kGroup},       {"tag", Kind::kTag},
      {"channel", Kind::kChannel},   {"priority", Kind::kPriority},
      {"type", Kind::kType},         {"organization", Kind::kOrganization}};
  ReportGrouping g;
  if (name.empty()) return g;
  for (const auto& [n, kind] : kNames) {
    if (name == n) {
      g.kind = kind;
      return g;
    }
  }
  constexpr absl::string_view kCustom = "custom_field.";
  if (name.size() > kCustom.size() && name.substr(0, kCustom.size()) == kCustom) {
    g.kind = Kind::kCustomField;
    g.custom_field = std::string(name.substr(kCustom.size()));
    return g;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "group_by ", Quoted(name),
      " is not a report grouping (known: none, agent, group, tag, channel, priority, type, "
      "organization, custom_field.<name>)"));
}

std::string ReportGroupingName(const ReportGrouping& grouping) {
  using Kind = ReportGrouping::Kind;
  switch (grouping.kind) {
    case Kind::kNone: return "none";
    case Kind::kAgent: return "agent";
    case Kind::kGroup: return "group";
    case Kind::kTag: return "tag";
    case Kind::kChannel: return "channel";
    case Kind::kPriority: return "priority";
    case Kind::kType: return "type";
    case Kind::kOrganization: return "organization";
    case Kind::kCustomField: return absl::StrCat("custom_field.", grouping.custom_field);
  }
  return "none";
}

absl::Status ValidateReportSpec(const ReportSpec& spec, const ReportConfig& config) {
  if (spec.to < spec.from) {
    return absl::InvalidArgumentError(
        absl::StrCat("period: to ", FormatRfc3339(spec.to), " is before from ",
                     FormatRfc3339(spec.from)));
  }
  if (spec.from == absl::InfinitePast() || spec.to == absl::InfiniteFuture() ||
      spec.from == absl::InfiniteFuture() || spec.to == absl::InfinitePast()) {
    return absl::InvalidArgumentError("period: from and to must be finite times");
  }
  if (spec.backlog_step <= absl::ZeroDuration() ||
      spec.backlog_step == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backlog_step ", absl::FormatDuration(spec.backlog_step), " is not positive"));
  }
  bool wants_backlog = spec.metrics.empty() ||
                       std::find(spec.metrics.begin(), spec.metrics.end(),
                                 ReportMetric::kBacklog) != spec.metrics.end();
  absl::Duration rem;  // IDivDuration needs it (Abseil 20220623)
  if (wants_backlog &&
      absl::IDivDuration(spec.to - spec.from, spec.backlog_step, &rem) >=
          kMaxBacklogSamples) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backlog_step ", absl::FormatDuration(spec.backlog_step),
        " gives more than ", kMaxBacklogSamples, " samples over the period"));
  }
  if (spec.top_tags < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_tags ", spec.top_tags, " is not positive"));
  }
  if (spec.business_time && !config.calendar.has_value()) {
    return absl::InvalidArgumentError(
        "business_time: the report config has no calendar to count business time with");
  }
  if (spec.group_by.kind == ReportGrouping::Kind::kCustomField &&
      spec.group_by.custom_field.empty()) {
    return absl::InvalidArgumentError("group_by: a custom field grouping needs the field's name");
  }
  return absl::OkStatus();
}

ReportAccumulator::ReportAccumulator(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ReportAccumulator::ReportAccumulator(ReportAccumulator&&) noexcept = default;
ReportAccumulator& ReportAccumulator::operator=(ReportAccumulator&&) noexcept = default;
ReportAccumulator::~ReportAccumulator() = default;

absl::StatusOr<ReportAccumulator> ReportAccumulator::Create(ReportConfig config) {
  for (const auto& [group, calendar] : config.group_calendars) {
    if (group <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("group_calendars: group id ", group, " is not positive"));
    }
  }
  auto rep = std::make_unique<Rep>();
  AccumulatorState& s = rep->state;
  s.status_names = config.workflow.StatusNames();
  for (size_t i = 0; i < s.status_names.size(); ++i) {
    HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory c,
                              config.workflow.CategoryOf("status", s.status_names[i]));
    s.status_categories.push_back(c);
    s.status_index[s.status_names[i]] = static_cast<int32_t>(i);
  }
  s.config = std::move(config);
  return ReportAccumulator(std::move(rep));
}

namespace {

// The bit of TicketHistory::kinds for marks of `kind`.
constexpr uint32_t KindBit(Mark::Kind kind) { return uint32_t{1} << kind; }

// The mark kind a change of `field` sets, for the values rows group by.
std::optional<Mark::Kind> ValueKind(v1::FieldChange::Field field) {
  switch (field) {
    case v1::FieldChange::GROUP: return Mark::kGroup;
    case v1::FieldChange::PRIORITY: return Mark::kPriority;
    case v1::FieldChange::ASSIGNEE: return Mark::kAssignee;
    case v1::FieldChange::ORGANIZATION: return Mark::kOrganization;
    case v1::FieldChange::TYPE: return Mark::kType;
    case v1::FieldChange::TAGS: return Mark::kTags;
    case v1::FieldChange::CUSTOM_FIELD: return Mark::kCustomField;
    default: return std::nullopt;
  }
}

// Sets `m` (of a value kind) to `v`, as a change of `field` gives it;
// `custom` is the custom field's rendered value (interned here).
void SetMarkValue(AccumulatorState& s, const EventFacts& e, const ValueFacts& v,
                  const std::string& custom, Mark* m) {
  switch (m->kind) {
    case Mark::kGroup: m->value = v.NumberIf(v1::FieldValue::kGroupId); break;
    case Mark::kAssignee: m->value = v.NumberIf(v1::FieldValue::kAgentId); break;
    case Mark::kOrganization: m->value = v.NumberIf(v1::FieldValue::kOrganizationId); break;
    case Mark::kPriority:
      m->value = static_cast<int32_t>(v.NumberIf(v1::FieldValue::kPriority));
      break;
    case Mark::kType: m->value = static_cast<int32_t>(v.NumberIf(v1::FieldValue::kType)); break;
    case Mark::kTags:
      m->value = s.InternTags(absl::MakeConstSpan(e.tags).subspan(
          v.tags_begin, v.tags_end - v.tags_begin));
      break;
    case Mark::kCustomField:
      m->SetCustom(m->custom_field(),
                   v.value_case == v1::FieldValue::VALUE_NOT_SET
                       ? 0
                       : AccumulatorState::Intern(custom, &s.custom_values,
                                                  &s.custom_value_index));
      break;
    default:
      break;
  }
}

// The index of status `name` in the workflow, -1 when unknown: a scan of
// the few names (faster than hashing the name for every status change),
// comparing sizes and first bytes before the bytes.
int32_t StatusIndex(const AccumulatorState& s, absl::string_view name) {
  if (s.status_names.size() > 16) {
    auto it = s.status_index.find(name);
    return it == s.status_index.end() ? -1 : it->second;
  }
  for (size_t i = 0; i < s.status_names.size(); ++i) {
    const std::string& n = s.status_names[i];
    if (n.size() == name.size() && (n.empty() || n[0] == name[0]) && n == name) {
      return static_cast<int32_t>(i);
    }
  }
  return -1;
}

// Takes one event's facts (see ReportAccumulator::Add).
absl::Status AddFacts(AccumulatorState& s, const EventFacts& event) {
  if (event.kind == v1::Event::REFUSED) {
    // Ignored, but a clamping read counts its time as the Desk does.
    if (s.config.clamp_backward_times && event.ticket_id > 0) {
      TicketHistory* t = s.Find(event.ticket_id);
      if (t != nullptr && t->has_events && t->last_time < event.time) t->last_time = event.time;
    }
    return absl::OkStatus();
  }
  auto name = [&] { return absl::StrCat("event ", event.id); };
  if (event.ticket_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name(), ": ticket_id ", event.ticket_id, " is not positive"));
  }
  TicketHistory* found = s.Find(event.ticket_id);
  const bool known = found != nullptr && found->has_events;
  absl::Time time = event.time;
  int64_t micros = event.micros;
  if (known && time < found->last_time && s.config.clamp_backward_times) {
    time = found->last_time;
    micros = absl::ToUnixMicros(time);
  }
  const bool creation = event.kind == v1::Event::TICKET_CREATED;
  if (!known && !creation) {
    return absl::InvalidArgumentError(absl::StrCat(
        name(), ": the first event of ticket ", event.ticket_id, " is ",
        v1::Event::Kind_Name(event.kind), ", not TICKET_CREATED"));
  }
  if (known && creation) {
    return absl::InvalidArgumentError(absl::StrCat(
        name(), ": ticket ", event.ticket_id, " was created already"));
  }
  if (known && time < found->last_time) {
    return absl::InvalidArgumentError(absl::StrCat(
        name(), ": time ", FormatRfc3339(time), " is before the previous event of ticket ",
        event.ticket_id, " at ", FormatRfc3339(found->last_time)));
  }
  // Check every status, and render every custom field value, before
  // changing anything.
  std::vector<std::string> custom;  // (before, after) per custom field change
  std::vector<int32_t>& statuses = s.status_scratch;  // per status change
  statuses.clear();
  for (const ChangeFacts& c : event.changes) {
    if (c.field == v1::FieldChange::STATUS) {
      statuses.push_back(StatusIndex(s, c.after.StatusOr()));
      if (statuses.back() < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(name(), ": status ", Quoted(c.after.StatusOr()),
                         " is not a status of the workflow"));
      }
    }
    if (c.field == v1::FieldChange::CUSTOM_FIELD) {
      for (const ValueFacts* v : {&c.before, &c.after}) {
        if (!RenderedValue(*v, &s.value_scratch, &custom.emplace_back())) {
          return absl::DataLossError(absl::StrCat(
              name(), ": the value of custom field ", Quoted(c.custom_field),
              " cannot be decoded"));
        }
      }
    }
  }
  TicketHistory& t = found != nullptr ? *found : s.FindOrAdd(event.ticket_id);
  if (creation) {
    t.has_events = true;
    t.created = time;
  }
  t.last_time = time;
  const uint32_t seq = t.next_seq++;
  auto add_mark = [&](Mark::Kind kind) -> Mark& {
    Mark& m = t.marks.emplace_back();
    m.micros = micros;
    m.seq = seq;
    m.kind = kind;
    t.kinds |= KindBit(kind);
    return m;
  };
  if (event.kind == v1::Event::MERGED_INTO) add_mark(Mark::kMerged);
  if ((event.kind == v1::Event::MESSAGE_ADDED || creation) && event.message_kind != 0) {
    Mark& m = add_mark(Mark::kMessage);
    m.value = event.message_kind;
    m.agent = event.actor_kind == v1::Actor::AGENT;
  }
  size_t custom_at = 0, status_at = 0;
  for (const ChangeFacts& c : event.changes) {
    if (c.field == v1::FieldChange::STATUS) {
      add_mark(Mark::kStatus).value = statuses[status_at++];
      continue;
    }
    const std::optional<Mark::Kind> kind = ValueKind(c.field);
    if (!kind.has_value()) continue;
    const std::string* before = nullptr;
    const std::string* after = nullptr;
    int32_t field = 0;
    if (*kind == Mark::kCustomField) {
      before = &custom[custom_at++];
      after = &custom[custom_at++];
      field = AccumulatorState::Intern(c.custom_field, &s.custom_names, &s.custom_name_index);
    }
    // A value's first change after the creation says, in its `before`, what
    // the ticket had until then (the creation event does not list every
    // value: a ticket's organization and custom fields, say): a mark at
    // the creation keeps it, so rows credit the ticket to it until the
    // change.
    const bool first =
        *kind == Mark::kCustomField
            ? std::none_of(t.marks.begin(), t.marks.end(),
                           [&](const Mark& m) {
                             return m.kind == Mark::kCustomField && m.custom_field() == field;
                           })
            : (t.kinds & KindBit(*kind)) == 0;
    if (first && seq != 0 && c.before.present) {
      auto at = std::find_if(t.marks.begin(), t.marks.end(),
                             [](const Mark& m) { return m.seq != 0; });
      Mark m;
      m.set_time(t.created);
      m.seq = 0;
      m.kind = *kind;
      m.SetCustom(field, 0);  // for kCustomField; SetMarkValue sets the rest
      SetMarkValue(s, event, c.before, before != nullptr ? *before : std::string(), &m);
      t.marks.insert(at, m);
      t.kinds |= KindBit(*kind);
    }
    Mark& m = add_mark(*kind);
    m.SetCustom(field, 0);
    SetMarkValue(s, event, c.after, after != nullptr ? *after : std::string(), &m);
    switch (*kind) {
      case Mark::kGroup: t.group = m.value; break;
      case Mark::kAssignee: t.assignee = m.value; break;
      case Mark::kOrganization: t.organization = m.value; break;
      case Mark::kPriority: t.priority = static_cast<v1::Priority>(m.small()); break;
      case Mark::kType: t.type = static_cast<v1::TicketType>(m.small()); break;
      case Mark::kTags: t.tags = m.small(); break;
      default: break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReportAccumulator::Add(const v1::Event& event) {
  AccumulatorState& s = rep_->state;
  reports_internal::FactsOf(event, &s.facts);
  return AddFacts(s, s.facts);
}

absl::Status ReportAccumulator::AddEncoded(int64_t event_id, int64_t ticket_id,
                                           absl::string_view serialized) {
  AccumulatorState& s = rep_->state;
  if (reports_internal::DecodeFacts(event_id, ticket_id, serialized, &s.facts)) {
    return AddFacts(s, s.facts);
  }
  // Bytes the narrow read leaves to the parser.
  v1::Event& e = s.event_scratch;
  e.Clear();
  if (!e.ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return absl::DataLossError(
        absl::StrCat("event ", event_id, ": its bytes are not an encoded event"));
  }
  e.set_id(event_id);
  e.set_ticket_id(ticket_id);
  return Add(e);
}

void ReportAccumulator::AddTicket(const v1::Ticket& ticket) {
  if (ticket.id() <= 0) return;
  TicketHistory& t = rep_->state.FindOrAdd(ticket.id());
  t.current = CurrentTicket(new v1::Ticket(ticket));
}

absl::Status ReportAccumulator::AddEncodedTicket(int64_t ticket_id,
                                                 absl::string_view serialized) {
  if (ticket_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ticket_id ", ticket_id, " must be positive"));
  }
  AccumulatorState& s = rep_->state;
  CurrentTicket ticket(s.NewArenaTicket());
  if (!ticket->ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return absl::DataLossError(
        absl::StrCat("ticket ", ticket_id, ": its bytes are not an encoded ticket"));
  }
  ticket->set_id(ticket_id);
  s.FindOrAdd(ticket_id).current = std::move(ticket);
  return absl::OkStatus();
}

absl::Status ReportAccumulator::Merge(ReportAccumulator other) {
  AccumulatorState& s = rep_->state;
  AccumulatorState& o = other.rep_->state;
  std::vector<int32_t> remap(o.status_names.size(), -1);
  for (size_t i = 0; i < o.status_names.size(); ++i) {
    auto it = s.status_index.find(o.status_names[i]);
    if (it != s.status_index.end()) remap[i] = it->second;
  }
  for (const TicketHistory& t : o.tickets) {
    const TicketHistory* mine = s.Find(t.id);
    if (mine != nullptr && mine->has_events && t.has_events) {
      return absl::InvalidArgumentError(
          absl::StrCat("merge: both accumulators hold events of ticket ", t.id));
    }
    for (const Mark& m : t.marks) {
      if (m.kind == Mark::kStatus && remap[m.small()] < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "merge: status ", Quoted(o.status_names[m.small()]), " of ticket ", t.id,
            " is not a status of this accumulator's workflow"));
      }
    }
  }
  std::vector<int32_t> tag_remap(o.tag_sets.size());
  for (size_t i = 0; i < o.tag_sets.size(); ++i) tag_remap[i] = s.InternTags(o.tag_sets[i]);
  std::vector<int32_t> name_remap(o.custom_names.size());
  for (size_t i = 0; i < o.custom_names.size(); ++i) {
    name_remap[i] = AccumulatorState::Intern(o.custom_names[i], &s.custom_names,
                                             &s.custom_name_index);
  }
  std::vector<int32_t> value_remap(o.custom_values.size());
  for (size_t i = 0; i < o.custom_values.size(); ++i) {
    value_remap[i] = AccumulatorState::Intern(o.custom_values[i], &s.custom_values,
                                              &s.custom_value_index);
  }
  for (TicketHistory& t : o.tickets) {
    for (Mark& m : t.marks) {
      if (m.kind == Mark::kStatus) m.value = remap[m.small()];
      if (m.kind == Mark::kTags) m.value = tag_remap[m.small()];
      if (m.kind == Mark::kCustomField) {
        m.SetCustom(name_remap[m.custom_field()], value_remap[m.custom_value()]);
      }
    }
    if (t.tags >= 0) t.tags = tag_remap[t.tags];
    TicketHistory& mine = s.FindOrAdd(t.id);
    if (t.has_events) {
      CurrentTicket current = std::move(mine.current);
      mine = std::move(t);
      if (current != nullptr && mine.current == nullptr) mine.current = std::move(current);
    } else if (t.current != nullptr) {
      mine.current = std::move(t.current);
    }
  }
  s.AdoptArenas(o);
  o.ClearTickets();
  return absl::OkStatus();
}

absl::StatusOr<Report> ReportAccumulator::Compute(const ReportSpec& spec) const {
  HELPDESK_RETURN_IF_ERROR(ValidateReportSpec(spec, rep_->state.config));
  return reports_internal::ComputeFromState(rep_->state, spec);
}

int64_t ReportAccumulator::ticket_count() const {
  int64_t n = 0;
  for (const TicketHistory& t : rep_->state.tickets) n += t.has_events ? 1 : 0;
  return n;
}

absl::StatusOr<Report> ComputeReport(const ReportSpec& spec, const ReportConfig& config,
                                     absl::Span<const v1::Event> events,
                                     absl::Span<const v1::Ticket> tickets) {
  HELPDESK_RETURN_IF_ERROR(ValidateReportSpec(spec, config));
  HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator acc, ReportAccumulator::Create(config));
  for (const v1::Event& e : events) HELPDESK_RETURN_IF_ERROR(acc.Add(e));
  for (const v1::Ticket& t : tickets) acc.AddTicket(t);
  return acc.Compute(spec);
}

}  // namespace helpdesk
