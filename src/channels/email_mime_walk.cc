// MessageParser's walk over the MIME tree: multiparts (alternative, related,
// report, digest, signed; a multipart whose boundary is broken is parsed
// again with a repaired one), leaves (text and HTML bodies, attachments,
// delivery status), and embedded messages (as attachments, or shown as the
// body of a forward or bounce); Finish joins the bodies and classifies the
// message. The parser is declared in email_inbound_parser.h.
#include "channels/email_inbound_parser.h"

#include <algorithm>
#include <cstdint>
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
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "channels/email_header_text.h"
#include "channels/email_text.h"

namespace helpdesk::email_internal {

namespace {

constexpr int kMaxDepth = 64;

}  // namespace

GMimeMessage* MessageParser::MessageOf(GMimeObject* object) {
  if (object == nullptr) return nullptr;
  if (GMIME_IS_MESSAGE_PART(object)) {
    return g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
  }
  if (!GMIME_IS_PART(object)) return nullptr;
  std::string media = MediaType(object);
  if (media != "message/rfc822" && media != "message/global") return nullptr;
  std::string bytes = DecodedContent(GMIME_PART(object));
  email_internal::ParserOptionsPtr options = email_internal::NewLenientParserOptions();
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GMimeMessage* message = g_mime_parser_construct_message(parser.get(), options.get());
  if (message == nullptr) return nullptr;
  reparsed_.emplace_back(message);
  return message;
}

GMimeObject* MessageParser::ParsePart(const std::string& bytes) {
  email_internal::ParserOptionsPtr options = email_internal::NewLenientParserOptions();
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GMimeObject* part = g_mime_parser_construct_part(parser.get(), options.get());
  if (part != nullptr) recovered_.emplace_back(part);
  return part;
}

namespace {
std::string WithoutWhitespace(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}
}  // namespace

GMimeObject* MessageParser::RecoverMultipart(GMimeMultipart* multipart,
                                             const std::string& media) {
  if (recovering_) return nullptr;
  absl::string_view prologue = View(g_mime_multipart_get_prologue(multipart));
  if (prologue.empty()) return nullptr;
  const std::string text = email_internal::NormalizeNewlines(prologue);
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  std::string boundary(
      View(g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "boundary")));
  std::string body;
  bool repaired = false;
  if (!boundary.empty()) {
    // A folded boundary parameter whose delimiter lines are folded too.
    const std::string open = WithoutWhitespace(absl::StrCat("--", boundary));
    const std::string close = open + "--";
    for (size_t i = 0; i < lines.size(); ++i) {
      if (absl::StartsWith(lines[i], "--") && i + 1 < lines.size()) {
        std::string joined = WithoutWhitespace(absl::StrCat(lines[i], lines[i + 1]));
        if (joined == open || joined == close) {
          absl::StrAppend(&body, "--", boundary, joined == close ? "--" : "", "\n");
          ++i;
          repaired = true;
          continue;
        }
      }
      absl::StrAppend(&body, lines[i], "\n");
    }
    if (!repaired) return nullptr;
  } else {
    // No boundary parameter: a stray "boundary=..." line (an unindented
    // continuation), else the first delimiter-looking line.
    size_t start = 0;
    absl::string_view first = absl::StripAsciiWhitespace(lines[0]);
    if (absl::StartsWithIgnoreCase(first, "boundary=")) {
      absl::string_view v = first.substr(9);
      if (absl::EndsWith(v, ";")) v.remove_suffix(1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      boundary = std::string(v);
      start = 1;
    } else {
      for (absl::string_view line : lines) {
        absl::string_view l = absl::StripTrailingAsciiWhitespace(line);
        if (absl::StartsWith(l, "--") && l.size() > 4 &&
            l.find_first_of(" \t") == absl::string_view::npos) {
          boundary = std::string(l.substr(2));
          break;
        }
      }
    }
    if (boundary.empty() || boundary.find_first_of("\"\\") != std::string::npos ||
        !absl::StrContains(text, absl::StrCat("--", boundary))) {
      return nullptr;
    }
    for (size_t i = start; i < lines.size(); ++i) absl::StrAppend(&body, lines[i], "\n");
  }
  if (boundary.find_first_of("\"\\") != std::string::npos) return nullptr;
  std::string bytes = absl::StrCat("Content-Type: ", media, "; boundary=\"", boundary,
                                   "\"\n\n", body);
  recovering_ = true;
  GMimeObject* part = ParsePart(bytes);
  recovering_ = false;
  if (part == nullptr || !GMIME_IS_MULTIPART(part) ||
      g_mime_multipart_get_count(GMIME_MULTIPART(part)) == 0) {
    return nullptr;
  }
  Warn(absl::StrCat(media, ": broken boundary \"", RepairUtf8(boundary.substr(0, 80)),
                    "\" repaired"));
  return part;
}

void MessageParser::WalkRoot(GMimeMessage* message) {
  GMimeObject* root = g_mime_message_get_mime_part(message);
  if (root == nullptr) return;
  if (GMimeMessage* inner = MessageOf(root); inner != nullptr) {
    // The whole body is another message: show it as the body.
    EmbedMessageAsBody(inner, WalkContext{}, false);
    return;
  }
  Walk(root, WalkContext{});
}

void MessageParser::Walk(GMimeObject* object, WalkContext ctx) {
  if (object == nullptr) return;
  if (ctx.depth > kMaxDepth) {
    if (!depth_warned_) {
      Warn(absl::StrCat("MIME structure nested deeper than ", kMaxDepth,
                        " levels; the inner parts were ignored"));
      depth_warned_ = true;
    }
    return;
  }
  if (GMimeMessage* inner = MessageOf(object); inner != nullptr) {
    WalkMessage(object, inner, ctx);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {  // a message/rfc822 part with no message
    if (!ctx.in_embedded) facts_.has_returned_message = true;
    if (!ctx.in_report) Warn("message/rfc822 part without a message; ignored");
    return;
  }
  std::string media = MediaType(object);
  if (GMIME_IS_MULTIPART(object)) {
    WalkMultipart(GMIME_MULTIPART(object), media, ctx);
    return;
  }
  if (GMIME_IS_PART(object)) {
    WalkLeaf(GMIME_PART(object), media, ctx);
    return;
  }
  // message/partial and other containers GMime knows: nothing readable.
  Warn(absl::StrCat("part of type ", media, " ignored"));
}

void MessageParser::WalkMultipart(GMimeMultipart* multipart, const std::string& media,
                                  WalkContext ctx) {
  const int count = g_mime_multipart_get_count(multipart);
  WalkContext child = ctx;
  child.depth = ctx.depth + 1;
  child.related_resource = false;
  child.in_digest = false;
  if (count == 0) {
    if (GMimeObject* recovered = RecoverMultipart(multipart, media); recovered != nullptr) {
      Walk(recovered, ctx);
      return;
    }
    absl::string_view prologue = View(g_mime_multipart_get_prologue(multipart));
    if (!absl::StripAsciiWhitespace(prologue).empty()) {
      Warn(absl::StrCat(media, ": no parts found (missing or wrong boundary); "
                               "the content was read as text"));
      text_parts_.push_back(email_internal::NormalizeNewlines(
          ConvertToUtf8(prologue, "", media, &warnings_)));
    } else {
      Warn(absl::StrCat(media, ": no parts found (missing or wrong boundary?)"));
    }
    return;
  }
  std::string boundary(
      View(g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "boundary")));
  if (!boundary.empty()) boundaries_.push_back(absl::StrCat("--", boundary));
  struct PopBoundary {
    std::vector<std::string>* stack;
    bool pushed;
    ~PopBoundary() {
      if (pushed) stack->pop_back();
    }
  } pop{&boundaries_, !boundary.empty()};
  if (media == "multipart/alternative") {
    WalkAlternative(multipart, child);
    return;
  }
  if (media == "multipart/related") {
    // The root is the part named by "start", else the first.
    absl::string_view start =
        View(g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "start"));
    int root = 0;
    if (!start.empty()) {
      for (int i = 0; i < count; ++i) {
        absl::string_view cid =
            View(g_mime_object_get_content_id(g_mime_multipart_get_part(multipart, i)));
        if (!cid.empty() && absl::StrContains(start, cid)) root = i;
      }
    }
    for (int i = 0; i < count; ++i) {
      WalkContext c = child;
      c.related_resource = i != root;
      Walk(g_mime_multipart_get_part(multipart, i), c);
    }
    return;
  }
  if (media == "multipart/signed") {
    // Content first; the signature part carries nothing for a reader.
    for (int i = 0; i < count; ++i) {
      GMimeObject* part = g_mime_multipart_get_part(multipart, i);
      if (i > 0 && count == 2) {
        std::string type = MediaType(part);
        if (absl::StrContains(type, "signature")) continue;
      }
      Walk(part, child);
    }
    return;
  }
  if (media == "multipart/report") {
    if (!ctx.in_embedded) {
      facts_.has_report = true;
      std::string type = absl::AsciiStrToLower(View(
          g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "report-type")));
      if (facts_.report_type.empty()) facts_.report_type = type;
    }
    child.in_report = true;
    for (int i = 0; i < count; ++i) Walk(g_mime_multipart_get_part(multipart, i), child);
    return;
  }
  child.in_digest = media == "multipart/digest";
  for (int i = 0; i < count; ++i) Walk(g_mime_multipart_get_part(multipart, i), child);
}

