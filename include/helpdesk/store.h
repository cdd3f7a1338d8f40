// Store: the persistence port of libhelpdesk.
//
// A Store keeps tickets, their messages and audit events, contacts and
// organizations, agents and groups, attachment contents, and idempotency
// records. All access goes through a Transaction, so that a Desk command writes
// its state, its events and (later) its outbox rows atomically.
//
// Built-in implementations: NewMemoryStore() (storage/memory_store.h, for tests
// and short-lived desks) and OpenSqliteStore() (storage/sqlite_store.h, the
// embedded default). A host may implement its own; it must pass the conformance
// suite in helpdesk/testing/store_conformance.h.
//
//   auto tx = store->Begin(helpdesk::TransactionMode::kReadWrite);
//   if (!tx.ok()) return tx.status();
//   v1::Ticket t = ...;
//   HELPDESK_RETURN_IF_ERROR((*tx)->InsertTicket(t));   // assigns t.id()
//   return (*tx)->Commit();
//
// The interface is free of SQL and of any one engine's habits: ids are int64
// values the store assigns, times are microseconds, text matching is defined
// here rather than by an engine's collation, and pagination cursors are opaque
// strings whose format is shared by all built-in stores.
//
// Error codes common to every call:
//   Unavailable: a transient failure (busy database, lost connection); the
//     whole transaction should be retried after a back-off.
//   DataLoss: the storage is corrupt.
//   FailedPrecondition: a write on a read-only transaction, or any call after
//     Commit() or after a failed Commit().
//   Internal: a broken invariant inside the store.
#ifndef HELPDESK_STORE_H_
#define HELPDESK_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/access.h"
#include "helpdesk/export.h"
#include "helpdesk/kb.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/channel.pb.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/kb.pb.h"
#include "helpdesk/v1/rules.pb.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/v1/time_tracking.pb.h"
#include "helpdesk/v1/view.pb.h"

