// ReportReader: encoded events decoded on several threads, each owning the
// tickets whose id falls to it, into one ReportAccumulator; and merging
// accumulators of disjoint tickets in ticket id order.
//
// Why by ticket: a ticket's events must be taken in order (the accumulator
// checks each against the ticket's previous one, and a value's first change
// adds a mark at the creation), so a worker that owns all of a ticket's
// events, given in the log's order, builds exactly the ticket's history one
// accumulator would. The calling thread only copies the rows it is handed
// (SQLite's stepping stays on it, in its one read transaction).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "helpdesk/reports.h"
#include "helpdesk/status_macros.h"
#include "reports/report_history.h"

namespace helpdesk {
namespace reports_internal {

ThreadTuning& Tuning() {
  static ThreadTuning tuning;
  return tuning;
}

void MergeDisjoint(std::vector<AccumulatorState*> parts, AccumulatorState* into) {
  // Each part's interned tag sets and custom names and values, as `into`'s.
  std::vector<std::vector<int32_t>> tag_remap(parts.size()), name_remap(parts.size()),
      value_remap(parts.size());
  size_t total = 0;
  for (size_t p = 0; p < parts.size(); ++p) {
    AccumulatorState& o = *parts[p];
    total += o.tickets.size();
    for (const std::vector<std::string>& set : o.tag_sets) {
      tag_remap[p].push_back(into->InternTags(set));
    }
    for (const std::string& name : o.custom_names) {
      name_remap[p].push_back(
          AccumulatorState::Intern(name, &into->custom_names, &into->custom_name_index));
    }
    for (const std::string& value : o.custom_values) {
      value_remap[p].push_back(
          AccumulatorState::Intern(value, &into->custom_values, &into->custom_value_index));
    }
  }
  // Most parts intern the same few tag sets in the same order: their marks
  // then keep their numbers.
  auto identity = [](const std::vector<int32_t>& map) {
    for (size_t i = 0; i < map.size(); ++i) {
      if (map[i] != static_cast<int32_t>(i)) return false;
    }
    return true;
  };
  std::vector<bool> same(parts.size());
  for (size_t p = 0; p < parts.size(); ++p) {
    same[p] = identity(tag_remap[p]) && identity(name_remap[p]) && identity(value_remap[p]);
  }
  auto remap = [&](size_t p, TicketHistory& t) {
    if (same[p]) return;
    for (Mark& m : t.marks) {
      if (m.kind == Mark::kTags) m.value = tag_remap[p][m.small()];
      if (m.kind == Mark::kCustomField) {
        m.SetCustom(name_remap[p][m.custom_field()], value_remap[p][m.custom_value()]);
      }
    }
    if (t.tags >= 0) t.tags = tag_remap[p][t.tags];
  };
  // Interleave the parts by id: the next ticket is the smallest id at the
  // head of a part.
  std::vector<size_t> next(parts.size(), 0);
  for (size_t taken = 0; taken < total; ++taken) {
    size_t best = parts.size();
    for (size_t p = 0; p < parts.size(); ++p) {
      if (next[p] == parts[p]->tickets.size()) continue;
      if (best == parts.size() ||
          parts[p]->tickets[next[p]].id < parts[best]->tickets[next[best]].id) {
        best = p;
      }
    }
    TicketHistory& t = parts[best]->tickets[next[best]++];
    remap(best, t);
    into->Adopt(std::move(t));
  }
  for (AccumulatorState* p : parts) {
    into->AdoptArenas(*p);
    p->ClearTickets();
  }
}

}  // namespace reports_internal

using reports_internal::AccumulatorState;

// Not in an anonymous namespace: ReportReader::Rep holds workers.
namespace reports_internal {
namespace {

// A batch goes to its worker when it holds Tuning().batch_rows events or
// this many bytes.
constexpr size_t kBatchBytes = 512 * 1024;
// Batches queued per worker (then AddEncoded waits): bounds the memory.
constexpr size_t kQueueDepth = 4;

}  // namespace

// An encoded event (or a ticket's current state, when `ticket`), its bytes
// at [offset, offset + size) of its batch's.
struct ReaderRow {
  uint64_t seq = 0;  // the order given (errors are the first refused's)
  int64_t id = 0;    // the event's (0 for a ticket)
  int64_t ticket_id = 0;
  uint32_t offset = 0;
  uint32_t size = 0;
  bool ticket = false;
};

struct ReaderBatch {
  std::string bytes;
  std::vector<ReaderRow> rows;
};

// A thread taking the events of its tickets into its own accumulator.
class ReaderWorker {
 public:
  explicit ReaderWorker(ReportAccumulator acc) : acc_(std::move(acc)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ReaderWorker() { Close(); }

  // The batch the calling thread fills.
  ReaderBatch& filling() { return filling_; }

  // Queues the filled batch (waiting while the queue is full) and starts
  // another (a spare one when there is one).
  void Send() ABSL_LOCKS_EXCLUDED(mu_) {
    if (filling_.rows.empty()) return;
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ReaderWorker::CanQueue));
    queue_.push_back(std::move(filling_));
    filling_ = ReaderBatch();
    if (!spare_.empty()) {
      filling_ = std::move(spare_.back());
      spare_.pop_back();
    }
  }

