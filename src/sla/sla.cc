// SlaEngine: config validation, policy selection, and the SLA clocks derived
// from a ticket's audit events.
//
// How Evaluate() works. One pass over the events keeps two cumulative clocks
// from the ticket's creation: the general clock, which counts while the status
// is neither a pause status nor of the solved or closed category, and the
// agent-work clock, which counts only in the new and open categories (and not
// in pause statuses). Each keeps real and business time (the latter only when
// a target of the policy needs it), the segments in which it counted, and
// where its current segment began. A cycle stores the clock's value when it
// starts and when it stops, so its used time is a difference; the due time is
// found with one AddBusinessDuration from the moment counting (last) resumed.
// Cost: one BusinessDuration per event while the clock counts, plus one
// AddBusinessDuration per reported metric. Inside the walk, times and counts
// are integer microseconds (the data model's precision); `now` is floored to
// the microsecond.
#include "helpdesk/sla.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "internal/text_checks.h"
#include "google/protobuf/duration.pb.h"
#include "helpdesk/audit.h"
#include "helpdesk/calendar.h"
#include "internal/status_macros.h"
#include "internal/text_proto.h"

namespace helpdesk {

namespace {

constexpr int kMetricCount = 8;    // SlaMetric values 0..7.
constexpr int kPriorityCount = 5;  // Priority values 0..4.

bool IsSolvedCategory(v1::StatusCategory c) {
  return c == v1::STATUS_CATEGORY_SOLVED || c == v1::STATUS_CATEGORY_CLOSED;
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// A google.protobuf.Duration as an absl::Duration. Errors: InvalidArgument
// naming `field` for a malformed value (nanos out of range or of the other
// sign than seconds).
absl::StatusOr<absl::Duration> ToDuration(const google::protobuf::Duration& d,
                                          absl::string_view field) {
  const int64_t s = d.seconds();
  const int32_t n = d.nanos();
  if (n <= -1000000000 || n >= 1000000000 || (s > 0 && n < 0) ||
      (s < 0 && n > 0) || s > int64_t{315576000000} ||
      s < -int64_t{315576000000}) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " {seconds: ", s, " nanos: ", n, "} is not a valid duration"));
  }
  return absl::Seconds(s) + absl::Nanoseconds(n);
}

// Calendar errors inside Evaluate: the ticket's times left the range the
// calendar supports. InvalidArgument becomes FailedPrecondition (the events
// are well-formed; the calendar cannot answer for them).
absl::Status CalendarFailure(const absl::Status& s, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", s.message()));
}

}  // namespace

namespace sla_internal {

// The engine's validated tables. SlaEngine::Rep derives from it so that the
// evaluation code below (outside the class) can name it.
struct EngineRep {
  struct Target {
    absl::Duration target;
    absl::Duration warn_before;
    bool business_hours = false;
  };
  struct Policy {
    v1::SlaPolicyConfig config;
    int calendar = -1;  // Index into calendars, or -1.
    // Per status index: whether the general clock / the agent-work clock
    // counts in it.
    std::vector<bool> counts;
    std::vector<bool> agent_counts;
    std::vector<Target> targets;
    // target_for[metric][priority]: index into targets, or -1.
    std::array<std::array<int, kPriorityCount>, kMetricCount> target_for;
    // Whether the policy has any target for a metric.
    std::array<bool, kMetricCount> tracked{};
    bool any_business_hours = false;
  };

  absl::flat_hash_map<std::string, int> status_index;
  std::vector<std::string> status_names;  // By index.
  std::vector<v1::StatusCategory> status_category;
  int initial_status = 0;
  std::vector<BusinessCalendar> calendars;
  std::vector<Policy> policies;

  // The first active policy whose conditions hold on `ticket`, or nullptr.
  const Policy* Find(const v1::Ticket& ticket) const;

