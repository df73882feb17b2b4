#!/usr/bin/env bash
# Installs and starts everything the local stack needs, in dependency order. Idempotent: when
# everything is installed and running it only checks health, in seconds.
#
#   network   bridge shadow0 (10.213.0.1/24) first, so Kafka opens its NODES listener on it
#   kafka     127.0.0.1:9092 (+ 10.213.0.1:9094 for containers in node namespaces)
#   jaeger    OTLP 127.0.0.1:4317/4318, query API http://127.0.0.1:16686
#   criu, runc, rootfs, registry, nodes   the local runtime's pieces, each run if present
#
# Everything downloaded or built is cached in $SHADOW_CACHE; state and logs are in
# $SHADOW_STATE (logs: $SHADOW_STATE/log).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_lock stack "$@"

here=$SHADOW_REPO_ROOT/deploy/local
started=$SECONDS

# step SCRIPT [ARGS...]: runs a stack script if it exists, so the runtime's scripts join the
# stack by being added to deploy/local, without editing this file's order.
step() {
  local script=$here/$1
  shift
  if [[ ! -f $script ]]; then
    log "skipping ${script##*/} (not present)"
    return 0
  fi
  local t=$SECONDS
  bash "$script" "$@" || die "${script##*/} $* failed"
  if ((SECONDS - t > 5)); then log "${script##*/} took $((SECONDS - t))s"; fi
}

step network.sh
step kafka.sh start
step jaeger.sh start
step criu.sh
step runc.sh
step rootfs.sh
step registry.sh start
step nodes.sh
log "stack up in $((SECONDS - started))s"
