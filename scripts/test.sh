#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, integration, property and example tests.
#   ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# The build cache lives outside the checkout so that fresh clones build incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migsim-target}"

# The calibration tests run the real criu: install it, and make them fail rather than skip
# wherever it could be installed.
./scripts/install-criu.sh
if [ "$(id -u)" -eq 0 ] && command -v criu >/dev/null 2>&1; then
    export MIGSIM_REQUIRE_CRIU=1
fi

# The Kubernetes tests run a real kube-apiserver and etcd: build the one (the first time only,
# cached in ~/.cache/migsim-kube) and install the other, and make the tests fail rather than skip.
if [ "$(id -u)" -eq 0 ]; then
    ./scripts/install-kube.sh >/dev/null
    export MIGSIM_REQUIRE_KUBE=1
fi

# The tests of `sweep --slurm` run a one-host Slurm (scripts/slurm-local.sh): install it, and
# make them fail rather than skip where it could be installed.
./scripts/install-slurm.sh
if [ "$(id -u)" -eq 0 ] && command -v slurmctld >/dev/null 2>&1; then
    export MIGSIM_REQUIRE_SLURM=1
fi

# The notebook test runs the notebook on a sweep: install its pinned packages, and make the test
# fail rather than skip if they are missing.
MIGSIM_PYTHON=$(./scripts/install-notebook.sh)
export MIGSIM_PYTHON MIGSIM_REQUIRE_NOTEBOOK=1

cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked --workspace 2>&1 | tee "$log"
# cargo prints one result line per test binary, the last being the (empty) doc tests; close
# with the total so the outcome is one line. A test that cannot run here (no root, no criu, a
# kernel feature missing) is ignored, with its reason above, and counted as skipped.
awk '/^test result:/ { passed += $4; failed += $6; skipped += $8 } END { print passed " passed, " failed " failed, " skipped " skipped" }' "$log"
