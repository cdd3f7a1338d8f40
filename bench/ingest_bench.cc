// Benchmarks of e-mail ingestion (issue 5, "bench/ingest_bench"): messages
// parsed, and parsed and ingested into a SqliteStore, per second, judged
// against GMime parsing alone in the same run (target: ingest within 3x of
// parse alone).
//
//   BM_GMime_Parse                  the baseline: GMime builds the MIME tree of
//                                   each corpus file (no decoding, no charset
//                                   conversion, nothing copied out)
//   BM_Email_Parse                  NewEmailInbound()->Parse of the same bytes:
//                                   the tree, every decoded body and
//                                   attachment, charsets, classification
//   BM_Email_ParseAndIngest_Sqlite  Parse, then Inbox::Ingest into a SqliteStore
//                                   file (each message with a fresh
//                                   Message-ID, so every one is new work):
//                                   one transaction and commit per message
//   BM_Email_ParseAndIngestBatch_Sqlite/n
//                                   the same, n messages parsed from their raw
//                                   bytes and taken by one Inbox::IngestBatch
//                                   (one transaction per n), as a Maildir or
//                                   IMAP poll does; items are messages
//   ..._NotDurable                  the same two with IngestOptions::
//                                   durable_commits = false: the commit does
//                                   not wait for the WAL's fsync (the default,
//                                   durable, does: one fsync per Ingest or per
//                                   IngestBatch transaction); the difference
//                                   is the price of acknowledging a message
//                                   only once it survives a power loss
//   BM_GMime_ParseAttachment/size   the baseline for one message with a base64
//   BM_Email_ParseAttachment/size   attachment of `size` bytes
//   BM_Email_ParseHeaderLines/n     a message with n header fields
//
// The ingest benchmarks report x_gmime_cpu: their CPU time per message over
// BM_GMime_Parse's CPU time per message measured earlier in the same run (the
// issue's target is x_gmime_cpu <= 3), and x_gmime_real, the same for wall
// time (which also holds the SQLite checkpoints' fsync waits and the noise of
// a shared machine). Both are end to end: raw bytes to committed rows.
//
// The corpus is every file of $HELPDESK_SHARED_DATA/emails/manifest.tsv
// (default: ../shared/data next to the project), taken round robin; items are
// messages, bytes are raw message bytes. Without the corpus the corpus
// benchmarks report an error and the synthetic ones still run.
//
//   cmake --preset release && cmake --build --preset release --target ingest_bench
//   ./build/release/bench/ingest_bench
#include <gmime/gmime.h>
#include <stdlib.h>
#include <time.h>

#include <chrono>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "channels/gmime_support.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/sqlite_store.h"
#include "sqlite_desk_fixture.h"

