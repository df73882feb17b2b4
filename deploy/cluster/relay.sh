#!/usr/bin/env bash
# The OTLP relay: the local stack's Jaeger takes traces on loopback only (127.0.0.1:4318), which
# no pod reaches. The relay listens on the cluster bridge's gateway address, which every pod
# reaches, and passes each connection on to Jaeger unchanged: pods export their traces to
# http://10.246.0.1:4318 (deploy/k8s/overlays/local sets OTEL_EXPORTER_OTLP_ENDPOINT so).
#
#   relay.sh start | stop
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

OTLP_PORT=4318
relay_healthy() { port_open "$CLUSTER_GATEWAY" "$OTLP_PORT"; }

start() {
  need_cmd socat socat
  # -lf: socat's own messages (errors only), in the cluster's state, which also marks the
  # command line as the cluster's (how the daemon helpers tell their processes).
  ensure_daemon otlp-relay relay_healthy 10 "$(command -v socat)" -lf "$CLUSTER_STATE/run/otlp-relay.log" \
    "TCP-LISTEN:$OTLP_PORT,bind=$CLUSTER_GATEWAY,fork,reuseaddr" "TCP:127.0.0.1:$OTLP_PORT"
}

case ${1:-} in
  start) start ;;
  stop) stop_cluster_daemon otlp-relay ;;
  *) die "usage: $0 start|stop" ;;
esac
