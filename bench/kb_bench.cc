// Knowledge base search over SqliteStore, judged against a raw FTS5 query
// over the same index in the same run (issue 15, "Speed": p99 under 2 ms,
// within 1.5x of raw), and the index build rate.
//
//   BM_Desk_KbSearch          KnowledgeBase::Search as an anonymous visitor:
//                             parse, audience filter, BM25 top 10 with what
//                             each hit shows (title, category, section, plain
//                             text: no article load), snippets (the full path
//                             a help center page takes)
//   BM_Store_KbSearch         Transaction::SearchKbArticles alone (the same
//                             parsed query; no snippets)
//   BM_LoadPerHit_KbSearch    the Desk's path before the store returned the
//                             display fields (the baseline of the change):
//                             the store's search, then per hit the article
//                             loaded, its Markdown read and the snippet cut
//   BM_RawFts5_Search         sqlite3 on the same file: the same MATCH
//                             expression, ORDER BY bm25 LIMIT 10, rowids only
//   BM_KbIndexBuild           articles inserted and indexed per second (1,000
//                             per transaction, into a fresh database)
// The search fixture holds HELPDESK_BENCH_KB_ARTICLES articles (default
// 100,000; 90% public, 10% agents only), generated from a seeded Zipf-like
// Spanish vocabulary (titles of 4-8 words, bodies of 40-120); it is built
// once per process and its build rate printed. Queries (256, seeded) are 1-3
// words, one in 8 a prefix and one in 8 a phrase. Each search benchmark
// reports p50_us and p99_us (wall) and cpu_p50_us and cpu_p99_us (thread
// CPU) over its iterations.
//
//   cmake --preset release && cmake --build --preset release --target kb_bench
//   ./build/release/bench/kb_bench --benchmark_counters_tabular=true
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmark/benchmark.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/kb.h"
#include "helpdesk/names.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"

