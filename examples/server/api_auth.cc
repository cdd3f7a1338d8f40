// Login, sessions, API tokens, passwords, magic links and /health.
#include "absl/strings/ascii.h"
#include "helpdesk/names.h"
#include "serve_api.pb.h"
#include "server_internal.h"

namespace helpdesk::serve {
namespace {

// The acting agent's own record (through the desk: an unknown or deactivated
// agent is refused there). Errors: PermissionDenied for a customer.
absl::StatusOr<v1::Agent> Self(Desk& desk, const v1::Actor& who) {
  if (who.kind() != v1::Actor::AGENT) {
    return absl::PermissionDeniedError("only agents may do this");
  }
  return desk.people().GetAgent(who, who.id());
}

}  // namespace

absl::StatusOr<ApiServer::Reply> ApiServer::Health(Call&) {
  api::Health h;
  h.set_status("ok");
  h.set_store(std::string(options_.desk->options().store->Name()));
  if (options_.runner_steps) h.set_runner_steps(options_.runner_steps());
  return JsonReply(h);
}

absl::StatusOr<ApiServer::Reply> ApiServer::Login(Call& c) {
  api::LoginRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  if (in.email().empty()) return absl::InvalidArgumentError("email: must not be empty");
  // Authentication precedes any actor, so the system looks the agent up.
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> agents,
                            options_.desk->people().ListAgents(SystemActor()));
  const std::string email = absl::AsciiStrToLower(in.email());
  int64_t agent_id = 0;
  for (const v1::Agent& a : agents) {
    if (!a.deactivated() && absl::AsciiStrToLower(a.email()) == email) agent_id = a.id();
  }
  // The same answer for an unknown address and a wrong password.
  // An unknown address costs a hash check too (agent 0 has no password).
  absl::Status ok = options_.credentials->CheckPassword(agent_id, in.password());
  HELPDESK_RETURN_IF_ERROR(ok);
  const v1::Actor actor = AgentActor(agent_id);
  std::string id = sessions_.Create(actor, c.now);
  c.session_id = id;
  c.actor = actor;
  HELPDESK_ASSIGN_OR_RETURN(Reply r, GetSession(c));
  r.headers.emplace_back("Set-Cookie",
                         SessionCookie(id, options_.session_ttl, options_.secure_cookies));
  return r;
}

absl::StatusOr<ApiServer::Reply> ApiServer::Logout(Call& c) {
  Reply r;
  if (!c.session_id.empty()) sessions_.Remove(c.session_id);
  r.headers.emplace_back("Set-Cookie", absl::StrCat("hd_session=; Path=/; HttpOnly; "
                                                    "SameSite=Strict; Max-Age=0",
                                                    options_.secure_cookies ? "; Secure" : ""));
  return r;
}

absl::StatusOr<ApiServer::Reply> ApiServer::GetSession(Call& c) {
  api::SessionResponse out;
  if (c.who().kind() == v1::Actor::AGENT) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Agent a,
                              options_.desk->people().GetAgent(c.who(), c.who().id()));
    out.set_kind("agent");
    out.set_agent_id(a.id());
    out.set_name(a.name());
    out.set_role(v1::Agent::Role_Name(a.role()));
  } else if (c.who().kind() == v1::Actor::CONTACT) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Contact ct,
                              options_.desk->people().GetContact(c.who(), c.who().id()));
    out.set_kind("customer");
    out.set_contact_id(ct.id());
    out.set_name(ct.name());
  } else {
    return absl::PermissionDeniedError("session: not an agent or a customer");
  }
  if (!c.session_id.empty()) {
    if (std::optional<Session> s = sessions_.Find(c.session_id, c.now)) {
      out.set_csrf_token(s->csrf_token);
    }
  }
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::CreateToken(Call& c) {
  api::TokenRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  HELPDESK_ASSIGN_OR_RETURN(v1::Agent self, Self(*options_.desk, c.who()));
  api::TokenResponse out;
  HELPDESK_ASSIGN_OR_RETURN(*out.mutable_token(),
                            options_.credentials->CreateToken(self.id(), in.name(), c.now));
  return JsonReply(out, 201);
}

absl::StatusOr<ApiServer::Reply> ApiServer::SetPassword(Call& c) {
  api::PasswordRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  HELPDESK_ASSIGN_OR_RETURN(v1::Agent self, Self(*options_.desk, c.who()));
  if (self.id() != c.id) {
    if (self.role() != v1::Agent::ADMIN) {
      return absl::PermissionDeniedError(
          absl::StrCat("agent ", c.id, ": only the agent or an admin sets a password"));
    }
    HELPDESK_RETURN_IF_ERROR(options_.desk->people().GetAgent(c.who(), c.id).status());
  }
  HELPDESK_RETURN_IF_ERROR(options_.credentials->SetPassword(c.id, in.password()));
  return Reply{.status = 204, .body = "{}"};
}

absl::StatusOr<ApiServer::Reply> ApiServer::MagicLink(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Agent self, Self(*options_.desk, c.who()));
  if (self.role() == v1::Agent::LIGHT_AGENT) {
    return absl::PermissionDeniedError("light agents do not sign customers in");
  }
  // The desk decides whether this agent may see the contact.
  HELPDESK_RETURN_IF_ERROR(options_.desk->people().GetContact(c.who(), c.id).status());
  const absl::Time expires = c.now + options_.magic_link_ttl;
  api::MagicLinkResponse out;
  out.set_token(SignMagicLink(options_.magic_link_secret, c.id, expires));
  out.set_url(absl::StrCat(options_.public_url, "/portal/#token=", out.token()));
  out.mutable_expires_at()->set_seconds(absl::ToUnixSeconds(expires));
  return JsonReply(out, 201);
}

}  // namespace helpdesk::serve
