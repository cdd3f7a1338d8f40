// Automation through the Desk (issue 14): the rules' triggers run inside each
// command's transaction, their actions applied through the Tickets paths.
#include "google/protobuf/util/json_util.h"
#include "desk/desk_impl.h"
#include "desk/desk_update.h"

namespace helpdesk {
namespace {

// A refusal by the desk of one action (the rule asked for something the
// ticket or the store's data does not allow now): recorded, not fatal.
bool Refusal(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsNotFound(s) ||
         absl::IsFailedPrecondition(s) || absl::IsPermissionDenied(s) ||
         absl::IsResourceExhausted(s);
}

// `s` as a JSON string literal.
std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

bool ReadsSla(const v1::RuleSetConfig& config) {
  for (const v1::Rule& r : config.rules()) {
    for (const auto* list : {&r.all(), &r.any()}) {
      for (const v1::RuleCondition& c : *list) {
        if (absl::StartsWith(c.field(), "sla")) return true;
      }
    }
  }
  return false;
}

}  // namespace

absl::Status DeskCore::ValidateAutomation() {
  std::set<std::string> macro_names;
  for (size_t i = 0; i < options_.macros.size(); ++i) {
    const Macro& m = options_.macros[i];
    const std::string where = absl::StrCat("macros[", i, "] ", Quote(m.name));
    if (!macro_names.insert(m.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the name is taken"));
    }
    if (options_.templates == nullptr) {
      if (m.message != Macro::Message::kNone) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": a message but the desk has no templates (DeskOptions::templates)"));
      }
    } else {
      HELPDESK_RETURN_IF_ERROR(ValidateMacro(m, *options_.templates));
    }
    if (m.status) {
      absl::Status s = options_.workflow.CategoryOf("status", *m.status).status();
      if (!s.ok()) return Locate(s, absl::StrCat(where, ": "));
    }
  }
  if (options_.rules == nullptr) {
    if (!options_.webhooks.empty()) {
      return absl::InvalidArgumentError("webhooks: set without rules (DeskOptions::rules)");
    }
    return absl::OkStatus();
  }
  for (const auto& [name, hook] : options_.webhooks) {
    if (name.empty()) return absl::InvalidArgumentError("webhooks: an empty name");
    if (!absl::StartsWith(hook.url, "https://") && !absl::StartsWith(hook.url, "http://")) {
      return absl::InvalidArgumentError(absl::StrCat("webhooks[", Quote(name), "].url ",
                                                     Quote(hook.url),
                                                     " is not an http(s) URL"));
    }
    if (hook.secret.size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "webhooks[", Quote(name), "].secret: ", hook.secret.size(),
          " bytes, fewer than 16 (the signature would be guessable)"));
    }
  }
  const v1::RuleSetConfig& config = options_.rules->config();
  for (const v1::Rule& r : config.rules()) {
    if (r.has_automation() && !r.disabled()) rules_have_automations_ = true;
  }
  rules_read_sla_ = ReadsSla(config);
  for (int i = 0; i < config.rules_size(); ++i) {
    const v1::Rule& r = config.rules(i);
    const std::string who =
        r.name().empty() ? absl::StrCat("rules[", i, "]") : absl::StrCat("rule ", Quote(r.name()));
    for (int j = 0; j < r.actions_size(); ++j) {
      const v1::RuleAction& a = r.actions(j);
      const std::string where = absl::StrCat(who, " actions[", j, "]");
      const v1::RuleTemplateMessage* message = nullptr;
      if (a.has_reply()) message = &a.reply();
      if (a.has_notify()) message = &a.notify();
      if (message != nullptr) {
        if (options_.templates == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": template ", Quote(message->template_()),
              " but the desk has no templates (DeskOptions::templates)"));
        }
        if (!options_.templates->Contains(message->template_())) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": unknown template ", Quote(message->template_())));
        }
      }
      if (a.has_call_webhook() && !options_.webhooks.contains(a.call_webhook())) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": unknown webhook ", Quote(a.call_webhook())));
      }
      if (a.has_set_status()) {
        absl::Status s = options_.workflow.CategoryOf("set_status", a.set_status()).status();
        if (!s.ok()) return Locate(s, absl::StrCat(where, ": "));
      }
    }
  }
  return absl::OkStatus();
}

