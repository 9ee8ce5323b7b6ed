# Builds the Rust parts with cargo as part of the CMake build, and imports the client library as the target
# `smartredis` (what upstream's C tests link against). The target `smartredis-cargo` runs
#   cargo build --release <SMARTREDIS_CARGO_ARGS> --target-dir <SMARTREDIS_CARGO_TARGET_DIR>
# in the source tree on every build (cargo itself skips what is up to date), giving libsmartredis.{so,a}, the
# `smartredis` program and the module libsmartredis_ai.so in SMARTREDIS_CARGO_DIR. So a C, C++ or Fortran user runs
# only `cmake -S . -B build && cmake --build build && cmake --install build --prefix P`.
#
#   SMARTREDIS_CARGO_BUILD       ON: CMake runs cargo (default); OFF: import an existing build (cargo run by hand)
#   SMARTREDIS_CARGO_ARGS        what cargo builds (default: the library, the program and the module)
#   SMARTREDIS_CARGO_TARGET_DIR  cargo's target directory (default: <source>/target, shared with `make`)
#   SMARTREDIS_CARGO_DIR         where the release outputs are (<target dir>/release)
include_guard(GLOBAL)
option(SMARTREDIS_CARGO_BUILD "Build the Rust library, program and module with cargo as part of the CMake build" ON)
set(SMARTREDIS_CARGO_ARGS "-p;smartredis;-p;smartredis-ai"
    CACHE STRING "Arguments of `cargo build --release` (a CMake list)")
set(SMARTREDIS_CARGO_TARGET_DIR "${PROJECT_SOURCE_DIR}/target" CACHE PATH "cargo's target directory")
set(SMARTREDIS_CARGO_DIR "${SMARTREDIS_CARGO_TARGET_DIR}/release"
    CACHE PATH "Directory with cargo's release build of smartredis (libsmartredis.so)")
set(_sr_lib "${SMARTREDIS_CARGO_DIR}/libsmartredis.so")
set(SMARTREDIS_CARGO_OUTPUTS
  "${_sr_lib}" "${SMARTREDIS_CARGO_DIR}/libsmartredis.a" "${SMARTREDIS_CARGO_DIR}/smartredis"
  "${SMARTREDIS_CARGO_DIR}/libsmartredis_ai.so")

if(SMARTREDIS_CARGO_BUILD)
  find_program(CARGO_EXECUTABLE cargo HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin")
  if(NOT CARGO_EXECUTABLE)
    message(FATAL_ERROR "cargo not found (install Rust: https://rustup.rs), or configure with "
      "-DSMARTREDIS_CARGO_BUILD=OFF after `cargo build --release --workspace`")
  endif()
  add_custom_target(smartredis-cargo ALL
    COMMAND "${CARGO_EXECUTABLE}" build --release ${SMARTREDIS_CARGO_ARGS}
            --target-dir "${SMARTREDIS_CARGO_TARGET_DIR}"
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    BYPRODUCTS ${SMARTREDIS_CARGO_OUTPUTS}
    COMMENT "cargo build --release (libsmartredis, the smartredis program, the module libsmartredis_ai.so)"
    USES_TERMINAL VERBATIM)
else()
  add_custom_target(smartredis-cargo)
  if(NOT EXISTS "${_sr_lib}")
    message(FATAL_ERROR "${_sr_lib} not found: run `cargo build --release --workspace` first")
  endif()
endif()

add_library(smartredis SHARED IMPORTED GLOBAL)
set_target_properties(smartredis PROPERTIES
  IMPORTED_LOCATION "${_sr_lib}"
  INTERFACE_INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/include")
# Whatever links the library waits for cargo.
add_dependencies(smartredis smartredis-cargo)
unset(_sr_lib)
