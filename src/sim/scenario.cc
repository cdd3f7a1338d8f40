// Scenario parsing, loading, validation and compilation.
#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "helpdesk/sim.h"
#include "internal/status_macros.h"
#include "internal/text_proto.h"

namespace helpdesk {
namespace sim_internal {
namespace {

constexpr double kMaxSeconds = 10 * 365 * 86400.0;  // ten years
constexpr int64_t kMaxAgents = 100000;
// Bounds that keep every rate, product of rates and count finite and far
// from overflow; SimOptions' budget bounds the work itself.
constexpr double kMaxRatePerHour = 1e7;
constexpr double kMaxMultiplier = 1000;
// Shift intervals compiled over the run's days, all teams together.
constexpr int64_t kMaxShiftIntervals = 10'000'000;
// Memory per item, for EstimateCost: a ticket in the desk (the simulator's slot,
// its events, the policy's queue entry, its wait kept for the percentiles;
// measured: 360 to 510 bytes of peak RSS per ticket for 2 and 10 million
// tickets all waiting for one agent under FIFO), an agent (the simulator's
// and the policy's state), a skill or group of an agent, a trace row, a
// shift interval.
constexpr double kTicketBytes = 512;
constexpr double kAgentBytes = 512;
constexpr double kAgentSkillBytes = 64;
constexpr double kAgentGroupBytes = 16;
constexpr double kTraceRowBytes = sizeof(TraceTicket);
constexpr double kShiftBytes = 16;
// The simulator's events carry a trace row's index in 29 bits.
constexpr size_t kMaxTraceRows = (size_t{1} << 29) - 1;

template <typename... Args>
absl::Status Invalid(const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat(args...));
}

bool FiniteNonNegative(double x) { return std::isfinite(x) && x >= 0; }

// "HH:MM" as minutes after midnight; "24:00" only when `close`.
absl::StatusOr<int> ParseClock(absl::string_view text, absl::string_view field,
                               bool close) {
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' ||
      !absl::SimpleAtoi(text.substr(0, 2), &h) ||
      !absl::SimpleAtoi(text.substr(3, 2), &m) || !absl::ascii_isdigit(text[0]) ||
      !absl::ascii_isdigit(text[3]) || h < 0 || m < 0 || m > 59 ||
      h > (close ? 24 : 23) || (h == 24 && m != 0)) {
    return Invalid(field, ": '", text, "' is not a time \"HH:MM\" from 00:00 to ",
                   close ? "24:00" : "23:59");
  }
  return h * 60 + m;
}

absl::Status CompileShifts(const google::protobuf::RepeatedPtrField<v1::WeeklyHours>& shifts,
                           absl::string_view prefix, const Scenario& s,
                           AgentTeam* team) {
  struct Interval {
    int open, close;
    bool next_day;
  };
  // Per ISO weekday (1..7): the intervals that open that day.
  std::array<std::vector<Interval>, 8> by_day;
  for (int i = 0; i < shifts.size(); ++i) {
    const v1::WeeklyHours& w = shifts[i];
    const std::string field = absl::StrCat(prefix, ".shifts[", i, "]");
    if (w.days().empty()) return Invalid(field, ".days: none given");
    if (w.intervals().empty()) return Invalid(field, ".intervals: none given");
    for (int j = 0; j < w.intervals_size(); ++j) {
      const v1::OpeningInterval& iv = w.intervals(j);
      const std::string f = absl::StrCat(field, ".intervals[", j, "]");
      HELPDESK_ASSIGN_OR_RETURN(int open,
                                ParseClock(iv.open(), f + ".open", false));
      HELPDESK_ASSIGN_OR_RETURN(int close,
                                ParseClock(iv.close(), f + ".close", true));
      if (!iv.ends_next_day() && close <= open) {
        return Invalid(f, ": close '", iv.close(), "' is not after open '",
                       iv.open(), "' (set ends_next_day for a night shift)");
      }
      if (iv.ends_next_day() && close > open) {
        return Invalid(f, ": a night shift from '", iv.open(), "' to '",
                       iv.close(), "' would last more than 24 hours");
      }
      for (int d = 0; d < w.days_size(); ++d) {
        const int day = w.days(d);
        if (day < v1::WEEKDAY_MONDAY || day > v1::WEEKDAY_SUNDAY) {
          return Invalid(field, ".days[", d, "]: ", day, " is not a weekday");
        }
        by_day[day].push_back({open, close, iv.ends_next_day()});
      }
    }
  }
  team->always_on = false;
  const absl::CivilDay first = absl::ToCivilDay(s.start, s.zone) - 1;
  const absl::CivilDay last =
      absl::ToCivilDay(s.start + absl::Seconds(s.horizon), s.zone) + 1;
  std::vector<std::pair<double, double>> spans;
  for (absl::CivilDay d = first; d <= last; ++d) {
    const int iso = static_cast<int>(absl::GetWeekday(d)) + 1;  // Monday 1
    for (const Interval& iv : by_day[iso]) {
      const absl::Time open =
          absl::FromCivil(absl::CivilMinute(d) + iv.open, s.zone);
      const absl::Time close = absl::FromCivil(
          absl::CivilMinute(iv.next_day ? d + 1 : d) + iv.close, s.zone);
      const double a = std::max(0.0, absl::ToDoubleSeconds(open - s.start));
      const double b =
          std::min(s.horizon, absl::ToDoubleSeconds(close - s.start));
      if (b > a) spans.emplace_back(a, b);
    }
  }
  std::sort(spans.begin(), spans.end());
  for (const auto& span : spans) {
    if (!team->shifts.empty() && span.first <= team->shifts.back().second) {
      team->shifts.back().second = std::max(team->shifts.back().second, span.second);
    } else {
      team->shifts.push_back(span);
    }
  }
  return absl::OkStatus();
}

// Splits one CSV line; fields may be quoted ("a ""b"", c").
absl::StatusOr<std::vector<std::string>> SplitCsv(absl::string_view line,
                                                  int line_number) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) {
    return Invalid("trace line ", line_number, ": a quoted field is not closed");
  }
  for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
  return fields;
}

