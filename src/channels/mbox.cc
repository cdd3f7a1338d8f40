// mbox files (RFC 4155, the mboxrd and mboxo variants) as an inbound source.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "internal/text_checks.h"
#include "helpdesk/channels/email.h"

namespace helpdesk {
namespace {

// `line` without its line end ("\n" or "\r\n").
absl::string_view Content(absl::string_view line) {
  if (absl::EndsWith(line, "\n")) line.remove_suffix(1);
  if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
  return line;
}

// A "From " separator line: "From " then the envelope sender, then the date,
// which holds a digit ("From ada@example.com Mon Jan  5 09:00:00 2026").
bool IsSeparator(absl::string_view line) {
  if (!absl::StartsWith(line, "From ")) return false;
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(5));
  size_t space = rest.find_first_of(" \t");
  if (rest.empty() || space == absl::string_view::npos) return false;
  absl::string_view date = rest.substr(space);
  for (char c : date) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// Appends `line` to `raw`, undoing the mboxrd quoting: ">From ", ">>From ",
// ... lose one '>' (which also reads mboxo's ">From " right).
void AppendUnquoted(absl::string_view line, std::string* raw) {
  size_t quotes = 0;
  while (quotes < line.size() && line[quotes] == '>') ++quotes;
  if (quotes > 0 && absl::StartsWith(line.substr(quotes), "From ")) {
    line.remove_prefix(1);
  }
  raw->append(line.data(), line.size());
}

}  // namespace

absl::StatusOr<std::vector<MboxMessage>> SplitMbox(absl::string_view mbox) {
  std::vector<MboxMessage> out;
  bool previous_blank = true;  // the start of the file counts as after a blank
  size_t pos = 0;
  while (pos < mbox.size()) {
    size_t nl = mbox.find('\n', pos);
    size_t end = nl == absl::string_view::npos ? mbox.size() : nl + 1;
    absl::string_view line = mbox.substr(pos, end - pos);
    pos = end;
    absl::string_view content = Content(line);
    if (previous_blank && IsSeparator(content)) {
      if (!out.empty()) {
        // The blank line before a separator belongs to the mbox, not the
        // message.
        std::string& raw = out.back().raw;
        if (absl::EndsWith(raw, "\r\n")) {
          raw.resize(raw.size() - 2);
        } else if (absl::EndsWith(raw, "\n")) {
          raw.resize(raw.size() - 1);
        }
      }
      MboxMessage& m = out.emplace_back();
      m.envelope = std::string(absl::StripAsciiWhitespace(content.substr(5)));
      previous_blank = false;
      continue;
    }
    previous_blank = content.empty();
    if (out.empty()) {
      if (content.empty()) continue;  // blank lines before the first message
      return absl::InvalidArgumentError(absl::StrCat(
          "mbox: the first line is not a \"From \" separator line: ",
          internal::Quote(content)));
    }
    AppendUnquoted(line, &out.back().raw);
  }
  // The last message ends with the file; a final blank line is the mbox's.
  if (!out.empty()) {
    std::string& raw = out.back().raw;
    if (absl::EndsWith(raw, "\n\n")) {
      raw.resize(raw.size() - 1);
    } else if (absl::EndsWith(raw, "\r\n\r\n")) {
      raw.resize(raw.size() - 2);
    }
  }
  return out;
}

}  // namespace helpdesk