  // The index of a status, or -1. A scan beats hashing for the few statuses
  // of a usual workflow.
  int StatusIndex(absl::string_view name) const {
    if (status_names.size() > 16) {
      auto it = status_index.find(name);
      return it == status_index.end() ? -1 : it->second;
    }
    for (size_t i = 0; i < status_names.size(); ++i) {
      if (status_names[i] == name) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace sla_internal

struct SlaEngine::Rep : sla_internal::EngineRep {};

SlaEngine::SlaEngine(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

namespace {

absl::Status CheckPriority(int value, absl::string_view field) {
  if (value <= v1::PRIORITY_UNSPECIFIED || value > v1::PRIORITY_URGENT) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", value == 0 ? "PRIORITY_UNSPECIFIED" : absl::StrCat(value),
        " is not a priority; use PRIORITY_LOW to PRIORITY_URGENT"));
  }
  return absl::OkStatus();
}

absl::Status CheckChannel(int value, absl::string_view field) {
  if (value == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", value == 0 ? "CHANNEL_UNSPECIFIED" : absl::StrCat(value),
        " is not a channel"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SlaEngine> SlaEngine::Create(const v1::SlaConfig& config,
                                            const Workflow& workflow) {
  auto rep = std::make_shared<Rep>();
  for (const std::string& name : workflow.StatusNames()) {
    HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory category,
                              workflow.CategoryOf("status", name));
    rep->status_index.emplace(name,
                              static_cast<int>(rep->status_category.size()));
    rep->status_names.push_back(name);
    rep->status_category.push_back(category);
  }
  {
    auto it = rep->status_index.find(workflow.initial_status());
    rep->initial_status = it == rep->status_index.end() ? 0 : it->second;
  }

  // Calendars.
  absl::flat_hash_map<std::string, int> calendar_index;
  for (int i = 0; i < config.calendars_size(); ++i) {
    const v1::CalendarConfig& c = config.calendars(i);
    const std::string field = absl::StrCat("calendars[", i, "]");
    if (c.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".name is empty; policies refer to calendars by name"));
    }
    auto [it, inserted] = calendar_index.emplace(c.name(), i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name ", internal::Quote(c.name()),
                       " is already the name of calendars[", it->second, "]"));
    }
    absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(c);
    if (!calendar.ok()) {
      return absl::Status(calendar.status().code(),
                          absl::StrCat(field, " ", internal::Quote(c.name()),
                                       ": ", calendar.status().message()));
    }
    rep->calendars.push_back(*std::move(calendar));
  }

