# Registering test programs that need a running store, started and stopped by the launcher itself.
#
#   SMARTREDIS_CLI  the `smartredis` launcher (src/bin/smartredis.rs). `smartredis run [opts] -- <cmd> [args...]`
#                   starts a store in a fresh directory of its own (so parallel ctests never share state), exports
#                   SSDB and SR_DB_TYPE, runs the command, stops the store and returns the command's status.
set(SMARTREDIS_CLI "${PROJECT_SOURCE_DIR}/target/release/smartredis"
    CACHE FILEPATH "The smartredis launcher, whose `run` command gives each store test its own store")

# SR_TEST_WRAPPER  a command put in front of every test program registered below (empty by default); `make
#                  check-memory` sets it to valgrind.
set(SR_TEST_WRAPPER "" CACHE STRING "Command (a CMake list) that runs each store test program, e.g. valgrind")

# sr_store_command(<out_var> <mode>): the command prefix that runs a program against a store of <mode>:
# standalone (one shard on TCP), unix (one shard, SSDB=unix://<socket in the store's directory>) or cluster
# (a 3-shard Redis Cluster). Append the program and its arguments.
function(sr_store_command out_var mode)
  if(mode STREQUAL "standalone")
    set(cmd "${SMARTREDIS_CLI}" run --)
  elseif(mode STREQUAL "unix")
    set(cmd "${SMARTREDIS_CLI}" run --socket redis.sock --)
  elseif(mode STREQUAL "cluster")
    set(cmd "${SMARTREDIS_CLI}" run --shards 3 --)
  else()
    message(FATAL_ERROR "sr_store_command: unknown mode '${mode}' (standalone, unix, cluster)")
  endif()
  set(${out_var} ${cmd} PARENT_SCOPE)
endfunction()

# sr_add_store_test(NAME <name> TARGET <executable target> MODES <mode>... [ARGS <arg>...] [ENVIRONMENT <VAR=value>...])
#
# Registers one ctest per mode: `<name>.<mode>` running the program under sr_store_command(<mode>) for modes
# standalone, unix and cluster, and `<name>` running the program directly for mode `none` (no store needed).
function(sr_add_store_test)
  cmake_parse_arguments(T "" "NAME;TARGET" "MODES;ARGS;ENVIRONMENT" ${ARGN})
  if(NOT T_NAME OR NOT T_TARGET OR NOT T_MODES)
    message(FATAL_ERROR "sr_add_store_test: NAME, TARGET and MODES are required")
  endif()
  foreach(mode IN LISTS T_MODES)
    if(mode STREQUAL "none")
      set(test_name "${T_NAME}")
      set(command ${SR_TEST_WRAPPER} $<TARGET_FILE:${T_TARGET}> ${T_ARGS})
    elseif(mode MATCHES "^(standalone|unix|cluster)$")
      set(test_name "${T_NAME}.${mode}")
      sr_store_command(store ${mode})
      set(command ${store} ${SR_TEST_WRAPPER} $<TARGET_FILE:${T_TARGET}> ${T_ARGS})
    else()
      message(FATAL_ERROR "sr_add_store_test(${T_NAME}): unknown mode '${mode}' (none, standalone, unix, cluster)")
    endif()
    add_test(NAME ${test_name} COMMAND ${command})
    if(SR_TEST_WRAPPER)
      set_tests_properties(${test_name} PROPERTIES TIMEOUT 900)
    else()
      set_tests_properties(${test_name} PROPERTIES TIMEOUT 120)
    endif()
    if(T_ENVIRONMENT)
      set_tests_properties(${test_name} PROPERTIES ENVIRONMENT "${T_ENVIRONMENT}")
    endif()
  endforeach()
endfunction()
