#include "channels/email_classify.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace helpdesk::email_internal {
namespace {

using AutoKind = v1::InboundMessage::AutoKind;

absl::string_view LocalPart(absl::string_view email) {
  size_t at = email.find('@');
  return at == absl::string_view::npos ? email : email.substr(0, at);
}

// A mailer daemon: only mail systems send from this address.
bool IsMailerDaemon(const MessageFacts& f) {
  absl::string_view local = LocalPart(f.from_email);
  return local == "mailer-daemon" || local == "mailerdaemon" ||
         local == "mailer_daemon" || local == "mail-daemon";
}

// A mail system's address or name; people do sometimes write as postmaster, so
// this alone decides nothing.
bool IsMailSystemSender(const MessageFacts& f) {
  if (IsMailerDaemon(f)) return true;
  absl::string_view local = LocalPart(f.from_email);
  if (local == "postmaster" || local == "post_master" || local == "post-master" ||
      local == "mdaemon" || local == "bounce" ||
      local == "bounces" || local == "mail-delivery-system" ||
      local == "maildelivery" || local == "noreply-dmarc-support") {
    return true;
  }
  std::string name = absl::AsciiStrToLower(f.from_name);
  return absl::StrContains(name, "mail delivery") ||
         absl::StrContains(name, "mail system") ||
         absl::StrContains(name, "mailer-daemon") ||
         absl::StrContains(name, "mailer daemon") ||
         absl::StrContains(name, "postmaster") ||
         absl::StrContains(name, "delivery subsystem");
}

// A "do not reply" address: services send from it, bounces too, but so do
// notifications relaying what a person wrote, so this alone decides nothing.
bool IsNoReplySender(const MessageFacts& f) {
  absl::string_view local = LocalPart(f.from_email);
  for (absl::string_view p : {"noreply", "no-reply", "no_reply", "donotreply",
                              "do-not-reply", "do_not_reply"}) {
    if (local == p) return true;
    if (absl::StartsWith(local, p) && local.size() > p.size() &&
        (local[p.size()] == '-' || local[p.size()] == '+' || local[p.size()] == '.' ||
         local[p.size()] == '_')) {
      return true;
    }
  }
  return false;
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

// Removes leading "Re:"-style prefixes (and "[list]" tags) for prefix tests.
absl::string_view AfterReplyPrefixes(absl::string_view subject) {
  absl::string_view s = absl::StripLeadingAsciiWhitespace(subject);
  while (true) {
    bool changed = false;
    for (absl::string_view p : {"re:", "re :", "aw:", "sv:", "vs:", "antw:", "r:",
                                "réf:", "ré:"}) {
      if (absl::StartsWithIgnoreCase(s, p)) {
        s = absl::StripLeadingAsciiWhitespace(s.substr(p.size()));
        changed = true;
      }
    }
    if (!changed) return s;
  }
}

}  // namespace

bool HasAutoReplySubject(absl::string_view subject) {
  // After tags such as "[support.example.com #33575]" (RT puts its
  // "AutoReply:" after the ticket tag), but not after "Re:".
  absl::string_view s = absl::StripLeadingAsciiWhitespace(subject);
  while (absl::StartsWith(s, "[")) {
    size_t close = s.find(']');
    if (close == absl::string_view::npos || close > 200) break;
    s = absl::StripLeadingAsciiWhitespace(s.substr(close + 1));
  }
  static constexpr absl::string_view kPrefixes[] = {
      "auto:",
      "automatic reply",
      "auto reply",
      "auto-reply",
      "autoreply",
      "auto response",
      "auto-response",
      "autoresponse",
      "autorespons",
      "automated response",
      "automatic response",
      "out of office",
      "out of the office",
      "out-of-office",
      "abwesenheitsnotiz",
      "automatische antwort",
      "r\xC3\xA9ponse automatique",
      "respuesta autom\xC3\xA1tica",
      "risposta automatica",
      "automatisch antwoord",
      "resposta autom\xC3\xA1tica",
      "automatisk svar",
      "autosvar",
      "odpowied\xC5\xBA automatyczna",
      "\xE8\x87\xAA\xE5\x8B\x95\xE8\xBF\x94\xE4\xBF\xA1",  // 自動返信
      "\xE8\x87\xAA\xE5\x8A\xA8\xE5\x9B\x9E\xE5\xA4\x8D",  // 自动回复
  };
  for (absl::string_view p : kPrefixes) {
    if (absl::StartsWithIgnoreCase(s, p)) return true;
  }
  return false;
}

bool HasDeliveryFailureSubject(absl::string_view subject) {
  std::string s = Lower(subject);
  static constexpr absl::string_view kMarkers[] = {
      "undeliver",
      "undelivered",
      "delivery status notification",
      "delivery status",
      "delivery failure",
      "delivery failed",
      "delivery has failed",
      "delivery problem",
      "delivery notification",
      "delivery delayed",
      "delayed mail",
      "failure notice",
      "returned mail",
      "returning message",
      "returned to sender",
      "mail delivery",
      "non-delivery",
      "nondeliver",
      "non delivery",
      "could not be delivered",
      "not delivered",
      "unable to deliver",
      "mail system error",
      "error mail report",
      "could not send message",
      "error sending your mail",
      "message not delivered",
      "unzustellbar",
      "nicht zustellbar",
      "non remis",
      "no se pudo entregar",
      "\xE9\x85\x8D\xE4\xBF\xA1\xE3\x81\xA7\xE3\x81\x8D\xE3\x81\xBE\xE3\x81\x9B\xE3\x82\x93",  // 配信できません
      "\xE4\xB8\x8D\xE9\x81\x94",  // 不達
      "\xD0\xBD\xD0\xB5 \xD0\xB4\xD0\xBE\xD1\x81\xD1\x82\xD0\xB0\xD0\xB2\xD0\xBB\xD0\xB5\xD0\xBD\xD0\xBE",  // не доставлено
  };
  for (absl::string_view m : kMarkers) {
    if (absl::StrContains(s, m)) return true;
  }
  return false;
}

bool HasForwardSubject(absl::string_view subject) {
  absl::string_view s = AfterReplyPrefixes(subject);
  if (absl::StartsWith(s, "[")) s.remove_prefix(1);
  for (absl::string_view p : {"fwd:", "fw:", "fwd :", "fw :", "wg:", "tr:",
                              "enc:", "rv:", "doorst:", "vs:", "forward:"}) {
    if (absl::StartsWithIgnoreCase(s, p)) return true;
  }
  return false;
}

AutoKind ClassifyMessage(const MessageFacts& f) {
  const bool automatic_header = f.has_auto_submitted && f.auto_submitted != "no";
  const bool failure_subject = HasDeliveryFailureSubject(f.subject);
  // Bounces.
  if (f.report_type == "delivery-status" || f.has_delivery_status) {
    return v1::InboundMessage::BOUNCE;
  }
  if (IsMailerDaemon(f)) return v1::InboundMessage::BOUNCE;
  if ((IsMailSystemSender(f) || f.null_return_path || automatic_header) &&
      (failure_subject || (f.has_returned_message && !automatic_header))) {
    return v1::InboundMessage::BOUNCE;
  }
  // The returned message as a part, or its header copied into the notice.
  const bool returned = f.has_returned_message || f.has_inline_returned_headers;
  if (IsMailSystemSender(f) && returned) return v1::InboundMessage::BOUNCE;
  // Exim marks its bounces so, whoever they appear to come from.
  if (!f.x_failed_recipients.empty() && (returned || failure_subject)) {
    return v1::InboundMessage::BOUNCE;
  }
  // A no-reply sender returning a message and saying delivery failed.
  if (IsNoReplySender(f) && returned && (failure_subject || f.has_failure_notice)) {
    return v1::InboundMessage::BOUNCE;
  }
  // Automatic replies and other machine reports.
  if (automatic_header || f.has_autoreply_header || f.precedence == "auto_reply" ||
      absl::StrContains(f.x_apple_action, "vacation") || f.has_report ||
      f.null_return_path || HasAutoReplySubject(f.subject)) {
    return v1::InboundMessage::AUTO_REPLY;
  }
  // Bulk and list mail.
  if (f.precedence == "bulk" || f.precedence == "junk" || f.precedence == "list" ||
      f.has_list_id) {
    return v1::InboundMessage::BULK;
  }
  return v1::InboundMessage::HUMAN;
}

namespace {

// "rfc822; User@Example.com" -> "user@example.com"; "" when no address.
std::string RecipientAddress(absl::string_view value) {
  size_t semi = value.find(';');
  if (semi != absl::string_view::npos) value = value.substr(semi + 1);
  value = absl::StripAsciiWhitespace(value);
  // Drop a trailing comment "(...)" and angle brackets.
  size_t paren = value.find('(');
  if (paren != absl::string_view::npos) value = absl::StripAsciiWhitespace(value.substr(0, paren));
  if (absl::StartsWith(value, "<")) value.remove_prefix(1);
  if (absl::EndsWith(value, ">")) value.remove_suffix(1);
  value = absl::StripAsciiWhitespace(value);
  if (value.find('@') == absl::string_view::npos ||
      value.find_first_of(" \t<>,") != absl::string_view::npos) {
    return "";
  }
  return absl::AsciiStrToLower(value);
}

void AddUnique(std::string address, std::vector<std::string>* out) {
  if (address.empty()) return;
  if (std::find(out->begin(), out->end(), address) == out->end()) {
    out->push_back(std::move(address));
  }
}

// "user@example.com", with an optional <> and trailing ':'; "" otherwise.
std::string StandaloneAddress(absl::string_view line) {
  absl::string_view t = absl::StripAsciiWhitespace(line);
  if (absl::EndsWith(t, ":")) t.remove_suffix(1);
  t = absl::StripAsciiWhitespace(t);
  bool bracketed = absl::StartsWith(t, "<") && absl::EndsWith(t, ">");
  if (bracketed) t = t.substr(1, t.size() - 2);
  if (t.size() < 3 || t.size() > 254) return "";
  size_t at = t.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 >= t.size() ||
      t.find('@', at + 1) != absl::string_view::npos) {
    return "";
  }
  for (char c : t) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '(' ||
        c == ')' || c == '"' || c == ':' || u == 0x7F) {
      return "";
    }
  }
  if (t.substr(at + 1).find('.') == absl::string_view::npos) return "";
  return absl::AsciiStrToLower(t);
}

