// Ingest: channel messages into tickets (threading, join rules, shortening, the
// quarantine).
#include "desk/desk_impl.h"

namespace helpdesk {


std::string DeskCore::EncodeIngest(const IngestResult& r) {
  return absl::StrCat("ok:", static_cast<int>(r.outcome), ":", r.ticket_id, ":",
                      r.message_id, ":", r.contact_id, ":", r.follow_up_of, ":",
                      r.stranger_reply_to);
}

// The result an idempotency record stands for. "quarantined:<id>" reads the
// entry: its release's result once released, else the quarantine.
absl::StatusOr<IngestResult> DeskCore::DecodeIngest(Transaction& tx,
                                                      absl::string_view key,
                                                      absl::string_view value) {
  if (absl::StartsWith(value, "refused:")) {
    return absl::PermissionDeniedError(
        absl::StrCat("message '", key, "' was refused: ", value.substr(8)));
  }
  IngestResult r;
  r.duplicate = true;
  if (absl::ConsumePrefix(&value, "quarantined:")) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(value, &id)) {
      return absl::DataLossError(absl::StrCat(
          "ingest record of '", key, "' is malformed: 'quarantined:", value, "'"));
    }
    HELPDESK_ASSIGN_OR_RETURN(v1::QuarantineEntry e, tx.GetQuarantine(id));
    if (e.state() == v1::QuarantineEntry::RELEASED) {
      r.outcome = static_cast<IngestResult::Outcome>(e.outcome());
      r.ticket_id = e.ticket_id();
      r.message_id = e.message_id();
      r.contact_id = e.contact_id();
      return r;
    }
    r.outcome = IngestResult::Outcome::kQuarantined;
    r.quarantine_id = id;
    r.quarantine_reason = e.reason();
    return r;
  }
  std::vector<absl::string_view> f = absl::StrSplit(value, ':');
  int outcome = 0;
  // Records written before stranger_reply_to have six fields.
  if ((f.size() != 6 && f.size() != 7) || f[0] != "ok" ||
      !absl::SimpleAtoi(f[1], &outcome) || !absl::SimpleAtoi(f[2], &r.ticket_id) ||
      !absl::SimpleAtoi(f[3], &r.message_id) || !absl::SimpleAtoi(f[4], &r.contact_id) ||
      !absl::SimpleAtoi(f[5], &r.follow_up_of) ||
      (f.size() == 7 && !absl::SimpleAtoi(f[6], &r.stranger_reply_to))) {
    return absl::DataLossError(
        absl::StrCat("ingest record of '", key, "' is malformed: '", value, "'"));
  }
  r.outcome = static_cast<IngestResult::Outcome>(outcome);
  return r;
}

absl::StatusOr<v1::Contact> DeskCore::SenderContact(Transaction& tx,
                                                      const v1::Party& from,
                                                      absl::Time now,
                                                      v1::Channel channel) {
  struct Try {
    v1::ContactIdentity::Kind kind;
    const std::string* value;
    const char* field;
  };
  for (Try t :
       {Try{v1::ContactIdentity::EMAIL, &from.email(), "from.email"},
        Try{v1::ContactIdentity::PHONE, &from.phone(), "from.phone"},
        Try{v1::ContactIdentity::CHAT, &from.chat_handle(), "from.chat_handle"}}) {
    if (t.value->empty()) continue;
    HELPDESK_ASSIGN_OR_RETURN(std::string v,
                              NormalizeIdentity(t.field, t.kind, *t.value));
    HELPDESK_ASSIGN_OR_RETURN(v1::Contact c,
                              FindOrCreateContact(tx, t.kind, v, from.name(), now));
    return c;
  }
  if (channel == v1::CHANNEL_EMAIL) {
    // Real mail can come without any usable sender (a bare "mailer-daemon",
    // a damaged header). It is kept, from one shared contact whose reserved
    // address (RFC 2606 ".invalid") is marked bouncing, so nothing is ever
    // sent to it.
    absl::StatusOr<v1::Contact> unknown =
        tx.FindContactByIdentity(v1::ContactIdentity::EMAIL, kUnknownSender);
    if (unknown.ok() || !absl::IsNotFound(unknown.status())) return unknown;
    v1::Contact c;
    c.set_name("Unknown sender");
    v1::ContactIdentity* id = c.add_identities();
    id->set_kind(v1::ContactIdentity::EMAIL);
    id->set_value(std::string(kUnknownSender));
    id->set_bouncing(true);
    *c.mutable_created_at() = ToTimestamp(now);
    *c.mutable_updated_at() = ToTimestamp(now);
    HELPDESK_RETURN_IF_ERROR(tx.InsertContact(&c));
    return c;
  }
  return absl::InvalidArgumentError(
      "from: the message has no sender e-mail, phone or chat handle");
}

