// Nothing accepted is lost, nobody joins what is not theirs (issue 13), over
// every built-in store: oversized mail is shortened and kept whole, what
// cannot be taken is quarantined (listed, retried, discarded), replies to a
// closed ticket kept as notes, quoted local parts, and the thread-hijack
// rules (reply-all works, a stranger with a Message-ID never joins).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/text_checks.h"
#include "desk_ingest_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/desk.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using testing_ingest::DeskIngestTest;
using testing_ingest::FakeOutbound;
using testing_ingest::Mail;

class DeskIngestSafetyTest : public DeskIngestTest {
 protected:
  // A second desk on the same store with other options (limits, policies).
  std::unique_ptr<Desk> DeskWith(const std::function<void(DeskOptions&)>& adjust) {
    DeskOptions options{.store = store_.get(), .clock = &clock_};
    options.ingest.acknowledge_new_tickets = true;
    options.ingest.desk_email = "help@desk.example";
    adjust(options);
    auto desk = Desk::Open(std::move(options));
    EXPECT_OK(desk.status());
    return desk.ok() ? *std::move(desk) : nullptr;
  }

  // Every attachment's content on the ticket, in message order.
  std::vector<std::string> AttachmentContents(Desk& desk, int64_t ticket_id) {
    std::vector<std::string> out;
    auto view = desk.tickets().View(SystemActor(), ticket_id);
    EXPECT_OK(view.status());
    if (!view.ok()) return out;
    for (const v1::Message& m : view->messages) {
      for (const v1::Attachment& a : m.attachments()) {
        auto bytes = desk.tickets().AttachmentContent(SystemActor(), m.id(), a.sha256());
        EXPECT_OK(bytes.status());
        out.push_back(bytes.ok() ? *bytes : "");
      }
    }
    return out;
  }

  // A ticket Ada opened, answered publicly by agent Bob (so the desk mailed
  // her). Returns the ticket id; bob_ is set.
  int64_t AnsweredTicket(absl::string_view message_id) {
    auto first = desk_->inbox().Ingest(Mail("ada@example.com", message_id, "Invoice", "wrong total"));
    EXPECT_OK(first.status());
    auto bob = desk_->people().CreateAgent(SystemActor(), {.name = "Bob", .email = "bob@desk.example"});
    EXPECT_OK(bob.status());
    bob_ = bob.ok() ? bob->id() : 0;
    EXPECT_OK(desk_->tickets().AddMessage(AgentActor(bob_), first->ticket_id,
                                {.kind = v1::Message::PUBLIC_REPLY,
                                 .body_text = "Your account 4711 shows 120 EUR."})
                  .status());
    return first.ok() ? first->ticket_id : 0;
  }

  // The Message-ID of the desk's latest mail about `ticket_id`.
  std::string LastSentMessageId(int64_t ticket_id) {
    std::string id;
    for (const v1::OutboxEntry& e : Outbox()) {
      if (e.message().ticket_id() == ticket_id) id = e.message().threading().message_id();
    }
    return id;
  }

  int64_t bob_ = 0;
};

// --- Shortened, never refused ---------------------------------------------------

TEST_P(DeskIngestSafetyTest, LongSubjectIsShortenedAndKeptWhole) {
  std::string subject;
  while (subject.size() < 5000) subject += "Caf\xC3\xA9 \xE2\x82\xAC ";  // é, €
  ASSERT_OK_AND_ASSIGN(IngestResult r,
                       desk_->inbox().Ingest(Mail("ada@example.com", "s1@x", subject, "body")));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  ASSERT_THAT(r.degraded, SizeIs(1));
  EXPECT_THAT(r.degraded[0], HasSubstr("subject"));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), r.ticket_id));
  EXPECT_LE(t.subject().size(), DeskLimits().max_subject_bytes);
  EXPECT_EQ(internal::FindInvalidUtf8(t.subject()), absl::string_view::npos);
  EXPECT_THAT(t.subject(), EndsWith("\xE2\x80\xA6"));
  EXPECT_EQ(subject.substr(0, t.subject().size() - 3), t.subject().substr(0, t.subject().size() - 3));
  EXPECT_THAT(AttachmentContents(*desk_, r.ticket_id), ElementsAre(subject));
}

