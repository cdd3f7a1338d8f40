// Desk: the facade a host application calls.
//
// A Desk composes a Store and a Clock into help desk commands. Every command
// runs as one store transaction: it loads what it needs, checks permissions
// and input, changes state, and writes the state together with its audit
// events, so a change without its event (or the reverse) is never stored.
//
//   std::unique_ptr<helpdesk::Store> store = helpdesk::NewMemoryStore();
//   helpdesk::ManualClock clock(absl::Now());
//   auto desk = helpdesk::Desk::Open({.store = store.get(), .clock = &clock});
//   v1::Actor system = helpdesk::SystemActor();
//   auto ada = (*desk)->CreateContact(system, {.name = "Ada",
//                                             .emails = {"ada@example.com"}});
//   auto ticket = (*desk)->CreateTicket(
//       helpdesk::ContactActor(ada->id()),
//       {.subject = "VPN drops every hour", .description = "Since Monday..."});
//
// Who may do what. Every call takes the acting (or viewing) party as a
// v1::Actor:
//   SYSTEM, INTEGRATION: everything.
//   AGENT with role ADMIN: everything, including managing agents and groups.
//   AGENT with role AGENT: reads and changes the tickets its ticket_access
//     lets it see; creates contacts and organizations.
//   AGENT with role LIGHT_AGENT: reads those tickets; adds internal notes only.
//   CONTACT (a customer): creates tickets for itself; reads and replies to the
//     tickets it requested or is copied on (CC); never sees internal notes or
//     the audit log.
//   A deactivated or unknown agent, or an unknown contact, may do nothing.
// A reader who may not see a ticket gets NotFound, exactly as for a missing
// ticket, so ticket ids of other customers are not revealed. An action that
// the actor's role forbids on a ticket it can see gets PermissionDenied.
//
// Error codes (each message names the field and the offending value):
//   InvalidArgument: malformed input (empty subject, invalid UTF-8, a field
//     over its limit, an unknown status name, an out-of-range enum value).
//   NotFound: a referenced ticket, contact, agent, group or organization does
//     not exist (or is not visible to the reader).
//   PermissionDenied: the actor may not do this.
//   FailedPrecondition: the ticket's state forbids it (merged, closed).
//   AlreadyExists: a contact identity, agent email or group name is taken.
//   Aborted: a stale expected_version; re-read the ticket and retry.
//   Unavailable, DataLoss, Internal: from the store (see store.h).
// A failed command changes nothing.
#ifndef HELPDESK_DESK_H_
#define HELPDESK_DESK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/routing.h"
#include "helpdesk/sla.h"
#include "helpdesk/store.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/channel.pb.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/workflow.h"

