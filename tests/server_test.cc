// `helpdesk serve`'s API over real HTTP on 127.0.0.1: every route, an access
// matrix calling each route as an anonymous visitor, the requester, another
// customer, a light agent and an agent of another group; sessions with CSRF;
// hostile input (malformed JSON, unknown fields, oversized bodies, wrong
// content types, forged/replayed/stale webhook signatures, missing or forged
// CSRF tokens, path traversal) answered with a JSON 4xx and nothing written;
// security headers on every response; docs/openapi.json against the routes.
#include <httplib.h>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/web_form.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/names.h"
#include "helpdesk/sla.h"
#include "helpdesk/workflow.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "server.h"

namespace helpdesk::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// First reply within one calendar hour.
constexpr char kSla[] = R"pb(
  calendars {
    name: "utc"
    time_zone: "UTC"
    weekly_hours {
      days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, WEEKDAY_THURSDAY,
              WEEKDAY_FRIDAY, WEEKDAY_SATURDAY, WEEKDAY_SUNDAY ]
      intervals { open: "00:00" close: "24:00" }
    }
  }
  policies {
    name: "standard"
    calendar: "utc"
    targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 3600 } }
  }
)pb";

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), absl::UTCTimeZone());

google::protobuf::Struct ParseJson(const std::string& body) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &s).ok()) << body;
  return s;
}

struct Caller {
  std::string name;
  std::string token;    // Bearer
  std::string cookie;   // hd_session
  std::string csrf;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(InitCrypto());
    store_ = NewMemoryStore();
    RoutingOptions routing;
    routing.offer_timeout = absl::Minutes(5);
    ASSERT_OK_AND_ASSIGN(SlaEngine sla, SlaEngine::FromText(kSla, Workflow::Default()));
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_,
                                            .sla = sla, .routing = routing}));
    ASSERT_OK_AND_ASSIGN(creds_, Credentials::Open(":memory:", PasswordCost::Minimum()));
    auto& people = desk_->people();
    ASSERT_OK_AND_ASSIGN(v1::Group support, people.CreateGroup(SystemActor(), "Support"));
    ASSERT_OK_AND_ASSIGN(v1::Group billing, people.CreateGroup(SystemActor(), "Billing"));
    support_ = support.id();
    admin_ = MakeAgent("Ad", "ad@x.example", v1::Agent::ADMIN, {support_});
    alice_ = MakeAgent("Alice", "alice@x.example", v1::Agent::AGENT, {support_});
    light_ = MakeAgent("Li", "li@x.example", v1::Agent::LIGHT_AGENT, {support_});
    other_ = MakeAgent("Ot", "ot@x.example", v1::Agent::AGENT, {billing.id()});
    ASSERT_OK_AND_ASSIGN(v1::Contact cy, people.CreateContact(
                                             SystemActor(), {.name = "Cy",
                                                             .emails = {"cy@x.example"}}));
    ASSERT_OK_AND_ASSIGN(v1::Contact dee, people.CreateContact(
                                              SystemActor(), {.name = "Dee",
                                                              .emails = {"dee@x.example"}}));
    cy_ = cy.id();
    dee_ = dee.id();
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Create(
                                           SystemActor(), {.subject = "VPN drops",
                                                           .requester_id = cy_,
                                                           .description = "every hour",
                                                           .group_id = support_}));
    ticket_ = t.id();
    ASSERT_OK(desk_->tickets()
                  .AddMessage(AgentActor(alice_), ticket_,
                              {.kind = v1::Message::INTERNAL_NOTE, .body_text = "SECRET-NOTE"})
                  .status());

    // The knowledge base: a published public article and a published one
    // for agents only.
    auto& kb = desk_->kb();
    ASSERT_OK_AND_ASSIGN(v1::KbArticle pub,
                         kb.Create(SystemActor(), {.locale = "en",
                                                   .title = "Reset your password",
                                                   .body_markdown = "Open **Settings** and "
                                                                    "choose a new password."}));
    ASSERT_OK(kb.Publish(SystemActor(), pub.id(), "en").status());
    ASSERT_OK_AND_ASSIGN(v1::KbArticle internal,
                         kb.Create(SystemActor(),
                                   {.locale = "en", .title = "INTERNAL-KB password runbook",
                                    .body_markdown = "Reset the password in the admin console.",
                                    .visibility = v1::KbArticle::AGENTS}));
    ASSERT_OK(kb.Publish(SystemActor(), internal.id(), "en").status());
    public_article_ = pub.id();
    internal_article_ = internal.id();
    ASSERT_OK_AND_ASSIGN(v1::KbSuggestionSession session,
                         kb.Suggest(AnonymousVisitor(), {.question = "forgot my password"}));
    kb_session_ = session.id();

    ServerOptions o{.desk = desk_.get(), .clock = &clock_, .credentials = creds_.get(),
                    .web_root = HELPDESK_SERVE_WEB_ROOT, .max_body_bytes = 64 * 1024,
                    .webhook_secret = "hook-secret", .magic_link_secret = "magic-secret",
                    .secure_cookies = false};
    api_ = std::make_unique<ApiServer>(o);
    api_->Install(http_);
    port_ = http_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  void TearDown() override {
    http_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int64_t MakeAgent(const std::string& name, const std::string& email, v1::Agent::Role role,
                    std::vector<int64_t> groups) {
    v1::ChannelCapacity cap;
    cap.set_channel(v1::CHANNEL_API);
    cap.set_max_items(5);
    absl::StatusOr<v1::Agent> a = desk_->people().CreateAgent(
        SystemActor(), {.name = name, .email = email, .role = role,
                        .ticket_access = v1::Agent::GROUPS, .group_ids = groups,
                        .capacity = {cap}});
    EXPECT_OK(a.status());
    return a.ok() ? a->id() : 0;
  }

  Caller AgentCaller(const std::string& name, int64_t id) {
    absl::StatusOr<std::string> t = creds_->CreateToken(id, "test", clock_.Now());
    EXPECT_OK(t.status());
    return {.name = name, .token = t.ok() ? *t : ""};
  }

  // A customer signed in through a magic link: a session cookie and its CSRF
  // token.
  Caller CustomerCaller(const std::string& name, int64_t contact) {
    std::string token = SignMagicLink("magic-secret", contact, clock_.Now() + absl::Hours(1));
    httplib::Result r = Client().Post("/api/v1/customer/session",
                                      absl::StrCat("{\"token\":\"", token, "\"}"),
                                      "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    Caller c{.name = name};
    std::string set_cookie = r->get_header_value("Set-Cookie");
    c.cookie = set_cookie.substr(0, set_cookie.find(';'));
    c.csrf = ParseJson(r->body).fields().at("csrfToken").string_value();
    return c;
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_keep_alive(false);
    return c;
  }

  httplib::Headers HeadersOf(const Caller& c, bool with_csrf = true) {
    httplib::Headers h;
    if (!c.token.empty()) h.emplace("Authorization", "Bearer " + c.token);
    if (!c.cookie.empty()) h.emplace("Cookie", c.cookie);
    if (!c.csrf.empty() && with_csrf) h.emplace("X-CSRF-Token", c.csrf);
    return h;
  }

  // Calls `method path` as `c`; returns the status (0 without a response).
  httplib::Result Call(const Caller& c, const std::string& method, const std::string& path,
                       const std::string& body = "", bool with_csrf = true) {
    httplib::Client cl = Client();
    httplib::Headers h = HeadersOf(c, with_csrf);
    if (method == "GET") return cl.Get(path, h);
    if (method == "POST") return cl.Post(path, h, body, "application/json");
    if (method == "PUT") return cl.Put(path, h, body, "application/json");
    if (method == "PATCH") return cl.Patch(path, h, body, "application/json");
    if (method == "DELETE") return cl.Delete(path, h, body, "application/json");
    ADD_FAILURE() << method;
    return cl.Get(path, h);
  }

  int Status(const Caller& c, const std::string& method, const std::string& path,
             const std::string& body = "") {
    httplib::Result r = Call(c, method, path, body);
    return r ? r->status : 0;
  }

  int64_t MessageCount() {
    auto v = desk_->tickets().View(SystemActor(), ticket_);
    EXPECT_OK(v.status());
    return v.ok() ? static_cast<int64_t>(v->messages.size()) : -1;
  }
  int64_t TicketVersion() {
    auto t = desk_->tickets().Get(SystemActor(), ticket_);
    return t.ok() ? t->version() : -1;
  }
  int64_t TicketCount() {
    auto p = desk_->tickets().Query(SystemActor(), {.limit = 1000});
    return p.ok() ? static_cast<int64_t>(p->tickets.size()) : -1;
  }

  ManualClock clock_{kStart};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  std::unique_ptr<Credentials> creds_;
  std::unique_ptr<ApiServer> api_;
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  int64_t support_ = 0, admin_ = 0, alice_ = 0, light_ = 0, other_ = 0, cy_ = 0, dee_ = 0,
          ticket_ = 0, public_article_ = 0, internal_article_ = 0, kb_session_ = 0;
};

TEST_F(ServerTest, HealthAndSecurityHeadersOnEveryResponse) {
  for (const char* path : {"/health", "/nowhere", "/agent/", "/api/v1/tickets"}) {
    httplib::Result r = Client().Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_THAT(r->get_header_value("Content-Security-Policy"),
                HasSubstr("frame-ancestors 'none'")) << path;
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY") << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
  }
  httplib::Result h = Client().Get("/health");
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(ParseJson(h->body).fields().at("status").string_value(), "ok");
  httplib::Result missing = Client().Get("/nowhere");
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("no route GET /nowhere"));
}

