#include "storage/ticket_query.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk::internal {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;

v1::Ticket MakeTicket(int64_t id, v1::Priority p, int64_t created_us) {
  v1::Ticket t;
  t.set_id(id);
  t.set_priority(p);
  *t.mutable_created_at() = MicrosToTimestamp(created_us);
  *t.mutable_updated_at() = MicrosToTimestamp(created_us + 5);
  return t;
}

TEST(TicketQueryTest, CursorRoundTripsForEverySort) {
  v1::Ticket t = MakeTicket(42, v1::PRIORITY_HIGH, -1234567);
  for (TicketSort sort :
       {TicketSort::kCreatedAsc, TicketSort::kCreatedDesc, TicketSort::kUpdatedAsc,
        TicketSort::kUpdatedDesc, TicketSort::kPriorityThenOldest, TicketSort::kIdAsc}) {
    std::string c = EncodeCursor(sort, t);
    ASSERT_OK_AND_ASSIGN(SortKey k, DecodeCursor(c, sort));
    EXPECT_EQ(k, SortKeyOf(t, sort));
  }
}

TEST(TicketQueryTest, CursorOfAnotherSortOrGarbageIsRefused) {
  v1::Ticket t = MakeTicket(1, v1::PRIORITY_LOW, 10);
  std::string c = EncodeCursor(TicketSort::kCreatedAsc, t);
  EXPECT_THAT(DecodeCursor(c, TicketSort::kUpdatedAsc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different sort")));
  for (const char* bad : {"", "c1", "c1.0.1.2", "c2.0.1.2.3", "c1.0.x.2.3",
                          "c1.0.1.2.3.4", "c1.0.99999999999999999999.2.3"}) {
    EXPECT_THAT(DecodeCursor(bad, TicketSort::kCreatedAsc),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(TicketQueryTest, PriorityOrderIsUrgentFirstThenOldestThenId) {
  SortKey urgent_old = SortKeyOf(MakeTicket(9, v1::PRIORITY_URGENT, 100),
                                 TicketSort::kPriorityThenOldest);
  SortKey urgent_new = SortKeyOf(MakeTicket(2, v1::PRIORITY_URGENT, 200),
                                 TicketSort::kPriorityThenOldest);
  SortKey low_old = SortKeyOf(MakeTicket(1, v1::PRIORITY_LOW, 1),
                              TicketSort::kPriorityThenOldest);
  EXPECT_TRUE(ComesBefore(urgent_old, urgent_new, TicketSort::kPriorityThenOldest));
  EXPECT_TRUE(ComesBefore(urgent_new, low_old, TicketSort::kPriorityThenOldest));
  SortKey a = SortKeyOf(MakeTicket(1, v1::PRIORITY_LOW, 100), TicketSort::kCreatedDesc);
  SortKey b = SortKeyOf(MakeTicket(2, v1::PRIORITY_LOW, 100), TicketSort::kCreatedDesc);
  EXPECT_TRUE(ComesBefore(b, a, TicketSort::kCreatedDesc));  // ties: id descending
}

TEST(TicketQueryTest, SubjectMatchingFoldsAsciiOnly) {
  EXPECT_TRUE(ContainsIgnoringAsciiCase("VPN drops", "vpn"));
  EXPECT_TRUE(ContainsIgnoringAsciiCase("abc", ""));
  EXPECT_FALSE(ContainsIgnoringAsciiCase("Élan", "élan"));
  EXPECT_FALSE(ContainsIgnoringAsciiCase("100% sure", "100_"));
  EXPECT_TRUE(ContainsIgnoringAsciiCase("100% sure", "0% S"));
}

TEST(TicketQueryTest, LimitIsChecked) {
  TicketQuery q;
  q.limit = 0;
  EXPECT_THAT(ValidateQuery(q),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit 0")));
  q.limit = kMaxQueryLimit + 1;
  EXPECT_THAT(ValidateQuery(q), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace helpdesk::internal
