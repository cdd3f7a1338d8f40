// Internal: DeskCore, the core every sub-part of the Desk shares (one
// transaction per command, resolving the actor, tracking what a command
// wrote for routing), declared once and implemented in desk_*.cc by what
// each part is for. Only the desk_*.cc files include it.
#ifndef HELPDESK_SRC_DESK_DESK_IMPL_H_
#define HELPDESK_SRC_DESK_DESK_IMPL_H_

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "desk/desk_routing.h"
#include "desk/ingest_degrade.h"
#include "desk/transaction_trackers.h"
#include "internal/text_checks.h"
#include "helpdesk/access.h"
#include "helpdesk/audit.h"
#include "helpdesk/desk.h"
#include "helpdesk/rules.h"
#include "helpdesk/templates.h"
#include "helpdesk/timestamp.h"
#include "internal/sha256.h"
#include "internal/status_macros.h"

namespace helpdesk {
namespace desk_internal {

using internal::CheckRequiredText;
using internal::CheckText;
using internal::Quote;

// The resolved actor of a command: who it is and what the access component
// needs to answer what it may do (helpdesk/access.h).
using Access = ::helpdesk::Viewer;

inline v1::TicketLink::Kind MirrorLink(v1::TicketLink::Kind kind) {
  switch (kind) {
    case v1::TicketLink::PARENT_OF:
      return v1::TicketLink::CHILD_OF;
    case v1::TicketLink::CHILD_OF:
      return v1::TicketLink::PARENT_OF;
    case v1::TicketLink::DUPLICATE_OF:
      return v1::TicketLink::DUPLICATED_BY;
    case v1::TicketLink::DUPLICATED_BY:
      return v1::TicketLink::DUPLICATE_OF;
    default:
      return kind;
  }
}

// Prefixes a status message with a location, e.g. "tickets[3].".
inline absl::Status Locate(const absl::Status& s, absl::string_view prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

inline absl::Status StaleVersion(int64_t ticket_id, int64_t expected, int64_t stored) {
  return absl::AbortedError(absl::StrCat("ticket ", ticket_id, ": expected version ",
                                         expected, ", stored version ", stored));
}

}  // namespace desk_internal

class DeskCore {
 public:
  using Access = desk_internal::Access;
  using WrittenObjects = desk_internal::WrittenObjects;
  using WriteTracker = desk_internal::WriteTracker;
  // What a command body run by Run returns.
  template <typename Body>
  using BodyResult = std::invoke_result_t<Body&, Transaction&>;

  explicit DeskCore(DeskOptions options) : options_(std::move(options)) {}

  absl::Status Init() ABSL_LOCKS_EXCLUDED(routing_mu_);

  // The ticket's audit log (Tickets::AuditLog; routing reads it too).
  absl::StatusOr<std::vector<v1::Event>> AuditLog(const v1::Actor& viewer,
                                                  int64_t ticket_id);

  const DeskOptions& options() const { return options_; }
  // Ingest's transactions (Ingest, IngestBatch, the quarantine of what they
  // cannot take): durable unless IngestOptions says otherwise.
  TransactionOptions IngestTransaction() const {
    return {.mode = TransactionMode::kReadWrite,
            .durable = options_.ingest.durable_commits};
  }
  absl::Time Now() const { return options_.clock->Now(); }

  // The desk's own address, normalised (empty when unset or malformed).
  std::string desk_email_;
  // Automation (issue 14), set at Init: the rules have time-based
  // automations; their conditions read the SLA.
  bool rules_have_automations_ = false;
  bool rules_read_sla_ = false;

  // --- Desk addresses (desk_replies.cc) ---------------------------------------

  // One of the desk's addresses, normalised (IngestOptions::desk_addresses
  // and desk_email).
  struct SenderAddress {
    std::string email;
    std::string name;
    std::vector<int64_t> group_ids;
    std::string brand;  // lower-cased
  };
  // Builds desk_addresses_ from the options (Init). Errors: InvalidArgument
  // naming the address.
  absl::Status InitDeskAddresses();
  // Whether `email` (normalised) is one of the desk's addresses.
  bool IsDeskAddress(absl::string_view email) const {
    return desk_address_set_.contains(email);
  }
  // The first To, then Cc, address of `m` that is one of the desk's; empty
  // when none is.
  std::string DeskAddressOf(const v1::InboundMessage& m) const;
  // The address mail about `t` is sent from (see IngestOptions::
  // desk_addresses); nullptr when the desk has none.
  const SenderAddress* SenderFor(const v1::Ticket& t) const;
  // --- Auto-responder (desk_autoresponder.cc) --------------------------------

  // Builds the acknowledgement calendar (Init). Errors: InvalidArgument.
  absl::Status InitAutoResponder();
  // Acknowledges new ticket `t` (opened by message `m`, stored as message
  // `message_id`, 0 for none) to `requester` (its requester as `tx` holds it
  // now), or records on `t` why not (AutoResponderOptions). `t`'s only
  // message with an external id is that one (Ingest's new ticket: the opening
  // message and those carrying its overflow attachments), so the reply's
  // thread is not read. Errors: the store's.
  absl::Status Acknowledge(Transaction& tx, const v1::Ticket& t,
                           const v1::Contact& requester, const v1::InboundMessage& m,
                           int64_t message_id, absl::Time now);
  // Appends AUTO_REPLY_SUPPRESSED with `reason` to `t`.
  absl::Status RecordSuppressed(Transaction& tx, const v1::Ticket& t,
                                absl::string_view what, absl::string_view reason,
                                absl::Time now);
  // --- CSAT (desk_csat.cc) ------------------------------------------------------

