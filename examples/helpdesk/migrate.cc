// `helpdesk migrate --from STORE --to STORE`: copies one store's contents
// (an SQLite file or a PostgreSQL database) into another, empty one, with
// every id kept, through CopyStore (helpdesk/storage/store_copy.h, which
// lists what is and is not copied). Thread keys and idempotency records,
// which the Store port cannot list, are read from an SQLite source's tables
// directly (a PostgreSQL source's are not copied). One durable transaction on
// the target: a failure leaves the target as it was.
#include <sqlite3.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/storage/store_copy.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

// Reads rows of a simple table of the SQLite file; `row` gets each statement.
template <typename Row>
absl::Status ForEachRow(sqlite3* db, const char* sql, Row row) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("migrate: reading the source: ", sqlite3_errmsg(db)));
  }
  absl::Status status;
  int rc;
  while (status.ok() && (rc = sqlite3_step(stmt)) == SQLITE_ROW) status = row(stmt);
  sqlite3_finalize(stmt);
  return status;
}

std::string Blob(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  return std::string(static_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

// Thread keys and idempotency records of the SQLite file at `path`.
absl::Status CopyRaw(const std::string& path, Transaction& to) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("migrate: cannot open '", path, "': ", message));
  }
  absl::Status s = ForEachRow(db, "SELECT key, ticket_id FROM thread_keys", [&](sqlite3_stmt* r) {
    return to.PutThreadKey(Blob(r, 0), sqlite3_column_int64(r, 1));
  });
  if (s.ok()) {
    s = ForEachRow(db, "SELECT scope, key, value, recorded_us FROM idempotency",
                   [&](sqlite3_stmt* r) {
                     return to.PutIdempotencyRecord(
                         Blob(r, 0), Blob(r, 1), Blob(r, 2),
                         absl::FromUnixMicros(sqlite3_column_int64(r, 3)));
                   });
  }
  sqlite3_close(db);
  return s;
}

}  // namespace

absl::Status CmdMigrate(const Args& a) {
  HELPDESK_ASSIGN_OR_RETURN(std::string from_name, Required(a, "from"));
  HELPDESK_ASSIGN_OR_RETURN(std::string to_name, Required(a, "to"));
  if (from_name == to_name) {
    return absl::InvalidArgumentError(
        absl::StrCat("--from and --to name the same store '", from_name, "'"));
  }
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Store> from, OpenStoreNamed(from_name, false));
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Store> to, OpenStoreNamed(to_name, true));
  StoreCopyOptions options;
  options.allow_non_empty = a.Has("allow-non-empty");
  const bool from_sqlite = !absl::StartsWith(from_name, "postgresql://") &&
                           !absl::StartsWith(from_name, "postgres://");
  if (from_sqlite) {
    options.extra = [&from_name](Transaction& target) { return CopyRaw(from_name, target); };
  }
  absl::StatusOr<StoreCopyCounts> counts = CopyStore(*from, *to, options);
  if (!counts.ok()) {
    return absl::Status(counts.status().code(),
                        absl::StrCat("migrate: ", counts.status().message(),
                                     " (nothing was written to '", to_name, "')"));
  }
  std::cout << "migrate: " << counts->Summary() << "\n";
  if (!from_sqlite) {
    std::cout << "migrate: thread keys and idempotency records are not copied from "
                 "PostgreSQL (replies to old mail open new tickets)\n";
  }
  return absl::OkStatus();
}

}  // namespace helpdesk::cli
