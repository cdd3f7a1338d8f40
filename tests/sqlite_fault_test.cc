// I/O faults below SQLite: the store opened on a VFS (tests/fault_vfs.h) that
// makes the Nth read, write or sync fail. For a Desk CreateTicket, an Ingest
// of a real-looking e-mail and a MergeTickets, every N over the command's
// reads, writes and syncs is tried, in two configurations (synchronous=NORMAL
// with the default checkpointing; synchronous=FULL checkpointing after every
// commit, so commits and checkpoints sync), and the command must have fully
// happened (the state equals that of a fault-free run) or not at all (the
// state equals the one before), and the store must stay usable: a following
// command on the same store succeeds, PRAGMA integrity_check says ok and the
// file reopens. A full disk (SQLITE_FULL from every write from the Nth on)
// must be refused with ResourceExhausted naming it, and change nothing.
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <iostream>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "fault_test_support.h"
#include "fault_vfs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using testing_faults::FaultVfs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1767600000);

// What a command is run against: the desk over a store on the fault VFS.
using Command = std::function<absl::Status(Desk&)>;

struct Fault {
  FaultVfs::Op op;
  int64_t nth;
  int code;
  bool persistent = false;
};

struct Outcome {
  absl::Status status;
  bool fired = false;
  std::array<int64_t, 3> counts = {0, 0, 0};
  std::string dump;
};

struct Config {
  const char* name;
  std::string synchronous;
  int wal_autocheckpoint_pages;
};

class SqliteFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/sqlite_fault_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    baseline_ = dir_ + "/baseline.db";
    work_ = dir_ + "/work.db";
    injected_at_start_ = FaultVfs::Get().injected();  // registers the VFS
    BuildBaseline();
    before_ = testing_faults::DumpDatabase(baseline_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Desk> OpenDesk(Store& store) {
    auto desk = Desk::Open({.store = &store, .clock = &clock_});
    EXPECT_OK(desk.status());
    return desk.ok() ? *std::move(desk) : nullptr;
  }

  // Two tickets (one from mail) to merge, a contact, a thread key: a small
  // desk that every run starts from, checkpointed into one file.
  void BuildBaseline() {
    auto store = OpenSqliteStore(baseline_);
    ASSERT_OK(store.status());
    std::unique_ptr<Desk> desk = OpenDesk(**store);
    ASSERT_NE(desk, nullptr);
    ASSERT_OK(testing_faults::CreateRequest(*desk, "ada@customer.example",
                                            "VPN drops every hour")
                  .status());
    auto mail = NewEmailInbound()->Parse(testing_faults::RealMail(1), kNow);
    ASSERT_OK(mail.status());
    ASSERT_OK(testing_faults::IngestMessage(*desk, *mail).status());
    // Closing the last connection checkpoints and removes the WAL.
  }

  SqliteStoreOptions StoreOptions(const Config& config) const {
    SqliteStoreOptions options;
    options.vfs = FaultVfs::kName;
    options.synchronous = config.synchronous;
    options.wal_autocheckpoint_pages = config.wal_autocheckpoint_pages;
    return options;
  }

  // Runs `command` on a fresh copy of the baseline, with `fault` armed for
  // the command only; then checks that the same store takes a following
  // command, that the file is sound and that it reopens.
  Outcome Run(const Config& config, const Command& command,
              std::optional<Fault> fault, const std::string& label) {
    Outcome out;
    std::filesystem::remove(work_ + "-wal");
    std::filesystem::remove(work_ + "-shm");
    std::filesystem::copy_file(baseline_, work_,
                               std::filesystem::copy_options::overwrite_existing);
    FaultVfs& vfs = FaultVfs::Get();
    {
      auto store = OpenSqliteStore(work_, StoreOptions(config));
      EXPECT_OK(store.status()) << label;
      if (!store.ok()) return out;
      std::unique_ptr<Desk> desk = OpenDesk(**store);
      if (desk == nullptr) return out;
      if (fault.has_value()) {
        vfs.Arm(fault->op, fault->nth, fault->code, fault->persistent);
      } else {
        vfs.ResetCounts();
      }
      out.status = command(*desk);
      vfs.Disarm();
      out.fired = vfs.fired();
      for (int op = 0; op < 3; ++op) {
        out.counts[op] = vfs.count(static_cast<FaultVfs::Op>(op));
      }
      out.dump = testing_faults::DumpDatabase(work_);
      // The store is still usable: the same desk takes another command.
      EXPECT_OK(testing_faults::CreateRequest(*desk, "next@customer.example",
                                              "After the fault")
                    .status())
          << label << " (the command returned " << out.status << ")";
    }
    EXPECT_EQ(testing_faults::IntegrityCheck(work_), "ok") << label;
    auto reopened = OpenSqliteStore(work_);
    EXPECT_OK(reopened.status()) << label;
    if (reopened.ok()) {
      std::unique_ptr<Desk> desk = OpenDesk(**reopened);
      if (desk != nullptr) {
        EXPECT_OK(testing_faults::AllTickets(*desk).status()) << label;
      }
    }
    return out;
  }

  // Sweeps a one-shot fault over every read, write and sync of `command` in
  // each configuration.
  void Sweep(const char* what, const Command& command) {
    const Config configs[] = {{"NORMAL", "NORMAL", 8000},
                              {"FULL+checkpoint", "FULL", 1}};
    for (const Config& config : configs) {
      Outcome clean = Run(config, command, std::nullopt,
                          absl::StrCat(what, " ", config.name, " fault-free"));
      ASSERT_OK(clean.status) << what;
      ASSERT_NE(clean.dump, before_) << what << " changed nothing";
      struct Kind {
        FaultVfs::Op op;
        int code;
        const char* name;
      };
      const Kind kinds[] = {{FaultVfs::Op::kRead, SQLITE_IOERR_READ, "read"},
                            {FaultVfs::Op::kWrite, SQLITE_IOERR_WRITE, "write"},
                            {FaultVfs::Op::kSync, SQLITE_IOERR_FSYNC, "sync"}};
      for (const Kind& kind : kinds) {
        const int64_t calls = clean.counts[static_cast<int>(kind.op)];
        int64_t failed = 0;
        for (int64_t n = 1; n <= calls; ++n) {
          const std::string label = absl::StrCat(what, " ", config.name, ": ",
                                                 kind.name, " ", n, " of ", calls);
          Outcome faulted = Run(config, command, Fault{kind.op, n, kind.code},
                                label);
          ++runs_;
          EXPECT_TRUE(faulted.fired) << label;
          if (faulted.status.ok()) {
            EXPECT_EQ(faulted.dump, clean.dump)
                << label << ": OK but the state is not the fault-free one";
          } else {
            ++failed;
            EXPECT_EQ(faulted.dump, before_)
                << label << ": failed (" << faulted.status
                << ") but the state changed";
          }
          if (HasFailure()) return;  // one clear failure, not hundreds
        }
        std::cout << what << " (" << config.name << "): " << calls << " "
                  << kind.name << "s, each failed once: " << failed
                  << " refused with nothing stored, " << calls - failed
                  << " stored fully\n";
      }
    }
  }

  absl::StatusOr<v1::InboundMessage> Mail(int i, int reply_to = -1) {
    return NewEmailInbound()->Parse(testing_faults::RealMail(i, reply_to), kNow);
  }

  ManualClock clock_{kNow};
  std::string dir_;
  std::string baseline_;
  std::string work_;
  std::string before_;
  int64_t runs_ = 0;
  int64_t injected_at_start_ = 0;
};

