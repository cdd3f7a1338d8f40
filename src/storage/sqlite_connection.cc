#include "storage/sqlite_connection.h"
#include "storage/sqlite_ticket_query.h"
#include "storage/sqlite_kb_rank.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace helpdesk::internal {
namespace {
constexpr absl::string_view kCodePayload = "helpdesk.sqlite/result_code";

absl::Status WithCode(absl::Status status, int rc) {
  status.SetPayload(kCodePayload, absl::Cord(absl::StrCat(rc)));
  return status;
}
}  // namespace

int SqliteCodeOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kCodePayload);
  int rc = SQLITE_OK;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &rc)) {
    return SQLITE_OK;
  }
  return rc;
}

absl::Status SqliteError(int rc, sqlite3* db, absl::string_view path,
                         absl::string_view context) {
  std::string message = absl::StrCat("sqlite database '", path, "': ", context);
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) {
    absl::StrAppend(&message, ": ", sqlite3_errmsg(db));
  } else {
    absl::StrAppend(&message, ": ", sqlite3_errstr(rc));
  }
  absl::StrAppend(&message, " (sqlite code ", rc, ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    // A failed read, write or fsync of the file: the transaction was rolled
    // back and nothing of it is stored; the call may be retried. (As Internal,
    // Desk::Ingest took it for a fault of the message and quarantined it.)
    case SQLITE_IOERR:
      return WithCode(absl::UnavailableError(message), rc);
    case SQLITE_FULL:
      // SQLite's message says "database or disk is full".
      return WithCode(absl::ResourceExhaustedError(message), rc);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return WithCode(absl::DataLossError(message), rc);
    case SQLITE_CONSTRAINT:
      return WithCode(absl::AlreadyExistsError(message), rc);
    default:
      return WithCode(absl::InternalError(message), rc);
  }
}

// --- SqliteStatement -------------------------------------------------------

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : connection_(other.connection_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_rc_(other.bind_rc_),
      last_rc_(other.last_rc_) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  }
}

void SqliteStatement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void SqliteStatement::BindInt(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
}

void SqliteStatement::BindText(int index, absl::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies; the view may die before Step().
  if (value.size() > static_cast<size_t>(INT_MAX)) {
    NoteBind(SQLITE_TOOBIG);
    return;
  }
  NoteBind(sqlite3_bind_text(stmt_, index, value.data(),
                             static_cast<int>(value.size()), SQLITE_TRANSIENT));
}

void SqliteStatement::BindBlob(int index, absl::string_view value) {
  if (value.size() > static_cast<size_t>(INT_MAX)) {
    NoteBind(SQLITE_TOOBIG);
    return;
  }
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const char kEmpty = 0;
  NoteBind(sqlite3_bind_blob(stmt_, index,
                             value.empty() ? &kEmpty : value.data(),
                             static_cast<int>(value.size()), SQLITE_TRANSIENT));
}

void SqliteStatement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (bind_rc_ != SQLITE_OK) {
    last_rc_ = bind_rc_;
    return connection_->Error(bind_rc_, "binding a statement parameter");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  last_rc_ = rc;
  return connection_->Error(rc, "running a statement");
}

absl::Status SqliteStatement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

int64_t SqliteStatement::ColumnInt(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::string_view SqliteStatement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return absl::string_view();
  return absl::string_view(static_cast<const char*>(data),
                           static_cast<size_t>(size));
}

absl::string_view SqliteStatement::ColumnText(int column) const {
  const unsigned char* data = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return absl::string_view();
  return absl::string_view(reinterpret_cast<const char*>(data),
                           static_cast<size_t>(size));
}

// --- SqliteConnection ------------------------------------------------------

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, int flags, int busy_timeout_ms,
    const std::string& vfs) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX,
                           vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(rc, db, path, "opening the file");
    sqlite3_close_v2(db);  // harmless on nullptr
    return status;
  }
  // Before anything reads the file: the very first read of a file that
  // another process is creating may already need to wait for its locks.
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  rc = RegisterTicketQueryFunctions(db);  // issue 16: query filters
  if (rc == SQLITE_OK) rc = RegisterKbRankFunction(db);  // issue 15: kb_bm25
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(rc, db, path, "registering functions");
    sqlite3_close_v2(db);
    return status;
  }
  return std::unique_ptr<SqliteConnection>(
      new SqliteConnection(db, path, busy_timeout_ms));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry->stmt);
  cache_.clear();
  sqlite3_close_v2(db_);
}

absl::StatusOr<SqliteStatement> SqliteConnection::Prepare(
    absl::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second->in_use) {
    it->second->in_use = true;
    return SqliteStatement(this, it->second->stmt, &it->second->in_use);
  }
  if (sql.size() > static_cast<size_t>(INT_MAX)) {
    return Error(SQLITE_TOOBIG, "preparing a statement");
  }
  const bool cache =
      it == cache_.end() && cache_.size() < kMaxCachedStatements;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, absl::StrCat("preparing \"", sql.substr(0, 200), "\""));
  }
  if (stmt == nullptr) {
    return absl::InternalError(absl::StrCat(
        "sqlite database '", path_, "': empty statement \"", sql, "\""));
  }
  if (!cache) return SqliteStatement(this, stmt, nullptr);
  auto entry = std::make_unique<CachedStatement>();
  entry->stmt = stmt;
  entry->in_use = true;
  bool* in_use = &entry->in_use;
  cache_.emplace(std::string(sql), std::move(entry));
  return SqliteStatement(this, stmt, in_use);
}

absl::Status SqliteConnection::Execute(absl::string_view sql) {
  absl::StatusOr<SqliteStatement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return stmt->Run();
}

absl::Status SqliteConnection::ExecuteScript(absl::string_view sql) {
  std::string script(sql);
  const char* tail = script.c_str();
  while (tail != nullptr && *tail != '\0') {
    sqlite3_stmt* stmt = nullptr;
    const char* next = nullptr;
    int rc = sqlite3_prepare_v2(db_, tail, -1, &stmt, &next);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Error(rc, "preparing the schema script");
    }
    if (stmt != nullptr) {
      do {
        rc = sqlite3_step(stmt);
      } while (rc == SQLITE_ROW);
      sqlite3_finalize(stmt);
      if (rc != SQLITE_DONE) return Error(rc, "running the schema script");
    }
    tail = next;
  }
  return absl::OkStatus();
}

absl::Status SqliteConnection::RetryWhileBusy(
    absl::FunctionRef<absl::Status()> attempt) {
  // Sums the sleeps rather than reading a clock, as SQLite's own busy handler
  // does; the time spent in the attempts themselves is not counted.
  absl::Duration slept = absl::ZeroDuration();
  absl::Duration pause = absl::Milliseconds(1);
  const absl::Duration budget = absl::Milliseconds(busy_timeout_ms_);
  while (true) {
    absl::Status status = attempt();
    if ((SqliteCodeOf(status) & 0xff) != SQLITE_BUSY || slept >= budget) {
      return status;
    }
    const absl::Duration nap = std::min(pause, budget - slept);
    absl::SleepFor(nap);
    slept += nap;
    pause = std::min(pause * 2, absl::Milliseconds(50));
  }
}

}  // namespace helpdesk::internal
