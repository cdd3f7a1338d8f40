// HTML to text for e-mail bodies (email_text.h): entities decoded, block
// elements and <br> as line breaks, list items marked, script, style and head
// dropped, whitespace collapsed outside <pre>. Pure functions.
#include "channels/email_text.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace helpdesk::email_internal {
namespace {

struct Entity {
  const char* name;
  uint32_t cp;
};
constexpr Entity kEntities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},
    {"quot", '"'},      {"apos", '\''},     {"nbsp", ' '},
    {"iexcl", 0xA1},    {"cent", 0xA2},     {"pound", 0xA3},
    {"curren", 0xA4},   {"yen", 0xA5},      {"brvbar", 0xA6},
    {"sect", 0xA7},     {"uml", 0xA8},      {"copy", 0xA9},
    {"ordf", 0xAA},     {"laquo", 0xAB},    {"not", 0xAC},
    {"shy", 0xAD},      {"reg", 0xAE},      {"macr", 0xAF},
    {"deg", 0xB0},      {"plusmn", 0xB1},   {"sup2", 0xB2},
    {"sup3", 0xB3},     {"acute", 0xB4},    {"micro", 0xB5},
    {"para", 0xB6},     {"middot", 0xB7},   {"cedil", 0xB8},
    {"sup1", 0xB9},     {"ordm", 0xBA},     {"raquo", 0xBB},
    {"frac14", 0xBC},   {"frac12", 0xBD},   {"frac34", 0xBE},
    {"iquest", 0xBF},   {"Agrave", 0xC0},   {"Aacute", 0xC1},
    {"Acirc", 0xC2},    {"Atilde", 0xC3},   {"Auml", 0xC4},
    {"Aring", 0xC5},    {"AElig", 0xC6},    {"Ccedil", 0xC7},
    {"Egrave", 0xC8},   {"Eacute", 0xC9},   {"Ecirc", 0xCA},
    {"Euml", 0xCB},     {"Igrave", 0xCC},   {"Iacute", 0xCD},
    {"Icirc", 0xCE},    {"Iuml", 0xCF},     {"ETH", 0xD0},
    {"Ntilde", 0xD1},   {"Ograve", 0xD2},   {"Oacute", 0xD3},
    {"Ocirc", 0xD4},    {"Otilde", 0xD5},   {"Ouml", 0xD6},
    {"times", 0xD7},    {"Oslash", 0xD8},   {"Ugrave", 0xD9},
    {"Uacute", 0xDA},   {"Ucirc", 0xDB},    {"Uuml", 0xDC},
    {"Yacute", 0xDD},   {"THORN", 0xDE},    {"szlig", 0xDF},
    {"agrave", 0xE0},   {"aacute", 0xE1},   {"acirc", 0xE2},
    {"atilde", 0xE3},   {"auml", 0xE4},     {"aring", 0xE5},
    {"aelig", 0xE6},    {"ccedil", 0xE7},   {"egrave", 0xE8},
    {"eacute", 0xE9},   {"ecirc", 0xEA},    {"euml", 0xEB},
    {"igrave", 0xEC},   {"iacute", 0xED},   {"icirc", 0xEE},
    {"iuml", 0xEF},     {"eth", 0xF0},      {"ntilde", 0xF1},
    {"ograve", 0xF2},   {"oacute", 0xF3},   {"ocirc", 0xF4},
    {"otilde", 0xF5},   {"ouml", 0xF6},     {"divide", 0xF7},
    {"oslash", 0xF8},   {"ugrave", 0xF9},   {"uacute", 0xFA},
    {"ucirc", 0xFB},    {"uuml", 0xFC},     {"yacute", 0xFD},
    {"thorn", 0xFE},    {"yuml", 0xFF},     {"OElig", 0x152},
    {"oelig", 0x153},   {"Scaron", 0x160},  {"scaron", 0x161},
    {"Yuml", 0x178},    {"fnof", 0x192},    {"circ", 0x2C6},
    {"tilde", 0x2DC},   {"ensp", ' '},      {"emsp", ' '},
    {"thinsp", ' '},    {"zwnj", 0x200C},   {"zwj", 0x200D},
    {"lrm", 0x200E},    {"rlm", 0x200F},    {"ndash", 0x2013},
    {"mdash", 0x2014},  {"lsquo", 0x2018},  {"rsquo", 0x2019},
    {"sbquo", 0x201A},  {"ldquo", 0x201C},  {"rdquo", 0x201D},
    {"bdquo", 0x201E},  {"dagger", 0x2020}, {"Dagger", 0x2021},
    {"bull", 0x2022},   {"hellip", 0x2026}, {"permil", 0x2030},
    {"prime", 0x2032},  {"Prime", 0x2033},  {"lsaquo", 0x2039},
    {"rsaquo", 0x203A}, {"euro", 0x20AC},   {"trade", 0x2122},
    {"larr", 0x2190},   {"rarr", 0x2192},   {"uarr", 0x2191},
    {"darr", 0x2193},   {"harr", 0x2194},   {"minus", 0x2212},
    {"le", 0x2264},     {"ge", 0x2265},     {"ne", 0x2260},
    {"infin", 0x221E},  {"check", 0x2713},  {"hearts", 0x2665},
};

