// Inbox::Ingest and the outbox, over every built-in store: idempotency,
// threading (message ids, every References entry, tokens, chat sessions,
// merges, closed tickets), contacts, blocked senders, automatic mail and
// bounces, acknowledgements, delivery with retries, and the mail-loop test.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/rules.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#include "internal/text_checks.h"
#include "desk_ingest_fixture.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::SizeIs;

using testing_ingest::DeskIngestTest;
using testing_ingest::FakeOutbound;
using testing_ingest::Mail;

// The SLA of the tests with rules: first reply in 4 hours, resolution in 48,
// paused while pending.
constexpr char kPausingSla[] = R"pb(
  policies {
    name: "standard"
    pause_statuses: [ "pending" ]
    targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 14400 } }
    targets { metric: SLA_METRIC_FULL_RESOLUTION target { seconds: 172800 } }
  }
)pb";

TEST_P(DeskIngestTest, NewMailOpensTicketAndAcknowledgesOnce) {
  v1::InboundMessage m = Mail("Ada@Example.com", "m1@example.com", "Printer jam",
                              "Tray 2 is stuck");
  m.add_cc()->set_email("grace@example.com");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(m));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_FALSE(r.duplicate);
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), r.ticket_id));
  EXPECT_EQ(t.subject(), "Printer jam");
  EXPECT_EQ(t.channel(), v1::CHANNEL_EMAIL);
  ASSERT_THAT(t.cc_contact_ids(), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(v1::Contact ada, desk_->people().FindContactByEmail(SystemActor(),
                                                                  "ada@example.com"));
  EXPECT_EQ(t.requester_id(), ada.id());
  EXPECT_EQ(r.contact_id, ada.id());
  std::vector<v1::Message> thread = Thread(t.id());
  ASSERT_THAT(thread, SizeIs(1));
  EXPECT_EQ(thread[0].external_id(), "m1@example.com");

  std::vector<v1::OutboxEntry> outbox = Outbox();
  ASSERT_THAT(outbox, SizeIs(1));
  const v1::OutboundMessage& ack = outbox[0].message();
  EXPECT_TRUE(ack.automatic());
  EXPECT_EQ(ack.to(0).email(), "ada@example.com");
  EXPECT_EQ(ack.threading().in_reply_to(), "m1@example.com");
  EXPECT_EQ(ack.threading().ticket_token(), t.id());
  EXPECT_THAT(ack.body_text(), HasSubstr(absl::StrCat("ticket #", t.id())));

  // The same message again: the first result, nothing new.
  ASSERT_OK_AND_ASSIGN(IngestResult again, desk_->inbox().Ingest(m));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.ticket_id, r.ticket_id);
  EXPECT_EQ(again.message_id, r.message_id);
  EXPECT_EQ(TicketCount(), 1);
  EXPECT_THAT(Outbox(), SizeIs(1));
  EXPECT_THAT(Thread(t.id()), SizeIs(1));
}

TEST_P(DeskIngestTest, RepliesThreadByEveryReferenceNotOnlyTheLast) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("ada@example.com", "root@example.com",
                                          "VPN", "drops")));
  // FreeScout #4020: In-Reply-To names a CRM's id we never saw; References
  // has ours further back.
  v1::InboundMessage reply = Mail("ada@example.com", "r1@example.com", "Re: VPN",
                                  "still drops");
  reply.mutable_threading()->set_in_reply_to("crm-4711@crm.example");
  reply.mutable_threading()->add_references("root@example.com");
  reply.mutable_threading()->add_references("crm-4711@crm.example");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(reply));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kAppended);
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  EXPECT_THAT(Thread(first.ticket_id), SizeIs(2));

  // A reply to our acknowledgement threads by its Message-ID.
  std::vector<v1::OutboxEntry> outbox = Outbox();
  ASSERT_FALSE(outbox.empty());
  v1::InboundMessage to_ack = Mail("ada@example.com", "r2@example.com",
                                   "Re: [#1] VPN", "thanks");
  to_ack.mutable_threading()->set_in_reply_to(
      outbox[0].message().threading().message_id());
  ASSERT_OK_AND_ASSIGN(r, desk_->inbox().Ingest(to_ack));
  EXPECT_EQ(r.ticket_id, first.ticket_id);
}

TEST_P(DeskIngestTest, HandTypedTokenJoinsOnlyForParticipants) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("ada@example.com", "a1@x", "Broken", "x")));
  v1::InboundMessage by_token = Mail("ada@example.com", "a2@x",
                                     absl::StrCat("About #", first.ticket_id), "more");
  by_token.mutable_threading()->set_ticket_token(first.ticket_id);
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(by_token));
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  // A stranger quoting the number does not get into Ada's ticket.
  v1::InboundMessage stranger = Mail("mallory@evil.example", "e1@x",
                                     absl::StrCat("[#", first.ticket_id, "]"), "hi");
  stranger.mutable_threading()->set_ticket_token(first.ticket_id);
  ASSERT_OK_AND_ASSIGN(r, desk_->inbox().Ingest(stranger));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_NE(r.ticket_id, first.ticket_id);
}

// osTicket #1426: a reply-all from a CC'd person must join the ticket.
TEST_P(DeskIngestTest, ReplyAllFromCcJoinsTheTicket) {
  v1::InboundMessage m = Mail("ada@example.com", "c1@x", "Outage", "down");
  m.add_cc()->set_email("grace@example.com");
  ASSERT_OK_AND_ASSIGN(IngestResult first, desk_->inbox().Ingest(m));
  v1::InboundMessage reply_all = Mail("grace@example.com", "c2@x", "Re: Outage",
                                      "same here");
  reply_all.mutable_threading()->set_in_reply_to("c1@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(reply_all));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kAppended);
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  // Someone the thread was forwarded to, never addressed by the desk or a
  // participant, does not join it (issue 13: thread hijack): they get a
  // ticket of their own, linked to this one.
  v1::InboundMessage colleague = Mail("linus@example.com", "c3@x", "Re: Outage", "+1");
  colleague.mutable_threading()->add_references("c1@x");
  ASSERT_OK_AND_ASSIGN(r, desk_->inbox().Ingest(colleague));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_NE(r.ticket_id, first.ticket_id);
  EXPECT_EQ(r.stranger_reply_to, first.ticket_id);
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), first.ticket_id));
  EXPECT_THAT(t.cc_contact_ids(), SizeIs(1));
  EXPECT_THAT(Thread(first.ticket_id), SizeIs(2));
}