  // Waits until every queued batch is taken.
  void Drain() ABSL_LOCKS_EXCLUDED(mu_) {
    Send();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ReaderWorker::Idle));
  }

  // Sends what is left, and stops and joins the thread (once).
  void Close() ABSL_LOCKS_EXCLUDED(mu_) {
    if (!thread_.joinable()) return;
    Send();
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
    }
    thread_.join();
  }

  // The worker's first refused event (its place in the order given, and
  // the error), if any.
  std::optional<std::pair<uint64_t, absl::Status>> error() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return error_;
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }

  // The accumulator, once closed.
  ReportAccumulator& accumulator() { return acc_; }

 private:
  bool CanQueue() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return queue_.size() < kQueueDepth; }
  bool Idle() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return queue_.empty() && !busy_; }
  bool HasWork() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closed_; }

  void Run() ABSL_LOCKS_EXCLUDED(mu_) {
    for (;;) {
      ReaderBatch batch;
      bool failed = false;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &ReaderWorker::HasWork));
        if (queue_.empty()) return;  // closed
        batch = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        failed = error_.has_value();
      }
      std::optional<std::pair<uint64_t, absl::Status>> error;
      // After its first refused event a worker takes no more (as the
      // caller of one accumulator would stop there).
      for (size_t i = 0; !failed && i < batch.rows.size(); ++i) {
        const ReaderRow& r = batch.rows[i];
        const absl::string_view bytes(batch.bytes.data() + r.offset, r.size);
        absl::Status s = r.ticket ? acc_.AddEncodedTicket(r.ticket_id, bytes)
                                  : acc_.AddEncoded(r.id, r.ticket_id, bytes);
        if (!s.ok()) {
          error.emplace(r.seq, std::move(s));
          failed = true;
        }
      }
      batch.rows.clear();
      batch.bytes.clear();
      absl::MutexLock lock(&mu_);
      if (error.has_value()) {
        error_ = std::move(error);
        failed_.store(true, std::memory_order_relaxed);
      }
      spare_.push_back(std::move(batch));
      busy_ = false;
    }
  }

  // Used by the worker's thread until it is joined, then by the caller.
  ReportAccumulator acc_;
  // Used by the calling thread only.
  ReaderBatch filling_;
  absl::Mutex mu_;
  std::deque<ReaderBatch> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<ReaderBatch> spare_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<std::pair<uint64_t, absl::Status>> error_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

}  // namespace reports_internal

struct ReportReader::Rep {
  // Without workers (one thread) events go to it on the calling thread;
  // with workers, Finish merges theirs into it (it takes no event itself).
  std::optional<ReportAccumulator> acc;
  std::vector<std::unique_ptr<reports_internal::ReaderWorker>> workers;
  // The first refused event's error, once known.
  absl::Status error;
  // Events given so far.
  uint64_t given = 0;
  size_t batch_rows = reports_internal::Tuning().batch_rows;

