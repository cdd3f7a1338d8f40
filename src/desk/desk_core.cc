// The Desk core: opening, resolving actors and what they may do, input checks, storing
// attachments and events, contacts from input.
#include "desk/desk_impl.h"

namespace helpdesk {


absl::Status DeskCore::Init() {
  if (options_.store == nullptr) {
    return absl::InvalidArgumentError("options.store must not be null");
  }
  if (options_.clock == nullptr) {
    return absl::InvalidArgumentError("options.clock must not be null");
  }
  HELPDESK_RETURN_IF_ERROR(ValidateLeaseOptions());  // issue 17
  if (options_.tracking_link_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracking_link_lifetime ",
                     absl::FormatDuration(options_.tracking_link_lifetime), " must be positive"));
  }
  if (!options_.ingest.desk_email.empty()) {
    desk_email_ =
        internal::NormalizeEmail("ingest.desk_email", options_.ingest.desk_email)
            .value_or("");
  }
  HELPDESK_RETURN_IF_ERROR(InitDeskAddresses());
  HELPDESK_RETURN_IF_ERROR(InitAutoResponder());
  HELPDESK_RETURN_IF_ERROR(InitCsat());
  HELPDESK_RETURN_IF_ERROR(ValidateAutomation());  // automation (issue 14)
  if (routing_enabled()) {
    if (options_.routing->offer_timeout < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "routing.offer_timeout ", absl::FormatDuration(options_.routing->offer_timeout),
          " must not be negative"));
    }
    absl::MutexLock lock(&routing_mu_);
    HELPDESK_RETURN_IF_ERROR(RebuildLocked(Now()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Access> DeskCore::Resolve(Transaction& tx, const v1::Actor& actor) {
  switch (actor.kind()) {
    case v1::Actor::SYSTEM: {
      Access a = Viewer::System();
      a.actor = actor;
      return a;
    }
    case v1::Actor::INTEGRATION:
      return Viewer::Integration(actor);
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
      Access a = Viewer::OfAgent(*agent);
      a.actor = actor;
      return a;
    }
    case v1::Actor::CONTACT: {
      absl::StatusOr<v1::Contact> contact = tx.GetContact(actor.id());
      if (absl::IsNotFound(contact.status())) {
        return absl::PermissionDeniedError(
            absl::StrCat("actor: contact ", actor.id(), " does not exist"));
      }
      HELPDESK_RETURN_IF_ERROR(contact.status());
      Access a = Viewer::OfContact(*contact);
      a.actor = actor;
      return a;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "actor.kind ", static_cast<int>(actor.kind()), " is not an actor kind"));
  }
}

absl::StatusOr<v1::Ticket> DeskCore::LoadTicket(Transaction& tx, const Access& a, int64_t id,
                                                Action action) {
  absl::StatusOr<v1::Ticket> t = tx.GetTicket(id);
  if (absl::IsNotFound(t.status())) {
    return absl::NotFoundError(absl::StrCat("ticket ", id, " not found"));
  }
  HELPDESK_RETURN_IF_ERROR(t.status());
  HELPDESK_RETURN_IF_ERROR(AuthorizeOn(a, action, *t));
  return t;
}

absl::Status DeskCore::CheckChangeable(const v1::Ticket& t) {
  if (t.merged_into() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket ", t.id(), " was merged into ticket ", t.merged_into(),
                     "; change that ticket instead"));
  }
  if (t.status_category() == v1::STATUS_CATEGORY_CLOSED) {
    return absl::FailedPreconditionError(absl::StrCat("ticket ", t.id(),
                                                      " is closed (status '", t.status(),
                                                      "'); closed tickets are final"));
  }
  return absl::OkStatus();
}

absl::Status DeskCore::CheckPriority(absl::string_view field, v1::Priority p) {
  if (p >= v1::PRIORITY_LOW && p <= v1::PRIORITY_URGENT) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, " ", static_cast<int>(p), " is not a priority (1 low to 4 urgent)"));
}

absl::Status DeskCore::CheckType(absl::string_view field, v1::TicketType t) {
  if (v1::TicketType_IsValid(t)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", static_cast<int>(t), " is not a ticket type"));
}

absl::StatusOr<std::vector<std::string>> DeskCore::NormalizeTags(
    absl::string_view field, const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (size_t i = 0; i < tags.size(); ++i) {
    HELPDESK_ASSIGN_OR_RETURN(
        std::string tag, internal::NormalizeTag(absl::StrCat(field, "[", i, "]"), tags[i],
                                                options_.limits.max_tag_bytes));
    out.push_back(std::move(tag));
  }
  return out;
}

absl::Status DeskCore::SetTags(absl::string_view field, v1::Ticket* t,
                                 std::set<std::string> tags) {
  if (tags.size() > options_.limits.max_tags) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", tags.size(), " tags, over the limit of ", options_.limits.max_tags));
  }
  t->clear_tags();
  for (const std::string& tag : tags) t->add_tags(tag);
  return absl::OkStatus();
}

