// The e-mail InboundAdapter: RFC 5322 bytes -> v1::InboundMessage, with GMime
// doing the MIME parsing and RFC 2231 decoding (RFC 2047 header text: our own
// linear decoder, email_header_text.cc).
//
// One unit (about 1,200 lines): the walk over one message's MIME tree and the
// fallbacks for damaged headers share the parse state; classification
// (email_classify.cc), body text (email_text.cc) and header text are their own
// files. Address handling is the next part to move out.
#include <gmime/gmime.h>

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
#include "channels/email_classify.h"
#include "channels/email_header_text.h"
#include "channels/email_text.h"
#include "channels/gmime_support.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "helpdesk/channel.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/timestamp.h"
#include "internal/sha256.h"

namespace helpdesk {
namespace {

using email_internal::CollapseWhitespace;
using email_internal::ConvertToUtf8;
using email_internal::DecodedContent;
using email_internal::GCharPtr;
using email_internal::GObjectPtr;
using email_internal::MediaType;
using email_internal::MessageFacts;
using email_internal::RepairUtf8;
using email_internal::View;

constexpr int kMaxDepth = 64;
constexpr size_t kMaxWarnings = 100;

// ---------------------------------------------------------------------------
// Preparing the raw bytes
// ---------------------------------------------------------------------------

bool IsEssentialField(absl::string_view name) {
  static constexpr absl::string_view kNames[] = {
      "from",          "to",          "cc",           "subject",
      "message-id",    "in-reply-to", "references",   "mime-version",
      "return-path",   "sender",      "reply-to",     "auto-submitted",
      "precedence",    "list-id",     "x-autoreply",  "x-autorespond",
      "x-autoreply-from", "x-mail-autoreply", "x-apple-action", "date"};
  if (absl::StartsWithIgnoreCase(name, "content-")) return true;
  for (absl::string_view n : kNames) {
    if (absl::EqualsIgnoreCase(name, n)) return true;
  }
  return false;
}

// True when `next` (the start of the following line) continues a header:
// it is indented, or starts with "Name:".
bool LooksLikeHeaderContinuationOrField(absl::string_view next) {
  if (next.empty()) return false;
  if (next[0] == ' ' || next[0] == '\t') return true;
  size_t i = 0;
  while (i < next.size() && next[i] > ' ' && next[i] < 127 && next[i] != ':') ++i;
  return i > 0 && i < next.size() && next[i] == ':';
}

// Normalises what GMime does not handle itself: a byte-order mark, an mbox
// "From " line, CR-only line ends, and a header block over the line limit.
std::string PrepareInput(absl::string_view raw, size_t max_header_lines,
                         size_t max_field_bytes, std::vector<std::string>* warnings) {
  if (absl::StartsWith(raw, "\xEF\xBB\xBF")) raw.remove_prefix(3);
  // An mbox separator ("From sender date", "From - date"), not a "From :"
  // field in obsolete syntax.
  if (absl::StartsWith(raw, "From ") &&
      absl::StripLeadingAsciiWhitespace(raw.substr(4, 64)).substr(0, 1) != ":") {
    size_t nl = raw.find('\n');
    raw = nl == absl::string_view::npos ? absl::string_view() : raw.substr(nl + 1);
  }
  std::string input;
  size_t first_break = raw.find_first_of("\r\n");
  if (first_break != absl::string_view::npos && raw[first_break] == '\r' &&
      (first_break + 1 >= raw.size() || raw[first_break + 1] != '\n')) {
    // Old Mac line ends: lone CRs become LFs.
    input = email_internal::NormalizeNewlines(raw);
  } else {
    input = std::string(raw);
  }

  // Count the header lines up to the first empty line. A line of only
  // spaces followed by a line that is neither a continuation nor a field is
  // the separator a careless mailer wrote with a space in it.
  size_t pos = 0;
  size_t lines = 0;
  size_t header_end = input.size();
  size_t field_start = 0;
  bool long_field = false;
  while (pos < input.size()) {
    size_t nl = input.find('\n', pos);
    size_t end = nl == std::string::npos ? input.size() : nl;
    absl::string_view line(input.data() + pos, end - pos);
    if (line.empty() || line == "\r") {
      header_end = pos;
      break;
    }
    if (line[0] != ' ' && line[0] != '\t') field_start = pos;
    if (end - field_start > max_field_bytes) long_field = true;
    if (absl::StripAsciiWhitespace(line).empty() && nl != std::string::npos &&
        !LooksLikeHeaderContinuationOrField(
            absl::string_view(input).substr(nl + 1, 200))) {
      input.replace(pos, end - pos, line.back() == '\r' ? "\r" : "");
      header_end = pos;
      warnings->push_back("header: the line ending the header holds spaces");
      break;
    }
    ++lines;
    pos = nl == std::string::npos ? input.size() : nl + 1;
  }
  if (lines <= max_header_lines && !long_field) return input;

  // Keep whole fields up to the limit, and the essential ones after it.
  std::string kept;
  kept.reserve(input.size());
  size_t kept_lines = 0;
  size_t dropped_fields = 0;
  pos = 0;
  std::string field;
  size_t field_lines = 0;
  std::string field_name;
  size_t cut_fields = 0;
  auto finish_field = [&]() {
    if (field.empty()) return;
    if (field.size() > max_field_bytes) {
      if (cut_fields++ < 10) {
        warnings->push_back(absl::StrCat("header: field '",
                                         RepairUtf8(field_name.substr(0, 100)), "' is ",
                                         field.size(), " bytes, over the limit of ",
                                         max_field_bytes, "; cut"));
      }
      field.resize(max_field_bytes);
      // Cut before a partial line break, and end the field with one.
      while (!field.empty() && (field.back() == '\r' || field.back() == '\n')) {
        field.pop_back();
      }
      field.append("\r\n");
    }
    if (kept_lines + field_lines <= max_header_lines || IsEssentialField(field_name)) {
      kept.append(field);
      kept_lines += field_lines;
    } else {
      ++dropped_fields;
    }
    field.clear();
    field_lines = 0;
  };
  while (pos < header_end) {
    size_t nl = input.find('\n', pos);
    size_t end = nl == std::string::npos ? input.size() : nl + 1;
    absl::string_view line(input.data() + pos, end - pos);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !field.empty()) {
      field.append(line.data(), line.size());
      ++field_lines;
    } else {
      finish_field();
      field.assign(line.data(), line.size());
      field_lines = 1;
      size_t colon = line.find(':');
      field_name = std::string(absl::StripAsciiWhitespace(
          line.substr(0, colon == absl::string_view::npos ? 0 : colon)));
    }
    pos = end;
  }
  finish_field();
  kept.append(input, header_end, std::string::npos);
  if (lines > max_header_lines) {
    warnings->push_back(absl::StrCat("header: ", lines, " lines, over the limit of ",
                                     max_header_lines, "; ", dropped_fields,
                                     " fields after the limit ignored"));
  }
  return kept;
}

// ---------------------------------------------------------------------------
// Walking the MIME tree
// ---------------------------------------------------------------------------

struct WalkContext {
  int depth = 0;
  bool in_report = false;       // inside a multipart/report
  bool in_digest = false;       // children of a multipart/digest
  bool related_resource = false;  // a non-root part of multipart/related
  bool in_embedded = false;     // inside a message shown as body
};

struct PendingMessage {
  GMimeMessage* message;  // owned by the parsed tree
  std::string disposition;
};

class MessageParser {
 public:
  MessageParser(const EmailInboundOptions& options, v1::InboundMessage* out)
      : options_(options), out_(out) {}