namespace helpdesk {

// Actors, for brevity at call sites.
v1::Actor SystemActor();
v1::Actor AgentActor(int64_t agent_id);
v1::Actor ContactActor(int64_t contact_id);
v1::Actor IntegrationActor(absl::string_view name);

// Parses "low", "normal", "high", "urgent" (any case). Errors: InvalidArgument
// naming `field` and the value.
absl::StatusOr<v1::Priority> ParsePriority(absl::string_view name,
                                           absl::string_view field = "priority");
// "low", "normal", "high", "urgent"; "unspecified" for 0.
std::string PriorityName(v1::Priority priority);
// Parses "question", "incident", "problem", "task" (any case).
absl::StatusOr<v1::TicketType> ParseTicketType(absl::string_view name,
                                               absl::string_view field = "type");
std::string TicketTypeName(v1::TicketType type);
// Parses "online", "away", "offline" (any case).
absl::StatusOr<v1::Presence> ParsePresence(absl::string_view name,
                                           absl::string_view field = "presence");
// "online", "away", "offline"; "unspecified" for 0.
std::string PresenceName(v1::Presence presence);

// Size limits on input. A value over its limit is refused with
// InvalidArgument naming the field, the size and the limit.
struct DeskLimits {
  size_t max_subject_bytes = 1000;
  size_t max_body_bytes = 4 << 20;          // text and HTML, each
  size_t max_attachment_bytes = 25 << 20;   // one attachment's content
  size_t max_attachments_per_message = 100;
  size_t max_tags = 100;
  size_t max_tag_bytes = 100;
  size_t max_custom_fields = 200;
  size_t max_custom_field_name_bytes = 100;
  size_t max_custom_field_text_bytes = 64 << 10;
  size_t max_name_bytes = 255;              // names of people, groups, files
  size_t max_ccs = 48;
  size_t max_identities = 50;               // per contact
  size_t max_batch = 10000;  // tickets per CreateTickets, messages per IngestBatch
};

// How Desk::Ingest treats channel messages.
struct IngestOptions {
  // What a reply to a closed ticket does: open a new follow-up ticket linked
  // to it (the default, as the leading help desks do), or join the closed
  // ticket as an internal note agents can see without reopening it.
  enum class ClosedTicketReply { kFollowUp, kInternalNote };
  ClosedTicketReply closed_ticket_reply = ClosedTicketReply::kFollowUp;
  // Acknowledge every new ticket from a person by e-mail (never automatic
  // mail, bounces or bulk mail, never a bouncing address). The text may use
  // {{ticket.id}}, {{ticket.subject}} and {{requester.name}}.
  bool acknowledge_new_tickets = false;
  std::string acknowledgement_text =
      "Hello {{requester.name}},\n\nWe received your request \"{{ticket.subject}}\" "
      "and opened ticket #{{ticket.id}}. Reply to this e-mail to add to it.\n";
  // The desk's own address and name, the sender of replies and
  // acknowledgements.
  std::string desk_email;
  std::string desk_name = "Support";
  // E-mail agents' public replies to the requester and CCs of e-mail tickets.
  bool email_public_replies = true;
  // Ingest and IngestBatch commit durably (TransactionOptions::durable): a
  // message is acknowledged to its source only after the commit that stored
  // it is durable, so a power loss cannot lose a message its source has
  // already let go of (a Maildir file moved to cur/, an IMAP message flagged).
  // Costs a flush of the store per Ingest or per IngestBatch transaction
  // (see bench/ingest_bench); false trades that safety for speed.
  bool durable_commits = true;
};

// How the outbox retries deliveries.
struct OutboxOptions {
  // Delay before the n-th retry: initial_backoff * 2^(n-1), at most
  // max_backoff.
  absl::Duration initial_backoff = absl::Seconds(30);
  absl::Duration max_backoff = absl::Hours(1);
  // Attempts before an entry becomes DEAD.
  int max_attempts = 8;
  // A claimed entry is retried after this long if its dispatcher vanished
  // (at-least-once delivery).
  absl::Duration lease = absl::Minutes(5);
};

// The routing view of a ticket that the desk uses unless the host gives its
// own (RoutingOptions::work_item): channel (API when unset), group, priority;
// required skills from tags "skill:<name>" or "skill:<name>:<level>" (level 1
// to 10; the highest of a skill's tags counts); VIP from the tag "vip";
// customer_tier and support_tier from integer custom fields of those names;
// the SLA due time from the ticket's next SLA deadline; queued since
// routing_queued_at (created_at before the desk first queued it); the
// preferred agent from sticky_agent_id, the agent who last answered the
// requester publicly, which the Desk keeps (see v1::Ticket.sticky_agent_id):
// with a sticky-owner policy (RoutingPolicyConfig.sticky_owner) the ticket
// goes back to that agent when they are online with room. Hosts that know an
// account owner instead map it themselves through RoutingOptions::work_item.
std::optional<WorkItem> DefaultWorkItem(const v1::Ticket& ticket);

// How the desk routes tickets to agents (see routing.h for the policies).
//
// With routing, the Desk keeps a RoutingPolicy in step with the store: at
// Open it loads every agent and every new or open ticket (queued when
// unassigned, counted against its assignee's capacity otherwise); after every
// committed command it reports the tickets and agents the command wrote; and
// then it places what can be placed, each decision its own transaction that
// assigns the ticket and writes a ROUTED event whose note is the policy's
// reason ("why this agent"). Tickets leave routing when they are solved,
// pending, on hold, closed or merged, and come back when they reopen. Time
// based steps (relaxation, escalation, offers running out) happen in Tick().
//
// One process routes a store: two Desks routing the same store would each
// place tickets from their own view (the store still never assigns a ticket
// twice: a decision commits only while the ticket is unassigned).
struct RoutingOptions {
  // The built-in policy to build (NewRoutingPolicy); least loaded when no
  // policy is set. Ignored when make_policy is set.
  v1::RoutingPolicyConfig policy;
  // The host's own policy, built at Open and again whenever the desk rebuilds
  // its routing state from the store (after a failed write).
  std::function<absl::StatusOr<std::unique_ptr<RoutingPolicy>>()> make_policy;
  // The routing view of a ticket; nullopt keeps a ticket out of routing
  // (worked by hand). Default: DefaultWorkItem. Must be deterministic and
  // must not call the Desk.
  std::function<std::optional<WorkItem>(const v1::Ticket&)> work_item;
  // Push (true): the desk places queued work as soon as an agent can take it,
  // after every command and in Tick. Pull only (false): tickets wait until an
  // agent asks for their next one (NextTicketFor).
  bool push = true;
  // How long an agent has to accept a ticket routed to them (AcceptTicket)
  // before the offer counts as declined and the ticket goes back to the queue
  // (never to be offered to them again). Zero: routed tickets are assigned
  // outright.
  absl::Duration offer_timeout = absl::ZeroDuration();
  // What happens to an agent's new and open tickets when they go away or
  // offline: they stay with the agent, or are re-queued — to the agent's
  // backup_agent_id when that agent is online (even above their capacity),
  // else to everyone, waiting from the moment they were re-queued.
  // Deactivating an agent always re-queues.
  enum class OnLeave { kKeepAssigned, kRequeue };
  OnLeave on_away = OnLeave::kKeepAssigned;
  OnLeave on_offline = OnLeave::kRequeue;
};

struct DeskOptions {
  // Required; borrowed: must outlive the Desk.
  Store* store = nullptr;
  // Required; borrowed: must outlive the Desk.
  Clock* clock = nullptr;
  DeskLimits limits;
  // The statuses tickets may have and the moves between them; enforced on
  // every status change (see workflow.h).
  Workflow workflow = Workflow::Default();
  // Service level targets (see sla.h); none when unset. Build it with the
  // same workflow. With SLAs, every ticket change recomputes the ticket's
  // next SLA deadline, and Tick() raises warnings and breaches.
  std::optional<SlaEngine> sla;
  IngestOptions ingest;
  OutboxOptions outbox;
  // Routing of tickets to agents; none when unset (tickets are assigned by
  // hand).
  std::optional<RoutingOptions> routing;
};

// What Desk::Ingest did with a message.
struct IngestResult {
  enum class Outcome {
    // A new ticket was opened.
    kCreatedTicket,
    // The message joined an existing ticket.
    kAppended,
    // An automatic reply or bounce was recorded on its ticket (as an internal
    // note) or, with no ticket to join, only remembered; nothing answers it.
    kRecordedAutomatic,
  };
  Outcome outcome = Outcome::kCreatedTicket;
  int64_t ticket_id = 0;
  int64_t message_id = 0;
  int64_t contact_id = 0;
  // Set when this exact message had been ingested before: nothing was done
  // now and the fields are the first result.
  bool duplicate = false;
  // For a follow-up of a closed ticket: the closed ticket.
  int64_t follow_up_of = 0;
};

// What one Desk::DispatchOutbox did.
struct DispatchReport {
  int delivered = 0;
  int retried = 0;
  int dead = 0;
};

// What one Desk::Tick did.
struct TickReport {
  // Tickets whose SLA deadline had come and that were evaluated.
  int tickets_evaluated = 0;
  int warnings = 0;
  int breaches = 0;
  // Routing: tickets placed, and offers that ran out.
  int routed = 0;
  int offers_expired = 0;
};

// What the desk's routing holds now (Desk::RoutingState).
struct RoutingSnapshot {
  std::string policy;
  // Routed tickets waiting for an agent, oldest first, and since when.
  std::vector<std::pair<int64_t, absl::Time>> queued;
  // Tickets counted against agents' capacity (including pending offers).
  int64_t assigned = 0;
  // The same per agent and channel: each agent's current load.
  struct Load {
    int64_t agent_id = 0;
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
    int64_t items = 0;
  };
  std::vector<Load> load;
  // When Tick() next has time-based routing work; InfiniteFuture for none.
  absl::Time next_wakeup = absl::InfiniteFuture();
};

// An attachment to upload with a message. Its content is stored once per
// distinct SHA-256, however many messages carry it.
struct AttachmentUpload {
  std::string file_name;
  std::string media_type = "application/octet-stream";
  std::string content;
  std::string content_id;  // for inline parts referenced from HTML
  bool is_inline = false;
};

struct NewTicket {
  std::string subject;
  // The requester (a contact id). 0 means the acting contact when a contact
  // creates the ticket; required otherwise.
  int64_t requester_id = 0;
  // The first message; may be empty (then the ticket has no message).
  std::string description;
  std::string description_html;
  std::vector<AttachmentUpload> attachments;
  // What the first message is: a CUSTOMER_MESSAGE by the requester (the
  // default), or a PUBLIC_REPLY / INTERNAL_NOTE by the acting agent (an
  // outbound ticket).
  v1::Message::Kind description_kind = v1::Message::CUSTOMER_MESSAGE;
  // Empty for the workflow's initial status. Another status must be reachable
  // from the initial one by a transition whose guards the new ticket meets.
  std::string status;
  v1::Priority priority = v1::PRIORITY_NORMAL;
  v1::TicketType type = v1::TICKET_TYPE_UNSPECIFIED;
  std::vector<std::string> tags;
  std::map<std::string, v1::CustomFieldValue> custom_fields;
  int64_t assignee_id = 0;
  int64_t group_id = 0;
  v1::Channel channel = v1::CHANNEL_API;
  std::vector<int64_t> cc_contact_ids;
  std::vector<int64_t> follower_agent_ids;
  // The channel's id of the first message (e.g. an e-mail Message-ID).
  std::string external_id;
};

struct MessageDraft {
  v1::Message::Kind kind = v1::Message::PUBLIC_REPLY;
  std::string body_text;
  std::string body_html;
  std::vector<AttachmentUpload> attachments;
  v1::Channel channel = v1::CHANNEL_API;
  std::string external_id;
  // When set, the command fails with Aborted unless the ticket is at this
  // version.
  std::optional<int64_t> expected_version;
};

// A change of ticket fields; unset fields stay as they are.
struct TicketUpdate {
  std::optional<std::string> subject;
  std::optional<std::string> status;
  std::optional<v1::Priority> priority;
  std::optional<v1::TicketType> type;
  std::optional<int64_t> assignee_id;  // 0 unassigns
  std::optional<int64_t> group_id;     // 0 removes from the group
  std::optional<int64_t> requester_id;
  // Replaces every tag when set; then add_tags and remove_tags apply.
  std::optional<std::vector<std::string>> set_tags;
  std::vector<std::string> add_tags;
  std::vector<std::string> remove_tags;
  std::map<std::string, v1::CustomFieldValue> set_custom_fields;
  std::vector<std::string> remove_custom_fields;
  std::vector<int64_t> add_cc_contact_ids;
  std::vector<int64_t> remove_cc_contact_ids;
  std::vector<int64_t> add_follower_agent_ids;
  std::vector<int64_t> remove_follower_agent_ids;
  // When set, the command fails with Aborted unless the ticket is at this
  // version (the message names both versions).
  std::optional<int64_t> expected_version;
};

struct NewContact {
  std::string name;
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::vector<std::string> chat_handles;
  int64_t organization_id = 0;
  std::string locale;
  std::string time_zone;  // IANA name, checked
  std::string external_id;
};

struct NewAgent {
  std::string name;
  std::string email;
  v1::Agent::Role role = v1::Agent::AGENT;
  v1::Agent::TicketAccess ticket_access = v1::Agent::ALL;
  std::vector<int64_t> group_ids;
  std::vector<v1::Skill> skills;
  std::vector<v1::ChannelCapacity> capacity;
  std::string external_id;
  // Takes over this agent's tickets when routing re-queues them; 0 for none.
  int64_t backup_agent_id = 0;
};

// A change of a contact; unset fields stay as they are. Identities are
// normalised as in CreateContact.
struct ContactUpdate {
  std::optional<std::string> name;
  std::vector<std::string> add_emails;
  std::vector<std::string> remove_emails;
  std::vector<std::string> add_phones;
  std::vector<std::string> remove_phones;
  std::vector<std::string> add_chat_handles;
  std::vector<std::string> remove_chat_handles;
  std::optional<int64_t> organization_id;  // 0 removes
  std::optional<std::string> locale;
  std::optional<std::string> time_zone;
  std::optional<std::string> external_id;
  // Fails with Aborted unless the contact is at this version.
  std::optional<int64_t> expected_version;
};

// A change of an agent; unset fields stay as they are.
struct AgentUpdate {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<v1::Agent::Role> role;
  std::optional<v1::Agent::TicketAccess> ticket_access;
  std::optional<std::vector<int64_t>> group_ids;
  std::optional<std::vector<v1::Skill>> skills;
  std::optional<std::vector<v1::ChannelCapacity>> capacity;
  // A deactivated agent keeps its history but may do nothing and cannot be
  // assigned tickets.
  std::optional<bool> deactivated;
  std::optional<int64_t> backup_agent_id;  // 0 removes
  std::optional<int64_t> expected_version;
};

// A ticket with what one reader may see of its thread.
struct TicketView {
  v1::Ticket ticket;
  std::vector<v1::Message> messages;
  // The SLA clocks as of the desk's clock, for staff readers of a desk with
  // SLAs.
  std::optional<SlaStatus> sla;
};

// The facade. Create with Desk::Open.
//
// Thread safety: thread-safe when the store is (all built-in stores are).
// Each command is one transaction; the only state a Desk keeps of its own is
// its routing policy (with DeskOptions::routing), behind a mutex, changed
// after commits.
class Desk {
 public:
  // Checks the options and returns a desk. Errors: InvalidArgument naming the
  // missing store or clock.
  static absl::StatusOr<std::unique_ptr<Desk>> Open(DeskOptions options);

