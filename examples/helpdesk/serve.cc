// `helpdesk serve`: the desk as a service. HTTP(S) with the JSON API, the
// agent workspace and the customer portal (examples/server/), and a Runner
// doing the time-based work; SIGTERM or SIGINT stops it gracefully: no new
// connections, the requests under way answered, the runner stopped between
// steps, the database closed.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "commands.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/names.h"
#include "helpdesk/runner.h"
#include "helpdesk/status_macros.h"
#include "server.h"

#ifndef HELPDESK_SERVE_WEB_ROOT
#define HELPDESK_SERVE_WEB_ROOT ""
#endif

namespace helpdesk::cli {
namespace {

std::mutex log_mu;
void LogLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(log_mu);
  std::cerr << line << "\n" << std::flush;
}
void LogEvent(const std::string& level, const std::string& event, const std::string& extra = "") {
  LogLine(absl::StrCat("{\"ts\":\"", absl::FormatTime(absl::RFC3339_full, absl::Now(),
                                                      absl::UTCTimeZone()),
                       "\",\"level\":\"", level, "\",\"event\":\"", event, "\"", extra, "}"));
}

// `text` as the inside of a JSON string.
std::string JsonEscape(absl::string_view text) {
  std::string out;
  for (char ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      out += absl::StrFormat("\\u%04x", u);
    } else {
      out += ch;
    }
  }
  return out;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return absl::InvalidArgumentError(absl::StrCat("'", path, "' is empty"));
  return s;
}

// --admin-email with $HELPDESK_ADMIN_PASSWORD: an admin agent with that
// password (created when missing).
absl::Status BootstrapAdmin(Desk& desk, serve::Credentials& creds, const std::string& email) {
  const char* password = std::getenv("HELPDESK_ADMIN_PASSWORD");
  if (password == nullptr) {
    return absl::InvalidArgumentError(
        "--admin-email needs the password in $HELPDESK_ADMIN_PASSWORD");
  }
  absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, email);
  if (absl::IsNotFound(agent.status())) {
    agent = desk.people().CreateAgent(
        SystemActor(), {.name = email.substr(0, email.find('@')), .email = email,
                        .role = v1::Agent::ADMIN});
  }
  if (!agent.ok()) return agent.status();
  return creds.SetPassword(agent->id(), password);
}

