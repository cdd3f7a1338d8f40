// PostgresStore: the Store contract over a PostgreSQL schema, through libpq.
//
// This file holds the store and its connection pool, Open (argument checks,
// the first connection, the migration) and the begin and end of a
// transaction. PostgresTransaction (postgres_transaction.h) implements the
// port's methods by entity in postgres_tickets.cc, postgres_people.cc and
// postgres_events.cc; the schema is postgres_schema.cc, the connection
// wrapper postgres_connection.cc, ticket queries postgres_ticket_query.cc.
//
// Concurrency (see postgres_store.h): a read-write transaction begins with
// BEGIN READ COMMITTED (one round trip with its lock_timeout) and takes
// pg_advisory_xact_lock on the schema's writer key before its first call
// that touches shared state (PostgresTransaction::CheckOpen); it holds the
// lock until it ends, so those parts of the read-write transactions of every
// process are serialised and each sees every earlier commit. Inserting a new
// ticket needs no lock (its rows are unseen until the commit), so creates of
// several processes run side by side. A claim (postgres_coordination.cc)
// takes the lock only for its write. A read-only transaction begins
// REPEATABLE READ READ ONLY. Waiting for the lock is bounded by lock_timeout
// (busy_timeout); past it the call returns Unavailable and the transaction is
// failed, nothing of it committed.
#include "helpdesk/storage/postgres_store.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "internal/status_macros.h"
#include "storage/postgres_connection.h"
#include "storage/postgres_schema.h"
#include "storage/postgres_transaction.h"

namespace helpdesk {
namespace internal {

// Begin() tries this many connections when the pooled ones turn out broken
// (a restarted server leaves every pooled connection dead).
constexpr int kBeginAttempts = 3;
// Claims that wait for the writer lock only for their write, before one
// that takes it first.
constexpr int kClaimOptimisticAttempts = 5;

class PostgresStoreImpl final : public Store {
 public:
  PostgresStoreImpl(std::string conninfo, PostgresStoreOptions options)
      : conninfo_(std::move(conninfo)), options_(std::move(options)) {
    const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.busy_timeout));
    begin_read_write_ = absl::StrCat(
        "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = ", ms);
    begin_read_write_async_ = absl::StrCat(
        "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = ", ms,
        "; SET LOCAL synchronous_commit = off");
    writer_lock_ = absl::StrCat("SELECT pg_advisory_xact_lock(", kPgLockClass, ", ",
                                WriterLockKey(options_.schema), ")");
  }

  // The statement that takes the schema's writer lock.
  const std::string& writer_lock() const { return writer_lock_; }

  absl::string_view Name() const override { return "helpdesk.postgres"; }

  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    const bool write = options.mode == TransactionMode::kReadWrite;
    const std::string& sql =
        !write ? kBeginReadOnly
               : (options.durable ? begin_read_write_ : begin_read_write_async_);
    absl::Status last;
    for (int attempt = 0; attempt < kBeginAttempts; ++attempt) {
      HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
      last = c->Execute(sql);
      if (last.ok()) {
        return std::unique_ptr<Transaction>(
            new PostgresTransaction(this, std::move(c), options.mode));
      }
      if (c->broken()) {
        // A dead pooled connection: nothing was done, so another is safe.
        Return(std::move(c));
        continue;
      }
      (void)c->Execute("ROLLBACK");
      Return(std::move(c));
      if (last.code() == absl::StatusCode::kUnavailable) {
        return absl::UnavailableError(absl::StrCat(
            "postgresql schema '", options_.schema, "': could not begin a transaction (",
            last.message(), ")"));
      }
      return last;
    }
    return last;
  }

  absl::StatusOr<Lease> AcquireLease(absl::string_view name, absl::string_view holder,
                                     absl::Duration ttl, absl::Time now) override {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    absl::StatusOr<Lease> lease = PgAcquireLease(*c, name, holder, ttl, now);
    Return(std::move(c));
    return lease;
  }

  absl::Status ReleaseLease(absl::string_view name, absl::string_view holder) override {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    absl::Status status = PgReleaseLease(*c, name, holder);
    Return(std::move(c));
    return status;
  }

  // The claim takes the writer lock only for its write; when it waited too
  // long for it (a writer may be waiting for the rows it holds), it rolled
  // back and runs again, and after kClaimOptimisticAttempts takes the lock
  // first; one that found no ticket runs once more with the lock first
  // (postgres_coordination.cc).
  absl::StatusOr<v1::Ticket> ClaimNextTicket(const TicketClaim& claim) override {
    for (int attempt = 0;; ++attempt) {
      const bool lock_first = attempt >= kClaimOptimisticAttempts;
      HELPDESK_ASSIGN_OR_RETURN(
          std::unique_ptr<Transaction> tx,
          Begin(TransactionOptions{.mode = TransactionMode::kReadWrite}));
      auto* claim_tx = static_cast<PostgresTransaction*>(tx.get());
      absl::StatusOr<v1::Ticket> t = claim_tx->ClaimNextTicket(claim, lock_first);
      if (t.ok() || lock_first || !claim_tx->retry_under_lock()) return t;
      // No ticket found without the lock: the next attempt is the locked one.
      if (t.status().code() == absl::StatusCode::kNotFound) {
        attempt = kClaimOptimisticAttempts - 1;
      }
    }
  }

  // A connection from the pool, or a new one while fewer than
  // max_connections are open. Errors: Unavailable when none frees up within
  // busy_timeout or the server cannot be reached.
  absl::StatusOr<std::unique_ptr<PgConnection>> Acquire() {
    {
      absl::MutexLock lock(&mu_);
      if (!mu_.AwaitWithTimeout(absl::Condition(this, &PostgresStoreImpl::Available),
                                options_.busy_timeout)) {
        return absl::UnavailableError(absl::StrCat(
            "postgresql schema '", options_.schema, "': all ",
            options_.max_connections, " connections stayed busy beyond busy_timeout"));
      }
      if (!idle_.empty()) {
        std::unique_ptr<PgConnection> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      ++open_;
    }
    absl::StatusOr<std::unique_ptr<PgConnection>> c =
        PgConnection::Open(conninfo_, options_.schema, options_.connect_timeout);
    if (!c.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
    }
    return c;
  }

  // Hands a connection back; a broken one, or one left inside a
  // transaction, is closed.
  void Return(std::unique_ptr<PgConnection> c) {
    const bool reusable = !c->broken() && c->Idle();
    if (!reusable) c.reset();
    absl::MutexLock lock(&mu_);
    if (reusable) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
  }

  const PostgresStoreOptions& options() const { return options_; }

 private:
  bool Available() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < options_.max_connections;
  }

  static inline const std::string kBeginReadOnly =
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

  const std::string conninfo_;
  const PostgresStoreOptions options_;
  std::string begin_read_write_;
  std::string begin_read_write_async_;
  std::string writer_lock_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

