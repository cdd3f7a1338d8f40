// The Store conformance suite: the filters on priority, type, channel and
// custom fields, CountTickets, and saved views (issue 16).
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {
namespace {

v1::CustomFieldValue Text(const std::string& s) {
  v1::CustomFieldValue v;
  v.set_text(s);
  return v;
}
v1::CustomFieldValue Integer(int64_t i) {
  v1::CustomFieldValue v;
  v.set_integer(i);
  return v;
}
v1::CustomFieldValue Decimal(double d) {
  v1::CustomFieldValue v;
  v.set_decimal(d);
  return v;
}
v1::CustomFieldValue Flag(bool b) {
  v1::CustomFieldValue v;
  v.set_flag(b);
  return v;
}
v1::CustomFieldValue Choices(std::vector<std::string> values) {
  v1::CustomFieldValue v;
  for (auto& s : values) v.mutable_choices()->add_values(s);
  return v;
}

}  // namespace

TEST_P(StoreConformanceTest, QueryFiltersByPriorityTypeAndChannel) {
  namespace sci = store_conformance_internal;
  const v1::Priority kPriority[] = {v1::PRIORITY_LOW, v1::PRIORITY_NORMAL,
                                    v1::PRIORITY_HIGH, v1::PRIORITY_URGENT,
                                    v1::PRIORITY_HIGH};
  const v1::TicketType kType[] = {v1::TICKET_TYPE_QUESTION, v1::TICKET_TYPE_INCIDENT,
                                  v1::TICKET_TYPE_PROBLEM, v1::TICKET_TYPE_TASK,
                                  v1::TICKET_TYPE_UNSPECIFIED};
  const v1::Channel kChannel[] = {v1::CHANNEL_EMAIL, v1::CHANNEL_CHAT,
                                  v1::CHANNEL_EMAIL, v1::CHANNEL_PHONE,
                                  v1::CHANNEL_WEB_FORM};
  std::vector<v1::Ticket> t(5);
  for (int i = 0; i < 5; ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), i);
    t[i].set_priority(kPriority[i]);
    t[i].set_type(kType[i]);
    t[i].set_channel(kChannel[i]);
  }
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  auto ids = [this](TicketQuery q) { return QueryIds(q); };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids({.priorities = {v1::PRIORITY_HIGH}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id(), t[4].id())));
  EXPECT_THAT(ids({.priorities = {v1::PRIORITY_LOW, v1::PRIORITY_URGENT}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[3].id())));
  EXPECT_THAT(ids({.types = {v1::TICKET_TYPE_INCIDENT, v1::TICKET_TYPE_TASK}}),
              sci::IsOkAndHolds(ElementsAre(t[1].id(), t[3].id())));
  EXPECT_THAT(ids({.types = {v1::TICKET_TYPE_UNSPECIFIED}}),
              sci::IsOkAndHolds(ElementsAre(t[4].id())));
  EXPECT_THAT(ids({.channels = {v1::CHANNEL_EMAIL}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[2].id())));
  EXPECT_THAT(ids({.channels = {v1::CHANNEL_WEBHOOK}}), sci::IsOkAndHolds(IsEmpty()));
  // Combined with AND, and with the other filters.
  EXPECT_THAT(ids({.priorities = {v1::PRIORITY_HIGH},
                   .channels = {v1::CHANNEL_EMAIL}}),
              sci::IsOkAndHolds(ElementsAre(t[2].id())));
  EXPECT_THAT(ids({.subject_contains = "ticket 4",
                   .priorities = {v1::PRIORITY_HIGH},
                   .types = {v1::TICKET_TYPE_PROBLEM}}),
              sci::IsOkAndHolds(IsEmpty()));
  // Every sort and page size gives the same set, in the reference order.
  for (TicketSort sort : {TicketSort::kPriorityThenOldest, TicketSort::kCreatedDesc,
                          TicketSort::kIdAsc}) {
    for (int limit : {1, 2, 50}) {
      TicketQuery q{.priorities = {v1::PRIORITY_HIGH, v1::PRIORITY_URGENT},
                    .channels = {v1::CHANNEL_EMAIL, v1::CHANNEL_PHONE,
                                 v1::CHANNEL_WEB_FORM}};
      q.sort = sort;
      q.limit = limit;
      EXPECT_THAT(QueryIds(q), sci::IsOkAndHolds(sci::ReferenceQuery(t, q)))
          << sci::SortName(sort) << " limit " << limit;
    }
  }
}

