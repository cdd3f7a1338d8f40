// The e-mail channel: parsing (threading keys, quoted history, auto-replies
// and bounces, damaged input, limits), building outbound mail, and the
// Maildir transport and source.
#include "helpdesk/channels/email.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "channels/email_classify.h"
#include "channels/email_header_text.h"
#include "channels/email_text.h"
#include "desk/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/testing/status_matchers.h"

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

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 1, 5, 9, 0, 0),
                                        absl::UTCTimeZone());

// Joins header and body lines with CRLF.
std::string Mail(std::initializer_list<std::string> lines) {
  return absl::StrCat(absl::StrJoin(lines, "\r\n"), "\r\n");
}

v1::InboundMessage MustParse(absl::string_view raw, const EmailInboundOptions& options = {}) {
  absl::StatusOr<v1::InboundMessage> m = NewEmailInbound(options)->Parse(raw, kNow);
  EXPECT_THAT(m, IsOk());
  return m.ok() ? *m : v1::InboundMessage();
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& warnings) {
  return absl::StrJoin(warnings, " | ");
}

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

// ---------------------------------------------------------------------------
// Structure, charsets, damaged input
// ---------------------------------------------------------------------------

TEST(EmailStructureTest, AlternativeInlineImageAndAttachments) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: pictures",
      "MIME-Version: 1.0",
      "Content-Type: multipart/mixed; boundary=\"m\"",
      "",
      "--m",
      "Content-Type: multipart/alternative; boundary=\"a\"",
      "",
      "--a",
      "Content-Type: text/plain; charset=iso-8859-1",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Gr=FC=DFe",
      "--a",
      "Content-Type: multipart/related; boundary=\"r\"",
      "",
      "--r",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>Gr&uuml;&szlig;e <img src=\"cid:logo@x\"></p>",
      "--r",
      "Content-Type: image/png",
      "Content-ID: <logo@x>",
      "Content-Transfer-Encoding: base64",
      "",
      "iVBORw0KGgo=",
      "--r--",
      "--a--",
      "--m",
      "Content-Type: application/pdf; name*=UTF-8''Rechnung%20M%C3%A4rz.pdf",
      "Content-Disposition: attachment",
      "Content-Transfer-Encoding: base64",
      "",
      "JVBERi0xLjQK",
      "--m",
      "Content-Type: message/rfc822",
      "",
      "From: b@example.com",
      "Subject: the original / complaint",
      "",
      "forwarded text",
      "--m--",
  }));
  EXPECT_EQ(m.body_text(), "Gr\xC3\xBC\xC3\x9F" "e");
  EXPECT_THAT(m.body_html(), HasSubstr("cid:logo@x"));
  ASSERT_THAT(m.attachments(), SizeIs(3));
  EXPECT_EQ(m.attachments(0).media_type(), "image/png");
  EXPECT_EQ(m.attachments(0).content_id(), "logo@x");
  EXPECT_TRUE(m.attachments(0).inline_());
  EXPECT_EQ(m.attachments(0).content(), "\x89PNG\r\n\x1A\n");
  EXPECT_EQ(m.attachments(1).file_name(), "Rechnung M\xC3\xA4rz.pdf");
  EXPECT_EQ(m.attachments(1).content(), "%PDF-1.4\n");
  EXPECT_FALSE(m.attachments(1).inline_());
  EXPECT_EQ(m.attachments(2).media_type(), "message/rfc822");
  EXPECT_EQ(m.attachments(2).file_name(), "the original - complaint.eml");
  EXPECT_THAT(m.attachments(2).content(), HasSubstr("forwarded text"));
}