TEST_P(DeskIngestSafetyTest, OversizedBodiesAreAttachedWholeAndCut) {
  auto desk = DeskWith([](DeskOptions& o) { o.limits.max_body_bytes = 2000; });
  std::string text;
  for (int i = 0; text.size() < 9000; ++i) text += absl::StrCat("line ", i, " \xC3\xBC\n");
  std::string html = absl::StrCat("<p>", std::string(3000, 'h'), "</p>");
  v1::InboundMessage m = Mail("ada@example.com", "b1@x", "Log", text);
  m.set_body_html(html);
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk->inbox().Ingest(m));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_THAT(r.degraded, SizeIs(2));
  std::vector<v1::Message> thread = Thread(r.ticket_id);
  ASSERT_THAT(thread, SizeIs(1));
  EXPECT_LE(thread[0].body_text().size(), 2000u);
  EXPECT_THAT(thread[0].body_text(), HasSubstr("attached whole as message.txt"));
  EXPECT_THAT(thread[0].body_text(), HasSubstr("message.html"));
  EXPECT_EQ(internal::FindInvalidUtf8(thread[0].body_text()), absl::string_view::npos);
  EXPECT_TRUE(thread[0].body_html().empty());
  EXPECT_THAT(AttachmentContents(*desk, r.ticket_id), ElementsAre(html, text));
  ASSERT_THAT(thread[0].attachments(), SizeIs(2));
  EXPECT_EQ(thread[0].attachments(0).file_name(), "message.html");
  EXPECT_EQ(thread[0].attachments(1).file_name(), "message.txt");
}

TEST_P(DeskIngestSafetyTest, AttachmentsBeyondTheLimitFollowInMoreMessages) {
  auto desk = DeskWith([](DeskOptions& o) { o.limits.max_attachments_per_message = 4; });
  v1::InboundMessage m = Mail("ada@example.com", "a1@x", "Photos", "all of them");
  std::vector<std::string> contents;
  for (int i = 0; i < 10; ++i) {
    v1::InboundAttachment* a = m.add_attachments();
    a->set_file_name(absl::StrCat("p", i, ".jpg"));
    a->set_media_type("image/jpeg");
    a->set_content(absl::StrCat("jpeg bytes ", i));
    contents.push_back(a->content());
  }
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk->inbox().Ingest(m));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  std::vector<v1::Message> thread = Thread(r.ticket_id);
  ASSERT_THAT(thread, SizeIs(3));
  EXPECT_THAT(thread[0].attachments(), SizeIs(4));
  EXPECT_THAT(thread[1].body_text(), HasSubstr("attachments 5 to 8 of 10"));
  EXPECT_THAT(thread[2].attachments(), SizeIs(2));
  for (const v1::Message& msg : thread) EXPECT_EQ(msg.kind(), v1::Message::CUSTOMER_MESSAGE);
  EXPECT_EQ(AttachmentContents(*desk, r.ticket_id), contents);
  // A reply with as many joins the ticket the same way.
  v1::InboundMessage reply = m;
  reply.set_external_id("a2@x");
  reply.mutable_threading()->set_message_id("a2@x");
  reply.mutable_threading()->set_in_reply_to("a1@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r2, desk->inbox().Ingest(reply));
  EXPECT_EQ(r2.outcome, IngestResult::Outcome::kAppended);
  EXPECT_THAT(Thread(r.ticket_id), SizeIs(6));
}

