// The auto-responder: acknowledgement templates by business hours and
// holidays; no acknowledgement to automatic mail or automatic-looking
// senders (table-driven, and over the real corpus), a per-contact limit, and
// every acknowledgement not sent recorded on the ticket with its reason.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "desk/auto_responder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct SenderCase {
  const char* email;
  bool automatic;
};

TEST(LooksAutomaticSenderTest, Table) {
  const SenderCase cases[] = {
      {"noreply@example.com", true},        {"NoReply@Example.com", true},
      {"no-reply@example.com", true},       {"no_reply@example.com", true},
      {"no.reply@example.com", true},       {"donotreply@example.com", true},
      {"do-not-reply@example.com", true},   {"DO_NOT_REPLY@example.com", true},
      {"do.not.reply@example.com", true},   {"dontreply@example.com", true},
      {"postmaster@example.com", true},     {"POSTMASTER@example.com", true},
      {"mailer-daemon@example.com", true},  {"MAILER-DAEMON@mx.example.com", true},
      {"mailerdaemon@example.com", true},   {"mailer_daemon@example.com", true},
      {"bounce@example.com", true},         {"bounces@example.com", true},
      {"bounces+ada=example.com@lists.example.org", true},
      {"bounce-12345@mail.example.com", true},
      {"noreply-billing@example.com", true}, {"shop.noreply@example.com", true},
      {"info_no-reply@example.com", true},  {"autoreply@example.com", true},
      {"ada@example.com", false},           {"noreplyjoe@example.com", false},
      {"reply@example.com", false},         {"bouncer@example.com", false},
      {"postmasters-guild@example.com", false},
      {"ada.noreplyfan@example.com", false}, {"daemon@example.com", false},
      {"support@noreply.example.com", false}, {"", false},
      {"noreply", true},
  };
  for (const SenderCase& c : cases) {
    EXPECT_EQ(auto_responder::LooksAutomaticSender(c.email), c.automatic) << c.email;
  }
}

TEST(SuppressionReasonTest, AutomaticKindsAndSenders) {
  v1::InboundMessage m;
  m.mutable_from()->set_email("ada@example.com");
  EXPECT_EQ(auto_responder::SuppressionReason(m), std::nullopt);
  m.set_auto_kind(v1::InboundMessage::BULK);
  EXPECT_THAT(auto_responder::SuppressionReason(m).value_or(""), HasSubstr("bulk"));
  m.set_auto_kind(v1::InboundMessage::AUTO_REPLY);
  EXPECT_THAT(auto_responder::SuppressionReason(m).value_or(""), HasSubstr("auto-reply"));
  m.set_auto_kind(v1::InboundMessage::BOUNCE);
  EXPECT_THAT(auto_responder::SuppressionReason(m).value_or(""),
              HasSubstr("delivery failure"));
  m.set_auto_kind(v1::InboundMessage::HUMAN);
  m.mutable_from()->set_email("No-Reply@Example.com");
  EXPECT_THAT(auto_responder::SuppressionReason(m).value_or(""),
              HasSubstr("looks automatic (no-reply@example.com)"));
}

v1::InboundMessage Mail(absl::string_view from, absl::string_view id) {
  v1::InboundMessage m;
  m.set_channel(v1::CHANNEL_EMAIL);
  m.set_external_id(std::string(id));
  m.mutable_from()->set_email(std::string(from));
  m.mutable_from()->set_name("Ada");
  m.add_to()->set_email("help@desk.example");
  m.set_subject("Broken");
  m.set_body_text("It broke.");
  m.mutable_threading()->set_message_id(std::string(id));
  return m;
}

