// An IMAP mailbox as an inbound source, on libcurl.
#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "internal/text_checks.h"
#include "channels/curl_support.h"
#include "helpdesk/channels/email.h"

namespace helpdesk {
namespace {

using internal::Quote;

// The most a reply to a command other than a message fetch may hold (a
// SEARCH of a very large mailbox included).
constexpr size_t kResponseLimit = size_t{64} << 20;

struct Transfer {
  std::string body;
  // A message fetch sets ImapOptions::max_message_bytes.
  size_t limit = kResponseLimit;
  bool over_limit = false;
  internal::CurlReplyLines reply;  // the server's last line
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->body.size() + n > t->limit) {
    t->over_limit = true;
    return 0;  // aborts the transfer
  }
  t->body.append(data, n);
  return n;
}

int RecordImapReply(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  return static_cast<Transfer*>(user)->reply.Append(
      type, data, size, [](absl::string_view line) { return line.size() < 1000; });
}

// The RFC822.SIZE of the message with `uid` in the untagged responses to
// "UID FETCH <uid> (RFC822.SIZE)" ("* 2 FETCH (UID 7 RFC822.SIZE 1234)"), or
// -1 when there is none (no such message). Other untagged responses (EXISTS,
// flag updates) may be mixed in.
int64_t FetchedSize(absl::string_view responses, int64_t uid) {
  for (absl::string_view line : absl::StrSplit(responses, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    const size_t open = line.find('(');
    if (!absl::StartsWith(line, "* ") || open == absl::string_view::npos ||
        !absl::StrContains(absl::AsciiStrToUpper(line.substr(0, open)), " FETCH ")) {
      continue;
    }
    std::vector<absl::string_view> items =
        absl::StrSplit(line.substr(open), absl::ByAnyChar("() "), absl::SkipEmpty());
    int64_t found_uid = -1;
    int64_t size = -1;
    for (size_t i = 0; i + 1 < items.size(); ++i) {
      int64_t value = 0;
      if (!absl::SimpleAtoi(items[i + 1], &value)) continue;
      if (absl::EqualsIgnoreCase(items[i], "UID")) found_uid = value;
      if (absl::EqualsIgnoreCase(items[i], "RFC822.SIZE")) size = value;
    }
    if (found_uid == uid && size >= 0) return size;
  }
  return -1;
}

class Imap final : public ImapSource {
 public:
  explicit Imap(ImapOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::string url = options_.url;
    while (absl::EndsWith(url, "/")) url.pop_back();
    size_t scheme = url.find("://");
    if (scheme != std::string::npos && url.find('/', scheme + 3) == std::string::npos) {
      url += "/INBOX";
    }
    mailbox_url_ = url;
  }

  absl::string_view Name() const override { return "helpdesk.imap"; }

  absl::StatusOr<std::vector<int64_t>> ListUnseen() override {
    // A server tells a client about mail that arrived since its last command
    // only when a command completes (RFC 3501 section 5.2; dovecot searches
    // the messages it has announced). libcurl does not SELECT the mailbox
    // again on the connection kept open, so without this NOOP a SEARCH there
    // would not see new mail until the next poll.
    Transfer noop;
    absl::Status s = Perform(mailbox_url_, "NOOP", &noop);
    if (!s.ok()) return s;
    Transfer t;
    s = Perform(mailbox_url_, "UID SEARCH UNSEEN", &t);
    if (!s.ok()) return s;
    std::vector<int64_t> uids;
    for (absl::string_view line : absl::StrSplit(t.body, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (!absl::StartsWithIgnoreCase(line, "* SEARCH")) continue;
      for (absl::string_view token : absl::StrSplit(line.substr(8), ' ', absl::SkipEmpty())) {
        int64_t uid = 0;
        if (absl::SimpleAtoi(token, &uid) && uid > 0) uids.push_back(uid);
      }
    }
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    return uids;
  }

  absl::StatusOr<std::string> Fetch(int64_t uid) override {
    if (uid <= 0) return absl::InvalidArgumentError(absl::StrCat("uid must be positive: ", uid));
    // The size first: a message over the limit is refused before its body is
    // fetched, so the fetch never marks it \Seen (libcurl fetches BODY[], not
    // BODY.PEEK[]) and the next poll reports it again.
    Transfer sized;
    absl::Status s = Perform(
        mailbox_url_, absl::StrCat("UID FETCH ", uid, " (RFC822.SIZE)").c_str(), &sized);
    if (!s.ok()) return s;
    const int64_t size = FetchedSize(sized.body, uid);
    if (size < 0) {
      return absl::NotFoundError(
          absl::StrCat("imap: no such message: ", mailbox_url_, ";UID=", uid));
    }
    if (static_cast<uint64_t>(size) > options_.max_message_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("imap: message ", uid, " has ", size, " bytes, over the limit of ",
                       options_.max_message_bytes, " bytes: ", mailbox_url_));
    }
    Transfer t;
    t.limit = options_.max_message_bytes;
    s = Perform(absl::StrCat(mailbox_url_, ";UID=", uid), nullptr, &t);
    if (s.code() == absl::StatusCode::kNotFound) return s;
    // Fetching set \Seen; only MarkSeen marks a message processed, so clear it
    // again, also after a fetch that failed part way. When this fails the
    // message is still returned (it may then stay seen).
    Transfer restore;
    Perform(mailbox_url_, absl::StrCat("UID STORE ", uid, " -FLAGS.SILENT (\\Seen)").c_str(),
            &restore)
        .IgnoreError();
    if (!s.ok()) return s;
    return std::move(t.body);
  }

  absl::Status MarkSeen(int64_t uid) override {
    if (uid <= 0) return absl::InvalidArgumentError(absl::StrCat("uid must be positive: ", uid));
    Transfer t;
    return Perform(mailbox_url_,
                   absl::StrCat("UID STORE ", uid, " +FLAGS.SILENT (\\Seen)").c_str(), &t);
  }

 private:
  absl::Status Perform(const std::string& url, const char* custom, Transfer* t) {
    if (!absl::StartsWithIgnoreCase(options_.url, "imap://") &&
        !absl::StartsWithIgnoreCase(options_.url, "imaps://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "options.url must start with imap:// or imaps://: ", Quote(options_.url)));
    }
    absl::MutexLock lock(&mu_);
    if (curl_ == nullptr) {
      curl_.reset(curl_easy_init());
      if (curl_ == nullptr) return absl::InternalError("imap: curl_easy_init failed");
    }
    CURL* c = curl_.get();
    curl_easy_reset(c);  // keeps the open connection
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    if (custom != nullptr) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, custom);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &RecordImapReply);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, t);
    internal::SetMailConnectionOptions(c, options_, error);
    const CURLcode result = curl_easy_perform(c);
    if (result == CURLE_OK) return absl::OkStatus();
    const std::string detail =
        absl::StrCat(url, ": ", curl_easy_strerror(result), error[0] ? " (" : "", error,
                     error[0] ? ")" : "",
                     t->reply.last.empty() ? "" : "; server said: ", t->reply.last);
    switch (result) {
      case CURLE_WRITE_ERROR:
        if (t->over_limit) {
          return absl::ResourceExhaustedError(
              absl::StrCat("imap: reply over the limit of ", t->limit, " bytes: ", url));
        }
        return absl::UnavailableError(absl::StrCat("imap: ", detail));
      case CURLE_REMOTE_FILE_NOT_FOUND:
        return absl::NotFoundError(absl::StrCat("imap: no such message: ", detail));
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::InvalidArgumentError(absl::StrCat("imap: options.url: ", detail));
      case CURLE_LOGIN_DENIED:  // also a SELECT the server refused
      case CURLE_USE_SSL_FAILED:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_AUTH_ERROR:
        return absl::FailedPreconditionError(absl::StrCat("imap: ", detail));
      default:
        return absl::UnavailableError(absl::StrCat("imap: ", detail));
    }
  }

  const ImapOptions options_;
  std::string mailbox_url_;
  absl::Mutex mu_;
  std::unique_ptr<CURL, internal::CurlEasyDeleter> curl_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<ImapSource> NewImapSource(const ImapOptions& options) {
  return std::make_unique<Imap>(options);
}

}  // namespace helpdesk
