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

// The ticket number at positional[index] ("12" or "#12").
absl::StatusOr<int64_t> TicketArg(const Args& a, size_t index,
                                  absl::string_view what = "TICKET");

// --version N, when given.
absl::StatusOr<std::optional<int64_t>> VersionArg(const Args& a);

// "NAME:N" of --flag; the error shows `form`.
absl::StatusOr<std::pair<std::string, int>> NameAndNumber(absl::string_view flag,
                                                          const std::string& value,
                                                          absl::string_view form);

}  // namespace helpdesk::cli

#endif  // HELPDESK_EXAMPLES_HELPDESK_FLAGS_H_
