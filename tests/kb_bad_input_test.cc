// The knowledge base's bad-input list (issue 15) through the Desk, on the
// memory store and on SQLite: FTS5 query syntax (lone operators, column
// filters, unbalanced quotes and parentheses) is searched as plain text,
// never an error and never SQLite's message; Markdown bombs (deep nesting,
// huge tables) are refused or rendered within bounds, and a refused article
// leaves the stored ones as they were. (Hostile tracking tokens:
// tests/tracking_test.cc.)
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/kb.h"
#include "helpdesk/names.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "desk_people_fixture.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;

class KbBadInputTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, OpenTestStore(GetParam()));
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
    ASSERT_OK_AND_ASSIGN(v1::Agent ana,
                         desk_->people().CreateAgent(SystemActor(), {.name = "Ana",
                                                                     .email = "ana@desk.example"}));
    ana_ = AgentActor(ana.id());
  }

  int64_t Publish(const NewKbArticle& in) {
    absl::StatusOr<v1::KbArticle> a = desk_->kb().Create(ana_, in);
    EXPECT_THAT(a.status(), IsOk());
    if (!a.ok()) return 0;
    EXPECT_THAT(desk_->kb().Publish(ana_, a->id(), in.locale).status(), IsOk());
    return a->id();
  }

  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  v1::Actor ana_;
};

// What SQLite or FTS5 would say about a query it could not parse.
bool LooksLikeSqliteError(absl::string_view message) {
  const std::string m = absl::AsciiStrToLower(message);
  return absl::StrContains(m, "fts5") || absl::StrContains(m, "syntax") ||
         absl::StrContains(m, "sqlite") || absl::StrContains(m, "no such column") ||
         absl::StrContains(m, "malformed");
}

TEST_P(KbBadInputTest, FtsSyntaxIsSearchedAsPlainText) {
  const int64_t id = Publish({.locale = "es",
                              .title = "Descargar facturas",
                              .body_markdown = "Las facturas están en el portal, en PDF."});
  // Each names "facturas" somewhere: the article is found, as for the word.
  const std::vector<std::string> with_word = {
      "facturas AND",        "AND facturas",         "NOT facturas",
      "facturas NOT",        "-facturas",            "+facturas",
      "^facturas",           "facturas^",            "facturas:",
      "body:facturas",       "kb_fts:facturas",      "{title body}: facturas",
      "{title}:facturas",    "title : facturas",     "(facturas",
      "facturas)",           "((facturas",           "facturas NEAR/2 portal",
      "NEAR(facturas portal, 2)", "facturas*\"",     "\"facturas\" \"",
      "\"\"facturas",        "facturas \"\"",        "facturas OR OR",
      "facturas AND NOT OR", "facturas ;",           "facturas' --",
      "facturas\\",          "facturas % _",         "rowid = 1 OR facturas",
      "*facturas",           "fac*tu*ras facturas",  "facturas **",
  };
  for (const std::string& q : with_word) {
    absl::StatusOr<KbSearchPage> page =
        desk_->kb().Search(AnonymousVisitor(), {.query = q, .locale = "es"});
    ASSERT_THAT(page.status(), IsOk()) << q;
    ASSERT_EQ(page->results.size(), 1u) << q;
    EXPECT_EQ(page->results[0].article_id, id) << q;
  }
  // Nothing but operators and punctuation: an empty page, never an error.
  const std::vector<std::string> operators_only = {
      "AND", "OR", "NOT", "NEAR", "-", "+", "^", "*", "\"", "\"\"", "(", ")", ":",
      "{", "}", "NEAR/3", "AND OR NOT", "* * *", "\" \" \"", "{title}:", ":*", "'", ";",
  };
  for (const std::string& q : operators_only) {
    absl::StatusOr<KbSearchPage> page =
        desk_->kb().Search(AnonymousVisitor(), {.query = q, .locale = "es"});
    ASSERT_THAT(page.status(), IsOk()) << q;
    EXPECT_TRUE(page->results.empty()) << q;
  }
  // Suggestions read a question the same way.
  absl::StatusOr<v1::KbSuggestionSession> s = desk_->kb().Suggest(
      AnonymousVisitor(),
      {.question = "NEAR(facturas AND title:portal) -- ^ \"", .locale = "es"});
  ASSERT_THAT(s.status(), IsOk());
  ASSERT_EQ(s->suggestions_size(), 1);
  EXPECT_EQ(s->suggestions(0).article_id(), id);
  // The only errors are the Desk's own, naming the field.
  absl::Status bad = desk_->kb().Search(AnonymousVisitor(), {.query = "\"facturas \xff"}).status();
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query")));
  EXPECT_FALSE(LooksLikeSqliteError(bad.message())) << bad;
}

