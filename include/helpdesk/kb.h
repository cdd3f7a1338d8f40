// Knowledge base, the pure part: Markdown rendered to HTML that is safe to
// embed, the text analysis that search shares between stores (folding case
// and accents, stemming per language, stop words), the parser of a user's
// search text, snippets with highlights, and the line diff of revisions. No
// store, no I/O; the Desk's knowledge base (helpdesk/desk/kb.h) and the
// stores' search (store.h) are built on it.
//
//   absl::StatusOr<std::string> html = helpdesk::RenderMarkdown(
//       "See [the guide](https://example.com) <script>x</script>", {});
//   // "<p>See <a href=\"https://example.com\">the guide</a> </p>\n"
//   helpdesk::KbQuery q = helpdesk::ParseKbQuery("facturación \"pago duplicado\" fact*", "es");
//   // three terms: [factur], phrase [pag duplic], prefix [fact]
//
// Thread safety: every function here is safe to call from any thread.
#ifndef HELPDESK_KB_H_
#define HELPDESK_KB_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"

namespace helpdesk {

// --- Markdown -----------------------------------------------------------------

// Markdown over this many bytes is refused (InvalidArgument).
inline constexpr size_t kMaxMarkdownBytes = 256 * 1024;
// Blocks and inlines nested deeper than this are refused (InvalidArgument):
// a Markdown bomb ("> > > > ..." ten thousand deep) never reaches a page.
inline constexpr int kMaxMarkdownDepth = 64;

struct MarkdownOptions {
  // Raw HTML in the Markdown is dropped unless the host allows it (then it is
  // passed through as written: only for text the host trusts).
  bool allow_raw_html = false;
};

// Renders CommonMark to HTML (cmark). Links keep only the schemes http,
// https and mailto, or a relative address; images only http, https or a
// relative address. A link with another scheme (javascript:, data:,
// vbscript:, file:, ...) is replaced by its text, an image by its
// description. Raw HTML is dropped unless options.allow_raw_html. Text is
// HTML-escaped. Errors: InvalidArgument for invalid UTF-8, more than
// kMaxMarkdownBytes, or nesting deeper than kMaxMarkdownDepth.
HELPDESK_EXPORT absl::StatusOr<std::string> RenderMarkdown(absl::string_view markdown,
                                                           const MarkdownOptions& options);

// The text of the Markdown without markup (what search indexes and
// snippets quote): paragraphs and list items on their own lines, link and
// image text kept, addresses and raw HTML dropped. Errors as RenderMarkdown.
HELPDESK_EXPORT absl::StatusOr<std::string> MarkdownToPlainText(absl::string_view markdown);

// Whether `url` may be a link's destination (images: `for_image`).
HELPDESK_EXPORT bool IsSafeKbUrl(absl::string_view url, bool for_image);

// --- Text analysis ------------------------------------------------------------

// The language whose stemmer and stop words a locale uses: its primary
// subtag in lower case ("es-MX" -> "es", "PT_br" -> "pt"); empty for an
// empty or malformed locale.
HELPDESK_EXPORT std::string KbLanguageOf(absl::string_view locale);

// Whether words of `language` are stemmed (Snowball: es, en, pt, fr, de, it,
// nl, sv, da, no, fi, ru, ...). Unknown languages are folded, not stemmed.
HELPDESK_EXPORT bool KbHasStemmer(absl::string_view language);

// One word of a text: its byte range in the text and its index form
// (folded, then stemmed).
struct KbToken {
  size_t begin = 0;
  size_t end = 0;
  std::string term;
};

// Lower case, diacritics removed ("Facturación" -> "facturacion", "ß" ->
// "ss"), for Latin, Greek and Cyrillic letters.
HELPDESK_EXPORT std::string FoldKbText(absl::string_view text);

// Splits `text` into words (letters and digits; everything else separates)
// and gives each its index term: folded, then stemmed with the stemmer of
// `language`. Invalid UTF-8 bytes separate words. Words longer than 64
// bytes are cut.
HELPDESK_EXPORT std::vector<KbToken> AnalyzeKbText(absl::string_view text,
                                                   absl::string_view language);

// The index form of a text: its terms joined by spaces. What stores index.
HELPDESK_EXPORT std::string KbIndexText(absl::string_view text, absl::string_view language);

// Whether `folded_word` is a stop word of `language` ("de", "la", "the").
HELPDESK_EXPORT bool IsKbStopWord(absl::string_view folded_word, absl::string_view language);

// --- Queries ------------------------------------------------------------------

// One term of a query: a word, a phrase (several words in order) or a
// prefix (the last and only word followed by '*').
struct KbQueryTerm {
  std::vector<std::string> terms;  // index terms, as AnalyzeKbText gives them
  bool prefix = false;
  // The words as the user wrote them, for reasons and highlights.
  std::string text;
};

// A parsed query: an article matches when any term matches; ranking rewards
// articles that match more of them, and rarer ones.
struct KbQuery {
  std::vector<KbQueryTerm> terms;
  bool empty() const { return terms.empty(); }
};

// Most terms a query keeps (the rest is ignored).
inline constexpr int kMaxKbQueryTerms = 32;
// Most words a phrase keeps (the rest is ignored): matching a phrase costs
// its length at each word of a text, so a phrase of 20,000 words would make
// every snippet and search of it quadratic.
inline constexpr int kMaxKbPhraseWords = 32;

// Parses what a user typed. "..." is a phrase (an unbalanced quote runs to
// the end; its first kMaxKbPhraseWords words kept); a word ending in '*' is a prefix; everything else is plain
// words: operators (AND, OR, NOT, NEAR, -, +, ^, :, parentheses) are read as
// text, never as syntax, so no input is an error. Stop words are left out
// unless the query has nothing else. Terms are folded and stemmed with
// `locale`'s language, like the index.
HELPDESK_EXPORT KbQuery ParseKbQuery(absl::string_view text, absl::string_view locale);

// Whether `term` (an index term) matches query term `q`'s word `i`.
HELPDESK_EXPORT bool KbTermMatches(const KbQueryTerm& q, size_t i, absl::string_view term);

// An SQLite FTS5 MATCH expression for `query`: every term a double-quoted
// string (so nothing the user typed is FTS5 syntax), prefixes as "x"*,
// joined by OR. Empty for an empty query.
HELPDESK_EXPORT std::string KbFts5MatchExpression(const KbQuery& query);

// A passage of `plain_text` (about `max_words` words) around the most distinct matches of `query`,
// HTML-escaped, each matching word wrapped in <mark>...</mark>; "…" marks cut ends. Words match on
// their index form, so "facturas" highlights "Facturación" for a query "factura" in Spanish. Bounded
// whatever the text: at most 16 bytes of non-word text between two words and 64 bytes of one word
// are kept ("…" marks a cut); passages start within the first 2,001 words, and the text is read as
// far as they reach. A query term matches on its first kMaxKbPhraseWords words (as ParseKbQuery
// keeps them). Cost: those words folded and stemmed; no allocation but the result's.
HELPDESK_EXPORT std::string KbSnippet(absl::string_view plain_text, const KbQuery& query,
                                      absl::string_view language, int max_words = 24);

// --- Revisions ----------------------------------------------------------------

// A line diff from `before` to `after` (longest common subsequence): each
// line prefixed "  " (kept), "- " (removed) or "+ " (added), joined by "\n".
// Inputs over 5,000 lines each are compared as a whole replacement.
HELPDESK_EXPORT std::string KbLineDiff(absl::string_view before, absl::string_view after);

}  // namespace helpdesk

#endif  // HELPDESK_KB_H_