class AutoResponderTest : public ::testing::Test {
 protected:
  void Open(AutoResponderOptions ar) {
    DeskOptions o{.store = store_.get(), .clock = &clock_};
    o.ingest.desk_email = "help@desk.example";
    o.ingest.acknowledge_new_tickets = true;
    o.ingest.auto_responder = std::move(ar);
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open(std::move(o)));
  }

  static AutoResponderOptions WithTemplates() {
    TemplateSetConfig config;
    config.templates = {
        {"acknowledgement", "In hours: ticket #{{ticket.id}} ({{ticket.subject}}).", ""},
        {"acknowledgement_out_of_hours", "Out of hours: we answer tomorrow, #{{ticket.id}}.",
         "<p>Out of hours: #{{ticket.id}}</p>"},
        {"acknowledgement_holiday", "Holiday: back after the break, #{{ticket.id}}.", ""}};
    absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
    EXPECT_THAT(set, testing::IsOk());
    v1::CalendarConfig cal;
    cal.set_name("madrid");
    cal.set_time_zone("Europe/Madrid");
    v1::WeeklyHours* w = cal.add_weekly_hours();
    for (v1::Weekday d : {v1::WEEKDAY_MONDAY, v1::WEEKDAY_TUESDAY, v1::WEEKDAY_WEDNESDAY,
                          v1::WEEKDAY_THURSDAY, v1::WEEKDAY_FRIDAY}) {
      w->add_days(d);
    }
    v1::OpeningInterval* i = w->add_intervals();
    i->set_open("09:00");
    i->set_close("17:00");
    cal.add_holidays()->set_date("2026-12-25");
    return {.templates = *set, .calendar = cal};
  }

  std::vector<v1::OutboxEntry> Outbox() {
    absl::StatusOr<std::vector<v1::OutboxEntry>> all =
        desk_->outbox().List(SystemActor(), std::nullopt, 0, 1000);
    EXPECT_THAT(all, testing::IsOk());
    return all.ok() ? *all : std::vector<v1::OutboxEntry>{};
  }

  std::vector<std::string> SuppressedNotes(int64_t ticket) {
    std::vector<std::string> notes;
    absl::StatusOr<std::vector<v1::Event>> log =
        desk_->tickets().AuditLog(SystemActor(), ticket);
    EXPECT_THAT(log, testing::IsOk());
    if (!log.ok()) return notes;
    for (const v1::Event& e : *log) {
      if (e.kind() == v1::Event::AUTO_REPLY_SUPPRESSED) notes.push_back(e.note());
    }
    return notes;
  }

  // Tuesday 2026-12-01 10:00 in Madrid (09:00 UTC).
  ManualClock clock_{absl::FromCivil(absl::CivilSecond(2026, 12, 1, 9, 0, 0),
                                     absl::UTCTimeZone())};
  std::unique_ptr<Store> store_ = NewMemoryStore();
  std::unique_ptr<Desk> desk_;
};

TEST_F(AutoResponderTest, TheTemplateFollowsBusinessHoursAndHolidays) {
  Open(WithTemplates());
  ASSERT_OK_AND_ASSIGN(IngestResult in_hours, desk_->inbox().Ingest(Mail("a@example.com", "1@x")));
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 12, 1, 20, 0, 0),
                                 absl::UTCTimeZone()));  // 21:00 Madrid
  ASSERT_OK_AND_ASSIGN(IngestResult night, desk_->inbox().Ingest(Mail("b@example.com", "2@x")));
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 12, 5, 10, 0, 0),
                                 absl::UTCTimeZone()));  // Saturday
  ASSERT_OK_AND_ASSIGN(IngestResult weekend, desk_->inbox().Ingest(Mail("c@example.com", "3@x")));
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 12, 25, 10, 0, 0),
                                 absl::UTCTimeZone()));  // Friday, Christmas
  ASSERT_OK_AND_ASSIGN(IngestResult holiday, desk_->inbox().Ingest(Mail("d@example.com", "4@x")));
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(4));
  EXPECT_EQ(out[0].message().body_text(),
            absl::StrCat("In hours: ticket #", in_hours.ticket_id, " (Broken)."));
  EXPECT_EQ(out[1].message().body_text(),
            absl::StrCat("Out of hours: we answer tomorrow, #", night.ticket_id, "."));
  EXPECT_EQ(out[1].message().body_html(),
            absl::StrCat("<p>Out of hours: #", night.ticket_id, "</p>"));
  EXPECT_THAT(out[2].message().body_text(), HasSubstr("Out of hours"));
  EXPECT_EQ(out[2].message().ticket_id(), weekend.ticket_id);
  EXPECT_EQ(out[3].message().body_text(),
            absl::StrCat("Holiday: back after the break, #", holiday.ticket_id, "."));
  for (const v1::OutboxEntry& e : out) EXPECT_TRUE(e.message().automatic());
}

