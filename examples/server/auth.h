// Who is calling `helpdesk serve`: agents' passwords (Argon2id, libsodium) and
// API tokens (only their SHA-256 kept), kept in a small SQLite file beside the
// desk's; login sessions with a synchronizer CSRF token (in memory: a restart
// logs everyone out); and customers' signed magic links (HMAC-SHA256 of the
// contact id and an expiry under the server's secret).
//
// Authentication only says who the caller is (a v1::Actor); what they may do
// is the desk's access component's answer to each call.
//
// Thread safety: every class here is thread-safe.
#ifndef HELPDESK_EXAMPLES_SERVER_AUTH_H_
#define HELPDESK_EXAMPLES_SERVER_AUTH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "helpdesk/v1/common.pb.h"

struct sqlite3;

namespace helpdesk::serve {

// Initialises libsodium once. Errors: Internal when it cannot.
absl::Status InitCrypto();

// Lower-case hex of `n` random bytes from the system's CSPRNG.
std::string RandomHex(size_t n);
// Lower-case hex SHA-256.
std::string Sha256Hex(absl::string_view data);
// Compares in constant time (for equal lengths).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

struct PasswordCost {
  // libsodium's interactive limits by default; tests pass the minimum.
  uint64_t ops = 2;
  size_t mem = size_t{64} << 20;
  static PasswordCost Minimum();
};

class Credentials {
 public:
  // Opens (creating) the credentials file; ":memory:" for tests. Errors:
  // Unavailable when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<Credentials>> Open(const std::string& path,
                                                           PasswordCost cost = {});
  ~Credentials();

  // Sets agent `agent_id`'s password (Argon2id). Errors: InvalidArgument for
  // a password shorter than 8 or longer than 1024 bytes.
  absl::Status SetPassword(int64_t agent_id, absl::string_view password);
  // OK when `password` is agent `agent_id`'s; Unauthenticated otherwise (also
  // when none is set).
  absl::Status CheckPassword(int64_t agent_id, absl::string_view password);

  // A new API token for the agent ("hdt_" + 64 hex); only its hash is kept.
  absl::StatusOr<std::string> CreateToken(int64_t agent_id, absl::string_view name,
                                          absl::Time now);
  // The agent a token belongs to. Errors: Unauthenticated.
  absl::StatusOr<int64_t> AgentForToken(absl::string_view token);

  // Marks a verified magic link (VerifyMagicLink) as used: OK the first time,
  // Unauthenticated ("the link was used before") after, until `expires`
  // passes (then the link is refused as expired anyway). Only the token's
  // SHA-256 is kept, in the credentials file, so a restart does not make a
  // used link work again. Errors: Unavailable/Internal from SQLite.
  absl::Status ConsumeMagicLink(absl::string_view token, absl::Time expires, absl::Time now);

 private:
  Credentials(sqlite3* db, PasswordCost cost) : db_(db), cost_(cost) {}
  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
  PasswordCost cost_;
  // A hash of a random password, verified against when an agent has none.
  std::string dummy_hash_;
  // Tokens found before, by hash (API calls look them up on every request).
  absl::Mutex cache_mu_;
  std::map<std::string, int64_t> token_cache_ ABSL_GUARDED_BY(cache_mu_);
};

// A logged-in browser.
struct Session {
  v1::Actor actor;
  std::string csrf_token;
  absl::Time expires_at;
};

class Sessions {
 public:
  explicit Sessions(absl::Duration ttl) : ttl_(ttl) {}
  // A new session for `actor`; returns its id (the cookie's value).
  std::string Create(const v1::Actor& actor, absl::Time now);
  // The session of `id` unless expired.
  std::optional<Session> Find(absl::string_view id, absl::Time now);
  void Remove(absl::string_view id);

 private:
  absl::Duration ttl_;
  absl::Mutex mu_;
  // By the SHA-256 of the id, so the map holds no usable cookie.
  std::map<std::string, Session> by_hash_ ABSL_GUARDED_BY(mu_);
};

// "<contact id>.<expiry unix seconds>.<32 hex random nonce>.<hex HMAC-SHA256>",
// the HMAC (key: SHA-256 of `secret`) over everything before its dot. The
// nonce makes every link distinct, so each can be used once
// (Credentials::ConsumeMagicLink).
std::string SignMagicLink(absl::string_view secret, int64_t contact_id, absl::Time expires);

struct VerifiedMagicLink {
  int64_t contact_id = 0;
  absl::Time expires;
};
// The contact and expiry of a well-formed link with a good signature
// (compared in constant time) that has not expired; whether it was used
// before is the caller's check. Errors: Unauthenticated naming what is wrong
// (malformed, bad signature, expired).
absl::StatusOr<VerifiedMagicLink> VerifyMagicLink(absl::string_view secret, absl::string_view token,
                                          absl::Time now);

}  // namespace helpdesk::serve

#endif  // HELPDESK_EXAMPLES_SERVER_AUTH_H_
