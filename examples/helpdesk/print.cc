// How the helpdesk CLI prints tickets, logs, queues and SLA clocks.
#include "print.h"

#include <fstream>
#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "helpdesk/audit.h"
#include "helpdesk/timestamp.h"

namespace helpdesk::cli {

namespace {

// The UTF-8 sequence at text[i..]: its code point and length, or length 0
// when it is not valid UTF-8 (overlong, surrogate, truncated, > U+10FFFF).
std::pair<char32_t, size_t> DecodeUtf8(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  size_t n = 0;
  char32_t c = 0;
  char32_t min = 0;
  if (b < 0x80) return {b, 1};
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2, c = b & 0x1F, min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3, c = b & 0x0F, min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4, c = b & 0x07, min = 0x10000;
  } else {
    return {0, 0};
  }
  if (i + n > text.size()) return {0, 0};
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
  return {c, n};
}

bool IsBidiControl(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string Visible(absl::string_view text, bool multiline) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto [c, n] = DecodeUtf8(text, i);
    if (n == 0) {  // not UTF-8: the byte
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", static_cast<unsigned char>(text[i])));
      ++i;
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      if (multiline && (c == '\n' || c == '\t')) {
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else {
        absl::StrAppend(&out, absl::StrFormat("\\x%02x", static_cast<unsigned>(c)));
      }
    } else if ((c >= 0x80 && c <= 0x9F) || IsBidiControl(c)) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", static_cast<unsigned>(c)));
    } else {
      out.append(text.data() + i, n);
    }
    i += n;
  }
  return out;
}

std::string When(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M", FromTimestamp(ts), absl::UTCTimeZone());
}

std::string Cut(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t end = n - 3;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "...";
}

void PrintQueue(Desk& desk, const std::vector<v1::Ticket>& tickets) {
  Names names(desk);
  std::cout << absl::StrFormat("%-6s %-8s %-8s %-10s %-10s %-17s %s\n", "#", "STATUS",
                               "PRIORITY", "GROUP", "ASSIGNEE", "UPDATED (UTC)",
                               "SUBJECT");
  for (const v1::Ticket& t : tickets) {
    std::cout << absl::StrFormat(
        "%-6s %-8s %-8s %-10s %-10s %-17s %s\n", absl::StrCat("#", t.id()),
        Visible(t.status()), PriorityName(t.priority()), Cut(names.Group(t.group_id()), 10),
        Cut(names.Agent(t.assignee_id()), 10), When(t.updated_at()),
        Cut(Visible(t.subject()), 60));
  }
  if (tickets.empty()) std::cout << "(no tickets)\n";
}

void PrintTicket(Desk& desk, const TicketView& view) {
  Names names(desk);
  const v1::Ticket& t = view.ticket;
  std::cout << "#" << t.id() << " " << Visible(t.subject()) << "\n";
  std::cout << "  status " << Visible(t.status()) << ", priority " << PriorityName(t.priority())
            << ", type " << TicketTypeName(t.type()) << ", version " << t.version()
            << "\n";
  std::cout << "  requester " << names.Contact(t.requester_id()) << "; group "
            << names.Group(t.group_id()) << "; assignee "
            << names.Agent(t.assignee_id());
  if (t.sticky_agent_id() != 0) {
    std::cout << "; sticky agent " << names.Agent(t.sticky_agent_id());
  }
  std::cout << "\n";
  if (t.tags_size() > 0) {
    std::cout << "  tags " << Visible(absl::StrJoin(t.tags(), ", ")) << "\n";
  }
  if (t.cc_contact_ids_size() > 0) {
    std::vector<std::string> ccs;
    for (int64_t id : t.cc_contact_ids()) ccs.push_back(names.Contact(id));
    std::cout << "  cc " << absl::StrJoin(ccs, ", ") << "\n";
  }
  for (const v1::TicketLink& l : t.links()) {
    std::cout << "  link " << absl::AsciiStrToLower(v1::TicketLink::Kind_Name(l.kind()))
              << " #" << l.ticket_id() << "\n";
  }
  if (t.merged_into() != 0) std::cout << "  merged into #" << t.merged_into() << "\n";
  for (const v1::Message& m : view.messages) {
    const char* kind = m.kind() == v1::Message::INTERNAL_NOTE  ? "internal note"
                       : m.kind() == v1::Message::PUBLIC_REPLY ? "reply"
                                                               : "message";
    std::cout << "\n  [" << When(m.created_at()) << "] " << kind << " from "
              << names.Actor(m.author());
    if (m.origin_ticket_id() != t.id()) {
      std::cout << " (from #" << m.origin_ticket_id() << ")";
    }
    std::cout << "\n";
    std::cout << "    "
              << absl::StrReplaceAll(Visible(m.body_text(), /*multiline=*/true),
                                     {{"\n", "\n    "}})
              << "\n";
    for (const v1::Attachment& a : m.attachments()) {
      std::cout << "    attachment " << Visible(a.file_name()) << " ("
                << Visible(a.media_type()) << ", " << a.size() << " bytes, sha256 "
                << Visible(a.sha256().substr(0, 12)) << ")\n";
    }
  }
}

