// The Store conformance suite: contacts, organizations, agents (with their events) and groups.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, InsertContactAssignsAnIdAndVersionOne) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  v1::ContactIdentity* phone = ann.add_identities();
  phone->set_kind(v1::ContactIdentity::PHONE);
  phone->set_value("+34600111222");
  v1::ContactIdentity* chat = ann.add_identities();
  chat->set_kind(v1::ContactIdentity::CHAT);
  chat->set_value("@Ann");
  ann.mutable_identities(0)->set_bouncing(true);
  ann.set_organization_id(4);
  ann.set_locale("es-ES");
  ann.set_time_zone("Europe/Madrid");
  ann.set_external_id("crm-17");
  ann.set_version(9);
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  EXPECT_GT(ann.id(), 0);
  EXPECT_EQ(ann.version(), 1);
  v1::Contact bo = sci::MakeContact("Bo", "bo@example.com");
  bo.set_blocked(true);
  HELPDESK_ASSERT_OK(tx->InsertContact(&bo));
  EXPECT_GT(bo.id(), 0);
  EXPECT_NE(bo.id(), ann.id());
  EXPECT_EQ(bo.version(), 1);
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetContact(ann.id()),
              sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(reader->GetContact(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  EXPECT_THAT(reader->GetContact(ann.id() + bo.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, FindContactByIdentityMatchesKindAndExactValue) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  v1::ContactIdentity* phone = ann.add_identities();
  phone->set_kind(v1::ContactIdentity::PHONE);
  phone->set_value("+34600111222");
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  // The same value under another kind is another identity.
  v1::Contact bo = sci::MakeContact("Bo", "bo@example.com");
  v1::ContactIdentity* chat = bo.add_identities();
  chat->set_kind(v1::ContactIdentity::CHAT);
  chat->set_value("ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&bo));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(
      reader->FindContactByIdentity(v1::ContactIdentity::PHONE, "+34600111222"),
      sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::CHAT,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "bo@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  // Values compare exactly.
  for (absl::string_view value :
       {"Ann@example.com", "ann@example.com ", "ann@example", "nn@example.com",
        "ann@example.co%", "ann_example.com"}) {
    EXPECT_THAT(
        reader->FindContactByIdentity(v1::ContactIdentity::EMAIL, value),
        StatusIs(absl::StatusCode::kNotFound))
        << value;
  }
  EXPECT_THAT(
      reader->FindContactByIdentity(v1::ContactIdentity::PHONE, "34600111222"),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::PHONE,
                                            "ann@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, InsertContactRefusesAnIdentityOfAnotherContact) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Contact clash = sci::MakeContact("Clash", "clash@example.com");
  v1::ContactIdentity* taken = clash.add_identities();
  taken->set_kind(v1::ContactIdentity::EMAIL);
  taken->set_value("ann@example.com");
  taken->set_bouncing(true);
  EXPECT_THAT(next->InsertContact(&clash),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       ::testing::HasSubstr("ann@example.com")));
  // Also against a contact inserted in the same transaction.
  v1::Contact cy = sci::MakeContact("Cy", "cy@example.com");
  HELPDESK_ASSERT_OK(next->InsertContact(&cy));
  v1::Contact cy_again = sci::MakeContact("Cy again", "cy@example.com");
  EXPECT_THAT(next->InsertContact(&cy_again),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       ::testing::HasSubstr("cy@example.com")));
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(ann)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "clash@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "cy@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(cy)));
}

