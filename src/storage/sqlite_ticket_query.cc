#include "storage/sqlite_ticket_query.h"

#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal/status_macros.h"
#include "storage/ticket_query.h"

namespace helpdesk::internal {
namespace {

constexpr int64_t kMinMicros = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxMicros = std::numeric_limits<int64_t>::max();

class Builder {
 public:
  void Where(std::string condition) { conditions_.push_back(std::move(condition)); }

  // Returns "?" and records the value.
  std::string Int(int64_t v) {
    SqlParam p;
    p.kind = SqlParam::Kind::kInt;
    p.int_value = v;
    params_.push_back(std::move(p));
    return "?";
  }
  std::string Text(std::string v) {
    SqlParam p;
    p.kind = SqlParam::Kind::kText;
    p.bytes = std::move(v);
    params_.push_back(std::move(p));
    return "?";
  }
  std::string Blob(std::string v) {
    SqlParam p;
    p.kind = SqlParam::Kind::kBlob;
    p.bytes = std::move(v);
    params_.push_back(std::move(p));
    return "?";
  }

  // "column = ?" for one value, "column IN (?, ?)" for several.
  template <typename Values, typename Add>
  std::string In(absl::string_view column, const Values& values, Add add) {
    std::vector<std::string> marks;
    for (const auto& v : values) marks.push_back(add(v));
    if (marks.size() == 1) return absl::StrCat(column, " = ", marks[0]);
    return absl::StrCat(column, " IN (", absl::StrJoin(marks, ", "), ")");
  }

  std::vector<std::string>& conditions() { return conditions_; }
  std::vector<SqlParam>& params() { return params_; }

