// Internal: SqliteStore's schema, its version history, and the checks that
// decide whether a file may be opened at all.
//
// A helpdesk database carries PRAGMA application_id = kSqliteApplicationId and
// PRAGMA user_version = its schema version. Migrations are an ordered list of
// steps; step N turns version N-1 into version N and runs in its own
// transaction, so a crash between steps leaves a consistent, older version that
// the next open continues from.
#ifndef HELPDESK_SRC_STORAGE_SQLITE_SCHEMA_H_
#define HELPDESK_SRC_STORAGE_SQLITE_SCHEMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/sqlite_connection.h"

namespace helpdesk::internal {

// "HELP" in ASCII.
inline constexpr int32_t kSqliteApplicationId = 0x48454C50;

// What the header and catalogue of a file say about it.
struct SqliteFileState {
  int64_t application_id = 0;
  int64_t user_version = 0;
  // Tables, indexes, views and triggers in sqlite_schema.
  int64_t schema_objects = 0;
};

// True for a file with nothing in it yet: no header values, no schema (a
// 0-byte file, or a SQLite database nobody has written to).
bool IsEmpty(const SqliteFileState& state);

// Reads the state, in one snapshot, without writing anything. Errors: those of SqliteError
// (NOTADB/CORRUPT -> DataLoss); the caller refines them for open.
absl::StatusOr<SqliteFileState> ReadFileState(SqliteConnection& connection);

// Returns OK when a file in `state` may be opened (it is empty, or a helpdesk
// database of a version this build can migrate), else FailedPrecondition
// naming `path` (and both versions for a newer schema).
absl::Status CheckFileIsOurs(const SqliteFileState& state,
                             absl::string_view path);

// Brings the schema to kSqliteSchemaVersion, one step per transaction
// (BEGIN IMMEDIATE; the state is re-read inside, so two processes opening a
// new file at once both succeed). Refuses with CheckFileIsOurs's errors.
absl::Status MigrateToCurrentVersion(SqliteConnection& connection);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_SQLITE_SCHEMA_H_