// Marks the contacts' addresses that bounced.
absl::Status DeskCore::MarkBounced(Transaction& tx, const v1::InboundMessage& m,
                                     absl::Time now) {
  for (const std::string& address : m.bounced_recipients()) {
    absl::StatusOr<std::string> email =
        internal::NormalizeEmail("bounced_recipients", address);
    if (!email.ok()) continue;  // a damaged report: nothing to mark
    absl::StatusOr<v1::Contact> c =
        tx.FindContactByIdentity(v1::ContactIdentity::EMAIL, *email);
    if (absl::IsNotFound(c.status())) continue;
    HELPDESK_RETURN_IF_ERROR(c.status());
    bool changed = false;
    for (v1::ContactIdentity& id : *c->mutable_identities()) {
      if (id.kind() == v1::ContactIdentity::EMAIL && id.value() == *email &&
          !id.bouncing()) {
        id.set_bouncing(true);
        changed = true;
      }
    }
    if (!changed) continue;
    *c->mutable_updated_at() = ToTimestamp(now);
    HELPDESK_RETURN_IF_ERROR(tx.UpdateContact(&*c, c->version()));
  }
  return absl::OkStatus();
}

// Remembers the To and Cc addresses of `parties` (but the desk's own) as
// addressed on ticket `ticket_id`.
absl::Status DeskCore::RememberAddressed(
    Transaction& tx, int64_t ticket_id,
    std::initializer_list<const google::protobuf::RepeatedPtrField<v1::Party>*> parties) {
  for (const auto* list : parties) {
    for (const v1::Party& p : *list) {
      if (p.email().empty()) continue;
      absl::StatusOr<std::string> email = internal::NormalizeEmail("to", p.email());
      if (!email.ok() || IsDeskAddress(*email)) continue;
      HELPDESK_RETURN_IF_ERROR(
          tx.PutThreadKey(AddressedKey(ticket_id, *email), ticket_id));
    }
  }
  return absl::OkStatus();
}

// Whether `sender`, who is neither the requester nor a CC of `ticket`, may
// join its thread: an active agent, or addressed on a message of the ticket
// (or of `matched`, the ticket the message ids named before following
// merges).
absl::StatusOr<bool> DeskCore::MayJoin(Transaction& tx, const v1::Ticket& ticket,
                                         int64_t matched, const v1::Contact& sender) {
  std::vector<std::string> emails;
  for (const v1::ContactIdentity& id : sender.identities()) {
    if (id.kind() == v1::ContactIdentity::EMAIL) emails.push_back(id.value());
  }
  if (emails.empty()) return false;
  for (const std::string& email : emails) {
    for (int64_t tid : {ticket.id(), matched}) {
      absl::StatusOr<int64_t> t = tx.FindThreadKey(AddressedKey(tid, email));
      if (t.ok()) return true;
      if (!absl::IsNotFound(t.status())) return t.status();
      if (matched == ticket.id()) break;
    }
  }
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> agents, tx.ListAgents());
  for (const v1::Agent& agent : agents) {
    if (agent.deactivated()) continue;
    if (std::find(emails.begin(), emails.end(), agent.email()) != emails.end())
      return true;
  }
  return false;
}

// The ticket a message belongs to.
absl::StatusOr<DeskCore::ThreadMatch> DeskCore::FindThread(
    Transaction& tx, const v1::InboundMessage& m, int64_t sender) {
  ThreadMatch match;
  const v1::ThreadingKeys& k = m.threading();
  std::vector<std::string> ids;
  if (!k.in_reply_to().empty()) ids.push_back(k.in_reply_to());
  for (auto it = k.references().rbegin(); it != k.references().rend(); ++it) {
    if (!it->empty()) ids.push_back(*it);
  }
  int64_t found = 0;
  for (const std::string& id : ids) {
    absl::StatusOr<int64_t> t = tx.FindThreadKey(absl::StrCat("msgid:", id));
    if (t.ok()) {
      found = *t;
      match.by_message_id = true;
      break;
    }
    if (!absl::IsNotFound(t.status())) return t.status();
  }
  if (found == 0 && k.ticket_token() > 0) {
    absl::StatusOr<v1::Ticket> t = tx.GetTicket(k.ticket_token());
    if (t.ok() && TakesPart(*t, sender)) found = t->id();
    if (!t.ok() && !absl::IsNotFound(t.status())) return t.status();
  }
  if (found == 0 && !k.chat_session_id().empty()) {
    absl::StatusOr<int64_t> t =
        tx.FindThreadKey(absl::StrCat("chat:", k.chat_session_id()));
    if (t.ok()) found = *t;
    if (!t.ok() && !absl::IsNotFound(t.status())) return t.status();
  }
  match.matched_id = found;
  // Follow merges to the surviving ticket.
  for (int hop = 0; found != 0 && hop < 16; ++hop) {
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(found));
    if (t.merged_into() == 0) break;
    found = t.merged_into();
  }
  match.ticket_id = found;
  return match;
}

std::vector<AttachmentUpload> DeskCore::Uploads(const v1::InboundMessage& m) {
  std::vector<AttachmentUpload> out;
  for (const v1::InboundAttachment& a : m.attachments()) {
    out.push_back({.file_name = a.file_name().empty() ? "attachment" : a.file_name(),
                   .media_type = a.media_type().empty() ? "application/octet-stream"
                                                        : a.media_type(),
                   .content = a.content(),
                   .content_id = a.content_id(),
                   .is_inline = a.inline_()});
  }
  return out;
}

std::string DeskCore::RenderAcknowledgement(std::string text, const v1::Ticket& t,
                                              const v1::Contact& requester) {
  return absl::StrReplaceAll(text, {{"{{ticket.id}}", absl::StrCat(t.id())},
                                    {"{{ticket.subject}}", t.subject()},
                                    {"{{requester.name}}", requester.name()}});
}