  void Warn(std::string warning) {
    if (warnings_.size() < kMaxWarnings) {
      warnings_.push_back(std::move(warning));
    } else if (warnings_.size() == kMaxWarnings) {
      warnings_.push_back("more problems were found and not listed");
    }
  }
  std::vector<std::string>* warnings() { return &warnings_; }

  void ReadHeaders(GMimeMessage* message);
  void ReadAddresses(GMimeMessage* message);
  void WalkRoot(GMimeMessage* message);
  void Finish();

  MessageFacts& facts() { return facts_; }

 private:
  void Walk(GMimeObject* object, WalkContext ctx);
  void WalkMultipart(GMimeMultipart* multipart, const std::string& media,
                     WalkContext ctx);
  void WalkAlternative(GMimeMultipart* multipart, WalkContext ctx);
  void WalkLeaf(GMimePart* part, const std::string& media, WalkContext ctx);
  void WalkMessage(GMimeObject* part, GMimeMessage* inner, WalkContext ctx);
  void EmbedMessageAsBody(GMimeMessage* message, WalkContext ctx, bool with_summary);
  // The message carried by a message/rfc822 part, or null.
  GMimeMessage* MessageOf(GMimeObject* object);
  // For a multipart in which GMime found no parts: the same multipart parsed
  // again with a boundary repaired from its content, or null.
  GMimeObject* RecoverMultipart(GMimeMultipart* multipart, const std::string& media);
  GMimeObject* ParsePart(const std::string& bytes);
  // Removes trailing lines that are (malformed) delimiters of an enclosing
  // multipart, which GMime leaves in the last part when a close delimiter is
  // broken ("--boundary-").
  void StripStrayDelimiters(std::string* text) const {
    if (boundaries_.empty()) return;
    while (true) {
      absl::string_view t = absl::StripTrailingAsciiWhitespace(*text);
      size_t nl = t.rfind('\n');
      absl::string_view last = nl == absl::string_view::npos ? t : t.substr(nl + 1);
      bool stray = false;
      for (const std::string& b : boundaries_) {
        if (absl::StartsWith(last, b) && last.size() <= b.size() + 2) stray = true;
      }
      if (!stray) return;
      text->resize(nl == absl::string_view::npos ? 0 : nl);
    }
  }
  void AddAttachment(std::string name, std::string media_type, std::string content,
                     std::string content_id, bool is_inline);