TEST_P(StoreConformanceTest, UpdateContactChecksTheVersionAndIdentities) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Contact ann = sci::MakeContact("Ann", "ann@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&ann));
  v1::Contact bo = sci::MakeContact("Bo", "bo@example.com");
  HELPDESK_ASSERT_OK(tx->InsertContact(&bo));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  // Replace Ann's e-mail with a new one and add a phone; keep the version
  // field out of it.
  v1::Contact renamed = ann;
  renamed.set_name("Ann B.");
  renamed.mutable_identities(0)->set_value("ann.b@example.com");
  v1::ContactIdentity* phone = renamed.add_identities();
  phone->set_kind(v1::ContactIdentity::PHONE);
  phone->set_value("+15550001");
  renamed.set_version(0);
  HELPDESK_ASSERT_OK(next->UpdateContact(&renamed, 1));
  EXPECT_EQ(renamed.version(), 2);
  EXPECT_THAT(next->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                          "ann.b@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(renamed)));
  EXPECT_THAT(next->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                          "ann@example.com"),
              StatusIs(absl::StatusCode::kNotFound));

  // Stale.
  v1::Contact stale = renamed;
  stale.set_name("stale");
  EXPECT_THAT(next->UpdateContact(&stale, 1),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(1),
                                        sci::MentionsNumber(2))));
  // Unknown.
  v1::Contact unknown = sci::MakeContact("Nobody", "nobody@example.com");
  unknown.set_id(ann.id() + bo.id() + 1000);
  EXPECT_THAT(next->UpdateContact(&unknown, 1),
              StatusIs(absl::StatusCode::kNotFound));
  // Taking Bo's e-mail.
  v1::Contact thief = renamed;
  v1::ContactIdentity* taken = thief.add_identities();
  taken->set_kind(v1::ContactIdentity::EMAIL);
  taken->set_value("bo@example.com");
  EXPECT_THAT(next->UpdateContact(&thief, 2),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       ::testing::HasSubstr("bo@example.com")));
  EXPECT_THAT(next->GetContact(ann.id()),
              sci::IsOkAndHolds(sci::EqualsProto(renamed)));
  // Ann's released e-mail may go to Bo.
  v1::Contact bo2 = bo;
  v1::ContactIdentity* released = bo2.add_identities();
  released->set_kind(v1::ContactIdentity::EMAIL);
  released->set_value("ann@example.com");
  HELPDESK_ASSERT_OK(next->UpdateContact(&bo2, 1));
  EXPECT_EQ(bo2.version(), 2);
  // An update that keeps the contact's own identities is fine.
  v1::Contact same_identities = renamed;
  same_identities.set_locale("en-GB");
  HELPDESK_ASSERT_OK(next->UpdateContact(&same_identities, 2));
  EXPECT_EQ(same_identities.version(), 3);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetContact(ann.id()),
              sci::IsOkAndHolds(sci::EqualsProto(same_identities)));
  EXPECT_THAT(reader->GetContact(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(bo2)));
  EXPECT_THAT(reader->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                            "ann@example.com"),
              sci::IsOkAndHolds(sci::EqualsProto(bo2)));
  EXPECT_THAT(
      reader->FindContactByIdentity(v1::ContactIdentity::PHONE, "+15550001"),
      sci::IsOkAndHolds(sci::EqualsProto(same_identities)));
}

