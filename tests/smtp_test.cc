// The libcurl SMTP transport against a real SMTP server on loopback: Debian's
// python3-aiosmtpd running tests/smtp_test_server.py, which stores what it
// receives in a Maildir and refuses recipients named "reject" (550) and
// "later" (451). SmtpStartTlsTest runs it with a self-signed certificate made
// by the openssl tool at test time and STARTTLS required: a real TLS handshake,
// with the certificate verified against SmtpOptions::ca_file. Skipped when
// python3 with aiosmtpd (or openssl) is not installed, unless
// HELPDESK_REQUIRE_MAIL_SERVERS is set (CI): then that is a failure.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
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
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class SmtpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = testing::PythonWith("aiosmtpd.controller");
    if (python_.empty()) {
      HELPDESK_SKIP_WITHOUT_MAIL_SERVER(
          "python3 with aiosmtpd not found: install Debian's python3-aiosmtpd "
          "(scripts/install-deps.sh does) to run the SMTP tests");
    }
    std::string pattern = ::testing::TempDir() + "/smtp_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_dir_ = pattern;
    maildir_ = pattern + "/received";
    port_ = testing::FreeLoopbackPort();
    ASSERT_NE(port_, 0);
    std::vector<std::string> argv = {python_, testing::TestSourceDir() + "/smtp_test_server.py",
                                     std::to_string(port_), maildir_};
    std::vector<std::string> extra = ServerArguments();
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_OK(server_.Start(argv, port_, pattern + "/server.log"));
  }

  // What the server script gets after PORT MAILDIR; SmtpStartTlsTest adds TLS.
  virtual std::vector<std::string> ServerArguments() { return {}; }

  void TearDown() override {
    StopServer();
    std::error_code ignored;
    if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_, ignored);
  }

  void StopServer() { server_.Stop(); }

  SmtpOptions Options() const {
    SmtpOptions o;
    o.url = absl::StrCat("smtp://127.0.0.1:", port_, "/desk.example");
    o.starttls = SmtpOptions::StartTls::kIfOffered;
    o.connect_timeout = absl::Seconds(5);
    o.timeout = absl::Seconds(20);
    return o;
  }

  // What the server stored, parsed.
  std::vector<std::string> Received() {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<MaildirMessage>> listed = ReadMaildir(maildir_);
    if (!listed.ok()) return out;
    for (const MaildirMessage& m : *listed) {
      absl::StatusOr<std::string> raw = LoadMaildirMessage(m);
      if (raw.ok()) out.push_back(*raw);
    }
    return out;
  }

  std::string python_;
  std::string temp_dir_;
  std::string maildir_;
  int port_ = 0;
  testing::LoopbackServer server_;
};

v1::OutboundMessage Reply() {
  v1::OutboundMessage m;
  m.set_idempotency_key("outbox:7:1");
  m.set_ticket_id(7);
  m.mutable_from()->set_name("Support Desk");
  m.mutable_from()->set_email("support@desk.example");
  v1::Party* to = m.add_to();
  to->set_name("Ren\xC3\xA9");
  to->set_email("rene@example.com");
  m.set_subject("Your printer \xE2\x80\x94 fixed");
  m.set_body_text("Hello Ren\xC3\xA9,\n.a line that starts with a dot\n\nBye");
  v1::InboundAttachment* a = m.add_attachments();
  a->set_file_name("log.txt");
  a->set_media_type("text/plain");
  a->set_content("log line\n");
  return m;
}

TEST_F(SmtpTest, DeliversThroughTheAdapter) {
  EmailOutboundOptions options;
  options.sending_domain = "desk.example";
  options.envelope_from = "bounces@desk.example";
  std::unique_ptr<OutboundAdapter> out =
      NewEmailOutbound(NewSmtpTransport(Options()), options);
  ASSERT_OK_AND_ASSIGN(DeliveryReceipt receipt, out->Deliver(Reply()));
  EXPECT_EQ(receipt.provider_id, EmailMessageId("outbox:7:1", "desk.example"));

  std::vector<std::string> received = Received();
  ASSERT_THAT(received, SizeIs(1));
  EXPECT_THAT(received[0], AllOf(HasSubstr("X-MailFrom: <bounces@desk.example>"),
                                 HasSubstr("X-RcptTo: <rene@example.com>")));
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage back,
                       NewEmailInbound()->Parse(received[0], absl::UnixEpoch()));
  EXPECT_EQ(back.subject(), "Your printer \xE2\x80\x94 fixed [#7]");
  EXPECT_EQ(back.body_text(), Reply().body_text());  // the leading dot survived
  EXPECT_EQ(back.threading().message_id(), receipt.provider_id);
  ASSERT_THAT(back.attachments(), SizeIs(1));
  EXPECT_EQ(back.attachments(0).content(), "log line\n");
}

