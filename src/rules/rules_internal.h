// Internal: the compiled form of a rule set, shared by validation
// (rules_validate.cc), condition evaluation (rule_fields.cc), the trigger
// engine (rules_engine.cc) and the automations (rules_automation.cc).
#ifndef HELPDESK_SRC_RULES_RULES_INTERNAL_H_
#define HELPDESK_SRC_RULES_RULES_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "helpdesk/calendar.h"
#include "helpdesk/rules.h"
#include "re2/re2.h"

namespace helpdesk::rules_internal {

// A condition's field.
enum class Field {
  kSubject,
  kStatus,
  kStatusCategory,
  kPriority,
  kType,
  kGroup,
  kAssignee,
  kRequester,
  kOrganization,
  kTags,
  kChannel,
  kFollowers,
  kMessageCount,
  kPublicReplyCount,
  kCustom,
  kContactName,
  kContactEmail,
  kContactLocale,
  kContactTimeZone,
  kContactBlocked,
  kContactExternalId,
  kOrganizationName,
  kOrganizationDomains,
  kMessageText,
  kMessageKind,
  kMessageChannel,
  kTime,
  kSlaAny,
  kSlaMetric,
  kCsatRating,
};

// How a field's values compare.
enum class FieldClass {
  kNumber,
  kText,
  kIdList,
  kTextList,
  kCustom,
  kTime,
  kSla
};

enum class Op {
  kIs,
  kIsNot,
  kIn,
  kNotIn,
  kLessThan,
  kGreaterThan,
  kAtLeast,
  kAtMost,
  kContains,
  kNotContains,
  kMatches,
  kNotMatches,
  kIsSet,
  kIsNotSet,
  kOpenIn,
  kClosedIn,
};

// SLA states a condition may name: SlaState's, and "warning" (running and
// past its warning time).
inline constexpr int kSlaWarning = 100;

struct Condition {
  Field field = Field::kSubject;
  FieldClass field_class = FieldClass::kText;
  Op op = Op::kIs;
  std::string custom_name;                            // kCustom
  v1::SlaMetric metric = v1::SLA_METRIC_UNSPECIFIED;  // kSlaMetric
  // The operands, parsed for the field: numbers (enums as their numbers,
  // SLA states as SlaState or kSlaWarning), texts (and their ASCII
  // lower-case forms for contains), a calendar, a regular expression.
  std::vector<int64_t> numbers;
  std::vector<double> decimals;  // kCustom: the texts read as numbers
  std::vector<std::string> texts;
  std::vector<std::string> lowered;
  size_t text_hash = 0;  // of texts[0], for "tags"
  int calendar = -1;
  std::unique_ptr<RE2> regex;
  // For "message.text" contains / matches (and their negations): the slot in
  // the run's memo (Snapshot::message_memo) shared by every condition with
  // the same operator kind and operand; -1 for other conditions. The message
  // does not change during a run, so each such test runs once per run.
  int memo = -1;
  // "priority at_least high" and "priority", for explanations.
  std::string source;
  std::string field_name;
};

struct CompiledRule {
  std::string name;
  bool disabled = false;
  bool automation = false;
  std::vector<v1::RuleTrigger> triggers;
  // Bit k set: a trigger of kind k (a quick no before matching `triggers`).
  uint64_t trigger_kinds = 0;
  v1::RuleAutomation::Since since = v1::RuleAutomation::SINCE_UNSPECIFIED;
  absl::Duration after;
  int calendar = -1;  // automation: business hours of this calendar
  std::vector<Condition> all;
  std::vector<Condition> any;
  // Normalised (tags normalised and sorted); points into Rep::config.
  std::vector<const v1::RuleAction*> actions;
  // The calendars its time conditions name (for NextDue).
  std::vector<int> time_calendars;
  // Bit f set: a condition reads the ticket field FieldChange::Field f, which
  // rules' actions may change during a run (FieldBit).
  uint64_t reads = 0;
};

// What happened, as triggers see it. `by_rule` is the rule whose action made
// the change (-1 for the command's own events).
struct Happening {
  v1::RuleTrigger::Kind kind = v1::RuleTrigger::KIND_UNSPECIFIED;
  v1::FieldChange::Field field = v1::FieldChange::FIELD_UNSPECIFIED;
  std::string custom_field;
  int by_rule = -1;
  // For a TAGS change of exactly one tag: the tag's hash (TagHash); else 0.
  size_t tag_hash = 0;
};

}  // namespace helpdesk::rules_internal

