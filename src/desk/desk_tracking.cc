// TrackingLinks: issuing, rotating and revoking a ticket's tracking link, and
// Track, the read a customer's token opens. helpdesk/desk/tracking.h says
// what each does; this file says how the token is made and checked.
//
// Randomness: getrandom(2) (glibc's <sys/random.h>), which reads the
// kernel's CSPRNG without a file descriptor (no /dev/urandom to open, so no
// failure when a host runs out of descriptors or in a chroot) and blocks
// only until the pool was first seeded at boot. It needs no library beyond
// libc, where libsodium's randombytes_buf would add a dependency for the
// same system call.
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "desk/desk_impl.h"
#include "helpdesk/desk/tracking.h"
#include "helpdesk/timestamp.h"
#include "internal/sha256.h"

namespace helpdesk {
namespace {

constexpr size_t kTokenBytes = 32;
static_assert((kTokenBytes * 8 + 5) / 6 == kTrackingTokenLength,
              "43 URL-safe base64 characters hold 32 bytes");

// A string of the token's length that no token can equal ('.' is not in the
// URL-safe alphabet): what Track hashes and looks up in place of a malformed
// token, so that a malformed token takes the same steps as an unknown one.
constexpr absl::string_view kDecoyToken = "...........................................";
static_assert(kDecoyToken.size() == kTrackingTokenLength);

// How many merges Track follows from a link's ticket (a merge chain is short;
// the bound keeps a corrupt cycle from looping).
constexpr int kMaxMergeHops = 32;

absl::Status NotFound() { return absl::NotFoundError("tracking link not found"); }

// `n` bytes from the kernel's CSPRNG. Errors: Internal when getrandom fails
// (ENOSYS on a kernel older than 3.17, EFAULT).
absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(
          absl::StrCat("getrandom failed: ", std::strerror(errno)));
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

// A new token. One that would start with '-' is drawn again, so that no
// command line reads a token as an option (`helpdesk track -x...`); that
// leaves log2(63) + 42 * 6 - 2 > 255.9 bits of entropy.
absl::StatusOr<std::string> NewToken() {
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(kTokenBytes));
    std::string token = absl::WebSafeBase64Escape(bytes);  // no padding
    std::fill(bytes.begin(), bytes.end(), '\0');
    if (token.front() != '-') return token;
  }
}

// The token's shape: exactly kTrackingTokenLength URL-safe base64 characters.
bool WellFormed(absl::string_view token) {
  if (token.size() != kTrackingTokenLength) return false;
  for (char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

TrackedTicket PublicView(const v1::Ticket& t) {
  TrackedTicket v;
  v.ticket_id = t.id();
  v.subject = t.subject();
  v.status = t.status();
  v.status_category = t.status_category();
  v.created_at = FromTimestamp(t.created_at());
  v.updated_at = FromTimestamp(t.updated_at());
  return v;
}

}  // namespace

// Issue and Rotate: a new token for `ticket_id`, its hash stored.
// `rotate`: Rotate (the ticket must have a link) or Issue (it must not).
static absl::StatusOr<TrackingLink> PutNewLink(DeskCore* impl, const v1::Actor& actor,
                                               int64_t ticket_id, bool rotate) {
  HELPDESK_ASSIGN_OR_RETURN(std::string token, NewToken());
  const std::string hash = internal::Sha256Hex(token);
  HELPDESK_ASSIGN_OR_RETURN(
      absl::Time created_at,
      impl->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<absl::Time> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl->Resolve(tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(
            v1::Ticket t, DeskCore::LoadTicket(tx, a, ticket_id, Action::kManageTrackingLink));
        if (t.merged_into() != 0) {
          return absl::FailedPreconditionError(
              absl::StrCat("ticket ", t.id(), " was merged into ticket ", t.merged_into(),
                           "; give that ticket a tracking link instead"));
        }
        HELPDESK_ASSIGN_OR_RETURN(std::optional<TrackingTokenRecord> old,
                                  tx.GetTrackingTokenOfTicket(ticket_id));
        if (rotate && !old.has_value()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "ticket ", ticket_id, " has no tracking link to rotate; issue one"));
        }
        if (!rotate && old.has_value()) {
          return absl::AlreadyExistsError(absl::StrCat(
              "ticket ", ticket_id, " has a tracking link already; rotate it for a new token "
              "or revoke it"));
        }
        const absl::Time now = impl->Now();
        HELPDESK_RETURN_IF_ERROR(tx.PutTrackingToken(ticket_id, hash, now));
        // The audit event says that it happened and who did it, never the
        // token or its hash.
        v1::Event e;
        e.set_kind(rotate ? v1::Event::TRACKING_LINK_ROTATED : v1::Event::TRACKING_LINK_ISSUED);
        HELPDESK_RETURN_IF_ERROR(impl->AppendEvent(tx, a, now, t, &e));
        return now;
      }));
  return TrackingLink{.ticket_id = ticket_id, .token = std::move(token), .created_at = created_at};
}