  const EmailInboundOptions& options_;
  v1::InboundMessage* out_;
  std::vector<std::string> warnings_;
  MessageFacts facts_;
  std::vector<std::string> text_parts_;
  std::vector<std::string> html_parts_;
  std::vector<PendingMessage> messages_;
  // Messages parsed from parts GMime left as leaves (a message/rfc822 with a
  // base64 or quoted-printable encoding, which RFC 2046 forbids but mailers
  // send).
  std::vector<GObjectPtr<GMimeMessage>> reparsed_;
  std::vector<GObjectPtr<GMimeObject>> recovered_;
  bool recovering_ = false;
  // "--boundary" of the enclosing multiparts, innermost last.
  std::vector<std::string> boundaries_;
  std::string delivery_status_;
  int part_counter_ = 0;
  bool depth_warned_ = false;
};

std::string HeaderValue(GMimeHeader* header) {
  absl::string_view raw = View(g_mime_header_get_raw_value(header));
  return CollapseWhitespace(raw);
}

// The Subject of `message` (its last Subject field, the one GMime takes),
// RFC 2047 decoded by DecodeHeaderText, unfolded, whitespace collapsed, valid
// UTF-8; "" when there is none. Linear in the field's size.
std::string DecodedSubject(GMimeMessage* message, std::vector<std::string>* warnings) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  const int count = headers == nullptr ? 0 : g_mime_header_list_get_count(headers);
  GMimeHeader* subject = nullptr;
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    if (absl::EqualsIgnoreCase(View(g_mime_header_get_name(header)), "Subject")) {
      subject = header;
    }
  }
  if (subject == nullptr) return "";
  return RepairUtf8(CollapseWhitespace(email_internal::DecodeHeaderText(
      View(g_mime_header_get_raw_value(subject)), "Subject", warnings)));
}

