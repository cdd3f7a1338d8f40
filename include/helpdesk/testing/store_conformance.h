// The Store conformance suite: the contract of helpdesk/store.h as tests.
//
// Every Store implementation, built-in or a host's own, must pass this suite.
// It is a value-parameterised GoogleTest suite: each test asks a StoreFactory
// for a fresh, empty store and checks one part of the contract through the
// public Transaction API only (ids and versions, rollback, read-only and
// committed transactions, messages, events, contacts, agents, groups,
// attachments, idempotency records, thread keys, the outbox and quarantine,
// every QueryTickets filter and sort, cursor validation and stable
// pagination, snapshots and concurrent writers, durable transactions).
//
// The tests live in the library helpdesk::store_conformance (CMake target
// helpdesk_store_conformance), one source file per area; this header declares
// what a host needs to run them: the factory and the fixture. To run the suite
// against your own store, instantiate it in one of your test files:
//
//   #include "helpdesk/testing/store_conformance.h"
//   #include "myapp/postgres_store.h"
//
//   using helpdesk::testing::StoreConformanceTest;
//   using helpdesk::testing::StoreFactory;
//   using helpdesk::testing::StoreFactoryName;
//
//   INSTANTIATE_TEST_SUITE_P(
//       MyStore, StoreConformanceTest,
//       ::testing::Values(StoreFactory{
//           "postgres",  // becomes part of the test names: [A-Za-z0-9_]
//           [] { return myapp::OpenTestPostgresStore(/*fresh schema*/); }}),
//       StoreFactoryName());
//
// and link the test with helpdesk::store_conformance and GTest::gtest_main
// (the library brings GTest::gmock, GTest::gtest and helpdesk; it is linked
// whole, so every test registers itself although your file names none). The
// factory is called once per test and must return an empty store; the store
// is destroyed when the test ends. INSTANTIATE_TEST_SUITE_P needs the
// unqualified suite name, hence the using declarations. Tests are named
// <Prefix>/StoreConformanceTest.<Test>/<name>; --gtest_filter picks an area
// or a test. See docs/conformance.md.
//
// The suite is deterministic: randomised tests use fixed seeds, times are
// fixed values, and the concurrency tests check outcomes, not timings. It
// needs no more than a few seconds per store in a debug build.
#ifndef HELPDESK_TESTING_STORE_CONFORMANCE_H_
#define HELPDESK_TESTING_STORE_CONFORMANCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "helpdesk/store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk::testing {

// Makes a fresh, empty store for one test.
//
// Thread safety: `make` is called from the test's main thread only.
struct StoreFactory {
  // Appended to every test name; letters, digits and underscores only.
  std::string name;
  // Called once per test. The store is destroyed at the end of the test.
  std::function<absl::StatusOr<std::unique_ptr<Store>>()> make;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) {
  *os << factory.name;
}

// Names each instantiation after StoreFactory::name.
struct StoreFactoryName {
  std::string operator()(
      const ::testing::TestParamInfo<StoreFactory>& info) const {
    return info.param.name;
  }
};

namespace store_conformance_internal {
// One committed object of each kind (defined with the suite's internals).
struct CommittedObjects;
}  // namespace store_conformance_internal

// The fixture: a fresh store from GetParam().make() for every test, destroyed
// when the test ends. Tests talk to the store through the public Transaction
// API only.
//
// Thread safety: the concurrency tests call the store from several threads at
// once, as store.h allows; the fixture's own helpers are safe to call from
// those threads because they only read `store_`.
class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  // Makes the store with GetParam().make(); a factory error fails the test.
  void SetUp() override;
  void TearDown() override;

  Store& store() { return *store_; }

  absl::StatusOr<std::unique_ptr<Transaction>> BeginReadWrite() {
    return store_->Begin(TransactionMode::kReadWrite);
  }
  absl::StatusOr<std::unique_ptr<Transaction>> BeginReadOnly() {
    return store_->Begin(TransactionMode::kReadOnly);
  }

  // Inserts `tickets` in one committed transaction; writes ids and versions
  // back into them.
  absl::Status InsertCommitted(std::vector<v1::Ticket>& tickets);
  absl::StatusOr<v1::Ticket> InsertCommitted(v1::Ticket ticket);

  absl::StatusOr<v1::Ticket> ReadTicket(int64_t id);

  // Every page of `query` (query.limit is the page size), read in one
  // read-only transaction and concatenated. Fails when a page is larger than
  // the limit or the cursor never runs out.
  absl::StatusOr<std::vector<v1::Ticket>> QueryAllPages(TicketQuery query);
  // The ids of QueryAllPages(query), in order.
  absl::StatusOr<std::vector<int64_t>> QueryIds(const TicketQuery& query);

  // Commits one object of each kind (ticket with one message and one event,
  // contact, organization, agent, group) and returns them as stored.
  absl::StatusOr<store_conformance_internal::CommittedObjects>
  CommitOneOfEach();

  // Expects that none of the writes of the suite's refused-write check was
  // stored and that `c` is as committed.
  void ExpectNoRefusedWriteStored(
      const store_conformance_internal::CommittedObjects& c);

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTING_STORE_CONFORMANCE_H_
