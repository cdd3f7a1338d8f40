#include "internal/text_checks.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/channel.h"

namespace helpdesk::internal {

std::string Quote(absl::string_view value) {
  constexpr size_t kShown = 60;
  if (value.size() <= kShown) return absl::StrCat("'", absl::CHexEscape(value), "'");
  return absl::StrCat("'", absl::CHexEscape(value.substr(0, kShown)), "...' (",
                      value.size(), " bytes)");
}

size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > n) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i + k] & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
      (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    out->append("\xEF\xBF\xBD");  // U+FFFD
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

size_t AsciiPrefixLength(absl::string_view text) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    // A byte >= 0x80, or a zero byte ((w - 1s) & ~w & high is nonzero then).
    if ((w & kHigh) != 0 || ((w - kOnes) & ~w & kHigh) != 0) break;
  }
  while (i < n && static_cast<unsigned char>(p[i]) - 1u < 0x7Fu) ++i;
  return i;
}

size_t FindInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    i += AsciiPrefixLength(text.substr(i));
    if (i >= text.size()) break;
    size_t len = Utf8SequenceLength(text, i);  // NUL counts as valid here
    if (len == 0) return i;
    i += len;
  }
  return absl::string_view::npos;
}

absl::Status CheckText(absl::string_view field, absl::string_view text,
                       size_t max_bytes) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", text.size(), " bytes, over the limit of ",
                     max_bytes, ": ", Quote(text)));
  }
  size_t bad = FindInvalidUtf8(text);
  if (bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is not valid UTF-8 (at byte ", bad, "): ",
                     Quote(text)));
  }
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " contains a NUL byte: ", Quote(text)));
  }
  return absl::OkStatus();
}

absl::Status CheckRequiredText(absl::string_view field, absl::string_view text,
                               size_t max_bytes) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must not be empty: ", Quote(text)));
  }
  return CheckText(field, text, max_bytes);
}

absl::StatusOr<std::string> NormalizeTag(absl::string_view field,
                                         absl::string_view tag,
                                         size_t max_bytes) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(tag));
  if (t.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must not be empty: ", Quote(tag)));
  }
  if (absl::Status s = CheckText(field, t, max_bytes); !s.ok()) return s;
  for (char c : t) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == ',') {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " must not contain spaces or commas: ", Quote(tag)));
    }
  }
  return t;
}

namespace {

// RFC 5322 atext, plus UTF-8 bytes (RFC 6532).
bool IsAtext(unsigned char c) {
  if (c >= 0x80) return true;
  if (absl::ascii_isalnum(c)) return true;
  return absl::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
         absl::string_view::npos;
}

// A dot-atom: atext runs separated by single dots, none at either end.
bool IsDotAtom(absl::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> NormalizeEmail(absl::string_view field,
                                           absl::string_view email) {
  std::string e = absl::AsciiStrToLower(absl::StripAsciiWhitespace(email));
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", Quote(email), " is not an e-mail address: ", why));
  };
  if (e.size() > 254) return bad("longer than 254 bytes");
  if (FindInvalidUtf8(e) != absl::string_view::npos) return bad("invalid UTF-8");
  // The local part: a quoted string ("john smith"@example.com, RFC 5322) or
  // a dot-atom-like run without spaces.
  size_t at = 0;
  std::string local;
  if (!e.empty() && e[0] == '"') {
    std::string content;
    size_t i = 1;
    bool closed = false;
    for (; i < e.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(e[i]);
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\') {
        if (i + 1 == e.size()) break;
        c = static_cast<unsigned char>(e[++i]);
        // As unescaped: an escaped DEL accepted here would come out bare, and
        // the result would not normalise again.
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
          return bad("a control character in the quoted local part");
        }
        content.push_back(static_cast<char>(c));
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        return bad("a control character in the quoted local part");
      }
      content.push_back(static_cast<char>(c));
    }
    if (!closed) return bad("the quoted local part is not closed");
    at = i + 1;
    if (at >= e.size() || e[at] != '@') return bad("no '@' after the quoted local part");
    if (content.empty()) return bad("empty local part");
    if (IsDotAtom(content)) {
      local = content;  // "john"@x is john@x
    } else {
      local = "\"";
      for (char c : content) {
        if (c == '"' || c == '\\') local.push_back('\\');
        local.push_back(c);
      }
      local.push_back('"');
    }
  } else {
    at = e.find('@');
    if (at == std::string::npos) return bad("no '@'");
    if (at == 0) return bad("empty local part");
    local = e.substr(0, at);
    for (char c : local) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' ||
          c == '"' || c == '(' || c == ')') {
        return bad("contains a space or a character not allowed here");
      }
    }
  }
  std::string domain = e.substr(at + 1);
  if (domain.empty()) return bad("empty domain");
  if (domain.find('@') != std::string::npos) return bad("more than one '@'");
  for (char c : domain) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' ||
        c == '"' || c == '(' || c == ')') {
      return bad("contains a space or a character not allowed here");
    }
  }
  if (absl::StartsWith(domain, ".") || absl::EndsWith(domain, ".") ||
      absl::StrContains(domain, "..")) {
    return bad("malformed domain");
  }
  std::string out = absl::StrCat(local, "@", domain);
  if (out.size() > 254) return bad("longer than 254 bytes");
  return out;
}

absl::StatusOr<std::string> NormalizePhone(absl::string_view field,
                                           absl::string_view phone) {
  absl::string_view p = absl::StripAsciiWhitespace(phone);
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      out.push_back(c);
    } else if (c == '+' && out.empty() && i == 0) {
      out.push_back(c);
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
               c == '/') {
      continue;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " ", Quote(phone), " is not a phone number: unexpected '",
          absl::CHexEscape(absl::string_view(&p[i], 1)), "'"));
    }
  }
  size_t digits = out.size() - (absl::StartsWith(out, "+") ? 1 : 0);
  if (digits < 3 || digits > 20) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", Quote(phone), " is not a phone number: ", digits,
        " digits"));
  }
  return out;
}

}  // namespace helpdesk::internal

namespace helpdesk {

// Declared in helpdesk/channel.h, for hosts' adapters; one home for the check.
bool IsValidUtf8(absl::string_view text) {
  return internal::FindInvalidUtf8(text) == absl::string_view::npos;
}

}  // namespace helpdesk
