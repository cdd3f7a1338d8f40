// CopyStore (helpdesk/storage/store_copy.h, issue 17's `helpdesk migrate`):
// a desk holding every kind of data, made through the Desk API on SQLite
// (with tickets purged by retention and a view deleted, so ids have gaps),
// copied into a fresh memory, SQLite and (with $HELPDESK_TEST_POSTGRES)
// PostgreSQL store and compared through the Store port; a desk opened on the
// copy keeps working (tracking links resolve, automations do not fire again,
// new ids follow the copied ones). Non-empty targets are refused and a failed
// copy writes nothing.
#include "helpdesk/storage/store_copy.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#ifdef HELPDESK_TEST_WITH_POSTGRES
#include "postgres_test_support.h"
#endif

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::google::protobuf::util::MessageDifferencer;

template <typename T>
T WithoutVersion(T t) {
  t.set_version(0);
  return t;
}

template <typename T>
void ExpectSameList(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(a[i], b[i]))
        << what << " " << i << "\n" << a[i].DebugString() << "vs\n" << b[i].DebugString();
  }
}

class StoreCopyTest : public ::testing::TestWithParam<std::string> {
 protected:
  absl::StatusOr<std::unique_ptr<Store>> NewTarget() {
    if (GetParam() == "memory") return std::unique_ptr<Store>(NewMemoryStore());
    if (GetParam() == "sqlite") return OpenSqliteStore(":memory:");
#ifdef HELPDESK_TEST_WITH_POSTGRES
    return testing::OpenFreshPostgresStore();
#else
    return absl::UnimplementedError("built without PostgreSQL");
#endif
  }

