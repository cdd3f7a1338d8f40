// Desk::privacy() (issue 16) on a memory and a SQLite store: the export
// archive (a ustar file tar reads) re-imported into an empty store gives the
// same tickets; erase keeps a report's figures and leaves the contact
// unfindable; retention purges old closed tickets and orphaned attachments,
// respects legal hold and leaves an audit record; bad input and access.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/report_charts.h"
#include "helpdesk/reports.h"
#include "helpdesk/status_macros.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "internal/sha256.h"
#include "internal/tar.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// --- The tar writer and reader ---------------------------------------------

TEST(TarTest, ReadsBackWhatItWrites) {
  internal::TarWriter w;
  std::string binary("\0\x01\xff zero", 8);
  ASSERT_THAT(w.Add("a.json", "{}", absl::FromUnixSeconds(1700000000)), IsOk());
  ASSERT_THAT(w.Add("dir/empty", "", absl::FromUnixSeconds(0)), IsOk());
  ASSERT_THAT(w.Add("dir/bin", binary, absl::FromUnixSeconds(5)), IsOk());
  std::string big(1500, 'x');
  ASSERT_THAT(w.Add("big", big, absl::FromUnixSeconds(5)), IsOk());
  std::string tar = std::move(w).Finish();
  EXPECT_EQ(tar.size() % 512, 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<internal::TarMember> m, internal::ReadTar(tar));
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].name, "a.json");
  EXPECT_EQ(m[0].content, "{}");
  EXPECT_EQ(m[1].name, "dir/empty");
  EXPECT_EQ(m[1].content, "");
  EXPECT_EQ(m[2].content, binary);
  EXPECT_EQ(m[3].content, big);
}

