// The desk lease (issue 17, DeskOptions::lease): which of several processes
// sharing a store does push routing and Tick's work, and the fencing of
// those writes (Transaction::CheckLease in each one's transaction).
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "desk/desk_impl.h"

namespace helpdesk {
namespace {

// The refusal's message starts with this, so IsLeaseLost recognises it.
constexpr absl::string_view kLost = "desk lease: ";

}  // namespace

absl::Status DeskCore::ValidateLeaseOptions() const {
  if (!options_.lease) return absl::OkStatus();
  const DeskLeaseOptions& l = *options_.lease;
  if (l.holder.empty()) {
    return absl::InvalidArgumentError("lease.holder must not be empty");
  }
  if (l.name.empty()) return absl::InvalidArgumentError("lease.name must not be empty");
  if (l.ttl <= absl::ZeroDuration() || l.ttl == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease.ttl ", absl::FormatDuration(l.ttl), " must be positive and finite"));
  }
  return absl::OkStatus();
}

bool DeskCore::lease_shared() const { return options_.lease.has_value(); }

absl::StatusOr<DeskCore::LeaseView> DeskCore::RenewLease(absl::Time now) {
  LeaseView view;
  if (!options_.lease) return view;
  const DeskLeaseOptions& l = *options_.lease;
  {
    absl::MutexLock lock(&lease_mu_);
    if (!lease_supported_) return view;
    // Held: renew once a third of the ttl has gone. Not held: try once the
    // holder's expiry has passed.
    const bool due = lease_held_ ? now >= lease_expires_ - l.ttl * 2 / 3
                                 : now >= lease_expires_;
    if (!due) {
      view.held = lease_held_;
      view.holder = lease_holder_;
      return view;
    }
  }
  absl::StatusOr<Lease> got = options_.store->AcquireLease(l.name, l.holder, l.ttl, now);
  absl::MutexLock lock(&lease_mu_);
  if (absl::IsUnimplemented(got.status())) {
    lease_supported_ = false;  // a store without leases: always the holder
    return view;
  }
  HELPDESK_RETURN_IF_ERROR(got.status());
  const bool held = got->holder == l.holder;
  view.taken_over = held && (!lease_held_ || got->token != lease_token_);
  lease_held_ = held;
  lease_token_ = got->token;
  lease_expires_ = got->expires_at;
  lease_holder_ = got->holder;
  view.held = held;
  view.holder = got->holder;
  return view;
}

absl::Time DeskCore::NextLeaseDue() {
  if (!options_.lease) return absl::InfiniteFuture();
  absl::MutexLock lock(&lease_mu_);
  if (!lease_supported_) return absl::InfiniteFuture();
  // As RenewLease's `due`.
  return lease_held_ ? lease_expires_ - options_.lease->ttl * 2 / 3 : lease_expires_;
}

DeskCore::LeaseView DeskCore::CurrentLease() {
  LeaseView view;
  if (!options_.lease) return view;
  absl::MutexLock lock(&lease_mu_);
  if (!lease_supported_) return view;
  view.held = lease_held_;
  view.holder = lease_holder_;
  return view;
}

absl::Status DeskCore::FenceInTx(Transaction& tx) {
  if (!options_.lease) return absl::OkStatus();
  const DeskLeaseOptions& l = *options_.lease;
  int64_t token = 0;
  {
    absl::MutexLock lock(&lease_mu_);
    if (!lease_supported_) return absl::OkStatus();
    if (!lease_held_) {
      return absl::UnavailableError(absl::StrCat(kLost, "'", l.holder,
                                                 "' does not hold lease '", l.name,
                                                 "' (held by '", lease_holder_, "')"));
    }
    token = lease_token_;
  }
  absl::Status s = tx.CheckLease(l.name, l.holder, token);
  if (s.ok()) return s;
  if (absl::IsUnimplemented(s)) {
    // A store with leases but no fencing: the lease alone decides.
    return absl::OkStatus();
  }
  if (!absl::IsFailedPrecondition(s)) return s;
  absl::MutexLock lock(&lease_mu_);
  if (lease_token_ == token) {
    lease_held_ = false;
    lease_expires_ = absl::InfinitePast();  // ask again at the next renewal
  }
  return absl::UnavailableError(
      absl::StrCat(kLost, "'", l.holder, "' lost the lease; its write was refused: ", s.message()));
}

bool DeskCore::IsLeaseLost(const absl::Status& s) {
  return absl::IsUnavailable(s) && absl::StartsWith(s.message(), kLost);
}

void DeskCore::ReleaseLeaseIfHeld() {
  if (!options_.lease) return;
  {
    absl::MutexLock lock(&lease_mu_);
    if (!lease_supported_ || !lease_held_) return;
    lease_held_ = false;
  }
  options_.store->ReleaseLease(options_.lease->name, options_.lease->holder).IgnoreError();
}

}  // namespace helpdesk
