#include "storage/ticket_query_sql.h"

#include <limits>
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

// SQLite's built-in lower() (no ICU in Debian's build) folds ASCII letters
// only and leaves every other byte alone; comparing as BLOBs makes instr()
// match bytes, so this is ContainsIgnoringAsciiCase, with no wildcards.
std::string SqliteSubjectContains(absl::string_view mark) {
  return absl::StrCat("instr(CAST(lower(subject) AS BLOB), ", mark, ") > 0");
}

// subject_folded holds the subject with ASCII letters lower-cased, as bytes:
// position() on bytea is ContainsIgnoringAsciiCase, no wildcards.
std::string PostgresSubjectContains(absl::string_view mark) {
  return absl::StrCat("position(", mark, " in subject_folded) > 0");
}

// Collects the conditions of one SELECT; records each value in `params`,
// which the parts of one statement share (a UNION ALL numbers its parameters
// across both members).
class Builder {
 public:
  Builder(const TicketSqlDialect& dialect, std::vector<SqlParam>* params)
      : dialect_(dialect), params_(params) {}

  void Where(std::string condition) { conditions_.push_back(std::move(condition)); }
  void WhereNothing() { conditions_.emplace_back(dialect_.nothing); }

  // Each returns the value's mark ("?" or "$N") and records the value.
  std::string Int(int64_t v) { return Add({SqlParam::Kind::kInt, v, {}}); }
  std::string String(std::string v) { return Add({dialect_.string_kind, 0, std::move(v)}); }
  std::string Blob(std::string v) { return Add({SqlParam::Kind::kBlob, 0, std::move(v)}); }

  // "column = mark" for one value, "column IN (mark, mark)" for several.
  template <typename Values, typename AddValue>
  std::string In(absl::string_view column, const Values& values, AddValue add) {
    std::vector<std::string> marks;
    for (const auto& v : values) marks.push_back(add(v));
    if (marks.size() == 1) return absl::StrCat(column, " = ", marks[0]);
    return absl::StrCat(column, " IN (", absl::StrJoin(marks, ", "), ")");
  }

  std::string Select(absl::string_view columns) const {
    std::string sql = absl::StrCat("SELECT ", columns, " FROM tickets");
    if (!conditions_.empty()) {
      absl::StrAppend(&sql, " WHERE ", absl::StrJoin(conditions_, " AND "));
    }
    return sql;
  }

  const TicketSqlDialect& dialect() const { return dialect_; }

 private:
  std::string Add(SqlParam p) {
    params_->push_back(std::move(p));
    return dialect_.numbered_params ? absl::StrCat("$", params_->size()) : "?";
  }

  const TicketSqlDialect& dialect_;
  std::vector<SqlParam>* params_;
  std::vector<std::string> conditions_;
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
    b.WhereNothing();
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
    // A tracking-link viewer: that one ticket.
    any.push_back(absl::StrCat("tickets.id = ", b.Int(*v.ticket_id)));
  }
  if (any.empty()) {
    b.WhereNothing();  // an unset condition matches nothing
    return;
  }
  b.Where(absl::StrCat("(", absl::StrJoin(any, " OR "), ")"));
}

// "(column, id) op (mark, mark)". The marks are made in separate statements
// so the values are recorded in order (argument evaluation order is
// unspecified).
std::string RowAfter(Builder& b, absl::string_view column, absl::string_view op,
                     int64_t k1, int64_t id) {
  std::string first = b.Int(k1);
  std::string second = b.Int(id);
  return absl::StrCat("(", column, ", id) ", op, " (", first, ", ", second, ")");
}

