// Ticket commands and queries: create, messages, field changes, merges, links, reads, the
// audit log.
#include "desk/desk_impl.h"
#include "desk/desk_update.h"

namespace helpdesk {


// Creates one ticket; when `first_message_id` is given, sets it to the id of
// the first message (0 when the ticket has none).
absl::StatusOr<v1::Ticket> DeskCore::CreateOne(Transaction& tx, const Access& a,
                                                 const NewTicket& in, absl::Time now,
                                                 int64_t* first_message_id,
                                                 const TicketOrigin* origin) {
  const DeskLimits& lim = options_.limits;
  // Who may create this ticket, and set what on it.
  int64_t requester_id = in.requester_id;
  if (a.IsContact() && requester_id == 0) requester_id = a.actor.id();
  TicketFacts facts;
  facts.requester_id = requester_id;
  facts.cc_contact_ids = in.cc_contact_ids;
  facts.assignee_id = in.assignee_id;
  facts.group_id = in.group_id;
  facts.follower_agent_ids = in.follower_agent_ids;
  HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kCreateTicket, Subject::Ticket(facts)));
  if (in.assignee_id != 0 || in.group_id != 0 || !in.status.empty() || !in.tags.empty() ||
      !in.follower_agent_ids.empty() ||
      in.description_kind != v1::Message::CUSTOMER_MESSAGE) {
    HELPDESK_RETURN_IF_ERROR(
        Authorize(a, Action::kCreateTicketWithFields, Subject::Ticket(facts)));
  }
  std::vector<int64_t> cc_ids = in.cc_contact_ids;
  if (!in.requester_email.empty() || !in.cc_emails.empty()) {
    // People named by address are found or created in this transaction,
    // so a refused ticket leaves none of them behind.
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageContacts));
    if (requester_id == 0 && !in.requester_email.empty()) {
      HELPDESK_ASSIGN_OR_RETURN(
          std::string email,
          internal::NormalizeEmail("requester_email", in.requester_email));
      HELPDESK_RETURN_IF_ERROR(
          CheckText("requester_name", in.requester_name, lim.max_name_bytes));
      HELPDESK_ASSIGN_OR_RETURN(v1::Contact c,
                                FindOrCreateContact(tx, v1::ContactIdentity::EMAIL, email,
                                                    in.requester_name, now));
      requester_id = c.id();
    }
    for (size_t i = 0; i < in.cc_emails.size(); ++i) {
      HELPDESK_ASSIGN_OR_RETURN(
          std::string email,
          internal::NormalizeEmail(absl::StrCat("cc_emails[", i, "]"), in.cc_emails[i]));
      HELPDESK_ASSIGN_OR_RETURN(
          v1::Contact c,
          FindOrCreateContact(tx, v1::ContactIdentity::EMAIL, email, "", now));
      cc_ids.push_back(c.id());
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
    return absl::InvalidArgumentError(absl::StrCat("description_kind ",
                                                   static_cast<int>(in.description_kind),
                                                   " is not a message kind"));
  }
  const std::string& initial = options_.workflow.initial_status();
  std::string status = in.status.empty() ? initial : in.status;
  HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory category,
                            StatusCategoryOf("status", status));
  HELPDESK_RETURN_IF_ERROR(CheckPriority("priority", in.priority));
  HELPDESK_RETURN_IF_ERROR(CheckType("type", in.type));
  if (!v1::Channel_IsValid(in.channel)) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel ", static_cast<int>(in.channel), " is not a channel"));
  }
  HELPDESK_RETURN_IF_ERROR(CheckText("external_id", in.external_id, 998));
  HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> tags,
                            NormalizeTags("tags", in.tags));
  if (in.custom_fields.size() > lim.max_custom_fields) {
    return absl::InvalidArgumentError(
        absl::StrCat("custom_fields: ", in.custom_fields.size(),
                     " fields, over the limit of ", lim.max_custom_fields));
  }
  for (const auto& [name, value] : in.custom_fields) {
    HELPDESK_RETURN_IF_ERROR(CheckCustomField("custom_fields", name, value));
  }
  if (cc_ids.size() > lim.max_ccs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cc_contact_ids: ", cc_ids.size(), " CCs, over the limit of ", lim.max_ccs));
  }
  // References.
  absl::StatusOr<v1::Contact> requester =
      origin != nullptr && origin->requester != nullptr &&
              origin->requester->id() == requester_id
          ? absl::StatusOr<v1::Contact>(*origin->requester)
          : tx.GetContact(requester_id);
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
  for (int64_t cc : cc_ids) {
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
  if (origin != nullptr) {
    t.set_conversation_id(origin->conversation_id);
    t.set_desk_address(origin->desk_address);
  }
  for (int64_t cc : ccs) t.add_cc_contact_ids(cc);
  for (int64_t f : followers) t.add_follower_agent_ids(f);
  *t.mutable_created_at() = ToTimestamp(now);
  *t.mutable_updated_at() = ToTimestamp(now);
  if (category == v1::STATUS_CATEGORY_SOLVED) {
    *t.mutable_solved_at() = ToTimestamp(now);
  }
  bool has_message =
      !in.description.empty() || !in.description_html.empty() || !in.attachments.empty();
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

  // The creation event, but for the ids the inserts give it.
  v1::Event e;
  e.set_kind(v1::Event::TICKET_CREATED);
  if (has_message) e.set_message_kind(in.description_kind);
  // A creation's changes have no `before`.
  auto* changes = e.mutable_changes();
  AddChange(changes, v1::FieldChange::SUBJECT, std::nullopt, TextValue(t.subject()));
  AddChange(changes, v1::FieldChange::STATUS, std::nullopt, StatusValue(t.status()));
  AddChange(changes, v1::FieldChange::PRIORITY, std::nullopt, PriorityValue(t.priority()));
  AddChange(changes, v1::FieldChange::REQUESTER, std::nullopt,
            ContactValue(t.requester_id()));
  if (t.type() != v1::TICKET_TYPE_UNSPECIFIED) {
    AddChange(changes, v1::FieldChange::TYPE, std::nullopt, TypeValue(t.type()));
  }
  if (t.assignee_id() != 0) {
    AddChange(changes, v1::FieldChange::ASSIGNEE, std::nullopt, AgentValue(t.assignee_id()));
  }
  if (t.group_id() != 0) {
    AddChange(changes, v1::FieldChange::GROUP, std::nullopt, GroupValue(t.group_id()));
  }
  if (t.tags_size() > 0) {
    AddChange(changes, v1::FieldChange::TAGS, std::nullopt, TagsValue(t.tags()));
  }
  if (t.cc_contact_ids_size() > 0) {
    AddChange(changes, v1::FieldChange::CC_CONTACTS, std::nullopt,
              ContactsValue(t.cc_contact_ids()));
  }
  if (t.sticky_agent_id() != 0) {
    AddChange(changes, v1::FieldChange::STICKY_AGENT, std::nullopt,
              AgentValue(t.sticky_agent_id()));
  }
  // With SLAs, the clocks of the new ticket: its log is this one event (at
  // `now`, as AppendEvent stamps it), so its first deadline is known before
  // the insert, which stores it (what RefreshSla would do after it, without
  // reading the event back and writing the ticket again).
  if (options_.sla) {
    // `e` stamped as AppendEvent will stamp it (not copied: its changes
    // are most of a creation's bytes).
    *e.mutable_time() = ToTimestamp(now);
    HELPDESK_ASSIGN_OR_RETURN(SlaStatus sla,
                              options_.sla->Evaluate(t, absl::MakeConstSpan(&e, 1), now));
    if (sla.next_deadline) *t.mutable_sla_next_deadline() = ToTimestamp(*sla.next_deadline);
  }
  HELPDESK_RETURN_IF_ERROR(tx.InsertTicket(&t));
  if (agent_answers) {
    HELPDESK_RETURN_IF_ERROR(RememberAnsweredBy(tx, requester_id, a.actor.id(), now));
  }

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
  }
  HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, a, now, t, &e));
  return t;
}

