// Web form, chat and webhook channels: JSON through protobuf's JSON mapping.
#include "helpdesk/channels/web_form.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal/text_checks.h"
#include "google/protobuf/util/json_util.h"
#include "helpdesk/timestamp.h"
#include "internal/sha256.h"
#include "internal/status_macros.h"

namespace helpdesk {
namespace {

constexpr size_t kMaxJsonBytes = 30 << 20;

// Parses JSON strictly: unknown fields are errors, naming the parser's
// complaint.
absl::Status ParseJson(absl::string_view what, absl::string_view json,
                       google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not valid JSON for this form: ",
                     std::string(status.message().data(), status.message().size())));
  }
  return absl::OkStatus();
}

// Collects every field error of a submission.
class FieldErrors {
 public:
  void Add(absl::Status s) {
    if (!s.ok()) errors_.push_back(std::string(s.message()));
  }
  void Add(absl::string_view field, absl::string_view problem) {
    errors_.push_back(absl::StrCat(field, ": ", problem));
  }
  absl::Status Status() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "; "));
  }

 private:
  std::vector<std::string> errors_;
};

void CheckAttachmentsInto(FieldErrors& errors,
                          const google::protobuf::RepeatedPtrField<v1::InboundAttachment>& list,
                          size_t max_count, size_t max_bytes) {
  if (static_cast<size_t>(list.size()) > max_count) {
    errors.Add("attachments", absl::StrCat(list.size(), " files, over the limit of ",
                                           max_count));
    return;
  }
  for (int i = 0; i < list.size(); ++i) {
    const v1::InboundAttachment& a = list[i];
    std::string field = absl::StrCat("attachments[", i, "]");
    if (a.file_name().empty()) errors.Add(field + ".fileName", "must not be empty");
    errors.Add(internal::CheckText(field + ".fileName", a.file_name(), 255));
    if (a.content().size() > max_bytes) {
      errors.Add(field + ".content",
                 absl::StrCat(a.content().size(), " bytes, over the limit of ", max_bytes));
    }
  }
}

class WebFormInbound final : public InboundAdapter {
 public:
  explicit WebFormInbound(WebFormOptions options) : options_(options) {}
  absl::string_view Name() const override { return "helpdesk.web_form"; }

  absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                           absl::Time received_at) const override {
    if (raw.size() > options_.max_body_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("web form body is ", raw.size(), " bytes, over the limit of ",
                       options_.max_body_bytes));
    }
    v1::WebFormSubmission form;
    HELPDESK_RETURN_IF_ERROR(ParseJson("web form", raw, &form));
    FieldErrors errors;
    std::string email;
    if (form.email().empty() && form.phone().empty()) {
      errors.Add("email", "an e-mail address or a phone number is required");
    }
    if (!form.email().empty()) {
      absl::StatusOr<std::string> e = internal::NormalizeEmail("email", form.email());
      if (e.ok()) email = *e;
      errors.Add(e.status());
    }
    if (!form.phone().empty()) {
      errors.Add(internal::NormalizePhone("phone", form.phone()).status());
    }
    errors.Add(internal::CheckText("name", form.name(), 255));
    errors.Add(internal::CheckRequiredText("subject", form.subject(),
                                           options_.max_subject_bytes));
    errors.Add(internal::CheckRequiredText("message", form.message(),
                                           options_.max_message_bytes));
    for (const auto& [key, value] : form.fields()) {
      errors.Add(internal::CheckText(absl::StrCat("fields[", key, "]"), value, 64 << 10));
      errors.Add(internal::CheckText("fields key", key, 100));
    }
    CheckAttachmentsInto(errors, form.attachments(), options_.max_attachments,
                         options_.max_attachment_bytes);
    HELPDESK_RETURN_IF_ERROR(errors.Status());

    v1::InboundMessage m;
    m.set_channel(v1::CHANNEL_WEB_FORM);
    std::string id = form.submission_id().empty()
                         ? internal::Sha256Hex(form.SerializeAsString())
                         : form.submission_id();
    m.set_external_id(id);
    m.set_idempotency_key(absl::StrCat("web_form:", id));
    m.mutable_from()->set_name(form.name());
    m.mutable_from()->set_email(email);
    m.mutable_from()->set_phone(form.phone());
    m.set_subject(form.subject());
    std::string body = form.message();
    if (!form.fields().empty()) {
      std::vector<std::pair<std::string, std::string>> sorted(form.fields().begin(),
                                                              form.fields().end());
      std::sort(sorted.begin(), sorted.end());
      absl::StrAppend(&body, "\n");
      for (const auto& [k, v] : sorted) absl::StrAppend(&body, "\n", k, ": ", v);
    }
    m.set_body_text(body);
    *m.mutable_attachments() = form.attachments();
    *m.mutable_received_at() = ToTimestamp(received_at);
    return m;
  }

 private:
  WebFormOptions options_;
};

class ChatInbound final : public InboundAdapter {
 public:
  absl::string_view Name() const override { return "helpdesk.chat"; }

  absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                           absl::Time received_at) const override {
    if (raw.size() > kMaxJsonBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("chat frame is ", raw.size(), " bytes, over ", kMaxJsonBytes));
    }
    v1::ChatFrame frame;
    HELPDESK_RETURN_IF_ERROR(ParseJson("chat frame", raw, &frame));
    FieldErrors errors;
    errors.Add(internal::CheckRequiredText("sessionId", frame.session_id(), 200));
    errors.Add(internal::CheckRequiredText("messageId", frame.message_id(), 200));
    if (frame.visitor().chat_handle().empty() && frame.visitor().email().empty()) {
      errors.Add("visitor", "a chatHandle or an email is required");
    }
    errors.Add(internal::CheckText("visitor.name", frame.visitor().name(), 255));
    errors.Add(internal::CheckText("text", frame.text(), 1 << 20));
    if (frame.text().empty() && frame.attachments().empty()) {
      errors.Add("text", "a message needs text or an attachment");
    }
    CheckAttachmentsInto(errors, frame.attachments(), 10, 10 << 20);
    HELPDESK_RETURN_IF_ERROR(errors.Status());
    v1::InboundMessage m;
    m.set_channel(v1::CHANNEL_CHAT);
    m.set_external_id(frame.message_id());
    m.set_idempotency_key(absl::StrCat("chat:", frame.session_id(), ":", frame.message_id()));
    *m.mutable_from() = frame.visitor();
    m.set_subject(absl::StrCat("Chat with ", frame.visitor().name().empty()
                                                 ? frame.visitor().chat_handle()
                                                 : frame.visitor().name()));
    m.set_body_text(frame.text());
    *m.mutable_attachments() = frame.attachments();
    m.mutable_threading()->set_chat_session_id(frame.session_id());
    *m.mutable_received_at() = ToTimestamp(received_at);
    return m;
  }
};

class ChatOutbound final : public OutboundAdapter {
 public:
  explicit ChatOutbound(std::function<absl::Status(const v1::OutboundMessage&)> send)
      : send_(std::move(send)) {}
  absl::string_view Name() const override { return "helpdesk.chat"; }
  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& message) override {
    if (!send_) return absl::FailedPreconditionError("chat outbound has no callback");
    HELPDESK_RETURN_IF_ERROR(send_(message));
    return DeliveryReceipt{.provider_id = message.idempotency_key()};
  }

 private:
  std::function<absl::Status(const v1::OutboundMessage&)> send_;
};

}  // namespace

std::unique_ptr<InboundAdapter> NewWebFormInbound(WebFormOptions options) {
  return std::make_unique<WebFormInbound>(options);
}

std::unique_ptr<InboundAdapter> NewChatInbound() {
  return std::make_unique<ChatInbound>();
}

std::unique_ptr<OutboundAdapter> NewChatOutbound(
    std::function<absl::Status(const v1::OutboundMessage&)> send) {
  return std::make_unique<ChatOutbound>(std::move(send));
}

std::string ChatTranscript(const std::vector<v1::Message>& messages,
                           const std::function<std::string(const v1::Actor&)>& name_of,
                           absl::TimeZone zone) {
  std::string out;
  for (const v1::Message& m : messages) {
    if (m.kind() == v1::Message::INTERNAL_NOTE) continue;
    absl::StrAppend(&out, "[", absl::FormatTime("%H:%M", FromTimestamp(m.created_at()), zone),
                    "] ", name_of(m.author()), ": ", m.body_text(), "\n");
  }
  return out;
}

std::string WebhookSignature(absl::string_view secret, absl::string_view body) {
  return absl::StrCat("sha256=", internal::HmacSha256Hex(secret, body));
}

absl::Status VerifyWebhookSignature(absl::string_view secret, absl::string_view body,
                                    absl::string_view signature) {
  signature = absl::StripAsciiWhitespace(signature);
  if (signature.empty()) {
    return absl::PermissionDeniedError("webhook signature is missing");
  }
  if (!absl::StartsWith(signature, "sha256=") || signature.size() != 7 + 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "webhook signature ", internal::Quote(signature),
        " is not 'sha256=' followed by 64 hexadecimal digits"));
  }
  std::string given = absl::AsciiStrToLower(signature.substr(7));
  if (!internal::ConstantTimeEquals(given, internal::HmacSha256Hex(secret, body))) {
    return absl::PermissionDeniedError(
        "webhook signature does not match the body under the shared secret");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::InboundMessage> WebhookInbound::ParseSigned(
    absl::string_view body, absl::string_view signature, absl::Time received_at) const {
  if (body.size() > kMaxJsonBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("webhook body is ", body.size(), " bytes, over ", kMaxJsonBytes));
  }
  HELPDESK_RETURN_IF_ERROR(VerifyWebhookSignature(secret_, body, signature));
  v1::InboundMessage m;
  HELPDESK_RETURN_IF_ERROR(ParseJson("webhook", body, &m));
  // Without either, Inbox::Ingest cannot tell a resent call from a new one
  // (found by the channel conformance suite: "{}" was accepted).
  if (m.idempotency_key().empty() && m.external_id().empty()) {
    return absl::InvalidArgumentError(
        "webhook: idempotencyKey is empty and there is no externalId to derive it from");
  }
  if (m.channel() == v1::CHANNEL_UNSPECIFIED) m.set_channel(v1::CHANNEL_WEBHOOK);
  if (!m.has_received_at()) *m.mutable_received_at() = ToTimestamp(received_at);
  return m;
}

absl::StatusOr<SignedWebhook> SignWebhook(absl::string_view secret,
                                          const v1::OutboundMessage& message) {
  SignedWebhook out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  auto status = google::protobuf::util::MessageToJsonString(message, &out.body, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "webhook: cannot render the message as JSON: ",
        std::string(status.message().data(), status.message().size())));
  }
  out.signature = WebhookSignature(secret, out.body);
  return out;
}

}  // namespace helpdesk
