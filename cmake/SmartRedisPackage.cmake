# SmartRedisPackage.cmake: installs the cargo-built program, module and C library, every header, the CMake package
# files and the pkg-config files, so that `cmake --install <build> --prefix P` gives
#   P/bin/smartredis (the launcher), P/lib/libsmartredis_ai.so (the module; the launcher finds it there from
#   P/bin/smartredis and from P/lib/libsmartredis.so) and its backends in P/lib/backends/,
#   P/lib/libsmartredis.so.<SOVERSION> (+ libsmartredis.so link), P/lib/libsmartredis.a,
#   P/include/*.h, enum_fortran.inc and the Fortran .mod files (installed by src/fortran),
#   P/share/cmake/smartredis/smartredisConfig{,Version}.cmake, P/lib/pkgconfig/smartredis{,-fortran}.pc.
#
# Expects the imported target `smartredis` (cmake/SmartRedisCargo.cmake), SMARTREDIS_CARGO_DIR (the cargo output
# directory) and SR_VERSION/SR_SOVERSION (cmake/SmartRedisVersion.cmake). Include it after those.
#
# The library's SONAME is libsmartredis.so.<SR_SOVERSION> (set by build.rs). So that programs linked in the
# build tree find it at run time, the target is pointed at a staged link of that name in <build>/lib.
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

set(SR_INSTALL_BINDIR bin)
set(SR_INSTALL_LIBDIR lib)
set(SR_INSTALL_INCLUDEDIR include)
# Upstream SmartRedis installs its packages here, so `-Dsmartredis_DIR=<prefix>/share/cmake/smartredis` keeps working.
set(SR_INSTALL_CMAKEDIR share/cmake)
# What a static libsmartredis.a needs besides itself (`rustc --print native-static-libs` on Linux/glibc).
set(SR_NATIVE_STATIC_LIBS "gcc_s;util;rt;pthread;m;dl;c")
list(TRANSFORM SR_NATIVE_STATIC_LIBS PREPEND "-l" OUTPUT_VARIABLE _sr_flags)
string(JOIN " " SR_NATIVE_STATIC_LIBS_FLAGS ${_sr_flags})

set(_sr_cargo_so "${SMARTREDIS_CARGO_DIR}/libsmartredis.so")
set(_sr_cargo_a "${SMARTREDIS_CARGO_DIR}/libsmartredis.a")
set(_sr_soname "libsmartredis.so.${SR_SOVERSION}")

# Build-tree staging: <build>/lib/libsmartredis.so.<SOVERSION> and libsmartredis.so, links to the cargo output.
set(SR_STAGE_LIBDIR "${CMAKE_BINARY_DIR}/lib")
file(MAKE_DIRECTORY "${SR_STAGE_LIBDIR}")
file(CREATE_LINK "${_sr_cargo_so}" "${SR_STAGE_LIBDIR}/${_sr_soname}" SYMBOLIC)
file(CREATE_LINK "${_sr_soname}" "${SR_STAGE_LIBDIR}/libsmartredis.so" SYMBOLIC)
set_target_properties(smartredis PROPERTIES
  IMPORTED_LOCATION "${SR_STAGE_LIBDIR}/${_sr_soname}"
  IMPORTED_SONAME "${_sr_soname}"
  IMPORTED_NO_SONAME FALSE)
if(NOT TARGET smartredis::smartredis)
  add_library(smartredis::smartredis ALIAS smartredis)
endif()

# The C library, under its SONAME, with the development link next to it.
install(FILES "${_sr_cargo_so}" DESTINATION ${SR_INSTALL_LIBDIR} RENAME "${_sr_soname}"
        PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(FILES "${SR_STAGE_LIBDIR}/libsmartredis.so" DESTINATION ${SR_INSTALL_LIBDIR})
install(FILES "${_sr_cargo_a}" DESTINATION ${SR_INSTALL_LIBDIR} OPTIONAL)

# The launcher and the module it loads into every shard, found from the program (bin/../lib) and the library.
install(PROGRAMS "${SMARTREDIS_CARGO_DIR}/smartredis" DESTINATION ${SR_INSTALL_BINDIR})
install(PROGRAMS "${SMARTREDIS_CARGO_DIR}/libsmartredis_ai.so" DESTINATION ${SR_INSTALL_LIBDIR})
# Its model backends, in its default BACKENDSPATH (<module dir>/backends): ONNX Runtime (scripts/fetch-backends.sh)
# and the TORCH shim redisai_torch.so (module/build.rs), both placed under <source>/build/backends.
if(EXISTS "${PROJECT_SOURCE_DIR}/build/backends")
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/build/backends/" DESTINATION ${SR_INSTALL_LIBDIR}/backends
          USE_SOURCE_PERMISSIONS PATTERN ".wheels" EXCLUDE PATTERN "*.part" EXCLUDE)
endif()

# Headers: the C headers, the header-only C++ layer and enum_fortran.inc.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/" DESTINATION ${SR_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "*.inc")

# CMake package `smartredis`.
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/smartredisConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/package/smartredisConfig.cmake"
  INSTALL_DESTINATION ${SR_INSTALL_CMAKEDIR}/smartredis
  PATH_VARS SR_INSTALL_INCLUDEDIR SR_INSTALL_LIBDIR SR_INSTALL_BINDIR)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/package/smartredisConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/package/smartredisConfig.cmake"
              "${CMAKE_BINARY_DIR}/package/smartredisConfigVersion.cmake"
        DESTINATION ${SR_INSTALL_CMAKEDIR}/smartredis)

# pkg-config (relocatable: paths are relative to the .pc file).
configure_file("${CMAKE_CURRENT_LIST_DIR}/smartredis.pc.in" "${CMAKE_BINARY_DIR}/package/smartredis.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/package/smartredis.pc" DESTINATION ${SR_INSTALL_LIBDIR}/pkgconfig)