// The idempotency key of an inbound message: its own, else
// "<CHANNEL>:<external_id>". Errors: InvalidArgument.
absl::StatusOr<std::string> DeskCore::IngestKey(const v1::InboundMessage& message) {
  std::string key = message.idempotency_key();
  if (key.empty() && !message.external_id().empty()) {
    key = absl::StrCat(v1::Channel_Name(message.channel()), ":", message.external_id());
  }
  if (key.empty()) {
    return absl::InvalidArgumentError(
        "idempotency_key: empty, and there is no external_id to derive it from");
  }
  if (key.size() > 2048) {
    return absl::InvalidArgumentError(
        absl::StrCat("idempotency_key is ", key.size(), " bytes, over 2048"));
  }
  HELPDESK_RETURN_IF_ERROR(CheckText("idempotency_key", key, 2048));
  return key;
}

// The checks of an inbound message that need no store; returns its
// attachments as uploads (possibly more than one message may carry: Ingest
// spreads them). Errors: InvalidArgument naming the field.
absl::StatusOr<std::vector<AttachmentUpload>> DeskCore::CheckInbound(
    const v1::InboundMessage& m) {
  const DeskLimits& lim = options_.limits;
  if (!v1::Channel_IsValid(m.channel()) || m.channel() == v1::CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel ", static_cast<int>(m.channel()), " is not a channel"));
  }
  HELPDESK_RETURN_IF_ERROR(CheckText("subject", m.subject(), lim.max_subject_bytes));
  HELPDESK_RETURN_IF_ERROR(CheckBodies("body", m.body_text(), m.body_html()));
  HELPDESK_RETURN_IF_ERROR(CheckText("external_id", m.external_id(), 998));
  std::vector<AttachmentUpload> uploads = Uploads(m);
  HELPDESK_RETURN_IF_ERROR(
      CheckAttachments("attachments", uploads, /*check_count=*/false));
  return uploads;
}

// Which failures of an ingest are the message's (held in the quarantine)
// rather than the store's (returned: ingest it again later).
//
// The message's: what the Desk's checks say about it (InvalidArgument naming
// the field, FailedPrecondition/NotFound/AlreadyExists/OutOfRange about what
// it refers to, PermissionDenied). The store's, returned so the source keeps
// the message and tries again: Unavailable (busy, I/O error), Aborted,
// ResourceExhausted (disk full), DataLoss, and Internal/Unknown (a store that
// cannot say more: read-only file, out of memory) — holding good mail in the
// quarantine because the disk failed would be wrong.
bool DeskCore::Quarantinable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

// Holds `m` in the quarantine under `key`, with the reason `why`.
absl::StatusOr<IngestResult> DeskCore::QuarantineInTx(Transaction& tx,
                                                        const v1::InboundMessage& m,
                                                        const std::string& key,
                                                        const absl::Status& why) {
  absl::Time now = Now();
  v1::QuarantineEntry e;
  e.set_state(v1::QuarantineEntry::HELD);
  e.set_channel(m.channel());
  e.set_source(m.source());
  e.set_idempotency_key(key);
  e.set_reason(std::string(why.message()));
  e.set_reason_code(static_cast<int>(why.code()));
  *e.mutable_message() = m;
  if (internal::RepairUtf8Fields(e.mutable_message())) {
    // Text that is not UTF-8 cannot be stored as text: the entry holds a
    // repaired copy (U+FFFD), a retry ingests that, and `raw` keeps the
    // message's exact bytes.
    e.set_raw(m.SerializePartialAsString());
  }
  e.set_source(e.message().source());
  *e.mutable_quarantined_at() = ToTimestamp(now);
  HELPDESK_RETURN_IF_ERROR(tx.InsertQuarantine(&e));
  HELPDESK_RETURN_IF_ERROR(
      tx.PutIdempotencyRecord("ingest", key, absl::StrCat("quarantined:", e.id()), now));
  IngestResult r;
  r.outcome = IngestResult::Outcome::kQuarantined;
  r.quarantine_id = e.id();
  r.quarantine_reason = e.reason();
  return r;
}

// Quarantines `m` in its own transaction after its ingest failed with
// `why` (or finds what a concurrent ingest of it recorded meanwhile).
absl::StatusOr<IngestResult> DeskCore::QuarantineAlone(const v1::InboundMessage& m,
                                                         const std::string& key,
                                                         const absl::Status& why) {
  return Run(IngestTransaction(),
             [&](Transaction& tx) -> absl::StatusOr<IngestResult> {
               absl::StatusOr<std::string> seen = tx.GetIdempotencyRecord("ingest", key);
               if (seen.ok()) return DecodeIngest(tx, key, *seen);
               if (!absl::IsNotFound(seen.status())) return seen.status();
               return QuarantineInTx(tx, m, key, why);
             });
}

