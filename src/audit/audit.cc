// The typed audit log's names, text forms and builders (helpdesk/audit.h).
#include "helpdesk/audit.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "helpdesk/names.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using Field = v1::FieldChange::Field;

struct FieldEntry {
  Field field;
  absl::string_view name;
};

// The one table of field names (the text form of schema version 3).
constexpr FieldEntry kFields[] = {
    {v1::FieldChange::SUBJECT, "subject"},
    {v1::FieldChange::STATUS, "status"},
    {v1::FieldChange::PRIORITY, "priority"},
    {v1::FieldChange::TYPE, "type"},
    {v1::FieldChange::REQUESTER, "requester_id"},
    {v1::FieldChange::ORGANIZATION, "organization_id"},
    {v1::FieldChange::ASSIGNEE, "assignee_id"},
    {v1::FieldChange::GROUP, "group_id"},
    {v1::FieldChange::TAGS, "tags"},
    {v1::FieldChange::CC_CONTACTS, "cc_contact_ids"},
    {v1::FieldChange::FOLLOWERS, "follower_agent_ids"},
    {v1::FieldChange::LINKS, "links"},
    {v1::FieldChange::MERGED_INTO, "merged_into"},
    {v1::FieldChange::MESSAGE_COUNT, "message_count"},
    {v1::FieldChange::STICKY_AGENT, "sticky_agent_id"},
    {v1::FieldChange::AGENT_NAME, "name"},
    {v1::FieldChange::AGENT_EMAIL, "email"},
    {v1::FieldChange::AGENT_ROLE, "role"},
    {v1::FieldChange::AGENT_TICKET_ACCESS, "ticket_access"},
    {v1::FieldChange::AGENT_GROUPS, "group_ids"},
    {v1::FieldChange::AGENT_SKILLS, "skills"},
    {v1::FieldChange::AGENT_CAPACITY, "capacity"},
    {v1::FieldChange::AGENT_BACKUP, "backup_agent_id"},
    {v1::FieldChange::AGENT_DEACTIVATED, "deactivated"},
    {v1::FieldChange::AGENT_PRESENCE, "presence"},
};

constexpr absl::string_view kCustomFieldPrefix = "custom_fields.";

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

// "CHANNEL_EMAIL" -> "email", "LIGHT_AGENT" -> "light_agent".
std::string LowerName(const std::string& enum_name, absl::string_view prefix = "") {
  return absl::AsciiStrToLower(absl::StripPrefix(enum_name, prefix));
}

}  // namespace

std::string FieldName(const v1::FieldChange& change) {
  if (change.field() == v1::FieldChange::CUSTOM_FIELD) {
    return absl::StrCat(kCustomFieldPrefix, change.custom_field());
  }
  if (change.field() == v1::FieldChange::FIELD_UNSPECIFIED) return change.legacy_field();
  for (const FieldEntry& e : kFields) {
    if (e.field == change.field()) return std::string(e.name);
  }
  return absl::StrCat("field_", static_cast<int>(change.field()));
}

std::optional<Field> FieldFromName(absl::string_view name) {
  for (const FieldEntry& e : kFields) {
    if (e.name == name) return e.field;
  }
  return std::nullopt;
}

std::optional<std::string> CustomFieldName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, kCustomFieldPrefix)) return std::nullopt;
  return std::string(name);
}

