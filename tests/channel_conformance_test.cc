// Runs the channel conformance suites (helpdesk/testing/channel_conformance.h)
// on libhelpdesk's own adapters: inbound e-mail, web form, chat and the signed
// webhook; outbound e-mail (over a fake mail transport, and over the SMTP
// transport against the test SMTP server when python3-aiosmtpd is installed)
// and chat (over a fake callback).
#include "helpdesk/testing/channel_conformance.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/channels/web_form.h"
#include "helpdesk/v1/channel.pb.h"
#include "loopback_server.h"

namespace helpdesk::testing {
namespace {

using MadeInbound = absl::StatusOr<std::unique_ptr<InboundAdapter>>;
using MadeRig = absl::StatusOr<std::unique_ptr<OutboundTestRig>>;

// Lines joined with CRLF, as mail travels.
std::string Mail(std::initializer_list<absl::string_view> lines) {
  return absl::StrJoin(lines, "\r\n");
}

// --- Inbound -----------------------------------------------------------------

InboundAdapterFactory EmailInbound() {
  EmailInboundOptions options;
  options.max_message_bytes = size_t{1} << 20;
  return {
      .name = "email",
      .make = [options]() -> MadeInbound { return NewEmailInbound(options); },
      .samples =
          {Mail({"From: Ada Lovelace <ada@example.com>", "To: support@desk.example",
                 "Subject: Printer on fire", "Message-ID: <m1@example.com>",
                 "Date: Mon, 05 Jan 2026 08:00:00 +0000", "", "It is on fire.", ""}),
           Mail({"From: ada@example.com", "To: support@desk.example",
                 "Subject: Re: Printer on fire [#42]", "Message-ID: <m2@example.com>",
                 "In-Reply-To: <hd.0001@desk.example>",
                 "References: <m1@example.com> <hd.0001@desk.example>", "",
                 "Still on fire.", "", "On Monday, Desk wrote:", "> Try turning it off.",
                 ""}),
           Mail({"From: =?UTF-8?B?UmVuw6k=?= <rene@example.com>",
                 "To: support@desk.example", "Subject: =?UTF-8?Q?Caf=C3=A9_receipt?=",
                 "Message-ID: <m3@example.com>", "MIME-Version: 1.0",
                 "Content-Type: multipart/mixed; boundary=\"b1\"", "", "--b1",
                 "Content-Type: text/plain; charset=utf-8", "", "See attached.", "--b1",
                 "Content-Type: application/pdf; name=\"receipt.pdf\"",
                 "Content-Disposition: attachment; filename=\"receipt.pdf\"",
                 "Content-Transfer-Encoding: base64", "", "JVBERi0xLjQK", "--b1--", ""}),
           Mail({"From: kim@example.com", "To: support@desk.example",
                 "Subject: no message id", "", "Keyed by its bytes.", ""}),
           Mail({"From: Lee <lee@example.com>", "To: support@desk.example",
                 "Subject: HTML only", "Message-ID: <m5@example.com>",
                 "MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8", "",
                 "<p>Hello <b>desk</b></p>", ""})},
      .damaged_samples =
          {Mail({"From: ada@example.com", "To: support@desk.example",
                 "Subject: wrong charset", "Message-ID: <d1@example.com>",
                 "MIME-Version: 1.0", "Content-Type: text/plain; charset=x-no-such-charset",
                 "", "caf\xE9 cr\xE8me", ""}),
           Mail({"From: ada@example.com", "To: support@desk.example",
                 "Subject: lost boundary", "Message-ID: <d2@example.com>",
                 "MIME-Version: 1.0", "Content-Type: multipart/mixed", "", "--zz",
                 "Content-Type: text/plain", "", "body in a part", "--zz--", ""}),
           ""},
      .max_bytes = options.max_message_bytes,
      .builtin = true,
  };
}

InboundAdapterFactory WebFormInbound() {
  WebFormOptions options;
  options.max_body_bytes = size_t{1} << 20;
  return {
      .name = "web_form",
      .make = [options]() -> MadeInbound { return NewWebFormInbound(options); },
      .samples =
          {R"json({"submissionId": "f-1", "name": "Ada", "email": "ada@example.com",
                   "subject": "Refund", "message": "Charged twice.",
                   "fields": {"order": "A-1"}})json",
           R"json({"name": "Kim", "phone": "+34600111222", "subject": "Call me",
                   "message": "No id: keyed by content."})json",
           R"json({"submissionId": "f-3", "email": "rene@example.com",
                   "subject": "Caf\u00e9", "message": "With a file.",
                   "attachments": [{"fileName": "a.txt", "mediaType": "text/plain",
                                    "content": "NDkuMDA="}]})json"},
      .max_bytes = options.max_body_bytes,
      .builtin = true,
  };
}

