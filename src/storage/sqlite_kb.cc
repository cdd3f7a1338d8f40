// SqliteStore: knowledge base articles, their FTS5 index and search (BM25,
// filtered by the reader's audience before ranking), suggestion sessions.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "helpdesk/kb.h"
#include "storage/kb_index.h"
#include "storage/sqlite_kb_cache.h"
#include "storage/sqlite_kb_rank.h"
#include "storage/sqlite_transaction.h"

namespace helpdesk::internal {
namespace {

int VisibilityColumn(KbVisibility v) {
  switch (v) {
    case KbVisibility::kPublic:
      return 1;
    case KbVisibility::kAgents:
      return 2;
    case KbVisibility::kRestricted:
      return 3;
  }
  return 3;
}

std::string JsonIds(const std::vector<int64_t>& ids) {
  return absl::StrCat("[", absl::StrJoin(ids, ","), "]");
}

// The search: FTS5 finds the matching rows, kb_docs filters them by
// language, state and audience, and only then are they ranked and cut to
// the page (an agent sees a RESTRICTED article that names no group, see
// access.h); the page's rows alone then get what a hit shows from
// kb_doc_display (LEFT JOIN: rows indexed before schema version 10 have
// none). The rank is kb_bm25 (storage/sqlite_kb_rank.h): FTS5's bm25 with
// the row's length from the kb_docs row the filter reads anyway. ?1 MATCH, ?2 language ('' any), ?3 drafts, ?4 everything,
// ?5 agents, ?6 groups (JSON), ?7 organizations (JSON), ?8 limit, ?9 offset.
constexpr absl::string_view kSearchSql = R"sql(
SELECT h.article_id, h.locale, h.rank, x.doc_id IS NOT NULL, x.title, x.category, x.section,
       x.plain
FROM (
  SELECT d.id AS id, d.article_id AS article_id, d.locale AS locale,
         kb_bm25(kb_fts, d.tokens) AS rank
  FROM kb_fts JOIN kb_docs d ON d.id = kb_fts.rowid
  WHERE kb_fts MATCH ?1
    AND (?2 = '' OR d.language = ?2)
    AND (d.published = 1 OR ?3 = 1)
    AND (?4 = 1 OR d.visibility = 1 OR (?5 = 1 AND d.visibility = 2)
         OR (d.visibility = 3 AND ?5 = 1 AND NOT EXISTS (
               SELECT 1 FROM kb_audience g WHERE g.article_id = d.article_id AND g.kind = 1))
         OR (d.visibility = 3 AND EXISTS (
               SELECT 1 FROM kb_audience a
               WHERE a.article_id = d.article_id
                 AND ((a.kind = 1 AND a.member_id IN (SELECT value FROM json_each(?6)))
                   OR (a.kind = 2 AND a.member_id IN (SELECT value FROM json_each(?7)))))))
  ORDER BY rank, d.article_id, d.locale
  LIMIT ?8 OFFSET ?9) h
LEFT JOIN kb_doc_display x ON x.doc_id = h.id
ORDER BY h.rank, h.article_id, h.locale
)sql";

}  // namespace

