#include "routing/queue_router.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace helpdesk::routing_internal {
namespace {

// Load shares are compared as integers: distinct shares with capacities of at
// most 10000 differ by more than 1e-8, i.e. by more than 1e4 units here.
constexpr int64_t kShareScale = 1'000'000'000'000;

// Stages beyond this many are ignored (a policy bug, not an input error).
constexpr int kMaxStages = 1000;

// `*to = from`, but the skills vector is copied only when either side has
// skills (most items have none, and vector assignment is a call). The
// structured binding stops the build when WorkItem gains a field, so that it
// is not forgotten here.
void CopyItem(const WorkItem& from, WorkItem* to) {
  const auto& [ticket_id, channel, group_id, priority, required_skills,
               customer_tier, vip, preferred_agent_id, sla_due, enqueued_at,
               support_tier] = from;
  to->ticket_id = ticket_id;
  to->channel = channel;
  to->group_id = group_id;
  to->priority = priority;
  if (!required_skills.empty() || !to->required_skills.empty()) {
    to->required_skills = required_skills;
  }
  to->customer_tier = customer_tier;
  to->vip = vip;
  to->preferred_agent_id = preferred_agent_id;
  to->sla_due = sla_due;
  to->enqueued_at = enqueued_at;
  to->support_tier = support_tier;
}

}  // namespace

absl::string_view ChannelName(v1::Channel channel) {
  switch (channel) {
    case v1::CHANNEL_API:
      return "api";
    case v1::CHANNEL_EMAIL:
      return "email";
    case v1::CHANNEL_WEB_FORM:
      return "web_form";
    case v1::CHANNEL_CHAT:
      return "chat";
    case v1::CHANNEL_PHONE:
      return "phone";
    case v1::CHANNEL_WEBHOOK:
      return "webhook";
    case v1::CHANNEL_AGENT:
      return "agent";
    default:
      return "unspecified";
  }
}

QueueRouter::QueueRouter(std::string name, AgentOrder order, Stages stages)
    : name_(std::move(name)),
      order_(order),
      nothing_to_assign_(absl::NotFoundError(
          "no queued ticket has an eligible agent with room now")),
      one_stage_(stages == Stages::kOne) {}

QueueRouter::~QueueRouter() = default;

TicketKey QueueRouter::KeyOf(const WorkItem& item, int64_t seq) const {
  return {UnixMicros(item.enqueued_at), seq, item.ticket_id};
}

void QueueRouter::StageOf(const WorkItem& item, const Requirements& skills,
                          int stage, Stage* out) const {
  out->targets.clear();
  out->targets.push_back(Target{item.channel, item.group_id, {}});
  out->ends_at = absl::InfiniteFuture();
}

void QueueRouter::AppendTicketReason(const WorkItem& item, int stage,
                                     absl::Time now, std::string* out) const {
  absl::StrAppend(out, "oldest queued ticket (", Waited(item, now), ")");
}

std::string QueueRouter::FormatSeconds(int64_t seconds) {
  if (seconds <= 0) return "0s";
  std::string out;
  if (seconds >= 3600) absl::StrAppend(&out, seconds / 3600, "h");
  if (seconds % 3600 >= 60) absl::StrAppend(&out, seconds % 3600 / 60, "m");
  if (seconds % 60 > 0) absl::StrAppend(&out, seconds % 60, "s");
  return out;
}

std::string QueueRouter::Waited(const WorkItem& item, absl::Time now) {
  return absl::StrCat(
      "waited ", FormatSeconds(absl::ToInt64Seconds(now - item.enqueued_at)));
}

[[gnu::always_inline]] inline TicketRec* QueueRouter::Find(int64_t ticket_id) {
  if (ticket_id < kDenseTicketIds) {
    const size_t id = static_cast<size_t>(ticket_id);
    if (id >= dense_index_.size() || dense_index_[id] < 0) return nullptr;
    return &tickets_[dense_index_[id]];
  }
  auto it = ticket_index_.find(ticket_id);
  return it == ticket_index_.end() ? nullptr : &tickets_[it->second];
}