namespace helpdesk {

// The order of a ticket query. Every order ends with the ticket id as a tie
// breaker, so an order is total and cursors are stable.
enum class TicketSort {
  // created_at ascending (oldest first), then id ascending.
  kCreatedAsc,
  // created_at descending (newest first), then id descending.
  kCreatedDesc,
  // updated_at ascending, then id ascending.
  kUpdatedAsc,
  // updated_at descending, then id descending.
  kUpdatedDesc,
  // priority descending (urgent first), then created_at ascending, then id
  // ascending: "the oldest of the most urgent first", the work queue order.
  kPriorityThenOldest,
  // id ascending.
  kIdAsc,
  // sla_next_deadline ascending (tickets without one last), then id
  // ascending: "what breaches next".
  kSlaDeadlineAsc,
};

// A half-open time range [from, to). The default matches every time.
struct TimeRange {
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  bool Contains(absl::Time t) const { return from <= t && t < to; }
};

// TicketVisibility (restricting a query to the tickets one reader may see)
// is declared in helpdesk/access.h, with the rules it follows.

// A filter on one custom field: a ticket matches when it has the field
// `name` and, when `any_of` is not empty, its value equals one of them
// (set membership; one value is equality). Values are equal when they hold
// the same kind and the same value: text and choices compare bytes exactly
// (choices as the whole ordered list), integers and decimals numerically
// (an integer never equals a decimal), times to the nanosecond. A value of
// kind text also matches a choices field that contains that text, so "the
// tickets whose multi-select holds 'eu'" is one filter.
struct CustomFieldFilter {
  std::string name;
  std::vector<v1::CustomFieldValue> any_of;
};

// A ticket query. Filters combine with AND; an empty or unset filter matches
// everything.
struct TicketQuery {
  // Status names; a ticket matches when its status is any of them.
  std::vector<std::string> statuses;
  // Status categories; a ticket matches when its category is any of them.
  std::vector<v1::StatusCategory> status_categories;
  // Exact match; 0 selects unassigned tickets.
  std::optional<int64_t> assignee_id;
  // Exact match; 0 selects tickets in no group.
  std::optional<int64_t> group_id;
  // A ticket matches when it has every one of these tags.
  std::vector<std::string> tags;
  std::optional<int64_t> requester_id;
  std::optional<int64_t> organization_id;
  // Substring of the subject. Matching folds ASCII letters only (so "VPN"
  // matches "vpn" but "É" does not match "é"); no wildcards.
  std::string subject_contains;
  // --- Views filters (issue 16) ---
  // A ticket matches when its priority / type / channel is any of these.
  std::vector<v1::Priority> priorities;
  std::vector<v1::TicketType> types;
  std::vector<v1::Channel> channels;
  // A ticket matches when it passes every one of these (see
  // CustomFieldFilter).
  std::vector<CustomFieldFilter> custom_fields;
  TimeRange created;
  TimeRange updated;
  // When set, only tickets with an sla_next_deadline in this range match.
  std::optional<TimeRange> sla_deadline;
  // Tickets merged into another are left out unless this is set.
  bool include_merged = false;
  std::optional<TicketVisibility> visible_to;
  TicketSort sort = TicketSort::kCreatedAsc;
  // Page size, 1 to kMaxQueryLimit.
  int limit = 50;
  // Empty for the first page; else a TicketPage::next_cursor from the same
  // query (same filters and sort).
  std::string cursor;
};

inline constexpr int kMaxQueryLimit = 1000;

struct TicketPage {
  std::vector<v1::Ticket> tickets;
  // Empty when this is the last page. Pagination is stable: a ticket that keeps
  // its sort key is returned exactly once across pages, even while other
  // tickets are inserted or changed between pages.
  std::string next_cursor;
};

// A ticket's tracking link as stored: the SHA-256 of its token, never the
// token itself (see Transaction::PutTrackingToken).
struct TrackingTokenRecord {
  int64_t ticket_id = 0;
  // Lower-case hexadecimal SHA-256 of the token (64 characters).
  std::string token_sha256;
  absl::Time created_at = absl::UnixEpoch();
};

// --- Knowledge base search (Transaction::SearchKbArticles) -----------------
//
// The searchable unit is one translation of an article (article id, locale).
// Stores index each translation's title, and the plain text of its body
// (MarkdownToPlainText) followed by the article's tags, in the index form of helpdesk/kb.h (KbIndexText with
// the translation's language, KbLanguageOf(locale)), and match a KbQuery
// against it: a translation matches when any query term matches its title or
// body (a phrase: its words in a row; a prefix: a word starting with it).
struct KbSearchRequest {
  KbQuery query;  // at least one term
  // Only translations whose language (KbLanguageOf) is this one; the query's
  // terms were stemmed for it. Empty: every language.
  std::string language;
  // Only articles this audience may see (helpdesk/access.h), filtered before
  // ranking and before the limit; draft translations only with
  // audience.drafts.
  KbAudience audience;
  // Page size 1 to kMaxKbSearchLimit, and how many ranked hits to skip.
  int limit = 10;
  int offset = 0;
};
inline constexpr int kMaxKbSearchLimit = 100;

// One matching translation. Ranked best first by BM25 (k1 1.2, b 0.75) with
// the title weighing kKbTitleWeight times the body, ties by article id then
// locale; score is the BM25 value (higher is better; stores may differ in
// its exact value, not in the order of clearly different matches).
struct KbSearchHit {
  int64_t article_id = 0;
  std::string locale;
  double score = 0;
  // What a result page shows, so that a search needs no article load: set
  // (has_display) by a store that keeps it with its index (MemoryStore,
  // SqliteStore, PostgresStore), else left empty and the caller loads the
  // article. title: the translation's; category, section: the article's;
  // plain_text: MarkdownToPlainText of the translation's body (what snippets
  // are cut from).
  bool has_display = false;
  std::string title;
  std::string category;
  std::string section;
  std::string plain_text;
};
inline constexpr double kKbTitleWeight = 3.0;

enum class TransactionMode { kReadOnly, kReadWrite };

// How Store::Begin() starts a transaction.
//
//   auto tx = store->Begin({.mode = helpdesk::TransactionMode::kReadWrite,
//                           .durable = true});
struct TransactionOptions {
  TransactionMode mode = TransactionMode::kReadOnly;
  // When true, a read-write transaction is durable once Commit() returns OK:
  // it survives a crash of the process and a power loss or kernel crash (as
  // far as the storage device honours flushes). Ask for it before telling
  // anyone outside the store that the write happened, e.g. before a mail
  // source is acknowledged (a Maildir file moved to cur/, an IMAP message
  // flagged), so a power loss cannot lose what the source then forgets.
  //
  // When false, a store may give less: a committed transaction survives a
  // process crash, but the last commits may roll back on power loss (for
  // SqliteStore this depends on SqliteStoreOptions.synchronous). A store
  // that is always durable may ignore the flag; a store with nothing to
  // lose to a power loss (the memory store) ignores it too. Read-only
  // transactions ignore it.
  //
  // Cost: the commit waits for the device to flush (SqliteStore: one fsync
  // of the WAL per commit, typically 0.1-10 ms depending on the device), so
  // batch many writes into one durable transaction rather than committing
  // each durably.
  bool durable = false;
};

// A named lease (Store::AcquireLease): which process does a piece of work
// that must run in one place at a time (push routing, Tick), until when.
struct Lease {
  std::string name;
  std::string holder;
  absl::Time expires_at = absl::InfinitePast();
  // Grows by one each time the lease changes hands.
  int64_t token = 0;
};

// A pull claim (Store::ClaimNextTicket).
struct TicketClaim {
  int64_t agent_id = 0;
  // The most tickets in `statuses` the agent may hold after the claim.
  int capacity = 1;
  // Status names a claimable ticket has (and that count against capacity).
  std::vector<std::string> statuses;
  // Only tickets of this group when set.
  std::optional<int64_t> group_id;
  absl::Time now = absl::InfinitePast();
};

// One unit of work. Changes become visible to other transactions only when
// Commit() returns OK; destroying an uncommitted transaction rolls it back.
// Within a transaction, reads see the transaction's own writes.
//
// Isolation: read-write transactions are serialisable with respect to each
// other (built-in stores run them one at a time). A read-only transaction sees
// a consistent snapshot.
//
// Objects passed by pointer/reference are borrowed for the call only. Calls
// that assign ids write them back into the object passed in.
//
// Thread safety: a Transaction is used by one thread, the one that began it.
// A thread holds at most one transaction of a store at a time (a built-in
// store may wait on itself otherwise). A Transaction must not outlive the
// Store that began it.
class HELPDESK_EXPORT Transaction {
 public:
  virtual ~Transaction() = default;

  // Makes every change durable and visible. After Commit (OK or not) the
  // transaction accepts no further calls. Errors: Unavailable (retry the whole
  // transaction), DataLoss.
  virtual absl::Status Commit() = 0;