  // Checks CsatOptions (Init). Errors: InvalidArgument naming the field.
  absl::Status InitCsat() const;
  // The signed token of ticket `ticket_id`'s rating link, valid until
  // `expiry`, on `scale`.
  std::string CsatToken(int64_t ticket_id, v1::SatisfactionRating::Scale scale,
                        absl::Time expiry) const;
  // The ticket and scale a token is for. Errors: InvalidArgument when it is
  // malformed; PermissionDenied when its signature does not match or it
  // expired before `now`.
  absl::StatusOr<std::pair<int64_t, v1::SatisfactionRating::Scale>> VerifyCsatToken(
      absl::string_view token, absl::Time now) const;
  // Sends `t`'s requester the survey (on solve). Errors: the store's.
  absl::Status SendSurvey(Transaction& tx, const v1::Ticket& t, absl::Time now);
  absl::StatusOr<v1::Ticket> RateSatisfaction(const v1::Actor& actor,
                                              const SatisfactionInput& in);

  std::optional<BusinessCalendar> ack_calendar_;
  std::set<std::string> ack_holidays_;

  std::vector<SenderAddress> desk_addresses_;
  size_t default_address_ = 0;
  absl::flat_hash_set<std::string> desk_address_set_;

  // Runs `body` in a transaction of `mode`; commits when it succeeds. On a
  // desk that routes, a read-write command also routes inside its own
  // transaction (see RunRoutedLocked): the tickets and agents it wrote are
  // reported to the policy, queued work is placed and the assignments are
  // written before the one commit; the tickets routing assigned go, as
  // stored, to `routed` when given.
  template <typename Body>
  BodyResult<Body> Run(TransactionMode mode, Body&& body,
                       std::vector<v1::Ticket>* routed = nullptr)
      ABSL_LOCKS_EXCLUDED(routing_mu_) {
    return Run(TransactionOptions{.mode = mode}, body, routed);
  }
  // The same with `options`, e.g. a durable commit.
  template <typename Body>
  BodyResult<Body> Run(const TransactionOptions& options, Body&& body,
                       std::vector<v1::Ticket>* routed = nullptr)
      ABSL_LOCKS_EXCLUDED(routing_mu_) {
    if (!routing_enabled() || options.mode != TransactionMode::kReadWrite) {
      return RunOnce(options, body);
    }
    // Lock order: routing_mu_ first, then the store's write lock (which
    // Begin takes: SqliteStore's writer slot and BEGIN IMMEDIATE,
    // MemoryStore's exclusive lock). See routing_mu_.
    absl::MutexLock lock(&routing_mu_);
    return RunRoutedLocked(options, body, routed);
  }

  // A read-write command on a desk that routes, in one transaction:
  //   1. the policy is rebuilt first if it is dirty (a rebuild reads the
  //      store in transactions of its own, which would wait for this one);
  //   2. `body` runs; when it fails the transaction rolls back and routing
  //      has seen nothing of it;
  //   3. the tickets and agents it wrote are reported to the policy and
  //      queued work is placed, each assignment (and its ROUTED event)
  //      written into the same transaction (RouteWrittenInTxLocked);
  //   4. one commit; only then are the assignments noted in the mirror.
  // The policy learns of steps 3's writes before the commit (its port has no
  // undo), so when the commit fails the mirror is marked dirty and rebuilt
  // from the store before anything reads it: it never claims an assignment
  // the store does not hold. A routing failure that is the policy's marks the
  // mirror dirty and lets the command stand (the next routing step, at the
  // latest Tick, rebuilds and places the work); a store failure while
  // writing an assignment fails the whole command (rolled back), as any
  // other write of the command would.
  template <typename Body>
  BodyResult<Body> RunRoutedLocked(const TransactionOptions& options, Body&& body,
                                   std::vector<v1::Ticket>* routed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_) {
    // The desk lease (issue 17): a process without it runs the command
    // unrouted (the holder places the work at its next Tick); a new holder
    // rebuilds first.
    absl::StatusOr<LeaseView> lease = RenewLease(Now());
    const bool holds = lease.ok() && lease->held;
    if (!holds || lease->taken_over) routing_dirty_ = true;
    // When the rebuild fails the command still runs, unrouted; the mirror
    // stays dirty and the next routing step tries again.
    bool fresh = holds && EnsureFreshLocked(Now()).ok();
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                              options_.store->Begin(options));
    desk_internal::EventTracker* events = nullptr;  // automation (issue 14)
    if (automation_enabled()) tx = TrackEvents(std::move(tx), &events);
    WriteTracker tracked(std::move(tx));
    auto result = body(tracked);
    if (!result.ok()) return result;  // rolled back; the mirror untouched
    if (events != nullptr) {
      absl::Status fired = RunTriggersInTx(tracked, *events, Now());
      if (!fired.ok()) return fired;  // rolled back; the mirror untouched
    }
    const WrittenObjects written = tracked.Take();
    std::vector<v1::Ticket> decided;
    if (fresh && !written.empty()) {
      // Fencing (issue 17): routing writes only while the lease holds.
      absl::Status fence = FenceInTx(tracked);
      if (!fence.ok()) {
        if (!IsLeaseLost(fence)) return fence;  // rolled back
        fresh = false;
        routing_dirty_ = true;
      }
    }
    if (fresh && !written.empty()) {
      absl::Status s = RouteWrittenInTxLocked(tracked, written, Now(), &decided);
      if (!s.ok()) {
        routing_dirty_ = true;
        return s;  // tracked destroyed: the command and its routing roll back
      }
    }
    absl::Status committed = tracked.Commit();
    if (!committed.ok()) {
      // The policy heard of writes that did not happen.
      if (fresh && !written.empty()) routing_dirty_ = true;
      return committed;
    }
    for (const v1::Ticket& t : decided) routing_->NoteAssigned(t);
    if (routed != nullptr) routed->insert(routed->end(), decided.begin(), decided.end());
    return result;
  }

