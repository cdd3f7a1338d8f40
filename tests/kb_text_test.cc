// Knowledge base text analysis: folding, stemming per language, query parsing
// (user text is never syntax) and snippets.
#include <algorithm>
#include <climits>
#include <random>
#include <string>
#include <utility>
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
// A phrase of 20,000 words (and a text repeating its word) made the snippet
// quadratic: minutes for a 300 KB query (fuzzing found it). A phrase keeps its
// first kMaxKbPhraseWords words, and a snippet matches no more of a term.
TEST(KbTextTest, LongPhrasesAreCutAndSnippetsOfThemStayLinear) {
  std::string words;
  for (int i = 0; i < 20000; ++i) words += "pago ";
  KbQuery q = ParseKbQuery("\"" + words + "\" factura", "es");
  ASSERT_EQ(q.terms.size(), 2u);
  EXPECT_EQ(q.terms[0].terms.size(), static_cast<size_t>(kMaxKbPhraseWords));
  const std::string text = words + words;
  std::string snippet = KbSnippet(text, q, "es");
  EXPECT_THAT(snippet, HasSubstr("<mark>pago</mark>"));
  // A query built by hand with the whole phrase: matched on its first words.
  KbQuery hand;
  hand.terms.push_back(KbQueryTerm{.terms = std::vector<std::string>(20000, "pag")});
  EXPECT_THAT(KbSnippet(text, hand, "es"), HasSubstr("<mark>pago</mark>"));
}

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

// KbSnippet as it was written first (every word analyzed with
// AnalyzeKbText, every window tried up to token 2001): the reference the
// allocation-free KbSnippet must equal byte for byte.
std::string ReferenceSnippet(const std::string& plain, const KbQuery& query,
                             const std::string& language, int max_words) {
  auto escaped = [](absl::string_view text, size_t limit) {
    std::string out;
    size_t cut = text.size();
    if (text.size() > limit) {
      cut = limit;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    }
    for (char c : text.substr(0, cut)) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '\n': case '\r': case '\t': out += ' '; break;
        default: out += c;
      }
    }
    if (cut < text.size()) out += "…";
    return out;
  };
  const std::vector<KbToken> tokens = AnalyzeKbText(plain, language);
  if (max_words < 1) max_words = 1;
  const size_t n = tokens.size();
  std::vector<int> match(n, -1);
  for (size_t qi = 0; qi < query.terms.size(); ++qi) {
    const size_t len = query.terms[qi].terms.size();
    for (size_t i = 0; len > 0 && i + len <= n; ++i) {
      bool all = true;
      for (size_t k = 0; k < len && all; ++k) {
        all = KbTermMatches(query.terms[qi], k, tokens[i + k].term);
      }
      for (size_t k = 0; all && k < len; ++k) {
        if (match[i + k] < 0) match[i + k] = static_cast<int>(qi);
      }
    }
  }
  const size_t w = std::min(n, static_cast<size_t>(max_words));
  size_t best = 0;
  std::pair<int, int> best_score{-1, -1};
  for (size_t s = 0; s + w <= n && n > 0; ++s) {
    std::vector<int> seen(query.terms.size(), 0);
    std::pair<int, int> score{0, 0};
    for (size_t i = s; i < s + w; ++i) {
      if (match[i] < 0) continue;
      if (seen[static_cast<size_t>(match[i])]++ == 0) ++score.first;
      ++score.second;
    }
    if (score > best_score) {
      best_score = score;
      best = s;
    }
    if (n > 2000 && s > 2000) break;
  }
  std::string out;
  if (n == 0) return out;
  size_t pos = tokens[best].begin;
  if (best > 0) out += "… ";
  for (size_t i = best; i < best + w; ++i) {
    out += escaped(absl::string_view(plain).substr(pos, tokens[i].begin - pos), 16);
    const std::string word =
        escaped(absl::string_view(plain).substr(tokens[i].begin, tokens[i].end - tokens[i].begin),
                64);
    out += match[i] >= 0 ? absl::StrCat("<mark>", word, "</mark>") : word;
    pos = tokens[i].end;
  }
  out += best + w < n ? " …" : escaped(absl::string_view(plain).substr(pos), 16);
  return out;
}

