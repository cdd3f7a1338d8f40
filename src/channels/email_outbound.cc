// The e-mail OutboundAdapter: v1::OutboundMessage -> RFC 5322 (rendered with
// GMime) -> a MailTransport.
#include <gmime/gmime.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "channels/email_text.h"
#include "channels/gmime_support.h"
#include "internal/text_checks.h"
#include "helpdesk/channel.h"
#include "helpdesk/channels/email.h"
#include "internal/sha256.h"
#include "internal/status_macros.h"

namespace helpdesk {
namespace {

using email_internal::GCharPtr;
using email_internal::GObjectPtr;
using internal::Quote;

bool HasLineBreakOrNul(absl::string_view s) {
  return s.find_first_of(absl::string_view("\r\n\0", 3)) != absl::string_view::npos;
}

absl::Status CheckHeaderText(absl::string_view field, absl::string_view value) {
  if (HasLineBreakOrNul(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must not contain CR, LF or NUL: ", Quote(value)));
  }
  if (!email_internal::IsValidUtf8(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is not valid UTF-8: ", Quote(value)));
  }
  return absl::OkStatus();
}

absl::Status CheckAddress(absl::string_view field, absl::string_view address) {
  size_t at = address.find('@');
  bool ok = at != absl::string_view::npos && at > 0 && at + 1 < address.size() &&
            address.find('@', at + 1) == absl::string_view::npos;
  for (char c : address) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' ||
        c == '"' || c == '(' || c == ')' || c == '\\') {
      ok = false;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is not an e-mail address: ", Quote(address)));
  }
  return absl::OkStatus();
}

absl::Status CheckMessageId(absl::string_view field, absl::string_view id) {
  bool ok = !id.empty() && id.find('@') != absl::string_view::npos;
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7F || c == '<' || c == '>') ok = false;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is not a message id (left@right, no <>): ", Quote(id)));
  }
  return absl::OkStatus();
}

absl::Status CheckParty(absl::string_view field, const v1::Party& party) {
  HELPDESK_RETURN_IF_ERROR(CheckAddress(absl::StrCat(field, ".email"), party.email()));
  return CheckHeaderText(absl::StrCat(field, ".name"), party.name());
}

// A text/plain or text/html part in UTF-8 with the transfer encoding that
// suits its content (7bit, quoted-printable or base64).
GMimeObject* NewTextPart(const char* subtype, absl::string_view text) {
  std::string crlf_free = email_internal::NormalizeNewlines(text);
  GMimeTextPart* part = g_mime_text_part_new_with_subtype(subtype);
  GObjectPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(crlf_free.data(), crlf_free.size()));
  GObjectPtr<GMimeDataWrapper> wrapper(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(GMIME_PART(part), wrapper.get());
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
  GMimeContentEncoding encoding = g_mime_part_get_best_content_encoding(
      GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT);
  g_mime_part_set_content_encoding(GMIME_PART(part), encoding);
  return GMIME_OBJECT(part);
}

GMimeObject* NewAttachmentPart(const v1::InboundAttachment& a, bool is_inline) {
  std::string media = absl::AsciiStrToLower(a.media_type());
  size_t slash = media.find('/');
  std::string type = slash == std::string::npos ? "application" : media.substr(0, slash);
  std::string subtype = slash == std::string::npos ? "octet-stream" : media.substr(slash + 1);
  if (type.empty() || subtype.empty()) {
    type = "application";
    subtype = "octet-stream";
  }
  GMimePart* part = g_mime_part_new_with_type(type.c_str(), subtype.c_str());
  GObjectPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(a.content().data(), a.content().size()));
  GObjectPtr<GMimeDataWrapper> wrapper(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, wrapper.get());
  if (!a.file_name().empty()) g_mime_part_set_filename(part, a.file_name().c_str());
  g_mime_object_set_disposition(GMIME_OBJECT(part),
                                is_inline ? GMIME_DISPOSITION_INLINE
                                          : GMIME_DISPOSITION_ATTACHMENT);
  if (!a.content_id().empty()) g_mime_part_set_content_id(part, a.content_id().c_str());
  g_mime_part_set_content_encoding(
      part, type == "message" ? g_mime_part_get_best_content_encoding(
                                    part, GMIME_ENCODING_CONSTRAINT_7BIT)
                              : GMIME_CONTENT_ENCODING_BASE64);
  return GMIME_OBJECT(part);
}

absl::string_view DomainOf(absl::string_view address) {
  size_t at = address.rfind('@');
  return at == absl::string_view::npos ? absl::string_view() : address.substr(at + 1);
}

}  // namespace

std::string OutboundMessageId(const v1::OutboundMessage& message,
                              absl::string_view domain) {
  if (!message.threading().message_id().empty()) return message.threading().message_id();
  return EmailMessageId(message.idempotency_key(), domain);
}

std::string EmailMessageId(absl::string_view idempotency_key, absl::string_view domain) {
  return absl::StrCat("hd.", internal::Sha256Hex(idempotency_key).substr(0, 32), "@",
                      domain);
}

