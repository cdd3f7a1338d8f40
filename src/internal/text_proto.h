// Internal: parsing configs written in proto text format, with errors that
// say where the text is wrong.
#ifndef HELPDESK_SRC_INTERNAL_TEXT_PROTO_H_
#define HELPDESK_SRC_INTERNAL_TEXT_PROTO_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace helpdesk::internal {

// Parses `text` into `message` (cleared first). Unknown fields and enum values
// are errors. Errors: InvalidArgument "<what>: line L, column C: <parser's
// message>", naming the first error.
absl::Status ParseTextProto(absl::string_view text, absl::string_view what,
                            google::protobuf::Message* message);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_INTERNAL_TEXT_PROTO_H_