// Random text in several scripts: words of Latin letters with accents,
// Greek, Cyrillic, digits, combining marks, words over 64 bytes, runs of
// punctuation and markup, stray bytes of invalid UTF-8.
std::string RandomText(std::mt19937& rng, size_t words) {
  static const std::vector<std::string> kPieces = {
      "fact", "ura", "ción", "pago", "s", "es", "ando", "invoice", "pay", "ment", "ing",
      "Rechn", "ung", "en", "Straße", "ÇA", "Ñ", "é", "e\u0301", "αλφα", "Ά", "ёлка", "ЁЛ",
      "ов", "42", "x", "ª", "µ"};
  static const std::vector<std::string> kGaps = {
      " ", " ", " ", ", ", ". ", "\n\n", " & ", " <b>", "</b> ", " \"", "' ", "\t",
      " — ", " \xff ", "\xc3", " 😀 ", std::string(40, '<'), " \u0301 "};
  std::uniform_int_distribution<size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<size_t> gap(0, kGaps.size() - 1);
  std::uniform_int_distribution<int> parts(1, 3);
  std::bernoulli_distribution huge(0.01);
  std::string text;
  for (size_t i = 0; i < words; ++i) {
    if (i > 0 || huge(rng)) text += kGaps[gap(rng)];
    if (huge(rng)) {
      for (int k = 0; k < 30; ++k) text += kPieces[piece(rng)];
      continue;
    }
    for (int k = parts(rng); k > 0; --k) text += kPieces[piece(rng)];
  }
  return text;
}

// A query from words of `text` (or not): plain words, a prefix, a phrase.
std::string RandomQuery(std::mt19937& rng, const std::string& text) {
  std::vector<std::string> words;
  for (const KbToken& t : AnalyzeKbText(text, "")) words.push_back(text.substr(t.begin, t.end - t.begin));
  words.push_back("factura");
  words.push_back("ningunapalabra");
  std::uniform_int_distribution<size_t> pick(0, words.size() - 1);
  std::uniform_int_distribution<int> kind(0, 3);
  std::string q;
  for (int i = kind(rng); i >= 0; --i) {
    switch (kind(rng)) {
      case 0:
        absl::StrAppend(&q, " \"", words[pick(rng)], " ", words[pick(rng)], "\"");
        break;
      case 1:
        absl::StrAppend(&q, " ", words[pick(rng)].substr(0, 3), "*");
        break;
      default:
        absl::StrAppend(&q, " ", words[pick(rng)]);
    }
  }
  return q;
}

TEST(KbTextTest, SnippetEqualsTheReferenceOverRandomTextsAndLanguages) {
  std::mt19937 rng(15);
  std::uniform_int_distribution<size_t> length(0, 150);
  const std::vector<int> widths = {1, 3, 24, INT_MAX};
  int compared = 0;
  for (int round = 0; round < 400; ++round) {
    const std::string text = RandomText(rng, length(rng));
    const std::string query_text = RandomQuery(rng, text);
    for (const char* language : {"es", "en", "de", "ru", "el", ""}) {
      const KbQuery q = ParseKbQuery(query_text, language);
      const int w = widths[static_cast<size_t>(round) % widths.size()];
      ASSERT_EQ(KbSnippet(text, q, language, w), ReferenceSnippet(text, q, language, w))
          << "text '" << text << "' query '" << query_text << "' language " << language
          << " max_words " << w;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 2400);
}

// Texts past 2,000 words: only windows starting by word 2001 are tried, so
// KbSnippet stops reading there; a match (a phrase too) across that point,
// or only after it, gives the same passage as reading every word.
TEST(KbTextTest, SnippetOfLongTextsEqualsTheReference) {
  const KbQuery q = ParseKbQuery("factura \"pago duplicado\" recib*", "es");
  for (size_t words : {1990u, 2000u, 2001u, 2002u, 2024u, 2026u, 2030u, 3000u}) {
    for (size_t at : {0u, 1500u, 1999u, 2000u, 2001u, 2002u, 2020u, 2023u, 2024u, 2025u, 2026u,
                      2027u, 2500u}) {
      for (int w : {1, 2, 24}) {
        std::string text;
        for (size_t i = 0; i < words; ++i) {
          if (i > 0) text += ' ';
          text += i == at ? "pago" : i == at + 1 ? "duplicado" : i == at + 3 ? "Facturas"
                  : i == 10 ? "recibos" : "palabra";
        }
        ASSERT_EQ(KbSnippet(text, q, "es", w), ReferenceSnippet(text, q, "es", w))
            << words << " words, match at " << at << ", max_words " << w;
      }
    }
  }
}

}  // namespace
}  // namespace helpdesk
