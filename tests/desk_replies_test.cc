// Replies on every channel: an agent's public reply on a chat, web-form or
// e-mail ticket becomes an outbox entry of that channel, addressed to the
// requester's conversation there, and Outbox::Dispatch hands it to the host's
// adapter of that channel; internal notes never go out.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/channels/web_form.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Records what each channel was asked to deliver.
class RecordingAdapter : public OutboundAdapter {
 public:
  absl::string_view Name() const override { return "test.recording"; }
  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& m) override {
    sent.push_back(m);
    return DeliveryReceipt{.provider_id = m.idempotency_key()};
  }
  std::vector<v1::OutboundMessage> sent;
};

class DeskRepliesTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(":memory:"));
    } else {
      store_ = NewMemoryStore();
    }
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    o.ingest.desk_email = "help@desk.example";
    o.ingest.desk_name = "Example Support";
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
    ASSERT_OK_AND_ASSIGN(v1::Agent bob,
                         desk_->people().CreateAgent(SystemActor(),
                                                     {.name = "Bob",
                                                      .email = "bob@desk.example"}));
    bob_ = AgentActor(bob.id());
  }

  int64_t IngestChat(absl::string_view session, absl::string_view message_id,
                     absl::string_view text) {
    std::string frame = absl::StrCat(R"({"sessionId": ")", session, R"(", "messageId": ")",
                                     message_id,
                                     R"(", "visitor": {"name": "Ada", "chatHandle": "visitor-42"},)",
                                     R"( "text": ")", text, R"("})");
    absl::StatusOr<v1::InboundMessage> m = NewChatInbound()->Parse(frame, clock_.Now());
    EXPECT_THAT(m, testing::IsOk());
    absl::StatusOr<IngestResult> r = desk_->inbox().Ingest(*m);
    EXPECT_THAT(r, testing::IsOk());
    return r.ok() ? r->ticket_id : 0;
  }

  int64_t IngestForm(absl::string_view id, absl::string_view email,
                     absl::string_view phone) {
    std::string form = absl::StrCat(R"({"submissionId": ")", id, R"(", "name": "Bo", )",
                                    R"("email": ")", email, R"(", "phone": ")", phone,
                                    R"(", "subject": "Refund", "message": "Order A-1"})");
    absl::StatusOr<v1::InboundMessage> m = NewWebFormInbound()->Parse(form, clock_.Now());
    EXPECT_THAT(m, testing::IsOk());
    absl::StatusOr<IngestResult> r = desk_->inbox().Ingest(*m);
    EXPECT_THAT(r, testing::IsOk());
    return r.ok() ? r->ticket_id : 0;
  }

  void Reply(int64_t ticket, absl::string_view text,
             v1::Message::Kind kind = v1::Message::PUBLIC_REPLY) {
    ASSERT_THAT(desk_->tickets().AddMessage(
                    bob_, ticket, {.kind = kind, .body_text = std::string(text)}),
                testing::IsOk());
  }

  DispatchReport Dispatch() {
    std::map<v1::Channel, OutboundAdapter*> adapters = {
        {v1::CHANNEL_CHAT, &chat_},
        {v1::CHANNEL_WEB_FORM, &form_},
        {v1::CHANNEL_EMAIL, &mail_}};
    absl::StatusOr<DispatchReport> r = desk_->outbox().Dispatch(adapters, clock_.Now(), 100);
    EXPECT_THAT(r, testing::IsOk());
    return r.ok() ? *r : DispatchReport{};
  }

  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  v1::Actor bob_;
  RecordingAdapter chat_, form_, mail_;
};

TEST_P(DeskRepliesTest, AChatReplyGoesToTheChatSessionThroughTheChatAdapter) {
  const int64_t ticket = IngestChat("s-9", "s-9/1", "hello");
  ASSERT_NE(ticket, 0);
  ASSERT_EQ(IngestChat("s-9", "s-9/2", "anyone?"), ticket);
  Reply(ticket, "Hi Ada, how can I help?");
  EXPECT_EQ(Dispatch().delivered, 1);
  ASSERT_THAT(chat_.sent, SizeIs(1));
  EXPECT_THAT(form_.sent, IsEmpty());
  EXPECT_THAT(mail_.sent, IsEmpty());
  const v1::OutboundMessage& m = chat_.sent[0];
  EXPECT_EQ(m.channel(), v1::CHANNEL_CHAT);
  EXPECT_EQ(m.ticket_id(), ticket);
  EXPECT_EQ(m.destination(), "s-9");
  EXPECT_EQ(m.threading().chat_session_id(), "s-9");
  EXPECT_EQ(m.threading().in_reply_to(), "s-9/2");
  ASSERT_THAT(m.to(), SizeIs(1));
  EXPECT_EQ(m.to(0).chat_handle(), "visitor-42");
  EXPECT_EQ(m.to(0).name(), "Ada");
  EXPECT_EQ(m.body_text(), "Hi Ada, how can I help?");
  EXPECT_FALSE(m.automatic());
  EXPECT_FALSE(m.idempotency_key().empty());
  // Delivered once: nothing left to dispatch.
  EXPECT_EQ(Dispatch().delivered, 0);
}