RuleContext DeskCore::RuleSnapshot::Context(absl::Time now) const {
  RuleContext c;
  c.ticket = &ticket;
  c.contact = contact ? &*contact : nullptr;
  c.organization = organization ? &*organization : nullptr;
  c.message = message ? &*message : nullptr;
  c.sla = sla ? &*sla : nullptr;
  c.timeline = timeline;
  c.now = now;
  // The customer's rating (Tickets::RateSatisfaction), for "csat.rating".
  if (ticket.has_satisfaction()) c.csat_rating = ticket.satisfaction().score();
  return c;
}

absl::StatusOr<DeskCore::RuleSnapshot> DeskCore::SnapshotForRules(Transaction& tx,
                                                                  int64_t ticket_id,
                                                                  int64_t message_id,
                                                                  bool timeline,
                                                                  absl::Time now) {
  RuleSnapshot s;
  HELPDESK_ASSIGN_OR_RETURN(s.ticket, tx.GetTicket(ticket_id));
  absl::StatusOr<v1::Contact> c = tx.GetContact(s.ticket.requester_id());
  if (c.ok()) {
    s.contact = *std::move(c);
  } else if (!absl::IsNotFound(c.status())) {
    return c.status();
  }
  if (s.ticket.organization_id() != 0) {
    absl::StatusOr<v1::Organization> o = tx.GetOrganization(s.ticket.organization_id());
    if (o.ok()) {
      s.organization = *std::move(o);
    } else if (!absl::IsNotFound(o.status())) {
      return o.status();
    }
  }
  if (message_id != 0) {
    HELPDESK_ASSIGN_OR_RETURN(s.message, tx.GetMessage(message_id));
  }
  const bool sla = options_.sla.has_value() && rules_read_sla_;
  if (sla || timeline) {
    absl::Time at = now;
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                              SlaEvents(tx, ticket_id, &at));
    if (timeline) s.timeline = TimelineFromEvents(events);
    if (sla) {
      HELPDESK_ASSIGN_OR_RETURN(SlaStatus status, options_.sla->Evaluate(s.ticket, events, at));
      s.sla = std::move(status);
    }
  }
  return s;
}

absl::Status DeskCore::RunTriggersInTx(Transaction& tx,
                                       desk_internal::EventTracker& tracker,
                                       absl::Time now) {
  std::vector<v1::Event> events = tracker.TakeEvents();
  std::vector<int64_t> order;
  std::map<int64_t, std::vector<v1::Event>> by_ticket;
  for (v1::Event& e : events) {
    auto [it, added] = by_ticket.try_emplace(e.ticket_id());
    if (added) order.push_back(e.ticket_id());
    it->second.push_back(std::move(e));
  }
  for (int64_t id : order) {
    const std::vector<v1::Event>& evs = by_ticket[id];
    int64_t message_id = 0;
    for (const v1::Event& e : evs) {
      if (e.message_id() != 0) message_id = e.message_id();
    }
    absl::StatusOr<RuleSnapshot> snap =
        SnapshotForRules(tx, id, message_id, /*timeline=*/false, now);
    if (absl::IsNotFound(snap.status())) continue;  // e.g. a message on no ticket
    HELPDESK_RETURN_IF_ERROR(snap.status());
    // Merged and closed tickets take no changes.
    if (snap->ticket.merged_into() != 0 ||
        snap->ticket.status_category() == v1::STATUS_CATEGORY_CLOSED) {
      continue;
    }
    RuleContext context = snap->Context(now);
    // A rating the command recorded is the CSAT_RECEIVED trigger.
    for (const v1::Event& e : evs) {
      if (e.kind() == v1::Event::CSAT_RECEIVED) context.csat_received = true;
    }
    HELPDESK_ASSIGN_OR_RETURN(RuleOutcome outcome, options_.rules->Run(context, evs));
    if (outcome.actions.empty() && !outcome.cascade_limit_reached) continue;
    HELPDESK_RETURN_IF_ERROR(ApplyRuleActions(tx, id, outcome, now, &snap->ticket));
  }
  std::vector<int64_t> touched = tracker.TakeTouched();
  (void)tracker.TakeEvents();  // the rules' own writes: no trigger input
  if (rules_have_automations_) {
    std::set<int64_t> all(order.begin(), order.end());
    all.insert(touched.begin(), touched.end());
    for (int64_t id : all) {
      HELPDESK_RETURN_IF_ERROR(RefreshAutomationDue(tx, id, now));
    }
  }
  return absl::OkStatus();
}