// Decodes the entity at html[i] == '&'; returns the number of bytes used (0
// when it is not an entity, so '&' is literal).
size_t DecodeEntity(absl::string_view html, size_t i, std::string* out) {
  size_t end = html.find(';', i + 1);
  if (end == absl::string_view::npos || end - i > 33) return 0;
  absl::string_view body = html.substr(i + 1, end - i - 1);
  if (body.empty()) return 0;
  if (body[0] == '#') {
    uint32_t cp = 0;
    bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    absl::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return 0;
    for (char c : digits) {
      int v;
      if (c >= '0' && c <= '9') {
        v = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        v = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        v = c - 'A' + 10;
      } else {
        return 0;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    }
    if (cp >= 0x80 && cp < 0xA0) cp = kCp1252High[cp - 0x80];
    if (cp == 0xA0) cp = ' ';
    AppendCodePoint(cp, out);
    return end - i + 1;
  }
  for (const Entity& e : kEntities) {
    if (body == e.name) {
      AppendCodePoint(e.cp, out);
      return end - i + 1;
    }
  }
  return 0;
}

bool IsBlockTag(absl::string_view name) {
  static constexpr absl::string_view kBlocks[] = {
      "p",       "div",     "h1",     "h2",      "h3",     "h4",
      "h5",      "h6",      "ul",     "ol",      "li",     "table",
      "tr",      "blockquote", "pre", "hr",      "section", "article",
      "header",  "footer",  "address", "dl",     "dt",     "dd",
      "center",  "form",    "fieldset", "figure", "caption", "nav",
      "aside",   "main",    "tbody",  "thead",   "tfoot",  "title",
      "body",    "html",    "o:p"};
  for (absl::string_view b : kBlocks) {
    if (name == b) return true;
  }
  return false;
}

class HtmlTextWriter {
 public:
  void Text(absl::string_view s) {
    for (char c : s) Char(c);
  }
  void Char(char c) {
    if (pre_depth_ > 0) {
      if (c == '\r') return;
      if (c == '\n') {
        Newline();
        return;
      }
      Flush();
      out_.push_back(c);
      at_line_start_ = false;
      return;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      if (!at_line_start_) pending_space_ = true;
      return;
    }
    Flush();
    out_.push_back(c);
    at_line_start_ = false;
  }
  void Newline() {
    pending_space_ = false;
    FlushNewlines();
    out_.push_back('\n');
    at_line_start_ = true;
  }
  // Ends the current line, adding at most `blank_lines` empty lines.
  void Break(int lines) {
    pending_space_ = false;
    if (out_.empty()) return;
    wanted_newlines_ = std::max(wanted_newlines_, lines);
    at_line_start_ = true;
  }
  void EnterPre() { ++pre_depth_; }
  void LeavePre() {
    if (pre_depth_ > 0) --pre_depth_;
  }
  std::string Finish() {
    // Trim trailing spaces of lines and collapse blank lines to one.
    std::string result;
    result.reserve(out_.size());
    int blank_run = 0;
    for (absl::string_view line : absl::StrSplit(out_, '\n')) {
      absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(line);
      if (trimmed.empty()) {
        ++blank_run;
        if (blank_run > 1 || result.empty()) continue;
      } else {
        blank_run = 0;
      }
      result.append(trimmed.data(), trimmed.size());
      result.push_back('\n');
    }
    while (!result.empty() && result.back() == '\n') result.pop_back();
    return result;
  }

 private:
  void FlushNewlines() {
    for (int i = 0; i < wanted_newlines_; ++i) out_.push_back('\n');
    wanted_newlines_ = 0;
  }
  void Flush() {
    FlushNewlines();
    if (pending_space_) {
      out_.push_back(' ');
      pending_space_ = false;
    }
  }
  std::string out_;
  bool pending_space_ = false;
  bool at_line_start_ = true;
  int wanted_newlines_ = 0;
  int pre_depth_ = 0;
};

}  // namespace

