// CopyStore (helpdesk/storage/store_copy.h): one store's data into another,
// through the Store port, every id kept.
#include "helpdesk/storage/store_copy.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "helpdesk/status_macros.h"

namespace helpdesk {
namespace {

constexpr int kPage = 1000;

// FailedPrecondition unless the id the target assigned is the source's.
absl::Status SameId(absl::string_view what, int64_t source, int64_t target) {
  if (source == target) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "copy: ", what, " ", source, " would become ", target,
      " in the target (the source has a gap in its ", what,
      " ids that cannot be refilled, or the target is not empty)"));
}

// A list the source store does not implement holds nothing to copy.
template <typename T>
absl::StatusOr<T> OrEmpty(absl::StatusOr<T> r) {
  if (absl::IsUnimplemented(r.status())) return T();
  return r;
}

// Whether the target holds anything a copy would collide with.
absl::StatusOr<bool> IsEmpty(Transaction& t) {
  TicketQuery any;
  any.include_merged = true;
  any.limit = 1;
  HELPDESK_ASSIGN_OR_RETURN(TicketPage page, t.QueryTickets(any));
  if (!page.tickets.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> agents, t.ListAgents());
  if (!agents.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Group> groups, t.ListGroups());
  if (!groups.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events, t.ListEventsSince(0, 1));
  if (!events.empty()) return false;
  for (absl::Status s : {t.GetOrganization(1).status(), t.GetContact(1).status(),
                         t.GetMessage(1).status()}) {
    if (s.ok()) return false;
    if (!absl::IsNotFound(s)) return s;
  }
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::OutboxEntry> outbox,
                            t.ListOutbox(std::nullopt, 0, 1));
  if (!outbox.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::QuarantineEntry> quarantine,
                            t.ListQuarantine(std::nullopt, 0, 1));
  if (!quarantine.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::SavedView> views, OrEmpty(t.ListViews(std::nullopt)));
  if (!views.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::TimeEntry> entries,
                            OrEmpty(t.ListTimeEntriesLogged(TimeRange{})));
  if (!entries.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::KbArticle> articles,
                            OrEmpty(t.ListKbArticles(0, 1)));
  if (!articles.empty()) return false;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::KbSuggestionSession> sessions,
                            OrEmpty(t.ListKbSuggestionSessions(0, 1)));
  return sessions.empty();
}

class Copier {
 public:
  Copier(Transaction& src, Transaction& dst) : src_(src), dst_(dst) {}

  absl::Status Run() {
    HELPDESK_RETURN_IF_ERROR(People());
    HELPDESK_RETURN_IF_ERROR(Tickets());
    HELPDESK_RETURN_IF_ERROR(Messages());
    HELPDESK_RETURN_IF_ERROR(Events());
    HELPDESK_RETURN_IF_ERROR(PerTicketState());
    HELPDESK_RETURN_IF_ERROR(TimeEntries());
    HELPDESK_RETURN_IF_ERROR(Views());
    HELPDESK_RETURN_IF_ERROR(Kb());
    HELPDESK_RETURN_IF_ERROR(OutboxAndQuarantine());
    return RemoveFillers();
  }

  const StoreCopyCounts& counts() const { return counts_; }

 private:
  // Keeps source id `want` for the next insert: while the target would
  // assign less, `filler` inserts a placeholder and returns the id it got.
  template <typename Filler>
  absl::Status FillTo(int64_t want, int64_t& next, Filler filler) {
    while (next < want) {
      HELPDESK_ASSIGN_OR_RETURN(int64_t got, filler());
      next = got + 1;
    }
    return absl::OkStatus();
  }

  // The ticket that fillers for freed message, event and time entry ids
  // hang on; deleted (with them) before the copy commits.
  absl::StatusOr<int64_t> FillerTicket() {
    if (filler_ticket_ == 0) {
      v1::Ticket t;
      t.set_id(max_ticket_ + 1);
      t.set_subject("helpdesk copy: placeholder (deleted before commit)");
      HELPDESK_RETURN_IF_ERROR(dst_.InsertTicket(&t));
      filler_ticket_ = t.id();
    }
    return filler_ticket_;
  }

