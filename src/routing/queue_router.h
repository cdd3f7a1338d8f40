// Internal: the incremental engine behind every built-in routing policy
// except the sticky-owner decorator.
//
// The engine sorts work into routing classes: a class is one channel, one
// group (0 for any agent) and a set of skill requirements. Each class keeps
//   - its queued tickets, ordered by the policy's ticket key, and
//   - its available agents (online, eligible, with room on the channel),
//     ordered by the policy's agent key;
// and the engine keeps the "ready" classes (some ticket and some available
// agent) in a heap ordered by their first ticket. Next() takes the first ready
// class's first ticket and first agent; NextFor() looks at the agent's own
// classes only. Every event updates the few sets it touches, so no decision
// scans agents or tickets.
//
// The ready heap is kept lazily. Each class has at most one live entry, whose
// key is a lower bound of the class's first ticket; an entry is dropped when
// it comes up for a class no longer ready, and re-keyed when it comes up
// below its class's first ticket (unless that class is the only one ready:
// then no order among classes is needed). A class whose first ticket comes
// before its entry's key (a higher-priority ticket arrived) gets a new entry
// and the old one goes dead (a new generation). An agent who takes work or
// frees a place may be in dozens of classes (every skill and level they
// qualify for), and a FIFO class's first ticket changes with every decision,
// so this spares a heap update per class on the decision's path. A policy
// chooses:
//   - the ticket key (oldest first, newest first, virtual deadline ...),
//   - the agent order (longest without assignment, least loaded, rotation),
//   - the stages of a ticket: which classes it is in, and when that changes
//     (skills relaxation, tier escalation). Stage changes are timers in a heap
//     that is invalidated lazily: a timer of a ticket since removed, assigned
//     or re-staged is dropped when it comes up.
//
// Stage changes are applied by Next() and NextFor() before they decide, at
// most kStageTimersPerCall timers per call, the earliest due first. Tickets
// queued together change stage together (a burst, or a host loading its
// queue at once: 100,000 tickets relaxing in the same second took one
// decision 108 ms); with the bound, such a burst is spread over the
// decisions that follow (each applies the next few hundred) instead of
// stalling one. A stage change is never applied early; while a burst is
// being applied, a ticket whose turn has not come yet is still routed in its
// previous stage, NextWakeup() stays at or before `now` (so a host asks
// again), MayAssign() says true, and Next() may answer NotFound before the
// burst is through.
#ifndef HELPDESK_SRC_ROUTING_QUEUE_ROUTER_H_
#define HELPDESK_SRC_ROUTING_QUEUE_ROUTER_H_

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/routing.h"
#include "routing/ordered_set.h"

