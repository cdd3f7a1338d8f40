// TemplateSet: validates a whole set of templates and layouts at once, and
// renders a template inside the layout its ticket's group or brand chooses.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "helpdesk/templates.h"
#include "internal/text_checks.h"
#include "templates/template_program.h"

namespace helpdesk {

using templates_internal::Program;

namespace {

constexpr size_t kDefaultMaxTemplateBytes = 64 * 1024;
constexpr size_t kDefaultMaxOutputBytes = 1024 * 1024;
constexpr size_t kMaxErrorsShown = 20;

}  // namespace

namespace templates_internal {

// A template's or layout's two bodies, parsed.
struct Compiled {
  Program text;
  Program html;
};

}  // namespace templates_internal

using templates_internal::Compiled;

struct TemplateSet::Rep {
  absl::flat_hash_map<std::string, Compiled> templates;
  absl::flat_hash_map<std::string, Compiled> layouts;
  std::string default_layout;
  std::map<int64_t, std::string> layout_by_group;
  std::map<std::string, std::string> layout_by_brand;
  absl::flat_hash_set<std::string> custom_fields;
  size_t max_output_bytes = kDefaultMaxOutputBytes;
};

namespace {

// Compiles one source's text and HTML bodies, adding problems to `errors`.
Compiled Compile(const TemplateSource& source, bool is_layout,
                  const absl::flat_hash_set<std::string>& custom_fields, size_t max_bytes,
                  std::vector<std::string>* errors) {
  templates_internal::ParseOptions options;
  options.kind = is_layout ? "layout" : "template";
  options.name = source.name;
  options.max_bytes = max_bytes;
  options.custom_fields = &custom_fields;
  options.allow_content = is_layout;
  Compiled compiled;
  const size_t before = errors->size();
  if (source.text.empty()) {
    errors->push_back(absl::StrCat(options.kind, " ", internal::Quote(source.name),
                                   ": the text body is empty"));
  }
  compiled.text = templates_internal::ParseTemplate(source.text, options, errors);
  if (source.html.empty()) {
    compiled.html = compiled.text;
  } else {
    options.kind = is_layout ? "layout (html)" : "template (html)";
    compiled.html = templates_internal::ParseTemplate(source.html, options, errors);
    compiled.html.literal_is_html = true;
  }
  if (is_layout && errors->size() == before) {
    if (compiled.text.content_count != 1 || compiled.html.content_count != 1) {
      errors->push_back(absl::StrCat("layout ", internal::Quote(source.name),
                                     ": needs exactly one top-level {{content}} in each body"));
    }
  }
  return compiled;
}

}  // namespace

TemplateSet::TemplateSet(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

absl::StatusOr<TemplateSet> TemplateSet::Create(const TemplateSetConfig& config) {
  auto rep = std::make_shared<Rep>();
  std::vector<std::string> errors;
  for (const std::string& field : config.custom_fields) {
    if (field.empty()) errors.push_back("custom_fields: an empty name");
    rep->custom_fields.insert(field);
  }
  const size_t max_bytes =
      config.max_template_bytes == 0 ? kDefaultMaxTemplateBytes : config.max_template_bytes;
  if (config.max_output_bytes != 0) rep->max_output_bytes = config.max_output_bytes;
  auto compile_all = [&](const std::vector<TemplateSource>& sources, bool is_layout,
                         absl::flat_hash_map<std::string, Compiled>* into) {
    const absl::string_view kind = is_layout ? "layout" : "template";
    for (const TemplateSource& source : sources) {
      if (source.name.empty()) {
        errors.push_back(absl::StrCat(kind, " with an empty name"));
        continue;
      }
      Compiled compiled = Compile(source, is_layout, rep->custom_fields, max_bytes, &errors);
      if (!into->emplace(source.name, std::move(compiled)).second) {
        errors.push_back(absl::StrCat(kind, " ", internal::Quote(source.name),
                                      ": the name is used twice"));
      }
    }
  };
  compile_all(config.templates, false, &rep->templates);
  compile_all(config.layouts, true, &rep->layouts);
  auto check_layout = [&](absl::string_view field, const std::string& name) {
    if (!rep->layouts.contains(name)) {
      errors.push_back(absl::StrCat(field, ": no layout named ", internal::Quote(name)));
    }
  };
  if (!config.default_layout.empty()) check_layout("default_layout", config.default_layout);
  for (const auto& [group, name] : config.layout_by_group) {
    check_layout(absl::StrCat("layout_by_group[", group, "]"), name);
  }
  for (const auto& [brand, name] : config.layout_by_brand) {
    check_layout(absl::StrCat("layout_by_brand[", internal::Quote(brand), "]"), name);
  }
  if (!errors.empty()) {
    const size_t total = errors.size();
    if (total > kMaxErrorsShown) errors.resize(kMaxErrorsShown);
    std::string message = absl::StrJoin(errors, "; ");
    if (total > kMaxErrorsShown) {
      absl::StrAppend(&message, "; and ", total - kMaxErrorsShown, " more");
    }
    return absl::InvalidArgumentError(message);
  }
  rep->default_layout = config.default_layout;
  rep->layout_by_group = config.layout_by_group;
  rep->layout_by_brand = config.layout_by_brand;
  return TemplateSet(std::move(rep));
}

bool TemplateSet::Contains(absl::string_view name) const {
  return rep_->templates.contains(name);
}

bool TemplateSet::HasCustomField(absl::string_view name) const {
  return rep_->custom_fields.contains(name);
}

std::string TemplateSet::LayoutFor(const RenderContext& context) const {
  if (auto it = rep_->layout_by_group.find(context.ticket.group_id());
      context.ticket.group_id() != 0 && it != rep_->layout_by_group.end()) {
    return it->second;
  }
  if (auto it = rep_->layout_by_brand.find(context.brand);
      !context.brand.empty() && it != rep_->layout_by_brand.end()) {
    return it->second;
  }
  return rep_->default_layout;
}

absl::StatusOr<RenderedMessage> TemplateSet::RenderBody(absl::string_view name,
                                                        TemplateOutput output,
                                                        const RenderContext& context) const {
  auto it = rep_->templates.find(name);
  if (it == rep_->templates.end()) {
    return absl::NotFoundError(absl::StrCat("template: no template named ", internal::Quote(name)));
  }
  RenderedMessage rendered;
  rendered.output = output;
  const Program& program =
      output == TemplateOutput::kHtml ? it->second.html : it->second.text;
  if (!templates_internal::RenderProgram(program, output, context, "", rep_->max_output_bytes,
                                         &rendered.body, &rendered.warnings)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("template ", internal::Quote(name), ": the output passes the limit of ",
                     rep_->max_output_bytes, " bytes (or of rendering work)"));
  }
  return rendered;
}

absl::StatusOr<RenderedMessage> TemplateSet::Render(absl::string_view name,
                                                    TemplateOutput output,
                                                    const RenderContext& context) const {
  absl::StatusOr<RenderedMessage> body = RenderBody(name, output, context);
  if (!body.ok()) return body;
  const std::string layout_name = LayoutFor(context);
  if (layout_name.empty()) return body;
  const Compiled& layout = rep_->layouts.at(layout_name);
  RenderedMessage rendered;
  rendered.output = output;
  rendered.layout = layout_name;
  std::vector<std::string> layout_warnings;
  const Program& program = output == TemplateOutput::kHtml ? layout.html : layout.text;
  if (!templates_internal::RenderProgram(program, output, context, body->body,
                                         rep_->max_output_bytes, &rendered.body,
                                         &layout_warnings)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("template ", internal::Quote(name), " in layout ",
                     internal::Quote(layout_name), ": the output passes the limit of ",
                     rep_->max_output_bytes, " bytes (or of rendering work)"));
  }
  rendered.warnings = std::move(body->warnings);
  for (std::string& w : layout_warnings) {
    bool seen = false;
    for (const std::string& existing : rendered.warnings) seen = seen || existing == w;
    if (!seen) rendered.warnings.push_back(std::move(w));
  }
  return rendered;
}

}  // namespace helpdesk