absl::Status ParseTrace(absl::string_view csv,
                        const absl::flat_hash_map<std::string, int>& types,
                        Scenario* s) {
  static constexpr absl::string_view kColumns[] = {
      "arrival_seconds", "arrival_time", "ticket_type", "handling_seconds",
      "patience_seconds", "vip"};
  absl::flat_hash_map<std::string, int> column;
  int width = 0;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(csv, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> fields,
                              SplitCsv(line, line_number));
    if (width == 0) {  // the header
      width = static_cast<int>(fields.size());
      for (int i = 0; i < width; ++i) {
        if (std::find(std::begin(kColumns), std::end(kColumns), fields[i]) ==
            std::end(kColumns)) {
          return Invalid("trace line ", line_number, ": unknown column '",
                         fields[i], "'; known columns: ",
                         absl::StrJoin(kColumns, ", "));
        }
        if (!column.emplace(fields[i], i).second) {
          return Invalid("trace line ", line_number, ": column '", fields[i],
                         "' appears twice");
        }
      }
      if (!column.contains("ticket_type")) {
        return Invalid("trace line ", line_number,
                       ": the header has no ticket_type column");
      }
      if (column.contains("arrival_seconds") == column.contains("arrival_time")) {
        return Invalid("trace line ", line_number,
                       ": the header needs exactly one of arrival_seconds and "
                       "arrival_time");
      }
      continue;
    }
    if (static_cast<int>(fields.size()) != width) {
      return Invalid("trace line ", line_number, ": ", fields.size(),
                     " fields, but the header has ", width);
    }
    auto cell = [&](absl::string_view name) -> const std::string* {
      auto it = column.find(name);
      return it == column.end() ? nullptr : &fields[it->second];
    };
    auto number = [&](absl::string_view name, double* out) -> absl::Status {
      const std::string* text = cell(name);
      if (!absl::SimpleAtod(*text, out) || !std::isfinite(*out)) {
        return Invalid("trace line ", line_number, ": column ", name, ": '",
                       *text, "' is not a number");
      }
      if (*out < 0) {
        return Invalid("trace line ", line_number, ": column ", name, ": ",
                       *text, " is negative");
      }
      return absl::OkStatus();
    };
    TraceTicket t;
    t.line = line_number;
    if (cell("arrival_seconds") != nullptr) {
      HELPDESK_RETURN_IF_ERROR(number("arrival_seconds", &t.arrival));
    } else {
      absl::Time at;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, *cell("arrival_time"), &at,
                           &error)) {
        return Invalid("trace line ", line_number, ": column arrival_time: '",
                       *cell("arrival_time"), "' is not an RFC 3339 time (",
                       error, ")");
      }
      t.arrival = absl::ToDoubleSeconds(at - s->start);
      if (t.arrival < 0) {
        return Invalid("trace line ", line_number, ": column arrival_time: ",
                       *cell("arrival_time"), " is before start_time");
      }
    }
    if (t.arrival >= s->duration) {
      return Invalid("trace line ", line_number, ": the arrival at ", t.arrival,
                     " s is not before the scenario's duration_seconds ",
                     s->duration);
    }
    auto type = types.find(*cell("ticket_type"));
    if (type == types.end()) {
      return Invalid("trace line ", line_number, ": column ticket_type: '",
                     *cell("ticket_type"), "' is not a ticket type");
    }
    t.type = type->second;
    if (const std::string* h = cell("handling_seconds"); h && !h->empty()) {
      HELPDESK_RETURN_IF_ERROR(number("handling_seconds", &t.handling));
    }
    if (const std::string* p = cell("patience_seconds"); p && !p->empty()) {
      HELPDESK_RETURN_IF_ERROR(number("patience_seconds", &t.patience));
    }
    if (const std::string* v = cell("vip"); v && !v->empty()) {
      const std::string lower = absl::AsciiStrToLower(*v);
      if (lower == "1" || lower == "true") {
        t.vip = 1;
      } else if (lower == "0" || lower == "false") {
        t.vip = 0;
      } else {
        return Invalid("trace line ", line_number, ": column vip: '", *v,
                       "' is not 0, 1, true or false");
      }
    }
    if (s->trace.size() == kMaxTraceRows) {
      return Invalid("trace line ", line_number, ": more than ", kMaxTraceRows,
                     " rows");
    }
    s->trace.push_back(t);
  }
  if (width == 0) return Invalid("trace: the CSV has no header row");
  std::stable_sort(s->trace.begin(), s->trace.end(),
                   [](const TraceTicket& a, const TraceTicket& b) {
                     return a.arrival < b.arrival;
                   });
  return absl::OkStatus();
}

