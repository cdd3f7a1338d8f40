// `helpdesk migrate --from desk.db --to postgresql://...`: copies an SQLite
// database into an empty PostgreSQL store, in one durable transaction (a
// failure leaves the target as empty as it was) with every id kept, so
// references between objects stay true. Versions start again at 1. Thread keys,
// idempotency records and attachment contents, which the Store port cannot
// list, are read from the SQLite file's tables directly.
#include <sqlite3.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/storage/sqlite_store.h"
#ifdef HELPDESK_CLI_WITH_POSTGRES
#include "helpdesk/storage/postgres_store.h"
#endif

namespace helpdesk::cli {
namespace {

// FailedPrecondition unless the id the target assigned is the source's.
absl::Status SameId(absl::string_view what, int64_t source, int64_t target) {
  if (source == target) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "migrate: ", what, " ", source, " would become ", target,
      " in the target (the source has a gap in its ids, or the target is not empty)"));
}

// Reads rows of a simple table of the SQLite file; `row` gets each statement.
template <typename Row>
absl::Status ForEachRow(sqlite3* db, const char* sql, Row row) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("migrate: reading the source: ", sqlite3_errmsg(db)));
  }
  absl::Status status;
  int rc;
  while (status.ok() && (rc = sqlite3_step(stmt)) == SQLITE_ROW) status = row(stmt);
  sqlite3_finalize(stmt);
  return status;
}

std::string Blob(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  return std::string(static_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

absl::Status CopyRaw(const std::string& path, Transaction& to) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("migrate: cannot open '", path, "': ", message));
  }
  absl::Status s = ForEachRow(db, "SELECT key, ticket_id FROM thread_keys", [&](sqlite3_stmt* r) {
    return to.PutThreadKey(Blob(r, 0), sqlite3_column_int64(r, 1));
  });
  if (s.ok()) {
    s = ForEachRow(db, "SELECT scope, key, value, recorded_us FROM idempotency",
                   [&](sqlite3_stmt* r) {
                     return to.PutIdempotencyRecord(
                         Blob(r, 0), Blob(r, 1), Blob(r, 2),
                         absl::FromUnixMicros(sqlite3_column_int64(r, 3)));
                   });
  }
  if (s.ok()) {
    s = ForEachRow(db, "SELECT sha256, content FROM attachments", [&](sqlite3_stmt* r) {
      return to.PutAttachmentContent(Blob(r, 0), Blob(r, 1));
    });
  }
  sqlite3_close(db);
  return s;
}