absl::StatusOr<std::string> BuildEmail(const v1::OutboundMessage& message,
                                       const EmailOutboundOptions& options) {
  if (message.idempotency_key().empty()) {
    return absl::InvalidArgumentError("idempotency_key must not be empty: it makes the Message-ID");
  }
  const v1::Party& from =
      message.from().email().empty() ? options.default_from : message.from();
  if (from.email().empty()) {
    return absl::InvalidArgumentError(
        "from.email is empty and options.default_from has no email either");
  }
  HELPDESK_RETURN_IF_ERROR(CheckParty("from", from));
  if (message.to().empty() && message.cc().empty()) {
    return absl::InvalidArgumentError("to: no recipient (to and cc are both empty)");
  }
  for (int i = 0; i < message.to_size(); ++i) {
    HELPDESK_RETURN_IF_ERROR(CheckParty(absl::StrCat("to[", i, "]"), message.to(i)));
  }
  for (int i = 0; i < message.cc_size(); ++i) {
    HELPDESK_RETURN_IF_ERROR(CheckParty(absl::StrCat("cc[", i, "]"), message.cc(i)));
  }
  HELPDESK_RETURN_IF_ERROR(CheckHeaderText("subject", message.subject()));
  std::string domain = options.sending_domain.empty()
                           ? std::string(DomainOf(from.email()))
                           : options.sending_domain;
  if (domain.empty() || domain.find_first_of(" \t\r\n<>@\"") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.sending_domain is not a domain: ", Quote(domain)));
  }
  const v1::ThreadingKeys& threading = message.threading();
  if (!threading.in_reply_to().empty()) {
    HELPDESK_RETURN_IF_ERROR(
        CheckMessageId("threading.in_reply_to", threading.in_reply_to()));
  }
  for (int i = 0; i < threading.references_size(); ++i) {
    HELPDESK_RETURN_IF_ERROR(CheckMessageId(absl::StrCat("threading.references[", i, "]"),
                                            threading.references(i)));
  }
  for (int i = 0; i < message.attachments_size(); ++i) {
    const v1::InboundAttachment& a = message.attachments(i);
    HELPDESK_RETURN_IF_ERROR(
        CheckHeaderText(absl::StrCat("attachments[", i, "].file_name"), a.file_name()));
    HELPDESK_RETURN_IF_ERROR(
        CheckHeaderText(absl::StrCat("attachments[", i, "].media_type"), a.media_type()));
    if (!a.content_id().empty()) {
      HELPDESK_RETURN_IF_ERROR(CheckMessageId(
          absl::StrCat("attachments[", i, "].content_id"), a.content_id()));
    }
  }
  if (!email_internal::IsValidUtf8(message.body_text())) {
    return absl::InvalidArgumentError(
        absl::StrCat("body_text is not valid UTF-8: ", Quote(message.body_text())));
  }
  if (!email_internal::IsValidUtf8(message.body_html())) {
    return absl::InvalidArgumentError(
        absl::StrCat("body_html is not valid UTF-8: ", Quote(message.body_html())));
  }

  email_internal::EnsureGMimeInitialized();
  GObjectPtr<GMimeMessage> mail(g_mime_message_new(TRUE));
  GMimeObject* object = GMIME_OBJECT(mail.get());

  // Header.
  g_mime_message_add_mailbox(mail.get(), GMIME_ADDRESS_TYPE_FROM, from.name().c_str(),
                             from.email().c_str());
  for (const v1::Party& p : message.to()) {
    g_mime_message_add_mailbox(mail.get(), GMIME_ADDRESS_TYPE_TO, p.name().c_str(),
                               p.email().c_str());
  }
  for (const v1::Party& p : message.cc()) {
    g_mime_message_add_mailbox(mail.get(), GMIME_ADDRESS_TYPE_CC, p.name().c_str(),
                               p.email().c_str());
  }
  std::string subject = message.subject();
  if (message.ticket_id() > 0 &&
      FindTicketToken(subject, options.ticket_token_prefix, true) != message.ticket_id()) {
    absl::StrAppend(&subject, subject.empty() ? "" : " ", "[", options.ticket_token_prefix,
                    message.ticket_id(), "]");
  }
  g_mime_message_set_subject(mail.get(), subject.c_str(), "utf-8");
  if (options.clock != nullptr) {
    int64_t seconds = absl::ToUnixSeconds(options.clock->Now());
    GDateTime* date = g_date_time_new_from_unix_utc(seconds);
    if (date != nullptr) {
      g_mime_message_set_date(mail.get(), date);
      g_date_time_unref(date);
    }
  }
  const std::string message_id = OutboundMessageId(message, domain);
  g_mime_message_set_message_id(mail.get(), message_id.c_str());
  if (!threading.in_reply_to().empty()) {
    std::string value = absl::StrCat("<", threading.in_reply_to(), ">");
    g_mime_object_set_header(object, "In-Reply-To", value.c_str(), nullptr);
  }
  std::vector<std::string> references(threading.references().begin(),
                                      threading.references().end());
  if (!threading.in_reply_to().empty() &&
      (references.empty() || references.back() != threading.in_reply_to())) {
    references.erase(
        std::remove(references.begin(), references.end(), threading.in_reply_to()),
        references.end());
    references.push_back(threading.in_reply_to());
  }
  if (!references.empty()) {
    std::string value = absl::StrCat(
        "<", absl::StrJoin(references, "> <"), ">");
    g_mime_object_set_header(object, "References", value.c_str(), nullptr);
  }
  if (message.automatic()) {
    g_mime_object_set_header(
        object, "Auto-Submitted",
        threading.in_reply_to().empty() ? "auto-generated" : "auto-replied", nullptr);
    g_mime_object_set_header(object, "X-Auto-Response-Suppress", "All", nullptr);
  }

  // Body: text and HTML alternatives; inline parts related to the HTML;
  // attachments around them.
  std::string text = message.body_text();
  const std::string& html = message.body_html();
  if (text.empty() && !html.empty()) text = email_internal::HtmlToText(html);
  std::vector<const v1::InboundAttachment*> inline_parts;
  std::vector<const v1::InboundAttachment*> files;
  for (const v1::InboundAttachment& a : message.attachments()) {
    if (a.inline_() && !a.content_id().empty() && !html.empty()) {
      inline_parts.push_back(&a);
    } else {
      files.push_back(&a);
    }
  }
  GMimeObject* body = nullptr;
  GMimeObject* text_part = NewTextPart("plain", text);
  if (html.empty()) {
    body = text_part;
  } else {
    GMimeObject* html_part = NewTextPart("html", html);
    if (!inline_parts.empty()) {
      GMimeMultipart* related = g_mime_multipart_new_with_subtype("related");
      g_mime_multipart_add(related, html_part);
      g_object_unref(html_part);
      for (const v1::InboundAttachment* a : inline_parts) {
        GMimeObject* part = NewAttachmentPart(*a, true);
        g_mime_multipart_add(related, part);
        g_object_unref(part);
      }
      html_part = GMIME_OBJECT(related);
    }
    GMimeMultipart* alternative = g_mime_multipart_new_with_subtype("alternative");
    g_mime_multipart_add(alternative, text_part);
    g_mime_multipart_add(alternative, html_part);
    g_object_unref(text_part);
    g_object_unref(html_part);
    body = GMIME_OBJECT(alternative);
  }
  if (!files.empty()) {
    GMimeMultipart* mixed = g_mime_multipart_new_with_subtype("mixed");
    g_mime_multipart_add(mixed, body);
    g_object_unref(body);
    for (const v1::InboundAttachment* a : files) {
      GMimeObject* part = NewAttachmentPart(*a, a->inline_());
      g_mime_multipart_add(mixed, part);
      g_object_unref(part);
    }
    body = GMIME_OBJECT(mixed);
  }
  g_mime_message_set_mime_part(mail.get(), body);
  g_object_unref(body);

  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  GCharPtr rendered(g_mime_object_to_string(object, format));
  g_mime_format_options_free(format);
  std::string result(email_internal::View(rendered.get()));
  if (result.size() > options.max_message_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("message: rendered as ", result.size(), " bytes, over the limit of ",
                     options.max_message_bytes, " bytes"));
  }
  return result;
}

