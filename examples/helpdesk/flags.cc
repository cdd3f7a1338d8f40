// Command-line flags of the helpdesk CLI.
#include "flags.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace helpdesk::cli {
namespace {

// Flags that take no value.
bool IsSwitch(const std::string& f) {
  return f == "admin" || f == "light" || f == "all" || f == "help" || f == "ack" ||
         f == "dead" ||
         // tracklink (issue 15)
         f == "rotate" || f == "revoke" || f == "insecure-http" || f == "insecure-cookies" ||
         // replay (issue 16)
         f == "from-history" ||
         // migrate (issue 17)
         f == "allow-non-empty";
}

}  // namespace

absl::StatusOr<Args> Parse(int argc, char** argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      std::string name = s.substr(2);
      std::string value;
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (!IsSwitch(name)) {
        if (i + 1 >= argc) {
          return absl::InvalidArgumentError(
              absl::StrCat("flag --", name, " needs a value"));
        }
        value = argv[++i];
      }
      a.flags[name].push_back(value);
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

absl::StatusOr<std::string> Required(const Args& a, const std::string& flag) {
  std::optional<std::string> v = a.Get(flag);
  if (!v) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
  return *v;
}

absl::StatusOr<int64_t> ParseWholeNumber(absl::string_view what, absl::string_view text,
                                         int64_t min, int64_t max) {
  absl::string_view digits = text;
  if (min < 0 && !digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  int64_t n = 0;
  // Digits only: SimpleAtoi alone would take " 5", "+5" and "5\n".
  const bool decimal = !digits.empty() && digits.size() <= 19 &&
                       std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit);
  if (!decimal || !absl::SimpleAtoi(text, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(absl::StrCat(what, " '", text,
                                                   "' is not a whole number from ", min,
                                                   " to ", max));
  }
  return n;
}

absl::StatusOr<double> ParseDecimalNumber(absl::string_view what, absl::string_view text,
                                          double min, double max) {
  // DIGITS or DIGITS.DIGITS: no sign, spaces, exponent, hex, inf or nan,
  // which SimpleAtod (strtod) would all take.
  const size_t dot = text.find('.');
  const absl::string_view whole = text.substr(0, dot);
  const absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : text.substr(dot + 1);
  auto all_digits = [](absl::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
  };
  double x = 0;
  if (!all_digits(whole) || (dot != absl::string_view::npos && !all_digits(fraction)) ||
      !absl::SimpleAtod(text, &x) || !std::isfinite(x) || x < min || x > max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s '%s' is not a decimal number from %.15g to %.15g", what, text, min, max));
  }
  return x;
}

absl::StatusOr<std::optional<int64_t>> WholeNumberFlag(const Args& a, const std::string& flag,
                                                       int64_t min, int64_t max) {
  std::optional<std::string> v = a.Get(flag);
  if (!v) return std::optional<int64_t>();
  absl::StatusOr<int64_t> n = ParseWholeNumber(absl::StrCat("--", flag), *v, min, max);
  if (!n.ok()) return n.status();
  return std::optional<int64_t>(*n);
}

absl::StatusOr<std::optional<double>> DecimalNumberFlag(const Args& a, const std::string& flag,
                                                        double min, double max) {
  std::optional<std::string> v = a.Get(flag);
  if (!v) return std::optional<double>();
  absl::StatusOr<double> x = ParseDecimalNumber(absl::StrCat("--", flag), *v, min, max);
  if (!x.ok()) return x.status();
  return std::optional<double>(*x);
}

absl::StatusOr<int64_t> TicketArg(const Args& a, size_t index, absl::string_view what) {
  if (a.positional.size() <= index) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  }
  absl::string_view s = a.positional[index];
  absl::ConsumePrefix(&s, "#");
  absl::StatusOr<int64_t> id =
      ParseWholeNumber(what, s, 1, std::numeric_limits<int64_t>::max());
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " '", a.positional[index], "' is not a ticket number"));
  }
  return *id;
}

absl::StatusOr<std::optional<int64_t>> VersionArg(const Args& a) {
  std::optional<std::string> v = a.Get("version");
  if (!v) return std::optional<int64_t>();
  absl::StatusOr<int64_t> n =
      ParseWholeNumber("--version", *v, 1, std::numeric_limits<int64_t>::max());
  if (!n.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--version '", *v, "' is not a version number"));
  }
  return std::optional<int64_t>(*n);
}

absl::StatusOr<std::pair<std::string, int>> NameAndNumber(absl::string_view flag,
                                                          const std::string& value,
                                                          absl::string_view form, int min,
                                                          int max) {
  std::vector<std::string> parts = absl::StrSplit(value, ':');
  if (parts.size() != 2 || parts[0].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", value, "' is not ", form));
  }
  absl::StatusOr<int64_t> n = ParseWholeNumber("", parts[1], min, max);
  if (!n.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " '", value, "' is not ",
                                                   form, ": N is a whole number from ",
                                                   min, " to ", max));
  }
  return std::make_pair(parts[0], static_cast<int>(*n));
}

}  // namespace helpdesk::cli
