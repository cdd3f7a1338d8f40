// Routing inside the Desk: decisions as ROUTED events with their reasons,
// work that waits visibly until someone can take it, capacity, offers that
// are declined or run out (never offered again), pull, presence changes with
// their re-queue rules and backup agents, time-based steps through Tick, and
// the state rebuilt from the store after a restart, and the sticky owner: the
// agent who answered a customer gets their next ticket.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/audit.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#include "absl/synchronization/mutex.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<v1::Event> OfKind(const std::vector<v1::Event>& events,
                              v1::Event::Kind kind) {
  std::vector<v1::Event> out;
  for (const v1::Event& e : events) {
    if (e.kind() == kind) out.push_back(e);
  }
  return out;
}

class DeskRoutingTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      std::string name =
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      path_ = ::testing::TempDir() + "/desk_routing_" + name + ".db";
      std::remove(path_.c_str());
      std::remove((path_ + "-wal").c_str());
      std::remove((path_ + "-shm").c_str());
    }
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> OpenStore() {
    if (!GetParam()) return NewMemoryStore();
    absl::StatusOr<std::unique_ptr<Store>> s = OpenSqliteStore(path_);
    EXPECT_OK(s.status());
    return s.ok() ? *std::move(s) : nullptr;
  }

  // Opens the desk with `routing` and makes a group with two agents, Ana and
  // Bo, each taking two e-mails at once; both offline.
  void OpenDesk(RoutingOptions routing) {
    routing_ = routing;
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                            .clock = &clock_,
                                            .routing = routing}));
    ASSERT_OK_AND_ASSIGN(v1::Group g, desk_->people().CreateGroup(SystemActor(), "Support"));
    group_ = g.id();
    ana_ = MakeAgent("Ana", "ana@x.example", {{"spanish", 5}});
    bo_ = MakeAgent("Bo", "bo@x.example", {});
    ASSERT_OK_AND_ASSIGN(v1::Contact c,
                         desk_->people().CreateContact(SystemActor(),
                                              {.name = "Cy", .emails = {"cy@x.example"}}));
    customer_ = c.id();
  }

  int64_t MakeAgent(const std::string& name, const std::string& email,
                    std::vector<std::pair<std::string, int>> skills) {
    NewAgent a{.name = name, .email = email, .group_ids = {group_}};
    for (const auto& [skill, level] : skills) {
      v1::Skill s;
      s.set_name(skill);
      s.set_level(level);
      a.skills.push_back(s);
    }
    v1::ChannelCapacity cap;
    cap.set_channel(v1::CHANNEL_EMAIL);
    cap.set_max_items(2);
    a.capacity = {cap};
    absl::StatusOr<v1::Agent> agent = desk_->people().CreateAgent(SystemActor(), a);
    EXPECT_OK(agent.status());
    return agent.ok() ? agent->id() : 0;
  }

  void SetPresence(int64_t agent, v1::Presence p) {
    ASSERT_OK(desk_->people().SetAgentPresence(AgentActor(agent), agent, p).status());
  }

  v1::Ticket NewTicket(const std::string& subject,
                       std::vector<std::string> tags = {}) {
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(
        SystemActor(), {.subject = subject,
                        .requester_id = customer_,
                        .description = "please help",
                        .tags = std::move(tags),
                        .group_id = group_,
                        .channel = v1::CHANNEL_EMAIL});
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  // A new e-mail ticket of `requester` in the group.
  v1::Ticket NewTicketFrom(int64_t requester, const std::string& subject) {
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(
        SystemActor(), {.subject = subject,
                        .requester_id = requester,
                        .description = "please help",
                        .group_id = group_,
                        .channel = v1::CHANNEL_EMAIL});
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  // Another customer.
  int64_t MakeCustomer(const std::string& name, const std::string& email) {
    absl::StatusOr<v1::Contact> c =
        desk_->people().CreateContact(SystemActor(), {.name = name, .emails = {email}});
    EXPECT_OK(c.status());
    return c.ok() ? c->id() : 0;
  }

  void Write(const v1::Actor& author, int64_t ticket, v1::Message::Kind kind,
             const std::string& text) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_OK(desk_->tickets().AddMessage(author, ticket, {.kind = kind, .body_text = text})
                  .status());
  }

  v1::Contact Contact(int64_t id) {
    absl::StatusOr<v1::Contact> c = desk_->people().GetContact(SystemActor(), id);
    EXPECT_OK(c.status());
    return c.ok() ? *c : v1::Contact();
  }

  // The least-loaded policy inside the sticky-owner decorator.
  static RoutingOptions StickyRouting() {
    RoutingOptions r;
    r.policy.mutable_least_loaded();
    r.policy.mutable_sticky_owner();
    return r;
  }

  v1::Ticket Get(int64_t id) {
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Get(SystemActor(), id);
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  std::vector<v1::Event> Log(int64_t id) {
    absl::StatusOr<std::vector<v1::Event>> log = desk_->tickets().AuditLog(SystemActor(), id);
    EXPECT_OK(log.status());
    return log.ok() ? *log : std::vector<v1::Event>();
  }

  std::vector<int64_t> Queued() {
    absl::StatusOr<RoutingSnapshot> s = desk_->routing().State(SystemActor());
    EXPECT_OK(s.status());
    std::vector<int64_t> ids;
    if (s.ok()) {
      for (const auto& [id, since] : s->queued) ids.push_back(id);
    }
    return ids;
  }

  std::string path_;
  std::unique_ptr<Store> store_;
  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  RoutingOptions routing_;
  std::unique_ptr<Desk> desk_;
  int64_t group_ = 0, ana_ = 0, bo_ = 0, customer_ = 0;
};

TEST_P(DeskRoutingTest, NewTicketIsRoutedAndTheReasonCanBeReadBack) {
  OpenDesk({});
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket t = NewTicket("VPN drops");
  // The returned ticket already shows the routing decision.
  EXPECT_EQ(t.assignee_id(), ana_);
  EXPECT_FALSE(t.has_routing_queued_at());
  ASSERT_OK_AND_ASSIGN(v1::Event decision,
                       desk_->routing().LastDecision(SystemActor(), t.id()));
  EXPECT_EQ(decision.related_agent_id(), ana_);
  EXPECT_EQ(decision.actor().kind(), v1::Actor::SYSTEM);
  EXPECT_THAT(decision.note(), HasSubstr(absl::StrCat("agent ", ana_)));
  EXPECT_THAT(decision.note(), HasSubstr("least loaded"));
  ASSERT_THAT(decision.changes(), SizeIs(1));
  EXPECT_EQ(decision.changes(0).field(), v1::FieldChange::ASSIGNEE);
  EXPECT_EQ(decision.changes(0).after().agent_id(), ana_);
  EXPECT_EQ(decision.ticket_version(), t.version());
  // Customers see neither the log nor the decision.
  EXPECT_THAT(desk_->routing().LastDecision(ContactActor(customer_), t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(DeskRoutingTest, WorkNobodyCanTakeWaitsVisiblyAndGoesToTheFirstAgentOnline) {
  OpenDesk({});
  v1::Ticket first = NewTicket("first");
  v1::Ticket second = NewTicket("second");
  EXPECT_EQ(first.assignee_id(), 0);
  EXPECT_TRUE(first.has_routing_queued_at());
  EXPECT_THAT(Queued(), ElementsAre(first.id(), second.id()));
  EXPECT_THAT(desk_->routing().LastDecision(SystemActor(), first.id()),
              StatusIs(absl::StatusCode::kNotFound));

  clock_.Advance(absl::Minutes(5));
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(first.id()).assignee_id(), bo_);
  EXPECT_EQ(Get(second.id()).assignee_id(), bo_);
  EXPECT_THAT(Queued(), IsEmpty());
  EXPECT_THAT(desk_->routing().LastDecision(SystemActor(), first.id())->note(),
              HasSubstr("waited 5m"));

  ASSERT_OK_AND_ASSIGN(std::vector<v1::AgentEvent> log,
                       desk_->people().AgentLog(AgentActor(bo_), bo_));
  ASSERT_THAT(log, SizeIs(2));
  EXPECT_EQ(log[0].kind(), v1::AgentEvent::AGENT_CREATED);
  EXPECT_EQ(log[1].kind(), v1::AgentEvent::PRESENCE_CHANGED);
  ASSERT_THAT(log[1].changes(), SizeIs(1));
  EXPECT_EQ(log[1].changes(0).before().presence(), v1::PRESENCE_OFFLINE);
  EXPECT_EQ(log[1].changes(0).after().presence(), v1::PRESENCE_ONLINE);
  EXPECT_EQ(RenderValue(log[1].changes(0).after()), "online");
  EXPECT_EQ(log[1].actor().id(), bo_);
}

TEST_P(DeskRoutingTest, NeverAboveCapacityAndFreedCapacityTakesTheNextTicket) {
  OpenDesk({});
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket a = NewTicket("a"), b = NewTicket("b"), c = NewTicket("c");
  EXPECT_EQ(a.assignee_id(), ana_);
  EXPECT_EQ(b.assignee_id(), ana_);
  EXPECT_EQ(c.assignee_id(), 0);  // Ana is full (2 e-mails)
  // Pending work does not count against capacity; solving frees it.
  ASSERT_OK(desk_->tickets().Update(AgentActor(ana_), a.id(), {.status = "pending"}).status());
  EXPECT_EQ(Get(c.id()).assignee_id(), ana_);
  EXPECT_THAT(Queued(), IsEmpty());
  // A customer's reply reopens the pending ticket: it counts again (above
  // capacity: it is hers), and the next new ticket waits.
  ASSERT_OK(desk_->tickets().AddMessage(ContactActor(customer_), a.id(),
                              {.kind = v1::Message::CUSTOMER_MESSAGE,
                               .body_text = "still broken"})
                .status());
  EXPECT_EQ(Get(a.id()).assignee_id(), ana_);
  v1::Ticket d = NewTicket("d");
  EXPECT_EQ(d.assignee_id(), 0);
  ASSERT_OK(desk_->tickets().Update(AgentActor(ana_), b.id(), {.status = "solved"}).status());
  ASSERT_OK(desk_->tickets().Update(AgentActor(ana_), c.id(), {.status = "solved"}).status());
  EXPECT_EQ(Get(d.id()).assignee_id(), ana_);
}

TEST_P(DeskRoutingTest, HandAssignmentCountsAgainstCapacity) {
  OpenDesk({});
  v1::Ticket a = NewTicket("a"), b = NewTicket("b");
  ASSERT_OK(desk_->tickets().Update(SystemActor(), a.id(), {.assignee_id = ana_}).status());
  ASSERT_OK(desk_->tickets().Update(SystemActor(), b.id(), {.assignee_id = ana_}).status());
  v1::Ticket c = NewTicket("c");
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(c.id()).assignee_id(), 0);
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(c.id()).assignee_id(), bo_);
  // Unassigned by hand, the ticket is queued again and placed at once: Ana
  // has room again and has waited longest for new work.
  ASSERT_OK(desk_->tickets().Update(SystemActor(), a.id(), {.assignee_id = 0}).status());
  EXPECT_EQ(Get(a.id()).assignee_id(), ana_);
  EXPECT_THAT(OfKind(Log(a.id()), v1::Event::ROUTED), SizeIs(1));
}

TEST_P(DeskRoutingTest, DeclinedTicketIsNeverOfferedToThatAgentAgain) {
  OpenDesk({});
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket t = NewTicket("t");
  ASSERT_EQ(t.assignee_id(), ana_);
  // Only the assignee (or an admin) may give it back.
  EXPECT_THAT(desk_->routing().Decline(AgentActor(bo_), t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Ticket declined,
                       desk_->routing().Decline(AgentActor(ana_), t.id()));
  EXPECT_EQ(declined.assignee_id(), 0);
  EXPECT_THAT(declined.routing_declined_agent_ids(), ElementsAre(ana_));
  // Ana has room, but the ticket waits for someone else.
  EXPECT_EQ(Get(t.id()).assignee_id(), 0);
  EXPECT_THAT(Queued(), ElementsAre(t.id()));
  std::vector<v1::Event> declines = OfKind(Log(t.id()), v1::Event::OFFER_DECLINED);
  ASSERT_THAT(declines, SizeIs(1));
  EXPECT_EQ(declines[0].related_agent_id(), ana_);
  EXPECT_THAT(declines[0].note(), HasSubstr("declined"));
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(t.id()).assignee_id(), bo_);
  // Not a routed ticket any more: nothing to decline when unassigned.
  v1::Ticket u = NewTicket("u");
  ASSERT_OK(desk_->tickets().Update(SystemActor(), u.id(), {.status = "solved"}).status());
  EXPECT_THAT(desk_->routing().Decline(SystemActor(), u.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(DeskRoutingTest, OfferThatRunsOutGoesToTheNextAgentKeepingItsPlace) {
  RoutingOptions r;
  r.offer_timeout = absl::Minutes(2);
  OpenDesk(r);
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket t = NewTicket("t");
  ASSERT_EQ(t.assignee_id(), ana_);
  ASSERT_TRUE(t.has_routing_offer_expires_at());
  EXPECT_EQ(FromTimestamp(t.routing_offer_expires_at()),
            clock_.Now() + absl::Minutes(2));
  const google::protobuf::Timestamp queued_at = t.routing_queued_at();
  SetPresence(bo_, v1::PRESENCE_ONLINE);

  // Not yet.
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(TickReport early, desk_->Tick(clock_.Now()));
  EXPECT_EQ(early.offers_expired, 0);
  EXPECT_EQ(Get(t.id()).assignee_id(), ana_);

  clock_.Advance(absl::Minutes(2));
  ASSERT_OK_AND_ASSIGN(TickReport report, desk_->Tick(clock_.Now()));
  EXPECT_EQ(report.offers_expired, 1);
  EXPECT_EQ(report.routed, 1);
  v1::Ticket now = Get(t.id());
  EXPECT_EQ(now.assignee_id(), bo_);
  EXPECT_THAT(now.routing_declined_agent_ids(), ElementsAre(ana_));
  // The wait counts from the first queueing, not from the decline.
  EXPECT_EQ(now.routing_queued_at().seconds(), queued_at.seconds());
  std::vector<v1::Event> declines = OfKind(Log(t.id()), v1::Event::OFFER_DECLINED);
  ASSERT_THAT(declines, SizeIs(1));
  EXPECT_THAT(declines[0].note(), HasSubstr("did not accept within 2m"));

  // Bo accepts: the offer is gone and a later Tick changes nothing.
  EXPECT_THAT(desk_->routing().Accept(AgentActor(ana_), t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Ticket accepted, desk_->routing().Accept(AgentActor(bo_), t.id()));
  EXPECT_FALSE(accepted.has_routing_offer_expires_at());
  EXPECT_FALSE(accepted.has_routing_queued_at());
  EXPECT_THAT(desk_->routing().Accept(AgentActor(bo_), t.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(TickReport later, desk_->Tick(clock_.Now()));
  EXPECT_EQ(later.offers_expired, 0);
  EXPECT_EQ(Get(t.id()).assignee_id(), bo_);
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::OFFER_ACCEPTED), SizeIs(1));
}

TEST_P(DeskRoutingTest, PullOnlyDeskWaitsForAgentsToAsk) {
  RoutingOptions r;
  r.push = false;
  OpenDesk(r);
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket a = NewTicket("a"), b = NewTicket("b");
  EXPECT_EQ(a.assignee_id(), 0);
  EXPECT_THAT(Queued(), ElementsAre(a.id(), b.id()));
  ASSERT_OK_AND_ASSIGN(v1::Ticket got, desk_->routing().NextTicketFor(AgentActor(ana_), ana_));
  EXPECT_EQ(got.id(), a.id());  // oldest first
  EXPECT_EQ(got.assignee_id(), ana_);
  EXPECT_FALSE(got.has_routing_offer_expires_at());
  EXPECT_THAT(desk_->routing().LastDecision(SystemActor(), a.id())->note(),
              HasSubstr(absl::StrCat("agent ", ana_)));
  // Others may not pull for Ana; away agents may not pull.
  EXPECT_THAT(desk_->routing().NextTicketFor(AgentActor(bo_), ana_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->routing().NextTicketFor(AgentActor(bo_), bo_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("offline")));
  ASSERT_OK_AND_ASSIGN(got, desk_->routing().NextTicketFor(SystemActor(), ana_));
  EXPECT_EQ(got.id(), b.id());
  EXPECT_THAT(desk_->routing().NextTicketFor(AgentActor(ana_), ana_),
              StatusIs(absl::StatusCode::kNotFound));
  // Tick does not push either.
  NewTicket("c");
  ASSERT_OK_AND_ASSIGN(TickReport report, desk_->Tick(clock_.Now()));
  EXPECT_EQ(report.routed, 0);
}

TEST_P(DeskRoutingTest, AgentGoingAwayKeepsWorkByDefaultButOfflineRequeuesIt) {
  OpenDesk({});
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket a = NewTicket("a"), b = NewTicket("b");
  SetPresence(ana_, v1::PRESENCE_AWAY);
  EXPECT_EQ(Get(a.id()).assignee_id(), ana_);
  v1::Ticket c = NewTicket("c");  // away agents never receive work
  EXPECT_EQ(c.assignee_id(), 0);
  clock_.Advance(absl::Minutes(1));
  SetPresence(ana_, v1::PRESENCE_OFFLINE);
  EXPECT_EQ(Get(a.id()).assignee_id(), 0);
  EXPECT_EQ(Get(b.id()).assignee_id(), 0);
  // Re-queued work waits from the moment it was re-queued: behind c.
  EXPECT_THAT(Queued(), ElementsAre(c.id(), a.id(), b.id()));
  std::vector<v1::Event> requeued = OfKind(Log(a.id()), v1::Event::REQUEUED);
  ASSERT_THAT(requeued, SizeIs(1));
  EXPECT_THAT(requeued[0].note(), HasSubstr("went offline; queued again"));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AgentEvent> log,
                       desk_->people().AgentLog(SystemActor(), ana_));
  EXPECT_THAT(log.back().note(), HasSubstr("2 tickets queued again"));
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(c.id()).assignee_id(), bo_);
  EXPECT_EQ(Get(a.id()).assignee_id(), bo_);
  EXPECT_EQ(Get(b.id()).assignee_id(), 0);  // Bo is full
}

TEST_P(DeskRoutingTest, RequeuedWorkGoesToTheBackupAgentWhenOnline) {
  RoutingOptions r;
  r.on_away = RoutingOptions::OnLeave::kRequeue;
  OpenDesk(r);
  ASSERT_OK(desk_->people().UpdateAgent(SystemActor(), ana_, {.backup_agent_id = bo_}).status());
  EXPECT_THAT(desk_->people().UpdateAgent(SystemActor(), ana_, {.backup_agent_id = ana_}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backup_agent_id")));
  EXPECT_THAT(desk_->people().UpdateAgent(SystemActor(), ana_, {.backup_agent_id = 999}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("backup_agent_id 999")));
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket a = NewTicket("a");
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  SetPresence(ana_, v1::PRESENCE_AWAY);
  EXPECT_EQ(Get(a.id()).assignee_id(), bo_);
  std::vector<v1::Event> requeued = OfKind(Log(a.id()), v1::Event::REQUEUED);
  ASSERT_THAT(requeued, SizeIs(1));
  EXPECT_THAT(requeued[0].note(), HasSubstr(absl::StrCat("given to backup agent ", bo_)));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AgentEvent> log,
                       desk_->people().AgentLog(SystemActor(), ana_));
  EXPECT_EQ(log[1].kind(), v1::AgentEvent::AGENT_CHANGED);
  ASSERT_THAT(log[1].changes(), SizeIs(1));
  EXPECT_EQ(log[1].changes(0).field(), v1::FieldChange::AGENT_BACKUP);
}

TEST_P(DeskRoutingTest, DeactivatingAnAgentRequeuesTheirWork) {
  OpenDesk({});
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket a = NewTicket("a");
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  ASSERT_OK(desk_->people().UpdateAgent(SystemActor(), ana_, {.deactivated = true}).status());
  EXPECT_EQ(Get(a.id()).assignee_id(), bo_);
  EXPECT_THAT(OfKind(Log(a.id()), v1::Event::REQUEUED)[0].note(),
              HasSubstr("was deactivated"));
  EXPECT_THAT(desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_ONLINE),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("deactivated")));
}

TEST_P(DeskRoutingTest, SkillsComeFromTagsAndOnlyMatchingAgentsGetTheTicket) {
  RoutingOptions r;
  r.policy.mutable_skills();
  OpenDesk(r);
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  v1::Ticket t = NewTicket("hola", {"skill:spanish:3"});
  EXPECT_EQ(t.assignee_id(), 0);  // Bo has no Spanish
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(t.id()).assignee_id(), ana_);
  EXPECT_THAT(desk_->routing().LastDecision(SystemActor(), t.id())->note(),
              HasSubstr("spanish"));
  v1::Ticket plain = NewTicket("hello");
  EXPECT_EQ(plain.assignee_id(), bo_);
}

TEST_P(DeskRoutingTest, TickRunsTimeBasedSteps) {
  // Tier 1 is a group nobody works; after a minute the ticket escalates to
  // tier 2, our group.
  RoutingOptions r;
  OpenDesk(r);
  ASSERT_OK_AND_ASSIGN(v1::Group tier1, desk_->people().CreateGroup(SystemActor(), "Tier 1"));
  desk_.reset();
  r.policy.mutable_tiered_escalation()->add_tiers()->set_group_id(tier1.id());
  r.policy.mutable_tiered_escalation()->mutable_tiers(0)->set_escalate_after_seconds(60);
  r.policy.mutable_tiered_escalation()->add_tiers()->set_group_id(group_);
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                          .clock = &clock_,
                                          .routing = r}));
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket t = NewTicket("t");
  EXPECT_EQ(t.assignee_id(), 0);
  ASSERT_OK_AND_ASSIGN(RoutingSnapshot snap, desk_->routing().State(SystemActor()));
  EXPECT_EQ(snap.next_wakeup, clock_.Now() + absl::Seconds(60));
  clock_.Advance(absl::Seconds(30));
  ASSERT_OK_AND_ASSIGN(TickReport early, desk_->Tick(clock_.Now()));
  EXPECT_EQ(early.routed, 0);
  clock_.Advance(absl::Seconds(31));
  ASSERT_OK_AND_ASSIGN(TickReport report, desk_->Tick(clock_.Now()));
  EXPECT_EQ(report.routed, 1);
  EXPECT_EQ(Get(t.id()).assignee_id(), ana_);
}