TEST_P(StoreConformanceTest, QueryFiltersByCustomFields) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t(6);
  for (int i = 0; i < 6; ++i) t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), i);
  (*t[0].mutable_custom_fields())["region"] = Text("eu");
  (*t[1].mutable_custom_fields())["region"] = Text("us");
  (*t[2].mutable_custom_fields())["region"] = Text("EU");  // bytes, not folded
  (*t[0].mutable_custom_fields())["seats"] = Integer(10);
  (*t[1].mutable_custom_fields())["seats"] = Decimal(10.0);  // not an integer
  (*t[3].mutable_custom_fields())["vip"] = Flag(true);
  (*t[4].mutable_custom_fields())["vip"] = Flag(false);
  (*t[4].mutable_custom_fields())["zones"] = Choices({"eu", "apac"});
  (*t[5].mutable_custom_fields())["zones"] = Choices({"apac"});
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  auto ids = [this](std::vector<CustomFieldFilter> f) {
    TicketQuery q;
    q.custom_fields = std::move(f);
    return QueryIds(q);
  };
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  EXPECT_THAT(ids({{"region", {Text("eu")}}}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({{"region", {Text("eu"), Text("us")}}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  // No values: the ticket has the field.
  EXPECT_THAT(ids({{"region", {}}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id(), t[2].id())));
  EXPECT_THAT(ids({{"seats", {Integer(10)}}}), sci::IsOkAndHolds(ElementsAre(t[0].id())));
  EXPECT_THAT(ids({{"seats", {Decimal(10.0)}}}), sci::IsOkAndHolds(ElementsAre(t[1].id())));
  EXPECT_THAT(ids({{"vip", {Flag(true)}}}), sci::IsOkAndHolds(ElementsAre(t[3].id())));
  EXPECT_THAT(ids({{"vip", {Flag(false)}}}), sci::IsOkAndHolds(ElementsAre(t[4].id())));
  // A text value matches a choices field holding it; choices compare whole.
  EXPECT_THAT(ids({{"zones", {Text("eu")}}}), sci::IsOkAndHolds(ElementsAre(t[4].id())));
  EXPECT_THAT(ids({{"zones", {Text("apac")}}}),
              sci::IsOkAndHolds(ElementsAre(t[4].id(), t[5].id())));
  EXPECT_THAT(ids({{"zones", {Choices({"apac"})}}}),
              sci::IsOkAndHolds(ElementsAre(t[5].id())));
  // Several filters: every one must hold.
  EXPECT_THAT(ids({{"region", {}}, {"seats", {Integer(10), Decimal(10.0)}}}),
              sci::IsOkAndHolds(ElementsAre(t[0].id(), t[1].id())));
  EXPECT_THAT(ids({{"region", {Text("eu")}}, {"vip", {}}}), sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({{"no such field", {}}}), sci::IsOkAndHolds(IsEmpty()));
  // Hostile names and values are data, not SQL.
  EXPECT_THAT(ids({{"region'); DROP TABLE tickets; --", {Text("' OR 1=1 --")}}}),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ids({}), sci::IsOkAndHolds(::testing::SizeIs(6)));
}

TEST_P(StoreConformanceTest, CountTicketsCountsEveryMatchIgnoringThePage) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t(7);
  for (int i = 0; i < 7; ++i) {
    t[i] = sci::MakeTicket(absl::StrCat("ticket ", i), i);
    t[i].set_priority(i % 2 ? v1::PRIORITY_HIGH : v1::PRIORITY_LOW);
    if (i < 3) (*t[i].mutable_custom_fields())["tier"] = Integer(i);
  }
  t[6].set_merged_into(1);
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadOnly));
  TicketQuery all;
  all.limit = 1;
  all.cursor = "garbage is ignored by a count";
  EXPECT_THAT(tx->CountTickets(all), sci::IsOkAndHolds(6));  // merged left out
  all.include_merged = true;
  EXPECT_THAT(tx->CountTickets(all), sci::IsOkAndHolds(7));
  EXPECT_THAT(tx->CountTickets({.priorities = {v1::PRIORITY_HIGH}}), sci::IsOkAndHolds(3));
  EXPECT_THAT(tx->CountTickets({.custom_fields = {{"tier", {Integer(1), Integer(2)}}}}),
              sci::IsOkAndHolds(2));
  EXPECT_THAT(tx->CountTickets({.visible_to = TicketVisibility{.assignee_id = 99}}),
              sci::IsOkAndHolds(0));
}