// One message inside `tx`, as Inbox::Ingest takes it: a replayed key gives
// the first result (or refusal); else the message is shortened where it is
// merely large, checked (a message that fails the checks is quarantined
// here) and ingested. `refusal` is set (and the record kept) for a blocked
// sender. On failure, `*may_have_written` tells whether the message may
// have written to `tx` (false only when it failed on its idempotency
// record).
absl::StatusOr<IngestResult> DeskCore::IngestMessage(Transaction& tx,
                                                       const v1::InboundMessage& m,
                                                       const std::string& key,
                                                       absl::Status* refusal,
                                                       bool* may_have_written) {
  *may_have_written = false;
  absl::StatusOr<std::string> seen = tx.GetIdempotencyRecord("ingest", key);
  if (seen.ok()) return DecodeIngest(tx, key, *seen);
  if (!absl::IsNotFound(seen.status())) {
    *may_have_written = true;  // a store failure: the transaction is suspect
    return seen.status();
  }
  *may_have_written = true;
  return IngestChecked(tx, m, key, /*record_key=*/true, refusal);
}

// Shortens, checks and ingests `m`. With record_key, a message that fails
// its checks is quarantined and the result is recorded under `key`;
// without (a retry from the quarantine), failures are returned and nothing
// is recorded.
absl::StatusOr<IngestResult> DeskCore::IngestChecked(Transaction& tx,
                                                       const v1::InboundMessage& m,
                                                       const std::string& key,
                                                       bool record_key,
                                                       absl::Status* refusal) {
  std::optional<internal::DegradedMessage> degraded = internal::DegradeInbound(
      m, {.max_subject_bytes = options_.limits.max_subject_bytes,
          .max_body_bytes = options_.limits.max_body_bytes,
          .max_attachment_bytes = options_.limits.max_attachment_bytes});
  const v1::InboundMessage& msg = degraded ? degraded->message : m;
  absl::StatusOr<std::vector<AttachmentUpload>> uploads = CheckInbound(msg);
  if (!uploads.ok()) {
    if (!record_key) return uploads.status();
    return QuarantineInTx(tx, m, key, uploads.status());
  }
  HELPDESK_ASSIGN_OR_RETURN(IngestResult r, Ingest(tx, msg, key, *std::move(uploads),
                                                   Now(), refusal, record_key));
  if (degraded) r.degraded = std::move(degraded->notes);
  return r;
}

// Adds `extra` attachments (those beyond the per-message limit) to ticket
// `ticket_id` in further messages of `kind` by `actor`, as many as it takes.
absl::Status DeskCore::AddOverflowAttachments(Transaction& tx, const v1::Actor& actor,
                                                int64_t ticket_id, v1::Message::Kind kind,
                                                v1::Channel channel, size_t first,
                                                std::vector<AttachmentUpload> extra,
                                                bool allow_closed) {
  const size_t per = options_.limits.max_attachments_per_message;
  const size_t total = first + extra.size();
  for (size_t start = 0; start < extra.size(); start += per) {
    const size_t end = std::min(extra.size(), start + per);
    MessageDraft more{
        .kind = kind,
        .body_text = absl::StrCat("(attachments ", first + start + 1, " to ", first + end,
                                  " of ", total, " of the message above)"),
        .channel = channel};
    more.attachments.assign(std::make_move_iterator(extra.begin() + start),
                            std::make_move_iterator(extra.begin() + end));
    HELPDESK_RETURN_IF_ERROR(
        AddMessage(tx, actor, ticket_id, more, allow_closed).status());
  }
  return absl::OkStatus();
}

