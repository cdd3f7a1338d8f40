// MessageParser's fast path: the common mail (one text/plain body, plain
// header fields and addresses) read without building GMime's object tree,
// which costs most of a short message's parse (its construction and
// teardown, about three quarters of the instructions).
//
// It yields exactly what the GMime path yields, by feeding the same code
// (ReadHeaderFields, AppendParty, AddTextBody, Finish) the same values GMime
// would give it: every field's raw value (what follows the colon, folds and
// line break included), the Message-ID without its brackets, each mailbox's
// address and display name, the body with its transfer encoding undone by
// GMime's own decoder (g_mime_encoding_step, as the data wrapper does). It
// takes only what it is sure GMime reads the same way, and declines the rest
// (the caller then parses with GMime):
//   - no NUL byte; header fields ASCII, names of letters, digits, '-', '_'
//     and '.', no line that is only whitespace, a blank line ending them;
//   - From, To, Cc, Message-ID, Content-Type, Content-Transfer-Encoding and
//     Content-Disposition at most once; From present with a first mailbox;
//   - addresses: a list of "local@domain", "<local@domain>" and "Phrase
//     <local@domain>", the phrase of letters, digits, spaces, '-', '_' and
//     '\'', or a quoted string without '"' or '\\' in it; no encoded words,
//     groups, comments, routes or IDN ("xn--") domains;
//   - Message-ID "<local@domain>" (dot-atoms of plain characters);
//   - Content-Type text/plain (or none) with plain parameters (no RFC 2231
//     "*", no "name"); Content-Transfer-Encoding 7bit, 8bit, binary,
//     quoted-printable or base64 (or none); Content-Disposition absent or
//     "inline"; no Content-ID nor any other Content-* field but
//     Content-Description and Content-Language.
// The differential tests (email_fast_parse_test.cc) and fuzzer
// (email_fast_parse_fuzzer.cc) compare it with GMime field by field.
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "channels/email_inbound_parser.h"

namespace helpdesk::email_internal {

namespace {

struct Mailbox {
  absl::string_view addr;
  absl::string_view name;  // as GMime gives it: unquoted, may be empty
};

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

absl::string_view Trim(absl::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool IsFieldNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
         c == '.';
}

bool IsLocalChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-' || c == '=';
}

bool IsDomainChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}

// A dot-atom of `is_char` characters: no leading, trailing or double dot.
template <typename Pred>
bool IsDotAtom(absl::string_view s, Pred is_char) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!is_char(s[i])) return false;
    if (s[i] == '.' && s[i + 1] == '.') return false;
  }
  return true;
}

bool IsPlainAddress(absl::string_view addr) {
  size_t at = addr.find('@');
  if (at == absl::string_view::npos || addr.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  absl::string_view domain = addr.substr(at + 1);
  if (absl::StrContains(absl::AsciiStrToLower(domain), "xn--")) return false;
  return IsDotAtom(addr.substr(0, at), IsLocalChar) && IsDotAtom(domain, IsDomainChar);
}

bool IsPhraseChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '\t' ||
         c == '\r' || c == '\n' || c == '-' || c == '_' || c == '\'';
}

// One mailbox, trimmed: "a@b", "<a@b>", "Name <a@b>", "\"Name\" <a@b>".
bool ParseMailbox(absl::string_view s, Mailbox* out) {
  s = Trim(s);
  if (s.empty()) return false;
  if (s.back() != '>') {
    if (!IsPlainAddress(s)) return false;
    *out = Mailbox{s, {}};
    return true;
  }
  size_t lt = s.find('<');
  if (lt == absl::string_view::npos) return false;
  absl::string_view addr = s.substr(lt + 1, s.size() - lt - 2);
  if (!IsPlainAddress(addr)) return false;
  absl::string_view phrase = Trim(s.substr(0, lt));
  if (!phrase.empty() && phrase.front() == '"') {
    if (phrase.size() < 2 || phrase.back() != '"') return false;
    phrase = phrase.substr(1, phrase.size() - 2);
    for (char c : phrase) {
      if (c == '"' || c == '\\' || c < ' ' || c > '~') return false;
    }
  } else {
    for (char c : phrase) {
      if (!IsPhraseChar(c)) return false;
    }
  }
  if (absl::StrContains(phrase, "=?")) return false;
  *out = Mailbox{addr, phrase};
  return true;
}

