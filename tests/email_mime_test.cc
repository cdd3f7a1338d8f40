// The e-mail channel, parsing MIME: structure, charsets, RFC 2047 header
// text, damaged input and limits.
#include "helpdesk/channels/email.h"

#include "email_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

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

}  // namespace
}  // namespace helpdesk