  absl::Status People() {
    for (int64_t id = 1;; ++id) {
      absl::StatusOr<v1::Organization> o = src_.GetOrganization(id);
      if (absl::IsNotFound(o.status())) break;
      if (!o.ok()) return o.status();
      HELPDESK_RETURN_IF_ERROR(dst_.InsertOrganization(&*o));
      HELPDESK_RETURN_IF_ERROR(SameId("organization", id, o->id()));
      ++counts_.organizations;
    }
    for (int64_t id = 1;; ++id) {
      absl::StatusOr<v1::Contact> c = src_.GetContact(id);
      if (absl::IsNotFound(c.status())) break;
      if (!c.ok()) return c.status();
      HELPDESK_RETURN_IF_ERROR(dst_.InsertContact(&*c));
      HELPDESK_RETURN_IF_ERROR(SameId("contact", id, c->id()));
      ++counts_.contacts;
    }
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Group> groups, src_.ListGroups());
    std::sort(groups.begin(), groups.end(),
              [](const v1::Group& a, const v1::Group& b) { return a.id() < b.id(); });
    for (v1::Group& g : groups) {
      const int64_t id = g.id();
      HELPDESK_RETURN_IF_ERROR(dst_.InsertGroup(&g));
      HELPDESK_RETURN_IF_ERROR(SameId("group", id, g.id()));
      ++counts_.groups;
    }
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> agents, src_.ListAgents());
    std::sort(agents.begin(), agents.end(),
              [](const v1::Agent& a, const v1::Agent& b) { return a.id() < b.id(); });
    std::vector<v1::AgentEvent> agent_events;
    for (v1::Agent& a : agents) {
      const int64_t id = a.id();
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::AgentEvent> es, src_.ListAgentEvents(id, 0, 0));
      agent_events.insert(agent_events.end(), es.begin(), es.end());
      HELPDESK_RETURN_IF_ERROR(dst_.InsertAgent(&a));
      HELPDESK_RETURN_IF_ERROR(SameId("agent", id, a.id()));
      ++counts_.agents;
    }
    std::sort(agent_events.begin(), agent_events.end(),
              [](const v1::AgentEvent& a, const v1::AgentEvent& b) { return a.id() < b.id(); });
    for (v1::AgentEvent& e : agent_events) {
      const int64_t id = e.id();
      HELPDESK_RETURN_IF_ERROR(dst_.AppendAgentEvent(&e));
      HELPDESK_RETURN_IF_ERROR(SameId("agent event", id, e.id()));
      ++counts_.agent_events;
    }
    return absl::OkStatus();
  }

  // Tickets keep their ids (InsertTicket takes a given id).
  absl::Status Tickets() {
    TicketQuery all;
    all.include_merged = true;
    all.sort = TicketSort::kIdAsc;
    all.limit = kMaxQueryLimit;
    while (true) {
      HELPDESK_ASSIGN_OR_RETURN(TicketPage p, src_.QueryTickets(all));
      for (v1::Ticket& t : p.tickets) {
        const int64_t id = t.id();
        std::optional<absl::Time> deadline;
        if (t.has_sla_next_deadline()) {
          deadline = absl::FromUnixSeconds(t.sla_next_deadline().seconds()) +
                     absl::Nanoseconds(t.sla_next_deadline().nanos());
        }
        HELPDESK_RETURN_IF_ERROR(dst_.InsertTicket(&t));
        HELPDESK_RETURN_IF_ERROR(SameId("ticket", id, t.id()));
        if (deadline) HELPDESK_RETURN_IF_ERROR(dst_.SetTicketSlaDeadline(id, deadline));
        tickets_.push_back(id);
        max_ticket_ = std::max(max_ticket_, id);
        ++counts_.tickets;
      }
      if (p.next_cursor.empty()) break;
      all.cursor = p.next_cursor;
    }
    return absl::OkStatus();
  }

  // Every message is on a ticket (merges move them); deleted tickets took
  // theirs, and their ids are refilled.
  absl::Status Messages() {
    std::vector<int64_t> ids;
    for (int64_t ticket : tickets_) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> ms, src_.ListMessages(ticket));
      for (const v1::Message& m : ms) ids.push_back(m.id());
    }
    std::sort(ids.begin(), ids.end());
    int64_t next = 1;
    std::set<std::string> contents;
    for (int64_t id : ids) {
      auto filler = [&]() -> absl::StatusOr<int64_t> {
        HELPDESK_ASSIGN_OR_RETURN(int64_t ticket, FillerTicket());
        v1::Message m;
        m.set_ticket_id(ticket);
        HELPDESK_RETURN_IF_ERROR(dst_.InsertMessage(&m));
        return m.id();
      };
      HELPDESK_RETURN_IF_ERROR(FillTo(id, next, filler));
      HELPDESK_ASSIGN_OR_RETURN(v1::Message m, src_.GetMessage(id));
      for (const v1::Attachment& a : m.attachments()) {
        if (!a.sha256().empty()) contents.insert(a.sha256());
      }
      HELPDESK_RETURN_IF_ERROR(dst_.InsertMessage(&m));
      HELPDESK_RETURN_IF_ERROR(SameId("message", id, m.id()));
      next = id + 1;
      ++counts_.messages;
    }
    for (const std::string& sha256 : contents) {
      absl::StatusOr<std::string> content = src_.GetAttachmentContent(sha256);
      if (absl::IsNotFound(content.status())) continue;  // never stored (too large)
      if (!content.ok()) return content.status();
      HELPDESK_RETURN_IF_ERROR(dst_.PutAttachmentContent(sha256, *content));
      ++counts_.attachments;
    }
    return absl::OkStatus();
  }

  absl::Status Events() {
    int64_t next = 1;
    for (int64_t after = 0;;) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> es, src_.ListEventsSince(after, 10000));
      if (es.empty()) break;
      after = es.back().id();
      for (v1::Event& e : es) {
        const int64_t id = e.id();
        auto filler = [&]() -> absl::StatusOr<int64_t> {
          HELPDESK_ASSIGN_OR_RETURN(int64_t ticket, FillerTicket());
          v1::Event f;
          f.set_ticket_id(ticket);
          f.set_kind(v1::Event::TICKET_CREATED);
          *f.mutable_time() = e.time();
          HELPDESK_RETURN_IF_ERROR(dst_.AppendEvent(&f));
          return f.id();
        };
        HELPDESK_RETURN_IF_ERROR(FillTo(id, next, filler));
        HELPDESK_RETURN_IF_ERROR(dst_.AppendEvent(&e));
        HELPDESK_RETURN_IF_ERROR(SameId("event", id, e.id()));
        next = id + 1;
        ++counts_.events;
      }
    }
    return absl::OkStatus();
  }

  // Tracking links and automation state, kept per ticket.
  absl::Status PerTicketState() {
    for (int64_t ticket : tickets_) {
      HELPDESK_ASSIGN_OR_RETURN(std::optional<TrackingTokenRecord> link,
                                OrEmpty(src_.GetTrackingTokenOfTicket(ticket)));
      if (link) {
        HELPDESK_RETURN_IF_ERROR(
            dst_.PutTrackingToken(ticket, link->token_sha256, link->created_at));
        ++counts_.tracking_links;
      }
      HELPDESK_ASSIGN_OR_RETURN(std::optional<absl::Time> due,
                                OrEmpty(src_.GetTicketAutomationDue(ticket)));
      HELPDESK_ASSIGN_OR_RETURN(v1::RuleFirings firings, OrEmpty(src_.GetRuleFirings(ticket)));
      const bool has_firings = firings.ByteSizeLong() > 0;
      if (due) HELPDESK_RETURN_IF_ERROR(dst_.SetTicketAutomationDue(ticket, due));
      if (has_firings) HELPDESK_RETURN_IF_ERROR(dst_.SetRuleFirings(ticket, firings));
      if (due || has_firings) ++counts_.automation_states;
    }
    return absl::OkStatus();
  }

  absl::Status TimeEntries() {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::TimeEntry> entries,
                              OrEmpty(src_.ListTimeEntriesLogged(TimeRange{})));
    std::sort(entries.begin(), entries.end(),
              [](const v1::TimeEntry& a, const v1::TimeEntry& b) { return a.id() < b.id(); });
    int64_t next = 1;
    for (v1::TimeEntry& e : entries) {
      const int64_t id = e.id();
      auto filler = [&]() -> absl::StatusOr<int64_t> {
        HELPDESK_ASSIGN_OR_RETURN(int64_t ticket, FillerTicket());
        v1::TimeEntry f;
        f.set_ticket_id(ticket);
        f.set_agent_id(1);
        HELPDESK_RETURN_IF_ERROR(dst_.InsertTimeEntry(&f));
        return f.id();
      };
      HELPDESK_RETURN_IF_ERROR(FillTo(id, next, filler));
      HELPDESK_RETURN_IF_ERROR(dst_.InsertTimeEntry(&e));
      HELPDESK_RETURN_IF_ERROR(SameId("time entry", id, e.id()));
      next = id + 1;
      ++counts_.time_entries;
    }
    return absl::OkStatus();
  }

  // Deleted views' ids are refilled with placeholder views, deleted again.
  absl::Status Views() {
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::SavedView> views,
                              OrEmpty(src_.ListViews(std::nullopt)));
    std::sort(views.begin(), views.end(),
              [](const v1::SavedView& a, const v1::SavedView& b) { return a.id() < b.id(); });
    int64_t next = 1;
    for (v1::SavedView& v : views) {
      const int64_t id = v.id();
      auto filler = [&]() -> absl::StatusOr<int64_t> {
        v1::SavedView f;
        f.set_name(absl::StrCat("helpdesk copy: placeholder ", next));
        HELPDESK_RETURN_IF_ERROR(dst_.InsertView(&f));
        filler_views_.push_back(f.id());
        return f.id();
      };
      HELPDESK_RETURN_IF_ERROR(FillTo(id, next, filler));
      HELPDESK_RETURN_IF_ERROR(dst_.InsertView(&v));
      HELPDESK_RETURN_IF_ERROR(SameId("view", id, v.id()));
      next = id + 1;
      ++counts_.views;
    }
    return absl::OkStatus();
  }

  absl::Status Kb() {
    for (int64_t after = 0;;) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::KbArticle> page,
                                OrEmpty(src_.ListKbArticles(after, kPage)));
      if (page.empty()) break;
      after = page.back().id();
      for (v1::KbArticle& a : page) {
        const int64_t id = a.id();
        HELPDESK_RETURN_IF_ERROR(dst_.InsertKbArticle(&a));
        HELPDESK_RETURN_IF_ERROR(SameId("knowledge base article", id, a.id()));
        ++counts_.kb_articles;
      }
    }
    for (int64_t after = 0;;) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::KbSuggestionSession> page,
                                OrEmpty(src_.ListKbSuggestionSessions(after, kPage)));
      if (page.empty()) break;
      after = page.back().id();
      for (v1::KbSuggestionSession& s : page) {
        const int64_t id = s.id();
        HELPDESK_RETURN_IF_ERROR(dst_.InsertKbSuggestionSession(&s));
        HELPDESK_RETURN_IF_ERROR(SameId("suggestion session", id, s.id()));
        ++counts_.kb_sessions;
      }
    }
    return absl::OkStatus();
  }

  absl::Status OutboxAndQuarantine() {
    for (int64_t after = 0;;) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::OutboxEntry> es,
                                src_.ListOutbox(std::nullopt, after, 10000));
      if (es.empty()) break;
      after = es.back().id();
      for (v1::OutboxEntry& e : es) {
        const int64_t id = e.id();
        HELPDESK_RETURN_IF_ERROR(dst_.InsertOutbox(&e));
        HELPDESK_RETURN_IF_ERROR(SameId("outbox entry", id, e.id()));
        ++counts_.outbox;
      }
    }
    for (int64_t after = 0;;) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::QuarantineEntry> es,
                                src_.ListQuarantine(std::nullopt, after, 10000));
      if (es.empty()) break;
      after = es.back().id();
      for (v1::QuarantineEntry& e : es) {
        const int64_t id = e.id();
        HELPDESK_RETURN_IF_ERROR(dst_.InsertQuarantine(&e));
        HELPDESK_RETURN_IF_ERROR(SameId("quarantine entry", id, e.id()));
        ++counts_.quarantine;
      }
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFillers() {
    for (int64_t id : filler_views_) HELPDESK_RETURN_IF_ERROR(dst_.DeleteView(id));
    if (filler_ticket_ != 0) HELPDESK_RETURN_IF_ERROR(dst_.DeleteTicket(filler_ticket_));
    return absl::OkStatus();
  }

  Transaction& src_;
  Transaction& dst_;
  StoreCopyCounts counts_;
  std::vector<int64_t> tickets_;
  int64_t max_ticket_ = 0;
  int64_t filler_ticket_ = 0;
  std::vector<int64_t> filler_views_;
};

}  // namespace