TEST_P(DeskIngestTest, CustomerReplyReopensPendingTicket) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("ada@example.com", "p1@x", "Q", "?")));
  ASSERT_OK(desk_->tickets().Update(SystemActor(), first.ticket_id, {.status = "pending"})
                .status());
  v1::InboundMessage reply = Mail("ada@example.com", "p2@x", "Re: Q", "answer");
  reply.mutable_threading()->set_in_reply_to("p1@x");
  ASSERT_OK(desk_->inbox().Ingest(reply).status());
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), first.ticket_id));
  EXPECT_EQ(t.status(), "open");
}

TEST_P(DeskIngestTest, AutoReplyIsRecordedNeverAnsweredNeverReopens) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("ada@example.com", "v1@x", "Help", "x")));
  ASSERT_OK(desk_->tickets().Update(SystemActor(), first.ticket_id, {.status = "pending"})
                .status());
  size_t outbox_before = Outbox().size();
  v1::InboundMessage vacation = Mail("ada@example.com", "v2@x", "Out of office",
                                     "Back on Monday");
  vacation.set_auto_kind(v1::InboundMessage::AUTO_REPLY);
  vacation.mutable_threading()->set_in_reply_to("v1@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(vacation));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kRecordedAutomatic);
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), first.ticket_id));
  EXPECT_EQ(t.status(), "pending");
  std::vector<v1::Message> thread = Thread(first.ticket_id);
  EXPECT_EQ(thread.back().kind(), v1::Message::INTERNAL_NOTE);
  EXPECT_THAT(thread.back().body_text(), HasSubstr("Automatic reply"));
  EXPECT_EQ(Outbox().size(), outbox_before);
  // An automatic mail that threads nowhere opens nothing.
  v1::InboundMessage stray = Mail("robot@example.com", "v3@x", "Auto: received", "ok");
  stray.set_auto_kind(v1::InboundMessage::AUTO_REPLY);
  ASSERT_OK_AND_ASSIGN(r, desk_->inbox().Ingest(stray));
  EXPECT_EQ(r.ticket_id, 0);
  EXPECT_EQ(TicketCount(), 1);
}

TEST_P(DeskIngestTest, BounceMarksTheAddressAndStopsMailToIt) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("ada@example.com", "b1@x", "Hi", "x")));
  v1::InboundMessage dsn = Mail("MAILER-DAEMON@mx.example", "b2@x",
                                "Undelivered Mail Returned to Sender", "550 no such user");
  dsn.set_auto_kind(v1::InboundMessage::BOUNCE);
  dsn.add_bounced_recipients("Ada@Example.com");
  dsn.mutable_threading()->add_references(
      Outbox()[0].message().threading().message_id());
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(dsn));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kRecordedAutomatic);
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  ASSERT_OK_AND_ASSIGN(v1::Contact ada, desk_->people().FindContactByEmail(SystemActor(),
                                                                  "ada@example.com"));
  EXPECT_TRUE(ada.identities(0).bouncing());
  // A public reply now has nobody to go to: nothing is queued.
  size_t before = Outbox().size();
  ASSERT_OK(desk_->tickets().AddMessage(SystemActor(), first.ticket_id,
                              {.kind = v1::Message::PUBLIC_REPLY, .body_text = "Hello?"})
                .status());
  EXPECT_EQ(Outbox().size(), before);
}

TEST_P(DeskIngestTest, BlockedSenderIsRefusedAndOnlyTheRefusalIsKept) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("spam@example.com", "s1@x", "Buy", "now")));
  ASSERT_OK(desk_->people().SetContactBlocked(SystemActor(), first.contact_id, true).status());
  int64_t tickets = TicketCount();
  size_t outbox = Outbox().size();
  v1::InboundMessage m = Mail("spam@example.com", "s2@x", "Buy more", "now");
  EXPECT_THAT(desk_->inbox().Ingest(m),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("blocked")));
  EXPECT_THAT(desk_->inbox().Ingest(m),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("refused")));
  EXPECT_EQ(TicketCount(), tickets);
  EXPECT_EQ(Outbox().size(), outbox);
}

TEST_P(DeskIngestTest, ReplyToClosedTicketOpensLinkedFollowUp) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("ada@example.com", "f1@x", "Old", "x")));
  ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(SystemActor(),
                                                         {.name = "Bob"}));
  ASSERT_OK(desk_->tickets().Update(SystemActor(), first.ticket_id,
                                {.status = "solved", .assignee_id = bob.id()})
                .status());
  ASSERT_OK(desk_->tickets().Update(SystemActor(), first.ticket_id, {.status = "closed"})
                .status());
  v1::InboundMessage late = Mail("ada@example.com", "f2@x", "Re: Old", "again");
  late.mutable_threading()->set_in_reply_to("f1@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(late));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_EQ(r.follow_up_of, first.ticket_id);
  ASSERT_OK_AND_ASSIGN(v1::Ticket follow_up, desk_->tickets().Get(SystemActor(), r.ticket_id));
  ASSERT_THAT(follow_up.links(), SizeIs(1));
  EXPECT_EQ(follow_up.links(0).ticket_id(), first.ticket_id);
  // The next reply in that thread joins the follow-up, not the closed one.
  v1::InboundMessage next = Mail("ada@example.com", "f3@x", "Re: Old", "and again");
  next.mutable_threading()->set_in_reply_to("f2@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r2, desk_->inbox().Ingest(next));
  EXPECT_EQ(r2.ticket_id, r.ticket_id);
}

TEST_P(DeskIngestTest, MessageForMergedTicketGoesToTarget) {
  ASSERT_OK_AND_ASSIGN(IngestResult a, desk_->inbox().Ingest(Mail("ada@example.com", "g1@x",
                                                          "One", "x")));
  ASSERT_OK_AND_ASSIGN(IngestResult b, desk_->inbox().Ingest(Mail("ada@example.com", "g2@x",
                                                          "Two", "y")));
  ASSERT_OK(desk_->tickets().Merge(SystemActor(), a.ticket_id, b.ticket_id).status());
  v1::InboundMessage reply = Mail("ada@example.com", "g3@x", "Re: One", "z");
  reply.mutable_threading()->set_in_reply_to("g1@x");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(reply));
  EXPECT_EQ(r.ticket_id, b.ticket_id);
}

