// Routing inside the Desk: decisions as ROUTED events with their reasons,
// work that waits visibly until someone can take it, capacity, offers that
// are declined or run out (never offered again), pull, presence changes with
// their re-queue rules and backup agents, time-based steps through Tick, and
// the state rebuilt from the store after a restart. The sticky owner is in
// desk_routing_sticky_test.cc, store failures in desk_routing_fault_test.cc.
#include "desk_routing_fixture.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

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


INSTANTIATE_TEST_SUITE_P(Stores, DeskRoutingTest, ::testing::Bool(), StoreParamName);

}  // namespace
}  // namespace helpdesk
