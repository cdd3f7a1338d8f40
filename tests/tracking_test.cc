// Tracking links (helpdesk/desk/tracking.h): the token's entropy and shape,
// that only its hash is stored, revoke and rotate, expiry, what the token's
// viewer may see (the public thread of one ticket, nothing else, no write),
// and hostile tokens, on MemoryStore and on SqliteStore (a file, read back
// byte by byte to look for the token).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/access.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store_wrapper.h"
#include "helpdesk/testing/status_matchers.h"
#include "internal/sha256.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

MATCHER_P(IsOkAndHolds, value, "is OK and holds the value") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return *arg == value;
}

// Counts the calls Track makes on the store, to check that every refused
// token takes the same steps.
struct CallCounts {
  int lookups = 0;
  int tickets = 0;
  int messages = 0;
  bool operator==(const CallCounts&) const = default;
};

class CountingTransaction : public TransactionWrapper {
 public:
  CountingTransaction(std::unique_ptr<Transaction> base, CallCounts* counts)
      : TransactionWrapper(std::move(base)), counts_(counts) {}
  absl::StatusOr<TrackingTokenRecord> LookupTrackingToken(absl::string_view h) override {
    ++counts_->lookups;
    return TransactionWrapper::LookupTrackingToken(h);
  }
  absl::StatusOr<v1::Ticket> GetTicket(int64_t id) override {
    ++counts_->tickets;
    return TransactionWrapper::GetTicket(id);
  }
  absl::StatusOr<std::vector<v1::Message>> ListMessages(int64_t id) override {
    ++counts_->messages;
    return TransactionWrapper::ListMessages(id);
  }

 private:
  CallCounts* counts_;
};

class CountingStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      const TransactionOptions& options) override {
    auto tx = StoreWrapper::Begin(options);
    if (!tx.ok()) return tx;
    return std::unique_ptr<Transaction>(new CountingTransaction(*std::move(tx), &counts));
  }
  CallCounts counts;
};

