// The e-mail adapter's fast path (src/channels/email_fast_parse.cc) against
// GMime: whenever the fast path takes a message, its InboundMessage equals
// the one GMime's parse gives, field by field. Over common mail it must take
// (so the tests fail if it declines), every message of the shared corpus
// ($HELPDESK_SHARED_DATA/emails; fails without it when
// HELPDESK_REQUIRE_SHARED_DATA is set), the fuzz seeds, and mutated copies
// of all of these (a byte deleted, replaced or inserted), which probe the
// edges of what it accepts.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "channels/email_parse_modes.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/email.h"

namespace helpdesk {
namespace {

using email_internal::FastPath;
using email_internal::ParseEmail;

const absl::Time kFastParseNow = absl::FromUnixSeconds(1767225600);

// The outcome of one differential check.
enum class Diff { kDeclined, kEqual, kDifferent };

// Parses `raw` both ways; on a difference, adds a failure naming `what`.
Diff Compare(absl::string_view raw, const std::string& what,
             const EmailInboundOptions& options = {}) {
  absl::StatusOr<v1::InboundMessage> fast =
      ParseEmail(raw, kFastParseNow, options, FastPath::kOnly);
  if (absl::IsUnimplemented(fast.status())) return Diff::kDeclined;
  absl::StatusOr<v1::InboundMessage> gmime =
      ParseEmail(raw, kFastParseNow, options, FastPath::kOff);
  if (fast.ok() != gmime.ok()) {
    ADD_FAILURE() << what << ": fast " << fast.status() << ", GMime " << gmime.status();
    return Diff::kDifferent;
  }
  if (!fast.ok()) {
    EXPECT_EQ(fast.status(), gmime.status()) << what;
    return Diff::kEqual;
  }
  if (fast->SerializeAsString() != gmime->SerializeAsString()) {
    EXPECT_EQ(fast->DebugString(), gmime->DebugString())
        << what << "\n--- raw ---\n" << raw.substr(0, 2000);
    return Diff::kDifferent;
  }
  return Diff::kEqual;
}

struct Tally {
  int taken = 0;
  int declined = 0;
  int different = 0;
  void Add(Diff d) {
    if (d == Diff::kDeclined) ++declined;
    if (d == Diff::kEqual) ++taken;
    if (d == Diff::kDifferent) ++different;
  }
};

// Mutated copies of `raw`: at every `step`-th offset a byte deleted, replaced
// with one of the bytes that matter to the grammar, or inserted.
void CompareMutations(const std::string& raw, const std::string& what, size_t step,
                      Tally* tally) {
  static constexpr char kBytes[] = {' ', '\t', '\r', '\n', ':', '<', '>', '"', ',', '=',
                                    '(', '\\', '@', ';', '?', '.', '\x80', '\0', 'A'};
  size_t variant = 0;
  for (size_t i = 0; i < raw.size(); i += step) {
    const char b = kBytes[variant++ % sizeof(kBytes)];
    std::string deleted = raw;
    deleted.erase(i, 1);
    tally->Add(Compare(deleted, absl::StrCat(what, " without byte ", i)));
    std::string replaced = raw;
    replaced[i] = b;
    tally->Add(Compare(replaced, absl::StrCat(what, " byte ", i, " replaced")));
    std::string inserted = raw;
    inserted.insert(i, 1, b);
    tally->Add(Compare(inserted, absl::StrCat(what, " byte inserted at ", i)));
  }
}

std::string Crlf(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

// Common mail the fast path must take.
std::vector<std::string> CommonMail() {
  return {
      Crlf("From: Customer 5 <customer5@customer.example>\n"
           "To: Support <help@desk.example>\n"
           "Subject: Invoice 2026-5 is wrong\n"
           "Date: Tue, 13 Jan 2026 10:00:00 +0000\n"
           "Message-ID: <m5.bench@customer.example>\n"
           "MIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=utf-8\n\n"
           "Hello,\n\nthe invoice lists two licences.\n\nThanks,\nAna\n"),
      // LF line ends, no Content-Type, no Message-ID, a bare address.
      "From: ana@example.org\nTo: help@desk.example\nSubject: hi\n\nplain body\n",
      // Quoted names, a folded To list, Cc, In-Reply-To, References, a
      // ticket token and an encoded-word subject.
      Crlf("From: \"Doe, Jane\" <Jane.Doe@Example.COM>\n"
           "To: help@desk.example,\n \"Second, Desk\" <second@desk.example>\n"
           "Cc: <boss@example.com>, Carl Cc <carl@example.com>\n"
           "Subject: =?UTF-8?Q?Re=3A_caf=C3=A9?= [#42]\n"
           "In-Reply-To: <a1@desk.example>\n"
           "References: <a0@desk.example>\n <a1@desk.example>\n"
           "Message-ID: <r1@example.com>\n"
           "Content-Type: text/plain;\n\tcharset=\"iso-8859-1\"; format=flowed\n"
           "Content-Transfer-Encoding: quoted-printable\n\n"
           "Caf=E9 ol=E9, this line is soft =\nwrapped. \nAnd flowed.\n\n"
           "On Mon, Jan 5, 2026 at 9:00 AM Desk <help@desk.example> wrote:\n> old\n"),
      // Base64, an auto-reply, a charset label the converter works around.
      Crlf("From: Out Of Office <ooo@example.net>\n"
           "To: help@desk.example\n"
           "Subject: Automatic reply: your ticket\n"
           "Auto-Submitted: auto-replied\n"
           "Precedence: bulk\n"
           "Message-ID: <ooo1@example.net>\n"
           "Content-Type: text/plain; charset=unknown-8bit\n"
           "Content-Transfer-Encoding: base64\n\n"
           "SSBhbSBhd2F5IHVudGlsIE1vbmRheS4K\n"),
      // 8-bit UTF-8 body, Content-Disposition inline, Content-Language.
      Crlf("From: Joerg Mueller <joerg@example.de>\n"
           "Subject: Passwort\n"
           "Content-Type: text/plain; charset=UTF-8; delsp=yes; format=flowed\n"
           "Content-Transfer-Encoding: 8bit\n"
           "Content-Disposition: inline\n"
           "Content-Language: de\n\n"
           "Ich bin ausgesperrt, gr\xc3\xbc\xc3\x9f" "e \nJ\xc3\xb6rg\n"),
      // A uuencoded file in the text.
      Crlf("From: u@example.com\nSubject: file\n\n"
           "see attached\n\nbegin 644 a.txt\n#86)C\n`\nend\n"),
  };
}

TEST(EmailFastParseTest, TakesCommonMailAndEqualsGMime) {
  int n = 0;
  for (const std::string& raw : CommonMail()) {
    const std::string what = absl::StrCat("common mail ", n++);
    EXPECT_EQ(Compare(raw, what), Diff::kEqual) << what << " declined or different";
  }
  // The options the fast path passes through.
  EmailInboundOptions options;
  options.strip_quoted_history = false;
  options.ticket_token_prefix = "T";
  EXPECT_EQ(Compare(CommonMail()[2], "options", options), Diff::kEqual);
}

TEST(EmailFastParseTest, DeclinesWhatItIsNotSureOf) {
  for (const std::string& raw : std::vector<std::string>{
           "From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n",
           "From: \"=?utf-8?q?x?=\" <a@b.example>\n\nhi\n",
           "From: Undisclosed: a@b.example;\n\nhi\n",
           "From: a@b.example (comment)\n\nhi\n",
           "From: a@b.example\nFrom: c@d.example\n\nhi\n",
           "From: a@b.example\nContent-Type: text/plain; name=x.txt\n\nhi\n",
           "From: a@b.example\nContent-Transfer-Encoding: x-uuencode\n\nhi\n",
           "From: a@b.example\nSubject: caf\xc3\xa9\n\nhi\n",
           "From: a@b.example\nContent-ID: <c@d>\n\nhi\n",
           "From: a@xn--caf-dma.example\n\nhi\n",
           "Subject: no sender\n\nhi\n",
           "From: a@b.example\nSubject: no body separator\n",
       }) {
    EXPECT_EQ(Compare(raw, raw), Diff::kDeclined) << raw;
  }
}

TEST(EmailFastParseTest, MutatedCommonMailEqualsGMimeWhenTaken) {
  Tally tally;
  int n = 0;
  for (const std::string& raw : CommonMail()) {
    CompareMutations(raw, absl::StrCat("common mail ", n++), 1, &tally);
  }
  EXPECT_EQ(tally.different, 0);
  EXPECT_GT(tally.taken, 0);
  EXPECT_GT(tally.declined, 0);
  std::printf("mutated common mail: %d taken, %d declined\n", tally.taken, tally.declined);
}

std::string FastParseDataRoot() {
  if (const char* env = std::getenv("HELPDESK_SHARED_DATA"); env != nullptr && *env) {
    return env;
  }
  std::string here = __FILE__;
  size_t slash = here.rfind("/tests/");
  return slash == std::string::npos ? "" : here.substr(0, slash) + "/../shared/data";
}

std::vector<std::filesystem::path> MailFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::filesystem::path& p = it->path();
    if (!it->is_regular_file() || p.extension() == ".md" || p.extension() == ".tsv" ||
        p.string().find("/LICENSES/") != std::string::npos) {
      continue;
    }
    files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(EmailFastParseTest, SharedCorpusAndSeedsEqualGMimeWhenTaken) {
  std::vector<std::filesystem::path> corpus =
      MailFiles(std::filesystem::path(FastParseDataRoot()) / "emails");
  if (corpus.empty()) {
    const char* required = std::getenv("HELPDESK_REQUIRE_SHARED_DATA");
    if (required != nullptr && *required && absl::string_view(required) != "0") {
      GTEST_FAIL() << "shared e-mail corpus not found under " << FastParseDataRoot();
    }
    GTEST_SKIP() << "shared e-mail corpus not found under " << FastParseDataRoot();
  }
  std::string here = __FILE__;
  std::vector<std::filesystem::path> seeds = MailFiles(
      here.substr(0, here.rfind('/')) + "/fuzz/corpus/email_inbound");
  EXPECT_FALSE(seeds.empty());
  Tally whole, mutated;
  for (const auto& list : {corpus, seeds}) {
    for (const std::filesystem::path& path : list) {
      const std::string raw = ReadAll(path);
      const Diff d = Compare(raw, path.string());
      whole.Add(d);
      // Mutations near the start (the header) of every message, and all
      // over the ones the fast path takes.
      CompareMutations(raw.substr(0, 1500), path.string() + " (head)", 11, &mutated);
      if (d == Diff::kEqual) CompareMutations(raw, path.string(), 5, &mutated);
    }
  }
  EXPECT_EQ(whole.different, 0);
  EXPECT_EQ(mutated.different, 0);
  EXPECT_GT(whole.taken, 0);
  std::printf("corpus and seeds: %d of %d messages taken by the fast path; mutated: %d of %d\n",
              whole.taken, whole.taken + whole.declined, mutated.taken,
              mutated.taken + mutated.declined);
}

}  // namespace
}  // namespace helpdesk