// A permanent SMTP reply ("550 5.1.1 ...", "<<< 554 ...") in `line`.
bool HasPermanentReply(absl::string_view line) {
  for (size_t i = 0; i + 3 < line.size(); ++i) {
    if (line[i] == '5' && absl::ascii_isdigit(static_cast<unsigned char>(line[i + 1])) &&
        absl::ascii_isdigit(static_cast<unsigned char>(line[i + 2])) &&
        (line[i + 3] == ' ' || line[i + 3] == '-') &&
        (i == 0 || line[i - 1] == ' ' || line[i - 1] == '>' || line[i - 1] == '\t')) {
      return true;
    }
  }
  return false;
}

}  // namespace

namespace {

// "Name:" at the start of `line` (leading whitespace allowed): the field
// name, lower-cased, or "" when the line does not start a header field.
std::string FieldName(absl::string_view line) {
  absl::string_view t = absl::StripLeadingAsciiWhitespace(line);
  size_t i = 0;
  while (i < t.size() && i < 40 &&
         (absl::ascii_isalnum(static_cast<unsigned char>(t[i])) || t[i] == '-' || t[i] == '_')) {
    ++i;
  }
  if (i == 0 || i >= t.size() || t[i] != ':') return "";
  return absl::AsciiStrToLower(t.substr(0, i));
}

}  // namespace