TEST_F(ServerTest, AgentWorksATicketAndTheCustomerSeesTheReplyButNeverTheNote) {
  Caller alice = AgentCaller("alice", alice_);
  const std::string t = absl::StrCat("/api/v1/tickets/", ticket_);
  httplib::Result list = Call(alice, "GET", "/api/v1/tickets?status=new,open&sort=queue");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_THAT(list->body, HasSubstr("VPN drops"));
  EXPECT_EQ(Status(alice, "POST", t + "/messages", R"({"bodyText":"Which version?"})"), 201);
  EXPECT_EQ(Status(alice, "POST", t + "/notes", R"({"bodyText":"ask Bob"})"), 201);
  httplib::Result up = Call(alice, "PATCH", t,
                            R"({"status":"solved","priority":"PRIORITY_HIGH","assigneeId":)" +
                                std::to_string(alice_) + "}");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 200) << up->body;
  EXPECT_THAT(up->body, HasSubstr("\"status\":\"solved\""));
  httplib::Result view = Call(alice, "GET", t);
  EXPECT_THAT(view->body, HasSubstr("SECRET-NOTE"));
  EXPECT_EQ(Status(alice, "GET", t + "/events"), 200);

  Caller cy = CustomerCaller("cy", cy_);
  httplib::Result seen = Call(cy, "GET", t);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->status, 200);
  EXPECT_THAT(seen->body, HasSubstr("Which version?"));
  EXPECT_THAT(seen->body, Not(HasSubstr("SECRET-NOTE")));
  EXPECT_THAT(seen->body, Not(HasSubstr("ask Bob")));
  // The customer answers: the ticket opens again.
  EXPECT_EQ(Status(cy, "POST", t + "/messages", R"({"bodyText":"Version 7"})"), 201);
  EXPECT_THAT(Call(alice, "GET", t)->body, HasSubstr("\"status\":\"open\""));
}

