// ApiServer: routing, authentication, CSRF, errors, security headers, logs
// and static files. The handlers are in api_*.cc.
#include "server.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "helpdesk/channels/web_form.h"
#include "helpdesk/names.h"
#include "serve_api.pb.h"
#include "server_internal.h"

namespace helpdesk::serve {

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 413;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

std::string ErrorJson(const absl::Status& s) {
  api::ErrorResponse e;
  e.set_error(std::string(s.message()));
  e.set_code(absl::StatusCodeToString(s.code()));
  return ToJson(e);
}

namespace {

std::string JsonEscape(absl::string_view s) {
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += absl::StrCat("\\u00", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += ch;
    }
  }
  return out;
}

std::string ActorName(const std::optional<v1::Actor>& a) {
  if (!a) return "anonymous";
  switch (a->kind()) {
    case v1::Actor::AGENT: return absl::StrCat("agent:", a->id());
    case v1::Actor::CONTACT: return absl::StrCat("contact:", a->id());
    default: return "system";
  }
}

std::string CookieValue(const httplib::Request& req, absl::string_view name) {
  for (auto it = req.headers.find("Cookie"); it != req.headers.end() && it->first == "Cookie";
       ++it) {
    for (absl::string_view part : absl::StrSplit(it->second, ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
        return std::string(part);
      }
    }
  }
  return "";
}

bool Unsafe(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

void SetSecurityHeaders(httplib::Response& res, bool tls) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                 "form-action 'self'; object-src 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000");
}

}  // namespace

struct ApiServer::Route {
  RouteInfo info;
  Handler handler;
  std::string regex;  // httplib's pattern
};

