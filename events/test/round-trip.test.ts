import { createLogger } from "@shadow/otel/logger";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toStructuredRecord } from "../src/binding/encode.ts";
import {
  buildEvent,
  type ConsumerRunner,
  catalog,
  createConsumerRunner,
  createPublisher,
  type EventDefinition,
  type EventType,
  type Handlers,
  type IncomingEvent,
  type Publisher,
  type ShadowEvent,
} from "../src/index.ts";
import { sampleData } from "../src/testing/index.ts";
import {
  createTopics,
  deleteTopics,
  eventually,
  fastConsumer,
  randomName,
  testKafka,
} from "./support.ts";

/**
 * Every event type of the catalog goes through the real broker and comes back, in binary mode
 * (what the bus sends) and in structured mode (what other tools may send), equal to what was
 * sent once its data passed the schema.
 */
const kafka = testKafka("round-trip");
const topic = randomName("round-trip");
const dlq = randomName("round-trip-dlq");
const types = Object.keys(catalog) as EventType[];
const received = new Map<string, IncomingEvent>();
let publisher: Publisher;
let producer: Producer;
let runner: ConsumerRunner;

beforeAll(async () => {
  await createTopics(kafka, [topic, dlq], 3);
  const record = async (event: IncomingEvent) => {
    received.set(event.id, event);
    return [];
  };
  const handlers = Object.fromEntries(types.map((type) => [type, record])) as Handlers<unknown>;
  runner = createConsumerRunner({
    kafka,
    groupId: randomName("round-trip"),
    topics: [topic],
    handlers,
    deps: {},
    source: "/shadow/round-trip-test",
    deadLetterTopic: dlq,
    fromBeginning: true,
    consumer: fastConsumer,
    logger: createLogger({ name: "round-trip", level: "warn" }),
  });
  await runner.start();
  publisher = createPublisher({ kafka, source: "/shadow/round-trip-test" });
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  await runner?.stop();
  await publisher?.disconnect();
  await producer?.disconnect();
  await deleteTopics(kafka, [topic, dlq]);
});

function build(type: EventType, migrationId: string): ShadowEvent {
  const data = sampleData(migrationId)[type];
  return buildEvent(catalog[type] as EventDefinition<EventType>, data as never, {
    source: "/shadow/round-trip-test",
  });
}

describe("every catalog event round-trips through Kafka", () => {
  it("in binary content mode", async () => {
    const sent = await publisher.send(
      types.map((type) => ({ topic, event: build(type, `m-bin-${type.length}`) })),
    );
    await eventually("every binary event handled", () => sent.every((e) => received.has(e.id)));
    for (const event of sent) {
      expect(received.get(event.id), event.type).toEqual(event);
    }
  });

  it("in structured content mode", async () => {
    // The distributed tracing extension must survive structured mode too.
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const sent = types.map((type) => ({ ...build(type, `m-struct-${type.length}`), traceparent }));
    await producer.send({ topic, messages: sent.map((event) => toStructuredRecord(event)) });
    await eventually("every structured event handled", () => sent.every((e) => received.has(e.id)));
    for (const event of sent) expect(received.get(event.id), event.type).toEqual(event);
  });

  it("with nothing dead-lettered and every record accounted for", () => {
    const stats = runner.stats();
    expect(stats.deadLettered).toBe(0);
    expect(stats.handled).toBe(types.length * 2);
    expect(stats.received).toBe(stats.handled);
  });
});