TEST_F(ServerTest, LoginGivesASessionWhoseUnsafeCallsNeedTheCsrfToken) {
  ASSERT_OK(creds_->SetPassword(alice_, "correct horse battery"));
  EXPECT_EQ(Status({}, "POST", "/api/v1/login",
                   R"({"email":"alice@x.example","password":"wrong password"})"),
            401);
  EXPECT_EQ(Status({}, "POST", "/api/v1/login",
                   R"({"email":"nobody@x.example","password":"correct horse battery"})"),
            401);
  httplib::Result r = Call({}, "POST", "/api/v1/login",
                           R"({"email":"ALICE@x.example","password":"correct horse battery"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::string set_cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(set_cookie, HasSubstr("SameSite=Strict"));
  Caller s{.name = "alice-session", .cookie = set_cookie.substr(0, set_cookie.find(';')),
           .csrf = ParseJson(r->body).fields().at("csrfToken").string_value()};
  ASSERT_FALSE(s.csrf.empty());
  const std::string notes = absl::StrCat("/api/v1/tickets/", ticket_, "/notes");
  const int64_t before = MessageCount();
  httplib::Result no_csrf = Call(s, "POST", notes, R"({"bodyText":"x"})", false);
  EXPECT_EQ(no_csrf->status, 403);
  EXPECT_THAT(no_csrf->body, HasSubstr("X-CSRF-Token: missing"));
  Caller forged = s;
  forged.csrf = std::string(64, 'a');
  httplib::Result bad = Call(forged, "POST", notes, R"({"bodyText":"x"})");
  EXPECT_EQ(bad->status, 403);
  EXPECT_THAT(bad->body, HasSubstr("does not match"));
  EXPECT_EQ(MessageCount(), before);
  EXPECT_EQ(Status(s, "POST", notes, R"({"bodyText":"x"})"), 201);
  EXPECT_EQ(Status(s, "GET", "/api/v1/session"), 200);
  EXPECT_EQ(Status(s, "POST", "/api/v1/logout"), 200);
  EXPECT_EQ(Status(s, "GET", "/api/v1/session"), 401);
  // Sessions run out by the desk's clock.
  httplib::Result again = Call({}, "POST", "/api/v1/login",
                               R"({"email":"alice@x.example","password":"correct horse battery"})");
  std::string c2 = again->get_header_value("Set-Cookie");
  Caller s2{.cookie = c2.substr(0, c2.find(';'))};
  EXPECT_EQ(Status(s2, "GET", "/api/v1/session"), 200);
  clock_.Advance(absl::Hours(13));
  EXPECT_EQ(Status(s2, "GET", "/api/v1/session"), 401);
}

// Every route, called by every kind of caller who should not get at ticket
// T (the requester's) or should only partly: nothing they may not see
// appears, nothing they may not change changes.
TEST_F(ServerTest, AccessMatrixOverEveryRoute) {
  Caller anon{.name = "anonymous"};
  Caller cy = CustomerCaller("requester", cy_);
  Caller dee = CustomerCaller("other-customer", dee_);
  Caller light = AgentCaller("light-agent", light_);
  Caller other = AgentCaller("other-group-agent", other_);
  const std::string t = absl::StrCat("/api/v1/tickets/", ticket_);
  const std::string id = std::to_string(ticket_);

  struct Case {
    std::string method, route, path, body;
    // Expected status per caller: anonymous, requester, other customer,
    // light agent, agent of another group.
    int expect[5];
  };
  const std::string alice_id = std::to_string(alice_);
  // A shared view (admins manage it; every agent runs it with their own
  // ticket visibility).
  ASSERT_OK_AND_ASSIGN(v1::SavedView shared_view,
                       desk_->views().Create(SystemActor(), {.name = "Everything",
                                                             .shared = true}));
  const std::string view = absl::StrCat("/api/v1/views/", shared_view.id());
  const std::vector<Case> cases = {
      {"GET", "/health", "/health", "", {200, 200, 200, 200, 200}},
      {"POST", "/api/v1/login", "/api/v1/login", R"({"email":"alice@x.example","password":"nopenope"})",
       {401, 401, 401, 401, 401}},
      {"GET", "/api/v1/session", "/api/v1/session", "", {401, 200, 200, 200, 200}},
      {"POST", "/api/v1/customer/session", "/api/v1/customer/session", R"({"token":"1.2.abc"})",
       {401, 401, 401, 401, 401}},
      {"POST", "/api/v1/tokens", "/api/v1/tokens", R"({"name":"x"})", {401, 403, 403, 201, 201}},
      {"PUT", "/api/v1/agents/{id}/password", "/api/v1/agents/" + alice_id + "/password",
       R"({"password":"takeover-password"})", {401, 403, 403, 403, 403}},
      {"POST", "/api/v1/contacts/{id}/magic-link",
       absl::StrCat("/api/v1/contacts/", cy_, "/magic-link"), "", {401, 403, 403, 403, 201}},
      {"GET", "/api/v1/tickets", "/api/v1/tickets", "", {401, 200, 200, 200, 200}},
      {"POST", "/api/v1/tickets", "/api/v1/tickets",
       absl::StrCat(R"({"subject":"mine","description":"d","requesterId":)", cy_, "}"),
       {401, 201, 403, 403, 201}},
      {"GET", "/api/v1/tickets/{id}", t, "", {401, 200, 404, 200, 404}},
      {"PATCH", "/api/v1/tickets/{id}", t, R"({"subject":"hijacked"})", {401, 403, 404, 403, 404}},
      {"POST", "/api/v1/tickets/{id}/messages", t + "/messages", R"({"bodyText":"m"})",
       {401, 201, 404, 403, 404}},
      {"POST", "/api/v1/tickets/{id}/notes", t + "/notes", R"({"bodyText":"n"})",
       {401, 403, 404, 201, 404}},
      {"GET", "/api/v1/tickets/{id}/events", t + "/events", "", {401, 403, 404, 200, 404}},
      {"GET", "/api/v1/tickets/{id}/sla", t + "/sla", "", {401, 403, 404, 200, 404}},
      {"POST", "/api/v1/tickets/{id}/accept", t + "/accept", "", {401, 403, 404, 403, 404}},
      {"POST", "/api/v1/tickets/{id}/decline", t + "/decline", "", {401, 403, 404, 403, 404}},
      {"POST", "/api/v1/routing/next", "/api/v1/routing/next",
       absl::StrCat(R"({"agentId":)", alice_, "}"), {401, 403, 403, 403, 403}},
      {"GET", "/api/v1/routing/state", "/api/v1/routing/state", "", {401, 403, 403, 200, 200}},
      {"GET", "/api/v1/agents", "/api/v1/agents", "", {401, 403, 403, 200, 200}},
      {"PUT", "/api/v1/agents/{id}/presence", "/api/v1/agents/" + alice_id + "/presence",
       R"({"presence":"PRESENCE_ONLINE"})", {401, 403, 403, 403, 403}},
      {"GET", "/api/v1/groups", "/api/v1/groups", "", {401, 403, 403, 200, 200}},
      {"POST", "/api/v1/channels/web-form", "/api/v1/channels/web-form",
       R"({"name":"Ed","email":"ed@x.example","subject":"hi","message":"hello"})",
       {202, 200, 200, 200, 200}},
      {"POST", "/api/v1/channels/chat", "/api/v1/channels/chat",
       R"({"sessionId":"s1","messageId":"s1/1","visitor":{"name":"V","chatHandle":"v1"},"text":"hi"})",
       {202, 200, 200, 200, 200}},
      {"POST", "/api/v1/channels/webhook", "/api/v1/channels/webhook", R"({"text":"x"})",
       {401, 401, 401, 401, 401}},
      {"POST", "/api/v1/customer/magic-link", "/api/v1/customer/magic-link",
       R"({"email":"cy@x.example"})", {202, 202, 202, 202, 202}},
      {"POST", "/api/v1/tracking", "/api/v1/tracking",
       R"({"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})", {404, 404, 404, 404, 404}},
      {"GET", "/api/v1/kb/search", "/api/v1/kb/search?q=password", "",
       {200, 200, 200, 200, 200}},
      {"GET", "/api/v1/kb/articles/{id}", absl::StrCat("/api/v1/kb/articles/", public_article_),
       "", {200, 200, 200, 200, 200}},
      {"GET", "/api/v1/kb/articles/{id}",
       absl::StrCat("/api/v1/kb/articles/", internal_article_), "", {404, 404, 404, 200, 200}},
      {"POST", "/api/v1/kb/suggest", "/api/v1/kb/suggest", R"({"question":"password reset"})",
       {201, 201, 201, 201, 201}},
      {"POST", "/api/v1/kb/suggest", "/api/v1/kb/suggest",
       absl::StrCat(R"({"ticketId":)", ticket_, "}"), {404, 201, 404, 201, 404}},
      // The anonymous visitor's own session: customers may not touch it.
      {"POST", "/api/v1/kb/suggestions/{id}/outcome",
       absl::StrCat("/api/v1/kb/suggestions/", kb_session_, "/outcome"), R"({"deflected":true})",
       {204, 404, 404, 204, 204}},
      {"POST", "/api/v1/tickets/{id}/faq-draft", t + "/faq-draft", "{}",
       {401, 403, 403, 403, 404}},
      {"GET", "/api/v1/views", "/api/v1/views", "", {401, 403, 403, 200, 200}},
      {"POST", "/api/v1/views", "/api/v1/views", R"({"name":"Mine"})",
       {401, 403, 403, 201, 201}},
      {"GET", "/api/v1/views/{id}/tickets", view + "/tickets", "", {401, 403, 403, 200, 200}},
      {"DELETE", "/api/v1/views/{id}", view, "", {401, 403, 403, 403, 403}},
      {"POST", "/api/v1/logout", "/api/v1/logout", "", {401, 200, 200, 200, 200}},
  };
  const Caller* callers[5] = {&anon, &cy, &dee, &light, &other};
  std::set<std::string> covered;
  for (const Case& c : cases) {
    covered.insert(c.method + " " + c.route);
    for (int i = 0; i < 5; ++i) {
      httplib::Result r = Call(*callers[i], c.method, c.path, c.body);
      ASSERT_TRUE(r) << c.method << " " << c.path;
      EXPECT_EQ(r->status, c.expect[i])
          << c.method << " " << c.path << " as " << callers[i]->name << ": " << r->body;
      EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << c.path;
      if (r->status >= 400) {
        EXPECT_THAT(r->body, HasSubstr("\"error\":")) << c.path;
      }
      // Whoever gets an answer never reads the internal note or, when they
      // may not see T, its subject.
      if (i != 3) {
        EXPECT_THAT(r->body, Not(HasSubstr("SECRET-NOTE"))) << c.path;
      }
      if (i == 2 || i == 4 || i == 0) {
        EXPECT_THAT(r->body, Not(HasSubstr("VPN drops"))) << c.path;
      }
      // Customers and anonymous visitors see public articles only.
      if (i <= 2) {
        EXPECT_THAT(r->body, Not(HasSubstr("INTERNAL-KB"))) << c.path;
      }
    }
  }
  for (const RouteInfo& r : ApiServer::Routes()) {
    EXPECT_TRUE(covered.count(r.method + " " + r.path)) << "not in the matrix: " << r.method
                                                        << " " << r.path;
  }
  // What was refused left T as the allowed calls made it: the requester's
  // message and the light agent's note, no subject change.
  ASSERT_OK_AND_ASSIGN(TicketView v, desk_->tickets().View(SystemActor(), ticket_));
  EXPECT_EQ(v.ticket.subject(), "VPN drops");
  EXPECT_EQ(v.messages.size(), 4u);  // description, SECRET-NOTE, cy's message, li's note
  EXPECT_OK(creds_->CheckPassword(alice_, "takeover-password").code() ==
                    absl::StatusCode::kUnauthenticated
                ? absl::OkStatus()
                : absl::InternalError("password changed"));
}

