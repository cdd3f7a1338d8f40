#include "storage/legacy_field_change.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "helpdesk/audit.h"
#include "helpdesk/timestamp.h"

namespace helpdesk::internal {
namespace {

using Field = v1::FieldChange::Field;

std::vector<absl::string_view> SplitList(absl::string_view s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, ',');
}

// The enum value of `descriptor` whose rendering (through `make`) is `s`.
template <typename Enum>
std::optional<v1::FieldValue> EnumByName(const google::protobuf::EnumDescriptor* descriptor,
                                         v1::FieldValue (*make)(Enum), absl::string_view s) {
  for (int i = 0; i < descriptor->value_count(); ++i) {
    v1::FieldValue v = make(static_cast<Enum>(descriptor->value(i)->number()));
    if (RenderValue(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<int64_t> Id(absl::string_view s) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(s, &id)) return std::nullopt;
  return id;
}

std::optional<std::vector<int64_t>> Ids(absl::string_view s) {
  std::vector<int64_t> ids;
  for (absl::string_view part : SplitList(s)) {
    std::optional<int64_t> id = Id(part);
    if (!id) return std::nullopt;
    ids.push_back(*id);
  }
  return ids;
}

// "<left>:<right>", split at the last ':'.
bool SplitPair(absl::string_view s, absl::string_view* left, absl::string_view* right) {
  size_t colon = s.rfind(':');
  if (colon == absl::string_view::npos) return false;
  *left = s.substr(0, colon);
  *right = s.substr(colon + 1);
  return true;
}

std::optional<v1::FieldValue> Links(absl::string_view s) {
  std::vector<v1::TicketLink> links;
  for (absl::string_view part : SplitList(s)) {
    absl::string_view kind, id;
    v1::TicketLink::Kind k;
    std::optional<int64_t> ticket;
    if (!SplitPair(part, &kind, &id) ||
        !v1::TicketLink::Kind_Parse(absl::AsciiStrToUpper(kind), &k) ||
        !(ticket = Id(id))) {
      return std::nullopt;
    }
    v1::TicketLink& link = links.emplace_back();
    link.set_kind(k);
    link.set_ticket_id(*ticket);
  }
  return LinksValue(links);
}

std::optional<v1::FieldValue> Skills(absl::string_view s) {
  std::vector<v1::Skill> skills;
  for (absl::string_view part : SplitList(s)) {
    absl::string_view name, level;
    int32_t l = 0;
    if (!SplitPair(part, &name, &level) || !absl::SimpleAtoi(level, &l)) return std::nullopt;
    v1::Skill& skill = skills.emplace_back();
    skill.set_name(std::string(name));
    skill.set_level(l);
  }
  return SkillsValue(skills);
}

std::optional<v1::FieldValue> Capacity(absl::string_view s) {
  std::vector<v1::ChannelCapacity> capacity;
  for (absl::string_view part : SplitList(s)) {
    absl::string_view channel, items;
    v1::Channel c;
    int32_t n = 0;
    if (!SplitPair(part, &channel, &items) ||
        !v1::Channel_Parse(absl::AsciiStrToUpper(absl::StrCat("CHANNEL_", channel)), &c) ||
        !absl::SimpleAtoi(items, &n)) {
      return std::nullopt;
    }
    v1::ChannelCapacity& cap = capacity.emplace_back();
    cap.set_channel(c);
    cap.set_max_items(n);
  }
  return CapacityValue(capacity);
}

// A custom field's value, typed as the ticket's current value of `name`.
std::optional<v1::FieldValue> CustomField(const v1::Ticket* ticket, const std::string& name,
                                          absl::string_view s) {
  if (ticket == nullptr) return std::nullopt;
  auto it = ticket->custom_fields().find(name);
  if (it == ticket->custom_fields().end()) return std::nullopt;
  const v1::CustomFieldValue& current = it->second;
  v1::FieldValue as_stored = CustomFieldValueOf(current);
  if (RenderValue(as_stored) == s) return as_stored;
  v1::CustomFieldValue v;
  switch (current.value_case()) {
    case v1::CustomFieldValue::kText:
      v.set_text(std::string(s));
      break;
    case v1::CustomFieldValue::kInteger: {
      int64_t i = 0;
      if (!absl::SimpleAtoi(s, &i)) return std::nullopt;
      v.set_integer(i);
      break;
    }
    case v1::CustomFieldValue::kDecimal: {
      double d = 0;
      if (!absl::SimpleAtod(s, &d)) return std::nullopt;
      v.set_decimal(d);
      break;
    }
    case v1::CustomFieldValue::kFlag:
      if (s != "true" && s != "false") return std::nullopt;
      v.set_flag(s == "true");
      break;
    case v1::CustomFieldValue::kTime: {
      absl::Time t;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, std::string(s), &t, &error)) {
        return std::nullopt;
      }
      *v.mutable_time() = ToTimestamp(t);
      break;
    }
    case v1::CustomFieldValue::kChoices:
      for (absl::string_view c : SplitList(s)) {
        v.mutable_choices()->add_values(std::string(c));
      }
      break;
    case v1::CustomFieldValue::VALUE_NOT_SET:
      return std::nullopt;
  }
  return CustomFieldValueOf(v);
}

// The typed value of `field` for text `s`, or nullopt.
std::optional<v1::FieldValue> Parse(Field field, const std::string& custom_field,
                                    const v1::Ticket* ticket, absl::string_view s) {
  auto id = [&](v1::FieldValue (*make)(int64_t)) -> std::optional<v1::FieldValue> {
    std::optional<int64_t> v = Id(s);
    if (!v) return std::nullopt;
    return make(*v);
  };
  auto ids = [&](auto make) -> std::optional<v1::FieldValue> {
    std::optional<std::vector<int64_t>> v = Ids(s);
    if (!v) return std::nullopt;
    return make(*v);
  };
  switch (field) {
    case v1::FieldChange::SUBJECT:
    case v1::FieldChange::AGENT_NAME:
    case v1::FieldChange::AGENT_EMAIL:
      return TextValue(s);
    case v1::FieldChange::STATUS:
      if (s.empty()) return std::nullopt;
      return StatusValue(s);
    case v1::FieldChange::PRIORITY:
      return EnumByName(v1::Priority_descriptor(), &PriorityValue, s);
    case v1::FieldChange::TYPE:
      return EnumByName(v1::TicketType_descriptor(), &TypeValue, s);
    case v1::FieldChange::AGENT_ROLE:
      return EnumByName(v1::Agent::Role_descriptor(), &RoleValue, s);
    case v1::FieldChange::AGENT_TICKET_ACCESS:
      return EnumByName(v1::Agent::TicketAccess_descriptor(), &TicketAccessValue, s);
    case v1::FieldChange::AGENT_PRESENCE:
      return EnumByName(v1::Presence_descriptor(), &PresenceValue, s);
    case v1::FieldChange::REQUESTER:
      return id(&ContactValue);
    case v1::FieldChange::ORGANIZATION:
      return id(&OrganizationValue);
    case v1::FieldChange::ASSIGNEE:
    case v1::FieldChange::STICKY_AGENT:
    case v1::FieldChange::AGENT_BACKUP:
      return id(&AgentValue);
    case v1::FieldChange::GROUP:
      return id(&GroupValue);
    case v1::FieldChange::MERGED_INTO:
      return id(&TicketValue);
    case v1::FieldChange::MESSAGE_COUNT:
      return id(&CountValue);
    case v1::FieldChange::TAGS:
      return TagsValue(SplitList(s));
    case v1::FieldChange::CC_CONTACTS:
      return ids([](const std::vector<int64_t>& v) { return ContactsValue(v); });
    case v1::FieldChange::FOLLOWERS:
      return ids([](const std::vector<int64_t>& v) { return AgentsValue(v); });
    case v1::FieldChange::AGENT_GROUPS:
      return ids([](const std::vector<int64_t>& v) { return GroupsValue(v); });
    case v1::FieldChange::LINKS:
      return Links(s);
    case v1::FieldChange::AGENT_SKILLS:
      return Skills(s);
    case v1::FieldChange::AGENT_CAPACITY:
      return Capacity(s);
    case v1::FieldChange::AGENT_DEACTIVATED:
      if (s != "true" && s != "false") return std::nullopt;
      return FlagValue(s == "true");
    case v1::FieldChange::CUSTOM_FIELD:
      return CustomField(ticket, custom_field, s);
    default:
      return std::nullopt;
  }
}

// The value for text `s`: unset when `none` and empty, else the typed value
// when it renders back as `s`, else legacy_text.
std::optional<v1::FieldValue> Value(Field field, const std::string& custom_field,
                                    const v1::Ticket* ticket, absl::string_view s, bool none) {
  if (none && s.empty()) return std::nullopt;
  std::optional<v1::FieldValue> v = Parse(field, custom_field, ticket, s);
  if (v && RenderValue(*v) == s) return v;
  v1::FieldValue legacy;
  legacy.set_legacy_text(std::string(s));
  return legacy;
}

bool IsAgentField(Field f) { return f >= v1::FieldChange::AGENT_NAME; }

}  // namespace