  // Runs `body` in one transaction and commits when it succeeds; nothing
  // else (no routing). The routing paths that hold routing_mu_ use it.
  template <typename Body>
  BodyResult<Body> RunOnce(TransactionMode mode, Body&& body) {
    return RunOnce(TransactionOptions{.mode = mode}, body);
  }
  template <typename Body>
  BodyResult<Body> RunOnce(const TransactionOptions& options, Body&& body) {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                              options_.store->Begin(options));
    desk_internal::EventTracker* events = nullptr;  // automation (issue 14)
    if (automation_enabled() && options.mode == TransactionMode::kReadWrite) {
      tx = TrackEvents(std::move(tx), &events);
    }
    auto result = body(*tx);
    if (!result.ok()) return result;  // tx destroyed: rolled back
    if (events != nullptr) {
      HELPDESK_RETURN_IF_ERROR(RunTriggersInTx(*tx, *events, Now()));
    }
    HELPDESK_RETURN_IF_ERROR(tx->Commit());
    return result;
  }

  // --- Automation (issue 14; desk_automation*.cc) ------------------------------

  bool automation_enabled() const { return options_.rules != nullptr; }

  // Wraps `tx` in an EventTracker, returned in `*tracker`.
  static std::unique_ptr<Transaction> TrackEvents(std::unique_ptr<Transaction> tx,
                                                  desk_internal::EventTracker** tracker) {
    auto t = std::make_unique<desk_internal::EventTracker>(std::move(tx));
    *tracker = t.get();
    return t;
  }

  // Checks the rules against the templates, webhooks and workflow (Init).
  absl::Status ValidateAutomation();

  // After a command's body succeeded in `tx`: runs the triggers on the
  // events `tracker` recorded, per ticket in the order first written, and
  // applies their actions in `tx` (each event they write names its rule);
  // then recomputes the automation due time of every ticket written. An
  // error fails the command (it rolls back). An action the desk refuses
  // (InvalidArgument, NotFound, FailedPrecondition, PermissionDenied) leaves
  // a RULE_ACTION_FAILED event instead and the command stands.
  absl::Status RunTriggersInTx(Transaction& tx, desk_internal::EventTracker& tracker,
                               absl::Time now);

  // The rules' view of ticket `t` (contact, organization, message `message_id`
  // when nonzero, SLA when the rules read it, the timeline when `timeline`).
  struct RuleSnapshot {
    v1::Ticket ticket;
    std::optional<v1::Contact> contact;
    std::optional<v1::Organization> organization;
    std::optional<v1::Message> message;
    std::optional<SlaStatus> sla;
    TicketTimeline timeline;
    RuleContext Context(absl::Time now) const;
  };
  absl::StatusOr<RuleSnapshot> SnapshotForRules(Transaction& tx, int64_t ticket_id,
                                                int64_t message_id, bool timeline,
                                                absl::Time now);

  // Applies `outcome`'s actions to ticket `ticket_id` in `tx`, stamping each
  // rule's name on what it writes; writes RULES_CASCADE_LIMIT when the
  // outcome says so. `stored`, when given, is ticket `ticket_id` as `tx`
  // holds it now (the rules' snapshot, read with nothing written since): the
  // actions start from it instead of reading the ticket again, until their
  // first write.
  absl::Status ApplyRuleActions(Transaction& tx, int64_t ticket_id,
                                const RuleOutcome& outcome, absl::Time now,
                                const v1::Ticket* stored = nullptr);

  // The one place a rule's or macro's rendered message leaves the desk: to
  // the requester (a reply on the ticket's channel through EnqueueReply,
  // about message `m`, when given; else an e-mail) and to agents by e-mail
  // (EnqueueAgentNotification), from the ticket's desk address. `key` makes the outbox entries'
  // idempotency keys unique. Returns a description of who was written to.
  absl::StatusOr<std::string> EnqueueTemplateMessage(
      Transaction& tx, const v1::Ticket& t,
      absl::Span<const v1::RuleTemplateMessage::Recipient> recipients, int64_t agent_id,
      const v1::Message* m, absl::string_view subject, absl::string_view text,
      absl::string_view html, bool automatic, absl::string_view key, absl::Time now);

  // Recomputes and stores ticket `ticket_id`'s next automation due time
  // (RuleSet::NextDue over the ticket as stored and its firings); none for
  // merged and closed tickets.
  absl::Status RefreshAutomationDue(Transaction& tx, int64_t ticket_id, absl::Time now);

  // Tick's part: runs the automations due by `now`, each ticket in its own
  // transaction, until none is due.
  absl::Status TickAutomations(absl::Time now, TickReport* report);

  // One due ticket inside `tx`: runs its automations, applies their actions,
  // keeps the firings and moves its due time on.
  absl::Status AutomateTicket(Transaction& tx, int64_t ticket_id, absl::Time now,
                              TickReport* report);

  // What a template renders over for ticket `t`.
  absl::StatusOr<RenderContext> RenderContextFor(Transaction& tx, const v1::Ticket& t,
                                                 std::optional<int64_t> agent_id);

  // --- Access -------------------------------------------------------------

  // The viewer `actor` stands for, from the store. Errors: PermissionDenied
  // for an unknown contact or an unknown or deactivated agent;
  // InvalidArgument for an unknown actor kind.
  absl::StatusOr<Access> Resolve(Transaction& tx, const v1::Actor& actor);

