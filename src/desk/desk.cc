// Desk: every command is one store transaction that checks the actor and the
// input, changes state, and appends the audit events beside it.
#include "helpdesk/desk.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "desk/desk_routing.h"
#include "desk/validation.h"
#include "helpdesk/timestamp.h"
#include "internal/sha256.h"
#include "internal/status_macros.h"

namespace helpdesk {

using internal::CheckRequiredText;
using internal::CheckText;
using internal::Quote;

namespace {

// What an actor may do, resolved from the store at the start of a command.
struct Access {
  enum Role { kSystem, kAdmin, kAgent, kLightAgent, kContact };
  Role role = kSystem;
  v1::Actor actor;
  v1::Agent agent;      // when an agent
  v1::Contact contact;  // when a contact

  bool IsStaff() const { return role != kContact; }
  bool CanChangeTickets() const {
    return role == kSystem || role == kAdmin || role == kAgent;
  }
  bool IsAdmin() const { return role == kSystem || role == kAdmin; }
};

std::string JoinIds(const google::protobuf::RepeatedField<int64_t>& ids) {
  return absl::StrJoin(ids, ",");
}

std::string LinkKindName(v1::TicketLink::Kind kind) {
  return absl::AsciiStrToLower(v1::TicketLink::Kind_Name(kind));
}

std::string RenderLinks(const v1::Ticket& t) {
  std::vector<std::string> parts;
  for (const v1::TicketLink& link : t.links()) {
    parts.push_back(absl::StrCat(LinkKindName(link.kind()), ":", link.ticket_id()));
  }
  return absl::StrJoin(parts, ",");
}

v1::TicketLink::Kind MirrorLink(v1::TicketLink::Kind kind) {
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

std::string RenderCustomField(const v1::CustomFieldValue& v) {
  switch (v.value_case()) {
    case v1::CustomFieldValue::kText:
      return v.text();
    case v1::CustomFieldValue::kInteger:
      return absl::StrCat(v.integer());
    case v1::CustomFieldValue::kDecimal:
      return absl::StrCat(v.decimal());
    case v1::CustomFieldValue::kFlag:
      return v.flag() ? "true" : "false";
    case v1::CustomFieldValue::kTime:
      return absl::FormatTime(absl::RFC3339_full, FromTimestamp(v.time()),
                              absl::UTCTimeZone());
    case v1::CustomFieldValue::kChoices:
      return absl::StrJoin(v.choices().values(), ",");
    case v1::CustomFieldValue::VALUE_NOT_SET:
      return "";
  }
  return "";
}

void AddChange(v1::Event* event, absl::string_view field,
               absl::string_view before, absl::string_view after) {
  v1::FieldChange* c = event->add_changes();
  c->set_field(std::string(field));
  c->set_before(std::string(before));
  c->set_after(std::string(after));
}

// Prefixes a status message with a location, e.g. "tickets[3].".
absl::Status Locate(const absl::Status& s, absl::string_view prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

absl::Status StaleVersion(int64_t ticket_id, int64_t expected, int64_t stored) {
  return absl::AbortedError(absl::StrCat("ticket ", ticket_id,
                                         ": expected version ", expected,
                                         ", stored version ", stored));
}

// What a transaction wrote that routing follows: the last stored state of
// each ticket and agent.
struct WrittenObjects {
  std::map<int64_t, v1::Ticket> tickets;
  std::map<int64_t, v1::Agent> agents;
  bool empty() const { return tickets.empty() && agents.empty(); }
};

// Records the tickets and agents written through it (when the write
// succeeded, as stored: with ids and versions).
class WriteTracker final : public TransactionWrapper {
 public:
  explicit WriteTracker(std::unique_ptr<Transaction> base)
      : TransactionWrapper(std::move(base)) {}

  absl::Status InsertTicket(v1::Ticket* ticket) override {
    return Keep(TransactionWrapper::InsertTicket(ticket), *ticket);
  }
  absl::Status UpdateTicket(v1::Ticket* ticket,
                            int64_t expected_version) override {
    return Keep(TransactionWrapper::UpdateTicket(ticket, expected_version),
                *ticket);
  }
  absl::Status InsertAgent(v1::Agent* agent) override {
    return Keep(TransactionWrapper::InsertAgent(agent), *agent);
  }
  absl::Status UpdateAgent(v1::Agent* agent, int64_t expected_version) override {
    return Keep(TransactionWrapper::UpdateAgent(agent, expected_version), *agent);
  }

  // The SLA deadline feeds WorkItem::sla_due: a ticket whose deadline moved
  // is reported too (it keeps its version).
  absl::Status SetTicketSlaDeadline(int64_t id,
                                    std::optional<absl::Time> deadline) override {
    HELPDESK_RETURN_IF_ERROR(TransactionWrapper::SetTicketSlaDeadline(id, deadline));
    auto it = written_.tickets.find(id);
    if (it == written_.tickets.end()) {
      HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, base()->GetTicket(id));
      written_.tickets[id] = std::move(t);
      return absl::OkStatus();
    }
    if (deadline) {
      *it->second.mutable_sla_next_deadline() = ToTimestamp(*deadline);
    } else {
      it->second.clear_sla_next_deadline();
    }
    return absl::OkStatus();
  }

  WrittenObjects Take() { return std::move(written_); }

 private:
  absl::Status Keep(absl::Status s, const v1::Ticket& t) {
    if (s.ok()) written_.tickets[t.id()] = t;
    return s;
  }
  absl::Status Keep(absl::Status s, const v1::Agent& a) {
    if (s.ok()) written_.agents[a.id()] = a;
    return s;
  }
  WrittenObjects written_;
};

}  // namespace

class Desk::Impl {
 public:
  explicit Impl(DeskOptions options) : options_(std::move(options)) {}

  absl::Status Init() {
    if (options_.store == nullptr) {
      return absl::InvalidArgumentError("options.store must not be null");
    }
    if (options_.clock == nullptr) {
      return absl::InvalidArgumentError("options.clock must not be null");
    }
    if (routing_enabled()) {
      if (options_.routing->offer_timeout < absl::ZeroDuration()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "routing.offer_timeout ",
            absl::FormatDuration(options_.routing->offer_timeout),
            " must not be negative"));
      }
      absl::MutexLock lock(&routing_mu_);
      HELPDESK_RETURN_IF_ERROR(RebuildLocked(Now()));
    }
    return absl::OkStatus();
  }

  const DeskOptions& options() const { return options_; }
  // Ingest's transactions: durable unless IngestOptions says otherwise.
  TransactionOptions IngestTransaction() const {
    return {.mode = TransactionMode::kReadWrite,
            .durable = options_.ingest.durable_commits};
  }
  absl::Time Now() const { return options_.clock->Now(); }

  // Runs `body` in a transaction of `mode`; commits when it succeeds. With
  // routing, the tickets and agents the transaction wrote are then reported
  // to the policy and queued work is placed (see AfterCommit); the ids of the
  // tickets routing assigned go to `routed` when given.
  template <typename Body>
  auto Run(TransactionMode mode, Body&& body,
           std::vector<int64_t>* routed = nullptr)
      -> decltype(body(std::declval<Transaction&>())) {
    return Run(TransactionOptions{.mode = mode}, body, routed);
  }
  // The same with `options`, e.g. a durable commit.
  template <typename Body>
  auto Run(const TransactionOptions& options, Body&& body,
           std::vector<int64_t>* routed = nullptr)
      -> decltype(body(std::declval<Transaction&>())) {
    const bool track =
        routing_enabled() && options.mode == TransactionMode::kReadWrite;
    WrittenObjects written;
    auto result = RunOnce(options, body, track ? &written : nullptr);
    if (result.ok() && track && !written.empty()) {
      // The command stands; a routing failure marks the state for a rebuild
      // and resurfaces from the next Tick.
      AfterCommit(written, routed).IgnoreError();
    }
    return result;
  }

