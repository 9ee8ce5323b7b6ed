# Reads the one version number of smartredis-rs, `[workspace.package] version` in Cargo.toml, at configure time:
#   SR_VERSION    e.g. 0.1.0 (CMake project and package versions, pkg-config)
#   SR_SOVERSION  the C ABI version in the library's SONAME, by Cargo's compatibility rule: the major version,
#                 or 0.<minor> while the major version is 0 (build.rs computes the same).
# Include it before project(); changing Cargo.toml re-runs the configuration.
include_guard(GLOBAL)
set(_sr_cargo_toml "${CMAKE_CURRENT_LIST_DIR}/../Cargo.toml")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_sr_cargo_toml}")
file(READ "${_sr_cargo_toml}" _sr_toml)
if(NOT _sr_toml MATCHES "\\[workspace\\.package\\][^[]*\nversion *= *\"([0-9]+)\\.([0-9]+)\\.([0-9]+)\"")
  message(FATAL_ERROR "no `version = \"X.Y.Z\"` under [workspace.package] in ${_sr_cargo_toml}")
endif()
set(SR_VERSION "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}.${CMAKE_MATCH_3}")
if(CMAKE_MATCH_1 EQUAL 0)
  set(SR_SOVERSION "0.${CMAKE_MATCH_2}")
else()
  set(SR_SOVERSION "${CMAKE_MATCH_1}")
endif()
unset(_sr_toml)
unset(_sr_cargo_toml)