// Ingest hands the sender's contact as it found it to the ticket's creation
// and to the acknowledgement (neither reads it again): what they take from
// it is the stored contact's, not the message's, also when the mail copies
// the sender (Cc) under another name.
TEST_F(AutoResponderTest, TheTicketAndTheAcknowledgementTakeTheStoredRequester) {
  Open({});
  ASSERT_OK_AND_ASSIGN(v1::Organization org,
                       desk_->people().CreateOrganization(SystemActor(), "Analytical"));
  ASSERT_OK_AND_ASSIGN(v1::Contact ada,
                       desk_->people().CreateContact(
                           SystemActor(), {.name = "Ada Lovelace",
                                           .emails = {"ada@example.com"},
                                           .organization_id = org.id()}));
  v1::InboundMessage first = Mail("Ada@Example.com", "1@x");
  first.mutable_from()->set_name("A. L.");
  v1::InboundMessage second = Mail("ada@example.com", "2@x");
  v1::Party* cc = second.add_cc();
  cc->set_email("ADA@example.com");
  cc->set_name("Someone Else");
  second.add_cc()->set_email("bob@example.com");
  std::vector<IngestResult> made;
  for (const v1::InboundMessage& m : {first, second}) {
    ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(m));
    ASSERT_EQ(r.outcome, IngestResult::Outcome::kCreatedTicket);
    EXPECT_EQ(r.contact_id, ada.id());
    made.push_back(r);
  }
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(2));
  for (size_t i = 0; i < made.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk_->tickets().Get(SystemActor(), made[i].ticket_id));
    EXPECT_EQ(t.requester_id(), ada.id());
    EXPECT_EQ(t.organization_id(), org.id());
    EXPECT_EQ(out[i].message().ticket_id(), made[i].ticket_id);
    ASSERT_THAT(out[i].message().to(), SizeIs(1));
    EXPECT_EQ(out[i].message().to(0).email(), "ada@example.com");
    EXPECT_EQ(out[i].message().to(0).name(), "Ada Lovelace");
    EXPECT_THAT(out[i].message().cc(), IsEmpty());
  }
  ASSERT_OK_AND_ASSIGN(v1::Ticket second_ticket,
                       desk_->tickets().Get(SystemActor(), made[1].ticket_id));
  EXPECT_THAT(second_ticket.cc_contact_ids(), SizeIs(1));  // bob, not Ada again
}

TEST_F(AutoResponderTest, WithoutTemplatesTheAcknowledgementTextIsUsed) {
  Open({});
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(Mail("a@example.com", "1@x")));
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0].message().body_text(),
              HasSubstr(absl::StrCat("opened ticket #", r.ticket_id)));
}

TEST_F(AutoResponderTest, BulkMailAndAutomaticSendersAreNotAcknowledgedButRecorded) {
  Open({});
  v1::InboundMessage bulk = Mail("news@example.com", "1@x");
  bulk.set_auto_kind(v1::InboundMessage::BULK);
  ASSERT_OK_AND_ASSIGN(IngestResult b, desk_->inbox().Ingest(bulk));
  ASSERT_OK_AND_ASSIGN(IngestResult n,
                       desk_->inbox().Ingest(Mail("No-Reply@shop.example", "2@x")));
  ASSERT_OK_AND_ASSIGN(IngestResult p,
                       desk_->inbox().Ingest(Mail("postmaster@example.org", "3@x")));
  EXPECT_THAT(Outbox(), IsEmpty());
  ASSERT_THAT(SuppressedNotes(b.ticket_id), SizeIs(1));
  EXPECT_THAT(SuppressedNotes(b.ticket_id)[0],
              HasSubstr("acknowledgement not sent: bulk or list mail"));
  EXPECT_THAT(SuppressedNotes(n.ticket_id),
              ::testing::ElementsAre(HasSubstr("looks automatic (no-reply@shop.example)")));
  EXPECT_THAT(SuppressedNotes(p.ticket_id),
              ::testing::ElementsAre(HasSubstr("looks automatic")));
}

TEST_F(AutoResponderTest, APerContactLimitHoldsPerWindowAndIsRecorded) {
  Open({.max_per_contact = 2, .window = absl::Hours(1)});
  std::vector<int64_t> tickets;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(
                                             Mail("ada@example.com", absl::StrCat(i, "@x"))));
    tickets.push_back(r.ticket_id);
    clock_.Advance(absl::Minutes(5));
  }
  EXPECT_THAT(Outbox(), SizeIs(2));
  EXPECT_THAT(SuppressedNotes(tickets[0]), IsEmpty());
  EXPECT_THAT(SuppressedNotes(tickets[2]),
              ::testing::ElementsAre(HasSubstr("was already sent 2 in this window")));
  EXPECT_THAT(SuppressedNotes(tickets[3]), SizeIs(1));
  // Another contact is not limited by Ada's.
  ASSERT_OK(desk_->inbox().Ingest(Mail("bo@example.com", "b@x")).status());
  EXPECT_THAT(Outbox(), SizeIs(3));
  // The next window acknowledges Ada again.
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(desk_->inbox().Ingest(Mail("ada@example.com", "later@x")).status());
  EXPECT_THAT(Outbox(), SizeIs(4));
}

