// kb_bm25: FTS5's bm25 with the row length from kb_docs (see the header).
#include "storage/sqlite_kb_rank.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "helpdesk/store.h"
#include "storage/kb_bm25.h"

namespace helpdesk::internal {
namespace {

// What a query computes once (FTS5's Fts5Bm25Data): per phrase its idf, and
// the average row length; freq is per-row scratch.
struct QueryData {
  int phrases = 0;
  double avgdl = 0;
  double* idf = nullptr;
  double* freq = nullptr;
};

int CountRow(const Fts5ExtensionApi*, Fts5Context*, void* user) {
  ++*static_cast<sqlite3_int64*>(user);
  return SQLITE_OK;
}

void FreeQueryData(void* p) { sqlite3_free(p); }

int GetQueryData(const Fts5ExtensionApi* api, Fts5Context* fts, QueryData** out) {
  auto* d = static_cast<QueryData*>(api->xGetAuxdata(fts, 0));
  if (d != nullptr) {
    *out = d;
    return SQLITE_OK;
  }
  const int phrases = api->xPhraseCount(fts);
  const sqlite3_int64 bytes =
      static_cast<sqlite3_int64>(sizeof(QueryData) + 2 * sizeof(double) * static_cast<size_t>(phrases));
  d = static_cast<QueryData*>(sqlite3_malloc64(static_cast<sqlite3_uint64>(bytes)));
  if (d == nullptr) return SQLITE_NOMEM;
  std::memset(static_cast<void*>(d), 0, static_cast<size_t>(bytes));
  d->phrases = phrases;
  d->idf = reinterpret_cast<double*>(d + 1);
  d->freq = d->idf + phrases;
  sqlite3_int64 rows = 0;
  sqlite3_int64 tokens = 0;
  int rc = api->xRowCount(fts, &rows);
  if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
  if (rc == SQLITE_OK) d->avgdl = static_cast<double>(tokens) / static_cast<double>(rows);
  for (int i = 0; rc == SQLITE_OK && i < phrases; ++i) {
    sqlite3_int64 hits = 0;
    rc = api->xQueryPhrase(fts, i, &hits, CountRow);
    if (rc == SQLITE_OK) {
      d->idf[i] = KbBm25Idf(rows, hits);  // as FTS5 computes it, clamp included
    }
  }
  if (rc != SQLITE_OK) {
    sqlite3_free(d);
    return rc;
  }
  rc = api->xSetAuxdata(fts, d, FreeQueryData);  // frees d on failure
  if (rc != SQLITE_OK) return rc;
  *out = d;
  return SQLITE_OK;
}

void KbBm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
            sqlite3_value** argv) {
  QueryData* d = nullptr;
  int rc = GetQueryData(api, fts, &d);
  // Each phrase's weighted count in this row: its instances in the title
  // (column 0) count kKbTitleWeight, in the body 1 (small integers: exact in
  // any order of addition, so the same as bm25's sums).
  for (int i = 0; rc == SQLITE_OK && i < d->phrases; ++i) {
    double f = 0;
    Fts5PhraseIter it;
    int column = 0;
    int offset = 0;
    rc = api->xPhraseFirst(fts, i, &it, &column, &offset);
    for (; rc == SQLITE_OK && column >= 0; api->xPhraseNext(fts, &it, &column, &offset)) {
      f += column == 0 ? kKbTitleWeight : 1.0;
    }
    d->freq[i] = f;
  }
  double length = 0;
  if (rc == SQLITE_OK) {
    if (argc > 0 && sqlite3_value_type(argv[0]) == SQLITE_INTEGER) {
      length = static_cast<double>(sqlite3_value_int64(argv[0]));
    } else {
      int n = 0;
      rc = api->xColumnSize(fts, -1, &n);
      length = static_cast<double>(n);
    }
  }
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  // bm25's expression, term by term in the same order.
  double score = 0.0;
  for (int i = 0; i < d->phrases; ++i) {
    score += KbBm25Term(d->idf[i], d->freq[i], length, d->avgdl);
  }
  sqlite3_result_double(ctx, -1.0 * score);
}

}  // namespace

int RegisterKbRankFunction(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  rc = sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) return rc;
  if (api == nullptr || api->iVersion < 2) return SQLITE_ERROR;
  return api->xCreateFunction(api, "kb_bm25", nullptr, KbBm25, nullptr);
}

int64_t KbDocsizeTotal(absl::string_view blob, int columns) {
  int64_t total = 0;
  size_t at = 0;
  for (int c = 0; c < columns; ++c) {
    // SQLite's varint: 7 bits a byte, high bit set on all but the last;
    // the ninth byte gives 8 bits.
    uint64_t v = 0;
    int i = 0;
    for (;; ++i) {
      if (at >= blob.size()) return -1;
      const auto byte = static_cast<unsigned char>(blob[at++]);
      if (i == 8) {
        v = (v << 8) | byte;
        break;
      }
      v = (v << 7) | (byte & 0x7f);
      if ((byte & 0x80) == 0) break;
    }
    total += static_cast<int64_t>(v);
  }
  return at == blob.size() ? total : -1;
}

}  // namespace helpdesk::internal
