// The same ingest on the memory store and on SQLite stores the same thing.
//
// SqliteStore holds back the tickets row of a ticket inserted in a
// transaction and writes it once, as it stands at the end (or before
// anything reads the table), so that a new ticket the rules change is not
// inserted and then rewritten (sqlite_transaction.h, pending_tickets_). The
// memory store writes each change as it comes: it is the reference. Seeded
// batches with rules (tags, routing by tag, priority, notes, a time-based
// automation), SLAs and acknowledgements, with replies into tickets of the
// same batch, go through both, and every stored ticket, event (with its
// payload), message, outbox entry, automation due time and firing must be
// the same, on an SQLite file read back after the commits, and on
// PostgreSQL with $HELPDESK_TEST_POSTGRES (the Desk's read-back of what a
// command wrote, EventTracker, runs there too; its debug check compares
// with the store).
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/rules.h"
#include "helpdesk/sla.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#ifdef HELPDESK_TEST_WITH_POSTGRES
#include "postgres_test_support.h"
#endif

namespace helpdesk {
namespace {

constexpr char kRules[] = R"pb(
  rules {
    name: "billing tag"
    on { kind: TICKET_CREATED }
    any { field: "subject" op: "contains" value: "invoice" }
    any { field: "message.text" op: "contains" value: "refund" }
    actions { add_tags { tags: [ "billing" ] } }
  }
  rules {
    name: "billing to finance"
    on { kind: FIELD_CHANGED field: TAGS }
    all { field: "tags" op: "contains" value: "billing" }
    all { field: "group" op: "is_not_set" }
    actions { set_group: 1 }
  }
  rules {
    name: "urgent"
    on { kind: TICKET_CREATED }
    all { field: "subject" op: "contains" value: "urgent" }
    actions { set_priority: "high" }
  }
  rules {
    name: "vip"
    on { kind: TICKET_CREATED }
    all { field: "contact.email" op: "matches" value: "@vip\\.example$" }
    actions { add_tags { tags: [ "vip" ] } }
    actions { add_internal_note: "VIP customer." }
  }
  rules {
    name: "parked"
    on { kind: CUSTOMER_MESSAGE }
    all { field: "message.text" op: "contains" value: "later" }
    actions { set_status: "pending" }
  }
  rules {
    name: "nudge"
    automation { since: PENDING hours: 48 }
    actions { add_internal_note: "Still waiting." }
  }
)pb";

constexpr char kSla[] = R"pb(
  policies {
    name: "standard"
    pause_statuses: [ "pending" ]
    targets { metric: SLA_METRIC_FIRST_REPLY target { seconds: 14400 } }
    targets { metric: SLA_METRIC_FULL_RESOLUTION target { seconds: 172800 } }
  }
)pb";

v1::InboundMessage Mail(const std::string& from, const std::string& id,
                        const std::string& subject, const std::string& body) {
  v1::InboundMessage m;
  m.set_channel(v1::CHANNEL_EMAIL);
  m.set_external_id(id);
  m.mutable_from()->set_email(from);
  m.add_to()->set_email("help@desk.example");
  m.set_subject(subject);
  m.set_body_text(body);
  m.mutable_threading()->set_message_id(id);
  return m;
}

// The batches: new senders and returning ones, replies to earlier messages
// (often of the same batch), subjects and bodies that fire the rules.
std::vector<std::vector<v1::InboundMessage>> Batches(uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  static const char* const kSubjects[] = {"Invoice %d is wrong", "urgent: down", "Question",
                                          "Hello"};
  static const char* const kBodies[] = {"please refund me", "I will answer later", "text"};
  std::vector<std::vector<v1::InboundMessage>> batches;
  std::vector<std::string> senders;
  for (int round = 0; round < 6; ++round) {
    std::vector<v1::InboundMessage>& batch = batches.emplace_back();
    for (int i = 0; i < 12; ++i) {
      const int n = round * 12 + i;
      std::string subject = kSubjects[pick(4)];
      if (size_t p = subject.find("%d"); p != std::string::npos) {
        subject.replace(p, 2, absl::StrCat(n));
      }
      v1::InboundMessage m =
          Mail(absl::StrCat("s", pick(10), pick(4) == 0 ? "@vip.example" : "@x.example"),
               absl::StrCat("m", n, "@x"), subject, kBodies[pick(3)]);
      if (n > 0 && pick(3) == 0) {
        const int earlier = pick(n);
        m.mutable_from()->set_email(senders[static_cast<size_t>(earlier)]);
        m.mutable_threading()->set_in_reply_to(absl::StrCat("m", earlier, "@x"));
      }
      senders.push_back(m.from().email());
      batch.push_back(std::move(m));
    }
  }
  return batches;
}

// Runs the batches (and a Tick after each, two days on) on a desk over
// `store`, from the same start time.
void Ingest(Store* store, const std::vector<std::vector<v1::InboundMessage>>& batches) {
  ManualClock clock(absl::FromUnixSeconds(1767600000));
  DeskOptions o{.store = store, .clock = &clock};
  o.ingest.acknowledge_new_tickets = true;
  o.ingest.desk_email = "help@desk.example";
  absl::StatusOr<RuleSet> rules = RuleSet::FromText(kRules, Workflow::Default(), {});
  ASSERT_OK(rules.status());
  o.rules = std::make_shared<const RuleSet>(*std::move(rules));
  absl::StatusOr<SlaEngine> sla = SlaEngine::FromText(kSla, Workflow::Default());
  ASSERT_OK(sla.status());
  o.sla = *std::move(sla);
  absl::StatusOr<std::unique_ptr<Desk>> desk = Desk::Open(std::move(o));
  ASSERT_OK(desk.status());
  ASSERT_OK((*desk)->people().CreateGroup(SystemActor(), "finance").status());
  for (const std::vector<v1::InboundMessage>& batch : batches) {
    absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> results =
        (*desk)->inbox().IngestBatch(batch);
    ASSERT_OK(results.status());
    for (const absl::StatusOr<IngestResult>& r : *results) ASSERT_OK(r.status());
    clock.Advance(absl::Hours(25));
    ASSERT_OK((*desk)->Tick(clock.Now()).status());
  }
}