// One Ingest of a checked message (see CheckInbound, which gave
// `uploads`); `refusal` is set (and, with record_key, the record kept) for
// a blocked sender.
absl::StatusOr<IngestResult> DeskCore::Ingest(Transaction& tx,
                                                const v1::InboundMessage& m,
                                                const std::string& key,
                                                std::vector<AttachmentUpload> uploads,
                                                absl::Time now, absl::Status* refusal,
                                                bool record_key) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Contact sender,
                            SenderContact(tx, m.from(), now, m.channel()));
  IngestResult r;
  r.contact_id = sender.id();
  if (sender.blocked()) {
    if (record_key) {
      HELPDESK_RETURN_IF_ERROR(tx.PutIdempotencyRecord(
          "ingest", key, absl::StrCat("refused:contact ", sender.id(), " is blocked"),
          now));
    }
    *refusal = absl::PermissionDeniedError(absl::StrCat(
        "from: contact ", sender.id(), " is blocked; the message was refused"));
    return r;
  }
  // Mail from one of the desk's own addresses is a loop (the desk's own
  // reply coming back): recorded as automatic, never answered.
  const bool from_desk = m.channel() == v1::CHANNEL_EMAIL && !m.from().email().empty() &&
                         IsDeskAddress(absl::AsciiStrToLower(m.from().email()));
  const bool automatic = m.auto_kind() == v1::InboundMessage::AUTO_REPLY ||
                         m.auto_kind() == v1::InboundMessage::BOUNCE || from_desk;
  if (m.auto_kind() == v1::InboundMessage::BOUNCE) {
    HELPDESK_RETURN_IF_ERROR(MarkBounced(tx, m, now));
  }
  HELPDESK_ASSIGN_OR_RETURN(ThreadMatch match, FindThread(tx, m, sender.id()));
  std::optional<v1::Ticket> ticket;
  if (match.ticket_id != 0) {
    HELPDESK_ASSIGN_OR_RETURN(ticket, tx.GetTicket(match.ticket_id));
  }
  const bool closed = ticket && ticket->status_category() == v1::STATUS_CATEGORY_CLOSED;
  // A sender who threads in by message id without taking part in the
  // ticket must have been addressed on it (IngestOptions::stranger_reply).
  bool stranger = false;
  if (ticket && !automatic && match.by_message_id && !TakesPart(*ticket, sender.id())) {
    HELPDESK_ASSIGN_OR_RETURN(bool may_join,
                              MayJoin(tx, *ticket, match.matched_id, sender));
    stranger = !may_join;
  }
  // Attachments beyond the per-message limit follow in further messages.
  std::vector<AttachmentUpload> overflow;
  const size_t per_message = options_.limits.max_attachments_per_message;
  if (uploads.size() > per_message) {
    overflow.assign(std::make_move_iterator(uploads.begin() + per_message),
                    std::make_move_iterator(uploads.end()));
    uploads.resize(per_message);
  }
  v1::Actor channel_actor =
      IntegrationActor(absl::AsciiStrToLower(v1::Channel_Name(m.channel())));
  const std::string from = m.from().email().empty() ? m.from().name() : m.from().email();
  const IngestOptions& io = options_.ingest;

  if (automatic ||
      (closed &&
       io.closed_ticket_reply == IngestOptions::ClosedTicketReply::kInternalNote) ||
      (stranger && io.stranger_reply == IngestOptions::StrangerReply::kInternalNote)) {
    // Recorded for agents as an internal note (on a closed ticket too),
    // never answered, never reopening anything, never adding the sender.
    r.outcome = automatic ? IngestResult::Outcome::kRecordedAutomatic
                          : IngestResult::Outcome::kAppended;
    if (ticket) {
      std::string prefix = absl::StrCat(
          automatic
              ? (m.auto_kind() == v1::InboundMessage::BOUNCE ? "Delivery failure report"
                                                             : "Automatic reply")
          : stranger ? "Message from someone who is not on this ticket (not added to it)"
                     : "Reply to this closed ticket",
          " from ", from, ":\n\n");
      bool attach_whole = false;
      MessageDraft note{.kind = v1::Message::INTERNAL_NOTE,
                        .body_text = internal::FitWithPrefix(
                            prefix, m.body_text(), options_.limits.max_body_bytes,
                            options_.limits.max_attachment_bytes, &attach_whole),
                        .body_html = m.body_html(),
                        .attachments = std::move(uploads),
                        .channel = m.channel(),
                        .external_id = m.external_id()};
      if (attach_whole) {
        note.attachments.push_back({.file_name = "message.txt",
                                    .media_type = "text/plain; charset=utf-8",
                                    .content = m.body_text()});
        if (note.attachments.size() > per_message) {
          overflow.insert(overflow.begin(), std::move(note.attachments.back()));
          note.attachments.pop_back();
        }
      }
      HELPDESK_ASSIGN_OR_RETURN(
          v1::Message note_message,
          AddMessage(tx, channel_actor, ticket->id(), note, /*allow_closed=*/true));
      r.ticket_id = ticket->id();
      r.message_id = note_message.id();
      if (stranger) r.stranger_reply_to = ticket->id();
      HELPDESK_RETURN_IF_ERROR(AddOverflowAttachments(
          tx, channel_actor, ticket->id(), v1::Message::INTERNAL_NOTE, m.channel(),
          note.attachments.size(), std::move(overflow), /*allow_closed=*/true));
    }
  } else if (ticket && !closed && !stranger) {
    // Joins the ticket; a sender found by message id who is not yet on it
    // (a reply-all from someone addressed on the thread) becomes a CC.
    if (!TakesPart(*ticket, sender.id())) {
      TicketUpdate add_cc;
      add_cc.add_cc_contact_ids = {sender.id()};
      HELPDESK_RETURN_IF_ERROR(Update(tx, channel_actor, ticket->id(), add_cc).status());
    }
    MessageDraft draft{.kind = v1::Message::CUSTOMER_MESSAGE,
                       .body_text = m.body_text(),
                       .body_html = m.body_html(),
                       .attachments = std::move(uploads),
                       .channel = m.channel(),
                       .external_id = m.external_id()};
    if (draft.body_text.empty() && draft.body_html.empty() && draft.attachments.empty()) {
      draft.body_text = "(empty message)";
    }
    HELPDESK_ASSIGN_OR_RETURN(
        v1::Message message,
        AddMessage(tx, ContactActor(sender.id()), ticket->id(), draft));
    r.outcome = IngestResult::Outcome::kAppended;
    r.ticket_id = ticket->id();
    r.message_id = message.id();
    HELPDESK_RETURN_IF_ERROR(AddOverflowAttachments(
        tx, ContactActor(sender.id()), ticket->id(), v1::Message::CUSTOMER_MESSAGE,
        m.channel(), draft.attachments.size(), std::move(overflow), false));
    HELPDESK_RETURN_IF_ERROR(RememberAddressed(tx, ticket->id(), {&m.to(), &m.cc()}));
  } else {
    // A new ticket: the first message of a thread, a follow-up of a closed
    // ticket, or a stranger's reply (linked to the ticket they replied to).
    const Access as_sender = Viewer::OfContact(sender);
    NewTicket nt;
    nt.subject = absl::StripAsciiWhitespace(m.subject()).empty()
                     ? std::string("(no subject)")
                     : m.subject();
    nt.requester_id = sender.id();
    nt.description = m.body_text();
    nt.description_html = m.body_html();
    nt.attachments = std::move(uploads);
    nt.channel = m.channel();
    nt.external_id = m.external_id();
    for (const auto* parties : {&m.cc(), &m.to()}) {
      for (const v1::Party& p : *parties) {
        if (p.email().empty()) continue;
        absl::StatusOr<std::string> normalized = internal::NormalizeEmail("cc", p.email());
        if (normalized.ok() && IsDeskAddress(*normalized)) continue;
        if (parties == &m.to() && !desk_address_set_.empty()) {
          continue;  // other addresses the mail went to are not copied
        }
        absl::StatusOr<v1::Contact> cc = SenderContact(tx, p, now);
        // A malformed CC address does not lose the mail; a store failure
        // fails the ingest (else the ticket would lack the CC, for good).
        if (absl::IsInvalidArgument(cc.status())) continue;
        if (!cc.ok()) return cc.status();
        if (cc->id() != sender.id() &&
            nt.cc_contact_ids.size() < options_.limits.max_ccs) {
          nt.cc_contact_ids.push_back(cc->id());
        }
      }
    }
    const size_t first_attachments = nt.attachments.size();
    // `sender` is as stored: nothing since SenderContact changed it (the CCs
    // are found or created, never updated).
    TicketOrigin origin{.conversation_id = m.threading().chat_session_id(),
                        .desk_address = DeskAddressOf(m),
                        .requester = &sender};
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket made,
                              CreateOne(tx, as_sender, nt, now, &r.message_id, &origin));
    r.outcome = IngestResult::Outcome::kCreatedTicket;
    r.ticket_id = made.id();
    if (ticket) {
      (stranger ? r.stranger_reply_to : r.follow_up_of) = ticket->id();
      HELPDESK_RETURN_IF_ERROR(
          Link(tx, SystemActor(), made.id(), v1::TicketLink::RELATED, ticket->id())
              .status());
      HELPDESK_ASSIGN_OR_RETURN(made, tx.GetTicket(made.id()));
    }
    HELPDESK_RETURN_IF_ERROR(AddOverflowAttachments(
        tx, ContactActor(sender.id()), made.id(), v1::Message::CUSTOMER_MESSAGE,
        m.channel(), first_attachments, std::move(overflow), false));
    HELPDESK_RETURN_IF_ERROR(RememberAddressed(tx, made.id(), {&m.to(), &m.cc()}));
    if (io.acknowledge_new_tickets && m.channel() == v1::CHANNEL_EMAIL &&
        !desk_address_set_.empty()) {
      HELPDESK_RETURN_IF_ERROR(Acknowledge(tx, made, sender, m, r.message_id, now));
    }
  }
  // A stranger's message id stays off the old ticket: replies to it must
  // not thread there either.
  const bool joined_old = r.stranger_reply_to == 0 || r.ticket_id != r.stranger_reply_to;
  if (r.ticket_id != 0 && joined_old) {
    if (!m.threading().message_id().empty()) {
      HELPDESK_RETURN_IF_ERROR(tx.PutThreadKey(
          absl::StrCat("msgid:", m.threading().message_id()), r.ticket_id));
    }
    if (!m.threading().chat_session_id().empty()) {
      HELPDESK_RETURN_IF_ERROR(tx.PutThreadKey(
          absl::StrCat("chat:", m.threading().chat_session_id()), r.ticket_id));
    }
  }
  if (record_key) {
    HELPDESK_RETURN_IF_ERROR(
        tx.PutIdempotencyRecord("ingest", key, EncodeIngest(r), now));
  }
  return r;
}

