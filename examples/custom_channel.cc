// How an integrator adds a channel: an SMS gateway that posts
// "from=<phone>&text=<message>&id=<gateway id>" to the host, and takes
// replies through an HTTP call the host makes.
//
//   1. InboundAdapter::Parse turns the gateway's request into an
//      InboundMessage (channel, sender identity, text, idempotency key,
//      threading: here, one ticket per phone number and day).
//   2. Inbox::Ingest does the rest: duplicates, contacts, threading, reopening.
//   3. An OutboundAdapter delivers agents' replies and says which failures
//      are worth retrying; Outbox::Dispatch calls it with retries. The desk
//      writes agents' public replies on the channels in
//      IngestOptions::reply_channels (here PHONE is added) to the outbox,
//      addressed to the requester's identity or conversation there. A chat
//      widget's adapter (ChatWidgetOutbound) shows the same for chat.
//   4. The channel conformance suites (helpdesk/testing/channel_conformance.h,
//      linked from helpdesk::channel_conformance) check both adapters: run
//      with --conformance (ctest does: example_custom_channel_conformance).
//      A host puts the INSTANTIATE_TEST_SUITE_P lines below in a test.
//
//   ./build/dev/examples/custom_channel                 # the demo
//   ./build/dev/examples/custom_channel --conformance   # the suites
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/channel_conformance.h"

namespace {

class SmsInbound : public helpdesk::InboundAdapter {
 public:
  // The gateway posts at most 16 KiB.
  static constexpr size_t kMaxBytes = 16 << 10;

  absl::string_view Name() const override { return "com.example.sms"; }

  absl::StatusOr<helpdesk::v1::InboundMessage> Parse(
      absl::string_view raw, absl::Time received_at) const override {
    if (raw.size() > kMaxBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("SMS request is ", raw.size(), " bytes, over ", kMaxBytes));
    }
    // Text in an InboundMessage must be UTF-8; the gateway sends UTF-8, so
    // anything else is a broken request (found by the conformance suite).
    if (!helpdesk::IsValidUtf8(raw)) {
      return absl::InvalidArgumentError("SMS request: not valid UTF-8");
    }
    std::map<std::string, std::string> form;
    for (absl::string_view pair : absl::StrSplit(raw, '&')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      form[kv.first] = kv.second;
    }
    if (form["from"].empty()) return absl::InvalidArgumentError("from: missing");
    if (form["id"].empty()) return absl::InvalidArgumentError("id: missing");
    helpdesk::v1::InboundMessage m;
    m.set_channel(helpdesk::v1::CHANNEL_PHONE);
    m.set_external_id(form["id"]);
    m.set_idempotency_key(absl::StrCat("sms:", form["id"]));
    m.mutable_from()->set_phone(form["from"]);
    m.set_subject(absl::StrCat("SMS from ", form["from"]));
    m.set_body_text(form["text"]);
    // One conversation per number and day, through the chat-session key.
    m.mutable_threading()->set_chat_session_id(absl::StrCat(
        "sms:", form["from"], ":",
        absl::FormatTime("%Y-%m-%d", received_at, absl::UTCTimeZone())));
    return m;
  }
};

// What the gateway's send API takes and answers (an HTTP call in real life).
struct SmsRequest {
  std::string to;
  std::string text;
  // The gateway drops a second request with the same reference.
  std::string client_reference;
};
using SmsGateway = std::function<int(const SmsRequest&)>;  // the HTTP status

// Thread safety: as the gateway function.
class SmsOutbound : public helpdesk::OutboundAdapter {
 public:
  explicit SmsOutbound(SmsGateway gateway) : gateway_(std::move(gateway)) {}
  absl::string_view Name() const override { return "com.example.sms"; }

  absl::StatusOr<helpdesk::DeliveryReceipt> Deliver(
      const helpdesk::v1::OutboundMessage& m) override {
    if (m.destination().empty()) {
      return absl::InvalidArgumentError("destination: no phone number");  // permanent
    }
    if (m.idempotency_key().empty()) {
      return absl::InvalidArgumentError("idempotency_key: empty");  // permanent
    }
    // The idempotency key is the gateway's client reference: a retried send
    // is dropped there rather than sent twice.
    SmsRequest request{m.destination(), m.body_text(), absl::StrCat("hd-", m.idempotency_key())};
    const int http = gateway_(request);
    if (http >= 200 && http < 300) {
      return helpdesk::DeliveryReceipt{.provider_id = request.client_reference};
    }
    // Which failures are worth retrying (Outbox::Dispatch retries these).
    const std::string why = absl::StrCat("SMS gateway answered HTTP ", http);
    if (http == 429) return absl::ResourceExhaustedError(why);
    if (http == 408 || http == 504) return absl::DeadlineExceededError(why);
    if (http == 0 || http >= 500) return absl::UnavailableError(why);
    return absl::FailedPreconditionError(why);  // other 4xx: refused for good
  }

