// A SQLite VFS for fault tests: a shim over the default VFS ("unix") that
// forwards every method, counts xRead, xWrite and xSync calls on every file
// SQLite opens through it (database, WAL, journals), and, when armed, makes
// the Nth such call fail with a chosen result code (SQLITE_IOERR_WRITE,
// SQLITE_IOERR_FSYNC, SQLITE_IOERR_READ, SQLITE_FULL, ...), once or from then
// on. The pattern is SQLite's own VFS shim (ext/misc/vfstrace.c,
// src/test_demovfs.c): the wrapped file lives right behind our sqlite3_file.
//
//   helpdesk::testing_faults::FaultVfs& vfs = FaultVfs::Get();
//   SqliteStoreOptions options;
//   options.vfs = FaultVfs::kName;
//   ... open the store ...
//   vfs.Arm(FaultVfs::Op::kWrite, 3, SQLITE_IOERR_WRITE);  // 3rd write fails
//   ... run a command ...
//   vfs.Disarm();
//
// Thread safety: the counters are atomics; arm and disarm from the thread
// that runs the commands.
#ifndef HELPDESK_TESTS_FAULT_VFS_H_
#define HELPDESK_TESTS_FAULT_VFS_H_

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace helpdesk::testing_faults {

class FaultVfs {
 public:
  static constexpr const char* kName = "helpdesk-test-faults";
  enum class Op { kRead = 0, kWrite = 1, kSync = 2 };

  // Registers the VFS (not as the default) on first use.
  static FaultVfs& Get() {
    static FaultVfs* vfs = new FaultVfs();
    return *vfs;
  }

  // From now on, counts calls of `op` from 1; the `nth` fails with `code`,
  // and so does every later one when `persistent` (a full disk stays full).
  void Arm(Op op, int64_t nth, int code, bool persistent = false) {
    armed_op_.store(static_cast<int>(op));
    code_.store(code);
    persistent_.store(persistent);
    fired_.store(false);
    ResetCounts();
    nth_.store(nth);
  }
  void Disarm() { nth_.store(0); }
  // Whether the armed fault was injected since Arm.
  bool fired() const { return fired_.load(); }
  // Faults injected since the process started (a persistent fault counts
  // every failed call).
  int64_t injected() const { return injected_.load(); }

  void ResetCounts() {
    for (auto& c : counts_) c.store(0);
  }
  int64_t count(Op op) const { return counts_[static_cast<int>(op)].load(); }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;  // points just behind this struct
  };

  FaultVfs() {
    root_ = sqlite3_vfs_find(nullptr);
    std::memset(&vfs_, 0, sizeof(vfs_));
    vfs_.iVersion = root_->iVersion < 3 ? root_->iVersion : 3;
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + root_->szOsFile;
    vfs_.mxPathname = root_->mxPathname;
    vfs_.zName = kName;
    vfs_.pAppData = this;
    vfs_.xOpen = &VfsOpen;
    vfs_.xDelete = [](sqlite3_vfs* v, const char* name, int sync_dir) {
      return Root(v)->xDelete(Root(v), name, sync_dir);
    };
    vfs_.xAccess = [](sqlite3_vfs* v, const char* name, int flags, int* out) {
      return Root(v)->xAccess(Root(v), name, flags, out);
    };
    vfs_.xFullPathname = [](sqlite3_vfs* v, const char* name, int n, char* out) {
      return Root(v)->xFullPathname(Root(v), name, n, out);
    };
    vfs_.xDlOpen = [](sqlite3_vfs* v, const char* name) {
      return Root(v)->xDlOpen(Root(v), name);
    };
    vfs_.xDlError = [](sqlite3_vfs* v, int n, char* out) {
      Root(v)->xDlError(Root(v), n, out);
    };
    vfs_.xDlSym = [](sqlite3_vfs* v, void* handle, const char* symbol) {
      return Root(v)->xDlSym(Root(v), handle, symbol);
    };
    vfs_.xDlClose = [](sqlite3_vfs* v, void* handle) {
      Root(v)->xDlClose(Root(v), handle);
    };
    vfs_.xRandomness = [](sqlite3_vfs* v, int n, char* out) {
      return Root(v)->xRandomness(Root(v), n, out);
    };
    vfs_.xSleep = [](sqlite3_vfs* v, int micros) {
      return Root(v)->xSleep(Root(v), micros);
    };
    vfs_.xCurrentTime = [](sqlite3_vfs* v, double* out) {
      return Root(v)->xCurrentTime(Root(v), out);
    };
    vfs_.xGetLastError = [](sqlite3_vfs* v, int n, char* out) {
      return Root(v)->xGetLastError(Root(v), n, out);
    };
    if (vfs_.iVersion >= 2) {
      vfs_.xCurrentTimeInt64 = [](sqlite3_vfs* v, sqlite3_int64* out) {
        return Root(v)->xCurrentTimeInt64(Root(v), out);
      };
    }
    if (vfs_.iVersion >= 3) {
      vfs_.xSetSystemCall = [](sqlite3_vfs* v, const char* name,
                               sqlite3_syscall_ptr call) {
        return Root(v)->xSetSystemCall(Root(v), name, call);
      };
      vfs_.xGetSystemCall = [](sqlite3_vfs* v, const char* name) {
        return Root(v)->xGetSystemCall(Root(v), name);
      };
      vfs_.xNextSystemCall = [](sqlite3_vfs* v, const char* name) {
        return Root(v)->xNextSystemCall(Root(v), name);
      };
    }

    std::memset(&methods_, 0, sizeof(methods_));
    methods_.iVersion = 3;
    methods_.xClose = [](sqlite3_file* f) {
      int rc = Real(f)->pMethods->xClose(Real(f));
      f->pMethods = nullptr;
      return rc;
    };
    methods_.xRead = [](sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
      int fault = Get().Count(Op::kRead);
      if (fault != SQLITE_OK) return fault;
      return Real(f)->pMethods->xRead(Real(f), out, n, at);
    };
    methods_.xWrite = [](sqlite3_file* f, const void* in, int n,
                         sqlite3_int64 at) {
      int fault = Get().Count(Op::kWrite);
      if (fault != SQLITE_OK) return fault;
      return Real(f)->pMethods->xWrite(Real(f), in, n, at);
    };
    methods_.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
      return Real(f)->pMethods->xTruncate(Real(f), size);
    };
    methods_.xSync = [](sqlite3_file* f, int flags) {
      int fault = Get().Count(Op::kSync);
      if (fault != SQLITE_OK) return fault;
      return Real(f)->pMethods->xSync(Real(f), flags);
    };
    methods_.xFileSize = [](sqlite3_file* f, sqlite3_int64* out) {
      return Real(f)->pMethods->xFileSize(Real(f), out);
    };
    methods_.xLock = [](sqlite3_file* f, int level) {
      return Real(f)->pMethods->xLock(Real(f), level);
    };
    methods_.xUnlock = [](sqlite3_file* f, int level) {
      return Real(f)->pMethods->xUnlock(Real(f), level);
    };
    methods_.xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
    };
    methods_.xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return Real(f)->pMethods->xFileControl(Real(f), op, arg);
    };
    methods_.xSectorSize = [](sqlite3_file* f) {
      return Real(f)->pMethods->xSectorSize(Real(f));
    };
    methods_.xDeviceCharacteristics = [](sqlite3_file* f) {
      return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
    };
    // Version 2: shared memory (the WAL index). Version 3: memory mapping.
    methods_.xShmMap = [](sqlite3_file* f, int region, int size, int extend,
                          void volatile** out) {
      if (Real(f)->pMethods->iVersion < 2) return SQLITE_IOERR_SHMMAP;
      return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
    };
    methods_.xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
      if (Real(f)->pMethods->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
      return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
    };
    methods_.xShmBarrier = [](sqlite3_file* f) {
      if (Real(f)->pMethods->iVersion >= 2) {
        Real(f)->pMethods->xShmBarrier(Real(f));
      }
    };
    methods_.xShmUnmap = [](sqlite3_file* f, int delete_flag) {
      if (Real(f)->pMethods->iVersion < 2) return SQLITE_OK;
      return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
    };
    // No memory mapping through the shim: every page read is an xRead, so a
    // read fault can hit it.
    methods_.xFetch = [](sqlite3_file*, sqlite3_int64, int, void** out) {
      *out = nullptr;
      return SQLITE_OK;
    };
    methods_.xUnfetch = [](sqlite3_file*, sqlite3_int64, void*) {
      return SQLITE_OK;
    };
    sqlite3_vfs_register(&vfs_, /*makeDflt=*/0);
  }

  static sqlite3_vfs* Root(sqlite3_vfs* v) {
    return static_cast<FaultVfs*>(v->pAppData)->root_;
  }
  static sqlite3_file* Real(sqlite3_file* f) {
    return reinterpret_cast<File*>(f)->real;
  }

  static int VfsOpen(sqlite3_vfs* v, const char* name, sqlite3_file* f,
                     int flags, int* out_flags) {
    FaultVfs* self = static_cast<FaultVfs*>(v->pAppData);
    File* file = reinterpret_cast<File*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    int rc = self->root_->xOpen(self->root_, name, file->real, flags, out_flags);
    // SQLite calls xClose only when pMethods is set; the wrapped file decides.
    file->base.pMethods = file->real->pMethods != nullptr ? &self->methods_ : nullptr;
    return rc;
  }

  // Counts one call of `op`; returns the fault to inject, or SQLITE_OK.
  int Count(Op op) {
    int64_t n = ++counts_[static_cast<int>(op)];
    int64_t nth = nth_.load();
    if (nth <= 0 || armed_op_.load() != static_cast<int>(op)) return SQLITE_OK;
    if (n == nth || (persistent_.load() && n > nth)) {
      fired_.store(true);
      ++injected_;
      return code_.load();
    }
    return SQLITE_OK;
  }

  sqlite3_vfs* root_ = nullptr;
  sqlite3_vfs vfs_;
  sqlite3_io_methods methods_;
  std::atomic<int64_t> counts_[3] = {0, 0, 0};
  std::atomic<int> armed_op_{0};
  std::atomic<int64_t> nth_{0};
  std::atomic<int> code_{SQLITE_OK};
  std::atomic<bool> persistent_{false};
  std::atomic<bool> fired_{false};
  std::atomic<int64_t> injected_{0};
};

}  // namespace helpdesk::testing_faults

#endif  // HELPDESK_TESTS_FAULT_VFS_H_
