import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { context, metrics, SpanKind, trace } from "@opentelemetry/api";
import { createPublisher, serviceSource } from "@shadow/events";
import { busClient, ensureBusTopics, loadConfig } from "@shadow/host";
import { MigrationProjection } from "@shadow/migration";
import { createLogger, startTelemetry } from "@shadow/otel";
import { lagBehindSource, statusClient } from "@shadow/runtime";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { createGateway } from "./app.ts";
import { gatewayEnv } from "./config.ts";
import { recordMigrationMetrics } from "./migration-metrics.ts";
import { feedProjection } from "./projection-feed.ts";
import { overdueSteps } from "./watchdog.ts";

const serviceName = "gateway";
const env = loadConfig(serviceName, gatewayEnv);
const telemetry = await startTelemetry({ serviceName });
const logger = createLogger({ name: serviceName, level: env.SHADOW_LOG_LEVEL });
const kafka = busClient(serviceName, env.SHADOW_KAFKA_BROKERS);
await ensureBusTopics(kafka);
const publisher = createPublisher({ kafka, source: serviceSource(serviceName) });
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
const app = createGateway({
  runtime,
  projection,
  lagNow: async ({ from, to }) => {
    const [source, shadow] = await Promise.all([progress(from.instance), progress(to.instance)]);
    return lagBehindSource(source, shadow);
  },
  token: env.SHADOW_TOKEN,
  traceLink: env.SHADOW_TRACE_LINK,
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
logger.info({ port: env.SHADOW_GATEWAY_PORT, metrics: telemetry.metricsUrl }, "gateway listening");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    clearInterval(watchdog);
    server.close();
    await feed.stop();
    await publisher.disconnect();
    await telemetry.shutdown();
    process.exit(0);
  });
}
