// PostgresTransaction: saved views and time entries (issue 16), as
// sqlite_views.cc does for SqliteStore. CountTickets is in
// postgres_tickets.cc beside QueryTickets.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/timestamp.h"
#include "internal/status_macros.h"
#include "storage/postgres_transaction.h"

namespace helpdesk::internal {
namespace {

absl::Status ViewNameTaken(const v1::SavedView& view) {
  return absl::AlreadyExistsError(
      absl::StrCat("view name '", absl::CHexEscape(view.name()), "' of owner ",
                   view.owner_agent_id(), " is already taken"));
}

}  // namespace

// A server error would abort the transaction, so a taken name is found
// before the write (read-write transactions hold the writer lock).
absl::Status PostgresTransaction::CheckViewNameFree(const v1::SavedView& view,
                                                    int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT 1 FROM views WHERE owner_agent_id = $1 AND name = $2 AND id <> $3",
          {PgParam::Int(view.owner_agent_id()), PgParam::Bytes(view.name()),
           PgParam::Int(id)}));
  if (r.rows() > 0) return ViewNameTaken(view);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoInsertView(v1::SavedView* view) {
  v1::SavedView stored = *view;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "view"));
  HELPDESK_RETURN_IF_ERROR(CheckViewNameFree(*view, 0));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("INSERT INTO views (version, owner_agent_id, name, proto) "
                      "VALUES (1, $1, $2, $3) RETURNING id",
                      {PgParam::Int(view->owner_agent_id()),
                       PgParam::Bytes(view->name()), PgParam::Bytes(bytes)}));
  view->set_id(r.Int(0, 0));
  view->set_version(1);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateView(v1::SavedView* view,
                                               int64_t expected_version) {
  v1::SavedView stored = *view;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "view"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult current,
      Run("SELECT version FROM views WHERE id = $1", {PgParam::Int(view->id())}));
  if (current.rows() == 0) return NotFound("view", view->id());
  if (current.Int(0, 0) != expected_version) {
    return StaleVersion("view", view->id(), expected_version, current.Int(0, 0));
  }
  HELPDESK_RETURN_IF_ERROR(CheckViewNameFree(*view, view->id()));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("UPDATE views SET version = $1, owner_agent_id = $2, name = $3, proto = $4 "
          "WHERE id = $5 AND version = $6 RETURNING id",
          {PgParam::Int(expected_version + 1), PgParam::Int(view->owner_agent_id()),
           PgParam::Bytes(view->name()), PgParam::Bytes(bytes),
           PgParam::Int(view->id()), PgParam::Int(expected_version)}));
  if (r.rows() == 0) {
    return VersionMismatch("SELECT version FROM views WHERE id = $1", "view",
                           view->id(), expected_version);
  }
  view->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::SavedView>> PostgresTransaction::ReadViews(
    const PgResult& r) {
  std::vector<v1::SavedView> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const int64_t id = r.Int(i, 0);
    v1::SavedView& view = out[static_cast<size_t>(i)];
    HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(i, 2), "views", id, &view));
    view.set_id(id);
    view.set_version(r.Int(i, 1));
  }
  return out;
}

absl::StatusOr<v1::SavedView> PostgresTransaction::DoGetView(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT id, version, proto FROM views WHERE id = $1", {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("view", id);
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::SavedView> views, ReadViews(r));
  return std::move(views[0]);
}

absl::Status PostgresTransaction::DoDeleteView(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("DELETE FROM views WHERE id = $1 RETURNING id", {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("view", id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::SavedView>> PostgresTransaction::DoListViews(
    std::optional<int64_t> owner_agent_id) {
  if (owner_agent_id) {
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult r, Run("SELECT id, version, proto FROM views WHERE owner_agent_id = $1 "
                        "ORDER BY id",
                        {PgParam::Int(*owner_agent_id)}));
    return ReadViews(r);
  }
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT id, version, proto FROM views ORDER BY id", {}));
  return ReadViews(r);
}

// --- Time tracking ---

absl::Status PostgresTransaction::DoInsertTimeEntry(v1::TimeEntry* entry) {
  if (entry->ticket_id() <= 0 || entry->agent_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time entry: ticket_id ", entry->ticket_id(), " and agent_id ",
        entry->agent_id(), " must be positive"));
  }
  v1::TimeEntry stored = *entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "time entry"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("INSERT INTO time_entries (ticket_id, logged_us, proto) VALUES ($1, $2, $3) "
          "RETURNING id",
          {PgParam::Int(entry->ticket_id()),
           PgParam::Int(TimestampToMicros(entry->logged_at())), PgParam::Bytes(bytes)}));
  entry->set_id(r.Int(0, 0));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::TimeEntry>> PostgresTransaction::DoListTimeEntries(
    int64_t ticket_id) {
  return ListRows<v1::TimeEntry>(
      "SELECT id, proto FROM time_entries WHERE ticket_id = $1 ORDER BY id",
      "time_entries", {ticket_id});
}

absl::StatusOr<std::vector<v1::TimeEntry>> PostgresTransaction::DoListTimeEntriesLogged(
    const TimeRange& range) {
  // As SqliteStore: the index narrows to [floor(from) - 1, ceil(to) + 1]
  // microseconds (ToUnixMicros saturates for infinite times); the exact
  // TimeRange::Contains test follows.
  const int64_t lo = absl::ToUnixMicros(range.from);
  const int64_t hi = absl::ToUnixMicros(range.to);
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  HELPDESK_ASSIGN_OR_RETURN(
      std::vector<v1::TimeEntry> all,
      ListRows<v1::TimeEntry>(
          "SELECT id, proto FROM time_entries WHERE logged_us >= $1 AND logged_us <= $2 "
          "ORDER BY logged_us, id",
          "time_entries", {lo == kMin ? kMin : lo - 1, hi == kMax ? kMax : hi + 1}));
  std::vector<v1::TimeEntry> out;
  for (v1::TimeEntry& e : all) {
    if (range.Contains(FromTimestamp(e.logged_at()))) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace helpdesk::internal
