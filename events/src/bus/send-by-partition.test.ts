import type { Admin, Message, Producer, ProducerBatch, ProducerRecord } from "kafkajs";
import { describe, expect, it } from "vitest";
import { PartitionedProducer, partitionFor } from "./send-by-partition.ts";

/** A producer whose sends resolve when the test says so, in any order. */
function fakeProducer() {
  const sends: { record: ProducerRecord; done: () => void }[] = [];
  const batches: ProducerBatch[] = [];
  const producer = {
    send(record: ProducerRecord) {
      return new Promise((resolve) => {
        sends.push({
          record,
          done: () =>
            resolve([
              { topicName: record.topic, partition: record.messages[0]?.partition, errorCode: 0 },
            ]),
        });
      });
    },
    async sendBatch(batch: ProducerBatch) {
      batches.push(batch);
      return [];
    },
  } as unknown as Producer;
  return { producer, sends, batches };
}

/** An admin of a cluster of `brokers` nodes with these topics' partition counts. */
function fakeAdmin(brokers: number, counts: Record<string, number> = {}) {
  let reads = 0;
  const admin = {
    async describeCluster() {
      return { brokers: Array.from({ length: brokers }, (_, nodeId) => ({ nodeId })) };
    },
    async fetchTopicMetadata({ topics }: { topics: string[] }) {
      reads++;
      return {
        topics: topics.map((name) => ({
          name,
          partitions: Array.from({ length: counts[name] ?? 0 }, (_, partitionId) => ({
            partitionId,
          })),
        })),
      };
    },
  } as unknown as Admin;
  return { admin: async () => admin, reads: () => reads };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("PartitionedProducer on a cluster of several brokers", () => {
  it("sends each partition's messages in a send of its own, at once, in their order", async () => {
    const { producer, sends } = fakeProducer();
    const messages: Message[] = [0, 1, 2, 3, 4, 5].map((i) => ({
      partition: i % 3,
      value: `m${i}`,
    }));
    const sent = new PartitionedProducer(producer, fakeAdmin(3).admin).send([
      { topic: "in", messages },
    ]);
    await settle();
    expect(sends).toHaveLength(3);
    for (const { record } of sends) {
      expect(record.acks).toBe(-1);
      expect(new Set(record.messages.map((m) => m.partition)).size).toBe(1);
    }
    const one = sends.find((s) => s.record.messages[0]?.partition === 1);
    expect(one?.record.messages.map((m) => m.value)).toEqual(["m1", "m4"]);
    for (const s of sends) s.done();
    expect(await sent).toHaveLength(3);
  });

  it("places keyed messages as kafkajs' DefaultPartitioner does: one key, one partition", async () => {
    const { producer, sends } = fakeProducer();
    const { admin, reads } = fakeAdmin(3, { out: 6, ctl: 2 });
    const partitioned = new PartitionedProducer(producer, admin);
    const keys = ["mig-1", "mig-2", "mig-3", "mig-1"];
    const sent = partitioned.send([
      { topic: "out", messages: keys.map((key) => ({ key, value: key })) },
      { topic: "ctl", messages: [{ key: "mig-1", value: "x" }] },
    ]);
    await settle();
    for (const { record } of sends) {
      const count = record.topic === "out" ? 6 : 2;
      for (const m of record.messages) {
        expect(m.partition).toBe(
          partitionFor(record.topic, { key: m.key ?? null, value: null }, count),
        );
      }
    }
    const mig1 = sends.filter(
      (s) => s.record.topic === "out" && s.record.messages.some((m) => m.key === "mig-1"),
    );
    expect(mig1).toHaveLength(1);
    expect(mig1[0]?.record.messages.filter((m) => m.key === "mig-1")).toHaveLength(2);
    for (const s of sends) s.done();
    await sent;
    // Counts are read once per topic.
    const again = partitioned.send([{ topic: "out", messages: [{ key: "k", value: "v" }] }]);
    await settle();
    for (const s of sends) s.done();
    await again;
    expect(reads()).toBe(2);
  });

  it("holds a partition's next send until its last one is acknowledged", async () => {
    const { producer, sends } = fakeProducer();
    const partitioned = new PartitionedProducer(producer, fakeAdmin(3).admin);
    const first = partitioned.send([{ topic: "t", messages: [{ partition: 0, value: "a" }] }]);
    await settle();
    const second = partitioned.send([
      {
        topic: "t",
        messages: [
          { partition: 0, value: "b" },
          { partition: 1, value: "c" },
        ],
      },
    ]);
    await settle();
    // Partition 1 goes at once; partition 0's second send waits for its first.
    expect(sends.map((s) => s.record.messages[0]?.value)).toEqual(["a", "c"]);
    sends[0]?.done();
    await first;
    await settle();
    expect(sends.map((s) => s.record.messages[0]?.value)).toEqual(["a", "c", "b"]);
    for (const s of sends.slice(1)) s.done();
    await second;
  });
});

describe("PartitionedProducer with one broker", () => {
  it("sends a batch as kafkajs does: one send per topic's batch, one sendBatch for several topics", async () => {
    const { producer, sends, batches } = fakeProducer();
    const partitioned = new PartitionedProducer(producer, fakeAdmin(1).admin);
    const messages: Message[] = [0, 1, 2, 3].map((i) => ({ partition: i % 2, value: `m${i}` }));
    const sent = partitioned.send([{ topic: "in", messages }]);
    await settle();
    expect(sends).toHaveLength(1);
    expect(sends[0]?.record.messages).toHaveLength(4);
    sends[0]?.done();
    await sent;
    await partitioned.send([
      { topic: "a", messages: [{ key: "k", value: "1" }] },
      { topic: "b", messages: [{ key: "k", value: "2" }] },
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.topicMessages?.map((t) => t.topic)).toEqual(["a", "b"]);
  });
});
