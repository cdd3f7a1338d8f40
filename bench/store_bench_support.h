// What store_bench.cc (creating tickets) and store_bench_query.cc (querying
// them) share: temp directories and fatal errors, realistic tickets, a
// benchmark database on the Desk, and the raw sqlite3 handle and ticket
// writer the baselines use (see store_bench.cc's opening comment).
#ifndef HELPDESK_TESTS_STORE_BENCH_SUPPORT_H_
#define HELPDESK_TESTS_STORE_BENCH_SUPPORT_H_

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "helpdesk/audit.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/workflow.h"
#include "storage/sqlite_ticket_query.h"

namespace helpdesk {

// --- Helpers -----------------------------------------------------------------

// The temp directories alive now, so that Die() can remove them (exit()
// skips the destructors of local objects).
inline std::set<std::string>& LiveTempDirs() {
  static std::set<std::string>* dirs = new std::set<std::string>();
  return *dirs;
}

[[noreturn]] inline void Die(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "store_bench: %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), status.ToString().c_str());
  for (const std::string& dir : LiveTempDirs()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::exit(1);
}

template <typename T>
inline T Must(absl::StatusOr<T> value, absl::string_view what) {
  if (!value.ok()) Die(what, value.status());
  return *std::move(value);
}

inline void Must(const absl::Status& status, absl::string_view what) {
  if (!status.ok()) Die(what, status);
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                                       "/store_bench.XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      Die("mkdtemp", absl::InternalError(pattern));
    }
    path_ = pattern;
    LiveTempDirs().insert(path_);
  }
  ~TempDir() {
    LiveTempDirs().erase(path_);
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(absl::string_view name) const {
    return absl::StrCat(path_, "/", name);
  }

 private:
  std::string path_;
};

// A raw sqlite3 connection with owned prepared statements.
class RawDb {
 public:
  // Opens like the store does: no mutex, extended codes, the same
  // synchronous setting (journal_mode=WAL is stored in the file).
  // `cache_kib` > 0 sets the page cache size (PRAGMA cache_size = -cache_kib).
  explicit RawDb(const std::string& path, bool read_only = false,
                 int cache_kib = 0) {
    int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      Die("sqlite3_open_v2", absl::InternalError(sqlite3_errmsg(db_)));
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    Exec("PRAGMA synchronous = NORMAL");
    if (cache_kib > 0) {
      Exec(absl::StrCat("PRAGMA cache_size = -", cache_kib).c_str());
    }
  }
  ~RawDb() {
    for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  sqlite3* db() const { return db_; }

  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK) {
      Die(sql, absl::InternalError(sqlite3_errmsg(db_)));
    }
    statements_.push_back(stmt);
    return stmt;
  }

  void Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      Die(sql, absl::InternalError(message));
    }
  }

  // Steps a statement that returns no rows and resets it. False on error.
  bool Run(sqlite3_stmt* stmt) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE) return true;
    std::fprintf(stderr, "store_bench: sqlite3_step: %s\n", sqlite3_errmsg(db_));
    return false;
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

// The page cache of SqliteStore's read-write connection (its OpenSqliteStore
// sets PRAGMA cache_size = -32768); the raw writers use the same. Its
// read-only connections keep SQLite's default, as the raw reader does.
inline constexpr int kStoreWriterCacheKib = 32768;

// --- Realistic tickets -------------------------------------------------------

// 300 to 320 bytes of customer prose; `n` varies a few words.
inline std::string Description(int n) {
  static const char* const kOpenings[] = {
      "Hello support team,", "Hi there,", "Good morning,", "Dear support,"};
  static const char* const kProblems[] = {
      "since the update on Monday the VPN client disconnects roughly every "
      "hour and I have to sign in again, which interrupts calls",
      "the invoice for last month shows two charges for the same seat and the "
      "billing page will not let me download the corrected PDF",
      "our shared mailbox stopped receiving messages from the contact form "
      "yesterday afternoon, although the form says it was submitted",
      "the mobile app crashes when I open an attachment larger than a few "
      "megabytes, on both my phone and my colleague's tablet"};
  return absl::StrCat(
      kOpenings[n % 4], " ", kProblems[(n / 4) % 4],
      ". I already restarted the device and cleared the cache, but nothing "
      "changed. It also happens on the office network. Could you please "
      "have a look? Reference ",
      100000 + n, ". Thanks, Ada");
}

