// SqliteKbSearchCache: the knowledge base index in memory, built from and
// kept coherent with the file (see the header).
#include "storage/sqlite_kb_cache.h"

#include <sqlite3.h>

#include <chrono>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal/status_macros.h"

namespace helpdesk::internal {
namespace {

// kb_fts's tokenizer (schema step 8): 'unicode61 remove_diacritics 2'.
constexpr const char* kTokenizerName = "unicode61";
constexpr const char* kTokenizerArgs[] = {"remove_diacritics", "2"};

static_assert(kKbTitleWeight == kKbIndexTitleCount, "title counts are whole numbers");

// FTS5's tokenizer of kb_fts, from the connection's fts5 module.
class Fts5Tokens {
 public:
  static absl::StatusOr<std::unique_ptr<Fts5Tokens>> Open(SqliteConnection& connection) {
    fts5_api* api = nullptr;
    {
      HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, connection.Prepare("SELECT fts5(?1)"));
      sqlite3_bind_pointer(stmt.get(), 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
      HELPDESK_RETURN_IF_ERROR(stmt.Run());
    }
    if (api == nullptr) return absl::InternalError("fts5 module unavailable");
    auto t = std::unique_ptr<Fts5Tokens>(new Fts5Tokens);
    void* context = nullptr;
    int rc = api->xFindTokenizer(api, kTokenizerName, &context, &t->module_);
    if (rc == SQLITE_OK) {
      rc = t->module_.xCreate(context, const_cast<const char**>(kTokenizerArgs), 2,
                              &t->tokenizer_);
    }
    if (rc != SQLITE_OK) return connection.Error(rc, "creating the unicode61 tokenizer");
    return t;
  }
  ~Fts5Tokens() {
    if (tokenizer_ != nullptr) module_.xDelete(tokenizer_);
  }

  // Calls `f(token)` for each token of `text`; false on a tokenizer error.
  template <typename F>
  bool Tokenize(absl::string_view text, int flags, F&& f) {
    using Fn = std::remove_reference_t<F>;
    auto callback = [](void* ctx, int, const char* token, int size, int, int) {
      (*static_cast<Fn*>(ctx))(absl::string_view(token, static_cast<size_t>(size)));
      return SQLITE_OK;
    };
    return module_.xTokenize(tokenizer_, const_cast<void*>(static_cast<const void*>(&f)), flags, text.data(), static_cast<int>(text.size()),
                             callback) == SQLITE_OK;
  }

  // A row's terms: title tokens count kKbIndexTitleCount, body tokens 1;
  // positions counted per column from 0, as FTS5 counts them.
  bool Terms(absl::string_view title, absl::string_view body, KbIndexTerms* out) {
    ids_.clear();
    tokens_.clear();
    out->counts.clear();
    uint32_t length = 0;
    bool ok = true;
    for (int column = 0; column < 2 && ok; ++column) {
      const uint32_t weight = column == 0 ? kKbIndexTitleCount : 1;
      const uint32_t column_bit = column == 0 ? 0 : kKbIndexBodyColumn;
      uint32_t offset = 0;
      ok = Tokenize(column == 0 ? title : body, FTS5_TOKENIZE_DOCUMENT,
                    [&](absl::string_view token) {
                      auto [it, added] = ids_.try_emplace(token, out->counts.size());
                      if (added) out->counts.emplace_back(std::string(token), 0);
                      out->counts[it->second].second += weight;
                      tokens_.emplace_back(it->second, column_bit | offset);
                      ++offset;
                      ++length;
                    });
    }
    // The positions grouped by term (a counting sort: each term's stay in
    // order).
    out->position_ends.assign(out->counts.size(), 0);
    for (const auto& [id, position] : tokens_) ++out->position_ends[id];
    uint32_t end = 0;
    for (uint32_t& e : out->position_ends) e = (end += e);
    out->positions.resize(tokens_.size());
    for (size_t i = tokens_.size(); i-- > 0;) {
      out->positions[--out->position_ends[tokens_[i].first]] = tokens_[i].second;
    }
    for (size_t i = 0; i < out->position_ends.size(); ++i) {  // back to each list's end
      out->position_ends[i] = i + 1 < out->position_ends.size()
                                  ? out->position_ends[i + 1]
                                  : static_cast<uint32_t>(tokens_.size());
    }
    out->length = length;
    return ok;
  }

