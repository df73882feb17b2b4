#!/usr/bin/env bash
# A real node: its own containerd (runc + CRIU, CNI bridge) and a kubelet, both daemons of the
# host, everything under $SHADOW_STATE/cluster/nodes/<node> (see README.md for the layout).
#
#   node.sh start NODE   start containerd, import the images, start the kubelet; wait Ready
#   node.sh stop NODE    stop the kubelet, remove every pod of the node, stop containerd
#   node.sh lose NODE    stop the kubelet only: its containers run on while the control plane
#                        loses the node (NotReady after its grace period), as when a kubelet
#                        dies; `start` brings it back
#
# Two kubelets cannot share a container runtime (each kills the pods it does not know), so
# each node has a containerd of its own: own root, state, socket and runc root.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

node=${2:-}
[[ -n $node ]] || die "usage: $0 start|stop|lose NODE"
dir=$(node_dir "$node")
ip=$(node_ip "$node")
socket=$(node_containerd_socket "$node")
# The kubelet writes these host-wide sysctls at start unless protectKernelDefaults is set, and
# with it set refuses to start unless they already hold its values. The shared machine keeps
# its own: they are saved before the first kubelet starts and put back once it runs (the
# kubelet sets them once, at start).
KERNEL_TUNABLES=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
SAVED_TUNABLES=$CLUSTER_STATE/sysctl.saved

containerd_healthy() { "$CONTAINERD_BIN/ctr" --address "$socket" version >/dev/null; }
kubelet_healthy() { curl -fsS --max-time 2 "http://$ip:10248/healthz" >/dev/null; }
ctr_node() { "$CONTAINERD_BIN/ctr" --address "$socket" --namespace k8s.io "$@"; }
crictl_node() { "$CRI_TOOLS_BIN/crictl" --config "$dir/crictl.yaml" "$@"; }