TEST_F(ServerTest, HostileInputIsA4xxNamingTheProblemAndWritesNothing) {
  Caller alice = AgentCaller("alice", alice_);
  const int64_t tickets = TicketCount();
  const int64_t version = TicketVersion();
  const std::string t = absl::StrCat("/api/v1/tickets/", ticket_);
  auto expect = [&](httplib::Result r, int status, const std::string& says) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_THAT(r->body, HasSubstr(says));
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  };
  expect(Call(alice, "POST", "/api/v1/tickets", "{\"subject\": "), 400, "body: not a valid");
  expect(Call(alice, "POST", "/api/v1/tickets",
              absl::StrCat(R"({"subject":"s","requesterId":)", cy_, R"(,"evil":1})")),
         400, "evil");
  expect(Call(alice, "PATCH", t, R"({"priority":"PRIORITY_BOGUS"})"), 400, "PRIORITY_BOGUS");
  expect(Call(alice, "POST", "/api/v1/tickets", "[1,2,3]"), 400, "body:");
  {
    httplib::Client cl = Client();
    expect(cl.Post("/api/v1/tickets", HeadersOf(alice), "subject=x", "text/plain"), 415,
           "Content-Type: 'text/plain' is not application/json");
    std::string huge(100 * 1024, 'a');
    expect(cl.Post("/api/v1/tickets", HeadersOf(alice),
                   absl::StrCat(R"({"subject":")", huge, "\"}"), "application/json"),
           413, "larger than the server's limit");
    expect(cl.Get("/api/v1/tickets?limit=0", HeadersOf(alice)), 400, "limit: 0");
    expect(cl.Get("/api/v1/tickets?sort=random", HeadersOf(alice)), 400, "sort: 'random'");
    expect(cl.Get("/api/v1/tickets?evil=1", HeadersOf(alice)), 400, "unknown parameter 'evil'");
  }
  expect(Call({.token = "hdt_forged"}, "GET", "/api/v1/tickets"), 401, "unknown API token");
  expect(Call({}, "POST", "/api/v1/channels/web-form", R"({"email":"ada@","subject":""})"), 400,
         "email");

  // Webhooks: forged, stale, replayed.
  const std::string body =
      R"({"channel":"CHANNEL_API","externalId":"ext-1","from":{"email":"wh@x.example"},"subject":"hook","bodyText":"b"})";
  const std::string ts = std::to_string(absl::ToUnixSeconds(clock_.Now()));
  auto post_hook = [&](const std::string& stamp, const std::string& sig) {
    httplib::Headers h{{"X-Helpdesk-Timestamp", stamp}, {"X-Helpdesk-Signature", sig}};
    return Client().Post("/api/v1/channels/webhook", h, body, "application/json");
  };
  expect(post_hook(ts, WebhookSignature("wrong-secret", ts + "." + body)), 401,
         "X-Helpdesk-Signature");
  expect(post_hook(ts, WebhookSignature("hook-secret", body)), 401, "X-Helpdesk-Signature");
  const std::string old = std::to_string(absl::ToUnixSeconds(clock_.Now() - absl::Hours(1)));
  expect(post_hook(old, WebhookSignature("hook-secret", old + "." + body)), 401,
         "from the server's time");
  EXPECT_EQ(TicketCount(), tickets);
  const std::string good = WebhookSignature("hook-secret", ts + "." + body);
  httplib::Result first = post_hook(ts, good);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202) << first->body;
  expect(post_hook(ts, good), 409, "replayed");
  EXPECT_EQ(TicketCount(), tickets + 1);

  // Static files: no way out of the web root.
  for (const char* p : {"/agent/../../etc/passwd", "/agent/%2e%2e/%2e%2e/etc/passwd",
                               "/portal/..%2f..%2fCMakeLists.txt", "/agent/./index.html"}) {
    httplib::Result r = Client().Get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_GE(r->status, 400) << p;
    EXPECT_LT(r->status, 500) << p;
    EXPECT_THAT(r->body, Not(HasSubstr("root:"))) << p;
    EXPECT_THAT(r->body, Not(HasSubstr("project("))) << p;
  }
  EXPECT_EQ(TicketVersion(), version);
}

