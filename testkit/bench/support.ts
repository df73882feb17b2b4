import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";

/** Bench helpers: a client for the local broker and throwaway topics. */
export function benchKafka(): Kafka {
  const brokers = (process.env.SHADOW_KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
  return new Kafka({ clientId: "shadow-bench", brokers, logLevel: logLevel.ERROR });
}

export function brokersOf(): string[] {
  return (process.env.SHADOW_KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
}

export function benchName(prefix: string): string {
  return `bench-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

export async function withTopics<T>(
  kafka: Kafka,
  specs: { topic: string; partitions: number }[],
  work: () => Promise<T>,
): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: specs.map(({ topic, partitions }) => ({ topic, numPartitions: partitions })),
    });
    return await work();
  } finally {
    await admin.deleteTopics({ topics: specs.map((s) => s.topic) }).catch(() => undefined);
    await admin.disconnect();
  }
}
