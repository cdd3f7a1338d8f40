// Reports through the Desk: reads the tickets a period's report needs and
// hands their logs to the pure report component (helpdesk/reports.h).
//
// The tickets a period's report reads are those with an event stamped at or
// after its start, and those open now (unchanged since, so open throughout),
// each with its whole log in log order (times stepping back read as the
// event before's, as SlaEvents reads them) and its current state.
//
// With the store's encoded read (Transaction::VisitEncodedEventsBetween) the
// log is scanned once, in id order, from the first event stamped at or after
// the period's start (every event of a ticket created from then on comes
// after it, whatever its stamp), into a ReportReader on the config's
// threads. A ticket whose first event in the scan is its creation, stamped
// in the period, has its whole log in the scan ("new"). Any other ticket
// with an event stamped in the period, or open now, is "old": its events in
// the scan are skipped and its whole log is read apart (ListTicketEvents),
// into the same accumulator. The new tickets' current states are their
// stored bytes (Transaction::VisitEncodedTickets over the new tickets' id
// range: one primary-key range read), decoded on the reader's threads as
// the events are. The open tickets are found by the workflow's open status
// names (QueryTickets by status, which the SQL stores answer from their
// status index: the open tickets, not every ticket); the old ones among them
// come with their state, the other old ones read theirs with GetTicket.
// Stores without the encoded event read take every ticket one by one
// (ComputeByTicket); stores without a native ticket read get the port's
// default (a GetTicket per id of the range).
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "absl/container/btree_map.h"
#include "desk/desk_impl.h"
#include "helpdesk/desk/reports.h"
#include "helpdesk/reports.h"

namespace helpdesk {

namespace {

constexpr int kEventsPage = 10000;
constexpr int kTicketsPage = 10000;

// Where each ticket seen stands while the log is scanned: ids a store
// counts from 1 in a dense vector, others (far beyond, or not positive) in
// a map.
class TicketStates {
 public:
  enum State : uint8_t {
    kUnseen = 0,
    kNew,       // its whole log is in the scan
    kOutside,   // seen, not new, no event in the period seen yet
    kOld,       // its log is read apart
  };

  State Get(int64_t id) const {
    if (id > 0 && id < static_cast<int64_t>(dense_.size())) return dense_[id];
    if (id > 0 && id < kDenseLimit) return kUnseen;
    auto it = sparse_.find(id);
    return it == sparse_.end() ? kUnseen : it->second;
  }
  void Set(int64_t id, State state) {
    if (id > 0 && id < kDenseLimit) {
      if (id >= static_cast<int64_t>(dense_.size())) {
        dense_.resize(std::max<size_t>(static_cast<size_t>(id) + 1, dense_.size() * 2),
                      kUnseen);
      }
      dense_[id] = state;
      return;
    }
    sparse_[id] = state;
  }
  // Calls f(id, state) for every ticket seen, in id order.
  template <typename F>
  absl::Status ForEach(F f) const {
    for (const auto& [id, state] : sparse_) {
      if (id > 0) break;
      HELPDESK_RETURN_IF_ERROR(f(id, state));
    }
    for (size_t id = 1; id < dense_.size(); ++id) {
      if (dense_[id] != kUnseen) HELPDESK_RETURN_IF_ERROR(f(static_cast<int64_t>(id), dense_[id]));
    }
    for (const auto& [id, state] : sparse_) {
      if (id > 0) HELPDESK_RETURN_IF_ERROR(f(id, state));
    }
    return absl::OkStatus();
  }

 private:
  static constexpr int64_t kDenseLimit = int64_t{1} << 26;
  std::vector<State> dense_;
  absl::btree_map<int64_t, State> sparse_;
};

bool IsOpenCategory(v1::StatusCategory c) {
  return c == v1::STATUS_CATEGORY_NEW || c == v1::STATUS_CATEGORY_OPEN ||
         c == v1::STATUS_CATEGORY_PENDING || c == v1::STATUS_CATEGORY_ON_HOLD;
}

// Calls f(ticket) for each ticket open now created before `to`, page by
// page: by its stored status category, or, given `workflow`, by the
// workflow's status names of the open categories (the same tickets while
// the workflow is the one that wrote them; the SQL stores index status
// names, not categories).
template <typename F>
absl::Status ForEachOpenTicket(Transaction& tx, absl::Time to, const Workflow* workflow, F f) {
  TicketQuery open;
  if (workflow == nullptr) {
    open.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                              v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD};
  } else {
    for (const std::string& name : workflow->StatusNames()) {
      absl::StatusOr<v1::StatusCategory> c = workflow->CategoryOf("status", name);
      if (c.ok() && IsOpenCategory(*c)) open.statuses.push_back(name);
    }
    if (open.statuses.empty()) return absl::OkStatus();  // none is open
  }
  open.created.to = to;
  open.limit = kMaxQueryLimit;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx.QueryTickets(open));
    for (v1::Ticket& t : page.tickets) HELPDESK_RETURN_IF_ERROR(f(t));
    if (page.next_cursor.empty()) return absl::OkStatus();
    open.cursor = page.next_cursor;
  }
}

