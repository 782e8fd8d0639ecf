#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, integration, property and example tests.
#   ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# The build cache lives outside the checkout so that fresh clones build incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/migsim-target}"

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
