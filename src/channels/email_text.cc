// E-mail body text (email_text.h): format=flowed, quoted history, whitespace,
// msg-id lists, uuencoded blocks and attachment file names. Pure functions.
// Charsets and UTF-8 are in email_charset.cc, HTML to text in
// email_html_text.cc.
#include "channels/email_text.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace helpdesk::email_internal {

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
