// Internal: SqliteStore's knowledge base index in memory (KbMemoryIndex,
// storage/kb_memory_index.h) and how it stays the file's: searches of plain
// words and prefixes run on it, with the exact ranking of the FTS5 search
// (storage/sqlite_kb.cc), at a fraction of its cost when a query's words are
// in many articles.
//
// Coherence: every write of the index (WriteKbIndex) bumps the one row of
// kb_generation (schema step 13) in its transaction. The memory index
// carries the generation it holds. A search reads the generation in its
// own snapshot: equal, it runs in memory; newer (another store or process
// wrote, or the index was never built), it rebuilds the index from that
// snapshot (kb_fts's text, tokenized by FTS5's own unicode61 tokenizer, so
// the terms and lengths are FTS5's) and then runs in memory; older (a
// snapshot begun before a commit the index holds) it runs on FTS5. This
// store's own commits apply their changes to the index (SqliteTransaction
// records them: the removed rows' text, read before they are deleted, and
// the added rows), when the index held the generation just before them;
// otherwise the next search rebuilds. A transaction that wrote the
// knowledge base searches on FTS5 (it must see its own writes).
//
// Phrases (and query words FTS5's tokenizer splits in several tokens) run
// in memory too: the index keeps each token's positions. What runs on FTS5
// instead: a prefix of several tokens ("a b"*), a query term with no token,
// the cases above, and every search of a store opened with
// kb_memory_index = false.
//
// Thread safety: thread-safe; searches share the index and an applied
// commit holds it alone. A rebuild is made by one search outside the lock;
// the searches meanwhile run on FTS5 instead of waiting for it.
#ifndef HELPDESK_SRC_STORAGE_SQLITE_KB_CACHE_H_
#define HELPDESK_SRC_STORAGE_SQLITE_KB_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"
#include "storage/kb_memory_index.h"
#include "storage/sqlite_connection.h"

namespace helpdesk {

// What a SqliteStore's memory index holds and did (for benchmarks, tests).
struct SqliteKbIndexStats {
  bool enabled = false;
  bool built = false;
  int64_t generation = -1;
  size_t rows = 0;
  size_t terms = 0;
  size_t postings = 0;
  size_t memory_bytes = 0;
  int64_t builds = 0;
  double last_build_seconds = 0;
  int64_t memory_searches = 0;
  int64_t fts5_searches = 0;
  int64_t applied_commits = 0;
};

// The stats of `store` when it is a SqliteStore, else nullopt.
HELPDESK_EXPORT std::optional<SqliteKbIndexStats> SqliteKbIndexStatsOf(Store& store);

namespace internal {

// One article's change of the index in a transaction.
struct KbIndexChange {
  struct Text {
    int64_t doc_id = 0;
    std::string title;  // kb_fts.title, .body
    std::string body;
  };
  int64_t article_id = 0;
  KbArticleFacts facts;
  std::vector<Text> removed;
  std::vector<std::pair<KbIndexRow, Text>> added;
};

// The knowledge base's generation in the connection's transaction.
absl::StatusOr<int64_t> ReadKbGeneration(SqliteConnection& connection);
// Bumps it (in the connection's write transaction); the new value.
absl::StatusOr<int64_t> BumpKbGeneration(SqliteConnection& connection);

class SqliteKbSearchCache {
 public:
  explicit SqliteKbSearchCache(bool enabled) : enabled_(enabled) {}

  // The page of `request` from the memory index, in the transaction open on
  // `connection` (its snapshot decides, see the file comment), or nullopt
  // when the request must run on FTS5. Errors: the reads' (the caller's
  // transaction is then failed as by any read).
  absl::StatusOr<std::optional<std::vector<KbIndexHit>>> Search(SqliteConnection& connection,
                                                                const KbSearchRequest& request);

  // After a commit on `connection` that took the generation from `before`
  // to `after` with `changes` (`complete`: every write recorded its change).
  void Apply(SqliteConnection& connection, int64_t before, int64_t after,
             const std::vector<KbIndexChange>& changes, bool complete);

  SqliteKbIndexStats Stats();

 private:
  // A new index of what `connection`'s transaction sees.
  static absl::StatusOr<std::unique_ptr<KbMemoryIndex>> Build(SqliteConnection& connection);

  const bool enabled_;
  // Held by the one search that builds an index (never while waiting for mu_
  // in the other order: the build runs before mu_ is taken).
  absl::Mutex build_mu_;
  absl::Mutex mu_;
  std::unique_ptr<KbMemoryIndex> index_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = -1;
  // A generation whose build failed (not tried again).
  int64_t failed_generation_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t builds_ ABSL_GUARDED_BY(mu_) = 0;
  double last_build_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t applied_commits_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int64_t> memory_searches_{0};
  std::atomic<int64_t> fts5_searches_{0};
};

}  // namespace internal
}  // namespace helpdesk

#endif  // HELPDESK_SRC_STORAGE_SQLITE_KB_CACHE_H_
