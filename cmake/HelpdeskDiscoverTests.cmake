# Script mode (cmake -P), run after each test group is linked
# (helpdesk_test_group in tests/CMakeLists.txt): lists the executable's tests
# (--gtest_list_tests --gtest_output=json) and writes one add_test() per test
# to CTEST_FILE, named <source>.<Suite>.<Test> after the source file that
# defines it, exactly as gtest_discover_tests(TEST_PREFIX "<source>.") named
# them when each source was its own executable. Tests defined outside the
# group's sources (the conformance suites of src/testing/) take the name of
# the group's first source.
#
# With TEST_PER=suite (HELPDESK_CTEST_PER_TEST OFF, the default) it writes one
# add_test() per source and suite instead, named <source>.<Suite> and running
# that suite's tests of that source in one process: starting a Debug + ASan
# test executable costs ~0.2 s of CPU (it touches ~130 MB of the binary), and
# 1,855 starts were half the CPU time of a full ctest run. A run in which
# tests were skipped and none passed or failed exits 77 (tests/test_main.cc),
# which ctest reports as skipped (SKIP_RETURN_CODE).
#
# -D TEST_EXECUTABLE=...  the test group's executable
# -D TEST_PER=test|suite   one ctest test per GoogleTest test, or per source and suite
# -D TEST_SOURCES=a|b|c    the stems of its sources ("|"-separated), first = default
# -D TEST_WORKING_DIR=...  -D TEST_ENVIRONMENT=...  -D TEST_DISCOVERY_TIMEOUT=...
# -D CTEST_FILE=...        the script written for ctest
cmake_minimum_required(VERSION 3.25)

string(REPLACE "|" ";" stems "${TEST_SOURCES}")
list(GET stems 0 default_stem)
set(json_file "${CTEST_FILE}.json")
file(REMOVE "${json_file}")
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests "--gtest_output=json:${json_file}"
  WORKING_DIRECTORY "${TEST_WORKING_DIR}"
  TIMEOUT ${TEST_DISCOVERY_TIMEOUT}
  OUTPUT_VARIABLE output ERROR_VARIABLE output
  RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR NOT EXISTS "${json_file}")
  message(FATAL_ERROR "Listing the tests of ${TEST_EXECUTABLE} failed (${result}):\n${output}")
endif()
file(READ "${json_file}" listing)

# One bracket argument for a name: a guard its text does not contain.
function(helpdesk_bracket text out)
  set(eq "=")
  while(text MATCHES "]${eq}]")
    string(APPEND eq "=")
  endwhile()
  set(${out} "[${eq}[${text}]${eq}]" PARENT_SCOPE)
endfunction()

# What every test of the group shares, as bracket arguments.
helpdesk_bracket("${TEST_EXECUTABLE}" exe)
helpdesk_bracket("${TEST_WORKING_DIR}" dir)
helpdesk_bracket("${TEST_ENVIRONMENT}" env)

# Appends to `script` the test `name` (a bracket argument) running the
# executable with `filter`.
macro(helpdesk_add_test name filter)
  helpdesk_bracket("${filter}" filter_arg)
  string(APPEND script
    "add_test(${name} ${exe} ${filter_arg} --gtest_also_run_disabled_tests)\n"
    "set_tests_properties(${name} PROPERTIES WORKING_DIRECTORY ${dir} "
    "SKIP_RETURN_CODE 77 ENVIRONMENT ${env})\n")
endmacro()

set(script "")
# TEST_PER=suite: the keys <source>.<Suite> in order of appearance, and for
# the key at index i the variable suite_filter_<i> with its tests'
# --gtest_filter patterns joined by ":".
set(suite_keys "")
string(JSON suites_n LENGTH "${listing}" testsuites)
math(EXPR last_suite "${suites_n} - 1")
foreach(i RANGE ${last_suite})
  string(JSON suite_json GET "${listing}" testsuites ${i})
  string(JSON suite GET "${suite_json}" name)
  string(JSON tests_n LENGTH "${suite_json}" testsuite)
  if(tests_n EQUAL 0)
    continue()
  endif()
  math(EXPR last_test "${tests_n} - 1")
  foreach(j RANGE ${last_test})
    string(JSON test_json GET "${suite_json}" testsuite ${j})
    string(JSON test GET "${test_json}" name)
    string(JSON file ERROR_VARIABLE no_file GET "${test_json}" file)
    string(JSON value_param ERROR_VARIABLE no_value GET "${test_json}" value_param)
    string(JSON type_param ERROR_VARIABLE no_type GET "${test_json}" type_param)
    get_filename_component(stem "${file}" NAME_WE)
    if(no_file OR NOT stem IN_LIST stems)
      set(stem "${default_stem}")
    endif()
    # The names GoogleTestAddTests.cmake (CMake 3.25) gives: a
    # value-parameterised test's /<index> becomes /<printed value>, and one
    # with a name generator keeps the listing's "  # GetParam() = <value>"; a
    # typed suite loses its /<index> and the test gains <type>.
    set(pretty_suite "${suite}")
    set(pretty_test "${test}")
    if(NOT no_type)
      string(REGEX REPLACE "/.*" "" pretty_suite "${suite}")
      set(pretty_test "${test}<${type_param}>")
    endif()
    if(NOT no_value AND test MATCHES "/[0-9]+$")
      string(REGEX REPLACE "/[0-9]+$" "/${value_param}" pretty_test "${test}")
    elseif(NOT no_value)
      set(pretty_test "${test}  # GetParam() = ${value_param}")
    endif()
    string(REGEX REPLACE "^DISABLED_" "" pretty_suite "${pretty_suite}")
    string(REGEX REPLACE "^DISABLED_" "" pretty_test "${pretty_test}")
    if(TEST_PER STREQUAL "suite")
      # Disabled tests are left out of their suite's run.
      if(suite MATCHES "^DISABLED_" OR test MATCHES "^DISABLED_")
        continue()
      endif()
      set(key "${stem}.${pretty_suite}")
      list(FIND suite_keys "${key}" k)
      if(k EQUAL -1)
        list(LENGTH suite_keys k)
        list(APPEND suite_keys "${key}")
        set(suite_filter_${k} "${suite}.${test}")
      else()
        string(APPEND suite_filter_${k} ":${suite}.${test}")
      endif()
      continue()
    endif()
    helpdesk_bracket("${stem}.${pretty_suite}.${pretty_test}" name)
    helpdesk_add_test("${name}" "--gtest_filter=${suite}.${test}")
    if(suite MATCHES "^DISABLED_" OR test MATCHES "^DISABLED_")
      string(APPEND script "set_tests_properties(${name} PROPERTIES DISABLED TRUE)\n")
    endif()
  endforeach()
endforeach()
set(k 0)
foreach(key IN LISTS suite_keys)
  helpdesk_bracket("${key}" name)
  helpdesk_add_test("${name}" "--gtest_filter=${suite_filter_${k}}")
  math(EXPR k "${k} + 1")
endforeach()
file(WRITE "${CTEST_FILE}" "${script}")
file(REMOVE "${json_file}")