// A pool of realistic new tickets: subject, 2 tags, ~300-byte description,
// a requester, a group, a priority. The raw baseline writes the same ones.
inline std::vector<NewTicket> TicketPool(int64_t requester_id, int64_t group_id) {
  static const char* const kSubjects[] = {
      "VPN drops every hour", "Charged twice for one seat",
      "Contact form mails not arriving", "App crashes on large attachments",
      "Cannot reset my password", "Export to CSV times out",
      "Wrong time zone in reports", "SSO login loops back to the start page"};
  static const char* const kTags[] = {"vpn",     "billing", "email",
                                      "mobile",  "login",   "export",
                                      "reports", "sso",     "urgent-customer",
                                      "enterprise"};
  static const v1::Priority kPriorities[] = {
      v1::PRIORITY_NORMAL, v1::PRIORITY_LOW, v1::PRIORITY_NORMAL,
      v1::PRIORITY_HIGH,   v1::PRIORITY_NORMAL, v1::PRIORITY_URGENT,
      v1::PRIORITY_NORMAL, v1::PRIORITY_LOW};
  std::vector<NewTicket> pool;
  for (int i = 0; i < 64; ++i) {
    NewTicket t;
    t.subject = absl::StrCat(kSubjects[i % 8], " (case ", 4000 + i, ")");
    t.requester_id = requester_id;
    t.group_id = group_id;
    t.description = Description(i);
    t.priority = kPriorities[(i / 3) % 8];
    t.status = "open";
    std::string a = kTags[i % 10];
    std::string b = kTags[(i * 7 + 3) % 10];
    if (a == b) b = kTags[(i + 1) % 10];
    if (b < a) std::swap(a, b);
    t.tags = {a, b};
    pool.push_back(std::move(t));
  }
  return pool;
}

// What a fresh benchmark database holds before the timing loop: made by
// OpenSqliteStore and filled through the Desk.
struct DeskSetup {
  int64_t contact_id = 0;
  int64_t group_id = 0;
  int64_t agent_id = 0;
};

inline absl::Time BenchStart() {
  return absl::FromCivil(absl::CivilSecond(2025, 3, 3, 9, 0, 0),
                         absl::UTCTimeZone());
}

inline DeskSetup SetUpDesk(Desk& desk) {
  DeskSetup s;
  const v1::Actor system = SystemActor();
  s.contact_id = Must(desk.people().CreateContact(system, {.name = "Ada Lovelace",
                                                  .emails = {"ada@example.com"}}),
                      "CreateContact")
                     .id();
  s.group_id = Must(desk.people().CreateGroup(system, "Tier 1"), "CreateGroup").id();
  s.agent_id = Must(desk.people().CreateAgent(system, {.name = "Grace Hopper",
                                              .email = "grace@example.com",
                                              .group_ids = {s.group_id}}),
                    "CreateAgent")
                   .id();
  return s;
}

// A benchmark database on the Desk: temp dir, store, clock, desk, setup.
struct DeskDb {
  TempDir dir;
  std::string path = dir.File("helpdesk.db");
  std::unique_ptr<Store> store = Must(OpenSqliteStore(path), "OpenSqliteStore");
  ManualClock clock{BenchStart()};
  std::unique_ptr<Desk> desk =
      Must(Desk::Open({.store = store.get(), .clock = &clock}), "Desk::Open");
  DeskSetup setup = SetUpDesk(*desk);
};

// --- The raw sqlite3 writer ------------------------------------------------

// Writes exactly the rows Tickets::Create writes for a NewTicket whose
// requester belongs to no organization, with no attachments, CCs, followers
// or custom fields, and a customer message as description (what the
// benchmarks create), acting as `actor`; with hand-written prepared
// statements. Statuses and their categories come from the default workflow;
// the desk has no SLA policies.
class RawTicketWriter {
 public:
  RawTicketWriter(RawDb& db, v1::Actor actor)
      : db_(db),
        begin_(db.Prepare("BEGIN IMMEDIATE")),
        commit_(db.Prepare("COMMIT")),
        insert_ticket_(db.Prepare(
            "INSERT INTO tickets (id, version, status, status_category, "
            "priority, assignee_id, group_id, requester_id, organization_id, "
            "subject, created_us, updated_us, merged_into, proto, "
            "sla_deadline_us) "
            "VALUES (NULL, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")),
        insert_tag_(db.Prepare(
            "INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)")),
        insert_message_(db.Prepare(
            "INSERT INTO messages (ticket_id, proto) VALUES (?, ?)")),
        insert_event_(db.Prepare(
            "INSERT INTO events (ticket_id, proto, time_micros) VALUES (?, ?, ?)")),
        savepoint_(db.Prepare("SAVEPOINT helpdesk_call")),
        release_(db.Prepare("RELEASE helpdesk_call")),
        actor_(std::move(actor)) {
    const Workflow& workflow = Workflow::Default();
    for (const std::string& name : workflow.StatusNames()) {
      categories_.emplace_back(name, Must(workflow.CategoryOf("status", name),
                                          "Workflow::CategoryOf"));
    }
  }