# The kubelet's cgroupRoot must exist in every cgroup v1 hierarchy before it starts, with
# cpuset's cpus and mems filled in (a new cpuset is empty, and nothing can join an empty one).
# On a cgroup v2 host (no v1 hierarchies under a tmpfs) one directory is all there is.
NODE_CPU_SHARES=8192
prepare_cgroups() {
  local hierarchy
  if [[ $(stat -fc %T /sys/fs/cgroup) != tmpfs ]]; then
    mkdir -p "/sys/fs/cgroup/$node"
    return 0
  fi
  for hierarchy in /sys/fs/cgroup/*/; do
    hierarchy=${hierarchy%/}
    [[ ${hierarchy##*/} == unified ]] && continue
    [[ -f $hierarchy/cgroup.procs ]] || continue
    mkdir -p "$hierarchy/$node"
  done
  if [[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$node/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$node/cpuset.mems"
  fi
  # A node's pods weigh as much as 8 ordinary processes, as the local runtime's instances do
  # (runtime/src/local/cpu-weight.ts): with the default 1024 a node's whole cgroup counted as
  # one process, and on a loaded machine a pod's main thread stayed runnable for seconds (a
  # source that answered no probe for 20 s right after its checkpoint).
  if [[ -f /sys/fs/cgroup/cpu/$node/cpu.shares ]]; then
    echo "$NODE_CPU_SHARES" >"/sys/fs/cgroup/cpu/$node/cpu.shares"
  fi
}

write_configs() {
  local range=${1%.0/24}
  mkdir -p "$dir/containerd" "$dir/cni/net.d" "$dir/kubelet" "$dir/pod-logs" "$dir/runc"
  install -m 644 /dev/null "$dir/cni/net.d/10-shadow.conflist.tmp"
  sed -e "s#@BRIDGE@#$CLUSTER_BRIDGE#g" -e "s#@SUBNET@#${CLUSTER_GATEWAY%.1}.0/$CLUSTER_PREFIX#g" \
    -e "s#@RANGE_START@#$range.2#g" -e "s#@RANGE_END@#$range.254#g" \
    -e "s#@GATEWAY@#$CLUSTER_GATEWAY#g" -e "s#@IPAM_DIR@#$dir/cni/ipam#g" \
    "$CLUSTER_SRC/config/cni.conflist" >"$dir/cni/net.d/10-shadow.conflist.tmp"
  mv "$dir/cni/net.d/10-shadow.conflist.tmp" "$dir/cni/net.d/10-shadow.conflist"
  sed -e "s#@DIR@#$dir#g" -e "s#@SOCKET@#$socket#g" -e "s#@CNI_BIN@#$CNI_BIN#g" \
    -e "s#@PAUSE_IMAGE@#$PAUSE_IMAGE#g" -e "s#@RUNC@#$(command -v runc)#g" \
    "$CLUSTER_SRC/config/containerd.toml" >"$dir/containerd/config.toml"
  sed -e "s#@DIR@#$dir#g" -e "s#@SOCKET@#$socket#g" -e "s#@NODE_IP@#$ip#g" \
    -e "s#@NODE@#$node#g" -e "s#@POD_CIDR@#$1#g" -e "s#@CA@#$CLUSTER_PKI/ca.crt#g" \
    "$CLUSTER_SRC/config/kubelet.yaml" >"$dir/kubelet/config.yaml"
  printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' \
    "$socket" "$socket" >"$dir/crictl.yaml"
}

save_tunables() {
  [[ -f $SAVED_TUNABLES ]] && return 0
  local tmp
  tmp=$(mktemp "$SAVED_TUNABLES.XXXXXX")
  sysctl "${KERNEL_TUNABLES[@]}" >"$tmp" 2>/dev/null
  # Nodes start side by side: the first one's copy wins (taken before either kubelet ran).
  mv -n "$tmp" "$SAVED_TUNABLES"
  rm -f "$tmp"
}

restore_tunables() {
  [[ -f $SAVED_TUNABLES ]] || return 0
  local key value
  while IFS=' =' read -r key value; do
    [[ $(sysctl -n "$key" 2>/dev/null) == "$value" ]] || sysctl -q -w "$key=$value" >/dev/null
  done <"$SAVED_TUNABLES"
}

node_ready() {
  [[ $("$KUBERNETES_BIN/kubectl" --kubeconfig "$CLUSTER_KUBECONFIG" get node "$node" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

start() {
  local pod_cidr
  pod_cidr=$(node_pod_cidr "$node")
  need_cmd runc runc
  command -v criu >/dev/null || die "criu is not on PATH: run deploy/local/criu.sh first"
  prepare_cgroups
  write_configs "$pod_cidr"

  DAEMON_INPUTS=("$dir/containerd/config.toml" "$dir/cni/net.d/10-shadow.conflist")
  # The runc shim finds criu (the CRIU 4.2 wrapper) and the CNI plugins through PATH.
  ensure_daemon "containerd-$node" containerd_healthy 60 \
    env PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "$CONTAINERD_BIN/containerd" --config "$dir/containerd/config.toml"
  bash "$CLUSTER_SRC/images.sh" import "$node"

  save_tunables
  # Every kubelet binds the device-plugin socket at one fixed host path
  # (/var/lib/kubelet/device-plugins/kubelet.sock, not under --root-dir), removing what is there
  # first. Two kubelets starting together can both remove it before either binds; the second
  # bind then fails (EADDRINUSE) and that kubelet exits. So one kubelet starts at a time, until
  # its node is Ready (its container manager, which binds the socket, is up by then).
  local start_lock
  exec {start_lock}>"$CLUSTER_STATE/kubelet-start.lock"
  flock "$start_lock"
  DAEMON_INPUTS=("$dir/kubelet/config.yaml" "$CLUSTER_PKI/kubelet-$node.kubeconfig")
  ensure_daemon "kubelet-$node" kubelet_healthy 60 "$KUBERNETES_BIN/kubelet" \
    --config="$dir/kubelet/config.yaml" --kubeconfig="$CLUSTER_PKI/kubelet-$node.kubeconfig" \
    --root-dir="$dir/kubelet" --cert-dir="$dir/kubelet/pki" \
    --hostname-override="$node" --node-ip="$ip"
  DAEMON_INPUTS=()
  if ! wait_until 60 "node $node to be Ready" node_ready; then
    tail_log "cluster-kubelet-$node" 30
    die "node $node is not Ready (log: $SHADOW_LOG_DIR/cluster-kubelet-$node.log)"
  fi
  flock -u "$start_lock"
  exec {start_lock}>&-
  restore_tunables
}

# Every pod sandbox of the node, stopped and removed through the CRI, so no container, shim,
# mount or network namespace outlives the node.
remove_pods() {
  containerd_healthy 2>/dev/null || return 0
  crictl_node rmp --all --force >/dev/null 2>&1 || log "crictl rmp failed on $node"
}

# Mounts containerd left behind (sandbox /dev/shm, rootfs overlays, network namespaces),
# deepest first.
unmount_leftovers() {
  local target
  while read -r target; do
    [[ $target == "$dir/"* ]] && umount -l "$target" 2>/dev/null || true
  done < <(findmnt -rn -o TARGET | sort -r)
}

stop() {
  stop_cluster_daemon "kubelet-$node"
  restore_tunables
  remove_pods
  stop_cluster_daemon "containerd-$node"
  unmount_leftovers
}

lose() { stop_cluster_daemon "kubelet-$node"; }

case ${1:-} in
  start) start ;;
  stop) stop ;;
  lose) lose ;;
  *) die "usage: $0 start|stop|lose NODE" ;;
esac
