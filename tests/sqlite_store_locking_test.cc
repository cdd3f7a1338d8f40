// SqliteStore: transactions and locking between threads, stores and
// processes, and which commits sync the WAL.
#include "helpdesk/storage/sqlite_store.h"

#include "sqlite_store_test_support.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// --- Transactions and locking ------------------------------------------------

TEST(SqliteStoreTest, SecondWriterFromAnotherThreadWaitsThenSucceeds) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto first, store->Begin(TransactionMode::kReadWrite));
  v1::Ticket a = MakeTicket("first", "open", v1::PRIORITY_LOW, 0, 1);
  ASSERT_OK(first->InsertTicket(&a));

  std::atomic<bool> second_began{false};
  absl::Status second_status;
  int64_t second_id = 0;
  std::thread other([&] {
    absl::StatusOr<std::unique_ptr<Transaction>> second =
        store->Begin(TransactionMode::kReadWrite);
    second_began = true;
    if (!second.ok()) {
      second_status = second.status();
      return;
    }
    v1::Ticket b = MakeTicket("second", "open", v1::PRIORITY_LOW, 0, 2);
    second_status = (*second)->InsertTicket(&b);
    second_id = b.id();
    if (second_status.ok()) second_status = (*second)->Commit();
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(second_began);  // waiting for the first
  ASSERT_OK(first->Commit());
  other.join();
  EXPECT_OK(second_status);
  EXPECT_EQ(second_id, a.id() + 1);
}

TEST(SqliteStoreTest, WriterOfThisStoreBusyBeyondTimeoutIsUnavailable) {
  SqliteStoreOptions options;
  options.busy_timeout = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(TempPath("db"), options));
  ASSERT_OK_AND_ASSIGN(auto first, store->Begin(TransactionMode::kReadWrite));
  absl::StatusOr<std::unique_ptr<Transaction>> second;
  std::thread other([&] { second = store->Begin(TransactionMode::kReadWrite); });
  other.join();
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("busy_timeout")));
}

TEST(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersCommits) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> one, Open(path));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> two, Open(path));
  v1::Ticket t = MakeTicket("shared", "open", v1::PRIORITY_LOW, 0, 1);
  {
    ASSERT_OK_AND_ASSIGN(auto tx, one->Begin(TransactionMode::kReadWrite));
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, two->Begin(TransactionMode::kReadWrite));
    ASSERT_OK_AND_ASSIGN(v1::Ticket got, tx->GetTicket(t.id()));
    EXPECT_EQ(got.subject(), "shared");
    got.set_subject("changed by two");
    ASSERT_OK(tx->UpdateTicket(&got, 1));
    v1::Ticket u = MakeTicket("second", "open", v1::PRIORITY_LOW, 0, 2);
    ASSERT_OK(tx->InsertTicket(&u));
    EXPECT_EQ(u.id(), t.id() + 1);
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto tx, one->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(v1::Ticket got, tx->GetTicket(t.id()));
  EXPECT_EQ(got.subject(), "changed by two");
  EXPECT_EQ(got.version(), 2);
  // A stale write from the first store is refused, naming both versions.
  ASSERT_OK_AND_ASSIGN(auto w, one->Begin(TransactionMode::kReadWrite));
  EXPECT_THAT(w->UpdateTicket(&t, 1),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("ticket 1: expected version 1, stored "
                                 "version 2")));
}

TEST(SqliteStoreTest, OtherProcessHoldingTheLockBeyondTimeoutIsUnavailable) {
  const std::string path = TempPath("db");
  SqliteStoreOptions options;
  options.busy_timeout = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(path, options));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("before", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  RawDb other(path);
  sqlite3_busy_timeout(other.get(), 1);
  other.Exec("BEGIN EXCLUSIVE");
  absl::Time start = absl::Now();
  EXPECT_THAT(store->Begin(TransactionMode::kReadWrite),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(path)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // Readers are not blocked by a writer under WAL.
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
    EXPECT_OK(tx->GetTicket(1).status());
  }
  other.Exec("COMMIT");
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  EXPECT_OK(tx->Commit());
}

