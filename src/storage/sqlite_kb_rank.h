// Internal: kb_bm25, the FTS5 ranking function of SqliteStore's knowledge
// base search (storage/sqlite_kb.cc).
//
//   kb_bm25(kb_fts, tokens)
//
// The same value as FTS5's bm25(kb_fts, kKbTitleWeight, 1.0), computed the
// same way (k1 1.2, b 0.75, idf from the rows each phrase matches, clamped
// to 1e-6, avgdl over the whole table; negated: lower is better), except
// where the row's length comes from: `tokens`, the row's token count that
// the store keeps in kb_docs.tokens (the join the search makes anyway for
// its audience filter), instead of FTS5's per-row read of kb_fts_docsize. That
// read is a nested statement per matching row, the largest share of bm25's
// cost when a query's words are in most articles. NULL `tokens` (rows indexed
// before kb_docs had the column) reads the length from FTS5 as bm25 does.
#ifndef HELPDESK_SRC_STORAGE_SQLITE_KB_RANK_H_
#define HELPDESK_SRC_STORAGE_SQLITE_KB_RANK_H_

#include <sqlite3.h>

#include <cstdint>
#include "absl/strings/string_view.h"

#include "helpdesk/export.h"

namespace helpdesk::internal {

// Registers kb_bm25 on `db`; an SQLite result code.
HELPDESK_EXPORT int RegisterKbRankFunction(sqlite3* db);

// The total of the column sizes in a kb_fts_docsize.sz blob (FTS5's
// varints), or -1 when the blob does not hold `columns` varints.
HELPDESK_EXPORT int64_t KbDocsizeTotal(absl::string_view blob, int columns);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_SQLITE_KB_RANK_H_
