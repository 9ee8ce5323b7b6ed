#!/usr/bin/env bash
# Fetches TensorFlow's C library for the module's TF backend into the build tree (cached, never committed):
# the `tensorflow-cpu` wheel from PyPI (kept in build/wheels/), of which only libtensorflow_cc.so.2 (the C API),
# libtensorflow_framework.so.2 (tensors; found through RUNPATH $ORIGIN) and the C headers are unpacked into
# build/backends/redisai_tensorflow/ (the module's BACKENDSPATH layout), the libraries stripped of their symbol
# tables (853 MB -> about 605 MB). No Python is involved at run time. Nothing is done when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."

TF_VERSION=2.21.0
dest=build/backends/redisai_tensorflow
stamp=$dest/.tensorflow-$TF_VERSION
if [ -f "$stamp" ]; then
  exit 0
fi

case "$(uname -m)" in
  x86_64) platform=manylinux_2_27_x86_64 ;;
  *) echo "fetch-tf: no tensorflow-cpu wheel for $(uname -m); the TF backend will be unavailable" >&2; exit 0 ;;
esac

cache=build/wheels
mkdir -p "$cache"
wheel=$(ls "$cache"/tensorflow_cpu-"$TF_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  echo "Fetching tensorflow-cpu $TF_VERSION ($platform, about 274 MB) from PyPI"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform "$platform" --python-version 3.11 --implementation cp --abi cp311 \
    --dest "$cache" "tensorflow-cpu==$TF_VERSION"
  wheel=$(ls "$cache"/tensorflow_cpu-"$TF_VERSION"-*.whl | head -n 1)
fi

echo "Unpacking TensorFlow $TF_VERSION's C library into $dest"
part=$dest.part
rm -rf "$part"
mkdir -p "$part"
python3 - "$wheel" "$part" <<'PY'
import os, re, shutil, sys, zipfile
wheel, part = sys.argv[1:]
libs = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
# The C API headers and the ones they include (tf_status.h includes xla/tsl/c/tsl_status.h, tf_tstring.h ctstring.h).
headers = re.compile(r"tensorflow/include/(tensorflow/c/.*|tsl/platform/ctstring.*|"
                     r"tensorflow/core/platform/ctstring.*|xla/tsl/c/.*)\.h$")
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name in libs:
            out = os.path.join(part, os.path.basename(name))
        elif headers.match(name):
            out = os.path.join(part, "include", name[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(name) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        if name in libs:
            os.chmod(out, 0o755)
PY
strip --strip-unneeded "$part"/libtensorflow_cc.so.2 "$part"/libtensorflow_framework.so.2
ln -s libtensorflow_cc.so.2 "$part/libtensorflow_cc.so"
rm -rf "$dest"
mv "$part" "$dest"
touch "$stamp"
echo "TensorFlow $TF_VERSION in $dest ($(du -sh "$dest" | cut -f1))"
