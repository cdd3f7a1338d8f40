// CSAT: a survey with a signed rating link on solve, on the ticket's channel;
// ratings by token (HMAC-SHA256, constant-time check, expiry) or by the
// requester on any channel, recorded on the ticket with CSAT_RECEIVED.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/web_form.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/rules.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class CsatTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(v1::SatisfactionRating::FIVE_POINT); }

  void Open(v1::SatisfactionRating::Scale scale) {
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    o.ingest.desk_email = "help@desk.example";
    o.csat = {.survey_on_solve = true,
              .secret = "0123456789abcdef-test-secret",
              .scale = scale,
              .rating_url = "https://help.example.com/rate",
              .link_lifetime = absl::Hours(24 * 7)};
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
    if (bob_.id() != 0) return;  // the store keeps the agent
    ASSERT_OK_AND_ASSIGN(v1::Agent bob,
                         desk_->people().CreateAgent(
                             SystemActor(), {.name = "Bob", .email = "bob@desk.example"}));
    bob_ = AgentActor(bob.id());
  }

  int64_t MailTicket(absl::string_view from, absl::string_view id) {
    v1::InboundMessage m;
    m.set_channel(v1::CHANNEL_EMAIL);
    m.set_external_id(std::string(id));
    m.mutable_from()->set_email(std::string(from));
    m.mutable_from()->set_name("Ada");
    m.add_to()->set_email("help@desk.example");
    m.set_subject("Printer");
    m.set_body_text("It jams.");
    m.mutable_threading()->set_message_id(std::string(id));
    absl::StatusOr<IngestResult> r = desk_->inbox().Ingest(m);
    EXPECT_THAT(r, testing::IsOk());
    return r.ok() ? r->ticket_id : 0;
  }

  void Solve(int64_t ticket) {
    ASSERT_THAT(desk_->tickets().Update(bob_, ticket,
                                        {.status = "solved", .assignee_id = bob_.id()}),
                testing::IsOk());
  }

  std::vector<v1::OutboxEntry> Outbox() {
    absl::StatusOr<std::vector<v1::OutboxEntry>> all =
        desk_->outbox().List(SystemActor(), std::nullopt, 0, 100);
    EXPECT_THAT(all, testing::IsOk());
    return all.ok() ? *all : std::vector<v1::OutboxEntry>{};
  }

  // The token of the last survey in the outbox.
  std::string LastToken() {
    std::vector<v1::OutboxEntry> out = Outbox();
    if (out.empty()) return "";
    const std::string& body = out.back().message().body_text();
    size_t at = body.find("token=");
    if (at == std::string::npos) return "";
    size_t end = body.find_first_of(" \n", at);
    return body.substr(at + 6, end == std::string::npos ? end : end - at - 6);
  }

  std::vector<v1::Event> Events(int64_t ticket, v1::Event::Kind kind) {
    std::vector<v1::Event> out;
    absl::StatusOr<std::vector<v1::Event>> log =
        desk_->tickets().AuditLog(SystemActor(), ticket);
    EXPECT_THAT(log, testing::IsOk());
    if (log.ok()) {
      for (const v1::Event& e : *log) {
        if (e.kind() == kind) out.push_back(e);
      }
    }
    return out;
  }

  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Store> store_ = NewMemoryStore();
  std::unique_ptr<Desk> desk_;
  v1::Actor bob_;
};

