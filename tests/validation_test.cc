#include "internal/text_checks.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::internal {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;

// A slow, obviously-correct decoder: the reference for FindInvalidUtf8.
bool ReferenceValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    int len = c < 0x80 ? 1 : c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3
                           : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (int k = 1; k < len; ++k) {
      unsigned char d = s[i + k];
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

TEST(Utf8Test, AgreesWithReferenceOnEveryShortSequence) {
  // Every 1- and 2-byte string, and every 3-byte string with a lead byte of
  // 0xE0-0xF4 (the interesting ones), cover overlongs, surrogates and ranges.
  for (int a = 0; a < 256; ++a) {
    std::string one(1, static_cast<char>(a));
    ASSERT_EQ(FindInvalidUtf8(one) == absl::string_view::npos, ReferenceValidUtf8(one))
        << a;
    for (int b = 0; b < 256; ++b) {
      std::string two = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(FindInvalidUtf8(two) == absl::string_view::npos,
                ReferenceValidUtf8(two))
          << a << " " << b;
    }
  }
  for (int a = 0xE0; a <= 0xF4; ++a) {
    for (int b = 0x80; b < 0xC0; ++b) {
      for (int c = 0x70; c < 0xC8; ++c) {
        std::string three = {static_cast<char>(a), static_cast<char>(b),
                             static_cast<char>(c)};
        ASSERT_EQ(FindInvalidUtf8(three) == absl::string_view::npos,
                  ReferenceValidUtf8(three));
        std::string four = three + "\x80";
        ASSERT_EQ(FindInvalidUtf8(four) == absl::string_view::npos,
                  ReferenceValidUtf8(four));
      }
    }
  }
}

TEST(Utf8Test, ReportsOffsetOfFirstBadByte) {
  EXPECT_EQ(FindInvalidUtf8("caf\xC3\xA9 ok"), absl::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("ok \xF0\x9F\x98"), 3u);  // truncated emoji
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
}

TEST(CheckTextTest, NamesFieldSizeAndValue) {
  EXPECT_THAT(CheckText("subject", "abcdef", 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("subject is 6 bytes, over the limit of 5: 'abcdef'")));
  EXPECT_THAT(CheckText("body", std::string("a\0b", 3), 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NUL")));
  EXPECT_THAT(CheckRequiredText("name", " \t", 10),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("name must not be empty")));
}

TEST(QuoteTest, ShortensLongValuesAndEscapes) {
  std::string q = Quote(std::string(500, 'x'));
  EXPECT_LT(q.size(), 90u);
  EXPECT_THAT(q, HasSubstr("(500 bytes)"));
  EXPECT_EQ(Quote("a\nb"), "'a\\nb'");
}

TEST(NormalizeTest, Tags) {
  EXPECT_EQ(*NormalizeTag("tags[0]", "  VPN ", 100), "vpn");
  EXPECT_THAT(NormalizeTag("tags[0]", "a,b", 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tags[0]")));
  EXPECT_THAT(NormalizeTag("tags[1]", "", 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tags[1]")));
}

TEST(NormalizeTest, Emails) {
  EXPECT_EQ(*NormalizeEmail("email", " Ada.L@Example.COM "), "ada.l@example.com");
  for (const char* bad : {"", "ada", "@example.com", "ada@", "a@b@c", "a b@c.d",
                          "ada@.example.com", "ada@example..com", "<ada@x.y>"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(NormalizeEmail("email", bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email")));
  }
}

// RFC 5322 quoted local parts are addresses real customers have.
TEST(ValidationTest, NormalizeEmailTakesQuotedLocalParts) {
  EXPECT_EQ(*NormalizeEmail("email", "\"John Smith\"@Example.com"),
            "\"john smith\"@example.com");
  // A quoted dot-atom is the same address unquoted.
  EXPECT_EQ(*NormalizeEmail("email", "\"ada.l\"@example.com"), "ada.l@example.com");
  // '@', quotes and backslashes inside the quotes; escapes kept canonical.
  EXPECT_EQ(*NormalizeEmail("email", "\"a@b\"@x.example"), "\"a@b\"@x.example");
  EXPECT_EQ(*NormalizeEmail("email", "\"say \\\"hi\\\"\"@x.example"),
            "\"say \\\"hi\\\"\"@x.example");
  EXPECT_EQ(*NormalizeEmail("email", "\"\\a\"@x.example"), "a@x.example");
  for (const char* bad : {"\"open@x.example", "\"\"@x.example", "\"a b\"x@y.example",
                          "\"a b\"", "\"a\rb\"@x.example", "\"a b\"@", "\"a\"@b@c"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(NormalizeEmail("email", bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email")));
  }
}

// Found by tests/fuzz/tokens_fuzzer: "\<DEL>" was taken inside the quotes and
// came out as a bare DEL, which NormalizeEmail refuses, so a stored address
// did not normalise to itself.
TEST(ValidationTest, NormalizeEmailRefusesEscapedDelInQuotedLocalPart) {
  EXPECT_THAT(NormalizeEmail("email", "\"\\\x7f\"@x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a control character in the quoted local part")));
  EXPECT_THAT(NormalizeEmail("email", "\"\x7f\"@x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a control character in the quoted local part")));
}

TEST(NormalizeTest, Phones) {
  EXPECT_EQ(*NormalizePhone("phone", "+1 (555) 010-9999"), "+15550109999");
  EXPECT_EQ(*NormalizePhone("phone", "040.123.45"), "04012345");
  EXPECT_THAT(NormalizePhone("phone", "12"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 digits")));
  EXPECT_THAT(NormalizePhone("phone", "1-800-FLOWERS"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'F'")));
  EXPECT_THAT(NormalizePhone("phone", "12+34"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace helpdesk::internal