 private:
  SmsGateway gateway_;
};

// A chat widget's push API: the desk's replies on chat tickets
// (IngestOptions::reply_channels) arrive as OutboundMessages of channel CHAT
// whose `destination` is the chat session (Ticket.conversation_id) and whose
// `to` names the visitor; the host posts them into the session.
struct ChatPush {
  std::string session;
  std::string text;
  // The widget shows a message with a known id once.
  std::string message_id;
};
using ChatWidget = std::function<int(const ChatPush&)>;  // the HTTP status

// Thread safety: as the widget function.
class ChatWidgetOutbound : public helpdesk::OutboundAdapter {
 public:
  explicit ChatWidgetOutbound(ChatWidget widget) : widget_(std::move(widget)) {}
  absl::string_view Name() const override { return "com.example.chat-widget"; }

  absl::StatusOr<helpdesk::DeliveryReceipt> Deliver(
      const helpdesk::v1::OutboundMessage& m) override {
    if (m.destination().empty()) {
      return absl::InvalidArgumentError("destination: no chat session");
    }
    if (m.idempotency_key().empty()) {
      return absl::InvalidArgumentError("idempotency_key: empty");
    }
    ChatPush push{m.destination(), m.body_text(), m.idempotency_key()};
    const int http = widget_(push);
    if (http >= 200 && http < 300) return helpdesk::DeliveryReceipt{.provider_id = push.message_id};
    const std::string why = absl::StrCat("chat widget answered HTTP ", http);
    if (http == 429) return absl::ResourceExhaustedError(why);
    if (http == 0 || http >= 500) return absl::UnavailableError(why);
    if (http == 404) return absl::NotFoundError(why + ": the session ended");
    return absl::FailedPreconditionError(why);
  }

 private:
  ChatWidget widget_;
};

// --- The conformance suites on the adapters ----------------------------------

using helpdesk::testing::DeliveryFailure;
using helpdesk::testing::FakeFarSide;
using helpdesk::testing::InboundAdapterConformanceTest;
using helpdesk::testing::InboundAdapterFactory;
using helpdesk::testing::InboundAdapterFactoryName;
using helpdesk::testing::OutboundAdapterConformanceTest;
using helpdesk::testing::OutboundAdapterHarness;
using helpdesk::testing::OutboundAdapterHarnessName;
using helpdesk::testing::OutboundTestRig;

INSTANTIATE_TEST_SUITE_P(
    Example, InboundAdapterConformanceTest,
    ::testing::Values(InboundAdapterFactory{
        .name = "sms",
        .make = []() -> absl::StatusOr<std::unique_ptr<helpdesk::InboundAdapter>> {
          return std::make_unique<SmsInbound>();
        },
        .samples = {"from=+34600111222&text=My router is dead&id=g-1",
                    "from=+34600111222&text=Still dead&id=g-2",
                    "from=+34600333444&text=\xC2\xBFHola?&id=g-3"},
        .max_bytes = SmsInbound::kMaxBytes}),
    InboundAdapterFactoryName());

// A fake gateway: records client references, fails when told to.
class SmsRig : public OutboundTestRig {
 public:
  SmsRig()
      : adapter_([this](const SmsRequest& request) {
          if (next_http_ != 200) return std::exchange(next_http_, 200);
          return far_side_.Arrive(request.client_reference).ok() ? 200 : 500;
        }) {}
  helpdesk::OutboundAdapter& adapter() override { return adapter_; }
  void FailNextDelivery(DeliveryFailure failure) override {
    next_http_ = failure == DeliveryFailure::kRetryable ? 503 : 400;
  }
  std::vector<std::string> Received() override { return far_side_.Received(); }

 private:
  FakeFarSide far_side_;
  int next_http_ = 200;  // set only while no delivery is under way
  SmsOutbound adapter_;
};

helpdesk::v1::OutboundMessage Sms(std::string key, std::string to) {
  helpdesk::v1::OutboundMessage m;
  m.set_channel(helpdesk::v1::CHANNEL_PHONE);
  m.set_idempotency_key(std::move(key));
  m.set_destination(std::move(to));
  m.set_body_text("A technician is on the way.");
  return m;
}

INSTANTIATE_TEST_SUITE_P(
    Example, OutboundAdapterConformanceTest,
    ::testing::Values(OutboundAdapterHarness{
        .name = "sms",
        .make = []() -> absl::StatusOr<std::unique_ptr<OutboundTestRig>> {
          return std::make_unique<SmsRig>();
        },
        .samples = {Sms("outbox:1", "+34600111222"), Sms("outbox:2", "+34600333444")},
        .undeliverable = {Sms("outbox:3", "")},
        // The fake gateway's failure switch is not synchronised.
        .thread_safe = false}),
    OutboundAdapterHarnessName());

