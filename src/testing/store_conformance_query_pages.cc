// The Store conformance suite: QueryTickets sorting, limits, cursors and pagination, and a seeded comparison with the reference.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

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
}  // namespace helpdesk::testing
