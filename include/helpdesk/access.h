// Access: who may see and do what. A pure component: no store, no I/O; the
// Desk builds a Viewer from the store at the start of every command and asks
// Authorize before it reads or changes anything, and its ticket queries are
// restricted by VisibilityFor, which follows the same rules.
//
//   helpdesk::Viewer v = helpdesk::Viewer::OfAgent(agent);
//   helpdesk::TicketFacts facts = helpdesk::TicketFacts::Of(ticket);
//   absl::Status s = helpdesk::Authorize(v, helpdesk::Action::kUpdateFields,
//                                        helpdesk::Subject::Ticket(facts));
//   // OK, NotFound ("ticket 12 not found") or PermissionDenied
//   // ("light agent 7 may not change ticket fields on ticket 12").
//
// The model. A viewer has a kind (system, integration, admin, agent, light
// agent, contact, blocked contact) and, for agents and light agents, a ticket
// scope (all tickets, their groups' and their own, their own only). An action
// is about a subject: a ticket, an agent, a contact, or nothing. The viewer's
// relations to the subject are derived from the facts (RelationsOf): to a
// ticket, requester, CC or member of its organization (contacts); assignee,
// member of its group or follower (agents); to a person, self. The answer is
// a table of kind x action -> the relations that allow it; any relation that
// holds is enough. A new viewer kind or action is one enum value plus its
// table row in access.cc (and its row in tests/access_test.cc, the spec).
//
// docs/access.md has the whole table. In short:
//   system: everything.
//   integration (an API client acting for the host, e.g. a CRM sync or a
//     channel adapter): works every ticket and manages contacts and
//     organizations like an agent who sees all tickets; reads agents, groups,
//     the quarantine, the outbox and routing; is not an admin: it does not
//     manage agents or groups, block contacts, replay the outbox, act for an
//     agent (presence, pull, accept, decline) or read agents' logs.
//   admin: everything but what only the system may do (nothing today).
//   agent: works the tickets its scope lets it see; manages contacts and
//     organizations; sets its own presence, pulls, accepts and declines its
//     own work. Only an agent who sees every ticket reads the outbox and the
//     quarantine (they hold every ticket's mail) or reports.
//   light agent: reads the tickets its scope lets it see and adds internal
//     notes; changes nothing else but its own presence and work.
//   contact: creates its own tickets, reads and writes customer messages on
//     tickets it requested or is copied on (never internal notes, the audit
//     log or SLA clocks); reads its own record and changes its name, locale
//     and time zone.
//   blocked contact: reads what a contact reads; writes nothing but its own
//     profile.
//   tracking link (a customer holding a ticket's tracking token, signed in
//     or not): views that one ticket's public thread and status; nothing
//     else (no internal notes, no other ticket, no write of any kind).
//
// Ticket actions on a ticket the viewer may not view answer NotFound, exactly
// as for a missing ticket, so ids of other customers' tickets are not
// revealed; every other refusal is PermissionDenied.
//
// Thread safety: everything here is a pure function of its arguments.
#ifndef HELPDESK_ACCESS_H_
#define HELPDESK_ACCESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

// Which tickets an agent or light agent may read (v1::Agent::TicketAccess).
enum class TicketScope {
  kAll,
  // Tickets of the agent's groups, plus tickets assigned to them.
  kGroups,
  // Only tickets assigned to them.
  kAssigned,
};

// Who is asking, with the ids the rules need. Build one with the factories.
struct HELPDESK_EXPORT Viewer {
  enum class Kind {
    kSystem,
    kIntegration,
    kAdmin,
    kAgent,
    kLightAgent,
    kContact,
    kBlockedContact,
    // Whoever holds a ticket's tracking-link token (Desk tracking().Track):
    // may view that one ticket (tracked_ticket_id), nothing else.
    kTrackingLink,
  };
  static constexpr int kKindCount = 8;

  Kind kind = Kind::kSystem;
  // The actor as the command named it (events record it).
  v1::Actor actor;
  // Agents and light agents (admins see every ticket).
  TicketScope ticket_scope = TicketScope::kAll;
  std::vector<int64_t> group_ids;
  // Contacts: the organizations they belong to.
  std::vector<int64_t> organization_ids;
  // Tracking links: the one ticket the token opens.
  int64_t tracked_ticket_id = 0;

  static Viewer System();
  // `actor` is kept as given (kind INTEGRATION, its name).
  static Viewer Integration(const v1::Actor& actor);
  // By role: ADMIN an admin, LIGHT_AGENT a light agent, else an agent.
  // A deactivated agent may do nothing; the caller refuses it before.
  static Viewer OfAgent(const v1::Agent& agent);
  // A blocked contact is a kBlockedContact.
  static Viewer OfContact(const v1::Contact& contact);
  // The holder of ticket `ticket_id`'s tracking-link token. Its actor has
  // kind KIND_UNSPECIFIED: it is never resolved from an actor a command
  // names, only built by the desk once a token checked out.
  static Viewer OfTrackingLink(int64_t ticket_id);

