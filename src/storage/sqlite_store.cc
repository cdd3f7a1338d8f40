// SqliteStore: the Store contract over one SQLite file.
//
// This file holds the store and its connections: Open (checks, WAL switch,
// migration), the writer slot and the reader pool, and the begin and end of
// a transaction. SqliteTransaction, which implements every method of the
// Transaction port over one connection and its statement cache, is declared
// in sqlite_transaction.h and implemented by entity in sqlite_tickets.cc
// (tickets, messages, attachments, thread keys), sqlite_people.cc (contacts,
// organizations, agents, groups) and sqlite_events.cc (events, outbox,
// quarantine, idempotency); the schema (sqlite_schema.cc), the connection
// wrapper (sqlite_connection.cc) and ticket queries (sqlite_ticket_query.cc)
// are their own files.
//
// Layout: every entity is stored as its serialized proto plus the columns that
// lookups and queries use (storage/sqlite_schema.cc). Columns that the store
// owns (ids, versions, a message's current ticket) are authoritative: they are
// cleared in the stored proto and set from the columns on read.
//
// Concurrency: one read-write connection, used by at most one transaction at
// a time; Begin(kReadWrite) waits (up to busy_timeout) for the previous
// read-write transaction of this store to end, then runs BEGIN IMMEDIATE,
// whose busy handler waits (again up to busy_timeout) for other processes.
// Read-only transactions run on a small pool of further connections, each in
// its own WAL snapshot, so they neither wait for nor block writers. An
// in-memory database (":memory:") has a single connection, which read-only
// transactions share with writers, one transaction at a time.
//
// Every write that takes several statements runs inside a SAVEPOINT, so a
// failed call changes nothing and the transaction stays usable.
//
// Durability: a transaction begun with TransactionOptions::durable runs on a
// writer set to synchronous = FULL (its commit fsyncs the WAL); the setting
// can only change outside a transaction, so Begin sets it, and puts the
// configured value back for the next transaction that does not ask.
//
// Opening never writes to a file it refuses: the header (application_id,
// user_version) and the catalogue are read first, in one read transaction;
// only an empty file or a helpdesk database of this or an older version is
// switched to WAL and migrated. Damage is reported as DataLoss: by Open when
// the schema pages are hit, otherwise by the first call that reads a damaged
// page (Open does not scan the whole file).
#include "helpdesk/storage/sqlite_store.h"

#include <sys/stat.h>

#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "internal/status_macros.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_schema.h"
#include "storage/sqlite_transaction.h"
#include "storage/ticket_claim.h"

namespace helpdesk {
namespace {

using internal::SqliteCodeOf;
using internal::SqliteConnection;
using internal::SqliteStatement;

constexpr absl::string_view kInMemoryPath = ":memory:";
// Idle read-only connections kept for reuse.
constexpr size_t kMaxIdleReaders = 4;

// The name passed to sqlite3_open_v2: Debian's SQLite (built with
// SQLITE_USE_URI) would read "file:..." as a URI; such a relative file name
// gets "./" so it stays a plain file name.
std::string OpenName(const std::string& path) {
  if (absl::StartsWith(path, "file:")) return absl::StrCat("./", path);
  return path;
}

int BusyTimeoutMillis(absl::Duration timeout) {
  if (timeout >= absl::Milliseconds(INT_MAX)) return INT_MAX;
  return static_cast<int>(absl::ToInt64Milliseconds(timeout));
}

}  // namespace

namespace internal {

// The Store. See the file comment for the connection design.
//
// Thread safety: Begin() may be called from any thread; mu_ guards the writer
// slot and the idle reader pool.
class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, SqliteStoreOptions options,
              std::unique_ptr<SqliteConnection> writer)
      : path_(std::move(path)),
        options_(std::move(options)),
        in_memory_(path_ == kInMemoryPath),
        writer_(std::move(writer)),
        writer_syncs_commits_(options_.synchronous == "FULL"),
        kb_cache_(options_.kb_memory_index) {}

  SqliteKbSearchCache& kb_cache() { return kb_cache_; }

  absl::string_view Name() const override { return "helpdesk.sqlite"; }

  // Read-write transactions run one at a time (across processes too), so a
  // claim is plain transactions.
  absl::StatusOr<v1::Ticket> ClaimNextTicket(const TicketClaim& claim) override {
    return internal::ClaimNextTicketSerialised(*this, claim);
  }