namespace helpdesk::routing_internal {

inline constexpr int kChannels = v1::Channel_ARRAYSIZE;
static_assert(kChannels <= 32, "AgentRec::channels is a 32-bit mask");

// Whole seconds since the epoch, rounded down (absl::ToUnixSeconds), and
// absl::ToUnixMicros, inline: absl's are library calls, and every Enqueue
// asks for one. The only place routing reads absl::Time's representation (a
// Duration is whole seconds and quarter nanoseconds in [0, 4e9)). Finite
// times only; UnixMicros for seconds within +-9e12 (every time
// ValidateWorkItem accepts, with centuries to spare). ordered_set_test
// compares UnixMicros with absl's.
inline int64_t UnixSeconds(absl::Time t) {
  return absl::time_internal::GetRepHi(absl::time_internal::ToUnixDuration(t));
}
inline int64_t UnixMicros(absl::Time t) {
  const absl::Duration d = absl::time_internal::ToUnixDuration(t);
  return absl::time_internal::GetRepHi(d) * 1'000'000 +
         static_cast<int64_t>(absl::time_internal::GetRepLo(d) / 4000);
}

// "email", "chat" ...: the channel's name for reasons and errors.
absl::string_view ChannelName(v1::Channel channel);

// Tickets are ordered by (primary, secondary, ticket_id), smallest first;
// `slot` (where the engine keeps the ticket) rides along.
struct TicketKey {
  int64_t primary = 0;
  int64_t secondary = 0;
  int64_t ticket_id = 0;
  int32_t slot = 0;
  // By (primary, secondary, ticket_id): `slot` follows from the id. Written
  // out rather than defaulted: every set operation is a few of these.
  friend bool operator<(const TicketKey& a, const TicketKey& b) {
    if (a.primary != b.primary) return a.primary < b.primary;
    if (a.secondary != b.secondary) return a.secondary < b.secondary;
    return a.ticket_id < b.ticket_id;
  }
  friend bool operator==(const TicketKey&, const TicketKey&) = default;
};

// Agents are ordered by (primary, secondary, agent_id); `index` rides along.
struct AgentKey {
  int64_t primary = 0;
  int64_t secondary = 0;
  int64_t agent_id = 0;
  int32_t index = 0;
  // By (primary, secondary, agent_id): `index` follows from the id.
  friend bool operator<(const AgentKey& a, const AgentKey& b) {
    if (a.primary != b.primary) return a.primary < b.primary;
    if (a.secondary != b.secondary) return a.secondary < b.secondary;
    return a.agent_id < b.agent_id;
  }
  friend bool operator==(const AgentKey&, const AgentKey&) = default;
};

enum class AgentOrder {
  kLongestWithoutAssignment,
  kLeastLoaded,
  kRotation,
};

// Skill requirements with interned skill ids, sorted by id.
using Requirements = absl::InlinedVector<std::pair<int32_t, int32_t>, 2>;

// A class a ticket may be routed in.
struct Target {
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t group_id = 0;
  Requirements skills;
};

// Where a ticket may go in one stage, and when the next stage begins.
struct Stage {
  absl::InlinedVector<Target, 2> targets;
  absl::Time ends_at = absl::InfiniteFuture();
};

// An agent's state on one channel; together, so that a decision on the
// channel touches one or two cache lines of the agent.
struct AgentChannel {
  int32_t capacity = 0;
  int32_t load = 0;
  // The agent is in the available set of every class of `classes`, under
  // `listed_key`.
  bool listed = false;
  AgentKey listed_key;
  // The classes of the channel the agent is eligible for (presence and load
  // aside).
  std::vector<int32_t> classes;
};

// An agent as the engine keeps them.
struct AgentRec {
  int64_t id = 0;
  int32_t index = 0;  // in QueueRouter::agents_
  v1::Presence presence = v1::PRESENCE_OFFLINE;
  int64_t last_assigned = 0;
  // Bit c set: capacity on channel c (RefreshAll visits only those).
  uint32_t channels = 0;
  std::array<AgentChannel, kChannels> ch;
  std::vector<int64_t> groups;                      // sorted, unique
  std::vector<std::pair<int32_t, int32_t>> skills;  // (skill id, level), sorted
};

struct ClassKey {
  int channel = 0;
  int64_t group_id = 0;
  Requirements skills;
  bool operator==(const ClassKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ClassKey& k) {
    return H::combine(std::move(h), k.channel, k.group_id, k.skills);
  }
};

// A routing class: see the file comment.
struct ClassRec {
  int32_t id = 0;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t group_id = 0;
  Requirements skills;
  // "in group 3 with skill spanish>=3", for reasons.
  std::string description;
  OrderedSet<TicketKey> tickets;
  OrderedSet<AgentKey> available;
  // Rotation: the agent id served last.
  int64_t rotation = 0;
  // Whether the class is ready (a ticket and an available agent).
  bool ready = false;
  // The class's live entry in the ready heap, if `has_entry`: the one of
  // generation `entry_generation`, with key `entry_key` (see the file
  // comment).
  bool has_entry = false;
  uint32_t entry_generation = 0;
  TicketKey entry_key;
};

// A queued or assigned ticket.
struct TicketRec {
  int32_t slot = 0;
  WorkItem item;
  Requirements skills;
  TicketKey key;
  int64_t seq = 0;
  int32_t stage = 0;
  bool assigned = false;
  int32_t agent_index = -1;
  v1::Channel assigned_channel = v1::CHANNEL_UNSPECIFIED;
  // The classes a queued ticket is in.
  absl::InlinedVector<int32_t, 2> classes;
  // Agents who declined it or let the offer time out.
  absl::InlinedVector<int64_t, 1> excluded;
};

// Whether a policy keeps QueueRouter's own StageOf (one stage: the ticket's
// channel and group, no skills), which lets Place() skip building the stage.
enum class Stages {
  kCustom,  // the policy overrides StageOf
  kOne,     // it does not
};

class QueueRouter : public RoutingPolicy {
 public:
  // A policy that overrides StageOf must pass Stages::kCustom.
  QueueRouter(std::string name, AgentOrder order,
              Stages stages = Stages::kCustom);
  ~QueueRouter() override;

