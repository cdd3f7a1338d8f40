// The e-mail InboundAdapter: RFC 5322 bytes -> v1::InboundMessage, with GMime
// doing the MIME parsing and RFC 2231 decoding (RFC 2047 header text: our own
// linear decoder, email_header_text.cc).
//
// This file holds the adapter: the raw bytes prepared for GMime (a BOM, an
// mbox "From " line, CR-only line ends, an over-long header block), the parse,
// and the repair of every string to valid UTF-8. MessageParser fills the
// message (email_inbound_parser.h): the top-level header and threading keys
// (email_inbound_headers.cc), the addresses (email_inbound_addresses.cc) and
// the MIME walk with the bodies and attachments (email_mime_walk.cc);
// classification (email_classify.cc), body text (email_text.cc) and header
// text are their own files.
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
#include "channels/email_inbound_parser.h"
#include "channels/email_parse_modes.h"
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

using email_internal::ConvertToUtf8;
using email_internal::GObjectPtr;
using email_internal::MessageParser;
using email_internal::RepairUtf8;

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

// One GMimeParser per thread, reused by Parse: a parser's creation and
// finalisation (its buffers, its GObject) cost as much as a fifth of GMime's
// parse of a short mail. g_mime_parser_init_with_stream frees all state of
// the previous parse and starts afresh; the format is set again on each use.
// A parse on the thread while the parser is out (none today) makes its own.
// The parser and an empty stream live until the thread ends.
class ThreadParser {
 public:
  explicit ThreadParser(GMimeStream* stream) : parser_(std::move(Slot())) {
    if (parser_ == nullptr) {
      parser_.reset(g_mime_parser_new_with_stream(stream));
    } else {
      g_mime_parser_init_with_stream(parser_.get(), stream);
    }
    g_mime_parser_set_format(parser_.get(), GMIME_FORMAT_MESSAGE);
  }
  ~ThreadParser() {
    if (Slot() != nullptr) return;
    // Kept on an empty stream: the parsed bytes are not held until the next
    // parse.
    static thread_local GObjectPtr<GMimeStream> empty(g_mime_stream_mem_new());
    g_mime_parser_init_with_stream(parser_.get(), empty.get());
    Slot() = std::move(parser_);
  }
  ThreadParser(const ThreadParser&) = delete;
  ThreadParser& operator=(const ThreadParser&) = delete;
  GMimeParser* get() const { return parser_.get(); }

 private:
  static GObjectPtr<GMimeParser>& Slot() {
    static thread_local GObjectPtr<GMimeParser> parser;
    return parser;
  }
  GObjectPtr<GMimeParser> parser_;
};

// The end of every parse: the idempotency key of a message without a
// Message-ID, the warnings, every string valid UTF-8.
v1::InboundMessage Finished(absl::string_view raw, v1::InboundMessage* out,
                            MessageParser* parser) {
  if (out->external_id().empty()) {
    out->set_idempotency_key(absl::StrCat("email-sha256:", internal::Sha256Hex(raw)));
  }
  for (std::string& w : *parser->warnings()) out->add_warnings(std::move(w));
  RepairStrings(out);
  return std::move(*out);
}

}  // namespace

namespace email_internal {

absl::StatusOr<v1::InboundMessage> ParseEmail(absl::string_view raw, absl::Time received_at,
                                              const EmailInboundOptions& options,
                                              FastPath fast_path) {
  EnsureGMimeInitialized();
  if (raw.size() > options.max_message_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("raw: message is ", raw.size(), " bytes, over the limit of ",
                     options.max_message_bytes, " bytes"));
  }
  v1::InboundMessage out;
  out.set_channel(v1::CHANNEL_EMAIL);
  *out.mutable_received_at() = ToTimestamp(received_at);
  MessageParser parser(options, &out);

  std::string input = PrepareInput(raw, options.max_header_lines,
                                   options.max_header_field_bytes, parser.warnings());
  if (fast_path != email_internal::FastPath::kOff && parser.ParseSimple(input)) {
    parser.Finish();
    return Finished(raw, &out, &parser);
  }
  if (fast_path == email_internal::FastPath::kOnly) {
    return absl::UnimplementedError("raw: not a message the fast path is sure of");
  }
  email_internal::ParserOptionsPtr parser_options =
      email_internal::NewLenientParserOptions();
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(input.data(), input.size()));
  ThreadParser gparser(stream.get());
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
  return Finished(raw, &out, &parser);
}

}  // namespace email_internal

namespace {

class EmailInbound final : public InboundAdapter {
 public:
  explicit EmailInbound(const EmailInboundOptions& options) : options_(options) {
    email_internal::EnsureGMimeInitialized();
  }

  absl::string_view Name() const override { return "helpdesk.email"; }

  absl::StatusOr<v1::InboundMessage> Parse(absl::string_view raw,
                                           absl::Time received_at) const override {
    return email_internal::ParseEmail(raw, received_at, options_,
                                      email_internal::FastPath::kOn);
  }

 private:
  const EmailInboundOptions options_;
};

}  // namespace

std::unique_ptr<InboundAdapter> NewEmailInbound(const EmailInboundOptions& options) {
  return std::make_unique<EmailInbound>(options);
}

}  // namespace helpdesk
