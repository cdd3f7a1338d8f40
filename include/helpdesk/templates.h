// Templates and macros: canned responses, auto-replies and notifications
// written in a small Mustache-like language, rendered as text or HTML over a
// ticket, its requester, agents, organization, SLA due times and host-made
// links; and macros, which apply a template and field changes together.
//
// A pure component: no I/O, no clock (dates come from the values given), no
// shared state. The grammar and the variables are listed in docs/templates.md.
//
//   TemplateSetConfig config;
//   config.templates.push_back({.name = "ack",
//       .text = "Hi {{contact.name | default: \"there\"}},\n"
//               "we received {{ticket.subject}} (#{{ticket.id}})."});
//   absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
//   RenderContext context;  // filled by the host or the Desk
//   context.ticket = ticket;
//   context.contact = requester;
//   absl::StatusOr<RenderedMessage> mail =
//       set->Render("ack", TemplateOutput::kHtml, context);
//
// Thread safety: TemplateSet is immutable and may be shared; every free
// function here is pure.
//
// Rules that protect customers:
//  - Validation happens once, in TemplateSet::Create: an unknown placeholder
//    or helper, an unbalanced or misnested section, or a value that may be
//    absent and has neither a `default:` fallback nor an enclosing
//    `{{#if ...}}` guard is an error naming the template and line:column. A
//    set with any error is refused whole, never half-used.
//  - A validated template never renders a blank where a value is missing:
//    the fallback is used.
//  - In HTML output every value is HTML-escaped (safe in element text and in
//    quoted attributes). Only values the host builds itself (RenderContext's
//    kb_links[].html) are emitted as markup. Text output never escapes.
//  - Internal notes are never rendered: the thread variables read only the
//    customer messages and public replies of RenderContext::thread.
#ifndef HELPDESK_TEMPLATES_H_
#define HELPDESK_TEMPLATES_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_field.h"
#include "helpdesk/export.h"
#include "helpdesk/sla.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/contact.pb.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

enum class TemplateOutput {
  // Plain text: values are copied as they are (an HTML-looking value stays
  // literal).
  kText,
  // HTML: the template's `html` body (or, when it has none, its text body
  // with the text escaped and line breaks as <br>), every value escaped.
  kHtml,
};

// One template (or layout) as written. `html` is optional: when empty, HTML
// output is derived from `text`.
struct TemplateSource {
  std::string name;
  std::string text;
  std::string html;
};

// A template set: bodies, layouts (a header and footer around a body, which
// appears where the layout says {{content}}) and which layout a ticket gets.
struct TemplateSetConfig {
  std::vector<TemplateSource> templates;
  std::vector<TemplateSource> layouts;
  // The layout for tickets no other entry chooses; empty: no layout.
  std::string default_layout;
  // Layout by the ticket's group id, then by RenderContext::brand; the group
  // wins when both match.
  std::map<int64_t, std::string> layout_by_group;
  std::map<std::string, std::string> layout_by_brand;
  // The desk's custom field names: {{ticket.fields.<name>}} must name one.
  std::vector<std::string> custom_fields;
  // Limits: a template's source, and one rendered output. Zero means the
  // default (64 KiB; 1 MiB).
  size_t max_template_bytes = 0;
  size_t max_output_bytes = 0;
};

// A link the host builds (tracking page, KB articles). `html` is markup the
// host made from its own data (never from customer input): it is emitted as
// is in HTML output; text output shows "title <url>" instead.
struct KbLink {
  std::string title;
  std::string url;
  std::string html;
};

// What a template renders over. Only `ticket` and `contact` are required;
// every other object may be absent, and a template must say what to show
// then (a fallback or an {{#if}}).
struct RenderContext {
  v1::Ticket ticket;
  // The requester.
  v1::Contact contact;
  // The ticket's messages in order; internal notes are skipped.
  std::vector<v1::Message> thread;
  std::optional<v1::Organization> organization;
  // The agent acting (the one sending a reply or applying a macro); absent
  // for automatic messages.
  std::optional<v1::Agent> agent;
  // The ticket's assignee and group as records (the ticket holds only ids).
  std::optional<v1::Agent> assignee;
  std::optional<v1::Group> group;
  // The ticket's SLA status (SlaEngine::Evaluate), for sla.<metric>.due_at.
  std::optional<SlaStatus> sla;
  // Host-built: the customer's tracking link, KB links, the brand name.
  std::string tracking_link;
  std::vector<KbLink> kb_links;
  std::string brand;
  // Used when the contact's time zone or locale is missing or unknown.
  absl::TimeZone desk_time_zone = absl::UTCTimeZone();
  std::string desk_locale = "en";
};

struct RenderedMessage {
  std::string body;
  TemplateOutput output = TemplateOutput::kText;
  // The layout used; empty when none.
  std::string layout;
  // Things the reader should know that did not stop rendering, e.g. "contact
  // time zone \"Mars/Base\" is unknown; dates use the desk's zone UTC".
  std::vector<std::string> warnings;
};