TEST_P(DeskRoutingTest, SlaDeadlinesReachThePolicy) {
  // Tickets tagged "gold" must be answered within 30 minutes; the others
  // have no SLA. With SLA-deadline-first aging, a gold ticket queued after a
  // plain one goes first.
  ASSERT_OK_AND_ASSIGN(SlaEngine sla, SlaEngine::FromText(R"pb(
    policies {
      name: "gold"
      applies_when { tags_any: "gold" }
      targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 1800 } }
    }
  )pb", Workflow::Default()));
  RoutingOptions r;
  r.policy.mutable_priority_aging();
  routing_ = r;
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                          .clock = &clock_,
                                          .sla = sla,
                                          .routing = r}));
  ASSERT_OK_AND_ASSIGN(v1::Group g, desk_->people().CreateGroup(SystemActor(), "Support"));
  group_ = g.id();
  ana_ = MakeAgent("Ana", "ana@x.example", {});
  ASSERT_OK_AND_ASSIGN(v1::Contact c,
                       desk_->people().CreateContact(SystemActor(),
                                            {.name = "Cy", .emails = {"cy@x.example"}}));
  customer_ = c.id();
  v1::Ticket plain = NewTicket("plain");
  v1::Ticket gold = NewTicket("gold", {"gold"});
  ASSERT_TRUE(gold.has_sla_next_deadline());
  ASSERT_OK(desk_->people().UpdateAgent(SystemActor(), ana_, {.capacity = [] {
                                 v1::ChannelCapacity one;
                                 one.set_channel(v1::CHANNEL_EMAIL);
                                 one.set_max_items(1);
                                 return std::vector<v1::ChannelCapacity>{one};
                               }()})
                .status());
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(gold.id()).assignee_id(), ana_);
  EXPECT_EQ(Get(plain.id()).assignee_id(), 0);
}

