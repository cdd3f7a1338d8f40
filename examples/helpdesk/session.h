// The desk the helpdesk CLI works on: the SQLite file (--db, $HELPDESK_DB,
// ./helpdesk.db), the SLA and routing configurations, and look-ups of agents,
// groups and contacts by the names a user types.
#ifndef HELPDESK_EXAMPLES_HELPDESK_SESSION_H_
#define HELPDESK_EXAMPLES_HELPDESK_SESSION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "flags.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/store.h"

namespace helpdesk::cli {

// --store URL|FILE, else --db FILE, else $HELPDESK_STORE, else $HELPDESK_DB,
// else ./helpdesk.db. A postgresql:// URL (or a libpq key=value string)
// names a PostgreSQL store, anything else an SQLite file.
std::string DatabasePath(const Args& a);

// Opens the store DatabasePath named (creating it when `create`).
absl::StatusOr<std::unique_ptr<Store>> OpenStoreNamed(const std::string& name, bool create);

struct Session {
  std::unique_ptr<Store> store;
  RealClock real_clock;
  Clock* clock = &real_clock;
  std::unique_ptr<Desk> desk;
};

// The SLA configuration named by --sla or $HELPDESK_SLA, if any.
absl::StatusOr<std::optional<std::string>> SlaConfigText(const Args& a);

// The routing policy named by --routing or $HELPDESK_ROUTING, if any.
absl::StatusOr<std::optional<RoutingOptions>> RoutingConfig(const Args& a);

absl::StatusOr<std::unique_ptr<Session>> OpenSession(
    const std::string& path, bool create, Clock* clock = nullptr,
    const std::optional<std::string>& sla_text = std::nullopt,
    const std::string& desk_email = "", bool acknowledge = false,
    std::optional<RoutingOptions> routing = std::nullopt,
    // Automation (issue 14): adds rules, templates and macros before Open.
    std::function<absl::Status(DeskOptions&)> configure = nullptr);

// The desk lease (issue 17) of a command that ticks or routes (serve,
// tick): holder --lease-holder, default "HOST:PID"; ttl --lease-ttl
// SECONDS (1 to 86400), default 30. With a store shared by several processes
// only the holder does Tick's work and push routing.
absl::StatusOr<DeskLeaseOptions> DeskLeaseFromArgs(const Args& a);
// The help lines of those two flags.
extern const char kLeaseFlags[];
// One line saying that `report`'s tick was skipped and who holds the lease;
// empty when it ran.
std::string LeaseSkipLine(const TickReport& report, const DeskLeaseOptions& lease);

absl::StatusOr<v1::Agent> AgentByEmail(Desk& desk, const std::string& email);
absl::StatusOr<int64_t> GroupByName(Desk& desk, const std::string& name);

// The agent named by --agent, else the system.
absl::StatusOr<v1::Actor> ActingAgent(Desk& desk, const Args& a);

}  // namespace helpdesk::cli

#endif  // HELPDESK_EXAMPLES_HELPDESK_SESSION_H_
