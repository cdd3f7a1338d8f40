# HELPDESK_LINKER picks the linker for this project's executables and shared
# libraries. The Debug + ASan build links ~90 test executables, each with the
# static libraries and their (compressed) debug information. Measured on one
# such test: GNU ld 1.9-2.1 s CPU, gold 1.2 s (binutils, always there) and lld
# 1.0-1.2 s (Debian package `lld`; its compressed debug sections are ~50%
# larger, which matters on a full disk). Nothing of this choice reaches the
# installed package: a host links libhelpdesk with its own linker.
#   auto (default): gold when the compiler can link with it, else lld, else the
#                   compiler's default;
#   lld, gold, bfd: that one, or a configure error naming it;
#   default:        the compiler's default, no -fuse-ld.
set(HELPDESK_LINKER "auto" CACHE STRING "Linker: auto, lld, gold, bfd or default")
set_property(CACHE HELPDESK_LINKER PROPERTY STRINGS auto lld gold bfd default)

function(helpdesk_linker_works linker out)
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_LINK_OPTIONS "-fuse-ld=${linker}")
  check_cxx_source_compiles("int main() { return 0; }" HELPDESK_LINKER_${linker}_WORKS)
  set(${out} ${HELPDESK_LINKER_${linker}_WORKS} PARENT_SCOPE)
endfunction()

set(_helpdesk_linker "")
if(HELPDESK_LINKER STREQUAL "auto")
  foreach(candidate gold lld)
    helpdesk_linker_works(${candidate} _works)
    if(_works)
      set(_helpdesk_linker ${candidate})
      break()
    endif()
  endforeach()
elseif(HELPDESK_LINKER MATCHES "^(lld|gold|bfd)$")
  helpdesk_linker_works(${HELPDESK_LINKER} _works)
  if(NOT _works)
    message(FATAL_ERROR "HELPDESK_LINKER=${HELPDESK_LINKER}: ${CMAKE_CXX_COMPILER} cannot link "
                        "with -fuse-ld=${HELPDESK_LINKER} (install it, or use auto or default)")
  endif()
  set(_helpdesk_linker ${HELPDESK_LINKER})
elseif(NOT HELPDESK_LINKER STREQUAL "default")
  message(FATAL_ERROR "HELPDESK_LINKER=${HELPDESK_LINKER}: expected auto, lld, gold, bfd or default")
endif()
if(_helpdesk_linker)
  add_link_options(-fuse-ld=${_helpdesk_linker})
  message(STATUS "libhelpdesk links with ${_helpdesk_linker}")
endif()