TEST_P(DeskRoutingTest, HostWorkItemKeepsTicketsOutOfRouting) {
  RoutingOptions r;
  r.work_item = [](const v1::Ticket& t) -> std::optional<WorkItem> {
    for (const std::string& tag : t.tags()) {
      if (tag == "manual") return std::nullopt;
    }
    return DefaultWorkItem(t);
  };
  OpenDesk(r);
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket manual = NewTicket("by hand", {"manual"});
  EXPECT_EQ(manual.assignee_id(), 0);
  EXPECT_FALSE(manual.has_routing_queued_at());
  EXPECT_THAT(Queued(), IsEmpty());
  EXPECT_EQ(NewTicket("routed").assignee_id(), ana_);
}

TEST_P(DeskRoutingTest, StateIsRebuiltFromTheStoreOnOpen) {
  OpenDesk({});
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket a = NewTicket("a"), b = NewTicket("b");
  ASSERT_OK(desk_->routing().Decline(AgentActor(ana_), b.id()).status());
  v1::Ticket c = NewTicket("c");
  ASSERT_EQ(c.assignee_id(), ana_);
  desk_.reset();
  if (GetParam()) {
    store_.reset();
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                          .clock = &clock_,
                                          .routing = RoutingOptions()}));
  // Ana is full (a and c), b waits and is never offered to Ana again.
  EXPECT_THAT(Queued(), ElementsAre(b.id()));
  ASSERT_OK(desk_->tickets().Update(AgentActor(ana_), a.id(), {.status = "solved"}).status());
  EXPECT_EQ(Get(b.id()).assignee_id(), 0);
  v1::Ticket d = NewTicket("d");
  EXPECT_EQ(d.assignee_id(), ana_);
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(b.id()).assignee_id(), bo_);
}