const std::vector<ApiServer::Route>& ApiServer::RouteTable() {
  static const std::vector<Route>* const table = [] {
    auto* t = new std::vector<Route>{
        {{"GET", "/health", "anonymous"}, &ApiServer::Health, ""},
        {{"POST", "/api/v1/login", "anonymous"}, &ApiServer::Login, ""},
        {{"POST", "/api/v1/logout", "authenticated"}, &ApiServer::Logout, ""},
        {{"GET", "/api/v1/session", "authenticated"}, &ApiServer::GetSession, ""},
        {{"POST", "/api/v1/customer/session", "anonymous"}, &ApiServer::CustomerSession, ""},
        {{"POST", "/api/v1/tokens", "authenticated"}, &ApiServer::CreateToken, ""},
        {{"PUT", "/api/v1/agents/{id}/password", "authenticated"}, &ApiServer::SetPassword, ""},
        {{"POST", "/api/v1/contacts/{id}/magic-link", "authenticated"}, &ApiServer::MagicLink,
         ""},
        {{"GET", "/api/v1/tickets", "authenticated"}, &ApiServer::ListTickets, ""},
        {{"POST", "/api/v1/tickets", "authenticated"}, &ApiServer::CreateTicket, ""},
        {{"GET", "/api/v1/tickets/{id}", "authenticated"}, &ApiServer::GetTicket, ""},
        {{"PATCH", "/api/v1/tickets/{id}", "authenticated"}, &ApiServer::UpdateTicket, ""},
        {{"POST", "/api/v1/tickets/{id}/messages", "authenticated"}, &ApiServer::AddReply, ""},
        {{"POST", "/api/v1/tickets/{id}/notes", "authenticated"}, &ApiServer::AddNote, ""},
        {{"GET", "/api/v1/tickets/{id}/events", "authenticated"}, &ApiServer::TicketEvents, ""},
        {{"GET", "/api/v1/tickets/{id}/sla", "authenticated"}, &ApiServer::TicketSla, ""},
        {{"POST", "/api/v1/tickets/{id}/accept", "authenticated"}, &ApiServer::Accept, ""},
        {{"POST", "/api/v1/tickets/{id}/decline", "authenticated"}, &ApiServer::Decline, ""},
        {{"POST", "/api/v1/routing/next", "authenticated"}, &ApiServer::NextTicket, ""},
        {{"GET", "/api/v1/routing/state", "authenticated"}, &ApiServer::RoutingStateOf, ""},
        {{"GET", "/api/v1/agents", "authenticated"}, &ApiServer::ListAgents, ""},
        {{"PUT", "/api/v1/agents/{id}/presence", "authenticated"}, &ApiServer::SetPresence, ""},
        {{"GET", "/api/v1/groups", "authenticated"}, &ApiServer::ListGroups, ""},
        {{"POST", "/api/v1/channels/web-form", "anonymous"}, &ApiServer::WebForm, ""},
        {{"POST", "/api/v1/channels/chat", "anonymous"}, &ApiServer::Chat, ""},
        {{"POST", "/api/v1/channels/webhook", "signed"}, &ApiServer::Webhook, ""},
        // The customer portal: magic links by e-mail, tracking links.
        {{"POST", "/api/v1/customer/magic-link", "anonymous"}, &ApiServer::RequestMagicLink,
         ""},
        {{"POST", "/api/v1/tracking", "anonymous"}, &ApiServer::Track, ""},
        // The knowledge base (anonymous readers see public articles).
        {{"GET", "/api/v1/kb/search", "anonymous"}, &ApiServer::KbSearch, ""},
        {{"GET", "/api/v1/kb/articles/{id}", "anonymous"}, &ApiServer::KbGetArticle, ""},
        {{"POST", "/api/v1/kb/suggest", "anonymous"}, &ApiServer::KbSuggest, ""},
        {{"POST", "/api/v1/kb/suggestions/{id}/outcome", "anonymous"}, &ApiServer::KbOutcome,
         ""},
        {{"POST", "/api/v1/tickets/{id}/faq-draft", "authenticated"}, &ApiServer::FaqDraft, ""},
        // Saved views (agents' personal views and admins' shared ones).
        {{"GET", "/api/v1/views", "authenticated"}, &ApiServer::ListViews, ""},
        {{"POST", "/api/v1/views", "authenticated"}, &ApiServer::CreateView, ""},
        {{"GET", "/api/v1/views/{id}/tickets", "authenticated"}, &ApiServer::RunView, ""},
        {{"DELETE", "/api/v1/views/{id}", "authenticated"}, &ApiServer::DeleteView, ""},
    };
    for (Route& r : *t) {
      std::string re = r.info.path;
      size_t at = re.find("{id}");
      if (at != std::string::npos) re.replace(at, 4, "(\\d{1,18})");
      r.regex = re;
    }
    return t;
  }();
  return *table;
}

std::vector<RouteInfo> ApiServer::Routes() {
  std::vector<RouteInfo> out;
  for (const Route& r : RouteTable()) out.push_back(r.info);
  return out;
}

ApiServer::ApiServer(ServerOptions options)
    : options_(std::move(options)),
      sessions_(options_.session_ttl),
      web_form_(NewWebFormInbound({.max_body_bytes = options_.max_body_bytes})),
      chat_(NewChatInbound()) {}

ApiServer::~ApiServer() = default;

absl::StatusOr<std::optional<v1::Actor>> ApiServer::Authenticate(const httplib::Request& req,
                                                                 bool* by_cookie,
                                                                 std::string* session_id) {
  *by_cookie = false;
  std::string auth = req.get_header_value("Authorization");
  if (!auth.empty()) {
    absl::string_view v = auth;
    if (!absl::ConsumePrefix(&v, "Bearer ")) {
      return absl::UnauthenticatedError("Authorization: only 'Bearer <token>' is accepted");
    }
    absl::StatusOr<int64_t> agent = options_.credentials->AgentForToken(v);
    if (!agent.ok()) return agent.status();
    return std::optional<v1::Actor>(AgentActor(*agent));
  }
  std::string cookie = CookieValue(req, "hd_session");
  if (!cookie.empty()) {
    std::optional<Session> s = sessions_.Find(cookie, options_.clock->Now());
    if (!s) return absl::UnauthenticatedError("hd_session: the session expired or is unknown");
    *by_cookie = true;
    *session_id = cookie;
    return std::optional<v1::Actor>(s->actor);
  }
  if (options_.customer_auth) {
    if (std::optional<v1::Actor> a = options_.customer_auth(req)) {
      return std::optional<v1::Actor>(*a);
    }
  }
  return std::optional<v1::Actor>();
}