  // --- Tickets ---------------------------------------------------------

  // Errors: NotFound if there is no ticket `id`.
  virtual absl::StatusOr<v1::Ticket> GetTicket(int64_t id) = 0;

  // Stores a new ticket. If ticket->id() is 0 the store assigns the next id
  // (greater than every id it has assigned or been given); otherwise that id
  // is used. Sets version to 1. Errors: AlreadyExists if the id is taken;
  // InvalidArgument if the id is negative.
  virtual absl::Status InsertTicket(v1::Ticket* ticket) = 0;

  // Replaces ticket `ticket->id()` if its stored version equals
  // `expected_version`, and sets ticket->version() to expected_version + 1.
  // Errors: NotFound; Aborted if the stored version differs (the message names
  // both versions).
  virtual absl::Status UpdateTicket(v1::Ticket* ticket,
                                    int64_t expected_version) = 0;

  // Errors: InvalidArgument for a limit outside [1, kMaxQueryLimit] or a cursor
  // that this query did not produce.
  virtual absl::StatusOr<TicketPage> QueryTickets(const TicketQuery& query) = 0;

  // (reports) The stored tickets whose id lies in (after_id, last_id], in id
  // order, at most `limit` (1 to 10,000), each handed to `visit` encoded: its
  // id and its bytes (a serialized v1::Ticket as GetTicket(id) would return
  // it, except that the id and version in the bytes may be missing or stale:
  // the id is the one handed apart, and the version is not given; read
  // GetTicket for it), valid only during that call. Merged tickets are
  // visited too; deleted ones are not there to visit. A page ends early when
  // the range has no more tickets: pass the last id visited as after_id to
  // read on. Returns how many tickets were visited; a non-OK status from
  // `visit` stops the read and is returned as is.
  //
  // Why an id range: the Desk's reports need the current state of the
  // tickets created in the period, which they learn from the log (their
  // creation events) as a set of ids, mostly one run of recent ids; a range
  // of ids is a range of the primary key in every store, where "created in
  // [from, to)" would be a second index read per row (and creation times
  // and ids need not agree: a clock stepping back, tickets imported with
  // their ids). A store that keeps tickets serialized hands over the bytes
  // it holds (reports decode them on their own threads); by default each
  // id in the range is read with GetTicket and serialized, which costs one
  // GetTicket per id of the range, present or not (a host's store with
  // sparse ids should override it).
  //
  // `visit` runs on the calling thread (the transaction's), one ticket at a
  // time; the bytes belong to the store (copy what outlives the call).
  //
  // Errors: InvalidArgument for a limit out of range or last_id < after_id;
  // those of GetTicket other than NotFound (by default); Unavailable and the
  // store's other read errors.
  virtual absl::StatusOr<int> VisitEncodedTickets(
      int64_t after_id, int64_t last_id, int limit,
      absl::FunctionRef<absl::Status(int64_t id, absl::string_view bytes)> visit) {
    if (absl::Status s = CheckEncodedTicketsRange(after_id, last_id, limit); !s.ok()) return s;
    std::string bytes;
    int visited = 0;
    for (int64_t id = after_id; id < last_id && visited < limit;) {
      ++id;
      absl::StatusOr<v1::Ticket> t = GetTicket(id);
      if (absl::IsNotFound(t.status())) continue;
      if (!t.ok()) return t.status();
      bytes.clear();
      if (!t->SerializeToString(&bytes)) {
        return absl::InternalError(absl::StrCat("ticket ", id, ": cannot be serialized"));
      }
      ++visited;
      if (absl::Status s = visit(id, bytes); !s.ok()) return s;
    }
    return visited;
  }
  // Sets (or, with nullopt, clears) ticket `id`'s sla_next_deadline without
  // changing its version or updated_at: the deadline is derived data the Desk
  // keeps, not a change of the ticket. Errors: NotFound.
  virtual absl::Status SetTicketSlaDeadline(int64_t id,
                                            std::optional<absl::Time> deadline) = 0;

  // --- Automation (issue 14) -------------------------------------------
  //
  // The Desk keeps, per ticket, the next time a time-based automation could
  // fire (indexed, so Tick finds the due tickets without scanning) and the
  // automations' firings (so a firing is not repeated across ticks and
  // restarts). Derived data: neither changes the ticket's version.

  // Sets (nullopt clears) ticket `id`'s next automation due time.
  // Errors: NotFound if there is no ticket `id`.
  virtual absl::Status SetTicketAutomationDue(int64_t id,
                                              std::optional<absl::Time> due) {
    (void)id;
    (void)due;
    return absl::UnimplementedError(
        "SetTicketAutomationDue: not supported by this store");
  }
  // Ticket `id`'s automation due time; nullopt when unset or no such ticket.
  virtual absl::StatusOr<std::optional<absl::Time>> GetTicketAutomationDue(int64_t id) {
    (void)id;
    return absl::UnimplementedError(
        "GetTicketAutomationDue: not supported by this store");
  }
  // The ids of the tickets whose due time is at or before `now`, by due time
  // then id, at most `limit` (1 to 10,000). Costs the tickets returned, not
  // the tickets held. Errors: InvalidArgument for a limit out of range.
  virtual absl::StatusOr<std::vector<int64_t>> ListDueAutomations(absl::Time now,
                                                                  int limit) {
    (void)now;
    (void)limit;
    return absl::UnimplementedError("ListDueAutomations: not supported by this store");
  }
  // The firings kept for ticket `id` (empty when none).
  virtual absl::StatusOr<v1::RuleFirings> GetRuleFirings(int64_t id) {
    (void)id;
    return absl::UnimplementedError("GetRuleFirings: not supported by this store");
  }
  // Replaces ticket `id`'s firings. Errors: NotFound if there is no ticket
  // `id`.
  virtual absl::Status SetRuleFirings(int64_t id, const v1::RuleFirings& firings) {
    (void)id;
    (void)firings;
    return absl::UnimplementedError("SetRuleFirings: not supported by this store");
  }

