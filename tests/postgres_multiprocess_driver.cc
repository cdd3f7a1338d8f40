// One worker process of postgres_multiprocess_test: hammers a PostgresStore
// schema until a deadline, mixing what a help desk host does, and writes one
// line per acknowledged action to its log (write(2) per line, so a worker
// killed with SIGKILL leaves every line of what it was told succeeded):
//
//   created <key> <ticket>       an idempotent ingest (ticket + outbox entry)
//   tagged <ticket> <tag>        a version-checked update that added a tag
//   claimed <ticket> <agent>     a pull claim
//   solved <ticket> <agent>      the agent solved a ticket it held
//   delivered <outbox entry>     an outbox delivery (claimed under a lease)
//   breached <ticket>            the tick-lease holder wrote an SLA breach
//
//   postgres_multiprocess_driver URL SCHEMA WORKER SECONDS LOG_DIR AGENT_ID SEED
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "helpdesk/storage/postgres_store.h"
#include "helpdesk/store.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

constexpr int kCapacity = 5;
constexpr absl::Duration kOutboxLease = absl::Seconds(60);
constexpr absl::Duration kSlaTarget = absl::Milliseconds(500);

class Log {
 public:
  explicit Log(const std::string& path)
      : fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644)) {}
  ~Log() { close(fd_); }
  void Line(const std::string& line) {
    std::string l = line + "\n";
    if (write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) std::abort();
  }

 private:
  int fd_;
};

class Worker {
 public:
  Worker(Store& store, int worker, int64_t agent, Log& log, uint32_t seed)
      : store_(store), worker_(worker), agent_(agent), log_(log), rng_(seed),
        holder_(absl::StrCat("worker-", worker, "-", getpid())) {}

  void Run(absl::Time deadline) {
    int64_t n = 0;
    while (absl::Now() < deadline) {
      const int what = static_cast<int>(rng_() % 10);
      absl::Status s;
      if (what < 3) {
        s = Ingest(n++);
      } else if (what < 5) {
        s = Tag();
      } else if (what < 7) {
        s = ClaimOrSolve();
      } else if (what < 9) {
        s = Dispatch();
      } else {
        s = Tick();
      }
      if (!s.ok() && s.code() != absl::StatusCode::kAborted &&
          s.code() != absl::StatusCode::kNotFound &&
          s.code() != absl::StatusCode::kFailedPrecondition &&
          s.code() != absl::StatusCode::kUnavailable) {
        std::cerr << "worker " << worker_ << ": " << s << "\n";
        std::exit(2);
      }
    }
  }

