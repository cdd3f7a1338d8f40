// Internal: converting the audit log's text changes (schema version 3 and
// older: FieldChange fields 1-3, `field`, `before` and `after` strings) into
// typed changes, for SqliteStore's migration to schema version 4.
//
// The conversion is the inverse of helpdesk/audit.h's text forms, and it is
// checked: a value is typed only when RenderValue of the typed value gives
// back the stored text exactly, so a converted log renders as it did. What
// cannot be read is kept as it was written (documented in event.proto):
//   - a name that is no field of the log's kind (ticket fields in Event,
//     agent fields in AgentEvent): FIELD_UNSPECIFIED with legacy_field, its
//     values as legacy_text (unset when empty);
//   - a value that does not parse as its field's kind, or parses to
//     something that renders differently: legacy_text;
//   - a custom field's value: typed by the kind of the ticket's current value
//     of that field (the stored value itself when it renders the same); a
//     field the ticket no longer has, or a ticket that is gone, leaves it as
//     legacy_text. Choices were joined with ',' and are split at ',' (a
//     choice that held a comma comes back as two, unless the ticket still
//     holds that value).
// Empty text means "no value" (unset) in a creation's `before` (the desk
// wrote "" there) and for custom fields (not set, or removed); elsewhere it
// is read as the field's kind (an empty list, an empty subject ...).
#ifndef HELPDESK_SRC_STORAGE_LEGACY_FIELD_CHANGE_H_
#define HELPDESK_SRC_STORAGE_LEGACY_FIELD_CHANGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "helpdesk/v1/event.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk::internal {

// Which log a change is in, and whether its event is a creation.
enum class LegacyLog { kTicket, kAgent };

// Converts every change of `changes` that still holds the text form
// (unknown fields 1-3, as a newer build parses an old blob) into the typed
// form, in place; typed changes are left alone. `creation`: the event is
// TICKET_CREATED / AGENT_CREATED. `ticket`: the ticket's stored state, for
// custom fields' kinds (nullptr for agents or when the ticket is gone).
// Returns whether anything was converted.
bool ConvertLegacyChanges(LegacyLog log, bool creation, const v1::Ticket* ticket,
                          google::protobuf::RepeatedPtrField<v1::FieldChange>* changes);

// One change from its text form (see the file comment).
v1::FieldChange TypedChangeFromText(LegacyLog log, bool creation, const v1::Ticket* ticket,
                                    absl::string_view field, absl::string_view before,
                                    absl::string_view after);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_STORAGE_LEGACY_FIELD_CHANGE_H_
