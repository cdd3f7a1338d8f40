// Tickets (list, create, view, update, reply, note, audit log, SLA), routing
// (accept, decline, next, state), agents, presence and groups.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "helpdesk/names.h"
#include "helpdesk/sla.h"
#include "helpdesk/timestamp.h"
#include "serve_api.pb.h"
#include "server_internal.h"

namespace helpdesk::serve {
namespace {

absl::StatusOr<int64_t> IntParam(const httplib::Request& req, const std::string& name) {
  int64_t v = 0;
  std::string s = req.get_param_value(name);
  if (!absl::SimpleAtoi(s, &v) || v < 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": '", s, "' is not a number"));
  }
  return v;
}

void FillSla(const SlaStatus& s, api::SlaView* out) {
  out->set_policy(s.policy);
  if (s.next_deadline) *out->mutable_next_deadline() = ToTimestamp(*s.next_deadline);
  for (const SlaMetricStatus& m : s.metrics) {
    api::SlaMetric* o = out->add_metrics();
    o->set_metric(SlaMetricName(m.metric));
    o->set_state(SlaStateName(m.state));
    if (m.due_at) *o->mutable_due_at() = ToTimestamp(*m.due_at);
    if (m.warn_at) *o->mutable_warn_at() = ToTimestamp(*m.warn_at);
    o->set_seconds_left(absl::ToInt64Seconds(m.left));
    o->set_business_hours(m.business_hours);
  }
}

absl::StatusOr<v1::Priority> PriorityOf(v1::Priority p) {
  if (!v1::Priority_IsValid(p)) {
    return absl::InvalidArgumentError(absl::StrCat("priority: ", p, " is not a priority"));
  }
  return p == v1::PRIORITY_UNSPECIFIED ? v1::PRIORITY_NORMAL : p;
}

}  // namespace

absl::StatusOr<ApiServer::Reply> ApiServer::ListTickets(Call& c) {
  TicketQuery q;
  const httplib::Request& r = c.req;
  for (const auto& [k, v] : r.params) {
    static const char* const kKnown[] = {"status", "assignee", "group", "sort", "q",
                                         "limit",  "cursor",   "requester", "tag"};
    bool known = false;
    for (const char* n : kKnown) known = known || k == n;
    if (!known) return absl::InvalidArgumentError(absl::StrCat("query: unknown parameter '", k, "'"));
  }
  if (r.has_param("status")) {
    q.statuses = absl::StrSplit(r.get_param_value("status"), ',', absl::SkipEmpty());
  }
  if (r.has_param("assignee")) {
    std::string a = r.get_param_value("assignee");
    if (a == "me") {
      q.assignee_id = c.who().kind() == v1::Actor::AGENT ? c.who().id() : -1;
    } else if (a == "none") {
      q.assignee_id = 0;
    } else {
      HELPDESK_ASSIGN_OR_RETURN(int64_t id, IntParam(r, "assignee"));
      q.assignee_id = id;
    }
  }
  if (r.has_param("group")) {
    HELPDESK_ASSIGN_OR_RETURN(int64_t g, IntParam(r, "group"));
    q.group_id = g;
  }
  if (r.has_param("requester")) {
    HELPDESK_ASSIGN_OR_RETURN(int64_t id, IntParam(r, "requester"));
    q.requester_id = id;
  }
  if (r.has_param("tag")) q.tags = {r.get_param_value("tag")};
  if (r.has_param("q")) q.subject_contains = r.get_param_value("q");
  if (r.has_param("limit")) {
    HELPDESK_ASSIGN_OR_RETURN(int64_t l, IntParam(r, "limit"));
    if (l < 1 || l > kMaxQueryLimit) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit: ", l, " is not in [1, ", kMaxQueryLimit, "]"));
    }
    q.limit = static_cast<int>(l);
  }
  q.cursor = r.get_param_value("cursor");
  const std::string sort = r.has_param("sort") ? r.get_param_value("sort") : "queue";
  if (sort == "queue") {
    q.sort = TicketSort::kPriorityThenOldest;
  } else if (sort == "created") {
    q.sort = TicketSort::kCreatedDesc;
  } else if (sort == "updated") {
    q.sort = TicketSort::kUpdatedDesc;
  } else if (sort == "sla") {
    q.sort = TicketSort::kSlaDeadlineAsc;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "sort: '", sort, "' is not one of queue, created, updated, sla"));
  }
  HELPDESK_ASSIGN_OR_RETURN(helpdesk::TicketPage page,
                            options_.desk->tickets().Query(c.who(), std::move(q)));
  api::TicketList out;
  for (v1::Ticket& t : page.tickets) *out.add_tickets() = std::move(t);
  out.set_next_cursor(page.next_cursor);
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::CreateTicket(Call& c) {
  api::CreateTicketRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  NewTicket t;
  t.subject = in.subject();
  t.description = in.description();
  HELPDESK_ASSIGN_OR_RETURN(t.priority, PriorityOf(in.priority()));
  t.requester_id = in.requester_id();
  t.requester_email = in.requester_email();
  t.requester_name = in.requester_name();
  t.tags.assign(in.tags().begin(), in.tags().end());
  t.group_id = in.group_id();
  t.assignee_id = in.assignee_id();
  t.status = in.status();
  t.channel = v1::CHANNEL_API;
  if (c.who().kind() == v1::Actor::AGENT && in.requester_id() == 0 &&
      in.requester_email().empty()) {
    return absl::InvalidArgumentError("requesterId: an agent names the requester "
                                      "(requesterId or requesterEmail)");
  }
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket created, options_.desk->tickets().Create(c.who(), t));
  return JsonReply(created, 201);
}

