// Kill test: a child process ingests a Maildir and creates tickets in a loop
// against one SQLite file; the parent SIGKILLs it at random (seeded) moments
// and starts it again, many times. The child appends a line to a log for
// every command it got an OK for, with write(2) after the call returned, so
// the log holds only answered commands. At the end the Maildir is drained by
// one last run, and the test checks what a crash must never break:
//   - every Maildir file is stored exactly once (one message per Message-ID:
//     a file ingested but not yet moved to cur/ when the kill came is
//     ingested again, and must be found a duplicate);
//   - every answered ingest is stored as answered (same ticket, same message);
//   - every answered CreateTicket is there, once, with its subject;
//   - PRAGMA integrity_check says ok, and the store opens and takes a command.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "fault_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using testing_faults::kSanitized;

// At least 100 kills in every build; the runs between kills last up to
// kMaxRunMillis, so the whole test stays well under a minute (two under a
// sanitizer, whose commands are slower).
constexpr int kKills = kSanitized ? 100 : 150;
constexpr int kMaxRunMillis = kSanitized ? 120 : 80;
constexpr int kMails = 600;
constexpr uint32_t kSeed = 20261206;
const absl::Time kNow = absl::FromUnixSeconds(1767600000);

// --- The child ---------------------------------------------------------------

// Appends `line` to the log with one write(2): once it returns, the line is
// the kernel's, and a SIGKILL cannot take it back.
void Answer(int log_fd, const std::string& line) {
  std::string text = line + "\n";
  const char* data = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(log_fd, data, left);
    if (n <= 0) ::_exit(5);
    data += n;
    left -= static_cast<size_t>(n);
  }
}

[[noreturn]] void Fail(int log_fd, int code, const std::string& what,
                       const absl::Status& status) {
  Answer(log_fd, absl::StrCat("error ", what, ": ", status.ToString()));
  ::_exit(code);
}

// Ingests every unseen message of `maildir`, creating a ticket after each;
// then (unless `drain`) creates tickets until killed.
[[noreturn]] void ChildMain(const std::string& db, const std::string& maildir,
                            const std::string& log, int run, bool drain) {
  int log_fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (log_fd < 0) ::_exit(6);
  auto store = OpenSqliteStore(db);
  if (!store.ok()) Fail(log_fd, 2, "opening the store", store.status());
  ManualClock clock(kNow + absl::Seconds(run));
  auto desk = Desk::Open({.store = store->get(), .clock = &clock});
  if (!desk.ok()) Fail(log_fd, 2, "opening the desk", desk.status());
  std::unique_ptr<InboundAdapter> email = NewEmailInbound();

  // Creates a ticket; every fourth time, merges the previous one into it.
  int creates = 0;
  int64_t previous = 0;
  auto create = [&]() {
    const std::string subject = absl::StrCat("create r", run, "-", creates++);
    absl::StatusOr<int64_t> id = testing_faults::CreateRequest(
        **desk, absl::StrCat("caller", creates % 5, "@customer.example"),
        subject);
    if (!id.ok()) Fail(log_fd, 3, subject, id.status());
    Answer(log_fd, absl::StrCat("created ", *id, " ", subject));
    if (creates % 4 == 0 && previous != 0) {
      absl::Status merged = testing_faults::Merge(**desk, previous, *id);
      if (!merged.ok()) Fail(log_fd, 3, "merge", merged);
      Answer(log_fd, absl::StrCat("merged ", previous, " ", *id));
    }
    previous = *id;
  };
  auto acknowledge = [&](const MaildirMessage& m, const IngestResult& result) {
    Answer(log_fd, absl::StrCat("ingested ", m.id, " ", result.ticket_id, " ",
                                result.message_id, " ",
                                result.duplicate ? 1 : 0));
    absl::Status marked = MarkMaildirMessageProcessed(maildir, m);
    if (!marked.ok()) Fail(log_fd, 4, m.id, marked);
  };

  auto listed = ReadMaildir(maildir);
  if (!listed.ok()) Fail(log_fd, 4, "reading the Maildir", listed.status());
  std::vector<MaildirMessage> unseen;
  for (const MaildirMessage& m : *listed) {
    if (!m.seen) unseen.push_back(m);
  }
  // Odd runs ingest one message at a time, even runs in batches of up to 6,
  // as a Maildir poll would; each answered message is then moved to cur/.
  const size_t batch = run % 2 == 0 ? 6 : 1;
  std::vector<v1::InboundMessage> parsed(unseen.size());
  for (size_t begin = 0; begin < unseen.size(); begin += batch) {
    const size_t n = std::min(batch, unseen.size() - begin);
    for (size_t i = begin; i < begin + n; ++i) {
      auto raw = LoadMaildirMessage(unseen[i]);
      if (!raw.ok()) Fail(log_fd, 4, unseen[i].id, raw.status());
      auto message = email->Parse(*raw, clock.Now());
      if (!message.ok()) Fail(log_fd, 4, unseen[i].id, message.status());
      parsed[i] = *std::move(message);
    }
    if (n == 1) {
      auto result = testing_faults::IngestMessage(**desk, parsed[begin]);
      if (!result.ok()) Fail(log_fd, 3, unseen[begin].id, result.status());
      acknowledge(unseen[begin], *result);
    } else {
      auto results = testing_faults::IngestMessages(
          **desk, absl::MakeConstSpan(parsed).subspan(begin, n));
      if (!results.ok()) Fail(log_fd, 3, "batch", results.status());
      for (size_t i = 0; i < n; ++i) {
        const auto& result = (*results)[i];
        if (!result.ok()) Fail(log_fd, 3, unseen[begin + i].id, result.status());
        acknowledge(unseen[begin + i], *result);
      }
    }
    create();
  }
  if (drain) ::_exit(0);
  while (creates < 100000) create();
  ::_exit(0);
}