absl::Status DeskCore::CheckCustomField(absl::string_view field,
                                          const std::string& name,
                                          const v1::CustomFieldValue& value) {
  std::string where = absl::StrCat(field, "[", Quote(name), "]");
  if (name.empty() || name.size() > options_.limits.max_custom_field_name_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " name ", Quote(name), " must be 1 to ",
                     options_.limits.max_custom_field_name_bytes, " bytes"));
  }
  for (char c : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
          c == '.')) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " name ", Quote(name),
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
        return absl::InvalidArgumentError(
            absl::StrCat(where, " ", value.decimal(), " is not a finite number"));
      }
      return absl::OkStatus();
    case v1::CustomFieldValue::kTime:
      if (value.time().nanos() < 0 || value.time().nanos() > 999999999) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " has nanos ", value.time().nanos(), " outside [0, 999999999]"));
      }
      return absl::OkStatus();
    case v1::CustomFieldValue::kChoices:
      for (int i = 0; i < value.choices().values_size(); ++i) {
        HELPDESK_RETURN_IF_ERROR(
            CheckRequiredText(absl::StrCat(where, ".choices[", i, "]"),
                              value.choices().values(i), options_.limits.max_tag_bytes));
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::Status DeskCore::CheckAttachments(absl::string_view field,
                                          const std::vector<AttachmentUpload>& uploads,
                                          bool check_count) {
  if (check_count && uploads.size() > options_.limits.max_attachments_per_message) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", uploads.size(), " attachments, over the limit of ",
                     options_.limits.max_attachments_per_message));
  }
  for (size_t i = 0; i < uploads.size(); ++i) {
    const AttachmentUpload& u = uploads[i];
    std::string at = absl::StrCat(field, "[", i, "]");
    HELPDESK_RETURN_IF_ERROR(CheckRequiredText(
        absl::StrCat(at, ".file_name"), u.file_name, options_.limits.max_name_bytes));
    HELPDESK_RETURN_IF_ERROR(
        CheckRequiredText(absl::StrCat(at, ".media_type"), u.media_type, 255));
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

absl::Status DeskCore::CheckBodies(absl::string_view field, absl::string_view text,
                                     absl::string_view html) {
  HELPDESK_RETURN_IF_ERROR(
      CheckText(absl::StrCat(field, "_text"), text, options_.limits.max_body_bytes));
  return CheckText(absl::StrCat(field, "_html"), html, options_.limits.max_body_bytes);
}

absl::Status DeskCore::CheckContactExists(Transaction& tx, absl::string_view field,
                                            int64_t id) {
  absl::StatusOr<v1::Contact> c = tx.GetContact(id);
  if (absl::IsNotFound(c.status())) {
    return absl::NotFoundError(absl::StrCat(field, " ", id, ": no such contact"));
  }
  return c.status();
}

// The agent `field` names; NotFound names the field and the id.
absl::StatusOr<v1::Agent> DeskCore::GetAgentNamed(Transaction& tx,
                                                    absl::string_view field, int64_t id) {
  absl::StatusOr<v1::Agent> a = tx.GetAgent(id);
  if (absl::IsNotFound(a.status())) {
    return absl::NotFoundError(absl::StrCat(field, " ", id, ": no such agent"));
  }
  return a;
}

absl::Status DeskCore::CheckAgentUsable(Transaction& tx, absl::string_view field,
                                          int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Agent a, GetAgentNamed(tx, field, id));
  if (a.deactivated()) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, " ", id, ": agent is deactivated"));
  }
  return absl::OkStatus();
}

absl::Status DeskCore::CheckGroupExists(Transaction& tx, absl::string_view field,
                                          int64_t id) {
  absl::StatusOr<v1::Group> g = tx.GetGroup(id);
  if (absl::IsNotFound(g.status())) {
    return absl::NotFoundError(absl::StrCat(field, " ", id, ": no such group"));
  }
  return g.status();
}

// Stores attachment contents and returns their descriptions.
absl::StatusOr<std::vector<v1::Attachment>> DeskCore::StoreAttachments(
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

absl::Status DeskCore::AppendEvent(Transaction& tx, const Access& a, absl::Time now,
                                     const v1::Ticket& t, v1::Event* e) {
  e->set_ticket_id(t.id());
  *e->mutable_actor() = a.actor;
  *e->mutable_time() = ToTimestamp(now);
  e->set_ticket_version(t.version());
  return tx.AppendEvent(e);
}

// Stores `t` (loaded at `loaded_version`) and appends `e` for it.
absl::Status DeskCore::SaveWithEvent(Transaction& tx, const Access& a, absl::Time now,
                                       v1::Ticket* t, int64_t loaded_version,
                                       v1::Event* e) {
  *t->mutable_updated_at() = ToTimestamp(now);
  StampRouting(t, now);
  HELPDESK_RETURN_IF_ERROR(tx.UpdateTicket(t, loaded_version));
  HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, a, now, *t, e));
  return RefreshSla(tx, t, now).status();
}

