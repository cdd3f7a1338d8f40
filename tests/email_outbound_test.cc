// The e-mail channel: building outbound mail, the transports, mbox splitting
// and the Maildir transport and source.
#include "helpdesk/channels/email.h"

#include "email_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// ---------------------------------------------------------------------------
// Outbound
// ---------------------------------------------------------------------------

v1::OutboundMessage Reply() {
  v1::OutboundMessage m;
  m.set_channel(v1::CHANNEL_EMAIL);
  m.set_idempotency_key("outbox:42:7");
  m.set_ticket_id(42);
  m.mutable_from()->set_name("Support Desk");
  m.mutable_from()->set_email("support@desk.example");
  v1::Party* to = m.add_to();
  to->set_name("J\xC3\xBCrgen M\xC3\xBCller");
  to->set_email("juergen@example.com");
  m.add_cc()->set_email("boss@example.com");
  m.set_subject("Re: Dr\xC3\xBC" "cker streikt \xE2\x80\x94 bitte helfen");
  m.set_body_text("Hallo J\xC3\xBCrgen,\n\nbitte neu starten.\n\n-- \nSupport");
  m.set_body_html("<p>Hallo J&uuml;rgen,</p><p>bitte <b>neu</b> starten.</p>");
  m.mutable_threading()->set_in_reply_to("orig.1@example.com");
  m.mutable_threading()->add_references("root.0@example.com");
  v1::InboundAttachment* pdf = m.add_attachments();
  pdf->set_file_name("Anleitung f\xC3\xBCr Drucker.pdf");
  pdf->set_media_type("application/pdf");
  pdf->set_content(std::string("%PDF-1.4\n\0\xFF binary", 19));
  v1::InboundAttachment* logo = m.add_attachments();
  logo->set_file_name("logo.png");
  logo->set_media_type("image/png");
  logo->set_content("\x89PNG\r\n\x1A\n");
  logo->set_content_id("logo.1@desk.example");
  logo->set_inline_(true);
  return m;
}

EmailOutboundOptions OutOptions(const Clock* clock = nullptr) {
  EmailOutboundOptions o;
  o.sending_domain = "desk.example";
  o.clock = clock;
  return o;
}

TEST(EmailOutboundTest, MessageIdComesFromTheIdempotencyKey) {
  EXPECT_EQ(EmailMessageId("k1", "desk.example"), EmailMessageId("k1", "desk.example"));
  EXPECT_NE(EmailMessageId("k1", "desk.example"), EmailMessageId("k2", "desk.example"));
  EXPECT_THAT(EmailMessageId("k1", "desk.example"),
              AllOf(HasSubstr("hd."), HasSubstr("@desk.example")));
}

TEST(EmailOutboundTest, RoundTripKeepsWhatMatters) {
  ManualClock clock(kNow);
  const v1::OutboundMessage reply = Reply();
  ASSERT_OK_AND_ASSIGN(std::string raw, BuildEmail(reply, OutOptions(&clock)));
  // The header is ASCII: non-ASCII subject and names are encoded words.
  const std::string header = raw.substr(0, raw.find("\r\n\r\n"));
  for (char c : header) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << header;
  EXPECT_THAT(header, HasSubstr("Subject: Re: =?UTF-8?B?"));
  EXPECT_THAT(header, HasSubstr("Date: Mon, 05 Jan 2026 09:00:00"));
  EXPECT_THAT(header, HasSubstr(absl::StrCat(
                          "Message-Id: <", EmailMessageId("outbox:42:7", "desk.example"), ">")));
  EXPECT_THAT(header, Not(HasSubstr("Auto-Submitted")));
  // CRLF everywhere.
  for (size_t i = raw.find('\n'); i != std::string::npos; i = raw.find('\n', i + 1)) {
    ASSERT_EQ(raw[i - 1], '\r') << i;
  }

  v1::InboundMessage back = MustParse(raw);
  EXPECT_EQ(back.subject(), reply.subject() + " [#42]");
  EXPECT_EQ(back.threading().ticket_token(), 42);
  EXPECT_EQ(back.threading().message_id(), EmailMessageId("outbox:42:7", "desk.example"));
  EXPECT_EQ(back.threading().in_reply_to(), "orig.1@example.com");
  EXPECT_THAT(back.threading().references(),
              ElementsAre("root.0@example.com", "orig.1@example.com"));
  EXPECT_EQ(back.from().email(), "support@desk.example");
  EXPECT_EQ(back.from().name(), "Support Desk");
  ASSERT_THAT(back.to(), SizeIs(1));
  EXPECT_EQ(back.to(0).name(), reply.to(0).name());
  ASSERT_THAT(back.cc(), SizeIs(1));
  EXPECT_EQ(back.body_text(), reply.body_text());
  EXPECT_EQ(back.body_html(), reply.body_html());
  ASSERT_THAT(back.attachments(), SizeIs(2));
  // The inline image travels next to the HTML; the file after the body.
  EXPECT_EQ(back.attachments(0).file_name(), "logo.png");
  EXPECT_EQ(back.attachments(0).content(), reply.attachments(1).content());
  EXPECT_EQ(back.attachments(0).content_id(), "logo.1@desk.example");
  EXPECT_TRUE(back.attachments(0).inline_());
  EXPECT_EQ(back.attachments(1).file_name(), reply.attachments(0).file_name());
  EXPECT_EQ(back.attachments(1).media_type(), "application/pdf");
  EXPECT_EQ(back.attachments(1).content(), reply.attachments(0).content());
  EXPECT_FALSE(back.attachments(1).inline_());
  EXPECT_EQ(back.auto_kind(), v1::InboundMessage::HUMAN);
  EXPECT_THAT(back.warnings(), IsEmpty());
}

