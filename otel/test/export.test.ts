import { randomBytes } from "node:crypto";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { expect, inject, it } from "vitest";
import { extractTraceContext, injectTraceContext } from "../src/propagation.ts";
import { startTelemetry } from "../src/sdk.ts";

/**
 * Real OTLP/HTTP export to the real Jaeger: a producer span whose context crosses a Kafka-like
 * header carrier (Buffers, as kafkajs delivers them) to a consumer span, both found in one
 * trace with the right parent once shutdown() has flushed.
 */
interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
}

async function jaegerSpans(traceId: string): Promise<JaegerSpan[]> {
  const response = await fetch(`${inject("jaegerQueryUrl")}/api/traces/${traceId}`);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`Jaeger answered HTTP ${response.status}`);
  const body = (await response.json()) as { data: { spans: JaegerSpan[] }[] | null };
  return body.data?.[0]?.spans ?? [];
}

it("exports a producer and a consumer span, linked through Kafka headers, to Jaeger", async () => {
  const serviceName = `shadow-otel-test-${randomBytes(4).toString("hex")}`;
  const telemetry = await startTelemetry({
    serviceName,
    otlpEndpoint: inject("otlpHttpEndpoint"),
    metricsPort: false,
    instrumentKafkajs: false,
  });
  const tracer = trace.getTracer("otel-test");

  const producer = tracer.startSpan("send orders", { kind: SpanKind.PRODUCER });
  const headers: Record<string, unknown> = {};
  injectTraceContext(headers, trace.setSpan(context.active(), producer));
  producer.end();
  const onTheWire = Object.fromEntries(
    Object.entries(headers).map(([key, value]) => [key, Buffer.from(String(value))]),
  );

  const parent = extractTraceContext(onTheWire);
  const consumer = tracer.startSpan("process orders", { kind: SpanKind.CONSUMER }, parent);
  consumer.end();
  const { traceId, spanId: producerId } = producer.spanContext();
  expect(consumer.spanContext().traceId).toBe(traceId);

  await telemetry.shutdown(); // flushes

  const deadline = Date.now() + 30_000;
  let spans: JaegerSpan[] = [];
  while (Date.now() < deadline && spans.length < 2) {
    spans = await jaegerSpans(traceId);
    if (spans.length < 2) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const processSpan = spans.find((s) => s.operationName === "process orders");
  expect(spans.map((s) => s.operationName).sort()).toEqual(["process orders", "send orders"]);
  expect(processSpan?.references).toContainEqual(
    expect.objectContaining({ refType: "CHILD_OF", spanID: producerId }),
  );
});

it("can start again after a shutdown, and refuses a second start while running", async () => {
  const first = await startTelemetry({ serviceName: "shadow-otel-restart", metricsPort: 0 });
  await expect(startTelemetry({ serviceName: "again" })).rejects.toThrow(/already started/);
  expect(await (await fetch(first.metricsUrl as string)).text()).toContain("target_info");
  await first.shutdown();
  const second = await startTelemetry({ serviceName: "shadow-otel-restart", metricsPort: false });
  expect(second.metricsUrl).toBeUndefined();
  await second.shutdown();
});
