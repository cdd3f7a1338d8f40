// People: contacts, organizations, agents (presence, audit log), groups.
#include "desk/desk_impl.h"

namespace helpdesk {


absl::Status DeskCore::AppendAgentEvent(Transaction& tx, const Access& a,
                                          absl::Time now, const v1::Agent& agent,
                                          v1::AgentEvent* e) {
  e->set_agent_id(agent.id());
  *e->mutable_actor() = a.actor;
  *e->mutable_time() = ToTimestamp(now);
  e->set_agent_version(agent.version());
  return tx.AppendAgentEvent(e);
}

// One AgentFieldChange per field that differs.
void DeskCore::DiffAgents(const v1::Agent& before, const v1::Agent& after,
                            v1::AgentEvent* e) {
  // Values compare as stored (serialized from the same fields, in order).
  auto add = [e](v1::FieldChange::Field field, v1::FieldValue b, v1::FieldValue a) {
    if (b.SerializeAsString() == a.SerializeAsString()) return;
    AddChange(e->mutable_changes(), field, std::move(b), std::move(a));
  };
  add(v1::FieldChange::AGENT_NAME, TextValue(before.name()), TextValue(after.name()));
  add(v1::FieldChange::AGENT_EMAIL, TextValue(before.email()), TextValue(after.email()));
  add(v1::FieldChange::AGENT_ROLE, RoleValue(before.role()), RoleValue(after.role()));
  add(v1::FieldChange::AGENT_TICKET_ACCESS, TicketAccessValue(before.ticket_access()),
      TicketAccessValue(after.ticket_access()));
  add(v1::FieldChange::AGENT_GROUPS, GroupsValue(before.group_ids()),
      GroupsValue(after.group_ids()));
  add(v1::FieldChange::AGENT_SKILLS, SkillsValue(before.skills()),
      SkillsValue(after.skills()));
  add(v1::FieldChange::AGENT_CAPACITY, CapacityValue(before.capacity()),
      CapacityValue(after.capacity()));
  add(v1::FieldChange::AGENT_BACKUP, AgentValue(before.backup_agent_id()),
      AgentValue(after.backup_agent_id()));
  add(v1::FieldChange::AGENT_DEACTIVATED, FlagValue(before.deactivated()),
      FlagValue(after.deactivated()));
  add(v1::FieldChange::AGENT_PRESENCE, PresenceValue(before.presence()),
      PresenceValue(after.presence()));
}

absl::StatusOr<v1::Agent> DeskCore::BuildAgent(Transaction& tx, const NewAgent& in) {
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
  if (!v1::Agent::Role_IsValid(in.role) || in.role == v1::Agent::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("role ", static_cast<int>(in.role), " is not a role"));
  }
  agent.set_role(in.role);
  if (!v1::Agent::TicketAccess_IsValid(in.ticket_access)) {
    return absl::InvalidArgumentError(absl::StrCat("ticket_access ",
                                                   static_cast<int>(in.ticket_access),
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
    HELPDESK_RETURN_IF_ERROR(
        CheckRequiredText(absl::StrCat(field, ".name"), s.name(), lim.max_tag_bytes));
    if (s.level() < 1 || s.level() > 10) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".level ", s.level(), " of skill '", s.name(), "' is outside [1, 10]"));
    }
    if (!skill_names.insert(s.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name ", Quote(s.name()), " is listed twice"));
    }
    *agent.add_skills() = s;
  }
  std::set<int> channels;
  for (size_t i = 0; i < in.capacity.size(); ++i) {
    const v1::ChannelCapacity& c = in.capacity[i];
    std::string field = absl::StrCat("capacity[", i, "]");
    if (!v1::Channel_IsValid(c.channel()) || c.channel() == v1::CHANNEL_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".channel ", static_cast<int>(c.channel()), " is not a channel"));
    }
    if (c.max_items() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".max_items ", c.max_items(), " must not be negative"));
    }
    if (!channels.insert(c.channel()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".channel ", v1::Channel_Name(c.channel()), " is listed twice"));
    }
    *agent.add_capacity() = c;
  }
  agent.set_external_id(in.external_id);
  if (in.backup_agent_id != 0) {
    HELPDESK_RETURN_IF_ERROR(CheckAgentUsable(tx, "backup_agent_id", in.backup_agent_id));
  }
  agent.set_backup_agent_id(in.backup_agent_id);
  return agent;
}

absl::StatusOr<v1::Contact> People::CreateContact(const v1::Actor& actor,
                                                const NewContact& contact) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageContacts));
        HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, impl_->NewContactFrom(tx, contact));
        absl::Time now = impl_->Now();
        *c.mutable_created_at() = ToTimestamp(now);
        *c.mutable_updated_at() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.InsertContact(&c));
        return c;
      });
}

