// Internal: a thin RAII layer over one sqlite3 connection for SqliteStore.
//
// SqliteConnection owns a sqlite3* and a cache of prepared statements keyed
// by SQL text (prepared with SQLITE_PREPARE_PERSISTENT). Prepare() hands out a
// SqliteStatement that borrows a cached statement and resets it (and clears
// its bindings) when it goes out of scope, so a statement is never left
// half-stepped holding a read lock.
//
//   HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
//       connection.Prepare("SELECT proto FROM tickets WHERE id = ?"));
//   stmt.BindInt(1, id);
//   HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
//
// Errors from SQLite become absl::Status values through SqliteError(), which
// names the database path in every message.
//
// Thread safety: a connection and its statements are used by one thread at a
// time; SqliteStore guarantees it (connections are opened SQLITE_OPEN_NOMUTEX).
#ifndef HELPDESK_SRC_STORAGE_SQLITE_CONNECTION_H_
#define HELPDESK_SRC_STORAGE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace helpdesk::internal {

// Maps a SQLite result code to a Status whose message names `path`, what was
// being done (`context`) and SQLite's own message when `db` is given:
//   BUSY, LOCKED          -> Unavailable
//   CORRUPT, NOTADB       -> DataLoss
//   CONSTRAINT            -> AlreadyExists (callers usually say more)
//   CANTOPEN, IOERR       -> Unavailable
//   FULL                  -> ResourceExhausted ("database or disk is full")
//   anything else         -> Internal
// The SQLite result code is attached as a payload; see SqliteCodeOf.
absl::Status SqliteError(int rc, sqlite3* db, absl::string_view path,
                         absl::string_view context);

// The (extended) SQLite result code behind a status made by SqliteError, or
// SQLITE_OK for any other status.
int SqliteCodeOf(const absl::Status& status);

class SqliteConnection;

// A prepared statement borrowed from a connection's cache (or owned, when it
// was not cached). Resets itself on destruction. Movable, not copyable.
class SqliteStatement {
 public:
  // `in_use` is the cache entry's flag for a borrowed statement (cleared on
  // destruction), or nullptr for an owned one (finalized on destruction).
  SqliteStatement(SqliteConnection* connection, sqlite3_stmt* stmt,
                  bool* in_use)
      : connection_(connection), stmt_(stmt), in_use_(in_use) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameter indexes start at 1. A failed bind is reported by Step()/Run().
  void BindInt(int index, int64_t value);
  void BindText(int index, absl::string_view value);
  void BindBlob(int index, absl::string_view value);
  void BindNull(int index);

  // Rewinds the statement so it can run again; bindings are kept (rebind
  // what changes).
  void Reset() { sqlite3_reset(stmt_); }

  // Steps once: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps until done, ignoring rows (for INSERT/UPDATE/DELETE and DDL).
  absl::Status Run();

  int64_t ColumnInt(int column) const;
  bool ColumnIsNull(int column) const;
  // Valid until the next Step() or the statement's destruction.
  absl::string_view ColumnBlob(int column) const;
  absl::string_view ColumnText(int column) const;

  // The raw result code of the last failed call, or SQLITE_OK.
  int last_rc() const { return last_rc_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  void NoteBind(int rc);

  SqliteConnection* connection_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  int bind_rc_ = SQLITE_OK;
  int last_rc_ = SQLITE_OK;
};

class SqliteConnection {
 public:
  // Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_NOMUTEX is added),
  // extended result codes on, and the busy timeout set, through the VFS named
  // `vfs` (empty: the default). Errors are mapped with SqliteError (the
  // caller refines them, e.g. NotFound for a missing file).
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, int flags, int busy_timeout_ms,
      const std::string& vfs = "");

  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Returns a statement for `sql` (one statement), prepared once and cached
  // by its text. When the cache is full, or the cached statement is in use
  // (the same SQL twice at once), the statement is prepared for this use only.
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);

  // Prepares (cached) and runs one statement without parameters.
  absl::Status Execute(absl::string_view sql);

  // Runs a script of several statements (schema creation). Not cached.
  absl::Status ExecuteScript(absl::string_view sql);

  // Runs `attempt` again while it fails with SQLITE_BUSY, sleeping between
  // tries (1 ms, doubling up to 50 ms) for at most the busy timeout in all;
  // then returns the last status. For work SQLite does not call the busy
  // handler for: PRAGMA journal_mode = WAL (it needs an exclusive lock and
  // returns SQLITE_BUSY at once when another connection holds any lock), and
  // reads of a file that another process is switching to WAL. `attempt` must
  // leave no transaction open when it fails, so it can simply run again.
  absl::Status RetryWhileBusy(absl::FunctionRef<absl::Status()> attempt);

  absl::Status Error(int rc, absl::string_view context) const {
    return SqliteError(rc, db_, path_, context);
  }

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }
  // True while a transaction is open on this connection.
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  SqliteConnection(sqlite3* db, std::string path, int busy_timeout_ms)
      : db_(db), path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}

  static constexpr size_t kMaxCachedStatements = 256;

  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  sqlite3* db_;
  std::string path_;
  int busy_timeout_ms_;
  // unique_ptr: the in_use flags must not move when the map grows.
  absl::flat_hash_map<std::string, std::unique_ptr<CachedStatement>> cache_;
};

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_SQLITE_CONNECTION_H_
