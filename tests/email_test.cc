// The e-mail channel, parsing: basics, threading keys, quoted history,
// auto-replies and bounces. Structure, charsets, header text, damaged input
// and limits are in email_mime_test.cc; outbound mail, mbox and Maildir in
// email_outbound_test.cc.
#include "helpdesk/channels/email.h"

#include "email_test_support.h"

namespace helpdesk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// ---------------------------------------------------------------------------
// Basics
// ---------------------------------------------------------------------------

TEST(EmailInboundTest, ParsesAPlainMessage) {
  v1::InboundMessage m = MustParse(Mail({
      "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Example.COM>",
      "To: Support <support@desk.example>, other@example.org",
      "Cc: boss@example.org",
      "Subject: Printer =?ISO-8859-1?Q?kaputt?=",
      "Message-ID: <abc.123@mail.example.com>",
      "Date: Mon, 5 Jan 2026 08:00:00 +0000",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "It does not print.",
  }));
  EXPECT_EQ(m.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(m.from().name(), "J\xC3\xBCrgen M\xC3\xBCller");
  EXPECT_EQ(m.from().email(), "juergen@example.com");
  ASSERT_THAT(m.to(), SizeIs(2));
  EXPECT_EQ(m.to(0).name(), "Support");
  EXPECT_EQ(m.to(1).email(), "other@example.org");
  ASSERT_THAT(m.cc(), SizeIs(1));
  EXPECT_EQ(m.subject(), "Printer kaputt");
  EXPECT_EQ(m.body_text(), "It does not print.");
  EXPECT_EQ(m.external_id(), "abc.123@mail.example.com");
  EXPECT_EQ(m.threading().message_id(), "abc.123@mail.example.com");
  EXPECT_EQ(m.idempotency_key(), "");  // derived by Inbox::Ingest from external_id
  EXPECT_EQ(m.received_at().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(m.auto_kind(), v1::InboundMessage::HUMAN);
  EXPECT_THAT(m.warnings(), IsEmpty());
}

TEST(EmailInboundTest, MessageWithoutMessageIdGetsAContentHashKey) {
  std::string raw = Mail({"From: a@example.com", "Subject: x", "", "body"});
  v1::InboundMessage a = MustParse(raw);
  v1::InboundMessage b = MustParse(raw);
  EXPECT_TRUE(absl::StartsWith(a.idempotency_key(), "email-sha256:"));
  EXPECT_EQ(a.idempotency_key(), b.idempotency_key());
  EXPECT_NE(a.idempotency_key(), MustParse(raw + "more").idempotency_key());
}

TEST(EmailInboundTest, AdapterName) {
  EXPECT_EQ(NewEmailInbound()->Name(), "helpdesk.email");
}

TEST(EmailInboundTest, MboxFromLineAndBareLineFeeds) {
  v1::InboundMessage m = MustParse(
      "From someone@example.com Mon Jan  5 08:00:00 2026\n"
      "From: someone@example.com\nSubject: mbox\n\nline one\nline two\n");
  EXPECT_EQ(m.subject(), "mbox");
  EXPECT_EQ(m.from().email(), "someone@example.com");
  EXPECT_EQ(m.body_text(), "line one\nline two");
}

TEST(EmailInboundTest, SenderWithoutAddress) {
  // A bare name is not an address: it becomes the name.
  v1::InboundMessage m = MustParse(Mail({"From: MAILER-DAEMON", "Subject: x", "", "y"}));
  EXPECT_EQ(m.from().email(), "");
  EXPECT_EQ(m.from().name(), "mailer-daemon");
  EXPECT_EQ(m.auto_kind(), v1::InboundMessage::BOUNCE);
  // The envelope sender fills in.
  v1::InboundMessage n = MustParse(Mail({"Return-Path: <Owner@Example.com>",
                                         "From: Jane Doe", "Subject: x", "", "y"}));
  EXPECT_EQ(n.from().email(), "owner@example.com");
  // Sender is used when From has no address.
  v1::InboundMessage o = MustParse(Mail({"Sender: desk@example.com", "Subject: x", "", "y"}));
  EXPECT_EQ(o.from().email(), "desk@example.com");
}

// RFC 5322 allows a quoted local part; the address is kept as written,
// quotes included, and the sender is never dropped (the fallback for a From
// GMime cannot parse used to refuse any address with a quote).
TEST(EmailInboundTest, QuotedLocalPartIsKeptIntact) {
  const std::string kAddress = "\"john smith\"@example.com";
  for (const std::string& from :
       {std::string("\"john smith\"@example.com"), std::string("John <\"john smith\"@example.com>"),
        std::string("\"John Smith\" <\"john smith\"@Example.COM>"),
        std::string("<\"john smith\"@example.com>"),
        std::string("\"john smith\"@example.com (John)"),
        std::string("John < \"john smith\" @ example.com >"),
        // GMime cannot parse these: the fallback finds the address.
        std::string("John Smith \"john smith\"@example.com"),
        std::string("(c) \"john smith\"@example.com (unclosed")}) {
    v1::InboundMessage m = MustParse(Mail({"From: " + from, "Subject: hi", "", "hi"}));
    EXPECT_EQ(m.from().email(), kAddress) << from;
  }
  v1::InboundMessage named = MustParse(Mail(
      {"From: John Smith \"john smith\"@example.com", "Subject: hi", "", "hi"}));
  EXPECT_EQ(named.from().name(), "John Smith");
  // Special characters inside the quotes survive, spaces and all.
  v1::InboundMessage special = MustParse(Mail(
      {"From: Jo <\"jo (x) @ home\"@example.com", "To: \"a b\"@example.org", "Subject: hi",
       "", "hi"}));
  EXPECT_EQ(special.from().email(), "\"jo (x) @ home\"@example.com");
  ASSERT_THAT(special.to(), SizeIs(1));
  EXPECT_EQ(special.to(0).email(), "\"a b\"@example.org");
  // The envelope sender, quoted.
  v1::InboundMessage envelope = MustParse(Mail(
      {"Return-Path: <\"john smith\"@example.com>", "From: Jane Doe", "Subject: x", "", "y"}));
  EXPECT_EQ(envelope.from().email(), kAddress);
}

TEST(EmailInboundTest, ObsoleteFromFieldIsNotTakenForAnMboxLine) {
  v1::InboundMessage m = MustParse("From : a@example.com\nSubject: x\n\nbody\n");
  EXPECT_EQ(m.from().email(), "a@example.com");
}

TEST(EmailInboundTest, OldMacLineEnds) {
  v1::InboundMessage m = MustParse("From: a@example.com\rSubject: cr only\r\rbody\rmore\r");
  EXPECT_EQ(m.subject(), "cr only");
  EXPECT_EQ(m.body_text(), "body\nmore");
}

TEST(EmailInboundTest, EmptyInputIsAcceptedWithAWarning) {
  v1::InboundMessage m = MustParse("");
  EXPECT_THAT(Joined(m.warnings()), HasSubstr("empty"));
  EXPECT_FALSE(m.idempotency_key().empty());
}

TEST(EmailInboundTest, InputWithoutHeaderIsReadAsBody) {
  v1::InboundMessage m = MustParse("just some words\nand more\n");
  EXPECT_EQ(m.body_text(), "just some words\nand more");
  EXPECT_THAT(Joined(m.warnings()), HasSubstr("no header"));
}

// ---------------------------------------------------------------------------
// Threading keys
// ---------------------------------------------------------------------------

TEST(EmailThreadingTest, ReferencesKeepsEveryEntryInOrder) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: Re: Re: question",
      "Message-ID: <4@x.example>",
      "In-Reply-To: <3@x.example>",
      "References: <1@x.example> (the root)",
      " <2@desk.example>",
      "\t<3@x.example> <2@desk.example>",
      "",
      "reply",
  }));
  EXPECT_EQ(m.threading().in_reply_to(), "3@x.example");
  EXPECT_THAT(m.threading().references(),
              ElementsAre("1@x.example", "2@desk.example", "3@x.example"));
}