absl::Status CheckSkills(const google::protobuf::RepeatedPtrField<v1::Skill>& skills,
                         absl::string_view field) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < skills.size(); ++i) {
    if (skills[i].name().empty()) {
      return Invalid(field, "[", i, "].name: must not be empty");
    }
    if (skills[i].level() < 1 || skills[i].level() > 10) {
      return Invalid(field, "[", i, "].level: ", skills[i].level(),
                     " is not in [1, 10]");
    }
    if (!seen.insert(skills[i].name()).second) {
      return Invalid(field, "[", i, "].name: '", skills[i].name(),
                     "' is listed twice");
    }
  }
  return absl::OkStatus();
}

bool HasSkill(const AgentState& agent, absl::string_view skill, int level) {
  for (const SkillLevel& s : agent.skills) {
    if (s.skill == skill && s.level >= level) return true;
  }
  return false;
}

bool TeamCanTake(const AgentTeam& team, const TicketType& type) {
  bool capacity = false;
  for (const ChannelLimit& c : team.state.capacity) {
    if (c.channel == type.channel && c.max_items > 0) capacity = true;
  }
  if (!capacity) return false;
  if (type.group_id != 0 &&
      std::find(team.state.group_ids.begin(), team.state.group_ids.end(),
                type.group_id) == team.state.group_ids.end()) {
    return false;
  }
  for (const SkillRequirement& r : type.skills) {
    if (!HasSkill(team.state, r.skill, r.min_level)) return false;
  }
  return true;
}