TEST(EmailStructureTest, HtmlOnlyBodyGetsAReadableText) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: html",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<html><head><title>T</title><style>p {color: red}</style></head><body>",
      "<p>Hello&nbsp;<b>World</b> &amp; co &#8364; &#x263A;</p><div>line two<br>line",
      "three</div><ul><li>one</li><li>two</li></ul><script>alert(1)</script>",
      "<p>bye &lt;3 &bogus; &#0;</p></body></html>",
  }));
  EXPECT_EQ(m.body_text(),
            "Hello World & co \xE2\x82\xAC \xE2\x98\xBA\n\nline two\nline three\n"
            "- one\n- two\n\nbye <3 &bogus; \xEF\xBF\xBD");
}

TEST(EmailStructureTest, FormatFlowedIsUnwrapped) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Content-Type: text/plain; charset=utf-8; format=flowed",
      "",
      "This is a long ",
      "paragraph.",
      " From the start.",
      "-- ",
      "sig",
  }));
  EXPECT_EQ(m.body_text(), "This is a long paragraph.\nFrom the start.\n-- \nsig");
}

TEST(EmailStructureTest, UuencodedFilesInTheBody) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: uu",
      "",
      "see file",
      "begin 644 hi.txt",
      "#:&D*",
      "`",
      "end",
      "bye",
  }));
  EXPECT_EQ(m.body_text(), "see file\nbye");
  ASSERT_THAT(m.attachments(), SizeIs(1));
  EXPECT_EQ(m.attachments(0).file_name(), "hi.txt");
  EXPECT_EQ(m.attachments(0).content(), "hi\n");
}

TEST(EmailStructureTest, SignaturePartsAreNotAttachments) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=s",
      "",
      "--s",
      "Content-Type: text/plain",
      "",
      "signed text",
      "--s",
      "Content-Type: application/pkcs7-signature; name=smime.p7s",
      "Content-Transfer-Encoding: base64",
      "",
      "AAAA",
      "--s--",
  }));
  EXPECT_EQ(m.body_text(), "signed text");
  EXPECT_THAT(m.attachments(), IsEmpty());
}