// Param: false = MemoryStore, true = SqliteStore on a file.
class TrackingTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      path_ = ::testing::TempDir() + "/tracking_" + name + ".db";
      RemoveFiles();
      auto s = OpenSqliteStore(path_);
      ASSERT_OK(s.status());
      base_ = *std::move(s);
    } else {
      base_ = NewMemoryStore();
    }
    store_ = std::make_unique<CountingStore>(base_.get());
    OpenDesk(absl::InfiniteDuration());
  }

  void TearDown() override {
    desk_.reset();
    store_.reset();
    base_.reset();
    if (GetParam()) RemoveFiles();
  }

  void RemoveFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::remove((path_ + suffix).c_str());
    }
  }

  void OpenDesk(absl::Duration lifetime) {
    desk_.reset();
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(),
                                            .clock = &clock_,
                                            .tracking_link_lifetime = lifetime}));
    const v1::Actor system = SystemActor();
    if (ada_.id() != 0) return;  // people made already
    ASSERT_OK_AND_ASSIGN(v1::Group support, desk_->people().CreateGroup(system, "Support"));
    ASSERT_OK_AND_ASSIGN(v1::Group billing, desk_->people().CreateGroup(system, "Billing"));
    ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(
                                            system, {.name = "Bob",
                                                     .email = "bob@desk.example",
                                                     .group_ids = {support.id()}}));
    bob_ = AgentActor(bob.id());
    ASSERT_OK_AND_ASSIGN(v1::Agent carla,
                         desk_->people().CreateAgent(system,
                                                     {.name = "Carla",
                                                      .email = "carla@desk.example",
                                                      .ticket_access = v1::Agent::GROUPS,
                                                      .group_ids = {billing.id()}}));
    carla_ = AgentActor(carla.id());
    ASSERT_OK_AND_ASSIGN(v1::Agent lee,
                         desk_->people().CreateAgent(system,
                                                     {.name = "Lee",
                                                      .email = "lee@desk.example",
                                                      .role = v1::Agent::LIGHT_AGENT}));
    lee_ = AgentActor(lee.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact ada, desk_->people().CreateContact(
                                              system, {.name = "Ada",
                                                       .emails = {"ada@example.com"}}));
    ada_ = ContactActor(ada.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact cy, desk_->people().CreateContact(
                                             system, {.name = "Cy",
                                                      .emails = {"cy@example.com"}}));
    cy_ = ContactActor(cy.id());
    support_ = support.id();
  }

  // A ticket of Ada's in Support with a customer message (with an
  // attachment), an internal note (with one) and a public reply.
  v1::Ticket MakeThread(absl::string_view subject) {
    NewTicket nt{.subject = std::string(subject),
                 .requester_id = ada_.id(),
                 .description = "My invoice shows the wrong VAT number.",
                 .attachments = {{.file_name = "invoice.pdf",
                                  .media_type = "application/pdf",
                                  .content = "%PDF-1.4 invoice"}},
                 .group_id = support_};
    absl::StatusOr<v1::Ticket> t = desk_->tickets().Create(bob_, nt);
    EXPECT_OK(t.status());
    if (!t.ok()) return v1::Ticket();
    EXPECT_OK(desk_->tickets()
                  .AddMessage(bob_, t->id(),
                              {.kind = v1::Message::INTERNAL_NOTE,
                               .body_text = "SECRET-NOTE: customer is on the fraud watch list",
                               .attachments = {{.file_name = "fraud-report.txt",
                                                .content = "internal"}}})
                  .status());
    EXPECT_OK(desk_->tickets()
                  .AddMessage(bob_, t->id(),
                              {.kind = v1::Message::PUBLIC_REPLY,
                               .body_text = "We corrected the VAT number; a new invoice follows."})
                  .status());
    return *t;
  }

  // The bytes of the database files (SQLite only), after the desk and the
  // store are closed.
  std::string DatabaseBytes() {
    desk_.reset();
    store_.reset();
    base_.reset();
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(path_ + suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
  }

  // Everything the store holds about a ticket, as text, through the port.
  std::string StoredText(int64_t ticket_id) {
    auto tx = base_->Begin(TransactionMode::kReadOnly);
    EXPECT_OK(tx.status());
    std::string out;
    auto t = (*tx)->GetTicket(ticket_id);
    if (t.ok()) out += t->SerializeAsString() + t->DebugString();
    auto ms = (*tx)->ListMessages(ticket_id);
    if (ms.ok()) {
      for (const v1::Message& m : *ms) out += m.SerializeAsString() + m.DebugString();
    }
    auto es = (*tx)->ListEventsSince(0, 10000);
    if (es.ok()) {
      for (const v1::Event& e : *es) out += e.SerializeAsString() + e.DebugString();
    }
    auto link = (*tx)->GetTrackingTokenOfTicket(ticket_id);
    if (link.ok() && link->has_value()) out += (*link)->token_sha256;
    return out;
  }

  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string path_;
  std::unique_ptr<Store> base_;
  std::unique_ptr<CountingStore> store_;
  std::unique_ptr<Desk> desk_;
  v1::Actor bob_, carla_, lee_, ada_, cy_;
  int64_t support_ = 0;
};

bool UrlSafe(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

TEST_P(TrackingTest, TokensAre256RandomBitsInUrlSafeBase64) {
  std::set<std::string> tokens;
  std::vector<int> ones(256, 0);
  int64_t total_ones = 0;
  constexpr int kTickets = 120;
  for (int i = 0; i < kTickets; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Create(
                                           ada_, {.subject = absl::StrCat("Order ", i),
                                                  .description = "Where is it?"}));
    ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_, t.id()));
    EXPECT_EQ(link.ticket_id, t.id());
    EXPECT_EQ(link.created_at, clock_.Now());
    ASSERT_EQ(link.token.size(), kTrackingTokenLength) << link.token;
    EXPECT_TRUE(UrlSafe(link.token)) << link.token;
    EXPECT_NE(link.token.front(), '-') << link.token;
    std::string raw;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(link.token, &raw)) << link.token;
    ASSERT_EQ(raw.size(), 32u);
    for (int bit = 0; bit < 256; ++bit) {
      const bool set = (static_cast<unsigned char>(raw[bit / 8]) >> (bit % 8)) & 1;
      ones[bit] += set;
      total_ones += set;
    }
    EXPECT_TRUE(tokens.insert(link.token).second) << "a token repeated";
  }
  // 30,720 bits: the share of ones is 0.5 +- 0.003 (one standard deviation);
  // +-0.03 fails only for a broken generator.
  const double share = static_cast<double>(total_ones) / (kTickets * 256.0);
  EXPECT_NEAR(share, 0.5, 0.03);
  // Every bit position varies (a stuck bit would be 0 or kTickets).
  for (int bit = 0; bit < 256; ++bit) {
    EXPECT_GT(ones[bit], 0) << "bit " << bit;
    EXPECT_LT(ones[bit], kTickets) << "bit " << bit;
  }
}

