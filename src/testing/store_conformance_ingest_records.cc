// The Store conformance suite: what ingest keeps beside tickets: thread keys, quarantine entries, idempotency records.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

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
