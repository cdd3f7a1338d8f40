// MessageParser's addresses: From (with a fallback for values GMime cannot
// parse, such as obsolete syntax and unquoted specials), To and Cc, groups
// flattened, display names decoded. The parser is declared in
// email_inbound_parser.h.
#include "channels/email_inbound_parser.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "channels/email_text.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace helpdesk::email_internal {

namespace {

// Appends the mailboxes of `list` (groups flattened) to `out`; an address
// without "@" becomes the name. `raw_emails` (optional) receives every
// address as written, lower-cased.
void AppendParties(InternetAddressList* list, google::protobuf::RepeatedPtrField<v1::Party>* out,
                   std::vector<std::string>* raw_emails = nullptr, int depth = 0) {
  if (list == nullptr || depth > 4) return;
  const int n = internet_address_list_length(list);
  for (int i = 0; i < n && out->size() < 1000; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      AppendParties(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)),
                    out, raw_emails, depth + 1);
      continue;
    }
    if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
    AppendParty(View(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address))),
                View(internet_address_get_name(address)), out, raw_emails);
  }
}

// The mailbox in a From value GMime could not parse: the address in <>, else
// the one around the first "@"; comments removed, whitespace outside quoted
// strings removed (obsolete syntax allows "john . smith @ example . com"),
// a quoted local part ("john smith"@example.com) kept as written, quotes
// included. The name is the phrase before the address. Email empty when
// there is no address.
v1::Party FallbackMailbox(absl::string_view value) {
  // Comments out, quoted strings (with their escapes) kept whole.
  std::string plain;
  int depth = 0;
  bool quoted = false;
  bool escaped = false;
  for (char c : value) {
    if (quoted) {
      plain.push_back(c);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"' && depth == 0) quoted = true;
    if (c == '(') ++depth;
    if (depth == 0) plain.push_back(c);
    if (c == ')' && depth > 0) --depth;
  }
  // Positions of '<' and '>' outside quoted strings; for each byte of a
  // quoted string (its quotes included), where that string opens.
  size_t lt = std::string::npos, gt = std::string::npos, at = std::string::npos;
  std::vector<size_t> quote_open(plain.size(), std::string::npos);
  size_t open = std::string::npos;
  escaped = false;
  for (size_t i = 0; i < plain.size(); ++i) {
    const char c = plain[i];
    if (open != std::string::npos) {
      quote_open[i] = open;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        open = std::string::npos;
      }
      continue;
    }
    if (c == '"') {
      open = i;
      quote_open[i] = i;
    } else if (c == '<' && lt == std::string::npos) {
      lt = i;
    } else if (c == '>' && lt != std::string::npos && gt == std::string::npos) {
      gt = i;
    }
  }
  auto in_quotes = [&](size_t i) { return quote_open[i] != std::string::npos; };
  const size_t begin = lt != std::string::npos && gt != std::string::npos ? lt + 1 : 0;
  const size_t end = lt != std::string::npos && gt != std::string::npos ? gt : plain.size();
  for (size_t i = begin; i < end; ++i) {
    if (plain[i] == '@' && !in_quotes(i)) {
      at = i;
      break;
    }
  }
  v1::Party party;
  if (at == std::string::npos) return party;
  auto without_whitespace = [&](size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) {
      const char c = plain[i];
      if (in_quotes(i) || (c != ' ' && c != '\t' && c != '\r' && c != '\n')) out.push_back(c);
    }
    return out;
  };
  // A quoted local part ends right before the "@" (blanks aside): it starts
  // at its opening quote; a phrase before it is the name.
  size_t local_begin = begin;
  size_t k = at;
  while (k > begin && (plain[k - 1] == ' ' || plain[k - 1] == '\t')) --k;
  if (k > begin && plain[k - 1] == '"' && in_quotes(k - 1) && quote_open[k - 1] >= begin) {
    local_begin = quote_open[k - 1];
  }
  std::string local = without_whitespace(local_begin, at);
  std::string domain = without_whitespace(at + 1, end);
  while (!domain.empty() && (domain.back() == ',' || domain.back() == ';')) domain.pop_back();
  if (local.empty() || domain.empty()) return party;
  party.set_email(RepairUtf8(absl::AsciiStrToLower(absl::StrCat(local, "@", domain))));
  std::string name = CollapseWhitespace(
      lt != std::string::npos && gt != std::string::npos
          ? absl::string_view(plain).substr(0, lt)
          : absl::string_view(plain).substr(0, local_begin == begin ? 0 : local_begin));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  party.set_name(RepairUtf8(name));
  return party;
}

}  // namespace

void AppendParty(absl::string_view addr, absl::string_view gmime_name,
                 google::protobuf::RepeatedPtrField<v1::Party>* out,
                 std::vector<std::string>* raw_emails) {
  std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(addr));
  std::string name = CollapseWhitespace(DecodedPhrase(gmime_name));
  if (email.empty() && name.empty()) return;
  if (raw_emails != nullptr) raw_emails->push_back(email);
  if (email.find('@') == std::string::npos) {
    // "MAILER-DAEMON", "localrecipient": a name, not an address.
    if (name.empty()) name = email;
    email.clear();
  }
  v1::Party* party = out->Add();
  party->set_email(RepairUtf8(email));
  party->set_name(RepairUtf8(name));
}

void MessageParser::ReadAddresses(GMimeMessage* message) {
  google::protobuf::RepeatedPtrField<v1::Party> from;
  std::vector<std::string> raw_from;
  for (GMimeAddressType type :
       {GMIME_ADDRESS_TYPE_FROM, GMIME_ADDRESS_TYPE_SENDER, GMIME_ADDRESS_TYPE_REPLY_TO}) {
    AppendParties(g_mime_message_get_addresses(message, type), &from, &raw_from);
    if (!from.empty() && !from.Get(0).email().empty()) break;
  }
  // Prefer the first mailbox with an address ("From: MAILER-DAEMON" with a
  // Sender that has one), else keep the first one.
  for (int i = 1; i < from.size(); ++i) {
    if (from.Get(0).email().empty() && !from.Get(i).email().empty()) {
      from.SwapElements(0, i);
      break;
    }
  }
  if (from.empty()) {
    // An address GMime could not parse (obsolete syntax with comments and
    // spaces, a phrase without angle brackets).
    v1::Party party = FallbackMailbox(View(g_mime_object_get_header(GMIME_OBJECT(message), "From")));
    if (!party.email().empty()) *from.Add() = std::move(party);
  }
  if (from.empty() || from.Get(0).email().empty()) {
    // No address in From, Sender or Reply-To: the envelope sender, if any.
    absl::string_view return_path =
        View(g_mime_object_get_header(GMIME_OBJECT(message), "Return-Path"));
    if (return_path.find('<') != absl::string_view::npos) {
      v1::Party envelope = FallbackMailbox(return_path);
      if (!envelope.email().empty()) {
        if (from.empty()) from.Add();
        from.Mutable(0)->set_email(envelope.email());
      }
    }
  }
  if (!from.empty()) *out_->mutable_from() = from.Get(0);
  facts_.from_email = out_->from().email().empty() && !raw_from.empty()
                          ? raw_from.front()
                          : out_->from().email();
  facts_.from_name = out_->from().name();
  AppendParties(g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO),
                out_->mutable_to());
  AppendParties(g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_CC),
                out_->mutable_cc());
}

}  // namespace helpdesk::email_internal
