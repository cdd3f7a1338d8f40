// Passwords, API tokens, sessions and magic links of `helpdesk serve`.
#include "auth.h"

#include <sodium.h>
#include <sqlite3.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "helpdesk/status_macros.h"

namespace helpdesk::serve {
namespace {

std::string Hex(const unsigned char* p, size_t n) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(p), n));
}

absl::Status SqliteError(sqlite3* db, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("credentials: ", what, ": ", sqlite3_errmsg(db)));
}

// Runs one statement with text/int bindings; calls `row` per result row.
template <typename Row>
absl::Status Exec(sqlite3* db, const char* sql, const std::vector<std::string>& args,
                  Row row) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    return SqliteError(db, "prepare");
  }
  for (size_t i = 0; i < args.size(); ++i) {
    sqlite3_bind_text(st, static_cast<int>(i + 1), args[i].data(),
                      static_cast<int>(args[i].size()), SQLITE_TRANSIENT);
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqliteError(db, "step");
  return absl::OkStatus();
}

std::string Column(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(t),
                                    static_cast<size_t>(sqlite3_column_bytes(st, i)));
}

}  // namespace

absl::Status InitCrypto() {
  if (sodium_init() < 0) return absl::InternalError("libsodium: sodium_init failed");
  return absl::OkStatus();
}

std::string RandomHex(size_t n) {
  std::vector<unsigned char> b(n);
  randombytes_buf(b.data(), n);
  return Hex(b.data(), n);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return Hex(out, sizeof out);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

PasswordCost PasswordCost::Minimum() {
  return {.ops = crypto_pwhash_OPSLIMIT_MIN, .mem = crypto_pwhash_MEMLIMIT_MIN};
}

absl::StatusOr<std::unique_ptr<Credentials>> Credentials::Open(const std::string& path,
                                                               PasswordCost cost) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                             SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("credentials: cannot open '", path, "': ", sqlite3_errmsg(db)));
    sqlite3_close(db);
    return s;
  }
  const char* schema =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS passwords(agent_id INTEGER PRIMARY KEY, hash TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS api_tokens(hash TEXT PRIMARY KEY, agent_id INTEGER NOT NULL,"
      " name TEXT NOT NULL, created_unix INTEGER NOT NULL);"
      // Magic links already exchanged for a session (by the SHA-256 of the
      // token), kept until they expire: a link works once.
      "CREATE TABLE IF NOT EXISTS used_magic_links(hash TEXT PRIMARY KEY,"
      " expires_unix INTEGER NOT NULL);";
  if (sqlite3_exec(db, schema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    absl::Status s = SqliteError(db, "schema");
    sqlite3_close(db);
    return s;
  }
  auto creds = std::unique_ptr<Credentials>(new Credentials(db, cost));
  char dummy[crypto_pwhash_STRBYTES];
  const std::string random = RandomHex(16);
  if (crypto_pwhash_str_alg(dummy, random.data(), random.size(), cost.ops, cost.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("credentials: out of memory while hashing");
  }
  creds->dummy_hash_ = dummy;
  return creds;
}

Credentials::~Credentials() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status Credentials::SetPassword(int64_t agent_id, absl::string_view password) {
  if (password.size() < 8 || password.size() > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "password: must be 8 to 1024 bytes long, not ", password.size()));
  }
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), cost_.ops, cost_.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("password: out of memory while hashing");
  }
  absl::MutexLock lock(&mu_);
  return Exec(db_, "INSERT INTO passwords(agent_id, hash) VALUES(?1, ?2) "
                   "ON CONFLICT(agent_id) DO UPDATE SET hash = excluded.hash",
              {absl::StrCat(agent_id), hash}, [](sqlite3_stmt*) {});
}

