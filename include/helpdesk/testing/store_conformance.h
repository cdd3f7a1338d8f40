// The Store conformance suite: the contract of helpdesk/store.h as tests.
//
// Every Store implementation, built-in or a host's own, must pass this suite.
// It is a value-parameterised GoogleTest suite: each test asks a StoreFactory
// for a fresh, empty store and checks one part of the contract through the
// public Transaction API only (ids and versions, rollback, read-only and
// committed transactions, messages, events, contacts, agents, groups,
// attachments, idempotency records, every QueryTickets filter and sort, cursor
// validation and stable pagination, snapshots and concurrent writers, durable
// transactions).
//
// One file (about 3,400 lines) on purpose for now: a host gets the whole
// contract by including one header in one test file, and the brute-force
// reference of QueryTickets near the top serves the query and randomized
// tests below it. Splitting it by area (tickets, queries, people, outbox and
// quarantine, concurrency) into installed libraries is open work (issue 12).
//
// To run it against your own store, include this header in exactly one test
// file (it defines the tests, so a second inclusion fails to link) and
// instantiate the suite there:
//
//   #include "helpdesk/testing/store_conformance.h"
//   #include "myapp/postgres_store.h"
//
//   using helpdesk::testing::StoreConformanceTest;
//   using helpdesk::testing::StoreFactory;
//   using helpdesk::testing::StoreFactoryName;
//
//   INSTANTIATE_TEST_SUITE_P(
//       MyStore, StoreConformanceTest,
//       ::testing::Values(StoreFactory{
//           "postgres",  // becomes part of the test names: [A-Za-z0-9_]
//           [] { return myapp::OpenTestPostgresStore(/*fresh schema*/); }}),
//       StoreFactoryName());
//
// and link the test with helpdesk::helpdesk and GTest::gmock_main (or
// GTest::gtest_main plus GTest::gmock). The factory is called once per test and
// must return an empty store; the store is destroyed when the test ends.
// INSTANTIATE_TEST_SUITE_P needs the unqualified suite name, hence the using
// declarations. Tests are named <Prefix>/StoreConformanceTest.<Test>/<name>.
//
// The suite is deterministic: randomised tests use fixed seeds, times are
// fixed values, and the concurrency tests check outcomes, not timings. It
// needs no more than a few seconds per store in a debug build.
#ifndef HELPDESK_TESTING_STORE_CONFORMANCE_H_
#define HELPDESK_TESTING_STORE_CONFORMANCE_H_

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

// Makes a fresh, empty store for one test.
//
// Thread safety: `make` is called from the test's main thread only.
struct StoreFactory {
  // Appended to every test name; letters, digits and underscores only.
  std::string name;
  // Called once per test. The store is destroyed at the end of the test.
  std::function<absl::StatusOr<std::unique_ptr<Store>>()> make;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) {
  *os << factory.name;
}

// Names each instantiation after StoreFactory::name.
struct StoreFactoryName {
  std::string operator()(
      const ::testing::TestParamInfo<StoreFactory>& info) const {
    return info.param.name;
  }
};

namespace store_conformance_internal {

// Defined (not just declared) here so that including this header in a second
// test file fails to link with a name that says why.
int this_header_must_be_included_in_exactly_one_test_file = 0;

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
    if (!as_contact && !as_group && !as_assignee) return false;
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
}

}  // namespace store_conformance_internal

// The fixture: a fresh store from GetParam().make() for every test, destroyed
// when the test ends. Tests talk to the store through the public Transaction
// API only.
//
// Thread safety: the concurrency tests call the store from several threads at
// once, as store.h allows; the fixture's own helpers are safe to call from
// those threads because they only read `store_`.
class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = GetParam().make();
    ASSERT_TRUE(store.ok()) << "the factory for '" << GetParam().name
                            << "' failed: " << store.status();
    ASSERT_NE(*store, nullptr);
    store_ = std::move(*store);
  }

  void TearDown() override { store_.reset(); }

  Store& store() { return *store_; }

  absl::StatusOr<std::unique_ptr<Transaction>> BeginReadWrite() {
    return store_->Begin(TransactionMode::kReadWrite);
  }
  absl::StatusOr<std::unique_ptr<Transaction>> BeginReadOnly() {
    return store_->Begin(TransactionMode::kReadOnly);
  }

  // Inserts `tickets` in one committed transaction; writes ids and versions
  // back into them.
  absl::Status InsertCommitted(std::vector<v1::Ticket>& tickets) {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
    if (!tx.ok()) return tx.status();
    for (v1::Ticket& t : tickets) {
      absl::Status s = (*tx)->InsertTicket(&t);
      if (!s.ok()) return s;
    }
    return (*tx)->Commit();
  }

  absl::StatusOr<v1::Ticket> InsertCommitted(v1::Ticket ticket) {
    std::vector<v1::Ticket> tickets = {std::move(ticket)};
    absl::Status s = InsertCommitted(tickets);
    if (!s.ok()) return s;
    return tickets[0];
  }

  absl::StatusOr<v1::Ticket> ReadTicket(int64_t id) {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
    if (!tx.ok()) return tx.status();
    return (*tx)->GetTicket(id);
  }

  // Every page of `query` (query.limit is the page size), read in one
  // read-only transaction and concatenated. Fails when a page is larger than
  // the limit or the cursor never runs out.
  absl::StatusOr<std::vector<v1::Ticket>> QueryAllPages(TicketQuery query) {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
    if (!tx.ok()) return tx.status();
    std::vector<v1::Ticket> all;
    for (int pages = 0; pages < 10000; ++pages) {
      absl::StatusOr<TicketPage> page = (*tx)->QueryTickets(query);
      if (!page.ok()) return page.status();
      if (static_cast<int>(page->tickets.size()) > query.limit) {
        return absl::InternalError(
            absl::StrCat("a page has ", page->tickets.size(),
                         " tickets, more than the limit ", query.limit));
      }
      for (v1::Ticket& t : page->tickets) all.push_back(std::move(t));
      if (page->next_cursor.empty()) return all;
      query.cursor = page->next_cursor;
    }
    return absl::InternalError("pagination did not end after 10000 pages");
  }

  absl::StatusOr<std::vector<int64_t>> QueryIds(const TicketQuery& query) {
    absl::StatusOr<std::vector<v1::Ticket>> tickets = QueryAllPages(query);
    if (!tickets.ok()) return tickets.status();
    return store_conformance_internal::IdsOf(*tickets);
  }

  // Commits one object of each kind (ticket with one message and one event,
  // contact, organization, agent, group) and returns them as stored.
  absl::StatusOr<store_conformance_internal::CommittedObjects>
  CommitOneOfEach() {
    namespace sci = store_conformance_internal;
    sci::CommittedObjects c;
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
    if (!tx.ok()) return tx.status();
    Transaction& t = **tx;
    c.ticket = sci::MakeTicket("committed ticket");
    absl::Status s = t.InsertTicket(&c.ticket);
    if (s.ok()) {
      c.message = sci::MakeMessage(c.ticket.id(), "committed message");
      s = t.InsertMessage(&c.message);
    }
    if (s.ok()) {
      c.event = sci::MakeEvent(c.ticket.id(), v1::Event::TICKET_CREATED);
      s = t.AppendEvent(&c.event);
    }
    if (s.ok()) {
      c.contact = sci::MakeContact("Committed", "committed@example.com");
      s = t.InsertContact(&c.contact);
    }
    if (s.ok()) {
      c.organization = sci::MakeOrganization("Committed Ltd");
      s = t.InsertOrganization(&c.organization);
    }
    if (s.ok()) {
      c.agent = sci::MakeAgent("Committed", "committed.agent@example.com");
      s = t.InsertAgent(&c.agent);
    }
    if (s.ok()) {
      c.group = sci::MakeGroup("Committed group");
      s = t.InsertGroup(&c.group);
    }
    if (s.ok()) s = t.Commit();
    if (!s.ok()) return s;
    return c;
  }

  // Expects that none of the writes of ExpectEveryWriteRefused was stored and
  // that `c` is as committed.
  void ExpectNoRefusedWriteStored(
      const store_conformance_internal::CommittedObjects& c) {
    namespace sci = store_conformance_internal;
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
    EXPECT_THAT(tx->GetTicket(c.ticket.id()),
                sci::IsOkAndHolds(sci::EqualsProto(c.ticket)));
    HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page,
                         tx->QueryTickets(TicketQuery{.include_merged = true}));
    EXPECT_THAT(sci::IdsOf(page.tickets),
                ::testing::ElementsAre(c.ticket.id()));
    EXPECT_EQ(page.next_cursor, "");
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> messages,
                         tx->ListMessages(c.ticket.id()));
    EXPECT_THAT(messages, ::testing::ElementsAre(sci::EqualsProto(c.message)));
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                         tx->ListEventsSince(0, 100));
    EXPECT_THAT(events, ::testing::ElementsAre(sci::EqualsProto(c.event)));
    EXPECT_THAT(tx->GetContact(c.contact.id()),
                sci::IsOkAndHolds(sci::EqualsProto(c.contact)));
    EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                          "refused@example.com"),
                StatusIs(absl::StatusCode::kNotFound));
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Agent> agents, tx->ListAgents());
    EXPECT_THAT(agents, ::testing::ElementsAre(sci::EqualsProto(c.agent)));
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Group> groups, tx->ListGroups());
    EXPECT_THAT(groups, ::testing::ElementsAre(sci::EqualsProto(c.group)));
    EXPECT_THAT(tx->GetAttachmentContent(sci::Sha256Of('a')),
                StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(tx->GetIdempotencyRecord("scope", "key"),
                StatusIs(absl::StatusCode::kNotFound));
    tx.reset();
    // The organization's name is still free (checked in a transaction that
    // is rolled back).
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> probe, BeginReadWrite());
    v1::Organization organization = sci::MakeOrganization("Refused Ltd");
    HELPDESK_EXPECT_OK(probe->InsertOrganization(&organization));
  }

 private:
  std::unique_ptr<Store> store_;
};

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);

// ===========================================================================
// The store itself
// ===========================================================================

TEST_P(StoreConformanceTest, NameIsNotEmpty) {
  EXPECT_FALSE(store().Name().empty());
}

// ===========================================================================
// Transactions
// ===========================================================================

TEST_P(StoreConformanceTest, CommittedChangesAreVisibleToLaterTransactions) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket ticket = sci::MakeTicket("committed");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  reader.reset();
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> writer, BeginReadWrite());
  EXPECT_THAT(writer->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
}

// TransactionOptions::durable changes when a commit is safe from power loss,
// not what it does: durable and ordinary transactions commit, roll back and
// read back alike, in any order.
TEST_P(StoreConformanceTest, DurableTransactionsCommitAndReadBack) {
  namespace sci = store_conformance_internal;
  const TransactionOptions durable{.mode = TransactionMode::kReadWrite,
                                   .durable = true};
  std::vector<v1::Ticket> stored;
  for (int i = 0; i < 4; ++i) {
    // durable, ordinary, durable, ordinary: switching back and forth.
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx,
                         i % 2 == 0 ? store().Begin(durable) : BeginReadWrite());
    v1::Ticket ticket = sci::MakeTicket(absl::StrCat("ticket ", i));
    HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
    HELPDESK_ASSERT_OK(tx->Commit());
    stored.push_back(ticket);
  }
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, store().Begin(durable));
    v1::Ticket ticket = sci::MakeTicket("rolled back");
    HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
  }  // destroyed without Commit
  {
    // A durable request on a read-only transaction is allowed and ignored.
    HELPDESK_ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<Transaction> tx,
        store().Begin({.mode = TransactionMode::kReadOnly, .durable = true}));
    EXPECT_THAT(tx->GetTicket(stored[0].id()),
                sci::IsOkAndHolds(sci::EqualsProto(stored[0])));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids, QueryIds(TicketQuery{}));
  EXPECT_EQ(ids.size(), stored.size());
  for (const v1::Ticket& ticket : stored) {
    EXPECT_THAT(ReadTicket(ticket.id()),
                sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  }
}

TEST_P(StoreConformanceTest, DestroyingWithoutCommitRollsEverythingBack) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(sci::CommittedObjects c, CommitOneOfEach());

  v1::Ticket new_ticket = sci::MakeTicket("rolled back");
  v1::Message new_message;
  v1::Event new_event;
  v1::Contact new_contact = sci::MakeContact("Rolled", "rolled@example.com");
  v1::Organization new_organization = sci::MakeOrganization("Rolled Ltd");
  v1::Agent new_agent = sci::MakeAgent("Rolled", "rolled.agent@example.com");
  v1::Group new_group = sci::MakeGroup("Rolled group");
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    HELPDESK_ASSERT_OK(tx->InsertTicket(&new_ticket));
    v1::Ticket changed = c.ticket;
    changed.set_subject("changed, then rolled back");
    HELPDESK_ASSERT_OK(tx->UpdateTicket(&changed, c.ticket.version()));
    new_message = sci::MakeMessage(c.ticket.id(), "rolled back message");
    HELPDESK_ASSERT_OK(tx->InsertMessage(&new_message));
    HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t moved,
                         tx->MoveMessages(c.ticket.id(), new_ticket.id()));
    EXPECT_EQ(moved, 2);
    new_event = sci::MakeEvent(c.ticket.id(), v1::Event::FIELDS_CHANGED);
    HELPDESK_ASSERT_OK(tx->AppendEvent(&new_event));
    HELPDESK_ASSERT_OK(tx->InsertContact(&new_contact));
    v1::Contact changed_contact = c.contact;
    v1::ContactIdentity* phone = changed_contact.add_identities();
    phone->set_kind(v1::ContactIdentity::PHONE);
    phone->set_value("+34600000001");
    HELPDESK_ASSERT_OK(tx->UpdateContact(&changed_contact, c.contact.version()));
    HELPDESK_ASSERT_OK(tx->InsertOrganization(&new_organization));
    HELPDESK_ASSERT_OK(tx->InsertAgent(&new_agent));
    v1::Agent changed_agent = c.agent;
    changed_agent.set_email("renamed.agent@example.com");
    HELPDESK_ASSERT_OK(tx->UpdateAgent(&changed_agent, c.agent.version()));
    HELPDESK_ASSERT_OK(tx->InsertGroup(&new_group));
    HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('b'), "rolled back"));
    HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create", "k1", "v", sci::Minute(1)));
    // Destroyed without Commit().
  }

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  EXPECT_THAT(tx->GetTicket(new_ticket.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetTicket(c.ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(c.ticket)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(TicketQuery()));
  EXPECT_THAT(sci::IdsOf(page.tickets), ::testing::ElementsAre(c.ticket.id()));
  EXPECT_THAT(
      tx->ListMessages(c.ticket.id()),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.message))));
  EXPECT_THAT(tx->GetMessage(new_message.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->ListMessages(new_ticket.id()),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(
      tx->ListEventsSince(0, 100),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.event))));
  EXPECT_THAT(tx->GetContact(new_contact.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                        "rolled@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      tx->FindContactByIdentity(v1::ContactIdentity::PHONE, "+34600000001"),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetContact(c.contact.id()),
              sci::IsOkAndHolds(sci::EqualsProto(c.contact)));
  EXPECT_THAT(tx->GetOrganization(new_organization.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetAgent(new_agent.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      tx->ListAgents(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.agent))));
  EXPECT_THAT(
      tx->ListGroups(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.group))));
  EXPECT_THAT(tx->GetAttachmentContent(sci::Sha256Of('b')),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetIdempotencyRecord("create", "k1"),
              StatusIs(absl::StatusCode::kNotFound));
  tx.reset();

  // Names, e-mails and identities taken by the rolled-back transaction are
  // free again.
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> again, BeginReadWrite());
  v1::Contact contact = sci::MakeContact("Rolled", "rolled@example.com");
  HELPDESK_EXPECT_OK(again->InsertContact(&contact));
  v1::Organization organization = sci::MakeOrganization("Rolled Ltd");
  HELPDESK_EXPECT_OK(again->InsertOrganization(&organization));
  v1::Agent agent = sci::MakeAgent("Rolled", "rolled.agent@example.com");
  HELPDESK_EXPECT_OK(again->InsertAgent(&agent));
  v1::Agent other = sci::MakeAgent("Other", "renamed.agent@example.com");
  HELPDESK_EXPECT_OK(again->InsertAgent(&other));
  v1::Group group = sci::MakeGroup("Rolled group");
  HELPDESK_EXPECT_OK(again->InsertGroup(&group));
  HELPDESK_EXPECT_OK(again->PutIdempotencyRecord("create", "k1", "v2", sci::Minute(2)));
  HELPDESK_EXPECT_OK(again->Commit());
}