namespace {

class EmailOutbound final : public OutboundAdapter {
 public:
  EmailOutbound(std::unique_ptr<MailTransport> transport, EmailOutboundOptions options)
      : transport_(std::move(transport)), options_(std::move(options)) {}

  absl::string_view Name() const override { return "helpdesk.email"; }

  absl::StatusOr<DeliveryReceipt> Deliver(const v1::OutboundMessage& message) override {
    if (transport_ == nullptr) {
      return absl::FailedPreconditionError("the e-mail outbound adapter has no transport");
    }
    HELPDESK_ASSIGN_OR_RETURN(std::string bytes, BuildEmail(message, options_));
    std::vector<std::string> recipients;
    for (const auto* list : {&message.to(), &message.cc()}) {
      for (const v1::Party& p : *list) {
        std::string email = absl::AsciiStrToLower(p.email());
        if (std::find(recipients.begin(), recipients.end(), email) == recipients.end()) {
          recipients.push_back(std::move(email));
        }
      }
    }
    const v1::Party& from =
        message.from().email().empty() ? options_.default_from : message.from();
    std::string envelope = options_.envelope_from.empty() ? from.email()
                                                          : options_.envelope_from;
    HELPDESK_ASSIGN_OR_RETURN(std::string server_reply,
                              transport_->Send(envelope, recipients, bytes));
    (void)server_reply;  // the Message-ID is the receipt the desk can thread by
    std::string domain = options_.sending_domain.empty()
                             ? std::string(DomainOf(from.email()))
                             : options_.sending_domain;
    return DeliveryReceipt{OutboundMessageId(message, domain)};
  }

 private:
  std::unique_ptr<MailTransport> transport_;
  const EmailOutboundOptions options_;
};

}  // namespace

std::unique_ptr<OutboundAdapter> NewEmailOutbound(std::unique_ptr<MailTransport> transport,
                                                  const EmailOutboundOptions& options) {
  return std::make_unique<EmailOutbound>(std::move(transport), options);
}

}  // namespace helpdesk