TEST_P(StoreConformanceTest, SavedViewsRoundTripAndKeepNamesUniquePerOwner) {
  namespace sci = store_conformance_internal;
  v1::SavedView mine;
  mine.set_name("My urgent");
  mine.set_owner_agent_id(7);
  mine.mutable_filter()->add_priorities(v1::PRIORITY_URGENT);
  auto* cf = mine.mutable_filter()->add_custom_fields();
  cf->set_name("region");
  *cf->add_any_of() = Text("eu");
  mine.set_sort("-created_at");
  mine.add_columns("id");
  mine.add_columns("subject");
  *mine.mutable_created_at() = sci::AtMinute(1);
  v1::SavedView shared = mine;
  shared.set_owner_agent_id(0);
  v1::SavedView other = mine;
  other.set_owner_agent_id(8);
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
    HELPDESK_ASSERT_OK(tx->InsertView(&mine));
    HELPDESK_ASSERT_OK(tx->InsertView(&shared));  // same name, other owner
    HELPDESK_ASSERT_OK(tx->InsertView(&other));
    EXPECT_GT(mine.id(), 0);
    EXPECT_GT(shared.id(), mine.id());
    EXPECT_GT(other.id(), shared.id());
    EXPECT_EQ(mine.version(), 1);
    v1::SavedView twin = mine;
    twin.clear_id();
    EXPECT_EQ(tx->InsertView(&twin).code(), absl::StatusCode::kAlreadyExists);
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
  EXPECT_THAT(tx->GetView(mine.id()), sci::IsOkAndHolds(sci::EqualsProto(mine)));
  EXPECT_EQ(tx->GetView(9999).status().code(), absl::StatusCode::kNotFound);
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> of7, tx->ListViews(7));
  ASSERT_EQ(of7.size(), 1u);
  EXPECT_THAT(of7[0], sci::EqualsProto(mine));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> of0, tx->ListViews(0));
  ASSERT_EQ(of0.size(), 1u);
  EXPECT_EQ(of0[0].id(), shared.id());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> all, tx->ListViews(std::nullopt));
  EXPECT_THAT(sci::IdsOfList(all), ::testing::ElementsAre(mine.id(), shared.id(), other.id()));

  // Update: versions, renames, and a rename onto a taken name.
  v1::SavedView renamed = mine;
  renamed.set_name("Mine, renamed");
  HELPDESK_ASSERT_OK(tx->UpdateView(&renamed, 1));
  EXPECT_EQ(renamed.version(), 2);
  EXPECT_EQ(tx->UpdateView(&renamed, 1).code(), absl::StatusCode::kAborted);
  v1::SavedView ghost = mine;
  ghost.set_id(9999);
  EXPECT_EQ(tx->UpdateView(&ghost, 1).code(), absl::StatusCode::kNotFound);
  v1::SavedView again = mine;  // owner 7 again takes the freed old name
  again.clear_id();
  HELPDESK_ASSERT_OK(tx->InsertView(&again));
  renamed.set_name(again.name());
  EXPECT_EQ(tx->UpdateView(&renamed, 2).code(), absl::StatusCode::kAlreadyExists);

  HELPDESK_ASSERT_OK(tx->DeleteView(shared.id()));
  EXPECT_EQ(tx->DeleteView(shared.id()).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tx->GetView(shared.id()).status().code(), absl::StatusCode::kNotFound);
  HELPDESK_ASSERT_OK_AND_ASSIGN(of0, tx->ListViews(0));
  EXPECT_TRUE(of0.empty());
  HELPDESK_ASSERT_OK(tx->Commit());
}

