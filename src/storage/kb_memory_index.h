// Internal: an in-memory inverted index of SqliteStore's knowledge base and
// its exact top-k search (MaxScore), so that a search of plain words or
// prefixes need not score every matching row as FTS5 does. Pure: no SQLite;
// storage/sqlite_kb_cache.cc fills it from kb_fts (tokenized by FTS5's own
// tokenizer) and keeps it coherent with the file.
//
// The ranking is exactly kb_bm25's (storage/sqlite_kb_rank.h, itself FTS5's
// bm25(kb_fts, kKbTitleWeight, 1.0)): per query phrase its idf over every
// indexed row (drafts, other languages and hidden articles included, as FTS5
// counts them), the row's weighted count (title kKbTitleWeight, body 1) and
// length, the table's average length; the same expression (storage/kb_bm25.h)
// summed in the query's order; ties by article id, then locale. Rows the
// reader may not see (language, drafts, audience: KbAudienceAllows) are
// skipped before they are ranked, so a page is never short.
//
// A phrase of several tokens (a quoted phrase, or a query word FTS5's
// tokenizer splits) is run as FTS5 runs it: its instances in a row are the
// positions where its tokens follow one another in one column, each counted
// with that column's weight; its idf counts the rows with an instance.
//
// Layout: rows live in slots, numbered in the order they were added; each
// term keeps its slots in increasing order with the row's weighted count
// (8 bytes a posting), the term's positions in each row (4 bytes a token of
// the text) and two bounds for MaxScore (the largest count and the shortest
// row it was ever in). Removing a row takes its slot out of the lists of its
// terms; the slot is not reused. Once a page is full and one list is left
// to walk, a row whose posting's count alone (at the list's shortest length)
// cannot reach its last score is passed over without reading its slot (a
// cache miss a row), and a prefix's lists merge through a count and a bit
// per slot (thread-local scratch) rather than a pass over every slot.
//
// Thread safety: none; SqliteKbSearchCache guards it (readers share Search,
// writers hold it alone).
#ifndef HELPDESK_SRC_STORAGE_KB_MEMORY_INDEX_H_
#define HELPDESK_SRC_STORAGE_KB_MEMORY_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "helpdesk/access.h"
#include "helpdesk/export.h"

namespace helpdesk::internal {

// One phrase of a query as the index runs it: one index token, every token
// starting with it (`prefix`), or several tokens in a row (a phrase; prefix
// is then refused: Search finds nothing for it).
struct KbIndexPhrase {
  std::vector<std::string> tokens;
  bool prefix = false;
};

// A token's position as the index keeps it: its column's bit (title 0, body
// kKbIndexBodyColumn) | its offset in the column, less than
// kKbIndexMaxOffset (a longer column is refused by AddRow).
inline constexpr uint32_t kKbIndexBodyColumn = 1u << 31;
inline constexpr uint32_t kKbIndexMaxOffset = 1u << 29;
// The weight of a title instance of a phrase (a body instance counts 1):
// kKbTitleWeight (storage/sqlite_kb_rank.h; storage/sqlite_kb_cache.cc
// checks that they are equal).
inline constexpr uint32_t kKbIndexTitleCount = 3;

// A row as the index holds it (kb_docs' columns).
struct KbIndexRow {
  int64_t doc_id = 0;  // kb_docs.id, the kb_fts rowid
  int64_t article_id = 0;
  std::string locale;
  std::string language;
  bool published = false;
};

// A row's terms: each distinct token with its weighted count and its
// positions, and the row's length in tokens.
struct KbIndexTerms {
  std::vector<std::pair<std::string, uint32_t>> counts;
  // counts[i]'s positions (see kKbIndexBodyColumn), increasing:
  // positions[i == 0 ? 0 : position_ends[i - 1], position_ends[i]).
  std::vector<uint32_t> positions;
  std::vector<uint32_t> position_ends;
  uint32_t length = 0;
};

struct KbIndexHit {
  int64_t doc_id = 0;
  int64_t article_id = 0;
  std::string locale;
  double score = 0;
};

class HELPDESK_EXPORT KbMemoryIndex {
 public:
  // Sets the access facts of article facts.id (kb_docs.visibility and
  // kb_audience); rows of an article without facts are seen by
  // audience.everything only.
  void SetArticleFacts(const KbArticleFacts& facts);
  // Adds a row; doc ids are unique (a second add of the same id is refused:
  // false, as are positions past kKbIndexMaxOffset or not one list per
  // term).
  bool AddRow(const KbIndexRow& row, const KbIndexTerms& terms);
  // Removes every row of `article_id`; `old_rows` gives each removed row's
  // terms by doc id (the same as when it was added). The article's facts go
  // too. False when a row of the article is not in `old_rows` (it is
  // removed from the rows, but its postings stay: the index is then wrong).
  bool RemoveArticle(int64_t article_id,
                     const std::vector<std::pair<int64_t, KbIndexTerms>>& old_rows);

