// The knowledge base's index form, shared by the stores, and the reference
// search MemoryStore runs.
#include "storage/kb_index.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "helpdesk/kb.h"
#include "internal/status_macros.h"

namespace helpdesk::internal {
namespace {

std::vector<std::string> TermsOf(absl::string_view text, absl::string_view language) {
  std::vector<std::string> out;
  for (KbToken& t : AnalyzeKbText(text, language)) out.push_back(std::move(t.term));
  return out;
}

// How often query term `q` occurs in `tokens`.
int CountMatches(const KbQueryTerm& q, const std::vector<std::string>& tokens) {
  const size_t len = q.terms.size();
  if (len == 0 || tokens.size() < len) return 0;
  int count = 0;
  for (size_t i = 0; i + len <= tokens.size(); ++i) {
    bool all = true;
    for (size_t k = 0; k < len && all; ++k) all = KbTermMatches(q, k, tokens[i + k]);
    if (all) ++count;
  }
  return count;
}

}  // namespace

KbArticleFacts KbFactsOf(const v1::KbArticle& a) {
  KbArticleFacts f;
  f.id = a.id();
  switch (a.visibility()) {
    case v1::KbArticle::AGENTS:
      f.visibility = KbVisibility::kAgents;
      break;
    case v1::KbArticle::RESTRICTED:
      f.visibility = KbVisibility::kRestricted;
      break;
    case v1::KbArticle::PUBLIC:
      f.visibility = KbVisibility::kPublic;
      break;
    default:
      // Unset or unknown: the narrowest reading, so nothing leaks.
      f.visibility = KbVisibility::kRestricted;
  }
  f.group_ids.assign(a.group_ids().begin(), a.group_ids().end());
  f.organization_ids.assign(a.organization_ids().begin(), a.organization_ids().end());
  return f;
}

absl::StatusOr<KbIndexedArticle> IndexKbArticle(const v1::KbArticle& a) {
  KbIndexedArticle out;
  out.facts = KbFactsOf(a);
  out.category = a.category();
  out.section = a.section();
  std::set<std::string> locales;
  for (int i = 0; i < a.translations_size(); ++i) {
    const v1::KbTranslation& t = a.translations(i);
    if (t.locale().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("translations[", i, "].locale: empty"));
    }
    if (!locales.insert(t.locale()).second) {
      return absl::InvalidArgumentError(absl::StrCat("translations[", i, "].locale: '",
                                                     t.locale(), "' appears twice"));
    }
    absl::StatusOr<std::string> plain = MarkdownToPlainText(t.body_markdown());
    if (!plain.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("translations[", i, "].", plain.status().message()));
    }
    KbIndexedDoc d;
    d.locale = t.locale();
    d.language = KbLanguageOf(t.locale());
    d.published = t.state() == v1::KbTranslation::PUBLISHED;
    d.title = TermsOf(t.title(), d.language);
    d.body = TermsOf(*plain, d.language);
    d.title_text = t.title();
    d.plain_text = std::move(*plain);
    // Tags are searchable words of the body.
    for (const std::string& tag : a.tags()) {
      for (std::string& term : TermsOf(tag, d.language)) d.body.push_back(std::move(term));
    }
    out.docs.push_back(std::move(d));
  }
  return out;
}

absl::Status CheckKbSearchRequest(const KbSearchRequest& r) {
  if (r.query.empty()) return absl::InvalidArgumentError("query: no terms to search for");
  if (r.limit < 1 || r.limit > kMaxKbSearchLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", r.limit, " is out of range [1, ", kMaxKbSearchLimit, "]"));
  }
  if (r.offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat("offset ", r.offset, " is negative"));
  }
  return absl::OkStatus();
}

std::vector<KbSearchHit> SearchKbIndex(const std::map<int64_t, KbIndexedArticle>& index,
                                       const KbSearchRequest& r) {
  // Corpus statistics over every indexed translation, as FTS5 keeps them.
  double total_tokens = 0;
  int64_t rows = 0;
  for (const auto& [id, a] : index) {
    for (const KbIndexedDoc& d : a.docs) {
      total_tokens += static_cast<double>(d.title.size() + d.body.size());
      ++rows;
    }
  }
  if (rows == 0) return {};
  const double avgdl = std::max(total_tokens / static_cast<double>(rows), 1e-9);
  const size_t nq = r.query.terms.size();
  std::vector<double> idf(nq, 0);
  for (size_t q = 0; q < nq; ++q) {
    int64_t hits = 0;
    for (const auto& [id, a] : index) {
      for (const KbIndexedDoc& d : a.docs) {
        if (CountMatches(r.query.terms[q], d.title) + CountMatches(r.query.terms[q], d.body) > 0) {
          ++hits;
        }
      }
    }
    double v = std::log((static_cast<double>(rows - hits) + 0.5) /
                        (static_cast<double>(hits) + 0.5));
    idf[q] = v <= 0 ? 1e-6 : v;
  }
  constexpr double k1 = 1.2;
  constexpr double b = 0.75;
  std::vector<KbSearchHit> hits;
  for (const auto& [id, a] : index) {
    if (!KbAudienceAllows(r.audience, a.facts)) continue;
    for (const KbIndexedDoc& d : a.docs) {
      if (!r.language.empty() && d.language != r.language) continue;
      if (!d.published && !r.audience.drafts) continue;
      double score = 0;
      bool any = false;
      const double dl = static_cast<double>(d.title.size() + d.body.size());
      for (size_t q = 0; q < nq; ++q) {
        const int in_title = CountMatches(r.query.terms[q], d.title);
        const int in_body = CountMatches(r.query.terms[q], d.body);
        if (in_title + in_body == 0) continue;
        any = true;
        const double f = kKbTitleWeight * in_title + in_body;
        score += idf[q] * (f * (k1 + 1)) / (f + k1 * (1 - b + b * dl / avgdl));
      }
      if (any) hits.push_back(KbSearchHit{.article_id = id, .locale = d.locale, .score = score});
    }
  }
  std::sort(hits.begin(), hits.end(), [](const KbSearchHit& x, const KbSearchHit& y) {
    if (x.score != y.score) return x.score > y.score;
    return std::tie(x.article_id, x.locale) < std::tie(y.article_id, y.locale);
  });
  const size_t from = std::min(hits.size(), static_cast<size_t>(r.offset));
  const size_t to = std::min(hits.size(), from + static_cast<size_t>(r.limit));
  std::vector<KbSearchHit> page(hits.begin() + static_cast<std::ptrdiff_t>(from),
                                hits.begin() + static_cast<std::ptrdiff_t>(to));
  // The display fields of the page's hits only.
  for (KbSearchHit& h : page) {
    const KbIndexedArticle& a = index.at(h.article_id);
    for (const KbIndexedDoc& d : a.docs) {
      if (d.locale != h.locale) continue;
      h.has_display = true;
      h.title = d.title_text;
      h.category = a.category;
      h.section = a.section;
      h.plain_text = d.plain_text;
    }
  }
  return page;
}

}  // namespace helpdesk::internal
