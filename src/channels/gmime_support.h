// Internal: GMime set-up shared by the e-mail channel: one-time library
// initialisation, smart pointers for GObjects, parser options, and reading a
// part's decoded bytes.
#ifndef HELPDESK_SRC_CHANNELS_GMIME_SUPPORT_H_
#define HELPDESK_SRC_CHANNELS_GMIME_SUPPORT_H_

#include <gmime/gmime.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace helpdesk::email_internal {

// Calls g_mime_init() once per process (thread-safe). GMime is never shut
// down by the library: its caches live until the process ends.
void EnsureGMimeInitialized();

template <typename T>
struct GObjectUnref {
  void operator()(T* object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
// Owns one reference to a GObject.
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref<T>>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const {
    if (options != nullptr) g_mime_parser_options_free(options);
  }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

struct GFreeDeleter {
  void operator()(void* p) const { g_free(p); }
};
// Owns a g_malloc'ed string.
using GCharPtr = std::unique_ptr<char, GFreeDeleter>;

// Lenient parser options: loose parameter and address parsing; raw 8-bit
// header text read as UTF-8, else windows-1252. RFC 2047 decoding is GMime's
// strict one (linear time); callers decode what it leaves with
// DecodeHeaderText (email_header_text.h).
ParserOptionsPtr NewLenientParserOptions();

// The content of `part` with its Content-Transfer-Encoding undone.
std::string DecodedContent(GMimePart* part);

// "type/subtype" of `object`, lower-cased ("text/plain" when absent).
std::string MediaType(GMimeObject* object);

// A NUL-safe view of a possibly null C string.
inline absl::string_view View(const char* s) {
  return s == nullptr ? absl::string_view() : absl::string_view(s);
}

}  // namespace helpdesk::email_internal

#endif  // HELPDESK_SRC_CHANNELS_GMIME_SUPPORT_H_
