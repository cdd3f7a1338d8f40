// Command-line flags of the helpdesk CLI.
#include "flags.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace helpdesk::cli {
namespace {

// Flags that take no value.
bool IsSwitch(const std::string& f) {
  return f == "admin" || f == "light" || f == "all" || f == "help" || f == "ack" ||
         f == "dead";
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

absl::StatusOr<int64_t> TicketArg(const Args& a, size_t index, absl::string_view what) {
  if (a.positional.size() <= index) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  }
  int64_t id = 0;
  std::string s = a.positional[index];
  if (!s.empty() && s[0] == '#') s = s.substr(1);
  if (!absl::SimpleAtoi(s, &id) || id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " '", a.positional[index], "' is not a ticket number"));
  }
  return id;
}

absl::StatusOr<std::optional<int64_t>> VersionArg(const Args& a) {
  std::optional<std::string> v = a.Get("version");
  if (!v) return std::optional<int64_t>();
  int64_t n = 0;
  if (!absl::SimpleAtoi(*v, &n) || n <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--version '", *v, "' is not a version number"));
  }
  return std::optional<int64_t>(n);
}

absl::StatusOr<std::pair<std::string, int>> NameAndNumber(absl::string_view flag,
                                                          const std::string& value,
                                                          absl::string_view form) {
  std::vector<std::string> parts = absl::StrSplit(value, ':');
  int n = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", value, "' is not ", form));
  }
  return std::make_pair(parts[0], n);
}

}  // namespace helpdesk::cli
