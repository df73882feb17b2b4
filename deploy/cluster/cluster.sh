#!/usr/bin/env bash
# A real Kubernetes cluster on this machine, for tests and the demo (README.md beside this file
# says what it provides). Idempotent and locked, like the local stack.
#
#   cluster.sh up               build what is missing (cold: ~15 min), start what is not running
#   cluster.sh down [--purge]   stop everything, remove every pod and the bridge;
#                               --purge also deletes the cluster's state (etcd, nodes, images)
#   cluster.sh status           one line per daemon, then the nodes; exit 3 unless all run
#   cluster.sh kubeconfig       print the admin kubeconfig's path
#   cluster.sh info             what the cluster provides, as JSON (README.md explains it)
#   cluster.sh kubectl ARGS...  the cluster's kubectl with the admin kubeconfig
#   cluster.sh crictl|ctr NODE ARGS...   crictl / ctr (namespace k8s.io) against NODE's containerd
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

# The CRIU options for a checkpoint through the kubelet: pods name this file in their
# annotation org.criu.config. There is no iptables here (nftables locks the network), and the
# workloads hold live TCP connections (to Kafka), which CRIU dumps only when told to.
CRIU_CHECKPOINT_CONFIG=$CLUSTER_STATE/criu/checkpoint.conf

kubectl_admin() { "$KUBERNETES_BIN/kubectl" --kubeconfig "$CLUSTER_KUBECONFIG" "$@"; }

default_service_account() { kubectl_admin get serviceaccount default -n default >/dev/null 2>&1; }

write_criu_config() {
  mkdir -p "${CRIU_CHECKPOINT_CONFIG%/*}"
  printf '%s\n' "network-lock nftables" "tcp-established" "skip-in-flight" \
    >"$CRIU_CHECKPOINT_CONFIG.tmp"
  mv "$CRIU_CHECKPOINT_CONFIG.tmp" "$CRIU_CHECKPOINT_CONFIG"
}

# step DESCRIPTION CMD...: runs CMD, logging how long it took when that was noticeable.
step() {
  local what=$1 t=$SECONDS
  shift
  "$@" || die "$what failed"
  if ((SECONDS - t > 3)); then log "$what took $((SECONDS - t))s"; fi
}

up() {
  local started=$SECONDS here=$SHADOW_REPO_ROOT/deploy/local node
  step "build" bash "$CLUSTER_SRC/build.sh"
  # The local stack's CRIU and runc, shared with it (their scripts are idempotent and quick).
  step "criu and runc" flock -w 1800 "$SHADOW_RUN_DIR/stack.lock" \
    bash -c 'bash "$1/criu.sh" && bash "$1/runc.sh"' _ "$here"
  step "network" bash "$CLUSTER_SRC/network.sh" up
  step "credentials" bash "$CLUSTER_SRC/pki.sh"
  write_criu_config
  step "control plane" bash "$CLUSTER_SRC/control-plane.sh" start
  step "images" bash "$CLUSTER_SRC/images.sh" build
  # The nodes start side by side: importing the images into each containerd is most of it.
  local pids=() t=$SECONDS failed=0
  for node in "${CLUSTER_NODES[@]}"; do
    bash "$CLUSTER_SRC/node.sh" start "$node" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || {
      log "node ${CLUSTER_NODES[$i]} failed to start"
      failed=1
    }
  done
  ((failed == 0)) || die "nodes failed"
  if ((SECONDS - t > 3)); then log "nodes took $((SECONDS - t))s"; fi
  step "kwok" bash "$CLUSTER_SRC/kwok.sh" start
  # Pods are refused until the controller manager made the namespace's service account.
  wait_until 60 "the default service account" default_service_account ||
    die "no default service account: see $SHADOW_LOG_DIR/cluster-controller-manager.log"
  log "cluster up in $((SECONDS - started))s: $APISERVER_URL, nodes ${CLUSTER_NODES[*]}, kubeconfig $CLUSTER_KUBECONFIG"
}