InboundAdapterFactory ChatInbound() {
  return {
      .name = "chat",
      .make = []() -> MadeInbound { return NewChatInbound(); },
      .samples =
          {R"json({"sessionId": "s-9", "messageId": "s-9/1",
                   "visitor": {"name": "Ada", "chatHandle": "visitor-42"},
                   "text": "hello"})json",
           R"json({"sessionId": "s-9", "messageId": "s-9/2",
                   "visitor": {"chatHandle": "visitor-42"}, "text": "anyone?"})json",
           R"json({"sessionId": "s-10", "messageId": "s-10/1",
                   "visitor": {"email": "kim@example.com"}, "text": "caf\u00e9"})json"},
      .max_bytes = size_t{30} << 20,
      .builtin = true,
  };
}

// WebhookInbound reads a body and its signature header; to run the inbound
// suite on it, this adapter signs the bytes it is given with the shared
// secret first (what a well-behaved sender does), so every input reaches the
// parser.
class SigningWebhookInbound : public InboundAdapter {
 public:
  absl::string_view Name() const override { return "helpdesk.webhook"; }
  absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                           absl::Time received_at) const override {
    return webhook_.ParseSigned(raw, WebhookSignature(kSecret, raw), received_at);
  }

 private:
  static constexpr absl::string_view kSecret = "conformance-secret";
  WebhookInbound webhook_{std::string(kSecret)};
};

InboundAdapterFactory WebhookInboundFactory() {
  return {
      .name = "webhook",
      .make = []() -> MadeInbound { return std::make_unique<SigningWebhookInbound>(); },
      .samples =
          {R"json({"externalId": "w-1", "subject": "From the CRM",
                   "from": {"email": "ada@example.com"}, "bodyText": "Lead."})json",
           R"json({"idempotencyKey": "crm:77", "channel": "CHANNEL_WEBHOOK",
                   "from": {"phone": "+34600111222"}, "bodyText": "Call back",
                   "threading": {"ticketToken": "42"}})json"},
      .max_bytes = size_t{30} << 20,
      .error_codes = {absl::StatusCode::kInvalidArgument,
                      absl::StatusCode::kResourceExhausted,
                      absl::StatusCode::kPermissionDenied},
      .builtin = true,
  };
}

INSTANTIATE_TEST_SUITE_P(Builtin, InboundAdapterConformanceTest,
                         ::testing::Values(EmailInbound(), WebFormInbound(),
                                           ChatInbound(), WebhookInboundFactory()),
                         InboundAdapterFactoryName());

// --- Outbound ----------------------------------------------------------------

// The Message-ID field of an RFC 5322 message, without <>; empty if none.
std::string MessageIdOf(absl::string_view rfc5322) {
  for (absl::string_view line : absl::StrSplit(rfc5322, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty()) break;  // end of the header
    if (absl::StartsWithIgnoreCase(line, "Message-ID:")) {
      absl::string_view id = absl::StripAsciiWhitespace(line.substr(11));
      absl::ConsumePrefix(&id, "<");
      absl::ConsumeSuffix(&id, ">");
      return std::string(id);
    }
  }
  return "";
}

// A mail transport into a FakeFarSide, keyed by Message-ID (what a mailbox
// deduplicates by); it fails as an SMTP server would.
class FakeMailTransport : public MailTransport {
 public:
  explicit FakeMailTransport(FakeFarSide* far_side) : far_side_(far_side) {}
  absl::string_view Name() const override { return "helpdesk.test_mail"; }
  absl::StatusOr<std::string> Send(absl::string_view envelope_from,
                                   absl::Span<const std::string> recipients,
                                   absl::string_view rfc5322) override {
    if (recipients.empty()) return absl::InvalidArgumentError("recipients: empty");
    absl::Status arrived = far_side_->Arrive(MessageIdOf(rfc5322));
    if (!arrived.ok()) return arrived;
    return std::string("250 2.0.0 Ok: queued");
  }

