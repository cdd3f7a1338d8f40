// Messages to customers on every channel: the outbox entries of agents'
// public replies, acknowledgements and other automatic messages, addressed
// for the ticket's channel.
#include "desk/desk_impl.h"

namespace helpdesk {

std::optional<std::string> DeskCore::EmailOf(const v1::Contact& c) {
  for (const v1::ContactIdentity& id : c.identities()) {
    if (id.kind() == v1::ContactIdentity::EMAIL && !id.bouncing()) return id.value();
  }
  return std::nullopt;
}

std::optional<std::string> DeskCore::IdentityOf(const v1::Contact& c,
                                                v1::ContactIdentity::Kind kind) {
  if (kind == v1::ContactIdentity::EMAIL) return EmailOf(c);
  for (const v1::ContactIdentity& id : c.identities()) {
    if (id.kind() == kind && !id.value().empty()) return id.value();
  }
  return std::nullopt;
}

absl::Status DeskCore::InitDeskAddresses() {
  const IngestOptions& io = options_.ingest;
  desk_addresses_.clear();
  desk_address_set_.clear();
  std::optional<size_t> chosen_default;
  for (size_t i = 0; i < io.desk_addresses.size(); ++i) {
    const DeskAddress& d = io.desk_addresses[i];
    const std::string field = absl::StrCat("ingest.desk_addresses[", i, "].email");
    HELPDESK_ASSIGN_OR_RETURN(std::string email, internal::NormalizeEmail(field, d.email));
    if (desk_address_set_.contains(email)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", Quote(email), " is listed twice"));
    }
    if (d.is_default) {
      if (chosen_default) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ingest.desk_addresses[", i, "].is_default: ", Quote(email),
            " and ", Quote(desk_addresses_[*chosen_default].email),
            " are both the default"));
      }
      chosen_default = desk_addresses_.size();
    }
    desk_address_set_.insert(email);
    desk_addresses_.push_back({.email = email,
                               .name = d.name.empty() ? io.desk_name : d.name,
                               .group_ids = d.group_ids,
                               .brand = absl::AsciiStrToLower(d.brand)});
  }
  if (!io.desk_email.empty()) {
    // A desk_email the parser refuses is still used as given, as before.
    std::string email =
        desk_email_.empty() ? absl::AsciiStrToLower(io.desk_email) : desk_email_;
    if (!desk_address_set_.contains(email)) {
      desk_address_set_.insert(email);
      desk_addresses_.push_back({.email = email, .name = io.desk_name});
    }
    if (!chosen_default) {
      for (size_t i = 0; i < desk_addresses_.size(); ++i) {
        if (desk_addresses_[i].email == email) chosen_default = i;
      }
    }
  }
  default_address_ = chosen_default.value_or(0);
  return absl::OkStatus();
}

std::string DeskCore::DeskAddressOf(const v1::InboundMessage& m) const {
  if (desk_address_set_.empty()) return "";
  for (const auto* parties : {&m.to(), &m.cc()}) {
    for (const v1::Party& p : *parties) {
      if (p.email().empty()) continue;
      absl::StatusOr<std::string> email = internal::NormalizeEmail("to", p.email());
      if (email.ok() && IsDeskAddress(*email)) return *email;
    }
  }
  return "";
}

const DeskCore::SenderAddress* DeskCore::SenderFor(const v1::Ticket& t) const {
  if (desk_addresses_.empty()) return nullptr;
  if (t.group_id() != 0) {
    for (const SenderAddress& a : desk_addresses_) {
      if (std::find(a.group_ids.begin(), a.group_ids.end(), t.group_id()) !=
          a.group_ids.end()) {
        return &a;
      }
    }
  }
  if (!t.desk_address().empty()) {
    for (const SenderAddress& a : desk_addresses_) {
      if (a.email == t.desk_address()) return &a;
    }
  }
  const std::string& brand_field = options_.ingest.brand_field;
  if (!brand_field.empty()) {
    auto it = t.custom_fields().find(brand_field);
    if (it != t.custom_fields().end() && !it->second.text().empty()) {
      const std::string brand = absl::AsciiStrToLower(it->second.text());
      for (const SenderAddress& a : desk_addresses_) {
        if (!a.brand.empty() && a.brand == brand) return &a;
      }
    }
  }
  return &desk_addresses_[default_address_];
}