TEST_P(StoreConformanceTest, ReadsSeeTheTransactionsOwnWrites) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());

  v1::Ticket ticket = sci::MakeRichTicket();
  HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
  EXPECT_THAT(tx->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  ticket.set_subject("Renamed inside the transaction");
  ticket.add_tags("zz-new");
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&ticket, 1));
  EXPECT_THAT(tx->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  TicketQuery by_subject;
  by_subject.subject_contains = "renamed inside";
  by_subject.tags = {"zz-new"};
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(by_subject));
  EXPECT_THAT(page.tickets, ::testing::ElementsAre(sci::EqualsProto(ticket)));

  v1::Ticket other = sci::MakeTicket("other");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&other));
  v1::Message message = sci::MakeMessage(ticket.id(), "hello");
  HELPDESK_ASSERT_OK(tx->InsertMessage(&message));
  EXPECT_THAT(tx->GetMessage(message.id()),
              sci::IsOkAndHolds(sci::EqualsProto(message)));
  EXPECT_THAT(
      tx->ListMessages(ticket.id()),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(message))));
  HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t moved,
                       tx->MoveMessages(ticket.id(), other.id()));
  EXPECT_EQ(moved, 1);
  EXPECT_THAT(tx->ListMessages(ticket.id()),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> on_other,
                       tx->ListMessages(other.id()));
  ASSERT_EQ(on_other.size(), 1u);
  EXPECT_EQ(on_other[0].id(), message.id());

  v1::Event event = sci::MakeEvent(ticket.id(), v1::Event::TICKET_CREATED);
  HELPDESK_ASSERT_OK(tx->AppendEvent(&event));
  EXPECT_THAT(
      tx->ListTicketEvents(ticket.id(), 0, 0),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(event))));
  EXPECT_THAT(
      tx->ListEventsSince(0, 10),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(event))));

  v1::Contact contact = sci::MakeContact("Ann", "ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&contact));
  EXPECT_THAT(tx->GetContact(contact.id()),
              sci::IsOkAndHolds(sci::EqualsProto(contact)));
  v1::ContactIdentity* chat = contact.add_identities();
  chat->set_kind(v1::ContactIdentity::CHAT);
  chat->set_value("@ann");
  HELPDESK_ASSERT_OK(tx->UpdateContact(&contact, 1));
  EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::CHAT, "@ann"),
              sci::IsOkAndHolds(sci::EqualsProto(contact)));

  v1::Organization organization = sci::MakeOrganization("Acme");
  HELPDESK_ASSERT_OK(tx->InsertOrganization(&organization));
  EXPECT_THAT(tx->GetOrganization(organization.id()),
              sci::IsOkAndHolds(sci::EqualsProto(organization)));

  v1::Agent agent = sci::MakeAgent("Bo", "bo@example.com");
  HELPDESK_ASSERT_OK(tx->InsertAgent(&agent));
  agent.set_presence(v1::PRESENCE_ONLINE);
  HELPDESK_ASSERT_OK(tx->UpdateAgent(&agent, 1));
  EXPECT_THAT(tx->GetAgent(agent.id()),
              sci::IsOkAndHolds(sci::EqualsProto(agent)));
  EXPECT_THAT(
      tx->ListAgents(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(agent))));

  v1::Group group = sci::MakeGroup("Tier 1");
  HELPDESK_ASSERT_OK(tx->InsertGroup(&group));
  EXPECT_THAT(tx->GetGroup(group.id()),
              sci::IsOkAndHolds(sci::EqualsProto(group)));
  EXPECT_THAT(
      tx->ListGroups(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(group))));

  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('c'), "bytes"));
  EXPECT_THAT(tx->GetAttachmentContent(sci::Sha256Of('c')),
              sci::IsOkAndHolds(std::string("bytes")));
  HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create", "key", "42", sci::Minute(1)));
  EXPECT_THAT(tx->GetIdempotencyRecord("create", "key"),
              sci::IsOkAndHolds(std::string("42")));
  HELPDESK_EXPECT_OK(tx->Commit());
}

TEST_P(StoreConformanceTest, ReadOnlyTransactionRefusesEveryWrite) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(sci::CommittedObjects c, CommitOneOfEach());
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
    sci::ExpectEveryWriteRefused(*tx, c);
    // A refused write does not end the transaction: reads still work and it
    // commits.
    EXPECT_THAT(tx->GetTicket(c.ticket.id()),
                sci::IsOkAndHolds(sci::EqualsProto(c.ticket)));
    EXPECT_THAT(
        tx->ListMessages(c.ticket.id()),
        sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.message))));
    HELPDESK_EXPECT_OK(tx->Commit());
  }
  ExpectNoRefusedWriteStored(c);
}

TEST_P(StoreConformanceTest, EveryCallAfterCommitIsRefused) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(sci::CommittedObjects c, CommitOneOfEach());
  for (TransactionMode mode :
       {TransactionMode::kReadWrite, TransactionMode::kReadOnly}) {
    SCOPED_TRACE(mode == TransactionMode::kReadWrite ? "read-write"
                                                     : "read-only");
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, store().Begin(mode));
    HELPDESK_ASSERT_OK(tx->Commit());
    EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
    sci::ExpectEveryReadRefused(*tx, c);
    sci::ExpectEveryWriteRefused(*tx, c);
    EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  ExpectNoRefusedWriteStored(c);
}

TEST_P(StoreConformanceTest, RefusedCallsLeaveTheTransactionUsable) {
  namespace sci = store_conformance_internal;
  // Only a failed Commit() ends a transaction: after a refused call the
  // earlier and later writes of the same transaction still commit.
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket before = sci::MakeTicket("before the refusals");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&before));
  v1::Ticket duplicate = sci::MakeTicket("duplicate id");
  duplicate.set_id(existing.id());
  EXPECT_THAT(tx->InsertTicket(&duplicate),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::Ticket stale = existing;
  stale.set_subject("stale");
  EXPECT_THAT(tx->UpdateTicket(&stale, existing.version() + 1),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(tx->GetTicket(existing.id() + before.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Ticket after = sci::MakeTicket("after the refusals");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&after));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> all,
                       QueryAllPages(TicketQuery{.sort = TicketSort::kIdAsc}));
  EXPECT_THAT(all, ::testing::ElementsAre(sci::EqualsProto(existing),
                                          sci::EqualsProto(before),
                                          sci::EqualsProto(after)));
}

TEST_P(StoreConformanceTest, UncommittedWritesAreInvisibleToOthers) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));

  struct Seen {
    absl::Status begin;
    absl::StatusOr<v1::Ticket> existing;
    absl::StatusOr<std::vector<int64_t>> query;
  };
  // Declared before the writer so that, on an early return, the writer is
  // rolled back before the future waits for the reader.
  std::future<Seen> reader;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> writer, BeginReadWrite());
  v1::Ticket inserted = sci::MakeTicket("uncommitted");
  HELPDESK_ASSERT_OK(writer->InsertTicket(&inserted));
  v1::Ticket changed = existing;
  changed.set_subject("uncommitted change");
  HELPDESK_ASSERT_OK(writer->UpdateTicket(&changed, existing.version()));

  // The reader runs on another thread: a store may make it wait until the
  // writer finishes, which must not deadlock this test.
  reader = std::async(std::launch::async, [this, id = existing.id()] {
    Seen seen;
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
    seen.begin = tx.status();
    if (!tx.ok()) return seen;
    seen.existing = (*tx)->GetTicket(id);
    absl::StatusOr<TicketPage> page =
        (*tx)->QueryTickets(TicketQuery{.include_merged = true});
    if (page.ok()) {
      seen.query = sci::IdsOf(page->tickets);
    } else {
      seen.query = page.status();
    }
    return seen;
  });
  const bool read_while_uncommitted =
      reader.wait_for(std::chrono::seconds(1)) == std::future_status::ready;
  if (read_while_uncommitted) {
    Seen seen = reader.get();
    HELPDESK_ASSERT_OK(seen.begin);
    EXPECT_THAT(seen.existing, sci::IsOkAndHolds(sci::EqualsProto(existing)));
    EXPECT_THAT(seen.query,
                sci::IsOkAndHolds(::testing::ElementsAre(existing.id())));
  }
  HELPDESK_ASSERT_OK(writer->Commit());
  writer.reset();
  if (!read_while_uncommitted) {
    // The store made the reader wait for the writer; it then may see either
    // state, but must have worked.
    Seen seen = reader.get();
    HELPDESK_EXPECT_OK(seen.begin);
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids, QueryIds(TicketQuery()));
  EXPECT_THAT(ids, ::testing::ElementsAre(existing.id(), inserted.id()));
}

TEST_P(StoreConformanceTest, ReadOnlyTransactionSeesASnapshot) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    v1::Event event = sci::MakeEvent(existing.id(), v1::Event::TICKET_CREATED);
    HELPDESK_ASSERT_OK(tx->AppendEvent(&event));
    HELPDESK_ASSERT_OK(tx->Commit());
  }

  // Declared before the reader so that, on an early return, the reader ends
  // before the future waits for the writer.
  std::future<absl::Status> writer;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket first_read, reader->GetTicket(existing.id()));
  EXPECT_THAT(first_read, sci::EqualsProto(existing));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> first_events,
                       reader->ListEventsSince(0, 100));
  ASSERT_EQ(first_events.size(), 1u);

  // The writer runs on another thread: a store may make it wait until the
  // reader finishes, which must not deadlock this test.
  writer = std::async(std::launch::async, [this, existing] {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
    if (!tx.ok()) return tx.status();
    v1::Ticket changed = existing;
    changed.set_subject("changed after the snapshot");
    absl::Status s = (*tx)->UpdateTicket(&changed, existing.version());
    v1::Ticket inserted = sci::MakeTicket("inserted after the snapshot");
    if (s.ok()) s = (*tx)->InsertTicket(&inserted);
    v1::Event event = sci::MakeEvent(existing.id(), v1::Event::FIELDS_CHANGED);
    if (s.ok()) s = (*tx)->AppendEvent(&event);
    if (s.ok()) s = (*tx)->Commit();
    return s;
  });
  if (writer.wait_for(std::chrono::seconds(1)) == std::future_status::ready) {
    HELPDESK_ASSERT_OK(writer.get());
  }
  // Whether or not the writer has committed, the reader sees its snapshot.
  EXPECT_THAT(reader->GetTicket(existing.id()),
              sci::IsOkAndHolds(sci::EqualsProto(existing)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      TicketPage page,
      reader->QueryTickets(TicketQuery{.include_merged = true}));
  EXPECT_THAT(sci::IdsOf(page.tickets), ::testing::ElementsAre(existing.id()));
  EXPECT_THAT(reader->ListEventsSince(0, 100),
              sci::IsOkAndHolds(::testing::SizeIs(1)));
  HELPDESK_EXPECT_OK(reader->Commit());
  reader.reset();
  if (writer.valid()) {
    HELPDESK_ASSERT_OK(writer.get());
  }

  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket now, ReadTicket(existing.id()));
  EXPECT_EQ(now.subject(), "changed after the snapshot");
  EXPECT_EQ(now.version(), existing.version() + 1);
}