// "john smith"@example.com is a valid RFC 5322 address: the mail is taken.
TEST_P(DeskIngestSafetyTest, QuotedLocalPartSenderIsTaken) {
  ASSERT_OK_AND_ASSIGN(IngestResult r,
                       desk_->inbox().Ingest(Mail("\"John Smith\"@Example.com", "q1@x", "Hi", "x")));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  ASSERT_OK_AND_ASSIGN(v1::Contact c, desk_->people().GetContact(SystemActor(), r.contact_id));
  EXPECT_EQ(c.identities(0).value(), "\"john smith\"@example.com");
  // The same sender again is the same contact; the acknowledgement goes to
  // the quoted address.
  ASSERT_OK_AND_ASSIGN(IngestResult r2,
                       desk_->inbox().Ingest(Mail("\"john smith\"@example.com", "q2@x", "Again", "y")));
  EXPECT_EQ(r2.contact_id, r.contact_id);
  EXPECT_EQ(Outbox().back().message().to(0).email(), "\"john smith\"@example.com");
}

// --- Quarantine -------------------------------------------------------------------

TEST_P(DeskIngestSafetyTest, OversizedAttachmentIsQuarantinedThenReleasedByRetry) {
  auto strict = DeskWith([](DeskOptions& o) { o.limits.max_attachment_bytes = 100; });
  v1::InboundMessage m = Mail("ada@example.com", "h1@x", "Disk image", "see attached");
  v1::InboundAttachment* a = m.add_attachments();
  a->set_file_name("disk.img");
  a->set_content(std::string(500, 'x'));
  m.set_source("maildir:new/1700000000.h1");
  ASSERT_OK_AND_ASSIGN(IngestResult r, strict->inbox().Ingest(m));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kQuarantined);
  EXPECT_THAT(r.quarantine_reason, HasSubstr("attachments[0].content"));
  EXPECT_THAT(r.quarantine_reason, HasSubstr("disk.img"));
  EXPECT_EQ(TicketCount(), 0);
  // The same message again finds the same entry.
  ASSERT_OK_AND_ASSIGN(IngestResult again, strict->inbox().Ingest(m));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.quarantine_id, r.quarantine_id);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> held,
                       strict->inbox().ListQuarantine(SystemActor(), v1::QuarantineEntry::HELD));
  ASSERT_THAT(held, SizeIs(1));
  EXPECT_EQ(held[0].source(), "maildir:new/1700000000.h1");
  EXPECT_EQ(held[0].message().attachments(0).content(), std::string(500, 'x'));
  // Retrying under the same limit fails and says so on the entry.
  EXPECT_THAT(strict->inbox().RetryQuarantined(SystemActor(), r.quarantine_id),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("disk.img")));
  ASSERT_OK_AND_ASSIGN(v1::QuarantineEntry e,
                       strict->inbox().GetQuarantined(SystemActor(), r.quarantine_id));
  EXPECT_EQ(e.state(), v1::QuarantineEntry::HELD);
  EXPECT_EQ(e.retries(), 1);
  // With the default limit the retry releases it into a ticket.
  ASSERT_OK_AND_ASSIGN(IngestResult released,
                       desk_->inbox().RetryQuarantined(SystemActor(), r.quarantine_id));
  EXPECT_EQ(released.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_EQ(TicketCount(), 1);
  EXPECT_THAT(AttachmentContents(*desk_, released.ticket_id),
              ElementsAre(std::string(500, 'x')));
  ASSERT_OK_AND_ASSIGN(e, desk_->inbox().GetQuarantined(SystemActor(), r.quarantine_id));
  EXPECT_EQ(e.state(), v1::QuarantineEntry::RELEASED);
  EXPECT_EQ(e.ticket_id(), released.ticket_id);
  // A replay of the original now answers with the released ticket.
  ASSERT_OK_AND_ASSIGN(again, desk_->inbox().Ingest(m));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_EQ(again.ticket_id, released.ticket_id);
  // Released entries are neither retried nor discarded again.
  EXPECT_THAT(desk_->inbox().RetryQuarantined(SystemActor(), r.quarantine_id),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("RELEASED")));
  EXPECT_THAT(desk_->inbox().DiscardQuarantined(SystemActor(), r.quarantine_id),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(TicketCount(), 1);
}

