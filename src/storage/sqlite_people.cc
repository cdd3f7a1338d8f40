// SqliteTransaction's people: contacts with their identity rows (one owner per
// identity), organizations, agents (unique e-mail) and groups. Agent events
// are an append-only log like ticket events, in sqlite_events.cc. The class
// and its plumbing are in sqlite_transaction.h.
#include "storage/sqlite_transaction.h"

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace helpdesk::internal {

namespace {

absl::Status Taken(absl::string_view what, absl::string_view value) {
  return absl::AlreadyExistsError(
      absl::StrCat(what, " '", value, "' is already taken"));
}

// Reads the contact that holds an identity (kind, value).
constexpr absl::string_view kIdentityOwnerSql =
    "SELECT contact_id FROM contact_identities WHERE kind = ? AND value = ?";

// The id of the contact that holds `identity`, read with `owner` (prepared
// from kIdentityOwnerSql); 0 when none does.
absl::StatusOr<int64_t> IdentityOwner(SqliteStatement& owner,
                                      const v1::ContactIdentity& identity) {
  owner.BindInt(1, identity.kind());
  owner.BindText(2, identity.value());
  HELPDESK_ASSIGN_OR_RETURN(bool row, owner.Step());
  return row ? owner.ColumnInt(0) : 0;
}

// AlreadyExists naming `identity` and, when known (not 0), the contact `by`
// that holds it.
absl::Status IdentityTaken(const v1::ContactIdentity& identity, int64_t by) {
  return absl::AlreadyExistsError(absl::StrCat(
      v1::ContactIdentity::Kind_Name(identity.kind()), " identity '", identity.value(),
      "' is already taken", by != 0 ? absl::StrCat(" by contact ", by) : ""));
}

// AlreadyExists naming the identity when `contact` lists it twice.
absl::Status CheckIdentityList(const v1::Contact& contact) {
  std::set<std::pair<int, std::string>> seen;
  for (const v1::ContactIdentity& identity : contact.identities()) {
    if (!seen.emplace(identity.kind(), identity.value()).second) {
      return Taken(absl::StrCat(
                       v1::ContactIdentity::Kind_Name(identity.kind()),
                       " identity"),
                   identity.value());
    }
  }
  return absl::OkStatus();
}

}  // namespace

// --- Contacts and organizations ---

// Inserts the identity rows of `contact` (whose id is `id`). Errors:
// AlreadyExists naming the identity when another contact has it, or when
// the contact lists it twice.
absl::Status SqliteTransaction::WriteIdentities(int64_t id,
                                                const v1::Contact& contact) {
  HELPDESK_RETURN_IF_ERROR(CheckIdentityList(contact));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO contact_identities (kind, value, contact_id) "
              "VALUES (?, ?, ?)"));
  for (const v1::ContactIdentity& identity : contact.identities()) {
    stmt.BindInt(1, identity.kind());
    stmt.BindText(2, identity.value());
    stmt.BindInt(3, id);
    absl::Status status = stmt.Run();
    stmt.Reset();
    if (IsConstraint(status)) {
      HELPDESK_ASSIGN_OR_RETURN(SqliteStatement owner, Prepare(kIdentityOwnerSql));
      HELPDESK_ASSIGN_OR_RETURN(int64_t by, IdentityOwner(owner, identity));
      return IdentityTaken(identity, by);
    }
    HELPDESK_RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

// Without a savepoint (which would copy every page the insert touches, on
// the path of every new sender's first mail): the identities are checked
// free first, so that a taken one leaves nothing written, and the writes
// that follow can fail only as the store fails (FailAfterPartialWrite).
absl::Status SqliteTransaction::DoInsertContact(v1::Contact* contact) {
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes,
                            SerializeWithoutIdAndVersion(contact, "contact"));
  HELPDESK_RETURN_IF_ERROR(CheckIdentityList(*contact));
  for (const v1::ContactIdentity& identity : contact->identities()) {
    HELPDESK_ASSIGN_OR_RETURN(SqliteStatement owner, Prepare(kIdentityOwnerSql));
    HELPDESK_ASSIGN_OR_RETURN(int64_t by, IdentityOwner(owner, identity));
    if (by != 0) return IdentityTaken(identity, by);
  }
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO contacts (version, organization_id, proto) "
              "VALUES (1, ?, ?)"));
  stmt.BindInt(1, contact->organization_id());
  stmt.BindBlob(2, bytes);
  HELPDESK_RETURN_IF_ERROR(stmt.Run());
  const int64_t id = LastRowId();
  HELPDESK_RETURN_IF_ERROR(FailAfterPartialWrite(WriteIdentities(id, *contact)));
  contact->set_id(id);
  contact->set_version(1);
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoUpdateContact(v1::Contact* contact,
                                                int64_t expected_version) {
  const int64_t id = contact->id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes,
                            SerializeWithoutIdAndVersion(contact, "contact"));
  absl::Status written = InSavepoint([&]() -> absl::Status {
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        Prepare("UPDATE contacts SET version = ?, organization_id = ?, "
                "proto = ? WHERE id = ? AND version = ?"));
    stmt.BindInt(1, expected_version + 1);
    stmt.BindInt(2, contact->organization_id());
    stmt.BindBlob(3, bytes);
    stmt.BindInt(4, id);
    stmt.BindInt(5, expected_version);
    HELPDESK_RETURN_IF_ERROR(stmt.Run());
    if (Changes() == 0) {
      return VersionMismatch("SELECT version FROM contacts WHERE id = ?",
                             "contact", id, expected_version);
    }
    HELPDESK_ASSIGN_OR_RETURN(
        SqliteStatement del,
        Prepare("DELETE FROM contact_identities WHERE contact_id = ?"));
    del.BindInt(1, id);
    HELPDESK_RETURN_IF_ERROR(del.Run());
    return WriteIdentities(id, *contact);
  });
  HELPDESK_RETURN_IF_ERROR(written);
  contact->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<v1::Contact> SqliteTransaction::ReadContact(
    SqliteStatement& stmt, int first_column) {
  const int64_t id = stmt.ColumnInt(first_column);
  v1::Contact contact;
  HELPDESK_RETURN_IF_ERROR(
      Parse(stmt.ColumnBlob(first_column + 2), "contacts", id, &contact));
  contact.set_id(id);
  contact.set_version(stmt.ColumnInt(first_column + 1));
  return contact;
}

