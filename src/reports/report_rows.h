// Internal: a report's figures per ticket (what one ticket contributes,
// each with the moment it is credited at), and the rows they add up into:
// collected, joined across slices of the tickets, finished (sorted, with
// percentiles).
#ifndef HELPDESK_SRC_REPORTS_REPORT_ROWS_H_
#define HELPDESK_SRC_REPORTS_REPORT_ROWS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "helpdesk/reports.h"
#include "reports/report_sort.h"

namespace helpdesk::reports_internal {

// The metrics a spec asks for.
struct Wanted {
  bool created = false, solved = false, reopened = false, backlog = false, first_reply = false,
       resolution = false, replies = false, requester_wait = false, agent_work = false, sla = false,
       top_tags = false;
  bool Timeline() const {
    return solved || reopened || backlog || first_reply || resolution || replies ||
           requester_wait || agent_work;
  }
};

Wanted WantedOf(const ReportSpec& spec);

// What one ticket contributes, each figure with the moment it is credited
// at (a row takes the figures whose moment falls while the ticket had the
// row's value).
struct TicketFigures {
  bool created_in = false;
  // The moves into and out of solved/closed in the period.
  std::vector<absl::Time> solves;
  std::vector<absl::Time> reopens;
  std::optional<absl::Duration> first_reply;
  absl::Time first_reply_at;
  // Set together, credited at resolved_at (the last solve).
  std::optional<absl::Duration> resolution;
  std::optional<int64_t> replies;
  std::optional<absl::Duration> requester_wait;
  std::optional<absl::Duration> agent_work;
  absl::Time resolved_at;
  // [start, end) while in the backlog (end may be InfiniteFuture).
  std::vector<std::pair<absl::Time, absl::Time>> backlog;
  // The latest cycles that ended in the period: met or breached, and when.
  struct SlaCycle {
    v1::SlaMetric metric;
    bool met;
    absl::Time at;
  };
  std::vector<SlaCycle> sla;
};

// Times [start, end), sorted and disjoint.
using Ranges = std::vector<std::pair<absl::Time, absl::Time>>;

// A row's figures as they are collected.
struct RowBuilder {
  int64_t created = 0, solved = 0, reopened = 0;
  std::vector<int64_t> backlog_diff;
  DurationList first_reply, resolution, requester_wait, agent_work;
  std::vector<int64_t> replies;
  std::map<v1::SlaMetric, std::pair<int64_t, int64_t>> sla;
  std::map<std::string, int64_t> tags;
  // Creations per tag set held for the whole computation (the
  // accumulator's, by address), added to `tags` by Finish: a million
  // creations count into a few sets instead of a million map lookups.
  absl::flat_hash_map<const std::vector<std::string>*, int64_t> tag_sets;
};

// The index of the first sample at or after `t` (samples from + k * step).
int64_t FirstSampleAtOrAfter(absl::Time t, const ReportSpec& spec, int64_t samples);

// Adds to `row` what `f` credits at moments within `ranges` (null: all).
// `tags` outlives the computation when `held`.
void AddTo(RowBuilder& row, const TicketFigures& f, const std::vector<std::string>& tags, bool held,
           const ReportSpec& spec, int64_t samples, const Ranges* ranges);

// Adds `from`'s figures to `into`'s (a row's figures from another slice of
// the tickets: counts add, values join).
void Absorb(RowBuilder& into, RowBuilder&& from);

// The row `key` with `b`'s figures: values sorted, means and percentiles.
ReportRow Finish(std::string key, RowBuilder b, const Wanted& w, const ReportSpec& spec,
                 int64_t samples);

// Rows sort numerically by id, then by text.
bool KeyLess(const std::string& a, const std::string& b);

}  // namespace helpdesk::reports_internal

#endif  // HELPDESK_SRC_REPORTS_REPORT_ROWS_H_