void PrintLog(Desk& desk, const std::vector<v1::Event>& events) {
  Names names(desk);
  for (const v1::Event& e : events) {
    std::string kind = absl::AsciiStrToLower(v1::Event::Kind_Name(e.kind()));
    std::cout << "[" << When(e.time()) << "] v" << e.ticket_version() << " " << kind
              << " by " << names.Actor(e.actor());
    if (e.related_ticket_id() != 0) std::cout << " (#" << e.related_ticket_id() << ")";
    if (e.message_id() != 0) {
      std::cout << " (message " << e.message_id() << ", "
                << absl::AsciiStrToLower(v1::Message::Kind_Name(
                       static_cast<v1::Message::Kind>(e.message_kind())))
                << ")";
    }
    std::cout << "\n";
    if (e.kind() >= v1::Event::ROUTED && !e.note().empty()) {
      std::cout << "    why: " << Visible(e.note()) << "\n";
    }
    if (!e.rule().empty()) std::cout << "    rule: " << Visible(e.rule()) << "\n";
    for (const v1::FieldChange& c : e.changes()) PrintChange(c, 50);
  }
}

void PrintChange(const v1::FieldChange& c, std::optional<size_t> width) {
  auto value = [&](const v1::FieldValue& v) {
    std::string text = Visible(RenderValue(v));
    if (text.empty()) return std::string("(none)");
    return width ? Cut(text, *width) : text;
  };
  std::cout << "    " << Visible(FieldName(c)) << ": " << value(c.before()) << " -> "
            << value(c.after()) << "\n";
}

void PrintAgentLog(Desk& desk, const std::vector<v1::AgentEvent>& events) {
  Names names(desk);
  for (const v1::AgentEvent& e : events) {
    std::cout << "[" << When(e.time()) << "] v" << e.agent_version() << " "
              << absl::AsciiStrToLower(v1::AgentEvent::Kind_Name(e.kind())) << " by "
              << names.Actor(e.actor()) << "\n";
    for (const v1::FieldChange& c : e.changes()) PrintChange(c);
    if (!e.note().empty()) std::cout << "    " << Visible(e.note()) << "\n";
  }
}

void PrintSla(const SlaStatus& sla) {
  if (sla.policy.empty()) {
    std::cout << "no SLA policy applies\n";
    return;
  }
  std::cout << "policy " << Visible(sla.policy) << "\n";
  std::cout << absl::StrFormat("  %-18s %-9s %-6s %-17s %-12s %s\n", "METRIC", "STATE",
                               "CYCLE", "DUE (UTC)", "LEFT", "TARGET");
  for (const SlaMetricStatus& m : sla.metrics) {
    std::cout << absl::StrFormat(
        "  %-18s %-9s %-6s %-17s %-12s %s%s\n", SlaMetricName(m.metric),
        SlaStateName(m.state), absl::StrCat(m.cycle, "/", m.cycles),
        m.due_at ? absl::FormatTime("%Y-%m-%d %H:%M", *m.due_at, absl::UTCTimeZone())
                 : "-",
        absl::FormatDuration(absl::Trunc(m.left, absl::Minutes(1))),
        absl::FormatDuration(m.target), m.business_hours ? " business" : "");
  }
  if (sla.next_deadline) {
    std::cout << "  next deadline "
              << absl::FormatTime("%Y-%m-%d %H:%M", *sla.next_deadline,
                                  absl::UTCTimeZone())
              << " UTC\n";
  }
}

absl::Status WriteOutputFile(const std::string& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

}  // namespace helpdesk::cli