  // Runs `body` in one transaction, recording what it wrote in `written`.
  template <typename Body>
  auto RunOnce(TransactionMode mode, Body&& body, WrittenObjects* written)
      -> decltype(body(std::declval<Transaction&>())) {
    return RunOnce(TransactionOptions{.mode = mode}, body, written);
  }
  template <typename Body>
  auto RunOnce(const TransactionOptions& options, Body&& body,
               WrittenObjects* written)
      -> decltype(body(std::declval<Transaction&>())) {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx,
                              options_.store->Begin(options));
    if (written == nullptr) {
      auto result = body(*tx);
      if (!result.ok()) return result;  // tx destroyed: rolled back
      HELPDESK_RETURN_IF_ERROR(tx->Commit());
      return result;
    }
    WriteTracker tracked(std::move(tx));
    auto result = body(tracked);
    if (!result.ok()) return result;
    HELPDESK_RETURN_IF_ERROR(tracked.Commit());
    *written = tracked.Take();
    return result;
  }

  // --- Access -------------------------------------------------------------

  absl::StatusOr<Access> Resolve(Transaction& tx, const v1::Actor& actor) {
    Access a;
    a.actor = actor;
    switch (actor.kind()) {
      case v1::Actor::SYSTEM:
      case v1::Actor::INTEGRATION:
        a.role = Access::kSystem;
        return a;
      case v1::Actor::AGENT: {
        absl::StatusOr<v1::Agent> agent = tx.GetAgent(actor.id());
        if (absl::IsNotFound(agent.status())) {
          return absl::PermissionDeniedError(
              absl::StrCat("actor: agent ", actor.id(), " does not exist"));
        }
        HELPDESK_RETURN_IF_ERROR(agent.status());
        if (agent->deactivated()) {
          return absl::PermissionDeniedError(
              absl::StrCat("actor: agent ", actor.id(), " is deactivated"));
        }
        a.agent = *std::move(agent);
        switch (a.agent.role()) {
          case v1::Agent::ADMIN:
            a.role = Access::kAdmin;
            break;
          case v1::Agent::LIGHT_AGENT:
            a.role = Access::kLightAgent;
            break;
          default:
            a.role = Access::kAgent;
        }
        return a;
      }
      case v1::Actor::CONTACT: {
        absl::StatusOr<v1::Contact> contact = tx.GetContact(actor.id());
        if (absl::IsNotFound(contact.status())) {
          return absl::PermissionDeniedError(
              absl::StrCat("actor: contact ", actor.id(), " does not exist"));
        }
        HELPDESK_RETURN_IF_ERROR(contact.status());
        a.contact = *std::move(contact);
        a.role = Access::kContact;
        return a;
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "actor.kind ", static_cast<int>(actor.kind()), " is not an actor kind"));
    }
  }

  static absl::Status RequireStaff(const Access& a, absl::string_view what) {
    if (a.IsStaff()) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("contact ", a.actor.id(), " may not ", what));
  }
  static absl::Status RequireTicketChanger(const Access& a,
                                           absl::string_view what) {
    if (a.CanChangeTickets()) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        a.role == Access::kContact ? "contact " : "light agent ", a.actor.id(),
        " may not ", what));
  }
  static absl::Status RequireAdmin(const Access& a, absl::string_view what) {
    if (a.IsAdmin()) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("only admins may ", what, "; actor ",
                     v1::Actor::Kind_Name(a.actor.kind()), " ", a.actor.id(),
                     " is not one"));
  }

  // The visibility restriction for a reader, or nullopt for "everything".
  static std::optional<TicketVisibility> VisibilityOf(const Access& a) {
    switch (a.role) {
      case Access::kContact: {
        TicketVisibility v;
        v.contact_id = a.actor.id();
        return v;
      }
      case Access::kAgent:
      case Access::kLightAgent: {
        if (a.agent.ticket_access() == v1::Agent::GROUPS) {
          TicketVisibility v;
          v.group_ids.assign(a.agent.group_ids().begin(),
                             a.agent.group_ids().end());
          v.assignee_id = a.agent.id();
          return v;
        }
        if (a.agent.ticket_access() == v1::Agent::ASSIGNED) {
          TicketVisibility v;
          v.assignee_id = a.agent.id();
          return v;
        }
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }

  static bool CanSee(const Access& a, const v1::Ticket& t) {
    std::optional<TicketVisibility> v = VisibilityOf(a);
    if (!v) return true;
    if (v->contact_id && (t.requester_id() == *v->contact_id ||
                          std::count(t.cc_contact_ids().begin(),
                                     t.cc_contact_ids().end(), *v->contact_id))) {
      return true;
    }
    if (t.group_id() != 0 && std::count(v->group_ids.begin(), v->group_ids.end(),
                                        t.group_id())) {
      return true;
    }
    return v->assignee_id && t.assignee_id() == *v->assignee_id;
  }

  absl::StatusOr<v1::Ticket> LoadTicket(Transaction& tx, const Access& a,
                                        int64_t id) {
    absl::StatusOr<v1::Ticket> t = tx.GetTicket(id);
    if (absl::IsNotFound(t.status()) || (t.ok() && !CanSee(a, *t))) {
      return absl::NotFoundError(absl::StrCat("ticket ", id, " not found"));
    }
    return t;
  }

  static absl::Status CheckChangeable(const v1::Ticket& t) {
    if (t.merged_into() != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("ticket ", t.id(), " was merged into ticket ",
                       t.merged_into(), "; change that ticket instead"));
    }
    if (t.status_category() == v1::STATUS_CATEGORY_CLOSED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ticket ", t.id(), " is closed (status '", t.status(),
          "'); closed tickets are final"));
    }
    return absl::OkStatus();
  }

  // --- Input checks --------------------------------------------------------

  absl::StatusOr<v1::StatusCategory> StatusCategoryOf(absl::string_view field,
                                                      absl::string_view name) {
    return options_.workflow.CategoryOf(field, name);
  }

  static absl::Status CheckPriority(absl::string_view field, v1::Priority p) {
    if (p >= v1::PRIORITY_LOW && p <= v1::PRIORITY_URGENT) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", static_cast<int>(p),
                     " is not a priority (1 low to 4 urgent)"));
  }

  static absl::Status CheckType(absl::string_view field, v1::TicketType t) {
    if (v1::TicketType_IsValid(t)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", static_cast<int>(t), " is not a ticket type"));
  }

  absl::StatusOr<std::vector<std::string>> NormalizeTags(
      absl::string_view field, const std::vector<std::string>& tags) {
    std::vector<std::string> out;
    for (size_t i = 0; i < tags.size(); ++i) {
      HELPDESK_ASSIGN_OR_RETURN(
          std::string tag,
          internal::NormalizeTag(absl::StrCat(field, "[", i, "]"), tags[i],
                                 options_.limits.max_tag_bytes));
      out.push_back(std::move(tag));
    }
    return out;
  }

  absl::Status SetTags(absl::string_view field, v1::Ticket* t,
                       std::set<std::string> tags) {
    if (tags.size() > options_.limits.max_tags) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", tags.size(), " tags, over the limit of ",
                       options_.limits.max_tags));
    }
    t->clear_tags();
    for (const std::string& tag : tags) t->add_tags(tag);
    return absl::OkStatus();
  }

  absl::Status CheckCustomField(absl::string_view field, const std::string& name,
                                const v1::CustomFieldValue& value) {
    std::string where = absl::StrCat(field, "[", Quote(name), "]");
    if (name.empty() || name.size() > options_.limits.max_custom_field_name_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " name ", Quote(name), " must be 1 to ",
          options_.limits.max_custom_field_name_bytes, " bytes"));
    }
    for (char c : name) {
      if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
            c == '-' || c == '.')) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, " name ", Quote(name),
            " may hold only ASCII letters, digits, '_', '-' and '.'"));
      }
    }
    size_t max = options_.limits.max_custom_field_text_bytes;
    switch (value.value_case()) {
      case v1::CustomFieldValue::VALUE_NOT_SET:
        return absl::InvalidArgumentError(
            absl::StrCat(where, " has no value (remove the field instead)"));
      case v1::CustomFieldValue::kText:
        return CheckText(where, value.text(), max);
      case v1::CustomFieldValue::kDecimal:
        if (!std::isfinite(value.decimal())) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, " ", value.decimal(), " is not a finite number"));
        }
        return absl::OkStatus();
      case v1::CustomFieldValue::kTime:
        if (value.time().nanos() < 0 || value.time().nanos() > 999999999) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " has nanos ", value.time().nanos(),
                           " outside [0, 999999999]"));
        }
        return absl::OkStatus();
      case v1::CustomFieldValue::kChoices:
        for (int i = 0; i < value.choices().values_size(); ++i) {
          HELPDESK_RETURN_IF_ERROR(
              CheckRequiredText(absl::StrCat(where, ".choices[", i, "]"),
                                value.choices().values(i),
                                options_.limits.max_tag_bytes));
        }
        return absl::OkStatus();
      default:
        return absl::OkStatus();
    }
  }

  absl::Status CheckAttachments(absl::string_view field,
                                const std::vector<AttachmentUpload>& uploads) {
    if (uploads.size() > options_.limits.max_attachments_per_message) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", uploads.size(), " attachments, over the limit of ",
          options_.limits.max_attachments_per_message));
    }
    for (size_t i = 0; i < uploads.size(); ++i) {
      const AttachmentUpload& u = uploads[i];
      std::string at = absl::StrCat(field, "[", i, "]");
      HELPDESK_RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(at, ".file_name"),
                                                 u.file_name,
                                                 options_.limits.max_name_bytes));
      HELPDESK_RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(at, ".media_type"),
                                                 u.media_type, 255));
      HELPDESK_RETURN_IF_ERROR(
          CheckText(absl::StrCat(at, ".content_id"), u.content_id, 998));
      if (u.content.size() > options_.limits.max_attachment_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".content of ", Quote(u.file_name), " is ", u.content.size(),
            " bytes, over the limit of ", options_.limits.max_attachment_bytes));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckBodies(absl::string_view field, absl::string_view text,
                           absl::string_view html) {
    HELPDESK_RETURN_IF_ERROR(CheckText(absl::StrCat(field, "_text"), text,
                                       options_.limits.max_body_bytes));
    return CheckText(absl::StrCat(field, "_html"), html,
                     options_.limits.max_body_bytes);
  }

  static absl::Status CheckContactExists(Transaction& tx, absl::string_view field,
                                         int64_t id) {
    absl::StatusOr<v1::Contact> c = tx.GetContact(id);
    if (absl::IsNotFound(c.status())) {
      return absl::NotFoundError(
          absl::StrCat(field, " ", id, ": no such contact"));
    }
    return c.status();
  }

  // The agent `field` names; NotFound names the field and the id.
  static absl::StatusOr<v1::Agent> GetAgentNamed(Transaction& tx,
                                                 absl::string_view field,
                                                 int64_t id) {
    absl::StatusOr<v1::Agent> a = tx.GetAgent(id);
    if (absl::IsNotFound(a.status())) {
      return absl::NotFoundError(absl::StrCat(field, " ", id, ": no such agent"));
    }
    return a;
  }

  // Agents may do `what` for themselves; admins and the system for anyone.
  static absl::Status RequireSelfOrAdmin(const Access& a, int64_t agent_id,
                                         absl::string_view what) {
    if (a.actor.kind() == v1::Actor::AGENT && a.actor.id() == agent_id) {
      return absl::OkStatus();
    }
    return RequireAdmin(a, what);
  }

  static absl::Status CheckAgentUsable(Transaction& tx, absl::string_view field,
                                       int64_t id) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Agent a, GetAgentNamed(tx, field, id));
    if (a.deactivated()) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, " ", id, ": agent is deactivated"));
    }
    return absl::OkStatus();
  }

  static absl::Status CheckGroupExists(Transaction& tx, absl::string_view field,
                                       int64_t id) {
    absl::StatusOr<v1::Group> g = tx.GetGroup(id);
    if (absl::IsNotFound(g.status())) {
      return absl::NotFoundError(absl::StrCat(field, " ", id, ": no such group"));
    }
    return g.status();
  }

  // Stores attachment contents and returns their descriptions.
  absl::StatusOr<std::vector<v1::Attachment>> StoreAttachments(
      Transaction& tx, const std::vector<AttachmentUpload>& uploads) {
    std::vector<v1::Attachment> out;
    for (const AttachmentUpload& u : uploads) {
      v1::Attachment a;
      a.set_file_name(u.file_name);
      a.set_media_type(u.media_type);
      a.set_size(static_cast<int64_t>(u.content.size()));
      a.set_sha256(internal::Sha256Hex(u.content));
      a.set_content_id(u.content_id);
      a.set_inline_(u.is_inline);
      HELPDESK_RETURN_IF_ERROR(tx.PutAttachmentContent(a.sha256(), u.content));
      out.push_back(std::move(a));
    }
    return out;
  }

  // --- Commands -------------------------------------------------------------

  // Creates one ticket; when `first_message_id` is given, sets it to the id of
  // the first message (0 when the ticket has none).
  absl::StatusOr<v1::Ticket> CreateOne(Transaction& tx, const Access& a,
                                       const NewTicket& in, absl::Time now,
                                       int64_t* first_message_id = nullptr) {
    const DeskLimits& lim = options_.limits;
    // Who may set what.
    if (a.role == Access::kLightAgent) {
      return absl::PermissionDeniedError(absl::StrCat(
          "light agent ", a.actor.id(), " may not create tickets"));
    }
    int64_t requester_id = in.requester_id;
    if (a.role == Access::kContact) {
      if (a.contact.blocked()) {
        return absl::PermissionDeniedError(
            absl::StrCat("contact ", a.actor.id(), " is blocked"));
      }
      if (requester_id == 0) requester_id = a.actor.id();
      if (requester_id != a.actor.id()) {
        return absl::PermissionDeniedError(
            absl::StrCat("requester_id ", in.requester_id, ": contact ",
                         a.actor.id(), " may only create their own tickets"));
      }
      if (in.assignee_id != 0 || in.group_id != 0 || !in.status.empty() ||
          !in.tags.empty() || !in.follower_agent_ids.empty()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "contact ", a.actor.id(),
            " may not set status, assignee, group, tags or followers"));
      }
      if (in.description_kind != v1::Message::CUSTOMER_MESSAGE) {
        return absl::PermissionDeniedError(absl::StrCat(
            "description_kind ", v1::Message::Kind_Name(in.description_kind),
            ": contacts write customer messages only"));
      }
    }
    if (requester_id <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("requester_id ", requester_id, " must name a contact"));
    }
    // Input.
    HELPDESK_RETURN_IF_ERROR(
        CheckRequiredText("subject", in.subject, lim.max_subject_bytes));
    HELPDESK_RETURN_IF_ERROR(
        CheckBodies("description", in.description, in.description_html));
    HELPDESK_RETURN_IF_ERROR(CheckAttachments("attachments", in.attachments));
    if (!v1::Message::Kind_IsValid(in.description_kind) ||
        in.description_kind == v1::Message::KIND_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("description_kind ", static_cast<int>(in.description_kind),
                       " is not a message kind"));
    }
    const std::string& initial = options_.workflow.initial_status();
    std::string status = in.status.empty() ? initial : in.status;
    HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory category,
                              StatusCategoryOf("status", status));
    HELPDESK_RETURN_IF_ERROR(CheckPriority("priority", in.priority));
    HELPDESK_RETURN_IF_ERROR(CheckType("type", in.type));
    if (!v1::Channel_IsValid(in.channel)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "channel ", static_cast<int>(in.channel), " is not a channel"));
    }
    HELPDESK_RETURN_IF_ERROR(CheckText("external_id", in.external_id, 998));
    HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> tags,
                              NormalizeTags("tags", in.tags));
    if (in.custom_fields.size() > lim.max_custom_fields) {
      return absl::InvalidArgumentError(absl::StrCat(
          "custom_fields: ", in.custom_fields.size(), " fields, over the limit of ",
          lim.max_custom_fields));
    }
    for (const auto& [name, value] : in.custom_fields) {
      HELPDESK_RETURN_IF_ERROR(CheckCustomField("custom_fields", name, value));
    }
    if (in.cc_contact_ids.size() > lim.max_ccs) {
      return absl::InvalidArgumentError(
          absl::StrCat("cc_contact_ids: ", in.cc_contact_ids.size(),
                       " CCs, over the limit of ", lim.max_ccs));
    }
    // References.
    absl::StatusOr<v1::Contact> requester = tx.GetContact(requester_id);
    if (absl::IsNotFound(requester.status())) {
      return absl::NotFoundError(
          absl::StrCat("requester_id ", requester_id, ": no such contact"));
    }
    HELPDESK_RETURN_IF_ERROR(requester.status());
    if (requester->blocked()) {
      return absl::FailedPreconditionError(
          absl::StrCat("requester_id ", requester_id, ": contact is blocked"));
    }
    if (in.assignee_id != 0) {
      HELPDESK_RETURN_IF_ERROR(CheckAgentUsable(tx, "assignee_id", in.assignee_id));
    }
    if (in.group_id != 0) {
      HELPDESK_RETURN_IF_ERROR(CheckGroupExists(tx, "group_id", in.group_id));
    }
    std::set<int64_t> ccs;
    for (int64_t cc : in.cc_contact_ids) {
      HELPDESK_RETURN_IF_ERROR(CheckContactExists(tx, "cc_contact_ids", cc));
      if (cc != requester_id) ccs.insert(cc);
    }
    std::set<int64_t> followers;
    for (int64_t f : in.follower_agent_ids) {
      HELPDESK_RETURN_IF_ERROR(CheckAgentUsable(tx, "follower_agent_ids", f));
      followers.insert(f);
    }

    v1::Ticket t;
    t.set_subject(in.subject);
    t.set_status(initial);
    t.set_priority(in.priority);
    t.set_type(in.type);
    HELPDESK_RETURN_IF_ERROR(
        SetTags("tags", &t, std::set<std::string>(tags.begin(), tags.end())));
    for (const auto& [name, value] : in.custom_fields) {
      (*t.mutable_custom_fields())[name] = value;
    }
    t.set_requester_id(requester_id);
    t.set_organization_id(requester->organization_id());
    t.set_assignee_id(in.assignee_id);
    t.set_group_id(in.group_id);
    t.set_channel(in.channel);
    for (int64_t cc : ccs) t.add_cc_contact_ids(cc);
    for (int64_t f : followers) t.add_follower_agent_ids(f);
    *t.mutable_created_at() = ToTimestamp(now);
    *t.mutable_updated_at() = ToTimestamp(now);
    if (category == v1::STATUS_CATEGORY_SOLVED) {
      *t.mutable_solved_at() = ToTimestamp(now);
    }
    bool has_message = !in.description.empty() || !in.description_html.empty() ||
                       !in.attachments.empty();
    t.set_message_count(has_message ? 1 : 0);
    t.set_public_reply_count(
        has_message && in.description_kind == v1::Message::PUBLIC_REPLY ? 1 : 0);
    // A ticket born in another status takes the workflow's move to it, with
    // its guards checked on the ticket as it will be stored.
    HELPDESK_RETURN_IF_ERROR(options_.workflow.CheckTransition(t, status));
    t.set_status(status);
    t.set_status_category(category);
    // The sticky owner: the agent writing an outbound ticket's public first
    // message, else whoever answered this requester last.
    const bool agent_answers = has_message &&
                               in.description_kind == v1::Message::PUBLIC_REPLY &&
                               a.actor.kind() == v1::Actor::AGENT;
    t.set_sticky_agent_id(agent_answers ? a.actor.id()
                                        : requester->last_answered_by_agent_id());
    StampRouting(&t, now);
    HELPDESK_RETURN_IF_ERROR(tx.InsertTicket(&t));
    if (agent_answers) {
      HELPDESK_RETURN_IF_ERROR(RememberAnsweredBy(tx, requester_id, a.actor.id(), now));
    }

    v1::Event e;
    e.set_kind(v1::Event::TICKET_CREATED);
    if (has_message) {
      v1::Message m;
      m.set_ticket_id(t.id());
      m.set_kind(in.description_kind);
      *m.mutable_author() = in.description_kind == v1::Message::CUSTOMER_MESSAGE
                                ? ContactActor(requester_id)
                                : a.actor;
      m.set_body_text(in.description);
      m.set_body_html(in.description_html);
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Attachment> files,
                                StoreAttachments(tx, in.attachments));
      for (v1::Attachment& f : files) *m.add_attachments() = std::move(f);
      m.set_channel(in.channel);
      m.set_external_id(in.external_id);
      *m.mutable_created_at() = ToTimestamp(now);
      HELPDESK_RETURN_IF_ERROR(tx.InsertMessage(&m));
      e.set_message_id(m.id());
      if (first_message_id != nullptr) *first_message_id = m.id();
      e.set_message_kind(m.kind());
    }
    AddChange(&e, "subject", "", t.subject());
    AddChange(&e, "status", "", t.status());
    AddChange(&e, "priority", "", PriorityName(t.priority()));
    AddChange(&e, "requester_id", "", absl::StrCat(t.requester_id()));
    if (t.type() != v1::TICKET_TYPE_UNSPECIFIED) {
      AddChange(&e, "type", "", TicketTypeName(t.type()));
    }
    if (t.assignee_id() != 0) {
      AddChange(&e, "assignee_id", "", absl::StrCat(t.assignee_id()));
    }
    if (t.group_id() != 0) AddChange(&e, "group_id", "", absl::StrCat(t.group_id()));
    if (t.tags_size() > 0) AddChange(&e, "tags", "", absl::StrJoin(t.tags(), ","));
    if (t.cc_contact_ids_size() > 0) {
      AddChange(&e, "cc_contact_ids", "", JoinIds(t.cc_contact_ids()));
    }
    if (t.sticky_agent_id() != 0) {
      AddChange(&e, "sticky_agent_id", "", absl::StrCat(t.sticky_agent_id()));
    }
    HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, a, now, t, &e));
    HELPDESK_RETURN_IF_ERROR(RefreshSla(tx, &t, now).status());
    return t;
  }

  // A ticket's events for the SLA engine, in the order they were recorded.
  // A host clock that steps back (or processes with skewed clocks) can stamp
  // a later event with an earlier time; such a time is read as the time of the
  // event before it, so the clocks stay defined and the ticket stays usable.
  // `now` is lifted the same way.
  static absl::StatusOr<std::vector<v1::Event>> SlaEvents(Transaction& tx,
                                                          int64_t ticket_id,
                                                          absl::Time* now) {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                              tx.ListTicketEvents(ticket_id, 0, 0));
    int64_t last = std::numeric_limits<int64_t>::min();
    for (v1::Event& e : events) {
      int64_t t = TimestampToMicros(e.time());
      if (t < last) {
        *e.mutable_time() = MicrosToTimestamp(last);
      } else {
        last = t;
      }
    }
    if (!events.empty() && *now < absl::FromUnixMicros(last)) {
      *now = absl::FromUnixMicros(last);
    }
    return events;
  }

  // With SLAs: evaluates `t`'s clocks from its stored events as of `now` and
  // stores its next deadline when it changed. Returns the evaluation (nullopt
  // without SLAs).
  absl::StatusOr<std::optional<SlaStatus>> RefreshSla(Transaction& tx,
                                                      v1::Ticket* t,
                                                      absl::Time now) {
    if (!options_.sla) return std::optional<SlaStatus>();
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                              SlaEvents(tx, t->id(), &now));
    HELPDESK_ASSIGN_OR_RETURN(SlaStatus status,
                              options_.sla->Evaluate(*t, events, now));
    std::optional<absl::Time> old;
    if (t->has_sla_next_deadline()) old = FromTimestamp(t->sla_next_deadline());
    if (old != status.next_deadline) {
      HELPDESK_RETURN_IF_ERROR(tx.SetTicketSlaDeadline(t->id(), status.next_deadline));
      if (status.next_deadline) {
        *t->mutable_sla_next_deadline() = ToTimestamp(*status.next_deadline);
      } else {
        t->clear_sla_next_deadline();
      }
    }
    return std::optional<SlaStatus>(std::move(status));
  }

  // Evaluates one ticket whose deadline has come: writes each warning and
  // breach due by `now` once (stamped `now`, the time it was raised; the due
  // time is in sla_due_at), and moves the deadline on.
  absl::Status TickTicket(Transaction& tx, int64_t ticket_id, absl::Time now,
                          TickReport* report) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
    absl::Time at = now;
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                              Impl::SlaEvents(tx, ticket_id, &at));
    HELPDESK_ASSIGN_OR_RETURN(SlaStatus status,
                              options_.sla->Evaluate(t, events, at));
    auto already = [&](v1::Event::Kind kind, const SlaMetricStatus& m) {
      for (const v1::Event& e : events) {
        if (e.kind() == kind && e.sla_metric() == m.metric && e.sla_cycle() == m.cycle) {
          return true;
        }
      }
      return false;
    };
    Access system;
    system.actor = SystemActor();
    for (const SlaMetricStatus& m : status.metrics) {
      bool warn_due = m.warn_at && *m.warn_at <= now &&
                      (!m.stopped_at || *m.stopped_at > *m.warn_at) &&
                      (!m.breached_at || *m.breached_at > *m.warn_at);
      if (warn_due && !already(v1::Event::SLA_WARNING, m)) {
        v1::Event e = SlaEvent(v1::Event::SLA_WARNING, status.policy, m);
        HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, system, now, t, &e));
        ++report->warnings;
      }
      if (m.breached_at && *m.breached_at <= now &&
          !already(v1::Event::SLA_BREACHED, m)) {
        v1::Event e = SlaEvent(v1::Event::SLA_BREACHED, status.policy, m);
        HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, system, now, t, &e));
        ++report->breaches;
      }
    }
    ++report->tickets_evaluated;
    return tx.SetTicketSlaDeadline(ticket_id, status.next_deadline);
  }

  static v1::Event SlaEvent(v1::Event::Kind kind, const std::string& policy,
                            const SlaMetricStatus& m) {
    v1::Event e;
    e.set_kind(kind);
    e.set_sla_metric(m.metric);
    e.set_sla_cycle(m.cycle);
    e.set_sla_policy(policy);
    if (m.due_at) *e.mutable_sla_due_at() = ToTimestamp(*m.due_at);
    e.set_note(absl::StrCat(SlaMetricName(m.metric), " cycle ", m.cycle,
                            kind == v1::Event::SLA_WARNING ? " nears" : " passed",
                            " its target of ", absl::FormatDuration(m.target)));
    return e;
  }

  absl::Status AppendEvent(Transaction& tx, const Access& a, absl::Time now,
                           const v1::Ticket& t, v1::Event* e) {
    e->set_ticket_id(t.id());
    *e->mutable_actor() = a.actor;
    *e->mutable_time() = ToTimestamp(now);
    e->set_ticket_version(t.version());
    return tx.AppendEvent(e);
  }

  // Stores `t` (loaded at `loaded_version`) and appends `e` for it.
  absl::Status SaveWithEvent(Transaction& tx, const Access& a, absl::Time now,
                             v1::Ticket* t, int64_t loaded_version,
                             v1::Event* e) {
    *t->mutable_updated_at() = ToTimestamp(now);
    StampRouting(t, now);
    HELPDESK_RETURN_IF_ERROR(tx.UpdateTicket(t, loaded_version));
    HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, a, now, *t, e));
    return RefreshSla(tx, t, now).status();
  }

  // Moves `t` to `status`, recording the change in `e`; keeps solved_at right.
  void ChangeStatus(v1::Ticket* t, const std::string& status,
                    v1::StatusCategory category, absl::Time now, v1::Event* e) {
    if (t->status() == status) return;
    AddChange(e, "status", t->status(), status);
    bool was_solved = t->status_category() == v1::STATUS_CATEGORY_SOLVED ||
                      t->status_category() == v1::STATUS_CATEGORY_CLOSED;
    t->set_status(status);
    t->set_status_category(category);
    if (category == v1::STATUS_CATEGORY_SOLVED && !was_solved) {
      *t->mutable_solved_at() = ToTimestamp(now);
    } else if (category != v1::STATUS_CATEGORY_SOLVED &&
               category != v1::STATUS_CATEGORY_CLOSED) {
      t->clear_solved_at();
    }
  }

  // Records that agent `agent_id` answered contact `contact_id` publicly
  // (Contact.last_answered_by_agent_id), unless that is already so.
  static absl::Status RememberAnsweredBy(Transaction& tx, int64_t contact_id,
                                         int64_t agent_id, absl::Time now) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, tx.GetContact(contact_id));
    if (c.last_answered_by_agent_id() == agent_id) return absl::OkStatus();
    c.set_last_answered_by_agent_id(agent_id);
    *c.mutable_updated_at() = ToTimestamp(now);
    return tx.UpdateContact(&c, c.version());
  }

  // An agent's public reply on `t`: the agent becomes the ticket's sticky
  // owner (the change recorded in `e`) and the one who last answered its
  // requester, in the reply's transaction.
  static absl::Status NoteAgentAnswered(Transaction& tx, v1::Ticket* t,
                                        int64_t agent_id, absl::Time now,
                                        v1::Event* e) {
    if (t->sticky_agent_id() != agent_id) {
      AddChange(e, "sticky_agent_id", absl::StrCat(t->sticky_agent_id()),
                absl::StrCat(agent_id));
      t->set_sticky_agent_id(agent_id);
    }
    return RememberAnsweredBy(tx, t->requester_id(), agent_id, now);
  }

  absl::StatusOr<v1::Message> AddMessage(Transaction& tx, const v1::Actor& actor,
                                         int64_t ticket_id,
                                         const MessageDraft& d) {
    absl::Time now = Now();
    HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, LoadTicket(tx, a, ticket_id));
    if (!v1::Message::Kind_IsValid(d.kind) ||
        d.kind == v1::Message::KIND_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kind ", static_cast<int>(d.kind), " is not a message kind"));
    }
    if (a.role == Access::kContact) {
      if (a.contact.blocked()) {
        return absl::PermissionDeniedError(
            absl::StrCat("contact ", a.actor.id(), " is blocked"));
      }
      if (d.kind != v1::Message::CUSTOMER_MESSAGE) {
        return absl::PermissionDeniedError(absl::StrCat(
            "kind ", v1::Message::Kind_Name(d.kind), ": contact ", a.actor.id(),
            " may write customer messages only"));
      }
    }
    if (a.role == Access::kLightAgent && d.kind != v1::Message::INTERNAL_NOTE) {
      return absl::PermissionDeniedError(absl::StrCat(
          "kind ", v1::Message::Kind_Name(d.kind), ": light agent ", a.actor.id(),
          " may write internal notes only"));
    }
    HELPDESK_RETURN_IF_ERROR(CheckChangeable(t));
    if (d.expected_version && *d.expected_version != t.version()) {
      return StaleVersion(t.id(), *d.expected_version, t.version());
    }
    HELPDESK_RETURN_IF_ERROR(CheckBodies("body", d.body_text, d.body_html));
    HELPDESK_RETURN_IF_ERROR(CheckAttachments("attachments", d.attachments));
    HELPDESK_RETURN_IF_ERROR(CheckText("external_id", d.external_id, 998));
    if (!v1::Channel_IsValid(d.channel)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "channel ", static_cast<int>(d.channel), " is not a channel"));
    }
    if (absl::StripAsciiWhitespace(d.body_text).empty() &&
        absl::StripAsciiWhitespace(d.body_html).empty() && d.attachments.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "body_text ", Quote(d.body_text),
          ": a message needs text, HTML or an attachment"));
    }

    v1::Message m;
    m.set_ticket_id(t.id());
    m.set_kind(d.kind);
    *m.mutable_author() =
        d.kind == v1::Message::CUSTOMER_MESSAGE && a.role != Access::kContact
            ? ContactActor(t.requester_id())
            : a.actor;
    m.set_body_text(d.body_text);
    m.set_body_html(d.body_html);
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Attachment> files,
                              StoreAttachments(tx, d.attachments));
    for (v1::Attachment& f : files) *m.add_attachments() = std::move(f);
    m.set_channel(d.channel);
    m.set_external_id(d.external_id);
    *m.mutable_created_at() = ToTimestamp(now);
    HELPDESK_RETURN_IF_ERROR(tx.InsertMessage(&m));

    v1::Event e;
    e.set_kind(v1::Event::MESSAGE_ADDED);
    e.set_message_id(m.id());
    e.set_message_kind(m.kind());
    int64_t loaded = t.version();
    t.set_message_count(t.message_count() + 1);
    if (d.kind == v1::Message::PUBLIC_REPLY) {
      t.set_public_reply_count(t.public_reply_count() + 1);
      // Internal notes and replies by the system or integrations make nobody
      // sticky.
      if (a.actor.kind() == v1::Actor::AGENT) {
        HELPDESK_RETURN_IF_ERROR(NoteAgentAnswered(tx, &t, a.actor.id(), now, &e));
      }
    }
    // A customer's message reopens a ticket that waits on them or is solved.
    if (d.kind == v1::Message::CUSTOMER_MESSAGE) {
      if (std::optional<std::string> to = options_.workflow.ReopenTarget(t.status())) {
        HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory category,
                                  StatusCategoryOf("reopen_to", *to));
        ChangeStatus(&t, *to, category, now, &e);
      }
    }
    HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, &t, loaded, &e));
    if (d.kind == v1::Message::PUBLIC_REPLY && t.channel() == v1::CHANNEL_EMAIL &&
        options_.ingest.email_public_replies && !options_.ingest.desk_email.empty()) {
      HELPDESK_RETURN_IF_ERROR(
          EnqueueEmail(tx, t, m, d.body_text, d.body_html, /*automatic=*/false, now));
    }
    return m;
  }

  // --- Outbound e-mail ----------------------------------------------------------

  // The first usable (not bouncing) e-mail address of a contact, if any.
  static std::optional<std::string> EmailOf(const v1::Contact& c) {
    for (const v1::ContactIdentity& id : c.identities()) {
      if (id.kind() == v1::ContactIdentity::EMAIL && !id.bouncing()) return id.value();
    }
    return std::nullopt;
  }

  // Writes an e-mail about message `m` of ticket `t` to its requester and
  // CCs into the outbox, threaded on the ticket's earlier messages, and
  // remembers its Message-ID as a thread key of the ticket.
  absl::Status EnqueueEmail(Transaction& tx, const v1::Ticket& t, const v1::Message& m,
                            absl::string_view text, absl::string_view html,
                            bool automatic, absl::Time now) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Contact requester, tx.GetContact(t.requester_id()));
    std::optional<std::string> to = EmailOf(requester);
    if (!to) return absl::OkStatus();  // nobody to write to: nothing to send
    v1::OutboxEntry entry;
    entry.set_state(v1::OutboxEntry::PENDING);
    *entry.mutable_created_at() = ToTimestamp(now);
    *entry.mutable_next_attempt_at() = ToTimestamp(now);
    v1::OutboundMessage* out = entry.mutable_message();
    out->set_channel(v1::CHANNEL_EMAIL);
    out->set_ticket_id(t.id());
    out->set_message_id(m.id());
    std::string domain = options_.ingest.desk_email.substr(
        options_.ingest.desk_email.find('@') + 1);
    out->set_idempotency_key(
        absl::StrCat("helpdesk.ticket", t.id(), ".message", m.id(), "@", domain));
    out->mutable_from()->set_email(options_.ingest.desk_email);
    out->mutable_from()->set_name(options_.ingest.desk_name);
    v1::Party* rcpt = out->add_to();
    rcpt->set_email(*to);
    rcpt->set_name(requester.name());
    if (!automatic) {
      for (int64_t cc : t.cc_contact_ids()) {
        absl::StatusOr<v1::Contact> c = tx.GetContact(cc);
        if (!c.ok()) continue;
        if (std::optional<std::string> email = EmailOf(*c)) {
          v1::Party* p = out->add_cc();
          p->set_email(*email);
          p->set_name(c->name());
        }
      }
    }
    out->set_subject(absl::StartsWith(t.subject(), "Re: ") ? t.subject()
                                                          : absl::StrCat("Re: ", t.subject()));
    out->set_body_text(std::string(text));
    out->set_body_html(std::string(html));
    out->set_automatic(automatic);
    v1::ThreadingKeys* th = out->mutable_threading();
    th->set_message_id(out->idempotency_key());
    th->set_ticket_token(t.id());
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> thread, tx.ListMessages(t.id()));
    for (const v1::Message& earlier : thread) {
      if (earlier.external_id().empty()) continue;
      if (earlier.channel() != v1::CHANNEL_EMAIL) continue;
      th->add_references(earlier.external_id());
      th->set_in_reply_to(earlier.external_id());
    }
    HELPDESK_RETURN_IF_ERROR(tx.InsertOutbox(&entry));
    return tx.PutThreadKey(absl::StrCat("msgid:", out->idempotency_key()), t.id());
  }

  // --- Ingest --------------------------------------------------------------

  static std::string EncodeIngest(const IngestResult& r) {
    return absl::StrCat("ok:", static_cast<int>(r.outcome), ":", r.ticket_id, ":",
                        r.message_id, ":", r.contact_id, ":", r.follow_up_of);
  }

  static absl::StatusOr<IngestResult> DecodeIngest(absl::string_view key,
                                                   absl::string_view value) {
    if (absl::StartsWith(value, "refused:")) {
      return absl::PermissionDeniedError(absl::StrCat(
          "message '", key, "' was refused: ", value.substr(8)));
    }
    std::vector<absl::string_view> f = absl::StrSplit(value, ':');
    IngestResult r;
    int outcome = 0;
    if (f.size() != 6 || f[0] != "ok" || !absl::SimpleAtoi(f[1], &outcome) ||
        !absl::SimpleAtoi(f[2], &r.ticket_id) || !absl::SimpleAtoi(f[3], &r.message_id) ||
        !absl::SimpleAtoi(f[4], &r.contact_id) || !absl::SimpleAtoi(f[5], &r.follow_up_of)) {
      return absl::DataLossError(absl::StrCat("ingest record of '", key,
                                              "' is malformed: '", value, "'"));
    }
    r.outcome = static_cast<IngestResult::Outcome>(outcome);
    r.duplicate = true;
    return r;
  }

  // Finds or creates the sender's contact.
  static constexpr absl::string_view kUnknownSender = "unknown-sender@invalid";

  absl::StatusOr<v1::Contact> SenderContact(Transaction& tx, const v1::Party& from,
                                            absl::Time now,
                                            v1::Channel channel = v1::CHANNEL_UNSPECIFIED) {
    struct Try {
      v1::ContactIdentity::Kind kind;
      const std::string* value;
      const char* field;
    };
    for (Try t : {Try{v1::ContactIdentity::EMAIL, &from.email(), "from.email"},
                  Try{v1::ContactIdentity::PHONE, &from.phone(), "from.phone"},
                  Try{v1::ContactIdentity::CHAT, &from.chat_handle(),
                      "from.chat_handle"}}) {
      if (t.value->empty()) continue;
      HELPDESK_ASSIGN_OR_RETURN(std::string v, NormalizeIdentity(t.field, t.kind, *t.value));
      absl::StatusOr<v1::Contact> found = tx.FindContactByIdentity(t.kind, v);
      if (found.ok() || !absl::IsNotFound(found.status())) return found;
      NewContact nc;
      nc.name = from.name();
      if (nc.name.empty()) nc.name = v.substr(0, v.find('@'));
      if (nc.name.size() > options_.limits.max_name_bytes) {
        nc.name = nc.name.substr(0, options_.limits.max_name_bytes);
      }
      if (internal::FindInvalidUtf8(nc.name) != absl::string_view::npos) nc.name = v;
      (t.kind == v1::ContactIdentity::EMAIL   ? nc.emails
       : t.kind == v1::ContactIdentity::PHONE ? nc.phones
                                              : nc.chat_handles)
          .push_back(v);
      HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, NewContactFrom(tx, nc));
      *c.mutable_created_at() = ToTimestamp(now);
      *c.mutable_updated_at() = ToTimestamp(now);
      HELPDESK_RETURN_IF_ERROR(tx.InsertContact(&c));
      return c;
    }
    if (channel == v1::CHANNEL_EMAIL) {
      // Real mail can come without any usable sender (a bare "mailer-daemon",
      // a damaged header). It is kept, from one shared contact whose reserved
      // address (RFC 2606 ".invalid") is marked bouncing, so nothing is ever
      // sent to it.
      absl::StatusOr<v1::Contact> unknown =
          tx.FindContactByIdentity(v1::ContactIdentity::EMAIL, kUnknownSender);
      if (unknown.ok() || !absl::IsNotFound(unknown.status())) return unknown;
      v1::Contact c;
      c.set_name("Unknown sender");
      v1::ContactIdentity* id = c.add_identities();
      id->set_kind(v1::ContactIdentity::EMAIL);
      id->set_value(std::string(kUnknownSender));
      id->set_bouncing(true);
      *c.mutable_created_at() = ToTimestamp(now);
      *c.mutable_updated_at() = ToTimestamp(now);
      HELPDESK_RETURN_IF_ERROR(tx.InsertContact(&c));
      return c;
    }
    return absl::InvalidArgumentError(
        "from: the message has no sender e-mail, phone or chat handle");
  }

  // Marks the contacts' addresses that bounced.
  absl::Status MarkBounced(Transaction& tx, const v1::InboundMessage& m, absl::Time now) {
    for (const std::string& address : m.bounced_recipients()) {
      absl::StatusOr<std::string> email =
          internal::NormalizeEmail("bounced_recipients", address);
      if (!email.ok()) continue;  // a damaged report: nothing to mark
      absl::StatusOr<v1::Contact> c =
          tx.FindContactByIdentity(v1::ContactIdentity::EMAIL, *email);
      if (absl::IsNotFound(c.status())) continue;
      HELPDESK_RETURN_IF_ERROR(c.status());
      bool changed = false;
      for (v1::ContactIdentity& id : *c->mutable_identities()) {
        if (id.kind() == v1::ContactIdentity::EMAIL && id.value() == *email &&
            !id.bouncing()) {
          id.set_bouncing(true);
          changed = true;
        }
      }
      if (!changed) continue;
      *c->mutable_updated_at() = ToTimestamp(now);
      HELPDESK_RETURN_IF_ERROR(tx.UpdateContact(&*c, c->version()));
    }
    return absl::OkStatus();
  }

  static bool TakesPart(const v1::Ticket& t, int64_t contact_id) {
    return t.requester_id() == contact_id ||
           std::count(t.cc_contact_ids().begin(), t.cc_contact_ids().end(), contact_id);
  }

  // The ticket a message belongs to, or 0. `by_message_id` tells whether the
  // match came from the message ids (strong evidence) or the token/session.
  absl::StatusOr<int64_t> FindThread(Transaction& tx, const v1::InboundMessage& m,
                                     int64_t sender, bool* by_message_id) {
    *by_message_id = false;
    const v1::ThreadingKeys& k = m.threading();
    std::vector<std::string> ids;
    if (!k.in_reply_to().empty()) ids.push_back(k.in_reply_to());
    for (auto it = k.references().rbegin(); it != k.references().rend(); ++it) {
      if (!it->empty()) ids.push_back(*it);
    }
    int64_t found = 0;
    for (const std::string& id : ids) {
      absl::StatusOr<int64_t> t = tx.FindThreadKey(absl::StrCat("msgid:", id));
      if (t.ok()) {
        found = *t;
        *by_message_id = true;
        break;
      }
      if (!absl::IsNotFound(t.status())) return t.status();
    }
    if (found == 0 && k.ticket_token() > 0) {
      absl::StatusOr<v1::Ticket> t = tx.GetTicket(k.ticket_token());
      if (t.ok() && TakesPart(*t, sender)) found = t->id();
      if (!t.ok() && !absl::IsNotFound(t.status())) return t.status();
    }
    if (found == 0 && !k.chat_session_id().empty()) {
      absl::StatusOr<int64_t> t =
          tx.FindThreadKey(absl::StrCat("chat:", k.chat_session_id()));
      if (t.ok()) found = *t;
      if (!t.ok() && !absl::IsNotFound(t.status())) return t.status();
    }
    // Follow merges to the surviving ticket.
    for (int hop = 0; found != 0 && hop < 16; ++hop) {
      HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(found));
      if (t.merged_into() == 0) break;
      found = t.merged_into();
    }
    return found;
  }

  static std::vector<AttachmentUpload> Uploads(const v1::InboundMessage& m) {
    std::vector<AttachmentUpload> out;
    for (const v1::InboundAttachment& a : m.attachments()) {
      out.push_back({.file_name = a.file_name().empty() ? "attachment" : a.file_name(),
                     .media_type = a.media_type().empty() ? "application/octet-stream"
                                                          : a.media_type(),
                     .content = a.content(),
                     .content_id = a.content_id(),
                     .is_inline = a.inline_()});
    }
    return out;
  }

  static std::string RenderAcknowledgement(std::string text, const v1::Ticket& t,
                                           const v1::Contact& requester) {
    return absl::StrReplaceAll(text, {{"{{ticket.id}}", absl::StrCat(t.id())},
                                      {"{{ticket.subject}}", t.subject()},
                                      {"{{requester.name}}", requester.name()}});
  }

  // The idempotency key of an inbound message: its own, else
  // "<CHANNEL>:<external_id>". Errors: InvalidArgument.
  static absl::StatusOr<std::string> IngestKey(const v1::InboundMessage& message) {
    std::string key = message.idempotency_key();
    if (key.empty() && !message.external_id().empty()) {
      key = absl::StrCat(v1::Channel_Name(message.channel()), ":", message.external_id());
    }
    if (key.empty()) {
      return absl::InvalidArgumentError(
          "idempotency_key: empty, and there is no external_id to derive it from");
    }
    if (key.size() > 2048) {
      return absl::InvalidArgumentError(
          absl::StrCat("idempotency_key is ", key.size(), " bytes, over 2048"));
    }
    HELPDESK_RETURN_IF_ERROR(CheckText("idempotency_key", key, 2048));
    return key;
  }

  // The checks of an inbound message that need no store; returns its
  // attachments as uploads. Errors: InvalidArgument naming the field.
  absl::StatusOr<std::vector<AttachmentUpload>> CheckInbound(const v1::InboundMessage& m) {
    const DeskLimits& lim = options_.limits;
    if (!v1::Channel_IsValid(m.channel()) || m.channel() == v1::CHANNEL_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "channel ", static_cast<int>(m.channel()), " is not a channel"));
    }
    HELPDESK_RETURN_IF_ERROR(CheckText("subject", m.subject(), lim.max_subject_bytes));
    HELPDESK_RETURN_IF_ERROR(CheckBodies("body", m.body_text(), m.body_html()));
    HELPDESK_RETURN_IF_ERROR(CheckText("external_id", m.external_id(), 998));
    std::vector<AttachmentUpload> uploads = Uploads(m);
    HELPDESK_RETURN_IF_ERROR(CheckAttachments("attachments", uploads));
    return uploads;
  }

  // One message inside `tx`, as Desk::Ingest takes it: a replayed key gives
  // the first result (or refusal); else the message is checked and ingested.
  // `refusal` is set (and the record kept) for a blocked sender. On failure,
  // `*may_have_written` tells whether the message may have written to `tx`
  // (false only when it failed on its checks or its idempotency record).
  absl::StatusOr<IngestResult> IngestMessage(Transaction& tx, const v1::InboundMessage& m,
                                             const std::string& key, absl::Status* refusal,
                                             bool* may_have_written) {
    *may_have_written = false;
    absl::StatusOr<std::string> seen = tx.GetIdempotencyRecord("ingest", key);
    if (seen.ok()) return DecodeIngest(key, *seen);
    if (!absl::IsNotFound(seen.status())) {
      *may_have_written = true;  // a store failure: the transaction is suspect
      return seen.status();
    }
    absl::StatusOr<std::vector<AttachmentUpload>> uploads = CheckInbound(m);
    if (!uploads.ok()) return uploads.status();
    *may_have_written = true;
    return Ingest(tx, m, key, *std::move(uploads), Now(), refusal);
  }

  // One Ingest of a checked message (see CheckInbound, which gave
  // `uploads`); `refusal` is set (and the record kept) for a blocked sender.
  absl::StatusOr<IngestResult> Ingest(Transaction& tx, const v1::InboundMessage& m,
                                      const std::string& key,
                                      std::vector<AttachmentUpload> uploads, absl::Time now,
                                      absl::Status* refusal) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Contact sender,
                              SenderContact(tx, m.from(), now, m.channel()));
    IngestResult r;
    r.contact_id = sender.id();
    if (sender.blocked()) {
      HELPDESK_RETURN_IF_ERROR(tx.PutIdempotencyRecord(
          "ingest", key, absl::StrCat("refused:contact ", sender.id(), " is blocked"),
          now));
      *refusal = absl::PermissionDeniedError(absl::StrCat(
          "from: contact ", sender.id(), " is blocked; the message was refused"));
      return r;
    }
    bool automatic = m.auto_kind() == v1::InboundMessage::AUTO_REPLY ||
                     m.auto_kind() == v1::InboundMessage::BOUNCE;
    if (m.auto_kind() == v1::InboundMessage::BOUNCE) {
      HELPDESK_RETURN_IF_ERROR(MarkBounced(tx, m, now));
    }
    bool by_message_id = false;
    HELPDESK_ASSIGN_OR_RETURN(int64_t ticket_id,
                              FindThread(tx, m, sender.id(), &by_message_id));
    std::optional<v1::Ticket> ticket;
    if (ticket_id != 0) {
      HELPDESK_ASSIGN_OR_RETURN(ticket, tx.GetTicket(ticket_id));
    }
    const bool closed =
        ticket && ticket->status_category() == v1::STATUS_CATEGORY_CLOSED;
    v1::Actor channel_actor = IntegrationActor(
        absl::AsciiStrToLower(v1::Channel_Name(m.channel())));

    if (automatic || (ticket && closed &&
                      options_.ingest.closed_ticket_reply ==
                          IngestOptions::ClosedTicketReply::kInternalNote)) {
      // Recorded for agents, never answered, never reopening anything.
      r.outcome = automatic ? IngestResult::Outcome::kRecordedAutomatic
                            : IngestResult::Outcome::kAppended;
      if (ticket && !(closed && automatic)) {
        MessageDraft note{
            .kind = v1::Message::INTERNAL_NOTE,
            .body_text = absl::StrCat(
                automatic ? (m.auto_kind() == v1::InboundMessage::BOUNCE
                                 ? "Delivery failure report"
                                 : "Automatic reply")
                          : "Reply to this closed ticket",
                " from ", m.from().email().empty() ? m.from().name() : m.from().email(),
                ":\n\n", m.body_text()),
            .channel = m.channel(),
            .external_id = m.external_id()};
        if (closed) {
          // A closed ticket takes no messages; keep the note on the record only.
        } else {
          HELPDESK_ASSIGN_OR_RETURN(v1::Message note_message,
                                    AddMessage(tx, channel_actor, ticket->id(), note));
          r.ticket_id = ticket->id();
          r.message_id = note_message.id();
        }
      }
    } else if (ticket && !closed) {
      // Joins the ticket; a sender found by message id who is not yet on it
      // (a reply-all from a CC'd person) becomes a CC.
      if (!TakesPart(*ticket, sender.id())) {
        TicketUpdate add_cc;
        add_cc.add_cc_contact_ids = {sender.id()};
        HELPDESK_RETURN_IF_ERROR(Update(tx, channel_actor, ticket->id(), add_cc).status());
      }
      MessageDraft draft{.kind = v1::Message::CUSTOMER_MESSAGE,
                         .body_text = m.body_text(),
                         .body_html = m.body_html(),
                         .attachments = std::move(uploads),
                         .channel = m.channel(),
                         .external_id = m.external_id()};
      if (draft.body_text.empty() && draft.body_html.empty() &&
          draft.attachments.empty()) {
        draft.body_text = "(empty message)";
      }
      HELPDESK_ASSIGN_OR_RETURN(
          v1::Message message, AddMessage(tx, ContactActor(sender.id()), ticket->id(), draft));
      r.outcome = IngestResult::Outcome::kAppended;
      r.ticket_id = ticket->id();
      r.message_id = message.id();
    } else {
      // A new ticket (a follow-up when the thread's ticket is closed).
      Access as_sender;
      as_sender.role = Access::kContact;
      as_sender.actor = ContactActor(sender.id());
      as_sender.contact = sender;
      NewTicket nt;
      nt.subject = absl::StripAsciiWhitespace(m.subject()).empty()
                       ? std::string("(no subject)")
                       : m.subject();
      nt.requester_id = sender.id();
      nt.description = m.body_text();
      nt.description_html = m.body_html();
      nt.attachments = std::move(uploads);
      nt.channel = m.channel();
      nt.external_id = m.external_id();
      for (const auto* parties : {&m.cc(), &m.to()}) {
        for (const v1::Party& p : *parties) {
          if (p.email().empty() ||
              absl::AsciiStrToLower(p.email()) ==
                  absl::AsciiStrToLower(options_.ingest.desk_email)) {
            continue;
          }
          if (parties == &m.to() && !options_.ingest.desk_email.empty()) {
            continue;  // other addresses the mail went to are not copied
          }
          absl::StatusOr<v1::Contact> cc = SenderContact(tx, p, now);
          if (!cc.ok()) continue;  // a malformed CC address does not lose the mail
          if (cc->id() != sender.id() &&
              nt.cc_contact_ids.size() < options_.limits.max_ccs) {
            nt.cc_contact_ids.push_back(cc->id());
          }
        }
      }
      HELPDESK_ASSIGN_OR_RETURN(v1::Ticket made,
                                CreateOne(tx, as_sender, nt, now, &r.message_id));
      r.outcome = IngestResult::Outcome::kCreatedTicket;
      r.ticket_id = made.id();
      if (ticket) {
        r.follow_up_of = ticket->id();
        HELPDESK_RETURN_IF_ERROR(
            Link(tx, SystemActor(), made.id(), v1::TicketLink::RELATED, ticket->id())
                .status());
        HELPDESK_ASSIGN_OR_RETURN(made, tx.GetTicket(made.id()));
      }
      if (options_.ingest.acknowledge_new_tickets &&
          m.auto_kind() == v1::InboundMessage::HUMAN &&
          m.channel() == v1::CHANNEL_EMAIL && !options_.ingest.desk_email.empty()) {
        std::string text = RenderAcknowledgement(options_.ingest.acknowledgement_text,
                                                 made, sender);
        v1::Message ack_for;
        ack_for.set_id(r.message_id);
        HELPDESK_RETURN_IF_ERROR(
            EnqueueEmail(tx, made, ack_for, text, "", /*automatic=*/true, now));
      }
    }
    if (r.ticket_id != 0) {
      if (!m.threading().message_id().empty()) {
        HELPDESK_RETURN_IF_ERROR(tx.PutThreadKey(
            absl::StrCat("msgid:", m.threading().message_id()), r.ticket_id));
      }
      if (!m.threading().chat_session_id().empty()) {
        HELPDESK_RETURN_IF_ERROR(tx.PutThreadKey(
            absl::StrCat("chat:", m.threading().chat_session_id()), r.ticket_id));
      }
    }
    HELPDESK_RETURN_IF_ERROR(tx.PutIdempotencyRecord("ingest", key, EncodeIngest(r), now));
    return r;
  }

  absl::StatusOr<v1::Ticket> Update(Transaction& tx, const v1::Actor& actor,
                                    int64_t ticket_id, const TicketUpdate& u) {
    absl::Time now = Now();
    const DeskLimits& lim = options_.limits;
    HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, LoadTicket(tx, a, ticket_id));
    HELPDESK_RETURN_IF_ERROR(RequireTicketChanger(a, "change ticket fields"));
    HELPDESK_RETURN_IF_ERROR(CheckChangeable(t));
    if (u.expected_version && *u.expected_version != t.version()) {
      return StaleVersion(t.id(), *u.expected_version, t.version());
    }
    int64_t loaded = t.version();
    v1::Event e;
    e.set_kind(v1::Event::FIELDS_CHANGED);

    if (u.subject && *u.subject != t.subject()) {
      HELPDESK_RETURN_IF_ERROR(
          CheckRequiredText("subject", *u.subject, lim.max_subject_bytes));
      AddChange(&e, "subject", t.subject(), *u.subject);
      t.set_subject(*u.subject);
    }
    if (u.priority) {
      HELPDESK_RETURN_IF_ERROR(CheckPriority("priority", *u.priority));
      if (*u.priority != t.priority()) {
        AddChange(&e, "priority", PriorityName(t.priority()),
                  PriorityName(*u.priority));
        t.set_priority(*u.priority);
      }
    }
    if (u.type) {
      HELPDESK_RETURN_IF_ERROR(CheckType("type", *u.type));
      if (*u.type != t.type()) {
        AddChange(&e, "type", TicketTypeName(t.type()), TicketTypeName(*u.type));
        t.set_type(*u.type);
      }
    }
    if (u.assignee_id && *u.assignee_id != t.assignee_id()) {
      if (*u.assignee_id != 0) {
        HELPDESK_RETURN_IF_ERROR(
            CheckAgentUsable(tx, "assignee_id", *u.assignee_id));
      }
      AddChange(&e, "assignee_id", absl::StrCat(t.assignee_id()),
                absl::StrCat(*u.assignee_id));
      t.set_assignee_id(*u.assignee_id);
      // Assigned by hand: no longer a routing offer.
      t.clear_routing_offer_expires_at();
    }
    if (u.group_id && *u.group_id != t.group_id()) {
      if (*u.group_id != 0) {
        HELPDESK_RETURN_IF_ERROR(CheckGroupExists(tx, "group_id", *u.group_id));
      }
      AddChange(&e, "group_id", absl::StrCat(t.group_id()),
                absl::StrCat(*u.group_id));
      t.set_group_id(*u.group_id);
    }
    if (u.requester_id && *u.requester_id != t.requester_id()) {
      absl::StatusOr<v1::Contact> r = tx.GetContact(*u.requester_id);
      if (absl::IsNotFound(r.status())) {
        return absl::NotFoundError(
            absl::StrCat("requester_id ", *u.requester_id, ": no such contact"));
      }
      HELPDESK_RETURN_IF_ERROR(r.status());
      AddChange(&e, "requester_id", absl::StrCat(t.requester_id()),
                absl::StrCat(*u.requester_id));
      t.set_requester_id(*u.requester_id);
      if (r->organization_id() != t.organization_id()) {
        AddChange(&e, "organization_id", absl::StrCat(t.organization_id()),
                  absl::StrCat(r->organization_id()));
        t.set_organization_id(r->organization_id());
      }
      // Not answered yet: the ticket goes to whoever answered its new
      // requester last (an answered ticket keeps the agent who answered it).
      if (t.public_reply_count() == 0 &&
          r->last_answered_by_agent_id() != t.sticky_agent_id()) {
        AddChange(&e, "sticky_agent_id", absl::StrCat(t.sticky_agent_id()),
                  absl::StrCat(r->last_answered_by_agent_id()));
        t.set_sticky_agent_id(r->last_answered_by_agent_id());
      }
    }
    // Tags.
    {
      std::set<std::string> tags(t.tags().begin(), t.tags().end());
      std::set<std::string> before = tags;
      if (u.set_tags) {
        HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> set,
                                  NormalizeTags("set_tags", *u.set_tags));
        tags = std::set<std::string>(set.begin(), set.end());
      }
      HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> add,
                                NormalizeTags("add_tags", u.add_tags));
      HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> remove,
                                NormalizeTags("remove_tags", u.remove_tags));
      tags.insert(add.begin(), add.end());
      for (const std::string& r : remove) tags.erase(r);
      if (tags != before) {
        HELPDESK_RETURN_IF_ERROR(SetTags("tags", &t, tags));
        AddChange(&e, "tags", absl::StrJoin(before, ","), absl::StrJoin(tags, ","));
      }
    }
    // Custom fields.
    for (const auto& [name, value] : u.set_custom_fields) {
      HELPDESK_RETURN_IF_ERROR(CheckCustomField("set_custom_fields", name, value));
      auto it = t.custom_fields().find(name);
      std::string before =
          it == t.custom_fields().end() ? "" : RenderCustomField(it->second);
      if (it != t.custom_fields().end() &&
          it->second.SerializeAsString() == value.SerializeAsString()) {
        continue;
      }
      AddChange(&e, absl::StrCat("custom_fields.", name), before,
                RenderCustomField(value));
      (*t.mutable_custom_fields())[name] = value;
    }
    for (const std::string& name : u.remove_custom_fields) {
      auto it = t.custom_fields().find(name);
      if (it == t.custom_fields().end()) continue;
      AddChange(&e, absl::StrCat("custom_fields.", name),
                RenderCustomField(it->second), "");
      t.mutable_custom_fields()->erase(name);
    }
    if (static_cast<size_t>(t.custom_fields_size()) > lim.max_custom_fields) {
      return absl::InvalidArgumentError(absl::StrCat(
          "set_custom_fields: the ticket would have ", t.custom_fields_size(),
          " custom fields, over the limit of ", lim.max_custom_fields));
    }
    // CCs and followers.
    {
      std::set<int64_t> ccs(t.cc_contact_ids().begin(), t.cc_contact_ids().end());
      std::set<int64_t> before = ccs;
      for (int64_t id : u.add_cc_contact_ids) {
        HELPDESK_RETURN_IF_ERROR(CheckContactExists(tx, "add_cc_contact_ids", id));
        if (id != t.requester_id()) ccs.insert(id);
      }
      for (int64_t id : u.remove_cc_contact_ids) ccs.erase(id);
      if (ccs.size() > lim.max_ccs) {
        return absl::InvalidArgumentError(absl::StrCat(
            "add_cc_contact_ids: the ticket would have ", ccs.size(),
            " CCs, over the limit of ", lim.max_ccs));
      }
      if (ccs != before) {
        AddChange(&e, "cc_contact_ids", JoinIds(t.cc_contact_ids()),
                  absl::StrJoin(ccs, ","));
        t.clear_cc_contact_ids();
        for (int64_t id : ccs) t.add_cc_contact_ids(id);
      }
    }
    {
      std::set<int64_t> followers(t.follower_agent_ids().begin(),
                                  t.follower_agent_ids().end());
      std::set<int64_t> before = followers;
      for (int64_t id : u.add_follower_agent_ids) {
        HELPDESK_RETURN_IF_ERROR(
            CheckAgentUsable(tx, "add_follower_agent_ids", id));
        followers.insert(id);
      }
      for (int64_t id : u.remove_follower_agent_ids) followers.erase(id);
      if (followers != before) {
        AddChange(&e, "follower_agent_ids", JoinIds(t.follower_agent_ids()),
                  absl::StrJoin(followers, ","));
        t.clear_follower_agent_ids();
        for (int64_t id : followers) t.add_follower_agent_ids(id);
      }
    }
    // The status moves last, so its guards see the update's other changes.
    if (u.status) {
      HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory category,
                                StatusCategoryOf("status", *u.status));
      HELPDESK_RETURN_IF_ERROR(options_.workflow.CheckTransition(t, *u.status));
      ChangeStatus(&t, *u.status, category, now, &e);
    }
    if (e.changes_size() == 0) return t;  // nothing to write
    HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, &t, loaded, &e));
    return t;
  }

  absl::StatusOr<v1::Ticket> Merge(Transaction& tx, const v1::Actor& actor,
                                   int64_t source_id, int64_t target_id) {
    absl::Time now = Now();
    if (source_id == target_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target_id ", target_id, ": a ticket cannot be merged into itself"));
    }
    HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket source, LoadTicket(tx, a, source_id));
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket target, LoadTicket(tx, a, target_id));
    HELPDESK_RETURN_IF_ERROR(RequireTicketChanger(a, "merge tickets"));
    HELPDESK_RETURN_IF_ERROR(Locate(CheckChangeable(source), "source_id: "));
    HELPDESK_RETURN_IF_ERROR(Locate(CheckChangeable(target), "target_id: "));
    int64_t source_loaded = source.version();
    int64_t target_loaded = target.version();

    HELPDESK_ASSIGN_OR_RETURN(int64_t moved,
                              tx.MoveMessages(source_id, target_id));
    v1::Event into;
    into.set_kind(v1::Event::MERGED_INTO);
    into.set_related_ticket_id(target_id);
    v1::Event from;
    from.set_kind(v1::Event::MERGED_FROM);
    from.set_related_ticket_id(source_id);

    // The target gains the source's people and messages.
    std::set<int64_t> ccs(target.cc_contact_ids().begin(),
                          target.cc_contact_ids().end());
    std::set<int64_t> cc_before = ccs;
    ccs.insert(source.cc_contact_ids().begin(), source.cc_contact_ids().end());
    ccs.insert(source.requester_id());
    ccs.erase(target.requester_id());
    if (ccs != cc_before) {
      AddChange(&from, "cc_contact_ids", JoinIds(target.cc_contact_ids()),
                absl::StrJoin(ccs, ","));
      target.clear_cc_contact_ids();
      for (int64_t id : ccs) target.add_cc_contact_ids(id);
    }
    std::set<int64_t> followers(target.follower_agent_ids().begin(),
                                target.follower_agent_ids().end());
    std::set<int64_t> f_before = followers;
    followers.insert(source.follower_agent_ids().begin(),
                     source.follower_agent_ids().end());
    if (followers != f_before) {
      AddChange(&from, "follower_agent_ids", JoinIds(target.follower_agent_ids()),
                absl::StrJoin(followers, ","));
      target.clear_follower_agent_ids();
      for (int64_t id : followers) target.add_follower_agent_ids(id);
    }
    // The target's sticky owner becomes the author of the latest agent reply
    // among the merged messages (message ids increase with time). Only the
    // source's replies can change it: the target's own latest one is already
    // its sticky owner.
    if (moved > 0 && source.public_reply_count() > 0) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> merged,
                                tx.ListMessages(target_id));
      for (auto it = merged.rbegin(); it != merged.rend(); ++it) {
        if (it->kind() != v1::Message::PUBLIC_REPLY ||
            it->author().kind() != v1::Actor::AGENT) {
          continue;
        }
        if (it->author().id() != target.sticky_agent_id()) {
          AddChange(&from, "sticky_agent_id", absl::StrCat(target.sticky_agent_id()),
                    absl::StrCat(it->author().id()));
          target.set_sticky_agent_id(it->author().id());
        }
        break;
      }
    }
    if (moved > 0) {
      AddChange(&from, "message_count", absl::StrCat(target.message_count()),
                absl::StrCat(target.message_count() + moved));
      target.set_message_count(target.message_count() + static_cast<int32_t>(moved));
      target.set_public_reply_count(target.public_reply_count() +
                                    source.public_reply_count());
      source.set_public_reply_count(0);
      AddChange(&into, "message_count", absl::StrCat(source.message_count()), "0");
      source.set_message_count(0);
    }
    // The source closes and points at the target.
    AddChange(&into, "merged_into", "0", absl::StrCat(target_id));
    source.set_merged_into(target_id);
    ChangeStatus(&source, options_.workflow.merged_status(),
                 v1::STATUS_CATEGORY_CLOSED, now, &into);
    HELPDESK_RETURN_IF_ERROR(
        SaveWithEvent(tx, a, now, &source, source_loaded, &into));
    HELPDESK_RETURN_IF_ERROR(
        SaveWithEvent(tx, a, now, &target, target_loaded, &from));
    return target;
  }

  absl::StatusOr<bool> Link(Transaction& tx, const v1::Actor& actor, int64_t id,
                            v1::TicketLink::Kind kind, int64_t other_id) {
    absl::Time now = Now();
    if (!v1::TicketLink::Kind_IsValid(kind) ||
        kind == v1::TicketLink::KIND_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("kind ", static_cast<int>(kind), " is not a link kind"));
    }
    if (id == other_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "other_ticket_id ", other_id, ": a ticket cannot be linked to itself"));
    }
    HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, LoadTicket(tx, a, id));
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket other, LoadTicket(tx, a, other_id));
    HELPDESK_RETURN_IF_ERROR(RequireTicketChanger(a, "link tickets"));
    for (const v1::TicketLink& l : t.links()) {
      if (l.kind() == kind && l.ticket_id() == other_id) return false;
    }
    struct Side {
      v1::Ticket* ticket;
      v1::TicketLink::Kind kind;
      int64_t to;
    };
    for (Side side : {Side{&t, kind, other_id},
                      Side{&other, MirrorLink(kind), id}}) {
      int64_t loaded = side.ticket->version();
      std::string before = RenderLinks(*side.ticket);
      v1::TicketLink* l = side.ticket->add_links();
      l->set_kind(side.kind);
      l->set_ticket_id(side.to);
      v1::Event e;
      e.set_kind(v1::Event::LINKED);
      e.set_related_ticket_id(side.to);
      AddChange(&e, "links", before, RenderLinks(*side.ticket));
      HELPDESK_RETURN_IF_ERROR(
          SaveWithEvent(tx, a, now, side.ticket, loaded, &e));
    }
    return true;
  }

  // --- People -------------------------------------------------------------

  // Normalises an identity value as stored: e-mail lower-cased, phone reduced
  // to digits and '+', chat handle checked as text.
  absl::StatusOr<std::string> NormalizeIdentity(absl::string_view field,
                                                v1::ContactIdentity::Kind kind,
                                                absl::string_view value) {
    switch (kind) {
      case v1::ContactIdentity::EMAIL:
        return internal::NormalizeEmail(field, value);
      case v1::ContactIdentity::PHONE:
        return internal::NormalizePhone(field, value);
      case v1::ContactIdentity::CHAT:
        HELPDESK_RETURN_IF_ERROR(
            CheckRequiredText(field, value, options_.limits.max_name_bytes));
        return std::string(value);
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            field, " kind ", static_cast<int>(kind), " is not an identity kind"));
    }
  }

  absl::StatusOr<v1::Contact> NewContactFrom(Transaction& tx,
                                             const NewContact& in) {
    const DeskLimits& lim = options_.limits;
    HELPDESK_RETURN_IF_ERROR(CheckText("name", in.name, lim.max_name_bytes));
    HELPDESK_RETURN_IF_ERROR(CheckText("external_id", in.external_id, 255));
    size_t identities = in.emails.size() + in.phones.size() + in.chat_handles.size();
    if (identities > lim.max_identities) {
      return absl::InvalidArgumentError(
          absl::StrCat("emails/phones/chat_handles: ", identities,
                       " identities, over the limit of ", lim.max_identities));
    }
    v1::Contact c;
    c.set_name(in.name);
    struct Source {
      const char* field;
      v1::ContactIdentity::Kind kind;
      const std::vector<std::string>* values;
    };
    for (Source src : {Source{"emails", v1::ContactIdentity::EMAIL, &in.emails},
                       Source{"phones", v1::ContactIdentity::PHONE, &in.phones},
                       Source{"chat_handles", v1::ContactIdentity::CHAT,
                              &in.chat_handles}}) {
      for (size_t i = 0; i < src.values->size(); ++i) {
        HELPDESK_ASSIGN_OR_RETURN(
            std::string value,
            NormalizeIdentity(absl::StrCat(src.field, "[", i, "]"), src.kind,
                              (*src.values)[i]));
        v1::ContactIdentity* id = c.add_identities();
        id->set_kind(src.kind);
        id->set_value(value);
      }
    }
    if (in.organization_id != 0) {
      absl::StatusOr<v1::Organization> org = tx.GetOrganization(in.organization_id);
      if (absl::IsNotFound(org.status())) {
        return absl::NotFoundError(absl::StrCat(
            "organization_id ", in.organization_id, ": no such organization"));
      }
      HELPDESK_RETURN_IF_ERROR(org.status());
    }
    c.set_organization_id(in.organization_id);
    if (in.locale.size() > 35 ||
        !std::all_of(in.locale.begin(), in.locale.end(), [](char ch) {
          return absl::ascii_isalnum(static_cast<unsigned char>(ch)) ||
                 ch == '-' || ch == '_';
        })) {
      return absl::InvalidArgumentError(absl::StrCat(
          "locale ", Quote(in.locale), " is not a language tag like 'es-ES'"));
    }
    c.set_locale(in.locale);
    if (!in.time_zone.empty()) {
      absl::TimeZone tz;
      if (in.time_zone.size() > 64 || !absl::LoadTimeZone(in.time_zone, &tz)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "time_zone ", Quote(in.time_zone), " is not an IANA time zone"));
      }
    }
    c.set_time_zone(in.time_zone);
    c.set_external_id(in.external_id);
    return c;
  }

  // Checks an agent's fields and fills a v1::Agent (without id, version,
  // presence or creation time).
  // --- Routing ---------------------------------------------------------------
  //
  // The policy is a projection of the store, kept under routing_mu_: Rebuild
  // loads it, AfterCommit follows each committed command, and every decision
  // commits in its own transaction before the mirror records it. When a
  // policy call or a decision's write fails, routing_dirty_ is set and the
  // next routing step rebuilds from the store first, so a failure never
  // leaves the policy believing something the store does not hold.

  bool routing_enabled() const { return options_.routing.has_value(); }

  std::optional<WorkItem> RoutingItem(const v1::Ticket& t) const {
    return internal::RoutingItemOf(options_.routing->work_item, t);
  }

  // Keeps the routing fields of a ticket about to be stored right: a pending
  // offer needs a routed ticket with an assignee; the queue time is kept while
  // the ticket waits (queued, or offered and not yet accepted) and dropped
  // otherwise.
  void StampRouting(v1::Ticket* t, absl::Time now) const {
    if (!routing_enabled()) return;
    const bool routed = RoutingItem(*t).has_value();
    if (!routed || t->assignee_id() == 0) t->clear_routing_offer_expires_at();
    const bool waiting = routed && (t->assignee_id() == 0 ||
                                    t->has_routing_offer_expires_at());
    if (!waiting) {
      t->clear_routing_queued_at();
    } else if (!t->has_routing_queued_at()) {
      *t->mutable_routing_queued_at() = ToTimestamp(now);
    }
  }

  absl::StatusOr<std::unique_ptr<RoutingPolicy>> MakePolicy() const {
    const RoutingOptions& r = *options_.routing;
    if (r.make_policy) {
      HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<RoutingPolicy> p, r.make_policy());
      if (p == nullptr) {
        return absl::InvalidArgumentError(
            "routing.make_policy returned no policy");
      }
      return p;
    }
    v1::RoutingPolicyConfig config = r.policy;
    if (config.policy_case() == v1::RoutingPolicyConfig::POLICY_NOT_SET) {
      config.mutable_least_loaded();
    }
    absl::StatusOr<std::unique_ptr<RoutingPolicy>> p = NewRoutingPolicy(config);
    if (!p.ok()) return Locate(p.status(), "routing.policy");
    return p;
  }

  // Loads a new policy with every agent and every new or open ticket.
  absl::Status RebuildLocked(absl::Time now) {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<RoutingPolicy> policy, MakePolicy());
    auto mirror = std::make_unique<internal::RoutingMirror>(
        std::move(policy), options_.routing->work_item);
    HELPDESK_ASSIGN_OR_RETURN(
        std::vector<v1::Agent> agents,
        RunOnce(TransactionMode::kReadOnly,
                [](Transaction& tx) { return tx.ListAgents(); }, nullptr));
    for (const v1::Agent& a : agents) {
      HELPDESK_RETURN_IF_ERROR(mirror->SyncAgent(a, now));
    }
    TicketQuery q;
    q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN};
    q.sort = TicketSort::kIdAsc;
    q.limit = kMaxQueryLimit;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(
          TicketPage page,
          RunOnce(TransactionMode::kReadOnly,
                  [&](Transaction& tx) { return tx.QueryTickets(q); }, nullptr));
      for (const v1::Ticket& t : page.tickets) {
        HELPDESK_RETURN_IF_ERROR(
            Locate(mirror->SyncTicket(t, now), absl::StrCat("ticket ", t.id())));
      }
      if (page.next_cursor.empty()) break;
      q.cursor = page.next_cursor;
    }
    routing_ = std::move(mirror);
    routing_dirty_ = false;
    return absl::OkStatus();
  }

  absl::Status EnsureFreshLocked(absl::Time now) {
    if (!routing_dirty_) return absl::OkStatus();
    return RebuildLocked(now);
  }

  // Reports a committed transaction's writes to the policy (agents first, so
  // a ticket given to an agent finds them), then places queued work.
  absl::Status AfterCommit(const WrittenObjects& written,
                           std::vector<int64_t>* routed) {
    absl::MutexLock lock(&routing_mu_);
    const absl::Time now = Now();
    if (routing_dirty_) {
      HELPDESK_RETURN_IF_ERROR(RebuildLocked(now));
    } else {
      absl::Status s;
      for (const auto& [id, agent] : written.agents) {
        s.Update(routing_->SyncAgent(agent, now));
      }
      for (const auto& [id, ticket] : written.tickets) {
        s.Update(routing_->SyncTicket(ticket, now));
      }
      if (!s.ok()) {
        routing_dirty_ = true;
        return s;
      }
    }
    return RouteLocked(now, routed, nullptr);
  }

  // Whether a decision still holds in the store: the ticket routed and
  // unassigned (or, for a pull, as given), the agent active and online.
  static absl::Status CheckDecision(const v1::Ticket& t, const v1::Agent& agent,
                                    bool routable) {
    if (!routable || t.assignee_id() != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ticket ", t.id(), " is no longer waiting for an agent"));
    }
    if (agent.deactivated() || agent.presence() != v1::PRESENCE_ONLINE) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent ", agent.id(), " is not online"));
    }
    return absl::OkStatus();
  }

  // Commits one decision: assigns the ticket, as an offer when offers time
  // out and `offer`, and writes ROUTED with the reason. A decision the store
  // no longer supports (someone took the ticket, the agent left) is undone in
  // the policy from the stored state and reported as FailedPrecondition.
  absl::StatusOr<v1::Ticket> CommitDecisionLocked(const Assignment& a,
                                                  absl::Time now, bool offer) {
    v1::Ticket stale_ticket;
    v1::Agent stale_agent;
    bool stale = false;
    absl::StatusOr<v1::Ticket> done = RunOnce(
        TransactionMode::kReadWrite,
        [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
          HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(a.ticket_id));
          HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, tx.GetAgent(a.agent_id));
          absl::Status ok = CheckDecision(t, agent, RoutingItem(t).has_value());
          if (!ok.ok()) {
            stale = true;
            stale_ticket = t;
            stale_agent = agent;
            return ok;
          }
          const int64_t loaded = t.version();
          v1::Event e;
          e.set_kind(v1::Event::ROUTED);
          AddChange(&e, "assignee_id", "0", absl::StrCat(a.agent_id));
          e.set_related_agent_id(a.agent_id);
          e.set_note(a.reason);
          t.set_assignee_id(a.agent_id);
          const absl::Duration timeout = options_.routing->offer_timeout;
          if (offer && timeout > absl::ZeroDuration()) {
            *t.mutable_routing_offer_expires_at() = ToTimestamp(now + timeout);
          } else {
            t.clear_routing_offer_expires_at();
          }
          Access system;
          system.actor = SystemActor();
          HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, system, now, &t, loaded, &e));
          return t;
        },
        nullptr);
    if (done.ok()) {
      routing_->NoteAssigned(*done);
      return done;
    }
    if (!stale) {
      routing_dirty_ = true;
      return done.status();
    }
    // Undo the policy's count and tell it what the store holds.
    absl::Status s = routing_->Resync(stale_ticket, stale_agent, now);
    if (!s.ok()) routing_dirty_ = true;
    return done.status();
  }

  // Places queued work until the policy has nothing it can place now.
  absl::Status RouteLocked(absl::Time now, std::vector<int64_t>* routed,
                           TickReport* report) {
    HELPDESK_RETURN_IF_ERROR(EnsureFreshLocked(now));
    if (!options_.routing->push) return absl::OkStatus();
    // Each round either assigns a ticket or undoes a stale decision; the bound
    // only guards against a policy that keeps proposing the same stale one.
    for (int round = 0; round < 1000000; ++round) {
      absl::StatusOr<Assignment> a = routing_->policy().Next(now);
      if (absl::IsNotFound(a.status())) return absl::OkStatus();
      if (!a.ok()) {
        routing_dirty_ = true;
        return a.status();
      }
      absl::StatusOr<v1::Ticket> t = CommitDecisionLocked(*a, now, true);
      if (t.ok()) {
        if (routed != nullptr) routed->push_back(t->id());
        if (report != nullptr) ++report->routed;
      } else if (!absl::IsFailedPrecondition(t.status())) {
        return t.status();
      }
    }
    routing_dirty_ = true;
    return absl::InternalError("routing: the policy kept proposing stale decisions");
  }

  // Unassigns `t` from its assignee after a decline or an offer running out:
  // the agent joins the ticket's decliners and OFFER_DECLINED is written.
  absl::Status DeclineInTx(Transaction& tx, const Access& a, v1::Ticket* t,
                           OfferOutcome outcome, absl::Time now) {
    const int64_t agent = t->assignee_id();
    const int64_t loaded = t->version();
    v1::Event e;
    e.set_kind(v1::Event::OFFER_DECLINED);
    AddChange(&e, "assignee_id", absl::StrCat(agent), "0");
    e.set_related_agent_id(agent);
    e.set_note(outcome == OfferOutcome::kTimedOut
                   ? absl::StrCat("agent ", agent, " did not accept within ",
                                  absl::FormatDuration(options_.routing->offer_timeout))
                   : absl::StrCat("agent ", agent, " declined"));
    t->set_assignee_id(0);
    if (std::find(t->routing_declined_agent_ids().begin(),
                  t->routing_declined_agent_ids().end(),
                  agent) == t->routing_declined_agent_ids().end()) {
      t->add_routing_declined_agent_ids(agent);
    }
    return SaveWithEvent(tx, a, now, t, loaded, &e);
  }

  // Tells the policy about a committed decline (the mirror follows).
  void AfterDeclineLocked(const v1::Ticket& t, int64_t agent,
                          OfferOutcome outcome, absl::Time now) {
    absl::Status s = routing_->Declined(t, agent, outcome, now);
    if (!s.ok()) routing_dirty_ = true;
  }

  // Offers that ran out by `now` count as declined.
  absl::Status ExpireOffersLocked(absl::Time now, TickReport* report) {
    HELPDESK_RETURN_IF_ERROR(EnsureFreshLocked(now));
    for (const auto& [ticket_id, agent_id] : routing_->ExpiredOffers(now)) {
      bool expired = false;
      absl::StatusOr<v1::Ticket> stored = RunOnce(
          TransactionMode::kReadWrite,
          [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
            HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
            if (t.assignee_id() != agent_id || !t.has_routing_offer_expires_at() ||
                FromTimestamp(t.routing_offer_expires_at()) > now) {
              return t;  // accepted or moved meanwhile
            }
            Access system;
            system.actor = SystemActor();
            HELPDESK_RETURN_IF_ERROR(
                DeclineInTx(tx, system, &t, OfferOutcome::kTimedOut, now));
            expired = true;
            return t;
          },
          nullptr);
      if (!stored.ok()) {
        routing_dirty_ = true;
        return stored.status();
      }
      if (expired) {
        AfterDeclineLocked(*stored, agent_id, OfferOutcome::kTimedOut, now);
        ++report->offers_expired;
      } else {
        absl::Status s = routing_->SyncTicket(*stored, now);
        if (!s.ok()) routing_dirty_ = true;
      }
    }
    return absl::OkStatus();
  }

  // Moves the agent's new and open routed tickets away after they left
  // (`why`): to their backup when that agent is online, else to the queue.
  // Returns a note for the agent's event.
  absl::StatusOr<std::string> RequeueWorkInTx(Transaction& tx, const Access& a,
                                              const v1::Agent& agent,
                                              absl::string_view why,
                                              absl::Time now) {
    int64_t backup = 0;
    if (agent.backup_agent_id() != 0 && agent.backup_agent_id() != agent.id()) {
      absl::StatusOr<v1::Agent> b = tx.GetAgent(agent.backup_agent_id());
      if (b.ok() && !b->deactivated() && b->presence() == v1::PRESENCE_ONLINE) {
        backup = b->id();
      } else if (!b.ok() && !absl::IsNotFound(b.status())) {
        return b.status();
      }
    }
    TicketQuery q;
    q.assignee_id = agent.id();
    q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN};
    q.sort = TicketSort::kIdAsc;
    q.limit = kMaxQueryLimit;
    int moved = 0;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx.QueryTickets(q));
      for (v1::Ticket& t : page.tickets) {
        if (!RoutingItem(t).has_value()) continue;  // worked by hand
        const int64_t loaded = t.version();
        v1::Event e;
        e.set_kind(v1::Event::REQUEUED);
        AddChange(&e, "assignee_id", absl::StrCat(agent.id()), absl::StrCat(backup));
        e.set_related_agent_id(agent.id());
        e.set_note(backup != 0
                       ? absl::StrCat("agent ", agent.id(), " ", why,
                                      "; given to backup agent ", backup)
                       : absl::StrCat("agent ", agent.id(), " ", why,
                                      "; queued again"));
        t.set_assignee_id(backup);
        t.clear_routing_offer_expires_at();
        HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, &t, loaded, &e));
        ++moved;
      }
      if (page.next_cursor.empty()) break;
      q.cursor = page.next_cursor;
    }
    if (moved == 0) return std::string();
    return backup != 0 ? absl::StrCat(moved, " tickets given to backup agent ", backup)
                       : absl::StrCat(moved, " tickets queued again");
  }

  absl::Status AppendAgentEvent(Transaction& tx, const Access& a,
                                absl::Time now, const v1::Agent& agent,
                                v1::AgentEvent* e) {
    e->set_agent_id(agent.id());
    *e->mutable_actor() = a.actor;
    *e->mutable_time() = ToTimestamp(now);
    e->set_agent_version(agent.version());
    return tx.AppendAgentEvent(e);
  }

  // One AgentFieldChange per field that differs.
  static void DiffAgents(const v1::Agent& before, const v1::Agent& after,
                         v1::AgentEvent* e) {
    auto add = [e](absl::string_view field, std::string b, std::string a) {
      if (b == a) return;
      v1::FieldChange* c = e->add_changes();
      c->set_field(std::string(field));
      c->set_before(std::move(b));
      c->set_after(std::move(a));
    };
    auto skills = [](const v1::Agent& x) {
      std::vector<std::string> out;
      for (const v1::Skill& s : x.skills()) {
        out.push_back(absl::StrCat(s.name(), ":", s.level()));
      }
      return absl::StrJoin(out, ",");
    };
    auto capacity = [](const v1::Agent& x) {
      std::vector<std::string> out;
      for (const v1::ChannelCapacity& c : x.capacity()) {
        out.push_back(absl::StrCat(
            absl::AsciiStrToLower(absl::StripPrefix(v1::Channel_Name(c.channel()), "CHANNEL_")),
            ":", c.max_items()));
      }
      return absl::StrJoin(out, ",");
    };
    add("name", before.name(), after.name());
    add("email", before.email(), after.email());
    add("role", absl::AsciiStrToLower(v1::Agent::Role_Name(before.role())),
        absl::AsciiStrToLower(v1::Agent::Role_Name(after.role())));
    add("ticket_access",
        absl::AsciiStrToLower(v1::Agent::TicketAccess_Name(before.ticket_access())),
        absl::AsciiStrToLower(v1::Agent::TicketAccess_Name(after.ticket_access())));
    add("group_ids", JoinIds(before.group_ids()), JoinIds(after.group_ids()));
    add("skills", skills(before), skills(after));
    add("capacity", capacity(before), capacity(after));
    add("backup_agent_id", absl::StrCat(before.backup_agent_id()),
        absl::StrCat(after.backup_agent_id()));
    add("deactivated", before.deactivated() ? "true" : "false",
        after.deactivated() ? "true" : "false");
    add("presence", PresenceName(before.presence()), PresenceName(after.presence()));
  }

  // The ticket as stored when routing placed it right after the command
  // that returned `t`, so the caller sees the assignee.
  absl::StatusOr<v1::Ticket> WithRouting(absl::StatusOr<v1::Ticket> t,
                                         const std::vector<int64_t>& routed) {
    if (!t.ok() || std::find(routed.begin(), routed.end(), t->id()) == routed.end()) {
      return t;
    }
    return RunOnce(TransactionMode::kReadOnly,
                   [&](Transaction& tx) { return tx.GetTicket(t->id()); }, nullptr);
  }

  absl::Mutex& routing_mu() { return routing_mu_; }
  internal::RoutingMirror& routing() { return *routing_; }

  absl::StatusOr<v1::Agent> BuildAgent(Transaction& tx, const NewAgent& in) {
    const DeskLimits& lim = options_.limits;
    HELPDESK_RETURN_IF_ERROR(CheckRequiredText("name", in.name, lim.max_name_bytes));
    HELPDESK_RETURN_IF_ERROR(CheckText("external_id", in.external_id, 255));
    v1::Agent agent;
    agent.set_name(in.name);
    if (!in.email.empty()) {
      HELPDESK_ASSIGN_OR_RETURN(std::string email,
                                internal::NormalizeEmail("email", in.email));
      agent.set_email(email);
    }
    if (!v1::Agent::Role_IsValid(in.role) ||
        in.role == v1::Agent::ROLE_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("role ", static_cast<int>(in.role), " is not a role"));
    }
    agent.set_role(in.role);
    if (!v1::Agent::TicketAccess_IsValid(in.ticket_access)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ticket_access ", static_cast<int>(in.ticket_access),
          " is not a ticket access level"));
    }
    agent.set_ticket_access(in.ticket_access);
    std::set<int64_t> groups;
    for (int64_t g : in.group_ids) {
      HELPDESK_RETURN_IF_ERROR(CheckGroupExists(tx, "group_ids", g));
      groups.insert(g);
    }
    for (int64_t g : groups) agent.add_group_ids(g);
    std::set<std::string> skill_names;
    for (size_t i = 0; i < in.skills.size(); ++i) {
      const v1::Skill& s = in.skills[i];
      std::string field = absl::StrCat("skills[", i, "]");
      HELPDESK_RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(field, ".name"),
                                                 s.name(), lim.max_tag_bytes));
      if (s.level() < 1 || s.level() > 10) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".level ", s.level(), " of skill '", s.name(),
            "' is outside [1, 10]"));
      }
      if (!skill_names.insert(s.name()).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".name ", Quote(s.name()), " is listed twice"));
      }
      *agent.add_skills() = s;
    }
    std::set<int> channels;
    for (size_t i = 0; i < in.capacity.size(); ++i) {
      const v1::ChannelCapacity& c = in.capacity[i];
      std::string field = absl::StrCat("capacity[", i, "]");
      if (!v1::Channel_IsValid(c.channel()) ||
          c.channel() == v1::CHANNEL_UNSPECIFIED) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".channel ", static_cast<int>(c.channel()),
            " is not a channel"));
      }
      if (c.max_items() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".max_items ", c.max_items(), " must not be negative"));
      }
      if (!channels.insert(c.channel()).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".channel ", v1::Channel_Name(c.channel()),
            " is listed twice"));
      }
      *agent.add_capacity() = c;
    }
    agent.set_external_id(in.external_id);
    if (in.backup_agent_id != 0) {
      HELPDESK_RETURN_IF_ERROR(
          CheckAgentUsable(tx, "backup_agent_id", in.backup_agent_id));
    }
    agent.set_backup_agent_id(in.backup_agent_id);
    return agent;
  }

 private:
  DeskOptions options_;
  // Routing state (with options_.routing): set at Init, replaced by rebuilds,
  // used only under routing_mu_.
  absl::Mutex routing_mu_;
  std::unique_ptr<internal::RoutingMirror> routing_;
  bool routing_dirty_ = false;
};