absl::Status CmdServe(const CommandContext& c) {
  const Args& a = c.args;
  const std::string listen = a.Get("listen").value_or("127.0.0.1:8080");
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen '", listen, "' is not HOST:PORT"));
  }
  std::string host = listen.substr(0, colon);
  if (absl::StartsWith(host, "[")) host = host.substr(1, host.size() - 2);
  const std::optional<std::string> cert = a.Get("cert"), key = a.Get("key");
  if (cert.has_value() != key.has_value()) {
    return absl::InvalidArgumentError("--cert and --key go together");
  }
  const bool tls = cert.has_value();
  if (!tls && !IsLoopback(host) && !a.Has("insecure-http")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--listen ", listen, ": plain HTTP on a non-loopback address would send passwords "
        "and tickets unencrypted; give --cert and --key, or --insecure-http to insist"));
  }
  // Signals go to the thread that waits for them, never to the workers.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HELPDESK_RETURN_IF_ERROR(serve::InitCrypto());
  const std::string db = DatabasePath(a);
  HELPDESK_ASSIGN_OR_RETURN(std::optional<std::string> sla_text, SlaConfigText(a));
  HELPDESK_ASSIGN_OR_RETURN(std::optional<RoutingOptions> routing, RoutingConfig(a));
  // Issue 17: with a store shared by several `serve` processes, only the desk
  // lease's holder ticks and push-routes; the others serve requests.
  HELPDESK_ASSIGN_OR_RETURN(DeskLeaseOptions lease, DeskLeaseFromArgs(a));
  HELPDESK_ASSIGN_OR_RETURN(
      std::unique_ptr<Session> session,
      OpenSession(db, /*create=*/true, nullptr, sla_text, a.Get("desk-email").value_or(""),
                  a.Has("ack"), routing, [&lease](DeskOptions& o) {
                    o.lease = lease;
                    return absl::OkStatus();
                  }));
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<serve::Credentials> creds,
                            serve::Credentials::Open(a.Get("auth-db").value_or(db + ".auth")));
  if (std::optional<std::string> admin = a.Get("admin-email")) {
    HELPDESK_RETURN_IF_ERROR(BootstrapAdmin(*session->desk, *creds, *admin));
  }
  HELPDESK_ASSIGN_OR_RETURN(std::optional<int64_t> max_body,
                            WholeNumberFlag(a, "max-body-bytes", 1024, int64_t{1} << 30));
  HELPDESK_ASSIGN_OR_RETURN(std::optional<int64_t> retention_days,
                            WholeNumberFlag(a, "retention-days", 1, 36500));
  std::optional<RetentionPolicy> retention;
  if (retention_days) {
    retention = RetentionPolicy{.closed_ticket_days = static_cast<int>(*retention_days)};
  }
  serve::ServerOptions so{.desk = session->desk.get(),
                          .clock = session->clock,
                          .credentials = creds.get(),
                          .web_root = a.Get("web-root").value_or(HELPDESK_SERVE_WEB_ROOT)};
  if (max_body) so.max_body_bytes = static_cast<size_t>(*max_body);
  if (std::optional<std::string> f = a.Get("webhook-secret-file")) {
    HELPDESK_ASSIGN_OR_RETURN(so.webhook_secret, ReadSecretFile(*f));
  }
  so.magic_link_secret = serve::RandomHex(32);
  if (std::optional<std::string> f = a.Get("magic-link-secret-file")) {
    HELPDESK_ASSIGN_OR_RETURN(so.magic_link_secret, ReadSecretFile(*f));
  }
  so.secure_cookies = tls || !a.Has("insecure-cookies");
  so.tls = tls;
  so.public_url = a.Get("public-url").value_or(
      absl::StrCat(tls ? "https://" : "http://", listen));
  so.log = LogLine;

  // Outgoing e-mail (--smtp URL or --maildir-out DIR) and an IMAP mailbox
  // (--imap URL with $HELPDESK_IMAP_USER and $HELPDESK_IMAP_PASSWORD) run on
  // the runner.
  const std::string desk_email = a.Get("desk-email").value_or("");
  std::unique_ptr<MailTransport> transport;
  if (std::optional<std::string> url = a.Get("smtp")) {
    transport = NewSmtpTransport({.url = *url});
  } else if (std::optional<std::string> dir = a.Get("maildir-out")) {
    transport = NewMaildirTransport(*dir);
  }
  std::unique_ptr<OutboundAdapter> email_out;
  std::map<v1::Channel, OutboundAdapter*> adapters;
  if (transport) {
    EmailOutboundOptions eo;
    eo.sending_domain =
        desk_email.empty() ? "localhost" : desk_email.substr(desk_email.find('@') + 1);
    eo.default_from.set_email(desk_email);
    eo.clock = session->clock;
    email_out = NewEmailOutbound(std::move(transport), eo);
    adapters[v1::CHANNEL_EMAIL] = email_out.get();
  }
  std::vector<MailSource> sources;
  std::unique_ptr<ImapSource> imap;
  std::unique_ptr<InboundAdapter> email_in = NewEmailInbound();
  if (std::optional<std::string> url = a.Get("imap")) {
    const char* user = std::getenv("HELPDESK_IMAP_USER");
    const char* pass = std::getenv("HELPDESK_IMAP_PASSWORD");
    imap = NewImapSource({.url = *url, .username = user ? user : "",
                          .password = pass ? pass : ""});
    Desk* desk = session->desk.get();
    sources.push_back({.name = "imap", .poll = [&imap, &email_in, desk](absl::Time now) {
                         HELPDESK_ASSIGN_OR_RETURN(std::vector<int64_t> uids, imap->ListUnseen());
                         for (int64_t uid : uids) {
                           HELPDESK_ASSIGN_OR_RETURN(std::string raw, imap->Fetch(uid));
                           absl::StatusOr<v1::InboundMessage> m = email_in->Parse(raw, now);
                           // What cannot be parsed is quarantined: safe to mark seen.
                           absl::Status taken =
                               m.ok() ? desk->inbox().Ingest(*m).status()
                                      : desk->inbox()
                                            .QuarantineRaw(v1::CHANNEL_EMAIL, "imap", raw,
                                                           m.status().message())
                                            .status();
                           HELPDESK_RETURN_IF_ERROR(taken);
                           HELPDESK_RETURN_IF_ERROR(imap->MarkSeen(uid));
                         }
                         return absl::OkStatus();
                       }});
  }
  Runner runner({.desk = session->desk.get(),
                 .clock = session->clock,
                 .adapters = adapters,
                 .mail_sources = sources,
                 .retention = retention,
                 .on_step = [&lease, last_holder = std::string()](
                                const RunnerStep& s) mutable {
                   // The desk lease changed hands (issue 17): say who ticks now.
                   if (s.ticked && s.tick_status.ok() && s.tick.lease_holder != last_holder) {
                     last_holder = s.tick.lease_holder;
                     LogEvent("info", "lease", absl::StrCat(
                         ",\"held\":", s.tick.lease_held ? "true" : "false",
                         ",\"holder\":\"", JsonEscape(s.tick.lease_holder),
                         "\",\"self\":\"", JsonEscape(lease.holder), "\""));
                   }
                   if (s.retained) {
                     LogEvent(s.retention_status.ok() ? "info" : "error", "retention",
                              absl::StrCat(",\"status\":\"",
                                           absl::StatusCodeToString(s.retention_status.code()),
                                           "\",\"purged_tickets\":",
                                           s.retention.run.purged_ticket_ids_size(),
                                           ",\"purged_attachments\":",
                                           s.retention.run.purged_attachment_sha256_size()));
                   }
                   if (!s.tick_status.ok() || !s.dispatch_status.ok()) {
                     LogEvent("error", "runner", absl::StrCat(
                         ",\"tick\":\"", absl::StatusCodeToString(s.tick_status.code()),
                         "\",\"dispatch\":\"",
                         absl::StatusCodeToString(s.dispatch_status.code()), "\""));
                   } else if (s.tick.breaches + s.tick.warnings + s.tick.offers_expired +
                                  s.dispatch.delivered > 0) {
                     LogEvent("info", "runner", absl::StrCat(
                         ",\"warnings\":", s.tick.warnings, ",\"breaches\":", s.tick.breaches,
                         ",\"offers_expired\":", s.tick.offers_expired,
                         ",\"delivered\":", s.dispatch.delivered));
                   }
                 }});
  so.runner_steps = [&runner] { return runner.steps(); };
  serve::ApiServer api(std::move(so));

  std::unique_ptr<httplib::Server> http;
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(cert->c_str(), key->c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--cert ", *cert, " / --key ", *key, ": not a usable certificate and key"));
    }
    http = std::move(ssl);
  } else {
    http = std::make_unique<httplib::Server>();
  }
  api.Install(*http);
  if (!http->bind_to_port(host, port)) {
    return absl::UnavailableError(absl::StrCat("--listen ", listen, ": cannot bind"));
  }
  HELPDESK_RETURN_IF_ERROR(runner.Start());
  LogEvent("info", "listening", absl::StrCat(",\"listen\":\"", listen, "\",\"tls\":",
                                             tls ? "true" : "false", ",\"db\":\"", db, "\""));
  std::thread server([&] { http->listen_after_bind(); });
  int sig = 0;
  sigwait(&signals, &sig);
  LogEvent("info", "stopping", absl::StrCat(",\"signal\":", sig));
  http->stop();        // no new connections; requests under way are answered
  server.join();
  runner.Stop();       // the step under way finishes
  LogEvent("info", "stopped");
  return absl::OkStatus();
}

}  // namespace