TEST(EmailThreadingTest, ForeignInReplyToDoesNotHideReferences) {
  // A CRM rewrote In-Reply-To (FreeScout #4020): the desk's id is still in
  // References, and both are reported.
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: Re: your ticket",
      "In-Reply-To: <crm-77@crm.example.net>",
      "References: <hd.0011@desk.example> <crm-77@crm.example.net>",
      "",
      "reply",
  }));
  EXPECT_EQ(m.threading().in_reply_to(), "crm-77@crm.example.net");
  EXPECT_THAT(m.threading().references(),
              ElementsAre("hd.0011@desk.example", "crm-77@crm.example.net"));
}

TEST(EmailThreadingTest, JunkInReplyToIsIgnoredWithAWarning) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: hi",
      "In-Reply-To: someone@yahoo.com",
      "References: <1@x.example> not-an-id <> <also bad>",
      "",
      "x",
  }));
  EXPECT_EQ(m.threading().in_reply_to(), "");
  EXPECT_THAT(m.threading().references(), ElementsAre("1@x.example"));
  EXPECT_THAT(Joined(m.warnings()), HasSubstr("In-Reply-To"));
}

TEST(EmailThreadingTest, OldStyleInReplyToWithPhrase) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "In-Reply-To: Your message of \"Mon, 5 Jan 2026 <08:00>\" <9@x.example>",
      "",
      "x",
  }));
  EXPECT_EQ(m.threading().in_reply_to(), "9@x.example");
}

