// main's reports code as of b2cb9b9, copied verbatim (namespace helpdesk::main_baseline)
// for report_bench's same-run baseline (BM_Report_MainVisit). Not part of the library.
// Internal: what a ReportAccumulator keeps per ticket (a compact timeline of
// the changes reports read, and the ticket's current attributes), and the
// figures one ticket contributes to a report.
#ifndef HELPDESK_BENCH_MAIN_REPORT_HISTORY_H_
#define HELPDESK_BENCH_MAIN_REPORT_HISTORY_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "report_baseline/main_reports.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk::main_baseline::reports_internal {

// One change of the ticket's timeline.
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
  };
  absl::Time time;
  // Marks of one event share `seq` (numbered per ticket from 0, the creation).
  uint32_t seq = 0;
  Kind kind = kStatus;
  // kMessage: the author is an agent.
  bool agent = false;
  // kStatus: the status's index in the accumulator's table; kPriority: the
  // priority; kType: the type; kMessage: the message kind; kTags: the tag
  // set's index in the accumulator's table.
  int32_t small = 0;
  // kGroup, kAssignee, kOrganization: the id.
  int64_t value = 0;
};

struct TicketHistory {
  int64_t id = 0;
  absl::Time created;
  absl::Time last_time;
  uint32_t next_seq = 0;
  std::vector<Mark> marks;
  // The latest values the events gave.
  int64_t assignee = 0;
  int64_t group = 0;
  int64_t organization = 0;
  v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
  v1::TicketType type = v1::TICKET_TYPE_UNSPECIFIED;
  std::vector<std::string> tags;
  std::map<std::string, std::string> custom_fields;
  bool has_events = false;
  // The current ticket, when given (behind a pointer: most tickets have
  // none, and a v1::Ticket is large).
  std::unique_ptr<v1::Ticket> current;
};

// The accumulator's state.
struct AccumulatorState {
  ReportConfig config;
  std::vector<std::string> status_names;
  std::vector<v1::StatusCategory> status_categories;
  absl::flat_hash_map<std::string, int32_t> status_index;
  // The tickets, in the order first seen, and where each id is in it (a
  // dense vector rather than a map of histories: a million tickets' histories
  // stay compact and are visited in order).
  std::vector<TicketHistory> tickets;
  absl::flat_hash_map<int64_t, uint32_t> index;
  // The distinct tag sets the events gave (sorted, without repeats), which
  // kTags marks name by index.
  std::vector<std::vector<std::string>> tag_sets;
  absl::flat_hash_map<std::string, int32_t> tag_set_index;

  // The index of `tags` (sorted and made unique here) in tag_sets, added
  // when new.
  int32_t InternTags(std::vector<std::string> tags) {
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    std::string key;
    for (const std::string& tag : tags) {
      key.append(tag);
      key.push_back('\0');
    }
    auto [it, added] = tag_set_index.try_emplace(std::move(key),
                                                 static_cast<int32_t>(tag_sets.size()));
    if (added) tag_sets.push_back(std::move(tags));
    return it->second;
  }

  // The ticket `id`, or null.
  TicketHistory* Find(int64_t id) {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &tickets[it->second];
  }
  // The ticket `id`, added (empty) when new.
  TicketHistory& FindOrAdd(int64_t id) {
    auto [it, added] = index.try_emplace(id, static_cast<uint32_t>(tickets.size()));
    if (added) {
      tickets.emplace_back().id = id;
      if (!tickets.back().marks.capacity()) tickets.back().marks.reserve(kMarksReserved);
    }
    return tickets[it->second];
  }
  // Marks reserved per ticket (a typical ticket's life), to spare regrowth.
  static constexpr size_t kMarksReserved = 4;
};

// Computes a report over `state` (the spec already validated).
absl::StatusOr<Report> ComputeFromState(const AccumulatorState& state, const ReportSpec& spec);

}  // namespace helpdesk::reports_internal

#endif  // HELPDESK_BENCH_MAIN_REPORT_HISTORY_H_
