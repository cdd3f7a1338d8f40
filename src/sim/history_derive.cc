// DeriveSimScenario (helpdesk/sim_history.h): a simulator scenario from a
// period of a desk's audit log. Pure: reads only what it is given.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "helpdesk/sim.h"
#include "helpdesk/sim_history.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"

namespace helpdesk {
namespace {

constexpr int kSlotMinutes = 15;
constexpr int kSlotsPerDay = 24 * 60 / kSlotMinutes;

// What the log says about one ticket created in the period.
struct TicketLife {
  absl::Time created = absl::InfiniteFuture();
  v1::TicketType type = v1::TICKET_TYPE_UNSPECIFIED;
  // The last start of work (routing, acceptance, assignment) and its agent.
  absl::Time started = absl::InfiniteFuture();
  absl::Time first_started = absl::InfiniteFuture();
  int64_t agent = 0;
  absl::Time done = absl::InfiniteFuture();
  bool abandoned = false;
};

std::string EnumSuffix(const std::string& name, size_t prefix) {
  return absl::AsciiStrToLower(name.size() > prefix ? name.substr(prefix) : name);
}

std::string TypeName(v1::TicketType type, v1::Channel channel) {
  const std::string t = type == v1::TICKET_TYPE_UNSPECIFIED
                            ? "other"
                            : EnumSuffix(v1::TicketType_Name(type), 12);  // TICKET_TYPE_
  return absl::StrCat(t, "-", EnumSuffix(v1::Channel_Name(channel), 8));  // CHANNEL_
}

struct MeanSd {
  double n = 0, sum = 0, sum2 = 0;
  void Add(double x) {
    ++n;
    sum += x;
    sum2 += x * x;
  }
  double Mean() const { return sum / n; }
  double Sd() const {
    if (n < 2) return 0;
    return std::sqrt(std::max(0.0, (sum2 - sum * sum / n) / (n - 1)));
  }
};

void SetLogNormal(const MeanSd& m, v1::SimDistribution* d) {
  d->mutable_log_normal()->set_mean_seconds(std::max(m.Mean(), 1e-3));
  d->mutable_log_normal()->set_stddev_seconds(m.Sd());
}

std::string SlotClockText(int slot) {
  const int minutes = slot * kSlotMinutes;
  return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60);
}

int WeekdayIndex(absl::CivilDay day) {  // Monday 0
  return (static_cast<int>(absl::GetWeekday(day)) + 7) % 7;
}

}  // namespace

