// Macros: field changes as the audit log stores them, the message rendered
// over the changed ticket, and validation.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/audit.h"
#include "helpdesk/templates.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TemplateSet Templates() {
  TemplateSetConfig config;
  config.templates.push_back(
      {"solved",
       "Status: {{ticket.status}}, tags: {{ticket.tags | join: \",\"}}, "
       "{{#if ticket.assignee}}by {{ticket.assignee.name}}{{else}}by our team{{/if}}",
       ""});
  config.custom_fields = {"reason"};
  absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
  EXPECT_THAT(set, IsOk());
  return *set;
}

RenderContext Context() {
  RenderContext c;
  c.ticket.set_id(9);
  c.ticket.set_status("open");
  c.ticket.set_priority(v1::PRIORITY_NORMAL);
  c.ticket.set_assignee_id(3);
  c.ticket.add_tags("billing");
  c.ticket.add_tags("old");
  v1::Agent carla;
  carla.set_id(3);
  carla.set_name("Carla");
  c.assignee = carla;
  return c;
}

std::vector<std::string> Render(const MacroResult& r) {
  std::vector<std::string> out;
  for (const v1::FieldChange& c : r.changes) {
    out.push_back(FieldName(c) + ": " + RenderValue(c.before()) + " -> " + RenderValue(c.after()));
  }
  return out;
}

TEST(MacroTest, ChangesAndAReplyRenderedOverTheChangedTicket) {
  Macro macro;
  macro.name = "Close as solved";
  macro.template_name = "solved";
  macro.message = Macro::Message::kPublicReply;
  macro.status = "solved";
  macro.priority = v1::PRIORITY_NORMAL;  // unchanged: no change listed
  macro.add_tags = {"Done", "billing"};
  macro.remove_tags = {"old"};
  macro.set_custom_fields["reason"].set_text("fixed");
  ASSERT_OK_AND_ASSIGN(MacroResult r,
                       ApplyMacro(macro, Templates(), TemplateOutput::kText, Context()));
  EXPECT_THAT(Render(r), ElementsAre("status: open -> solved", "tags: billing,old -> billing,done",
                                     "custom_fields.reason:  -> fixed"));
  EXPECT_EQ(r.ticket.status(), "solved");
  EXPECT_EQ(r.message, Macro::Message::kPublicReply);
  ASSERT_TRUE(r.rendered.has_value());
  EXPECT_EQ(r.rendered->body, "Status: solved, tags: billing,done, by Carla");
}

TEST(MacroTest, ReassigningDropsTheOldAssigneeFromTheMessage) {
  Macro macro;
  macro.name = "To the pool";
  macro.template_name = "solved";
  macro.message = Macro::Message::kInternalNote;
  macro.assignee_id = 0;
  macro.group_id = 4;
  ASSERT_OK_AND_ASSIGN(MacroResult r,
                       ApplyMacro(macro, Templates(), TemplateOutput::kText, Context()));
  EXPECT_THAT(Render(r), ElementsAre("assignee_id: 3 -> 0", "group_id: 0 -> 4"));
  EXPECT_EQ(r.rendered->body, "Status: open, tags: billing,old, by our team");
}

TEST(MacroTest, FieldChangesOnlyHaveNoMessage) {
  Macro macro;
  macro.name = "Urgent";
  macro.priority = v1::PRIORITY_URGENT;
  macro.type = v1::TICKET_TYPE_INCIDENT;
  ASSERT_OK_AND_ASSIGN(MacroResult r,
                       ApplyMacro(macro, Templates(), TemplateOutput::kHtml, Context()));
  EXPECT_THAT(Render(r), ElementsAre("priority: normal -> urgent", "type: unspecified -> incident"));
  EXPECT_FALSE(r.rendered.has_value());
}

TEST(MacroTest, ValidationNamesTheMacroAndTheField) {
  const TemplateSet set = Templates();
  struct Case {
    Macro macro;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&cases](std::string message, auto edit) {
    Macro m;
    m.name = "m";
    edit(m);
    cases.push_back({m, std::move(message)});
  };
  add("macro: name is empty", [](Macro& m) { m.name = ""; });
  add("template_name 'nope' names no template", [](Macro& m) {
    m.message = Macro::Message::kPublicReply;
    m.template_name = "nope";
  });
  add("template_name 'solved' is set but the macro sends no message",
      [](Macro& m) { m.template_name = "solved"; });
  add("status", [](Macro& m) { m.status = " "; });
  add("priority 0 is not a priority", [](Macro& m) { m.priority = v1::PRIORITY_UNSPECIFIED; });
  add("type 0 is not a type", [](Macro& m) { m.type = v1::TICKET_TYPE_UNSPECIFIED; });
  add("assignee_id -1 is negative", [](Macro& m) { m.assignee_id = -1; });
  add("add_tags", [](Macro& m) { m.add_tags = {"two words"}; });
  add("tag 'x' is both added and removed", [](Macro& m) {
    m.add_tags = {"x"};
    m.remove_tags = {"X"};
  });
  add("unknown custom field 'color'",
      [](Macro& m) { m.set_custom_fields["color"].set_text("red"); });
  add("set_custom_fields['reason'] has no value",
      [](Macro& m) { m.set_custom_fields["reason"]; });
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_THAT(ValidateMacro(c.macro, set),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
    EXPECT_THAT(ApplyMacro(c.macro, set, TemplateOutput::kText, Context()),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace helpdesk
