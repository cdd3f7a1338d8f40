// E-mail body text: charset conversion, HTML to text, format=flowed, quoted
// history, uuencoded blocks and msg-id lists (email_text.h). Pure functions;
// one unit (about 1,200 lines) because the scanners at the top serve them
// all.
#include "channels/email_text.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "internal/text_checks.h"

namespace helpdesk::email_internal {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at text[i], or 0 when it is invalid.
size_t ValidSequenceLength(const unsigned char* s, size_t n, size_t i) {
  return internal::Utf8SequenceLength(
      absl::string_view(reinterpret_cast<const char*>(s), n), i);
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    out->append(kReplacement);
  } else if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// windows-1252 bytes 0x80..0x9F; the five unassigned ones map to the C1
// control of the same value, as browsers do.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::string Windows1252ToUtf8(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0xA0) {
      AppendCodePoint(kCp1252High[c - 0x80], &out);
    } else {
      AppendCodePoint(c, &out);
    }
  }
  return out;
}

size_t CountMultibyteSequences(absl::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t len = s[i] < 0x80 ? 1 : ValidSequenceLength(s, text.size(), i);
    if (len > 1) ++count;
    i += len == 0 ? 1 : len;
  }
  return count;
}

// Charsets whose ASCII-only bytes are not ASCII text.
bool IsAsciiIncompatible(absl::string_view iconv_name) {
  return absl::StrContains(iconv_name, "UTF-7") ||
         absl::StrContains(iconv_name, "2022") ||
         absl::StrContains(iconv_name, "UTF-16") ||
         absl::StrContains(iconv_name, "UTF-32") ||
         absl::StrContains(iconv_name, "UCS") || iconv_name == "HZ" ||
         absl::StrContains(iconv_name, "UNICODE");
}

// Open iconv descriptors of this thread, by source charset. Opening one
// loads (and closing the last one unloads) a gconv module, which costs more
// than converting a typical body, so they stay open until the thread ends.
class IconvCache {
 public:
  ~IconvCache() {
    for (auto& [name, cd] : open_) iconv_close(cd);
  }
  // A descriptor from `from` to UTF-8 in its initial state, or (iconv_t)-1.
  iconv_t Get(const std::string& from) {
    for (auto& [name, cd] : open_) {
      if (name == from) {
        iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset the shift state
        return cd;
      }
    }
    iconv_t cd = iconv_open("UTF-8", from.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return cd;
    if (open_.size() >= kMaxOpen) {
      iconv_close(open_.front().second);
      open_.erase(open_.begin());
    }
    open_.emplace_back(from, cd);
    return cd;
  }

 private:
  static constexpr size_t kMaxOpen = 16;
  std::vector<std::pair<std::string, iconv_t>> open_;
};

// Converts with iconv, replacing undecodable input with U+FFFD. Returns false
// when iconv does not know `from`.
bool IconvToUtf8(absl::string_view bytes, const std::string& from,
                 std::string* out, int* errors) {
  thread_local IconvCache cache;
  iconv_t cd = cache.Get(from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  out->clear();
  out->reserve(bytes.size() + bytes.size() / 2 + 16);
  *errors = 0;
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char buffer[16384];
  while (true) {
    char* op = buffer;
    size_t out_left = sizeof(buffer);
    size_t r = iconv(cd, in_left > 0 ? &in : nullptr, &in_left, &op, &out_left);
    out->append(buffer, static_cast<size_t>(op - buffer));
    if (r != static_cast<size_t>(-1)) {
      if (in_left == 0) break;
      continue;
    }
    if (errno == E2BIG) continue;
    if (errno == EILSEQ && in_left > 0) {
      out->append(kReplacement);
      ++*errors;
      ++in;
      --in_left;
      continue;
    }
    // EINVAL: an incomplete sequence at the end (or any other failure).
    out->append(kReplacement);
    ++*errors;
    break;
  }
  // Flush a stateful encoding's final shift sequence.
  char* op = buffer;
  size_t out_left = sizeof(buffer);
  iconv(cd, nullptr, nullptr, &op, &out_left);
  out->append(buffer, static_cast<size_t>(op - buffer));
  return true;
}

std::string Label(absl::string_view label) {
  std::string l(absl::StripAsciiWhitespace(label));
  while (!l.empty() && (l.front() == '"' || l.front() == '\'')) l.erase(0, 1);
  while (!l.empty() && (l.back() == '"' || l.back() == '\'' || l.back() == ';')) {
    l.pop_back();
  }
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(l));
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  return internal::FindInvalidUtf8(text) == absl::string_view::npos;
}

std::string RepairUtf8(absl::string_view text, int* repairs) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  int count = 0;
  std::string out;
  out.reserve(n);
  // Valid bytes are copied a run at a time; NULs are dropped and invalid
  // sequences replaced.
  size_t run = 0;
  size_t i = 0;
  while (i < n) {
    i += internal::AsciiPrefixLength(text.substr(i));
    if (i >= n) break;
    size_t len = s[i] == 0 ? 0 : ValidSequenceLength(s, n, i);
    if (len > 0) {
      i += len;
      continue;
    }
    out.append(text.data() + run, i - run);
    if (s[i] != 0) out.append(kReplacement);
    ++count;
    ++i;
    run = i;
  }
  out.append(text.data() + run, n - run);
  if (repairs != nullptr) *repairs = count;
  return out;
}

