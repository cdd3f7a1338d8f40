// The sticky-owner decorator (NewStickyOwnerPolicy).
//
// It forwards every event to the base policy and keeps a small picture of its
// own: each agent's presence, capacity and load per channel, and per (owner,
// channel) the queued tickets that name that owner, oldest first. The
// (owner, channel) pairs whose owner is online with room and who have such a
// ticket are "ready", ordered by their oldest ticket; Next() serves them
// first, through base->RecordAssignment() so the base counts the load.
// Tickets held for a busy owner are not given to the base until their hold
// ends (a heap of hold ends, invalidated lazily) or the owner goes away.
#include <array>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/routing.h"
#include "internal/status_macros.h"
#include "routing/queue_router.h"

namespace helpdesk {
namespace {

using routing_internal::ChannelName;
using routing_internal::kChannels;
using routing_internal::TicketKey;
using routing_internal::UnixMicros;

class StickyOwnerPolicy final : public RoutingPolicyWrapper {
 public:
  StickyOwnerPolicy(std::unique_ptr<RoutingPolicy> base, absl::Duration hold)
      : RoutingPolicyWrapper(base.get()),
        name_(absl::StrCat("helpdesk.sticky_owner(", base->Name(), ")")),
        owned_(std::move(base)),
        hold_(hold) {}

  absl::string_view Name() const override { return name_; }

  absl::Status UpdateAgent(const AgentState& agent, absl::Time now) override {
    HELPDESK_RETURN_IF_ERROR(base()->UpdateAgent(agent, now));
    Owner& o = owners_[agent.agent_id];
    o.presence = agent.presence;
    o.capacity.fill(0);
    for (const ChannelLimit& limit : agent.capacity) {
      o.capacity[limit.channel] = limit.max_items;
    }
    if (o.presence != v1::PRESENCE_ONLINE) {
      // Nobody waits for an owner who is away: hand held tickets to the base.
      std::vector<int64_t> held;
      for (const auto& queue : o.queue) {
        for (const TicketKey& key : queue) {
          if (tickets_.at(key.ticket_id).state == State::kHeld) {
            held.push_back(key.ticket_id);
          }
        }
      }
      for (int64_t id : held) HELPDESK_RETURN_IF_ERROR(Unhold(tickets_.at(id)));
    }
    for (int ch = 0; ch < kChannels; ++ch) Touch(agent.agent_id, o, ch);
    return absl::OkStatus();
  }

  absl::Status Enqueue(const WorkItem& item) override {
    HELPDESK_RETURN_IF_ERROR(ValidateWorkItem(item));
    if (auto it = tickets_.find(item.ticket_id); it != tickets_.end()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "ticket ", item.ticket_id,
          it->second.state == State::kAssigned
              ? absl::StrCat(" is already assigned to agent ",
                             it->second.agent_id)
              : std::string(" is already queued")));
    }
    State state = State::kQueued;
    if (ShouldHold(item)) {
      state = State::kHeld;
    } else {
      HELPDESK_RETURN_IF_ERROR(base()->Enqueue(item));
    }
    Ticket& t = tickets_[item.ticket_id];
    t.item = item;
    t.seq = ++enqueues_;
    t.state = state;
    if (state == State::kHeld) {
      holds_.push({item.enqueued_at + hold_, t.seq, item.ticket_id});
    }
    Stick(t);
    return absl::OkStatus();
  }

  absl::Status Update(const WorkItem& item) override {
    HELPDESK_RETURN_IF_ERROR(ValidateWorkItem(item));
    auto it = tickets_.find(item.ticket_id);
    if (it == tickets_.end()) return base()->Update(item);
    Ticket& t = it->second;
    if (t.state != State::kHeld) HELPDESK_RETURN_IF_ERROR(base()->Update(item));
    Unstick(t);
    t.item = item;
    if (t.state == State::kHeld && item.preferred_agent_id == 0) {
      HELPDESK_RETURN_IF_ERROR(Unhold(t));
    }
    if (t.state != State::kAssigned) Stick(t);
    return absl::OkStatus();
  }

  absl::Status Remove(int64_t ticket_id) override {
    auto it = tickets_.find(ticket_id);
    if (it == tickets_.end()) return base()->Remove(ticket_id);
    Ticket& t = it->second;
    if (t.state != State::kHeld) HELPDESK_RETURN_IF_ERROR(base()->Remove(ticket_id));
    if (t.state == State::kAssigned) AddLoad(t.agent_id, t.channel, -1);
    Unstick(t);
    tickets_.erase(it);
    return absl::OkStatus();
  }

