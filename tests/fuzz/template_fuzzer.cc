// Fuzzes the template language (helpdesk/templates.h): the input is a
// template's text body, its HTML body and a layout at once; whatever
// TemplateSet::Create accepts is rendered as text and as HTML over a context
// with every object present, and over an empty one. Any status is fine; a
// crash, leak or hang is not, and neither is an accepted template whose
// sections do not balance (checked by an independent count).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "helpdesk/templates.h"

namespace {

bool Balanced(absl::string_view s) {
  std::vector<bool> is_if;
  size_t i = 0;
  while ((i = s.find("{{", i)) != absl::string_view::npos) {
    size_t end = s.find("}}", i + 2);
    if (end == absl::string_view::npos) return false;
    absl::string_view tag = absl::StripAsciiWhitespace(s.substr(i + 2, end - i - 2));
    if (absl::StartsWith(tag, "#if")) is_if.push_back(true);
    if (absl::StartsWith(tag, "#each")) is_if.push_back(false);
    if (absl::StartsWith(tag, "/")) {
      if (is_if.empty() || is_if.back() != absl::StartsWith(tag, "/if")) return false;
      is_if.pop_back();
    }
    i = end + 2;
  }
  return is_if.empty();
}

helpdesk::RenderContext Full() {
  helpdesk::RenderContext c;
  c.ticket.set_id(1);
  c.ticket.set_subject("<s>\"'&");
  c.ticket.add_tags("a");
  c.ticket.set_group_id(2);
  c.contact.set_name("n");
  c.contact.set_time_zone("Europe/Madrid");
  c.contact.set_locale("fr");
  helpdesk::v1::Message m;
  m.set_kind(helpdesk::v1::Message::CUSTOMER_MESSAGE);
  m.set_body_text("b");
  c.thread = {m, m};
  c.organization.emplace().set_name("o");
  c.agent.emplace().set_name("ag");
  c.assignee.emplace().set_name("as");
  c.group.emplace().set_name("g");
  c.kb_links.push_back({"t", "u", "<a>"});
  c.tracking_link = "l";
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  helpdesk::TemplateSetConfig config;
  config.max_output_bytes = 1 << 16;
  config.custom_fields = {"order"};
  config.templates.push_back({"t", text.empty() ? "x" : text, text});
  config.layouts.push_back({"l", "{{content}}" + text, ""});
  config.default_layout = "l";
  absl::StatusOr<helpdesk::TemplateSet> with_layout = helpdesk::TemplateSet::Create(config);
  config.layouts.clear();
  config.default_layout.clear();
  absl::StatusOr<helpdesk::TemplateSet> set = helpdesk::TemplateSet::Create(config);
  const helpdesk::RenderContext full = Full();
  const helpdesk::RenderContext empty;
  for (const auto* s : {&with_layout, &set}) {
    if (!s->ok()) continue;
    if (!Balanced(text)) __builtin_trap();
    for (const helpdesk::RenderContext* c : {&full, &empty}) {
      (void)(*s)->Render("t", helpdesk::TemplateOutput::kText, *c);
      (void)(*s)->Render("t", helpdesk::TemplateOutput::kHtml, *c);
    }
  }
  return 0;
}
