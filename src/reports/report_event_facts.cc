// Reading the facts reports need from an event or from its encoded bytes
// (the protobuf wire format, read in place: no message is built, nothing is
// allocated once the facts' vectors have grown).
#include "reports/report_event_facts.h"

#include <string>

#include "helpdesk/audit.h"
#include "helpdesk/reports.h"
#include "helpdesk/v1/common.pb.h"

namespace helpdesk::reports_internal {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// Reads one message's fields from bytes; every read checks the bounds and
// clears ok() on malformed input.
class WireReader {
 public:
  explicit WireReader(absl::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool ok() const { return ok_; }
  // The next field's number and wire type; false at the end (or on error).
  bool Next(uint32_t* field, uint32_t* wire) {
    if (!ok_ || p_ == end_) return false;
    const uint64_t tag = Varint();
    *field = static_cast<uint32_t>(tag >> 3);
    *wire = static_cast<uint32_t>(tag & 7);
    if (*field == 0 || tag > 0xffffffffu) ok_ = false;
    return ok_;
  }
  uint64_t Varint() {
    // Most varints here (tags, kinds, small numbers) are one byte.
    if (p_ != end_ && (static_cast<uint8_t>(*p_) & 0x80) == 0) {
      return static_cast<uint8_t>(*p_++);
    }
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) break;
      const uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  absl::string_view Bytes() {
    const uint64_t n = Varint();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) {
      ok_ = false;
      return {};
    }
    absl::string_view s(p_, static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  // Skips a field of wire type `wire` (groups, deprecated, are not read).
  void Skip(uint32_t wire) {
    size_t n = 0;
    switch (wire) {
      case kVarint: Varint(); return;
      case kLen: Bytes(); return;
      case kFixed64: n = 8; break;
      case kFixed32: n = 4; break;
      default: ok_ = false; return;
    }
    if (static_cast<size_t>(end_ - p_) < n) {
      ok_ = false;
      return;
    }
    p_ += n;
  }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

// The wire type a FieldValue's oneof member has (field numbers of
// helpdesk.v1.FieldValue): strings and messages are length-delimited, the
// rest varints. kNoMember for a number that is no member.
constexpr uint32_t kNoMember = 0xff;
uint32_t FieldValueWire(uint32_t field) {
  switch (field) {
    case v1::FieldValue::kTextFieldNumber:
    case v1::FieldValue::kStatusFieldNumber:
    case v1::FieldValue::kTagsFieldNumber:
    case v1::FieldValue::kCustomFieldFieldNumber:
    case v1::FieldValue::kContactIdsFieldNumber:
    case v1::FieldValue::kAgentIdsFieldNumber:
    case v1::FieldValue::kGroupIdsFieldNumber:
    case v1::FieldValue::kLinksFieldNumber:
    case v1::FieldValue::kSkillsFieldNumber:
    case v1::FieldValue::kCapacityFieldNumber:
    case v1::FieldValue::kLegacyTextFieldNumber:
      return kLen;
    case v1::FieldValue::kPriorityFieldNumber:
    case v1::FieldValue::kTypeFieldNumber:
    case v1::FieldValue::kContactIdFieldNumber:
    case v1::FieldValue::kOrganizationIdFieldNumber:
    case v1::FieldValue::kAgentIdFieldNumber:
    case v1::FieldValue::kGroupIdFieldNumber:
    case v1::FieldValue::kTicketIdFieldNumber:
    case v1::FieldValue::kCountFieldNumber:
    case v1::FieldValue::kFlagFieldNumber:
    case v1::FieldValue::kRoleFieldNumber:
    case v1::FieldValue::kTicketAccessFieldNumber:
    case v1::FieldValue::kPresenceFieldNumber:
      return kVarint;
    default:
      return kNoMember;
  }
}

// A google.protobuf.Timestamp's seconds and nanos (those absent stay as
// they are); false for bytes it does not read.
bool DecodeTimestamp(absl::string_view bytes, int64_t* seconds, int32_t* nanos) {
  WireReader t(bytes);
  uint32_t f = 0, w = 0;
  while (t.Next(&f, &w)) {
    if (f != 1 && f != 2) {
      t.Skip(w);
      continue;
    }
    if (w != kVarint) return false;
    const uint64_t n = t.Varint();
    if (f == 1) {
      *seconds = static_cast<int64_t>(n);
    } else {
      *nanos = static_cast<int32_t>(n);
    }
  }
  return t.ok();
}

bool DecodeValue(absl::string_view bytes, EventFacts* facts, ValueFacts* v) {
  v->present = true;
  v->bytes = bytes;
  WireReader r(bytes);
  uint32_t field = 0, wire = 0;
  while (r.Next(&field, &wire)) {
    const uint32_t want = FieldValueWire(field);
    if (want == kNoMember) {
      r.Skip(wire);
      continue;
    }
    if (want != wire) return false;  // the parser would keep it as unknown
    // A member replaces the oneof's value; a message member seen twice
    // would be merged with the first: leave that to the parser.
    if (wire == kLen && v->value_case == static_cast<v1::FieldValue::ValueCase>(field) &&
        field != v1::FieldValue::kTextFieldNumber &&
        field != v1::FieldValue::kStatusFieldNumber &&
        field != v1::FieldValue::kLegacyTextFieldNumber) {
      return false;
    }
    v->value_case = static_cast<v1::FieldValue::ValueCase>(field);
    v->status = {};
    v->number = 0;
    v->tags_begin = v->tags_end = 0;
    if (wire == kVarint) {
      const uint64_t n = r.Varint();
      // Enums are int32 on the wire; ids int64; a flag is any non-zero.
      if (field == v1::FieldValue::kPriorityFieldNumber ||
          field == v1::FieldValue::kTypeFieldNumber) {
        v->number = static_cast<int32_t>(n);
      } else {
        v->number = static_cast<int64_t>(n);
      }
      continue;
    }
    const absl::string_view s = r.Bytes();
    if (field == v1::FieldValue::kStatusFieldNumber) v->status = s;
    if (field == v1::FieldValue::kTagsFieldNumber) {
      v->tags_begin = static_cast<uint32_t>(facts->tags.size());
      WireReader list(s);
      uint32_t f = 0, w = 0;
      while (list.Next(&f, &w)) {
        if (f != v1::FieldValue::StringList::kValuesFieldNumber) {
          list.Skip(w);
          continue;
        }
        if (w != kLen) return false;
        facts->tags.push_back(list.Bytes());
      }
      if (!list.ok()) return false;
      v->tags_end = static_cast<uint32_t>(facts->tags.size());
    }
  }
  return r.ok();
}

bool DecodeChange(absl::string_view bytes, EventFacts* facts, ChangeFacts* c) {
  WireReader r(bytes);
  uint32_t field = 0, wire = 0;
  while (r.Next(&field, &wire)) {
    switch (field) {
      case v1::FieldChange::kFieldFieldNumber:
        if (wire != kVarint) return false;
        c->field = static_cast<v1::FieldChange::Field>(static_cast<int32_t>(r.Varint()));
        break;
      case v1::FieldChange::kCustomFieldFieldNumber:
        if (wire != kLen) return false;
        c->custom_field = r.Bytes();
        break;
      case v1::FieldChange::kBeforeFieldNumber:
      case v1::FieldChange::kAfterFieldNumber: {
        if (wire != kLen) return false;
        ValueFacts* v = field == v1::FieldChange::kBeforeFieldNumber ? &c->before : &c->after;
        if (v->present) return false;  // merged by the parser
        const absl::string_view s = r.Bytes();
        if (!r.ok() || !DecodeValue(s, facts, v)) return false;
        break;
      }
      default:
        r.Skip(wire);
    }
  }
  return r.ok();
}

void ValueOf(const v1::FieldValue& value, bool present, EventFacts* facts, ValueFacts* v) {
  v->present = present;
  v->proto = &value;
  v->value_case = value.value_case();
  switch (value.value_case()) {
    case v1::FieldValue::kStatus: v->status = value.status(); break;
    case v1::FieldValue::kPriority: v->number = value.priority(); break;
    case v1::FieldValue::kType: v->number = value.type(); break;
    case v1::FieldValue::kOrganizationId: v->number = value.organization_id(); break;
    case v1::FieldValue::kAgentId: v->number = value.agent_id(); break;
    case v1::FieldValue::kGroupId: v->number = value.group_id(); break;
    case v1::FieldValue::kTags:
      v->tags_begin = static_cast<uint32_t>(facts->tags.size());
      for (const std::string& tag : value.tags().values()) facts->tags.push_back(tag);
      v->tags_end = static_cast<uint32_t>(facts->tags.size());
      break;
    default:
      break;
  }
}

}  // namespace

void EventFacts::Clear() {
  id = ticket_id = 0;
  kind = v1::Event::KIND_UNSPECIFIED;
  actor_kind = v1::Actor::KIND_UNSPECIFIED;
  time = absl::UnixEpoch();
  micros = 0;
  message_kind = 0;
  changes.clear();
  tags.clear();
}

void FactsOf(const v1::Event& event, EventFacts* facts) {
  facts->Clear();
  facts->id = event.id();
  facts->ticket_id = event.ticket_id();
  facts->kind = event.kind();
  facts->actor_kind = event.actor().kind();
  facts->micros = event.time().seconds() * 1000000 + event.time().nanos() / 1000;
  facts->time = absl::FromUnixMicros(facts->micros);
  facts->message_kind = event.message_kind();
  for (const v1::FieldChange& c : event.changes()) {
    ChangeFacts& f = facts->changes.emplace_back();
    f.field = c.field();
    f.custom_field = c.custom_field();
    ValueOf(c.before(), c.has_before(), facts, &f.before);
    ValueOf(c.after(), c.has_after(), facts, &f.after);
  }
}

bool DecodeFacts(int64_t id, int64_t ticket_id, absl::string_view bytes, EventFacts* facts) {
  facts->Clear();
  facts->id = id;
  facts->ticket_id = ticket_id;
  int64_t seconds = 0;
  int32_t nanos = 0;
  bool actor = false, time = false;
  WireReader r(bytes);
  uint32_t field = 0, wire = 0;
  while (r.Next(&field, &wire)) {
    switch (field) {
      case v1::Event::kKindFieldNumber:
        if (wire != kVarint) return false;
        facts->kind = static_cast<v1::Event::Kind>(static_cast<int32_t>(r.Varint()));
        break;
      case v1::Event::kMessageKindFieldNumber:
        if (wire != kVarint) return false;
        facts->message_kind = static_cast<int32_t>(r.Varint());
        break;
      case v1::Event::kActorFieldNumber: {
        if (wire != kLen || actor) return false;
        actor = true;
        WireReader a(r.Bytes());
        uint32_t f = 0, w = 0;
        while (a.Next(&f, &w)) {
          if (f != v1::Actor::kKindFieldNumber) {
            a.Skip(w);
            continue;
          }
          if (w != kVarint) return false;
          facts->actor_kind = static_cast<v1::Actor::Kind>(static_cast<int32_t>(a.Varint()));
        }
        if (!a.ok()) return false;
        break;
      }
      case v1::Event::kTimeFieldNumber: {
        if (wire != kLen || time) return false;
        time = true;
        if (!DecodeTimestamp(r.Bytes(), &seconds, &nanos)) return false;
        break;
      }
      case v1::Event::kChangesFieldNumber: {
        if (wire != kLen) return false;
        const absl::string_view s = r.Bytes();
        if (!r.ok()) return false;
        // A copy of an empty one: cheaper than value-initialising (which
        // compiled to a `rep stos`, a quarter of this function's time).
        static const ChangeFacts kEmpty;
        facts->changes.push_back(kEmpty);
        if (!DecodeChange(s, facts, &facts->changes.back())) return false;
        break;
      }
      default:
        r.Skip(wire);
    }
  }
  if (!r.ok()) return false;
  // As FromTimestamp reads it.
  facts->micros = seconds * 1000000 + nanos / 1000;
  facts->time = absl::FromUnixMicros(facts->micros);
  return true;
}

}  // namespace helpdesk::reports_internal

namespace helpdesk {

bool PeekEncodedEvent(absl::string_view serialized, v1::Event::Kind* kind, int64_t* micros) {
  using reports_internal::WireReader;
  *kind = v1::Event::KIND_UNSPECIFIED;
  int64_t seconds = 0;
  int32_t nanos = 0;
  bool time = false;
  WireReader r(serialized);
  uint32_t field = 0, wire = 0;
  while (r.Next(&field, &wire)) {
    if (field == v1::Event::kKindFieldNumber) {
      if (wire != reports_internal::kVarint) return false;
      *kind = static_cast<v1::Event::Kind>(static_cast<int32_t>(r.Varint()));
    } else if (field == v1::Event::kTimeFieldNumber) {
      if (wire != reports_internal::kLen || time) return false;
      time = true;
      if (!reports_internal::DecodeTimestamp(r.Bytes(), &seconds, &nanos)) return false;
    } else {
      r.Skip(wire);
    }
  }
  if (!r.ok()) return false;
  *micros = seconds * 1000000 + nanos / 1000;  // as DecodeFacts reads it
  return true;
}

}  // namespace helpdesk

namespace helpdesk::reports_internal {

bool RenderedValue(const ValueFacts& value, v1::FieldValue* scratch, std::string* out) {
  if (value.proto != nullptr) {
    *out = RenderValue(*value.proto);
    return true;
  }
  scratch->Clear();
  if (!scratch->ParseFromArray(value.bytes.data(), static_cast<int>(value.bytes.size()))) {
    return false;
  }
  *out = RenderValue(*scratch);
  return true;
}

}  // namespace helpdesk::reports_internal