absl::StatusOr<v1::SimScenario> DeriveSimScenario(const SimHistory& history,
                                                  const HistorySpec& spec) {
  if (!(spec.since < spec.until)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "until: ", absl::FormatTime(spec.until), " is not after since: ",
        absl::FormatTime(spec.since)));
  }
  if (spec.since == absl::InfinitePast() || spec.until - spec.since > absl::Hours(24 * 3653)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "since: the period from ", absl::FormatTime(spec.since), " to ",
        absl::FormatTime(spec.until), " is longer than ten years"));
  }
  if (spec.min_skill_samples < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_skill_samples: ", spec.min_skill_samples, " is below 1"));
  }
  if (spec.replications < 1 || spec.replications > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("replications: ", spec.replications, " is not from 1 to 1000"));
  }
  const double period = absl::ToDoubleSeconds(spec.until - spec.since);

  // Exposure: hours of the period at each local hour of the day and weekday.
  std::array<double, 24> hour_exposure{};
  std::array<double, 7> day_exposure{};
  for (absl::Time t = spec.since; t < spec.until;) {
    const absl::CivilHour h = absl::ToCivilHour(t, spec.zone);
    const absl::Time next = std::min(spec.until, absl::FromCivil(h + 1, spec.zone));
    const double hours = absl::ToDoubleHours(next - t);
    hour_exposure[h.hour()] += hours;
    day_exposure[WeekdayIndex(absl::CivilDay(h))] += hours;
    t = next > t ? next : t + absl::Hours(1);
  }

  // The tickets created in the period, with their lives.
  std::vector<const v1::Event*> events;
  events.reserve(history.events.size());
  for (const v1::Event& e : history.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const v1::Event* a, const v1::Event* b) {
    const int64_t ta = TimestampToMicros(a->time()), tb = TimestampToMicros(b->time());
    return ta != tb ? ta < tb : a->id() < b->id();
  });
  absl::flat_hash_map<int64_t, TicketLife> lives;
  for (const v1::Event* e : events) {
    const absl::Time t = FromTimestamp(e->time());
    if (e->kind() == v1::Event::TICKET_CREATED) {
      if (t < spec.since || t >= spec.until) continue;
      TicketLife& life = lives[e->ticket_id()];
      life.created = t;
      for (const v1::FieldChange& c : e->changes()) {
        if (c.field() == v1::FieldChange::TYPE) life.type = c.after().type();
      }
      continue;
    }
    auto it = lives.find(e->ticket_id());
    if (it == lives.end()) continue;
    TicketLife& life = it->second;
    if (life.done != absl::InfiniteFuture()) continue;  // work ended already
    int64_t agent = 0;
    if (e->kind() == v1::Event::ROUTED || e->kind() == v1::Event::OFFER_ACCEPTED) {
      agent = e->related_agent_id();
    }
    for (const v1::FieldChange& c : e->changes()) {
      if (c.field() == v1::FieldChange::TYPE) life.type = c.after().type();
      if (c.field() == v1::FieldChange::ASSIGNEE && c.after().agent_id() != 0 &&
          e->kind() != v1::Event::OFFER_DECLINED) {
        agent = c.after().agent_id();
      }
      if (c.field() == v1::FieldChange::STATUS && t < spec.until &&
          spec.done_statuses.contains(c.after().status())) {
        life.done = t;
        life.abandoned = life.agent == 0;
      }
    }
    if (agent != 0 && life.done == absl::InfiniteFuture() && t < spec.until) {
      life.agent = agent;
      life.started = t;
      life.first_started = std::min(life.first_started, t);
    }
  }
  if (lives.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "since: no ticket was created from ", absl::FormatTime(spec.since), " to ",
        absl::FormatTime(spec.until)));
  }

  // Agents: skills by id.
  std::map<int64_t, const v1::Agent*> agents;
  for (const v1::Agent& a : history.agents) agents[a.id()] = &a;

  // Per derived type.
  struct TypeData {
    v1::Channel channel = v1::CHANNEL_EMAIL;
    double arrivals = 0;
    std::array<double, 24> by_hour{};
    std::array<double, 7> by_day{};
    MeanSd handling;
    std::vector<std::pair<int64_t, double>> handled;  // agent, seconds
    double waited = 0, abandoned = 0;
  };
  std::map<std::string, TypeData> types;
  for (const auto& [id, life] : lives) {
    auto ch = history.channels.find(id);
    const v1::Channel channel = ch == history.channels.end() || ch->second == v1::CHANNEL_UNSPECIFIED
                                    ? v1::CHANNEL_EMAIL
                                    : ch->second;
    TypeData& d = types[TypeName(life.type, channel)];
    d.channel = channel;
    ++d.arrivals;
    const absl::CivilHour h = absl::ToCivilHour(life.created, spec.zone);
    ++d.by_hour[h.hour()];
    ++d.by_day[WeekdayIndex(absl::CivilDay(h))];
    // The wait: until someone first took it, it was abandoned, or the end.
    const absl::Time wait_end = std::min({life.first_started, life.done, spec.until});
    d.waited += absl::ToDoubleSeconds(wait_end - life.created);
    if (life.abandoned) {
      ++d.abandoned;
    } else if (life.done != absl::InfiniteFuture() && life.agent != 0) {
      const double seconds = absl::ToDoubleSeconds(life.done - life.started);
      d.handled.emplace_back(life.agent, seconds);
    }
  }

  v1::SimScenario out;
  out.set_name(spec.name);
  out.set_seed(spec.seed);
  out.set_replications(spec.replications);
  out.set_duration_seconds(period);
  out.set_warmup_seconds(spec.warmup_seconds);
  out.set_start_time(absl::FormatTime(absl::RFC3339_full, spec.since, absl::UTCTimeZone()));
  out.set_time_zone(spec.zone.name());
  out.set_service_level_seconds(spec.service_level_seconds);

  const bool whole_days = std::all_of(hour_exposure.begin(), hour_exposure.end(),
                                      [](double e) { return e > 0; });
  const bool whole_weeks = std::all_of(day_exposure.begin(), day_exposure.end(),
                                       [](double e) { return e > 0; });
  double all_handling = 0, all_handled = 0;
  for (const auto& [name, d] : types) {
    for (const auto& [agent, s] : d.handled) all_handling += s, ++all_handled;
  }
  for (auto& [name, d] : types) {
    v1::SimTicketType* t = out.add_ticket_types();
    t->set_name(name);
    t->set_channel(d.channel);
    if (auto it = spec.required_skills.find(name); it != spec.required_skills.end()) {
      for (const v1::Skill& s : it->second) *t->add_required_skills() = s;
    }
    // Per skill: the skills of the agents who handled the type.
    std::map<std::string, std::pair<MeanSd, int32_t>> by_skill;  // samples, min level
    for (const auto& [agent, seconds] : d.handled) {
      auto a = agents.find(agent);
      if (a == agents.end()) continue;
      for (const v1::Skill& s : a->second->skills()) {
        auto [it, fresh] = by_skill.try_emplace(s.name(), MeanSd{}, s.level());
        it->second.first.Add(seconds);
        it->second.second = std::min(it->second.second, s.level());
      }
    }
    std::vector<std::tuple<double, std::string, MeanSd, int32_t>> rules;
    for (auto& [skill, v] : by_skill) {
      if (v.first.n >= spec.min_skill_samples) {
        rules.emplace_back(-v.first.n, skill, v.first, std::clamp(v.second, 1, 10));
      }
    }
    std::sort(rules.begin(), rules.end(),
              [](const auto& a, const auto& b) {
                return std::tie(std::get<0>(a), std::get<1>(a)) <
                       std::tie(std::get<0>(b), std::get<1>(b));
              });
    MeanSd rest, all;
    for (const auto& [agent, seconds] : d.handled) {
      all.Add(seconds);
      bool skilled = false;
      if (auto a = agents.find(agent); a != agents.end()) {
        for (const v1::Skill& s : a->second->skills()) {
          for (const auto& r : rules) skilled |= std::get<1>(r) == s.name();
        }
      }
      if (!skilled) rest.Add(seconds);
    }
    const MeanSd& base = rest.n > 0 ? rest : all;
    if (base.n > 0) {
      SetLogNormal(base, t->mutable_handling_time());
    } else {
      // Nothing of the type was handled: the desk's mean handling time.
      t->mutable_handling_time()->set_constant_seconds(
          all_handled > 0 ? all_handling / all_handled : 0);
    }
    for (const auto& [neg_n, skill, samples, level] : rules) {
      v1::SimSkillHandling* r = t->add_handling_by_skill();
      r->set_skill(skill);
      r->set_min_level(level);
      SetLogNormal(samples, r->mutable_handling_time());
    }
    if (d.abandoned > 0) {
      t->mutable_patience()->mutable_exponential()->set_mean_seconds(
          std::max(d.waited / d.abandoned, 1e-3));
    }

    v1::SimArrivals* a = out.add_arrivals();
    a->set_ticket_type(name);
    const double rate = d.arrivals / (period / 3600);
    a->set_rate_per_hour(rate);
    if (whole_days) {
      for (int h = 0; h < 24; ++h) {
        a->add_hourly_multipliers(std::min(1000.0, d.by_hour[h] / hour_exposure[h] / rate));
      }
    }
    if (whole_weeks) {
      for (int w = 0; w < 7; ++w) {
        a->add_weekday_multipliers(std::min(1000.0, d.by_day[w] / day_exposure[w] / rate));
      }
    }
  }

  // Presence: online spans per agent within the period.
  std::map<int64_t, std::vector<const v1::AgentEvent*>> presence;
  for (const v1::AgentEvent& e : history.agent_events) {
    for (const v1::FieldChange& c : e.changes()) {
      if (c.field() == v1::FieldChange::AGENT_PRESENCE) {
        presence[e.agent_id()].push_back(&e);
        break;
      }
    }
  }
  auto presence_after = [](const v1::AgentEvent& e, bool before) {
    for (const v1::FieldChange& c : e.changes()) {
      if (c.field() == v1::FieldChange::AGENT_PRESENCE) {
        return (before ? c.before() : c.after()).presence() != v1::PRESENCE_OFFLINE &&
               (before ? c.before() : c.after()).presence() != v1::PRESENCE_UNSPECIFIED;
      }
    }
    return false;
  };
  // Occurrences of each (weekday, slot) in the period, in slot-seconds.
  std::array<std::array<double, kSlotsPerDay>, 7> slot_exposure{};
  auto add_span = [&](absl::Time from, absl::Time to,
                      std::array<std::array<double, kSlotsPerDay>, 7>& into) {
    for (absl::Time t = from; t < to;) {
      const absl::CivilMinute m = absl::ToCivilMinute(t, spec.zone);
      const absl::CivilMinute slot_start(m.year(), m.month(), m.day(), m.hour(),
                                         m.minute() - m.minute() % kSlotMinutes);
      const absl::Time next =
          std::min(to, absl::FromCivil(slot_start + kSlotMinutes, spec.zone));
      into[WeekdayIndex(absl::CivilDay(m))]
          [(m.hour() * 60 + m.minute()) / kSlotMinutes] += absl::ToDoubleSeconds(next - t);
      t = next > t ? next : t + absl::Minutes(kSlotMinutes);
    }
  };
  add_span(spec.since, spec.until, slot_exposure);

  struct TeamKey {
    std::string skills, groups, capacity, shifts;
    auto operator<=>(const TeamKey&) const = default;
  };
  std::map<TeamKey, std::pair<v1::SimAgents, int>> teams;
  std::vector<TeamKey> order;
  for (const v1::Agent& agent : history.agents) {
    if (agent.deactivated() && !presence.contains(agent.id())) continue;
    std::vector<const v1::AgentEvent*> changes = presence[agent.id()];
    std::stable_sort(changes.begin(), changes.end(), [](const auto* a, const auto* b) {
      return TimestampToMicros(a->time()) < TimestampToMicros(b->time());
    });
    // Presence at `since`: the last change before, else the first change's
    // "before", else the agent's presence now.
    bool on = agent.presence() != v1::PRESENCE_OFFLINE &&
              agent.presence() != v1::PRESENCE_UNSPECIFIED;
    size_t i = 0;
    for (; i < changes.size() && FromTimestamp(changes[i]->time()) <= spec.since; ++i) {
      on = presence_after(*changes[i], false);
    }
    if (i == 0 && !changes.empty()) on = presence_after(*changes[0], true);
    std::array<std::array<double, kSlotsPerDay>, 7> online{};
    absl::Time t = spec.since;
    for (; i < changes.size(); ++i) {
      const absl::Time at = std::min(FromTimestamp(changes[i]->time()), spec.until);
      if (on && at > t) add_span(t, at, online);
      t = std::max(t, at);
      on = presence_after(*changes[i], false);
    }
    if (on && spec.until > t) add_span(t, spec.until, online);
    // Shifts: slots online more than half the time.
    bool any = false, always = true;
    v1::SimAgents team;
    std::string shifts_key;
    for (int w = 0; w < 7; ++w) {
      v1::WeeklyHours hours;
      hours.add_days(static_cast<v1::Weekday>(w + 1));
      for (int s = 0; s < kSlotsPerDay;) {
        const bool in = slot_exposure[w][s] > 0 && online[w][s] > slot_exposure[w][s] / 2;
        if (slot_exposure[w][s] > 0 && !in) always = false;
        if (!in) {
          ++s;
          continue;
        }
        int e = s;
        while (e < kSlotsPerDay && slot_exposure[w][e] > 0 &&
               online[w][e] > slot_exposure[w][e] / 2) {
          ++e;
        }
        v1::OpeningInterval* iv = hours.add_intervals();
        iv->set_open(SlotClockText(s));
        iv->set_close(SlotClockText(e));
        absl::StrAppend(&shifts_key, w, ":", s, "-", e, ";");
        any = true;
        s = e;
      }
      if (hours.intervals_size() > 0) *team.add_shifts() = hours;
    }
    if (!any) continue;  // never online in the period
    if (always) {
      team.clear_shifts();
      shifts_key = "always";
    }
    *team.mutable_group_ids() = agent.group_ids();
    *team.mutable_skills() = agent.skills();
    for (const v1::ChannelCapacity& c : agent.capacity()) {
      if (c.max_items() > 0) *team.add_capacity() = c;
    }
    if (team.capacity_size() == 0) {
      // An agent without capacity settings takes one item of each channel.
      for (const auto& [name, d] : types) {
        v1::ChannelCapacity c;
        c.set_channel(d.channel);
        c.set_max_items(1);
        bool seen = false;
        for (const v1::ChannelCapacity& have : team.capacity()) seen |= have.channel() == d.channel;
        if (!seen) *team.add_capacity() = c;
      }
    }
    TeamKey key;
    key.shifts = shifts_key;
    for (const v1::Skill& s : team.skills()) absl::StrAppend(&key.skills, s.name(), "=", s.level(), ";");
    for (int64_t g : team.group_ids()) absl::StrAppend(&key.groups, g, ";");
    for (const v1::ChannelCapacity& c : team.capacity()) {
      absl::StrAppend(&key.capacity, c.channel(), "=", c.max_items(), ";");
    }
    auto [it, fresh] = teams.try_emplace(key, team, 0);
    if (fresh) {
      order.push_back(key);
      it->second.first.set_name(agent.name().empty() ? absl::StrCat("agent-", agent.id())
                                                      : agent.name());
    }
    ++it->second.second;
  }
  if (teams.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "since: no agent was online from ", absl::FormatTime(spec.since), " to ",
        absl::FormatTime(spec.until)));
  }
  for (const TeamKey& key : order) {
    auto& [team, count] = teams[key];
    team.set_count(count);
    *out.add_agents() = team;
  }

  if (spec.policies.empty()) {
    out.add_policies()->mutable_policy()->mutable_fifo();
    out.add_policies()->mutable_policy()->mutable_round_robin();
    out.add_policies()->mutable_policy()->mutable_least_loaded();
    out.add_policies()->mutable_policy()->mutable_skills();
  } else {
    for (const v1::SimPolicy& p : spec.policies) *out.add_policies() = p;
  }
  HELPDESK_RETURN_IF_ERROR(ValidateSimScenario(out));
  return out;
}

}  // namespace helpdesk