TEST(SqliteStoreTest, ReadOnlyTransactionSeesTheDatabaseAsOfBegin) {
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(path));
  ASSERT_OK_AND_ASSIGN(auto reader, store->Begin(TransactionMode::kReadOnly));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("later", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
    ASSERT_OK(tx->Commit());
  }
  EXPECT_THAT(reader->GetTicket(1), StatusIs(absl::StatusCode::kNotFound));
  v1::Ticket t = MakeTicket("nope", "open", v1::PRIORITY_LOW, 0, 1);
  EXPECT_THAT(reader->InsertTicket(&t),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(reader->Commit());
  ASSERT_OK_AND_ASSIGN(auto fresh, store->Begin(TransactionMode::kReadOnly));
  EXPECT_OK(fresh->GetTicket(1).status());
}

TEST(SqliteStoreTest, CallsAfterCommitAreFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  ASSERT_OK(tx->Commit());
  EXPECT_THAT(tx->GetTicket(1), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The writer was released by Commit, not by destruction.
  ASSERT_OK_AND_ASSIGN(auto next, store->Begin(TransactionMode::kReadWrite));
  EXPECT_OK(next->Commit());
}

TEST(SqliteStoreTest, DestroyingUncommittedTransactionRollsBack) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(TempPath("db")));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
    v1::Ticket t = MakeTicket("gone", "open", v1::PRIORITY_LOW, 0, 1);
    ASSERT_OK(tx->InsertTicket(&t));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadOnly));
  EXPECT_THAT(tx->GetTicket(1), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SqliteStoreTest, FailedCallChangesNothingAndTransactionGoesOn) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  v1::Contact ana;
  auto* e1 = ana.add_identities();
  e1->set_kind(v1::ContactIdentity::EMAIL);
  e1->set_value("ana@example.com");
  ASSERT_OK(tx->InsertContact(&ana));
  v1::Contact bo;
  auto* e2 = bo.add_identities();
  e2->set_kind(v1::ContactIdentity::EMAIL);
  e2->set_value("bo@example.com");
  *bo.add_identities() = *e1;  // taken by ana
  EXPECT_THAT(tx->InsertContact(&bo),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("'ana@example.com'"),
                             HasSubstr(absl::StrCat("contact ", ana.id())))));
  EXPECT_EQ(bo.id(), 0);
  // bo's first identity was rolled back with the rest of the call.
  EXPECT_THAT(tx->FindContactByIdentity(v1::ContactIdentity::EMAIL,
                                        "bo@example.com"),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Contact cy;
  ASSERT_OK(tx->InsertContact(&cy));
  EXPECT_EQ(cy.id(), ana.id() + 1);
  EXPECT_OK(tx->Commit());
}

TEST(SqliteStoreTest, TicketIdsAreAboveEveryIdGiven) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(":memory:"));
  ASSERT_OK_AND_ASSIGN(auto tx, store->Begin(TransactionMode::kReadWrite));
  v1::Ticket given = MakeTicket("given", "open", v1::PRIORITY_LOW, 0, 1);
  given.set_id(100);
  ASSERT_OK(tx->InsertTicket(&given));
  v1::Ticket low = MakeTicket("low", "open", v1::PRIORITY_LOW, 0, 1);
  low.set_id(7);
  ASSERT_OK(tx->InsertTicket(&low));
  v1::Ticket next = MakeTicket("next", "open", v1::PRIORITY_LOW, 0, 1);
  ASSERT_OK(tx->InsertTicket(&next));
  EXPECT_EQ(next.id(), 101);
  v1::Ticket dup = MakeTicket("dup", "open", v1::PRIORITY_LOW, 0, 1);
  dup.set_id(7);
  EXPECT_THAT(tx->InsertTicket(&dup),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("7")));
}

TEST(SqliteStoreTest, TwoStoresCreatingOneFileAtOnceBothSucceed) {
  const std::string path = TempPath("db");
  absl::Status a, b;
  std::thread t1([&] { a = OpenSqliteStore(path).status(); });
  std::thread t2([&] { b = OpenSqliteStore(path).status(); });
  t1.join();
  t2.join();
  EXPECT_OK(a);
  EXPECT_OK(b);
  RawDb raw(path);
  EXPECT_EQ(raw.One("PRAGMA user_version"), absl::StrCat(kSqliteSchemaVersion));
}