  // Loads ticket `id` when `a` may do `action` to it (Authorize): NotFound
  // when it does not exist or `a` may not view it, PermissionDenied when `a`
  // may view it but not do `action`.
  static absl::StatusOr<v1::Ticket> LoadTicket(Transaction& tx, const Access& a, int64_t id,
                                               Action action = Action::kViewTicket);

  // Authorize(a, action, t): whether `a` may do `action` to the loaded `t`.
  static absl::Status AuthorizeOn(const Access& a, Action action, const v1::Ticket& t) {
    return Authorize(a, action, Subject::Ticket(TicketFacts::Of(t)));
  }

  static absl::Status CheckChangeable(const v1::Ticket& t);

  // --- Input checks --------------------------------------------------------

  absl::StatusOr<v1::StatusCategory> StatusCategoryOf(absl::string_view field,
                                                      absl::string_view name) {
    return options_.workflow.CategoryOf(field, name);
  }

  static absl::Status CheckPriority(absl::string_view field, v1::Priority p);

  static absl::Status CheckType(absl::string_view field, v1::TicketType t);

  absl::StatusOr<std::vector<std::string>> NormalizeTags(
      absl::string_view field, const std::vector<std::string>& tags);

  absl::Status SetTags(absl::string_view field, v1::Ticket* t,
                       std::set<std::string> tags);

  absl::Status CheckCustomField(absl::string_view field, const std::string& name,
                                const v1::CustomFieldValue& value);

  absl::Status CheckAttachments(absl::string_view field,
                                const std::vector<AttachmentUpload>& uploads,
                                bool check_count = true);

  absl::Status CheckBodies(absl::string_view field, absl::string_view text,
                           absl::string_view html);

  static absl::Status CheckContactExists(Transaction& tx, absl::string_view field,
                                         int64_t id);

  // The agent `field` names; NotFound names the field and the id.
  static absl::StatusOr<v1::Agent> GetAgentNamed(Transaction& tx, absl::string_view field,
                                                 int64_t id);

  static absl::Status CheckAgentUsable(Transaction& tx, absl::string_view field,
                                       int64_t id);

  static absl::Status CheckGroupExists(Transaction& tx, absl::string_view field,
                                       int64_t id);

  // Stores attachment contents and returns their descriptions.
  absl::StatusOr<std::vector<v1::Attachment>> StoreAttachments(
      Transaction& tx, const std::vector<AttachmentUpload>& uploads);

  // --- Commands -------------------------------------------------------------

  // Creates one ticket; when `first_message_id` is given, sets it to the id of
  // the first message (0 when the ticket has none).
  // `origin`, from Ingest: where the ticket came from on its channel.
  struct TicketOrigin {
    std::string conversation_id;  // Ticket.conversation_id
    std::string desk_address;      // Ticket.desk_address
    // The requester as `tx` holds it now, when the caller has just read it
    // (not owned; used only when it is the ticket's requester): not read
    // again.
    const v1::Contact* requester = nullptr;
  };
  absl::StatusOr<v1::Ticket> CreateOne(Transaction& tx, const Access& a,
                                       const NewTicket& in, absl::Time now,
                                       int64_t* first_message_id = nullptr,
                                       const TicketOrigin* origin = nullptr);

  // A ticket's events for the SLA engine, in the order they were recorded.
  // A host clock that steps back (or processes with skewed clocks) can stamp
  // a later event with an earlier time; such a time is read as the time of the
  // event before it, so the clocks stay defined and the ticket stays usable.
  // `now` is lifted the same way.
  static absl::StatusOr<std::vector<v1::Event>> SlaEvents(Transaction& tx,
                                                          int64_t ticket_id,
                                                          absl::Time* now);

  // With SLAs: evaluates `t`'s clocks from its stored events as of `now` and
  // stores its next deadline when it changed. Returns the evaluation (nullopt
  // without SLAs).
  absl::StatusOr<std::optional<SlaStatus>> RefreshSla(Transaction& tx, v1::Ticket* t,
                                                      absl::Time now);

  // Evaluates one ticket whose deadline has come: writes each warning and
  // breach due by `now` once (stamped `now`, the time it was raised; the due
  // time is in sla_due_at), and moves the deadline on.
  absl::Status TickTicket(Transaction& tx, int64_t ticket_id, absl::Time now,
                          TickReport* report);

  static v1::Event SlaEvent(v1::Event::Kind kind, const std::string& policy,
                            const SlaMetricStatus& m);

  absl::Status AppendEvent(Transaction& tx, const Access& a, absl::Time now,
                           const v1::Ticket& t, v1::Event* e);

  // Stores `t` (loaded at `loaded_version`) and appends `e` for it.
  absl::Status SaveWithEvent(Transaction& tx, const Access& a, absl::Time now,
                             v1::Ticket* t, int64_t loaded_version, v1::Event* e);

  // Moves `t` to `status`, recording the change in `e`; keeps solved_at right.
  void ChangeStatus(v1::Ticket* t, const std::string& status, v1::StatusCategory category,
                    absl::Time now, v1::Event* e);

  // Records that agent `agent_id` answered contact `contact_id` publicly
  // (Contact.last_answered_by_agent_id), unless that is already so.
  static absl::Status RememberAnsweredBy(Transaction& tx, int64_t contact_id,
                                         int64_t agent_id, absl::Time now);

  // An agent's public reply on `t`: the agent becomes the ticket's sticky
  // owner (the change recorded in `e`) and the one who last answered its
  // requester, in the reply's transaction.
  static absl::Status NoteAgentAnswered(Transaction& tx, v1::Ticket* t, int64_t agent_id,
                                        absl::Time now, v1::Event* e);

