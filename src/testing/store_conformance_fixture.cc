// The Store conformance suite's fixture: the helpers of StoreConformanceTest
// (helpdesk/testing/store_conformance.h) that every area's tests call.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

void StoreConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<Store>> store = GetParam().make();
  ASSERT_TRUE(store.ok()) << "the factory for '" << GetParam().name
                          << "' failed: " << store.status();
  ASSERT_NE(*store, nullptr);
  store_ = std::move(*store);
}

void StoreConformanceTest::TearDown() { store_.reset(); }

absl::Status StoreConformanceTest::InsertCommitted(std::vector<v1::Ticket>& tickets) {
  absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
  if (!tx.ok()) return tx.status();
  for (v1::Ticket& t : tickets) {
    absl::Status s = (*tx)->InsertTicket(&t);
    if (!s.ok()) return s;
  }
  return (*tx)->Commit();
}

absl::StatusOr<v1::Ticket> StoreConformanceTest::InsertCommitted(v1::Ticket ticket) {
  std::vector<v1::Ticket> tickets = {std::move(ticket)};
  absl::Status s = InsertCommitted(tickets);
  if (!s.ok()) return s;
  return tickets[0];
}

absl::StatusOr<v1::Ticket> StoreConformanceTest::ReadTicket(int64_t id) {
  absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
  if (!tx.ok()) return tx.status();
  return (*tx)->GetTicket(id);
}

absl::StatusOr<std::vector<v1::Ticket>> StoreConformanceTest::QueryAllPages(
    TicketQuery query) {
  absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
  if (!tx.ok()) return tx.status();
  std::vector<v1::Ticket> all;
  for (int pages = 0; pages < 10000; ++pages) {
    absl::StatusOr<TicketPage> page = (*tx)->QueryTickets(query);
    if (!page.ok()) return page.status();
    if (static_cast<int>(page->tickets.size()) > query.limit) {
      return absl::InternalError(
          absl::StrCat("a page has ", page->tickets.size(),
                       " tickets, more than the limit ", query.limit));
    }
    for (v1::Ticket& t : page->tickets) all.push_back(std::move(t));
    if (page->next_cursor.empty()) return all;
    query.cursor = page->next_cursor;
  }
  return absl::InternalError("pagination did not end after 10000 pages");
}

absl::StatusOr<std::vector<int64_t>> StoreConformanceTest::QueryIds(
    const TicketQuery& query) {
  absl::StatusOr<std::vector<v1::Ticket>> tickets = QueryAllPages(query);
  if (!tickets.ok()) return tickets.status();
  return store_conformance_internal::IdsOf(*tickets);
}

absl::StatusOr<store_conformance_internal::CommittedObjects>
StoreConformanceTest::CommitOneOfEach() {
  namespace sci = store_conformance_internal;
  sci::CommittedObjects c;
  absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
  if (!tx.ok()) return tx.status();
  Transaction& t = **tx;
  c.ticket = sci::MakeTicket("committed ticket");
  absl::Status s = t.InsertTicket(&c.ticket);
  if (s.ok()) {
    c.message = sci::MakeMessage(c.ticket.id(), "committed message");
    s = t.InsertMessage(&c.message);
  }
  if (s.ok()) {
    c.event = sci::MakeEvent(c.ticket.id(), v1::Event::TICKET_CREATED);
    s = t.AppendEvent(&c.event);
  }
  if (s.ok()) {
    c.contact = sci::MakeContact("Committed", "committed@example.com");
    s = t.InsertContact(&c.contact);
  }
  if (s.ok()) {
    c.organization = sci::MakeOrganization("Committed Ltd");
    s = t.InsertOrganization(&c.organization);
  }
  if (s.ok()) {
    c.agent = sci::MakeAgent("Committed", "committed.agent@example.com");
    s = t.InsertAgent(&c.agent);
  }
  if (s.ok()) {
    c.group = sci::MakeGroup("Committed group");
    s = t.InsertGroup(&c.group);
  }
  if (s.ok()) s = t.Commit();
  if (!s.ok()) return s;
  return c;
}

void StoreConformanceTest::ExpectNoRefusedWriteStored(
    const store_conformance_internal::CommittedObjects& c) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadOnly());
  EXPECT_THAT(tx->GetTicket(c.ticket.id()),
              sci::IsOkAndHolds(sci::EqualsProto(c.ticket)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page,
                       tx->QueryTickets(TicketQuery{.include_merged = true}));
  EXPECT_THAT(sci::IdsOf(page.tickets),
              ::testing::ElementsAre(c.ticket.id()));
  EXPECT_EQ(page.next_cursor, "");
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> messages,
                       tx->ListMessages(c.ticket.id()));
  EXPECT_THAT(messages, ::testing::ElementsAre(sci::EqualsProto(c.message)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                       tx->ListEventsSince(0, 100));
  EXPECT_THAT(events, ::testing::ElementsAre(sci::EqualsProto(c.event)));
  EXPECT_THAT(tx->GetContact(c.contact.id()),
              sci::IsOkAndHolds(sci::EqualsProto(c.contact)));
  EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                        "refused@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Agent> agents, tx->ListAgents());
  EXPECT_THAT(agents, ::testing::ElementsAre(sci::EqualsProto(c.agent)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Group> groups, tx->ListGroups());
  EXPECT_THAT(groups, ::testing::ElementsAre(sci::EqualsProto(c.group)));
  EXPECT_THAT(tx->GetAttachmentContent(sci::Sha256Of('a')),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetIdempotencyRecord("scope", "key"),
              StatusIs(absl::StatusCode::kNotFound));
  tx.reset();
  // The organization's name is still free (checked in a transaction that
  // is rolled back).
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> probe, BeginReadWrite());
  v1::Organization organization = sci::MakeOrganization("Refused Ltd");
  HELPDESK_EXPECT_OK(probe->InsertOrganization(&organization));
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);

}  // namespace helpdesk::testing