absl::StatusOr<std::string> Copy(const std::string& from_path, Store& from, Store& to) {
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> src, from.Begin(TransactionMode::kReadOnly));
  HELPDESK_ASSIGN_OR_RETURN(
      std::unique_ptr<Transaction> dst,
      to.Begin(TransactionOptions{.mode = TransactionMode::kReadWrite, .durable = true}));
  // The target must be empty.
  TicketQuery any;
  any.include_merged = true;
  any.limit = 1;
  HELPDESK_ASSIGN_OR_RETURN(TicketPage page, dst->QueryTickets(any));
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> target_agents, dst->ListAgents());
  if (!page.tickets.empty() || !target_agents.empty()) {
    return absl::FailedPreconditionError("migrate: the target store is not empty");
  }
  int64_t counts[8] = {};
  // Organizations and contacts: by id until the first missing one.
  for (int64_t id = 1;; ++id) {
    absl::StatusOr<v1::Organization> o = src->GetOrganization(id);
    if (absl::IsNotFound(o.status())) break;
    if (!o.ok()) return o.status();
    HELPDESK_RETURN_IF_ERROR(dst->InsertOrganization(&*o));
    HELPDESK_RETURN_IF_ERROR(SameId("organization", id, o->id()));
    ++counts[0];
  }
  for (int64_t id = 1;; ++id) {
    absl::StatusOr<v1::Contact> c = src->GetContact(id);
    if (absl::IsNotFound(c.status())) break;
    if (!c.ok()) return c.status();
    HELPDESK_RETURN_IF_ERROR(dst->InsertContact(&*c));
    HELPDESK_RETURN_IF_ERROR(SameId("contact", id, c->id()));
    ++counts[1];
  }
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Group> groups, src->ListGroups());
  for (v1::Group& g : groups) {
    const int64_t id = g.id();
    HELPDESK_RETURN_IF_ERROR(dst->InsertGroup(&g));
    HELPDESK_RETURN_IF_ERROR(SameId("group", id, g.id()));
  }
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> agents, src->ListAgents());
  std::vector<v1::AgentEvent> agent_events;
  for (v1::Agent& a : agents) {
    const int64_t id = a.id();
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::AgentEvent> es, src->ListAgentEvents(id, 0, 0));
    agent_events.insert(agent_events.end(), es.begin(), es.end());
    HELPDESK_RETURN_IF_ERROR(dst->InsertAgent(&a));
    HELPDESK_RETURN_IF_ERROR(SameId("agent", id, a.id()));
    ++counts[2];
  }
  std::sort(agent_events.begin(), agent_events.end(),
            [](const v1::AgentEvent& a, const v1::AgentEvent& b) { return a.id() < b.id(); });
  for (v1::AgentEvent& e : agent_events) {
    const int64_t id = e.id();
    HELPDESK_RETURN_IF_ERROR(dst->AppendAgentEvent(&e));
    HELPDESK_RETURN_IF_ERROR(SameId("agent event", id, e.id()));
  }
  // Tickets keep their ids (InsertTicket takes a given id).
  TicketQuery all;
  all.include_merged = true;
  all.sort = TicketSort::kIdAsc;
  all.limit = kMaxQueryLimit;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(TicketPage p, src->QueryTickets(all));
    for (v1::Ticket& t : p.tickets) {
      HELPDESK_RETURN_IF_ERROR(dst->InsertTicket(&t));
      ++counts[3];
    }
    if (p.next_cursor.empty()) break;
    all.cursor = p.next_cursor;
  }
  for (int64_t id = 1;; ++id) {
    absl::StatusOr<v1::Message> m = src->GetMessage(id);
    if (absl::IsNotFound(m.status())) break;
    if (!m.ok()) return m.status();
    HELPDESK_RETURN_IF_ERROR(dst->InsertMessage(&*m));
    HELPDESK_RETURN_IF_ERROR(SameId("message", id, m->id()));
    ++counts[4];
  }
  for (int64_t after = 0;;) {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> es, src->ListEventsSince(after, 10000));
    if (es.empty()) break;
    after = es.back().id();
    for (v1::Event& e : es) {
      const int64_t id = e.id();
      HELPDESK_RETURN_IF_ERROR(dst->AppendEvent(&e));
      HELPDESK_RETURN_IF_ERROR(SameId("event", id, e.id()));
      ++counts[5];
    }
  }
  for (int64_t after = 0;;) {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::OutboxEntry> es,
                              src->ListOutbox(std::nullopt, after, 10000));
    if (es.empty()) break;
    after = es.back().id();
    for (v1::OutboxEntry& e : es) {
      const int64_t id = e.id();
      HELPDESK_RETURN_IF_ERROR(dst->InsertOutbox(&e));
      HELPDESK_RETURN_IF_ERROR(SameId("outbox entry", id, e.id()));
      ++counts[6];
    }
  }
  for (int64_t after = 0;;) {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::QuarantineEntry> es,
                              src->ListQuarantine(std::nullopt, after, 10000));
    if (es.empty()) break;
    after = es.back().id();
    for (v1::QuarantineEntry& e : es) {
      const int64_t id = e.id();
      HELPDESK_RETURN_IF_ERROR(dst->InsertQuarantine(&e));
      HELPDESK_RETURN_IF_ERROR(SameId("quarantine entry", id, e.id()));
      ++counts[7];
    }
  }
  HELPDESK_RETURN_IF_ERROR(CopyRaw(from_path, *dst));
  HELPDESK_RETURN_IF_ERROR(dst->Commit());
  return absl::StrCat("copied ", counts[3], " tickets, ", counts[4], " messages, ", counts[5],
                      " events, ", counts[1], " contacts, ", counts[0], " organizations, ",
                      counts[2], " agents, ", groups.size(), " groups, ", counts[6],
                      " outbox and ", counts[7], " quarantine entries");
}

}  // namespace

absl::Status CmdMigrate(const Args& a) {
  HELPDESK_ASSIGN_OR_RETURN(std::string from_path, Required(a, "from"));
  HELPDESK_ASSIGN_OR_RETURN(std::string to_name, Required(a, "to"));
#ifndef HELPDESK_CLI_WITH_POSTGRES
  (void)from_path;
  (void)to_name;
  return absl::UnimplementedError(
      "migrate: this helpdesk was built without PostgreSQL (HELPDESK_WITH_POSTGRES)");
#else
  if (!IsPostgresConnectionString(to_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--to '", to_name, "' is not a PostgreSQL connection string (postgresql://...)"));
  }
  SqliteStoreOptions source_options;
  source_options.create_if_missing = false;
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Store> from, OpenSqliteStore(from_path, source_options));
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Store> to, OpenStoreNamed(to_name, true));
  HELPDESK_ASSIGN_OR_RETURN(std::string summary, Copy(from_path, *from, *to));
  std::cout << "migrate: " << summary << "\n";
  return absl::OkStatus();
#endif
}

}  // namespace helpdesk::cli
