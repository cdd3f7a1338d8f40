// Internal: text handling of the e-mail channel that needs no MIME parser:
// charset conversion to UTF-8, UTF-8 repair, HTML to text, format=flowed,
// quoted-history stripping, msg-id lists, uuencoded blocks. Pure functions;
// all thread-safe. Charsets and UTF-8 are implemented in email_charset.cc,
// HTML to text in email_html_text.cc, the rest in email_text.cc.
#ifndef HELPDESK_SRC_CHANNELS_EMAIL_TEXT_H_
#define HELPDESK_SRC_CHANNELS_EMAIL_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace helpdesk::email_internal {

// `text` with every invalid UTF-8 sequence replaced by U+FFFD and NUL bytes
// removed. `*repairs` (optional) counts the replacements and removals.
std::string RepairUtf8(absl::string_view text, int* repairs = nullptr);

// True when `text` is valid UTF-8 (overlongs, surrogates and code points over
// U+10FFFF are invalid).
bool IsValidUtf8(absl::string_view text);

// The iconv name for a MIME charset label, mapping labels to the supersets
// mail programs really use (iso-8859-1 -> WINDOWS-1252, ks_c_5601-1987 and
// euc-kr -> CP949, shift_jis -> CP932, gb2312 -> GB18030, big5 -> BIG5-HKSCS,
// unicode-1-1-utf-7 -> UTF-7, ...). "UTF-8" for UTF-8 labels (and their
// common misspellings), "" for no label or a placeholder such as x-unknown,
// otherwise the label upper-cased for iconv to try.
std::string IconvCharsetName(absl::string_view label);

// True when ASCII bytes labelled `charset` are that same ASCII text (false
// for UTF-7, ISO-2022-*, UTF-16/32, UCS-*, HZ).
bool IsAsciiCompatibleCharset(absl::string_view charset);

// True when every byte of `bytes` is 7-bit.
bool IsAscii(absl::string_view bytes);

// Converts `bytes` labelled `charset` (may be empty) to UTF-8. Never fails:
// an unknown label or a missing one reads the bytes as UTF-8 when they are
// valid UTF-8, else as windows-1252; a label the bytes contradict (errors
// when decoding, but valid UTF-8) gives UTF-8; undecodable sequences become
// U+FFFD. Each such repair appends a warning naming `what` and the label.
std::string ConvertToUtf8(absl::string_view bytes, absl::string_view charset,
                          absl::string_view what,
                          std::vector<std::string>* warnings);

// The charset named by a <meta charset> or http-equiv Content-Type in the
// first 4 KiB of an HTML document, or "".
std::string HtmlMetaCharset(absl::string_view html);

// windows-1252 bytes 0x80..0x9F; the five unassigned ones map to the C1
// control of the same value, as browsers do. (Also what an HTML character
// reference in that range means.)
inline constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Appends code point `cp` to `out` as UTF-8; U+FFFD instead when `cp` is 0, a
// surrogate or above U+10FFFF.
void AppendCodePoint(uint32_t cp, std::string* out);

// Replaces CRLF and lone CR with LF.
std::string NormalizeNewlines(absl::string_view text);

// A readable plain-text rendering of an HTML document: script, style and head
// content dropped, tags removed, entities decoded, line breaks for block
// elements and <br>, "- " before list items, whitespace collapsed outside
// <pre>, at most one blank line in a row.
std::string HtmlToText(absl::string_view html);

// Undoes RFC 3676 format=flowed (soft line breaks, space-stuffing); `delsp`
// as the DelSp parameter. Input with LF line ends.
std::string UnflowText(absl::string_view text, bool delsp);

// Removes recognisable quoted history (see EmailInboundOptions::
// strip_quoted_history); returns `text` unchanged when nothing is recognised
// or when stripping would leave nothing. Input with LF line ends.
std::string StripQuotedHistory(absl::string_view text);

// Unfolds a header value: CR, LF and TAB become spaces, runs of whitespace
// become one space, leading and trailing whitespace is removed.
std::string CollapseWhitespace(absl::string_view text);

// The msg-ids ("<left@right>", returned without the brackets) in a header
// value such as References or In-Reply-To, in order, without duplicates, at
// most `max_ids`. Text outside angle brackets (comments, phrases, bare
// addresses) is ignored; an id must have an "@" and no whitespace.
std::vector<std::string> ExtractMessageIds(absl::string_view value,
                                           size_t max_ids = 1000);

// A uuencoded file found in a text body.
struct UuencodedFile {
  std::string file_name;
  std::string content;
};
// Removes "begin <mode> <name>" ... "end" blocks from `*text` (LF line ends)
// and returns their decoded files. Lines that are not valid uuencode inside a
// block end it.
std::vector<UuencodedFile> ExtractUuencodedFiles(std::string* text);

// A file name safe to show and store: path components, control characters
// and surrounding whitespace/dots removed, at most 255 bytes (cut at a UTF-8
// character boundary). May be empty.
std::string SanitizeFileName(absl::string_view name);

// A file extension (with the dot) for common media types, or "".
absl::string_view ExtensionForMediaType(absl::string_view media_type);

}  // namespace helpdesk::email_internal

#endif  // HELPDESK_SRC_CHANNELS_EMAIL_TEXT_H_
