#include "desk/privacy_copies.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "helpdesk/access.h"
#include "helpdesk/status_macros.h"

namespace helpdesk::internal {
namespace {

constexpr int kOutboxPage = 1000;

// The identity value as OutboxSubject holds it.
std::string Normalised(v1::ContactIdentity::Kind kind, absl::string_view value) {
  if (kind == v1::ContactIdentity::EMAIL) return absl::AsciiStrToLower(value);
  return std::string(value);
}

bool PartyIs(const v1::Party& p, const OutboxSubject& who) {
  if (!p.email().empty() && who.identities.contains(absl::AsciiStrToLower(p.email()))) {
    return true;
  }
  if (!p.phone().empty() && who.identities.contains(p.phone())) return true;
  return !p.chat_handle().empty() && who.identities.contains(p.chat_handle());
}

void ErasePartyIf(bool all, v1::Party* p, const OutboxSubject& who, absl::string_view erased) {
  if (!all && !PartyIs(*p, who)) return;
  p->clear_name();
  if (!p->email().empty()) p->set_email(std::string(erased));
  if (!p->phone().empty()) p->set_phone(std::string(erased));
  if (!p->chat_handle().empty()) p->set_chat_handle(std::string(erased));
}

// Applies the redaction to `e`; true when anything changed.
bool Redact(v1::OutboxEntry& e, const OutboxSubject& who, absl::string_view erased,
            absl::string_view reason) {
  const std::string before = e.SerializeAsString();
  v1::OutboundMessage* m = e.mutable_message();
  m->set_subject(std::string(erased));
  m->set_body_text(std::string(erased));
  m->clear_body_html();
  m->clear_attachments();
  m->clear_signature();
  const bool about = who.ticket_ids.contains(m->ticket_id());
  const bool all = about && who.all_recipients_of_tickets;
  for (v1::Party& p : *m->mutable_to()) ErasePartyIf(all, &p, who, erased);
  for (v1::Party& p : *m->mutable_cc()) ErasePartyIf(all, &p, who, erased);
  if (about) m->clear_destination();
  if (e.state() == v1::OutboxEntry::PENDING) {
    e.set_state(v1::OutboxEntry::DEAD);
    e.set_last_error(std::string(reason));
  }
  return e.SerializeAsString() != before;
}

}  // namespace

void OutboxSubject::AddIdentities(const v1::Contact& contact) {
  for (const v1::ContactIdentity& id : contact.identities()) {
    if (!id.value().empty()) identities.insert(Normalised(id.kind(), id.value()));
  }
}

bool OutboxEntryConcerns(const v1::OutboxEntry& entry, const OutboxSubject& who) {
  const v1::OutboundMessage& m = entry.message();
  if (m.ticket_id() != 0 && who.ticket_ids.contains(m.ticket_id())) return true;
  for (const v1::Party& p : m.to()) {
    if (PartyIs(p, who)) return true;
  }
  for (const v1::Party& p : m.cc()) {
    if (PartyIs(p, who)) return true;
  }
  return false;
}

absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutboxCopies(Transaction& tx,
                                                              const OutboxSubject& who) {
  std::vector<v1::OutboxEntry> out;
  if (who.ticket_ids.empty() && who.identities.empty()) return out;
  int64_t after = 0;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::OutboxEntry> page,
                              tx.ListOutbox(std::nullopt, after, kOutboxPage));
    if (page.empty()) return out;
    after = page.back().id();
    for (v1::OutboxEntry& e : page) {
      if (OutboxEntryConcerns(e, who)) out.push_back(std::move(e));
    }
    if (static_cast<int>(page.size()) < kOutboxPage) return out;
  }
}

absl::StatusOr<int> RedactOutboxCopies(Transaction& tx, const OutboxSubject& who,
                                       absl::string_view erased_text, absl::string_view reason) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::OutboxEntry> copies, ListOutboxCopies(tx, who));
  int changed = 0;
  for (v1::OutboxEntry& e : copies) {
    if (!Redact(e, who, erased_text, reason)) continue;
    HELPDESK_RETURN_IF_ERROR(tx.UpdateOutbox(e));
    ++changed;
  }
  return changed;
}

absl::StatusOr<std::vector<v1::Ticket>> CopiedTickets(Transaction& tx, int64_t contact_id) {
  std::vector<v1::Ticket> out;
  TicketQuery q;
  q.visible_to = TicketVisibility{.contact_id = contact_id};
  q.include_merged = true;
  q.sort = TicketSort::kIdAsc;
  q.limit = kMaxQueryLimit;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx.QueryTickets(q));
    for (v1::Ticket& t : page.tickets) {
      if (t.requester_id() != contact_id) out.push_back(std::move(t));
    }
    if (page.next_cursor.empty()) return out;
    q.cursor = std::move(page.next_cursor);
  }
}

bool WrittenBy(const v1::Message& message, int64_t contact_id) {
  return message.author().kind() == v1::Actor::CONTACT && message.author().id() == contact_id;
}

}  // namespace helpdesk::internal
