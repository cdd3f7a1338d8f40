#include "storage/postgres_ticket_query.h"

#include <algorithm>
#include <utility>

#include "internal/status_macros.h"

namespace helpdesk::internal {

absl::StatusOr<PgTicketSql> BuildPgTicketQuerySql(const TicketQuery& query) {
  PgTicketSql out;
  out.proto_filters = HasProtoFilters(query);
  // With proto filters the rows are a scan the caller filters and continues
  // by cursor, a batch at a time.
  out.fetch = out.proto_filters
                  ? std::max<int64_t>(static_cast<int64_t>(query.limit) + 1, kPgProtoFilterBatch)
                  : static_cast<int64_t>(query.limit) + 1;
  HELPDESK_ASSIGN_OR_RETURN(TicketQuerySql sql,
                            BuildTicketSelect(query, kPostgresTicketSql, out.fetch));
  out.sql = std::move(sql.sql);
  out.values = std::move(sql.params);
  return out;
}

PgTicketSql BuildPgTicketCountSql(const TicketQuery& query) {
  PgTicketSql out;
  out.proto_filters = HasProtoFilters(query);
  TicketQuerySql sql = BuildTicketSelectAll(
      query, kPostgresTicketSql, out.proto_filters ? "id, version, proto" : "COUNT(*)");
  out.sql = std::move(sql.sql);
  out.values = std::move(sql.params);
  return out;
}

}  // namespace helpdesk::internal