TEST(EmailThreadingTest, TicketTokenForms) {
  EXPECT_EQ(FindTicketToken("Printer broken [#1234]"), 1234);
  EXPECT_EQ(FindTicketToken("Re: [ #1234 ] Printer"), 1234);
  EXPECT_EQ(FindTicketToken("[# 1234]"), 1234);
  EXPECT_EQ(FindTicketToken("AW: (#1234) Drucker"), 1234);
  EXPECT_EQ(FindTicketToken("Re: #1234 printer"), 1234);
  EXPECT_EQ(FindTicketToken("about #1234."), 1234);
  EXPECT_EQ(FindTicketToken("[#0042]"), 42);
  // Bracketed wins over bare; the first of each kind counts.
  EXPECT_EQ(FindTicketToken("#5 and [#7] and [#8]"), 7);
  EXPECT_EQ(FindTicketToken("#5 then #6"), 5);
  // Not tokens.
  EXPECT_EQ(FindTicketToken("C#12 question"), 0);
  EXPECT_EQ(FindTicketToken("ticket#12"), 0);
  EXPECT_EQ(FindTicketToken("#1234a"), 0);
  EXPECT_EQ(FindTicketToken("call #555-1234"), 0);
  EXPECT_EQ(FindTicketToken("[#0]"), 0);
  EXPECT_EQ(FindTicketToken("[#1234567890123456789]"), 0);  // 19 digits
  EXPECT_EQ(FindTicketToken("[skynet-help][60666]"), 0);
  EXPECT_EQ(FindTicketToken("# 1234"), 0);
  EXPECT_EQ(FindTicketToken(""), 0);
  // Bare forms can be switched off.
  EXPECT_EQ(FindTicketToken("Re: #1234", "#", false), 0);
  EXPECT_EQ(FindTicketToken("Re: [#1234]", "#", false), 1234);
  // Another prefix, case-insensitive.
  EXPECT_EQ(FindTicketToken("Re: [HD-77] x", "HD-"), 77);
  EXPECT_EQ(FindTicketToken("re: hd-77 broken", "HD-"), 77);
  EXPECT_EQ(FindTicketToken("Re: [#77] x", "HD-"), 0);
  // An empty prefix accepts bracketed numbers only.
  EXPECT_EQ(FindTicketToken("Re: [1234]", ""), 1234);
  EXPECT_EQ(FindTicketToken("Re: 1234", ""), 0);
}

TEST(EmailThreadingTest, TicketTokenFromTheSubject) {
  v1::InboundMessage m = MustParse(Mail({"From: a@example.com",
                                         "Subject: AW: Drucker [ #314 ]", "", "x"}));
  EXPECT_EQ(m.threading().ticket_token(), 314);
  EmailInboundOptions options;
  options.ticket_token_prefix = "HD-";
  v1::InboundMessage n = MustParse(
      Mail({"From: a@example.com", "Subject: Re: hd-99 printer", "", "x"}), options);
  EXPECT_EQ(n.threading().ticket_token(), 99);
}