TEST_P(DeskRoutingTest, MergedAndSolvedTicketsLeaveTheQueue) {
  OpenDesk({});
  v1::Ticket a = NewTicket("a"), b = NewTicket("b"), c = NewTicket("c");
  ASSERT_OK(desk_->tickets().Merge(SystemActor(), b.id(), a.id()).status());
  ASSERT_OK(desk_->tickets().Update(SystemActor(), c.id(),
                                {.status = "solved", .assignee_id = ana_})
                .status());
  EXPECT_THAT(Queued(), ElementsAre(a.id()));
  EXPECT_FALSE(Get(c.id()).has_routing_queued_at());
}

TEST_P(DeskRoutingTest, PresenceIsCheckedAndPermitted) {
  OpenDesk({});
  EXPECT_THAT(desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("presence 0")));
  EXPECT_THAT(desk_->people().SetAgentPresence(SystemActor(), ana_, static_cast<v1::Presence>(9)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("presence 9")));
  EXPECT_THAT(desk_->people().SetAgentPresence(AgentActor(bo_), ana_, v1::PRESENCE_ONLINE),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().SetAgentPresence(ContactActor(customer_), ana_, v1::PRESENCE_ONLINE),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->people().SetAgentPresence(SystemActor(), 999, v1::PRESENCE_ONLINE),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("agent_id 999")));
  EXPECT_THAT(desk_->people().AgentLog(AgentActor(bo_), ana_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The same presence again writes nothing.
  ASSERT_OK_AND_ASSIGN(v1::Agent before, desk_->people().GetAgent(SystemActor(), ana_));
  ASSERT_OK_AND_ASSIGN(v1::Agent same,
                       desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_OFFLINE));
  EXPECT_EQ(same.version(), before.version());
  ASSERT_OK_AND_ASSIGN(v1::Agent online,
                       desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_ONLINE));
  EXPECT_EQ(online.version(), before.version() + 1);
  EXPECT_EQ(FromTimestamp(online.presence_since()), clock_.Now());
}

TEST_P(DeskRoutingTest, BadRoutingOptionsAreRefusedAtOpen) {
  RoutingOptions negative;
  negative.offer_timeout = absl::Seconds(-1);
  EXPECT_THAT(Desk::Open({.store = store_.get(), .clock = &clock_, .routing = negative}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("routing.offer_timeout -1s")));
  RoutingOptions bad_policy;
  bad_policy.policy.mutable_tiered_escalation();  // no tiers
  EXPECT_THAT(Desk::Open({.store = store_.get(), .clock = &clock_, .routing = bad_policy}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("routing.policy")));
  RoutingOptions null_policy;
  null_policy.make_policy = []() -> absl::StatusOr<std::unique_ptr<RoutingPolicy>> {
    return nullptr;
  };
  EXPECT_THAT(Desk::Open({.store = store_.get(), .clock = &clock_, .routing = null_policy}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("make_policy")));
}

