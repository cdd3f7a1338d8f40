// Internals of the Store conformance suite (helpdesk::store_conformance):
// the reference semantics of QueryTickets in plain C++, matchers, and the
// test data every area's tests share. Not installed; hosts see only
// helpdesk/testing/store_conformance.h.
#ifndef HELPDESK_TESTING_STORE_CONFORMANCE_INTERNAL_H_
#define HELPDESK_TESTING_STORE_CONFORMANCE_INTERNAL_H_


#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "helpdesk/store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk::testing {

namespace store_conformance_internal {

inline constexpr TicketSort kAllSorts[] = {
    TicketSort::kCreatedAsc,         TicketSort::kCreatedDesc,
    TicketSort::kUpdatedAsc,         TicketSort::kUpdatedDesc,
    TicketSort::kPriorityThenOldest, TicketSort::kIdAsc,
    TicketSort::kSlaDeadlineAsc,
};

inline std::string SortName(TicketSort sort) {
  switch (sort) {
    case TicketSort::kCreatedAsc:
      return "kCreatedAsc";
    case TicketSort::kCreatedDesc:
      return "kCreatedDesc";
    case TicketSort::kUpdatedAsc:
      return "kUpdatedAsc";
    case TicketSort::kUpdatedDesc:
      return "kUpdatedDesc";
    case TicketSort::kPriorityThenOldest:
      return "kPriorityThenOldest";
    case TicketSort::kIdAsc:
      return "kIdAsc";
    case TicketSort::kSlaDeadlineAsc:
      return "kSlaDeadlineAsc";
  }
  return absl::StrCat("TicketSort(", static_cast<int>(sort), ")");
}

// Every time in the suite is a whole number of microseconds after this one
// (2026-01-05 08:00:00 UTC), so values survive any store unchanged.
inline absl::Time BaseTime() { return absl::FromUnixSeconds(1767600000); }
inline absl::Time Minute(int64_t minutes) {
  return BaseTime() + absl::Minutes(minutes);
}
inline google::protobuf::Timestamp AtMinute(int64_t minutes) {
  return ToTimestamp(Minute(minutes));
}

// A SHA-256 address in the store's format (lower-case hex, 64 characters).
// The store does not hash, so any well-formed address will do.
inline std::string Sha256Of(char digit) { return std::string(64, digit); }

// Compares two protos field by field and prints the differences.
MATCHER_P(EqualsProto, expected,
          std::string(negation ? "does not equal " : "equals ") +
              expected.ShortDebugString()) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << "which differs: " << differences;
  return false;
}

// Matches an OK absl::StatusOr<T> whose value matches `value_matcher` (a
// matcher or a value to compare with ==).
MATCHER_P(IsOkAndHolds, value_matcher,
          std::string(negation ? "is not OK or holds a value that does not "
                                 "match"
                               : "is OK and holds a matching value")) {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  ::testing::StringMatchResultListener inner;
  const bool matches =
      ::testing::ExplainMatchResult(value_matcher, *arg, &inner);
  *result_listener << "whose value is " << ::testing::PrintToString(*arg);
  if (!inner.str().empty()) *result_listener << ", " << inner.str();
  return matches;
}

// Matches a string that contains `n` as a whole number (not as part of a
// longer one): a message naming version 12 mentions 12 but not 1.
MATCHER_P(MentionsNumber, n,
          std::string(negation ? "does not mention " : "mentions ") +
              ::testing::PrintToString(n)) {
  const std::string text(arg);
  const std::string want = absl::StrCat(n);
  size_t i = 0;
  while (i < text.size()) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(text[end]))) {
      ++end;
    }
    if (text.compare(i, end - i, want) == 0) return true;
    i = end;
  }
  return false;
}

// --- The reference semantics of QueryTickets, written out in plain C++ -------

struct ReferenceSortKey {
  int64_t k1 = 0;
  int64_t k2 = 0;
  int64_t id = 0;
  friend bool operator==(const ReferenceSortKey&,
                         const ReferenceSortKey&) = default;
  friend auto operator<=>(const ReferenceSortKey&,
                          const ReferenceSortKey&) = default;
};

