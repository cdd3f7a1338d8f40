// Internal: the two parts of FTS5's bm25 expression (k1 1.2, b 0.75), in one
// place, so that every ranking that must equal it bit for bit computes them
// the same way: kb_bm25 (storage/sqlite_kb_rank.cc, inside SQLite) and
// SqliteStore's in-memory top-k (storage/kb_memory_index.cc). Pure.
#ifndef HELPDESK_SRC_STORAGE_KB_BM25_H_
#define HELPDESK_SRC_STORAGE_KB_BM25_H_

#include <cmath>
#include <cstdint>

namespace helpdesk::internal {

inline constexpr double kKbBm25K1 = 1.2;
inline constexpr double kKbBm25B = 0.75;

// A phrase's idf among `rows` rows of which `hits` match it, as FTS5
// computes it, its clamp to 1e-6 included.
inline double KbBm25Idf(int64_t rows, int64_t hits) {
  double idf = std::log((static_cast<double>(rows - hits) + 0.5) /
                        (static_cast<double>(hits) + 0.5));
  if (idf <= 0.0) idf = 1e-6;
  return idf;
}

// One phrase's term of the sum: `freq` its weighted count in the row,
// `length` the row's tokens, `avgdl` the table's average row length.
inline double KbBm25Term(double idf, double freq, double length, double avgdl) {
  return idf * ((freq * (kKbBm25K1 + 1.0)) /
                (freq + kKbBm25K1 * (1 - kKbBm25B + kKbBm25B * length / avgdl)));
}

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_KB_BM25_H_
