// SqliteTransaction: saved views and ticket counts (issue 16).
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
#include "storage/sqlite_ticket_query.h"
#include "storage/sqlite_transaction.h"

namespace helpdesk::internal {
namespace {

absl::Status ViewNameTaken(const v1::SavedView& view) {
  return absl::AlreadyExistsError(
      absl::StrCat("view name '", absl::CHexEscape(view.name()), "' of owner ",
                   view.owner_agent_id(), " is already taken"));
}

}  // namespace

absl::StatusOr<int64_t> SqliteTransaction::DoCountTickets(const TicketQuery& query) {
  HELPDESK_RETURN_IF_ERROR(FlushPendingTickets());
  TicketSql sql = BuildTicketCountSql(query);
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql.sql));
  BindTicketSqlParams(sql.params, stmt);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError("COUNT(*) returned no row");
  return stmt.ColumnInt(0);
}

absl::Status SqliteTransaction::DoInsertView(v1::SavedView* view) {
  v1::SavedView stored = *view;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "view"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO views (version, owner_agent_id, name, proto) "
              "VALUES (1, ?, ?, ?)"));
  stmt.BindInt(1, view->owner_agent_id());
  stmt.BindText(2, view->name());
  stmt.BindBlob(3, bytes);
  absl::Status status = stmt.Run();
  if (IsConstraint(status)) return ViewNameTaken(*view);
  HELPDESK_RETURN_IF_ERROR(status);
  view->set_id(LastRowId());
  view->set_version(1);
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoUpdateView(v1::SavedView* view,
                                             int64_t expected_version) {
  v1::SavedView stored = *view;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "view"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE views SET version = ?, owner_agent_id = ?, name = ?, "
              "proto = ? WHERE id = ? AND version = ?"));
  stmt.BindInt(1, expected_version + 1);
  stmt.BindInt(2, view->owner_agent_id());
  stmt.BindText(3, view->name());
  stmt.BindBlob(4, bytes);
  stmt.BindInt(5, view->id());
  stmt.BindInt(6, expected_version);
  absl::Status status = stmt.Run();
  if (IsConstraint(status)) return ViewNameTaken(*view);
  HELPDESK_RETURN_IF_ERROR(status);
  if (Changes() == 0) {
    return VersionMismatch("SELECT version FROM views WHERE id = ?", "view",
                           view->id(), expected_version);
  }
  view->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<v1::SavedView> SqliteTransaction::ReadView(SqliteStatement& stmt) {
  const int64_t id = stmt.ColumnInt(0);
  v1::SavedView view;
  HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(2), "views", id, &view));
  view.set_id(id);
  view.set_version(stmt.ColumnInt(1));
  return view;
}

absl::StatusOr<v1::SavedView> SqliteTransaction::DoGetView(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, version, proto FROM views WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("view", id);
  return ReadView(stmt);
}

absl::Status SqliteTransaction::DoDeleteView(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("DELETE FROM views WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  if (Changes() == 0) return NotFound("view", id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::SavedView>> SqliteTransaction::DoListViews(
    std::optional<int64_t> owner_agent_id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare(owner_agent_id
                  ? "SELECT id, version, proto FROM views WHERE owner_agent_id = ? "
                    "ORDER BY id"
                  : "SELECT id, version, proto FROM views ORDER BY id"));
  if (owner_agent_id) stmt.BindInt(1, *owner_agent_id);
  std::vector<v1::SavedView> out;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    HELPDESK_ASSIGN_OR_RETURN(v1::SavedView view, ReadView(stmt));
    out.push_back(std::move(view));
  }
  return out;
}

// --- Time tracking ---

absl::Status SqliteTransaction::DoInsertTimeEntry(v1::TimeEntry* entry) {
  if (entry->ticket_id() <= 0 || entry->agent_id() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time entry: ticket_id ", entry->ticket_id(), " and agent_id ",
        entry->agent_id(), " must be positive"));
  }
  v1::TimeEntry stored = *entry;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "time entry"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO time_entries (ticket_id, logged_us, proto) VALUES (?, ?, ?)"));
  stmt.BindInt(1, entry->ticket_id());
  stmt.BindInt(2, TimestampToMicros(entry->logged_at()));
  stmt.BindBlob(3, bytes);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  entry->set_id(LastRowId());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::TimeEntry>> SqliteTransaction::DoListTimeEntries(
    int64_t ticket_id) {
  return ListRows<v1::TimeEntry>(
      "SELECT id, proto FROM time_entries WHERE ticket_id = ? ORDER BY id",
      "time_entries", {ticket_id});
}

absl::StatusOr<std::vector<v1::TimeEntry>> SqliteTransaction::DoListTimeEntriesLogged(
    const TimeRange& range) {
  // The stored micros are exact (TimestampToMicros of the entry's time), so
  // compare in absl::Time the way TimeRange::Contains does.
  // The index narrows to [floor(from) - 1, ceil(to) + 1] microseconds
  // (ToUnixMicros saturates for infinite times); the exact test follows.
  const int64_t lo = absl::ToUnixMicros(range.from);
  const int64_t hi = absl::ToUnixMicros(range.to);
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  HELPDESK_ASSIGN_OR_RETURN(
      std::vector<v1::TimeEntry> all,
      ListRows<v1::TimeEntry>(
          "SELECT id, proto FROM time_entries WHERE logged_us >= ? AND logged_us <= ? "
          "ORDER BY logged_us, id",
          "time_entries", {lo == kMin ? kMin : lo - 1, hi == kMax ? kMax : hi + 1}));
  std::vector<v1::TimeEntry> out;
  for (v1::TimeEntry& e : all) {
    if (range.Contains(FromTimestamp(e.logged_at()))) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace helpdesk::internal
