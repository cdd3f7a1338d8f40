// Knowledge base: Markdown to safe HTML and to plain text, with cmark.
#include <cmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/kb.h"
#include "internal/text_checks.h"

namespace helpdesk {
namespace {

struct NodeDeleter {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};
using NodePtr = std::unique_ptr<cmark_node, NodeDeleter>;

// The scheme of a URL ("javascript" for " JavaScript:alert(1)"), lower
// case, ignoring ASCII whitespace and control characters as browsers do;
// empty for a relative URL.
std::string SchemeOf(absl::string_view url) {
  std::string cleaned;
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) continue;
    cleaned.push_back(c);
  }
  std::string scheme;
  for (char c : cleaned) {
    if (c == ':') return absl::AsciiStrToLower(scheme);
    if (c == '/' || c == '?' || c == '#') return "";
    scheme.push_back(c);
  }
  return "";
}

absl::StatusOr<NodePtr> Parse(absl::string_view markdown) {
  if (markdown.size() > kMaxMarkdownBytes) {
    return absl::InvalidArgumentError(absl::StrCat("body_markdown: ", markdown.size(),
                                                   " bytes is over the limit of ",
                                                   kMaxMarkdownBytes));
  }
  if (size_t bad = internal::FindInvalidUtf8(markdown); bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("body_markdown: invalid UTF-8 at byte ", bad));
  }
  NodePtr doc(cmark_parse_document(markdown.data(), markdown.size(), CMARK_OPT_DEFAULT));
  if (doc == nullptr) return absl::InternalError("body_markdown: cmark failed to parse");
  int depth = 0;
  cmark_iter* iter = cmark_iter_new(doc.get());
  cmark_event_type ev;
  bool too_deep = false;
  while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
    if (ev == CMARK_EVENT_ENTER && cmark_node_first_child(cmark_iter_get_node(iter)) != nullptr) {
      if (++depth > kMaxMarkdownDepth) {
        too_deep = true;
        break;
      }
    } else if (ev == CMARK_EVENT_EXIT) {
      --depth;
    }
  }
  cmark_iter_free(iter);
  if (too_deep) {
    return absl::InvalidArgumentError(absl::StrCat(
        "body_markdown: nested deeper than ", kMaxMarkdownDepth, " levels"));
  }
  return doc;
}

// Replaces `node` by its children (in place).
void Unwrap(cmark_node* node) {
  while (cmark_node* child = cmark_node_first_child(node)) {
    cmark_node_unlink(child);
    cmark_node_insert_before(node, child);
  }
  cmark_node_unlink(node);
  cmark_node_free(node);
}

// Drops raw HTML (unless allowed) and unsafe links and images.
void Sanitize(cmark_node* doc, bool allow_raw_html) {
  std::vector<cmark_node*> nodes;
  cmark_iter* iter = cmark_iter_new(doc);
  cmark_event_type ev;
  while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
    if (ev == CMARK_EVENT_ENTER) nodes.push_back(cmark_iter_get_node(iter));
  }
  cmark_iter_free(iter);
  // Children come after their parents: walk backwards so a node is handled
  // before the parent it may be moved out of.
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    cmark_node* n = *it;
    switch (cmark_node_get_type(n)) {
      case CMARK_NODE_HTML_BLOCK:
      case CMARK_NODE_HTML_INLINE:
        if (!allow_raw_html) {
          cmark_node_unlink(n);
          cmark_node_free(n);
        }
        break;
      case CMARK_NODE_LINK: {
        const char* url = cmark_node_get_url(n);
        if (!IsSafeKbUrl(url == nullptr ? "" : url, false)) Unwrap(n);
        break;
      }
      case CMARK_NODE_IMAGE: {
        const char* url = cmark_node_get_url(n);
        if (!IsSafeKbUrl(url == nullptr ? "" : url, true)) Unwrap(n);
        break;
      }
      default:
        break;
    }
  }
}

void AppendPlain(cmark_node* node, std::string* out) {
  for (cmark_node* c = cmark_node_first_child(node); c != nullptr; c = cmark_node_next(c)) {
    switch (cmark_node_get_type(c)) {
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE: {
        const char* s = cmark_node_get_literal(c);
        if (s != nullptr) out->append(s);
        break;
      }
      case CMARK_NODE_CODE_BLOCK: {
        const char* s = cmark_node_get_literal(c);
        if (s != nullptr) absl::StrAppend(out, s, "\n");
        break;
      }
      case CMARK_NODE_SOFTBREAK:
        out->push_back(' ');
        break;
      case CMARK_NODE_LINEBREAK:
        out->push_back('\n');
        break;
      case CMARK_NODE_HTML_BLOCK:
      case CMARK_NODE_HTML_INLINE:
        break;
      case CMARK_NODE_PARAGRAPH:
      case CMARK_NODE_HEADING:
        AppendPlain(c, out);
        out->push_back('\n');
        break;
      default:
        AppendPlain(c, out);
    }
  }
}

}  // namespace

bool IsSafeKbUrl(absl::string_view url, bool for_image) {
  const std::string scheme = SchemeOf(url);
  if (scheme.empty()) return true;
  if (scheme == "http" || scheme == "https") return true;
  return !for_image && scheme == "mailto";
}

absl::StatusOr<std::string> RenderMarkdown(absl::string_view markdown,
                                           const MarkdownOptions& options) {
  absl::StatusOr<NodePtr> doc = Parse(markdown);
  if (!doc.ok()) return doc.status();
  Sanitize(doc->get(), options.allow_raw_html);
  char* html = cmark_render_html(doc->get(),
                                 options.allow_raw_html ? CMARK_OPT_UNSAFE : CMARK_OPT_DEFAULT);
  if (html == nullptr) return absl::InternalError("body_markdown: cmark failed to render");
  std::string out(html);
  free(html);
  return out;
}

absl::StatusOr<std::string> MarkdownToPlainText(absl::string_view markdown) {
  absl::StatusOr<NodePtr> doc = Parse(markdown);
  if (!doc.ok()) return doc.status();
  std::string out;
  AppendPlain(doc->get(), &out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace helpdesk
