// Internal: turns a TicketQuery into one parameterised SELECT over
// PostgresStore's schema (storage/ticket_query_sql.h in PostgreSQL's dialect),
// with the semantics of storage/ticket_query.h
// (filters, sort keys, cursors), so PostgreSQL, SQLite and the memory store
// return the same pages. Values are never spliced into the SQL text; the text
// depends only on which filters are set and how many values each has, so it
// is a good key for the connection's prepared statements.
#ifndef HELPDESK_SRC_STORAGE_POSTGRES_TICKET_QUERY_H_
#define HELPDESK_SRC_STORAGE_POSTGRES_TICKET_QUERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "helpdesk/store.h"
#include "storage/postgres_connection.h"
#include "storage/ticket_query_sql.h"

namespace helpdesk::internal {

// The rows a query with proto filters reads per statement (at least).
inline constexpr int64_t kPgProtoFilterBatch = 500;

struct PgTicketSql {
  // Selects (id, version, proto) in the query's order, at most `fetch` rows.
  std::string sql;
  // limit + 1; with proto filters max(limit + 1, kPgProtoFilterBatch).
  int64_t fetch = 0;
  // True when the query filters on what no column holds (types, channels,
  // custom fields): the rows are a scan in the query's order that passes the
  // column filters. The caller keeps the rows whose parsed proto passes
  // TicketMatchesProtoFilters and, while it has fewer than limit + 1 and the
  // statement returned `fetch` rows, runs the query again with the cursor of
  // the last row scanned.
  bool proto_filters = false;
  std::vector<SqlParam> values;
  // Views of `values` for PgConnection::Run (valid while this lives).
  std::vector<PgParam> Params() const {
    std::vector<PgParam> out;
    out.reserve(values.size());
    for (const SqlParam& v : values) {
      out.push_back(v.kind == SqlParam::Kind::kInt ? PgParam::Int(v.int_value)
                                                   : PgParam::Bytes(v.bytes));
    }
    return out;
  }
};

// Errors: InvalidArgument from ValidateQuery (limit, cursor).
absl::StatusOr<PgTicketSql> BuildPgTicketQuerySql(const TicketQuery& query);

// CountTickets: selects COUNT(*) of the matching tickets, or, when
// proto_filters is set, (id, version, proto) of every row passing the column
// filters (the caller counts those passing TicketMatchesProtoFilters). The
// query's sort, cursor and limit are ignored.
PgTicketSql BuildPgTicketCountSql(const TicketQuery& query);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_POSTGRES_TICKET_QUERY_H_