TEST(EmailOutboundTest, TokenIsNotAddedTwice) {
  v1::OutboundMessage m = Reply();
  m.set_subject("Re: [#42] printer");
  ASSERT_OK_AND_ASSIGN(std::string raw, BuildEmail(m, OutOptions()));
  EXPECT_EQ(MustParse(raw).subject(), "Re: [#42] printer");
  m.set_subject("Re: [#41] printer");  // another ticket's token
  ASSERT_OK_AND_ASSIGN(raw, BuildEmail(m, OutOptions()));
  EXPECT_EQ(MustParse(raw).subject(), "Re: [#41] printer [#42]");
}

TEST(EmailOutboundTest, AutomaticMailIsMarkedAndRecognised) {
  v1::OutboundMessage m = Reply();
  m.set_automatic(true);
  ASSERT_OK_AND_ASSIGN(std::string raw, BuildEmail(m, OutOptions()));
  EXPECT_THAT(raw, HasSubstr("Auto-Submitted: auto-replied\r\n"));
  EXPECT_THAT(raw, HasSubstr("X-Auto-Response-Suppress: All\r\n"));
  EXPECT_EQ(MustParse(raw).auto_kind(), v1::InboundMessage::AUTO_REPLY);
  m.mutable_threading()->Clear();  // answers nothing: a notification
  ASSERT_OK_AND_ASSIGN(raw, BuildEmail(m, OutOptions()));
  EXPECT_THAT(raw, HasSubstr("Auto-Submitted: auto-generated\r\n"));
}

TEST(EmailOutboundTest, TextOnlyAndHtmlOnly) {
  v1::OutboundMessage m = Reply();
  m.clear_attachments();
  m.clear_body_html();
  ASSERT_OK_AND_ASSIGN(std::string raw, BuildEmail(m, OutOptions()));
  EXPECT_THAT(raw, HasSubstr("Content-Type: text/plain; charset=utf-8"));
  EXPECT_EQ(MustParse(raw).body_text(), m.body_text());
  m.clear_body_text();
  m.set_body_html("<p>only <i>html</i></p>");
  ASSERT_OK_AND_ASSIGN(raw, BuildEmail(m, OutOptions()));
  v1::InboundMessage back = MustParse(raw);
  EXPECT_EQ(back.body_text(), "only html");
  EXPECT_EQ(back.body_html(), "<p>only <i>html</i></p>");
}

