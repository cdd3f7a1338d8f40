// Runner: steps of time-based work (Tick, Dispatch, mail polls) and the thread
// that takes them at the times they are due.
#include "helpdesk/runner.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace helpdesk {
namespace {

// base * 2^failures, capped at `cap` (failures >= 1 doubles once per failure
// after the first).
absl::Duration Backoff(absl::Duration base, int failures, absl::Duration cap) {
  absl::Duration d = base;
  for (int i = 1; i < failures && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

absl::Status CheckOptions(const RunnerOptions& o) {
  if (o.desk == nullptr) return absl::InvalidArgumentError("RunnerOptions.desk: must be set");
  if (o.clock == nullptr) return absl::InvalidArgumentError("RunnerOptions.clock: must be set");
  if (o.dispatch_batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("RunnerOptions.dispatch_batch: ", o.dispatch_batch, " is not positive"));
  }
  if (o.mail_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RunnerOptions.mail_interval: ", absl::FormatDuration(o.mail_interval),
        " is not positive"));
  }
  if (o.retention.has_value() && o.retention_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RunnerOptions.retention_interval: ", absl::FormatDuration(o.retention_interval),
        " is not positive"));
  }
  for (size_t i = 0; i < o.mail_sources.size(); ++i) {
    if (!o.mail_sources[i].poll) {
      return absl::InvalidArgumentError(
          absl::StrCat("RunnerOptions.mail_sources[", i, "].poll: must be set"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Runner::Runner(RunnerOptions options) : options_(std::move(options)) {
  absl::MutexLock lock(&step_mu_);
  sources_.resize(options_.mail_sources.size());
}

Runner::~Runner() { Stop(); }

RunnerStep Runner::RunOnce(absl::Time now) {
  RunnerStep step;
  step.at = now;
  if (absl::Status s = CheckOptions(options_); !s.ok()) {
    step.tick_status = s;
    return step;
  }
  absl::MutexLock lock(&step_mu_);
  absl::Time next = now + options_.max_sleep;

  // Tick: when its next deadline came (or a failed tick's retry is due).
  // Asking NextDue first keeps an idle desk's step to one query.
  if (now >= tick_retry_at_) {
    absl::StatusOr<absl::Time> due = options_.desk->NextDue();
    absl::Status s = due.status();
    if (s.ok() && *due <= now) {
      step.ticked = true;
      absl::StatusOr<TickReport> report = options_.desk->Tick(now);
      s = report.status();
      if (report.ok()) step.tick = *report;
      if (s.ok()) {
        due = options_.desk->NextDue();
        s = due.status();
      }
    }
    step.tick_status = s;
    if (s.ok()) {
      tick_failures_ = 0;
      tick_retry_at_ = absl::InfinitePast();
      // A deadline still at or before `now` (work Tick left, e.g. a routing
      // stage that stays due) is taken up again no sooner than retry_delay,
      // so a desk that cannot move a deadline never spins the thread.
      next = std::min(next, std::max(*due, now + (*due <= now ? options_.retry_delay
                                                                : absl::ZeroDuration())));
    } else {
      ++tick_failures_;
      tick_retry_at_ = now + Backoff(options_.retry_delay, tick_failures_, options_.max_backoff);
      next = std::min(next, tick_retry_at_);
    }
  } else {
    next = std::min(next, tick_retry_at_);
  }

  // The outbox: what is due now, in batches; a full batch leaves work for
  // a step at once.
  if (!options_.adapters.empty()) {
    if (now >= dispatch_retry_at_) {
      step.dispatched = true;
      absl::StatusOr<DispatchReport> report =
          options_.desk->outbox().Dispatch(options_.adapters, now, options_.dispatch_batch);
      absl::Status s = report.status();
      bool full = false;
      if (report.ok()) {
        step.dispatch = *report;
        full = report->delivered + report->retried + report->dead >= options_.dispatch_batch;
      }
      absl::StatusOr<absl::Time> due = absl::InfiniteFuture();
      if (s.ok()) {
        due = options_.desk->outbox().NextDue();
        s = due.status();
      }
      step.dispatch_status = s;
      if (s.ok()) {
        dispatch_failures_ = 0;
        dispatch_retry_at_ = absl::InfinitePast();
        if (full) {
          next = now;
        } else if (*due > now) {
          next = std::min(next, *due);
        } else {
          // Due but not taken: an entry of a channel without an adapter, or
          // one another dispatcher holds. Look again later, not at once.
          next = std::min(next, now + options_.retry_delay);
        }
      } else {
        ++dispatch_failures_;
        dispatch_retry_at_ =
            now + Backoff(options_.retry_delay, dispatch_failures_, options_.max_backoff);
        next = std::min(next, dispatch_retry_at_);
      }
    } else {
      next = std::min(next, dispatch_retry_at_);
    }
  }

  // Mail sources: each at its own interval, backed off after failures.
  for (size_t i = 0; i < options_.mail_sources.size(); ++i) {
    SourceState& src = sources_[i];
    if (now >= src.next_poll) {
      absl::Status s = options_.mail_sources[i].poll(now);
      step.polls.emplace_back(options_.mail_sources[i].name, s);
      if (s.ok()) {
        src.failures = 0;
        src.next_poll = now + options_.mail_interval;
      } else {
        ++src.failures;
        src.next_poll =
            now + Backoff(options_.mail_interval, src.failures + 1, options_.max_backoff);
      }
    }
    next = std::min(next, src.next_poll);
  }

  // Retention: at its interval, backed off after a failure.
  if (options_.retention.has_value()) {
    if (now >= retention_next_) {
      step.retained = true;
      absl::StatusOr<RetentionResult> run =
          options_.desk->privacy().RunRetention(SystemActor(), *options_.retention);
      step.retention_status = run.status();
      if (run.ok()) {
        step.retention = *std::move(run);
        retention_failures_ = 0;
        retention_next_ = now + options_.retention_interval;
      } else {
        ++retention_failures_;
        retention_next_ =
            now + Backoff(options_.retry_delay, retention_failures_, options_.max_backoff);
      }
    }
    next = std::min(next, retention_next_);
  }

  step.next = std::max(next, now);
  steps_.fetch_add(1);
  if (options_.on_step) options_.on_step(step);
  return step;
}

absl::Status Runner::Start() {
  if (absl::Status s = CheckOptions(options_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (running_) return absl::FailedPreconditionError("Runner::Start: already started");
  running_ = true;
  stopping_ = false;
  woken_ = false;
  {
    // What fell due while stopped runs now: polls too.
    absl::MutexLock step_lock(&step_mu_);
    for (SourceState& src : sources_) src.next_poll = absl::InfinitePast();
    tick_retry_at_ = absl::InfinitePast();
    dispatch_retry_at_ = absl::InfinitePast();
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Runner::Stop() {
  std::thread t;
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    stopping_ = true;
    wake_.SignalAll();
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
  absl::MutexLock lock(&mu_);
  running_ = false;
  stopping_ = false;
}

void Runner::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
  wake_.SignalAll();
}

bool Runner::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

int64_t Runner::steps() const { return steps_.load(); }

void Runner::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      woken_ = false;
    }
    const absl::Time now = options_.clock->Now();
    RunnerStep step = RunOnce(now);
    // Sleep until the next step by the host's clock. The wait is measured in
    // real time; with a clock that does not move by itself (a ManualClock)
    // the host calls Wake() after moving it, and max_sleep bounds the rest.
    absl::Duration wait = std::min(step.next - options_.clock->Now(), options_.max_sleep);
    absl::MutexLock lock(&mu_);
    if (wait <= absl::ZeroDuration()) continue;
    // A spurious wake-up only makes a step early, which is harmless.
    if (!stopping_ && !woken_) wake_.WaitWithTimeout(&mu_, wait);
  }
}

}  // namespace helpdesk
