// The Store conformance suite: reading the audit log by period
// (Transaction::ListEventsBetween, for reports).
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "helpdesk/testing/store_conformance.h"
#include "helpdesk/timestamp.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, ListEventsBetweenReadsAPeriodInIdOrderByPages) {
  namespace sci = store_conformance_internal;
  const absl::Time base = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  // Times out of id order (a clock that stepped back), and one at each edge.
  const int kHours[] = {5, 1, 10, 3, 7, 2, 20, 9};
  std::vector<v1::Event> events;
  for (int h : kHours) {
    v1::Event e = sci::MakeEvent(1 + h % 3, v1::Event::FIELDS_CHANGED);
    *e.mutable_time() = ToTimestamp(base + absl::Hours(h) + absl::Microseconds(h));
    HELPDESK_ASSERT_OK(tx->AppendEvent(&e));
    events.push_back(e);
  }
  v1::Event at_from = sci::MakeEvent(4, v1::Event::MESSAGE_ADDED);
  *at_from.mutable_time() = ToTimestamp(base + absl::Hours(2));
  HELPDESK_ASSERT_OK(tx->AppendEvent(&at_from));
  v1::Event at_to = sci::MakeEvent(4, v1::Event::MESSAGE_ADDED);
  *at_to.mutable_time() = ToTimestamp(base + absl::Hours(9));
  HELPDESK_ASSERT_OK(tx->AppendEvent(&at_to));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  const absl::Time from = base + absl::Hours(2), to = base + absl::Hours(9);
  // [2h, 9h): hours 5, 3, 7, 2 (+2us) and the event at `from`; not 9h.
  std::vector<int64_t> want = {events[0].id(), events[3].id(), events[4].id(),
                               events[5].id(), at_from.id()};
  std::vector<int64_t> got;
  int64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> part,
                                  reader->ListEventsBetween(from, to, after, 2));
    EXPECT_LE(part.size(), 2u);
    if (part.empty()) break;
    for (const v1::Event& e : part) {
      got.push_back(e.id());
      EXPECT_GE(FromTimestamp(e.time()), from);
      EXPECT_LT(FromTimestamp(e.time()), to);
    }
    after = part.back().id();
  }
  EXPECT_EQ(got, want);
  // Whole events come back.
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> first,
                                reader->ListEventsBetween(from, to, 0, 1));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_THAT(first[0], sci::EqualsProto(events[0]));
  // An empty period, and bad input.
  EXPECT_THAT(reader->ListEventsBetween(from, from, 0, 100),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(reader->ListEventsBetween(to, from, 0, 100),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader->ListEventsBetween(from, to, 0, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader->ListEventsBetween(from, to, 0, 10001),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace helpdesk::testing

namespace helpdesk::testing {

// VisitEventsBetween hands over, page by page, exactly the events
// ListEventsBetween returns; a visitor's error stops the read.
TEST_P(StoreConformanceTest, VisitEventsBetweenSeesWhatListEventsBetweenReturns) {
  namespace sci = store_conformance_internal;
  const absl::Time base = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  const int kHours[] = {5, 1, 10, 3, 7, 2, 20, 9, 4, 6, 8};
  for (int h : kHours) {
    v1::Event e = sci::MakeEvent(1 + h % 4, h % 2 ? v1::Event::MESSAGE_ADDED
                                                  : v1::Event::FIELDS_CHANGED);
    *e.mutable_time() = ToTimestamp(base + absl::Hours(h));
    e.set_message_kind(h);
    HELPDESK_ASSERT_OK(tx->AppendEvent(&e));
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  const absl::Time from = base + absl::Hours(2), to = base + absl::Hours(9);
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> want,
                                reader->ListEventsBetween(from, to, 0, 100));
  ASSERT_EQ(want.size(), 7u);  // hours 5, 3, 7, 2, 4, 6, 8
  std::vector<v1::Event> got;
  int64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<int> n =
        reader->VisitEventsBetween(from, to, after, 3, [&](const v1::Event& e) {
          got.push_back(e);
          after = e.id();
          return absl::OkStatus();
        });
    if (absl::IsUnimplemented(n.status())) GTEST_SKIP() << n.status();
    HELPDESK_ASSERT_OK(n.status());
    EXPECT_LE(*n, 3);
    if (*n < 3) break;
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_THAT(got[i], sci::EqualsProto(want[i]));
  // A visitor's error stops the read and comes back as is.
  int seen = 0;
  EXPECT_THAT(reader->VisitEventsBetween(from, to, 0, 100,
                                         [&](const v1::Event&) {
                                           return ++seen == 2
                                                      ? absl::CancelledError("enough")
                                                      : absl::OkStatus();
                                         }),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(seen, 2);
  auto none = [](const v1::Event&) { return absl::OkStatus(); };
  EXPECT_THAT(reader->VisitEventsBetween(from, from, 0, 100, none), sci::IsOkAndHolds(0));
  EXPECT_THAT(reader->VisitEventsBetween(to, from, 0, 100, none),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader->VisitEventsBetween(from, to, 0, 0, none),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader->VisitEventsBetween(from, to, 0, 10001, none),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace helpdesk::testing