TEST_P(StoreConformanceTest, ConcurrentVersionCheckedUpdatesLoseNothing) {
  namespace sci = store_conformance_internal;
  // Two writers increment message_count with version-checked updates and
  // retry on Aborted/Unavailable. One reads inside its read-write transaction;
  // the other reads in a separate read-only transaction first, so its update
  // is stale whenever the first writer got in between and must be Aborted.
  // A third thread checks that every snapshot it reads is consistent.
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket ticket,
                       InsertCommitted(sci::MakeTicket("counter")));
  const int64_t id = ticket.id();
  constexpr int kIncrementsPerWriter = 100;
  constexpr int kMaxAttempts = 100000;
  std::atomic<int> successes{0};
  std::atomic<int> writers_done{0};
  std::atomic<int> ready{0};
  // Threads start together, so that the writers really interleave.
  auto wait_for_everyone = [&ready] {
    ++ready;
    while (ready.load() < 3) std::this_thread::yield();
  };

  auto retryable = [](const absl::Status& s) {
    return absl::IsAborted(s) || absl::IsUnavailable(s);
  };
  auto writer = [&](bool read_in_separate_transaction) {
    wait_for_everyone();
    int done = 0;
    for (int attempt = 0; done < kIncrementsPerWriter; ++attempt) {
      if (attempt >= kMaxAttempts) {
        ADD_FAILURE() << "writer gave up after " << attempt << " attempts";
        break;
      }
      std::optional<v1::Ticket> read;
      if (read_in_separate_transaction) {
        absl::StatusOr<std::unique_ptr<Transaction>> reader = BeginReadOnly();
        if (!reader.ok()) {
          if (retryable(reader.status())) continue;
          ADD_FAILURE() << reader.status();
          break;
        }
        absl::StatusOr<v1::Ticket> got = (*reader)->GetTicket(id);
        if (!got.ok()) {
          if (retryable(got.status())) continue;
          ADD_FAILURE() << got.status();
          break;
        }
        read = *got;
        // Let the other writer in between the read and the write (this only
        // makes a lost update likelier to show; correctness does not depend
        // on timing).
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
      if (!tx.ok()) {
        if (retryable(tx.status())) continue;
        ADD_FAILURE() << tx.status();
        break;
      }
      if (!read_in_separate_transaction) {
        absl::StatusOr<v1::Ticket> got = (*tx)->GetTicket(id);
        if (!got.ok()) {
          if (retryable(got.status())) continue;
          ADD_FAILURE() << got.status();
          break;
        }
        read = *got;
      }
      v1::Ticket next = *read;
      next.set_message_count(next.message_count() + 1);
      absl::Status s = (*tx)->UpdateTicket(&next, read->version());
      if (s.ok()) s = (*tx)->Commit();
      if (s.ok()) {
        ++done;
        ++successes;
      } else if (!retryable(s)) {
        ADD_FAILURE() << s;
        break;
      }
    }
    ++writers_done;
  };
  auto checker = [&] {
    wait_for_everyone();
    int64_t last_version = 0;
    while (writers_done.load() < 2) {
      absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
      if (!tx.ok()) {
        if (!retryable(tx.status())) ADD_FAILURE() << tx.status();
        continue;
      }
      absl::StatusOr<v1::Ticket> got = (*tx)->GetTicket(id);
      if (!got.ok()) {
        if (!retryable(got.status())) ADD_FAILURE() << got.status();
        continue;
      }
      if (got->message_count() != got->version() - 1 ||
          got->version() < last_version) {
        ADD_FAILURE() << "inconsistent snapshot: message_count "
                      << got->message_count() << " at version "
                      << got->version() << " after version " << last_version;
        break;
      }
      last_version = got->version();
      std::this_thread::yield();
    }
  };

  std::thread in_transaction(writer, false);
  std::thread separate(writer, true);
  std::thread check(checker);
  in_transaction.join();
  separate.join();
  check.join();

  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket final_ticket, ReadTicket(id));
  EXPECT_EQ(successes.load(), 2 * kIncrementsPerWriter);
  EXPECT_EQ(final_ticket.version(), successes.load() + 1);
  EXPECT_EQ(final_ticket.message_count(), successes.load());
}

// ===========================================================================
// Tickets
// ===========================================================================

TEST_P(StoreConformanceTest, InsertTicketAssignsIncreasingIdsAndVersionOne) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket first = sci::MakeRichTicket();
  first.set_version(7);  // ignored: a new ticket has version 1
  HELPDESK_ASSERT_OK(tx->InsertTicket(&first));
  EXPECT_GT(first.id(), 0);
  EXPECT_EQ(first.version(), 1);
  const v1::Ticket first_as_inserted = first;
  // The ticket was borrowed for the call only.
  first.set_subject("changed after InsertTicket returned");

  v1::Ticket second = sci::MakeTicket("second");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&second));
  EXPECT_GT(second.id(), first.id());
  EXPECT_EQ(second.version(), 1);
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Ticket third = sci::MakeTicket("third");
  HELPDESK_ASSERT_OK(next->InsertTicket(&third));
  EXPECT_GT(third.id(), second.id());
  EXPECT_EQ(third.version(), 1);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetTicket(first_as_inserted.id()),
              sci::IsOkAndHolds(sci::EqualsProto(first_as_inserted)));
  EXPECT_THAT(reader->GetTicket(second.id()),
              sci::IsOkAndHolds(sci::EqualsProto(second)));
  EXPECT_THAT(reader->GetTicket(third.id()),
              sci::IsOkAndHolds(sci::EqualsProto(third)));
}

TEST_P(StoreConformanceTest, InsertTicketWithAnIdUsesItAndLaterIdsExceedIt) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket given = sci::MakeTicket("given id");
  given.set_id(1000);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&given));
  EXPECT_EQ(given.id(), 1000);
  EXPECT_EQ(given.version(), 1);
  v1::Ticket assigned = sci::MakeTicket("assigned id");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&assigned));
  EXPECT_GT(assigned.id(), 1000);
  v1::Ticket lower = sci::MakeTicket("lower given id");
  lower.set_id(500);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&lower));
  EXPECT_EQ(lower.id(), 500);
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Ticket later = sci::MakeTicket("later");
  HELPDESK_ASSERT_OK(next->InsertTicket(&later));
  EXPECT_GT(later.id(), assigned.id());
  v1::Ticket high = sci::MakeTicket("high");
  high.set_id(later.id() + 5000);
  HELPDESK_ASSERT_OK(next->InsertTicket(&high));
  v1::Ticket after_high = sci::MakeTicket("after high");
  HELPDESK_ASSERT_OK(next->InsertTicket(&after_high));
  EXPECT_GT(after_high.id(), high.id());
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> all,
                       QueryAllPages(TicketQuery{.sort = TicketSort::kIdAsc}));
  EXPECT_THAT(all, ::testing::ElementsAre(
                       sci::EqualsProto(lower), sci::EqualsProto(given),
                       sci::EqualsProto(assigned), sci::EqualsProto(later),
                       sci::EqualsProto(high), sci::EqualsProto(after_high)));
}

TEST_P(StoreConformanceTest, InsertTicketRefusesATakenOrNegativeId) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket duplicate = sci::MakeTicket("duplicate");
  duplicate.set_id(existing.id());
  EXPECT_THAT(tx->InsertTicket(&duplicate),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::Ticket same_tx = sci::MakeTicket("inserted in this transaction");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&same_tx));
  v1::Ticket duplicate_of_new = sci::MakeTicket("duplicate of the new one");
  duplicate_of_new.set_id(same_tx.id());
  EXPECT_THAT(tx->InsertTicket(&duplicate_of_new),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::Ticket negative = sci::MakeTicket("negative");
  negative.set_id(-5);
  EXPECT_THAT(tx->InsertTicket(&negative),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->GetTicket(-5), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> all,
                       QueryAllPages(TicketQuery{.sort = TicketSort::kIdAsc}));
  EXPECT_THAT(all, ::testing::ElementsAre(sci::EqualsProto(existing),
                                          sci::EqualsProto(same_tx)));
}

TEST_P(StoreConformanceTest, GetTicketOfAnUnknownIdIsNotFound) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  EXPECT_THAT(tx->GetTicket(existing.id() + 1),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetTicket(424242), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetTicket(0), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, UpdateTicketChecksTheVersion) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket ticket,
                       InsertCommitted(sci::MakeTicket("versioned")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  // Every field is replaced; the version written back is expected + 1,
  // whatever the version field of the argument said.
  v1::Ticket replacement = sci::MakeRichTicket();
  replacement.set_id(ticket.id());
  replacement.set_version(0);
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&replacement, 1));
  EXPECT_EQ(replacement.version(), 2);
  EXPECT_THAT(tx->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(replacement)));
  ticket = replacement;
  while (ticket.version() < 12) {
    ticket.set_message_count(ticket.message_count() + 1);
    HELPDESK_ASSERT_OK(tx->UpdateTicket(&ticket, ticket.version()));
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Ticket stale = ticket;
  stale.set_subject("stale write");
  EXPECT_THAT(next->UpdateTicket(&stale, 7),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(7),
                                        sci::MentionsNumber(12))));
  EXPECT_THAT(next->UpdateTicket(&stale, 13),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(13),
                                        sci::MentionsNumber(12))));
  EXPECT_THAT(next->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));

  v1::Ticket unknown = sci::MakeTicket("unknown");
  unknown.set_id(ticket.id() + 1000);
  EXPECT_THAT(next->UpdateTicket(&unknown, 1),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(next->GetTicket(unknown.id()),
              StatusIs(absl::StatusCode::kNotFound));

  v1::Ticket fresh = ticket;
  fresh.set_subject("current write");
  fresh.set_version(99);
  HELPDESK_ASSERT_OK(next->UpdateTicket(&fresh, 12));
  EXPECT_EQ(fresh.version(), 13);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  EXPECT_THAT(ReadTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(fresh)));
}

// ===========================================================================
// QueryTickets: filters
// ===========================================================================

TEST_P(StoreConformanceTest, QueryFiltersByStatusAndStatusCategory) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t(5);
  const std::pair<const char*, v1::StatusCategory> kStatuses[] = {
      {"new", v1::STATUS_CATEGORY_NEW},
      {"open", v1::STATUS_CATEGORY_OPEN},
      {"pending", v1::STATUS_CATEGORY_PENDING},
      {"waiting on vendor", v1::STATUS_CATEGORY_PENDING},
      {"solved", v1::STATUS_CATEGORY_SOLVED},
  };
  for (int i = 0; i < 5; ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), i);
    t[i].set_status(kStatuses[i].first);
    t[i].set_status_category(kStatuses[i].second);
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));

  auto ids = [this](TicketQuery q) { return QueryIds(q); };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids({.statuses = {"pending"}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids({.statuses = {"open", "pending"}}),
              sci::IsOkAndHolds(ElementsAre(t[1].id(), t[2].id())));
  EXPECT_THAT(ids({.statuses = {"waiting on vendor", "no such status"}}),
              sci::IsOkAndHolds(ElementsAre(t[3].id())));
  EXPECT_THAT(ids({.statuses = {"waiting"}}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.status_categories = {v1::STATUS_CATEGORY_PENDING}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id(), t[3].id())));
  EXPECT_THAT(ids({.status_categories = {v1::STATUS_CATEGORY_NEW,
                                         v1::STATUS_CATEGORY_SOLVED}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[4].id())));
  EXPECT_THAT(ids({.status_categories = {v1::STATUS_CATEGORY_CLOSED}}),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.statuses = {"pending", "solved"},
                   .status_categories = {v1::STATUS_CATEGORY_PENDING}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids({.statuses = {"open"},
                   .status_categories = {v1::STATUS_CATEGORY_PENDING}}),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id(), t[2].id(),
                                            t[3].id(), t[4].id())));
}

TEST_P(StoreConformanceTest, QueryFiltersByAssigneeAndGroupWithZeroForNone) {
  namespace sci = store_conformance_internal;
  const int64_t kAssignee[] = {0, 7, 0, 7, 8};
  const int64_t kGroup[] = {0, 0, 3, 3, 4};
  std::vector<v1::Ticket> t(5);
  for (int i = 0; i < 5; ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), i);
    t[i].set_assignee_id(kAssignee[i]);
    t[i].set_group_id(kGroup[i]);
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));

  auto ids = [this](TicketQuery q) { return QueryIds(q); };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids({.assignee_id = 0}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[2].id())));
  EXPECT_THAT(ids({.assignee_id = 7}),
              sci::IsOkAndHolds(ElementsAre(t[1].id(), t[3].id())));
  EXPECT_THAT(ids({.assignee_id = 9}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.group_id = 0}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  EXPECT_THAT(ids({.group_id = 3}),
              sci::IsOkAndHolds(ElementsAre(t[2].id(), t[3].id())));
  EXPECT_THAT(ids({.assignee_id = 7, .group_id = 3}),
              sci::IsOkAndHolds(ElementsAre(t[3].id())));
  EXPECT_THAT(ids({.assignee_id = 0, .group_id = 0}),
              sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({.assignee_id = 8, .group_id = 3}),
              sci::IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest, QueryFiltersByTagsRequiringEveryTag) {
  namespace sci = store_conformance_internal;
  const std::vector<std::vector<std::string>> kTags = {
      {},
      {"billing"},
      {"billing", "vpn"},
      {"vpn"},
      {"billing", "mobile", "vpn"}};
  std::vector<v1::Ticket> t(kTags.size());
  for (size_t i = 0; i < kTags.size(); ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), static_cast<int64_t>(i));
    for (const std::string& tag : kTags[i]) t[i].add_tags(tag);
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));

  auto ids = [this](TicketQuery q) { return QueryIds(q); };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids({.tags = {"billing"}}),
              sci::IsOkAndHolds(ElementsAre(t[1].id(), t[2].id(), t[4].id())));
  EXPECT_THAT(ids({.tags = {"billing", "vpn"}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id(), t[4].id())));
  EXPECT_THAT(ids({.tags = {"vpn", "billing"}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id(), t[4].id())));
  EXPECT_THAT(ids({.tags = {"vpn", "mobile", "billing"}}),
              sci::IsOkAndHolds(ElementsAre(t[4].id())));
  EXPECT_THAT(ids({.tags = {"billing", "no-such-tag"}}),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.tags = {"bill"}}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.tags = {}}), sci::IsOkAndHolds(::testing::SizeIs(5)));
}

