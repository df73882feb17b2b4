import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { context, metrics, SpanKind, trace } from "@opentelemetry/api";
import { lagBehindSource } from "@shadow/contract";
import { createPublisher, serviceSource } from "@shadow/events";
import { loadConfig, startHost } from "@shadow/host";
import { MigrationProjection } from "@shadow/migration";
import { statusClient } from "@shadow/runtime";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { startActivitySampler } from "./activity-sampler.ts";
import { createGateway } from "./app.ts";
import { gatewayEnv } from "./config.ts";
import { recordMigrationMetrics } from "./migration-metrics.ts";
import { feedProjection } from "./projection-feed.ts";
import { shareInFlight } from "./shared-reads.ts";
import { Verdicts } from "./verdicts.ts";
import { overdueSteps } from "./watchdog.ts";

const serviceName = "gateway";
const env = loadConfig(serviceName, gatewayEnv);
// Hosted like every other service: health endpoints, telemetry, the bus's topics, signals.
const host = await startHost({ name: serviceName, env });
const { kafka, logger, telemetry } = host;
const publisher = createPublisher({ kafka, source: serviceSource(serviceName) });
// Connected before the first request: a burst of requests would otherwise all wait on the first
// connection, and time out waiting when the broker is slow to answer.
await publisher.connect();
const projection = new MigrationProjection();
// Subscribed before the log is folded, so the figures cover every migration it holds.
recordMigrationMetrics(projection, metrics.getMeter("@shadow/gateway"));
const feed = await feedProjection(kafka, projection, logger);
// Requests are answered (and refused) from the projection: not before it holds the whole log.
await feed.caughtUp;
logger.info({ migrations: projection.list().length }, "projection caught up with the log");
const tracer = trace.getTracer("@shadow/gateway");

const runtime = await runtimeFromEnv();
const progress = statusClient(runtime);
const sampler =
  env.SHADOW_TIMELINE_SAMPLE_MS > 0
    ? startActivitySampler({ projection, runtime, intervalMs: env.SHADOW_TIMELINE_SAMPLE_MS })
    : undefined;
const app = createGateway({
  // Requests arriving together read the runtime once (see shared-reads.ts).
  runtime: {
    list: shareInFlight(() => runtime.list()),
    nodes: shareInFlight(() => runtime.nodes()),
  },
  projection,
  verdicts: new Verdicts(projection),
  verdictTimeoutMs: env.SHADOW_VERDICT_TIMEOUT_MS,
  lagNow: async ({ from, to }) => {
    const [source, shadow] = await Promise.all([progress(from.instance), progress(to.instance)]);
    return lagBehindSource(source.offsets, shadow.offsets);
  },
  token: env.SHADOW_TOKEN,
  ...(env.SHADOW_TRACE_UI_URL ? { traceUiUrl: env.SHADOW_TRACE_UI_URL } : {}),
  ...(sampler ? { samplesOf: sampler.samplesOf } : {}),
  newMigrationId: () => `mig-${randomUUID().slice(0, 8)}`,
  now: () => new Date(),
  // The gateway's span is the root of the migration's one trace; every hop is its descendant.
  publish: (event) =>
    tracer.startActiveSpan(
      "migration requested",
      { kind: SpanKind.PRODUCER, root: true, attributes: { "shadow.event.type": event.type } },
      context.active(),
      async (span) => {
        try {
          const data = event.data as { migrationId: string; workload: string; targetNode: string };
          span.setAttributes({
            "shadow.migration.id": data.migrationId,
            "shadow.workload": data.workload,
            "shadow.node.target": data.targetNode,
          });
          await publisher.publish(event);
          return { traceId: span.spanContext().traceId };
        } finally {
          span.end();
        }
      },
    ),
});

// The watchdog: steps that outlive their deadline fail their migration (compensations follow).
const failing = new Set<string>();
const watchdog = setInterval(() => {
  for (const event of overdueSteps(projection.list(), Date.now(), env.SHADOW_STEP_DEADLINE_MS)) {
    const id = (event.data as { migrationId: string }).migrationId;
    if (failing.has(id)) continue;
    failing.add(id);
    logger.warn({ migrationId: id }, "step deadline passed: failing the migration");
    publisher.publish(event).catch((error: unknown) => {
      failing.delete(id);
      logger.error({ migrationId: id, err: error }, "could not emit the watchdog's failure");
    });
  }
}, 5_000);

const server = serve({
  fetch: app.fetch,
  port: env.SHADOW_GATEWAY_PORT,
  hostname: env.SHADOW_GATEWAY_HOST,
});
await new Promise((listening) => server.once("listening", listening));
logger.info({ port: env.SHADOW_GATEWAY_PORT, metrics: telemetry.metricsUrl }, "gateway listening");

// Ready: it serves requests from a projection that holds the whole log.
host.ready({
  fields: { port: env.SHADOW_GATEWAY_PORT },
  async stop() {
    clearInterval(watchdog);
    sampler?.stop();
    server.close();
    await feed.stop();
    await publisher.disconnect();
  },
});
