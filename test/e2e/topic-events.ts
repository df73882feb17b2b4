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

/** Events of some topics as they arrive, from each topic's start (see `watchTopics`). */
export interface TopicWatch {
  /** Every matching event seen so far, in arrival order. */
  readonly seen: ShadowEvent[];
  /** The first matching event (seen already or still to come) that `pick` accepts. */
  next(pick: (event: ShadowEvent) => boolean, timeoutMs: number): Promise<ShadowEvent>;
  close(): Promise<void>;
}

/**
 * Follows `topics` from their start with a fresh group, keeping the events `match` accepts; a
 * test reacts to one as soon as the broker hands it out (fetches wait at most 20 ms).
 */
export async function watchTopics(
  kafka: Kafka,
  topicNames: string[],
  match: (event: ShadowEvent) => boolean,
): Promise<TopicWatch> {
  const seen: ShadowEvent[] = [];
  const waiting = new Set<() => void>();
  const consumer = kafka.consumer({
    groupId: `shadow.test.watch.${randomUUID()}`,
    maxWaitTimeInMs: 20,
  });
  await consumer.connect();
  for (const topic of topicNames) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const decoded = decodeRecord(message);
      if (!decoded.ok || !match(decoded.event)) return;
      seen.push(decoded.event);
      for (const wake of waiting) wake();
    },
  });
  return {
    seen,
    next(pick, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = seen.find(pick);
          if (!found) return;
          clearTimeout(timer);
          waiting.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(
            new Error(
              `no such event within ${timeoutMs} ms (seen: ${seen.map((e) => e.type).join(", ")})`,
            ),
          );
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
    close: () => consumer.disconnect(),
  };
}
