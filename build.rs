//! Build script of the `smartredis` crate: gives the C library its SONAME (`libsmartredis.so.0`, the C ABI
//! version), so that programs linked against `libsmartredis.so` record the ABI version and not a path.
//! CMake installs the library under that name (cmake/SmartRedisPackage.cmake).

/// Major version of the C ABI; bump on incompatible changes (and in cmake/SmartRedisPackage.cmake).
const SOVERSION: u32 = 0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsmartredis.so.{SOVERSION}");
    }
}