absl::Status DeskCore::ApplyRuleActions(Transaction& tx, int64_t ticket_id,
                                        const RuleOutcome& outcome, absl::Time now,
                                        const v1::Ticket* stored) {
  desk_internal::EventTracker* tracker = desk_internal::EventTracker::Find(tx);
  if (tracker == nullptr) {
    return absl::InternalError("ApplyRuleActions: the transaction tracks no events");
  }
  struct Unstamp {
    desk_internal::EventTracker* t;
    ~Unstamp() { t->set_rule(""); }
  } unstamp{tracker};
  const v1::Actor system = SystemActor();
  Access sys = Viewer::System();
  sys.actor = system;

  // The rules' field changes are staged on one copy of the ticket, each
  // rule's checked as Update checks it (a refused one is dropped and
  // recorded), and written at once: one ticket write, then each rule's
  // events in order (each naming its rule), then one SLA recompute. Staged
  // changes are written before any action that reads the ticket from the
  // store (notes, replies, notifications, webhooks) and at the end.
  struct Staged {
    bool loaded = false;
    v1::Ticket ticket;
    int64_t loaded_version = 0;
    bool changed = false;  // a field change is staged: the ticket is written
    std::string solved_by;  // the rule whose change solved the ticket
    std::vector<std::pair<std::string, v1::Event>> events;  // rule, event
  } staged;
  // The ticket as stored, while nothing but events has been written (an
  // event leaves the ticket's row as it was); else it is read.
  auto current = [&]() -> absl::StatusOr<v1::Ticket> {
    if (stored != nullptr) return *stored;
    return tx.GetTicket(ticket_id);
  };
  auto write_staged = [&]() -> absl::Status {
    stored = nullptr;  // whatever follows may write the ticket
    if (!staged.loaded) return absl::OkStatus();
    Staged st = std::move(staged);
    staged = Staged();
    v1::Ticket& t = st.ticket;
    if (st.changed) {
      *t.mutable_updated_at() = ToTimestamp(now);
      StampRouting(&t, now);
      HELPDESK_RETURN_IF_ERROR(tx.UpdateTicket(&t, st.loaded_version));
    }
    for (auto& [rule, e] : st.events) {
      tracker->set_rule(rule);
      HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, sys, now, t, &e));
    }
    if (!st.changed) return absl::OkStatus();
    HELPDESK_RETURN_IF_ERROR(RefreshSla(tx, &t, now).status());
    if (!st.solved_by.empty() && options_.csat.survey_on_solve) {
      tracker->set_rule(st.solved_by);
      HELPDESK_RETURN_IF_ERROR(SendSurvey(tx, t, now));
    }
    return absl::OkStatus();
  };
  auto load_staged = [&]() -> absl::Status {
    if (staged.loaded) return absl::OkStatus();
    HELPDESK_ASSIGN_OR_RETURN(staged.ticket, current());
    staged.loaded_version = staged.ticket.version();
    staged.loaded = true;
    return absl::OkStatus();
  };

  // An event of `rule`: staged behind the staged changes, if any, else
  // written now.
  auto note_event = [&](const std::string& rule, v1::Event::Kind kind,
                        std::string note) -> absl::Status {
    v1::Event e;
    e.set_kind(kind);
    e.set_note(std::move(note));
    if (staged.loaded) {
      staged.events.emplace_back(rule, std::move(e));
      return absl::OkStatus();
    }
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, current());
    tracker->set_rule(rule);
    return AppendEvent(tx, sys, now, t, &e);
  };
  // A refusal is recorded on the ticket; anything else fails the command.
  auto outcome_of = [&](const std::string& rule, absl::string_view what,
                        const absl::Status& s) -> absl::Status {
    if (s.ok()) return s;
    if (!Refusal(s)) return s;
    return note_event(rule, v1::Event::RULE_ACTION_FAILED,
                      absl::StrCat(what, ": ", s.message()));
  };

  TicketUpdate u;
  bool pending = false;
  std::string u_rule;
  // Stages the field changes of rule u_rule, checked as Update checks them.
  auto stage = [&]() -> absl::Status {
    if (!pending) return absl::OkStatus();
    pending = false;
    TicketUpdate update = std::move(u);
    u = TicketUpdate();
    HELPDESK_RETURN_IF_ERROR(load_staged());
    if (update.status && *update.status == staged.ticket.status()) update.status.reset();
    v1::Ticket t = staged.ticket;
    v1::Event e;
    e.set_kind(v1::Event::FIELDS_CHANGED);
    absl::Status s = [&]() -> absl::Status {
      HELPDESK_RETURN_IF_ERROR(AuthorizeOn(sys, Action::kUpdateFields, t));
      if (update.assignee_id || update.group_id) {
        HELPDESK_RETURN_IF_ERROR(AuthorizeOn(sys, Action::kAssign, t));
      }
      HELPDESK_RETURN_IF_ERROR(CheckChangeable(t));
      return desk_internal::ApplyTicketUpdate(*this, tx, update, now, &t, &e);
    }();
    if (!s.ok()) return outcome_of(u_rule, "field changes", s);
    if (e.changes_size() == 0) return absl::OkStatus();  // nothing to write
    if (t.status_category() == v1::STATUS_CATEGORY_SOLVED &&
        staged.ticket.status_category() != v1::STATUS_CATEGORY_SOLVED) {
      staged.solved_by = u_rule;
    }
    staged.ticket = std::move(t);
    staged.changed = true;
    staged.events.emplace_back(u_rule, std::move(e));
    return absl::OkStatus();
  };
  // Stages the pending changes and writes everything staged.
  auto flush = [&]() -> absl::Status {
    HELPDESK_RETURN_IF_ERROR(stage());
    return write_staged();
  };

  for (const FiredAction& fa : outcome.actions) {
    if (fa.rule != u_rule) {
      HELPDESK_RETURN_IF_ERROR(stage());
      u_rule = fa.rule;
    }
    const v1::RuleAction& a = *fa.action;
    switch (a.action_case()) {
      case v1::RuleAction::kSetStatus:
        u.status = a.set_status();
        pending = true;
        break;
      case v1::RuleAction::kSetPriority: {
        absl::StatusOr<v1::Priority> p = ParsePriority(a.set_priority(), "set_priority");
        if (!p.ok()) {
          HELPDESK_RETURN_IF_ERROR(outcome_of(fa.rule, "set_priority", p.status()));
          break;
        }
        u.priority = *p;
        pending = true;
        break;
      }
      case v1::RuleAction::kSetType: {
        absl::StatusOr<v1::TicketType> ty = ParseTicketType(a.set_type(), "set_type");
        if (!ty.ok()) {
          HELPDESK_RETURN_IF_ERROR(outcome_of(fa.rule, "set_type", ty.status()));
          break;
        }
        u.type = *ty;
        pending = true;
        break;
      }
      case v1::RuleAction::kSetGroup:
        u.group_id = a.set_group();
        pending = true;
        break;
      case v1::RuleAction::kSetAssignee:
        u.assignee_id = a.set_assignee();
        pending = true;
        break;
      case v1::RuleAction::kAddTags:
        for (const std::string& tag : a.add_tags().tags()) {
          u.remove_tags.erase(std::remove(u.remove_tags.begin(), u.remove_tags.end(), tag),
                              u.remove_tags.end());
          u.add_tags.push_back(tag);
        }
        pending = true;
        break;
      case v1::RuleAction::kRemoveTags:
        for (const std::string& tag : a.remove_tags().tags()) {
          u.add_tags.erase(std::remove(u.add_tags.begin(), u.add_tags.end(), tag),
                           u.add_tags.end());
          u.remove_tags.push_back(tag);
        }
        pending = true;
        break;
      case v1::RuleAction::kSetTags:
        u.set_tags = std::vector<std::string>(a.set_tags().tags().begin(),
                                              a.set_tags().tags().end());
        u.add_tags.clear();
        u.remove_tags.clear();
        pending = true;
        break;
      case v1::RuleAction::kSetCustomField: {
        const v1::RuleCustomFieldValue& f = a.set_custom_field();
        if (f.has_value()) {
          u.set_custom_fields[f.name()] = f.value();
          u.remove_custom_fields.erase(std::remove(u.remove_custom_fields.begin(),
                                                   u.remove_custom_fields.end(), f.name()),
                                       u.remove_custom_fields.end());
        } else {
          u.set_custom_fields.erase(f.name());
          u.remove_custom_fields.push_back(f.name());
        }
        pending = true;
        break;
      }
      case v1::RuleAction::kAddFollower:
        u.add_follower_agent_ids.push_back(a.add_follower());
        pending = true;
        break;
      case v1::RuleAction::kAddInternalNote: {
        HELPDESK_RETURN_IF_ERROR(flush());
        MessageDraft d;
        d.kind = v1::Message::INTERNAL_NOTE;
        d.body_text = a.add_internal_note();
        tracker->set_rule(fa.rule);
        HELPDESK_RETURN_IF_ERROR(outcome_of(
            fa.rule, "add_internal_note",
            AddMessage(tx, system, ticket_id, d, /*allow_closed=*/true).status()));
        break;
      }
      case v1::RuleAction::kReply:
      case v1::RuleAction::kNotify: {
        HELPDESK_RETURN_IF_ERROR(flush());
        const bool reply = a.has_reply();
        const v1::RuleTemplateMessage& tm = reply ? a.reply() : a.notify();
        const std::string what =
            absl::StrCat(reply ? "reply" : "notify", " from template ", Quote(tm.template_()));
        HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
        HELPDESK_ASSIGN_OR_RETURN(RenderContext rc, RenderContextFor(tx, t, std::nullopt));
        absl::StatusOr<RenderedMessage> text =
            options_.templates->Render(tm.template_(), TemplateOutput::kText, rc);
        absl::StatusOr<RenderedMessage> html =
            text.ok() ? options_.templates->Render(tm.template_(), TemplateOutput::kHtml, rc)
                      : text;
        if (!html.ok()) {
          HELPDESK_RETURN_IF_ERROR(outcome_of(fa.rule, what, html.status()));
          break;
        }
        const std::string key =
            internal::Sha256Hex(absl::StrCat(fa.rule, "\n", tm.template_(), "\n",
                                             absl::ToUnixMicros(now), "\n", t.version()))
                .substr(0, 16);
        tracker->set_rule(fa.rule);
        if (reply) {
          MessageDraft d;
          d.kind = v1::Message::PUBLIC_REPLY;
          d.body_text = text->body;
          d.body_html = html->body;
          d.channel = t.channel() == v1::CHANNEL_UNSPECIFIED ? v1::CHANNEL_API : t.channel();
          absl::StatusOr<v1::Message> m =
              AddMessage(tx, system, ticket_id, d, /*allow_closed=*/false, /*send=*/false);
          if (!m.ok()) {
            HELPDESK_RETURN_IF_ERROR(outcome_of(fa.rule, what, m.status()));
            break;
          }
          HELPDESK_ASSIGN_OR_RETURN(t, tx.GetTicket(ticket_id));
          static constexpr v1::RuleTemplateMessage::Recipient kRequester[] = {
              v1::RuleTemplateMessage::REQUESTER};
          HELPDESK_ASSIGN_OR_RETURN(
              std::string sent,
              EnqueueTemplateMessage(tx, t, kRequester, 0, &*m, t.subject(), text->body,
                                     html->body, /*automatic=*/true, key, now));
          (void)sent;
        } else {
          std::vector<v1::RuleTemplateMessage::Recipient> to;
          for (int r : tm.recipients()) {
            to.push_back(static_cast<v1::RuleTemplateMessage::Recipient>(r));
          }
          HELPDESK_ASSIGN_OR_RETURN(
              std::string sent,
              EnqueueTemplateMessage(tx, t, to, tm.agent_id(), nullptr,
                                     absl::StrCat("[#", t.id(), "] ", t.subject()), text->body,
                                     html->body, /*automatic=*/true, key, now));
          HELPDESK_RETURN_IF_ERROR(note_event(fa.rule, v1::Event::RULE_MESSAGE_SENT,
                                              absl::StrCat(what, ": ", sent)));
        }
        break;
      }
      case v1::RuleAction::kCallWebhook: {
        HELPDESK_RETURN_IF_ERROR(flush());
        auto hook = options_.webhooks.find(a.call_webhook());
        if (hook == options_.webhooks.end()) {
          HELPDESK_RETURN_IF_ERROR(outcome_of(
              fa.rule, "call_webhook",
              absl::NotFoundError(absl::StrCat("unknown webhook ", Quote(a.call_webhook())))));
          break;
        }
        HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
        std::string ticket_json;
        google::protobuf::util::JsonPrintOptions jo;
        jo.preserve_proto_field_names = true;
        if (!google::protobuf::util::MessageToJsonString(t, &ticket_json, jo).ok()) {
          return absl::InternalError(
              absl::StrCat("call_webhook: ticket ", t.id(), " has no JSON form"));
        }
        const std::string rule_json = JsonQuote(fa.rule);
        const std::string hook_json = JsonQuote(a.call_webhook());
        v1::OutboxEntry entry;
        entry.set_state(v1::OutboxEntry::PENDING);
        *entry.mutable_created_at() = ToTimestamp(now);
        *entry.mutable_next_attempt_at() = ToTimestamp(now);
        v1::OutboundMessage* out = entry.mutable_message();
        out->set_channel(v1::CHANNEL_WEBHOOK);
        out->set_ticket_id(t.id());
        out->set_destination(hook->second.url);
        out->set_automatic(true);
        out->set_body_text(absl::StrCat("{\"rule\":", rule_json, ",\"webhook\":", hook_json,
                                        ",\"time\":\"", absl::FormatTime(now),
                                        "\",\"ticket\":", ticket_json, "}"));
        out->set_signature(absl::StrCat(
            "sha256=", internal::HmacSha256Hex(hook->second.secret, out->body_text())));
        out->set_idempotency_key(absl::StrCat(
            "webhook:", t.id(), ":",
            internal::Sha256Hex(absl::StrCat(fa.rule, "\n", a.call_webhook(), "\n",
                                             absl::ToUnixMicros(now), "\n", t.version()))
                .substr(0, 16)));
        HELPDESK_RETURN_IF_ERROR(tx.InsertOutbox(&entry));
        HELPDESK_RETURN_IF_ERROR(
            note_event(fa.rule, v1::Event::RULE_MESSAGE_SENT,
                       absl::StrCat("webhook ", Quote(a.call_webhook()), " to ",
                                    hook->second.url, " (outbox entry ", entry.id(), ")")));
        break;
      }
      case v1::RuleAction::kStopProcessing:
      case v1::RuleAction::ACTION_NOT_SET:
        break;
    }
  }
  HELPDESK_RETURN_IF_ERROR(flush());
  if (outcome.cascade_limit_reached) {
    const std::string last = outcome.fired_rules.empty() ? "" : outcome.fired_rules.back();
    HELPDESK_RETURN_IF_ERROR(note_event(
        last, v1::Event::RULES_CASCADE_LIMIT,
        absl::StrCat("the rules stopped at their bound of passes; fired: ",
                     absl::StrJoin(outcome.fired_rules, ", "))));
  }
  return absl::OkStatus();
}