TEST_F(SqliteFaultTest, CreateTicketHappensFullyOrNotAtAll) {
  Sweep("CreateTicket", [](Desk& desk) {
    return testing_faults::CreateRequest(desk, "grace@customer.example",
                                         "Laptop will not boot")
        .status();
  });
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ << " in "
            << runs_ << " runs\n";
}

TEST_F(SqliteFaultTest, IngestHappensFullyOrNotAtAll) {
  auto mail = Mail(2);
  ASSERT_OK(mail.status());
  auto reply = Mail(3, /*reply_to=*/1);
  ASSERT_OK(reply.status());
  Sweep("Ingest new", [&](Desk& desk) {
    return testing_faults::IngestMessage(desk, *mail).status();
  });
  Sweep("Ingest reply", [&](Desk& desk) {
    return testing_faults::IngestMessage(desk, *reply).status();
  });
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ << " in "
            << runs_ << " runs\n";
}

TEST_F(SqliteFaultTest, MergeTicketsHappensFullyOrNotAtAll) {
  Sweep("MergeTickets", [](Desk& desk) {
    return testing_faults::Merge(desk, /*source_id=*/2, /*target_id=*/1);
  });
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ << " in "
            << runs_ << " runs\n";
}

// A full disk: every write from the Nth on fails with SQLITE_FULL.
TEST_F(SqliteFaultTest, DiskFullIsResourceExhaustedAndChangesNothing) {
  auto mail = Mail(2);
  ASSERT_OK(mail.status());
  const Command ingest = [&](Desk& desk) {
    return testing_faults::IngestMessage(desk, *mail).status();
  };
  const Config config{"NORMAL", "NORMAL", 8000};
  Outcome clean = Run(config, ingest, std::nullopt, "disk full: fault-free");
  ASSERT_OK(clean.status);
  const int64_t writes = clean.counts[static_cast<int>(FaultVfs::Op::kWrite)];
  ASSERT_GT(writes, 0);
  for (int64_t n = 1; n <= writes; ++n) {
    const std::string label = absl::StrCat("disk full from write ", n);
    Outcome full = Run(config, ingest,
                       Fault{FaultVfs::Op::kWrite, n, SQLITE_FULL,
                             /*persistent=*/true},
                       label);
    EXPECT_TRUE(full.fired) << label;
    EXPECT_THAT(full.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                      HasSubstr("database or disk is full")))
        << label;
    EXPECT_EQ(full.dump, before_) << label;
    if (HasFailure()) return;
  }
  // CreateTicket and MergeTickets say the same.
  Outcome create = Run(
      config,
      [](Desk& desk) {
        return testing_faults::CreateRequest(desk, "grace@customer.example",
                                             "Laptop will not boot")
            .status();
      },
      Fault{FaultVfs::Op::kWrite, 1, SQLITE_FULL, true}, "disk full: create");
  EXPECT_THAT(create.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                      HasSubstr("database or disk is full")));
  EXPECT_EQ(create.dump, before_);
  Outcome merge = Run(
      config, [](Desk& desk) { return testing_faults::Merge(desk, 2, 1); },
      Fault{FaultVfs::Op::kWrite, 1, SQLITE_FULL, true}, "disk full: merge");
  EXPECT_THAT(merge.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                     HasSubstr("database or disk is full")));
  EXPECT_EQ(merge.dump, before_);
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ << "\n";
}

}  // namespace
}  // namespace helpdesk
