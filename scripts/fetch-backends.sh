#!/usr/bin/env bash
# Fetches the model backends the module loads at run time into the build tree (cached, never committed):
# ONNX Runtime's C library from the `onnxruntime` wheel on PyPI, unpacked into
# build/backends/redisai_onnxruntime/ (the module's BACKENDSPATH layout), and TensorFlow's (scripts/fetch-tf.sh).
# Nothing is downloaded when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/fetch-tf.sh

ORT_VERSION=1.32.0
dest=build/backends/redisai_onnxruntime
lib=libonnxruntime.so.$ORT_VERSION
if [ -f "$dest/$lib" ]; then
  exit 0
fi

case "$(uname -m)" in
  x86_64) platform=manylinux_2_28_x86_64 ;;
  aarch64) platform=manylinux_2_28_aarch64 ;;
  *) echo "fetch-backends: no onnxruntime wheel for $(uname -m); the ONNX backend will be unavailable" >&2; exit 0 ;;
esac

cache=build/backends/.wheels
mkdir -p "$cache" "$dest"
echo "Fetching onnxruntime $ORT_VERSION ($platform) from PyPI"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --platform "$platform" --python-version 3.11 --implementation cp \
  --dest "$cache" "onnxruntime==$ORT_VERSION"
wheel=$(ls "$cache"/onnxruntime-"$ORT_VERSION"-*.whl | head -n 1)
# The wheel's C library is self-contained (libc, libm, libstdc++ only); the Python bindings are not needed.
python3 - "$wheel" "$dest" "$lib" <<'PY'
import sys, zipfile, shutil, os
wheel, dest, lib = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open("onnxruntime/capi/" + lib) as src:
    tmp = os.path.join(dest, lib + ".part")
    with open(tmp, "wb") as out:
        shutil.copyfileobj(src, out)
    os.chmod(tmp, 0o755)
    os.replace(tmp, os.path.join(dest, lib))
PY
ln -sf "$lib" "$dest/libonnxruntime.so.1"
ln -sf "$lib" "$dest/libonnxruntime.so"
rm -rf "$cache"
echo "ONNX Runtime $ORT_VERSION in $dest"
