// Internal: what every store does alike for the knowledge base: the index
// form of an article's translations, its access facts, the checks of a
// search request, and the reference search (BM25 as SQLite FTS5 computes
// it) that MemoryStore runs and the conformance suite compares against.
#ifndef HELPDESK_SRC_STORAGE_KB_INDEX_H_
#define HELPDESK_SRC_STORAGE_KB_INDEX_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "helpdesk/access.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"
#include "helpdesk/v1/kb.pb.h"

namespace helpdesk::internal {

// One translation as the index holds it.
struct KbIndexedDoc {
  std::string locale;
  std::string language;  // KbLanguageOf(locale)
  bool published = false;
  std::vector<std::string> title;  // index terms
  std::vector<std::string> body;
  // What a search hit shows (KbSearchHit's display fields).
  std::string title_text;
  std::string plain_text;
};

struct KbIndexedArticle {
  KbArticleFacts facts;
  std::string category;
  std::string section;
  std::vector<KbIndexedDoc> docs;
};

// The access facts of an article (helpdesk/access.h).
HELPDESK_EXPORT KbArticleFacts KbFactsOf(const v1::KbArticle& article);

// Indexes every translation. Errors: InvalidArgument for an empty or
// repeated locale, or a body that is not Markdown RenderMarkdown accepts.
HELPDESK_EXPORT absl::StatusOr<KbIndexedArticle> IndexKbArticle(const v1::KbArticle& article);

// InvalidArgument for an empty query, a limit outside [1, kMaxKbSearchLimit]
// or a negative offset.
HELPDESK_EXPORT absl::Status CheckKbSearchRequest(const KbSearchRequest& request);

// The reference search over `index` (article id -> indexed article).
HELPDESK_EXPORT std::vector<KbSearchHit> SearchKbIndex(
    const std::map<int64_t, KbIndexedArticle>& index, const KbSearchRequest& request);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_KB_INDEX_H_
