// The HTTP side of `helpdesk serve`: the JSON API over the desk's
// sub-facades, the channel endpoints (web form, chat, signed webhook), login
// and sessions, and the static agent workspace and customer portal.
//
//   httplib::Server http;
//   helpdesk::serve::ApiServer api({.desk = desk.get(), .clock = &clock,
//                                   .credentials = creds.get(), .web_root = "web"});
//   api.Install(http);
//   http.listen("127.0.0.1", 8080);
//
// Every response carries the security headers (CSP with frame-ancestors
// 'none', X-Frame-Options DENY, nosniff, no referrer); every error is a JSON
// body {"error": "...", "code": "..."} whose message names the problem.
// Callers are authenticated (API token, session cookie, magic-link session,
// or the host's customer hook) and then every call goes through the desk,
// whose access component decides; unsafe requests made with a session
// cookie need the session's CSRF token in X-CSRF-Token.
//
// Thread safety: Install once; the handlers run on httplib's worker threads.
#ifndef HELPDESK_EXAMPLES_SERVER_SERVER_H_
#define HELPDESK_EXAMPLES_SERVER_SERVER_H_

#include <httplib.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"

namespace helpdesk::serve {

struct ServerOptions {
  Desk* desk = nullptr;          // borrowed
  Clock* clock = nullptr;        // borrowed
  Credentials* credentials = nullptr;  // borrowed
  // Directory of the static files (agent/, portal/); empty serves none.
  std::string web_root;
  // Larger request bodies are refused with 413.
  size_t max_body_bytes = size_t{1} << 20;
  // The shared secret of POST /api/v1/channels/webhook; empty disables it.
  std::string webhook_secret;
  // Signed webhook calls older (or newer) than this are refused.
  absl::Duration webhook_max_skew = absl::Minutes(5);
  // Signs customers' magic links; must be set (a random one per start is
  // fine: links then last until a restart).
  std::string magic_link_secret;
  absl::Duration magic_link_ttl = absl::Hours(24);
  // At most this many sign-in links are mailed to one address per
  // magic_link_window (more requests get the same answer and no mail).
  int magic_link_max_mails = 3;
  absl::Duration magic_link_window = absl::Minutes(15);
  absl::Duration session_ttl = absl::Hours(12);
  // The Secure flag on cookies (the server runs behind HTTPS).
  bool secure_cookies = true;
  // Adds Strict-Transport-Security.
  bool tls = false;
  // The base of links the server hands out, e.g. "https://desk.example.com".
  std::string public_url;
  // The tracking-link hook: a host's own way of recognising a customer
  // (e.g. a tracking token in the request). Asked when nothing else
  // authenticated the request; nullopt for "not a customer".
  std::function<std::optional<v1::Actor>(const httplib::Request&)> customer_auth;
  // One JSON line per request (method, path, status, duration, actor).
  std::function<void(const std::string&)> log;
  // For /health.
  std::function<int64_t()> runner_steps;
};

// One route of the API: its method, its path as the OpenAPI description
// writes it ("/api/v1/tickets/{id}") and who may call it at all.
struct RouteInfo {
  std::string method;
  std::string path;
  // "anonymous" (anyone), "signed" (webhook signature), "authenticated".
  std::string auth;
};

class ApiServer {
 public:
  explicit ApiServer(ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Registers every route, the static files, the error handler and the
  // security headers on `http`.
  void Install(httplib::Server& http);

  // The JSON API's routes (docs/openapi.json describes exactly these).
  static std::vector<RouteInfo> Routes();

  // The per-request state handlers see.
  struct Call;
  struct Reply {
    int status = 200;
    std::string body;  // JSON
    std::vector<std::pair<std::string, std::string>> headers;
  };
  using Handler = absl::StatusOr<Reply> (ApiServer::*)(Call&);

 private:
  struct Route;
  static const std::vector<Route>& RouteTable();
  void Dispatch(const Route& route, const httplib::Request& req, httplib::Response& res);
  absl::StatusOr<std::optional<v1::Actor>> Authenticate(const httplib::Request& req,
                                                        bool* by_cookie,
                                                        std::string* csrf);
  void ServeStatic(const httplib::Request& req, httplib::Response& res);

  // Handlers (api_*.cc).
  absl::StatusOr<Reply> Health(Call& c);
  absl::StatusOr<Reply> Login(Call& c);
  absl::StatusOr<Reply> Logout(Call& c);
  absl::StatusOr<Reply> GetSession(Call& c);
  absl::StatusOr<Reply> CustomerSession(Call& c);
  absl::StatusOr<Reply> CreateToken(Call& c);
  absl::StatusOr<Reply> SetPassword(Call& c);
  absl::StatusOr<Reply> MagicLink(Call& c);
  absl::StatusOr<Reply> ListTickets(Call& c);
  absl::StatusOr<Reply> CreateTicket(Call& c);
  absl::StatusOr<Reply> GetTicket(Call& c);
  absl::StatusOr<Reply> UpdateTicket(Call& c);
  absl::StatusOr<Reply> AddReply(Call& c);
  absl::StatusOr<Reply> AddNote(Call& c);
  absl::StatusOr<Reply> TicketEvents(Call& c);
  absl::StatusOr<Reply> TicketSla(Call& c);
  absl::StatusOr<Reply> Accept(Call& c);
  absl::StatusOr<Reply> Decline(Call& c);
  absl::StatusOr<Reply> NextTicket(Call& c);
  absl::StatusOr<Reply> RoutingStateOf(Call& c);
  absl::StatusOr<Reply> ListAgents(Call& c);
  absl::StatusOr<Reply> SetPresence(Call& c);
  absl::StatusOr<Reply> ListGroups(Call& c);
  absl::StatusOr<Reply> WebForm(Call& c);
  absl::StatusOr<Reply> Chat(Call& c);
  absl::StatusOr<Reply> Webhook(Call& c);
  // The customer portal (api_portal.cc).
  absl::StatusOr<Reply> RequestMagicLink(Call& c);
  absl::StatusOr<Reply> Track(Call& c);
  // The knowledge base (api_kb.cc).
  absl::StatusOr<Reply> KbSearch(Call& c);
  absl::StatusOr<Reply> KbGetArticle(Call& c);
  absl::StatusOr<Reply> KbSuggest(Call& c);
  absl::StatusOr<Reply> KbOutcome(Call& c);
  absl::StatusOr<Reply> FaqDraft(Call& c);
  // Saved views (api_views.cc).
  absl::StatusOr<Reply> ListViews(Call& c);
  absl::StatusOr<Reply> CreateView(Call& c);
  absl::StatusOr<Reply> RunView(Call& c);
  absl::StatusOr<Reply> DeleteView(Call& c);

  // Remembers a webhook signature; false when it was seen within the skew
  // window (a replay).
  bool FirstSighting(const std::string& signature, absl::Time now);
  // Counts a sign-in mail to `email`; false when the address had its
  // magic_link_max_mails within the window.
  bool MayMailMagicLink(const std::string& email, absl::Time now);

  ServerOptions options_;
  Sessions sessions_;
  std::unique_ptr<InboundAdapter> web_form_;
  std::unique_ptr<InboundAdapter> chat_;
  absl::Mutex replay_mu_;
  std::map<std::string, absl::Time> seen_signatures_ ABSL_GUARDED_BY(replay_mu_);
  absl::Mutex mail_mu_;
  // By the SHA-256 of the lower-cased address: when links were mailed.
  std::map<std::string, std::vector<absl::Time>> mailed_ ABSL_GUARDED_BY(mail_mu_);
};

}  // namespace helpdesk::serve

#endif  // HELPDESK_EXAMPLES_SERVER_SERVER_H_