  // Policies.
  absl::flat_hash_map<std::string, int> policy_index;
  for (int i = 0; i < config.policies_size(); ++i) {
    const v1::SlaPolicyConfig& p = config.policies(i);
    const std::string field = absl::StrCat("policies[", i, "]");
    Rep::Policy policy;
    policy.config = p;
    for (auto& row : policy.target_for) row.fill(-1);
    if (p.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".name is empty"));
    }
    auto [it, inserted] = policy_index.emplace(p.name(), i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name ", internal::Quote(p.name()),
                       " is already the name of policies[", it->second, "]"));
    }
    if (!p.calendar().empty()) {
      auto c = calendar_index.find(p.calendar());
      if (c == calendar_index.end()) {
        std::vector<std::string> known;
        for (const v1::CalendarConfig& cc : config.calendars()) {
          known.push_back(internal::Quote(cc.name()));
        }
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".calendar ", internal::Quote(p.calendar()),
            " is not a calendar of calendars (known: ",
            known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
      }
      policy.calendar = c->second;
    }
    // Conditions.
    const v1::SlaCondition& when = p.applies_when();
    for (int j = 0; j < when.priorities_size(); ++j) {
      HELPDESK_RETURN_IF_ERROR(CheckPriority(
          when.priorities(j),
          absl::StrCat(field, ".applies_when.priorities[", j, "]")));
    }
    for (int j = 0; j < when.channels_size(); ++j) {
      HELPDESK_RETURN_IF_ERROR(
          CheckChannel(when.channels(j),
                       absl::StrCat(field, ".applies_when.channels[", j, "]")));
    }
    // Pause statuses.
    const size_t n = rep->status_category.size();
    std::vector<bool> paused(n, false);
    for (int j = 0; j < p.pause_statuses_size(); ++j) {
      const std::string at = absl::StrCat(field, ".pause_statuses[", j, "]");
      HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory category,
                                workflow.CategoryOf(at, p.pause_statuses(j)));
      if (IsSolvedCategory(category)) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, " ", internal::Quote(p.pause_statuses(j)), " is of category ",
            v1::StatusCategory_Name(category),
            ", in which every clock stops already; list only statuses of "
            "the new, open, pending and on-hold categories"));
      }
      paused[rep->status_index.at(p.pause_statuses(j))] = true;
    }
    policy.counts.resize(n);
    policy.agent_counts.resize(n);
    for (size_t s = 0; s < n; ++s) {
      const v1::StatusCategory c = rep->status_category[s];
      policy.counts[s] = !paused[s] && !IsSolvedCategory(c);
      policy.agent_counts[s] =
          policy.counts[s] &&
          (c == v1::STATUS_CATEGORY_NEW || c == v1::STATUS_CATEGORY_OPEN);
    }
    // Targets.
    for (int j = 0; j < p.targets_size(); ++j) {
      const v1::SlaTarget& t = p.targets(j);
      const std::string at = absl::StrCat(field, ".targets[", j, "]");
      const int metric = t.metric();
      if (metric <= v1::SLA_METRIC_UNSPECIFIED || metric >= kMetricCount) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".metric ",
            metric == 0 ? "SLA_METRIC_UNSPECIFIED" : absl::StrCat(metric),
            " is not a metric; name one, e.g. SLA_METRIC_FIRST_REPLY"));
      }
      for (int k = 0; k < t.priorities_size(); ++k) {
        HELPDESK_RETURN_IF_ERROR(CheckPriority(
            t.priorities(k), absl::StrCat(at, ".priorities[", k, "]")));
      }
      Rep::Target target;
      HELPDESK_ASSIGN_OR_RETURN(
          target.target, ToDuration(t.target(), absl::StrCat(at, ".target")));
      if (target.target <= absl::ZeroDuration()) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".target ", absl::FormatDuration(target.target),
                         " must be positive"));
      }
      HELPDESK_ASSIGN_OR_RETURN(
          target.warn_before,
          ToDuration(t.warn_before(), absl::StrCat(at, ".warn_before")));
      if (target.warn_before < absl::ZeroDuration()) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".warn_before ", absl::FormatDuration(target.warn_before),
            " must not be negative"));
      }
      if (target.warn_before >= target.target) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".warn_before ", absl::FormatDuration(target.warn_before),
            " must be shorter than the target ",
            absl::FormatDuration(target.target)));
      }
      target.business_hours = t.business_hours();
      if (target.business_hours) {
        if (policy.calendar < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(at, ".business_hours is set but ", field,
                           ".calendar is empty; name a calendar of calendars"));
        }
        if (!rep->calendars[policy.calendar].HasOpeningHours()) {
          return absl::InvalidArgumentError(
              absl::StrCat(at, ".business_hours is set but calendar ",
                           internal::Quote(p.calendar()),
                           " is never open (it has no opening hours)"));
        }
        policy.any_business_hours = true;
      }
      const int index = static_cast<int>(policy.targets.size());
      policy.targets.push_back(target);
      policy.tracked[metric] = true;
      // The first target listing a priority wins for it.
      for (int priority : t.priorities()) {
        int& slot = policy.target_for[metric][priority];
        if (slot < 0) slot = index;
      }
    }
    // Then the first target with no priorities covers the priorities no
    // target lists, whatever their order.
    std::array<bool, kMetricCount> filled{};
    for (int j = 0; j < p.targets_size(); ++j) {
      const v1::SlaTarget& t = p.targets(j);
      if (t.priorities_size() != 0 || filled[t.metric()]) continue;
      filled[t.metric()] = true;
      for (int& slot : policy.target_for[t.metric()]) {
        if (slot < 0) slot = j;  // targets[j] is policy.targets[j].
      }
    }
    rep->policies.push_back(std::move(policy));
  }
  return SlaEngine(std::move(rep));
}

absl::StatusOr<SlaEngine> SlaEngine::FromText(absl::string_view text,
                                              const Workflow& workflow) {
  v1::SlaConfig config;
  HELPDESK_RETURN_IF_ERROR(
      internal::ParseTextProto(text, "sla config", &config));
  return Create(config, workflow);
}

