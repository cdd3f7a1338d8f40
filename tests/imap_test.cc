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
#include "loopback_server.h"


namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const char kFirst[] =
    "From: ada@example.com\r\nTo: help@desk.example\r\nSubject: printer\r\n"
    "Message-ID: <imap.2@example.com>\r\n\r\nIt is broken.\r\n";
const char kSecond[] =
    "From: bob@example.com\r\nSubject: second\r\n\r\nhello\r\n";

class ImapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string python = testing::PythonWith("asyncio");
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
    port_ = testing::FreeLoopbackPort();
    ASSERT_NE(port_, 0);
    ASSERT_OK(server_.Start({python, testing::TestSourceDir() + "/imap_test_server.py",
                             std::to_string(port_), maildir, "desk", "s3cret"},
                            port_, dir + "/server.log"));
  }

  void TearDown() override {
    StopServer();
    std::error_code ignored;
    if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_, ignored);
  }

  void StopServer() { server_.Stop(); }

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
  testing::LoopbackServer server_;
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
  o.url = absl::StrCat("imap://127.0.0.1:", testing::FreeLoopbackPort(), "/INBOX");
  o.connect_timeout = absl::Seconds(5);
  absl::StatusOr<std::vector<int64_t>> r = NewImapSource(o)->ListUnseen();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  o.url = "http://example.com/INBOX";
  EXPECT_THAT(NewImapSource(o)->ListUnseen(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace helpdesk
