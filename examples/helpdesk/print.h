// How the helpdesk CLI prints tickets, logs, queues and SLA clocks.
#ifndef HELPDESK_EXAMPLES_HELPDESK_PRINT_H_
#define HELPDESK_EXAMPLES_HELPDESK_PRINT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "helpdesk/desk.h"

namespace helpdesk::cli {

// Stored text made safe to print on a terminal. Everything a customer or an
// e-mail can put in a ticket (subject, body, names, tags, notes, file names,
// error messages quoting them) goes through here before it is printed, so it
// cannot move the cursor, clear the screen, retitle the window (ESC ] 0 ;
// ... BEL) or reorder what an agent reads. Escaped visibly:
//   - C0 controls and DEL: \r \n \t \x1b \x07 \x08 \x7f ...;
//   - C1 controls U+0080..U+009F: \u0085 ...;
//   - bidirectional embeddings, overrides and isolates U+202A..U+202E and
//     U+2066..U+2069: \u202e ...;
//   - bytes that are not UTF-8: \xNN.
// With `multiline` (message bodies) newlines and tabs are kept; everything
// else is escaped, carriage returns included. A backslash is printed as is,
// so "\x1b" typed by a customer reads the same as an escaped ESC; no raw
// control byte reaches the terminal either way.
std::string Visible(absl::string_view text, bool multiline = false);

// Writes `text` to the file `path` (replacing it): a report's CSV or SVG, a
// simulator's chart. Unavailable naming the path when it cannot be written.
absl::Status WriteOutputFile(const std::string& path, absl::string_view text);

// A time as "YYYY-MM-DD HH:MM" in UTC.
std::string When(const google::protobuf::Timestamp& ts);

// `s` cut to at most `n` bytes, on a UTF-8 boundary, ending "...".
std::string Cut(const std::string& s, size_t n);

// Names of agents, groups and contacts by id, looked up once.
class Names {
 public:
  explicit Names(Desk& desk) {
    if (auto agents = desk.people().ListAgents(SystemActor()); agents.ok()) {
      for (const v1::Agent& a : *agents) agents_[a.id()] = a.name();
    }
    if (auto groups = desk.people().ListGroups(SystemActor()); groups.ok()) {
      for (const v1::Group& g : *groups) groups_[g.id()] = g.name();
    }
    desk_ = &desk;
  }
  std::string Agent(int64_t id) const {
    if (id == 0) return "-";
    auto it = agents_.find(id);
    return it == agents_.end() ? absl::StrCat("agent#", id) : Visible(it->second);
  }
  std::string Group(int64_t id) const {
    if (id == 0) return "-";
    auto it = groups_.find(id);
    return it == groups_.end() ? absl::StrCat("group#", id) : Visible(it->second);
  }
  std::string Contact(int64_t id) {
    auto it = contacts_.find(id);
    if (it != contacts_.end()) return it->second;
    std::string name = absl::StrCat("contact#", id);
    if (auto c = desk_->people().GetContact(SystemActor(), id); c.ok()) {
      name = c->name();
      for (const v1::ContactIdentity& i : c->identities()) {
        if (i.kind() == v1::ContactIdentity::EMAIL) {
          name = absl::StrCat(c->name(), " <", i.value(), ">");
          break;
        }
      }
    }
    name = Visible(name);
    contacts_[id] = name;
    return name;
  }
  std::string Actor(const v1::Actor& a) {
    switch (a.kind()) {
      case v1::Actor::AGENT:
        return Agent(a.id());
      case v1::Actor::CONTACT:
        return Contact(a.id());
      case v1::Actor::INTEGRATION:
        return absl::StrCat("integration ", Visible(a.name()));
      default:
        return "system";
    }
  }

 private:
  Desk* desk_;
  std::map<int64_t, std::string> agents_, groups_, contacts_;
};

void PrintQueue(Desk& desk, const std::vector<v1::Ticket>& tickets);
void PrintTicket(Desk& desk, const TicketView& view);
void PrintLog(Desk& desk, const std::vector<v1::Event>& events);
// One change of an audit log, "    field: before -> after" (values rendered
// by helpdesk/audit.h, "(none)" when empty), each value cut to `width`
// characters when given.
void PrintChange(const v1::FieldChange& change, std::optional<size_t> width = std::nullopt);
void PrintAgentLog(Desk& desk, const std::vector<v1::AgentEvent>& events);
void PrintSla(const SlaStatus& sla);

}  // namespace helpdesk::cli

#endif  // HELPDESK_EXAMPLES_HELPDESK_PRINT_H_