namespace {

template <typename List, typename T>
bool Contains(const List& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool Holds(const v1::SlaCondition& c, const v1::Ticket& t) {
  if (!c.priorities().empty() &&
      !Contains(c.priorities(), static_cast<int>(t.priority()))) {
    return false;
  }
  if (!c.group_ids().empty() && !Contains(c.group_ids(), t.group_id())) {
    return false;
  }
  if (!c.organization_ids().empty() &&
      !Contains(c.organization_ids(), t.organization_id())) {
    return false;
  }
  if (!c.channels().empty() &&
      !Contains(c.channels(), static_cast<int>(t.channel()))) {
    return false;
  }
  if (!c.tags_any().empty()) {
    bool any = false;
    for (const std::string& tag : c.tags_any()) {
      if (Contains(t.tags(), tag)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

const sla_internal::EngineRep::Policy* sla_internal::EngineRep::Find(
    const v1::Ticket& ticket) const {
  for (const Policy& p : policies) {
    if (p.config.inactive()) continue;
    if (Holds(p.config.applies_when(), ticket)) return &p;
  }
  return nullptr;
}

const v1::SlaPolicyConfig* SlaEngine::PolicyFor(
    const v1::Ticket& ticket) const {
  const Rep::Policy* policy = rep_->Find(ticket);
  return policy == nullptr ? nullptr : &policy->config;
}

namespace {

// Times and counted durations inside the walk are whole microseconds: every
// time of the data model is (see timestamp.h), and so is business time
// between such times. `now` is floored to the microsecond. Integers keep the
// per-event work to a few additions.
using Micros = int64_t;

absl::Time At(Micros t) { return absl::FromUnixMicros(t); }
absl::Duration Length(Micros d) { return absl::Microseconds(d); }

// Counted time of one clock: real and business.
struct Count {
  Micros real = 0;
  Micros business = 0;

  Micros Of(bool business_hours) const {
    return business_hours ? business : real;
  }
};

// A stretch in which a clock counted, closed at `end`.
struct Segment {
  Micros start;
  Micros end;
  Count at_start;
  Count at_end;
};

// Where a clock stood at some moment: whether it counted, and if so since
// when (and its value then); `closed` segments ended before.
struct Tail {
  bool counting = false;
  Micros segment_start = 0;
  Count at_segment_start;
  size_t closed = 0;
};

// One clock (general or agent work) over the ticket's life.
struct ClockRun {
  bool counting = false;
  Micros segment_start = 0;
  Count at_segment_start;
  Count value;  // At the walk's current time.
  absl::InlinedVector<Segment, 16> segments;

  Tail Snapshot() const {
    return {counting, segment_start, at_segment_start, segments.size()};
  }
  void Set(bool counts, Micros t) {
    if (counts == counting) return;
    if (counting) {
      segments.push_back({segment_start, t, at_segment_start, value});
    } else {
      segment_start = t;
      at_segment_start = value;
    }
    counting = counts;
  }
};

enum ClockId { kGeneral = 0, kAgentWork = 1 };

struct Cycle {
  Micros start = 0;
  Count at_start;
  bool stopped = false;
  Micros stop = 0;
  Count at_stop;
  v1::Priority stop_priority = v1::PRIORITY_UNSPECIFIED;
  // The clock as it stood just before the event that stopped the cycle: the
  // due time of a met cycle is where that clock would have reached the
  // target.
  Tail tail;
};

struct Track {
  bool started = false;
  int cycles = 0;
  int breached_before = 0;  // Finished cycles before `cur`.
  Cycle cur;
};

using sla_internal::EngineRep;

ClockId ClockOf(int metric) {
  return metric == v1::SLA_METRIC_AGENT_WORK ? kAgentWork : kGeneral;
}

// A priority change's value. Errors: InvalidArgument naming the event when
// it is not a priority (e.g. a legacy_text an old file could not convert).
absl::StatusOr<v1::Priority> PriorityOf(const v1::FieldValue& value, size_t event) {
  if (value.has_priority() && value.priority() >= v1::PRIORITY_LOW &&
      value.priority() <= v1::PRIORITY_URGENT) {
    return value.priority();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "events[", event, "].changes.priority ", internal::Quote(RenderValue(value)),
      " is not a priority (low, normal, high, urgent)"));
}

class Walk {
 public:
  Walk(const EngineRep& rep, const EngineRep::Policy& policy)
      : rep_(rep),
        policy_(policy),
        calendar_(policy.calendar >= 0 ? &rep.calendars[policy.calendar]
                                       : nullptr),
        need_business_(policy.any_business_hours) {}

  absl::Status Run(absl::Span<const v1::Event> events, absl::Time now);
  absl::StatusOr<SlaStatus> Report(absl::Time now);

 private:
  // Moves the walk's time to `t`, adding counted time to both clocks.
  absl::Status Advance(Micros t);
  void SetStatus(int status, Micros t);
  void Start(int metric, Micros t);
  void Stop(int metric, Micros t);
  const EngineRep::Target* TargetFor(int metric, v1::Priority priority) const {
    if (priority < 0 || priority >= kPriorityCount) return nullptr;
    const int index = policy_.target_for[metric][priority];
    return index < 0 ? nullptr : &policy_.targets[index];
  }
  bool Breached(int metric, const Cycle& c) const;
  // The instant the cycle's counted time reaches `target`: among the clock's
  // closed segments up to `tail.closed` when `search_segments`, then in the
  // tail's open segment if it counts. Unset when it never does.
  absl::StatusOr<std::optional<absl::Time>> Reach(
      const ClockRun& clock, const Cycle& c, const Tail& tail,
      absl::Duration target, bool business, bool search_segments) const;
  absl::StatusOr<absl::Time> AddCounted(Micros from, absl::Duration d,
                                        bool business) const;

  const EngineRep& rep_;
  const EngineRep::Policy& policy_;
  const BusinessCalendar* calendar_;
  const bool need_business_;

  Micros time_ = 0;
  int status_ = 0;
  v1::Priority priority_ = v1::PRIORITY_NORMAL;
  std::array<ClockRun, 2> clocks_;
  std::array<Track, kMetricCount> tracks_;
  bool replied_ = false;  // An agent's public reply has happened.
};

absl::Status Walk::Advance(Micros t) {
  if (t <= time_) return absl::OkStatus();
  ClockRun& general = clocks_[kGeneral];
  if (general.counting) {
    const Micros real = t - time_;
    Micros business = 0;
    if (need_business_) {
      absl::StatusOr<absl::Duration> b =
          calendar_->BusinessDuration(At(time_), At(t));
      if (!b.ok()) {
        return CalendarFailure(
            b.status(),
            absl::StrCat("business time from ", FormatUtc(At(time_)), " to ",
                         FormatUtc(At(t))));
      }
      business = absl::ToInt64Microseconds(*b);
    }
    general.value.real += real;
    general.value.business += business;
    ClockRun& agent = clocks_[kAgentWork];
    if (agent.counting) {
      agent.value.real += real;
      agent.value.business += business;
    }
  }
  time_ = t;
  return absl::OkStatus();
}

void Walk::SetStatus(int status, Micros t) {
  status_ = status;
  clocks_[kGeneral].Set(policy_.counts[status], t);
  clocks_[kAgentWork].Set(policy_.agent_counts[status], t);
}

bool Walk::Breached(int metric, const Cycle& c) const {
  const EngineRep::Target* target = TargetFor(metric, c.stop_priority);
  if (target == nullptr) return false;
  return Length(c.at_stop.Of(target->business_hours) -
                c.at_start.Of(target->business_hours)) >= target->target;
}

void Walk::Start(int metric, Micros t) {
  if (!policy_.tracked[metric]) return;
  Track& track = tracks_[metric];
  if (track.started && track.cur.stopped && Breached(metric, track.cur)) {
    ++track.breached_before;
  }
  track.started = true;
  ++track.cycles;
  // Field by field: the other fields are set when the cycle stops.
  track.cur.start = t;
  track.cur.at_start = clocks_[ClockOf(metric)].value;
  track.cur.stopped = false;
}

void Walk::Stop(int metric, Micros t) {
  Track& track = tracks_[metric];
  if (!track.started || track.cur.stopped) return;
  const ClockRun& clock = clocks_[ClockOf(metric)];
  track.cur.stopped = true;
  track.cur.stop = t;
  track.cur.at_stop = clock.value;
  track.cur.stop_priority = priority_;
  track.cur.tail = clock.Snapshot();
}

absl::Status Walk::Run(absl::Span<const v1::Event> events, absl::Time now) {
  if (events.empty()) {
    return absl::InvalidArgumentError(
        "events is empty; the log must start with TICKET_CREATED");
  }
  // google.protobuf.Timestamp's range, 0001-01-01 to 9999-12-31: every time
  // of the data model lies in it, and microseconds in it fit an int64 with
  // room for sums.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (now < absl::FromUnixSeconds(kMinSeconds) ||
      now >= absl::FromUnixSeconds(kMaxSeconds + 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "now ", absl::FormatTime(now), " is outside 0001-01-01 to 9999-12-31"));
  }
  const Micros now_us = absl::ToUnixMicros(now);  // Floored.
  Micros previous = std::numeric_limits<Micros>::min();
  bool ignoring = false;
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::Event& e = events[i];
    // As FromTimestamp(): microseconds, as everywhere in the data model.
    if (e.time().seconds() < kMinSeconds || e.time().seconds() > kMaxSeconds ||
        e.time().nanos() < 0 || e.time().nanos() >= 1000000000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "events[", i, "].time {seconds: ", e.time().seconds(),
          " nanos: ", e.time().nanos(), "} is not a valid timestamp"));
    }
    const Micros t = e.time().seconds() * 1000000 + e.time().nanos() / 1000;
    if (t < previous) {
      return absl::InvalidArgumentError(absl::StrCat(
          "events[", i, "].time ", FormatUtc(At(t)), " is before events[",
          i - 1, "].time ", FormatUtc(At(previous)),
          "; events must be in time order"));
    }
    previous = t;
    const bool created = e.kind() == v1::Event::TICKET_CREATED;
    if (i == 0 && !created) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[0].kind ", v1::Event::Kind_Name(e.kind()),
                       ": the log must start with TICKET_CREATED"));
    }
    if (i > 0 && created) {
      return absl::InvalidArgumentError(absl::StrCat(
          "events[", i, "].kind TICKET_CREATED: a ticket is created once"));
    }
    if (i == 0 && t > now_us) {
      return absl::InvalidArgumentError(absl::StrCat(
          "now ", FormatUtc(now), " is before the ticket's creation at ",
          FormatUtc(At(t))));
    }
    if (ignoring || t > now_us) {
      ignoring = true;  // Still checked for order above.
      continue;
    }

    // The event's changes of status and priority.
    int new_status = -1;
    std::optional<v1::Priority> new_priority;
    for (const v1::FieldChange& c : e.changes()) {
      if (c.field() == v1::FieldChange::STATUS) {
        new_status = c.after().has_status() ? rep_.StatusIndex(c.after().status()) : -1;
        if (new_status < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "events[", i, "].changes.status ", internal::Quote(RenderValue(c.after())),
              " is not a status of the workflow"));
        }
      } else if (c.field() == v1::FieldChange::PRIORITY) {
        HELPDESK_ASSIGN_OR_RETURN(new_priority, PriorityOf(c.after(), i));
      }
    }
    const bool has_message =
        (e.kind() == v1::Event::MESSAGE_ADDED || created) &&
        e.message_kind() != 0;
    const int message = has_message ? e.message_kind() : 0;
    const bool public_reply = message == v1::Message::PUBLIC_REPLY;
    const bool agent_update =
        public_reply || message == v1::Message::INTERNAL_NOTE;
    const bool customer_message = message == v1::Message::CUSTOMER_MESSAGE;

    if (created) {
      time_ = t;
      if (new_priority) priority_ = *new_priority;
      SetStatus(new_status >= 0 ? new_status : rep_.initial_status, t);
      for (int m = 1; m < kMetricCount; ++m) {
        if (m != v1::SLA_METRIC_NEXT_REPLY) Start(m, t);
      }
      if (public_reply) {
        Stop(v1::SLA_METRIC_FIRST_REPLY, t);
        replied_ = true;
      }
      if (IsSolvedCategory(rep_.status_category[status_])) {
        for (int m :
             {v1::SLA_METRIC_FIRST_RESOLUTION, v1::SLA_METRIC_FULL_RESOLUTION,
              v1::SLA_METRIC_REQUESTER_WAIT, v1::SLA_METRIC_AGENT_WORK}) {
          Stop(m, t);
        }
      }
      continue;
    }

    HELPDESK_RETURN_IF_ERROR(Advance(t));
    if (new_priority) priority_ = *new_priority;
    const bool was_solved = IsSolvedCategory(rep_.status_category[status_]);
    const bool is_solved =
        new_status >= 0 ? IsSolvedCategory(rep_.status_category[new_status])
                        : was_solved;
    // Stops, with the clocks as they stood before this event.
    if (public_reply) {
      Stop(v1::SLA_METRIC_FIRST_REPLY, t);
      Stop(v1::SLA_METRIC_NEXT_REPLY, t);
    }
    if (agent_update) Stop(v1::SLA_METRIC_PERIODIC_UPDATE, t);
    if (!was_solved && is_solved) {
      for (int m :
           {v1::SLA_METRIC_FIRST_RESOLUTION, v1::SLA_METRIC_FULL_RESOLUTION,
            v1::SLA_METRIC_REQUESTER_WAIT, v1::SLA_METRIC_AGENT_WORK}) {
        Stop(m, t);
      }
    }
    const bool reopened = was_solved && !is_solved;
    if (reopened) {
      // These clocks run until the ticket is solved for the last time.
      for (int m : {v1::SLA_METRIC_REQUESTER_WAIT, v1::SLA_METRIC_AGENT_WORK}) {
        tracks_[m].cur.stopped = false;
      }
      if (policy_.config.reopen() == v1::SlaPolicyConfig::REOPEN_RESUME) {
        tracks_[v1::SLA_METRIC_FULL_RESOLUTION].cur.stopped = false;
      }
    }
    if (new_status >= 0) SetStatus(new_status, t);
    // Starts, with the clocks as they stand after it.
    if (reopened &&
        policy_.config.reopen() == v1::SlaPolicyConfig::REOPEN_RESTART) {
      Start(v1::SLA_METRIC_FULL_RESOLUTION, t);
    }
    if (agent_update) Start(v1::SLA_METRIC_PERIODIC_UPDATE, t);
    if (customer_message && replied_) {
      const Track& next = tracks_[v1::SLA_METRIC_NEXT_REPLY];
      if (!next.started || next.cur.stopped) {
        Start(v1::SLA_METRIC_NEXT_REPLY, t);
      }
    }
    if (public_reply) replied_ = true;
  }
  return Advance(now_us);
}

