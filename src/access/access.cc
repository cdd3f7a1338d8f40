// Access: the table of who may do what, and the one function that reads it.
#include "helpdesk/access.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"

namespace helpdesk {
namespace {

template <typename Ids>
bool Contains(const Ids& ids, int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

constexpr RelationSet Bit(Relation r) { return RelationBit(r); }

// Relation masks the table is written in.
constexpr RelationSet kNo = 0;
constexpr RelationSet kAny = (RelationSet{1} << kRelationCount) - 1;
constexpr RelationSet kSelf = Bit(Relation::kSelf);
constexpr RelationSet kRequester = Bit(Relation::kRequester);
constexpr RelationSet kAssignee = Bit(Relation::kAssignee);
constexpr RelationSet kTracked = Bit(Relation::kTrackedTicket);

// One action: its subject, whether a ticket action first needs the viewer to
// view the ticket (else NotFound), and per viewer kind (in Viewer::Kind
// order) the relations that allow it.
struct Rule {
  Action action;
  SubjectKind subject;
  bool needs_view;
  // The action shows what any ticket holds (the outbox's mail, the
  // quarantine's messages, reports): only viewers who see every ticket.
  bool all_tickets;
  // system, integration, admin, agent, light agent, contact, blocked
  // contact, tracking link
  std::array<RelationSet, Viewer::kKindCount> allow;
};

constexpr SubjectKind kT = SubjectKind::kTicket;
constexpr SubjectKind kA = SubjectKind::kAgent;
constexpr SubjectKind kC = SubjectKind::kContact;
constexpr SubjectKind kN = SubjectKind::kNone;

// For ticket actions with needs_view, kAny means "any ticket the viewer may
// view" (kViewTicket's own row is special: see MayView). A tracking link
// views its one ticket (kTracked) and does nothing else.
constexpr Rule kRules[] = {
    // clang-format off
    // action                    subject needs_view all_tickets
    //                                              system integration admin agent light contact blocked tracking
    {Action::kViewTicket,             kT, true,  false, {kAny, kAny, kAny, kAny, kAny, kAny, kAny, kTracked}},
    {Action::kViewInternalNotes,      kT, true,  false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kWriteCustomerMessage,   kT, true,  false, {kAny, kAny, kAny, kAny, kNo,  kAny, kNo, kNo}},
    {Action::kReplyPublicly,          kT, true,  false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kAddInternalNote,        kT, true,  false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kUpdateFields,           kT, true,  false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kAssign,                 kT, true,  false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kMergeOrLink,            kT, true,  false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kReadAuditLog,           kT, true,  false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kViewSla,                kT, true,  false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kAcceptOrDeclineOffer,   kT, true,  false, {kAny, kNo,  kAny, kAssignee, kAssignee, kNo, kNo, kNo}},
    {Action::kCreateTicket,           kT, false, false, {kAny, kAny, kAny, kAny, kNo,  kRequester, kNo, kNo}},
    {Action::kCreateTicketWithFields, kT, false, false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kReadContacts,           kC, false, false, {kAny, kAny, kAny, kAny, kAny, kSelf, kSelf, kNo}},
    {Action::kEditContactProfile,     kC, false, false, {kAny, kAny, kAny, kAny, kNo,  kSelf, kSelf, kNo}},
    {Action::kManageContacts,         kC, false, false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kBlockContacts,          kC, false, false, {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kManageAgents,           kA, false, false, {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kSetPresence,            kA, false, false, {kAny, kNo,  kAny, kSelf, kSelf, kNo, kNo, kNo}},
    {Action::kReadAgentLog,           kA, false, false, {kAny, kNo,  kAny, kSelf, kSelf, kNo, kNo, kNo}},
    {Action::kPullWork,               kA, false, false, {kAny, kNo,  kAny, kSelf, kSelf, kNo, kNo, kNo}},
    {Action::kManageOrganizations,    kN, false, false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kReadAgentsAndGroups,    kN, false, false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kManageGroups,           kN, false, false, {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kReadRoutingState,       kN, false, false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kReadQuarantine,         kN, false, true,  {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kManageQuarantine,       kN, false, true,  {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kReadOutbox,             kN, false, true,  {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kReplayOutbox,           kN, false, true,  {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kViewReports,            kN, false, true,  {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kManageRules,            kN, false, false, {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kManageKbArticles,       kN, false, false, {kAny, kAny, kAny, kAny, kNo,  kNo,  kNo, kNo}},
    {Action::kManageTrackingLink,     kT, true,  false, {kAny, kAny, kAny, kAny, kNo,  kRequester, kNo, kNo}},
    {Action::kUseViews,               kN, false, false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kManageSharedViews,      kN, false, false, {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kExplainRules,           kT, true,  false, {kAny, kAny, kAny, kAny, kAny, kNo,  kNo, kNo}},
    {Action::kExportPersonalData,     kC, false, false, {kAny, kAny, kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kErasePersonalData,      kC, false, false, {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    {Action::kManageRetention,        kN, false, false, {kAny, kNo,  kAny, kNo,  kNo,  kNo,  kNo, kNo}},
    // clang-format on
};
static_assert(sizeof(kRules) / sizeof(kRules[0]) == kActionCount,
              "every action has one row");

constexpr bool RowsInOrder() {
  for (int i = 0; i < kActionCount; ++i) {
    if (static_cast<int>(kRules[i].action) != i) return false;
  }
  return true;
}
static_assert(RowsInOrder(), "kRules rows follow the Action enum");

// Whether the viewer may view a ticket it has `relations` to: by kind, and
// for agents by their ticket scope.
bool MayView(const Viewer& v, RelationSet relations) {
  switch (v.kind) {
    case Viewer::Kind::kSystem:
    case Viewer::Kind::kIntegration:
    case Viewer::Kind::kAdmin:
      return true;
    case Viewer::Kind::kAgent:
    case Viewer::Kind::kLightAgent:
      switch (v.ticket_scope) {
        case TicketScope::kAll:
          return true;
        case TicketScope::kGroups:
          return (relations & (kAssignee | Bit(Relation::kGroupMember))) != 0;
        case TicketScope::kAssigned:
          return (relations & kAssignee) != 0;
      }
      return false;
    case Viewer::Kind::kContact:
    case Viewer::Kind::kBlockedContact:
      return (relations & (kRequester | Bit(Relation::kCc))) != 0;
    case Viewer::Kind::kTrackingLink:
      return (relations & kTracked) != 0;
  }
  return false;
}

std::string SubjectText(const Subject& s, SubjectKind kind) {
  switch (kind) {
    case SubjectKind::kTicket:
      return s.ticket->id == 0
                 ? absl::StrCat(" (a new ticket for requester ", s.ticket->requester_id, ")")
                 : absl::StrCat(" on ticket ", s.ticket->id);
    case SubjectKind::kAgent:
      return s.agent_id == 0 ? "" : absl::StrCat(" for agent ", s.agent_id);
    case SubjectKind::kContact:
      return s.contact_id == 0 ? "" : absl::StrCat(" for contact ", s.contact_id);
    case SubjectKind::kNone:
      return "";
  }
  return "";
}

}  // namespace

Viewer Viewer::System() {
  Viewer v;
  v.kind = Kind::kSystem;
  v.actor.set_kind(v1::Actor::SYSTEM);
  return v;
}

Viewer Viewer::Integration(const v1::Actor& actor) {
  Viewer v;
  v.kind = Kind::kIntegration;
  v.actor = actor;
  return v;
}

Viewer Viewer::OfAgent(const v1::Agent& agent) {
  Viewer v;
  switch (agent.role()) {
    case v1::Agent::ADMIN:
      v.kind = Kind::kAdmin;
      break;
    case v1::Agent::LIGHT_AGENT:
      v.kind = Kind::kLightAgent;
      break;
    default:
      v.kind = Kind::kAgent;
  }
  v.actor.set_kind(v1::Actor::AGENT);
  v.actor.set_id(agent.id());
  switch (agent.ticket_access()) {
    case v1::Agent::GROUPS:
      v.ticket_scope = TicketScope::kGroups;
      break;
    case v1::Agent::ASSIGNED:
      v.ticket_scope = TicketScope::kAssigned;
      break;
    default:
      v.ticket_scope = TicketScope::kAll;
  }
  v.group_ids.assign(agent.group_ids().begin(), agent.group_ids().end());
  return v;
}

Viewer Viewer::OfContact(const v1::Contact& contact) {
  Viewer v;
  v.kind = contact.blocked() ? Kind::kBlockedContact : Kind::kContact;
  v.actor.set_kind(v1::Actor::CONTACT);
  v.actor.set_id(contact.id());
  if (contact.organization_id() != 0) v.organization_ids.push_back(contact.organization_id());
  return v;
}

Viewer Viewer::OfTrackingLink(int64_t ticket_id) {
  Viewer v;
  v.kind = Kind::kTrackingLink;
  v.actor.set_kind(v1::Actor::KIND_UNSPECIFIED);
  v.tracked_ticket_id = ticket_id;
  return v;
}

std::string Viewer::Describe() const {
  switch (kind) {
    case Kind::kSystem:
      return "system";
    case Kind::kIntegration:
      return actor.name().empty() ? "integration"
                                  : absl::StrCat("integration '", actor.name(), "'");
    case Kind::kAdmin:
      return absl::StrCat("admin ", actor.id());
    case Kind::kAgent:
      return absl::StrCat("agent ", actor.id());
    case Kind::kLightAgent:
      return absl::StrCat("light agent ", actor.id());
    case Kind::kContact:
      return absl::StrCat("contact ", actor.id());
    case Kind::kBlockedContact:
      return absl::StrCat("blocked contact ", actor.id());
    case Kind::kTrackingLink:
      return absl::StrCat("tracking link of ticket ", tracked_ticket_id);
  }
  return "unknown viewer";
}

absl::string_view ActionName(Action action) {
  switch (action) {
    case Action::kViewTicket: return "view the ticket";
    case Action::kViewInternalNotes: return "read internal notes";
    case Action::kWriteCustomerMessage: return "write customer messages";
    case Action::kReplyPublicly: return "reply publicly";
    case Action::kAddInternalNote: return "add internal notes";
    case Action::kUpdateFields: return "change ticket fields";
    case Action::kAssign: return "assign tickets";
    case Action::kMergeOrLink: return "merge or link tickets";
    case Action::kReadAuditLog: return "read the audit log";
    case Action::kViewSla: return "read SLA clocks";
    case Action::kAcceptOrDeclineOffer: return "accept or decline offers";
    case Action::kCreateTicket: return "create tickets";
    case Action::kCreateTicketWithFields:
      return "set status, assignee, group, tags, followers or the description's kind";
    case Action::kReadContacts: return "read contacts";
    case Action::kEditContactProfile: return "change contacts' names, locales and time zones";
    case Action::kManageContacts:
      return "create contacts or change their addresses, organization or ids";
    case Action::kBlockContacts: return "block contacts";
    case Action::kManageAgents: return "manage agents";
    case Action::kSetPresence: return "set agents' presence";
    case Action::kReadAgentLog: return "read agents' logs";
    case Action::kPullWork: return "pull tickets for agents";
    case Action::kManageOrganizations: return "manage organizations";
    case Action::kReadAgentsAndGroups: return "read agents and groups";
    case Action::kManageGroups: return "manage groups";
    case Action::kReadRoutingState: return "read the routing state";
    case Action::kReadQuarantine: return "read the quarantine";
    case Action::kManageQuarantine: return "retry or discard quarantined messages";
    case Action::kReadOutbox: return "read the outbox";
    case Action::kReplayOutbox: return "replay outbox entries";
    case Action::kViewReports: return "view reports";
    case Action::kManageRules: return "manage rules and macros";
    case Action::kManageKbArticles: return "manage knowledge base articles";
    case Action::kManageTrackingLink: return "issue, rotate or revoke tracking links";
    case Action::kUseViews: return "use saved views";
    case Action::kManageSharedViews: return "manage shared views";
    case Action::kExplainRules: return "explain the rules on the ticket";
    case Action::kExportPersonalData: return "export a contact's personal data";
    case Action::kErasePersonalData: return "erase a contact's personal data";
    case Action::kManageRetention: return "run retention and import archives";
  }
  return "do an unknown action";
}

TicketFacts TicketFacts::Of(const v1::Ticket& t) {
  TicketFacts f;
  f.id = t.id();
  f.requester_id = t.requester_id();
  f.cc_contact_ids.assign(t.cc_contact_ids().begin(), t.cc_contact_ids().end());
  f.organization_id = t.organization_id();
  f.assignee_id = t.assignee_id();
  f.group_id = t.group_id();
  f.follower_agent_ids.assign(t.follower_agent_ids().begin(), t.follower_agent_ids().end());
  return f;
}

SubjectKind SubjectOf(Action action) {
  int i = static_cast<int>(action);
  if (i < 0 || i >= kActionCount) return SubjectKind::kNone;
  return kRules[i].subject;
}

RelationSet RelationsOf(const Viewer& v, const Subject& s) {
  RelationSet r = 0;
  const int64_t id = v.actor.id();
  if (s.ticket != nullptr) {
    const TicketFacts& t = *s.ticket;
    if (v.IsContact()) {
      if (t.requester_id == id) r |= kRequester;
      if (Contains(t.cc_contact_ids, id)) r |= Bit(Relation::kCc);
      if (t.organization_id != 0 && Contains(v.organization_ids, t.organization_id)) {
        r |= Bit(Relation::kOrganizationMember);
      }
    } else if (v.IsAgent()) {
      if (t.assignee_id == id) r |= kAssignee;
      if (t.group_id != 0 && Contains(v.group_ids, t.group_id)) {
        r |= Bit(Relation::kGroupMember);
      }
      if (Contains(t.follower_agent_ids, id)) r |= Bit(Relation::kFollower);
    } else if (v.kind == Viewer::Kind::kTrackingLink) {
      if (t.id != 0 && t.id == v.tracked_ticket_id) r |= kTracked;
    }
  }
  if (s.agent_id != 0 && v.IsAgent() && s.agent_id == id) r |= kSelf;
  if (s.contact_id != 0 && v.IsContact() && s.contact_id == id) r |= kSelf;
  return r == 0 ? Bit(Relation::kNone) : r;
}

absl::Status Authorize(const Viewer& viewer, Action action, const Subject& subject) {
  const int i = static_cast<int>(action);
  if (i < 0 || i >= kActionCount) {
    return absl::InvalidArgumentError(absl::StrCat("action ", i, " is not an action"));
  }
  const Rule& rule = kRules[i];
  if (rule.subject == SubjectKind::kTicket && subject.ticket == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject: ", ActionName(action), " needs a ticket"));
  }
  const RelationSet relations = RelationsOf(viewer, subject);
  if (rule.needs_view && !MayView(viewer, relations)) {
    return absl::NotFoundError(absl::StrCat("ticket ", subject.ticket->id, " not found"));
  }
  if ((rule.allow[static_cast<int>(viewer.kind)] & relations) != 0 &&
      (!rule.all_tickets || !VisibilityFor(viewer).has_value())) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      viewer.Describe(), " may not ", ActionName(action), SubjectText(subject, rule.subject)));
}

std::optional<TicketVisibility> VisibilityFor(const Viewer& v) {
  switch (v.kind) {
    case Viewer::Kind::kContact:
    case Viewer::Kind::kBlockedContact: {
      TicketVisibility vis;
      vis.contact_id = v.actor.id();
      return vis;
    }
    case Viewer::Kind::kAgent:
    case Viewer::Kind::kLightAgent:
      switch (v.ticket_scope) {
        case TicketScope::kAll:
          return std::nullopt;
        case TicketScope::kGroups: {
          TicketVisibility vis;
          vis.group_ids = v.group_ids;
          vis.assignee_id = v.actor.id();
          return vis;
        }
        case TicketScope::kAssigned: {
          TicketVisibility vis;
          vis.assignee_id = v.actor.id();
          return vis;
        }
      }
      return std::nullopt;
    case Viewer::Kind::kTrackingLink: {
      TicketVisibility vis;
      vis.ticket_id = v.tracked_ticket_id;
      return vis;
    }
    default:
      return std::nullopt;
  }
}

KbAudience KbAudienceFor(const Viewer& v) {
  KbAudience a;
  switch (v.kind) {
    case Viewer::Kind::kSystem:
    case Viewer::Kind::kIntegration:
    case Viewer::Kind::kAdmin:
      a.everything = true;
      a.agents = true;
      a.drafts = true;
      break;
    case Viewer::Kind::kAgent:
    case Viewer::Kind::kLightAgent:
      a.agents = true;
      a.drafts = Authorize(v, Action::kManageKbArticles).ok();
      a.group_ids = v.group_ids;
      break;
    case Viewer::Kind::kContact:
    case Viewer::Kind::kBlockedContact:
      a.organization_ids = v.organization_ids;
      break;
    case Viewer::Kind::kTrackingLink:
      // Whoever holds a ticket's tracking link reads what an anonymous
      // visitor reads: public articles only.
      break;
  }
  return a;
}

KbAudience AnonymousKbAudience() { return KbAudience{}; }

bool KbAudienceAllows(const KbAudience& a, const KbArticleFacts& f) {
  if (a.everything) return true;
  switch (f.visibility) {
    case KbVisibility::kPublic:
      return true;
    case KbVisibility::kAgents:
      return a.agents;
    case KbVisibility::kRestricted:
      // Agents: restricted by groups when the article names groups (one
      // restricted to organizations only is for agents to answer from).
      if (a.agents && f.group_ids.empty()) return true;
      for (int64_t g : f.group_ids) {
        if (Contains(a.group_ids, g)) return true;
      }
      for (int64_t o : f.organization_ids) {
        if (Contains(a.organization_ids, o)) return true;
      }
      return false;
  }
  return false;
}

absl::Status AuthorizeKbArticle(const KbAudience& audience, const KbArticleFacts& article) {
  if (KbAudienceAllows(audience, article)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("article ", article.id, " not found"));
}

}  // namespace helpdesk