[[gnu::always_inline]] inline int32_t& QueueRouter::SlotEntry(int64_t ticket_id) {
  if (ticket_id < kDenseTicketIds) {
    const size_t id = static_cast<size_t>(ticket_id);
    if (id >= dense_index_.size()) [[unlikely]] {
      dense_index_.resize(std::max(id + 1, 2 * dense_index_.size()), -1);
    }
    return dense_index_[id];
  }
  return ticket_index_.try_emplace(ticket_id, -1).first->second;
}

[[gnu::always_inline]] inline TicketRec& QueueRouter::CreateAt(int32_t& entry) {
  int32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<int32_t>(tickets_.size());
    tickets_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  entry = slot;
  TicketRec& t = tickets_[slot];
  t.slot = slot;
  t.stage = 0;
  t.assigned = false;
  t.agent_index = -1;
  t.classes.clear();
  t.excluded.clear();
  return t;
}

[[gnu::always_inline]] inline void QueueRouter::Forget(TicketRec& t) {
  if (t.item.ticket_id < kDenseTicketIds) {
    dense_index_[static_cast<size_t>(t.item.ticket_id)] = -1;
  } else {
    ticket_index_.erase(t.item.ticket_id);
  }
  free_slots_.push_back(t.slot);
  t.item.required_skills.clear();
}

int32_t QueueRouter::SkillId(absl::string_view name) {
  auto [it, inserted] = skill_ids_.try_emplace(
      name, static_cast<int32_t>(skill_names_.size()));
  if (inserted) skill_names_.emplace_back(name);
  return it->second;
}

void QueueRouter::Intern(const std::vector<SkillRequirement>& skills,
                         Requirements* out) {
  out->clear();
  if (skills.empty()) return;
  for (const SkillRequirement& r : skills) {
    out->emplace_back(SkillId(r.skill), r.min_level);
  }
  std::sort(out->begin(), out->end());
}

std::string QueueRouter::DescribeClass(const ClassRec& c) const {
  std::string out = c.group_id == 0 ? std::string("in any group")
                                    : absl::StrCat("in group ", c.group_id);
  if (!c.skills.empty()) {
    absl::StrAppend(&out, c.skills.size() == 1 ? " with skill " : " with skills ");
    for (size_t i = 0; i < c.skills.size(); ++i) {
      absl::StrAppend(&out, i ? ", " : "", skill_names_[c.skills[i].first],
                      ">=", std::max(1, c.skills[i].second));
    }
  }
  return out;
}

bool QueueRouter::Eligible(const AgentRec& agent, const ClassRec& c) const {
  if (agent.ch[c.channel].capacity <= 0) return false;
  if (c.group_id != 0 && !std::binary_search(agent.groups.begin(),
                                             agent.groups.end(), c.group_id)) {
    return false;
  }
  // Both lists are sorted by skill id.
  auto have = agent.skills.begin();
  for (const auto& [skill, level] : c.skills) {
    while (have != agent.skills.end() && have->first < skill) ++have;
    if (have == agent.skills.end() || have->first != skill ||
        have->second < level) {
      return false;
    }
  }
  return true;
}

