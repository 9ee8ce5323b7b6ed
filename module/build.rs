//! Builds the TORCH backend shim `redisai_torch.so` (module/torch/redisai_torch.cpp) against libtorch, when
//! libtorch's headers are installed (Debian `libtorch-dev`; another prefix with `LIBTORCH=<prefix>`), and places it
//! where the module looks for backends in the build tree: `<workspace>/build/backends/redisai_torch/`, next to the
//! ONNX Runtime that `scripts/fetch-backends.sh` unpacks there (`make build` links it as target/release/backends;
//! `make install` copies it to `<prefix>/lib/backends/`). Without libtorch nothing is built, the module still
//! builds, and TORCH answers a clear "backend not available" error.
//!
//! The shim is a separate library, opened with dlopen on first use, so a server that never uses TORCH never
//! loads libtorch.
//!
//! It also compiles into the module the one C++ function of the ONNX allocator (src/backends/onnx_allocator.cpp:
//! an allocator refuses an allocation to ONNX Runtime by throwing a C++ exception).

use std::env;
use std::path::{Path, PathBuf};

const SHIM: &str = "torch/redisai_torch.cpp";
const ONNX_ALLOCATOR: &str = "src/backends/onnx_allocator.cpp";

fn main() {
    println!("cargo:rerun-if-changed={ONNX_ALLOCATOR}");
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file(ONNX_ALLOCATOR)
        .compile("smartredis_ai_onnx_allocator");
    println!("cargo:rerun-if-changed={SHIM}");
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let dest_dir = manifest.join("../build/backends/redisai_torch");
    let dest = dest_dir.join("redisai_torch.so");
    // Rebuilt when the placed copy disappears (e.g. `rm -rf build`).
    println!("cargo:rerun-if-changed={}", dest.display());

    let prefix = PathBuf::from(env::var("LIBTORCH").unwrap_or_else(|_| "/usr".into()));
    let include = prefix.join("include");
    let api = include.join("torch/csrc/api/include");
    if !api.join("torch/torch.h").exists() {
        println!(
            "cargo:warning=libtorch not found under {} (install libtorch-dev, or set LIBTORCH): the TORCH backend \
             is not built",
            prefix.display()
        );
        return;
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("redisai_torch.so");
    let mut cmd = cc::Build::new()
        .cpp(true)
        .cargo_metadata(false)
        .get_compiler()
        .to_command();
    cmd.args(["-std=c++17", "-O2", "-fPIC", "-shared", "-w"])
        .arg("-I")
        .arg(&include)
        .arg("-I")
        .arg(&api)
        .arg(manifest.join(SHIM))
        .arg("-o")
        .arg(&out);
    for dir in [prefix.join("lib"), prefix.join("lib/x86_64-linux-gnu")] {
        if dir.is_dir() && prefix != Path::new("/usr") {
            cmd.arg(format!("-L{}", dir.display()))
                .arg(format!("-Wl,-rpath,{}", dir.display()));
        }
    }
    cmd.args([
        "-Wl,--no-as-needed",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10",
        "-Wl,--as-needed",
    ]);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C++ compiler for {SHIM}: {e}"));
    assert!(status.success(), "building {SHIM} failed ({status})");
    // Placed only when it differs: a fresh copy would be newer than this run, and the rerun-if-changed on it above
    // would then rerun this script (recompiling the shim and the module) on every cargo invocation.
    let built =
        std::fs::read(&out).unwrap_or_else(|e| panic!("cannot read {}: {e}", out.display()));
    if std::fs::read(&dest).is_ok_and(|placed| placed == built) {
        return;
    }
    std::fs::create_dir_all(&dest_dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dest_dir.display()));
    let part = dest_dir.join("redisai_torch.so.part");
    std::fs::copy(&out, &part).unwrap_or_else(|e| panic!("cannot copy to {}: {e}", part.display()));
    std::fs::rename(&part, &dest)
        .unwrap_or_else(|e| panic!("cannot place {}: {e}", dest.display()));
}