TEST_P(StoreConformanceTest, QueryFiltersByRequesterAndOrganization) {
  namespace sci = store_conformance_internal;
  const int64_t kRequester[] = {1, 1, 2, 3};
  const int64_t kOrganization[] = {0, 10, 10, 11};
  std::vector<v1::Ticket> t(4);
  for (int i = 0; i < 4; ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), i);
    t[i].set_requester_id(kRequester[i]);
    t[i].set_organization_id(kOrganization[i]);
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));

  auto ids = [this](TicketQuery q) { return QueryIds(q); };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids({.requester_id = 1}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  EXPECT_THAT(ids({.requester_id = 3}),
              sci::IsOkAndHolds(ElementsAre(t[3].id())));
  EXPECT_THAT(ids({.requester_id = 4}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.organization_id = 10}),
              sci::IsOkAndHolds(ElementsAre(t[1].id(), t[2].id())));
  EXPECT_THAT(ids({.organization_id = 12}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.requester_id = 1, .organization_id = 10}),
              sci::IsOkAndHolds(ElementsAre(t[1].id())));
  EXPECT_THAT(ids({.requester_id = 3, .organization_id = 10}),
              sci::IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest,
       QuerySubjectContainsFoldsAsciiOnlyAndHasNoWildcards) {
  namespace sci = store_conformance_internal;
  const std::vector<std::string> kSubjects = {
      "VPN drops every hour",                  // 0
      "vpn: cannot connect",                   // 1
      "100% CPU on the server",                // 2
      "file_name too long",                    // 3
      "Caf\xC3\xA9 menu",                      // 4: "Café menu"
      "CAF\xC3\x89 MENU",                      // 5: "CAFÉ MENU"
      "back\\slash [brackets] *star* ?q 'x'",  // 6
      "fileXname and 1000 CPUs",               // 7
  };
  std::vector<v1::Ticket> t(kSubjects.size());
  for (size_t i = 0; i < kSubjects.size(); ++i) {
    t[i] = sci::MakeTicket(kSubjects[i], static_cast<int64_t>(i));
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));

  auto ids = [this](std::string needle) {
    return QueryIds(TicketQuery{.subject_contains = std::move(needle)});
  };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids("vpn"), sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  EXPECT_THAT(ids("VPN"), sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  EXPECT_THAT(ids("vPn: C"), sci::IsOkAndHolds(ElementsAre(t[1].id())));
  EXPECT_THAT(ids("cpu"), sci::IsOkAndHolds(ElementsAre(t[2].id(), t[7].id())));
  // '%' and '_' are plain characters, not wildcards.
  EXPECT_THAT(ids("%"), sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids("100%"), sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids("100% cpu"), sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids("_"), sci::IsOkAndHolds(ElementsAre(t[3].id())));
  EXPECT_THAT(ids("file_name"), sci::IsOkAndHolds(ElementsAre(t[3].id())));
  EXPECT_THAT(ids("e_n"), sci::IsOkAndHolds(ElementsAre(t[3].id())));
  EXPECT_THAT(ids("%_"), sci::IsOkAndHolds(IsEmpty()));
  // Nor are the characters other engines treat specially.
  EXPECT_THAT(ids("\\"), sci::IsOkAndHolds(ElementsAre(t[6].id())));
  EXPECT_THAT(ids("[b"), sci::IsOkAndHolds(ElementsAre(t[6].id())));
  EXPECT_THAT(ids("*star*"), sci::IsOkAndHolds(ElementsAre(t[6].id())));
  EXPECT_THAT(ids("?q"), sci::IsOkAndHolds(ElementsAre(t[6].id())));
  EXPECT_THAT(ids("'x'"), sci::IsOkAndHolds(ElementsAre(t[6].id())));
  EXPECT_THAT(ids("*"), sci::IsOkAndHolds(ElementsAre(t[6].id())));
  EXPECT_THAT(ids("?"), sci::IsOkAndHolds(ElementsAre(t[6].id())));
  // Only ASCII letters fold: "caf" matches both, "é" and "É" only themselves.
  EXPECT_THAT(ids("caf"), sci::IsOkAndHolds(ElementsAre(t[4].id(), t[5].id())));
  EXPECT_THAT(ids("caf\xC3\xA9"), sci::IsOkAndHolds(ElementsAre(t[4].id())));
  EXPECT_THAT(ids("CAF\xC3\x89"), sci::IsOkAndHolds(ElementsAre(t[5].id())));
  EXPECT_THAT(ids("\xC3\xA9 MENU"), sci::IsOkAndHolds(ElementsAre(t[4].id())));
  EXPECT_THAT(ids("\xC3\x89 menu"), sci::IsOkAndHolds(ElementsAre(t[5].id())));
  EXPECT_THAT(ids("nothing like this"), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids("VPN drops every hour, and more"),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids(""), sci::IsOkAndHolds(::testing::SizeIs(kSubjects.size())));
}

TEST_P(StoreConformanceTest, QueryTimeRangesAreHalfOpen) {
  namespace sci = store_conformance_internal;
  // (created, updated) in minutes; ticket 4 is created one microsecond
  // before minute 10; tickets 5 and 6 sit at the first and the last instant
  // a Timestamp can hold (0001-01-01 and 9999-12-31T23:59:59.999999).
  const int64_t kCreated[] = {0, 10, 20, 30};
  const int64_t kUpdated[] = {50, 20, 30, 30};
  std::vector<v1::Ticket> t(7);
  for (int i = 0; i < 4; ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), kCreated[i]);
    *t[i].mutable_updated_at() = sci::AtMinute(kUpdated[i]);
  }
  t[4] = sci::MakeTicket("ticket 4");
  *t[4].mutable_created_at() =
      ToTimestamp(sci::Minute(10) - absl::Microseconds(1));
  *t[4].mutable_updated_at() = sci::AtMinute(60);
  t[5] = sci::MakeTicket("first instant");
  t[5].mutable_created_at()->set_seconds(-62135596800);
  t[5].mutable_created_at()->set_nanos(0);
  *t[5].mutable_updated_at() = t[5].created_at();
  t[6] = sci::MakeTicket("last instant");
  t[6].mutable_created_at()->set_seconds(253402300799);
  t[6].mutable_created_at()->set_nanos(999999000);
  *t[6].mutable_updated_at() = t[6].created_at();
  HELPDESK_ASSERT_OK(InsertCommitted(t));

  auto ids = [this](TicketQuery q) { return QueryIds(q); };
  using sci::Minute;
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  const absl::Time kPast = absl::InfinitePast();
  const absl::Time kFuture = absl::InfiniteFuture();
  EXPECT_THAT(ids({.created = {Minute(10), Minute(30)}}),
              sci::IsOkAndHolds(ElementsAre(t[1].id(), t[2].id())));
  EXPECT_THAT(ids({.created = {Minute(10), Minute(10)}}),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(
      ids({.created = {Minute(10) - absl::Microseconds(1), Minute(10)}}),
      sci::IsOkAndHolds(ElementsAre(t[4].id())));
  EXPECT_THAT(ids({.created = {Minute(10) - absl::Microseconds(1),
                               Minute(10) + absl::Microseconds(1)}}),
              sci::IsOkAndHolds(ElementsAre(t[4].id(), t[1].id())));
  EXPECT_THAT(ids({.created = {Minute(20), kFuture}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id(), t[3].id(), t[6].id())));
  EXPECT_THAT(ids({.created = {kPast, Minute(10)}}),
              sci::IsOkAndHolds(ElementsAre(t[5].id(), t[0].id(), t[4].id())));
  EXPECT_THAT(ids({.created = {kPast, Minute(0)}}),
              sci::IsOkAndHolds(ElementsAre(t[5].id())));
  EXPECT_THAT(ids({.created = {FromTimestamp(t[6].created_at()), kFuture}}),
              sci::IsOkAndHolds(ElementsAre(t[6].id())));
  EXPECT_THAT(ids({.updated = {Minute(20), Minute(30)}}),
              sci::IsOkAndHolds(ElementsAre(t[1].id())));
  EXPECT_THAT(
      ids({.updated = {Minute(30), Minute(50) + absl::Microseconds(1)}}),
      sci::IsOkAndHolds(ElementsAre(t[0].id(), t[2].id(), t[3].id())));
  EXPECT_THAT(ids({.updated = {Minute(50), Minute(60)}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(
      ids({.created = {kPast, Minute(30)}, .updated = {Minute(30), kFuture}}),
      sci::IsOkAndHolds(ElementsAre(t[0].id(), t[4].id(), t[2].id())));
  // The default range matches every time, the extremes included, in every
  // order.
  for (TicketSort sort : sci::kAllSorts) {
    SCOPED_TRACE(sci::SortName(sort));
    TicketQuery all{.sort = sort, .limit = 2};
    EXPECT_THAT(ids(all), sci::IsOkAndHolds(sci::ReferenceQuery(t, all)));
    EXPECT_THAT(ids(all), sci::IsOkAndHolds(::testing::SizeIs(7)));
  }
}

TEST_P(StoreConformanceTest, QueryLeavesOutMergedTicketsUnlessAsked) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t = {sci::MakeTicket("target", 0),
                               sci::MakeTicket("merged", 1),
                               sci::MakeTicket("plain", 2)};
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    t[1].set_merged_into(t[0].id());
    HELPDESK_ASSERT_OK(tx->UpdateTicket(&t[1], t[1].version()));
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  using ::testing::ElementsAre;
  EXPECT_THAT(QueryIds({}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[2].id())));
  EXPECT_THAT(QueryIds({.include_merged = true}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id(), t[2].id())));
  EXPECT_THAT(QueryIds({.subject_contains = "merged"}),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(QueryIds({.subject_contains = "merged", .include_merged = true}),
              sci::IsOkAndHolds(ElementsAre(t[1].id())));
}

TEST_P(StoreConformanceTest, QueryVisibleToMatchesAnyOfItsSetConditions) {
  namespace sci = store_conformance_internal;
  struct Row {
    int64_t requester;
    std::vector<int64_t> cc;
    int64_t group;
    int64_t assignee;
  };
  const std::vector<Row> kRows = {
      {1, {}, 0, 0},       // 0
      {2, {1}, 0, 0},      // 1: contact 1 is CC
      {2, {}, 10, 0},      // 2
      {3, {}, 11, 7},      // 3
      {3, {}, 0, 8},       // 4
      {2, {3, 4}, 11, 0},  // 5
  };
  std::vector<v1::Ticket> t(kRows.size());
  for (size_t i = 0; i < kRows.size(); ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), static_cast<int64_t>(i));
    t[i].set_requester_id(kRows[i].requester);
    for (int64_t cc : kRows[i].cc) t[i].add_cc_contact_ids(cc);
    t[i].set_group_id(kRows[i].group);
    t[i].set_assignee_id(kRows[i].assignee);
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));

  auto ids = [this](TicketVisibility v) {
    return QueryIds(TicketQuery{.visible_to = std::move(v)});
  };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  // As requester or as CC.
  EXPECT_THAT(ids({.contact_id = 1}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  EXPECT_THAT(ids({.contact_id = 3}),
              sci::IsOkAndHolds(ElementsAre(t[3].id(), t[4].id(), t[5].id())));
  EXPECT_THAT(ids({.contact_id = 4}),
              sci::IsOkAndHolds(ElementsAre(t[5].id())));
  EXPECT_THAT(ids({.contact_id = 9}), sci::IsOkAndHolds(IsEmpty()));
  // By group.
  EXPECT_THAT(ids({.group_ids = {10}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids({.group_ids = {10, 11}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id(), t[3].id(), t[5].id())));
  // By assignee.
  EXPECT_THAT(ids({.assignee_id = 8}),
              sci::IsOkAndHolds(ElementsAre(t[4].id())));
  // Any of the set conditions.
  EXPECT_THAT(ids({.contact_id = 1, .group_ids = {11}, .assignee_id = 8}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id(), t[3].id(),
                                            t[4].id(), t[5].id())));
  EXPECT_THAT(ids({.contact_id = 4, .assignee_id = 7}),
              sci::IsOkAndHolds(ElementsAre(t[3].id(), t[5].id())));
  // Unset conditions match nothing.
  EXPECT_THAT(ids({}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.group_ids = {}}), sci::IsOkAndHolds(IsEmpty()));
  // A ticket in no group is not in "group 0".
  EXPECT_THAT(ids({.group_ids = {0}}), sci::IsOkAndHolds(IsEmpty()));
  // Visibility combines with the other filters with AND.
  EXPECT_THAT(QueryIds({.requester_id = 2,
                        .visible_to = TicketVisibility{.contact_id = 1}}),
              sci::IsOkAndHolds(ElementsAre(t[1].id())));
}

// ===========================================================================
// QueryTickets: sorting, limits, cursors, pagination
// ===========================================================================

TEST_P(StoreConformanceTest, QuerySortsBreakTiesById) {
  namespace sci = store_conformance_internal;
  // Ids are given out of insertion order, so that an order that merely keeps
  // insertion order for ties is caught.
  struct Row {
    const char* name;
    int64_t id;
    int64_t created;
    int64_t updated;
    v1::Priority priority;
  };
  const Row kRows[] = {
      {"a", 60, 10, 40, v1::PRIORITY_NORMAL},
      {"b", 20, 5, 40, v1::PRIORITY_URGENT},
      {"c", 50, 10, 10, v1::PRIORITY_URGENT},
      {"d", 10, 5, 20, v1::PRIORITY_LOW},
      {"e", 40, 10, 20, v1::PRIORITY_URGENT},
      {"f", 30, 0, 50, v1::PRIORITY_UNSPECIFIED},
  };
  std::vector<v1::Ticket> tickets;
  for (const Row& row : kRows) {
    v1::Ticket t = sci::MakeTicket(row.name, row.created);
    t.set_id(row.id);
    *t.mutable_updated_at() = sci::AtMinute(row.updated);
    t.set_priority(row.priority);
    tickets.push_back(t);
  }
  HELPDESK_ASSERT_OK(InsertCommitted(tickets));

  const std::vector<std::pair<TicketSort, std::vector<int64_t>>> kExpected = {
      // created: f(0) | d(5,10) b(5,20) | e(10,40) c(10,50) a(10,60)
      {TicketSort::kCreatedAsc, {30, 10, 20, 40, 50, 60}},
      {TicketSort::kCreatedDesc, {60, 50, 40, 20, 10, 30}},
      // updated: c(10) | d(20,10) e(20,40) | b(40,20) a(40,60) | f(50)
      {TicketSort::kUpdatedAsc, {50, 10, 40, 20, 60, 30}},
      {TicketSort::kUpdatedDesc, {30, 60, 20, 40, 10, 50}},
      // urgent: b(5) e(10,40) c(10,50) | normal: a | low: d | unspecified: f
      {TicketSort::kPriorityThenOldest, {20, 40, 50, 60, 10, 30}},
      {TicketSort::kIdAsc, {10, 20, 30, 40, 50, 60}},
  };
  for (const auto& [sort, expected] : kExpected) {
    for (int limit : {1, 2, 4, 6, 50}) {
      SCOPED_TRACE(absl::StrCat(sci::SortName(sort), " limit ", limit));
      TicketQuery q{.sort = sort, .limit = limit};
      EXPECT_EQ(sci::ReferenceQuery(tickets, q), expected);
      EXPECT_THAT(QueryIds(q), sci::IsOkAndHolds(expected));
    }
  }
}

TEST_P(StoreConformanceTest, QueryRefusesALimitOutOfRange) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t = {sci::MakeTicket("one", 0),
                               sci::MakeTicket("two", 1)};
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  for (int limit : {0, -1, kMaxQueryLimit + 1, std::numeric_limits<int>::min(),
                    std::numeric_limits<int>::max()}) {
    SCOPED_TRACE(absl::StrCat("limit ", limit));
    EXPECT_THAT(tx->QueryTickets(TicketQuery{.limit = limit}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr("limit")));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage one,
                       tx->QueryTickets(TicketQuery{.limit = 1}));
  EXPECT_EQ(one.tickets.size(), 1u);
  EXPECT_FALSE(one.next_cursor.empty());
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage max,
                       tx->QueryTickets(TicketQuery{.limit = kMaxQueryLimit}));
  EXPECT_EQ(max.tickets.size(), 2u);
  EXPECT_TRUE(max.next_cursor.empty());
}

