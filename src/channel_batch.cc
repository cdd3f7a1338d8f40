// ParseBatch (helpdesk/channel.h): a polled batch parsed on several threads.
// Workers take the next message index from a shared counter and write its
// result in its own slot, so the results keep the batch's order.
#include <cstddef>
#include <string>
#include <vector>

#include "helpdesk/channel.h"
#include "internal/parallel.h"

namespace helpdesk {

std::vector<absl::StatusOr<v1::InboundMessage>> ParseBatch(
    const InboundAdapter& adapter, absl::Span<const std::string> raws, absl::Time received_at,
    const ParseBatchOptions& options) {
  std::vector<absl::StatusOr<v1::InboundMessage>> results(raws.size());
  const int threads = options.threads > 0 ? options.threads : internal::HardwareThreads();
  internal::RunOnThreads(static_cast<size_t>(threads), raws.size(),
                         [&](size_t i) { results[i] = adapter.Parse(raws[i], received_at); });
  return results;
}

}  // namespace helpdesk