// Records that agent `agent_id` answered contact `contact_id` publicly
// (Contact.last_answered_by_agent_id), unless that is already so.
absl::Status DeskCore::RememberAnsweredBy(Transaction& tx, int64_t contact_id,
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
absl::Status DeskCore::NoteAgentAnswered(Transaction& tx, v1::Ticket* t,
                                           int64_t agent_id, absl::Time now,
                                           v1::Event* e) {
  if (t->sticky_agent_id() != agent_id) {
    AddChange(e->mutable_changes(), v1::FieldChange::STICKY_AGENT,
              AgentValue(t->sticky_agent_id()), AgentValue(agent_id));
    t->set_sticky_agent_id(agent_id);
  }
  return RememberAnsweredBy(tx, t->requester_id(), agent_id, now);
}

// `allow_closed`: the desk's own internal notes (a reply to a closed
// ticket kept for agents) may go onto a closed ticket; nothing else may.
absl::StatusOr<v1::Message> DeskCore::AddMessage(Transaction& tx,
                                                   const v1::Actor& actor,
                                                   int64_t ticket_id,
                                                   const MessageDraft& d,
                                                   bool allow_closed, bool send) {
  absl::Time now = Now();
  HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, LoadTicket(tx, a, ticket_id));
  if (!v1::Message::Kind_IsValid(d.kind) || d.kind == v1::Message::KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", static_cast<int>(d.kind), " is not a message kind"));
  }
  HELPDESK_RETURN_IF_ERROR(AuthorizeOn(a,
                                       d.kind == v1::Message::CUSTOMER_MESSAGE
                                           ? Action::kWriteCustomerMessage
                                       : d.kind == v1::Message::PUBLIC_REPLY
                                           ? Action::kReplyPublicly
                                           : Action::kAddInternalNote,
                                       t));
  if (!(allow_closed && d.kind == v1::Message::INTERNAL_NOTE && t.merged_into() == 0 &&
        t.status_category() == v1::STATUS_CATEGORY_CLOSED)) {
    HELPDESK_RETURN_IF_ERROR(CheckChangeable(t));
  }
  if (d.expected_version && *d.expected_version != t.version()) {
    return StaleVersion(t.id(), *d.expected_version, t.version());
  }
  HELPDESK_RETURN_IF_ERROR(CheckBodies("body", d.body_text, d.body_html));
  HELPDESK_RETURN_IF_ERROR(CheckAttachments("attachments", d.attachments));
  HELPDESK_RETURN_IF_ERROR(CheckText("external_id", d.external_id, 998));
  if (!v1::Channel_IsValid(d.channel)) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel ", static_cast<int>(d.channel), " is not a channel"));
  }
  if (absl::StripAsciiWhitespace(d.body_text).empty() &&
      absl::StripAsciiWhitespace(d.body_html).empty() && d.attachments.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body_text ", Quote(d.body_text),
                     ": a message needs text, HTML or an attachment"));
  }

  v1::Message m;
  m.set_ticket_id(t.id());
  m.set_kind(d.kind);
  *m.mutable_author() =
      d.kind == v1::Message::CUSTOMER_MESSAGE && !a.IsContact()
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
  if (send && d.kind == v1::Message::PUBLIC_REPLY) {
    HELPDESK_RETURN_IF_ERROR(EnqueueReply(
        tx, t, m, {.text = d.body_text, .html = d.body_html}, /*automatic=*/false, now));
  }
  return m;
}