absl::Status DeskCore::RefreshAutomationDue(Transaction& tx, int64_t ticket_id,
                                            absl::Time now) {
  if (!rules_have_automations_) return absl::OkStatus();
  std::optional<absl::Time> due;
  absl::StatusOr<v1::Ticket> t = tx.GetTicket(ticket_id);
  if (absl::IsNotFound(t.status())) return absl::OkStatus();
  HELPDESK_RETURN_IF_ERROR(t.status());
  if (t->merged_into() == 0 && t->status_category() != v1::STATUS_CATEGORY_CLOSED) {
    HELPDESK_ASSIGN_OR_RETURN(RuleSnapshot snap,
                              SnapshotForRules(tx, ticket_id, 0, /*timeline=*/true, now));
    HELPDESK_ASSIGN_OR_RETURN(v1::RuleFirings fired, tx.GetRuleFirings(ticket_id));
    absl::StatusOr<std::optional<absl::Time>> next =
        options_.rules->NextDue(snap.Context(now), fired);
    // Business time the calendars cannot compute (their range) leaves the
    // ticket without a due time rather than failing the command.
    if (next.ok()) {
      due = *next;
    } else if (!absl::IsFailedPrecondition(next.status())) {
      return next.status();
    }
  }
  HELPDESK_ASSIGN_OR_RETURN(std::optional<absl::Time> old,
                            tx.GetTicketAutomationDue(ticket_id));
  if (old == due) return absl::OkStatus();
  return tx.SetTicketAutomationDue(ticket_id, due);
}

