#!/usr/bin/env bash
# Apache Kafka 3.9.1 for the local stack: one KRaft node (broker + controller in one JVM).
#
#   kafka.sh install   resolve the broker's jars from Maven Central into the cache
#   kafka.sh start     install, write the config, format storage once, start, wait for health
#   kafka.sh stop | status | health
#
# Listeners:
#   PLAINTEXT  127.0.0.1:9092    host processes (services, tests)
#   CONTROLLER 127.0.0.1:9093    KRaft quorum, internal
#   NODES      10.213.0.1:9094   containers inside node network namespaces; only while the
#                                bridge shadow0 carries 10.213.0.1 (deploy/local/network.sh)
# Why 3.9 and not 4.x: kafkajs 2.2.4 uses protocol versions Kafka 4 removed (KIP-896).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=3.9.1
KAFKA_HOME=$SHADOW_CACHE/kafka-$KAFKA_VERSION
KAFKA_STATE=$SHADOW_STATE/kafka
KAFKA_CONFIG=$KAFKA_STATE/server.properties
KAFKA_POM=$SHADOW_REPO_ROOT/deploy/local/kafka/pom.xml
KAFKA_HEALTH=$SHADOW_REPO_ROOT/deploy/local/kafka/health.mjs
HOST_ADDR=127.0.0.1
BRIDGE=${SHADOW_BRIDGE:-shadow0}
BRIDGE_ADDR=${SHADOW_BRIDGE_ADDR:-10.213.0.1}
KAFKA_JAVA=(
  -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
  "-Xlog:gc:file=$SHADOW_LOG_DIR/kafka-gc.log:time,uptime:filecount=5,filesize=20M"
  "-Dlog4j.configuration=file:$KAFKA_STATE/log4j.properties" "-Dkafka.logs.dir=$SHADOW_LOG_DIR"
  -cp "$KAFKA_HOME/libs/*"
)
# The daemon's command line contains this, which tells our broker from any other java.
MARKER=$KAFKA_CONFIG
# The broker's CPU weight: as much as the instances' parent group (runtime/src/local/
# cpu-weight.ts). Why: on one machine the broker shares the cores with a migration's own work
# (image build and transfer, a restored shadow replaying its backlog at its group's weight),
# and an input waiting in a starved broker is as late as one waiting for a starved instance.
# Sampled every 5 ms during migrations at 60 msg/s, the broker's runnable-but-not-running
# threads grew from 5 to 22 over the 200 ms in which the source consumed nothing.
BROKER_CPU_GROUP=shadow-bus
BROKER_CPU_SHARES=8192

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

