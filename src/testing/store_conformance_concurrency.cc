// The Store conformance suite: isolation between transactions, snapshots and concurrent writers.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, UncommittedWritesAreInvisibleToOthers) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));

  struct Seen {
    absl::Status begin;
    absl::StatusOr<v1::Ticket> existing;
    absl::StatusOr<std::vector<int64_t>> query;
  };
  // Declared before the writer so that, on an early return, the writer is
  // rolled back before the future waits for the reader.
  std::future<Seen> reader;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> writer, BeginReadWrite());
  v1::Ticket inserted = sci::MakeTicket("uncommitted");
  HELPDESK_ASSERT_OK(writer->InsertTicket(&inserted));
  v1::Ticket changed = existing;
  changed.set_subject("uncommitted change");
  HELPDESK_ASSERT_OK(writer->UpdateTicket(&changed, existing.version()));

  // The reader runs on another thread: a store may make it wait until the
  // writer finishes, which must not deadlock this test.
  reader = std::async(std::launch::async, [this, id = existing.id()] {
    Seen seen;
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
    seen.begin = tx.status();
    if (!tx.ok()) return seen;
    seen.existing = (*tx)->GetTicket(id);
    absl::StatusOr<TicketPage> page =
        (*tx)->QueryTickets(TicketQuery{.include_merged = true});
    if (page.ok()) {
      seen.query = sci::IdsOf(page->tickets);
    } else {
      seen.query = page.status();
    }
    return seen;
  });
  const bool read_while_uncommitted =
      reader.wait_for(std::chrono::seconds(1)) == std::future_status::ready;
  if (read_while_uncommitted) {
    Seen seen = reader.get();
    HELPDESK_ASSERT_OK(seen.begin);
    EXPECT_THAT(seen.existing, sci::IsOkAndHolds(sci::EqualsProto(existing)));
    EXPECT_THAT(seen.query,
                sci::IsOkAndHolds(::testing::ElementsAre(existing.id())));
  }
  HELPDESK_ASSERT_OK(writer->Commit());
  writer.reset();
  if (!read_while_uncommitted) {
    // The store made the reader wait for the writer; it then may see either
    // state, but must have worked.
    Seen seen = reader.get();
    HELPDESK_EXPECT_OK(seen.begin);
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids, QueryIds(TicketQuery()));
  EXPECT_THAT(ids, ::testing::ElementsAre(existing.id(), inserted.id()));
}

TEST_P(StoreConformanceTest, ReadOnlyTransactionSeesASnapshot) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket existing,
                       InsertCommitted(sci::MakeTicket("existing")));
  {
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
    v1::Event event = sci::MakeEvent(existing.id(), v1::Event::TICKET_CREATED);
    HELPDESK_ASSERT_OK(tx->AppendEvent(&event));
    HELPDESK_ASSERT_OK(tx->Commit());
  }

  // Declared before the reader so that, on an early return, the reader ends
  // before the future waits for the writer.
  std::future<absl::Status> writer;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket first_read, reader->GetTicket(existing.id()));
  EXPECT_THAT(first_read, sci::EqualsProto(existing));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> first_events,
                       reader->ListEventsSince(0, 100));
  ASSERT_EQ(first_events.size(), 1u);

  // The writer runs on another thread: a store may make it wait until the
  // reader finishes, which must not deadlock this test.
  writer = std::async(std::launch::async, [this, existing] {
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
    if (!tx.ok()) return tx.status();
    v1::Ticket changed = existing;
    changed.set_subject("changed after the snapshot");
    absl::Status s = (*tx)->UpdateTicket(&changed, existing.version());
    v1::Ticket inserted = sci::MakeTicket("inserted after the snapshot");
    if (s.ok()) s = (*tx)->InsertTicket(&inserted);
    v1::Event event = sci::MakeEvent(existing.id(), v1::Event::FIELDS_CHANGED);
    if (s.ok()) s = (*tx)->AppendEvent(&event);
    if (s.ok()) s = (*tx)->Commit();
    return s;
  });
  if (writer.wait_for(std::chrono::seconds(1)) == std::future_status::ready) {
    HELPDESK_ASSERT_OK(writer.get());
  }
  // Whether or not the writer has committed, the reader sees its snapshot.
  EXPECT_THAT(reader->GetTicket(existing.id()),
              sci::IsOkAndHolds(sci::EqualsProto(existing)));
  HELPDESK_ASSERT_OK_AND_ASSIGN(
      TicketPage page,
      reader->QueryTickets(TicketQuery{.include_merged = true}));
  EXPECT_THAT(sci::IdsOf(page.tickets), ::testing::ElementsAre(existing.id()));
  EXPECT_THAT(reader->ListEventsSince(0, 100),
              sci::IsOkAndHolds(::testing::SizeIs(1)));
  HELPDESK_EXPECT_OK(reader->Commit());
  reader.reset();
  if (writer.valid()) {
    HELPDESK_ASSERT_OK(writer.get());
  }

  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket now, ReadTicket(existing.id()));
  EXPECT_EQ(now.subject(), "changed after the snapshot");
  EXPECT_EQ(now.version(), existing.version() + 1);
}

