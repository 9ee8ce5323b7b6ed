# Driver of the consumer test (see CMakeLists.txt). Variables: BUILD_DIR, SOURCE_DIR, PROJECT_DIR, VERSION, SOVERSION,
# C_COMPILER, CXX_COMPILER, Fortran_COMPILER.
#
# Everything below runs from a temporary prefix P outside the source and build trees: nothing may point back at
# them (checked in RPATH/RUNPATH, removed from the environment), so the store can only work if the install is
# complete: P/bin/smartredis, the module P/lib/libsmartredis_ai.so, libraries, headers, .mod files, packages.
cmake_minimum_required(VERSION 3.20)

if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
  set(tmp "$ENV{TMPDIR}")
else()
  set(tmp "/tmp")
endif()
string(RANDOM LENGTH 10 ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789" tag)
set(work "${tmp}/smartredis-consumer-${tag}")
set(prefix "${work}/prefix")
set(build "${work}/build")
file(MAKE_DIRECTORY "${work}")
message(STATUS "work directory: ${work}")

# The environment: nothing that leads to the build tree.
foreach(var SMARTREDIS_AI_MODULE SSDB SR_DB_TYPE LD_LIBRARY_PATH CMAKE_PREFIX_PATH PKG_CONFIG_PATH)
  unset(ENV{${var}})
endforeach()
string(REPLACE ":" ";" path_dirs "$ENV{PATH}")
set(clean_path "")
foreach(d IN LISTS path_dirs)
  string(FIND "${d}" "${SOURCE_DIR}" in_source)
  string(FIND "${d}" "${BUILD_DIR}" in_build)
  if(in_source EQUAL -1 AND in_build EQUAL -1)
    list(APPEND clean_path "${d}")
  endif()
endforeach()
string(JOIN ":" clean_path ${clean_path})
set(ENV{PATH} "${clean_path}")

# Runs a command; stops the test with its output if it fails. The output is left in step_output.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

# Checks that every shard log in `dir` shows the module loaded from the prefix.
file(REAL_PATH "${prefix}" real_prefix)
function(check_module_from_prefix dir)
  file(GLOB logs "${dir}/shard-*.log")
  if(NOT logs)
    message(FATAL_ERROR "no shard logs in ${dir}")
  endif()
  foreach(log IN LISTS logs)
    file(READ "${log}" text)
    string(FIND "${text}" "loaded from ${prefix}/lib/libsmartredis_ai.so" a)
    string(FIND "${text}" "loaded from ${real_prefix}/lib/libsmartredis_ai.so" b)
    if(a EQUAL -1 AND b EQUAL -1)
      message(FATAL_ERROR "${log} does not show the module loaded from ${prefix}/lib:\n${text}")
    endif()
  endforeach()
endfunction()

run_step("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

# The installed layout.
foreach(f bin/smartredis lib/libsmartredis_ai.so
          lib/libsmartredis.so lib/libsmartredis.so.${SOVERSION} lib/libsmartredis.a
          lib/libsmartredis-fortran.so lib/libsmartredis-fortran.a
          include/smartredis.h include/c_client.h include/client.h include/srexception.h include/orchestrator.h
          include/enum_fortran.inc include/smartredis_client.mod include/smartredis_configoptions.mod
          include/smartredis_orchestrator.mod
          share/cmake/smartredis/smartredisConfig.cmake share/cmake/smartredis/smartredisConfigVersion.cmake
          share/cmake/smartredis-fortran/smartredis-fortranConfig.cmake
          lib/pkgconfig/smartredis.pc lib/pkgconfig/smartredis-fortran.pc)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

# One version everywhere: the program, the SONAME, the CMake package (find_package ... EXACT below), pkg-config.
run_step("smartredis --version" "${prefix}/bin/smartredis" --version)
string(STRIP "${step_output}" got)
if(NOT got STREQUAL "smartredis ${VERSION}")
  message(FATAL_ERROR "smartredis --version says '${got}', expected 'smartredis ${VERSION}'")
endif()
find_program(READELF readelf REQUIRED)
run_step("readelf SONAME" "${READELF}" -d "${prefix}/lib/libsmartredis.so")
if(NOT step_output MATCHES "SONAME[^\n]*\\[libsmartredis\\.so\\.${SOVERSION}\\]")
  message(FATAL_ERROR "libsmartredis.so has no SONAME libsmartredis.so.${SOVERSION}:\n${step_output}")
endif()

# find_package consumers in C, C++ and Fortran.
run_step("configure consumer" "${CMAKE_COMMAND}" -S "${PROJECT_DIR}" -B "${build}"
  # Exactly how upstream SmartRedis's users point CMake at the package.
  "-Dsmartredis_DIR=${prefix}/share/cmake/smartredis"
  "-Dsmartredis-fortran_DIR=${prefix}/share/cmake/smartredis-fortran"
  "-DEXPECTED_VERSION=${VERSION}"
  "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_Fortran_COMPILER=${Fortran_COMPILER}")
run_step("build consumer" "${CMAKE_COMMAND}" --build "${build}")
set(programs consumer_c consumer_cpp consumer_fortran consumer_c_static)

# No installed file or consumer program looks for anything in the source or build trees.
file(GLOB installed_elves "${prefix}/bin/*" "${prefix}/lib/*.so*")
foreach(elf IN LISTS installed_elves programs)
  if(NOT IS_ABSOLUTE "${elf}")
    set(elf "${build}/${elf}")
  endif()
  run_step("readelf ${elf}" "${READELF}" -d "${elf}")
  string(REGEX MATCHALL "R(UN)?PATH[^\n]*" paths "${step_output}")
  foreach(tree "${SOURCE_DIR}" "${BUILD_DIR}")
    string(FIND "${paths}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${elf} has a build-tree path in its RPATH/RUNPATH: ${paths}")
    endif()
  endforeach()
endforeach()

# 3-shard stores through the orchestrator API: the module is found from the installed library (and, for the
# statically linked program, beside the `smartredis` program on PATH).
foreach(program IN LISTS programs)
  set(store "${work}/stores/api-${program}")
  if(program STREQUAL "consumer_c_static")
    run_step("${program} orchestrator (smartredis on PATH)"
      "${CMAKE_COMMAND}" -E env "PATH=${prefix}/bin:$ENV{PATH}" "${build}/${program}" orchestrator "${store}")
  else()
    run_step("${program} orchestrator" "${build}/${program}" orchestrator "${store}")
  endif()
  check_module_from_prefix("${store}")
endforeach()

# 3-shard stores through the installed launcher: `P/bin/smartredis run` gives each program SSDB and SR_DB_TYPE.
foreach(program IN LISTS programs)
  set(store "${work}/stores/cli-${program}")
  run_step("smartredis run --shards 3 -- ${program}"
    "${prefix}/bin/smartredis" run --dir "${store}" --shards 3 -- "${build}/${program}")
  check_module_from_prefix("${store}")
endforeach()

# pkg-config consumer: the C program built with `pkg-config --cflags --libs smartredis` alone.
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} "${prefix}/lib/pkgconfig")
run_step("pkg-config --modversion" "${PKG_CONFIG}" --modversion smartredis smartredis-fortran)
string(STRIP "${step_output}" got)
if(NOT got STREQUAL "${VERSION}\n${VERSION}")
  message(FATAL_ERROR "pkg-config says '${got}', expected ${VERSION} for both packages")
endif()
run_step("pkg-config --variable=module" "${PKG_CONFIG}" --variable=module smartredis)
string(STRIP "${step_output}" module)
if(NOT EXISTS "${module}")
  message(FATAL_ERROR "pkg-config's module variable names no file: '${module}'")
endif()
run_step("pkg-config" "${PKG_CONFIG}" --cflags --libs smartredis)
string(STRIP "${step_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run_step("build with pkg-config" "${C_COMPILER}" -std=c99 -Wall -Wextra -Werror "${PROJECT_DIR}/consumer.c"
  ${flags} "-Wl,-rpath,${prefix}/lib" -o "${work}/consumer_pkgconfig")
run_step("smartredis run --shards 3 -- consumer_pkgconfig"
  "${prefix}/bin/smartredis" run --shards 3 -- "${work}/consumer_pkgconfig")

file(REMOVE_RECURSE "${work}")
message(STATUS "consumer test passed; ${work} removed")
