// helpdesk create, reply, note, comment, update, merge, list, show, log.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "flags.h"
#include "print.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

absl::Status CmdCreate(Desk& desk, const Args& a) {
  absl::StatusOr<std::string> requester = Required(a, "requester");
  if (!requester.ok()) return requester.status();
  absl::StatusOr<std::string> subject = Required(a, "subject");
  if (!subject.ok()) return subject.status();
  // The requester and CCs are named by address and created, when new, in
  // the ticket's own transaction: a refused ticket leaves nobody behind.
  NewTicket t;
  t.subject = *subject;
  t.requester_email = *requester;
  t.description = a.Get("body").value_or("");
  if (std::optional<std::string> p = a.Get("priority")) {
    absl::StatusOr<v1::Priority> priority = ParsePriority(*p, "--priority");
    if (!priority.ok()) return priority.status();
    t.priority = *priority;
  }
  if (std::optional<std::string> ty = a.Get("type")) {
    absl::StatusOr<v1::TicketType> type = ParseTicketType(*ty, "--type");
    if (!type.ok()) return type.status();
    t.type = *type;
  }
  if (std::optional<std::string> g = a.Get("group")) {
    absl::StatusOr<int64_t> id = GroupByName(desk, *g);
    if (!id.ok()) return id.status();
    t.group_id = *id;
  }
  if (std::optional<std::string> as = a.Get("assignee")) {
    absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *as);
    if (!agent.ok()) return agent.status();
    t.assignee_id = agent->id();
  }
  t.tags = a.All("tag");
  t.cc_emails = a.All("cc");
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  absl::StatusOr<v1::Ticket> made = desk.tickets().Create(*actor, t);
  if (!made.ok()) return made.status();
  std::cout << "created ticket #" << made->id() << " (version " << made->version()
            << ")\n";
  return absl::OkStatus();
}

absl::Status CmdMessage(Desk& desk, const Args& a, v1::Message::Kind kind) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> body = Required(a, "body");
  if (!body.ok()) return body.status();
  absl::StatusOr<std::optional<int64_t>> version = VersionArg(a);
  if (!version.ok()) return version.status();
  v1::Actor actor;
  if (kind == v1::Message::CUSTOMER_MESSAGE) {
    absl::StatusOr<std::string> email = Required(a, "requester");
    if (!email.ok()) return email.status();
    absl::StatusOr<v1::Contact> c = desk.people().FindContactByEmail(SystemActor(), *email);
    if (!c.ok()) return c.status();
    actor = ContactActor(c->id());
  } else {
    absl::StatusOr<std::string> email = Required(a, "agent");
    if (!email.ok()) return email.status();
    absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *email);
    if (!agent.ok()) return agent.status();
    actor = AgentActor(agent->id());
  }
  absl::StatusOr<v1::Message> m = desk.tickets().AddMessage(
      actor, *id,
      {.kind = kind, .body_text = *body, .channel = v1::CHANNEL_AGENT,
       .expected_version = *version});
  if (!m.ok()) return m.status();
  std::cout << "added message " << m->id() << " to ticket #" << *id << "\n";
  return absl::OkStatus();
}

absl::Status CmdUpdate(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  TicketUpdate u;
  absl::StatusOr<std::optional<int64_t>> version = VersionArg(a);
  if (!version.ok()) return version.status();
  u.expected_version = *version;
  if (std::optional<std::string> s = a.Get("status")) u.status = *s;
  if (std::optional<std::string> s = a.Get("subject")) u.subject = *s;
  if (std::optional<std::string> p = a.Get("priority")) {
    absl::StatusOr<v1::Priority> priority = ParsePriority(*p, "--priority");
    if (!priority.ok()) return priority.status();
    u.priority = *priority;
  }
  if (std::optional<std::string> ty = a.Get("type")) {
    absl::StatusOr<v1::TicketType> type = ParseTicketType(*ty, "--type");
    if (!type.ok()) return type.status();
    u.type = *type;
  }
  if (std::optional<std::string> as = a.Get("assignee")) {
    if (*as == "none") {
      u.assignee_id = 0;
    } else {
      absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *as);
      if (!agent.ok()) return agent.status();
      u.assignee_id = agent->id();
    }
  }
  if (std::optional<std::string> g = a.Get("group")) {
    if (*g == "none") {
      u.group_id = 0;
    } else {
      absl::StatusOr<int64_t> gid = GroupByName(desk, *g);
      if (!gid.ok()) return gid.status();
      u.group_id = *gid;
    }
  }
  u.add_tags = a.All("add-tag");
  u.remove_tags = a.All("remove-tag");
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  absl::StatusOr<v1::Ticket> t = desk.tickets().Update(*actor, *id, u);
  if (!t.ok()) return t.status();
  std::cout << "ticket #" << t->id() << " is at version " << t->version() << "\n";
  return absl::OkStatus();
}