// Regression: PRAGMA journal_mode=WAL does not call the busy handler, so a
// store that switched the new file while another was still creating it failed
// with "database is locked" (Unavailable) instead of waiting.
TEST(SqliteStoreTest, EightStoresCreatingOneFileAtOnceAllSucceed) {
  constexpr int kStores = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string path = TempPath(absl::StrCat("db", round));
    std::vector<absl::Status> results(kStores);
    absl::Notification start;
    std::vector<std::thread> threads;
    for (int i = 0; i < kStores; ++i) {
      threads.emplace_back([&, i] {
        start.WaitForNotification();
        absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
        results[i] = store.status();
        if (!store.ok()) return;
        absl::StatusOr<std::unique_ptr<Transaction>> tx =
            (*store)->Begin(TransactionMode::kReadWrite);
        results[i] = tx.status();
        if (!tx.ok()) return;
        v1::Ticket t = MakeTicket("t", "open", v1::PRIORITY_LOW, 0, i);
        results[i] = (*tx)->InsertTicket(&t);
        if (results[i].ok()) results[i] = (*tx)->Commit();
      });
    }
    start.Notify();
    for (std::thread& t : threads) t.join();
    for (int i = 0; i < kStores; ++i) {
      EXPECT_OK(results[i]) << "store " << i << " of round " << round;
    }
    RawDb raw(path);
    EXPECT_EQ(raw.One("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.One("SELECT count(*) FROM tickets"), absl::StrCat(kStores));
  }
}

// The same across processes (what two `helpdesk init` at once do): forked
// children wait on a pipe, so that they open the new file together, and
// report their status through a file each.
TEST(SqliteStoreTest, EightProcessesCreatingOneFileAtOnceAllSucceed) {
  constexpr int kProcesses = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string path = TempPath(absl::StrCat("db", round));
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        char byte;
        (void)!read(gate[0], &byte, 1);  // EOF when the parent closes it
        absl::Status status = OpenSqliteStore(path).status();
        if (status.ok()) {
          absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
          status = store.status();
        }
        WriteFile(absl::StrCat(path, ".child", i), status.ToString());
        _exit(status.ok() ? 0 : 1);
      }
      children.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);  // starts the children
    for (int i = 0; i < kProcesses; ++i) {
      int wstatus = 0;
      ASSERT_EQ(waitpid(children[i], &wstatus, 0), children[i]);
      const std::string report = absl::StrCat(path, ".child", i);
      EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
          << "process " << i << " of round " << round << ": "
          << ReadFile(report);
      std::remove(report.c_str());
    }
    RawDb raw(path);
    EXPECT_EQ(raw.One("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.One("PRAGMA user_version"),
              absl::StrCat(kSqliteSchemaVersion));
  }
}

// --- Durable commits ---------------------------------------------------------

// While alive, the default SQLite VFS: the previous default with a count of
// the syncs of WAL files, to see which commits are flushed to the device.
// Files opened through it must be closed before it is destroyed.
class WalSyncCountingVfs {
 public:
  WalSyncCountingVfs() : base_(sqlite3_vfs_find(nullptr)) {
    vfs_ = *base_;
    vfs_.zName = "helpdesk_test_wal_sync_counting";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + base_->szOsFile;
    vfs_.pAppData = this;
    vfs_.xOpen = &Open;
    EXPECT_EQ(sqlite3_vfs_register(&vfs_, /*makeDflt=*/1), SQLITE_OK);
  }
  ~WalSyncCountingVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(base_, /*makeDflt=*/1);
  }
  int wal_syncs() const { return wal_syncs_.load(); }

 private:
  sqlite3_vfs* base_;
  sqlite3_vfs vfs_;
  std::atomic<int> wal_syncs_{0};

  // Our file, followed in memory by the base VFS's file.
  struct File {
    sqlite3_file file;
    sqlite3_file* real;
    WalSyncCountingVfs* owner;
    bool wal;
  };
  static sqlite3_file* Real(sqlite3_file* f) {
    return reinterpret_cast<File*>(f)->real;
  }
  // Defined after the class: kMethods' initializer is not a complete-class
  // context, so it cannot reach wal_syncs_ through an owner (clang refuses).
  static void CountSync(File* f);

  static int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file,
                  int flags, int* out_flags) {
    auto* self = static_cast<WalSyncCountingVfs*>(vfs->pAppData);
    File* f = reinterpret_cast<File*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->owner = self;
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    f->real->pMethods = nullptr;
    int rc = self->base_->xOpen(self->base_, name, f->real, flags, out_flags);
    file->pMethods = f->real->pMethods == nullptr ? nullptr : &kMethods;
    return rc;
  }

  static constexpr sqlite3_io_methods kMethods = {
      3,
      [](sqlite3_file* f) {
        int rc = Real(f)->pMethods->xClose(Real(f));
        f->pMethods = nullptr;
        return rc;
      },
      [](sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
        return Real(f)->pMethods->xRead(Real(f), buf, n, off);
      },
      [](sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
        return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
      },
      [](sqlite3_file* f, sqlite3_int64 size) {
        return Real(f)->pMethods->xTruncate(Real(f), size);
      },
      [](sqlite3_file* f, int flags) {
        CountSync(reinterpret_cast<File*>(f));
        return Real(f)->pMethods->xSync(Real(f), flags);
      },
      [](sqlite3_file* f, sqlite3_int64* size) {
        return Real(f)->pMethods->xFileSize(Real(f), size);
      },
      [](sqlite3_file* f, int lock) {
        return Real(f)->pMethods->xLock(Real(f), lock);
      },
      [](sqlite3_file* f, int lock) {
        return Real(f)->pMethods->xUnlock(Real(f), lock);
      },
      [](sqlite3_file* f, int* out) {
        return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
      },
      [](sqlite3_file* f, int op, void* arg) {
        return Real(f)->pMethods->xFileControl(Real(f), op, arg);
      },
      [](sqlite3_file* f) {
        return Real(f)->pMethods->xSectorSize(Real(f));
      },
      [](sqlite3_file* f) {
        return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
      },
      [](sqlite3_file* f, int page, int size, int extend, void volatile** p) {
        return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, p);
      },
      [](sqlite3_file* f, int offset, int n, int flags) {
        return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
      },
      [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); },
      [](sqlite3_file* f, int delete_flag) {
        return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
      },
      [](sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
        return Real(f)->pMethods->xFetch(Real(f), off, n, p);
      },
      [](sqlite3_file* f, sqlite3_int64 off, void* p) {
        return Real(f)->pMethods->xUnfetch(Real(f), off, p);
      },
  };

};