TEST(TarTest, RefusesBadNamesAndCorruptArchives) {
  internal::TarWriter w;
  EXPECT_THAT(w.Add("", "x", absl::UnixEpoch()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(w.Add(std::string(101, 'n'), "x", absl::UnixEpoch()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(w.Add(std::string("a\0b", 3), "x", absl::UnixEpoch()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(w.Add("f", "hello", absl::UnixEpoch()), IsOk());
  const std::string good = std::move(w).Finish();
  EXPECT_THAT(internal::ReadTar(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(internal::ReadTar("not a tar archive"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Each byte of the header flipped: refused (checksum), never a crash.
  for (size_t i = 0; i < 512; ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    EXPECT_FALSE(internal::ReadTar(bad).ok()) << "byte " << i;
  }
  // Every truncation is refused.
  for (size_t n = 0; n < good.size(); n += 97) {
    EXPECT_FALSE(internal::ReadTar(good.substr(0, n)).ok()) << n;
  }
}

TEST(TarTest, SystemTarListsAndExtractsTheArchive) {
  if (std::system("tar --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no tar";
  internal::TarWriter w;
  ASSERT_THAT(w.Add("contact.json", "{\"a\": 1}\n", absl::FromUnixSeconds(1700000000)), IsOk());
  ASSERT_THAT(w.Add("attachments/abc", "bytes", absl::FromUnixSeconds(1700000000)), IsOk());
  const std::string dir = ::testing::TempDir() + "privacy_tar_test";
  const std::string path = dir + ".tar";
  {
    std::ofstream out(path, std::ios::binary);
    const std::string tar = std::move(w).Finish();
    out.write(tar.data(), static_cast<std::streamsize>(tar.size()));
  }
  ASSERT_EQ(std::system(absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir, "' && tar -xf '",
                                     path, "' -C '", dir, "'")
                            .c_str()),
            0);
  std::ifstream in(dir + "/attachments/abc", std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, "bytes");
}

// --- The Desk ------------------------------------------------------------------

class PrivacyTest : public ::testing::TestWithParam<bool> {
 protected:
  absl::StatusOr<std::unique_ptr<Store>> NewStore() {
    if (GetParam()) return OpenSqliteStore(":memory:");
    return std::unique_ptr<Store>(NewMemoryStore());
  }

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, NewStore());
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
    ASSERT_OK_AND_ASSIGN(v1::Agent admin,
                         desk_->people().CreateAgent(SystemActor(), {.name = "Root",
                                                                     .email = "root@desk.example",
                                                                     .role = v1::Agent::ADMIN}));
    admin_ = AgentActor(admin.id());
    ASSERT_OK_AND_ASSIGN(v1::Agent bob, desk_->people().CreateAgent(
                                            SystemActor(), {.name = "Bob", .email = "bob@desk.example"}));
    bob_ = AgentActor(bob.id());
    ASSERT_OK_AND_ASSIGN(ada_, desk_->people().CreateContact(
                                   SystemActor(), {.name = "Ada Lovelace",
                                                   .emails = {"ada@x.example"}}));
    ASSERT_OK_AND_ASSIGN(eve_, desk_->people().CreateContact(
                                   SystemActor(), {.name = "Eve", .emails = {"eve@x.example"}}));
  }

  // Ada's history: a ticket with an attachment, answered, a note and solved
  // and closed; a second open ticket. Eve has one ticket of her own.
  void MakeHistory() {
    const v1::Actor ada = ContactActor(ada_.id());
    ASSERT_OK_AND_ASSIGN(
        t1_, desk_->tickets().Create(
                 ada, {.subject = "Ada Lovelace cannot log in",
                       .description = "My name is Ada Lovelace, phone 555-0100",
                       .attachments = {{.file_name = "passport.jpg",
                                        .media_type = "image/jpeg",
                                        .content = std::string("\xff\xd8 jpeg bytes", 13)}}}));
    clock_.Advance(absl::Minutes(5));
    ASSERT_THAT(desk_->tickets().AddMessage(bob_, t1_.id(), {.body_text = "Hello Ada"}).status(),
                IsOk());
    clock_.Advance(absl::Minutes(1));
    ASSERT_THAT(desk_->tickets()
                    .AddMessage(bob_, t1_.id(),
                                {.kind = v1::Message::INTERNAL_NOTE, .body_text = "Ada is VIP"})
                    .status(),
                IsOk());
    clock_.Advance(absl::Minutes(30));
    ASSERT_THAT(desk_->tickets().Update(bob_, t1_.id(), {.status = "solved",
                                                         .assignee_id = bob_.id()}).status(),
                IsOk());
    clock_.Advance(absl::Hours(1));
    ASSERT_OK_AND_ASSIGN(t2_, desk_->tickets().Create(ada, {.subject = "Second question",
                                                           .description = "Lovelace again"}));
    ASSERT_OK_AND_ASSIGN(t3_, desk_->tickets().Create(ContactActor(eve_.id()),
                                                      {.subject = "Eve's ticket",
                                                       .description = "hi"}));
    clock_.Advance(absl::Hours(1));
  }

  absl::StatusOr<std::string> ReportCsvNow() {
    ReportSpec spec;
    spec.from = start_;
    spec.to = clock_.Now() + absl::Hours(1);
    HELPDESK_ASSIGN_OR_RETURN(spec.group_by, ParseReportGrouping("channel"));
    HELPDESK_ASSIGN_OR_RETURN(Report r, desk_->reports().Compute(SystemActor(), spec));
    return ReportCsv(r);
  }

  absl::Time start_ = absl::FromUnixSeconds(1767600000);
  ManualClock clock_{start_};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  v1::Actor admin_, bob_;
  v1::Contact ada_, eve_;
  v1::Ticket t1_, t2_, t3_;
};

TEST_P(PrivacyTest, ExportHoldsEverythingAndImportsIntoAnEmptyStore) {
  MakeHistory();
  ASSERT_OK_AND_ASSIGN(std::string archive, desk_->privacy().ExportContact(admin_, ada_.id()));
  ASSERT_OK_AND_ASSIGN(std::vector<internal::TarMember> members, internal::ReadTar(archive));
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].name, "contact.json");
  EXPECT_THAT(members[0].content, HasSubstr("ada@x.example"));
  EXPECT_THAT(members[0].content, HasSubstr("Ada is VIP"));
  EXPECT_THAT(members[0].content, Not(HasSubstr("Eve's ticket")));
  const std::string jpeg("\xff\xd8 jpeg bytes", 13);
  EXPECT_EQ(members[1].name, "attachments/" + internal::Sha256Hex(jpeg));
  EXPECT_EQ(members[1].content, jpeg);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> empty, NewStore());
  ManualClock clock2(start_ + absl::Hours(100));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> other,
                       Desk::Open({.store = empty.get(), .clock = &clock2}));
  ASSERT_OK_AND_ASSIGN(ImportResult imported,
                       other->privacy().ImportContact(SystemActor(), archive));
  EXPECT_THAT(imported.ticket_ids, ElementsAre(t1_.id(), t2_.id()));
  EXPECT_EQ(imported.contact.name(), "Ada Lovelace");
  ASSERT_OK_AND_ASSIGN(v1::Contact found,
                       other->people().FindContactByEmail(SystemActor(), "ada@x.example"));
  EXPECT_EQ(found.id(), imported.contact.id());

  for (int64_t id : {t1_.id(), t2_.id()}) {
    ASSERT_OK_AND_ASSIGN(v1::Ticket before, desk_->tickets().Get(SystemActor(), id));
    ASSERT_OK_AND_ASSIGN(v1::Ticket after, other->tickets().Get(SystemActor(), id));
    EXPECT_EQ(after.subject(), before.subject());
    EXPECT_EQ(after.status(), before.status());
    EXPECT_EQ(after.status_category(), before.status_category());
    EXPECT_EQ(after.assignee_id(), before.assignee_id());
    EXPECT_EQ(after.created_at().seconds(), before.created_at().seconds());
    EXPECT_EQ(after.solved_at().seconds(), before.solved_at().seconds());
    EXPECT_EQ(after.requester_id(), imported.contact.id());
    ASSERT_OK_AND_ASSIGN(TicketView vb, desk_->tickets().View(SystemActor(), id));
    ASSERT_OK_AND_ASSIGN(TicketView va, other->tickets().View(SystemActor(), id));
    const std::vector<v1::Message>& mb = vb.messages;
    const std::vector<v1::Message>& ma = va.messages;
    ASSERT_EQ(ma.size(), mb.size());
    for (size_t i = 0; i < ma.size(); ++i) {
      EXPECT_EQ(ma[i].body_text(), mb[i].body_text());
      EXPECT_EQ(ma[i].kind(), mb[i].kind());
      EXPECT_EQ(ma[i].attachments_size(), mb[i].attachments_size());
    }
  }
  // The attachment's content came along.
  ASSERT_OK_AND_ASSIGN(auto tx, empty->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::string content,
                       tx->GetAttachmentContent(internal::Sha256Hex(jpeg)));
  EXPECT_EQ(content, jpeg);
  tx.reset();
  // Importing again collides with what is there; nothing changes.
  EXPECT_THAT(other->privacy().ImportContact(SystemActor(), archive).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(PrivacyTest, ImportRefusesCorruptArchives) {
  MakeHistory();
  ASSERT_OK_AND_ASSIGN(std::string archive, desk_->privacy().ExportContact(admin_, ada_.id()));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> empty, NewStore());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> other,
                       Desk::Open({.store = empty.get(), .clock = &clock_}));
  auto import = [&](const std::string& a) {
    return other->privacy().ImportContact(SystemActor(), a).status();
  };
  EXPECT_THAT(import(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(import("garbage"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(import(archive.substr(0, archive.size() / 2)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // An attachment's bytes changed: their SHA-256 no longer matches.
  std::string tampered = archive;
  const size_t at = tampered.find(std::string("\xff\xd8 jpeg", 7));
  ASSERT_NE(at, std::string::npos);
  tampered[at + 3] = 'J';
  EXPECT_THAT(import(tampered), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("SHA-256")));
  // Not JSON; JSON of another shape; another format version; no contact.json.
  auto with_json = [](const std::string& json) {
    internal::TarWriter w;
    EXPECT_THAT(w.Add("contact.json", json, absl::UnixEpoch()), IsOk());
    return std::move(w).Finish();
  };
  EXPECT_THAT(import(with_json("{not json")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.json")));
  EXPECT_THAT(import(with_json("{\"no_such_field\": 1}")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(import(with_json("{\"format_version\": 2}")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("format_version")));
  EXPECT_THAT(import(with_json("{\"format_version\": 1, \"attachments\": [{\"sha256\": \"ab\", "
                               "\"path\": \"attachments/ab\"}]}")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("attachments/ab")));
  internal::TarWriter w;
  ASSERT_THAT(w.Add("other.json", "{}", absl::UnixEpoch()), IsOk());
  EXPECT_THAT(import(std::move(w).Finish()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.json")));
  // Nothing was stored by any of them.
  EXPECT_THAT(other->people().FindContactByEmail(SystemActor(), "ada@x.example").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(PrivacyTest, EraseKeepsTheReportAndLeavesNothingToFind) {
  MakeHistory();
  ASSERT_OK_AND_ASSIGN(std::string before, ReportCsvNow());
  ASSERT_OK_AND_ASSIGN(EraseResult erased, desk_->privacy().EraseContact(admin_, ada_.id()));
  EXPECT_THAT(erased.ticket_ids, ElementsAre(t1_.id(), t2_.id()));
  EXPECT_EQ(erased.messages_redacted, 4);  // 3 on t1 (one a note), 1 on t2
  EXPECT_EQ(erased.attachments_deleted, 1);
  ASSERT_OK_AND_ASSIGN(std::string after, ReportCsvNow());
  EXPECT_EQ(after, before);

  // No identity finds it.
  EXPECT_THAT(desk_->people().FindContactByEmail(SystemActor(), "ada@x.example").status(),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(v1::Contact c, desk_->people().GetContact(SystemActor(), ada_.id()));
  EXPECT_EQ(c.name(), kErasedText);
  EXPECT_THAT(c.identities(), IsEmpty());
  EXPECT_TRUE(c.blocked());
  // No text search finds it.
  for (const char* text : {"Ada", "Lovelace", "log in", "Second"}) {
    TicketQuery q;
    q.subject_contains = text;
    ASSERT_OK_AND_ASSIGN(TicketPage page, desk_->tickets().Query(SystemActor(), q));
    EXPECT_THAT(page.tickets, IsEmpty()) << text;
  }
  // Its messages and the events' subjects are erased; the rows stay.
  for (int64_t id : {t1_.id(), t2_.id()}) {
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), id));
    EXPECT_EQ(t.subject(), kErasedText);
    ASSERT_OK_AND_ASSIGN(TicketView view, desk_->tickets().View(SystemActor(), id));
    for (const v1::Message& m : view.messages) {
      EXPECT_EQ(m.body_text(), kErasedText);
      EXPECT_EQ(m.attachments_size(), 0);
    }
  }
  ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events, tx->ListTicketEvents(t1_.id(), 0, 0));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind(), v1::Event::PERSONAL_DATA_ERASED);
  for (const v1::Event& e : events) {
    EXPECT_THAT(e.DebugString(), Not(HasSubstr("Lovelace")));
  }
  EXPECT_THAT(tx->GetAttachmentContent(internal::Sha256Hex(std::string("\xff\xd8 jpeg bytes", 13))),
              StatusIs(absl::StatusCode::kNotFound));
  tx.reset();
  // Eve is untouched.
  ASSERT_OK_AND_ASSIGN(v1::Ticket t3, desk_->tickets().Get(SystemActor(), t3_.id()));
  EXPECT_EQ(t3.subject(), "Eve's ticket");
  ASSERT_OK_AND_ASSIGN(v1::Contact eve,
                       desk_->people().FindContactByEmail(SystemActor(), "eve@x.example"));
  EXPECT_EQ(eve.name(), "Eve");
}

TEST_P(PrivacyTest, EraseRefusesWithTheReason) {
  MakeHistory();
  EXPECT_THAT(desk_->privacy().EraseContact(admin_, 0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact_id")));
  EXPECT_THAT(desk_->privacy().EraseContact(admin_, 9999).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->privacy().ExportContact(admin_, 9999).status(),
              StatusIs(absl::StatusCode::kNotFound));
  // Only system and admins erase; agents and the contact itself may not.
  EXPECT_THAT(desk_->privacy().EraseContact(bob_, ada_.id()).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->privacy().EraseContact(ContactActor(ada_.id()), ada_.id()).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->privacy().ExportContact(bob_, ada_.id()).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A contact that is an agent.
  ASSERT_OK_AND_ASSIGN(v1::Contact bob_contact,
                       desk_->people().CreateContact(SystemActor(), {.name = "Bob",
                                                                     .emails = {"BOB@desk.example"}}));
  EXPECT_THAT(desk_->privacy().EraseContact(admin_, bob_contact.id()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("agent")));
  // An open ticket under legal hold.
  ASSERT_THAT(desk_->privacy().SetTicketLegalHold(SystemActor(), t2_.id(), true).status(), IsOk());
  EXPECT_THAT(desk_->privacy().EraseContact(admin_, ada_.id()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat("ticket ", t2_.id(), " (status ")),
                             HasSubstr("under legal hold"))));
  ASSERT_THAT(desk_->privacy().SetTicketLegalHold(SystemActor(), t2_.id(), false).status(), IsOk());
  // The contact under legal hold.
  ASSERT_THAT(desk_->privacy().SetContactLegalHold(SystemActor(), ada_.id(), true).status(), IsOk());
  EXPECT_THAT(desk_->privacy().EraseContact(admin_, ada_.id()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("legal hold")));
  EXPECT_THAT(desk_->privacy().SetContactLegalHold(bob_, ada_.id(), false).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(desk_->privacy().SetContactLegalHold(SystemActor(), ada_.id(), false).status(), IsOk());
  // Nothing was erased by the refusals.
  ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                       desk_->people().FindContactByEmail(SystemActor(), "ada@x.example"));
  EXPECT_EQ(ada.name(), "Ada Lovelace");
  EXPECT_THAT(desk_->privacy().EraseContact(SystemActor(), ada_.id()).status(), IsOk());
}

TEST_P(PrivacyTest, RetentionPurgesOldClosedTicketsAndRecordsIt) {
  MakeHistory();
  // t1 closed now (old by the run below); t3 closed but held; t2 stays open.
  ASSERT_THAT(desk_->tickets().Update(SystemActor(), t1_.id(), {.status = "closed"}).status(),
              IsOk());
  ASSERT_THAT(desk_->tickets().Update(SystemActor(), t3_.id(), {.status = "solved",
                                                                 .assignee_id = bob_.id()}).status(),
              IsOk());
  ASSERT_THAT(desk_->tickets().Update(SystemActor(), t3_.id(), {.status = "closed"}).status(),
              IsOk());
  ASSERT_THAT(desk_->privacy().SetTicketLegalHold(SystemActor(), t3_.id(), true).status(), IsOk());
  // A ticket closed recently survives.
  clock_.Advance(absl::Hours(24 * 40));
  ASSERT_OK_AND_ASSIGN(v1::Ticket recent,
                       desk_->tickets().Create(ContactActor(eve_.id()), {.subject = "Recent",
                                                                          .description = "x"}));
  ASSERT_THAT(desk_->tickets().Update(SystemActor(), recent.id(), {.status = "solved",
                                                                    .assignee_id = bob_.id()}).status(),
              IsOk());
  ASSERT_THAT(desk_->tickets().Update(SystemActor(), recent.id(), {.status = "closed"}).status(),
              IsOk());

  EXPECT_THAT(desk_->privacy().RunRetention(SystemActor(), {.closed_ticket_days = 0}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closed_ticket_days")));
  EXPECT_THAT(desk_->privacy().RunRetention(bob_, {.closed_ticket_days = 30}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(RetentionResult r,
                       desk_->privacy().RunRetention(admin_, {.closed_ticket_days = 30}));
  EXPECT_THAT(r.run.purged_ticket_ids(), ElementsAre(t1_.id()));
  EXPECT_THAT(r.run.held_ticket_ids(), ElementsAre(t3_.id()));
  EXPECT_THAT(r.run.purged_attachment_sha256(),
              ElementsAre(internal::Sha256Hex(std::string("\xff\xd8 jpeg bytes", 13))));
  EXPECT_THAT(desk_->tickets().Get(SystemActor(), t1_.id()).status(),
              StatusIs(absl::StatusCode::kNotFound));
  for (int64_t id : {t2_.id(), t3_.id(), recent.id()}) {
    EXPECT_THAT(desk_->tickets().Get(SystemActor(), id).status(), IsOk()) << id;
  }
  // The audit record.
  ASSERT_OK_AND_ASSIGN(v1::RetentionRun stored,
                       desk_->privacy().GetRetentionRun(SystemActor(), r.record_key));
  EXPECT_THAT(stored.purged_ticket_ids(), ElementsAre(t1_.id()));
  EXPECT_EQ(stored.actor().id(), admin_.id());
  EXPECT_THAT(desk_->privacy().GetRetentionRun(SystemActor(), "no such run").status(),
              StatusIs(absl::StatusCode::kNotFound));
  // A second run at the same instant purges nothing and keeps its own record.
  ASSERT_OK_AND_ASSIGN(RetentionResult again,
                       desk_->privacy().RunRetention(SystemActor(), {.closed_ticket_days = 30}));
  EXPECT_THAT(again.run.purged_ticket_ids(), IsEmpty());
  EXPECT_NE(again.record_key, r.record_key);
}

INSTANTIATE_TEST_SUITE_P(Stores, PrivacyTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? std::string("Sqlite") : std::string("Memory");
                         });

}  // namespace
}  // namespace helpdesk
