/**
 * Event hop latency and throughput of the bus on the local broker.
 *
 *   npx tsx events/bench/hop-latency.ts [--latency-events 500] [--throughput-events 5000]
 *                                       [--batch 100] [--emit] [--trace]
 *
 * Latency: one event at a time, from just before `publisher.send` to the handler's entry
 * (produce with acks=-1, fetch, decode, validate, dedupe, span). Throughput: events sent in
 * batches as fast as the producer goes, counted until the last one is handled; each record is
 * committed on its own, as the runner always does. `--emit` makes the handler emit one event
 * per input (a full choreography hop); `--trace` starts telemetry (spans exported to Jaeger).
 * Not a test: it prints figures and asserts nothing.
 */
import { parseArgs } from "node:util";
import { createLogger } from "@shadow/otel/logger";
import { startTelemetry } from "@shadow/otel/sdk";
import { Kafka, logLevel } from "kafkajs";
import {
  buildEvent,
  CheckpointCreated,
  createConsumerRunner,
  createPublisher,
  MigrationRequested,
  type OutgoingEvent,
  outgoing,
  type ShadowEvent,
} from "../src/index.ts";
import { sampleData } from "../src/testing/index.ts";

const { values: args } = parseArgs({
  options: {
    "latency-events": { type: "string", default: "500" },
    "throughput-events": { type: "string", default: "5000" },
    batch: { type: "string", default: "100" },
    emit: { type: "boolean", default: false },
    trace: { type: "boolean", default: false },
  },
});
const latencyEvents = Number(args["latency-events"]);
const throughputEvents = Number(args["throughput-events"]);
const batch = Number(args.batch);

const brokers = (process.env.SHADOW_KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const telemetry = args.trace
  ? await startTelemetry({ serviceName: "shadow-bench-hop", metricsPort: false })
  : undefined;
const kafka = new Kafka({ clientId: "bench-hop", brokers, logLevel: logLevel.ERROR });
const suffix = `${Date.now().toString(36)}-${process.pid}`;
const topic = `bench-hop-${suffix}`;
const outTopic = `bench-hop-out-${suffix}`;
const dlq = `bench-hop-dlq-${suffix}`;

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [topic, outTopic, dlq].map((t) => ({ topic: t, numPartitions: 1 })),
  waitForLeaders: true,
});

const sentAt = new Map<string, number>();
const hops: number[] = [];
let handled = 0;
const checkpoint = sampleData("m-bench")["io.shadow.migration.checkpoint.created.v1"];
const runner = createConsumerRunner({
  kafka,
  groupId: `bench-hop-${suffix}`,
  topics: [topic],
  source: "/shadow/bench",
  deadLetterTopic: dlq,
  fromBeginning: true,
  consumer: { maxWaitTimeInMs: 100 },
  logger: createLogger({ name: "bench", level: "warn" }),
  deps: {},
  handlers: {
    [MigrationRequested.type]: async (event): Promise<OutgoingEvent[]> => {
      const t0 = sentAt.get(event.id);
      if (t0 !== undefined) hops.push(performance.now() - t0);
      handled++;
      if (waiter && handled >= waiter.target) {
        waiter.resolve();
        waiter = undefined;
      }
      return args.emit ? [outgoing(CheckpointCreated, checkpoint, { topic: outTopic })] : [];
    },
  },
});
await runner.start();
const publisher = createPublisher({ kafka, source: "/shadow/bench" });
await publisher.connect();

const data = sampleData("m-bench")["io.shadow.migration.requested.v1"];
const event = (): ShadowEvent => buildEvent(MigrationRequested, data, { source: "/shadow/bench" });

// Woken by the handler, not polled: a busy wait would take a core from the broker.
let waiter: { target: number; resolve: () => void } | undefined;
function handledUpTo(target: number): Promise<void> {
  if (handled >= target) return Promise.resolve();
  return new Promise((resolve) => {
    waiter = { target, resolve };
  });
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

// Warm-up: connections, metadata, the first fetch.
for (let i = 0; i < 20; i++) {
  const target = handled + 1;
  await publisher.send([{ topic, event: event() }]);
  await handledUpTo(target);
}
hops.length = 0;

// Latency: one at a time.
for (let i = 0; i < latencyEvents; i++) {
  const e = event();
  const target = handled + 1;
  sentAt.set(e.id, performance.now());
  await publisher.send([{ topic, event: e }]);
  await handledUpTo(target);
}
const sorted = [...hops].sort((a, b) => a - b);

// Throughput: batches, as fast as the producer goes.
const start = performance.now();
const target = handled + throughputEvents;
for (let sent = 0; sent < throughputEvents; sent += batch) {
  const n = Math.min(batch, throughputEvents - sent);
  await publisher.send(Array.from({ length: n }, () => ({ topic, event: event() })));
}
const sendMs = performance.now() - start;
await handledUpTo(target);
const totalMs = performance.now() - start;
// The handler counts on entry; the runner once the record is committed.
while (runner.stats().handled < target) await new Promise((resolve) => setTimeout(resolve, 5));

const stats = runner.stats();
console.log(
  JSON.stringify(
    {
      mode: { emit: args.emit, trace: args.trace, batch },
      hopLatencyMs: {
        events: sorted.length,
        p50: Number(percentile(sorted, 50).toFixed(2)),
        p90: Number(percentile(sorted, 90).toFixed(2)),
        p99: Number(percentile(sorted, 99).toFixed(2)),
        max: Number((sorted.at(-1) ?? Number.NaN).toFixed(2)),
      },
      throughput: {
        events: throughputEvents,
        producedPerSecond: Math.round(throughputEvents / (sendMs / 1000)),
        handledPerSecond: Math.round(throughputEvents / (totalMs / 1000)),
      },
      runner: { handled: stats.handled, deadLettered: stats.deadLettered, emitted: stats.emitted },
    },
    null,
    2,
  ),
);

await runner.stop();
await publisher.disconnect();
await admin.deleteTopics({ topics: [topic, outTopic, dlq] });
await admin.disconnect();
await telemetry?.shutdown();