absl::StatusOr<v1::Ticket> DeskCore::Update(Transaction& tx, const v1::Actor& actor,
                                              int64_t ticket_id, const TicketUpdate& u,
                                              absl::string_view operation_id) {
  absl::Time now = Now();
  HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t,
                            LoadTicket(tx, a, ticket_id, Action::kUpdateFields));
  const v1::StatusCategory solved_before = t.status_category();
  if (u.assignee_id || u.group_id) {
    HELPDESK_RETURN_IF_ERROR(AuthorizeOn(a, Action::kAssign, t));
  }
  HELPDESK_RETURN_IF_ERROR(CheckChangeable(t));
  if (u.expected_version && *u.expected_version != t.version()) {
    return StaleVersion(t.id(), *u.expected_version, t.version());
  }
  int64_t loaded = t.version();
  v1::Event e;
  e.set_kind(v1::Event::FIELDS_CHANGED);
  HELPDESK_RETURN_IF_ERROR(desk_internal::ApplyTicketUpdate(*this, tx, u, now, &t, &e));
  if (e.changes_size() == 0) return t;  // nothing to write
  if (!operation_id.empty()) e.set_operation_id(std::string(operation_id));
  const bool solved_now = t.status_category() == v1::STATUS_CATEGORY_SOLVED &&
                          solved_before != v1::STATUS_CATEGORY_SOLVED;
  HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, &t, loaded, &e));
  if (solved_now && options_.csat.survey_on_solve) {
    HELPDESK_RETURN_IF_ERROR(SendSurvey(tx, t, now));
  }
  return t;
}