  absl::Status RecordAssignment(const WorkItem& item,
                                int64_t agent_id) override {
    HELPDESK_RETURN_IF_ERROR(base()->RecordAssignment(item, agent_id));
    Ticket& t = tickets_[item.ticket_id];
    if (t.seq == 0) t.seq = ++enqueues_;
    Unstick(t);
    if (t.state == State::kAssigned) AddLoad(t.agent_id, t.channel, -1);
    t.item = item;
    t.state = State::kAssigned;
    t.agent_id = agent_id;
    t.channel = item.channel;
    AddLoad(agent_id, item.channel, +1);
    return absl::OkStatus();
  }

  absl::Status Decline(int64_t ticket_id, int64_t agent_id,
                       OfferOutcome outcome, absl::Time now) override {
    HELPDESK_RETURN_IF_ERROR(base()->Decline(ticket_id, agent_id, outcome, now));
    auto it = tickets_.find(ticket_id);
    if (it == tickets_.end()) return absl::OkStatus();
    Ticket& t = it->second;
    if (t.state == State::kAssigned) AddLoad(t.agent_id, t.channel, -1);
    t.state = State::kQueued;
    // An owner who declined is not the owner for this ticket any more.
    if (t.item.preferred_agent_id == agent_id) t.declined_by_owner = true;
    Stick(t);
    return absl::OkStatus();
  }

  absl::StatusOr<Assignment> Next(absl::Time now) override {
    HELPDESK_RETURN_IF_ERROR(ReleaseHolds(now));
    if (!ready_.empty()) {
      const auto [key, owner, channel] = *ready_.begin();
      return AssignToOwner(tickets_.at(key.ticket_id), owner, now, false);
    }
    absl::StatusOr<Assignment> a = base()->Next(now);
    if (a.ok()) Assigned(a->ticket_id, a->agent_id);
    return a;
  }

  absl::StatusOr<Assignment> NextFor(int64_t agent_id,
                                     absl::Time now) override {
    HELPDESK_RETURN_IF_ERROR(ReleaseHolds(now));
    auto owner = owners_.find(agent_id);
    if (owner != owners_.end()) {
      const Owner& o = owner->second;
      const TicketKey* best = nullptr;
      for (int ch = 0; ch < kChannels; ++ch) {
        if (!o.ready[ch]) continue;
        if (best == nullptr || o.ready_key[ch] < *best) best = &o.ready_key[ch];
      }
      if (best != nullptr) {
        return AssignToOwner(tickets_.at(best->ticket_id), agent_id, now, true);
      }
    }
    absl::StatusOr<Assignment> a = base()->NextFor(agent_id, now);
    if (a.ok()) Assigned(a->ticket_id, a->agent_id);
    return a;
  }

  bool MayAssign(absl::Time now) const override {
    return !ready_.empty() || (!holds_.empty() && holds_.top().at <= now) ||
           base()->MayAssign(now);
  }

  absl::Time NextWakeup() const override {
    absl::Time wakeup = base()->NextWakeup();
    if (!holds_.empty()) wakeup = std::min(wakeup, holds_.top().at);
    return wakeup;
  }

  void SetReasons(bool on) override {
    reasons_ = on;
    base()->SetReasons(on);
  }

 private:
  enum class State { kQueued, kHeld, kAssigned };
  struct Ticket {
    WorkItem item;
    int64_t seq = 0;
    State state = State::kQueued;
    int64_t agent_id = 0;
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
    bool declined_by_owner = false;
    // Whether it is in its owner's queue, under `key`.
    bool stuck = false;
    TicketKey key;
  };
  struct Owner {
    v1::Presence presence = v1::PRESENCE_OFFLINE;
    std::array<int32_t, kChannels> capacity{};
    std::array<int32_t, kChannels> load{};
    std::array<std::set<TicketKey>, kChannels> queue;
    std::array<bool, kChannels> ready{};
    std::array<TicketKey, kChannels> ready_key{};
  };
  struct Hold {
    absl::Time at;
    int64_t seq;
    int64_t ticket_id;
    bool operator>(const Hold& o) const {
      return std::tie(at, seq) > std::tie(o.at, o.seq);
    }
  };

  bool ShouldHold(const WorkItem& item) const {
    if (hold_ <= absl::ZeroDuration() || item.preferred_agent_id == 0) {
      return false;
    }
    auto it = owners_.find(item.preferred_agent_id);
    if (it == owners_.end()) return false;
    const Owner& o = it->second;
    return o.presence == v1::PRESENCE_ONLINE && o.capacity[item.channel] > 0 &&
           o.load[item.channel] >= o.capacity[item.channel];
  }

  // Puts a queued or held ticket into its owner's queue, if it has an owner.
  void Stick(Ticket& t) {
    if (t.stuck || t.item.preferred_agent_id == 0 || t.declined_by_owner ||
        t.state == State::kAssigned) {
      return;
    }
    t.key = {UnixMicros(t.item.enqueued_at), t.seq, t.item.ticket_id};
    Owner& o = owners_[t.item.preferred_agent_id];
    o.queue[t.item.channel].insert(t.key);
    t.stuck = true;
    Touch(t.item.preferred_agent_id, o, t.item.channel);
  }

