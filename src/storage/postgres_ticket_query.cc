#include "storage/postgres_ticket_query.h"

#include <algorithm>
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

// Collects conditions; numbers parameters $1, $2, ... across every part of
// one statement (a UNION ALL shares the numbering).
class Builder {
 public:
  explicit Builder(std::vector<PgTicketSql::Value>* values) : values_(values) {}

  void Where(std::string condition) { conditions_.push_back(std::move(condition)); }

  std::string Int(int64_t v) {
    values_->push_back({true, v, {}});
    return absl::StrCat("$", values_->size());
  }
  std::string Bytes(std::string v) {
    values_->push_back({false, 0, std::move(v)});
    return absl::StrCat("$", values_->size());
  }

  template <typename Values, typename Add>
  std::string In(absl::string_view column, const Values& values, Add add) {
    std::vector<std::string> marks;
    for (const auto& v : values) marks.push_back(add(v));
    if (marks.size() == 1) return absl::StrCat(column, " = ", marks[0]);
    return absl::StrCat(column, " IN (", absl::StrJoin(marks, ", "), ")");
  }

  const std::vector<std::string>& conditions() const { return conditions_; }

 private:
  std::vector<PgTicketSql::Value>* values_;
  std::vector<std::string> conditions_;
};

int64_t CeilMicros(absl::Time t) {
  int64_t m = absl::ToUnixMicros(t);  // floor
  if (absl::FromUnixMicros(m) < t) ++m;
  return m;
}

// range.from <= FromUnixMicros(m) < range.to, as TimeRange::Contains.
void AddTimeRange(Builder& b, absl::string_view column, const TimeRange& range) {
  const absl::Time lowest = absl::FromUnixMicros(kMinMicros);
  const absl::Time highest = absl::FromUnixMicros(kMaxMicros);
  if (range.from > highest || range.to <= lowest || range.to <= range.from) {
    b.Where("FALSE");
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
    if (g != 0) groups.push_back(g);
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
    b.Where("FALSE");
    return;
  }
  b.Where(absl::StrCat("(", absl::StrJoin(any, " OR "), ")"));
}

std::string RowAfter(Builder& b, absl::string_view column, absl::string_view op,
                     int64_t k1, int64_t id) {
  std::string first = b.Int(k1);
  std::string second = b.Int(id);
  return absl::StrCat("(", column, ", id) ", op, " (", first, ", ", second, ")");
}

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
      return "sla_deadline_us, id";
    case TicketSort::kIdAsc:
    default:
      return "id";
  }
}

void AddFilters(Builder& b, const TicketQuery& query) {
  if (!query.statuses.empty()) {
    b.Where(b.In("status", query.statuses,
                 [&](const std::string& s) { return b.Bytes(s); }));
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
        b.Bytes(tag), ")"));
  }
  if (!query.subject_contains.empty()) {
    // subject_folded holds the subject with ASCII letters lower-cased, as
    // bytes: position() on bytea is ContainsIgnoringAsciiCase, no wildcards.
    b.Where(absl::StrCat("position(",
                         b.Bytes(absl::AsciiStrToLower(query.subject_contains)),
                         " in subject_folded) > 0"));
  }
  AddTimeRange(b, "created_us", query.created);
  AddTimeRange(b, "updated_us", query.updated);
  if (query.sla_deadline.has_value()) {
    b.Where("sla_deadline_us < 9223372036854775807");
    AddTimeRange(b, "sla_deadline_us", *query.sla_deadline);
  }
  if (!query.priorities.empty()) {
    b.Where(b.In("priority", query.priorities,
                 [&](v1::Priority p) { return b.Int(p); }));
  }
  // types, channels and custom_fields have no column: the caller applies
  // them to the stored protos (PgTicketSql::proto_filters).
  if (!query.include_merged) b.Where("merged_into = 0");
  if (query.visible_to.has_value()) AddVisibility(b, *query.visible_to);
}

std::string Select(absl::string_view columns, const Builder& b) {
  std::string sql = absl::StrCat("SELECT ", columns, " FROM tickets");
  if (!b.conditions().empty()) {
    absl::StrAppend(&sql, " WHERE ", absl::StrJoin(b.conditions(), " AND "));
  }
  return sql;
}

bool HasProtoFilters(const TicketQuery& query) {
  return !query.types.empty() || !query.channels.empty() ||
         !query.custom_fields.empty();
}

}  // namespace

absl::StatusOr<PgTicketSql> BuildPgTicketQuerySql(const TicketQuery& query) {
  HELPDESK_RETURN_IF_ERROR(ValidateQuery(query));
  std::optional<SortKey> after;
  if (!query.cursor.empty()) {
    HELPDESK_ASSIGN_OR_RETURN(after, DecodeCursor(query.cursor, query.sort));
  }
  PgTicketSql out;
  out.proto_filters = HasProtoFilters(query);
  // With proto filters the rows are a scan the caller filters and continues
  // by cursor, a batch at a time.
  const int64_t fetch =
      out.proto_filters
          ? std::max<int64_t>(static_cast<int64_t>(query.limit) + 1, kPgProtoFilterBatch)
          : static_cast<int64_t>(query.limit) + 1;
  out.fetch = fetch;
  if (after.has_value() && query.sort == TicketSort::kPriorityThenOldest) {
    // k1 = -priority: the same priority and a later (created_us, id), or any
    // lower priority; two index ranges merged in order.
    const int64_t p = after->k1 == kMinMicros ? kMaxMicros : -after->k1;
    Builder same(&out.values);
    AddFilters(same, query);
    same.Where(absl::StrCat("priority = ", same.Int(p)));
    same.Where(RowAfter(same, "created_us", ">", after->k2, after->id));
    Builder lower(&out.values);
    AddFilters(lower, query);
    lower.Where(absl::StrCat("priority < ", lower.Int(p)));
    constexpr absl::string_view kColumns = "id, version, proto, priority, created_us";
    Builder tail(&out.values);
    std::string limit = tail.Int(fetch);
    out.sql = absl::StrCat("(", Select(kColumns, same), ") UNION ALL (",
                           Select(kColumns, lower), ") ORDER BY ",
                           OrderBy(query.sort), " LIMIT ", limit);
    return out;
  }
  Builder b(&out.values);
  AddFilters(b, query);
  if (after.has_value()) AddCursor(b, query.sort, *after);
  std::string limit = b.Int(fetch);
  out.sql = absl::StrCat(Select("id, version, proto", b), " ORDER BY ",
                         OrderBy(query.sort), " LIMIT ", limit);
  return out;
}

PgTicketSql BuildPgTicketCountSql(const TicketQuery& query) {
  PgTicketSql out;
  out.proto_filters = HasProtoFilters(query);
  Builder b(&out.values);
  AddFilters(b, query);
  out.sql = Select(out.proto_filters ? "id, version, proto" : "COUNT(*)", b);
  return out;
}

}  // namespace helpdesk::internal
