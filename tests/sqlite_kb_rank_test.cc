// kb_bm25 (storage/sqlite_kb_rank.h), SqliteStore's knowledge base ranking:
// the same value as FTS5's bm25(kb_fts, kKbTitleWeight, 1.0) on every
// matching row (words, OR of words, phrases, prefixes; rows with the length
// kept in kb_docs.tokens and rows without it), and the store's search gives
// the same page with and without kb_docs.tokens (files indexed before
// schema version 11).
#include "storage/sqlite_kb_rank.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "helpdesk/kb.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::internal {
namespace {

std::string TempPath() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = absl::StrCat(::testing::TempDir(), "/sqlite_kb_rank_test_", info->name(),
                                  "_", getpid(), ".db");
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove(absl::StrCat(path, suffix).c_str());
  }
  return path;
}

// Seeded articles over a small vocabulary, so that words repeat across
// titles and bodies, in two languages, some with tags, one updated.
void Fill(Store& store) {
  const std::vector<std::string> words = {
      "factura", "facturas", "pago",   "cuenta", "contraseña", "acceso", "envío",
      "invoice", "payment",  "refund", "login",  "password",   "vpn",    "portal"};
  std::mt19937 rng(5);
  std::uniform_int_distribution<size_t> word(0, words.size() - 1);
  std::uniform_int_distribution<int> len(1, 30);
  auto text = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) absl::StrAppend(&s, i ? " " : "", words[word(rng)]);
    return s;
  };
  auto tx = *store.Begin(TransactionMode::kReadWrite);
  std::vector<v1::KbArticle> stored;
  for (int i = 0; i < 80; ++i) {
    v1::KbArticle a;
    a.set_visibility(i % 5 == 0 ? v1::KbArticle::AGENTS : v1::KbArticle::PUBLIC);
    if (i % 7 == 0) a.add_tags(words[word(rng)]);
    v1::KbTranslation* t = a.add_translations();
    t->set_locale(i % 2 == 0 ? "es" : "en");
    t->set_title(text(1 + len(rng) / 6));
    t->set_body_markdown(absl::StrCat(text(len(rng)), "\n\n*", text(2), "* ", text(len(rng))));
    t->set_state(v1::KbTranslation::PUBLISHED);
    ASSERT_OK(tx->InsertKbArticle(&a));
    stored.push_back(a);
  }
  v1::KbArticle& changed = stored[3];
  changed.mutable_translations(0)->set_body_markdown("vpn vpn portal factura");
  ASSERT_OK(tx->UpdateKbArticle(&changed, changed.version()));
  ASSERT_OK(tx->Commit());
}

TEST(SqliteKbRankTest, EqualsFts5Bm25OnEveryMatchingRow) {
  const std::string path = TempPath();
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
    Fill(*store);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(RegisterKbRankFunction(db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT k.rowid, bm25(kb_fts, 3.0, 1.0), kb_bm25(kb_fts, d.tokens), "
                               "kb_bm25(kb_fts, NULL), d.tokens IS NOT NULL "
                               "FROM kb_fts k JOIN kb_docs d ON d.id = k.rowid "
                               "WHERE kb_fts MATCH ?",
                               -1, &stmt, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  int rows = 0;
  for (const char* q : {"factura", "vpn", "vpn portal", "invoice refund login", "\"vpn portal\"",
                        "fact*", "pa*", "contraseña acceso envío pago cuenta"}) {
    for (const char* locale : {"es", "en"}) {
      const std::string match = KbFts5MatchExpression(ParseKbQuery(q, locale));
      sqlite3_bind_text(stmt, 1, match.c_str(), -1, SQLITE_TRANSIENT);
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        ++rows;
        const double bm25 = sqlite3_column_double(stmt, 1);
        EXPECT_EQ(sqlite3_column_double(stmt, 2), bm25)
            << q << " row " << sqlite3_column_int64(stmt, 0);
        EXPECT_EQ(sqlite3_column_double(stmt, 3), bm25)
            << q << " row " << sqlite3_column_int64(stmt, 0);
        EXPECT_EQ(sqlite3_column_int(stmt, 4), 1) << "kb_docs.tokens unset";
      }
      sqlite3_reset(stmt);
    }
  }
  EXPECT_GT(rows, 100);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  std::remove(path.c_str());
}

TEST(SqliteKbRankTest, RowsWithoutTokensRankTheSame) {
  const std::string path = TempPath();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  Fill(*store);
  auto search = [&](const char* q) {
    KbSearchRequest r;
    r.query = ParseKbQuery(q, "es");
    r.language = "es";
    r.limit = 100;
    auto tx = *store->Begin(TransactionMode::kReadOnly);
    absl::StatusOr<std::vector<KbSearchHit>> hits = tx->SearchKbArticles(r);
    EXPECT_TRUE(hits.ok()) << hits.status();
    std::vector<std::pair<int64_t, double>> out;
    if (hits.ok()) {
      for (const KbSearchHit& h : *hits) out.emplace_back(h.article_id, h.score);
    }
    return out;
  };
  const std::vector<const char*> queries = {"factura", "vpn portal", "\"vpn portal\"", "fact*"};
  std::vector<std::vector<std::pair<int64_t, double>>> before;
  for (const char* q : queries) before.push_back(search(q));
  // A file indexed before schema version 11: no kb_docs.tokens.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE kb_docs SET tokens = NULL", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_FALSE(before[i].empty()) << queries[i];
    EXPECT_EQ(search(queries[i]), before[i]) << queries[i];
  }
  store.reset();
  std::remove(path.c_str());
}

TEST(SqliteKbRankTest, DocsizeTotalReadsFts5Varints) {
  EXPECT_EQ(KbDocsizeTotal(std::string("\x05\x07", 2), 2), 12);
  EXPECT_EQ(KbDocsizeTotal(std::string("\x81\x00\x02", 3), 2), 130);  // 128 + 2
  EXPECT_EQ(KbDocsizeTotal(std::string("\x05", 1), 2), -1);           // one column short
  EXPECT_EQ(KbDocsizeTotal(std::string("\x05\x07\x01", 3), 2), -1);   // a byte over
  EXPECT_EQ(KbDocsizeTotal(std::string("\x85", 1), 1), -1);           // cut varint
  EXPECT_EQ(KbDocsizeTotal("", 0), 0);
}

}  // namespace
}  // namespace helpdesk::internal
