// A small POSIX ustar (tar) writer and reader, for the personal-data export
// archive (issue 16). Regular files only, names up to 100 bytes; what it
// writes `tar -xf` unpacks, and it reads what it writes (and ustar archives
// of regular files from other tools, directories skipped).
//
// Why tar: one file that every system unpacks with standard tools (tar,
// 7-Zip, Windows' tar.exe), with no compression library needed (the JSON
// and the attachments are stored as they are; a host may gzip the file).
#ifndef HELPDESK_INTERNAL_TAR_H_
#define HELPDESK_INTERNAL_TAR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace helpdesk::internal {

struct TarMember {
  std::string name;
  std::string content;
};

// Appends members to an archive in memory. Not thread-safe.
class TarWriter {
 public:
  // Adds a regular file (mode 0644, owner 0:0, modified at `mtime`).
  // Errors: InvalidArgument for an empty name, a name over 100 bytes or
  // holding a NUL, or content of 8 GiB or more.
  absl::Status Add(absl::string_view name, absl::string_view content, absl::Time mtime);
  // The archive: the members, then the two zero blocks that end it.
  std::string Finish() &&;

 private:
  std::string out_;
};

// The regular files of a ustar archive, in order. Errors: InvalidArgument
// naming the member (or byte offset) for a truncated archive, a header
// whose checksum or magic is wrong, a size that is not octal or runs past
// the end, or an archive without its end blocks.
absl::StatusOr<std::vector<TarMember>> ReadTar(absl::string_view archive);

}  // namespace helpdesk::internal

#endif  // HELPDESK_INTERNAL_TAR_H_
