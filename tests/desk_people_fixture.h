// The desk most Desk tests start from: a store chosen by the test's
// parameter ("memory" or "sqlite", in memory), a Desk on a ManualClock, and
// the same cast of people, so each test file states only what it tests.
//
//   groups   Support, Billing
//   agents   Ann    admin (only with DeskPeopleOptions::with_admin)
//            Bob    agent, member of Support, sees every ticket
//            Carla  agent, member of Billing, sees only her groups' tickets
//            Lee    light agent
//   contact  Ada    ada@example.com
//
// Agents are created in the order above, so their ids are stable across the
// test files that use this fixture.
#ifndef HELPDESK_TESTS_DESK_PEOPLE_FIXTURE_H_
#define HELPDESK_TESTS_DESK_PEOPLE_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {

struct DeskPeopleOptions {
  bool with_admin = false;  // create Ann, an admin, before the others
};

struct DeskPeople {
  int64_t support = 0;
  int64_t billing = 0;
  v1::Actor admin;  // empty unless DeskPeopleOptions::with_admin
  v1::Actor bob, carla, lee, ada;

  // Creates the groups, agents and contact above through `desk` as the
  // system actor; the first failing call's status is returned.
  static absl::StatusOr<DeskPeople> Create(Desk &desk, DeskPeopleOptions options = {}) {
    const v1::Actor system = SystemActor();
    DeskPeople p;
    absl::StatusOr<v1::Group> support = desk.people().CreateGroup(system, "Support");
    if (!support.ok()) return support.status();
    absl::StatusOr<v1::Group> billing = desk.people().CreateGroup(system, "Billing");
    if (!billing.ok()) return billing.status();
    p.support = support->id();
    p.billing = billing->id();
    NewAgent ann{.name = "Ann", .email = "ann@desk.example", .role = v1::Agent::ADMIN};
    NewAgent bob{.name = "Bob", .email = "bob@desk.example", .group_ids = {p.support}};
    NewAgent carla{.name = "Carla",
                   .email = "carla@desk.example",
                   .ticket_access = v1::Agent::GROUPS,
                   .group_ids = {p.billing}};
    NewAgent lee{.name = "Lee", .email = "lee@desk.example", .role = v1::Agent::LIGHT_AGENT};
    std::pair<NewAgent *, v1::Actor *> agents[] = {
        {&ann, &p.admin}, {&bob, &p.bob}, {&carla, &p.carla}, {&lee, &p.lee}};
    for (auto &[spec, actor] : agents) {
      if (spec == &ann && !options.with_admin) continue;
      absl::StatusOr<v1::Agent> agent = desk.people().CreateAgent(system, *spec);
      if (!agent.ok()) return agent.status();
      *actor = AgentActor(agent->id());
    }
    absl::StatusOr<v1::Contact> ada =
        desk.people().CreateContact(system, {.name = "Ada", .emails = {"ada@example.com"}});
    if (!ada.ok()) return ada.status();
    p.ada = ContactActor(ada->id());
    return p;
  }
};

// Creates a ticket as `by`; the requester defaults to `requester` and the
// description to "Since Monday.". A failure fails the test and returns an
// empty ticket.
inline v1::Ticket CreateTestTicket(Desk &desk, const v1::Actor &by, const v1::Actor &requester,
                                   NewTicket t) {
  if (t.requester_id == 0) t.requester_id = requester.id();
  if (t.description.empty()) t.description = "Since Monday.";
  absl::StatusOr<v1::Ticket> r = desk.tickets().Create(by, std::move(t));
  EXPECT_OK(r.status());
  return r.ok() ? *r : v1::Ticket();
}

// The rest needs helpdesk::sqlite (a core-only test uses DeskPeople alone).

// A store by name: "memory" or "sqlite" (an in-memory SQLite database).
inline absl::StatusOr<std::unique_ptr<Store>> OpenTestStore(const std::string &kind) {
  if (kind == "memory") return NewMemoryStore();
  if (kind == "sqlite") return OpenSqliteStore(":memory:");
  return absl::InvalidArgumentError("OpenTestStore: unknown store kind \"" + kind + "\"");
}

// Base of the Desk tests parameterised by store ("memory", "sqlite"):
// SetUp opens the store and the desk and creates the people above. A test
// that needs other DeskOptions or people options overrides Options() or
// PeopleOptions().
class DeskPeopleTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, OpenTestStore(GetParam()));
    DeskOptions options = Options();
    options.store = store_.get();
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(options)));
    ASSERT_OK_AND_ASSIGN(people_, DeskPeople::Create(*desk_, PeopleOptions()));
  }

  virtual DeskOptions Options() { return DeskOptions{}; }
  virtual DeskPeopleOptions PeopleOptions() { return {}; }

  v1::Ticket MakeTicket(const v1::Actor &by, NewTicket t) {
    return CreateTestTicket(*desk_, by, people_.ada, std::move(t));
  }

  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  DeskPeople people_;
};

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_DESK_PEOPLE_FIXTURE_H_
