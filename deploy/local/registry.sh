#!/usr/bin/env bash
# The local OCI registry that checkpoint images are pushed to and pulled from: Debian's
# docker-registry (the CNCF distribution registry, 2.8), on loopback only.
#
#   registry.sh install   installs the Debian package (apt-get update once if it is unknown)
#   registry.sh start     writes our config, garbage-collects what retention deleted, and starts
#                         it in the background (pid file + log)
#   registry.sh stop      stops the registry we started
#   registry.sh status    says whether it runs
#   registry.sh health    exits 0 when `GET /v2/` answers 200
#   registry.sh gc        garbage-collects blobs no manifest references any more (the API's
#                         DELETE only unlinks them); stops the registry for the run, then
#                         restarts it if it was running
#
# Storage: $SHADOW_STATE/registry/data; config: $SHADOW_STATE/registry/config.yml; log:
# $SHADOW_STATE/log/registry.log. Address: SHADOW_REGISTRY_ADDR (default 127.0.0.1:5000);
# only loopback addresses are accepted. Deletion through the API is enabled, so retention
# can remove a migration's manifests. Never started through systemd or the package's init
# script: the package's own config listens on every interface.
set -euo pipefail
SHADOW_COMPONENT=registry
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

addr=${SHADOW_REGISTRY_ADDR:-127.0.0.1:5000}
host=${addr%:*}
port=${addr##*:}
[[ $host =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "SHADOW_REGISTRY_ADDR must be a loopback address (127.x.x.x:port), got $addr"
[[ $port =~ ^[0-9]+$ ]] || die "SHADOW_REGISTRY_ADDR has no port: $addr"

dir=$SHADOW_STATE/registry
config=$dir/config.yml
marker=$config # running_pid checks the daemon's command line names our config
# The registry stands in for a remote one but shares the node's cores: it hashes and stores
# every pushed image while the workload being migrated keeps serving, so it runs niced, as
# image-svc's own work does (SHADOW_IMAGE_NICE).
REGISTRY_NICE=10

install() {
  if command -v docker-registry >/dev/null; then return 0; fi
  log "installing docker-registry"
  if ! apt-cache show docker-registry >/dev/null 2>&1; then apt_get update -qq; fi
  # The package's postinst may try to start its service (config on :5000, every interface);
  # `start` below refuses to share the port with a registry that is not ours.
  apt_get install -y -qq --no-install-recommends docker-registry >/dev/null
  command -v docker-registry >/dev/null || die "docker-registry did not install"
  # Where nothing denied it, the package's init script may have started its own registry
  # (every interface): stop it, ours is the only one.
  if [[ -x /etc/init.d/docker-registry ]]; then /etc/init.d/docker-registry stop >/dev/null 2>&1 || true; fi
}

write_config() {
  mkdir -p "$dir/data"
  # A fixed secret keeps upload URLs valid across restarts (they carry an HMAC of it).
  [[ -s $dir/http.secret ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/http.secret"
  cat >"$config.tmp" <<EOF
# Written by deploy/local/registry.sh; edits are overwritten on start.
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 24h
      interval: 1h
      dryrun: false
http:
  addr: $addr
  secret: $(<"$dir/http.secret")
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
  mv "$config.tmp" "$config"
}

healthy() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$addr/v2/") == 200 ]]
}

start() {
  install
  local pid
  if pid=$(running_pid registry "$marker"); then
    renice -n "$REGISTRY_NICE" -p "$pid" >/dev/null
    healthy && return 0
    wait_until 30 "registry on $addr to answer /v2/" healthy && return 0
    die "registry runs but $addr/v2/ does not answer; see $SHADOW_LOG_DIR/registry.log"
  fi
  if port_open "$host" "$port"; then
    die "something that is not our registry already listens on $addr (the package's own service?)"
  fi
  write_config
  # Retention deletes a migration's manifests and blobs through the API, which only unlinks
  # them; the bytes go only when the collector runs, and it must run offline: now, before
  # starting. Without it the storage grew by every image ever pushed (51 GB here once).
  if [[ -d $dir/data ]]; then
    docker-registry garbage-collect --delete-untagged "$config" >>"$SHADOW_LOG_DIR/registry.log" 2>&1 ||
      log "garbage-collect failed (see $SHADOW_LOG_DIR/registry.log); starting anyway"
  fi
  log "starting on $addr (storage $dir/data)"
  start_daemon registry nice -n "$REGISTRY_NICE" docker-registry serve "$config"
  if ! wait_until 30 "registry on $addr to answer /v2/" healthy; then
    tail_log registry
    die "registry did not become healthy"
  fi
}

stop() {
  stop_daemon registry "$marker" 20
}

status() {
  local pid
  if pid=$(running_pid registry "$marker"); then
    echo "registry running (pid $pid) on $addr"
  else
    echo "registry not running"
    return 1
  fi
}

gc() {
  install
  [[ -f $config ]] || write_config
  local was_running=0
  if running_pid registry "$marker" >/dev/null; then was_running=1; fi
  # Offline GC: a blob uploaded while the collector runs could be deleted under a push.
  stop
  docker-registry garbage-collect --delete-untagged "$config" >>"$SHADOW_LOG_DIR/registry.log" 2>&1
  if ((was_running)); then start; fi
}

case "${1:-}" in
install) with_lock registry "$@" && install ;;
start) with_lock registry "$@" && start ;;
stop) with_lock registry "$@" && stop ;;
gc) with_lock registry "$@" && gc ;;
status) status ;;
health) healthy ;;
*) die "usage: $0 install|start|stop|status|health|gc" ;;
esac
