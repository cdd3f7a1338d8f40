// The template parser and validator: one pass over the source with an
// explicit stack of open sections (no recursion on the input), resolving every
// placeholder to a variable and checking where it may appear.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "helpdesk/sla.h"
#include "internal/text_checks.h"
#include "templates/template_program.h"

namespace helpdesk::templates_internal {
namespace {

using internal::Quote;

struct VarInfo {
  Ref ref;
  VarType type = VarType::kString;
  // The value may be missing (empty or unset): it needs a fallback or a
  // guard.
  bool may_be_absent = false;
};

struct FixedVar {
  absl::string_view path;
  Var var;
  VarType type;
  bool may_be_absent;
};

constexpr FixedVar kFixedVars[] = {
    {"ticket.id", Var::kTicketId, VarType::kString, false},
    {"ticket.subject", Var::kTicketSubject, VarType::kString, false},
    {"ticket.status", Var::kTicketStatus, VarType::kString, false},
    {"ticket.priority", Var::kTicketPriority, VarType::kString, false},
    {"ticket.type", Var::kTicketType, VarType::kString, true},
    {"ticket.tags", Var::kTicketTags, VarType::kStringList, false},
    {"ticket.group", Var::kTicketGroup, VarType::kObject, true},
    {"ticket.group.name", Var::kTicketGroupName, VarType::kString, true},
    {"ticket.assignee", Var::kTicketAssignee, VarType::kObject, true},
    {"ticket.assignee.name", Var::kTicketAssigneeName, VarType::kString, true},
    {"ticket.assignee.email", Var::kTicketAssigneeEmail, VarType::kString, true},
    {"ticket.created_at", Var::kTicketCreatedAt, VarType::kTime, false},
    {"ticket.updated_at", Var::kTicketUpdatedAt, VarType::kTime, false},
    {"ticket.latest_message", Var::kTicketLatestMessage, VarType::kObject, true},
    {"ticket.latest_message.body", Var::kTicketLatestMessageBody, VarType::kString, true},
    {"ticket.latest_message.created_at", Var::kTicketLatestMessageCreatedAt, VarType::kTime,
     true},
    {"ticket.thread", Var::kTicketThread, VarType::kMessageList, false},
    {"contact.name", Var::kContactName, VarType::kString, true},
    {"contact.email", Var::kContactEmail, VarType::kString, true},
    {"contact.emails", Var::kContactEmails, VarType::kStringList, false},
    {"contact.locale", Var::kContactLocale, VarType::kString, true},
    {"contact.time_zone", Var::kContactTimeZone, VarType::kString, true},
    {"organization", Var::kOrganization, VarType::kObject, true},
    {"organization.name", Var::kOrganizationName, VarType::kString, true},
    {"agent", Var::kAgent, VarType::kObject, true},
    {"agent.name", Var::kAgentName, VarType::kString, true},
    {"agent.email", Var::kAgentEmail, VarType::kString, true},
    {"tracking_link", Var::kTrackingLink, VarType::kString, true},
    {"kb.links", Var::kKbLinks, VarType::kLinkList, false},
    {"brand", Var::kBrand, VarType::kString, true},
};

// Words a loop may not bind (they start the fixed variables).
constexpr absl::string_view kReservedNames[] = {
    "ticket", "contact", "organization", "agent", "sla", "tracking_link", "kb", "brand",
    "content", "else", "if", "each"};

struct Position {
  int line = 1;
  int column = 1;
};

// Advances `pos` over `text` (columns count UTF-8 code points).
void Advance(absl::string_view text, Position* pos) {
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      ++pos->line;
      pos->column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++pos->column;
    }
  }
}

bool IsPathChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(s[0])) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

struct OpenSection {
  Node* node = nullptr;
  bool in_else = false;
  Position at;
  std::string tag;  // "#if ticket.assignee", for messages
  std::string path;
  // For #each: the item's name and the list's type.
  std::string binding;
  VarType list_type = VarType::kStringList;
};

class Parser {
 public:
  Parser(absl::string_view source, const ParseOptions& options,
         std::vector<std::string>* errors)
      : source_(source), options_(options), errors_(errors) {}

  Program Run();

 private:
  void Error(Position at, absl::string_view what) {
    errors_->push_back(absl::StrCat(options_.kind, " ", Quote(options_.name), " ", at.line,
                                    ":", at.column, ": ", what));
  }
  std::vector<Node>* Target() {
    if (open_.empty()) return &program_.nodes;
    OpenSection& top = open_.back();
    return top.in_else ? &top.node->otherwise : &top.node->body;
  }
  void Tag(absl::string_view body, Position at);
  void Section(absl::string_view body, Position at);
  void Close(absl::string_view body, Position at);
  void Value(absl::string_view body, Position at);
  // Resolves a dotted path in the current scope; nullopt after reporting.
  std::optional<VarInfo> Resolve(absl::string_view path, Position at);
  bool Guarded(absl::string_view path) const;