// Everything stored about tickets, in one list of protos per kind.
struct Stored {
  std::vector<v1::Ticket> tickets;
  std::vector<v1::Event> events;
  std::vector<v1::Message> messages;
  std::vector<v1::OutboxEntry> outbox;
  std::vector<std::string> automation;  // per ticket: due time and firings
};

Stored Read(Store* store) {
  Stored s;
  absl::StatusOr<std::unique_ptr<Transaction>> tx = store->Begin(TransactionMode::kReadOnly);
  EXPECT_OK(tx.status());
  if (!tx.ok()) return s;
  for (int64_t id = 1;; ++id) {
    absl::StatusOr<v1::Ticket> t = (*tx)->GetTicket(id);
    if (absl::IsNotFound(t.status())) break;
    EXPECT_OK(t.status());
    if (!t.ok()) break;
    s.tickets.push_back(*t);
    absl::StatusOr<std::vector<v1::Event>> events = (*tx)->ListTicketEvents(id, 0, 0);
    EXPECT_OK(events.status());
    if (events.ok()) s.events.insert(s.events.end(), events->begin(), events->end());
    absl::StatusOr<std::vector<v1::Message>> messages = (*tx)->ListMessages(id);
    EXPECT_OK(messages.status());
    if (messages.ok()) s.messages.insert(s.messages.end(), messages->begin(), messages->end());
    absl::StatusOr<std::optional<absl::Time>> due = (*tx)->GetTicketAutomationDue(id);
    absl::StatusOr<v1::RuleFirings> fired = (*tx)->GetRuleFirings(id);
    EXPECT_OK(due.status());
    EXPECT_OK(fired.status());
    if (due.ok() && fired.ok()) {
      s.automation.push_back(absl::StrCat(
          id, " due ", *due ? absl::FormatTime(**due) : "none", " fired ",
          fired->ShortDebugString()));
    }
  }
  absl::StatusOr<std::vector<v1::OutboxEntry>> outbox =
      (*tx)->ListOutbox(std::nullopt, 0, 1000);
  EXPECT_OK(outbox.status());
  if (outbox.ok()) s.outbox = *outbox;
  return s;
}

template <typename Proto>
void ExpectSame(const std::vector<Proto>& memory, const std::vector<Proto>& sqlite,
                const char* what) {
  ASSERT_EQ(memory.size(), sqlite.size()) << what;
  for (size_t i = 0; i < memory.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(memory[i], sqlite[i]))
        << what << "[" << i << "]\nmemory: " << memory[i].ShortDebugString()
        << "\nsqlite: " << sqlite[i].ShortDebugString();
  }
}

TEST(DeskIngestStoresTest, SqliteAndPostgresStoreWhatTheMemoryStoreStores) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const std::vector<std::vector<v1::InboundMessage>> batches = Batches(seed);
    std::unique_ptr<Store> memory = NewMemoryStore();
    ASSERT_NO_FATAL_FAILURE(Ingest(memory.get(), batches));
    // Below the run's private TempDir() (tests/test_main.cc removes it).
    std::string dir = ::testing::TempDir() + "/desk_ingest_stores_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    const std::string path = absl::StrCat(dir, "/desk.db");
    {
      absl::StatusOr<std::unique_ptr<Store>> sqlite = OpenSqliteStore(path);
      ASSERT_OK(sqlite.status());
      ASSERT_NO_FATAL_FAILURE(Ingest(sqlite->get(), batches));
    }
    // Read back from the file, by a store that wrote nothing.
    absl::StatusOr<std::unique_ptr<Store>> reopened = OpenSqliteStore(path);
    ASSERT_OK(reopened.status());
    const Stored want = Read(memory.get());
    const Stored got = Read(reopened->get());
    EXPECT_GT(want.tickets.size(), 30u);
    int changed_by_rules = 0;
    for (const v1::Ticket& t : want.tickets) changed_by_rules += t.version() > 1;
    EXPECT_GT(changed_by_rules, 10);
    ExpectSame(want.tickets, got.tickets, "tickets");
    ExpectSame(want.events, got.events, "events");
    ExpectSame(want.messages, got.messages, "messages");
    ExpectSame(want.outbox, got.outbox, "outbox");
    EXPECT_EQ(want.automation, got.automation);
    reopened->reset();
    std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
#ifdef HELPDESK_TEST_WITH_POSTGRES
    if (!::helpdesk::testing::TestPostgresUrl().empty()) {
      SCOPED_TRACE("PostgreSQL");
      absl::StatusOr<std::unique_ptr<Store>> pg = ::helpdesk::testing::OpenFreshPostgresStore();
      ASSERT_OK(pg.status());
      ASSERT_NO_FATAL_FAILURE(Ingest(pg->get(), batches));
      const Stored on_pg = Read(pg->get());
      ExpectSame(want.tickets, on_pg.tickets, "tickets");
      ExpectSame(want.events, on_pg.events, "events");
      ExpectSame(want.messages, on_pg.messages, "messages");
      ExpectSame(want.outbox, on_pg.outbox, "outbox");
      EXPECT_EQ(want.automation, on_pg.automation);
    }
#endif
  }
}

}  // namespace
}  // namespace helpdesk