std::string Requirements(const TicketType& type) {
  std::vector<std::string> parts;
  parts.push_back(absl::StrCat(
      absl::AsciiStrToLower(v1::Channel_Name(type.channel).substr(8)),
      " capacity"));
  if (type.group_id != 0) parts.push_back(absl::StrCat("group ", type.group_id));
  for (const SkillRequirement& r : type.skills) {
    parts.push_back(absl::StrCat("skill ", r.skill, ">=", r.min_level));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

absl::StatusOr<Scenario> Compile(const v1::SimScenario& in) {
  Scenario s;
  s.name = in.name();
  s.seed = in.seed();
  if (in.replications() < 0 || in.replications() > 1000) {
    return Invalid("replications: ", in.replications(), " is not in [0, 1000]");
  }
  s.replications = in.replications() == 0 ? 5 : in.replications();
  if (!(in.duration_seconds() > 0) || in.duration_seconds() > kMaxSeconds) {
    return Invalid("duration_seconds: ", in.duration_seconds(),
                   " must be > 0 and at most ten years");
  }
  s.duration = in.duration_seconds();
  if (!FiniteNonNegative(in.warmup_seconds()) ||
      in.warmup_seconds() >= s.duration) {
    return Invalid("warmup_seconds: ", in.warmup_seconds(),
                   " must be >= 0 and below duration_seconds ", s.duration);
  }
  s.warmup = in.warmup_seconds();
  s.horizon = 2 * s.duration;
  const std::string start =
      in.start_time().empty() ? "2026-01-05T00:00:00Z" : in.start_time();
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, start, &s.start, &error)) {
    return Invalid("start_time: '", start, "' is not an RFC 3339 time (", error,
                   ")");
  }
  const std::string zone = in.time_zone().empty() ? "UTC" : in.time_zone();
  if (!absl::LoadTimeZone(zone, &s.zone)) {
    return Invalid("time_zone: '", zone, "' is not a known IANA time zone");
  }
  s.service_level =
      in.has_service_level_seconds() ? in.service_level_seconds() : 60;
  if (!FiniteNonNegative(s.service_level)) {
    return Invalid("service_level_seconds: ", s.service_level,
                   " must be finite and >= 0");
  }
  const double default_sla =
      in.has_sla_target_seconds() ? in.sla_target_seconds() : s.service_level;
  if (!FiniteNonNegative(default_sla)) {
    return Invalid("sla_target_seconds: ", default_sla,
                   " must be finite and >= 0");
  }
  s.sla_to_policies = in.sla_deadlines_to_policies();

  // Ticket types.
  absl::flat_hash_map<std::string, int> type_index;
  for (int i = 0; i < in.ticket_types_size(); ++i) {
    const v1::SimTicketType& t = in.ticket_types(i);
    const std::string f = absl::StrCat("ticket_types[", i, "]");
    if (t.name().empty()) return Invalid(f, ".name: must not be empty");
    if (!type_index.emplace(t.name(), i).second) {
      return Invalid(f, ".name: '", t.name(), "' is used twice");
    }
    TicketType type;
    type.name = t.name();
    if (t.channel() == v1::CHANNEL_UNSPECIFIED) {
      return Invalid(f, ".channel: CHANNEL_UNSPECIFIED; name the channel "
                        "tickets of '", t.name(), "' arrive on");
    }
    type.channel = t.channel();
    if (t.group_id() < 0) {
      return Invalid(f, ".group_id: ", t.group_id(), " must be >= 0");
    }
    type.group_id = t.group_id();
    type.priority = t.priority();
    HELPDESK_RETURN_IF_ERROR(CheckSkills(t.required_skills(), f + ".required_skills"));
    for (const v1::Skill& sk : t.required_skills()) {
      type.skills.push_back({sk.name(), sk.level()});
    }
    if (!(t.vip_share() >= 0 && t.vip_share() <= 1)) {
      return Invalid(f, ".vip_share: ", t.vip_share(), " is not in [0, 1]");
    }
    type.vip_share = t.vip_share();
    if (t.customer_tier() < 0) {
      return Invalid(f, ".customer_tier: ", t.customer_tier(), " must be >= 0");
    }
    type.customer_tier = t.customer_tier();
    if (t.support_tier() < 0) {
      return Invalid(f, ".support_tier: ", t.support_tier(), " must be >= 0");
    }
    type.support_tier = std::max(1, t.support_tier());
    if (!t.has_handling_time()) {
      return Invalid(f, ".handling_time: required");
    }
    HELPDESK_ASSIGN_OR_RETURN(
        type.handling, Duration::Compile(t.handling_time(), f + ".handling_time"));
    for (int j = 0; j < t.handling_by_skill_size(); ++j) {
      const v1::SimSkillHandling& h = t.handling_by_skill(j);
      const std::string hf = absl::StrCat(f, ".handling_by_skill[", j, "]");
      if (h.skill().empty()) return Invalid(hf, ".skill: must not be empty");
      if (h.min_level() < 1 || h.min_level() > 10) {
        return Invalid(hf, ".min_level: ", h.min_level(), " is not in [1, 10]");
      }
      HELPDESK_ASSIGN_OR_RETURN(
          Duration d, Duration::Compile(h.handling_time(), hf + ".handling_time"));
      type.handling_by_skill.push_back({h.skill(), h.min_level(), d});
    }
    if (t.has_patience()) {
      HELPDESK_ASSIGN_OR_RETURN(type.patience,
                                Duration::Compile(t.patience(), f + ".patience"));
    }
    type.sla_target = t.has_sla_target_seconds() ? t.sla_target_seconds()
                                                 : default_sla;
    if (!FiniteNonNegative(type.sla_target)) {
      return Invalid(f, ".sla_target_seconds: ", type.sla_target,
                     " must be finite and >= 0");
    }
    s.types.push_back(std::move(type));
  }

  // Arrivals.
  for (int i = 0; i < in.arrivals_size(); ++i) {
    const v1::SimArrivals& a = in.arrivals(i);
    const std::string f = absl::StrCat("arrivals[", i, "]");
    auto type = type_index.find(a.ticket_type());
    if (type == type_index.end()) {
      return Invalid(f, ".ticket_type: '", a.ticket_type(),
                     "' is not a ticket type");
    }
    if (!FiniteNonNegative(a.rate_per_hour())) {
      return Invalid(f, ".rate_per_hour: ", a.rate_per_hour(),
                     " must be finite and >= 0");
    }
    if (a.rate_per_hour() > kMaxRatePerHour) {
      return Invalid(f, ".rate_per_hour: ", a.rate_per_hour(),
                     " is above the limit of ", kMaxRatePerHour,
                     " tickets per hour");
    }
    ArrivalStream stream;
    stream.type = type->second;
    stream.rate = a.rate_per_hour() / 3600.0;
    stream.hourly.fill(1);
    stream.weekday.fill(1);
    if (!a.hourly_multipliers().empty()) {
      if (a.hourly_multipliers_size() != 24) {
        return Invalid(f, ".hourly_multipliers: ", a.hourly_multipliers_size(),
                       " values; give 24 (one per hour, from 00:00) or none");
      }
      for (int h = 0; h < 24; ++h) {
        if (!FiniteNonNegative(a.hourly_multipliers(h)) ||
            a.hourly_multipliers(h) > kMaxMultiplier) {
          return Invalid(f, ".hourly_multipliers[", h, "]: ",
                         a.hourly_multipliers(h), " must be finite, >= 0 and <= ",
                         kMaxMultiplier);
        }
        stream.hourly[h] = a.hourly_multipliers(h);
      }
      stream.varying = true;
    }
    if (!a.weekday_multipliers().empty()) {
      if (a.weekday_multipliers_size() != 7) {
        return Invalid(f, ".weekday_multipliers: ", a.weekday_multipliers_size(),
                       " values; give 7 (Monday first) or none");
      }
      for (int d = 0; d < 7; ++d) {
        if (!FiniteNonNegative(a.weekday_multipliers(d)) ||
            a.weekday_multipliers(d) > kMaxMultiplier) {
          return Invalid(f, ".weekday_multipliers[", d, "]: ",
                         a.weekday_multipliers(d), " must be finite, >= 0 and <= ",
                         kMaxMultiplier);
        }
        stream.weekday[d] = a.weekday_multipliers(d);
      }
      stream.varying = true;
    }
    stream.max_rate =
        stream.rate * *std::max_element(stream.hourly.begin(), stream.hourly.end()) *
        *std::max_element(stream.weekday.begin(), stream.weekday.end());
    s.streams.push_back(stream);
  }

  // The trace.
  switch (in.trace().source_case()) {
    case v1::SimTrace::kPath:
      return Invalid("trace.path: '", in.trace().path(),
                     "' is not loaded; use LoadSimScenario(), or give the CSV "
                     "text in trace.csv");
    case v1::SimTrace::kCsv:
      HELPDESK_RETURN_IF_ERROR(ParseTrace(in.trace().csv(), type_index, &s));
      break;
    case v1::SimTrace::SOURCE_NOT_SET:
      break;
  }
  if (s.streams.empty() && s.trace.empty()) {
    return Invalid("arrivals: none, and no trace rows: the scenario has no "
                   "tickets");
  }

  // Agents.
  if (in.agents().empty()) {
    return Invalid("agents: none given; the scenario has no agents");
  }
  absl::flat_hash_set<std::string> team_names;
  // int64: each count is an int32, and their sum must not wrap.
  int64_t total = 0;
  int64_t shift_intervals = 0;
  for (int i = 0; i < in.agents_size(); ++i) {
    const v1::SimAgents& a = in.agents(i);
    const std::string f = absl::StrCat("agents[", i, "]");
    if (a.name().empty()) return Invalid(f, ".name: must not be empty");
    if (!team_names.insert(a.name()).second) {
      return Invalid(f, ".name: '", a.name(), "' is used twice");
    }
    if (a.count() < 1) {
      return Invalid(f, ".count: ", a.count(), " must be >= 1");
    }
    total += int64_t{a.count()};
    if (a.count() > kMaxAgents || total > kMaxAgents) {
      return Invalid(f, ".count: ", a.count(), " brings the agents to ", total,
                     ", above the limit of ", kMaxAgents);
    }
    AgentTeam team;
    team.name = a.name();
    team.count = a.count();
    for (int j = 0; j < a.group_ids_size(); ++j) {
      if (a.group_ids(j) <= 0) {
        return Invalid(f, ".group_ids[", j, "]: ", a.group_ids(j),
                       " must be > 0");
      }
      team.state.group_ids.push_back(a.group_ids(j));
    }
    HELPDESK_RETURN_IF_ERROR(CheckSkills(a.skills(), f + ".skills"));
    for (const v1::Skill& sk : a.skills()) {
      team.state.skills.push_back({sk.name(), sk.level()});
    }
    if (a.capacity().empty()) {
      return Invalid(f, ".capacity: none given; say how many tickets of which "
                        "channel each agent works at once");
    }
    absl::flat_hash_set<int> channels;
    for (int j = 0; j < a.capacity_size(); ++j) {
      const v1::ChannelCapacity& c = a.capacity(j);
      const std::string cf = absl::StrCat(f, ".capacity[", j, "]");
      if (c.channel() == v1::CHANNEL_UNSPECIFIED) {
        return Invalid(cf, ".channel: CHANNEL_UNSPECIFIED is not a channel");
      }
      if (c.max_items() < 1 || c.max_items() > 10000) {
        return Invalid(cf, ".max_items: ", c.max_items(),
                       " is not in [1, 10000]");
      }
      if (!channels.insert(c.channel()).second) {
        return Invalid(cf, ".channel: ", v1::Channel_Name(c.channel()),
                       " is listed twice");
      }
      team.state.capacity.push_back({c.channel(), c.max_items()});
    }
    if (!a.shifts().empty()) {
      // Intervals per week, over the weeks of the horizon (and a day either
      // side), before compiling them: each is kept until merged.
      int64_t per_week = 0;
      for (const v1::WeeklyHours& w : a.shifts()) {
        per_week += int64_t{w.days_size()} * w.intervals_size();
      }
      shift_intervals +=
          per_week * (static_cast<int64_t>(s.horizon / (7 * 86400.0)) + 2);
      if (per_week > kMaxShiftIntervals || shift_intervals > kMaxShiftIntervals) {
        return Invalid(f, ".shifts: ", per_week,
                       " intervals a week bring the shift intervals over the run to ",
                       shift_intervals, ", above the limit of ", kMaxShiftIntervals);
      }
      HELPDESK_RETURN_IF_ERROR(CompileShifts(a.shifts(), f, s, &team));
    }
    if (a.has_offers()) {
      const v1::SimOffers& o = a.offers();
      const std::string of = f + ".offers";
      if (a.pull()) {
        return Invalid(of, ": set, but the team pulls; offers are for push "
                           "teams (pulled tickets are taken at once)");
      }
      team.offers = true;
      if (o.has_accept_probability()) {
        if (!(o.accept_probability() >= 0 && o.accept_probability() <= 1)) {
          return Invalid(of, ".accept_probability: ", o.accept_probability(),
                         " is not in [0, 1]");
        }
        team.accept_probability = o.accept_probability();
      }
      if (o.has_response_seconds()) {
        HELPDESK_ASSIGN_OR_RETURN(
            team.response,
            Duration::Compile(o.response_seconds(), of + ".response_seconds"));
      }
      if (o.has_offer_timeout_seconds()) {
        if (!(o.offer_timeout_seconds() > 0) ||
            o.offer_timeout_seconds() > kMaxSeconds) {
          return Invalid(of, ".offer_timeout_seconds: ",
                         o.offer_timeout_seconds(),
                         " must be > 0 and at most ten years");
        }
        team.offer_timeout = o.offer_timeout_seconds();
      }
    }
    team.pull = a.pull();
    for (const TicketType& type : s.types) {
      const Duration* d = &type.handling;
      for (const TicketType::BySkill& rule : type.handling_by_skill) {
        if (HasSkill(team.state, rule.skill, rule.min_level)) {
          d = &rule.handling;
          break;
        }
      }
      team.handling.push_back(d);
    }
    s.teams.push_back(std::move(team));
  }

  // Policies: each must build.
  if (in.policies().empty()) {
    v1::SimPolicy fifo;
    fifo.set_label("fifo");
    fifo.mutable_policy()->mutable_fifo();
    s.policies.push_back(fifo);
  }
  absl::flat_hash_set<std::string> labels;
  for (int i = 0; i < in.policies_size(); ++i) {
    v1::SimPolicy p = in.policies(i);
    absl::StatusOr<std::unique_ptr<RoutingPolicy>> built =
        NewRoutingPolicy(p.policy());
    if (!built.ok()) {
      return Invalid("policies[", i, "].policy: ", built.status().message());
    }
    if (p.label().empty()) p.set_label(std::string((*built)->Name()));
    if (!labels.insert(p.label()).second) {
      return Invalid("policies[", i, "].label: '", p.label(),
                     "' is used twice; label each policy");
    }
    s.policies.push_back(std::move(p));
  }

  // Tickets nobody can ever take.
  std::vector<std::string> problems;
  for (size_t t = 0; t < s.types.size(); ++t) {
    const TicketType& type = s.types[t];
    bool routable = false;
    for (const AgentTeam& team : s.teams) routable |= TeamCanTake(team, type);
    if (routable) continue;
    std::vector<std::string> tickets;
    for (size_t i = 0; i < s.streams.size(); ++i) {
      if (s.streams[i].type == static_cast<int>(t) && s.streams[i].max_rate > 0) {
        tickets.push_back(absl::StrCat("every ticket of arrivals[", i, "]"));
      }
    }
    std::vector<int> lines;
    for (const TraceTicket& row : s.trace) {
      if (row.type == static_cast<int>(t)) lines.push_back(row.line);
    }
    if (!lines.empty()) {
      std::string text = absl::StrCat(
          "trace lines ",
          absl::StrJoin(lines.begin(),
                        lines.begin() + std::min<size_t>(lines.size(), 20), ", "));
      if (lines.size() > 20) absl::StrAppend(&text, " and ", lines.size() - 20, " more");
      tickets.push_back(text);
    }
    if (tickets.empty()) continue;  // nothing of this type ever arrives
    problems.push_back(absl::StrCat(
        "ticket type '", type.name, "' can never be routed: no agent has ",
        Requirements(type), " (tickets: ", absl::StrJoin(tickets, "; "), ")"));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  }
  return s;
}

