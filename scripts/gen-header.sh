#!/usr/bin/env bash
# Regenerates include/smartredis.h from the Rust sources with cbindgen (pinned by scripts/install-deps.sh).
#   scripts/gen-header.sh          rewrite the committed header
#   scripts/gen-header.sh --check  fail (and show the diff) if the committed header is out of date
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
header=include/smartredis.h
case "${1:-}" in
  --check)
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    cbindgen --config cbindgen.toml --crate smartredis --output "$tmp" 2>/dev/null
    if ! diff -u "$header" "$tmp"; then
      echo "$header is out of date: run scripts/gen-header.sh and commit the result" >&2
      exit 1
    fi
    ;;
  "")
    cbindgen --config cbindgen.toml --crate smartredis --output "$header" 2>/dev/null
    echo "wrote $header"
    ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