// --- The parent --------------------------------------------------------------

std::string MaildirId(int i) {
  return absl::StrFormat("%d.M%06dP4242.desk", 1767600000 + i, i);
}

// Which earlier mail message `i` replies to, or -1.
int ReplyTo(int i) { return i % 3 == 2 ? i - 1 - (i % 5) : -1; }

class SqliteKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_faults::ScratchDir("sqlite_kill_test");
    ASSERT_FALSE(dir_.empty());
    db_ = dir_ + "/desk.db";
    maildir_ = dir_ + "/Maildir";
    log_ = dir_ + "/answered.log";
    for (const char* sub : {"new", "cur", "tmp"}) {
      std::filesystem::create_directories(maildir_ + "/" + sub);
    }
    for (int i = 0; i < kMails; ++i) {
      std::ofstream(maildir_ + "/new/" + MaildirId(i), std::ios::binary)
          << testing_faults::RealMail(i, ReplyTo(i));
    }
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Starts a child for `run`; returns its pid.
  pid_t Start(int run, bool drain) {
    pid_t pid = ::fork();
    if (pid == 0) ChildMain(db_, maildir_, log_, run, drain);
    return pid;
  }

  std::string LogTail() {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
  }

  std::string dir_, db_, maildir_, log_;
};

TEST_F(SqliteKillTest, AnsweredCommandsSurviveSigkill) {
  std::mt19937 random(kSeed);
  std::uniform_int_distribution<int> delay_us(0, kMaxRunMillis * 1000);
  const auto started = std::chrono::steady_clock::now();
  int killed = 0;
  int killed_with_mail_waiting = 0;
  for (int run = 0; run < kKills; ++run) {
    pid_t pid = Start(run, /*drain=*/false);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++killed;
      if (!std::filesystem::is_empty(maildir_ + "/new")) ++killed_with_mail_waiting;
    } else {
      FAIL() << "run " << run << " ended by itself (status " << status
             << "), log:\n" << LogTail();
    }
  }
  // One last run, not killed, ingests what is left.
  pid_t pid = Start(kKills, /*drain=*/true);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the draining run failed (status " << status << "), log:\n"
      << LogTail();

  // What the children answered.
  struct Ingested {
    int64_t ticket_id, message_id;
  };
  std::map<std::string, std::vector<Ingested>> ingested;  // by Maildir id
  std::map<int64_t, std::string> created;                 // ticket -> subject
  std::map<int64_t, int64_t> merged;                      // source -> target
  int duplicates = 0;
  {
    std::ifstream in(log_);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      if (f[0] == "ingested" && f.size() == 5) {
        Ingested answer{};
        ASSERT_TRUE(absl::SimpleAtoi(f[2], &answer.ticket_id)) << line;
        ASSERT_TRUE(absl::SimpleAtoi(f[3], &answer.message_id)) << line;
        ingested[f[1]].push_back(answer);
        if (f[4] == "1") ++duplicates;
      } else if (f[0] == "merged" && f.size() == 3) {
        int64_t source = 0, target = 0;
        ASSERT_TRUE(absl::SimpleAtoi(f[1], &source)) << line;
        ASSERT_TRUE(absl::SimpleAtoi(f[2], &target)) << line;
        merged[source] = target;
      } else if (f[0] == "created" && f.size() == 4) {
        int64_t id = 0;
        ASSERT_TRUE(absl::SimpleAtoi(f[1], &id)) << line;
        ASSERT_FALSE(created.count(id)) << "ticket " << id << " created twice";
        created[id] = absl::StrCat(f[2], " ", f[3]);
      } else {
        // A line cut by the kill has no newline and is not read as a line
        // only when it is the last; any other line is an error report.
        FAIL() << "unexpected log line: " << line;
      }
    }
  }

  // Every Maildir file was acknowledged (moved to cur/, seen).
  auto files = ReadMaildir(maildir_);
  ASSERT_OK(files.status());
  ASSERT_EQ(files->size(), static_cast<size_t>(kMails));
  for (const MaildirMessage& m : *files) {
    EXPECT_TRUE(m.seen && !m.is_new) << m.id;
    EXPECT_TRUE(ingested.count(m.id)) << m.id << " acknowledged unanswered";
  }

  EXPECT_EQ(testing_faults::IntegrityCheck(db_), "ok");
  auto store = OpenSqliteStore(db_);
  ASSERT_OK(store.status());
  ManualClock clock(kNow);
  auto desk = Desk::Open({.store = store->get(), .clock = &clock});
  ASSERT_OK(desk.status());

  // The stored state: every message by its Message-ID, every ticket subject.
  auto tickets = testing_faults::AllTickets(**desk);
  ASSERT_OK(tickets.status());
  std::map<std::string, std::vector<v1::Message>> by_message_id;
  std::map<std::string, int> subjects;
  std::map<int64_t, std::string> subject_of;
  for (const v1::Ticket& ticket : *tickets) {
    ++subjects[ticket.subject()];
    subject_of[ticket.id()] = ticket.subject();
    auto thread = testing_faults::Thread(**desk, ticket.id());
    ASSERT_OK(thread.status());
    for (const v1::Message& m : *thread) {
      if (!m.external_id().empty()) by_message_id[m.external_id()].push_back(m);
    }
  }
  for (int i = 0; i < kMails; ++i) {
    const std::string message_id = testing_faults::MailMessageId(i);
    const auto found = by_message_id.find(message_id);
    ASSERT_NE(found, by_message_id.end()) << message_id << " is lost";
    ASSERT_EQ(found->second.size(), 1u) << message_id << " is stored "
                                        << found->second.size() << " times";
    const v1::Message& stored = found->second[0];
    for (const Ingested& answer : ingested[MaildirId(i)]) {
      EXPECT_EQ(answer.message_id, stored.id()) << message_id;
      EXPECT_EQ(answer.ticket_id, stored.ticket_id()) << message_id;
    }
  }
  std::map<int64_t, int64_t> merged_into;
  for (const v1::Ticket& ticket : *tickets) {
    if (ticket.merged_into() != 0) merged_into[ticket.id()] = ticket.merged_into();
  }
  for (const auto& [source, target] : merged) {
    EXPECT_EQ(merged_into[source], target)
        << "answered merge of " << source << " into " << target << " is lost";
  }
  for (const auto& [id, subject] : created) {
    ASSERT_TRUE(subject_of.count(id)) << "answered ticket " << id << " is lost";
    EXPECT_EQ(subject_of[id], subject);
    EXPECT_EQ(subjects[subject], 1) << subject;
  }
  // The store takes new work.
  EXPECT_OK(testing_faults::CreateRequest(**desk, "last@customer.example",
                                          "After the kills")
                .status());

  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  std::cout << "kills survived: " << killed << " (" << killed_with_mail_waiting
            << " with mail still in new/); answered: "
            << ingested.size() << " mails (" << duplicates
            << " ingested again after a kill, found duplicates), "
            << created.size() << " creates, " << merged.size()
            << " merges; tickets stored: "
            << tickets->size() << "; " << seconds << " s\n";
  EXPECT_GE(killed, 100);
}

}  // namespace
}  // namespace helpdesk
