import {
  type ConsumerRunner,
  createConsumerRunner,
  createPublisher,
  groupId,
  type Handlers,
  serviceSource,
} from "@shadow/events";
import { createLogger, type Logger, startTelemetry, type Telemetry } from "@shadow/otel";
import { busClient } from "./bus-client.ts";
import type { HostEnv } from "./config.ts";
import { busTopics, ensureBusTopics } from "./ensure-topics.ts";
import { initGroupOffsets } from "./group-offsets.ts";

export interface ServiceDefinition<D> {
  name: string;
  topics: string[];
  handlers: Handlers<D>;
  deps: D;
  env: HostEnv;
  metricsPort?: number | false;
  /** Called after the runner stopped, before telemetry shuts down. */
  onStop?: () => Promise<void>;
}

export interface RunningService {
  runner: ConsumerRunner;
  telemetry: Telemetry;
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * Starts one choreography service: telemetry first (so kafkajs is instrumented), then its
 * consumer group `shadow.<service>.<env>` over its topics. SIGTERM and SIGINT stop it after the
 * record in hand; a SIGKILL leaves that record uncommitted, to be redelivered on restart.
 */
export async function runService<D>(definition: ServiceDefinition<D>): Promise<RunningService> {
  const telemetry = await startTelemetry({
    serviceName: definition.name,
    ...(definition.metricsPort === undefined ? {} : { metricsPort: definition.metricsPort }),
  });
  const logger = createLogger({ name: definition.name, level: definition.env.SHADOW_LOG_LEVEL });
  const kafka = busClient(definition.name, definition.env.SHADOW_KAFKA_BROKERS);
  await ensureBusTopics(kafka);
  const group = groupId(definition.name, definition.env.SHADOW_ENV);
  await initGroupOffsets(kafka, group, definition.topics);
  const publisher = createPublisher({ kafka, source: serviceSource(definition.name) });
  const runner = createConsumerRunner({
    kafka,
    groupId: group,
    topics: definition.topics,
    handlers: definition.handlers,
    deps: definition.deps,
    source: serviceSource(definition.name),
    publisher,
    logger,
    // A new group starts at the log's end (initGroupOffsets committed it): a service deployed
    // today must not replay the side effects of every migration ever made. Restarts resume
    // from the group's committed offsets.
    fromBeginning: false,
    partitionsConsumedConcurrently: busTopics[0]?.numPartitions ?? 1,
    // A killed service's member holds its partitions until its session expires: keep that
    // short so a restarted service takes over in seconds, not half a minute.
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 },
  });
  await runner.start();
  logger.info({ topics: definition.topics, metrics: telemetry.metricsUrl }, "service started");
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await runner.stop();
      await publisher.disconnect();
      await definition.onStop?.();
      logger.info("service stopped");
      await telemetry.shutdown();
    })());
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => void stop().then(() => process.exit(0)));
  }
  return { runner, telemetry, logger, stop };
}
