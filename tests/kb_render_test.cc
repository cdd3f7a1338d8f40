// Knowledge base rendering: Markdown becomes HTML that is safe to embed, and
// hostile Markdown (scripts, unsafe schemes, bombs) never reaches a page.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/kb.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Render(const std::string& md, bool allow_html = false) {
  absl::StatusOr<std::string> html = RenderMarkdown(md, {.allow_raw_html = allow_html});
  EXPECT_TRUE(html.ok()) << html.status();
  return html.ok() ? *html : "";
}

TEST(KbRenderTest, RendersCommonMark) {
  EXPECT_EQ(Render("# Title\n\nSome *text* and `code`."),
            "<h1>Title</h1>\n<p>Some <em>text</em> and <code>code</code>.</p>\n");
  EXPECT_THAT(Render("- one\n- two"), HasSubstr("<li>two</li>"));
}

TEST(KbRenderTest, DropsRawHtmlUnlessAllowed) {
  const std::string md = "Hi <script>alert(1)</script>\n\n<div onclick=\"x()\">block</div>\n";
  std::string html = Render(md);
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("onclick")));
  EXPECT_THAT(html, Not(HasSubstr("raw HTML omitted")));
  EXPECT_THAT(html, HasSubstr("Hi "));
  EXPECT_THAT(Render(md, /*allow_html=*/true), HasSubstr("<script>alert(1)</script>"));
}

TEST(KbRenderTest, KeepsSafeLinksAndImages) {
  EXPECT_THAT(Render("[a](https://example.com/x?y=1)"),
              HasSubstr("<a href=\"https://example.com/x?y=1\">a</a>"));
  EXPECT_THAT(Render("[a](mailto:help@example.com)"), HasSubstr("href=\"mailto:help@example.com\""));
  EXPECT_THAT(Render("[a](/kb/12#step-2)"), HasSubstr("href=\"/kb/12#step-2\""));
  EXPECT_THAT(Render("![logo](img/logo.png)"), HasSubstr("<img src=\"img/logo.png\" alt=\"logo\""));
}

TEST(KbRenderTest, UnsafeSchemesBecomeText) {
  for (const char* md : {"[click](javascript:alert(1))", "[click](JaVaScRiPt:alert(1))",
                         "[click](&#106;avascript:alert(1))", "[click](<java\tscript:alert(1)>)",
                         "[click](vbscript:msgbox)", "[click](data:text/html;base64,PHNjcmlwdD4=)",
                         "[click](file:///etc/passwd)", "<javascript:alert(1)>",
                         "[click][r]\n\n[r]: javascript:alert(1)"}) {
    std::string html = Render(md);
    EXPECT_THAT(html, Not(HasSubstr("href"))) << md;
    EXPECT_THAT(html, Not(HasSubstr("<a"))) << md;
  }
  std::string img = Render("![pwn](javascript:alert(1)) ![d](data:image/png;base64,AAAA)");
  EXPECT_THAT(img, Not(HasSubstr("<img")));
  EXPECT_THAT(img, HasSubstr("pwn"));
  EXPECT_THAT(Render("![m](mailto:a@b.c)"), Not(HasSubstr("<img")));
}

TEST(KbRenderTest, EscapesTextAndAttributes) {
  EXPECT_THAT(Render("a < b & \"c\""), HasSubstr("a &lt; b &amp; &quot;c&quot;"));
  EXPECT_THAT(Render("[x](https://e.com/\"onmouseover=\"alert(1))"), Not(HasSubstr("\"onmouseover")));
}

TEST(KbRenderTest, MarkdownBombsAreBounded) {
  std::string deep(10000, '>');
  EXPECT_THAT(RenderMarkdown(deep + " x", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string lists;
  for (int i = 0; i < 200; ++i) lists += std::string(2 * i, ' ') + "- x\n";
  EXPECT_THAT(RenderMarkdown(lists, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string emph(5000, '*');
  // Refused or rendered, but answered.
  absl::StatusCode code = RenderMarkdown(emph + "x" + emph, {}).status().code();
  EXPECT_TRUE(code == absl::StatusCode::kOk || code == absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(RenderMarkdown(std::string(kMaxMarkdownBytes + 1, 'a'), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body_markdown")));
  EXPECT_THAT(RenderMarkdown("bad \xff utf8", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(RenderMarkdown(std::string(20000, '[') + std::string(20000, ']'), {}).ok());
}

TEST(KbRenderTest, PlainTextKeepsWordsNotMarkup) {
  absl::StatusOr<std::string> text = MarkdownToPlainText(
      "# Facturas\n\nDescarga la *factura* en [el portal](https://x.example).\n\n<div>raw</div>");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "Facturas\nDescarga la factura en el portal.");
}

TEST(KbRenderTest, LineDiff) {
  EXPECT_EQ(KbLineDiff("a\nb\nc", "a\nx\nc"), "  a\n- b\n+ x\n  c");
  EXPECT_EQ(KbLineDiff("", "new"), "+ new");
  EXPECT_EQ(KbLineDiff("same", "same"), "  same");
}

}  // namespace
}  // namespace helpdesk
