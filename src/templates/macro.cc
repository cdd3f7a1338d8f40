// Macros: field changes and a message from a template, computed together as a
// pure function of the ticket. The Desk applies the result in one command.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/audit.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/templates.h"
#include "internal/text_checks.h"

namespace helpdesk {
namespace {

// The Desk's default tag limit (DeskLimits::max_tag_bytes); the Desk checks
// its own configured limit again when it applies the changes.
constexpr size_t kMaxTagBytes = 100;

absl::Status MacroError(const Macro& macro, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("macro ", internal::Quote(macro.name), ": ", what));
}

}  // namespace

absl::Status ValidateMacro(const Macro& macro, const TemplateSet& templates) {
  if (macro.name.empty()) return absl::InvalidArgumentError("macro: name is empty");
  if (macro.message == Macro::Message::kNone) {
    if (!macro.template_name.empty()) {
      return MacroError(macro, absl::StrCat("template_name ",
                                            internal::Quote(macro.template_name),
                                            " is set but the macro sends no message"));
    }
  } else if (!templates.Contains(macro.template_name)) {
    return MacroError(macro, absl::StrCat("template_name ", internal::Quote(macro.template_name),
                                          " names no template"));
  }
  if (macro.status) {
    HELPDESK_RETURN_IF_ERROR(internal::CheckRequiredText(
        absl::StrCat("macro ", internal::Quote(macro.name), " status"), *macro.status, 100));
  }
  if (macro.priority &&
      (*macro.priority == v1::PRIORITY_UNSPECIFIED || !v1::Priority_IsValid(*macro.priority))) {
    return MacroError(macro, absl::StrCat("priority ", static_cast<int>(*macro.priority),
                                          " is not a priority"));
  }
  if (macro.type &&
      (*macro.type == v1::TICKET_TYPE_UNSPECIFIED || !v1::TicketType_IsValid(*macro.type))) {
    return MacroError(macro,
                      absl::StrCat("type ", static_cast<int>(*macro.type), " is not a type"));
  }
  if (macro.group_id && *macro.group_id < 0) {
    return MacroError(macro, absl::StrCat("group_id ", *macro.group_id, " is negative"));
  }
  if (macro.assignee_id && *macro.assignee_id < 0) {
    return MacroError(macro, absl::StrCat("assignee_id ", *macro.assignee_id, " is negative"));
  }
  std::set<std::string> added;
  for (const std::string& tag : macro.add_tags) {
    HELPDESK_ASSIGN_OR_RETURN(
        std::string normal,
        internal::NormalizeTag(absl::StrCat("macro ", internal::Quote(macro.name), " add_tags"),
                               tag, kMaxTagBytes));
    added.insert(normal);
  }
  for (const std::string& tag : macro.remove_tags) {
    HELPDESK_ASSIGN_OR_RETURN(
        std::string normal,
        internal::NormalizeTag(
            absl::StrCat("macro ", internal::Quote(macro.name), " remove_tags"), tag,
            kMaxTagBytes));
    if (added.contains(normal)) {
      return MacroError(macro, absl::StrCat("tag ", internal::Quote(normal),
                                            " is both added and removed"));
    }
  }
  for (const auto& [name, value] : macro.set_custom_fields) {
    if (!templates.HasCustomField(name)) {
      return MacroError(macro, absl::StrCat("set_custom_fields: unknown custom field ",
                                            internal::Quote(name)));
    }
    if (value.value_case() == v1::CustomFieldValue::VALUE_NOT_SET) {
      return MacroError(macro, absl::StrCat("set_custom_fields[", internal::Quote(name),
                                            "] has no value"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<MacroResult> ApplyMacro(const Macro& macro, const TemplateSet& templates,
                                       TemplateOutput output, const RenderContext& context) {
  HELPDESK_RETURN_IF_ERROR(ValidateMacro(macro, templates));
  MacroResult result;
  result.message = macro.message;
  v1::Ticket& ticket = result.ticket;
  ticket = context.ticket;
  auto* changes = &result.changes;
  if (macro.status && *macro.status != ticket.status()) {
    AddChange(changes, v1::FieldChange::STATUS, StatusValue(ticket.status()),
              StatusValue(*macro.status));
    ticket.set_status(*macro.status);
  }
  if (macro.priority && *macro.priority != ticket.priority()) {
    AddChange(changes, v1::FieldChange::PRIORITY, PriorityValue(ticket.priority()),
              PriorityValue(*macro.priority));
    ticket.set_priority(*macro.priority);
  }
  if (macro.type && *macro.type != ticket.type()) {
    AddChange(changes, v1::FieldChange::TYPE, TypeValue(ticket.type()),
              TypeValue(*macro.type));
    ticket.set_type(*macro.type);
  }
  if (macro.assignee_id && *macro.assignee_id != ticket.assignee_id()) {
    AddChange(changes, v1::FieldChange::ASSIGNEE, AgentValue(ticket.assignee_id()),
              AgentValue(*macro.assignee_id));
    ticket.set_assignee_id(*macro.assignee_id);
  }
  if (macro.group_id && *macro.group_id != ticket.group_id()) {
    AddChange(changes, v1::FieldChange::GROUP, GroupValue(ticket.group_id()),
              GroupValue(*macro.group_id));
    ticket.set_group_id(*macro.group_id);
  }
  // The changes are those Desk::tickets().Update writes for the same fields
  // (values on both sides, 0 for "none").
  // Tags as the Desk keeps them: normalised, sorted, once each.
  std::set<std::string> tags(ticket.tags().begin(), ticket.tags().end());
  const std::vector<std::string> before(tags.begin(), tags.end());
  for (const std::string& tag : macro.add_tags) {
    tags.insert(*internal::NormalizeTag("add_tags", tag, kMaxTagBytes));
  }
  for (const std::string& tag : macro.remove_tags) {
    tags.erase(*internal::NormalizeTag("remove_tags", tag, kMaxTagBytes));
  }
  const std::vector<std::string> after(tags.begin(), tags.end());
  if (after != before) {
    AddChange(changes, v1::FieldChange::TAGS, TagsValue(before), TagsValue(after));
    ticket.clear_tags();
    for (const std::string& tag : after) ticket.add_tags(tag);
  }
  for (const auto& [name, value] : macro.set_custom_fields) {
    auto it = ticket.custom_fields().find(name);
    std::optional<v1::FieldValue> old;
    if (it != ticket.custom_fields().end()) {
      if (it->second.SerializeAsString() == value.SerializeAsString()) continue;
      old = CustomFieldValueOf(it->second);
    }
    AddCustomFieldChange(changes, name, old, CustomFieldValueOf(value));
    (*ticket.mutable_custom_fields())[name] = value;
  }
  if (macro.message == Macro::Message::kNone) return result;
  RenderContext changed = context;
  changed.ticket = ticket;
  if (changed.assignee && changed.assignee->id() != ticket.assignee_id()) {
    changed.assignee.reset();
  }
  if (changed.group && changed.group->id() != ticket.group_id()) changed.group.reset();
  HELPDESK_ASSIGN_OR_RETURN(RenderedMessage rendered,
                            templates.Render(macro.template_name, output, changed));
  result.rendered = std::move(rendered);
  return result;
}

}  // namespace helpdesk
