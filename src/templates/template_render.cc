// The template renderer: runs a validated program over a render context,
// escaping per output, with a bound on output and on work.
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/audit.h"
#include "helpdesk/names.h"
#include "helpdesk/sla.h"
#include "helpdesk/templates.h"
#include "helpdesk/timestamp.h"
#include "internal/text_checks.h"
#include "templates/template_program.h"

namespace helpdesk::templates_internal {

void AppendHtmlEscaped(absl::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&#39;");
        break;
      default:
        out->push_back(c);
    }
  }
}

namespace {

// A value as read from the context.
struct Value {
  bool present = false;
  std::string text;
  std::optional<absl::Time> time;
  std::vector<std::string> list;
  // KbLink::html and its text form.
  bool is_html = false;
  std::string html;
};

class Renderer {
 public:
  Renderer(const Program& program, TemplateOutput output, const RenderContext& context,
           absl::string_view content, size_t limit, std::string* out,
           std::vector<std::string>* warnings)
      : program_(program),
        html_(output == TemplateOutput::kHtml),
        context_(context),
        content_(content),
        limit_(limit),
        // Work is bounded too: nested loops with little output must not spin.
        step_budget_(limit * 4 + 1000000),
        out_(out),
        warnings_(warnings) {
    for (const v1::Message& m : context.thread) {
      if (m.kind() == v1::Message::CUSTOMER_MESSAGE || m.kind() == v1::Message::PUBLIC_REPLY) {
        thread_.push_back(&m);
      }
    }
    for (const v1::ContactIdentity& id : context.contact.identities()) {
      if (id.kind() == v1::ContactIdentity::EMAIL && !id.value().empty()) {
        emails_.push_back(id.value());
      }
    }
  }

  bool Run() {
    Nodes(program_.nodes);
    return !stopped_;
  }

 private:
  struct Loop {
    Var list;
    size_t index = 0;
  };

  void Append(absl::string_view s) {
    if (stopped_) return;
    if (out_->size() + s.size() > limit_) {
      stopped_ = true;
      return;
    }
    out_->append(s.data(), s.size());
  }
  void AppendValue(absl::string_view s) {
    if (!html_) return Append(s);
    std::string escaped;
    AppendHtmlEscaped(s, &escaped);
    Append(escaped);
  }
  void AppendLiteral(absl::string_view s) {
    if (!html_ || program_.literal_is_html) return Append(s);
    std::string escaped;
    for (char c : s) {
      if (c == '\n') {
        escaped.append("<br>\n");
      } else {
        AppendHtmlEscaped(absl::string_view(&c, 1), &escaped);
      }
    }
    Append(escaped);
  }

  // Counts one unit of work; false once rendering must stop.
  bool Step() {
    if (stopped_) return false;
    if (step_budget_ == 0) {
      stopped_ = true;
      return false;
    }
    --step_budget_;
    return true;
  }
  void Nodes(const std::vector<Node>& nodes);
  Value Get(const Ref& ref);
  size_t ListSize(Var list) const;
  std::string Date(absl::Time t, const std::string& pattern);
  Value CustomField(const std::string& name);

