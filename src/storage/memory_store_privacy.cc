// MemoryTransaction: personal data (issue 16), redaction, ticket deletion and
// orphan attachment content.
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"
#include "storage/memory_store_internal.h"

namespace helpdesk::internal {

// --- Personal data (issue 16) ---

absl::Status MemoryTransaction::RedactMessage(const v1::Message& message) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->messages.find(message.id());
  if (it == state_->messages.end()) return NotFound("message", message.id());
  Remember(state_->messages, message.id());
  v1::Message& m = it->second;
  m.set_body_text(message.body_text());
  m.set_body_html(message.body_html());
  *m.mutable_attachments() = message.attachments();
  *m.mutable_author() = message.author();
  m.set_external_id(message.external_id());
  return absl::OkStatus();
}

absl::Status MemoryTransaction::RedactEvent(const v1::Event& event) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->events.find(event.id());
  if (it == state_->events.end()) return NotFound("event", event.id());
  Remember(state_->events, event.id());
  *it->second.mutable_changes() = event.changes();
  it->second.set_note(event.note());
  return absl::OkStatus();
}

absl::Status MemoryTransaction::DeleteTicket(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  if (!state_->tickets.contains(id)) return NotFound("ticket", id);
  Remember(state_->tickets, id);
  state_->tickets.erase(id);
  auto drop_owned = [&](auto& rows, auto& index) {
    auto it = index.find(id);
    if (it == index.end()) return;
    for (int64_t row : it->second) {
      Remember(rows, row);
      rows.erase(row);
    }
    Remember(index, id);
    index.erase(id);
  };
  drop_owned(state_->messages, state_->messages_by_ticket);
  drop_owned(state_->events, state_->events_by_ticket);
  for (auto it = state_->thread_keys.begin(); it != state_->thread_keys.end();) {
    auto next = std::next(it);
    if (it->second == id) {
      Remember(state_->thread_keys, it->first);
      state_->thread_keys.erase(it);
    }
    it = next;
  }
  HELPDESK_RETURN_IF_ERROR(RevokeTrackingToken(id).status());
  if (state_->automation_due.contains(id)) {
    std::optional<int64_t> before = state_->automation_due.at(id);
    SetDue(id, std::nullopt);
    undo_.push_back([this, id, before] { SetDue(id, before); });
  }
  Remember(state_->rule_firings, id);
  state_->rule_firings.erase(id);
  for (auto it = state_->time_entries.begin(); it != state_->time_entries.end();) {
    auto next = std::next(it);
    if (it->second.ticket_id() == id) {
      Remember(state_->time_entries, it->first);
      state_->time_entries.erase(it);
    }
    it = next;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemoryTransaction::ListOrphanAttachments(
    absl::string_view after, int limit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " must be between 1 and 10000"));
  }
  std::set<std::string> used;
  for (const auto& [id, m] : state_->messages) {
    for (const v1::Attachment& a : m.attachments()) used.insert(a.sha256());
  }
  std::vector<std::string> out;
  for (auto it = state_->attachments.upper_bound(std::string(after));
       it != state_->attachments.end() && static_cast<int>(out.size()) < limit; ++it) {
    if (!used.contains(it->first)) out.push_back(it->first);
  }
  return out;
}

absl::StatusOr<bool> MemoryTransaction::DeleteAttachmentContent(absl::string_view sha256) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  std::string key(sha256);
  if (!state_->attachments.contains(key)) return false;
  Remember(state_->attachments, key);
  state_->attachments.erase(key);
  return true;
}

}  // namespace helpdesk::internal
