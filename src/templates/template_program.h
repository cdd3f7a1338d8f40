// Internal: a parsed and validated template (a "program": a tree of nodes
// whose placeholders are resolved to variables), the parser that builds it,
// and the renderer that runs it. TemplateSet (template_set.cc) holds programs;
// the grammar is in docs/templates.md.
#ifndef HELPDESK_SRC_TEMPLATES_TEMPLATE_PROGRAM_H_
#define HELPDESK_SRC_TEMPLATES_TEMPLATE_PROGRAM_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "helpdesk/templates.h"

namespace helpdesk::templates_internal {

// Sections nest at most this deep (rendering recurses once per level).
inline constexpr int kMaxSectionDepth = 16;

// Every variable a placeholder can name. Item variables (kTag ... kLinkHtml)
// name the current element of an enclosing {{#each}}.
enum class Var {
  kTicketId,
  kTicketSubject,
  kTicketStatus,
  kTicketPriority,
  kTicketType,
  kTicketTags,
  kTicketField,  // key: the custom field's name
  kTicketGroup,
  kTicketGroupName,
  kTicketAssignee,
  kTicketAssigneeName,
  kTicketAssigneeEmail,
  kTicketCreatedAt,
  kTicketUpdatedAt,
  kTicketLatestMessage,
  kTicketLatestMessageBody,
  kTicketLatestMessageCreatedAt,
  kTicketThread,
  kContactName,
  kContactEmail,
  kContactEmails,
  kContactLocale,
  kContactTimeZone,
  kOrganization,
  kOrganizationName,
  kAgent,
  kAgentName,
  kAgentEmail,
  kSlaDueAt,  // key: the metric's SlaMetricName
  kTrackingLink,
  kKbLinks,
  kBrand,
  // Items of a loop.
  kString,          // an element of a list of strings
  kMessageBody,
  kMessageCreatedAt,
  kMessageFromCustomer,
  kLinkTitle,
  kLinkUrl,
  kLinkHtml,
};

// What a variable holds, which decides where it may appear.
enum class VarType {
  kString,
  kTime,
  kHtml,  // host-made markup (KbLink::html)
  kFlag,
  kObject,
  kStringList,
  kMessageList,
  kLinkList,
};

struct Ref {
  Var var = Var::kTicketId;
  std::string key;
  // For item variables: the index of the enclosing loop (0 = outermost).
  int loop = -1;
};

struct Node {
  enum class Kind { kText, kValue, kIf, kEach, kContent };
  Kind kind = Kind::kText;
  std::string text;  // kText
  Ref ref;           // kValue, kIf, kEach
  // kValue helpers.
  std::optional<std::string> fallback;     // | default: "..."
  std::optional<std::string> date_format;  // | date (empty: locale default)
  std::optional<std::string> join;         // | join: ", "
  std::vector<Node> body;       // kIf: then; kEach: per element
  std::vector<Node> otherwise;  // {{else}}: kIf false, kEach empty list
};

struct Program {
  std::vector<Node> nodes;
  // Literal text is HTML: copied as is in HTML output. False for a text
  // body rendered as HTML (literals escaped, line breaks as <br>).
  bool literal_is_html = false;
  int content_count = 0;  // top-level {{content}} tags (layouts)
};

struct ParseOptions {
  absl::string_view kind = "template";  // "template" or "layout"
  absl::string_view name;
  size_t max_bytes = 64 * 1024;
  const absl::flat_hash_set<std::string>* custom_fields = nullptr;
  bool allow_content = false;
};

// Parses and validates `source`. Problems are appended to `errors` as
// "<kind> \"<name>\" L:C: <what>"; the program is meaningful only when none
// were added. Never recurses on the input; linear in its size.
Program ParseTemplate(absl::string_view source, const ParseOptions& options,
                      std::vector<std::string>* errors);

struct RenderLimits {
  size_t max_output_bytes = 1024 * 1024;
};

// Renders `program` over `context`, appending to `out`. `content` is what a
// layout's {{content}} shows (already in the output's format). Returns false
// when the output would pass the limit (then `out` is partial).
bool RenderProgram(const Program& program, TemplateOutput output,
                   const RenderContext& context, absl::string_view content,
                   size_t max_output_bytes, std::string* out,
                   std::vector<std::string>* warnings);

// True when FormatLocalDate has names for `locale`'s language.
bool IsKnownLocale(absl::string_view locale);

// HTML-escapes & < > " ' into `out`.
void AppendHtmlEscaped(absl::string_view value, std::string* out);

}  // namespace helpdesk::templates_internal

#endif  // HELPDESK_SRC_TEMPLATES_TEMPLATE_PROGRAM_H_
