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
  # clang's static thread-safety analysis checks the ABSL_GUARDED_BY /
  # ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations; only its findings are errors
  # here, other warnings stay warnings (preset tsa).
  if(HELPDESK_THREAD_SAFETY_ANALYSIS)
    target_compile_options(${target} PRIVATE -Wthread-safety -Werror=thread-safety)
  endif()
endfunction()