TEST_P(DeskIngestTest, ChatSessionIsOneTicket) {
  auto chat = [](absl::string_view id, absl::string_view text) {
    v1::InboundMessage m;
    m.set_channel(v1::CHANNEL_CHAT);
    m.set_external_id(std::string(id));
    m.mutable_from()->set_chat_handle("visitor-42");
    m.set_body_text(std::string(text));
    m.mutable_threading()->set_chat_session_id("session-9");
    return m;
  };
  ASSERT_OK_AND_ASSIGN(IngestResult a, desk_->inbox().Ingest(chat("1", "hi")));
  ASSERT_OK_AND_ASSIGN(IngestResult b, desk_->inbox().Ingest(chat("2", "anyone?")));
  EXPECT_EQ(a.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_EQ(b.ticket_id, a.ticket_id);
  EXPECT_THAT(Thread(a.ticket_id), SizeIs(2));
  EXPECT_TRUE(Outbox().empty());  // chats are not acknowledged by e-mail
}

// What the desk cannot take is never dropped: it is quarantined with the
// reason naming the field, and opens nothing.
TEST_P(DeskIngestTest, BadMessagesAreQuarantinedWithTheField) {
  auto quarantined = [&](const v1::InboundMessage& m, absl::string_view field) {
    absl::StatusOr<IngestResult> r = desk_->inbox().Ingest(m);
    ASSERT_OK(r.status());
    EXPECT_EQ(r->outcome, IngestResult::Outcome::kQuarantined) << field;
    EXPECT_GT(r->quarantine_id, 0);
    EXPECT_THAT(r->quarantine_reason, HasSubstr(field));
    ASSERT_OK_AND_ASSIGN(v1::QuarantineEntry e,
                         desk_->inbox().GetQuarantined(SystemActor(), r->quarantine_id));
    EXPECT_EQ(e.state(), v1::QuarantineEntry::HELD);
    EXPECT_EQ(e.reason(), r->quarantine_reason);
    EXPECT_EQ(e.reason_code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
    if (internal::FindInvalidUtf8(m.subject()) == absl::string_view::npos) {
      EXPECT_EQ(e.message().subject(), m.subject());
    } else {
      // Kept as a repaired copy (stored text must be UTF-8) and exactly.
      EXPECT_THAT(e.message().subject(), HasSubstr("\xEF\xBF\xBD"));
      EXPECT_THAT(e.raw(), HasSubstr(m.subject()));  // the wire bytes
    }
  };
  quarantined(Mail("", "", "x", "y"), "idempotency_key");
  v1::InboundMessage nobody = Mail("", "n1@x", "x", "y");
  nobody.set_channel(v1::CHANNEL_CHAT);
  quarantined(nobody, "from");
  quarantined(Mail("ada@example.com", "n2@x", "caf\xC3", "y"), "subject is not valid UTF-8");
  quarantined(Mail("not an address", "n3@x", "x", "y"), "from.email");
  EXPECT_EQ(TicketCount(), 0);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> held,
                       desk_->inbox().ListQuarantine(SystemActor(), v1::QuarantineEntry::HELD));
  EXPECT_THAT(held, SizeIs(4));
}

// Real mail can lack any sender address (a bare "mailer-daemon", a damaged
// header): it is kept, and nobody is ever written to about it.
TEST_P(DeskIngestTest, MailWithoutSenderIsKeptFromUnknownSender) {
  v1::InboundMessage m = Mail("", "u1@x", "Postcard", "no From at all");
  m.mutable_from()->set_name("mailer-daemon");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(m));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  ASSERT_OK_AND_ASSIGN(IngestResult r2, desk_->inbox().Ingest(Mail("", "u2@x", "Other", "z")));
  EXPECT_EQ(r2.contact_id, r.contact_id);  // one shared contact
  ASSERT_OK_AND_ASSIGN(v1::Contact c, desk_->people().GetContact(SystemActor(), r.contact_id));
  EXPECT_EQ(c.name(), "Unknown sender");
  EXPECT_TRUE(c.identities(0).bouncing());
  EXPECT_TRUE(Outbox().empty());  // no acknowledgement to nowhere
}

