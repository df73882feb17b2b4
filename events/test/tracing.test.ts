import { Writable } from "node:stream";
import { createLogger } from "@shadow/otel/logger";
import { startTelemetry, type Telemetry } from "@shadow/otel/sdk";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  CheckpointCreated,
  type ConsumerRunner,
  createConsumerRunner,
  createPublisher,
  MigrationRequested,
  outgoing,
  type Publisher,
  traceIdOf,
} from "../src/index.ts";
import { sampleData } from "../src/testing/index.ts";
import { type JaegerTrace, jaegerTrace, parentOf } from "./jaeger.ts";
import {
  createTopics,
  deleteTopics,
  eventually,
  fastConsumer,
  randomName,
  testKafka,
} from "./support.ts";

/**
 * One event through a handler with real OTLP export to the real Jaeger: the producer span and
 * the handler span are in one trace, the handler span a child of the producer span, and the
 * event the handler emits continues the same trace.
 */
const serviceName = randomName("shadow-tracing-test");
const kafka = testKafka("tracing");
const topic = randomName("tracing");
const outTopic = randomName("tracing-out");
const dlq = randomName("tracing-dlq");
const logLines: Record<string, unknown>[] = [];
let telemetry: Telemetry;
let runner: ConsumerRunner;
let publisher: Publisher;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName,
    otlpEndpoint: inject("otlpHttpEndpoint"),
    metricsPort: 0,
    exportDelayMs: 100,
  });
  await createTopics(kafka, [topic, outTopic, dlq]);
  const log = createLogger({
    name: "tracing-test",
    destination: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  });
  runner = createConsumerRunner({
    kafka,
    groupId: randomName("tracing"),
    topics: [topic],
    handlers: {
      [MigrationRequested.type]: async (event) => {
        log.info({ migrationId: event.data.migrationId }, "handling");
        const data = sampleData(event.data.migrationId)[
          "io.shadow.migration.checkpoint.created.v1"
        ];
        return [outgoing(CheckpointCreated, data, { topic: outTopic })];
      },
    },
    deps: {},
    source: `/shadow/${serviceName}`,
    deadLetterTopic: dlq,
    fromBeginning: true,
    consumer: fastConsumer,
    logger: createLogger({ name: "tracing", level: "warn" }),
  });
  await runner.start();
  publisher = createPublisher({ kafka, source: "/shadow/tracing-test" });
});

afterAll(async () => {
  await runner?.stop();
  await publisher?.disconnect();
  await telemetry?.shutdown();
  await deleteTopics(kafka, [topic, outTopic, dlq]);
});

it("puts the producer span and the handler span in one trace, parent and child", async () => {
  const sent = await publisher.emit(
    MigrationRequested,
    sampleData("m-traced")["io.shadow.migration.requested.v1"],
    { topic },
  );
  const traceId = traceIdOf(sent);
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  const producerSpanId = sent.traceparent?.split("-")[2];
  await eventually("the event handled", () => runner.stats().handled === 1);
  await telemetry.flush();

  const handleName = `handle ${MigrationRequested.type}`;
  const emitOutName = `emit ${CheckpointCreated.type}`;
  let trace: JaegerTrace | undefined;
  await eventually(
    "Jaeger to hold the producer, handler and re-emit spans",
    async () => {
      trace = await jaegerTrace(traceId as string);
      const names = new Set(trace?.spans.map((s) => s.operationName));
      return (
        names.has(`emit ${MigrationRequested.type}`) &&
        names.has(handleName) &&
        names.has(emitOutName)
      );
    },
    30_000,
  );
  const spans = trace?.spans ?? [];
  const producer = spans.find((s) => s.spanID === producerSpanId);
  const handler = spans.find((s) => s.operationName === handleName);
  const reEmit = spans.find((s) => s.operationName === emitOutName);
  expect(producer?.operationName).toBe(`emit ${MigrationRequested.type}`);
  expect(parentOf(handler as never)).toBe(producerSpanId);
  expect(parentOf(reEmit as never)).toBe(handler?.spanID);
  expect(trace?.processes[handler?.processID ?? ""]?.serviceName).toBe(serviceName);

  // The handler's log record carries the handler span's ids.
  expect(logLines.find((l) => l.msg === "handling")).toMatchObject({
    trace_id: traceId,
    span_id: handler?.spanID,
  });
});

it("exposes the bus metrics to Prometheus", async () => {
  const text = await (await fetch(telemetry.metricsUrl as string)).text();
  expect(text).toMatch(/shadow_events_consumed_total\{[^}]*outcome="handled"[^}]*\} 1/);
  expect(text).toContain("shadow_events_hop_latency");
});
