import { randomBytes } from "node:crypto";
import { createTopicsWithLeaders } from "@shadow/events";
import { type Consumer, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { inject } from "vitest";

/**
 * Kafka helpers for integration tests. Every test makes its own topics and groups with
 * `randomTopic`/`randomGroup`, waits for its consumer to join (`joined`) before producing,
 * and deletes its topics afterwards.
 *
 * @example
 *   const kafka = testKafka();
 *   const topic = randomTopic("orders");
 *   await createTopic(topic, 3);
 *   onTestFinished(() => deleteTopic(topic));
 */

/** Brokers of the local stack, as provided by test/setup/local-stack.ts. */
export function kafkaBrokers(): string[] {
  return inject("kafkaBrokers");
}

/** A kafkajs client for the local stack; quiet unless something is wrong. */
export function testKafka(clientId = "shadow-test", config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: kafkaBrokers(),
    logLevel: logLevel.ERROR,
    ...config,
  });
}

/**
 * Consumer settings that keep tests fast: kafkajs' default 5 s fetch wait also delays
 * `consumer.stop()` and `disconnect()` by up to 5 s.
 */
export const fastConsumer = { maxWaitTimeInMs: 100 } as const;

/** A topic name no other test uses: `<prefix>-<time>-<random>`, legal for Kafka. */
export function randomTopic(prefix = "test"): string {
  return `${sanitize(prefix)}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** A consumer group id no other test uses. */
export function randomGroup(prefix = "test"): string {
  return `${randomTopic(prefix)}-group`;
}

/** Creates a topic and waits until every partition has a leader. */
export async function createTopic(name: string, partitions = 1): Promise<void> {
  await withAdmin(async (admin) => {
    const created = await createTopicsWithLeaders(admin, [
      { topic: name, numPartitions: partitions },
    ]);
    if (!created) throw new Error(`topic ${name} already exists`);
  });
}

/** Deletes a topic; a topic that is already gone is fine. */
export async function deleteTopic(name: string): Promise<void> {
  await withAdmin(async (admin) => {
    const existing = await admin.listTopics();
    if (existing.includes(name)) await admin.deleteTopics({ topics: [name], timeout: 10_000 });
  });
}

/**
 * Resolves once `consumer` has joined its group and received its assignment. Call it
 * before `consumer.run()` (the event can fire right after run starts) and await it after.
 */
export function joined(consumer: Consumer, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`consumer did not join its group within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const removeListener = consumer.on(consumer.events.GROUP_JOIN, () => {
      clearTimeout(timer);
      removeListener();
      resolve();
    });
  });
}

async function withAdmin<T>(work: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = testKafka("shadow-test-admin").admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

function sanitize(prefix: string): string {
  return prefix.replace(/[^a-zA-Z0-9-]/g, "-");
}
