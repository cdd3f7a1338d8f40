// The e-mail adapter over the shared corpus of real messages
// ($HELPDESK_SHARED_DATA/emails, see its manifest.tsv and PROVENANCE.md): every
// file parses, and the manifest's facts hold. One test case per file.
// Without the corpus the tests skip, or fail when HELPDESK_REQUIRE_SHARED_DATA
// is set (CI sets it).
//
// Manifest conventions (from PROVENANCE.md): expected_subject_decoded is the
// subject after RFC 2047 decoding and unfolding, trimmed; "<none>" = no
// Subject field, "<empty>" = an empty one, "unknown" = not determinable (not
// checked). Fields that contain a double quote are CSV-quoted ("..." with ""
// for a quote) although the conventions say there is no quoting; the test
// unquotes them. Our subjects collapse runs of whitespace to one space, so the
// expected value is compared after the same collapsing; where the notes say
// the whitespace "may vary", it is compared with all whitespace removed.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "channels/email_text.h"
#include "internal/text_checks.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/desk.h"

namespace helpdesk {
namespace {

struct CorpusCase {
  std::string file;  // relative to emails/; empty: no data found
  std::string subject;
  bool has_attachment = false;
  bool automatic = false;
  std::string notes;
};

// Test names and failure messages show the file, not the struct's bytes.
void PrintTo(const CorpusCase& c, std::ostream* os) {
  *os << (c.file.empty() ? "(no data)" : c.file);
}

std::string DataRoot() {
  if (const char* env = std::getenv("HELPDESK_SHARED_DATA"); env != nullptr && *env) {
    return env;
  }
  // The project's sibling shared/data, found from this source file.
  std::string here = __FILE__;
  size_t slash = here.rfind("/tests/");
  if (slash == std::string::npos) return "";
  return here.substr(0, slash) + "/../shared/data";
}

// Where the manifest was looked for, and how that place was chosen.
std::string PathsTried() {
  const char* env = std::getenv("HELPDESK_SHARED_DATA");
  const bool from_env = env != nullptr && *env;
  return absl::StrCat("'", DataRoot(), "/emails/manifest.tsv' (",
                      from_env ? "from HELPDESK_SHARED_DATA"
                               : "beside the source tree; HELPDESK_SHARED_DATA is not set",
                      ")");
}

// True when HELPDESK_REQUIRE_SHARED_DATA is set and neither empty nor "0".
// CI sets it: there a missing corpus is a failure, not a skip.
bool SharedDataRequired() {
  const char* v = std::getenv("HELPDESK_REQUIRE_SHARED_DATA");
  return v != nullptr && v[0] != '\0' && absl::string_view(v) != "0";
}

// Skips the current test for want of the corpus, or fails it when
// SharedDataRequired(). Returns from the test body, as GTEST_SKIP does.
#define SKIP_WITHOUT_SHARED_DATA()                                                      \
  do {                                                                                \
    const std::string reason = absl::StrCat(                                          \
        "shared e-mail corpus not found; tried ", PathsTried(),                      \
        ". Set HELPDESK_SHARED_DATA to the shared/data folder to run these tests");   \
    if (SharedDataRequired()) {                                                       \
      GTEST_FAIL() << reason                                                          \
                   << " [fails instead of skipping: HELPDESK_REQUIRE_SHARED_DATA is set]"; \
    } else {                                                                          \
      GTEST_SKIP() << reason;                                                         \
    }                                                                                 \
  } while (0)

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Unquote(absl::string_view field) {
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
    return absl::StrReplaceAll(field.substr(1, field.size() - 2), {{"\"\"", "\""}});
  }
  return std::string(field);
}

std::vector<CorpusCase> LoadManifest() {
  std::vector<CorpusCase> cases;
  bool ok = false;
  std::string manifest = ReadFile(DataRoot() + "/emails/manifest.tsv", &ok);
  if (!ok) return {CorpusCase{}};
  bool header = true;
  for (absl::string_view line : absl::StrSplit(manifest, '\n')) {
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    if (f.size() < 4) continue;
    CorpusCase c;
    c.file = Unquote(f[0]);
    c.subject = Unquote(f[1]);
    c.has_attachment = f[2] == "yes";
    c.automatic = f[3] == "yes";
    if (f.size() > 4) c.notes = Unquote(f[4]);
    cases.push_back(std::move(c));
  }
  if (cases.empty()) return {CorpusCase{}};
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<CorpusCase>& info) {
  if (info.param.file.empty()) return "NoSharedData";
  std::string name;
  for (char c : info.param.file) {
    name.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  return name;
}

std::string WithoutWhitespace(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

// Every string field, recursively, for the UTF-8 check.
void CollectStrings(const google::protobuf::Message& m, const std::string& path,
                    std::vector<std::pair<std::string, std::string>>* out) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    std::string name = absl::StrCat(path, f->name());
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k) {
          out->emplace_back(absl::StrCat(name, "[", k, "]"), r->GetRepeatedString(m, f, k));
        }
      } else {
        out->emplace_back(name, r->GetString(m, f));
      }
    } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k) {
          CollectStrings(r->GetRepeatedMessage(m, f, k), absl::StrCat(name, "[", k, "]."),
                         out);
        }
      } else if (r->HasField(m, f)) {
        CollectStrings(r->GetMessage(m, f), name + ".", out);
      }
    }
  }
}

