// Names of enum values as used in text (CLI, configs), and actor helpers.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal/text_checks.h"
#include "helpdesk/names.h"

namespace helpdesk {

v1::Actor SystemActor() {
  v1::Actor a;
  a.set_kind(v1::Actor::SYSTEM);
  return a;
}

v1::Actor AgentActor(int64_t agent_id) {
  v1::Actor a;
  a.set_kind(v1::Actor::AGENT);
  a.set_id(agent_id);
  return a;
}

v1::Actor ContactActor(int64_t contact_id) {
  v1::Actor a;
  a.set_kind(v1::Actor::CONTACT);
  a.set_id(contact_id);
  return a;
}

v1::Actor IntegrationActor(absl::string_view name) {
  v1::Actor a;
  a.set_kind(v1::Actor::INTEGRATION);
  a.set_name(std::string(name));
  return a;
}

namespace {
constexpr const char* kPriorityNames[] = {"unspecified", "low", "normal", "high",
                                          "urgent"};
constexpr const char* kTypeNames[] = {"unspecified", "question", "incident",
                                      "problem", "task"};
}  // namespace

absl::StatusOr<v1::Priority> ParsePriority(absl::string_view name,
                                           absl::string_view field) {
  std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (int i = 1; i <= 4; ++i) {
    if (n == kPriorityNames[i]) return static_cast<v1::Priority>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", internal::Quote(name),
                   " is not a priority (low, normal, high, urgent)"));
}

std::string PriorityName(v1::Priority priority) {
  int p = static_cast<int>(priority);
  if (p < 0 || p > 4) return absl::StrCat("priority_", p);
  return kPriorityNames[p];
}

absl::StatusOr<v1::TicketType> ParseTicketType(absl::string_view name,
                                               absl::string_view field) {
  std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (int i = 1; i <= 4; ++i) {
    if (n == kTypeNames[i]) return static_cast<v1::TicketType>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", internal::Quote(name),
                   " is not a ticket type (question, incident, problem, task)"));
}

std::string TicketTypeName(v1::TicketType type) {
  int t = static_cast<int>(type);
  if (t < 0 || t > 4) return absl::StrCat("type_", t);
  return kTypeNames[t];
}

namespace {
constexpr const char* kPresenceNames[] = {"unspecified", "online", "away",
                                          "offline"};
}  // namespace

absl::StatusOr<v1::Presence> ParsePresence(absl::string_view name,
                                           absl::string_view field) {
  std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (int i = 1; i <= 3; ++i) {
    if (n == kPresenceNames[i]) return static_cast<v1::Presence>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", internal::Quote(name),
                   " is not a presence (online, away, offline)"));
}

std::string PresenceName(v1::Presence presence) {
  int p = static_cast<int>(presence);
  if (p < 0 || p > 3) return absl::StrCat("presence_", p);
  return kPresenceNames[p];
}

}  // namespace helpdesk
