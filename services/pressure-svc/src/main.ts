import { context, SpanKind, trace } from "@opentelemetry/api";
import {
  createConsumerRunner,
  createPublisher,
  groupId,
  serviceSource,
  topics,
} from "@shadow/events";
import { initGroupOffsets, loadConfig, startHost } from "@shadow/host";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { policyFromEnv, pressureEnv } from "./config.ts";
import { followMigrations } from "./log/migration-log.ts";
import { pressureHandlers, serviceName } from "./service.ts";
import { runtimeSignals } from "./signals/runtime-source.ts";
import { PressureWatcher } from "./watcher/watcher.ts";

const env = loadConfig(serviceName, pressureEnv);
const config = policyFromEnv(env);
const host = await startHost({ name: serviceName, env });
const { kafka, logger } = host;
const tracer = trace.getTracer("@shadow/pressure-svc");
const runtime = await runtimeFromEnv();
const signals = runtimeSignals(runtime);
const source = serviceSource(serviceName);
const publisher = createPublisher({ kafka, source });
// What is under way comes from the log: read it whole before deciding anything.
const log = await followMigrations(kafka, logger);

const watcher = new PressureWatcher({
  signals,
  config,
  logger,
  intervalMs: env.SHADOW_PRESSURE_INTERVAL_MS,
  resyncMs: env.SHADOW_PRESSURE_RESYNC_MS,
  // Each announcement starts a trace: the decision and the migration it starts belong to it.
  announce: (event) =>
    tracer.startActiveSpan(
      "node pressure detected",
      {
        kind: SpanKind.PRODUCER,
        root: true,
        attributes: { "shadow.node": (event.data as { node: string }).node },
      },
      context.active(),
      async (span) => {
        try {
          await publisher.publish(event);
        } finally {
          span.end();
        }
      },
    ),
});
// A migration off a node under pressure ended: decide for that node again at once.
const unsubscribe = log.onEnded((view) => watcher.nudge(view.source.node));

const group = groupId(serviceName, env.SHADOW_ENV);
await initGroupOffsets(kafka, group, [topics.pressure]);
const runner = createConsumerRunner({
  kafka,
  groupId: group,
  topics: [topics.pressure],
  handlers: pressureHandlers,
  deps: {
    signals,
    log,
    conditions: () => watcher.conditions(),
    config,
    now: () => new Date(),
    logger,
  },
  source,
  publisher,
  logger,
  fromBeginning: false,
  // One decision at a time: each counts what is under way including the one before it.
  partitionsConsumedConcurrently: 1,
  consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 },
});
await runner.start();
if (env.SHADOW_PRESSURE_MODE !== "off") watcher.start();

host.ready({
  alive: () => runner.isRunning(),
  fields: {
    group,
    mode: env.SHADOW_PRESSURE_MODE,
    nodes: config.nodes.length > 0 ? config.nodes : "all",
    memory: config.memory,
    holdMs: config.holdMs,
    cooldownMs: config.cooldownMs,
    limits: config.limits,
  },
  async stop() {
    unsubscribe();
    await watcher.stop();
    await runner.stop();
    await log.stop();
    await publisher.disconnect();
  },
});
