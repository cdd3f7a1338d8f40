// MemoryTransaction: saved views, ticket counts and time entries.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "storage/memory_store_internal.h"
#include "storage/ticket_query.h"

namespace helpdesk::internal {

// --- Saved views and counts ---

absl::StatusOr<int64_t> MemoryTransaction::CountTickets(const TicketQuery& query) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  int64_t n = 0;
  for (const auto& [id, ticket] : state_->tickets) {
    if (internal::TicketMatches(query, ticket)) ++n;
  }
  return n;
}

absl::Status MemoryTransaction::InsertView(v1::SavedView* view) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(CheckViewNameFree(*view, 0));
  view->set_id(++state_->last.view);
  view->set_version(1);
  StoreView(*view, nullptr);
  return absl::OkStatus();
}

absl::Status MemoryTransaction::UpdateView(v1::SavedView* view, int64_t expected_version) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->views.find(view->id());
  if (it == state_->views.end()) return NotFound("view", view->id());
  HELPDESK_RETURN_IF_ERROR(
      CheckVersion("view", view->id(), it->second.version(), expected_version));
  HELPDESK_RETURN_IF_ERROR(CheckViewNameFree(*view, view->id()));
  view->set_version(expected_version + 1);
  v1::SavedView old = it->second;
  StoreView(*view, &old);
  return absl::OkStatus();
}

absl::StatusOr<v1::SavedView> MemoryTransaction::GetView(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->views.find(id);
  if (it == state_->views.end()) return NotFound("view", id);
  return it->second;
}

absl::Status MemoryTransaction::DeleteView(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->views.find(id);
  if (it == state_->views.end()) return NotFound("view", id);
  std::pair<int64_t, std::string> key(it->second.owner_agent_id(), it->second.name());
  Remember(state_->view_names, key);
  state_->view_names.erase(key);
  Remember(state_->views, id);
  state_->views.erase(id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::SavedView>> MemoryTransaction::ListViews(
    std::optional<int64_t> owner_agent_id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  std::vector<v1::SavedView> out;
  for (const auto& [id, view] : state_->views) {
    if (!owner_agent_id || view.owner_agent_id() == *owner_agent_id) {
      out.push_back(view);
    }
  }
  return out;
}

// --- Time tracking ---

absl::Status MemoryTransaction::InsertTimeEntry(v1::TimeEntry* entry) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  if (entry->ticket_id() <= 0 || entry->agent_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time entry: ticket_id ", entry->ticket_id(), " and agent_id ",
        entry->agent_id(), " must be positive"));
  }
  entry->set_id(++state_->last.time_entry);
  Remember(state_->time_entries, entry->id());
  state_->time_entries[entry->id()] = *entry;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::TimeEntry>> MemoryTransaction::ListTimeEntries(int64_t ticket_id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  std::vector<v1::TimeEntry> out;
  for (const auto& [id, e] : state_->time_entries) {
    if (e.ticket_id() == ticket_id) out.push_back(e);
  }
  return out;
}

absl::StatusOr<std::vector<v1::TimeEntry>> MemoryTransaction::ListTimeEntriesLogged(
    const TimeRange& range) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  std::vector<v1::TimeEntry> out;
  for (const auto& [id, e] : state_->time_entries) {
    if (range.Contains(FromTimestamp(e.logged_at()))) out.push_back(e);
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::TimeEntry& a, const v1::TimeEntry& b) {
    return TimestampToMicros(a.logged_at()) < TimestampToMicros(b.logged_at());
  });
  return out;
}

absl::Status MemoryTransaction::CheckViewNameFree(const v1::SavedView& view, int64_t self) {
  auto it = state_->view_names.find({view.owner_agent_id(), view.name()});
  if (it != state_->view_names.end() && it->second != self) {
    return absl::AlreadyExistsError(absl::StrCat(
        "view name '", absl::CHexEscape(view.name()), "' of owner ",
        view.owner_agent_id(), " is taken by view ", it->second));
  }
  return absl::OkStatus();
}

void MemoryTransaction::StoreView(const v1::SavedView& view, const v1::SavedView* old) {
  if (old != nullptr) {
    std::pair<int64_t, std::string> key(old->owner_agent_id(), old->name());
    Remember(state_->view_names, key);
    state_->view_names.erase(key);
  }
  std::pair<int64_t, std::string> key(view.owner_agent_id(), view.name());
  Remember(state_->view_names, key);
  state_->view_names[key] = view.id();
  Remember(state_->views, view.id());
  state_->views[view.id()] = view;
}

}  // namespace helpdesk::internal