  ~Desk();
  Desk(const Desk&) = delete;
  Desk& operator=(const Desk&) = delete;

  const DeskOptions& options() const;

  // --- Tickets: commands ---------------------------------------------------

  // Creates a ticket and its first message; writes a TICKET_CREATED event.
  // The organization is copied from the requester, and so is the sticky
  // owner (sticky_agent_id from the requester's last_answered_by_agent_id);
  // an agent writing the first message as a PUBLIC_REPLY becomes the sticky
  // owner and the requester's last answering agent instead. Tickets opened by
  // Ingest and IngestBatch are created the same way. Errors as listed above;
  // NotFound names the missing requester/assignee/group/CC.
  absl::StatusOr<v1::Ticket> CreateTicket(const v1::Actor& actor,
                                          const NewTicket& ticket);

  // Creates many tickets in one transaction: all or none. Meant for imports
  // and bulk loads. Errors: as CreateTicket, the message prefixed with the
  // index of the first bad ticket ("tickets[3].subject ...");
  // InvalidArgument when there are more than DeskLimits::max_batch.
  absl::StatusOr<std::vector<v1::Ticket>> CreateTickets(
      const v1::Actor& actor, absl::Span<const NewTicket> tickets);

  // Adds a message to a ticket and writes a MESSAGE_ADDED event. A customer
  // message on a ticket whose status the workflow lists in reopen_from moves it
  // to reopen_to (by default: pending or solved -> open); a closed ticket takes
  // no messages. An agent's PUBLIC_REPLY makes the agent the ticket's
  // sticky_agent_id and its requester's last_answered_by_agent_id, in the
  // same transaction (the contact's version moves when that changes);
  // internal notes, and replies by the system or integrations, change
  // neither. Errors:
  // FailedPrecondition when the ticket was merged (the message names the
  // ticket it was merged into) or is closed; PermissionDenied when a customer
  // writes anything but a CUSTOMER_MESSAGE or a light agent anything but an
  // INTERNAL_NOTE; InvalidArgument for an empty message (no text, HTML or
  // attachment).
  absl::StatusOr<v1::Message> AddMessage(const v1::Actor& actor,
                                         int64_t ticket_id,
                                         const MessageDraft& draft);