  void Unstick(Ticket& t) {
    if (!t.stuck) return;
    Owner& o = owners_[t.item.preferred_agent_id];
    o.queue[t.item.channel].erase(t.key);
    t.stuck = false;
    Touch(t.item.preferred_agent_id, o, t.item.channel);
  }

  // Brings the (owner, channel) entry in ready_ up to date.
  void Touch(int64_t owner_id, Owner& o, int ch) {
    const bool want = o.presence == v1::PRESENCE_ONLINE &&
                      o.load[ch] < o.capacity[ch] && !o.queue[ch].empty();
    if (o.ready[ch]) {
      if (want && o.ready_key[ch] == *o.queue[ch].begin()) return;
      ready_.erase({o.ready_key[ch], owner_id, ch});
      o.ready[ch] = false;
    }
    if (want) {
      o.ready_key[ch] = *o.queue[ch].begin();
      ready_.insert({o.ready_key[ch], owner_id, ch});
      o.ready[ch] = true;
    }
  }

  void AddLoad(int64_t agent_id, v1::Channel channel, int delta) {
    Owner& o = owners_[agent_id];
    o.load[channel] += delta;
    Touch(agent_id, o, channel);
  }

  // Bookkeeping after the base assigned a ticket.
  void Assigned(int64_t ticket_id, int64_t agent_id) {
    auto it = tickets_.find(ticket_id);
    if (it == tickets_.end()) return;  // the host went around us
    Ticket& t = it->second;
    Unstick(t);
    t.state = State::kAssigned;
    t.agent_id = agent_id;
    t.channel = t.item.channel;
    AddLoad(agent_id, t.channel, +1);
  }

  absl::StatusOr<Assignment> AssignToOwner(Ticket& t, int64_t owner,
                                           absl::Time now, bool pulled) {
    const Owner& o = owners_.at(owner);
    const int ch = t.item.channel;
    Assignment a;
    a.ticket_id = t.item.ticket_id;
    a.agent_id = owner;
    if (reasons_) {
      a.reason = absl::StrCat(
          "sticky owner: agent ", owner,
          " answered this requester before and is online with room (",
          o.load[ch], "/", o.capacity[ch], " ", ChannelName(t.item.channel),
          "); oldest such ticket, waited ",
          absl::FormatDuration(absl::Trunc(
              std::max(now - t.item.enqueued_at, absl::ZeroDuration()),
              absl::Seconds(1))),
          pulled ? "; requested by the owner" : "");
    }
    // The base takes it out of its queue (or learns of a held ticket) and
    // counts the load.
    HELPDESK_RETURN_IF_ERROR(base()->RecordAssignment(t.item, owner));
    Unstick(t);
    t.state = State::kAssigned;
    t.agent_id = owner;
    t.channel = t.item.channel;
    AddLoad(owner, t.channel, +1);
    return a;
  }

  absl::Status Unhold(Ticket& t) {
    HELPDESK_RETURN_IF_ERROR(base()->Enqueue(t.item));
    t.state = State::kQueued;
    return absl::OkStatus();
  }

  absl::Status ReleaseHolds(absl::Time now) {
    while (!holds_.empty() && holds_.top().at <= now) {
      const Hold h = holds_.top();
      holds_.pop();
      auto it = tickets_.find(h.ticket_id);
      if (it == tickets_.end() || it->second.seq != h.seq ||
          it->second.state != State::kHeld) {
        continue;  // stale
      }
      HELPDESK_RETURN_IF_ERROR(Unhold(it->second));
    }
    return absl::OkStatus();
  }

  std::string name_;
  std::unique_ptr<RoutingPolicy> owned_;
  absl::Duration hold_;
  bool reasons_ = true;
  absl::flat_hash_map<int64_t, Ticket> tickets_;
  absl::node_hash_map<int64_t, Owner> owners_;
  std::set<std::tuple<TicketKey, int64_t, int>> ready_;
  std::priority_queue<Hold, std::vector<Hold>, std::greater<Hold>> holds_;
  int64_t enqueues_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RoutingPolicy>> NewStickyOwnerPolicy(
    std::unique_ptr<RoutingPolicy> base, const v1::StickyOwnerConfig& config) {
  if (base == nullptr) {
    return absl::InvalidArgumentError("sticky owner: base policy is null");
  }
  if (config.wait_for_busy_owner_seconds() < 0 ||
      config.wait_for_busy_owner_seconds() > 31'536'000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sticky owner config: wait_for_busy_owner_seconds: ",
        config.wait_for_busy_owner_seconds(), " is not in [0, 31536000]"));
  }
  return std::unique_ptr<RoutingPolicy>(std::make_unique<StickyOwnerPolicy>(
      std::move(base), absl::Seconds(config.wait_for_busy_owner_seconds())));
}

}  // namespace helpdesk
