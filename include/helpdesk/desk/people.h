// People: contacts (customers), organizations, agents (with presence and their audit log) and groups.
//
// Returned by Desk::people(); desk.h says who may do what and the error codes
// every call shares. Thread safety: as the Desk (thread-safe when the store is);
// owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_PEOPLE_H_
#define HELPDESK_DESK_PEOPLE_H_

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
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/event.pb.h"

namespace helpdesk {

class DeskCore;


struct NewContact {
  std::string name;
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::vector<std::string> chat_handles;
  int64_t organization_id = 0;
  std::string locale;
  std::string time_zone;  // IANA name, checked
  std::string external_id;
};


struct NewAgent {
  std::string name;
  std::string email;
  v1::Agent::Role role = v1::Agent::AGENT;
  v1::Agent::TicketAccess ticket_access = v1::Agent::ALL;
  std::vector<int64_t> group_ids;
  std::vector<v1::Skill> skills;
  std::vector<v1::ChannelCapacity> capacity;
  std::string external_id;
  // Takes over this agent's tickets when routing re-queues them; 0 for none.
  int64_t backup_agent_id = 0;
};


// A change of a contact; unset fields stay as they are. Identities are
// normalised as in CreateContact.
struct ContactUpdate {
  std::optional<std::string> name;
  std::vector<std::string> add_emails;
  std::vector<std::string> remove_emails;
  std::vector<std::string> add_phones;
  std::vector<std::string> remove_phones;
  std::vector<std::string> add_chat_handles;
  std::vector<std::string> remove_chat_handles;
  std::optional<int64_t> organization_id;  // 0 removes
  std::optional<std::string> locale;
  std::optional<std::string> time_zone;
  std::optional<std::string> external_id;
  // Fails with Aborted unless the contact is at this version.
  std::optional<int64_t> expected_version;
};


// A change of an agent; unset fields stay as they are.
struct AgentUpdate {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<v1::Agent::Role> role;
  std::optional<v1::Agent::TicketAccess> ticket_access;
  std::optional<std::vector<int64_t>> group_ids;
  std::optional<std::vector<v1::Skill>> skills;
  std::optional<std::vector<v1::ChannelCapacity>> capacity;
  // A deactivated agent keeps its history but may do nothing and cannot be
  // assigned tickets.
  std::optional<bool> deactivated;
  std::optional<int64_t> backup_agent_id;  // 0 removes
  std::optional<int64_t> expected_version;
};

class People {
 public:
  People(const People&) = delete;
  People& operator=(const People&) = delete;


  // Creates a contact. E-mail addresses are lower-cased, phones reduced to
  // digits (and a leading '+'). Errors: AlreadyExists when an identity belongs
  // to another contact; InvalidArgument for a malformed address, phone or
  // time zone; PermissionDenied for customers and light agents.
  absl::StatusOr<v1::Contact> CreateContact(const v1::Actor& actor,
                                            const NewContact& contact);

  // The contact. Staff read any; a customer reads only their own record.
  // Errors: NotFound; PermissionDenied for a customer asking for another.
  absl::StatusOr<v1::Contact> GetContact(const v1::Actor& viewer,
                                         int64_t contact_id);

  // The contact with this e-mail address (any case). Staff only. Errors:
  // NotFound; PermissionDenied for customers.
  absl::StatusOr<v1::Contact> FindContactByEmail(const v1::Actor& viewer,
                                                 absl::string_view email);

  // The contact owning an identity: an e-mail address (any case), a phone
  // number (any punctuation) or a chat handle. Staff only. Errors: NotFound;
  // InvalidArgument for a malformed value; PermissionDenied for customers.
  absl::StatusOr<v1::Contact> FindContactByIdentity(
      const v1::Actor& viewer, v1::ContactIdentity::Kind kind,
      absl::string_view value);

  // Changes a contact. Staff (not light agents) only; a customer may change
  // their own name, locale and time zone. Errors: as CreateContact; NotFound;
  // Aborted for a stale expected_version; InvalidArgument when removing an
  // identity the contact does not have.
  absl::StatusOr<v1::Contact> UpdateContact(const v1::Actor& actor,
                                            int64_t contact_id,
                                            const ContactUpdate& update);

  // Blocks or unblocks a contact. Errors: PermissionDenied unless admin/system.
  absl::StatusOr<v1::Contact> SetContactBlocked(const v1::Actor& actor,
                                                int64_t contact_id,
                                                bool blocked);


  absl::StatusOr<v1::Organization> CreateOrganization(
      const v1::Actor& actor, absl::string_view name,
      std::vector<std::string> domains = {});


  // Admins and the system only. Errors: AlreadyExists for a taken email;
  // NotFound for an unknown group.
  absl::StatusOr<v1::Agent> CreateAgent(const v1::Actor& actor,
                                        const NewAgent& agent);

  // Changes an agent. Admins and the system only. Errors: as CreateAgent;
  // NotFound; Aborted for a stale expected_version; FailedPrecondition when an
  // admin would deactivate or demote themself.
  absl::StatusOr<v1::Agent> UpdateAgent(const v1::Actor& actor, int64_t agent_id,
                                        const AgentUpdate& update);

  absl::StatusOr<v1::Agent> GetAgent(const v1::Actor& viewer, int64_t agent_id);

  absl::StatusOr<std::vector<v1::Agent>> ListAgents(const v1::Actor& viewer);

  // Sets an agent's presence (online, away, offline) and writes a
  // PRESENCE_CHANGED agent event; the same presence again changes nothing.
  // With routing, an agent going online gets queued work; going away or
  // offline re-queues their new and open tickets per RoutingOptions (each a
  // REQUEUED ticket event). The agent sets their own presence; admins and the
  // system anyone's. Errors: InvalidArgument for PRESENCE_UNSPECIFIED or an
  // unknown value; FailedPrecondition for a deactivated agent going online;
  // PermissionDenied; NotFound.
  absl::StatusOr<v1::Agent> SetAgentPresence(const v1::Actor& actor,
                                             int64_t agent_id,
                                             v1::Presence presence);

  // The agent's audit log (created, changed, presence), oldest first. Staff
  // only: admins see everyone's, agents their own. Errors: PermissionDenied;
  // NotFound.
  absl::StatusOr<std::vector<v1::AgentEvent>> AgentLog(const v1::Actor& viewer,
                                                       int64_t agent_id);

  // Admins and the system only. Errors: AlreadyExists for a taken name.
  absl::StatusOr<v1::Group> CreateGroup(const v1::Actor& actor,
                                        absl::string_view name,
                                        absl::string_view description = "");

  absl::StatusOr<std::vector<v1::Group>> ListGroups(const v1::Actor& viewer);

 private:
  friend class Desk;
  explicit People(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_PEOPLE_H_