# Prints server.properties for the listener set the machine has right now.
render_config() {
  local listeners="PLAINTEXT://$HOST_ADDR:9092,CONTROLLER://$HOST_ADDR:9093"
  local advertised="PLAINTEXT://$HOST_ADDR:9092"
  if bridge_up; then
    listeners+=",NODES://$BRIDGE_ADDR:9094"
    advertised+=",NODES://$BRIDGE_ADDR:9094"
  fi
  cat <<EOF
# Written by deploy/local/kafka.sh; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST_ADDR:9093
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,NODES:PLAINTEXT
log.dirs=$KAFKA_STATE/data

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
default.replication.factor=1
min.insync.replicas=1
num.partitions=1

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

render_log4j() {
  cat <<'EOF'
# Written by deploy/local/kafka.sh. Broker output goes to stdout, which kafka.sh appends to
# $SHADOW_STATE/log/kafka.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.raft=WARN
log4j.logger.org.apache.kafka.controller=WARN
log4j.logger.kafka.server.metadata=WARN
log4j.logger.org.apache.kafka.image=WARN
EOF
}

java_cmd() { java "${KAFKA_JAVA[@]}" "$@"; }

format_storage() {
  if [[ -f $KAFKA_STATE/data/meta.properties ]]; then return 0; fi
  local cluster_id
  if [[ ! -s $KAFKA_STATE/cluster.id ]]; then
    # A KRaft cluster id is 16 random bytes, base64url without padding (22 characters).
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | cut -c1-22 >"$KAFKA_STATE/cluster.id"
  fi
  cluster_id=$(<"$KAFKA_STATE/cluster.id")
  log "formatting storage (cluster $cluster_id)"
  java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONFIG" \
    --ignore-formatted >>"$SHADOW_LOG_DIR/kafka.log" 2>&1 ||
    {
      tail_log kafka
      die "StorageTool format failed"
    }
}

health() {
  local brokers="$HOST_ADDR:9092"
  if [[ -d $SHADOW_REPO_ROOT/node_modules/kafkajs ]]; then
    node "$KAFKA_HEALTH" "$brokers" >&2 || return 1
  else
    # Before `npm install` there is no kafkajs: ask the broker for its API versions instead.
    java_cmd kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$brokers" >/dev/null 2>&1 ||
      return 1
  fi
  if grep -q '^listeners=.*NODES://' "$KAFKA_CONFIG" 2>/dev/null; then
    port_open "$BRIDGE_ADDR" 9094 || {
      log "NODES listener $BRIDGE_ADDR:9094 is not accepting connections"
      return 1
    }
  fi
}

# Health, but quiet and false while the broker is still starting (used by the wait loop).
healthy_quietly() { health 2>/dev/null; }

start() {
  install
  need_cmd node nodejs
  mkdir -p "$KAFKA_STATE/data"
  render_log4j >"$KAFKA_STATE/log4j.properties"
  local wanted pid port
  wanted=$(render_config)
  if pid=$(running_pid kafka "$MARKER"); then
    if [[ $wanted == "$(cat "$KAFKA_CONFIG" 2>/dev/null)" ]]; then
      if wait_until 60 "Kafka health" healthy_quietly; then
        weigh_cpu "$BROKER_CPU_GROUP" "$BROKER_CPU_SHARES" "$pid"
        log "running (pid $pid), healthy"
        return 0
      fi
      log "running (pid $pid) but unhealthy: restarting it"
    else
      log "listener set changed: restarting Kafka"
    fi
    stop
  fi
  for port in 9092 9093; do
    if port_open "$HOST_ADDR" "$port"; then
      die "$HOST_ADDR:$port is taken by a process this script did not start; stop it first"
    fi
  done
  printf '%s\n' "$wanted" >"$KAFKA_CONFIG"
  format_storage
  log "starting Kafka $KAFKA_VERSION ($(grep '^listeners=' "$KAFKA_CONFIG" | cut -d= -f2))"
  start_daemon kafka "$(command -v java)" "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_CONFIG"
  pid=$(<"$(pid_file kafka)")
  weigh_cpu "$BROKER_CPU_GROUP" "$BROKER_CPU_SHARES" "$pid"
  if ! wait_until 120 "Kafka health" broker_alive_and_healthy "$pid"; then
    tail_log kafka 40
    die "Kafka did not become healthy (log: $SHADOW_LOG_DIR/kafka.log)"
  fi
  log "started (pid $pid), healthy"
}

# Fails the wait at once if the JVM has died, instead of polling a dead broker for minutes.
broker_alive_and_healthy() {
  if ! kill -0 "$1" 2>/dev/null; then
    tail_log kafka 40
    die "Kafka exited during start-up (log: $SHADOW_LOG_DIR/kafka.log)"
  fi
  healthy_quietly
}

stop() {
  stop_daemon kafka "$MARKER" 60
}

status() {
  local pid
  if pid=$(running_pid kafka "$MARKER"); then
    echo "kafka: running (pid $pid) $(grep '^listeners=' "$KAFKA_CONFIG" | cut -d= -f2)"
  else
    echo "kafka: stopped"
    return 3
  fi
}

run_component kafka "$@"