// --- Desk --------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Desk>> Desk::Open(DeskOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  HELPDESK_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Desk>(new Desk(std::move(impl)));
}

Desk::Desk(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Desk::~Desk() = default;

const DeskOptions& Desk::options() const { return impl_->options(); }

absl::StatusOr<v1::Ticket> Desk::CreateTicket(const v1::Actor& actor,
                                              const NewTicket& ticket) {
  std::vector<int64_t> routed;
  return impl_->WithRouting(
      impl_->Run(TransactionMode::kReadWrite,
                 [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
                   HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
                   return impl_->CreateOne(tx, a, ticket, impl_->Now());
                 },
                 &routed),
      routed);
}

absl::StatusOr<std::vector<v1::Ticket>> Desk::CreateTickets(
    const v1::Actor& actor, absl::Span<const NewTicket> tickets) {
  if (tickets.size() > impl_->options().limits.max_batch) {
    return absl::InvalidArgumentError(
        absl::StrCat("tickets: ", tickets.size(), " tickets, over the limit of ",
                     impl_->options().limits.max_batch, " per batch"));
  }
  return impl_->Run(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Ticket>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        absl::Time now = impl_->Now();
        std::vector<v1::Ticket> out;
        out.reserve(tickets.size());
        for (size_t i = 0; i < tickets.size(); ++i) {
          absl::StatusOr<v1::Ticket> t = impl_->CreateOne(tx, a, tickets[i], now);
          if (!t.ok()) return Locate(t.status(), absl::StrCat("tickets[", i, "]."));
          out.push_back(*std::move(t));
        }
        return out;
      });
}