TEST_P(StoreConformanceTest, QueryRefusesACursorItDidNotProduce) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t;
  for (int i = 0; i < 5; ++i) {
    t.push_back(sci::MakeTicket(absl::StrCat("ticket ", i), 5 - i));
    t.back().set_priority(static_cast<v1::Priority>(i % 4 + 1));
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());

  std::map<TicketSort, std::string> cursors;
  for (TicketSort sort : sci::kAllSorts) {
    HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(TicketQuery{
                                              .sort = sort, .limit = 2}));
    ASSERT_FALSE(page.next_cursor.empty()) << sci::SortName(sort);
    cursors[sort] = page.next_cursor;
  }
  const std::vector<std::string> kGarbage = {
      "not a cursor",
      std::string("\x00\x01\xff\xfe", 4),
      std::string(5000, 'x'),
      "0",
      "-1",
      " ",
  };
  for (TicketSort sort : sci::kAllSorts) {
    SCOPED_TRACE(sci::SortName(sort));
    // Its own cursor resumes.
    HELPDESK_EXPECT_OK(tx->QueryTickets(
        TicketQuery{.sort = sort, .limit = 2, .cursor = cursors[sort]}));
    // A cursor of another sort order is refused.
    for (TicketSort other : sci::kAllSorts) {
      if (other == sort) continue;
      EXPECT_THAT(tx->QueryTickets(TicketQuery{
                      .sort = sort, .limit = 2, .cursor = cursors[other]}),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           ::testing::HasSubstr("cursor")))
          << "cursor made for " << sci::SortName(other);
    }
    for (const std::string& garbage : kGarbage) {
      EXPECT_THAT(tx->QueryTickets(
                      TicketQuery{.sort = sort, .limit = 2, .cursor = garbage}),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           ::testing::HasSubstr("cursor")))
          << "cursor '" << absl::CHexEscape(garbage.substr(0, 40)) << "'";
    }
    // A damaged cursor is refused.
    EXPECT_THAT(tx->QueryTickets(TicketQuery{
                    .sort = sort, .limit = 2, .cursor = cursors[sort] + "!"}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr("cursor")));
    EXPECT_THAT(
        tx->QueryTickets(TicketQuery{
            .sort = sort,
            .limit = 2,
            .cursor = cursors[sort].substr(0, cursors[sort].size() / 2) + "!"}),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 ::testing::HasSubstr("cursor")));
  }
}

TEST_P(StoreConformanceTest, QueryLastPageHasAnEmptyCursor) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> empty_tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage empty, empty_tx->QueryTickets(TicketQuery()));
  EXPECT_THAT(empty.tickets, ::testing::IsEmpty());
  EXPECT_EQ(empty.next_cursor, "");
  empty_tx.reset();

  std::vector<v1::Ticket> t;
  for (int i = 0; i < 6; ++i) t.push_back(sci::MakeTicket("t", i));
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  for (TicketSort sort : sci::kAllSorts) {
    for (int limit : {1, 2, 3, 4, 5, 6, 7}) {
      SCOPED_TRACE(absl::StrCat(sci::SortName(sort), " limit ", limit));
      TicketQuery q{.sort = sort, .limit = limit};
      size_t seen = 0;
      for (int page_number = 0;; ++page_number) {
        ASSERT_LT(page_number, 10);
        HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(q));
        seen += page.tickets.size();
        // The page that reaches the last ticket is the last page.
        EXPECT_EQ(page.next_cursor.empty(), seen == t.size())
            << "page " << page_number << " has " << page.tickets.size()
            << " tickets; " << seen << " of " << t.size() << " seen";
        if (page.next_cursor.empty()) break;
        q.cursor = page.next_cursor;
      }
      EXPECT_EQ(seen, t.size());
    }
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      TicketPage none,
      tx->QueryTickets(TicketQuery{.subject_contains = "zzz"}));
  EXPECT_THAT(none.tickets, ::testing::IsEmpty());
  EXPECT_EQ(none.next_cursor, "");
}

TEST_P(StoreConformanceTest,
       QueryReturnsEachUnchangedTicketOnceWhileOthersChange) {
  namespace sci = store_conformance_internal;
  // Pages through every sort order with small pages. Between pages, other
  // transactions insert tickets, change tickets without touching their sort
  // keys, and move some tickets to a new sort key. Every ticket that keeps its
  // sort key must come back exactly once (if it existed when paging began) or
  // at most once (if inserted meanwhile), in order.
  std::mt19937_64 rng(0x5eed0001);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto random_ticket = [&](absl::string_view subject) {
    v1::Ticket t = sci::MakeTicket(subject, uniform(0, 40));
    *t.mutable_updated_at() = sci::AtMinute(uniform(40, 80));
    t.set_priority(static_cast<v1::Priority>(uniform(0, 4)));
    return t;
  };
  std::vector<v1::Ticket> initial;
  for (int i = 0; i < 30; ++i) {
    initial.push_back(random_ticket(absl::StrCat("initial ", i)));
  }
  HELPDESK_ASSERT_OK(InsertCommitted(initial));

  for (TicketSort sort : sci::kAllSorts) {
    SCOPED_TRACE(sci::SortName(sort));
    HELPDESK_ASSERT_OK_AND_ASSIGN(
        std::vector<v1::Ticket> at_start,
        QueryAllPages(TicketQuery{.sort = sort, .limit = kMaxQueryLimit}));
    std::map<int64_t, v1::Ticket> current;
    for (const v1::Ticket& t : at_start) current[t.id()] = t;
    std::set<int64_t> key_changed;
    std::vector<v1::Ticket> returned;

    TicketQuery q{.sort = sort, .limit = 4};
    for (int page_number = 0;; ++page_number) {
      ASSERT_LT(page_number, 200) << "pagination does not end";
      TicketPage page;
      {
        HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
        HELPDESK_ASSERT_OK_AND_ASSIGN(page, tx->QueryTickets(q));
      }
      ASSERT_LE(page.tickets.size(), 4u);
      for (const v1::Ticket& t : page.tickets) returned.push_back(t);
      if (page.next_cursor.empty()) break;
      q.cursor = page.next_cursor;

      HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
      // One insertion per page of four: paging always gains on the inserts.
      v1::Ticket inserted =
          random_ticket(absl::StrCat("inserted at page ", page_number));
      HELPDESK_ASSERT_OK(tx->InsertTicket(&inserted));
      current[inserted.id()] = inserted;
      auto pick = [&]() -> v1::Ticket& {
        auto it = current.begin();
        std::advance(it, uniform(0, static_cast<int64_t>(current.size()) - 1));
        return it->second;
      };
      // A change that keeps every sort key.
      v1::Ticket& same_key = pick();
      same_key.set_subject(absl::StrCat(same_key.subject(), " (edited)"));
      same_key.add_tags(absl::StrCat("edit", page_number));
      HELPDESK_ASSERT_OK(tx->UpdateTicket(&same_key, same_key.version()));
      // A change that may move the ticket in this order.
      v1::Ticket& moved = pick();
      const sci::ReferenceSortKey old_key = sci::SortKeyOf(moved, sort);
      switch (uniform(0, 2)) {
        case 0:
          *moved.mutable_created_at() = sci::AtMinute(uniform(0, 40));
          break;
        case 1:
          *moved.mutable_updated_at() = sci::AtMinute(uniform(40, 80));
          break;
        default:
          moved.set_priority(static_cast<v1::Priority>(uniform(0, 4)));
          break;
      }
      HELPDESK_ASSERT_OK(tx->UpdateTicket(&moved, moved.version()));
      if (!(sci::SortKeyOf(moved, sort) == old_key)) {
        key_changed.insert(moved.id());
      }
      HELPDESK_ASSERT_OK(tx->Commit());
    }

    std::map<int64_t, int> times_returned;
    for (const v1::Ticket& t : returned) ++times_returned[t.id()];
    for (const v1::Ticket& t : at_start) {
      if (key_changed.count(t.id()) == 0) {
        EXPECT_EQ(times_returned[t.id()], 1)
            << "ticket " << t.id() << " kept its sort key";
      }
    }
    for (const auto& [id, times] : times_returned) {
      if (key_changed.count(id) == 0) {
        EXPECT_LE(times, 1) << "ticket " << id << " kept its sort key";
      }
    }
    const v1::Ticket* previous = nullptr;
    for (const v1::Ticket& t : returned) {
      if (key_changed.count(t.id()) != 0) continue;
      if (previous != nullptr) {
        EXPECT_TRUE(sci::ComesBefore(*previous, t, sort))
            << "ticket " << previous->id() << " was returned before " << t.id();
      }
      previous = &t;
    }
  }
}

TEST_P(StoreConformanceTest, QueryMatchesAReferenceForRandomQueries) {
  namespace sci = store_conformance_internal;
  // A few hundred tickets with random fields, then random filter and sort
  // combinations paged with small limits, each checked against the same query
  // evaluated in plain C++.
  std::mt19937_64 rng(20260105);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto chance = [&uniform](int percent) { return uniform(0, 99) < percent; };
  auto pick = [&uniform](const auto& options) -> const auto& {
    return options[uniform(0, static_cast<int64_t>(std::size(options)) - 1)];
  };
  const std::pair<const char*, v1::StatusCategory> kStatuses[] = {
      {"new", v1::STATUS_CATEGORY_NEW},
      {"open", v1::STATUS_CATEGORY_OPEN},
      {"pending", v1::STATUS_CATEGORY_PENDING},
      {"waiting on vendor", v1::STATUS_CATEGORY_PENDING},
      {"on-hold", v1::STATUS_CATEGORY_ON_HOLD},
      {"solved", v1::STATUS_CATEGORY_SOLVED},
      {"closed", v1::STATUS_CATEGORY_CLOSED},
  };
  const std::string kTags[] = {"billing", "login", "mobile", "vpn", "wifi"};
  const std::string kWords[] = {
      "VPN",         "vpn",       "Printer",   "printer",
      "100%",        "file_name", "fileXname", "Caf\xC3\xA9",
      "CAF\xC3\x89", "login",     "LOGIN",     "error",
      "Error",       "slow",      "[urgent]",  "a\\b"};
  const std::string kNeedles[] = {
      "vpn",   "VPN",         "Vpn",         "print",     "PRINTER",
      "100%",  "%",           "_",           "file_name", "e_n",
      "caf",   "CAF\xC3\x89", "caf\xC3\xA9", "\xC3\xA9",  "\xC3\x89",
      "login", "gin e",       "error",       "slow",      "w pr",
      " ",     "zzz",         "[u",          "\\",        "N p"};
  const int64_t kContacts = 8;

  std::vector<v1::Ticket> tickets;
  auto random_ticket = [&](int n) {
    const auto& status = pick(kStatuses);
    std::vector<std::string> words;
    for (int64_t w = uniform(1, 4); w > 0; --w) words.push_back(pick(kWords));
    v1::Ticket t = sci::MakeTicket(absl::StrJoin(words, " "), uniform(0, 400));
    if (chance(10)) {
      *t.mutable_created_at() =
          ToTimestamp(sci::Minute(uniform(0, 400)) +
                      absl::Microseconds(uniform(1, 999999)));
    }
    *t.mutable_updated_at() = ToTimestamp(FromTimestamp(t.created_at()) +
                                          absl::Minutes(uniform(0, 3) * 30));
    t.set_status(status.first);
    t.set_status_category(status.second);
    t.set_priority(static_cast<v1::Priority>(uniform(0, 4)));
    for (const std::string& tag : kTags) {
      if (chance(30)) t.add_tags(tag);
    }
    t.set_requester_id(uniform(1, kContacts));
    t.set_organization_id(pick(std::vector<int64_t>{0, 100, 101}));
    t.set_assignee_id(pick(std::vector<int64_t>{0, 0, 1, 2, 3}));
    t.set_group_id(pick(std::vector<int64_t>{0, 0, 10, 11, 12}));
    for (int64_t contact = 1; contact <= kContacts; ++contact) {
      if (chance(8)) t.add_cc_contact_ids(contact);
    }
    t.set_message_count(n);
    if (chance(60)) *t.mutable_sla_next_deadline() = sci::AtMinute(uniform(0, 60));
    return t;
  };
  for (int batch = 0; batch < 3; ++batch) {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    for (int i = 0; i < 100; ++i) {
      v1::Ticket t = random_ticket(batch * 100 + i);
      HELPDESK_ASSERT_OK(tx->InsertTicket(&t));
      tickets.push_back(t);
    }
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  {
    // Random updates, merges included.
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    for (int i = 0; i < 80; ++i) {
      v1::Ticket& t =
          tickets[uniform(0, static_cast<int64_t>(tickets.size()) - 1)];
      v1::Ticket changed = random_ticket(t.message_count());
      changed.set_id(t.id());
      *changed.mutable_created_at() = t.created_at();
      *changed.mutable_updated_at() = ToTimestamp(
          FromTimestamp(t.updated_at()) + absl::Minutes(uniform(1, 120)));
      if (chance(25)) {
        changed.set_merged_into(
            tickets[uniform(0, static_cast<int64_t>(tickets.size()) - 1)].id());
      }
      HELPDESK_ASSERT_OK(tx->UpdateTicket(&changed, t.version()));
      t = changed;
    }
    HELPDESK_ASSERT_OK(tx->Commit());
  }

  // Every ticket comes back whole.
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> stored,
                       QueryAllPages(TicketQuery{.include_merged = true,
                                                 .sort = TicketSort::kIdAsc,
                                                 .limit = kMaxQueryLimit}));
  ASSERT_EQ(stored.size(), tickets.size());
  {
    std::vector<v1::Ticket> by_id = tickets;
    std::sort(by_id.begin(), by_id.end(),
              [](const v1::Ticket& a, const v1::Ticket& b) {
                return a.id() < b.id();
              });
    for (size_t i = 0; i < by_id.size(); ++i) {
      EXPECT_THAT(stored[i], sci::EqualsProto(by_id[i]));
    }
  }

  auto random_time_range = [&]() {
    TimeRange range;
    auto random_point = [&]() {
      if (chance(50)) {
        return FromTimestamp(pick(tickets).created_at());
      }
      return sci::Minute(uniform(0, 500));
    };
    if (chance(70)) range.from = random_point();
    if (chance(70)) range.to = random_point();
    return range;
  };
  auto flip_case = [&](std::string s) {
    for (char& c : s) {
      if (absl::ascii_isalpha(static_cast<unsigned char>(c)) && chance(50)) {
        c = absl::ascii_isupper(static_cast<unsigned char>(c))
                ? absl::ascii_tolower(static_cast<unsigned char>(c))
                : absl::ascii_toupper(static_cast<unsigned char>(c));
      }
    }
    return s;
  };

  constexpr int kQueries = 200;
  for (int n = 0; n < kQueries; ++n) {
    TicketQuery q;
    q.sort = pick(sci::kAllSorts);
    if (chance(20)) {
      for (int64_t k = uniform(1, 2); k > 0; --k) {
        q.statuses.push_back(chance(90) ? pick(kStatuses).first : "unknown");
      }
    }
    if (chance(20)) {
      for (int64_t k = uniform(1, 2); k > 0; --k) {
        q.status_categories.push_back(
            static_cast<v1::StatusCategory>(uniform(1, 6)));
      }
    }
    if (chance(20)) q.assignee_id = pick(std::vector<int64_t>{0, 1, 2, 3, 9});
    if (chance(15)) q.group_id = pick(std::vector<int64_t>{0, 10, 11, 12});
    if (chance(25)) {
      for (int64_t k = uniform(1, 2); k > 0; --k) q.tags.push_back(pick(kTags));
    }
    if (chance(15)) q.requester_id = uniform(1, kContacts + 1);
    if (chance(15))
      q.organization_id = pick(std::vector<int64_t>{100, 101, 102});
    if (chance(25)) q.subject_contains = flip_case(pick(kNeedles));
    if (chance(20)) q.created = random_time_range();
    if (chance(15)) q.updated = random_time_range();
    if (chance(20)) {
      TimeRange range;
      if (chance(70)) range.from = sci::Minute(uniform(0, 60));
      if (chance(70)) range.to = sci::Minute(uniform(0, 60));
      q.sla_deadline = range;
    }
    q.include_merged = chance(30);
    if (chance(20)) {
      TicketVisibility v;
      if (chance(50)) v.contact_id = uniform(1, kContacts);
      for (int64_t group : {10, 11, 12}) {
        if (chance(30)) v.group_ids.push_back(group);
      }
      if (chance(40)) v.assignee_id = uniform(1, 3);
      q.visible_to = v;
    }
    const std::vector<int64_t> expected = sci::ReferenceQuery(tickets, q);
    q.limit = static_cast<int>(uniform(1, 8));
    if (expected.size() / q.limit > 25) {
      q.limit = static_cast<int>(expected.size() / 25 + uniform(1, 5));
    }
    EXPECT_THAT(QueryIds(q), sci::IsOkAndHolds(expected))
        << "query " << n << ": " << sci::DescribeQuery(q);
  }
}

