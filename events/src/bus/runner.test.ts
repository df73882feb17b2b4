import { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
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
