#include "channels/email_header_text.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "channels/email_text.h"

namespace helpdesk::email_internal {
namespace {

// Longest charset label (with an RFC 2231 language) taken as one.
constexpr size_t kMaxCharsetLabel = 64;
// Distinct charsets per value given to iconv; later ones are read like an
// unknown label (UTF-8 when valid, else windows-1252). A hostile value with
// thousands of made-up labels would otherwise cost an iconv_open each.
constexpr size_t kMaxCharsets = 16;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The header value unfolded: a CR/LF run followed by whitespace is removed,
// any other CR/LF run becomes one space.
std::string Unfold(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    if (raw[i] != '\r' && raw[i] != '\n') {
      out.push_back(raw[i++]);
      continue;
    }
    while (i < raw.size() && (raw[i] == '\r' || raw[i] == '\n')) ++i;
    if (i < raw.size() && !IsBlank(raw[i])) out.push_back(' ');
  }
  return out;
}

// The position of `pattern` (two bytes) at or after `from`, remembering the
// last answer so that repeated searches over the same text never scan a byte
// twice (beyond one byte of overlap): total work is linear in the text.
class ForwardFinder {
 public:
  ForwardFinder(absl::string_view text, absl::string_view pattern, size_t* examined)
      : text_(text), pattern_(pattern), examined_(examined) {}

  size_t Find(size_t from) {
    if (searched_ && from >= searched_from_ &&
        (found_ == absl::string_view::npos || found_ >= from)) {
      return found_;
    }
    searched_ = true;
    searched_from_ = from;
    found_ = text_.find(pattern_, from);
    const size_t end = found_ == absl::string_view::npos ? text_.size()
                                                         : found_ + pattern_.size();
    if (end > from) *examined_ += end - from;
    return found_;
  }

 private:
  absl::string_view text_;
  absl::string_view pattern_;
  size_t* examined_;
  bool searched_ = false;
  size_t searched_from_ = 0;
  size_t found_ = absl::string_view::npos;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeQ(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Lenient base64: characters outside the alphabet are skipped, missing
// padding is fine, and "=" ends a quantum (so two encodings glued together
// still decode).
std::string DecodeB(absl::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4 + 3);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') {
      bits = 0;
      count = 0;
      continue;
    }
    int v = Base64Value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

struct Segment {
  bool encoded = false;
  std::string charset;  // lower-cased label without a language, for encoded
  std::string bytes;
};

// Charset label of an encoded word: no whitespace, no "?", not empty.
bool IsCharsetChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u > ' ' && u < 0x7F && c != '?' && c != '=';
}

}  // namespace

bool MayHoldEncodedWords(absl::string_view text) {
  return text.find("=?") != absl::string_view::npos;
}

std::string DecodeHeaderText(absl::string_view raw, absl::string_view what,
                             std::vector<std::string>* warnings, HeaderTextStats* stats) {
  HeaderTextStats local_stats;
  if (stats == nullptr) stats = &local_stats;
  *stats = HeaderTextStats{};
  const std::string s = Unfold(raw);
  stats->bytes_examined += raw.size();
  ForwardFinder opens(s, "=?", &stats->bytes_examined);
  ForwardFinder closes(s, "?=", &stats->bytes_examined);

  std::vector<Segment> segments;
  size_t text_start = 0;
  auto add_text = [&](size_t end) {
    if (end <= text_start) return;
    absl::string_view text = absl::string_view(s).substr(text_start, end - text_start);
    if (!segments.empty() && !segments.back().encoded) {
      segments.back().bytes.append(text.data(), text.size());
    } else {
      segments.push_back(Segment{false, "", std::string(text)});
    }
  };

  size_t i = opens.Find(0);
  while (i != absl::string_view::npos) {
    // "=?" charset "?" encoding "?" text "?="
    size_t j = i + 2;
    const size_t charset_end_limit = std::min(s.size(), j + kMaxCharsetLabel + 1);
    while (j < charset_end_limit && IsCharsetChar(s[j])) ++j;
    stats->bytes_examined += j - i;
    const bool header_ok = j > i + 2 && j + 2 < s.size() && s[j] == '?' &&
                           (s[j + 1] == 'B' || s[j + 1] == 'b' || s[j + 1] == 'Q' ||
                            s[j + 1] == 'q') &&
                           s[j + 2] == '?';
    size_t close = absl::string_view::npos;
    if (header_ok) {
      const size_t text_begin = j + 3;
      close = closes.Find(text_begin);
      // A "=?" inside the text starts another word: this one is broken. (A
      // base64 pad right before the close, "...=?=", is not such a start.)
      const size_t inner = opens.Find(text_begin);
      if (close != absl::string_view::npos && inner != absl::string_view::npos &&
          inner + 1 < close) {
        close = absl::string_view::npos;
      }
    }
    if (close == absl::string_view::npos) {
      i = opens.Find(i + 1);
      continue;
    }
    // A whole encoded word.
    std::string label = absl::AsciiStrToLower(absl::string_view(s).substr(i + 2, j - i - 2));
    if (size_t star = label.find('*'); star != std::string::npos) label.resize(star);
    absl::string_view text = absl::string_view(s).substr(j + 3, close - j - 3);
    std::string bytes = (s[j + 1] == 'B' || s[j + 1] == 'b') ? DecodeB(text) : DecodeQ(text);
    ++stats->encoded_words;
    // Whitespace between two encoded words is dropped.
    bool only_blanks = true;
    for (size_t k = text_start; k < i && only_blanks; ++k) only_blanks = IsBlank(s[k]);
    stats->bytes_examined += i - text_start;
    if (only_blanks && !segments.empty() && segments.back().encoded) {
      if (segments.back().charset == label) {
        segments.back().bytes += bytes;
      } else {
        segments.push_back(Segment{true, std::move(label), std::move(bytes)});
      }
    } else {
      add_text(i);
      segments.push_back(Segment{true, std::move(label), std::move(bytes)});
    }
    text_start = close + 2;
    i = opens.Find(text_start);
  }
  add_text(s.size());

  std::string out;
  out.reserve(s.size());
  // Each distinct charset is looked up once (a hostile value alternates two
  // charsets over thousands of words).
  struct Charset {
    std::string label;
    bool ascii_compatible;
  };
  std::vector<Charset> charsets;
  auto plain_ascii = [](absl::string_view bytes) {
    return IsAscii(bytes) && bytes.find('\0') == absl::string_view::npos;
  };
  for (const Segment& segment : segments) {
    if (!segment.encoded) {
      if (plain_ascii(segment.bytes)) {
        out += segment.bytes;
      } else {
        out += ConvertToUtf8(segment.bytes, "", what, nullptr);
      }
      continue;
    }
    auto known = std::find_if(charsets.begin(), charsets.end(),
                              [&](const Charset& c) { return c.label == segment.charset; });
    if (known == charsets.end() && charsets.size() < kMaxCharsets) {
      charsets.push_back(Charset{segment.charset, IsAsciiCompatibleCharset(segment.charset)});
      known = charsets.end() - 1;
    }
    if (known == charsets.end()) {
      // Over the limit of charsets: read like an unknown label.
      out += plain_ascii(segment.bytes) ? segment.bytes
                                        : ConvertToUtf8(segment.bytes, "", what, warnings);
    } else if (known->ascii_compatible && plain_ascii(segment.bytes)) {
      out += segment.bytes;
    } else {
      out += ConvertToUtf8(segment.bytes, segment.charset, what, warnings);
    }
  }
  return out;
}

}  // namespace helpdesk::email_internal
