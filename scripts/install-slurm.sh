#!/usr/bin/env bash
# Installs Slurm and munge from Debian (slurmctld, slurmd, slurm-client, munge) for
# `scripts/slurm-local.sh`, the one-host Slurm that the tests of `migsim sweep --slurm` run.
# The packages' own services are stopped and disabled: slurm-local.sh starts its own daemons,
# with all their state in a folder of the caller's. Without root or apt it says what to do.
#   ./scripts/install-slurm.sh
set -euo pipefail

if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 &&
    command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: Slurm is not installed and this is not a root Debian shell; the Slurm tests will be" >&2
    echo "      skipped. Install it with: apt-get install slurmctld slurmd slurm-client munge" >&2
    exit 0
fi
# policy-rc.d keeps the packages from starting their daemons where there is no systemd.
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
if [ "$had_policy" -eq 0 ]; then rm -f "$policy"; fi
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now slurmctld slurmd munge >/dev/null 2>&1 || true
fi
echo "installed Slurm $(dpkg-query -W -f '${Version}' slurmctld) and munge $(dpkg-query -W -f '${Version}' munge) from Debian" >&2
