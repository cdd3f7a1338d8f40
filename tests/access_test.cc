// The access component's spec: every role x relation x action, with the
// answer stated in a table (kSpec), not computed; and the query-side
// restriction checked against Authorize(kViewTicket) on generated tickets.
#include "helpdesk/access.h"

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/store.h"
#include "helpdesk/testing/status_matchers.h"
#include "storage/ticket_query.h"

namespace helpdesk {
namespace {

using ::testing::HasSubstr;
using ::helpdesk::testing::StatusIs;

// --- The roles the table walks ---------------------------------------------

enum Role {
  kSystem,
  kIntegration,
  kAdmin,
  kAgentAll,
  kAgentGroups,
  kAgentAssigned,
  kLightAll,
  kLightGroups,
  kLightAssigned,
  kContact,
  kBlockedContact,
  kTrackingLink,
  kRoleCount,
};

const char* RoleName(int r) {
  static const char* const kNames[] = {
      "system",         "integration",  "admin",          "agent(all)",
      "agent(groups)",  "agent(assigned)", "light(all)",   "light(groups)",
      "light(assigned)", "contact",     "blocked contact", "tracking link"};
  return kNames[r];
}

constexpr int64_t kAgentId = 10;
constexpr int64_t kOtherAgent = 11;
constexpr int64_t kGroupId = 20;
constexpr int64_t kOtherGroup = 21;
constexpr int64_t kContactId = 30;
constexpr int64_t kOtherContact = 31;
constexpr int64_t kOrgId = 40;
constexpr int64_t kOtherOrg = 41;
constexpr int64_t kTrackedTicketId = 50;

Viewer ViewerFor(int role) {
  v1::Agent agent;
  agent.set_id(kAgentId);
  agent.add_group_ids(kGroupId);
  agent.set_role(v1::Agent::AGENT);
  v1::Contact contact;
  contact.set_id(kContactId);
  contact.set_organization_id(kOrgId);
  switch (role) {
    case kSystem:
      return Viewer::System();
    case kIntegration: {
      v1::Actor a;
      a.set_kind(v1::Actor::INTEGRATION);
      a.set_name("crm");
      return Viewer::Integration(a);
    }
    case kAdmin:
      agent.set_role(v1::Agent::ADMIN);
      agent.set_ticket_access(v1::Agent::ASSIGNED);  // admins see all regardless
      return Viewer::OfAgent(agent);
    case kLightAll:
    case kLightGroups:
    case kLightAssigned:
      agent.set_role(v1::Agent::LIGHT_AGENT);
      [[fallthrough]];
    case kAgentAll:
    case kAgentGroups:
    case kAgentAssigned:
      agent.set_ticket_access(role == kAgentGroups || role == kLightGroups ? v1::Agent::GROUPS
                              : role == kAgentAssigned || role == kLightAssigned
                                  ? v1::Agent::ASSIGNED
                                  : v1::Agent::ALL);
      return Viewer::OfAgent(agent);
    case kContact:
      return Viewer::OfContact(contact);
    case kBlockedContact:
      contact.set_blocked(true);
      return Viewer::OfContact(contact);
    case kTrackingLink:
      return Viewer::OfTrackingLink(kTrackedTicketId);
  }
  return Viewer::System();
}

// --- The spec ----------------------------------------------------------------
//
// One string per role (in Role order) per action; one character per relation
// in Relation order: none, requester, cc, organization member, assignee, group
// member, follower, self, tracked ticket (a tracking link's own ticket).
//   Y  allowed
//   D  PermissionDenied
//   N  NotFound (a ticket the viewer may not view)
//   .  the relation cannot arise for this role and subject
// "none" is: a ticket the viewer has no part in; another agent or contact;
// or no subject at all.

struct SpecRow {
  Action action;
  SubjectKind subject;
  const char* answers[kRoleCount];
};

const SpecRow kSpec[] = {
    // clang-format off
    //                                      system      integration  admin       agent(all)  agent(grp)  agent(asg)  light(all)  light(grp)  light(asg)  contact     blocked      tracking
    {Action::kViewTicket,             SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "Y...YYY..", "N...YYN..", "N...YNN..", "NYYN.....", "NYYN.....", "N.......Y"}},
    {Action::kViewInternalNotes,      SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "Y...YYY..", "N...YYN..", "N...YNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kWriteCustomerMessage,   SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "D...DDD..", "N...DDN..", "N...DNN..", "NYYN.....", "NDDN.....", "N.......D"}},
    {Action::kReplyPublicly,          SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "D...DDD..", "N...DDN..", "N...DNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kAddInternalNote,        SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "Y...YYY..", "N...YYN..", "N...YNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kUpdateFields,           SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "D...DDD..", "N...DDN..", "N...DNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kAssign,                 SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "D...DDD..", "N...DDN..", "N...DNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kMergeOrLink,            SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "D...DDD..", "N...DDN..", "N...DNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kReadAuditLog,           SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "Y...YYY..", "N...YYN..", "N...YNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kViewSla,                SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "Y...YYY..", "N...YYN..", "N...YNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kAcceptOrDeclineOffer,   SubjectKind::kTicket,
        {"Y........", "D........", "Y...YYY..", "D...YDD..", "N...YDN..", "N...YNN..", "D...YDD..", "N...YDN..", "N...YNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    {Action::kCreateTicket,           SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "Y...YYY..", "Y...YYY..", "D...DDD..", "D...DDD..", "D...DDD..", "DYDD.....", "DDDD.....", "D.......D"}},
    {Action::kCreateTicketWithFields, SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "Y...YYY..", "Y...YYY..", "D...DDD..", "D...DDD..", "D...DDD..", "DDDD.....", "DDDD.....", "D.......D"}},
    {Action::kReadContacts,           SubjectKind::kContact,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D......Y.", "D......Y.", "D........"}},
    {Action::kEditContactProfile,     SubjectKind::kContact,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........", "D......Y.", "D......Y.", "D........"}},
    {Action::kManageContacts,         SubjectKind::kContact,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........", "D......D.", "D......D.", "D........"}},
    {Action::kBlockContacts,          SubjectKind::kContact,
        {"Y........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D......D.", "D......D.", "D........"}},
    {Action::kManageAgents,           SubjectKind::kAgent,
        {"Y........", "D........", "Y......Y.", "D......D.", "D......D.", "D......D.", "D......D.", "D......D.", "D......D.", "D........", "D........", "D........"}},
    {Action::kSetPresence,            SubjectKind::kAgent,
        {"Y........", "D........", "Y......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D........", "D........", "D........"}},
    {Action::kReadAgentLog,           SubjectKind::kAgent,
        {"Y........", "D........", "Y......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D........", "D........", "D........"}},
    {Action::kPullWork,               SubjectKind::kAgent,
        {"Y........", "D........", "Y......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D......Y.", "D........", "D........", "D........"}},
    {Action::kManageOrganizations,    SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kReadAgentsAndGroups,    SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........"}},
    {Action::kManageGroups,           SubjectKind::kNone,
        {"Y........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kReadRoutingState,       SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........"}},
    {Action::kReadQuarantine,         SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "D........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kManageQuarantine,       SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kReadOutbox,             SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "D........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kReplayOutbox,           SubjectKind::kNone,
        {"Y........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kViewReports,            SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "D........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kManageRules,            SubjectKind::kNone,
        {"Y........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kManageKbArticles,       SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kManageTrackingLink,     SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "D...DDD..", "N...DDN..", "N...DNN..", "NYDN.....", "NDDN.....", "N.......D"}},
    {Action::kUseViews,               SubjectKind::kNone,
        {"Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "Y........", "D........", "D........", "D........"}},
    {Action::kManageSharedViews,      SubjectKind::kNone,
        {"Y........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    {Action::kExplainRules,           SubjectKind::kTicket,
        {"Y........", "Y........", "Y...YYY..", "Y...YYY..", "N...YYN..", "N...YNN..", "Y...YYY..", "N...YYN..", "N...YNN..", "NDDN.....", "NDDN.....", "N.......D"}},
    // Personal data (issue 16).
    {Action::kExportPersonalData,     SubjectKind::kContact,
        {"Y........", "Y........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D......D.", "D......D.", "D........"}},
    {Action::kErasePersonalData,      SubjectKind::kContact,
        {"Y........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D......D.", "D......D.", "D........"}},
    {Action::kManageRetention,        SubjectKind::kNone,
        {"Y........", "D........", "Y........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........", "D........"}},
    // clang-format on
};

// A ticket no role above has a part in.
TicketFacts UnrelatedTicket() {
  TicketFacts t;
  t.id = 100;
  t.requester_id = kOtherContact;
  t.cc_contact_ids = {kOtherContact + 1};
  t.organization_id = kOtherOrg;
  t.assignee_id = kOtherAgent;
  t.group_id = kOtherGroup;
  t.follower_agent_ids = {kOtherAgent + 1};
  return t;
}

// The ticket of an action on `kind` that puts the role's viewer in relation
// `r` to it, where the subject can carry that relation at all.
struct Built {
  TicketFacts ticket;
  Subject subject;
};

Built BuildSubject(SubjectKind kind, Relation r) {
  Built b;
  b.ticket = UnrelatedTicket();
  switch (kind) {
    case SubjectKind::kTicket:
      switch (r) {
        case Relation::kRequester: b.ticket.requester_id = kContactId; break;
        case Relation::kCc: b.ticket.cc_contact_ids.push_back(kContactId); break;
        case Relation::kOrganizationMember: b.ticket.organization_id = kOrgId; break;
        case Relation::kAssignee: b.ticket.assignee_id = kAgentId; break;
        case Relation::kGroupMember: b.ticket.group_id = kGroupId; break;
        case Relation::kFollower: b.ticket.follower_agent_ids.push_back(kAgentId); break;
        case Relation::kTrackedTicket: b.ticket.id = kTrackedTicketId; break;
        default: break;
      }
      break;
    case SubjectKind::kAgent:
      b.subject = Subject::Agent(r == Relation::kSelf ? kAgentId : kOtherAgent);
      return b;
    case SubjectKind::kContact:
      b.subject = Subject::Contact(r == Relation::kSelf ? kContactId : kOtherContact);
      return b;
    case SubjectKind::kNone:
      return b;
  }
  return b;
}

absl::StatusCode Expected(char c) {
  switch (c) {
    case 'Y': return absl::StatusCode::kOk;
    case 'D': return absl::StatusCode::kPermissionDenied;
    case 'N': return absl::StatusCode::kNotFound;
  }
  ADD_FAILURE() << "bad spec character '" << c << "'";
  return absl::StatusCode::kUnknown;
}

TEST(AccessTest, SpecCoversEveryActionOnce) {
  ASSERT_EQ(std::size(kSpec), static_cast<size_t>(kActionCount));
  std::set<Action> seen;
  for (const SpecRow& row : kSpec) {
    EXPECT_TRUE(seen.insert(row.action).second) << ActionName(row.action);
    EXPECT_EQ(SubjectOf(row.action), row.subject) << ActionName(row.action);
    for (int role = 0; role < kRoleCount; ++role) {
      ASSERT_EQ(std::string(row.answers[role]).size(), static_cast<size_t>(kRelationCount))
          << ActionName(row.action) << " / " << RoleName(role);
    }
  }
}

TEST(AccessTest, EveryRoleRelationAndActionAnswersAsTheSpecSays) {
  int checked = 0;
  for (const SpecRow& row : kSpec) {
    for (int role = 0; role < kRoleCount; ++role) {
      const Viewer viewer = ViewerFor(role);
      for (int rel = 0; rel < kRelationCount; ++rel) {
        const Relation relation = static_cast<Relation>(rel);
        const char cell = row.answers[role][rel];
        Built b = BuildSubject(row.subject, relation);
        if (row.subject == SubjectKind::kTicket) b.subject = Subject::Ticket(b.ticket);
        const bool arises = RelationsOf(viewer, b.subject) == RelationBit(relation);
        SCOPED_TRACE(absl::StrCat(ActionName(row.action), " / ", RoleName(role),
                                  " / relation ", rel));
        if (cell == '.') {
          EXPECT_FALSE(arises) << "the spec says this relation cannot arise";
          continue;
        }
        ASSERT_TRUE(arises) << "the spec has an answer for a relation that cannot arise";
        EXPECT_EQ(Authorize(viewer, row.action, b.subject).code(), Expected(cell));
        ++checked;
      }
      // No subject at all answers as "none" for people and subject-less actions.
      if (row.subject != SubjectKind::kTicket) {
        EXPECT_EQ(Authorize(viewer, row.action).code(), Expected(row.answers[role][0]))
            << ActionName(row.action) << " / " << RoleName(role) << " / no subject";
      }
    }
  }
  EXPECT_GT(checked, 600);
}

TEST(AccessTest, AnyRelationThatAllowsIsEnough) {
  // A contact of the ticket's organization who is also copied on it.
  TicketFacts t = UnrelatedTicket();
  t.organization_id = kOrgId;
  t.cc_contact_ids.push_back(kContactId);
  EXPECT_OK(Authorize(ViewerFor(kContact), Action::kViewTicket, Subject::Ticket(t)));
  // A group-scoped agent who follows a ticket of their group.
  t = UnrelatedTicket();
  t.group_id = kGroupId;
  t.follower_agent_ids.push_back(kAgentId);
  EXPECT_OK(Authorize(ViewerFor(kAgentGroups), Action::kUpdateFields, Subject::Ticket(t)));
  EXPECT_EQ(RelationsOf(ViewerFor(kAgentGroups), Subject::Ticket(t)),
            RelationBit(Relation::kGroupMember) | RelationBit(Relation::kFollower));
}

TEST(AccessTest, MessagesNameTheViewerTheActionAndTheSubject) {
  TicketFacts t = UnrelatedTicket();
  t.assignee_id = kAgentId;
  EXPECT_THAT(Authorize(ViewerFor(kLightAll), Action::kUpdateFields, Subject::Ticket(t)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "light agent 10 may not change ticket fields on ticket 100"));
  EXPECT_THAT(Authorize(ViewerFor(kAgentAssigned), Action::kViewTicket,
                        Subject::Ticket(UnrelatedTicket())),
              StatusIs(absl::StatusCode::kNotFound, "ticket 100 not found"));
  EXPECT_THAT(Authorize(ViewerFor(kBlockedContact), Action::kEditContactProfile,
                        Subject::Contact(kOtherContact)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("blocked contact 30 may not")));
  EXPECT_THAT(Authorize(ViewerFor(kIntegration), Action::kManageAgents, Subject::Agent(11)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "integration 'crm' may not manage agents for agent 11"));
  TicketFacts fresh;
  fresh.requester_id = kOtherContact;
  EXPECT_THAT(Authorize(ViewerFor(kContact), Action::kCreateTicket, Subject::Ticket(fresh)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("a new ticket for requester 31")));
}

TEST(AccessTest, ProgrammerErrorsAreInvalidArgument) {
  EXPECT_THAT(Authorize(Viewer::System(), Action::kViewTicket),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a ticket")));
  EXPECT_THAT(Authorize(Viewer::System(), static_cast<Action>(kActionCount)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AccessTest, ViewersFromTheModel) {
  v1::Agent agent;
  agent.set_id(5);
  agent.set_role(v1::Agent::ROLE_UNSPECIFIED);
  Viewer v = Viewer::OfAgent(agent);
  EXPECT_EQ(v.kind, Viewer::Kind::kAgent);
  EXPECT_EQ(v.ticket_scope, TicketScope::kAll);  // TICKET_ACCESS_UNSPECIFIED
  EXPECT_EQ(v.actor.kind(), v1::Actor::AGENT);
  EXPECT_EQ(v.actor.id(), 5);
  v1::Contact contact;
  contact.set_id(6);
  v = Viewer::OfContact(contact);
  EXPECT_EQ(v.kind, Viewer::Kind::kContact);
  EXPECT_TRUE(v.organization_ids.empty());
  EXPECT_EQ(Viewer::System().Describe(), "system");
  v = Viewer::OfTrackingLink(12);
  EXPECT_EQ(v.kind, Viewer::Kind::kTrackingLink);
  EXPECT_FALSE(v.IsContact());
  EXPECT_FALSE(v.IsAgent());
  EXPECT_EQ(v.Describe(), "tracking link of ticket 12");
  // Its query restriction is its one ticket.
  ASSERT_TRUE(VisibilityFor(v).has_value());
  EXPECT_EQ(VisibilityFor(v)->ticket_id, 12);
  EXPECT_FALSE(VisibilityFor(v)->contact_id.has_value());
  EXPECT_FALSE(VisibilityFor(v)->assignee_id.has_value());
}

// --- The query side agrees with Authorize(kViewTicket) -----------------------

TEST(AccessTest, VisibilityForAgreesWithAuthorizeOnGeneratedTickets) {
  std::mt19937 rng(12);
  auto pick = [&](std::vector<int64_t> pool) {
    return pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
  };
  const std::vector<int64_t> contacts = {kContactId, kOtherContact, kOtherContact + 1};
  const std::vector<int64_t> agents = {0, kAgentId, kOtherAgent};
  const std::vector<int64_t> groups = {0, kGroupId, kOtherGroup};
  const std::vector<int64_t> orgs = {0, kOrgId, kOtherOrg};
  std::map<int, std::pair<int, int>> counts;  // role -> (visible, hidden)
  for (int i = 0; i < 2000; ++i) {
    v1::Ticket t;
    t.set_id(i + 1);
    t.set_requester_id(pick(contacts));
    if (rng() % 3 == 0) t.add_cc_contact_ids(pick(contacts));
    t.set_organization_id(pick(orgs));
    t.set_assignee_id(pick(agents));
    t.set_group_id(pick(groups));
    if (rng() % 3 == 0) t.add_follower_agent_ids(pick(agents));
    const TicketFacts facts = TicketFacts::Of(t);
    for (int role = 0; role < kRoleCount; ++role) {
      const Viewer viewer = ViewerFor(role);
      TicketQuery q;
      q.include_merged = true;
      q.visible_to = VisibilityFor(viewer);
      const bool by_query = internal::TicketMatches(q, t);
      const absl::Status by_authorize =
          Authorize(viewer, Action::kViewTicket, Subject::Ticket(facts));
      ASSERT_EQ(by_query, by_authorize.ok())
          << RoleName(role) << " on " << t.ShortDebugString() << ": " << by_authorize;
      if (!by_authorize.ok()) {
        EXPECT_EQ(by_authorize.code(), absl::StatusCode::kNotFound);
      }
      (by_query ? counts[role].first : counts[role].second)++;
    }
  }
  // The generator reaches both answers for every restricted role.
  for (int role : {kAgentGroups, kAgentAssigned, kLightGroups, kLightAssigned, kContact,
                   kTrackingLink}) {
    EXPECT_GT(counts[role].first, 0) << RoleName(role);
    EXPECT_GT(counts[role].second, 0) << RoleName(role);
  }
  EXPECT_FALSE(VisibilityFor(ViewerFor(kAdmin)).has_value());
  EXPECT_FALSE(VisibilityFor(ViewerFor(kIntegration)).has_value());
}

// The knowledge base's audiences (docs/access.md, "Knowledge base articles").
TEST(AccessKbTest, AudiencesFollowTheTable) {
  const KbArticleFacts pub{.id = 1, .visibility = KbVisibility::kPublic};
  const KbArticleFacts agents{.id = 2, .visibility = KbVisibility::kAgents};
  const KbArticleFacts group{.id = 3, .visibility = KbVisibility::kRestricted, .group_ids = {7}};
  const KbArticleFacts org{
      .id = 4, .visibility = KbVisibility::kRestricted, .organization_ids = {9}};
  v1::Agent in_group;
  in_group.set_id(1);
  in_group.add_group_ids(7);
  v1::Agent other_group = in_group;
  other_group.set_group_ids(0, 8);
  v1::Agent light = in_group;
  light.set_role(v1::Agent::LIGHT_AGENT);
  v1::Agent admin = other_group;
  admin.set_role(v1::Agent::ADMIN);
  v1::Contact member;
  member.set_id(5);
  member.set_organization_id(9);
  v1::Contact stranger;
  stranger.set_id(6);
  struct Row {
    const char* who;
    KbAudience audience;
    bool pub, agents, group, org, drafts;
  };
  const Row rows[] = {
      {"system", KbAudienceFor(Viewer::System()), true, true, true, true, true},
      {"admin", KbAudienceFor(Viewer::OfAgent(admin)), true, true, true, true, true},
      {"agent in group", KbAudienceFor(Viewer::OfAgent(in_group)), true, true, true, true, true},
      {"agent of another group", KbAudienceFor(Viewer::OfAgent(other_group)), true, true, false,
       true, true},
      {"light agent", KbAudienceFor(Viewer::OfAgent(light)), true, true, true, true, false},
      {"member contact", KbAudienceFor(Viewer::OfContact(member)), true, false, false, true,
       false},
      {"other contact", KbAudienceFor(Viewer::OfContact(stranger)), true, false, false, false,
       false},
      {"anonymous", AnonymousKbAudience(), true, false, false, false, false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(KbAudienceAllows(r.audience, pub), r.pub) << r.who;
    EXPECT_EQ(KbAudienceAllows(r.audience, agents), r.agents) << r.who;
    EXPECT_EQ(KbAudienceAllows(r.audience, group), r.group) << r.who;
    EXPECT_EQ(KbAudienceAllows(r.audience, org), r.org) << r.who;
    EXPECT_EQ(r.audience.drafts, r.drafts) << r.who;
    if (!r.group) {
      EXPECT_EQ(AuthorizeKbArticle(r.audience, group).code(), absl::StatusCode::kNotFound)
          << r.who;
    }
  }
}

}  // namespace
}  // namespace helpdesk