  // `allow_closed`: the desk's own internal notes (a reply to a closed
  // ticket kept for agents) may go onto a closed ticket; nothing else may.
  // `send`: false keeps a public reply out of the outbox (the caller sends
  // it, e.g. EnqueueTemplateMessage).
  absl::StatusOr<v1::Message> AddMessage(Transaction& tx, const v1::Actor& actor,
                                         int64_t ticket_id, const MessageDraft& d,
                                         bool allow_closed = false, bool send = true);

  // --- Outbound messages (desk_replies.cc) ----------------------------------

  // The first usable (not bouncing) e-mail address of a contact, if any.
  static std::optional<std::string> EmailOf(const v1::Contact& c);
  // The first identity of `kind` of a contact, if any.
  static std::optional<std::string> IdentityOf(const v1::Contact& c,
                                               v1::ContactIdentity::Kind kind);

  // What an outgoing message says, already rendered (an agent's text, a
  // template's output). `subject` empty: "Re: <ticket subject>". `purpose`
  // tells two automatic messages about one message apart in their
  // idempotency key (e.g. "csat"); empty for replies and acknowledgements.
  struct RenderedParts {
    std::string subject;
    std::string text;
    std::string html;
    std::string purpose;
  };

  // The one entry point for messages to a ticket's customer: writes the
  // outbox entry that carries message `m` of ticket `t` (`m` needs only its
  // id and kind) to the requester on the ticket's channel, in `tx`.
  //   - E-mail (when ingest.email_public_replies, or `automatic`, and a desk
  //     address is set): to the requester (and, unless `automatic`, the
  //     CCs), from the ticket's desk address (SenderFor), threaded on the
  //     ticket's earlier e-mails; its Message-ID becomes a thread key.
  //   - A channel in ingest.reply_channels: an OutboundMessage of that
  //     channel addressed as IngestOptions::reply_channels says.
  //   - Anything else (API tickets, channels not listed): nothing.
  // An internal note (m.kind() == INTERNAL_NOTE) never goes out, and a
  // requester with nowhere to write to writes nothing. Errors: the store's.
  // `requester`, when given, is t's requester as `tx` holds it now (not read
  // again; ignored when it is another contact). `email_thread`, when given,
  // is the external ids of t's e-mail messages that have one, in message id
  // order, as `tx` holds them now (a caller that has just created `t` knows
  // them): the thread is then not read to find them.
  absl::Status EnqueueReply(Transaction& tx, const v1::Ticket& t, const v1::Message& m,
                            const RenderedParts& parts, bool automatic, absl::Time now,
                            const v1::Contact* requester = nullptr,
                            const std::vector<std::string>* email_thread = nullptr);

  // Writes one automatic e-mail per agent in `agent_ids` about ticket `t`
  // (a notification: "the customer answered", a rule's notify action), in
  // `tx`, from the ticket's desk address (SenderFor). `parts.subject` empty:
  // "[#<id>] <ticket subject>". Skipped: agents who are deactivated, have
  // no e-mail, are `actor` (an agent is not told of their own change), or
  // appear twice; everything when the desk has no address. The idempotency
  // key (the Message-ID) names the ticket, its version, a hash of the content
  // and the agent. Returns how many entries were written. Errors: NotFound naming the agent id for an
  // unknown agent; the store's.
  absl::StatusOr<int> EnqueueAgentNotification(Transaction& tx, const v1::Ticket& t,
                                               const std::vector<int64_t>& agent_ids,
                                               const v1::Actor& actor,
                                               const RenderedParts& parts,
                                               absl::Time now);

  // --- Ingest --------------------------------------------------------------

  static std::string EncodeIngest(const IngestResult& r);

  // The result an idempotency record stands for. "quarantined:<id>" reads the
  // entry: its release's result once released, else the quarantine.
  static absl::StatusOr<IngestResult> DecodeIngest(Transaction& tx, absl::string_view key,
                                                   absl::string_view value);

  // Finds or creates the sender's contact.
  static constexpr absl::string_view kUnknownSender = "unknown-sender@invalid";

  absl::StatusOr<v1::Contact> SenderContact(
      Transaction& tx, const v1::Party& from, absl::Time now,
      v1::Channel channel = v1::CHANNEL_UNSPECIFIED);

  // The contact owning a normalised identity, created (named `name`, else
  // the identity's part before any '@') when nobody has it.
  absl::StatusOr<v1::Contact> FindOrCreateContact(Transaction& tx,
                                                  v1::ContactIdentity::Kind kind,
                                                  const std::string& value,
                                                  absl::string_view name, absl::Time now);

  // Marks the contacts' addresses that bounced.
  absl::Status MarkBounced(Transaction& tx, const v1::InboundMessage& m, absl::Time now);

  static bool TakesPart(const v1::Ticket& t, int64_t contact_id) {
    return t.requester_id() == contact_id ||
           std::count(t.cc_contact_ids().begin(), t.cc_contact_ids().end(), contact_id);
  }

  // The thread key saying that `email` was addressed (To/Cc) on a message of
  // ticket `ticket_id` that the desk received from a participant or sent.
  static std::string AddressedKey(int64_t ticket_id, absl::string_view email) {
    return absl::StrCat("addr:", ticket_id, ":", email);
  }

  // Remembers the To and Cc addresses of `parties` (but the desk's own) as
  // addressed on ticket `ticket_id`.
  absl::Status RememberAddressed(
      Transaction& tx, int64_t ticket_id,
      std::initializer_list<const google::protobuf::RepeatedPtrField<v1::Party>*>
          parties);

