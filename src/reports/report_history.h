// Internal: what a ReportAccumulator keeps per ticket (a compact timeline of
// the changes reports read, and the ticket's current attributes), and the
// figures one ticket contributes to a report.
#ifndef HELPDESK_SRC_REPORTS_REPORT_HISTORY_H_
#define HELPDESK_SRC_REPORTS_REPORT_HISTORY_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "helpdesk/reports.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/arena.h"
#include "helpdesk/v1/ticket.pb.h"
#include "internal/parallel.h"
#include "reports/report_event_facts.h"

namespace helpdesk::reports_internal {

// One change of the ticket's timeline. 24 bytes (a month's report over a
// million tickets keeps about nine million): the time as Unix microseconds
// (events' times have no finer precision, see FactsOf), and one number whose
// meaning depends on the kind.
struct Mark {
  enum Kind : uint8_t {
    kStatus,
    kGroup,
    kPriority,
    kMessage,
    kMerged,
    kAssignee,
    kType,
    kOrganization,
    kTags,
    kCustomField,
  };
  int64_t micros = 0;
  // kGroup, kAssignee, kOrganization: the id. kStatus: the status's index in
  // the accumulator's table; kPriority: the priority; kType: the type;
  // kMessage: the message kind; kTags: the tag set's index in the
  // accumulator's table (small()). kCustomField: the field name's index in
  // the accumulator's table (high half) and the value's (low half; 0: no
  // value).
  int64_t value = 0;
  // Marks of one event share `seq` (numbered per ticket from 0, the creation).
  uint32_t seq = 0;
  Kind kind = kStatus;
  // kMessage: the author is an agent.
  bool agent = false;

  absl::Time time() const { return absl::FromUnixMicros(micros); }
  void set_time(absl::Time t) { micros = absl::ToUnixMicros(t); }
  int32_t small() const { return static_cast<int32_t>(value); }
  int32_t custom_field() const { return static_cast<int32_t>(value >> 32); }
  int32_t custom_value() const { return static_cast<int32_t>(value & 0xffffffff); }
  void SetCustom(int32_t field, int32_t value_index) {
    value = static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(field)) << 32) |
                                 static_cast<uint32_t>(value_index));
  }
};
static_assert(sizeof(Mark) == 24, "a Mark is kept per change of every ticket");

// A ticket's current state: on its accumulator's arena when decoded there
// (AddEncodedTicket), else on the heap (AddTicket's copy).
struct CurrentTicketDeleter {
  void operator()(v1::Ticket* t) const {
    if (t->GetArena() == nullptr) delete t;
  }
};
using CurrentTicket = std::unique_ptr<v1::Ticket, CurrentTicketDeleter>;

struct TicketHistory {
  int64_t id = 0;
  absl::Time created;
  absl::Time last_time;
  uint32_t next_seq = 0;
  // The mark kinds the ticket has (bit 1 << kind), to know a value's first
  // change.
  uint32_t kinds = 0;
  std::vector<Mark> marks;
  // The latest values the events gave.
  int64_t assignee = 0;
  int64_t group = 0;
  int64_t organization = 0;
  v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
  v1::TicketType type = v1::TICKET_TYPE_UNSPECIFIED;
  // The latest tag set (an index in the accumulator's table), -1 for none.
  int32_t tags = -1;
  bool has_events = false;
  // The current ticket, when given (behind a pointer: most tickets have
  // none, and a v1::Ticket is large).
  CurrentTicket current;
};

// The tickets' histories: a vector in chunks of 4096, so that growing never
// moves (nor copies, nor touches twice the memory of) the histories already
// there; references stay valid until clear().
class TicketList {
 public:
  static constexpr size_t kChunk = 4096;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  TicketHistory& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const TicketHistory& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  TicketHistory& back() { return (*this)[size_ - 1]; }
  TicketHistory& emplace_back() {
    if (size_ == chunks_.size() * kChunk) {
      chunks_.push_back(std::make_unique<TicketHistory[]>(kChunk));
    }
    return (*this)[size_++];
  }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