void MessageParser::WalkAlternative(GMimeMultipart* multipart, WalkContext ctx) {
  const int count = g_mime_multipart_get_count(multipart);
  GMimeObject* plain = nullptr;
  GMimeObject* rich = nullptr;
  std::vector<GMimeObject*> others;
  for (int i = 0; i < count; ++i) {
    GMimeObject* part = g_mime_multipart_get_part(multipart, i);
    std::string media = MediaType(part);
    bool attachment = absl::EqualsIgnoreCase(View(g_mime_object_get_disposition(part)),
                                             "attachment");
    if (media == "text/plain" && !attachment) {
      plain = part;
    } else if ((media == "text/html" && !attachment) || GMIME_IS_MULTIPART(part)) {
      rich = part;
    } else if ((media == "text/enriched" || media == "text/richtext") && !attachment &&
               plain == nullptr) {
      plain = part;
    } else {
      others.push_back(part);  // calendars, images: not alternatives of the text
    }
  }
  if (plain != nullptr) Walk(plain, ctx);
  if (rich != nullptr) {
    size_t texts_before = text_parts_.size();
    Walk(rich, ctx);
    // A multipart alternative that contains its own text/plain: keep one.
    if (plain != nullptr && text_parts_.size() > texts_before) {
      text_parts_.resize(texts_before);
    }
  }
  for (GMimeObject* part : others) Walk(part, ctx);
}

