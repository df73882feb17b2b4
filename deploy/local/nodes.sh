#!/usr/bin/env bash
# Creates the local "nodes": each node is a network namespace with its own address on the
# bridge (10.213.0.10 + its index), a state directory and a capacity. Instances the runtime
# starts get their own network namespace (a pod address), owned by a node; see runtime/README.md.
#
#   nodes.sh                      ensure every node in SHADOW_NODES (default "node-a node-b")
#   nodes.sh add NAME [INSTANCES] [MEMORY_BYTES]   ensure one node (e.g. a test node)
#   nodes.sh remove NAME          remove a node: its namespace, veth and state directory
#
# Capacity: SHADOW_NODE_INSTANCES (default 8) instances and SHADOW_NODE_MEMORY bytes (default:
# 80% of this machine's memory divided by the number of nodes). Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib-debian.sh
. "$here/lib-debian.sh"

bridge="${SHADOW_BRIDGE:-shadow0}"
nodes_dir="$SHADOW_STATE/nodes"
read -r -a default_nodes <<<"$(echo "${SHADOW_NODES:-node-a node-b}" | tr ',' ' ')"

ip link show "$bridge" >/dev/null 2>&1 || bash "$here/network.sh"
mkdir -p "$nodes_dir"

mem_total() { echo $(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024)); }

# The address a node has, or the first free one in 10.213.0.10-99.
node_address() {
  local name="$1" f
  if [ -f "$nodes_dir/$name/node.json" ]; then
    sed -n 's/.*"address": *"\([0-9.]*\)".*/\1/p' "$nodes_dir/$name/node.json"
    return
  fi
  for i in $(seq 10 99); do
    local taken=0
    for f in "$nodes_dir"/*/node.json; do
      [ -f "$f" ] && grep -q "\"address\": *\"10.213.0.$i\"" "$f" && taken=1 && break
    done
    [ $taken -eq 0 ] && echo "10.213.0.$i" && return
  done
  die "no free node address left in 10.213.0.10-99"
}

add_node() {
  local name="$1" instances="${2:-${SHADOW_NODE_INSTANCES:-8}}" memory="${3:-}"
  [[ "$name" =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] || die "bad node name '$name'"
  if [ -z "$memory" ]; then
    memory="${SHADOW_NODE_MEMORY:-$(($(mem_total) * 8 / 10 / ${#default_nodes[@]}))}"
  fi
  local address veth
  address="$(node_address "$name")"
  veth="vn${address##*.}"
  mkdir -p "$nodes_dir/$name"
  [ -e "/var/run/netns/$name" ] || ip netns add "$name"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$name"
  fi
  ip link set "$veth" master "$bridge" up
  ip -n "$name" link set lo up
  ip -n "$name" link set eth0 up
  ip -n "$name" -4 addr show dev eth0 | grep -q "inet $address/" ||
    ip -n "$name" addr add "$address/24" dev eth0
  # A cordon or a drain (shadow node cordon/drain) outlives this script being run again.
  local marks="" mark
  for mark in cordoned draining; do
    grep -q "\"$mark\": *true" "$nodes_dir/$name/node.json" 2>/dev/null && marks="$marks, \"$mark\": true"
  done
  # Written last and atomically: the runtime treats a node as present once node.json exists.
  cat >"$nodes_dir/$name/node.json.tmp" <<JSON
{ "name": "$name", "address": "$address", "netns": "$name", "veth": "$veth",
  "capacity": { "instances": $instances, "memoryBytes": $memory }$marks }
JSON
  mv "$nodes_dir/$name/node.json.tmp" "$nodes_dir/$name/node.json"
  log "node $name at $address (capacity $instances instances, $((memory / 1048576)) MiB)"
}

remove_node() {
  local name="$1" veth
  if [ -f "$nodes_dir/$name/node.json" ]; then
    veth="$(sed -n 's/.*"veth": *"\([a-z0-9]*\)".*/\1/p' "$nodes_dir/$name/node.json")"
    [ -n "$veth" ] && ip link del "$veth" 2>/dev/null || true
  fi
  ip netns del "$name" 2>/dev/null || true
  # The node's cgroups (the runtime makes one per hierarchy), once no instance is left in them.
  local cg
  for cg in /sys/fs/cgroup/*/shadow/"$name"; do
    [ -d "$cg" ] && { rmdir "$cg" 2>/dev/null || log "cgroup $cg not empty: left in place"; }
  done
  rm -rf "${nodes_dir:?}/$name"
  log "node $name removed"
}

case "${1:-}" in
  add) add_node "${2:?usage: nodes.sh add NAME [INSTANCES] [MEMORY_BYTES]}" "${3:-}" "${4:-}" ;;
  remove) remove_node "${2:?usage: nodes.sh remove NAME}" ;;
  "") for n in "${default_nodes[@]}"; do add_node "$n"; done ;;
  *) die "unknown command '$1' (add, remove, or nothing)" ;;
esac