TEST(EmailCharsetTest, EveryCommonCharsetBecomesUtf8) {
  struct Case {
    const char* charset;
    std::string bytes;
    std::string utf8;
  };
  const std::vector<Case> cases = {
      {"iso-8859-1", "caf\xE9", "caf\xC3\xA9"},
      {"windows-1252", "\x93quoted\x94 \x80", "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC"},
      {"iso-8859-2", "\xB3\xF3\xBF", "\xC5\x82\xC3\xB3\xC5\xBC"},
      {"koi8-r", "\xD4\xC5\xD3\xD4", "\xD1\x82\xD0\xB5\xD1\x81\xD1\x82"},
      {"windows-1251", "\xF2\xE5\xF1\xF2", "\xD1\x82\xD0\xB5\xD1\x81\xD1\x82"},
      {"shift_jis", "\x83\x65\x83\x58\x83\x67", "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88"},
      {"iso-2022-jp", "\x1B$B%F%9%H\x1B(B", "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88"},
      {"euc-kr", "\xC7\xD1", "\xED\x95\x9C"},
      {"ks_c_5601-1987", "\xC7\xD1", "\xED\x95\x9C"},
      {"gb2312", "\xD6\xD0", "\xE4\xB8\xAD"},
      {"big5", "\xA4\xA4", "\xE4\xB8\xAD"},
      {"utf-7", "+ZeVnLIqe-", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"unicode-1-1-utf-7", "+ZeVnLIqe-", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"utf-8", "\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    EXPECT_EQ(email_internal::ConvertToUtf8(c.bytes, c.charset, "body", &warnings), c.utf8)
        << c.charset;
    EXPECT_THAT(warnings, IsEmpty()) << c.charset;
  }
}

TEST(EmailCharsetTest, WrongOrUnknownCharsetsDegradeWithAWarning) {
  // Labelled Latin-1, but the bytes are UTF-8.
  v1::InboundMessage a = MustParse(Mail({"From: a@example.com",
                                         "Content-Type: text/plain; charset=iso-8859-1", "",
                                         "caf\xC3\xA9"}));
  EXPECT_EQ(a.body_text(), "caf\xC3\xA9");
  EXPECT_THAT(Joined(a.warnings()), HasSubstr("iso-8859-1"));
  // Labelled UTF-8, but the bytes are Latin-1.
  v1::InboundMessage b = MustParse(Mail({"From: a@example.com",
                                         "Content-Type: text/plain; charset=utf-8", "",
                                         "caf\xE9 cr\xE8me"}));
  EXPECT_EQ(b.body_text(), "caf\xC3\xA9 cr\xC3\xA8me");
  EXPECT_THAT(Joined(b.warnings()), HasSubstr("utf-8"));
  // An unknown label.
  v1::InboundMessage c = MustParse(Mail({"From: a@example.com",
                                         "Content-Type: text/plain; charset=x-martian", "",
                                         "caf\xE9"}));
  EXPECT_EQ(c.body_text(), "caf\xC3\xA9");
  EXPECT_THAT(Joined(c.warnings()), HasSubstr("x-martian"));
  // A label that cannot decode the bytes (invalid Shift_JIS).
  v1::InboundMessage d = MustParse(Mail({"From: a@example.com",
                                         "Content-Type: text/plain; charset=shift_jis", "",
                                         "ok \x81\xFF\xFF"}));
  EXPECT_TRUE(email_internal::IsValidUtf8(d.body_text()));
  EXPECT_THAT(d.body_text(), HasSubstr("ok "));
  EXPECT_THAT(Joined(d.warnings()), HasSubstr("shift_jis"));
}

TEST(EmailCharsetTest, RawEightBitHeadersAndBrokenEncodedWords) {
  v1::InboundMessage m = MustParse(Mail({
      "From: \"Ren\xE9\" <rene@example.com>",
      "Subject: =?utf-8?B?/w==?= caf\xE9 =?bogus?Q?x?= \xFF\xFE",
      "To: =?koi8-r?B?1MXT1A==?= <t@example.com>",
      "",
      "\x80\x81 body with NUL \0 byte",
  }));
  EXPECT_TRUE(email_internal::IsValidUtf8(m.subject())) << m.subject();
  EXPECT_TRUE(email_internal::IsValidUtf8(m.from().name()));
  EXPECT_TRUE(email_internal::IsValidUtf8(m.body_text()));
  EXPECT_EQ(m.body_text().find('\0'), std::string::npos);
  EXPECT_THAT(m.subject(), HasSubstr("caf\xC3\xA9"));
  EXPECT_EQ(m.to(0).name(), "\xD1\x82\xD0\xB5\xD1\x81\xD1\x82");
}

// ---------------------------------------------------------------------------
// Header text: RFC 2047 decoding
// ---------------------------------------------------------------------------

// Expected values are Python's email.header decoding (make_header of
// decode_header) of the same input, except where a comment says otherwise.
TEST(EmailHeaderTextTest, DecodesLikePythonsEmailPackage) {
  struct Case {
    std::string raw;
    std::string decoded;
  };
  const std::vector<Case> cases = {
      {"=?iso-8859-1?q?caf=E9?= =?iso-8859-1?q?_cr=E8me?=", "caf\xC3\xA9 cr\xC3\xA8me"},
      {"Re: =?utf-8?q?caf=C3=A9?= ok", "Re: caf\xC3\xA9 ok"},
      {"=?utf-8?q?a?==?utf-8?q?b?=", "ab"},
      {"=?ISO-2022-JP?B?GyRCJEYkOSRIGyhC?=", "\xE3\x81\xA6\xE3\x81\x99\xE3\x81\xA8"},
      {"=?koi8-r?B?1MXT1A==?= and =?windows-1251?B?8uXx8g==?=",
       "\xD1\x82\xD0\xB5\xD1\x81\xD1\x82 and \xD1\x82\xD0\xB5\xD1\x81\xD1\x82"},
      // A multi-byte character split across adjacent words.
      {"=?UTF-8?B?R3LD?=\r\n =?UTF-8?B?vGU=?=", "Gr\xC3\xBC" "e"},
      // Padding inside a run of words.
      {"=?UTF-8?B?SGVsbG8=?=\r\n =?UTF-8?B?IHdvcmxk?=", "Hello world"},
      {"=?UTF-8?B?R3LDvA==?=\r\n =?UTF-8?B?w59lIGF1cyBLw7Zsbg==?=",
       "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln"},
      // Not Python's (it does not know "*lang"): RFC 2231 language suffix.
      {"=?utf-8*en?q?hello_world?=", "hello world"},
      // Glued to text (Python too).
      {"price:=?utf-8?q?=E2=82=AC5?=!", "price:\xE2\x82\xAC" "5!"},
      // Not encoded words: kept as written.
      {"=?utf-8?x?abc?= and =? and =?utf-8?q?open", "=?utf-8?x?abc?= and =? and =?utf-8?q?open"},
      // Raw 8-bit text: UTF-8 when valid, else windows-1252.
      {"caf\xC3\xA9", "caf\xC3\xA9"},
      {"caf\xE9 \x80", "caf\xC3\xA9 \xE2\x82\xAC"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(email_internal::DecodeHeaderText(c.raw), c.decoded) << c.raw;
  }
  // An unknown charset: best effort, valid UTF-8, with a warning.
  std::vector<std::string> warnings;
  EXPECT_EQ(email_internal::DecodeHeaderText("=?x-martian?q?caf=E9?=", "Subject", &warnings),
            "caf\xC3\xA9");
  EXPECT_THAT(absl::StrJoin(warnings, " | "), HasSubstr("x-martian"));
  EXPECT_TRUE(email_internal::IsValidUtf8(
      email_internal::DecodeHeaderText("=?utf-8?b?/w==?= =?shift_jis?q?=81=FF?=")));
}

// GMime 3.2 joins the base64 text of adjacent words and stops at the first
// padding: "Gr\xC3\xBC\xC3\x9F" "e aus K?" was all that was left of this subject.
TEST(EmailHeaderTextTest, FoldedBase64SubjectWithASplitCharacterLosesNothing) {
  v1::InboundMessage m = MustParse(Mail({
      "From: =?UTF-8?B?R3LD?= =?UTF-8?B?vGU=?= <a@example.com>",
      "Subject: =?UTF-8?B?R3LD?=",
      " =?UTF-8?B?vMOfZSBhdXMgS8M=?=",
      " =?UTF-8?B?tmxuIOKAlCDml6XmnKzoqp7jga7jg4bjgq3jgrnjg4g=?=",
      "",
      "hi",
  }));
  // Python: Grüße aus Köln — 日本語のテキスト
  EXPECT_EQ(m.subject(),
            "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln \xE2\x80\x94 "
            "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD"
            "\xE3\x82\xB9\xE3\x83\x88");
  EXPECT_EQ(m.from().name(), "Gr\xC3\xBC" "e");
  v1::InboundMessage padded = MustParse(Mail({
      "From: a@example.com", "Subject: =?UTF-8?B?SGVsbG8=?=", " =?UTF-8?B?IHdvcmxk?=", "", "hi"}));
  EXPECT_EQ(padded.subject(), "Hello world");
}

TEST(EmailHeaderTextTest, EncodedWordsGMimeLeavesAreDecoded) {
  v1::InboundMessage m = MustParse(Mail({
      "From: \"=?utf-8?q?Jos=C3=A9?= Garc=?utf-8?q?=C3=AD?=a\" <jose@example.com>",
      "Subject: [#7]=?utf-8?q?caf=C3=A9?=",
      "MIME-Version: 1.0",
      "Content-Type: multipart/mixed; boundary=b",
      "",
      "--b",
      "Content-Type: text/plain",
      "",
      "see file",
      "--b",
      "Content-Type: application/pdf",
      "Content-Disposition: attachment; filename=\"=?utf-8?q?r=C3=A9sum=C3=A9?=.pdf\"",
      "",
      "%PDF",
      "--b--",
  }));
  EXPECT_EQ(m.from().name(), "Jos\xC3\xA9 Garc\xC3\xAD" "a");
  EXPECT_EQ(m.subject(), "[#7]caf\xC3\xA9");
  EXPECT_EQ(m.threading().ticket_token(), 7);
  ASSERT_THAT(m.attachments(), SizeIs(1));
  EXPECT_EQ(m.attachments(0).file_name(), "r\xC3\xA9sum\xC3\xA9.pdf");
}

// Unclosed encoded words: GMime's lenient decoder rescanned to the end of the
// value from every "=?" (272 KB took 1.6 s, 1 MB 25 s). The decoder looks at
// each byte a bounded number of times whatever the input.
TEST(EmailHeaderTextTest, HostileValuesCostLinearWork) {
  for (const std::string& unit :
       {std::string("=?utf-8?q?a"), std::string("=?utf-8?q? "), std::string("=?"),
        std::string("=?utf-8?q?"), std::string("=?utf-8?b?"), std::string("=?x?q?a?="),
        std::string("=?a?q?=?b?b?"), std::string("?=?=?"), std::string("=?utf-8?q?a?= "),
        std::string("=?") + std::string(60, 'c') + "?"}) {
    std::string value;
    while (value.size() < (size_t{256} << 10)) value += unit;
    email_internal::HeaderTextStats stats;
    std::string decoded = email_internal::DecodeHeaderText(value, "Subject", nullptr, &stats);
    // Five passes at most: unfolding, the searches for "=?" and for "?=", the
    // charset labels, the gaps between words.
    EXPECT_LE(stats.bytes_examined, 5 * value.size() + 64) << "'" << unit << "'";
    EXPECT_TRUE(email_internal::IsValidUtf8(decoded)) << "'" << unit << "'";
  }
}

// The same hostile text in every place the parser decodes header text: the
// subject, a display name, a file name, a forwarded message's subject. Each
// took from 1.3 s to 25 s (quadratic) before. Timed against the same message
// with plain text of the same size in its place, in the same run, so that a
// loaded machine or a sanitizer build slows both alike: linear work keeps the
// ratio near 1, quadratic work made it over 100.
TEST(EmailLimitsTest, HostileEncodedWordsParseInLinearTime) {
  const size_t kSize = size_t{1} << 20;
  std::string hostile;
  while (hostile.size() < kSize) hostile += "=?utf-8?q?a";
  const std::string plain(hostile.size(), 'a');
  EmailInboundOptions no_cut;
  no_cut.max_header_field_bytes = size_t{4} << 20;
  std::unique_ptr<InboundAdapter> email = NewEmailInbound(no_cut);
  auto message = [](int kind, const std::string& text) {
    switch (kind) {
      case 0:
        return Mail({"From: a@example.com", "Subject: " + text, "", "hi"});
      case 1:
        return Mail({"From: " + text + " <a@example.com>", "Subject: x", "", "hi"});
      default:
        return Mail({"From: a@example.com", "Subject: x",
                     "Content-Type: multipart/mixed; boundary=b", "", "--b",
                     "Content-Type: application/octet-stream",
                     "Content-Disposition: attachment; filename=\"" + text + "\"", "", "xx",
                     "--b", "Content-Type: message/rfc822", "", "From: b@example.com",
                     "Subject: " + text, "", "inner", "--b--"});
    }
  };
  auto seconds_to_parse = [&](const std::string& raw) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<v1::InboundMessage> m = email->Parse(raw, kNow);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_THAT(m, IsOk());
    return elapsed.count();
  };
  for (int kind = 0; kind < 3; ++kind) {
    const double baseline = seconds_to_parse(message(kind, plain));
    const double hostile_seconds = seconds_to_parse(message(kind, hostile));
    EXPECT_LT(hostile_seconds, 5 * baseline + 0.5)
        << "message " << kind << ": " << hostile_seconds << " s, plain text " << baseline
        << " s";
  }
  v1::InboundMessage whole = MustParse(message(0, hostile), no_cut);
  EXPECT_EQ(whole.subject(), hostile);  // nothing in it is an encoded word
}

TEST(EmailLimitsTest, LongHeaderFieldIsCutWithAWarning) {
  const std::string subject(100000, 'x');
  v1::InboundMessage m = MustParse(Mail({"From: a@example.com", "Subject: " + subject,
                                         "Message-ID: <long@example.com>", "", "hi"}));
  EXPECT_GT(m.subject().size(), 60000u);
  EXPECT_LT(m.subject().size(), 65536u);
  EXPECT_EQ(m.threading().message_id(), "long@example.com");
  EXPECT_EQ(m.body_text(), "hi");
  EXPECT_THAT(Joined(m.warnings()),
              AllOf(HasSubstr("'Subject'"), HasSubstr("65536"), HasSubstr("cut")));
}

TEST(EmailDamageTest, TruncatedMessage) {
  const std::string full = Mail({
      "From: a@example.com",
      "Subject: truncated",
      "MIME-Version: 1.0",
      "Content-Type: multipart/mixed; boundary=\"t\"",
      "",
      "--t",
      "Content-Type: text/plain",
      "",
      "the text survives",
      "--t",
      "Content-Type: application/pdf; name=big.pdf",
      "Content-Transfer-Encoding: base64",
      "",
      "JVBERi0xLjQKJVBERi0xLjQKJVBERi0xLjQKJVBERi0xLjQKJVBERi0xLjQK",
      "JVBERi0xLjQKJVBERi0xLjQKJVBERi0xLjQKJVBERi0xLjQKJVBERi0xLjQK",
      "--t--",
  });
  // Cut everywhere: never an error, never invalid UTF-8.
  for (size_t cut = 0; cut < full.size(); cut += 7) {
    absl::StatusOr<v1::InboundMessage> m =
        NewEmailInbound()->Parse(absl::string_view(full).substr(0, cut), kNow);
    ASSERT_THAT(m, IsOk()) << cut;
    EXPECT_TRUE(email_internal::IsValidUtf8(m->body_text()));
  }
  v1::InboundMessage m = MustParse(full.substr(0, full.size() - 80));
  EXPECT_EQ(m.body_text(), "the text survives");
  EXPECT_EQ(m.subject(), "truncated");
}

TEST(EmailDamageTest, MissingBoundaryParameterIsRecovered) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "MIME-Version: 1.0",
      "Content-Type: multipart/mixed",
      "",
      "--lost",
      "Content-Type: text/plain",
      "",
      "first",
      "--lost",
      "Content-Type: application/octet-stream; name=f.bin",
      "",
      "data",
      "--lost--",
  }));
  EXPECT_EQ(m.body_text(), "first");
  ASSERT_THAT(m.attachments(), SizeIs(1));
  EXPECT_EQ(m.attachments(0).file_name(), "f.bin");
  EXPECT_THAT(Joined(m.warnings()), HasSubstr("repaired"));
}