// Moves `t` to `status`, recording the change in `e`; keeps solved_at right.
void DeskCore::ChangeStatus(v1::Ticket* t, const std::string& status,
                              v1::StatusCategory category, absl::Time now, v1::Event* e) {
  if (t->status() == status) return;
  AddChange(e->mutable_changes(), v1::FieldChange::STATUS, StatusValue(t->status()),
            StatusValue(status));
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

// Normalises an identity value as stored: e-mail lower-cased, phone reduced
// to digits and '+', chat handle checked as text.
absl::StatusOr<std::string> DeskCore::NormalizeIdentity(absl::string_view field,
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

absl::StatusOr<v1::Contact> DeskCore::NewContactFrom(Transaction& tx,
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
  for (Source src :
       {Source{"emails", v1::ContactIdentity::EMAIL, &in.emails},
        Source{"phones", v1::ContactIdentity::PHONE, &in.phones},
        Source{"chat_handles", v1::ContactIdentity::CHAT, &in.chat_handles}}) {
    for (size_t i = 0; i < src.values->size(); ++i) {
      HELPDESK_ASSIGN_OR_RETURN(std::string value,
                                NormalizeIdentity(absl::StrCat(src.field, "[", i, "]"),
                                                  src.kind, (*src.values)[i]));
      v1::ContactIdentity* id = c.add_identities();
      id->set_kind(src.kind);
      id->set_value(value);
    }
  }
  if (in.organization_id != 0) {
    absl::StatusOr<v1::Organization> org = tx.GetOrganization(in.organization_id);
    if (absl::IsNotFound(org.status())) {
      return absl::NotFoundError(
          absl::StrCat("organization_id ", in.organization_id, ": no such organization"));
    }
    HELPDESK_RETURN_IF_ERROR(org.status());
  }
  c.set_organization_id(in.organization_id);
  if (in.locale.size() > 35 ||
      !std::all_of(in.locale.begin(), in.locale.end(), [](char ch) {
        return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
               ch == '_';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("locale ", Quote(in.locale), " is not a language tag like 'es-ES'"));
  }
  c.set_locale(in.locale);
  if (!in.time_zone.empty()) {
    absl::TimeZone tz;
    if (in.time_zone.size() > 64 || !absl::LoadTimeZone(in.time_zone, &tz)) {
      return absl::InvalidArgumentError(
          absl::StrCat("time_zone ", Quote(in.time_zone), " is not an IANA time zone"));
    }
  }
  c.set_time_zone(in.time_zone);
  c.set_external_id(in.external_id);
  return c;
}

// The contact owning a normalised identity, created (named `name`, else
// the identity's part before any '@') when nobody has it.
absl::StatusOr<v1::Contact> DeskCore::FindOrCreateContact(
    Transaction& tx, v1::ContactIdentity::Kind kind, const std::string& value,
    absl::string_view name, absl::Time now) {
  absl::StatusOr<v1::Contact> found = tx.FindContactByIdentity(kind, value);
  if (found.ok() || !absl::IsNotFound(found.status())) return found;
  NewContact nc;
  nc.name = std::string(name);
  if (nc.name.empty()) nc.name = value.substr(0, value.rfind('@'));
  if (nc.name.empty()) nc.name = value;
  if (nc.name.size() > options_.limits.max_name_bytes) {
    nc.name.resize(internal::Utf8PrefixLength(nc.name, options_.limits.max_name_bytes));
  }
  if (internal::FindInvalidUtf8(nc.name) != absl::string_view::npos) nc.name = value;
  (kind == v1::ContactIdentity::EMAIL   ? nc.emails
   : kind == v1::ContactIdentity::PHONE ? nc.phones
                                        : nc.chat_handles)
      .push_back(value);
  HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, NewContactFrom(tx, nc));
  *c.mutable_created_at() = ToTimestamp(now);
  *c.mutable_updated_at() = ToTimestamp(now);
  HELPDESK_RETURN_IF_ERROR(tx.InsertContact(&c));
  return c;
}

absl::StatusOr<std::unique_ptr<Desk>> Desk::Open(DeskOptions options) {
  auto impl = std::make_unique<DeskCore>(std::move(options));
  HELPDESK_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Desk>(new Desk(std::move(impl)));
}

Desk::Desk(std::unique_ptr<DeskCore> impl)
    : impl_(std::move(impl)),
      tickets_(impl_.get()),
      people_(impl_.get()),
      inbox_(impl_.get()),
      outbox_(impl_.get()),
      routing_(impl_.get()),
      sla_(impl_.get()),
      tracking_(impl_.get()),
      views_(impl_.get()),
      reports_(impl_.get()),
      kb_(impl_.get()),
      automation_(impl_.get()),
      privacy_(impl_.get()) {}

Desk::~Desk() { impl_->ReleaseLeaseIfHeld(); }  // issue 17

const DeskOptions& Desk::options() const { return impl_->options(); }

}  // namespace helpdesk