absl::StatusOr<v1::Message> Desk::AddMessage(const v1::Actor& actor,
                                             int64_t ticket_id,
                                             const MessageDraft& draft) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) {
    return impl_->AddMessage(tx, actor, ticket_id, draft);
  });
}

absl::StatusOr<v1::Ticket> Desk::UpdateTicket(const v1::Actor& actor,
                                              int64_t ticket_id,
                                              const TicketUpdate& update) {
  std::vector<int64_t> routed;
  return impl_->WithRouting(
      impl_->Run(
          TransactionMode::kReadWrite,
          [&](Transaction& tx) { return impl_->Update(tx, actor, ticket_id, update); },
          &routed),
      routed);
}

absl::StatusOr<v1::Ticket> Desk::MergeTickets(const v1::Actor& actor,
                                              int64_t source_id,
                                              int64_t target_id) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) {
    return impl_->Merge(tx, actor, source_id, target_id);
  });
}

absl::Status Desk::LinkTickets(const v1::Actor& actor, int64_t ticket_id,
                               v1::TicketLink::Kind kind,
                               int64_t other_ticket_id) {
  return impl_
      ->Run(TransactionMode::kReadWrite,
            [&](Transaction& tx) {
              return impl_->Link(tx, actor, ticket_id, kind, other_ticket_id);
            })
      .status();
}

