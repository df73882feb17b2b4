import type { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { startLoad } from "../src/loadgen/generator.ts";
import { testKafka, useRunTopics } from "./support.ts";

const kafka = testKafka();
const { topics } = useRunTopics(kafka, 3);

/** The same client, whose producers count their produce calls and the records in them. */
function countingKafka(base: Kafka) {
  const sends: number[] = [];
  const client = Object.create(base) as Kafka;
  client.producer = (config) => {
    const producer = base.producer(config);
    const send = producer.send.bind(producer);
    producer.send = async (record) => {
      sends.push(record.messages.length);
      return send(record);
    };
    return producer;
  };
  return { client, sends };
}

describe("load generator batching", () => {
  it("sends each message alone at paper rates", async () => {
    const { client, sends } = countingKafka(kafka);
    const load = await startLoad({
      brokers: [],
      kafka: client,
      topic: topics.input,
      rate: 100,
      count: 20,
    }).done;
    expect(load.sent).toBe(20);
    expect(sends.reduce((a, b) => a + b, 0)).toBe(20);
    // No waiting for company: a message goes at its time, alone. Only a tick that comes late on
    // a busy machine finds two or three due at once (clean-clone CI runs have seen up to six
    // such pairs in 20), so most requests still hold one message; a generator that lingered
    // for a batch would send none alone. The threshold itself is minBatchOf's unit test.
    const alone = sends.filter((n) => n === 1).length;
    expect(alone).toBeGreaterThan(sends.length / 2);
  });

  it("at thousands of msg/s, waits for a linger's worth of messages instead of a request per few", async () => {
    const { client, sends } = countingKafka(kafka);
    const load = await startLoad({
      brokers: [],
      kafka: client,
      topic: topics.input,
      rate: 4_000,
      count: 4_000,
    }).done;
    expect(load.sent).toBe(4_000);
    expect(sends.reduce((a, b) => a + b, 0)).toBe(4_000);
    // 5 ms at 4,000 msg/s is 20 messages: at most 200 requests, and none smaller than that
    // except the last.
    expect(sends.length).toBeLessThanOrEqual(200);
    expect(Math.min(...sends.slice(0, -1))).toBeGreaterThanOrEqual(20);
  });
});