namespace {
bool IsSignatureType(absl::string_view media) {
  return media == "application/pgp-signature" ||
         media == "application/pkcs7-signature" ||
         media == "application/x-pkcs7-signature";
}
}  // namespace

void MessageParser::WalkLeaf(GMimePart* part, const std::string& media, WalkContext ctx) {
  ++part_counter_;
  GMimeObject* object = GMIME_OBJECT(part);
  // Report parts (and their look-alikes in multipart/mixed bounces).
  if (media == "message/delivery-status" || media == "message/global-delivery-status") {
    if (!ctx.in_embedded) {
      facts_.has_delivery_status = true;
      absl::StrAppend(&delivery_status_,
                      email_internal::NormalizeNewlines(DecodedContent(part)), "\n\n");
    }
    return;
  }
  if (media == "text/rfc822-headers" || media == "message/global-headers") {
    if (!ctx.in_embedded) facts_.has_returned_message = true;
    return;
  }
  if (ctx.in_report && (media == "message/disposition-notification" ||
                        media == "message/feedback-report" ||
                        media == "message/global-disposition-notification")) {
    return;
  }
  if (IsSignatureType(media) || media == "application/pgp-encrypted") return;

  std::string disposition =
      absl::AsciiStrToLower(View(g_mime_object_get_disposition(object)));
  std::string file_name = DecodedPhrase(g_mime_part_get_filename(part));
  std::string content_id(View(g_mime_part_get_content_id(part)));
  const bool is_text = media == "text/plain" || media == "text/html" ||
                       media == "text/enriched" || media == "text/richtext";
  if (is_text && disposition != "attachment" && file_name.empty() &&
      !ctx.related_resource) {
    AddTextBody(media, DecodedContent(part),
                View(g_mime_object_get_content_type_parameter(object, "charset")),
                View(g_mime_object_get_content_type_parameter(object, "format")),
                View(g_mime_object_get_content_type_parameter(object, "delsp")));
    return;
  }
  std::string content = DecodedContent(part);
  const bool is_inline = disposition != "attachment" &&
                         (!content_id.empty() || disposition == "inline" ||
                          ctx.related_resource);
  AddAttachment(std::move(file_name), media, std::move(content), std::move(content_id),
                is_inline);
}