namespace desk_internal {

absl::Status ApplyTicketUpdate(DeskCore& core, Transaction& tx, const TicketUpdate& u,
                               absl::Time now, v1::Ticket* ticket, v1::Event* event) {
  const DeskLimits& lim = core.options().limits;
  v1::Ticket& t = *ticket;
  v1::Event& e = *event;
  if (u.subject && *u.subject != t.subject()) {
    HELPDESK_RETURN_IF_ERROR(
        CheckRequiredText("subject", *u.subject, lim.max_subject_bytes));
    AddChange(e.mutable_changes(), v1::FieldChange::SUBJECT, TextValue(t.subject()),
              TextValue(*u.subject));
    t.set_subject(*u.subject);
  }
  if (u.priority) {
    HELPDESK_RETURN_IF_ERROR(core.CheckPriority("priority", *u.priority));
    if (*u.priority != t.priority()) {
      AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY, PriorityValue(t.priority()),
                PriorityValue(*u.priority));
      t.set_priority(*u.priority);
    }
  }
  if (u.type) {
    HELPDESK_RETURN_IF_ERROR(core.CheckType("type", *u.type));
    if (*u.type != t.type()) {
      AddChange(e.mutable_changes(), v1::FieldChange::TYPE, TypeValue(t.type()),
                TypeValue(*u.type));
      t.set_type(*u.type);
    }
  }
  if (u.assignee_id && *u.assignee_id != t.assignee_id()) {
    if (*u.assignee_id != 0) {
      HELPDESK_RETURN_IF_ERROR(core.CheckAgentUsable(tx, "assignee_id", *u.assignee_id));
    }
    AddChange(e.mutable_changes(), v1::FieldChange::ASSIGNEE, AgentValue(t.assignee_id()),
              AgentValue(*u.assignee_id));
    t.set_assignee_id(*u.assignee_id);
    // Assigned by hand: no longer a routing offer.
    t.clear_routing_offer_expires_at();
  }
  if (u.group_id && *u.group_id != t.group_id()) {
    if (*u.group_id != 0) {
      HELPDESK_RETURN_IF_ERROR(core.CheckGroupExists(tx, "group_id", *u.group_id));
    }
    AddChange(e.mutable_changes(), v1::FieldChange::GROUP, GroupValue(t.group_id()),
              GroupValue(*u.group_id));
    t.set_group_id(*u.group_id);
  }
  if (u.requester_id && *u.requester_id != t.requester_id()) {
    absl::StatusOr<v1::Contact> r = tx.GetContact(*u.requester_id);
    if (absl::IsNotFound(r.status())) {
      return absl::NotFoundError(
          absl::StrCat("requester_id ", *u.requester_id, ": no such contact"));
    }
    HELPDESK_RETURN_IF_ERROR(r.status());
    AddChange(e.mutable_changes(), v1::FieldChange::REQUESTER, ContactValue(t.requester_id()),
              ContactValue(*u.requester_id));
    t.set_requester_id(*u.requester_id);
    if (r->organization_id() != t.organization_id()) {
      AddChange(e.mutable_changes(), v1::FieldChange::ORGANIZATION,
                OrganizationValue(t.organization_id()),
                OrganizationValue(r->organization_id()));
      t.set_organization_id(r->organization_id());
    }
    // Not answered yet: the ticket goes to whoever answered its new
    // requester last (an answered ticket keeps the agent who answered it).
    if (t.public_reply_count() == 0 &&
        r->last_answered_by_agent_id() != t.sticky_agent_id()) {
      AddChange(e.mutable_changes(), v1::FieldChange::STICKY_AGENT,
                AgentValue(t.sticky_agent_id()), AgentValue(r->last_answered_by_agent_id()));
      t.set_sticky_agent_id(r->last_answered_by_agent_id());
    }
  }
  // Tags.
  {
    std::set<std::string> tags(t.tags().begin(), t.tags().end());
    std::set<std::string> before = tags;
    if (u.set_tags) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> set,
                                core.NormalizeTags("set_tags", *u.set_tags));
      tags = std::set<std::string>(set.begin(), set.end());
    }
    HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> add,
                              core.NormalizeTags("add_tags", u.add_tags));
    HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> remove,
                              core.NormalizeTags("remove_tags", u.remove_tags));
    tags.insert(add.begin(), add.end());
    for (const std::string& r : remove) tags.erase(r);
    if (tags != before) {
      HELPDESK_RETURN_IF_ERROR(core.SetTags("tags", &t, tags));
      AddChange(e.mutable_changes(), v1::FieldChange::TAGS, TagsValue(before),
                TagsValue(tags));
    }
  }
  // Custom fields.
  for (const auto& [name, value] : u.set_custom_fields) {
    HELPDESK_RETURN_IF_ERROR(core.CheckCustomField("set_custom_fields", name, value));
    auto it = t.custom_fields().find(name);
    std::optional<v1::FieldValue> before;
    if (it != t.custom_fields().end()) {
      if (it->second.SerializeAsString() == value.SerializeAsString()) continue;
      before = CustomFieldValueOf(it->second);
    }
    AddCustomFieldChange(e.mutable_changes(), name, std::move(before),
                         CustomFieldValueOf(value));
    (*t.mutable_custom_fields())[name] = value;
  }
  for (const std::string& name : u.remove_custom_fields) {
    auto it = t.custom_fields().find(name);
    if (it == t.custom_fields().end()) continue;
    AddCustomFieldChange(e.mutable_changes(), name, CustomFieldValueOf(it->second),
                         std::nullopt);
    t.mutable_custom_fields()->erase(name);
  }
  if (static_cast<size_t>(t.custom_fields_size()) > lim.max_custom_fields) {
    return absl::InvalidArgumentError(
        absl::StrCat("set_custom_fields: the ticket would have ", t.custom_fields_size(),
                     " custom fields, over the limit of ", lim.max_custom_fields));
  }
  // CCs and followers.
  {
    std::set<int64_t> ccs(t.cc_contact_ids().begin(), t.cc_contact_ids().end());
    std::set<int64_t> before = ccs;
    for (int64_t id : u.add_cc_contact_ids) {
      HELPDESK_RETURN_IF_ERROR(core.CheckContactExists(tx, "add_cc_contact_ids", id));
      if (id != t.requester_id()) ccs.insert(id);
    }
    for (int64_t id : u.remove_cc_contact_ids) ccs.erase(id);
    if (ccs.size() > lim.max_ccs) {
      return absl::InvalidArgumentError(
          absl::StrCat("add_cc_contact_ids: the ticket would have ", ccs.size(),
                       " CCs, over the limit of ", lim.max_ccs));
    }
    if (ccs != before) {
      AddChange(e.mutable_changes(), v1::FieldChange::CC_CONTACTS,
                ContactsValue(t.cc_contact_ids()), ContactsValue(ccs));
      t.clear_cc_contact_ids();
      for (int64_t id : ccs) t.add_cc_contact_ids(id);
    }
  }
  {
    std::set<int64_t> followers(t.follower_agent_ids().begin(),
                                t.follower_agent_ids().end());
    std::set<int64_t> before = followers;
    for (int64_t id : u.add_follower_agent_ids) {
      HELPDESK_RETURN_IF_ERROR(core.CheckAgentUsable(tx, "add_follower_agent_ids", id));
      followers.insert(id);
    }
    for (int64_t id : u.remove_follower_agent_ids) followers.erase(id);
    if (followers != before) {
      AddChange(e.mutable_changes(), v1::FieldChange::FOLLOWERS,
                AgentsValue(t.follower_agent_ids()), AgentsValue(followers));
      t.clear_follower_agent_ids();
      for (int64_t id : followers) t.add_follower_agent_ids(id);
    }
  }
  // The status moves last, so its guards see the update's other changes.
  if (u.status) {
    HELPDESK_ASSIGN_OR_RETURN(v1::StatusCategory category,
                              core.StatusCategoryOf("status", *u.status));
    HELPDESK_RETURN_IF_ERROR(core.options().workflow.CheckTransition(t, *u.status));
    core.ChangeStatus(&t, *u.status, category, now, &e);
  }
  return absl::OkStatus();
}

}  // namespace desk_internal

