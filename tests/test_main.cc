// main() of every test group (tests/CMakeLists.txt): GoogleTest's, plus an
// exit code that tells ctest when nothing ran but skips, and a private
// temporary directory per run.
//
// ctest runs a group's tests one suite per process (HELPDESK_CTEST_PER_TEST
// OFF). A skipped test must still show as skipped, but ctest's
// SKIP_REGULAR_EXPRESSION would mark a whole run skipped "regardless of the
// process exit code" when one of its tests skipped and another failed. So
// the run's exit code says it instead: kSkipped (ctest's SKIP_RETURN_CODE)
// only when at least one test was skipped and none passed or failed.
//
// Tests put their files under ::testing::TempDir(). Each run gets its own
// directory below the usual one (TEST_TMPDIR, else /tmp), created here and
// handed to GoogleTest through TEST_TMPDIR, so runs of the same suite in
// parallel never share a file and nothing is left behind: the directory is
// removed when every test passed and kept (its path printed) when one
// failed, for a look at what it left. Child processes (death tests, servers
// a test starts) inherit the directory instead of making their own.
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace {

constexpr int kSkipped = 77;
constexpr char kOwnedVariable[] = "HELPDESK_TEST_RUN_DIR";

// Makes the run's directory unless a parent process already did; returns it
// when this process made it (and so must remove it), else "".
std::string MakeRunDirectory() {
  if (getenv(kOwnedVariable) != nullptr) return "";
  std::string pattern = testing::TempDir() + "helpdesk_test_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("test_main: mkdtemp under TempDir(); tests write there instead");
    return "";
  }
  // Traversable by others, as /tmp is: servers a test starts may run as
  // another user (dovecot_test_server.sh, run as root, hands the mail to
  // dovecot's user).
  chmod(pattern.c_str(), 0711);
  setenv("TEST_TMPDIR", pattern.c_str(), 1);
  setenv(kOwnedVariable, pattern.c_str(), 1);
  return pattern;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const std::string run_dir = MakeRunDirectory();
  const int result = RUN_ALL_TESTS();
  const testing::UnitTest& unit = *testing::UnitTest::GetInstance();
  if (!run_dir.empty()) {
    if (result == 0) {
      std::error_code ignored;
      std::filesystem::remove_all(run_dir, ignored);
    } else {
      std::fprintf(stderr, "test_main: files of this run kept in %s\n", run_dir.c_str());
    }
  }
  if (result == 0 && unit.skipped_test_count() > 0 && unit.successful_test_count() == 0 &&
      unit.failed_test_count() == 0) {
    return kSkipped;
  }
  return result;
}
