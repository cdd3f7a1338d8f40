// The outbox: e-mails written for replies and acknowledgements, delivery with retries.
#include "desk/desk_impl.h"

namespace helpdesk {


// The first usable (not bouncing) e-mail address of a contact, if any.
std::optional<std::string> DeskCore::EmailOf(const v1::Contact& c) {
  for (const v1::ContactIdentity& id : c.identities()) {
    if (id.kind() == v1::ContactIdentity::EMAIL && !id.bouncing()) return id.value();
  }
  return std::nullopt;
}

// Writes an e-mail about message `m` of ticket `t` to its requester and
// CCs into the outbox, threaded on the ticket's earlier messages, and
// remembers its Message-ID as a thread key of the ticket.
absl::Status DeskCore::EnqueueEmail(Transaction& tx, const v1::Ticket& t,
                                      const v1::Message& m, absl::string_view text,
                                      absl::string_view html, bool automatic,
                                      absl::Time now) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Contact requester, tx.GetContact(t.requester_id()));
  std::optional<std::string> to = EmailOf(requester);
  if (!to) return absl::OkStatus();  // nobody to write to: nothing to send
  v1::OutboxEntry entry;
  entry.set_state(v1::OutboxEntry::PENDING);
  *entry.mutable_created_at() = ToTimestamp(now);
  *entry.mutable_next_attempt_at() = ToTimestamp(now);
  v1::OutboundMessage* out = entry.mutable_message();
  out->set_channel(v1::CHANNEL_EMAIL);
  out->set_ticket_id(t.id());
  out->set_message_id(m.id());
  std::string domain =
      options_.ingest.desk_email.substr(options_.ingest.desk_email.find('@') + 1);
  out->set_idempotency_key(
      absl::StrCat("helpdesk.ticket", t.id(), ".message", m.id(), "@", domain));
  out->mutable_from()->set_email(options_.ingest.desk_email);
  out->mutable_from()->set_name(options_.ingest.desk_name);
  v1::Party* rcpt = out->add_to();
  rcpt->set_email(*to);
  rcpt->set_name(requester.name());
  if (!automatic) {
    for (int64_t cc : t.cc_contact_ids()) {
      absl::StatusOr<v1::Contact> c = tx.GetContact(cc);
      if (!c.ok()) continue;
      if (std::optional<std::string> email = EmailOf(*c)) {
        v1::Party* p = out->add_cc();
        p->set_email(*email);
        p->set_name(c->name());
      }
    }
  }
  out->set_subject(absl::StartsWith(t.subject(), "Re: ")
                       ? t.subject()
                       : absl::StrCat("Re: ", t.subject()));
  out->set_body_text(std::string(text));
  out->set_body_html(std::string(html));
  out->set_automatic(automatic);
  v1::ThreadingKeys* th = out->mutable_threading();
  th->set_message_id(out->idempotency_key());
  th->set_ticket_token(t.id());
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> thread, tx.ListMessages(t.id()));
  for (const v1::Message& earlier : thread) {
    if (earlier.external_id().empty()) continue;
    if (earlier.channel() != v1::CHANNEL_EMAIL) continue;
    th->add_references(earlier.external_id());
    th->set_in_reply_to(earlier.external_id());
  }
  HELPDESK_RETURN_IF_ERROR(tx.InsertOutbox(&entry));
  HELPDESK_RETURN_IF_ERROR(RememberAddressed(tx, t.id(), {&out->to(), &out->cc()}));
  return tx.PutThreadKey(absl::StrCat("msgid:", out->idempotency_key()), t.id());
}

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