TEST_P(DeskIngestTest, OutboxRetriesWithBackoffThenDeadThenReplay) {
  ASSERT_OK(desk_->inbox().Ingest(Mail("ada@example.com", "o1@x", "Hi", "x")).status());
  FakeOutbound out;
  std::map<v1::Channel, OutboundAdapter*> adapters = {{v1::CHANNEL_EMAIL, &out}};
  out.failures = {absl::UnavailableError("421 try later"),
                  absl::UnavailableError("connection refused")};
  absl::Time t0 = clock_.Now();
  ASSERT_OK_AND_ASSIGN(DispatchReport r, desk_->outbox().Dispatch(adapters, t0));
  EXPECT_EQ(r.retried, 1);
  std::vector<v1::OutboxEntry> entries = Outbox();
  ASSERT_THAT(entries, SizeIs(1));
  EXPECT_EQ(entries[0].attempts(), 1);
  EXPECT_EQ(FromTimestamp(entries[0].next_attempt_at()), t0 + absl::Seconds(30));
  EXPECT_THAT(entries[0].last_error(), HasSubstr("421"));
  // Not due yet: nothing happens.
  ASSERT_OK_AND_ASSIGN(r, desk_->outbox().Dispatch(adapters, t0 + absl::Seconds(29)));
  EXPECT_EQ(r.delivered + r.retried + r.dead, 0);
  ASSERT_OK_AND_ASSIGN(r, desk_->outbox().Dispatch(adapters, t0 + absl::Seconds(30)));
  EXPECT_EQ(r.retried, 1);
  EXPECT_EQ(FromTimestamp(Outbox()[0].next_attempt_at()),
            t0 + absl::Seconds(30) + absl::Seconds(60));  // doubled
  ASSERT_OK_AND_ASSIGN(r, desk_->outbox().Dispatch(adapters, t0 + absl::Seconds(90)));
  EXPECT_EQ(r.delivered, 1);
  entries = Outbox();
  EXPECT_EQ(entries[0].state(), v1::OutboxEntry::DELIVERED);
  EXPECT_EQ(entries[0].provider_id(), "queued-1");
  ASSERT_THAT(out.sent, SizeIs(1));

  // A permanent failure goes straight to DEAD; replay makes it pending again.
  ASSERT_OK(desk_->inbox().Ingest(Mail("grace@example.com", "o2@x", "Hi", "x")).status());
  out.failures = {absl::FailedPreconditionError("550 mailbox unavailable")};
  ASSERT_OK_AND_ASSIGN(r, desk_->outbox().Dispatch(adapters, t0 + absl::Seconds(100)));
  EXPECT_EQ(r.dead, 1);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> dead,
                       desk_->outbox().List(SystemActor(), v1::OutboxEntry::DEAD));
  ASSERT_THAT(dead, SizeIs(1));
  EXPECT_THAT(desk_->outbox().Replay(SystemActor(), entries[0].id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("DELIVERED")));
  ASSERT_OK(desk_->outbox().Replay(SystemActor(), dead[0].id()).status());
  ASSERT_OK_AND_ASSIGN(r, desk_->outbox().Dispatch(adapters, clock_.Now()));
  EXPECT_EQ(r.delivered, 1);
  EXPECT_THAT(out.sent, SizeIs(2));
}

TEST_P(DeskIngestTest, OutboxGivesUpAfterMaxAttempts) {
  ASSERT_OK(desk_->inbox().Ingest(Mail("ada@example.com", "x1@x", "Hi", "x")).status());
  FakeOutbound out;
  std::map<v1::Channel, OutboundAdapter*> adapters = {{v1::CHANNEL_EMAIL, &out}};
  absl::Time t = clock_.Now();
  int attempts = 0;
  for (int i = 0; i < 20; ++i) {
    out.failures = {absl::UnavailableError("down")};
    ASSERT_OK_AND_ASSIGN(DispatchReport r, desk_->outbox().Dispatch(adapters, t));
    attempts += r.retried + r.dead;
    if (r.dead == 1) break;
    t += absl::Hours(2);
  }
  EXPECT_EQ(attempts, desk_->options().outbox.max_attempts);
  EXPECT_EQ(Outbox()[0].state(), v1::OutboxEntry::DEAD);
}

TEST_P(DeskIngestTest, PublicReplyOnEmailTicketIsMailedThreaded) {
  ASSERT_OK_AND_ASSIGN(IngestResult first,
                       desk_->inbox().Ingest(Mail("ada@example.com", "q1@x", "Q", "?")));
  ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(SystemActor(), {.name = "Bob"}));
  ASSERT_OK(desk_->tickets().AddMessage(AgentActor(bob.id()), first.ticket_id,
                              {.kind = v1::Message::INTERNAL_NOTE, .body_text = "hm"})
                .status());
  ASSERT_OK(desk_->tickets().AddMessage(AgentActor(bob.id()), first.ticket_id,
                              {.body_text = "Here is the answer"})
                .status());
  std::vector<v1::OutboxEntry> entries = Outbox();
  ASSERT_THAT(entries, SizeIs(2));  // the acknowledgement, then the reply
  const v1::OutboundMessage& reply = entries[1].message();
  EXPECT_FALSE(reply.automatic());
  EXPECT_EQ(reply.body_text(), "Here is the answer");
  EXPECT_EQ(reply.threading().in_reply_to(), "q1@x");
  EXPECT_EQ(reply.subject(), "Re: Q");
}

// Two desks, each acknowledging new mail, exchange one acknowledgement each
// and then stop: neither answers the other's automatic reply.
TEST_P(DeskIngestTest, TwoAcknowledgingDesksDoNotLoop) {
  std::unique_ptr<Store> store_b;
  std::unique_ptr<Desk> desk_b = MakeDesk(store_b, "support@other.example");
  // The "network": an outbound message of one desk becomes an inbound one of
  // the other, marked automatic when it was sent as automatic mail.
  struct Network : OutboundAdapter {
    absl::string_view Name() const override { return "test.network"; }
    absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& m) override {
      v1::InboundMessage in;
      in.set_channel(v1::CHANNEL_EMAIL);
      in.set_external_id(m.threading().message_id());
      *in.mutable_from() = m.from();
      for (const v1::Party& p : m.to()) *in.add_to() = p;
      in.set_subject(m.subject());
      in.set_body_text(m.body_text());
      *in.mutable_threading() = m.threading();
      in.mutable_threading()->set_ticket_token(0);  // the other desk's numbers
      in.set_auto_kind(m.automatic() ? v1::InboundMessage::AUTO_REPLY
                                     : v1::InboundMessage::HUMAN);
      absl::StatusOr<IngestResult> r = peer->inbox().Ingest(in);
      if (!r.ok()) return r.status();
      ++delivered;
      return DeliveryReceipt{.provider_id = "ok"};
    }
    Desk* peer = nullptr;
    int delivered = 0;
  };
  Network to_b, to_a;
  to_b.peer = desk_b.get();
  to_a.peer = desk_.get();
  // A person at each desk's customer writes to the other desk's address.
  v1::InboundMessage from_b = Mail("support@other.example", "human-1@other.example",
                                   "Question from B", "hello A");
  ASSERT_OK(desk_->inbox().Ingest(from_b).status());
  v1::InboundMessage from_a = Mail("help@desk.example", "human-2@desk.example",
                                   "Question from A", "hello B");
  ASSERT_OK(desk_b->inbox().Ingest(from_a).status());
  int rounds = 0;
  for (; rounds < 10; ++rounds) {
    ASSERT_OK_AND_ASSIGN(DispatchReport ra,
                         desk_->outbox().Dispatch({{v1::CHANNEL_EMAIL, &to_b}}, clock_.Now()));
    ASSERT_OK_AND_ASSIGN(DispatchReport rb,
                         desk_b->outbox().Dispatch({{v1::CHANNEL_EMAIL, &to_a}}, clock_.Now()));
    if (ra.delivered + rb.delivered + ra.retried + rb.retried == 0) break;
  }
  EXPECT_LT(rounds, 10);
  EXPECT_EQ(to_b.delivered, 1);  // A's acknowledgement, once
  EXPECT_EQ(to_a.delivered, 1);  // B's acknowledgement, once
  EXPECT_EQ(TicketCount(), 1);   // the acknowledgement opened nothing on A
}