TEST_P(StoreConformanceTest, SavedViewWritesRollBackWithTheTransaction) {
  v1::SavedView view;
  view.set_name("kept");
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
    HELPDESK_ASSERT_OK(tx->InsertView(&view));
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
    v1::SavedView other;
    other.set_name("dropped");
    HELPDESK_ASSERT_OK(tx->InsertView(&other));
    HELPDESK_ASSERT_OK(tx->DeleteView(view.id()));
    // destroyed without Commit: rolled back
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadOnly));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> all, tx->ListViews(std::nullopt));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name(), "kept");
  v1::SavedView w;
  w.set_name("x");
  EXPECT_EQ(tx->InsertView(&w).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace helpdesk::testing

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, TimeEntriesAreKeptPerTicketAndListedByLoggedTime) {
  namespace sci = store_conformance_internal;
  auto entry = [](int64_t ticket, int64_t agent, int minutes, int64_t minute) {
    v1::TimeEntry e;
    e.set_ticket_id(ticket);
    e.set_agent_id(agent);
    e.set_minutes(minutes);
    e.set_activity("call");
    e.set_note("na\xC3\xAFve note");
    e.set_group_id(3);
    e.set_organization_id(4);
    *e.mutable_logged_at() = sci::AtMinute(minute);
    return e;
  };
  // Logged out of time order on purpose.
  std::vector<v1::TimeEntry> es = {entry(1, 7, 15, 30), entry(2, 7, 5, 10),
                                   entry(1, 8, 60, 20), entry(3, 9, 1, 40)};
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
    int64_t last = 0;
    for (v1::TimeEntry& e : es) {
      HELPDESK_ASSERT_OK(tx->InsertTimeEntry(&e));
      EXPECT_GT(e.id(), last);
      last = e.id();
    }
    v1::TimeEntry bad = entry(0, 7, 1, 1);
    EXPECT_EQ(tx->InsertTimeEntry(&bad).code(), absl::StatusCode::kInvalidArgument);
    bad = entry(1, -1, 1, 1);
    EXPECT_EQ(tx->InsertTimeEntry(&bad).code(), absl::StatusCode::kInvalidArgument);
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadWrite));
    v1::TimeEntry dropped = entry(1, 7, 99, 25);
    HELPDESK_ASSERT_OK(tx->InsertTimeEntry(&dropped));  // rolled back below
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(auto tx, store().Begin(TransactionMode::kReadOnly));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> of1, tx->ListTimeEntries(1));
  ASSERT_EQ(of1.size(), 2u);
  EXPECT_THAT(of1[0], sci::EqualsProto(es[0]));
  EXPECT_THAT(of1[1], sci::EqualsProto(es[2]));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> none, tx->ListTimeEntries(99));
  EXPECT_TRUE(none.empty());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> all,
                                tx->ListTimeEntriesLogged(TimeRange{}));
  EXPECT_THAT(sci::IdsOfList(all),
              ::testing::ElementsAre(es[1].id(), es[2].id(), es[0].id(), es[3].id()));
  // Half-open: from included, to excluded, to the microsecond.
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      std::vector<v1::TimeEntry> some,
      tx->ListTimeEntriesLogged({.from = sci::Minute(20), .to = sci::Minute(40)}));
  EXPECT_THAT(sci::IdsOfList(some), ::testing::ElementsAre(es[2].id(), es[0].id()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      some, tx->ListTimeEntriesLogged({.from = sci::Minute(20) + absl::Nanoseconds(1),
                                       .to = sci::Minute(40) + absl::Nanoseconds(1)}));
  EXPECT_THAT(sci::IdsOfList(some), ::testing::ElementsAre(es[0].id(), es[3].id()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      some, tx->ListTimeEntriesLogged({.from = sci::Minute(50), .to = sci::Minute(10)}));
  EXPECT_TRUE(some.empty());
}

}  // namespace helpdesk::testing