  void SetUp() override {
    if (GetParam() == "postgres") {
#ifdef HELPDESK_TEST_WITH_POSTGRES
      if (!testing::RequireTestPostgres()) {
        if (HasFailure()) FAIL() << "no PostgreSQL server in CI";
        return;
      }
#else
      GTEST_SKIP() << "built without PostgreSQL (HELPDESK_WITH_POSTGRES)";
#endif
    }
    ASSERT_OK_AND_ASSIGN(source_, OpenSqliteStore(":memory:"));
    ASSERT_OK_AND_ASSIGN(target_, NewTarget());
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = source_.get(), .clock = &clock_}));
    MakeEverything();
  }

  // Every kind of data the Store port keeps.
  void MakeEverything() {
    const v1::Actor sys = SystemActor();
    ASSERT_OK_AND_ASSIGN(v1::Organization acme,
                         desk_->people().CreateOrganization(sys, "Acme", {"acme.example"}));
    ASSERT_OK_AND_ASSIGN(v1::Group billing, desk_->people().CreateGroup(sys, "Billing"));
    ASSERT_OK_AND_ASSIGN(v1::Agent root, desk_->people().CreateAgent(
                                             sys, {.name = "Root", .email = "root@desk.example",
                                                   .role = v1::Agent::ADMIN}));
    ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(
                                            sys, {.name = "Bob", .email = "bob@desk.example"}));
    admin_ = AgentActor(root.id());
    bob_ = AgentActor(bob.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact ada, desk_->people().CreateContact(
                                              sys, {.name = "Ada", .emails = {"ada@acme.example"}}));
    ASSERT_OK_AND_ASSIGN(v1::Contact eve, desk_->people().CreateContact(
                                              sys, {.name = "Eve", .emails = {"eve@x.example"}}));
    const v1::Actor ada_actor = ContactActor(ada.id());
    // An old ticket, closed, with a message, a time entry and events:
    // retention purges it below, leaving gaps in every id sequence.
    ASSERT_OK_AND_ASSIGN(v1::Ticket old, desk_->tickets().Create(
                                             ContactActor(eve.id()),
                                             {.subject = "Old", .description = "old question"}));
    ASSERT_THAT(desk_->tickets().AddMessage(bob_, old.id(), {.body_text = "old answer"}).status(),
                IsOk());
    ASSERT_THAT(desk_->tickets().LogTime(bob_, old.id(), {.minutes = 5}).status(), IsOk());
    ASSERT_THAT(desk_->tickets().Update(bob_, old.id(), {.status = "solved", .assignee_id = bob_.id()}).status(),
                IsOk());
    ASSERT_THAT(desk_->tickets().Update(bob_, old.id(), {.status = "closed"}).status(), IsOk());
    clock_.Advance(absl::Hours(72));
    ASSERT_OK_AND_ASSIGN(t1_, desk_->tickets().Create(
                                  ada_actor, {.subject = "Cannot log in",
                                              .description = "Help",
                                              .attachments = {{.file_name = "shot.png",
                                                               .media_type = "image/png",
                                                               .content = "\x89PNG bytes"}}}));
    ASSERT_THAT(desk_->tickets().AddMessage(bob_, t1_.id(), {.body_text = "Hello Ada"}).status(),
                IsOk());
    ASSERT_OK_AND_ASSIGN(v1::Ticket t2, desk_->tickets().Create(
                                            ada_actor, {.subject = "Same", .description = "again"}));
    ASSERT_OK_AND_ASSIGN(v1::Ticket t3, desk_->tickets().Create(
                                            ada_actor, {.subject = "Dup", .description = "dup"}));
    ASSERT_THAT(desk_->tickets().Merge(bob_, t3.id(), t2.id()).status(), IsOk());
    ASSERT_OK_AND_ASSIGN(RetentionResult purged, desk_->privacy().RunRetention(
                                                     sys, {.closed_ticket_days = 1}));
    ASSERT_EQ(purged.run.purged_ticket_ids_size(), 1);
    ASSERT_THAT(desk_->tickets().LogTime(bob_, t1_.id(), {.minutes = 30, .activity = "call"})
                    .status(),
                IsOk());
    // Tracking: t1's link works, t2's was revoked.
    ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_actor, t1_.id()));
    token_ = link.token;
    ASSERT_OK_AND_ASSIGN(TrackingLink revoked, desk_->tracking().Issue(ada_actor, t2.id()));
    revoked_token_ = revoked.token;
    ASSERT_THAT(desk_->tracking().Revoke(ada_actor, t2.id()).status(), IsOk());
    // Views: the first deleted (a gap), two kept.
    ASSERT_OK_AND_ASSIGN(v1::SavedView gone, desk_->views().Create(bob_, {.name = "gone"}));
    ASSERT_THAT(desk_->views().Create(bob_, {.name = "mine"}).status(), IsOk());
    ASSERT_THAT(desk_->views().Create(admin_, {.name = "shared", .shared = true}).status(),
                IsOk());
    ASSERT_THAT(desk_->views().Delete(bob_, gone.id()), IsOk());
    // Knowledge base: revisions, a restricted audience, views, votes, a
    // suggestion session with its outcome.
    ASSERT_OK_AND_ASSIGN(v1::KbArticle a, desk_->kb().Create(
                                              admin_, {.locale = "en",
                                                       .title = "Reset your password",
                                                       .body_markdown = "Click *reset*.",
                                                       .category = "Accounts"}));
    ASSERT_THAT(desk_->kb().Edit(admin_, a.id(), "en", "Reset your password",
                                 "Click **reset** and check mail.", "clearer")
                    .status(),
                IsOk());
    ASSERT_THAT(desk_->kb().Publish(admin_, a.id(), "en").status(), IsOk());
    ASSERT_THAT(desk_->kb().View(ada_actor, a.id(), "en").status(), IsOk());
    ASSERT_THAT(desk_->kb().Vote(ada_actor, a.id(), true), IsOk());
    ASSERT_OK_AND_ASSIGN(v1::KbArticle b, desk_->kb().Create(
                                              admin_, {.locale = "en",
                                                       .title = "Invoices for Acme",
                                                       .body_markdown = "Billing only."}));
    ASSERT_THAT(desk_->kb().Publish(admin_, b.id(), "en").status(), IsOk());
    ASSERT_THAT(desk_->kb().SetVisibility(admin_, b.id(), v1::KbArticle::RESTRICTED,
                                          {billing.id()}, {acme.id()})
                    .status(),
                IsOk());
    ASSERT_OK_AND_ASSIGN(v1::KbSuggestionSession s,
                         desk_->kb().Suggest(ada_actor, {.question = "reset password"}));
    ASSERT_THAT(desk_->kb().RecordOutcome(ada_actor, s.id(), 0), IsOk());
    // Quarantine and outbox.
    ASSERT_THAT(
        desk_->inbox().QuarantineRaw(v1::CHANNEL_EMAIL, "imap", "not mail", "unparseable").status(),
        IsOk());
    {
      ASSERT_OK_AND_ASSIGN(auto tx, source_->Begin(TransactionMode::kReadWrite));
      v1::OutboxEntry e;
      e.set_state(v1::OutboxEntry::PENDING);
      *e.mutable_created_at() = ToTimestamp(clock_.Now());
      *e.mutable_next_attempt_at() = ToTimestamp(clock_.Now());
      e.mutable_message()->set_channel(v1::CHANNEL_EMAIL);
      e.mutable_message()->set_idempotency_key("k1");
      e.mutable_message()->set_ticket_id(t1_.id());
      e.mutable_message()->add_to()->set_email("ada@acme.example");
      ASSERT_THAT(tx->InsertOutbox(&e), IsOk());
      // Automation state as Tick leaves it: a due time and a firing.
      ASSERT_THAT(tx->SetTicketAutomationDue(t1_.id(), clock_.Now() + absl::Hours(3)), IsOk());
      v1::RuleFirings firings;
      v1::RuleFiring* f = firings.add_firings();
      f->set_rule("remind after 1h");
      *f->mutable_window_start() = ToTimestamp(clock_.Now());
      ASSERT_THAT(tx->SetRuleFirings(t1_.id(), firings), IsOk());
      ASSERT_THAT(tx->Commit(), IsOk());
    }
  }

  // Everything the Store port can read, the same in both.
  void ExpectSame(Store& from, Store& to) {
    ASSERT_OK_AND_ASSIGN(auto a, from.Begin(TransactionMode::kReadOnly));
    ASSERT_OK_AND_ASSIGN(auto b, to.Begin(TransactionMode::kReadOnly));
    TicketQuery all;
    all.include_merged = true;
    all.sort = TicketSort::kIdAsc;
    all.limit = kMaxQueryLimit;
    ASSERT_OK_AND_ASSIGN(TicketPage ta, a->QueryTickets(all));
    ASSERT_OK_AND_ASSIGN(TicketPage tb, b->QueryTickets(all));
    ASSERT_EQ(ta.tickets.size(), 3u);
    ASSERT_EQ(tb.tickets.size(), 3u);
    for (size_t i = 0; i < ta.tickets.size(); ++i) {
      const int64_t id = ta.tickets[i].id();
      EXPECT_TRUE(MessageDifferencer::Equals(WithoutVersion(ta.tickets[i]),
                                             WithoutVersion(tb.tickets[i])))
          << ta.tickets[i].DebugString() << tb.tickets[i].DebugString();
      ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> ma, a->ListMessages(id));
      ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> mb, b->ListMessages(id));
      ExpectSameList(ma, mb, "messages");
      for (const v1::Message& m : ma) {
        for (const v1::Attachment& at : m.attachments()) {
          ASSERT_OK_AND_ASSIGN(std::string ca, a->GetAttachmentContent(at.sha256()));
          ASSERT_OK_AND_ASSIGN(std::string cb, b->GetAttachmentContent(at.sha256()));
          EXPECT_EQ(ca, cb);
        }
      }
      ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> ea, a->ListTicketEvents(id, 0, 10000));
      ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> eb, b->ListTicketEvents(id, 0, 10000));
      ExpectSameList(ea, eb, "ticket events");
      ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> xa, a->ListTimeEntries(id));
      ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> xb, b->ListTimeEntries(id));
      ExpectSameList(xa, xb, "time entries");
      ASSERT_OK_AND_ASSIGN(std::optional<TrackingTokenRecord> la, a->GetTrackingTokenOfTicket(id));
      ASSERT_OK_AND_ASSIGN(std::optional<TrackingTokenRecord> lb, b->GetTrackingTokenOfTicket(id));
      ASSERT_EQ(la.has_value(), lb.has_value());
      if (la) {
        EXPECT_EQ(la->token_sha256, lb->token_sha256);
        EXPECT_EQ(la->created_at, lb->created_at);
      }
      ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> da, a->GetTicketAutomationDue(id));
      ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> db, b->GetTicketAutomationDue(id));
      EXPECT_EQ(da, db);
      ASSERT_OK_AND_ASSIGN(v1::RuleFirings fa, a->GetRuleFirings(id));
      ASSERT_OK_AND_ASSIGN(v1::RuleFirings fb, b->GetRuleFirings(id));
      EXPECT_TRUE(MessageDifferencer::Equals(fa, fb));
    }
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> ea, a->ListEventsSince(0, 10000));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> eb, b->ListEventsSince(0, 10000));
    ExpectSameList(ea, eb, "events");
    ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> xa, a->ListTimeEntriesLogged({}));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::TimeEntry> xb, b->ListTimeEntriesLogged({}));
    ExpectSameList(xa, xb, "time entries");
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Agent> aa, a->ListAgents());
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Agent> ab, b->ListAgents());
    ASSERT_EQ(aa.size(), ab.size());
    for (size_t i = 0; i < aa.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(WithoutVersion(aa[i]), WithoutVersion(ab[i])));
      ASSERT_OK_AND_ASSIGN(std::vector<v1::AgentEvent> xa2, a->ListAgentEvents(aa[i].id(), 0, 0));
      ASSERT_OK_AND_ASSIGN(std::vector<v1::AgentEvent> xb2, b->ListAgentEvents(aa[i].id(), 0, 0));
      ExpectSameList(xa2, xb2, "agent events");
    }
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Group> ga, a->ListGroups());
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Group> gb, b->ListGroups());
    ExpectSameList(ga, gb, "groups");
    for (int64_t id = 1; id <= 2; ++id) {
      ASSERT_OK_AND_ASSIGN(v1::Contact ca, a->GetContact(id));
      ASSERT_OK_AND_ASSIGN(v1::Contact cb, b->GetContact(id));
      EXPECT_TRUE(MessageDifferencer::Equals(WithoutVersion(ca), WithoutVersion(cb)));
    }
    ASSERT_OK_AND_ASSIGN(v1::Organization oa, a->GetOrganization(1));
    ASSERT_OK_AND_ASSIGN(v1::Organization ob, b->GetOrganization(1));
    EXPECT_TRUE(MessageDifferencer::Equals(oa, ob));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> va, a->ListViews(std::nullopt));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::SavedView> vb, b->ListViews(std::nullopt));
    ASSERT_EQ(va.size(), 2u);
    ASSERT_EQ(vb.size(), 2u);
    for (size_t i = 0; i < va.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(WithoutVersion(va[i]), WithoutVersion(vb[i])));
    }
    ASSERT_OK_AND_ASSIGN(std::vector<v1::KbArticle> ka, a->ListKbArticles(0, 100));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::KbArticle> kb, b->ListKbArticles(0, 100));
    ASSERT_EQ(ka.size(), 2u);
    ASSERT_EQ(kb.size(), 2u);
    EXPECT_EQ(ka[0].revisions_size(), 2);
    EXPECT_EQ(ka[0].helpful_votes(), 1);
    for (size_t i = 0; i < ka.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(WithoutVersion(ka[i]), WithoutVersion(kb[i])))
          << ka[i].DebugString() << kb[i].DebugString();
    }
    ASSERT_OK_AND_ASSIGN(std::vector<v1::KbSuggestionSession> sa,
                         a->ListKbSuggestionSessions(0, 100));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::KbSuggestionSession> sb,
                         b->ListKbSuggestionSessions(0, 100));
    ASSERT_EQ(sa.size(), 1u);
    ExpectSameList(sa, sb, "suggestion sessions");
    ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> oa2, a->ListOutbox(std::nullopt, 0, 100));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::OutboxEntry> ob2, b->ListOutbox(std::nullopt, 0, 100));
    ASSERT_FALSE(oa2.empty());
    ExpectSameList(oa2, ob2, "outbox");
    ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> qa,
                         a->ListQuarantine(std::nullopt, 0, 100));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::QuarantineEntry> qb,
                         b->ListQuarantine(std::nullopt, 0, 100));
    ASSERT_EQ(qa.size(), 1u);
    ExpectSameList(qa, qb, "quarantine");
  }

  ManualClock clock_{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<Store> source_;
  std::unique_ptr<Store> target_;
  std::unique_ptr<Desk> desk_;
  v1::Actor admin_, bob_;
  v1::Ticket t1_;
  std::string token_, revoked_token_;
};

