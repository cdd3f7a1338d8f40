// The ustar writer and reader of tar.h. Layout (POSIX.1-1988 ustar): a
// 512-byte header per member (name 0-99, mode 100, uid 108, gid 116, size
// 124 (12 octal), mtime 136, checksum 148 (8), typeflag 156, magic 257
// "ustar\0", version 263 "00", prefix 345 (155)), the content padded to 512
// bytes, and two zero blocks at the end.
#include "internal/tar.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace helpdesk::internal {
namespace {

constexpr size_t kBlock = 512;

// `value` in octal, right-aligned in `width - 1` digits and a NUL.
void PutOctal(char* field, size_t width, uint64_t value) {
  std::memset(field, '0', width - 1);
  field[width - 1] = '\0';
  for (size_t i = width - 1; i > 0 && value > 0; --i) {
    field[i - 1] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

uint64_t Checksum(const unsigned char* header) {
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : header[i];
  }
  return sum;
}

// An octal field: digits, optionally surrounded by spaces, ended by NUL or
// space. Errors: InvalidArgument.
absl::StatusOr<uint64_t> ParseOctal(absl::string_view field, absl::string_view what) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  uint64_t value = 0;
  bool digits = false;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (value > (UINT64_MAX >> 3)) break;
    value = (value << 3) | static_cast<uint64_t>(field[i] - '0');
    digits = true;
  }
  for (; i < field.size(); ++i) {
    if (field[i] != '\0' && field[i] != ' ') digits = false;
  }
  if (!digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("tar ", what, " '", absl::CHexEscape(field), "' is not an octal number"));
  }
  return value;
}

absl::string_view CString(absl::string_view field) {
  size_t n = field.find('\0');
  return n == absl::string_view::npos ? field : field.substr(0, n);
}

}  // namespace

absl::Status TarWriter::Add(absl::string_view name, absl::string_view content,
                            absl::Time mtime) {
  if (name.empty() || name.size() > 100 || name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tar member name '", absl::CHexEscape(name.substr(0, 120)),
        "' must be 1 to 100 bytes without NUL"));
  }
  if (content.size() >= (uint64_t{1} << 33)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tar member ", name, ": ", content.size(), " bytes is 8 GiB or more"));
  }
  char header[kBlock] = {};
  std::memcpy(header, name.data(), name.size());
  PutOctal(header + 100, 8, 0644);
  PutOctal(header + 108, 8, 0);
  PutOctal(header + 116, 8, 0);
  PutOctal(header + 124, 12, content.size());
  const int64_t seconds = absl::ToUnixSeconds(mtime);
  PutOctal(header + 136, 12, seconds < 0 ? 0 : static_cast<uint64_t>(seconds));
  header[156] = '0';
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  const uint64_t sum = Checksum(reinterpret_cast<const unsigned char*>(header));
  PutOctal(header + 148, 7, sum);
  header[155] = ' ';
  out_.append(header, kBlock);
  out_.append(content.data(), content.size());
  out_.append((kBlock - content.size() % kBlock) % kBlock, '\0');
  return absl::OkStatus();
}

std::string TarWriter::Finish() && {
  out_.append(2 * kBlock, '\0');
  return std::move(out_);
}

absl::StatusOr<std::vector<TarMember>> ReadTar(absl::string_view archive) {
  std::vector<TarMember> out;
  size_t at = 0;
  while (true) {
    if (archive.size() - at < kBlock) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tar archive is truncated at byte ", at, " (no end-of-archive blocks)"));
    }
    absl::string_view header = archive.substr(at, kBlock);
    if (header.find_first_not_of('\0') == absl::string_view::npos) {
      // The end: two zero blocks (what follows, e.g. padding to a record, is
      // ignored).
      if (archive.size() - at < 2 * kBlock ||
          archive.substr(at + kBlock, kBlock).find_first_not_of('\0') !=
              absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tar archive: the zero block at byte ", at, " is not followed by a second one"));
      }
      return out;
    }
    const std::string where = absl::StrCat("header at byte ", at);
    const auto* bytes = reinterpret_cast<const unsigned char*>(header.data());
    absl::StatusOr<uint64_t> stored = ParseOctal(header.substr(148, 8), where + " checksum");
    if (!stored.ok()) return stored.status();
    if (*stored != Checksum(bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tar ", where, ": checksum ", *stored, " does not match the header's ",
          Checksum(bytes)));
    }
    if (header.substr(257, 5) != "ustar") {
      return absl::InvalidArgumentError(absl::StrCat("tar ", where, " is not a ustar header"));
    }
    std::string name(CString(header.substr(0, 100)));
    absl::string_view prefix = CString(header.substr(345, 155));
    if (!prefix.empty()) name = absl::StrCat(prefix, "/", name);
    absl::StatusOr<uint64_t> size = ParseOctal(header.substr(124, 12), where + " size");
    if (!size.ok()) return size.status();
    at += kBlock;
    if (*size > archive.size() - at) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tar member '", absl::CHexEscape(name), "' of ", *size, " bytes runs past the end"));
    }
    const char type = header[156];
    if (type == '0' || type == '\0') {
      out.push_back(TarMember{std::move(name), std::string(archive.substr(at, *size))});
    }
    const uint64_t padded = (*size + kBlock - 1) / kBlock * kBlock;
    at += padded > archive.size() - at ? archive.size() - at : padded;
  }
}

}  // namespace helpdesk::internal
