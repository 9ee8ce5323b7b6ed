#!/usr/bin/env bash
# `make fuzz`: runs each cargo-fuzz target of fuzz/ for FUZZ_SECONDS (default 60) from its committed seeds
# (fuzz/seeds/<target>, written by fuzz/make-seeds.py), growing a corpus in build/fuzz/corpus/<target>, and prints
# one line per target: runs, seconds, coverage (libFuzzer's `cov`/`ft`), corpus size and findings. A crash, timeout
# or out-of-memory input is saved in fuzz/artifacts/<target>/; the other targets still run, and the script fails.
#
# Needs rustup (for the nightly toolchain cargo-fuzz builds with, installed here if missing) and cargo-fuzz
# (installed into build/tools on first use). Usage: scripts/fuzz.sh [TARGET...] (default: every target).
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(resp_reply module_commands rdb_decode options dataset_meta)
TOOLS=$PWD/build/tools
OUT=$PWD/build/fuzz

if ! command -v rustup >/dev/null 2>&1; then
  echo "make fuzz needs rustup (cargo-fuzz builds with the nightly toolchain): see https://rustup.rs" >&2
  exit 1
fi
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal || exit 1
if [ ! -x "$TOOLS/bin/cargo-fuzz" ]; then
  echo "Installing cargo-fuzz into $TOOLS"
  cargo install cargo-fuzz --locked --root "$TOOLS" || exit 1
fi
export PATH="$TOOLS/bin:$PATH"
# The module's build script skips the TORCH shim, which the parsers do not need.
export LIBTORCH=/nonexistent

# One build of every target (sanitizer: address), then the runs.
cargo +nightly fuzz build || exit 1

mkdir -p "$OUT"
summary=()
failed=()
for t in "${TARGETS[@]}"; do
  mkdir -p "$OUT/corpus/$t"
  log=$OUT/$t.log
  echo "== fuzz $t: $SECONDS_EACH s (log: $log)"
  cargo +nightly fuzz run "$t" "$OUT/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    found="clean"
  else
    found="FAILED (exit $rc): $(grep -m1 -o 'ERROR: libFuzzer: [a-z-]*\|ERROR: AddressSanitizer: [a-z-]*\|panicked at [^ ]*' "$log")"
    found+=" $(grep -o 'Test unit written to [^ ]*' "$log" | tail -1)"
    failed+=("$t")
    tail -40 "$log" >&2
  fi
  summary+=("$(printf '%-16s %-24s %-34s %s' "$t" "${runs:-?}" "${cov:-?}" "$found")")
done

echo
printf '%-16s %-24s %-34s %s\n' target executions coverage findings
printf '%s\n' "${summary[@]}" | tee "$OUT/summary.txt"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz findings in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