absl::StatusOr<v1::Contact> People::GetContact(const v1::Actor& viewer,
                                             int64_t contact_id) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(
            Authorize(a, Action::kReadContacts, Subject::Contact(contact_id)));
        return tx.GetContact(contact_id);
      });
}

absl::StatusOr<v1::Contact> People::FindContactByEmail(const v1::Actor& viewer,
                                                     absl::string_view email) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadContacts));
                      HELPDESK_ASSIGN_OR_RETURN(std::string e,
                                                internal::NormalizeEmail("email", email));
                      return tx.FindContactByIdentity(v1::ContactIdentity::EMAIL, e);
                    });
}

absl::StatusOr<v1::Contact> People::FindContactByIdentity(const v1::Actor& viewer,
                                                        v1::ContactIdentity::Kind kind,
                                                        absl::string_view value) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadContacts));
                      HELPDESK_ASSIGN_OR_RETURN(
                          std::string v, impl_->NormalizeIdentity("value", kind, value));
                      return tx.FindContactByIdentity(kind, v);
                    });
}

absl::StatusOr<v1::Contact> People::UpdateContact(const v1::Actor& actor,
                                                int64_t contact_id,
                                                const ContactUpdate& u) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(
            Authorize(a, Action::kEditContactProfile, Subject::Contact(contact_id)));
        if (!u.add_emails.empty() || !u.remove_emails.empty() || !u.add_phones.empty() ||
            !u.remove_phones.empty() || !u.add_chat_handles.empty() ||
            !u.remove_chat_handles.empty() || u.organization_id || u.external_id) {
          HELPDESK_RETURN_IF_ERROR(
              Authorize(a, Action::kManageContacts, Subject::Contact(contact_id)));
        }
        absl::StatusOr<v1::Contact> found = tx.GetContact(contact_id);
        if (absl::IsNotFound(found.status())) {
          return absl::NotFoundError(absl::StrCat("contact ", contact_id, " not found"));
        }
        HELPDESK_RETURN_IF_ERROR(found.status());
        const v1::Contact& old = *found;
        if (u.expected_version && *u.expected_version != old.version()) {
          return absl::AbortedError(
              absl::StrCat("contact ", contact_id, ": expected version ",
                           *u.expected_version, ", stored version ", old.version()));
        }
        NewContact in{
            .name = u.name.value_or(old.name()),
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
              return absl::InvalidArgumentError(absl::StrCat(field, " ", Quote(v),
                                                             ": contact ", contact_id,
                                                             " has no such ", ch.field));
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

absl::StatusOr<v1::Contact> People::SetContactBlocked(const v1::Actor& actor,
                                                    int64_t contact_id, bool blocked) {
  return impl_->Run(TransactionMode::kReadWrite,
                    [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
                      HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kBlockContacts,
                                                         Subject::Contact(contact_id)));
                      HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, tx.GetContact(contact_id));
                      if (c.blocked() == blocked) return c;
                      c.set_blocked(blocked);
                      *c.mutable_updated_at() = ToTimestamp(impl_->Now());
                      HELPDESK_RETURN_IF_ERROR(tx.UpdateContact(&c, c.version()));
                      return c;
                    });
}

absl::StatusOr<v1::Organization> People::CreateOrganization(
    const v1::Actor& actor, absl::string_view name, std::vector<std::string> domains) {
  return impl_->Run(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<v1::Organization> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageOrganizations));
        HELPDESK_RETURN_IF_ERROR(
            CheckRequiredText("name", name, impl_->options().limits.max_name_bytes));
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

absl::StatusOr<v1::Agent> People::CreateAgent(const v1::Actor& actor, const NewAgent& in) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageAgents));
        HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, impl_->BuildAgent(tx, in));
        absl::Time now = impl_->Now();
        agent.set_presence(v1::PRESENCE_OFFLINE);
        *agent.mutable_presence_since() = ToTimestamp(now);
        *agent.mutable_created_at() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.InsertAgent(&agent));
        v1::AgentEvent e;
        e.set_kind(v1::AgentEvent::AGENT_CREATED);
        DeskCore::DiffAgents(v1::Agent(), agent, &e);
        for (v1::FieldChange& c : *e.mutable_changes()) c.clear_before();
        HELPDESK_RETURN_IF_ERROR(impl_->AppendAgentEvent(tx, a, now, agent, &e));
        return agent;
      });
}

