// ParseBatch (helpdesk/channel.h): a polled batch parsed on several threads
// gives the messages a sequential parse gives, in order, and IngestBatch of
// them stores the same tickets, events and outbox entries.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/store.h"

namespace helpdesk {
namespace {

const absl::Time kBatchNow = absl::FromUnixSeconds(1767225600);

// A batch with new tickets, replies to earlier ones of the batch, a
// duplicate, mail the fast path leaves to GMime, and one too large.
std::vector<std::string> Batch() {
  std::vector<std::string> raws;
  for (int n = 0; n < 60; ++n) {
    std::string headers = absl::StrCat("From: Customer ", n % 20, " <c", n % 20,
                                       "@example.com>\r\nTo: help@desk.example\r\n"
                                       "Message-ID: <b", n, "@example.com>\r\n");
    if (n >= 20 && n % 3 == 0) {
      absl::StrAppend(&headers, "In-Reply-To: <b", n - 20, "@example.com>\r\n",
                      "Subject: Re: request ", n - 20, "\r\n");
    } else {
      absl::StrAppend(&headers, "Subject: request ", n, "\r\n");
    }
    if (n % 7 == 0) {
      absl::StrAppend(&headers,
                      "Content-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n"
                      "Content-Type: text/plain\r\n\r\ntext ", n, "\r\n--x\r\n"
                      "Content-Type: text/html\r\n\r\n<p>html</p>\r\n--x--\r\n");
    } else {
      absl::StrAppend(&headers, "\r\nbody ", n, "\r\n");
    }
    raws.push_back(std::move(headers));
  }
  raws.push_back(raws[5]);  // a duplicate
  EmailInboundOptions small;
  raws.push_back(std::string(small.max_message_bytes + 1, 'x'));
  return raws;
}

std::string Stored(Store& store) {
  std::string out;
  absl::StatusOr<std::unique_ptr<Transaction>> tx = store.Begin(TransactionMode::kReadOnly);
  EXPECT_TRUE(tx.ok());
  if (!tx.ok()) return out;
  for (int64_t id = 1;; ++id) {
    absl::StatusOr<v1::Ticket> t = (*tx)->GetTicket(id);
    if (!t.ok()) break;
    absl::StrAppend(&out, t->SerializeAsString());
  }
  absl::StatusOr<std::vector<v1::Event>> events = (*tx)->ListEventsSince(0, 10000);
  EXPECT_TRUE(events.ok());
  if (events.ok()) {
    for (const v1::Event& e : *events) absl::StrAppend(&out, e.SerializeAsString());
  }
  for (int64_t id = 1;; ++id) {
    absl::StatusOr<v1::OutboxEntry> o = (*tx)->GetOutbox(id);
    if (!o.ok()) break;
    absl::StrAppend(&out, o->SerializeAsString());
  }
  return out;
}

TEST(ParseBatchTest, ThreadsGiveTheSequentialResultAndTheSameStore) {
  const std::vector<std::string> raws = Batch();
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  std::vector<std::string> stored;
  std::vector<std::string> parsed;
  for (int threads : {1, 4, 0}) {
    std::vector<absl::StatusOr<v1::InboundMessage>> results =
        ParseBatch(*email, raws, kBatchNow, {.threads = threads});
    ASSERT_EQ(results.size(), raws.size());
    std::string all;
    std::vector<v1::InboundMessage> messages;
    for (size_t i = 0; i < results.size(); ++i) {
      absl::StatusOr<v1::InboundMessage> one = email->Parse(raws[i], kBatchNow);
      ASSERT_EQ(results[i].status(), one.status()) << i;
      if (!one.ok()) continue;
      EXPECT_EQ(results[i]->SerializeAsString(), one->SerializeAsString()) << i;
      messages.push_back(*results[i]);
    }
    EXPECT_EQ(messages.size(), raws.size() - 1);  // the large one refused

    std::unique_ptr<Store> store = NewMemoryStore();
    ManualClock clock(kBatchNow);
    DeskOptions options{.store = store.get(), .clock = &clock};
    options.ingest.desk_email = "help@desk.example";
    options.ingest.acknowledge_new_tickets = true;
    absl::StatusOr<std::unique_ptr<Desk>> desk = Desk::Open(std::move(options));
    ASSERT_TRUE(desk.ok()) << desk.status();
    auto ingested = (*desk)->inbox().IngestBatch(messages);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
    stored.push_back(Stored(*store));
  }
  EXPECT_FALSE(stored[0].empty());
  EXPECT_EQ(stored[1], stored[0]);
  EXPECT_EQ(stored[2], stored[0]);
}

TEST(ParseBatchTest, EmptyBatch) {
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  EXPECT_TRUE(ParseBatch(*email, {}, kBatchNow, {.threads = 3}).empty());
}

}  // namespace
}  // namespace helpdesk
