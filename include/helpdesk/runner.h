// Runner: the scheduler a host starts so the desk's time-based work happens.
//
// A desk does nothing by itself between commands: SLA warnings and breaches,
// routing offers that run out and relaxation steps wait for Desk::Tick, the
// outbox waits for Outbox::Dispatch, and mail waits for someone to poll it.
// A Runner does all three. Each step is RunOnce(now), which does what is due
// at `now` and returns when something is next due; Start() runs those steps
// on a thread of its own, sleeping until the next one (or until Wake()).
//
//   helpdesk::Runner runner({.desk = desk.get(), .clock = &clock,
//                            .adapters = {{v1::EMAIL, smtp.get()}},
//                            .mail_sources = {{.name = "imap", .poll = poll_imap}}});
//   HELPDESK_RETURN_IF_ERROR(runner.Start());
//   ...
//   runner.Stop();   // waits for the step under way; nothing is half done
//
// Nothing is lost while a runner is stopped: Tick and Dispatch find their work
// in the store by time, so whatever fell due meanwhile runs on the next step
// after Start (which runs one at once). Mail sources are polled at Start too.
//
// Tests drive RunOnce on a ManualClock and never start the thread; or start
// it and call Wake() after moving the clock.
//
// Thread safety: thread-safe. RunOnce calls are serialised (a second caller
// waits for the first); Start/Stop may be called from any thread but not from
// inside a mail source's poll.
#ifndef HELPDESK_RUNNER_H_
#define HELPDESK_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/desk/privacy.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk {

// A mail source the runner polls (an IMAP mailbox, a Maildir). `poll` reads
// what is new and ingests it; it is the host's code (helpdesk::email has the
// pieces: ImapSource, EmailInbound, Inbox::Ingest). Its error counts as a
// failed poll: the next one is backed off exponentially. Must not throw.
struct MailSource {
  std::string name;
  std::function<absl::Status(absl::Time now)> poll;
};

// What happened in one step, for the host's log (RunnerOptions::on_step).
struct RunnerStep {
  absl::Time at;
  // The step's parts that ran, with their errors (OK when they succeeded).
  bool ticked = false;
  absl::Status tick_status;
  TickReport tick;
  bool dispatched = false;
  absl::Status dispatch_status;
  DispatchReport dispatch;
  // Mail sources polled in this step, by name, with their result.
  std::vector<std::pair<std::string, absl::Status>> polls;
  // Whether retention ran (RunnerOptions::retention), its result or error.
  bool retained = false;
  absl::Status retention_status;
  RetentionResult retention;
  // When the next step is due.
  absl::Time next = absl::InfiniteFuture();
};

struct RunnerOptions {
  // Required; borrowed, must outlive the runner.
  Desk* desk = nullptr;
  Clock* clock = nullptr;
  // Outbound adapters by channel (borrowed). Without any the outbox is not
  // dispatched (its entries wait, as with Outbox::Dispatch).
  std::map<v1::Channel, OutboundAdapter*> adapters;
  // Polled every `mail_interval`; a source whose poll fails waits
  // mail_interval * 2^failures (at most max_backoff) before the next one.
  std::vector<MailSource> mail_sources;
  absl::Duration mail_interval = absl::Minutes(1);
  // When Tick or Dispatch fails (an unavailable store), the step is tried
  // again after retry_delay * 2^failures, at most max_backoff.
  absl::Duration retry_delay = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(15);
  // The longest the thread sleeps without a step: work another process wrote
  // to a shared store has no Wake() here, so it is found within this time.
  absl::Duration max_sleep = absl::Minutes(1);
  // Outbox entries per Dispatch call; a full batch makes the next step due
  // at once.
  int dispatch_batch = 100;
  // Retention (helpdesk/desk/privacy.h): with a policy, Privacy::RunRetention
  // runs as the system actor at the first step and then every
  // retention_interval; a failed run is retried after retry_delay *
  // 2^failures (at most max_backoff). Without one nothing is purged.
  std::optional<RetentionPolicy> retention;
  absl::Duration retention_interval = absl::Hours(24);
  // Called after every step (on the runner's thread with Start). Must not
  // throw; must not call Stop.
  std::function<void(const RunnerStep&)> on_step;
};

class HELPDESK_EXPORT Runner {
 public:
  // Errors of Start and RunOnce name the missing option (InvalidArgument).
  explicit Runner(RunnerOptions options);
  ~Runner();  // Stop()s
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Does what is due at `now`: Desk::Tick when its next deadline
  // (Desk::NextDue) has come, Outbox::Dispatch of the entries due, each mail
  // source whose poll is due. Returns the step's record, whose `next` is when
  // the next step is due (never before `now`, except when work remains: then
  // exactly `now`). Errors of the parts are in the record, not returned: a
  // failed part is retried with back-off. InvalidArgument (as the record's
  // tick_status) when the desk or clock is missing.
  RunnerStep RunOnce(absl::Time now) ABSL_LOCKS_EXCLUDED(step_mu_);

  // Starts the thread: a step at once, then one at each `next` (by the
  // clock), at the latest max_sleep after the last. Errors: InvalidArgument
  // for a missing desk or clock; FailedPrecondition when already started.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);

  // Lets the thread finish the step under way (a command is never cut in
  // half), then ends it. Does nothing when not started. Safe to call twice.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Wakes the thread for a step now (after the host changed something or a
  // test moved a ManualClock).
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  bool running() const ABSL_LOCKS_EXCLUDED(mu_);
  // Steps taken since construction.
  int64_t steps() const;

 private:
  void Loop();

  const RunnerOptions options_;

  std::atomic<int64_t> steps_{0};

  // Serialises steps; holds the back-off state. Lock order: mu_ before
  // step_mu_ (Start resets the back-off); a step never takes mu_.
  absl::Mutex step_mu_;
  int tick_failures_ ABSL_GUARDED_BY(step_mu_) = 0;
  absl::Time tick_retry_at_ ABSL_GUARDED_BY(step_mu_) = absl::InfinitePast();
  int dispatch_failures_ ABSL_GUARDED_BY(step_mu_) = 0;
  absl::Time dispatch_retry_at_ ABSL_GUARDED_BY(step_mu_) = absl::InfinitePast();
  struct SourceState {
    absl::Time next_poll = absl::InfinitePast();
    int failures = 0;
  };
  std::vector<SourceState> sources_ ABSL_GUARDED_BY(step_mu_);
  int retention_failures_ ABSL_GUARDED_BY(step_mu_) = 0;
  absl::Time retention_next_ ABSL_GUARDED_BY(step_mu_) = absl::InfinitePast();

  mutable absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar wake_;
  std::thread thread_;
};

}  // namespace helpdesk

#endif  // HELPDESK_RUNNER_H_
