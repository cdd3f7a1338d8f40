// One worker process of postgres_multiprocess_test: runs a Desk on a shared
// PostgresStore schema with the desk lease (DeskOptions::lease, issue 17):
// push routing, SLA ticks and offer handling happen only in the process that
// holds the lease; every process ingests, updates, solves and dispatches the
// outbox. It hammers the desk until a deadline and writes one line per
// acknowledged action to its log (write(2) per line, so a worker killed with
// SIGKILL leaves every line of what it was told succeeded):
//
//   created <key> <ticket>       an idempotent ingest (ticket + acknowledgement
//                                in the outbox)
//   tagged <ticket> <tag>        a version-checked update that added a tag
//   claimed <ticket> <agent>     a pull (NextTicketFor, in the lease holder)
//   solved <ticket> <agent>      the agent solved a ticket it held
//   delivered <key>              the adapter was called for an outbox message
//                                (its idempotency key)
//   held <unix micros>           a Tick ran as the lease holder
//
//   postgres_multiprocess_driver URL SCHEMA WORKER SECONDS LOG_DIR AGENT_ID SEED
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/names.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/postgres_store.h"
#include "helpdesk/store.h"
#include "helpdesk/workflow.h"

namespace helpdesk {
namespace {

// First reply within 0.8 s, warned 0.4 s before, around the clock: most
// tickets warn and breach during the run.
constexpr char kSla[] = R"pb(
  policies {
    name: "fast"
    targets {
      metric: SLA_METRIC_FIRST_REPLY
      target { nanos: 800000000 }
      warn_before { nanos: 400000000 }
    }
  }
)pb";

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

// Logs each delivery before it returns, as a real channel would have sent it.
class LoggingAdapter final : public OutboundAdapter {
 public:
  explicit LoggingAdapter(Log& log) : log_(log) {}
  absl::string_view Name() const override { return "test.logging"; }
  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& message) override {
    log_.Line(absl::StrCat("delivered ", message.idempotency_key()));
    return DeliveryReceipt{.provider_id = message.idempotency_key()};
  }

 private:
  Log& log_;
};

class Worker {
 public:
  Worker(Desk& desk, int worker, int64_t agent, Log& log, uint32_t seed)
      : desk_(desk), worker_(worker), agent_(agent), log_(log), rng_(seed), adapter_(log) {}

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
    // A restarted worker replays its first keys: the idempotency key makes
    // each one ticket.
    const std::string key = absl::StrCat("w", worker_, "-", n);
    v1::InboundMessage m;
    m.set_channel(v1::CHANNEL_EMAIL);
    m.set_idempotency_key(key);
    m.set_external_id(absl::StrCat("<", key, "@multi.example>"));
    // One sender per ticket: the acknowledgement's per-contact limit never
    // holds one back.
    m.mutable_from()->set_email(absl::StrCat(key, "@customers.example"));
    m.set_subject(key);
    m.set_body_text("please help");
    absl::StatusOr<IngestResult> r = desk_.inbox().Ingest(m);
    if (!r.ok()) return r.status();
    if (r->outcome != IngestResult::Outcome::kCreatedTicket) {
      return absl::InternalError(absl::StrCat(key, " did not create a ticket"));
    }
    log_.Line(absl::StrCat("created ", key, " ", r->ticket_id));
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Ticket> RandomTicket(std::optional<int64_t> assignee) {
    TicketQuery q;
    q.sort = TicketSort::kCreatedDesc;
    q.limit = 20;
    if (assignee) {
      q.assignee_id = *assignee;
      q.statuses = {"new", "open"};
    }
    absl::StatusOr<TicketPage> page = desk_.tickets().Query(SystemActor(), q);
    if (!page.ok()) return page.status();
    if (page->tickets.empty()) return absl::NotFoundError("no tickets");
    return page->tickets[rng_() % page->tickets.size()];
  }

