# Imports the cargo-built client library as the target `smartredis` (what upstream's C tests link against).
#
#   SMARTREDIS_CARGO_DIR  directory holding cargo's release outputs (default: <source>/target/release)
#
# The library is built by cargo, not by CMake: run `cargo build --release --workspace` first.
set(SMARTREDIS_CARGO_DIR "${PROJECT_SOURCE_DIR}/target/release"
    CACHE PATH "Directory with cargo's release build of smartredis (libsmartredis.so)")
set(_sr_lib "${SMARTREDIS_CARGO_DIR}/libsmartredis.so")
if(NOT EXISTS "${_sr_lib}")
  message(FATAL_ERROR "${_sr_lib} not found: run `cargo build --release --workspace` first")
endif()

add_library(smartredis SHARED IMPORTED GLOBAL)
set_target_properties(smartredis PROPERTIES
  IMPORTED_LOCATION "${_sr_lib}"
  # cargo gives the library no SONAME: link it as -lsmartredis (with an RPATH to its directory), not by path.
  IMPORTED_NO_SONAME TRUE
  INTERFACE_INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/include")
unset(_sr_lib)
