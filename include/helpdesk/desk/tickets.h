// Tickets: creating, changing, merging, linking and reading tickets and their messages, and the audit log.
//
// Returned by Desk::tickets(); desk.h says who may do what and the error codes
// every call shares. Thread safety: as the Desk (thread-safe when the store is);
// owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_TICKETS_H_
#define HELPDESK_DESK_TICKETS_H_

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
#include "helpdesk/desk_options.h"
#include "helpdesk/export.h"
#include "helpdesk/sla.h"
#include "helpdesk/store.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

class DeskCore;


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
  // creates the ticket, else the contact of requester_email; one of them is
  // required otherwise.
  int64_t requester_id = 0;
  // With requester_id 0 and a staff actor: the requester by e-mail address,
  // created in the same transaction when no contact has it (named
  // requester_name, else the address's local part), so a refused ticket
  // leaves no contact behind. Errors: InvalidArgument for a malformed
  // address; PermissionDenied for actors who may not create contacts.
  std::string requester_email;
  std::string requester_name;
  // CCs by e-mail address, found or created like requester_email.
  std::vector<std::string> cc_emails;
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


// A satisfaction rating (Tickets::RateSatisfaction): the signed token of a
// survey link, or the ticket id when a person rates as themself.
struct SatisfactionInput {
  std::string token;
  int64_t ticket_id = 0;
  // GOOD_BAD: 1 (bad) or 5 (good); FIVE_POINT: 1 to 5.
  int score = 0;
  std::string comment;
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


// A ticket with what one reader may see of its thread.
struct TicketView {
  v1::Ticket ticket;
  std::vector<v1::Message> messages;
  // The SLA clocks as of the desk's clock, for staff readers of a desk with
  // SLAs.
  std::optional<SlaStatus> sla;
};

// Bulk updates (issue 16): one ticket of a BulkUpdate, with the version the
// caller last saw (unset: whatever is stored).
struct BulkTarget {
  int64_t ticket_id = 0;
  std::optional<int64_t> expected_version;
};

// What BulkUpdate did to one ticket.
struct BulkTicketResult {
  int64_t ticket_id = 0;
  // OK when applied (or when the change changed nothing on it); else why
  // not, as Update would say: Aborted for a stale version, NotFound for a
  // ticket the actor may not see or that does not exist, PermissionDenied,
  // FailedPrecondition (merged, closed, a move the workflow refuses),
  // InvalidArgument.
  absl::Status status;
  // The ticket as stored after the command, when status is OK.
  std::optional<v1::Ticket> ticket;
};

struct BulkUpdateResult {
  // Shared by the FIELDS_CHANGED events the command wrote (Event.operation_id),
  // unique in the store: "bulk-" and 16 hex digits, with "-<n>" when needed.
  std::string operation_id;
  // One per target, in the order given.
  std::vector<BulkTicketResult> results;
  // How many tickets changed (wrote an event).
  int changed = 0;
};

// Time tracking (issue 16): time an agent spent on a ticket.
struct TimeLog {
  // 1 to 10,080 (a week).
  int minutes = 0;
  // Optional, up to 100 bytes of text (e.g. "research", "call").
  std::string activity;
  // Optional, up to DeskLimits::max_body_bytes of text.
  std::string note;
  // Whose time: 0 for the acting agent. Another agent only for admins, the
  // system and integrations (who must name one).
  int64_t agent_id = 0;
};

// How TimeSummary groups the entries.
enum class TimeGrouping { kAgent, kGroup, kOrganization };

// One row of a TimeSummary: the agent, group or organization id (0: none).
struct TimeTotal {
  int64_t key = 0;
  int64_t minutes = 0;
  int64_t entries = 0;
  int64_t tickets = 0;  // distinct tickets
};

class HELPDESK_EXPORT Tickets {
 public:
  Tickets(const Tickets&) = delete;
  Tickets& operator=(const Tickets&) = delete;


  // Creates a ticket and its first message; writes a TICKET_CREATED event.
  // The organization is copied from the requester, and so is the sticky
  // owner (sticky_agent_id from the requester's last_answered_by_agent_id);
  // an agent writing the first message as a PUBLIC_REPLY becomes the sticky
  // owner and the requester's last answering agent instead. Tickets opened by
  // Ingest and IngestBatch are created the same way. Errors as listed above;
  // NotFound names the missing requester/assignee/group/CC.
  absl::StatusOr<v1::Ticket> Create(const v1::Actor& actor,
                                          const NewTicket& ticket);


