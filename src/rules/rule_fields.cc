// The condition language of rules: which fields there are, which operators
// each takes, how operands are parsed (once, at validation) and how a
// condition reads the snapshot.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "helpdesk/names.h"
#include "internal/status_macros.h"
#include "internal/text_checks.h"
#include "routing/queue_router.h"
#include "rules/rules_internal.h"

namespace helpdesk::rules_internal {
namespace {

using internal::Quote;

struct FieldInfo {
  absl::string_view name;
  Field field;
  FieldClass field_class;
};

constexpr FieldInfo kFields[] = {
    {"subject", Field::kSubject, FieldClass::kText},
    {"status", Field::kStatus, FieldClass::kText},
    {"status_category", Field::kStatusCategory, FieldClass::kNumber},
    {"priority", Field::kPriority, FieldClass::kNumber},
    {"type", Field::kType, FieldClass::kNumber},
    {"group", Field::kGroup, FieldClass::kNumber},
    {"assignee", Field::kAssignee, FieldClass::kNumber},
    {"requester", Field::kRequester, FieldClass::kNumber},
    {"organization", Field::kOrganization, FieldClass::kNumber},
    {"tags", Field::kTags, FieldClass::kTextList},
    {"channel", Field::kChannel, FieldClass::kNumber},
    {"followers", Field::kFollowers, FieldClass::kIdList},
    {"message_count", Field::kMessageCount, FieldClass::kNumber},
    {"public_reply_count", Field::kPublicReplyCount, FieldClass::kNumber},
    {"contact.name", Field::kContactName, FieldClass::kText},
    {"contact.email", Field::kContactEmail, FieldClass::kText},
    {"contact.locale", Field::kContactLocale, FieldClass::kText},
    {"contact.time_zone", Field::kContactTimeZone, FieldClass::kText},
    {"contact.blocked", Field::kContactBlocked, FieldClass::kNumber},
    {"contact.external_id", Field::kContactExternalId, FieldClass::kText},
    {"organization.name", Field::kOrganizationName, FieldClass::kText},
    {"organization.domains", Field::kOrganizationDomains,
     FieldClass::kTextList},
    {"message.text", Field::kMessageText, FieldClass::kText},
    {"message.kind", Field::kMessageKind, FieldClass::kNumber},
    {"message.channel", Field::kMessageChannel, FieldClass::kNumber},
    {"time", Field::kTime, FieldClass::kTime},
    {"sla.state", Field::kSlaAny, FieldClass::kSla},
    {"csat.rating", Field::kCsatRating, FieldClass::kNumber},
};

struct OpInfo {
  absl::string_view name;
  Op op;
};

constexpr OpInfo kOps[] = {
    {"is", Op::kIs},
    {"is_not", Op::kIsNot},
    {"in", Op::kIn},
    {"not_in", Op::kNotIn},
    {"less_than", Op::kLessThan},
    {"greater_than", Op::kGreaterThan},
    {"at_least", Op::kAtLeast},
    {"at_most", Op::kAtMost},
    {"contains", Op::kContains},
    {"not_contains", Op::kNotContains},
    {"matches", Op::kMatches},
    {"not_matches", Op::kNotMatches},
    {"is_set", Op::kIsSet},
    {"is_not_set", Op::kIsNotSet},
    {"open_in", Op::kOpenIn},
    {"closed_in", Op::kClosedIn},
};

bool IsOrdering(Op op) {
  return op == Op::kLessThan || op == Op::kGreaterThan || op == Op::kAtLeast ||
         op == Op::kAtMost;
}
bool IsEquality(Op op) {
  return op == Op::kIs || op == Op::kIsNot || op == Op::kIn || op == Op::kNotIn;
}
bool IsPresence(Op op) { return op == Op::kIsSet || op == Op::kIsNotSet; }
bool IsContains(Op op) { return op == Op::kContains || op == Op::kNotContains; }
bool IsRegex(Op op) { return op == Op::kMatches || op == Op::kNotMatches; }

bool Takes(FieldClass c, Op op) {
  switch (c) {
    case FieldClass::kNumber:
      return IsEquality(op) || IsOrdering(op) || IsPresence(op);
    case FieldClass::kText:
      return IsEquality(op) || IsContains(op) || IsRegex(op) || IsPresence(op);
    case FieldClass::kIdList:
    case FieldClass::kTextList:
      return IsContains(op) || IsPresence(op);
    case FieldClass::kCustom:
      return IsEquality(op) || IsOrdering(op) || IsContains(op) ||
             IsRegex(op) || IsPresence(op);
    case FieldClass::kTime:
      return op == Op::kOpenIn || op == Op::kClosedIn;
    case FieldClass::kSla:
      return IsEquality(op) || IsPresence(op);
  }
  return false;
}

constexpr absl::string_view kCategoryNames[] = {
    "unspecified", "new", "open", "pending", "on_hold", "solved", "closed"};
constexpr absl::string_view kMessageKindNames[] = {
    "unspecified", "customer_message", "public_reply", "internal_note"};

absl::StatusOr<int64_t> ParseNamed(absl::string_view value,
                                   absl::Span<const absl::string_view> names,
                                   absl::string_view what,
                                   absl::string_view where) {
  for (size_t i = 1; i < names.size(); ++i) {
    if (absl::EqualsIgnoreCase(value, names[i])) return static_cast<int64_t>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": unknown ", what, " ", Quote(value),
                   " (known: ", absl::StrJoin(names.subspan(1), ", "), ")"));
}

absl::StatusOr<int64_t> ParseChannel(absl::string_view value,
                                     absl::string_view where) {
  for (int c = v1::Channel_MIN + 1; c <= v1::Channel_MAX; ++c) {
    if (absl::EqualsIgnoreCase(value, routing_internal::ChannelName(
                                          static_cast<v1::Channel>(c)))) {
      return c;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": unknown channel ", Quote(value),
      " (known: api, email, web_form, chat, phone, webhook, agent)"));
}

absl::StatusOr<int64_t> ParseSlaState(absl::string_view value,
                                      absl::string_view where) {
  for (SlaState s : {SlaState::kRunning, SlaState::kPaused, SlaState::kMet,
                     SlaState::kBreached}) {
    if (value == SlaStateName(s)) return static_cast<int64_t>(s);
  }
  if (value == "warning") return kSlaWarning;
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": unknown SLA state ", Quote(value),
                   " (known: running, paused, met, breached, warning)"));
}

