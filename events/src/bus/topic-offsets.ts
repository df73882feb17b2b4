import { setTimeout as sleep } from "node:timers/promises";
import type { Admin } from "kafkajs";

/** How long a topic's offsets may be refused for while its partitions' leaders settle. */
export const OFFSETS_SETTLE_MS = 15_000;

/**
 * A topic's offsets per partition (kafkajs's `fetchTopicOffsets`), asked again while the broker
 * answers with a retriable error. A topic created a moment ago has leaders in its metadata
 * before each leader answers for its partition, and a leader can move soon after (the
 * controller's preferred-leader election): the broker then says "not the leader", which
 * kafkajs's admin passes on without asking again (seen failing a test's set-up in CI). The
 * metadata is refreshed before each new attempt, so the next one goes to the leader.
 */
export async function topicOffsets(
  admin: Admin,
  topic: string,
  settleMs = OFFSETS_SETTLE_MS,
): ReturnType<Admin["fetchTopicOffsets"]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
      await sleep(100);
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}
