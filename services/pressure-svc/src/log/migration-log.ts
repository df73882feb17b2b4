import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { RetryableError, resilientConsumer, topics } from "@shadow/events";
import { MigrationProjection, type MigrationView, migrationLogRecord } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Kafka } from "kafkajs";
import type { MigrationRecord } from "../policy/types.ts";
import { recordOf } from "./records.ts";

/** The migrations the log holds, as the policy needs them. */
export interface MigrationLog {
  /**
   * Every migration the log holds up to the moment of the call: it waits until the fold has
   * read every record written before it (this service's own requests included), so what the
   * policy counts as under way is what the log says, not what this process remembers.
   */
  upToDate(): Promise<MigrationRecord[]>;
  /** Calls `listener` with every migration that ends (completed, rolled back, refused). */
  onEnded(listener: (view: MigrationView) => void): () => void;
  stop(): Promise<void>;
}

/**
 * Folds the migrations topic from its beginning in a consumer group of this process alone, as
 * the gateway's projection does: every start rebuilds what is under way from the log.
 */
export async function followMigrations(
  kafka: Kafka,
  logger: Logger,
  waitMs = 30_000,
): Promise<MigrationLog> {
  const projection = new MigrationProjection();
  const read = new Map<number, number>();
  const consumer = kafka.consumer({
    ...resilientConsumer,
    groupId: `shadow.pressure-svc.log.${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);
  await consumer.subscribe({ topic: topics.migrations, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      read.set(partition, Number(message.offset));
      const record = migrationLogRecord(partition, message);
      if (record.ok) projection.apply(record.event, record.position);
    },
  });

  const readUpTo = async (limitMs: number): Promise<MigrationRecord[]> => {
    const ends = await admin.fetchTopicOffsets(topics.migrations);
    const deadline = Date.now() + limitMs;
    for (;;) {
      const behind = ends.filter(
        (e) => Number(e.high) > Number(e.low) && (read.get(e.partition) ?? -1) < Number(e.high) - 1,
      );
      if (behind.length === 0) return projection.list().map(recordOf);
      if (Date.now() > deadline) {
        throw new RetryableError(
          `the migrations log was not read up to its end within ${limitMs} ms (partitions ${behind.map((e) => e.partition).join(", ")} behind)`,
          { code: "LOG_BEHIND" },
        );
      }
      await sleep(20);
    }
  };

  const ended = new Set<(view: MigrationView) => void>();
  const wasActive = new Map<string, boolean>();
  projection.subscribe((view) => {
    const active = recordOf(view).active;
    const before = wasActive.get(view.migrationId);
    wasActive.set(view.migrationId, active);
    if (before === true && !active) for (const listener of ended) listener(view);
  });

  // At start the whole log is read, however long it is: nothing is decided before (a busy
  // machine took over 30 s for a shared broker's log, and a deadline here only restarted it).
  const started = Date.now();
  await readUpTo(Number.POSITIVE_INFINITY);
  logger.info(
    { migrations: projection.list().length, ms: Date.now() - started },
    "migrations log read up to its end",
  );
  return {
    upToDate: () => readUpTo(waitMs),
    onEnded(listener) {
      ended.add(listener);
      return () => ended.delete(listener);
    },
    async stop() {
      await Promise.all([consumer.disconnect(), admin.disconnect()]);
    },
  };
}
