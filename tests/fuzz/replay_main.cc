// A main() for the fuzz targets in builds without libFuzzer (the dev and asan
// presets, g++): runs LLVMFuzzerTestOneInput once on every file under the
// directories (recursively) or files given, the way `fuzzer -runs=0 DIR...`
// replays a corpus. ctest runs each target this way over its seeds and the
// inputs that once broke it, so they stay fixed in every build.
//
// A directory that does not exist is skipped with a note, except the shared
// e-mail corpus when HELPDESK_REQUIRE_SHARED_DATA=1 (as the corpus gtests).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return 1;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                         bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* require = std::getenv("HELPDESK_REQUIRE_SHARED_DATA");
  const bool require_shared = require != nullptr && std::string(require) == "1";
  int inputs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    std::error_code error;
    if (std::filesystem::is_regular_file(arg, error)) {
      if (RunFile(arg) != 0) return 1;
      ++inputs;
      continue;
    }
    if (!std::filesystem::is_directory(arg, error)) {
      bool shared = arg.string().find("shared/data") != std::string::npos;
      std::fprintf(stderr, "replay: %s: no such directory%s\n", argv[i],
                   shared && !require_shared ? ", skipped" : "");
      if (shared && !require_shared) continue;
      return 1;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& file : files) {
      if (RunFile(file) != 0) return 1;
      ++inputs;
    }
  }
  std::printf("replay: %d inputs ran\n", inputs);
  return 0;
}
