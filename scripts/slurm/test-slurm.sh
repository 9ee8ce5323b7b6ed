#!/usr/bin/env bash
# test-slurm.sh - makes sure the local Slurm that the Slurm launcher tests (tests/orchestrator_slurm.rs) use is
# running: 3 emulated nodes (node1-3 on 127.0.0.2-4), no accounting database. Called by `make test`.
#   scripts/slurm/test-slurm.sh         set up (installs Debian's Slurm packages when missing) and start it
#   scripts/slurm/test-slurm.sh stop    stop the daemons it started
# Without root nothing is done: the Slurm tests then say loudly that they were skipped and why.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) -ne 0 ]]; then
    echo "*** test-slurm.sh: not root: no local Slurm; the Slurm launcher tests will be SKIPPED ***" >&2
    exit 0
fi
if [[ ${1:-} == stop ]]; then
    exec "$here/stop-local-slurm.sh"
fi
export SLURM_LOCAL_NODES=${SLURM_LOCAL_NODES:-3}
export SLURM_LOCAL_ACCOUNTING=${SLURM_LOCAL_ACCOUNTING:-0}
export SLURM_LOCAL_SMOKE=${SLURM_LOCAL_SMOKE:-0}
exec "$here/setup-local-slurm.sh"
