// The Store conformance suite: QueryTickets filters.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

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

// Updates that change a few fields at a time (as the Desk's commands do):
// every query, and the ticket read back, follows each one, including tag and
// CC lists that gain, lose or keep entries, and an update that changes
// nothing but the version.
TEST_P(StoreConformanceTest, QueriesFollowUpdatesOfSomeFieldsTagsAndCcs) {
  namespace sci = store_conformance_internal;
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  std::vector<v1::Ticket> t = {sci::MakeTicket("printer jams", 0),
                               sci::MakeTicket("vpn drops", 1)};
  t[0].add_tags("billing");
  t[0].add_tags("vip");
  t[0].add_cc_contact_ids(5);
  t[0].add_cc_contact_ids(6);
  t[0].set_group_id(3);
  t[1].add_tags("vip");
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  auto update = [&](v1::Ticket& ticket) -> absl::Status {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
    if (!tx.ok()) return tx.status();
    absl::Status s = (*tx)->UpdateTicket(&ticket, ticket.version());
    return s.ok() ? (*tx)->Commit() : s;
  };
  auto stored = [&](const v1::Ticket& ticket) -> absl::StatusOr<v1::Ticket> {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
    if (!tx.ok()) return tx.status();
    return (*tx)->GetTicket(ticket.id());
  };
  auto ids = [this](TicketQuery q) { return QueryIds(q); };

  // The group alone.
  t[0].set_group_id(4);
  HELPDESK_ASSERT_OK(update(t[0]));
  EXPECT_THAT(ids({.group_id = 3}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.group_id = 4}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({.tags = {"billing"}}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  // Tags: one kept, one removed, one added.
  t[0].clear_tags();
  t[0].add_tags("urgent");
  t[0].add_tags("vip");
  HELPDESK_ASSERT_OK(update(t[0]));
  EXPECT_THAT(ids({.tags = {"billing"}}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.tags = {"urgent"}}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({.tags = {"vip"}}), sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  EXPECT_THAT(ids({.tags = {"urgent", "vip"}}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  // CCs: one kept, one removed, one added.
  t[0].clear_cc_contact_ids();
  t[0].add_cc_contact_ids(6);
  t[0].add_cc_contact_ids(7);
  HELPDESK_ASSERT_OK(update(t[0]));
  auto visible = [&](int64_t contact) {
    return ids(TicketQuery{.visible_to = TicketVisibility{.contact_id = contact}});
  };
  EXPECT_THAT(visible(5), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(visible(6), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(visible(7), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  // Status, priority, subject and the update time together.
  t[0].set_status("pending");
  t[0].set_status_category(v1::STATUS_CATEGORY_PENDING);
  t[0].set_priority(v1::PRIORITY_HIGH);
  t[0].set_subject("printer jams again");
  *t[0].mutable_updated_at() = sci::AtMinute(30);
  HELPDESK_ASSERT_OK(update(t[0]));
  EXPECT_THAT(ids({.statuses = {"open"}}), sci::IsOkAndHolds(ElementsAre(t[1].id())));
  EXPECT_THAT(ids({.statuses = {"pending"}}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({.priorities = {v1::PRIORITY_HIGH}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({.subject_contains = "again"}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({.sort = TicketSort::kUpdatedDesc}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  // Every tag and CC gone, then nothing but the version.
  t[0].clear_tags();
  t[0].clear_cc_contact_ids();
  HELPDESK_ASSERT_OK(update(t[0]));
  HELPDESK_ASSERT_OK(update(t[0]));
  EXPECT_THAT(ids({.tags = {"vip"}}), sci::IsOkAndHolds(ElementsAre(t[1].id())));
  EXPECT_THAT(visible(6), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(t[0].version(), 7);
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket read, stored(t[0]));
  EXPECT_THAT(read, sci::EqualsProto(t[0]));
  HELPDESK_ASSERT_OK_AND_ASSIGN(read, stored(t[1]));
  EXPECT_THAT(read, sci::EqualsProto(t[1]));
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
  // A tracking-link viewer: that one ticket, nothing else (an unknown id:
  // nothing at all).
  EXPECT_THAT(ids({.ticket_id = t[2].id()}),
              sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids({.ticket_id = t[5].id() + 1000}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({.contact_id = 1, .ticket_id = t[4].id()}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id(), t[4].id())));
  EXPECT_THAT(QueryIds({.requester_id = 2,
                        .visible_to = TicketVisibility{.ticket_id = t[0].id()}}),
              sci::IsOkAndHolds(IsEmpty()));
  // Visibility combines with the other filters with AND.
  EXPECT_THAT(QueryIds({.requester_id = 2,
                        .visible_to = TicketVisibility{.contact_id = 1}}),
              sci::IsOkAndHolds(ElementsAre(t[1].id())));
}
}  // namespace helpdesk::testing
