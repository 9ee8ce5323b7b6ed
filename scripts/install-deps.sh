#!/usr/bin/env bash
# Installs what building and testing smartredis-rs needs on Debian/Ubuntu, and only what is missing.
# As root it runs apt-get; otherwise it prints the exact command to run and fails.
set -euo pipefail

# Debian packages needed by the build, the tests, the demo and the benchmarks.
PACKAGES=(
  redis-server      # the store (also brings redis-cli and redis-benchmark)
  libclang-dev      # bindgen, used by the redis-module crate
  cmake g++ gfortran pkg-config make   # C, C++ and Fortran tests, examples and the CMake package
  python3                             # scripts/gen-bindings.py and the Fortran generator checks
  libopenmpi-dev openmpi-bin          # the MPI examples (examples/parallel)
  valgrind                            # memcheck variants of the C++ and Fortran tests
  python3-pip                         # fetches the ONNX Runtime wheel (scripts/fetch-backends.sh)
  python3-venv                        # build/venv with the SmartRedis Python client (scripts/setup-venv.sh)
  libtorch-dev                        # the module's TORCH backend (its shim is built by module/build.rs)
)
CBINDGEN_VERSION=0.29.4

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Run as root:  $cmd" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  bash -c "$cmd"
fi

# cbindgen, pinned: the committed C header must regenerate byte for byte.
if ! command -v cbindgen >/dev/null 2>&1 || [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
  echo "Installing cbindgen $CBINDGEN_VERSION from crates.io"
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
fi

# Model backends the module loads at run time (ONNX Runtime), unpacked into build/backends/ once.
"$(dirname "$0")/fetch-backends.sh"
# LiteRT for the TFLITE backend, into build/backends/redisai_tflite/ once.
"$(dirname "$0")/fetch-litert.sh"

# Upstream's SmartRedis Python client in build/venv, for the interoperability tests (tests/interop.rs), once.
"$(dirname "$0")/setup-venv.sh"