// A fake widget: records message ids, fails when told to.
class ChatWidgetRig : public OutboundTestRig {
 public:
  ChatWidgetRig()
      : adapter_([this](const ChatPush& push) {
          if (next_http_ != 200) return std::exchange(next_http_, 200);
          return far_side_.Arrive(push.message_id).ok() ? 200 : 500;
        }) {}
  helpdesk::OutboundAdapter& adapter() override { return adapter_; }
  void FailNextDelivery(DeliveryFailure failure) override {
    next_http_ = failure == DeliveryFailure::kRetryable ? 503 : 404;
  }
  std::vector<std::string> Received() override { return far_side_.Received(); }

 private:
  FakeFarSide far_side_;
  int next_http_ = 200;  // set only while no delivery is under way
  ChatWidgetOutbound adapter_;
};

helpdesk::v1::OutboundMessage ChatReply(std::string key, std::string session) {
  helpdesk::v1::OutboundMessage m;
  m.set_channel(helpdesk::v1::CHANNEL_CHAT);
  m.set_idempotency_key(std::move(key));
  m.set_destination(session);
  m.mutable_threading()->set_chat_session_id(std::move(session));
  m.add_to()->set_chat_handle("visitor-42");
  m.set_body_text("Hi, how can I help?");
  return m;
}

INSTANTIATE_TEST_SUITE_P(
    ExampleChat, OutboundAdapterConformanceTest,
    ::testing::Values(OutboundAdapterHarness{
        .name = "chat_widget",
        .make = []() -> absl::StatusOr<std::unique_ptr<OutboundTestRig>> {
          return std::make_unique<ChatWidgetRig>();
        },
        .samples = {ChatReply("helpdesk.ticket1.message2", "s-9"),
                    ChatReply("helpdesk.ticket1.message4", "s-9")},
        .undeliverable = {ChatReply("helpdesk.ticket1.message6", "")},
        .thread_safe = false}),
    OutboundAdapterHarnessName());

// --- The demo ----------------------------------------------------------------

int Demo() {
  std::unique_ptr<helpdesk::Store> store = helpdesk::NewMemoryStore();
  helpdesk::ManualClock clock(absl::FromUnixSeconds(1767600000));
  helpdesk::DeskOptions options{.store = store.get(), .clock = &clock};
  // Agents' public replies on SMS tickets go out through the outbox.
  options.ingest.reply_channels.insert(helpdesk::v1::CHANNEL_PHONE);
  auto desk = helpdesk::Desk::Open(std::move(options));
  if (!desk.ok()) return 1;

  SmsInbound sms;
  int64_t ticket_id = 0;
  for (const char* request : {"from=+34600111222&text=My+router+is+dead&id=g-1",
                              "from=+34600111222&text=Still+dead&id=g-2",
                              "from=+34600111222&text=Still+dead&id=g-2"}) {
    absl::StatusOr<helpdesk::v1::InboundMessage> m = sms.Parse(request, clock.Now());
    if (!m.ok()) return 1;
    absl::StatusOr<helpdesk::IngestResult> r = (*desk)->inbox().Ingest(*m);
    if (!r.ok()) {
      std::cerr << r.status() << "\n";
      return 1;
    }
    ticket_id = r->ticket_id;
    std::cout << "gateway message " << m->external_id() << " -> ticket #" << r->ticket_id
              << (r->duplicate ? " (duplicate, nothing new)" : "") << "\n";
    clock.Advance(absl::Minutes(2));
  }
  absl::StatusOr<helpdesk::v1::Agent> agent = (*desk)->people().CreateAgent(
      helpdesk::SystemActor(), {.name = "Bob", .email = "bob@example.com"});
  if (!agent.ok()) return 1;
  if (!(*desk)->tickets()
           .AddMessage(helpdesk::AgentActor(agent->id()), ticket_id,
                       {.body_text = "A technician is on the way."})
           .ok()) {
    return 1;
  }
  // The host's dispatcher: the outbox hands each entry to its channel's adapter.
  SmsOutbound out([](const SmsRequest& request) {
    std::cout << "  SMS to " << request.to << ": " << request.text << "\n";
    return 200;
  });
  absl::StatusOr<helpdesk::DispatchReport> sent = (*desk)->outbox().Dispatch(
      {{helpdesk::v1::CHANNEL_PHONE, &out}}, clock.Now(), 100);
  return sent.ok() && sent->delivered == 1 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--conformance") {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
  }
  return Demo();
}
