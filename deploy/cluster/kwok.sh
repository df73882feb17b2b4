#!/usr/bin/env bash
# kwok: fake nodes where only the API matters (scheduling, unschedulable or unknown targets).
# It manages only the nodes annotated `kwok.x-k8s.io/node: fake` and leaves the real ones
# alone: a Node object created with that annotation becomes Ready, with a lease kwok renews,
# and pods bound to it become Running and Ready without running anything.
#
#   kwok.sh start | stop      health: http://127.0.0.1:20260/healthz
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

KWOK_HEALTH_PORT=20260
kwok_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$KWOK_HEALTH_PORT/healthz" >/dev/null; }

start() {
  local stages
  # kwok does nothing without stage definitions: the node and pod life cycles it plays.
  stages=$(printf '%s,' "$KWOK_BIN"/stages/*.yaml)
  ensure_daemon kwok kwok_healthy 60 "$KWOK_BIN/kwok" --kubeconfig="$CLUSTER_PKI/kwok.kubeconfig" \
    --config="${stages%,}" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=40 --cidr=10.248.0.0/16 \
    --server-address="127.0.0.1:$KWOK_HEALTH_PORT"
}

case ${1:-} in
  start) start ;;
  stop) stop_cluster_daemon kwok ;;
  *) die "usage: $0 start|stop" ;;
esac