// A display name or file name as GMime decoded it (strictly: encoded words
// only where RFC 2047 allows them), with the encoded words it left (inside
// quotes, glued to text) decoded too.
std::string DecodedPhrase(const char* gmime_value) {
  absl::string_view value = View(gmime_value);
  if (!email_internal::MayHoldEncodedWords(value)) return std::string(value);
  return email_internal::DecodeHeaderText(value);
}

void MessageParser::ReadHeaders(GMimeMessage* message) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  const int count = headers == nullptr ? 0 : g_mime_header_list_get_count(headers);
  std::string in_reply_to;
  std::string references;
  bool seen_in_reply_to = false;
  bool seen_references = false;
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    absl::string_view name = View(g_mime_header_get_name(header));
    if (name.empty()) continue;
    const char first = absl::ascii_tolower(static_cast<unsigned char>(name[0]));
    if (first != 'a' && first != 'p' && first != 'l' && first != 'x' &&
        first != 'r' && first != 'i') {
      continue;  // none of the fields below
    }
    if (absl::EqualsIgnoreCase(name, "Auto-Submitted")) {
      std::string v = absl::AsciiStrToLower(HeaderValue(header));
      absl::string_view token = absl::StripAsciiWhitespace(
          absl::string_view(v).substr(0, v.find_first_of(";( \t")));
      if (!facts_.has_auto_submitted || facts_.auto_submitted == "no") {
        facts_.auto_submitted = std::string(token);
      }
      facts_.has_auto_submitted = true;
    } else if (absl::EqualsIgnoreCase(name, "X-Autoreply") ||
               absl::EqualsIgnoreCase(name, "X-Autorespond") ||
               absl::EqualsIgnoreCase(name, "X-AutoReply-From") ||
               absl::EqualsIgnoreCase(name, "X-Mail-Autoreply") ||
               absl::EqualsIgnoreCase(name, "X-Autogenerated")) {
      std::string v = absl::AsciiStrToLower(HeaderValue(header));
      if (!v.empty() && v != "no" && v != "false" && v != "0") {
        facts_.has_autoreply_header = true;
      }
    } else if (absl::EqualsIgnoreCase(name, "Precedence")) {
      if (facts_.precedence.empty()) {
        facts_.precedence = absl::AsciiStrToLower(HeaderValue(header));
        facts_.precedence = std::string(absl::StripAsciiWhitespace(
            absl::string_view(facts_.precedence)
                .substr(0, facts_.precedence.find_first_of(" ;("))));
      }
    } else if (absl::EqualsIgnoreCase(name, "List-Id")) {
      facts_.has_list_id = true;
    } else if (absl::EqualsIgnoreCase(name, "X-Failed-Recipients")) {
      for (std::string& address : email_internal::AddressesOfList(HeaderValue(header))) {
        if (std::find(facts_.x_failed_recipients.begin(), facts_.x_failed_recipients.end(),
                      address) == facts_.x_failed_recipients.end() &&
            facts_.x_failed_recipients.size() < 100) {
          facts_.x_failed_recipients.push_back(std::move(address));
        }
      }
    } else if (absl::EqualsIgnoreCase(name, "X-Apple-Action")) {
      facts_.x_apple_action = absl::AsciiStrToLower(HeaderValue(header));
    } else if (absl::EqualsIgnoreCase(name, "Return-Path")) {
      std::string v = HeaderValue(header);
      v.erase(std::remove_if(v.begin(), v.end(),
                             [](char c) { return c == ' ' || c == '\t'; }),
              v.end());
      if (absl::StartsWith(v, "<>")) facts_.null_return_path = true;
    } else if (absl::EqualsIgnoreCase(name, "In-Reply-To")) {
      if (!seen_in_reply_to) in_reply_to = HeaderValue(header);
      seen_in_reply_to = true;
    } else if (absl::EqualsIgnoreCase(name, "References")) {
      if (!seen_references) references = HeaderValue(header);
      seen_references = true;
    }
  }

  // Threading keys.
  v1::ThreadingKeys* threading = out_->mutable_threading();
  std::string message_id(View(g_mime_message_get_message_id(message)));
  if (!message_id.empty()) {
    message_id.erase(std::remove_if(message_id.begin(), message_id.end(),
                                    [](char c) {
                                      return static_cast<unsigned char>(c) <= ' ' ||
                                             c == '<' || c == '>';
                                    }),
                     message_id.end());
  }
  threading->set_message_id(message_id);
  out_->set_external_id(message_id);
  std::vector<std::string> parents = email_internal::ExtractMessageIds(in_reply_to);
  if (!parents.empty()) threading->set_in_reply_to(parents.front());
  if (!in_reply_to.empty() && parents.empty()) {
    Warn(absl::StrCat("In-Reply-To: no message id in '",
                      RepairUtf8(in_reply_to.substr(0, 100)), "'; ignored"));
  }
  for (std::string& id : email_internal::ExtractMessageIds(references)) {
    threading->add_references(std::move(id));
  }

  // Subject and ticket token.
  std::vector<std::string> subject_warnings;
  std::string subject = DecodedSubject(message, &subject_warnings);
  for (std::string& w : subject_warnings) Warn(std::move(w));
  threading->set_ticket_token(FindTicketToken(subject, options_.ticket_token_prefix,
                                              options_.accept_bare_ticket_token));
  facts_.subject = subject;
  out_->set_subject(std::move(subject));
}