// What a Maildir poll hands over: a mixed batch in one call, each message
// landing as Ingest would take it at its place in the sequence.
TEST_P(DeskIngestTest, IngestBatchTakesAMixedBatchAsIngestWouldOneByOne) {
  ASSERT_OK_AND_ASSIGN(IngestResult spam,
                       desk_->inbox().Ingest(Mail("spam@example.com", "s0@x", "Buy", "now")));
  ASSERT_OK(desk_->people().SetContactBlocked(SystemActor(), spam.contact_id, true).status());
  const size_t outbox_before = Outbox().size();

  std::vector<v1::InboundMessage> batch;
  batch.push_back(Mail("ada@example.com", "b0@x", "Printer jam", "Tray 2"));
  v1::InboundMessage reply = Mail("ada@example.com", "b1@x", "Re: Printer jam", "still");
  reply.mutable_threading()->set_in_reply_to("b0@x");
  batch.push_back(reply);
  batch.push_back(Mail("ada@example.com", "b0@x", "Printer jam", "Tray 2"));  // again
  batch.push_back(Mail("spam@example.com", "s1@x", "Buy more", "now"));
  v1::InboundMessage vacation = Mail("ada@example.com", "b4@x", "Out of office", "away");
  vacation.set_auto_kind(v1::InboundMessage::AUTO_REPLY);
  vacation.mutable_threading()->set_in_reply_to("b1@x");
  batch.push_back(vacation);
  batch.push_back(Mail("ada@example.com", "", "no id", "x"));  // no key at all
  batch.push_back(Mail("grace@example.com", "b6@x", "VPN", "drops"));

  ASSERT_OK_AND_ASSIGN(std::vector<absl::StatusOr<IngestResult>> results,
                       desk_->inbox().IngestBatch(batch));
  ASSERT_THAT(results, SizeIs(batch.size()));
  ASSERT_OK(results[0].status());
  EXPECT_EQ(results[0]->outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_FALSE(results[0]->duplicate);
  const int64_t ticket = results[0]->ticket_id;
  // The reply threads into the ticket opened earlier in the same batch.
  ASSERT_OK(results[1].status());
  EXPECT_EQ(results[1]->outcome, IngestResult::Outcome::kAppended);
  EXPECT_EQ(results[1]->ticket_id, ticket);
  // The same message twice in one batch: the second is a duplicate.
  ASSERT_OK(results[2].status());
  EXPECT_TRUE(results[2]->duplicate);
  EXPECT_EQ(results[2]->ticket_id, ticket);
  EXPECT_EQ(results[2]->message_id, results[0]->message_id);
  // The blocked sender is refused; the others still land.
  EXPECT_THAT(results[3], StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("blocked")));
  ASSERT_OK(results[4].status());
  EXPECT_EQ(results[4]->outcome, IngestResult::Outcome::kRecordedAutomatic);
  EXPECT_EQ(results[4]->ticket_id, ticket);
  ASSERT_OK(results[5].status());  // no key at all: held in the quarantine
  EXPECT_EQ(results[5]->outcome, IngestResult::Outcome::kQuarantined);
  EXPECT_THAT(results[5]->quarantine_reason, HasSubstr("idempotency_key"));
  ASSERT_OK(results[6].status());
  EXPECT_EQ(results[6]->outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_NE(results[6]->ticket_id, ticket);

  std::vector<v1::Message> thread = Thread(ticket);
  ASSERT_THAT(thread, SizeIs(3));
  EXPECT_EQ(thread[1].kind(), v1::Message::CUSTOMER_MESSAGE);
  EXPECT_EQ(thread[2].kind(), v1::Message::INTERNAL_NOTE);
  EXPECT_EQ(TicketCount(), 3);  // spam's first, Ada's, Grace's
  // One acknowledgement per new ticket from a person: none for the
  // duplicate, the refusal or the automatic reply.
  EXPECT_EQ(Outbox().size(), outbox_before + 2);

  // The whole batch again: every message as Ingest would answer a replay.
  ASSERT_OK_AND_ASSIGN(std::vector<absl::StatusOr<IngestResult>> again,
                       desk_->inbox().IngestBatch(batch));
  ASSERT_THAT(again, SizeIs(batch.size()));
  for (size_t i : std::vector<size_t>{0, 1, 2, 4, 5, 6}) {
    ASSERT_OK(again[i].status()) << i;
    EXPECT_TRUE(again[i]->duplicate) << i;
    EXPECT_EQ(again[i]->ticket_id, results[i]->ticket_id) << i;
    EXPECT_EQ(again[i]->message_id, results[i]->message_id) << i;
  }
  EXPECT_THAT(again[3], StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("refused")));
  EXPECT_EQ(again[5]->quarantine_id, results[5]->quarantine_id);
  EXPECT_EQ(TicketCount(), 3);
  EXPECT_EQ(Outbox().size(), outbox_before + 2);
  for (size_t i = 0; i < batch.size(); ++i) {
    absl::StatusOr<IngestResult> alone = desk_->inbox().Ingest(batch[i]);
    EXPECT_EQ(alone.status().code(), again[i].status().code()) << i;
  }
}