  // --- Messages ----------------------------------------------------------

  // Stores a message and assigns message->id() (increasing). Sets
  // origin_ticket_id to ticket_id when it is 0. Does not check that the
  // ticket exists (the Desk does). Errors: InvalidArgument if ticket_id <= 0.
  virtual absl::Status InsertMessage(v1::Message* message) = 0;

  // Errors: NotFound.
  virtual absl::StatusOr<v1::Message> GetMessage(int64_t id) = 0;

  // The messages now on `ticket_id`, ordered by id. An unknown ticket has none.
  virtual absl::StatusOr<std::vector<v1::Message>> ListMessages(
      int64_t ticket_id) = 0;

  // Moves every message of `from_ticket` onto `to_ticket` (their
  // origin_ticket_id is kept). Returns how many moved.
  virtual absl::StatusOr<int64_t> MoveMessages(int64_t from_ticket,
                                               int64_t to_ticket) = 0;

  // --- Events (append-only) ---------------------------------------------

  // Appends an event and assigns event->id(), increasing across the store.
  // Errors: InvalidArgument if ticket_id <= 0.
  virtual absl::Status AppendEvent(v1::Event* event) = 0;

  // Events of one ticket with id > after_id, in id order, at most `limit`
  // (0 = no limit).
  virtual absl::StatusOr<std::vector<v1::Event>> ListTicketEvents(
      int64_t ticket_id, int64_t after_id, int limit) = 0;

  // Events of every ticket with id > after_id, in id order, at most `limit`
  // (1 to 10,000): the feed that reports and projections read.
  virtual absl::StatusOr<std::vector<v1::Event>> ListEventsSince(
      int64_t after_id, int limit) = 0;

  // The id of the newest event this transaction sees (0 when it sees none):
  // where a reader of the feed (ListEventsSince) starts to hear only of what
  // is written from now on. A store that implements it commits event ids in
  // id order across every process sharing it: once a transaction sees an
  // event, an event committed later has a larger id, so a reader that went up
  // to id N never misses one at or below N. Ids are never reused, not even
  // after the newest events are deleted (so this may go down; the watermark
  // a reader keeps need not). Errors: Unimplemented from stores without it
  // (the Desk's routing then rebuilds from the tickets instead of reading on
  // from a watermark).
  virtual absl::StatusOr<int64_t> LastEventId() {
    return absl::UnimplementedError("LastEventId: not supported by this store");
  }

  // (reports) Events of every ticket whose time lies in [from, to), with
  // id > after_id, in id order, at most `limit` (1 to 10,000): the period a
  // report reads, a page at a time (pass the last id as after_id). Errors:
  // InvalidArgument for a limit out of range or `to` before `from`.
  virtual absl::StatusOr<std::vector<v1::Event>> ListEventsBetween(absl::Time from,
                                                                   absl::Time to,
                                                                   int64_t after_id,
                                                                   int limit) {
    (void)from, (void)to, (void)after_id, (void)limit;
    return absl::UnimplementedError("ListEventsBetween: not supported by this store");
  }

  // (reports) The events ListEventsBetween(from, to, after_id, limit) would
  // return, handed one at a time to `visit` in id order instead of copied
  // into a vector: a report reads millions of events and keeps a few facts of
  // each, so the store may decode each row into one reused message. The event
  // `visit` sees is valid only during that call. Returns how many events were
  // visited (fewer than `limit`: the period has no more). A non-OK status
  // from `visit` stops the read and is returned as is. Errors: those of
  // ListEventsBetween; Unimplemented from stores without it (callers fall
  // back to ListEventsBetween, as the Desk's reports do).
  virtual absl::StatusOr<int> VisitEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(const v1::Event&)> visit) {
    (void)from, (void)to, (void)after_id, (void)limit, (void)visit;
    return absl::UnimplementedError("VisitEventsBetween: not supported by this store");
  }

  // (reports) The events VisitEventsBetween(from, to, after_id, limit) would
  // visit, each handed to `visit` encoded: its id, its ticket's id and its
  // bytes (a serialized v1::Event; an id or ticket_id in them is to be
  // ignored), valid only during that call. A store that keeps events
  // serialized hands over the bytes it holds without decoding them
  // (ReportAccumulator::AddEncoded reads what reports need from them in
  // place); by default each visited event is serialized. Returns how many
  // events were visited; a non-OK status from `visit` stops the read and is
  // returned as is. Errors: those of VisitEventsBetween (Unimplemented
  // included).
  virtual absl::StatusOr<int> VisitEncodedEventsBetween(
      absl::Time from, absl::Time to, int64_t after_id, int limit,
      absl::FunctionRef<absl::Status(int64_t id, int64_t ticket_id, absl::string_view bytes)>
          visit) {
    std::string bytes;
    return VisitEventsBetween(from, to, after_id, limit, [&](const v1::Event& e) {
      bytes.clear();
      if (!e.SerializeToString(&bytes)) {
        return absl::InternalError(absl::StrCat("event ", e.id(), ": cannot be serialized"));
      }
      return visit(e.id(), e.ticket_id(), bytes);
    });
  }

