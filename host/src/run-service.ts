import {
  type ConsumerRunner,
  createConsumerRunner,
  createPublisher,
  groupId,
  type Handlers,
  type Publisher,
  serviceSource,
  topics,
} from "@shadow/events";
import { LogLedger } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Telemetry } from "@shadow/otel/sdk";
import type { HostEnv } from "./config.ts";
import { MIGRATION_PARTITIONS } from "./ensure-topics.ts";
import { initGroupOffsets } from "./group-offsets.ts";
import { LedgerGate } from "./ledger-gate.ts";
import { startHost } from "./start-host.ts";

export interface ServiceDefinition<D> {
  name: string;
  topics: string[];
  handlers: Handlers<D>;
  /** Handlers for events that arrive after their migration failed or ended (clean-ups). */
  afterEnd?: Handlers<D>;
  /**
   * The ledger the service's gate folds (see LedgerGate), for handlers that read it too (pass
   * the same one in their deps). A service that reads the migrations topic always has one.
   */
  ledger?: LogLedger;
  deps: D;
  env: HostEnv;
  metricsPort?: number | false;
  /** Called after the runner stopped, before telemetry shuts down. */
  onStop?: () => Promise<void>;
}

export interface RunningService {
  runner: ConsumerRunner;
  /** The service's producer, for what it emits outside a handler (a watch's outcome). */
  publisher: Publisher;
  telemetry: Telemetry;
  logger: Logger;
  /** Base URL of the process's `/health` and `/ready`. */
  healthUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts one choreography service as a hosted process (see startHost): its consumer group
 * `shadow.<service>.<env>` over its topics, ready once the group is joined. SIGTERM and SIGINT
 * stop it after the record in hand; a SIGKILL leaves that record uncommitted, to be redelivered
 * on restart.
 */
export async function runService<D>(definition: ServiceDefinition<D>): Promise<RunningService> {
  const host = await startHost({
    name: definition.name,
    env: definition.env,
    ...(definition.metricsPort === undefined ? {} : { metricsPort: definition.metricsPort }),
  });
  const { kafka, logger } = host;
  const group = groupId(definition.name, definition.env.SHADOW_ENV);
  await initGroupOffsets(kafka, group, definition.topics);
  // Every service that reads the migrations log acts only on what the log says is live: the
  // ledger is folded up to the group's offsets before the consumer runs.
  let gate: LedgerGate | undefined;
  if (definition.topics.includes(topics.migrations)) {
    gate = new LedgerGate(kafka, definition.ledger ?? new LogLedger(), logger);
    await gate.start(group);
  }
  const publisher = createPublisher({ kafka, source: serviceSource(definition.name) });
  const runner = createConsumerRunner({
    kafka,
    groupId: group,
    topics: definition.topics,
    handlers: definition.handlers,
    ...(definition.afterEnd ? { afterEnd: definition.afterEnd } : {}),
    ...(gate ? { gate } : {}),
    deps: definition.deps,
    source: serviceSource(definition.name),
    publisher,
    logger,
    // A new group starts at the log's end (initGroupOffsets committed it): a service deployed
    // today must not replay the side effects of every migration ever made. Restarts resume
    // from the group's committed offsets.
    fromBeginning: false,
    partitionsConsumedConcurrently: MIGRATION_PARTITIONS,
    // A killed service's member holds its partitions until its session expires: keep that
    // short so a restarted service takes over in seconds, not half a minute.
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 },
  });
  await runner.start();
  host.ready({
    alive: () => runner.isRunning(),
    fields: { topics: definition.topics, group },
    async stop() {
      await runner.stop();
      await publisher.disconnect();
      await definition.onStop?.();
    },
  });
  return {
    runner,
    publisher,
    telemetry: host.telemetry,
    logger,
    healthUrl: host.healthUrl,
    stop: host.stop,
  };
}
