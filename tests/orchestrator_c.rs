//! The orchestrator's C API from a real C program: `tests/c/orchestrator.c`, compiled with `-Wall -Wextra -Werror`
//! against `libsmartredis.so`, starts a 3-shard cluster (the module found next to the library) and stops it.

use std::path::PathBuf;
use std::process::Command;

use smartredis::orchestrator::STATE_FILE;

#[test]
fn c_program_starts_and_stops_a_cluster() {
    let target = testkit::target_dir();
    // `cargo test` builds the library as an rlib only; make sure the shared library is current too. The
    // arguments are `make build`'s: any other package or target selection resolves features differently and
    // rebuilds the library (and every later workspace build rebuilds it back).
    // The variables cargo sets for this test (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, `OUT_DIR`, …) are removed:
    // build scripts that watch them (ring's does) would otherwise run again, and so would everything above them,
    // here and in the next `make build`.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name == "OUT_DIR"
            || [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_CFG_",
            ]
            .iter()
            .any(|p| name.starts_with(p))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR"].contains(&name.as_ref())
        {
            build.env_remove(name.as_ref());
        }
    }
    let built = build
        .args(["build", "--release", "--workspace", "--all-targets"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(built.success(), "cargo build of libsmartredis.so failed");
    let lib = target.join("libsmartredis.so");
    assert!(lib.exists(), "{} not built", lib.display());
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("orchestrator_c");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/c/orchestrator.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args([
            "-O2",
            "-std=c99",
            "-D_POSIX_C_SOURCE=200809L",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
        ])
        .arg(&exe)
        .arg(&src)
        .arg(format!("-I{}/include", env!("CARGO_MANIFEST_DIR")))
        .arg(format!("-I{}/tests/c", env!("CARGO_MANIFEST_DIR")))
        .arg(format!("-L{}", target.display()))
        .arg("-lsmartredis")
        .arg(format!("-Wl,-rpath,{}", target.display()))
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "cc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tmp.path().join("db");
    let out = Command::new(&exe)
        .arg(&dir)
        .env_remove("SMARTREDIS_AI_MODULE")
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("SR_DB_TYPE=Clustered") && text.contains("shards=3"),
        "{text}"
    );
    assert!(!dir.join(STATE_FILE).exists());
}
