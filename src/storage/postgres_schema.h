// Internal: PostgresStore's schema (tables per entity, as serialized protos
// plus the columns lookups and queries use) and its forward migrations, run
// under a session advisory lock so that processes opening one database at
// once migrate it exactly once.
#ifndef HELPDESK_SRC_STORAGE_POSTGRES_SCHEMA_H_
#define HELPDESK_SRC_STORAGE_POSTGRES_SCHEMA_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "storage/postgres_connection.h"

namespace helpdesk::internal {

// The first key of every advisory lock the store takes ("HELP").
inline constexpr int32_t kPgLockClass = 0x48454c50;

// The second key of the migration lock and of the writers' lock of `schema`.
int32_t MigrationLockKey(const std::string& schema);
int32_t WriterLockKey(const std::string& schema);

// Creates the schema and its tables, or migrates an older helpdesk schema
// forward, on `connection` (outside any transaction). Errors:
// FailedPrecondition (another application's tables, a newer version, or a
// missing/empty schema with create_if_missing false), Unavailable (the
// migration lock held beyond busy_timeout, a lost connection).
absl::Status MigratePostgresSchema(PgConnection& connection,
                                   const std::string& schema,
                                   bool create_if_missing,
                                   absl::Duration busy_timeout);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_POSTGRES_SCHEMA_H_
