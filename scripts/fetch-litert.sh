#!/usr/bin/env bash
# Fetches LiteRT's C library for the module's TFLITE backend into the build tree (cached, never committed): the
# `ai-edge-litert` wheel from PyPI (kept in build/wheels/), of which only ai_edge_litert/libLiteRt.so (the LiteRT C
# API; libc and libstdc++ only, no Python) is unpacked into build/backends/redisai_tflite/ (the module's
# BACKENDSPATH layout). The wheel has no headers: module/src/backends/litert_api.rs declares what is used, pinned to
# this version. Nothing is done when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."

LITERT_VERSION=2.3.0
dest=build/backends/redisai_tflite
lib=libLiteRt.so
stamp=$dest/.litert-$LITERT_VERSION
if [ -f "$stamp" ] && [ -f "$dest/$lib" ]; then
  exit 0
fi

case "$(uname -m)" in
  x86_64) platform=manylinux_2_27_x86_64 ;;
  *) echo "fetch-litert: no ai-edge-litert wheel for $(uname -m); the TFLITE backend will be unavailable" >&2; exit 0 ;;
esac

cache=build/wheels
mkdir -p "$cache" "$dest"
wheel=$(ls "$cache"/ai_edge_litert-"$LITERT_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  echo "Fetching ai-edge-litert $LITERT_VERSION ($platform, about 22 MB) from PyPI"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform "$platform" --python-version 3.11 --implementation cp --abi cp311 \
    --dest "$cache" "ai-edge-litert==$LITERT_VERSION"
  wheel=$(ls "$cache"/ai_edge_litert-"$LITERT_VERSION"-*.whl | head -n 1)
fi
python3 - "$wheel" "$dest" "$lib" <<'PY'
import os, shutil, sys, zipfile
wheel, dest, lib = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open("ai_edge_litert/" + lib) as src:
    tmp = os.path.join(dest, lib + ".part")
    with open(tmp, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    os.chmod(tmp, 0o755)
    os.replace(tmp, os.path.join(dest, lib))
PY
touch "$stamp"
echo "LiteRT $LITERT_VERSION in $dest ($(du -sh "$dest" | cut -f1))"
