# Driver of the consumer test (see CMakeLists.txt). Variables: BUILD_DIR, PROJECT_DIR, WORK_DIR, C_COMPILER,
# CXX_COMPILER, Fortran_COMPILER.
cmake_minimum_required(VERSION 3.20)

set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Runs a command; stops the test with its output if it fails.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

# The installed layout.
foreach(f lib/libsmartredis.so lib/libsmartredis.so.0 lib/libsmartredis.a
          lib/libsmartredis-fortran.so lib/libsmartredis-fortran.a
          include/smartredis.h include/c_client.h include/client.h include/srexception.h include/orchestrator.h
          include/enum_fortran.inc include/smartredis_client.mod include/smartredis_configoptions.mod
          include/smartredis_orchestrator.mod
          share/cmake/smartredis/smartredisConfig.cmake share/cmake/smartredis/smartredisConfigVersion.cmake
          share/cmake/smartredis-fortran/smartredis-fortranConfig.cmake lib/pkgconfig/smartredis.pc)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
find_program(READELF readelf)
if(READELF)
  run_step("readelf" "${READELF}" -d "${prefix}/lib/libsmartredis.so.0")
  if(NOT step_output MATCHES "SONAME[^\n]*libsmartredis\\.so\\.0")
    message(FATAL_ERROR "libsmartredis.so.0 has no SONAME libsmartredis.so.0:\n${step_output}")
  endif()
endif()

# find_package consumers in C, C++ and Fortran.
run_step("configure consumer" "${CMAKE_COMMAND}" -S "${PROJECT_DIR}" -B "${build}"
  # Exactly how upstream SmartRedis's users point CMake at the package.
  "-Dsmartredis_DIR=${prefix}/share/cmake/smartredis"
  "-Dsmartredis-fortran_DIR=${prefix}/share/cmake/smartredis-fortran" "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_Fortran_COMPILER=${Fortran_COMPILER}")
run_step("build consumer" "${CMAKE_COMMAND}" --build "${build}")
foreach(program consumer_c consumer_cpp consumer_fortran consumer_c_static)
  run_step("run ${program}" "${build}/${program}")
endforeach()

# pkg-config consumer: the C program built with `pkg-config --cflags --libs smartredis` alone.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} "${prefix}/lib/pkgconfig")
  run_step("pkg-config" "${PKG_CONFIG}" --cflags --libs smartredis)
  string(STRIP "${step_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run_step("build with pkg-config" "${C_COMPILER}" -std=c99 -Wall -Wextra -Werror "${PROJECT_DIR}/consumer.c"
    ${flags} "-Wl,-rpath,${prefix}/lib" -o "${WORK_DIR}/consumer_pkgconfig")
  run_step("run consumer_pkgconfig" "${WORK_DIR}/consumer_pkgconfig")
endif()