namespace helpdesk {
namespace {

std::string DataRoot() {
  if (const char* env = std::getenv("HELPDESK_SHARED_DATA"); env != nullptr && *env) {
    return env;
  }
  std::string here = __FILE__;
  size_t slash = here.rfind("/bench/");
  return slash == std::string::npos ? "" : here.substr(0, slash) + "/../shared/data";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The raw corpus files, loaded once.
const std::vector<std::string>& Corpus() {
  static const std::vector<std::string>* corpus = [] {
    auto* files = new std::vector<std::string>();
    const std::string root = DataRoot() + "/emails/";
    std::string manifest = ReadFile(root + "manifest.tsv");
    bool header = true;
    for (absl::string_view line : absl::StrSplit(manifest, '\n')) {
      if (header || line.empty()) {
        header = false;
        continue;
      }
      std::string file(line.substr(0, line.find('\t')));
      std::string raw = ReadFile(root + file);
      if (!raw.empty()) files->push_back(std::move(raw));
    }
    return files;
  }();
  return *corpus;
}

// CPU time of the calling thread (what the benchmark library reports as CPU)
// and wall time, in seconds.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double WallSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Seconds per message of BM_GMime_Parse in this run (0 until it ran).
struct PerMessage {
  double cpu = 0;
  double real = 0;
};
PerMessage gmime_baseline;

// Times a benchmark's loop.
class LoopTimer {
 public:
  LoopTimer() : cpu_(ThreadCpuSeconds()), real_(WallSeconds()) {}
  PerMessage Per(int64_t messages) const {
    if (messages <= 0) return {};
    const double n = static_cast<double>(messages);
    return {(ThreadCpuSeconds() - cpu_) / n, (WallSeconds() - real_) / n};
  }

 private:
  double cpu_;
  double real_;
};

int64_t TotalBytes(const std::vector<std::string>& files) {
  int64_t total = 0;
  for (const std::string& f : files) total += static_cast<int64_t>(f.size());
  return total;
}

// GMime's parse alone, the baseline: the tree is built and every part visited.
void GMimeParse(const std::string& raw, GMimeParserOptions* options) {
  email_internal::GObjectPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  email_internal::GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  email_internal::GObjectPtr<GMimeMessage> message(
      g_mime_parser_construct_message(parser.get(), options));
  if (message != nullptr) {
    int parts = 0;
    g_mime_message_foreach(
        message.get(), [](GMimeObject*, GMimeObject*, gpointer n) { ++*static_cast<int*>(n); },
        &parts);
    benchmark::DoNotOptimize(parts);
    benchmark::DoNotOptimize(g_mime_message_get_subject(message.get()));
  }
}

void BM_GMime_Parse(benchmark::State& state) {
  const std::vector<std::string>& corpus = Corpus();
  if (corpus.empty()) {
    state.SkipWithError("no e-mail corpus: set HELPDESK_SHARED_DATA");
    return;
  }
  email_internal::ParserOptionsPtr options = email_internal::NewLenientParserOptions();
  size_t i = 0;
  LoopTimer timer;
  for (auto _ : state) {
    GMimeParse(corpus[i], options.get());
    i = (i + 1) % corpus.size();
  }
  gmime_baseline = timer.Per(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * TotalBytes(corpus) /
                          static_cast<int64_t>(corpus.size()));
}
BENCHMARK(BM_GMime_Parse);

void BM_Email_Parse(benchmark::State& state) {
  const std::vector<std::string>& corpus = Corpus();
  if (corpus.empty()) {
    state.SkipWithError("no e-mail corpus: set HELPDESK_SHARED_DATA");
    return;
  }
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  const absl::Time now = absl::FromUnixSeconds(1767600000);
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::InboundMessage> m = email->Parse(corpus[i], now);
    benchmark::DoNotOptimize(m);
    i = (i + 1) % corpus.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * TotalBytes(corpus) /
                          static_cast<int64_t>(corpus.size()));
}
BENCHMARK(BM_Email_Parse);

// Reports a benchmark's time per message against BM_GMime_Parse's.
void ReportAgainstBaseline(benchmark::State& state, const PerMessage& per) {
  if (gmime_baseline.cpu <= 0 || gmime_baseline.real <= 0) return;  // filtered out
  state.counters["x_gmime_cpu"] = per.cpu / gmime_baseline.cpu;
  state.counters["x_gmime_real"] = per.real / gmime_baseline.real;
}

// Gives a parsed corpus message the n-th fresh Message-ID, so that
// idempotency does not turn repeats into no-ops.
void MakeFresh(v1::InboundMessage& m, int64_t n) {
  const std::string id = absl::StrCat("bench.", n, ".", m.external_id(), "@bench");
  m.set_external_id(id);
  m.mutable_threading()->set_message_id(id);
  m.clear_idempotency_key();
}

// The ingest hook: parses and ingests corpus messages into `desk`, one per
// iteration, each with a fresh Message-ID. Messages Inbox::Ingest refuses (no
// sender identity, a blocked sender) count in the "refused" counter; they are
// work too.
void RunIngestBenchmark(benchmark::State& state, Desk& desk,
                        const std::vector<std::string>& corpus) {
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  const absl::Time now = absl::FromUnixSeconds(1767600000);
  size_t i = 0;
  int64_t n = 0;
  int64_t refused = 0;
  LoopTimer timer;
  for (auto _ : state) {
    absl::StatusOr<v1::InboundMessage> m = email->Parse(corpus[i], now);
    if (m.ok()) {
      MakeFresh(*m, ++n);
      absl::StatusOr<IngestResult> r = desk.inbox().Ingest(*m);
      if (!r.ok()) ++refused;
      benchmark::DoNotOptimize(r);
    }
    i = (i + 1) % corpus.size();
  }
  ReportAgainstBaseline(state, timer.Per(state.iterations()));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * TotalBytes(corpus) /
                          static_cast<int64_t>(corpus.size()));
  state.counters["refused"] = benchmark::Counter(static_cast<double>(refused) /
                                                 static_cast<double>(state.iterations()));
}

// The batch hook: each iteration parses `batch` corpus messages from their
// raw bytes and hands them to one Inbox::IngestBatch.
void RunIngestBatchBenchmark(benchmark::State& state, Desk& desk,
                             const std::vector<std::string>& corpus, size_t batch) {
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  const absl::Time now = absl::FromUnixSeconds(1767600000);
  size_t i = 0;
  int64_t n = 0;
  int64_t refused = 0;
  int64_t failed = 0;
  std::vector<v1::InboundMessage> messages;
  messages.reserve(batch);
  LoopTimer timer;
  for (auto _ : state) {
    messages.clear();
    for (size_t k = 0; k < batch; ++k) {
      absl::StatusOr<v1::InboundMessage> m = email->Parse(corpus[i], now);
      if (m.ok()) {
        MakeFresh(*m, ++n);
        messages.push_back(*std::move(m));
      }
      i = (i + 1) % corpus.size();
    }
    absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> r = desk.inbox().IngestBatch(messages);
    if (!r.ok()) {
      ++failed;
    } else {
      for (const absl::StatusOr<IngestResult>& one : *r) refused += one.ok() ? 0 : 1;
    }
    benchmark::DoNotOptimize(r);
  }
  const int64_t items = state.iterations() * static_cast<int64_t>(batch);
  ReportAgainstBaseline(state, timer.Per(items));
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * TotalBytes(corpus) / static_cast<int64_t>(corpus.size()));
  state.counters["refused"] =
      benchmark::Counter(static_cast<double>(refused) / static_cast<double>(items));
  if (failed > 0) state.SkipWithError("IngestBatch failed");
}