std::string IconvCharsetName(absl::string_view label) {
  const std::string l = Label(label);
  if (l.empty()) return "";
  struct Alias {
    const char* label;
    const char* name;
  };
  static constexpr Alias kAliases[] = {
      {"utf-8", "UTF-8"},
      {"utf8", "UTF-8"},
      {"uft-8", "UTF-8"},
      {"uft8", "UTF-8"},
      {"utf-8bom", "UTF-8"},
      {"unicode-1-1-utf-8", "UTF-8"},
      {"x-unicode20utf8", "UTF-8"},
      {"unicode-2-0-utf-8", "UTF-8"},
      {"unicode-1-1-utf-7", "UTF-7"},
      {"unicode-2-0-utf-7", "UTF-7"},
      {"x-unicode-2-0-utf-7", "UTF-7"},
      {"utf-7", "UTF-7"},
      {"utf7", "UTF-7"},
      {"us-ascii", "WINDOWS-1252"},
      {"ascii", "WINDOWS-1252"},
      {"ansi_x3.4-1968", "WINDOWS-1252"},
      {"iso646-us", "WINDOWS-1252"},
      {"iso-8859-1", "WINDOWS-1252"},
      {"iso8859-1", "WINDOWS-1252"},
      {"iso_8859-1", "WINDOWS-1252"},
      {"iso-8859-1:1987", "WINDOWS-1252"},
      {"latin1", "WINDOWS-1252"},
      {"latin-1", "WINDOWS-1252"},
      {"l1", "WINDOWS-1252"},
      {"cp819", "WINDOWS-1252"},
      {"windows-1252", "WINDOWS-1252"},
      {"cp1252", "WINDOWS-1252"},
      {"x-cp1252", "WINDOWS-1252"},
      {"iso-8859-9", "WINDOWS-1254"},
      {"latin5", "WINDOWS-1254"},
      {"iso-8859-11", "CP874"},
      {"tis-620", "CP874"},
      {"windows-874", "CP874"},
      {"ks_c_5601-1987", "CP949"},
      {"ks_c_5601-1989", "CP949"},
      {"ks_c_5601", "CP949"},
      {"ksc5601", "CP949"},
      {"ksc_5601", "CP949"},
      {"euc-kr", "CP949"},
      {"euckr", "CP949"},
      {"x-windows-949", "CP949"},
      {"windows-949", "CP949"},
      {"korean", "CP949"},
      {"shift_jis", "CP932"},
      {"shift-jis", "CP932"},
      {"sjis", "CP932"},
      {"x-sjis", "CP932"},
      {"ms_kanji", "CP932"},
      {"csshiftjis", "CP932"},
      {"windows-31j", "CP932"},
      {"cp932", "CP932"},
      {"euc-jp", "EUC-JP-MS"},
      {"x-euc-jp", "EUC-JP-MS"},
      {"iso-2022-jp", "ISO-2022-JP-2"},
      {"csiso2022jp", "ISO-2022-JP-2"},
      {"gb2312", "GB18030"},
      {"gbk", "GB18030"},
      {"x-gbk", "GB18030"},
      {"cp936", "GB18030"},
      {"euc-cn", "GB18030"},
      {"csgb2312", "GB18030"},
      {"chinese", "GB18030"},
      {"gb_2312-80", "GB18030"},
      {"big5", "BIG5-HKSCS"},
      {"big-5", "BIG5-HKSCS"},
      {"x-x-big5", "BIG5-HKSCS"},
      {"cn-big5", "BIG5-HKSCS"},
      {"csbig5", "BIG5-HKSCS"},
      {"cp950", "BIG5-HKSCS"},
      {"x-unknown", ""},
      {"unknown", ""},
      {"unknown-8bit", ""},
      {"x-user-defined", ""},
      {"none", ""},
      {"default", ""},
      {"charset", ""},
      {"8bit", ""},
      {"7bit", ""},
  };
  for (const Alias& a : kAliases) {
    if (l == a.label) return a.name;
  }
  if (absl::StartsWith(l, "cp125") || absl::StartsWith(l, "windows-125")) {
    return absl::StrCat("WINDOWS-125", l.substr(l.size() - 1));
  }
  return absl::AsciiStrToUpper(l);
}

