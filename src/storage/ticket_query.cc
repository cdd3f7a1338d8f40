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

bool CustomFieldValueMatches(const v1::CustomFieldValue& value,
                             const v1::CustomFieldValue& wanted) {
  using V = v1::CustomFieldValue;
  if (wanted.value_case() == V::kText && value.value_case() == V::kChoices) {
    return ContainsValue(value.choices().values(), wanted.text());
  }
  if (value.value_case() != wanted.value_case()) return false;
  switch (value.value_case()) {
    case V::kText:
      return value.text() == wanted.text();
    case V::kInteger:
      return value.integer() == wanted.integer();
    case V::kDecimal:
      return value.decimal() == wanted.decimal();
    case V::kFlag:
      return value.flag() == wanted.flag();
    case V::kTime:
      return value.time().seconds() == wanted.time().seconds() &&
             value.time().nanos() == wanted.time().nanos();
    case V::kChoices:
      return std::equal(value.choices().values().begin(),
                        value.choices().values().end(),
                        wanted.choices().values().begin(),
                        wanted.choices().values().end());
    case V::VALUE_NOT_SET:
      return false;
  }
  return false;
}

bool CustomFieldFilterMatches(const CustomFieldFilter& f, const v1::Ticket& t) {
  auto it = t.custom_fields().find(f.name);
  if (it == t.custom_fields().end()) return false;
  if (f.any_of.empty()) return true;
  for (const v1::CustomFieldValue& wanted : f.any_of) {
    if (CustomFieldValueMatches(it->second, wanted)) return true;
  }
  return false;
}

bool TicketMatchesProtoFilters(const TicketQuery& q, const v1::Ticket& t) {
  if (!q.types.empty() && !ContainsValue(q.types, t.type())) return false;
  if (!q.channels.empty() && !ContainsValue(q.channels, t.channel())) return false;
  for (const CustomFieldFilter& f : q.custom_fields) {
    if (!CustomFieldFilterMatches(f, t)) return false;
  }
  return true;
}

bool TicketMatches(const TicketQuery& q, const v1::Ticket& t) {
  if (!q.priorities.empty() && !ContainsValue(q.priorities, t.priority())) {
    return false;
  }
  if (!TicketMatchesProtoFilters(q, t)) return false;
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

v1::TicketFilter QueryToFilter(const TicketQuery& q) {
  v1::TicketFilter f;
  for (const std::string& s : q.statuses) f.add_statuses(s);
  for (v1::StatusCategory c : q.status_categories) f.add_status_categories(c);
  if (q.assignee_id) f.set_assignee_id(*q.assignee_id);
  if (q.group_id) f.set_group_id(*q.group_id);
  for (const std::string& t : q.tags) f.add_tags(t);
  if (q.requester_id) f.set_requester_id(*q.requester_id);
  if (q.organization_id) f.set_organization_id(*q.organization_id);
  f.set_subject_contains(q.subject_contains);
  for (v1::Priority p : q.priorities) f.add_priorities(p);
  for (v1::TicketType t : q.types) f.add_types(t);
  for (v1::Channel c : q.channels) f.add_channels(c);
  for (const CustomFieldFilter& cf : q.custom_fields) {
    v1::CustomFieldFilter* out = f.add_custom_fields();
    out->set_name(cf.name);
    for (const v1::CustomFieldValue& v : cf.any_of) *out->add_any_of() = v;
  }
  return f;
}

TicketQuery FilterToQuery(const v1::TicketFilter& f) {
  TicketQuery q;
  q.statuses.assign(f.statuses().begin(), f.statuses().end());
  for (int c : f.status_categories()) {
    q.status_categories.push_back(static_cast<v1::StatusCategory>(c));
  }
  if (f.has_assignee_id()) q.assignee_id = f.assignee_id();
  if (f.has_group_id()) q.group_id = f.group_id();
  q.tags.assign(f.tags().begin(), f.tags().end());
  if (f.has_requester_id()) q.requester_id = f.requester_id();
  if (f.has_organization_id()) q.organization_id = f.organization_id();
  q.subject_contains = f.subject_contains();
  for (int p : f.priorities()) q.priorities.push_back(static_cast<v1::Priority>(p));
  for (int t : f.types()) q.types.push_back(static_cast<v1::TicketType>(t));
  for (int c : f.channels()) q.channels.push_back(static_cast<v1::Channel>(c));
  for (const v1::CustomFieldFilter& cf : f.custom_fields()) {
    CustomFieldFilter& out = q.custom_fields.emplace_back();
    out.name = cf.name();
    out.any_of.assign(cf.any_of().begin(), cf.any_of().end());
  }
  return q;
}

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace helpdesk::internal
