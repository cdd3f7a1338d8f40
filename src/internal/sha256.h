// Internal: SHA-256 content addresses (OpenSSL's libcrypto does the hashing:
// it uses the CPU's SHA extensions where present, and is already on every
// Debian machine that has libcurl or libpq).
#ifndef HELPDESK_SRC_INTERNAL_SHA256_H_
#define HELPDESK_SRC_INTERNAL_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace helpdesk::internal {

// Lower-case hexadecimal SHA-256 of `data` (64 characters).
std::string Sha256Hex(absl::string_view data);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_INTERNAL_SHA256_H_