TEST_F(SmtpTest, TransportReturnsTheServerReply) {
  std::unique_ptr<MailTransport> smtp = NewSmtpTransport(Options());
  EXPECT_EQ(smtp->Name(), "helpdesk.smtp");
  std::vector<std::string> rcpt = {"a@example.com", "b@example.com"};
  ASSERT_OK_AND_ASSIGN(std::string reply,
                       smtp->Send("", rcpt, "Subject: raw\r\n\r\nbody\r\n"));
  EXPECT_THAT(reply, HasSubstr("queued as TESTQ1"));
  std::vector<std::string> received = Received();
  ASSERT_THAT(received, SizeIs(1));
  EXPECT_THAT(received[0], AllOf(HasSubstr("X-MailFrom: <>"),
                                 HasSubstr("<a@example.com>, <b@example.com>")));
}

TEST_F(SmtpTest, PermanentRefusalIsFailedPreconditionWithTheReply) {
  std::unique_ptr<MailTransport> smtp = NewSmtpTransport(Options());
  std::vector<std::string> rcpt = {"reject@example.com"};
  EXPECT_THAT(smtp->Send("support@desk.example", rcpt, "Subject: x\r\n\r\ny\r\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("550"), HasSubstr("User unknown"))));
  EXPECT_THAT(Received(), SizeIs(0));
}

TEST_F(SmtpTest, TemporaryRefusalIsUnavailable) {
  std::unique_ptr<MailTransport> smtp = NewSmtpTransport(Options());
  std::vector<std::string> rcpt = {"later@example.com"};
  absl::StatusOr<std::string> r = smtp->Send("support@desk.example", rcpt, "Subject: x\r\n\r\ny\r\n");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("451")));
  EXPECT_TRUE(IsRetryableDeliveryError(r.status()));
}