absl::Status SqliteTransaction::WriteKbIndex(const v1::KbArticle& article, bool replace) {
  HELPDESK_ASSIGN_OR_RETURN(KbIndexedArticle indexed, IndexKbArticle(article));
  const int64_t id = article.id();
  // Until this write has recorded its whole change, the transaction's
  // changes are incomplete (a failure half way leaves them so).
  const bool complete_before = kb_changes_complete_;
  kb_changes_complete_ = false;
  // One bump per transaction tells every other store that the knowledge
  // base changed (measured: a bump per article cost ~30% of the build rate
  // in bench/kb_bench).
  if (!kb_wrote_) {
    HELPDESK_ASSIGN_OR_RETURN(int64_t generation, BumpKbGeneration(*connection_));
    kb_generation_before_ = generation - 1;
    kb_generation_after_ = generation;
    kb_wrote_ = true;
  }
  KbIndexChange change;
  change.article_id = id;
  change.facts = indexed.facts;
  change.facts.id = id;
  if (replace) {
    // The rows' text as kb_fts holds it, for the index in memory.
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement old,
        Prepare("SELECT d.id, f.title, f.body FROM kb_docs d JOIN kb_fts f ON f.rowid = d.id "
                "WHERE d.article_id = ?"));
    old.BindInt(1, id);
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(bool row, old.Step());
      if (!row) break;
      change.removed.push_back(KbIndexChange::Text{.doc_id = old.ColumnInt(0),
                                                   .title = std::string(old.ColumnText(1)),
                                                   .body = std::string(old.ColumnText(2))});
    }
  }
  if (replace) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement del_fts,
        Prepare("DELETE FROM kb_fts WHERE rowid IN (SELECT id FROM kb_docs WHERE article_id = ?)"));
    del_fts.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(del_fts.Run());
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement del_display,
        Prepare("DELETE FROM kb_doc_display WHERE doc_id IN "
                "(SELECT id FROM kb_docs WHERE article_id = ?)"));
    del_display.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(del_display.Run());
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement del_docs,
                              Prepare("DELETE FROM kb_docs WHERE article_id = ?"));
    del_docs.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(del_docs.Run());
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement del_aud,
                              Prepare("DELETE FROM kb_audience WHERE article_id = ?"));
    del_aud.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(del_aud.Run());
  }
  const int visibility = VisibilityColumn(indexed.facts.visibility);
  for (const KbIndexedDoc& d : indexed.docs) {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement doc,
        Prepare("INSERT INTO kb_docs (article_id, locale, language, published, visibility) "
                "VALUES (?, ?, ?, ?, ?)"));
    doc.BindInt(1, id);
    doc.BindText(2, d.locale);
    doc.BindText(3, d.language);
    doc.BindInt(4, d.published ? 1 : 0);
    doc.BindInt(5, visibility);
    HELPDESK_RETURN_IF_ERROR(doc.Run());
    const int64_t rowid = LastRowId();
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement fts, Prepare("INSERT INTO kb_fts (rowid, title, body) VALUES (?, ?, ?)"));
    fts.BindInt(1, rowid);
    std::string title = absl::StrJoin(d.title, " ");
    std::string body = absl::StrJoin(d.body, " ");
    fts.BindText(2, title);
    fts.BindText(3, body);
    HELPDESK_RETURN_IF_ERROR(fts.Run());
    change.added.emplace_back(
        KbIndexRow{.doc_id = rowid,
                   .article_id = id,
                   .locale = d.locale,
                   .language = d.language,
                   .published = d.published},
        KbIndexChange::Text{.doc_id = rowid, .title = std::move(title), .body = std::move(body)});
    // The row's length as FTS5 counted it, for kb_bm25.
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement size,
                              Prepare("SELECT sz FROM kb_fts_docsize WHERE id = ?"));
    size.BindInt(1, rowid);
    HELPDESK_ASSIGN_OR_RETURN(bool found, size.Step());
    const int64_t tokens = found ? KbDocsizeTotal(size.ColumnBlob(0), 2) : -1;
    if (tokens >= 0) {
      HELPDESK_ASSIGN_OR_RETURN(SqliteStatement set_tokens,
                                Prepare("UPDATE kb_docs SET tokens = ? WHERE id = ?"));
      set_tokens.BindInt(1, tokens);
      set_tokens.BindInt(2, rowid);
      HELPDESK_RETURN_IF_ERROR(set_tokens.Run());
    }
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement display,
        Prepare("INSERT INTO kb_doc_display (doc_id, title, category, section, plain) "
                "VALUES (?, ?, ?, ?, ?)"));
    display.BindInt(1, rowid);
    display.BindText(2, d.title_text);
    display.BindText(3, indexed.category);
    display.BindText(4, indexed.section);
    display.BindText(5, d.plain_text);
    HELPDESK_RETURN_IF_ERROR(display.Run());
  }
  auto audience = [&](int kind, const std::vector<int64_t>& members) -> absl::Status {
    for (int64_t m : members) {
      HELPDESK_ASSIGN_OR_RETURN(
          SqliteStatement stmt,
          Prepare("INSERT OR IGNORE INTO kb_audience (article_id, kind, member_id) "
                  "VALUES (?, ?, ?)"));
      stmt.BindInt(1, id);
      stmt.BindInt(2, kind);
      stmt.BindInt(3, m);
      HELPDESK_RETURN_IF_ERROR(stmt.Run());
    }
    return absl::OkStatus();
  };
  HELPDESK_RETURN_IF_ERROR(audience(1, indexed.facts.group_ids));
  HELPDESK_RETURN_IF_ERROR(audience(2, indexed.facts.organization_ids));
  kb_changes_.push_back(std::move(change));
  kb_changes_complete_ = complete_before;
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoInsertKbArticle(v1::KbArticle* article) {
  // Check what indexing checks before anything is written.
  HELPDESK_RETURN_IF_ERROR(IndexKbArticle(*article).status());
  v1::KbArticle stored = *article;
  stored.clear_id();
  stored.set_version(1);
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "article"));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("INSERT INTO kb_articles (version, proto) VALUES (1, ?)"));
  stmt.BindBlob(1, bytes);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  const int64_t id = LastRowId();
  v1::KbArticle with_id = *article;
  with_id.set_id(id);
  HELPDESK_RETURN_IF_ERROR(WriteKbIndex(with_id, /*replace=*/false));
  article->set_id(id);
  article->set_version(1);
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoUpdateKbArticle(v1::KbArticle* article,
                                                  int64_t expected_version) {
  HELPDESK_RETURN_IF_ERROR(IndexKbArticle(*article).status());
  v1::KbArticle stored = *article;
  stored.clear_id();
  stored.set_version(expected_version + 1);
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "article"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE kb_articles SET version = ?, proto = ? WHERE id = ? AND version = ?"));
  stmt.BindInt(1, expected_version + 1);
  stmt.BindBlob(2, bytes);
  stmt.BindInt(3, article->id());
  stmt.BindInt(4, expected_version);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  if (Changes() == 0) {
    return VersionMismatch("SELECT version FROM kb_articles WHERE id = ?", "article",
                           article->id(), expected_version);
  }
  HELPDESK_RETURN_IF_ERROR(WriteKbIndex(*article, /*replace=*/true));
  article->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KbSearchHit>> SqliteTransaction::DoSearchKbArticles(
    const KbSearchRequest& r) {
  HELPDESK_RETURN_IF_ERROR(CheckKbSearchRequest(r));
  // The index in memory when it holds this snapshot (sqlite_kb_cache.h); a
  // transaction that wrote the knowledge base reads its own writes here.
  if (!kb_wrote_) {
    HELPDESK_ASSIGN_OR_RETURN(std::optional<std::vector<KbIndexHit>> page,
                              KbSearchCacheOf(*store_).Search(*connection_, r));
    if (page.has_value()) return KbHitsWithDisplay(*page);
  }
  const std::string match = KbFts5MatchExpression(r.query);
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(kSearchSql));
  stmt.BindText(1, match);
  stmt.BindText(2, r.language);
  stmt.BindInt(3, r.audience.drafts ? 1 : 0);
  stmt.BindInt(4, r.audience.everything ? 1 : 0);
  stmt.BindInt(5, r.audience.agents ? 1 : 0);
  const std::string groups = JsonIds(r.audience.group_ids);
  const std::string orgs = JsonIds(r.audience.organization_ids);
  stmt.BindText(6, groups);
  stmt.BindText(7, orgs);
  stmt.BindInt(8, r.limit);
  stmt.BindInt(9, r.offset);
  std::vector<KbSearchHit> hits;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    KbSearchHit& h = hits.emplace_back();
    h.article_id = stmt.ColumnInt(0);
    h.locale = std::string(stmt.ColumnText(1));
    h.score = -sqlite3_column_double(stmt.get(), 2);
    h.has_display = stmt.ColumnInt(3) != 0;
    if (h.has_display) {
      h.title = std::string(stmt.ColumnText(4));
      h.category = std::string(stmt.ColumnText(5));
      h.section = std::string(stmt.ColumnText(6));
      h.plain_text = std::string(stmt.ColumnText(7));
    }
  }
  return hits;
}