// Appends the mailboxes of `list` (groups flattened) to `out`; an address
// without "@" becomes the name. `raw_emails` (optional) receives every
// address as written, lower-cased.
void AppendParties(InternetAddressList* list, google::protobuf::RepeatedPtrField<v1::Party>* out,
                   std::vector<std::string>* raw_emails = nullptr, int depth = 0) {
  if (list == nullptr || depth > 4) return;
  const int n = internet_address_list_length(list);
  for (int i = 0; i < n && out->size() < 1000; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      AppendParties(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)),
                    out, raw_emails, depth + 1);
      continue;
    }
    if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
    std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
        View(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)))));
    std::string name = CollapseWhitespace(DecodedPhrase(internet_address_get_name(address)));
    if (email.empty() && name.empty()) continue;
    if (raw_emails != nullptr) raw_emails->push_back(email);
    if (email.find('@') == std::string::npos) {
      // "MAILER-DAEMON", "localrecipient": a name, not an address.
      if (name.empty()) name = email;
      email.clear();
    }
    v1::Party* party = out->Add();
    party->set_email(RepairUtf8(email));
    party->set_name(RepairUtf8(name));
  }
}

// The mailbox in a From value GMime could not parse: the address in <>, else
// the one around the first "@"; comments removed, whitespace outside quoted
// strings removed (obsolete syntax allows "john . smith @ example . com"),
// a quoted local part ("john smith"@example.com) kept as written, quotes
// included. The name is the phrase before the address. Email empty when
// there is no address.
v1::Party FallbackMailbox(absl::string_view value) {
  // Comments out, quoted strings (with their escapes) kept whole.
  std::string plain;
  int depth = 0;
  bool quoted = false;
  bool escaped = false;
  for (char c : value) {
    if (quoted) {
      plain.push_back(c);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"' && depth == 0) quoted = true;
    if (c == '(') ++depth;
    if (depth == 0) plain.push_back(c);
    if (c == ')' && depth > 0) --depth;
  }
  // Positions of '<' and '>' outside quoted strings; for each byte of a
  // quoted string (its quotes included), where that string opens.
  size_t lt = std::string::npos, gt = std::string::npos, at = std::string::npos;
  std::vector<size_t> quote_open(plain.size(), std::string::npos);
  size_t open = std::string::npos;
  escaped = false;
  for (size_t i = 0; i < plain.size(); ++i) {
    const char c = plain[i];
    if (open != std::string::npos) {
      quote_open[i] = open;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        open = std::string::npos;
      }
      continue;
    }
    if (c == '"') {
      open = i;
      quote_open[i] = i;
    } else if (c == '<' && lt == std::string::npos) {
      lt = i;
    } else if (c == '>' && lt != std::string::npos && gt == std::string::npos) {
      gt = i;
    }
  }
  auto in_quotes = [&](size_t i) { return quote_open[i] != std::string::npos; };
  const size_t begin = lt != std::string::npos && gt != std::string::npos ? lt + 1 : 0;
  const size_t end = lt != std::string::npos && gt != std::string::npos ? gt : plain.size();
  for (size_t i = begin; i < end; ++i) {
    if (plain[i] == '@' && !in_quotes(i)) {
      at = i;
      break;
    }
  }
  v1::Party party;
  if (at == std::string::npos) return party;
  auto without_whitespace = [&](size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) {
      const char c = plain[i];
      if (in_quotes(i) || (c != ' ' && c != '\t' && c != '\r' && c != '\n')) out.push_back(c);
    }
    return out;
  };
  // A quoted local part ends right before the "@" (blanks aside): it starts
  // at its opening quote; a phrase before it is the name.
  size_t local_begin = begin;
  size_t k = at;
  while (k > begin && (plain[k - 1] == ' ' || plain[k - 1] == '\t')) --k;
  if (k > begin && plain[k - 1] == '"' && in_quotes(k - 1) && quote_open[k - 1] >= begin) {
    local_begin = quote_open[k - 1];
  }
  std::string local = without_whitespace(local_begin, at);
  std::string domain = without_whitespace(at + 1, end);
  while (!domain.empty() && (domain.back() == ',' || domain.back() == ';')) domain.pop_back();
  if (local.empty() || domain.empty()) return party;
  party.set_email(RepairUtf8(absl::AsciiStrToLower(absl::StrCat(local, "@", domain))));
  std::string name = CollapseWhitespace(
      lt != std::string::npos && gt != std::string::npos
          ? absl::string_view(plain).substr(0, lt)
          : absl::string_view(plain).substr(0, local_begin == begin ? 0 : local_begin));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  party.set_name(RepairUtf8(name));
  return party;
}