TEST(EmailOutboundTest, BadInputIsRefusedNamingTheField) {
  v1::OutboundMessage m = Reply();
  m.clear_idempotency_key();
  EXPECT_THAT(BuildEmail(m, OutOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("idempotency_key")));
  m = Reply();
  m.clear_to();
  m.clear_cc();
  EXPECT_THAT(BuildEmail(m, OutOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("recipient")));
  m = Reply();
  m.set_subject("evil\r\nBcc: all@example.com");
  EXPECT_THAT(BuildEmail(m, OutOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subject")));
  m = Reply();
  m.mutable_to(0)->set_email("not an address");
  EXPECT_THAT(BuildEmail(m, OutOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to[0].email")));
  m = Reply();
  m.mutable_threading()->set_in_reply_to("<x@y>");
  EXPECT_THAT(BuildEmail(m, OutOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("in_reply_to")));
  m = Reply();
  m.clear_from();
  EXPECT_THAT(BuildEmail(m, OutOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from")));
  EmailOutboundOptions with_default = OutOptions();
  with_default.default_from.set_email("desk@desk.example");
  EXPECT_THAT(BuildEmail(m, with_default), IsOk());
  EmailOutboundOptions small = OutOptions();
  small.max_message_bytes = 100;
  EXPECT_THAT(BuildEmail(Reply(), small),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("100")));
}

// A transport that records what it was given, or fails as told.
class RecordingTransport : public MailTransport {
 public:
  absl::string_view Name() const override { return "test.recording"; }
  absl::StatusOr<std::string> Send(absl::string_view envelope_from,
                                   absl::Span<const std::string> recipients,
                                   absl::string_view rfc5322) override {
    if (!fail_with.ok()) return fail_with;
    envelope = std::string(envelope_from);
    rcpt.assign(recipients.begin(), recipients.end());
    bytes = std::string(rfc5322);
    return std::string("250 ok");
  }
  absl::Status fail_with;
  std::string envelope;
  std::vector<std::string> rcpt;
  std::string bytes;
};

TEST(EmailOutboundTest, AdapterSendsToEveryRecipient) {
  auto transport = std::make_unique<RecordingTransport>();
  RecordingTransport* seen = transport.get();
  EmailOutboundOptions options = OutOptions();
  options.envelope_from = "bounces@desk.example";
  std::unique_ptr<OutboundAdapter> out = NewEmailOutbound(std::move(transport), options);
  EXPECT_EQ(out->Name(), "helpdesk.email");
  v1::OutboundMessage m = Reply();
  m.add_cc()->set_email("JUERGEN@example.com");  // a duplicate of To
  ASSERT_OK_AND_ASSIGN(DeliveryReceipt receipt, out->Deliver(m));
  EXPECT_EQ(receipt.provider_id, EmailMessageId("outbox:42:7", "desk.example"));
  EXPECT_EQ(seen->envelope, "bounces@desk.example");
  EXPECT_THAT(seen->rcpt, ElementsAre("juergen@example.com", "boss@example.com"));
  EXPECT_THAT(seen->bytes, HasSubstr(receipt.provider_id));
}

TEST(EmailOutboundTest, TransportFailuresKeepTheirRetryClass) {
  auto transport = std::make_unique<RecordingTransport>();
  RecordingTransport* seen = transport.get();
  std::unique_ptr<OutboundAdapter> out = NewEmailOutbound(std::move(transport), OutOptions());
  seen->fail_with = absl::UnavailableError("421 try later");
  absl::StatusOr<DeliveryReceipt> r = out->Deliver(Reply());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsRetryableDeliveryError(r.status()));
  seen->fail_with = absl::FailedPreconditionError("550 no such user");
  r = out->Deliver(Reply());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(IsRetryableDeliveryError(r.status()));
}

TEST(EmailOutboundTest, TransportWrapperForwards) {
  RecordingTransport base;
  MailTransportWrapper wrapper(&base);
  EXPECT_EQ(wrapper.Name(), "test.recording");
  std::vector<std::string> rcpt = {"a@example.com"};
  EXPECT_THAT(wrapper.Send("s@example.com", rcpt, "x"), IsOk());
  EXPECT_EQ(base.bytes, "x");
}

// ---------------------------------------------------------------------------
// mbox
// ---------------------------------------------------------------------------

TEST(EmailMboxTest, SplitsAtSeparatorsAndUnquotesFromLines) {
  const std::string mbox =
      "\n"
      "From ada@example.com Mon Jan  5 09:00:00 2026\n"
      "From: ada@example.com\n"
      "Subject: one\n"
      "\n"
      ">From here on\n"
      ">>From a quote\n"
      "From me, not a separator (no blank line before it)\n"
      "\n"
      "From the top: not one either (no date)\n"
      "\n"
      "From MAILER-DAEMON Tue Jan  6 10:00:00 2026\r\n"
      "Subject: two\r\n"
      "\r\n"
      "body\r\n"
      "\r\n";
  ASSERT_OK_AND_ASSIGN(std::vector<MboxMessage> messages, SplitMbox(mbox));
  ASSERT_THAT(messages, SizeIs(2));
  EXPECT_EQ(messages[0].envelope, "ada@example.com Mon Jan  5 09:00:00 2026");
  EXPECT_EQ(messages[0].raw,
            "From: ada@example.com\nSubject: one\n\nFrom here on\n>From a quote\n"
            "From me, not a separator (no blank line before it)\n\n"
            "From the top: not one either (no date)\n");
  EXPECT_EQ(messages[1].envelope, "MAILER-DAEMON Tue Jan  6 10:00:00 2026");
  EXPECT_EQ(messages[1].raw, "Subject: two\r\n\r\nbody\r\n");
  // Each part parses as the message it is.
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage first,
                       email->Parse(messages[0].raw, absl::UnixEpoch()));
  EXPECT_EQ(first.subject(), "one");
  EXPECT_THAT(first.body_text(), HasSubstr("From here on"));
}

TEST(EmailMboxTest, EmptyAndNonMboxInput) {
  ASSERT_OK_AND_ASSIGN(std::vector<MboxMessage> none, SplitMbox(""));
  EXPECT_THAT(none, IsEmpty());
  EXPECT_THAT(SplitMbox("Subject: hi\n\nbody\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("first line")));
}

// ---------------------------------------------------------------------------
// Maildir
// ---------------------------------------------------------------------------

// A fresh directory under the test temp dir, removed with the object.
class ScopedTempDir {
 public:
  ScopedTempDir() : path_(::testing::TempDir() + "/email_test_XXXXXX") {
    EXPECT_NE(mkdtemp(path_.data()), nullptr);
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(EmailMaildirTest, TransportAndSourceRoundTrip) {
  ScopedTempDir temp;
  const std::string dir = temp.path() + "/Maildir";
  std::unique_ptr<OutboundAdapter> out =
      NewEmailOutbound(NewMaildirTransport(dir), OutOptions());
  v1::OutboundMessage first = Reply();
  v1::OutboundMessage second = Reply();
  second.set_idempotency_key("outbox:42:8");
  second.set_subject("second");
  ASSERT_THAT(out->Deliver(first), IsOk());
  ASSERT_THAT(out->Deliver(second), IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<MaildirMessage> listed, ReadMaildir(dir));
  ASSERT_THAT(listed, SizeIs(2));
  EXPECT_LT(listed[0].id, listed[1].id);
  std::vector<std::string> subjects;
  for (const MaildirMessage& m : listed) {
    EXPECT_TRUE(m.is_new);
    EXPECT_FALSE(m.seen);
    EXPECT_TRUE(absl::StartsWith(m.path, dir + "/new/"));
    ASSERT_OK_AND_ASSIGN(std::string raw, LoadMaildirMessage(m));
    subjects.push_back(MustParse(raw).subject());
  }
  EXPECT_THAT(subjects, Contains("second [#42]"));

  ASSERT_THAT(MarkMaildirMessageProcessed(dir, listed[0]), IsOk());
  ASSERT_THAT(MarkMaildirMessageProcessed(dir, listed[0]), IsOk());  // harmless twice
  ASSERT_OK_AND_ASSIGN(std::vector<MaildirMessage> after, ReadMaildir(dir));
  ASSERT_THAT(after, SizeIs(2));
  EXPECT_EQ(after[0].id, listed[0].id);
  EXPECT_FALSE(after[0].is_new);
  EXPECT_TRUE(after[0].seen);
  EXPECT_EQ(after[0].flags, "S");
  EXPECT_TRUE(absl::EndsWith(after[0].path, ":2,S"));
  EXPECT_EQ(after[1].id, listed[1].id);
  EXPECT_FALSE(after[1].seen);
  EXPECT_THAT(LoadMaildirMessage(after[0]), IsOk());
  // A file that is gone.
  EXPECT_THAT(LoadMaildirMessage(listed[0]), StatusIs(absl::StatusCode::kNotFound));
}

TEST(EmailMaildirTest, FlagsInCurAreMerged) {
  ScopedTempDir temp;
  const std::string& dir = temp.path();
  ASSERT_EQ(mkdir((dir + "/cur").c_str(), 0700), 0);
  std::ofstream(dir + "/cur/123.abc.host:2,RF") << "Subject: x\r\n\r\ny\r\n";
  std::ofstream(dir + "/cur/.hidden") << "ignored";
  ASSERT_OK_AND_ASSIGN(std::vector<MaildirMessage> listed, ReadMaildir(dir));
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0].id, "123.abc.host");
  EXPECT_EQ(listed[0].flags, "FR");
  EXPECT_FALSE(listed[0].seen);
  ASSERT_THAT(MarkMaildirMessageProcessed(dir, listed[0]), IsOk());
  ASSERT_OK_AND_ASSIGN(listed, ReadMaildir(dir));
  EXPECT_EQ(listed[0].flags, "FRS");
  EXPECT_TRUE(listed[0].seen);
}

TEST(EmailMaildirTest, NotAMaildir) {
  ScopedTempDir temp;
  EXPECT_THAT(ReadMaildir(temp.path()), StatusIs(absl::StatusCode::kNotFound));
  std::unique_ptr<MailTransport> t = NewMaildirTransport("/proc/no/such/dir");
  std::vector<std::string> rcpt = {"a@example.com"};
  EXPECT_THAT(t->Send("", rcpt, "x"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(t->Send("", {}, "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace helpdesk