  // --- Contacts and organizations ----------------------------------------

  // Stores a new contact, assigns its id, sets version 1. Identity values must
  // already be normalised (see Desk). Errors: AlreadyExists if one of its
  // identities belongs to another contact (the message names it).
  virtual absl::Status InsertContact(v1::Contact* contact) = 0;

  // Replaces a contact if its stored version is `expected_version`; sets
  // version to expected_version + 1. Errors: NotFound; Aborted on a stale
  // version; AlreadyExists if a new identity belongs to another contact.
  virtual absl::Status UpdateContact(v1::Contact* contact,
                                     int64_t expected_version) = 0;

  // Errors: NotFound.
  virtual absl::StatusOr<v1::Contact> GetContact(int64_t id) = 0;

  // The contact owning an identity; `value` is compared exactly (it must be
  // normalised as stored). Errors: NotFound.
  virtual absl::StatusOr<v1::Contact> FindContactByIdentity(
      v1::ContactIdentity::Kind kind, absl::string_view value) = 0;

  // Assigns organization->id(). Errors: AlreadyExists if the name is taken
  // (names compare exactly).
  virtual absl::Status InsertOrganization(v1::Organization* organization) = 0;
  // Errors: NotFound.
  virtual absl::StatusOr<v1::Organization> GetOrganization(int64_t id) = 0;

  // --- Agents and groups --------------------------------------------------

  // Assigns agent->id(), sets version 1. Errors: AlreadyExists if a non-empty
  // email is taken by another agent.
  virtual absl::Status InsertAgent(v1::Agent* agent) = 0;
  // Errors: NotFound; Aborted on a stale version; AlreadyExists as above.
  virtual absl::Status UpdateAgent(v1::Agent* agent,
                                   int64_t expected_version) = 0;
  // Errors: NotFound.
  virtual absl::StatusOr<v1::Agent> GetAgent(int64_t id) = 0;
  // Every agent, deactivated ones included, by id.
  virtual absl::StatusOr<std::vector<v1::Agent>> ListAgents() = 0;

  // Appends an agent's audit event and assigns event->id(), increasing across
  // the store's agent events. Errors: InvalidArgument if agent_id <= 0.
  virtual absl::Status AppendAgentEvent(v1::AgentEvent* event) = 0;
  // Events of one agent with id > after_id, in id order, at most `limit`
  // (0 = no limit). Errors: InvalidArgument for a negative limit.
  virtual absl::StatusOr<std::vector<v1::AgentEvent>> ListAgentEvents(
      int64_t agent_id, int64_t after_id, int limit) = 0;

  // Assigns group->id(). Errors: AlreadyExists if the name is taken.
  virtual absl::Status InsertGroup(v1::Group* group) = 0;
  // Errors: NotFound.
  virtual absl::StatusOr<v1::Group> GetGroup(int64_t id) = 0;
  // Every group, by id.
  virtual absl::StatusOr<std::vector<v1::Group>> ListGroups() = 0;

  // --- Attachment contents (content-addressed) ----------------------------

  // Stores `content` under its SHA-256 (lower-case hex, 64 characters). Storing
  // the same address again keeps one copy and succeeds. The store does not
  // hash; the caller vouches for the address. Errors: InvalidArgument for a
  // malformed address.
  virtual absl::Status PutAttachmentContent(absl::string_view sha256,
                                            absl::string_view content) = 0;
  // Errors: NotFound.
  virtual absl::StatusOr<std::string> GetAttachmentContent(
      absl::string_view sha256) = 0;

  // --- Thread keys -----------------------------------------------------------

  // Records that channel key `key` (e.g. "email:<message-id>", "chat:<session>")
  // belongs to ticket `ticket_id`. The first ticket recorded for a key keeps
  // it: recording the key again (for any ticket) succeeds and changes
  // nothing. Errors: InvalidArgument for an empty key or ticket_id <= 0.
  virtual absl::Status PutThreadKey(absl::string_view key, int64_t ticket_id) = 0;
  // The ticket a key belongs to. Errors: NotFound.
  virtual absl::StatusOr<int64_t> FindThreadKey(absl::string_view key) = 0;

  // --- Outbox ---------------------------------------------------------------

  // Stores a new entry and assigns entry->id() (increasing). Errors:
  // InvalidArgument when the state is unspecified.
  virtual absl::Status InsertOutbox(v1::OutboxEntry* entry) = 0;
  // Errors: NotFound.
  virtual absl::StatusOr<v1::OutboxEntry> GetOutbox(int64_t id) = 0;
  // Replaces entry `entry.id()`. Errors: NotFound.
  virtual absl::Status UpdateOutbox(const v1::OutboxEntry& entry) = 0;
  // PENDING entries with next_attempt_at <= now, by next_attempt_at then id,
  // at most `limit` (1 to 10,000).
  virtual absl::StatusOr<std::vector<v1::OutboxEntry>> ListDueOutbox(
      absl::Time now, int limit) = 0;
  // Entries with id > after_id (of one state, when `state` is set), by id, at
  // most `limit` (1 to 10,000).
  virtual absl::StatusOr<std::vector<v1::OutboxEntry>> ListOutbox(
      std::optional<v1::OutboxEntry::State> state, int64_t after_id,
      int limit) = 0;