void MessageParser::AddTextBody(const std::string& media, std::string bytes,
                                absl::string_view charset_parameter, absl::string_view format,
                                absl::string_view delsp) {
  std::string charset(charset_parameter);
  if (media == "text/html" && charset.empty()) {
    charset = email_internal::HtmlMetaCharset(bytes);
  }
  std::string text = email_internal::NormalizeNewlines(ConvertToUtf8(
      bytes, charset, absl::StrCat("part ", part_counter_, " (", media, ")"), &warnings_));
  StripStrayDelimiters(&text);
  if (media == "text/html") {
    html_parts_.push_back(std::move(text));
    return;
  }
  if (media != "text/plain") {
    text = email_internal::HtmlToText(text);  // rough, but readable
  } else {
    if (absl::EqualsIgnoreCase(format, "flowed")) {
      text = email_internal::UnflowText(text, absl::EqualsIgnoreCase(delsp, "yes"));
    }
    for (email_internal::UuencodedFile& file : email_internal::ExtractUuencodedFiles(&text)) {
      AddAttachment(std::move(file.file_name), "application/octet-stream",
                    std::move(file.content), "", false);
    }
  }
  text_parts_.push_back(std::move(text));
}

void MessageParser::WalkMessage(GMimeObject* part, GMimeMessage* inner, WalkContext ctx) {
  if (ctx.in_digest) {  // a digest's messages are its content
    EmbedMessageAsBody(inner, ctx, true);
    return;
  }
  if (!ctx.in_embedded) facts_.has_returned_message = true;
  // The returned message of a report is part of the notice, not a file.
  if (ctx.in_report) return;
  messages_.push_back(PendingMessage{
      inner, absl::AsciiStrToLower(View(g_mime_object_get_disposition(part)))});
}

void MessageParser::EmbedMessageAsBody(GMimeMessage* message, WalkContext ctx,
                                       bool with_summary) {
  if (with_summary) {
    std::string summary;
    InternetAddressList* from = g_mime_message_get_from(message);
    if (from != nullptr && internet_address_list_length(from) > 0) {
      GCharPtr text(internet_address_list_to_string(from, nullptr, FALSE));
      absl::StrAppend(&summary, "From: ", RepairUtf8(DecodedPhrase(text.get())), "\n");
    }
    std::string subject = DecodedSubject(message, nullptr);
    if (!subject.empty()) absl::StrAppend(&summary, "Subject: ", subject, "\n");
    if (!summary.empty()) {
      if (!text_parts_.empty()) summary.insert(0, "\n");
      text_parts_.push_back(summary);
    }
  }
  WalkContext inner = ctx;
  inner.depth = ctx.depth + 1;
  inner.in_digest = false;
  inner.related_resource = false;
  inner.in_embedded = true;
  GMimeObject* root = g_mime_message_get_mime_part(message);
  if (inner.depth <= kMaxDepth) {
    // A message whose whole body is a message (possibly again).
    if (GMimeMessage* nested = MessageOf(root); nested != nullptr) {
      EmbedMessageAsBody(nested, inner, false);
      return;
    }
  }
  Walk(root, inner);
}