TEST_P(TrackingTest, OnlyTheTokensHashIsStored) {
  v1::Ticket t = MakeThread("Wrong VAT");
  ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(bob_, t.id()));
  const std::string hash = internal::Sha256Hex(link.token);
  {
    auto tx = base_->Begin(TransactionMode::kReadOnly);
    ASSERT_OK(tx.status());
    ASSERT_OK_AND_ASSIGN(TrackingTokenRecord r, (*tx)->LookupTrackingToken(hash));
    EXPECT_EQ(r.ticket_id, t.id());
    EXPECT_EQ(r.token_sha256, hash);
    EXPECT_NE(r.token_sha256, link.token);
    // The token itself is no key.
    EXPECT_THAT((*tx)->LookupTrackingToken(link.token), StatusIs(absl::StatusCode::kNotFound));
  }
  const std::string stored = StoredText(t.id());
  EXPECT_THAT(stored, HasSubstr(hash));
  EXPECT_FALSE(absl::StrContains(stored, link.token));
  if (GetParam()) {
    const std::string bytes = DatabaseBytes();
    ASSERT_FALSE(bytes.empty());
    EXPECT_TRUE(absl::StrContains(bytes, hash)) << "the hash is where the test looks";
    EXPECT_FALSE(absl::StrContains(bytes, link.token)) << "the token is in the database file";
    std::string raw;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(link.token, &raw));
    EXPECT_FALSE(absl::StrContains(bytes, raw)) << "the token's bytes are in the database file";
  }
}

TEST_P(TrackingTest, TrackShowsThePublicThreadAndStatusWithoutInternalNotes) {
  v1::Ticket t = MakeThread("Wrong VAT");
  ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_, t.id()));
  ASSERT_OK(desk_->tickets().Update(bob_, t.id(), {.status = "pending"}).status());
  ASSERT_OK_AND_ASSIGN(TrackedTicket view, desk_->tracking().Track(link.token));
  EXPECT_EQ(view.ticket_id, t.id());
  EXPECT_EQ(view.subject, "Wrong VAT");
  EXPECT_EQ(view.status, "pending");
  EXPECT_EQ(view.status_category, v1::STATUS_CATEGORY_PENDING);
  ASSERT_THAT(view.messages, SizeIs(2));
  EXPECT_EQ(view.messages[0].kind, v1::Message::CUSTOMER_MESSAGE);
  EXPECT_EQ(view.messages[0].body_text, "My invoice shows the wrong VAT number.");
  ASSERT_THAT(view.messages[0].attachments, SizeIs(1));
  EXPECT_EQ(view.messages[0].attachments[0].file_name(), "invoice.pdf");
  EXPECT_EQ(view.messages[0].attachments[0].media_type(), "application/pdf");
  EXPECT_EQ(view.messages[0].attachments[0].size(), 16);
  EXPECT_EQ(view.messages[0].attachments[0].sha256(), internal::Sha256Hex("%PDF-1.4 invoice"));
  EXPECT_EQ(view.messages[1].kind, v1::Message::PUBLIC_REPLY);
  for (const TrackedMessage& m : view.messages) {
    EXPECT_NE(m.kind, v1::Message::INTERNAL_NOTE);
    EXPECT_FALSE(absl::StrContains(m.body_text, "SECRET-NOTE"));
    for (const v1::Attachment& a : m.attachments) EXPECT_NE(a.file_name(), "fraud-report.txt");
  }
}