 private:
  absl::Status Ingest(int64_t n) {
    const std::string key = absl::StrCat("w", worker_, "-", n);
    auto tx = store_.Begin(TransactionOptions{.mode = TransactionMode::kReadWrite});
    if (!tx.ok()) return tx.status();
    absl::StatusOr<std::string> seen = (*tx)->GetIdempotencyRecord("ingest", key);
    if (seen.ok()) {
      // A restarted worker replays its first keys: nothing is created twice.
      log_.Line(absl::StrCat("created ", key, " ", *seen));
      return absl::OkStatus();
    }
    const absl::Time now = absl::Now();
    v1::Ticket t;
    t.set_subject(key);
    t.set_status("open");
    t.set_status_category(v1::STATUS_CATEGORY_OPEN);
    t.set_priority(static_cast<v1::Priority>(1 + rng_() % 4));
    *t.mutable_created_at() = ToTimestamp(now);
    *t.mutable_updated_at() = ToTimestamp(now);
    *t.mutable_sla_next_deadline() = ToTimestamp(now + kSlaTarget);
    absl::Status s = (*tx)->InsertTicket(&t);
    if (s.ok()) s = (*tx)->PutIdempotencyRecord("ingest", key, absl::StrCat(t.id()), now);
    v1::OutboxEntry e;
    e.set_state(v1::OutboxEntry::PENDING);
    e.mutable_message()->set_ticket_id(t.id());
    e.mutable_message()->set_subject(key);
    *e.mutable_next_attempt_at() = ToTimestamp(now);
    if (s.ok()) s = (*tx)->InsertOutbox(&e);
    if (s.ok()) s = (*tx)->Commit();
    if (!s.ok()) return s;
    log_.Line(absl::StrCat("created ", key, " ", t.id()));
    ++created_;
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> RandomTicketId(Transaction& tx) {
    TicketQuery q;
    q.sort = TicketSort::kCreatedDesc;
    q.limit = 20;
    absl::StatusOr<TicketPage> page = tx.QueryTickets(q);
    if (!page.ok()) return page.status();
    if (page->tickets.empty()) return absl::NotFoundError("no tickets yet");
    return page->tickets[rng_() % page->tickets.size()].id();
  }

  absl::Status Tag() {
    // Read in one transaction, write in another: the version check is what
    // keeps a concurrent change from being lost.
    v1::Ticket t;
    {
      auto tx = store_.Begin(TransactionMode::kReadOnly);
      if (!tx.ok()) return tx.status();
      absl::StatusOr<int64_t> id = RandomTicketId(**tx);
      if (!id.ok()) return id.status();
      absl::StatusOr<v1::Ticket> got = (*tx)->GetTicket(*id);
      if (!got.ok()) return got.status();
      t = *std::move(got);
    }
    const std::string tag = absl::StrCat("w", worker_, "p", getpid(), "n", tags_++);
    t.add_tags(tag);
    auto tx = store_.Begin(TransactionMode::kReadWrite);
    if (!tx.ok()) return tx.status();
    // The SLA deadline is derived data a tick may have changed without a new
    // version (SetTicketSlaDeadline): carry the stored one over, as the Desk
    // recomputes it on every change.
    absl::StatusOr<v1::Ticket> now = (*tx)->GetTicket(t.id());
    if (!now.ok()) return now.status();
    if (now->has_sla_next_deadline()) {
      *t.mutable_sla_next_deadline() = now->sla_next_deadline();
    } else {
      t.clear_sla_next_deadline();
    }
    absl::Status s = (*tx)->UpdateTicket(&t, t.version());
    if (s.ok()) s = (*tx)->Commit();
    if (!s.ok()) return s;
    log_.Line(absl::StrCat("tagged ", t.id(), " ", tag));
    return absl::OkStatus();
  }

  absl::Status ClaimOrSolve() {
    TicketClaim claim;
    claim.agent_id = agent_;
    claim.capacity = kCapacity;
    claim.statuses = {"open"};
    claim.now = absl::Now();
    absl::StatusOr<v1::Ticket> t = store_.ClaimNextTicket(claim);
    if (t.ok()) {
      log_.Line(absl::StrCat("claimed ", t->id(), " ", agent_));
      return absl::OkStatus();
    }
    if (t.status().code() != absl::StatusCode::kFailedPrecondition) return t.status();
    // At capacity: solve the oldest ticket held.
    auto tx = store_.Begin(TransactionMode::kReadWrite);
    if (!tx.ok()) return tx.status();
    TicketQuery q;
    q.assignee_id = agent_;
    q.statuses = {"open"};
    q.limit = 1;
    absl::StatusOr<TicketPage> page = (*tx)->QueryTickets(q);
    if (!page.ok()) return page.status();
    if (page->tickets.empty()) return absl::NotFoundError("none held");
    v1::Ticket held = page->tickets[0];
    held.set_status("solved");
    held.set_status_category(v1::STATUS_CATEGORY_SOLVED);
    v1::Event e;
    e.set_ticket_id(held.id());
    e.set_kind(v1::Event::FIELDS_CHANGED);
    e.set_note("solved");
    e.set_related_agent_id(agent_);
    absl::Status s = (*tx)->UpdateTicket(&held, held.version());
    if (s.ok()) s = (*tx)->AppendEvent(&e);
    if (s.ok()) s = (*tx)->Commit();
    if (!s.ok()) return s;
    log_.Line(absl::StrCat("solved ", held.id(), " ", agent_));
    return absl::OkStatus();
  }

  absl::Status Dispatch() {
    // Claim due entries (their next attempt moves by the lease), deliver,
    // then mark them delivered: several dispatchers never deliver one entry
    // twice within the lease.
    std::vector<v1::OutboxEntry> mine;
    {
      auto tx = store_.Begin(TransactionMode::kReadWrite);
      if (!tx.ok()) return tx.status();
      const absl::Time now = absl::Now();
      absl::StatusOr<std::vector<v1::OutboxEntry>> due = (*tx)->ListDueOutbox(now, 3);
      if (!due.ok()) return due.status();
      for (v1::OutboxEntry& e : *due) {
        *e.mutable_next_attempt_at() = ToTimestamp(now + kOutboxLease);
        absl::Status s = (*tx)->UpdateOutbox(e);
        if (!s.ok()) return s;
        mine.push_back(e);
      }
      absl::Status s = (*tx)->Commit();
      if (!s.ok()) return s;
    }
    for (v1::OutboxEntry& e : mine) {
      log_.Line(absl::StrCat("delivered ", e.id()));
      auto tx = store_.Begin(TransactionMode::kReadWrite);
      if (!tx.ok()) return tx.status();
      e.set_state(v1::OutboxEntry::DELIVERED);
      absl::Status s = (*tx)->UpdateOutbox(e);
      if (s.ok()) s = (*tx)->Commit();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Tick() {
    const absl::Time now = absl::Now();
    absl::StatusOr<Lease> lease = store_.AcquireLease("tick", holder_, absl::Seconds(2), now);
    if (!lease.ok()) return lease.status();
    if (lease->holder != holder_) return absl::OkStatus();  // another process ticks
    auto tx = store_.Begin(TransactionMode::kReadWrite);
    if (!tx.ok()) return tx.status();
    // Fencing (issue 17): the breaches are written only while this process
    // still holds the lease with its token (a worker killed or stalled past
    // the ttl cannot write after another took over); FailedPrecondition
    // otherwise, which Run treats as "not mine".
    if (absl::Status fenced = (*tx)->CheckLease("tick", holder_, lease->token); !fenced.ok()) {
      return fenced;
    }
    TicketQuery q;
    q.sla_deadline = TimeRange{absl::InfinitePast(), now};
    q.sort = TicketSort::kSlaDeadlineAsc;
    q.limit = 20;
    absl::StatusOr<TicketPage> page = (*tx)->QueryTickets(q);
    if (!page.ok()) return page.status();
    std::vector<int64_t> breached;
    for (const v1::Ticket& t : page->tickets) {
      v1::Event e;
      e.set_ticket_id(t.id());
      e.set_kind(v1::Event::SLA_BREACHED);
      *e.mutable_time() = ToTimestamp(now);
      absl::Status s = (*tx)->AppendEvent(&e);
      if (s.ok()) s = (*tx)->SetTicketSlaDeadline(t.id(), std::nullopt);
      if (!s.ok()) return s;
      breached.push_back(t.id());
    }
    absl::Status s = (*tx)->Commit();
    if (!s.ok()) return s;
    for (int64_t id : breached) log_.Line(absl::StrCat("breached ", id));
    return absl::OkStatus();
  }

  Store& store_;
  const int worker_;
  const int64_t agent_;
  Log& log_;
  std::mt19937 rng_;
  const std::string holder_;
  int64_t created_ = 0;
  int64_t tags_ = 0;
};

}  // namespace
}  // namespace helpdesk

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: " << argv[0] << " URL SCHEMA WORKER SECONDS LOG_DIR AGENT_ID SEED\n";
    return 64;
  }
  int worker = 0, seconds = 0;
  int64_t agent = 0;
  uint32_t seed = 0;
  if (!absl::SimpleAtoi(argv[3], &worker) || !absl::SimpleAtoi(argv[4], &seconds) ||
      !absl::SimpleAtoi(argv[6], &agent) || !absl::SimpleAtoi(argv[7], &seed)) {
    std::cerr << "bad number\n";
    return 64;
  }
  helpdesk::PostgresStoreOptions options;
  options.schema = argv[2];
  options.max_connections = 2;
  absl::StatusOr<std::unique_ptr<helpdesk::Store>> store =
      helpdesk::OpenPostgresStore(argv[1], options);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  helpdesk::Log log(absl::StrCat(argv[5], "/worker-", worker, "-", getpid(), ".log"));
  helpdesk::Worker w(**store, worker, agent, log, seed ^ static_cast<uint32_t>(getpid()));
  w.Run(absl::Now() + absl::Seconds(seconds));
  return 0;
}
