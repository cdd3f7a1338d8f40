// The Store conformance suite: the store itself and transactions: commit, durability, rollback, read-only and committed transactions.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, NameIsNotEmpty) {
  EXPECT_FALSE(store().Name().empty());
}

TEST_P(StoreConformanceTest, CommittedChangesAreVisibleToLaterTransactions) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket ticket = sci::MakeTicket("committed");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  reader.reset();
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> writer, BeginReadWrite());
  EXPECT_THAT(writer->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
}

// TransactionOptions::durable changes when a commit is safe from power loss,
// not what it does: durable and ordinary transactions commit, roll back and
// read back alike, in any order.
TEST_P(StoreConformanceTest, DurableTransactionsCommitAndReadBack) {
  namespace sci = store_conformance_internal;
  const TransactionOptions durable{.mode = TransactionMode::kReadWrite,
                                   .durable = true};
  std::vector<v1::Ticket> stored;
  for (int i = 0; i < 4; ++i) {
    // durable, ordinary, durable, ordinary: switching back and forth.
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx,
                         i % 2 == 0 ? store().Begin(durable) : BeginReadWrite());
    v1::Ticket ticket = sci::MakeTicket(absl::StrCat("ticket ", i));
    HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
    HELPDESK_ASSERT_OK(tx->Commit());
    stored.push_back(ticket);
  }
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, store().Begin(durable));
    v1::Ticket ticket = sci::MakeTicket("rolled back");
    HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
  }  // destroyed without Commit
  {
    // A durable request on a read-only transaction is allowed and ignored.
    HELPDESK_ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<Transaction> tx,
        store().Begin({.mode = TransactionMode::kReadOnly, .durable = true}));
    EXPECT_THAT(tx->GetTicket(stored[0].id()),
                sci::IsOkAndHolds(sci::EqualsProto(stored[0])));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids, QueryIds(TicketQuery{}));
  EXPECT_EQ(ids.size(), stored.size());
  for (const v1::Ticket& ticket : stored) {
    EXPECT_THAT(ReadTicket(ticket.id()),
                sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  }
}

TEST_P(StoreConformanceTest, DestroyingWithoutCommitRollsEverythingBack) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(sci::CommittedObjects c, CommitOneOfEach());

  v1::Ticket new_ticket = sci::MakeTicket("rolled back");
  v1::Message new_message;
  v1::Event new_event;
  v1::Contact new_contact = sci::MakeContact("Rolled", "rolled@example.com");
  v1::Organization new_organization = sci::MakeOrganization("Rolled Ltd");
  v1::Agent new_agent = sci::MakeAgent("Rolled", "rolled.agent@example.com");
  v1::Group new_group = sci::MakeGroup("Rolled group");
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    HELPDESK_ASSERT_OK(tx->InsertTicket(&new_ticket));
    v1::Ticket changed = c.ticket;
    changed.set_subject("changed, then rolled back");
    HELPDESK_ASSERT_OK(tx->UpdateTicket(&changed, c.ticket.version()));
    new_message = sci::MakeMessage(c.ticket.id(), "rolled back message");
    HELPDESK_ASSERT_OK(tx->InsertMessage(&new_message));
    HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t moved,
                         tx->MoveMessages(c.ticket.id(), new_ticket.id()));
    EXPECT_EQ(moved, 2);
    new_event = sci::MakeEvent(c.ticket.id(), v1::Event::FIELDS_CHANGED);
    HELPDESK_ASSERT_OK(tx->AppendEvent(&new_event));
    HELPDESK_ASSERT_OK(tx->InsertContact(&new_contact));
    v1::Contact changed_contact = c.contact;
    v1::ContactIdentity* phone = changed_contact.add_identities();
    phone->set_kind(v1::ContactIdentity::PHONE);
    phone->set_value("+34600000001");
    HELPDESK_ASSERT_OK(tx->UpdateContact(&changed_contact, c.contact.version()));
    HELPDESK_ASSERT_OK(tx->InsertOrganization(&new_organization));
    HELPDESK_ASSERT_OK(tx->InsertAgent(&new_agent));
    v1::Agent changed_agent = c.agent;
    changed_agent.set_email("renamed.agent@example.com");
    HELPDESK_ASSERT_OK(tx->UpdateAgent(&changed_agent, c.agent.version()));
    HELPDESK_ASSERT_OK(tx->InsertGroup(&new_group));
    HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('b'), "rolled back"));
    HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create", "k1", "v", sci::Minute(1)));
    // Destroyed without Commit().
  }

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  EXPECT_THAT(tx->GetTicket(new_ticket.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetTicket(c.ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(c.ticket)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(TicketQuery()));
  EXPECT_THAT(sci::IdsOf(page.tickets), ::testing::ElementsAre(c.ticket.id()));
  EXPECT_THAT(
      tx->ListMessages(c.ticket.id()),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.message))));
  EXPECT_THAT(tx->GetMessage(new_message.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->ListMessages(new_ticket.id()),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(
      tx->ListEventsSince(0, 100),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.event))));
  EXPECT_THAT(tx->GetContact(new_contact.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                        "rolled@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      tx->FindContactByIdentity(v1::ContactIdentity::PHONE, "+34600000001"),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetContact(c.contact.id()),
              sci::IsOkAndHolds(sci::EqualsProto(c.contact)));
  EXPECT_THAT(tx->GetOrganization(new_organization.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetAgent(new_agent.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      tx->ListAgents(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.agent))));
  EXPECT_THAT(
      tx->ListGroups(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.group))));
  EXPECT_THAT(tx->GetAttachmentContent(sci::Sha256Of('b')),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetIdempotencyRecord("create", "k1"),
              StatusIs(absl::StatusCode::kNotFound));
  tx.reset();

  // Names, e-mails and identities taken by the rolled-back transaction are
  // free again.
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> again, BeginReadWrite());
  v1::Contact contact = sci::MakeContact("Rolled", "rolled@example.com");
  HELPDESK_EXPECT_OK(again->InsertContact(&contact));
  v1::Organization organization = sci::MakeOrganization("Rolled Ltd");
  HELPDESK_EXPECT_OK(again->InsertOrganization(&organization));
  v1::Agent agent = sci::MakeAgent("Rolled", "rolled.agent@example.com");
  HELPDESK_EXPECT_OK(again->InsertAgent(&agent));
  v1::Agent other = sci::MakeAgent("Other", "renamed.agent@example.com");
  HELPDESK_EXPECT_OK(again->InsertAgent(&other));
  v1::Group group = sci::MakeGroup("Rolled group");
  HELPDESK_EXPECT_OK(again->InsertGroup(&group));
  HELPDESK_EXPECT_OK(again->PutIdempotencyRecord("create", "k1", "v2", sci::Minute(2)));
  HELPDESK_EXPECT_OK(again->Commit());
}