absl::Status CmdMerge(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> source = TicketArg(a, 1, "SOURCE");
  if (!source.ok()) return source.status();
  absl::StatusOr<int64_t> target = TicketArg(a, 2, "TARGET");
  if (!target.ok()) return target.status();
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  absl::StatusOr<v1::Ticket> t = desk.tickets().Merge(*actor, *source, *target);
  if (!t.ok()) return t.status();
  std::cout << "merged #" << *source << " into #" << *target << "\n";
  return absl::OkStatus();
}

absl::Status CmdList(Desk& desk, const Args& a) {
  TicketQuery q;
  q.statuses = a.All("status");
  if (q.statuses.empty() && !a.Has("all")) {
    q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN,
                           v1::STATUS_CATEGORY_PENDING, v1::STATUS_CATEGORY_ON_HOLD};
  }
  q.tags = a.All("tag");
  if (std::optional<std::string> g = a.Get("group")) {
    if (*g == "none") {
      q.group_id = 0;
    } else {
      absl::StatusOr<int64_t> id = GroupByName(desk, *g);
      if (!id.ok()) return id.status();
      q.group_id = *id;
    }
  }
  if (std::optional<std::string> as = a.Get("assignee")) {
    if (*as == "none") {
      q.assignee_id = 0;
    } else {
      absl::StatusOr<v1::Agent> agent = AgentByEmail(desk, *as);
      if (!agent.ok()) return agent.status();
      q.assignee_id = agent->id();
    }
  }
  if (std::optional<std::string> r = a.Get("requester")) {
    absl::StatusOr<v1::Contact> c = desk.people().FindContactByEmail(SystemActor(), *r);
    if (!c.ok()) return c.status();
    q.requester_id = c->id();
  }
  q.subject_contains = a.Get("search").value_or("");
  std::string sort = a.Get("sort").value_or("queue");
  if (sort == "queue") {
    q.sort = TicketSort::kPriorityThenOldest;
  } else if (sort == "created") {
    q.sort = TicketSort::kCreatedDesc;
  } else if (sort == "updated") {
    q.sort = TicketSort::kUpdatedDesc;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--sort '", sort, "' is not one of queue, created, updated"));
  }
  absl::StatusOr<std::optional<int64_t>> limit =
      WholeNumberFlag(a, "limit", 1, kMaxQueryLimit);
  if (!limit.ok()) return limit.status();
  if (*limit) q.limit = static_cast<int>(**limit);
  absl::StatusOr<TicketPage> page = desk.tickets().Query(SystemActor(), q);
  if (!page.ok()) return page.status();
  PrintQueue(desk, page->tickets);
  if (!page->next_cursor.empty()) std::cout << "(more: raise --limit)\n";
  return absl::OkStatus();
}

absl::Status CmdShow(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  v1::Actor viewer = SystemActor();
  if (std::optional<std::string> as = a.Get("as")) {
    absl::StatusOr<v1::Contact> c = desk.people().FindContactByEmail(SystemActor(), *as);
    if (!c.ok()) return c.status();
    viewer = ContactActor(c->id());
  }
  absl::StatusOr<TicketView> view = desk.tickets().View(viewer, *id);
  if (!view.ok()) return view.status();
  PrintTicket(desk, *view);
  return absl::OkStatus();
}

absl::Status CmdLog(Desk& desk, const Args& a) {
  absl::StatusOr<int64_t> id = TicketArg(a, 1);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::vector<v1::Event>> log = desk.tickets().AuditLog(SystemActor(), *id);
  if (!log.ok()) return log.status();
  PrintLog(desk, *log);
  return absl::OkStatus();
}

}  // namespace

