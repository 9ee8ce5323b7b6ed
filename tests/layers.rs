//! The library's layers point one way: nothing outside `src/ffi/` uses the C ABI layer (`lib.rs` only declares it);
//! and the public header exposes no internal constant.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` refers to the crate's `ffi` module (not `std::ffi` or `core::ffi`).
fn uses_crate_ffi(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("ffi::").any(|(i, _)| {
        let before = &code[..i];
        !(before.ends_with("std::") || before.ends_with("core::") || before.ends_with("libc::"))
    })
}

#[test]
fn nothing_outside_ffi_imports_from_ffi() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "{}", src.display());
    let mut offenders = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.starts_with("ffi") || rel == Path::new("lib.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if uses_crate_ffi(line) {
                offenders.push(format!("src/{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "outside src/ffi:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_recognises_crate_ffi_paths() {
    assert!(uses_crate_ffi(
        "    let text = crate::ffi::to_cstring(text);"
    ));
    assert!(uses_crate_ffi("use super::ffi::guard;"));
    assert!(!uses_crate_ffi("use std::ffi::CString;"));
    assert!(!uses_crate_ffi(
        "let s = std::ffi::CStr::from_ptr(p); // ffi::x"
    ));
}

/// The public header defines no macro of ours without the `SR_` prefix (an internal constant such as `SLOT_COUNT`
/// would clash with a simulation's own macros).
#[test]
fn header_defines_only_prefixed_macros() {
    let header = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/smartredis.h");
    let text = std::fs::read_to_string(&header).unwrap();
    let leaked: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#define "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "SMARTREDIS_H" && !name.starts_with("SR_"))
        .collect();
    assert!(
        leaked.is_empty(),
        "unprefixed macros in the header: {leaked:?}"
    );
}