absl::StatusOr<IngestResult> Inbox::Ingest(const v1::InboundMessage& message) {
  absl::StatusOr<std::string> key = DeskCore::IngestKey(message);
  if (!key.ok()) {
    return impl_->QuarantineAlone(message, DeskCore::UnkeyedQuarantineKey(message),
                                  key.status());
  }
  absl::Status refusal;
  absl::StatusOr<IngestResult> r = impl_->Run(
      impl_->IngestTransaction(), [&](Transaction& tx) -> absl::StatusOr<IngestResult> {
        bool may_have_written = false;
        return impl_->IngestMessage(tx, message, *key, &refusal, &may_have_written);
      });
  if (!refusal.ok()) return refusal;
  if (!r.ok() && DeskCore::Quarantinable(r.status())) {
    return impl_->QuarantineAlone(message, *key, r.status());
  }
  return r;
}

// One transaction runs the messages [begin, end) in order. When a message
// fails after it may have written (a failure Ingest alone would roll back),
// that transaction is rolled back and run again for the messages before it;
// the failing message then runs alone, exactly as Ingest would, and the rest
// follow in a new transaction. So each message's result is what Ingest would
// have returned at its place in the sequence.
absl::StatusOr<std::vector<absl::StatusOr<IngestResult>>> Inbox::IngestBatch(
    absl::Span<const v1::InboundMessage> messages) {
  const size_t max_batch = impl_->options().limits.max_batch;
  if (messages.size() > max_batch) {
    return absl::InvalidArgumentError(absl::StrCat("messages: ", messages.size(),
                                                   " messages, over the limit of ",
                                                   max_batch, " per batch"));
  }
  std::vector<absl::StatusOr<IngestResult>> results(
      messages.size(), absl::InternalError("message not ingested"));
  std::vector<absl::StatusOr<std::string>> keys;
  keys.reserve(messages.size());
  for (const v1::InboundMessage& m : messages) keys.push_back(DeskCore::IngestKey(m));

  size_t begin = 0;
  size_t end = messages.size();
  while (begin < messages.size()) {
    size_t failed = end;
    absl::Status failure;
    absl::StatusOr<bool> done = impl_->Run(
        impl_->IngestTransaction(), [&](Transaction& tx) -> absl::StatusOr<bool> {
          for (size_t i = begin; i < end; ++i) {
            if (!keys[i].ok()) continue;  // quarantined below, on its own
            absl::Status refusal;
            bool may_have_written = false;
            absl::StatusOr<IngestResult> r = impl_->IngestMessage(
                tx, messages[i], *keys[i], &refusal, &may_have_written);
            if (!r.ok() && may_have_written) {
              failed = i;
              failure = r.status();
              return failure;  // rolls this transaction back
            }
            if (!refusal.ok()) {
              results[i] = refusal;
            } else {
              results[i] = std::move(r);
            }
          }
          return true;
        });
    if (failed == end) {
      // Committed, or the transaction could not begin or commit: then none of
      // its messages is stored, and each says why.
      if (!done.ok()) {
        for (size_t i = begin; i < end; ++i) {
          if (results[i].ok()) results[i] = done.status();
        }
      }
      begin = end;
      end = messages.size();
    } else if (failed == begin) {
      // It ran alone in its transaction: its failure is its result, or it is
      // quarantined when the failure is the message's.
      results[begin] =
          DeskCore::Quarantinable(failure)
              ? impl_->QuarantineAlone(messages[begin], *keys[begin], failure)
              : absl::StatusOr<IngestResult>(failure);
      ++begin;
      end = messages.size();
    } else {
      end = failed;  // the messages before it, without it
    }
  }
  // Messages without a usable idempotency key are held by their content's
  // hash, after the others (their order does not matter: nothing threads
  // onto a quarantined message).
  for (size_t i = 0; i < messages.size(); ++i) {
    if (keys[i].ok()) continue;
    results[i] = impl_->QuarantineAlone(
        messages[i], DeskCore::UnkeyedQuarantineKey(messages[i]), keys[i].status());
  }
  return results;
}

