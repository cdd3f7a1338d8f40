# HELPDESK_SANITIZE=ON builds everything with ASan + UBSan; UBSan findings abort so
# that ctest reports them as failures.
if(HELPDESK_SANITIZE AND HELPDESK_SANITIZE_THREAD)
  message(FATAL_ERROR "HELPDESK_SANITIZE (ASan) and HELPDESK_SANITIZE_THREAD (TSan) exclude each other")
endif()
if(HELPDESK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
# HELPDESK_SANITIZE_THREAD=ON builds everything with ThreadSanitizer (preset tsan).
# Run with TSAN_OPTIONS=halt_on_error=1 and, for third-party findings,
# suppressions=<source>/tests/tsan.supp.
if(HELPDESK_SANITIZE_THREAD)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# HELPDESK_COMPRESS_DEBUG=ON (the default) writes debug information compressed
# (-gz: zlib-compressed .debug_* sections, read by gdb, addr2line and
# llvm-symbolizer). Every test binary links the libraries statically with their
# debug information, so an uncompressed Debug + ASan build takes ~9 GB, a
# compressed one about a third of that; on a nearly full disk the assembler
# fails mid-build with "BFD assertion fail" instead of a clear ENOSPC.
option(HELPDESK_COMPRESS_DEBUG "Compress debug sections (-gz) in objects and binaries" ON)
if(HELPDESK_COMPRESS_DEBUG)
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-gz")
  set(CMAKE_REQUIRED_LINK_OPTIONS "-gz")
  check_cxx_source_compiles("int main() { return 0; }" HELPDESK_HAVE_GZ)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(HELPDESK_HAVE_GZ)
    add_compile_options(-gz)
    add_link_options(-gz)
  endif()
endif()