  // When set, the ticket row and its tags are written inside
  // "SAVEPOINT helpdesk_call ... RELEASE helpdesk_call", as
  // SqliteStore::InsertTicket does (a diagnostic, not the baseline).
  void set_use_savepoint(bool use) { use_savepoint_ = use; }

  bool Begin() { return db_.Run(begin_); }
  bool Commit() { return db_.Run(commit_); }

  v1::StatusCategory CategoryOf(const std::string& status) const {
    for (const auto& [name, category] : categories_) {
      if (name == status) return category;
    }
    Die("RawTicketWriter", absl::InvalidArgumentError(status));
  }

  // The protos Desk builds, as stored (ids the columns hold are cleared).
  void BuildTicket(const NewTicket& in, absl::Time now, v1::Ticket* t) const {
    t->Clear();
    t->set_subject(in.subject);
    t->set_status(in.status);
    const v1::StatusCategory category = CategoryOf(in.status);
    t->set_status_category(category);
    t->set_priority(in.priority);
    t->set_type(in.type);
    std::set<std::string> tags(in.tags.begin(), in.tags.end());
    for (const std::string& tag : tags) t->add_tags(tag);
    t->set_requester_id(in.requester_id);
    t->set_assignee_id(in.assignee_id);
    t->set_group_id(in.group_id);
    t->set_channel(in.channel);
    *t->mutable_created_at() = ToTimestamp(now);
    *t->mutable_updated_at() = ToTimestamp(now);
    if (category == v1::STATUS_CATEGORY_SOLVED) {
      *t->mutable_solved_at() = ToTimestamp(now);
    }
    t->set_message_count(1);
    t->set_public_reply_count(0);  // the description is a customer message
  }
  void BuildMessage(const NewTicket& in, absl::Time now, int64_t ticket_id,
                    v1::Message* m) const {
    m->Clear();
    m->set_kind(in.description_kind);
    *m->mutable_author() = ContactActor(in.requester_id);
    m->set_body_text(in.description);
    m->set_channel(in.channel);
    *m->mutable_created_at() = ToTimestamp(now);
    m->set_origin_ticket_id(ticket_id);
  }
  void BuildEvent(const v1::Ticket& t, absl::Time now, int64_t ticket_id,
                  int64_t message_id, v1::Event* e) const {
    e->Clear();
    e->set_kind(v1::Event::TICKET_CREATED);
    e->set_message_id(message_id);
    e->set_message_kind(v1::Message::CUSTOMER_MESSAGE);
    // As the desk writes a creation (desk_tickets.cc).
    auto change = [&](v1::FieldChange::Field field, v1::FieldValue after) {
      AddChange(e->mutable_changes(), field, std::nullopt, std::move(after));
    };
    change(v1::FieldChange::SUBJECT, TextValue(t.subject()));
    change(v1::FieldChange::STATUS, StatusValue(t.status()));
    change(v1::FieldChange::PRIORITY, PriorityValue(t.priority()));
    change(v1::FieldChange::REQUESTER, ContactValue(t.requester_id()));
    if (t.type() != v1::TICKET_TYPE_UNSPECIFIED) {
      change(v1::FieldChange::TYPE, TypeValue(t.type()));
    }
    if (t.assignee_id() != 0) change(v1::FieldChange::ASSIGNEE, AgentValue(t.assignee_id()));
    if (t.group_id() != 0) change(v1::FieldChange::GROUP, GroupValue(t.group_id()));
    if (t.tags_size() > 0) change(v1::FieldChange::TAGS, TagsValue(t.tags()));
    e->set_ticket_id(ticket_id);
    *e->mutable_actor() = actor_;
    *e->mutable_time() = ToTimestamp(now);
    e->set_ticket_version(1);
  }

  // Blobs serialized once for a pool entry (message and event without ids).
  struct Blobs {
    std::string ticket, message, event;
  };
  Blobs Preserialize(const NewTicket& in, absl::Time now) const {
    Blobs b;
    v1::Ticket t;
    v1::Message m;
    v1::Event e;
    BuildTicket(in, now, &t);
    BuildMessage(in, now, 0, &m);
    BuildEvent(t, now, 0, 0, &e);
    t.SerializeToString(&b.ticket);
    m.SerializeToString(&b.message);
    e.SerializeToString(&b.event);
    return b;
  }