namespace helpdesk {

struct RuleSet::Rep {
  v1::RuleSetConfig config;
  std::vector<BusinessCalendar> calendars;
  absl::flat_hash_map<std::string, v1::StatusCategory> status_categories;
  std::vector<rules_internal::CompiledRule> rules;
  int max_passes = 10;
  // The index: trigger rules by what they react to, each list in rule order.
  std::vector<int> by_kind[v1::RuleTrigger::Kind_ARRAYSIZE];
  absl::flat_hash_map<int, std::vector<int>> by_field;
  absl::flat_hash_map<std::string, std::vector<int>> by_custom_field;
  std::vector<int> by_any_field;
  std::vector<int> automations;
  // The number of memo slots of message.text conditions (Condition::memo).
  int message_memos = 0;
};

}  // namespace helpdesk

namespace helpdesk::rules_internal {

// The snapshot the conditions read: the context, with the ticket as the rules
// have changed it so far.
struct Snapshot {
  const RuleContext* context = nullptr;
  const v1::Ticket* ticket = nullptr;
  absl::Time now;
  // The message's text in ASCII lower case, made on first use by "contains"
  // (the message does not change during a run).
  mutable std::optional<std::string> lowered_message;
  // Hashes of ticket->tags, made on first use by a tags condition (when
  // tag_hashes_valid is false); whoever changes the tags keeps them in step
  // (ApplyAction) or resets the flag.
  mutable std::vector<size_t> tag_hashes;
  mutable bool tag_hashes_valid = false;
  // What the message.text conditions found so far, by Condition::memo: 0 not
  // yet tested, 1 found (contains / matches holds), 2 not found. Sized on
  // first use.
  mutable std::vector<uint8_t> message_memo;
};

// rule_fields.cc: parsing a condition, evaluating it, rendering the value it
// read. ParseCondition's errors are InvalidArgument naming `where`.
absl::StatusOr<Condition> ParseCondition(const v1::RuleCondition& condition,
                                         const RuleSet::Rep& rep,
                                         absl::string_view where);
// The bit of the FieldChange::Field a condition's field depends on, or 0 when
// no action can change it during a run (message, contact, time, SLA ...).
uint64_t FieldBit(const Condition& condition);
bool Holds(const Condition& condition, const Snapshot& snapshot,
           const RuleSet::Rep& rep);
std::string ActualValue(const Condition& condition, const Snapshot& snapshot,
                        const RuleSet::Rep& rep);
// True when the rule's all/any groups hold; on failure `why` (when not null)
// What made a rule's conditions fail: the FieldBits of the fields whose
// change could make them hold, and when it was one tags condition, its tag's
// hash (0 otherwise).
struct FailedOn {
  uint64_t fields = 0;
  size_t tag_hash = 0;
};

inline size_t TagHash(absl::string_view tag) {
  return absl::Hash<absl::string_view>()(tag);
}

// names the condition that failed and the value it read, and `failed_on`
// (when not null) receives the FieldBit of what made it fail: the failing
// condition of `all`, or every condition of `any`.
bool ConditionsHold(const CompiledRule& rule, const Snapshot& snapshot,
                    const RuleSet::Rep& rep, std::string* why,
                    FailedOn* failed_on = nullptr);

// rules_engine.cc: applies `action` to `ticket` (fields, tags, custom fields,
// followers; the rest change nothing), appending what changed. With
// `snapshot` (whose ticket is `ticket`), keeps its tag hashes current.
void ApplyAction(const v1::RuleAction& action, const RuleSet::Rep& rep,
                 absl::Time now, int rule, v1::Ticket* ticket,
                 TicketTimeline* timeline, std::vector<Happening>* happened,
                 const Snapshot* snapshot = nullptr);

// rules_engine.cc: the trigger run; `reasons` (when not null, sized to the
// rules) receives why each rule fired or not.
RuleOutcome RunTriggers(const RuleSet::Rep& rep, const RuleContext& context,
                        absl::Span<const v1::Event> events, bool scan_all,
                        std::vector<std::string>* reasons);

// rules_automation.cc: an automation's window start (its `since` time) for
// the ticket, or nullopt when it has none now; and when it becomes due.
std::optional<absl::Time> WindowStart(const CompiledRule& rule,
                                      const v1::Ticket& ticket,
                                      const TicketTimeline& timeline,
                                      const RuleSet::Rep& rep);
absl::StatusOr<absl::Time> DueAt(const CompiledRule& rule, absl::Time start,
                                 const RuleSet::Rep& rep);

}  // namespace helpdesk::rules_internal

#endif  // HELPDESK_SRC_RULES_RULES_INTERNAL_H_
