// The libcurl IMAP source against a loopback IMAP server:
// tests/imap_test_server.py, a minimal IMAP4rev1 server on python3's standard
// library that serves a Maildir (Debian's dovecot-imapd would be the real
// thing; it needs a root-run daemon set-up that CI does not have). Skipped
// when python3 is not installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/testing/status_matchers.h"

extern char** environ;

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string Python() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    if (std::system(absl::StrCat(python, " -c 'import asyncio' >/dev/null 2>&1").c_str()) == 0) {
      return python;
    }
  }
  return "";
}

const char kFirst[] =
    "From: ada@example.com\r\nTo: help@desk.example\r\nSubject: printer\r\n"
    "Message-ID: <imap.2@example.com>\r\n\r\nIt is broken.\r\n";
const char kSecond[] =
    "From: bob@example.com\r\nSubject: second\r\n\r\nhello\r\n";

class ImapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string python = Python();
    if (python.empty()) GTEST_SKIP() << "python3 not found: the IMAP tests need it";
    std::string dir = ::testing::TempDir() + "/imap_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    temp_dir_ = dir;
    const std::string maildir = dir + "/Maildir";
    for (const char* sub : {"", "/new", "/cur", "/tmp"}) {
      ASSERT_EQ(mkdir((maildir + sub).c_str(), 0700), 0);
    }
    std::ofstream(maildir + "/cur/1.old:2,S") << "From: old@example.com\r\nSubject: seen\r\n\r\nx\r\n";
    std::ofstream(maildir + "/new/2.first") << kFirst;
    std::ofstream(maildir + "/new/3.second") << kSecond;
    port_ = FreePort();
    ASSERT_NE(port_, 0);
    const std::string script =
        std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/')) +
        "/imap_test_server.py";
    const std::string port = std::to_string(port_);
    std::vector<const char*> argv = {python.c_str(), script.c_str(), port.c_str(),
                                     maildir.c_str(), "desk", "s3cret", nullptr};
    const std::string log = dir + "/server.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = posix_spawnp(&server_, argv[0], &actions, nullptr,
                          const_cast<char* const*>(argv.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!Accepts(port_)) {
      int status = 0;
      if (waitpid(server_, &status, WNOHANG) == server_) {
        server_ = 0;
        FAIL() << "the IMAP server exited; see " << log;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "see " << log;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void TearDown() override {
    StopServer();
    std::error_code ignored;
    if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_, ignored);
  }

  void StopServer() {
    if (server_ <= 0) return;
    kill(server_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(server_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (waitpid(server_, &status, WNOHANG) == 0) {
      kill(server_, SIGKILL);
      waitpid(server_, &status, 0);
    }
  }

  ImapOptions Options() const {
    ImapOptions o;
    o.url = absl::StrCat("imap://127.0.0.1:", port_, "/INBOX");
    o.username = "desk";
    o.password = "s3cret";
    o.connect_timeout = absl::Seconds(5);
    o.timeout = absl::Seconds(20);
    return o;
  }

  std::string temp_dir_;
  int port_ = 0;
  pid_t server_ = 0;
};

TEST_F(ImapTest, PollFetchIngestMarkSeen) {
  std::unique_ptr<ImapSource> imap = NewImapSource(Options());
  EXPECT_EQ(imap->Name(), "helpdesk.imap");
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));

  ASSERT_OK_AND_ASSIGN(std::string raw, imap->Fetch(2));
  EXPECT_EQ(raw, kFirst);
  // Fetching alone does not mark the message: a failed ingest sees it again.
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));

  ASSERT_OK_AND_ASSIGN(v1::InboundMessage m,
                       NewEmailInbound()->Parse(raw, absl::UnixEpoch()));
  EXPECT_EQ(m.subject(), "printer");
  EXPECT_EQ(m.threading().message_id(), "imap.2@example.com");

  ASSERT_THAT(imap->MarkSeen(2), IsOk());
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(3));
  ASSERT_OK_AND_ASSIGN(raw, imap->Fetch(3));
  EXPECT_EQ(raw, kSecond);
  ASSERT_THAT(imap->MarkSeen(3), IsOk());
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, IsEmpty());
}

TEST_F(ImapTest, Errors) {
  std::unique_ptr<ImapSource> imap = NewImapSource(Options());
  EXPECT_THAT(imap->Fetch(99), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(imap->Fetch(0), StatusIs(absl::StatusCode::kInvalidArgument));

  ImapOptions small = Options();
  small.max_message_bytes = 10;
  EXPECT_THAT(NewImapSource(small)->Fetch(2),
              StatusIs(absl::StatusCode::kResourceExhausted));

  ImapOptions wrong = Options();
  wrong.password = "guess";
  EXPECT_THAT(NewImapSource(wrong)->ListUnseen(),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ImapOptions missing = Options();
  missing.url = absl::StrCat("imap://127.0.0.1:", port_, "/Nope");
  EXPECT_THAT(NewImapSource(missing)->ListUnseen(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ImapSourceTest, NothingListeningIsUnavailable) {
  ImapOptions o;
  o.url = absl::StrCat("imap://127.0.0.1:", FreePort(), "/INBOX");
  o.connect_timeout = absl::Seconds(5);
  absl::StatusOr<std::vector<int64_t>> r = NewImapSource(o)->ListUnseen();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  o.url = "http://example.com/INBOX";
  EXPECT_THAT(NewImapSource(o)->ListUnseen(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace helpdesk