SimCost EstimateCost(const Scenario& s, int policies) {
  constexpr double kWeek = 7 * 86400.0;
  const double whole_weeks = std::floor(s.duration / kWeek) * kWeek;
  const double rest = s.duration - whole_weeks;
  SimCost cost;
  cost.tickets_per_replication = static_cast<double>(s.trace.size());
  for (const ArrivalStream& stream : s.streams) {
    double hourly = 0, weekday = 0;
    for (double m : stream.hourly) hourly += m / 24;
    for (double m : stream.weekday) weekday += m / 7;
    cost.tickets_per_replication +=
        stream.rate * hourly * weekday * whole_weeks + stream.max_rate * rest;
  }
  cost.replications = s.replications;
  cost.policies = policies;
  cost.tickets = cost.tickets_per_replication * s.replications * policies;
  double memory = cost.tickets_per_replication * kTicketBytes +
                  static_cast<double>(s.trace.size()) * kTraceRowBytes;
  for (const AgentTeam& team : s.teams) {
    memory += team.count *
              (kAgentBytes +
               kAgentSkillBytes * static_cast<double>(team.state.skills.size()) +
               kAgentGroupBytes * static_cast<double>(team.state.group_ids.size()));
    memory += kShiftBytes * static_cast<double>(team.shifts.size());
  }
  cost.memory_bytes = memory;
  return cost;
}

}  // namespace sim_internal