TEST_F(AutoResponderTest, ABouncedAcknowledgementNeverTriggersAnother) {
  Open({});
  ASSERT_OK_AND_ASSIGN(IngestResult r, desk_->inbox().Ingest(Mail("ada@example.com", "1@x")));
  std::vector<v1::OutboxEntry> out = Outbox();
  ASSERT_THAT(out, SizeIs(1));
  // The acknowledgement bounces back from the mailer daemon.
  v1::InboundMessage bounce = Mail("MAILER-DAEMON@mx.example.com", "bounce-1@mx");
  bounce.set_auto_kind(v1::InboundMessage::BOUNCE);
  bounce.set_subject("Undelivered Mail Returned to Sender");
  bounce.mutable_threading()->set_in_reply_to(out[0].message().idempotency_key());
  bounce.add_bounced_recipients("ada@example.com");
  ASSERT_OK_AND_ASSIGN(IngestResult b, desk_->inbox().Ingest(bounce));
  EXPECT_EQ(b.outcome, IngestResult::Outcome::kRecordedAutomatic);
  EXPECT_EQ(b.ticket_id, r.ticket_id);
  // The same bounce misfiled as a person's new mail is not answered either.
  v1::InboundMessage misfiled = Mail("MAILER-DAEMON@mx.example.com", "bounce-2@mx");
  ASSERT_OK(desk_->inbox().Ingest(misfiled).status());
  // And Ada, now bouncing, gets no acknowledgement: recorded why.
  ASSERT_OK_AND_ASSIGN(IngestResult again,
                       desk_->inbox().Ingest(Mail("ada@example.com", "2@x")));
  EXPECT_THAT(Outbox(), SizeIs(1));
  EXPECT_THAT(SuppressedNotes(again.ticket_id),
              ::testing::ElementsAre(HasSubstr("no usable")));
}

TEST_F(AutoResponderTest, BadOptionsAreRefusedAtOpen) {
  DeskOptions o{.store = store_.get(), .clock = &clock_};
  v1::CalendarConfig cal;
  cal.set_time_zone("Mars/Base");
  o.ingest.auto_responder.calendar = cal;
  EXPECT_THAT(Desk::Open(o).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("ingest.auto_responder.calendar")));
  o.ingest.auto_responder = {.max_per_contact = -1};
  EXPECT_THAT(Desk::Open(o).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("max_per_contact")));
}

// --- The real corpus: no automatic message is ever acknowledged ---------------

std::string DataRoot() {
  if (const char* env = std::getenv("HELPDESK_SHARED_DATA"); env != nullptr && *env) {
    return env;
  }
  std::string here = __FILE__;
  size_t slash = here.rfind("/tests/");
  return slash == std::string::npos ? "" : here.substr(0, slash) + "/../shared/data";
}

TEST_F(AutoResponderTest, NoAutoReplyOrBounceOfTheCorpusIsAcknowledged) {
  std::ifstream manifest(DataRoot() + "/emails/manifest.tsv");
  if (!manifest) {
    const char* required = std::getenv("HELPDESK_REQUIRE_SHARED_DATA");
    if (required != nullptr && *required && std::string(required) != "0") {
      FAIL() << "shared e-mail corpus not found under " << DataRoot();
    }
    GTEST_SKIP() << "shared e-mail corpus not found under " << DataRoot();
  }
  Open({.max_per_contact = 0});
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  std::string line;
  std::getline(manifest, line);  // the header
  int automatic = 0;
  while (std::getline(manifest, line)) {
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 4 || cols[3] != "yes") continue;
    std::ifstream file(DataRoot() + "/emails/" + cols[0], std::ios::binary);
    std::stringstream raw;
    raw << file.rdbuf();
    absl::StatusOr<v1::InboundMessage> m = email->Parse(raw.str(), clock_.Now());
    if (!m.ok()) continue;
    const size_t before = Outbox().size();
    absl::StatusOr<IngestResult> r = desk_->inbox().Ingest(*m);
    if (!r.ok()) continue;
    ++automatic;
    EXPECT_THAT(Outbox(), SizeIs(before)) << cols[0];
    if (r->outcome == IngestResult::Outcome::kCreatedTicket) {
      EXPECT_THAT(SuppressedNotes(r->ticket_id), SizeIs(1)) << cols[0];
    }
  }
  EXPECT_GT(automatic, 10);
}

}  // namespace
}  // namespace helpdesk
