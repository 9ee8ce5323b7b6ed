//! The committed C header must be exactly what cbindgen generates from the current sources.
//!
//! Runs `cbindgen --config cbindgen.toml --crate smartredis --output <tmp>` (the command of
//! `scripts/gen-header.sh`) and compares the result with `include/smartredis.h`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// cbindgen from `PATH`, else from `~/.cargo/bin`.
fn cbindgen() -> Option<PathBuf> {
    let ok = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let on_path = PathBuf::from("cbindgen");
    if ok(&on_path) {
        return Some(on_path);
    }
    let home = PathBuf::from(std::env::var_os("HOME")?).join(".cargo/bin/cbindgen");
    ok(&home).then_some(home)
}

#[test]
fn committed_header_is_up_to_date() {
    let Some(cbindgen) = cbindgen() else {
        eprintln!(
            "SKIPPED: cbindgen not found (scripts/install-deps.sh installs it); header not checked"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("smartredis-header-{}.h", std::process::id()));
    let status = Command::new(&cbindgen)
        .current_dir(root)
        .args([
            "--config",
            "cbindgen.toml",
            "--crate",
            "smartredis",
            "--output",
        ])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run cbindgen");
    assert!(status.success(), "cbindgen failed: {status}");
    let generated = std::fs::read_to_string(&out).expect("read generated header");
    let _ = std::fs::remove_file(&out);
    let committed = std::fs::read_to_string(root.join("include/smartredis.h"))
        .expect("read include/smartredis.h");
    assert!(
        generated == committed,
        "include/smartredis.h is out of date: run scripts/gen-header.sh and commit it"
    );
    for name in ["SRLoggingLevel level", "SRError get_integer_option("] {
        assert!(committed.contains(name), "header lacks `{name}`");
    }
}