  absl::Status Tag() {
    // Read, then write with the version read: the version check is what
    // keeps a concurrent change (another process, or routing) from being
    // lost.
    absl::StatusOr<v1::Ticket> t = RandomTicket(std::nullopt);
    if (!t.ok()) return t.status();
    const std::string tag = absl::StrCat("w", worker_, "p", getpid(), "n", tags_++);
    TicketUpdate u;
    u.add_tags = {tag};
    u.expected_version = t->version();
    absl::StatusOr<v1::Ticket> done = desk_.tickets().Update(SystemActor(), t->id(), u);
    if (!done.ok()) return done.status();
    log_.Line(absl::StrCat("tagged ", t->id(), " ", tag));
    return absl::OkStatus();
  }

  absl::Status ClaimOrSolve() {
    if (rng_() % 2 == 0) {
      // A pull runs in the lease holder only (Unavailable elsewhere).
      absl::StatusOr<v1::Ticket> t =
          desk_.routing().NextTicketFor(AgentActor(agent_), agent_);
      if (t.ok()) {
        log_.Line(absl::StrCat("claimed ", t->id(), " ", agent_));
        return absl::OkStatus();
      }
      if (!absl::IsNotFound(t.status()) && !absl::IsFailedPrecondition(t.status()) &&
          !absl::IsResourceExhausted(t.status())) {
        return t.status();
      }
    }
    // Solve one of the tickets this agent holds.
    absl::StatusOr<v1::Ticket> held = RandomTicket(agent_);
    if (!held.ok()) return held.status();
    TicketUpdate u;
    u.status = "solved";
    u.expected_version = held->version();
    absl::StatusOr<v1::Ticket> done = desk_.tickets().Update(AgentActor(agent_), held->id(), u);
    if (!done.ok()) return done.status();
    log_.Line(absl::StrCat("solved ", held->id(), " ", agent_));
    return absl::OkStatus();
  }

  absl::Status Dispatch() {
    // Every process dispatches: each claims its own entries (for
    // OutboxOptions::lease), so none is delivered twice while claimed.
    absl::StatusOr<DispatchReport> r =
        desk_.outbox().Dispatch({{v1::CHANNEL_EMAIL, &adapter_}}, absl::Now(), 3);
    return r.status();
  }

  absl::Status Tick() {
    const absl::Time now = absl::Now();
    absl::StatusOr<TickReport> r = desk_.Tick(now);
    if (!r.ok()) return r.status();
    if (r->lease_held) log_.Line(absl::StrCat("held ", absl::ToUnixMicros(now)));
    return absl::OkStatus();
  }

  Desk& desk_;
  const int worker_;
  const int64_t agent_;
  Log& log_;
  std::mt19937 rng_;
  LoggingAdapter adapter_;
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
  absl::StatusOr<helpdesk::SlaEngine> sla =
      helpdesk::SlaEngine::FromText(helpdesk::kSla, helpdesk::Workflow::Default());
  if (!sla.ok()) {
    std::cerr << sla.status() << "\n";
    return 1;
  }
  helpdesk::RealClock clock;
  helpdesk::DeskOptions o{.store = store->get(), .clock = &clock};
  o.routing = helpdesk::RoutingOptions{};
  o.sla = *sla;
  o.ingest.acknowledge_new_tickets = true;
  o.ingest.desk_email = "support@desk.example";
  o.outbox.lease = absl::Seconds(30);
  o.lease = helpdesk::DeskLeaseOptions{
      .holder = absl::StrCat("worker-", worker, "-", getpid()), .ttl = absl::Seconds(1)};
  absl::StatusOr<std::unique_ptr<helpdesk::Desk>> desk = helpdesk::Desk::Open(std::move(o));
  if (!desk.ok()) {
    std::cerr << desk.status() << "\n";
    return 1;
  }
  helpdesk::Log log(absl::StrCat(argv[5], "/worker-", worker, "-", getpid(), ".log"));
  helpdesk::Worker w(**desk, worker, agent, log, seed ^ static_cast<uint32_t>(getpid()));
  w.Run(absl::Now() + absl::Seconds(seconds));
  return 0;
}
