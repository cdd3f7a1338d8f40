// Knowledge base: the line diff of two revisions (longest common subsequence).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "helpdesk/kb.h"

namespace helpdesk {

std::string KbLineDiff(absl::string_view before, absl::string_view after) {
  std::vector<absl::string_view> a =
      before.empty() ? std::vector<absl::string_view>{} : absl::StrSplit(before, '\n');
  std::vector<absl::string_view> b =
      after.empty() ? std::vector<absl::string_view>{} : absl::StrSplit(after, '\n');
  std::vector<std::string> out;
  // Common prefix and suffix need no table.
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  for (size_t i = 0; i < pre; ++i) out.push_back(absl::StrCat("  ", a[i]));
  const size_t n = a.size() - pre - suf;
  const size_t m = b.size() - pre - suf;
  constexpr size_t kMaxLines = 5000;
  if (n > kMaxLines || m > kMaxLines || n * m > 4'000'000) {
    for (size_t i = 0; i < n; ++i) out.push_back(absl::StrCat("- ", a[pre + i]));
    for (size_t j = 0; j < m; ++j) out.push_back(absl::StrCat("+ ", b[pre + j]));
  } else {
    // lcs[i][j]: LCS length of a[pre+i..] and b[pre+j..].
    std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        at(i, j) = a[pre + i] == b[pre + j] ? at(i + 1, j + 1) + 1
                                            : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[pre + i] == b[pre + j]) {
        out.push_back(absl::StrCat("  ", a[pre + i]));
        ++i;
        ++j;
      } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
        out.push_back(absl::StrCat("- ", a[pre + i]));
        ++i;
      } else {
        out.push_back(absl::StrCat("+ ", b[pre + j]));
        ++j;
      }
    }
  }
  for (size_t k = a.size() - suf; k < a.size(); ++k) out.push_back(absl::StrCat("  ", a[k]));
  return absl::StrJoin(out, "\n");
}

}  // namespace helpdesk
