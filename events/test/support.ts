import { randomBytes } from "node:crypto";
import { headerText } from "@shadow/contract";
import { type Consumer, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { inject } from "vitest";
import { createTopicsWithLeaders } from "../src/bus/create-topics.ts";

/**
 * Integration test helpers: a client for the local broker, random topics and groups, and a
 * reader that collects what lands on a topic. Every test makes its own topics and deletes them.
 */
export function brokers(): string[] {
  return inject("kafkaBrokers");
}

export function testKafka(clientId = "events-test"): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.ERROR });
}

export function randomName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** kafkajs waits up to 5 s per empty fetch by default, which also slows stop(). */
export const fastConsumer = { maxWaitTimeInMs: 100 } as const;

export async function createTopics(kafka: Kafka, names: string[], partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(
      admin,
      names.map((topic) => ({ topic, numPartitions: partitions })),
    );
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, names: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = names.filter((name) => existing.has(name));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Polls `check` until it returns true; fails with `what` after the timeout. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Collects every record of a topic from the beginning, for assertions on what was written. */
export interface TopicReader {
  records: KafkaMessage[];
  stop(): Promise<void>;
}

export async function readTopic(kafka: Kafka, topic: string): Promise<TopicReader> {
  const consumer: Consumer = kafka.consumer({ groupId: randomName("reader"), ...fastConsumer });
  const records: KafkaMessage[] = [];
  const joined = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off();
      resolve();
    });
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push(message);
    },
  });
  await joined;
  return { records, stop: () => consumer.disconnect() };
}

export function header(message: KafkaMessage, name: string): string | undefined {
  return headerText(message.headers?.[name]);
}
