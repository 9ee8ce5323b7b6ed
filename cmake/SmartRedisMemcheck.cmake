# sr_add_memcheck_test(NAME <name> TARGET <executable target> MODE <none|standalone|unix|cluster> [ARGS ...])
#
# Registers ctest `<name>.memcheck` running the program under valgrind (any invalid read/write, invalid or
# double free fails the test; leaks are not checked), through sr_store_command(MODE) unless MODE is none. Does nothing
# when valgrind is not installed. Used for the C++ and Fortran wrappers, whose destructors and final procedures
# free C handles.
include_guard(GLOBAL)
find_program(VALGRIND_EXECUTABLE valgrind)

function(sr_add_memcheck_test)
  cmake_parse_arguments(T "" "NAME;TARGET;MODE" "ARGS" ${ARGN})
  if(NOT VALGRIND_EXECUTABLE)
    return()
  endif()
  set(command "${VALGRIND_EXECUTABLE}" --error-exitcode=99 --leak-check=no -q $<TARGET_FILE:${T_TARGET}> ${T_ARGS})
  if(NOT T_MODE STREQUAL "none")
    sr_store_command(store ${T_MODE})
    list(PREPEND command ${store})
  endif()
  add_test(NAME ${T_NAME}.memcheck COMMAND ${command})
  set_tests_properties(${T_NAME}.memcheck PROPERTIES TIMEOUT 300)
endfunction()