// A comma-separated list of mailboxes (none when the value is blank). Commas
// inside a quoted display name do not separate.
bool ParseMailboxList(absl::string_view value, std::vector<Mailbox>* out) {
  if (Trim(value).empty()) return true;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size() && value[i] == '"') quoted = !quoted;
    if (i < value.size() && (quoted || value[i] != ',')) continue;
    Mailbox m;
    if (!ParseMailbox(value.substr(start, i - start), &m)) return false;
    out->push_back(m);
    if (out->size() > 100) return false;
    start = i + 1;
  }
  return !quoted;
}

bool IsTokenChar(char c) {
  return c > ' ' && c < 127 && absl::string_view("()<>@,;:\\\"/[]?=").find(c) ==
                                   absl::string_view::npos;
}

struct ContentType {
  absl::string_view charset, format, delsp;
};

// "text/plain" and plain parameters.
bool ParseContentType(absl::string_view value, ContentType* out) {
  value = Trim(value);
  size_t semi = value.find(';');
  absl::string_view media = Trim(value.substr(0, semi));
  if (!absl::EqualsIgnoreCase(media, "text/plain")) return false;
  if (semi == absl::string_view::npos) return true;
  absl::string_view rest = value.substr(semi + 1);
  std::vector<absl::string_view> names;
  while (true) {
    rest = Trim(rest);
    if (rest.empty()) return true;
    size_t i = 0;
    while (i < rest.size() && IsTokenChar(rest[i])) ++i;
    absl::string_view name = rest.substr(0, i);
    if (name.empty() || i >= rest.size() || rest[i] != '=') return false;
    if (name.find('*') != absl::string_view::npos || absl::EqualsIgnoreCase(name, "name")) {
      return false;
    }
    for (absl::string_view seen : names) {
      if (absl::EqualsIgnoreCase(seen, name)) return false;
    }
    names.push_back(name);
    ++i;
    absl::string_view v;
    if (i < rest.size() && rest[i] == '"') {
      size_t close = rest.find('"', i + 1);
      if (close == absl::string_view::npos) return false;
      v = rest.substr(i + 1, close - i - 1);
      for (char c : v) {
        if (c == '\\' || c < ' ' || c > '~') return false;
      }
      i = close + 1;
    } else {
      size_t start = i;
      while (i < rest.size() && IsTokenChar(rest[i])) ++i;
      v = rest.substr(start, i - start);
      if (v.empty()) return false;
    }
    if (absl::StrContains(v, "=?")) return false;
    if (absl::EqualsIgnoreCase(name, "charset")) out->charset = v;
    if (absl::EqualsIgnoreCase(name, "format")) out->format = v;
    if (absl::EqualsIgnoreCase(name, "delsp")) out->delsp = v;
    rest = rest.substr(i);
    size_t k = 0;
    while (k < rest.size() && IsBlank(rest[k])) ++k;
    if (k == rest.size()) return true;
    if (rest[k] != ';') return false;
    rest = rest.substr(k + 1);
  }
}

// "<local@domain>" -> "local@domain", as GMime's Message-ID decoding gives.
bool ParseMessageId(absl::string_view value, absl::string_view* out) {
  value = Trim(value);
  if (value.size() < 3 || value.front() != '<' || value.back() != '>') return false;
  value = value.substr(1, value.size() - 2);
  if (!IsPlainAddress(value)) return false;
  *out = value;
  return true;
}

// The body with its transfer encoding undone, as GMime's data wrapper does.
std::string DecodeBody(absl::string_view body, GMimeContentEncoding encoding) {
  if (encoding != GMIME_CONTENT_ENCODING_BASE64 &&
      encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
    return std::string(body);
  }
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, encoding);
  std::string out(g_mime_encoding_outlen(&state, body.size()) + 16, '\0');
  size_t n = g_mime_encoding_step(&state, body.data(), body.size(), out.data());
  n += g_mime_encoding_flush(&state, "", 0, out.data() + n);
  out.resize(n);
  return out;
}

}  // namespace

