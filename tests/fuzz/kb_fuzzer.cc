// Fuzzes the knowledge base's text (helpdesk/kb.h) and the in-memory search
// index (storage/kb_memory_index.h) on the same bytes. The first line is what
// a user typed; each further line is a row of the index: its first byte picks
// the article, locale, draft flag and access facts, the rest is its title, a
// tab, and its body. Any input is valid; a crash, leak or hang is not, and
// neither is a broken promise of kb.h:
//  - ParseKbQuery: at most kMaxKbQueryTerms terms, none empty, a prefix has
//    one word; KbFts5MatchExpression's quotes pair up;
//  - AnalyzeKbText: tokens in order inside the text, non-empty terms of at
//    most 64 bytes, valid UTF-8;
//  - KbSnippet: marks paired and not nested, every other '<', '>', '"' and
//    '&' escaped, bounded length (per word and gap), valid UTF-8 for valid
//    UTF-8 text, and a mark whenever a one-word query term matches one of
//    the text's first 2,000 words;
//  - KbLineDiff: its kept and removed lines give back `before`, its kept and
//    added lines `after`;
//  - RenderMarkdown (raw HTML not allowed): no tag or link scheme it promises
//    to drop (script, javascript:, data:) reaches the HTML;
//  - KbMemoryIndex::Search equals a brute-force BM25 over the same rows
//    (scores bit for bit, order, pages), for several languages, audiences and
//    pages, before and after an article is removed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "helpdesk/access.h"
#include "helpdesk/kb.h"
#include "internal/text_checks.h"
#include "storage/kb_bm25.h"
#include "storage/kb_memory_index.h"

namespace {

using helpdesk::KbAudience;
using helpdesk::KbQuery;
using helpdesk::internal::KbIndexHit;
using helpdesk::internal::KbIndexPhrase;
using helpdesk::internal::KbIndexRow;
using helpdesk::internal::KbIndexTerms;
using helpdesk::internal::KbMemoryIndex;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool ValidUtf8(absl::string_view s) {
  return helpdesk::internal::FindInvalidUtf8(s) == absl::string_view::npos;
}

void CheckQuery(const KbQuery& q) {
  Check(q.terms.size() <= static_cast<size_t>(helpdesk::kMaxKbQueryTerms));
  for (const helpdesk::KbQueryTerm& t : q.terms) {
    Check(!t.terms.empty());
    Check(!t.prefix || t.terms.size() == 1);
    for (const std::string& term : t.terms) Check(!term.empty());
  }
  const std::string fts = helpdesk::KbFts5MatchExpression(q);
  Check(std::count(fts.begin(), fts.end(), '"') % 2 == 0);
}

void CheckTokens(absl::string_view text, const std::vector<helpdesk::KbToken>& tokens) {
  size_t at = 0;
  for (const helpdesk::KbToken& t : tokens) {
    Check(at <= t.begin && t.begin < t.end && t.end <= text.size());
    Check(!t.term.empty() && t.term.size() <= 64 && ValidUtf8(t.term));
    at = t.end;
  }
}

void CheckSnippet(absl::string_view text, const KbQuery& query, absl::string_view language,
                  int max_words) {
  const std::string s = helpdesk::KbSnippet(text, query, language, max_words);
  // Each word at most 64 bytes (+ "…"), escaped gaps at most 16 bytes (x6,
  // + "…"), its marks; "… " and " …" at the ends.
  Check(s.size() <= 8 + static_cast<size_t>(std::max(max_words, 1) + 1) * (67 + 99 + 13));
  if (ValidUtf8(text)) Check(ValidUtf8(s));
  bool open = false;
  bool marked = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 6, "<mark>") == 0) {
      Check(!open);
      open = marked = true;
      i += 5;
    } else if (s.compare(i, 7, "</mark>") == 0) {
      Check(open);
      open = false;
      i += 6;
    } else if (s[i] == '&') {
      Check(s.compare(i, 5, "&amp;") == 0 || s.compare(i, 4, "&lt;") == 0 ||
            s.compare(i, 4, "&gt;") == 0 || s.compare(i, 6, "&quot;") == 0 ||
            s.compare(i, 5, "&#39;") == 0);
    } else {
      Check(s[i] != '<' && s[i] != '>' && s[i] != '"' && s[i] != '\'');
    }
  }
  Check(!open);
  const std::vector<helpdesk::KbToken> tokens = helpdesk::AnalyzeKbText(text, language);
  for (size_t i = 0; i < tokens.size() && i < 2000; ++i) {
    for (const helpdesk::KbQueryTerm& q : query.terms) {
      if (q.terms.size() == 1 && helpdesk::KbTermMatches(q, 0, tokens[i].term)) Check(marked);
    }
  }
}

