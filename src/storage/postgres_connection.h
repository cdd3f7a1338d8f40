// Internal: one libpq connection of PostgresStore, with its prepared-statement
// cache, binary parameters and results, pipelines, and the mapping of
// PostgreSQL errors (SQLSTATE) to absl::Status codes.
//
//   HELPDESK_ASSIGN_OR_RETURN(PgResult r,
//       conn.Run("SELECT proto FROM tickets WHERE id = $1", {PgParam::Int(7)}));
//   if (r.rows() == 1) ... r.Bytes(0, 0) ...
//
// Parameters and results travel in binary: integers as int8, everything else
// as bytea (so no text encoding or collation of the server touches stored
// bytes).
//
// Thread safety: a connection is used by one thread at a time.
#ifndef HELPDESK_SRC_STORAGE_POSTGRES_CONNECTION_H_
#define HELPDESK_SRC_STORAGE_POSTGRES_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace helpdesk::internal {

// One statement parameter: an int8 or a bytea (a view: the bytes must outlive
// the call).
struct PgParam {
  static PgParam Int(int64_t v) { return PgParam{true, v, {}}; }
  static PgParam Bytes(absl::string_view b) { return PgParam{false, 0, b}; }
  bool is_int = true;
  int64_t int_value = 0;
  absl::string_view bytes;
};

// Owns a PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : result_(r) {}
  PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  PgResult& operator=(PgResult&& other) noexcept {
    if (this != &other) {
      if (result_ != nullptr) PQclear(result_);
      result_ = std::exchange(other.result_, nullptr);
    }
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() {
    if (result_ != nullptr) PQclear(result_);
  }

  const PGresult* get() const { return result_; }
  int rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }
  bool IsNull(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }
  // A binary int8 column (0 when NULL).
  int64_t Int(int row, int col) const;
  // A binary bytea (or text) column.
  absl::string_view Bytes(int row, int col) const {
    return absl::string_view(PQgetvalue(result_, row, col),
                             static_cast<size_t>(PQgetlength(result_, row, col)));
  }
  // Rows an INSERT/UPDATE/DELETE touched.
  int64_t Affected() const;

 private:
  PGresult* result_ = nullptr;
};

// A statement of a pipeline.
struct PgStatement {
  std::string sql;
  std::vector<PgParam> params;
};

// Maps a server error (its SQLSTATE) to a status code: serialization
// failures, deadlocks, lock and statement timeouts, lost connections and
// shutdowns are Unavailable; a unique violation AlreadyExists; bad data
// InvalidArgument; a missing table FailedPrecondition; the rest Internal.
absl::StatusCode CodeOfSqlState(absl::string_view sqlstate);

class PgConnection {
 public:
  // Connects with `conninfo` (parsed already) and sets search_path to
  // `schema`. Errors: see OpenPostgresStore.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Open(
      const std::string& conninfo, const std::string& schema,
      absl::Duration connect_timeout);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one or more statements without parameters (simple query protocol).
  absl::Status Execute(absl::string_view sql);
  // Runs a parameterised statement, prepared once per connection.
  absl::StatusOr<PgResult> Run(absl::string_view sql,
                               const std::vector<PgParam>& params);
  // Sends `statements` in one pipeline (one round trip) and reads their
  // results; returns the first error (later statements of a failed pipeline
  // are not run). Results of statements are discarded except row counts,
  // written to `affected` when not null.
  absl::Status RunPipeline(const std::vector<PgStatement>& statements,
                           std::vector<int64_t>* affected = nullptr);

  // True once the connection is lost; the pool then discards it.
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  // True when the server says no transaction is open or it is idle.
  bool InFailedTransaction() const {
    return PQtransactionStatus(conn_) == PQTRANS_INERROR;
  }
  // True inside a transaction block that has not failed.
  bool InTransactionBlock() const {
    return PQtransactionStatus(conn_) == PQTRANS_INTRANS;
  }
  bool Idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  // "postgresql database 'db' on host:port": for messages (no password).
  const std::string& describe() const { return describe_; }

 private:
  explicit PgConnection(PGconn* conn);
  absl::StatusOr<std::string> Prepared(absl::string_view sql,
                                       const std::vector<PgParam>& params);
  absl::Status ErrorOf(const PGresult* result, absl::string_view sql) const;
  absl::Status LostConnection(absl::string_view sql) const;

  PGconn* conn_;
  std::string describe_;
  absl::flat_hash_map<std::string, std::string> prepared_;
};

// A stable 32-bit hash of `text` (FNV-1a), for advisory lock keys.
int32_t LockKeyOf(absl::string_view text);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_POSTGRES_CONNECTION_H_
