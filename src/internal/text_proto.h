// Internal: parsing configs written in proto text format, with errors that
// say where the text is wrong.
#ifndef HELPDESK_SRC_INTERNAL_TEXT_PROTO_H_
#define HELPDESK_SRC_INTERNAL_TEXT_PROTO_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"

namespace helpdesk::internal {

// Parses `text` into `message` (cleared first). Unknown fields and enum values
// are errors. Errors: InvalidArgument "<what>: line L, column C: <parser's
// message>", naming the first error.
absl::Status ParseTextProto(absl::string_view text, absl::string_view what,
                            google::protobuf::Message* message);

// As above, and records where each field was read in `info` (when not null)
// and, on an error, the error's line and column (from 0) in `error_line` and
// `error_column` (when not null).
absl::Status ParseTextProto(absl::string_view text, absl::string_view what,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* info,
                            int* error_line, int* error_column);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_INTERNAL_TEXT_PROTO_H_