down() {
  local purge=0 node
  case ${1:-} in
    --purge) purge=1 ;;
    "") ;;
    *) die "usage: $0 down [--purge]" ;;
  esac
  bash "$CLUSTER_SRC/kwok.sh" stop
  for node in "${CLUSTER_NODES[@]}"; do bash "$CLUSTER_SRC/node.sh" stop "$node"; done
  bash "$CLUSTER_SRC/control-plane.sh" stop
  bash "$CLUSTER_SRC/network.sh" down
  if ((purge)); then
    if [[ $(findmnt -rn -o TARGET) == *"$CLUSTER_STATE/"* ]]; then
      die "mounts are left under $CLUSTER_STATE: not deleting it"
    fi
    log "deleting $CLUSTER_STATE"
    rm -rf --one-file-system "${CLUSTER_STATE:?}"
  fi
  log "cluster down"
}

info() {
  local nodes="[]" node dir
  for node in "${CLUSTER_NODES[@]}"; do
    dir=$(node_dir "$node")
    nodes=$(jq -c --arg name "$node" --arg ip "$(node_ip "$node")" --arg pods "$(node_pod_cidr "$node")" \
      --arg socket "$(node_containerd_socket "$node")" --arg kubelet "$dir/kubelet" \
      --arg runc "$dir/runc" --arg cgroup "/$node" --arg crictl "$dir/crictl.yaml" \
      '. + [{name: $name, ip: $ip, podCidr: $pods, kubeletPort: 10250, containerdSocket: $socket,
        containerdNamespace: "k8s.io", kubeletRoot: $kubelet, checkpointDir: ($kubelet + "/checkpoints"),
        runcRoot: $runc, cgroupRoot: $cgroup, crictlConfig: $crictl}]' <<<"$nodes")
  done
  jq -n --arg api "$APISERVER_URL" --arg kubeconfig "$CLUSTER_KUBECONFIG" \
    --arg ca "$CLUSTER_PKI/ca.crt" --argjson nodes "$nodes" --arg criu "$CRIU_CHECKPOINT_CONFIG" \
    --arg pause "$PAUSE_IMAGE" --arg workload "$WORKLOAD_IMAGE" --arg bridge "$CLUSTER_BRIDGE" \
    --arg gateway "$CLUSTER_GATEWAY" --arg kubectl "$KUBERNETES_BIN/kubectl" \
    --arg crictl "$CRI_TOOLS_BIN/crictl" --arg ctr "$CONTAINERD_BIN/ctr" --arg version "$KUBERNETES_VERSION" \
    '{kubernetesVersion: $version, apiServer: $api, kubeconfig: $kubeconfig, caFile: $ca,
      bridge: $bridge, gateway: $gateway, nodes: $nodes,
      fakeNodeAnnotation: {"kwok.x-k8s.io/node": "fake"},
      criuCheckpointConfig: $criu, criuConfigAnnotation: "org.criu.config",
      images: {pause: $pause, workload: $workload},
      tools: {kubectl: $kubectl, crictl: $crictl, ctr: $ctr}}'
}

status() {
  local rc=0 name pid
  for name in etcd apiserver controller-manager scheduler \
    $(for node in "${CLUSTER_NODES[@]}"; do echo "containerd-$node kubelet-$node"; done) kwok; do
    if pid=$(cluster_daemon_pid "$name"); then
      echo "$name: running (pid $pid)"
    else
      echo "$name: stopped"
      rc=3
    fi
  done
  echo "api server: $APISERVER_URL, kubeconfig: $CLUSTER_KUBECONFIG"
  if ((rc == 0)); then kubectl_admin get nodes -o wide || rc=3; fi
  return "$rc"
}

case ${1:-} in
  up)
    with_lock cluster "$@"
    up
    ;;
  down)
    with_lock cluster "$@"
    shift
    down "$@"
    ;;
  status) status ;;
  kubeconfig)
    [[ -f $CLUSTER_KUBECONFIG ]] || die "no kubeconfig yet: run $0 up"
    echo "$CLUSTER_KUBECONFIG"
    ;;
  info) info ;;
  kubectl)
    shift
    kubectl_admin "$@"
    ;;
  crictl | ctr)
    tool=$1
    node=${2:?usage: $0 $1 NODE ARGS...}
    node_index "$node" >/dev/null
    shift 2
    if [[ $tool == crictl ]]; then
      exec "$CRI_TOOLS_BIN/crictl" --config "$(node_dir "$node")/crictl.yaml" "$@"
    fi
    exec "$CONTAINERD_BIN/ctr" --address "$(node_containerd_socket "$node")" --namespace k8s.io "$@"
    ;;
  *) die "usage: $0 up|down [--purge]|status|kubeconfig|info|kubectl ARGS|crictl NODE ARGS|ctr NODE ARGS" ;;
esac