TEST_P(TrackingTest, TheTokenOpensItsOwnTicketOnlyAndWritesNothing) {
  v1::Ticket mine = MakeThread("Mine");
  v1::Ticket other = MakeThread("Someone else's");
  ASSERT_OK_AND_ASSIGN(TrackingLink a, desk_->tracking().Issue(bob_, mine.id()));
  ASSERT_OK_AND_ASSIGN(TrackingLink b, desk_->tracking().Issue(bob_, other.id()));
  ASSERT_OK_AND_ASSIGN(TrackedTicket va, desk_->tracking().Track(a.token));
  ASSERT_OK_AND_ASSIGN(TrackedTicket vb, desk_->tracking().Track(b.token));
  EXPECT_EQ(va.ticket_id, mine.id());
  EXPECT_EQ(vb.ticket_id, other.id());

  // Reading by token writes nothing: no event, no new version.
  auto tx = base_->Begin(TransactionMode::kReadOnly);
  ASSERT_OK(tx.status());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> before, (*tx)->ListEventsSince(0, 10000));
  tx->reset();
  for (int i = 0; i < 5; ++i) ASSERT_OK(desk_->tracking().Track(a.token).status());
  tx = base_->Begin(TransactionMode::kReadOnly);
  ASSERT_OK(tx.status());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> after, (*tx)->ListEventsSince(0, 10000));
  ASSERT_OK_AND_ASSIGN(v1::Ticket stored, (*tx)->GetTicket(mine.id()));
  tx->reset();
  EXPECT_EQ(after.size(), before.size());
  EXPECT_EQ(stored.version(), mine.version() + 2);  // the note and the reply, nothing since

  // The token's viewer, as the access component answers for it: view its
  // ticket, nothing else on it, nothing on another ticket, nothing at all
  // beyond tickets.
  const Viewer viewer = Viewer::OfTrackingLink(mine.id());
  const TicketFacts own = TicketFacts::Of(stored);
  const TicketFacts foreign = TicketFacts::Of(other);
  for (int i = 0; i < kActionCount; ++i) {
    const Action action = static_cast<Action>(i);
    SCOPED_TRACE(ActionName(action));
    const absl::Status on_own = Authorize(viewer, action, Subject::Ticket(own));
    if (action == Action::kViewTicket) {
      EXPECT_OK(on_own);
    } else {
      EXPECT_FALSE(on_own.ok());
    }
    if (SubjectOf(action) == SubjectKind::kTicket) {
      EXPECT_FALSE(Authorize(viewer, action, Subject::Ticket(foreign)).ok());
    } else {
      EXPECT_FALSE(Authorize(viewer, action).ok());
    }
  }
  EXPECT_THAT(Authorize(viewer, Action::kViewInternalNotes, Subject::Ticket(own)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("tracking link of ticket ", mine.id(),
                                    " may not read internal notes on ticket ", mine.id())));
  EXPECT_THAT(Authorize(viewer, Action::kViewTicket, Subject::Ticket(foreign)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(TrackingTest, RevokeStopsTheTokenAsIfItNeverExisted) {
  v1::Ticket t = MakeThread("Refund");
  ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_, t.id()));
  ASSERT_OK(desk_->tracking().Track(link.token).status());
  EXPECT_THAT(desk_->tracking().Revoke(ada_, t.id()), IsOkAndHolds(true));
  EXPECT_THAT(desk_->tracking().Revoke(ada_, t.id()), IsOkAndHolds(false));
  EXPECT_THAT(desk_->tracking().IssuedAt(ada_, t.id()), IsOkAndHolds(std::nullopt));

  // Revoked and never issued: the same answer through the same steps.
  std::string unknown = link.token;
  unknown[0] = unknown[0] == 'A' ? 'B' : 'A';
  store_->counts = {};
  const absl::Status revoked = desk_->tracking().Track(link.token).status();
  const CallCounts revoked_calls = store_->counts;
  store_->counts = {};
  const absl::Status never = desk_->tracking().Track(unknown).status();
  const CallCounts never_calls = store_->counts;
  EXPECT_THAT(revoked, StatusIs(absl::StatusCode::kNotFound, "tracking link not found"));
  EXPECT_EQ(revoked, never);
  EXPECT_EQ(revoked_calls, never_calls);
  EXPECT_EQ(revoked_calls.lookups, 1);
  EXPECT_EQ(revoked_calls.tickets, 0);

  // A new link after a revoke works, and is a new token.
  ASSERT_OK_AND_ASSIGN(TrackingLink again, desk_->tracking().Issue(ada_, t.id()));
  EXPECT_NE(again.token, link.token);
  EXPECT_OK(desk_->tracking().Track(again.token).status());
  EXPECT_THAT(desk_->tracking().Track(link.token), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(TrackingTest, RotateRetiresTheOldTokenAtOnce) {
  v1::Ticket t = MakeThread("Shipping");
  EXPECT_THAT(desk_->tracking().Rotate(bob_, t.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no tracking link")));
  ASSERT_OK_AND_ASSIGN(TrackingLink first, desk_->tracking().Issue(bob_, t.id()));
  EXPECT_THAT(desk_->tracking().Issue(bob_, t.id()),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("rotate")));
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(TrackingLink second, desk_->tracking().Rotate(ada_, t.id()));
  EXPECT_NE(second.token, first.token);
  EXPECT_EQ(second.created_at, clock_.Now());
  EXPECT_THAT(desk_->tracking().Track(first.token),
              StatusIs(absl::StatusCode::kNotFound, "tracking link not found"));
  ASSERT_OK_AND_ASSIGN(TrackedTicket view, desk_->tracking().Track(second.token));
  EXPECT_EQ(view.ticket_id, t.id());
  EXPECT_THAT(desk_->tracking().IssuedAt(bob_, t.id()), IsOkAndHolds(clock_.Now()));
}

TEST_P(TrackingTest, WhoMayIssueRotateAndRevoke) {
  v1::Ticket t = MakeThread("Access");  // Ada's, in Support
  ASSERT_OK(desk_->tickets().Update(bob_, t.id(), {.add_cc_contact_ids = {cy_.id()}}).status());
  // Cy is copied: may view the ticket, may not hand out links to it.
  EXPECT_THAT(desk_->tracking().Issue(cy_, t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("tracking links")));
  EXPECT_THAT(desk_->tracking().Issue(lee_, t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Carla sees only Billing's tickets: this one is "not found" for her.
  EXPECT_THAT(desk_->tracking().Issue(carla_, t.id()),
              StatusIs(absl::StatusCode::kNotFound, absl::StrCat("ticket ", t.id(), " not found")));
  EXPECT_THAT(desk_->tracking().Issue(bob_, 9999), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_, t.id()));
  EXPECT_THAT(desk_->tracking().Revoke(cy_, t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tracking().Rotate(lee_, t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->tracking().IssuedAt(carla_, t.id()), StatusIs(absl::StatusCode::kNotFound));
  // None of the refusals touched the link.
  EXPECT_OK(desk_->tracking().Track(link.token).status());
  EXPECT_OK(desk_->tracking().Revoke(SystemActor(), t.id()).status());
}

TEST_P(TrackingTest, HostileTokensAreRefusedLikeAMissingOne) {
  v1::Ticket t = MakeThread("Hostile");
  ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_, t.id()));
  std::string last_changed = link.token;
  last_changed.back() = last_changed.back() == 'A' ? 'Q' : 'A';
  std::string with_nul = link.token;
  with_nul[10] = '\0';
  const std::vector<std::string> hostile = {
      "",
      std::string(1 << 20, 'A'),                 // huge
      link.token + link.token,                   // twice
      link.token.substr(0, link.token.size() - 1),  // truncated
      link.token.substr(1),
      link.token + "=",                          // padded
      link.token + "A",
      " " + link.token.substr(1),
      last_changed,                              // tampered
      absl::AsciiStrToUpper(link.token),
      with_nul,
      std::string(kTrackingTokenLength, '.'),    // the decoy's shape
      "contraseña-facturación-ñññññññññññññññ",  // non-ASCII
      std::string("\xff\xfe\x80\xc3\x28", 5),    // invalid UTF-8
      internal::Sha256Hex(link.token),           // the stored hash itself
      "' OR 1=1 --",
  };
  CallCounts first_calls;
  for (size_t i = 0; i < hostile.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("hostile token ", i));
    store_->counts = {};
    EXPECT_THAT(desk_->tracking().Track(hostile[i]),
                StatusIs(absl::StatusCode::kNotFound, "tracking link not found"));
    if (i == 0) first_calls = store_->counts;
    EXPECT_EQ(store_->counts, first_calls);
  }
  EXPECT_EQ(first_calls.lookups, 1);
  // The real token still works.
  EXPECT_OK(desk_->tracking().Track(link.token).status());
}

TEST_P(TrackingTest, ExpiredTokensAreRefusedLikeAMissingOne) {
  OpenDesk(absl::Hours(24));
  v1::Ticket t = MakeThread("Expiry");
  ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_, t.id()));
  clock_.Advance(absl::Hours(24) - absl::Seconds(1));
  EXPECT_OK(desk_->tracking().Track(link.token).status());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(desk_->tracking().Track(link.token),
              StatusIs(absl::StatusCode::kNotFound, "tracking link not found"));
  // Rotating gives a fresh day.
  ASSERT_OK_AND_ASSIGN(TrackingLink fresh, desk_->tracking().Rotate(ada_, t.id()));
  clock_.Advance(absl::Hours(23));
  EXPECT_OK(desk_->tracking().Track(fresh.token).status());
  // A lifetime must be positive.
  EXPECT_THAT(Desk::Open({.store = store_.get(),
                          .clock = &clock_,
                          .tracking_link_lifetime = absl::ZeroDuration()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tracking_link_lifetime")));
}

TEST_P(TrackingTest, AMergedTicketsLinkShowsTheTicketItWasMergedInto) {
  v1::Ticket source = MakeThread("Duplicate");
  v1::Ticket target = MakeThread("Original");
  ASSERT_OK_AND_ASSIGN(TrackingLink link, desk_->tracking().Issue(ada_, source.id()));
  ASSERT_OK(desk_->tickets().Merge(bob_, source.id(), target.id()).status());
  ASSERT_OK_AND_ASSIGN(TrackedTicket view, desk_->tracking().Track(link.token));
  EXPECT_EQ(view.ticket_id, target.id());
  EXPECT_EQ(view.subject, "Original");
  EXPECT_THAT(view.messages, SizeIs(4));  // both threads' public messages
  EXPECT_THAT(desk_->tracking().Rotate(ada_, source.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("merged into ticket ", target.id()))));
  EXPECT_THAT(desk_->tracking().Revoke(ada_, source.id()), IsOkAndHolds(true));
}

// An expired token and a token rotated away are refused as one never
// issued: the same status and message through the same store calls.
TEST_P(TrackingTest, ExpiredAndRotatedAwayTokensTakeTheStepsOfAMissingOne) {
  OpenDesk(absl::Hours(1));
  v1::Ticket t = MakeThread("Steps");
  v1::Ticket other = MakeThread("Other steps");
  ASSERT_OK_AND_ASSIGN(TrackingLink old_link, desk_->tracking().Issue(ada_, t.id()));
  ASSERT_OK_AND_ASSIGN(TrackingLink current, desk_->tracking().Rotate(ada_, t.id()));
  ASSERT_OK_AND_ASSIGN(TrackingLink expiring, desk_->tracking().Issue(ada_, other.id()));
  clock_.Advance(absl::Hours(1));
  std::string never = current.token;
  never[5] = never[5] == 'A' ? 'B' : 'A';
  auto refused = [&](const std::string& token) {
    store_->counts = {};
    const absl::Status s = desk_->tracking().Track(token).status();
    return std::make_pair(s, store_->counts);
  };
  const auto missing = refused(never);
  EXPECT_THAT(missing.first, StatusIs(absl::StatusCode::kNotFound, "tracking link not found"));
  EXPECT_EQ(missing.second.lookups, 1);
  for (const std::string& token : {old_link.token, expiring.token, current.token}) {
    const auto got = refused(token);
    EXPECT_EQ(got.first, missing.first);
    EXPECT_EQ(got.second, missing.second);
  }
}

// Issue, Rotate and a Revoke that removed a link are on the ticket's audit
// log with who did them; refused calls and a Revoke of nothing write none;
// no event holds the token or its hash.
TEST_P(TrackingTest, IssueRotateAndRevokeAreAudited) {
  v1::Ticket t = MakeThread("Audited");
  auto tracking_events = [&]() {
    std::vector<v1::Event> out;
    auto log = desk_->tickets().AuditLog(bob_, t.id());
    EXPECT_OK(log.status());
    if (!log.ok()) return out;
    for (const v1::Event& e : *log) {
      if (e.kind() == v1::Event::TRACKING_LINK_ISSUED ||
          e.kind() == v1::Event::TRACKING_LINK_ROTATED ||
          e.kind() == v1::Event::TRACKING_LINK_REVOKED) {
        out.push_back(e);
      }
    }
    return out;
  };
  EXPECT_THAT(tracking_events(), SizeIs(0));
  ASSERT_OK_AND_ASSIGN(TrackingLink first, desk_->tracking().Issue(ada_, t.id()));
  clock_.Advance(absl::Minutes(1));
  // Refusals write nothing.
  EXPECT_THAT(desk_->tracking().Issue(bob_, t.id()),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(desk_->tracking().Rotate(lee_, t.id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(TrackingLink second, desk_->tracking().Rotate(bob_, t.id()));
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(desk_->tracking().Revoke(SystemActor(), t.id()), IsOkAndHolds(true));
  EXPECT_THAT(desk_->tracking().Revoke(bob_, t.id()), IsOkAndHolds(false));

  std::vector<v1::Event> events = tracking_events();
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_EQ(events[0].kind(), v1::Event::TRACKING_LINK_ISSUED);
  EXPECT_EQ(events[0].actor().kind(), ada_.kind());
  EXPECT_EQ(events[0].actor().id(), ada_.id());
  EXPECT_EQ(events[0].ticket_id(), t.id());
  EXPECT_EQ(events[0].time().seconds(), absl::ToUnixSeconds(first.created_at));
  EXPECT_EQ(events[1].kind(), v1::Event::TRACKING_LINK_ROTATED);
  EXPECT_EQ(events[1].actor().id(), bob_.id());
  EXPECT_EQ(events[1].actor().kind(), bob_.kind());
  EXPECT_EQ(events[1].time().seconds(), absl::ToUnixSeconds(second.created_at));
  EXPECT_EQ(events[2].kind(), v1::Event::TRACKING_LINK_REVOKED);
  EXPECT_EQ(events[2].actor().kind(), SystemActor().kind());
  EXPECT_EQ(events[2].time().seconds(), absl::ToUnixSeconds(clock_.Now()));

  // Neither token nor hash is in any event.
  for (const v1::Event& e : events) {
    const std::string text = e.SerializeAsString() + e.DebugString();
    for (const std::string& token : {first.token, second.token}) {
      EXPECT_FALSE(absl::StrContains(text, token));
      EXPECT_FALSE(absl::StrContains(text, internal::Sha256Hex(token)));
      EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(text), internal::Sha256Hex(token)));
    }
  }
  // Nor anywhere in the store (the link is revoked: no hash left either).
  const std::string stored = StoredText(t.id());
  for (const std::string& token : {first.token, second.token}) {
    EXPECT_FALSE(absl::StrContains(stored, token));
    EXPECT_FALSE(absl::StrContains(stored, internal::Sha256Hex(token)));
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, TrackingTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("Sqlite") : std::string("Memory");
                         });

}  // namespace
}  // namespace helpdesk