TEST_P(DeskRoutingTest, WithoutRoutingTheRoutingCallsSaySo) {
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
  ASSERT_OK_AND_ASSIGN(v1::Agent a,
                       desk_->people().CreateAgent(SystemActor(), {.name = "A", .email = "a@x.example"}));
  EXPECT_THAT(desk_->routing().NextTicketFor(SystemActor(), a.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not route")));
  EXPECT_THAT(desk_->routing().State(SystemActor()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Presence still works and is logged.
  ASSERT_OK(desk_->people().SetAgentPresence(AgentActor(a.id()), a.id(), v1::PRESENCE_ONLINE).status());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AgentEvent> log, desk_->people().AgentLog(SystemActor(), a.id()));
  EXPECT_THAT(log, SizeIs(2));
}

TEST_P(DeskRoutingTest, ConcurrentCommandsKeepThePolicyInStepWithTheStore) {
  OpenDesk({});
  const int64_t cy = MakeAgent("Cy", "cy.agent@x.example", {});
  for (int64_t a : {ana_, bo_, cy}) SetPresence(a, v1::PRESENCE_ONLINE);
  // 4 threads x 10 tickets against 3 agents x 2 e-mails.
  std::vector<std::thread> threads;
  absl::Mutex mu;
  std::vector<int64_t> ids;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(
            SystemActor(), {.subject = absl::StrCat("t", th, "-", i),
                            .requester_id = customer_,
                            .group_id = group_,
                            .channel = v1::CHANNEL_EMAIL});
        EXPECT_OK(t.status());
        if (t.ok()) {
          absl::MutexLock lock(&mu);
          ids.push_back(t->id());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_THAT(ids, SizeIs(40));
  std::map<int64_t, int> load;
  std::vector<int64_t> unassigned;
  for (int64_t id : ids) {
    v1::Ticket t = Get(id);
    if (t.assignee_id() == 0) {
      unassigned.push_back(id);
    } else {
      ++load[t.assignee_id()];
    }
  }
  EXPECT_EQ(load[ana_], 2);
  EXPECT_EQ(load[bo_], 2);
  EXPECT_EQ(load[cy], 2);
  ASSERT_OK_AND_ASSIGN(RoutingSnapshot snap, desk_->routing().State(SystemActor()));
  EXPECT_EQ(snap.assigned, 6);
  ASSERT_THAT(snap.load, SizeIs(3));
  for (const RoutingSnapshot::Load& l : snap.load) {
    EXPECT_EQ(l.channel, v1::CHANNEL_EMAIL);
    EXPECT_EQ(l.items, 2) << "agent " << l.agent_id;
  }
  std::sort(unassigned.begin(), unassigned.end());
  std::vector<int64_t> queued = Queued();
  std::sort(queued.begin(), queued.end());
  EXPECT_EQ(queued, unassigned);
}

// Commands that route inside their transaction (creates, presence changes)
// race with paths that commit decisions apart (Tick, declines, pulls) and
// with readers of the state: none waits for another forever (every path
// takes the routing mutex before the store's write lock), no agent goes over
// capacity, and the policy ends in step with the store.
TEST_P(DeskRoutingTest, ConcurrentRoutingPathsKeepOneLockOrder) {
  OpenDesk({});
  const int64_t cy = MakeAgent("Cy", "cy.agent@x.example", {});
  for (int64_t a : {ana_, bo_, cy}) SetPresence(a, v1::PRESENCE_ONLINE);
  std::vector<std::thread> threads;
  absl::Mutex mu;
  std::vector<int64_t> ids;
  for (int th = 0; th < 2; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(
            SystemActor(), {.subject = absl::StrCat("t", th, "-", i),
                            .requester_id = customer_,
                            .group_id = group_,
                            .channel = v1::CHANNEL_EMAIL});
        EXPECT_OK(t.status());
        if (!t.ok()) continue;
        absl::MutexLock lock(&mu);
        ids.push_back(t->id());
      }
    });
  }
  threads.emplace_back([&] {  // Bo leaves (work requeued) and comes back
    for (int i = 0; i < 5; ++i) {
      for (v1::Presence p : {v1::PRESENCE_OFFLINE, v1::PRESENCE_ONLINE}) {
        EXPECT_OK(
            desk_->people().SetAgentPresence(AgentActor(bo_), bo_, p).status());
      }
    }
  });
  threads.emplace_back([&] {  // Cy declines what they get, pulls, ticks
    for (int i = 0; i < 10; ++i) {
      std::vector<int64_t> mine;
      {
        absl::MutexLock lock(&mu);
        mine = ids;
      }
      for (int64_t id : mine) {
        absl::StatusOr<v1::Ticket> t = desk_->tickets().Get(SystemActor(), id);
        if (t.ok() && t->assignee_id() == cy) {
          // Only Cy moves Cy's tickets here, so the decline holds.
          EXPECT_OK(desk_->routing().Decline(AgentActor(cy), id).status());
          break;
        }
      }
      absl::StatusOr<v1::Ticket> pulled = desk_->routing().NextTicketFor(AgentActor(cy), cy);
      if (!pulled.ok()) {
        EXPECT_THAT(pulled.status(), StatusIs(absl::StatusCode::kNotFound));
      }
      EXPECT_OK(desk_->Tick(clock_.Now()).status());
      EXPECT_OK(desk_->routing().State(SystemActor()).status());
    }
  });
  for (std::thread& t : threads) t.join();
  ASSERT_THAT(ids, SizeIs(20));
  std::map<int64_t, int> load;
  std::vector<int64_t> unassigned;
  for (int64_t id : ids) {
    v1::Ticket t = Get(id);
    if (t.assignee_id() == 0) {
      unassigned.push_back(id);
    } else {
      ++load[t.assignee_id()];
    }
  }
  for (const auto& [agent, items] : load) EXPECT_LE(items, 2) << "agent " << agent;
  ASSERT_OK_AND_ASSIGN(RoutingSnapshot snap, desk_->routing().State(SystemActor()));
  int assigned = 0;
  for (const auto& [agent, items] : load) assigned += items;
  EXPECT_EQ(snap.assigned, assigned);
  for (const RoutingSnapshot::Load& l : snap.load) {
    EXPECT_EQ(l.items, load[l.agent_id]) << "agent " << l.agent_id;
  }
  std::sort(unassigned.begin(), unassigned.end());
  std::vector<int64_t> queued = Queued();
  std::sort(queued.begin(), queued.end());
  EXPECT_EQ(queued, unassigned);
}

TEST_P(DeskRoutingTest, StickyOwnerCustomersNextTicketGoesToTheAgentWhoAnsweredThem) {
  OpenDesk(StickyRouting());
  const int64_t di = MakeCustomer("Di", "di@x.example");
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket first = NewTicket("first");
  ASSERT_EQ(first.assignee_id(), ana_);
  Write(AgentActor(ana_), first.id(), v1::Message::PUBLIC_REPLY, "Try 4.3");
  ASSERT_OK(desk_->tickets().Update(AgentActor(ana_), first.id(), {.status = "solved"})
                .status());
  // Ana keeps one open ticket of Di's; Bo has none, so least loaded alone
  // would pick Bo for the next ticket.
  v1::Ticket dis = NewTicketFrom(di, "Di's");
  ASSERT_EQ(dis.assignee_id(), ana_);
  SetPresence(bo_, v1::PRESENCE_ONLINE);

  v1::Ticket again = NewTicket("again");
  EXPECT_EQ(again.sticky_agent_id(), ana_);
  EXPECT_EQ(again.assignee_id(), ana_);
  EXPECT_THAT(desk_->routing().LastDecision(SystemActor(), again.id())->note(),
              HasSubstr(absl::StrCat("sticky owner: agent ", ana_)));

  // A new e-mail from the customer (no thread) goes back to her too.
  ASSERT_OK(desk_->tickets().Update(AgentActor(ana_), again.id(), {.status = "solved"})
                .status());
  v1::InboundMessage mail;
  mail.set_channel(v1::CHANNEL_EMAIL);
  mail.set_external_id("<new-question@x.example>");
  mail.mutable_from()->set_email("cy@x.example");
  mail.set_subject("Another question");
  mail.set_body_text("Hello again");
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(IngestResult in, desk_->inbox().Ingest(mail));
  ASSERT_EQ(in.outcome, IngestResult::Outcome::kCreatedTicket);
  v1::Ticket mailed = Get(in.ticket_id);
  EXPECT_EQ(mailed.sticky_agent_id(), ana_);
  EXPECT_EQ(mailed.assignee_id(), ana_);

  // Someone else's ticket still goes by load.
  EXPECT_EQ(NewTicketFrom(MakeCustomer("Ed", "ed@x.example"), "Ed's").assignee_id(),
            bo_);
}

TEST_P(DeskRoutingTest, StickyOwnerAwayTheNewTicketGoesToSomeoneElse) {
  OpenDesk(StickyRouting());
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket first = NewTicket("first");
  ASSERT_EQ(first.assignee_id(), ana_);
  Write(AgentActor(ana_), first.id(), v1::Message::PUBLIC_REPLY, "Try 4.3");
  SetPresence(bo_, v1::PRESENCE_ONLINE);
  SetPresence(ana_, v1::PRESENCE_AWAY);

  v1::Ticket again = NewTicket("again");
  EXPECT_EQ(again.sticky_agent_id(), ana_);  // still hers: she is only away
  EXPECT_EQ(again.assignee_id(), bo_);
  EXPECT_THAT(desk_->routing().LastDecision(SystemActor(), again.id())->note(),
              ::testing::Not(HasSubstr("sticky owner")));

  // Offline is the same; with nobody online the ticket waits, and goes to
  // Ana when she is the one who comes back.
  for (int64_t done : {first.id(), again.id()}) {
    ASSERT_OK(desk_->tickets().Update(SystemActor(), done, {.status = "solved"}).status());
  }
  SetPresence(ana_, v1::PRESENCE_OFFLINE);
  SetPresence(bo_, v1::PRESENCE_OFFLINE);
  v1::Ticket waiting = NewTicket("waiting");
  EXPECT_EQ(waiting.assignee_id(), 0);
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(waiting.id()).assignee_id(), ana_);
}