void CheckDiff(absl::string_view before, absl::string_view after) {
  const std::string diff = helpdesk::KbLineDiff(before, after);
  if (diff.empty()) {  // no line on either side
    Check(before.empty() && after.empty());
    return;
  }
  std::vector<std::string> old_lines, new_lines;
  for (absl::string_view line : absl::StrSplit(diff, '\n')) {
    Check(line.size() >= 2);
    const absl::string_view mark = line.substr(0, 2);
    Check(mark == "  " || mark == "- " || mark == "+ ");
    if (mark != "+ ") old_lines.emplace_back(line.substr(2));
    if (mark != "- ") new_lines.emplace_back(line.substr(2));
  }
  Check(absl::StrJoin(old_lines, "\n") == before);
  Check(absl::StrJoin(new_lines, "\n") == after);
}

void CheckMarkdown(absl::string_view text) {
  absl::StatusOr<std::string> html = helpdesk::RenderMarkdown(text, {});
  (void)helpdesk::MarkdownToPlainText(text);
  if (!html.ok()) return;
  const std::string lower = absl::AsciiStrToLower(*html);
  Check(!absl::StrContains(lower, "<script"));
  Check(!absl::StrContains(lower, "<iframe"));
  Check(!absl::StrContains(lower, "href=\"javascript:"));
  Check(!absl::StrContains(lower, "src=\"javascript:"));
  Check(!absl::StrContains(lower, "href=\"data:"));
  Check(!absl::StrContains(lower, "src=\"data:"));
}

// --- The index and its brute-force twin ---------------------------------------

struct Row {
  KbIndexRow row;
  std::vector<std::string> title, body;
  KbIndexTerms terms;
  bool live = true;
};

KbIndexTerms TermsOf(const std::vector<std::string>& title, const std::vector<std::string>& body) {
  std::map<std::string, std::pair<uint32_t, std::vector<uint32_t>>> by_term;
  for (size_t i = 0; i < title.size(); ++i) {
    auto& [count, positions] = by_term[title[i]];
    count += helpdesk::internal::kKbIndexTitleCount;
    positions.push_back(static_cast<uint32_t>(i));
  }
  for (size_t i = 0; i < body.size(); ++i) {
    auto& [count, positions] = by_term[body[i]];
    count += 1;
    positions.push_back(helpdesk::internal::kKbIndexBodyColumn | static_cast<uint32_t>(i));
  }
  KbIndexTerms terms;
  for (auto& [term, cp] : by_term) {
    terms.counts.emplace_back(term, cp.first);
    terms.positions.insert(terms.positions.end(), cp.second.begin(), cp.second.end());
    terms.position_ends.push_back(static_cast<uint32_t>(terms.positions.size()));
  }
  terms.length = static_cast<uint32_t>(title.size() + body.size());
  return terms;
}

// The phrase's weighted count in one column's tokens.
uint32_t CountIn(const KbIndexPhrase& p, const std::vector<std::string>& tokens, uint32_t weight) {
  uint32_t count = 0;
  for (size_t i = 0; i + p.tokens.size() <= tokens.size(); ++i) {
    bool all = true;
    for (size_t k = 0; k < p.tokens.size() && all; ++k) {
      all = p.prefix ? absl::StartsWith(tokens[i + k], p.tokens[k]) : tokens[i + k] == p.tokens[k];
    }
    if (all) count += weight;
  }
  return count;
}

