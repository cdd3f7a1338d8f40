// Runs the Store conformance suite (helpdesk/testing/store_conformance.h) on
// every built-in store: the memory store, SQLite in memory, and SQLite on a
// fresh file.
#include "helpdesk/testing/store_conformance.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"
#include "helpdesk/store_wrapper.h"

namespace helpdesk::testing {
namespace {

// Owns a store kept in a temporary file and deletes the file (with its WAL and
// shared-memory companions) after closing the store.
class TemporaryFileStore : public StoreWrapper {
 public:
  TemporaryFileStore(std::unique_ptr<Store> store, std::string path)
      : StoreWrapper(store.get()),
        store_(std::move(store)),
        path_(std::move(path)) {}
  ~TemporaryFileStore() override {
    store_.reset();
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path_ + suffix, ignored);
    }
  }

 private:
  std::unique_ptr<Store> store_;
  std::string path_;
};

absl::StatusOr<std::unique_ptr<Store>> MakeMemoryStore() {
  return NewMemoryStore();
}

absl::StatusOr<std::unique_ptr<Store>> MakeSqliteInMemoryStore() {
  return OpenSqliteStore(":memory:");
}

absl::StatusOr<std::unique_ptr<Store>> MakeSqliteFileStore() {
  static std::atomic<int> counter{0};
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) /
       absl::StrCat("helpdesk_store_conformance_", getpid(), "_",
                    counter.fetch_add(1), ".db"))
          .string();
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ignored);
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  if (!store.ok()) return store.status();
  return std::make_unique<TemporaryFileStore>(std::move(*store), path);
}

INSTANTIATE_TEST_SUITE_P(
    Builtin, StoreConformanceTest,
    ::testing::Values(StoreFactory{"memory", MakeMemoryStore},
                      StoreFactory{"sqlite_in_memory", MakeSqliteInMemoryStore},
                      StoreFactory{"sqlite_file", MakeSqliteFileStore}),
    StoreFactoryName());

}  // namespace
}  // namespace helpdesk::testing
