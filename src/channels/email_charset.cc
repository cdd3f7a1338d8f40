// E-mail charsets and UTF-8 (email_text.h): charset names to iconv's,
// conversion to UTF-8 (with the windows-1252 and mislabelled-UTF-8 fallbacks
// mailers need), UTF-8 repair, the charset an HTML part declares, and line
// ends. Pure functions.
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

}  // namespace

void AppendCodePoint(uint32_t cp, std::string* out) { internal::AppendUtf8(cp, out); }

namespace {

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

}  // namespace helpdesk::email_internal