inline ReferenceSortKey SortKeyOf(const v1::Ticket& t, TicketSort sort) {
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

// True when `a` comes strictly before `b` in the order `sort`.
inline bool ComesBefore(const v1::Ticket& a, const v1::Ticket& b,
                        TicketSort sort) {
  const ReferenceSortKey ka = SortKeyOf(a, sort);
  const ReferenceSortKey kb = SortKeyOf(b, sort);
  const bool descending =
      sort == TicketSort::kCreatedDesc || sort == TicketSort::kUpdatedDesc;
  return descending ? kb < ka : ka < kb;
}

inline bool ContainsAsciiFolded(absl::string_view haystack,
                                absl::string_view needle) {
  auto fold = [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  };
  for (size_t start = 0; start + needle.size() <= haystack.size(); ++start) {
    size_t j = 0;
    while (j < needle.size() && fold(haystack[start + j]) == fold(needle[j])) {
      ++j;
    }
    if (j == needle.size()) return true;
  }
  return false;
}

template <typename Container, typename Value>
bool Has(const Container& c, const Value& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

inline bool ReferenceMatches(const TicketQuery& q, const v1::Ticket& t) {
  if (!q.statuses.empty() && !Has(q.statuses, t.status())) return false;
  if (!q.status_categories.empty() &&
      !Has(q.status_categories, t.status_category())) {
    return false;
  }
  if (q.assignee_id.has_value() && t.assignee_id() != *q.assignee_id) {
    return false;
  }
  if (q.group_id.has_value() && t.group_id() != *q.group_id) return false;
  for (const std::string& tag : q.tags) {
    if (!Has(t.tags(), tag)) return false;
  }
  if (q.requester_id.has_value() && t.requester_id() != *q.requester_id) {
    return false;
  }
  if (q.organization_id.has_value() &&
      t.organization_id() != *q.organization_id) {
    return false;
  }
  if (!ContainsAsciiFolded(t.subject(), q.subject_contains)) return false;
  if (!q.priorities.empty() && !Has(q.priorities, t.priority())) return false;
  if (!q.types.empty() && !Has(q.types, t.type())) return false;
  if (!q.channels.empty() && !Has(q.channels, t.channel())) return false;
  if (!q.created.Contains(FromTimestamp(t.created_at()))) return false;
  if (!q.updated.Contains(FromTimestamp(t.updated_at()))) return false;
  if (q.sla_deadline.has_value() &&
      (!t.has_sla_next_deadline() ||
       !q.sla_deadline->Contains(FromTimestamp(t.sla_next_deadline())))) {
    return false;
  }
  if (!q.include_merged && t.merged_into() != 0) return false;
  if (q.visible_to.has_value()) {
    const TicketVisibility& v = *q.visible_to;
    const bool as_contact =
        v.contact_id.has_value() && (t.requester_id() == *v.contact_id ||
                                     Has(t.cc_contact_ids(), *v.contact_id));
    const bool as_group = t.group_id() != 0 && Has(v.group_ids, t.group_id());
    const bool as_assignee =
        v.assignee_id.has_value() && t.assignee_id() == *v.assignee_id;
    const bool as_ticket = v.ticket_id.has_value() && t.id() == *v.ticket_id;
    if (!as_contact && !as_group && !as_assignee && !as_ticket) return false;
  }
  return true;
}

// The ids QueryTickets must return for `q`, in order, over `tickets`.
inline std::vector<int64_t> ReferenceQuery(
    const std::vector<v1::Ticket>& tickets, const TicketQuery& q) {
  std::vector<const v1::Ticket*> hits;
  for (const v1::Ticket& t : tickets) {
    if (ReferenceMatches(q, t)) hits.push_back(&t);
  }
  std::sort(hits.begin(), hits.end(),
            [&q](const v1::Ticket* a, const v1::Ticket* b) {
              return ComesBefore(*a, *b, q.sort);
            });
  std::vector<int64_t> ids;
  ids.reserve(hits.size());
  for (const v1::Ticket* t : hits) ids.push_back(t->id());
  return ids;
}

// A readable rendering of a query for failure messages.
inline std::string DescribeQuery(const TicketQuery& q) {
  std::string out =
      absl::StrCat("{sort=", SortName(q.sort), " limit=", q.limit);
  if (!q.statuses.empty()) {
    absl::StrAppend(&out, " statuses=[", absl::StrJoin(q.statuses, ","), "]");
  }
  if (!q.status_categories.empty()) {
    absl::StrAppend(&out, " categories=[");
    for (v1::StatusCategory c : q.status_categories) {
      absl::StrAppend(&out, static_cast<int>(c), ",");
    }
    absl::StrAppend(&out, "]");
  }
  if (q.assignee_id) absl::StrAppend(&out, " assignee=", *q.assignee_id);
  if (q.group_id) absl::StrAppend(&out, " group=", *q.group_id);
  if (!q.tags.empty()) {
    absl::StrAppend(&out, " tags=[", absl::StrJoin(q.tags, ","), "]");
  }
  if (q.requester_id) absl::StrAppend(&out, " requester=", *q.requester_id);
  if (q.organization_id) {
    absl::StrAppend(&out, " organization=", *q.organization_id);
  }
  if (!q.subject_contains.empty()) {
    absl::StrAppend(&out, " subject_contains='",
                    absl::CHexEscape(q.subject_contains), "'");
  }
  if (q.created.from != absl::InfinitePast() ||
      q.created.to != absl::InfiniteFuture()) {
    absl::StrAppend(&out, " created=[", absl::FormatTime(q.created.from), ", ",
                    absl::FormatTime(q.created.to), ")");
  }
  if (q.updated.from != absl::InfinitePast() ||
      q.updated.to != absl::InfiniteFuture()) {
    absl::StrAppend(&out, " updated=[", absl::FormatTime(q.updated.from), ", ",
                    absl::FormatTime(q.updated.to), ")");
  }
  if (q.include_merged) absl::StrAppend(&out, " include_merged");
  if (q.visible_to) {
    absl::StrAppend(&out, " visible_to={");
    if (q.visible_to->contact_id) {
      absl::StrAppend(&out, "contact=", *q.visible_to->contact_id, " ");
    }
    absl::StrAppend(&out, "groups=[",
                    absl::StrJoin(q.visible_to->group_ids, ","), "]");
    if (q.visible_to->assignee_id) {
      absl::StrAppend(&out, " assignee=", *q.visible_to->assignee_id);
    }
    if (q.visible_to->ticket_id) {
      absl::StrAppend(&out, " ticket=", *q.visible_to->ticket_id);
    }
    absl::StrAppend(&out, "}");
  }
  if (!q.cursor.empty()) {
    absl::StrAppend(&out, " cursor='", absl::CHexEscape(q.cursor), "'");
  }
  absl::StrAppend(&out, "}");
  return out;
}

// --- Test data -------------------------------------------------------------

// A plain open ticket created (and last updated) `minute` minutes after
// BaseTime().
inline v1::Ticket MakeTicket(absl::string_view subject, int64_t minute = 0) {
  v1::Ticket t;
  t.set_subject(std::string(subject));
  t.set_status("open");
  t.set_status_category(v1::STATUS_CATEGORY_OPEN);
  t.set_priority(v1::PRIORITY_NORMAL);
  t.set_type(v1::TICKET_TYPE_QUESTION);
  t.set_requester_id(1);
  t.set_channel(v1::CHANNEL_EMAIL);
  *t.mutable_created_at() = AtMinute(minute);
  *t.mutable_updated_at() = AtMinute(minute);
  return t;
}

// A ticket with every field set, to check that a store keeps all of them.
inline v1::Ticket MakeRichTicket() {
  v1::Ticket t = MakeTicket("Printer on 3rd floor jams \xE2\x80\x94 again", 3);
  t.set_status("waiting on vendor");
  t.set_status_category(v1::STATUS_CATEGORY_ON_HOLD);
  t.set_priority(v1::PRIORITY_HIGH);
  t.set_type(v1::TICKET_TYPE_INCIDENT);
  t.add_tags("hardware");
  t.add_tags("printer");
  (*t.mutable_custom_fields())["asset_tag"].set_text("PRN-0042");
  (*t.mutable_custom_fields())["pages"].set_integer(-17);
  (*t.mutable_custom_fields())["cost"].set_decimal(12.5);
  (*t.mutable_custom_fields())["under_warranty"].set_flag(true);
  *(*t.mutable_custom_fields())["due"].mutable_time() = AtMinute(600);
  v1::CustomFieldValue::StringList* choices =
      (*t.mutable_custom_fields())["floors"].mutable_choices();
  choices->add_values("2");
  choices->add_values("3");
  t.set_requester_id(41);
  t.set_organization_id(7);
  t.set_assignee_id(5);
  t.set_group_id(3);
  t.set_channel(v1::CHANNEL_WEB_FORM);
  t.add_cc_contact_ids(43);
  t.add_cc_contact_ids(42);
  t.add_follower_agent_ids(6);
  v1::TicketLink* link = t.add_links();
  link->set_kind(v1::TicketLink::CHILD_OF);
  link->set_ticket_id(99);
  *t.mutable_updated_at() = ToTimestamp(Minute(9) + absl::Microseconds(123457));
  *t.mutable_solved_at() = AtMinute(8);
  t.set_message_count(4);
  return t;
}

inline v1::Message MakeMessage(int64_t ticket_id, absl::string_view body) {
  v1::Message m;
  m.set_ticket_id(ticket_id);
  m.set_kind(v1::Message::CUSTOMER_MESSAGE);
  m.mutable_author()->set_kind(v1::Actor::CONTACT);
  m.mutable_author()->set_id(1);
  m.set_body_text(std::string(body));
  m.set_channel(v1::CHANNEL_EMAIL);
  *m.mutable_created_at() = AtMinute(1);
  return m;
}

inline v1::Event MakeEvent(int64_t ticket_id, v1::Event::Kind kind) {
  v1::Event e;
  e.set_ticket_id(ticket_id);
  e.set_kind(kind);
  e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
  *e.mutable_time() = AtMinute(2);
  e.set_ticket_version(1);
  return e;
}

inline v1::Contact MakeContact(absl::string_view name,
                               absl::string_view email) {
  v1::Contact c;
  c.set_name(std::string(name));
  v1::ContactIdentity* identity = c.add_identities();
  identity->set_kind(v1::ContactIdentity::EMAIL);
  identity->set_value(std::string(email));
  *c.mutable_created_at() = AtMinute(0);
  *c.mutable_updated_at() = AtMinute(0);
  return c;
}

inline v1::Agent MakeAgent(absl::string_view name, absl::string_view email) {
  v1::Agent a;
  a.set_name(std::string(name));
  a.set_email(std::string(email));
  a.set_role(v1::Agent::AGENT);
  *a.mutable_created_at() = AtMinute(0);
  return a;
}

inline v1::Group MakeGroup(absl::string_view name) {
  v1::Group g;
  g.set_name(std::string(name));
  *g.mutable_created_at() = AtMinute(0);
  return g;
}

inline v1::Organization MakeOrganization(absl::string_view name) {
  v1::Organization o;
  o.set_name(std::string(name));
  *o.mutable_created_at() = AtMinute(0);
  return o;
}

inline std::vector<int64_t> IdsOf(const std::vector<v1::Ticket>& tickets) {
  std::vector<int64_t> ids;
  ids.reserve(tickets.size());
  for (const v1::Ticket& t : tickets) ids.push_back(t.id());
  return ids;
}

template <typename T>
std::vector<int64_t> IdsOfList(const std::vector<T>& items) {
  std::vector<int64_t> ids;
  ids.reserve(items.size());
  for (const T& item : items) ids.push_back(item.id());
  return ids;
}

// One committed object of each kind, for the tests that call everything.
struct CommittedObjects {
  v1::Ticket ticket;
  v1::Message message;
  v1::Event event;
  v1::Contact contact;
  v1::Organization organization;
  v1::Agent agent;
  v1::Group group;
};

// Expects every read of `tx` to fail with FailedPrecondition.
inline void ExpectEveryReadRefused(Transaction& tx, const CommittedObjects& c) {
  constexpr absl::StatusCode kRefused = absl::StatusCode::kFailedPrecondition;
  EXPECT_THAT(tx.GetTicket(c.ticket.id()), StatusIs(kRefused));
  EXPECT_THAT(tx.QueryTickets(TicketQuery()), StatusIs(kRefused));
  EXPECT_THAT(tx.GetMessage(c.message.id()), StatusIs(kRefused));
  EXPECT_THAT(tx.ListMessages(c.ticket.id()), StatusIs(kRefused));
  EXPECT_THAT(tx.ListTicketEvents(c.ticket.id(), 0, 0), StatusIs(kRefused));
  EXPECT_THAT(tx.ListEventsSince(0, 10), StatusIs(kRefused));
  EXPECT_THAT(tx.GetContact(c.contact.id()), StatusIs(kRefused));
  EXPECT_THAT(tx.FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                       c.contact.identities(0).value()),
              StatusIs(kRefused));
  EXPECT_THAT(tx.GetOrganization(c.organization.id()), StatusIs(kRefused));
  EXPECT_THAT(tx.GetAgent(c.agent.id()), StatusIs(kRefused));
  EXPECT_THAT(tx.ListAgents(), StatusIs(kRefused));
  EXPECT_THAT(tx.ListAgentEvents(c.agent.id(), 0, 0), StatusIs(kRefused));
  EXPECT_THAT(tx.GetGroup(c.group.id()), StatusIs(kRefused));
  EXPECT_THAT(tx.ListGroups(), StatusIs(kRefused));
  EXPECT_THAT(tx.GetAttachmentContent(Sha256Of('a')), StatusIs(kRefused));
  EXPECT_THAT(tx.GetIdempotencyRecord("scope", "key"), StatusIs(kRefused));
  // Tracking links (issue 15).
  EXPECT_THAT(tx.LookupTrackingToken(Sha256Of('c')), StatusIs(kRefused));
  EXPECT_THAT(tx.GetTrackingTokenOfTicket(c.ticket.id()), StatusIs(kRefused));
}

// Expects every write of `tx` to fail with FailedPrecondition. Each write
// would succeed on an open read-write transaction; ExpectNoRefusedWriteStored
// checks afterwards that none was stored.
inline void ExpectEveryWriteRefused(Transaction& tx,
                                    const CommittedObjects& c) {
  constexpr absl::StatusCode kRefused = absl::StatusCode::kFailedPrecondition;
  v1::Ticket new_ticket = MakeTicket("refused ticket");
  EXPECT_THAT(tx.InsertTicket(&new_ticket), StatusIs(kRefused));
  v1::Ticket changed = c.ticket;
  changed.set_subject("refused update");
  EXPECT_THAT(tx.UpdateTicket(&changed, c.ticket.version()),
              StatusIs(kRefused));
  v1::Message message = MakeMessage(c.ticket.id(), "refused message");
  EXPECT_THAT(tx.InsertMessage(&message), StatusIs(kRefused));
  EXPECT_THAT(tx.MoveMessages(c.ticket.id(), c.ticket.id() + 1000),
              StatusIs(kRefused));
  v1::Event event = MakeEvent(c.ticket.id(), v1::Event::FIELDS_CHANGED);
  EXPECT_THAT(tx.AppendEvent(&event), StatusIs(kRefused));
  v1::Contact contact = MakeContact("Refused", "refused@example.com");
  EXPECT_THAT(tx.InsertContact(&contact), StatusIs(kRefused));
  v1::Contact changed_contact = c.contact;
  changed_contact.set_name("Refused rename");
  EXPECT_THAT(tx.UpdateContact(&changed_contact, c.contact.version()),
              StatusIs(kRefused));
  v1::Organization organization = MakeOrganization("Refused Ltd");
  EXPECT_THAT(tx.InsertOrganization(&organization), StatusIs(kRefused));
  v1::Agent agent = MakeAgent("Refused", "refused.agent@example.com");
  EXPECT_THAT(tx.InsertAgent(&agent), StatusIs(kRefused));
  v1::Agent changed_agent = c.agent;
  changed_agent.set_name("Refused rename");
  EXPECT_THAT(tx.UpdateAgent(&changed_agent, c.agent.version()),
              StatusIs(kRefused));
  v1::AgentEvent agent_event;
  agent_event.set_agent_id(c.agent.id());
  agent_event.set_kind(v1::AgentEvent::PRESENCE_CHANGED);
  EXPECT_THAT(tx.AppendAgentEvent(&agent_event), StatusIs(kRefused));
  v1::Group group = MakeGroup("Refused group");
  EXPECT_THAT(tx.InsertGroup(&group), StatusIs(kRefused));
  EXPECT_THAT(tx.PutAttachmentContent(Sha256Of('a'), "refused content"),
              StatusIs(kRefused));
  EXPECT_THAT(tx.PutIdempotencyRecord("scope", "key", "refused", Minute(5)),
              StatusIs(kRefused));
  // Tracking links (issue 15).
  EXPECT_THAT(tx.PutTrackingToken(c.ticket.id(), Sha256Of('c'), Minute(5)),
              StatusIs(kRefused));
  EXPECT_THAT(tx.RevokeTrackingToken(c.ticket.id()), StatusIs(kRefused));
}

}  // namespace store_conformance_internal

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTING_STORE_CONFORMANCE_INTERNAL_H_
