// MemoryTransaction: contacts, organizations, agents and groups.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"
#include "storage/memory_store_internal.h"

namespace helpdesk::internal {

// --- Contacts and organizations ---

absl::Status MemoryTransaction::InsertContact(v1::Contact* contact) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(CheckIdentitiesFree(*contact, 0));
  contact->set_id(++state_->last.contact);
  contact->set_version(1);
  StoreContact(*contact, nullptr);
  return absl::OkStatus();
}

absl::Status MemoryTransaction::UpdateContact(v1::Contact* contact, int64_t expected_version) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->contacts.find(contact->id());
  if (it == state_->contacts.end()) return NotFound("contact", contact->id());
  HELPDESK_RETURN_IF_ERROR(CheckVersion("contact", contact->id(),
                                        it->second.version(),
                                        expected_version));
  HELPDESK_RETURN_IF_ERROR(CheckIdentitiesFree(*contact, contact->id()));
  contact->set_version(expected_version + 1);
  v1::Contact old = it->second;
  StoreContact(*contact, &old);
  return absl::OkStatus();
}

absl::StatusOr<v1::Contact> MemoryTransaction::GetContact(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->contacts.find(id);
  if (it == state_->contacts.end()) return NotFound("contact", id);
  return it->second;
}

absl::StatusOr<v1::Contact> MemoryTransaction::FindContactByIdentity(v1::ContactIdentity::Kind kind,
                                                                     absl::string_view value) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->identities.find({kind, std::string(value)});
  if (it == state_->identities.end()) {
    return absl::NotFoundError(
        absl::StrCat("no contact has ", v1::ContactIdentity::Kind_Name(kind),
                     " identity '", value, "'"));
  }
  return state_->contacts.at(it->second);
}

absl::Status MemoryTransaction::InsertOrganization(v1::Organization* organization) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  if (state_->organization_names.contains(organization->name())) {
    return Taken("organization name", organization->name());
  }
  organization->set_id(++state_->last.organization);
  Remember(state_->organizations, organization->id());
  state_->organizations[organization->id()] = *organization;
  Remember(state_->organization_names, organization->name());
  state_->organization_names[organization->name()] = organization->id();
  return absl::OkStatus();
}

absl::StatusOr<v1::Organization> MemoryTransaction::GetOrganization(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->organizations.find(id);
  if (it == state_->organizations.end()) return NotFound("organization", id);
  return it->second;
}

// --- Agents and groups ---

absl::Status MemoryTransaction::InsertAgent(v1::Agent* agent) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_RETURN_IF_ERROR(CheckAgentEmailFree(agent->email(), 0));
  agent->set_id(++state_->last.agent);
  agent->set_version(1);
  StoreAgent(*agent, "");
  return absl::OkStatus();
}

absl::Status MemoryTransaction::UpdateAgent(v1::Agent* agent, int64_t expected_version) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->agents.find(agent->id());
  if (it == state_->agents.end()) return NotFound("agent", agent->id());
  HELPDESK_RETURN_IF_ERROR(CheckVersion("agent", agent->id(),
                                        it->second.version(),
                                        expected_version));
  HELPDESK_RETURN_IF_ERROR(CheckAgentEmailFree(agent->email(), agent->id()));
  agent->set_version(expected_version + 1);
  StoreAgent(*agent, it->second.email());
  return absl::OkStatus();
}

absl::StatusOr<v1::Agent> MemoryTransaction::GetAgent(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->agents.find(id);
  if (it == state_->agents.end()) return NotFound("agent", id);
  return it->second;
}

absl::StatusOr<std::vector<v1::Agent>> MemoryTransaction::ListAgents() {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  std::vector<v1::Agent> out;
  for (const auto& [id, agent] : state_->agents) out.push_back(agent);
  return out;
}

absl::Status MemoryTransaction::InsertGroup(v1::Group* group) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  if (state_->group_names.contains(group->name())) {
    return Taken("group name", group->name());
  }
  group->set_id(++state_->last.group);
  Remember(state_->groups, group->id());
  state_->groups[group->id()] = *group;
  Remember(state_->group_names, group->name());
  state_->group_names[group->name()] = group->id();
  return absl::OkStatus();
}

absl::StatusOr<v1::Group> MemoryTransaction::GetGroup(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->groups.find(id);
  if (it == state_->groups.end()) return NotFound("group", id);
  return it->second;
}

absl::StatusOr<std::vector<v1::Group>> MemoryTransaction::ListGroups() {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  std::vector<v1::Group> out;
  for (const auto& [id, group] : state_->groups) out.push_back(group);
  return out;
}

absl::Status MemoryTransaction::CheckIdentitiesFree(const v1::Contact& contact,
                                                    int64_t self) const {
  std::set<std::pair<int, std::string>> seen;
  for (const v1::ContactIdentity& identity : contact.identities()) {
    std::pair<int, std::string> key(identity.kind(), identity.value());
    auto it = state_->identities.find(key);
    bool taken = (it != state_->identities.end() && it->second != self) ||
                 !seen.insert(key).second;
    if (taken) {
      return Taken(absl::StrCat(v1::ContactIdentity::Kind_Name(identity.kind()),
                                " identity"),
                   identity.value());
    }
  }
  return absl::OkStatus();
}

void MemoryTransaction::StoreContact(const v1::Contact& contact, const v1::Contact* old) {
  if (old != nullptr) {
    for (const v1::ContactIdentity& identity : old->identities()) {
      std::pair<int, std::string> key(identity.kind(), identity.value());
      Remember(state_->identities, key);
      state_->identities.erase(key);
    }
  }
  for (const v1::ContactIdentity& identity : contact.identities()) {
    std::pair<int, std::string> key(identity.kind(), identity.value());
    Remember(state_->identities, key);
    state_->identities[key] = contact.id();
  }
  Remember(state_->contacts, contact.id());
  state_->contacts[contact.id()] = contact;
}

absl::Status MemoryTransaction::CheckAgentEmailFree(const std::string& email, int64_t self) const {
  if (email.empty()) return absl::OkStatus();
  auto it = state_->agent_emails.find(email);
  if (it != state_->agent_emails.end() && it->second != self) {
    return Taken("agent email", email);
  }
  return absl::OkStatus();
}

void MemoryTransaction::StoreAgent(const v1::Agent& agent, const std::string& old_email) {
  if (!old_email.empty()) {
    Remember(state_->agent_emails, old_email);
    state_->agent_emails.erase(old_email);
  }
  if (!agent.email().empty()) {
    Remember(state_->agent_emails, agent.email());
    state_->agent_emails[agent.email()] = agent.id();
  }
  Remember(state_->agents, agent.id());
  state_->agents[agent.id()] = agent;
}

}  // namespace helpdesk::internal
