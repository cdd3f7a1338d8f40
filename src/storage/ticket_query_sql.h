// Internal: turns a TicketQuery into one parameterised SELECT over the
// `tickets` table that SqliteStore and PostgresStore share (columns status,
// status_category, priority, group_id, assignee_id, requester_id,
// organization_id, created_us, updated_us, sla_deadline_us, merged_into; side
// tables ticket_tags and ticket_ccs), with the semantics of
// storage/ticket_query.h (filters, sort keys, cursors), so every store
// returns the same pages. One builder for both SQL dialects: a filter is
// added here once, not once per store.
//
// Values are never spliced into the SQL text: the text depends only on which
// filters are set and how many values each has, so it is a good key for a
// prepared-statement cache.
#ifndef HELPDESK_SRC_STORAGE_TICKET_QUERY_SQL_H_
#define HELPDESK_SRC_STORAGE_TICKET_QUERY_SQL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"

namespace helpdesk::internal {

// One bound value, in the order of the statement's parameters.
struct SqlParam {
  enum class Kind { kInt, kText, kBlob };
  Kind kind = Kind::kInt;
  int64_t int_value = 0;
  std::string bytes;  // for kText and kBlob
};

// What differs between the stores' SQL.
struct TicketSqlDialect {
  // "$1", "$2", ... (PostgreSQL) instead of "?" (SQLite).
  bool numbered_params = false;
  // The condition that matches nothing.
  absl::string_view nothing = "0";
  // How statuses and tags are bound (SQLite: TEXT; PostgreSQL: bytea).
  SqlParam::Kind string_kind = SqlParam::Kind::kText;
  // The condition "the subject contains `mark` ignoring ASCII case", given
  // the mark of a value holding the needle folded to ASCII lower case.
  std::string (*subject_contains)(absl::string_view mark) = nullptr;
  // When set, types, channels and custom fields (no column holds them) are
  // one condition "<function>(proto, mark)" with the v1::TicketFilter
  // serialised as a blob; when empty, the caller filters the rows.
  absl::string_view proto_filter_function;
  // The members of a compound SELECT in parentheses (PostgreSQL accepts
  // them; SQLite refuses them).
  bool parenthesize_union = false;
};

HELPDESK_EXPORT extern const TicketSqlDialect kSqliteTicketSql;
HELPDESK_EXPORT extern const TicketSqlDialect kPostgresTicketSql;

struct TicketQuerySql {
  std::string sql;
  std::vector<SqlParam> params;
};

// True when the query filters on what no column holds (types, channels,
// custom fields).
HELPDESK_EXPORT bool HasProtoFilters(const TicketQuery& query);

// Selects rows whose first three columns are (id, version, proto), in the
// query's order after its cursor, at most `fetch` of them (the caller passes
// limit + 1: the extra row tells whether there is a next page). Errors:
// InvalidArgument from ValidateQuery (limit, cursor).
HELPDESK_EXPORT absl::StatusOr<TicketQuerySql> BuildTicketSelect(
    const TicketQuery& query, const TicketSqlDialect& dialect, int64_t fetch);

// "SELECT <columns> FROM tickets WHERE <every filter of query>": the sort,
// cursor and limit are ignored.
HELPDESK_EXPORT TicketQuerySql BuildTicketSelectAll(const TicketQuery& query,
                                                    const TicketSqlDialect& dialect,
                                                    absl::string_view columns);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_TICKET_QUERY_SQL_H_