TEST_P(StoreConformanceTest, ReadsSeeTheTransactionsOwnWrites) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());

  v1::Ticket ticket = sci::MakeRichTicket();
  HELPDESK_ASSERT_OK(tx->InsertTicket(&ticket));
  EXPECT_THAT(tx->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  ticket.set_subject("Renamed inside the transaction");
  ticket.add_tags("zz-new");
  HELPDESK_ASSERT_OK(tx->UpdateTicket(&ticket, 1));
  EXPECT_THAT(tx->GetTicket(ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ticket)));
  TicketQuery by_subject;
  by_subject.subject_contains = "renamed inside";
  by_subject.tags = {"zz-new"};
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(by_subject));
  EXPECT_THAT(page.tickets, ::testing::ElementsAre(sci::EqualsProto(ticket)));

  v1::Ticket other = sci::MakeTicket("other");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&other));
  v1::Message message = sci::MakeMessage(ticket.id(), "hello");
  HELPDESK_ASSERT_OK(tx->InsertMessage(&message));
  EXPECT_THAT(tx->GetMessage(message.id()),
              sci::IsOkAndHolds(sci::EqualsProto(message)));
  EXPECT_THAT(
      tx->ListMessages(ticket.id()),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(message))));
  HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t moved,
                       tx->MoveMessages(ticket.id(), other.id()));
  EXPECT_EQ(moved, 1);
  EXPECT_THAT(tx->ListMessages(ticket.id()),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> on_other,
                       tx->ListMessages(other.id()));
  ASSERT_EQ(on_other.size(), 1u);
  EXPECT_EQ(on_other[0].id(), message.id());

  v1::Event event = sci::MakeEvent(ticket.id(), v1::Event::TICKET_CREATED);
  HELPDESK_ASSERT_OK(tx->AppendEvent(&event));
  EXPECT_THAT(
      tx->ListTicketEvents(ticket.id(), 0, 0),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(event))));
  EXPECT_THAT(
      tx->ListEventsSince(0, 10),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(event))));

  v1::Contact contact = sci::MakeContact("Ann", "ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&contact));
  EXPECT_THAT(tx->GetContact(contact.id()),
              sci::IsOkAndHolds(sci::EqualsProto(contact)));
  v1::ContactIdentity* chat = contact.add_identities();
  chat->set_kind(v1::ContactIdentity::CHAT);
  chat->set_value("@ann");
  HELPDESK_ASSERT_OK(tx->UpdateContact(&contact, 1));
  EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::CHAT, "@ann"),
              sci::IsOkAndHolds(sci::EqualsProto(contact)));

  v1::Organization organization = sci::MakeOrganization("Acme");
  HELPDESK_ASSERT_OK(tx->InsertOrganization(&organization));
  EXPECT_THAT(tx->GetOrganization(organization.id()),
              sci::IsOkAndHolds(sci::EqualsProto(organization)));

  v1::Agent agent = sci::MakeAgent("Bo", "bo@example.com");
  HELPDESK_ASSERT_OK(tx->InsertAgent(&agent));
  agent.set_presence(v1::PRESENCE_ONLINE);
  HELPDESK_ASSERT_OK(tx->UpdateAgent(&agent, 1));
  EXPECT_THAT(tx->GetAgent(agent.id()),
              sci::IsOkAndHolds(sci::EqualsProto(agent)));
  EXPECT_THAT(
      tx->ListAgents(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(agent))));

  v1::Group group = sci::MakeGroup("Tier 1");
  HELPDESK_ASSERT_OK(tx->InsertGroup(&group));
  EXPECT_THAT(tx->GetGroup(group.id()),
              sci::IsOkAndHolds(sci::EqualsProto(group)));
  EXPECT_THAT(
      tx->ListGroups(),
      sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(group))));

  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('c'), "bytes"));
  EXPECT_THAT(tx->GetAttachmentContent(sci::Sha256Of('c')),
              sci::IsOkAndHolds(std::string("bytes")));
  HELPDESK_ASSERT_OK(tx->PutIdempotencyRecord("create", "key", "42", sci::Minute(1)));
  EXPECT_THAT(tx->GetIdempotencyRecord("create", "key"),
              sci::IsOkAndHolds(std::string("42")));
  HELPDESK_EXPECT_OK(tx->Commit());
}

