import type { Admin, Kafka, KafkaMessage } from "kafkajs";

export interface RangesToRead {
  topics: readonly string[];
  /** First offset to read per partition; undefined: from the partition's first. */
  from?: (topic: string, partition: number) => number | undefined;
  /** A group of the read's own, deleted afterwards. */
  groupId: string;
  /** For a read that stalls; `msPerRecord` grows it with the number of records to read. */
  timeoutMs: number;
  msPerRecord?: number;
}

/**
 * Reads `topics` from each partition's start (or `from`) up to the end it had when the read
 * began, and hands every record in that range to `onMessage`. Resolves once all are read;
 * rejects when the read stalls past its timeout.
 */
export async function readRanges(
  kafka: Kafka,
  admin: Admin,
  read: RangesToRead,
  onMessage: (topic: string, partition: number, message: KafkaMessage) => void,
): Promise<void> {
  const ranges = new Map<
    string,
    { topic: string; partition: number; start: number; last: number }
  >();
  let total = 0;
  for (const topic of read.topics) {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      const start = Math.max(Number(low), read.from?.(topic, partition) ?? Number(low));
      if (Number(high) <= start) continue;
      ranges.set(`${topic}/${partition}`, { topic, partition, start, last: Number(high) - 1 });
      total += Number(high) - start;
    }
  }
  if (ranges.size === 0) return;
  const timeoutMs = read.timeoutMs + total * (read.msPerRecord ?? 0);
  const consumer = kafka.consumer({ groupId: read.groupId, maxWaitTimeInMs: 100 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...read.topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `reading ${read.topics.join(", ")}: still ${ranges.size} partitions short after ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      if (read.from) {
        consumer.on(consumer.events.GROUP_JOIN, () => {
          for (const { topic, partition, start } of ranges.values()) {
            consumer.seek({ topic, partition, offset: String(start) });
          }
        });
      }
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const key = `${topic}/${partition}`;
            const range = ranges.get(key);
            const offset = Number(message.offset);
            if (!range || offset < range.start || offset > range.last) return;
            onMessage(topic, partition, message);
            if (offset === range.last) {
              ranges.delete(key);
              if (ranges.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([read.groupId]).catch(() => undefined);
  }
}