// The cursor condition of every sort but kPriorityThenOldest (see
// BuildTicketSelect).
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
    b.Where(b.In("status", query.statuses, [&](const std::string& s) { return b.String(s); }));
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
        b.String(tag), ")"));
  }
  if (!query.subject_contains.empty()) {
    b.Where(b.dialect().subject_contains(b.Blob(absl::AsciiStrToLower(query.subject_contains))));
  }
  AddTimeRange(b, "created_us", query.created);
  AddTimeRange(b, "updated_us", query.updated);
  if (query.sla_deadline.has_value()) {
    // Only tickets that have a deadline (INT64_MAX marks none).
    b.Where("sla_deadline_us < 9223372036854775807");
    AddTimeRange(b, "sla_deadline_us", *query.sla_deadline);
  }
  if (!query.priorities.empty()) {
    b.Where(b.In("priority", query.priorities, [&](v1::Priority p) { return b.Int(p); }));
  }
  if (HasProtoFilters(query) && !b.dialect().proto_filter_function.empty()) {
    // No column holds these: the SQL function reads the stored proto.
    TicketQuery rest;
    rest.types = query.types;
    rest.channels = query.channels;
    rest.custom_fields = query.custom_fields;
    b.Where(absl::StrCat(b.dialect().proto_filter_function, "(proto, ",
                         b.Blob(QueryToFilter(rest).SerializeAsString()), ")"));
  }
  if (!query.include_merged) b.Where("merged_into = 0");
  if (query.visible_to.has_value()) AddVisibility(b, *query.visible_to);
}

}  // namespace

const TicketSqlDialect kSqliteTicketSql = {
    .numbered_params = false,
    .nothing = "0",
    .string_kind = SqlParam::Kind::kText,
    .subject_contains = &SqliteSubjectContains,
    .proto_filter_function = "helpdesk_ticket_filter",
    .parenthesize_union = false,
};

const TicketSqlDialect kPostgresTicketSql = {
    .numbered_params = true,
    .nothing = "FALSE",
    .string_kind = SqlParam::Kind::kBlob,
    .subject_contains = &PostgresSubjectContains,
    .proto_filter_function = "",
    .parenthesize_union = true,
};

bool HasProtoFilters(const TicketQuery& query) {
  return !query.types.empty() || !query.channels.empty() || !query.custom_fields.empty();
}

absl::StatusOr<TicketQuerySql> BuildTicketSelect(const TicketQuery& query,
                                                 const TicketSqlDialect& dialect,
                                                 int64_t fetch) {
  HELPDESK_RETURN_IF_ERROR(ValidateQuery(query));
  std::optional<SortKey> after;
  if (!query.cursor.empty()) {
    HELPDESK_ASSIGN_OR_RETURN(after, DecodeCursor(query.cursor, query.sort));
  }
  TicketQuerySql out;
  if (after.has_value() && query.sort == TicketSort::kPriorityThenOldest) {
    // k1 = -priority, so "after (k1, k2, id)" is: the same priority p and a
    // later (created_us, id), or any lower priority. As one OR that is a scan
    // from the start of priority p; as two index ranges merged in order
    // (UNION ALL, no sort) it is a seek, however deep the page. A forged
    // k1 = INT64_MIN maps to p = INT64_MAX, above every stored int32
    // priority, as -INT64_MIN would be.
    const int64_t p = after->k1 == kMinMicros ? kMaxMicros : -after->k1;
    Builder same(dialect, &out.params);
    AddFilters(same, query);
    same.Where(absl::StrCat("priority = ", same.Int(p)));
    same.Where(RowAfter(same, "created_us", ">", after->k2, after->id));
    Builder lower(dialect, &out.params);
    AddFilters(lower, query);
    lower.Where(absl::StrCat("priority < ", lower.Int(p)));
    constexpr absl::string_view kColumns = "id, version, proto, priority, created_us";
    const absl::string_view open = dialect.parenthesize_union ? "(" : "";
    const absl::string_view close = dialect.parenthesize_union ? ")" : "";
    std::string limit = Builder(dialect, &out.params).Int(fetch);
    out.sql = absl::StrCat(open, same.Select(kColumns), close, " UNION ALL ", open,
                           lower.Select(kColumns), close, " ORDER BY ", OrderBy(query.sort),
                           " LIMIT ", limit);
    return out;
  }
  Builder b(dialect, &out.params);
  AddFilters(b, query);
  if (after.has_value()) AddCursor(b, query.sort, *after);
  std::string limit = b.Int(fetch);
  out.sql = absl::StrCat(b.Select("id, version, proto"), " ORDER BY ", OrderBy(query.sort),
                         " LIMIT ", limit);
  return out;
}

TicketQuerySql BuildTicketSelectAll(const TicketQuery& query, const TicketSqlDialect& dialect,
                                    absl::string_view columns) {
  TicketQuerySql out;
  Builder b(dialect, &out.params);
  AddFilters(b, query);
  out.sql = b.Select(columns);
  return out;
}

}  // namespace helpdesk::internal