void WalSyncCountingVfs::CountSync(File* f) {
  if (f->wal) ++f->owner->wal_syncs_;
}

// How many times committing one ticket in a transaction begun with `options`
// synced the WAL.
int WalSyncsOfOneCommit(Store& store, const WalSyncCountingVfs& vfs,
                        const TransactionOptions& options) {
  const int before = vfs.wal_syncs();
  absl::StatusOr<std::unique_ptr<Transaction>> tx = store.Begin(options);
  EXPECT_OK(tx.status());
  if (!tx.ok()) return -1;
  v1::Ticket t = MakeTicket("t", "open", v1::PRIORITY_LOW, 0, 1);
  EXPECT_OK((*tx)->InsertTicket(&t));
  EXPECT_OK((*tx)->Commit());
  return vfs.wal_syncs() - before;
}

// A durable transaction must flush the WAL at its commit (synchronous=FULL),
// and the next ordinary one must be back to the configured NORMAL, which
// does not: the setting is restored, not left raised or lowered.
TEST(SqliteStoreTest, DurableCommitSyncsTheWalAndTheNextOrdinaryOneDoesNot) {
  WalSyncCountingVfs vfs;
  const std::string path = TempPath("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(path));
  const TransactionOptions ordinary{.mode = TransactionMode::kReadWrite};
  const TransactionOptions durable{.mode = TransactionMode::kReadWrite,
                                   .durable = true};
  WalSyncsOfOneCommit(*store, vfs, ordinary);  // the WAL exists from here on
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  {
    // A durable transaction that rolls back leaves the next one ordinary.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, store->Begin(durable));
  }
  EXPECT_EQ(WalSyncsOfOneCommit(*store, vfs, ordinary), 0);
  store.reset();
}

TEST(SqliteStoreTest, WithSynchronousFullEveryCommitSyncsTheWal) {
  WalSyncCountingVfs vfs;
  const std::string path = TempPath("db");
  SqliteStoreOptions options;
  options.synchronous = "FULL";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       OpenSqliteStore(path, options));
  const TransactionOptions ordinary{.mode = TransactionMode::kReadWrite};
  const TransactionOptions durable{.mode = TransactionMode::kReadWrite,
                                   .durable = true};
  WalSyncsOfOneCommit(*store, vfs, ordinary);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, ordinary), 1);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, durable), 1);
  EXPECT_GE(WalSyncsOfOneCommit(*store, vfs, ordinary), 1);
  store.reset();
}

}  // namespace
}  // namespace helpdesk
