#!/usr/bin/env bash
# shadow's node agent on each real node of the local cluster, as a host process per node (a
# privileged DaemonSet does the same job on a real cluster): it listens on its node's address
# (port 10290), talks to that node's containerd (crictl, ctr), runc and CRIU, and the local
# stack's registry. The kubernetes adapter finds it at the node's InternalIP.
#
#   agents.sh start | stop | info        info: the port and the token file, as JSON
#
# Logs: $SHADOW_LOG_DIR/cluster-agent-<node>.log; state: $SHADOW_STATE/cluster/agents/<node>.
# Each node's own settings (its containerd, kubelet checkpoint directory and tools) are written
# to $SHADOW_STATE/cluster/agents/<node>.env, read by these agents and by the node agent
# DaemonSet of deploy/k8s/overlays/local (SHADOW_AGENT_ENV_FILE).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

AGENT_PORT=10290
AGENT_TOKEN_FILE=$CLUSTER_PKI/agent.token
AGENT_IP=

agent_healthy() { curl -fsS --max-time 2 "http://$AGENT_IP:$AGENT_PORT/healthz" >/dev/null; }

token() {
  if [[ ! -s $AGENT_TOKEN_FILE ]]; then
    mkdir -p "$CLUSTER_PKI"
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$AGENT_TOKEN_FILE.tmp")
    mv "$AGENT_TOKEN_FILE.tmp" "$AGENT_TOKEN_FILE"
  fi
  cat "$AGENT_TOKEN_FILE"
}

# node_settings NODE: the settings file of NODE's agents, written when it changed.
node_settings() {
  local node=$1 dir file
  dir=$(node_dir "$node")
  file=$CLUSTER_STATE/agents/$node.env
  mkdir -p "$CLUSTER_STATE/agents"
  printf '%s\n' "SHADOW_AGENT_CONTAINERD=$(node_containerd_socket "$node")" \
    "SHADOW_AGENT_CHECKPOINT_DIR=$dir/kubelet/checkpoints" \
    "SHADOW_STATE=$SHADOW_STATE" "SHADOW_CACHE=$SHADOW_CACHE" "SHADOW_RUNC=$(command -v runc)" \
    "SHADOW_CTR=$CONTAINERD_BIN/ctr" "SHADOW_CRICTL=$CRI_TOOLS_BIN/crictl" >"$file.tmp"
  if cmp -s "$file.tmp" "$file"; then rm "$file.tmp"; else mv "$file.tmp" "$file"; fi
  echo "$file"
}

start() {
  local node settings code
  token >/dev/null
  # A changed agent (its code, the image code it packs with, its node's settings) is restarted.
  mapfile -t code < <(find "$SHADOW_REPO_ROOT/agent/src" "$SHADOW_REPO_ROOT/runtime/src/image" \
    "$SHADOW_REPO_ROOT/runtime/src/kubernetes/agent-protocol.ts" -name '*.ts' ! -name '*.test.ts' | sort)
  for node in "${CLUSTER_NODES[@]}"; do
    settings=$(node_settings "$node")
    DAEMON_INPUTS=("${code[@]}" "$settings")
    AGENT_IP=$(node_ip "$node")
    ensure_daemon "agent-$node" agent_healthy 60 env \
      SHADOW_AGENT_NODE="$node" SHADOW_AGENT_HOST="$AGENT_IP" SHADOW_AGENT_PORT="$AGENT_PORT" \
      SHADOW_AGENT_TOKEN_FILE="$AGENT_TOKEN_FILE" SHADOW_AGENT_STATE="$CLUSTER_STATE/agents/$node" \
      node --env-file="$settings" --import "$SHADOW_REPO_ROOT/node_modules/tsx/dist/esm/index.mjs" \
      "$SHADOW_REPO_ROOT/agent/src/main.ts" "$CLUSTER_STATE/agents/$node"
  done
}

stop() {
  local node
  for node in "${CLUSTER_NODES[@]}"; do stop_cluster_daemon "agent-$node"; done
}

info() {
  jq -n --argjson port "$AGENT_PORT" --arg token "$AGENT_TOKEN_FILE" '{port: $port, tokenFile: $token}'
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  info) info ;;
  *) die "usage: $0 start|stop|info" ;;
esac