absl::StatusOr<ApiServer::Reply> ApiServer::GetTicket(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(TicketView view, options_.desk->tickets().View(c.who(), c.id));
  api::TicketPage out;
  *out.mutable_ticket() = std::move(view.ticket);
  for (v1::Message& m : view.messages) *out.add_messages() = std::move(m);
  if (view.sla) FillSla(*view.sla, out.mutable_sla());
  if (c.who().kind() != v1::Actor::CONTACT) {
    absl::StatusOr<v1::Event> why = options_.desk->routing().LastDecision(c.who(), c.id);
    if (why.ok()) *out.mutable_routing_decision() = *std::move(why);
  }
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::UpdateTicket(Call& c) {
  api::UpdateTicketRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  TicketUpdate u;
  if (in.has_subject()) u.subject = in.subject();
  if (in.has_status()) u.status = in.status();
  if (in.has_priority()) {
    if (in.priority() == v1::PRIORITY_UNSPECIFIED) {
      return absl::InvalidArgumentError("priority: PRIORITY_UNSPECIFIED is not a priority");
    }
    HELPDESK_ASSIGN_OR_RETURN(v1::Priority p, PriorityOf(in.priority()));
    u.priority = p;
  }
  if (in.has_assignee_id()) u.assignee_id = in.assignee_id();
  if (in.has_group_id()) u.group_id = in.group_id();
  u.add_tags.assign(in.add_tags().begin(), in.add_tags().end());
  u.remove_tags.assign(in.remove_tags().begin(), in.remove_tags().end());
  if (in.has_expected_version()) u.expected_version = in.expected_version();
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, options_.desk->tickets().Update(c.who(), c.id, u));
  return JsonReply(t);
}

namespace {
absl::StatusOr<MessageDraft> DraftOf(const std::string& body, v1::Message::Kind kind) {
  api::AddMessageRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(body, &in));
  MessageDraft d;
  d.kind = kind;
  d.body_text = in.body_text();
  d.body_html = in.body_html();
  d.channel = v1::CHANNEL_API;
  if (in.has_expected_version()) d.expected_version = in.expected_version();
  return d;
}
}  // namespace

absl::StatusOr<ApiServer::Reply> ApiServer::AddReply(Call& c) {
  const v1::Message::Kind kind = c.who().kind() == v1::Actor::CONTACT
                                     ? v1::Message::CUSTOMER_MESSAGE
                                     : v1::Message::PUBLIC_REPLY;
  HELPDESK_ASSIGN_OR_RETURN(MessageDraft d, DraftOf(c.req.body, kind));
  HELPDESK_ASSIGN_OR_RETURN(v1::Message m,
                            options_.desk->tickets().AddMessage(c.who(), c.id, d));
  return JsonReply(m, 201);
}

absl::StatusOr<ApiServer::Reply> ApiServer::AddNote(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(MessageDraft d, DraftOf(c.req.body, v1::Message::INTERNAL_NOTE));
  HELPDESK_ASSIGN_OR_RETURN(v1::Message m,
                            options_.desk->tickets().AddMessage(c.who(), c.id, d));
  return JsonReply(m, 201);
}

absl::StatusOr<ApiServer::Reply> ApiServer::TicketEvents(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                            options_.desk->tickets().AuditLog(c.who(), c.id));
  api::EventList out;
  for (v1::Event& e : events) *out.add_events() = std::move(e);
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::TicketSla(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(SlaStatus s, options_.desk->sla().Status(c.who(), c.id));
  api::SlaView out;
  FillSla(s, &out);
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::Accept(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, options_.desk->routing().Accept(c.who(), c.id));
  return JsonReply(t);
}

absl::StatusOr<ApiServer::Reply> ApiServer::Decline(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, options_.desk->routing().Decline(c.who(), c.id));
  return JsonReply(t);
}

absl::StatusOr<ApiServer::Reply> ApiServer::NextTicket(Call& c) {
  api::NextTicketRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  int64_t agent = in.agent_id();
  if (agent == 0) {
    if (c.who().kind() != v1::Actor::AGENT) {
      return absl::InvalidArgumentError("agentId: required unless an agent pulls for themself");
    }
    agent = c.who().id();
  }
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t,
                            options_.desk->routing().NextTicketFor(c.who(), agent));
  return JsonReply(t);
}

absl::StatusOr<ApiServer::Reply> ApiServer::RoutingStateOf(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(RoutingSnapshot s, options_.desk->routing().State(c.who()));
  api::RoutingState out;
  out.set_policy(s.policy);
  for (const auto& [id, since] : s.queued) {
    api::RoutingState::Queued* q = out.add_queued();
    q->set_ticket_id(id);
    *q->mutable_since() = ToTimestamp(since);
  }
  out.set_assigned(s.assigned);
  if (s.next_wakeup != absl::InfiniteFuture()) {
    *out.mutable_next_wakeup() = ToTimestamp(s.next_wakeup);
  }
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::ListAgents(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> agents,
                            options_.desk->people().ListAgents(c.who()));
  api::AgentList out;
  for (v1::Agent& a : agents) *out.add_agents() = std::move(a);
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::SetPresence(Call& c) {
  api::PresenceRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  HELPDESK_ASSIGN_OR_RETURN(v1::Agent a,
                            options_.desk->people().SetAgentPresence(c.who(), c.id,
                                                                     in.presence()));
  return JsonReply(a);
}

absl::StatusOr<ApiServer::Reply> ApiServer::ListGroups(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Group> groups,
                            options_.desk->people().ListGroups(c.who()));
  api::GroupList out;
  for (v1::Group& g : groups) *out.add_groups() = std::move(g);
  return JsonReply(out);
}

}  // namespace helpdesk::serve