// A desk over a fresh SqliteStore file, as a host runs it; removes the file
// when destroyed.
// The default desk on an SQLite file; durable_commits as given.
class SqliteDesk : public SqliteDeskFixture {
 public:
  SqliteDesk() : SqliteDeskFixture(absl::FromUnixSeconds(1767600000)) {}
  absl::Status Open(bool durable_commits = true) {
    return SqliteDeskFixture::Open("ingest_bench", [&](DeskOptions& options) {
      options.ingest.desk_email = "help@desk.example";
      options.ingest.durable_commits = durable_commits;
      return absl::OkStatus();
    });
  }
};

void IngestIntoSqlite(benchmark::State& state, bool durable_commits) {
  const std::vector<std::string>& corpus = Corpus();
  if (corpus.empty()) {
    state.SkipWithError("no e-mail corpus: set HELPDESK_SHARED_DATA");
    return;
  }
  SqliteDesk sqlite;
  if (absl::Status s = sqlite.Open(durable_commits); !s.ok()) {
    state.SkipWithError(std::string(s.message()).c_str());
    return;
  }
  RunIngestBenchmark(state, sqlite.desk(), corpus);
}

void IngestBatchIntoSqlite(benchmark::State& state, bool durable_commits) {
  const std::vector<std::string>& corpus = Corpus();
  if (corpus.empty()) {
    state.SkipWithError("no e-mail corpus: set HELPDESK_SHARED_DATA");
    return;
  }
  SqliteDesk sqlite;
  if (absl::Status s = sqlite.Open(durable_commits); !s.ok()) {
    state.SkipWithError(std::string(s.message()).c_str());
    return;
  }
  RunIngestBatchBenchmark(state, sqlite.desk(), corpus,
                          static_cast<size_t>(state.range(0)));
}

