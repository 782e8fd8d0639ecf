#!/usr/bin/env bash
# Installs the notebook's pinned Python packages into a virtual environment outside the checkout
# (MIGSIM_VENV, default ~/.cache/migsim-venv) and prints the path of its python.
#   ./scripts/install-notebook.sh
# It reinstalls only when notebooks/requirements.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${MIGSIM_VENV:-$HOME/.cache/migsim-venv}"
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: no $python; install Python 3.11 (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi
if ! "$python" -m venv --help >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -qq --no-install-recommends python3-venv >&2
    else
        echo "error: $python has no venv module; install it (Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi
stamp="$venv/.requirements.sha256"
want=$(sha256sum notebooks/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt >&2
    echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
