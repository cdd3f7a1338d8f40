// PostgresStore: the Store over a PostgreSQL database (libpq), shared by
// several host processes.
//
// One schema of one database holds one help desk. Connections come from a
// small pool; every statement is prepared once per connection; a command that
// writes several rows (a ticket with its tags and CCs) sends them in one
// libpq pipeline. The schema is created and migrated forward under an
// advisory lock, so several processes opening the same database at once are
// safe; a schema written by a newer libhelpdesk, or a schema that holds
// another application's tables, is refused.
//
//   helpdesk::PostgresStoreOptions options;
//   options.schema = "helpdesk";
//   absl::StatusOr<std::unique_ptr<helpdesk::Store>> store =
//       helpdesk::OpenPostgresStore("postgresql://desk@db.example.com/desk",
//                                   options);
//
// Isolation: read-write transactions of every process using the schema are
// serialised by a transaction-scoped advisory lock (the writer lock), taken
// just before a transaction's first call that reads or writes shared state
// (as SQLite serialises its writers), so a read-write transaction never
// meets a serialization failure half-way: each call either runs or, when the
// lock stayed held beyond busy_timeout, returns Unavailable with the
// transaction failed and nothing of it committed. Inserting a new ticket
// (InsertTicket with id 0: the ticket, its tags and CCs) runs without the
// lock, since no other transaction sees or locks those rows before the
// commit; so creates of several processes run side by side, and a later call
// of the transaction takes the lock then. ClaimNextTicket picks its ticket
// with row locks (FOR UPDATE SKIP LOCKED) and takes the lock only for its
// write (and the capacity count it checks again there), so claims overlap
// too. Read-only transactions run on a REPEATABLE READ READ ONLY snapshot
// and neither wait for nor block writers. Optimistic versions (tickets,
// contacts, agents, saved views, KB articles) hold across processes because
// every version check runs under that lock or under the row's lock.
//
// Every method of the Store port is implemented and the store conformance
// suite passes on it. Two are not yet native SQL: a ticket query filtering on
// type, channel or custom fields scans the rows that pass its other filters
// in order, 500 at a time, and tests the stored protos; KB search indexes the
// articles in memory on each search (exact BM25, as SqliteStore ranks, but
// linear in the number of articles).
//
// Connection failures: a pooled connection found broken when a transaction
// begins (the server restarted) is replaced and the begin retried, since
// nothing was done yet; a connection lost inside a transaction fails that
// transaction with Unavailable (every later call is refused, nothing of it is
// committed unless Commit() returned OK), and the connection is discarded.
#ifndef HELPDESK_STORAGE_POSTGRES_STORE_H_
#define HELPDESK_STORAGE_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"

namespace helpdesk {

struct PostgresStoreOptions {
  // The schema (namespace) that holds the help desk's tables; one help desk
  // per schema. Letters, digits and underscores, 1 to 63 characters, not
  // starting with a digit or "pg_".
  std::string schema = "public";
  // Create the schema and its tables when they do not exist. When false, a
  // missing schema or an empty one is FailedPrecondition.
  bool create_if_missing = true;
  // Connections kept open at most, 1 to 1000. Begin() waits for one when all
  // are in use.
  int max_connections = 8;
  // How long opening a connection may take before it is Unavailable.
  absl::Duration connect_timeout = absl::Seconds(10);
  // How long Begin() waits for a free connection, and a read-write Begin()
  // for the transaction another process holds, before it returns
  // Unavailable.
  absl::Duration busy_timeout = absl::Seconds(30);
};

// The schema version this build writes. A schema with a newer one is refused.
inline constexpr int kPostgresSchemaVersion = 7;

// Connects to the database named by `connection_string` (a libpq key=value
// string or a postgresql:// URI), creates or migrates the schema, and returns
// the store.
//
// Errors:
//   InvalidArgument: a malformed connection string, wrong credentials, a role
//     or database that does not exist, or an option out of range (the message
//     names it; passwords are never echoed).
//   Unavailable: the server cannot be reached (refused, timed out, shutting
//     down), or the migration lock was held beyond busy_timeout.
//   FailedPrecondition: the schema holds tables of another application, or
//     has a schema version newer than kPostgresSchemaVersion (the message
//     names both versions), or is missing or empty while create_if_missing
//     is false.
//
// Thread safety: the returned store is thread-safe (see store.h). Any number
// of processes may open the same database and schema.
HELPDESK_EXPORT absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(
    absl::string_view connection_string,
    const PostgresStoreOptions& options = {});

// True when `store_name` looks like a PostgreSQL connection string rather
// than a file path: it starts with "postgresql://" or "postgres://", or is a
// key=value string naming a host, dbname or service.
HELPDESK_EXPORT bool IsPostgresConnectionString(absl::string_view store_name);

}  // namespace helpdesk

#endif  // HELPDESK_STORAGE_POSTGRES_STORE_H_
