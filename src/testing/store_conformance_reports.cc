// The Store conformance suite: reports' reads, the audit log by period
// (Transaction::ListEventsBetween, VisitEventsBetween) and the stored
// tickets of an id range (VisitEncodedTickets).
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <algorithm>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/store_wrapper.h"
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

namespace helpdesk::testing {
namespace {

// A store's transaction with Transaction's own VisitEncodedTickets (one
// GetTicket per id), to hold the default to the same contract.
class DefaultTicketRead : public TransactionWrapper {
 public:
  using TransactionWrapper::TransactionWrapper;
  absl::StatusOr<int> VisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t, absl::string_view)> visit) override {
    return Transaction::VisitEncodedTickets(after_id, last_id, limit, visit);
  }
};

// The tickets VisitEncodedTickets(after, last) hands over, page by page,
// decoded, with the id handed apart and without version (the bytes need
// not hold either).
absl::StatusOr<std::vector<v1::Ticket>> ReadEncodedTickets(Transaction& tx, int64_t after,
                                                           int64_t last, int page) {
  std::vector<v1::Ticket> out;
  for (;;) {
    absl::Status bad;
    absl::StatusOr<int> n =
        tx.VisitEncodedTickets(after, last, page, [&](int64_t id, absl::string_view bytes) {
          v1::Ticket t;
          if (!t.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            return absl::DataLossError(absl::StrCat("ticket ", id, " does not parse"));
          }
          if (id <= after) return absl::InternalError(absl::StrCat("ticket ", id, " again"));
          t.set_id(id);
          t.clear_version();
          out.push_back(std::move(t));
          after = id;
          return absl::OkStatus();
        });
    if (!n.ok()) return n.status();
    if (*n > page) return absl::InternalError(absl::StrCat(*n, " tickets in a page"));
    if (*n < page) return out;
  }
}

}  // namespace

// VisitEncodedTickets hands over the stored tickets of an id range in id
// order, as GetTicket reads them (its own writes included), page by page;
// merged tickets too; ids with no ticket are skipped; a visitor's error
// stops the read. The default (GetTicket per id) keeps the same contract.
TEST_P(StoreConformanceTest, VisitEncodedTicketsReadsAnIdRangeAsGetTicket) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    v1::Ticket t = i == 0 ? sci::MakeRichTicket() : sci::MakeTicket(absl::StrCat("ticket ", i), i);
    t.add_tags(absl::StrCat("tag", i));
    HELPDESK_ASSERT_OK(tx->InsertTicket(&t));
    ids.push_back(t.id());
  }
  // A ticket with its id given, past a gap.
  v1::Ticket far = sci::MakeTicket("imported", 9);
  far.set_id(ids.back() + 20);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&far));
  // A changed ticket, a merged one and a derived deadline.
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket changed, tx->GetTicket(ids[1]));
  changed.set_status("solved");
  changed.set_status_category(v1::STATUS_CATEGORY_SOLVED);
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&changed, changed.version()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket merged, tx->GetTicket(ids[2]));
  merged.set_merged_into(ids[3]);
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&merged, merged.version()));
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(ids[3], sci::BaseTime() + absl::Hours(4)));
  ids.push_back(far.id());
  // A ticket inserted last, its id from the store, then changed: a store may
  // hold such a row back until something reads the table; this read is one.
  v1::Ticket late = sci::MakeTicket("late", 4);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&late));
  late.set_status("pending");
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&late, late.version()));
  ids.push_back(late.id());

  // What GetTicket on `source` reads of the ids in (after, last].
  auto want = [&](Transaction& source, int64_t after, int64_t last) -> std::vector<v1::Ticket> {
    std::vector<v1::Ticket> out;
    for (int64_t id : ids) {
      if (id <= after || id > last) continue;
      absl::StatusOr<v1::Ticket> t = source.GetTicket(id);
      EXPECT_TRUE(t.ok()) << t.status();
      if (!t.ok()) continue;
      t->clear_version();
      out.push_back(*t);
    }
    return out;
  };
  auto expect_read = [&](Transaction& reader, Transaction& source, int64_t after, int64_t last,
                         int page) {
    SCOPED_TRACE(absl::StrCat("(", after, ", ", last, "] by ", page));
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> got,
                                  ReadEncodedTickets(reader, after, last, page));
    std::vector<v1::Ticket> expected = want(source, after, last);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_THAT(got[i], sci::EqualsProto(expected[i]));
  };
  // Within the writing transaction: its own writes.
  expect_read(*tx, *tx, 0, std::max(far.id(), late.id()), 2);
  expect_read(*tx, *tx, late.id() - 1, late.id(), 1);  // the late one alone
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  DefaultTicketRead by_default(std::move(reader));
  for (Transaction* r : {by_default.base(), static_cast<Transaction*>(&by_default)}) {
    SCOPED_TRACE(r == &by_default ? "default" : "store's own");
    Transaction& store = *by_default.base();
    // To the last id there is (the default probes every id of the range).
    const int64_t end =
        r == &by_default ? far.id() + 100 : std::numeric_limits<int64_t>::max();
    expect_read(*r, store, 0, end, 10000);
    expect_read(*r, store, 0, far.id(), 2);
    expect_read(*r, store, ids[0], ids[3], 1);  // after is left out, last is in
    expect_read(*r, store, ids[4], far.id() - 1, 5);  // the gap (only the late one, if its id is there)
    expect_read(*r, store, far.id(), far.id(), 3);  // an empty range
    // A visitor's error stops the read and comes back as is.
    int seen = 0;
    EXPECT_THAT(r->VisitEncodedTickets(0, far.id(), 100,
                                       [&](int64_t, absl::string_view) {
                                         return ++seen == 2 ? absl::CancelledError("enough")
                                                            : absl::OkStatus();
                                       }),
                StatusIs(absl::StatusCode::kCancelled));
    EXPECT_EQ(seen, 2);
    auto none = [](int64_t, absl::string_view) { return absl::OkStatus(); };
    EXPECT_THAT(r->VisitEncodedTickets(0, far.id(), 0, none),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(r->VisitEncodedTickets(0, far.id(), 10001, none),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(r->VisitEncodedTickets(far.id(), ids[0], 10, none),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace helpdesk::testing
