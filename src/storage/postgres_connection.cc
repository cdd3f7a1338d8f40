#include "storage/postgres_connection.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace helpdesk::internal {
namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kByteaOid = 17;

// Statements of one pipeline per sync: the server's replies to a long batch
// wait in its send buffer while we still send, so batches stay short.
constexpr size_t kMaxPipelineBatch = 64;

uint64_t ToBigEndian(int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  uint64_t out = 0;
  for (int i = 0; i < 8; ++i) {
    reinterpret_cast<unsigned char*>(&out)[i] =
        static_cast<unsigned char>(u >> (56 - 8 * i));
  }
  return out;
}

// The arrays libpq takes for one statement's parameters.
struct BoundParams {
  explicit BoundParams(const std::vector<PgParam>& params) {
    const size_t n = params.size();
    ints.resize(n);
    values.resize(n);
    lengths.resize(n);
    formats.assign(n, 1);
    types.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const PgParam& p = params[i];
      if (p.is_int) {
        ints[i] = ToBigEndian(p.int_value);
        values[i] = reinterpret_cast<const char*>(&ints[i]);
        lengths[i] = 8;
        types[i] = kInt8Oid;
      } else {
        // A non-null pointer even for an empty value (NULL means SQL NULL).
        values[i] = p.bytes.data() != nullptr ? p.bytes.data() : "";
        lengths[i] = static_cast<int>(p.bytes.size());
        types[i] = kByteaOid;
      }
    }
  }
  std::vector<uint64_t> ints;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<Oid> types;
};

std::string FirstLine(absl::string_view message) {
  message = absl::StripTrailingAsciiWhitespace(message);
  size_t nl = message.find('\n');
  return std::string(nl == absl::string_view::npos ? message : message.substr(0, nl));
}

}  // namespace

int64_t PgResult::Int(int row, int col) const {
  const char* v = PQgetvalue(result_, row, col);
  const int len = PQgetlength(result_, row, col);
  uint64_t u = 0;
  for (int i = 0; i < len; ++i) u = (u << 8) | static_cast<unsigned char>(v[i]);
  if (len == 4) return static_cast<int32_t>(static_cast<uint32_t>(u));
  return static_cast<int64_t>(u);
}

int64_t PgResult::Affected() const {
  int64_t n = 0;
  if (result_ == nullptr || !absl::SimpleAtoi(PQcmdTuples(result_), &n)) return 0;
  return n;
}

absl::StatusCode CodeOfSqlState(absl::string_view s) {
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "57014" ||
      absl::StartsWith(s, "08") || absl::StartsWith(s, "53") ||
      absl::StartsWith(s, "57P")) {
    return absl::StatusCode::kUnavailable;
  }
  if (s == "23505") return absl::StatusCode::kAlreadyExists;
  if (absl::StartsWith(s, "22")) return absl::StatusCode::kInvalidArgument;
  if (s == "42P01" || s == "3F000" || s == "25006") {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (absl::StartsWith(s, "28")) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kInternal;
}

int32_t LockKeyOf(absl::string_view text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  return static_cast<int32_t>(h);
}

PgConnection::PgConnection(PGconn* conn) : conn_(conn) {
  const char* db = PQdb(conn_);
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  describe_ = absl::StrCat("postgresql database '", db ? db : "", "' on ",
                           host ? host : "", ":", port ? port : "");
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(
    const std::string& conninfo, const std::string& schema,
    absl::Duration connect_timeout) {
  const std::string timeout =
      absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(connect_timeout)));
  // Defaults first: libpq applies the keywords in order and expands the
  // connection string where dbname stands, so what the string names wins.
  const char* ordered_keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* ordered_values[] = {timeout.c_str(), "libhelpdesk", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(ordered_keywords, ordered_values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("libpq could not allocate a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = FirstLine(PQerrorMessage(conn));
    PQfinish(conn);
    const bool refused_by_server =
        absl::StrContains(message, "password authentication failed") ||
        absl::StrContains(message, "no password supplied") ||
        absl::StrContains(message, "authentication failed") ||
        absl::StrContains(message, "does not exist") ||
        absl::StrContains(message, "pg_hba.conf") ||
        absl::StrContains(message, "permission denied");
    if (refused_by_server) {
      return absl::InvalidArgumentError(absl::StrCat(
          "postgresql connection refused by the server (check the user, "
          "password and database of the connection string): ",
          message));
    }
    return absl::UnavailableError(
        absl::StrCat("postgresql server unreachable: ", message));
  }
  // Server notices (e.g. "relation already exists, skipping") are not
  // errors; libpq would print them on stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<PgConnection> c(new PgConnection(conn));
  char* quoted = PQescapeIdentifier(conn, schema.data(), schema.size());
  if (quoted == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema '", schema, "' cannot be quoted"));
  }
  std::string set = absl::StrCat("SET search_path TO ", quoted);
  PQfreemem(quoted);
  absl::Status status = c->Execute(set);
  if (!status.ok()) return status;
  return c;
}

absl::Status PgConnection::LostConnection(absl::string_view sql) const {
  return absl::UnavailableError(absl::StrCat(
      describe_, ": connection lost (", FirstLine(PQerrorMessage(conn_)),
      ") running \"", sql.substr(0, 60), "\"; retry the transaction"));
}

absl::Status PgConnection::ErrorOf(const PGresult* result,
                                   absl::string_view sql) const {
  if (result == nullptr || broken()) return LostConnection(sql);
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const absl::string_view sqlstate = state != nullptr ? state : "";
  const absl::StatusCode code = CodeOfSqlState(sqlstate);
  std::string message = absl::StrCat(
      describe_, ": ", primary != nullptr ? primary : FirstLine(PQresultErrorMessage(result)),
      " (SQLSTATE ", sqlstate, ") running \"", sql.substr(0, 60), "\"");
  if (code == absl::StatusCode::kUnavailable) {
    absl::StrAppend(&message, "; retry the transaction");
  }
  return absl::Status(code, message);
}

absl::Status PgConnection::Execute(absl::string_view sql) {
  const std::string text(sql);
  PGresult* r = PQexec(conn_, text.c_str());
  PgResult owned(r);
  if (r == nullptr) return LostConnection(sql);
  // PQexec returns the last statement's result; an earlier failure stops the
  // batch and is what it returns.
  const ExecStatusType s = PQresultStatus(r);
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) {
    return absl::OkStatus();
  }
  return ErrorOf(r, sql);
}