v1::FieldChange TypedChangeFromText(LegacyLog log, bool creation, const v1::Ticket* ticket,
                                    absl::string_view field, absl::string_view before,
                                    absl::string_view after) {
  v1::FieldChange c;
  std::optional<std::string> custom;
  if (log == LegacyLog::kTicket) custom = CustomFieldName(field);
  std::optional<Field> known = custom ? v1::FieldChange::CUSTOM_FIELD : FieldFromName(field);
  if (known && !custom && IsAgentField(*known) != (log == LegacyLog::kAgent)) {
    known.reset();  // a name of the other log's fields
  }
  if (!known) {
    c.set_legacy_field(std::string(field));
    auto legacy = [](absl::string_view s, v1::FieldValue* v) {
      if (!s.empty()) v->set_legacy_text(std::string(s));
    };
    if (!before.empty()) legacy(before, c.mutable_before());
    if (!after.empty()) legacy(after, c.mutable_after());
    return c;
  }
  c.set_field(*known);
  if (custom) c.set_custom_field(*custom);
  const std::string name = custom.value_or("");
  // Custom fields use "" for "not set"; a creation's before is always "".
  const bool custom_field = custom.has_value();
  if (auto v = Value(*known, name, ticket, before, creation || custom_field)) {
    *c.mutable_before() = *std::move(v);
  }
  if (auto v = Value(*known, name, ticket, after, custom_field)) {
    *c.mutable_after() = *std::move(v);
  }
  return c;
}

bool ConvertLegacyChanges(LegacyLog log, bool creation, const v1::Ticket* ticket,
                          google::protobuf::RepeatedPtrField<v1::FieldChange>* changes) {
  bool converted = false;
  for (v1::FieldChange& c : *changes) {
    const google::protobuf::UnknownFieldSet& unknown =
        c.GetReflection()->GetUnknownFields(c);
    if (unknown.empty()) continue;
    std::string text[4];  // by field number: 1 field, 2 before, 3 after
    bool legacy = false;
    for (int i = 0; i < unknown.field_count(); ++i) {
      const google::protobuf::UnknownField& f = unknown.field(i);
      if (f.number() >= 1 && f.number() <= 3 &&
          f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
        text[f.number()] = f.length_delimited();
        legacy = true;
      }
    }
    if (!legacy) continue;
    c = TypedChangeFromText(log, creation, ticket, text[1], text[2], text[3]);
    converted = true;
  }
  return converted;
}

}  // namespace helpdesk::internal