absl::StatusOr<SimCost> EstimateSimulation(const v1::SimScenario& scenario,
                                           const SimOptions& options) {
  HELPDESK_ASSIGN_OR_RETURN(const sim_internal::Scenario s,
                            sim_internal::Compile(scenario));
  const size_t policies =
      options.policies.empty() ? s.policies.size() : options.policies.size();
  return sim_internal::EstimateCost(s, static_cast<int>(policies));
}

absl::Status ValidateSimScenario(const v1::SimScenario& scenario) {
  return sim_internal::Compile(scenario).status();
}

absl::StatusOr<v1::SimScenario> ParseSimScenario(absl::string_view text,
                                                 absl::string_view what) {
  v1::SimScenario scenario;
  HELPDESK_RETURN_IF_ERROR(internal::ParseTextProto(text, what, &scenario));
  absl::Status valid = ValidateSimScenario(scenario);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", valid.message()));
  }
  return scenario;
}

namespace {

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path,
                                     absl::string_view what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat(what, ": '", path.string(), "' does not exist"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, ": '", path.string(), "' cannot be read"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<v1::SimScenario> LoadSimScenario(const std::string& path) {
  HELPDESK_ASSIGN_OR_RETURN(std::string text, ReadFile(path, "scenario"));
  v1::SimScenario scenario;
  HELPDESK_RETURN_IF_ERROR(internal::ParseTextProto(text, path, &scenario));
  if (scenario.trace().source_case() == v1::SimTrace::kPath) {
    std::filesystem::path trace = scenario.trace().path();
    if (trace.is_relative()) {
      trace = std::filesystem::path(path).parent_path() / trace;
    }
    HELPDESK_ASSIGN_OR_RETURN(std::string csv, ReadFile(trace, "trace.path"));
    scenario.mutable_trace()->set_csv(std::move(csv));
  }
  absl::Status valid = ValidateSimScenario(scenario);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", valid.message()));
  }
  return scenario;
}

}  // namespace helpdesk