TEST_F(ServerTest, ChannelsFeedTheInbox) {
  httplib::Result form = Call({}, "POST", "/api/v1/channels/web-form",
                              R"({"submissionId":"f-1","name":"Ed","email":"ed@x.example",)"
                              R"("subject":"Printer on fire","message":"help"})");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 202) << form->body;
  EXPECT_THAT(form->body, HasSubstr("\"outcome\":\"created\""));
  httplib::Result again = Call({}, "POST", "/api/v1/channels/web-form",
                               R"({"submissionId":"f-1","name":"Ed","email":"ed@x.example",)"
                               R"("subject":"Printer on fire","message":"help"})");
  EXPECT_EQ(again->status, 200);
  EXPECT_THAT(again->body, HasSubstr("duplicate"));
  // In no group: the admin sees it, an agent restricted to Support does not.
  Caller admin = AgentCaller("admin", admin_);
  EXPECT_THAT(Call(admin, "GET", "/api/v1/tickets?q=printer")->body, HasSubstr("Printer on fire"));
  Caller alice = AgentCaller("alice", alice_);
  EXPECT_THAT(Call(alice, "GET", "/api/v1/tickets?q=printer")->body, Not(HasSubstr("Printer")));
}

TEST_F(ServerTest, RoutingOverHttp) {
  Caller alice = AgentCaller("alice", alice_);
  EXPECT_EQ(Status(alice, "PUT", absl::StrCat("/api/v1/agents/", alice_, "/presence"),
                   R"({"presence":"PRESENCE_ONLINE"})"),
            200);
  // The queued ticket is offered to Alice; she accepts it.
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), ticket_));
  ASSERT_EQ(t.assignee_id(), alice_);
  const std::string path = absl::StrCat("/api/v1/tickets/", ticket_);
  httplib::Result view = Call(alice, "GET", path);
  EXPECT_THAT(view->body, HasSubstr("routingDecision"));
  EXPECT_EQ(Status(alice, "POST", path + "/accept"), 200);
  EXPECT_EQ(Status(alice, "POST", path + "/accept"), 409);
  EXPECT_EQ(Status(alice, "POST", "/api/v1/routing/next", "{}"), 404);
  EXPECT_EQ(Status(alice, "GET", "/api/v1/routing/state"), 200);
  EXPECT_EQ(Status(alice, "POST", path + "/decline"), 200);
}

TEST_F(ServerTest, StaticWorkspaceAndPortalAreServed) {
  for (const char* p : {"/agent/", "/agent/app.js", "/agent/style.css", "/portal/",
                               "/portal/portal.js"}) {
    httplib::Result r = Client().Get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 200) << p;
  }
  EXPECT_THAT(Client().Get("/agent/")->get_header_value("Content-Type"), HasSubstr("text/html"));
}

