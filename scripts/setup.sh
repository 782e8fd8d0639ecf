#!/usr/bin/env bash
# Installs what migsim needs, builds it, and runs the quickstart scenario.
#   ./scripts/setup.sh            # then see results/quickstart/
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
"$CARGO_TARGET_DIR/release/migsim" run scenarios/quickstart.toml --out results/quickstart
echo
echo "migsim is at $CARGO_TARGET_DIR/release/migsim (or: cargo run --release -- <command>)"
