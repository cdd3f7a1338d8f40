// Internal: the few facts of an audit event that reports read, taken either
// from a v1::Event or straight from its encoded bytes (without building the
// message: a month's report reads millions of events and keeps a handful of
// numbers of each). Both give the same facts for the same event.
#ifndef HELPDESK_SRC_REPORTS_REPORT_EVENT_FACTS_H_
#define HELPDESK_SRC_REPORTS_REPORT_EVENT_FACTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/v1/event.pb.h"

namespace helpdesk::reports_internal {

// A FieldChange's before or after value: its oneof case and, for the cases
// reports read, the value. Views point into the event or its bytes.
struct ValueFacts {
  bool present = false;  // the FieldValue is set at all
  v1::FieldValue::ValueCase value_case = v1::FieldValue::VALUE_NOT_SET;
  absl::string_view status;  // kStatus
  int64_t number = 0;        // kPriority, kType, kOrganizationId, kAgentId, kGroupId
  // kTags: [tags_begin, tags_end) in EventFacts::tags.
  uint32_t tags_begin = 0;
  uint32_t tags_end = 0;
  // The value itself, for custom fields (rendered with RenderValue): the
  // message (from a v1::Event) or its bytes (from an encoded event).
  const v1::FieldValue* proto = nullptr;
  absl::string_view bytes;

  // The value when it is of `c`, else 0 (as the proto's accessors give).
  int64_t NumberIf(v1::FieldValue::ValueCase c) const { return value_case == c ? number : 0; }
  absl::string_view StatusOr() const {
    return value_case == v1::FieldValue::kStatus ? status : absl::string_view();
  }
};

struct ChangeFacts {
  v1::FieldChange::Field field = v1::FieldChange::FIELD_UNSPECIFIED;
  absl::string_view custom_field;
  ValueFacts before;
  ValueFacts after;
};

// Views stay valid while the event (or its bytes) does.
struct EventFacts {
  int64_t id = 0;
  int64_t ticket_id = 0;
  v1::Event::Kind kind = v1::Event::KIND_UNSPECIFIED;
  v1::Actor::Kind actor_kind = v1::Actor::KIND_UNSPECIFIED;
  absl::Time time = absl::UnixEpoch();
  int64_t micros = 0;  // `time` as Unix microseconds (its precision)
  int32_t message_kind = 0;
  std::vector<ChangeFacts> changes;
  std::vector<absl::string_view> tags;

  void Clear();
};

// The facts of `event` (views into it).
void FactsOf(const v1::Event& event, EventFacts* facts);

// The facts of an event encoded as a v1::Event (its id and ticket_id given
// apart, as stores keep them). Returns false, leaving `facts` unspecified,
// for bytes it does not read narrowly: malformed ones, and well-formed ones
// whose decoding as a message would merge repeated sub-messages or read a
// known field of another wire type. The caller then parses the message.
bool DecodeFacts(int64_t id, int64_t ticket_id, absl::string_view bytes, EventFacts* facts);

// A value as RenderValue(v1::FieldValue) renders it ("" for none); `scratch`
// holds a value parsed from bytes. False when the bytes do not parse.
bool RenderedValue(const ValueFacts& value, v1::FieldValue* scratch, std::string* out);

}  // namespace helpdesk::reports_internal

#endif  // HELPDESK_SRC_REPORTS_REPORT_EVENT_FACTS_H_
