// Clock: the only way libhelpdesk learns the time.
//
// Library code never reads the system clock; it asks a Clock that the host
// gives it. Production hosts pass RealClock; tests pass a ManualClock and move
// it by hand, so every test is deterministic.
//
//   helpdesk::ManualClock clock(absl::FromCivil(absl::CivilSecond(2026, 1, 5, 9, 0, 0),
//                                               absl::UTCTimeZone()));
//   clock.Advance(absl::Hours(4));
#ifndef HELPDESK_CLOCK_H_
#define HELPDESK_CLOCK_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"

namespace helpdesk {

class HELPDESK_EXPORT Clock {
 public:
  virtual ~Clock() = default;
  // A stable identifier, e.g. "helpdesk.real"; "helpdesk." is reserved.
  virtual absl::string_view Name() const = 0;
  // The current time. Must not throw; must be safe to call from any thread.
  virtual absl::Time Now() const = 0;
};

// Reads the system clock (absl::Now()). Thread-safe.
class HELPDESK_EXPORT RealClock final : public Clock {
 public:
  absl::string_view Name() const override { return "helpdesk.real"; }
  absl::Time Now() const override;
};

// A clock that stands still until told to move. Thread-safe.
class HELPDESK_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::string_view Name() const override { return "helpdesk.manual"; }
  absl::Time Now() const override;
  // Moves the clock to `t` (which may be earlier than now; tests of clock skew
  // need that).
  void Set(absl::Time t);
  // Moves the clock forward by `d`.
  void Advance(absl::Duration d);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Forwards every call to another clock; derive from it to change one call
// (e.g. to inject skew in a test). `base` must outlive the wrapper.
class HELPDESK_EXPORT ClockWrapper : public Clock {
 public:
  explicit ClockWrapper(Clock* base) : base_(base) {}
  absl::string_view Name() const override { return base_->Name(); }
  absl::Time Now() const override { return base_->Now(); }
  Clock* base() const { return base_; }

 private:
  Clock* base_;
};

}  // namespace helpdesk

#endif  // HELPDESK_CLOCK_H_
