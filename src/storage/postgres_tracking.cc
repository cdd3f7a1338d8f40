// PostgresTransaction's tracking links, as sqlite_tracking.cc: the SHA-256 of
// each ticket's tracking-link token (never the token), in table
// tracking_tokens keyed by the hash (schema version 4), at most one row per
// ticket.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "helpdesk/timestamp.h"
#include "storage/postgres_transaction.h"
#include "storage/ticket_query.h"

namespace helpdesk::internal {
namespace {

constexpr absl::string_view kSelectToken =
    "SELECT token_sha256, ticket_id, created_us FROM tracking_tokens ";

TrackingTokenRecord RecordOf(const PgResult& r) {
  TrackingTokenRecord record;
  record.token_sha256 = std::string(r.Bytes(0, 0));
  record.ticket_id = r.Int(0, 1);
  record.created_at = absl::FromUnixMicros(r.Int(0, 2));
  return record;
}

}  // namespace

absl::Status PostgresTransaction::DoPutTrackingToken(int64_t ticket_id,
                                                     absl::string_view token_sha256,
                                                     absl::Time created_at) {
  if (ticket_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracking link ticket_id ", ticket_id, " must be positive"));
  }
  if (!IsSha256Hex(token_sha256)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tracking link token_sha256 '", absl::CHexEscape(token_sha256.substr(0, 80)),
        "' is not 64 lower-case hexadecimal digits"));
  }
  // Checked before writing: a unique violation would abort the transaction.
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult taken, Run("SELECT ticket_id FROM tracking_tokens WHERE token_sha256 = $1",
                          {PgParam::Bytes(token_sha256)}));
  if (taken.rows() > 0 && taken.Int(0, 0) != ticket_id) {
    return absl::AlreadyExistsError(absl::StrCat(
        "tracking link token_sha256 is already the link of ticket ", taken.Int(0, 0)));
  }
  // One statement: the ticket's previous link (if any) is replaced, so its
  // hash stops resolving at once.
  return Run("INSERT INTO tracking_tokens (token_sha256, ticket_id, created_us) "
             "VALUES ($1, $2, $3) ON CONFLICT (ticket_id) DO UPDATE SET "
             "token_sha256 = EXCLUDED.token_sha256, created_us = EXCLUDED.created_us",
             {PgParam::Bytes(token_sha256), PgParam::Int(ticket_id),
              PgParam::Int(ToUnixMicrosFloor(created_at))})
      .status();
}

absl::StatusOr<TrackingTokenRecord> PostgresTransaction::DoLookupTrackingToken(
    absl::string_view token_sha256) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run(absl::StrCat(kSelectToken, "WHERE token_sha256 = $1"),
                      {PgParam::Bytes(token_sha256)}));
  if (r.rows() == 0) return absl::NotFoundError("tracking link not found");
  return RecordOf(r);
}

absl::StatusOr<std::optional<TrackingTokenRecord>>
PostgresTransaction::DoGetTrackingTokenOfTicket(int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(PgResult r,
                            Run(absl::StrCat(kSelectToken, "WHERE ticket_id = $1"),
                                {PgParam::Int(ticket_id)}));
  if (r.rows() == 0) return std::optional<TrackingTokenRecord>();
  return std::optional<TrackingTokenRecord>(RecordOf(r));
}

absl::StatusOr<bool> PostgresTransaction::DoRevokeTrackingToken(int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("DELETE FROM tracking_tokens WHERE ticket_id = $1 RETURNING ticket_id",
                      {PgParam::Int(ticket_id)}));
  return r.rows() > 0;
}

}  // namespace helpdesk::internal
