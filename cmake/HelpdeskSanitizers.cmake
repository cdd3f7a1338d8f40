# HELPDESK_SANITIZE=ON builds everything with ASan + UBSan; UBSan findings abort so
# that ctest reports them as failures.
if(HELPDESK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