absl::StatusOr<TrackingLink> TrackingLinks::Issue(const v1::Actor& actor, int64_t ticket_id) {
  return PutNewLink(impl_, actor, ticket_id, /*rotate=*/false);
}

absl::StatusOr<TrackingLink> TrackingLinks::Rotate(const v1::Actor& actor, int64_t ticket_id) {
  return PutNewLink(impl_, actor, ticket_id, /*rotate=*/true);
}

absl::StatusOr<bool> TrackingLinks::Revoke(const v1::Actor& actor, int64_t ticket_id) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<bool> {
    HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
    HELPDESK_ASSIGN_OR_RETURN(
        v1::Ticket t, DeskCore::LoadTicket(tx, a, ticket_id, Action::kManageTrackingLink));
    HELPDESK_ASSIGN_OR_RETURN(bool revoked, tx.RevokeTrackingToken(ticket_id));
    if (revoked) {
      v1::Event e;
      e.set_kind(v1::Event::TRACKING_LINK_REVOKED);
      HELPDESK_RETURN_IF_ERROR(impl_->AppendEvent(tx, a, impl_->Now(), t, &e));
    }
    return revoked;
  });
}

absl::StatusOr<std::optional<absl::Time>> TrackingLinks::IssuedAt(const v1::Actor& actor,
                                                                  int64_t ticket_id) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<std::optional<absl::Time>> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
                      HELPDESK_RETURN_IF_ERROR(
                          DeskCore::LoadTicket(tx, a, ticket_id, Action::kManageTrackingLink)
                              .status());
                      HELPDESK_ASSIGN_OR_RETURN(std::optional<TrackingTokenRecord> r,
                                                tx.GetTrackingTokenOfTicket(ticket_id));
                      if (!r) return std::optional<absl::Time>();
                      return std::optional<absl::Time>(r->created_at);
                    });
}

// Every refusal takes the same steps: hash (the token, or the decoy in place
// of a malformed one: a huge token is never hashed), one store lookup by the
// hash, one constant-time compare of the full stored hash with it, then the
// one NotFound. An index lookup by a hash leaks at most how much of the hash
// of the caller's own guess matches a stored hash, which tells nothing about
// any token (SHA-256 is not invertible); the compare after it makes the
// answer depend on the whole hash, not on the index's notion of equality.
absl::StatusOr<TrackedTicket> TrackingLinks::Track(absl::string_view token) {
  const bool well_formed = WellFormed(token);
  const std::string hash = internal::Sha256Hex(well_formed ? token : kDecoyToken);
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<TrackedTicket> {
        absl::StatusOr<TrackingTokenRecord> record = tx.LookupTrackingToken(hash);
        if (!record.ok() && !absl::IsNotFound(record.status())) return record.status();
        const std::string stored = record.ok() ? record->token_sha256 : std::string(64, '0');
        const bool match = internal::ConstantTimeEquals(stored, hash);
        if (!record.ok() || !match || !well_formed) return NotFound();
        const absl::Duration lifetime = impl_->options().tracking_link_lifetime;
        if (impl_->Now() - record->created_at >= lifetime) return NotFound();

        absl::StatusOr<v1::Ticket> t = tx.GetTicket(record->ticket_id);
        for (int hop = 0; t.ok() && t->merged_into() != 0; ++hop) {
          if (hop == kMaxMergeHops) return NotFound();
          t = tx.GetTicket(t->merged_into());
        }
        if (absl::IsNotFound(t.status())) return NotFound();
        HELPDESK_RETURN_IF_ERROR(t.status());

        const Viewer viewer = Viewer::OfTrackingLink(t->id());
        if (!DeskCore::AuthorizeOn(viewer, Action::kViewTicket, *t).ok()) return NotFound();
        const bool notes = DeskCore::AuthorizeOn(viewer, Action::kViewInternalNotes, *t).ok();
        TrackedTicket view = PublicView(*t);
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> messages, tx.ListMessages(t->id()));
        for (v1::Message& m : messages) {
          if (m.kind() == v1::Message::INTERNAL_NOTE && !notes) continue;
          if (m.kind() != v1::Message::CUSTOMER_MESSAGE &&
              m.kind() != v1::Message::PUBLIC_REPLY && m.kind() != v1::Message::INTERNAL_NOTE) {
            continue;  // an unknown kind is not known to be public
          }
          TrackedMessage out;
          out.id = m.id();
          out.kind = m.kind();
          out.body_text = std::move(*m.mutable_body_text());
          out.body_html = std::move(*m.mutable_body_html());
          out.attachments.assign(m.attachments().begin(), m.attachments().end());
          out.created_at = FromTimestamp(m.created_at());
          view.messages.push_back(std::move(out));
        }
        return view;
      });
}

}  // namespace helpdesk