// A customer asks for a magic link by address: known or not, the answer is
// the same; only a known address gets mail (through the outbox), whose link
// signs in once, and not when forged or expired.
TEST_F(ServerTest, MagicLinkByEmailIsMailedSignsInOnceAndRefusesForgedExpiredReused) {
  auto outbox = [&] {
    auto l = desk_->outbox().List(SystemActor(), std::nullopt);
    EXPECT_OK(l.status());
    return l.ok() ? *l : std::vector<v1::OutboxEntry>{};
  };
  const size_t before = outbox().size();
  httplib::Result unknown = Client().Post("/api/v1/customer/magic-link",
                                          R"({"email":"nobody@x.example"})", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(outbox().size(), before);
  httplib::Result known = Client().Post("/api/v1/customer/magic-link",
                                        R"({"email":"CY@x.example"})", "application/json");
  ASSERT_TRUE(known);
  EXPECT_EQ(unknown->status, 202);
  EXPECT_EQ(known->status, 202);
  EXPECT_EQ(unknown->body, known->body);  // no account enumeration
  std::vector<v1::OutboxEntry> mail = outbox();
  ASSERT_EQ(mail.size(), before + 1);
  const v1::OutboundMessage& m = mail.back().message();
  ASSERT_EQ(m.to_size(), 1);
  EXPECT_EQ(m.to(0).email(), "CY@x.example");
  const std::string& text = m.body_text();
  const size_t at = text.find("#token=");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string token = text.substr(at + 7, text.find('\n', at) - at - 7);
  for (const char* bad : {"", "not-an-email", R"("x@y")"}) {
    httplib::Result r = Client().Post("/api/v1/customer/magic-link",
                                      absl::StrCat(R"({"email":)", "\"", bad, "\"}"),
                                      "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << r->body;
  }

  auto exchange = [&](const std::string& tok) {
    httplib::Result r = Client().Post("/api/v1/customer/session",
                                      absl::StrCat(R"({"token":")", tok, "\"}"),
                                      "application/json");
    EXPECT_TRUE(r);
    return r ? std::make_pair(r->status, r->body) : std::make_pair(0, std::string());
  };
  // Forged: another contact's id under the same signature, a flipped MAC
  // character, another server's secret.
  std::string forged = token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(exchange(forged).first, 401);
  std::string other_contact = absl::StrCat(dee_, token.substr(token.find('.')));
  EXPECT_EQ(exchange(other_contact).first, 401);
  EXPECT_EQ(exchange(SignMagicLink("another-secret", cy_, clock_.Now() + absl::Hours(1))).first,
            401);
  // The real link signs Cy in, once.
  auto [status, body] = exchange(token);
  EXPECT_EQ(status, 200) << body;
  EXPECT_THAT(body, HasSubstr("\"customer\""));
  auto again = exchange(token);
  EXPECT_EQ(again.first, 401);
  EXPECT_THAT(again.second, HasSubstr("used before"));
  // Mail bombing: past three links per address in 15 minutes, the same
  // answer and no mail; the window moves on.
  for (int i = 0; i < 4; ++i) {
    httplib::Result r = Client().Post("/api/v1/customer/magic-link",
                                      R"({"email":"cy@x.example"})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    EXPECT_EQ(r->body, known->body);
  }
  EXPECT_EQ(outbox().size(), before + 3);
  clock_.Advance(absl::Minutes(16));
  ASSERT_TRUE(Client().Post("/api/v1/customer/magic-link", R"({"email":"cy@x.example"})",
                            "application/json"));
  EXPECT_EQ(outbox().size(), before + 4);
  // Unknown fields and wrong types are refused, naming the problem.
  for (const char* bad : {R"({"email":"cy@x.example","admin":true})", R"({"email":5})", "[1"}) {
    httplib::Result r = Client().Post("/api/v1/customer/magic-link", bad, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_THAT(r->body, HasSubstr("MagicLinkRequest")) << bad;
  }
  EXPECT_EQ(outbox().size(), before + 4);
  // Expired: a fresh link after its lifetime.
  std::string late = SignMagicLink("magic-secret", cy_, clock_.Now() + absl::Hours(24));
  clock_.Advance(absl::Hours(24) + absl::Seconds(1));
  auto expired = exchange(late);
  EXPECT_EQ(expired.first, 401);
  EXPECT_THAT(expired.second, HasSubstr("expired"));
}

// The web form's submitter gets the new ticket's tracking link; the tracking
// page shows the public thread and status, never the internal note.
TEST_F(ServerTest, WebFormGivesATrackingLinkThatShowsThePublicThreadOnly) {
  httplib::Result r = Client().Post(
      "/api/v1/channels/web-form",
      R"({"name":"Eve","email":"eve@x.example","subject":"Lost parcel","message":"Where is it?"})",
      "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  google::protobuf::Struct out = ParseJson(r->body);
  const std::string token = out.fields().at("trackingToken").string_value();
  ASSERT_EQ(token.size(), kTrackingTokenLength);
  EXPECT_THAT(out.fields().at("trackingUrl").string_value(), HasSubstr("/portal/#track="));
  int64_t id = std::stoll(out.fields().at("ticketId").string_value());
  ASSERT_OK(desk_->tickets()
                .AddMessage(AgentActor(admin_), id,
                            {.kind = v1::Message::PUBLIC_REPLY, .body_text = "On its way."})
                .status());
  ASSERT_OK(desk_->tickets()
                .AddMessage(AgentActor(admin_), id,
                            {.kind = v1::Message::INTERNAL_NOTE, .body_text = "NOTE-42"})
                .status());
  httplib::Result page = Client().Post("/api/v1/tracking",
                                       absl::StrCat(R"({"token":")", token, "\"}"),
                                       "application/json");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << page->body;
  EXPECT_THAT(page->body, HasSubstr("Lost parcel"));
  EXPECT_THAT(page->body, HasSubstr("Where is it?"));
  EXPECT_THAT(page->body, HasSubstr("On its way."));
  EXPECT_THAT(page->body, Not(HasSubstr("NOTE-42")));
  EXPECT_THAT(page->body, Not(HasSubstr("eve@x.example")));
  // A resubmission (appended or duplicate) hands out no link.
  httplib::Result dup = Client().Post(
      "/api/v1/channels/web-form",
      R"({"name":"Eve","email":"eve@x.example","subject":"Lost parcel","message":"Where is it?"})",
      "application/json");
  ASSERT_TRUE(dup);
  EXPECT_THAT(dup->body, Not(HasSubstr("trackingToken")));
  // Forged, truncated and hostile tokens: the same 404.
  std::string forged = token;
  forged[5] = forged[5] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {forged, token.substr(0, 20), std::string("../../etc"),
                                 std::string(5000, 'A')}) {
    httplib::Result b = Client().Post("/api/v1/tracking",
                                      absl::StrCat(R"({"token":")", bad, "\"}"),
                                      "application/json");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 404) << bad;
    EXPECT_THAT(b->body, HasSubstr("tracking link not found"));
  }
}

