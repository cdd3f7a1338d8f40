// I/O faults below SQLite: the store opened on a VFS (tests/fault_vfs.h) that
// makes the Nth read, write or sync fail. For a Desk CreateTicket, an Ingest
// of a real-looking e-mail (new and reply) and a MergeTickets, every N over
// the command's reads, writes and syncs is tried, in two configurations
// (synchronous=NORMAL with the default checkpointing; synchronous=FULL
// checkpointing after every commit, so commits and checkpoints sync). The
// command must have fully happened (the state equals that of a fault-free
// run) or not at all (the state equals the one before), and the store must
// stay usable: the same store takes a following command and a query, PRAGMA
// integrity_check says ok and the file reopens. Each write/sync fault is also
// run in a child process that dies right after the command (under a
// sanitizer every fourth write fault only): an answered command survives the
// crash, a failed one is whole or absent.
//
// Also swept: queries (on the pooled read-only connections), IngestBatch
// (each message's answer is the truth about it), opening a file a crashed
// process left (WAL recovery) and creating a new store. A full disk
// (SQLITE_FULL from every write from the Nth on) must be refused with
// ResourceExhausted ("database or disk is full") and change nothing.
//
// Each test prints how many faults it injected.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fault_test_support.h"
#include "fault_vfs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"
#include "helpdesk/store_wrapper.h"
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
    dir_ = testing_faults::ScratchDir("sqlite_fault_test");
    ASSERT_FALSE(dir_.empty());
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
  // `inspect`, when given, looks at the reopened desk at the end.
  Outcome Run(const Config& config, const Command& command,
              std::optional<Fault> fault, const std::string& label,
              const std::function<void(Desk&)>& inspect = nullptr) {
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
      // And a query, on a pooled read-only connection (maybe the faulted one).
      EXPECT_OK(testing_faults::AllTickets(*desk).status()) << label;
    }
    EXPECT_EQ(testing_faults::IntegrityCheck(work_), "ok") << label;
    auto reopened = OpenSqliteStore(work_);
    EXPECT_OK(reopened.status()) << label;
    if (reopened.ok()) {
      std::unique_ptr<Desk> desk = OpenDesk(**reopened);
      if (desk != nullptr) {
        EXPECT_OK(testing_faults::AllTickets(*desk).status()) << label;
        if (inspect) inspect(*desk);
      }
    }
    return out;
  }

  // Like Run, but the command runs in a child process that dies (_exit, no
  // close) right after it returned, as if the host crashed then: the next
  // open recovers the WAL the child left. Returns the state after recovery,
  // and whether the command returned OK.
  struct CrashOutcome {
    bool ok = false;
    std::string dump;
  };
  CrashOutcome RunAndCrash(const Config& config, const Command& command,
                           const Fault& fault, const std::string& label) {
    CrashOutcome out;
    for (const char* suffix : {"-wal", "-shm"}) {
      std::filesystem::remove(work_ + suffix);
    }
    std::filesystem::copy_file(baseline_, work_,
                               std::filesystem::copy_options::overwrite_existing);
    pid_t pid = ::fork();
    EXPECT_GE(pid, 0) << label;
    if (pid == 0) {
      auto store = OpenSqliteStore(work_, StoreOptions(config));
      if (!store.ok()) ::_exit(10);
      auto desk = Desk::Open({.store = store->get(), .clock = &clock_});
      if (!desk.ok()) ::_exit(10);
      FaultVfs& vfs = FaultVfs::Get();
      vfs.Arm(fault.op, fault.nth, fault.code, fault.persistent);
      absl::Status status = command(**desk);
      vfs.Disarm();
      if (!vfs.fired()) ::_exit(11);
      ::_exit(status.ok() ? 0 : 1);
    }
    int wait_status = 0;
    EXPECT_EQ(::waitpid(pid, &wait_status, 0), pid) << label;
    EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) <= 1)
        << label << ": the child ended with status " << wait_status;
    ++crash_injected_;
    out.ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
    out.dump = testing_faults::DumpDatabase(work_);
    EXPECT_EQ(testing_faults::IntegrityCheck(work_), "ok") << label;
    auto store = OpenSqliteStore(work_);
    EXPECT_OK(store.status()) << label;
    if (store.ok()) {
      std::unique_ptr<Desk> desk = OpenDesk(**store);
      if (desk != nullptr) {
        EXPECT_OK(testing_faults::CreateRequest(*desk, "next@customer.example",
                                                "After the crash")
                      .status())
            << label;
      }
    }
    return out;
  }

  // Sweeps a one-shot fault over every read, write and sync of `command` in
  // each configuration. A `read_only` command must change nothing, fault or
  // not.
  void Sweep(const char* what, const Command& command, bool read_only = false) {
    const Config configs[] = {{"NORMAL", "NORMAL", 8000},
                              {"FULL+checkpoint", "FULL", 1}};
    for (const Config& config : configs) {
      Outcome clean = Run(config, command, std::nullopt,
                          absl::StrCat(what, " ", config.name, " fault-free"));
      ASSERT_OK(clean.status) << what;
      if (read_only) {
        ASSERT_EQ(clean.dump, before_) << what << " changed the state";
      } else {
        ASSERT_NE(clean.dump, before_) << what << " changed nothing";
      }
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
        int64_t failed_but_recovered = 0;
        for (int64_t n = 1; n <= calls; ++n) {
          std::string label = absl::StrCat(what, " ", config.name, ": ",
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
          if (read_only || kind.op == FaultVfs::Op::kRead) continue;
          // Under a sanitizer, where fork() is slow, every fourth write.
          if (testing_faults::kSanitized && kind.op == FaultVfs::Op::kWrite &&
              n % 4 != 0) {
            continue;
          }
          // The same fault, then a crash before anything else runs. A command
          // answered OK must survive it. One that failed may still be there:
          // a failed fsync of the WAL leaves frames that recovery may find
          // whole (SQLite cannot know whether they reached the disk): then
          // all of it is there, never a part.
          label = absl::StrCat(label, ", then a crash");
          CrashOutcome crashed = RunAndCrash(
              config, command, Fault{kind.op, n, kind.code}, label);
          if (crashed.ok) {
            EXPECT_EQ(crashed.dump, clean.dump)
                << label << ": OK but lost in the crash";
          } else if (crashed.dump == clean.dump) {
            ++failed_but_recovered;
          } else {
            EXPECT_EQ(crashed.dump, before_)
                << label << ": failed, and half of it is there after the crash";
          }
          if (HasFailure()) return;
        }
        std::cout << what << " (" << config.name << "): " << calls << " "
                  << kind.name << "s, each failed once: " << failed
                  << " times an error and no change, " << calls - failed
                  << " times OK and the fault-free state";
        if (failed_but_recovered > 0) {
          std::cout << "; with a crash after it, " << failed_but_recovered
                    << " failed commits were found whole by the recovery";
        }
        std::cout << "\n";
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
  // Faults injected in child processes (RunAndCrash).
  int64_t crash_injected_ = 0;
};

TEST_F(SqliteFaultTest, CreateTicketHappensFullyOrNotAtAll) {
  Sweep("CreateTicket", [](Desk& desk) {
    return testing_faults::CreateRequest(desk, "grace@customer.example",
                                         "Laptop will not boot")
        .status();
  });
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ +
                   crash_injected_
            << " in " << runs_ << " runs (" << crash_injected_
            << " of them followed by a crash)\n";
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
            << FaultVfs::Get().injected() - injected_at_start_ +
                   crash_injected_
            << " in " << runs_ << " runs (" << crash_injected_
            << " of them followed by a crash)\n";
}

TEST_F(SqliteFaultTest, MergeTicketsHappensFullyOrNotAtAll) {
  Sweep("MergeTickets", [](Desk& desk) {
    return testing_faults::Merge(desk, /*source_id=*/2, /*target_id=*/1);
  });
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ +
                   crash_injected_
            << " in " << runs_ << " runs (" << crash_injected_
            << " of them followed by a crash)\n";
}

// Queries run on the store's pool of read-only connections: a failed read
// must not leave a pooled connection unusable.
TEST_F(SqliteFaultTest, QueriesFailCleanlyAndTheStoreStaysUsable) {
  Sweep(
      "Queries",
      [](Desk& desk) -> absl::Status {
        absl::StatusOr<std::vector<v1::Ticket>> tickets =
            testing_faults::AllTickets(desk);
        if (!tickets.ok()) return tickets.status();
        for (const v1::Ticket& ticket : *tickets) {
          absl::Status thread =
              testing_faults::Thread(desk, ticket.id()).status();
          if (!thread.ok()) return thread;
        }
        return absl::OkStatus();
      },
      /*read_only=*/true);
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ +
                   crash_injected_
            << " in " << runs_ << " runs (" << crash_injected_
            << " of them followed by a crash)\n";
}

// IngestBatch answers per message: a message answered OK is stored exactly
// once, one answered with an error is not stored at all (and not quarantined:
// the failure was the store's).
TEST_F(SqliteFaultTest, IngestBatchAnswersEachMessageTruthfully) {
  std::vector<v1::InboundMessage> batch;
  for (auto [i, reply_to] : {std::pair{2, -1}, {3, 2}, {4, 1}, {5, -1}}) {
    auto mail = Mail(i, reply_to);
    ASSERT_OK(mail.status());
    batch.push_back(*mail);
  }
  std::vector<absl::StatusOr<IngestResult>> results;
  const Command ingest_batch = [&](Desk& desk) -> absl::Status {
    results.clear();
    auto answered = testing_faults::IngestMessages(desk, batch);
    if (!answered.ok()) return answered.status();
    results = *answered;
    for (const auto& r : results) {
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  };
  // Each answered message is in the store once, on the answered ticket; each
  // refused one is nowhere.
  std::string label;
  const auto check = [&](Desk& desk) {
    auto tickets = testing_faults::AllTickets(desk);
    ASSERT_OK(tickets.status());
    std::map<std::string, std::vector<v1::Message>> stored;
    for (const v1::Ticket& ticket : *tickets) {
      auto thread = testing_faults::Thread(desk, ticket.id());
      ASSERT_OK(thread.status());
      for (const v1::Message& m : *thread) stored[m.external_id()].push_back(m);
    }
    for (size_t i = 0; i < results.size(); ++i) {
      const std::vector<v1::Message>& copies = stored[batch[i].external_id()];
      if (results[i].ok()) {
        ASSERT_EQ(copies.size(), 1u) << label << ": message " << i;
        EXPECT_EQ(copies[0].id(), results[i]->message_id) << label;
        EXPECT_EQ(copies[0].ticket_id(), results[i]->ticket_id) << label;
        EXPECT_NE(results[i]->outcome, IngestResult::Outcome::kQuarantined)
            << label << ": message " << i;
      } else {
        EXPECT_EQ(copies.size(), 0u)
            << label << ": message " << i << " refused (" << results[i].status()
            << ") but stored";
        EXPECT_THAT(results[i].status().code(),
                    ::testing::AnyOf(absl::StatusCode::kUnavailable,
                                     absl::StatusCode::kResourceExhausted))
            << label << ": message " << i << ": " << results[i].status();
      }
    }
  };
  const Config configs[] = {{"NORMAL", "NORMAL", 8000},
                            {"FULL+checkpoint", "FULL", 1}};
  for (const Config& config : configs) {
    label = absl::StrCat("IngestBatch ", config.name, " fault-free");
    Outcome clean = Run(config, ingest_batch, std::nullopt, label, check);
    ASSERT_OK(clean.status);
    ASSERT_EQ(results.size(), batch.size());
    for (auto [op, code, name] :
         {std::tuple{FaultVfs::Op::kRead, SQLITE_IOERR_READ, "read"},
          {FaultVfs::Op::kWrite, SQLITE_IOERR_WRITE, "write"},
          {FaultVfs::Op::kSync, SQLITE_IOERR_FSYNC, "sync"}}) {
      const int64_t calls = clean.counts[static_cast<int>(op)];
      for (int64_t n = 1; n <= calls; ++n) {
        label = absl::StrCat("IngestBatch ", config.name, ": ", name, " ", n,
                             " of ", calls);
        Outcome faulted = Run(config, ingest_batch, Fault{op, n, code}, label,
                              check);
        ++runs_;
        EXPECT_TRUE(faulted.fired) << label;
        EXPECT_THAT(faulted.dump, HasSubstr("== quarantine (0 rows)")) << label;
        if (faulted.status.ok()) {
          EXPECT_EQ(faulted.dump, clean.dump) << label;
        }
        if (HasFailure()) return;
      }
    }
  }
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ +
                   crash_injected_
            << " in " << runs_ << " runs (" << crash_injected_
            << " of them followed by a crash)\n";
}

// A file a crashed process left: its last commits only in the WAL (and a
// stale -shm). A fault while the store opens it (WAL recovery, the schema
// check), runs a query and closes (the checkpoint) must make that fail
// cleanly or not at all; the next open sees every commit.
TEST_F(SqliteFaultTest, RecoveryAfterACrashSurvivesFaults) {
  const std::string crashed = dir_ + "/crashed.db";
  std::filesystem::copy_file(baseline_, crashed);
  auto mail = Mail(2);
  ASSERT_OK(mail.status());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = OpenSqliteStore(crashed);
    if (!store.ok()) ::_exit(2);
    auto desk = Desk::Open({.store = store->get(), .clock = &clock_});
    if (!desk.ok()) ::_exit(2);
    if (!testing_faults::CreateRequest(**desk, "grace@customer.example",
                                       "Laptop will not boot")
             .ok() ||
        !testing_faults::IngestMessage(**desk, *mail).ok() ||
        !testing_faults::Merge(**desk, 2, 1).ok()) {
      ::_exit(3);
    }
    ::_exit(0);  // no close: the WAL keeps the commits, as after a crash
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(pid, &wait_status, 0), pid);
  ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
      << wait_status;
  ASSERT_TRUE(std::filesystem::exists(crashed + "-wal"));

  const auto restore = [&] {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(work_ + suffix);
      if (std::filesystem::exists(crashed + suffix)) {
        std::filesystem::copy_file(crashed + suffix, work_ + suffix);
      }
    }
  };
  const Config config{"NORMAL", "NORMAL", 8000};
  FaultVfs& vfs = FaultVfs::Get();
  // Opens, queries, closes; with `fault` armed throughout.
  const auto open_query_close = [&](std::optional<Fault> fault) {
    if (fault.has_value()) {
      vfs.Arm(fault->op, fault->nth, fault->code, fault->persistent);
    } else {
      vfs.ResetCounts();
    }
    absl::Status status;
    {
      auto store = OpenSqliteStore(work_, StoreOptions(config));
      status = store.status();
      if (store.ok()) {
        std::unique_ptr<Desk> desk = OpenDesk(**store);
        if (desk != nullptr) {
          status = testing_faults::AllTickets(*desk).status();
        }
      }
    }
    vfs.Disarm();
    return status;
  };

  restore();
  ASSERT_OK(open_query_close(std::nullopt));
  const std::array<int64_t, 3> counts = {vfs.count(FaultVfs::Op::kRead),
                                         vfs.count(FaultVfs::Op::kWrite),
                                         vfs.count(FaultVfs::Op::kSync)};
  const std::string expected = testing_faults::DumpDatabase(work_);
  ASSERT_THAT(expected, HasSubstr("Laptop will not boot"));
  int64_t failed = 0;
  for (auto [op, code, name] :
       {std::tuple{FaultVfs::Op::kRead, SQLITE_IOERR_READ, "read"},
        {FaultVfs::Op::kWrite, SQLITE_IOERR_WRITE, "write"},
        {FaultVfs::Op::kSync, SQLITE_IOERR_FSYNC, "sync"}}) {
    const int64_t calls = counts[static_cast<int>(op)];
    for (int64_t n = 1; n <= calls; ++n) {
      const std::string label =
          absl::StrCat("recovery: ", name, " ", n, " of ", calls);
      restore();
      absl::Status faulted = open_query_close(Fault{op, n, code});
      ++runs_;
      EXPECT_TRUE(vfs.fired()) << label;
      if (!faulted.ok()) ++failed;
      // Whatever the fault did, the next open recovers every commit.
      EXPECT_OK(open_query_close(std::nullopt)) << label << " (after "
                                                << faulted << ")";
      EXPECT_EQ(testing_faults::DumpDatabase(work_), expected) << label;
      EXPECT_EQ(testing_faults::IntegrityCheck(work_), "ok") << label;
      if (HasFailure()) return;
    }
  }
  std::cout << "recovery: " << counts[0] << " reads, " << counts[1]
            << " writes, " << counts[2] << " syncs; " << failed
            << " faults made the open or the query fail\n";
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ +
                   crash_injected_
            << " in " << runs_ << " runs (" << crash_injected_
            << " of them followed by a crash)\n";
}

// Creating a store (the WAL switch, the schema and its migrations) under a
// fault: the open fails cleanly or succeeds, and the next open of the same
// path makes a working store, never a half-made file it then refuses.
TEST_F(SqliteFaultTest, CreatingAStoreSurvivesFaults) {
  const std::string path = dir_ + "/new.db";
  const Config config{"NORMAL", "NORMAL", 8000};
  FaultVfs& vfs = FaultVfs::Get();
  const auto create = [&](std::optional<Fault> fault) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path + suffix);
    }
    if (fault.has_value()) {
      vfs.Arm(fault->op, fault->nth, fault->code, fault->persistent);
    } else {
      vfs.ResetCounts();
    }
    absl::Status status = OpenSqliteStore(path, StoreOptions(config)).status();
    vfs.Disarm();
    return status;
  };
  ASSERT_OK(create(std::nullopt));
  const std::array<int64_t, 3> counts = {vfs.count(FaultVfs::Op::kRead),
                                         vfs.count(FaultVfs::Op::kWrite),
                                         vfs.count(FaultVfs::Op::kSync)};
  int64_t failed = 0;
  for (auto [op, code, name] :
       {std::tuple{FaultVfs::Op::kRead, SQLITE_IOERR_READ, "read"},
        {FaultVfs::Op::kWrite, SQLITE_IOERR_WRITE, "write"},
        {FaultVfs::Op::kSync, SQLITE_IOERR_FSYNC, "sync"},
        {FaultVfs::Op::kWrite, SQLITE_FULL, "write (disk full)"}}) {
    const int64_t calls = counts[static_cast<int>(op)];
    for (int64_t n = 1; n <= calls; ++n) {
      const std::string label =
          absl::StrCat("creating: ", name, " ", n, " of ", calls);
      absl::Status faulted = create(Fault{op, n, code});
      ++runs_;
      EXPECT_TRUE(vfs.fired()) << label;
      if (!faulted.ok()) ++failed;
      if (code == SQLITE_FULL && !faulted.ok()) {
        EXPECT_THAT(faulted, StatusIs(absl::StatusCode::kResourceExhausted))
            << label;
      }
      auto store = OpenSqliteStore(path);
      EXPECT_OK(store.status()) << label << " (after " << faulted << ")";
      if (store.ok()) {
        std::unique_ptr<Desk> desk = OpenDesk(**store);
        if (desk != nullptr) {
          EXPECT_OK(testing_faults::CreateRequest(*desk, "ada@customer.example",
                                                  "First ticket")
                        .status())
              << label;
        }
      }
      store = absl::StatusOr<std::unique_ptr<Store>>(nullptr);
      EXPECT_EQ(testing_faults::IntegrityCheck(path), "ok") << label;
      if (HasFailure()) return;
    }
  }
  std::cout << "creating: " << counts[0] << " reads, " << counts[1]
            << " writes, " << counts[2] << " syncs; " << failed
            << " faults made the open fail\n";
  std::cout << "faults injected: "
            << FaultVfs::Get().injected() - injected_at_start_ << " in "
            << runs_ << " runs\n";
}