// ---------------------------------------------------------------------------
// Quoted history
// ---------------------------------------------------------------------------

TEST(EmailQuotedHistoryTest, GmailAttributionAndQuote) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: Re: printer [#12]",
      "",
      "Thanks, that fixed it!",
      "",
      "On Mon, Jan 5, 2026 at 9:00 AM Support Desk <support@desk.example> wrote:",
      "> Please restart the printer.",
      ">",
      "> Regards",
  }));
  EXPECT_EQ(m.body_text(), "Thanks, that fixed it!");
}

TEST(EmailQuotedHistoryTest, AttributionWrappedOverTwoLines) {
  EXPECT_EQ(email_internal::StripQuotedHistory(
                "Works now.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Support Desk <\n"
                "support@desk.example> wrote:\n\n> old text\n"),
            "Works now.");
}

TEST(EmailQuotedHistoryTest, TranslatedAttributions) {
  EXPECT_EQ(email_internal::StripQuotedHistory(
                "Danke!\n\nAm 05.01.2026 um 09:00 schrieb Support <s@d.example>:\n> alt\n"),
            "Danke!");
  EXPECT_EQ(email_internal::StripQuotedHistory(
                "Merci\n\nLe lun. 5 janv. 2026 \xC3\xA0 09:00, Support <s@d.example> a "
                "\xC3\xA9" "crit :\n> ancien\n"),
            "Merci");
}

TEST(EmailQuotedHistoryTest, OutlookOriginalMessage) {
  EXPECT_EQ(email_internal::StripQuotedHistory(
                "See attached.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n"
                "Subject: x\n\nold\n"),
            "See attached.");
}

TEST(EmailQuotedHistoryTest, OutlookHeaderBlock) {
  EXPECT_EQ(email_internal::StripQuotedHistory(
                "Yes, please.\n\n________________________________\nFrom: Support Desk "
                "<s@d.example>\nSent: Monday, January 5, 2026 9:00 AM\nTo: Me\n"
                "Subject: RE: printer\n\nold text\n"),
            "Yes, please.");
}

TEST(EmailQuotedHistoryTest, TrailingQuoteBlockWithoutAttribution) {
  EXPECT_EQ(email_internal::StripQuotedHistory("New answer\n\n> old line\n> old line 2\n\n"),
            "New answer");
}

TEST(EmailQuotedHistoryTest, InterleavedRepliesAreKept) {
  const std::string text = "> question one\nanswer one\n> question two\nanswer two";
  EXPECT_EQ(email_internal::StripQuotedHistory(text), text);
}

TEST(EmailQuotedHistoryTest, NothingIsStrippedWhenOnlyQuoteRemains) {
  const std::string text = "On Mon, Jan 5, 2026 Bob wrote:\n> everything is quoted";
  EXPECT_EQ(email_internal::StripQuotedHistory(text), text);
}

TEST(EmailQuotedHistoryTest, HtmlBodyKeepsTheHistory) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: Re: x",
      "MIME-Version: 1.0",
      "Content-Type: multipart/alternative; boundary=\"b\"",
      "",
      "--b",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "New text",
      "",
      "On Mon, Jan 5, 2026 Bob <bob@example.com> wrote:",
      "> old text",
      "--b",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>New text</p><blockquote>old text</blockquote>",
      "--b--",
  }));
  EXPECT_EQ(m.body_text(), "New text");
  EXPECT_THAT(m.body_html(), HasSubstr("<blockquote>old text</blockquote>"));
}

TEST(EmailQuotedHistoryTest, ForwardsAndTheOptionKeepTheHistory) {
  const std::string body = "FYI\n\nOn Mon, Jan 5, 2026 Bob <bob@example.com> wrote:\n> the issue";
  v1::InboundMessage forward =
      MustParse(Mail({"From: a@example.com", "Subject: Fwd: the issue", "", body}));
  EXPECT_EQ(forward.body_text(), body);
  EmailInboundOptions keep;
  keep.strip_quoted_history = false;
  v1::InboundMessage kept =
      MustParse(Mail({"From: a@example.com", "Subject: Re: the issue", "", body}), keep);
  EXPECT_EQ(kept.body_text(), body);
}

