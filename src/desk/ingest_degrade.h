// Internal: shortening what is merely large in an inbound message, so the desk
// takes it instead of refusing it (see Inbox::Ingest). Pure functions.
#ifndef HELPDESK_SRC_DESK_INGEST_DEGRADE_H_
#define HELPDESK_SRC_DESK_INGEST_DEGRADE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk::internal {

// The length of the longest prefix of `text` of at most `max_bytes` bytes
// that does not end inside a UTF-8 sequence (`text` is valid UTF-8).
size_t Utf8PrefixLength(absl::string_view text, size_t max_bytes);

// The limits DegradeInbound keeps to (DeskLimits' fields of the same names).
struct DegradeLimits {
  size_t max_subject_bytes = 0;
  size_t max_body_bytes = 0;
  size_t max_attachment_bytes = 0;
};

struct DegradedMessage {
  v1::InboundMessage message;
  // One line per change, for IngestResult::degraded.
  std::vector<std::string> notes;
};

// Returns `m` shortened to fit `limits`, or nullopt when it fits as it is (or
// when what is too large cannot be shortened: text that is not valid UTF-8,
// a body too large even for an attachment; the checks that follow refuse
// those). A subject over the limit is cut on a UTF-8 boundary and ends in
// "...", the whole subject attached as subject.txt. An HTML body over the
// limit is attached as message.html and dropped from the body (the text says
// so); a text body over the limit is attached as message.txt and cut, ending
// with a note.
std::optional<DegradedMessage> DegradeInbound(const v1::InboundMessage& m,
                                              const DegradeLimits& limits);

// Makes `prefix` + `body` fit in `max_bytes`: returns it whole when it fits;
// otherwise, when `body` fits in max_attachment_bytes, sets `*attach_whole`
// to true (the caller attaches `body` whole as message.txt) and returns the
// prefix, the body cut on a UTF-8 boundary, and a note naming the file. For
// notes that quote a message.
std::string FitWithPrefix(absl::string_view prefix, absl::string_view body,
                          size_t max_bytes, size_t max_attachment_bytes,
                          bool* attach_whole);

// Replaces invalid UTF-8 in every string (not bytes) field of `m`, nested
// and repeated ones included, with U+FFFD, so the message can be stored
// (proto3 refuses to parse such strings back). Returns whether anything
// changed.
bool RepairUtf8Fields(google::protobuf::Message* m);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_DESK_INGEST_DEGRADE_H_
