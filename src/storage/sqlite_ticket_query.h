// Internal: turns a TicketQuery into one parameterised SELECT over SqliteStore's
// schema, with the semantics of storage/ticket_query.h (filters, sort keys,
// cursors), so that SQLite and the memory store return the same pages.
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

namespace helpdesk::internal {

struct SqlParam {
  enum class Kind { kInt, kText, kBlob };
  Kind kind = Kind::kInt;
  int64_t int_value = 0;
  std::string bytes;  // for kText and kBlob
};

struct TicketSql {
  // Selects rows whose first three columns are (id, version, proto), in the
  // query's order, at most limit + 1 of them (the extra row tells whether
  // there is a next page).
  std::string sql;
  std::vector<SqlParam> params;
};

// Errors: InvalidArgument from ValidateQuery (limit, cursor).
absl::StatusOr<TicketSql> BuildTicketQuerySql(const TicketQuery& query);

// "SELECT COUNT(*) FROM tickets WHERE <every filter of query>": the sort,
// limit and cursor are ignored.
TicketSql BuildTicketCountSql(const TicketQuery& query);

// The SQL function the filters on types, channels and custom fields use:
// helpdesk_ticket_filter(proto, filter) is 1 when the ticket stored as
// `proto` passes the v1::TicketFilter serialised in `filter`
// (TicketMatchesProtoFilters), else 0. Registered on every connection
// SqliteConnection::Open makes. Returns an SQLite result code.
int RegisterTicketQueryFunctions(sqlite3* db);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_SQLITE_TICKET_QUERY_H_