// ---------------------------------------------------------------------------
// Automatic mail
// ---------------------------------------------------------------------------

v1::InboundMessage::AutoKind KindOf(std::initializer_list<std::string> headers,
                                    const std::string& body = "Hello") {
  std::vector<std::string> lines(headers);
  std::string raw = absl::StrCat(absl::StrJoin(lines, "\r\n"), "\r\n\r\n", body, "\r\n");
  return MustParse(raw).auto_kind();
}

TEST(EmailAutoKindTest, AutoSubmittedNoIsAPerson) {
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "Auto-Submitted: no"}),
            v1::InboundMessage::HUMAN);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "Auto-Submitted: No (a comment)"}),
            v1::InboundMessage::HUMAN);
}

TEST(EmailAutoKindTest, AutoSubmittedOtherThanNoIsAutomatic) {
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "Auto-Submitted: auto-replied"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "Auto-Submitted: auto-generated"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi",
                    "Auto-Submitted: auto-notified; owner-email=\"x@y\""}),
            v1::InboundMessage::AUTO_REPLY);
}

TEST(EmailAutoKindTest, AutoReplyHeadersAndSubjects) {
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "X-Autoreply: yes"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "X-Autorespond: on vacation"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "Precedence: auto_reply"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "X-Apple-Action: VACATION"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"Return-Path: <>", "From: a@example.com", "Subject: hi"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: Automatic reply: printer"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: Out of Office: back Monday"}),
            v1::InboundMessage::AUTO_REPLY);
  // Request Tracker puts its ticket tag first.
  EXPECT_EQ(KindOf({"From: \" via RT\" <rt@example.com>",
                    "Subject: [support.example.com #33575] AutoReply: printer"}),
            v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(KindOf({"From: \" via RT\" <rt@example.com>",
                    "Subject: [support.example.com #33575] Resolved: printer"}),
            v1::InboundMessage::HUMAN);
}

TEST(EmailAutoKindTest, PeopleWhoMentionAutoRepliesAreNotAutomatic) {
  // Outlook sets X-Auto-Response-Suppress on people's mail too.
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "X-Auto-Response-Suppress: All"}),
            v1::InboundMessage::HUMAN);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: Re: Automatic reply: printer"}),
            v1::InboundMessage::HUMAN);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: Fwd: Undelivered Mail"}),
            v1::InboundMessage::HUMAN);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "X-Autoreply: no"}),
            v1::InboundMessage::HUMAN);
}

TEST(EmailAutoKindTest, BulkIsNotAnAutoReply) {
  // Spam with Precedence: junk is bulk, and must not look like an auto-reply.
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: cash!", "Precedence: junk"}),
            v1::InboundMessage::BULK);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: news", "Precedence: bulk"}),
            v1::InboundMessage::BULK);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: [list] q", "Precedence: list"}),
            v1::InboundMessage::BULK);
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: q", "List-Id: <dev.lists.example>"}),
            v1::InboundMessage::BULK);
  // An auto-reply that also says bulk is an auto-reply.
  EXPECT_EQ(KindOf({"From: a@example.com", "Subject: hi", "Precedence: bulk",
                    "Auto-Submitted: auto-replied"}),
            v1::InboundMessage::AUTO_REPLY);
}

TEST(EmailAutoKindTest, MailerDaemonNoticesAreBounces) {
  EXPECT_EQ(KindOf({"From: MAILER-DAEMON@mx.example.com", "Subject: failure notice"}),
            v1::InboundMessage::BOUNCE);
  EXPECT_EQ(KindOf({"Return-Path: <>", "From: postmaster@mx.example.com",
                    "Subject: Undeliverable: printer"}),
            v1::InboundMessage::BOUNCE);
  // A person writing as postmaster is not a bounce by that alone.
  EXPECT_EQ(KindOf({"From: postmaster@example.com", "Subject: new mail server"}),
            v1::InboundMessage::HUMAN);
}