absl::StatusOr<v1::Ticket> Desk::GetTicket(const v1::Actor& viewer,
                                           int64_t ticket_id) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      return impl_->LoadTicket(tx, a, ticket_id);
                    });
}

absl::StatusOr<TicketView> Desk::ViewTicket(const v1::Actor& viewer,
                                            int64_t ticket_id) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<TicketView> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        TicketView view;
        HELPDESK_ASSIGN_OR_RETURN(view.ticket, impl_->LoadTicket(tx, a, ticket_id));
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> messages,
                                  tx.ListMessages(ticket_id));
        for (v1::Message& m : messages) {
          if (!a.IsStaff() && m.kind() == v1::Message::INTERNAL_NOTE) continue;
          view.messages.push_back(std::move(m));
        }
        if (a.IsStaff() && impl_->options().sla) {
          absl::Time now = impl_->Now();
          HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                                    Impl::SlaEvents(tx, ticket_id, &now));
          HELPDESK_ASSIGN_OR_RETURN(
              view.sla, impl_->options().sla->Evaluate(view.ticket, events, now));
        }
        return view;
      });
}

absl::StatusOr<TicketPage> Desk::QueryTickets(const v1::Actor& viewer,
                                              TicketQuery query) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<TicketPage> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        std::optional<TicketVisibility> v = Impl::VisibilityOf(a);
        if (v) {
          if (query.visible_to) {
            return absl::InvalidArgumentError(
                "visible_to: the desk sets it for this viewer; leave it unset");
          }
          query.visible_to = std::move(v);
        }
        return tx.QueryTickets(query);
      });
}