bool IsAscii(absl::string_view bytes) {
  for (unsigned char c : bytes) {
    if (c >= 0x80) return false;
  }
  return true;
}

bool IsAsciiCompatibleCharset(absl::string_view charset) {
  return !IsAsciiIncompatible(IconvCharsetName(charset));
}

std::string ConvertToUtf8(absl::string_view bytes, absl::string_view charset,
                          absl::string_view what,
                          std::vector<std::string>* warnings) {
  const std::string name = IconvCharsetName(charset);
  const std::string label = Label(charset);
  if (IsAscii(bytes) && !IsAsciiIncompatible(name)) {
    return RepairUtf8(bytes);  // drops NUL bytes
  }
  const bool valid_utf8 = IsValidUtf8(bytes);
  auto warn = [&](absl::string_view how) {
    if (warnings != nullptr) {
      warnings->push_back(absl::StrCat(
          what, ": charset ", label.empty() ? "(none)" : "'" + label + "'",
          " ", how));
    }
  };
  if (name == "UTF-8") {
    if (valid_utf8) return RepairUtf8(bytes);
    int repairs = 0;
    std::string repaired = RepairUtf8(bytes, &repairs);
    // Not one valid multi-byte sequence: Latin-1 (or windows-1252) in
    // disguise, not damaged UTF-8.
    if (CountMultibyteSequences(bytes) == 0) {
      warn("does not match the content; read as windows-1252");
      return RepairUtf8(Windows1252ToUtf8(bytes));
    }
    warn(absl::StrCat("content is not valid UTF-8; ", repairs,
                      " invalid sequences replaced with U+FFFD"));
    return repaired;
  }
  if (name.empty()) {
    if (valid_utf8) {
      if (!label.empty()) warn("is unknown; the content is UTF-8 and read so");
      return RepairUtf8(bytes);
    }
    warn(label.empty() ? "missing on 8-bit content; read as windows-1252"
                       : "is unknown; read as windows-1252");
    return RepairUtf8(Windows1252ToUtf8(bytes));
  }
  if (name == "WINDOWS-1252") {
    if (valid_utf8) {
      warn("does not match the content, which is UTF-8; read as UTF-8");
      return RepairUtf8(bytes);
    }
    return RepairUtf8(Windows1252ToUtf8(bytes));
  }
  std::string converted;
  int errors = 0;
  if (!IconvToUtf8(bytes, name, &converted, &errors)) {
    if (valid_utf8) {
      warn("is not supported; the content is UTF-8 and read so");
      return RepairUtf8(bytes);
    }
    warn("is not supported; read as windows-1252");
    return RepairUtf8(Windows1252ToUtf8(bytes));
  }
  if (errors == 0) return RepairUtf8(converted);
  if (valid_utf8) {
    warn("does not match the content, which is UTF-8; read as UTF-8");
    return RepairUtf8(bytes);
  }
  warn(absl::StrCat("has ", errors,
                    " undecodable sequences; replaced with U+FFFD"));
  return RepairUtf8(converted);
}