// Parses one operand of a number-class field.
absl::StatusOr<int64_t> ParseNumber(Field field, absl::string_view value,
                                    absl::string_view where) {
  switch (field) {
    case Field::kPriority: {
      absl::StatusOr<v1::Priority> p = ParsePriority(value, where);
      if (!p.ok()) return p.status();
      return static_cast<int64_t>(*p);
    }
    case Field::kType: {
      absl::StatusOr<v1::TicketType> t = ParseTicketType(value, where);
      if (!t.ok()) return t.status();
      return static_cast<int64_t>(*t);
    }
    case Field::kStatusCategory:
      return ParseNamed(value, kCategoryNames, "status category", where);
    case Field::kMessageKind:
      return ParseNamed(value, kMessageKindNames, "message kind", where);
    case Field::kChannel:
    case Field::kMessageChannel:
      return ParseChannel(value, where);
    case Field::kContactBlocked:
      if (value == "true") return 1;
      if (value == "false") return 0;
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", Quote(value), " is not true or false"));
    default: {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", Quote(value), " is not a number"));
      }
      return n;
    }
  }
}

std::optional<FieldInfo> FindField(absl::string_view name, std::string* custom,
                                   v1::SlaMetric* metric) {
  for (const FieldInfo& f : kFields) {
    if (f.name == name) return f;
  }
  if (absl::ConsumePrefix(&name, "custom.") && !name.empty()) {
    *custom = std::string(name);
    return FieldInfo{"custom", Field::kCustom, FieldClass::kCustom};
  }
  if (absl::ConsumePrefix(&name, "sla.")) {
    for (int m = v1::SlaMetric_MIN + 1; m <= v1::SlaMetric_MAX; ++m) {
      if (SlaMetricName(static_cast<v1::SlaMetric>(m)) == name) {
        *metric = static_cast<v1::SlaMetric>(m);
        return FieldInfo{"sla", Field::kSlaMetric, FieldClass::kSla};
      }
    }
  }
  return std::nullopt;
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

// ASCII case-insensitive search for an already lower-cased needle.
bool ContainsLowered(absl::string_view haystack, absl::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(
      haystack.begin(), haystack.end(), needle.begin(), needle.end(),
      [](char a, char b) {
        return absl::ascii_tolower(static_cast<unsigned char>(a)) == b;
      });
  return it != haystack.end();
}

}  // namespace

