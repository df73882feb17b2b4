import { topicOffsets } from "@shadow/events";
import type { Kafka } from "kafkajs";

/**
 * Gives a consumer group a committed offset on every partition it has none for: the log's end
 * now. Why: a group without one starts wherever `fromBeginning` says on every join, so a
 * service killed while handling its first event on a partition would come back at the log's
 * end and never see that event again. Committed up front, a restart resumes exactly where the
 * dead member stopped. Runs before the service's consumer joins (setOffsets needs an idle
 * group); a group that already has members has its offsets already.
 */
export async function initGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topics: string[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const { topic, partitions } of committed) {
      const missing = partitions.filter((p) => p.offset === "-1").map((p) => p.partition);
      if (missing.length === 0) continue;
      const ends = await topicOffsets(admin, topic);
      const offsets = ends
        .filter((e) => missing.includes(e.partition))
        .map((e) => ({ partition: e.partition, offset: e.high }));
      await admin.setOffsets({ groupId, topic, partitions: offsets });
    }
  } finally {
    await admin.disconnect();
  }
}
