#!/usr/bin/env bash
# bench-slurm.sh - formation and stop time of the Slurm launcher: 3, 16 and 64 shards across the 3 emulated nodes
# of the local Slurm (scripts/slurm/test-slurm.sh), inside one `salloc -N3` allocation (one srun step per node,
# running that node's shards).
# Prints a table: shards, start (the whole `smartredis start` command), launch-to-usable (from the launches of the
# steps, i.e. when the wrapper script was written, to cluster_state:ok on every node, all slots), stop, and the
# load average when each size ran.
# Redis refuses writes on a new cluster master for 2.0 s after it starts, which bounds usable-for-writes from below;
# `start` returns at cluster_state:ok.  Usage: scripts/bench-slurm.sh [SMARTREDIS] [SHARD COUNTS...]
# With BENCH_TIMELINE=1, each size also prints where its time went, in seconds after the launch (min/median/max over
# the shards): address file written (the step runs), server starting, ready for connections, cluster_state:ok, and
# ok minus ready (Redis's writable delay plus its detection), from the shards' files and logs.
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
# timeline DIR T0 N: the phases of one start (see the header), in seconds after T0.
timeline() {
    local dir=$1 t0=$2 n=$3 i
    local day0
    day0=$(date -d "@$t0" +%H:%M:%S.%N | awk -F: '{print $1 * 3600 + $2 * 60 + $3}')
    {
        for ((i = 0; i < n; i++)); do
            echo "addr $(stat -c %.9Y "$dir/shard-$i.addr")"
            # Redis's log lines: PID:ROLE DAY MON YEAR HH:MM:SS.mmm ...
            awk -v i="$i" '
                function t() { split($5, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
                NR == 1 { printf "starting@ %.3f\n", t() }
                /Ready to accept connections/ { r = t(); printf "ready@ %.3f\n", r }
                /Cluster state changed: ok/ && !ok { ok = t(); printf "ok@ %.3f\n", ok; if (r) printf "ok-ready %.3f\n", ok - r }
            ' "$dir/shard-$i.log"
        done
    } | awk -v t0="$t0" -v day0="$day0" '
        $1 == "addr" { v[$1, ++c[$1]] = $2 - t0; next }
        $1 ~ /@$/ { d = $2 - day0; if (d < -43200) d += 86400; v[$1, ++c[$1]] = d; next }
        { v[$1, ++c[$1]] = $2 }
        END {
            split("addr starting@ ready@ ok@ ok-ready", keys, " ")
            for (k = 1; k <= 5; k++) {
                key = keys[k]; m = c[key]
                if (!m) continue
                # insertion sort: at most a few hundred values
                for (x = 1; x <= m; x++) s[x] = v[key, x]
                for (x = 2; x <= m; x++) { y = s[x]; z = x - 1; while (z > 0 && s[z] > y) { s[z + 1] = s[z]; z-- } s[z + 1] = y }
                sub(/@$/, "", key)
                printf "  %-9s %6.3f %6.3f %6.3f  (%d shards)\n", key, s[1], s[int((m + 1) / 2)], s[m], m
            }
        }'
}
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
    [[ ${BENCH_TIMELINE:-0} == 1 ]] && timeline "$dir" "$tl" "$n" >"$work/timeline.$n"
    "$bin" stop --dir "$dir" >"$work/stop.$n" 2>&1 || { cat "$work/stop.$n" >&2; }
    t2=$(date +%s.%N)
    scancel "$job"
    printf '%-8s %-10.2f %-18.2f %-10.2f %s\n' "$n" "$(echo "$t1 - $t0" | bc)" "$(echo "$t1 - $tl" | bc)" \
        "$(echo "$t2 - $t1" | bc)" "$load"
    [[ ${BENCH_TIMELINE:-0} == 1 ]] && cat "$work/timeline.$n"
    # Let the allocation go before the next size.
    for _ in $(seq 50); do [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && break; sleep 0.1; done
done
