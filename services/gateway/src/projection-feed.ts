import { randomUUID } from "node:crypto";
import { decodeRecord, topics, validateEvent } from "@shadow/events";
import type { MigrationProjection } from "@shadow/migration";
import type { Logger } from "@shadow/otel";
import type { Kafka } from "kafkajs";

/**
 * Keeps the projection current by reading the migrations topic from its beginning. The group
 * is this process's own, so every start rebuilds the views from the log: the log is the only
 * source of truth, the gateway stores nothing.
 */
export async function feedProjection(
  kafka: Kafka,
  projection: MigrationProjection,
  logger: Logger,
) {
  const consumer = kafka.consumer({
    groupId: `shadow.gateway.projection.${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.migrations, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const decoded = decodeRecord(message);
      if (!decoded.ok) return;
      const valid = validateEvent(decoded.event);
      if (!valid.ok) {
        logger.warn(
          { code: valid.code, reason: valid.reason },
          "projection skipped an invalid event",
        );
        return;
      }
      const e = valid.event;
      projection.apply(e.subject, {
        id: `${e.source}/${e.id}`,
        type: e.type,
        time: e.time,
        data: e.data,
        ...(e.traceparent ? { traceparent: e.traceparent } : {}),
      });
    },
  });
  return { stop: () => consumer.disconnect() };
}
