#include "desk/auto_responder.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace helpdesk::auto_responder {
namespace {

bool IsSeparator(char c) { return c == '-' || c == '+' || c == '.' || c == '_'; }

constexpr absl::string_view kAutomaticLocalParts[] = {
    "noreply",     "no-reply",     "no_reply",     "no.reply",     "donotreply",
    "do-not-reply", "do_not_reply", "do.not.reply", "dontreply",    "dont-reply",
    "postmaster",  "mailer-daemon", "mailerdaemon", "mailer_daemon", "mail-daemon",
    "bounce",      "bounces",      "autoreply",    "auto-reply",   "auto_reply"};

}  // namespace

bool LooksAutomaticSender(absl::string_view email) {
  const size_t at = email.rfind('@');
  const std::string local =
      absl::AsciiStrToLower(at == absl::string_view::npos ? email : email.substr(0, at));
  for (absl::string_view p : kAutomaticLocalParts) {
    if (local == p) return true;
    if (local.size() <= p.size()) continue;
    if (absl::StartsWith(local, p) && IsSeparator(local[p.size()])) return true;
    if (absl::EndsWith(local, p) && IsSeparator(local[local.size() - p.size() - 1])) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> SuppressionReason(const v1::InboundMessage& m) {
  switch (m.auto_kind()) {
    case v1::InboundMessage::AUTO_REPLY:
      return "automatic mail (an auto-reply)";
    case v1::InboundMessage::BOUNCE:
      return "automatic mail (a delivery failure report)";
    case v1::InboundMessage::BULK:
      return "bulk or list mail (Precedence bulk/junk/list or List-Id)";
    default:
      break;
  }
  if (!m.from().email().empty() && LooksAutomaticSender(m.from().email())) {
    return absl::StrCat("the sender looks automatic (",
                        absl::AsciiStrToLower(m.from().email()), ")");
  }
  return std::nullopt;
}

Period PeriodAt(const BusinessCalendar* calendar, const std::set<std::string>& holidays,
                absl::Time now) {
  if (calendar == nullptr) return Period::kInHours;
  const std::string day = absl::FormatTime("%Y-%m-%d", now, calendar->time_zone());
  if (holidays.contains(day)) return Period::kHoliday;
  return calendar->IsOpen(now) ? Period::kInHours : Period::kOutOfHours;
}

absl::string_view PeriodName(Period p) {
  switch (p) {
    case Period::kInHours:
      return "in business hours";
    case Period::kOutOfHours:
      return "out of business hours";
    case Period::kHoliday:
      return "on a holiday";
  }
  return "";
}

}  // namespace helpdesk::auto_responder