int32_t QueueRouter::ClassFor(const Target& target) {
  if (last_class_ >= 0 && last_class_key_.channel == target.channel &&
      last_class_key_.group_id == target.group_id &&
      last_class_key_.skills.size() == target.skills.size() &&
      (target.skills.empty() || last_class_key_.skills == target.skills)) {
    return last_class_;
  }
  ClassKey key{static_cast<int>(target.channel), target.group_id,
               target.skills};
  auto found = class_index_.find(key);
  if (found != class_index_.end()) {
    last_class_key_ = std::move(key);
    last_class_ = found->second;
    return last_class_;
  }

  const int32_t id = static_cast<int32_t>(classes_.size());
  class_index_.emplace(std::move(key), id);
  auto c = std::make_unique<ClassRec>();
  c->id = id;
  c->channel = target.channel;
  c->group_id = target.group_id;
  c->skills = target.skills;
  c->description = DescribeClass(*c);

  // The agents who may be eligible: the smallest index that covers them.
  const std::vector<int32_t>* candidates = nullptr;
  static const std::vector<int32_t>* const kNone = new std::vector<int32_t>();
  if (target.group_id != 0) {
    auto it = agents_by_group_.find(target.group_id);
    candidates = it == agents_by_group_.end() ? kNone : &it->second;
  } else if (!target.skills.empty()) {
    auto it = agents_by_skill_.find(target.skills.front().first);
    candidates = it == agents_by_skill_.end() ? kNone : &it->second;
  } else {
    candidates = &agents_by_channel_[target.channel];
  }
  const int ch = target.channel;
  for (int32_t index : *candidates) {
    AgentRec& a = agents_[index];
    if (!Eligible(a, *c)) continue;
    a.ch[ch].classes.push_back(id);
    if (a.ch[ch].listed) c->available.insert(a.ch[ch].listed_key);
  }
  classes_.push_back(std::move(c));
  return id;
}

// Inline: Refresh computes one per agent change.
inline AgentKey QueueRouter::KeyFor(const AgentRec& agent,
                                    int channel) const {
  const int32_t index = agent.index;
  switch (order_) {
    case AgentOrder::kLongestWithoutAssignment:
      return {agent.last_assigned, 0, agent.id, index};
    case AgentOrder::kLeastLoaded:
      return {agent.ch[channel].load * kShareScale / agent.ch[channel].capacity,
              agent.last_assigned, agent.id, index};
    case AgentOrder::kRotation:
      return {0, 0, agent.id, index};
  }
  return {0, 0, agent.id, index};
}

// Inline: every set change on a decision's path ends here.
[[gnu::always_inline]] inline void QueueRouter::Touch(ClassRec& c) {
  const bool want = !c.tickets.empty() && !c.available.empty();
  if (want != c.ready) {
    c.ready = want;
    if (want) {
      ++ready_count_;
    } else {
      --ready_count_;
    }
  }
  if (!want) return;  // its entry, if any, goes when it comes up
  const TicketKey& first = c.tickets.front();
  if (c.has_entry && !(first < c.entry_key)) return;  // still a lower bound
  PushEntry(c, first);
}

void QueueRouter::PushEntry(ClassRec& c, const TicketKey& key) {
  c.has_entry = true;
  c.entry_key = key;
  ready_.push_back({key, c.id, ++c.entry_generation});
  std::push_heap(ready_.begin(), ready_.end(), LaterReady());
  if (ready_.size() > 2 * ready_count_ + 64) CompactReady();
}

void QueueRouter::PopEntry() {
  std::pop_heap(ready_.begin(), ready_.end(), LaterReady());
  ready_.pop_back();
}

void QueueRouter::CompactReady() {
  // remove_if calls the predicate once per entry.
  ready_.erase(std::remove_if(ready_.begin(), ready_.end(),
                              [this](const ReadyEntry& e) {
                                if (!Live(e)) return true;
                                ClassRec& c = *classes_[e.class_id];
                                if (c.ready) return false;
                                c.has_entry = false;
                                return true;
                              }),
               ready_.end());
  std::make_heap(ready_.begin(), ready_.end(), LaterReady());
}

[[gnu::always_inline]] inline void QueueRouter::Relist(ClassRec& c,
                                                      const AgentChannel& ac,
                                                      bool want,
                                                      const AgentKey& key) {
  const bool had = !c.available.empty();
  if (ac.listed) c.available.erase(ac.listed_key);
  if (want) c.available.insert(key);
  // The class's tickets did not change, so only its readiness can have.
  if (had == c.available.empty()) Touch(c);
}