std::string DeliveryStatusNotice(const std::string& status_blocks) {
  return Mail({
      "Return-Path: <>",
      "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
      "To: support@desk.example",
      "Subject: Undelivered Mail Returned to Sender",
      "Auto-Submitted: auto-replied",
      "Message-ID: <dsn.1@mx.example.com>",
      "MIME-Version: 1.0",
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"",
      "",
      "--r",
      "Content-Type: text/plain",
      "",
      "Your message could not be delivered.",
      "--r",
      "Content-Type: message/delivery-status",
      "",
      "Reporting-MTA: dns; mx.example.com",
      "",
      status_blocks,
      "--r",
      "Content-Type: message/rfc822",
      "",
      "From: support@desk.example",
      "To: gone@example.org",
      "Subject: Re: printer [#12]",
      "Message-ID: <hd.1@desk.example>",
      "",
      "We restarted it.",
      "--r--",
  });
}

TEST(EmailBounceTest, FailedRecipientsFromTheDeliveryStatus) {
  v1::InboundMessage m = MustParse(DeliveryStatusNotice(absl::StrCat(
      "Final-Recipient: rfc822; Gone@Example.org\r\n",
      "Original-Recipient: rfc822;gone@example.org\r\n",
      "Action: failed\r\n",
      "Status: 5.1.1\r\n",
      "\r\n",
      "Final-Recipient: rfc822; slow@example.net\r\n",
      "Action: delayed\r\n",
      "Status: 4.4.1\r\n",
      "\r\n",
      "Original-Recipient: rfc822; <old@example.com>\r\n",
      "Final-Recipient: x400; /o=weird/\r\n",
      "Action: failed\r\n",
      "Status: 5.0.0")));
  EXPECT_EQ(m.auto_kind(), v1::InboundMessage::BOUNCE);
  EXPECT_THAT(m.bounced_recipients(), ElementsAre("gone@example.org", "old@example.com"));
  // The returned message is part of the notice, not an attachment.
  EXPECT_THAT(m.attachments(), IsEmpty());
  EXPECT_EQ(m.body_text(), "Your message could not be delivered.");
}

TEST(EmailBounceTest, DelayWarningIsABounceWithoutFailedRecipients) {
  v1::InboundMessage m = MustParse(DeliveryStatusNotice(
      "Final-Recipient: rfc822; slow@example.net\r\nAction: delayed\r\nStatus: 4.4.7"));
  EXPECT_EQ(m.auto_kind(), v1::InboundMessage::BOUNCE);
  EXPECT_THAT(m.bounced_recipients(), IsEmpty());
}

TEST(EmailBounceTest, PlainTextBounceNotices) {
  v1::InboundMessage qmail = MustParse(Mail({
      "Return-Path: <>",
      "From: MAILER-DAEMON@mx4.example.jp",
      "Subject: failure notice",
      "",
      "Hi. This is the qmail-send program at mx4.example.jp.",
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "",
      "<Kijitora@Example.ne.jp>:",
      "Sorry, no mailbox here by that name. (#5.1.1)",
      "",
      "--- Below this line is a copy of the message.",
      "",
      "Return-Path: <support@desk.example>",
      "To: other@example.org",
  }));
  EXPECT_EQ(qmail.auto_kind(), v1::InboundMessage::BOUNCE);
  EXPECT_THAT(qmail.bounced_recipients(), ElementsAre("kijitora@example.ne.jp"));
  EXPECT_THAT(email_internal::FailedRecipientsFromNotice(
                  "Delivery failed:\nuser@example.com: 550 5.1.1 no such user\n"),
              ElementsAre("user@example.com"));
  EXPECT_THAT(email_internal::FailedRecipientsFromNotice(
                  ">>> RCPT TO:<who@example.com>\n<<< 550 5.1.1 unknown\n"),
              ElementsAre("who@example.com"));
  EXPECT_THAT(email_internal::FailedRecipientsFromNotice(
                  ">>> RCPT TO:<later@example.com>\n<<< 421 try again later\n"),
              IsEmpty());
}

// Bounces as they arrive when nothing marks them automatic: no
// Auto-Submitted, a Return-Path that is not null (a forwarder rewrote it),
// multipart/mixed rather than multipart/report. Each was taken as a
// customer's mail before and opened a ticket.
struct BounceSample {
  std::string name;
  std::string raw;
  std::vector<std::string> bounced;
};

