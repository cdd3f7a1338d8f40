// SqliteStore: the embedded default Store, one SQLite file.
//
// WAL journal, prepared statements only (cached per connection), a schema
// version with forward migrations, and a clear error for a file that is not a
// helpdesk database, is corrupt, or was written by a newer libhelpdesk.
//
//   helpdesk::SqliteStoreOptions options;
//   absl::StatusOr<std::unique_ptr<helpdesk::Store>> store =
//       helpdesk::OpenSqliteStore("/var/lib/myapp/helpdesk.db", options);
#ifndef HELPDESK_STORAGE_SQLITE_STORE_H_
#define HELPDESK_STORAGE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"

namespace helpdesk {

struct SqliteStoreOptions {
  // Create the file (and the schema) when it does not exist or is empty. When
  // false, a missing file is NotFound and an empty one FailedPrecondition.
  bool create_if_missing = true;
  // How long Begin() waits for a lock held by another connection or process
  // before it returns Unavailable.
  absl::Duration busy_timeout = absl::Seconds(5);
  // SQLite's synchronous setting under WAL: "NORMAL" (the default; a commit is
  // durable against process crashes, the last commits may roll back on power
  // loss) or "FULL" (durable against power loss; slower commits). A
  // transaction begun with TransactionOptions::durable commits as FULL
  // whatever this says; the next one without it is back to this setting.
  std::string synchronous = "NORMAL";
  // WAL pages after which a commit copies the WAL into the database file
  // (SQLite's wal_autocheckpoint), 1 to 1,000,000. SQLite's default, 1000
  // pages (4 MiB), makes a stream of small commits (an Ingest writes about 13
  // pages) checkpoint, with two fsyncs, every ~80 commits; at 8000 (32 MiB,
  // which the WAL file then keeps) the same pages are copied less often
  // (measured: ~10% less CPU per Ingest in bench/ingest_bench).
  int wal_autocheckpoint_pages = 8000;
  // The SQLite VFS to open the file with (a name registered with
  // sqlite3_vfs_register, e.g. a host's encrypting VFS or a test's
  // fault-injecting one); empty for the default. An unknown name is
  // InvalidArgument.
  std::string vfs;
  // Knowledge base search (Transaction::SearchKbArticles) on an index kept
  // in memory, built at the first search from the file's FTS5 index and
  // kept up to date with this store's writes (rebuilt after another store's
  // or process's): the same pages as FTS5's ranking, in a fraction of the
  // time when query words are in many articles; phrases too (the index
  // keeps positions). Memory: about 110 MB per 100,000 indexed translations
  // of ~90 words (bench/kb_bench), built in seconds at the first search.
  // False: every search runs on FTS5 (no memory, no build).
  bool kb_memory_index = true;
};

// The schema version this build writes. A file with a newer version is refused.
inline constexpr int kSqliteSchemaVersion = 13;

// Opens (or creates) a helpdesk database at `path` and migrates an older schema
// forward. ":memory:" opens a private in-memory database.
//
// Errors:
//   NotFound: the file does not exist and create_if_missing is false.
//   FailedPrecondition: the file is a SQLite database of another application,
//     or has a schema version newer than kSqliteSchemaVersion (the message
//     names both versions), or create_if_missing is false and the file is
//     empty (0 bytes, or a SQLite file without a schema); such a file is left
//     as it was. With create_if_missing, an empty file becomes a database.
//   InvalidArgument: the file is not a SQLite database at all, or an option
//     has a bad value (named in the message).
//   DataLoss: the database is corrupt.
//   Unavailable: the file is locked beyond busy_timeout or cannot be opened.
//
// Thread safety: the returned store is thread-safe (see store.h). Several
// processes may open the same file; SQLite's locking serialises their writes.
HELPDESK_EXPORT absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    absl::string_view path, const SqliteStoreOptions& options = {});

}  // namespace helpdesk

#endif  // HELPDESK_STORAGE_SQLITE_STORE_H_
