import { describe, expect, it } from "vitest";
import { asConsumed } from "../testing/kafka-message.ts";
import { deadLetterRecord, dlqHeaders, MAX_REASON_LENGTH, truncateReason } from "./dead-letter.ts";

describe("deadLetterRecord", () => {
  const original = asConsumed(
    {
      key: "m-1",
      value: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
      headers: { ce_id: "e-1", custom: "x" },
    },
    "17",
  );

  it("forwards the original key, value and headers byte for byte", () => {
    const dead = deadLetterRecord(original, {
      code: "invalid-json",
      reason: "value is not JSON",
      topic: "in",
      partition: 2,
      groupId: "g",
      attempts: 0,
    });
    expect(dead.key).toEqual(original.key);
    expect(dead.value).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(dead.headers?.ce_id).toEqual(Buffer.from("e-1"));
    expect(dead.headers?.custom).toEqual(Buffer.from("x"));
  });

  it("adds where it came from and why it failed", () => {
    const dead = deadLetterRecord(original, {
      code: "retries-exhausted",
      reason: "5 attempt(s) failed",
      topic: "in",
      partition: 2,
      groupId: "g",
      attempts: 5,
      migrationId: "m-1",
      now: new Date("2026-01-01T00:00:00Z"),
    });
    expect(dead.headers).toMatchObject({
      [dlqHeaders.code]: "retries-exhausted",
      [dlqHeaders.reason]: "5 attempt(s) failed",
      [dlqHeaders.sourceTopic]: "in",
      [dlqHeaders.sourcePartition]: "2",
      [dlqHeaders.sourceOffset]: "17",
      [dlqHeaders.consumerGroup]: "g",
      [dlqHeaders.attempts]: "5",
      [dlqHeaders.migrationId]: "m-1",
      [dlqHeaders.time]: "2026-01-01T00:00:00.000Z",
    });
  });
});

describe("truncateReason", () => {
  it("bounds long reasons and marks the cut", () => {
    const long = "x".repeat(5000);
    const cut = truncateReason(long);
    expect(cut.length).toBe(MAX_REASON_LENGTH);
    expect(cut.endsWith("…")).toBe(true);
    expect(truncateReason("short")).toBe("short");
  });
});