absl::StatusOr<TicketPage> Desk::ContactHistory(const v1::Actor& viewer,
                                                int64_t contact_id,
                                                absl::string_view cursor,
                                                int limit) {
  if (viewer.kind() == v1::Actor::CONTACT && viewer.id() != contact_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("contact ", viewer.id(),
                     " may not read the history of contact ", contact_id));
  }
  TicketQuery q;
  q.requester_id = contact_id;
  q.sort = TicketSort::kCreatedDesc;
  q.include_merged = true;
  q.cursor = std::string(cursor);
  q.limit = limit;
  return QueryTickets(viewer, std::move(q));
}

absl::StatusOr<IngestResult> Desk::Ingest(const v1::InboundMessage& message) {
  HELPDESK_ASSIGN_OR_RETURN(std::string key, Impl::IngestKey(message));
  absl::Status refusal;
  absl::StatusOr<IngestResult> r = impl_->Run(
      impl_->IngestTransaction(), [&](Transaction& tx) -> absl::StatusOr<IngestResult> {
        bool may_have_written = false;
        return impl_->IngestMessage(tx, message, key, &refusal, &may_have_written);
      });
  if (!refusal.ok()) return refusal;
  return r;
}

// One transaction runs the messages [begin, end) in order. When a message
// fails after it may have written (a failure Ingest alone would roll back),
// that transaction is rolled back and run again for the messages before it;
// the failing message then runs alone, exactly as Ingest would, and the rest
// follow in a new transaction. So each message's result is what Ingest would
// have returned at its place in the sequence.
absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> Desk::IngestBatch(
    absl::Span<const v1::InboundMessage> messages) {
  const size_t max_batch = impl_->options().limits.max_batch;
  if (messages.size() > max_batch) {
    return absl::InvalidArgumentError(absl::StrCat("messages: ", messages.size(),
                                                   " messages, over the limit of ",
                                                   max_batch, " per batch"));
  }
  std::vector<absl::StatusOr<IngestResult>> results(
      messages.size(), absl::InternalError("message not ingested"));
  std::vector<absl::StatusOr<std::string>> keys;
  keys.reserve(messages.size());
  for (const v1::InboundMessage& m : messages) keys.push_back(Impl::IngestKey(m));

  size_t begin = 0;
  size_t end = messages.size();
  while (begin < messages.size()) {
    size_t failed = end;
    absl::Status failure;
    absl::StatusOr<bool> done = impl_->Run(
        impl_->IngestTransaction(), [&](Transaction& tx) -> absl::StatusOr<bool> {
          for (size_t i = begin; i < end; ++i) {
            if (!keys[i].ok()) {
              results[i] = keys[i].status();
              continue;
            }
            absl::Status refusal;
            bool may_have_written = false;
            absl::StatusOr<IngestResult> r = impl_->IngestMessage(
                tx, messages[i], *keys[i], &refusal, &may_have_written);
            if (!r.ok() && may_have_written) {
              failed = i;
              failure = r.status();
              return failure;  // rolls this transaction back
            }
            if (!refusal.ok()) {
              results[i] = refusal;
            } else {
              results[i] = std::move(r);
            }
          }
          return true;
        });
    if (failed == end) {
      // Committed, or the transaction could not begin or commit: then none of
      // its messages is stored, and each says why.
      if (!done.ok()) {
        for (size_t i = begin; i < end; ++i) {
          if (results[i].ok()) results[i] = done.status();
        }
      }
      begin = end;
      end = messages.size();
    } else if (failed == begin) {
      // It ran alone in its transaction: its failure is its result.
      results[begin] = failure;
      ++begin;
      end = messages.size();
    } else {
      end = failed;  // the messages before it, without it
    }
  }
  return results;
}