TEST_P(StoreCopyTest, CopiesEverythingWithIdsKept) {
  ASSERT_OK_AND_ASSIGN(StoreCopyCounts counts, CopyStore(*source_, *target_));
  EXPECT_EQ(counts.tickets, 3);
  EXPECT_EQ(counts.tracking_links, 1);
  EXPECT_EQ(counts.automation_states, 1);
  EXPECT_EQ(counts.time_entries, 1);
  EXPECT_EQ(counts.views, 2);
  EXPECT_EQ(counts.kb_articles, 2);
  EXPECT_EQ(counts.kb_sessions, 1);
  EXPECT_EQ(counts.attachments, 1);
  EXPECT_EQ(counts.quarantine, 1);
  EXPECT_THAT(counts.Summary(), HasSubstr("copied 3 tickets"));
  ExpectSame(*source_, *target_);
}

TEST_P(StoreCopyTest, ADeskOnTheCopyCarriesOn) {
  ASSERT_THAT(CopyStore(*source_, *target_).status(), IsOk());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> copy,
                       Desk::Open({.store = target_.get(), .clock = &clock_}));
  // Tracking links resolve by token; the revoked one still does not.
  ASSERT_OK_AND_ASSIGN(TrackedTicket tracked, copy->tracking().Track(token_));
  EXPECT_EQ(tracked.ticket_id, t1_.id());
  EXPECT_THAT(copy->tracking().Track(revoked_token_).status(),
              StatusIs(absl::StatusCode::kNotFound));
  // The knowledge base is searchable (its index rebuilt by the target).
  ASSERT_OK_AND_ASSIGN(KbSearchPage page,
                       copy->kb().Search(AnonymousVisitor(), {.query = "password"}));
  EXPECT_FALSE(page.results.empty());
  // New objects get ids after the copied ones, never a purged ticket's.
  ASSERT_OK_AND_ASSIGN(auto tx, source_->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events, tx->ListEventsSince(0, 10000));
  ASSERT_OK_AND_ASSIGN(v1::Ticket fresh,
                       copy->tickets().Create(ContactActor(1), {.subject = "After", .description = "x"}));
  EXPECT_GT(fresh.id(), t1_.id() + 2);
  ASSERT_OK_AND_ASSIGN(auto tx2, target_->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> after, tx2->ListEventsSince(events.back().id(), 10));
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after[0].ticket_id(), fresh.id());
}