absl::Status DeskCore::AutomateTicket(Transaction& tx, int64_t ticket_id, absl::Time now,
                                      TickReport* report) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
  ++report->automations_evaluated;
  if (t.merged_into() == 0 && t.status_category() != v1::STATUS_CATEGORY_CLOSED) {
    HELPDESK_ASSIGN_OR_RETURN(RuleSnapshot snap,
                              SnapshotForRules(tx, ticket_id, 0, /*timeline=*/true, now));
    HELPDESK_ASSIGN_OR_RETURN(v1::RuleFirings fired, tx.GetRuleFirings(ticket_id));
    absl::StatusOr<RuleOutcome> outcome =
        options_.rules->RunAutomations(snap.Context(now), fired);
    if (outcome.ok()) {
      HELPDESK_RETURN_IF_ERROR(ApplyRuleActions(tx, ticket_id, *outcome, now));
      HELPDESK_RETURN_IF_ERROR(tx.SetRuleFirings(ticket_id, outcome->firings));
      report->automations_fired += static_cast<int>(outcome->fired_rules.size());
    } else if (!absl::IsFailedPrecondition(outcome.status())) {
      return outcome.status();
    }
  }
  HELPDESK_RETURN_IF_ERROR(RefreshAutomationDue(tx, ticket_id, now));
  // A due time that has not moved past `now` (nothing could fire after all)
  // would bring the ticket back in the same Tick: move it on by a second.
  HELPDESK_ASSIGN_OR_RETURN(std::optional<absl::Time> due,
                            tx.GetTicketAutomationDue(ticket_id));
  if (due && *due <= now) {
    HELPDESK_RETURN_IF_ERROR(tx.SetTicketAutomationDue(ticket_id, now + absl::Seconds(1)));
  }
  return absl::OkStatus();
}