absl::StatusOr<DispatchReport> Desk::DispatchOutbox(
    const std::map<v1::Channel, OutboundAdapter*>& adapters, absl::Time now,
    int limit) {
  const OutboxOptions& o = impl_->options().outbox;
  DispatchReport report;
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
  }
  // Claim: the lease keeps other dispatchers off these entries for a while.
  HELPDESK_ASSIGN_OR_RETURN(
      std::vector<v1::OutboxEntry> claimed,
      impl_->Run(TransactionMode::kReadWrite,
                 [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::OutboxEntry>> {
                   HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::OutboxEntry> due,
                                             tx.ListDueOutbox(now, limit));
                   std::vector<v1::OutboxEntry> out;
                   for (v1::OutboxEntry& e : due) {
                     auto it = adapters.find(e.message().channel());
                     if (it == adapters.end() || it->second == nullptr) continue;
                     e.set_attempts(e.attempts() + 1);
                     *e.mutable_next_attempt_at() = ToTimestamp(now + o.lease);
                     HELPDESK_RETURN_IF_ERROR(tx.UpdateOutbox(e));
                     out.push_back(std::move(e));
                   }
                   return out;
                 }));
  for (v1::OutboxEntry& e : claimed) {
    absl::StatusOr<DeliveryReceipt> receipt =
        adapters.at(e.message().channel())->Deliver(e.message());
    absl::StatusOr<bool> saved = impl_->Run(
        TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<bool> {
          HELPDESK_ASSIGN_OR_RETURN(v1::OutboxEntry cur, tx.GetOutbox(e.id()));
          if (cur.state() != v1::OutboxEntry::PENDING) return false;
          if (receipt.ok()) {
            cur.set_state(v1::OutboxEntry::DELIVERED);
            *cur.mutable_delivered_at() = ToTimestamp(now);
            cur.set_provider_id(receipt->provider_id);
            cur.clear_last_error();
            ++report.delivered;
          } else {
            cur.set_last_error(receipt.status().ToString());
            if (IsRetryableDeliveryError(receipt.status()) &&
                cur.attempts() < o.max_attempts) {
              absl::Duration backoff = o.initial_backoff;
              for (int i = 1; i < cur.attempts() && backoff < o.max_backoff; ++i) {
                backoff *= 2;
              }
              *cur.mutable_next_attempt_at() =
                  ToTimestamp(now + std::min(backoff, o.max_backoff));
              ++report.retried;
            } else {
              cur.set_state(v1::OutboxEntry::DEAD);
              ++report.dead;
            }
          }
          HELPDESK_RETURN_IF_ERROR(tx.UpdateOutbox(cur));
          return true;
        });
    if (!saved.ok()) return saved.status();
  }
  return report;
}

absl::StatusOr<std::vector<v1::OutboxEntry>> Desk::ListOutbox(
    const v1::Actor& viewer, std::optional<v1::OutboxEntry::State> state,
    int64_t after_id, int limit) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::OutboxEntry>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireStaff(a, "read the outbox"));
        return tx.ListOutbox(state, after_id, limit);
      });
}

absl::StatusOr<v1::OutboxEntry> Desk::ReplayOutbox(const v1::Actor& actor,
                                                   int64_t entry_id) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::OutboxEntry> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireAdmin(a, "replay outbox entries"));
        HELPDESK_ASSIGN_OR_RETURN(v1::OutboxEntry e, tx.GetOutbox(entry_id));
        if (e.state() != v1::OutboxEntry::DEAD) {
          return absl::FailedPreconditionError(absl::StrCat(
              "outbox entry ", entry_id, " is ",
              v1::OutboxEntry::State_Name(e.state()), ", not DEAD"));
        }
        e.set_state(v1::OutboxEntry::PENDING);
        e.set_attempts(0);
        *e.mutable_next_attempt_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.UpdateOutbox(e));
        return e;
      });
}

absl::StatusOr<SlaStatus> Desk::TicketSla(const v1::Actor& viewer,
                                          int64_t ticket_id) {
  if (!impl_->options().sla) {
    return absl::FailedPreconditionError("the desk has no SLAs (DeskOptions::sla)");
  }
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<SlaStatus> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireStaff(a, "read SLA clocks"));
        HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, impl_->LoadTicket(tx, a, ticket_id));
        absl::Time now = impl_->Now();
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                                  Impl::SlaEvents(tx, ticket_id, &now));
        return impl_->options().sla->Evaluate(t, events, now);
      });
}

absl::StatusOr<TickReport> Desk::Tick(absl::Time now) {
  TickReport report;
  if (impl_->routing_enabled()) {
    absl::MutexLock lock(&impl_->routing_mu());
    HELPDESK_RETURN_IF_ERROR(impl_->ExpireOffersLocked(now, &report));
    HELPDESK_RETURN_IF_ERROR(impl_->RouteLocked(now, nullptr, &report));
  }
  if (!impl_->options().sla) return report;
  // Each pass takes the tickets due now, most overdue first. A ticket done
  // here gets a deadline after `now` (or none), so passes shrink to nothing;
  // the bound guards against a store that fails to move deadlines.
  constexpr int kPage = 200;
  for (int pass = 0; pass < 1000000; ++pass) {
    TicketQuery q;
    q.sla_deadline = TimeRange{absl::InfinitePast(), now + absl::Microseconds(1)};
    q.include_merged = true;
    q.sort = TicketSort::kSlaDeadlineAsc;
    q.limit = kPage;
    HELPDESK_ASSIGN_OR_RETURN(
        TicketPage page,
        impl_->Run(TransactionMode::kReadOnly,
                   [&](Transaction& tx) { return tx.QueryTickets(q); }));
    if (page.tickets.empty()) return report;
    for (const v1::Ticket& t : page.tickets) {
      absl::Status s = impl_
                           ->Run(TransactionMode::kReadWrite,
                                 [&](Transaction& tx) -> absl::StatusOr<bool> {
                                   HELPDESK_RETURN_IF_ERROR(
                                       impl_->TickTicket(tx, t.id(), now, &report));
                                   return true;
                                 })
                           .status();
      if (!s.ok()) return s;
    }
  }
  return absl::InternalError("Tick: SLA deadlines did not move past now");
}

absl::StatusOr<int64_t> Desk::RefreshSlaDeadlines() {
  int64_t visited = 0;
  TicketQuery q;
  q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                         v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD,
                         v1::STATUS_CATEGORY_SOLVED};
  q.sort = TicketSort::kIdAsc;
  q.limit = 500;
  absl::Time now = impl_->Now();
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(
        TicketPage page,
        impl_->Run(TransactionMode::kReadWrite,
                   [&](Transaction& tx) -> absl::StatusOr<TicketPage> {
                     HELPDESK_ASSIGN_OR_RETURN(TicketPage p, tx.QueryTickets(q));
                     for (v1::Ticket& t : p.tickets) {
                       HELPDESK_RETURN_IF_ERROR(impl_->RefreshSla(tx, &t, now).status());
                     }
                     return p;
                   }));
    visited += static_cast<int64_t>(page.tickets.size());
    if (page.next_cursor.empty()) return visited;
    q.cursor = page.next_cursor;
  }
}

absl::StatusOr<std::vector<v1::Event>> Desk::AuditLog(const v1::Actor& viewer,
                                                      int64_t ticket_id) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Event>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(
            Impl::RequireStaff(a, "read a ticket's audit log"));
        HELPDESK_RETURN_IF_ERROR(impl_->LoadTicket(tx, a, ticket_id).status());
        return tx.ListTicketEvents(ticket_id, 0, 0);
      });
}

absl::StatusOr<std::string> Desk::AttachmentContent(const v1::Actor& viewer,
                                                    int64_t message_id,
                                                    absl::string_view sha256) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<std::string> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        auto not_found = [&] {
          return absl::NotFoundError(absl::StrCat(
              "attachment ", Quote(sha256), " of message ", message_id,
              " not found"));
        };
        absl::StatusOr<v1::Message> m = tx.GetMessage(message_id);
        if (absl::IsNotFound(m.status())) return not_found();
        HELPDESK_RETURN_IF_ERROR(m.status());
        if (!a.IsStaff() && m->kind() == v1::Message::INTERNAL_NOTE) {
          return not_found();
        }
        if (!impl_->LoadTicket(tx, a, m->ticket_id()).ok()) return not_found();
        bool listed = std::any_of(
            m->attachments().begin(), m->attachments().end(),
            [&](const v1::Attachment& att) { return att.sha256() == sha256; });
        if (!listed) return not_found();
        return tx.GetAttachmentContent(sha256);
      });
}

absl::StatusOr<v1::Contact> Desk::CreateContact(const v1::Actor& actor,
                                                const NewContact& contact) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireTicketChanger(a, "create contacts"));
        HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, impl_->NewContactFrom(tx, contact));
        absl::Time now = impl_->Now();
        *c.mutable_created_at() = ToTimestamp(now);
        *c.mutable_updated_at() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.InsertContact(&c));
        return c;
      });
}

absl::StatusOr<v1::Contact> Desk::GetContact(const v1::Actor& viewer,
                                             int64_t contact_id) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        if (!a.IsStaff() && a.actor.id() != contact_id) {
          return absl::NotFoundError(
              absl::StrCat("contact ", contact_id, " not found"));
        }
        return tx.GetContact(contact_id);
      });
}

absl::StatusOr<v1::Contact> Desk::FindContactByEmail(const v1::Actor& viewer,
                                                     absl::string_view email) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireStaff(a, "look up contacts"));
        HELPDESK_ASSIGN_OR_RETURN(std::string e,
                                  internal::NormalizeEmail("email", email));
        return tx.FindContactByIdentity(v1::ContactIdentity::EMAIL, e);
      });
}

absl::StatusOr<v1::Contact> Desk::FindContactByIdentity(
    const v1::Actor& viewer, v1::ContactIdentity::Kind kind,
    absl::string_view value) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireStaff(a, "look up contacts"));
        HELPDESK_ASSIGN_OR_RETURN(std::string v,
                                  impl_->NormalizeIdentity("value", kind, value));
        return tx.FindContactByIdentity(kind, v);
      });
}

absl::StatusOr<v1::Contact> Desk::UpdateContact(const v1::Actor& actor,
                                                int64_t contact_id,
                                                const ContactUpdate& u) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        bool self = a.role == Access::kContact && a.actor.id() == contact_id;
        if (!self) {
          HELPDESK_RETURN_IF_ERROR(Impl::RequireTicketChanger(a, "change contacts"));
        } else if (!u.add_emails.empty() || !u.remove_emails.empty() ||
                   !u.add_phones.empty() || !u.remove_phones.empty() ||
                   !u.add_chat_handles.empty() || !u.remove_chat_handles.empty() ||
                   u.organization_id || u.external_id) {
          return absl::PermissionDeniedError(absl::StrCat(
              "contact ", contact_id,
              " may change only their own name, locale and time zone"));
        }
        absl::StatusOr<v1::Contact> found = tx.GetContact(contact_id);
        if (absl::IsNotFound(found.status())) {
          return absl::NotFoundError(absl::StrCat("contact ", contact_id, " not found"));
        }
        HELPDESK_RETURN_IF_ERROR(found.status());
        const v1::Contact& old = *found;
        if (u.expected_version && *u.expected_version != old.version()) {
          return absl::AbortedError(absl::StrCat(
              "contact ", contact_id, ": expected version ", *u.expected_version,
              ", stored version ", old.version()));
        }
        NewContact in{.name = u.name.value_or(old.name()),
                      .organization_id = u.organization_id.value_or(old.organization_id()),
                      .locale = u.locale.value_or(old.locale()),
                      .time_zone = u.time_zone.value_or(old.time_zone()),
                      .external_id = u.external_id.value_or(old.external_id())};
        struct Change {
          const char* field;
          v1::ContactIdentity::Kind kind;
          std::vector<std::string>* into;
          const std::vector<std::string>* add;
          const std::vector<std::string>* remove;
        };
        for (Change ch :
             {Change{"emails", v1::ContactIdentity::EMAIL, &in.emails, &u.add_emails,
                     &u.remove_emails},
              Change{"phones", v1::ContactIdentity::PHONE, &in.phones, &u.add_phones,
                     &u.remove_phones},
              Change{"chat_handles", v1::ContactIdentity::CHAT, &in.chat_handles,
                     &u.add_chat_handles, &u.remove_chat_handles}}) {
          std::vector<std::string> values;
          for (const v1::ContactIdentity& id : old.identities()) {
            if (id.kind() == ch.kind) values.push_back(id.value());
          }
          for (size_t i = 0; i < ch.remove->size(); ++i) {
            std::string field = absl::StrCat("remove_", ch.field, "[", i, "]");
            HELPDESK_ASSIGN_OR_RETURN(
                std::string v, impl_->NormalizeIdentity(field, ch.kind, (*ch.remove)[i]));
            auto it = std::find(values.begin(), values.end(), v);
            if (it == values.end()) {
              return absl::InvalidArgumentError(absl::StrCat(
                  field, " ", Quote(v), ": contact ", contact_id, " has no such ",
                  ch.field));
            }
            values.erase(it);
          }
          for (size_t i = 0; i < ch.add->size(); ++i) {
            std::string field = absl::StrCat("add_", ch.field, "[", i, "]");
            HELPDESK_ASSIGN_OR_RETURN(
                std::string v, impl_->NormalizeIdentity(field, ch.kind, (*ch.add)[i]));
            if (std::find(values.begin(), values.end(), v) == values.end()) {
              values.push_back(v);
            }
          }
          *ch.into = std::move(values);
        }
        HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, impl_->NewContactFrom(tx, in));
        // Keep what the update does not touch: bounce marks, the block.
        for (v1::ContactIdentity& id : *c.mutable_identities()) {
          for (const v1::ContactIdentity& was : old.identities()) {
            if (was.kind() == id.kind() && was.value() == id.value()) {
              id.set_bouncing(was.bouncing());
            }
          }
        }
        c.set_id(old.id());
        c.set_blocked(old.blocked());
        c.set_last_answered_by_agent_id(old.last_answered_by_agent_id());
        *c.mutable_created_at() = old.created_at();
        *c.mutable_updated_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.UpdateContact(&c, old.version()));
        return c;
      });
}

