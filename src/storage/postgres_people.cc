// PostgresTransaction's people: contacts with their identity rows (one owner
// per identity), organizations, agents (unique e-mail) and groups. Conflicts
// are looked for before anything is written, under the writer lock, so a
// refused write leaves the transaction usable.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/postgres_transaction.h"

namespace helpdesk::internal {
namespace {

absl::Status Taken(absl::string_view what, absl::string_view value) {
  return absl::AlreadyExistsError(absl::StrCat(what, " '", value, "' is already taken"));
}

}  // namespace

// --- Contacts and organizations ---

// AlreadyExists naming the identity when another contact than `id` has it, or
// when the contact lists it twice.
absl::Status PostgresTransaction::CheckIdentitiesFree(int64_t id,
                                                      const v1::Contact& contact) {
  std::set<std::pair<int, std::string>> seen;
  for (const v1::ContactIdentity& identity : contact.identities()) {
    if (!seen.emplace(identity.kind(), identity.value()).second) {
      return Taken(absl::StrCat(v1::ContactIdentity::Kind_Name(identity.kind()),
                                " identity"),
                   identity.value());
    }
    HELPDESK_ASSIGN_OR_RETURN(
        PgResult r, Run("SELECT contact_id FROM contact_identities "
                        "WHERE kind = $1 AND value = $2",
                        {PgParam::Int(identity.kind()), PgParam::Bytes(identity.value())}));
    if (r.rows() > 0 && r.Int(0, 0) != id) {
      return absl::AlreadyExistsError(absl::StrCat(
          v1::ContactIdentity::Kind_Name(identity.kind()), " identity '",
          identity.value(), "' is already taken by contact ", r.Int(0, 0)));
    }
  }
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoInsertContact(v1::Contact* contact) {
  v1::Contact stored = *contact;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "contact"));
  HELPDESK_RETURN_IF_ERROR(CheckIdentitiesFree(0, *contact));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("INSERT INTO contacts (version, organization_id, proto) "
                      "VALUES (1, $1, $2) RETURNING id",
                      {PgParam::Int(contact->organization_id()), PgParam::Bytes(bytes)}));
  const int64_t id = r.Int(0, 0);
  std::vector<PgStatement> writes;
  for (const v1::ContactIdentity& identity : contact->identities()) {
    writes.push_back({"INSERT INTO contact_identities (kind, value, contact_id) "
                      "VALUES ($1, $2, $3)",
                      {PgParam::Int(identity.kind()), PgParam::Bytes(identity.value()),
                       PgParam::Int(id)}});
  }
  HELPDESK_RETURN_IF_ERROR(connection_->RunPipeline(writes));
  contact->set_id(id);
  contact->set_version(1);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateContact(v1::Contact* contact,
                                                  int64_t expected_version) {
  const int64_t id = contact->id();
  v1::Contact stored = *contact;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "contact"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult current, Run("SELECT version FROM contacts WHERE id = $1 FOR UPDATE",
                            {PgParam::Int(id)}));
  if (current.rows() == 0) return NotFound("contact", id);
  if (current.Int(0, 0) != expected_version) {
    return StaleVersion("contact", id, expected_version, current.Int(0, 0));
  }
  HELPDESK_RETURN_IF_ERROR(CheckIdentitiesFree(id, *contact));
  std::vector<PgStatement> writes;
  writes.push_back({"UPDATE contacts SET version = $1, organization_id = $2, proto = $3 "
                    "WHERE id = $4",
                    {PgParam::Int(expected_version + 1),
                     PgParam::Int(contact->organization_id()), PgParam::Bytes(bytes),
                     PgParam::Int(id)}});
  writes.push_back({"DELETE FROM contact_identities WHERE contact_id = $1",
                    {PgParam::Int(id)}});
  for (const v1::ContactIdentity& identity : contact->identities()) {
    writes.push_back({"INSERT INTO contact_identities (kind, value, contact_id) "
                      "VALUES ($1, $2, $3)",
                      {PgParam::Int(identity.kind()), PgParam::Bytes(identity.value()),
                       PgParam::Int(id)}});
  }
  HELPDESK_RETURN_IF_ERROR(connection_->RunPipeline(writes));
  contact->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<v1::Contact> PostgresTransaction::ReadContact(const PgResult& r,
                                                            int row) {
  const int64_t id = r.Int(row, 0);
  v1::Contact contact;
  HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(row, 2), "contacts", id, &contact));
  contact.set_id(id);
  contact.set_version(r.Int(row, 1));
  return contact;
}

absl::StatusOr<v1::Contact> PostgresTransaction::DoGetContact(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT id, version, proto FROM contacts WHERE id = $1",
                      {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("contact", id);
  return ReadContact(r, 0);
}

absl::StatusOr<v1::Contact> PostgresTransaction::DoFindContactByIdentity(
    v1::ContactIdentity::Kind kind, absl::string_view value) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT c.id, c.version, c.proto FROM contact_identities i "
                      "JOIN contacts c ON c.id = i.contact_id "
                      "WHERE i.kind = $1 AND i.value = $2",
                      {PgParam::Int(kind), PgParam::Bytes(value)}));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("no contact has ",
                                            v1::ContactIdentity::Kind_Name(kind),
                                            " identity '", value, "'"));
  }
  return ReadContact(r, 0);
}

