// An SMTP MailTransport on libcurl: one connection per message.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "internal/text_checks.h"
#include "channels/curl_support.h"
#include "helpdesk/channels/email.h"

namespace helpdesk {
namespace {

using internal::Quote;

void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The message being uploaded and what the server said.
struct Exchange {
  absl::string_view data;
  size_t offset = 0;
  // The server's last reply line other than the answer to QUIT.
  internal::CurlReplyLines reply;
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t n = std::min(size * count, exchange->data.size() - exchange->offset);
  std::memcpy(buffer, exchange->data.data() + exchange->offset, n);
  exchange->offset += n;
  return n;
}

int RecordSmtpReply(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  return static_cast<Exchange*>(user)->reply.Append(
      type, data, size, [](absl::string_view line) { return !absl::StartsWith(line, "221"); });
}

bool BadAddressText(absl::string_view s) {
  return s.find_first_of(absl::string_view("\r\n\0<>", 5)) != absl::string_view::npos;
}

class SmtpTransport final : public MailTransport {
 public:
  explicit SmtpTransport(SmtpOptions options) : options_(std::move(options)) {}

  absl::string_view Name() const override { return "helpdesk.smtp"; }

  absl::StatusOr<std::string> Send(absl::string_view envelope_from,
                                   absl::Span<const std::string> recipients,
                                   absl::string_view rfc5322) override {
    if (!absl::StartsWithIgnoreCase(options_.url, "smtp://") &&
        !absl::StartsWithIgnoreCase(options_.url, "smtps://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "options.url must start with smtp:// or smtps://: ", Quote(options_.url)));
    }
    if (recipients.empty()) {
      return absl::InvalidArgumentError("recipients: the list is empty");
    }
    if (BadAddressText(envelope_from)) {
      return absl::InvalidArgumentError(
          absl::StrCat("envelope_from has CR, LF, NUL or <>: ", Quote(envelope_from)));
    }
    EnsureCurlInitialized();
    std::unique_ptr<CURL, internal::CurlEasyDeleter> curl(curl_easy_init());
    if (curl == nullptr) return absl::InternalError("smtp: curl_easy_init failed");
    std::unique_ptr<curl_slist, internal::CurlListDeleter> rcpt;
    for (size_t i = 0; i < recipients.size(); ++i) {
      if (recipients[i].empty() || BadAddressText(recipients[i])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "recipients[", i, "] is not an address: ", Quote(recipients[i])));
      }
      std::string r = absl::StrCat("<", recipients[i], ">");
      curl_slist* appended = curl_slist_append(rcpt.release(), r.c_str());
      if (appended == nullptr) return absl::InternalError("smtp: out of memory");
      rcpt.reset(appended);
    }
    const std::string from = absl::StrCat("<", envelope_from, ">");
    Exchange exchange;
    exchange.data = rfc5322;
    char error[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadMessage);
    curl_easy_setopt(c, CURLOPT_READDATA, &exchange);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(rfc5322.size()));
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &RecordSmtpReply);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &exchange);
    internal::SetMailConnectionOptions(c, options_, error);

    CURLcode result = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (result == CURLE_OK) {
      return exchange.reply.last.empty() ? std::string("250") : exchange.reply.last;
    }
    const std::string reply = exchange.reply.last;
    const std::string detail = absl::StrCat(
        options_.url, ": ", curl_easy_strerror(result), error[0] ? " (" : "", error,
        error[0] ? ")" : "", reply.empty() ? "" : "; server said: ", reply);
    if (code >= 500 && code < 600) {
      return absl::FailedPreconditionError(absl::StrCat("smtp: refused: ", detail));
    }
    if (code >= 400 && code < 500) {
      return absl::UnavailableError(absl::StrCat("smtp: temporary failure: ", detail));
    }
    switch (result) {
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::InvalidArgumentError(absl::StrCat("smtp: options.url: ", detail));
      case CURLE_LOGIN_DENIED:
      case CURLE_USE_SSL_FAILED:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_AUTH_ERROR:
        return absl::FailedPreconditionError(absl::StrCat("smtp: ", detail));
      default:
        // Connection refused or reset, DNS failure, timeout, TLS handshake
        // failure, a reply the client did not expect: worth another try.
        return absl::UnavailableError(absl::StrCat("smtp: ", detail));
    }
  }

 private:
  const SmtpOptions options_;
};

}  // namespace

std::unique_ptr<MailTransport> NewSmtpTransport(const SmtpOptions& options) {
  return std::make_unique<SmtpTransport>(options);
}

}  // namespace helpdesk
