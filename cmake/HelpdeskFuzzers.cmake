# HELPDESK_BUILD_FUZZERS=ON builds the libFuzzer targets in tests/fuzz/ (the
# `fuzz` preset). libFuzzer comes with clang, so this needs clang (Debian 12:
# clang-14 and libclang-rt-14-dev). Everything, the library included, is built
# with coverage instrumentation for the fuzzer and with ASan + UBSan, so that a
# memory error, a leak or undefined behaviour found while fuzzing is a crash.
if(HELPDESK_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR
      "HELPDESK_BUILD_FUZZERS needs clang for libFuzzer (found "
      "${CMAKE_CXX_COMPILER_ID}): use the 'fuzz' preset or "
      "-DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
