// Maildir (https://cr.yp.to/proto/maildir.html) as an outbound transport and
// as an inbound source.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "internal/text_checks.h"
#include "helpdesk/channels/email.h"
#include "internal/sha256.h"

namespace helpdesk {
namespace {

using internal::Quote;

std::string ErrnoText(int error) { return std::strerror(error); }

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("maildir: cannot create ", Quote(path), ": ", ErrnoText(errno)));
}

// Writes all of `data` to `fd`.
bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The host name with the characters Maildir reserves escaped.
std::string MaildirHostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "localhost";
  std::string out;
  for (const char* p = host; *p != '\0'; ++p) {
    if (*p == '/') {
      out += "\\057";
    } else if (*p == ':') {
      out += "\\072";
    } else {
      out.push_back(*p);
    }
  }
  return out;
}

class MaildirTransport final : public MailTransport {
 public:
  explicit MaildirTransport(std::string dir) : dir_(std::move(dir)) {}

  absl::string_view Name() const override { return "helpdesk.maildir"; }

  absl::StatusOr<std::string> Send(absl::string_view envelope_from,
                                   absl::Span<const std::string> recipients,
                                   absl::string_view rfc5322) override {
    if (recipients.empty()) {
      return absl::InvalidArgumentError("recipients: the list is empty");
    }
    for (absl::string_view d : {absl::string_view(""), absl::string_view("/tmp"),
                                absl::string_view("/new"), absl::string_view("/cur")}) {
      absl::Status s = MakeDir(absl::StrCat(dir_, d));
      if (!s.ok()) return s;
    }
    static std::atomic<uint64_t> counter{0};
    static const std::string host = MaildirHostName();
    const std::string digest = internal::Sha256Hex(rfc5322).substr(0, 16);
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string name = absl::StrCat("hd", digest, ".P", getpid(), "Q",
                                      counter.fetch_add(1), ".", host);
      std::string tmp = absl::StrCat(dir_, "/tmp/", name);
      int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) {
        if (errno == EEXIST) continue;
        return absl::UnavailableError(
            absl::StrCat("maildir: cannot create ", Quote(tmp), ": ", ErrnoText(errno)));
      }
      bool ok = WriteAll(fd, rfc5322) && fsync(fd) == 0;
      int write_errno = errno;
      close(fd);
      if (!ok) {
        unlink(tmp.c_str());
        return absl::UnavailableError(
            absl::StrCat("maildir: cannot write ", Quote(tmp), ": ", ErrnoText(write_errno)));
      }
      // link() never replaces an existing file, unlike rename().
      std::string target = absl::StrCat(dir_, "/new/", name);
      if (link(tmp.c_str(), target.c_str()) != 0) {
        int link_errno = errno;
        unlink(tmp.c_str());
        if (link_errno == EEXIST) continue;
        return absl::UnavailableError(absl::StrCat("maildir: cannot move ", Quote(tmp),
                                                   " to new/: ", ErrnoText(link_errno)));
      }
      unlink(tmp.c_str());
      return name;
    }
    return absl::UnavailableError(
        absl::StrCat("maildir: no unique file name found in ", Quote(dir_)));
  }

 private:
  const std::string dir_;
};

void SplitName(const std::string& name, std::string* id, std::string* flags) {
  size_t info = name.find(":2,");
  if (info == std::string::npos) {
    *id = name.substr(0, name.find(':'));
    flags->clear();
    return;
  }
  *id = name.substr(0, info);
  *flags = name.substr(info + 3);
  std::sort(flags->begin(), flags->end());
}

// Lists the regular files of `dir`; false with errno when it cannot be read.
bool ListFiles(const std::string& dir, std::vector<std::string>* names) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  while (struct dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    if (name.empty() || name[0] == '.') continue;
    struct stat st;
    if (stat(absl::StrCat(dir, "/", name).c_str(), &st) != 0) continue;  // vanished
    if (!S_ISREG(st.st_mode)) continue;
    names->push_back(std::move(name));
  }
  closedir(d);
  return true;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::unique_ptr<MailTransport> NewMaildirTransport(absl::string_view dir) {
  return std::make_unique<MaildirTransport>(std::string(dir));
}

