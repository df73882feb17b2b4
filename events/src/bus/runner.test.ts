import type { EachMessagePayload } from "kafkajs";
import { Kafka } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { toBinaryRecord } from "../binding/encode.ts";
import { MigrationRequested } from "../catalog/index.ts";
import { buildEvent } from "../event.ts";
import { asConsumed } from "../testing/kafka-message.ts";
import { sampleData } from "../testing/samples.ts";
import { CommitStalled } from "./commit-within.ts";
import { createConsumerRunner } from "./runner.ts";

// Never connects: construction only.
const kafka = new Kafka({ brokers: ["127.0.0.1:9"] });
const base = { kafka, groupId: "g", topics: ["in"], handlers: {}, deps: {}, source: "/shadow/x" };

describe("createConsumerRunner configuration", () => {
  it("accepts a sane configuration", () => {
    expect(createConsumerRunner(base).groupId).toBe("g");
  });

  it("names the bad setting", () => {
    expect(() => createConsumerRunner({ ...base, source: undefined as never })).toThrow(/source/);
    expect(() => createConsumerRunner({ ...base, source: "not a uri" })).toThrow(/source/);
    expect(() => createConsumerRunner({ ...base, topics: [] })).toThrow(/topics/);
    expect(() => createConsumerRunner({ ...base, groupId: "" })).toThrow(/groupId/);
  });

  it("refuses to consume its own dead letters", () => {
    expect(() =>
      createConsumerRunner({ ...base, topics: ["dlq"], deadLetterTopic: "dlq" }),
    ).toThrow(/dead-letter/);
  });
});

/** A kafkajs consumer that joins at once and crashes when told to. */
class FakeConsumer {
  readonly events = { GROUP_JOIN: "join", CRASH: "crash" } as const;
  readonly #listeners = new Map<string, ((event: unknown) => void)[]>();
  disconnected = false;
  on(name: string, listener: (event: unknown) => void) {
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), listener]);
    return () =>
      this.#listeners.set(
        name,
        (this.#listeners.get(name) ?? []).filter((l) => l !== listener),
      );
  }
  emit(name: string, event: unknown) {
    for (const listener of this.#listeners.get(name) ?? []) listener(event);
  }
  eachMessage: ((payload: EachMessagePayload) => Promise<void>) | undefined;
  commit: () => Promise<void> = async () => {};
  async connect() {}
  async subscribe() {}
  async run(options: { eachMessage: (payload: EachMessagePayload) => Promise<void> }) {
    this.eachMessage = options.eachMessage;
    setTimeout(() => this.emit(this.events.GROUP_JOIN, {}), 1);
  }
  async stop() {}
  commitOffsets() {
    return this.commit();
  }
  async disconnect() {
    this.disconnected = true;
  }
}

describe("a consumer kafkajs gives up on", () => {
  it("is replaced by a new one that rejoins the group", async () => {
    const consumers: FakeConsumer[] = [];
    const fakeKafka = {
      consumer: () => {
        const consumer = new FakeConsumer();
        consumers.push(consumer);
        return consumer;
      },
    } as unknown as Kafka;
    const publisher = {
      source: "/shadow/x",
      connect: async () => {},
      disconnect: async () => {},
    } as never;
    const runner = createConsumerRunner({ ...base, kafka: fakeKafka, publisher });
    await runner.start();
    expect(runner.isRunning()).toBe(true);

    // What kafkajs emits when it found no group coordinator while the broker restarted.
    consumers[0]?.emit("crash", {
      payload: { error: new Error("Failed to find group coordinator"), restart: false },
    });
    expect(runner.isRunning()).toBe(false);
    await vi.waitFor(() => expect(runner.isRunning()).toBe(true), { timeout: 5_000 });
    expect(consumers).toHaveLength(2);
    expect(consumers[0]?.disconnected).toBe(true);

    // A crash kafkajs restarts by itself is left to it.
    consumers[1]?.emit("crash", { payload: { error: new Error("retriable"), restart: true } });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(consumers).toHaveLength(2);
    await runner.stop();
  });
});

describe("a commit the group's coordinator never answers", () => {
  it("fails the record's handling with an error kafkajs answers by joining the group again", async () => {
    const consumer = new FakeConsumer();
    // What kafkajs 2.2.4 did while the node it knew as the coordinator was dead or no longer
    // the coordinator: retried the commit there for a minute and more.
    consumer.commit = () => new Promise<void>(() => {});
    const fakeKafka = { consumer: () => consumer } as unknown as Kafka;
    const publisher = {
      source: "/shadow/x",
      connect: async () => {},
      disconnect: async () => {},
      send: async () => [],
    } as never;
    let handled = 0;
    const runner = createConsumerRunner({
      ...base,
      kafka: fakeKafka,
      publisher,
      commitTimeoutMs: 100,
      handlers: {
        [MigrationRequested.type]: async () => {
          handled++;
          return [];
        },
      },
    });
    await runner.start();
    const event = buildEvent(MigrationRequested, sampleData()[MigrationRequested.type], {
      source: "/shadow/gateway",
    });
    const payload = {
      topic: "in",
      partition: 0,
      message: asConsumed(toBinaryRecord(event), "7"),
      heartbeat: async () => {},
      pause: () => () => {},
    } as unknown as EachMessagePayload;
    const started = Date.now();
    const error = await consumer.eachMessage?.(payload).catch((e: unknown) => e);
    expect(handled).toBe(1);
    expect(error).toBeInstanceOf(CommitStalled);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(runner.stats().commits).toBe(0);

    // After the join the record comes again: a replay, which the dedupe takes for one, and
    // the commit goes through.
    consumer.commit = async () => {};
    await consumer.eachMessage?.(payload);
    expect(handled).toBe(1);
    expect(runner.stats().commits).toBe(1);
    await runner.stop();
  });

  it("refuses a commit timeout that is not a positive number", () => {
    expect(() => createConsumerRunner({ ...base, commitTimeoutMs: 0 })).toThrow(/commitTimeoutMs/);
  });
});