class EmailCorpusTest : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(EmailCorpusTest, ParsesAndManifestFactsHold) {
  const CorpusCase& c = GetParam();
  if (c.file.empty()) SKIP_WITHOUT_SHARED_DATA();
  bool ok = false;
  const std::string path = DataRoot() + "/emails/" + c.file;
  const std::string raw = ReadFile(path, &ok);
  ASSERT_TRUE(ok) << "cannot read " << path;

  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  const absl::Time received = absl::FromUnixSeconds(1767225600);
  absl::StatusOr<v1::InboundMessage> parsed = email->Parse(raw, received);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const v1::InboundMessage& m = *parsed;
  SCOPED_TRACE(absl::StrCat("notes: ", c.notes, "\nparsed: ", m.ShortDebugString().substr(0, 3000)));

  EXPECT_EQ(m.channel(), v1::CHANNEL_EMAIL);
  EXPECT_TRUE(!m.external_id().empty() || !m.idempotency_key().empty());

  // Subject.
  if (c.subject == "<none>" || c.subject == "<empty>") {
    EXPECT_EQ(m.subject(), "");
  } else if (c.subject != "unknown") {
    const std::string expected = email_internal::CollapseWhitespace(c.subject);
    if (absl::StrContains(c.notes, "may vary")) {
      EXPECT_EQ(WithoutWhitespace(m.subject()), WithoutWhitespace(expected));
    } else {
      EXPECT_EQ(m.subject(), expected);
    }
  }

  // Attachments.
  std::string names;
  for (const v1::InboundAttachment& a : m.attachments()) {
    absl::StrAppend(&names, a.file_name(), " (", a.media_type(), ", ", a.content().size(),
                    " bytes) ");
    EXPECT_FALSE(a.file_name().empty());
    EXPECT_FALSE(a.media_type().empty());
  }
  EXPECT_EQ(!m.attachments().empty(), c.has_attachment) << "attachments: " << names;

  // Automatic mail.
  const bool automatic = m.auto_kind() == v1::InboundMessage::AUTO_REPLY ||
                         m.auto_kind() == v1::InboundMessage::BOUNCE;
  EXPECT_EQ(automatic, c.automatic)
      << "auto_kind " << v1::InboundMessage::AutoKind_Name(m.auto_kind());

  // Every string is valid UTF-8 without NUL bytes.
  std::vector<std::pair<std::string, std::string>> strings;
  CollectStrings(m, "", &strings);
  for (const auto& [field, value] : strings) {
    EXPECT_EQ(internal::FindInvalidUtf8(value), absl::string_view::npos) << field;
    EXPECT_EQ(value.find('\0'), std::string::npos) << field;
  }
}

// Damaged copies of the file (bytes flipped, cut, chunks repeated or dropped,
// from a fixed seed): never an error, never invalid UTF-8.
TEST_P(EmailCorpusTest, DamagedCopiesStillParse) {
  const CorpusCase& c = GetParam();
  if (c.file.empty()) SKIP_WITHOUT_SHARED_DATA();
  bool ok = false;
  const std::string raw = ReadFile(DataRoot() + "/emails/" + c.file, &ok);
  ASSERT_TRUE(ok);
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  std::mt19937 random(static_cast<uint32_t>(std::hash<std::string>()(c.file)));
  for (int round = 0; round < 40; ++round) {
    std::string damaged = raw;
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits && !damaged.empty(); ++e) {
      const size_t at = random() % damaged.size();
      switch (random() % 5) {
        case 0:  // flip a byte
          damaged[at] = static_cast<char>(random() % 256);
          break;
        case 1:  // cut the rest
          damaged.resize(at);
          break;
        case 2: {  // repeat a chunk
          const size_t len = std::min<size_t>(random() % 400, damaged.size() - at);
          damaged.insert(at, damaged.substr(at, len));
          break;
        }
        case 3: {  // drop a chunk
          damaged.erase(at, random() % 400);
          break;
        }
        default:  // a line break or boundary-looking junk
          damaged.insert(at, random() % 2 ? "\r\n--" : "\n\n=?utf-8?B?");
          break;
      }
    }
    absl::StatusOr<v1::InboundMessage> parsed = email->Parse(damaged, absl::UnixEpoch());
    ASSERT_TRUE(parsed.ok()) << "round " << round << ": " << parsed.status();
    std::vector<std::pair<std::string, std::string>> strings;
    CollectStrings(*parsed, "", &strings);
    for (const auto& [field, value] : strings) {
      ASSERT_EQ(internal::FindInvalidUtf8(value), absl::string_view::npos)
          << "round " << round << ": " << field;
      ASSERT_EQ(value.find('\0'), std::string::npos) << "round " << round << ": " << field;
    }
  }
}