void MessageParser::ReadAddresses(GMimeMessage* message) {
  google::protobuf::RepeatedPtrField<v1::Party> from;
  std::vector<std::string> raw_from;
  for (GMimeAddressType type :
       {GMIME_ADDRESS_TYPE_FROM, GMIME_ADDRESS_TYPE_SENDER, GMIME_ADDRESS_TYPE_REPLY_TO}) {
    AppendParties(g_mime_message_get_addresses(message, type), &from, &raw_from);
    if (!from.empty() && !from.Get(0).email().empty()) break;
  }
  // Prefer the first mailbox with an address ("From: MAILER-DAEMON" with a
  // Sender that has one), else keep the first one.
  for (int i = 1; i < from.size(); ++i) {
    if (from.Get(0).email().empty() && !from.Get(i).email().empty()) {
      from.SwapElements(0, i);
      break;
    }
  }
  if (from.empty()) {
    // An address GMime could not parse (obsolete syntax with comments and
    // spaces, a phrase without angle brackets).
    v1::Party party = FallbackMailbox(View(g_mime_object_get_header(GMIME_OBJECT(message), "From")));
    if (!party.email().empty()) *from.Add() = std::move(party);
  }
  if (from.empty() || from.Get(0).email().empty()) {
    // No address in From, Sender or Reply-To: the envelope sender, if any.
    absl::string_view return_path =
        View(g_mime_object_get_header(GMIME_OBJECT(message), "Return-Path"));
    if (return_path.find('<') != absl::string_view::npos) {
      v1::Party envelope = FallbackMailbox(return_path);
      if (!envelope.email().empty()) {
        if (from.empty()) from.Add();
        from.Mutable(0)->set_email(envelope.email());
      }
    }
  }
  if (!from.empty()) *out_->mutable_from() = from.Get(0);
  facts_.from_email = out_->from().email().empty() && !raw_from.empty()
                          ? raw_from.front()
                          : out_->from().email();
  facts_.from_name = out_->from().name();
  AppendParties(g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO),
                out_->mutable_to());
  AppendParties(g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_CC),
                out_->mutable_cc());
}

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

