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
ip link set "$bridge" up
log "bridge $bridge up ($gateway)"
