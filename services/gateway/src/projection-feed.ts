import { randomUUID } from "node:crypto";
import { resilientConsumer, topics } from "@shadow/events";
import { type MigrationProjection, migrationLogRecord } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Kafka } from "kafkajs";

/**
 * Keeps the projection current by reading the migrations topic from its beginning. The group
 * is this process's own, so every start rebuilds the views from the log: the log is the only
 * source of truth, the gateway stores nothing. `caughtUp` resolves once the log as it was at
 * start has been folded: before that, the views (and the verdicts requests wait for) are partial.
 * The projection folds by partition and offset, as every service's ledger does, so a record
 * handed over again changes nothing.
 */
export async function feedProjection(
  kafka: Kafka,
  projection: MigrationProjection,
  logger: Logger,
) {
  const consumer = kafka.consumer({
    ...resilientConsumer,
    groupId: `shadow.gateway.projection.${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  const admin = kafka.admin();
  await admin.connect();
  // The last offset of each partition at start; the fold has caught up when it read them all.
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
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const last = pending.get(partition);
      if (last !== undefined && Number(message.offset) >= last) {
        pending.delete(partition);
        if (pending.size === 0) markCaughtUp();
      }
      const read = migrationLogRecord(partition, message);
      if (!read.ok) {
        logger.warn(
          { code: read.code, reason: read.reason },
          "projection skipped an invalid event",
        );
        return;
      }
      projection.apply(read.event, read.position);
    },
  });
  return { caughtUp, stop: () => consumer.disconnect() };
}