TEST_F(SmtpTest, RequiredStartTlsThatIsNotOfferedIsRefused) {
  SmtpOptions o = Options();
  o.starttls = SmtpOptions::StartTls::kRequired;
  std::vector<std::string> rcpt = {"a@example.com"};
  EXPECT_THAT(NewSmtpTransport(o)->Send("s@desk.example", rcpt, "Subject: x\r\n\r\ny\r\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Received(), SizeIs(0));
}

// The server offers STARTTLS with a self-signed certificate for 127.0.0.1 and
// refuses mail before STARTTLS (aiosmtpd's require_starttls).
class SmtpStartTlsTest : public SmtpTest {
 protected:
  std::vector<std::string> ServerArguments() override {
    std::string pattern = ::testing::TempDir() + "/smtp_tls_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return {};
    cert_dir_ = pattern;
    cert_ = pattern + "/server.pem";
    absl::Status made = testing::MakeSelfSignedCertificate(cert_, pattern + "/server.key");
    if (made.ok()) {
      // Another self-signed certificate: a CA the server's was not signed by.
      other_ca_ = pattern + "/other.pem";
      made = testing::MakeSelfSignedCertificate(other_ca_, pattern + "/other.key");
    }
    if (!made.ok()) {
      certificate_problem_ = std::string(made.message());
      return {};
    }
    return {cert_, pattern + "/server.key", "require-starttls"};
  }

  void SetUp() override {
    SmtpTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!certificate_problem_.empty()) HELPDESK_SKIP_WITHOUT_MAIL_SERVER(certificate_problem_);
  }

  void TearDown() override {
    SmtpTest::TearDown();
    std::error_code ignored;
    if (!cert_dir_.empty()) std::filesystem::remove_all(cert_dir_, ignored);
  }

  SmtpOptions TlsOptions() const {
    SmtpOptions o = Options();
    o.starttls = SmtpOptions::StartTls::kRequired;
    o.verify_peer = true;
    o.ca_file = cert_;
    return o;
  }

  std::string cert_dir_;
  std::string cert_;
  std::string other_ca_;
  std::string certificate_problem_;
};

TEST_F(SmtpStartTlsTest, DeliversOverStartTlsWithTheCertificateVerified) {
  EmailOutboundOptions options;
  options.sending_domain = "desk.example";
  std::unique_ptr<OutboundAdapter> out =
      NewEmailOutbound(NewSmtpTransport(TlsOptions()), options);
  ASSERT_OK_AND_ASSIGN(DeliveryReceipt receipt, out->Deliver(Reply()));
  EXPECT_EQ(receipt.provider_id, EmailMessageId("outbox:7:1", "desk.example"));

  std::vector<std::string> received = Received();
  ASSERT_THAT(received, SizeIs(1));
  // The server saw the message inside TLS (it records the session's cipher).
  EXPECT_THAT(received[0], AllOf(HasSubstr("X-TLS: TLSv1."),
                                 HasSubstr("X-MailFrom: <support@desk.example>"),
                                 HasSubstr("X-RcptTo: <rene@example.com>")));
  ASSERT_OK_AND_ASSIGN(v1::InboundMessage back,
                       NewEmailInbound()->Parse(received[0], absl::UnixEpoch()));
  EXPECT_EQ(back.subject(), "Your printer \xE2\x80\x94 fixed [#7]");
  EXPECT_EQ(back.body_text(), Reply().body_text());
  EXPECT_EQ(back.threading().message_id(), receipt.provider_id);
}

TEST_F(SmtpStartTlsTest, IfOfferedUpgradesToTls) {
  SmtpOptions o = TlsOptions();
  o.starttls = SmtpOptions::StartTls::kIfOffered;
  std::vector<std::string> rcpt = {"a@example.com"};
  ASSERT_OK_AND_ASSIGN(
      std::string reply,
      NewSmtpTransport(o)->Send("s@desk.example", rcpt, "Subject: x\r\n\r\ny\r\n"));
  EXPECT_THAT(reply, HasSubstr("queued as TESTQ1"));
  std::vector<std::string> received = Received();
  ASSERT_THAT(received, SizeIs(1));
  EXPECT_THAT(received[0], HasSubstr("X-TLS: TLSv1."));
}

TEST_F(SmtpStartTlsTest, UntrustedCertificateIsFailedPrecondition) {
  std::vector<std::string> rcpt = {"a@example.com"};
  for (SmtpOptions::StartTls starttls :
       {SmtpOptions::StartTls::kRequired, SmtpOptions::StartTls::kIfOffered}) {
    SmtpOptions o = TlsOptions();
    o.starttls = starttls;
    o.ca_file = other_ca_;
    absl::StatusOr<std::string> r =
        NewSmtpTransport(o)->Send("s@desk.example", rcpt, "Subject: x\r\n\r\ny\r\n");
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                            HasSubstr("SSL certificate problem")));
    EXPECT_FALSE(IsRetryableDeliveryError(r.status()));
  }
  EXPECT_THAT(Received(), SizeIs(0));
}

TEST_F(SmtpStartTlsTest, PlainTextToAServerThatRequiresStartTlsIsRefused) {
  SmtpOptions o = Options();
  o.starttls = SmtpOptions::StartTls::kNever;
  std::vector<std::string> rcpt = {"a@example.com"};
  EXPECT_THAT(NewSmtpTransport(o)->Send("s@desk.example", rcpt, "Subject: x\r\n\r\ny\r\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("530")));
  EXPECT_THAT(Received(), SizeIs(0));
}

TEST(SmtpTransportTest, NothingListeningIsUnavailable) {
  const int port = testing::FreeLoopbackPort();
  ASSERT_NE(port, 0);
  SmtpOptions o;
  o.url = absl::StrCat("smtp://127.0.0.1:", port);
  o.connect_timeout = absl::Seconds(5);
  o.timeout = absl::Seconds(10);
  std::vector<std::string> rcpt = {"a@example.com"};
  absl::StatusOr<std::string> r = NewSmtpTransport(o)->Send("s@desk.example", rcpt, "x");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1")));
  EXPECT_TRUE(IsRetryableDeliveryError(r.status()));
}

TEST(SmtpTransportTest, BadArgumentsAreInvalidArgument) {
  SmtpOptions o;
  o.url = "http://example.com";
  std::vector<std::string> rcpt = {"a@example.com"};
  EXPECT_THAT(NewSmtpTransport(o)->Send("s@x.example", rcpt, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("options.url")));
  o.url = "smtp://127.0.0.1:1";
  EXPECT_THAT(NewSmtpTransport(o)->Send("s@x.example", {}, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("recipients")));
  std::vector<std::string> evil = {"a@example.com>\r\nDATA"};
  EXPECT_THAT(NewSmtpTransport(o)->Send("s@x.example", evil, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("recipients[0]")));
}

}  // namespace
}  // namespace helpdesk
