// Internal: what the knowledge base's desk files share (desk_kb.cc for
// articles, desk_kb_search.cc for search, suggestions and deflection): the
// reader of a call and how it sees an article.
#ifndef HELPDESK_SRC_DESK_DESK_KB_H_
#define HELPDESK_SRC_DESK_DESK_KB_H_

#include <optional>
#include <string>

#include "desk/desk_impl.h"
#include "helpdesk/desk/kb.h"
#include "helpdesk/kb.h"
#include "storage/kb_index.h"

namespace helpdesk::desk_kb {

// Who reads: a resolved actor, or an anonymous visitor (no access).
struct KbReader {
  std::optional<Viewer> access;
  KbAudience audience;
  // May write articles and read drafts and revisions (kManageKbArticles).
  bool manages = false;
  // The contact's locale, when the reader is a contact with one.
  std::string locale;
};

bool IsAnonymous(const v1::Actor& actor);

absl::StatusOr<KbReader> ResolveReader(DeskCore& core, Transaction& tx, const v1::Actor& actor);

// The article if `reader` may see it (else NotFound as for a missing one),
// with what it may not see removed: drafts and revisions unless it manages
// articles. NotFound too when nothing is left.
absl::StatusOr<v1::KbArticle> LoadVisibleArticle(Transaction& tx, const KbReader& reader,
                                                 int64_t article_id);

// The locale a search or draft uses: `given`, else the reader's, else the
// desk's default. InvalidArgument naming `field` when it has no language.
absl::StatusOr<std::string> PickLocale(const DeskCore& core, absl::string_view field,
                                       const std::string& given, const std::string& fallback);

}  // namespace helpdesk::desk_kb

#endif  // HELPDESK_SRC_DESK_DESK_KB_H_
