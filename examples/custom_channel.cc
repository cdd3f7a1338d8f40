// How an integrator adds a channel: an SMS gateway that posts
// "from=<phone>&text=<message>&id=<gateway id>" to the host, and receives
// replies through a callback.
//
//   1. InboundAdapter::Parse turns the gateway's request into an
//      InboundMessage (channel, sender identity, text, idempotency key,
//      threading: here, one ticket per phone number and day).
//   2. Inbox::Ingest does the rest: duplicates, contacts, threading, reopening.
//   3. An OutboundAdapter delivers agents' replies; Outbox::Dispatch calls
//      it with retries. (Which replies to send is the host's choice: here the
//      host writes an outbox-like call itself after AddMessage.)
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"

namespace {

class SmsInbound : public helpdesk::InboundAdapter {
 public:
  absl::string_view Name() const override { return "com.example.sms"; }

  absl::StatusOr<helpdesk::v1::InboundMessage> Parse(
      absl::string_view raw, absl::Time received_at) const override {
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

class SmsOutbound : public helpdesk::OutboundAdapter {
 public:
  absl::string_view Name() const override { return "com.example.sms"; }
  absl::StatusOr<helpdesk::DeliveryReceipt> Deliver(
      const helpdesk::v1::OutboundMessage& m) override {
    if (m.destination().empty()) {
      return absl::InvalidArgumentError("destination: no phone number");  // permanent
    }
    std::cout << "  SMS to " << m.destination() << ": " << m.body_text() << "\n";
    return helpdesk::DeliveryReceipt{.provider_id = absl::StrCat("sms-", ++sent_)};
  }

 private:
  int sent_ = 0;
};

}  // namespace

int main() {
  std::unique_ptr<helpdesk::Store> store = helpdesk::NewMemoryStore();
  helpdesk::ManualClock clock(absl::FromUnixSeconds(1767600000));
  auto desk = helpdesk::Desk::Open({.store = store.get(), .clock = &clock});
  if (!desk.ok()) return 1;

  SmsInbound sms;
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
    std::cout << "gateway message " << m->external_id() << " -> ticket #" << r->ticket_id
              << (r->duplicate ? " (duplicate, nothing new)" : "") << "\n";
    clock.Advance(absl::Minutes(2));
  }
  SmsOutbound out;
  helpdesk::v1::OutboundMessage reply;
  reply.set_channel(helpdesk::v1::CHANNEL_PHONE);
  reply.set_destination("+34600111222");
  reply.set_body_text("A technician is on the way.");
  absl::StatusOr<helpdesk::DeliveryReceipt> receipt = out.Deliver(reply);
  return receipt.ok() ? 0 : 1;
}