// Inserts into a (name UNIQUE, proto) table and returns the new id.
template <typename Proto>
absl::StatusOr<int64_t> PostgresTransaction::InsertNamed(absl::string_view table,
                                                         absl::string_view what,
                                                         const Proto& proto) {
  Proto stored = proto;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, what));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run(absl::StrCat("INSERT INTO ", table,
                                   " (name, proto) VALUES ($1, $2) "
                                   "ON CONFLICT (name) DO NOTHING RETURNING id"),
                      {PgParam::Bytes(proto.name()), PgParam::Bytes(bytes)}));
  if (r.rows() == 0) return Taken(absl::StrCat(what, " name"), proto.name());
  return r.Int(0, 0);
}

absl::Status PostgresTransaction::DoInsertOrganization(v1::Organization* organization) {
  HELPDESK_ASSIGN_OR_RETURN(int64_t id,
                            InsertNamed("organizations", "organization", *organization));
  organization->set_id(id);
  return absl::OkStatus();
}

absl::StatusOr<v1::Organization> PostgresTransaction::DoGetOrganization(int64_t id) {
  return GetById<v1::Organization>("SELECT proto FROM organizations WHERE id = $1",
                                   "organizations", "organization", id);
}

// --- Agents and groups ---

absl::Status PostgresTransaction::CheckAgentEmailFree(int64_t id,
                                                      absl::string_view email) {
  if (email.empty()) return absl::OkStatus();
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT id FROM agents WHERE email = $1 AND id <> $2",
                      {PgParam::Bytes(email), PgParam::Int(id)}));
  if (r.rows() > 0) return Taken("agent email", email);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoInsertAgent(v1::Agent* agent) {
  v1::Agent stored = *agent;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "agent"));
  HELPDESK_RETURN_IF_ERROR(CheckAgentEmailFree(0, agent->email()));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("INSERT INTO agents (version, email, proto) VALUES (1, $1, $2) "
                      "RETURNING id",
                      {PgParam::Bytes(agent->email()), PgParam::Bytes(bytes)}));
  agent->set_id(r.Int(0, 0));
  agent->set_version(1);
  return absl::OkStatus();
}

absl::Status PostgresTransaction::DoUpdateAgent(v1::Agent* agent,
                                                int64_t expected_version) {
  const int64_t id = agent->id();
  v1::Agent stored = *agent;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "agent"));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult current, Run("SELECT version FROM agents WHERE id = $1 FOR UPDATE",
                            {PgParam::Int(id)}));
  if (current.rows() == 0) return NotFound("agent", id);
  if (current.Int(0, 0) != expected_version) {
    return StaleVersion("agent", id, expected_version, current.Int(0, 0));
  }
  HELPDESK_RETURN_IF_ERROR(CheckAgentEmailFree(id, agent->email()));
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("UPDATE agents SET version = $1, email = $2, proto = $3 "
                      "WHERE id = $4 AND version = $5",
                      {PgParam::Int(expected_version + 1), PgParam::Bytes(agent->email()),
                       PgParam::Bytes(bytes), PgParam::Int(id),
                       PgParam::Int(expected_version)}));
  if (r.Affected() == 0) {
    return VersionMismatch("SELECT version FROM agents WHERE id = $1", "agent", id,
                           expected_version);
  }
  agent->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<v1::Agent> PostgresTransaction::ReadAgent(const PgResult& r, int row) {
  const int64_t id = r.Int(row, 0);
  v1::Agent agent;
  HELPDESK_RETURN_IF_ERROR(Parse(r.Bytes(row, 2), "agents", id, &agent));
  agent.set_id(id);
  agent.set_version(r.Int(row, 1));
  return agent;
}

absl::StatusOr<v1::Agent> PostgresTransaction::DoGetAgent(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT id, version, proto FROM agents WHERE id = $1",
                      {PgParam::Int(id)}));
  if (r.rows() == 0) return NotFound("agent", id);
  return ReadAgent(r, 0);
}

absl::StatusOr<std::vector<v1::Agent>> PostgresTransaction::DoListAgents() {
  HELPDESK_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT id, version, proto FROM agents ORDER BY id", {}));
  std::vector<v1::Agent> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, ReadAgent(r, i));
    out.push_back(std::move(agent));
  }
  return out;
}

absl::Status PostgresTransaction::DoInsertGroup(v1::Group* group) {
  HELPDESK_ASSIGN_OR_RETURN(int64_t id, InsertNamed("agent_groups", "group", *group));
  group->set_id(id);
  return absl::OkStatus();
}

absl::StatusOr<v1::Group> PostgresTransaction::DoGetGroup(int64_t id) {
  return GetById<v1::Group>("SELECT proto FROM agent_groups WHERE id = $1",
                            "agent_groups", "group", id);
}

absl::StatusOr<std::vector<v1::Group>> PostgresTransaction::DoListGroups() {
  return ListRows<v1::Group>("SELECT id, proto FROM agent_groups ORDER BY id",
                             "agent_groups", {});
}

}  // namespace helpdesk::internal