// Inline, with the loop over many classes out of line: every decision and
// every finished ticket refreshes its agent, who is in one class unless
// skills or several groups put them in more.
[[gnu::always_inline]] inline void QueueRouter::Refresh(int32_t agent_index, int channel) {
  AgentRec& a = agents_[agent_index];
  AgentChannel& ac = a.ch[channel];
  const bool want = a.presence == v1::PRESENCE_ONLINE && ac.capacity > 0 &&
                    ac.load < ac.capacity;
  if (!want && !ac.listed) return;
  const AgentKey key = want ? KeyFor(a, channel) : AgentKey{};
  if (want && ac.listed && key == ac.listed_key) return;
  if (ac.classes.size() == 1) {
    Relist(*classes_[ac.classes[0]], ac, want, key);
  } else {
    RefreshClasses(ac, want, key);
  }
  ac.listed = want;
  ac.listed_key = key;
}

void QueueRouter::RefreshClasses(const AgentChannel& ac, bool want,
                                 const AgentKey& key) {
  // An agent may be in many classes (skills x levels), each elsewhere in
  // memory: fetch the classes a few ahead, and their agent sets nearer.
  const std::vector<int32_t>& list = ac.classes;
  const size_t n = list.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + 8 < n) __builtin_prefetch(classes_[list[i + 8]].get());
    if (i + 4 < n) {
      const ClassRec& ahead = *classes_[list[i + 4]];
      if (!ahead.available.empty()) __builtin_prefetch(&ahead.available.front());
    }
    Relist(*classes_[list[i]], ac, want, key);
  }
}

[[gnu::always_inline]] inline void QueueRouter::RefreshAll(int32_t agent_index) {
  // An agent is listed only on channels with capacity (a capacity change
  // unlists them first), so the mask covers every channel to refresh.
  for (uint32_t mask = agents_[agent_index].channels; mask != 0;
       mask &= mask - 1) {
    Refresh(agent_index, __builtin_ctz(mask));
  }
}

void QueueRouter::Unlist(int32_t agent_index) {
  AgentRec& a = agents_[agent_index];
  for (int ch = 0; ch < kChannels; ++ch) {
    if (!a.ch[ch].listed) continue;
    for (int32_t class_id : a.ch[ch].classes) {
      ClassRec& c = *classes_[class_id];
      c.available.erase(a.ch[ch].listed_key);
      Touch(c);
    }
    a.ch[ch].listed = false;
  }
}

void QueueRouter::Reclassify(int32_t agent_index) {
  Unlist(agent_index);
  AgentRec& a = agents_[agent_index];
  for (AgentChannel& channel : a.ch) channel.classes.clear();
  for (const std::unique_ptr<ClassRec>& c : classes_) {
    if (Eligible(a, *c)) a.ch[c->channel].classes.push_back(c->id);
  }
  RefreshAll(agent_index);
}

namespace {

bool SameCapacity(const AgentRec& a,
                  const std::array<int32_t, kChannels>& capacity) {
  for (int ch = 0; ch < kChannels; ++ch) {
    if (a.ch[ch].capacity != capacity[ch]) return false;
  }
  return true;
}

}  // namespace

absl::Status QueueRouter::UpdateAgent(const AgentState& state,
                                      absl::Time now) {
  HELPDESK_RETURN_IF_ERROR(ValidateAgentState(state));
  std::vector<int64_t> groups = state.group_ids;
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::vector<std::pair<int32_t, int32_t>> skills;
  for (const SkillLevel& s : state.skills) {
    skills.emplace_back(SkillId(s.skill), s.level);
  }
  std::sort(skills.begin(), skills.end());
  std::array<int32_t, kChannels> capacity{};
  for (const ChannelLimit& limit : state.capacity) {
    capacity[limit.channel] = limit.max_items;
  }

  auto [it, inserted] = agent_index_.try_emplace(
      state.agent_id, static_cast<int32_t>(agents_.size()));
  const int32_t index = it->second;
  if (inserted) {
    agents_.emplace_back();
    agents_.back().id = state.agent_id;
    agents_.back().index = index;
  }
  AgentRec& a = agents_[index];
  a.presence = state.presence;
  if (!inserted && groups == a.groups && skills == a.skills &&
      SameCapacity(a, capacity)) {
    RefreshAll(index);
    return absl::OkStatus();
  }

  // Groups, skills or capacity changed: update the indexes, then the classes.
  auto drop = [index](std::vector<int32_t>& list) {
    list.erase(std::remove(list.begin(), list.end(), index), list.end());
  };
  for (int64_t g : a.groups) drop(agents_by_group_[g]);
  for (const auto& s : a.skills) drop(agents_by_skill_[s.first]);
  for (int ch = 0; ch < kChannels; ++ch) {
    if (a.ch[ch].capacity > 0) drop(agents_by_channel_[ch]);
  }
  Unlist(index);
  a.groups = std::move(groups);
  a.skills = std::move(skills);
  a.channels = 0;
  for (int ch = 0; ch < kChannels; ++ch) {
    a.ch[ch].capacity = capacity[ch];
    if (capacity[ch] > 0) a.channels |= uint32_t{1} << ch;
  }
  for (int64_t g : a.groups) agents_by_group_[g].push_back(index);
  for (const auto& s : a.skills) agents_by_skill_[s.first].push_back(index);
  for (int ch = 0; ch < kChannels; ++ch) {
    if (a.ch[ch].capacity > 0) agents_by_channel_[ch].push_back(index);
  }
  Reclassify(index);
  return absl::OkStatus();
}