absl::Status DeskCore::TickAutomations(absl::Time now, TickReport* report) {
  if (!rules_have_automations_) return absl::OkStatus();
  constexpr int kPage = 200;
  // Each ticket done here gets a due time after `now` (or none), so passes
  // shrink to nothing; the bound guards against a store that fails to move
  // them.
  for (int pass = 0; pass < 1000000; ++pass) {
    HELPDESK_ASSIGN_OR_RETURN(
        std::vector<int64_t> due,
        Run(TransactionMode::kReadOnly,
            [&](Transaction& tx) { return tx.ListDueAutomations(now, kPage); }));
    if (due.empty()) return absl::OkStatus();
    for (int64_t id : due) {
      absl::Status s = Run(TransactionMode::kReadWrite,
                           [&](Transaction& tx) -> absl::StatusOr<bool> {
                             HELPDESK_RETURN_IF_ERROR(FenceInTx(tx));  // issue 17
                             HELPDESK_RETURN_IF_ERROR(AutomateTicket(tx, id, now, report));
                             return true;
                           })
                           .status();
      if (!s.ok()) return s;
    }
  }
  return absl::InternalError("Tick: automation due times did not move past now");
}

absl::StatusOr<RenderContext> DeskCore::RenderContextFor(Transaction& tx,
                                                         const v1::Ticket& t,
                                                         std::optional<int64_t> agent_id) {
  RenderContext rc;
  rc.ticket = t;
  absl::StatusOr<v1::Contact> c = tx.GetContact(t.requester_id());
  if (c.ok()) rc.contact = *std::move(c);
  HELPDESK_ASSIGN_OR_RETURN(rc.thread, tx.ListMessages(t.id()));
  if (t.organization_id() != 0) {
    absl::StatusOr<v1::Organization> o = tx.GetOrganization(t.organization_id());
    if (o.ok()) rc.organization = *std::move(o);
  }
  if (agent_id && *agent_id != 0) {
    absl::StatusOr<v1::Agent> ag = tx.GetAgent(*agent_id);
    if (ag.ok()) rc.agent = *std::move(ag);
  }
  if (t.assignee_id() != 0) {
    absl::StatusOr<v1::Agent> ag = tx.GetAgent(t.assignee_id());
    if (ag.ok()) rc.assignee = *std::move(ag);
  }
  if (t.group_id() != 0) {
    absl::StatusOr<v1::Group> g = tx.GetGroup(t.group_id());
    if (g.ok()) rc.group = *std::move(g);
  }
  rc.desk_time_zone = options_.time_zone;
  return rc;
}