absl::StatusOr<Condition> ParseCondition(const v1::RuleCondition& in,
                                         const RuleSet::Rep& rep,
                                         absl::string_view where) {
  Condition c;
  std::optional<FieldInfo> info =
      FindField(in.field(), &c.custom_name, &c.metric);
  if (!info) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".field: unknown field ", Quote(in.field()),
        " (fields: the ticket's, custom.<name>, contact.*, organization.*, "
        "message.*, time, sla.*, csat.rating; see helpdesk/rules.h)"));
  }
  c.field = info->field;
  c.field_class = info->field_class;
  const OpInfo* op = nullptr;
  for (const OpInfo& o : kOps) {
    if (o.name == in.op()) op = &o;
  }
  if (op == nullptr) {
    std::vector<absl::string_view> names;
    for (const OpInfo& o : kOps) names.push_back(o.name);
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".op: unknown operator ", Quote(in.op()),
                     " (known: ", absl::StrJoin(names, ", "), ")"));
  }
  c.op = op->op;
  if (!Takes(c.field_class, c.op)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".op: field ", Quote(in.field()),
                     " does not take operator ", Quote(in.op())));
  }
  // The operands: none for is_set, `values` for in / not_in, `value` else.
  std::vector<std::string> operands;
  if (IsPresence(c.op)) {
    if (!in.value().empty() || in.values_size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".value: operator ", Quote(in.op()), " takes no value"));
    }
  } else if (c.op == Op::kIn || c.op == Op::kNotIn) {
    if (in.values_size() == 0 || !in.value().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".values: operator ", Quote(in.op()),
                       " takes `values` (a list), not `value`"));
    }
    operands.assign(in.values().begin(), in.values().end());
  } else {
    if (in.values_size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".values: operator ", Quote(in.op()), " takes one `value`"));
    }
    operands.push_back(in.value());
  }
  c.field_name = in.field();
  c.source = absl::StrCat(in.field(), " ", in.op());
  if (!operands.empty())
    absl::StrAppend(&c.source, " ", absl::StrJoin(operands, ","));
  const std::string value_where = absl::StrCat(where, ".value");
  for (const std::string& v : operands) {
    HELPDESK_RETURN_IF_ERROR(internal::CheckText(value_where, v, 4096));
    switch (c.field_class) {
      case FieldClass::kNumber: {
        absl::StatusOr<int64_t> n = ParseNumber(c.field, v, value_where);
        if (!n.ok()) return n.status();
        c.numbers.push_back(*n);
        break;
      }
      case FieldClass::kIdList: {
        int64_t n = 0;
        if (!absl::SimpleAtoi(v, &n)) {
          return absl::InvalidArgumentError(
              absl::StrCat(value_where, ": ", Quote(v), " is not an id"));
        }
        c.numbers.push_back(n);
        break;
      }
      case FieldClass::kSla: {
        absl::StatusOr<int64_t> n = ParseSlaState(v, value_where);
        if (!n.ok()) return n.status();
        c.numbers.push_back(*n);
        break;
      }
      case FieldClass::kTime: {
        for (size_t i = 0; i < rep.calendars.size(); ++i) {
          if (rep.calendars[i].name() == v) c.calendar = static_cast<int>(i);
        }
        if (c.calendar < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(value_where, ": unknown calendar ", Quote(v)));
        }
        break;
      }
      case FieldClass::kText:
      case FieldClass::kTextList:
      case FieldClass::kCustom: {
        if (c.field == Field::kStatus && !rep.status_categories.contains(v)) {
          return absl::InvalidArgumentError(
              absl::StrCat(value_where, ": unknown status ", Quote(v)));
        }
        if (c.field_class == FieldClass::kCustom) {
          double d = 0;
          c.decimals.push_back(absl::SimpleAtod(v, &d) ? d : std::nan(""));
          if (IsOrdering(c.op) && std::isnan(c.decimals.back())) {
            return absl::InvalidArgumentError(
                absl::StrCat(value_where, ": ", Quote(v), " is not a number"));
          }
        }
        c.texts.push_back(v);
        c.lowered.push_back(c.field == Field::kTags ? v : Lower(v));
        break;
      }
    }
  }
  if (!c.texts.empty()) c.text_hash = TagHash(c.texts[0]);
  if (IsRegex(c.op)) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);  // 1 MiB per expression.
    auto regex = std::make_unique<RE2>(operands[0], options);
    if (regex->error_code() == RE2::ErrorPatternTooLarge) {
      return absl::InvalidArgumentError(
          absl::StrCat(value_where, ": ", Quote(operands[0]),
                       " exceeds RE2's memory limit (1 MiB per expression)"));
    }
    if (!regex->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(value_where, ": RE2 refuses ", Quote(operands[0]), ": ",
                       regex->error()));
    }
    c.regex = std::move(regex);
  }
  return c;
}