  bool IsContact() const { return kind == Kind::kContact || kind == Kind::kBlockedContact; }
  bool IsAgent() const {
    return kind == Kind::kAdmin || kind == Kind::kAgent || kind == Kind::kLightAgent;
  }
  // "system", "integration 'crm'", "admin 3", "agent 3", "light agent 3",
  // "contact 5", "blocked contact 5", "tracking link of ticket 12": how
  // messages name the viewer.
  std::string Describe() const;
};

// What a viewer may do. Each action is about one kind of subject (SubjectOf).
enum class Action {
  // --- on a ticket -----------------------------------------------------------
  kViewTicket,          // read the ticket, its public messages and attachments
  kViewInternalNotes,   // read its internal notes (and their attachments)
  kWriteCustomerMessage,  // add a customer message (agents: on the requester's behalf)
  kReplyPublicly,       // add a public reply
  kAddInternalNote,     // add an internal note
  kUpdateFields,        // change status, priority, type, tags, CCs, fields, ...
  kAssign,              // change the assignee or group
  kMergeOrLink,         // merge it, or link it to another ticket
  kReadAuditLog,        // read its audit log (and routing's last decision)
  kViewSla,             // read its SLA clocks
  kAcceptOrDeclineOffer,  // accept or decline the routing offer it holds
  // The subject is the ticket about to be created (id 0): who creates it.
  kCreateTicket,
  // Create a ticket setting status, assignee, group, tags, followers or a
  // description that is not a customer message.
  kCreateTicketWithFields,
  // --- on a contact (or none: any contact) -----------------------------------
  kReadContacts,        // read a contact, look contacts up, a contact's history
  kEditContactProfile,  // change a contact's name, locale and time zone
  kManageContacts,      // create contacts, change identities, organization, ids
  kBlockContacts,
  // --- on an agent (or none: any agent) -------------------------------------
  kManageAgents,        // create and change agents
  kSetPresence,         // set an agent's presence
  kReadAgentLog,        // read an agent's audit log
  kPullWork,            // take the next ticket from routing for an agent
  // --- on nothing ---------------------------------------------------------------
  kManageOrganizations,
  kReadAgentsAndGroups,
  kManageGroups,
  kReadRoutingState,
  // These show what any ticket holds: only viewers who see every ticket (not
  // agents restricted to their groups or assignments).
  kReadQuarantine,
  kManageQuarantine,    // retry or discard quarantined messages
  kReadOutbox,
  kReplayOutbox,
  // For the components that follow (reports, rules, knowledge base).
  kViewReports,         // every ticket's figures: only viewers who see every ticket
  kManageRules,         // triggers, automations, macros
  kManageKbArticles,
  // --- on a ticket (tracking links) -----------------------------------------
  // Issue, rotate or revoke the ticket's tracking link: staff who may change
  // the ticket, and its requester.
  kManageTrackingLink,
  // Saved views (issue 16; on nothing). Keep, change and run one's own views
  // and run the shared ones: every staff viewer (running applies the
  // viewer's own ticket visibility).
  kUseViews,
  // Create, change and delete the views shared with every agent.
  kManageSharedViews,
  // --- on a ticket (automation, issue 14) ----------------------------------------
  kExplainRules,        // ask which rules would fire on it now, and why (dry run)
  // --- Personal data (issue 16) ------------------------------------------------
  // On a contact: export everything held about it (profile, tickets, every
  // message including internal notes, events, attachments): system,
  // integrations and admins.
  kExportPersonalData,
  // On a contact: erase it (anonymise identity and message content): system
  // and admins.
  kErasePersonalData,
  // On nothing: run retention (purge old closed tickets and orphaned
  // attachments) and import an export archive: system and admins.
  kManageRetention,
};
inline constexpr int kActionCount = static_cast<int>(Action::kManageRetention) + 1;

// The action in words, e.g. "change ticket fields".
HELPDESK_EXPORT absl::string_view ActionName(Action action);

// What a ticket's access depends on (copied from a v1::Ticket, or built for a
// ticket about to be created).
struct HELPDESK_EXPORT TicketFacts {
  int64_t id = 0;  // 0 for a ticket about to be created
  int64_t requester_id = 0;
  std::vector<int64_t> cc_contact_ids;
  int64_t organization_id = 0;
  int64_t assignee_id = 0;
  int64_t group_id = 0;
  std::vector<int64_t> follower_agent_ids;

  static TicketFacts Of(const v1::Ticket& ticket);
};

enum class SubjectKind { kNone, kTicket, kAgent, kContact };

// The kind of subject `action` is about.
HELPDESK_EXPORT SubjectKind SubjectOf(Action action);

// What an action is done to. Ticket actions need a ticket; agent and contact
// actions take the person's id, or none for "some agent/contact" (create, list,
// look up), which no relation but kNone holds.
struct Subject {
  const TicketFacts* ticket = nullptr;  // borrowed; must outlive the call
  int64_t agent_id = 0;
  int64_t contact_id = 0;

