import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { RetryableError, resilientConsumer, topicOffsets, topics } from "@shadow/events";
import { type FoldableEvent, type LogPosition, migrationLogRecord } from "@shadow/migration";
import type { Kafka } from "kafkajs";

/** What a reader of the migrations log does with each record, in the order of its partition. */
export interface MigrationsLogReader {
  /** Names the consumer group; a random suffix makes it this process's own. */
  groupPrefix: string;
  /** A valid event, with its place in the log (a fold keyed by it ignores a record seen twice). */
  onEvent(event: FoldableEvent, position: LogPosition): void;
  /** A record that holds no valid shadow event: the reader skips it. */
  onInvalid?(invalid: { code: string; reason: string }): void;
}

/** A running read of the migrations log. */
export interface MigrationsLogFeed {
  /** Resolves once every record the log held at start has been handed over. */
  caughtUp: Promise<void>;
  /**
   * Resolves once every record the log holds at the moment of the call has been handed over;
   * rejects with a RetryableError (LOG_BEHIND) when that takes longer than `limitMs`.
   */
  readToEnd(limitMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads the migrations topic from its beginning in a consumer group of this process alone, so
 * every start folds the whole log again: the log is the only source of truth, the reader stores
 * nothing of its own.
 */
export async function followMigrationsLog(
  kafka: Kafka,
  reader: MigrationsLogReader,
): Promise<MigrationsLogFeed> {
  const consumer = kafka.consumer({
    ...resilientConsumer,
    groupId: `${reader.groupPrefix}.${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);

  // The last offset handed over, per partition.
  const read = new Map<number, number>();
  const endsNow = async () => {
    const ends = new Map<number, number>();
    for (const { partition, high, low } of await topicOffsets(admin, topics.migrations)) {
      if (Number(high) > Number(low)) ends.set(partition, Number(high) - 1);
    }
    return ends;
  };
  const behind = (ends: Map<number, number>) =>
    [...ends].filter(([partition, last]) => (read.get(partition) ?? -1) < last).map(([p]) => p);

  // The last offset of each partition at start; the fold has caught up when it read them all.
  const pending = await endsNow();
  let markCaughtUp = () => {};
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = resolve;
  });
  if (pending.size === 0) markCaughtUp();

  await consumer.subscribe({ topic: topics.migrations, fromBeginning: true });
  let handed = 0;
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      // kafkajs hands a batch over message by message without yielding to the event loop: on a
      // long log the health endpoints (and the informers) would not be answered for minutes.
      if (++handed % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
      const record = migrationLogRecord(partition, message);
      if (record.ok) reader.onEvent(record.event, record.position);
      else reader.onInvalid?.({ code: record.code, reason: record.reason });
      read.set(partition, Number(message.offset));
      if (pending.size > 0 && behind(pending).length === 0) {
        pending.clear();
        markCaughtUp();
      }
    },
  });

  return {
    caughtUp,
    async readToEnd(limitMs) {
      const ends = await endsNow();
      const deadline = Date.now() + limitMs;
      for (;;) {
        const late = behind(ends);
        if (late.length === 0) return;
        if (Date.now() > deadline) {
          throw new RetryableError(
            `the migrations log was not read up to its end within ${limitMs} ms (partitions ${late.join(", ")} behind)`,
            { code: "LOG_BEHIND" },
          );
        }
        await sleep(20);
      }
    },
    async stop() {
      await Promise.all([consumer.disconnect(), admin.disconnect()]);
    },
  };
}