bool MessageParser::ParseSimple(absl::string_view input) {
  if (input.find('\0') != absl::string_view::npos) return false;
  std::vector<HeaderField> fields;
  fields.reserve(16);
  size_t pos = 0;
  size_t body_start = absl::string_view::npos;
  while (pos < input.size()) {
    size_t nl = input.find('\n', pos);
    if (nl == absl::string_view::npos) return false;  // no blank line
    absl::string_view line = input.substr(pos, nl - pos);
    if (line.empty() || line == "\r") {
      body_start = nl + 1;
      break;
    }
    for (char c : line) {
      if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    size_t cr = line.find('\r');
    if (cr != absl::string_view::npos && cr + 1 != line.size()) return false;
    if (line[0] == ' ' || line[0] == '\t') {
      if (fields.empty() || Trim(line).empty()) return false;
      HeaderField& f = fields.back();
      f.raw_value = absl::string_view(f.raw_value.data(),
                                      input.data() + nl + 1 - f.raw_value.data());
    } else {
      size_t colon = line.find(':');
      if (colon == absl::string_view::npos || colon == 0) return false;
      for (size_t i = 0; i < colon; ++i) {
        if (!IsFieldNameChar(line[i])) return false;
      }
      fields.push_back(HeaderField{line.substr(0, colon),
                                   input.substr(pos + colon + 1, nl - pos - colon)});
    }
    pos = nl + 1;
  }
  if (body_start == absl::string_view::npos) return false;

  const HeaderField *from = nullptr, *to = nullptr, *cc = nullptr, *message_id = nullptr,
                    *content_type = nullptr, *encoding = nullptr;
  bool disposition = false;
  for (const HeaderField& f : fields) {
    const HeaderField** slot = nullptr;
    if (absl::EqualsIgnoreCase(f.name, "From")) {
      slot = &from;
    } else if (absl::EqualsIgnoreCase(f.name, "To")) {
      slot = &to;
    } else if (absl::EqualsIgnoreCase(f.name, "Cc")) {
      slot = &cc;
    } else if (absl::EqualsIgnoreCase(f.name, "Message-ID")) {
      slot = &message_id;
    } else if (absl::StartsWithIgnoreCase(f.name, "Content-")) {
      if (absl::EqualsIgnoreCase(f.name, "Content-Type")) {
        slot = &content_type;
      } else if (absl::EqualsIgnoreCase(f.name, "Content-Transfer-Encoding")) {
        slot = &encoding;
      } else if (absl::EqualsIgnoreCase(f.name, "Content-Disposition")) {
        if (disposition || !absl::EqualsIgnoreCase(Trim(f.raw_value), "inline")) return false;
        disposition = true;
      } else if (!absl::EqualsIgnoreCase(f.name, "Content-Description") &&
                 !absl::EqualsIgnoreCase(f.name, "Content-Language")) {
        return false;
      }
    }
    if (slot != nullptr) {
      if (*slot != nullptr) return false;
      *slot = &f;
    }
  }

  std::vector<Mailbox> from_list, to_list, cc_list;
  if (from == nullptr || !ParseMailboxList(from->raw_value, &from_list) ||
      from_list.empty()) {
    return false;
  }
  if (to != nullptr && !ParseMailboxList(to->raw_value, &to_list)) return false;
  if (cc != nullptr && !ParseMailboxList(cc->raw_value, &cc_list)) return false;
  absl::string_view id;
  if (message_id != nullptr && !ParseMessageId(message_id->raw_value, &id)) return false;
  ContentType type;
  if (content_type != nullptr && !ParseContentType(content_type->raw_value, &type)) {
    return false;
  }
  GMimeContentEncoding transfer = GMIME_CONTENT_ENCODING_DEFAULT;
  if (encoding != nullptr) {
    absl::string_view e = Trim(encoding->raw_value);
    if (absl::EqualsIgnoreCase(e, "base64")) {
      transfer = GMIME_CONTENT_ENCODING_BASE64;
    } else if (absl::EqualsIgnoreCase(e, "quoted-printable")) {
      transfer = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    } else if (!absl::EqualsIgnoreCase(e, "7bit") && !absl::EqualsIgnoreCase(e, "8bit") &&
               !absl::EqualsIgnoreCase(e, "binary")) {
      return false;
    }
  }
  absl::string_view body = input.substr(body_start);
  for (size_t cr = body.find('\r'); cr != absl::string_view::npos;
       cr = body.find('\r', cr + 1)) {
    if (cr + 1 == body.size() || body[cr + 1] != '\n') return false;
  }

  // Sure: the same calls the GMime path makes, on the same values.
  ReadHeaderFields(fields, id);
  google::protobuf::RepeatedPtrField<v1::Party> parties;
  std::vector<std::string> raw_from;
  for (const Mailbox& m : from_list) AppendParty(m.addr, m.name, &parties, &raw_from);
  *out_->mutable_from() = parties.Get(0);
  facts_.from_email = out_->from().email();
  facts_.from_name = out_->from().name();
  for (const Mailbox& m : to_list) AppendParty(m.addr, m.name, out_->mutable_to(), nullptr);
  for (const Mailbox& m : cc_list) AppendParty(m.addr, m.name, out_->mutable_cc(), nullptr);
  ++part_counter_;
  AddTextBody("text/plain", DecodeBody(body, transfer), type.charset, type.format,
              type.delsp);
  return true;
}

}  // namespace helpdesk::email_internal