TEST_P(StoreConformanceTest, InsertOrganizationRefusesATakenName) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Organization acme = sci::MakeOrganization("Acme");
  acme.add_domains("acme.example");
  acme.add_domains("acme.test");
  acme.set_external_id("org-1");
  HELPDESK_ASSERT_OK(tx->InsertOrganization(&acme));
  EXPECT_GT(acme.id(), 0);
  v1::Organization again = sci::MakeOrganization("Acme");
  EXPECT_THAT(tx->InsertOrganization(&again),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Names compare exactly.
  std::vector<v1::Organization> others = {sci::MakeOrganization("acme"),
                                          sci::MakeOrganization("Acme "),
                                          sci::MakeOrganization("Acm")};
  for (v1::Organization& other : others) {
    HELPDESK_ASSERT_OK(tx->InsertOrganization(&other)) << other.name();
    EXPECT_GT(other.id(), 0);
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  EXPECT_THAT(reader->GetOrganization(acme.id()),
              sci::IsOkAndHolds(sci::EqualsProto(acme)));
  std::set<int64_t> ids = {acme.id()};
  for (const v1::Organization& other : others) {
    EXPECT_THAT(reader->GetOrganization(other.id()),
                sci::IsOkAndHolds(sci::EqualsProto(other)));
    ids.insert(other.id());
  }
  EXPECT_EQ(ids.size(), 4u) << "ids are distinct";
  EXPECT_THAT(reader->GetOrganization(*ids.rbegin() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Organization later = sci::MakeOrganization("Acme");
  EXPECT_THAT(reader->InsertOrganization(&later),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(StoreConformanceTest, InsertAgentAssignsAnIdAndRefusesATakenEmail) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Agent bo = sci::MakeAgent("Bo", "bo@example.com");
  bo.set_role(v1::Agent::ADMIN);
  bo.set_ticket_access(v1::Agent::GROUPS);
  bo.add_group_ids(3);
  bo.add_group_ids(1);
  v1::Skill* skill = bo.add_skills();
  skill->set_name("spanish");
  skill->set_level(7);
  v1::ChannelCapacity* capacity = bo.add_capacity();
  capacity->set_channel(v1::CHANNEL_CHAT);
  capacity->set_max_items(3);
  bo.set_presence(v1::PRESENCE_AWAY);
  *bo.mutable_presence_since() = sci::AtMinute(5);
  bo.set_external_id("hr-9");
  bo.set_version(4);
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bo));
  EXPECT_GT(bo.id(), 0);
  EXPECT_EQ(bo.version(), 1);
  v1::Agent clash = sci::MakeAgent("Other Bo", "bo@example.com");
  EXPECT_THAT(tx->InsertAgent(&clash),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Agents without an e-mail do not clash.
  v1::Agent bot1 = sci::MakeAgent("Bot 1", "");
  v1::Agent bot2 = sci::MakeAgent("Bot 2", "");
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bot1));
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bot2));
  EXPECT_NE(bot1.id(), bot2.id());
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  EXPECT_THAT(reader->GetAgent(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(bo)));
  EXPECT_THAT(reader->GetAgent(bot2.id() + bo.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Agent later = sci::MakeAgent("Later Bo", "bo@example.com");
  EXPECT_THAT(reader->InsertAgent(&later),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(StoreConformanceTest, UpdateAgentChecksTheVersionAndEmail) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::Agent bo = sci::MakeAgent("Bo", "bo@example.com");
  v1::Agent cy = sci::MakeAgent("Cy", "cy@example.com");
  HELPDESK_ASSERT_OK(tx->InsertAgent(&bo));
  HELPDESK_ASSERT_OK(tx->InsertAgent(&cy));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Agent away = bo;
  away.set_presence(v1::PRESENCE_AWAY);
  away.set_version(0);
  HELPDESK_ASSERT_OK(next->UpdateAgent(&away, 1));
  EXPECT_EQ(away.version(), 2);
  v1::Agent stale = bo;
  stale.set_name("stale");
  EXPECT_THAT(next->UpdateAgent(&stale, 1),
              StatusIs(absl::StatusCode::kAborted,
                       ::testing::AllOf(sci::MentionsNumber(1),
                                        sci::MentionsNumber(2))));
  v1::Agent unknown = sci::MakeAgent("Nobody", "");
  unknown.set_id(bo.id() + cy.id() + 1000);
  EXPECT_THAT(next->UpdateAgent(&unknown, 1),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Agent thief = cy;
  thief.set_email("bo@example.com");
  EXPECT_THAT(next->UpdateAgent(&thief, 1),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Moving Bo to a new e-mail frees the old one for Cy.
  v1::Agent moved = away;
  moved.set_email("bo.new@example.com");
  HELPDESK_ASSERT_OK(next->UpdateAgent(&moved, 2));
  v1::Agent cy2 = cy;
  cy2.set_email("bo@example.com");
  HELPDESK_ASSERT_OK(next->UpdateAgent(&cy2, 1));
  EXPECT_EQ(cy2.version(), 2);
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetAgent(bo.id()),
              sci::IsOkAndHolds(sci::EqualsProto(moved)));
  EXPECT_THAT(reader->GetAgent(cy.id()),
              sci::IsOkAndHolds(sci::EqualsProto(cy2)));
}

TEST_P(StoreConformanceTest, ListAgentsIncludesDeactivatedAgentsById) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Agent> agents;
  for (int i = 0; i < 4; ++i) {
    agents.push_back(sci::MakeAgent(absl::StrCat("Agent ", i),
                                    absl::StrCat("a", i, "@x.io")));
    HELPDESK_ASSERT_OK(tx->InsertAgent(&agents.back()));
  }
  agents[1].set_deactivated(true);
  HELPDESK_ASSERT_OK(tx->UpdateAgent(&agents[1], 1));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  std::sort(
      agents.begin(), agents.end(),
      [](const v1::Agent& a, const v1::Agent& b) { return a.id() < b.id(); });
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Agent> listed, reader->ListAgents());
  ASSERT_EQ(listed.size(), agents.size());
  for (size_t i = 0; i < agents.size(); ++i) {
    EXPECT_THAT(listed[i], sci::EqualsProto(agents[i]));
  }
}

TEST_P(StoreConformanceTest, AgentEventsAreKeptPerAgentInIdOrder) {
  namespace sci = store_conformance_internal;
  using ::testing::ElementsAre;
  using ::testing::IsEmpty;
  auto make = [](int64_t agent, v1::AgentEvent::Kind kind) {
    v1::AgentEvent e;
    e.set_agent_id(agent);
    e.set_kind(kind);
    e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
    *e.mutable_time() = sci::AtMinute(agent);
    v1::FieldChange* c = e.add_changes();
    c->set_field(v1::FieldChange::AGENT_PRESENCE);
    c->mutable_before()->set_presence(v1::PRESENCE_OFFLINE);
    c->mutable_after()->set_presence(v1::PRESENCE_ONLINE);
    e.set_agent_version(agent + 1);
    e.set_note(absl::StrCat("note ", agent));
    return e;
  };
  std::vector<v1::AgentEvent> e;
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    for (int64_t agent : {1, 2, 1, 1}) {
      e.push_back(make(agent, v1::AgentEvent::PRESENCE_CHANGED));
      HELPDESK_ASSERT_OK(tx->AppendAgentEvent(&e.back()));
      if (e.size() > 1) {
        EXPECT_GT(e.back().id(), e[e.size() - 2].id());
      }
    }
    v1::AgentEvent none = make(0, v1::AgentEvent::AGENT_CHANGED);
    EXPECT_THAT(tx->AppendAgentEvent(&none),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr("agent_id 0")));
    EXPECT_THAT(tx->ListAgentEvents(1, 0, -1),
                StatusIs(absl::StatusCode::kInvalidArgument));
    HELPDESK_ASSERT_OK(tx->Commit());
  }
  {
    // Rolled back: neither the event nor its id is kept.
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    v1::AgentEvent dropped = make(2, v1::AgentEvent::AGENT_CHANGED);
    HELPDESK_ASSERT_OK(tx->AppendAgentEvent(&dropped));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->ListAgentEvents(1, 0, 0),
              sci::IsOkAndHolds(ElementsAre(sci::EqualsProto(e[0]),
                                            sci::EqualsProto(e[2]),
                                            sci::EqualsProto(e[3]))));
  EXPECT_THAT(reader->ListAgentEvents(2, 0, 0),
              sci::IsOkAndHolds(ElementsAre(sci::EqualsProto(e[1]))));
  EXPECT_THAT(reader->ListAgentEvents(1, e[0].id(), 1),
              sci::IsOkAndHolds(ElementsAre(sci::EqualsProto(e[2]))));
  EXPECT_THAT(reader->ListAgentEvents(1, e[3].id(), 0),
              sci::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(reader->ListAgentEvents(99, 0, 0), sci::IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest, InsertGroupAssignsAnIdAndRefusesATakenName) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Group> groups;
  for (const char* name : {"Tier 2", "Billing", "Tier 1"}) {
    groups.push_back(sci::MakeGroup(name));
    groups.back().set_description(absl::StrCat("The ", name, " team"));
    HELPDESK_ASSERT_OK(tx->InsertGroup(&groups.back()));
    EXPECT_GT(groups.back().id(), 0);
  }
  v1::Group again = sci::MakeGroup("Billing");
  EXPECT_THAT(tx->InsertGroup(&again),
              StatusIs(absl::StatusCode::kAlreadyExists));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  for (const v1::Group& g : groups) {
    EXPECT_THAT(reader->GetGroup(g.id()),
                sci::IsOkAndHolds(sci::EqualsProto(g)));
  }
  std::vector<v1::Group> by_id = groups;
  std::sort(
      by_id.begin(), by_id.end(),
      [](const v1::Group& a, const v1::Group& b) { return a.id() < b.id(); });
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Group> listed, reader->ListGroups());
  ASSERT_EQ(listed.size(), by_id.size());
  for (size_t i = 0; i < by_id.size(); ++i) {
    EXPECT_THAT(listed[i], sci::EqualsProto(by_id[i]));
  }
  EXPECT_THAT(reader->GetGroup(by_id.back().id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Group later = sci::MakeGroup("Tier 1");
  EXPECT_THAT(reader->InsertGroup(&later),
              StatusIs(absl::StatusCode::kAlreadyExists));
}
}  // namespace helpdesk::testing