std::string HtmlMetaCharset(absl::string_view html) {
  std::string head = absl::AsciiStrToLower(html.substr(0, 4096));
  size_t pos = 0;
  while ((pos = head.find("<meta", pos)) != std::string::npos) {
    size_t end = head.find('>', pos);
    if (end == std::string::npos) end = head.size();
    absl::string_view tag = absl::string_view(head).substr(pos, end - pos);
    size_t c = tag.find("charset");
    if (c != absl::string_view::npos) {
      size_t i = c + 7;
      while (i < tag.size() && (tag[i] == ' ' || tag[i] == '=' ||
                                tag[i] == '"' || tag[i] == '\'')) {
        ++i;
      }
      size_t j = i;
      while (j < tag.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(tag[j])) ||
              tag[j] == '-' || tag[j] == '_' || tag[j] == '.' || tag[j] == ':')) {
        ++j;
      }
      if (j > i) return std::string(tag.substr(i, j - i));
    }
    pos = end;
  }
  return "";
}

std::string NormalizeNewlines(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const void* cr = std::memchr(text.data() + i, '\r', text.size() - i);
    if (cr == nullptr) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(cr) - text.data());
    out.append(text.data() + i, at - i);
    out.push_back('\n');
    i = at + 1;
    if (i < text.size() && text[i] == '\n') ++i;
  }
  out.append(text.data() + i, text.size() - i);
  return out;
}

// ---------------------------------------------------------------------------
// HTML to text
// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// format=flowed, quoted history, whitespace
// ---------------------------------------------------------------------------

std::string UnflowText(absl::string_view text, bool delsp) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  const bool trailing_newline = !text.empty() && text.back() == '\n';
  if (trailing_newline) lines.pop_back();
  std::string out;
  out.reserve(text.size());
  std::string para;
  int para_depth = 0;
  bool open = false;
  auto flush = [&]() {
    if (para_depth > 0) {
      out.append(static_cast<size_t>(para_depth), '>');
      out.push_back(' ');
    }
    out.append(para);
    out.push_back('\n');
    para.clear();
    open = false;
  };
  for (absl::string_view line : lines) {
    int depth = 0;
    while (static_cast<size_t>(depth) < line.size() && line[depth] == '>') ++depth;
    absl::string_view rest = line.substr(static_cast<size_t>(depth));
    if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);  // stuffing
    const bool flowed = !rest.empty() && rest.back() == ' ' && rest != "-- ";
    if (open && depth != para_depth) flush();
    if (!open) para_depth = depth;
    if (flowed && delsp) rest.remove_suffix(1);
    para.append(rest.data(), rest.size());
    if (flowed) {
      open = true;
    } else {
      flush();
    }
  }
  if (open) flush();
  if (!trailing_newline && !out.empty()) out.pop_back();
  return out;
}

