# helpdesk_set_warnings(target): the project's warning flags for our own code.
function(helpdesk_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                         # g++ only; clang (the fuzz preset) has no -Wshadow=local.
                         $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
                         -Wnon-virtual-dtor -Wno-unused-parameter
                         # g++ 12 warns on designated initializers that omit
                         # defaulted members, the way our option structs are meant
                         # to be used.
                         -Wno-missing-field-initializers)
  if(HELPDESK_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
