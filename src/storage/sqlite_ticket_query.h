// Internal: turns a TicketQuery into one parameterised SELECT over SqliteStore's
// schema (storage/ticket_query_sql.h in SQLite's dialect), with the semantics
// of storage/ticket_query.h (filters, sort keys, cursors), so that SQLite and
// the memory store return the same pages.
//
//   HELPDESK_ASSIGN_OR_RETURN(TicketSql q, BuildTicketQuerySql(query));
//   // q.sql: "SELECT id, version, proto FROM tickets WHERE ... LIMIT ?" (a
//   // later page of the work-queue order is a UNION ALL of two such SELECTs)
//   // q.params: one value per '?', in order.
//
// Values are never spliced into the SQL text: the text depends only on which
// filters are set and how many values each has, so it makes a good key for
// a prepared-statement cache.
#ifndef HELPDESK_SRC_STORAGE_SQLITE_TICKET_QUERY_H_
#define HELPDESK_SRC_STORAGE_SQLITE_TICKET_QUERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include <sqlite3.h>
#include "helpdesk/store.h"
#include "storage/sqlite_connection.h"
#include "storage/ticket_query_sql.h"

namespace helpdesk::internal {

// Rows whose first three columns are (id, version, proto), in the query's
// order, at most limit + 1 of them (the extra row tells whether there is a
// next page); `params` holds one value per '?', in order.
using TicketSql = TicketQuerySql;

// Errors: InvalidArgument from ValidateQuery (limit, cursor).
absl::StatusOr<TicketSql> BuildTicketQuerySql(const TicketQuery& query);

// "SELECT COUNT(*) FROM tickets WHERE <every filter of query>": the sort,
// limit and cursor are ignored.
TicketSql BuildTicketCountSql(const TicketQuery& query);

// Binds `params` to `stmt`'s parameters 1, 2, ... in order.
void BindTicketSqlParams(const std::vector<SqlParam>& params, SqliteStatement& stmt);

// The SQL function the filters on types, channels and custom fields use:
// helpdesk_ticket_filter(proto, filter) is 1 when the ticket stored as
// `proto` passes the v1::TicketFilter serialised in `filter`
// (TicketMatchesProtoFilters), else 0. Registered on every connection
// SqliteConnection::Open makes. Returns an SQLite result code.
int RegisterTicketQueryFunctions(sqlite3* db);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_SQLITE_TICKET_QUERY_H_