TEST_P(StoreConformanceTest, ConcurrentVersionCheckedUpdatesLoseNothing) {
  namespace sci = store_conformance_internal;
  // Two writers increment message_count with version-checked updates and
  // retry on Aborted/Unavailable. One reads inside its read-write transaction;
  // the other reads in a separate read-only transaction first, so its update
  // is stale whenever the first writer got in between and must be Aborted.
  // A third thread checks that every snapshot it reads is consistent.
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket ticket,
                       InsertCommitted(sci::MakeTicket("counter")));
  const int64_t id = ticket.id();
  constexpr int kIncrementsPerWriter = 100;
  constexpr int kMaxAttempts = 100000;
  std::atomic<int> successes{0};
  std::atomic<int> writers_done{0};
  std::atomic<int> ready{0};
  // Threads start together, so that the writers really interleave.
  auto wait_for_everyone = [&ready] {
    ++ready;
    while (ready.load() < 3) std::this_thread::yield();
  };

  auto retryable = [](const absl::Status& s) {
    return absl::IsAborted(s) || absl::IsUnavailable(s);
  };
  auto writer = [&](bool read_in_separate_transaction) {
    wait_for_everyone();
    int done = 0;
    for (int attempt = 0; done < kIncrementsPerWriter; ++attempt) {
      if (attempt >= kMaxAttempts) {
        ADD_FAILURE() << "writer gave up after " << attempt << " attempts";
        break;
      }
      std::optional<v1::Ticket> read;
      if (read_in_separate_transaction) {
        absl::StatusOr<std::unique_ptr<Transaction>> reader = BeginReadOnly();
        if (!reader.ok()) {
          if (retryable(reader.status())) continue;
          ADD_FAILURE() << reader.status();
          break;
        }
        absl::StatusOr<v1::Ticket> got = (*reader)->GetTicket(id);
        if (!got.ok()) {
          if (retryable(got.status())) continue;
          ADD_FAILURE() << got.status();
          break;
        }
        read = *got;
        // Let the other writer in between the read and the write (this only
        // makes a lost update likelier to show; correctness does not depend
        // on timing).
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadWrite();
      if (!tx.ok()) {
        if (retryable(tx.status())) continue;
        ADD_FAILURE() << tx.status();
        break;
      }
      if (!read_in_separate_transaction) {
        absl::StatusOr<v1::Ticket> got = (*tx)->GetTicket(id);
        if (!got.ok()) {
          if (retryable(got.status())) continue;
          ADD_FAILURE() << got.status();
          break;
        }
        read = *got;
      }
      v1::Ticket next = *read;
      next.set_message_count(next.message_count() + 1);
      absl::Status s = (*tx)->UpdateTicket(&next, read->version());
      if (s.ok()) s = (*tx)->Commit();
      if (s.ok()) {
        ++done;
        ++successes;
      } else if (!retryable(s)) {
        ADD_FAILURE() << s;
        break;
      }
    }
    ++writers_done;
  };
  auto checker = [&] {
    wait_for_everyone();
    int64_t last_version = 0;
    while (writers_done.load() < 2) {
      absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginReadOnly();
      if (!tx.ok()) {
        if (!retryable(tx.status())) ADD_FAILURE() << tx.status();
        continue;
      }
      absl::StatusOr<v1::Ticket> got = (*tx)->GetTicket(id);
      if (!got.ok()) {
        if (!retryable(got.status())) ADD_FAILURE() << got.status();
        continue;
      }
      if (got->message_count() != got->version() - 1 ||
          got->version() < last_version) {
        ADD_FAILURE() << "inconsistent snapshot: message_count "
                      << got->message_count() << " at version "
                      << got->version() << " after version " << last_version;
        break;
      }
      last_version = got->version();
      std::this_thread::yield();
    }
  };

  std::thread in_transaction(writer, false);
  std::thread separate(writer, true);
  std::thread check(checker);
  in_transaction.join();
  separate.join();
  check.join();

  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket final_ticket, ReadTicket(id));
  EXPECT_EQ(successes.load(), 2 * kIncrementsPerWriter);
  EXPECT_EQ(final_ticket.version(), successes.load() + 1);
  EXPECT_EQ(final_ticket.message_count(), successes.load());
}
}  // namespace helpdesk::testing