 private:
  Fts5Tokens() = default;
  fts5_tokenizer module_{};
  Fts5Tokenizer* tokenizer_ = nullptr;
  absl::flat_hash_map<std::string, uint32_t> ids_;        // token: its index in counts
  std::vector<std::pair<uint32_t, uint32_t>> tokens_;     // the text's: index, position
};

KbVisibility VisibilityOfColumn(int64_t v) {
  switch (v) {
    case 1:
      return KbVisibility::kPublic;
    case 2:
      return KbVisibility::kAgents;
    default:
      return KbVisibility::kRestricted;
  }
}

}  // namespace

absl::StatusOr<int64_t> ReadKbGeneration(SqliteConnection& connection) {
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            connection.Prepare("SELECT value FROM kb_generation WHERE id = 1"));
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt(0) : 0;
}

absl::StatusOr<int64_t> BumpKbGeneration(SqliteConnection& connection) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      connection.Prepare("UPDATE kb_generation SET value = value + 1 WHERE id = 1 "
                         "RETURNING value"));
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError("kb_generation has no row");
  const int64_t value = stmt.ColumnInt(0);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  return value;
}

absl::StatusOr<std::unique_ptr<KbMemoryIndex>> SqliteKbSearchCache::Build(
    SqliteConnection& connection) {
  auto index = std::make_unique<KbMemoryIndex>();
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Fts5Tokens> tokens, Fts5Tokens::Open(connection));
  absl::flat_hash_map<int64_t, KbArticleFacts> facts;
  {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        connection.Prepare("SELECT article_id, kind, member_id FROM kb_audience"));
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      KbArticleFacts& f = facts[stmt.ColumnInt(0)];
      (stmt.ColumnInt(1) == 1 ? f.group_ids : f.organization_ids).push_back(stmt.ColumnInt(2));
    }
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      connection.Prepare("SELECT d.id, d.article_id, d.locale, d.language, d.published, "
                         "d.visibility, d.tokens, f.title, f.body "
                         "FROM kb_docs d JOIN kb_fts f ON f.rowid = d.id ORDER BY d.id"));
  KbIndexRow row;
  KbIndexTerms terms;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool more, stmt.Step());
    if (!more) break;
    row.doc_id = stmt.ColumnInt(0);
    row.article_id = stmt.ColumnInt(1);
    row.locale = std::string(stmt.ColumnText(2));
    row.language = std::string(stmt.ColumnText(3));
    row.published = stmt.ColumnInt(4) != 0;
    if (!tokens->Terms(stmt.ColumnText(7), stmt.ColumnText(8), &terms)) {
      return absl::InternalError(absl::StrCat("kb_fts row ", row.doc_id, " does not tokenize"));
    }
    // The row's length as FTS5 counted it, where kept: a different count
    // would rank differently, so the index is not used.
    if (!stmt.ColumnIsNull(6) && stmt.ColumnInt(6) != terms.length) {
      return absl::InternalError(absl::StrCat("kb_docs row ", row.doc_id, " has ",
                                              stmt.ColumnInt(6), " tokens, the tokenizer ",
                                              terms.length));
    }
    KbArticleFacts& f = facts[row.article_id];
    f.id = row.article_id;
    f.visibility = VisibilityOfColumn(stmt.ColumnInt(5));
    index->SetArticleFacts(f);
    if (!index->AddRow(row, terms)) {
      return absl::InternalError(
          absl::StrCat("kb_docs row ", row.doc_id, " twice, or a column too long"));
    }
  }
  index->ShrinkToFit();
  return index;
}