TEST_P(StoreConformanceTest, ReadOnlyTransactionRefusesEveryWrite) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(sci::CommittedObjects c, CommitOneOfEach());
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
    sci::ExpectEveryWriteRefused(*tx, c);
    // A refused write does not end the transaction: reads still work and it
    // commits.
    EXPECT_THAT(tx->GetTicket(c.ticket.id()),
                sci::IsOkAndHolds(sci::EqualsProto(c.ticket)));
    EXPECT_THAT(
        tx->ListMessages(c.ticket.id()),
        sci::IsOkAndHolds(::testing::ElementsAre(sci::EqualsProto(c.message))));
    HELPDESK_EXPECT_OK(tx->Commit());
  }
  ExpectNoRefusedWriteStored(c);
}

TEST_P(StoreConformanceTest, EveryCallAfterCommitIsRefused) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(sci::CommittedObjects c, CommitOneOfEach());
  for (TransactionMode mode :
       {TransactionMode::kReadWrite, TransactionMode::kReadOnly}) {
    SCOPED_TRACE(mode == TransactionMode::kReadWrite ? "read-write"
                                                     : "read-only");
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, store().Begin(mode));
    HELPDESK_ASSERT_OK(tx->Commit());
    EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
    sci::ExpectEveryReadRefused(*tx, c);
    sci::ExpectEveryWriteRefused(*tx, c);
    EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  ExpectNoRefusedWriteStored(c);
}

TEST_P(StoreConformanceTest, RefusedCallsLeaveTheTransactionUsable) {
  namespace sci = store_conformance_internal;
  // Only a failed Commit() ends a transaction: after a refused call the
  // earlier and later writes of the same transaction still commit.
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket before = sci::MakeTicket("before the refusals");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&before));
  v1::Ticket duplicate = sci::MakeTicket("duplicate id");
  duplicate.set_id(existing.id());
  EXPECT_THAT(tx->InsertTicket(&duplicate),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::Ticket stale = existing;
  stale.set_subject("stale");
  EXPECT_THAT(tx->UpdateTicket(&stale, existing.version() + 1),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(tx->GetTicket(existing.id() + before.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Ticket after = sci::MakeTicket("after the refusals");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&after));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Ticket> all,
                       QueryAllPages(TicketQuery{.sort = TicketSort::kIdAsc}));
  EXPECT_THAT(all, ::testing::ElementsAre(sci::EqualsProto(existing),
                                          sci::EqualsProto(before),
                                          sci::EqualsProto(after)));
}
}  // namespace helpdesk::testing
