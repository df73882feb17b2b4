# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are used by the scripts that source this file
# Settings shared by the cluster's scripts: versions, cache and state directories, addresses.
# Source it; it sources deploy/local/lib.sh (logging, locks, daemons) and does nothing itself.
#
#   SHADOW_CLUSTER_STATE   the cluster's state (default $SHADOW_STATE/cluster)
#   SHADOW_CLUSTER_BRIDGE  the nodes' bridge (default shadowk0), 10.246.0.0/16

# shellcheck source=../local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../local/lib.sh"

CLUSTER_SRC=$SHADOW_REPO_ROOT/deploy/cluster

KUBERNETES_VERSION=v1.37.2
ETCD_VERSION=v3.7.4
CONTAINERD_VERSION=v2.4.2
CNI_PLUGINS_VERSION=v1.10.0
CRI_TOOLS_VERSION=v1.37.0
KWOK_VERSION=v0.8.0

# Built binaries, one directory per component and version; a directory exists only once its
# build finished (it is renamed into place), so a present directory is a complete one.
CLUSTER_CACHE=$SHADOW_CACHE/cluster
KUBERNETES_BIN=$CLUSTER_CACHE/kubernetes-$KUBERNETES_VERSION
ETCD_BIN=$CLUSTER_CACHE/etcd-$ETCD_VERSION
CONTAINERD_BIN=$CLUSTER_CACHE/containerd-$CONTAINERD_VERSION
CNI_BIN=$CLUSTER_CACHE/cni-plugins-$CNI_PLUGINS_VERSION
CRI_TOOLS_BIN=$CLUSTER_CACHE/cri-tools-$CRI_TOOLS_VERSION
KWOK_BIN=$CLUSTER_CACHE/kwok-$KWOK_VERSION
# The pause program is the project's own: its directory is named after its source's digest.
PAUSE_BIN=$CLUSTER_CACHE/pause-$(sha256sum "$CLUSTER_SRC/src/pause/main.go" | cut -c1-12)

CLUSTER_STATE=${SHADOW_CLUSTER_STATE:-$SHADOW_STATE/cluster}
CLUSTER_PKI=$CLUSTER_STATE/pki
CLUSTER_KUBECONFIG=$CLUSTER_STATE/admin.kubeconfig

# The nodes' own network, apart from the local stack's shadow0 (10.213.0.0/24): one bridge
# carries both the node addresses (10.246.0.N) and, as the CNI bridge, every pod (each node
# hands out its own /24 of 10.246.0.0/16).
CLUSTER_BRIDGE=${SHADOW_CLUSTER_BRIDGE:-shadowk0}
CLUSTER_GATEWAY=10.246.0.1
CLUSTER_PREFIX=16
SERVICE_CIDR=10.247.0.0/24

# Control-plane ports, away from the defaults (2379/6443/10257/10259) so a developer's own
# cluster or etcd on the machine is not in the way. etcd, the controller manager and the
# scheduler listen on loopback; the API server on the cluster bridge's gateway address, which
# the host and every pod reach.
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
APISERVER_PORT=16443
CONTROLLER_MANAGER_PORT=20257
SCHEDULER_PORT=20259
APISERVER_URL=https://$CLUSTER_GATEWAY:$APISERVER_PORT

# The real nodes: name and index (address 10.246.0.<10+index>, pod range 10.246.<index>.0/24).
# Each kubelet listens on its own node address, so both use the usual port 10250.
CLUSTER_NODES=(kube-a kube-b)
KUBELET_PORT=10250

# The images the nodes hold (imported, never pulled).
PAUSE_IMAGE=registry.k8s.io/pause:shadow
WORKLOAD_IMAGE=shadow.local/workload:dev

# go_env: a Go toolchain on PATH (the local install's, when it is not on PATH yet).
go_env() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH=$PATH:/usr/local/go/bin
  fi
  command -v go >/dev/null 2>&1 || die "Go (1.26 or newer) is needed to build the cluster's binaries"
}

# node_index NAME: 1 for the first real node, 2 for the second.
node_index() {
  local i
  for i in "${!CLUSTER_NODES[@]}"; do
    if [[ ${CLUSTER_NODES[$i]} == "$1" ]]; then
      echo $((i + 1))
      return 0
    fi
  done
  die "unknown node '$1'"
}
node_ip() { echo "10.246.0.$((10 + $(node_index "$1")))"; }
node_pod_cidr() { echo "10.246.$(node_index "$1").0/24"; }
node_dir() { echo "$CLUSTER_STATE/nodes/$1"; }
node_containerd_socket() { echo "$(node_dir "$1")/containerd/containerd.sock"; }

# ensure_daemon NAME HEALTH TIMEOUT_S CMD...: makes sure the daemon NAME (pid file
# cluster-NAME, log cluster-NAME.log) runs CMD and passes HEALTH (a command) within TIMEOUT_S.
# A daemon already running with the same command line and the same inputs (the files listed in
# DAEMON_INPUTS, e.g. its config) is left alone; otherwise it is restarted.
DAEMON_INPUTS=()
ensure_daemon() {
  local name=$1 health=$2 timeout=$3
  shift 3
  local signature pid signature_file=$CLUSTER_STATE/run/$name.signature
  mkdir -p "$CLUSTER_STATE/run"
  signature=$(printf '%q ' "$@")
  if ((${#DAEMON_INPUTS[@]} > 0)); then
    signature+=$(cat "${DAEMON_INPUTS[@]}" | sha256sum)
  fi
  if pid=$(cluster_daemon_pid "$name"); then
    if [[ $(cat "$signature_file" 2>/dev/null) == "$signature" ]] &&
      wait_until "$timeout" "$name health" "$health" 2>/dev/null; then
      return 0
    fi
    log "$name changed or unhealthy: restarting it"
    stop_cluster_daemon "$name"
  fi
  start_daemon "cluster-$name" "$@"
  printf '%s' "$signature" >"$signature_file"
  pid=$(<"$(pid_file "cluster-$name")")
  local deadline=$((SECONDS + timeout))
  until "$health" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_log "cluster-$name" 40
      die "$name exited during start-up (log: $SHADOW_LOG_DIR/cluster-$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail_log "cluster-$name" 40
      die "$name not healthy after ${timeout}s (log: $SHADOW_LOG_DIR/cluster-$name.log)"
    fi
    sleep 0.2
  done
}

# stop_cluster_daemon NAME: SIGTERM, SIGKILL after 30 s.
stop_cluster_daemon() {
  stop_daemon "cluster-$1" "$CLUSTER_STATE" 30
  rm -f "$CLUSTER_STATE/run/$1.signature"
}

# cluster_daemon_pid NAME: the daemon's pid, when it runs.
cluster_daemon_pid() { running_pid "cluster-$1" "$CLUSTER_STATE"; }
