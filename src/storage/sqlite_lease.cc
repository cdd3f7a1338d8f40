// SqliteStore's named leases (issue 17): one row per lease in the file's
// leases table (schema step 12), so several processes on one SQLite file
// share them. Every change runs in a read-write transaction, which SQLite
// runs one at a time across processes (BEGIN IMMEDIATE): a lease taken,
// renewed or released is decided on the row as stored, and
// Transaction::CheckLease inside a read-write transaction holds until that
// transaction ends.
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/sqlite_transaction.h"

namespace helpdesk::internal {
namespace {

int64_t LeaseMicros(absl::Time t) {
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  return ToUnixMicrosFloor(t);
}

absl::Time LeaseTime(int64_t us) {
  if (us == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  if (us == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  return absl::FromUnixMicros(us);
}

}  // namespace

absl::StatusOr<std::optional<Lease>> SqliteTransaction::LoadLease(absl::string_view name) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT holder, expires_us, token FROM leases WHERE name = ?"));
  stmt.BindBlob(1, name);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Lease>();
  Lease lease;
  lease.name = std::string(name);
  lease.holder = std::string(stmt.ColumnBlob(0));
  lease.expires_at = LeaseTime(stmt.ColumnInt(1));
  lease.token = stmt.ColumnInt(2);
  return std::optional<Lease>(std::move(lease));
}

absl::Status SqliteTransaction::DoCheckLease(absl::string_view name, absl::string_view holder,
                                             int64_t token) {
  HELPDESK_ASSIGN_OR_RETURN(std::optional<Lease> stored, LoadLease(name));
  return LeaseVerdict(name, holder, token, stored ? &*stored : nullptr);
}

absl::StatusOr<Lease> SqliteTransaction::AcquireLeaseInTx(absl::string_view name,
                                                          absl::string_view holder,
                                                          absl::Duration ttl, absl::Time now) {
  HELPDESK_RETURN_IF_ERROR(ValidateLease(name, holder, ttl));
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_ASSIGN_OR_RETURN(std::optional<Lease> stored, Watch(LoadLease(name)));
  Lease lease;
  if (stored) lease = *stored;
  lease.name = std::string(name);
  if (stored && !stored->holder.empty() && stored->holder != holder &&
      stored->expires_at > now) {
    return lease;  // held by another
  }
  if (!stored || stored->holder != holder) ++lease.token;
  lease.holder = std::string(holder);
  lease.expires_at = now + ttl;
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO leases (name, holder, expires_us, token) VALUES (?1, ?2, ?3, ?4) "
              "ON CONFLICT(name) DO UPDATE SET holder = ?2, expires_us = ?3, token = ?4"));
  stmt.BindBlob(1, name);
  stmt.BindBlob(2, holder);
  stmt.BindInt(3, LeaseMicros(lease.expires_at));
  stmt.BindInt(4, lease.token);
  HELPDESK_RETURN_IF_ERROR(Watch(stmt.Run()));
  return lease;
}

absl::Status SqliteTransaction::ReleaseLeaseInTx(absl::string_view name,
                                                 absl::string_view holder) {
  HELPDESK_RETURN_IF_ERROR(ValidateLease(name, holder, absl::Seconds(1)));
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE leases SET holder = x'', expires_us = ?3 "
              "WHERE name = ?1 AND holder = ?2"));
  stmt.BindBlob(1, name);
  stmt.BindBlob(2, holder);
  stmt.BindInt(3, std::numeric_limits<int64_t>::min());
  return Watch(stmt.Run());
}

}  // namespace helpdesk::internal
