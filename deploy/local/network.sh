#!/usr/bin/env bash
# Creates the bridge every node and instance network namespace hangs off: `shadow0`, with the
# gateway address 10.213.0.1/24 in the root namespace. Host services that instances must reach
# (Kafka's NODES listener on 10.213.0.1:9094, test servers) listen on that address.
#
# No IP forwarding and no NAT: instances only talk to 10.213.0.0/24 (each other over the
# bridge, the host on 10.213.0.1), which needs neither. Idempotent.
#
#   network.sh          create the bridge (if missing)
#   network.sh down     remove it (and with it every port still attached)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib-debian.sh
. "$here/lib-debian.sh"

bridge="${SHADOW_BRIDGE:-shadow0}"
gateway="10.213.0.1/24"

if [ "${1:-up}" = "down" ]; then
  ip link del "$bridge" 2>/dev/null || true
  log "bridge $bridge removed"
  exit 0
fi

command -v ip >/dev/null || apt_install iproute2
if ! ip link show "$bridge" >/dev/null 2>&1; then
  ip link add "$bridge" type bridge
fi
if ! ip -4 addr show dev "$bridge" | grep -q "inet ${gateway%/*}/"; then
  ip addr add "$gateway" dev "$bridge"
fi
# Pin the bridge's MAC. Left to itself a bridge takes the lowest MAC of its ports, so an
# instance's veth joining or leaving can change it. Peers that cached the old one for
# 10.213.0.1 then lose packets until ARP resolves again, and the host flushes its own ARP
# entries. TCP saw stalls of 200-400 ms (one retransmission timeout or two) each time an
# instance came or went. Setting the address, even to the one it has, stops that.
# addr_assign_type 3 is NET_ADDR_SET.
if [ "$(cat "/sys/class/net/$bridge/addr_assign_type")" != 3 ]; then
  ip link set "$bridge" address "$(cat "/sys/class/net/$bridge/address")"
fi
ip link set "$bridge" up
log "bridge $bridge up ($gateway, MAC $(cat "/sys/class/net/$bridge/address") pinned)"
