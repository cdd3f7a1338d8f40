// PostgresStore's calls for several processes: named leases (one row per
// lease: holder, expiry, fencing token; taken or renewed by one INSERT ... ON
// CONFLICT DO UPDATE ... WHERE, so two processes never both get it) and pull
// claims (FOR UPDATE SKIP LOCKED on the candidate ticket, the agent's row
// locked for the capacity count).
//
// A claim runs in a read-write transaction, under the schema's writer lock
// like every write: event ids then commit in id order, so readers of the
// event feed (ListEventsSince) never skip an event that commits late, and a
// claim can never deadlock with a writer. The row locks make the claim safe
// on their own as well, beside anything else that locks ticket rows.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "helpdesk/timestamp.h"
#include "storage/postgres_transaction.h"
#include "storage/ticket_claim.h"

namespace helpdesk::internal {
namespace {

int64_t Micros(absl::Time t) {
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  return ToUnixMicrosFloor(t);
}

absl::Time FromMicros(int64_t us) {
  if (us == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  if (us == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  return absl::FromUnixMicros(us);
}

}  // namespace

absl::StatusOr<Lease> PgAcquireLease(PgConnection& c, absl::string_view name,
                                     absl::string_view holder, absl::Duration ttl,
                                     absl::Time now) {
  HELPDESK_RETURN_IF_ERROR(ValidateLease(name, holder, ttl));
  const int64_t now_us = Micros(now);
  const int64_t until_us = Micros(now + ttl);
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r,
      c.Run("INSERT INTO leases AS l (name, holder, expires_us, token) "
            "VALUES ($1, $2, $3, 1) ON CONFLICT (name) DO UPDATE SET "
            "holder = EXCLUDED.holder, expires_us = EXCLUDED.expires_us, "
            "token = l.token + CASE WHEN l.holder = EXCLUDED.holder THEN 0 ELSE 1 END "
            "WHERE l.holder = EXCLUDED.holder OR l.expires_us <= $4 "
            "RETURNING holder, expires_us, token",
            {PgParam::Bytes(name), PgParam::Bytes(holder), PgParam::Int(until_us),
             PgParam::Int(now_us)}));
  if (r.rows() == 0) {
    // Held by another: report who, and until when.
    HELPDESK_ASSIGN_OR_RETURN(
        r, c.Run("SELECT holder, expires_us, token FROM leases WHERE name = $1",
                 {PgParam::Bytes(name)}));
    if (r.rows() == 0) {
      return absl::UnavailableError(absl::StrCat(
          c.describe(), ": lease '", name, "' changed while it was read; try again"));
    }
  }
  Lease lease;
  lease.name = std::string(name);
  lease.holder = std::string(r.Bytes(0, 0));
  lease.expires_at = FromMicros(r.Int(0, 1));
  lease.token = r.Int(0, 2);
  return lease;
}

absl::Status PgReleaseLease(PgConnection& c, absl::string_view name,
                            absl::string_view holder) {
  HELPDESK_RETURN_IF_ERROR(ValidateLease(name, holder, absl::Seconds(1)));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, c.Run("UPDATE leases SET holder = ''::bytea, expires_us = $3 "
                        "WHERE name = $1 AND holder = $2",
                        {PgParam::Bytes(name), PgParam::Bytes(holder),
                         PgParam::Int(std::numeric_limits<int64_t>::min())}));
  (void)r;
  return absl::OkStatus();
}

absl::Status PostgresTransaction::CheckLease(absl::string_view name,
                                             absl::string_view holder, int64_t token) {
  HELPDESK_RETURN_IF_ERROR(ValidateLease(name, holder, absl::Seconds(1)));
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  const bool lock = mode_ == TransactionMode::kReadWrite;
  return Watch([&]() -> absl::Status {
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult r, Run(absl::StrCat("SELECT holder, expires_us, token FROM leases "
                                     "WHERE name = $1",
                                     lock ? " FOR SHARE" : ""),
                        {PgParam::Bytes(name)}));
    if (r.rows() == 0) return LeaseVerdict(name, holder, token, nullptr);
    Lease stored;
    stored.name = std::string(name);
    stored.holder = std::string(r.Bytes(0, 0));
    stored.expires_at = FromMicros(r.Int(0, 1));
    stored.token = r.Int(0, 2);
    return LeaseVerdict(name, holder, token, &stored);
  }());
}

absl::StatusOr<v1::Ticket> PostgresTransaction::ClaimNextTicket(const TicketClaim& claim) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(ValidateClaim(claim));
  return Watch([&]() -> absl::StatusOr<v1::Ticket> {
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult agent, Run("SELECT id FROM agents WHERE id = $1 FOR UPDATE",
                            {PgParam::Int(claim.agent_id)}));
    if (agent.rows() == 0) return NotFound("agent", claim.agent_id);
    // "status IN ($2, $3, ...)" and the optional group, numbered after $1.
    std::vector<PgParam> params = {PgParam::Int(claim.agent_id)};
    std::vector<std::string> marks;
    for (const std::string& s : claim.statuses) {
      params.push_back(PgParam::Bytes(s));
      marks.push_back(absl::StrCat("$", params.size()));
    }
    const std::string in = absl::StrCat("status IN (", absl::StrJoin(marks, ", "), ")");
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult held, Run(absl::StrCat("SELECT count(*) FROM tickets WHERE "
                                        "assignee_id = $1 AND merged_into = 0 AND ",
                                        in),
                           params));
    if (held.Int(0, 0) >= claim.capacity) {
      return absl::FailedPreconditionError(absl::StrCat(
          "agent ", claim.agent_id, " holds ", held.Int(0, 0),
          " tickets, at its capacity ", claim.capacity));
    }
    // $1 is unused by the candidate query; keep the numbering by naming it.
    std::string group;
    if (claim.group_id.has_value()) {
      params.push_back(PgParam::Int(*claim.group_id));
      group = absl::StrCat(" AND group_id = $", params.size());
    }
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult next,
        Run(absl::StrCat("SELECT id, version, proto FROM tickets WHERE $1 > 0 AND "
                         "assignee_id = 0 AND merged_into = 0 AND ",
                         in, group,
                         " ORDER BY priority DESC, created_us, id LIMIT 1 "
                         "FOR UPDATE SKIP LOCKED"),
            params));
    if (next.rows() == 0) {
      return absl::NotFoundError(
          absl::StrCat("no unassigned ticket to claim for agent ", claim.agent_id));
    }
    v1::Ticket t;
    const int64_t id = next.Int(0, 0);
    HELPDESK_RETURN_IF_ERROR(Parse(next.Bytes(0, 2), "tickets", id, &t));
    t.set_id(id);
    t.set_version(next.Int(0, 1));
    const int64_t loaded = t.version();
    v1::Event e = ApplyClaim(claim, loaded + 1, &t);
    HELPDESK_RETURN_IF_ERROR(DoUpdateTicket(&t, loaded));
    HELPDESK_RETURN_IF_ERROR(DoAppendEvent(&e));
    return t;
  }());
}

}  // namespace helpdesk::internal