TEST_P(StoreConformanceTest, SetTicketSlaDeadlineKeepsVersionAndUpdatedAt) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket t = sci::MakeTicket("due soon", 10);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&t));
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(t.id(), sci::Minute(30)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket read, tx->GetTicket(t.id()));
  EXPECT_EQ(read.version(), 1);
  EXPECT_THAT(read.updated_at(), sci::EqualsProto(t.updated_at()));
  ASSERT_TRUE(read.has_sla_next_deadline());
  EXPECT_EQ(FromTimestamp(read.sla_next_deadline()), sci::Minute(30));
  EXPECT_THAT(tx->SetTicketSlaDeadline(t.id() + 1000, sci::Minute(1)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());

  // A later UpdateTicket keeps what the caller passes (the Desk carries it).
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  read.set_subject("still due soon");
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&read, 1));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket updated, tx->GetTicket(t.id()));
  EXPECT_EQ(FromTimestamp(updated.sla_next_deadline()), sci::Minute(30));
  // Clearing removes it from deadline queries.
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(t.id(), std::nullopt));
  HELPDESK_ASSERT_OK_AND_ASSIGN(updated, tx->GetTicket(t.id()));
  EXPECT_FALSE(updated.has_sla_next_deadline());
  EXPECT_EQ(updated.version(), 2);
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      TicketPage page,
      tx->QueryTickets(TicketQuery{.sla_deadline = TimeRange{}, .limit = 10}));
  EXPECT_TRUE(page.tickets.empty());
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  EXPECT_THAT(tx->SetTicketSlaDeadline(t.id(), sci::Minute(5)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformanceTest, SlaDeadlineOrderPutsTicketsWithoutOneLast) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    v1::Ticket t = sci::MakeTicket(absl::StrCat("t", i), i);
    HELPDESK_ASSERT_OK(tx->InsertTicket(&t));
    ids.push_back(t.id());
  }
  // Deadlines: t0 at 40, t1 none, t2 at 10, t3 none, t4 at 10.
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(ids[0], sci::Minute(40)));
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(ids[2], sci::Minute(10)));
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(ids[4], sci::Minute(10)));
  HELPDESK_ASSERT_OK(tx->Commit());
  EXPECT_THAT(QueryIds(TicketQuery{.sort = TicketSort::kSlaDeadlineAsc, .limit = 2}),
              sci::IsOkAndHolds(std::vector<int64_t>{ids[2], ids[4], ids[0], ids[1],
                                                     ids[3]}));
  // "Due by minute 10 inclusive", as Desk::Tick asks.
  EXPECT_THAT(QueryIds(TicketQuery{.sla_deadline = TimeRange{absl::InfinitePast(),
                                                             sci::Minute(10) +
                                                                 absl::Microseconds(1)},
                                   .sort = TicketSort::kSlaDeadlineAsc}),
              sci::IsOkAndHolds(std::vector<int64_t>{ids[2], ids[4]}));
}

TEST_P(StoreConformanceTest, ThreadKeysKeepTheirFirstTicket) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  EXPECT_THAT(tx->FindThreadKey("email:a@b"), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->PutThreadKey("email:a@b", 7));
  HELPDESK_ASSERT_OK(tx->PutThreadKey("email:a@b", 9));  // a later ticket does not take it
  HELPDESK_ASSERT_OK(tx->PutThreadKey("EMAIL:a@b", 9));  // keys compare exactly
  EXPECT_THAT(tx->PutThreadKey("", 7), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->PutThreadKey("chat:x", 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  HELPDESK_ASSERT_OK(tx->Commit());
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  EXPECT_THAT(tx->FindThreadKey("email:a@b"),
              store_conformance_internal::IsOkAndHolds(int64_t{7}));
  EXPECT_THAT(tx->FindThreadKey("EMAIL:a@b"),
              store_conformance_internal::IsOkAndHolds(int64_t{9}));
  EXPECT_THAT(tx->PutThreadKey("email:c@d", 1),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformanceTest, OutboxListsDueEntriesInOrder) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  auto entry = [](int due_minute, v1::OutboxEntry::State state) {
    v1::OutboxEntry e;
    e.set_state(state);
    e.mutable_message()->set_subject(absl::StrCat("due ", due_minute));
    e.mutable_message()->set_idempotency_key(absl::StrCat("k", due_minute));
    *e.mutable_created_at() = sci::AtMinute(0);
    *e.mutable_next_attempt_at() = sci::AtMinute(due_minute);
    return e;
  };
  v1::OutboxEntry late = entry(20, v1::OutboxEntry::PENDING);
  v1::OutboxEntry early = entry(5, v1::OutboxEntry::PENDING);
  v1::OutboxEntry same = entry(5, v1::OutboxEntry::PENDING);
  v1::OutboxEntry dead = entry(1, v1::OutboxEntry::DEAD);
  for (v1::OutboxEntry* e : {&late, &early, &same, &dead}) {
    HELPDESK_ASSERT_OK(tx->InsertOutbox(e));
  }
  EXPECT_LT(late.id(), early.id());
  EXPECT_LT(early.id(), same.id());
  v1::OutboxEntry bad;
  EXPECT_THAT(tx->InsertOutbox(&bad), StatusIs(absl::StatusCode::kInvalidArgument));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  auto ids = [](const std::vector<v1::OutboxEntry>& entries) {
    std::vector<int64_t> out;
    for (const v1::OutboxEntry& e : entries) out.push_back(e.id());
    return out;
  };
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> due,
                       tx->ListDueOutbox(sci::Minute(10), 100));
  EXPECT_EQ(ids(due), (std::vector<int64_t>{early.id(), same.id()}));
  EXPECT_THAT(due[0], sci::EqualsProto(early));
  HELPDESK_ASSERT_OK_AND_ASSIGN(due, tx->ListDueOutbox(sci::Minute(5), 1));
  EXPECT_EQ(ids(due), (std::vector<int64_t>{early.id()}));
  // Delivered entries leave the due list; updates keep everything else.
  early.set_state(v1::OutboxEntry::DELIVERED);
  early.set_provider_id("250 ok");
  HELPDESK_ASSERT_OK(tx->UpdateOutbox(early));
  HELPDESK_ASSERT_OK_AND_ASSIGN(due, tx->ListDueOutbox(sci::Minute(60), 100));
  EXPECT_EQ(ids(due), (std::vector<int64_t>{same.id(), late.id()}));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::OutboxEntry read, tx->GetOutbox(early.id()));
  EXPECT_THAT(read, sci::EqualsProto(early));
  v1::OutboxEntry missing = early;
  missing.set_id(early.id() + 1000);
  EXPECT_THAT(tx->UpdateOutbox(missing), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetOutbox(early.id() + 1000), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->ListDueOutbox(sci::Minute(60), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("limit")));
  // Listing by state and after an id.
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> all,
                       tx->ListOutbox(std::nullopt, 0, 100));
  EXPECT_EQ(ids(all), (std::vector<int64_t>{late.id(), early.id(), same.id(), dead.id()}));
  HELPDESK_ASSERT_OK_AND_ASSIGN(all, tx->ListOutbox(v1::OutboxEntry::DEAD, 0, 100));
  EXPECT_EQ(ids(all), (std::vector<int64_t>{dead.id()}));
  HELPDESK_ASSERT_OK_AND_ASSIGN(all, tx->ListOutbox(std::nullopt, early.id(), 1));
  EXPECT_EQ(ids(all), (std::vector<int64_t>{same.id()}));
  HELPDESK_ASSERT_OK(tx->Commit());
}

TEST_P(StoreConformanceTest, QuarantineKeepsEntriesAndListsThemByState) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  auto entry = [](absl::string_view reason, v1::QuarantineEntry::State state) {
    v1::QuarantineEntry e;
    e.set_state(state);
    e.set_channel(v1::CHANNEL_EMAIL);
    e.set_source("maildir:new/1");
    e.set_idempotency_key(absl::StrCat("key-", reason));
    e.set_reason(std::string(reason));
    e.set_reason_code(3);
    e.mutable_message()->set_subject(absl::StrCat("about ", reason));
    e.set_raw(std::string("From: a@b\r\n\0\xff", 13));
    *e.mutable_quarantined_at() = sci::AtMinute(3);
    return e;
  };
  v1::QuarantineEntry a = entry("a", v1::QuarantineEntry::HELD);
  v1::QuarantineEntry b = entry("b", v1::QuarantineEntry::DISCARDED);
  v1::QuarantineEntry c = entry("c", v1::QuarantineEntry::HELD);
  for (v1::QuarantineEntry* e : {&a, &b, &c}) HELPDESK_ASSERT_OK(tx->InsertQuarantine(e));
  EXPECT_LT(a.id(), b.id());
  EXPECT_LT(b.id(), c.id());
  v1::QuarantineEntry bad;
  EXPECT_THAT(tx->InsertQuarantine(&bad), StatusIs(absl::StatusCode::kInvalidArgument));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  auto ids = [](const std::vector<v1::QuarantineEntry>& entries) {
    std::vector<int64_t> out;
    for (const v1::QuarantineEntry& e : entries) out.push_back(e.id());
    return out;
  };
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::QuarantineEntry read, tx->GetQuarantine(a.id()));
  EXPECT_THAT(read, sci::EqualsProto(a));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> all,
                       tx->ListQuarantine(std::nullopt, 0, 100));
  EXPECT_EQ(ids(all), (std::vector<int64_t>{a.id(), b.id(), c.id()}));
  HELPDESK_ASSERT_OK_AND_ASSIGN(all, tx->ListQuarantine(v1::QuarantineEntry::HELD, 0, 100));
  EXPECT_EQ(ids(all), (std::vector<int64_t>{a.id(), c.id()}));
  HELPDESK_ASSERT_OK_AND_ASSIGN(all, tx->ListQuarantine(std::nullopt, a.id(), 1));
  EXPECT_EQ(ids(all), (std::vector<int64_t>{b.id()}));
  EXPECT_THAT(tx->ListQuarantine(std::nullopt, 0, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("limit")));
  // An update replaces the entry; a released entry leaves the HELD list.
  a.set_state(v1::QuarantineEntry::RELEASED);
  a.set_ticket_id(42);
  a.set_retries(1);
  HELPDESK_ASSERT_OK(tx->UpdateQuarantine(a));
  HELPDESK_ASSERT_OK_AND_ASSIGN(all, tx->ListQuarantine(v1::QuarantineEntry::HELD, 0, 100));
  EXPECT_EQ(ids(all), (std::vector<int64_t>{c.id()}));
  v1::QuarantineEntry missing = a;
  missing.set_id(c.id() + 1000);
  EXPECT_THAT(tx->UpdateQuarantine(missing), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetQuarantine(c.id() + 1000), StatusIs(absl::StatusCode::kNotFound));
  v1::QuarantineEntry stateless = c;
  stateless.set_state(v1::QuarantineEntry::STATE_UNSPECIFIED);
  EXPECT_THAT(tx->UpdateQuarantine(stateless), StatusIs(absl::StatusCode::kInvalidArgument));
  HELPDESK_ASSERT_OK(tx->Commit());
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(read, tx->GetQuarantine(a.id()));
  EXPECT_THAT(read, sci::EqualsProto(a));
}

// A rolled-back transaction leaves no quarantine entry behind.
TEST_P(StoreConformanceTest, QuarantineInsertRollsBack) {
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    v1::QuarantineEntry e;
    e.set_state(v1::QuarantineEntry::HELD);
    HELPDESK_ASSERT_OK(tx->InsertQuarantine(&e));
  }  // no Commit
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> all,
                       tx->ListQuarantine(std::nullopt, 0, 100));
  EXPECT_TRUE(all.empty());
}

// ===========================================================================
// Messages
// ===========================================================================

