import { createTopicsWithLeaders, topics } from "@shadow/events";
import type { ITopicConfig, Kafka } from "kafkajs";

/** Partitions of the migrations topic: also how many a service handles at once. */
export const MIGRATION_PARTITIONS = 6;

/**
 * The bus's topics and their partition counts. A workload's migrations share a partition (key =
 * workload), so partitions only spread different workloads; a few are plenty here.
 */
export function busTopics(): ITopicConfig[] {
  return [
    { topic: topics.migrations, numPartitions: MIGRATION_PARTITIONS },
    { topic: topics.control, numPartitions: 6 },
    { topic: topics.pressure, numPartitions: 3 },
    { topic: topics.deadLetter, numPartitions: 1 },
  ];
}

/**
 * Creates the bus's topics that do not exist yet; a no-op when they all do. Every service calls
 * it at start-up, so several may race to create the same topic.
 */
export async function ensureBusTopics(
  kafka: Kafka,
  wanted: readonly ITopicConfig[] = busTopics(),
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      // Another service may create the same topic at the same moment: kafkajs answers `false`
      // for topics that exist already (it throws only for other errors), and the leaders are
      // waited for either way.
      await createTopicsWithLeaders(admin, missing);
    }
  } finally {
    await admin.disconnect();
  }
}
