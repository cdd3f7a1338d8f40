// Offers and pull, the paths of a Replication off the push-and-accept
// default: a ticket offered to an agent of a team with SimAgents.offers, who
// accepts, declines or lets it time out (answers drawn per ticket and agent,
// so every policy sees the same ones); and agents of SimAgents.pull teams who
// ask the policy for work when they have room. Only scenarios with such teams
// get here; the class is declared in replication.h.
#include "sim/replication.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "internal/status_macros.h"
#include "sim/distributions.h"

namespace helpdesk::sim_internal {

namespace {

// A uniform number in (0, 1) from the top 53 bits of `x`.
double UniformFromBits(uint64_t x) {
  return (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53;
}
uint64_t BitsOf(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

}  // namespace

// Offers. Only teams with SimAgents.offers get here.

absl::Status Replication::Offer(int64_t slot, int32_t agent_index, double now) {
  Ticket& t = tickets_[slot];
  Agent& agent = agents_[agent_index];
  const AgentTeam& team = s_.teams[agent.team];
  if (offers_.size() < tickets_.size()) offers_.resize(tickets_.size());
  OpenOffer& o = offers_[slot];
  if (o.generation != t.generation) o = {.generation = t.generation};
  // Common random numbers: the k-th offer of a ticket draws the same two
  // numbers under every policy, from a small stream seeded by the ticket's
  // own draws (its handling quantile and arrival time), so the arrival
  // streams are not touched.
  const uint64_t attempt = static_cast<uint64_t>(o.attempts);
  const uint64_t key = MixSeed(BitsOf(t.u_handle) ^ MixSeed(BitsOf(t.arrival)) ^
                               MixSeed(0x6f66666572000000ULL + attempt));
  ++o.attempts;
  o.agent = agent_index;
  o.accept = UniformFromBits(key) < team.accept_probability;
  const double response =
      team.response ? team.response->At(UniformFromBits(MixSeed(key))) : 0;
  o.timed_out = response > team.offer_timeout;
  t.state = TicketState::kOffered;
  // The open offer holds the place the policy counts as assigned.
  ++agent.load[s_.types[t.type].channel];
  if (t.measured) ++agent.offered;
  const double at = now + (o.timed_out ? team.offer_timeout : response);
  if (at <= now) return Answer(slot, now);  // answered at once
  Push(at, kOffer, t.generation, slot);
  return absl::OkStatus();
}

absl::Status Replication::OfferAnswered(int64_t slot, int32_t generation,
                                        double now) {
  const Ticket& t = tickets_[slot];
  if ((static_cast<uint32_t>(t.generation) & kIndexMask) !=
          static_cast<uint32_t>(generation) ||
      t.state != TicketState::kOffered) {
    return absl::OkStatus();  // withdrawn: the requester gave up
  }
  return Answer(slot, now);
}

absl::Status Replication::Answer(int64_t slot, double now) {
  Ticket& t = tickets_[slot];
  const OpenOffer o = offers_[slot];
  Agent& agent = agents_[o.agent];
  // Start() takes the place again, or the decline frees it.
  --agent.load[s_.types[t.type].channel];
  t.state = TicketState::kWaiting;
  if (o.accept && !o.timed_out) {
    if (t.measured) ++agent.accepted;
    Assignment accepted;
    accepted.ticket_id = slot + 1;
    accepted.agent_id = o.agent + 1;
    accepting_ = true;
    const absl::Status st = Start(accepted, now);
    accepting_ = false;
    return st;
  }
  if (t.measured) ++(o.timed_out ? agent.timed_out : agent.declined);
  if (absl::Status st = policy_.Decline(
          slot + 1, o.agent + 1,
          o.timed_out ? OfferOutcome::kTimedOut : OfferOutcome::kDeclined,
          At(now));
      !st.ok()) {
    return Fail("Decline", st);
  }
  pull_all_ = has_pull_;  // back in the queue: pull agents may take it
  return absl::OkStatus();
}

// Pull. Only scenarios with pull teams get here.

void Replication::AskSoon(int32_t index) {
  Agent& a = agents_[index];
  if (a.pull_listed) {
    idle_pullers_.erase(
        std::remove(idle_pullers_.begin(), idle_pullers_.end(), index),
        idle_pullers_.end());
    if (std::find(pullers_to_ask_.begin(), pullers_to_ask_.end(), index) !=
        pullers_to_ask_.end()) {
      return;
    }
  }
  a.pull_listed = true;
  pullers_to_ask_.push_back(index);
}

absl::Status Replication::Ask(int32_t index, double now, bool* idle) {
  Agent& a = agents_[index];
  *idle = false;
  auto has_room = [&a] {
    for (size_t ch = 0; ch < a.capacity.size(); ++ch) {
      if (a.load[ch] < a.capacity[ch]) return true;
    }
    return false;
  };
  if (!a.on || !has_room()) return absl::OkStatus();
  const absl::Time t = At(now);
  // Online only while asking, so that Next() never assigns to them.
  a.state.presence = v1::PRESENCE_ONLINE;
  if (absl::Status st = policy_.UpdateAgent(a.state, t); !st.ok()) {
    return Fail("UpdateAgent", st);
  }
  while (true) {
    absl::StatusOr<Assignment> got = policy_.NextFor(a.state.agent_id, t);
    if (!got.ok()) {
      if (!absl::IsNotFound(got.status())) return Fail("NextFor", got.status());
      *idle = true;
      break;
    }
    if (got->agent_id != a.state.agent_id) {
      return Fail("NextFor", absl::InternalError(absl::StrCat(
                                 "agent ", a.state.agent_id,
                                 " asked, but it assigned ticket ",
                                 got->ticket_id, " to agent ", got->agent_id)));
    }
    const int64_t slot = got->ticket_id - 1;
    const bool measured = slot >= 0 &&
                          slot < static_cast<int64_t>(tickets_.size()) &&
                          tickets_[slot].measured;
    HELPDESK_RETURN_IF_ERROR(Start(*got, now));
    if (measured) ++a.pulled;
    if (!has_room()) break;
  }
  a.state.presence = v1::PRESENCE_AWAY;
  if (absl::Status st = policy_.UpdateAgent(a.state, t); !st.ok()) {
    return Fail("UpdateAgent", st);
  }
  return absl::OkStatus();
}

absl::Status Replication::Pull(double now) {
  if (created_ != pull_created_) {  // tickets arrived
    pull_created_ = created_;
    pull_all_ = true;
  }
  if (now >= pull_wakeup_) {  // the policy's decisions may have changed
    pull_wakeup_ = kInfinity;
    pull_all_ = true;
  }
  bool idle = false;
  if (pull_all_ && !idle_pullers_.empty()) {
    // Idle longest first. Who finds nothing keeps their place; who got work
    // and still has room becomes idle now, at the end.
    pull_scratch_.swap(idle_pullers_);
    idle_pullers_.clear();
    pull_served_.clear();
    for (int32_t index : pull_scratch_) {
      const int busy = agents_[index].busy;
      HELPDESK_RETURN_IF_ERROR(Ask(index, now, &idle));
      if (!idle) {
        agents_[index].pull_listed = false;
      } else if (agents_[index].busy != busy) {
        pull_served_.push_back(index);
      } else {
        idle_pullers_.push_back(index);
      }
    }
    idle_pullers_.insert(idle_pullers_.end(), pull_served_.begin(),
                         pull_served_.end());
  }
  pull_all_ = false;
  // Agents who freed a place or came on shift, in that order.
  for (size_t i = 0; i < pullers_to_ask_.size(); ++i) {
    const int32_t index = pullers_to_ask_[i];
    HELPDESK_RETURN_IF_ERROR(Ask(index, now, &idle));
    if (idle) {
      idle_pullers_.push_back(index);
    } else {
      agents_[index].pull_listed = false;
    }
  }
  pullers_to_ask_.clear();
  return absl::OkStatus();
}

}  // namespace helpdesk::sim_internal
