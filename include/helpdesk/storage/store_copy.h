// CopyStore: copies one help desk's data from one Store into another (any
// pair: memory, SQLite, PostgreSQL), through the Store port only. The CLI's
// `helpdesk migrate` is built on it.
//
//   std::unique_ptr<helpdesk::Store> to = ...;  // an empty store
//   absl::StatusOr<helpdesk::StoreCopyCounts> counts = helpdesk::CopyStore(*from, *to);
//
// What is copied, every id kept (so references between objects stay true):
// organizations, contacts, groups, agents and their agent events, tickets
// (SLA deadlines with them), messages, events, attachment contents that a
// message references, tracking links (the token hashes: a link keeps working;
// revoked links have no record and stay revoked), automation state (due times
// and rule firings, so a migrated desk does not fire an automation again),
// time entries, saved views, knowledge base articles (translations,
// revisions, audiences, views and votes are fields of the article) and
// suggestion (deflection) sessions, the outbox and the quarantine. Derived
// data is rebuilt by the target as it stores the copies: ticket tags, CCs and
// contact identities (fields of their protos), the knowledge base's search
// index (SQLite's kb_docs, kb_audience, kb_fts, kb_doc_display).
//
// Not copied: versions (every copied ticket, contact, agent, view and article
// starts again at version 1; an optimistic writer holding an old version gets
// Aborted and reloads); leases (Store::AcquireLease: they name live processes,
// and the next holder acquires afresh in the target); attachment contents that
// no message references (ListOrphanAttachments: retention would delete them);
// thread keys and idempotency records, which the Store port cannot list: the
// caller copies them with `extra` when it can read the source directly (the CLI
// reads an SQLite source's tables). Ids freed by deleted tickets (retention,
// erase) and deleted views are kept free: the copy inserts fillers and deletes
// them again, in the same transaction. Gaps the port cannot refill (an id
// missing in the middle of the agents, agent events, organizations,
// contacts, groups, articles, sessions, outbox or quarantine, which no Desk
// command deletes) fail the copy with FailedPrecondition.
//
// Failure: the copy is one durable read-write transaction on the target, so
// on any error nothing of it is committed and the target holds what it held
// before. (PostgreSQL's id sequences are not transactional: after a failed
// copy into PostgreSQL, the next copy's ids would not line up and it fails
// with FailedPrecondition; drop and recreate the target database first.)
#ifndef HELPDESK_STORAGE_STORE_COPY_H_
#define HELPDESK_STORAGE_STORE_COPY_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"

namespace helpdesk {

struct StoreCopyOptions {
  // When false (the default), a target holding any ticket, event, message,
  // contact, organization, agent, group, view, time entry, article, session,
  // outbox or quarantine entry is refused with FailedPrecondition before
  // anything is written. When true the copy is attempted anyway; since ids
  // are kept, it fails (and writes nothing) at the first id the target
  // already uses or would not assign.
  bool allow_non_empty = false;
  // Called inside the target's transaction after everything else is copied
  // and before it commits (e.g. to copy thread keys and idempotency records
  // read from the source directly). An error aborts the copy.
  std::function<absl::Status(Transaction& target)> extra;
};

// How many of each were copied.
struct StoreCopyCounts {
  int64_t organizations = 0;
  int64_t contacts = 0;
  int64_t groups = 0;
  int64_t agents = 0;
  int64_t agent_events = 0;
  int64_t tickets = 0;
  int64_t messages = 0;
  int64_t events = 0;
  int64_t attachments = 0;
  int64_t tracking_links = 0;
  int64_t automation_states = 0;
  int64_t time_entries = 0;
  int64_t views = 0;
  int64_t kb_articles = 0;
  int64_t kb_sessions = 0;
  int64_t outbox = 0;
  int64_t quarantine = 0;

  // One line: "copied 3 tickets, 7 messages, ...".
  std::string Summary() const;
};

// Copies `from` into `to` as described above. Reads `from` in one read-only
// transaction (a consistent snapshot); writes `to` in one durable read-write
// transaction. `from` and `to` must be different stores.
//
// Errors: FailedPrecondition when the target is not empty (and
// allow_non_empty is false) or an id cannot be kept (message names the kind,
// the source id and the id the target would assign); Unimplemented when
// either store lacks a part of the port the source's data needs (e.g. a host
// store without saved views); any error of the stores or of `extra`.
// Thread safety: as the two stores'.
HELPDESK_EXPORT absl::StatusOr<StoreCopyCounts> CopyStore(Store& from, Store& to,
                                                          const StoreCopyOptions& options = {});

}  // namespace helpdesk

#endif  // HELPDESK_STORAGE_STORE_COPY_H_