TEST_F(CsatTest, SolvingSendsASurveyWhoseSignedLinkRatesTheTicket) {
  const int64_t ticket = MailTicket("ada@example.com", "1@x");
  Solve(ticket);
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(1));
  const v1::OutboundMessage& survey = out[0].message();
  EXPECT_TRUE(survey.automatic());
  EXPECT_EQ(survey.to(0).email(), "ada@example.com");
  EXPECT_THAT(survey.body_text(), HasSubstr("https://help.example.com/rate?token="));
  const std::string token = LastToken();
  ASSERT_THAT(token, HasSubstr(absl::StrCat(ticket, ".")));

  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(v1::Ticket rated,
                       desk_->tickets().RateSatisfaction(
                           IntegrationActor("rating-page"),
                           {.token = token, .score = 4, .comment = "Quick, thanks"}));
  EXPECT_EQ(rated.satisfaction().score(), 4);
  EXPECT_EQ(rated.satisfaction().scale(), v1::SatisfactionRating::FIVE_POINT);
  EXPECT_EQ(rated.satisfaction().comment(), "Quick, thanks");
  EXPECT_EQ(rated.satisfaction().rated_by().kind(), v1::Actor::CONTACT);
  EXPECT_EQ(rated.satisfaction().rated_by().id(), rated.requester_id());
  EXPECT_EQ(rated.status(), "solved");
  std::vector<v1::Event> got = Events(ticket, v1::Event::CSAT_RECEIVED);
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0].note(), "4/5: Quick, thanks");
  EXPECT_EQ(got[0].actor().kind(), v1::Actor::CONTACT);

  // A second rating replaces the first.
  ASSERT_OK_AND_ASSIGN(rated, desk_->tickets().RateSatisfaction(
                                  IntegrationActor("rating-page"), {.token = token, .score = 2}));
  EXPECT_EQ(rated.satisfaction().score(), 2);
  ASSERT_OK_AND_ASSIGN(v1::Ticket stored, desk_->tickets().Get(SystemActor(), ticket));
  EXPECT_EQ(stored.satisfaction().score(), 2);
  EXPECT_THAT(Events(ticket, v1::Event::CSAT_RECEIVED), SizeIs(2));
}