absl::StatusOr<v1::Contact> Desk::SetContactBlocked(const v1::Actor& actor,
                                                    int64_t contact_id,
                                                    bool blocked) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireAdmin(a, "block contacts"));
        HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, tx.GetContact(contact_id));
        if (c.blocked() == blocked) return c;
        c.set_blocked(blocked);
        *c.mutable_updated_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.UpdateContact(&c, c.version()));
        return c;
      });
}

absl::StatusOr<v1::Organization> Desk::CreateOrganization(
    const v1::Actor& actor, absl::string_view name,
    std::vector<std::string> domains) {
  return impl_->Run(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<v1::Organization> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(
            Impl::RequireTicketChanger(a, "create organizations"));
        HELPDESK_RETURN_IF_ERROR(CheckRequiredText(
            "name", name, impl_->options().limits.max_name_bytes));
        v1::Organization o;
        o.set_name(std::string(absl::StripAsciiWhitespace(name)));
        for (size_t i = 0; i < domains.size(); ++i) {
          std::string field = absl::StrCat("domains[", i, "]");
          HELPDESK_RETURN_IF_ERROR(CheckRequiredText(field, domains[i], 253));
          std::string d = absl::AsciiStrToLower(absl::StripAsciiWhitespace(domains[i]));
          if (d.find_first_of(" @,;") != std::string::npos) {
            return absl::InvalidArgumentError(
                absl::StrCat(field, " ", Quote(domains[i]), " is not a domain"));
          }
          o.add_domains(d);
        }
        *o.mutable_created_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.InsertOrganization(&o));
        return o;
      });
}

absl::StatusOr<v1::Agent> Desk::CreateAgent(const v1::Actor& actor,
                                            const NewAgent& in) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireAdmin(a, "create agents"));
        HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, impl_->BuildAgent(tx, in));
        absl::Time now = impl_->Now();
        agent.set_presence(v1::PRESENCE_OFFLINE);
        *agent.mutable_presence_since() = ToTimestamp(now);
        *agent.mutable_created_at() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.InsertAgent(&agent));
        v1::AgentEvent e;
        e.set_kind(v1::AgentEvent::AGENT_CREATED);
        Impl::DiffAgents(v1::Agent(), agent, &e);
        for (v1::FieldChange& c : *e.mutable_changes()) c.clear_before();
        HELPDESK_RETURN_IF_ERROR(impl_->AppendAgentEvent(tx, a, now, agent, &e));
        return agent;
      });
}

absl::StatusOr<v1::Agent> Desk::UpdateAgent(const v1::Actor& actor,
                                            int64_t agent_id,
                                            const AgentUpdate& u) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireAdmin(a, "change agents"));
        HELPDESK_ASSIGN_OR_RETURN(v1::Agent old, tx.GetAgent(agent_id));
        if (u.expected_version && *u.expected_version != old.version()) {
          return absl::AbortedError(absl::StrCat(
              "agent ", agent_id, ": expected version ", *u.expected_version,
              ", stored version ", old.version()));
        }
        if (a.role == Access::kAdmin && a.agent.id() == agent_id &&
            ((u.deactivated && *u.deactivated) ||
             (u.role && *u.role != v1::Agent::ADMIN))) {
          return absl::FailedPreconditionError(absl::StrCat(
              "agent ", agent_id, ": admins may not deactivate or demote themselves"));
        }
        NewAgent in{.name = u.name.value_or(old.name()),
                    .email = u.email.value_or(old.email()),
                    .role = u.role.value_or(old.role()),
                    .ticket_access = u.ticket_access.value_or(old.ticket_access()),
                    .group_ids = u.group_ids.value_or(std::vector<int64_t>(
                        old.group_ids().begin(), old.group_ids().end())),
                    .skills = u.skills.value_or(std::vector<v1::Skill>(
                        old.skills().begin(), old.skills().end())),
                    .capacity = u.capacity.value_or(std::vector<v1::ChannelCapacity>(
                        old.capacity().begin(), old.capacity().end())),
                    .external_id = old.external_id(),
                    .backup_agent_id =
                        u.backup_agent_id.value_or(old.backup_agent_id())};
        if (in.backup_agent_id == agent_id) {
          return absl::InvalidArgumentError(absl::StrCat(
              "backup_agent_id ", agent_id, ": an agent cannot back up themself"));
        }
        HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, impl_->BuildAgent(tx, in));
        const absl::Time now = impl_->Now();
        agent.set_id(old.id());
        agent.set_presence(old.presence());
        *agent.mutable_presence_since() = old.presence_since();
        *agent.mutable_created_at() = old.created_at();
        agent.set_deactivated(u.deactivated.value_or(old.deactivated()));
        const bool deactivated = agent.deactivated() && !old.deactivated();
        if (deactivated) {
          agent.set_presence(v1::PRESENCE_OFFLINE);
          *agent.mutable_presence_since() = ToTimestamp(now);
        }
        agent.set_version(old.version());
        v1::AgentEvent e;
        e.set_kind(v1::AgentEvent::AGENT_CHANGED);
        Impl::DiffAgents(old, agent, &e);
        if (e.changes_size() == 0) return old;  // nothing changed
        HELPDESK_RETURN_IF_ERROR(tx.UpdateAgent(&agent, old.version()));
        if (deactivated && impl_->routing_enabled()) {
          HELPDESK_ASSIGN_OR_RETURN(
              std::string note,
              impl_->RequeueWorkInTx(tx, a, agent, "was deactivated", now));
          e.set_note(note);
        }
        HELPDESK_RETURN_IF_ERROR(impl_->AppendAgentEvent(tx, a, now, agent, &e));
        return agent;
      });
}

absl::StatusOr<v1::Agent> Desk::GetAgent(const v1::Actor& viewer,
                                         int64_t agent_id) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireStaff(a, "read agents"));
        return tx.GetAgent(agent_id);
      });
}

absl::StatusOr<std::vector<v1::Agent>> Desk::ListAgents(const v1::Actor& viewer) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Agent>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireStaff(a, "list agents"));
        return tx.ListAgents();
      });
}

// --- Routing and presence ------------------------------------------------------

absl::StatusOr<v1::Agent> Desk::SetAgentPresence(const v1::Actor& actor,
                                                 int64_t agent_id,
                                                 v1::Presence presence) {
  if (!v1::Presence_IsValid(presence) || presence == v1::PRESENCE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "presence ", static_cast<int>(presence), " is not online, away or offline"));
  }
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(
            Impl::RequireSelfOrAdmin(a, agent_id, "set other agents' presence"));
        HELPDESK_ASSIGN_OR_RETURN(v1::Agent old,
                                  Impl::GetAgentNamed(tx, "agent_id", agent_id));
        if (old.presence() == presence) return old;
        if (old.deactivated() && presence != v1::PRESENCE_OFFLINE) {
          return absl::FailedPreconditionError(absl::StrCat(
              "agent ", agent_id, " is deactivated and cannot be ",
              PresenceName(presence)));
        }
        const absl::Time now = impl_->Now();
        v1::Agent agent = old;
        agent.set_presence(presence);
        *agent.mutable_presence_since() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.UpdateAgent(&agent, old.version()));
        v1::AgentEvent e;
        e.set_kind(v1::AgentEvent::PRESENCE_CHANGED);
        Impl::DiffAgents(old, agent, &e);
        if (impl_->routing_enabled() && presence != v1::PRESENCE_ONLINE) {
          const RoutingOptions& r = *impl_->options().routing;
          RoutingOptions::OnLeave rule =
              presence == v1::PRESENCE_AWAY ? r.on_away : r.on_offline;
          if (rule == RoutingOptions::OnLeave::kRequeue) {
            HELPDESK_ASSIGN_OR_RETURN(
                std::string note,
                impl_->RequeueWorkInTx(tx, a, agent,
                                       absl::StrCat("went ", PresenceName(presence)),
                                       now));
            e.set_note(note);
          }
        }
        HELPDESK_RETURN_IF_ERROR(impl_->AppendAgentEvent(tx, a, now, agent, &e));
        return agent;
      });
}

absl::StatusOr<std::vector<v1::AgentEvent>> Desk::AgentLog(const v1::Actor& viewer,
                                                           int64_t agent_id) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::AgentEvent>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(
            Impl::RequireSelfOrAdmin(a, agent_id, "read other agents' logs"));
        HELPDESK_RETURN_IF_ERROR(
            Impl::GetAgentNamed(tx, "agent_id", agent_id).status());
        return tx.ListAgentEvents(agent_id, 0, 0);
      });
}

namespace {

absl::Status RoutingOff(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": the desk does not route (DeskOptions::routing is unset)"));
}

}  // namespace

absl::StatusOr<v1::Ticket> Desk::NextTicketFor(const v1::Actor& actor,
                                               int64_t agent_id) {
  if (!impl_->routing_enabled()) return RoutingOff("NextTicketFor");
  // Who asks, and for whom.
  HELPDESK_ASSIGN_OR_RETURN(
      v1::Agent agent,
      impl_->Run(TransactionMode::kReadOnly,
                 [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
                   HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
                   HELPDESK_RETURN_IF_ERROR(Impl::RequireSelfOrAdmin(
                       a, agent_id, "pull tickets for other agents"));
                   return Impl::GetAgentNamed(tx, "agent_id", agent_id);
                 }));
  if (agent.deactivated() || agent.presence() != v1::PRESENCE_ONLINE) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent ", agent_id, " is ",
        agent.deactivated() ? "deactivated" : PresenceName(agent.presence()),
        "; only online agents take tickets"));
  }
  absl::MutexLock lock(&impl_->routing_mu());
  const absl::Time now = impl_->Now();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    HELPDESK_RETURN_IF_ERROR(impl_->EnsureFreshLocked(now));
    absl::StatusOr<Assignment> a = impl_->routing().policy().NextFor(agent_id, now);
    if (absl::IsNotFound(a.status())) {
      return absl::NotFoundError(absl::StrCat(
          "agent ", agent_id, ": no queued ticket fits their groups, skills and "
          "free capacity"));
    }
    HELPDESK_RETURN_IF_ERROR(a.status());
    absl::StatusOr<v1::Ticket> t = impl_->CommitDecisionLocked(*a, now, false);
    if (!absl::IsFailedPrecondition(t.status())) return t;
    // Stale: the policy was corrected from the store; ask again.
  }
  return absl::InternalError("NextTicketFor: the policy kept proposing stale tickets");
}

absl::StatusOr<v1::Ticket> Desk::AcceptTicket(const v1::Actor& actor,
                                              int64_t ticket_id) {
  if (!impl_->routing_enabled()) return RoutingOff("AcceptTicket");
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, impl_->LoadTicket(tx, a, ticket_id));
        HELPDESK_RETURN_IF_ERROR(
            Impl::RequireSelfOrAdmin(a, t.assignee_id(), "accept for others"));
        if (t.assignee_id() == 0 || !t.has_routing_offer_expires_at()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "ticket ", ticket_id, " holds no offer to accept"));
        }
        const absl::Time now = impl_->Now();
        const int64_t loaded = t.version();
        v1::Event e;
        e.set_kind(v1::Event::OFFER_ACCEPTED);
        e.set_related_agent_id(t.assignee_id());
        e.set_note(absl::StrCat("agent ", t.assignee_id(), " accepted"));
        t.clear_routing_offer_expires_at();
        HELPDESK_RETURN_IF_ERROR(impl_->SaveWithEvent(tx, a, now, &t, loaded, &e));
        return t;
      });
}

absl::StatusOr<v1::Ticket> Desk::DeclineTicket(const v1::Actor& actor,
                                               int64_t ticket_id) {
  if (!impl_->routing_enabled()) return RoutingOff("DeclineTicket");
  absl::MutexLock lock(&impl_->routing_mu());
  const absl::Time now = impl_->Now();
  int64_t agent = 0;
  HELPDESK_ASSIGN_OR_RETURN(
      v1::Ticket t,
      impl_->RunOnce(
          TransactionMode::kReadWrite,
          [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
            HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
            HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, impl_->LoadTicket(tx, a, ticket_id));
            HELPDESK_RETURN_IF_ERROR(
                Impl::RequireSelfOrAdmin(a, t.assignee_id(), "decline for others"));
            if (!internal::IsRoutableStatus(t) || t.assignee_id() == 0) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "ticket ", ticket_id, " (", t.status(),
                  t.assignee_id() == 0 ? ", unassigned" : "",
                  ") is not a new or open ticket with an assignee"));
            }
            agent = t.assignee_id();
            HELPDESK_RETURN_IF_ERROR(
                impl_->DeclineInTx(tx, a, &t, OfferOutcome::kDeclined, now));
            return t;
          },
          nullptr));
  if (impl_->EnsureFreshLocked(now).ok()) {
    impl_->AfterDeclineLocked(t, agent, OfferOutcome::kDeclined, now);
    impl_->RouteLocked(now, nullptr, nullptr).IgnoreError();
  }
  return t;
}

absl::StatusOr<v1::Event> Desk::LastRoutingDecision(const v1::Actor& viewer,
                                                    int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events, AuditLog(viewer, ticket_id));
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind() == v1::Event::ROUTED) return *it;
  }
  return absl::NotFoundError(
      absl::StrCat("ticket ", ticket_id, ": routing never placed it"));
}

absl::StatusOr<RoutingSnapshot> Desk::RoutingState(const v1::Actor& viewer) {
  if (!impl_->routing_enabled()) return RoutingOff("RoutingState");
  absl::StatusOr<bool> allowed =
      impl_->Run(TransactionMode::kReadOnly,
                 [&](Transaction& tx) -> absl::StatusOr<bool> {
                   HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                   HELPDESK_RETURN_IF_ERROR(
                       Impl::RequireStaff(a, "read the routing state"));
                   return true;
                 });
  HELPDESK_RETURN_IF_ERROR(allowed.status());
  absl::MutexLock lock(&impl_->routing_mu());
  HELPDESK_RETURN_IF_ERROR(impl_->EnsureFreshLocked(impl_->Now()));
  internal::RoutingMirror& r = impl_->routing();
  RoutingSnapshot snap;
  snap.policy = std::string(r.policy().Name());
  snap.queued = r.Queued();
  snap.assigned = static_cast<int64_t>(r.assigned());
  for (const auto& [key, items] : r.Load()) {
    snap.load.push_back({.agent_id = key.first, .channel = key.second, .items = items});
  }
  snap.next_wakeup = std::min(r.policy().NextWakeup(), r.NextOfferExpiry());
  return snap;
}

absl::StatusOr<v1::Group> Desk::CreateGroup(const v1::Actor& actor,
                                            absl::string_view name,
                                            absl::string_view description) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Group> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireAdmin(a, "create groups"));
        HELPDESK_RETURN_IF_ERROR(CheckRequiredText(
            "name", name, impl_->options().limits.max_name_bytes));
        HELPDESK_RETURN_IF_ERROR(CheckText("description", description, 4096));
        v1::Group g;
        g.set_name(std::string(absl::StripAsciiWhitespace(name)));
        g.set_description(std::string(description));
        *g.mutable_created_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.InsertGroup(&g));
        return g;
      });
}

absl::StatusOr<std::vector<v1::Group>> Desk::ListGroups(const v1::Actor& viewer) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Group>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Impl::RequireStaff(a, "list groups"));
        return tx.ListGroups();
      });
}

}  // namespace helpdesk
