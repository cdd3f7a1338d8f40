// The libcurl IMAP source against two loopback IMAP servers:
//  - ImapTest: tests/imap_test_server.py, a minimal IMAP4rev1 server on
//    python3's standard library that serves a Maildir (skipped without
//    python3);
//  - DovecotImapTest: Debian's dovecot (dovecot-imapd), the real thing, run by
//    tests/dovecot_test_server.sh in the foreground with a private
//    configuration in the test's temp dir (as root or as any user), offering
//    STARTTLS and imaps with a self-signed certificate made by the openssl
//    tool (skipped when dovecot is not installed or cannot start here).
// A skip is a failure when HELPDESK_REQUIRE_MAIL_SERVERS is set (CI sets it).
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
    if (python.empty()) {
      HELPDESK_SKIP_WITHOUT_MAIL_SERVER("python3 not found: the IMAP tests need it");
    }
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
  // The refused message stays unseen: the next poll reports it again.
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));

  ImapOptions wrong = Options();
  wrong.password = "guess";
  EXPECT_THAT(NewImapSource(wrong)->ListUnseen(),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ImapOptions missing = Options();
  missing.url = absl::StrCat("imap://127.0.0.1:", port_, "/Nope");
  EXPECT_THAT(NewImapSource(missing)->ListUnseen(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

const char kThird[] =
    "From: cy@example.com\r\nSubject: third\r\nMessage-ID: <imap.4@example.com>\r\n\r\n"
    "arrived later\r\n";

constexpr char kDovecot[] = "/usr/sbin/dovecot";

class DovecotImapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kDovecot, X_OK) != 0) {
      HELPDESK_SKIP_WITHOUT_MAIL_SERVER(
          kDovecot << " not found: install Debian's dovecot-imapd (scripts/install-deps.sh "
                      "does) to run the IMAP tests against a real server");
    }
    std::string dir = ::testing::TempDir() + "/dovecot_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    temp_dir_ = dir;
    maildir_ = dir + "/Maildir";
    for (const char* sub : {"", "/new", "/cur", "/tmp"}) {
      ASSERT_EQ(mkdir((maildir_ + sub).c_str(), 0700), 0);
    }
    // Dovecot gives new messages UIDs in file name order.
    std::ofstream(maildir_ + "/cur/1000000001.old:2,S")
        << "From: old@example.com\r\nSubject: seen\r\n\r\nx\r\n";
    std::ofstream(maildir_ + "/new/1000000002.first") << kFirst;
    std::ofstream(maildir_ + "/new/1000000003.second") << kSecond;

    cert_ = dir + "/server.pem";
    const std::string key = dir + "/server.key";
    other_ca_ = dir + "/other.pem";
    absl::Status made = testing::MakeSelfSignedCertificate(cert_, key);
    if (made.ok()) made = testing::MakeSelfSignedCertificate(other_ca_, dir + "/other.key");
    if (!made.ok()) HELPDESK_SKIP_WITHOUT_MAIL_SERVER(made.message());

    port_ = testing::FreeLoopbackPort();
    imaps_port_ = testing::FreeLoopbackPort();
    ASSERT_NE(port_, 0);
    ASSERT_NE(imaps_port_, 0);
    ASSERT_NE(imaps_port_, port_);
    const std::string server_log = dir + "/server.log";
    absl::Status started = server_.Start(
        {"/bin/sh", testing::TestSourceDir() + "/dovecot_test_server.sh", std::to_string(port_),
         dir, "desk", "s3cret", cert_, key, std::to_string(imaps_port_)},
        port_, server_log);
    if (!started.ok()) {
      HELPDESK_SKIP_WITHOUT_MAIL_SERVER(
          "dovecot could not start here: " << started.message() << "\n--- its stderr:\n"
          << testing::FileTail(server_log) << "\n--- its log:\n" << DovecotLog());
    }
  }

  void TearDown() override {
    server_.Stop();
    std::error_code ignored;
    if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_, ignored);
  }

  std::string DovecotLog() const { return testing::FileTail(temp_dir_ + "/dovecot/dovecot.log"); }

  // Plain IMAP (dovecot allows plain-text login from 127.0.0.1 here).
  ImapOptions Options() const {
    ImapOptions o;
    o.url = absl::StrCat("imap://127.0.0.1:", port_, "/INBOX");
    o.username = "desk";
    o.password = "s3cret";
    o.starttls = SmtpOptions::StartTls::kNever;
    o.connect_timeout = absl::Seconds(5);
    o.timeout = absl::Seconds(20);
    return o;
  }

  ImapOptions TlsOptions() const {
    ImapOptions o = Options();
    o.starttls = SmtpOptions::StartTls::kRequired;
    o.verify_peer = true;
    o.ca_file = cert_;
    return o;
  }

  std::string temp_dir_;
  std::string maildir_;
  std::string cert_;
  std::string other_ca_;
  int port_ = 0;
  int imaps_port_ = 0;  // IMAP over TLS from the first byte
  testing::LoopbackServer server_;
};

