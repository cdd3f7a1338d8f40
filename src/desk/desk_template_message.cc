// Automation (issue 14): the one function through which the rendered replies
// and notifications of rules and macros leave the desk: replies to the
// requester on the ticket's channel (EnqueueReply), notifications to agents
// by e-mail (EnqueueAgentNotification), both from the ticket's desk address.
#include "desk/desk_impl.h"

namespace helpdesk {

absl::StatusOr<std::string> DeskCore::EnqueueTemplateMessage(
    Transaction& tx, const v1::Ticket& t,
    absl::Span<const v1::RuleTemplateMessage::Recipient> recipients, int64_t agent_id,
    const v1::Message* m, absl::string_view subject, absl::string_view text,
    absl::string_view html, bool automatic, absl::string_view key, absl::Time now) {
  const SenderAddress* sender = SenderFor(t);
  if (sender == nullptr) {
    return std::string("not sent: the desk has no address (desk addresses, ingest.desk_email)");
  }
  std::vector<std::string> told;
  std::set<int64_t> agents;
  bool requester = false;
  for (v1::RuleTemplateMessage::Recipient r : recipients) {
    switch (r) {
      case v1::RuleTemplateMessage::REQUESTER:
        requester = true;
        break;
      case v1::RuleTemplateMessage::ASSIGNEE:
        if (t.assignee_id() != 0) agents.insert(t.assignee_id());
        break;
      case v1::RuleTemplateMessage::FOLLOWERS:
        agents.insert(t.follower_agent_ids().begin(), t.follower_agent_ids().end());
        break;
      case v1::RuleTemplateMessage::GROUP:
        if (t.group_id() != 0) {
          HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> all, tx.ListAgents());
          for (const v1::Agent& a : all) {
            if (std::count(a.group_ids().begin(), a.group_ids().end(), t.group_id())) {
              agents.insert(a.id());
            }
          }
        }
        break;
      case v1::RuleTemplateMessage::AGENT:
        if (agent_id != 0) agents.insert(agent_id);
        break;
      default:
        break;
    }
  }
  const RenderedParts parts{.subject = std::string(subject),
                            .text = std::string(text),
                            .html = std::string(html),
                            .purpose = std::string(key)};
  if (requester) {
    if (m != nullptr) {
      // A reply the rule or macro wrote on the thread: out on the ticket's
      // channel, from the ticket's desk address (EnqueueReply).
      HELPDESK_RETURN_IF_ERROR(EnqueueReply(tx, t, *m, parts, automatic, now));
      told.push_back("requester");
    } else {
      // A notification to the customer that is not a message of the thread:
      // by e-mail only, from the ticket's desk address.
      HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, tx.GetContact(t.requester_id()));
      std::optional<std::string> to = EmailOf(c);
      if (to) {
        v1::OutboxEntry entry;
        entry.set_state(v1::OutboxEntry::PENDING);
        *entry.mutable_created_at() = ToTimestamp(now);
        *entry.mutable_next_attempt_at() = ToTimestamp(now);
        v1::OutboundMessage* out = entry.mutable_message();
        out->set_channel(v1::CHANNEL_EMAIL);
        out->set_ticket_id(t.id());
        const std::string domain = sender->email.substr(sender->email.find('@') + 1);
        out->set_idempotency_key(
            absl::StrCat("helpdesk.ticket", t.id(), ".", key, ".requester@", domain));
        out->mutable_from()->set_email(sender->email);
        out->mutable_from()->set_name(sender->name);
        v1::Party* p = out->add_to();
        p->set_email(*to);
        p->set_name(c.name());
        out->set_subject(std::string(subject));
        out->set_body_text(std::string(text));
        out->set_body_html(std::string(html));
        out->set_automatic(automatic);
        out->mutable_threading()->set_message_id(out->idempotency_key());
        out->mutable_threading()->set_ticket_token(t.id());
        HELPDESK_RETURN_IF_ERROR(tx.InsertOutbox(&entry));
        HELPDESK_RETURN_IF_ERROR(
            tx.PutThreadKey(absl::StrCat("msgid:", out->idempotency_key()), t.id()));
        told.push_back("requester");
      }
    }
  }
  // Agents: those who left (unknown ids), are deactivated or have no e-mail
  // are skipped; the rest are notified through EnqueueAgentNotification.
  std::vector<int64_t> reachable;
  for (int64_t id : agents) {
    absl::StatusOr<v1::Agent> a = tx.GetAgent(id);
    if (absl::IsNotFound(a.status())) continue;
    HELPDESK_RETURN_IF_ERROR(a.status());
    if (a->deactivated() || a->email().empty()) continue;
    reachable.push_back(id);
    told.push_back(absl::StrCat("agent ", id));
  }
  if (!reachable.empty()) {
    HELPDESK_RETURN_IF_ERROR(
        EnqueueAgentNotification(tx, t, reachable, SystemActor(), parts, now).status());
  }
  if (told.empty()) return std::string("nobody to write to");
  return absl::StrCat("sent to ", absl::StrJoin(told, ", "));
}

}  // namespace helpdesk