TEST_P(StoreConformanceTest, InsertMessageAssignsIncreasingIdsAndOrigin) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  // The store does not check that the ticket exists.
  v1::Message first = sci::MakeMessage(5, "first");
  first.set_kind(v1::Message::PUBLIC_REPLY);
  first.mutable_author()->set_kind(v1::Actor::AGENT);
  first.mutable_author()->set_id(3);
  first.set_body_html("<p>first</p>");
  first.set_external_id("<abc@mail.example.com>");
  v1::Attachment* attachment = first.add_attachments();
  attachment->set_file_name("log.txt");
  attachment->set_media_type("text/plain");
  attachment->set_size(12);
  attachment->set_sha256(sci::Sha256Of('d'));
  HELPDESK_ASSERT_OK(tx->InsertMessage(&first));
  EXPECT_GT(first.id(), 0);
  EXPECT_EQ(first.origin_ticket_id(), 5);
  const v1::Message first_as_inserted = first;
  first.set_body_text("changed after InsertMessage returned");

  v1::Message second = sci::MakeMessage(5, "second, with an origin");
  second.set_origin_ticket_id(3);
  HELPDESK_ASSERT_OK(tx->InsertMessage(&second));
  EXPECT_GT(second.id(), first.id());
  EXPECT_EQ(second.origin_ticket_id(), 3);

  v1::Message no_ticket = sci::MakeMessage(0, "no ticket");
  EXPECT_THAT(tx->InsertMessage(&no_ticket),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::Message negative = sci::MakeMessage(-2, "negative ticket");
  EXPECT_THAT(tx->InsertMessage(&negative),
              StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_THAT(tx->GetMessage(first.id()),
              sci::IsOkAndHolds(sci::EqualsProto(first_as_inserted)));
  EXPECT_THAT(tx->GetMessage(second.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Message third = sci::MakeMessage(6, "third");
  HELPDESK_ASSERT_OK(next->InsertMessage(&third));
  EXPECT_GT(third.id(), second.id());
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetMessage(first.id()),
              sci::IsOkAndHolds(sci::EqualsProto(first_as_inserted)));
  EXPECT_THAT(reader->GetMessage(second.id()),
              sci::IsOkAndHolds(sci::EqualsProto(second)));
  EXPECT_THAT(reader->GetMessage(third.id()),
              sci::IsOkAndHolds(sci::EqualsProto(third)));
  EXPECT_THAT(reader->GetMessage(0), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, ListMessagesReturnsATicketsMessagesById) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Message> on5;
  std::vector<v1::Message> on6;
  for (int i = 0; i < 6; ++i) {
    const int64_t ticket = (i % 3 == 1) ? 6 : 5;
    v1::Message m = sci::MakeMessage(ticket, absl::StrCat("message ", i));
    HELPDESK_ASSERT_OK(tx->InsertMessage(&m));
    (ticket == 5 ? on5 : on6).push_back(m);
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> listed5,
                       reader->ListMessages(5));
  EXPECT_EQ(sci::IdsOfList(listed5), sci::IdsOfList(on5));
  ASSERT_EQ(listed5.size(), on5.size());
  for (size_t i = 0; i < on5.size(); ++i) {
    EXPECT_THAT(listed5[i], sci::EqualsProto(on5[i]));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> listed6,
                       reader->ListMessages(6));
  EXPECT_EQ(sci::IdsOfList(listed6), sci::IdsOfList(on6));
  EXPECT_THAT(reader->ListMessages(777),
              sci::IsOkAndHolds(::testing::IsEmpty()));
}

TEST_P(StoreConformanceTest, MoveMessagesKeepsTheOriginTicket) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t = {sci::MakeTicket("from", 0),
                               sci::MakeTicket("to", 1)};
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  const int64_t from = t[0].id();
  const int64_t to = t[1].id();
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Message> m;
  for (int i = 0; i < 5; ++i) {
    m.push_back(sci::MakeMessage(i % 2 == 0 ? from : to, absl::StrCat(i)));
    HELPDESK_ASSERT_OK(tx->InsertMessage(&m.back()));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t moved, tx->MoveMessages(from, to));
  EXPECT_EQ(moved, 3);
  EXPECT_THAT(tx->ListMessages(from), sci::IsOkAndHolds(::testing::IsEmpty()));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> on_to,
                       reader->ListMessages(to));
  ASSERT_EQ(on_to.size(), 5u);
  for (size_t i = 0; i < on_to.size(); ++i) {
    v1::Message expected = m[i];
    expected.set_ticket_id(to);
    EXPECT_THAT(on_to[i], sci::EqualsProto(expected));
    EXPECT_EQ(on_to[i].origin_ticket_id(), i % 2 == 0 ? from : to);
  }
  EXPECT_THAT(reader->ListMessages(from),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Message first, reader->GetMessage(m[0].id()));
  EXPECT_EQ(first.ticket_id(), to);
  EXPECT_EQ(first.origin_ticket_id(), from);
  // Nothing left to move.
  EXPECT_THAT(reader->MoveMessages(from, to), sci::IsOkAndHolds(int64_t{0}));
  EXPECT_THAT(reader->MoveMessages(424242, to), sci::IsOkAndHolds(int64_t{0}));
}

// ===========================================================================
// Events
// ===========================================================================

TEST_P(StoreConformanceTest, AppendEventAssignsIdsIncreasingAcrossTheStore) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Event first = sci::MakeEvent(1, v1::Event::FIELDS_CHANGED);
  first.mutable_actor()->set_kind(v1::Actor::AGENT);
  first.mutable_actor()->set_id(4);
  first.mutable_actor()->set_name("Bo");
  v1::FieldChange* change = first.add_changes();
  change->set_field(v1::FieldChange::STATUS);
  change->mutable_before()->set_status("open");
  change->mutable_after()->set_status("solved");
  first.set_message_id(9);
  first.set_message_kind(2);
  first.set_related_ticket_id(3);
  first.set_ticket_version(4);
  first.set_note("a note");
  HELPDESK_ASSERT_OK(tx->AppendEvent(&first));
  EXPECT_GT(first.id(), 0);
  v1::Event second = sci::MakeEvent(2, v1::Event::TICKET_CREATED);
  HELPDESK_ASSERT_OK(tx->AppendEvent(&second));
  EXPECT_GT(second.id(), first.id());
  v1::Event third = sci::MakeEvent(1, v1::Event::MESSAGE_ADDED);
  HELPDESK_ASSERT_OK(tx->AppendEvent(&third));
  EXPECT_GT(third.id(), second.id());

  v1::Event no_ticket = sci::MakeEvent(0, v1::Event::TICKET_CREATED);
  EXPECT_THAT(tx->AppendEvent(&no_ticket),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::Event negative = sci::MakeEvent(-1, v1::Event::TICKET_CREATED);
  EXPECT_THAT(tx->AppendEvent(&negative),
              StatusIs(absl::StatusCode::kInvalidArgument));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Event fourth = sci::MakeEvent(3, v1::Event::LINKED);
  HELPDESK_ASSERT_OK(next->AppendEvent(&fourth));
  EXPECT_GT(fourth.id(), third.id());
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->ListEventsSince(0, 100),
              sci::IsOkAndHolds(::testing::ElementsAre(
                  sci::EqualsProto(first), sci::EqualsProto(second),
                  sci::EqualsProto(third), sci::EqualsProto(fourth))));
}

TEST_P(StoreConformanceTest, ListTicketEventsHonoursAfterIdAndLimit) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  const int64_t kTicketOf[] = {1, 2, 1, 1, 2, 1};
  std::vector<v1::Event> e;
  for (int64_t ticket : kTicketOf) {
    e.push_back(sci::MakeEvent(ticket, v1::Event::FIELDS_CHANGED));
    HELPDESK_ASSERT_OK(tx->AppendEvent(&e.back()));
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  auto ids = [&reader](int64_t ticket, int64_t after,
                       int limit) -> absl::StatusOr<std::vector<int64_t>> {
    absl::StatusOr<std::vector<v1::Event>> events =
        reader->ListTicketEvents(ticket, after, limit);
    if (!events.ok()) return events.status();
    return store_conformance_internal::IdsOfList(*events);
  };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids(1, 0, 0), sci::IsOkAndHolds(ElementsAre(
                                e[0].id(), e[2].id(), e[3].id(), e[5].id())));
  EXPECT_THAT(ids(2, 0, 0),
              sci::IsOkAndHolds(ElementsAre(e[1].id(), e[4].id())));
  EXPECT_THAT(ids(1, e[2].id(), 0),
              sci::IsOkAndHolds(ElementsAre(e[3].id(), e[5].id())));
  EXPECT_THAT(ids(1, e[1].id(), 0),
              sci::IsOkAndHolds(ElementsAre(e[2].id(), e[3].id(), e[5].id())));
  EXPECT_THAT(ids(1, 0, 2),
              sci::IsOkAndHolds(ElementsAre(e[0].id(), e[2].id())));
  EXPECT_THAT(ids(1, e[0].id(), 2),
              sci::IsOkAndHolds(ElementsAre(e[2].id(), e[3].id())));
  EXPECT_THAT(ids(1, e[3].id(), 5), sci::IsOkAndHolds(ElementsAre(e[5].id())));
  EXPECT_THAT(ids(1, e[5].id(), 0), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids(99, 0, 0), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(reader->ListTicketEvents(2, 0, 0),
              sci::IsOkAndHolds(
                  ElementsAre(sci::EqualsProto(e[1]), sci::EqualsProto(e[4]))));
}

TEST_P(StoreConformanceTest, ListEventsSinceReadsEveryTicketInIdOrder) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  const int64_t kTicketOf[] = {3, 1, 2, 3, 1, 2};
  std::vector<v1::Event> e;
  for (int64_t ticket : kTicketOf) {
    e.push_back(sci::MakeEvent(ticket, v1::Event::FIELDS_CHANGED));
    HELPDESK_ASSERT_OK(tx->AppendEvent(&e.back()));
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  auto ids = [&reader](int64_t after,
                       int limit) -> absl::StatusOr<std::vector<int64_t>> {
    absl::StatusOr<std::vector<v1::Event>> events =
        reader->ListEventsSince(after, limit);
    if (!events.ok()) return events.status();
    return store_conformance_internal::IdsOfList(*events);
  };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids(0, 100), sci::IsOkAndHolds(sci::IdsOfList(e)));
  EXPECT_THAT(ids(0, 10000), sci::IsOkAndHolds(sci::IdsOfList(e)));
  EXPECT_THAT(ids(0, 1), sci::IsOkAndHolds(ElementsAre(e[0].id())));
  EXPECT_THAT(ids(e[1].id(), 3),
              sci::IsOkAndHolds(ElementsAre(e[2].id(), e[3].id(), e[4].id())));
  EXPECT_THAT(ids(e[4].id(), 10), sci::IsOkAndHolds(ElementsAre(e[5].id())));
  EXPECT_THAT(ids(e[5].id(), 10), sci::IsOkAndHolds(IsEmpty()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> all,
                       reader->ListEventsSince(0, 100));
  ASSERT_EQ(all.size(), e.size());
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_THAT(all[i], sci::EqualsProto(e[i]));
  }
}

TEST_P(StoreConformanceTest, ListEventsSinceRefusesALimitOutOfRange) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  for (int limit : {0, -1, 10001}) {
    EXPECT_THAT(tx->ListEventsSince(0, limit),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "limit " << limit;
  }
}

// ===========================================================================
// Contacts and organizations
// ===========================================================================

TEST_P(StoreConformanceTest, InsertContactAssignsAnIdAndVersionOne) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  v1::ContactIdentity* phone = ann.add_identities();
  phone->set_kind(v1::ContactIdentity::PHONE);
  phone->set_value("+34600111222");
  v1::ContactIdentity* chat = ann.add_identities();
  chat->set_kind(v1::ContactIdentity::CHAT);
  chat->set_value("@Ann");
  ann.mutable_identities(0)->set_bouncing(true);
  ann.set_organization_id(4);
  ann.set_locale("es-ES");
  ann.set_time_zone("Europe/Madrid");
  ann.set_external_id("crm-17");
  ann.set_version(9);
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  EXPECT_GT(ann.id(), 0);
  EXPECT_EQ(ann.version(), 1);
  v1::Contact bo = sci::MakeContact("Bo", "bo@example.com");
  bo.set_blocked(true);
  HELPDESK_ASSERT_OK(tx->InsertContact(&bo));
  EXPECT_GT(bo.id(), 0);
  EXPECT_NE(bo.id(), ann.id());
  EXPECT_EQ(bo.version(), 1);
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetContact(ann.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(reader->GetContact(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  EXPECT_THAT(reader->GetContact(ann.id() + bo.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, FindContactByIdentityMatchesKindAndExactValue) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  v1::ContactIdentity* phone = ann.add_identities();
  phone->set_kind(v1::ContactIdentity::PHONE);
  phone->set_value("+34600111222");
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  // The same value under another kind is another identity.
  v1::Contact bo = sci::MakeContact("Bo", "bo@example.com");
  v1::ContactIdentity* chat = bo.add_identities();
  chat->set_kind(v1::ContactIdentity::CHAT);
  chat->set_value("ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&bo));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(
      reader->FindContactByIdentity(v1::ContactIdentity::PHONE, "+34600111222"),
      sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::CHAT,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "bo@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  // Values compare exactly.
  for (absl::string_view value :
       {"Ann@example.com", "ann@example.com ", "ann@example", "nn@example.com",
        "ann@example.co%", "ann_example.com"}) {
    EXPECT_THAT(
        reader->FindContactByIdentity(v1::ContactIdentity::EMAIL, value),
        StatusIs(absl::StatusCode::kNotFound))
        << value;
  }
  EXPECT_THAT(
      reader->FindContactByIdentity(v1::ContactIdentity::PHONE, "34600111222"),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::PHONE,
                                            "ann@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, InsertContactRefusesAnIdentityOfAnotherContact) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Contact clash = sci::MakeContact("Clash", "clash@example.com");
  v1::ContactIdentity* taken = clash.add_identities();
  taken->set_kind(v1::ContactIdentity::EMAIL);
  taken->set_value("ann@example.com");
  taken->set_bouncing(true);
  EXPECT_THAT(next->InsertContact(&clash),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       ::testing::HasSubstr("ann@example.com")));
  // Also against a contact inserted in the same transaction.
  v1::Contact cy = sci::MakeContact("Cy", "cy@example.com");
  HELPDESK_ASSERT_OK(next->InsertContact(&cy));
  v1::Contact cy_again = sci::MakeContact("Cy again", "cy@example.com");
  EXPECT_THAT(next->InsertContact(&cy_again),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       ::testing::HasSubstr("cy@example.com")));
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "clash@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "cy@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(cy)));
}

TEST_P(StoreConformanceTest, UpdateContactChecksTheVersionAndIdentities) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  v1::Contact bo = sci::MakeContact("Bo", "bo@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&bo));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  // Replace Ann's e-mail with a new one and add a phone; keep the version
  // field out of it.
  v1::Contact renamed = ann;
  renamed.set_name("Ann B.");
  renamed.mutable_identities(0)->set_value("ann.b@example.com");
  v1::ContactIdentity* phone = renamed.add_identities();
  phone->set_kind(v1::ContactIdentity::PHONE);
  phone->set_value("+15550001");
  renamed.set_version(0);
  HELPDESK_ASSERT_OK(next->UpdateContact(&renamed, 1));
  EXPECT_EQ(renamed.version(), 2);
  EXPECT_THAT(next->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                          "ann.b@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(renamed)));
  EXPECT_THAT(next->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                          "ann@example.com"),
              StatusIs(absl::StatusCode::kNotFound));

  // Stale.
  v1::Contact stale = renamed;
  stale.set_name("stale");
  EXPECT_THAT(next->UpdateContact(&stale, 1),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(1),
                                        sci::MentionsNumber(2))));
  // Unknown.
  v1::Contact unknown = sci::MakeContact("Nobody", "nobody@example.com");
  unknown.set_id(ann.id() + bo.id() + 1000);
  EXPECT_THAT(next->UpdateContact(&unknown, 1),
              StatusIs(absl::StatusCode::kNotFound));
  // Taking Bo's e-mail.
  v1::Contact thief = renamed;
  v1::ContactIdentity* taken = thief.add_identities();
  taken->set_kind(v1::ContactIdentity::EMAIL);
  taken->set_value("bo@example.com");
  EXPECT_THAT(next->UpdateContact(&thief, 2),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       ::testing::HasSubstr("bo@example.com")));
  EXPECT_THAT(next->GetContact(ann.id()),
              sci::IsOkAndHolds(sci::EqualsProto(renamed)));
  // Ann's released e-mail may go to Bo.
  v1::Contact bo2 = bo;
  v1::ContactIdentity* released = bo2.add_identities();
  released->set_kind(v1::ContactIdentity::EMAIL);
  released->set_value("ann@example.com");
  HELPDESK_ASSERT_OK(next->UpdateContact(&bo2, 1));
  EXPECT_EQ(bo2.version(), 2);
  // An update that keeps the contact's own identities is fine.
  v1::Contact same_identities = renamed;
  same_identities.set_locale("en-GB");
  HELPDESK_ASSERT_OK(next->UpdateContact(&same_identities, 2));
  EXPECT_EQ(same_identities.version(), 3);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetContact(ann.id()),
              sci::IsOkAndHolds(sci::EqualsProto(same_identities)));
  EXPECT_THAT(reader->GetContact(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(bo2)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(bo2)));
  EXPECT_THAT(
      reader->FindContactByIdentity(v1::ContactIdentity::PHONE, "+15550001"),
      sci::IsOkAndHolds(sci::EqualsProto(same_identities)));
}

