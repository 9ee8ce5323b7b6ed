#!/usr/bin/env bash
# bench-slurm.sh - formation and stop time of the Slurm launcher: 3, 16 and 64 shards across the 3 emulated nodes
# of the local Slurm (scripts/slurm/test-slurm.sh), inside one `salloc -N3` allocation (one srun step per node,
# running that node's shards).
# Prints a table: shards, start (the whole `smartredis start` command), launch-to-usable (from the launches of the
# steps, i.e. when the wrapper script was written, to cluster_state:ok on every node, all slots), stop, and the
# load average when each size ran.
# Redis refuses writes on a new cluster master for 2.0 s after it starts, which bounds usable-for-writes from below;
# `start` returns at cluster_state:ok.  Usage: scripts/bench-slurm.sh [SMARTREDIS] [SHARD COUNTS...]
set -euo pipefail
bin=${1:-target/release/smartredis}
shift || true
counts=("${@:-3 16 64}")
read -r -a counts <<<"${counts[*]}"
[[ $(id -u) -eq 0 ]] || { echo "bench-slurm.sh: needs root (the local Slurm); skipped" >&2; exit 0; }
sinfo >/dev/null 2>&1 || { echo "bench-slurm.sh: no Slurm running (make slurm)" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d /tmp/bench-slurm.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '%-8s %-10s %-18s %-10s %s\n' shards start_s launch_to_usable_s stop_s load
for n in "${counts[@]}"; do
    salloc -N3 -n3 --no-shell -J sr-bench >"$work/salloc.$n" 2>&1
    job=$(sed -n 's/.*Granted job allocation \([0-9]*\).*/\1/p' "$work/salloc.$n")
    [[ -n $job ]] || { cat "$work/salloc.$n" >&2; exit 1; }
    nodes=$(squeue -h -j "$job" -o %N)
    dir=$work/store-$n
    mkdir -p "$dir"
    t0=$(date +%s.%N)
    SLURM_JOB_ID=$job SLURM_JOB_NODELIST=$nodes "$bin" start --launcher slurm --shards "$n" --port 19000 \
        --no-module --timeout 60 --dir "$dir" >"$work/start.$n" 2>&1 || { cat "$work/start.$n" >&2; scancel "$job"; exit 1; }
    t1=$(date +%s.%N)
    tl=$(stat -c %.9Y "$dir/smartredis-shard.sh")
    load=$(cut -d' ' -f1 /proc/loadavg)
    "$bin" stop --dir "$dir" >"$work/stop.$n" 2>&1 || { cat "$work/stop.$n" >&2; }
    t2=$(date +%s.%N)
    scancel "$job"
    printf '%-8s %-10.2f %-18.2f %-10.2f %s\n' "$n" "$(echo "$t1 - $t0" | bc)" "$(echo "$t1 - $tl" | bc)" \
        "$(echo "$t2 - $t1" | bc)" "$load"
    # Let the allocation go before the next size.
    for _ in $(seq 50); do [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && break; sleep 0.1; done
done
