import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ensureBusTopics } from "../src/ensure-topics.ts";

const kafka = () =>
  new Kafka({ clientId: "host-test", brokers: inject("kafkaBrokers"), logLevel: logLevel.NOTHING });
const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
const wanted = [
  { topic: `host-test.migrations.${suffix}`, numPartitions: 3 },
  { topic: `host-test.control.${suffix}`, numPartitions: 2 },
];

afterAll(async () => {
  const admin = kafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: wanted.map((t) => t.topic) }).catch(() => undefined);
  await admin.disconnect();
});

describe("the bus's topics at service start-up", () => {
  it("are created once when several services start at the same moment, with leaders for every partition", async () => {
    // Each call is a service of its own: its own client, all racing for the same topics.
    const starts = await Promise.allSettled(
      Array.from({ length: 4 }, () => ensureBusTopics(kafka(), wanted)),
    );
    expect(starts.map((s) => s.status)).toEqual(Array(4).fill("fulfilled"));

    const admin = kafka().admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.topic) });
      const byName = new Map(topics.map((t) => [t.name, t.partitions]));
      for (const { topic, numPartitions } of wanted) {
        expect(byName.get(topic)?.length).toBe(numPartitions);
        expect(byName.get(topic)?.every((p) => p.leader >= 0)).toBe(true);
      }
    } finally {
      await admin.disconnect();
    }
    // Once they exist, a later start changes nothing.
    await expect(ensureBusTopics(kafka(), wanted)).resolves.toBeUndefined();
  });
});
