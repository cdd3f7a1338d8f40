// ThreadSanitizer support for Debian's Abseil (linked into the tests only in
// the tsan preset, HELPDESK_SANITIZE_THREAD=ON).
//
// Debian builds libabsl_synchronization without -fsanitize=thread, so the
// ABSL_TSAN_MUTEX_* annotations inside absl::Mutex are compiled out and TSan
// sees no happens-before edge between an Unlock and the next Lock: every
// access under an absl::Mutex is reported as a data race (checked with a
// two-thread counter under absl::MutexLock). Rather than suppress those
// reports, which would hide real races on the same data, this file interposes
// the absl::Mutex and absl::Notification entry points the library and the
// tests call: it forwards to the real function (found with dlsym(RTLD_NEXT))
// and tells TSan about the acquire/release on the object's address. Memory
// accesses inside the real call (Abseil evaluating a Condition such as
// SqliteStore::WriterFree while it takes the lock) are ignored, since TSan
// cannot order them; every access in our code outside those calls is checked.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}

namespace {

#define HELPDESK_TSAN_STR2(x) #x
#define HELPDESK_TSAN_STR(x) HELPDESK_TSAN_STR2(x)

// "_ZN[K]4absl" + <length><inline namespace> + `rest`: the mangled name of
// an absl member function (const when `is_const`) in this Abseil's inline
// namespace ("debian3" on Debian 12).
void* Real(const char* rest, bool is_const = false) {
  const char* ns = HELPDESK_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = std::string(is_const ? "_ZNK4absl" : "_ZN4absl") +
                           std::to_string(std::strlen(ns)) + ns + rest;
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_absl_mutex: no %s in Abseil\n", name.c_str());
    std::abort();
  }
  return f;
}

struct IgnoreAccesses {
  IgnoreAccesses() {
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  }
  ~IgnoreAccesses() {
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  }
};

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static auto real = reinterpret_cast<void (*)(Mutex*)>(Real("5Mutex4LockEv"));
  {
    IgnoreAccesses ignore;
    real(this);
  }
  __tsan_acquire(this);
}

void Mutex::Unlock() {
  static auto real = reinterpret_cast<void (*)(Mutex*)>(Real("5Mutex6UnlockEv"));
  __tsan_release(this);
  IgnoreAccesses ignore;
  real(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = reinterpret_cast<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      Real("5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  bool result;
  {
    IgnoreAccesses ignore;
    result = real(this, cond, timeout);
  }
  __tsan_acquire(this);
  return result;
}

// Await unlocks while it waits and locks again before it returns (the
// ReportReader's workers wait on their queues with it).
void Mutex::Await(const Condition& cond) {
  static auto real = reinterpret_cast<void (*)(Mutex*, const Condition&)>(
      Real("5Mutex5AwaitERKNS0_9ConditionE"));
  __tsan_release(this);
  {
    IgnoreAccesses ignore;
    real(this, cond);
  }
  __tsan_acquire(this);
}

void Notification::Notify() {
  static auto real =
      reinterpret_cast<void (*)(Notification*)>(Real("12Notification6NotifyEv"));
  __tsan_release(this);
  IgnoreAccesses ignore;
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real = reinterpret_cast<void (*)(const Notification*)>(
      Real("12Notification19WaitForNotificationEv", true));
  {
    IgnoreAccesses ignore;
    real(this);
  }
  __tsan_acquire(const_cast<Notification*>(this));
}

ABSL_NAMESPACE_END
}  // namespace absl