TEST(EmailDamageTest, BoundaryThatNeverOccursReadsTheContentAsText) {
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Content-Type: multipart/mixed; boundary=\"nowhere\"",
      "",
      "plain words where parts were promised",
  }));
  EXPECT_EQ(m.body_text(), "plain words where parts were promised");
  EXPECT_THAT(Joined(m.warnings()), HasSubstr("no parts"));
}

TEST(EmailDamageTest, DeepNestingIsCut) {
  std::string raw = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
  const int kLevels = 300;
  for (int i = 1; i < kLevels; ++i) {
    absl::StrAppend(&raw, "--b", i - 1, "\r\nContent-Type: multipart/mixed; boundary=b", i,
                    "\r\n\r\n");
  }
  absl::StrAppend(&raw, "--b", kLevels - 1, "\r\nContent-Type: text/plain\r\n\r\ndeep\r\n");
  for (int i = kLevels - 1; i >= 0; --i) absl::StrAppend(&raw, "--b", i, "--\r\n");
  v1::InboundMessage m = MustParse(raw);
  EXPECT_THAT(Joined(m.warnings()), HasSubstr("nested deeper"));
}

TEST(EmailLimitsTest, TenThousandHeaderLinesAreFastAndKeepTheImportantFields) {
  std::string raw;
  for (int i = 0; i < 10000; ++i) absl::StrAppend(&raw, "X-Filler-", i, ": value ", i, "\r\n");
  absl::StrAppend(&raw, "From: late@example.com\r\nSubject: still found\r\n",
                  "Auto-Submitted: auto-replied\r\n\r\nbody\r\n");
  const auto start = std::chrono::steady_clock::now();
  v1::InboundMessage m = MustParse(raw);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5));  // milliseconds in a release build
  EXPECT_EQ(m.subject(), "still found");
  EXPECT_EQ(m.from().email(), "late@example.com");
  EXPECT_EQ(m.auto_kind(), v1::InboundMessage::AUTO_REPLY);
  EXPECT_EQ(m.body_text(), "body");
  EXPECT_THAT(Joined(m.warnings()), HasSubstr("over the limit of 10000"));

  EmailInboundOptions generous;
  generous.max_header_lines = 20000;
  v1::InboundMessage all = MustParse(raw, generous);
  EXPECT_EQ(all.subject(), "still found");
  EXPECT_THAT(all.warnings(), IsEmpty());
}