  // Changes ticket fields and writes one FIELDS_CHANGED event listing every
  // changed field with its value before and after. A status change must be a
  // transition of the workflow whose guards the ticket meets after the other
  // changes of the same update (so "assign and solve" is one update). An
  // update that changes nothing succeeds, writes nothing and keeps the
  // version. A new requester on a ticket with no public reply yet brings
  // their last_answered_by_agent_id as the ticket's sticky_agent_id; an
  // answered ticket keeps its sticky owner. Errors: PermissionDenied for
  // customers and light agents;
  // FailedPrecondition for a merged or closed ticket, a move the workflow does
  // not allow or a failed guard (named); Aborted for a stale
  // expected_version.
  absl::StatusOr<v1::Ticket> UpdateTicket(const v1::Actor& actor,
                                          int64_t ticket_id,
                                          const TicketUpdate& update);

  // Merges `source_id` into `target_id`: the source's messages move to the
  // target, its CCs and followers join the target's, its requester becomes a
  // CC of the target (so they keep seeing their messages), and the source is
  // moved to the workflow's merged_status with merged_into = target. The
  // target's sticky_agent_id becomes the author of the latest agent
  // PUBLIC_REPLY among the merged messages (unchanged when there is none);
  // contacts' last_answered_by_agent_id stay as they are. Writes MERGED_INTO
  // on the source and MERGED_FROM on the target. Errors: InvalidArgument when
  // source == target;
  // FailedPrecondition when either ticket is merged already or closed.
  absl::StatusOr<v1::Ticket> MergeTickets(const v1::Actor& actor,
                                          int64_t source_id, int64_t target_id);

