// The outbox: delivery of what the desk wrote (desk_replies.cc), with retries.
#include "desk/desk_impl.h"

namespace helpdesk {


absl::StatusOr<absl::Time> Outbox::NextDue() {
  return impl_->RunOnce(TransactionMode::kReadOnly,
                        [&](Transaction& tx) -> absl::StatusOr<absl::Time> {
                          HELPDESK_ASSIGN_OR_RETURN(
                              std::vector<v1::OutboxEntry> due,
                              tx.ListDueOutbox(absl::InfiniteFuture(), 1));
                          if (due.empty()) return absl::InfiniteFuture();
                          return FromTimestamp(due.front().next_attempt_at());
                        });
}

absl::StatusOr<DispatchReport> Outbox::Dispatch(
    const std::map<v1::Channel, OutboundAdapter*>& adapters, absl::Time now, int limit) {
  const OutboxOptions& o = impl_->options().outbox;
  DispatchReport report;
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }
  // Claim: the lease keeps other dispatchers off these entries for a while.
  HELPDESK_ASSIGN_OR_RETURN(
      std::vector<v1::OutboxEntry> claimed,
      impl_->Run(TransactionMode::kReadWrite,
                 [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::OutboxEntry>> {
                   HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::OutboxEntry> due,
                                             tx.ListDueOutbox(now, limit));
                   std::vector<v1::OutboxEntry> out;
                   for (v1::OutboxEntry& e : due) {
                     auto it = adapters.find(e.message().channel());
                     if (it == adapters.end() || it->second == nullptr) continue;
                     e.set_attempts(e.attempts() + 1);
                     *e.mutable_next_attempt_at() = ToTimestamp(now + o.lease);
                     HELPDESK_RETURN_IF_ERROR(tx.UpdateOutbox(e));
                     out.push_back(std::move(e));
                   }
                   return out;
                 }));
  for (v1::OutboxEntry& e : claimed) {
    absl::StatusOr<DeliveryReceipt> receipt =
        adapters.at(e.message().channel())->Deliver(e.message());
    absl::StatusOr<bool> saved = impl_->Run(
        TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<bool> {
          HELPDESK_ASSIGN_OR_RETURN(v1::OutboxEntry cur, tx.GetOutbox(e.id()));
          if (cur.state() != v1::OutboxEntry::PENDING) return false;
          // Our claim is (attempts, next attempt) as the claim wrote them.
          // When they changed, our claim ran out and another dispatcher
          // claimed the entry (issue 17): a delivery still counts (the other
          // finds it DELIVERED), but a failure must not move the other's
          // claim, or a third dispatcher could take it while the other
          // delivers.
          const bool still_ours =
              cur.attempts() == e.attempts() &&
              FromTimestamp(cur.next_attempt_at()) == FromTimestamp(e.next_attempt_at());
          if (!receipt.ok() && !still_ours) {
            ++report.superseded;
            return false;
          }
          if (receipt.ok()) {
            cur.set_state(v1::OutboxEntry::DELIVERED);
            *cur.mutable_delivered_at() = ToTimestamp(now);
            cur.set_provider_id(receipt->provider_id);
            cur.clear_last_error();
            ++report.delivered;
          } else {
            cur.set_last_error(receipt.status().ToString());
            if (IsRetryableDeliveryError(receipt.status()) &&
                cur.attempts() < o.max_attempts) {
              absl::Duration backoff = o.initial_backoff;
              for (int i = 1; i < cur.attempts() && backoff < o.max_backoff; ++i) {
                backoff *= 2;
              }
              *cur.mutable_next_attempt_at() =
                  ToTimestamp(now + std::min(backoff, o.max_backoff));
              ++report.retried;
            } else {
              cur.set_state(v1::OutboxEntry::DEAD);
              ++report.dead;
            }
          }
          HELPDESK_RETURN_IF_ERROR(tx.UpdateOutbox(cur));
          return true;
        });
    if (!saved.ok()) return saved.status();
  }
  return report;
}

absl::StatusOr<std::vector<v1::OutboxEntry>> Outbox::List(
    const v1::Actor& viewer, std::optional<v1::OutboxEntry::State> state,
    int64_t after_id, int limit) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::OutboxEntry>> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadOutbox));
                      return tx.ListOutbox(state, after_id, limit);
                    });
}

absl::StatusOr<v1::OutboxEntry> Outbox::Replay(const v1::Actor& actor,
                                                   int64_t entry_id) {
  return impl_->Run(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<v1::OutboxEntry> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReplayOutbox));
        HELPDESK_ASSIGN_OR_RETURN(v1::OutboxEntry e, tx.GetOutbox(entry_id));
        if (e.state() != v1::OutboxEntry::DEAD) {
          return absl::FailedPreconditionError(
              absl::StrCat("outbox entry ", entry_id, " is ",
                           v1::OutboxEntry::State_Name(e.state()), ", not DEAD"));
        }
        e.set_state(v1::OutboxEntry::PENDING);
        e.set_attempts(0);
        *e.mutable_next_attempt_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.UpdateOutbox(e));
        return e;
      });
}

}  // namespace helpdesk