TEST(EmailLimitsTest, AttachmentOverTheLimitIsDroppedWithAWarning) {
  const std::string big(6000, 'A');  // base64 of 4500 bytes
  EmailInboundOptions options;
  options.max_attachment_bytes = 1000;
  v1::InboundMessage m = MustParse(Mail({
      "From: a@example.com",
      "Subject: files",
      "Content-Type: multipart/mixed; boundary=z",
      "",
      "--z",
      "Content-Type: text/plain",
      "",
      "two files",
      "--z",
      "Content-Type: application/zip; name=huge.zip",
      "Content-Transfer-Encoding: base64",
      "",
      big,
      "--z",
      "Content-Type: text/csv; name=small.csv",
      "",
      "a,b",
      "--z--",
  }), options);
  EXPECT_EQ(m.body_text(), "two files");
  ASSERT_THAT(m.attachments(), SizeIs(1));
  EXPECT_EQ(m.attachments(0).file_name(), "small.csv");
  EXPECT_THAT(Joined(m.warnings()),
              AllOf(HasSubstr("huge.zip"), HasSubstr("4500 bytes"), HasSubstr("1000")));
}

TEST(EmailLimitsTest, MessageOverTheLimitIsResourceExhausted) {
  EmailInboundOptions options;
  options.max_message_bytes = 100;
  EXPECT_THAT(NewEmailInbound(options)->Parse(std::string(101, 'x'), kNow),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("100")));
  EXPECT_THAT(NewEmailInbound(options)->Parse(std::string(100, 'x'), kNow), IsOk());
}

TEST(EmailInboundTest, ParsesOnManyThreadsAtOnce) {
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  const std::string raw = Mail({"From: a@example.com", "Subject: =?utf-8?B?w6k=?=",
                                "Content-Type: text/plain; charset=koi8-r", "",
                                "\xD4\xC5\xD3\xD4"});
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<v1::InboundMessage> m = email->Parse(raw, kNow);
        if (m.ok() && m->subject() == "\xC3\xA9" &&
            m->body_text() == "\xD1\x82\xD0\xB5\xD1\x81\xD1\x82") {
          ++ok[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[t], 50);
}

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
