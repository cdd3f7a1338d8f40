// A Desk on an SQLite file in a fresh temporary folder, as a host runs it,
// for the ingest benchmarks; the folder is removed with the fixture.
#ifndef HELPDESK_BENCH_SQLITE_DESK_FIXTURE_H_
#define HELPDESK_BENCH_SQLITE_DESK_FIXTURE_H_

#include <stdlib.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/sqlite_store.h"

namespace helpdesk {

class SqliteDeskFixture {
 public:
  explicit SqliteDeskFixture(absl::Time now) : clock_(now) {}
  SqliteDeskFixture(const SqliteDeskFixture&) = delete;
  SqliteDeskFixture& operator=(const SqliteDeskFixture&) = delete;
  ~SqliteDeskFixture() {
    desk_.reset();
    store_.reset();
    if (!dir_.empty()) std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  // Opens desk.db in a new folder /tmp/<name>_XXXXXX; `configure` fills the
  // options (store and clock are set) before Desk::Open.
  absl::Status Open(const std::string& name,
                    const std::function<absl::Status(DeskOptions&)>& configure) {
    dir_ = "/tmp/" + name + "_XXXXXX";
    if (mkdtemp(dir_.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(dir_ + "/desk.db");
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    DeskOptions options;
    options.store = store_.get();
    options.clock = &clock_;
    if (absl::Status s = configure(options); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<Desk>> desk = Desk::Open(std::move(options));
    if (!desk.ok()) return desk.status();
    desk_ = *std::move(desk);
    return absl::OkStatus();
  }

  Desk& desk() { return *desk_; }
  // The SQLite file under the desk (valid after Open).
  std::string path() const { return dir_ + "/desk.db"; }

 private:
  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
};

}  // namespace helpdesk

#endif  // HELPDESK_BENCH_SQLITE_DESK_FIXTURE_H_