absl::StatusOr<v1::Ticket> DeskCore::Merge(Transaction& tx, const v1::Actor& actor,
                                             int64_t source_id, int64_t target_id) {
  absl::Time now = Now();
  if (source_id == target_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_id ", target_id, ": a ticket cannot be merged into itself"));
  }
  HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket source, LoadTicket(tx, a, source_id));
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket target, LoadTicket(tx, a, target_id));
  HELPDESK_RETURN_IF_ERROR(AuthorizeOn(a, Action::kMergeOrLink, source));
  HELPDESK_RETURN_IF_ERROR(AuthorizeOn(a, Action::kMergeOrLink, target));
  HELPDESK_RETURN_IF_ERROR(Locate(CheckChangeable(source), "source_id: "));
  HELPDESK_RETURN_IF_ERROR(Locate(CheckChangeable(target), "target_id: "));
  int64_t source_loaded = source.version();
  int64_t target_loaded = target.version();

  HELPDESK_ASSIGN_OR_RETURN(int64_t moved, tx.MoveMessages(source_id, target_id));
  v1::Event into;
  into.set_kind(v1::Event::MERGED_INTO);
  into.set_related_ticket_id(target_id);
  v1::Event from;
  from.set_kind(v1::Event::MERGED_FROM);
  from.set_related_ticket_id(source_id);

  // The target gains the source's people and messages.
  std::set<int64_t> ccs(target.cc_contact_ids().begin(), target.cc_contact_ids().end());
  std::set<int64_t> cc_before = ccs;
  ccs.insert(source.cc_contact_ids().begin(), source.cc_contact_ids().end());
  ccs.insert(source.requester_id());
  ccs.erase(target.requester_id());
  if (ccs != cc_before) {
    AddChange(from.mutable_changes(), v1::FieldChange::CC_CONTACTS,
              ContactsValue(target.cc_contact_ids()), ContactsValue(ccs));
    target.clear_cc_contact_ids();
    for (int64_t id : ccs) target.add_cc_contact_ids(id);
  }
  std::set<int64_t> followers(target.follower_agent_ids().begin(),
                              target.follower_agent_ids().end());
  std::set<int64_t> f_before = followers;
  followers.insert(source.follower_agent_ids().begin(),
                   source.follower_agent_ids().end());
  if (followers != f_before) {
    AddChange(from.mutable_changes(), v1::FieldChange::FOLLOWERS,
              AgentsValue(target.follower_agent_ids()), AgentsValue(followers));
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
        AddChange(from.mutable_changes(), v1::FieldChange::STICKY_AGENT,
                  AgentValue(target.sticky_agent_id()), AgentValue(it->author().id()));
        target.set_sticky_agent_id(it->author().id());
      }
      break;
    }
  }
  if (moved > 0) {
    AddChange(from.mutable_changes(), v1::FieldChange::MESSAGE_COUNT,
              CountValue(target.message_count()),
              CountValue(target.message_count() + static_cast<int64_t>(moved)));
    target.set_message_count(target.message_count() + static_cast<int32_t>(moved));
    target.set_public_reply_count(target.public_reply_count() +
                                  source.public_reply_count());
    source.set_public_reply_count(0);
    AddChange(into.mutable_changes(), v1::FieldChange::MESSAGE_COUNT,
              CountValue(source.message_count()), CountValue(0));
    source.set_message_count(0);
  }
  // The source closes and points at the target.
  AddChange(into.mutable_changes(), v1::FieldChange::MERGED_INTO, TicketValue(0),
            TicketValue(target_id));
  source.set_merged_into(target_id);
  ChangeStatus(&source, options_.workflow.merged_status(), v1::STATUS_CATEGORY_CLOSED,
               now, &into);
  HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, &source, source_loaded, &into));
  HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, &target, target_loaded, &from));
  return target;
}