absl::StatusOr<v1::Contact> SqliteTransaction::DoGetContact(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, version, proto FROM contacts WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("contact", id);
  return ReadContact(stmt, 0);
}

absl::StatusOr<v1::Contact> SqliteTransaction::DoFindContactByIdentity(
    v1::ContactIdentity::Kind kind, absl::string_view value) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT c.id, c.version, c.proto FROM contact_identities i "
              "JOIN contacts c ON c.id = i.contact_id "
              "WHERE i.kind = ? AND i.value = ?"));
  stmt.BindInt(1, kind);
  stmt.BindText(2, value);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("no contact has ", v1::ContactIdentity::Kind_Name(kind),
                     " identity '", value, "'"));
  }
  return ReadContact(stmt, 0);
}

// Inserts into a (name UNIQUE, proto) table and returns the new id.
template <typename Proto>
absl::StatusOr<int64_t> SqliteTransaction::InsertNamed(absl::string_view sql,
                                                       absl::string_view what,
                                                       const Proto& proto) {
  Proto stored = proto;
  stored.clear_id();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, what));
  HELPDESK_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
  stmt.BindText(1, proto.name());
  stmt.BindBlob(2, bytes);
  absl::Status status = stmt.Run();
  if (IsConstraint(status)) {
    return Taken(absl::StrCat(what, " name"), proto.name());
  }
  HELPDESK_RETURN_IF_ERROR(status);
  return LastRowId();
}

absl::Status SqliteTransaction::DoInsertOrganization(
    v1::Organization* organization) {
  HELPDESK_ASSIGN_OR_RETURN(
      int64_t id,
      InsertNamed("INSERT INTO organizations (name, proto) VALUES (?, ?)",
                  "organization", *organization));
  organization->set_id(id);
  return absl::OkStatus();
}