  absl::string_view source_;
  const ParseOptions& options_;
  std::vector<std::string>* errors_;
  Program program_;
  std::vector<OpenSection> open_;
};

Program Parser::Run() {
  if (source_.size() > options_.max_bytes) {
    Error(Position{}, absl::StrCat("is ", source_.size(), " bytes, over the limit of ",
                                   options_.max_bytes));
    return program_;
  }
  if (size_t bad = internal::FindInvalidUtf8(source_); bad != absl::string_view::npos) {
    Position at;
    Advance(source_.substr(0, bad), &at);
    Error(at, "is not valid UTF-8");
    return program_;
  }
  Position pos;
  size_t i = 0;
  while (i < source_.size()) {
    size_t open = source_.find("{{", i);
    absl::string_view literal =
        source_.substr(i, open == absl::string_view::npos ? absl::string_view::npos : open - i);
    if (!literal.empty()) {
      std::vector<Node>* target = Target();
      if (!target->empty() && target->back().kind == Node::Kind::kText) {
        target->back().text.append(literal.data(), literal.size());
      } else {
        Node node;
        node.kind = Node::Kind::kText;
        node.text = std::string(literal);
        target->push_back(std::move(node));
      }
      Advance(literal, &pos);
    }
    if (open == absl::string_view::npos) break;
    const Position at = pos;
    size_t close = source_.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      Error(at, "'{{' is never closed with '}}'");
      return program_;
    }
    absl::string_view whole = source_.substr(open, close + 2 - open);
    Tag(absl::StripAsciiWhitespace(whole.substr(2, whole.size() - 4)), at);
    Advance(whole, &pos);
    i = close + 2;
  }
  for (const OpenSection& section : open_) {
    Error(section.at, absl::StrCat("{{", section.tag, "}} is never closed"));
  }
  return program_;
}

void Parser::Tag(absl::string_view body, Position at) {
  if (body.empty()) {
    Error(at, "empty tag {{}}");
    return;
  }
  if (body[0] == '!') return;  // a comment
  if (body[0] == '#') {
    Section(body, at);
    return;
  }
  if (body[0] == '/') {
    Close(body, at);
    return;
  }
  if (body == "else") {
    if (open_.empty()) {
      Error(at, "{{else}} outside {{#if}} or {{#each}}");
    } else if (open_.back().in_else) {
      Error(at, absl::StrCat("second {{else}} in {{", open_.back().tag, "}}"));
    } else {
      open_.back().in_else = true;
    }
    return;
  }
  if (body == "content") {
    if (!options_.allow_content) {
      Error(at, "{{content}} belongs in a layout");
    } else if (!open_.empty()) {
      Error(at, "{{content}} inside a section");
    } else {
      Node node;
      node.kind = Node::Kind::kContent;
      Target()->push_back(std::move(node));
      ++program_.content_count;
    }
    return;
  }
  Value(body, at);
}