absl::StatusOr<std::string> PgConnection::Prepared(
    absl::string_view sql, const std::vector<PgParam>& params) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return it->second;
  std::string name = absl::StrCat("h", prepared_.size());
  std::vector<Oid> types;
  for (const PgParam& p : params) types.push_back(p.is_int ? kInt8Oid : kByteaOid);
  const std::string text(sql);
  PgResult keep(PQprepare(conn_, name.c_str(), text.c_str(),
                          static_cast<int>(types.size()), types.data()));
  // PQprepare returns null only when the connection is gone.
  const PGresult* raw = keep.get();
  if (raw == nullptr) return LostConnection(sql);
  if (PQresultStatus(raw) != PGRES_COMMAND_OK) return ErrorOf(raw, sql);
  prepared_.emplace(std::string(sql), name);
  return name;
}

absl::StatusOr<PgResult> PgConnection::Run(absl::string_view sql,
                                           const std::vector<PgParam>& params) {
  absl::StatusOr<std::string> name = Prepared(sql, params);
  if (!name.ok()) return name.status();
  BoundParams b(params);
  PGresult* r = PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()),
                               b.values.data(), b.lengths.data(), b.formats.data(),
                               /*resultFormat=*/1);
  PgResult owned(r);
  if (r == nullptr) return LostConnection(sql);
  const ExecStatusType s = PQresultStatus(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) return ErrorOf(r, sql);
  return owned;
}

absl::Status PgConnection::RunPipeline(const std::vector<PgStatement>& statements,
                                       std::vector<int64_t>* affected) {
  if (affected != nullptr) affected->clear();
  for (size_t start = 0; start < statements.size(); start += kMaxPipelineBatch) {
    const size_t end = std::min(statements.size(), start + kMaxPipelineBatch);
    if (end - start == 1) {
      absl::StatusOr<PgResult> r = Run(statements[start].sql, statements[start].params);
      if (!r.ok()) return r.status();
      if (affected != nullptr) affected->push_back(r->Affected());
      continue;
    }
    std::vector<std::string> names;
    for (size_t i = start; i < end; ++i) {
      absl::StatusOr<std::string> name = Prepared(statements[i].sql, statements[i].params);
      if (!name.ok()) return name.status();
      names.push_back(*std::move(name));
    }
    if (PQenterPipelineMode(conn_) != 1) return LostConnection("pipeline");
    absl::Status first_error;
    bool sent = true;
    for (size_t i = start; i < end && sent; ++i) {
      BoundParams b(statements[i].params);
      sent = PQsendQueryPrepared(conn_, names[i - start].c_str(),
                                 static_cast<int>(b.values.size()), b.values.data(),
                                 b.lengths.data(), b.formats.data(), 1) == 1;
    }
    if (!sent || PQpipelineSync(conn_) != 1) {
      absl::Status lost = LostConnection(statements[start].sql);
      (void)PQexitPipelineMode(conn_);
      return lost;
    }
    // One result (then a null) per statement, then the sync.
    for (size_t i = start; i < end; ++i) {
      PgResult keep(PQgetResult(conn_));
      const PGresult* raw = keep.get();
      if (raw == nullptr) {
        first_error = LostConnection(statements[i].sql);
        break;
      }
      const ExecStatusType s = PQresultStatus(raw);
      if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        if (affected != nullptr) affected->push_back(keep.Affected());
      } else if (s != PGRES_PIPELINE_ABORTED && first_error.ok()) {
        first_error = ErrorOf(raw, statements[i].sql);
      }
      // The null that ends this statement's results.
      while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    }
    if (first_error.ok() || !broken()) {
      // The sync's result.
      while (PGresult* r = PQgetResult(conn_)) {
        const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync) break;
      }
    }
    if (PQexitPipelineMode(conn_) != 1 && first_error.ok()) {
      first_error = LostConnection("pipeline end");
    }
    if (!first_error.ok()) return first_error;
  }
  return absl::OkStatus();
}

}  // namespace helpdesk::internal