  // Creates many tickets in one transaction: all or none. Meant for imports
  // and bulk loads. Errors: as CreateTicket, the message prefixed with the
  // index of the first bad ticket ("tickets[3].subject ...");
  // InvalidArgument when there are more than DeskLimits::max_batch.
  absl::StatusOr<std::vector<v1::Ticket>> CreateMany(
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
  absl::StatusOr<v1::Ticket> Update(const v1::Actor& actor,
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
  // Applies one change to many tickets in one command (one transaction):
  // each ticket is updated as by Update (its own FIELDS_CHANGED event, every
  // event carrying the command's operation_id); a ticket that Update would
  // refuse (a stale expected_version, one the actor may not see or change, a
  // refused status move) is reported in its result and left as it was,
  // while the others are applied. A failure of the store fails the whole
  // command and changes nothing. Errors: InvalidArgument for no targets,
  // more than DeskLimits::max_batch, a ticket listed twice, or
  // change.expected_version set (versions go per ticket in `targets`);
  // PermissionDenied for actors who may change no ticket fields at all
  // (customers, light agents); Unavailable/DataLoss/Internal from the store.
  absl::StatusOr<BulkUpdateResult> BulkUpdate(const v1::Actor& actor,
                                              absl::Span<const BulkTarget> targets,
                                              const TicketUpdate& change);

  // Logs time on a ticket the actor may add internal notes to (agents and
  // light agents on tickets they see). The entry keeps the ticket's group
  // and organization as they are now. Errors: InvalidArgument for minutes
  // outside [1, 10080], bad text, or a non-agent actor naming no agent;
  // PermissionDenied for customers, or for agents logging another agent's
  // time; NotFound for the ticket or the agent.
  absl::StatusOr<v1::TimeEntry> LogTime(const v1::Actor& actor, int64_t ticket_id,
                                        const TimeLog& log);

  // The time logged on a ticket, oldest first. Errors: PermissionDenied for
  // customers; NotFound.
  absl::StatusOr<std::vector<v1::TimeEntry>> TimeEntries(const v1::Actor& viewer,
                                                         int64_t ticket_id);

  // Time logged in `period` (by logged_at), totalled per agent, group or
  // organization, ordered by key. Needs Action::kViewReports (viewers who see
  // every ticket). Errors: InvalidArgument when the period ends before it
  // starts or the grouping is out of range; PermissionDenied.
  absl::StatusOr<std::vector<TimeTotal>> TimeSummary(const v1::Actor& viewer,
                                                     const TimeRange& period,
                                                     TimeGrouping grouping);

  absl::StatusOr<v1::Ticket> Merge(const v1::Actor& actor,
                                          int64_t source_id, int64_t target_id);


  // Links two tickets; the link is stored on both with the mirrored kind (see
  // v1::TicketLink). Linking twice is a no-op. Errors: InvalidArgument when
  // a == b or the kind is unspecified/out of range.
  absl::Status Link(const v1::Actor& actor, int64_t ticket_id,
                           v1::TicketLink::Kind kind, int64_t other_ticket_id);


  absl::StatusOr<v1::Ticket> Get(const v1::Actor& viewer,
                                       int64_t ticket_id);

  // The ticket and the messages the viewer may see (customers: no internal
  // notes), in order.
  absl::StatusOr<TicketView> View(const v1::Actor& viewer,
                                        int64_t ticket_id);

  // Runs a query restricted to what the viewer may see (the restriction is
  // added to query.visible_to). Errors: InvalidArgument for a bad limit or
  // cursor.
  absl::StatusOr<TicketPage> Query(const v1::Actor& viewer,
                                          TicketQuery query);

  // The tickets a contact requested, newest first, as the viewer may see them.
  absl::StatusOr<TicketPage> ContactHistory(const v1::Actor& viewer,
                                            int64_t contact_id,
                                            absl::string_view cursor = "",
                                            int limit = 50);


  // The ticket's audit log, oldest first. Errors: PermissionDenied for
  // customers.
  absl::StatusOr<std::vector<v1::Event>> AuditLog(const v1::Actor& viewer,
                                                  int64_t ticket_id);

  // Records the requester's satisfaction rating of a ticket, from any
  // channel: with `in.token` (the signed link of the survey, CsatOptions;
  // `actor` is then only who passed it on, e.g. an integration, and the
  // rating is the requester's), or by `actor` on ticket `in.ticket_id`: the
  // requester themself, or an agent recording what the requester said. A
  // later rating replaces the earlier one. The ticket keeps it
  // (Ticket.satisfaction, scale and score as CsatOptions says, so rules read
  // "csat.rating" as the score) and a CSAT_RECEIVED event is written. A
  // solved or closed ticket may be rated; the status does not change.
  // Errors: InvalidArgument for a malformed token, a score off the scale
  // (naming it), a comment over the body limit or not UTF-8; PermissionDenied
  // for a token whose signature does not match or that expired, a contact who
  // is not the requester, a viewer who may not write on the ticket's behalf;
  // NotFound for an unknown ticket; FailedPrecondition for a ticket not yet
  // solved or a merged one.
  absl::StatusOr<v1::Ticket> RateSatisfaction(const v1::Actor& actor,
                                              const SatisfactionInput& in);

  // The bytes of an attachment the viewer can see on one of its tickets'
  // visible messages. Errors: NotFound.
  absl::StatusOr<std::string> AttachmentContent(const v1::Actor& viewer,
                                                int64_t message_id,
                                                absl::string_view sha256);

 private:
  friend class Desk;
  explicit Tickets(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_TICKETS_H_