TEST_P(DeskIngestSafetyTest, QuarantineIsForStaffAndDiscardKeepsTheRecord) {
  v1::InboundMessage nobody = Mail("", "d1@x", "x", "y");
  nobody.set_channel(v1::CHANNEL_CHAT);
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(nobody));
  ASSERT_EQ(r.outcome, IngestResult::Outcome::kQuarantined);
  ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                       desk_->people().CreateContact(SystemActor(), {.name = "Ada",
                                                            .emails = {"ada@example.com"}}));
  ASSERT_OK_AND_ASSIGN(v1::Agent light,
                       desk_->people().CreateAgent(SystemActor(), {.name = "Lee",
                                                          .email = "lee@desk.example",
                                                          .role = v1::Agent::LIGHT_AGENT}));
  ASSERT_OK_AND_ASSIGN(v1::Agent agent,
                       desk_->people().CreateAgent(SystemActor(), {.name = "Ann",
                                                          .email = "ann@desk.example"}));
  EXPECT_THAT(desk_->inbox().ListQuarantine(ContactActor(ada.id()), std::nullopt),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->inbox().GetQuarantined(ContactActor(ada.id()), r.quarantine_id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(desk_->inbox().ListQuarantine(AgentActor(light.id()), std::nullopt).status());
  EXPECT_THAT(desk_->inbox().DiscardQuarantined(AgentActor(light.id()), r.quarantine_id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->inbox().RetryQuarantined(AgentActor(light.id()), r.quarantine_id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->inbox().DiscardQuarantined(AgentActor(agent.id()), 999),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(v1::QuarantineEntry e,
                       desk_->inbox().DiscardQuarantined(AgentActor(agent.id()), r.quarantine_id,
                                                 "chat bot noise"));
  EXPECT_EQ(e.state(), v1::QuarantineEntry::DISCARDED);
  EXPECT_EQ(e.note(), "chat bot noise");
  EXPECT_EQ(e.resolved_by().id(), agent.id());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> held,
                       desk_->inbox().ListQuarantine(SystemActor(), v1::QuarantineEntry::HELD));
  EXPECT_THAT(held, IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> all,
                       desk_->inbox().ListQuarantine(SystemActor(), std::nullopt));
  EXPECT_THAT(all, SizeIs(1));
}

TEST_P(DeskIngestSafetyTest, RawBytesAreHeldOnceAndReleasedWithTheParser) {
  const std::string raw = "From: ada@example.com\r\nSubject: \xFF\xFE\r\n\r\nbody";
  ASSERT_OK_AND_ASSIGN(v1::QuarantineEntry e,
                       desk_->inbox().QuarantineRaw(v1::CHANNEL_EMAIL, "imap:INBOX/42", raw,
                                            "the adapter could not read it"));
  EXPECT_EQ(e.state(), v1::QuarantineEntry::HELD);
  EXPECT_EQ(e.raw(), raw);
  ASSERT_OK_AND_ASSIGN(v1::QuarantineEntry same,
                       desk_->inbox().QuarantineRaw(v1::CHANNEL_EMAIL, "imap:INBOX/42", raw,
                                            "the adapter could not read it"));
  EXPECT_EQ(same.id(), e.id());
  EXPECT_THAT(desk_->inbox().QuarantineRaw(v1::CHANNEL_EMAIL, "x", raw, " "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(desk_->inbox().RetryQuarantined(SystemActor(), e.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("raw bytes")));
  auto parse = [](absl::string_view bytes) -> absl::StatusOr<v1::InboundMessage> {
    v1::InboundMessage m = Mail("ada@example.com", "raw1@x", "Parsed at last",
                                std::string(bytes.substr(bytes.find("\r\n\r\n") + 4)));
    return m;
  };
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().RetryQuarantined(SystemActor(), e.id(), parse));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  ASSERT_OK_AND_ASSIGN(e, desk_->inbox().GetQuarantined(SystemActor(), e.id()));
  EXPECT_EQ(e.state(), v1::QuarantineEntry::RELEASED);
  // The parsed message's own key now answers with that ticket.
  ASSERT_OK_AND_ASSIGN(IngestResult replay, desk_->inbox().Ingest(*parse(raw)));
  EXPECT_TRUE(replay.duplicate);
  EXPECT_EQ(replay.ticket_id, r.ticket_id);
  EXPECT_EQ(TicketCount(), 1);
}

// The store failing is not the message's fault: nothing is quarantined, the
// source keeps the message and tries again.
TEST_P(DeskIngestSafetyTest, StoreFailuresAreReturnedNotQuarantined) {
  class FailingStore : public StoreWrapper {
   public:
    using StoreWrapper::StoreWrapper;
    absl::StatusOr<std::unique_ptr<Transaction>> Begin(
        const TransactionOptions& options) override {
      if (fail && options.mode == TransactionMode::kReadWrite) {
        return absl::UnavailableError("injected: database is locked");
      }
      return StoreWrapper::Begin(options);
    }
    bool fail = true;
  };
  FailingStore failing(store_.get());
  ASSERT_OK_AND_ASSIGN(auto desk, Desk::Open({.store = &failing, .clock = &clock_}));
  EXPECT_THAT(desk->inbox().Ingest(Mail("ada@example.com", "f1@x", "Hi", "x")),
              StatusIs(absl::StatusCode::kUnavailable));
  failing.fail = false;
  ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> all,
                       desk->inbox().ListQuarantine(SystemActor(), std::nullopt));
  EXPECT_THAT(all, IsEmpty());
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk->inbox().Ingest(Mail("ada@example.com", "f1@x", "Hi", "x")));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
}

// --- Closed tickets ----------------------------------------------------------------

// With kInternalNote, a customer's reply to a closed ticket was reported as
// appended (ticket 0) and stored nowhere. It is stored as an internal note.
TEST_P(DeskIngestSafetyTest, ReplyToClosedTicketAsInternalNoteIsStored) {
  auto desk = DeskWith([](DeskOptions& o) {
    o.ingest.closed_ticket_reply = IngestOptions::ClosedTicketReply::kInternalNote;
  });
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk->inbox().Ingest(Mail("ada@example.com", "c1@x", "Old", "x")));
  ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk->people().CreateAgent(SystemActor(), {.name = "Bob"}));
  ASSERT_OK(desk->tickets().Update(SystemActor(), first.ticket_id,
                               {.status = "solved", .assignee_id = bob.id()})
                .status());
  ASSERT_OK(desk->tickets().Update(SystemActor(), first.ticket_id, {.status = "closed"}).status());
  v1::InboundMessage late = Mail("ada@example.com", "c2@x", "Re: Old", "one more thing");
  late.mutable_threading()->set_in_reply_to("c1@x");
  v1::InboundAttachment* a = late.add_attachments();
  a->set_file_name("screenshot.png");
  a->set_content("png bytes");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk->inbox().Ingest(late));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kAppended);
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  EXPECT_GT(r.message_id, 0);
  std::vector<v1::Message> thread = Thread(first.ticket_id);
  ASSERT_THAT(thread, SizeIs(2));
  EXPECT_EQ(thread[1].kind(), v1::Message::INTERNAL_NOTE);
  EXPECT_THAT(thread[1].body_text(), HasSubstr("one more thing"));
  EXPECT_THAT(AttachmentContents(*desk, first.ticket_id), ElementsAre("png bytes"));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk->tickets().Get(SystemActor(), first.ticket_id));
  EXPECT_EQ(t.status(), "closed");
  EXPECT_EQ(TicketCount(), 1);
  // Customers still cannot write to a closed ticket themselves.
  EXPECT_THAT(desk->tickets().AddMessage(ContactActor(first.contact_id), first.ticket_id,
                               {.kind = v1::Message::CUSTOMER_MESSAGE, .body_text = "hi"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
}

// --- Thread hijack ---------------------------------------------------------------

// Anyone who knows a Message-ID of the desk's mail used to be added as a CC,
// read the thread and receive the agents' replies. A stranger now gets a
// ticket of their own, linked to the one they replied to.
TEST_P(DeskIngestSafetyTest, StrangerWithAMessageIdNeverJoins) {
  const int64_t ticket = AnsweredTicket("h1@x");
  const std::string sent = LastSentMessageId(ticket);
  ASSERT_FALSE(sent.empty());
  v1::InboundMessage mallory = Mail("mallory@evil.example", "h2@x", "Re: Invoice",
                                    "please resend everything to me");
  mallory.mutable_threading()->set_in_reply_to(sent);
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(mallory));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_NE(r.ticket_id, ticket);
  EXPECT_EQ(r.stranger_reply_to, ticket);
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), ticket));
  EXPECT_THAT(t.cc_contact_ids(), IsEmpty());
  EXPECT_THAT(Thread(ticket), SizeIs(2));
  ASSERT_OK_AND_ASSIGN(v1::Ticket theirs, desk_->tickets().Get(SystemActor(), r.ticket_id));
  ASSERT_THAT(theirs.links(), SizeIs(1));
  EXPECT_EQ(theirs.links(0).ticket_id(), ticket);
  // Mallory cannot read Ada's ticket, and the next reply goes to Ada alone.
  EXPECT_THAT(desk_->tickets().View(ContactActor(r.contact_id), ticket),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(desk_->tickets().AddMessage(AgentActor(bob_), ticket,
                              {.kind = v1::Message::PUBLIC_REPLY, .body_text = "Fixed."})
                .status());
  const v1::OutboundMessage reply = Outbox().back().message();
  ASSERT_EQ(reply.ticket_id(), ticket);
  EXPECT_THAT(reply.to(), SizeIs(1));
  EXPECT_EQ(reply.to(0).email(), "ada@example.com");
  EXPECT_THAT(reply.cc(), IsEmpty());
  // Replying to Mallory's own message threads into Mallory's ticket.
  v1::InboundMessage again = Mail("mallory@evil.example", "h3@x", "Re: Invoice", "hello?");
  again.mutable_threading()->set_in_reply_to("h2@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r2, desk_->inbox().Ingest(again));
  EXPECT_EQ(r2.ticket_id, r.ticket_id);
}

TEST_P(DeskIngestSafetyTest, StrangerAsInternalNoteByOption) {
  auto desk = DeskWith([](DeskOptions& o) {
    o.ingest.stranger_reply = IngestOptions::StrangerReply::kInternalNote;
  });
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk->inbox().Ingest(Mail("ada@example.com", "n1@x", "Invoice", "x")));
  v1::InboundMessage mallory = Mail("mallory@evil.example", "n2@x", "Re: Invoice", "me too");
  mallory.mutable_threading()->set_in_reply_to("n1@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk->inbox().Ingest(mallory));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kAppended);
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  EXPECT_EQ(r.stranger_reply_to, first.ticket_id);
  std::vector<v1::Message> thread = Thread(first.ticket_id);
  ASSERT_THAT(thread, SizeIs(2));
  EXPECT_EQ(thread[1].kind(), v1::Message::INTERNAL_NOTE);
  EXPECT_THAT(thread[1].body_text(), HasSubstr("not on this ticket"));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk->tickets().Get(SystemActor(), first.ticket_id));
  EXPECT_THAT(t.cc_contact_ids(), IsEmpty());
  EXPECT_EQ(TicketCount(), 1);
  // A reply to the stranger's message does not thread there either.
  v1::InboundMessage next = Mail("mallory@evil.example", "n3@x", "Re: Invoice", "hello?");
  next.mutable_threading()->set_in_reply_to("n2@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r2, desk->inbox().Ingest(next));
  EXPECT_EQ(r2.outcome, IngestResult::Outcome::kCreatedTicket);
}

// Reply-all keeps working: people the customer addressed (To or Cc), and
// people the desk wrote to, may join; so may agents.
TEST_P(DeskIngestSafetyTest, ReplyAllFromAddressedPeopleJoins) {
  v1::InboundMessage m = Mail("ada@example.com", "r1@x", "Outage", "down");
  m.add_to()->set_email("Linus@Example.com");  // To beside the desk: not a CC
  ASSERT_OK_AND_ASSIGN(IngestResult first, desk_->inbox().Ingest(m));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), first.ticket_id));
  EXPECT_THAT(t.cc_contact_ids(), IsEmpty());
  v1::InboundMessage linus = Mail("linus@example.com", "r2@x", "Re: Outage", "here too");
  linus.mutable_threading()->set_in_reply_to("r1@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(linus));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kAppended);
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  EXPECT_EQ(r.stranger_reply_to, 0);
  // A CC the desk wrote to who was removed later may still answer that mail.
  ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(SystemActor(), {.name = "Bob",
                                                                         .email = "bob@desk.example"}));
  ASSERT_OK(desk_->tickets().AddMessage(AgentActor(bob.id()), first.ticket_id,
                              {.kind = v1::Message::PUBLIC_REPLY, .body_text = "On it"})
                .status());
  const std::string sent = LastSentMessageId(first.ticket_id);
  ASSERT_OK_AND_ASSIGN(t, desk_->tickets().Get(SystemActor(), first.ticket_id));
  ASSERT_THAT(t.cc_contact_ids(), SizeIs(1));
  ASSERT_OK(desk_->tickets().Update(SystemActor(), first.ticket_id,
                                {.remove_cc_contact_ids = {t.cc_contact_ids(0)}})
                .status());
  v1::InboundMessage late = Mail("linus@example.com", "r3@x", "Re: Outage", "thanks");
  late.mutable_threading()->set_in_reply_to(sent);
  ASSERT_OK_AND_ASSIGN(r, desk_->inbox().Ingest(late));
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  // An agent answering by e-mail joins too.
  v1::InboundMessage from_bob = Mail("bob@desk.example", "r4@x", "Re: Outage", "fixed");
  from_bob.mutable_threading()->set_in_reply_to("r1@x");
  ASSERT_OK_AND_ASSIGN(r, desk_->inbox().Ingest(from_bob));
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  EXPECT_EQ(TicketCount(), 1);
}