// Fails every lookup of one contact identity with Unavailable while armed: a
// store failure in the middle of an Ingest, above the VFS.
class FailingLookupStore final : public StoreWrapper {
 public:
  FailingLookupStore(Store* base, std::string identity)
      : StoreWrapper(base), identity_(std::move(identity)) {}
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = base()->Begin(options);
    if (!tx.ok()) return tx;
    return std::unique_ptr<Transaction>(new Tx(*std::move(tx), this));
  }
  bool armed = true;
  int failed = 0;

 private:
  class Tx final : public TransactionWrapper {
   public:
    Tx(std::unique_ptr<Transaction> base, FailingLookupStore* store)
        : TransactionWrapper(std::move(base)), store_(store) {}
    absl::StatusOr<v1::Contact> FindContactByIdentity(
        v1::ContactIdentity::Kind kind, absl::string_view value) override {
      if (store_->armed && value == store_->identity_) {
        ++store_->failed;
        return absl::UnavailableError("injected: the store is unavailable");
      }
      return TransactionWrapper::FindContactByIdentity(kind, value);
    }

   private:
    FailingLookupStore* store_;
  };
  std::string identity_;
};

// Ingest dropped a CC when the store failed while finding or creating the
// CC's contact (the error was taken for a malformed address and skipped), and
// answered OK for a ticket without that CC: half the command.
TEST_F(SqliteFaultTest, IngestReturnsAStoreFailureOnACcInsteadOfDroppingTheCc) {
  auto mail = Mail(2);  // Cc: colleague2@customer2.example
  ASSERT_OK(mail.status());
  std::filesystem::copy_file(baseline_, work_,
                             std::filesystem::copy_options::overwrite_existing);
  auto sqlite = OpenSqliteStore(work_);
  ASSERT_OK(sqlite.status());
  FailingLookupStore store(sqlite->get(), "colleague2@customer2.example");
  std::unique_ptr<Desk> desk = OpenDesk(store);
  ASSERT_NE(desk, nullptr);
  EXPECT_THAT(testing_faults::IngestMessage(*desk, *mail),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GT(store.failed, 0);
  EXPECT_EQ(testing_faults::DumpDatabase(work_), before_);
  store.armed = false;
  auto again = testing_faults::IngestMessage(*desk, *mail);
  ASSERT_OK(again.status());
  EXPECT_FALSE(again->duplicate);
}

TEST_F(SqliteFaultTest, AnUnknownVfsIsInvalidArgument) {
  SqliteStoreOptions options;
  options.vfs = "no-such-vfs";
  EXPECT_THAT(OpenSqliteStore(dir_ + "/other.db", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SqliteStoreOptions.vfs 'no-such-vfs'")));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/other.db"));
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
