// The fixture of the Desk ingest suites (desk_ingest_test,
// desk_ingest_safety_test): a desk with acknowledgements on every built-in
// store (the parameter: true for SQLite), and helpers to build mail and read
// back threads, tickets and the outbox.
#ifndef HELPDESK_TESTS_DESK_INGEST_FIXTURE_H_
#define HELPDESK_TESTS_DESK_INGEST_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::testing_ingest {

v1::InboundMessage Mail(absl::string_view from, absl::string_view message_id,
                        absl::string_view subject, absl::string_view body) {
  v1::InboundMessage m;
  m.set_channel(v1::CHANNEL_EMAIL);
  m.set_external_id(std::string(message_id));
  m.mutable_from()->set_email(std::string(from));
  m.mutable_from()->set_name(std::string(from.substr(0, from.find('@'))));
  m.add_to()->set_email("help@desk.example");
  m.set_subject(std::string(subject));
  m.set_body_text(std::string(body));
  m.mutable_threading()->set_message_id(std::string(message_id));
  return m;
}

// Records deliveries; fails on demand.
class FakeOutbound : public OutboundAdapter {
 public:
  absl::string_view Name() const override { return "test.fake"; }
  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& m) override {
    if (!failures.empty()) {
      absl::Status s = failures.front();
      failures.erase(failures.begin());
      return s;
    }
    sent.push_back(m);
    return DeliveryReceipt{.provider_id = absl::StrCat("queued-", sent.size())};
  }
  std::vector<absl::Status> failures;
  std::vector<v1::OutboundMessage> sent;
};

class DeskIngestTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { desk_ = MakeDesk(store_, "help@desk.example"); }

  std::unique_ptr<Desk> MakeDesk(
      std::unique_ptr<Store>& store, absl::string_view address,
      const std::function<void(DeskOptions&)>& adjust = nullptr) {
    if (GetParam()) {
      auto s = OpenSqliteStore(":memory:");
      EXPECT_OK(s.status());
      store = *std::move(s);
    } else {
      store = NewMemoryStore();
    }
    DeskOptions options{.store = store.get(), .clock = &clock_};
    options.ingest.acknowledge_new_tickets = true;
    options.ingest.desk_email = std::string(address);
    if (adjust) adjust(options);
    auto desk = Desk::Open(std::move(options));
    EXPECT_OK(desk.status());
    return desk.ok() ? *std::move(desk) : nullptr;
  }

  std::vector<v1::Message> Thread(int64_t ticket_id) {
    auto view = desk_->tickets().View(SystemActor(), ticket_id);
    EXPECT_OK(view.status());
    return view.ok() ? view->messages : std::vector<v1::Message>{};
  }

  int64_t TicketCount() {
    TicketQuery q;
    q.include_merged = true;
    q.limit = kMaxQueryLimit;
    auto page = desk_->tickets().Query(SystemActor(), q);
    EXPECT_OK(page.status());
    return page.ok() ? static_cast<int64_t>(page->tickets.size()) : -1;
  }

  std::vector<v1::OutboxEntry> Outbox() {
    auto entries = desk_->outbox().List(SystemActor(), std::nullopt);
    EXPECT_OK(entries.status());
    return entries.ok() ? *entries : std::vector<v1::OutboxEntry>{};
  }

  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
};

inline std::string ParamName(const ::testing::TestParamInfo<bool>& param_info) {
  return param_info.param ? "Sqlite" : "Memory";
}

}  // namespace helpdesk::testing_ingest

#endif  // HELPDESK_TESTS_DESK_INGEST_FIXTURE_H_