  static Subject None() { return {}; }
  static Subject Ticket(const TicketFacts& facts) { return {.ticket = &facts}; }
  static Subject Agent(int64_t id) { return {.agent_id = id}; }
  static Subject Contact(int64_t id) { return {.contact_id = id}; }
};

// The viewer's relation to a subject.
enum class Relation {
  kNone,
  kRequester,           // a contact who requested the ticket
  kCc,                  // a contact copied on it
  kOrganizationMember,  // a contact of the ticket's organization
  kAssignee,            // the agent it is assigned to
  kGroupMember,         // an agent of the ticket's group
  kFollower,            // an agent following it
  kSelf,                // the person the action is about
  kTrackedTicket,       // a tracking link's own ticket
};
inline constexpr int kRelationCount = static_cast<int>(Relation::kTrackedTicket) + 1;

// A set of relations, one bit per Relation.
using RelationSet = uint32_t;
constexpr RelationSet RelationBit(Relation r) { return RelationSet{1} << static_cast<int>(r); }

// Every relation the viewer has to the subject; {kNone} when it has none.
HELPDESK_EXPORT RelationSet RelationsOf(const Viewer& viewer, const Subject& subject);

// May `viewer` do `action` to `subject`? The one question every command and
// query of the Desk asks.
//
// Returns OK when any relation the viewer has to the subject allows the
// action. Errors:
//   NotFound "ticket <id> not found": a ticket action (but creation) on a
//     ticket the viewer may not view.
//   PermissionDenied naming the viewer, the action and the subject, e.g.
//     "contact 5 may not read the audit log on ticket 12".
//   InvalidArgument when a ticket action has no ticket or `action` is out of
//     range (a programmer's error).
HELPDESK_EXPORT absl::Status Authorize(const Viewer& viewer, Action action,
                       const Subject& subject = Subject::None());

// Restricts a ticket query to the tickets one reader may see. A ticket is
// visible when any of the set conditions holds (an unset condition matches
// nothing): it was requested by `contact_id` or copies `contact_id` (CC); it
// is in one of `group_ids`; it is assigned to `assignee_id`; it is ticket
// `ticket_id` (a tracking link's one ticket).
struct TicketVisibility {
  std::optional<int64_t> contact_id;
  std::vector<int64_t> group_ids;
  std::optional<int64_t> assignee_id;
  std::optional<int64_t> ticket_id;
};

// The restriction for `viewer`'s ticket queries, or nullopt when it sees
// every ticket. A ticket passes it exactly when
// Authorize(viewer, kViewTicket, that ticket) is OK.
HELPDESK_EXPORT std::optional<TicketVisibility> VisibilityFor(const Viewer& viewer);

// --- Knowledge base articles ------------------------------------------------
//
// Who finds which article (search, suggestions, views). An article is
// PUBLIC (everyone, anonymous visitors too), AGENTS (every agent, light
// agents too) or RESTRICTED to groups (their agents) and organizations
// (their contacts; every agent too when the article names no group). Drafts are seen by those who manage articles
// (kManageKbArticles: agents, admins, integrations, the system), light agents
// and customers see published translations only. The system, integrations
// and admins see every article. Refusals answer NotFound, as for a missing
// article, so hidden articles' ids are not revealed.

enum class KbVisibility { kPublic, kAgents, kRestricted };

// What an article's access depends on (copied from a v1::KbArticle).
struct KbArticleFacts {
  int64_t id = 0;
  KbVisibility visibility = KbVisibility::kPublic;
  std::vector<int64_t> group_ids;
  std::vector<int64_t> organization_ids;
};

// The articles one reader may find. Stores filter searches by it before
// ranking, so a page of results is never short because of hidden articles.
struct KbAudience {
  // Every article (system, integrations, admins).
  bool everything = false;
  // AGENTS articles.
  bool agents = false;
  // Draft translations of the articles it may see.
  bool drafts = false;
  // RESTRICTED articles naming one of these groups or organizations.
  std::vector<int64_t> group_ids;
  std::vector<int64_t> organization_ids;
};

// The audience of `viewer`.
HELPDESK_EXPORT KbAudience KbAudienceFor(const Viewer& viewer);
// An anonymous visitor (a help center page, a web form before sign-in):
// published PUBLIC articles only.
HELPDESK_EXPORT KbAudience AnonymousKbAudience();
// Whether `audience` may see the article (its published translations; drafts
// too when audience.drafts).
HELPDESK_EXPORT bool KbAudienceAllows(const KbAudience& audience, const KbArticleFacts& article);
// OK when `audience` may see the article, else NotFound "article <id> not
// found" (exactly as for a missing article).
HELPDESK_EXPORT absl::Status AuthorizeKbArticle(const KbAudience& audience,
                                                const KbArticleFacts& article);

}  // namespace helpdesk

#endif  // HELPDESK_ACCESS_H_
