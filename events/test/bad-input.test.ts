import { createLogger } from "@shadow/otel/logger";
import type { KafkaMessage, Message, Producer } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toBinaryRecord, toStructuredRecord } from "../src/binding/encode.ts";
import {
  buildEvent,
  type ConsumerRunner,
  createConsumerRunner,
  dlqHeaders,
  MigrationRequested,
  type ShadowEvent,
} from "../src/index.ts";
import { sampleData } from "../src/testing/index.ts";
import {
  createTopics,
  deleteTopics,
  eventually,
  fastConsumer,
  header,
  randomName,
  readTopic,
  type TopicReader,
  testKafka,
} from "./support.ts";

/**
 * Good events mixed with every kind of bad input, on the real broker: each bad record ends in
 * the dead-letter topic with its reason and its original bytes, each good one is handled
 * exactly once, the consumer keeps going, and every record is accounted for.
 */
const kafka = testKafka("bad-input");
const topic = randomName("bad-input");
const dlq = randomName("bad-input-dlq");
const handledIds: string[] = [];
let runner: ConsumerRunner;
let producer: Producer;
let dlqReader: TopicReader;

const requested = (migrationId: string): ShadowEvent =>
  buildEvent(MigrationRequested, sampleData(migrationId)["io.shadow.migration.requested.v1"], {
    source: "/shadow/bad-input-test",
  });

beforeAll(async () => {
  await createTopics(kafka, [topic, dlq], 2);
  runner = createConsumerRunner({
    kafka,
    groupId: randomName("bad-input"),
    topics: [topic],
    handlers: {
      [MigrationRequested.type]: async (event) => {
        if (event.data.migrationId.startsWith("m-poison"))
          throw new Error("this handler always fails");
        handledIds.push(event.id);
        return [];
      },
    },
    deps: {},
    source: "/shadow/bad-input-test",
    deadLetterTopic: dlq,
    retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
    fromBeginning: true,
    consumer: fastConsumer,
    logger: createLogger({ name: "bad-input", level: "silent" }),
  });
  await runner.start();
  producer = kafka.producer();
  await producer.connect();
  dlqReader = await readTopic(kafka, dlq);
});

afterAll(async () => {
  await runner?.stop();
  await producer?.disconnect();
  await dlqReader?.stop();
  await deleteTopics(kafka, [topic, dlq]);
});

it("dead-letters every bad record with its reason and original bytes, handles every good one once", async () => {
  const good = Array.from({ length: 8 }, (_, i) => requested(`m-good-${i}`));
  const schemaInvalid = toBinaryRecord({
    ...requested("m-invalid"),
    data: { migrationId: "m-invalid" },
  });
  const bad: { code: string; message: Message }[] = [
    { code: "invalid-json", message: { key: "k", value: Buffer.from([0xff, 0xfe, 0x00, 0x42]) } },
    { code: "not-cloudevent", message: { key: "k", value: Buffer.from('{"order":42,"qty":1}') } },
    { code: "schema-invalid", message: schemaInvalid },
    {
      code: "unknown-type",
      message: toBinaryRecord({
        ...requested("m-unknown"),
        type: "io.shadow.migration.teleported.v1",
      }),
    },
    { code: "retries-exhausted", message: toStructuredRecord(requested("m-poison")) },
    // Readers key a migration by its subject or by its id: the two must agree.
    {
      code: "subject-mismatch",
      message: toBinaryRecord({ ...requested("m-subject"), subject: "m-someone-else" }),
    },
    // Every reader keeps ids in memory: a 10,000-character one is refused at the door.
    {
      code: "envelope-invalid",
      message: toBinaryRecord({ ...requested("m-long-id"), id: "x".repeat(10_000) }),
    },
  ];
  // Good and bad interleaved, all on one key so they share a partition and its order.
  const sequence: Message[] = [];
  good.forEach((event, i) => {
    sequence.push({ ...toBinaryRecord(event), key: "same" });
    const b = bad[i];
    if (b) sequence.push({ ...b.message, key: "same" });
  });
  for (const message of sequence) await producer.send({ topic, messages: [message] });

  await eventually("every record consumed", () => runner.stats().received === sequence.length);
  await eventually("every dead letter readable", () => dlqReader.records.length === bad.length);

  // Every good event handled exactly once.
  expect([...handledIds].sort()).toEqual(good.map((e) => e.id).sort());

  // Every bad record in the DLQ: its code, a reason, the original key, value and headers.
  const byCode = new Map<string, KafkaMessage>();
  for (const record of dlqReader.records)
    byCode.set(header(record, dlqHeaders.code) ?? "?", record);
  for (const { code, message } of bad) {
    const dead = byCode.get(code);
    expect(dead, code).toBeDefined();
    if (!dead) continue;
    expect(dead.value?.equals(Buffer.from(message.value as Buffer)), `${code} value`).toBe(true);
    expect(dead.key?.toString(), `${code} key`).toBe("same");
    expect(header(dead, dlqHeaders.reason)?.length, `${code} reason`).toBeGreaterThan(0);
    expect(header(dead, dlqHeaders.sourceTopic)).toBe(topic);
    expect(header(dead, dlqHeaders.sourcePartition)).toMatch(/^\d+$/);
    expect(header(dead, dlqHeaders.sourceOffset)).toMatch(/^\d+$/);
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      expect(header(dead, name), `${code} header ${name}`).toBe(String(value));
    }
  }
  expect(header(byCode.get("retries-exhausted") as KafkaMessage, dlqHeaders.attempts)).toBe("3");
  expect(header(byCode.get("schema-invalid") as KafkaMessage, dlqHeaders.reason)).toContain(
    "targetNode",
  );
  expect(header(byCode.get("subject-mismatch") as KafkaMessage, dlqHeaders.reason)).toContain(
    '"m-someone-else"',
  );
  expect(header(byCode.get("envelope-invalid") as KafkaMessage, dlqHeaders.reason)).toContain("id");

  // The consumer never stopped, and in = handled + dead-lettered.
  const stats = runner.stats();
  expect(runner.isRunning()).toBe(true);
  expect(stats.received).toBe(sequence.length);
  expect(stats.handled + stats.deadLettered).toBe(stats.received);
  expect(stats.handled).toBe(good.length);
  expect(stats.deadLettered).toBe(bad.length);
  expect(stats.retries).toBe(2);
  // Each commit follows its record's outcome: the last one may still be on its way.
  await eventually("every record committed", () => runner.stats().commits === sequence.length);
  expect(runner.stats().commits).toBe(sequence.length);
});
