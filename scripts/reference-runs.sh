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
mkdir -p "$out"

# run NAME ARGS...: one run into $out/NAME, its stderr beside it.
run() {
    local name=$1
    shift
    "$bin" run -q "$@" --out "$out/$name" >/dev/null 2>"$out/$name.err" || echo "failed: $name" >&2
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

# The bench's shapes as files, written by this checkout's build whatever BIN is, so that an
# older build runs the same files.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/migsim-target}
shapes() {
    cargo run --release --quiet --locked -- bench --scenarios "$out/shapes/$1" "${@:2}" >/dev/null
}
shapes month --nodes 1000 --controller
shapes deep --nodes 100 --days 3 --controller
run shape-1k "$out/shapes/month/scale-1000n-100000j-none.toml"
run shape-1k-controller "$out/shapes/month/scale-1000n-100000j-controller.toml"
deep="$out/shapes/deep/scale-100n-10000j-controller.toml"
for placement in first-fit best-fit worst-fit random; do
    for kind in speculative conservative; do
        run "deep-$placement-$kind" "$deep" \
            --set "scheduler.placement=$placement" --set "scheduler.kind=$kind"
    done
    run "deep-$placement-half" "$deep" \
        --set "scheduler.placement=$placement" --set scheduler.reservation=0.5
done
echo "$(find "$out" -mindepth 1 -maxdepth 1 -type d -not -name shapes | wc -l) run folders in $out"
