// Command-line flags of the helpdesk CLI: parsing argv into positional
// arguments and --flags, and reading typed values out of them with errors that
// name the flag and the value.
#ifndef HELPDESK_EXAMPLES_HELPDESK_FLAGS_H_
#define HELPDESK_EXAMPLES_HELPDESK_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace helpdesk::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;

  bool Has(const std::string& f) const { return flags.contains(f); }
  std::optional<std::string> Get(const std::string& f) const {
    auto it = flags.find(f);
    if (it == flags.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  std::vector<std::string> All(const std::string& f) const {
    auto it = flags.find(f);
    return it == flags.end() ? std::vector<std::string>{} : it->second;
  }
};

// Splits argv[first..] into positional arguments and flags ("--name value",
// "--name=value", or a switch that takes no value).
absl::StatusOr<Args> Parse(int argc, char** argv, int first);

// The last value of --flag; InvalidArgument when it is missing.
absl::StatusOr<std::string> Required(const Args& a, const std::string& flag);

// Numbers are parsed strictly: the whole text, in decimal, in range. The
// error is InvalidArgument naming `what` (a flag, "--agents", or an argument,
// "TICKET") and the text, e.g. "--agents '99999999999' is not a whole number
// from 1 to 100000".

// Digits only (a leading '-' when min < 0): no spaces, '+', hex, fraction or
// exponent.
absl::StatusOr<int64_t> ParseWholeNumber(absl::string_view what, absl::string_view text,
                                         int64_t min, int64_t max);
// DIGITS or DIGITS.DIGITS, finite: no sign, spaces, exponent, hex, inf or nan.
absl::StatusOr<double> ParseDecimalNumber(absl::string_view what, absl::string_view text,
                                          double min, double max);

// --flag's last value parsed as above; nullopt when the flag is absent.
absl::StatusOr<std::optional<int64_t>> WholeNumberFlag(const Args& a, const std::string& flag,
                                                       int64_t min, int64_t max);
absl::StatusOr<std::optional<double>> DecimalNumberFlag(const Args& a, const std::string& flag,
                                                        double min, double max);

// The ticket number at positional[index] ("12" or "#12", from 1).
absl::StatusOr<int64_t> TicketArg(const Args& a, size_t index,
                                  absl::string_view what = "TICKET");

// --version N (from 1), when given.
absl::StatusOr<std::optional<int64_t>> VersionArg(const Args& a);

// "NAME:N" of --flag, N a whole number in [min, max]; the error shows `form`.
absl::StatusOr<std::pair<std::string, int>> NameAndNumber(absl::string_view flag,
                                                          const std::string& value,
                                                          absl::string_view form, int min,
                                                          int max);

}  // namespace helpdesk::cli

#endif  // HELPDESK_EXAMPLES_HELPDESK_FLAGS_H_