  // Links two tickets; the link is stored on both with the mirrored kind (see
  // v1::TicketLink). Linking twice is a no-op. Errors: InvalidArgument when
  // a == b or the kind is unspecified/out of range.
  absl::Status LinkTickets(const v1::Actor& actor, int64_t ticket_id,
                           v1::TicketLink::Kind kind, int64_t other_ticket_id);

  // --- Tickets: queries ------------------------------------------------------

  absl::StatusOr<v1::Ticket> GetTicket(const v1::Actor& viewer,
                                       int64_t ticket_id);
  // The ticket and the messages the viewer may see (customers: no internal
  // notes), in order.
  absl::StatusOr<TicketView> ViewTicket(const v1::Actor& viewer,
                                        int64_t ticket_id);
  // Runs a query restricted to what the viewer may see (the restriction is
  // added to query.visible_to). Errors: InvalidArgument for a bad limit or
  // cursor.
  absl::StatusOr<TicketPage> QueryTickets(const v1::Actor& viewer,
                                          TicketQuery query);
  // The tickets a contact requested, newest first, as the viewer may see them.
  absl::StatusOr<TicketPage> ContactHistory(const v1::Actor& viewer,
                                            int64_t contact_id,
                                            absl::string_view cursor = "",
                                            int limit = 50);
  // The ticket's SLA clocks as of the desk's clock. Errors:
  // FailedPrecondition when the desk has no SLAs; PermissionDenied for
  // customers; NotFound.
  absl::StatusOr<SlaStatus> TicketSla(const v1::Actor& viewer, int64_t ticket_id);