// KB search, articles and suggestions as each reader may see them; the web
// form records the suggestion session's outcome, and so does "it answered me".
TEST_F(ServerTest, KnowledgeBaseScreensAndDeflection) {
  Caller light = AgentCaller("light-agent", light_);
  httplib::Result anon = Client().Get("/api/v1/kb/search?q=password");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 200);
  EXPECT_THAT(anon->body, HasSubstr("Reset your password"));
  EXPECT_THAT(anon->body, Not(HasSubstr("INTERNAL-KB")));
  httplib::Result staff = Call(light, "GET", "/api/v1/kb/search?q=password");
  ASSERT_TRUE(staff);
  EXPECT_THAT(staff->body, HasSubstr("INTERNAL-KB"));
  httplib::Result article =
      Client().Get(absl::StrCat("/api/v1/kb/articles/", public_article_).c_str());
  ASSERT_TRUE(article);
  EXPECT_EQ(article->status, 200);
  EXPECT_EQ(ParseJson(article->body).fields().at("html").string_value(),
            "<p>Open <strong>Settings</strong> and choose a new password.</p>\n");
  for (const char* bad : {"/api/v1/kb/search?q=x&limit=0", "/api/v1/kb/search?q=x&limit=abc",
                          "/api/v1/kb/search?q=x&offset=-1"}) {
    httplib::Result b = Client().Get(bad);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 400) << bad;
  }

  auto suggest = [&](const std::string& q) -> int64_t {
    httplib::Result r = Client().Post("/api/v1/kb/suggest",
                                      absl::StrCat(R"({"question":")", q, "\"}"),
                                      "application/json");
    EXPECT_TRUE(r);
    if (!r) return 0;
    EXPECT_EQ(r->status, 201) << r->body;
    EXPECT_THAT(r->body, HasSubstr("Reset your password"));
    EXPECT_THAT(r->body, HasSubstr("\"reason\""));
    EXPECT_THAT(r->body, Not(HasSubstr("INTERNAL-KB")));
    return std::stoll(ParseJson(r->body).fields().at("id").string_value());
  };
  const int64_t opened = suggest("how do I reset my password");
  httplib::Result form = Client().Post(
      absl::StrCat("/api/v1/channels/web-form?kbSession=", opened).c_str(),
      R"({"name":"Flo","email":"flo@x.example","subject":"Password","message":"reset fails"})",
      "application/json");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 202) << form->body;
  const int64_t deflected = suggest("password settings");
  httplib::Result ok = Client().Post(
      absl::StrCat("/api/v1/kb/suggestions/", deflected, "/outcome").c_str(),
      R"({"deflected":true})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204) << ok->body;
  httplib::Result both = Client().Post(
      absl::StrCat("/api/v1/kb/suggestions/", deflected, "/outcome").c_str(),
      R"({"deflected":true,"ticketId":"5"})", "application/json");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, 400);
  httplib::Result bad_session = Client().Post("/api/v1/channels/web-form?kbSession=x1",
                                              R"({"name":"G","email":"g@x.example",)"
                                              R"("subject":"s","message":"m"})",
                                              "application/json");
  ASSERT_TRUE(bad_session);
  EXPECT_EQ(bad_session->status, 400);
  ASSERT_OK_AND_ASSIGN(KbDeflectionReport rep, desk_->kb().Deflection(SystemActor()));
  EXPECT_EQ(rep.tickets_opened, 1);
  EXPECT_EQ(rep.deflected, 1);
  EXPECT_EQ(rep.pending, 1);  // the fixture's session

  // An agent turns the ticket's reply into an FAQ draft.
  Caller alice = AgentCaller("alice", alice_);
  ASSERT_OK(desk_->tickets()
                .AddMessage(AgentActor(alice_), ticket_,
                            {.kind = v1::Message::PUBLIC_REPLY, .body_text = "Restart the VPN."})
                .status());
  httplib::Result draft =
      Call(alice, "POST", absl::StrCat("/api/v1/tickets/", ticket_, "/faq-draft"), "{}");
  ASSERT_TRUE(draft);
  EXPECT_EQ(draft->status, 201) << draft->body;
  EXPECT_THAT(draft->body, HasSubstr("VPN drops"));
}

