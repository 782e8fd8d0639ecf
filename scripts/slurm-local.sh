#!/usr/bin/env bash
# A real one-host Slurm (slurmctld, slurmd and munge from Debian's packages) for the tests and
# demos of `migsim sweep --slurm`. Everything it writes is under DIR; nothing needs systemd.
#   ./scripts/slurm-local.sh up DIR     # starts it; returns when the node is idle
#   . DIR/env                           # then sbatch, squeue, scancel... talk to it
#   ./scripts/slurm-local.sh crash DIR  # the node dies and comes back: its tasks are requeued
#   ./scripts/slurm-local.sh down DIR   # cancels what is left and stops the daemons
# Environment: MIGSIM_SLURM_PORT (default 6817) is the controller's port, and the node's is the
# next one; give another to run two of these at once. Needs root (SlurmUser=root): slurmd
# starts every job as its owner.
set -euo pipefail

usage() {
    echo "usage: $0 up DIR | crash DIR | down DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
port="${MIGSIM_SLURM_PORT:-6817}"
node=$(hostname -s)

fail() {
    echo "error: $*" >&2
    exit 1
}

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
    local limit=$1
    shift
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# The PID a daemon recorded, if that process still runs.
running_pid() {
    local file="$dir/run/$1.pid"
    [ -s "$file" ] || return 1
    local pid
    pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

write_config() {
    mkdir -p "$dir/munge" "$dir/run" "$dir/log" "$dir/state" "$dir/spool"
    # munged refuses a socket folder others cannot enter and a key others can read.
    chmod 755 "$dir/munge"
    if [ ! -s "$dir/munge/munge.key" ]; then
        mungekey --create --keyfile="$dir/munge/munge.key" --bits=1024
    fi
    chmod 600 "$dir/munge/munge.key"
    local cpus memory
    cpus=$(nproc)
    memory=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
    cat > "$dir/slurm.conf" <<CONF
# Written by scripts/slurm-local.sh: a one-host cluster for tests and demos.
ClusterName=migsim-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A crashed node's steps are requeued once their credentials expire: short, for tests.
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Jobs start as soon as they can (the default delays each wave by 3 s, and a requeued job
# waits for the next pass, every 60 s), and ended jobs leave the queue after 5 s (sbatch --wait
# polls more slowly the longer they stay).
SchedulerParameters=batch_sched_delay=0,sched_interval=2
MinJobAge=5
ReturnToService=2
# A batch job missing from its node once that node registers again is requeued if it started
# more than BatchStartTimeout + MessageTimeout (here 2 + 10 s) before.
BatchStartTimeout=2
MessageTimeout=10
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    cat > "$dir/env" <<ENV
# Source this file (. $dir/env) to use the Slurm that scripts/slurm-local.sh started.
export SLURM_CONF=$dir/slurm.conf
ENV
}

node_idle() {
    [ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ]
}

up() {
    command -v slurmctld >/dev/null 2>&1 || fail "Slurm is not installed: run ./scripts/install-slurm.sh"
    [ "$(id -u)" -eq 0 ] || fail "the local Slurm runs as root (SlurmUser=root)"
    if running_pid slurmctld >/dev/null || running_pid slurmd >/dev/null; then
        fail "a Slurm already runs from $dir: ./scripts/slurm-local.sh down $dir first"
    fi
    write_config
    export SLURM_CONF="$dir/slurm.conf"
    munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munge.seed"
    wait_for 10 running_pid munged || fail "munged did not start: see $dir/log/munged.log"
    slurmctld
    wait_for 20 scontrol ping || fail "slurmctld did not answer: see $dir/log/slurmctld.log"
    slurmd -N "$node"
    if ! wait_for 30 node_idle; then
        fail "the node is not idle ($(sinfo -h -o '%T %E' 2>&1)): see $dir/log/slurmd.log"
    fi
    echo "Slurm is up: . $dir/env, then sbatch, squeue, scancel; stop it with $0 down $dir"
}

queue_empty() {
    [ -z "$(squeue -h -o %i 2>/dev/null)" ]
}

# No job step is left on the node (a daemon stopped before its steps would orphan them).
no_steps() {
    ! scontrol listpids 2>/dev/null | awk 'NR > 1' | grep -q .
}

stop_daemon() {
    local name=$1 pid
    pid=$(running_pid "$name") || return 0
    kill "$pid"
    if ! wait_for 15 bash -c "! kill -0 $pid"; then
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/run/$name.pid"
}

down() {
    [ -f "$dir/slurm.conf" ] || fail "$dir holds no local Slurm"
    export SLURM_CONF="$dir/slurm.conf"
    if running_pid slurmctld >/dev/null; then
        scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
        wait_for 30 queue_empty || echo "warning: jobs are still queued: $(squeue -h -o %i | xargs)" >&2
    fi
    if running_pid slurmd >/dev/null; then
        wait_for 30 no_steps || echo "warning: job steps still run: $(scontrol listpids 2>&1 | xargs)" >&2
    fi
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
    echo "Slurm is down; its state and logs stay in $dir"
}

# The node dies as in a power cut (slurmd, every job step and every process of the steps are
# SIGKILLed) and boots again: slurmctld finds the batch jobs gone when slurmd registers, and
# requeues those submitted with --requeue. Killing a step alone is not seen: its job stays
# running until the node registers again.
crash() {
    [ -f "$dir/slurm.conf" ] || fail "$dir holds no local Slurm"
    export SLURM_CONF="$dir/slurm.conf"
    local slurmd pids stepds
    slurmd=$(running_pid slurmd) || fail "slurmd does not run from $dir"
    # The steps' processes, and their slurmstepd parents (not other clusters' on this host).
    pids=$(scontrol listpids 2>/dev/null | awk 'NR > 1 { print $1 }' | sort -u | xargs)
    stepds=$(for p in $pids; do
        parent=$(ps -o ppid= -p "$p" | tr -d ' ' || true)
        if [ "$(ps -o comm= -p "$parent" 2>/dev/null || true)" = slurmstepd ]; then echo "$parent"; fi
    done | sort -u | xargs)
    # Stopped first, so that no step reports its end before it dies.
    kill -STOP $stepds $pids 2>/dev/null || true
    kill -9 "$slurmd" $stepds $pids 2>/dev/null || true
    rm -f "$dir/run/slurmd.pid"
    echo "killed slurmd, job steps ${stepds:-none} and processes ${pids:-none}"
    # The reboot: slurmctld takes a job for lost only if it started 12 s before the node is
    # back (see BatchStartTimeout), and one that was just launched may still be on its way.
    sleep 13
    slurmd -N "$node"
    wait_for 10 running_pid slurmd || fail "slurmd did not start again: see $dir/log/slurmd.log"
    echo "slurmd is back; the node's batch jobs are requeued once it registers"
}

case "$action" in
up) up ;;
crash) crash ;;
down) down ;;
*) usage ;;
esac
