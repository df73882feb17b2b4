#!/usr/bin/env bash
# The control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, each a
# daemon of the host (logs: $SHADOW_STATE/log/cluster-<name>.log).
#
#   control-plane.sh start   start what is not running (or runs with other flags), wait healthy
#   control-plane.sh stop    stop all four, newest first; etcd's data stays
#
# etcd       http://127.0.0.1:12379, data in $SHADOW_STATE/cluster/etcd (no fsync: test data)
# apiserver  https://10.246.0.1:16443, static tokens, Node+RBAC authorization
# controller-manager, scheduler   127.0.0.1:20257 and :20259 (health only)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

etcd_healthy() { [[ $(curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health") == *'"health":"true"'* ]]; }
apiserver_healthy() { curl -fsS --max-time 3 --cacert "$CLUSTER_PKI/ca.crt" "$APISERVER_URL/readyz" >/dev/null; }
controller_manager_healthy() { curl -fsSk --max-time 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" >/dev/null; }
scheduler_healthy() { curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz" >/dev/null; }

start_etcd() {
  local peer=http://127.0.0.1:$ETCD_PEER_PORT client=http://127.0.0.1:$ETCD_CLIENT_PORT
  # --unsafe-no-fsync: the cluster is for tests and the demo and is rebuilt at will; fsync on
  # every write costs a busy two-core CI machine more than the data is worth.
  ensure_daemon etcd etcd_healthy 60 "$ETCD_BIN/etcd" --name=shadow \
    --data-dir="$CLUSTER_STATE/etcd" --listen-client-urls="$client" --advertise-client-urls="$client" \
    --listen-peer-urls="$peer" --initial-advertise-peer-urls="$peer" \
    --initial-cluster="shadow=$peer" --initial-cluster-state=new --unsafe-no-fsync \
    --log-level=warn
}

start_apiserver() {
  local pki=$CLUSTER_PKI
  DAEMON_INPUTS=("$pki/tokens.csv" "$pki/apiserver.crt")
  # --endpoint-reconciler-type=none: a single API server needs no endpoint leases, and the
  # `kubernetes` Service has no kube-proxy behind it anyway. --enable-aggregator-routing: with
  # no kube-proxy, the API server reaches a webhook's Service at its endpoints, not its IP.
  ensure_daemon apiserver apiserver_healthy 120 "$KUBERNETES_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address="$CLUSTER_GATEWAY" --advertise-address="$CLUSTER_GATEWAY" \
    --secure-port="$APISERVER_PORT" --endpoint-reconciler-type=none \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --kubelet-client-certificate="$pki/kubelet-client.crt" \
    --kubelet-client-key="$pki/kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    --profiling=false --cert-dir="$CLUSTER_STATE/apiserver" \
    --enable-aggregator-routing=true
  DAEMON_INPUTS=()
}

start_controller_manager() {
  local pki=$CLUSTER_PKI kubeconfig=$CLUSTER_PKI/controller-manager.kubeconfig
  DAEMON_INPUTS=("$kubeconfig")
  # All default controllers (StatefulSet, garbage collector, service accounts, node
  # lifecycle, ...), each under its own service account.
  ensure_daemon controller-manager controller_manager_healthy 60 \
    "$KUBERNETES_BIN/kube-controller-manager" --kubeconfig="$kubeconfig" \
    --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" \
    --cert-dir="$CLUSTER_STATE/controller-manager" --leader-elect=false \
    --use-service-account-credentials=true --root-ca-file="$pki/ca.crt" \
    --service-account-private-key-file="$pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-name=shadow --profiling=false
  DAEMON_INPUTS=()
}

start_scheduler() {
  local kubeconfig=$CLUSTER_PKI/scheduler.kubeconfig
  DAEMON_INPUTS=("$kubeconfig")
  ensure_daemon scheduler scheduler_healthy 60 "$KUBERNETES_BIN/kube-scheduler" \
    --kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" \
    --authorization-kubeconfig="$kubeconfig" --bind-address=127.0.0.1 \
    --secure-port="$SCHEDULER_PORT" --cert-dir="$CLUSTER_STATE/scheduler" --leader-elect=false \
    --profiling=false
  DAEMON_INPUTS=()
}

case ${1:-} in
  start)
    need_cmd curl curl
    start_etcd
    start_apiserver
    start_controller_manager
    start_scheduler
    ;;
  stop)
    for name in scheduler controller-manager apiserver etcd; do stop_cluster_daemon "$name"; done
    ;;
  *) die "usage: $0 start|stop" ;;
esac