void BM_Email_ParseAndIngest_Sqlite(benchmark::State& state) {
  IngestIntoSqlite(state, /*durable_commits=*/true);
}
BENCHMARK(BM_Email_ParseAndIngest_Sqlite)->Unit(benchmark::kMicrosecond);

void BM_Email_ParseAndIngest_Sqlite_NotDurable(benchmark::State& state) {
  IngestIntoSqlite(state, /*durable_commits=*/false);
}
BENCHMARK(BM_Email_ParseAndIngest_Sqlite_NotDurable)->Unit(benchmark::kMicrosecond);

void BM_Email_ParseAndIngestBatch_Sqlite(benchmark::State& state) {
  IngestBatchIntoSqlite(state, /*durable_commits=*/true);
}
BENCHMARK(BM_Email_ParseAndIngestBatch_Sqlite)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond);

void BM_Email_ParseAndIngestBatch_Sqlite_NotDurable(benchmark::State& state) {
  IngestBatchIntoSqlite(state, /*durable_commits=*/false);
}
BENCHMARK(BM_Email_ParseAndIngestBatch_Sqlite_NotDurable)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond);

// One text part and one base64 attachment of `size` bytes.
std::string MessageWithAttachment(int64_t size) {
  std::string b64;
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const int64_t chars = (size + 2) / 3 * 4;
  for (int64_t k = 0; k < chars; ++k) {
    b64.push_back(kAlphabet[(k * 7 + k / 13) % 64]);
    if (k % 76 == 75) b64 += "\r\n";
  }
  return absl::StrCat(
      "From: a@example.com\r\nTo: help@desk.example\r\nSubject: file\r\n"
      "Message-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nSee the file.\r\n--b\r\n"
      "Content-Type: application/octet-stream; name=data.bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n",
      b64, "\r\n--b--\r\n");
}

void BM_GMime_ParseAttachment(benchmark::State& state) {
  const std::string raw = MessageWithAttachment(state.range(0));
  email_internal::ParserOptionsPtr options = email_internal::NewLenientParserOptions();
  for (auto _ : state) GMimeParse(raw, options.get());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw.size()));
}
BENCHMARK(BM_GMime_ParseAttachment)->RangeMultiplier(8)->Range(1 << 10, 8 << 20);

void BM_Email_ParseAttachment(benchmark::State& state) {
  const std::string raw = MessageWithAttachment(state.range(0));
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  for (auto _ : state) {
    absl::StatusOr<v1::InboundMessage> m = email->Parse(raw, absl::UnixEpoch());
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw.size()));
}
BENCHMARK(BM_Email_ParseAttachment)->RangeMultiplier(8)->Range(1 << 10, 8 << 20);

void BM_Email_ParseHeaderLines(benchmark::State& state) {
  std::string raw;
  for (int64_t k = 0; k < state.range(0); ++k) {
    absl::StrAppend(&raw, "X-Filler-", k, ": some value ", k, "\r\n");
  }
  absl::StrAppend(&raw, "From: a@example.com\r\nSubject: many fields\r\n\r\nbody\r\n");
  EmailInboundOptions options;
  options.max_header_lines = static_cast<size_t>(state.range(0)) + 10;
  std::unique_ptr<InboundAdapter> email = NewEmailInbound(options);
  for (auto _ : state) {
    absl::StatusOr<v1::InboundMessage> m = email->Parse(raw, absl::UnixEpoch());
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(raw.size()));
}
BENCHMARK(BM_Email_ParseHeaderLines)->RangeMultiplier(10)->Range(10, 100000);

}  // namespace
}  // namespace helpdesk

BENCHMARK_MAIN();
