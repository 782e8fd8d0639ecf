#!/usr/bin/env bash
# Builds the real kube-apiserver and kubectl that `migsim cluster up` runs, from the Go module
# k8s.io/kubernetes, into ~/.cache/migsim-kube/VERSION/ (only the first build pays), and
# installs etcd >= 3.5.13 from Debian trixie (pinned low, like criu; bookworm's 3.4 is too old)
# and Debian's Prometheus (for the tests of `live --prometheus`).
#   ./scripts/install-kube.sh          # prints the directory of the binaries on its last line
# A plain `go install k8s.io/kubernetes/cmd/kube-apiserver` fails: its go.mod requires the
# staging modules (k8s.io/api, ...) at v0.0.0, relying on replace directives that only apply
# inside that repository. So a wrapper module requires k8s.io/kubernetes and replaces each
# staging module with its release of the same minor version.
set -euo pipefail
KUBE_VERSION="${MIGSIM_KUBE_VERSION:-1.34.4}"
STAGING_VERSION="0.${KUBE_VERSION#1.}"
CACHE="${MIGSIM_KUBE_CACHE:-$HOME/.cache/migsim-kube}"
BIN="$CACHE/v$KUBE_VERSION"

install_etcd() {
    if command -v etcd >/dev/null 2>&1 && etcd --version | grep -Eq 'etcd Version: 3\.(5\.(1[3-9]|[2-9][0-9])|[6-9])'; then
        return
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "error: etcd >= 3.5.13 is not installed and this is not a root Debian shell;" >&2
        echo "       install it (Debian: apt-get install -t trixie etcd-server)." >&2
        exit 1
    fi
    ./scripts/install-criu.sh >/dev/null # adds the pinned trixie source
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t trixie etcd-server >/dev/null
    # The package starts a system etcd on the default ports; migsim runs its own per cluster.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now etcd >/dev/null 2>&1 || true; fi
    pkill -x etcd 2>/dev/null || true
    echo "installed $(etcd --version | head -1) from Debian trixie" >&2
}

# Prometheus, for the tests of `live --prometheus` (Debian's own; the package would start a
# system Prometheus, which migsim does not use).
install_prometheus() {
    if command -v prometheus >/dev/null 2>&1; then
        return
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "note: prometheus is not installed (Debian: apt-get install prometheus); its tests will be skipped" >&2
        return
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
    pkill -x prometheus 2>/dev/null || true
    echo "installed $(prometheus --version 2>&1 | head -1) from Debian" >&2
}

build_kube() {
    if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kubectl" ]; then
        return
    fi
    if ! command -v go >/dev/null 2>&1; then
        echo "error: go is not installed; it is needed once to build kube-apiserver $KUBE_VERSION." >&2
        exit 1
    fi
    local work="$CACHE/build-v$KUBE_VERSION"
    mkdir -p "$work"
    {
        echo "module migsim.local/kube-build"
        echo
        echo "go 1.24"
        echo
        echo "require k8s.io/kubernetes v$KUBE_VERSION"
        echo
        echo "replace ("
        for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go \
            cloud-provider cluster-bootstrap code-generator component-base component-helpers \
            controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation \
            endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy \
            kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission \
            sample-apiserver sample-cli-plugin sample-controller; do
            echo "	k8s.io/$m => k8s.io/$m v$STAGING_VERSION"
        done
        echo ")"
    } > "$work/go.mod"
    cd "$work"
    export GOFLAGS=-mod=mod CGO_ENABLED=0
    echo "building kube-apiserver and kubectl v$KUBE_VERSION with $(go version | cut -d' ' -f3) (once; cached in $BIN)..." >&2
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBE_VERSION" "k8s.io/kubernetes/cmd/kubectl@v$KUBE_VERSION" >&2
    local minor="${KUBE_VERSION#1.}"
    minor="${minor%%.*}"
    local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    mkdir -p "$BIN.tmp"
    for cmd in kube-apiserver kubectl; do
        echo "  go build $cmd" >&2
        go build -trimpath -ldflags "$ldflags" -o "$BIN.tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd"
    done
    rm -rf "$BIN" && mv "$BIN.tmp" "$BIN"
    cd - >/dev/null
}

# `migsim cluster up` runs this script's text to build what is missing (MIGSIM_KUBE_BUILD_ONLY).
if [ -z "${MIGSIM_KUBE_BUILD_ONLY:-}" ]; then
    cd "$(dirname "$0")/.."
    install_etcd
    install_prometheus
fi
build_kube
"$BIN/kube-apiserver" --version >&2
echo "$BIN"
