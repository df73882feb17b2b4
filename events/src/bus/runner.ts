import { createLogger, type Logger } from "@shadow/otel/logger";
import type { Consumer, ConsumerConfig, EachMessagePayload, Kafka } from "kafkajs";
import { z } from "zod";
import { topics as busTopics } from "../topics.ts";
import { commitWithin } from "./commit-within.ts";
import { resilientConsumer } from "./consumer-settings.ts";
import { type DedupeStore, MemoryDedupeStore } from "./dedupe.ts";
import { mendCoordinatorLookup } from "./kafkajs-coordinator.ts";
import { recordOutcome, recordRetry } from "./metrics.ts";
import { type PipelineContext, processRecord } from "./process.ts";
import { createPublisher, type Publisher } from "./publisher.ts";
import { type RetryPolicy, retryPolicy } from "./retry.ts";
import type {
  EventGate,
  Handlers,
  Outcome,
  RecordInfo,
  RunnerObserver,
  RunnerStats,
} from "./types.ts";

export interface ConsumerRunnerConfig<D> {
  kafka: Kafka;
  /** `groupId(service)` in services; random in tests. */
  groupId: string;
  topics: string[];
  handlers: Handlers<D>;
  /** Handlers for events whose migration ended before them (see PipelineContext.afterEnd). */
  afterEnd?: Handlers<D>;
  /** Decides from the log which events the handlers may act on (see EventGate). */
  gate?: EventGate;
  /** The service's ports (runtime, clock, …), handed to every handler. */
  deps: D;
  /** CloudEvent source of the events the handlers emit: `serviceSource("checkpoint-svc")`. */
  source: string;
  /** Default: the bus's dead-letter topic. */
  deadLetterTopic?: string;
  retry?: Partial<RetryPolicy>;
  /** Default: in memory, 100 000 keys. */
  dedupe?: DedupeStore;
  /** Share the service's publisher; default: one of the runner's own. */
  publisher?: Publisher;
  observer?: RunnerObserver;
  logger?: Logger;
  /** Where a group without committed offsets starts. Default false (new records only). */
  fromBeginning?: boolean;
  /**
   * Partitions handled at once. Order holds within a partition (one migration's events share
   * one), so a long step of one migration need not hold up another's. Default 1.
   */
  partitionsConsumedConcurrently?: number;
  /** kafkajs consumer settings (session timeout, …); the group id is the one above. */
  consumer?: Omit<ConsumerConfig, "groupId">;
  /** How long start() waits for the group join before failing. Default 60 s. */
  joinTimeoutMs?: number;
  /**
   * How long a record's commit may take before the member joins its group again (see
   * CommitStalled). Default 10 s: a commit takes milliseconds, and a failover about 10 s.
   */
  commitTimeoutMs?: number;
}

export interface ConsumerRunner {
  readonly groupId: string;
  /** Connects, subscribes, runs; resolves once this member has joined the group. */
  start(): Promise<void>;
  /** Finishes the record in hand (a retry wait is cut short, uncommitted), then leaves. */
  stop(): Promise<void>;
  stats(): RunnerStats;
  isRunning(): boolean;
}

/**
 * Runs handlers over Kafka records: one record at a time per partition, offsets committed by
 * hand after each record's effects (autoCommit off).
 *
 * "One effect" per event, precisely: the effect of a handler on the bus is the events it
 * emits. Within one runner's life the (source, id) dedupe makes a redelivered event a no-op.
 * If the process dies after emitting and before committing, the next runner gets the record
 * again and, with the default in-memory dedupe, runs the handler again; the events it emits
 * then carry the same ids as the first time (derived from the input's source and id and their
 * position), so downstream dedupe drops them and the choreography sees one effect. Handlers
 * must therefore be idempotent in what they do to the world (a second dump, a second restore
 * of the same migration must be recognised), and should emit the same events for the same
 * input. A persistent DedupeStore narrows the window to a crash between emit and remember.
 */