TEST_P(StoreConformanceTest, InsertOrganizationRefusesATakenName) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Organization acme = sci::MakeOrganization("Acme");
  acme.add_domains("acme.example");
  acme.add_domains("acme.test");
  acme.set_external_id("org-1");
  HELPDESK_ASSERT_OK(tx->InsertOrganization(&acme));
  EXPECT_GT(acme.id(), 0);
  v1::Organization again = sci::MakeOrganization("Acme");
  EXPECT_THAT(tx->InsertOrganization(&again),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Names compare exactly.
  std::vector<v1::Organization> others = {sci::MakeOrganization("acme"),
                                          sci::MakeOrganization("Acme "),
                                          sci::MakeOrganization("Acm")};
  for (v1::Organization& other : others) {
    HELPDESK_ASSERT_OK(tx->InsertOrganization(&other)) << other.name();
    EXPECT_GT(other.id(), 0);
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  EXPECT_THAT(reader->GetOrganization(acme.id()),
              sci::IsOkAndHolds(sci::EqualsProto(acme)));
  std::set<int64_t> ids = {acme.id()};
  for (const v1::Organization& other : others) {
    EXPECT_THAT(reader->GetOrganization(other.id()),
                sci::IsOkAndHolds(sci::EqualsProto(other)));
    ids.insert(other.id());
  }
  EXPECT_EQ(ids.size(), 4u) << "ids are distinct";
  EXPECT_THAT(reader->GetOrganization(*ids.rbegin() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Organization later = sci::MakeOrganization("Acme");
  EXPECT_THAT(reader->InsertOrganization(&later),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

// ===========================================================================
// Agents and groups
// ===========================================================================

TEST_P(StoreConformanceTest, InsertAgentAssignsAnIdAndRefusesATakenEmail) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Agent bo = sci::MakeAgent("Bo", "bo@example.com");
  bo.set_role(v1::Agent::ADMIN);
  bo.set_ticket_access(v1::Agent::GROUPS);
  bo.add_group_ids(3);
  bo.add_group_ids(1);
  v1::Skill* skill = bo.add_skills();
  skill->set_name("spanish");
  skill->set_level(7);
  v1::ChannelCapacity* capacity = bo.add_capacity();
  capacity->set_channel(v1::CHANNEL_CHAT);
  capacity->set_max_items(3);
  bo.set_presence(v1::PRESENCE_AWAY);
  *bo.mutable_presence_since() = sci::AtMinute(5);
  bo.set_external_id("hr-9");
  bo.set_version(4);
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bo));
  EXPECT_GT(bo.id(), 0);
  EXPECT_EQ(bo.version(), 1);
  v1::Agent clash = sci::MakeAgent("Other Bo", "bo@example.com");
  EXPECT_THAT(tx->InsertAgent(&clash),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Agents without an e-mail do not clash.
  v1::Agent bot1 = sci::MakeAgent("Bot 1", "");
  v1::Agent bot2 = sci::MakeAgent("Bot 2", "");
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bot1));
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bot2));
  EXPECT_NE(bot1.id(), bot2.id());
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  EXPECT_THAT(reader->GetAgent(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  EXPECT_THAT(reader->GetAgent(bot2.id() + bo.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Agent later = sci::MakeAgent("Later Bo", "bo@example.com");
  EXPECT_THAT(reader->InsertAgent(&later),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(StoreConformanceTest, UpdateAgentChecksTheVersionAndEmail) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Agent bo = sci::MakeAgent("Bo", "bo@example.com");
  v1::Agent cy = sci::MakeAgent("Cy", "cy@example.com");
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bo));
  HELPDESK_ASSERT_OK(tx->InsertAgent(&cy));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Agent away = bo;
  away.set_presence(v1::PRESENCE_AWAY);
  away.set_version(0);
  HELPDESK_ASSERT_OK(next->UpdateAgent(&away, 1));
  EXPECT_EQ(away.version(), 2);
  v1::Agent stale = bo;
  stale.set_name("stale");
  EXPECT_THAT(next->UpdateAgent(&stale, 1),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(1),
                                        sci::MentionsNumber(2))));
  v1::Agent unknown = sci::MakeAgent("Nobody", "");
  unknown.set_id(bo.id() + cy.id() + 1000);
  EXPECT_THAT(next->UpdateAgent(&unknown, 1),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Agent thief = cy;
  thief.set_email("bo@example.com");
  EXPECT_THAT(next->UpdateAgent(&thief, 1),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Moving Bo to a new e-mail frees the old one for Cy.
  v1::Agent moved = away;
  moved.set_email("bo.new@example.com");
  HELPDESK_ASSERT_OK(next->UpdateAgent(&moved, 2));
  v1::Agent cy2 = cy;
  cy2.set_email("bo@example.com");
  HELPDESK_ASSERT_OK(next->UpdateAgent(&cy2, 1));
  EXPECT_EQ(cy2.version(), 2);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetAgent(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(moved)));
  EXPECT_THAT(reader->GetAgent(cy.id()),
              sci::IsOkAndHolds(sci::EqualsProto(cy2)));
}

TEST_P(StoreConformanceTest, ListAgentsIncludesDeactivatedAgentsById) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Agent> agents;
  for (int i = 0; i < 4; ++i) {
    agents.push_back(sci::MakeAgent(absl::StrCat("Agent ", i),
                                    absl::StrCat("a", i, "@x.io")));
    HELPDESK_ASSERT_OK(tx->InsertAgent(&agents.back()));
  }
  agents[1].set_deactivated(true);
  HELPDESK_ASSERT_OK(tx->UpdateAgent(&agents[1], 1));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  std::sort(
      agents.begin(), agents.end(),
      [](const v1::Agent& a, const v1::Agent& b) { return a.id() < b.id(); });
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Agent> listed, reader->ListAgents());
  ASSERT_EQ(listed.size(), agents.size());
  for (size_t i = 0; i < agents.size(); ++i) {
    EXPECT_THAT(listed[i], sci::EqualsProto(agents[i]));
  }
}

TEST_P(StoreConformanceTest, AgentEventsAreKeptPerAgentInIdOrder) {
  namespace sci = store_conformance_internal;
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  auto make = [](int64_t agent, v1::AgentEvent::Kind kind) {
    v1::AgentEvent e;
    e.set_agent_id(agent);
    e.set_kind(kind);
    e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
    *e.mutable_time() = sci::AtMinute(agent);
    v1::FieldChange* c = e.add_changes();
    c->set_field(v1::FieldChange::AGENT_PRESENCE);
    c->mutable_before()->set_presence(v1::PRESENCE_OFFLINE);
    c->mutable_after()->set_presence(v1::PRESENCE_ONLINE);
    e.set_agent_version(agent + 1);
    e.set_note(absl::StrCat("note ", agent));
    return e;
  };
  std::vector<v1::AgentEvent> e;
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    for (int64_t agent : {1, 2, 1, 1}) {
      e.push_back(make(agent, v1::AgentEvent::PRESENCE_CHANGED));
      HELPDESK_ASSERT_OK(tx->AppendAgentEvent(&e.back()));
      if (e.size() > 1) {
        EXPECT_GT(e.back().id(), e[e.size() - 2].id());
      }
    }
    v1::AgentEvent none = make(0, v1::AgentEvent::AGENT_CHANGED);
    EXPECT_THAT(tx->AppendAgentEvent(&none),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr("agent_id 0")));
    EXPECT_THAT(tx->ListAgentEvents(1, 0, -1),
                StatusIs(absl::StatusCode::kInvalidArgument));
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  {
    // Rolled back: neither the event nor its id is kept.
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    v1::AgentEvent dropped = make(2, v1::AgentEvent::AGENT_CHANGED);
    HELPDESK_ASSERT_OK(tx->AppendAgentEvent(&dropped));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->ListAgentEvents(1, 0, 0),
              sci::IsOkAndHolds(ElementsAre(sci::EqualsProto(e[0]),
                                            sci::EqualsProto(e[2]),
                                            sci::EqualsProto(e[3]))));
  EXPECT_THAT(reader->ListAgentEvents(2, 0, 0),
              sci::IsOkAndHolds(ElementsAre(sci::EqualsProto(e[1]))));
  EXPECT_THAT(reader->ListAgentEvents(1, e[0].id(), 1),
              sci::IsOkAndHolds(ElementsAre(sci::EqualsProto(e[2]))));
  EXPECT_THAT(reader->ListAgentEvents(1, e[3].id(), 0),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(reader->ListAgentEvents(99, 0, 0), sci::IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest, InsertGroupAssignsAnIdAndRefusesATakenName) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Group> groups;
  for (const char* name : {"Tier 2", "Billing", "Tier 1"}) {
    groups.push_back(sci::MakeGroup(name));
    groups.back().set_description(absl::StrCat("The ", name, " team"));
    HELPDESK_ASSERT_OK(tx->InsertGroup(&groups.back()));
    EXPECT_GT(groups.back().id(), 0);
  }
  v1::Group again = sci::MakeGroup("Billing");
  EXPECT_THAT(tx->InsertGroup(&again),
              StatusIs(absl::StatusCode::kAlreadyExists));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  for (const v1::Group& g : groups) {
    EXPECT_THAT(reader->GetGroup(g.id()),
                sci::IsOkAndHolds(sci::EqualsProto(g)));
  }
  std::vector<v1::Group> by_id = groups;
  std::sort(
      by_id.begin(), by_id.end(),
      [](const v1::Group& a, const v1::Group& b) { return a.id() < b.id(); });
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Group> listed, reader->ListGroups());
  ASSERT_EQ(listed.size(), by_id.size());
  for (size_t i = 0; i < by_id.size(); ++i) {
    EXPECT_THAT(listed[i], sci::EqualsProto(by_id[i]));
  }
  EXPECT_THAT(reader->GetGroup(by_id.back().id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Group later = sci::MakeGroup("Tier 1");
  EXPECT_THAT(reader->InsertGroup(&later),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

// ===========================================================================
// Attachment contents
// ===========================================================================

TEST_P(StoreConformanceTest, AttachmentContentIsStoredOnceByAddress) {
  namespace sci = store_conformance_internal;
  std::string binary;
  for (int i = 0; i < 256 * 1024; ++i) {
    binary.push_back(static_cast<char>((i * 131) % 256));
  }
  const std::string kEmptySha =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('1'), binary));
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(kEmptySha, ""));
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('1'), binary));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  // Storing the same address again succeeds and keeps one copy.
  HELPDESK_ASSERT_OK(next->PutAttachmentContent(sci::Sha256Of('1'), binary));
  EXPECT_THAT(next->GetAttachmentContent(sci::Sha256Of('1')),
              sci::IsOkAndHolds(binary));
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::string content,
                       reader->GetAttachmentContent(sci::Sha256Of('1')));
  EXPECT_EQ(content.size(), binary.size());
  EXPECT_TRUE(content == binary) << "binary content differs";
  EXPECT_THAT(reader->GetAttachmentContent(kEmptySha),
              sci::IsOkAndHolds(std::string()));
  EXPECT_THAT(reader->GetAttachmentContent(sci::Sha256Of('2')),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, PutAttachmentContentRefusesAMalformedAddress) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  const std::vector<std::string> kMalformed = {
      "",
      std::string(63, 'a'),
      std::string(65, 'a'),
      std::string(64, 'A'),
      std::string(63, 'a') + "g",
      std::string(63, 'a') + " ",
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      std::string(32, 'a'),
      std::string("\0", 1) + std::string(63, 'a'),
      "../../etc/passwd",
  };
  for (const std::string& address : kMalformed) {
    EXPECT_THAT(tx->PutAttachmentContent(address, "x"),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "address '" << absl::CHexEscape(address) << "'";
  }
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('f'), "ok"));
  HELPDESK_ASSERT_OK(tx->Commit());
}

// ===========================================================================
// Idempotency records
// ===========================================================================

TEST_P(StoreConformanceTest, IdempotencyRecordIsWrittenOnce) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create-ticket", "req-1", "ticket 17",
                                     sci::Minute(1)));
  EXPECT_THAT(tx->PutIdempotencyRecord("create-ticket", "req-1", "ticket 18",
                                       sci::Minute(2)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Scope and key are separate: none of these collide.
  HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("req-1", "create-ticket", "swapped",
                                     sci::Minute(1)));
  HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create-ticketr", "eq-1", "shifted",
                                     sci::Minute(1)));
  HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create-ticket", "req-2",
                                     std::string("\0binary\xff", 8),
                                     sci::Minute(1)));
  HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create-ticket", "REQ-1", "case",
                                     sci::Minute(1)));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  EXPECT_THAT(next->PutIdempotencyRecord("create-ticket", "req-1", "again",
                                         sci::Minute(3)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(next->GetIdempotencyRecord("create-ticket", "req-1"),
              sci::IsOkAndHolds(std::string("ticket 17")));
  EXPECT_THAT(next->GetIdempotencyRecord("req-1", "create-ticket"),
              sci::IsOkAndHolds(std::string("swapped")));
  EXPECT_THAT(next->GetIdempotencyRecord("create-ticketr", "eq-1"),
              sci::IsOkAndHolds(std::string("shifted")));
  EXPECT_THAT(next->GetIdempotencyRecord("create-ticket", "req-2"),
              sci::IsOkAndHolds(std::string("\0binary\xff", 8)));
  EXPECT_THAT(next->GetIdempotencyRecord("create-ticket", "REQ-1"),
              sci::IsOkAndHolds(std::string("case")));
  EXPECT_THAT(next->GetIdempotencyRecord("create-ticket", "req-3"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(next->GetIdempotencyRecord("other-scope", "req-1"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTING_STORE_CONFORMANCE_H_
