#!/usr/bin/env bash
# Apache Kafka for the local stack, in KRaft mode: one node by default, or a cluster of three.
#
#   kafka.sh install        resolve the selected version's jars from Maven Central into the cache
#   kafka.sh start          install, write each node's config, format its storage once, start the
#                           nodes that are not running, wait until the cluster is healthy
#   kafka.sh stop [ID...]   stop every node (or the nodes with these ids)
#   kafka.sh status | health
#   kafka.sh brokers        the bootstrap lists clients use, as KEY=VALUE lines (see below)
#   kafka.sh pids           "<node id> <pid>" for every running node (tests kill nodes by it)
#
# Settings (environment; one left unset keeps what the running brokers were started with, then
# the default):
#   SHADOW_KAFKA_VERSION  4.4.0 (default) or 3.9.1: the versions with a pom in
#                         deploy/local/kafka/<version>/. Each is cached in its own directory.
#   SHADOW_KAFKA_MODE     single (default): one node, broker and controller in one JVM, every
#                         topic with one replica. cluster: three such nodes, a quorum of three
#                         controllers, replication factor 3 and min.insync.replicas 2 for every
#                         topic created without its own settings (the project's, the example's,
#                         Kafka's internal ones).
#   SHADOW_KAFKA_PORT     the first of the ports (default 9092). Node n (1, 2, 3) takes three
#                         consecutive ports from P = SHADOW_KAFKA_PORT + 3(n-1):
#     PLAINTEXT  127.0.0.1:P      host processes (services, tests)
#     CONTROLLER 127.0.0.1:P+1    KRaft quorum, internal
#     NODES      10.213.0.1:P+2   containers inside node network namespaces; only while the
#                                 bridge shadow0 carries 10.213.0.1 (deploy/local/network.sh)
#   So one node listens on 9092-9094, a cluster on 9092-9100.
#
# State: $SHADOW_STATE/kafka/<version>-<mode>/node-<n>/ (config, data). Switching the version or
# the mode starts brokers on storage of their own, never on another version's. What runs is
# recorded in $SHADOW_STATE/kafka/clients.env (`kafka.sh brokers` prints it):
#   SHADOW_KAFKA_BROKERS=127.0.0.1:9092,...          every node's PLAINTEXT listener
#   SHADOW_NODE_KAFKA_BROKERS=10.213.0.1:9094,...    every node's NODES listener (empty without the bridge)
# Clients take the full lists from there, so a bootstrap never depends on one node being up.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_ROOT=$SHADOW_STATE/kafka
KAFKA_CLIENTS=$KAFKA_ROOT/clients.env
# A setting left unset keeps what the brokers that run here were started with, so an up.sh
# without it (a test run, the demo) does not switch the stack back to the defaults.
recorded() { sed -n "s/^$1=//p" "$KAFKA_CLIENTS" 2>/dev/null | tail -n 1 || true; }
KAFKA_VERSION=${SHADOW_KAFKA_VERSION:-$(recorded SHADOW_KAFKA_VERSION)}
KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
KAFKA_MODE=${SHADOW_KAFKA_MODE:-$(recorded SHADOW_KAFKA_MODE)}
KAFKA_MODE=${KAFKA_MODE:-single}
KAFKA_PORT=${SHADOW_KAFKA_PORT:-$(recorded SHADOW_KAFKA_PORT)}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_POM=$SHADOW_REPO_ROOT/deploy/local/kafka/$KAFKA_VERSION/pom.xml
KAFKA_HEALTH=$SHADOW_REPO_ROOT/deploy/local/kafka/health.mjs
KAFKA_HOME=$SHADOW_CACHE/kafka-$KAFKA_VERSION
KAFKA_STATE=$KAFKA_ROOT/$KAFKA_VERSION-$KAFKA_MODE
HOST_ADDR=127.0.0.1
BRIDGE=${SHADOW_BRIDGE:-shadow0}
BRIDGE_ADDR=${SHADOW_BRIDGE_ADDR:-10.213.0.1}
# Every broker this script starts has a config under $KAFKA_ROOT on its command line: that
# tells our brokers (of any version, mode or layout) from any other java.
MARKER=$KAFKA_ROOT/
# The broker's CPU weight: as much as the instances' parent group (runtime/src/local/
# cpu-weight.ts). Why: on one machine the broker shares the cores with a migration's own work
# (image build and transfer, a restored shadow replaying its backlog at its group's weight),
# and an input waiting in a starved broker is as late as one waiting for a starved instance.
# Sampled every 5 ms during migrations at 60 msg/s, the broker's runnable-but-not-running
# threads grew from 5 to 22 over the 200 ms in which the source consumed nothing.
BROKER_CPU_GROUP=shadow-bus
BROKER_CPU_SHARES=8192