  // Whether `sender`, who is neither the requester nor a CC of `ticket`, may
  // join its thread: an active agent, or addressed on a message of the ticket
  // (or of `matched`, the ticket the message ids named before following
  // merges).
  absl::StatusOr<bool> MayJoin(Transaction& tx, const v1::Ticket& ticket, int64_t matched,
                               const v1::Contact& sender);

  struct ThreadMatch {
    // The ticket the message belongs to after following merges, or 0.
    int64_t ticket_id = 0;
    // The ticket the channel's keys named (before following merges).
    int64_t matched_id = 0;
    // The match came from the message ids (which anyone who saw or guessed
    // one can write), not the token (checked against the sender) or the
    // chat session.
    bool by_message_id = false;
  };

  // The ticket a message belongs to.
  absl::StatusOr<ThreadMatch> FindThread(Transaction& tx, const v1::InboundMessage& m,
                                         int64_t sender);

  static std::vector<AttachmentUpload> Uploads(const v1::InboundMessage& m);

  static std::string RenderAcknowledgement(std::string text, const v1::Ticket& t,
                                           const v1::Contact& requester);

  // The idempotency key of an inbound message: its own, else
  // "<CHANNEL>:<external_id>". Errors: InvalidArgument.
  static absl::StatusOr<std::string> IngestKey(const v1::InboundMessage& message);

  // The key under which a message without a usable idempotency key is
  // quarantined: the hash of its content, so the same message again finds
  // the same entry.
  static std::string UnkeyedQuarantineKey(const v1::InboundMessage& message) {
    return absl::StrCat("unkeyed:", internal::Sha256Hex(message.SerializeAsString()));
  }

  // The checks of an inbound message that need no store; returns its
  // attachments as uploads (possibly more than one message may carry: Ingest
  // spreads them). Errors: InvalidArgument naming the field.
  absl::StatusOr<std::vector<AttachmentUpload>> CheckInbound(const v1::InboundMessage& m);

  // Which failures of an ingest are the message's (held in the quarantine)
  // rather than the store's (returned: ingest it again later).
  static bool Quarantinable(const absl::Status& s);

  // Holds `m` in the quarantine under `key`, with the reason `why`.
  absl::StatusOr<IngestResult> QuarantineInTx(Transaction& tx,
                                              const v1::InboundMessage& m,
                                              const std::string& key,
                                              const absl::Status& why);

  // Quarantines `m` in its own transaction after its ingest failed with
  // `why` (or finds what a concurrent ingest of it recorded meanwhile).
  absl::StatusOr<IngestResult> QuarantineAlone(const v1::InboundMessage& m,
                                               const std::string& key,
                                               const absl::Status& why);

  // One message inside `tx`, as Inbox::Ingest takes it: a replayed key gives
  // the first result (or refusal); else the message is shortened where it is
  // merely large, checked (a message that fails the checks is quarantined
  // here) and ingested. `refusal` is set (and the record kept) for a blocked
  // sender. On failure, `*may_have_written` tells whether the message may
  // have written to `tx` (false only when it failed on its idempotency
  // record).
  absl::StatusOr<IngestResult> IngestMessage(Transaction& tx, const v1::InboundMessage& m,
                                             const std::string& key,
                                             absl::Status* refusal,
                                             bool* may_have_written);

  // Shortens, checks and ingests `m`. With record_key, a message that fails
  // its checks is quarantined and the result is recorded under `key`;
  // without (a retry from the quarantine), failures are returned and nothing
  // is recorded.
  absl::StatusOr<IngestResult> IngestChecked(Transaction& tx, const v1::InboundMessage& m,
                                             const std::string& key, bool record_key,
                                             absl::Status* refusal);

  // Adds `extra` attachments (those beyond the per-message limit) to ticket
  // `ticket_id` in further messages of `kind` by `actor`, as many as it takes.
  absl::Status AddOverflowAttachments(Transaction& tx, const v1::Actor& actor,
                                      int64_t ticket_id, v1::Message::Kind kind,
                                      v1::Channel channel, size_t first,
                                      std::vector<AttachmentUpload> extra,
                                      bool allow_closed);

  // One Ingest of a checked message (see CheckInbound, which gave
  // `uploads`); `refusal` is set (and, with record_key, the record kept) for
  // a blocked sender.
  absl::StatusOr<IngestResult> Ingest(Transaction& tx, const v1::InboundMessage& m,
                                      const std::string& key,
                                      std::vector<AttachmentUpload> uploads,
                                      absl::Time now, absl::Status* refusal,
                                      bool record_key);

  // `operation_id` (issue 16, bulk updates): set on the FIELDS_CHANGED event.
  absl::StatusOr<v1::Ticket> Update(Transaction& tx, const v1::Actor& actor,
                                    int64_t ticket_id, const TicketUpdate& u,
                                    absl::string_view operation_id = {});

  absl::StatusOr<v1::Ticket> Merge(Transaction& tx, const v1::Actor& actor,
                                   int64_t source_id, int64_t target_id);

  absl::StatusOr<bool> Link(Transaction& tx, const v1::Actor& actor, int64_t id,
                            v1::TicketLink::Kind kind, int64_t other_id);

  // --- People -------------------------------------------------------------

  // Normalises an identity value as stored: e-mail lower-cased, phone reduced
  // to digits and '+', chat handle checked as text.
  absl::StatusOr<std::string> NormalizeIdentity(absl::string_view field,
                                                v1::ContactIdentity::Kind kind,
                                                absl::string_view value);

  absl::StatusOr<v1::Contact> NewContactFrom(Transaction& tx, const NewContact& in);

