// The Store conformance suite: ticket events (the audit log).
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

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

// LastEventId: the watermark a feed reader starts from (the Desk's routing
// reads on from it). Optional: a store without it says Unimplemented.
TEST_P(StoreConformanceTest, LastEventIdIsTheNewestEventSeenAndIdsAreNeverReused) {
  namespace sci = store_conformance_internal;
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
    absl::StatusOr<int64_t> empty = reader->LastEventId();
    if (absl::IsUnimplemented(empty.status())) GTEST_SKIP() << empty.status();
    EXPECT_THAT(empty, sci::IsOkAndHolds(0));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket kept, InsertCommitted(sci::MakeTicket("kept")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket gone, InsertCommitted(sci::MakeTicket("gone")));
  std::vector<v1::Event> e;
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    for (int64_t ticket : {kept.id(), gone.id(), kept.id(), gone.id()}) {
      e.push_back(sci::MakeEvent(ticket, v1::Event::FIELDS_CHANGED));
      HELPDESK_ASSERT_OK(tx->AppendEvent(&e.back()));
      // A read-write transaction sees its own appends.
      EXPECT_THAT(tx->LastEventId(), sci::IsOkAndHolds(e.back().id()));
    }
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
    EXPECT_THAT(reader->LastEventId(), sci::IsOkAndHolds(e.back().id()));
  }
  // Rolled back: not seen.
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    v1::Event undone = sci::MakeEvent(kept.id(), v1::Event::FIELDS_CHANGED);
    HELPDESK_ASSERT_OK(tx->AppendEvent(&undone));
  }
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
    EXPECT_THAT(reader->LastEventId(), sci::IsOkAndHolds(e.back().id()));
  }
  // The ticket holding the newest event is deleted (a store without
  // DeleteTicket skips this part): a later event still gets a larger id than
  // any the store ever gave, so a reader's watermark stays valid.
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  absl::Status deleted = tx->DeleteTicket(gone.id());
  if (absl::IsUnimplemented(deleted)) return;
  HELPDESK_ASSERT_OK(deleted);
  HELPDESK_ASSERT_OK(tx->Commit());
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t after_delete, tx->LastEventId());
  EXPECT_LE(after_delete, e.back().id());
  tx.reset();
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  v1::Event later = sci::MakeEvent(kept.id(), v1::Event::FIELDS_CHANGED);
  HELPDESK_ASSERT_OK(tx->AppendEvent(&later));
  HELPDESK_ASSERT_OK(tx->Commit());
  EXPECT_GT(later.id(), e.back().id());
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  EXPECT_THAT(tx->LastEventId(), sci::IsOkAndHolds(later.id()));
}

TEST_P(StoreConformanceTest, ListEventsSinceRefusesALimitOutOfRange) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  for (int limit : {0, -1, 10001}) {
    EXPECT_THAT(tx->ListEventsSince(0, limit),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "limit " << limit;
  }
}
}  // namespace helpdesk::testing