CommandGroup ServeCommands() {
  return {"Running as a service",
          {{.name = "serve",
            .summary = "serve the JSON API, the agent workspace and the customer portal",
            .usage = "serve [--listen HOST:PORT] [--cert FILE --key FILE] [--insecure-http]",
            .flags =
                "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080)\n"
                "  --cert F --key F    serve HTTPS with this certificate and key (PEM)\n"
                "  --insecure-http     allow plain HTTP on a non-loopback address\n"
                "  --insecure-cookies  cookies without Secure (plain HTTP on loopback)\n"
                "  --web-root DIR      the static files (default: the source tree's)\n"
                "  --auth-db FILE      passwords and API tokens (default DB.auth)\n"
                "  --admin-email E     make E an admin with $HELPDESK_ADMIN_PASSWORD\n"
                "  --webhook-secret-file F   enable the signed webhook with this secret\n"
                "  --magic-link-secret-file F  sign customers' links (default: random)\n"
                "  --max-body-bytes N  refuse larger request bodies (default 1 MiB)\n"
                "  --retention-days N  purge tickets closed N days ago, daily (docs/privacy.md)\n"
                "  --public-url URL    the base of links handed out\n"
                "  --desk-email E      the desk's address (e-mail replies)\n"
                "  --smtp URL          send the outbox's e-mail through SMTP\n"
                "  --maildir-out DIR   or write it to a Maildir\n"
                "  --imap URL          poll this mailbox ($HELPDESK_IMAP_USER,\n"
                "                      $HELPDESK_IMAP_PASSWORD) with back-off\n" +
                std::string(kLeaseFlags),
            .opens_desk = false,
            .run = CmdServe}}};
}

}  // namespace helpdesk::cli