TEST_P(KbBadInputTest, MarkdownBombsAreRefusedOrBoundedAndLoseNothing) {
  const int64_t kept = Publish({.locale = "es",
                                .title = "Pagos duplicados",
                                .body_markdown = "Si ves un **pago duplicado**, escríbenos."});
  const std::vector<std::string> refused = {
      std::string(20000, '>') + " hondo",  // quotes 20,000 deep
      [] {
        std::string lists;
        for (int i = 0; i < 300; ++i) lists += std::string(2 * i, ' ') + "- x\n";
        return lists;
      }(),
      std::string(kMaxMarkdownBytes + 1, 'a'),
  };
  for (const std::string& body : refused) {
    EXPECT_THAT(desk_->kb().Create(ana_, {.locale = "es", .title = "Bomba", .body_markdown = body}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body_markdown")))
        << body.substr(0, 40);
    EXPECT_THAT(desk_->kb().Edit(ana_, kept, "es", "Pagos", body),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body_markdown")))
        << body.substr(0, 40);
  }
  // A huge table (1,000 rows of 60 cells, under the size limit) and other
  // wide inputs: rendered, with output bounded by a small multiple of the
  // input (no blow-up), and searchable.
  std::string table = "| " + std::string(60 * 4, '-') + " |\n";
  for (int r = 0; r < 1000; ++r) {
    std::string row = "|";
    for (int c = 0; c < 60; ++c) absl::StrAppend(&row, (r * c) % 7 == 0 ? "pago" : "x", "|");
    table += row + "\n";
  }
  ASSERT_LT(table.size(), kMaxMarkdownBytes);
  const std::vector<std::string> bounded = {
      table,
      std::string(50000, '[') + "pago" + std::string(50000, ']'),
      [] {
        std::string links;
        for (int i = 0; i < 3000; ++i) absl::StrAppend(&links, "[a", i, "]: https://e.x/", i, "\n");
        for (int i = 0; i < 3000; ++i) absl::StrAppend(&links, "[pago][a", i, "] ");
        return links;
      }(),
  };
  for (const std::string& body : bounded) {
    absl::StatusOr<std::string> html = RenderMarkdown(body, {});
    ASSERT_THAT(html.status(), IsOk()) << body.substr(0, 40);
    EXPECT_LT(html->size(), 8 * body.size() + 1024) << body.substr(0, 40);
    ASSERT_OK_AND_ASSIGN(v1::KbArticle a,
                         desk_->kb().Create(ana_, {.locale = "es",
                                                   .title = "Tabla enorme",
                                                   .body_markdown = body}));
    ASSERT_THAT(desk_->kb().Publish(ana_, a.id(), "es").status(), IsOk());
    ASSERT_OK_AND_ASSIGN(KbSearchPage page,
                         desk_->kb().Search(AnonymousVisitor(),
                                            {.query = "pago", .locale = "es", .limit = 100}));
    bool found = false;
    for (const KbSearchResult& r : page.results) {
      found |= r.article_id == a.id();
      // A snippet is a short passage whatever lies between its words.
      EXPECT_LT(r.snippet_html.size(), 4096u) << body.substr(0, 40);
    }
    EXPECT_TRUE(found) << body.substr(0, 40);
  }
  // The article written before the bombs is as it was.
  ASSERT_OK_AND_ASSIGN(KbSearchPage page, desk_->kb().Search(AnonymousVisitor(),
                                                             {.query = "duplicado",
                                                              .locale = "es"}));
  ASSERT_EQ(page.results.size(), 1u);
  EXPECT_EQ(page.results[0].article_id, kept);
  EXPECT_EQ(page.results[0].title, "Pagos duplicados");
  EXPECT_THAT(page.results[0].snippet_html, HasSubstr("<mark>duplicado</mark>"));
}

INSTANTIATE_TEST_SUITE_P(Stores, KbBadInputTest, ::testing::Values("memory", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace helpdesk
