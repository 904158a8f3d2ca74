#!/usr/bin/env bash
# Build the binaries the cluster test harness needs, from Go modules, into a cache outside the repo.
#
#   kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver   (wrapper module; staging replaces generated
#                                                           from the proxy's copy of k8s.io/kubernetes/go.mod)
#   etcd            go.etcd.io/etcd/server/v3              (wrapper module; etcd's own go.mod has replaces)
#   helm            helm.sh/helm/v4/cmd/helm               (parity oracle for `helm template`)
#   registry        github.com/distribution/distribution/v3 (a real OCI registry for chart pulls; our own
#                                                           small main, tests/cluster/registry/main.go,
#                                                           with only the filesystem storage driver)
#
# Usage:
#   bash tests/cluster/build.sh                 build whatever is missing (idempotent; warm run takes seconds)
#   bash tests/cluster/build.sh --print-paths   print NAME=PATH per binary without building (needs no Go)
#   bash tests/cluster/build.sh etcd helm       build only the named binaries
#
# Environment:
#   SPECMERGE_CACHE         cache root (default $HOME/.cache/specmerge); binaries go to $SPECMERGE_CACHE/bin,
#                           wrapper modules to $SPECMERGE_CACHE/work
#   SPECMERGE_K8S_VERSION   default v1.36.3
#   SPECMERGE_ETCD_VERSION  default v3.6.16
#   SPECMERGE_HELM_VERSION  default v4.2.3 (the Helm version helm-python-sdk embeds)
#   SPECMERGE_DISTRIBUTION_VERSION  default v3.1.1 (the registry version Helm v4.2.3 tests against)
#   GO                      go binary (default: `go` on PATH, else /usr/local/go/bin/go)
#
# GOMODCACHE and GOCACHE keep their defaults, so repeated cold builds of a new version reuse downloads.
set -euo pipefail

K8S_VERSION="${SPECMERGE_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${SPECMERGE_ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${SPECMERGE_HELM_VERSION:-v4.2.3}"
DISTRIBUTION_VERSION="${SPECMERGE_DISTRIBUTION_VERSION:-v3.1.1}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${SPECMERGE_CACHE:-$HOME/.cache/specmerge}"
BIN_DIR="$CACHE/bin"
WORK_DIR="$CACHE/work"
ALL=(kube-apiserver etcd helm registry)

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# The registry's main is ours: a change to it must rebuild the binary, so its hash is in the name.
registry_source_hash() {
    sha256sum "$HERE/registry/main.go" | cut -c1-8
}

bin_path() {
    case "$1" in
        kube-apiserver) echo "$BIN_DIR/kube-apiserver-$K8S_VERSION" ;;
        etcd) echo "$BIN_DIR/etcd-$ETCD_VERSION" ;;
        helm) echo "$BIN_DIR/helm-$HELM_VERSION" ;;
        registry) echo "$BIN_DIR/registry-$DISTRIBUTION_VERSION-$(registry_source_hash)" ;;
        *) die "unknown binary '$1' (known: ${ALL[*]})" ;;
    esac
}

print_paths() {
    local name
    for name in "${ALL[@]}"; do
        echo "$name=$(bin_path "$name")"
    done
}

if [[ "${1:-}" == "--print-paths" ]]; then
    print_paths
    exit 0
fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