  // Leases (sqlite_lease.cc): one read-write transaction each, on the
  // leases table shared by every process using the file.
  absl::StatusOr<Lease> AcquireLease(absl::string_view name, absl::string_view holder,
                                     absl::Duration ttl, absl::Time now) override {
    HELPDESK_RETURN_IF_ERROR(internal::ValidateLease(name, holder, ttl));
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                              Begin(TransactionOptions{.mode = TransactionMode::kReadWrite}));
    HELPDESK_ASSIGN_OR_RETURN(
        Lease lease,
        static_cast<SqliteTransaction*>(tx.get())->AcquireLeaseInTx(name, holder, ttl, now));
    HELPDESK_RETURN_IF_ERROR(tx->Commit());
    return lease;
  }
  absl::Status ReleaseLease(absl::string_view name, absl::string_view holder) override {
    HELPDESK_RETURN_IF_ERROR(internal::ValidateLease(name, holder, absl::Seconds(1)));
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                              Begin(TransactionOptions{.mode = TransactionMode::kReadWrite}));
    HELPDESK_RETURN_IF_ERROR(
        static_cast<SqliteTransaction*>(tx.get())->ReleaseLeaseInTx(name, holder));
    return tx->Commit();
  }

  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    const TransactionMode mode = options.mode;
    if (mode == TransactionMode::kReadWrite || in_memory_) {
      HELPDESK_RETURN_IF_ERROR(AcquireWriter());
      absl::Status status = SetCommitSync(mode == TransactionMode::kReadWrite &&
                                          options.durable);
      if (status.ok()) {
        status = writer_->Execute(
            mode == TransactionMode::kReadWrite ? "BEGIN IMMEDIATE" : "BEGIN");
      }
      if (status.ok() && mode == TransactionMode::kReadOnly) {
        status = StartSnapshot(*writer_);
      }
      if (!status.ok()) {
        if (writer_->InTransaction()) (void)writer_->Execute("ROLLBACK");
        ReleaseWriter();
        return status;
      }
      return std::unique_ptr<Transaction>(
          new SqliteTransaction(this, writer_.get(), nullptr, mode));
    }
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> reader,
                              TakeReader());
    absl::Status status = reader->Execute("BEGIN");
    if (status.ok()) status = StartSnapshot(*reader);
    if (!status.ok()) {
      if (reader->InTransaction()) (void)reader->Execute("ROLLBACK");
      return status;  // drops the reader
    }
    SqliteConnection* raw = reader.get();
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(this, raw, std::move(reader), mode));
  }

  void ReleaseWriter() {
    absl::MutexLock lock(&mu_);
    writer_taken_ = false;
  }

  void ReturnReader(std::unique_ptr<SqliteConnection> reader) {
    absl::MutexLock lock(&mu_);
    if (idle_readers_.size() < kMaxIdleReaders) {
      idle_readers_.push_back(std::move(reader));
    }
  }

 private:
  bool WriterFree() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !writer_taken_;
  }

  // Makes the writer's next commit sync the WAL (synchronous = FULL) when
  // `durable` or when the store is configured FULL, else sets the configured
  // NORMAL back. SQLite refuses to change the setting inside a transaction,
  // so it is set here, before BEGIN, and left until a transaction needs the
  // other value: a stream of durable commits sets it once. Called with the
  // writer slot held.
  absl::Status SetCommitSync(bool durable) {
    if (in_memory_) return absl::OkStatus();  // nothing to sync
    const bool full = durable || options_.synchronous == "FULL";
    if (full == writer_syncs_commits_) return absl::OkStatus();
    HELPDESK_RETURN_IF_ERROR(writer_->Execute(
        full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
    writer_syncs_commits_ = full;
    return absl::OkStatus();
  }

  // Waits up to busy_timeout for this store's read-write connection.
  absl::Status AcquireWriter() {
    bool free = mu_.LockWhenWithTimeout(
        absl::Condition(this, &SqliteStore::WriterFree), options_.busy_timeout);
    if (free) writer_taken_ = true;
    mu_.Unlock();
    if (free) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        "sqlite database '", path_,
        "': another transaction of this store held the database for longer "
        "than busy_timeout (",
        absl::FormatDuration(options_.busy_timeout), ")"));
  }

  absl::StatusOr<std::unique_ptr<SqliteConnection>> TakeReader() {
    {
      absl::MutexLock lock(&mu_);
      if (!idle_readers_.empty()) {
        std::unique_ptr<SqliteConnection> reader =
            std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return reader;
      }
    }
    HELPDESK_ASSIGN_OR_RETURN(
        std::unique_ptr<SqliteConnection> reader,
        SqliteConnection::Open(OpenName(path_), SQLITE_OPEN_READWRITE,
                               BusyTimeoutMillis(options_.busy_timeout),
                               options_.vfs));
    HELPDESK_RETURN_IF_ERROR(reader->Execute("PRAGMA query_only = 1"));
    return reader;
  }

  // BEGIN is deferred: the snapshot would start at the first read. Read now,
  // so the transaction sees the database as of Begin().
  static absl::Status StartSnapshot(SqliteConnection& connection) {
    return connection.Execute("SELECT 1 FROM sqlite_schema LIMIT 1");
  }

  const std::string path_;
  const SqliteStoreOptions options_;
  const bool in_memory_;
  absl::Mutex mu_;
  bool writer_taken_ ABSL_GUARDED_BY(mu_) = false;
  // Used only by the transaction that holds the writer slot (writer_taken_
  // set by AcquireWriter, cleared by ReleaseWriter). That slot is held across
  // calls by a SqliteTransaction, which the thread-safety analysis cannot
  // follow, so these two are not ABSL_GUARDED_BY anything.
  std::unique_ptr<SqliteConnection> writer_;
  // Whether the writer runs with synchronous = FULL now (see SetCommitSync).
  // Used only with the writer slot held.
  bool writer_syncs_commits_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_
      ABSL_GUARDED_BY(mu_);
  // The knowledge base index in memory (sqlite_kb_cache.h); thread-safe.
  SqliteKbSearchCache kb_cache_;
};

