#include "channels/gmime_support.h"

#include <mutex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace helpdesk::email_internal {

void EnsureGMimeInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

ParserOptionsPtr NewLenientParserOptions() {
  EnsureGMimeInitialized();
  ParserOptionsPtr options(g_mime_parser_options_new());
  // Strict: GMime's loose RFC 2047 decoder is quadratic on unclosed encoded
  // words (a 1 MB subject of "=?utf-8?q?a" took 25 s) and drops words after a
  // padded base64 word. The channel decodes subjects, display names and file
  // names itself (DecodeHeaderText, linear), leniently.
  g_mime_parser_options_set_rfc2047_compliance_mode(options.get(),
                                                    GMIME_RFC_COMPLIANCE_STRICT);
  g_mime_parser_options_set_parameter_compliance_mode(options.get(),
                                                      GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(options.get(),
                                                    GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_allow_addresses_without_domain(options.get(), TRUE);
  static const char* kFallbackCharsets[] = {"UTF-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(options.get(), kFallbackCharsets);
  return options;
}

std::string DecodedContent(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return "";
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, stream.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  if (bytes == nullptr || bytes->len == 0) return "";
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string MediaType(GMimeObject* object) {
  // "Content-Type: text" (no subtype, RFC 1049 style): text/plain.
  absl::string_view header = View(g_mime_object_get_header(object, "Content-Type"));
  if (!header.empty()) {
    absl::string_view value = absl::StripAsciiWhitespace(header.substr(0, header.find(';')));
    if (value.find('/') == absl::string_view::npos && absl::EqualsIgnoreCase(value, "text")) {
      return "text/plain";
    }
  }
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return "text/plain";
  absl::string_view media = View(g_mime_content_type_get_media_type(type));
  absl::string_view sub = View(g_mime_content_type_get_media_subtype(type));
  if (media.empty()) return "text/plain";
  return absl::AsciiStrToLower(absl::StrCat(media, "/", sub.empty() ? "plain" : sub));
}

}  // namespace helpdesk::email_internal