WANT=("$@")
if [[ ${#WANT[@]} -eq 0 ]]; then
    WANT=("${ALL[@]}")
fi
for name in "${WANT[@]}"; do
    bin_path "$name" >/dev/null
done

# ---- Go ---------------------------------------------------------------------------------------------
if [[ -n "${GO:-}" ]]; then
    command -v "$GO" >/dev/null 2>&1 || die "GO=$GO is not an executable"
elif command -v go >/dev/null 2>&1; then
    GO="$(command -v go)"
elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
else
    die "Go not found: install Go >= 1.26 (or set GO=/path/to/go); it is needed to build kube-apiserver, etcd, helm and the registry"
fi
export GOTOOLCHAIN=local CGO_ENABLED=0
GO_VERSION="$("$GO" env GOVERSION)"        # e.g. go1.26.8
log "using $GO ($GO_VERSION), cache $CACHE"

# version_le A B: true when Go version A (e.g. 1.26.0) <= B (e.g. 1.26.8)
version_le() {
    [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$1" ]]
}

mkdir -p "$BIN_DIR" "$WORK_DIR"
exec 9>"$CACHE/build.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9   # two concurrent builds (CI + a developer) would otherwise race on the wrapper modules
fi

# new_wrapper DIR MODULE_NAME: fresh wrapper module in DIR (rebuilt every time; it is cheap)
new_wrapper() {
    rm -rf "$1"
    mkdir -p "$1"
    (cd "$1" && "$GO" mod init "$2" >/dev/null 2>&1)
}

# go line of a downloaded go.mod file
gomod_go_line() {
    "$GO" mod edit -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Go") or "")'
}

build_kube_apiserver() {
    local out="$1" dir="$WORK_DIR/kube-apiserver-$K8S_VERSION"
    [[ "$K8S_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "SPECMERGE_K8S_VERSION must look like v1.N.M, got $K8S_VERSION"
    local minor="${BASH_REMATCH[1]}" patch="${BASH_REMATCH[2]}"
    local staging_version="v0.$minor.$patch"
    new_wrapper "$dir" local/specmerge-kube-apiserver
    cd "$dir"
    log "kube-apiserver: fetching k8s.io/kubernetes@$K8S_VERSION go.mod from the module proxy"
    local gomod
    gomod="$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("GoMod") or sys.exit("no GoMod: " + d.get("Error", "?")))')"
    local go_line
    go_line="$(gomod_go_line "$gomod")"
    version_le "$go_line" "${GO_VERSION#go}" \
        || die "k8s.io/kubernetes@$K8S_VERSION needs go $go_line but $GO is $GO_VERSION; set SPECMERGE_K8S_VERSION to an older release (e.g. v1.35.4)"
    "$GO" mod edit -go="$go_line"
    # The staging modules: every replace in kubernetes' go.mod that points into ./staging/.
    local staging
    staging="$("$GO" mod edit -json "$gomod" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/"):
        print(r["Old"]["Path"])
')"
    [[ -n "$staging" ]] || die "no ./staging/ replaces found in $gomod; the recipe no longer matches this release"
    local count=0 m
    for m in $staging; do
        "$GO" mod edit -replace="$m=$m@$staging_version"
        count=$((count + 1))
    done
    log "kube-apiserver: generated $count staging replaces (=> $staging_version): $(echo $staging | tr '\n' ' ')"
    "$GO" get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION"
    local ld="-s -w"
    ld+=" -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
    ld+=" -X k8s.io/component-base/version.gitMajor=1"
    ld+=" -X k8s.io/component-base/version.gitMinor=$minor"
    ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
    log "kube-apiserver: go build (this is the long one: expect 10-30 min cold on 2 cores)"
    "$GO" build -mod=mod -trimpath -ldflags "$ld" -o "$out" k8s.io/kubernetes/cmd/kube-apiserver
}

build_etcd() {
    local out="$1" dir="$WORK_DIR/etcd-$ETCD_VERSION"
    new_wrapper "$dir" local/specmerge-etcd
    cd "$dir"
    # etcd's server go.mod replaces its sibling modules with ../api etc., so `go install @version`
    # is refused; its requires pin real versions, so a wrapper needs no replaces of its own.
    "$GO" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    "$GO" build -mod=mod -trimpath -ldflags "-s -w" -o "$out" go.etcd.io/etcd/server/v3
}

build_helm() {
    local out="$1" dir="$WORK_DIR/helm-$HELM_VERSION"
    new_wrapper "$dir" local/specmerge-helm
    cd "$dir"
    "$GO" get "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
    local major="${HELM_VERSION%%.*}"
    "$GO" build -mod=mod -trimpath \
        -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION" \
        -o "$out" "helm.sh/helm/$major/cmd/helm"
}

build_registry() {
    local out="$1" dir="$WORK_DIR/registry-$DISTRIBUTION_VERSION"
    new_wrapper "$dir" local/specmerge-registry
    cd "$dir"
    cp "$HERE/registry/main.go" .
    "$GO" get "github.com/distribution/distribution/v3@$DISTRIBUTION_VERSION"
    "$GO" mod tidy
    "$GO" build -mod=mod -trimpath -ldflags "-s -w" -o "$out" .
}

# Verify a built binary runs and reports something sensible.
smoke() {
    case "$1" in
        kube-apiserver) "$2" --version ;;
        etcd) "$2" --version | head -n1 ;;
        helm) "$2" version --short ;;
        registry) "$2" --version ;;
    esac
}

declare -A TIMES
for name in "${WANT[@]}"; do
    out="$(bin_path "$name")"
    if [[ -x "$out" ]]; then
        log "$name: cached at $out"
        TIMES[$name]="cached"
        continue
    fi
    log "$name: building -> $out"
    start=$(date +%s)
    tmp="$out.tmp.$$"
    rm -f "$tmp"
    trap 'rm -f "$tmp"' EXIT
    if ! ( "build_${name//-/_}" "$tmp" ); then
        die "$name: build failed (see the go output above)"
    fi
    reported="$(smoke "$name" "$tmp" 2>&1)" || die "$name: built binary does not run: $reported"
    mv -f "$tmp" "$out"
    trap - EXIT
    secs=$(( $(date +%s) - start ))
    TIMES[$name]="${secs}s"
    log "$name: built in ${secs}s ($(du -h "$out" | cut -f1), reports: $reported)"
done

summary="build.sh:"
timing="build.sh: times:"
for name in "${WANT[@]}"; do
    summary+=" $name=$(bin_path "$name")"
    timing+=" $name=${TIMES[$name]}"
done
echo "$timing"
echo "$summary"
