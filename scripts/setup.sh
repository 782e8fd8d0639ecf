#!/usr/bin/env bash
# Installs what migsim needs, builds it, and runs the quickstart study.
#   ./scripts/setup.sh            # then see results/quickstart-study/
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migsim-target}"

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed. Install a Rust toolchain (https://rustup.rs), then run this again." >&2
    exit 1
fi
# Debian packages for the build: a C compiler for the crates that build C code.
if ! command -v cc >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y --no-install-recommends gcc libc6-dev
    else
        echo "error: no C compiler (cc); install gcc (Debian: sudo apt-get install gcc)." >&2
        exit 1
    fi
fi

# criu 4.x for `migsim calibrate measure`, and a font for PNG figures.
./scripts/install-criu.sh
if [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null
fi

# Slurm and munge from Debian, for the one-host Slurm of scripts/slurm-local.sh.
./scripts/install-slurm.sh

# Python packages for notebooks/ (a virtual environment in ~/.cache/migsim-venv).
./scripts/install-notebook.sh >/dev/null

cargo build --release --locked
migsim="$CARGO_TARGET_DIR/release/migsim"
# The study migsim is for, on the quickstart's jobs: one table and one figure. --resume makes a
# second setup read the runs back instead of refusing the folder.
"$migsim" sweep scenarios/quickstart.toml --out results/quickstart-study --resume
"$migsim" plot results/quickstart-study --metric oom_kills >/dev/null
cat <<'READ'

How to read it: each row is one way to run the same 120 jobs (10 seeds; the mean, then
[min, max] over seeds). conservative reserves every job's true peak (which real requests
understate), so nothing is killed. speculative places jobs by what nodes use now: when a node's
jobs outgrow it, the OOM killer kills one and its work is lost. controlled adds a migration
controller that moves a job off a node before it fills up, for some seconds of downtime;
predictive moves only when a node's time to OOM is shorter than a move would take. At this load
speculation gains little utilisation; scenarios/thesis-2022.toml is the study at full size.
The figure: results/quickstart-study/figures/oom_kills.png (the mean per row, with its 95% interval).
READ
echo
echo "migsim is at $migsim (or: cargo run --release -- <command>)"
