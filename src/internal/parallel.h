// Internal: running a function over indices on a few threads, for the pure
// components that split work (ParseBatch, reports). Not part of the public
// API.
#ifndef HELPDESK_SRC_INTERNAL_PARALLEL_H_
#define HELPDESK_SRC_INTERNAL_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace helpdesk::internal {

// The machine's hardware concurrency, at least 1.
inline int HardwareThreads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Runs task(0) ... task(n - 1) on min(threads, n) threads, the calling
// thread one of them, each taking the next index not taken; returns when all
// are done. `task` must be safe to call from several threads at once.
template <typename Task>
void RunOnThreads(size_t threads, size_t n, const Task& task) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) task(i);
  };
  std::vector<std::thread> others;
  for (size_t k = 1; k < std::min(threads, n); ++k) others.emplace_back(work);
  work();
  for (std::thread& t : others) t.join();
}

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_INTERNAL_PARALLEL_H_
