import { randomUUID } from "node:crypto";
import { decodeRecord, type ShadowEvent, topicOffsets } from "@shadow/events";
import type { Kafka } from "kafkajs";

/** Every event on `topic` up to its end now, decoded (records that do not decode are skipped). */
export async function readTopicEvents(kafka: Kafka, topic: string): Promise<ShadowEvent[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    for (const o of await topicOffsets(admin, topic)) {
      if (Number(o.high) > Number(o.low)) ends.set(o.partition, Number(o.high) - 1);
    }
  } finally {
    await admin.disconnect();
  }
  const events: ShadowEvent[] = [];
  if (ends.size === 0) return events;
  const consumer = kafka.consumer({ groupId: `shadow.test.read.${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`reading ${topic} took too long`)), 60_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const decoded = decodeRecord(message);
          if (decoded.ok) events.push(decoded.event);
          if (Number(message.offset) >= (ends.get(partition) ?? -1)) ends.delete(partition);
          if (ends.size === 0) {
            clearTimeout(timer);
            done();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return events;
}