absl::StatusOr<std::optional<std::vector<KbIndexHit>>> SqliteKbSearchCache::Search(
    SqliteConnection& connection, const KbSearchRequest& r) {
  std::optional<std::vector<KbIndexHit>> none;
  if (!enabled_) {
    ++fts5_searches_;
    return none;
  }
  // The phrases as FTS5 reads the MATCH expression: each query term's words
  // through the same tokenizer; one token, or several (a phrase) when not a
  // prefix, or FTS5 runs it.
  std::vector<KbIndexPhrase> phrases;
  {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Fts5Tokens> tokens, Fts5Tokens::Open(connection));
    for (const KbQueryTerm& t : r.query.terms) {
      std::vector<std::string> got;
      if (!tokens->Tokenize(absl::StrJoin(t.terms, " "), FTS5_TOKENIZE_QUERY,
                            [&](absl::string_view token) { got.emplace_back(token); }) ||
          got.empty() || (t.prefix && got.size() > 1)) {
        ++fts5_searches_;
        return none;
      }
      phrases.push_back(KbIndexPhrase{.tokens = std::move(got), .prefix = t.prefix});
    }
  }
  HELPDESK_ASSIGN_OR_RETURN(int64_t generation, ReadKbGeneration(connection));
  {
    absl::ReaderMutexLock lock(&mu_);
    if (index_ != nullptr && generation_ == generation) {
      ++memory_searches_;
      return index_->Search(phrases, r.language, r.audience, r.limit, r.offset);
    }
    if ((index_ != nullptr && generation_ > generation) || failed_generation_ == generation) {
      ++fts5_searches_;
      return none;
    }
  }
  // The index is older than this snapshot (or was never built). One search
  // builds it, from its own snapshot and without holding mu_: searches
  // meanwhile (of this generation or a newer one) run on FTS5 rather than
  // wait for the build, and older snapshots go on using the old index.
  if (!build_mu_.TryLock()) {
    ++fts5_searches_;
    return none;
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<KbMemoryIndex>> built = Build(connection);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  build_mu_.Unlock();
  absl::MutexLock lock(&mu_);
  if (!built.ok()) {
    failed_generation_ = generation;
    // A read error fails the caller's read as any read would; a row the
    // index cannot hold sends searches to FTS5.
    if (SqliteCodeOf(built.status()) != SQLITE_OK) return built.status();
    ++fts5_searches_;
    return none;
  }
  // Another search may have built a newer one meanwhile (this store's
  // commits move a current index forward): keep the newest.
  if (index_ == nullptr || generation_ < generation) {
    index_ = *std::move(built);
    generation_ = generation;
    ++builds_;
    last_build_seconds_ = seconds;
  }
  if (generation_ != generation) {
    ++fts5_searches_;
    return none;
  }
  ++memory_searches_;
  return index_->Search(phrases, r.language, r.audience, r.limit, r.offset);
}

void SqliteKbSearchCache::Apply(SqliteConnection& connection, int64_t before, int64_t after,
                                const std::vector<KbIndexChange>& changes, bool complete) {
  if (!enabled_) return;
  absl::MutexLock lock(&mu_);
  if (index_ == nullptr || generation_ != before) return;  // rebuilt already, or stale
  absl::StatusOr<std::unique_ptr<Fts5Tokens>> tokens = Fts5Tokens::Open(connection);
  if (!complete || !tokens.ok()) {
    index_.reset();  // the next search rebuilds
    generation_ = -1;
    return;
  }
  std::vector<std::pair<int64_t, KbIndexTerms>> old_rows;
  KbIndexTerms terms;
  bool ok = true;
  for (size_t i = 0; i < changes.size() && ok; ++i) {
    const KbIndexChange& c = changes[i];
    old_rows.clear();
    for (const KbIndexChange::Text& t : c.removed) {
      ok = ok && (*tokens)->Terms(t.title, t.body, &terms);
      old_rows.emplace_back(t.doc_id, terms);
    }
    ok = ok && index_->RemoveArticle(c.article_id, old_rows);
    index_->SetArticleFacts(c.facts);
    for (const auto& [row, text] : c.added) {
      ok = ok && (*tokens)->Terms(text.title, text.body, &terms) && index_->AddRow(row, terms);
    }
  }
  if (!ok) {
    index_.reset();  // the next search rebuilds
    generation_ = -1;
    return;
  }
  generation_ = after;
  ++applied_commits_;
}

SqliteKbIndexStats SqliteKbSearchCache::Stats() {
  absl::MutexLock lock(&mu_);
  SqliteKbIndexStats s;
  s.enabled = enabled_;
  s.built = index_ != nullptr;
  s.generation = generation_;
  if (index_ != nullptr) {
    s.rows = index_->rows();
    s.terms = index_->terms();
    s.postings = index_->postings();
    s.memory_bytes = index_->MemoryBytes();
  }
  s.builds = builds_;
  s.last_build_seconds = last_build_seconds_;
  s.memory_searches = memory_searches_.load();
  s.fts5_searches = fts5_searches_.load();
  s.applied_commits = applied_commits_;
  return s;
}

}  // namespace helpdesk::internal
