// helpdesk/audit.h: every field has one name that reads back as the field,
// and each kind of value renders as the audit log's text form.
#include "helpdesk/audit.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

TEST(AuditTest, EveryFieldHasANameThatReadsBack) {
  const google::protobuf::EnumDescriptor* fields = v1::FieldChange::Field_descriptor();
  for (int i = 0; i < fields->value_count(); ++i) {
    auto field = static_cast<v1::FieldChange::Field>(fields->value(i)->number());
    if (field == v1::FieldChange::FIELD_UNSPECIFIED ||
        field == v1::FieldChange::CUSTOM_FIELD) {
      continue;
    }
    v1::FieldChange c;
    c.set_field(field);
    std::string name = FieldName(c);
    // Reading back also proves the names distinct.
    EXPECT_EQ(FieldFromName(name), field) << fields->value(i)->name() << " " << name;
  }
  EXPECT_EQ(FieldFromName("custom_fields.vip"), std::nullopt);
  EXPECT_EQ(CustomFieldName("custom_fields.vip"), "vip");
  EXPECT_EQ(CustomFieldName("status"), std::nullopt);
  EXPECT_EQ(FieldFromName("mood"), std::nullopt);
}

TEST(AuditTest, CustomAndLegacyFieldsAreNamedByTheirNames) {
  v1::Event e;
  AddCustomFieldChange(e.mutable_changes(), "vip", std::nullopt, CustomFieldValueOf([] {
                         v1::CustomFieldValue v;
                         v.set_flag(true);
                         return v;
                       }()));
  EXPECT_EQ(FieldName(e.changes(0)), "custom_fields.vip");
  EXPECT_FALSE(e.changes(0).has_before());
  EXPECT_EQ(RenderValue(e.changes(0).after()), "true");
  v1::FieldChange legacy;
  legacy.set_legacy_field("mood");
  EXPECT_EQ(FieldName(legacy), "mood");
}

TEST(AuditTest, ValuesRenderAsTheLogsTextForm) {
  EXPECT_EQ(RenderValue(v1::FieldValue()), "");
  EXPECT_EQ(RenderValue(TextValue("Printer")), "Printer");
  EXPECT_EQ(RenderValue(StatusValue("pending")), "pending");
  EXPECT_EQ(RenderValue(PriorityValue(v1::PRIORITY_URGENT)), "urgent");
  EXPECT_EQ(RenderValue(TypeValue(v1::TICKET_TYPE_INCIDENT)), "incident");
  EXPECT_EQ(RenderValue(AgentValue(0)), "0");
  EXPECT_EQ(RenderValue(ContactValue(7)), "7");
  EXPECT_EQ(RenderValue(FlagValue(false)), "false");
  EXPECT_EQ(RenderValue(TagsValue(std::vector<std::string>{"a", "b"})), "a,b");
  EXPECT_EQ(RenderValue(AgentsValue(std::vector<int64_t>{1, 3})), "1,3");
  EXPECT_EQ(RenderValue(TagsValue(std::vector<std::string>{})), "");
  v1::TicketLink link;
  link.set_kind(v1::TicketLink::DUPLICATED_BY);
  link.set_ticket_id(4);
  EXPECT_EQ(RenderValue(LinksValue(std::vector<v1::TicketLink>{link, link})),
            "duplicated_by:4,duplicated_by:4");
  EXPECT_EQ(RenderValue(RoleValue(v1::Agent::LIGHT_AGENT)), "light_agent");
  EXPECT_EQ(RenderValue(TicketAccessValue(v1::Agent::GROUPS)), "groups");
  EXPECT_EQ(RenderValue(PresenceValue(v1::PRESENCE_AWAY)), "away");
  v1::Skill skill;
  skill.set_name("spanish");
  skill.set_level(4);
  EXPECT_EQ(RenderValue(SkillsValue(std::vector<v1::Skill>{skill})), "spanish:4");
  v1::ChannelCapacity cap;
  cap.set_channel(v1::CHANNEL_WEB_FORM);
  cap.set_max_items(3);
  EXPECT_EQ(RenderValue(CapacityValue(std::vector<v1::ChannelCapacity>{cap})),
            "web_form:3");
  v1::CustomFieldValue when;
  *when.mutable_time() = ToTimestamp(absl::FromUnixSeconds(1767300000));
  EXPECT_EQ(RenderValue(CustomFieldValueOf(when)), "2026-01-01T20:40:00+00:00");
  v1::FieldValue legacy;
  legacy.set_legacy_text("as written");
  EXPECT_EQ(RenderValue(legacy), "as written");
}

}  // namespace
}  // namespace helpdesk