CommandGroup TicketCommands() {
  return {
      "Tickets",
      {
          {.name = "create",
           .summary = "open a ticket (the requester is created if new)",
           .usage = "create --requester EMAIL --subject S [--body B] [--priority P] [--type T]\n"
                    "       [--group G] [--assignee EMAIL] [--tag T]... [--cc EMAIL]...\n"
                    "       [--agent EMAIL]",
           .flags = "  --requester EMAIL   the customer the ticket is for\n"
                    "  --subject S         the ticket's subject\n"
                    "  --body B            the first message (default: none)\n"
                    "  --priority P        low, normal, high or urgent\n"
                    "  --type T            question, incident, problem or task\n"
                    "  --group G           the group (by name) that works it\n"
                    "  --assignee EMAIL    the agent who works it\n"
                    "  --tag T             a tag; repeat for more\n"
                    "  --cc EMAIL          a contact copied on replies; repeat for more\n"
                    "  --agent EMAIL       the agent creating it (default: the system)\n",
           .run = [](const CommandContext& c) { return CmdCreate(c.desk(), c.args); }},
          {.name = "reply",
           .summary = "an agent's public reply on a ticket",
           .usage = "reply TICKET --agent EMAIL --body B [--version N]",
           .flags = "  TICKET              the ticket number (12 or #12)\n"
                    "  --agent EMAIL       the agent replying\n"
                    "  --body B            the reply's text\n"
                    "  --version N         refuse unless the ticket is at version N\n",
           .run = [](const CommandContext& c) {
             return CmdMessage(c.desk(), c.args, v1::Message::PUBLIC_REPLY);
           }},
          {.name = "note",
           .summary = "an agent's internal note on a ticket (customers never see it)",
           .usage = "note TICKET --agent EMAIL --body B [--version N]",
           .flags = "  TICKET              the ticket number (12 or #12)\n"
                    "  --agent EMAIL       the agent writing the note\n"
                    "  --body B            the note's text\n"
                    "  --version N         refuse unless the ticket is at version N\n",
           .run = [](const CommandContext& c) {
             return CmdMessage(c.desk(), c.args, v1::Message::INTERNAL_NOTE);
           }},
          {.name = "comment",
           .summary = "a customer's message on their ticket",
           .usage = "comment TICKET --requester EMAIL --body B [--version N]",
           .flags = "  TICKET              the ticket number (12 or #12)\n"
                    "  --requester EMAIL   the customer writing (must exist)\n"
                    "  --body B            the message's text\n"
                    "  --version N         refuse unless the ticket is at version N\n",
           .run = [](const CommandContext& c) {
             return CmdMessage(c.desk(), c.args, v1::Message::CUSTOMER_MESSAGE);
           }},
          {.name = "update",
           .summary = "change a ticket's status, priority, type, assignee, group or tags",
           .usage = "update TICKET [--agent EMAIL] [--status S] [--priority P] [--type T]\n"
                    "       [--subject S] [--assignee EMAIL|none] [--group G|none]\n"
                    "       [--add-tag T]... [--remove-tag T]... [--version N]",
           .flags = "  TICKET              the ticket number (12 or #12)\n"
                    "  --agent EMAIL       the agent making the change (default: the system)\n"
                    "  --status S          a workflow status (new, open, pending, solved ...)\n"
                    "  --priority P        low, normal, high or urgent\n"
                    "  --type T            question, incident, problem or task\n"
                    "  --subject S         a new subject\n"
                    "  --assignee EMAIL    the agent who works it; none to unassign\n"
                    "  --group G           the group (by name); none for no group\n"
                    "  --add-tag T         add a tag; repeat for more\n"
                    "  --remove-tag T      remove a tag; repeat for more\n"
                    "  --version N         refuse unless the ticket is at version N\n",
           .run = [](const CommandContext& c) { return CmdUpdate(c.desk(), c.args); }},
          {.name = "merge",
           .summary = "merge a ticket into another (its messages move to the target)",
           .usage = "merge SOURCE TARGET [--agent EMAIL]",
           .flags = "  SOURCE              the ticket merged away (it is closed)\n"
                    "  TARGET              the ticket that keeps both threads\n"
                    "  --agent EMAIL       the agent merging (default: the system)\n",
           .run = [](const CommandContext& c) { return CmdMerge(c.desk(), c.args); }},
          {.name = "list",
           .summary = "list tickets (unsolved, most urgent first, unless told otherwise)",
           .usage = "list [--status S]... [--group G|none] [--assignee EMAIL|none] [--tag T]...\n"
                    "     [--requester EMAIL] [--search TEXT] [--sort queue|created|updated]\n"
                    "     [--limit N] [--all]",
           .flags = "  --status S          only this status; repeat for more\n"
                    "  --all               every status (default: unsolved only)\n"
                    "  --group G           only this group; none for no group\n"
                    "  --assignee EMAIL    only this agent's; none for unassigned\n"
                    "  --tag T             only tickets with this tag; repeat for more\n"
                    "  --requester EMAIL   only this customer's\n"
                    "  --search TEXT       only subjects containing TEXT\n"
                    "  --sort ORDER        queue (priority, then oldest), created or updated\n"
                    "  --limit N           at most N tickets (1 to 1000)\n",
           .run = [](const CommandContext& c) { return CmdList(c.desk(), c.args); }},
          {.name = "show",
           .summary = "a ticket and its thread (as a customer sees it with --as)",
           .usage = "show TICKET [--as EMAIL]",
           .flags = "  TICKET              the ticket number (12 or #12)\n"
                    "  --as EMAIL          show what this customer sees (no internal notes)\n",
           .run = [](const CommandContext& c) { return CmdShow(c.desk(), c.args); }},
          {.name = "log",
           .summary = "a ticket's audit log",
           .usage = "log TICKET",
           .flags = "  TICKET              the ticket number (12 or #12)\n",
           .run = [](const CommandContext& c) { return CmdLog(c.desk(), c.args); }},
      }};
}

}  // namespace helpdesk::cli