  // Checks an agent's fields and fills a v1::Agent (without id, version,
  // presence or creation time).
  // --- Routing ---------------------------------------------------------------
  //
  // The policy is a projection of the store, kept under routing_mu_: Rebuild
  // loads it, and each read-write command reports its writes and places the
  // work they made placeable inside its own transaction (RunRoutedLocked);
  // time-based steps, declines and pulls commit each decision in a
  // transaction of its own (CommitDecisionLocked). The mirror records a
  // decision after it commits. When a policy call, a decision's write or a
  // commit fails, routing_dirty_ is set and the next routing step rebuilds
  // from the store first, so a failure never leaves the policy believing
  // something the store does not hold.

  bool routing_enabled() const { return options_.routing.has_value(); }

  std::optional<WorkItem> RoutingItem(const v1::Ticket& t) const {
    return internal::RoutingItemOf(options_.routing->work_item, t);
  }

  // Keeps the routing fields of a ticket about to be stored right: a pending
  // offer needs a routed ticket with an assignee; the queue time is kept while
  // the ticket waits (queued, or offered and not yet accepted) and dropped
  // otherwise.
  void StampRouting(v1::Ticket* t, absl::Time now) const;

  absl::StatusOr<std::unique_ptr<RoutingPolicy>> MakePolicy() const;

