#include "storage/ticket_query.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "helpdesk/timestamp.h"

namespace helpdesk::internal {

SortKey SortKeyOf(const v1::Ticket& t, TicketSort sort) {
  switch (sort) {
    case TicketSort::kCreatedAsc:
    case TicketSort::kCreatedDesc:
      return {TimestampToMicros(t.created_at()), 0, t.id()};
    case TicketSort::kUpdatedAsc:
    case TicketSort::kUpdatedDesc:
      return {TimestampToMicros(t.updated_at()), 0, t.id()};
    case TicketSort::kPriorityThenOldest:
      return {-static_cast<int64_t>(t.priority()),
              TimestampToMicros(t.created_at()), t.id()};
    case TicketSort::kIdAsc:
      return {0, 0, t.id()};
    case TicketSort::kSlaDeadlineAsc:
      return {t.has_sla_next_deadline() ? TimestampToMicros(t.sla_next_deadline())
                                        : std::numeric_limits<int64_t>::max(),
              0, t.id()};
  }
  return {0, 0, t.id()};
}

bool IsDescending(TicketSort sort) {
  return sort == TicketSort::kCreatedDesc || sort == TicketSort::kUpdatedDesc;
}

bool ComesBefore(const SortKey& a, const SortKey& b, TicketSort sort) {
  return IsDescending(sort) ? b < a : a < b;
}

namespace {
constexpr absl::string_view kCursorPrefix = "c1";
}  // namespace

std::string EncodeCursor(TicketSort sort, const v1::Ticket& last) {
  SortKey k = SortKeyOf(last, sort);
  return absl::StrCat(kCursorPrefix, ".", static_cast<int>(sort), ".", k.k1, ".",
                      k.k2, ".", k.id);
}

absl::StatusOr<SortKey> DecodeCursor(absl::string_view cursor, TicketSort sort) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("cursor '", absl::CHexEscape(cursor.substr(0, 80)),
                     "' is not valid for this query: ", why));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(cursor, '.');
  if (parts.size() != 5 || parts[0] != kCursorPrefix) return bad("malformed");
  int sort_number = -1;
  SortKey k;
  if (!absl::SimpleAtoi(parts[1], &sort_number) ||
      !absl::SimpleAtoi(parts[2], &k.k1) || !absl::SimpleAtoi(parts[3], &k.k2) ||
      !absl::SimpleAtoi(parts[4], &k.id)) {
    return bad("malformed");
  }
  if (sort_number != static_cast<int>(sort)) {
    return bad("it was made for a different sort order");
  }
  return k;
}

absl::Status ValidateQuery(const TicketQuery& query) {
  if (query.limit < 1 || query.limit > kMaxQueryLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", query.limit, " is out of range [1, ",
                     kMaxQueryLimit, "]"));
  }
  if (!query.cursor.empty()) {
    absl::StatusOr<SortKey> k = DecodeCursor(query.cursor, query.sort);
    if (!k.ok()) return k.status();
  }
  return absl::OkStatus();
}

bool ContainsIgnoringAsciiCase(absl::string_view haystack,
                               absl::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() &&
           absl::ascii_tolower(static_cast<unsigned char>(haystack[i + j])) ==
               absl::ascii_tolower(static_cast<unsigned char>(needle[j]))) {
      ++j;
    }
    if (j == needle.size()) return true;
  }
  return false;
}

namespace {

template <typename C, typename T>
bool ContainsValue(const C& c, const T& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

bool Visible(const TicketVisibility& v, const v1::Ticket& t) {
  if (v.contact_id.has_value() &&
      (t.requester_id() == *v.contact_id ||
       ContainsValue(t.cc_contact_ids(), *v.contact_id))) {
    return true;
  }
  if (t.group_id() != 0 && ContainsValue(v.group_ids, t.group_id())) return true;
  if (v.assignee_id.has_value() && t.assignee_id() == *v.assignee_id) {
    return true;
  }
  if (v.ticket_id.has_value() && t.id() == *v.ticket_id) return true;
  return false;
}

}  // namespace

bool TicketMatches(const TicketQuery& q, const v1::Ticket& t) {
  if (!q.statuses.empty() && !ContainsValue(q.statuses, t.status())) return false;
  if (!q.status_categories.empty() &&
      !ContainsValue(q.status_categories, t.status_category())) {
    return false;
  }
  if (q.assignee_id && t.assignee_id() != *q.assignee_id) return false;
  if (q.group_id && t.group_id() != *q.group_id) return false;
  for (const std::string& tag : q.tags) {
    if (!ContainsValue(t.tags(), tag)) return false;
  }
  if (q.requester_id && t.requester_id() != *q.requester_id) return false;
  if (q.organization_id && t.organization_id() != *q.organization_id) {
    return false;
  }
  if (!ContainsIgnoringAsciiCase(t.subject(), q.subject_contains)) return false;
  if (!q.created.Contains(FromTimestamp(t.created_at()))) return false;
  if (!q.updated.Contains(FromTimestamp(t.updated_at()))) return false;
  if (q.sla_deadline && (!t.has_sla_next_deadline() ||
                         !q.sla_deadline->Contains(
                             FromTimestamp(t.sla_next_deadline())))) {
    return false;
  }
  if (!q.include_merged && t.merged_into() != 0) return false;
  if (q.visible_to && !Visible(*q.visible_to, t)) return false;
  return true;
}

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace helpdesk::internal