  // Waits for every worker and returns the error of the first refused
  // event in the order given (each worker stops at its first), else OK.
  absl::Status FirstError() {
    std::optional<std::pair<uint64_t, absl::Status>> first;
    for (auto& w : workers) {
      w->Drain();
      std::optional<std::pair<uint64_t, absl::Status>> e = w->error();
      if (e.has_value() && (!first.has_value() || e->first < first->first)) first = std::move(e);
    }
    return first.has_value() ? first->second : absl::OkStatus();
  }
};

ReportReader::ReportReader(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ReportReader::ReportReader(ReportReader&&) noexcept = default;
ReportReader& ReportReader::operator=(ReportReader&&) noexcept = default;
ReportReader::~ReportReader() = default;

absl::StatusOr<ReportReader> ReportReader::Create(ReportConfig config) {
  HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator first, ReportAccumulator::Create(config));
  auto rep = std::make_unique<Rep>();
  rep->acc.emplace(std::move(first));
  const int threads = reports_internal::ThreadsOf(config);
  for (int i = 0; threads > 1 && i < threads; ++i) {
    HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator acc, ReportAccumulator::Create(config));
    rep->workers.push_back(std::make_unique<reports_internal::ReaderWorker>(std::move(acc)));
  }
  return ReportReader(std::move(rep));
}

absl::Status ReportReader::AddEncoded(int64_t event_id, int64_t ticket_id,
                                      absl::string_view serialized) {
  Rep& r = *rep_;
  if (!r.error.ok()) return r.error;
  if (r.workers.empty()) {
    r.error = r.acc->AddEncoded(event_id, ticket_id, serialized);
    return r.error;
  }
  return Queue(false, event_id, ticket_id, serialized);
}

absl::Status ReportReader::AddEncodedTicket(int64_t ticket_id, absl::string_view serialized) {
  Rep& r = *rep_;
  if (!r.error.ok()) return r.error;
  if (r.workers.empty()) {
    r.error = r.acc->AddEncodedTicket(ticket_id, serialized);
    return r.error;
  }
  return Queue(true, 0, ticket_id, serialized);
}

absl::Status ReportReader::Queue(bool ticket, int64_t event_id, int64_t ticket_id,
                                 absl::string_view serialized) {
  Rep& r = *rep_;
  reports_internal::ReaderWorker& w =
      *r.workers[static_cast<uint64_t>(ticket_id) % r.workers.size()];
  reports_internal::ReaderBatch& b = w.filling();
  if (b.bytes.size() + serialized.size() > UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(ticket ? "ticket " : "event ",
                                                   ticket ? ticket_id : event_id, ": ",
                                                   serialized.size(), " bytes is too large"));
  }
  b.rows.push_back(reports_internal::ReaderRow{r.given++, event_id, ticket_id,
                                               static_cast<uint32_t>(b.bytes.size()),
                                               static_cast<uint32_t>(serialized.size()),
                                               ticket});
  b.bytes.append(serialized.data(), serialized.size());
  if (b.rows.size() < r.batch_rows && b.bytes.size() < reports_internal::kBatchBytes) return absl::OkStatus();
  w.Send();
  if (w.failed()) r.error = r.FirstError();
  return r.error;
}

absl::StatusOr<ReportAccumulator> ReportReader::Finish() && {
  Rep& r = *rep_;
  if (!r.error.ok()) return r.error;
  if (r.workers.empty()) return std::move(*r.acc);
  r.error = r.FirstError();
  for (auto& w : r.workers) w->Close();
  if (!r.error.ok()) return r.error;
  std::vector<AccumulatorState*> parts;
  for (auto& w : r.workers) parts.push_back(&w->accumulator().rep_->state);
  reports_internal::MergeDisjoint(std::move(parts), &r.acc->rep_->state);
  return std::move(*r.acc);
}

}  // namespace helpdesk
