#!/usr/bin/env bash
# Jaeger v2 all-in-one (in-memory storage) for the local stack, built from source with Go.
#
#   jaeger.sh install   build cmd/jaeger of github.com/jaegertracing/jaeger v1.76.0 (= v2.13.0)
#   jaeger.sh start     install, start with deploy/local/jaeger/config.yaml, wait for health
#   jaeger.sh stop | status | health
#
# Ports (all loopback): OTLP gRPC 4317, OTLP HTTP 4318, query HTTP 16686, query gRPC 16685,
# health 13133. Health = the query API answers GET /api/services.
#
# Why a source build: `go install ...@v1.76.0` is refused because Jaeger's go.mod has a
# replace directive, so we download the module and build inside its directory. A cold build
# takes many minutes on two cores; the binary is cached and rebuilt only if missing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_MODULE_VERSION=v1.76.0
# Jaeger tags each release twice on one commit; the v2 name is the one the binary reports.
JAEGER_VERSION=v2.13.0
JAEGER_BIN=$SHADOW_CACHE/jaeger-$JAEGER_MODULE_VERSION/bin/jaeger
JAEGER_STATE=$SHADOW_STATE/jaeger
JAEGER_REPO_CONFIG=$SHADOW_REPO_ROOT/deploy/local/jaeger/config.yaml
# Jaeger runs from a copy, so a changed repo config is noticed (and the daemon restarted),
# and the copy's path in its command line tells our Jaeger from any other process.
JAEGER_CONFIG=$JAEGER_STATE/config.yaml
QUERY_URL=http://127.0.0.1:16686
PORTS=(4317 4318 16685 16686 13133)

installed_version() {
  [[ -x $JAEGER_BIN ]] || return 1
  "$JAEGER_BIN" --version 2>/dev/null | awk '{print $NF}'
}

install() {
  if [[ $(installed_version || true) == "$JAEGER_VERSION" ]]; then return 0; fi
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH=$PATH:/usr/local/go/bin
  fi
  command -v go >/dev/null 2>&1 || die "Go is needed to build Jaeger (1.24 or newer)"
  local meta dir build_log=$SHADOW_LOG_DIR/jaeger-build.log
  log "downloading module $JAEGER_MODULE@$JAEGER_MODULE_VERSION"
  meta=$(go mod download -json "$JAEGER_MODULE@$JAEGER_MODULE_VERSION") ||
    die "go mod download failed: $meta"
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$meta")
  [[ -d $dir/cmd/jaeger ]] || die "module directory without cmd/jaeger: '$dir'"
  log "building Jaeger $JAEGER_VERSION (cold build: many minutes; log $build_log)"
  mkdir -p "$(dirname "$JAEGER_BIN")"
  # Jaeger's Makefile stamps the version with -ldflags; without it `jaeger --version` is absent.
  local ldflags="-X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_VERSION"
  if ! (cd "$dir" && GOFLAGS=-buildvcs=false go build -trimpath -ldflags "$ldflags" \
    -o "$JAEGER_BIN.new" ./cmd/jaeger) >"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    die "Jaeger build failed (log: $build_log)"
  fi
  mv -f "$JAEGER_BIN.new" "$JAEGER_BIN"
  log "built $("$JAEGER_BIN" --version 2>/dev/null)"
}

health() {
  local body
  body=$(curl -fsS --max-time 3 "$QUERY_URL/api/services") || return 1
  [[ $body == *'"data"'* ]] || {
    log "unexpected answer from $QUERY_URL/api/services: $body"
    return 1
  }
}

healthy_quietly() { health 2>/dev/null; }

jaeger_alive_and_healthy() {
  if ! kill -0 "$1" 2>/dev/null; then
    tail_log jaeger 40
    die "Jaeger exited during start-up (log: $SHADOW_LOG_DIR/jaeger.log)"
  fi
  healthy_quietly
}

start() {
  install
  need_cmd curl curl
  mkdir -p "$JAEGER_STATE"
  local pid port
  if pid=$(running_pid jaeger "$JAEGER_CONFIG"); then
    if cmp -s "$JAEGER_REPO_CONFIG" "$JAEGER_CONFIG"; then
      if wait_until 30 "Jaeger health" healthy_quietly; then
        log "running (pid $pid), healthy"
        return 0
      fi
      log "running (pid $pid) but unhealthy: restarting it"
    else
      log "config changed: restarting Jaeger"
    fi
    stop
  fi
  for port in "${PORTS[@]}"; do
    if port_open 127.0.0.1 "$port"; then
      die "127.0.0.1:$port is taken by a process this script did not start; stop it first"
    fi
  done
  cp "$JAEGER_REPO_CONFIG" "$JAEGER_CONFIG"
  log "starting Jaeger $JAEGER_VERSION (query $QUERY_URL, OTLP 127.0.0.1:4317/4318)"
  start_daemon jaeger "$JAEGER_BIN" --config "$JAEGER_CONFIG"
  pid=$(<"$(pid_file jaeger)")
  if ! wait_until 60 "Jaeger health" jaeger_alive_and_healthy "$pid"; then
    tail_log jaeger 40
    die "Jaeger did not become healthy (log: $SHADOW_LOG_DIR/jaeger.log)"
  fi
  log "started (pid $pid), healthy"
}

stop() {
  stop_daemon jaeger "$JAEGER_CONFIG" 20
}

status() {
  local pid
  if pid=$(running_pid jaeger "$JAEGER_CONFIG"); then
    echo "jaeger: running (pid $pid) query $QUERY_URL, OTLP 127.0.0.1:4317 (gRPC) 127.0.0.1:4318 (HTTP)"
  else
    echo "jaeger: stopped"
    return 3
  fi
}

run_component jaeger "$@"