namespace {

// The value a number-class field reads; nullopt when it has none.
std::optional<int64_t> NumberOf(const Condition& c, const Snapshot& s) {
  const RuleContext& x = *s.context;
  const v1::Ticket& t = *s.ticket;
  switch (c.field) {
    case Field::kStatusCategory:
      return t.status_category();
    case Field::kPriority:
      return t.priority();
    case Field::kType:
      return t.type();
    case Field::kGroup:
      return t.group_id();
    case Field::kAssignee:
      return t.assignee_id();
    case Field::kRequester:
      return t.requester_id();
    case Field::kOrganization:
      return t.organization_id();
    case Field::kChannel:
      return t.channel();
    case Field::kMessageCount:
      return t.message_count();
    case Field::kPublicReplyCount:
      return t.public_reply_count();
    case Field::kContactBlocked:
      if (x.contact == nullptr) return std::nullopt;
      return x.contact->blocked() ? 1 : 0;
    case Field::kMessageKind:
      if (x.message == nullptr) return std::nullopt;
      return x.message->kind();
    case Field::kMessageChannel:
      if (x.message == nullptr) return std::nullopt;
      return x.message->channel();
    case Field::kCsatRating:
      return x.csat_rating;
    default:
      return std::nullopt;
  }
}

// The text a text-class field reads; nullopt when it has none.
std::optional<absl::string_view> TextOf(const Condition& c, const Snapshot& s) {
  const RuleContext& x = *s.context;
  switch (c.field) {
    case Field::kSubject:
      return s.ticket->subject();
    case Field::kStatus:
      return s.ticket->status();
    case Field::kContactName:
      if (x.contact == nullptr) return std::nullopt;
      return x.contact->name();
    case Field::kContactEmail:
      if (x.contact == nullptr) return std::nullopt;
      for (const v1::ContactIdentity& id : x.contact->identities()) {
        if (id.kind() == v1::ContactIdentity::EMAIL) return id.value();
      }
      return std::nullopt;
    case Field::kContactLocale:
      if (x.contact == nullptr) return std::nullopt;
      return x.contact->locale();
    case Field::kContactTimeZone:
      if (x.contact == nullptr) return std::nullopt;
      return x.contact->time_zone();
    case Field::kContactExternalId:
      if (x.contact == nullptr) return std::nullopt;
      return x.contact->external_id();
    case Field::kOrganizationName:
      if (x.organization == nullptr) return std::nullopt;
      return x.organization->name();
    case Field::kMessageText:
      if (x.message == nullptr) return std::nullopt;
      return x.message->body_text();
    default:
      return std::nullopt;
  }
}

bool NumberHolds(const Condition& c, std::optional<int64_t> v) {
  if (c.op == Op::kIsSet) return v.has_value() && *v != 0;
  if (c.op == Op::kIsNotSet) return !v.has_value() || *v == 0;
  if (!v.has_value()) return c.op == Op::kIsNot || c.op == Op::kNotIn;
  const int64_t x = *v;
  const bool in =
      std::find(c.numbers.begin(), c.numbers.end(), x) != c.numbers.end();
  switch (c.op) {
    case Op::kIs:
    case Op::kIn:
      return in;
    case Op::kIsNot:
    case Op::kNotIn:
      return !in;
    case Op::kLessThan:
      return x < c.numbers[0];
    case Op::kGreaterThan:
      return x > c.numbers[0];
    case Op::kAtLeast:
      return x >= c.numbers[0];
    case Op::kAtMost:
      return x <= c.numbers[0];
    default:
      return false;
  }
}

bool TextHolds(const Condition& c, std::optional<absl::string_view> v) {
  if (c.op == Op::kIsSet) return v.has_value() && !v->empty();
  if (c.op == Op::kIsNotSet) return !v.has_value() || v->empty();
  const absl::string_view x = v.value_or("");
  switch (c.op) {
    case Op::kIs:
    case Op::kIn:
    case Op::kIsNot:
    case Op::kNotIn: {
      const bool in =
          std::find(c.texts.begin(), c.texts.end(), x) != c.texts.end();
      return (c.op == Op::kIs || c.op == Op::kIn) ? in : !in;
    }
    case Op::kContains:
      return ContainsLowered(x, c.lowered[0]);
    case Op::kNotContains:
      return !ContainsLowered(x, c.lowered[0]);
    case Op::kMatches:
      return RE2::PartialMatch(re2::StringPiece(x.data(), x.size()), *c.regex);
    case Op::kNotMatches:
      return !RE2::PartialMatch(re2::StringPiece(x.data(), x.size()), *c.regex);
    default:
      return false;
  }
}

bool CustomHolds(const Condition& c, const v1::Ticket& t) {
  auto it = t.custom_fields().find(c.custom_name);
  const v1::CustomFieldValue* v =
      it == t.custom_fields().end() ? nullptr : &it->second;
  if (c.op == Op::kIsSet)
    return v != nullptr &&
           v->value_case() != v1::CustomFieldValue::VALUE_NOT_SET;
  if (c.op == Op::kIsNotSet)
    return v == nullptr ||
           v->value_case() == v1::CustomFieldValue::VALUE_NOT_SET;
  if (v == nullptr)
    return c.op == Op::kIsNot || c.op == Op::kNotIn ||
           c.op == Op::kNotContains || c.op == Op::kNotMatches;
  switch (v->value_case()) {
    case v1::CustomFieldValue::kText:
      return TextHolds(c, v->text());
    case v1::CustomFieldValue::kFlag:
      return TextHolds(c, v->flag() ? "true" : "false");
    case v1::CustomFieldValue::kChoices: {
      const auto& values = v->choices().values();
      if (IsContains(c.op)) {
        const bool has =
            std::find(values.begin(), values.end(), c.texts[0]) != values.end();
        return c.op == Op::kContains ? has : !has;
      }
      return TextHolds(c, absl::StrJoin(values, ","));
    }
    case v1::CustomFieldValue::kInteger:
    case v1::CustomFieldValue::kDecimal: {
      const double x = v->value_case() == v1::CustomFieldValue::kInteger
                           ? static_cast<double>(v->integer())
                           : v->decimal();
      const bool in = std::find(c.decimals.begin(), c.decimals.end(), x) !=
                      c.decimals.end();
      switch (c.op) {
        case Op::kIs:
        case Op::kIn:
          return in;
        case Op::kIsNot:
        case Op::kNotIn:
          return !in;
        case Op::kLessThan:
          return x < c.decimals[0];
        case Op::kGreaterThan:
          return x > c.decimals[0];
        case Op::kAtLeast:
          return x >= c.decimals[0];
        case Op::kAtMost:
          return x <= c.decimals[0];
        default:
          return TextHolds(c, absl::StrCat(x));
      }
    }
    default:
      return TextHolds(c, std::nullopt);
  }
}

// The states of the metrics a SLA condition reads.
std::vector<int64_t> SlaStates(const Condition& c, const Snapshot& s) {
  std::vector<int64_t> states;
  if (s.context->sla == nullptr) return states;
  for (const SlaMetricStatus& m : s.context->sla->metrics) {
    if (c.field == Field::kSlaMetric && m.metric != c.metric) continue;
    states.push_back(static_cast<int64_t>(m.state));
    if (m.state == SlaState::kRunning && m.warn_at.has_value() &&
        s.now >= *m.warn_at) {
      states.push_back(kSlaWarning);
    }
  }
  return states;
}

// The message's text in ASCII lower case, made once per run.
const std::string& LoweredMessage(const Snapshot& s) {
  if (!s.lowered_message.has_value())
    s.lowered_message = Lower(s.context->message->body_text());
  return *s.lowered_message;
}

// Whether the message's text matches `c`'s regular expression.
bool MessageMatches(const Condition& c, const Snapshot& s) {
  const std::string& text = s.context->message->body_text();
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *c.regex);
}

}  // namespace

