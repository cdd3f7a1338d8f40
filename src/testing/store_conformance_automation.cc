// The Store conformance suite: automation state (issue 14): the next
// automation due time per ticket, listed in due order, and the firings kept
// per ticket; both roll back with their transaction and leave the ticket's
// version alone.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <optional>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "helpdesk/timestamp.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, AutomationDueTimesAreListedInDueOrder) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Ticket> t(4);
  for (int i = 0; i < 4; ++i) {
    t[i] = sci::MakeTicket("automation");
    HELPDESK_ASSERT_OK(tx->InsertTicket(&t[i]));
  }
  HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(t[0].id(), sci::Minute(30)));
  HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(t[1].id(), sci::Minute(10)));
  HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(t[2].id(), sci::Minute(10)));
  HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(t[3].id(), sci::Minute(5)));
  HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(t[3].id(), std::nullopt));  // cleared
  EXPECT_THAT(tx->SetTicketAutomationDue(t[3].id() + 1000, sci::Minute(1)),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<int64_t> due,
                                tx->ListDueAutomations(sci::Minute(10), 100));
  EXPECT_EQ(due, (std::vector<int64_t>{t[1].id(), t[2].id()}));
  HELPDESK_ASSERT_OK_AND_ASSIGN(due, tx->ListDueAutomations(sci::Minute(60), 1));
  EXPECT_EQ(due, (std::vector<int64_t>{t[1].id()}));
  HELPDESK_ASSERT_OK_AND_ASSIGN(due, tx->ListDueAutomations(sci::Minute(9), 100));
  EXPECT_TRUE(due.empty());
  EXPECT_THAT(tx->ListDueAutomations(sci::Minute(9), 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> at,
                                tx->GetTicketAutomationDue(t[0].id()));
  EXPECT_EQ(at, sci::Minute(30));
  HELPDESK_ASSERT_OK_AND_ASSIGN(at, tx->GetTicketAutomationDue(t[3].id()));
  EXPECT_EQ(at, std::nullopt);
  // Derived data: the ticket keeps its version.
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket read, tx->GetTicket(t[0].id()));
  EXPECT_EQ(read.version(), 1);
  // Moving a due time moves it in the order; a rollback undoes it.
  HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(t[0].id(), sci::Minute(1)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(due, tx->ListDueAutomations(sci::Minute(60), 100));
  EXPECT_EQ(due, (std::vector<int64_t>{t[0].id(), t[1].id(), t[2].id()}));
  tx.reset();  // rolled back
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(due, tx->ListDueAutomations(sci::Minute(60), 100));
  EXPECT_EQ(due, (std::vector<int64_t>{t[1].id(), t[2].id(), t[0].id()}));
}

TEST_P(StoreConformanceTest, RuleFiringsAreKeptPerTicket) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket a = sci::MakeTicket("a");
  v1::Ticket b = sci::MakeTicket("b");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&a));
  HELPDESK_ASSERT_OK(tx->InsertTicket(&b));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::RuleFirings none, tx->GetRuleFirings(a.id()));
  EXPECT_EQ(none.firings_size(), 0);
  v1::RuleFirings f;
  v1::RuleFiring* one = f.add_firings();
  one->set_rule("close after 7 days");
  *one->mutable_window_start() = sci::AtMinute(3);
  HELPDESK_ASSERT_OK(tx->SetRuleFirings(a.id(), f));
  // A due time and firings live side by side.
  HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(a.id(), sci::Minute(7)));
  EXPECT_THAT(tx->SetRuleFirings(b.id() + 1000, f), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::RuleFirings read, tx->GetRuleFirings(a.id()));
  EXPECT_THAT(read, sci::EqualsProto(f));
  HELPDESK_ASSERT_OK_AND_ASSIGN(read, tx->GetRuleFirings(b.id()));
  EXPECT_EQ(read.firings_size(), 0);
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> at,
                                tx->GetTicketAutomationDue(a.id()));
  EXPECT_EQ(at, sci::Minute(7));
  HELPDESK_ASSERT_OK(tx->SetRuleFirings(a.id(), v1::RuleFirings()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(read, tx->GetRuleFirings(a.id()));
  EXPECT_EQ(read.firings_size(), 0);
  HELPDESK_ASSERT_OK_AND_ASSIGN(at, tx->GetTicketAutomationDue(a.id()));
  EXPECT_EQ(at, sci::Minute(7));
}

}  // namespace helpdesk::testing