  absl::string_view Name() const override { return name_; }
  absl::Status UpdateAgent(const AgentState& agent, absl::Time now) override;
  absl::Status Enqueue(const WorkItem& item) override;
  absl::Status Update(const WorkItem& item) override;
  absl::Status Remove(int64_t ticket_id) override;
  absl::Status RecordAssignment(const WorkItem& item,
                                int64_t agent_id) override;
  absl::Status Decline(int64_t ticket_id, int64_t agent_id,
                       OfferOutcome outcome, absl::Time now) override;
  absl::StatusOr<Assignment> Next(absl::Time now) override;
  absl::StatusOr<Assignment> NextFor(int64_t agent_id,
                                     absl::Time now) override;
  bool MayAssign(absl::Time now) const override {
    return ready_count_ > 0 || (!timers_.empty() && timers_.top().at <= now);
  }
  absl::Time NextWakeup() const override;
  void SetReasons(bool on) override { reasons_ = on; }

 protected:
  // The ticket's key; `seq` increases with every Enqueue.
  virtual TicketKey KeyOf(const WorkItem& item, int64_t seq) const;
  // Stage `stage` (0 first) of `item`, whose required skills are `skills`;
  // sets every field of *out (which may hold an earlier answer).
  // The default: one stage, the item's channel and group, no skills.
  virtual void StageOf(const WorkItem& item, const Requirements& skills,
                       int stage, Stage* out) const;
  // Appends why this ticket goes first, e.g. "oldest queued ticket (waited
  // 2m)". `now` is the decision's time.
  virtual void AppendTicketReason(const WorkItem& item, int stage,
                                  absl::Time now, std::string* out) const;
  // Checks what the policy needs beyond ValidateWorkItem.
  virtual absl::Status ValidateForPolicy(const WorkItem& item) const {
    return absl::OkStatus();
  }

  // "waited 2m30s" (whole seconds; never negative).
  static std::string Waited(const WorkItem& item, absl::Time now);
  // "1h2m3s", "4m", "0s".
  static std::string FormatSeconds(int64_t seconds);
  // The interned id of a skill name.
  int32_t SkillId(absl::string_view name);
  // The name of an interned skill.
  const std::string& SkillName(int32_t id) const { return skill_names_[id]; }

 public:
  // Stage timers one Next() or NextFor() applies at most: a stage change
  // costs about a microsecond, so a decision spends at most a few hundred
  // on them.
  static constexpr int kStageTimersPerCall = 256;

 private:
  struct Timer {
    absl::Time at;
    int64_t seq;
    int64_t ticket_id;
    int32_t stage;
    bool operator>(const Timer& o) const {
      if (at != o.at) return at > o.at;
      if (seq != o.seq) return seq > o.seq;
      return stage > o.stage;
    }
  };
  // An entry of the ready heap; dead unless its class has it as its live
  // entry (the same generation).
  struct ReadyEntry {
    TicketKey key;
    int32_t class_id;
    uint32_t generation;
  };
  struct LaterReady {
    bool operator()(const ReadyEntry& a, const ReadyEntry& b) const {
      if (a.key != b.key) return b.key < a.key;
      return b.class_id < a.class_id;
    }
  };
  struct Choice {
    TicketKey key;
    int32_t class_id = -1;
    int32_t agent_index = -1;
  };

