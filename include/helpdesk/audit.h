// The typed audit log: building field changes (for writers of Event and
// AgentEvent, and tests) and rendering them as text (for displays, logs and
// tests). The changes themselves are v1::FieldChange (helpdesk/v1/event.proto):
// a Field, and before/after values in the FieldValue member of the field's
// kind. Readers that act on a change (SLA clocks, reports, rules) switch on
// the field and read that member; text is for people.
//
//   v1::Event e;
//   AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY,
//             PriorityValue(v1::PRIORITY_LOW), PriorityValue(v1::PRIORITY_HIGH));
//   for (const v1::FieldChange& c : e.changes()) {
//     std::cout << FieldName(c) << ": " << RenderValue(c.before()) << " -> "
//               << RenderValue(c.after()) << "\n";  // "priority: low -> high"
//   }
//
// The text forms are those the log stored before it was typed (schema
// version 3): a file migrated from then renders exactly as it did.
#ifndef HELPDESK_AUDIT_H_
#define HELPDESK_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "helpdesk/v1/event.pb.h"

namespace helpdesk {

// The field's name as text: "status", "assignee_id", "tags",
// "custom_fields.<name>" for a custom field, the agent fields' "name",
// "email", "role", "presence" ...; for FIELD_UNSPECIFIED, the legacy_field
// an old file stored (empty when none).
std::string FieldName(const v1::FieldChange& change);

// The field a name of FieldName stands for (not custom fields: see
// CustomFieldName), or nullopt for a name that is no field.
std::optional<v1::FieldChange::Field> FieldFromName(absl::string_view name);

// For "custom_fields.<name>", the custom field's name; else nullopt.
std::optional<std::string> CustomFieldName(absl::string_view name);

// A value as text; "" when unset. Names for enums ("urgent", "incident",
// "online", "light_agent", "groups"), ids and counts in decimal, lists joined
// with ',' (tags; ids; links as "<kind>:<ticket>"; skills as
// "<name>:<level>"; capacity as "<channel>:<items>"), flags as
// "true"/"false", custom fields by their kind (a time in RFC 3339, choices
// joined with ','), legacy_text as stored.
std::string RenderValue(const v1::FieldValue& value);

// Appends a change of `field` to `changes` and returns it; an unset
// optional leaves that side unset (no value). For CUSTOM_FIELD use
// AddCustomFieldChange.
v1::FieldChange* AddChange(google::protobuf::RepeatedPtrField<v1::FieldChange>* changes,
                           v1::FieldChange::Field field,
                           std::optional<v1::FieldValue> before,
                           std::optional<v1::FieldValue> after);

// Appends a change of the custom field `name` (values: CustomFieldValueOf,
// unset when the field was not set before or is removed).
v1::FieldChange* AddCustomFieldChange(
    google::protobuf::RepeatedPtrField<v1::FieldChange>* changes, absl::string_view name,
    std::optional<v1::FieldValue> before, std::optional<v1::FieldValue> after);

// Values, one maker per FieldValue member (see FieldChange::Field for which
// field takes which).
v1::FieldValue TextValue(absl::string_view text);
v1::FieldValue StatusValue(absl::string_view status);
v1::FieldValue PriorityValue(v1::Priority priority);
v1::FieldValue TypeValue(v1::TicketType type);
v1::FieldValue ContactValue(int64_t contact_id);
v1::FieldValue OrganizationValue(int64_t organization_id);
v1::FieldValue AgentValue(int64_t agent_id);
v1::FieldValue GroupValue(int64_t group_id);
v1::FieldValue TicketValue(int64_t ticket_id);
v1::FieldValue CountValue(int64_t count);
v1::FieldValue FlagValue(bool flag);
v1::FieldValue CustomFieldValueOf(const v1::CustomFieldValue& value);
v1::FieldValue RoleValue(v1::Agent::Role role);
v1::FieldValue TicketAccessValue(v1::Agent::TicketAccess access);
v1::FieldValue PresenceValue(v1::Presence presence);
// Lists, from any range (a std::vector, a repeated proto field ...).
template <typename Range>
v1::FieldValue TagsValue(const Range& tags) {
  v1::FieldValue v;
  v1::FieldValue::StringList* list = v.mutable_tags();
  for (const auto& tag : tags) list->add_values(std::string(tag));
  return v;
}
template <typename Range>
v1::FieldValue ContactsValue(const Range& contact_ids) {
  v1::FieldValue v;
  v.mutable_contact_ids()->mutable_ids()->Add(contact_ids.begin(), contact_ids.end());
  return v;
}
template <typename Range>
v1::FieldValue AgentsValue(const Range& agent_ids) {
  v1::FieldValue v;
  v.mutable_agent_ids()->mutable_ids()->Add(agent_ids.begin(), agent_ids.end());
  return v;
}
template <typename Range>
v1::FieldValue GroupsValue(const Range& group_ids) {
  v1::FieldValue v;
  v.mutable_group_ids()->mutable_ids()->Add(group_ids.begin(), group_ids.end());
  return v;
}
template <typename Range>
v1::FieldValue LinksValue(const Range& links) {
  v1::FieldValue v;
  v.mutable_links()->mutable_links()->Add(links.begin(), links.end());
  return v;
}
template <typename Range>
v1::FieldValue SkillsValue(const Range& skills) {
  v1::FieldValue v;
  v.mutable_skills()->mutable_skills()->Add(skills.begin(), skills.end());
  return v;
}
template <typename Range>
v1::FieldValue CapacityValue(const Range& capacity) {
  v1::FieldValue v;
  v.mutable_capacity()->mutable_capacity()->Add(capacity.begin(), capacity.end());
  return v;
}

// Thread safety: every function here is pure and may be called from any
// thread.

}  // namespace helpdesk

#endif  // HELPDESK_AUDIT_H_