// Inline for the one-stage policies, whose tickets go into one class.
[[gnu::always_inline]] inline void QueueRouter::Place(TicketRec& t) {
  if (!one_stage_) {
    PlaceInStage(t);
    return;
  }
  // What the default StageOf would say, without building it: one class,
  // the ticket's channel and group; no timer.
  const int channel = t.item.channel;
  if (channel != one_stage_channel_ || t.item.group_id != one_stage_group_)
      [[unlikely]] {
    one_stage_class_ = ClassFor(Target{t.item.channel, t.item.group_id, {}});
    one_stage_channel_ = channel;
    one_stage_group_ = t.item.group_id;
  }
  ClassRec& c = *classes_[one_stage_class_];
  c.tickets.insert(t.key);
  t.classes.clear();
  t.classes.push_back(one_stage_class_);
  Touch(c);
}

void QueueRouter::PlaceInStage(TicketRec& t) {
  // A member, so that its inline storage is not built and torn down per
  // ticket (Place runs for every ticket queued).
  Stage& stage = place_stage_;
  StageOf(t.item, t.skills, t.stage, &stage);
  t.classes.clear();
  for (const Target& target : stage.targets) {
    const int32_t class_id = ClassFor(target);
    if (std::find(t.classes.begin(), t.classes.end(), class_id) !=
        t.classes.end()) {
      continue;
    }
    ClassRec& c = *classes_[class_id];
    c.tickets.insert(t.key);
    t.classes.push_back(class_id);
    Touch(c);
  }
  if (stage.ends_at != absl::InfiniteFuture()) {
    timers_.push({stage.ends_at, t.seq, t.item.ticket_id, t.stage + 1});
  }
}

[[gnu::always_inline]] inline void QueueRouter::Unplace(TicketRec& t) {
  for (int32_t class_id : t.classes) {
    ClassRec& c = *classes_[class_id];
    c.tickets.erase(t.key);
    Touch(c);
  }
  t.classes.clear();
}

int QueueRouter::StageAt(const TicketRec& t, absl::Time now) const {
  Stage stage;
  for (int s = 0; s < kMaxStages; ++s) {
    StageOf(t.item, t.skills, s, &stage);
    if (stage.ends_at > now) return s;
  }
  return kMaxStages - 1;
}

void QueueRouter::AdvanceStages(absl::Time now) {
  // At most kStageTimersPerCall timers (stale ones included), oldest first:
  // see the header.
  for (int budget = kStageTimersPerCall;
       budget > 0 && !timers_.empty() && timers_.top().at <= now; --budget) {
    const Timer timer = timers_.top();
    timers_.pop();
    TicketRec* found = Find(timer.ticket_id);
    if (found == nullptr) continue;
    TicketRec& t = *found;
    if (t.seq != timer.seq || t.assigned || t.stage + 1 != timer.stage ||
        timer.stage >= kMaxStages) {
      continue;  // stale
    }
    Unplace(t);
    t.stage = timer.stage;
    Place(t);
  }
}