  // The interned, sorted requirements of `skills`, into *out (in place: no
  // InlinedVector is built and moved per ticket).
  void Intern(const std::vector<SkillRequirement>& skills, Requirements* out);
  int32_t ClassFor(const Target& target);
  std::string DescribeClass(const ClassRec& c) const;
  bool Eligible(const AgentRec& agent, const ClassRec& c) const;
  AgentKey KeyFor(const AgentRec& agent, int channel) const;
  // Brings the agent's entries in the available sets of `channel` up to date.
  void Refresh(int32_t agent_index, int channel);
  // Refresh's update of class `c`'s available set: the agent is listed
  // under `ac.listed_key` if `ac.listed`, to be listed under `key` if `want`.
  void Relist(ClassRec& c, const AgentChannel& ac, bool want,
              const AgentKey& key);
  // Relist in every class of `ac.classes`.
  void RefreshClasses(const AgentChannel& ac, bool want, const AgentKey& key);
  void RefreshAll(int32_t agent_index);
  void Unlist(int32_t agent_index);
  // Recomputes the agent's classes from scratch.
  void Reclassify(int32_t agent_index);
  // Brings the class's readiness (and its entry in ready_) up to date.
  void Touch(ClassRec& c);
  bool Live(const ReadyEntry& e) const {
    const ClassRec& c = *classes_[e.class_id];
    return c.has_entry && c.entry_generation == e.generation;
  }
  // Gives the class a new live entry with `key`.
  void PushEntry(ClassRec& c, const TicketKey& key);
  void PopEntry();
  // Drops the dead entries of ready_, and those of classes not ready.
  void CompactReady();
  // Puts a queued ticket into the classes of its stage; schedules the next.
  void Place(TicketRec& t);
  // Place() for a policy with its own StageOf.
  void PlaceInStage(TicketRec& t);
  void Unplace(TicketRec& t);
  // Applies the stage changes due at `now`, at most kStageTimersPerCall
  // timers of them (see the file comment).
  void AdvanceStages(absl::Time now);
  int StageAt(const TicketRec& t, absl::Time now) const;
  int32_t PickAgent(ClassRec& c, const TicketRec& t);
  int32_t PickAgentSlow(ClassRec& c, const TicketRec& t);
  bool Excluded(const TicketRec& t, int64_t agent_id) const;
  // Looks for the first ticket of the class (before best->key when
  // `bounded`) that one of its available agents may take; sets *best.
  bool FindInClass(int32_t class_id, bool bounded, Choice* best);
  Assignment Assign(TicketRec& t, int32_t agent_index, int32_t class_id,
                    absl::Time now, bool pulled);
  // Why agent `a` gets ticket `t` of class `c` (before the assignment).
  void AppendReason(const TicketRec& t, const AgentRec& a, const ClassRec& c,
                    absl::Time now, bool pulled, std::string* out) const;
  // The ticket's record, or null.
  TicketRec* Find(int64_t ticket_id);
  // The slot entry of `ticket_id` (-1: not known), made if missing: for the
  // calls that create the record when it is missing (one lookup, not two).
  int32_t& SlotEntry(int64_t ticket_id);
  // A new record, whose slot goes into `entry` (SlotEntry's, which was -1).
  TicketRec& CreateAt(int32_t& entry);
  void Forget(TicketRec& t);
  void Release(TicketRec& t);

  std::string name_;
  AgentOrder order_;
  // Returned (as a cheap copy) when nothing can be assigned.
  absl::Status nothing_to_assign_;

  std::vector<AgentRec> agents_;
  absl::flat_hash_map<int64_t, int32_t> agent_index_;
  absl::flat_hash_map<int64_t, std::vector<int32_t>> agents_by_group_;
  absl::flat_hash_map<int32_t, std::vector<int32_t>> agents_by_skill_;
  std::array<std::vector<int32_t>, kChannels> agents_by_channel_;

  std::vector<std::unique_ptr<ClassRec>> classes_;
  absl::flat_hash_map<ClassKey, int32_t> class_index_;

  // Tickets live in a pool. Ids below kDenseTicketIds map to slots through
  // dense_index_ (-1: unknown), as hosts and the simulator number tickets up
  // from 1; larger ids through ticket_index_.
  static constexpr int64_t kDenseTicketIds = int64_t{1} << 20;
  std::vector<int32_t> dense_index_;
  std::vector<TicketRec> tickets_;
  std::vector<int32_t> free_slots_;
  absl::flat_hash_map<int64_t, int32_t> ticket_index_;
  // Place()'s scratch stage.
  Stage place_stage_;
  // Stages::kOne, and Place()'s cache for it: the class of the last channel
  // and group placed (-1: none yet).
  bool one_stage_ = false;
  int one_stage_channel_ = -1;
  int64_t one_stage_group_ = 0;
  int32_t one_stage_class_ = -1;
  // The class of the last target looked up (most tickets share a few).
  ClassKey last_class_key_;
  int32_t last_class_ = -1;
  // A min-heap (LaterReady) of ready classes, with dead entries.
  std::vector<ReadyEntry> ready_;
  // How many classes are ready.
  size_t ready_count_ = 0;
  // Entries Next() took off the heap while looking, to put back.
  std::vector<ReadyEntry> looked_at_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;

  absl::flat_hash_map<std::string, int32_t> skill_ids_;
  std::vector<std::string> skill_names_;

  // Whether Assign() explains its decisions (RoutingPolicy::SetReasons).
  bool reasons_ = true;

  int64_t enqueues_ = 0;
  int64_t decisions_ = 0;
};

}  // namespace helpdesk::routing_internal

#endif  // HELPDESK_SRC_ROUTING_QUEUE_ROUTER_H_