absl::StatusOr<v1::Organization> SqliteTransaction::DoGetOrganization(
    int64_t id) {
  return GetById<v1::Organization>(
      "SELECT proto FROM organizations WHERE id = ?", "organizations",
      "organization", id);
}

// --- Agents and groups ---

absl::Status SqliteTransaction::DoInsertAgent(v1::Agent* agent) {
  v1::Agent stored = *agent;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "agent"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("INSERT INTO agents (version, email, proto) VALUES (1, ?, ?)"));
  stmt.BindText(1, agent->email());
  stmt.BindBlob(2, bytes);
  absl::Status status = stmt.Run();
  if (IsConstraint(status)) return Taken("agent email", agent->email());
  HELPDESK_RETURN_IF_ERROR(status);
  agent->set_id(LastRowId());
  agent->set_version(1);
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DoUpdateAgent(v1::Agent* agent,
                                              int64_t expected_version) {
  const int64_t id = agent->id();
  v1::Agent stored = *agent;
  stored.clear_id();
  stored.clear_version();
  HELPDESK_ASSIGN_OR_RETURN(std::string bytes, Serialize(stored, "agent"));
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("UPDATE agents SET version = ?, email = ?, proto = ? "
              "WHERE id = ? AND version = ?"));
  stmt.BindInt(1, expected_version + 1);
  stmt.BindText(2, agent->email());
  stmt.BindBlob(3, bytes);
  stmt.BindInt(4, id);
  stmt.BindInt(5, expected_version);
  absl::Status status = stmt.Run();
  if (IsConstraint(status)) return Taken("agent email", agent->email());
  HELPDESK_RETURN_IF_ERROR(status);
  if (Changes() == 0) {
    return VersionMismatch("SELECT version FROM agents WHERE id = ?", "agent",
                           id, expected_version);
  }
  agent->set_version(expected_version + 1);
  return absl::OkStatus();
}

absl::StatusOr<v1::Agent> SqliteTransaction::ReadAgent(SqliteStatement& stmt) {
  const int64_t id = stmt.ColumnInt(0);
  v1::Agent agent;
  HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(2), "agents", id, &agent));
  agent.set_id(id);
  agent.set_version(stmt.ColumnInt(1));
  return agent;
}

absl::StatusOr<v1::Agent> SqliteTransaction::DoGetAgent(int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, version, proto FROM agents WHERE id = ?"));
  stmt.BindInt(1, id);
  HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("agent", id);
  return ReadAgent(stmt);
}

absl::StatusOr<std::vector<v1::Agent>> SqliteTransaction::DoListAgents() {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, version, proto FROM agents ORDER BY id"));
  std::vector<v1::Agent> out;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, ReadAgent(stmt));
    out.push_back(std::move(agent));
  }
  return out;
}

absl::Status SqliteTransaction::DoInsertGroup(v1::Group* group) {
  HELPDESK_ASSIGN_OR_RETURN(
      int64_t id, InsertNamed("INSERT INTO groups (name, proto) VALUES (?, ?)",
                              "group", *group));
  group->set_id(id);
  return absl::OkStatus();
}

absl::StatusOr<v1::Group> SqliteTransaction::DoGetGroup(int64_t id) {
  return GetById<v1::Group>("SELECT proto FROM groups WHERE id = ?",
                            "groups", "group", id);
}

absl::StatusOr<std::vector<v1::Group>> SqliteTransaction::DoListGroups() {
  HELPDESK_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      Prepare("SELECT id, proto FROM groups ORDER BY id"));
  std::vector<v1::Group> out;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const int64_t id = stmt.ColumnInt(0);
    v1::Group& group = out.emplace_back();
    HELPDESK_RETURN_IF_ERROR(Parse(stmt.ColumnBlob(1), "groups", id, &group));
    group.set_id(id);
  }
  return out;
}

}  // namespace helpdesk::internal
