// Test support for PostgreSQL: the server named by $HELPDESK_TEST_POSTGRES
// (scripts/pg-test-cluster.sh starts one), fresh schemas per test, and the
// visible skip when no server is configured (a failure when $CI is set).
#ifndef HELPDESK_TESTS_POSTGRES_TEST_SUPPORT_H_
#define HELPDESK_TESTS_POSTGRES_TEST_SUPPORT_H_

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "helpdesk/storage/postgres_store.h"
#include "helpdesk/store.h"
#include "helpdesk/store_wrapper.h"

namespace helpdesk::testing {

// The connection string of the test server, or "" when none is configured.
inline std::string TestPostgresUrl() {
  const char* url = std::getenv("HELPDESK_TEST_POSTGRES");
  return url == nullptr ? "" : url;
}

// Skips the current test with the reason when no server is configured, or
// fails it when $CI is set. Returns true when the test should go on.
inline bool RequireTestPostgres() {
  if (!TestPostgresUrl().empty()) return true;
  if (std::getenv("CI") != nullptr) {
    ADD_FAILURE() << "HELPDESK_TEST_POSTGRES is not set in CI: start a server "
                     "with scripts/pg-test-cluster.sh and export its URL";
    return false;
  }
  [] {
    GTEST_SKIP() << "HELPDESK_TEST_POSTGRES is not set: no PostgreSQL server "
                    "to test against (scripts/pg-test-cluster.sh start DIR "
                    "prints one)";
  }();
  return false;
}

// Runs `sql` on the test server outside any store; returns the error text or "".
inline std::string RunOnTestServer(const std::string& sql) {
  PGconn* c = PQconnectdb(TestPostgresUrl().c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

// A schema name no other test (or test process) uses.
inline std::string FreshSchemaName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", getpid(), "_", counter.fetch_add(1));
}

// Owns a PostgresStore on its own schema and drops the schema afterwards.
class TemporarySchemaStore : public StoreWrapper {
 public:
  TemporarySchemaStore(std::unique_ptr<Store> store, std::string schema)
      : StoreWrapper(store.get()), store_(std::move(store)), schema_(std::move(schema)) {}
  ~TemporarySchemaStore() override {
    store_.reset();
    RunOnTestServer(absl::StrCat("DROP SCHEMA IF EXISTS \"", schema_, "\" CASCADE"));
  }

 private:
  std::unique_ptr<Store> store_;
  std::string schema_;
};

// A store on a fresh schema of the test server.
inline absl::StatusOr<std::unique_ptr<Store>> OpenFreshPostgresStore(
    PostgresStoreOptions options = {}) {
  options.schema = FreshSchemaName("hdt");
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenPostgresStore(TestPostgresUrl(), options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(
      std::make_unique<TemporarySchemaStore>(std::move(*store), options.schema));
}

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTS_POSTGRES_TEST_SUPPORT_H_