// --- The Automation sub-facade ---------------------------------------------------

absl::StatusOr<std::vector<RuleExplanation>> Automation::Explain(const v1::Actor& viewer,
                                                                 int64_t ticket_id) {
  if (!impl_->automation_enabled()) {
    return absl::FailedPreconditionError("the desk has no rules (DeskOptions::rules)");
  }
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<RuleExplanation>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_ASSIGN_OR_RETURN(
            v1::Ticket t, DeskCore::LoadTicket(tx, a, ticket_id, Action::kExplainRules));
        const absl::Time now = impl_->Now();
        // The ticket's last change: the events of its latest command that no
        // rule wrote (they share the ticket version that command left).
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> all,
                                  tx.ListTicketEvents(t.id(), 0, 0));
        std::vector<v1::Event> last;
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
          if (!it->rule().empty()) continue;
          if (!last.empty() && it->ticket_version() != last.front().ticket_version()) break;
          last.insert(last.begin(), *it);
        }
        int64_t message_id = 0;
        for (const v1::Event& e : last) {
          if (e.message_id() != 0) message_id = e.message_id();
        }
        HELPDESK_ASSIGN_OR_RETURN(
            DeskCore::RuleSnapshot snap,
            impl_->SnapshotForRules(tx, t.id(), message_id, /*timeline=*/true, now));
        absl::StatusOr<v1::RuleFirings> fired = tx.GetRuleFirings(t.id());
        if (absl::IsUnimplemented(fired.status())) fired = v1::RuleFirings();
        HELPDESK_RETURN_IF_ERROR(fired.status());
        return impl_->options().rules->Explain(snap.Context(now), last, *fired);
      });
}

