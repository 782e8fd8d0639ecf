#!/usr/bin/env bash
# Installs criu 4.x from Debian trixie (and iproute2, for `migsim live`) (bookworm's criu 3.17 fails on recent kernels) and lets
# criu's remote lazy pages (post-copy) work. trixie is added as an apt source pinned to
# priority 100, so nothing else is upgraded from it unless asked with -t trixie; criu brings a
# newer libc from trixie, which is expected. Without root or apt it says what to do instead.
#   ./scripts/install-criu.sh
set -euo pipefail

have_criu4() {
    command -v criu >/dev/null 2>&1 && criu --version 2>/dev/null | grep -Eq 'Version: ([4-9]|[1-9][0-9])\.'
}

if ! have_criu4; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "warning: criu 4.x is not installed and this is not a root Debian shell; the real-criu" >&2
        echo "         measurements will be skipped. Install criu >= 4.0 (Debian: apt-get install -t trixie criu)." >&2
        exit 0
    fi
    cat > /etc/apt/sources.list.d/migsim-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    cat > /etc/apt/preferences.d/migsim-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t trixie criu >/dev/null
    echo "installed $(criu --version | head -1 | tr -d '\n') from Debian trixie"
fi

# `migsim live` builds its nodes with iproute2's `ip` (network namespaces, veth, a bridge).
if ! command -v ip >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
fi

# criu's remote lazy pages splice pages through pipes of up to 4 MiB; most kernels allow 1 MiB.
# The setting lasts until reboot; `migsim calibrate measure` says so when it is too low.
pipe_max=/proc/sys/fs/pipe-max-size
if [ -w "$pipe_max" ] && [ "$(cat "$pipe_max")" -lt 4194304 ]; then
    echo 4194304 > "$pipe_max"
    echo "raised fs.pipe-max-size to 4 MiB for criu's lazy pages (until reboot)"
fi
