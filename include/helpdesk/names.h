// The model's words in text: actors for brevity at call sites, and the names
// of priorities, ticket types and presence as the CLI, configuration files and
// the audit log's rendering spell them. A pure header: the model's protos only.
//
// Thread safety: every function is pure.
#ifndef HELPDESK_NAMES_H_
#define HELPDESK_NAMES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/agent.pb.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

// Actors, for brevity at call sites.
HELPDESK_EXPORT v1::Actor SystemActor();
HELPDESK_EXPORT v1::Actor AgentActor(int64_t agent_id);
HELPDESK_EXPORT v1::Actor ContactActor(int64_t contact_id);
HELPDESK_EXPORT v1::Actor IntegrationActor(absl::string_view name);


// Parses "low", "normal", "high", "urgent" (any case). Errors: InvalidArgument
// naming `field` and the value.
HELPDESK_EXPORT absl::StatusOr<v1::Priority> ParsePriority(absl::string_view name,
                                           absl::string_view field = "priority");
// "low", "normal", "high", "urgent"; "unspecified" for 0.
HELPDESK_EXPORT std::string PriorityName(v1::Priority priority);

// Parses "question", "incident", "problem", "task" (any case).
HELPDESK_EXPORT absl::StatusOr<v1::TicketType> ParseTicketType(absl::string_view name,
                                               absl::string_view field = "type");
HELPDESK_EXPORT std::string TicketTypeName(v1::TicketType type);

// Parses "online", "away", "offline" (any case).
HELPDESK_EXPORT absl::StatusOr<v1::Presence> ParsePresence(absl::string_view name,
                                           absl::string_view field = "presence");
// "online", "away", "offline"; "unspecified" for 0.
HELPDESK_EXPORT std::string PresenceName(v1::Presence presence);

}  // namespace helpdesk

#endif  // HELPDESK_NAMES_H_