// Every matching row the reader may see, best first, by brute force: each
// phrase's count in each row (counts[p][r]) and idf over every live row.
class BruteForce {
 public:
  BruteForce(const std::vector<Row>& rows, const std::vector<KbIndexPhrase>& phrases)
      : rows_(rows), counts_(phrases.size(), std::vector<uint32_t>(rows.size())),
        idf_(phrases.size()) {
    int64_t live = 0, total = 0;
    for (const Row& r : rows) {
      if (!r.live) continue;
      ++live;
      total += r.terms.length;
    }
    if (live == 0) return;
    avgdl_ = static_cast<double>(total) / static_cast<double>(live);
    for (size_t p = 0; p < phrases.size(); ++p) {
      const KbIndexPhrase& ph = phrases[p];
      if (ph.tokens.empty() || (ph.prefix && ph.tokens.size() > 1)) continue;
      int64_t with = 0;
      for (size_t r = 0; r < rows.size(); ++r) {
        if (!rows[r].live) continue;
        counts_[p][r] = CountIn(ph, rows[r].title, helpdesk::internal::kKbIndexTitleCount) +
                        CountIn(ph, rows[r].body, 1);
        if (counts_[p][r] > 0) ++with;
      }
      idf_[p] = helpdesk::internal::KbBm25Idf(live, with);
    }
  }

  std::vector<KbIndexHit> Ranked(const std::map<int64_t, helpdesk::KbArticleFacts>& facts,
                                 absl::string_view language, const KbAudience& audience) const {
    std::vector<KbIndexHit> hits;
    for (size_t r = 0; r < rows_.size(); ++r) {
      const Row& row = rows_[r];
      if (!row.live) continue;
      if (!language.empty() && row.row.language != language) continue;
      if (!row.row.published && !audience.drafts) continue;
      if (!helpdesk::KbAudienceAllows(audience, facts.at(row.row.article_id))) continue;
      double score = 0;
      bool any = false;
      for (size_t p = 0; p < counts_.size(); ++p) {  // summed in the query's order
        const uint32_t c = counts_[p][r];
        if (c == 0) continue;
        any = true;
        score += helpdesk::internal::KbBm25Term(idf_[p], c, row.terms.length, avgdl_);
      }
      if (!any) continue;
      hits.push_back(KbIndexHit{.doc_id = row.row.doc_id,
                                .article_id = row.row.article_id,
                                .locale = row.row.locale,
                                .score = score});
    }
    std::sort(hits.begin(), hits.end(), [](const KbIndexHit& x, const KbIndexHit& y) {
      if (x.score != y.score) return x.score > y.score;
      if (x.article_id != y.article_id) return x.article_id < y.article_id;
      return x.locale < y.locale;
    });
    return hits;
  }

 private:
  const std::vector<Row>& rows_;
  std::vector<std::vector<uint32_t>> counts_;
  std::vector<double> idf_;
  double avgdl_ = 1;
};

std::vector<KbIndexHit> Page(const std::vector<KbIndexHit>& hits, int limit, int offset) {
  const size_t from = std::min(hits.size(), static_cast<size_t>(offset));
  const size_t to = std::min(hits.size(), from + static_cast<size_t>(limit));
  return std::vector<KbIndexHit>(hits.begin() + static_cast<ptrdiff_t>(from),
                                 hits.begin() + static_cast<ptrdiff_t>(to));
}

bool Same(const std::vector<KbIndexHit>& x, const std::vector<KbIndexHit>& y) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].doc_id != y[i].doc_id || x[i].article_id != y[i].article_id ||
        x[i].locale != y[i].locale || x[i].score != y[i].score) {
      return false;
    }
  }
  return true;
}

constexpr const char* kLocales[] = {"es", "en", "es-MX", "fr"};

helpdesk::KbArticleFacts FactsFor(int64_t id, unsigned char b) {
  helpdesk::KbArticleFacts f;
  f.id = id;
  f.visibility = static_cast<helpdesk::KbVisibility>(b % 3);
  if (b & 4) f.group_ids.push_back(7);
  if (b & 8) f.organization_ids.push_back(9);
  return f;
}

