// The Store conformance suite: tickets: ids, versions, SLA deadlines.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, InsertTicketAssignsIncreasingIdsAndVersionOne) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket first = sci::MakeRichTicket();
  first.set_version(7);  // ignored: a new ticket has version 1
  HELPDESK_ASSERT_OK(tx->InsertTicket(&first));
  EXPECT_GT(first.id(), 0);
  EXPECT_EQ(first.version(), 1);
  const v1::Ticket first_as_inserted = first;
  // The ticket was borrowed for the call only.
  first.set_subject("changed after InsertTicket returned");

  v1::Ticket second = sci::MakeTicket("second");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&second));
  EXPECT_GT(second.id(), first.id());
  EXPECT_EQ(second.version(), 1);
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Ticket third = sci::MakeTicket("third");
  HELPDESK_ASSERT_OK(next->InsertTicket(&third));
  EXPECT_GT(third.id(), second.id());
  EXPECT_EQ(third.version(), 1);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetTicket(first_as_inserted.id()),
              sci::IsOkAndHolds(sci::EqualsProto(first_as_inserted)));
  EXPECT_THAT(reader->GetTicket(second.id()),
              sci::IsOkAndHolds(sci::EqualsProto(second)));
  EXPECT_THAT(reader->GetTicket(third.id()),
              sci::IsOkAndHolds(sci::EqualsProto(third)));
}

TEST_P(StoreConformanceTest, InsertTicketWithAnIdUsesItAndLaterIdsExceedIt) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket given = sci::MakeTicket("given id");
  given.set_id(1000);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&given));
  EXPECT_EQ(given.id(), 1000);
  EXPECT_EQ(given.version(), 1);
  v1::Ticket assigned = sci::MakeTicket("assigned id");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&assigned));
  EXPECT_GT(assigned.id(), 1000);
  v1::Ticket lower = sci::MakeTicket("lower given id");
  lower.set_id(500);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&lower));
  EXPECT_EQ(lower.id(), 500);
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Ticket later = sci::MakeTicket("later");
  HELPDESK_ASSERT_OK(next->InsertTicket(&later));
  EXPECT_GT(later.id(), assigned.id());
  v1::Ticket high = sci::MakeTicket("high");
  high.set_id(later.id() + 5000);
  HELPDESK_ASSERT_OK(next->InsertTicket(&high));
  v1::Ticket after_high = sci::MakeTicket("after high");
  HELPDESK_ASSERT_OK(next->InsertTicket(&after_high));
  EXPECT_GT(after_high.id(), high.id());
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> all,
                       QueryAllPages(TicketQuery{.sort = TicketSort::kIdAsc}));
  EXPECT_THAT(all, ::testing::ElementsAre(
                       sci::EqualsProto(lower), sci::EqualsProto(given),
                       sci::EqualsProto(assigned), sci::EqualsProto(later),
                       sci::EqualsProto(high), sci::EqualsProto(after_high)));
}

TEST_P(StoreConformanceTest, InsertTicketRefusesATakenOrNegativeId) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket duplicate = sci::MakeTicket("duplicate");
  duplicate.set_id(existing.id());
  EXPECT_THAT(tx->InsertTicket(&duplicate),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::Ticket same_tx = sci::MakeTicket("inserted in this transaction");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&same_tx));
  v1::Ticket duplicate_of_new = sci::MakeTicket("duplicate of the new one");
  duplicate_of_new.set_id(same_tx.id());
  EXPECT_THAT(tx->InsertTicket(&duplicate_of_new),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::Ticket negative = sci::MakeTicket("negative");
  negative.set_id(-5);
  EXPECT_THAT(tx->InsertTicket(&negative),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->GetTicket(-5), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> all,
                       QueryAllPages(TicketQuery{.sort = TicketSort::kIdAsc}));
  EXPECT_THAT(all, ::testing::ElementsAre(sci::EqualsProto(existing),
                                          sci::EqualsProto(same_tx)));
}

TEST_P(StoreConformanceTest, GetTicketOfAnUnknownIdIsNotFound) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  EXPECT_THAT(tx->GetTicket(existing.id() + 1),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetTicket(424242), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetTicket(0), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, UpdateTicketChecksTheVersion) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket ticket,
                       InsertCommitted(sci::MakeTicket("versioned")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  // Every field is replaced; the version written back is expected + 1,
  // whatever the version field of the argument said.
  v1::Ticket replacement = sci::MakeRichTicket();
  replacement.set_id(ticket.id());
  replacement.set_version(0);
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&replacement, 1));
  EXPECT_EQ(replacement.version(), 2);
  EXPECT_THAT(tx->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(replacement)));
  ticket = replacement;
  while (ticket.version() < 12) {
    ticket.set_message_count(ticket.message_count() + 1);
    HELPDESK_ASSERT_OK(tx->UpdateTicket(&ticket, ticket.version()));
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Ticket stale = ticket;
  stale.set_subject("stale write");
  EXPECT_THAT(next->UpdateTicket(&stale, 7),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(7),
                                        sci::MentionsNumber(12))));
  EXPECT_THAT(next->UpdateTicket(&stale, 13),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(13),
                                        sci::MentionsNumber(12))));
  EXPECT_THAT(next->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));

  v1::Ticket unknown = sci::MakeTicket("unknown");
  unknown.set_id(ticket.id() + 1000);
  EXPECT_THAT(next->UpdateTicket(&unknown, 1),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(next->GetTicket(unknown.id()),
              StatusIs(absl::StatusCode::kNotFound));

  v1::Ticket fresh = ticket;
  fresh.set_subject("current write");
  fresh.set_version(99);
  HELPDESK_ASSERT_OK(next->UpdateTicket(&fresh, 12));
  EXPECT_EQ(fresh.version(), 13);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  EXPECT_THAT(ReadTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(fresh)));
}

TEST_P(StoreConformanceTest, SetTicketSlaDeadlineKeepsVersionAndUpdatedAt) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket t = sci::MakeTicket("due soon", 10);
  HELPDESK_ASSERT_OK(tx->InsertTicket(&t));
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(t.id(), sci::Minute(30)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket read, tx->GetTicket(t.id()));
  EXPECT_EQ(read.version(), 1);
  EXPECT_THAT(read.updated_at(), sci::EqualsProto(t.updated_at()));
  ASSERT_TRUE(read.has_sla_next_deadline());
  EXPECT_EQ(FromTimestamp(read.sla_next_deadline()), sci::Minute(30));
  EXPECT_THAT(tx->SetTicketSlaDeadline(t.id() + 1000, sci::Minute(1)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());

  // A later UpdateTicket keeps what the caller passes (the Desk carries it).
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  read.set_subject("still due soon");
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&read, 1));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket updated, tx->GetTicket(t.id()));
  EXPECT_EQ(FromTimestamp(updated.sla_next_deadline()), sci::Minute(30));
  // Clearing removes it from deadline queries.
  HELPDESK_ASSERT_OK(tx->SetTicketSlaDeadline(t.id(), std::nullopt));
  HELPDESK_ASSERT_OK_AND_ASSIGN(updated, tx->GetTicket(t.id()));
  EXPECT_FALSE(updated.has_sla_next_deadline());
  EXPECT_EQ(updated.version(), 2);
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      TicketPage page,
      tx->QueryTickets(TicketQuery{.sla_deadline = TimeRange{}, .limit = 10}));
  EXPECT_TRUE(page.tickets.empty());
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  EXPECT_THAT(tx->SetTicketSlaDeadline(t.id(), sci::Minute(5)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}
}  // namespace helpdesk::testing
