#!/usr/bin/env bash
# Builds every binary the cluster runs, from source through the Go module proxy, into
# $SHADOW_CACHE/cluster (one directory per component and version, ~450 MB in all):
#
#   kubernetes   kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl
#   etcd         etcd (a wrapper around etcd's own server package: src/etcd)
#   containerd   containerd containerd-shim-runc-v2 ctr
#   cni-plugins  bridge host-local loopback
#   cri-tools    crictl
#   kwok         kwok, and its stage definitions (stages/)
#   pause        the pods' sandbox process (src/pause)
#
# A cold build takes ~15 minutes on two cores; a built component is never rebuilt (its
# directory is renamed into place once complete). The Go caches are the machine's own and can
# be deleted afterwards: only the binaries are kept. Log: $SHADOW_STATE/log/cluster-build.log.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster
with_lock cluster-build "$@"

BUILD_LOG=$SHADOW_LOG_DIR/cluster-build.log
BUILD_DIR=$CLUSTER_CACHE/build
# Static binaries, no debug information (halves their size), paths of this machine left out.
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
GO_BUILD=(go build -trimpath)

# component DIR FUNCTION: runs FUNCTION with the output directory DIR.tmp unless DIR exists,
# then moves DIR.tmp into place.
component() {
  local dir=$1 build=$2 t=$SECONDS
  [[ -d $dir ]] && return 0
  log "building ${dir##*/} (log: $BUILD_LOG)"
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  printf '\n==== %s building %s\n' "$(date -Is)" "${dir##*/}" >>"$BUILD_LOG"
  if ! "$build" "$dir.tmp" >>"$BUILD_LOG" 2>&1; then
    tail -n 30 "$BUILD_LOG" >&2
    die "building ${dir##*/} failed (log: $BUILD_LOG)"
  fi
  mv "$dir.tmp" "$dir"
  log "built ${dir##*/} in $((SECONDS - t))s"
}

# module_dir MODULE@VERSION: downloads a module and prints where its source is.
module_dir() {
  go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# Kubernetes' go.mod replaces its 33 staging modules (k8s.io/api, k8s.io/client-go, ...) with
# directories of its own repository that its module zip lacks, so it cannot be installed. A
# wrapper module that requires it, with those replaces pointed at the staging modules'
# published versions (v0.N.M for v1.N.M), builds it. All five binaries are built by one
# `go build`, so the packages they share are compiled once.
build_kubernetes() {
  local out=$1 src work=$BUILD_DIR/kubernetes staging=v0.${KUBERNETES_VERSION#v1.}
  src=$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")
  [[ -f $src/go.mod ]] || return 1
  rm -rf "$work"
  mkdir -p "$work"
  sed -e 's#^module k8s.io/kubernetes$#module shadow.local/kubernetes#' \
    -e "s#=> ./staging/src/\\(k8s.io/[a-z0-9-]*\\)\$#=> \\1 $staging#" \
    "$src/go.mod" >"$work/go.mod"
  cp "$src/go.sum" "$work/go.sum"
  chmod u+w "$work/go.mod" "$work/go.sum"
  printf '\nrequire k8s.io/kubernetes %s\n' "$KUBERNETES_VERSION" >>"$work/go.mod"
  grep -q '=> ./' "$work/go.mod" && {
    echo "a replace still points into Kubernetes' own tree:"
    grep '=> ./' "$work/go.mod"
    return 1
  }
  # Without the version stamp the binaries report v0.0.0-master, which kubectl and the
  # kubelet's version skew checks read.
  local v=k8s.io/component-base/version minor=${KUBERNETES_VERSION#v1.}
  local ldflags="-s -w -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=${minor%%.*}"
  ldflags+=" -X $v.gitTreeState=clean"
  (cd "$work" && GOFLAGS="$GOFLAGS -mod=mod" "${GO_BUILD[@]}" -ldflags "$ldflags" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$work"
}

build_etcd() {
  local out=$1 work=$BUILD_DIR/etcd
  rm -rf "$work"
  mkdir -p "$work"
  cp "$CLUSTER_SRC/src/etcd/main.go" "$work/"
  printf 'module shadow.local/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$ETCD_VERSION" >"$work/go.mod"
  # -mod=mod resolves etcd's requirements into the wrapper's go.mod as the build needs them
  # (unlike `go mod tidy`, without downloading the test dependencies of every dependency).
  (cd "$work" && GOFLAGS="$GOFLAGS -mod=mod" "${GO_BUILD[@]}" -ldflags "-s -w" -o "$out/etcd" .)
  rm -rf "$work"
}

build_containerd() {
  local out=$1 m=github.com/containerd/containerd/v2
  GOBIN=$out go install -trimpath -tags "no_btrfs no_devmapper no_zfs" \
    -ldflags "-s -w -X $m/version.Version=$CONTAINERD_VERSION" \
    "$m/cmd/containerd@$CONTAINERD_VERSION" "$m/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
    "$m/cmd/ctr@$CONTAINERD_VERSION"
}

build_cni() {
  local out=$1 m=github.com/containernetworking/plugins/plugins
  GOBIN=$out go install -trimpath -ldflags "-s -w" "$m/main/bridge@$CNI_PLUGINS_VERSION" \
    "$m/ipam/host-local@$CNI_PLUGINS_VERSION" "$m/main/loopback@$CNI_PLUGINS_VERSION"
}

build_cri_tools() {
  local out=$1 m=sigs.k8s.io/cri-tools
  GOBIN=$out go install -trimpath -ldflags "-s -w -X $m/pkg/version.Version=$CRI_TOOLS_VERSION" \
    "$m/cmd/crictl@$CRI_TOOLS_VERSION"
}

# kwok exits with "no stages found" unless given stage definitions: those of its module's
# kustomize/stage (the fast node and pod life cycles, node heartbeats with leases) are kept
# beside the binary.
build_kwok() {
  local out=$1 src stage
  GOBIN=$out go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  src=$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
  mkdir -p "$out/stages"
  for stage in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    install -m 644 "$src/kustomize/stage/$stage" "$out/stages/${stage##*/}"
  done
}

build_pause() {
  local out=$1 work=$BUILD_DIR/pause
  rm -rf "$work"
  mkdir -p "$work"
  cp "$CLUSTER_SRC/src/pause/main.go" "$work/"
  printf 'module shadow.local/pause\n\ngo 1.26.0\n' >"$work/go.mod"
  (cd "$work" && "${GO_BUILD[@]}" -ldflags "-s -w" -o "$out/pause" .)
  rm -rf "$work"
}

go_env
mkdir -p "$CLUSTER_CACHE"
started=$SECONDS
# Small ones first: the nodes' pieces are usable (and testable) while Kubernetes compiles.
component "$PAUSE_BIN" build_pause
component "$CNI_BIN" build_cni
component "$ETCD_BIN" build_etcd
component "$CONTAINERD_BIN" build_containerd
component "$CRI_TOOLS_BIN" build_cri_tools
component "$KUBERNETES_BIN" build_kubernetes
component "$KWOK_BIN" build_kwok
if ((SECONDS - started > 2)); then log "cluster binaries built in $((SECONDS - started))s"; fi
