// Knowledge base text analysis: folding, stemming per language, query parsing
// (user text is never syntax) and snippets.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/kb.h"

namespace helpdesk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Terms(const std::string& text, const std::string& lang) {
  std::vector<std::string> out;
  for (const KbToken& t : AnalyzeKbText(text, lang)) out.push_back(t.term);
  return out;
}

TEST(KbTextTest, FoldsCaseAndAccents) {
  EXPECT_EQ(FoldKbText("Facturación ÁÉÍÓÚ Ñandú Straße ÇA"), "facturacion aeiou nandu strasse ca");
  EXPECT_EQ(FoldKbText("ΆΛΦΑ Ёлка"), "αλφα елка");
}

TEST(KbTextTest, StemsPerLanguage) {
  for (const char* lang : {"es", "en", "pt", "fr", "de"}) EXPECT_TRUE(KbHasStemmer(lang)) << lang;
  EXPECT_FALSE(KbHasStemmer("zz"));
  EXPECT_EQ(Terms("facturas", "es"), Terms("factura", "es"));
  EXPECT_EQ(Terms("Facturación", "es"), Terms("facturacion", "es"));
  EXPECT_EQ(Terms("invoices", "en"), Terms("invoice", "en"));
  EXPECT_EQ(Terms("pagamentos", "pt"), Terms("pagamento", "pt"));
  EXPECT_EQ(Terms("factures", "fr"), Terms("facture", "fr"));
  EXPECT_EQ(Terms("Rechnungen", "de"), Terms("rechnung", "de"));
  EXPECT_EQ(KbLanguageOf("es-MX"), "es");
  EXPECT_EQ(KbLanguageOf("PT_br"), "pt");
  EXPECT_EQ(KbLanguageOf("1x"), "");
}

TEST(KbTextTest, QueryTextIsNeverSyntax) {
  for (const char* q : {"\"unbalanced", "AND OR NOT", "title:secret", "a NEAR(b c)", "-x +y ^z",
                        "((((", "*", "\"\"", "fact* OR", "body:x* \"a\" \"b c", "\xff\xfe"}) {
    KbQuery query = ParseKbQuery(q, "en");
    std::string expr = KbFts5MatchExpression(query);
    // Every term is a quoted string: the only bare text is OR between them.
    for (const KbQueryTerm& t : query.terms) EXPECT_FALSE(t.terms.empty()) << q;
    EXPECT_THAT(expr, Not(HasSubstr(":"))) << q;
    EXPECT_THAT(expr, Not(HasSubstr("("))) << q;
  }
  KbQuery q = ParseKbQuery("title:secret", "en");
  ASSERT_EQ(q.terms.size(), 2u);
  EXPECT_EQ(KbFts5MatchExpression(q), "\"titl\" OR \"secret\"");
}

TEST(KbTextTest, PhrasesPrefixesAndStopWords) {
  KbQuery q = ParseKbQuery("¿Cómo descargo las \"facturas duplicadas\" y fact*?", "es");
  ASSERT_EQ(q.terms.size(), 3u);
  EXPECT_EQ(q.terms[0].terms, Terms("facturas duplicadas", "es"));
  EXPECT_FALSE(q.terms[0].prefix);
  EXPECT_EQ(q.terms[1].terms, Terms("descargo", "es"));
  EXPECT_TRUE(q.terms[2].prefix);
  EXPECT_EQ(q.terms[2].terms, std::vector<std::string>{"fact"});
  // Only stop words: they are kept.
  EXPECT_EQ(ParseKbQuery("the", "en").terms.size(), 1u);
  EXPECT_TRUE(ParseKbQuery("  !!  ", "en").empty());
}

TEST(KbTextTest, SnippetHighlightsStemsAndEscapes) {
  KbQuery q = ParseKbQuery("factura", "es");
  std::string s = KbSnippet("Para <b>descargar</b> las Facturas & recibos, entra al portal.", q,
                            "es", 24);
  EXPECT_EQ(s, "Para &lt;b&gt;descargar&lt;/b&gt; las <mark>Facturas</mark> &amp; recibos, entra al "
               "portal.");
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "palabra ";
  long_text += "factura final";
  s = KbSnippet(long_text, q, "es", 10);
  EXPECT_THAT(s, HasSubstr("<mark>factura</mark>"));
  EXPECT_THAT(s, HasSubstr("… "));
}

// The passage is the first window with the most distinct query terms, then
// the most matches (the window slides; each is counted as a whole one was).
TEST(KbTextTest, SnippetPicksTheFirstWindowWithMostDistinctThenMostMatches) {
  const KbQuery q = ParseKbQuery("factura pago", "es");
  EXPECT_EQ(KbSnippet("uno factura dos tres cuatro cinco seis pago factura siete ocho nueve diez "
                      "factura pago pago once",
                      q, "es", 3),
            "… <mark>factura</mark> <mark>pago</mark> <mark>pago</mark> …");
  EXPECT_EQ(KbSnippet("pago factura x x x x factura pago", q, "es", 2),
            "<mark>pago</mark> <mark>factura</mark> …");
  EXPECT_EQ(KbSnippet("x pago pago pago y factura", q, "es", 3),
            "… <mark>pago</mark> y <mark>factura</mark>");
  EXPECT_EQ(KbSnippet("", q, "es", 3), "");
  EXPECT_EQ(KbSnippet("nada que ver", q, "es", 5), "nada que ver");
}

// Stems are remembered per thread and language (a bounded memo, emptied
// when full): the same words give the same terms before and after.
TEST(KbTextTest, StemsStayTheSameWhenTheMemoEmpties) {
  const std::string text = "Facturas facturación pagos devoluciones contraseñas";
  const std::vector<std::string> es = Terms(text, "es");
  const std::vector<std::string> en = Terms("invoices payments refunds", "en");
  for (int i = 0; i < 30000; ++i) Terms(absl::StrCat("palabra", i, " word", i), "es");
  EXPECT_EQ(Terms(text, "es"), es);
  EXPECT_EQ(Terms("invoices payments refunds", "en"), en);
  EXPECT_THAT(Terms("facturas", "es"), ElementsAre(Terms("factura", "es")[0]));
}

}  // namespace
}  // namespace helpdesk