  // Loads a new policy with every agent and every new or open ticket.
  absl::Status RebuildLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_);

  absl::Status EnsureFreshLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_) {
    if (!routing_dirty_) return absl::OkStatus();
    return RebuildLocked(now);
  }

  // The lease holder's Tick (issue 17): other processes sharing the store
  // wrote without routing; brings the mirror in step with their writes.
  // Reads on from the newest event the mirror has seen
  // (Transaction::LastEventId, taken when it was built): each ticket with a
  // later event is synced as stored now (dropped when deleted), and each
  // agent whose version moved. Costs what was written since, not what the
  // store holds. Without a watermark (a store without LastEventId, or a
  // dirty mirror) the mirror is rebuilt instead; when a sync fails it is
  // marked dirty (rebuilt before its next use). Errors: the store's, from
  // the catch-up read or the rebuild.
  absl::Status CatchUpRoutingLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_);

  // Inside a command's transaction `tx` (not yet committed), after the
  // command wrote `written`: reports those writes to the policy (agents
  // first, so a ticket given to an agent finds them), then places queued
  // work, writing each assignment into `tx`; the tickets assigned, as
  // written, go to `decided` (the caller notes them in the mirror once `tx`
  // commits). A failure of the policy marks the mirror dirty and returns OK
  // (the command stands, unrouted); an error returned is the store's, and
  // `tx` must not commit.
  absl::Status RouteWrittenInTxLocked(Transaction& tx, const WrittenObjects& written,
                                      absl::Time now, std::vector<v1::Ticket>* decided)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_);

  // Whether a decision still holds in the store: the ticket routed and
  // unassigned (or, for a pull, as given), the agent active and online.
  static absl::Status CheckDecision(const v1::Ticket& t, const v1::Agent& agent,
                                    bool routable);

  // What the store held when a decision turned out stale.
  struct StaleDecision {
    bool found = false;  // set by DecideInTx when the decision was stale
    v1::Ticket ticket;
    v1::Agent agent;
  };

  // Writes one decision into `tx`: assigns the ticket, as an offer when
  // offers time out and `offer`, and writes ROUTED with the reason. A
  // decision the store no longer supports (someone took the ticket, the
  // agent left) writes nothing, fills `stale` with the stored state and
  // returns FailedPrecondition; other errors are the store's.
  absl::StatusOr<v1::Ticket> DecideInTx(Transaction& tx, const Assignment& a, absl::Time now,
                                        bool offer, StaleDecision* stale);

  // Commits one decision in its own transaction (DecideInTx), then notes it
  // in the mirror; a stale decision is undone in the policy from the stored
  // state and reported as FailedPrecondition.
  absl::StatusOr<v1::Ticket> CommitDecisionLocked(const Assignment& a, absl::Time now,
                                                  bool offer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_);

  // Places queued work until the policy has nothing it can place now, each
  // decision in its own transaction (Tick, and after a decline).
  absl::Status RouteLocked(absl::Time now, std::vector<int64_t>* routed,
                           TickReport* report) ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_);

  // Unassigns `t` from its assignee after a decline or an offer running out:
  // the agent joins the ticket's decliners and OFFER_DECLINED is written.
  absl::Status DeclineInTx(Transaction& tx, const Access& a, v1::Ticket* t,
                           OfferOutcome outcome, absl::Time now);

  // Tells the policy about a committed decline (the mirror follows).
  void AfterDeclineLocked(const v1::Ticket& t, int64_t agent, OfferOutcome outcome,
                          absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_) {
    absl::Status s = routing_->Declined(t, agent, outcome, now);
    if (!s.ok()) routing_dirty_ = true;
  }

  // Offers that ran out by `now` count as declined.
  absl::Status ExpireOffersLocked(absl::Time now, TickReport* report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_);

  // Moves the agent's new and open routed tickets away after they left
  // (`why`): to their backup when that agent is online, else to the queue.
  // Returns a note for the agent's event.
  absl::StatusOr<std::string> RequeueWorkInTx(Transaction& tx, const Access& a,
                                              const v1::Agent& agent,
                                              absl::string_view why, absl::Time now);

  absl::Status AppendAgentEvent(Transaction& tx, const Access& a, absl::Time now,
                                const v1::Agent& agent, v1::AgentEvent* e);

  // One AgentFieldChange per field that differs.
  static void DiffAgents(const v1::Agent& before, const v1::Agent& after,
                         v1::AgentEvent* e);

  // `t` as stored when routing placed it in the command that returned it
  // (`routed`, from Run), so the caller sees the assignee.
  static absl::StatusOr<v1::Ticket> WithRouting(absl::StatusOr<v1::Ticket> t,
                                                const std::vector<v1::Ticket>& routed);

  // The sub-facades lock routing_mu() and then call the ...Locked methods;
  // the analysis knows routing_mu() is routing_mu_.
  absl::Mutex& routing_mu() ABSL_LOCK_RETURNED(routing_mu_) { return routing_mu_; }
  internal::RoutingMirror& routing() ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_) {
    return *routing_;
  }

  absl::StatusOr<v1::Agent> BuildAgent(Transaction& tx, const NewAgent& in);

  // --- The desk lease (issue 17; desk_lease.cc) ------------------------------
  //
  // With DeskOptions::lease, the work of one process at a time (push routing,
  // Tick) runs where RenewLease says this process holds the lease, and each
  // write of that work calls FenceInTx in its own transaction. Call
  // RenewLease with no transaction of the store open on this thread.

  // InvalidArgument naming a bad DeskOptions::lease field.
  absl::Status ValidateLeaseOptions() const;
  // Whether the lease is configured and the store supports it.
  bool lease_shared() const;
  struct LeaseView {
    bool held = true;
    // This call took the lease from another holder (or for the first time):
    // state mirrored from the store must be rebuilt.
    bool taken_over = false;
    std::string holder;  // as last seen
  };
  // Takes or renews the lease when due (see DeskLeaseOptions); a store
  // error is returned. Without a lease: held.
  absl::StatusOr<LeaseView> RenewLease(absl::Time now) ABSL_LOCKS_EXCLUDED(lease_mu_);
  // Whether this process holds the lease as last seen (no store call).
  LeaseView CurrentLease() ABSL_LOCKS_EXCLUDED(lease_mu_);
  // When RenewLease next calls the store (a renewal, or a try once the
  // holder's expiry passed), for Desk::NextDue; InfiniteFuture without a
  // shared lease.
  absl::Time NextLeaseDue() ABSL_LOCKS_EXCLUDED(lease_mu_);
  // Inside a write the lease protects: OK when the lease is not shared;
  // Unavailable ("... lost the desk lease") when this process does not hold
  // it or a check in `tx` finds another holder or token (then the process
  // counts as not holding it until its next renewal).
  absl::Status FenceInTx(Transaction& tx) ABSL_LOCKS_EXCLUDED(lease_mu_);
  // Whether `s` is FenceInTx's refusal.
  static bool IsLeaseLost(const absl::Status& s);
  // The mirror is rebuilt before its next use (a new holder, a failed
  // command, or a holder whose store cannot say where the event feed ends).
  void MarkRoutingDirtyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(routing_mu_) {
    routing_dirty_ = true;
  }
  // Gives the lease up when held (Desk's destructor); errors ignored.
  void ReleaseLeaseIfHeld() ABSL_LOCKS_EXCLUDED(lease_mu_);

 private:
  DeskOptions options_;
  // The lease as last seen (issue 17). `lease_supported_` false once the
  // store said Unimplemented.
  absl::Mutex lease_mu_;
  bool lease_supported_ ABSL_GUARDED_BY(lease_mu_) = true;
  bool lease_held_ ABSL_GUARDED_BY(lease_mu_) = false;
  int64_t lease_token_ ABSL_GUARDED_BY(lease_mu_) = 0;
  absl::Time lease_expires_ ABSL_GUARDED_BY(lease_mu_) = absl::InfinitePast();
  std::string lease_holder_ ABSL_GUARDED_BY(lease_mu_);
  // Routing state (with options_.routing): set at Init, replaced by rebuilds,
  // used only under routing_mu_.
  //
  // Lock order: routing_mu_ before the store's write lock, never the other
  // way round. Every path that holds both takes routing_mu_ first and then
  // begins its transaction: Run (a read-write command on a routing desk
  // holds routing_mu_ from before Begin until its mirror update after
  // Commit), CommitDecisionLocked, ExpireOffersLocked, Routing::Decline, and
  // RebuildLocked (its read-only transactions wait for the writer too on the
  // memory store and on SQLite's ":memory:"). So no code may take routing_mu_
  // while a transaction is open on this thread, or call Run with
  // routing_mu_ held (Run's ABSL_LOCKS_EXCLUDED lets clang check it); the
  // ...Locked paths use RunOnce. Read-write commands of a routing desk thus
  // run one at a time in this process, which the store's single writer did
  // already.
  absl::Mutex routing_mu_;
  std::unique_ptr<internal::RoutingMirror> routing_ ABSL_GUARDED_BY(routing_mu_)
      ABSL_PT_GUARDED_BY(routing_mu_);
  bool routing_dirty_ ABSL_GUARDED_BY(routing_mu_) = false;
  // The newest event id the mirror has taken in (CatchUpRoutingLocked);
  // nullopt when the store has no LastEventId.
  std::optional<int64_t> routing_seen_event_ ABSL_GUARDED_BY(routing_mu_);
};

// The desk_*.cc files share these names (this header is theirs alone).
using desk_internal::Access;
using desk_internal::Locate;
using desk_internal::MirrorLink;
using desk_internal::StaleVersion;
using desk_internal::WriteTracker;
using desk_internal::WrittenObjects;
using internal::CheckRequiredText;
using internal::CheckText;
using internal::Quote;

}  // namespace helpdesk

#endif  // HELPDESK_SRC_DESK_DESK_IMPL_H_
