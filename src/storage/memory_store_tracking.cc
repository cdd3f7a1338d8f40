// MemoryTransaction: tracking links (a ticket's token hash).
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "internal/status_macros.h"
#include "storage/memory_store_internal.h"

namespace helpdesk::internal {

// --- Tracking links ---

absl::Status MemoryTransaction::PutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                                 absl::Time created_at) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  if (ticket_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracking link ticket_id ", ticket_id, " must be positive"));
  }
  HELPDESK_RETURN_IF_ERROR(CheckSha256(token_sha256));
  std::string hash(token_sha256);
  auto taken = state_->tracking_by_hash.find(hash);
  if (taken != state_->tracking_by_hash.end() && taken->second.ticket_id != ticket_id) {
    return absl::AlreadyExistsError(absl::StrCat(
        "tracking link token_sha256 is already the link of ticket ", taken->second.ticket_id));
  }
  auto old = state_->tracking_by_ticket.find(ticket_id);
  if (old != state_->tracking_by_ticket.end()) {
    const std::string old_hash = old->second;
    Remember(state_->tracking_by_hash, old_hash);
    state_->tracking_by_hash.erase(old_hash);
  }
  Remember(state_->tracking_by_ticket, ticket_id);
  state_->tracking_by_ticket[ticket_id] = hash;
  Remember(state_->tracking_by_hash, hash);
  state_->tracking_by_hash[hash] = TrackingTokenRecord{
      .ticket_id = ticket_id, .token_sha256 = hash, .created_at = created_at};
  return absl::OkStatus();
}

absl::StatusOr<TrackingTokenRecord> MemoryTransaction::LookupTrackingToken(
    absl::string_view token_sha256) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->tracking_by_hash.find(std::string(token_sha256));
  if (it == state_->tracking_by_hash.end()) {
    return absl::NotFoundError("tracking link not found");
  }
  return it->second;
}

absl::StatusOr<std::optional<TrackingTokenRecord>> MemoryTransaction::GetTrackingTokenOfTicket(
    int64_t ticket_id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->tracking_by_ticket.find(ticket_id);
  if (it == state_->tracking_by_ticket.end()) return std::optional<TrackingTokenRecord>();
  return std::optional<TrackingTokenRecord>(state_->tracking_by_hash.at(it->second));
}

absl::StatusOr<bool> MemoryTransaction::RevokeTrackingToken(int64_t ticket_id) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->tracking_by_ticket.find(ticket_id);
  if (it == state_->tracking_by_ticket.end()) return false;
  const std::string hash = it->second;
  Remember(state_->tracking_by_hash, hash);
  state_->tracking_by_hash.erase(hash);
  Remember(state_->tracking_by_ticket, ticket_id);
  state_->tracking_by_ticket.erase(ticket_id);
  return true;
}

}  // namespace helpdesk::internal