absl::StatusOr<v1::QuarantineEntry> Inbox::QuarantineRaw(v1::Channel channel,
                                                        absl::string_view source,
                                                        absl::string_view raw,
                                                        absl::string_view reason) {
  if (!v1::Channel_IsValid(channel) || channel == v1::CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel ", static_cast<int>(channel), " is not a channel"));
  }
  if (absl::StripAsciiWhitespace(reason).empty()) {
    return absl::InvalidArgumentError("reason must not be empty");
  }
  const std::string key = absl::StrCat("raw:", v1::Channel_Name(channel), ":",
                                       internal::Sha256Hex(raw), ":", raw.size());
  return impl_->Run(
      impl_->IngestTransaction(),
      [&](Transaction& tx) -> absl::StatusOr<v1::QuarantineEntry> {
        absl::StatusOr<std::string> seen = tx.GetIdempotencyRecord("ingest", key);
        int64_t id = 0;
        absl::string_view record = seen.ok() ? absl::string_view(*seen) : "";
        if (absl::ConsumePrefix(&record, "quarantined:") &&
            absl::SimpleAtoi(record, &id)) {
          return tx.GetQuarantine(id);
        }
        if (!seen.ok() && !absl::IsNotFound(seen.status())) return seen.status();
        absl::Time now = impl_->Now();
        v1::QuarantineEntry e;
        e.set_state(v1::QuarantineEntry::HELD);
        e.set_channel(channel);
        e.set_source(std::string(source));
        e.set_idempotency_key(key);
        e.set_reason(std::string(reason));
        e.set_reason_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
        e.set_raw(std::string(raw));
        internal::RepairUtf8Fields(&e);  // source and reason are text
        *e.mutable_quarantined_at() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.InsertQuarantine(&e));
        if (seen.ok()) return e;  // an unreadable record: keep the bytes anyway
        HELPDESK_RETURN_IF_ERROR(tx.PutIdempotencyRecord(
            "ingest", key, absl::StrCat("quarantined:", e.id()), now));
        return e;
      });
}

absl::StatusOr<std::vector<v1::QuarantineEntry>> Inbox::ListQuarantine(
    const v1::Actor& viewer, std::optional<v1::QuarantineEntry::State> state,
    int64_t after_id, int limit) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::QuarantineEntry>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadQuarantine));
        return tx.ListQuarantine(state, after_id, limit);
      });
}

absl::StatusOr<v1::QuarantineEntry> Inbox::GetQuarantined(const v1::Actor& viewer,
                                                         int64_t entry_id) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<v1::QuarantineEntry> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadQuarantine));
        return tx.GetQuarantine(entry_id);
      });
}