void Parser::Section(absl::string_view body, Position at) {
  std::vector<absl::string_view> words =
      absl::StrSplit(body, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  const bool is_if = words[0] == "#if";
  const bool is_each = words[0] == "#each";
  if (!is_if && !is_each) {
    Error(at, absl::StrCat("unknown section ", Quote(words[0]), " (use #if or #each)"));
    return;
  }
  if (static_cast<int>(open_.size()) >= kMaxSectionDepth) {
    Error(at, absl::StrCat("sections nest deeper than ", kMaxSectionDepth));
    return;
  }
  if ((is_if && words.size() != 2) ||
      (is_each && (words.size() != 4 || words[2] != "as"))) {
    Error(at, is_if ? "write {{#if <variable>}}" : "write {{#each <list> as <name>}}");
    return;
  }
  std::optional<VarInfo> info = Resolve(words[1], at);
  if (!info) return;
  OpenSection section;
  section.at = at;
  section.tag = std::string(body);
  section.path = std::string(words[1]);
  Node node;
  node.ref = info->ref;
  if (is_if) {
    node.kind = Node::Kind::kIf;
  } else {
    if (info->type != VarType::kStringList && info->type != VarType::kMessageList &&
        info->type != VarType::kLinkList) {
      Error(at, absl::StrCat(Quote(words[1]), " is not a list"));
      return;
    }
    absl::string_view name = words[3];
    bool reserved = !IsIdentifier(name);
    for (absl::string_view r : kReservedNames) reserved = reserved || name == r;
    for (const OpenSection& s : open_) reserved = reserved || s.binding == name;
    if (reserved) {
      Error(at, absl::StrCat("loop name ", Quote(name),
                             " must be a new identifier (not a variable's first word)"));
      return;
    }
    node.kind = Node::Kind::kEach;
    section.binding = std::string(name);
    section.list_type = info->type;
  }
  std::vector<Node>* target = Target();
  target->push_back(std::move(node));
  section.node = &target->back();
  open_.push_back(std::move(section));
}

void Parser::Close(absl::string_view body, Position at) {
  absl::string_view what = body.substr(1);
  if (what != "if" && what != "each") {
    Error(at, absl::StrCat("unknown closing tag ", Quote(body), " (use /if or /each)"));
    return;
  }
  if (open_.empty()) {
    Error(at, absl::StrCat("{{", body, "}} closes nothing"));
    return;
  }
  const OpenSection& top = open_.back();
  const bool top_is_if = top.node->kind == Node::Kind::kIf;
  if ((what == "if") != top_is_if) {
    Error(at, absl::StrCat("{{", body, "}} closes {{", top.tag, "}} opened at ", top.at.line,
                           ":", top.at.column));
  }
  open_.pop_back();
}

bool Parser::Guarded(absl::string_view path) const {
  for (const OpenSection& s : open_) {
    if (s.node->kind != Node::Kind::kIf || s.in_else) continue;
    if (path == s.path ||
        (absl::StartsWith(path, s.path) && path.size() > s.path.size() &&
         path[s.path.size()] == '.')) {
      return true;
    }
  }
  return false;
}

std::optional<VarInfo> Parser::Resolve(absl::string_view path, Position at) {
  bool well_formed = !path.empty();
  for (char c : path) well_formed = well_formed && IsPathChar(c);
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (absl::string_view p : parts) well_formed = well_formed && !p.empty();
  if (!well_formed) {
    Error(at, absl::StrCat("malformed placeholder ", Quote(path)));
    return std::nullopt;
  }
  // A loop's item.
  int loop = 0;
  for (const OpenSection& s : open_) {
    if (s.node->kind != Node::Kind::kEach || s.in_else) continue;
    if (parts[0] == s.binding) {
      VarInfo info;
      info.ref.loop = loop;
      const absl::string_view field = parts.size() == 2 ? parts[1] : "";
      if (s.list_type == VarType::kStringList && parts.size() == 1) {
        info.ref.var = Var::kString;
        return info;
      }
      if (s.list_type == VarType::kMessageList && parts.size() == 2) {
        if (field == "body") {
          info.ref.var = Var::kMessageBody;
          return info;
        }
        if (field == "created_at") {
          info.ref.var = Var::kMessageCreatedAt;
          info.type = VarType::kTime;
          return info;
        }
        if (field == "from_customer") {
          info.ref.var = Var::kMessageFromCustomer;
          info.type = VarType::kFlag;
          return info;
        }
      }
      if (s.list_type == VarType::kLinkList && parts.size() == 2) {
        if (field == "title" || field == "url") {
          info.ref.var = field == "title" ? Var::kLinkTitle : Var::kLinkUrl;
          return info;
        }
        if (field == "html") {
          info.ref.var = Var::kLinkHtml;
          info.type = VarType::kHtml;
          return info;
        }
      }
      Error(at, absl::StrCat("unknown placeholder ", Quote(path), " (an item of {{", s.tag,
                             "}})"));
      return std::nullopt;
    }
    ++loop;
  }
  for (const FixedVar& v : kFixedVars) {
    if (v.path == path) {
      VarInfo info;
      info.ref.var = v.var;
      info.type = v.type;
      info.may_be_absent = v.may_be_absent;
      return info;
    }
  }
  if (parts.size() == 3 && parts[0] == "ticket" && parts[1] == "fields") {
    if (options_.custom_fields == nullptr || !options_.custom_fields->contains(parts[2])) {
      Error(at, absl::StrCat("unknown custom field ", Quote(parts[2]), " in ", Quote(path)));
      return std::nullopt;
    }
    VarInfo info;
    info.ref.var = Var::kTicketField;
    info.ref.key = std::string(parts[2]);
    info.may_be_absent = true;
    return info;
  }
  if (parts.size() == 3 && parts[0] == "sla" && parts[2] == "due_at") {
    for (int m = v1::SlaMetric_MIN + 1; m <= v1::SlaMetric_MAX; ++m) {
      if (v1::SlaMetric_IsValid(m) && SlaMetricName(static_cast<v1::SlaMetric>(m)) == parts[1]) {
        VarInfo info;
        info.ref.var = Var::kSlaDueAt;
        info.ref.key = std::string(parts[1]);
        info.type = VarType::kTime;
        info.may_be_absent = true;
        return info;
      }
    }
    Error(at, absl::StrCat("unknown SLA metric ", Quote(parts[1]), " in ", Quote(path)));
    return std::nullopt;
  }
  Error(at, absl::StrCat("unknown placeholder ", Quote(path)));
  return std::nullopt;
}

// Reads a double-quoted string at the start of `*s` (with \" and \\),
// consuming it. nullopt when there is none or it is unterminated.
std::optional<std::string> ReadQuoted(absl::string_view* s) {
  if (s->empty() || (*s)[0] != '"') return std::nullopt;
  std::string value;
  for (size_t i = 1; i < s->size(); ++i) {
    char c = (*s)[i];
    if (c == '\\' && i + 1 < s->size()) {
      value.push_back((*s)[++i]);
    } else if (c == '"') {
      s->remove_prefix(i + 1);
      return value;
    } else {
      value.push_back(c);
    }
  }
  return std::nullopt;
}

void Parser::Value(absl::string_view body, Position at) {
  size_t end = 0;
  while (end < body.size() && IsPathChar(body[end])) ++end;
  absl::string_view path = body.substr(0, end);
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(body.substr(end));
  if (path.empty()) {
    Error(at, absl::StrCat("unknown placeholder ", Quote(body)));
    return;
  }
  std::optional<VarInfo> info = Resolve(path, at);
  if (!info) return;
  Node node;
  node.kind = Node::Kind::kValue;
  node.ref = info->ref;
  while (!rest.empty()) {
    if (rest[0] != '|') {
      Error(at, absl::StrCat("unexpected ", Quote(rest), " after ", Quote(path)));
      return;
    }
    rest = absl::StripLeadingAsciiWhitespace(rest.substr(1));
    size_t n = 0;
    while (n < rest.size() && (absl::ascii_isalnum(rest[n]) || rest[n] == '_')) ++n;
    const std::string helper(rest.substr(0, n));
    rest = absl::StripLeadingAsciiWhitespace(rest.substr(n));
    std::optional<std::string> arg;
    if (!rest.empty() && rest[0] == ':') {
      rest = absl::StripLeadingAsciiWhitespace(rest.substr(1));
      arg = ReadQuoted(&rest);
      if (!arg) {
        Error(at, absl::StrCat("helper ", Quote(helper), " needs a \"quoted\" argument"));
        return;
      }
      rest = absl::StripLeadingAsciiWhitespace(rest);
    }
    std::optional<std::string>* slot = nullptr;
    if (helper == "default") {
      slot = &node.fallback;
    } else if (helper == "date") {
      slot = &node.date_format;
      if (info->type != VarType::kTime) {
        Error(at, absl::StrCat("helper 'date' applies to dates, not ", Quote(path)));
        return;
      }
      if (!arg) arg = "";
    } else if (helper == "join") {
      slot = &node.join;
      if (info->type != VarType::kStringList) {
        Error(at, absl::StrCat("helper 'join' applies to lists of text, not ", Quote(path)));
        return;
      }
    } else {
      Error(at, absl::StrCat("unknown helper ", Quote(helper),
                             " (helpers: default, date, join)"));
      return;
    }
    if (!arg) {
      Error(at, absl::StrCat("helper ", Quote(helper), " needs a \"quoted\" argument"));
      return;
    }
    if (slot->has_value()) {
      Error(at, absl::StrCat("helper ", Quote(helper), " given twice"));
      return;
    }
    *slot = std::move(arg);
  }
  switch (info->type) {
    case VarType::kString:
    case VarType::kTime:
    case VarType::kHtml:
      break;
    case VarType::kStringList:
      if (!node.join) {
        Error(at, absl::StrCat(Quote(path),
                               " is a list: use {{#each ... as ...}} or | join: \", \""));
        return;
      }
      break;
    case VarType::kFlag:
    case VarType::kObject:
      Error(at, absl::StrCat(Quote(path), " is not text: use it in {{#if ...}} or name a field"));
      return;
    case VarType::kMessageList:
    case VarType::kLinkList:
      Error(at, absl::StrCat(Quote(path), " is a list: use {{#each ... as ...}}"));
      return;
  }
  if (info->may_be_absent && !node.fallback && !Guarded(path)) {
    Error(at, absl::StrCat(Quote(path), " may be absent: add | default: \"...\" or wrap it in "
                                        "{{#if ",
                           path, "}}"));
    return;
  }
  Target()->push_back(std::move(node));
}

}  // namespace

Program ParseTemplate(absl::string_view source, const ParseOptions& options,
                      std::vector<std::string>* errors) {
  return Parser(source, options, errors).Run();
}

}  // namespace helpdesk::templates_internal