absl::Time QueueRouter::NextWakeup() const {
  return timers_.empty() ? absl::InfiniteFuture() : timers_.top().at;
}

bool QueueRouter::Excluded(const TicketRec& t, int64_t agent_id) const {
  return std::find(t.excluded.begin(), t.excluded.end(), agent_id) !=
         t.excluded.end();
}

inline int32_t QueueRouter::PickAgent(ClassRec& c, const TicketRec& t) {
  if (c.available.empty()) return -1;
  // The common case: the first agent, as nobody declined the ticket.
  if (order_ != AgentOrder::kRotation && t.excluded.empty()) {
    return c.available.front().index;
  }
  return PickAgentSlow(c, t);
}

int32_t QueueRouter::PickAgentSlow(ClassRec& c, const TicketRec& t) {
  if (order_ != AgentOrder::kRotation) {
    for (const AgentKey& k : c.available) {
      if (t.excluded.empty() || !Excluded(t, k.agent_id)) return k.index;
    }
    return -1;
  }
  // The first agent after the one served last, wrapping around.
  const auto start = c.available.upper_bound(
      AgentKey{0, 0, c.rotation, std::numeric_limits<int32_t>::max()});
  for (auto it = start; it != c.available.end(); ++it) {
    if (!Excluded(t, it->agent_id)) return it->index;
  }
  for (auto it = c.available.begin(); it != start; ++it) {
    if (!Excluded(t, it->agent_id)) return it->index;
  }
  return -1;
}

void QueueRouter::AppendReason(const TicketRec& t, const AgentRec& a,
                               const ClassRec& c, absl::Time now, bool pulled,
                               std::string* out) const {
  const int ch = t.item.channel;
  out->reserve(128);
  AppendTicketReason(t.item, t.stage, now, out);
  absl::string_view choice = "requested by agent ";
  if (!pulled) {
    switch (order_) {
      case AgentOrder::kLongestWithoutAssignment:
        choice = "eligible agent longest without a new assignment: agent ";
        break;
      case AgentOrder::kLeastLoaded:
        choice = "least loaded eligible agent ";
        break;
      case AgentOrder::kRotation:
        choice = "next eligible agent in the rotation: agent ";
        break;
    }
  }
  absl::StrAppend(out, "; ", choice, a.id, " (", a.ch[ch].load, "/",
                  a.ch[ch].capacity, " ", ChannelName(t.item.channel), ") ",
                  c.description);
}

Assignment QueueRouter::Assign(TicketRec& t, int32_t agent_index,
                               int32_t class_id, absl::Time now, bool pulled) {
  AgentRec& a = agents_[agent_index];
  ClassRec& c = *classes_[class_id];
  const int ch = t.item.channel;
  Assignment out;
  out.ticket_id = t.item.ticket_id;
  out.agent_id = a.id;
  if (reasons_) AppendReason(t, a, c, now, pulled, &out.reason);
  Unplace(t);
  t.assigned = true;
  t.agent_index = agent_index;
  t.assigned_channel = t.item.channel;
  ++a.ch[ch].load;
  a.last_assigned = ++decisions_;
  c.rotation = a.id;
  RefreshAll(agent_index);
  return out;
}

[[gnu::always_inline]] inline void QueueRouter::Release(TicketRec& t) {
  const int32_t index = t.agent_index;
  const int ch = t.assigned_channel;
  --agents_[index].ch[ch].load;
  t.assigned = false;
  t.agent_index = -1;
  Refresh(index, ch);
}

