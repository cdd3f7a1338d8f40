// Shared by the crash and fault tests (sqlite_kill_test, sqlite_fault_test):
// real-looking mail, the few Desk calls they make (kept here, in small
// functions, so a change of the Desk API is one edit), and raw SQLite reads of
// a database file that do not go through the store (a full dump of every
// table, PRAGMA integrity_check).
#ifndef HELPDESK_TESTS_FAULT_TEST_SUPPORT_H_
#define HELPDESK_TESTS_FAULT_TEST_SUPPORT_H_

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "helpdesk/desk.h"

namespace helpdesk::testing_faults {

// True in a sanitizer build (ASan, TSan), where commands and fork() are
// several times slower: the tests then do less of what repeats.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// A new directory for a test's files (the caller removes it), named from
// `prefix`. In /dev/shm when there is one: the faults are injected above the
// file system and the crashes are process crashes (the page cache outlives
// them), so a RAM file system checks the same, and its fsync costs nothing
// (on a busy CI disk the tests' thousands of fsyncs took minutes). Else under
// the test's temporary directory. Empty on failure.
inline std::string ScratchDir(const std::string& prefix) {
  std::string base = "/dev/shm";
  if (::access(base.c_str(), W_OK | X_OK) != 0) base = ::testing::TempDir();
  if (!base.empty() && base.back() == '/') base.pop_back();
  std::string dir = absl::StrCat(base, "/", prefix, "_XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) return "";
  return dir;
}

// --- Mail --------------------------------------------------------------------

// The Message-ID (without angle brackets) of RealMail(i).
inline std::string MailMessageId(int i) {
  return absl::StrCat("m", i, ".7f3a@mail.customer", i % 7, ".example");
}

// An RFC 5322 message as a mail client writes it: display names, an encoded
// subject, multipart/alternative text and HTML, a small attachment; message
// `i` replies to message `reply_to` when that is >= 0.
inline std::string RealMail(int i, int reply_to = -1) {
  const std::string from = absl::StrCat("customer", i % 7, "@customer", i % 7,
                                        ".example");
  std::string mail = absl::StrCat(
      "Return-Path: <", from, ">\r\n",
      "Received: from mx.customer", i % 7, ".example (mx [192.0.2.", i % 250,
      "])\r\n\tby mail.desk.example with ESMTPS id ", 1000 + i,
      "; Mon, 5 Jan 2026 09:00:00 +0000\r\n",
      "From: =?UTF-8?Q?Ren=C3=A9e_Customer_", i % 7, "?= <", from, ">\r\n",
      "To: Support <help@desk.example>\r\n",
      "Cc: colleague", i % 3, "@customer", i % 7, ".example\r\n",
      "Subject: =?UTF-8?B?", absl::Base64Escape(absl::StrCat(
          reply_to >= 0 ? "Re: " : "", "Printer on floor ", i, " \xE2\x80\x93 jams")),
      "?=\r\n",
      "Date: Mon, 5 Jan 2026 09:", 10 + i % 50, ":00 +0100\r\n",
      "Message-ID: <", MailMessageId(i), ">\r\n");
  if (reply_to >= 0) {
    absl::StrAppend(&mail, "In-Reply-To: <", MailMessageId(reply_to), ">\r\n",
                    "References: <", MailMessageId(reply_to), ">\r\n");
  }
  absl::StrAppend(
      &mail, "MIME-Version: 1.0\r\n",
      "Content-Type: multipart/mixed; boundary=\"outer", i, "\"\r\n\r\n",
      "--outer", i, "\r\n",
      "Content-Type: multipart/alternative; boundary=\"alt", i, "\"\r\n\r\n",
      "--alt", i, "\r\n",
      "Content-Type: text/plain; charset=utf-8\r\n",
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
      "Hello,\r\n\r\nthe printer on floor ", i,
      " jams on every second page since the update =E2=80=93 could you send\r\n"
      "someone? Ticket ", i, ".\r\n\r\nRen=C3=A9e\r\n\r\n",
      "--alt", i, "\r\n",
      "Content-Type: text/html; charset=utf-8\r\n\r\n",
      "<p>Hello,</p><p>the printer on floor ", i,
      " jams on every second page.</p>\r\n",
      "--alt", i, "--\r\n\r\n",
      "--outer", i, "\r\n",
      "Content-Type: text/plain; name=\"error-", i, ".log\"\r\n",
      "Content-Disposition: attachment; filename=\"error-", i, ".log\"\r\n",
      "Content-Transfer-Encoding: base64\r\n\r\n",
      absl::Base64Escape(absl::StrCat("E", i, ": paper jam in tray 2\n")),
      "\r\n--outer", i, "--\r\n");
  return mail;
}

// --- The Desk calls of these tests -------------------------------------------

inline absl::StatusOr<int64_t> CreateRequest(Desk& desk,
                                             absl::string_view requester_email,
                                             absl::string_view subject) {
  NewTicket ticket;
  ticket.subject = std::string(subject);
  ticket.requester_email = std::string(requester_email);
  ticket.description = absl::StrCat("Details of ", subject);
  absl::StatusOr<v1::Ticket> created = desk.tickets().Create(SystemActor(), ticket);
  if (!created.ok()) return created.status();
  return created->id();
}

inline absl::StatusOr<IngestResult> IngestMessage(
    Desk& desk, const v1::InboundMessage& message) {
  return desk.inbox().Ingest(message);
}

inline absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> IngestMessages(
    Desk& desk, absl::Span<const v1::InboundMessage> messages) {
  return desk.inbox().IngestBatch(messages);
}

inline absl::Status Merge(Desk& desk, int64_t source_id, int64_t target_id) {
  return desk.tickets().Merge(SystemActor(), source_id, target_id).status();
}

// Every ticket, merged ones included.
inline absl::StatusOr<std::vector<v1::Ticket>> AllTickets(Desk& desk) {
  std::vector<v1::Ticket> tickets;
  TicketQuery query;
  query.include_merged = true;
  query.limit = kMaxQueryLimit;
  while (true) {
    absl::StatusOr<TicketPage> page = desk.tickets().Query(SystemActor(), query);
    if (!page.ok()) return page.status();
    tickets.insert(tickets.end(), page->tickets.begin(), page->tickets.end());
    if (page->next_cursor.empty()) return tickets;
    query.cursor = page->next_cursor;
  }
}

inline absl::StatusOr<std::vector<v1::Message>> Thread(Desk& desk,
                                                       int64_t ticket_id) {
  absl::StatusOr<TicketView> view = desk.tickets().View(SystemActor(), ticket_id);
  if (!view.ok()) return view.status();
  return view->messages;
}

// --- Raw SQLite reads --------------------------------------------------------

// Every row of every table of the database at `path` (through the default
// VFS, read-only), one line per row, rows sorted within each table: equal
// dumps mean equal stored state. Errors are returned as the dump's text.
inline std::string DumpDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    std::string error = absl::StrCat("cannot open: ", sqlite3_errmsg(db));
    sqlite3_close(db);
    return error;
  }
  std::string dump;
  std::vector<std::string> tables;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                     "name NOT LIKE 'sqlite_%' ORDER BY name",
                     -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    tables.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  if (sqlite3_finalize(stmt) != SQLITE_OK) {
    absl::StrAppend(&dump, "error listing tables: ", sqlite3_errmsg(db), "\n");
  }
  for (const std::string& table : tables) {
    std::vector<std::string> rows;
    std::string sql = absl::StrCat("SELECT * FROM \"", table, "\"");
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      absl::StrAppend(&dump, "error reading ", table, ": ", sqlite3_errmsg(db),
                      "\n");
      continue;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> cells;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            cells.push_back("NULL");
            break;
          case SQLITE_INTEGER:
            cells.push_back(absl::StrCat(sqlite3_column_int64(stmt, c)));
            break;
          default: {
            const void* data = sqlite3_column_blob(stmt, c);
            int size = sqlite3_column_bytes(stmt, c);
            cells.push_back(absl::CHexEscape(absl::string_view(
                static_cast<const char*>(data), size > 0 ? size : 0)));
          }
        }
      }
      rows.push_back(absl::StrJoin(cells, "|"));
    }
    if (sqlite3_finalize(stmt) != SQLITE_OK) {
      absl::StrAppend(&dump, "error reading ", table, ": ", sqlite3_errmsg(db),
                      "\n");
    }
    std::sort(rows.begin(), rows.end());
    absl::StrAppend(&dump, "== ", table, " (", rows.size(), " rows)\n");
    for (const std::string& row : rows) absl::StrAppend(&dump, row, "\n");
  }
  sqlite3_close(db);
  return dump;
}

// PRAGMA integrity_check of the database at `path`: "ok" when sound.
inline std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) !=
      SQLITE_OK) {
    std::string error = absl::StrCat("cannot open: ", sqlite3_errmsg(db));
    sqlite3_close(db);
    return error;
  }
  std::vector<std::string> lines;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    lines.push_back(sqlite3_errmsg(db));
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      lines.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    if (sqlite3_finalize(stmt) != SQLITE_OK) lines.push_back(sqlite3_errmsg(db));
  }
  sqlite3_close(db);
  return absl::StrJoin(lines, "\n");
}

}  // namespace helpdesk::testing_faults

#endif  // HELPDESK_TESTS_FAULT_TEST_SUPPORT_H_