 private:
  FakeFarSide* far_side_;
};

class EmailRig : public OutboundTestRig {
 public:
  EmailRig() {
    EmailOutboundOptions options;
    options.sending_domain = "desk.example";
    options.default_from.set_email("support@desk.example");
    adapter_ = NewEmailOutbound(std::make_unique<FakeMailTransport>(&far_side_), options);
  }
  OutboundAdapter& adapter() override { return *adapter_; }
  void FailNextDelivery(DeliveryFailure failure) override {
    far_side_.FailNext(
        failure == DeliveryFailure::kRetryable
            ? absl::UnavailableError("451 4.3.0 Temporary lookup failure, try again later")
            : absl::FailedPreconditionError("550 5.1.1 Recipient address rejected"));
  }
  std::vector<std::string> Received() override { return far_side_.Received(); }

 private:
  FakeFarSide far_side_;  // declared before the adapter that points to it
  std::unique_ptr<OutboundAdapter> adapter_;
};

// The chat adapter over a callback into a FakeFarSide, keyed by the
// idempotency key (what the chat widget deduplicates by).
class ChatRig : public OutboundTestRig {
 public:
  ChatRig()
      : adapter_(NewChatOutbound([this](const v1::OutboundMessage& m) {
          if (m.destination().empty()) {
            return absl::InvalidArgumentError("destination: no chat session");
          }
          return far_side_.Arrive(m.idempotency_key());
        })) {}
  OutboundAdapter& adapter() override { return *adapter_; }
  void FailNextDelivery(DeliveryFailure failure) override {
    far_side_.FailNext(failure == DeliveryFailure::kRetryable
                           ? absl::UnavailableError("websocket closed")
                           : absl::NotFoundError("chat session s-9 has ended"));
  }
  std::vector<std::string> Received() override { return far_side_.Received(); }

 private:
  FakeFarSide far_side_;
  std::unique_ptr<OutboundAdapter> adapter_;
};

v1::OutboundMessage Reply(absl::string_view key, absl::string_view to) {
  v1::OutboundMessage m;
  m.set_idempotency_key(std::string(key));
  m.set_ticket_id(42);
  m.mutable_from()->set_name("Support");
  m.mutable_from()->set_email("support@desk.example");
  m.add_to()->set_email(std::string(to));
  m.set_subject("Your printer");
  m.set_body_text("We are on it.");
  m.set_destination("s-9");
  return m;
}

OutboundAdapterHarness EmailOutbound() {
  v1::OutboundMessage no_recipient = Reply("outbox:3", "x@example.com");
  no_recipient.clear_to();
  v1::OutboundMessage no_key = Reply("", "ada@example.com");
  return {
      .name = "email_fake_transport",
      .make = []() -> MadeRig { return std::make_unique<EmailRig>(); },
      .samples = {Reply("outbox:1", "ada@example.com"),
                  Reply("outbox:2", "kim@example.com")},
      .undeliverable = {no_recipient, no_key},
      .builtin = true,
  };
}

OutboundAdapterHarness ChatOutbound() {
  v1::OutboundMessage no_session = Reply("outbox:3", "x@example.com");
  no_session.clear_destination();
  return {
      .name = "chat_fake_callback",
      .make = []() -> MadeRig { return std::make_unique<ChatRig>(); },
      .samples = {Reply("outbox:1", "ada@example.com"),
                  Reply("outbox:2", "kim@example.com")},
      .undeliverable = {no_session},
      .builtin = true,
  };
}

