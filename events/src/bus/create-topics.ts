import type { Admin, ITopicConfig } from "kafkajs";

/**
 * Creates topics and waits until every partition has a leader; false when they existed
 * already. kafkajs's own `waitForLeaders` retries only LEADER_NOT_AVAILABLE, but a KRaft
 * broker may first answer the metadata request for a topic it just created with
 * UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this topic-partition"), which failed
 * a test's set-up in a clean-clone CI run. Here any error of the metadata request is retried
 * until the deadline.
 */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: ITopicConfig[],
  timeoutMs = 15_000,
): Promise<boolean> {
  // kafkajs's own wait would throw on the first UNKNOWN_TOPIC_OR_PARTITION: the loop below waits.
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
      const led = found.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (led && found.length === names.length) return created;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`topics ${names.join(", ")} have no leader after ${timeoutMs} ms`, {
        cause: last,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
