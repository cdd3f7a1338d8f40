// The Store conformance suite: the outbox.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

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
}  // namespace helpdesk::testing
