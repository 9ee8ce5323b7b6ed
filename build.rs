//! Build script of the `smartredis` crate: gives the C library its SONAME, `libsmartredis.so.<SOVERSION>`, so that
//! programs linked against `libsmartredis.so` record the ABI version and not a path. SOVERSION follows the crate
//! version (Cargo.toml, `[workspace.package]`) by Cargo's compatibility rule: the major version, or `0.<minor>`
//! while the major version is 0. cmake/SmartRedisVersion.cmake and the Makefile compute the same.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let (major, minor) = (
        var("CARGO_PKG_VERSION_MAJOR"),
        var("CARGO_PKG_VERSION_MINOR"),
    );
    let soversion = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    if var("CARGO_CFG_TARGET_OS") == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsmartredis.so.{soversion}");
    }
}
