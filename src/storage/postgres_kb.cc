// PostgresStore: knowledge base articles, search and suggestion sessions
// (schema version 7).
//
// Search reuses the store-independent reference index of storage/kb_index.h
// (BM25 as SqliteStore's FTS5 computes it, the audience filtered before the
// ranking): each search reads the articles visible to the transaction,
// indexes them and ranks. That is exact and sees the transaction's own
// writes, but costs every article on each search; a persistent index
// (PostgreSQL full-text search with the same scores) is left to do.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/kb_index.h"
#include "storage/postgres_transaction.h"

namespace helpdesk::internal {

absl::Status PostgresTransaction::DoInsertKbArticle(v1::KbArticle* article) {
  // Check what indexing checks before anything is written.
  HELPDESK_RETURN_IF_ERROR(IndexKbArticle(*article).status());
  v1::KbArticle stored = *article;
  stored.clear_id();
  stored.set_version(1);
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "article"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("INSERT INTO kb_articles (version, proto) VALUES (1, $1) RETURNING id",
                      {PgParam::Bytes(bytes)}));
  article->set_id(r.Int(0, 0));
  article->set_version(1);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateKbArticle(v1::KbArticle* article,
                                                    int64_t expected_version) {
  HELPDESK_RETURN_IF_ERROR(IndexKbArticle(*article).status());
  v1::KbArticle stored = *article;
  stored.clear_id();
  stored.set_version(expected_version + 1);
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "article"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("UPDATE kb_articles SET version = $1, proto = $2 WHERE id = $3 AND version = $4 "
          "RETURNING id",
          {PgParam::Int(expected_version + 1), PgParam::Bytes(bytes),
           PgParam::Int(article->id()), PgParam::Int(expected_version)}));
  if (r.rows() == 0) {
    return VersionMismatch("SELECT version FROM kb_articles WHERE id = $1", "article",
                           article->id(), expected_version);
  }
  article->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KbSearchHit>> PostgresTransaction::DoSearchKbArticles(
    const KbSearchRequest& request) {
  HELPDESK_RETURN_IF_ERROR(CheckKbSearchRequest(request));
  std::map<int64_t, KbIndexedArticle> index;
  constexpr int kPage = 1000;
  int64_t after = 0;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(
        std::vector<v1::KbArticle> page,
        ListRows<v1::KbArticle>(
            "SELECT id, proto FROM kb_articles WHERE id > $1 ORDER BY id LIMIT $2",
            "kb_articles", {after, kPage}));
    for (const v1::KbArticle& article : page) {
      after = article.id();
      // Stored articles passed IndexKbArticle when written.
      HELPDESK_ASSIGN_OR_RETURN(KbIndexedArticle indexed, IndexKbArticle(article));
      index.emplace(article.id(), std::move(indexed));
    }
    if (static_cast<int>(page.size()) < kPage) break;
  }
  return SearchKbIndex(index, request);
}

absl::Status PostgresTransaction::DoInsertKbSuggestionSession(
    v1::KbSuggestionSession* session) {
  v1::KbSuggestionSession stored = *session;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "suggestion session"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      Run("INSERT INTO kb_sessions (proto) VALUES ($1) RETURNING id", {PgParam::Bytes(bytes)}));
  session->set_id(r.Int(0, 0));
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateKbSuggestionSession(
    const v1::KbSuggestionSession& session) {
  v1::KbSuggestionSession stored = session;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "suggestion session"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("UPDATE kb_sessions SET proto = $1 WHERE id = $2 RETURNING id",
                      {PgParam::Bytes(bytes), PgParam::Int(session.id())}));
  if (r.rows() == 0) return NotFound("suggestion session", session.id());
  return absl::OkStatus();
}

}  // namespace helpdesk::internal