bool HasInlineReturnedHeaders(absl::string_view text) {
  int fields = 0;
  bool trace = false;     // Received, Return-Path, Message-ID
  bool envelope = false;  // From, To, Subject, Date
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (++lines > 5000) break;
    std::string name = FieldName(line);
    if (!name.empty()) {
      ++fields;
      if (name == "received" || name == "return-path" || name == "message-id") trace = true;
      if (name == "from" || name == "to" || name == "subject" || name == "date") {
        envelope = true;
      }
      if (fields >= 3 && trace && envelope) return true;
      continue;
    }
    // A continuation line stays in the run; anything else ends it.
    if (fields > 0 && !line.empty() && (line[0] == ' ' || line[0] == '\t') &&
        !absl::StripAsciiWhitespace(line).empty()) {
      continue;
    }
    fields = 0;
    trace = false;
    envelope = false;
  }
  return false;
}

bool HasDeliveryFailureNotice(absl::string_view text) {
  if (HasDeliveryFailureSubject(text)) return true;
  std::string s = Lower(text);
  static constexpr absl::string_view kMarkers[] = {
      "failed permanently",
      "permanent error",
      "permanent failure",
      "couldn't be delivered",
      "wasn't able to deliver",
      "was not delivered",
      "address(es) failed",
      "had permanent fatal errors",
      "user unknown",
      "unknown user",
      "no such user",
      "mailbox unavailable",
      "mailbox not found",
      "recipient address rejected",
      "does not exist",
  };
  for (absl::string_view m : kMarkers) {
    if (absl::StrContains(s, m)) return true;
  }
  return false;
}

std::vector<std::string> AddressesOfList(absl::string_view value) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(value, absl::ByAnyChar(",;"))) {
    if (out.size() >= 100) break;
    AddUnique(StandaloneAddress(item), &out);
  }
  return out;
}

