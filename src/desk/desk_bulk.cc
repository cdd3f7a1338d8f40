// Tickets::BulkUpdate: one change applied to many tickets in one command,
// with a result per ticket and one operation id on its events (issue 16).
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "desk/desk_impl.h"

namespace helpdesk {
namespace {

constexpr absl::string_view kOperationScope = "bulk-operation";

// Whether `s` is a refusal of one ticket (reported in its result) rather than
// a failure of the store (which fails the whole command).
bool IsPerTicketRefusal(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

// A new operation id, recorded as an idempotency record so that no other
// bulk command of the store gets it: a hash of the time, the actor and the
// targets, with "-2", "-3" ... appended when taken.
absl::StatusOr<std::string> NewOperationId(Transaction& tx, const v1::Actor& actor,
                                           absl::Span<const BulkTarget> targets,
                                           absl::Time now) {
  std::string seed = absl::StrCat(absl::ToUnixMicros(now), "|", actor.SerializeAsString());
  for (const BulkTarget& t : targets) {
    absl::StrAppend(&seed, "|", t.ticket_id, ":", t.expected_version.value_or(-1));
  }
  const std::string base = absl::StrCat("bulk-", internal::Sha256Hex(seed).substr(0, 16));
  for (int n = 1;; ++n) {
    std::string id = n == 1 ? base : absl::StrCat(base, "-", n);
    absl::Status s = tx.PutIdempotencyRecord(kOperationScope, id, "", now);
    if (s.ok()) return id;
    if (!absl::IsAlreadyExists(s)) return s;
  }
}

}  // namespace

absl::StatusOr<BulkUpdateResult> Tickets::BulkUpdate(const v1::Actor& actor,
                                                     absl::Span<const BulkTarget> targets,
                                                     const TicketUpdate& change) {
  if (targets.empty()) {
    return absl::InvalidArgumentError("targets: no tickets to update");
  }
  if (targets.size() > impl_->options().limits.max_batch) {
    return absl::InvalidArgumentError(
        absl::StrCat("targets: ", targets.size(), " tickets, over the limit of ",
                     impl_->options().limits.max_batch));
  }
  if (change.expected_version) {
    return absl::InvalidArgumentError(
        "change.expected_version: set the versions per ticket in targets");
  }
  std::set<int64_t> seen;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!seen.insert(targets[i].ticket_id).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "targets[", i, "].ticket_id ", targets[i].ticket_id, " is listed twice"));
    }
  }
  std::vector<v1::Ticket> routed;
  absl::StatusOr<BulkUpdateResult> result = impl_->Run(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<BulkUpdateResult> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        // Refuse outright who may change no ticket at all (the per-ticket
        // answers would all be PermissionDenied or NotFound).
        if (a.IsContact() || a.kind == Viewer::Kind::kLightAgent) {
          return absl::PermissionDeniedError(absl::StrCat(
              a.Describe(), " may not ", ActionName(Action::kUpdateFields)));
        }
        BulkUpdateResult out;
        HELPDESK_ASSIGN_OR_RETURN(out.operation_id,
                                  NewOperationId(tx, actor, targets, impl_->Now()));
        for (const BulkTarget& target : targets) {
          BulkTicketResult& r = out.results.emplace_back();
          r.ticket_id = target.ticket_id;
          TicketUpdate u = change;
          u.expected_version = target.expected_version;
          // DeskCore::Update writes nothing before its last step (the save),
          // so a refusal leaves the transaction as it was.
          absl::StatusOr<v1::Ticket> before = tx.GetTicket(target.ticket_id);
          absl::StatusOr<v1::Ticket> t =
              impl_->Update(tx, actor, target.ticket_id, u, out.operation_id);
          if (t.ok()) {
            if (before.ok() && before->version() != t->version()) ++out.changed;
            r.ticket = *std::move(t);
          } else if (IsPerTicketRefusal(t.status())) {
            r.status = t.status();
          } else {
            return t.status();
          }
        }
        return out;
      },
      &routed);
  if (!result.ok()) return result;
  // Show the assignees routing gave in the same command.
  for (BulkTicketResult& r : result->results) {
    if (!r.ticket) continue;
    for (const v1::Ticket& t : routed) {
      if (t.id() == r.ticket->id()) r.ticket = t;
    }
  }
  return result;
}

}  // namespace helpdesk