namespace {

bool StartsWithAny(absl::string_view s, std::initializer_list<absl::string_view> prefixes) {
  for (absl::string_view p : prefixes) {
    if (absl::StartsWith(s, p)) return true;
  }
  return false;
}

// "On <date>, <name> wrote:" and translations, on one to three lines.
bool IsAttribution(const std::vector<absl::string_view>& lines, size_t i,
                   size_t* consumed) {
  absl::string_view first = absl::StripLeadingAsciiWhitespace(lines[i]);
  if (!StartsWithAny(first, {"On ", "Le ", "Am ", "El ", "Il ", "Op ", "Den ",
                             "Em ", "W dniu ", "Dne ", "Pada ", "Da ",
                             "\xE5\x9C\xA8"})) {
    return false;
  }
  std::string joined;
  for (size_t k = 0; k < 3 && i + k < lines.size(); ++k) {
    if (k > 0) joined.push_back(' ');
    absl::StrAppend(&joined, absl::StripAsciiWhitespace(lines[i + k]));
    if (joined.size() > 400) return false;
    absl::string_view j = joined;
    if (!absl::EndsWith(j, ":") && !absl::EndsWith(j, "\xEF\xBC\x9A")) continue;
    static constexpr absl::string_view kVerbs[] = {
        "wrote",   "\xC3\xA9" "crit", "schrieb", "escribi", "scritto",
        "schreef", "skrev",   "napisa",  "escreveu", "napsal",
        "menulis", "kirjoitti", "\xC3\xADrta",
        "\xE5\x86\x99\xE9\x81\x93",          // 写道
        "\xE5\xAF\xAB\xE9\x81\x93",          // 寫道
        "\xD0\xBF\xD0\xB8\xD1\x88\xD0\xB5\xD1\x82",  // пишет
        "\xD0\xBD\xD0\xB0\xD0\xBF\xD0\xB8\xD1\x81\xD0\xB0\xD0\xBB"};  // написал
    for (absl::string_view verb : kVerbs) {
      if (absl::StrContains(j, verb)) {
        *consumed = k + 1;
        return true;
      }
    }
  }
  return false;
}

bool IsOriginalMessageSeparator(absl::string_view line) {
  absl::string_view t = absl::StripAsciiWhitespace(line);
  if (!absl::StartsWith(t, "--") && !absl::StartsWith(t, "__")) return false;
  while (!t.empty() && (t.front() == '-' || t.front() == '_' || t.front() == ' ')) {
    t.remove_prefix(1);
  }
  while (!t.empty() && (t.back() == '-' || t.back() == '_' || t.back() == ' ')) {
    t.remove_suffix(1);
  }
  std::string lower = absl::AsciiStrToLower(t);
  static constexpr absl::string_view kNames[] = {
      "original message",        "original-nachricht",
      "urspr\xC3\xBCngliche nachricht", "message d'origine",
      "mensaje original",        "messaggio originale",
      "oorspronkelijk bericht",  "originalnachricht",
      "mensagem original",       "oprindelig meddelelse",
      "opprinnelig melding",     "ursprungligt meddelande",
      "alkuper\xC3\xA4inen viesti",
      "\xD0\xB8\xD1\x81\xD1\x85\xD0\xBE\xD0\xB4\xD0\xBD\xD0\xBE\xD0\xB5 "
      "\xD1\x81\xD0\xBE\xD0\xBE\xD0\xB1\xD1\x89\xD0\xB5\xD0\xBD\xD0\xB8\xD0\xB5",
      "reply message",           "original e-mail"};
  for (absl::string_view name : kNames) {
    if (lower == name) return true;
  }
  return false;
}

bool IsHeaderLine(absl::string_view line,
                  std::initializer_list<absl::string_view> names) {
  absl::string_view t = absl::StripLeadingAsciiWhitespace(line);
  if (!t.empty() && t.front() == '*') t.remove_prefix(1);  // "*From:*" (Outlook)
  for (absl::string_view n : names) {
    if (absl::StartsWithIgnoreCase(t, n)) return true;
  }
  return false;
}

// An Outlook reply header: "From:" followed within four lines by "Sent:" or
// "Date:" and a "Subject:" (any of the usual translations), optionally after a
// line of underscores.
bool IsOutlookHeader(const std::vector<absl::string_view>& lines, size_t i) {
  size_t from_line = i;
  absl::string_view t = absl::StripAsciiWhitespace(lines[i]);
  if (t.size() >= 10 && t.find_first_not_of('_') == absl::string_view::npos) {
    from_line = i + 1;
    while (from_line < lines.size() &&
           absl::StripAsciiWhitespace(lines[from_line]).empty()) {
      ++from_line;
    }
  }
  if (from_line >= lines.size()) return false;
  if (!IsHeaderLine(lines[from_line], {"From:", "Von:", "De :", "De:", "Da:",
                                       "Van:", "Fr\xC3\xA5n:", "Fra:", "Od:",
                                       "Lähettäjä:", "\xD0\x9E\xD1\x82:"})) {
    return false;
  }
  bool sent = false;
  bool subject = false;
  for (size_t k = from_line + 1; k < lines.size() && k <= from_line + 6; ++k) {
    if (IsHeaderLine(lines[k], {"Sent:", "Date:", "Gesendet:", "Envoy\xC3\xA9 :",
                                "Envoy\xC3\xA9:", "Enviado el:", "Enviado:",
                                "Inviato:", "Verzonden:", "Skickat:", "Sendt:",
                                "Datum:", "Wys\xC5\x82""ano:"})) {
      sent = true;
    }
    if (IsHeaderLine(lines[k], {"Subject:", "Betreff:", "Objet :", "Objet:",
                                "Asunto:", "Oggetto:", "Onderwerp:", "\xC3\x84mne:",
                                "Emne:", "Temat:", "Assunto:"})) {
      subject = true;
    }
  }
  return sent && subject;
}

}  // namespace