absl::StatusOr<v1::Ticket> Automation::ApplyMacro(const v1::Actor& actor, int64_t ticket_id,
                                                  absl::string_view macro_name,
                                                  std::optional<int64_t> expected_version) {
  const Macro* macro = nullptr;
  for (const Macro& m : impl_->options().macros) {
    if (m.name == macro_name) macro = &m;
  }
  if (macro == nullptr) {
    return absl::NotFoundError(absl::StrCat("macro ", Quote(macro_name), " does not exist"));
  }
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx)
                                                     -> absl::StatusOr<v1::Ticket> {
    HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
    HELPDESK_ASSIGN_OR_RETURN(
        v1::Ticket t, DeskCore::LoadTicket(tx, a, ticket_id, Action::kUpdateFields));
    if (expected_version && *expected_version != t.version()) {
      return StaleVersion(t.id(), *expected_version, t.version());
    }
    TicketUpdate u;
    u.status = macro->status;
    if (u.status && *u.status == t.status()) u.status.reset();
    u.priority = macro->priority;
    u.type = macro->type;
    u.group_id = macro->group_id;
    u.assignee_id = macro->assignee_id;
    u.add_tags = macro->add_tags;
    u.remove_tags = macro->remove_tags;
    u.set_custom_fields = macro->set_custom_fields;
    u.expected_version = t.version();
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket changed, impl_->Update(tx, actor, ticket_id, u));
    if (macro->message != Macro::Message::kNone) {
      std::optional<int64_t> agent;
      if (a.actor.kind() == v1::Actor::AGENT) agent = a.actor.id();
      HELPDESK_ASSIGN_OR_RETURN(RenderContext rc, impl_->RenderContextFor(tx, changed, agent));
      HELPDESK_ASSIGN_OR_RETURN(
          RenderedMessage text,
          impl_->options().templates->Render(macro->template_name, TemplateOutput::kText, rc));
      HELPDESK_ASSIGN_OR_RETURN(
          RenderedMessage html,
          impl_->options().templates->Render(macro->template_name, TemplateOutput::kHtml, rc));
      MessageDraft d;
      d.kind = macro->message == Macro::Message::kPublicReply ? v1::Message::PUBLIC_REPLY
                                                              : v1::Message::INTERNAL_NOTE;
      d.body_text = text.body;
      d.body_html = html.body;
      d.channel = changed.channel() == v1::CHANNEL_UNSPECIFIED ? v1::CHANNEL_API
                                                                : changed.channel();
      HELPDESK_RETURN_IF_ERROR(impl_->AddMessage(tx, actor, ticket_id, d).status());
    }
    return tx.GetTicket(ticket_id);
  });
}

}  // namespace helpdesk
