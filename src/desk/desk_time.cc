// Time tracking: Tickets::LogTime, TimeEntries and TimeSummary (issue 16).
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "desk/desk_impl.h"

namespace helpdesk {
namespace {

constexpr int kMaxMinutes = 7 * 24 * 60;
constexpr size_t kMaxActivityBytes = 100;

}  // namespace

absl::StatusOr<v1::TimeEntry> Tickets::LogTime(const v1::Actor& actor, int64_t ticket_id,
                                               const TimeLog& log) {
  if (log.minutes < 1 || log.minutes > kMaxMinutes) {
    return absl::InvalidArgumentError(absl::StrCat("minutes ", log.minutes,
                                                   " is out of range [1, ", kMaxMinutes, "]"));
  }
  HELPDESK_RETURN_IF_ERROR(CheckText("activity", log.activity, kMaxActivityBytes));
  HELPDESK_RETURN_IF_ERROR(
      CheckText("note", log.note, impl_->options().limits.max_body_bytes));
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::TimeEntry> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(
            v1::Ticket t, DeskCore::LoadTicket(tx, a, ticket_id, Action::kAddInternalNote));
        int64_t agent = log.agent_id;
        if (agent == 0) {
          if (!a.IsAgent()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "agent_id: ", a.Describe(), " is not an agent; name the agent"));
          }
          agent = a.actor.id();
        } else if (!(a.IsAgent() && agent == a.actor.id())) {
          if (a.kind != Viewer::Kind::kSystem && a.kind != Viewer::Kind::kIntegration &&
              a.kind != Viewer::Kind::kAdmin) {
            return absl::PermissionDeniedError(absl::StrCat(
                a.Describe(), " may not log time for agent ", agent));
          }
        }
        HELPDESK_RETURN_IF_ERROR(DeskCore::CheckAgentUsable(tx, "agent_id", agent));
        v1::TimeEntry e;
        e.set_ticket_id(t.id());
        e.set_agent_id(agent);
        e.set_minutes(log.minutes);
        e.set_activity(log.activity);
        e.set_note(log.note);
        *e.mutable_logged_at() = ToTimestamp(impl_->Now());
        e.set_group_id(t.group_id());
        e.set_organization_id(t.organization_id());
        HELPDESK_RETURN_IF_ERROR(tx.InsertTimeEntry(&e));
        return e;
      });
}

absl::StatusOr<std::vector<v1::TimeEntry>> Tickets::TimeEntries(const v1::Actor& viewer,
                                                                int64_t ticket_id) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::TimeEntry>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(
            DeskCore::LoadTicket(tx, a, ticket_id, Action::kViewInternalNotes).status());
        return tx.ListTimeEntries(ticket_id);
      });
}

absl::StatusOr<std::vector<TimeTotal>> Tickets::TimeSummary(const v1::Actor& viewer,
                                                            const TimeRange& period,
                                                            TimeGrouping grouping) {
  if (period.to < period.from) {
    return absl::InvalidArgumentError(
        absl::StrCat("period: ends (", absl::FormatTime(period.to), ") before it starts (",
                     absl::FormatTime(period.from), ")"));
  }
  if (grouping != TimeGrouping::kAgent && grouping != TimeGrouping::kGroup &&
      grouping != TimeGrouping::kOrganization) {
    return absl::InvalidArgumentError(
        absl::StrCat("grouping ", static_cast<int>(grouping), " is not a grouping"));
  }
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<std::vector<TimeTotal>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kViewReports));
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::TimeEntry> entries,
                                  tx.ListTimeEntriesLogged(period));
        std::map<int64_t, TimeTotal> totals;
        std::map<int64_t, std::set<int64_t>> tickets;
        for (const v1::TimeEntry& e : entries) {
          int64_t key = grouping == TimeGrouping::kAgent   ? e.agent_id()
                        : grouping == TimeGrouping::kGroup ? e.group_id()
                                                           : e.organization_id();
          TimeTotal& t = totals[key];
          t.key = key;
          t.minutes += e.minutes();
          ++t.entries;
          tickets[key].insert(e.ticket_id());
        }
        std::vector<TimeTotal> out;
        for (auto& [key, t] : totals) {
          t.tickets = static_cast<int64_t>(tickets[key].size());
          out.push_back(t);
        }
        return out;
      });
}

}  // namespace helpdesk