void ApiServer::Dispatch(const Route& route, const httplib::Request& req,
                         httplib::Response& res) {
  const auto started = std::chrono::steady_clock::now();
  Call call{.req = req, .res = res, .now = options_.clock->Now()};
  absl::StatusOr<Reply> reply = [&]() -> absl::StatusOr<Reply> {
    if (Unsafe(req.method) && !req.body.empty()) {
      std::string type = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
      absl::string_view media = absl::StripAsciiWhitespace(
          absl::string_view(type).substr(0, type.find(';')));
      if (media != "application/json") {
        return absl::Status(absl::StatusCode::kInvalidArgument,
                            absl::StrCat("Content-Type: '", type.empty() ? "(none)" : type,
                                         "' is not application/json"));
      }
    }
    bool by_cookie = false;
    absl::StatusOr<std::optional<v1::Actor>> who = Authenticate(req, &by_cookie, &call.session_id);
    if (!who.ok()) return who.status();
    call.actor = *who;
    if (route.info.auth == "authenticated" && !call.actor) {
      return absl::UnauthenticatedError(
          "authentication required: an API token, a session cookie or a magic link");
    }
    if (by_cookie && Unsafe(req.method)) {
      std::optional<Session> s = sessions_.Find(call.session_id, call.now);
      std::string sent = req.get_header_value("X-CSRF-Token");
      if (sent.empty()) return absl::PermissionDeniedError("X-CSRF-Token: missing");
      if (!s || !ConstantTimeEquals(sent, s->csrf_token)) {
        return absl::PermissionDeniedError("X-CSRF-Token: does not match the session");
      }
    }
    if (req.matches.size() > 1 && !absl::SimpleAtoi(req.matches[1].str(), &call.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("path: '", req.matches[1].str(), "' is not an id"));
    }
    return (this->*route.handler)(call);
  }();
  if (reply.ok()) {
    res.status = reply->status;
    for (const auto& [k, v] : reply->headers) res.set_header(k, v);
    res.set_content(reply->body.empty() ? "{}" : reply->body, "application/json");
  } else {
    absl::Status s = reply.status();
    // A status the library raises for size limits (ResourceExhausted) is the
    // client's too large body; Content-Type problems are 415.
    int http = HttpStatusOf(s.code());
    if (absl::StartsWith(s.message(), "Content-Type:")) http = 415;
    res.status = http;
    if (http == 401) res.set_header("WWW-Authenticate", "Bearer");
    res.set_content(ErrorJson(s), "application/json");
  }
  res.set_header("Cache-Control", "no-store");
  if (options_.log) {
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    options_.log(absl::StrCat(
        "{\"ts\":\"", absl::FormatTime(absl::RFC3339_full, call.now, absl::UTCTimeZone()),
        "\",\"level\":\"", res.status >= 500 ? "error" : "info", "\",\"method\":\"",
        JsonEscape(req.method), "\",\"path\":\"", JsonEscape(req.path), "\",\"status\":",
        res.status, ",\"ms\":", absl::StrFormat("%.3f", ms), ",\"actor\":\"",
        ActorName(call.actor), "\"}"));
  }
}

bool ApiServer::FirstSighting(const std::string& signature, absl::Time now) {
  absl::MutexLock lock(&replay_mu_);
  for (auto it = seen_signatures_.begin(); it != seen_signatures_.end();) {
    it = it->second < now - 2 * options_.webhook_max_skew ? seen_signatures_.erase(it)
                                                            : std::next(it);
  }
  return seen_signatures_.emplace(signature, now).second;
}

