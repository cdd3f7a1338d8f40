// Conversions between absl::Time and google.protobuf.Timestamp, the time type
// of the data model. Times are kept at microsecond precision everywhere, so a
// value survives a round trip through any store unchanged.
#ifndef HELPDESK_TIMESTAMP_H_
#define HELPDESK_TIMESTAMP_H_

#include <cstdint>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "helpdesk/export.h"

namespace helpdesk {

// Truncates `t` to whole microseconds (towards the past). absl::InfinitePast()
// and absl::InfiniteFuture() map to the minimum and maximum representable
// Timestamp values.
HELPDESK_EXPORT google::protobuf::Timestamp ToTimestamp(absl::Time t);
HELPDESK_EXPORT absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

// Microseconds since the Unix epoch; the stores' column format.
HELPDESK_EXPORT int64_t ToUnixMicrosFloor(absl::Time t);
HELPDESK_EXPORT int64_t TimestampToMicros(const google::protobuf::Timestamp& ts);
HELPDESK_EXPORT google::protobuf::Timestamp MicrosToTimestamp(int64_t micros);

}  // namespace helpdesk

#endif  // HELPDESK_TIMESTAMP_H_
