# Registering test programs that need a running store.
#
#   WITH_STORE  the driver `with-store {standalone|unix|cluster} -- <cmd> [args...]` (a testkit binary): it starts
#               the store, exports SSDB and SR_DB_TYPE, runs the command, stops the store and returns its status.
set(WITH_STORE "${PROJECT_SOURCE_DIR}/target/release/with-store"
    CACHE FILEPATH "Store driver: with-store <mode> -- <command>")

# sr_add_store_test(NAME <name> TARGET <executable target> MODES <mode>... [ARGS <arg>...] [ENVIRONMENT <VAR=value>...])
#
# Registers one ctest per mode: `<name>.<mode>` running `${WITH_STORE} <mode> -- <program> <args>` for modes
# standalone, unix and cluster, and `<name>` running the program directly for mode `none` (no store needed).
function(sr_add_store_test)
  cmake_parse_arguments(T "" "NAME;TARGET" "MODES;ARGS;ENVIRONMENT" ${ARGN})
  if(NOT T_NAME OR NOT T_TARGET OR NOT T_MODES)
    message(FATAL_ERROR "sr_add_store_test: NAME, TARGET and MODES are required")
  endif()
  foreach(mode IN LISTS T_MODES)
    if(mode STREQUAL "none")
      set(test_name "${T_NAME}")
      set(command $<TARGET_FILE:${T_TARGET}> ${T_ARGS})
    elseif(mode MATCHES "^(standalone|unix|cluster)$")
      set(test_name "${T_NAME}.${mode}")
      set(command "${WITH_STORE}" ${mode} -- $<TARGET_FILE:${T_TARGET}> ${T_ARGS})
    else()
      message(FATAL_ERROR "sr_add_store_test(${T_NAME}): unknown mode '${mode}' (none, standalone, unix, cluster)")
    endif()
    add_test(NAME ${test_name} COMMAND ${command})
    set_tests_properties(${test_name} PROPERTIES TIMEOUT 120)
    if(T_ENVIRONMENT)
      set_tests_properties(${test_name} PROPERTIES ENVIRONMENT "${T_ENVIRONMENT}")
    endif()
  endforeach()
endfunction()