std::string StripQuotedHistory(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  size_t cut = lines.size();
  for (size_t i = 0; i < lines.size() && cut == lines.size(); ++i) {
    size_t consumed = 0;
    if (IsAttribution(lines, i, &consumed) || IsOriginalMessageSeparator(lines[i]) ||
        IsOutlookHeader(lines, i)) {
      cut = i;
    }
  }
  // A block of ">" lines (and blank lines) at the end.
  size_t end = cut;
  while (end > 0 && absl::StripAsciiWhitespace(lines[end - 1]).empty()) --end;
  if (end > 0 && absl::StartsWith(absl::StripLeadingAsciiWhitespace(lines[end - 1]), ">")) {
    size_t k = end;
    while (k > 0) {
      absl::string_view l = absl::StripLeadingAsciiWhitespace(lines[k - 1]);
      if (l.empty() || absl::StartsWith(l, ">")) {
        --k;
      } else {
        break;
      }
    }
    cut = k;
    // "John Doe wrote:" right above the block.
    size_t a = cut;
    while (a > 0 && absl::StripAsciiWhitespace(lines[a - 1]).empty()) --a;
    if (a > 0) {
      absl::string_view l = absl::StripAsciiWhitespace(lines[a - 1]);
      if (absl::EndsWith(l, ":") && l.size() < 200 &&
          (absl::StrContains(l, "wrote") || absl::StrContains(l, "schrieb") ||
           absl::StrContains(l, "\xC3\xA9" "crit"))) {
        cut = a - 1;
      }
    }
  }
  if (cut >= lines.size()) return std::string(text);
  std::string out;
  for (size_t i = 0; i < cut; ++i) {
    absl::StrAppend(&out, lines[i], "\n");
  }
  absl::string_view kept = absl::StripTrailingAsciiWhitespace(out);
  if (absl::StripAsciiWhitespace(kept).empty()) return std::string(text);
  return std::string(kept);
}

