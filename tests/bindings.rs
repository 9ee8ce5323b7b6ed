//! The Fortran and C++ layers follow `include/smartredis.h`.
//!
//! `scripts/gen-bindings.py` derives the Fortran interfaces (`src/fortran/c_interfaces.inc`) and the C++ signature
//! checks (`tests/cpp/c_api_signatures.cpp`) from the header. These tests fail when a committed output is stale,
//! when hand-written Fortran duplicates or contradicts the header, or when a C++ wrapper header passes the C API a
//! value it would narrow; and they check that a signature edited by hand in the header is caught.
//!
//! They need `python3` and a C++ compiler (`scripts/install-deps.sh` installs both); a missing tool is a failure
//! unless `SR_SKIP_GENERATED_CHECKS=1` is set.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the checks needing external tools are explicitly turned off.
fn skipped() -> bool {
    std::env::var_os("SR_SKIP_GENERATED_CHECKS").is_some_and(|v| v == "1")
}

/// Runs a tool, failing the test (unless skipped) when it cannot be started.
fn run(cmd: &mut Command) -> Option<Output> {
    match cmd.output() {
        Ok(out) => Some(out),
        Err(e) if skipped() => {
            eprintln!("SKIPPED (SR_SKIP_GENERATED_CHECKS=1): cannot run {cmd:?}: {e}");
            None
        }
        Err(e) => panic!(
            "cannot run {cmd:?}: {e} (scripts/install-deps.sh installs it; \
             SR_SKIP_GENERATED_CHECKS=1 skips this check)"
        ),
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn generator(args: &[&str]) -> Option<Output> {
    run(Command::new("python3")
        .current_dir(root())
        .arg("scripts/gen-bindings.py")
        .args(args))
}

/// Compiles `tests/cpp/c_api_signatures.cpp` (which includes every header of `include_dir`) as strictly as the
/// C++ wrappers are meant to hold.
fn compile_cpp(include_dir: &Path) -> Option<Output> {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    run(Command::new(cxx)
        .current_dir(root())
        .args([
            "-std=c++17",
            "-fsyntax-only",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Wconversion",
            "-Wsign-conversion",
            "-Werror",
        ])
        .arg("-I")
        .arg(include_dir)
        .arg("tests/cpp/c_api_signatures.cpp"))
}

/// A copy of `include/` in a fresh temporary directory, with `smartredis.h` edited by `edit`.
fn edited_include(tag: &str, edit: impl FnOnce(&str) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sr-bindings-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp include dir");
    for entry in std::fs::read_dir(root().join("include")).expect("read include/") {
        let path = entry.expect("include entry").path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().expect("file name")))
                .expect("copy header");
        }
    }
    let header = dir.join("smartredis.h");
    let text = std::fs::read_to_string(&header).expect("read header copy");
    let edited = edit(&text);
    assert_ne!(
        edited, text,
        "include/smartredis.h lacks the prototype this test edits (was it changed by hand?)"
    );
    std::fs::write(&header, edited).expect("write edited header");
    dir
}

const PORT_SETTER: &str = "SRError sr_orchestrator_options_set_port(void *options, uint16_t port);";

#[test]
fn generated_bindings_are_up_to_date() {
    let Some(out) = generator(&["--check"]) else {
        return;
    };
    assert!(
        out.status.success(),
        "the Fortran/C++ bindings disagree with include/smartredis.h (run `make bindings`):\n{}",
        text(&out)
    );
}

#[test]
fn cpp_wrappers_compile_strictly_against_the_header() {
    let Some(out) = compile_cpp(&root().join("include")) else {
        return;
    };
    assert!(
        out.status.success(),
        "tests/cpp/c_api_signatures.cpp does not compile:\n{}",
        text(&out)
    );
}

#[test]
fn a_hand_edited_signature_is_caught() {
    let dir = edited_include("port", |h| {
        h.replace(
            PORT_SETTER,
            "SRError sr_orchestrator_options_set_port(void *options, uint32_t port);",
        )
    });
    let header = dir.join("smartredis.h");
    let Some(out) = generator(&["--check", "--header", header.to_str().expect("utf-8 path")])
    else {
        return;
    };
    let report = text(&out);
    assert!(
        !out.status.success(),
        "the generator accepted an edited header:\n{report}"
    );
    assert!(
        report.contains("integer(kind=c_int32_t), value, intent(in) :: port"),
        "{report}"
    );
    let Some(out) = compile_cpp(&dir) else {
        return;
    };
    let report = text(&out);
    assert!(
        !out.status.success(),
        "C++ compiled against an edited header"
    );
    assert!(
        report.contains("sr_orchestrator_options_set_port: the header changed"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_narrowing_cpp_wrapper_is_caught() {
    // The header (regenerated, so the static_asserts are not what fails) now takes a narrower type than the
    // wrapper `OrchestratorOptions::set_shards(size_t)` passes: the wrapper no longer compiles.
    let dir = edited_include("narrow", |h| {
        h.replace(
            "sr_orchestrator_options_set_shards(void *options, size_t shards)",
            "sr_orchestrator_options_set_shards(void *options, uint16_t shards)",
        )
    });
    let signatures = std::fs::read_to_string(root().join("tests/cpp/c_api_signatures.cpp"))
        .expect("read c_api_signatures.cpp");
    let cpp = dir.join("c_api_signatures.cpp");
    std::fs::write(
        &cpp,
        signatures.replace(
            "SRError (*)(void*, size_t)>::value,\n              \"sr_orchestrator_options_set_shards",
            "SRError (*)(void*, uint16_t)>::value,\n              \"sr_orchestrator_options_set_shards",
        ),
    )
    .expect("write edited signatures");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    let Some(out) = run(Command::new(cxx)
        .args([
            "-std=c++17",
            "-fsyntax-only",
            "-Wconversion",
            "-Werror",
            "-I",
        ])
        .arg(&dir)
        .arg(&cpp))
    else {
        return;
    };
    let report = text(&out);
    assert!(!out.status.success(), "a narrowing wrapper compiled");
    assert!(
        report.contains("orchestrator.h") && report.contains("shards"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