  // Gives back the lists' spare capacity (after a bulk load).
  void ShrinkToFit();

  // The page [offset, offset + limit) of the rows matching any phrase, best
  // first, among the rows `language` (empty: any), drafts and `audience`
  // allow.
  std::vector<KbIndexHit> Search(const std::vector<KbIndexPhrase>& phrases,
                                 absl::string_view language, const KbAudience& audience,
                                 int limit, int offset) const;

  size_t rows() const { return static_cast<size_t>(live_rows_); }
  size_t terms() const { return terms_.size(); }
  size_t postings() const { return postings_; }
  // Bytes held (containers' capacity, strings and hash tables, estimated).
  size_t MemoryBytes() const;

 private:
  struct Postings {
    std::vector<uint32_t> slots;
    std::vector<uint32_t> counts;
    // Each posting's positions in turn; the last one of a posting carries
    // kLastPosition.
    std::vector<uint32_t> positions;
    uint32_t max_count = 0;
    uint32_t min_length = UINT32_MAX;
  };
  struct Slot {
    int64_t doc_id = 0;
    int64_t article_id = 0;
    uint32_t length = 0;
    uint32_t locale = 0;    // index into names_
    uint32_t language = 0;  // index into names_
    uint8_t visibility = 0;  // 0 removed, else KbVisibility + 1
    bool published = false;
  };
  struct Article {
    KbArticleFacts facts;
    bool has_facts = false;
    std::vector<uint32_t> slots;
  };

  static constexpr uint32_t kLastPosition = 1u << 30;

  uint32_t Intern(absl::string_view name);
  // The rows where `lists` (a phrase's tokens, in order) follow one another
  // in one column, in slot order, with the phrase's weighted count there.
  static void PhraseRows(const std::vector<const Postings*>& lists,
                         std::vector<uint32_t>* slots, std::vector<uint32_t>* counts);
  // A prefix's lists (its terms') as one: the slots of any, in order, each
  // with the counts added.
  void MergePrefixLists(const std::vector<const Postings*>& lists, std::vector<uint32_t>* slots,
                        std::vector<uint32_t>* counts) const;
  bool Allowed(const Slot& slot, uint32_t language, bool any_language,
               const KbAudience& audience) const;

  // Each term's postings, found by hash; the terms in order, for prefixes
  // (a std::map of the postings compared strings ~16 times a posting added).
  absl::node_hash_map<std::string, Postings> terms_;
  std::set<std::string, std::less<>> sorted_terms_;
  std::vector<Slot> slots_;
  absl::flat_hash_map<int64_t, Article> articles_;
  absl::flat_hash_map<int64_t, uint32_t> slot_of_doc_;
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, uint32_t> name_ids_;
  int64_t live_rows_ = 0;
  int64_t total_length_ = 0;
  size_t postings_ = 0;
};

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_KB_MEMORY_INDEX_H_