  // --- Quarantine -------------------------------------------------------------

  // Stores a new entry and assigns entry->id() (increasing). Errors:
  // InvalidArgument when the state is unspecified or out of range.
  virtual absl::Status InsertQuarantine(v1::QuarantineEntry* entry) = 0;
  // Errors: NotFound.
  virtual absl::StatusOr<v1::QuarantineEntry> GetQuarantine(int64_t id) = 0;
  // Replaces entry `entry.id()`. Errors: NotFound; InvalidArgument for a bad
  // state.
  virtual absl::Status UpdateQuarantine(const v1::QuarantineEntry& entry) = 0;
  // Entries with id > after_id (of one state, when `state` is set), by id, at
  // most `limit` (1 to 10,000). Errors: InvalidArgument for a bad limit.
  virtual absl::StatusOr<std::vector<v1::QuarantineEntry>> ListQuarantine(
      std::optional<v1::QuarantineEntry::State> state, int64_t after_id,
      int limit) = 0;

  // --- Idempotency records -------------------------------------------------

  // The value recorded for (scope, key). Errors: NotFound.
  virtual absl::StatusOr<std::string> GetIdempotencyRecord(
      absl::string_view scope, absl::string_view key) = 0;
  // Records a value for (scope, key). Errors: AlreadyExists if recorded.
  virtual absl::Status PutIdempotencyRecord(absl::string_view scope,
                                            absl::string_view key,
                                            absl::string_view value,
                                            absl::Time recorded_at) = 0;

  // --- Tracking links (token hashes) ---------------------------------------
  //
  // A ticket has at most one tracking link. The store keeps only the SHA-256
  // of the token (the Desk makes the token, hashes it and never stores it),
  // indexed by that hash. The three calls have default bodies that return
  // Unimplemented, so a host's store written before them still compiles;
  // the built-in stores implement them.

  // Records `token_sha256` (lower-case hex SHA-256, 64 characters) as the
  // link of ticket `ticket_id`, replacing the ticket's previous link if it
  // had one (that hash stops resolving at once: rotation). Errors:
  // InvalidArgument for a malformed hash or ticket_id <= 0; AlreadyExists
  // when the hash is another ticket's link.
  virtual absl::Status PutTrackingToken(int64_t ticket_id, absl::string_view token_sha256,
                                        absl::Time created_at) {
    (void)ticket_id, (void)token_sha256, (void)created_at;
    return absl::UnimplementedError("PutTrackingToken: not supported by this store");
  }
  // The link whose hash equals `token_sha256`, compared exactly (the caller
  // compares the returned hash again in constant time). Errors: NotFound
  // (also for a malformed hash), naming no hash.
  virtual absl::StatusOr<TrackingTokenRecord> LookupTrackingToken(
      absl::string_view token_sha256) {
    (void)token_sha256;
    return absl::UnimplementedError("LookupTrackingToken: not supported by this store");
  }
  // The link of ticket `ticket_id`, if it has one (nullopt otherwise).
  virtual absl::StatusOr<std::optional<TrackingTokenRecord>> GetTrackingTokenOfTicket(
      int64_t ticket_id) {
    (void)ticket_id;
    return absl::UnimplementedError("GetTrackingTokenOfTicket: not supported by this store");
  }
  // Removes ticket `ticket_id`'s link; returns whether it had one.
  virtual absl::StatusOr<bool> RevokeTrackingToken(int64_t ticket_id) {
    (void)ticket_id;
    return absl::UnimplementedError("RevokeTrackingToken: not supported by this store");
  }
  // --- Saved views and counts (issue 16) ------------------------------------
  // Optional for host stores: the defaults answer Unimplemented, and the
  // Desk's views need them.

  // The number of tickets that pass every filter of `query` (its sort, limit
  // and cursor are ignored). Errors: none of its own.
  virtual absl::StatusOr<int64_t> CountTickets(const TicketQuery& query) {
    (void)query;
    return absl::UnimplementedError("CountTickets: not supported by this store");
  }

  // Stores a new view, assigns view->id() (increasing) and sets version 1.
  // Errors: AlreadyExists when its owner (0: the shared views) has a view of
  // that name (names compare exactly).
  virtual absl::Status InsertView(v1::SavedView* view) {
    (void)view;
    return absl::UnimplementedError("InsertView: not supported by this store");
  }
  // Replaces view `view->id()` if its stored version is `expected_version`;
  // sets version to expected_version + 1. Errors: NotFound; Aborted on a
  // stale version; AlreadyExists as InsertView.
  virtual absl::Status UpdateView(v1::SavedView* view, int64_t expected_version) {
    (void)view;
    (void)expected_version;
    return absl::UnimplementedError("UpdateView: not supported by this store");
  }
  // Errors: NotFound.
  virtual absl::StatusOr<v1::SavedView> GetView(int64_t id) {
    (void)id;
    return absl::UnimplementedError("GetView: not supported by this store");
  }
  // Removes view `id`. Errors: NotFound.
  virtual absl::Status DeleteView(int64_t id) {
    (void)id;
    return absl::UnimplementedError("DeleteView: not supported by this store");
  }
  // The views of one owner (0: the shared views), or every view when
  // `owner_agent_id` is unset, by id.
  virtual absl::StatusOr<std::vector<v1::SavedView>> ListViews(
      std::optional<int64_t> owner_agent_id) {
    (void)owner_agent_id;
    return absl::UnimplementedError("ListViews: not supported by this store");
  }