absl::StatusOr<bool> DeskCore::Link(Transaction& tx, const v1::Actor& actor, int64_t id,
                                      v1::TicketLink::Kind kind, int64_t other_id) {
  absl::Time now = Now();
  if (!v1::TicketLink::Kind_IsValid(kind) || kind == v1::TicketLink::KIND_UNSPECIFIED) {
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
  HELPDESK_RETURN_IF_ERROR(AuthorizeOn(a, Action::kMergeOrLink, t));
  HELPDESK_RETURN_IF_ERROR(AuthorizeOn(a, Action::kMergeOrLink, other));
  for (const v1::TicketLink& l : t.links()) {
    if (l.kind() == kind && l.ticket_id() == other_id) return false;
  }
  struct Side {
    v1::Ticket* ticket;
    v1::TicketLink::Kind kind;
    int64_t to;
  };
  for (Side side : {Side{&t, kind, other_id}, Side{&other, MirrorLink(kind), id}}) {
    int64_t loaded = side.ticket->version();
    v1::FieldValue before = LinksValue(side.ticket->links());
    v1::TicketLink* l = side.ticket->add_links();
    l->set_kind(side.kind);
    l->set_ticket_id(side.to);
    v1::Event e;
    e.set_kind(v1::Event::LINKED);
    e.set_related_ticket_id(side.to);
    AddChange(e.mutable_changes(), v1::FieldChange::LINKS, std::move(before),
              LinksValue(side.ticket->links()));
    HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, side.ticket, loaded, &e));
  }
  return true;
}