namespace helpdesk {
namespace {

// A vocabulary: real Spanish help desk words first (the frequent ones), then
// generated syllable words for the long tail.
std::vector<std::string> Vocabulary() {
  std::vector<std::string> words = {
      "factura", "facturación", "pago", "cuenta", "contraseña", "acceso", "pedido", "envío",
      "devolución", "reembolso", "tarjeta", "cliente", "usuario", "correo", "conexión", "red",
      "vpn", "portal", "perfil", "seguridad", "datos", "cambiar", "descargar", "configurar",
      "instalar", "error", "problema", "solicitud", "plazo", "importe", "cargo", "recibo",
      "impresora", "licencia", "suscripción", "plan", "precio", "oferta", "garantía", "soporte"};
  const char* syllables[] = {"ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru",
                             "sa", "te", "vi", "zo", "cha", "ple", "tra", "gri", "blo", "nu"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> syl(0, 19);
  std::uniform_int_distribution<int> len(2, 4);
  while (words.size() < 20000) {
    std::string w;
    for (int i = len(rng); i > 0; --i) w += syllables[syl(rng)];
    words.push_back(w);
  }
  return words;
}

// Zipf-like pick: rank r with weight 1 / (r + 10).
class WordPicker {
 public:
  explicit WordPicker(const std::vector<std::string>& words) : words_(words) {
    double sum = 0;
    for (size_t r = 0; r < words.size(); ++r) {
      sum += 1.0 / (static_cast<double>(r) + 10.0);
      cumulative_.push_back(sum);
    }
  }
  const std::string& Pick(std::mt19937& rng) const {
    std::uniform_real_distribution<double> u(0, cumulative_.back());
    size_t i = static_cast<size_t>(
        std::lower_bound(cumulative_.begin(), cumulative_.end(), u(rng)) - cumulative_.begin());
    return words_[std::min(i, words_.size() - 1)];
  }
  std::string Text(std::mt19937& rng, int n) const {
    std::string s;
    for (int i = 0; i < n; ++i) absl::StrAppend(&s, i ? " " : "", Pick(rng));
    return s;
  }

 private:
  const std::vector<std::string>& words_;
  std::vector<double> cumulative_;
};

v1::KbArticle Generated(const WordPicker& picker, std::mt19937& rng) {
  std::uniform_int_distribution<int> title_len(4, 8);
  std::uniform_int_distribution<int> body_len(40, 120);
  std::uniform_int_distribution<int> pct(0, 99);
  v1::KbArticle a;
  a.set_visibility(pct(rng) < 90 ? v1::KbArticle::PUBLIC : v1::KbArticle::AGENTS);
  a.set_category("General");
  v1::KbTranslation* t = a.add_translations();
  t->set_locale("es");
  t->set_title(picker.Text(rng, title_len(rng)));
  t->set_body_markdown(absl::StrCat(picker.Text(rng, body_len(rng) / 2), ".\n\n**",
                                    picker.Text(rng, 3), "** ", picker.Text(rng, body_len(rng) / 2)));
  t->set_state(v1::KbTranslation::PUBLISHED);
  return a;
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  ManualClock clock{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Desk> desk;
  std::vector<std::string> queries;
  sqlite3* raw = nullptr;

  static Fixture& Get() {
    static Fixture* f = Build();
    return *f;
  }

  static Fixture* Build() {
    auto* f = new Fixture;
    int64_t n = 100000;
    if (const char* env = std::getenv("HELPDESK_BENCH_KB_ARTICLES")) n = std::atoll(env);
    f->dir = std::filesystem::temp_directory_path() /
             absl::StrCat("kb_bench_", std::random_device{}());
    std::filesystem::create_directories(f->dir);
    const std::string path = (f->dir / "kb.db").string();
    f->store = *OpenSqliteStore(path);
    f->desk = *Desk::Open({.store = f->store.get(), .clock = &f->clock});
    static const std::vector<std::string> words = Vocabulary();
    WordPicker picker(words);
    std::mt19937 rng(42);
    const auto start = std::chrono::steady_clock::now();
    for (int64_t done = 0; done < n;) {
      auto tx = *f->store->Begin(TransactionMode::kReadWrite);
      for (int i = 0; i < 1000 && done < n; ++i, ++done) {
        v1::KbArticle a = Generated(picker, rng);
        if (!tx->InsertKbArticle(&a).ok()) std::abort();
      }
      if (!tx->Commit().ok()) std::abort();
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "kb fixture: %lld articles indexed in %.1f s (%.0f articles/s)\n",
                 static_cast<long long>(n), secs, static_cast<double>(n) / secs);
    std::uniform_int_distribution<int> words_in_query(1, 3);
    std::uniform_int_distribution<int> kind(0, 7);
    for (int i = 0; i < 256; ++i) {
      std::string q = picker.Text(rng, words_in_query(rng));
      const int k = kind(rng);
      if (k == 0) q = absl::StrCat(q.substr(0, std::min<size_t>(q.size(), 4)), "*");
      if (k == 1) q = absl::StrCat("\"", picker.Text(rng, 2), "\"");
      f->queries.push_back(q);
    }
    if (sqlite3_open_v2(path.c_str(), &f->raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      std::abort();
    }
    return f;
  }
};

// The calling thread's CPU time in microseconds (the machine is shared:
// wall time includes waiting for a core, CPU time does not).
double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// p50_us, p99_us: wall time per search; cpu_p50_us, cpu_p99_us: thread CPU.
void ReportPercentiles(benchmark::State& state, std::vector<double>& us,
                       std::vector<double>& cpu) {
  if (us.empty()) return;
  auto at = [](std::vector<double>& v, size_t pct) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, v.size() * pct / 100)];
  };
  state.counters["p50_us"] = at(us, 50);
  state.counters["p99_us"] = at(us, 99);
  state.counters["cpu_p50_us"] = at(cpu, 50);
  state.counters["cpu_p99_us"] = at(cpu, 99);
  state.SetItemsProcessed(static_cast<int64_t>(us.size()));
}

void BM_Desk_KbSearch(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  std::vector<double> us, cpu;
  size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuUs();
    auto page = f.desk->kb().Search(AnonymousVisitor(),
                                    {.query = f.queries[i++ % f.queries.size()], .locale = "es"});
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(ThreadCpuUs() - c0);
    if (!page.ok()) state.SkipWithError(std::string(page.status().message()).c_str());
    benchmark::DoNotOptimize(page);
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  ReportPercentiles(state, us, cpu);
}
BENCHMARK(BM_Desk_KbSearch)->UseRealTime();

void BM_Store_KbSearch(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  std::vector<KbSearchRequest> requests;
  for (const std::string& q : f.queries) {
    KbSearchRequest r;
    r.query = ParseKbQuery(q, "es");
    r.language = "es";
    r.limit = 10;
    requests.push_back(std::move(r));
  }
  std::vector<double> us, cpu;
  size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuUs();
    auto tx = *f.store->Begin(TransactionMode::kReadOnly);
    auto hits = tx->SearchKbArticles(requests[i++ % requests.size()]);
    tx.reset();
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(ThreadCpuUs() - c0);
    benchmark::DoNotOptimize(hits);
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  ReportPercentiles(state, us, cpu);
}
BENCHMARK(BM_Store_KbSearch)->UseRealTime();

void BM_LoadPerHit_KbSearch(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  std::vector<KbSearchRequest> requests;
  for (const std::string& q : f.queries) {
    KbSearchRequest r;
    r.query = ParseKbQuery(q, "es");
    r.language = "es";
    r.audience.drafts = false;
    r.limit = 10;
    requests.push_back(std::move(r));
  }
  std::vector<double> us, cpu;
  size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuUs();
    const KbSearchRequest& r = requests[i++ % requests.size()];
    auto tx = *f.store->Begin(TransactionMode::kReadOnly);
    auto hits = tx->SearchKbArticles(r);
    std::vector<std::string> snippets;
    if (hits.ok()) {
      for (const KbSearchHit& h : *hits) {
        absl::StatusOr<v1::KbArticle> a = tx->GetKbArticle(h.article_id);
        if (!a.ok()) continue;
        for (const v1::KbTranslation& t : a->translations()) {
          if (t.locale() != h.locale) continue;
          absl::StatusOr<std::string> plain = MarkdownToPlainText(t.body_markdown());
          if (plain.ok()) snippets.push_back(KbSnippet(*plain, r.query, "es"));
        }
      }
    }
    tx.reset();
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(ThreadCpuUs() - c0);
    benchmark::DoNotOptimize(snippets);
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  ReportPercentiles(state, us, cpu);
}
BENCHMARK(BM_LoadPerHit_KbSearch)->UseRealTime();

void BM_RawFts5_Search(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  std::vector<std::string> matches;
  for (const std::string& q : f.queries) {
    matches.push_back(KbFts5MatchExpression(ParseKbQuery(q, "es")));
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(f.raw,
                         "SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? "
                         "ORDER BY bm25(kb_fts, 3.0, 1.0) LIMIT 10",
                         -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    state.SkipWithError(sqlite3_errmsg(f.raw));
    return;
  }
  std::vector<double> us, cpu;
  size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuUs();
    sqlite3_exec(f.raw, "BEGIN", nullptr, nullptr, nullptr);
    const std::string& m = matches[i++ % matches.size()];
    sqlite3_bind_text(stmt, 1, m.data(), static_cast<int>(m.size()), SQLITE_STATIC);
    int64_t sum = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) sum += sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    sqlite3_exec(f.raw, "COMMIT", nullptr, nullptr, nullptr);
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(ThreadCpuUs() - c0);
    benchmark::DoNotOptimize(sum);
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  sqlite3_finalize(stmt);
  ReportPercentiles(state, us, cpu);
}
BENCHMARK(BM_RawFts5_Search)->UseRealTime();

void BM_KbIndexBuild(benchmark::State& state) {
  static const std::vector<std::string> words = Vocabulary();
  WordPicker picker(words);
  std::mt19937 rng(9);
  const auto dir = std::filesystem::temp_directory_path() /
                   absl::StrCat("kb_bench_build_", std::random_device{}());
  std::filesystem::create_directories(dir);
  auto store = *OpenSqliteStore((dir / "build.db").string());
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<v1::KbArticle> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(Generated(picker, rng));
    state.ResumeTiming();
    auto tx = *store->Begin(TransactionMode::kReadWrite);
    for (v1::KbArticle& a : batch) {
      if (!tx->InsertKbArticle(&a).ok()) state.SkipWithError("insert failed");
    }
    if (!tx->Commit().ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_KbIndexBuild)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace helpdesk

BENCHMARK_MAIN();
