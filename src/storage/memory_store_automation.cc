// MemoryTransaction: automation (issue 14), each ticket's due time for the
// rules and its rule firings.
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "internal/status_macros.h"
#include "storage/memory_store_internal.h"

namespace helpdesk::internal {

// --- Automation (issue 14) ---

absl::Status MemoryTransaction::SetTicketAutomationDue(int64_t id, std::optional<absl::Time> due) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  if (!state_->tickets.contains(id)) return NotFound("ticket", id);
  std::optional<int64_t> before;
  if (auto it = state_->automation_due.find(id); it != state_->automation_due.end()) {
    before = it->second;
  }
  std::optional<int64_t> after;
  if (due) after = absl::ToUnixMicros(*due);
  if (before == after) return absl::OkStatus();
  SetDue(id, after);
  undo_.push_back([this, id, before] { SetDue(id, before); });
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Time>> MemoryTransaction::GetTicketAutomationDue(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->automation_due.find(id);
  if (it == state_->automation_due.end()) return std::optional<absl::Time>();
  return std::optional<absl::Time>(absl::FromUnixMicros(it->second));
}

absl::StatusOr<std::vector<int64_t>> MemoryTransaction::ListDueAutomations(absl::Time now,
                                                                           int limit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }
  std::vector<int64_t> out;
  const int64_t until = absl::ToUnixMicros(now);
  for (const auto& [due, id] : state_->automation_queue) {
    if (due > until || static_cast<int>(out.size()) >= limit) break;
    out.push_back(id);
  }
  return out;
}

absl::StatusOr<v1::RuleFirings> MemoryTransaction::GetRuleFirings(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  v1::RuleFirings f;
  auto it = state_->rule_firings.find(id);
  if (it != state_->rule_firings.end() && !f.ParseFromString(it->second)) {
    return absl::DataLossError(absl::StrCat("rule firings of ticket ", id, " do not parse"));
  }
  return f;
}

absl::Status MemoryTransaction::SetRuleFirings(int64_t id, const v1::RuleFirings& firings) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  if (!state_->tickets.contains(id)) return NotFound("ticket", id);
  Remember(state_->rule_firings, id);
  if (firings.firings_size() == 0) {
    state_->rule_firings.erase(id);
  } else {
    state_->rule_firings[id] = firings.SerializeAsString();
  }
  return absl::OkStatus();
}

void MemoryTransaction::SetDue(int64_t id, std::optional<int64_t> due) {
  auto it = state_->automation_due.find(id);
  if (it != state_->automation_due.end()) {
    state_->automation_queue.erase({it->second, id});
    state_->automation_due.erase(it);
  }
  if (due) {
    state_->automation_due[id] = *due;
    state_->automation_queue.insert({*due, id});
  }
}

}  // namespace helpdesk::internal