// Takes ticket `id`'s current state read now (a deleted ticket has none).
absl::Status AddStoredTicket(Transaction& tx, int64_t id, ReportAccumulator& acc) {
  absl::StatusOr<v1::Ticket> t = tx.GetTicket(id);
  if (t.ok()) {
    acc.AddTicket(*t);
  } else if (!absl::IsNotFound(t.status())) {
    return t.status();
  }
  return absl::OkStatus();
}

// Takes ticket `id`'s whole log (as SlaEvents reads it) and, unless
// `current` is given, its current state read now.
absl::Status AddWholeTicket(Transaction& tx, int64_t id, const v1::Ticket* current,
                            ReportAccumulator& acc) {
  absl::Time now = absl::InfiniteFuture();
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events, DeskCore::SlaEvents(tx, id, &now));
  for (const v1::Event& e : events) HELPDESK_RETURN_IF_ERROR(acc.Add(e));
  if (current == nullptr) return AddStoredTicket(tx, id, acc);
  acc.AddTicket(*current);
  return absl::OkStatus();
}

// The report reading each ticket apart: its log (ListTicketEvents) and its
// state (GetTicket). For stores without VisitEncodedEventsBetween.
absl::StatusOr<Report> ComputeByTicket(Transaction& tx, const ReportSpec& spec,
                                       const ReportConfig& config) {
  HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator acc, ReportAccumulator::Create(config));
  std::set<int64_t> tickets;
  bool visit = true;
  for (int64_t after = 0;;) {
    if (visit) {
      absl::StatusOr<int> n = tx.VisitEventsBetween(
          spec.from, absl::InfiniteFuture(), after, kEventsPage, [&](const v1::Event& e) {
            tickets.insert(e.ticket_id());
            after = e.id();
            return absl::OkStatus();
          });
      if (absl::IsUnimplemented(n.status())) {
        visit = false;
        continue;
      }
      HELPDESK_RETURN_IF_ERROR(n.status());
      if (*n < kEventsPage) break;
      continue;
    }
    HELPDESK_ASSIGN_OR_RETURN(
        std::vector<v1::Event> page,
        tx.ListEventsBetween(spec.from, absl::InfiniteFuture(), after, kEventsPage));
    for (const v1::Event& e : page) tickets.insert(e.ticket_id());
    if (static_cast<int>(page.size()) < kEventsPage) break;
    after = page.back().id();
  }
  HELPDESK_RETURN_IF_ERROR(ForEachOpenTicket(tx, spec.to, nullptr, [&](const v1::Ticket& t) {
    tickets.insert(t.id());
    return absl::OkStatus();
  }));
  for (int64_t id : tickets) HELPDESK_RETURN_IF_ERROR(AddWholeTicket(tx, id, nullptr, acc));
  return acc.Compute(spec);
}