TEST_P(DeskRepliesTest, AWebFormReplyGoesToTheSubmittersAddressThroughTheFormAdapter) {
  const int64_t ticket = IngestForm("f-81", "Bo@Example.com", "+34 600 111 222");
  ASSERT_NE(ticket, 0);
  Reply(ticket, "Your refund is on its way.");
  EXPECT_EQ(Dispatch().delivered, 1);
  ASSERT_THAT(form_.sent, SizeIs(1));
  EXPECT_THAT(chat_.sent, IsEmpty());
  EXPECT_THAT(mail_.sent, IsEmpty());
  const v1::OutboundMessage& m = form_.sent[0];
  EXPECT_EQ(m.channel(), v1::CHANNEL_WEB_FORM);
  EXPECT_EQ(m.destination(), "bo@example.com");
  ASSERT_THAT(m.to(), SizeIs(1));
  EXPECT_EQ(m.to(0).email(), "bo@example.com");
  EXPECT_EQ(m.subject(), "Re: Refund");
  EXPECT_EQ(m.from().email(), "help@desk.example");
  EXPECT_EQ(m.threading().ticket_token(), ticket);
}

TEST_P(DeskRepliesTest, AWebFormWithOnlyAPhoneIsAnsweredOnThePhoneNumber) {
  const int64_t ticket = IngestForm("f-82", "", "+34 600 999 000");
  ASSERT_NE(ticket, 0);
  Reply(ticket, "We will call you.");
  Dispatch();
  ASSERT_THAT(form_.sent, SizeIs(1));
  EXPECT_EQ(form_.sent[0].destination(), "+34600999000");
}

TEST_P(DeskRepliesTest, InternalNotesNeverGoOut) {
  const int64_t chat = IngestChat("s-1", "s-1/1", "hello");
  const int64_t form = IngestForm("f-1", "bo@example.com", "");
  Reply(chat, "customer seems angry", v1::Message::INTERNAL_NOTE);
  Reply(form, "check the order first", v1::Message::INTERNAL_NOTE);
  EXPECT_EQ(Dispatch().delivered, 0);
  EXPECT_THAT(chat_.sent, IsEmpty());
  EXPECT_THAT(form_.sent, IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> all,
                       desk_->outbox().List(SystemActor(), std::nullopt, 0, 100));
  EXPECT_THAT(all, IsEmpty());
}

TEST_P(DeskRepliesTest, EachReplyIsItsOwnEntryWithItsOwnKey) {
  const int64_t ticket = IngestChat("s-2", "s-2/1", "hello");
  Reply(ticket, "one");
  Reply(ticket, "two");
  Dispatch();
  ASSERT_THAT(chat_.sent, SizeIs(2));
  EXPECT_NE(chat_.sent[0].idempotency_key(), chat_.sent[1].idempotency_key());
  EXPECT_EQ(chat_.sent[0].body_text(), "one");
  EXPECT_EQ(chat_.sent[1].body_text(), "two");
}

TEST_P(DeskRepliesTest, AChannelTheHostDoesNotListGetsNoEntry) {
  DeskOptions o{.store = store_.get(), .clock = &clock_};
  o.ingest.reply_channels = {};
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
  const int64_t ticket = IngestChat("s-3", "s-3/1", "hello");
  Reply(ticket, "hi");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> all,
                       desk_->outbox().List(SystemActor(), std::nullopt, 0, 100));
  EXPECT_THAT(all, IsEmpty());
}

TEST_P(DeskRepliesTest, ARetryableChatFailureIsRetriedWithTheSameKey) {
  const int64_t ticket = IngestChat("s-4", "s-4/1", "hello");
  Reply(ticket, "hi");
  class Flaky : public OutboundAdapter {
   public:
    absl::string_view Name() const override { return "test.flaky"; }
    absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& m) override {
      keys.push_back(m.idempotency_key());
      if (keys.size() == 1) return absl::UnavailableError("socket closed");
      return DeliveryReceipt{.provider_id = "ok"};
    }
    std::vector<std::string> keys;
  } flaky;
  std::map<v1::Channel, OutboundAdapter*> adapters = {{v1::CHANNEL_CHAT, &flaky}};
  ASSERT_OK_AND_ASSIGN(DispatchReport first,
                       desk_->outbox().Dispatch(adapters, clock_.Now(), 10));
  EXPECT_EQ(first.retried, 1);
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(DispatchReport second,
                       desk_->outbox().Dispatch(adapters, clock_.Now(), 10));
  EXPECT_EQ(second.delivered, 1);
  ASSERT_THAT(flaky.keys, SizeIs(2));
  EXPECT_EQ(flaky.keys[0], flaky.keys[1]);
}