  // --- Channels ------------------------------------------------------------

  // Takes one message from a channel adapter, in one transaction:
  //  1. the same idempotency key again returns the first result (duplicate);
  //  2. the sender is found by e-mail, phone or chat handle, or created; a
  //     blocked sender is refused (PermissionDenied) and only the refusal is
  //     remembered, so a replay is refused the same way;
  //  3. the message is threaded: by message ids (In-Reply-To, then every
  //     References entry, newest first), then by the ticket token if the sender
  //     takes part in that ticket, then by chat session; merged tickets lead to
  //     the ticket they were merged into; a reply to a closed ticket follows
  //     IngestOptions::closed_ticket_reply;
  //  4. a human message creates a ticket or joins one as a customer message
  //     (reopening per workflow); CCs of a new e-mail ticket become its CCs; a
  //     CC replying joins the ticket;
  //  5. an automatic reply or bounce is never answered: it is recorded as an
  //     internal note on its ticket (or nowhere), and a bounce marks the failed
  //     addresses of their contacts as bouncing;
  //  6. with acknowledge_new_tickets, a new ticket from a person gets an
  //     automatic acknowledgement, written to the outbox in the same
  //     transaction.
  // E-mail with no usable sender address at all (real mail has such) is kept,
  // from a shared "Unknown sender" contact whose reserved address
  // (unknown-sender@invalid) is marked bouncing, so it is never written to.
  // Errors: InvalidArgument naming the field (no sender identity on other
  // channels, no key, invalid UTF-8, over the limits); PermissionDenied for a
  // blocked sender.
  absl::StatusOr<IngestResult> Ingest(const v1::InboundMessage& message);

  // Ingests many messages the way a Maildir or IMAP poll delivers them: in
  // order, in one store transaction (one commit for the whole batch, which is
  // what makes it faster than one Ingest per message). Each message is treated
  // exactly as Ingest would treat it alone after the messages before it: a
  // reply threads into a ticket opened earlier in the same batch, and a
  // message whose idempotency key came earlier in the batch is a duplicate of
  // that first one (duplicate = true, the first one's fields).
  //
  // Returns one entry per message, in order: its IngestResult, or the status
  // Ingest would have returned for it: InvalidArgument naming the field for
  // a malformed message (nothing of it is stored), PermissionDenied for a
  // blocked sender (only the refusal is remembered, as by Ingest). A refused
  // or invalid message does not stop the others: the transaction is split
  // around a message that fails after it began writing, so its partial work
  // is rolled back alone. A store failure (Unavailable, DataLoss, Internal)
  // becomes the result of the messages whose transaction it hit; none of
  // them is stored, and ingesting them again is safe (idempotency keys).
  // Errors of the call itself: InvalidArgument when there are more than
  // DeskLimits::max_batch messages (then nothing is done).
  absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> IngestBatch(
      absl::Span<const v1::InboundMessage> messages);