TEST_P(DeskRoutingTest, StickyOwnerInternalNotesDoNotMakeAnAgentSticky) {
  OpenDesk(StickyRouting());
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket first = NewTicket("first");
  ASSERT_EQ(first.assignee_id(), ana_);
  Write(AgentActor(ana_), first.id(), v1::Message::INTERNAL_NOTE, "Known issue");
  // Nor do public replies by the system or an integration.
  Write(SystemActor(), first.id(), v1::Message::PUBLIC_REPLY, "We are on it");
  Write(IntegrationActor("crm"), first.id(), v1::Message::PUBLIC_REPLY, "Synced");
  EXPECT_EQ(Get(first.id()).sticky_agent_id(), 0);
  EXPECT_EQ(Contact(customer_).last_answered_by_agent_id(), 0);
  SetPresence(bo_, v1::PRESENCE_ONLINE);

  v1::Ticket again = NewTicket("again");
  EXPECT_EQ(again.sticky_agent_id(), 0);
  EXPECT_EQ(again.assignee_id(), bo_);  // least loaded: Ana has one ticket

  // Bo's public reply does.
  Write(AgentActor(bo_), again.id(), v1::Message::PUBLIC_REPLY, "Which version?");
  EXPECT_EQ(Get(again.id()).sticky_agent_id(), bo_);
  EXPECT_EQ(Contact(customer_).last_answered_by_agent_id(), bo_);
}

TEST_P(DeskRoutingTest, StickyOwnerFieldsAreStoredAndReadBack) {
  OpenDesk(StickyRouting());
  const int64_t di = MakeCustomer("Di", "di@x.example");
  v1::Ticket t = NewTicket("t");
  EXPECT_EQ(t.sticky_agent_id(), 0);
  const int64_t contact_version = Contact(customer_).version();

  Write(AgentActor(ana_), t.id(), v1::Message::PUBLIC_REPLY, "Which version?");
  EXPECT_EQ(Get(t.id()).sticky_agent_id(), ana_);
  v1::Contact cy = Contact(customer_);
  EXPECT_EQ(cy.last_answered_by_agent_id(), ana_);
  EXPECT_EQ(cy.version(), contact_version + 1);
  // The change is in the reply's event; a second reply changes nothing more.
  std::vector<v1::Event> added = OfKind(Log(t.id()), v1::Event::MESSAGE_ADDED);
  ASSERT_THAT(added, SizeIs(1));
  ASSERT_THAT(added[0].changes(), SizeIs(1));
  EXPECT_EQ(added[0].changes(0).field(), v1::FieldChange::STICKY_AGENT);
  EXPECT_EQ(added[0].changes(0).before().agent_id(), 0);
  EXPECT_EQ(added[0].changes(0).after().agent_id(), ana_);
  Write(AgentActor(ana_), t.id(), v1::Message::PUBLIC_REPLY, "And the OS?");
  EXPECT_EQ(Contact(customer_).version(), contact_version + 1);
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::MESSAGE_ADDED)[1].changes(), IsEmpty());

  // Changing the contact keeps it.
  ASSERT_OK(desk_->people().UpdateContact(SystemActor(), customer_, {.name = "Cyril"}).status());
  EXPECT_EQ(Contact(customer_).last_answered_by_agent_id(), ana_);

  // Every way of making tickets copies it from the requester.
  ASSERT_OK_AND_ASSIGN(
      std::vector<v1::Ticket> batch,
      desk_->tickets().CreateMany(SystemActor(), {{.subject = "b1",
                                            .requester_id = customer_,
                                            .group_id = group_,
                                            .channel = v1::CHANNEL_EMAIL},
                                           {.subject = "b2",
                                            .requester_id = di,
                                            .group_id = group_,
                                            .channel = v1::CHANNEL_EMAIL}}));
  EXPECT_EQ(batch[0].sticky_agent_id(), ana_);
  EXPECT_EQ(batch[1].sticky_agent_id(), 0);
  v1::InboundMessage m1, m2;
  for (auto [m, key] : {std::pair{&m1, "<k1@x.example>"}, {&m2, "<k2@x.example>"}}) {
    m->set_channel(v1::CHANNEL_EMAIL);
    m->set_external_id(key);
    m->mutable_from()->set_email("cy@x.example");
    m->set_subject(key);
    m->set_body_text("hello");
  }
  ASSERT_OK_AND_ASSIGN(IngestResult single, desk_->inbox().Ingest(m1));
  EXPECT_EQ(Get(single.ticket_id).sticky_agent_id(), ana_);
  std::vector<v1::InboundMessage> batch_mail = {m2};
  ASSERT_OK_AND_ASSIGN(auto results, desk_->inbox().IngestBatch(batch_mail));
  ASSERT_THAT(results, SizeIs(1));
  ASSERT_OK(results[0].status());
  EXPECT_EQ(Get(results[0]->ticket_id).sticky_agent_id(), ana_);

  // An agent's outbound ticket makes the agent sticky at once.
  ASSERT_OK_AND_ASSIGN(
      v1::Ticket outbound,
      desk_->tickets().Create(AgentActor(bo_), {.subject = "Your order",
                                            .requester_id = di,
                                            .description = "It shipped",
                                            .description_kind = v1::Message::PUBLIC_REPLY}));
  EXPECT_EQ(outbound.sticky_agent_id(), bo_);
  EXPECT_EQ(Contact(di).last_answered_by_agent_id(), bo_);

  // Read back from a reopened store and desk.
  desk_.reset();
  if (GetParam()) {
    store_.reset();
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }
  ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                          .clock = &clock_,
                                          .routing = StickyRouting()}));
  EXPECT_EQ(Get(t.id()).sticky_agent_id(), ana_);
  EXPECT_EQ(Get(batch[0].id()).sticky_agent_id(), ana_);
  EXPECT_EQ(Get(outbound.id()).sticky_agent_id(), bo_);
  EXPECT_EQ(Contact(customer_).last_answered_by_agent_id(), ana_);
  EXPECT_EQ(Contact(di).last_answered_by_agent_id(), bo_);
  // And routing reads it from the store: Ana, back online, takes two of the
  // waiting e-mails as their sticky owner (Cy's t and b1), not Di's b2.
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  EXPECT_EQ(Get(t.id()).assignee_id(), ana_);
  EXPECT_EQ(Get(batch[0].id()).assignee_id(), ana_);
  EXPECT_EQ(Get(batch[1].id()).assignee_id(), 0);
  EXPECT_THAT(desk_->routing().LastDecision(SystemActor(), batch[0].id())->note(),
              HasSubstr(absl::StrCat("sticky owner: agent ", ana_)));
}