absl::Status QueueRouter::Enqueue(const WorkItem& item) {
  HELPDESK_RETURN_IF_ERROR(ValidateWorkItem(item));
  HELPDESK_RETURN_IF_ERROR(ValidateForPolicy(item));
  int32_t& entry = SlotEntry(item.ticket_id);
  if (entry >= 0) {
    const TicketRec& t = tickets_[entry];
    if (t.assigned) {
      return absl::AlreadyExistsError(
          absl::StrCat("ticket ", item.ticket_id, " is already assigned to agent ",
                       agents_[t.agent_index].id));
    }
    return absl::AlreadyExistsError(
        absl::StrCat("ticket ", item.ticket_id, " is already queued"));
  }
  TicketRec& t = CreateAt(entry);
  CopyItem(item, &t.item);
  if (!item.required_skills.empty() || !t.skills.empty()) {
    Intern(item.required_skills, &t.skills);
  }
  t.seq = ++enqueues_;
  t.key = KeyOf(t.item, t.seq);
  t.key.slot = t.slot;
  t.stage = 0;
  Place(t);
  return absl::OkStatus();
}

absl::Status QueueRouter::Update(const WorkItem& item) {
  HELPDESK_RETURN_IF_ERROR(ValidateWorkItem(item));
  HELPDESK_RETURN_IF_ERROR(ValidateForPolicy(item));
  TicketRec* found = Find(item.ticket_id);
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "ticket ", item.ticket_id, " is neither queued nor assigned"));
  }
  TicketRec& t = *found;
  if (!t.assigned) Unplace(t);
  t.item = item;
  Intern(item.required_skills, &t.skills);
  t.key = KeyOf(t.item, t.seq);
  t.key.slot = t.slot;
  if (!t.assigned) {
    // Stages restart; timers already due move it on at the next decision.
    t.stage = 0;
    Place(t);
  }
  return absl::OkStatus();
}

absl::Status QueueRouter::Remove(int64_t ticket_id) {
  TicketRec* found = Find(ticket_id);
  if (found == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("ticket ", ticket_id, " is neither queued nor assigned"));
  }
  TicketRec& t = *found;
  if (t.assigned) {
    Release(t);
  } else {
    Unplace(t);
  }
  Forget(t);
  return absl::OkStatus();
}

absl::Status QueueRouter::RecordAssignment(const WorkItem& item,
                                           int64_t agent_id) {
  HELPDESK_RETURN_IF_ERROR(ValidateWorkItem(item));
  HELPDESK_RETURN_IF_ERROR(ValidateForPolicy(item));
  auto agent = agent_index_.find(agent_id);
  if (agent == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "agent ", agent_id, " is unknown to the policy; call UpdateAgent first"));
  }
  const int32_t index = agent->second;
  int32_t& entry = SlotEntry(item.ticket_id);
  TicketRec* found = entry >= 0 ? &tickets_[entry] : nullptr;
  if (found == nullptr) {
    found = &CreateAt(entry);
    found->seq = ++enqueues_;
  } else if (found->assigned) {
    Release(*found);
  } else {
    Unplace(*found);
  }
  TicketRec& t = *found;
  t.item = item;
  Intern(item.required_skills, &t.skills);
  t.key = KeyOf(t.item, t.seq);
  t.key.slot = t.slot;
  t.stage = 0;
  t.assigned = true;
  t.agent_index = index;
  t.assigned_channel = item.channel;
  ++agents_[index].ch[item.channel].load;
  Refresh(index, item.channel);
  return absl::OkStatus();
}

absl::Status QueueRouter::Decline(int64_t ticket_id, int64_t agent_id,
                                  OfferOutcome outcome, absl::Time now) {
  TicketRec* found = Find(ticket_id);
  if (found == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("ticket ", ticket_id, " is neither queued nor assigned"));
  }
  TicketRec& t = *found;
  if (!t.assigned) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ticket ", ticket_id, " is queued, not offered to agent ", agent_id));
  }
  if (agents_[t.agent_index].id != agent_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket ", ticket_id, " is assigned to agent ",
                     agents_[t.agent_index].id, ", not agent ", agent_id));
  }
  Release(t);
  if (!Excluded(t, agent_id)) t.excluded.push_back(agent_id);
  t.stage = StageAt(t, now);
  Place(t);
  return absl::OkStatus();
}

bool QueueRouter::FindInClass(int32_t class_id, bool bounded, Choice* best) {
  ClassRec& c = *classes_[class_id];
  for (const TicketKey& key : c.tickets) {
    if (bounded && !(key < best->key)) return false;
    const int32_t agent = PickAgent(c, tickets_[key.slot]);
    if (agent >= 0) {
      *best = {key, class_id, agent};
      return true;
    }
    // Every available agent of the class declined this ticket: try the
    // class's next one.
  }
  return false;
}