void MessageParser::AddAttachment(std::string name, std::string media_type,
                                  std::string content, std::string content_id,
                                  bool is_inline) {
  name = email_internal::SanitizeFileName(name);
  if (name.empty()) {
    name = absl::StrCat(is_inline ? "inline-" : "attachment-", out_->attachments_size() + 1,
                        email_internal::ExtensionForMediaType(media_type));
  }
  if (content.size() > options_.max_attachment_bytes) {
    Warn(absl::StrCat("attachment '", name, "' (", media_type, ", ", content.size(),
                      " bytes) dropped: over the limit of ",
                      options_.max_attachment_bytes, " bytes"));
    return;
  }
  v1::InboundAttachment* a = out_->add_attachments();
  a->set_file_name(std::move(name));
  a->set_media_type(std::move(media_type));
  a->set_content(std::move(content));
  a->set_content_id(std::move(content_id));
  a->set_inline_(is_inline);
}

void MessageParser::Finish() {
  // Bodies.
  std::string text = absl::StrJoin(text_parts_, "\n");
  std::string html = absl::StrJoin(html_parts_, "\n");
  if (absl::StripAsciiWhitespace(text).empty() && !html.empty()) {
    text = email_internal::HtmlToText(html);
  }
  if (absl::StripAsciiWhitespace(text).empty() && !delivery_status_.empty()) {
    text = RepairUtf8(delivery_status_);  // a report with no readable notice
  }
  text = std::string(absl::StripTrailingAsciiWhitespace(text));
  facts_.has_inline_returned_headers = email_internal::HasInlineReturnedHeaders(text);
  facts_.has_failure_notice = email_internal::HasDeliveryFailureNotice(
      absl::string_view(text).substr(0, 8192));

  const v1::InboundMessage::AutoKind kind = email_internal::ClassifyMessage(facts_);
  out_->set_auto_kind(kind);
  const bool report_like = kind == v1::InboundMessage::BOUNCE || facts_.has_report;

  // Forwarded messages are attachments; a report's returned message is not.
  if (!report_like) {
    for (const PendingMessage& pending : messages_) {
      GCharPtr bytes(g_mime_object_to_string(GMIME_OBJECT(pending.message), nullptr));
      std::string subject = DecodedSubject(pending.message, nullptr);
      std::replace(subject.begin(), subject.end(), '/', '-');
      std::replace(subject.begin(), subject.end(), '\\', '-');
      std::string name = email_internal::SanitizeFileName(subject);
      if (name.size() > 200) name.resize(200);
      name = RepairUtf8(name);  // the cut may split a character
      name = name.empty() ? "forwarded-message.eml" : absl::StrCat(name, ".eml");
      AddAttachment(std::move(name), "message/rfc822", std::string(View(bytes.get())), "",
                    false);
    }
  }

  if (kind == v1::InboundMessage::BOUNCE) {
    std::vector<std::string> failed =
        facts_.has_delivery_status
            ? email_internal::FailedRecipientsFromDeliveryStatus(delivery_status_)
            : email_internal::FailedRecipientsFromNotice(text);
    for (const std::string& r : facts_.x_failed_recipients) {
      if (std::find(failed.begin(), failed.end(), r) == failed.end()) failed.push_back(r);
    }
    for (std::string& r : failed) out_->add_bounced_recipients(std::move(r));
  }
  if (options_.strip_quoted_history && !email_internal::HasForwardSubject(out_->subject())) {
    text = email_internal::StripQuotedHistory(text);
  }
  out_->set_body_text(std::move(text));
  out_->set_body_html(std::move(html));
}

}  // namespace helpdesk::email_internal