absl::StatusOr<absl::Time> Walk::AddCounted(Micros from, absl::Duration d,
                                            bool business) const {
  if (!business) return At(from) + d;
  absl::StatusOr<absl::Time> due = calendar_->AddBusinessDuration(At(from), d);
  if (!due.ok()) {
    if (absl::IsFailedPrecondition(due.status())) return due.status();
    return CalendarFailure(
        due.status(),
        absl::StrCat("business duration ", absl::FormatDuration(d), " from ",
                     FormatUtc(At(from))));
  }
  return *due;
}

absl::StatusOr<std::optional<absl::Time>> Walk::Reach(
    const ClockRun& clock, const Cycle& c, const Tail& tail,
    absl::Duration target, bool business, bool search_segments) const {
  const Micros base = c.at_start.Of(business);
  if (search_segments) {
    for (size_t k = 0; k < tail.closed; ++k) {
      const Segment& s = clock.segments[k];
      if (s.end <= c.start) continue;
      if (Length(s.at_end.Of(business) - base) < target) continue;
      const bool inside = s.start < c.start;
      const Micros from = inside ? c.start : s.start;
      const Micros at = inside ? base : s.at_start.Of(business);
      HELPDESK_ASSIGN_OR_RETURN(
          absl::Time due,
          AddCounted(from, target - Length(at - base), business));
      return std::optional<absl::Time>(due);
    }
  }
  if (!tail.counting) return std::optional<absl::Time>();
  const bool inside = tail.segment_start < c.start;
  const Micros from = inside ? c.start : tail.segment_start;
  const Micros at = inside ? base : tail.at_segment_start.Of(business);
  HELPDESK_ASSIGN_OR_RETURN(
      absl::Time due, AddCounted(from, target - Length(at - base), business));
  return std::optional<absl::Time>(due);
}

