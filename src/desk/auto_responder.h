// Internal, pure: whether the desk may send an automatic acknowledgement for
// an inbound message, and which template fits the time. No I/O, no Desk;
// thread-safe functions of their arguments.
#ifndef HELPDESK_SRC_DESK_AUTO_RESPONDER_H_
#define HELPDESK_SRC_DESK_AUTO_RESPONDER_H_

#include <optional>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "helpdesk/calendar.h"
#include "helpdesk/v1/channel.pb.h"

namespace helpdesk::auto_responder {

// True when `email`'s local part is one a person never writes from: no-reply
// and do-not-reply in their spellings (noreply, no-reply, no_reply,
// no.reply, donotreply, do-not-reply, do_not_reply, do.not.reply,
// dontreply, dont-reply), postmaster, mailer-daemon (mailerdaemon,
// mailer_daemon, mail-daemon), bounce and bounces, autoreply and
// auto-reply; alone, or joined to a tag by '-', '+', '.' or '_' on either
// side ("noreply-billing", "bounces+123", "shop.noreply"). Case is ignored.
bool LooksAutomaticSender(absl::string_view email);

// Why an acknowledgement of `m` must not be sent, or nullopt when it may:
// automatic mail (auto-reply, bounce, bulk or list mail as the channel
// classified it) or a sender that LooksAutomaticSender.
std::optional<std::string> SuppressionReason(const v1::InboundMessage& m);

enum class Period { kInHours, kOutOfHours, kHoliday };

// The period `now` falls in for `calendar` (a holiday when the civil date in
// the calendar's zone is in `holidays`, "YYYY-MM-DD"); kInHours without a
// calendar.
Period PeriodAt(const BusinessCalendar* calendar, const std::set<std::string>& holidays,
                absl::Time now);

absl::string_view PeriodName(Period p);

}  // namespace helpdesk::auto_responder

#endif  // HELPDESK_SRC_DESK_AUTO_RESPONDER_H_