std::vector<std::string> FailedRecipientsFromDeliveryStatus(absl::string_view text) {
  std::vector<std::string> failed;
  // Unfold, then split into blocks at blank lines.
  std::vector<std::string> lines;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty() &&
        !lines.back().empty()) {
      lines.back().push_back(' ');
      absl::StrAppend(&lines.back(), absl::StripLeadingAsciiWhitespace(line));
    } else {
      lines.emplace_back(line);
    }
  }
  lines.emplace_back();  // ends the last block
  std::string final_recipient, original_recipient, action, status;
  auto end_block = [&]() {
    std::string address = RecipientAddress(final_recipient);
    if (address.empty()) address = RecipientAddress(original_recipient);
    bool is_failed = action == "failed" ||
                     (action.empty() && absl::StartsWith(status, "5"));
    if (is_failed) AddUnique(std::move(address), &failed);
    final_recipient.clear();
    original_recipient.clear();
    action.clear();
    status.clear();
  };
  for (const std::string& line : lines) {
    if (absl::StripAsciiWhitespace(line).empty()) {
      end_block();
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
        absl::string_view(line).substr(0, colon)));
    absl::string_view value =
        absl::StripAsciiWhitespace(absl::string_view(line).substr(colon + 1));
    if (name == "final-recipient") {
      // A second recipient without a blank line in between: a new block.
      if (!final_recipient.empty()) end_block();
      final_recipient = std::string(value);
    } else if (name == "original-recipient") {
      original_recipient = std::string(value);
    } else if (name == "action") {
      absl::string_view first = value.substr(0, value.find_first_of(" \t(;"));
      action = absl::AsciiStrToLower(first);
    } else if (name == "status") {
      status = std::string(value);
    }
  }
  return failed;
}

std::vector<std::string> FailedRecipientsFromNotice(absl::string_view text) {
  std::vector<std::string> found;
  std::string pending_rcpt;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string lower = absl::AsciiStrToLower(line);
    absl::string_view l = absl::StripAsciiWhitespace(lower);
    // The returned message (or its header) starts here.
    if (absl::StartsWith(l, "received:") || absl::StartsWith(l, "return-path:") ||
        absl::StartsWith(l, "message-id:") ||
        absl::StrContains(l, "original message") ||
        absl::StrContains(l, "copy of the message") ||
        absl::StrContains(l, "message follows") ||
        absl::StrContains(l, "below this line") ||
        absl::StrContains(l, "unsent message") ||
        absl::StrContains(l, "returned message")) {
      break;
    }
    std::string address = StandaloneAddress(line);
    if (address.empty()) {
      // "user@example.com: 550 ..." and "<user@example.com>: host said ..."
      absl::string_view t = absl::StripLeadingAsciiWhitespace(line);
      size_t colon = t.find(": ");
      if (colon != absl::string_view::npos && colon < 256) {
        address = StandaloneAddress(t.substr(0, colon));
      }
    }
    if (address.empty()) {
      // "Your message wasn't delivered to user@example.com because ..."
      // (Gmail), "could not be delivered to <user@example.com>".
      for (absl::string_view phrase : {"wasn't delivered to ", "was not delivered to ",
                                       "couldn't be delivered to ",
                                       "could not be delivered to "}) {
        size_t p = l.find(phrase);
        if (p == absl::string_view::npos) continue;
        absl::string_view rest = l.substr(p + phrase.size());
        absl::string_view token = rest.substr(0, rest.find_first_of(" \t"));
        while (!token.empty() && (token.back() == '.' || token.back() == ',' ||
                                  token.back() == ';' || token.back() == ':')) {
          token.remove_suffix(1);
        }
        address = StandaloneAddress(token);
        if (!address.empty()) break;
      }
    }
    if (address.empty()) {
      // "RCPT TO:<user@example.com>" answered by a 5xx reply on that line or
      // the next.
      size_t rcpt = l.find("rcpt to:<");
      if (rcpt != absl::string_view::npos) {
        size_t end = l.find('>', rcpt);
        if (end != absl::string_view::npos) pending_rcpt = StandaloneAddress(
            l.substr(rcpt + 8, end - rcpt - 7));
      }
      if (!pending_rcpt.empty() && HasPermanentReply(l)) {
        address = pending_rcpt;
        pending_rcpt.clear();
      }
    }
    AddUnique(std::move(address), &found);
    if (found.size() >= 100) break;
  }
  return found;
}

}  // namespace helpdesk::email_internal
