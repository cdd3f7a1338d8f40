// The channel endpoints: the web form and chat (anyone may post; the inbound
// adapters check every field) and the signed webhook (HMAC-SHA256 over
// "<timestamp>.<body>", refused when stale or seen before).
#include "absl/strings/numbers.h"
#include "helpdesk/channels/web_form.h"
#include "helpdesk/names.h"
#include "serve_api.pb.h"
#include "server_internal.h"

namespace helpdesk::serve {
namespace {

absl::StatusOr<ApiServer::Reply> IngestReply(Desk& desk, const v1::InboundMessage& m,
                                             IngestResult* result = nullptr) {
  HELPDESK_ASSIGN_OR_RETURN(IngestResult r, desk.inbox().Ingest(m));
  if (result != nullptr) *result = r;
  api::IngestResponse out;
  switch (r.outcome) {
    case IngestResult::Outcome::kCreatedTicket: out.set_outcome("created"); break;
    case IngestResult::Outcome::kAppended: out.set_outcome("appended"); break;
    case IngestResult::Outcome::kRecordedAutomatic: out.set_outcome("automatic"); break;
    case IngestResult::Outcome::kQuarantined: out.set_outcome("quarantined"); break;
  }
  if (r.duplicate) out.set_outcome("duplicate");
  out.set_ticket_id(r.ticket_id);
  out.set_message_id(r.message_id);
  return JsonReply(out, r.duplicate ? 200 : 202);
}

}  // namespace

absl::StatusOr<ApiServer::Reply> ApiServer::WebForm(Call& c) {
  // ?kbSession=N: the knowledge base's suggestion session of this draft
  // question; submitting the form is its outcome ("opened a ticket").
  int64_t kb_session = 0;
  if (c.req.has_param("kbSession") &&
      (!absl::SimpleAtoi(c.req.get_param_value("kbSession"), &kb_session) || kb_session <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kbSession: '", c.req.get_param_value("kbSession").substr(0, 40), "' is not an id"));
  }
  HELPDESK_ASSIGN_OR_RETURN(v1::InboundMessage m, web_form_->Parse(c.req.body, c.now));
  IngestResult r;
  HELPDESK_ASSIGN_OR_RETURN(Reply reply, IngestReply(*options_.desk, m, &r));
  if (r.outcome != IngestResult::Outcome::kCreatedTicket || r.duplicate || r.ticket_id == 0) {
    return reply;
  }
  // A new ticket: the submitter gets its tracking link (only for a ticket
  // this submission created, never one it was appended to).
  api::IngestResponse out;
  HELPDESK_RETURN_IF_ERROR(ParseBody(reply.body, &out));
  absl::StatusOr<TrackingLink> link = options_.desk->tracking().Issue(SystemActor(), r.ticket_id);
  if (link.ok()) {
    out.set_tracking_token(link->token);
    out.set_tracking_url(absl::StrCat(options_.public_url, "/portal/#track=", link->token));
  }
  if (kb_session > 0) {
    // The session may be unknown or already resolved: the ticket stands
    // either way (the first outcome counts).
    (void)options_.desk->kb().RecordOutcome(SystemActor(), kb_session, r.ticket_id);
  }
  reply.body = ToJson(out);
  return reply;
}

absl::StatusOr<ApiServer::Reply> ApiServer::Chat(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(v1::InboundMessage m, chat_->Parse(c.req.body, c.now));
  return IngestReply(*options_.desk, m);
}

absl::StatusOr<ApiServer::Reply> ApiServer::Webhook(Call& c) {
  if (options_.webhook_secret.empty()) {
    return absl::NotFoundError("webhook: not configured on this server");
  }
  const std::string ts = c.req.get_header_value("X-Helpdesk-Timestamp");
  const std::string sig = c.req.get_header_value("X-Helpdesk-Signature");
  int64_t unix_seconds = 0;
  if (ts.empty() || !absl::SimpleAtoi(ts, &unix_seconds)) {
    return absl::UnauthenticatedError(
        absl::StrCat("X-Helpdesk-Timestamp: '", ts, "' is not unix seconds"));
  }
  if (sig.empty()) return absl::UnauthenticatedError("X-Helpdesk-Signature: missing");
  absl::Status verified =
      VerifyWebhookSignature(options_.webhook_secret, absl::StrCat(ts, ".", c.req.body), sig);
  if (!verified.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("X-Helpdesk-Signature: ", verified.message()));
  }
  if (absl::AbsDuration(c.now - absl::FromUnixSeconds(unix_seconds)) >
      options_.webhook_max_skew) {
    return absl::UnauthenticatedError(absl::StrCat(
        "X-Helpdesk-Timestamp: ", ts, " is more than ",
        absl::FormatDuration(options_.webhook_max_skew), " from the server's time"));
  }
  if (!FirstSighting(sig, c.now)) {
    return absl::AlreadyExistsError("X-Helpdesk-Signature: replayed (seen before)");
  }
  WebhookInbound inbound(options_.webhook_secret);
  HELPDESK_ASSIGN_OR_RETURN(
      v1::InboundMessage m,
      inbound.ParseSigned(c.req.body, WebhookSignature(options_.webhook_secret, c.req.body),
                          c.now));
  return IngestReply(*options_.desk, m);
}

}  // namespace helpdesk::serve
