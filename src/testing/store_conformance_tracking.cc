// The Store conformance suite: tracking links (token hashes -> ticket ids):
// put, lookup, one link per ticket (rotation), revoke, rollback.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {
namespace {

// A well-formed hash that differs per `n` (64 lower-case hex digits).
std::string Hash(int n) {
  std::string h = absl::StrCat(n, "abcdef");
  h.resize(64, 'a');
  return h;
}

}  // namespace

TEST_P(StoreConformanceTest, TrackingTokensResolveToTheirTicket) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  EXPECT_THAT(tx->LookupTrackingToken(Hash(1)), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(7, Hash(1), sci::Minute(3)));
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(8, Hash(2), sci::Minute(4)));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(TrackingTokenRecord r, tx->LookupTrackingToken(Hash(1)));
  EXPECT_EQ(r.ticket_id, 7);
  EXPECT_EQ(r.token_sha256, Hash(1));
  EXPECT_EQ(r.created_at, sci::Minute(3));
  HELPDESK_ASSERT_OK_AND_ASSIGN(r, tx->LookupTrackingToken(Hash(2)));
  EXPECT_EQ(r.ticket_id, 8);
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::optional<TrackingTokenRecord> of,
                                tx->GetTrackingTokenOfTicket(8));
  ASSERT_TRUE(of.has_value());
  EXPECT_EQ(of->token_sha256, Hash(2));
  HELPDESK_ASSERT_OK_AND_ASSIGN(of, tx->GetTrackingTokenOfTicket(9));
  EXPECT_FALSE(of.has_value());
  // Hashes compare exactly: upper case is another (malformed) hash.
  std::string upper = Hash(1);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_THAT(tx->LookupTrackingToken(upper), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->LookupTrackingToken(""), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->LookupTrackingToken(Hash(1).substr(0, 63)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->PutTrackingToken(9, Hash(3), sci::Minute(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformanceTest, TrackingTokenPutRejectsBadInput) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  EXPECT_THAT(tx->PutTrackingToken(0, Hash(1), sci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->PutTrackingToken(-3, Hash(1), sci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->PutTrackingToken(1, "not a hash", sci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::string upper(64, 'A');
  EXPECT_THAT(tx->PutTrackingToken(1, upper, sci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->PutTrackingToken(1, std::string(65, 'a'), sci::Minute(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A hash that is another ticket's link is refused; the same ticket may put
  // its own hash again.
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(1, Hash(1), sci::Minute(0)));
  EXPECT_THAT(tx->PutTrackingToken(2, Hash(1), sci::Minute(0)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(1, Hash(1), sci::Minute(1)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(TrackingTokenRecord r, tx->LookupTrackingToken(Hash(1)));
  EXPECT_EQ(r.ticket_id, 1);
  EXPECT_EQ(r.created_at, sci::Minute(1));
}

TEST_P(StoreConformanceTest, TrackingTokenRotationRetiresTheOldHashAtOnce) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(5, Hash(10), sci::Minute(0)));
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(5, Hash(11), sci::Minute(1)));
  // Within the transaction, and after it.
  EXPECT_THAT(tx->LookupTrackingToken(Hash(10)), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  EXPECT_THAT(tx->LookupTrackingToken(Hash(10)), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(TrackingTokenRecord r, tx->LookupTrackingToken(Hash(11)));
  EXPECT_EQ(r.ticket_id, 5);
  // The retired hash is free again (for any ticket).
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(6, Hash(10), sci::Minute(2)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(r, tx->LookupTrackingToken(Hash(10)));
  EXPECT_EQ(r.ticket_id, 6);
}

TEST_P(StoreConformanceTest, TrackingTokenRevokeRemovesTheLink) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(4, Hash(20), sci::Minute(0)));
  HELPDESK_ASSERT_OK(tx->PutTrackingToken(3, Hash(21), sci::Minute(0)));
  HELPDESK_ASSERT_OK(tx->Commit());
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  EXPECT_THAT(tx->RevokeTrackingToken(4), sci::IsOkAndHolds(true));
  EXPECT_THAT(tx->RevokeTrackingToken(4), sci::IsOkAndHolds(false));
  EXPECT_THAT(tx->RevokeTrackingToken(99), sci::IsOkAndHolds(false));
  HELPDESK_ASSERT_OK(tx->Commit());
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  EXPECT_THAT(tx->LookupTrackingToken(Hash(20)), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::optional<TrackingTokenRecord> of,
                                tx->GetTrackingTokenOfTicket(4));
  EXPECT_FALSE(of.has_value());
  // The other ticket's link is untouched.
  HELPDESK_ASSERT_OK_AND_ASSIGN(TrackingTokenRecord r, tx->LookupTrackingToken(Hash(21)));
  EXPECT_EQ(r.ticket_id, 3);
  EXPECT_THAT(tx->RevokeTrackingToken(3), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StoreConformanceTest, TrackingTokenWritesRollBackWithTheTransaction) {
  namespace sci = store_conformance_internal;
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    HELPDESK_ASSERT_OK(tx->PutTrackingToken(2, Hash(30), sci::Minute(0)));
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    HELPDESK_ASSERT_OK(tx->PutTrackingToken(2, Hash(31), sci::Minute(1)));  // rotate
    HELPDESK_ASSERT_OK(tx->PutTrackingToken(8, Hash(32), sci::Minute(1)));
    HELPDESK_ASSERT_OK_AND_ASSIGN(bool had, tx->RevokeTrackingToken(8));
    EXPECT_TRUE(had);
    // Destroyed without Commit: rolled back.
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(TrackingTokenRecord r, tx->LookupTrackingToken(Hash(30)));
  EXPECT_EQ(r.ticket_id, 2);
  EXPECT_THAT(tx->LookupTrackingToken(Hash(31)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->LookupTrackingToken(Hash(32)), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace helpdesk::testing