std::string HtmlToText(absl::string_view html) {
  HtmlTextWriter w;
  const size_t n = html.size();
  size_t i = 0;
  std::string lowered_cache;  // lazily built for skip searches
  auto lowered = [&]() -> absl::string_view {
    if (lowered_cache.empty() && n > 0) lowered_cache = absl::AsciiStrToLower(html);
    return lowered_cache;
  };
  bool first_cell = true;
  while (i < n) {
    char c = html[i];
    if (c == '&') {
      std::string decoded;
      size_t used = DecodeEntity(html, i, &decoded);
      if (used > 0) {
        w.Text(decoded);
        i += used;
      } else {
        w.Char('&');
        ++i;
      }
      continue;
    }
    if (c != '<') {
      w.Char(c);
      ++i;
      continue;
    }
    // A comment, doctype or processing instruction.
    if (html.substr(i, 4) == "<!--") {
      size_t end = html.find("-->", i + 4);
      i = end == absl::string_view::npos ? n : end + 3;
      continue;
    }
    if (i + 1 < n && (html[i + 1] == '!' || html[i + 1] == '?')) {
      size_t end = html.find('>', i);
      i = end == absl::string_view::npos ? n : end + 1;
      continue;
    }
    size_t j = i + 1;
    bool closing = false;
    if (j < n && html[j] == '/') {
      closing = true;
      ++j;
    }
    size_t name_start = j;
    while (j < n && (absl::ascii_isalnum(static_cast<unsigned char>(html[j])) ||
                     html[j] == ':' || html[j] == '-')) {
      ++j;
    }
    if (j == name_start) {  // "<" that starts no tag: literal
      w.Char('<');
      ++i;
      continue;
    }
    std::string name = absl::AsciiStrToLower(html.substr(name_start, j - name_start));
    // Skip the attributes, honouring quotes.
    char quote = 0;
    while (j < n) {
      char d = html[j];
      if (quote != 0) {
        if (d == quote) quote = 0;
      } else if (d == '"' || d == '\'') {
        quote = d;
      } else if (d == '>') {
        break;
      }
      ++j;
    }
    size_t tag_end = j < n ? j + 1 : n;
    i = tag_end;
    if (!closing && (name == "script" || name == "style" || name == "head" ||
                     name == "noscript" || name == "template" ||
                     name == "xml")) {
      std::string close = absl::StrCat("</", name);
      size_t end = lowered().find(close, tag_end);
      if (end != absl::string_view::npos) {
        size_t gt = html.find('>', end);
        i = gt == absl::string_view::npos ? n : gt + 1;
        if (name == "head") w.Break(1);
      }
      continue;
    }
    if (name == "br") {
      w.Newline();
    } else if (name == "pre") {
      w.Break(1);
      if (closing) {
        w.LeavePre();
      } else {
        w.EnterPre();
      }
    } else if (name == "li" && !closing) {
      w.Break(1);
      w.Text("- ");
    } else if (name == "tr") {
      w.Break(1);
      first_cell = true;
    } else if ((name == "td" || name == "th") && !closing) {
      if (!first_cell) w.Char(' ');
      first_cell = false;
    } else if (name == "p" || name == "h1" || name == "h2" || name == "h3" ||
               name == "h4" || name == "h5" || name == "h6" ||
               name == "blockquote" || name == "table") {
      w.Break(2);
    } else if (name == "hr") {
      w.Break(1);
      w.Text("----");
      w.Break(1);
    } else if (IsBlockTag(name)) {
      w.Break(1);
    }
  }
  return w.Finish();
}

}  // namespace helpdesk::email_internal