TEST_P(DeskRoutingTest, StickyOwnerFollowsRequesterChangesAndMerges) {
  OpenDesk({});
  const int64_t di = MakeCustomer("Di", "di@x.example");
  // Ana answered Cy; Bo answered Di.
  v1::Ticket cys = NewTicket("Cy's");
  Write(AgentActor(ana_), cys.id(), v1::Message::PUBLIC_REPLY, "Hi Cy");
  v1::Ticket dis = NewTicketFrom(di, "Di's");
  Write(AgentActor(bo_), dis.id(), v1::Message::PUBLIC_REPLY, "Hi Di");

  // An unanswered ticket moved to Di takes Di's agent...
  v1::Ticket unanswered = NewTicket("unanswered");
  ASSERT_EQ(unanswered.sticky_agent_id(), ana_);
  ASSERT_OK_AND_ASSIGN(v1::Ticket moved,
                       desk_->tickets().Update(SystemActor(), unanswered.id(),
                                           {.requester_id = di}));
  EXPECT_EQ(moved.sticky_agent_id(), bo_);
  std::vector<v1::Event> changed = OfKind(Log(unanswered.id()), v1::Event::FIELDS_CHANGED);
  ASSERT_THAT(changed, SizeIs(1));
  EXPECT_EQ(changed[0].changes(changed[0].changes_size() - 1).field(),
            v1::FieldChange::STICKY_AGENT);
  // ...an answered one keeps the agent who answered it.
  ASSERT_OK_AND_ASSIGN(v1::Ticket kept, desk_->tickets().Update(SystemActor(), cys.id(),
                                                            {.requester_id = di}));
  EXPECT_EQ(kept.sticky_agent_id(), ana_);
  EXPECT_EQ(Contact(di).last_answered_by_agent_id(), bo_);

  // Merging: the latest agent reply among the merged messages wins, whichever
  // ticket it was on. Ana answers x, then Bo answers y.
  v1::Ticket x = NewTicket("x"), y = NewTicket("y"), z = NewTicket("z");
  Write(AgentActor(ana_), x.id(), v1::Message::PUBLIC_REPLY, "x answered");
  Write(AgentActor(bo_), y.id(), v1::Message::PUBLIC_REPLY, "y answered");
  Write(ContactActor(customer_), x.id(), v1::Message::CUSTOMER_MESSAGE, "thanks");
  ASSERT_OK_AND_ASSIGN(v1::Ticket into_x, desk_->tickets().Merge(SystemActor(), y.id(), x.id()));
  EXPECT_EQ(into_x.sticky_agent_id(), bo_);
  // The target's own later reply stays: Ana answers z after Bo's reply on x.
  Write(AgentActor(ana_), z.id(), v1::Message::PUBLIC_REPLY, "z answered");
  ASSERT_OK_AND_ASSIGN(v1::Ticket into_z, desk_->tickets().Merge(SystemActor(), x.id(), z.id()));
  EXPECT_EQ(into_z.sticky_agent_id(), ana_);
}

TEST_P(DeskRoutingTest, StickyOwnerReopenedTicketIsRequeuedToTheAgentWhoAnswered) {
  OpenDesk(StickyRouting());
  const int64_t di = MakeCustomer("Di", "di@x.example");
  SetPresence(ana_, v1::PRESENCE_ONLINE);
  v1::Ticket t = NewTicket("t");
  ASSERT_EQ(t.assignee_id(), ana_);
  Write(AgentActor(ana_), t.id(), v1::Message::PUBLIC_REPLY, "Which version?");
  // Waiting on the customer, and given back to the pool.
  ASSERT_OK(desk_->tickets().Update(AgentActor(ana_), t.id(),
                                {.status = "pending", .assignee_id = 0})
                .status());
  ASSERT_EQ(Get(t.id()).assignee_id(), 0);
  EXPECT_THAT(Queued(), IsEmpty());
  // Ana holds one of Di's tickets; Bo holds none.
  ASSERT_EQ(NewTicketFrom(di, "Di's").assignee_id(), ana_);
  SetPresence(bo_, v1::PRESENCE_ONLINE);

  // The customer's answer reopens the ticket; the desk queues it again and
  // it goes back to Ana, not to the less loaded Bo.
  Write(ContactActor(customer_), t.id(), v1::Message::CUSTOMER_MESSAGE, "4.2");
  v1::Ticket reopened = Get(t.id());
  EXPECT_EQ(reopened.status(), "open");
  EXPECT_EQ(reopened.assignee_id(), ana_);
  std::vector<v1::Event> routed = OfKind(Log(t.id()), v1::Event::ROUTED);
  ASSERT_THAT(routed, SizeIs(2));
  EXPECT_THAT(routed[1].note(), HasSubstr(absl::StrCat("sticky owner: agent ", ana_)));
}

// Fails the commit of the n-th read-write transaction begun after arming.
class FlakyStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  void FailCommitAfter(int transactions) { countdown_ = transactions; }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok() || options.mode != TransactionMode::kReadWrite || countdown_ < 0) return tx;
    if (countdown_-- > 0) return tx;
    class Failing : public TransactionWrapper {
     public:
      using TransactionWrapper::TransactionWrapper;
      absl::Status Commit() override {
        return absl::UnavailableError("injected: disk went away");
      }
    };
    return std::unique_ptr<Transaction>(new Failing(*std::move(tx)));
  }

 private:
  int countdown_ = -1;
};

// Counts the transactions begun and committed through it.
class CountingStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  int read_write = 0, read_only = 0, commits = 0;

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx;
    ++(options.mode == TransactionMode::kReadWrite ? read_write : read_only);
    class Counted : public TransactionWrapper {
     public:
      Counted(std::unique_ptr<Transaction> base, int* commits)
          : TransactionWrapper(std::move(base)), commits_(commits) {}
      absl::Status Commit() override {
        ++*commits_;
        return TransactionWrapper::Commit();
      }

     private:
      int* commits_;
    };
    return std::unique_ptr<Transaction>(new Counted(*std::move(tx), &commits));
  }
  void Reset() { read_write = read_only = commits = 0; }
};

// Fails, once armed, every UpdateTicket that assigns a ticket to an agent:
// the write of a routing decision.
class FailingAssignmentStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  bool armed = false;

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx;
    class Failing : public TransactionWrapper {
     public:
      Failing(std::unique_ptr<Transaction> base, const bool* armed)
          : TransactionWrapper(std::move(base)), armed_(armed) {}
      absl::Status UpdateTicket(v1::Ticket* ticket, int64_t expected_version) override {
        if (*armed_ && ticket->assignee_id() != 0) {
          return absl::UnavailableError("injected: disk went away");
        }
        return TransactionWrapper::UpdateTicket(ticket, expected_version);
      }

     private:
      const bool* armed_;
    };
    return std::unique_ptr<Transaction>(new Failing(*std::move(tx), &armed));
  }
};