[[ -f $KAFKA_POM ]] || die "Kafka $KAFKA_VERSION is not supported here (SHADOW_KAFKA_VERSION): choose one of $(
  cd "$SHADOW_REPO_ROOT/deploy/local/kafka" && printf '%s ' */pom.xml | sed 's|/pom.xml||g'
)"
case $KAFKA_MODE in
  single) NODE_IDS=(1) REPLICAS=1 MIN_ISR=1 ;;
  cluster) NODE_IDS=(1 2 3) REPLICAS=3 MIN_ISR=2 ;;
  *) die "SHADOW_KAFKA_MODE must be single or cluster, not '$KAFKA_MODE'" ;;
esac
[[ $KAFKA_PORT =~ ^[0-9]+$ ]] && ((KAFKA_PORT > 0 && KAFKA_PORT + 3 * ${#NODE_IDS[@]} < 65536)) ||
  die "SHADOW_KAFKA_PORT must leave room for $((3 * ${#NODE_IDS[@]})) ports, not '$KAFKA_PORT'"
KAFKA_MAJOR=${KAFKA_VERSION%%.*}

client_port() { echo $((KAFKA_PORT + 3 * ($1 - 1))); }
controller_port() { echo $((KAFKA_PORT + 3 * ($1 - 1) + 1)); }
nodes_port() { echo $((KAFKA_PORT + 3 * ($1 - 1) + 2)); }
# The daemon's name (pid file, log): "kafka" for a single node, as it always was.
daemon_name() { if [[ $KAFKA_MODE == single ]]; then echo kafka; else echo "kafka-$1"; fi; }
node_dir() { echo "$KAFKA_STATE/node-$1"; }
node_config() { echo "$(node_dir "$1")/server.properties"; }

java_opts() {
  local dir
  dir=$(node_dir "$1")
  printf '%s\n' -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "-Xlog:gc:file=$SHADOW_LOG_DIR/$(daemon_name "$1")-gc.log:time,uptime:filecount=5,filesize=20M" \
    "-Dkafka.logs.dir=$SHADOW_LOG_DIR"
  if ((KAFKA_MAJOR >= 4)); then
    echo "-Dlog4j2.configurationFile=$dir/log4j2.properties"
  else
    echo "-Dlog4j.configuration=file:$dir/log4j.properties"
  fi
  printf '%s\n' -cp "$KAFKA_HOME/libs/*"
}

install() {
  local stamp want
  want=$(sha256sum "$KAFKA_POM" | cut -c1-16)
  stamp=$KAFKA_HOME/.installed
  if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then return 0; fi
  need_cmd java openjdk-17-jre-headless
  need_cmd mvn maven
  log "resolving Kafka $KAFKA_VERSION jars into $KAFKA_HOME/libs"
  rm -rf "$KAFKA_HOME/libs.new"
  mkdir -p "$KAFKA_HOME"
  local mvn_log=$SHADOW_LOG_DIR/kafka-install.log
  if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs.new" >"$mvn_log" 2>&1; then
    tail -n 30 "$mvn_log" >&2
    die "maven could not resolve Kafka $KAFKA_VERSION (log: $mvn_log)"
  fi
  [[ -f $KAFKA_HOME/libs.new/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing"
  rm -rf "$KAFKA_HOME/libs"
  mv "$KAFKA_HOME/libs.new" "$KAFKA_HOME/libs"
  echo "$want" >"$stamp"
  log "installed $(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars"
}

bridge_up() {
  ip -4 -o addr show dev "$BRIDGE" 2>/dev/null | grep -qF " $BRIDGE_ADDR/"
}

# Prints node $1's server.properties for the listener set the machine has right now.
render_config() {
  local id=$1 voters="" n
  for n in "${NODE_IDS[@]}"; do voters+="${voters:+,}$n@$HOST_ADDR:$(controller_port "$n")"; done
  local listeners="PLAINTEXT://$HOST_ADDR:$(client_port "$id"),CONTROLLER://$HOST_ADDR:$(controller_port "$id")"
  local advertised="PLAINTEXT://$HOST_ADDR:$(client_port "$id")"
  if bridge_up; then
    listeners+=",NODES://$BRIDGE_ADDR:$(nodes_port "$id")"
    advertised+=",NODES://$BRIDGE_ADDR:$(nodes_port "$id")"
  fi
  cat <<EOF
# Written by deploy/local/kafka.sh (Kafka $KAFKA_VERSION, $KAFKA_MODE); edits are overwritten on the next start.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,NODES:PLAINTEXT
log.dirs=$(node_dir "$id")/data

# $REPLICAS replica(s) for every topic created without its own settings, Kafka's internal ones
# included; with three, a write acknowledged by all in-sync replicas is on two nodes at least,
# so one node may die without losing it or stopping writes.
offsets.topic.replication.factor=$REPLICAS
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$REPLICAS
transaction.state.log.min.isr=$MIN_ISR
transaction.state.log.num.partitions=10
default.replication.factor=$REPLICAS
min.insync.replicas=$MIN_ISR
num.partitions=1
EOF
  if [[ $KAFKA_MODE == cluster ]]; then
    # A node back from a failure leads nothing until the controller moves its preferred
    # partitions back, every 300 s by default: a move (and the group coordinators moving with
    # it) at a random moment minutes later. Within 10 s of its return instead.
    echo "leader.imbalance.check.interval.seconds=10"
  fi
  if ((KAFKA_MAJOR >= 4)); then
    cat <<EOF
share.coordinator.state.topic.replication.factor=$REPLICAS
share.coordinator.state.topic.min.isr=$MIN_ISR
EOF
  fi
  cat <<'EOF'

# Tests create random topics and groups all the time: join groups at once, auto-create topics.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true

# Small segments and short retention: a development broker, not an archive.
log.segment.bytes=16777216
log.retention.ms=3600000
log.retention.bytes=268435456
log.retention.check.interval.ms=60000
log.cleaner.threads=1

# Two cores.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
}

# Broker output goes to stdout, which start_daemon appends to $SHADOW_STATE/log/<daemon>.log.
# Kafka 4 logs through log4j2, 3.x through log4j 1 (reload4j); the quiet loggers are the same.
QUIET_LOGGERS=(kafka.request.logger kafka.log.LogCleaner state.change.logger org.apache.kafka.raft
  org.apache.kafka.controller kafka.server.metadata org.apache.kafka.image)

render_log4j() {
  local logger
  echo "# Written by deploy/local/kafka.sh."
  echo "log4j.rootLogger=INFO, stdout"
  echo "log4j.appender.stdout=org.apache.log4j.ConsoleAppender"
  echo "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout"
  echo "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n"
  for logger in "${QUIET_LOGGERS[@]}"; do echo "log4j.logger.$logger=WARN"; done
}

render_log4j2() {
  local i=0 logger
  echo "# Written by deploy/local/kafka.sh."
  echo "appender.stdout.type=Console"
  echo "appender.stdout.name=STDOUT"
  echo "appender.stdout.layout.type=PatternLayout"
  echo "appender.stdout.layout.pattern=[%d] %p %m (%c)%n"
  echo "rootLogger.level=INFO"
  echo "rootLogger.appenderRef.stdout.ref=STDOUT"
  for logger in "${QUIET_LOGGERS[@]}"; do
    i=$((i + 1))
    echo "logger.quiet$i.name=$logger"
    echo "logger.quiet$i.level=WARN"
  done
}

java_cmd() {
  local id=$1
  shift
  local opts
  mapfile -t opts < <(java_opts "$id")
  java "${opts[@]}" "$@"
}

format_storage() {
  local id=$1
  if [[ -f $(node_dir "$id")/data/meta.properties ]]; then return 0; fi
  local cluster_id
  if [[ ! -s $KAFKA_STATE/cluster.id ]]; then
    # A KRaft cluster id is 16 random bytes, base64url without padding (22 characters).
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | cut -c1-22 >"$KAFKA_STATE/cluster.id"
  fi
  cluster_id=$(<"$KAFKA_STATE/cluster.id")
  log "formatting node $id's storage (cluster $cluster_id)"
  # With controller.quorum.voters in the config, Kafka 4 formats a static quorum (no
  # --standalone, which would make the node a quorum of one).
  java_cmd "$id" kafka.tools.StorageTool format -t "$cluster_id" -c "$(node_config "$id")" \
    --ignore-formatted >>"$SHADOW_LOG_DIR/$(daemon_name "$id").log" 2>&1 ||
    {
      tail_log "$(daemon_name "$id")"
      die "StorageTool format failed for node $id"
    }
}

host_brokers() {
  local n list=""
  for n in "${NODE_IDS[@]}"; do list+="${list:+,}$HOST_ADDR:$(client_port "$n")"; done
  echo "$list"
}

node_brokers() {
  local n list=""
  bridge_up || return 0
  for n in "${NODE_IDS[@]}"; do list+="${list:+,}$BRIDGE_ADDR:$(nodes_port "$n")"; done
  echo "$list"
}

render_clients() {
  echo "# Written by deploy/local/kafka.sh: the brokers that run now (Kafka $KAFKA_VERSION, $KAFKA_MODE)."
  echo "SHADOW_KAFKA_BROKERS=$(host_brokers)"
  echo "SHADOW_NODE_KAFKA_BROKERS=$(node_brokers)"
  echo "SHADOW_KAFKA_VERSION=$KAFKA_VERSION"
  echo "SHADOW_KAFKA_MODE=$KAFKA_MODE"
  echo "SHADOW_KAFKA_PORT=$KAFKA_PORT"
}

brokers() { render_clients; }

health() {
  local bootstrap n
  bootstrap=$(host_brokers)
  if [[ -d $SHADOW_REPO_ROOT/node_modules/kafkajs ]]; then
    node "$KAFKA_HEALTH" "$bootstrap" "${#NODE_IDS[@]}" >&2 || return 1
  else
    # Before `npm install` there is no kafkajs, and the server's jars carry no admin tool:
    # a broker that accepts connections on its client port has finished starting.
    for n in "${NODE_IDS[@]}"; do
      port_open "$HOST_ADDR" "$(client_port "$n")" || return 1
    done
  fi
  for n in "${NODE_IDS[@]}"; do
    if grep -q '^listeners=.*NODES://' "$(node_config "$n")" 2>/dev/null; then
      port_open "$BRIDGE_ADDR" "$(nodes_port "$n")" || {
        log "node $n's NODES listener $BRIDGE_ADDR:$(nodes_port "$n") is not accepting connections"
        return 1
      }
    fi
  done
}

# Health, but quiet and false while the brokers are still starting (used by the wait loop).
healthy_quietly() { health 2>/dev/null; }

# The names of every broker daemon this script started under $SHADOW_STATE, of any version or
# mode (a pid file kafka.pid or kafka-<n>.pid).
recorded_daemons() {
  local file
  for file in "$SHADOW_RUN_DIR"/kafka.pid "$SHADOW_RUN_DIR"/kafka-[0-9]*.pid; do
    [[ -f $file ]] && basename "$file" .pid
  done
  return 0
}

# True when daemon $1 (pid $2) is node $3 of the selected version and mode with config $4.
runs_as_wanted() {
  [[ $1 == "$(daemon_name "$3")" ]] || return 1
  tr '\0' ' ' <"/proc/$2/cmdline" | grep -qF -- " $(node_config "$3")" || return 1
  [[ $4 == "$(cat "$(node_config "$3")" 2>/dev/null)" ]]
}

start() {
  install
  need_cmd node nodejs
  local n name pid
  declare -A wanted=()
  for n in "${NODE_IDS[@]}"; do
    mkdir -p "$(node_dir "$n")/data"
    wanted[$n]=$(render_config "$n")
  done
  # Brokers of another version, mode or layout hold the ports: they go first.
  local foreign=()
  for name in $(recorded_daemons); do
    pid=$(running_pid "$name" "$MARKER") || continue
    local ours=0
    for n in "${NODE_IDS[@]}"; do
      if [[ $name == "$(daemon_name "$n")" ]] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- " $(node_config "$n")"; then ours=1; fi
    done
    if ((ours == 0)); then foreign+=("$name"); fi
  done
  if ((${#foreign[@]} > 0)); then
    log "${foreign[*]} run(s) another Kafka version, mode or layout: stopping"
    stop_daemons "${foreign[@]}"
  fi
  if [[ -f $KAFKA_ROOT/server.properties ]]; then
    log "note: $KAFKA_ROOT/data holds a broker's data from before per-version directories; nothing reads it"
  fi

  local missing=() stale=()
  for n in "${NODE_IDS[@]}"; do
    name=$(daemon_name "$n")
    if pid=$(running_pid "$name" "$MARKER"); then
      if runs_as_wanted "$name" "$pid" "$n" "${wanted[$n]}"; then continue; fi
      log "node $n's listener set changed: restarting it"
      stale+=("$n")
    fi
    missing+=("$n")
  done
  if ((${#missing[@]} == 0)); then
    if wait_until 60 "Kafka health" healthy_quietly; then
      weigh_all
      render_clients >"$KAFKA_CLIENTS"
      log "running, healthy: $(host_brokers)"
      return 0
    fi
    log "running but unhealthy: restarting every node"
    missing=("${NODE_IDS[@]}")
    stale=("${NODE_IDS[@]}")
  fi
  if ((${#stale[@]} > 0)); then stop "${stale[@]}"; fi
  for n in "${missing[@]}"; do
    for port in $(client_port "$n") $(controller_port "$n"); do
      if port_open "$HOST_ADDR" "$port"; then
        die "$HOST_ADDR:$port is taken by a process this script did not start; stop it first"
      fi
    done
  done

  local opts
  for n in "${missing[@]}"; do
    printf '%s\n' "${wanted[$n]}" >"$(node_config "$n")"
    if ((KAFKA_MAJOR >= 4)); then
      render_log4j2 >"$(node_dir "$n")/log4j2.properties"
    else
      render_log4j >"$(node_dir "$n")/log4j.properties"
    fi
    format_storage "$n"
  done
  for n in "${missing[@]}"; do
    log "starting Kafka $KAFKA_VERSION node $n ($(grep '^listeners=' "$(node_config "$n")" | cut -d= -f2))"
    mapfile -t opts < <(java_opts "$n")
    start_daemon "$(daemon_name "$n")" "$(command -v java)" "${opts[@]}" kafka.Kafka "$(node_config "$n")"
  done
  weigh_all
  # A quorum of three elects its leader only once two controllers run: every node is started
  # before any is waited for.
  if ! wait_until 120 "Kafka health" nodes_alive_and_healthy "${missing[@]}"; then
    for n in "${missing[@]}"; do tail_log "$(daemon_name "$n")" 20; done
    die "Kafka did not become healthy (logs: $SHADOW_LOG_DIR/kafka*.log)"
  fi
  render_clients >"$KAFKA_CLIENTS"
  log "started, healthy: $(host_brokers)"
}

weigh_all() {
  local n pid
  for n in "${NODE_IDS[@]}"; do
    if pid=$(running_pid "$(daemon_name "$n")" "$MARKER"); then
      weigh_cpu "$BROKER_CPU_GROUP" "$BROKER_CPU_SHARES" "$pid"
    fi
  done
}

# Fails the wait at once if a JVM just started has died, instead of polling a dead broker for
# minutes.
nodes_alive_and_healthy() {
  local n
  for n in "$@"; do
    if ! running_pid "$(daemon_name "$n")" "$MARKER" >/dev/null; then
      tail_log "$(daemon_name "$n")" 40
      die "Kafka node $n exited during start-up (log: $SHADOW_LOG_DIR/$(daemon_name "$n").log)"
    fi
  done
  healthy_quietly
}

# Stops the nodes with these ids (default: every broker daemon recorded here).
stop() {
  local names=() n
  if (($# > 0)); then
    for n in "$@"; do names+=("$(daemon_name "$n")"); done
  else
    mapfile -t names < <(recorded_daemons)
  fi
  stop_daemons "${names[@]}"
}

# Stops these daemons all at once. A node's controlled shutdown waits for the controller
# quorum to move its leaders away; the last node of a cluster to stop has no quorum left (its
# peers' controllers went with them) and would wait forever, so when several stop together the
# wait before SIGKILL is short (its logs are recovered at the next start).
stop_daemons() {
  local name timeout=60
  if (($# > 1)); then timeout=20; fi
  for name in "$@"; do stop_daemon "$name" "$MARKER" "$timeout" & done
  wait
}

status() {
  local n pid config rc=0
  for n in "${NODE_IDS[@]}"; do
    if pid=$(running_pid "$(daemon_name "$n")" "$MARKER"); then
      # The config the JVM runs with (its last argument), which may predate this script.
      config=$(tr '\0' '\n' <"/proc/$pid/cmdline" | tail -n 1)
      echo "$(daemon_name "$n"): running (pid $pid, $config) $(grep '^listeners=' "$config" 2>/dev/null | cut -d= -f2)"
    else
      echo "$(daemon_name "$n"): Kafka $KAFKA_VERSION node $n stopped"
      rc=3
    fi
  done
  return "$rc"
}

pids() {
  local n pid
  for n in "${NODE_IDS[@]}"; do
    if pid=$(running_pid "$(daemon_name "$n")" "$MARKER"); then echo "$n $pid"; fi
  done
}

cmd=${1:-}
case $cmd in
  install | start | stop) with_lock kafka "$@" ;;
esac
case $cmd in
  install | start | status | health | brokers | pids) "$cmd" ;;
  stop)
    shift
    stop "$@"
    ;;
  *) die "usage: $0 install|start|stop [NODE_ID...]|status|health|brokers|pids" ;;
esac