TEST_F(DovecotImapTest, PollFetchMarkSeenThenNothingNew) {
  std::unique_ptr<ImapSource> imap = NewImapSource(Options());
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  ASSERT_THAT(unseen, ElementsAre(2, 3)) << DovecotLog();

  ASSERT_OK_AND_ASSIGN(std::string raw, imap->Fetch(2));
  EXPECT_EQ(raw, kFirst);
  // Fetching alone does not mark the message: a failed ingest sees it again.
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage m, NewEmailInbound()->Parse(raw, absl::UnixEpoch()));
  EXPECT_EQ(m.subject(), "printer");
  EXPECT_EQ(m.threading().message_id(), "imap.2@example.com");
  ASSERT_THAT(imap->MarkSeen(2), IsOk());

  ASSERT_OK_AND_ASSIGN(raw, imap->Fetch(3));
  EXPECT_EQ(raw, kSecond);
  ASSERT_THAT(imap->MarkSeen(3), IsOk());
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, IsEmpty());

  // The next poll, on a new connection, finds nothing new.
  ASSERT_OK_AND_ASSIGN(unseen, NewImapSource(Options())->ListUnseen());
  EXPECT_THAT(unseen, IsEmpty());

  // Dovecot stored the \Seen flags in the Maildir: every file is in cur/ with S.
  ASSERT_OK_AND_ASSIGN(std::vector<MaildirMessage> files, ReadMaildir(maildir_));
  ASSERT_THAT(files, ::testing::SizeIs(3));
  for (const MaildirMessage& f : files) EXPECT_TRUE(f.seen) << f.path;
}

// ListUnseen on the connection kept open did not see mail that arrived after
// the mailbox was selected: libcurl does not SELECT again and the server
// only announces new mail when a command completes.
TEST_F(DovecotImapTest, NewMailIsFoundOnTheOpenConnection) {
  std::unique_ptr<ImapSource> imap = NewImapSource(Options());
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  ASSERT_THAT(unseen, ElementsAre(2, 3));
  ASSERT_THAT(imap->MarkSeen(2), IsOk());
  ASSERT_THAT(imap->MarkSeen(3), IsOk());
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  ASSERT_THAT(unseen, IsEmpty());

  std::ofstream(maildir_ + "/new/1000000004.third") << kThird;
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  ASSERT_THAT(unseen, ElementsAre(4));
  ASSERT_OK_AND_ASSIGN(std::string raw, imap->Fetch(4));
  EXPECT_EQ(raw, kThird);
  ASSERT_THAT(imap->MarkSeen(4), IsOk());
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, IsEmpty());
}