absl::StatusOr<v1::Ticket> Tickets::Create(const v1::Actor& actor,
                                              const NewTicket& ticket) {
  std::vector<v1::Ticket> routed;
  return impl_->WithRouting(impl_->Run(
                                TransactionMode::kReadWrite,
                                [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
                                  HELPDESK_ASSIGN_OR_RETURN(Access a,
                                                            impl_->Resolve(tx, actor));
                                  return impl_->CreateOne(tx, a, ticket, impl_->Now());
                                },
                                &routed),
                            routed);
}

absl::StatusOr<std::vector<v1::Ticket>> Tickets::CreateMany(
    const v1::Actor& actor, absl::Span<const NewTicket> tickets) {
  if (tickets.size() > impl_->options().limits.max_batch) {
    return absl::InvalidArgumentError(
        absl::StrCat("tickets: ", tickets.size(), " tickets, over the limit of ",
                     impl_->options().limits.max_batch, " per batch"));
  }
  return impl_->Run(TransactionMode::kReadWrite,
                    [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Ticket>> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
                      absl::Time now = impl_->Now();
                      std::vector<v1::Ticket> out;
                      out.reserve(tickets.size());
                      for (size_t i = 0; i < tickets.size(); ++i) {
                        absl::StatusOr<v1::Ticket> t =
                            impl_->CreateOne(tx, a, tickets[i], now);
                        if (!t.ok())
                          return Locate(t.status(), absl::StrCat("tickets[", i, "]."));
                        out.push_back(*std::move(t));
                      }
                      return out;
                    });
}

absl::StatusOr<v1::Message> Tickets::AddMessage(const v1::Actor& actor, int64_t ticket_id,
                                             const MessageDraft& draft) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) {
    return impl_->AddMessage(tx, actor, ticket_id, draft);
  });
}

absl::StatusOr<v1::Ticket> Tickets::Update(const v1::Actor& actor, int64_t ticket_id,
                                              const TicketUpdate& update) {
  std::vector<v1::Ticket> routed;
  return impl_->WithRouting(
      impl_->Run(
          TransactionMode::kReadWrite,
          [&](Transaction& tx) { return impl_->Update(tx, actor, ticket_id, update); },
          &routed),
      routed);
}

absl::StatusOr<v1::Ticket> Tickets::Merge(const v1::Actor& actor, int64_t source_id,
                                              int64_t target_id) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) {
    return impl_->Merge(tx, actor, source_id, target_id);
  });
}

absl::Status Tickets::Link(const v1::Actor& actor, int64_t ticket_id,
                               v1::TicketLink::Kind kind, int64_t other_ticket_id) {
  return impl_
      ->Run(TransactionMode::kReadWrite,
            [&](Transaction& tx) {
              return impl_->Link(tx, actor, ticket_id, kind, other_ticket_id);
            })
      .status();
}

absl::StatusOr<v1::Ticket> Tickets::Get(const v1::Actor& viewer, int64_t ticket_id) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      return impl_->LoadTicket(tx, a, ticket_id);
                    });
}

