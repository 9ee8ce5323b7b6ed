#!/usr/bin/env bash
# Creates build/venv, a Python virtual environment holding upstream's SmartRedis Python client (smartredis 0.6.1,
# a manylinux wheel on PyPI for CPython 3.9-3.11, with numpy < 2), used by the interoperability tests
# (tests/interop.rs). Cached: nothing is downloaded when the venv is complete.
# SR_SKIP_INTEROP=1 skips it (machines without network); the interoperability tests then report themselves skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

SMARTREDIS_VERSION=0.6.1
NUMPY_VERSION=1.26.4
venv=build/venv
stamp="$venv/.smartredis-$SMARTREDIS_VERSION"

if [ -f "$stamp" ]; then
  exit 0
fi
if [ "${SR_SKIP_INTEROP:-}" = 1 ]; then
  echo "setup-venv: SR_SKIP_INTEROP=1: NOT installing the SmartRedis Python client; interoperability tests will be SKIPPED" >&2
  exit 0
fi

# smartredis 0.6.1 declares Requires-Python >=3.9,<3.12 and ships wheels only for those versions.
python=
for p in "${SR_INTEROP_PYTHON_BASE:-}" python3 python3.11 python3.10 python3.9; do
  [ -n "$p" ] || continue
  command -v "$p" >/dev/null 2>&1 || continue
  if "$p" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 11) else 1)' 2>/dev/null; then
    python=$p
    break
  fi
done
if [ -z "$python" ]; then
  echo "setup-venv: no Python 3.9-3.11 found (smartredis $SMARTREDIS_VERSION supports only those);" \
    "set SR_INTEROP_PYTHON_BASE to one, or SR_SKIP_INTEROP=1 to skip the interoperability tests" >&2
  exit 1
fi

echo "Creating $venv ($("$python" --version 2>&1)) with smartredis==$SMARTREDIS_VERSION from PyPI"
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  echo "setup-venv: '$python -m venv' failed (Debian: install python3-venv)" >&2
  exit 1
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
  "smartredis==$SMARTREDIS_VERSION" "numpy==$NUMPY_VERSION"; then
  echo "setup-venv: could not install smartredis==$SMARTREDIS_VERSION from PyPI (no network?);" \
    "SR_SKIP_INTEROP=1 skips the interoperability tests" >&2
  rm -rf "$venv"
  exit 1
fi
"$venv/bin/python" -c 'import smartredis, numpy'
touch "$stamp"
