// Internal: checks and normalisations of text and identities, shared by the
// Desk, the SLA engine and the channel adapters (their one home: pure
// components and adapters never include the facade). Every error names the
// field and shows the offending value (escaped and shortened when long).
// Exported (HELPDESK_EXPORT) for helpdesk's other components (sqlite, email),
// which link core as a shared library too; not part of the public API.
#ifndef HELPDESK_SRC_INTERNAL_TEXT_CHECKS_H_
#define HELPDESK_SRC_INTERNAL_TEXT_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"

namespace helpdesk::internal {

// A printable rendering of a value for an error message: C-escaped, cut to
// about 60 bytes with "..." and the total size when longer.
HELPDESK_EXPORT std::string Quote(absl::string_view value);

// The length (1-4) of the valid UTF-8 sequence starting at byte `i` of
// `text`, or 0 when the bytes there are not one (overlong forms, surrogates and
// code points above U+10FFFF are invalid).
HELPDESK_EXPORT size_t Utf8SequenceLength(absl::string_view text, size_t i);

// Appends code point `cp` encoded as UTF-8; U+FFFD instead of NUL, a
// surrogate or a value above U+10FFFF.
HELPDESK_EXPORT void AppendUtf8(uint32_t cp, std::string* out);

// The byte offset of the first invalid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or npos.
HELPDESK_EXPORT size_t FindInvalidUtf8(absl::string_view text);

// The length of the run of ASCII bytes (0x01 to 0x7F: no NUL) at the start of
// `text`, read eight bytes at a time: the fast path of the UTF-8 scans.
HELPDESK_EXPORT size_t AsciiPrefixLength(absl::string_view text);

// InvalidArgument naming `field` when `text` is not valid UTF-8, contains a NUL
// byte, or is longer than `max_bytes`.
HELPDESK_EXPORT absl::Status CheckText(absl::string_view field, absl::string_view text,
                       size_t max_bytes);

// As CheckText, and also refuses an empty or all-whitespace value.
HELPDESK_EXPORT absl::Status CheckRequiredText(absl::string_view field, absl::string_view text,
                               size_t max_bytes);

// Lower-cases (ASCII) and trims a tag. Errors: InvalidArgument when empty,
// longer than max_bytes, not UTF-8, or containing whitespace or a comma.
HELPDESK_EXPORT absl::StatusOr<std::string> NormalizeTag(absl::string_view field,
                                         absl::string_view tag,
                                         size_t max_bytes);

// Trims and lower-cases an e-mail address and checks its shape: local@domain,
// the local part either without spaces and specials or an RFC 5322 quoted
// string ("john smith"@example.com, kept quoted with \ and " escaped; a
// quoted dot-atom such as "john"@x loses its quotes). Errors: InvalidArgument
// naming `field`.
HELPDESK_EXPORT absl::StatusOr<std::string> NormalizeEmail(absl::string_view field,
                                           absl::string_view email);

// Keeps digits and a leading '+'; drops spaces, dots, dashes and brackets.
// Errors: InvalidArgument when other characters occur or fewer than 3 digits
// remain.
HELPDESK_EXPORT absl::StatusOr<std::string> NormalizePhone(absl::string_view field,
                                           absl::string_view phone);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_INTERNAL_TEXT_CHECKS_H_