namespace {

std::string ReplySubject(const v1::Ticket& t, const std::string& subject) {
  if (!subject.empty()) return subject;
  return absl::StartsWith(t.subject(), "Re: ") ? t.subject()
                                               : absl::StrCat("Re: ", t.subject());
}

std::string KeyOf(const v1::Ticket& t, const v1::Message& m, absl::string_view purpose) {
  std::string key = absl::StrCat("helpdesk.ticket", t.id(), ".message", m.id());
  if (!purpose.empty()) absl::StrAppend(&key, ".", purpose);
  return key;
}

// Where a reply on `channel` goes for `requester` on ticket `t`; empty when
// there is nowhere.
std::string DestinationOf(v1::Channel channel, const v1::Ticket& t,
                          const v1::Contact& requester) {
  auto identity = [&](v1::ContactIdentity::Kind kind) {
    return DeskCore::IdentityOf(requester, kind).value_or("");
  };
  switch (channel) {
    case v1::CHANNEL_CHAT:
      if (!t.conversation_id().empty()) return t.conversation_id();
      return identity(v1::ContactIdentity::CHAT);
    case v1::CHANNEL_WEB_FORM: {
      std::string email = identity(v1::ContactIdentity::EMAIL);
      return email.empty() ? identity(v1::ContactIdentity::PHONE) : email;
    }
    case v1::CHANNEL_PHONE:
      return identity(v1::ContactIdentity::PHONE);
    default:
      return t.conversation_id();
  }
}

}  // namespace

absl::Status DeskCore::EnqueueReply(Transaction& tx, const v1::Ticket& t,
                                    const v1::Message& m, const RenderedParts& parts,
                                    bool automatic, absl::Time now,
                                    const v1::Contact* stored_requester,
                                    const std::vector<std::string>* email_thread) {
  if (m.kind() == v1::Message::INTERNAL_NOTE) return absl::OkStatus();
  const IngestOptions& io = options_.ingest;
  const bool email = t.channel() == v1::CHANNEL_EMAIL;
  const SenderAddress* sender_address = SenderFor(t);
  if (email) {
    if (sender_address == nullptr || (!automatic && !io.email_public_replies)) {
      return absl::OkStatus();
    }
  } else if (!io.reply_channels.contains(t.channel())) {
    return absl::OkStatus();
  }
  std::optional<v1::Contact> read;
  if (stored_requester == nullptr || stored_requester->id() != t.requester_id()) {
    HELPDESK_ASSIGN_OR_RETURN(read, tx.GetContact(t.requester_id()));
  }
  const v1::Contact& requester = read ? *read : *stored_requester;
  v1::OutboxEntry entry;
  entry.set_state(v1::OutboxEntry::PENDING);
  *entry.mutable_created_at() = ToTimestamp(now);
  *entry.mutable_next_attempt_at() = ToTimestamp(now);
  v1::OutboundMessage* out = entry.mutable_message();
  out->set_channel(t.channel());
  out->set_ticket_id(t.id());
  out->set_message_id(m.id());
  if (sender_address != nullptr) {
    out->mutable_from()->set_email(sender_address->email);
    out->mutable_from()->set_name(sender_address->name);
  } else {
    out->mutable_from()->set_name(io.desk_name);
  }
  out->set_subject(ReplySubject(t, parts.subject));
  out->set_body_text(parts.text);
  out->set_body_html(parts.html);
  out->set_automatic(automatic);
  v1::ThreadingKeys* th = out->mutable_threading();
  th->set_ticket_token(t.id());

  if (!email) {
    const std::string destination = DestinationOf(t.channel(), t, requester);
    if (destination.empty()) return absl::OkStatus();  // nowhere to write to
    out->set_destination(destination);
    out->set_idempotency_key(KeyOf(t, m, parts.purpose));
    v1::Party* rcpt = out->add_to();
    rcpt->set_name(requester.name());
    rcpt->set_email(IdentityOf(requester, v1::ContactIdentity::EMAIL).value_or(""));
    rcpt->set_phone(IdentityOf(requester, v1::ContactIdentity::PHONE).value_or(""));
    rcpt->set_chat_handle(IdentityOf(requester, v1::ContactIdentity::CHAT).value_or(""));
    th->set_chat_session_id(t.conversation_id());
    // The customer's latest message on the channel, for channels that quote.
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> thread, tx.ListMessages(t.id()));
    for (const v1::Message& earlier : thread) {
      if (earlier.external_id().empty() || earlier.channel() != t.channel()) continue;
      th->set_in_reply_to(earlier.external_id());
    }
    return tx.InsertOutbox(&entry);
  }

  std::optional<std::string> to = EmailOf(requester);
  if (!to) return absl::OkStatus();  // nobody to write to: nothing to send
  const std::string& sender = out->from().email();
  const std::string domain = sender.substr(sender.find('@') + 1);
  out->set_idempotency_key(absl::StrCat(KeyOf(t, m, parts.purpose), "@", domain));
  v1::Party* rcpt = out->add_to();
  rcpt->set_email(*to);
  rcpt->set_name(requester.name());
  if (!automatic) {
    for (int64_t cc : t.cc_contact_ids()) {
      absl::StatusOr<v1::Contact> c = tx.GetContact(cc);
      if (!c.ok()) continue;
      if (std::optional<std::string> cc_email = EmailOf(*c)) {
        v1::Party* p = out->add_cc();
        p->set_email(*cc_email);
        p->set_name(c->name());
      }
    }
  }
  th->set_message_id(out->idempotency_key());
  auto refer_to = [th](const std::string& external_id) {
    th->add_references(external_id);
    th->set_in_reply_to(external_id);
  };
  if (email_thread != nullptr) {
    for (const std::string& external_id : *email_thread) refer_to(external_id);
  } else {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> thread, tx.ListMessages(t.id()));
    for (const v1::Message& earlier : thread) {
      if (earlier.external_id().empty()) continue;
      if (earlier.channel() != v1::CHANNEL_EMAIL) continue;
      refer_to(earlier.external_id());
    }
  }
  HELPDESK_RETURN_IF_ERROR(tx.InsertOutbox(&entry));
  HELPDESK_RETURN_IF_ERROR(RememberAddressed(tx, t.id(), {&out->to(), &out->cc()}));
  return tx.PutThreadKey(absl::StrCat("msgid:", out->idempotency_key()), t.id());
}

