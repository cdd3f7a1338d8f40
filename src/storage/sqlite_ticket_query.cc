#include "storage/sqlite_ticket_query.h"

#include <memory>

#include "storage/ticket_query.h"

namespace helpdesk::internal {
namespace {

// helpdesk_ticket_filter(proto, filter): see RegisterTicketQueryFunctions.
// The parsed filter is kept as the statement's auxiliary data for argument 1,
// so a scan parses it once.
void TicketFilterFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 2) {
    sqlite3_result_error(ctx, "helpdesk_ticket_filter takes 2 arguments", -1);
    return;
  }
  auto* query = static_cast<TicketQuery*>(sqlite3_get_auxdata(ctx, 1));
  if (query == nullptr) {
    v1::TicketFilter filter;
    const void* data = sqlite3_value_blob(argv[1]);
    int size = sqlite3_value_bytes(argv[1]);
    if (size > 0 && (data == nullptr || !filter.ParseFromArray(data, size))) {
      sqlite3_result_error(ctx, "helpdesk_ticket_filter: malformed filter", -1);
      return;
    }
    auto owned = std::make_unique<TicketQuery>(FilterToQuery(filter));
    query = owned.get();
    sqlite3_set_auxdata(ctx, 1, owned.release(),
                        [](void* p) { delete static_cast<TicketQuery*>(p); });
    // SQLite may have freed it already (out of memory): fetch it again.
    query = static_cast<TicketQuery*>(sqlite3_get_auxdata(ctx, 1));
    if (query == nullptr) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
  }
  v1::Ticket ticket;
  const void* data = sqlite3_value_blob(argv[0]);
  int size = sqlite3_value_bytes(argv[0]);
  if (size > 0 && (data == nullptr || !ticket.ParseFromArray(data, size))) {
    sqlite3_result_error(ctx, "helpdesk_ticket_filter: a stored ticket does not parse",
                         -1);
    return;
  }
  sqlite3_result_int(ctx, TicketMatchesProtoFilters(*query, ticket) ? 1 : 0);
}

}  // namespace

int RegisterTicketQueryFunctions(sqlite3* db) {
  return sqlite3_create_function_v2(
      db, "helpdesk_ticket_filter", 2,
      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
      &TicketFilterFunction, nullptr, nullptr, nullptr);
}

TicketSql BuildTicketCountSql(const TicketQuery& query) {
  return BuildTicketSelectAll(query, kSqliteTicketSql, "COUNT(*)");
}

absl::StatusOr<TicketSql> BuildTicketQuerySql(const TicketQuery& query) {
  return BuildTicketSelect(query, kSqliteTicketSql, static_cast<int64_t>(query.limit) + 1);
}

void BindTicketSqlParams(const std::vector<SqlParam>& params, SqliteStatement& stmt) {
  for (size_t i = 0; i < params.size(); ++i) {
    const SqlParam& p = params[i];
    const int index = static_cast<int>(i) + 1;
    switch (p.kind) {
      case SqlParam::Kind::kInt:
        stmt.BindInt(index, p.int_value);
        break;
      case SqlParam::Kind::kText:
        stmt.BindText(index, p.bytes);
        break;
      case SqlParam::Kind::kBlob:
        stmt.BindBlob(index, p.bytes);
        break;
    }
  }
}

}  // namespace helpdesk::internal