TEST_F(ServerTest, SavedViewsOverHttp) {
  Caller alice = AgentCaller("alice", alice_);
  Caller admin = AgentCaller("admin", admin_);
  Caller other = AgentCaller("other-group-agent", other_);
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(v1::Ticket urgent,
                       desk_->tickets().Create(SystemActor(), {.subject = "Printer on fire",
                                                               .requester_id = dee_,
                                                               .description = "smoke",
                                                               .priority = v1::PRIORITY_URGENT,
                                                               .group_id = support_}));
  // A personal view (newest first, two columns) and a shared one.
  httplib::Result mine = Call(alice, "POST", "/api/v1/views",
                              absl::StrCat(R"({"name":"Support","filter":{"groupId":")",
                                           support_, R"("},"sort":"-created_at",)",
                                           R"("columns":["id","subject"]})"));
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->status, 201) << mine->body;
  google::protobuf::Struct mine_json = ParseJson(mine->body);
  const std::string mine_id = mine_json.fields().at("id").string_value();
  EXPECT_EQ(mine_json.fields().at("ownerAgentId").string_value(), std::to_string(alice_));
  const std::string shared_body =
      R"({"name":"Urgent","shared":true,"filter":{"priorities":["PRIORITY_URGENT"]}})";
  EXPECT_EQ(Status(alice, "POST", "/api/v1/views", shared_body), 403);
  httplib::Result shared = Call(admin, "POST", "/api/v1/views", shared_body);
  ASSERT_TRUE(shared);
  ASSERT_EQ(shared->status, 201) << shared->body;
  const std::string shared_id = ParseJson(shared->body).fields().at("id").string_value();
  EXPECT_EQ(Status(alice, "POST", "/api/v1/views", R"({"name":"Support"})"), 409);

  // Counts: the personal view first, then the shared one.
  httplib::Result list = Call(alice, "GET", "/api/v1/views");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  const google::protobuf::Struct list_json = ParseJson(list->body);
  const auto& views = list_json.fields().at("views").list_value().values();
  ASSERT_EQ(views.size(), 2u) << list->body;
  EXPECT_EQ(views[0].struct_value().fields().at("view").struct_value().fields().at("id")
                .string_value(), mine_id);
  EXPECT_EQ(views[0].struct_value().fields().at("count").string_value(), "2");
  EXPECT_EQ(views[1].struct_value().fields().at("view").struct_value().fields().at("id")
                .string_value(), shared_id);
  EXPECT_EQ(views[1].struct_value().fields().at("count").string_value(), "1");

  // Running the personal view: its sort, its columns, pages by cursor.
  httplib::Result page1 = Call(alice, "GET", "/api/v1/views/" + mine_id + "/tickets?limit=1");
  ASSERT_TRUE(page1);
  ASSERT_EQ(page1->status, 200) << page1->body;
  google::protobuf::Struct p1 = ParseJson(page1->body);
  const auto& t1 = p1.fields().at("tickets").list_value().values();
  ASSERT_EQ(t1.size(), 1u);
  EXPECT_EQ(t1[0].struct_value().fields().at("subject").string_value(), "Printer on fire");
  const auto& cols = p1.fields().at("view").struct_value().fields().at("columns").list_value();
  ASSERT_EQ(cols.values_size(), 2);
  EXPECT_EQ(cols.values(1).string_value(), "subject");
  const std::string cursor = p1.fields().at("nextCursor").string_value();
  ASSERT_FALSE(cursor.empty());
  httplib::Result page2 = Call(alice, "GET", absl::StrCat("/api/v1/views/", mine_id,
                                                          "/tickets?limit=1&cursor=", cursor));
  ASSERT_TRUE(page2);
  ASSERT_EQ(page2->status, 200) << page2->body;
  EXPECT_THAT(page2->body, HasSubstr("VPN drops"));
  EXPECT_THAT(page2->body, Not(HasSubstr("Printer on fire")));
  httplib::Result urgent_page = Call(alice, "GET", "/api/v1/views/" + shared_id + "/tickets");
  ASSERT_TRUE(urgent_page);
  EXPECT_THAT(urgent_page->body, HasSubstr(absl::StrCat("\"id\":\"", urgent.id(), "\"")));
  EXPECT_THAT(urgent_page->body, Not(HasSubstr("VPN drops")));

  // A view naming an unknown column or sort is a 400 naming it; so is a bad
  // query parameter or body field.
  httplib::Result bad_col = Call(alice, "POST", "/api/v1/views",
                                 R"({"name":"Bad","columns":["id","no_such_column"]})");
  ASSERT_TRUE(bad_col);
  EXPECT_EQ(bad_col->status, 400);
  EXPECT_THAT(bad_col->body, HasSubstr("no_such_column"));
  httplib::Result bad_sort = Call(alice, "POST", "/api/v1/views",
                                  R"({"name":"Bad","sort":"shoe_size"})");
  ASSERT_TRUE(bad_sort);
  EXPECT_EQ(bad_sort->status, 400);
  EXPECT_THAT(bad_sort->body, HasSubstr("shoe_size"));
  httplib::Result bad_field = Call(alice, "POST", "/api/v1/views",
                                   R"({"name":"Bad","colour":"red"})");
  ASSERT_TRUE(bad_field);
  EXPECT_EQ(bad_field->status, 400);
  EXPECT_THAT(bad_field->body, HasSubstr("colour"));
  httplib::Result bad_limit = Call(alice, "GET", "/api/v1/views/" + mine_id + "/tickets?limit=0");
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, 400);
  EXPECT_THAT(bad_limit->body, HasSubstr("limit"));

  // Another agent neither sees, runs nor deletes alice's personal view.
  httplib::Result other_list = Call(other, "GET", "/api/v1/views");
  ASSERT_TRUE(other_list);
  EXPECT_THAT(other_list->body, Not(HasSubstr("Support")));
  EXPECT_EQ(Status(other, "GET", "/api/v1/views/" + mine_id + "/tickets"), 404);
  EXPECT_EQ(Call(other, "DELETE", "/api/v1/views/" + mine_id)->status, 404);
  EXPECT_EQ(Call(alice, "DELETE", "/api/v1/views/" + shared_id)->status, 403);

  // Alice deletes hers; it is gone.
  EXPECT_EQ(Call(alice, "DELETE", "/api/v1/views/" + mine_id)->status, 204);
  EXPECT_EQ(Status(alice, "GET", "/api/v1/views/" + mine_id + "/tickets"), 404);
  EXPECT_EQ(Call(admin, "DELETE", "/api/v1/views/" + shared_id)->status, 204);
  httplib::Result empty = Call(alice, "GET", "/api/v1/views");
  ASSERT_TRUE(empty);
  EXPECT_THAT(empty->body, Not(HasSubstr("Urgent")));
}

TEST_F(ServerTest, OpenApiDescribesExactlyTheRoutes) {
  std::ifstream in(std::string(HELPDESK_SOURCE_DIR) + "/docs/openapi.json");
  ASSERT_TRUE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  google::protobuf::Struct doc = ParseJson(ss.str());
  std::set<std::string> described;
  for (const auto& [path, item] : doc.fields().at("paths").struct_value().fields()) {
    for (const auto& [method, op] : item.struct_value().fields()) {
      if (method == "parameters") continue;
      described.insert(absl::AsciiStrToUpper(method) + " " + path);
    }
  }
  std::set<std::string> served;
  for (const RouteInfo& r : ApiServer::Routes()) served.insert(r.method + " " + r.path);
  EXPECT_EQ(described, served);
}

}  // namespace
}  // namespace helpdesk::serve