uint64_t FieldBit(const Condition& c) {
  auto bit = [](v1::FieldChange::Field f) {
    return uint64_t{1} << static_cast<int>(f);
  };
  switch (c.field) {
    case Field::kSubject:
      return bit(v1::FieldChange::SUBJECT);
    case Field::kStatus:
    case Field::kStatusCategory:
      return bit(v1::FieldChange::STATUS);
    case Field::kPriority:
      return bit(v1::FieldChange::PRIORITY);
    case Field::kType:
      return bit(v1::FieldChange::TYPE);
    case Field::kGroup:
      return bit(v1::FieldChange::GROUP);
    case Field::kAssignee:
      return bit(v1::FieldChange::ASSIGNEE);
    case Field::kRequester:
      return bit(v1::FieldChange::REQUESTER);
    case Field::kOrganization:
      return bit(v1::FieldChange::ORGANIZATION);
    case Field::kTags:
      return bit(v1::FieldChange::TAGS);
    case Field::kFollowers:
      return bit(v1::FieldChange::FOLLOWERS);
    case Field::kCustom:
      return bit(v1::FieldChange::CUSTOM_FIELD);
    case Field::kMessageCount:
    case Field::kPublicReplyCount:
      return bit(v1::FieldChange::MESSAGE_COUNT);
    default:
      return 0;
  }
}