namespace {

const char* MediaTypeOf(absl::string_view path) {
  if (absl::EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(path, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(path, ".json")) return "application/json";
  if (absl::EndsWith(path, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(path, ".png")) return "image/png";
  return "application/octet-stream";
}

void SendError(httplib::Response& res, const absl::Status& s) {
  res.status = HttpStatusOf(s.code());
  res.set_content(ErrorJson(s), "application/json");
}

}  // namespace

void ApiServer::ServeStatic(const httplib::Request& req, httplib::Response& res) {
  namespace fs = std::filesystem;
  std::string rel = req.path;
  // Refuse any path that climbs, whatever its spelling after decoding.
  for (absl::string_view seg : absl::StrSplit(rel, absl::ByAnyChar("/\\"))) {
    if (seg == ".." || seg == ".") {
      SendError(res, absl::InvalidArgumentError(
                         absl::StrCat("path: '", rel, "' climbs out of the web root")));
      return;
    }
  }
  if (rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos) {
    SendError(res, absl::InvalidArgumentError("path: contains a NUL or a backslash"));
    return;
  }
  if (absl::EndsWith(rel, "/")) rel += "index.html";
  std::error_code ec;
  const fs::path root = fs::canonical(options_.web_root, ec);
  if (ec) {
    SendError(res, absl::NotFoundError(absl::StrCat("path: '", req.path, "' not found")));
    return;
  }
  const fs::path file = fs::weakly_canonical(root / fs::path(rel).relative_path(), ec);
  const std::string f = file.string();
  if (ec || !absl::StartsWith(f, root.string() + "/")) {
    SendError(res, absl::InvalidArgumentError(
                       absl::StrCat("path: '", req.path, "' is outside the web root")));
    return;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in || fs::is_directory(file)) {
    SendError(res, absl::NotFoundError(absl::StrCat("path: '", req.path, "' not found")));
    return;
  }
  std::ostringstream body;
  body << in.rdbuf();
  res.set_content(body.str(), MediaTypeOf(f));
  res.set_header("Cache-Control", "no-cache");
}

void ApiServer::Install(httplib::Server& http) {
  http.set_payload_max_length(options_.max_body_bytes);
  // Small JSON answers: no Nagle delay waiting for the client's ACK.
  http.set_tcp_nodelay(true);
  for (const Route& r : RouteTable()) {
    auto h = [this, &r](const httplib::Request& req, httplib::Response& res) {
      Dispatch(r, req, res);
    };
    if (r.info.method == "GET") http.Get(r.regex, h);
    if (r.info.method == "POST") http.Post(r.regex, h);
    if (r.info.method == "PUT") http.Put(r.regex, h);
    if (r.info.method == "PATCH") http.Patch(r.regex, h);
    if (r.info.method == "DELETE") http.Delete(r.regex, h);
  }
  if (!options_.web_root.empty()) {
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/agent/");
    });
    http.Get("/(agent|portal)(/.*)?", [this](const httplib::Request& req,
                                             httplib::Response& res) {
      ServeStatic(req, res);
    });
  }
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    absl::Status s;
    switch (res.status) {
      case 413:
        s = absl::ResourceExhaustedError("body: larger than the server's limit");
        break;
      case 404:
        s = absl::NotFoundError(absl::StrCat("path: no route ", req.method, " ", req.path));
        break;
      case 400:
        s = absl::InvalidArgumentError("request: malformed HTTP");
        break;
      default:
        s = absl::UnknownError(absl::StrCat("HTTP ", res.status));
    }
    res.set_content(ErrorJson(s), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  const bool tls = options_.tls;
  http.set_post_routing_handler([tls](const httplib::Request&, httplib::Response& res) {
    SetSecurityHeaders(res, tls);
  });
}

}  // namespace helpdesk::serve