TEST_F(CsatTest, ATamperedForgedOrExpiredTokenIsRefused) {
  const int64_t ticket = MailTicket("ada@example.com", "1@x");
  const int64_t other = MailTicket("eve@example.com", "2@x");
  Solve(ticket);
  Solve(other);
  const std::string token = Outbox()[0].message().body_text().substr(
      Outbox()[0].message().body_text().find("token=") + 6, std::string::npos);
  const std::string good = token.substr(0, token.find_first_of(" \n"));
  const v1::Actor page = IntegrationActor("rating-page");

  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_THAT(desk_->tickets().RateSatisfaction(page, {.token = flipped, .score = 5}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature")));
  // The same signature on another ticket id.
  std::string moved = absl::StrCat(other, good.substr(good.find('.')));
  EXPECT_THAT(desk_->tickets().RateSatisfaction(page, {.token = moved, .score = 5}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Another scale.
  std::string rescaled = good;
  rescaled[rescaled.find('.') + 1] = '1';
  EXPECT_THAT(desk_->tickets().RateSatisfaction(page, {.token = rescaled, .score = 5}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (const char* bad : {"", "x", "1.2.3", "1.2.3.abc", "a.b.c.d"}) {
    if (std::string(bad).empty()) continue;
    EXPECT_THAT(desk_->tickets().RateSatisfaction(page, {.token = bad, .score = 5}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token")))
        << bad;
  }
  EXPECT_THAT(desk_->tickets().RateSatisfaction(page, {.token = good, .score = 9}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("score: 9")));
  clock_.Advance(absl::Hours(24 * 7 + 1));
  EXPECT_THAT(desk_->tickets().RateSatisfaction(page, {.token = good, .score = 5}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("expired")));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), ticket));
  EXPECT_FALSE(t.has_satisfaction());
  EXPECT_THAT(Events(ticket, v1::Event::CSAT_RECEIVED), IsEmpty());
}

TEST_F(CsatTest, TheRequesterRatesFromAnyChannelOthersMayNot) {
  Open(v1::SatisfactionRating::GOOD_BAD);
  absl::StatusOr<v1::InboundMessage> chat = NewChatInbound()->Parse(
      R"({"sessionId": "s-1", "messageId": "s-1/1", "visitor": {"name": "Ada",)"
      R"( "chatHandle": "visitor-1"}, "text": "hello"})",
      clock_.Now());
  ASSERT_OK(chat.status());
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(*chat));
  const int64_t stranger_ticket = MailTicket("eve@example.com", "e@x");
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), r.ticket_id));
  const v1::Actor ada = ContactActor(t.requester_id());
  // Not solved yet.
  EXPECT_THAT(desk_->tickets().RateSatisfaction(ada, {.ticket_id = t.id(), .score = 5}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not solved")));
  Solve(t.id());
  // The survey went out on the chat, to its session.
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message().channel(), v1::CHANNEL_CHAT);
  EXPECT_EQ(out[0].message().destination(), "s-1");
  // Good/bad takes 1 or 5 only.
  EXPECT_THAT(desk_->tickets().RateSatisfaction(ada, {.ticket_id = t.id(), .score = 3}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("good/bad")));
  ASSERT_OK_AND_ASSIGN(v1::Ticket rated,
                       desk_->tickets().RateSatisfaction(
                           ada, {.ticket_id = t.id(), .score = 5, .comment = "great"}));
  EXPECT_EQ(rated.satisfaction().score(), 5);
  EXPECT_EQ(rated.satisfaction().scale(), v1::SatisfactionRating::GOOD_BAD);
  ASSERT_THAT(Events(t.id(), v1::Event::CSAT_RECEIVED), SizeIs(1));
  EXPECT_EQ(Events(t.id(), v1::Event::CSAT_RECEIVED)[0].note(), "good: great");
  // Another customer cannot rate Ada's ticket (they cannot even see it).
  ASSERT_OK_AND_ASSIGN(v1::Ticket eves, desk_->tickets().Get(SystemActor(), stranger_ticket));
  const v1::Actor eve = ContactActor(eves.requester_id());
  EXPECT_FALSE(desk_->tickets().RateSatisfaction(eve, {.ticket_id = t.id(), .score = 1}).ok());
  // An agent records a rating given on the phone.
  Solve(stranger_ticket);
  ASSERT_OK_AND_ASSIGN(v1::Ticket by_agent,
                       desk_->tickets().RateSatisfaction(
                           bob_, {.ticket_id = stranger_ticket, .score = 1}));
  EXPECT_EQ(by_agent.satisfaction().rated_by().kind(), v1::Actor::AGENT);
}

TEST_F(CsatTest, NoSurveyWithoutTheOptionAndBadOptionsAreRefused) {
  DeskOptions o{.store = store_.get(), .clock = &clock_};
  o.ingest.desk_email = "help@desk.example";
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(o));
  const int64_t ticket = MailTicket("ada@example.com", "1@x");
  Solve(ticket);
  EXPECT_THAT(Outbox(), IsEmpty());
  // Without a secret no token is ever accepted.
  EXPECT_THAT(desk_->tickets().RateSatisfaction(
                  SystemActor(),
                  {.token = absl::StrCat(ticket, ".2.9999999999.", std::string(64, 'a')),
                   .score = 5}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  o.csat = {.survey_on_solve = true, .secret = "short"};
  EXPECT_THAT(Desk::Open(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("csat.secret")));
}

// How the Desk's rule context reads a rating (rules.h: RuleContext::
// csat_rating and csat_received): the score from Ticket.satisfaction, and
// "received" when the command wrote CSAT_RECEIVED. A low rating fires a
// "csat.rating at_most 2" trigger; a high one does not.
TEST_F(CsatTest, RulesReadTheRatingAsCsatRating) {
  ASSERT_OK_AND_ASSIGN(
      RuleSet rules,
      RuleSet::FromText(R"pb(
        rules {
          name: "unhappy"
          on { kind: CSAT_RECEIVED }
          all { field: "csat.rating" op: "at_most" value: "2" }
          actions { add_tags { tags: [ "unhappy" ] } }
        })pb",
                        Workflow::Default(), {}));
  for (int score : {1, 2, 4, 5}) {
    SCOPED_TRACE(score);
    const int64_t ticket = MailTicket("ada@example.com", absl::StrCat(score, "@x"));
    Solve(ticket);
    ASSERT_OK_AND_ASSIGN(v1::Ticket rated,
                         desk_->tickets().RateSatisfaction(
                             bob_, {.ticket_id = ticket, .score = score}));
    std::vector<v1::Event> written = Events(ticket, v1::Event::CSAT_RECEIVED);
    RuleContext context;
    context.ticket = &rated;
    context.csat_rating = rated.satisfaction().score();
    context.csat_received = !written.empty();
    context.now = clock_.Now();
    ASSERT_OK_AND_ASSIGN(RuleOutcome outcome, rules.Run(context, written));
    EXPECT_THAT(outcome.actions, SizeIs(score <= 2 ? 1 : 0));
  }
}

}  // namespace
}  // namespace helpdesk
