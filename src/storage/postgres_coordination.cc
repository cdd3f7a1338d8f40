// PostgresStore's calls for several processes: named leases (one row per
// lease: holder, expiry, fencing token; taken or renewed by one INSERT ... ON
// CONFLICT DO UPDATE ... WHERE, so two processes never both get it) and pull
// claims (FOR UPDATE SKIP LOCKED on the candidate ticket, the agent's row
// locked for the capacity count).
//
// A claim finds its ticket without the schema's writer lock (the agent's row
// FOR UPDATE, the count it holds, the candidate FOR UPDATE SKIP LOCKED), then
// sends its write in one pipeline: the writer lock (waiting at most
// kClaimLockWait), the ticket's UPDATE (only while the agent, counted again
// under the lock, is below capacity), the side tables, the ROUTED event and
// COMMIT. Under the lock event ids commit in id order, so readers of the
// event feed (ListEventsSince) never skip an event that commits late, and the
// capacity count sees every earlier writer. A claim waiting for the lock
// holds row locks a writer may wait for: the short wait ends that (the claim
// rolls back and PostgresStore tries again; after kClaimOptimisticAttempts it
// takes the lock before anything, as every other read-write transaction does).
// A claim that finds no ticket without the lock runs again under it, since
// SKIP LOCKED passes a free ticket a writer holds for a moment.
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

// How long a claim that found its ticket waits for the writer lock before it
// rolls back and tries again (see above).
constexpr absl::Duration kClaimLockWait = absl::Milliseconds(100);

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

absl::StatusOr<v1::Ticket> PostgresTransaction::ClaimNextTicket(const TicketClaim& claim,
                                                                 bool lock_first) {
  HELPDESK_RETURN_IF_ERROR(CheckState());
  if (mode_ != TransactionMode::kReadWrite) return ReadOnlyWrite();
  HELPDESK_RETURN_IF_ERROR(ValidateClaim(claim));
  if (lock_first) HELPDESK_RETURN_IF_ERROR(CheckOpen());
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
    const std::string held_sql = absl::StrCat(
        "SELECT count(*) FROM tickets WHERE assignee_id = $1 AND merged_into = 0 AND ", in);
    HELPDESK_ASSIGN_OR_RETURN(PgResult held, Run(held_sql, params));
    if (held.Int(0, 0) >= claim.capacity) {
      return absl::FailedPreconditionError(absl::StrCat(
          "agent ", claim.agent_id, " holds ", held.Int(0, 0),
          " tickets, at its capacity ", claim.capacity));
    }
    // $1 is unused by the candidate query; keep the numbering by naming it.
    std::string group;
    std::vector<PgParam> candidate_params = params;
    if (claim.group_id.has_value()) {
      candidate_params.push_back(PgParam::Int(*claim.group_id));
      group = absl::StrCat(" AND group_id = $", candidate_params.size());
    }
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult next,
        Run(absl::StrCat("SELECT id, version, proto FROM tickets WHERE $1 > 0 AND "
                         "assignee_id = 0 AND merged_into = 0 AND ",
                         in, group,
                         " ORDER BY priority DESC, created_us, id LIMIT 1 "
                         "FOR UPDATE SKIP LOCKED"),
            candidate_params));
    if (next.rows() == 0) {
      // Without the lock a free ticket may be locked by a writer for a
      // moment (SKIP LOCKED passes it): only the locked pass says none.
      retry_under_lock_ = !writer_locked_;
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

    // The write, in one pipeline: lock, guarded UPDATE (the row is ours: its
    // version cannot have moved), side tables, event, COMMIT.
    std::string proto, status, subject;
    std::vector<PgParam> update;
    HELPDESK_RETURN_IF_ERROR(TicketColumns(t, loaded + 1, &proto, &status, &subject, &update));
    update.push_back(PgParam::Int(id));
    update.push_back(PgParam::Int(loaded));
    // The capacity guard: the count again, under the writer lock.
    std::vector<std::string> guard_marks;
    update.push_back(PgParam::Int(claim.agent_id));
    const size_t agent_mark = update.size();
    for (const std::string& s : claim.statuses) {
      update.push_back(PgParam::Bytes(s));
      guard_marks.push_back(absl::StrCat("$", update.size()));
    }
    update.push_back(PgParam::Int(claim.capacity));
    const std::string update_sql = absl::StrCat(
        "UPDATE tickets SET version = $1, status = $2, status_category = $3, "
        "priority = $4, assignee_id = $5, group_id = $6, requester_id = $7, "
        "organization_id = $8, subject_folded = $9, created_us = $10, "
        "updated_us = $11, merged_into = $12, sla_deadline_us = $13, proto = $14 "
        "WHERE id = $15 AND version = $16 AND (SELECT count(*) FROM tickets h "
        "WHERE h.assignee_id = $", agent_mark, " AND h.merged_into = 0 AND h.status IN (",
        absl::StrJoin(guard_marks, ", "), ")) < $", update.size());
    v1::Event stored_event = e;
    stored_event.clear_id();
    HELPDESK_ASSIGN_OR_RETURN(std::string event_bytes, Serialize(stored_event, "event"));
    std::vector<PgStatement> writes;
    if (!writer_locked_) {
      writes.push_back({absl::StrCat("SELECT set_config('lock_timeout', '",
                                     absl::ToInt64Milliseconds(kClaimLockWait), "', true)"),
                        {}});
      writes.push_back({store_writer_lock(), {}});
    }
    writes.push_back({update_sql, update});
    std::vector<int64_t> affected;
    const absl::Status locked_update = connection_->RunPipeline(writes, &affected);
    if (!locked_update.ok()) {
      retry_under_lock_ = !writer_locked_ && !connection_->broken() &&
                          locked_update.code() == absl::StatusCode::kUnavailable;
      return locked_update;
    }
    writer_locked_ = true;
    if (affected.back() == 0) {
      // Another writer gave the agent tickets since the count above.
      (void)connection_->Execute("ROLLBACK");
      return absl::FailedPreconditionError(absl::StrCat(
          "agent ", claim.agent_id, " is at its capacity ", claim.capacity));
    }
    writes.clear();
    AddSideTableWrites(id, t, /*replace=*/true, &writes);
    writes.push_back({"INSERT INTO events (ticket_id, proto, time_micros) VALUES ($1, $2, $3)",
                      {PgParam::Int(e.ticket_id()), PgParam::Bytes(event_bytes),
                       PgParam::Int(TimestampToMicros(e.time()))}});
    writes.push_back({"COMMIT", {}});
    HELPDESK_RETURN_IF_ERROR(connection_->RunPipeline(writes));
    if (!connection_->Idle()) {
      return absl::InternalError(
          absl::StrCat(connection_describe_, ": COMMIT left the claim's transaction open"));
    }
    state_ = State::kCommitted;
    t.set_version(loaded + 1);
    return t;
  }());
}

}  // namespace helpdesk::internal
