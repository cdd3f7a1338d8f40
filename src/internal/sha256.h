// Internal: SHA-256 content addresses (OpenSSL's libcrypto does the hashing:
// it uses the CPU's SHA extensions where present, and is already on every
// Debian machine that has libcurl or libpq).
// Exported (HELPDESK_EXPORT) for helpdesk's other components (sqlite, email),
// which link core as a shared library too; not part of the public API.
#ifndef HELPDESK_SRC_INTERNAL_SHA256_H_
#define HELPDESK_SRC_INTERNAL_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"
#include "helpdesk/export.h"

namespace helpdesk::internal {

// Lower-case hexadecimal SHA-256 of `data` (64 characters).
HELPDESK_EXPORT std::string Sha256Hex(absl::string_view data);

// Lower-case hexadecimal HMAC-SHA256 of `data` under `key` (RFC 2104).
HELPDESK_EXPORT std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

// Compares two strings in time that depends only on their lengths.
HELPDESK_EXPORT bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_INTERNAL_SHA256_H_