  // Writes one ticket; `blobs` null to build and serialize the protos here.
  // `in.tags` must be normalised (lower case, unique, sorted), as the pools
  // make them.
  bool Write(const NewTicket& in, absl::Time now, const Blobs* blobs) {
    const int64_t now_us = ToUnixMicrosFloor(now);
    const std::string* ticket_bytes = nullptr;
    if (blobs != nullptr) {
      ticket_bytes = &blobs->ticket;
    } else {
      BuildTicket(in, now, &ticket_);
      ticket_bytes_.clear();
      ticket_.SerializeToString(&ticket_bytes_);
      ticket_bytes = &ticket_bytes_;
    }
    if (use_savepoint_ && !db_.Run(savepoint_)) return false;
    sqlite3_stmt* s = insert_ticket_;
    sqlite3_bind_text(s, 1, in.status.data(), static_cast<int>(in.status.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, CategoryOf(in.status));
    sqlite3_bind_int64(s, 3, in.priority);
    sqlite3_bind_int64(s, 4, in.assignee_id);
    sqlite3_bind_int64(s, 5, in.group_id);
    sqlite3_bind_int64(s, 6, in.requester_id);
    sqlite3_bind_int64(s, 7, 0);  // the requester's organization
    sqlite3_bind_text(s, 8, in.subject.data(),
                      static_cast<int>(in.subject.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, now_us);
    sqlite3_bind_int64(s, 10, now_us);
    sqlite3_bind_blob(s, 11, ticket_bytes->data(),
                      static_cast<int>(ticket_bytes->size()), SQLITE_STATIC);
    // No SLA policy applies (the desks here have none): no deadline, which
    // the store keeps as INT64_MAX.
    sqlite3_bind_int64(s, 12, std::numeric_limits<int64_t>::max());
    if (!db_.Run(s)) return false;
    const int64_t id = sqlite3_last_insert_rowid(db_.db());
    for (const std::string& tag : in.tags) {
      sqlite3_bind_int64(insert_tag_, 1, id);
      sqlite3_bind_text(insert_tag_, 2, tag.data(), static_cast<int>(tag.size()),
                        SQLITE_STATIC);
      if (!db_.Run(insert_tag_)) return false;
    }
    if (use_savepoint_ && !db_.Run(release_)) return false;

    const std::string* message_bytes = nullptr;
    if (blobs != nullptr) {
      message_bytes = &blobs->message;
    } else {
      BuildMessage(in, now, id, &message_);
      message_bytes_.clear();
      message_.SerializeToString(&message_bytes_);
      message_bytes = &message_bytes_;
    }
    sqlite3_bind_int64(insert_message_, 1, id);
    sqlite3_bind_blob(insert_message_, 2, message_bytes->data(),
                      static_cast<int>(message_bytes->size()), SQLITE_STATIC);
    if (!db_.Run(insert_message_)) return false;
    const int64_t message_id = sqlite3_last_insert_rowid(db_.db());

    const std::string* event_bytes = nullptr;
    if (blobs != nullptr) {
      event_bytes = &blobs->event;
    } else {
      BuildEvent(ticket_, now, id, message_id, &event_);
      event_bytes_.clear();
      event_.SerializeToString(&event_bytes_);
      event_bytes = &event_bytes_;
    }
    sqlite3_bind_int64(insert_event_, 1, id);
    sqlite3_bind_blob(insert_event_, 2, event_bytes->data(),
                      static_cast<int>(event_bytes->size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert_event_, 3, now_us);  // schema step 7's events.time_micros
    return db_.Run(insert_event_);
  }

 private:
  RawDb& db_;
  sqlite3_stmt* begin_;
  sqlite3_stmt* commit_;
  sqlite3_stmt* insert_ticket_;
  sqlite3_stmt* insert_tag_;
  sqlite3_stmt* insert_message_;
  sqlite3_stmt* insert_event_;
  sqlite3_stmt* savepoint_;
  sqlite3_stmt* release_;
  bool use_savepoint_ = false;
  const v1::Actor actor_;
  std::vector<std::pair<std::string, v1::StatusCategory>> categories_;
  // Reused between rows, as a careful hand-written loop would.
  v1::Ticket ticket_;
  v1::Message message_;
  v1::Event event_;
  std::string ticket_bytes_, message_bytes_, event_bytes_;
};

// A raw benchmark database: made and set up exactly as DeskDb, then the store
// is closed and the file reopened with the sqlite3 C API, with the page cache
// of the store's writer.
struct RawSqliteDbForCreate {
  TempDir dir;
  std::string path = dir.File("helpdesk.db");
  DeskSetup setup = [this] {
    std::unique_ptr<Store> store = Must(OpenSqliteStore(path), "OpenSqliteStore");
    ManualClock clock(BenchStart());
    std::unique_ptr<Desk> desk =
        Must(Desk::Open({.store = store.get(), .clock = &clock}), "Desk::Open");
    return SetUpDesk(*desk);
  }();
  RawDb db{path, /*read_only=*/false, kStoreWriterCacheKib};
  RawTicketWriter writer{db, AgentActor(setup.agent_id)};
};

// Frees the query benchmarks' database (store_bench_query.cc); main calls it
// after the benchmarks ran.
void UnloadQueryFixture();

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_STORE_BENCH_SUPPORT_H_