absl::StatusOr<int> DeskCore::EnqueueAgentNotification(
    Transaction& tx, const v1::Ticket& t, const std::vector<int64_t>& agent_ids,
    const v1::Actor& actor, const RenderedParts& parts, absl::Time now) {
  const SenderAddress* sender = SenderFor(t);
  if (sender == nullptr) return 0;
  const std::string domain = sender->email.substr(sender->email.find('@') + 1);
  const std::string subject =
      parts.subject.empty() ? absl::StrCat("[#", t.id(), "] ", t.subject()) : parts.subject;
  const std::string content = internal::Sha256Hex(
      absl::StrCat(parts.purpose, "\n", subject, "\n", parts.text, "\n", parts.html))
                                  .substr(0, 16);
  std::set<int64_t> done;
  int written = 0;
  for (int64_t id : agent_ids) {
    if (!done.insert(id).second) continue;
    if (actor.kind() == v1::Actor::AGENT && actor.id() == id) continue;
    HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, GetAgentNamed(tx, "agent_ids", id));
    if (agent.deactivated() || agent.email().empty()) continue;
    v1::OutboxEntry entry;
    entry.set_state(v1::OutboxEntry::PENDING);
    *entry.mutable_created_at() = ToTimestamp(now);
    *entry.mutable_next_attempt_at() = ToTimestamp(now);
    v1::OutboundMessage* out = entry.mutable_message();
    out->set_channel(v1::CHANNEL_EMAIL);
    out->set_ticket_id(t.id());
    out->set_idempotency_key(absl::StrCat("helpdesk.ticket", t.id(), ".v", t.version(),
                                          ".notify", content, ".agent", id, "@", domain));
    out->mutable_from()->set_email(sender->email);
    out->mutable_from()->set_name(sender->name);
    v1::Party* to = out->add_to();
    to->set_email(agent.email());
    to->set_name(agent.name());
    out->set_subject(subject);
    out->set_body_text(parts.text);
    out->set_body_html(parts.html);
    out->set_automatic(true);
    out->mutable_threading()->set_message_id(out->idempotency_key());
    out->mutable_threading()->set_ticket_token(t.id());
    HELPDESK_RETURN_IF_ERROR(tx.InsertOutbox(&entry));
    ++written;
  }
  return written;
}

}  // namespace helpdesk
