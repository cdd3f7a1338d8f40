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
          ticket_ = 0;
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