TEST_P(DeskRepliesTest, EmailRepliesStillGoOutAsBefore) {
  v1::InboundMessage m;
  m.set_channel(v1::CHANNEL_EMAIL);
  m.set_external_id("m1@example.com");
  m.mutable_from()->set_email("ada@example.com");
  m.mutable_from()->set_name("Ada");
  m.add_to()->set_email("help@desk.example");
  m.set_subject("Printer");
  m.set_body_text("It jams.");
  m.mutable_threading()->set_message_id("m1@example.com");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(m));
  Reply(r.ticket_id, "Try this.");
  Dispatch();
  ASSERT_THAT(mail_.sent, SizeIs(1));
  EXPECT_EQ(mail_.sent[0].to(0).email(), "ada@example.com");
  EXPECT_EQ(mail_.sent[0].threading().in_reply_to(), "m1@example.com");
  EXPECT_THAT(mail_.sent[0].threading().references(), ElementsAre("m1@example.com"));
  EXPECT_EQ(mail_.sent[0].from().email(), "help@desk.example");
}

// --- Several desk addresses --------------------------------------------------

v1::InboundMessage MailTo(absl::string_view from, absl::string_view to,
                          absl::string_view id, absl::string_view subject) {
  v1::InboundMessage m;
  m.set_channel(v1::CHANNEL_EMAIL);
  m.set_external_id(std::string(id));
  m.mutable_from()->set_email(std::string(from));
  m.mutable_from()->set_name("Ada");
  m.add_to()->set_email(std::string(to));
  m.set_subject(std::string(subject));
  m.set_body_text("Hello.");
  m.mutable_threading()->set_message_id(std::string(id));
  return m;
}

class DeskAddressesTest : public DeskRepliesTest {
 protected:
  void SetUp() override {
    DeskRepliesTest::SetUp();
    ASSERT_OK_AND_ASSIGN(v1::Group billing,
                         desk_->people().CreateGroup(SystemActor(), "Billing"));
    billing_ = billing.id();
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    o.ingest.desk_email = "Support@Desk.Example";
    o.ingest.desk_name = "Example Support";
    o.ingest.acknowledge_new_tickets = true;
    o.ingest.brand_field = "brand";
    o.ingest.desk_addresses = {
        {.email = "billing@desk.example", .name = "Example Billing",
         .group_ids = {billing_}},
        {.email = "help@brand-a.example", .name = "Brand A", .brand = "BrandA"},
        {.email = "sales@desk.example"}};
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
  }

  std::vector<v1::OutboxEntry> Outbox() {
    absl::StatusOr<std::vector<v1::OutboxEntry>> all =
        desk_->outbox().List(SystemActor(), std::nullopt, 0, 100);
    EXPECT_THAT(all, testing::IsOk());
    return all.ok() ? *all : std::vector<v1::OutboxEntry>{};
  }

  int64_t billing_ = 0;
};

TEST_P(DeskAddressesTest, MailToAnAddressIsAnsweredFromIt) {
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(MailTo(
                                           "ada@example.com", "Sales@desk.example",
                                           "a1@example.com", "Quote")));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), r.ticket_id));
  EXPECT_EQ(t.desk_address(), "sales@desk.example");
  Reply(r.ticket_id, "Here is your quote.");
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(2));  // the acknowledgement and the reply
  for (const v1::OutboxEntry& e : out) {
    EXPECT_EQ(e.message().from().email(), "sales@desk.example");
    EXPECT_EQ(e.message().from().name(), "Example Support");  // no name of its own
    EXPECT_TRUE(absl::EndsWith(e.message().idempotency_key(), "@desk.example"));
  }
  EXPECT_TRUE(out[0].message().automatic());
  EXPECT_FALSE(out[1].message().automatic());
}

TEST_P(DeskAddressesTest, TheGroupsAddressWinsOverTheArrivalAddress) {
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(MailTo(
                                           "ada@example.com", "support@desk.example",
                                           "a2@example.com", "Invoice")));
  ASSERT_OK(desk_->tickets().Update(SystemActor(), r.ticket_id, {.group_id = billing_}));
  Reply(r.ticket_id, "Refunded.");
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_EQ(out[0].message().from().email(), "support@desk.example");  // the ack
  EXPECT_EQ(out[1].message().from().email(), "billing@desk.example");
  EXPECT_EQ(out[1].message().from().name(), "Example Billing");
}