bool IsSignatureType(absl::string_view media) {
  return media == "application/pgp-signature" ||
         media == "application/pkcs7-signature" ||
         media == "application/x-pkcs7-signature";
}

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
    std::string bytes = DecodedContent(part);
    std::string charset(View(g_mime_object_get_content_type_parameter(object, "charset")));
    if (media == "text/html" && charset.empty()) {
      charset = email_internal::HtmlMetaCharset(bytes);
    }
    std::string text = email_internal::NormalizeNewlines(ConvertToUtf8(
        bytes, charset, absl::StrCat("part ", part_counter_, " (", media, ")"),
        &warnings_));
    StripStrayDelimiters(&text);
    if (media == "text/html") {
      html_parts_.push_back(std::move(text));
      return;
    }
    if (media != "text/plain") {
      text = email_internal::HtmlToText(text);  // rough, but readable
    } else {
      absl::string_view format =
          View(g_mime_object_get_content_type_parameter(object, "format"));
      if (absl::EqualsIgnoreCase(format, "flowed")) {
        absl::string_view delsp =
            View(g_mime_object_get_content_type_parameter(object, "delsp"));
        text = email_internal::UnflowText(text, absl::EqualsIgnoreCase(delsp, "yes"));
      }
      for (email_internal::UuencodedFile& file :
           email_internal::ExtractUuencodedFiles(&text)) {
        AddAttachment(std::move(file.file_name), "application/octet-stream",
                      std::move(file.content), "", false);
      }
    }
    text_parts_.push_back(std::move(text));
    return;
  }
  std::string content = DecodedContent(part);
  const bool is_inline = disposition != "attachment" &&
                         (!content_id.empty() || disposition == "inline" ||
                          ctx.related_resource);
  AddAttachment(std::move(file_name), media, std::move(content), std::move(content_id),
                is_inline);
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

// Every string field (not bytes) of `message` and its sub-messages made valid
// UTF-8 without NUL bytes.
void RepairStrings(google::protobuf::Message* message) {
  const google::protobuf::Descriptor* d = message->GetDescriptor();
  const google::protobuf::Reflection* r = message->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      std::string scratch;
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(*message, f); ++k) {
          const std::string& v = r->GetRepeatedStringReference(*message, f, k, &scratch);
          if (!email_internal::IsValidUtf8(v) || v.find('\0') != std::string::npos) {
            r->SetRepeatedString(message, f, k, RepairUtf8(v));
          }
        }
      } else {
        const std::string& v = r->GetStringReference(*message, f, &scratch);
        if (!email_internal::IsValidUtf8(v) || v.find('\0') != std::string::npos) {
          r->SetString(message, f, RepairUtf8(v));
        }
      }
    } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(*message, f); ++k) {
          RepairStrings(r->MutableRepeatedMessage(message, f, k));
        }
      } else if (r->HasField(*message, f)) {
        RepairStrings(r->MutableMessage(message, f));
      }
    }
  }
}

class EmailInbound final : public InboundAdapter {
 public:
  explicit EmailInbound(const EmailInboundOptions& options) : options_(options) {
    email_internal::EnsureGMimeInitialized();
  }

  absl::string_view Name() const override { return "helpdesk.email"; }

  absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                           absl::Time received_at) const override {
    if (raw.size() > options_.max_message_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("raw: message is ", raw.size(), " bytes, over the limit of ",
                       options_.max_message_bytes, " bytes"));
    }
    v1::InboundMessage out;
    out.set_channel(v1::CHANNEL_EMAIL);
    *out.mutable_received_at() = ToTimestamp(received_at);
    MessageParser parser(options_, &out);

    std::string input = PrepareInput(raw, options_.max_header_lines,
                                     options_.max_header_field_bytes, parser.warnings());
    email_internal::ParserOptionsPtr parser_options =
        email_internal::NewLenientParserOptions();
    GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(input.data(), input.size()));
    GObjectPtr<GMimeParser> gparser(g_mime_parser_new_with_stream(stream.get()));
    g_mime_parser_set_format(gparser.get(), GMIME_FORMAT_MESSAGE);
    GObjectPtr<GMimeMessage> message(
        g_mime_parser_construct_message(gparser.get(), parser_options.get()));

    if (message == nullptr) {
      // No header block GMime recognises: the whole input is the body.
      if (absl::StripAsciiWhitespace(input).empty()) {
        parser.Warn("raw: empty message");
      } else {
        parser.Warn("raw: no header block; the whole input was read as the body");
      }
      std::vector<std::string> conversion;
      std::string text = email_internal::NormalizeNewlines(
          ConvertToUtf8(input, "", "body", &conversion));
      for (std::string& w : conversion) parser.Warn(std::move(w));
      out.set_body_text(std::string(absl::StripTrailingAsciiWhitespace(text)));
    } else {
      parser.ReadHeaders(message.get());
      parser.ReadAddresses(message.get());
      parser.WalkRoot(message.get());
      parser.Finish();
    }
    if (out.external_id().empty()) {
      out.set_idempotency_key(absl::StrCat("email-sha256:", internal::Sha256Hex(raw)));
    }
    for (std::string& w : *parser.warnings()) out.add_warnings(std::move(w));
    RepairStrings(&out);
    return out;
  }

 private:
  const EmailInboundOptions options_;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Reads 1..18 digits at s[*i]; advances *i. 0 when there are none or too many.
int64_t ReadNumber(absl::string_view s, size_t* i) {
  size_t start = *i;
  int64_t value = 0;
  while (*i < s.size() && IsDigit(s[*i])) {
    if (*i - start >= 18) return 0;
    value = value * 10 + (s[*i] - '0');
    ++*i;
  }
  return *i > start ? value : 0;
}

bool MatchPrefix(absl::string_view s, size_t i, absl::string_view prefix) {
  return s.size() - i >= prefix.size() &&
         absl::EqualsIgnoreCase(s.substr(i, prefix.size()), prefix);
}

}  // namespace

int64_t FindTicketToken(absl::string_view subject, absl::string_view prefix,
                        bool accept_bare) {
  // Bracketed: "[#1234]", "[ # 1234 ]", "(#1234)".
  for (size_t i = 0; i < subject.size(); ++i) {
    char open = subject[i];
    if (open != '[' && open != '(') continue;
    char close = open == '[' ? ']' : ')';
    size_t j = i + 1;
    while (j < subject.size() && subject[j] == ' ') ++j;
    if (!MatchPrefix(subject, j, prefix)) continue;
    j += prefix.size();
    while (j < subject.size() && subject[j] == ' ') ++j;
    if (j >= subject.size() || !IsDigit(subject[j])) continue;
    int64_t number = ReadNumber(subject, &j);
    while (j < subject.size() && subject[j] == ' ') ++j;
    if (number > 0 && j < subject.size() && subject[j] == close) return number;
  }
  if (!accept_bare || prefix.empty()) return 0;
  // Bare: "#1234" not glued to a word.
  for (size_t i = 0; i + prefix.size() < subject.size(); ++i) {
    if (!MatchPrefix(subject, i, prefix)) continue;
    if (i > 0 && IsWordChar(subject[i - 1])) continue;  // "C#12", "abc#12"
    size_t j = i + prefix.size();
    if (!IsDigit(subject[j])) continue;
    int64_t number = ReadNumber(subject, &j);
    if (number <= 0) continue;
    if (j < subject.size() && (IsWordChar(subject[j]) || subject[j] == '-')) continue;
    return number;
  }
  return 0;
}

std::unique_ptr<InboundAdapter> NewEmailInbound(const EmailInboundOptions& options) {
  return std::make_unique<EmailInbound>(options);
}

}  // namespace helpdesk