 private:
  std::vector<std::string> conditions_;
  std::vector<SqlParam> params_;
};

// The smallest m with absl::FromUnixMicros(m) >= t, for t within the int64
// microsecond range.
int64_t CeilMicros(absl::Time t) {
  int64_t m = absl::ToUnixMicros(t);  // floor
  if (absl::FromUnixMicros(m) < t) ++m;
  return m;
}

// Adds the conditions for `range` on an int64 microsecond column: a stored
// value m matches when range.from <= FromUnixMicros(m) < range.to, exactly as
// TimeRange::Contains does on the memory store.
void AddTimeRange(Builder& b, absl::string_view column, const TimeRange& range) {
  const absl::Time lowest = absl::FromUnixMicros(kMinMicros);
  const absl::Time highest = absl::FromUnixMicros(kMaxMicros);
  if (range.from > highest || range.to <= lowest || range.to <= range.from) {
    b.Where("0");  // matches nothing
    return;
  }
  if (range.from > lowest) {
    b.Where(absl::StrCat(column, " >= ", b.Int(CeilMicros(range.from))));
  }
  if (range.to <= highest) {
    b.Where(absl::StrCat(column, " < ", b.Int(CeilMicros(range.to))));
  }
}

void AddVisibility(Builder& b, const TicketVisibility& v) {
  std::vector<std::string> any;
  if (v.contact_id.has_value()) {
    std::string requester = b.Int(*v.contact_id);
    std::string cc = b.Int(*v.contact_id);
    any.push_back(absl::StrCat(
        "requester_id = ", requester,
        " OR EXISTS (SELECT 1 FROM ticket_ccs WHERE ticket_ccs.ticket_id = "
        "tickets.id AND ticket_ccs.contact_id = ",
        cc, ")"));
  }
  std::vector<int64_t> groups;
  for (int64_t g : v.group_ids) {
    if (g != 0) groups.push_back(g);  // a ticket in no group is in none of them
  }
  if (!groups.empty()) {
    any.push_back(b.In("group_id", groups, [&](int64_t g) { return b.Int(g); }));
  }
  if (v.assignee_id.has_value()) {
    any.push_back(absl::StrCat("assignee_id = ", b.Int(*v.assignee_id)));
  }
  if (v.ticket_id.has_value()) {
    any.push_back(absl::StrCat("tickets.id = ", b.Int(*v.ticket_id)));
  }
  if (any.empty()) {
    b.Where("0");  // an unset condition matches nothing
    return;
  }
  b.Where(absl::StrCat("(", absl::StrJoin(any, " OR "), ")"));
}

// "(column, id) op (?, ?)". The marks are made in separate statements so the
// parameters are recorded in order (argument evaluation order is unspecified).
std::string RowAfter(Builder& b, absl::string_view column, absl::string_view op,
                     int64_t k1, int64_t id) {
  std::string first = b.Int(k1);
  std::string second = b.Int(id);
  return absl::StrCat("(", column, ", id) ", op, " (", first, ", ", second, ")");
}

// The cursor condition of every sort but kPriorityThenOldest (see
// BuildTicketQuerySql).
void AddCursor(Builder& b, TicketSort sort, const SortKey& after) {
  switch (sort) {
    case TicketSort::kCreatedAsc:
      b.Where(RowAfter(b, "created_us", ">", after.k1, after.id));
      return;
    case TicketSort::kCreatedDesc:
      b.Where(RowAfter(b, "created_us", "<", after.k1, after.id));
      return;
    case TicketSort::kUpdatedAsc:
      b.Where(RowAfter(b, "updated_us", ">", after.k1, after.id));
      return;
    case TicketSort::kUpdatedDesc:
      b.Where(RowAfter(b, "updated_us", "<", after.k1, after.id));
      return;
    case TicketSort::kSlaDeadlineAsc:
      b.Where(RowAfter(b, "sla_deadline_us", ">", after.k1, after.id));
      return;
    case TicketSort::kIdAsc:
    default:
      b.Where(absl::StrCat("id > ", b.Int(after.id)));
      return;
  }
}

absl::string_view OrderBy(TicketSort sort) {
  switch (sort) {
    case TicketSort::kCreatedAsc:
      return "created_us, id";
    case TicketSort::kCreatedDesc:
      return "created_us DESC, id DESC";
    case TicketSort::kUpdatedAsc:
      return "updated_us, id";
    case TicketSort::kUpdatedDesc:
      return "updated_us DESC, id DESC";
    case TicketSort::kPriorityThenOldest:
      return "priority DESC, created_us, id";
    case TicketSort::kSlaDeadlineAsc:
      // Unset deadlines are stored as INT64_MAX, the SortKey's k1 for them.
      return "sla_deadline_us, id";
    case TicketSort::kIdAsc:
    default:
      // SortKeyOf orders an unknown sort by id, ascending.
      return "id";
  }
}

// Every filter of `query` except the cursor.
void AddFilters(Builder& b, const TicketQuery& query) {
  if (!query.statuses.empty()) {
    b.Where(b.In("status", query.statuses,
                 [&](const std::string& s) { return b.Text(s); }));
  }
  if (!query.status_categories.empty()) {
    b.Where(b.In("status_category", query.status_categories,
                 [&](v1::StatusCategory c) { return b.Int(c); }));
  }
  if (query.group_id.has_value()) {
    b.Where(absl::StrCat("group_id = ", b.Int(*query.group_id)));
  }
  if (query.assignee_id.has_value()) {
    b.Where(absl::StrCat("assignee_id = ", b.Int(*query.assignee_id)));
  }
  if (query.requester_id.has_value()) {
    b.Where(absl::StrCat("requester_id = ", b.Int(*query.requester_id)));
  }
  if (query.organization_id.has_value()) {
    b.Where(absl::StrCat("organization_id = ", b.Int(*query.organization_id)));
  }
  for (const std::string& tag : query.tags) {
    b.Where(absl::StrCat(
        "EXISTS (SELECT 1 FROM ticket_tags WHERE ticket_tags.ticket_id = "
        "tickets.id AND ticket_tags.tag = ",
        b.Text(tag), ")"));
  }
  if (!query.subject_contains.empty()) {
    // SQLite's built-in lower() (no ICU in Debian's build) folds ASCII letters
    // only and leaves every other byte alone; comparing as BLOBs makes instr()
    // match bytes, so this is ContainsIgnoringAsciiCase, with no wildcards.
    b.Where(absl::StrCat("instr(CAST(lower(subject) AS BLOB), ",
                         b.Blob(absl::AsciiStrToLower(query.subject_contains)),
                         ") > 0"));
  }
  AddTimeRange(b, "created_us", query.created);
  AddTimeRange(b, "updated_us", query.updated);
  if (query.sla_deadline.has_value()) {
    // Only tickets that have a deadline (INT64_MAX marks none).
    b.Where("sla_deadline_us < 9223372036854775807");
    AddTimeRange(b, "sla_deadline_us", *query.sla_deadline);
  }
  if (!query.priorities.empty()) {
    b.Where(b.In("priority", query.priorities,
                 [&](v1::Priority p) { return b.Int(p); }));
  }
  if (!query.types.empty() || !query.channels.empty() ||
      !query.custom_fields.empty()) {
    // No column holds these: the SQL function reads the stored proto.
    TicketQuery rest;
    rest.types = query.types;
    rest.channels = query.channels;
    rest.custom_fields = query.custom_fields;
    b.Where(absl::StrCat("helpdesk_ticket_filter(proto, ",
                         b.Blob(QueryToFilter(rest).SerializeAsString()), ")"));
  }
  if (!query.include_merged) b.Where("merged_into = 0");
  if (query.visible_to.has_value()) AddVisibility(b, *query.visible_to);
}

std::string Select(absl::string_view columns, Builder& b) {
  std::string sql = absl::StrCat("SELECT ", columns, " FROM tickets");
  if (!b.conditions().empty()) {
    absl::StrAppend(&sql, " WHERE ", absl::StrJoin(b.conditions(), " AND "));
  }
  return sql;
}

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
  Builder b;
  AddFilters(b, query);
  TicketSql out;
  out.sql = Select("COUNT(*)", b);
  out.params = std::move(b.params());
  return out;
}

absl::StatusOr<TicketSql> BuildTicketQuerySql(const TicketQuery& query) {
  HELPDESK_RETURN_IF_ERROR(ValidateQuery(query));
  std::optional<SortKey> after;
  if (!query.cursor.empty()) {
    HELPDESK_ASSIGN_OR_RETURN(after, DecodeCursor(query.cursor, query.sort));
  }
  TicketSql out;
  const int64_t fetch = static_cast<int64_t>(query.limit) + 1;
  if (after.has_value() && query.sort == TicketSort::kPriorityThenOldest) {
    // k1 = -priority, so "after (k1, k2, id)" is: the same priority p and a
    // later (created_us, id), or any lower priority. As one OR that is a scan
    // from the start of priority p; as two index ranges merged in order
    // (MERGE (UNION ALL), no sort) it is a seek, however deep the page. A
    // forged k1 = INT64_MIN maps to p = INT64_MAX, above every stored int32
    // priority, as -INT64_MIN would be.
    const int64_t p = after->k1 == kMinMicros ? kMaxMicros : -after->k1;
    Builder same;
    AddFilters(same, query);
    same.Where(absl::StrCat("priority = ", same.Int(p)));
    same.Where(RowAfter(same, "created_us", ">", after->k2, after->id));
    Builder lower;
    AddFilters(lower, query);
    lower.Where(absl::StrCat("priority < ", lower.Int(p)));
    constexpr absl::string_view kColumns =
        "id, version, proto, priority, created_us";
    out.sql = absl::StrCat(Select(kColumns, same), " UNION ALL ",
                           Select(kColumns, lower), " ORDER BY ",
                           OrderBy(query.sort), " LIMIT ?");
    out.params = std::move(same.params());
    for (SqlParam& p2 : lower.params()) out.params.push_back(std::move(p2));
    SqlParam limit;
    limit.int_value = fetch;
    out.params.push_back(std::move(limit));
    return out;
  }
  Builder b;
  AddFilters(b, query);
  if (after.has_value()) AddCursor(b, query.sort, *after);
  std::string limit = b.Int(fetch);
  out.sql = absl::StrCat(Select("id, version, proto", b), " ORDER BY ",
                         OrderBy(query.sort), " LIMIT ", limit);
  out.params = std::move(b.params());
  return out;
}

}  // namespace helpdesk::internal
