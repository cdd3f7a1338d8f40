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