absl::StatusOr<Assignment> QueueRouter::Next(absl::Time now) {
  if (!timers_.empty() && timers_.top().at <= now) AdvanceStages(now);
  // Nothing ready: the common answer once the work that can be placed is.
  if (ready_count_ == 0) return nothing_to_assign_;
  // Bring a ready class's exact entry to the top (any ready class's entry
  // will do when it is the only one).
  while (true) {
    const ReadyEntry top = ready_.front();
    ClassRec& c = *classes_[top.class_id];
    const bool live = Live(top);
    if (!live || !c.ready) {
      PopEntry();
      if (live) c.has_entry = false;
      continue;
    }
    if (ready_count_ > 1 && top.key != c.tickets.front()) {
      PopEntry();
      PushEntry(c, c.tickets.front());
      continue;
    }
    break;
  }
  // Its first ticket comes before every other class's; if an available
  // agent may take it, that is the decision.
  {
    const int32_t class_id = ready_.front().class_id;
    ClassRec& c = *classes_[class_id];
    TicketRec& first = tickets_[c.tickets.front().slot];
    const int32_t agent = PickAgent(c, first);
    if (agent >= 0) return Assign(first, agent, class_id, now, /*pulled=*/false);
  }
  Choice best;
  bool found = false;
  // Otherwise best first: a class's first ticket bounds every ticket in it.
  // Entries looked at come off the heap and go back afterwards.
  looked_at_.clear();
  while (!ready_.empty()) {
    const ReadyEntry entry = ready_.front();
    ClassRec& c = *classes_[entry.class_id];
    const bool live = Live(entry);
    // An entry's key is a lower bound of its class's tickets.
    if (live && c.ready && found && !(entry.key < best.key)) break;
    PopEntry();
    if (!live) continue;
    if (!c.ready) {
      c.has_entry = false;
      continue;
    }
    if (entry.key != c.tickets.front()) {
      PushEntry(c, c.tickets.front());
      continue;
    }
    looked_at_.push_back(entry);
    if (FindInClass(entry.class_id, found, &best)) found = true;
  }
  for (const ReadyEntry& entry : looked_at_) {
    ready_.push_back(entry);
    std::push_heap(ready_.begin(), ready_.end(), LaterReady());
  }
  if (!found) return nothing_to_assign_;
  return Assign(tickets_[best.key.slot], best.agent_index,
                best.class_id, now, /*pulled=*/false);
}

absl::StatusOr<Assignment> QueueRouter::NextFor(int64_t agent_id,
                                                absl::Time now) {
  AdvanceStages(now);
  auto agent = agent_index_.find(agent_id);
  if (agent == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "agent ", agent_id, " is unknown to the policy; call UpdateAgent first"));
  }
  const int32_t index = agent->second;
  const AgentRec& a = agents_[index];
  if (a.presence != v1::PRESENCE_ONLINE) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent ", agent_id, " is ",
        a.presence == v1::PRESENCE_AWAY ? "away" : "offline",
        " and receives no work"));
  }
  Choice best;
  bool found = false;
  for (int ch = 0; ch < kChannels; ++ch) {
    if (a.ch[ch].load >= a.ch[ch].capacity) continue;
    for (int32_t class_id : a.ch[ch].classes) {
      const ClassRec& c = *classes_[class_id];
      for (const TicketKey& key : c.tickets) {
        if (found && !(key < best.key)) break;
        const TicketRec& t = tickets_[key.slot];
        if (Excluded(t, agent_id)) continue;
        best = {key, class_id, index};
        found = true;
        break;
      }
    }
  }
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("no queued ticket fits the groups, skills and free "
                     "capacity of agent ",
                     agent_id));
  }
  return Assign(tickets_[best.key.slot], index,
                best.class_id, now, /*pulled=*/true);
}

}  // namespace helpdesk::routing_internal