TEST_P(DeskAddressesTest, ABrandsAddressAppliesWhenTheTicketCameToNoDeskAddress) {
  // Forwarded from elsewhere: no desk address among the recipients.
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(MailTo(
                                           "ada@example.com", "ada-alias@example.net",
                                           "a3@example.com", "Brand question")));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), r.ticket_id));
  EXPECT_EQ(t.desk_address(), "");
  v1::CustomFieldValue brand;
  brand.set_text("branda");
  ASSERT_OK(desk_->tickets().Update(SystemActor(), r.ticket_id,
                                    {.set_custom_fields = {{"brand", brand}}}));
  Reply(r.ticket_id, "Answer.");
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_EQ(out[0].message().from().email(), "support@desk.example");  // the default
  EXPECT_EQ(out[1].message().from().email(), "help@brand-a.example");
}

TEST_P(DeskAddressesTest, DeskAddressesAreNeverCopied) {
  v1::InboundMessage m =
      MailTo("ada@example.com", "support@desk.example", "a4@example.com", "CCs");
  m.add_cc()->set_email("BILLING@desk.example");
  m.add_cc()->set_email("help@brand-a.example");
  m.add_cc()->set_email("bo@example.com");
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(m));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), r.ticket_id));
  ASSERT_THAT(t.cc_contact_ids(), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(v1::Contact cc, desk_->people().GetContact(SystemActor(),
                                                                  t.cc_contact_ids(0)));
  EXPECT_EQ(cc.identities(0).value(), "bo@example.com");
}

TEST_P(DeskAddressesTest, MailFromAnyDeskAddressIsALoopAndNeverAnswered) {
  ASSERT_OK_AND_ASSIGN(IngestResult first, desk_->inbox().Ingest(MailTo(
                                               "ada@example.com", "support@desk.example",
                                               "a5@example.com", "Loop")));
  const size_t before = Outbox().size();
  for (const char* from : {"billing@desk.example", "Help@Brand-A.example",
                           "support@desk.example"}) {
    v1::InboundMessage loop = MailTo(from, "support@desk.example",
                                     absl::StrCat("loop-", from), "Re: Loop");
    loop.mutable_threading()->set_in_reply_to("a5@example.com");
    ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(loop));
    EXPECT_EQ(r.outcome, IngestResult::Outcome::kRecordedAutomatic) << from;
    v1::InboundMessage fresh =
        MailTo(from, "support@desk.example", absl::StrCat("new-", from), "Hi");
    ASSERT_OK_AND_ASSIGN(IngestResult n, desk_->inbox().Ingest(fresh));
    EXPECT_EQ(n.outcome, IngestResult::Outcome::kRecordedAutomatic) << from;
  }
  EXPECT_THAT(Outbox(), SizeIs(before));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), first.ticket_id));
  EXPECT_THAT(t.cc_contact_ids(), IsEmpty());
}

TEST_P(DeskAddressesTest, BadAddressesAreRefusedAtOpen) {
  DeskOptions o{.store = store_.get(), .clock = &clock_};
  o.ingest.desk_addresses = {{.email = "support@desk.example"}, {.email = "not an address"}};
  EXPECT_THAT(Desk::Open(o).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("ingest.desk_addresses[1].email")));
  o.ingest.desk_addresses = {{.email = "a@desk.example", .is_default = true},
                             {.email = "b@desk.example", .is_default = true}};
  EXPECT_THAT(Desk::Open(o).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("both the default")));
  o.ingest.desk_addresses = {{.email = "a@desk.example"}, {.email = "A@desk.example"}};
  EXPECT_THAT(Desk::Open(o).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("listed twice")));
}

TEST_P(DeskAddressesTest, AnExplicitDefaultBeatsDeskEmail) {
  DeskOptions o{.store = store_.get(), .clock = &clock_};
  o.ingest.desk_email = "support@desk.example";
  o.ingest.acknowledge_new_tickets = true;
  o.ingest.desk_addresses = {{.email = "hello@desk.example", .is_default = true}};
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
  ASSERT_OK(desk_->inbox()
                .Ingest(MailTo("ada@example.com", "x@example.net", "a6@example.com", "Hi"))
                .status());
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message().from().email(), "hello@desk.example");
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskAddressesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Sqlite" : "Memory";
                         });

INSTANTIATE_TEST_SUITE_P(Stores, DeskRepliesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace helpdesk