// Counts read-write transactions and fails InsertMessage for one external id
// (a store failure in the middle of a message's writes).
class BatchProbeStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx.status();
    if (options.mode == TransactionMode::kReadWrite) ++read_write_begins;
    if (options.durable) ++durable_begins;
    class Tx : public TransactionWrapper {
     public:
      Tx(std::unique_ptr<Transaction> base, const std::string* fail_external_id)
          : TransactionWrapper(std::move(base)), fail_external_id_(fail_external_id) {}
      absl::Status InsertMessage(v1::Message* message) override {
        if (!fail_external_id_->empty() && message->external_id() == *fail_external_id_) {
          return absl::UnavailableError("injected: disk busy");
        }
        return TransactionWrapper::InsertMessage(message);
      }

     private:
      const std::string* fail_external_id_;
    };
    return std::unique_ptr<Transaction>(new Tx(*std::move(tx), &fail_external_id));
  }
  int read_write_begins = 0;
  int durable_begins = 0;
  std::string fail_external_id;
};

TEST_P(DeskIngestTest, IngestBatchIsOneTransactionAndRollsBackOnlyTheFailedMessage) {
  BatchProbeStore probe(store_.get());
  DeskOptions options{.store = &probe, .clock = &clock_};
  options.ingest.acknowledge_new_tickets = true;
  options.ingest.desk_email = "help@desk.example";
  options.limits.max_batch = 3;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk, Desk::Open(std::move(options)));

  std::vector<v1::InboundMessage> batch;
  batch.push_back(Mail("ada@example.com", "k0@x", "One", "x"));
  batch.push_back(Mail("linus@example.com", "boom@x", "Two", "y"));  // a new sender
  v1::InboundMessage reply = Mail("ada@example.com", "k2@x", "Re: One", "z");
  reply.mutable_threading()->set_in_reply_to("k0@x");
  batch.push_back(reply);

  // Without failures: one transaction for the whole batch.
  std::vector<v1::InboundMessage> good = {batch[0], batch[2]};
  ASSERT_OK_AND_ASSIGN(std::vector<absl::StatusOr<IngestResult>> results,
                       desk->inbox().IngestBatch(good));
  EXPECT_EQ(probe.read_write_begins, 1);
  ASSERT_OK(results[0].status());
  ASSERT_OK(results[1].status());
  EXPECT_EQ(results[1]->ticket_id, results[0]->ticket_id);
  const int64_t ticket = results[0]->ticket_id;

  // Linus's message fails after his contact and ticket were written: only his
  // work is rolled back, the others land.
  batch[0] = Mail("ada@example.com", "k3@x", "Three", "x");
  batch[2].set_external_id("k4@x");
  batch[2].mutable_threading()->set_message_id("k4@x");
  probe.fail_external_id = "boom@x";
  ASSERT_OK_AND_ASSIGN(results, desk->inbox().IngestBatch(batch));
  ASSERT_THAT(results, SizeIs(3));
  ASSERT_OK(results[0].status());
  EXPECT_EQ(results[0]->outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected")));
  ASSERT_OK(results[2].status());
  EXPECT_EQ(results[2]->ticket_id, ticket);
  EXPECT_THAT(desk->people().FindContactByEmail(SystemActor(), "linus@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(TicketCount(), 2);
  EXPECT_THAT(Thread(ticket), SizeIs(3));

  // Retried once the store recovers, it lands.
  probe.fail_external_id.clear();
  ASSERT_OK_AND_ASSIGN(IngestResult retried, desk->inbox().Ingest(batch[1]));
  EXPECT_EQ(retried.outcome, IngestResult::Outcome::kCreatedTicket);
  EXPECT_FALSE(retried.duplicate);

  // Over the limit: refused as a whole; an empty batch does nothing.
  batch.push_back(batch[0]);
  EXPECT_THAT(desk->inbox().IngestBatch(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("over the limit of 3")));
  ASSERT_OK_AND_ASSIGN(results, desk->inbox().IngestBatch({}));
  EXPECT_TRUE(results.empty());
}

// The acknowledgement of a new ticket threads on the ticket's e-mails
// without reading them back (Acknowledge knows the ticket's only message
// with an external id is the opening one): over random mail (with and
// without message ids, empty bodies, attachments past the per-message
// limit, replies, follow-ups of closed tickets) its References and
// In-Reply-To are what the ticket's stored thread gives.
TEST_P(DeskIngestTest, AcknowledgementThreadsOnTheStoredMessagesOfItsTicket) {
  desk_ = MakeDesk(store_, "help@desk.example", [](DeskOptions& o) {
    o.limits.max_attachments_per_message = 1;
  });
  std::mt19937 rng(14);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  std::vector<std::string> ids;  // message ids sent so far
  std::vector<absl::StatusOr<IngestResult>> results;
  std::vector<v1::InboundMessage> batch;
  for (int i = 0; i < 60; ++i) {
    const std::string id = pick(4) == 0 ? "" : absl::StrCat("m", i, "@x");
    v1::InboundMessage m = Mail(absl::StrCat("c", pick(8), "@example.com"), id,
                                absl::StrCat("Subject ", i), pick(5) == 0 ? "" : "Body");
    if (id.empty()) m.set_body_text(absl::StrCat("Body ", i));  // its key: the content
    for (int a = pick(4); a > 0; --a) {
      v1::InboundAttachment* file = m.add_attachments();
      file->set_file_name(absl::StrCat("f", a, ".txt"));
      file->set_media_type("text/plain");
      file->set_content(absl::StrCat("content ", i, " ", a));
    }
    if (!ids.empty() && pick(3) == 0) {
      m.mutable_threading()->set_in_reply_to(ids[pick(static_cast<int>(ids.size()))]);
    }
    if (!id.empty()) ids.push_back(id);
    batch.push_back(std::move(m));
    if (batch.size() == 7 || i == 59) {
      ASSERT_OK_AND_ASSIGN(std::vector<absl::StatusOr<IngestResult>> got,
                           desk_->inbox().IngestBatch(batch));
      for (auto& r : got) results.push_back(std::move(r));
      batch.clear();
      // Some tickets are closed, so that replies to them open follow-ups.
      for (const auto& r : results) {
        if (!r.ok() || r->outcome != IngestResult::Outcome::kCreatedTicket) continue;
        if (pick(4) != 0) continue;
        TicketUpdate close;
        close.status = "closed";
        (void)desk_->tickets().Update(SystemActor(), r->ticket_id, close);
      }
    }
  }
  int acknowledged = 0;
  for (const v1::OutboxEntry& e : Outbox()) {
    if (!e.message().automatic()) continue;
    ++acknowledged;
    SCOPED_TRACE(absl::StrCat("ticket ", e.message().ticket_id()));
    // The thread when the acknowledgement was written: up to the opening
    // message (those carrying its overflow attachments have no external id;
    // replies that came later have higher ids).
    std::vector<std::string> expected;
    for (const v1::Message& earlier : Thread(e.message().ticket_id())) {
      if (earlier.id() > e.message().message_id()) continue;
      if (earlier.external_id().empty() || earlier.channel() != v1::CHANNEL_EMAIL) continue;
      expected.push_back(earlier.external_id());
    }
    EXPECT_THAT(e.message().threading().references(), ElementsAreArray(expected));
    EXPECT_EQ(e.message().threading().in_reply_to(), expected.empty() ? "" : expected.back());
  }
  EXPECT_GT(acknowledged, 20);
}

// With rules and SLAs, the SLA recompute after the rules' changes to a
// ticket the batch created reads the ticket's log as the transaction kept
// it (EventTracker::NewTicketEvents), not from the store; a debug build
// (the tests') checks it against the store's and fails the command when
// they differ. Over random batches every ticket's stored deadline is the
// engine's evaluation of its stored log.
TEST_P(DeskIngestTest, SlaAfterRulesOnNewTicketsIsTheStoredLogsEvaluation) {
  ASSERT_OK_AND_ASSIGN(RuleSet rules, RuleSet::FromText(R"pb(
    rules {
      name: "urgent"
      on { kind: TICKET_CREATED }
      all { field: "subject" op: "contains" value: "urgent" }
      actions { set_priority: "high" }
      actions { add_tags { tags: [ "hot" ] } }
    }
    rules {
      name: "waiting"
      on { kind: TICKET_CREATED }
      all { field: "message.text" op: "contains" value: "later" }
      actions { set_status: "pending" }
    }
    rules {
      name: "noted"
      on { kind: FIELD_CHANGED field: TAGS }
      all { field: "tags" op: "contains" value: "hot" }
      actions { add_internal_note: "Hot." }
    }
  )pb", Workflow::Default(), {}));
  ASSERT_OK_AND_ASSIGN(SlaEngine sla, SlaEngine::FromText(kPausingSla, Workflow::Default()));
  desk_ = MakeDesk(store_, "help@desk.example", [&](DeskOptions& o) {
    o.rules = std::make_shared<const RuleSet>(rules);
    o.sla = sla;
  });
  ASSERT_NE(desk_, nullptr);
  std::mt19937 rng(7);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  std::vector<int64_t> tickets;
  for (int round = 0; round < 6; ++round) {
    std::vector<v1::InboundMessage> batch;
    for (int i = 0; i < 8; ++i) {
      const int n = round * 8 + i;
      batch.push_back(Mail(absl::StrCat("s", pick(6), "@example.com"), absl::StrCat("r", n, "@x"),
                           pick(2) == 0 ? absl::StrCat("urgent ", n) : absl::StrCat("Hello ", n),
                           pick(3) == 0 ? "see you later" : "text"));
      if (n > 0 && pick(4) == 0) {
        batch.back().mutable_threading()->set_in_reply_to(absl::StrCat("r", pick(n), "@x"));
      }
    }
    ASSERT_OK_AND_ASSIGN(std::vector<absl::StatusOr<IngestResult>> results,
                         desk_->inbox().IngestBatch(batch));
    for (const auto& r : results) {
      ASSERT_OK(r.status());
      tickets.push_back(r->ticket_id);
    }
    clock_.Advance(absl::Minutes(7));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin(TransactionMode::kReadOnly));
  int with_deadline = 0;
  for (int64_t id : tickets) {
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, tx->GetTicket(id));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> log, tx->ListTicketEvents(id, 0, 0));
    ASSERT_FALSE(log.empty());
    ASSERT_OK_AND_ASSIGN(SlaStatus status,
                         sla.Evaluate(t, log, FromTimestamp(log.back().time())));
    std::optional<absl::Time> stored;
    if (t.has_sla_next_deadline()) stored = FromTimestamp(t.sla_next_deadline());
    EXPECT_EQ(stored, status.next_deadline) << "ticket " << id;
    if (stored) ++with_deadline;
  }
  EXPECT_GT(with_deadline, 10);
}

// A command reads back the tickets, contacts and messages it wrote from what
// its transaction kept (EventTracker), not from the store: the rules'
// snapshot of a ticket the batch created, its requester and its message, and
// every later read of a ticket, contact or message written earlier in the
// batch (a reply joining it, a bounce marking its requester, the rules'
// changes, and a note read after the SLA deadline moved). A debug build (the tests') reads the
// store too and fails the command with Internal when the kept copy differs;
// so over random batches with rules and SLAs, every message must be taken
// and the rules' work be there.
TEST_P(DeskIngestTest, ReadsOfWhatTheBatchWroteAreWhatTheStoreHolds) {
  ASSERT_OK_AND_ASSIGN(RuleSet rules, RuleSet::FromText(R"pb(
    rules {
      name: "vip"
      on { kind: TICKET_CREATED }
      all { field: "contact.email" op: "matches" value: "@vip\\.example$" }
      actions { add_tags { tags: [ "vip" ] } }
      actions { add_internal_note: "VIP." }
    }
    rules {
      name: "billing"
      on { kind: TICKET_CREATED }
      all { field: "message.text" op: "contains" value: "refund" }
      actions { add_tags { tags: [ "billing" ] } }
    }
    rules {
      name: "route"
      on { kind: FIELD_CHANGED field: TAGS }
      all { field: "tags" op: "contains" value: "billing" }
      all { field: "group" op: "is_not_set" }
      actions { set_group: 1 }
    }
    rules {
      name: "waiting"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "message.text" op: "contains" value: "later" }
      actions { set_status: "pending" }
    }
    rules {
      name: "parked"
      on { kind: TICKET_CREATED }
      all { field: "message.text" op: "contains" value: "later" }
      actions { set_status: "pending" }
      actions { add_internal_note: "Parked: the SLA pauses." }
    }
    rules {
      name: "chased"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "contact.email" op: "matches" value: "@vip\\.example$" }
      actions { set_priority: "high" }
    }
  )pb", Workflow::Default(), {}));
  ASSERT_OK_AND_ASSIGN(SlaEngine sla, SlaEngine::FromText(kPausingSla, Workflow::Default()));
  desk_ = MakeDesk(store_, "help@desk.example", [&](DeskOptions& o) {
    o.rules = std::make_shared<const RuleSet>(rules);
    o.sla = sla;
  });
  ASSERT_NE(desk_, nullptr);
  ASSERT_OK(desk_->people().CreateGroup(SystemActor(), "finance").status());
  std::mt19937 rng(11);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  std::vector<std::string> senders;  // of each message so far, by its number
  int created = 0, appended = 0, bounces = 0;
  for (int round = 0; round < 5; ++round) {
    std::vector<v1::InboundMessage> batch;
    for (int i = 0; i < 10; ++i) {
      const int n = round * 10 + i;
      if (n > 0 && pick(6) == 0) {
        // A bounce for an earlier sender (maybe of this batch): their
        // contact is updated, and their next message reads it back.
        v1::InboundMessage dsn = Mail("mailer-daemon@mx.example", absl::StrCat("b", n, "@x"),
                                      "Undeliverable", "failed");
        dsn.set_auto_kind(v1::InboundMessage::BOUNCE);
        dsn.add_bounced_recipients(senders[pick(n)]);
        batch.push_back(std::move(dsn));
        senders.push_back("mailer-daemon@mx.example");
        continue;
      }
      const std::string from = absl::StrCat("s", pick(8), pick(3) == 0 ? "@vip.example" : "@x.example");
      v1::InboundMessage m =
          Mail(from, absl::StrCat("r", n, "@x"), absl::StrCat("Subject ", n),
               pick(3) == 0 ? "please refund me" : pick(2) == 0 ? "see you later" : "text");
      if (n > 0 && pick(3) == 0) {
        // A reply to an earlier message of its sender, often of this batch.
        const int earlier = pick(n);
        if (senders[earlier] != "mailer-daemon@mx.example") {
          m.mutable_from()->set_email(senders[earlier]);
          m.mutable_threading()->set_in_reply_to(absl::StrCat("r", earlier, "@x"));
        }
      }
      senders.push_back(m.from().email());
      batch.push_back(std::move(m));
    }
    ASSERT_OK_AND_ASSIGN(std::vector<absl::StatusOr<IngestResult>> results,
                         desk_->inbox().IngestBatch(batch));
    for (size_t i = 0; i < results.size(); ++i) {
      ASSERT_OK(results[i].status()) << "round " << round << " message " << i;
      switch (results[i]->outcome) {
        case IngestResult::Outcome::kCreatedTicket:
          ++created;
          break;
        case IngestResult::Outcome::kAppended:
          ++appended;
          break;
        default:
          ++bounces;
      }
    }
    clock_.Advance(absl::Minutes(5));
  }
  EXPECT_GT(created, 20);
  EXPECT_GT(appended, 5);
  EXPECT_GT(bounces, 2);
  // The rules' work is there: every VIP ticket tagged and noted, every
  // billing ticket routed.
  ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin(TransactionMode::kReadOnly));
  int vip = 0, billing = 0;
  for (int64_t id = 1;; ++id) {
    absl::StatusOr<v1::Ticket> t = tx->GetTicket(id);
    if (absl::IsNotFound(t.status())) break;
    ASSERT_OK(t.status());
    const auto& tags = t->tags();
    if (std::count(tags.begin(), tags.end(), "billing") > 0) {
      ++billing;
      EXPECT_EQ(t->group_id(), 1) << "ticket " << id;
    }
    if (std::count(tags.begin(), tags.end(), "vip") > 0) {
      ++vip;
      ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> thread, tx->ListMessages(id));
      int notes = 0;
      for (const v1::Message& m : thread) notes += m.kind() == v1::Message::INTERNAL_NOTE;
      EXPECT_GE(notes, 1) << "ticket " << id;
    }
  }
  EXPECT_GT(vip, 3);
  EXPECT_GT(billing, 3);
}