absl::Status Credentials::CheckPassword(int64_t agent_id, absl::string_view password) {
  std::string hash;
  {
    absl::MutexLock lock(&mu_);
    absl::Status s = Exec(db_, "SELECT hash FROM passwords WHERE agent_id = ?1",
                          {absl::StrCat(agent_id)},
                          [&](sqlite3_stmt* st) { hash = Column(st, 0); });
    if (!s.ok()) return s;
  }
  // Without a password the same work is done against a hash of nothing, so
  // the answer's timing does not tell which agents have one.
  const bool known = !hash.empty();
  if (!known) hash = dummy_hash_;
  if (password.size() > 1024 ||
      crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) != 0 ||
      !known) {
    return absl::UnauthenticatedError("login: wrong e-mail or password");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Credentials::CreateToken(int64_t agent_id, absl::string_view name,
                                                     absl::Time now) {
  std::string token = absl::StrCat("hdt_", RandomHex(32));
  absl::MutexLock lock(&mu_);
  absl::Status s = Exec(db_,
                        "INSERT INTO api_tokens(hash, agent_id, name, created_unix) "
                        "VALUES(?1, ?2, ?3, ?4)",
                        {Sha256Hex(token), absl::StrCat(agent_id), std::string(name),
                         absl::StrCat(absl::ToUnixSeconds(now))},
                        [](sqlite3_stmt*) {});
  if (!s.ok()) return s;
  return token;
}

absl::StatusOr<int64_t> Credentials::AgentForToken(absl::string_view token) {
  const std::string hash = Sha256Hex(token);
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    auto it = token_cache_.find(hash);
    if (it != token_cache_.end()) return it->second;
  }
  int64_t agent = 0;
  {
    absl::MutexLock lock(&mu_);
    absl::Status s = Exec(db_, "SELECT agent_id FROM api_tokens WHERE hash = ?1", {hash},
                          [&](sqlite3_stmt* st) { agent = sqlite3_column_int64(st, 0); });
    if (!s.ok()) return s;
  }
  if (agent == 0) return absl::UnauthenticatedError("Authorization: unknown API token");
  // Tokens are never changed once made, so a found one may be remembered.
  absl::MutexLock lock(&cache_mu_);
  token_cache_[hash] = agent;
  return agent;
}

absl::Status Credentials::ConsumeMagicLink(absl::string_view token, absl::Time expires,
                                           absl::Time now) {
  const std::string hash = Sha256Hex(token);
  absl::MutexLock lock(&mu_);
  HELPDESK_RETURN_IF_ERROR(Exec(db_, "DELETE FROM used_magic_links WHERE expires_unix < ?1",
                                {absl::StrCat(absl::ToUnixSeconds(now))},
                                [](sqlite3_stmt*) {}));
  bool used = false;
  HELPDESK_RETURN_IF_ERROR(Exec(db_, "SELECT 1 FROM used_magic_links WHERE hash = ?1", {hash},
                                [&](sqlite3_stmt*) { used = true; }));
  if (used) return absl::UnauthenticatedError("token: the link was used before");
  return Exec(db_, "INSERT INTO used_magic_links(hash, expires_unix) VALUES(?1, ?2)",
              {hash, absl::StrCat(absl::ToUnixSeconds(expires))}, [](sqlite3_stmt*) {});
}

std::string Sessions::Create(const v1::Actor& actor, absl::Time now) {
  std::string id = RandomHex(32);
  absl::MutexLock lock(&mu_);
  // Forget expired sessions now and then (each creation looks at a few).
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    it = it->second.expires_at <= now ? by_hash_.erase(it) : std::next(it);
  }
  by_hash_[Sha256Hex(id)] = {.actor = actor, .csrf_token = RandomHex(32),
                             .expires_at = now + ttl_};
  return id;
}

std::optional<Session> Sessions::Find(absl::string_view id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = by_hash_.find(Sha256Hex(id));
  if (it == by_hash_.end() || it->second.expires_at <= now) return std::nullopt;
  return it->second;
}

void Sessions::Remove(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  by_hash_.erase(Sha256Hex(id));
}

namespace {
std::string MagicMac(absl::string_view secret, absl::string_view payload) {
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
  crypto_hash_sha256(key, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(payload.data()),
                         payload.size(), key);
  return Hex(mac, sizeof mac);
}
}  // namespace

std::string SignMagicLink(absl::string_view secret, int64_t contact_id, absl::Time expires) {
  std::string payload =
      absl::StrCat(contact_id, ".", absl::ToUnixSeconds(expires), ".", RandomHex(16));
  return absl::StrCat(payload, ".", MagicMac(secret, payload));
}

absl::StatusOr<VerifiedMagicLink> VerifyMagicLink(absl::string_view secret, absl::string_view token,
                                          absl::Time now) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  int64_t contact = 0, expires = 0;
  if (token.size() > 200 || parts.size() != 4 || !absl::SimpleAtoi(parts[0], &contact) ||
      !absl::SimpleAtoi(parts[1], &expires) || contact <= 0 || parts[2].size() != 32) {
    return absl::UnauthenticatedError("token: not a magic link");
  }
  std::string payload = absl::StrCat(parts[0], ".", parts[1], ".", parts[2]);
  if (!ConstantTimeEquals(MagicMac(secret, payload), parts[3])) {
    return absl::UnauthenticatedError("token: bad signature");
  }
  if (expires > absl::ToUnixSeconds(absl::InfiniteFuture()) / 2 ||
      absl::FromUnixSeconds(expires) <= now) {
    return absl::UnauthenticatedError("token: the link has expired");
  }
  return VerifiedMagicLink{.contact_id = contact, .expires = absl::FromUnixSeconds(expires)};
}

}  // namespace helpdesk::serve
