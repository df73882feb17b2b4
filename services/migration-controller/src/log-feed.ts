import { randomUUID } from "node:crypto";
import { resilientConsumer, topics } from "@shadow/events";
import { type MigrationProjection, migrationLogRecord } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Kafka } from "kafkajs";

/**
 * Keeps the projection current by reading the migrations topic from its beginning, as the
 * gateway does: in a consumer group of this process's own, so every start folds the whole log
 * again and the controller stores nothing of its own. `caughtUp` resolves once the log as it was
 * at start has been folded: before that, a Migration could be asked for a second time.
 */
export async function followLog(kafka: Kafka, projection: MigrationProjection, logger: Logger) {
  const consumer = kafka.consumer({
    ...resilientConsumer,
    groupId: `shadow.migration-controller.projection.${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const pending = new Map<number, number>();
  try {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topics.migrations)) {
      if (Number(high) > Number(low)) pending.set(partition, Number(high) - 1);
    }
  } finally {
    await admin.disconnect();
  }
  let markCaughtUp = () => {};
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = resolve;
  });
  if (pending.size === 0) markCaughtUp();
  await consumer.subscribe({ topic: topics.migrations, fromBeginning: true });
  let folded = 0;
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      // kafkajs hands a batch over message by message without yielding to the event loop: on a
      // long log the health endpoints (and the informers) would not be answered for minutes.
      if (++folded % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
      const last = pending.get(partition);
      if (last !== undefined && Number(message.offset) >= last) {
        pending.delete(partition);
        if (pending.size === 0) markCaughtUp();
      }
      const read = migrationLogRecord(partition, message);
      if (!read.ok) {
        logger.debug(
          { code: read.code, reason: read.reason },
          "projection skipped an invalid event",
        );
        return;
      }
      // Folded at its place in the log: a replayed or late event changes no view.
      projection.apply(read.event, read.position);
    },
  });
  return { caughtUp, stop: () => consumer.disconnect() };
}
