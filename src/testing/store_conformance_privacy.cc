// The Store conformance suite: the personal-data calls (issue 16): redacting
// a message and an event in place, deleting a ticket with its side rows, and
// finding and deleting orphaned attachment contents; each with rollback and
// bad input. Part of helpdesk::store_conformance; the fixture and how to run
// the suite are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {
namespace {

namespace sci = store_conformance_internal;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::Attachment AttachmentOf(char digit, absl::string_view name) {
  v1::Attachment a;
  a.set_file_name(std::string(name));
  a.set_media_type("text/plain");
  a.set_size(3);
  a.set_sha256(sci::Sha256Of(digit));
  return a;
}

}  // namespace

TEST_P(StoreConformanceTest, RedactMessageReplacesContentAndKeepsItsPlace) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket t = sci::MakeTicket("printer");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&t));
  v1::Message m = sci::MakeMessage(t.id(), "call me on +44 20 7946 0000");
  m.set_body_html("<p>call me</p>");
  m.set_external_id("<abc@example.com>");
  *m.add_attachments() = AttachmentOf('a', "passport.jpg");
  HELPDESK_ASSERT_OK(tx->InsertMessage(&m));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  v1::Message redacted;
  redacted.set_id(m.id());
  redacted.set_body_text("[erased]");
  redacted.mutable_author()->set_kind(v1::Actor::CONTACT);
  redacted.mutable_author()->set_id(1);
  redacted.set_ticket_id(999);  // ignored: the message keeps its ticket
  HELPDESK_ASSERT_OK(tx->RedactMessage(redacted));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Message got, tx->GetMessage(m.id()));
  EXPECT_EQ(got.body_text(), "[erased]");
  EXPECT_EQ(got.body_html(), "");
  EXPECT_EQ(got.external_id(), "");
  EXPECT_EQ(got.attachments_size(), 0);
  EXPECT_EQ(got.ticket_id(), t.id());
  EXPECT_EQ(got.origin_ticket_id(), t.id());
  EXPECT_EQ(got.kind(), v1::Message::CUSTOMER_MESSAGE);
  EXPECT_EQ(got.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(FromTimestamp(got.created_at()), sci::Minute(1));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> listed, tx->ListMessages(t.id()));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].body_text(), "[erased]");
}

TEST_P(StoreConformanceTest, RedactEventReplacesChangesAndNoteOnly) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Event e = sci::MakeEvent(4, v1::Event::FIELDS_CHANGED);
  *e.mutable_time() = sci::AtMinute(7);
  e.set_ticket_version(3);
  e.set_note("subject had a name in it");
  v1::FieldChange* change = e.add_changes();
  change->set_field(v1::FieldChange::SUBJECT);
  change->mutable_before()->set_text("Jane Roe's invoice");
  change->mutable_after()->set_text("Invoice of Jane Roe");
  HELPDESK_ASSERT_OK(tx->AppendEvent(&e));
  v1::Event other = sci::MakeEvent(4, v1::Event::MESSAGE_ADDED);
  HELPDESK_ASSERT_OK(tx->AppendEvent(&other));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  v1::Event redacted = e;
  redacted.set_note("");
  redacted.mutable_changes(0)->mutable_before()->set_text("[erased]");
  redacted.mutable_changes(0)->mutable_after()->set_text("[erased]");
  redacted.set_ticket_id(77);  // ignored
  *redacted.mutable_time() = sci::AtMinute(100);  // ignored
  HELPDESK_ASSERT_OK(tx->RedactEvent(redacted));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events, tx->ListTicketEvents(4, 0, 0));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id(), e.id());
  EXPECT_EQ(events[0].note(), "");
  ASSERT_EQ(events[0].changes_size(), 1);
  EXPECT_EQ(events[0].changes(0).field(), v1::FieldChange::SUBJECT);
  EXPECT_EQ(events[0].changes(0).before().text(), "[erased]");
  EXPECT_EQ(events[0].changes(0).after().text(), "[erased]");
  EXPECT_EQ(FromTimestamp(events[0].time()), sci::Minute(7));
  EXPECT_EQ(events[0].ticket_version(), 3);
  EXPECT_EQ(events[0].kind(), v1::Event::FIELDS_CHANGED);
  EXPECT_EQ(events[1].id(), other.id());
  // The period feed still finds it at its own time.
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      events, tx->ListEventsBetween(sci::Minute(7), sci::Minute(8), 0, 100));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id(), e.id());
}

TEST_P(StoreConformanceTest, RedactUnknownRowsIsNotFound) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Message m;
  m.set_id(12345);
  EXPECT_THAT(tx->RedactMessage(m), StatusIs(absl::StatusCode::kNotFound));
  v1::Event e;
  e.set_id(12345);
  EXPECT_THAT(tx->RedactEvent(e), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->DeleteTicket(12345), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(bool had, tx->DeleteAttachmentContent(sci::Sha256Of('9')));
  EXPECT_FALSE(had);
}

