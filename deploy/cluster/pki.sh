#!/usr/bin/env bash
# The cluster's credentials, made once and kept in $SHADOW_STATE/cluster/pki:
#
#   ca.crt/key              the cluster CA (signs the certificates below)
#   apiserver.crt/key       the API server's serving certificate (10.246.0.1, 127.0.0.1, ...)
#   kubelet-client.crt/key  the API server's client certificate towards the kubelets
#   sa.key/pub              the service-account token signing key pair
#   tokens.csv              static bearer tokens: admin (system:masters), one per kubelet
#                           (system:node:<node>, for the Node authorizer), the controller
#                           manager, the scheduler and kwok, each under its well-known user
#   *.kubeconfig            one per client, carrying the CA and its token
#
# The admin kubeconfig is $SHADOW_STATE/cluster/admin.kubeconfig. Idempotent: only what is
# missing is made (the serving certificate again when its address list changed).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

APISERVER_SANS="IP:$CLUSTER_GATEWAY,IP:127.0.0.1,IP:${SERVICE_CIDR%.0/*}.1,DNS:localhost,DNS:kubernetes"
APISERVER_SANS+=",DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"

# sign NAME SUBJECT EXTENSIONS: a key and a certificate signed by the CA, valid ten years.
sign() {
  local name=$1 subject=$2 extensions=$3
  openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile <(printf '%s\n' "$extensions") -out "$name.crt" 2>/dev/null
  rm -f "$name.csr"
  chmod 600 "$name.key"
}

# token USER UID GROUPS: the user's token line, made once (tokens.csv keeps existing ones).
token() {
  local user=$1 uid=$2 groups=$3
  grep -q ",$user,$uid\(,\|$\)" tokens.csv 2>/dev/null && return 0
  if [[ -n $groups ]]; then
    printf '%s,%s,%s,"%s"\n' "$(openssl rand -hex 24)" "$user" "$uid" "$groups" >>tokens.csv
  else
    printf '%s,%s,%s\n' "$(openssl rand -hex 24)" "$user" "$uid" >>tokens.csv
  fi
}

# kubeconfig FILE USER: a kubeconfig for USER's token against the API server.
kubeconfig() {
  local file=$1 user=$2 secret
  secret=$(awk -F, -v user="$user" '$2 == user { print $1 }' tokens.csv)
  [[ -n $secret ]] || die "no token for $user"
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: shadow
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 ca.crt)
users:
- name: $user
  user:
    token: $secret
contexts:
- name: shadow
  context:
    cluster: shadow
    user: $user
current-context: shadow
EOF
  chmod 600 "$file.tmp"
  mv "$file.tmp" "$file"
}

need_cmd openssl openssl
mkdir -p "$CLUSTER_PKI"
chmod 700 "$CLUSTER_PKI"
cd "$CLUSTER_PKI"

if [[ ! -f ca.crt ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj "/CN=shadow-cluster-ca" \
    -days 3650 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out ca.crt 2>/dev/null
  chmod 600 ca.key
  rm -f apiserver.crt kubelet-client.crt
fi
if [[ ! -f apiserver.crt || $(cat apiserver.sans 2>/dev/null) != "$APISERVER_SANS" ]]; then
  sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$APISERVER_SANS"
  echo "$APISERVER_SANS" >apiserver.sans
fi
if [[ ! -f kubelet-client.crt ]]; then
  sign kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
fi
# The eviction webhook's serving certificate (deploy/k8s/base/admission/evictions.yaml): the
# migration controller's Service, as the API server names it.
WEBHOOK_SANS="DNS:shadow-migration-controller.shadow-system.svc"
if [[ ! -f webhook.crt || $(cat webhook.sans 2>/dev/null) != "$WEBHOOK_SANS" ]]; then
  sign webhook "/CN=shadow-migration-controller" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$WEBHOOK_SANS"
  echo "$WEBHOOK_SANS" >webhook.sans
fi
if [[ ! -f sa.key ]]; then
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 600 sa.key
fi

touch tokens.csv
chmod 600 tokens.csv
token admin admin system:masters
token system:kube-controller-manager kube-controller-manager ""
token system:kube-scheduler kube-scheduler ""
token kwok kwok system:masters
for node in "${CLUSTER_NODES[@]}"; do token "system:node:$node" "node-$node" system:nodes; done

kubeconfig "$CLUSTER_KUBECONFIG" admin
kubeconfig controller-manager.kubeconfig system:kube-controller-manager
kubeconfig scheduler.kubeconfig system:kube-scheduler
kubeconfig kwok.kubeconfig kwok
for node in "${CLUSTER_NODES[@]}"; do kubeconfig "kubelet-$node.kubeconfig" "system:node:$node"; done