// A validated set of templates. Copies share the immutable set.
// Thread safety: immutable after Create; safe to share across threads.
class HELPDESK_EXPORT TemplateSet {
 public:
  // Parses and validates every template and layout. Errors: InvalidArgument
  // listing every problem found (up to 20), each as
  // "template \"<name>\" <line>:<column>: <what>" (layouts as "layout"):
  // unknown placeholder, unknown helper or a helper on a value it does not
  // apply to, unbalanced or misnested section, a value that may be absent
  // with no fallback or guard, a list or object used as a value, a section
  // nesting deeper than 16, a source over the size limit or not UTF-8; a
  // layout without exactly one top-level {{content}} (or {{content}} outside
  // a layout); an empty or duplicate name; a layout_by_* or default_layout
  // naming no layout; an empty custom field name.
  static absl::StatusOr<TemplateSet> Create(const TemplateSetConfig& config);

  // True when a template of this name exists.
  bool Contains(absl::string_view name) const;
  // True when `name` is among the config's custom_fields.
  bool HasCustomField(absl::string_view name) const;

  // The layout a ticket of `context` gets: by group, by brand, the default;
  // empty when none.
  std::string LayoutFor(const RenderContext& context) const;

  // Renders template `name` inside the layout LayoutFor(context) chooses.
  // Dates use the contact's locale and time zone (falling back to the
  // desk's, with a warning). Errors: NotFound for an unknown template name;
  // ResourceExhausted when the output would exceed max_output_bytes (nothing
  // partial is returned). Missing optional values never fail rendering.
  absl::StatusOr<RenderedMessage> Render(absl::string_view name,
                                         TemplateOutput output,
                                         const RenderContext& context) const;

  // As Render, without a layout.
  absl::StatusOr<RenderedMessage> RenderBody(absl::string_view name,
                                             TemplateOutput output,
                                             const RenderContext& context) const;

 private:
  struct Rep;
  explicit TemplateSet(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

// Formats `t` as a date in `locale` ("en", "es", "pt", "fr", "de"; a region
// such as "pt-BR" uses its language; anything else English) and `zone`.
// `pattern` is an absl::FormatTime pattern in which %B, %b, %A and %a are the
// locale's month and weekday names and %-d is the day without padding; empty
// means the locale's default ("December 6, 2026, 09:30";
// "6 de diciembre de 2026, 09:30"; "6 de dezembro de 2026, 09:30";
// "6 décembre 2026 à 09:30"; "6. Dezember 2026, 09:30").
HELPDESK_EXPORT std::string FormatLocalDate(absl::Time t, absl::string_view locale,
                                            absl::TimeZone zone,
                                            absl::string_view pattern = "");

// A macro: field changes and, optionally, a message from a template, applied
// together (one command in the Desk).
struct Macro {
  enum class Message {
    kNone,
    kPublicReply,
    kInternalNote,
  };
  std::string name;
  // The template the message is rendered from; required unless message is
  // kNone, refused when it is.
  std::string template_name;
  Message message = Message::kNone;
  std::optional<std::string> status;
  std::optional<v1::Priority> priority;
  std::optional<v1::TicketType> type;
  std::optional<int64_t> group_id;     // 0 removes from the group
  std::optional<int64_t> assignee_id;  // 0 unassigns
  std::vector<std::string> add_tags;
  std::vector<std::string> remove_tags;
  std::map<std::string, v1::CustomFieldValue> set_custom_fields;
};

struct MacroResult {
  // The changes that alter the ticket (a change to the value it already has
  // is left out), in field order, as the audit log stores them: status,
  // priority, type, assignee, group, tags, custom fields. The Desk applies
  // them and writes them on the command's event.
  google::protobuf::RepeatedPtrField<v1::FieldChange> changes;
  // The ticket with the changes applied.
  v1::Ticket ticket;
  Macro::Message message = Macro::Message::kNone;
  // The message, rendered over the changed ticket (absent for kNone).
  std::optional<RenderedMessage> rendered;
};

// Checks a macro against a template set: a non-empty name, a template that
// exists (and only when there is a message), a non-empty status, a specified
// priority and type, non-negative ids, tags that NormalizeTag accepts, custom
// fields among the set's names. Errors: InvalidArgument naming the macro, the
// field and the value. (Status names are checked by the Desk's workflow.)
HELPDESK_EXPORT absl::Status ValidateMacro(const Macro& macro, const TemplateSet& templates);

// Applies `macro` to context.ticket and renders its message over the changed
// ticket, in `output`. When the macro changes the assignee or group and
// context.assignee / context.group no longer match the ticket, they are
// dropped (so templates fall back) unless the caller passed the new ones.
// Errors: those of ValidateMacro and of TemplateSet::Render.
HELPDESK_EXPORT absl::StatusOr<MacroResult> ApplyMacro(const Macro& macro,
                                                       const TemplateSet& templates,
                                                       TemplateOutput output,
                                                       const RenderContext& context);

}  // namespace helpdesk

#endif  // HELPDESK_TEMPLATES_H_
