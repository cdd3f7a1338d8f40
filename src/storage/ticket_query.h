// Internal: the parts of TicketQuery semantics every built-in store shares, so
// that they agree exactly: validation, sort keys, cursor encoding, and the
// in-memory predicate (used by MemoryStore and as the reference in tests).
// Exported (HELPDESK_EXPORT) for helpdesk's other components (sqlite, email),
// which link core as a shared library too; not part of the public API.
#ifndef HELPDESK_SRC_STORAGE_TICKET_QUERY_H_
#define HELPDESK_SRC_STORAGE_TICKET_QUERY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/v1/view.pb.h"

namespace helpdesk::internal {

// Every sort is a lexicographic order on (k1, k2, id), ascending or
// descending as a whole:
//   kCreatedAsc/Desc:     (created_us, 0, id)
//   kUpdatedAsc/Desc:     (updated_us, 0, id)
//   kPriorityThenOldest:  (-priority, created_us, id) ascending
//   kIdAsc:               (0, 0, id)
//   kSlaDeadlineAsc:      (deadline_us or INT64_MAX when unset, 0, id)
struct SortKey {
  int64_t k1 = 0;
  int64_t k2 = 0;
  int64_t id = 0;
  friend bool operator==(const SortKey&, const SortKey&) = default;
  friend auto operator<=>(const SortKey&, const SortKey&) = default;
};

HELPDESK_EXPORT SortKey SortKeyOf(const v1::Ticket& ticket, TicketSort sort);
HELPDESK_EXPORT bool IsDescending(TicketSort sort);

// True when `a` comes strictly before `b` in the order of `sort`.
HELPDESK_EXPORT bool ComesBefore(const SortKey& a, const SortKey& b, TicketSort sort);

// The cursor that resumes after `last` (the last ticket of a page).
HELPDESK_EXPORT std::string EncodeCursor(TicketSort sort, const v1::Ticket& last);

// Parses a cursor made by EncodeCursor for the same sort. Errors:
// InvalidArgument naming the cursor when it is malformed or was made for a
// different sort.
HELPDESK_EXPORT absl::StatusOr<SortKey> DecodeCursor(absl::string_view cursor, TicketSort sort);

// Checks the limit and the cursor. Errors: InvalidArgument naming the field.
HELPDESK_EXPORT absl::Status ValidateQuery(const TicketQuery& query);

// True when the ticket passes every filter of `query` (not the cursor).
HELPDESK_EXPORT bool TicketMatches(const TicketQuery& query, const v1::Ticket& ticket);

// True when `value` equals `wanted` under CustomFieldFilter's rules (a text
// `wanted` also matches a choices value holding it).
HELPDESK_EXPORT bool CustomFieldValueMatches(const v1::CustomFieldValue& value,
                                             const v1::CustomFieldValue& wanted);

// True when the ticket passes `filter` (see CustomFieldFilter).
HELPDESK_EXPORT bool CustomFieldFilterMatches(const CustomFieldFilter& filter,
                                              const v1::Ticket& ticket);

// True when the ticket passes the filters that no SQL column holds (types,
// channels, custom fields): SqliteStore evaluates these in its SQL function
// helpdesk_ticket_filter over the stored proto.
HELPDESK_EXPORT bool TicketMatchesProtoFilters(const TicketQuery& query,
                                               const v1::Ticket& ticket);

// The stored form of a query's filters (v1::TicketFilter, saved views and
// SqliteStore's SQL function) and back. The sort, page, cursor, time ranges,
// include_merged and visibility are not part of a filter; FilterToQuery
// leaves them at their defaults. assignee_is_viewer is the caller's to
// resolve (FilterToQuery ignores it).
HELPDESK_EXPORT v1::TicketFilter QueryToFilter(const TicketQuery& query);
HELPDESK_EXPORT TicketQuery FilterToQuery(const v1::TicketFilter& filter);

// ASCII-case-insensitive substring test, the subject_contains semantics.
HELPDESK_EXPORT bool ContainsIgnoringAsciiCase(absl::string_view haystack,
                               absl::string_view needle);

// True for a 64-character lower-case hexadecimal string.
HELPDESK_EXPORT bool IsSha256Hex(absl::string_view s);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_TICKET_QUERY_H_