  // --- Time tracking (issue 16) -----------------------------------------------

  // Stores a time entry and assigns entry->id() (increasing). Errors:
  // InvalidArgument if ticket_id or agent_id <= 0.
  virtual absl::Status InsertTimeEntry(v1::TimeEntry* entry) {
    (void)entry;
    return absl::UnimplementedError("InsertTimeEntry: not supported by this store");
  }
  // The entries of one ticket, by id.
  virtual absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntries(int64_t ticket_id) {
    (void)ticket_id;
    return absl::UnimplementedError("ListTimeEntries: not supported by this store");
  }
  // The entries whose logged_at is in `range`, by logged_at then id.
  virtual absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntriesLogged(
      const TimeRange& range) {
    (void)range;
    return absl::UnimplementedError(
        "ListTimeEntriesLogged: not supported by this store");
  }

  // --- Personal data (issue 16: erase and retention) ---------------------------
  // Optional for host stores: the defaults answer Unimplemented, and the
  // Desk's privacy commands (helpdesk/desk/privacy.h) need them.

  // Replaces the content of stored message `message.id()` (body_text,
  // body_html, attachments, author, external_id) with `message`'s; keeps its
  // ticket_id, origin_ticket_id, kind, channel and created_at whatever
  // `message` holds. Attachment contents stay stored (see
  // ListOrphanAttachments). Errors: NotFound.
  virtual absl::Status RedactMessage(const v1::Message& message) {
    (void)message;
    return absl::UnimplementedError("RedactMessage: not supported by this store");
  }
  // Replaces the changes and the note of stored event `event.id()` with
  // `event`'s; keeps its ticket, kind, actor, time and every other field, so
  // that reports over the log are unchanged. Errors: NotFound.
  virtual absl::Status RedactEvent(const v1::Event& event) {
    (void)event;
    return absl::UnimplementedError("RedactEvent: not supported by this store");
  }
  // Deletes ticket `id` with everything kept for it: its messages (those now
  // on it), events, tags and CCs, thread keys, tracking link, automation
  // state and firings, and time entries. Attachment contents stay (content is
  // shared by address; see ListOrphanAttachments). Errors: NotFound.
  virtual absl::Status DeleteTicket(int64_t id) {
    (void)id;
    return absl::UnimplementedError("DeleteTicket: not supported by this store");
  }
  // The addresses (ascending, each > `after`) of stored attachment contents
  // that no message references, at most `limit` (1 to 10,000). Costs a read
  // of every message. Errors: InvalidArgument for a limit out of range.
  virtual absl::StatusOr<std::vector<std::string>> ListOrphanAttachments(
      absl::string_view after, int limit) {
    (void)after, (void)limit;
    return absl::UnimplementedError("ListOrphanAttachments: not supported by this store");
  }
  // Deletes the content stored under `sha256`; returns whether there was one.
  // The caller makes sure no message references it.
  virtual absl::StatusOr<bool> DeleteAttachmentContent(absl::string_view sha256) {
    (void)sha256;
    return absl::UnimplementedError("DeleteAttachmentContent: not supported by this store");
  }

  // --- Knowledge base (a capability: stores without it answer
  // Unimplemented) ------------------------------------------------------------

  // Stores a new article, assigns its id (increasing) and sets version 1;
  // indexes its translations for search. Errors: InvalidArgument for a
  // translation with an empty locale or two with the same locale.
  virtual absl::Status InsertKbArticle(v1::KbArticle* article) {
    (void)article;
    return absl::UnimplementedError("InsertKbArticle: not supported by this store");
  }
  // Replaces article `article->id()` if its stored version is
  // `expected_version`, sets version to expected_version + 1 and reindexes
  // it. Errors: NotFound; Aborted on a stale version; InvalidArgument as
  // InsertKbArticle.
  virtual absl::Status UpdateKbArticle(v1::KbArticle* article, int64_t expected_version) {
    (void)article;
    (void)expected_version;
    return absl::UnimplementedError("UpdateKbArticle: not supported by this store");
  }
  // Errors: NotFound.
  virtual absl::StatusOr<v1::KbArticle> GetKbArticle(int64_t id) {
    (void)id;
    return absl::UnimplementedError("GetKbArticle: not supported by this store");
  }
  // Articles with id > after_id, by id, at most `limit` (1 to 10,000).
  virtual absl::StatusOr<std::vector<v1::KbArticle>> ListKbArticles(int64_t after_id,
                                                                    int limit) {
    (void)after_id;
    (void)limit;
    return absl::UnimplementedError("ListKbArticles: not supported by this store");
  }
  // The ranked page of translations matching `request` (see KbSearchRequest).
  // Errors: InvalidArgument for an empty query, a limit outside [1,
  // kMaxKbSearchLimit] or a negative offset.
  virtual absl::StatusOr<std::vector<KbSearchHit>> SearchKbArticles(
      const KbSearchRequest& request) {
    (void)request;
    return absl::UnimplementedError("SearchKbArticles: not supported by this store");
  }
  // Stores a suggestion session and assigns its id (increasing).
  virtual absl::Status InsertKbSuggestionSession(v1::KbSuggestionSession* session) {
    (void)session;
    return absl::UnimplementedError("InsertKbSuggestionSession: not supported by this store");
  }
  // Replaces session `session.id()`. Errors: NotFound.
  virtual absl::Status UpdateKbSuggestionSession(const v1::KbSuggestionSession& session) {
    (void)session;
    return absl::UnimplementedError("UpdateKbSuggestionSession: not supported by this store");
  }
  // Errors: NotFound.
  virtual absl::StatusOr<v1::KbSuggestionSession> GetKbSuggestionSession(int64_t id) {
    (void)id;
    return absl::UnimplementedError("GetKbSuggestionSession: not supported by this store");
  }
  // Sessions with id > after_id, by id, at most `limit` (1 to 10,000).
  virtual absl::StatusOr<std::vector<v1::KbSuggestionSession>> ListKbSuggestionSessions(
      int64_t after_id, int limit) {
    (void)after_id;
    (void)limit;
    return absl::UnimplementedError("ListKbSuggestionSessions: not supported by this store");
  }