absl::StatusOr<IngestResult> Inbox::RetryQuarantined(
    const v1::Actor& actor, int64_t entry_id,
    const std::function<absl::StatusOr<v1::InboundMessage>(absl::string_view raw)>&
        parse) {
  bool attempted = false;  // the failure, if any, is the message's, not the call's
  absl::Status refusal;
  absl::StatusOr<IngestResult> r = impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<IngestResult> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(
Authorize(a, Action::kManageQuarantine));
        HELPDESK_ASSIGN_OR_RETURN(v1::QuarantineEntry e, tx.GetQuarantine(entry_id));
        if (e.state() != v1::QuarantineEntry::HELD) {
          return absl::FailedPreconditionError(
              absl::StrCat("quarantine entry ", entry_id, " is ",
                           v1::QuarantineEntry::State_Name(e.state()), ", not HELD"));
        }
        v1::InboundMessage m;
        if (e.has_message()) {
          m = e.message();
        } else if (e.raw().empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "quarantine entry ", entry_id,
              " holds no bytes (the source could not read them whole): ingest the "
              "original again from ",
              e.source().empty() ? "its source" : e.source()));
        } else if (!parse) {
          return absl::FailedPreconditionError(absl::StrCat(
              "quarantine entry ", entry_id,
              " holds raw bytes only: pass the channel's parser to read them"));
        } else {
          attempted = true;
          HELPDESK_ASSIGN_OR_RETURN(m, parse(e.raw()));
          if (m.source().empty()) m.set_source(e.source());
        }
        attempted = true;
        // Parsed raw bytes have a key of their own, which may have been
        // ingested meanwhile (the same mail read again): that result stands.
        std::string key = e.idempotency_key();
        bool record_key = false;
        if (!e.has_message()) {
          absl::StatusOr<std::string> own = DeskCore::IngestKey(m);
          if (own.ok()) {
            key = *own;
            record_key = true;
          }
        }
        absl::StatusOr<IngestResult> result;
        absl::StatusOr<std::string> seen =
            record_key ? tx.GetIdempotencyRecord("ingest", key)
                       : absl::StatusOr<std::string>(absl::NotFoundError(""));
        if (seen.ok()) {
          result = DeskCore::DecodeIngest(tx, key, *seen);
        } else if (!absl::IsNotFound(seen.status())) {
          return seen.status();
        } else {
          result = impl_->IngestChecked(tx, m, key, /*record_key=*/false, &refusal);
          if (result.ok() && record_key) {
            HELPDESK_RETURN_IF_ERROR(tx.PutIdempotencyRecord(
                "ingest", key, absl::StrCat("quarantined:", e.id()), impl_->Now()));
          }
        }
        if (!result.ok()) return result.status();
        if (!refusal.ok()) return refusal;
        if (result->outcome == IngestResult::Outcome::kQuarantined) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the message is held as quarantine entry ", result->quarantine_id));
        }
        e.set_state(v1::QuarantineEntry::RELEASED);
        e.set_retries(e.retries() + 1);
        *e.mutable_resolved_at() = ToTimestamp(impl_->Now());
        *e.mutable_resolved_by() = actor;
        e.set_outcome(static_cast<int>(result->outcome));
        e.set_ticket_id(result->ticket_id);
        e.set_message_id(result->message_id);
        e.set_contact_id(result->contact_id);
        HELPDESK_RETURN_IF_ERROR(tx.UpdateQuarantine(e));
        result->duplicate = false;
        return result;
      });
  if (!r.ok() && attempted && DeskCore::Quarantinable(r.status())) {
    // The entry stays HELD; it says why the retry failed.
    impl_
        ->Run(TransactionMode::kReadWrite,
              [&](Transaction& tx) -> absl::StatusOr<bool> {
                HELPDESK_ASSIGN_OR_RETURN(v1::QuarantineEntry e,
                                          tx.GetQuarantine(entry_id));
                if (e.state() != v1::QuarantineEntry::HELD) return false;
                e.set_reason(std::string(r.status().message()));
                e.set_reason_code(static_cast<int>(r.status().code()));
                e.set_retries(e.retries() + 1);
                *e.mutable_resolved_at() = ToTimestamp(impl_->Now());
                *e.mutable_resolved_by() = actor;
                HELPDESK_RETURN_IF_ERROR(tx.UpdateQuarantine(e));
                return true;
              })
        .IgnoreError();
  }
  return r;
}

absl::StatusOr<v1::QuarantineEntry> Inbox::DiscardQuarantined(const v1::Actor& actor,
                                                             int64_t entry_id,
                                                             absl::string_view note) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckText("note", note, 64 << 10));
  return impl_->Run(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<v1::QuarantineEntry> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(
Authorize(a, Action::kManageQuarantine));
        HELPDESK_ASSIGN_OR_RETURN(v1::QuarantineEntry e, tx.GetQuarantine(entry_id));
        if (e.state() != v1::QuarantineEntry::HELD) {
          return absl::FailedPreconditionError(
              absl::StrCat("quarantine entry ", entry_id, " is ",
                           v1::QuarantineEntry::State_Name(e.state()), ", not HELD"));
        }
        e.set_state(v1::QuarantineEntry::DISCARDED);
        e.set_note(std::string(note));
        *e.mutable_resolved_at() = ToTimestamp(impl_->Now());
        *e.mutable_resolved_by() = actor;
        HELPDESK_RETURN_IF_ERROR(tx.UpdateQuarantine(e));
        return e;
      });
}

}  // namespace helpdesk