std::string RenderValue(const v1::FieldValue& value) {
  switch (value.value_case()) {
    case v1::FieldValue::kText:
      return value.text();
    case v1::FieldValue::kStatus:
      return value.status();
    case v1::FieldValue::kPriority:
      return PriorityName(value.priority());
    case v1::FieldValue::kType:
      return TicketTypeName(value.type());
    case v1::FieldValue::kContactId:
      return absl::StrCat(value.contact_id());
    case v1::FieldValue::kOrganizationId:
      return absl::StrCat(value.organization_id());
    case v1::FieldValue::kAgentId:
      return absl::StrCat(value.agent_id());
    case v1::FieldValue::kGroupId:
      return absl::StrCat(value.group_id());
    case v1::FieldValue::kTicketId:
      return absl::StrCat(value.ticket_id());
    case v1::FieldValue::kCount:
      return absl::StrCat(value.count());
    case v1::FieldValue::kFlag:
      return value.flag() ? "true" : "false";
    case v1::FieldValue::kTags:
      return absl::StrJoin(value.tags().values(), ",");
    case v1::FieldValue::kCustomField:
      return RenderCustomField(value.custom_field());
    case v1::FieldValue::kContactIds:
      return absl::StrJoin(value.contact_ids().ids(), ",");
    case v1::FieldValue::kAgentIds:
      return absl::StrJoin(value.agent_ids().ids(), ",");
    case v1::FieldValue::kGroupIds:
      return absl::StrJoin(value.group_ids().ids(), ",");
    case v1::FieldValue::kLinks: {
      std::vector<std::string> parts;
      for (const v1::TicketLink& link : value.links().links()) {
        parts.push_back(absl::StrCat(LowerName(v1::TicketLink::Kind_Name(link.kind())),
                                     ":", link.ticket_id()));
      }
      return absl::StrJoin(parts, ",");
    }
    case v1::FieldValue::kRole:
      return LowerName(v1::Agent::Role_Name(value.role()));
    case v1::FieldValue::kTicketAccess:
      return LowerName(v1::Agent::TicketAccess_Name(value.ticket_access()));
    case v1::FieldValue::kSkills: {
      std::vector<std::string> parts;
      for (const v1::Skill& s : value.skills().skills()) {
        parts.push_back(absl::StrCat(s.name(), ":", s.level()));
      }
      return absl::StrJoin(parts, ",");
    }
    case v1::FieldValue::kCapacity: {
      std::vector<std::string> parts;
      for (const v1::ChannelCapacity& c : value.capacity().capacity()) {
        parts.push_back(absl::StrCat(LowerName(v1::Channel_Name(c.channel()), "CHANNEL_"),
                                     ":", c.max_items()));
      }
      return absl::StrJoin(parts, ",");
    }
    case v1::FieldValue::kPresence:
      return PresenceName(value.presence());
    case v1::FieldValue::kLegacyText:
      return value.legacy_text();
    case v1::FieldValue::VALUE_NOT_SET:
      return "";
  }
  return "";
}

v1::FieldChange* AddChange(google::protobuf::RepeatedPtrField<v1::FieldChange>* changes,
                           Field field, std::optional<v1::FieldValue> before,
                           std::optional<v1::FieldValue> after) {
  v1::FieldChange* c = changes->Add();
  c->set_field(field);
  if (before) *c->mutable_before() = *std::move(before);
  if (after) *c->mutable_after() = *std::move(after);
  return c;
}

v1::FieldChange* AddCustomFieldChange(
    google::protobuf::RepeatedPtrField<v1::FieldChange>* changes, absl::string_view name,
    std::optional<v1::FieldValue> before, std::optional<v1::FieldValue> after) {
  v1::FieldChange* c =
      AddChange(changes, v1::FieldChange::CUSTOM_FIELD, std::move(before), std::move(after));
  c->set_custom_field(std::string(name));
  return c;
}

v1::FieldValue TextValue(absl::string_view text) {
  v1::FieldValue v;
  v.set_text(std::string(text));
  return v;
}
v1::FieldValue StatusValue(absl::string_view status) {
  v1::FieldValue v;
  v.set_status(std::string(status));
  return v;
}
v1::FieldValue PriorityValue(v1::Priority priority) {
  v1::FieldValue v;
  v.set_priority(priority);
  return v;
}
v1::FieldValue TypeValue(v1::TicketType type) {
  v1::FieldValue v;
  v.set_type(type);
  return v;
}
v1::FieldValue ContactValue(int64_t contact_id) {
  v1::FieldValue v;
  v.set_contact_id(contact_id);
  return v;
}
v1::FieldValue OrganizationValue(int64_t organization_id) {
  v1::FieldValue v;
  v.set_organization_id(organization_id);
  return v;
}
v1::FieldValue AgentValue(int64_t agent_id) {
  v1::FieldValue v;
  v.set_agent_id(agent_id);
  return v;
}
v1::FieldValue GroupValue(int64_t group_id) {
  v1::FieldValue v;
  v.set_group_id(group_id);
  return v;
}
v1::FieldValue TicketValue(int64_t ticket_id) {
  v1::FieldValue v;
  v.set_ticket_id(ticket_id);
  return v;
}
v1::FieldValue CountValue(int64_t count) {
  v1::FieldValue v;
  v.set_count(count);
  return v;
}
v1::FieldValue FlagValue(bool flag) {
  v1::FieldValue v;
  v.set_flag(flag);
  return v;
}
v1::FieldValue CustomFieldValueOf(const v1::CustomFieldValue& value) {
  v1::FieldValue v;
  *v.mutable_custom_field() = value;
  return v;
}
v1::FieldValue RoleValue(v1::Agent::Role role) {
  v1::FieldValue v;
  v.set_role(role);
  return v;
}
v1::FieldValue TicketAccessValue(v1::Agent::TicketAccess access) {
  v1::FieldValue v;
  v.set_ticket_access(access);
  return v;
}
v1::FieldValue PresenceValue(v1::Presence presence) {
  v1::FieldValue v;
  v.set_presence(presence);
  return v;
}

}  // namespace helpdesk
