// Internal: sorting a report row's values (a month's million figures, for
// their percentiles), and a row's duration values as they are collected.
#ifndef HELPDESK_SRC_REPORTS_REPORT_SORT_H_
#define HELPDESK_SRC_REPORTS_REPORT_SORT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace helpdesk::reports_internal {

// Sorts `v` ascending: std::sort for short vectors, else by radix (several
// times faster for a million values).
void SortInt64(std::vector<int64_t>& v);

// A row's values of a duration metric: as int64 nanoseconds while every one
// is a whole number of them (the usual case: half the memory, and sorted by
// radix), else as absl::Duration.
class DurationList {
 public:
  void reserve(size_t n) { nanos_.reserve(n); }
  void push_back(absl::Duration d) {
    if (exact_) {
      const int64_t n = absl::ToInt64Nanoseconds(d);
      if (absl::Nanoseconds(n) == d) {
        nanos_.push_back(n);
        return;
      }
      exact_ = false;
      durations_.reserve(nanos_.size() + 1);
      for (int64_t x : nanos_) durations_.push_back(absl::Nanoseconds(x));
      nanos_ = std::vector<int64_t>();
    }
    durations_.push_back(d);
  }
  // Adds `other`'s values.
  void Append(DurationList&& other);
  // The values, sorted.
  std::vector<absl::Duration> Sorted() &&;

 private:
  bool exact_ = true;
  std::vector<int64_t> nanos_;
  std::vector<absl::Duration> durations_;
};

}  // namespace helpdesk::reports_internal

#endif  // HELPDESK_SRC_REPORTS_REPORT_SORT_H_