  template <typename List, typename T>
  class Iterator {
   public:
    Iterator(List* list, size_t i) : list_(list), i_(i) {}
    T& operator*() const { return (*list_)[i_]; }
    T* operator->() const { return &(*list_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }

   private:
    List* list_;
    size_t i_;
  };
  Iterator<TicketList, TicketHistory> begin() { return {this, 0}; }
  Iterator<TicketList, TicketHistory> end() { return {this, size_}; }
  Iterator<const TicketList, const TicketHistory> begin() const { return {this, 0}; }
  Iterator<const TicketList, const TicketHistory> end() const { return {this, size_}; }

 private:
  std::vector<std::unique_ptr<TicketHistory[]>> chunks_;
  size_t size_ = 0;
};

// The accumulator's state.
struct AccumulatorState {
  ReportConfig config;
  std::vector<std::string> status_names;
  std::vector<v1::StatusCategory> status_categories;
  absl::flat_hash_map<std::string, int32_t> status_index;
  // The tickets, in the order first seen, and where each id is in it (a
  // dense vector rather than a map of histories: a million tickets' histories
  // stay compact and are visited in order): ids below dense.size() at
  // dense[id] (kNoTicket: none), which stores' ids (counted from 1) fill;
  // the others (far beyond the count of tickets) in `sparse`.
  // The arenas of current tickets decoded here or merged in (before the
  // tickets: they outlive them).
  std::vector<std::unique_ptr<google::protobuf::Arena>> ticket_arenas;
  TicketList tickets;
  std::vector<uint32_t> dense;
  absl::flat_hash_map<int64_t, uint32_t> sparse;
  static constexpr uint32_t kNoTicket = ~uint32_t{0};
  // The distinct tag sets the events gave (sorted, without repeats), which
  // kTags marks name by index.
  std::vector<std::vector<std::string>> tag_sets;
  absl::flat_hash_map<std::string, int32_t> tag_set_index;
  // Custom field names and rendered values that kCustomField marks name by
  // index; custom_values[0] is "" (no value).
  std::vector<std::string> custom_names;
  absl::flat_hash_map<std::string, int32_t> custom_name_index;
  std::vector<std::string> custom_values{std::string()};
  absl::flat_hash_map<std::string, int32_t> custom_value_index{{std::string(), 0}};
  // Scratch of Add (kept to spare allocations).
  EventFacts facts;
  v1::Event event_scratch;
  v1::FieldValue value_scratch;
  std::vector<absl::string_view> tags_scratch;
  std::vector<int32_t> status_scratch;
  std::string key_scratch;

  // The index of `tags` (sorted and made unique here) in tag_sets, added
  // when new.
  int32_t InternTags(absl::Span<const absl::string_view> tags) {
    tags_scratch.assign(tags.begin(), tags.end());
    std::sort(tags_scratch.begin(), tags_scratch.end());
    tags_scratch.erase(std::unique(tags_scratch.begin(), tags_scratch.end()),
                       tags_scratch.end());
    key_scratch.clear();
    for (absl::string_view tag : tags_scratch) {
      key_scratch.append(tag.data(), tag.size());
      key_scratch.push_back('\0');
    }
    auto it = tag_set_index.find(key_scratch);
    if (it != tag_set_index.end()) return it->second;
    const int32_t index = static_cast<int32_t>(tag_sets.size());
    tag_sets.emplace_back(tags_scratch.begin(), tags_scratch.end());
    tag_set_index.emplace(key_scratch, index);
    return index;
  }
  int32_t InternTags(const std::vector<std::string>& tags) {
    std::vector<absl::string_view> views(tags.begin(), tags.end());
    return InternTags(absl::MakeConstSpan(views));
  }
  // The index of `s` in `names`, added when new.
  static int32_t Intern(absl::string_view s, std::vector<std::string>* names,
                        absl::flat_hash_map<std::string, int32_t>* index) {
    auto it = index->find(s);
    if (it != index->end()) return it->second;
    const int32_t i = static_cast<int32_t>(names->size());
    names->emplace_back(s);
    index->emplace(std::string(s), i);
    return i;
  }

