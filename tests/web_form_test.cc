// Web form, chat and webhook channels, through to Inbox::Ingest.
#include "helpdesk/channels/web_form.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1767600000);

TEST(WebFormTest, ValidSubmissionBecomesATicket) {
  auto form = NewWebFormInbound();
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage m, form->Parse(R"json({
      "submissionId": "f-81", "name": "Ada", "email": "Ada@Example.com",
      "subject": "Refund for order A-1", "message": "Charged twice.",
      "fields": {"order": "A-1", "plan": "pro"},
      "attachments": [{"fileName": "receipt.txt", "mediaType": "text/plain",
                       "content": "NDkuMDA="}]})json", kNow));
  EXPECT_EQ(m.channel(), v1::CHANNEL_WEB_FORM);
  EXPECT_EQ(m.idempotency_key(), "web_form:f-81");
  EXPECT_EQ(m.from().email(), "ada@example.com");
  EXPECT_EQ(m.body_text(), "Charged twice.\n\norder: A-1\nplan: pro");
  ASSERT_THAT(m.attachments(), SizeIs(1));
  EXPECT_EQ(m.attachments(0).content(), "49.00");

  std::unique_ptr<Store> store = NewMemoryStore();
  ManualClock clock(kNow);
  ASSERT_OK_AND_ASSIGN(auto desk, Desk::Open({.store = store.get(), .clock = &clock}));
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk->inbox().Ingest(m));
  EXPECT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
  ASSERT_OK_AND_ASSIGN(IngestResult again, desk->inbox().Ingest(m));  // double submit
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.ticket_id, r.ticket_id);
}

TEST(WebFormTest, EveryBadFieldIsReportedAtOnce) {
  auto form = NewWebFormInbound();
  EXPECT_THAT(form->Parse(R"json({"email": "ada@", "subject": " ", "message": ""})json",
                          kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("email 'ada@' is not an e-mail address"),
                             HasSubstr("subject must not be empty"),
                             HasSubstr("message must not be empty"))));
  EXPECT_THAT(form->Parse(R"json({"subject": "x", "message": "y"})json", kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("email: an e-mail address or a phone number")));
}

TEST(WebFormTest, InvalidJsonAndUnknownFieldsAreRefused) {
  auto form = NewWebFormInbound();
  EXPECT_THAT(form->Parse("{not json", kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("web form")));
  EXPECT_THAT(form->Parse(R"json({"email": "a@b.c", "subject": "s", "message": "m",
                                  "admin": true})json",
                          kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("admin")));
  EXPECT_THAT(form->Parse(std::string(31 << 20, ' '), kNow),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(WebFormTest, SubmissionWithoutIdIsKeyedByContent) {
  auto form = NewWebFormInbound();
  const char* json = R"json({"email": "a@b.example", "subject": "s", "message": "m"})json";
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage a, form->Parse(json, kNow));
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage b, form->Parse(json, kNow + absl::Seconds(1)));
  EXPECT_EQ(a.idempotency_key(), b.idempotency_key());
}

TEST(ChatTest, SessionMessagesFormOneTicketAndTranscript) {
  auto chat = NewChatInbound();
  std::unique_ptr<Store> store = NewMemoryStore();
  ManualClock clock(kNow);
  ASSERT_OK_AND_ASSIGN(auto desk, Desk::Open({.store = store.get(), .clock = &clock}));
  int64_t ticket = 0;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_OK_AND_ASSIGN(
        v1::InboundMessage m,
        chat->Parse(absl::StrCat(R"json({"sessionId": "s-9", "messageId": "s-9/)json", i,
                                 R"json(", "visitor": {"name": "Ada",
                                 "chatHandle": "visitor-42"}, "text": "line )json",
                                 i, R"json("})json"),
                    kNow));
    ASSERT_OK_AND_ASSIGN(IngestResult r, desk->inbox().Ingest(m));
    if (i == 1) ticket = r.ticket_id;
    EXPECT_EQ(r.ticket_id, ticket);
    clock.Advance(absl::Minutes(1));
  }
  ASSERT_OK(desk->tickets().AddMessage(SystemActor(), ticket, {.body_text = "hi Ada"}).status());
  ASSERT_OK_AND_ASSIGN(TicketView view, desk->tickets().View(SystemActor(), ticket));
  std::string transcript = ChatTranscript(view.messages, [](const v1::Actor& a) {
    return a.kind() == v1::Actor::CONTACT ? std::string("Ada") : std::string("Agent");
  });
  EXPECT_EQ(transcript,
            "[08:00] Ada: line 1\n[08:01] Ada: line 2\n[08:02] Ada: line 3\n"
            "[08:03] Agent: hi Ada\n");
  EXPECT_THAT(chat->Parse(R"json({"sessionId": "", "messageId": "x",
                                  "visitor": {"name": "A"}, "text": ""})json",
                          kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("sessionId must not be empty"),
                             HasSubstr("visitor: a chatHandle"))));
}

