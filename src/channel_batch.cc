// ParseBatch (helpdesk/channel.h): a polled batch parsed on several threads.
// Workers take the next message index from a shared counter and write its
// result in its own slot, so the results keep the batch's order.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "helpdesk/channel.h"

namespace helpdesk {

std::vector<absl::StatusOr<v1::InboundMessage>> ParseBatch(
    const InboundAdapter& adapter, absl::Span<const std::string> raws, absl::Time received_at,
    const ParseBatchOptions& options) {
  std::vector<absl::StatusOr<v1::InboundMessage>> results(raws.size());
  size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, raws.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < raws.size(); i = next.fetch_add(1)) {
      results[i] = adapter.Parse(raws[i], received_at);
    }
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& h : helpers) h.join();
  return results;
}

}  // namespace helpdesk
