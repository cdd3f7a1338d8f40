// Test helper: runs a server (a python3 script, dovecot) as a child process on
// a free loopback port, waits until it accepts connections, and stops it; makes
// self-signed certificates for the TLS tests; skips a test whose server cannot
// run here, or fails it when HELPDESK_REQUIRE_MAIL_SERVERS is set (CI sets it).
// Used by the SMTP and IMAP transport tests. Header-only; tests only.
#ifndef HELPDESK_TESTS_LOOPBACK_SERVER_H_
#define HELPDESK_TESTS_LOOPBACK_SERVER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

extern char** environ;

namespace helpdesk::testing {

// A loopback port nobody listens on right now, or 0.
inline int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

inline bool AcceptsOnLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// The first python3 (Debian's first: pyenv's lacks Debian's modules) that can
// import `module`, or "".
inline std::string PythonWith(const std::string& module) {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    std::string cmd = absl::StrCat(python, " -c 'import ", module, "' >/dev/null 2>&1");
    if (std::system(cmd.c_str()) == 0) return python;
  }
  return "";
}

// True when the environment variable HELPDESK_REQUIRE_MAIL_SERVERS is set and
// neither empty nor "0". CI sets it: there every mail server test must run.
inline bool MailServersRequired() {
  const char* v = std::getenv("HELPDESK_REQUIRE_MAIL_SERVERS");
  return v != nullptr && v[0] != '\0' && absl::string_view(v) != "0";
}

// Skips the current test because `reason` (a streamable expression) keeps its
// server from running here, or fails it when MailServersRequired(). Returns
// from the calling function (SetUp or a test body), as GTEST_SKIP does.
#define HELPDESK_SKIP_WITHOUT_MAIL_SERVER(reason)                                   \
  do {                                                                              \
    if (::helpdesk::testing::MailServersRequired()) {                               \
      GTEST_FAIL() << reason                                                        \
                   << " [fails instead of skipping: HELPDESK_REQUIRE_MAIL_SERVERS " \
                      "is set]";                                                    \
    } else {                                                                        \
      GTEST_SKIP() << reason;                                                       \
    }                                                                               \
  } while (0)

// The contents of the file `path` (at most its last `max_bytes`), or "".
inline std::string FileTail(const std::string& path, size_t max_bytes = 2000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

// Writes a new self-signed certificate for the IP address 127.0.0.1
// (CN and subjectAltName; an EC P-256 key, valid for 2 days) to `cert` and its
// key to `key`, with the openssl command line tool. A certificate that signs
// itself is its own CA: a client trusts it by naming `cert` as its CA file.
// Errors: Unavailable when openssl is missing or fails (its output is in the
// message).
inline absl::Status MakeSelfSignedCertificate(const std::string& cert,
                                              const std::string& key) {
  const std::string log = cert + ".openssl.log";
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '",
      key, "' -out '", cert, "' >'", log, "' 2>&1");
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "openssl could not make a self-signed certificate (exit status ", rc,
        "; the openssl command line tool is Debian's openssl package): ", FileTail(log)));
  }
  return absl::OkStatus();
}

// The directory of the test sources (for the server scripts beside them).
inline std::string TestSourceDir() {
  std::string here = __FILE__;
  return here.substr(0, here.rfind('/'));
}

// A server child process; stopped (SIGTERM, then SIGKILL) when destroyed.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() { Stop(); }

  // Starts `argv` (argv[0] found on PATH) with stdout discarded and stderr in
  // `log`, and waits up to 20 s for `port` to accept connections.
  absl::Status Start(const std::vector<std::string>& argv, int port,
                     const std::string& log) {
    std::vector<const char*> args;
    for (const std::string& a : argv) args.push_back(a.c_str());
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = posix_spawnp(&pid_, args[0], &actions, nullptr,
                          const_cast<char* const*>(args.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = 0;
      return absl::UnavailableError(absl::StrCat("cannot start ", argv[0]));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!AcceptsOnLoopback(port)) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return absl::UnavailableError(absl::StrCat("the server exited; see ", log));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("the server did not accept connections within 20 s; see ", log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::OkStatus();
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
};

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTS_LOOPBACK_SERVER_H_