absl::StatusOr<SlaStatus> Walk::Report(absl::Time now) {
  SlaStatus out;
  out.policy = policy_.config.name();
  out.metrics.reserve(kMetricCount - 1);
  for (int m = 1; m < kMetricCount; ++m) {
    const Track& track = tracks_[m];
    if (!track.started) continue;
    const Cycle& c = track.cur;
    const ClockRun& clock = clocks_[ClockOf(m)];
    const EngineRep::Target* target =
        TargetFor(m, c.stopped ? c.stop_priority : priority_);
    if (target == nullptr) continue;
    const bool business = target->business_hours;
    SlaMetricStatus& s = out.metrics.emplace_back();
    s.metric = static_cast<v1::SlaMetric>(m);
    s.target = target->target;
    s.business_hours = business;
    s.warn_before = target->warn_before;
    s.started_at = At(c.start);
    if (c.stopped) s.stopped_at = At(c.stop);
    const Count& end = c.stopped ? c.at_stop : clock.value;
    s.used = Length(end.Of(business) - c.at_start.Of(business));
    s.left = s.target - s.used;
    const bool breached = s.used >= s.target;
    const Tail tail = c.stopped ? c.tail : clock.Snapshot();
    HELPDESK_ASSIGN_OR_RETURN(
        s.due_at, Reach(clock, c, tail, s.target, business, breached));
    if (breached) {
      s.state = SlaState::kBreached;
      s.breached_at = s.due_at;
    } else if (c.stopped) {
      s.state = SlaState::kMet;
    } else {
      s.state = clock.counting ? SlaState::kRunning : SlaState::kPaused;
    }
    if (s.due_at && target->warn_before > absl::ZeroDuration()) {
      s.warn_at = *s.due_at - target->warn_before;
    }
    s.cycle = track.cycles;
    s.cycles = track.cycles;
    s.breached_cycles = track.breached_before + (breached ? 1 : 0);
    if (s.state == SlaState::kRunning) {
      for (const std::optional<absl::Time>& at : {s.warn_at, s.due_at}) {
        if (at && *at > now &&
            (!out.next_deadline || *at < *out.next_deadline)) {
          out.next_deadline = *at;
        }
      }
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<SlaStatus> SlaEngine::Evaluate(
    const v1::Ticket& ticket, absl::Span<const v1::Event> events,
    absl::Time now) const {
  const Rep::Policy* policy = rep_->Find(ticket);
  if (policy == nullptr) return SlaStatus{};
  Walk walk(*rep_, *policy);
  HELPDESK_RETURN_IF_ERROR(walk.Run(events, now));
  return walk.Report(now);
}

std::string SlaMetricName(v1::SlaMetric metric) {
  switch (metric) {
    case v1::SLA_METRIC_FIRST_REPLY:
      return "first_reply";
    case v1::SLA_METRIC_NEXT_REPLY:
      return "next_reply";
    case v1::SLA_METRIC_PERIODIC_UPDATE:
      return "periodic_update";
    case v1::SLA_METRIC_REQUESTER_WAIT:
      return "requester_wait";
    case v1::SLA_METRIC_AGENT_WORK:
      return "agent_work";
    case v1::SLA_METRIC_FIRST_RESOLUTION:
      return "first_resolution";
    case v1::SLA_METRIC_FULL_RESOLUTION:
      return "full_resolution";
    default:
      return absl::StrCat("metric_", static_cast<int>(metric));
  }
}

std::string SlaStateName(SlaState state) {
  switch (state) {
    case SlaState::kRunning:
      return "running";
    case SlaState::kPaused:
      return "paused";
    case SlaState::kMet:
      return "met";
    case SlaState::kBreached:
      return "breached";
  }
  return "unknown";
}

}  // namespace helpdesk
