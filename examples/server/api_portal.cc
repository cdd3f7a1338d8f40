// The customer portal's ways in: a magic link asked for by e-mail address
// (mailed through the desk's outbox; the answer never tells whether the
// address is known), the exchange of a magic link for a customer session
// (signed, unexpired, used once), and the read-only tracking page of a
// ticket's tracking link (Desk::tracking()).
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "helpdesk/names.h"
#include "helpdesk/store.h"
#include "serve_api.pb.h"
#include "server_internal.h"

namespace helpdesk::serve {
namespace {

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t s = absl::ToUnixSeconds(t);
  ts.set_seconds(s);
  ts.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
  return ts;
}

// Writes the sign-in mail for `contact` to the outbox (delivered by the
// runner's dispatch like every other mail of the desk).
absl::Status MailMagicLink(Desk& desk, const v1::Contact& contact, const std::string& email,
                           const std::string& url, absl::Time expires, absl::Time now) {
  const DeskOptions& o = desk.options();
  v1::OutboxEntry entry;
  entry.set_state(v1::OutboxEntry::PENDING);
  *entry.mutable_created_at() = Ts(now);
  *entry.mutable_next_attempt_at() = Ts(now);
  v1::OutboundMessage* m = entry.mutable_message();
  m->set_channel(v1::CHANNEL_EMAIL);
  m->set_automatic(true);
  std::string from = o.ingest.desk_email;
  if (from.empty()) {
    for (const auto& a : o.ingest.desk_addresses) {
      if (from.empty() || a.is_default) from = a.email;
    }
  }
  m->mutable_from()->set_email(from);
  m->mutable_from()->set_name(o.ingest.desk_name);
  const std::string domain =
      from.find('@') == std::string::npos ? "localhost" : from.substr(from.find('@') + 1);
  m->set_idempotency_key(absl::StrCat("magic-", RandomHex(16), "@", domain));
  v1::Party* to = m->add_to();
  to->set_email(email);
  to->set_name(contact.name());
  m->set_subject("Your sign-in link");
  m->set_body_text(absl::StrCat(
      "Hello ", contact.name(), ",\n\nOpen this link to see your requests:\n\n", url,
      "\n\nIt works once, until ",
      absl::FormatTime("%Y-%m-%d %H:%M UTC", expires, absl::UTCTimeZone()),
      ". If you did not ask for it, ignore this e-mail.\n"));
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                            o.store->Begin(TransactionMode::kReadWrite));
  HELPDESK_RETURN_IF_ERROR(tx->InsertOutbox(&entry));
  return tx->Commit();
}

}  // namespace

bool ApiServer::MayMailMagicLink(const std::string& email, absl::Time now) {
  const absl::Time since = now - options_.magic_link_window;
  absl::MutexLock lock(&mail_mu_);
  for (auto it = mailed_.begin(); it != mailed_.end();) {
    std::erase_if(it->second, [&](absl::Time t) { return t <= since; });
    it = it->second.empty() ? mailed_.erase(it) : std::next(it);
  }
  std::vector<absl::Time>& times = mailed_[Sha256Hex(absl::AsciiStrToLower(email))];
  if (static_cast<int>(times.size()) >= options_.magic_link_max_mails) return false;
  times.push_back(now);
  return true;
}

absl::StatusOr<ApiServer::Reply> ApiServer::RequestMagicLink(Call& c) {
  api::MagicLinkRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  const std::string email(absl::StripAsciiWhitespace(in.email()));
  if (email.empty() || email.size() > 320 || !absl::StrContains(email, '@')) {
    return absl::InvalidArgumentError(
        absl::StrCat("email: '", email.substr(0, 320), "' is not an e-mail address"));
  }
  // Whether or not the address is known, the answer is the same (no account
  // enumeration); only a known, unblocked contact gets mail, and not more
  // than magic_link_max_mails per window (no mail bombing).
  absl::StatusOr<v1::Contact> contact =
      options_.desk->people().FindContactByEmail(SystemActor(), email);
  if (contact.ok() && !contact->blocked() && MayMailMagicLink(email, c.now)) {
    const absl::Time expires = c.now + options_.magic_link_ttl;
    const std::string token = SignMagicLink(options_.magic_link_secret, contact->id(), expires);
    const std::string url = absl::StrCat(options_.public_url, "/portal/#token=", token);
    absl::Status sent = MailMagicLink(*options_.desk, *contact, email, url, expires, c.now);
    // A store failure is the server's, and says nothing about the address.
    if (!sent.ok()) return absl::UnavailableError("magic link: the outbox is unavailable");
  } else if (!contact.ok() && contact.status().code() != absl::StatusCode::kNotFound) {
    return absl::UnavailableError("magic link: the outbox is unavailable");
  }
  api::MagicLinkSent out;
  out.set_status("If the address belongs to a customer, a sign-in link is on its way.");
  return JsonReply(out, 202);
}

absl::StatusOr<ApiServer::Reply> ApiServer::CustomerSession(Call& c) {
  api::CustomerSessionRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  HELPDESK_ASSIGN_OR_RETURN(VerifiedMagicLink link,
                            VerifyMagicLink(options_.magic_link_secret, in.token(), c.now));
  const v1::Actor actor = ContactActor(link.contact_id);
  // The contact must exist (the desk refuses unknown contacts).
  absl::Status exists = options_.desk->people().GetContact(actor, link.contact_id).status();
  if (!exists.ok()) return absl::UnauthenticatedError("token: no such customer");
  HELPDESK_RETURN_IF_ERROR(options_.credentials->ConsumeMagicLink(in.token(), link.expires, c.now));
  std::string id = sessions_.Create(actor, c.now);
  c.session_id = id;
  c.actor = actor;
  HELPDESK_ASSIGN_OR_RETURN(Reply r, GetSession(c));
  r.headers.emplace_back("Set-Cookie", SessionCookie(id, options_.session_ttl,
                                                     options_.secure_cookies));
  return r;
}

absl::StatusOr<ApiServer::Reply> ApiServer::Track(Call& c) {
  api::TrackingRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  HELPDESK_ASSIGN_OR_RETURN(TrackedTicket t, options_.desk->tracking().Track(in.token()));
  api::TrackedTicket out;
  out.set_ticket_id(t.ticket_id);
  out.set_subject(t.subject);
  out.set_status(t.status);
  out.set_status_category(t.status_category);
  *out.mutable_created_at() = Ts(t.created_at);
  *out.mutable_updated_at() = Ts(t.updated_at);
  for (const TrackedMessage& m : t.messages) {
    api::TrackedMessage* o = out.add_messages();
    o->set_id(m.id);
    o->set_kind(m.kind);
    o->set_body_text(m.body_text);
    o->set_body_html(m.body_html);
    for (const v1::Attachment& a : m.attachments) *o->add_attachments() = a;
    *o->mutable_created_at() = Ts(m.created_at);
  }
  return JsonReply(out);
}

}  // namespace helpdesk::serve