// --- CreateTicket by address ---------------------------------------------------

TEST_P(DeskIngestSafetyTest, CreateTicketByAddressIsAtomic) {
  EXPECT_THAT(desk_->tickets().Create(SystemActor(), {.subject = " ",
                                                 .requester_email = "new@example.com",
                                                 .cc_emails = {"cc@example.com"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subject")));
  EXPECT_THAT(desk_->people().FindContactByEmail(SystemActor(), "new@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->people().FindContactByEmail(SystemActor(), "cc@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->tickets().Create(SystemActor(), {.subject = "Hi",
                                                 .requester_email = "not an address"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("requester_email")));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(SystemActor(), {.subject = "Hi",
                                                           .requester_email = "New@Example.com",
                                                           .requester_name = "Nova",
                                                           .cc_emails = {"cc@example.com"}}));
  ASSERT_OK_AND_ASSIGN(v1::Contact c, desk_->people().FindContactByEmail(SystemActor(), "new@example.com"));
  EXPECT_EQ(t.requester_id(), c.id());
  EXPECT_EQ(c.name(), "Nova");
  EXPECT_THAT(t.cc_contact_ids(), SizeIs(1));
  // An existing contact is reused.
  ASSERT_OK_AND_ASSIGN(v1::Ticket t2,
                       desk_->tickets().Create(SystemActor(), {.subject = "Again",
                                                           .requester_email = "new@example.com"}));
  EXPECT_EQ(t2.requester_id(), c.id());
  EXPECT_THAT(desk_->tickets().Create(ContactActor(c.id()), {.subject = "Mine",
                                                         .requester_email = "x@example.com"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskIngestSafetyTest, ::testing::Bool(),
                         testing_ingest::ParamName);

}  // namespace
}  // namespace helpdesk