  // The ticket `id`, or null.
  TicketHistory* Find(int64_t id) {
    if (id >= 0 && static_cast<uint64_t>(id) < dense.size()) {
      const uint32_t i = dense[static_cast<size_t>(id)];
      if (i != kNoTicket) return &tickets[i];
      if (sparse.empty()) return nullptr;
    }
    auto it = sparse.find(id);
    return it == sparse.end() ? nullptr : &tickets[it->second];
  }
  // The ticket `id`, added (empty) when new.
  TicketHistory& FindOrAdd(int64_t id) {
    if (TicketHistory* t = Find(id)) return *t;
    TicketHistory& t = tickets.emplace_back();
    t.id = id;
    t.marks.reserve(kMarksReserved);
    IndexLast();
    return t;
  }
  // Takes `t` (a ticket this state does not hold) as its last ticket.
  void Adopt(TicketHistory&& t) {
    tickets.emplace_back() = std::move(t);
    IndexLast();
  }
  // Indexes the last ticket by its id.
  void IndexLast() {
    const uint32_t i = static_cast<uint32_t>(tickets.size() - 1);
    const int64_t id = tickets[i].id;
    // Dense while ids stay within a few times the count of tickets.
    const uint64_t bound = kDenseSlack + 4 * static_cast<uint64_t>(tickets.size());
    if (id >= 0 && static_cast<uint64_t>(id) < bound) {
      if (static_cast<uint64_t>(id) >= dense.size()) {
        dense.resize(std::min<uint64_t>(bound, std::max<uint64_t>(id + 1, 2 * dense.size())),
                     kNoTicket);
      }
      dense[static_cast<size_t>(id)] = i;
    } else {
      sparse.emplace(id, i);
    }
  }
  // A new current ticket on this state's arena: a million decoded tickets'
  // messages, tags and times in large blocks, freed at once, rather than a
  // few heap allocations each.
  v1::Ticket* NewArenaTicket() {
    if (ticket_arenas.empty()) {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 64 * 1024;
      options.max_block_size = 1024 * 1024;
      ticket_arenas.push_back(std::make_unique<google::protobuf::Arena>(options));
    }
    return google::protobuf::Arena::CreateMessage<v1::Ticket>(ticket_arenas.front().get());
  }
  // Takes `other`'s arenas (its current tickets move here).
  void AdoptArenas(AccumulatorState& other) {
    for (auto& a : other.ticket_arenas) ticket_arenas.push_back(std::move(a));
    other.ticket_arenas.clear();
  }
  void ClearTickets() {
    tickets.clear();
    dense.clear();
    sparse.clear();
  }
  // Marks reserved per ticket (a typical ticket's life), to spare regrowth.
  static constexpr size_t kMarksReserved = 12;
  static constexpr uint64_t kDenseSlack = 1 << 16;
};

// Computes a report over `state` (the spec already validated).
absl::StatusOr<Report> ComputeFromState(const AccumulatorState& state, const ReportSpec& spec);

// The threads config.threads asks for (ReportConfig::threads).
inline int ThreadsOf(const ReportConfig& config) {
  if (config.threads == 0) return std::min(internal::HardwareThreads(), 256);
  return std::max(1, config.threads);
}

// Sizes of the threaded paths' work (tests make them small, to cross
// batch and slice boundaries with few events). Not to be changed while a
// reader or Compute runs.
struct ThreadTuning {
  // Events per batch a ReportReader hands to a worker.
  size_t batch_rows = 2048;
  // Compute uses one thread per this many tickets at most.
  size_t tickets_per_thread = 16384;
};
ThreadTuning& Tuning();

// Merges `parts` (accumulators of disjoint tickets made with one config,
// holding no current tickets) into `into` (empty, made with that config),
// moving their tickets, interleaved in id order where each part's tickets
// are in id order.
void MergeDisjoint(std::vector<AccumulatorState*> parts, AccumulatorState* into);

}  // namespace helpdesk::reports_internal

namespace helpdesk {

struct ReportAccumulator::Rep {
  reports_internal::AccumulatorState state;
};

}  // namespace helpdesk

#endif  // HELPDESK_SRC_REPORTS_REPORT_HISTORY_H_