absl::StatusOr<TicketView> Tickets::View(const v1::Actor& viewer, int64_t ticket_id) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<TicketView> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        TicketView view;
        HELPDESK_ASSIGN_OR_RETURN(view.ticket, impl_->LoadTicket(tx, a, ticket_id));
        const bool notes =
            DeskCore::AuthorizeOn(a, Action::kViewInternalNotes, view.ticket).ok();
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> messages,
                                  tx.ListMessages(ticket_id));
        for (v1::Message& m : messages) {
          if (m.kind() == v1::Message::INTERNAL_NOTE && !notes) continue;
          view.messages.push_back(std::move(m));
        }
        if (impl_->options().sla &&
            DeskCore::AuthorizeOn(a, Action::kViewSla, view.ticket).ok()) {
          absl::Time now = impl_->Now();
          HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                                    DeskCore::SlaEvents(tx, ticket_id, &now));
          HELPDESK_ASSIGN_OR_RETURN(
              view.sla, impl_->options().sla->Evaluate(view.ticket, events, now));
        }
        return view;
      });
}

// Runs `query` restricted to the tickets `a` may see.
static absl::StatusOr<TicketPage> QueryAs(Transaction& tx, const Access& a,
                                          TicketQuery query) {
  std::optional<TicketVisibility> v = VisibilityFor(a);
  if (v) {
    if (query.visible_to) {
      return absl::InvalidArgumentError(
          "visible_to: the desk sets it for this viewer; leave it unset");
    }
    query.visible_to = std::move(v);
  }
  return tx.QueryTickets(query);
}

absl::StatusOr<TicketPage> Tickets::Query(const v1::Actor& viewer,
                                              TicketQuery query) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<TicketPage> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        return QueryAs(tx, a, std::move(query));
      });
}

absl::StatusOr<TicketPage> Tickets::ContactHistory(const v1::Actor& viewer,
                                                int64_t contact_id,
                                                absl::string_view cursor, int limit) {
  TicketQuery q;
  q.requester_id = contact_id;
  q.sort = TicketSort::kCreatedDesc;
  q.include_merged = true;
  q.cursor = std::string(cursor);
  q.limit = limit;
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<TicketPage> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(
            Authorize(a, Action::kReadContacts, Subject::Contact(contact_id)));
        return QueryAs(tx, a, std::move(q));
      });
}

absl::StatusOr<std::vector<v1::Event>> DeskCore::AuditLog(const v1::Actor& viewer,
                                                         int64_t ticket_id) {
  return Run(TransactionMode::kReadOnly,
             [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Event>> {
               HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, viewer));
               HELPDESK_RETURN_IF_ERROR(
                   LoadTicket(tx, a, ticket_id, Action::kReadAuditLog).status());
               return tx.ListTicketEvents(ticket_id, 0, 0);
             });
}

absl::StatusOr<std::vector<v1::Event>> Tickets::AuditLog(const v1::Actor& viewer,
                                                         int64_t ticket_id) {
  return impl_->AuditLog(viewer, ticket_id);
}

absl::StatusOr<std::string> Tickets::AttachmentContent(const v1::Actor& viewer,
                                                    int64_t message_id,
                                                    absl::string_view sha256) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<std::string> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        auto not_found = [&] {
          return absl::NotFoundError(absl::StrCat(
              "attachment ", Quote(sha256), " of message ", message_id, " not found"));
        };
        absl::StatusOr<v1::Message> m = tx.GetMessage(message_id);
        if (absl::IsNotFound(m.status())) return not_found();
        HELPDESK_RETURN_IF_ERROR(m.status());
        // A message the viewer may not read hides its attachments.
        if (!impl_->LoadTicket(tx, a, m->ticket_id(),
                               m->kind() == v1::Message::INTERNAL_NOTE
                                   ? Action::kViewInternalNotes
                                   : Action::kViewTicket)
                 .ok()) {
          return not_found();
        }
        bool listed = std::any_of(
            m->attachments().begin(), m->attachments().end(),
            [&](const v1::Attachment& att) { return att.sha256() == sha256; });
        if (!listed) return not_found();
        return tx.GetAttachmentContent(sha256);
      });
}

}  // namespace helpdesk
