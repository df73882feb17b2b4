#!/usr/bin/env bash
# One line per piece of the local stack, then whether each daemon passes its health check.
# Exit status 0 when every daemon is running and healthy, 3 otherwise.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

here=$SHADOW_REPO_ROOT/deploy/local
bridge=${SHADOW_BRIDGE:-shadow0}
rc=0

check() {
  local name=$1
  if ! bash "$here/$name.sh" status; then
    rc=3
    return 0
  fi
  if bash "$here/$name.sh" health >/dev/null 2>&1; then
    echo "  $name: healthy"
  else
    echo "  $name: UNHEALTHY (log: $SHADOW_LOG_DIR/$name.log)"
    rc=3
  fi
}

check kafka
check jaeger
if [[ -f $here/registry.sh ]]; then check registry; fi

if ip -4 -o addr show dev "$bridge" 2>/dev/null | grep -q ' 10\.213\.0\.1/'; then
  echo "network: bridge $bridge up (10.213.0.1/24)"
else
  echo "network: bridge $bridge absent"
fi
nodes=()
for node_json in "$SHADOW_STATE"/nodes/*/node.json; do
  [[ -f $node_json ]] && nodes+=("$(basename "$(dirname "$node_json")")")
done
echo "nodes: ${nodes[*]:-none}"
echo "state: $SHADOW_STATE (logs in $SHADOW_LOG_DIR), cache: $SHADOW_CACHE"
exit "$rc"
