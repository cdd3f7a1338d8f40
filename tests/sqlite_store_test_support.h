// What the SqliteStore tests share (sqlite_store_test.cc,
// sqlite_store_locking_test.cc, sqlite_store_query_test.cc): temporary
// paths, file helpers, a raw sqlite3 handle on a store's file, and Open.
#ifndef HELPDESK_TESTS_SQLITE_STORE_TEST_SUPPORT_H_
#define HELPDESK_TESTS_SQLITE_STORE_TEST_SUPPORT_H_

#include "helpdesk/storage/sqlite_store.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_schema.h"
#include "storage/sqlite_ticket_query.h"

namespace helpdesk {

inline constexpr absl::string_view kSha =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

// A path in a fresh temporary directory, unique to the test and process.
inline std::string TempPath(absl::string_view name) {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path =
      absl::StrCat(::testing::TempDir(), "/sqlite_store_test_", info->name(),
                   "_", getpid(), "_", name);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove(absl::StrCat(path, suffix).c_str());
  }
  return path;
}

inline bool FileExists(const std::string& path) {
  return std::ifstream(path).good();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A raw connection for setting up and inspecting files behind the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK) << path;
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error),
              SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  // Every row of a query, columns joined with '|'.
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> cols;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        cols.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      rows.push_back(absl::StrJoin(cols, "|"));
    }
    sqlite3_finalize(stmt);
    return rows;
  }
  std::string One(const std::string& sql) {
    std::vector<std::string> rows = Rows(sql);
    return rows.empty() ? "" : rows[0];
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

inline v1::Ticket MakeTicket(absl::string_view subject, absl::string_view status,
                             v1::Priority priority, int64_t group, int64_t created_us) {
  v1::Ticket t;
  t.set_subject(std::string(subject));
  t.set_status(std::string(status));
  t.set_status_category(status == "open" ? v1::STATUS_CATEGORY_OPEN
                                         : v1::STATUS_CATEGORY_NEW);
  t.set_priority(priority);
  t.set_group_id(group);
  t.set_requester_id(1);
  *t.mutable_created_at() = MicrosToTimestamp(created_us);
  *t.mutable_updated_at() = MicrosToTimestamp(created_us);
  return t;
}

inline absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path) {
  return OpenSqliteStore(path);
}

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_SQLITE_STORE_TEST_SUPPORT_H_