// The e-mail adapter over the real SMTP transport, against the test SMTP
// server (tests/smtp_test_server.py on 127.0.0.1, which refuses recipients
// named "later" with 451 and "reject" with 550). A delivery asked to fail is
// sent to such a recipient, so the server fails it and the transport
// classifies its reply. What arrived is read from the server's Maildir.
class SmtpRig : public OutboundTestRig {
 public:
  static MadeRig Make() {
    std::unique_ptr<SmtpRig> rig(new SmtpRig());
    const std::string python = PythonWith("aiosmtpd.controller");
    if (python.empty()) {
      return absl::FailedPreconditionError(
          "python3 with aiosmtpd not found: install Debian's python3-aiosmtpd");
    }
    std::string pattern = ::testing::TempDir() + "/channel_conformance_smtp_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    rig->temp_dir_ = pattern;
    rig->maildir_ = pattern + "/received";
    const int port = FreeLoopbackPort();
    absl::Status started = rig->server_.Start(
        {python, TestSourceDir() + "/smtp_test_server.py", std::to_string(port),
         rig->maildir_},
        port, pattern + "/server.log");
    if (!started.ok()) return started;
    SmtpOptions smtp;
    smtp.url = absl::StrCat("smtp://127.0.0.1:", port, "/desk.example");
    smtp.starttls = SmtpOptions::StartTls::kNever;
    smtp.connect_timeout = absl::Seconds(5);
    smtp.timeout = absl::Seconds(20);
    EmailOutboundOptions options;
    options.sending_domain = "desk.example";
    rig->email_ = NewEmailOutbound(NewSmtpTransport(smtp), options);
    rig->adapter_ = std::make_unique<Redirecting>(rig.get());
    return rig;
  }
  ~SmtpRig() override {
    server_.Stop();
    std::error_code ignored;
    if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_, ignored);
  }

  OutboundAdapter& adapter() override { return *adapter_; }
  void FailNextDelivery(DeliveryFailure failure) override {
    absl::MutexLock lock(&mu_);
    fail_next_ = failure;
  }
  std::vector<std::string> Received() override {
    absl::MutexLock lock(&mu_);
    return received_;
  }

 private:
  // Sends a delivery asked to fail to a recipient the server refuses, and
  // records what arrived after each delivery.
  class Redirecting : public OutboundAdapterWrapper {
   public:
    explicit Redirecting(SmtpRig* rig) : OutboundAdapterWrapper(rig->email_.get()), rig_(rig) {}
    absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& message) override {
      std::optional<DeliveryFailure> fail;
      {
        absl::MutexLock lock(&rig_->mu_);
        fail = std::exchange(rig_->fail_next_, std::nullopt);
      }
      v1::OutboundMessage sent = message;
      if (fail.has_value()) {
        sent.clear_to();
        sent.clear_cc();
        sent.add_to()->set_email(*fail == DeliveryFailure::kRetryable ? "later@example.com"
                                                                      : "reject@example.com");
      }
      absl::StatusOr<DeliveryReceipt> receipt = OutboundAdapterWrapper::Deliver(sent);
      rig_->CollectArrivals();
      return receipt;
    }

   private:
    SmtpRig* rig_;
  };

  SmtpRig() = default;

  void CollectArrivals() {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::vector<MaildirMessage>> listed = ReadMaildir(maildir_);
    if (!listed.ok()) return;  // nothing arrived yet
    for (const MaildirMessage& m : *listed) {
      if (!seen_.insert(m.id).second) continue;
      absl::StatusOr<std::string> raw = LoadMaildirMessage(m);
      received_.push_back(raw.ok() ? MessageIdOf(*raw) : "(unreadable)");
    }
  }

  std::string temp_dir_;
  std::string maildir_;
  LoopbackServer server_;
  std::unique_ptr<OutboundAdapter> email_;
  std::unique_ptr<OutboundAdapter> adapter_;
  absl::Mutex mu_;
  std::optional<DeliveryFailure> fail_next_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> received_ ABSL_GUARDED_BY(mu_);
};

OutboundAdapterHarness SmtpOutbound() {
  OutboundAdapterHarness h = EmailOutbound();
  h.name = "email_smtp";
  h.make = SmtpRig::Make;
  return h;
}

// The SMTP harness runs where its server can (python3-aiosmtpd), and must
// where HELPDESK_REQUIRE_MAIL_SERVERS is set (CI): there a missing server
// fails its tests.
std::vector<OutboundAdapterHarness> OutboundHarnesses() {
  std::vector<OutboundAdapterHarness> harnesses = {EmailOutbound(), ChatOutbound()};
  if (MailServersRequired() || !PythonWith("aiosmtpd.controller").empty()) {
    harnesses.push_back(SmtpOutbound());
  }
  return harnesses;
}

INSTANTIATE_TEST_SUITE_P(Builtin, OutboundAdapterConformanceTest,
                         ::testing::ValuesIn(OutboundHarnesses()),
                         OutboundAdapterHarnessName());

}  // namespace
}  // namespace helpdesk::testing