export function createConsumerRunner<D>(config: ConsumerRunnerConfig<D>): ConsumerRunner {
  checkRunnerConfig(config);
  mendCoordinatorLookup();
  const logger = (config.logger ?? createLogger({ name: "events" })).child({
    group: config.groupId,
  });
  const ownPublisher = !config.publisher;
  const publisher =
    config.publisher ?? createPublisher({ kafka: config.kafka, source: config.source });
  const dedupe = config.dedupe ?? new MemoryDedupeStore();
  const policy = retryPolicy(config.retry);
  const commitTimeoutMs = config.commitTimeoutMs ?? 10_000;
  const stats: RunnerStats = {
    received: 0,
    handled: 0,
    duplicates: 0,
    ignored: 0,
    stale: 0,
    deadLettered: 0,
    deadLetteredByCode: {},
    aborted: 0,
    retries: 0,
    emitted: 0,
    commits: 0,
  };
  let consumer: Consumer | undefined;
  let running = false;
  // Records that changed nothing here (events for other services, stale ones) are committed
  // with the next record that did, or every DEFER_LIMIT of them: one commit per record, each a
  // round trip to the group coordinator, held a service far behind a burst of events it only
  // had to skip. Per partition, so a commit never overtakes a later one of its partition; any
  // left at a restart are read again, and skipped again.
  const deferred = new Map<
    string,
    { topic: string; partition: number; offset: string; n: number }
  >();
  const commitDeferred = async (c: Consumer) => {
    const offsets = [...deferred.values()].map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset,
    }));
    deferred.clear();
    if (offsets.length === 0) return;
    await c.commitOffsets(offsets);
    stats.commits++;
  };
  let stopping = false;
  /** The records being handled (one per partition at most), awaited by stop() before its last commit. */
  const inHand = new Set<Promise<void>>();
  const stopSignal = new AbortController();
  let heartbeat: () => Promise<void> = async () => {};

  // Waits in slices so the group keeps seeing heartbeats during long backoffs, and wakes at once
  // when the runner stops.
  const sleep = async (ms: number) => {
    const until = Date.now() + ms;
    while (!stopping) {
      const left = until - Date.now();
      if (left <= 0) return;
      await abortableDelay(Math.min(left, 1_000), stopSignal.signal);
      await heartbeat();
    }
  };

  const pipeline: PipelineContext<D> = {
    groupId: config.groupId,
    source: config.source,
    handlers: config.handlers,
    ...(config.afterEnd ? { afterEnd: config.afterEnd } : {}),
    ...(config.gate ? { gate: config.gate } : {}),
    deps: config.deps,
    dedupe,
    retry: policy,
    deadLetterTopic: config.deadLetterTopic ?? busTopics.deadLetter,
    send: (items) => publisher.send(items),
    sendRecords: (topic, messages) => publisher.sendRecords(topic, messages),
    sleep,
    isStopping: () => stopping,
    observer: {
      ...config.observer,
      onRetry: async (info) => {
        stats.retries++;
        recordRetry(info.event.type, config.groupId);
        await config.observer?.onRetry?.(info);
      },
    },
    logger,
  };

  const count = (outcome: Outcome) => {
    stats.received++;
    switch (outcome.kind) {
      case "handled":
        stats.handled++;
        stats.emitted += outcome.emitted.length;
        break;
      case "duplicate":
        stats.duplicates++;
        break;
      case "ignored":
        stats.ignored++;
        break;
      case "stale":
        stats.stale++;
        break;
      case "dead-lettered":
        stats.deadLettered++;
        stats.deadLetteredByCode[outcome.code] = (stats.deadLetteredByCode[outcome.code] ?? 0) + 1;
        break;
      case "aborted":
        stats.aborted++;
        break;
    }
    recordOutcome(outcome, config.groupId);
  };

  // kafkajs restarts a crashed consumer only when the cause is retriable. A group coordinator
  // it could not find while the broker restarted is not, and left alone the service would live
  // on without consuming. A new consumer rejoins the group and resumes from its commits.
  const relaunch = async (crashed: Consumer) => {
    await crashed.disconnect().catch(() => undefined);
    // The new consumer resumes from the group's commits, so it meets the skipped records again;
    // committing their offsets meanwhile could pass an effectful record it has not redone yet.
    deferred.clear();
    for (let attempt = 0; !stopping; attempt++) {
      await abortableDelay(Math.min(1_000 * 2 ** attempt, 15_000), stopSignal.signal);
      if (stopping) return;
      consumer = undefined;
      heartbeat = async () => {};
      try {
        await runner.start();
        return;
      } catch (error) {
        logger.warn({ err: error, attempt }, "consumer could not be started again; retrying");
        // start() set it before it failed (TypeScript cannot see that through the call).
        await (consumer as Consumer | undefined)?.disconnect().catch(() => undefined);
      }
    }
  };

  const runner: ConsumerRunner = {
    groupId: config.groupId,
    isRunning: () => running,
    stats: () => structuredClone(stats),

    async start() {
      if (consumer) throw new Error(`runner ${config.groupId} already started`);
      const c = config.kafka.consumer({
        ...resilientConsumer,
        ...config.consumer,
        groupId: config.groupId,
      });
      consumer = c;
      // Listen before run(): kafkajs joins the group inside run().
      let timer: NodeJS.Timeout | undefined;
      const joined = new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${config.groupId}: no group join within the timeout`)),
          config.joinTimeoutMs ?? 60_000,
        );
        const off = c.on(c.events.GROUP_JOIN, () => {
          clearTimeout(timer);
          off();
          resolve();
        });
      });
      // If connecting fails first, the join timeout must not become an unhandled rejection.
      joined.catch(() => {});
      c.on(c.events.CRASH, (event) => {
        logger.error(
          { err: event.payload.error, restart: event.payload.restart },
          "consumer crashed",
        );
        if (event.payload.restart || stopping) return;
        running = false;
        void relaunch(c);
      });
      try {
        await publisher.connect();
        await c.connect();
        await c.subscribe({ topics: config.topics, fromBeginning: config.fromBeginning ?? false });
      } catch (error) {
        clearTimeout(timer);
        throw error;
      }
      await c.run({
        autoCommit: false,
        partitionsConsumedConcurrently: config.partitionsConsumedConcurrently ?? 1,
        eachMessage: async (payload) => {
          // Past stop(), a record is left for the next start: nothing of it is committed.
          if (stopping) return;
          const handling = handle(payload);
          inHand.add(handling);
          await handling.finally(() => inHand.delete(handling));
        },
      });
      async function handle({ topic, partition, message, heartbeat: beat }: EachMessagePayload) {
        heartbeat = beat;
        const record: RecordInfo = { topic, partition, offset: message.offset };
        // kafkajs heartbeats only between messages; a handler that waits (a restore, a
        // catch-up watch) must keep the member alive or its group evicts it mid-step.
        const beating = setInterval(() => void beat().catch(() => undefined), 3_000);
        const outcome = await processRecord({ ...record, message }, pipeline).finally(() =>
          clearInterval(beating),
        );
        count(outcome);
        await config.observer?.onOutcome?.(outcome, record);
        if (outcome.kind === "aborted") return;
        const key = `${topic}/${partition}`;
        if (outcome.kind === "ignored" || outcome.kind === "stale") {
          const n = (deferred.get(key)?.n ?? 0) + 1;
          const offset = nextOffset(message.offset);
          if (n < DEFER_LIMIT) {
            deferred.set(key, { topic, partition, offset, n });
            return;
          }
          deferred.delete(key);
          await commit([{ topic, partition, offset }]);
          return;
        }
        await config.observer?.beforeCommit?.(outcome, record);
        deferred.delete(key);
        await commit([{ topic, partition, offset: nextOffset(message.offset) }]);
      }
      async function commit(offsets: { topic: string; partition: number; offset: string }[]) {
        await commitWithin(() => c.commitOffsets(offsets), commitTimeoutMs, config.groupId);
        stats.commits++;
      }
      running = true;
      await joined;
      logger.info({ topics: config.topics }, "consumer joined its group");
    },

    async stop() {
      if (stopping) return;
      stopping = true;
      stopSignal.abort();
      try {
        if (consumer) {
          // The record in hand finishes first; then what was skipped since the last commit is
          // committed while the consumer still runs (kafkajs refuses commits once stopped).
          await Promise.allSettled(inHand);
          if (running)
            await commitDeferred(consumer).catch((error: unknown) =>
              logger.warn({ err: error }, "could not commit the records skipped last"),
            );
          await consumer.stop();
        }
        await consumer?.disconnect();
      } finally {
        running = false;
        if (ownPublisher) await publisher.disconnect();
      }
    },
  };
  return runner;
}

const runnerSettings = z.object({
  groupId: z.string().min(1, "groupId is required"),
  topics: z.array(z.string().min(1)).min(1, "topics: at least one"),
  source: z.string().regex(/^[^\s]+$/, "source must be a URI reference such as /shadow/<service>"),
  deadLetterTopic: z.string().min(1).optional(),
  commitTimeoutMs: z.number().int().positive("commitTimeoutMs must be > 0").optional(),
});

/** Fails at construction, naming the bad setting, rather than on the first record. */
function checkRunnerConfig<D>(config: ConsumerRunnerConfig<D>): void {
  const parsed = runnerSettings.safeParse(config);
  if (!parsed.success) {
    throw new TypeError(
      `consumer runner configuration is invalid:\n${z.prettifyError(parsed.error)}`,
    );
  }
  if (config.topics.includes(config.deadLetterTopic ?? busTopics.deadLetter)) {
    throw new TypeError("a runner must not consume its own dead-letter topic");
  }
}

/** Skipped records per partition committed together (see `deferred`). */
const DEFER_LIMIT = 100;

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