bool Holds(const Condition& c, const Snapshot& s, const RuleSet::Rep& rep) {
  switch (c.field_class) {
    case FieldClass::kNumber:
      return NumberHolds(c, NumberOf(c, s));
    case FieldClass::kText:
      if (c.field == Field::kMessageText &&
          (IsContains(c.op) || IsRegex(c.op)) && s.context->message != nullptr) {
        // The message is the same for the whole run: each test runs once.
        uint8_t* slot = nullptr;
        if (c.memo >= 0) {
          if (s.message_memo.empty())
            s.message_memo.assign(static_cast<size_t>(rep.message_memos), 0);
          slot = &s.message_memo[static_cast<size_t>(c.memo)];
        }
        bool found = false;
        if (slot != nullptr && *slot != 0) {
          found = *slot == 1;
        } else {
          found = IsContains(c.op) ? absl::StrContains(LoweredMessage(s), c.lowered[0])
                                   : MessageMatches(c, s);
          if (slot != nullptr) *slot = found ? 1 : 2;
        }
        return (c.op == Op::kContains || c.op == Op::kMatches) ? found : !found;
      }
      return TextHolds(c, TextOf(c, s));
    case FieldClass::kCustom:
      return CustomHolds(c, *s.ticket);
    case FieldClass::kIdList: {
      const auto& ids = s.ticket->follower_agent_ids();
      if (c.op == Op::kIsSet) return !ids.empty();
      if (c.op == Op::kIsNotSet) return ids.empty();
      const bool has =
          std::find(ids.begin(), ids.end(), c.numbers[0]) != ids.end();
      return c.op == Op::kContains ? has : !has;
    }
    case FieldClass::kTextList: {
      static const google::protobuf::RepeatedPtrField<std::string> kNone;
      const auto& list =
          c.field == Field::kTags
              ? s.ticket->tags()
              : (s.context->organization ? s.context->organization->domains()
                                         : kNone);
      if (c.op == Op::kIsSet) return !list.empty();
      if (c.op == Op::kIsNotSet) return list.empty();
      bool has = false;
      if (c.field == Field::kTags) {
        if (!s.tag_hashes_valid) {
          s.tag_hashes.clear();
          for (const std::string& tag : list)
            s.tag_hashes.push_back(TagHash(tag));
          s.tag_hashes_valid = true;
        }
        for (size_t k = 0; k < s.tag_hashes.size() && !has; ++k) {
          has = s.tag_hashes[k] == c.text_hash &&
                list[static_cast<int>(k)] == c.texts[0];
        }
        return c.op == Op::kContains ? has : !has;
      }
      for (const std::string& e : list) {
        if (c.field == Field::kTags ? e == c.texts[0]
                                    : absl::EqualsIgnoreCase(e, c.texts[0])) {
          has = true;
          break;
        }
      }
      return c.op == Op::kContains ? has : !has;
    }
    case FieldClass::kTime: {
      const bool open = rep.calendars[c.calendar].IsOpen(s.now);
      return c.op == Op::kOpenIn ? open : !open;
    }
    case FieldClass::kSla: {
      const std::vector<int64_t> states = SlaStates(c, s);
      if (c.op == Op::kIsSet) return !states.empty();
      if (c.op == Op::kIsNotSet) return states.empty();
      bool any = false;
      for (int64_t st : states) {
        any = any || std::find(c.numbers.begin(), c.numbers.end(), st) !=
                         c.numbers.end();
      }
      return (c.op == Op::kIs || c.op == Op::kIn) ? any : !any;
    }
  }
  return false;
}

