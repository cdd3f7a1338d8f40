// Benchmarks of the SQLite store through the Desk, each judged against raw
// sqlite3 in the same binary (issue 2, "Speed").
//
// Creating tickets (target: Desk within 2x of raw sqlite3 in both modes):
//   BM_Desk_CreateTicket                     one Tickets::Create per transaction
//   BM_Desk_CreateTicketRouted/online:N      the same on a desk that routes (N
//                                            agents online: each ticket placed)
//   BM_RawSqlite_CreateTicket/...            the same rows, hand-written sqlite3
//   BM_Desk_CreateTicketsBatch/batch:1000    Tickets::CreateMany, 1,000 per transaction
//   BM_RawSqlite_CreateTicketsBatch/...      the same rows, 1,000 per transaction
// Every creation benchmark starts from a fresh database file in a fresh temp
// directory, made by OpenSqliteStore (WAL, default options, so the raw
// baseline has exactly the store's tables and indexes) and set up through the
// Desk (one contact, one group, one agent, who creates the tickets) outside
// the timing loop. The tickets are realistic: a subject, 2 tags, a ~300-byte
// description, a requester, a group, a priority. The raw baseline closes the
// store, opens the file with the sqlite3 C API (synchronous=NORMAL and the
// page cache of the store's writer) and writes what Tickets::Create
// writes: the tickets row, its ticket_tags rows, the first message row and
// the TICKET_CREATED event row, with prepared statements and BEGIN IMMEDIATE
// / COMMIT per transaction. Raw arguments:
//   preserialized:0  builds and serializes the ticket, message and event
//                    protos per row (the baseline: the blobs carry per-row
//                    ids, so this is the only way to write the same bytes);
//   preserialized:1  serializes each blob once outside the loop (message and
//                    event blobs then lack the ids): the floor of raw cost;
//   savepoint:1      wraps the ticket row and its tags in SAVEPOINT/RELEASE,
//                    as SqliteStore::InsertTicket does: a diagnostic that
//                    shows what the savepoint alone costs.
// Before any benchmark runs, main() checks that the raw writer stores, byte
// for byte, the rows the Desk stores (and exits with both dumps if not).
//
// Querying (target: under 1 ms): "the 50 oldest open tickets of group G by
// priority" over HELPDESK_BENCH_TICKETS tickets (default 1,000,000; see
// QueryFixture::Load for the mix), built once per process on first use:
//   BM_Desk_QueryOldestOpenByPriority/page:P       Tickets::Query (system)
//   BM_Store_QueryOldestOpenByPriority/page:P      a read-only Transaction
//   BM_RawSqlite_QueryOldestOpenByPriority/page:P  hand-written SQL, same file
// page:1 is the first page; page:5 fetches the fifth page with the cursor
// page 4 returned (found outside the loop), to show that stable pagination
// costs no more deep in the queue. Each iteration queries the next of the 20
// groups. Items are queries.
//
//   cmake --preset release && cmake --build --preset release --target store_bench
//   ./build/release/bench/store_bench --benchmark_counters_tabular=true
//   HELPDESK_BENCH_TICKETS=100000 ./build/release/bench/store_bench --benchmark_filter=Query
//   HELPDESK_BENCH_LOAD=desk ...   loads through Tickets::CreateMany (slower)
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
namespace {

// --- Helpers -----------------------------------------------------------------

// The temp directories alive now, so that Die() can remove them (exit()
// skips the destructors of local objects).
std::set<std::string>& LiveTempDirs() {
  static std::set<std::string>* dirs = new std::set<std::string>();
  return *dirs;
}

[[noreturn]] void Die(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "store_bench: %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), status.ToString().c_str());
  for (const std::string& dir : LiveTempDirs()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, absl::string_view what) {
  if (!value.ok()) Die(what, value.status());
  return *std::move(value);
}

void Must(const absl::Status& status, absl::string_view what) {
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
constexpr int kStoreWriterCacheKib = 32768;

// --- Realistic tickets -------------------------------------------------------

// 300 to 320 bytes of customer prose; `n` varies a few words.
std::string Description(int n) {
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
std::vector<NewTicket> TicketPool(int64_t requester_id, int64_t group_id) {
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

absl::Time BenchStart() {
  return absl::FromCivil(absl::CivilSecond(2025, 3, 3, 9, 0, 0),
                         absl::UTCTimeZone());
}

DeskSetup SetUpDesk(Desk& desk) {
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
            "INSERT INTO events (ticket_id, proto) VALUES (?, ?)")),
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

// --- The rows are the same ---------------------------------------------------

// Every row of the tables a ticket creation writes, as text (blobs in hex).
std::string DumpTicketRows(const std::string& path) {
  RawDb db(path, /*read_only=*/true);
  std::string out;
  for (const char* sql :
       {"SELECT * FROM tickets ORDER BY id", "SELECT * FROM ticket_tags",
        "SELECT * FROM ticket_ccs", "SELECT * FROM messages ORDER BY id",
        "SELECT * FROM events ORDER BY id", "SELECT * FROM attachments"}) {
    sqlite3_stmt* stmt = db.Prepare(sql);
    absl::StrAppend(&out, sql, "\n");
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* data =
            static_cast<const unsigned char*>(sqlite3_column_blob(stmt, c));
        int size = sqlite3_column_bytes(stmt, c);
        static const char kHex[] = "0123456789abcdef";
        absl::StrAppend(&out, c == 0 ? "" : "|", sqlite3_column_type(stmt, c), ":");
        for (int i = 0; i < size; ++i) {
          out.push_back(kHex[data[i] >> 4]);
          out.push_back(kHex[data[i] & 15]);
        }
      }
      out.push_back('\n');
    }
  }
  return out;
}

// Exits unless the raw writer stores byte for byte the rows the Desk stores,
// one ticket per transaction and a batch in one, for the benchmarks' tickets
// and for the statuses, assignees and groups the query fixture loads.
void CheckRawWritesWhatDeskWrites() {
  DeskDb desk_db;
  RawSqliteDbForCreate raw_db;
  std::vector<NewTicket> tickets =
      TicketPool(desk_db.setup.contact_id, desk_db.setup.group_id);
  tickets.resize(10);
  tickets[5].status = "new";
  tickets[5].group_id = 0;
  tickets[6].status = "pending";
  tickets[6].assignee_id = desk_db.setup.agent_id;
  tickets[7].status = "solved";
  tickets[7].assignee_id = desk_db.setup.agent_id;
  tickets[8].status = "on_hold";
  tickets[8].assignee_id = desk_db.setup.agent_id;
  tickets[8].priority = v1::PRIORITY_URGENT;
  const v1::Actor actor = AgentActor(desk_db.setup.agent_id);
  const absl::Time now = desk_db.clock.Now();
  for (int i = 0; i < 3; ++i) {
    Must(desk_db.desk->tickets().Create(actor, tickets[i]).status(), "CreateTicket");
    if (!raw_db.writer.Begin() || !raw_db.writer.Write(tickets[i], now, nullptr) ||
        !raw_db.writer.Commit()) {
      Die("raw write", absl::InternalError("failed"));
    }
  }
  Must(desk_db.desk
           ->tickets().CreateMany(actor, absl::MakeConstSpan(tickets).subspan(3))
           .status(),
       "CreateTickets");
  bool ok = raw_db.writer.Begin();
  for (size_t i = 3; i < tickets.size(); ++i) {
    ok = ok && raw_db.writer.Write(tickets[i], now, nullptr);
  }
  if (!ok || !raw_db.writer.Commit()) {
    Die("raw write", absl::InternalError("failed"));
  }

  std::string desk_rows = DumpTicketRows(desk_db.path);
  std::string raw_rows = DumpTicketRows(raw_db.path);
  if (desk_rows != raw_rows) {
    std::fprintf(stderr,
                 "store_bench: the raw baseline does not write the rows the "
                 "Desk writes; update RawTicketWriter.\n--- Desk:\n%s--- raw:\n%s",
                 desk_rows.c_str(), raw_rows.c_str());
    Die("CheckRawWritesWhatDeskWrites", absl::InternalError("rows differ"));
  }
}

// --- Creating tickets --------------------------------------------------------

void BM_Desk_CreateTicket(benchmark::State& state) {
  DeskDb db;
  const std::vector<NewTicket> pool =
      TicketPool(db.setup.contact_id, db.setup.group_id);
  const v1::Actor actor = AgentActor(db.setup.agent_id);
  size_t next = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::Ticket> t =
        db.desk->tickets().Create(actor, pool[next++ % pool.size()]);
    if (!t.ok()) {
      state.SkipWithError(t.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(t->id());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Desk_CreateTicket);

// The same commands on a desk that routes (least loaded): `online` agents of
// the group are online with room for every ticket on the API channel, so each
// ticket is also placed (in the create's own transaction: the assignment and
// its ROUTED event are two more writes before the one commit); with online:0
// every ticket only joins the visible queue. Compare with
// BM_Desk_CreateTicket of the same run (issue 12's target: online:50 at
// least 75% of its rate; two transactions per routed create gave about 50%).
void BM_Desk_CreateTicketRouted(benchmark::State& state) {
  TempDir dir;
  std::unique_ptr<Store> store =
      Must(OpenSqliteStore(dir.File("helpdesk.db")), "OpenSqliteStore");
  ManualClock clock{BenchStart()};
  RoutingOptions routing;
  routing.policy.mutable_least_loaded();
  std::unique_ptr<Desk> desk = Must(
      Desk::Open({.store = store.get(), .clock = &clock, .routing = routing}),
      "Desk::Open");
  DeskSetup setup = SetUpDesk(*desk);
  v1::ChannelCapacity api;
  api.set_channel(v1::CHANNEL_API);
  api.set_max_items(10000);
  for (int64_t i = 0; i < state.range(0); ++i) {
    v1::Agent a = Must(desk->people().CreateAgent(SystemActor(),
                                         {.name = absl::StrCat("Agent ", i),
                                          .email = absl::StrCat("a", i, "@example.com"),
                                          .group_ids = {setup.group_id},
                                          .capacity = {api}}),
                       "CreateAgent");
    Must(desk->people().SetAgentPresence(SystemActor(), a.id(), v1::PRESENCE_ONLINE),
         "SetAgentPresence");
  }
  const std::vector<NewTicket> pool = TicketPool(setup.contact_id, setup.group_id);
  const v1::Actor actor = AgentActor(setup.agent_id);
  size_t next = 0;
  int64_t routed = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::Ticket> t = desk->tickets().Create(actor, pool[next++ % pool.size()]);
    if (!t.ok()) {
      state.SkipWithError(t.status().ToString().c_str());
      break;
    }
    routed += t->assignee_id() != 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["routed"] = static_cast<double>(routed);
}
BENCHMARK(BM_Desk_CreateTicketRouted)->ArgName("online")->Arg(0)->Arg(50);

void BM_RawSqlite_CreateTicket(benchmark::State& state) {
  const bool preserialized = state.range(0) != 0;
  RawSqliteDbForCreate db;
  db.writer.set_use_savepoint(state.range(1) != 0);
  const std::vector<NewTicket> pool =
      TicketPool(db.setup.contact_id, db.setup.group_id);
  const absl::Time now = BenchStart();
  std::vector<RawTicketWriter::Blobs> blobs;
  if (preserialized) {
    for (const NewTicket& t : pool) blobs.push_back(db.writer.Preserialize(t, now));
  }
  size_t next = 0;
  for (auto _ : state) {
    size_t i = next++ % pool.size();
    if (!db.writer.Begin() ||
        !db.writer.Write(pool[i], now, preserialized ? &blobs[i] : nullptr) ||
        !db.writer.Commit()) {
      state.SkipWithError("raw sqlite3 write failed");
      break;
    }
  }
  benchmark::DoNotOptimize(sqlite3_last_insert_rowid(db.db.db()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawSqlite_CreateTicket)
    ->ArgNames({"preserialized", "savepoint"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1});

void BM_Desk_CreateTicketsBatch(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  DeskDb db;
  const std::vector<NewTicket> pool =
      TicketPool(db.setup.contact_id, db.setup.group_id);
  std::vector<NewTicket> tickets;
  for (size_t i = 0; i < batch; ++i) tickets.push_back(pool[i % pool.size()]);
  const v1::Actor actor = AgentActor(db.setup.agent_id);
  for (auto _ : state) {
    absl::StatusOr<std::vector<v1::Ticket>> created =
        db.desk->tickets().CreateMany(actor, tickets);
    if (!created.ok()) {
      state.SkipWithError(created.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(created->back().id());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}
BENCHMARK(BM_Desk_CreateTicketsBatch)->ArgName("batch")->Arg(1000);

void BM_RawSqlite_CreateTicketsBatch(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  const bool preserialized = state.range(1) != 0;
  RawSqliteDbForCreate db;
  db.writer.set_use_savepoint(state.range(2) != 0);
  const std::vector<NewTicket> pool =
      TicketPool(db.setup.contact_id, db.setup.group_id);
  const absl::Time now = BenchStart();
  std::vector<RawTicketWriter::Blobs> blobs;
  if (preserialized) {
    for (const NewTicket& t : pool) blobs.push_back(db.writer.Preserialize(t, now));
  }
  for (auto _ : state) {
    bool ok = db.writer.Begin();
    for (size_t n = 0; ok && n < batch; ++n) {
      size_t i = n % pool.size();
      ok = db.writer.Write(pool[i], now, preserialized ? &blobs[i] : nullptr);
    }
    if (!ok || !db.writer.Commit()) {
      state.SkipWithError("raw sqlite3 write failed");
      break;
    }
  }
  benchmark::DoNotOptimize(sqlite3_last_insert_rowid(db.db.db()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}
BENCHMARK(BM_RawSqlite_CreateTicketsBatch)
    ->ArgNames({"batch", "preserialized", "savepoint"})
    ->Args({1000, 0, 0})
    ->Args({1000, 1, 0})
    ->Args({1000, 0, 1});

// --- Querying 1,000,000 tickets ------------------------------------------------

constexpr int kGroups = 20;
constexpr int kPageSize = 50;

int64_t TicketsToLoad() {
  int64_t n = 1000000;
  const char* env = std::getenv("HELPDESK_BENCH_TICKETS");
  if (env != nullptr && *env != '\0' && (!absl::SimpleAtoi(env, &n) || n < 1000)) {
    Die("HELPDESK_BENCH_TICKETS",
        absl::InvalidArgumentError(absl::StrCat("'", env, "' is not a number >= 1000")));
  }
  return n;
}

// True to load through Tickets::CreateMany (HELPDESK_BENCH_LOAD=desk) rather
// than the raw writer (the default; "raw").
bool LoadThroughDesk() {
  const char* env = std::getenv("HELPDESK_BENCH_LOAD");
  if (env == nullptr || *env == '\0' || std::string_view(env) == "raw") return false;
  if (std::string_view(env) == "desk") return true;
  Die("HELPDESK_BENCH_LOAD",
      absl::InvalidArgumentError(absl::StrCat("'", env, "' is not raw or desk")));
}

// The hand-written equivalent of the store's query for TicketQuery{statuses =
// {"open"}, group_id = G, sort = kPriorityThenOldest, limit = 50}: the first
// page, and a later page after (priority, created_us, id) as two index ranges
// merged in order (the same priority and later, or a lower priority).
constexpr char kRawFirstPageSql[] =
    "SELECT id, version, proto FROM tickets "
    "WHERE status = 'open' AND group_id = ?1 AND merged_into = 0 "
    "ORDER BY priority DESC, created_us, id LIMIT 51";
constexpr char kRawNextPageSql[] =
    "SELECT id, version, proto, priority, created_us FROM tickets "
    "WHERE status = 'open' AND group_id = ?1 AND merged_into = 0 "
    "AND priority = ?2 AND (created_us, id) > (?3, ?4) "
    "UNION ALL "
    "SELECT id, version, proto, priority, created_us FROM tickets "
    "WHERE status = 'open' AND group_id = ?1 AND merged_into = 0 "
    "AND priority < ?2 "
    "ORDER BY priority DESC, created_us, id LIMIT 51";

// Where a page starts: after the previous page's last ticket.
struct PageStart {
  std::string cursor;  // for Desk and Store; empty for the first page
  int64_t priority = 0;
  int64_t created_us = 0;
  int64_t id = 0;
};

// The tickets of the query benchmarks in one file, loaded once per process on
// first use; Unload() (from main) closes and deletes it.
class QueryFixture {
 public:
  static QueryFixture& Get() {
    std::unique_ptr<QueryFixture>& slot = Slot();
    if (slot == nullptr) slot.reset(new QueryFixture());
    return *slot;
  }
  static void Unload() { Slot().reset(); }

  Desk& desk() { return *desk_; }
  Store& store() { return *store_; }
  const std::string& path() const { return path_; }
  int64_t tickets() const { return tickets_; }
  int64_t group(int i) const { return groups_[static_cast<size_t>(i % kGroups)]; }

  TicketQuery Query(int g) const {
    TicketQuery q;
    q.statuses = {"open"};
    q.group_id = group(g);
    q.sort = TicketSort::kPriorityThenOldest;
    q.limit = kPageSize;
    return q;
  }

  // Where page `page` (1-based) of each group starts, found by paging through
  // the Desk. Errors: FailedPrecondition when a group has fewer pages.
  absl::StatusOr<std::vector<PageStart>> Starts(int page) {
    auto it = starts_.find(page);
    if (it != starts_.end()) return it->second;
    std::vector<PageStart> starts;
    for (int g = 0; g < kGroups; ++g) {
      PageStart start;
      TicketQuery q = Query(g);
      for (int p = 1; p <= page; ++p) {
        q.cursor = start.cursor;
        absl::StatusOr<TicketPage> got = desk_->tickets().Query(SystemActor(), q);
        if (!got.ok()) return got.status();
        if (got->tickets.size() != kPageSize) {
          return absl::FailedPreconditionError(absl::StrCat(
              "group ", group(g), " has fewer than ", page * kPageSize,
              " open tickets; load more (HELPDESK_BENCH_TICKETS)"));
        }
        if (p == page) break;
        const v1::Ticket& last = got->tickets.back();
        start.cursor = got->next_cursor;
        start.priority = last.priority();
        start.created_us = TimestampToMicros(last.created_at());
        start.id = last.id();
      }
      starts.push_back(std::move(start));
    }
    starts_[page] = starts;
    return starts;
  }

 private:
  QueryFixture() { Load(); }
  static std::unique_ptr<QueryFixture>& Slot() {
    static std::unique_ptr<QueryFixture> slot;
    return slot;
  }

  void OpenDesk() {
    store_ = Must(OpenSqliteStore(path_), "OpenSqliteStore");
    desk_ = Must(Desk::Open({.store = store_.get(), .clock = &clock_}),
                 "Desk::Open");
  }
  void Load();
  void ShowPlans();

  TempDir dir_;
  std::string path_ = dir_.File("tickets.db");
  ManualClock clock_{BenchStart()};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  int64_t tickets_ = 0;
  std::vector<int64_t> groups_;
  std::map<int, std::vector<PageStart>> starts_;
};

// The desk a year into its life: 20 groups, 40 agents (2 per group), 500
// requesters, made through the Desk; then the tickets, created over a year
// (spread evenly; the clock ends a year after BenchStart()): priorities low
// 25%, normal 50%, high 17%, urgent 8%; statuses by age: tickets older than
// 30 days are mostly done (90% closed, 4% solved, 3% open, 2% pending, 1%
// on_hold), younger ones are the live queue (10% new, 35% open, 15% pending,
// 5% on_hold, 20% solved, 15% closed); every ticket but the new ones has an
// agent of its group. Each ticket is written as Tickets::Create writes it
// (2 tags, a ~300-byte first message, the TICKET_CREATED event).
//
// The default loader is the raw writer (checked byte for byte against the
// Desk in main), 10,000 tickets per transaction, each with its own created
// time. HELPDESK_BENCH_LOAD=desk loads through Tickets::CreateMany instead,
// 1,000 per transaction sharing one time; the default workflow lets no ticket
// be created closed, so there the closed ones are created solved.
void QueryFixture::Load() {
  tickets_ = TicketsToLoad();
  const bool through_desk = LoadThroughDesk();
  const auto started = std::chrono::steady_clock::now();
  OpenDesk();
  const v1::Actor system = SystemActor();
  for (int g = 0; g < kGroups; ++g) {
    groups_.push_back(
        Must(desk_->people().CreateGroup(system, absl::StrCat("Group ", g + 1)), "CreateGroup")
            .id());
  }
  std::vector<int64_t> agents;
  for (int a = 0; a < 2 * kGroups; ++a) {
    agents.push_back(
        Must(desk_->people().CreateAgent(system, {.name = absl::StrCat("Agent ", a + 1),
                                         .email = absl::StrCat("agent", a + 1,
                                                               "@example.com"),
                                         .group_ids = {groups_[a % kGroups]}}),
             "CreateAgent")
            .id());
  }
  std::vector<int64_t> contacts;
  for (int c = 0; c < 500; ++c) {
    contacts.push_back(
        Must(desk_->people().CreateContact(system,
                                  {.name = absl::StrCat("Customer ", c + 1),
                                   .emails = {absl::StrCat("customer", c + 1,
                                                           "@example.org")}}),
             "CreateContact")
            .id());
  }

  const std::vector<NewTicket> pool = TicketPool(0, 0);
  std::mt19937_64 random(20250303);
  std::discrete_distribution<int> priority({25, 50, 17, 8});
  const char* const kStatuses[] = {"new", "open", "pending", "on_hold", "solved",
                                   "closed"};
  std::discrete_distribution<int> old_status({0, 3, 2, 1, 4, 90});
  std::discrete_distribution<int> young_status({10, 35, 15, 5, 20, 15});
  const absl::Duration year = absl::Hours(24 * 365);
  const absl::Time end = BenchStart() + year;
  auto created_time = [&](int64_t i) {
    return BenchStart() + year * (static_cast<double>(i) / static_cast<double>(tickets_));
  };
  auto make_ticket = [&](int64_t i, absl::Time created) {
    NewTicket t = pool[static_cast<size_t>(i) % pool.size()];
    t.requester_id = contacts[random() % contacts.size()];
    const size_t g = random() % kGroups;
    t.group_id = groups_[g];
    t.priority = static_cast<v1::Priority>(v1::PRIORITY_LOW + priority(random));
    const bool young = end - created <= absl::Hours(24 * 30);
    t.status = kStatuses[young ? young_status(random) : old_status(random)];
    // Agents g and g + 20 serve group g.
    if (t.status != "new") t.assignee_id = agents[g + kGroups * (random() % 2)];
    return t;
  };

  if (through_desk) {
    constexpr int64_t kBatch = 1000;
    std::vector<NewTicket> batch;
    for (int64_t first = 0; first < tickets_; first += kBatch) {
      const absl::Time now = created_time(first);
      clock_.Set(now);
      batch.clear();
      for (int64_t i = first; i < std::min(tickets_, first + kBatch); ++i) {
        batch.push_back(make_ticket(i, now));
        if (batch.back().status == "closed") batch.back().status = "solved";
      }
      Must(desk_->tickets().CreateMany(system, batch).status(), "CreateTickets (loading)");
    }
  } else {
    desk_.reset();
    store_.reset();
    // A big page cache: the loader is set-up, not the thing measured.
    RawDb db(path_, /*read_only=*/false, /*cache_kib=*/256 * 1024);
    RawTicketWriter writer(db, system);
    constexpr int64_t kBatch = 10000;
    for (int64_t first = 0; first < tickets_; first += kBatch) {
      bool ok = writer.Begin();
      for (int64_t i = first; ok && i < std::min(tickets_, first + kBatch); ++i) {
        const absl::Time created = created_time(i);
        ok = writer.Write(make_ticket(i, created), created, nullptr);
      }
      if (!ok || !writer.Commit()) Die("loading", absl::InternalError("raw write"));
    }
    db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  clock_.Set(end);
  if (desk_ == nullptr) OpenDesk();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  std::fprintf(stderr,
               "store_bench: loaded %lld tickets %s in %.1f s (%.0f tickets/s); "
               "%s: %.0f MB\n",
               static_cast<long long>(tickets_),
               through_desk ? "through Tickets::CreateMany (1,000 per transaction)"
                            : "with the raw writer (10,000 per transaction)",
               seconds, static_cast<double>(tickets_) / seconds, path_.c_str(),
               static_cast<double>(std::filesystem::file_size(path_)) / 1e6);
  ShowPlans();
}

// Prints the query plans: each query must be an index range read, no sort.
void QueryFixture::ShowPlans() {
  RawDb db(path_, /*read_only=*/true);
  auto show = [&](absl::string_view what, const std::string& sql) {
    sqlite3_stmt* plan =
        db.Prepare(absl::StrCat("EXPLAIN QUERY PLAN ", sql).c_str());
    while (sqlite3_step(plan) == SQLITE_ROW) {
      std::fprintf(stderr, "store_bench: plan of %.*s: %s\n",
                   static_cast<int>(what.size()), what.data(),
                   reinterpret_cast<const char*>(sqlite3_column_text(plan, 3)));
    }
  };
  TicketQuery first = Query(0);
  TicketQuery next = Query(0);
  next.cursor =
      Must(desk_->tickets().Query(SystemActor(), first), "QueryTickets").next_cursor;
  show("the store's first page",
       Must(internal::BuildTicketQuerySql(first), "BuildTicketQuerySql").sql);
  if (!next.cursor.empty()) {
    show("the store's next pages",
         Must(internal::BuildTicketQuerySql(next), "BuildTicketQuerySql").sql);
  }
  show("the raw first page", kRawFirstPageSql);
  show("the raw next pages", kRawNextPageSql);
}

void SetQueryLabel(benchmark::State& state, QueryFixture& f) {
  state.SetLabel(absl::StrCat(f.tickets(), " tickets"));
  state.SetItemsProcessed(state.iterations());  // items: queries
}

void BM_Desk_QueryOldestOpenByPriority(benchmark::State& state) {
  QueryFixture& f = QueryFixture::Get();
  absl::StatusOr<std::vector<PageStart>> starts =
      f.Starts(static_cast<int>(state.range(0)));
  if (!starts.ok()) {
    state.SkipWithError(starts.status().ToString().c_str());
    return;
  }
  std::vector<TicketQuery> queries;
  for (int g = 0; g < kGroups; ++g) {
    queries.push_back(f.Query(g));
    queries.back().cursor = (*starts)[static_cast<size_t>(g)].cursor;
  }
  const v1::Actor system = SystemActor();
  int g = 0;
  for (auto _ : state) {
    absl::StatusOr<TicketPage> got =
        f.desk().tickets().Query(system, queries[static_cast<size_t>(g++ % kGroups)]);
    if (!got.ok() || got->tickets.size() != kPageSize) {
      state.SkipWithError(got.ok() ? "short page" : got.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(got->tickets.data());
  }
  SetQueryLabel(state, f);
}
BENCHMARK(BM_Desk_QueryOldestOpenByPriority)
    ->ArgName("page")
    ->Arg(1)
    ->Arg(5)
    ->Unit(benchmark::kMicrosecond);

void BM_Store_QueryOldestOpenByPriority(benchmark::State& state) {
  QueryFixture& f = QueryFixture::Get();
  absl::StatusOr<std::vector<PageStart>> starts =
      f.Starts(static_cast<int>(state.range(0)));
  if (!starts.ok()) {
    state.SkipWithError(starts.status().ToString().c_str());
    return;
  }
  std::vector<TicketQuery> queries;
  for (int g = 0; g < kGroups; ++g) {
    queries.push_back(f.Query(g));
    queries.back().cursor = (*starts)[static_cast<size_t>(g)].cursor;
  }
  int g = 0;
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Transaction>> tx =
        f.store().Begin(TransactionMode::kReadOnly);
    if (!tx.ok()) {
      state.SkipWithError(tx.status().ToString().c_str());
      break;
    }
    absl::StatusOr<TicketPage> got =
        (*tx)->QueryTickets(queries[static_cast<size_t>(g++ % kGroups)]);
    if (!got.ok() || got->tickets.size() != kPageSize || !(*tx)->Commit().ok()) {
      state.SkipWithError("query failed");
      break;
    }
    benchmark::DoNotOptimize(got->tickets.data());
  }
  SetQueryLabel(state, f);
}
BENCHMARK(BM_Store_QueryOldestOpenByPriority)
    ->ArgName("page")
    ->Arg(1)
    ->Arg(5)
    ->Unit(benchmark::kMicrosecond);

// Steps through the page (one implicit read transaction, like the store's
// snapshot) and reads the id, version and proto bytes of each row without
// parsing them: the floor under any ticket query on this schema.
void BM_RawSqlite_QueryOldestOpenByPriority(benchmark::State& state) {
  QueryFixture& f = QueryFixture::Get();
  const int page = static_cast<int>(state.range(0));
  RawDb db(f.path(), /*read_only=*/true);
  sqlite3_stmt* stmt = db.Prepare(page == 1 ? kRawFirstPageSql : kRawNextPageSql);
  absl::StatusOr<std::vector<PageStart>> got_starts = f.Starts(page);
  if (!got_starts.ok()) {
    state.SkipWithError(got_starts.status().ToString().c_str());
    return;
  }
  const std::vector<PageStart>& starts = *got_starts;
  int g = 0;
  for (auto _ : state) {
    const int i = g++ % kGroups;
    sqlite3_bind_int64(stmt, 1, f.group(i));
    if (page != 1) {
      sqlite3_bind_int64(stmt, 2, starts[static_cast<size_t>(i)].priority);
      sqlite3_bind_int64(stmt, 3, starts[static_cast<size_t>(i)].created_us);
      sqlite3_bind_int64(stmt, 4, starts[static_cast<size_t>(i)].id);
    }
    // Like the store: LIMIT 51, the 51st row only says there is a next page.
    int rows = 0;
    int64_t bytes = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (rows++ == kPageSize) break;
      benchmark::DoNotOptimize(sqlite3_column_int64(stmt, 0));
      benchmark::DoNotOptimize(sqlite3_column_int64(stmt, 1));
      benchmark::DoNotOptimize(sqlite3_column_blob(stmt, 2));
      bytes += sqlite3_column_bytes(stmt, 2);
    }
    sqlite3_reset(stmt);
    if (rows < kPageSize) {
      state.SkipWithError("short page");
      break;
    }
    benchmark::DoNotOptimize(bytes);
  }
  SetQueryLabel(state, f);
}
BENCHMARK(BM_RawSqlite_QueryOldestOpenByPriority)
    ->ArgName("page")
    ->Arg(1)
    ->Arg(5)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace helpdesk

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  helpdesk::CheckRawWritesWhatDeskWrites();
  benchmark::RunSpecifiedBenchmarks();
  helpdesk::QueryFixture::Unload();
  benchmark::Shutdown();
  return 0;
}