PostgresTransaction::~PostgresTransaction() { Release(); }

void PostgresTransaction::Release() {
  if (connection_ == nullptr) return;
  if (!connection_->broken() && !connection_->Idle()) {
    (void)connection_->Execute("ROLLBACK");
  }
  store_->Return(std::move(connection_));
}

const std::string& PostgresTransaction::store_writer_lock() const {
  return store_->writer_lock();
}

absl::Status PostgresTransaction::LockWriter() {
  absl::Status status = connection_->Execute(store_->writer_lock());
  if (status.ok()) {
    writer_locked_ = true;
    return status;
  }
  if (status.code() == absl::StatusCode::kUnavailable && !connection_->broken()) {
    status = absl::UnavailableError(absl::StrCat(
        "postgresql schema '", store_->options().schema,
        "': another transaction held the writer lock beyond busy_timeout (",
        status.message(), ")"));
  }
  state_ = State::kFailed;
  failure_ = status;
  return status;
}

absl::Status PostgresTransaction::Commit() {
  HELPDESK_RETURN_IF_ERROR(CheckState());
  absl::Status status = connection_->Execute("COMMIT");
  if (status.ok() && !connection_->Idle()) {
    status = absl::InternalError(absl::StrCat(connection_describe_,
                                              ": COMMIT left the transaction open"));
  }
  if (!status.ok()) {
    state_ = State::kFailed;
    failure_ = status;
    if (connection_->broken()) {
      status = absl::UnavailableError(absl::StrCat(
          status.message(),
          " (the connection was lost during COMMIT: the transaction may or may "
          "not have been committed)"));
    }
    Release();
    return status;
  }
  state_ = State::kCommitted;
  Release();
  return absl::OkStatus();
}

absl::Status CheckSchemaName(absl::string_view schema) {
  bool ok = !schema.empty() && schema.size() <= 63 && !absl::ascii_isdigit(schema[0]) &&
            !absl::StartsWithIgnoreCase(schema, "pg_");
  for (char c : schema) ok = ok && (absl::ascii_isalnum(c) || c == '_');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "PostgresStoreOptions.schema '", schema,
      "' must be 1 to 63 letters, digits or underscores, not starting with a "
      "digit or pg_"));
}

}  // namespace internal

bool IsPostgresConnectionString(absl::string_view s) {
  if (absl::StartsWith(s, "postgresql://") || absl::StartsWith(s, "postgres://")) {
    return true;
  }
  for (absl::string_view key : {"host=", "hostaddr=", "dbname=", "service="}) {
    if (absl::StartsWith(s, key) || absl::StrContains(s, absl::StrCat(" ", key))) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(
    absl::string_view connection_string, const PostgresStoreOptions& options) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckSchemaName(options.schema));
  if (options.max_connections < 1 || options.max_connections > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PostgresStoreOptions.max_connections ", options.max_connections,
        " is out of range [1, 1000]"));
  }
  if (options.busy_timeout <= absl::ZeroDuration() ||
      options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "PostgresStoreOptions.busy_timeout and connect_timeout must be positive");
  }
  const std::string conninfo(connection_string);
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed postgresql connection string: ",
        absl::StripTrailingAsciiWhitespace(message)));
  }
  PQconninfoFree(parsed);
  auto store = std::make_unique<internal::PostgresStoreImpl>(conninfo, options);
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<internal::PgConnection> c, store->Acquire());
  absl::Status migrated = internal::MigratePostgresSchema(
      *c, options.schema, options.create_if_missing, options.busy_timeout);
  store->Return(std::move(c));
  HELPDESK_RETURN_IF_ERROR(migrated);
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace helpdesk
