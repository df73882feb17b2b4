#!/usr/bin/env bash
# The cluster's network: one bridge, shadowk0, in the root namespace, holding the gateway
# (10.246.0.1/16, where the API server listens) and one address per real node (10.246.0.11,
# 10.246.0.12: each kubelet's --node-ip). It is also the CNI bridge every pod's veth joins;
# each node's pods take addresses from the node's own /24 (10.246.1.0/24, 10.246.2.0/24) of
# the same /16, so pods, nodes and the host reach each other directly over the bridge.
#
# Node addresses are not loopback (a kubelet refuses them) and this kernel has no dummy
# links, hence a bridge. It is apart from the local stack's shadow0 (10.213.0.0/24); a pod
# reaches the local stack's host services (Kafka's 10.213.0.1:9094) because that address is
# the host's own: no forwarding or NAT is involved.
#
#   network.sh up | down
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

# (The address list is read whole first: `grep -q` closing a pipe early fails under pipefail.)
has_address() { [[ $(ip -4 -o addr show dev "$CLUSTER_BRIDGE") == *" $1/"* ]]; }

up() {
  need_cmd ip iproute2
  if ! ip link show "$CLUSTER_BRIDGE" >/dev/null 2>&1; then
    ip link add "$CLUSTER_BRIDGE" type bridge
  fi
  local address node
  for address in "$CLUSTER_GATEWAY" $(for node in "${CLUSTER_NODES[@]}"; do node_ip "$node"; done); do
    # The gateway first: it is the primary address, the source of the host's own packets.
    has_address "$address" || ip addr add "$address/$CLUSTER_PREFIX" dev "$CLUSTER_BRIDGE"
  done
  # A bridge takes the lowest MAC of its ports unless set: pinned, pods joining or leaving
  # never change the gateway's MAC under the others (see deploy/local/network.sh).
  if [[ $(cat "/sys/class/net/$CLUSTER_BRIDGE/addr_assign_type") != 3 ]]; then
    ip link set "$CLUSTER_BRIDGE" address "$(cat "/sys/class/net/$CLUSTER_BRIDGE/address")"
  fi
  ip link set "$CLUSTER_BRIDGE" up
}

down() {
  if ip link show "$CLUSTER_BRIDGE" >/dev/null 2>&1; then
    ip link del "$CLUSTER_BRIDGE"
    log "bridge $CLUSTER_BRIDGE removed"
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) die "usage: $0 up|down" ;;
esac
