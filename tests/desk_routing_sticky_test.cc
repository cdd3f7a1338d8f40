// Routing inside the Desk, the sticky owner: the agent who answered a
// customer gets their next ticket.
#include "desk_routing_fixture.h"

namespace helpdesk {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

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


INSTANTIATE_TEST_SUITE_P(Stores, DeskRoutingTest, ::testing::Bool(), StoreParamName);

}  // namespace
}  // namespace helpdesk