class DeskRoutingFaultTest : public DeskRoutingTest {
 protected:
  // Opens the desk over `store` (a wrapper of store_) with Ana online,
  // taking up to 5 API tickets, and the customer Cy.
  void OpenOver(Store* store) {
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store,
                                            .clock = &clock_,
                                            .routing = RoutingOptions()}));
    ana_ = AddOnlineAgent("Ana", "ana@x.example");
    ASSERT_OK_AND_ASSIGN(v1::Contact cy, desk_->people().CreateContact(
                                             SystemActor(), {.name = "Cy",
                                                             .emails = {"cy@x.example"}}));
    customer_ = cy.id();
  }

  int64_t AddOnlineAgent(const std::string& name, const std::string& email) {
    v1::ChannelCapacity api;
    api.set_channel(v1::CHANNEL_API);
    api.set_max_items(5);
    absl::StatusOr<v1::Agent> a = desk_->people().CreateAgent(
        SystemActor(), {.name = name, .email = email, .capacity = {api}});
    EXPECT_OK(a.status());
    if (!a.ok()) return 0;
    EXPECT_OK(desk_->people()
                  .SetAgentPresence(SystemActor(), a->id(), v1::PRESENCE_ONLINE)
                  .status());
    return a->id();
  }

  absl::StatusOr<v1::Ticket> Create(const std::string& subject) {
    clock_.Advance(absl::Seconds(1));
    return desk_->tickets().Create(SystemActor(),
                                   {.subject = subject, .requester_id = customer_});
  }

  // Every ticket in the store, read past the desk.
  std::vector<v1::Ticket> Stored() {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = store_->Begin(TransactionMode::kReadOnly);
    EXPECT_OK(tx.status());
    if (!tx.ok()) return {};
    absl::StatusOr<TicketPage> page = (*tx)->QueryTickets(TicketQuery());
    EXPECT_OK(page.status());
    return page.ok() ? page->tickets : std::vector<v1::Ticket>();
  }

  // The routing state holds no ticket: nothing queued, assigned or loaded.
  void ExpectNoRoutingState() {
    ASSERT_OK_AND_ASSIGN(RoutingSnapshot snap, desk_->routing().State(SystemActor()));
    EXPECT_THAT(snap.queued, IsEmpty());
    EXPECT_EQ(snap.assigned, 0);
    EXPECT_THAT(snap.load, IsEmpty());
  }

  // A ticket created now goes to Ana, once, and the state says so.
  void ExpectNextCreateGoesToAna() {
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, Create("again"));
    EXPECT_EQ(t.assignee_id(), ana_);
    EXPECT_EQ(Get(t.id()).assignee_id(), ana_);
    EXPECT_THAT(OfKind(Log(t.id()), v1::Event::ROUTED), SizeIs(1));
    ASSERT_OK_AND_ASSIGN(RoutingSnapshot snap, desk_->routing().State(SystemActor()));
    EXPECT_EQ(snap.assigned, 1);
    ASSERT_THAT(snap.load, SizeIs(1));
    EXPECT_EQ(snap.load[0].agent_id, ana_);
    EXPECT_EQ(snap.load[0].items, 1);
  }
};

// Decisions made apart from a command (after a decline, by Tick) commit on
// their own: when that commit fails, the decline stands and Tick places the
// ticket from the store.
TEST_P(DeskRoutingFaultTest, AFailedDecisionWriteIsRetriedFromTheStoreByTick) {
  FlakyStore flaky(store_.get());
  OpenOver(&flaky);
  bo_ = AddOnlineAgent("Bo", "bo@x.example");
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, Create("s"));
  const int64_t first = t.assignee_id();
  ASSERT_NE(first, 0);
  const int64_t other = first == ana_ ? bo_ : ana_;
  // The decline commits; the decision giving the ticket to the other agent
  // (its own transaction, the next one) fails.
  flaky.FailCommitAfter(1);
  ASSERT_OK_AND_ASSIGN(v1::Ticket declined,
                       desk_->routing().Decline(AgentActor(first), t.id()));
  EXPECT_EQ(declined.assignee_id(), 0);
  EXPECT_EQ(Get(t.id()).assignee_id(), 0);
  // The policy had counted the ticket as the other agent's; Tick rebuilds
  // from the store and places it for real.
  ASSERT_OK_AND_ASSIGN(TickReport report, desk_->Tick(clock_.Now()));
  EXPECT_EQ(report.routed, 1);
  EXPECT_EQ(Get(t.id()).assignee_id(), other);
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::ROUTED), SizeIs(2));
}

// A create on a routing desk is placed in its own transaction: one
// read-write transaction, one commit, and no read to show the assignee.
TEST_P(DeskRoutingFaultTest, ARoutedCreateIsOneTransaction) {
  CountingStore counting(store_.get());
  OpenOver(&counting);
  counting.Reset();
  ASSERT_OK_AND_ASSIGN(v1::Ticket t, Create("s"));
  EXPECT_EQ(counting.read_write, 1);
  EXPECT_EQ(counting.commits, 1);
  EXPECT_EQ(counting.read_only, 0);
  EXPECT_EQ(t.assignee_id(), ana_);
  // What Create returned is what the store holds.
  v1::Ticket stored = Get(t.id());
  EXPECT_EQ(t.SerializeAsString(), stored.SerializeAsString())
      << "returned:\n" << t.DebugString() << "stored:\n" << stored.DebugString();
  EXPECT_THAT(OfKind(Log(t.id()), v1::Event::ROUTED), SizeIs(1));
  // An agent coming online takes the queued work in the same transaction.
  ASSERT_OK(desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_OFFLINE).status());
  ASSERT_OK_AND_ASSIGN(v1::Ticket u, Create("u"));
  ASSERT_EQ(u.assignee_id(), 0);
  counting.Reset();
  ASSERT_OK(desk_->people().SetAgentPresence(SystemActor(), ana_, v1::PRESENCE_ONLINE).status());
  EXPECT_EQ(counting.read_write, 1);
  EXPECT_EQ(counting.commits, 1);
  EXPECT_EQ(Get(u.id()).assignee_id(), ana_);
}

// The commit of a create fails after routing placed the ticket inside it:
// nothing is stored, and the routing state (rebuilt from the store) claims
// no assignment; the next ticket is placed as if nothing had happened.
TEST_P(DeskRoutingFaultTest, ARoutedCreateWhoseCommitFailsLeavesNoAssignment) {
  FlakyStore flaky(store_.get());
  OpenOver(&flaky);
  flaky.FailCommitAfter(0);
  EXPECT_THAT(Create("lost"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Stored(), IsEmpty());
  ExpectNoRoutingState();
  ExpectNextCreateGoesToAna();
}

// A command that fails (here the second ticket of a batch) routes nothing,
// though the policy would have placed its first ticket.
TEST_P(DeskRoutingFaultTest, AFailedCommandRoutesNothing) {
  OpenOver(store_.get());
  std::vector<helpdesk::NewTicket> batch = {
      {.subject = "fine", .requester_id = customer_},
      {.subject = "", .requester_id = customer_}};
  EXPECT_THAT(desk_->tickets().CreateMany(SystemActor(), batch),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Stored(), IsEmpty());
  ExpectNoRoutingState();
  ExpectNextCreateGoesToAna();
}

// The store fails writing the assignment inside the command's transaction:
// the command fails as a whole (as it would for any of its writes) and the
// routing state claims nothing.
TEST_P(DeskRoutingFaultTest, AFailedAssignmentWriteFailsTheCommandAndLeavesNoState) {
  FailingAssignmentStore failing(store_.get());
  OpenOver(&failing);
  failing.armed = true;
  EXPECT_THAT(Create("lost"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Stored(), IsEmpty());
  ExpectNoRoutingState();
  failing.armed = false;
  ExpectNextCreateGoesToAna();
}

INSTANTIATE_TEST_SUITE_P(Stores, DeskRoutingFaultTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Sqlite" : "Memory";
                         });

INSTANTIATE_TEST_SUITE_P(Stores, DeskRoutingTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace helpdesk