SqliteKbSearchCache& KbSearchCacheOf(SqliteStore& store) { return store.kb_cache(); }

SqliteTransaction::~SqliteTransaction() {
  if (!released_) {
    if (connection_->InTransaction()) {
      (void)connection_->Execute("ROLLBACK");
    }
    Release();
  }
}

absl::Status SqliteTransaction::Commit() {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  // The tickets rows held back go in before COMMIT (a failure marks the
  // transaction failed, and it rolls back below).
  absl::Status status = FlushPendingTickets();
  if (status.ok()) status = connection_->Execute("COMMIT");
  if (status.ok()) {
    state_ = State::kCommitted;
    if (kb_wrote_) {
      store_->kb_cache().Apply(*connection_, kb_generation_before_, kb_generation_after_,
                               kb_changes_, kb_changes_complete_);
    }
  } else {
    state_ = State::kFailed;
    failure_ = status;
    if (connection_->InTransaction()) (void)connection_->Execute("ROLLBACK");
  }
  Release();
  return status;
}

void SqliteTransaction::Release() {
  if (released_) return;
  released_ = true;
  if (reader_ == nullptr) {
    store_->ReleaseWriter();
  } else if (!reader_->InTransaction()) {
    store_->ReturnReader(std::move(reader_));
  }
  // A reader still in a transaction (ROLLBACK failed) is closed with us.
}

}  // namespace internal

using internal::SqliteStore;