  // Delivers outbox entries due at `now`, at least once each: an entry is
  // claimed (its next attempt moves by OutboxOptions::lease), delivered
  // through the adapter of its channel, then marked DELIVERED; a retryable
  // failure schedules the next attempt with exponential back-off, a permanent
  // one (or the last attempt) makes it DEAD. At most `limit` entries. Entries
  // of a channel without an adapter stay pending. Errors: from the store.
  absl::StatusOr<DispatchReport> DispatchOutbox(
      const std::map<v1::Channel, OutboundAdapter*>& adapters, absl::Time now,
      int limit = 100);

  // Outbox entries for inspection (staff only), by id after `after_id`.
  absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutbox(
      const v1::Actor& viewer, std::optional<v1::OutboxEntry::State> state,
      int64_t after_id = 0, int limit = 100);
  // Makes a DEAD entry PENDING again, due now, with its attempts reset
  // (admins and the system). Errors: NotFound; FailedPrecondition unless DEAD.
  absl::StatusOr<v1::OutboxEntry> ReplayOutbox(const v1::Actor& actor,
                                               int64_t entry_id);

  // --- Time-based work ------------------------------------------------------

  // Does the time-based work due by `now`. Routing (first): offers that ran
  // out count as declined (OFFER_DECLINED, the ticket queued again), and the
  // policy places what it can now (its relaxation and escalation steps).
  // SLAs: raises the SLA warnings and breaches due by `now`: every ticket whose
  // next SLA deadline is at or before `now` is evaluated, each warning and
  // breach of a cycle is written as an SLA_WARNING / SLA_BREACHED event
  // exactly once (a second Tick at the same time writes nothing), and the
  // ticket's next deadline moves on. Cost grows with the number of tickets
  // due, not with the number of tickets. Each ticket is its own transaction,
  // so a failure leaves the tickets before it done. A desk without SLAs does
  // nothing. Errors: from the store.
  absl::StatusOr<TickReport> Tick(absl::Time now);

  // --- Routing (DeskOptions::routing) ---------------------------------------

  // Pull: routes the next queued ticket that fits the agent ("give me my next
  // ticket"), assigns it to them (accepted: no offer) and writes a ROUTED
  // event. The acting agent pulls for themself; admins and the system for any
  // agent. Errors: FailedPrecondition without routing or when the agent is
  // away, offline or deactivated; NotFound when no queued ticket fits their
  // groups, skills and free capacity; PermissionDenied for others.
  absl::StatusOr<v1::Ticket> NextTicketFor(const v1::Actor& actor,
                                           int64_t agent_id);

  // The assignee accepts a ticket routed to them as an offer; writes
  // OFFER_ACCEPTED. Errors: FailedPrecondition without routing or when the
  // ticket holds no offer for its assignee; PermissionDenied unless the actor
  // is the assignee, an admin or the system.
  absl::StatusOr<v1::Ticket> AcceptTicket(const v1::Actor& actor,
                                          int64_t ticket_id);

  // The assignee gives back a ticket routed or assigned to them (declines an
  // offer): the ticket is unassigned, keeps its place in the queue and is
  // never offered to them again; writes OFFER_DECLINED and routes it anew.
  // Errors: FailedPrecondition without routing, or when the ticket is not
  // new or open or has no assignee; PermissionDenied unless the actor is the
  // assignee, an admin or the system.
  absl::StatusOr<v1::Ticket> DeclineTicket(const v1::Actor& actor,
                                           int64_t ticket_id);

  // The latest ROUTED event of the ticket: who got it, when and why (its
  // note). Staff only. Errors: NotFound when routing never placed it.
  absl::StatusOr<v1::Event> LastRoutingDecision(const v1::Actor& viewer,
                                                int64_t ticket_id);

  // What routing holds now. Staff only. Errors: FailedPrecondition without
  // routing.
  absl::StatusOr<RoutingSnapshot> RoutingState(const v1::Actor& viewer);

  // Recomputes the SLA deadline of every ticket that is not closed, e.g. after
  // the host changed its SLA configuration. Returns how many tickets it
  // visited. Errors: from the store.
  absl::StatusOr<int64_t> RefreshSlaDeadlines();