std::string CollapseWhitespace(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> ExtractMessageIds(absl::string_view value, size_t max_ids) {
  std::vector<std::string> ids;
  size_t i = 0;
  const size_t n = value.size();
  while (i < n && ids.size() < max_ids) {
    char c = value[i];
    if (c == '(') {  // a comment, possibly nested
      int depth = 0;
      while (i < n) {
        if (value[i] == '\\') {
          i += 2;
          continue;
        }
        if (value[i] == '(') ++depth;
        if (value[i] == ')' && --depth == 0) break;
        ++i;
      }
      ++i;
      continue;
    }
    if (c == '"') {  // a quoted string (a phrase)
      ++i;
      while (i < n && value[i] != '"') i += value[i] == '\\' ? 2 : 1;
      ++i;
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    size_t close = value.find('>', i + 1);
    if (close == absl::string_view::npos) break;
    std::string id;
    bool ok = true;
    for (size_t k = i + 1; k < close; ++k) {
      char d = value[k];
      if (d == ' ' || d == '\t' || d == '\r' || d == '\n') continue;
      if (d == '<' || static_cast<unsigned char>(d) < 0x20) {
        ok = false;
        break;
      }
      id.push_back(d);
    }
    i = close + 1;
    if (!ok || id.empty() || id.find('@') == std::string::npos ||
        id.front() == '@' || id.back() == '@') {
      continue;
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  return ids;
}

// ---------------------------------------------------------------------------
// uuencode
// ---------------------------------------------------------------------------
namespace {

// Decodes one uuencoded line; false when it is not one.
bool UudecodeLine(absl::string_view line, std::string* out) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    // Trailing spaces are significant in uuencode only as padding; some
    // encoders strip them, so treat missing ones as zero bits below.
    if (line.back() == '\r') {
      line.remove_suffix(1);
    } else {
      break;
    }
  }
  if (line.empty()) return false;
  int count = (line[0] - 32) & 63;
  if (line[0] < 32 || line[0] > 96) return false;
  if (count == 0) return true;
  size_t needed = (static_cast<size_t>(count) + 2) / 3 * 4;
  auto value = [&](size_t k) -> int {
    if (1 + k >= line.size()) return 0;  // stripped trailing spaces
    char c = line[1 + k];
    if (c < 32 || c > 96) return -1;
    return (c - 32) & 63;
  };
  std::string bytes;
  for (size_t k = 0; k < needed; k += 4) {
    int a = value(k), b = value(k + 1), c = value(k + 2), d = value(k + 3);
    if (a < 0 || b < 0 || c < 0 || d < 0) return false;
    bytes.push_back(static_cast<char>((a << 2) | (b >> 4)));
    bytes.push_back(static_cast<char>(((b & 0xF) << 4) | (c >> 2)));
    bytes.push_back(static_cast<char>(((c & 0x3) << 6) | d));
  }
  bytes.resize(static_cast<size_t>(count));
  out->append(bytes);
  return true;
}

bool ParseBeginLine(absl::string_view line, std::string* name) {
  if (!absl::StartsWith(line, "begin ")) return false;
  absl::string_view rest = line.substr(6);
  size_t k = 0;
  while (k < rest.size() && rest[k] >= '0' && rest[k] <= '7') ++k;
  if (k < 3 || k > 4 || k >= rest.size() || rest[k] != ' ') return false;
  absl::string_view file = absl::StripAsciiWhitespace(rest.substr(k + 1));
  if (file.empty()) return false;
  *name = std::string(file);
  return true;
}

}  // namespace

std::vector<UuencodedFile> ExtractUuencodedFiles(std::string* text) {
  std::vector<UuencodedFile> files;
  if (text->find("begin ") == std::string::npos) return files;
  std::vector<absl::string_view> lines = absl::StrSplit(*text, '\n');
  std::string kept;
  kept.reserve(text->size());
  size_t i = 0;
  bool changed = false;
  while (i < lines.size()) {
    std::string name;
    if (ParseBeginLine(lines[i], &name)) {
      std::string content;
      size_t k = i + 1;
      bool ended = false;
      while (k < lines.size()) {
        absl::string_view l = absl::StripTrailingAsciiWhitespace(lines[k]);
        if (l == "end") {
          ended = true;
          break;
        }
        if (!UudecodeLine(lines[k], &content)) break;
        ++k;
      }
      if (ended) {
        files.push_back({std::move(name), std::move(content)});
        i = k + 1;
        changed = true;
        continue;
      }
    }
    absl::StrAppend(&kept, lines[i]);
    if (i + 1 < lines.size()) kept.push_back('\n');
    ++i;
  }
  if (changed) *text = std::move(kept);
  return files;
}

std::string SanitizeFileName(absl::string_view name) {
  std::string repaired = RepairUtf8(name);
  absl::string_view base = repaired;
  size_t slash = base.find_last_of("/\\");
  if (slash != absl::string_view::npos) base = base.substr(slash + 1);
  std::string out;
  for (char c : base) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  absl::string_view t = absl::StripAsciiWhitespace(out);
  while (!t.empty() && (t.front() == '.' || t.front() == ' ')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == '.' || t.back() == ' ')) t.remove_suffix(1);
  std::string result(t);
  if (result.size() > 255) {
    size_t cut = 255;
    while (cut > 0 && (static_cast<unsigned char>(result[cut]) & 0xC0) == 0x80) --cut;
    result.resize(cut);
  }
  return result;
}

absl::string_view ExtensionForMediaType(absl::string_view media_type) {
  struct Ext {
    absl::string_view type;
    absl::string_view ext;
  };
  static constexpr Ext kExts[] = {
      {"image/png", ".png"},        {"image/jpeg", ".jpg"},
      {"image/jpg", ".jpg"},        {"image/gif", ".gif"},
      {"image/webp", ".webp"},      {"image/bmp", ".bmp"},
      {"image/tiff", ".tif"},       {"image/svg+xml", ".svg"},
      {"application/pdf", ".pdf"},  {"application/zip", ".zip"},
      {"application/msword", ".doc"},
      {"application/vnd.ms-excel", ".xls"},
      {"application/ms-tnef", ".dat"},
      {"application/vnd.ms-tnef", ".dat"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
      {"text/plain", ".txt"},       {"text/html", ".html"},
      {"text/csv", ".csv"},         {"text/calendar", ".ics"},
      {"text/rfc822-headers", ".txt"},
      {"message/rfc822", ".eml"},   {"message/global", ".eml"},
      {"audio/mpeg", ".mp3"},       {"video/mp4", ".mp4"},
      {"application/pkcs7-signature", ".p7s"},
      {"application/octet-stream", ".bin"},
  };
  for (const Ext& e : kExts) {
    if (media_type == e.type) return e.ext;
  }
  return "";
}

}  // namespace helpdesk::email_internal
