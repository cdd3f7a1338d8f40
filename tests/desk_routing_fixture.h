// The fixture of the Desk routing tests (desk_routing_test.cc,
// desk_routing_sticky_test.cc, desk_routing_fault_test.cc): a desk with
// routing over the store the parameter chooses (false: memory, true: SQLite
// in a file), a group and the agents Ana and Bo, and the calls the tests
// repeat.
#ifndef HELPDESK_TESTS_DESK_ROUTING_FIXTURE_H_
#define HELPDESK_TESTS_DESK_ROUTING_FIXTURE_H_

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/audit.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#include "absl/synchronization/mutex.h"

namespace helpdesk {

inline std::vector<v1::Event> OfKind(const std::vector<v1::Event>& events,
                                     v1::Event::Kind kind) {
  std::vector<v1::Event> out;
  for (const v1::Event& e : events) {
    if (e.kind() == kind) out.push_back(e);
  }
  return out;
}

// Names a parameter's store in the test names: "Memory" or "Sqlite".
inline std::string StoreParamName(const ::testing::TestParamInfo<bool>& param_info) {
  return param_info.param ? "Sqlite" : "Memory";
}

class DeskRoutingTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      std::string name =
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      path_ = ::testing::TempDir() + "/desk_routing_" + name + ".db";
      std::remove(path_.c_str());
      std::remove((path_ + "-wal").c_str());
      std::remove((path_ + "-shm").c_str());
    }
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> OpenStore() {
    if (!GetParam()) return NewMemoryStore();
    absl::StatusOr<std::unique_ptr<Store>> s = OpenSqliteStore(path_);
    EXPECT_OK(s.status());
    return s.ok() ? *std::move(s) : nullptr;
  }

  // Opens the desk with `routing` and makes a group with two agents, Ana and
  // Bo, each taking two e-mails at once; both offline.
  void OpenDesk(RoutingOptions routing) {
    routing_ = routing;
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                            .clock = &clock_,
                                            .routing = routing}));
    ASSERT_OK_AND_ASSIGN(v1::Group g, desk_->people().CreateGroup(SystemActor(), "Support"));
    group_ = g.id();
    ana_ = MakeAgent("Ana", "ana@x.example", {{"spanish", 5}});
    bo_ = MakeAgent("Bo", "bo@x.example", {});
    ASSERT_OK_AND_ASSIGN(v1::Contact c,
                         desk_->people().CreateContact(SystemActor(),
                                              {.name = "Cy", .emails = {"cy@x.example"}}));
    customer_ = c.id();
  }

  int64_t MakeAgent(const std::string& name, const std::string& email,
                    std::vector<std::pair<std::string, int>> skills) {
    NewAgent a{.name = name, .email = email, .group_ids = {group_}};
    for (const auto& [skill, level] : skills) {
      v1::Skill s;
      s.set_name(skill);
      s.set_level(level);
      a.skills.push_back(s);
    }
    v1::ChannelCapacity cap;
    cap.set_channel(v1::CHANNEL_EMAIL);
    cap.set_max_items(2);
    a.capacity = {cap};
    absl::StatusOr<v1::Agent> agent = desk_->people().CreateAgent(SystemActor(), a);
    EXPECT_OK(agent.status());
    return agent.ok() ? agent->id() : 0;
  }

  void SetPresence(int64_t agent, v1::Presence p) {
    ASSERT_OK(desk_->people().SetAgentPresence(AgentActor(agent), agent, p).status());
  }

  v1::Ticket NewTicket(const std::string& subject,
                       std::vector<std::string> tags = {}) {
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(
        SystemActor(), {.subject = subject,
                        .requester_id = customer_,
                        .description = "please help",
                        .tags = std::move(tags),
                        .group_id = group_,
                        .channel = v1::CHANNEL_EMAIL});
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  // A new e-mail ticket of `requester` in the group.
  v1::Ticket NewTicketFrom(int64_t requester, const std::string& subject) {
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(
        SystemActor(), {.subject = subject,
                        .requester_id = requester,
                        .description = "please help",
                        .group_id = group_,
                        .channel = v1::CHANNEL_EMAIL});
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  // Another customer.
  int64_t MakeCustomer(const std::string& name, const std::string& email) {
    absl::StatusOr<v1::Contact> c =
        desk_->people().CreateContact(SystemActor(), {.name = name, .emails = {email}});
    EXPECT_OK(c.status());
    return c.ok() ? c->id() : 0;
  }

  void Write(const v1::Actor& author, int64_t ticket, v1::Message::Kind kind,
             const std::string& text) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_OK(desk_->tickets().AddMessage(author, ticket, {.kind = kind, .body_text = text})
                  .status());
  }

  v1::Contact Contact(int64_t id) {
    absl::StatusOr<v1::Contact> c = desk_->people().GetContact(SystemActor(), id);
    EXPECT_OK(c.status());
    return c.ok() ? *c : v1::Contact();
  }

  // The least-loaded policy inside the sticky-owner decorator.
  static RoutingOptions StickyRouting() {
    RoutingOptions r;
    r.policy.mutable_least_loaded();
    r.policy.mutable_sticky_owner();
    return r;
  }

  v1::Ticket Get(int64_t id) {
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Get(SystemActor(), id);
    EXPECT_OK(t.status());
    return t.ok() ? *t : v1::Ticket();
  }

  std::vector<v1::Event> Log(int64_t id) {
    absl::StatusOr<std::vector<v1::Event>> log = desk_->tickets().AuditLog(SystemActor(), id);
    EXPECT_OK(log.status());
    return log.ok() ? *log : std::vector<v1::Event>();
  }

  std::vector<int64_t> Queued() {
    absl::StatusOr<RoutingSnapshot> s = desk_->routing().State(SystemActor());
    EXPECT_OK(s.status());
    std::vector<int64_t> ids;
    if (s.ok()) {
      for (const auto& [id, since] : s->queued) ids.push_back(id);
    }
    return ids;
  }

  std::string path_;
  std::unique_ptr<Store> store_;
  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  RoutingOptions routing_;
  std::unique_ptr<Desk> desk_;
  int64_t group_ = 0, ana_ = 0, bo_ = 0, customer_ = 0;
};

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_DESK_ROUTING_FIXTURE_H_