std::string StoreCopyCounts::Summary() const {
  return absl::StrCat(
      "copied ", tickets, " tickets, ", messages, " messages, ", events, " events, ", contacts,
      " contacts, ", organizations, " organizations, ", agents, " agents (", agent_events,
      " agent events), ", groups, " groups, ", attachments, " attachment contents, ",
      tracking_links, " tracking links, ", automation_states, " automation states, ",
      time_entries, " time entries, ", views, " views, ", kb_articles, " articles, ",
      kb_sessions, " suggestion sessions, ", outbox, " outbox and ", quarantine,
      " quarantine entries");
}

absl::StatusOr<StoreCopyCounts> CopyStore(Store& from, Store& to,
                                          const StoreCopyOptions& options) {
  if (&from == &to) {
    return absl::InvalidArgumentError("copy: the source and the target are the same store");
  }
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> src,
                            from.Begin(TransactionMode::kReadOnly));
  HELPDESK_ASSIGN_OR_RETURN(
      std::unique_ptr<Transaction> dst,
      to.Begin(TransactionOptions{.mode = TransactionMode::kReadWrite, .durable = true}));
  if (!options.allow_non_empty) {
    HELPDESK_ASSIGN_OR_RETURN(bool empty, IsEmpty(*dst));
    if (!empty) {
      return absl::FailedPreconditionError(absl::StrCat(
          "copy: the target store '", to.Name(),
          "' is not empty (it holds tickets, people, events, views, articles or entries);"
          " copy into a new store"));
    }
  }
  Copier copier(*src, *dst);
  HELPDESK_RETURN_IF_ERROR(copier.Run());
  if (options.extra) HELPDESK_RETURN_IF_ERROR(options.extra(*dst));
  HELPDESK_RETURN_IF_ERROR(dst->Commit());
  return copier.counts();
}

}  // namespace helpdesk