// The adapter keeps one GMime parser per thread and re-initialises it for
// each message: every corpus message, and a damaged copy of each, parses on
// a thread that has parsed many other messages before exactly as on a new
// thread (whose parser is new), forwards and backwards.
TEST(EmailCorpusReuseTest, AReusedParserGivesWhatANewOneGives) {
  std::vector<CorpusCase> cases = LoadManifest();
  if (cases.size() == 1 && cases[0].file.empty()) SKIP_WITHOUT_SHARED_DATA();
  std::vector<std::string> inputs;
  for (const CorpusCase& c : cases) {
    bool ok = false;
    std::string raw = ReadFile(DataRoot() + "/emails/" + c.file, &ok);
    ASSERT_TRUE(ok) << c.file;
    std::string damaged = raw.substr(0, raw.size() * 2 / 3);
    damaged.insert(damaged.size() / 2, "\r\n--");
    inputs.push_back(std::move(raw));
    inputs.push_back(std::move(damaged));
  }
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  const absl::Time received = absl::FromUnixSeconds(1767225600);
  std::vector<std::string> fresh(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::thread alone([&] {
      absl::StatusOr<v1::InboundMessage> m = email->Parse(inputs[i], received);
      fresh[i] = m.ok() ? absl::StrCat("ok ", m->ShortDebugString())
                        : absl::StrCat("error ", m.status().ToString());
    });
    alone.join();
  }
  for (bool backwards : {false, true}) {
    for (size_t k = 0; k < inputs.size(); ++k) {
      const size_t i = backwards ? inputs.size() - 1 - k : k;
      absl::StatusOr<v1::InboundMessage> m = email->Parse(inputs[i], received);
      const std::string reused = m.ok() ? absl::StrCat("ok ", m->ShortDebugString())
                                        : absl::StrCat("error ", m.status().ToString());
      EXPECT_EQ(reused, fresh[i]) << cases[i / 2].file << (i % 2 ? " (damaged)" : "")
                                  << (backwards ? ", backwards" : "");
    }
  }
}

// Issue 5's proof: every message of the corpus ingests into a desk on SQLite
// without an error, and replaying it creates nothing twice. Automatic mail
// (auto-replies, bounces) is recorded and never acknowledged.
TEST(EmailCorpusIngestTest, EveryMessageIngestsOnceIntoSqlite) {
  std::vector<CorpusCase> cases = LoadManifest();
  if (cases.size() == 1 && cases[0].file.empty()) SKIP_WITHOUT_SHARED_DATA();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  ManualClock clock(absl::FromUnixSeconds(1767225600));
  DeskOptions options{.store = store->get(), .clock = &clock};
  options.ingest.desk_email = "help@desk.example";
  options.ingest.acknowledge_new_tickets = true;
  absl::StatusOr<std::unique_ptr<Desk>> desk = Desk::Open(std::move(options));
  ASSERT_TRUE(desk.ok()) << desk.status();
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();
  int automatic_tickets = 0;
  for (const CorpusCase& c : cases) {
    SCOPED_TRACE(c.file);
    bool ok = false;
    const std::string raw = ReadFile(DataRoot() + "/emails/" + c.file, &ok);
    ASSERT_TRUE(ok);
    absl::StatusOr<v1::InboundMessage> m = email->Parse(raw, clock.Now());
    ASSERT_TRUE(m.ok()) << m.status();
    absl::StatusOr<IngestResult> first = (*desk)->inbox().Ingest(*m);
    ASSERT_TRUE(first.ok()) << first.status();
    absl::StatusOr<IngestResult> again = (*desk)->inbox().Ingest(*m);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->ticket_id, first->ticket_id);
    if (c.automatic) {
      EXPECT_EQ(first->outcome, IngestResult::Outcome::kRecordedAutomatic);
      if (first->outcome == IngestResult::Outcome::kCreatedTicket) ++automatic_tickets;
    }
    clock.Advance(absl::Minutes(1));
  }
  EXPECT_EQ(automatic_tickets, 0);
  // Acknowledgements went only to people: none is addressed to a sender of
  // automatic mail, and none to the unknown-sender placeholder.
  absl::StatusOr<std::vector<v1::OutboxEntry>> outbox =
      (*desk)->outbox().List(SystemActor(), std::nullopt, 0, 10000);
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  for (const v1::OutboxEntry& e : *outbox) {
    ASSERT_GT(e.message().to_size(), 0);
    EXPECT_NE(e.message().to(0).email(), "unknown-sender@invalid");
    EXPECT_TRUE(e.message().automatic());
  }
}

INSTANTIATE_TEST_SUITE_P(Manifest, EmailCorpusTest, ::testing::ValuesIn(LoadManifest()),
                         CaseName);

}  // namespace
}  // namespace helpdesk
