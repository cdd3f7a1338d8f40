// SqliteTransaction's tracking links: the SHA-256 of each ticket's
// tracking-link token (never the token), in table tracking_tokens keyed by
// the hash (schema version 5), at most one row per ticket. The class and its
// plumbing are in sqlite_transaction.h.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "storage/sqlite_transaction.h"
#include "storage/ticket_query.h"

namespace helpdesk::internal {

absl::Status SqliteTransaction::DoPutTrackingToken(int64_t ticket_id,
                                                   absl::string_view token_sha256,
                                                   absl::Time created_at) {
  if (ticket_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracking link ticket_id ", ticket_id, " must be positive"));
  }
  if (!IsSha256Hex(token_sha256)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracking link token_sha256 '", absl::CHexEscape(token_sha256.substr(0, 80)),
                     "' is not 64 lower-case hexadecimal digits"));
  }
  {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement taken,
        Prepare("SELECT ticket_id FROM tracking_tokens WHERE token_sha256 = ?"));
    taken.BindText(1, token_sha256);
    HELPDESK_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row && taken.ColumnInt(0) != ticket_id) {
      return absl::AlreadyExistsError(absl::StrCat(
          "tracking link token_sha256 is already the link of ticket ", taken.ColumnInt(0)));
    }
  }
  {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement old,
                              Prepare("DELETE FROM tracking_tokens WHERE ticket_id = ?"));
    old.BindInt(1, ticket_id);
    HELPDESK_RETURN_IF_ERROR(old.Run());
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      Prepare("INSERT INTO tracking_tokens (token_sha256, ticket_id, created_us) "
              "VALUES (?, ?, ?)"));
  insert.BindText(1, token_sha256);
  insert.BindInt(2, ticket_id);
  insert.BindInt(3, ToUnixMicrosFloor(created_at));
  return insert.Run();
}

namespace {

TrackingTokenRecord RecordOf(const SqliteStatement& row) {
  TrackingTokenRecord r;
  r.token_sha256 = std::string(row.ColumnText(0));
  r.ticket_id = row.ColumnInt(1);
  r.created_at = absl::FromUnixMicros(row.ColumnInt(2));
  return r;
}

}  // namespace

absl::StatusOr<TrackingTokenRecord> SqliteTransaction::DoLookupTrackingToken(
    absl::string_view token_sha256) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT token_sha256, ticket_id, created_us FROM tracking_tokens "
              "WHERE token_sha256 = ?"));
  stmt.BindText(1, token_sha256);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::NotFoundError("tracking link not found");
  return RecordOf(stmt);
}

absl::StatusOr<std::optional<TrackingTokenRecord>>
SqliteTransaction::DoGetTrackingTokenOfTicket(int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT token_sha256, ticket_id, created_us FROM tracking_tokens "
              "WHERE ticket_id = ?"));
  stmt.BindInt(1, ticket_id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<TrackingTokenRecord>();
  return std::optional<TrackingTokenRecord>(RecordOf(stmt));
}

absl::StatusOr<bool> SqliteTransaction::DoRevokeTrackingToken(int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("DELETE FROM tracking_tokens WHERE ticket_id = ?"));
  stmt.BindInt(1, ticket_id);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  return Changes() > 0;
}

}  // namespace helpdesk::internal