std::vector<BounceSample> BounceSamples() {
  const std::string returned = absl::StrCat(
      "Return-Path: <support@desk.example>\r\n",
      "Received: from desk.example (desk.example [192.0.2.10])\r\n",
      "\tby mx.example.org with ESMTPS id 4Ab1Cd; Mon, 5 Jan 2026 09:00:00 +0000\r\n",
      "From: Support <support@desk.example>\r\n", "To: gone@example.org\r\n",
      "Subject: Re: printer [#12]\r\n", "Date: Mon, 5 Jan 2026 08:59:58 +0000\r\n",
      "Message-ID: <hd.1@desk.example>\r\n");
  return {
      {"Postfix",
       Mail({"Return-Path: <MAILER-DAEMON@mx.example.com>",
             "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)",
             "To: support@desk.example", "Subject: Undelivered Mail Returned to Sender",
             "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"p1\"", "", "--p1",
             "Content-Type: text/plain; charset=us-ascii", "",
             "This is the mail system at host mx.example.com.", "",
             "I'm sorry to have to inform you that your message could not",
             "be delivered to one or more recipients. It's attached below.", "",
             "                   The mail system", "",
             "<gone@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1",
             "    <gone@example.org>: Recipient address rejected: User unknown in virtual",
             "    mailbox table (in reply to RCPT TO command)", "", "--p1",
             "Content-Type: message/rfc822", "", returned, "We restarted it.", "--p1--"}),
       {"gone@example.org"}},
      {"Exim",
       Mail({"Return-path: <bounces+srs=x@forwarder.example>",
             "From: Mail Delivery System <Mailer-Daemon@mail.example.net>",
             "To: support@desk.example", "X-Failed-Recipients: gone@example.org, Old@Example.net",
             "Subject: Mail delivery failed: returning message to sender", "",
             "This message was created automatically by mail delivery software.", "",
             "A message that you sent could not be delivered to one or more of its",
             "recipients. This is a permanent error. The following address(es) failed:", "",
             "  gone@example.org", "    host mx.example.org [192.0.2.1]",
             "    SMTP error from remote mail server after RCPT TO:<gone@example.org>:",
             "    550 5.1.1 User unknown", "",
             "------ This is a copy of the message, including all the headers. ------", "",
             returned, "We restarted it."}),
       {"gone@example.org", "old@example.net"}},
      {"qmail from post_master",
       Mail({"From: post_master@mx4.example.jp", "To: support@desk.example",
             "Subject: failure notice", "",
             "Hi. This is the qmail-send program at mx4.example.jp.",
             "I'm afraid I wasn't able to deliver your message to the following addresses.",
             "This is a permanent error; I've given up. Sorry it didn't work out.", "",
             "<gone@example.org>:", "Sorry, no mailbox here by that name. (#5.1.1)", "",
             "--- Below this line is a copy of the message.", "", returned,
             "We restarted it."}),
       {"gone@example.org"}},
      {"Exchange NDR",
       Mail({"From: Microsoft Outlook <postmaster@contoso.onmicrosoft.com>",
             "To: support@desk.example", "Subject: Undeliverable: Re: printer [#12]",
             "MIME-Version: 1.0",
             "Content-Type: multipart/report; report-type=delivery-status; boundary=\"x1\"", "",
             "--x1", "Content-Type: text/plain; charset=us-ascii", "",
             "Delivery has failed to these recipients or groups:", "", "gone@example.org",
             "The email address you entered couldn't be found.", "", "--x1",
             "Content-Type: message/delivery-status", "",
             "Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com", "",
             "Final-recipient: RFC822; gone@example.org", "Action: failed",
             "Status: 5.1.10", "Diagnostic-code: smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound",
             "", "--x1", "Content-Type: text/rfc822-headers", "", returned, "--x1--"}),
       {"gone@example.org"}},
      {"Gmail-style notice with the message, no report part",
       Mail({"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
             "To: support@desk.example", "Subject: Delivery Status Notification (Failure)",
             "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"g1\"", "", "--g1",
             "Content-Type: text/plain; charset=UTF-8", "",
             "** Address not found **", "",
             "Your message wasn't delivered to gone@example.org because the address couldn't "
             "be found, or is unable to receive mail.", "", "--g1",
             "Content-Type: message/rfc822", "", returned, "We restarted it.", "--g1--"}),
       {"gone@example.org"}},
      {"no-reply sender, multipart/mixed, message/rfc822",
       Mail({"From: No-Reply <NO-REPLY@Notify.Example.COM>", "To: support@desk.example",
             "Subject: Message not delivered", "MIME-Version: 1.0",
             "Content-Type: multipart/mixed; boundary=\"n1\"", "", "--n1",
             "Content-Type: text/plain", "",
             "Your message could not be delivered to the following recipient:", "",
             "gone@example.org: 550 5.1.1 mailbox unavailable", "", "--n1",
             "Content-Type: message/rfc822", "", returned, "We restarted it.", "--n1--"}),
       {"gone@example.org"}},
      {"noreply sender keeping the original subject, text/rfc822-headers",
       Mail({"From: noreply@bounces.example.net", "To: support@desk.example",
             "Subject: Re: printer [#12]", "MIME-Version: 1.0",
             "Content-Type: multipart/mixed; boundary=\"n2\"", "", "--n2",
             "Content-Type: text/plain", "",
             "Delivery to the following recipient failed permanently:", "",
             "     gone@example.org", "", "--n2", "Content-Type: text/rfc822-headers", "",
             returned, "--n2--"}),
       {"gone@example.org"}},
      {"postmaster, headers copied into the notice, neutral subject",
       Mail({"From: Postmaster <Postmaster@mail.example.org>", "To: support@desk.example",
             "Subject: Notification", "",
             "The following message could not be handed over:", "",
             "<gone@example.org>: 550 no such user", "", returned, "We restarted it."}),
       {"gone@example.org"}},
  };
}