absl::StatusOr<v1::Agent> People::UpdateAgent(const v1::Actor& actor, int64_t agent_id,
                                            const AgentUpdate& u) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageAgents, Subject::Agent(agent_id)));
        HELPDESK_ASSIGN_OR_RETURN(v1::Agent old, tx.GetAgent(agent_id));
        if (u.expected_version && *u.expected_version != old.version()) {
          return absl::AbortedError(
              absl::StrCat("agent ", agent_id, ": expected version ", *u.expected_version,
                           ", stored version ", old.version()));
        }
        if (a.kind == Viewer::Kind::kAdmin && a.actor.id() == agent_id &&
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
                    .skills = u.skills.value_or(
                        std::vector<v1::Skill>(old.skills().begin(), old.skills().end())),
                    .capacity = u.capacity.value_or(std::vector<v1::ChannelCapacity>(
                        old.capacity().begin(), old.capacity().end())),
                    .external_id = old.external_id(),
                    .backup_agent_id = u.backup_agent_id.value_or(old.backup_agent_id())};
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
        DeskCore::DiffAgents(old, agent, &e);
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

absl::StatusOr<v1::Agent> People::GetAgent(const v1::Actor& viewer, int64_t agent_id) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadAgentsAndGroups));
                      return tx.GetAgent(agent_id);
                    });
}

absl::StatusOr<std::vector<v1::Agent>> People::ListAgents(const v1::Actor& viewer) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Agent>> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadAgentsAndGroups));
                      return tx.ListAgents();
                    });
}

absl::StatusOr<v1::Agent> People::SetAgentPresence(const v1::Actor& actor, int64_t agent_id,
                                                 v1::Presence presence) {
  if (!v1::Presence_IsValid(presence) || presence == v1::PRESENCE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "presence ", static_cast<int>(presence), " is not online, away or offline"));
  }
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(
            Authorize(a, Action::kSetPresence, Subject::Agent(agent_id)));
        HELPDESK_ASSIGN_OR_RETURN(v1::Agent old,
                                  DeskCore::GetAgentNamed(tx, "agent_id", agent_id));
        if (old.presence() == presence) return old;
        if (old.deactivated() && presence != v1::PRESENCE_OFFLINE) {
          return absl::FailedPreconditionError(
              absl::StrCat("agent ", agent_id, " is deactivated and cannot be ",
                           PresenceName(presence)));
        }
        const absl::Time now = impl_->Now();
        v1::Agent agent = old;
        agent.set_presence(presence);
        *agent.mutable_presence_since() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.UpdateAgent(&agent, old.version()));
        v1::AgentEvent e;
        e.set_kind(v1::AgentEvent::PRESENCE_CHANGED);
        DeskCore::DiffAgents(old, agent, &e);
        if (impl_->routing_enabled() && presence != v1::PRESENCE_ONLINE) {
          const RoutingOptions& r = *impl_->options().routing;
          RoutingOptions::OnLeave rule =
              presence == v1::PRESENCE_AWAY ? r.on_away : r.on_offline;
          if (rule == RoutingOptions::OnLeave::kRequeue) {
            HELPDESK_ASSIGN_OR_RETURN(
                std::string note,
                impl_->RequeueWorkInTx(
                    tx, a, agent, absl::StrCat("went ", PresenceName(presence)), now));
            e.set_note(note);
          }
        }
        HELPDESK_RETURN_IF_ERROR(impl_->AppendAgentEvent(tx, a, now, agent, &e));
        return agent;
      });
}

absl::StatusOr<std::vector<v1::AgentEvent>> People::AgentLog(const v1::Actor& viewer,
                                                           int64_t agent_id) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::AgentEvent>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(
            Authorize(a, Action::kReadAgentLog, Subject::Agent(agent_id)));
        HELPDESK_RETURN_IF_ERROR(DeskCore::GetAgentNamed(tx, "agent_id", agent_id).status());
        return tx.ListAgentEvents(agent_id, 0, 0);
      });
}

absl::StatusOr<v1::Group> People::CreateGroup(const v1::Actor& actor,
                                            absl::string_view name,
                                            absl::string_view description) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Group> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageGroups));
        HELPDESK_RETURN_IF_ERROR(
            CheckRequiredText("name", name, impl_->options().limits.max_name_bytes));
        HELPDESK_RETURN_IF_ERROR(CheckText("description", description, 4096));
        v1::Group g;
        g.set_name(std::string(absl::StripAsciiWhitespace(name)));
        g.set_description(std::string(description));
        *g.mutable_created_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.InsertGroup(&g));
        return g;
      });
}

absl::StatusOr<std::vector<v1::Group>> People::ListGroups(const v1::Actor& viewer) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::Group>> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadAgentsAndGroups));
                      return tx.ListGroups();
                    });
}

}  // namespace helpdesk