std::string ActualValue(const Condition& c, const Snapshot& s,
                        const RuleSet::Rep& rep) {
  switch (c.field_class) {
    case FieldClass::kNumber: {
      std::optional<int64_t> v = NumberOf(c, s);
      if (!v) return "unset";
      switch (c.field) {
        case Field::kPriority:
          return PriorityName(static_cast<v1::Priority>(*v));
        case Field::kType:
          return TicketTypeName(static_cast<v1::TicketType>(*v));
        case Field::kStatusCategory:
          return *v >= 0 && *v < 7 ? std::string(kCategoryNames[*v])
                                   : absl::StrCat(*v);
        case Field::kMessageKind:
          return *v >= 0 && *v < 4 ? std::string(kMessageKindNames[*v])
                                   : absl::StrCat(*v);
        case Field::kChannel:
        case Field::kMessageChannel:
          return std::string(
              routing_internal::ChannelName(static_cast<v1::Channel>(*v)));
        default:
          return absl::StrCat(*v);
      }
    }
    case FieldClass::kText: {
      std::optional<absl::string_view> v = TextOf(c, s);
      return v ? Quote(*v) : "unset";
    }
    case FieldClass::kCustom: {
      auto it = s.ticket->custom_fields().find(c.custom_name);
      if (it == s.ticket->custom_fields().end()) return "unset";
      return Quote(it->second.ShortDebugString());
    }
    case FieldClass::kIdList:
      return absl::StrCat(
          "[", absl::StrJoin(s.ticket->follower_agent_ids(), ","), "]");
    case FieldClass::kTextList:
      if (c.field == Field::kTags)
        return absl::StrCat("[", absl::StrJoin(s.ticket->tags(), ","), "]");
      return s.context->organization == nullptr
                 ? "unset"
                 : absl::StrCat(
                       "[",
                       absl::StrJoin(s.context->organization->domains(), ","),
                       "]");
    case FieldClass::kTime:
      return absl::StrCat(
          rep.calendars[c.calendar].IsOpen(s.now) ? "open" : "closed", " at ",
          absl::FormatTime(absl::RFC3339_sec, s.now, absl::UTCTimeZone()));
    case FieldClass::kSla: {
      std::vector<std::string> names;
      for (int64_t st : SlaStates(c, s)) {
        names.push_back(st == kSlaWarning
                            ? "warning"
                            : SlaStateName(static_cast<SlaState>(st)));
      }
      return names.empty() ? "no SLA" : absl::StrJoin(names, ",");
    }
  }
  return "";
}

bool ConditionsHold(const CompiledRule& rule, const Snapshot& s,
                    const RuleSet::Rep& rep, std::string* why,
                    FailedOn* failed_on) {
  for (size_t i = 0; i < rule.all.size(); ++i) {
    if (!Holds(rule.all[i], s, rep)) {
      if (failed_on != nullptr) {
        const Condition& c = rule.all[i];
        failed_on->fields = FieldBit(c);
        failed_on->tag_hash =
            c.field == Field::kTags && IsContains(c.op) ? c.text_hash : 0;
      }
      if (why != nullptr) {
        *why = absl::StrCat("all[", i, "] (", rule.all[i].source,
                            ") failed: ", rule.all[i].field_name, " is ",
                            ActualValue(rule.all[i], s, rep));
      }
      return false;
    }
  }
  if (rule.any.empty()) return true;
  for (const Condition& c : rule.any) {
    if (Holds(c, s, rep)) return true;
  }
  if (failed_on != nullptr) {
    *failed_on = FailedOn{};
    for (const Condition& c : rule.any) failed_on->fields |= FieldBit(c);
  }
  if (why != nullptr) {
    std::vector<std::string> parts;
    for (const Condition& c : rule.any) {
      parts.push_back(absl::StrCat("(", c.source, "): ", c.field_name, " is ",
                                   ActualValue(c, s, rep)));
    }
    *why =
        absl::StrCat("no condition of any holds: ", absl::StrJoin(parts, "; "));
  }
  return false;
}

}  // namespace helpdesk::rules_internal