TEST(ChatTest, OutboundUsesTheHostCallback) {
  std::vector<std::string> sent;
  auto out = NewChatOutbound([&](const v1::OutboundMessage& m) {
    if (m.body_text() == "fail") return absl::UnavailableError("socket closed");
    sent.push_back(m.body_text());
    return absl::OkStatus();
  });
  v1::OutboundMessage m;
  m.set_body_text("hello");
  EXPECT_THAT(out->Deliver(m), IsOk());
  m.set_body_text("fail");
  EXPECT_THAT(out->Deliver(m), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sent, std::vector<std::string>{"hello"});
}

TEST(WebhookTest, SignatureIsHmacSha256) {
  // RFC 4231 test case 2.
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookTest, BadSignaturesAreRefusedBeforeParsing) {
  WebhookInbound hook("s3cret");
  std::string body = R"json({"externalId": "w-1", "from": {"email": "a@b.example"},
                             "subject": "Alert", "bodyText": "disk full"})json";
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage m,
                       hook.ParseSigned(body, WebhookSignature("s3cret", body), kNow));
  EXPECT_EQ(m.channel(), v1::CHANNEL_WEBHOOK);
  EXPECT_EQ(m.subject(), "Alert");
  EXPECT_THAT(hook.ParseSigned(body, WebhookSignature("guess", body), kNow),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not match")));
  EXPECT_THAT(hook.ParseSigned(body + " ", WebhookSignature("s3cret", body), kNow),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(hook.ParseSigned(body, "", kNow),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("missing")));
  EXPECT_THAT(hook.ParseSigned(body, "md5=abc", kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("md5=abc")));
  // A signed body that is not JSON is still refused, after the check.
  EXPECT_THAT(hook.ParseSigned("nope", WebhookSignature("s3cret", "nope"), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("webhook")));
}

// Found by the channel conformance suite: a signed "{}" was accepted as a
// message Ingest could not deduplicate (and would quarantine).
TEST(WebhookTest, AMessageWithoutAnyKeyIsRefused) {
  WebhookInbound hook("s3cret");
  for (std::string body : {std::string("{}"),
                           std::string(R"json({"subject": "Alert", "bodyText": "x"})json")}) {
    EXPECT_THAT(hook.ParseSigned(body, WebhookSignature("s3cret", body), kNow),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("idempotencyKey")))
        << body;
  }
  std::string keyed = R"json({"idempotencyKey": "crm:1", "bodyText": "x"})json";
  EXPECT_THAT(hook.ParseSigned(keyed, WebhookSignature("s3cret", keyed), kNow), IsOk());
}

TEST(WebhookTest, OutboundCallsAreSignedJson) {
  v1::OutboundMessage m;
  m.set_subject("Re: Alert");
  m.set_ticket_id(7);
  ASSERT_OK_AND_ASSIGN(SignedWebhook call, SignWebhook("s3cret", m));
  EXPECT_THAT(call.body, HasSubstr("\"subject\":\"Re: Alert\""));
  EXPECT_THAT(VerifyWebhookSignature("s3cret", call.body, call.signature), IsOk());
}

}  // namespace
}  // namespace helpdesk