TEST_P(StoreConformanceTest, DeleteTicketRemovesItAndItsSideRowsOnly) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Ticket gone = sci::MakeRichTicket();
  HELPDESK_ASSERT_OK(tx->InsertTicket(&gone));
  v1::Ticket kept = sci::MakeTicket("kept");
  kept.add_tags("printer");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&kept));
  for (int64_t id : {gone.id(), kept.id()}) {
    v1::Message m = sci::MakeMessage(id, "hello");
    HELPDESK_ASSERT_OK(tx->InsertMessage(&m));
    v1::Event e = sci::MakeEvent(id, v1::Event::TICKET_CREATED);
    HELPDESK_ASSERT_OK(tx->AppendEvent(&e));
    HELPDESK_ASSERT_OK(tx->PutThreadKey(absl::StrCat("email:<", id, "@x>"), id));
    HELPDESK_ASSERT_OK(tx->PutTrackingToken(id, std::string(64, id == gone.id() ? 'd' : 'e'),
                                            sci::Minute(1)));
    HELPDESK_ASSERT_OK(tx->SetTicketAutomationDue(id, sci::Minute(30)));
    v1::TimeEntry entry;
    entry.set_ticket_id(id);
    entry.set_agent_id(5);
    *entry.mutable_logged_at() = sci::AtMinute(2);
    HELPDESK_ASSERT_OK(tx->InsertTimeEntry(&entry));
  }
  HELPDESK_ASSERT_OK(tx->Commit());

  // Rolled back: nothing changes.
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
    HELPDESK_ASSERT_OK(tx->DeleteTicket(gone.id()));
    EXPECT_THAT(tx->GetTicket(gone.id()), StatusIs(absl::StatusCode::kNotFound));
    tx.reset();
    HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
    HELPDESK_EXPECT_OK(tx->GetTicket(gone.id()).status());
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> m, tx->ListMessages(gone.id()));
    EXPECT_EQ(m.size(), 1u);
    tx.reset();
  }

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK(tx->DeleteTicket(gone.id()));
  EXPECT_THAT(tx->DeleteTicket(gone.id()), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  EXPECT_THAT(tx->GetTicket(gone.id()), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> messages, tx->ListMessages(gone.id()));
  EXPECT_THAT(messages, IsEmpty());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                                tx->ListTicketEvents(gone.id(), 0, 0));
  EXPECT_THAT(events, IsEmpty());
  EXPECT_THAT(tx->FindThreadKey(absl::StrCat("email:<", gone.id(), "@x>")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->LookupTrackingToken(std::string(64, 'd')),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<int64_t> due,
                                tx->ListDueAutomations(sci::Minute(60), 100));
  EXPECT_THAT(due, ElementsAre(kept.id()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> entries,
                                tx->ListTimeEntries(gone.id()));
  EXPECT_THAT(entries, IsEmpty());
  // Queries no longer see it (its tag and CC rows went with it).
  TicketQuery by_tag;
  by_tag.tags = {"printer"};
  HELPDESK_ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(by_tag));
  ASSERT_EQ(page.tickets.size(), 1u);
  EXPECT_EQ(page.tickets[0].id(), kept.id());
  HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t count, tx->CountTickets(TicketQuery{}));
  EXPECT_EQ(count, 1);

  // The other ticket keeps everything.
  HELPDESK_ASSERT_OK_AND_ASSIGN(messages, tx->ListMessages(kept.id()));
  EXPECT_EQ(messages.size(), 1u);
  HELPDESK_ASSERT_OK_AND_ASSIGN(events, tx->ListTicketEvents(kept.id(), 0, 0));
  EXPECT_EQ(events.size(), 1u);
  HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t owner,
                                tx->FindThreadKey(absl::StrCat("email:<", kept.id(), "@x>")));
  EXPECT_EQ(owner, kept.id());
  HELPDESK_ASSERT_OK_AND_ASSIGN(entries, tx->ListTimeEntries(kept.id()));
  EXPECT_EQ(entries.size(), 1u);
}

TEST_P(StoreConformanceTest, OrphanAttachmentsAreThoseNoMessageReferences) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  for (char d : {'1', '2', '3', '4'}) {
    HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of(d), std::string(3, d)));
  }
  v1::Ticket t = sci::MakeTicket("files");
  HELPDESK_ASSERT_OK(tx->InsertTicket(&t));
  v1::Message m = sci::MakeMessage(t.id(), "see attached");
  *m.add_attachments() = AttachmentOf('2', "a.txt");
  HELPDESK_ASSERT_OK(tx->InsertMessage(&m));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<std::string> orphans,
                                tx->ListOrphanAttachments("", 100));
  EXPECT_THAT(orphans, ElementsAre(sci::Sha256Of('1'), sci::Sha256Of('3'), sci::Sha256Of('4')));
  // Pages: ascending, after the given address, at most `limit`.
  HELPDESK_ASSERT_OK_AND_ASSIGN(orphans, tx->ListOrphanAttachments(sci::Sha256Of('1'), 1));
  EXPECT_THAT(orphans, ElementsAre(sci::Sha256Of('3')));
  EXPECT_THAT(tx->ListOrphanAttachments("", 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->ListOrphanAttachments("", 10001),
              StatusIs(absl::StatusCode::kInvalidArgument));
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(bool had, tx->DeleteAttachmentContent(sci::Sha256Of('1')));
  EXPECT_TRUE(had);
  // Deleting the ticket orphans its message's attachment.
  HELPDESK_ASSERT_OK(tx->DeleteTicket(t.id()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(orphans, tx->ListOrphanAttachments("", 100));
  EXPECT_THAT(orphans, ElementsAre(sci::Sha256Of('2'), sci::Sha256Of('3'), sci::Sha256Of('4')));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadOnly());
  EXPECT_THAT(tx->GetAttachmentContent(sci::Sha256Of('1')),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::string content, tx->GetAttachmentContent(sci::Sha256Of('2')));
  EXPECT_EQ(content, "222");
  // Read-only transactions refuse the writes.
  EXPECT_THAT(tx->DeleteTicket(1), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(tx->DeleteAttachmentContent(sci::Sha256Of('2')),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(tx->RedactMessage(m), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace helpdesk::testing