TEST_F(DovecotImapTest, Errors) {
  std::unique_ptr<ImapSource> imap = NewImapSource(Options());
  EXPECT_THAT(imap->Fetch(99), StatusIs(absl::StatusCode::kNotFound));

  ImapOptions small = Options();
  small.max_message_bytes = 10;
  EXPECT_THAT(NewImapSource(small)->Fetch(2), StatusIs(absl::StatusCode::kResourceExhausted));

  ImapOptions wrong = Options();
  wrong.password = "guess";
  EXPECT_THAT(NewImapSource(wrong)->ListUnseen(),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ImapOptions missing = Options();
  missing.url = absl::StrCat("imap://127.0.0.1:", port_, "/Nope");
  EXPECT_THAT(NewImapSource(missing)->ListUnseen(),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // None of this touched the messages.
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));
}

// A message over max_message_bytes was fetched (BODY[] sets \\Seen) and the
// fetch aborted before the flag was cleared again: it was never reported
// again, so it was lost without anyone seeing the error twice.
TEST_F(DovecotImapTest, OversizedMessageStaysUnseen) {
  ImapOptions small = Options();
  small.max_message_bytes = 10;
  std::unique_ptr<ImapSource> imap = NewImapSource(small);
  EXPECT_THAT(imap->Fetch(2), StatusIs(absl::StatusCode::kResourceExhausted,
                                      ::testing::HasSubstr("over the limit of 10 bytes")));
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));
  ASSERT_OK_AND_ASSIGN(unseen, NewImapSource(Options())->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));
  // Within the limit the same message is fetched and still unseen.
  ImapOptions exact = Options();
  exact.max_message_bytes = sizeof(kFirst) - 1;
  ASSERT_OK_AND_ASSIGN(std::string raw, NewImapSource(exact)->Fetch(2));
  EXPECT_EQ(raw, kFirst);
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));
}

TEST_F(DovecotImapTest, StartTlsWithTheCertificateVerified) {
  std::unique_ptr<ImapSource> imap = NewImapSource(TlsOptions());
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));
  ASSERT_OK_AND_ASSIGN(std::string raw, imap->Fetch(3));
  EXPECT_EQ(raw, kSecond);
  ASSERT_THAT(imap->MarkSeen(3), IsOk());
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2));
  // Dovecot logs how the login was protected.
  EXPECT_THAT(DovecotLog(), ::testing::HasSubstr("method=PLAIN, rip=127.0.0.1, lip=127.0.0.1"));
  EXPECT_THAT(DovecotLog(), ::testing::HasSubstr(", TLS, "));
}

TEST_F(DovecotImapTest, ImapsWithTheCertificateVerified) {
  ImapOptions o = TlsOptions();
  o.url = absl::StrCat("imaps://127.0.0.1:", imaps_port_, "/INBOX");
  std::unique_ptr<ImapSource> imap = NewImapSource(o);
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(2, 3));
  ASSERT_OK_AND_ASSIGN(std::string raw, imap->Fetch(2));
  EXPECT_EQ(raw, kFirst);
  ASSERT_THAT(imap->MarkSeen(2), IsOk());
  ASSERT_OK_AND_ASSIGN(unseen, imap->ListUnseen());
  EXPECT_THAT(unseen, ElementsAre(3));
  EXPECT_THAT(DovecotLog(), ::testing::HasSubstr(", TLS, "));

  o.ca_file = other_ca_;
  EXPECT_THAT(NewImapSource(o)->ListUnseen(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("SSL certificate problem")));
}

TEST_F(DovecotImapTest, UntrustedCertificateIsFailedPrecondition) {
  for (SmtpOptions::StartTls starttls :
       {SmtpOptions::StartTls::kRequired, SmtpOptions::StartTls::kIfOffered}) {
    ImapOptions o = TlsOptions();
    o.starttls = starttls;
    o.ca_file = other_ca_;
    EXPECT_THAT(NewImapSource(o)->ListUnseen(),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         ::testing::HasSubstr("SSL certificate problem")));
  }
  EXPECT_THAT(DovecotLog(), ::testing::Not(::testing::HasSubstr("Login: user=<desk>")));
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
