#!/usr/bin/env bash
# fake-scheduler.sh - a stand-in for PBS Pro, LSF and Cobalt commands, for tests/orchestrator_schedulers.rs.
# Installed on PATH under each command's name (qsub, qstat, qdel, bsub, bjobs, bkill, mpiexec, jsrun, aprun);
# records every call in $FAKE_SCHED_DIR/calls.log and runs jobs and launches locally:
#   submit (qsub, bsub)   runs the job script in the background in its own session, with the scheduler's job id
#                         and node-file variables set (the node file lists this host), its output going where the
#                         script's `-o` directive says (else to jobs/ID.out); prints the job id as the real command
#                         does
#   status (qstat, bjobs) answers from whether the job's session still runs
#   cancel (qdel, bkill)  signals the job's session
#   launch (mpiexec, jsrun, aprun)  drops its own options and runs the command in the foreground
# FAKE_FLAVOR=pbs|cobalt chooses what qsub and qstat speak (both schedulers name them so).
set -u
dir=${FAKE_SCHED_DIR:?FAKE_SCHED_DIR is not set}
me=$(basename "$0")
mkdir -p "$dir/jobs"
printf '%s %s\n' "$me" "$*" >>"$dir/calls.log"

new_id() {
    local n
    n=$(($(cat "$dir/next" 2>/dev/null || echo 100) + 1))
    echo "$n" >"$dir/next"
    echo "$n"
}

alive() { # job id
    local pid
    pid=$(cat "$dir/jobs/$1.pid" 2>/dev/null) || return 1
    kill -0 "$pid" 2>/dev/null
}

submit() { # job id, env assignments..., script
    local id=$1
    shift
    local script=${*: -1}
    local envs=("${@:1:$#-1}")
    # The node file is written once, whole (a job reading it must never see it empty).
    if [[ ! -s $dir/nodefile ]]; then
        hostname >"$dir/nodefile.$$" && mv -f "$dir/nodefile.$$" "$dir/nodefile"
    fi
    local out
    out=$(awk '/^#(PBS|BSUB|COBALT) -o / {print $3; exit}' "$script")
    env "${envs[@]}" setsid bash "$script" >>"${out:-$dir/jobs/$id.out}" 2>&1 </dev/null &
    echo $! >"$dir/jobs/$id.pid"
}

cancel() { # signal job
    local pid
    pid=$(cat "$dir/jobs/$2.pid" 2>/dev/null) || { echo "$me: unknown job $2" >&2; exit 1; }
    kill "-$1" -- "-$pid" 2>/dev/null || true
}

case $me in
qsub)
    script=${*: -1}
    n=$(new_id)
    if [[ ${FAKE_FLAVOR:-pbs} == cobalt ]]; then
        submit "$n" COBALT_JOBID="$n" COBALT_NODEFILE="$dir/nodefile" "$script"
        echo "$n"
    else
        submit "$n.fake" PBS_JOBID="$n.fake" PBS_NODEFILE="$dir/nodefile" "$script"
        echo "$n.fake"
    fi
    ;;
bsub)
    n=$(new_id)
    cat >"$dir/jobs/$n.sh"
    submit "$n" LSB_JOBID="$n" LSB_DJOB_HOSTFILE="$dir/nodefile" "$dir/jobs/$n.sh"
    echo "Job <$n> is submitted to queue <normal>."
    ;;
qstat)
    id=${*: -1}
    if [[ ${FAKE_FLAVOR:-pbs} == cobalt ]]; then
        if alive "$id"; then
            printf 'JobID  User  WallTime  Nodes  State    Location\n%s  fake  00:10:00  1  running  %s\n' "$id" "$(hostname)"
        else
            exit 1
        fi
    elif alive "$id"; then
        printf 'Job Id: %s\n    job_state = R\n' "$id"
    else
        echo "qstat: Unknown Job Id $id" >&2
        exit 153
    fi
    ;;
bjobs)
    id=${*: -1}
    if alive "$id"; then echo RUN; else echo "Job <$id> is not found" >&2; exit 255; fi
    ;;
qdel)
    if [[ $1 == -W ]]; then cancel KILL "$3"; else cancel TERM "$1"; fi
    ;;
bkill)
    if [[ $1 == -s ]]; then cancel "$2" "$3"; else cancel TERM "$1"; fi
    ;;
mpiexec | aprun)
    while [[ $# -gt 0 && $1 != bash ]]; do shift; done
    exec "$@"
    ;;
jsrun)
    erf=${1#--erf_input=}
    [[ -s $erf ]] || { echo "jsrun: resource file $erf missing" >&2; exit 1; }
    shift
    exec "$@"
    ;;
*)
    echo "fake-scheduler.sh: unknown command $me" >&2
    exit 2
    ;;
esac
