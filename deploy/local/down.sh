#!/usr/bin/env bash
# Stops the local stack's daemons (registry, Jaeger, Kafka), newest first. Data stays in
# $SHADOW_STATE, so the next up.sh resumes with the same topics and offsets.
#
#   down.sh             stop the daemons
#   down.sh --network   also remove the node namespaces and the bridge shadow0
#   down.sh --purge     also delete the daemons' state (Kafka's log dirs, Jaeger's copy of its
#                       config) for a fresh cluster; the cache is kept
#
# The test projects' own brokers (test/chaos, test/kafka-3.9: state under
# $SHADOW_STATE/test-kafka) stop here too, if a test run left them behind.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_lock stack "$@"

here=$SHADOW_REPO_ROOT/deploy/local
network=0
purge=0
for arg in "$@"; do
  case $arg in
    --network) network=1 ;;
    --purge) purge=1 ;;
    *) die "usage: $0 [--network] [--purge]" ;;
  esac
done

if [[ -f $here/registry.sh ]]; then bash "$here/registry.sh" stop; fi
bash "$here/jaeger.sh" stop
bash "$here/kafka.sh" stop
for test_kafka in "$SHADOW_STATE"/test-kafka/*/; do
  [[ -d $test_kafka/run ]] || continue
  SHADOW_STATE=${test_kafka%/} bash "$here/kafka.sh" stop
done

if ((network)); then
  if [[ -f $here/nodes.sh ]]; then
    for node_json in "$SHADOW_STATE"/nodes/*/node.json; do
      [[ -f $node_json ]] || continue
      bash "$here/nodes.sh" remove "$(basename "$(dirname "$node_json")")"
    done
  fi
  if [[ -f $here/network.sh ]]; then bash "$here/network.sh" down; fi
fi

if ((purge)); then
  log "deleting Kafka and Jaeger state under $SHADOW_STATE"
  rm -rf "${SHADOW_STATE:?}/kafka" "${SHADOW_STATE:?}/test-kafka" "${SHADOW_STATE:?}/jaeger"
fi
log "stack down"
