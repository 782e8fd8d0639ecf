#!/usr/bin/env bash
# Runs a fixed set of scenarios with one migsim binary and writes every run's outputs under OUT,
# so that two builds can be compared byte for byte:
#
#   scripts/reference-runs.sh /tmp/migsim-before /tmp/ref/before
#   scripts/reference-runs.sh "$CARGO_TARGET_DIR/release/migsim" /tmp/ref/after
#   diff -r /tmp/ref/before /tmp/ref/after && echo "outputs unchanged"
#
# The set: every simulated shipped scenario with each of its variants and seeds 1 and 2; four
# placements on four scenarios; the scale bench's shape at 1,000 nodes with and without the
# controller; and a deep queue (100 nodes, 10,000 jobs over 3 days) with every placement, both
# reservations and a reservation of half the request. A run that fails is named on stderr and
# its error kept in OUT, so that a refusal is compared too.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 MIGSIM_BINARY OUT_FOLDER" >&2
    exit 2
fi
bin=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
mkdir -p "$out/shapes"

# run NAME ARGS...: one run into $out/NAME, its stderr beside it.
run() {
    local name=$1
    shift
    "$bin" run -q "$@" --out "$out/$name" >/dev/null 2>"$out/$name.err" || echo "failed: $name" >&2
}

# shape FILE NODES JOBS SECONDS CONTROLLER: the scale bench's production shape as a file.
shape() {
    local gap
    gap=$(awk -v s="$4" -v j="$3" 'BEGIN { printf "%.6f", s / j }')
    cat >"$1" <<EOF
[simulation]
name = "shape"
seed = 1
end = "$4s"
sample_interval = "1h"

[[nodes]]
name = "node"
count = $2
memory = "256GiB"
cpu = 96

[[workload.generate]]
name = "j"
count = $3
arrival = { process = "poisson", mean_gap = "${gap}s" }
work = { dist = "lognormal", mean = "48h", std = "48h" }
cpu = { dist = "uniform", min = 1, max = 8 }
profile = { shape = "linear", start = "1GiB", growth = { dist = "uniform", min = "0.05MiB/s", max = "0.35MiB/s" }, cap = { dist = "uniform", min = "8GiB", max = "48GiB" } }

[scheduler]
placement = "worst-fit"
EOF
    if [ "$5" = yes ]; then
        cat >>"$1" <<'EOF'

[monitor]
interval = "10s"
delay = "10s"

[controller]
interval = "10s"
threshold = 0.1
selection = { policy = "big-enough" }
pacing = { policy = "concurrent", per_node = 1, cluster = 64 }

[migration]
mechanism = "stop-and-copy"
profile = "ums-orchestrator-level"
EOF
    fi
}

cd "$root"
for file in scenarios/*.toml; do
    name=$(basename "$file" .toml)
    case $name in live-*) continue ;; esac
    variants=$(python3 -c "import sys, tomllib; print(' '.join(tomllib.load(open(sys.argv[1], 'rb')).get('variants', {})))" "$file")
    for seed in 1 2; do
        run "$name-$seed" "$file" --seed "$seed"
        for v in $variants; do
            run "$name-$v-$seed" "$file" --seed "$seed" --variant "$v"
        done
    done
done

for placement in first-fit best-fit worst-fit random; do
    for name in thesis-2022 generated steps oom; do
        run "placement-$name-$placement" "scenarios/$name.toml" --set "scheduler.placement=$placement"
    done
done

shape "$out/shapes/1k.toml" 1000 100000 2592000 no
shape "$out/shapes/1k-controller.toml" 1000 100000 2592000 yes
shape "$out/shapes/deep-queue.toml" 100 10000 259200 yes
run shape-1k "$out/shapes/1k.toml"
run shape-1k-controller "$out/shapes/1k-controller.toml"
for placement in first-fit best-fit worst-fit random; do
    for kind in speculative conservative; do
        run "deep-$placement-$kind" "$out/shapes/deep-queue.toml" \
            --set "scheduler.placement=$placement" --set "scheduler.kind=$kind"
    done
    run "deep-$placement-half" "$out/shapes/deep-queue.toml" \
        --set "scheduler.placement=$placement" --set scheduler.reservation=0.5
done
echo "$(find "$out" -mindepth 1 -maxdepth 1 -type d | wc -l) run folders in $out"