  // --- Lease fencing (issue 17) ---
  // Checks, inside this transaction, that lease `name` (Store::AcquireLease)
  // is held by `holder` with fencing token `token`; a write the lease
  // protects calls it before writing, so a holder that lost the lease (its
  // TTL ran out while it was paused and another process took it) cannot
  // write after the new holder took over. The check holds until this
  // transaction ends: a change of holder waits for it (PostgreSQL locks the
  // lease row FOR SHARE; the built-in embedded stores serialise lease changes
  // with read-write transactions). Expiry alone is not checked: a holder
  // whose lease ran out but that nobody replaced still writes under its
  // token. Errors: InvalidArgument for an empty name or holder;
  // FailedPrecondition naming the lease, its holder and token when another
  // holder or token holds it (or nobody does).
  virtual absl::Status CheckLease(absl::string_view name, absl::string_view holder,
                                  int64_t token) {
    (void)name, (void)holder, (void)token;
    return absl::UnimplementedError("CheckLease: not supported by this store");
  }

 protected:
  // The argument check of VisitEncodedTickets, for stores implementing it.
  static absl::Status CheckEncodedTicketsRange(int64_t after_id, int64_t last_id, int limit) {
    if (limit < 1 || limit > 10000) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
    }
    if (last_id < after_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("last_id ", last_id, " is before after_id ", after_id));
    }
    return absl::OkStatus();
  }
};

// A database of tickets. Implementations must not throw.
//
// Thread safety: every method may be called from any thread at once;
// transactions from different threads are isolated as described above.
class HELPDESK_EXPORT Store {
 public:
  virtual ~Store() = default;

  // A stable identifier, e.g. "helpdesk.sqlite"; "helpdesk." is reserved for
  // the built-in stores.
  virtual absl::string_view Name() const = 0;

  // Starts a transaction with `options` (its mode, and whether its commit
  // must be durable; see TransactionOptions). A read-write transaction may
  // wait for another to finish. Errors: Unavailable if the store is busy
  // beyond its timeout or closed.
  //
  // Implementations override this one and add `using Store::Begin;` so the
  // short form below stays callable on them.
  virtual absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) = 0;

  // Begin({.mode = mode}): not durable beyond what the store gives anyway.
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(TransactionMode mode) {
    return Begin(TransactionOptions{.mode = mode});
  }

  // --- Several processes (postgres) ----------------------------------------
  // Calls for hosts that run several processes against one store. Each runs
  // in a transaction of its own (do not hold another transaction of this
  // store on the calling thread). Stores that do not support them return
  // Unimplemented.

  // Takes the named lease for `holder` until now + ttl when it is free, has
  // expired at `now`, or is already held by `holder` (a renewal). Returns the
  // lease as stored after the call: holder == `holder` when the caller holds
  // it, else the current holder and its expiry. `token` grows by one each
  // time the lease changes hands (a fencing token). Errors: InvalidArgument
  // for an empty name or holder or a ttl <= 0.
  virtual absl::StatusOr<Lease> AcquireLease(absl::string_view name,
                                             absl::string_view holder,
                                             absl::Duration ttl, absl::Time now) {
    (void)name, (void)holder, (void)ttl, (void)now;
    return absl::UnimplementedError("AcquireLease: not supported by this store");
  }
  // Gives the lease up if `holder` holds it (it is free at once); otherwise
  // changes nothing. Errors: InvalidArgument for an empty name or holder.
  virtual absl::Status ReleaseLease(absl::string_view name, absl::string_view holder) {
    (void)name, (void)holder;
    return absl::UnimplementedError("ReleaseLease: not supported by this store");
  }

  // Pull: claims the next unassigned ticket for an agent ("give me my next
  // ticket") so that two claims never get one ticket, even from several
  // processes at once: the most urgent, then oldest (TicketSort::
  // kPriorityThenOldest) unmerged ticket with assignee 0 whose status is one
  // of claim.statuses (and in claim.group_id when set). The ticket gets the
  // agent as assignee, updated_at = claim.now and version + 1, and a ROUTED
  // event (ASSIGNEE change, related_agent_id, note "pulled") is appended, in
  // one transaction. Claims for one agent are serialised, so the agent never
  // holds more than claim.capacity tickets in those statuses through claims.
  // Errors: InvalidArgument for an agent_id <= 0, capacity < 1 or no
  // statuses; NotFound when the agent does not exist or no ticket is free;
  // FailedPrecondition when the agent is at capacity.
  virtual absl::StatusOr<v1::Ticket> ClaimNextTicket(const TicketClaim& claim) {
    (void)claim;
    return absl::UnimplementedError("ClaimNextTicket: not supported by this store");
  }
};

}  // namespace helpdesk

#endif  // HELPDESK_STORE_H_
