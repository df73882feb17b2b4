import { randomUUID } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";
import { topicOffsets } from "./topic-offsets.ts";

export interface ReadLogOptions {
  /** Gives up (and rejects) after this long. Default 120 s. */
  timeoutMs?: number;
}

/**
 * Reads a topic from each partition's start (its low watermark) up to `until` (exclusive) on the
 * partitions it names, calling `onRecord` for every record in order within its partition, and
 * resolves once each of them is read that far. For rebuilding in memory what a log says, e.g.
 * after a restart. kafkajs assigns no partition by hand, so this joins a consumer group of its
 * own (deleted afterwards) that starts from the beginning.
 */
export async function readLog(
  kafka: Kafka,
  topic: string,
  until: ReadonlyMap<number, bigint>,
  onRecord: (partition: number, message: KafkaMessage) => void | Promise<void>,
  options: ReadLogOptions = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `shadow.read-log.${randomUUID()}`;
  const pending = new Map<number, bigint>();
  try {
    for (const { partition, low } of await topicOffsets(admin, topic)) {
      const end = until.get(partition);
      if (end !== undefined && end > BigInt(low)) pending.set(partition, end);
    }
    if (pending.size === 0) return;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    let finish: (error?: unknown) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => {
      finish = (error) => (error === undefined ? resolve() : reject(error));
    });
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `reading ${topic} timed out with partitions ${[...pending.keys()].join(", ")} unread`,
          ),
        ),
      options.timeoutMs ?? 120_000,
    );
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          const end = pending.get(batch.partition);
          if (end === undefined) return;
          for (const message of batch.messages) {
            if (BigInt(message.offset) >= end) break;
            await onRecord(batch.partition, message);
          }
          // The batch's last offset counts records not handed over (transaction markers).
          if (BigInt(batch.lastOffset()) + 1n >= end) {
            pending.delete(batch.partition);
            consumer.pause([{ topic, partitions: [batch.partition] }]);
            if (pending.size === 0) finish();
          }
        },
      });
      await finished;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