// The report from one scan of the log (see the top of the file); nullopt
// when the store has no encoded read.
absl::StatusOr<std::optional<Report>> ComputeByScan(Transaction& tx, const ReportSpec& spec,
                                                    const ReportConfig& config) {
  // The first event stamped in the period (or after).
  std::optional<int64_t> first;
  absl::StatusOr<int> n = tx.VisitEncodedEventsBetween(
      spec.from, absl::InfiniteFuture(), 0, 1, [&](int64_t id, int64_t, absl::string_view) {
        first = id;
        return absl::OkStatus();
      });
  if (absl::IsUnimplemented(n.status())) return std::optional<Report>();
  HELPDESK_RETURN_IF_ERROR(n.status());
  HELPDESK_ASSIGN_OR_RETURN(ReportReader reader, ReportReader::Create(config));
  TicketStates states;
  // The new tickets' ids lie in [first_new, last_new].
  int64_t first_new = std::numeric_limits<int64_t>::max(), last_new = 0;
  const int64_t from = absl::ToUnixMicros(spec.from);
  // Every stamp: a ticket created in the period may have later events
  // stamped before it (a clock that stepped back).
  const absl::Time any = absl::FromUnixMicros(std::numeric_limits<int64_t>::min());
  for (int64_t after = first.value_or(1) - 1; first.has_value();) {
    HELPDESK_ASSIGN_OR_RETURN(
        int read,
        tx.VisitEncodedEventsBetween(
            any, absl::InfiniteFuture(), after, kEventsPage,
            [&](int64_t id, int64_t ticket, absl::string_view bytes) -> absl::Status {
              after = id;
              const TicketStates::State state = states.Get(ticket);
              if (state == TicketStates::kNew) return reader.AddEncoded(id, ticket, bytes);
              if (state == TicketStates::kOld) return absl::OkStatus();
              v1::Event::Kind kind = v1::Event::KIND_UNSPECIFIED;
              int64_t micros = 0;
              // Bytes the peek does not read: the ticket is read apart.
              const bool peeked = PeekEncodedEvent(bytes, &kind, &micros);
              const bool in_period = !peeked || micros >= from;
              if (state == TicketStates::kUnseen && ticket > 0 && peeked &&
                  kind == v1::Event::TICKET_CREATED && in_period) {
                states.Set(ticket, TicketStates::kNew);
                first_new = std::min(first_new, ticket);
                last_new = std::max(last_new, ticket);
                return reader.AddEncoded(id, ticket, bytes);
              }
              states.Set(ticket, in_period ? TicketStates::kOld : TicketStates::kOutside);
              return absl::OkStatus();
            }));
    if (read < kEventsPage) break;
  }
  // The new tickets' current states, as stored, to the reader's threads
  // (a deleted ticket has none; other tickets in the range are skipped).
  for (int64_t after = first_new - 1; last_new > 0;) {
    HELPDESK_ASSIGN_OR_RETURN(
        int read, tx.VisitEncodedTickets(after, last_new, kTicketsPage,
                                         [&](int64_t id, absl::string_view bytes) {
                                           after = id;
                                           if (states.Get(id) != TicketStates::kNew) {
                                             return absl::OkStatus();
                                           }
                                           return reader.AddEncodedTicket(id, bytes);
                                         }));
    if (read < kTicketsPage) break;
  }
  HELPDESK_ASSIGN_OR_RETURN(ReportAccumulator acc, std::move(reader).Finish());
  // The open tickets not new are old (their logs read apart), with their
  // current states.
  std::map<int64_t, v1::Ticket> open_old;
  HELPDESK_RETURN_IF_ERROR(ForEachOpenTicket(tx, spec.to, &config.workflow, [&](v1::Ticket& t) {
    if (states.Get(t.id()) != TicketStates::kNew) {
      states.Set(t.id(), TicketStates::kOld);
      open_old.emplace(t.id(), std::move(t));
    }
    return absl::OkStatus();
  }));
  HELPDESK_RETURN_IF_ERROR(states.ForEach([&](int64_t id, TicketStates::State state) {
    if (state != TicketStates::kOld) return absl::OkStatus();
    auto it = open_old.find(id);
    return AddWholeTicket(tx, id, it == open_old.end() ? nullptr : &it->second, acc);
  }));
  HELPDESK_ASSIGN_OR_RETURN(Report report, acc.Compute(spec));
  return std::optional<Report>(std::move(report));
}

}  // namespace

absl::StatusOr<Report> Reports::Compute(const v1::Actor& viewer, const ReportSpec& spec,
                                        const ReportCalendars& calendars) {
  ReportConfig config;
  config.workflow = impl_->options().workflow;
  config.sla = impl_->options().sla;
  config.calendar = calendars.calendar;
  config.group_calendars = calendars.group_calendars;
  // A ticket's events are read as SlaEvents reads them.
  config.clamp_backward_times = true;
  return impl_->Run(TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<Report> {
    HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kViewReports));
    HELPDESK_RETURN_IF_ERROR(ValidateReportSpec(spec, config));
    HELPDESK_ASSIGN_OR_RETURN(std::optional<Report> scanned, ComputeByScan(tx, spec, config));
    if (scanned.has_value()) return *std::move(scanned);
    return ComputeByTicket(tx, spec, config);
  });
}

}  // namespace helpdesk