// Ingest and IngestBatch commit durably, since their caller acknowledges the
// message to its source (Maildir, IMAP) as soon as they return; other
// commands do not pay for it, and durable_commits = false turns it off.
TEST_P(DeskIngestTest, IngestCommitsAreDurableUnlessTurnedOff) {
  for (bool durable : {true, false}) {
    SCOPED_TRACE(durable ? "durable_commits" : "not durable_commits");
    BatchProbeStore probe(store_.get());
    DeskOptions options{.store = &probe, .clock = &clock_};
    options.ingest.durable_commits = durable;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk, Desk::Open(std::move(options)));
    probe.durable_begins = 0;
    const std::string tag = durable ? "d" : "n";
    ASSERT_OK(desk->inbox().Ingest(Mail("ada@example.com", tag + "1@x", "One", "x")).status());
    EXPECT_EQ(probe.durable_begins, durable ? 1 : 0);
    std::vector<v1::InboundMessage> batch = {
        Mail("ada@example.com", tag + "2@x", "Two", "y"),
        Mail("linus@example.com", tag + "3@x", "Three", "z")};
    ASSERT_OK(desk->inbox().IngestBatch(batch).status());
    EXPECT_EQ(probe.durable_begins, durable ? 2 : 0);
    ASSERT_OK(desk->people().CreateContact(SystemActor(), {.name = "Grace",
                                                  .emails = {tag + "grace@example.com"}})
                  .status());
    EXPECT_EQ(probe.durable_begins, durable ? 2 : 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskIngestTest, ::testing::Bool(),
                         testing_ingest::ParamName);

}  // namespace
}  // namespace helpdesk