void CheckIndex(absl::string_view query_text, const std::vector<absl::string_view>& lines) {
  KbMemoryIndex index;
  std::vector<Row> rows;
  std::map<int64_t, helpdesk::KbArticleFacts> facts;
  std::set<std::pair<int64_t, std::string>> seen;  // (article, locale): unique
  for (absl::string_view line : lines) {
    if (line.empty() || rows.size() >= 24) continue;
    const auto b = static_cast<unsigned char>(line[0]);
    Row r;
    r.row.doc_id = static_cast<int64_t>(rows.size()) + 100;
    r.row.article_id = 1 + (b & 3);
    r.row.locale = kLocales[(b >> 2) & 3];
    r.row.language = helpdesk::KbLanguageOf(r.row.locale);
    r.row.published = (b & 0x10) == 0;
    if (!seen.emplace(r.row.article_id, r.row.locale).second) continue;
    if (b & 0x20) {  // its article's facts, from this row's byte
      facts[r.row.article_id] = FactsFor(r.row.article_id, b >> 5);
      index.SetArticleFacts(facts[r.row.article_id]);
    } else if (!facts.contains(r.row.article_id)) {
      facts[r.row.article_id] = helpdesk::KbArticleFacts{
          .id = r.row.article_id, .visibility = helpdesk::KbVisibility::kRestricted};
    }
    const absl::string_view rest = line.substr(1);
    const size_t tab = rest.find('\t');
    for (const helpdesk::KbToken& t :
         helpdesk::AnalyzeKbText(rest.substr(0, tab), r.row.language)) {
      r.title.push_back(t.term);
    }
    if (tab != absl::string_view::npos) {
      for (const helpdesk::KbToken& t :
           helpdesk::AnalyzeKbText(rest.substr(tab + 1), r.row.language)) {
        r.body.push_back(t.term);
      }
    }
    r.terms = TermsOf(r.title, r.body);
    Check(index.AddRow(r.row, r.terms));
    Check(!index.AddRow(r.row, r.terms));  // a doc id once
    rows.push_back(std::move(r));
  }
  const std::vector<KbAudience> audiences = {
      {.everything = true, .drafts = true},
      helpdesk::AnonymousKbAudience(),
      {.agents = true, .group_ids = {7}},
      {.group_ids = {8}, .organization_ids = {9}},
  };
  for (const char* locale : {"es", ""}) {
    const KbQuery query = helpdesk::ParseKbQuery(query_text, locale);
    std::vector<KbIndexPhrase> phrases;
    for (const helpdesk::KbQueryTerm& t : query.terms) {
      phrases.push_back(KbIndexPhrase{.tokens = t.terms, .prefix = t.prefix});
    }
    auto compare = [&] {
      const BruteForce brute(rows, phrases);
      for (const KbAudience& audience : audiences) {
        for (const char* language : {"", "es"}) {
          const std::vector<KbIndexHit> all = brute.Ranked(facts, language, audience);
          for (auto [limit, offset] : {std::pair{50, 0}, {1, 0}, {2, 1}, {3, 4}}) {
            Check(Same(index.Search(phrases, language, audience, limit, offset),
                       Page(all, limit, offset)));
          }
        }
      }
    };
    compare();
    if (rows.empty()) continue;
    // Remove the first row's article, compare, and put it back.
    const int64_t article = rows[0].row.article_id;
    std::vector<std::pair<int64_t, KbIndexTerms>> old_rows;
    for (Row& r : rows) {
      if (r.row.article_id != article || !r.live) continue;
      old_rows.emplace_back(r.row.doc_id, r.terms);
      r.live = false;
    }
    Check(index.RemoveArticle(article, old_rows));
    compare();
    const helpdesk::KbArticleFacts kept = facts[article];
    facts[article] = helpdesk::KbArticleFacts{.id = article,
                                              .visibility = helpdesk::KbVisibility::kRestricted};
    for (Row& r : rows) {
      if (r.row.article_id != article || r.live) continue;
      r.row.doc_id += 1000;  // a new revision's rows
      Check(index.AddRow(r.row, r.terms));
      r.live = true;
    }
    facts[article] = kept;
    index.SetArticleFacts(kept);
    compare();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  const absl::string_view query_text = lines[0];
  lines.erase(lines.begin());

  for (const char* locale : {"es-MX", "en", "de", "ru", "", "xx_YY"}) {
    const std::string language = helpdesk::KbLanguageOf(locale);
    const KbQuery query = helpdesk::ParseKbQuery(query_text, locale);
    CheckQuery(query);
    CheckTokens(text, helpdesk::AnalyzeKbText(text, language));
    (void)helpdesk::KbIndexText(text, language);
    const absl::string_view body = text.substr(query_text.size());
    CheckSnippet(body, query, language, 1 + static_cast<int>(size % 40));
  }
  (void)helpdesk::FoldKbText(text);
  CheckDiff(text.substr(0, text.size() / 2), text.substr(text.size() / 2));
  CheckMarkdown(text);
  CheckIndex(query_text, lines);
  return 0;
}