absl::StatusOr<std::vector<MaildirMessage>> ReadMaildir(absl::string_view dir) {
  const std::string root(dir);
  if (!IsDirectory(root + "/new") && !IsDirectory(root + "/cur")) {
    return absl::NotFoundError(
        absl::StrCat("maildir: ", Quote(root), " has neither new/ nor cur/"));
  }
  std::vector<MaildirMessage> messages;
  for (bool is_new : {true, false}) {
    const std::string sub = absl::StrCat(root, is_new ? "/new" : "/cur");
    std::vector<std::string> names;
    if (!ListFiles(sub, &names)) {
      if (errno == ENOENT) continue;
      return absl::UnavailableError(
          absl::StrCat("maildir: cannot read ", Quote(sub), ": ", ErrnoText(errno)));
    }
    for (std::string& name : names) {
      MaildirMessage m;
      SplitName(name, &m.id, &m.flags);
      m.path = absl::StrCat(sub, "/", name);
      m.is_new = is_new;
      m.seen = m.flags.find('S') != std::string::npos;
      messages.push_back(std::move(m));
    }
  }
  std::sort(messages.begin(), messages.end(),
            [](const MaildirMessage& a, const MaildirMessage& b) {
              return a.id != b.id ? a.id < b.id : a.path < b.path;
            });
  return messages;
}

absl::StatusOr<std::string> LoadMaildirMessage(const MaildirMessage& message,
                                               size_t max_bytes) {
  int fd = open(message.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("maildir: ", Quote(message.path), " is gone"));
    }
    return absl::UnavailableError(absl::StrCat("maildir: cannot open ", Quote(message.path),
                                               ": ", ErrnoText(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) > max_bytes) {
    close(fd);
    return absl::ResourceExhaustedError(
        absl::StrCat("maildir: ", Quote(message.path), " is ", st.st_size,
                     " bytes, over the limit of ", max_bytes, " bytes"));
  }
  std::string bytes;
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int read_errno = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("maildir: cannot read ", Quote(message.path),
                                                 ": ", ErrnoText(read_errno)));
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
    if (bytes.size() > max_bytes) {
      close(fd);
      return absl::ResourceExhaustedError(
          absl::StrCat("maildir: ", Quote(message.path), " is over the limit of ",
                       max_bytes, " bytes"));
    }
  }
  close(fd);
  return bytes;
}

absl::Status MarkMaildirMessageProcessed(absl::string_view dir,
                                         const MaildirMessage& message) {
  const std::string root(dir);
  std::string flags = message.flags;
  if (flags.find('S') == std::string::npos) flags.push_back('S');
  std::sort(flags.begin(), flags.end());
  const std::string target = absl::StrCat(root, "/cur/", message.id, ":2,", flags);
  if (!message.is_new && message.flags.find('S') != std::string::npos &&
      message.path == target) {
    return absl::OkStatus();
  }
  if (rename(message.path.c_str(), target.c_str()) == 0) return absl::OkStatus();
  const int rename_errno = errno;
  if (rename_errno == ENOENT) {
    // Already moved (by an earlier call or a mail client) and seen: done.
    std::vector<std::string> names;
    if (ListFiles(root + "/cur", &names)) {
      for (const std::string& name : names) {
        std::string id, current_flags;
        SplitName(name, &id, &current_flags);
        if (id == message.id && current_flags.find('S') != std::string::npos) {
          return absl::OkStatus();
        }
      }
    }
    return absl::NotFoundError(
        absl::StrCat("maildir: ", Quote(message.path), " is gone"));
  }
  return absl::UnavailableError(absl::StrCat("maildir: cannot move ", Quote(message.path),
                                             " to ", Quote(target), ": ",
                                             ErrnoText(rename_errno)));
}

}  // namespace helpdesk
