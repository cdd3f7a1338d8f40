// Internal: decoding of unstructured header text (a Subject, a display name,
// a file name) with RFC 2047 encoded words, in time linear in the input for
// every input. GMime's lenient RFC 2047 decoder is quadratic on unclosed
// encoded words ("=?utf-8?q?a" repeated: 272 KB took 1.6 s or more, 1 MB
// 25 s) and drops every word after a padded base64 word when it joins
// adjacent words, so the e-mail channel parses with GMime's strict RFC 2047
// mode (linear) and decodes these values itself. Pure functions; all
// thread-safe.
//
//   DecodeHeaderText("=?UTF-8?B?R3LD?=\r\n =?UTF-8?B?vGU=?=")  // "Grüe"
#ifndef HELPDESK_SRC_CHANNELS_EMAIL_HEADER_TEXT_H_
#define HELPDESK_SRC_CHANNELS_EMAIL_HEADER_TEXT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace helpdesk::email_internal {

// What DecodeHeaderText did, for tests and warnings.
struct HeaderTextStats {
  // Bytes of the input the decoder looked at, counting every re-scan; at
  // most a small constant times the input size for any input.
  size_t bytes_examined = 0;
  // Encoded words decoded.
  size_t encoded_words = 0;
};

// `raw` (a header value as written, possibly folded, possibly raw 8-bit)
// decoded to valid UTF-8, unfolded (a line break and the whitespace after it
// become that whitespace), not otherwise trimmed or collapsed. Leniently, as
// real mailers need:
//   - encoded words "=?charset?B|Q?text?=" (charset may carry an RFC 2231
//     "*language" suffix) are decoded wherever they start, also glued to
//     text or to each other without whitespace; their text may hold spaces
//     but no "=?";
//   - whitespace between two encoded words is dropped (RFC 2047 section 6.2);
//   - adjacent encoded words of the same charset have their bytes joined
//     before conversion, so a multi-byte character split across words
//     survives; each base64 word is decoded on its own (padding inside a run
//     of words loses nothing);
//   - B accepts missing padding and skips characters outside the alphabet;
//     Q turns "_" into a space and keeps a "=" not followed by two hex digits;
//   - charsets are converted with iconv through ConvertToUtf8 (its aliases and
//     repairs); an unknown charset gives UTF-8 when the bytes are UTF-8, else
//     windows-1252; undecodable bytes become U+FFFD;
//   - text outside encoded words is read as UTF-8 when valid, else as
//     windows-1252 (as GMime's fallback charsets do);
//   - something that only looks like the start of an encoded word ("=?" with
//     no valid charset, encoding or closing "?=") is kept as text.
// `warnings` (optional) receives ConvertToUtf8's warnings for encoded words,
// naming `what`. `stats` (optional) is filled in.
std::string DecodeHeaderText(absl::string_view raw, absl::string_view what = "header",
                             std::vector<std::string>* warnings = nullptr,
                             HeaderTextStats* stats = nullptr);

// True when `text` holds "=?", i.e. may hold an encoded word that a decoder
// left undecoded.
bool MayHoldEncodedWords(absl::string_view text);

}  // namespace helpdesk::email_internal

#endif  // HELPDESK_SRC_CHANNELS_EMAIL_HEADER_TEXT_H_