std::optional<SqliteKbIndexStats> SqliteKbIndexStatsOf(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (sqlite == nullptr) return std::nullopt;
  return sqlite->kb_cache().Stats();
}

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    absl::string_view path_view, const SqliteStoreOptions& options) {
  const std::string path(path_view);
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "sqlite store path '' is empty; use \":memory:\" for an in-memory "
        "database");
  }
  if (options.synchronous != "NORMAL" && options.synchronous != "FULL") {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.synchronous '",
        absl::CHexEscape(options.synchronous),
        "' for '", path, "' must be \"NORMAL\" or \"FULL\""));
  }
  if (options.wal_autocheckpoint_pages < 1 ||
      options.wal_autocheckpoint_pages > 1000000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.wal_autocheckpoint_pages ",
        options.wal_autocheckpoint_pages, " for '", path,
        "' is out of range [1, 1000000]"));
  }
  if (options.busy_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.busy_timeout ",
        absl::FormatDuration(options.busy_timeout), " for '", path,
        "' must not be negative"));
  }
  if (!options.vfs.empty() && sqlite3_vfs_find(options.vfs.c_str()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStoreOptions.vfs '", absl::CHexEscape(options.vfs), "' for '",
        path, "' is not a registered SQLite VFS"));
  }
  const bool in_memory = path == kInMemoryPath;
  if (!in_memory) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) {
      if (!options.create_if_missing) {
        return absl::NotFoundError(absl::StrCat(
            "sqlite database '", path,
            "' does not exist (and create_if_missing is false)"));
      }
    } else if (S_ISDIR(info.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sqlite database path '", path, "' is a directory"));
    }
  }
  int flags = SQLITE_OPEN_READWRITE;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  const int busy_ms = BusyTimeoutMillis(options.busy_timeout);

  absl::StatusOr<std::unique_ptr<SqliteConnection>> opened =
      SqliteConnection::Open(in_memory ? path : OpenName(path),
                             flags, busy_ms, options.vfs);
  if (!opened.ok()) {
    struct stat info;
    if (!options.create_if_missing && ::stat(path.c_str(), &info) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "sqlite database '", path,
          "' does not exist (and create_if_missing is false)"));
    }
    return opened.status();
  }
  std::unique_ptr<SqliteConnection> connection = std::move(opened).value();

  // Refines the errors of the first reads: a file that is not SQLite at all
  // is the caller's mistake, not damage.
  auto refine = [&](absl::Status status) {
    if ((SqliteCodeOf(status) & 0xff) == SQLITE_NOTADB) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path, "' is not a SQLite database (", status.message(), ")"));
    }
    return status;
  };

  // Nothing is written before the file is known to be empty or ours. The
  // open sequence retries SQLITE_BUSY itself (RetryWhileBusy) where SQLite
  // does not call the busy handler: another process may be creating this very
  // file, and its WAL switch and schema need a moment.
  internal::SqliteFileState state;
  HELPDESK_RETURN_IF_ERROR(refine(connection->RetryWhileBusy([&] {
    absl::StatusOr<internal::SqliteFileState> read =
        internal::ReadFileState(*connection);
    if (read.ok()) state = *read;
    return read.status();
  })));
  HELPDESK_RETURN_IF_ERROR(internal::CheckFileIsOurs(state, path));
  // Opening an existing database must not create one: an empty file (a
  // mistyped path, a file truncated by accident) is refused, untouched.
  if (!in_memory && !options.create_if_missing && internal::IsEmpty(state)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sqlite database '", path,
        "' is not a helpdesk database: the file is empty (create_if_missing "
        "is false); create the database first, e.g. with 'helpdesk init --db ",
        path, "'"));
  }

  if (!in_memory) {
    // Changing the journal mode needs an exclusive lock, and SQLite returns
    // SQLITE_BUSY at once (no busy handler) while any other connection holds
    // a lock on the file, e.g. a second store opening it at the same time.
    HELPDESK_RETURN_IF_ERROR(refine(connection->RetryWhileBusy(
        [&]() -> absl::Status {
          // In a block: the statement is reset when it ends.
          HELPDESK_ASSIGN_OR_RETURN(
              SqliteStatement wal,
              connection->Prepare("PRAGMA journal_mode = WAL"));
          HELPDESK_ASSIGN_OR_RETURN(bool row, wal.Step());
          if (!row || wal.ColumnText(0) != "wal") {
            return absl::UnavailableError(absl::StrCat(
                "sqlite database '", path,
                "': could not switch to WAL mode (got '",
                row ? wal.ColumnText(0) : "", "')"));
          }
          return absl::OkStatus();
        })));
  }
  // The values were checked above: one of two fixed words, and a number in
  // range. The writer gets a
  // 32 MiB page cache (SQLite's default is 2 MiB): inserts update several
  // ticket indexes at random places, and a small cache spills them to the
  // WAL page by page (measured: 2x slower loading 300,000 tickets).
  HELPDESK_RETURN_IF_ERROR(refine(connection->ExecuteScript(absl::StrCat(
      "PRAGMA synchronous = ", options.synchronous,
      "; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = ",
      options.wal_autocheckpoint_pages, ";"))));
  // Each step re-reads the version inside BEGIN IMMEDIATE and rolls back on
  // failure, so running it again after SQLITE_BUSY is safe.
  HELPDESK_RETURN_IF_ERROR(refine(connection->RetryWhileBusy(
      [&] { return internal::MigrateToCurrentVersion(*connection); })));
  return std::unique_ptr<Store>(
      new SqliteStore(path, options, std::move(connection)));
}

}  // namespace helpdesk
