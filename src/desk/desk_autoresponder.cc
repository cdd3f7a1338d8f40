// The auto-responder: acknowledgements of new e-mail tickets, with words for
// business hours, out of hours and holidays, never to automatic mail or
// automatic-looking senders, at most so many per contact; every one not sent
// is recorded on the ticket with its reason.
#include "desk/auto_responder.h"
#include "desk/desk_impl.h"

namespace helpdesk {

absl::Status DeskCore::InitAutoResponder() {
  const AutoResponderOptions& o = options_.ingest.auto_responder;
  ack_calendar_.reset();
  ack_holidays_.clear();
  if (o.max_per_contact < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ingest.auto_responder.max_per_contact: ", o.max_per_contact,
                     " is negative"));
  }
  if (o.max_per_contact > 0 && o.window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ingest.auto_responder.window: ", absl::FormatDuration(o.window),
                     " must be positive"));
  }
  if (!o.calendar) return absl::OkStatus();
  absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(*o.calendar);
  if (!calendar.ok()) {
    return Locate(calendar.status(), "ingest.auto_responder.calendar: ");
  }
  ack_calendar_ = *std::move(calendar);
  for (const v1::Holiday& h : o.calendar->holidays()) ack_holidays_.insert(h.date());
  return absl::OkStatus();
}

absl::Status DeskCore::RecordSuppressed(Transaction& tx, const v1::Ticket& t,
                                        absl::string_view what, absl::string_view reason,
                                        absl::Time now) {
  v1::Event e;
  e.set_kind(v1::Event::AUTO_REPLY_SUPPRESSED);
  e.set_note(absl::StrCat(what, " not sent: ", reason));
  return AppendEvent(tx, Viewer::System(), now, t, &e);
}

absl::Status DeskCore::Acknowledge(Transaction& tx, const v1::Ticket& t,
                                   const v1::Contact& requester,
                                   const v1::InboundMessage& m, int64_t message_id,
                                   absl::Time now) {
  using auto_responder::Period;
  const AutoResponderOptions& o = options_.ingest.auto_responder;
  constexpr absl::string_view kWhat = "acknowledgement";
  if (std::optional<std::string> why = auto_responder::SuppressionReason(m)) {
    return RecordSuppressed(tx, t, kWhat, *why, now);
  }
  if (!EmailOf(requester)) {
    return RecordSuppressed(tx, t, kWhat,
                            "the requester has no usable (not bouncing) e-mail address",
                            now);
  }
  // The per-contact limit: one write-once record per acknowledgement sent in
  // the current window.
  if (o.max_per_contact > 0) {
    const int64_t bucket = absl::ToInt64Seconds(now - absl::UnixEpoch()) /
                           std::max<int64_t>(1, absl::ToInt64Seconds(o.window));
    int slot = 0;
    for (; slot < o.max_per_contact; ++slot) {
      absl::StatusOr<std::string> seen = tx.GetIdempotencyRecord(
          "acknowledgement", absl::StrCat(requester.id(), ":", bucket, ":", slot));
      if (absl::IsNotFound(seen.status())) break;
      HELPDESK_RETURN_IF_ERROR(seen.status());
    }
    if (slot == o.max_per_contact) {
      return RecordSuppressed(
          tx, t, kWhat,
          absl::StrCat("contact ", requester.id(), " was already sent ", o.max_per_contact,
                       " in this window of ", absl::FormatDuration(o.window)),
          now);
    }
    HELPDESK_RETURN_IF_ERROR(tx.PutIdempotencyRecord(
        "acknowledgement", absl::StrCat(requester.id(), ":", bucket, ":", slot),
        absl::StrCat(t.id()), now));
  }

  const Period period = auto_responder::PeriodAt(
      ack_calendar_ ? &*ack_calendar_ : nullptr, ack_holidays_, now);
  RenderedParts parts;
  bool rendered = false;
  if (o.templates) {
    std::vector<const std::string*> names;
    if (period == Period::kHoliday) names.push_back(&o.holiday_template);
    if (period != Period::kInHours) names.push_back(&o.out_of_hours_template);
    names.push_back(&o.in_hours_template);
    for (const std::string* name : names) {
      if (!o.templates->Contains(*name)) continue;
      RenderContext context{.ticket = t, .contact = requester};
      if (ack_calendar_) context.desk_time_zone = ack_calendar_->time_zone();
      absl::StatusOr<RenderedMessage> text =
          o.templates->Render(*name, TemplateOutput::kText, context);
      absl::StatusOr<RenderedMessage> html =
          o.templates->Render(*name, TemplateOutput::kHtml, context);
      if (text.ok() && html.ok()) {
        parts.text = std::move(text->body);
        parts.html = std::move(html->body);
        rendered = true;
      }
      break;
    }
  }
  if (!rendered) {
    parts.text = RenderAcknowledgement(options_.ingest.acknowledgement_text, t, requester);
  }
  v1::Message ack_for;
  ack_for.set_id(message_id);
  ack_for.set_kind(v1::Message::CUSTOMER_MESSAGE);
  // The ticket's e-mail thread: the opening message (Acknowledge's contract).
  std::vector<std::string> email_thread;
  if (message_id != 0 && !m.external_id().empty() && m.channel() == v1::CHANNEL_EMAIL) {
    email_thread.push_back(m.external_id());
  }
  return EnqueueReply(tx, t, ack_for, parts, /*automatic=*/true, now, &requester,
                      &email_thread);
}

}  // namespace helpdesk