  const Program& program_;
  const bool html_;
  const RenderContext& context_;
  const absl::string_view content_;
  const size_t limit_;
  size_t step_budget_;
  std::string* out_;
  std::vector<std::string>* warnings_;
  std::vector<const v1::Message*> thread_;
  std::vector<std::string> emails_;
  std::vector<Loop> loops_;
  bool stopped_ = false;
  bool zone_known_ = false;
  absl::TimeZone zone_;
  std::string locale_;
};

size_t Renderer::ListSize(Var list) const {
  switch (list) {
    case Var::kTicketTags:
      return context_.ticket.tags_size();
    case Var::kContactEmails:
      return emails_.size();
    case Var::kTicketThread:
      return thread_.size();
    case Var::kKbLinks:
      return context_.kb_links.size();
    default:
      return 0;
  }
}

std::string Renderer::Date(absl::Time t, const std::string& pattern) {
  if (!zone_known_) {
    zone_known_ = true;
    zone_ = context_.desk_time_zone;
    const std::string& name = context_.contact.time_zone();
    if (!name.empty() && !absl::LoadTimeZone(name, &zone_)) {
      zone_ = context_.desk_time_zone;
      warnings_->push_back(absl::StrCat("contact time_zone ", internal::Quote(name),
                                        " is unknown; dates use the desk's zone ",
                                        zone_.name()));
    }
    const std::string& locale = context_.contact.locale();
    locale_ = locale.empty() ? context_.desk_locale : locale;
    if (!IsKnownLocale(locale_)) {
      warnings_->push_back(absl::StrCat("locale ", internal::Quote(locale_),
                                        " has no date names; dates are in English"));
    }
  }
  return FormatLocalDate(t, locale_, zone_, pattern);
}

Value Renderer::CustomField(const std::string& name) {
  Value v;
  auto it = context_.ticket.custom_fields().find(name);
  if (it == context_.ticket.custom_fields().end()) return v;
  const v1::CustomFieldValue& field = it->second;
  switch (field.value_case()) {
    case v1::CustomFieldValue::VALUE_NOT_SET:
      return v;
    case v1::CustomFieldValue::kTime:
      v.time = FromTimestamp(field.time());
      v.text = Date(*v.time, "");
      break;
    default:
      v.text = RenderValue(CustomFieldValueOf(field));
  }
  v.present = !v.text.empty();
  return v;
}

Value Renderer::Get(const Ref& ref) {
  Value v;
  auto text = [&v](absl::string_view s) {
    v.text = std::string(s);
    v.present = !v.text.empty();
  };
  auto time = [&v](const google::protobuf::Timestamp& ts) {
    v.time = FromTimestamp(ts);
    v.present = true;
  };
  const v1::Ticket& ticket = context_.ticket;
  const v1::Message* latest = thread_.empty() ? nullptr : thread_.back();
  const v1::Message* message = nullptr;
  const KbLink* link = nullptr;
  if (ref.loop >= 0 && ref.loop < static_cast<int>(loops_.size())) {
    const Loop& loop = loops_[ref.loop];
    if (loop.list == Var::kTicketThread) message = thread_[loop.index];
    if (loop.list == Var::kKbLinks) link = &context_.kb_links[loop.index];
    if (ref.var == Var::kString) {
      text(loop.list == Var::kTicketTags ? ticket.tags(static_cast<int>(loop.index))
                                         : emails_[loop.index]);
      return v;
    }
  }
  switch (ref.var) {
    case Var::kTicketId:
      text(absl::StrCat(ticket.id()));
      break;
    case Var::kTicketSubject:
      text(ticket.subject());
      break;
    case Var::kTicketStatus:
      text(ticket.status());
      break;
    case Var::kTicketPriority:
      text(PriorityName(ticket.priority()));
      break;
    case Var::kTicketType:
      if (ticket.type() != v1::TICKET_TYPE_UNSPECIFIED) text(TicketTypeName(ticket.type()));
      break;
    case Var::kTicketTags:
      v.list.assign(ticket.tags().begin(), ticket.tags().end());
      v.present = !v.list.empty();
      break;
    case Var::kTicketField:
      return CustomField(ref.key);
    case Var::kTicketGroup:
      v.present = context_.group.has_value();
      break;
    case Var::kTicketGroupName:
      if (context_.group) text(context_.group->name());
      break;
    case Var::kTicketAssignee:
      v.present = context_.assignee.has_value();
      break;
    case Var::kTicketAssigneeName:
      if (context_.assignee) text(context_.assignee->name());
      break;
    case Var::kTicketAssigneeEmail:
      if (context_.assignee) text(context_.assignee->email());
      break;
    case Var::kTicketCreatedAt:
      time(ticket.created_at());
      break;
    case Var::kTicketUpdatedAt:
      time(ticket.updated_at());
      break;
    case Var::kTicketLatestMessage:
      v.present = latest != nullptr;
      break;
    case Var::kTicketLatestMessageBody:
      if (latest) text(latest->body_text());
      break;
    case Var::kTicketLatestMessageCreatedAt:
      if (latest) time(latest->created_at());
      break;
    case Var::kTicketThread:
      v.present = !thread_.empty();
      break;
    case Var::kContactName:
      text(context_.contact.name());
      break;
    case Var::kContactEmail:
      if (!emails_.empty()) text(emails_.front());
      break;
    case Var::kContactEmails:
      v.list = emails_;
      v.present = !v.list.empty();
      break;
    case Var::kContactLocale:
      text(context_.contact.locale());
      break;
    case Var::kContactTimeZone:
      text(context_.contact.time_zone());
      break;
    case Var::kOrganization:
      v.present = context_.organization.has_value();
      break;
    case Var::kOrganizationName:
      if (context_.organization) text(context_.organization->name());
      break;
    case Var::kAgent:
      v.present = context_.agent.has_value();
      break;
    case Var::kAgentName:
      if (context_.agent) text(context_.agent->name());
      break;
    case Var::kAgentEmail:
      if (context_.agent) text(context_.agent->email());
      break;
    case Var::kSlaDueAt:
      if (context_.sla) {
        for (const SlaMetricStatus& m : context_.sla->metrics) {
          if (m.due_at && SlaMetricName(m.metric) == ref.key) {
            v.time = *m.due_at;
            v.present = true;
          }
        }
      }
      break;
    case Var::kTrackingLink:
      text(context_.tracking_link);
      break;
    case Var::kKbLinks:
      v.present = !context_.kb_links.empty();
      break;
    case Var::kBrand:
      text(context_.brand);
      break;
    case Var::kString:
      break;
    case Var::kMessageBody:
      if (message) text(message->body_text());
      break;
    case Var::kMessageCreatedAt:
      if (message) time(message->created_at());
      break;
    case Var::kMessageFromCustomer:
      v.present = message && message->kind() == v1::Message::CUSTOMER_MESSAGE;
      break;
    case Var::kLinkTitle:
      if (link) text(link->title);
      break;
    case Var::kLinkUrl:
      if (link) text(link->url);
      break;
    case Var::kLinkHtml:
      if (link) {
        v.is_html = true;
        v.html = link->html;
        text(link->url.empty() ? link->title : absl::StrCat(link->title, " <", link->url, ">"));
        v.present = v.present || !v.html.empty();
      }
      break;
  }
  return v;
}

void Renderer::Nodes(const std::vector<Node>& nodes) {
  for (const Node& node : nodes) {
    if (!Step()) return;
    switch (node.kind) {
      case Node::Kind::kText:
        AppendLiteral(node.text);
        break;
      case Node::Kind::kContent:
        Append(content_);
        break;
      case Node::Kind::kIf:
        Nodes(Get(node.ref).present ? node.body : node.otherwise);
        break;
      case Node::Kind::kEach: {
        const size_t n = ListSize(node.ref.var);
        if (n == 0) {
          Nodes(node.otherwise);
          break;
        }
        loops_.push_back(Loop{node.ref.var, 0});
        for (size_t i = 0; i < n && Step(); ++i) {
          loops_.back().index = i;
          Nodes(node.body);
        }
        loops_.pop_back();
        break;
      }
      case Node::Kind::kValue: {
        Value v = Get(node.ref);
        if (!v.present) {
          // Validation made sure a missing value has a fallback or a guard.
          if (node.fallback) AppendValue(*node.fallback);
        } else if (v.is_html && html_ && !v.html.empty()) {
          Append(v.html);  // host-made markup, never customer input
        } else if (v.time && !node.join) {
          AppendValue(v.text.empty() ? Date(*v.time, node.date_format.value_or(""))
                                     : v.text);
        } else if (node.join) {
          AppendValue(absl::StrJoin(v.list, *node.join));
        } else {
          AppendValue(v.text);
        }
        break;
      }
    }
  }
}

}  // namespace

bool RenderProgram(const Program& program, TemplateOutput output,
                   const RenderContext& context, absl::string_view content,
                   size_t max_output_bytes, std::string* out,
                   std::vector<std::string>* warnings) {
  return Renderer(program, output, context, content, max_output_bytes, out, warnings).Run();
}

}  // namespace helpdesk::templates_internal
