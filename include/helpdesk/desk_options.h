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
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/calendar.h"
#include "helpdesk/clock.h"
#include "helpdesk/export.h"
#include "helpdesk/names.h"
#include "helpdesk/routing.h"
#include "helpdesk/rules.h"
#include "helpdesk/sla.h"
#include "helpdesk/store.h"
#include "helpdesk/templates.h"
#include "helpdesk/v1/calendar.pb.h"
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


// One of the desk's own e-mail addresses (support@, billing@, a brand's
// help@). Mail to any of them is the desk's: never a CC, never answered when
// it comes from one of them (a mail loop).
struct DeskAddress {
  std::string email;
  // The display name on mail sent from it; empty: IngestOptions::desk_name.
  std::string name;
  // Replies and acknowledgements on tickets of these groups are sent from
  // this address (the first address listing the ticket's group wins).
  std::vector<int64_t> group_ids;
  // Or of this brand: tickets whose text custom field
  // IngestOptions::brand_field equals it (compared without case).
  std::string brand;
  // The address of tickets nothing else chooses (at most one; without any,
  // ingest.desk_email when set, else the first address).
  bool is_default = false;
};

// The acknowledgements of new e-mail tickets (IngestOptions::
// acknowledge_new_tickets): which words, and when not to send one.
//
// Never sent, and recorded on the ticket as an AUTO_REPLY_SUPPRESSED event
// whose note gives the reason: for automatic mail (auto-replies, bounces:
// these open no ticket at all), bulk or list mail (Precedence bulk/junk/list,
// List-Id), a sender that looks automatic (no-reply, do-not-reply,
// postmaster, mailer-daemon, bounce(s), ... in their common spellings), a
// requester past the per-contact limit, or one without a usable (not
// bouncing) address. A bounce of an acknowledgement marks the address as
// bouncing and opens no ticket, so it never causes another.
struct AutoResponderOptions {
  // Templates (helpdesk/templates.h) rendered as text and HTML over the
  // ticket and its requester. The template for the period the message
  // arrived in is used when the set has it, else the next one down
  // (holiday, then out of hours, then in hours); without any (or without a
  // set, or when rendering fails) IngestOptions::acknowledgement_text is.
  std::optional<TemplateSet> templates;
  std::string in_hours_template = "acknowledgement";
  std::string out_of_hours_template = "acknowledgement_out_of_hours";
  std::string holiday_template = "acknowledgement_holiday";
  // The desk's business hours, one of its calendars (the one its SLA
  // policies name, say): its weekly hours decide "in hours", its holidays
  // (in its time zone) "holiday". Unset: always in hours. Desk::Open refuses
  // a calendar BusinessCalendar::Create refuses (InvalidArgument naming
  // ingest.auto_responder.calendar).
  std::optional<v1::CalendarConfig> calendar;
  // At most this many acknowledgements per contact in one window (windows
  // are consecutive spans of `window`, from the Unix epoch); 0: no limit.
  int max_per_contact = 3;
  absl::Duration window = absl::Hours(1);
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
  AutoResponderOptions auto_responder;
  // The desk's own address and name, the sender of replies and
  // acknowledgements.
  std::string desk_email;
  std::string desk_name = "Support";
  // More desk addresses. The sender of a reply or acknowledgement on a
  // ticket is, in order: the address of the ticket's group; the address its
  // first message arrived on (Ticket.desk_address); the address of its brand;
  // the default (DeskAddress::is_default, else desk_email, else the first).
  // desk_email alone is the one, default, address. Desk::Open refuses a
  // malformed address (InvalidArgument naming ingest.desk_addresses[i].email)
  // and two defaults.
  std::vector<DeskAddress> desk_addresses;
  // The text custom field that names a ticket's brand (DeskAddress::brand);
  // empty: tickets have no brand.
  std::string brand_field;
  // E-mail agents' public replies to the requester and CCs of e-mail tickets.
  bool email_public_replies = true;
  // Public replies on tickets of these channels (e-mail aside, see
  // email_public_replies) are written to the outbox on the ticket's own
  // channel, for the host's OutboundAdapter of that channel to deliver
  // (Outbox::Dispatch maps channel to adapter). Addressing, in the
  // OutboundMessage: `to` holds the requester with every identity the desk
  // knows (name, e-mail, phone, chat handle); `destination` is where the
  // channel delivers: CHAT the ticket's chat session (Ticket.conversation_id,
  // else the chat handle), WEB_FORM the requester's e-mail (else phone), PHONE
  // the phone number, any other channel the conversation id; threading
  // carries the chat session and the ticket token. A reply with nowhere to go
  // writes nothing. Internal notes never go out.
  std::set<v1::Channel> reply_channels = {v1::CHANNEL_CHAT, v1::CHANNEL_WEB_FORM};
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


// Customer satisfaction surveys (Tickets::RateSatisfaction).
//
// With survey_on_solve, a ticket moving to a solved status sends its
// requester a survey on the ticket's channel (through the outbox, as
// replies go) holding a signed rating link: rating_url + "?token=<token>".
// The token is "<ticket id>.<scale>.<expiry, Unix seconds>.<HMAC-SHA256 hex>",
// the HMAC over the ticket id, the scale and the expiry under `secret`; the
// host's rating page passes it, the score and a comment to RateSatisfaction.
struct CsatOptions {
  bool survey_on_solve = false;
  // Required with survey_on_solve (at least 16 bytes; Desk::Open refuses
  // less with InvalidArgument naming csat.secret). Keep it secret: whoever
  // has it can rate any ticket. Changing it voids the links sent.
  std::string secret;
  // GOOD_BAD (score 1 = bad, 5 = good) or FIVE_POINT (1..5).
  v1::SatisfactionRating::Scale scale = v1::SatisfactionRating::GOOD_BAD;
  // The host's rating page.
  std::string rating_url = "https://support.example.com/rate";
  // How long a link stays valid.
  absl::Duration link_lifetime = absl::Hours(24 * 30);
  // The survey: template `survey_template` of `templates` when it has it
  // (rendered with RenderContext::tracking_link set to the rating link),
  // else survey_text, which may use {{ticket.id}}, {{ticket.subject}},
  // {{requester.name}} and {{rating.link}}.
  std::optional<TemplateSet> templates;
  std::string survey_template = "csat_survey";
  std::string survey_text =
      "Hello {{requester.name}},\n\nTicket #{{ticket.id}} \"{{ticket.subject}}\" was "
      "solved. How did we do? Rate us here: {{rating.link}}\n";
};


// The knowledge base (Desk::kb()).
struct KbOptions {
  // Passes raw HTML in articles' Markdown through to readers. Only for a
  // desk whose article writers are trusted with the pages' scripts.
  bool allow_raw_html = false;
  // The locale searches and new articles use when none is given and the
  // reader has none.
  std::string default_locale = "en";
};

// Automation (issue 14): a webhook rules may call (RuleAction.call_webhook
// names it). The desk writes a CHANNEL_WEBHOOK outbox entry to `url` whose
// body is a JSON description of the ticket and the rule, signed with
// HMAC-SHA256 under `secret` (OutboundMessage.signature).
struct WebhookTarget {
  std::string url;
  std::string secret;
};


// --- Several processes (issue 17) ---
// The desk lease (DeskOptions::lease): when several processes run a Desk on
// one store, push routing and Tick's work (SLA events, offers running out,
// routing relaxation, automations) run only in the process holding the named
// lease (Store::AcquireLease). A Desk takes or renews it at each Tick and
// each read-write command on a routing desk (at most every ttl / 3 while it
// holds it; a process without it tries again once the holder's expiry has
// passed), so it moves to another process within `ttl` after its holder died
// or stopped renewing; the new holder rebuilds its routing state from the
// store (as Desk::Open does), and the holder rebuilds it at each Tick to see
// the other processes' writes. The writes the lease protects (routing
// assignments, offers running out, Tick's SLA events and automations) check
// its fencing token in their own transaction (Transaction::CheckLease), so a
// holder paused past its ttl writes nothing once another took over. Expiry
// is judged by each process's DeskOptions::clock: their clocks must agree to
// well within `ttl`.
struct DeskLeaseOptions {
  // This process's id among the processes sharing the store (e.g.
  // "host-a:4121"); required, unique per process.
  std::string holder;
  // The lease's name; processes of one desk share it.
  std::string name = "helpdesk.desk";
  // How long the lease lasts after each renewal; > 0.
  absl::Duration ttl = absl::Seconds(30);
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

  // Tracking links (Desk::tracking()): how long a link works after it was
  // issued or rotated, by the desk's clock; an older token is refused
  // exactly as an unknown one. Infinite by default (until revoked).
  absl::Duration tracking_link_lifetime = absl::InfiniteDuration();
  // Satisfaction surveys; none unless csat.survey_on_solve.
  CsatOptions csat;
  KbOptions kb;
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
  // --- Several processes (issue 17) ---
  // The desk lease (see DeskLeaseOptions). Unset (one process): this desk
  // always does the work. A store without leases (Unimplemented) counts as
  // always held too.
  std::optional<DeskLeaseOptions> lease;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_OPTIONS_H_