TEST_P(StoreCopyTest, RefusesANonEmptyTargetAndWritesNothingOnFailure) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> other,
                       Desk::Open({.store = target_.get(), .clock = &clock_}));
  ASSERT_OK_AND_ASSIGN(v1::Organization org,
                       other->people().CreateOrganization(SystemActor(), "Already here"));
  EXPECT_THAT(CopyStore(*source_, *target_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is not empty")));
  // Forced: the first id the target already uses fails the whole copy.
  EXPECT_THAT(CopyStore(*source_, *target_, {.allow_non_empty = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("organization 1")));
  ASSERT_OK_AND_ASSIGN(auto tx, target_->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Agent> agents, tx->ListAgents());
  EXPECT_TRUE(agents.empty());
  EXPECT_THAT(tx->GetOrganization(2).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetContact(1).status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreCopyTest, AFailureLateInTheCopyLeavesTheTargetEmpty) {
  StoreCopyOptions options;
  options.extra = [](Transaction&) { return absl::DataLossError("extra: disk gone"); };
  EXPECT_THAT(CopyStore(*source_, *target_, options),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("disk gone")));
  ASSERT_OK_AND_ASSIGN(auto tx, target_->Begin(TransactionMode::kReadOnly));
  TicketQuery any;
  any.include_merged = true;
  ASSERT_OK_AND_ASSIGN(TicketPage page, tx->QueryTickets(any));
  EXPECT_TRUE(page.tickets.empty());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events, tx->ListEventsSince(0, 10));
  EXPECT_TRUE(events.empty());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::KbArticle> articles, tx->ListKbArticles(0, 10));
  EXPECT_TRUE(articles.empty());
}

TEST_P(StoreCopyTest, RefusesToCopyAStoreIntoItself) {
  EXPECT_THAT(CopyStore(*source_, *source_), StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Targets, StoreCopyTest,
                         ::testing::Values("memory", "sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace helpdesk
