// The options a Desk is opened with (DeskOptions: store, clock, limits,
// workflow, SLAs, ingest, outbox, routing). The actor helpers and the names
// of priorities, ticket types and presence are in helpdesk/names.h (included).
#ifndef HELPDESK_DESK_OPTIONS_H_
#define HELPDESK_DESK_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/clock.h"
#include "helpdesk/export.h"
#include "helpdesk/names.h"
#include "helpdesk/routing.h"
#include "helpdesk/rules.h"
#include "helpdesk/sla.h"
#include "helpdesk/store.h"
#include "helpdesk/templates.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/workflow.h"

namespace helpdesk {


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


// How Inbox::Ingest treats channel messages.
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
  // Ingest, IngestBatch and QuarantineRaw commit durably
  // (TransactionOptions::durable): a message is acknowledged to its source
  // only after the commit that stored or quarantined it is durable, so a
  // power loss cannot lose a message its source has already let go of (a
  // Maildir file moved to cur/, an IMAP message flagged). Costs a flush of the
  // store per Ingest or per IngestBatch transaction (see bench/ingest_bench);
  // false trades that safety for speed.
  bool durable_commits = true;
  // What a message does that threads onto a ticket (by In-Reply-To or
  // References) whose sender may not join it. A sender joins a ticket's
  // thread only when they take part in it (requester, CC, an agent) or were
  // addressed (To/Cc) on a message of that ticket that the desk received
  // from a participant or sent; a reply-all from someone the customer copied
  // works, a stranger who learned or guessed a Message-ID never reads the
  // thread. A stranger's message opens a new ticket linked (RELATED) to the
  // old one (the default), or joins the old ticket as an internal note for
  // agents to decide (never reopening it, never adding the stranger as a CC).
  enum class StrangerReply { kNewLinkedTicket, kInternalNote };
  StrangerReply stranger_reply = StrangerReply::kNewLinkedTicket;
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
HELPDESK_EXPORT std::optional<WorkItem> DefaultWorkItem(const v1::Ticket& ticket);


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


// Automation (issue 14): a webhook rules may call (RuleAction.call_webhook
// names it). The desk writes a CHANNEL_WEBHOOK outbox entry to `url` whose
// body is a JSON description of the ticket and the rule, signed with
// HMAC-SHA256 under `secret` (OutboundMessage.signature).
struct WebhookTarget {
  std::string url;
  std::string secret;
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

  // --- Automation (issue 14) ---
  // Triggers and time-based automations (see rules.h); none when unset.
  // Build them with the same workflow and calendars. Triggers run inside
  // every read-write command's transaction, after its own changes, on the
  // events it wrote (a failed command fires nothing); Tick() runs the
  // automations that are due. Desk::Open checks that every template and
  // webhook a rule names exists (InvalidArgument naming the rule).
  std::shared_ptr<const RuleSet> rules;
  // The templates rules' replies and notifications and macros use.
  std::shared_ptr<const TemplateSet> templates;
  // Webhooks by name (RuleAction.call_webhook).
  std::map<std::string, WebhookTarget> webhooks;
  // Macros agents apply (Desk::automation().ApplyMacro); names unique.
  // Desk::Open checks each (ValidateMacro against `templates`, and its
  // status against the workflow).
  std::vector<Macro> macros;
  // The desk's zone and locale for dates in templates when the contact has
  // none.
  absl::TimeZone time_zone = absl::UTCTimeZone();
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_OPTIONS_H_
