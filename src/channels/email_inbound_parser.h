// Internal: MessageParser, which fills one v1::InboundMessage from a message
// GMime parsed, shared by the files that implement it: the top-level header
// (threading keys, subject and ticket token, the facts classification uses:
// email_inbound_headers.cc), the addresses (email_inbound_addresses.cc) and
// the walk over the MIME tree that collects the bodies and attachments
// (email_mime_walk.cc). The adapter that drives it, with the preparation of
// the raw bytes, is email_inbound.cc.
//
// Thread safety: a parser serves one Parse call on one thread.
#ifndef HELPDESK_SRC_CHANNELS_EMAIL_INBOUND_PARSER_H_
#define HELPDESK_SRC_CHANNELS_EMAIL_INBOUND_PARSER_H_

#include <gmime/gmime.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "channels/email_classify.h"
#include "channels/gmime_support.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk::email_internal {

// The most warnings one message collects; one more says that others were
// not listed.
inline constexpr size_t kMaxWarnings = 100;

struct WalkContext {
  int depth = 0;
  bool in_report = false;       // inside a multipart/report
  bool in_digest = false;       // children of a multipart/digest
  bool related_resource = false;  // a non-root part of multipart/related
  bool in_embedded = false;     // inside a message shown as body
};

// One field of a header block: its name and its raw value as GMime keeps it
// (everything after the colon, folds and the final line break included).
struct HeaderField {
  absl::string_view name;
  absl::string_view raw_value;
};

struct PendingMessage {
  GMimeMessage* message;  // owned by the parsed tree
  std::string disposition;
};

// Fills `out` from one parsed message: ReadHeaders, ReadAddresses, WalkRoot,
// then Finish. Problems become warnings (Warn), never errors.
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

  // The fast path (email_fast_parse.cc): reads `input` (the prepared raw
  // bytes) without GMime when it is a message whose every part this parser
  // is sure of (one text/plain body, plain header fields and addresses; see
  // there), filling exactly what ReadHeaders, ReadAddresses and WalkRoot would
  // from GMime's parse; then the caller calls Finish. False, with nothing
  // changed, when it is not sure: the caller parses with GMime.
  bool ParseSimple(absl::string_view input);

  // ReadHeaders over fields already split: `fields` the top-level fields in
  // order, `gmime_message_id` the Message-ID as GMime decodes it.
  void ReadHeaderFields(const std::vector<HeaderField>& fields,
                        absl::string_view gmime_message_id);

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
  // A text leaf (text/plain, text/html, text/enriched, text/richtext) shown
  // as the body: `bytes` its decoded content, the rest its Content-Type
  // parameters.
  void AddTextBody(const std::string& media, std::string bytes,
                   absl::string_view charset_parameter, absl::string_view format,
                   absl::string_view delsp);
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

// The Subject of `message` (its last Subject field, the one GMime takes),
// RFC 2047 decoded by DecodeHeaderText, unfolded, whitespace collapsed, valid
// UTF-8; "" when there is none. Linear in the field's size.
std::string DecodedSubject(GMimeMessage* message, std::vector<std::string>* warnings);
// The same from the Subject field's raw value.
std::string DecodedSubjectValue(absl::string_view raw_value,
                                std::vector<std::string>* warnings);

// A display name or file name as GMime decoded it (strictly: encoded words
// only where RFC 2047 allows them), with the encoded words it left (inside
// quotes, glued to text) decoded too.
std::string DecodedPhrase(absl::string_view gmime_value);
inline std::string DecodedPhrase(const char* gmime_value) {
  return DecodedPhrase(View(gmime_value));
}

// Appends one mailbox (its address and display name as GMime gives them) to
// `out`: the address lower-cased and trimmed, the name decoded and its
// whitespace collapsed; an address without "@" becomes the name; nothing
// when both are empty. `raw_emails` (optional) receives the address.
void AppendParty(absl::string_view addr, absl::string_view gmime_name,
                 google::protobuf::RepeatedPtrField<v1::Party>* out,
                 std::vector<std::string>* raw_emails);

}  // namespace helpdesk::email_internal

#endif  // HELPDESK_SRC_CHANNELS_EMAIL_INBOUND_PARSER_H_
