// Internal: libcurl settings shared by the SMTP transport and the IMAP source.
#ifndef HELPDESK_SRC_CHANNELS_CURL_SUPPORT_H_
#define HELPDESK_SRC_CHANNELS_CURL_SUPPORT_H_

#include <curl/curl.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/channels/email.h"

namespace helpdesk::internal {

// std::unique_ptr deleters for libcurl's handles.
struct CurlEasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// The server's reply lines as libcurl's debug callback hands them over
// (CURLINFO_HEADER_IN, in pieces that need not end at a line's end).
struct CurlReplyLines {
  std::string partial_line;
  // The last complete, non-empty line (trailing white space stripped) that
  // the caller's `keep` accepted.
  std::string last;

  // Appends a piece when `type` is CURLINFO_HEADER_IN (other kinds are
  // ignored). Returns 0, what a CURLOPT_DEBUGFUNCTION returns.
  template <typename Keep>
  int Append(curl_infotype type, const char* data, size_t size, Keep keep) {
    if (type != CURLINFO_HEADER_IN) return 0;
    partial_line.append(data, size);
    size_t nl;
    while ((nl = partial_line.find('\n')) != std::string::npos) {
      std::string line(absl::StripTrailingAsciiWhitespace(
          absl::string_view(partial_line).substr(0, nl)));
      partial_line.erase(0, nl + 1);
      if (!line.empty() && keep(line)) last = std::move(line);
    }
    return 0;
  }
};

// Applies what SmtpOptions and ImapOptions have in common (they name these
// fields alike): no signals, the error buffer (CURL_ERROR_SIZE bytes),
// timeouts, STARTTLS policy, peer verification, CA file, and login.
template <typename MailOptions>
void SetMailConnectionOptions(CURL* c, const MailOptions& options, char* error_buffer) {
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  long use_ssl = CURLUSESSL_TRY;
  if (options.starttls == SmtpOptions::StartTls::kNever) use_ssl = CURLUSESSL_NONE;
  if (options.starttls == SmtpOptions::StartTls::kRequired) use_ssl = CURLUSESSL_ALL;
  curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options.verify_peer ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options.verify_peer ? 2L : 0L);
  if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options.password.c_str());
  }
}

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_CHANNELS_CURL_SUPPORT_H_