absl::StatusOr<std::vector<KbSearchHit>> SqliteTransaction::KbHitsWithDisplay(
    const std::vector<KbIndexHit>& page) {
  std::vector<KbSearchHit> hits;
  hits.reserve(page.size());
  for (const KbIndexHit& p : page) {
    KbSearchHit& h = hits.emplace_back();
    h.article_id = p.article_id;
    h.locale = p.locale;
    h.score = p.score;
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("SELECT title, category, section, plain FROM kb_doc_display WHERE doc_id = ?"));
    stmt.BindInt(1, p.doc_id);
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    h.has_display = row;  // rows indexed before schema version 10 have none
    if (row) {
      h.title = std::string(stmt.ColumnText(0));
      h.category = std::string(stmt.ColumnText(1));
      h.section = std::string(stmt.ColumnText(2));
      h.plain_text = std::string(stmt.ColumnText(3));
    }
  }
  return hits;
}

absl::Status SqliteTransaction::DoInsertKbSuggestionSession(v1::KbSuggestionSession* session) {
  v1::KbSuggestionSession stored = *session;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "suggestion session"));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("INSERT INTO kb_sessions (proto) VALUES (?)"));
  stmt.BindBlob(1, bytes);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  session->set_id(LastRowId());
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoUpdateKbSuggestionSession(
    const v1::KbSuggestionSession& session) {
  v1::KbSuggestionSession stored = session;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "suggestion session"));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                            Prepare("UPDATE kb_sessions SET proto = ? WHERE id = ?"));
  stmt.BindBlob(1, bytes);
  stmt.BindInt(2, session.id());
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  if (Changes() == 0) return NotFound("suggestion session", session.id());
  return absl::OkStatus();
}

}  // namespace helpdesk::internal
