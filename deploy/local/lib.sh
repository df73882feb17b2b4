# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are used by the scripts that source this file
# Helpers shared by the local stack's scripts. Source it; it does nothing by itself.
#
#   SHADOW_CACHE  downloads and builds, kept across runs  (default ~/.cache/shadow)
#   SHADOW_STATE  runtime state, pid files, data          (default /var/lib/shadow)
#   logs go to $SHADOW_STATE/log/<name>.log

SHADOW_CACHE=${SHADOW_CACHE:-$HOME/.cache/shadow}
SHADOW_STATE=${SHADOW_STATE:-/var/lib/shadow}
SHADOW_LOG_DIR=$SHADOW_STATE/log
SHADOW_RUN_DIR=$SHADOW_STATE/run
SHADOW_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export SHADOW_CACHE SHADOW_STATE

mkdir -p "$SHADOW_CACHE" "$SHADOW_LOG_DIR" "$SHADOW_RUN_DIR"

# The name that prefixes this script's log lines (kafka, jaeger, up, ...).
SHADOW_COMPONENT=${SHADOW_COMPONENT:-$(basename "$0" .sh)}

log() { printf '%s %-7s %s\n' "$(date +%H:%M:%S)" "[$SHADOW_COMPONENT]" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# with_lock NAME "$@": re-runs the calling script under an exclusive lock on NAME, so two
# callers (a developer's up.sh and vitest's globalSetup, say) never install or start the same
# thing at once. `flock -o` closes the lock's descriptor before running the script, so the
# daemons the script starts do not inherit the lock and hold it after the script is gone.
with_lock() {
  local name=$1
  shift
  local var="SHADOW_LOCKED_${name//[^A-Za-z0-9]/_}"
  if [[ -n ${!var:-} ]]; then return 0; fi
  mkdir -p "$SHADOW_RUN_DIR"
  export "$var=1"
  exec flock -o -w "${SHADOW_LOCK_TIMEOUT:-1800}" "$SHADOW_RUN_DIR/$name.lock" bash "$0" "$@"
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# wait_until TIMEOUT_S DESCRIPTION CMD...: polls CMD every 0.2 s until it succeeds.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

# wait_for_port HOST PORT [TIMEOUT_S]
wait_for_port() {
  wait_until "${3:-60}" "$1:$2 to accept connections" port_open "$1" "$2"
}

pid_file() { echo "$SHADOW_RUN_DIR/$1.pid"; }

# running_pid NAME MARKER: prints the pid recorded for NAME if that process is alive and
# its command line still contains MARKER (a recycled pid must not pass for our daemon).
running_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -s $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
  echo "$pid"
}

# start_daemon NAME CMD...: runs CMD in its own session, detached from the caller's stdio
# (a caller reading our output through a pipe, like vitest, must not wait for the daemon),
# appending to $SHADOW_LOG_DIR/NAME.log, and records its pid.
start_daemon() {
  local name=$1
  shift
  local file log_file
  file=$(pid_file "$name")
  log_file="$SHADOW_LOG_DIR/$name.log"
  rm -f "$file"
  printf '\n==== %s starting: %s\n' "$(date -Is)" "$*" >>"$log_file"
  # The inner shell writes its own pid, then execs CMD: the pid on file is the daemon's.
  # shellcheck disable=SC2016 # $$ and "$@" are meant for the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$file" "$@" </dev/null >>"$log_file" 2>&1 &
  wait_until 10 "$name to record its pid" test -s "$file"
}

# stop_daemon NAME MARKER [TIMEOUT_S]: SIGTERM, then SIGKILL after TIMEOUT_S.
stop_daemon() {
  local name=$1 marker=$2 timeout=${3:-30} pid
  if ! pid=$(running_pid "$name" "$marker"); then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" "$name to exit" eval "! kill -0 $pid 2>/dev/null"; then
    log "$name did not exit on SIGTERM, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 "$name to die" eval "! kill -0 $pid 2>/dev/null" || true
  fi
  rm -f "$(pid_file "$name")"
}

# weigh_cpu GROUP SHARES PID: moves PID's process (every thread) into the cgroup v1 cpu group
# GROUP with SHARES of weight (a process outside any group weighs 1024). Skipped, with a line
# in the log, where there is no v1 cpu controller; the stack then runs unweighted.
weigh_cpu() {
  local group=/sys/fs/cgroup/cpu/$1
  if [[ ! -f /sys/fs/cgroup/cpu/cpu.shares ]]; then
    log "no cgroup v1 cpu controller: $1 keeps the default CPU weight"
    return 0
  fi
  mkdir -p "$group"
  echo "$2" >"$group/cpu.shares"
  echo "$3" >"$group/cgroup.procs"
}

# tail_log NAME: the end of a daemon's log, for error messages.
tail_log() {
  local log_file="$SHADOW_LOG_DIR/$1.log"
  [[ -f $log_file ]] && tail -n "${2:-30}" "$log_file" >&2
  return 0
}

# apt_get ARGS...: apt-get that waits for another apt or dpkg to finish instead of failing at
# once on its lock (a second installer on the same machine, an unattended upgrade).
# `apt-get update` takes the lists lock, which the timeout does not cover: retry it.
apt_get() {
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" && return 0
    [[ $1 == update ]] || return 1
    log "apt-get update failed (attempt $attempt): retrying in 10s"
    sleep 10
  done
  return 1
}

# need_cmd CMD DEBIAN_PACKAGE: installs the package when CMD is missing, so a fresh machine
# gets what the stack needs from the machine's own apt sources.
need_cmd() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [[ $(id -u) == 0 ]] || die "$1 is missing; install the Debian package $2"
  log "$1 not found: installing Debian package $2"
  if [[ -z ${SHADOW_APT_UPDATED:-} ]]; then
    apt_get update -qq >&2 || die "apt-get update failed"
    export SHADOW_APT_UPDATED=1
  fi
  apt_get install -y -qq --no-install-recommends "$2" >&2 ||
    die "apt-get install $2 failed"
}

# usage: dies with the subcommands a component script accepts.
usage() {
  die "usage: $0 install|start|stop|status|health"
}

# run_component NAME "$@": a component script's entry. Runs its subcommand (the function of
# that name: install, start, stop, status or health); those that change the machine run under
# NAME's lock (see with_lock).
run_component() {
  local name=$1
  shift
  local cmd=${1:-}
  case $cmd in
    install | start | stop) with_lock "$name" "$@" ;;
  esac
  case $cmd in
    install | start | stop | status | health) "$cmd" ;;
    *) usage ;;
  esac
}