  // The ticket's audit log, oldest first. Errors: PermissionDenied for
  // customers.
  absl::StatusOr<std::vector<v1::Event>> AuditLog(const v1::Actor& viewer,
                                                  int64_t ticket_id);
  // The bytes of an attachment the viewer can see on one of its tickets'
  // visible messages. Errors: NotFound.
  absl::StatusOr<std::string> AttachmentContent(const v1::Actor& viewer,
                                                int64_t message_id,
                                                absl::string_view sha256);

  // --- People ------------------------------------------------------------------

  // Creates a contact. E-mail addresses are lower-cased, phones reduced to
  // digits (and a leading '+'). Errors: AlreadyExists when an identity belongs
  // to another contact; InvalidArgument for a malformed address, phone or
  // time zone; PermissionDenied for customers and light agents.
  absl::StatusOr<v1::Contact> CreateContact(const v1::Actor& actor,
                                            const NewContact& contact);
  absl::StatusOr<v1::Contact> GetContact(const v1::Actor& viewer,
                                         int64_t contact_id);
  // The contact with this e-mail address (any case). Errors: NotFound.
  absl::StatusOr<v1::Contact> FindContactByEmail(const v1::Actor& viewer,
                                                 absl::string_view email);
  // The contact owning an identity: an e-mail address (any case), a phone
  // number (any punctuation) or a chat handle. Staff only. Errors: NotFound;
  // InvalidArgument for a malformed value; PermissionDenied for customers.
  absl::StatusOr<v1::Contact> FindContactByIdentity(
      const v1::Actor& viewer, v1::ContactIdentity::Kind kind,
      absl::string_view value);
  // Changes a contact. Staff (not light agents) only; a customer may change
  // their own name, locale and time zone. Errors: as CreateContact; NotFound;
  // Aborted for a stale expected_version; InvalidArgument when removing an
  // identity the contact does not have.
  absl::StatusOr<v1::Contact> UpdateContact(const v1::Actor& actor,
                                            int64_t contact_id,
                                            const ContactUpdate& update);
  // Blocks or unblocks a contact. Errors: PermissionDenied unless admin/system.
  absl::StatusOr<v1::Contact> SetContactBlocked(const v1::Actor& actor,
                                                int64_t contact_id,
                                                bool blocked);

  absl::StatusOr<v1::Organization> CreateOrganization(
      const v1::Actor& actor, absl::string_view name,
      std::vector<std::string> domains = {});

  // Admins and the system only. Errors: AlreadyExists for a taken email;
  // NotFound for an unknown group.
  absl::StatusOr<v1::Agent> CreateAgent(const v1::Actor& actor,
                                        const NewAgent& agent);
  // Changes an agent. Admins and the system only. Errors: as CreateAgent;
  // NotFound; Aborted for a stale expected_version; FailedPrecondition when an
  // admin would deactivate or demote themself.
  absl::StatusOr<v1::Agent> UpdateAgent(const v1::Actor& actor, int64_t agent_id,
                                        const AgentUpdate& update);
  absl::StatusOr<v1::Agent> GetAgent(const v1::Actor& viewer, int64_t agent_id);
  absl::StatusOr<std::vector<v1::Agent>> ListAgents(const v1::Actor& viewer);
  // Sets an agent's presence (online, away, offline) and writes a
  // PRESENCE_CHANGED agent event; the same presence again changes nothing.
  // With routing, an agent going online gets queued work; going away or
  // offline re-queues their new and open tickets per RoutingOptions (each a
  // REQUEUED ticket event). The agent sets their own presence; admins and the
  // system anyone's. Errors: InvalidArgument for PRESENCE_UNSPECIFIED or an
  // unknown value; FailedPrecondition for a deactivated agent going online;
  // PermissionDenied; NotFound.
  absl::StatusOr<v1::Agent> SetAgentPresence(const v1::Actor& actor,
                                             int64_t agent_id,
                                             v1::Presence presence);
  // The agent's audit log (created, changed, presence), oldest first. Staff
  // only: admins see everyone's, agents their own. Errors: PermissionDenied;
  // NotFound.
  absl::StatusOr<std::vector<v1::AgentEvent>> AgentLog(const v1::Actor& viewer,
                                                       int64_t agent_id);
  // Admins and the system only. Errors: AlreadyExists for a taken name.
  absl::StatusOr<v1::Group> CreateGroup(const v1::Actor& actor,
                                        absl::string_view name,
                                        absl::string_view description = "");
  absl::StatusOr<std::vector<v1::Group>> ListGroups(const v1::Actor& viewer);

 private:
  class Impl;
  explicit Desk(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_H_