TEST(EmailBounceTest, BouncesWithoutAutomaticMarkersAreRecognised) {
  for (const BounceSample& sample : BounceSamples()) {
    v1::InboundMessage m = MustParse(sample.raw);
    EXPECT_EQ(m.auto_kind(), v1::InboundMessage::BOUNCE) << sample.name;
    EXPECT_THAT(m.bounced_recipients(), ::testing::ElementsAreArray(sample.bounced))
        << sample.name;
    // The returned message is part of the notice, not an attachment.
    EXPECT_THAT(m.attachments(), IsEmpty()) << sample.name;
  }
}

TEST(EmailBounceTest, NoReplySendersWithoutAReturnedMessageAreNotBounces) {
  // A notification relaying what a person wrote (the corpus has one).
  EXPECT_EQ(KindOf({"From: Sandy M. <noreply@rubyforge.org>",
                    "Subject: [skynet-help][60666] How are intermediate files handled?"},
                   "Sandy asked: how are intermediate files handled?"),
            v1::InboundMessage::HUMAN);
  // A service forwarding a message it received, saying nothing failed.
  v1::InboundMessage forward = MustParse(Mail({
      "From: noreply@forms.example.com", "To: support@desk.example",
      "Subject: New submission", "MIME-Version: 1.0",
      "Content-Type: multipart/mixed; boundary=\"f1\"", "", "--f1",
      "Content-Type: text/plain", "", "A customer wrote to sales; the message is attached.",
      "--f1", "Content-Type: message/rfc822", "", "From: ada@example.com",
      "To: sales@example.com", "Subject: printer", "Message-ID: <a.1@example.com>", "",
      "It jams.", "--f1--"}));
  EXPECT_EQ(forward.auto_kind(), v1::InboundMessage::HUMAN);
  EXPECT_THAT(forward.attachments(), SizeIs(1));
  // A person pasting a header into their mail is not a bounce either.
  EXPECT_EQ(KindOf({"From: ada@example.com", "Subject: spam I got"},
                   "Received: from spam.example\r\nFrom: x@spam.example\r\n"
                   "Subject: cheap\r\nMessage-ID: <s@spam.example>\r\n"),
            v1::InboundMessage::HUMAN);
}

}  // namespace
}  // namespace helpdesk
